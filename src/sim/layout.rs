//! What a simulated phone's flash holds, worked out from a board profile: the size of each
//! region, where each partition lies, the partition table the DA reports (PMT), and the
//! content written when a phone is built.
//!
//! Pure except [`Layout::populate`], which writes through the [`Storage`] trait. Knows no
//! protocol beyond the PMT entry type, and no I/O of its own.
//!
//! # Sizes (simulator choices)
//!
//! - eMMC: EMMC_BOOT_1 and EMMC_BOOT_2 take the profile's `boot_region_size` (the scatter's
//!   PRELOADER size); the user area is the smallest of the usual MT6572 eMMC user sizes
//!   ([`EMMC_USER_SIZES`]: 4, 8, 16, 32 GB parts) that holds every partition, the BMT pool,
//!   and at least [`MIN_LAST_PARTITION`] for a last partition of size 0 ("to the end").
//! - NAND: the smallest power of two from 256 MiB that holds the same. A NAND phone built from
//!   an eMMC profile lays the profile out in scatter linear addresses: PRELOADER at 0 (size
//!   `boot_region_size`), every user-area partition moved up by that size.
//! - A last partition of size 0 ends where the BMT pool starts.
//!
//! # Content
//!
//! | where | what |
//! |-------|------|
//! | EMMC_BOOT_1 (NAND: PRELOADER) | the preloader of the profile's project, `MTK_BLOADER_INFO_v<NN>` inside, as an `EMMC_BOOT` readback (NAND: the flashable image) |
//! | MBR, EBR1, EBR2 (eMMC) | tables per MT6572.md §7.2: MBR slot 0 extended at EBR1 with 0xFFFFFFFF sectors, slots 1–3 and the EBRs list the file-system partitions ([`FILE_SYSTEMS`]) in layout order, EBR LBAs relative to EBR1 |
//! | file-system partitions | an ext4 superblock at +0x400 naming the mount point in `s_last_mounted` (how mtkclient names MBR partitions) |
//! | PRO_INFO, NVRAM, PROTECT_F, PROTECT_S | the serial-derived content of [`crate::sim::identity`] |
//! | UBOOT | an LK image carrying the profile's LCM driver names |
//! | BOOTIMG, RECOVERY | Android boot images whose gzip'd kernel carries the same names |
//! | LOGO | a MediaTek `LOGO` image |
//!
//! Everything else reads as erased.

use sha2::{Digest, Sha256};

use crate::{
    firmware::{
        emi,
        partition_table::SECTOR,
        scatter::{Region, Storage as StorageKind},
        synth::{self, TableEntry},
    },
    profile::BoardProfile,
    protocol::{da::PmtEntry, decisions::SIM_NAND_IDS},
    sim::{
        SimError,
        identity::Identity,
        storage::{Geometry, Storage, StorageError},
    },
};

/// Usual MT6572 eMMC user-area sizes (4, 8, 16 and 32 GB parts).
pub const EMMC_USER_SIZES: [u64; 4] = [0xE900_0000, 0x1_D200_0000, 0x3_A400_0000, 0x7_4800_0000];

/// The least room a last partition of size 0 gets.
pub const MIN_LAST_PARTITION: u64 = 256 << 20;

/// Smallest simulated NAND array.
const MIN_NAND: u64 = 256 << 20;

/// The EMI info version written when a profile records none (every MT6572 preloader seen
/// carries v11).
pub const DEFAULT_EMI_VERSION: u32 = 11;

/// Partitions holding a file system on MT6572, with their mount points, in the order the
/// partition tables list them.
pub const FILE_SYSTEMS: [(&str, &str); 7] = [
    ("PROTECT_F", "/protect_f"),
    ("PROTECT_S", "/protect_s"),
    ("PRELOAD", "/preload"),
    ("CUSTPACK", "/custpack"),
    ("ANDROID", "/system"),
    ("CACHE", "/cache"),
    ("USRDATA", "/data"),
];

/// One partition as the simulated phone has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Name, as in the profile.
    pub name: String,
    /// Offset in the user area (NAND: in the array).
    pub offset: u64,
    /// Size in bytes (a last partition of size 0 is resolved).
    pub size: u64,
}

/// The flash of one simulated phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Region sizes.
    pub geometry: Geometry,
    /// Partitions of the user area (NAND: of the array), in address order.
    pub parts: Vec<Part>,
    /// The project name the preloader carries.
    pub project: String,
    /// The `NN` of `MTK_BLOADER_INFO_vNN` in the preloader.
    pub emi_version: u32,
    /// LCM driver names in UBOOT and the kernels.
    pub lcm: Vec<String>,
    /// The BMT pool reserved at the end of the user area (NAND: array).
    pub bmt_pool: u64,
    /// NAND page size (the profile's, else [`DEFAULT_PAGE_SIZE`]).
    pub page_size: u64,
    /// Erase block size (the profile's, else 64 pages).
    pub block_size: u64,
    /// External RAM size (the profile's, else [`DEFAULT_RAM_SIZE`]).
    pub ram_size: u64,
}

/// NAND page size when a profile gives none.
pub const DEFAULT_PAGE_SIZE: u64 = 2048;

/// External RAM size when a profile gives none (512 MiB, the most common MT6572 fit).
pub const DEFAULT_RAM_SIZE: u64 = 512 << 20;

impl Layout {
    /// The layout of a phone of `kind` built from `profile`.
    pub fn from_profile(profile: &BoardProfile, kind: StorageKind) -> Result<Layout, SimError> {
        use crate::profile::StorageKind as Board;
        let boot = profile.storage.boot_region_size.unwrap_or(0);
        let shift = match (profile.storage.kind, kind) {
            (Board::Emmc, StorageKind::Emmc) | (Board::Nand, StorageKind::Nand) => 0,
            (Board::Emmc, StorageKind::Nand) => boot,
            (Board::Nand, StorageKind::Emmc) => {
                return Err(SimError::NandProfile {
                    profile: profile.id.clone(),
                });
            }
        };
        let mut parts: Vec<Part> = Vec::new();
        if shift > 0 {
            parts.push(Part {
                name: "PRELOADER".into(),
                offset: 0,
                size: boot,
            });
        }
        parts.extend(profile.layout.iter().map(|p| Part {
            name: p.name.clone(),
            offset: p.offset + shift,
            size: p.size,
        }));
        let bmt_pool = profile.storage.bmt_pool_size.unwrap_or(0);
        let last_open = parts.last().is_some_and(|p| p.size == 0);
        let end = parts.iter().map(|p| p.offset + p.size).max().unwrap_or(0);
        let need = end + bmt_pool + if last_open { MIN_LAST_PARTITION } else { 0 };
        let size = match kind {
            StorageKind::Emmc => EMMC_USER_SIZES.iter().copied().find(|&s| s >= need),
            StorageKind::Nand => {
                let s = need.max(MIN_NAND).checked_next_power_of_two();
                s.filter(|&s| s <= 1 << 36)
            }
        }
        .ok_or_else(|| SimError::TooLarge {
            profile: profile.id.clone(),
            bytes: need,
        })?;
        if let Some(last) = parts.last_mut().filter(|p| p.size == 0) {
            last.size = size - bmt_pool - last.offset;
        }
        let geometry = match kind {
            StorageKind::Emmc => Geometry::emmc(boot, size),
            StorageKind::Nand => Geometry::nand(size),
        };
        let project = profile
            .preloader
            .as_ref()
            .map(|p| p.project.clone())
            .or_else(|| profile.projects.first().cloned())
            .unwrap_or_else(|| profile.id.clone());
        let emi_version = profile
            .preloader
            .as_ref()
            .and_then(|p| p.bloader_info_version)
            .unwrap_or(DEFAULT_EMI_VERSION);
        let page_size = profile.storage.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        Ok(Layout {
            geometry,
            parts,
            project,
            emi_version,
            lcm: profile.lcm.drivers.clone(),
            bmt_pool,
            page_size,
            block_size: profile.storage.block_size.unwrap_or(page_size * 64),
            ram_size: profile.ram_size.unwrap_or(DEFAULT_RAM_SIZE),
        })
    }

    /// eMMC or NAND.
    pub fn kind(&self) -> StorageKind {
        self.geometry.kind
    }

    /// The region that holds the partitions.
    pub fn data_region(&self) -> Region {
        match self.kind() {
            StorageKind::Emmc => Region::EmmcUser,
            StorageKind::Nand => Region::Nand,
        }
    }

    /// The partition called `name` (any case).
    pub fn part(&self, name: &str) -> Option<&Part> {
        self.parts
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The partition table the DA answers to 0xA5: every partition with its offset in the
    /// user area (NAND: the array); the first entry's mask flags carry the 0xFF layout marker.
    pub fn pmt(&self) -> Vec<PmtEntry> {
        self.parts
            .iter()
            .enumerate()
            .map(|(i, p)| PmtEntry {
                name: p.name.clone(),
                size: p.size,
                mask_flags: if i == 0 { 0xFF } else { 0 },
                offset: p.offset,
            })
            .collect()
    }

    /// The MBR and EBR sectors and where they go (user-area offsets); empty on NAND.
    pub fn partition_tables(&self) -> Vec<(u64, Vec<u8>)> {
        let Some(mbr) = self
            .part("MBR")
            .filter(|_| self.kind() == StorageKind::Emmc)
        else {
            return Vec::new();
        };
        let fs: Vec<&Part> = self
            .parts
            .iter()
            .filter(|p| mount_point(&p.name).is_some())
            .collect();
        let entry = |p: &Part, base: u64| TableEntry {
            type_code: 0x83,
            start_lba: u32::try_from((p.offset - base) / SECTOR).unwrap_or(u32::MAX),
            sectors: u32::try_from(p.size / SECTOR).unwrap_or(u32::MAX),
        };
        let ebrs: Vec<&Part> = ["EBR1", "EBR2"]
            .iter()
            .filter_map(|n| self.part(n))
            .collect();
        let mut out = Vec::new();
        let mut rest = fs.as_slice();
        let mut mbr_entries = Vec::new();
        if let Some(ebr1) = ebrs.first() {
            mbr_entries.push(TableEntry {
                type_code: 0x05,
                start_lba: u32::try_from(ebr1.offset / SECTOR).unwrap_or(u32::MAX),
                sectors: u32::MAX,
            });
        }
        let take = 4 - mbr_entries.len();
        let (now, later) = rest.split_at(take.min(rest.len()));
        mbr_entries.extend(now.iter().map(|p| entry(p, 0)));
        rest = later;
        out.push((mbr.offset, synth::partition_sector(&mbr_entries)));
        let base = ebrs.first().map_or(0, |e| e.offset);
        for ebr in &ebrs {
            let (now, later) = rest.split_at(4.min(rest.len()));
            let entries: Vec<TableEntry> = now
                .iter()
                .filter(|p| p.offset >= base)
                .map(|p| entry(p, base))
                .collect();
            out.push((ebr.offset, synth::partition_sector(&entries)));
            rest = later;
        }
        out
    }

    /// The RAM part of this board as its preloader's EMI table lists it: eMMC + LPDDR2 with
    /// the eMMC's flash id, or NAND + LPDDR2 with the NAND ids; the board's RAM size.
    pub fn ram_part(&self) -> emi::RamPart {
        let mut part = synth::sim_ram_part(self.ram_size);
        if self.kind() == StorageKind::Nand {
            part.kind = 0x0102;
            part.flash_id = self.nand_flash_id()[..SIM_NAND_IDS.len()].to_vec();
        }
        part
    }

    /// The flash id a NAND phone's DA reports after 0xBC3: its READ ID bytes, zero padded.
    pub fn nand_flash_id(&self) -> [u8; 16] {
        let mut id = [0u8; 16];
        for (d, s) in id.iter_mut().zip(SIM_NAND_IDS) {
            *d = s as u8;
        }
        id
    }

    /// The board's flashable preloader: its project, EMI version and RAM part.
    pub fn preloader(&self) -> Vec<u8> {
        synth::preloader_for_ram(&self.project, self.emi_version, &[self.ram_part()])
    }

    /// Writes a new phone's content (see the module documentation) to an erased `storage`.
    pub fn populate(&self, storage: &mut dyn Storage, id: &Identity) -> Result<(), StorageError> {
        let preloader = self.preloader();
        match self.kind() {
            StorageKind::Emmc => {
                storage.write(Region::EmmcBoot1, 0, &synth::emmc_boot_region(&preloader))?;
            }
            StorageKind::Nand => self.put(storage, "PRELOADER", 0, &preloader)?,
        }
        let region = self.data_region();
        for (offset, sector) in self.partition_tables() {
            storage.write(region, offset, &sector)?;
        }
        for name in crate::firmware::NVRAM_SET {
            if let Some(content) = id.nvram_content(name) {
                self.put(storage, name, 0, &content)?;
            }
        }
        for part in &self.parts {
            if let Some(mount) = mount_point(&part.name) {
                let sb = ext4_superblock(&part.name, mount, part.size, &id.serial);
                self.put(storage, &part.name, 0x400, &sb)?;
            }
        }
        let lcm: Vec<&str> = self.lcm.iter().map(String::as_str).collect();
        self.put(storage, "UBOOT", 0, &synth::lk_image(&lcm))?;
        let boot = synth::boot_image(&synth::kernel_image(&lcm), &synth::ramdisk_image(), 2048);
        self.put(storage, "BOOTIMG", 0, &boot)?;
        self.put(storage, "RECOVERY", 0, &boot)?;
        self.put(
            storage,
            "LOGO",
            0,
            &synth::mtk_image("LOGO", b"mtkbench simulated boot logo (no picture)"),
        )?;
        Ok(())
    }

    /// Writes `bytes` at `at` inside partition `name`, if the phone has it and it fits.
    fn put(
        &self,
        storage: &mut dyn Storage,
        name: &str,
        at: u64,
        bytes: &[u8],
    ) -> Result<(), StorageError> {
        match self.part(name) {
            Some(p) if at + bytes.len() as u64 <= p.size => {
                storage.write(self.data_region(), p.offset + at, bytes)
            }
            Some(p) => {
                tracing::warn!(
                    partition = %p.name,
                    size = p.size,
                    content = bytes.len(),
                    "simulated content does not fit its partition; left erased"
                );
                Ok(())
            }
            None => Ok(()),
        }
    }
}

/// The mount point of a file-system partition.
pub fn mount_point(name: &str) -> Option<&'static str> {
    FILE_SYSTEMS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, m)| *m)
}

/// Offsets inside an ext4 superblock (which starts 0x400 into the partition).
const SB_MAGIC: usize = 0x38;
const SB_UUID: usize = 0x68;
const SB_VOLUME: usize = 0x78;
const SB_LAST_MOUNTED: usize = 0x88;

/// A 1024-byte ext4 superblock for an empty file system of `size` bytes (4 KiB blocks),
/// labelled with the partition name and its mount point; the UUID derives from the serial.
pub fn ext4_superblock(name: &str, mount: &str, size: u64, serial: &str) -> Vec<u8> {
    let mut sb = vec![0u8; 1024];
    let mut put32 = |at: usize, v: u32| sb[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let blocks = u32::try_from(size / 4096).unwrap_or(u32::MAX);
    put32(0x00, blocks / 4); // inodes
    put32(0x04, blocks); // blocks
    put32(0x18, 2); // log2(block size) - 10
    put32(0x20, 32768); // blocks per group
    put32(0x28, 8192); // inodes per group
    put32(0x4C, 1); // dynamic revision
    put32(0x54, 11); // first inode
    sb[SB_MAGIC..SB_MAGIC + 2].copy_from_slice(&0xEF53u16.to_le_bytes());
    sb[0x3A] = 1; // clean
    sb[0x58..0x5A].copy_from_slice(&256u16.to_le_bytes()); // inode size
    let uuid = Sha256::digest(format!("ext4:{name}:{serial}").as_bytes());
    sb[SB_UUID..SB_UUID + 16].copy_from_slice(&uuid[..16]);
    let label = name.to_ascii_lowercase();
    let n = label.len().min(16);
    sb[SB_VOLUME..SB_VOLUME + n].copy_from_slice(&label.as_bytes()[..n]);
    let n = mount.len().min(64);
    sb[SB_LAST_MOUNTED..SB_LAST_MOUNTED + n].copy_from_slice(&mount.as_bytes()[..n]);
    sb
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        firmware::{lcm, partition_table, preloader},
        profile::Registry,
        sim::storage::MemStorage,
    };

    fn profile(id: &str) -> BoardProfile {
        Registry::builtin().get(id).unwrap().profile.clone()
    }

    fn read(s: &mut MemStorage, region: Region, at: u64, len: usize) -> Vec<u8> {
        let mut buf = vec![0u8; len];
        s.read(region, at, &mut buf).unwrap();
        buf
    }

    #[test]
    fn a516_fits_a_4gb_emmc_and_its_last_partition_keeps_its_size() {
        let l = Layout::from_profile(&profile("a516_row"), StorageKind::Emmc).unwrap();
        assert_eq!(l.geometry.size(Region::EmmcBoot1), 0x60_0000);
        assert_eq!(l.geometry.size(Region::EmmcUser), EMMC_USER_SIZES[0]);
        assert_eq!(l.project, "a516_row");
        assert_eq!(l.emi_version, 11);
        assert_eq!(l.part("usrdata").unwrap().size, 0x6000_0000);
        assert_eq!(l.pmt()[0].mask_flags & 0xFF, 0xFF);
        assert_eq!(l.pmt().len(), l.parts.len());
    }

    #[test]
    fn an_open_last_partition_runs_to_the_bmt_pool() {
        let l = Layout::from_profile(&profile("a101"), StorageKind::Emmc).unwrap();
        let fat = l.part("FAT").unwrap();
        let ua = l.geometry.size(Region::EmmcUser);
        assert_eq!(fat.offset + fat.size + l.bmt_pool, ua);
        assert!(fat.size >= MIN_LAST_PARTITION);
    }

    #[test]
    fn nand_profiles_refuse_emmc_and_emmc_profiles_shift_onto_nand() {
        let nand = profile("ref_nand_2k");
        assert!(matches!(
            Layout::from_profile(&nand, StorageKind::Emmc),
            Err(SimError::NandProfile { .. })
        ));
        let l = Layout::from_profile(&nand, StorageKind::Nand).unwrap();
        assert_eq!(l.geometry.size(Region::Nand), 1 << 30);
        assert_eq!(l.parts[0].name, "PRELOADER");
        let l = Layout::from_profile(&profile("a516_row"), StorageKind::Nand).unwrap();
        assert_eq!(l.part("PRELOADER").unwrap().size, 0x60_0000);
        assert_eq!(l.part("NVRAM").unwrap().offset, 0x40_0000 + 0x60_0000);
        assert!(l.partition_tables().is_empty());
    }

    #[test]
    fn partition_tables_match_the_real_a516_tables() {
        let l = Layout::from_profile(&profile("a516_row"), StorageKind::Emmc).unwrap();
        let tables = l.partition_tables();
        assert_eq!(tables[0].0, 0);
        let mbr = partition_table::parse(&tables[0].1).unwrap();
        let got: Vec<_> = mbr
            .entries
            .iter()
            .map(|e| (e.type_code, e.start_lba, e.sectors))
            .collect();
        // The real A516 MBR (realdata/mbr/DECODED_partition_entries.txt).
        assert_eq!(
            got,
            [
                (0x05, 0x400, 0xFFFF_FFFF),
                (0x83, 0x4800, 0x5000),
                (0x83, 0x9800, 0x5000),
                (0x83, 0x1BA00, 0x64000)
            ]
        );
        assert_eq!(tables[1].0, 0x80000);
        let ebr = partition_table::parse(&tables[1].1).unwrap();
        let got: Vec<_> = ebr
            .entries
            .iter()
            .map(|e| (e.start_lba, e.sectors))
            .collect();
        assert_eq!(got[..2], [(0x7F600, 0x20_0000), (0x27F600, 0x3F000)]);
        assert_eq!(got[2].0, 0x2BE600);
    }

    #[test]
    fn populated_phone_carries_project_tables_identity_and_lcm_names() {
        let p = profile("a516_row");
        let l = Layout::from_profile(&p, StorageKind::Emmc).unwrap();
        let mut s = MemStorage::new(l.geometry.clone());
        let id = Identity::from_serial("SIM0001");
        l.populate(&mut s, &id).unwrap();

        let boot1 = read(&mut s, Region::EmmcBoot1, 0, 0x20000);
        let info = preloader::scan(&boot1[..]).unwrap();
        assert_eq!(info.project.as_deref(), Some("a516_row"));
        assert_eq!(info.emi_version, Some(11));

        let mbr = read(&mut s, Region::EmmcUser, 0, 512);
        assert_eq!(partition_table::parse(&mbr).unwrap().entries.len(), 4);

        let nv = l.part("NVRAM").unwrap();
        let head = read(&mut s, Region::EmmcUser, nv.offset, 64);
        assert!(head.starts_with(b"MTKBENCH SIMULATED NVRAM\nserial=SIM0001"));

        let sys = l.part("ANDROID").unwrap();
        let sb = read(&mut s, Region::EmmcUser, sys.offset + 0x400, 1024);
        assert_eq!(&sb[SB_MAGIC..SB_MAGIC + 2], &[0x53, 0xEF]);
        assert!(sb[SB_LAST_MOUNTED..].starts_with(b"/system\0"));

        let uboot = l.part("UBOOT").unwrap();
        let lk = read(&mut s, Region::EmmcUser, uboot.offset, uboot.size as usize);
        assert_eq!(lcm::names_in(&lk[..]).unwrap(), p.lcm.drivers);

        let bootimg = l.part("BOOTIMG").unwrap();
        let img = read(
            &mut s,
            Region::EmmcUser,
            bootimg.offset,
            bootimg.size as usize,
        );
        assert_eq!(
            lcm::names_in_boot_image(&img[..]).unwrap().names,
            p.lcm.drivers
        );
    }

    #[test]
    fn every_builtin_profile_builds_a_phone() {
        for entry in Registry::builtin().iter() {
            let p = &entry.profile;
            let kinds: &[StorageKind] = match p.storage.kind {
                crate::profile::StorageKind::Emmc => &[StorageKind::Emmc, StorageKind::Nand],
                crate::profile::StorageKind::Nand => &[StorageKind::Nand],
            };
            for &kind in kinds {
                let l = Layout::from_profile(p, kind)
                    .unwrap_or_else(|e| panic!("{} {kind}: {e}", p.id));
                let mut s = MemStorage::new(l.geometry.clone());
                l.populate(&mut s, &Identity::from_serial(&p.id)).unwrap();
                let end = l.parts.iter().map(|x| x.offset + x.size).max().unwrap();
                assert!(
                    end + l.bmt_pool <= l.geometry.size(l.data_region()),
                    "{}",
                    p.id
                );
                let region = l.data_region();
                let first = match kind {
                    StorageKind::Emmc => read(&mut s, Region::EmmcBoot1, 0, 0x20000),
                    StorageKind::Nand => read(&mut s, region, 0, 0x20000),
                };
                let info = preloader::scan(&first[..]).unwrap();
                assert_eq!(
                    info.project.as_deref(),
                    Some(l.project.as_str()),
                    "{}",
                    p.id
                );
            }
        }
    }
}
