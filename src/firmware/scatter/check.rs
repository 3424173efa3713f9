//! What every scatter format goes through after parsing: region offsets and validation.
//!
//! Overlaps are fatal; gaps and names used twice are warnings. Pure: it must not parse text,
//! read files or know which format the partitions came from.

use super::{Partition, Region, Scatter, ScatterError, ScatterFormat, Storage, Warning, label};

/// Linear start of a region: the lowest start of its real partitions (`EMMC_BOOT_1` and NAND
/// always start at 0).
pub(super) fn region_base(partitions: &[Partition], region: Region) -> Option<u64> {
    match region {
        Region::EmmcBoot1 | Region::Nand => Some(0),
        Region::EmmcBoot2 | Region::EmmcUser => partitions
            .iter()
            .filter(|p| p.region == region && !p.address_is_pseudo)
            .map(|p| p.linear_start)
            .min(),
    }
}

pub(super) fn finish(
    format: ScatterFormat,
    platform: Option<String>,
    project: Option<String>,
    storage: Storage,
    mut partitions: Vec<Partition>,
    mut warnings: Vec<Warning>,
    text: &str,
) -> Result<Scatter, ScatterError> {
    if partitions.is_empty() {
        return Err(ScatterError::NoPartitions {
            line: text.lines().count().max(1),
        });
    }
    let bases = [Region::EmmcBoot2, Region::EmmcUser].map(|r| region_base(&partitions, r));
    for p in &mut partitions {
        p.region_offset = if p.address_is_pseudo {
            p.linear_start
        } else {
            let base = match p.region {
                Region::EmmcBoot2 => bases[0],
                Region::EmmcUser => bases[1],
                Region::EmmcBoot1 | Region::Nand => Some(0),
            };
            p.linear_start.saturating_sub(base.unwrap_or(0))
        };
    }
    check_overlaps(&partitions)?;
    check_gaps(&partitions, &mut warnings);
    check_names(&partitions, &mut warnings);
    warnings.sort_by_key(|w| w.line);
    Ok(Scatter {
        format,
        platform,
        project,
        storage,
        partitions,
        warnings,
    })
}

/// Real partitions with a known, non-zero extent: (partition, end).
fn extents(partitions: &[Partition]) -> impl Iterator<Item = (&Partition, u64)> {
    partitions
        .iter()
        .filter(|p| p.size.is_some_and(|s| s > 0))
        .filter_map(|p| Some((p, p.end()?)))
}

fn check_overlaps(partitions: &[Partition]) -> Result<(), ScatterError> {
    let spans: Vec<(&Partition, u64)> = extents(partitions).collect();
    for (i, &(p, end)) in spans.iter().enumerate() {
        if let Some(&(other, other_end)) = spans[..i]
            .iter()
            .find(|(o, o_end)| p.linear_start < *o_end && o.linear_start < end)
        {
            return Err(ScatterError::Overlap {
                line: p.line,
                name: label(&p.name).to_string(),
                start: p.linear_start,
                end,
                other: label(&other.name).to_string(),
                other_line: other.line,
                other_start: other.linear_start,
                other_end,
            });
        }
    }
    Ok(())
}

fn check_gaps(partitions: &[Partition], warnings: &mut Vec<Warning>) {
    let mut prev: Option<(&Partition, u64)> = None;
    for p in partitions.iter().filter(|p| !p.address_is_pseudo) {
        if let Some((before, end)) = prev
            && p.linear_start != end
        {
            let (name, start, prev) = (label(&p.name), p.linear_start, label(&before.name));
            let message = if start > end {
                format!(
                    "partition {name} starts at linear 0x{start:X}, 0x{:X} bytes after \
                     partition {prev} ends (linear 0x{end:X})",
                    start - end
                )
            } else {
                format!(
                    "partition {name} starts at linear 0x{start:X}, before partition {prev} \
                     ends (linear 0x{end:X}): the partitions are out of order"
                )
            };
            warnings.push(Warning {
                line: p.line,
                message,
            });
        }
        prev = p.end().map(|end| (p, end));
    }
}

fn check_names(partitions: &[Partition], warnings: &mut Vec<Warning>) {
    for (i, p) in partitions.iter().enumerate() {
        if p.name.is_empty() {
            continue;
        }
        if let Some(first) = partitions[..i]
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(&p.name))
        {
            warnings.push(Warning {
                line: p.line,
                message: format!(
                    "partition name {} is used again (first on line {}); lookups by name find \
                     the first",
                    p.name, first.line
                ),
            });
        }
    }
}
