//! What the flash planner is told: the phone ([`DeviceFacts`]), the ROM ([`RomView`]), the
//! identity backup at hand ([`BackupFacts`]), and the comparison of the two partition layouts
//! ([`differences`]). Plain values built from the fingerprint, the scatter and `rom inspect`'s
//! report, so the planner stays a pure function and tests can build any phone or ROM.
//!
//! No I/O here, and no decision about what to write: that is [`super::plan`]'s.

use serde::Serialize;

use crate::{
    device::{
        Fingerprint,
        fingerprint::StorageFacts,
        target::{Partition, Region},
    },
    firmware::{
        board::BoardFacts,
        facts::LayoutEntry,
        preloader::PreloaderIdentity,
        rom::RomReport,
        scatter::{self, Scatter, Storage},
    },
};

/// The phone as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceFacts {
    /// What tells this phone from every other ([`Fingerprint::device_key`]); a backup names
    /// the phone it came from by this key.
    pub key: String,
    /// The chip's hardware code (0x6572).
    pub hw_code: u16,
    /// eMMC or NAND; `None` for anything else (NOR, nothing found).
    pub storage: Option<Storage>,
    /// The size of every region the phone has.
    pub regions: Vec<(Region, u64)>,
    /// The phone's partition table.
    pub partitions: Vec<Partition>,
    /// Project and EMI version of the preloader in the phone's BOOT_1, when it was read.
    pub preloader: Option<PreloaderIdentity>,
}

impl DeviceFacts {
    /// The planner's view of an identified phone.
    pub fn from_fingerprint(fp: &Fingerprint) -> DeviceFacts {
        let (storage, regions) = match &fp.storage {
            StorageFacts::Emmc {
                boot1_size,
                boot2_size,
                user_size,
                ..
            } => (
                Some(Storage::Emmc),
                vec![
                    (Region::Boot1, *boot1_size),
                    (Region::Boot2, *boot2_size),
                    (Region::User, *user_size),
                ],
            ),
            StorageFacts::Nand { size, .. } => (Some(Storage::Nand), vec![(Region::Nand, *size)]),
            StorageFacts::Nor { .. } => (None, Vec::new()),
        };
        DeviceFacts {
            key: fp.device_key(),
            hw_code: fp.hw_code,
            storage,
            regions,
            partitions: fp
                .partitions
                .iter()
                .map(|p| Partition {
                    name: p.name.clone(),
                    region: p.region,
                    offset: p.offset,
                    size: p.size,
                })
                .collect(),
            preloader: fp.preloader.clone(),
        }
    }

    /// The size of `region`, or `None` when the phone has no such region.
    pub fn region_size(&self, region: Region) -> Option<u64> {
        self.regions
            .iter()
            .find(|(r, _)| *r == region)
            .map(|(_, size)| *size)
    }

    /// The phone's partition called `name` (any case).
    pub fn partition(&self, name: &str) -> Option<&Partition> {
        self.partitions
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// What the phone says about its board, for [`crate::firmware::board::check`]: storage, its
/// own preloader's project and EMI version, and its layout outside the boot regions. The
/// boot region's size in scatter addresses is left unknown (the phone reports its physical
/// boot partition, which scatters do not always use as their user-area start).
pub fn board_of(fp: &Fingerprint) -> BoardFacts {
    let device = DeviceFacts::from_fingerprint(fp);
    BoardFacts {
        origin: "the connected phone".into(),
        storage: device.storage,
        preloader_project: fp.preloader.as_ref().and_then(|p| p.project.clone()),
        emi_version: fp.preloader.as_ref().and_then(|p| p.emi_version),
        boot_region_size: None,
        layout: device
            .partitions
            .iter()
            .filter_map(|p| {
                let region = match p.region {
                    Region::User => scatter::Region::EmmcUser,
                    Region::Nand => scatter::Region::Nand,
                    Region::Boot1 | Region::Boot2 => return None,
                };
                Some(LayoutEntry {
                    name: p.name.clone(),
                    region,
                    region_offset: p.offset,
                    size: Some(p.size),
                })
            })
            .collect(),
    }
}

/// The image a ROM holds for one partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RomImage {
    /// File name as the scatter writes it.
    pub file: String,
    /// Whether the scatter marks it to be downloaded.
    pub download: bool,
    /// Its size in bytes; `None` when the file is missing from the package.
    pub size: Option<u64>,
    /// SHA-256, lower-case hex, when the file was read.
    pub sha256: Option<String>,
}

/// One partition of the ROM's layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RomPartition {
    /// Name as the scatter writes it.
    pub name: String,
    /// The region it lives in.
    pub region: Region,
    /// Offset inside the region.
    pub offset: u64,
    /// Size in bytes, when the scatter gives it.
    pub size: Option<u64>,
    /// A boot loader (the preloader): written only under the preloader guard.
    pub bootloader: bool,
    /// The image for it, if the scatter names one.
    pub image: Option<RomImage>,
}

/// The ROM as the planner needs it: the scatter's layout with each image's size and hash
/// (built from the package's [`crate::firmware::facts::RomFacts`] and its scatter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RomView {
    /// The platform the scatter names (`MT6572`).
    pub platform: Option<String>,
    /// The storage the scatter is for.
    pub storage: Storage,
    /// Real partitions in scatter order (pseudo addresses such as BMTPOOL left out).
    pub partitions: Vec<RomPartition>,
    /// Project and EMI version of the ROM's preloader image.
    pub preloader: Option<PreloaderIdentity>,
}

impl RomView {
    /// The ROM's user-area layout, to name the MBR/EBR table once its images are written
    /// (no board profile knows a layout made for another board).
    pub fn naming(&self, source: &str) -> crate::device::table::Naming {
        crate::device::table::Naming {
            source: source.into(),
            layout: self
                .partitions
                .iter()
                .filter(|p| p.region == Region::EmmcUser)
                .map(|p| (p.name.clone(), p.offset, p.size.unwrap_or(0)))
                .collect(),
        }
    }

    /// Puts together the scatter's layout and what `rom inspect` read of each image.
    pub fn new(scatter: &Scatter, report: &RomReport) -> RomView {
        let partitions = scatter
            .partitions
            .iter()
            .filter(|p| !p.address_is_pseudo)
            .map(|p| RomPartition {
                name: p.name.clone(),
                region: p.region,
                offset: p.region_offset,
                size: p.size,
                bootloader: is_bootloader(p),
                image: p.file.as_ref().map(|file| {
                    let read = report
                        .images
                        .iter()
                        .find(|i| i.partition == p.name && &i.file == file && i.present);
                    RomImage {
                        file: file.clone(),
                        download: p.download,
                        size: read.and_then(|i| i.size),
                        sha256: read.and_then(|i| i.sha256.clone()),
                    }
                }),
            })
            .collect();
        RomView {
            platform: scatter.platform.clone(),
            storage: scatter.storage,
            partitions,
            preloader: report.preloader.as_ref().map(|p| p.identity.clone()),
        }
    }

    /// The ROM's partition called `name` (any case).
    pub fn partition(&self, name: &str) -> Option<&RomPartition> {
        self.partitions
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// A boot loader, whatever the scatter's `operation_type` says: marked so, named PRELOADER,
/// or living in an eMMC boot region (the preloader's home).
fn is_bootloader(p: &scatter::Partition) -> bool {
    p.is_bootloader()
        || p.name.eq_ignore_ascii_case("PRELOADER")
        || matches!(
            p.region,
            scatter::Region::EmmcBoot1 | scatter::Region::EmmcBoot2
        )
}

/// One partition held in an identity backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackedUp {
    /// Partition name.
    pub name: String,
    /// Bytes held.
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

/// An identity backup the plan may restore from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupFacts {
    /// The backup's id in the store.
    pub id: String,
    /// The [`DeviceFacts::key`] of the phone it was read from.
    pub device_key: String,
    /// True when its files were re-hashed against its manifest and all matched.
    pub verified: bool,
    /// True when it was taken in the current connection (the phone has not been touched
    /// since).
    pub this_session: bool,
    /// What it holds.
    pub partitions: Vec<BackedUp>,
}

impl BackupFacts {
    /// What the planner needs of `backup`, checked (`verified`: every file matched its
    /// manifest), taken in this connection or not.
    pub fn of(backup: &crate::backup::Backup, verified: bool, this_session: bool) -> BackupFacts {
        BackupFacts {
            id: backup.id.clone(),
            device_key: backup.manifest.device_key.clone(),
            verified,
            this_session,
            partitions: backup
                .manifest
                .files
                .iter()
                .map(|f| BackedUp {
                    name: f.partition.clone(),
                    size: f.length,
                    sha256: f.sha256.clone(),
                })
                .collect(),
        }
    }

    /// The backed-up copy of `name` (any case).
    pub fn partition(&self, name: &str) -> Option<&BackedUp> {
        self.partitions
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}

/// Where a partition lies in one layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    /// Region.
    #[serde(serialize_with = "Region::serialize_short")]
    pub region: Region,
    /// Offset inside the region.
    pub offset: u64,
    /// Size, when known.
    pub size: Option<u64>,
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:#x}", self.region.as_short(), self.offset)?;
        match self.size {
            Some(size) => write!(f, " size {size:#x}"),
            None => write!(f, " size unknown"),
        }
    }
}

/// A partition that lies differently on the phone and in the ROM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// Partition name.
    pub partition: String,
    /// Where the phone has it (`None`: the phone has no such partition).
    pub device: Option<Span>,
    /// Where the ROM puts it (`None`: the ROM has no such partition).
    pub rom: Option<Span>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.device, &self.rom) {
            (Some(d), Some(r)) => write!(f, "{}: phone {d}, ROM {r}", self.partition),
            (Some(d), None) => write!(f, "{}: on the phone ({d}), not in the ROM", self.partition),
            (None, Some(r)) => write!(f, "{}: in the ROM ({r}), not on the phone", self.partition),
            (None, None) => write!(f, "{}", self.partition),
        }
    }
}

/// Every partition whose place differs between the phone's table and the ROM's scatter
/// (boot loaders aside: they fill a hardware region, not the layout). Empty when the layouts
/// are the same.
pub fn differences(device: &DeviceFacts, rom: &RomView) -> Vec<Difference> {
    let mut out = Vec::new();
    for r in rom.partitions.iter().filter(|p| !p.bootloader) {
        let rom_span = Span {
            region: r.region,
            offset: r.offset,
            size: r.size,
        };
        match device.partition(&r.name) {
            Some(d)
                if d.region == r.region
                    && d.offset == r.offset
                    && r.size.is_none_or(|s| s == d.size) => {}
            found => out.push(Difference {
                partition: r.name.clone(),
                device: found.map(span_of),
                rom: Some(rom_span),
            }),
        }
    }
    let boot_region = |p: &Partition| p.region == Region::Boot1 || p.region == Region::Boot2;
    for d in &device.partitions {
        let is_bootloader = d.name.eq_ignore_ascii_case("PRELOADER") || boot_region(d);
        if !is_bootloader && rom.partition(&d.name).is_none() {
            out.push(Difference {
                partition: d.name.clone(),
                device: Some(span_of(d)),
                rom: None,
            });
        }
    }
    out
}

fn span_of(p: &Partition) -> Span {
    Span {
        region: p.region,
        offset: p.offset,
        size: Some(p.size),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{
        fingerprint::{PartitionFacts, TargetConfigFlags},
        table::TableSource,
    };

    fn nand_phone(me_id: &str) -> Fingerprint {
        Fingerprint {
            mode: crate::device::Mode::Brom,
            hw_code: 0x6572,
            hw_subcode: 0x8a00,
            hw_version: 0xca00,
            sw_version: 0,
            brom_version: 1,
            bl_version: 0xfe,
            target_config: TargetConfigFlags {
                sbc: false,
                sla: false,
                daa: false,
                raw: 0,
            },
            me_id: Some(me_id.into()),
            storage: StorageFacts::Nand {
                id: "ECDA".into(),
                flash_id: 0xDA,
                size: 1 << 28,
                page_size: 2048,
                pages_per_block: 64,
            },
            ram_size: 0x2000_0000,
            da_version: "040001".into(),
            partition_source: TableSource::Mbr { profile: None },
            partitions: vec![PartitionFacts {
                name: "NVRAM".into(),
                region: Region::Nand,
                offset: 0x10_0000,
                size: 0x50_0000,
            }],
            preloader: None,
            lcm: Vec::new(),
            pcb_marking: None,
            dead_boot: None,
        }
    }

    #[test]
    fn a_nand_phone_is_keyed_as_its_backups_are() {
        let a = nand_phone("00112233");
        // The backup store and the journal name the phone by Fingerprint::device_key: the
        // planner must use the same key or a NAND phone never matches its own backup.
        assert_eq!(DeviceFacts::from_fingerprint(&a).key, a.device_key());
        assert_eq!(DeviceFacts::from_fingerprint(&a).key, "meid-00112233");
        // Two phones with the same NAND part are still told apart.
        let b = nand_phone("44556677");
        assert_ne!(
            DeviceFacts::from_fingerprint(&a).key,
            DeviceFacts::from_fingerprint(&b).key
        );
    }
}
