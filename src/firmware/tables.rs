//! The MBR and EBR images of a ROM package, resolved to absolute places and checked against
//! the package's scatter file.
//!
//! On MT6572 an MBR's LBAs count from the start of the user area and an EBR's from the EBR's
//! own place (see [`crate::firmware::partition_table`]). So `EBR1 … at 0xFEC0000` means
//! physical user-area offset `0x80000 + 0xFEC0000`, which is what the scatter must say too.
//! [`resolve`] adds the table's own place (from the scatter) to every entry; [`cross_check`]
//! finds the entries that point where the scatter has no partition, or that give another
//! size. SP Flash Tool writes each image where the scatter says, but the kernel mounts each
//! partition where the table says: when the two disagree, flashing the package leaves
//! partitions the phone cannot find.
//!
//! Every offset here is physical, inside the user area; messages say so. Pure: no file.

use serde::Serialize;

use crate::firmware::{
    partition_table::{PartitionEntry, PartitionTable},
    scatter::{Partition, Region, Scatter},
};

/// A sector count at or above this is MediaTek's "to the end of the disk" value, not a size.
const REST_OF_DISK: u32 = 0xFF00_0000;

/// One entry of a table at its absolute place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ResolvedEntry {
    /// The entry as the sector holds it.
    pub entry: PartitionEntry,
    /// Its first byte, physical, from the start of the user area.
    pub user_offset: u64,
    /// Its length in bytes, `None` for a "to the end of the disk" count.
    pub len: Option<u64>,
}

/// The entries of `table`, a table that sits at physical user-area offset `at`.
pub fn resolve(at: u64, table: &PartitionTable) -> Vec<ResolvedEntry> {
    table
        .entries
        .iter()
        .map(|e| ResolvedEntry {
            entry: *e,
            user_offset: at + e.start_bytes(),
            len: (e.sectors < REST_OF_DISK).then(|| e.len_bytes()),
        })
        .collect()
}

/// The disagreements between the entries of the table in partition `table_name` (already
/// [`resolve`]d) and the user-area partitions of `scatter`, as messages for an error.
pub fn cross_check(table_name: &str, entries: &[ResolvedEntry], scatter: &Scatter) -> Vec<String> {
    let user: Vec<&Partition> = scatter
        .partitions
        .iter()
        .filter(|p| p.region == Region::EmmcUser && !p.address_is_pseudo)
        .collect();
    let mut out = Vec::new();
    for r in entries {
        let e = &r.entry;
        let what = format!(
            "entry {} (type {:02X}) of {table_name} points at physical 0x{:X} of the user area",
            e.slot, e.type_code, r.user_offset
        );
        let Some(p) = user.iter().find(|p| p.region_offset == r.user_offset) else {
            out.push(format!(
                "{what}, where the scatter starts no partition{}. The table and the scatter \
                 are from different builds: the phone would look for its partitions elsewhere \
                 than SP Flash Tool writes them. Take MBR, EBR and the scatter from the same ROM",
                nearest(&user, r.user_offset)
            ));
            continue;
        };
        if e.is_extended() && !p.name.to_ascii_uppercase().starts_with("EBR") {
            out.push(format!(
                "{what}, as the place of the next EBR, but the scatter has {} there. Take MBR, \
                 EBR and the scatter from the same ROM",
                p.name
            ));
            continue;
        }
        if let (false, Some(len), Some(size)) = (e.is_extended(), r.len, p.size)
            && len != size
        {
            out.push(format!(
                "{what} ({} in the scatter) with 0x{len:X} bytes, but the scatter gives {} \
                 0x{size:X} bytes. Take MBR, EBR and the scatter from the same ROM",
                p.name, p.name
            ));
        }
    }
    out
}

/// ` (the nearest is NAME at physical 0x…)`, or nothing when the scatter has no user area.
fn nearest(user: &[&Partition], at: u64) -> String {
    user.iter()
        .min_by_key(|p| p.region_offset.abs_diff(at))
        .map(|p| {
            format!(
                " (the nearest is {} at physical 0x{:X})",
                p.name, p.region_offset
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::{partition_table, scatter, synth};

    /// The A516's real EBR1 entries against a scatter that agrees, then one that does not.
    #[test]
    fn ebr_entries_are_counted_from_the_ebr_and_checked() {
        let ebr = synth::partition_sector(&[
            synth::TableEntry {
                type_code: 0x83,
                start_lba: 0x7f600,
                sectors: 0x20_0000,
            },
            synth::TableEntry {
                type_code: 0x83,
                start_lba: 0x27f600,
                sectors: 0xffd4_19ff,
            },
        ]);
        let table = partition_table::parse(&ebr).unwrap();
        let resolved = resolve(0x8_0000, &table);
        assert_eq!(resolved[0].user_offset, 0xFF4_0000);
        assert_eq!(resolved[0].len, Some(0x4000_0000));
        assert_eq!(resolved[1].user_offset, 0x4FF4_0000);
        assert_eq!(resolved[1].len, None);

        let text = |android: u64| {
            let part = |i: usize, name: &str, linear: u64, size: u64, region: &str| {
                format!(
                    "- partition_index: SYS{i}\n  partition_name: {name}\n  file_name: NONE\n  \
                     is_download: false\n  linear_start_addr: 0x{linear:X}\n  \
                     physical_start_addr: 0x0\n  partition_size: 0x{size:X}\n  region: {region}\n"
                )
            };
            let boot = 0x60_0000;
            "- general: MTK_PLATFORM_CFG\n  info:\n    - platform: MT6572\n      storage: EMMC\n"
                .to_owned()
                + &part(0, "PRELOADER", 0, boot, "EMMC_BOOT_1")
                + &part(1, "MBR", boot, 0x8_0000, "EMMC_USER")
                + &part(2, "EBR1", boot + 0x8_0000, android - 0x8_0000, "EMMC_USER")
                + &part(3, "ANDROID", boot + android, 0x4000_0000, "EMMC_USER")
                + &part(
                    4,
                    "USRDATA",
                    boot + android + 0x4000_0000,
                    0x100_0000,
                    "EMMC_USER",
                )
        };
        let good = scatter::parse(&text(0xFF4_0000)).unwrap();
        assert_eq!(cross_check("EBR1", &resolved, &good), Vec::<String>::new());
        let bad = scatter::parse(&text(0xFEC_0000)).unwrap();
        let found = cross_check("EBR1", &resolved, &bad);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains(
                "entry 0 (type 83) of EBR1 points at physical 0xFF40000 of the user area"
            ),
            "{}",
            found[0]
        );
        assert!(
            found[0].contains("nearest is ANDROID at physical 0xFEC0000"),
            "{}",
            found[0]
        );
        assert!(found[1].contains("USRDATA"), "{}", found[1]);
    }
}
