//! The flat scatter formats: OTA (`NAME 0xADDR` lines) and legacy (`{ }` blocks, `__NODL_`).
//!
//! Works out sizes, storage and regions the flat text does not name and hands the partitions
//! to [`finish`]. It must not read files or know the V1 format.

use super::{
    Line, Partition, Region, Scatter, ScatterError, ScatterFormat, Storage, Warning, check::finish,
    excerpt, is_pseudo_address, label, parse_number,
};

const NODL_PREFIX: &str = "__NODL_";
/// Boot-region sizes accepted for a flat eMMC file: multiples of one 128 KiB block, up to 64 MiB.
const BOOT_BLOCK: u64 = 0x20000;
const MAX_BOOT_REGION: u64 = 64 << 20;

/// `NAME ADDRESS` (optionally followed by `{` or `{}`) → (name, address text, brace tail).
pub(super) fn flat_entry(text: &str) -> Option<(&str, &str, Option<&str>)> {
    let mut tokens = text.split_whitespace();
    let name = tokens.next()?;
    let address = tokens.next()?;
    let tail = tokens.next();
    if tokens.next().is_some()
        || name.starts_with(['{', '}', '-'])
        || !matches!(tail, None | Some("{") | Some("{}"))
    {
        return None;
    }
    Some((name, address, tail))
}

struct FlatEntry<'a> {
    line: usize,
    name: &'a str,
    download: bool,
    start: u64,
}

pub(super) fn parse_flat(lines: &[Line<'_>], text: &str) -> Result<Scatter, ScatterError> {
    let mut entries: Vec<FlatEntry<'_>> = Vec::new();
    let mut warnings = Vec::new();
    let mut open_at: Option<usize> = None;
    let mut braces = false;
    for line in lines {
        let open = |open_at: &mut Option<usize>, entries: &[FlatEntry<'_>]| {
            if open_at.is_some() {
                Err(ScatterError::Brace {
                    line: line.number,
                    what: "`{` inside a block that is still open",
                })
            } else if entries.is_empty() {
                Err(ScatterError::Brace {
                    line: line.number,
                    what: "`{` before any `NAME 0xADDRESS` line",
                })
            } else {
                *open_at = Some(line.number);
                Ok(())
            }
        };
        match line.text {
            "{" => {
                braces = true;
                open(&mut open_at, &entries)?;
            }
            "{}" => {
                braces = true;
                open(&mut open_at, &entries)?;
                open_at = None;
            }
            "}" => {
                braces = true;
                if open_at.take().is_none() {
                    return Err(ScatterError::Brace {
                        line: line.number,
                        what: "`}` without a `{` before it",
                    });
                }
            }
            other if open_at.is_some() => warnings.push(Warning {
                line: line.number,
                message: format!(
                    "`{other}` inside the {{ }} block of {} ignored",
                    entries.last().map_or("", |e| label(e.name))
                ),
            }),
            other => {
                let Some((name, address, tail)) = flat_entry(other) else {
                    return Err(ScatterError::Syntax {
                        line: line.number,
                        expected: "`NAME 0xADDRESS`",
                        text: excerpt(other),
                    });
                };
                let start = parse_number(address).ok_or_else(|| ScatterError::NotANumber {
                    line: line.number,
                    key: format!("the address of {name}"),
                    value: address.to_string(),
                })?;
                let (name, download) = match name.get(..NODL_PREFIX.len()) {
                    Some(p) if p.eq_ignore_ascii_case(NODL_PREFIX) => {
                        (&name[NODL_PREFIX.len()..], false)
                    }
                    _ => (name, true),
                };
                entries.push(FlatEntry {
                    line: line.number,
                    name,
                    download,
                    start,
                });
                if let Some(tail) = tail {
                    braces = true;
                    if tail == "{" {
                        open_at = Some(line.number);
                    }
                }
            }
        }
    }
    if let Some(line) = open_at {
        return Err(ScatterError::Brace {
            line,
            what: "this `{` is never closed",
        });
    }
    let format = if braces || entries.iter().any(|e| !e.download) {
        ScatterFormat::Legacy
    } else {
        ScatterFormat::Ota
    };
    let storage = if entries.iter().any(|e| e.name.eq_ignore_ascii_case("MBR")) {
        Storage::Emmc
    } else {
        Storage::Nand
    };
    let partitions = flat_partitions(&entries, storage, &mut warnings)?;
    finish(format, None, None, storage, partitions, warnings, text)
}

/// Derives sizes (next real start − own start) and regions for flat entries.
fn flat_partitions(
    entries: &[FlatEntry<'_>],
    storage: Storage,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Partition>, ScatterError> {
    let real: Vec<usize> = (0..entries.len())
        .filter(|&i| !is_pseudo_address(entries[i].start))
        .collect();
    let mut sizes = vec![None; entries.len()];
    for pair in real.windows(2) {
        let (prev, next) = (&entries[pair[0]], &entries[pair[1]]);
        let size = next
            .start
            .checked_sub(prev.start)
            .ok_or_else(|| ScatterError::OutOfOrder {
                line: next.line,
                name: label(next.name).to_string(),
                start: next.start,
                prev: label(prev.name).to_string(),
                prev_start: prev.start,
            })?;
        sizes[pair[0]] = Some(size);
    }
    let boot_preloader = match (storage, real.first()) {
        (Storage::Nand, _) => None,
        (Storage::Emmc, Some(&first)) => {
            let e = &entries[first];
            let plausible =
                sizes[first].is_some_and(|s| s > 0 && s % BOOT_BLOCK == 0 && s <= MAX_BOOT_REGION);
            if e.name.eq_ignore_ascii_case("PRELOADER") && e.start == 0 && plausible {
                Some(first)
            } else {
                warnings.push(Warning {
                    line: e.line,
                    message: "no PRELOADER at 0x0 followed by a plausible boot-region size: \
                              every partition is taken as user area"
                        .into(),
                });
                None
            }
        }
        (Storage::Emmc, None) => None,
    };
    Ok(entries
        .iter()
        .zip(sizes)
        .enumerate()
        .map(|(index, (e, size))| Partition {
            index,
            name: e.name.to_string(),
            file: None,
            download: e.download,
            linear_start: e.start,
            size,
            region: match storage {
                Storage::Nand => Region::Nand,
                Storage::Emmc if boot_preloader == Some(index) => Region::EmmcBoot1,
                Storage::Emmc => Region::EmmcUser,
            },
            region_offset: 0,
            operation: None,
            address_is_pseudo: is_pseudo_address(e.start),
            line: e.line,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn flat_entry_shapes() {
        assert_eq!(flat_entry("MBR 0xc00000"), Some(("MBR", "0xc00000", None)));
        assert_eq!(flat_entry("UBOOT 0x0 {"), Some(("UBOOT", "0x0", Some("{"))));
        assert_eq!(flat_entry("- general: X"), None);
        assert_eq!(flat_entry("A B C"), None);
        assert_eq!(flat_entry("ALONE"), None);
    }

    #[test]
    fn ota_sizes_come_from_the_next_start_and_the_last_is_unknown() {
        let s = parse("PRELOADER 0x0\nMBR 0x600000\nEBR1 0x680000\nANDROID 0x700000\n").unwrap();
        assert_eq!(s.format, ScatterFormat::Ota);
        assert_eq!(s.storage, Storage::Emmc);
        let sizes: Vec<_> = s.partitions.iter().map(|p| p.size).collect();
        assert_eq!(
            sizes,
            [Some(0x60_0000), Some(0x8_0000), Some(0x8_0000), None]
        );
        assert_eq!(s.partitions[0].region, Region::EmmcBoot1);
        assert_eq!(s.boot1_size(), 0x60_0000);
        assert_eq!(s.partition("ebr1").unwrap().region_offset, 0x8_0000);
        assert!(s.warnings.is_empty());
        assert_eq!(s.downloads().count(), 0);
    }

    #[test]
    fn ota_without_plausible_boot_region_is_all_user_area_with_a_warning() {
        let s = parse("PRELOADER 0x0\nMBR 0x123\nEBR1 0x680000\n").unwrap();
        assert!(s.partitions.iter().all(|p| p.region == Region::EmmcUser));
        assert_eq!(s.boot1_size(), 0);
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].line, 1);
    }

    #[test]
    fn legacy_braces_nodl_and_nand() {
        let s = parse(
            "A 0x0\n{\n}\n__NODL_B 0x40000 {}\nC 0x80000 {\n}\n__NODL_BMTPOOL 0xFFFF0050\n{\n}\n",
        )
        .unwrap();
        assert_eq!(s.format, ScatterFormat::Legacy);
        assert_eq!(s.storage, Storage::Nand);
        let b = s.partition("B").unwrap();
        assert!(!b.download);
        assert_eq!(
            (b.line, b.size, b.region),
            (4, Some(0x4_0000), Region::Nand)
        );
        assert_eq!(s.partitions[2].size, None);
        let bmt = &s.partitions[3];
        assert!(bmt.address_is_pseudo && bmt.end().is_none());
        assert_eq!(bmt.region_offset, 0xFFFF_0050);
    }

    #[test]
    fn flat_errors_name_the_line() {
        let e = parse("A 0x0\nB 0x100\n}\n").unwrap_err();
        assert_eq!(e.to_string(), "line 3: `}` without a `{` before it");
        let e = parse("A 0x0\n{\nB 0x100\n").unwrap_err();
        assert_eq!(e.line(), 2);
        let e = parse("A 0x100\nB 0x0\n").unwrap_err();
        assert!(matches!(e, ScatterError::OutOfOrder { line: 2, .. }), "{e}");
        let e = parse("A 0x0\nB 0x1g\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: the address of B is not a number: `0x1g` (expected hex such as 0x600000)"
        );
        let e = parse("A 0x0\nthree words here\n").unwrap_err();
        assert_eq!(e.line(), 2);
    }
}
