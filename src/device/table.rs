//! The phone's partition map, from what the phone's storage says (MT6572.md §7.3).
//!
//! The session reads the first 0x400 bytes of the user area, then:
//!
//! * **PMT**: when they start with `EMMC_BOOT` or `UFS_BOOT`, the DA's 0xA5 answer is the
//!   table, with names. An entry named PRELOADER is the boot1 region on eMMC.
//! * **MBR/EBR**: when they end in `55 AA`, the MBR and the EBR it points to give the start and
//!   size of the file-system partitions only (PROTECT_F, PROTECT_S, ANDROID, CACHE, USRDATA on
//!   MT6572), without names. **Decision**: mtkbench names them from the first board profile
//!   (registry order: by id) whose layout has a partition starting at every MBR/EBR offset,
//!   with the same size where the table gives a finite one; the profile's whole layout is then
//!   the partition map, and its id is reported as the source, so the technician sees the
//!   names are inferred. With no matching profile the table's partitions are listed as
//!   `mbr1`..`mbr3` and `ebr1`.. (the slot they came from) and nothing else is addressable by
//!   name; `--region user --offset --length` still reaches everything.
//!
//! On eMMC, PRELOADER (the whole boot1 region) is always in the map. A NAND phone has no MBR:
//! its map is always the DA's PMT (**decision**), every partition in the `nand` region, with
//! PRELOADER where the PMT puts it.
//!
//! A reading keeps what it was made of ([`TableReading`]: the sectors where the table lives
//! and the layouts that may name it), so that the guard can work out what the next reading
//! would give once a range is written, and refuse a table that would hide the NVRAM set
//! ([`super::guard`]). Pure: bytes and profiles in, partitions out.

use serde::{Deserialize, Serialize};

use super::target::{Partition, Region};
use crate::{
    firmware::partition_table::{self, PartitionTable},
    profile::{BoardProfile, Registry, StorageKind},
    protocol::da::PmtEntry,
};

/// How much of the user area the session reads to decide (§7.3).
pub const PROBE_LEN: u64 = 0x400;

/// Bytes the session reads at an EBR's location.
pub const EBR_LEN: u64 = 0x200;

/// Where the names of the partition map come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TableSource {
    /// The DA's partition table (0xA5).
    Pmt,
    /// The MBR/EBR, named from a board profile whose layout matches it (or unnamed).
    Mbr {
        /// The profile the names come from, if one matched.
        profile: Option<String>,
    },
    /// No table was found: only the regions are addressable.
    None,
}

/// The phone's partitions and where the names come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartitionMap {
    /// PMT, MBR (named by a profile) or none.
    pub source: TableSource,
    /// In storage order (boot1 first).
    pub partitions: Vec<Partition>,
}

/// What the first [`PROBE_LEN`] bytes of the user area announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// Ask the DA for its PMT (0xA5).
    Pmt,
    /// An MBR; read the EBR at `ebr_at` (user offset) if there is one.
    Mbr {
        /// The decoded MBR.
        mbr: PartitionTable,
        /// The extended partition's start, where EBR1 sits.
        ebr_at: Option<u64>,
    },
    /// Neither.
    Nothing,
}

/// Decides from the start of the user area (§7.3 steps 2 and 3).
pub fn probe(first: &[u8]) -> Probe {
    if first.starts_with(b"EMMC_BOOT") || first.starts_with(b"UFS_BOOT") {
        return Probe::Pmt;
    }
    match partition_table::parse(first) {
        Ok(mbr) => {
            let ebr_at = mbr.extended().map(|e| e.start_bytes());
            Probe::Mbr { mbr, ebr_at }
        }
        Err(_) => Probe::Nothing,
    }
}

/// The boot1 entry on eMMC phones.
fn preloader(boot1_size: u64) -> Partition {
    Partition {
        name: "PRELOADER".into(),
        region: Region::EmmcBoot1,
        offset: 0,
        size: boot1_size,
    }
}

/// The size a table entry really has: 0 (or a "rest of the disk" value past the end) means up
/// to the end of the region.
fn clip(offset: u64, size: u64, region_size: u64) -> u64 {
    let rest = region_size.saturating_sub(offset);
    if size == 0 || offset.saturating_add(size) > region_size && region_size > 0 {
        rest
    } else {
        size
    }
}

/// The map from a PMT. `boot1_size` is 0 on NAND phones: there is no boot region, every
/// partition (PRELOADER too, at its PMT offset) lies in [`Region::Nand`], and `user_size` is
/// the array's size.
pub fn from_pmt(entries: &[PmtEntry], boot1_size: u64, user_size: u64) -> PartitionMap {
    let emmc = boot1_size > 0;
    let region = if emmc { Region::EmmcUser } else { Region::Nand };
    let mut partitions = Vec::new();
    if emmc {
        partitions.push(preloader(boot1_size));
    }
    for e in entries {
        if emmc && e.name.eq_ignore_ascii_case("PRELOADER") {
            continue;
        }
        partitions.push(Partition {
            name: e.name.clone(),
            region,
            offset: e.offset,
            size: clip(e.offset, e.size, user_size),
        });
    }
    PartitionMap {
        source: TableSource::Pmt,
        partitions,
    }
}

/// Start and size (user offsets) of the data partitions of an MBR and its EBR, labelled with
/// the slot they came from. EBR LBAs are relative to the EBR's location (MediaTek style).
fn mbr_entries(
    mbr: &PartitionTable,
    ebr: Option<(u64, &PartitionTable)>,
) -> Vec<(String, u64, u64)> {
    let mut out: Vec<(String, u64, u64)> = mbr
        .entries
        .iter()
        .filter(|e| !e.is_extended())
        .map(|e| (format!("mbr{}", e.slot), e.start_bytes(), e.len_bytes()))
        .collect();
    if let Some((base, ebr)) = ebr {
        out.extend(ebr.entries.iter().filter(|e| !e.is_extended()).map(|e| {
            (
                format!("ebr{}", e.slot + 1),
                base + e.start_bytes(),
                e.len_bytes(),
            )
        }));
    }
    out
}

/// A layout that may name an MBR/EBR table: its source (a board profile's id, or the ROM
/// whose layout was just written) and its user-area partitions (name, offset, size; size 0 runs
/// to the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    /// Reported as [`TableSource::Mbr`]'s `profile`.
    pub source: String,
    /// Name, user-area offset, size.
    pub layout: Vec<(String, u64, u64)>,
}

impl Naming {
    /// The layout of an eMMC board profile; `None` for a NAND one.
    fn of_profile(p: &BoardProfile) -> Option<Naming> {
        (p.storage.kind == StorageKind::Emmc).then(|| Naming {
            source: p.id.clone(),
            layout: p
                .layout
                .iter()
                .map(|l| (l.name.clone(), l.offset, l.size))
                .collect(),
        })
    }

    /// True when the layout has a partition at every entry's start, with the same size where
    /// the entry's size is finite (inside `user_size`).
    fn fits(&self, entries: &[(String, u64, u64)], user_size: u64) -> bool {
        !entries.is_empty()
            && entries.iter().all(|(_, start, len)| {
                self.layout.iter().any(|(_, offset, size)| {
                    *offset == *start
                        && (*size == 0 || start.saturating_add(*len) >= user_size || *size == *len)
                })
            })
    }
}

/// The map from an MBR and its EBR, named from the registry (see the module documentation).
pub fn from_mbr(
    mbr: &PartitionTable,
    ebr: Option<(u64, &PartitionTable)>,
    registry: &Registry,
    boot1_size: u64,
    user_size: u64,
) -> PartitionMap {
    from_mbr_named(mbr, ebr, None, registry, boot1_size, user_size)
}

/// [`from_mbr`], trying `written` first: the layout whose MBR/EBR images were just written to
/// the phone (a ROM of another layout fits no board profile, so its scatter names the table
/// it wrote, when that table is what the phone now holds).
pub fn from_mbr_named(
    mbr: &PartitionTable,
    ebr: Option<(u64, &PartitionTable)>,
    written: Option<&Naming>,
    registry: &Registry,
    boot1_size: u64,
    user_size: u64,
) -> PartitionMap {
    from_mbr_among(mbr, ebr, &namings(written, registry), boot1_size, user_size)
}

/// The layouts an MBR/EBR table may be named by, in the order they are tried: `written`, then
/// every eMMC board profile of `registry`.
pub fn namings(written: Option<&Naming>, registry: &Registry) -> Vec<Naming> {
    written
        .cloned()
        .into_iter()
        .chain(
            registry
                .iter()
                .filter_map(|r| Naming::of_profile(&r.profile)),
        )
        .collect()
}

/// The map from an MBR and its EBR, named by the first of `namings` that fits them.
fn from_mbr_among(
    mbr: &PartitionTable,
    ebr: Option<(u64, &PartitionTable)>,
    namings: &[Naming],
    boot1_size: u64,
    user_size: u64,
) -> PartitionMap {
    let entries = mbr_entries(mbr, ebr);
    let mut partitions = vec![preloader(boot1_size)];
    let naming = namings.iter().find(|n| n.fits(&entries, user_size));
    match naming {
        Some(n) => partitions.extend(n.layout.iter().map(|(name, offset, size)| Partition {
            name: name.clone(),
            region: Region::EmmcUser,
            offset: *offset,
            size: clip(*offset, *size, user_size),
        })),
        None => partitions.extend(entries.into_iter().map(|(name, offset, size)| Partition {
            name,
            region: Region::EmmcUser,
            offset,
            size: clip(offset, size, user_size),
        })),
    }
    PartitionMap {
        source: TableSource::Mbr {
            profile: naming.map(|n| n.source.clone()),
        },
        partitions,
    }
}

/// What a write or an erase puts in its range, for [`TableReading::after`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content<'a> {
    /// These bytes (a write).
    Bytes(&'a [u8]),
    /// `len` times `byte` (an erase: eMMC reads back 0x00).
    Fill {
        /// Bytes.
        len: u64,
        /// The value of each.
        byte: u8,
    },
}

impl Content<'_> {
    fn len(&self) -> u64 {
        match self {
            Content::Bytes(b) => b.len() as u64,
            Content::Fill { len, .. } => *len,
        }
    }

    /// The byte `i` bytes into the range.
    fn at(&self, i: u64) -> u8 {
        match self {
            Content::Bytes(b) => b[i as usize],
            Content::Fill { byte, .. } => *byte,
        }
    }
}

/// `base` (read at user offset `base_at`) as it reads once `content` is written at `at`.
fn patched(base: &[u8], base_at: u64, at: u64, content: Content<'_>) -> Vec<u8> {
    let mut out = base.to_vec();
    for (i, b) in out.iter_mut().enumerate() {
        let pos = base_at + i as u64;
        if pos >= at && pos - at < content.len() {
            *b = content.at(pos - at);
        }
    }
    out
}

/// What a reading of an eMMC phone's partition table decided from (§7.3): the first
/// [`PROBE_LEN`] bytes of the user area, the [`EBR_LEN`] bytes at the EBR its MBR points to
/// (when that lies inside the user area), the DA's PMT (when the first bytes ask for it) and
/// the layouts an MBR may be named by. [`TableReading::map`] is the reading's map, and
/// [`TableReading::after`] the map the next reading would give once a range is written: the
/// same decisions on other bytes, so the guard can tell whether a write of the table moves
/// the NVRAM set. The table lives in [`TableReading::sectors`]. NAND phones have none: their
/// table is the DA's PMT, which no range mtkbench knows holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReading {
    first: Vec<u8>,
    ebr: Option<(u64, Vec<u8>)>,
    pmt: Option<PartitionMap>,
    namings: Vec<Naming>,
    boot1_size: u64,
    user_size: u64,
}

impl TableReading {
    /// A reading from the first bytes of the user area; `namings` are tried in order to name
    /// an MBR ([`namings`]).
    pub fn new(first: Vec<u8>, namings: Vec<Naming>, boot1_size: u64, user_size: u64) -> Self {
        TableReading {
            first,
            ebr: None,
            pmt: None,
            namings,
            boot1_size,
            user_size,
        }
    }

    /// What the first bytes announce.
    pub fn probe(&self) -> Probe {
        probe(&self.first)
    }

    /// Where the EBR is to be read: the MBR's extended start, when an EBR fits there.
    pub fn ebr_at(&self) -> Option<u64> {
        match self.probe() {
            Probe::Mbr {
                ebr_at: Some(at), ..
            } if at.saturating_add(EBR_LEN) <= self.user_size => Some(at),
            _ => None,
        }
    }

    /// The bytes read at the EBR (offset `at`, [`TableReading::ebr_at`]).
    pub fn with_ebr(mut self, at: u64, bytes: Vec<u8>) -> Self {
        self.ebr = Some((at, bytes));
        self
    }

    /// The map the DA's PMT gave, when [`TableReading::probe`] asked for it.
    pub fn with_pmt(mut self, map: PartitionMap) -> Self {
        self.pmt = Some(map);
        self
    }

    /// The partition map this reading gives.
    pub fn map(&self) -> PartitionMap {
        match self.probe() {
            Probe::Pmt => self.pmt.clone().unwrap_or_else(|| empty(self.boot1_size)),
            Probe::Mbr { mbr, .. } => {
                let ebr = self
                    .ebr
                    .as_ref()
                    .and_then(|(at, bytes)| partition_table::parse(bytes).ok().map(|t| (*at, t)));
                let ebr = ebr.as_ref().map(|(at, t)| (*at, t));
                from_mbr_among(&mbr, ebr, &self.namings, self.boot1_size, self.user_size)
            }
            Probe::Nothing => empty(self.boot1_size),
        }
    }

    /// The user-area ranges (offset, length) the reading decided from: where the table lives.
    pub fn sectors(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        std::iter::once((0, self.first.len() as u64))
            .chain(self.ebr.iter().map(|(at, b)| (*at, b.len() as u64)))
    }

    /// The map the next reading would give once `content` is written at user offset `at`;
    /// `None` when that cannot be told from what was read: the new MBR points to an EBR
    /// neither read nor wholly written, or asks for a PMT this reading did not get.
    pub fn after(&self, at: u64, content: Content<'_>) -> Option<PartitionMap> {
        let mut next = TableReading {
            first: patched(&self.first, 0, at, content),
            ebr: None,
            ..self.clone()
        };
        if next.probe() == Probe::Pmt && self.pmt.is_none() {
            return None;
        }
        if let Some(ebr_at) = next.ebr_at() {
            let bytes = match &self.ebr {
                Some((old, bytes)) if *old == ebr_at => patched(bytes, ebr_at, at, content),
                _ if at <= ebr_at && ebr_at + EBR_LEN <= at.saturating_add(content.len()) => {
                    patched(&[0; EBR_LEN as usize], ebr_at, at, content)
                }
                _ => return None,
            };
            next.ebr = Some((ebr_at, bytes));
        }
        Some(next.map())
    }
}

/// The map when the user area holds no table: only PRELOADER on eMMC.
pub fn empty(boot1_size: u64) -> PartitionMap {
    PartitionMap {
        source: TableSource::None,
        partitions: if boot1_size > 0 {
            vec![preloader(boot1_size)]
        } else {
            Vec::new()
        },
    }
}

/// A table sector ([`PROBE_LEN`] bytes) with `entries` (type, start LBA, sectors) in its
/// slots and the `55 AA` signature.
#[cfg(test)]
pub(super) fn sector(entries: &[(u8, u32, u32)]) -> Vec<u8> {
    let mut s = vec![0u8; PROBE_LEN as usize];
    for (i, (ty, lba, n)) in entries.iter().enumerate() {
        let e = &mut s[0x1BE + 16 * i..][..16];
        e[4] = *ty;
        e[8..12].copy_from_slice(&lba.to_le_bytes());
        e[12..16].copy_from_slice(&n.to_le_bytes());
    }
    s[0x1FE] = 0x55;
    s[0x1FF] = 0xAA;
    s
}

/// The a516_row board's MBR (PROTECT_F, PROTECT_S, ANDROID, extended at 0x80000) and EBR
/// (CACHE, USRDATA), built from its profile; `shift` moves PROTECT_F by that many sectors.
#[cfg(test)]
pub(super) fn a516_tables(shift: u32) -> (Vec<u8>, u64, Vec<u8>) {
    let registry = Registry::builtin();
    let profile = &registry.get("a516_row").unwrap().profile;
    let at = |n: &str| profile.partition(n).unwrap();
    let lba = |n: &str| (at(n).offset / 512) as u32;
    let secs = |n: &str| (at(n).size / 512) as u32;
    let mbr = sector(&[
        (0x05, 0x400, 0xFFFF_FFFF),
        (0x83, lba("PROTECT_F") + shift, secs("PROTECT_F")),
        (0x83, lba("PROTECT_S"), secs("PROTECT_S")),
        (0x83, lba("ANDROID"), secs("ANDROID")),
    ]);
    let ebr_base = 0x80000u64;
    let rel = |n: &str| ((at(n).offset - ebr_base) / 512) as u32;
    let ebr = sector(&[
        (0x83, rel("CACHE"), secs("CACHE")),
        (0x83, rel("USRDATA"), 0xFFFF_FFF0),
    ]);
    (mbr, ebr_base, ebr[..EBR_LEN as usize].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: u64 = 0xE900_0000;

    #[test]
    fn emmc_boot_marker_asks_for_the_pmt() {
        let mut first = vec![0u8; 0x400];
        first[..10].copy_from_slice(b"EMMC_BOOT\0");
        assert_eq!(probe(&first), Probe::Pmt);
        assert_eq!(probe(&[0u8; 0x400]), Probe::Nothing);
    }

    #[test]
    fn pmt_names_everything_and_preloader_is_boot1() {
        let e = |name: &str, offset, size| PmtEntry {
            name: name.into(),
            size,
            mask_flags: 0,
            offset,
        };
        let map = from_pmt(
            &[
                e("PRELOADER", 0, 0xC0_0000),
                e("NVRAM", 0x40_0000, 0x50_0000),
                e("FAT", 0x9000_0000, 0),
            ],
            0x40_0000,
            USER,
        );
        assert_eq!(map.source, TableSource::Pmt);
        let names: Vec<_> = map.partitions.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["PRELOADER", "NVRAM", "FAT"]);
        assert_eq!(map.partitions[0].region, Region::EmmcBoot1);
        assert_eq!(map.partitions[0].size, 0x40_0000);
        assert_eq!(map.partitions[2].size, USER - 0x9000_0000);
    }

    #[test]
    fn a_nand_pmt_keeps_preloader_and_everything_lies_in_the_nand_region() {
        let e = |name: &str, offset, size| PmtEntry {
            name: name.into(),
            size,
            mask_flags: 0,
            offset,
        };
        let map = from_pmt(
            &[
                e("PRELOADER", 0, 0x8_0000),
                e("NVRAM", 0x18_0000, 0x18_0000),
                e("USRDATA", 0x12B2_0000, 0),
            ],
            0,
            1 << 30,
        );
        let got: Vec<_> = map
            .partitions
            .iter()
            .map(|p| (p.name.as_str(), p.region, p.offset, p.size))
            .collect();
        assert_eq!(
            got,
            [
                ("PRELOADER", Region::Nand, 0, 0x8_0000),
                ("NVRAM", Region::Nand, 0x18_0000, 0x18_0000),
                (
                    "USRDATA",
                    Region::Nand,
                    0x12B2_0000,
                    (1 << 30) - 0x12B2_0000
                ),
            ]
        );
    }

    #[test]
    fn mbr_is_named_by_the_matching_profile() {
        // a516_row: PROTECT_F 0x900000, PROTECT_S 0x1300000, ANDROID ...; its layout gives
        // a table that fits it exactly.
        let registry = Registry::builtin();
        let profile = &registry.get("a516_row").unwrap().profile;
        let at = |n: &str| profile.partition(n).unwrap();
        let (mbr, ebr_base, ebr) = a516_tables(0);
        let Probe::Mbr { mbr, ebr_at } = probe(&mbr) else {
            panic!("not an MBR")
        };
        assert_eq!(ebr_at, Some(ebr_base));
        let ebr = partition_table::parse(&ebr).unwrap();
        let map = from_mbr(&mbr, Some((ebr_base, &ebr)), &registry, 0x40_0000, USER);
        let TableSource::Mbr { profile: Some(id) } = &map.source else {
            panic!("{:?}", map.source)
        };
        // Any profile with the same layout would do; the names must be the layout's.
        let named = &registry.get(id).unwrap().profile;
        assert_eq!(named.partition("NVRAM").unwrap().offset, at("NVRAM").offset);
        assert!(map.partitions.iter().any(|p| p.name == "NVRAM"));
        assert_eq!(map.partitions[0].name, "PRELOADER");
    }

    #[test]
    fn mbr_without_a_matching_profile_keeps_slot_names() {
        let mbr = sector(&[(0x05, 0x10, 0x10), (0x83, 0x77, 0x11)]);
        let ebr = sector(&[(0x83, 0x8, 0x8)]);
        let Probe::Mbr { mbr, ebr_at } = probe(&mbr) else {
            panic!("not an MBR")
        };
        let ebr = partition_table::parse(&ebr).unwrap();
        let map = from_mbr(
            &mbr,
            Some((ebr_at.unwrap(), &ebr)),
            &Registry::builtin(),
            0x1000,
            USER,
        );
        assert_eq!(map.source, TableSource::Mbr { profile: None });
        let got: Vec<_> = map
            .partitions
            .iter()
            .map(|p| (p.name.as_str(), p.offset, p.size))
            .collect();
        assert_eq!(
            got,
            [
                ("PRELOADER", 0, 0x1000),
                ("mbr1", 0x77 * 512, 0x11 * 512),
                ("ebr1", 0x18 * 512, 0x1000)
            ]
        );
    }

    #[test]
    fn a_table_no_profile_knows_is_named_by_the_layout_just_written_when_it_fits() {
        let mbr = sector(&[(0x05, 0x10, 0x10), (0x83, 0x77, 0x11)]);
        let ebr = sector(&[(0x83, 0x8, 0x8)]);
        let Probe::Mbr { mbr, ebr_at } = probe(&mbr) else {
            panic!("not an MBR")
        };
        let ebr = partition_table::parse(&ebr).unwrap();
        let ebr = Some((ebr_at.unwrap(), &ebr));
        let written = |cache_at: u64| Naming {
            source: "the ROM /lib/other".into(),
            layout: vec![
                ("MBR".into(), 0, 0x10 * 512),
                ("EBR1".into(), 0x10 * 512, 0x8 * 512),
                ("NVRAM".into(), 0x18 * 512, 0x8 * 512),
                ("CACHE".into(), cache_at, 0x11 * 512),
            ],
        };
        let map = from_mbr_named(
            &mbr,
            ebr,
            Some(&written(0x77 * 512)),
            &Registry::builtin(),
            0x1000,
            USER,
        );
        assert_eq!(
            map.source,
            TableSource::Mbr {
                profile: Some("the ROM /lib/other".into())
            }
        );
        let names: Vec<&str> = map.partitions.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["PRELOADER", "MBR", "EBR1", "NVRAM", "CACHE"]);
        // A layout that is not what the phone holds names nothing.
        let map = from_mbr_named(
            &mbr,
            ebr,
            Some(&written(0x78 * 512)),
            &Registry::builtin(),
            0x1000,
            USER,
        );
        assert_eq!(map.source, TableSource::Mbr { profile: None });
    }

    /// A reading of the a516_row tables, as the session makes it.
    fn a516_reading() -> TableReading {
        let (mbr, ebr_at, ebr) = a516_tables(0);
        let reading = TableReading::new(mbr, namings(None, &Registry::builtin()), 0x40_0000, USER);
        assert_eq!(reading.ebr_at(), Some(ebr_at));
        reading.with_ebr(ebr_at, ebr)
    }

    fn nvram_set(map: &PartitionMap) -> Vec<(String, u64, u64)> {
        map.partitions
            .iter()
            .filter(|p| crate::firmware::is_nvram_set(&p.name))
            .map(|p| (p.name.clone(), p.offset, p.size))
            .collect()
    }

    #[test]
    fn a_reading_knows_where_its_table_lives_and_gives_the_same_map_as_the_parser() {
        let reading = a516_reading();
        let sectors: Vec<_> = reading.sectors().collect();
        assert_eq!(sectors, [(0, PROBE_LEN), (0x80000, EBR_LEN)]);
        let map = reading.map();
        assert!(matches!(map.source, TableSource::Mbr { profile: Some(_) }));
        assert_eq!(nvram_set(&map).len(), 4, "{map:?}");
    }

    #[test]
    fn the_next_reading_is_worked_out_from_the_bytes_a_write_leaves() {
        let reading = a516_reading();
        let now = reading.map();
        let (same_mbr, _, same_ebr) = a516_tables(0);
        // The same table, or other boot code before the entries: the same map.
        assert_eq!(
            reading.after(0, Content::Bytes(&same_mbr[..512])),
            Some(now.clone())
        );
        let mut code = same_mbr[..512].to_vec();
        code[..0x100].fill(0xEB);
        assert_eq!(reading.after(0, Content::Bytes(&code)), Some(now.clone()));
        assert_eq!(
            reading.after(0x80000, Content::Bytes(&same_ebr)),
            Some(now.clone())
        );
        // Bytes far from the table change nothing.
        assert_eq!(
            reading.after(
                0x90_0000,
                Content::Fill {
                    len: 0x1000,
                    byte: 1
                }
            ),
            Some(now.clone())
        );
        // PROTECT_F moved by 1 MiB: no layout names that table, the NVRAM set is not shown.
        let (moved, _, _) = a516_tables(0x800);
        let next = reading.after(0, Content::Bytes(&moved[..512])).unwrap();
        assert_eq!(next.source, TableSource::Mbr { profile: None });
        assert!(nvram_set(&next).is_empty(), "{next:?}");
        // An erased MBR: no table at all.
        let erased = reading
            .after(
                0,
                Content::Fill {
                    len: 0x200,
                    byte: 0,
                },
            )
            .unwrap();
        assert_eq!(erased.source, TableSource::None);
        // An MBR that points its EBR somewhere not read and not written: cannot be told.
        let elsewhere = sector(&[(0x05, 0x800, 0xFFFF_FFFF), (0x83, 0x4800, 0x10)]);
        assert_eq!(reading.after(0, Content::Bytes(&elsewhere[..512])), None);
        // ... unless the same write carries that EBR too.
        let mut both = vec![0u8; 0x100200];
        both[..512].copy_from_slice(&elsewhere[..512]);
        both[0x100000..].copy_from_slice(&same_ebr);
        assert!(reading.after(0, Content::Bytes(&both)).is_some());
    }

    #[test]
    fn a_pmt_phone_keeps_its_pmt_while_the_marker_stays() {
        let mut first = vec![0u8; PROBE_LEN as usize];
        first[..10].copy_from_slice(b"EMMC_BOOT\0");
        let pmt = empty(0x40_0000);
        let reading =
            TableReading::new(first.clone(), Vec::new(), 0x40_0000, USER).with_pmt(pmt.clone());
        assert_eq!(reading.map(), pmt);
        assert_eq!(reading.after(0, Content::Bytes(&first)), Some(pmt));
        // A PMT this reading never got cannot be told.
        let blank = TableReading::new(vec![0; PROBE_LEN as usize], Vec::new(), 0x1000, USER);
        assert_eq!(blank.after(0, Content::Bytes(&first)), None);
    }
}
