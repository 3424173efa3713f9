//! The simulated phone's boot code: whether the preloader in its boot region can bring up
//! its RAM (then the phone has a preloader mode at power-on and its DA finds RAM ready), and
//! the `--preloader erased|foreign` damage a technician practises a dead-boot recovery on.
//!
//! A phone whose boot code cannot set up its RAM has only the BootROM, and its DA answers the
//! configuration block with 0xBC3 (decision E6): it goes on only with EMI settings whose
//! version is 11 and one of whose records has its flash id, the RAM type of its storage and
//! its RAM size. Pure over a [`Storage`]; no protocol bytes here.

use clap::ValueEnum;

use crate::{
    firmware::{
        emi::{self, RamPart},
        scatter::{Region, Storage as StorageKind},
        synth,
    },
    sim::{
        layout::Layout,
        rom::FOREIGN_PROJECT,
        storage::{Storage, StorageError, erased_byte},
    },
};

/// How much of the boot region is read to find the preloader's EMI table (the GFH at 0x800
/// plus a preloader of at most 0x20000 bytes, with room to spare).
pub const BOOT_SCAN: u64 = 0x4_0000;

/// The flash id of the RAM part a foreign preloader lists (another maker's MCP).
pub const FOREIGN_FLASH_ID: &[u8] = b"\x90\x01\x4aH9TP32";

/// The RAM size the foreign preloader's part has.
pub const FOREIGN_RAM: u64 = 256 << 20;

/// What happened to the phone's preloader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PreloaderDamage {
    /// The boot region is blank.
    Erased,
    /// The boot region holds another board's preloader (another project, another RAM part).
    Foreign,
}

/// Where the boot code lives: eMMC BOOT_1, or the PRELOADER partition of a NAND.
fn boot_area(layout: &Layout, storage: &dyn Storage) -> (Region, u64, u64) {
    match layout.kind() {
        StorageKind::Emmc => (Region::EmmcBoot1, 0, storage.size(Region::EmmcBoot1)),
        StorageKind::Nand => layout
            .part("PRELOADER")
            .map_or((Region::Nand, 0, 0), |p| (Region::Nand, p.offset, p.size)),
    }
}

/// The foreign board's RAM part (same storage type, another flash id and size).
pub fn foreign_part(layout: &Layout) -> RamPart {
    let mut part = layout.ram_part();
    part.flash_id = FOREIGN_FLASH_ID.to_vec();
    part.ranks = [FOREIGN_RAM as u32, 0, 0, 0];
    part
}

/// Another board's flashable preloader: [`FOREIGN_PROJECT`], EMI v11, [`foreign_part`].
pub fn foreign_preloader(layout: &Layout) -> Vec<u8> {
    synth::preloader_for_ram(FOREIGN_PROJECT, 11, &[foreign_part(layout)])
}

/// Erases the boot code, or replaces it with [`foreign_preloader`].
pub fn damage(
    storage: &mut dyn Storage,
    layout: &Layout,
    how: PreloaderDamage,
) -> Result<(), StorageError> {
    let (region, offset, len) = boot_area(layout, storage);
    storage.erase(region, offset, len)?;
    if how == PreloaderDamage::Foreign {
        let pl = foreign_preloader(layout);
        let bytes = match layout.kind() {
            StorageKind::Emmc => synth::emmc_boot_region(&pl),
            StorageKind::Nand => pl,
        };
        storage.write(region, offset, &bytes)?;
    }
    Ok(())
}

/// True when `part` can bring up this phone's RAM: its flash id, its storage's MCP type, its
/// RAM size.
pub fn fits(part: &RamPart, layout: &Layout, flash_id: &[u8]) -> bool {
    let own = layout.ram_part();
    part.fits_flash_id(flash_id) && part.kind == own.kind && part.ram_size() == layout.ram_size
}

/// True when the boot code holds a preloader whose EMI table fits this phone.
pub fn boots(storage: &mut dyn Storage, layout: &Layout, flash_id: &[u8]) -> bool {
    let (region, offset, len) = boot_area(layout, storage);
    let mut head = vec![erased_byte(layout.kind()); len.min(BOOT_SCAN) as usize];
    if storage.read(region, offset, &mut head).is_err() {
        return false;
    }
    emi::extract(&head).is_ok_and(|b| b.parts.iter().any(|p| fits(p, layout, flash_id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        profile::Registry,
        sim::{identity::Identity, storage::MemStorage},
    };

    fn phone() -> (Layout, MemStorage, Identity) {
        let reg = Registry::builtin();
        let profile = &reg.get("a516_row").unwrap().profile;
        let layout = Layout::from_profile(profile, StorageKind::Emmc).unwrap();
        let mut storage = MemStorage::new(layout.geometry.clone());
        let id = Identity::from_serial("SIMDEAD0001");
        layout.populate(&mut storage, &id).unwrap();
        (layout, storage, id)
    }

    #[test]
    fn a_healthy_phone_boots_and_a_damaged_one_does_not() {
        let (layout, mut storage, id) = phone();
        assert!(boots(&mut storage, &layout, &id.cid));
        damage(&mut storage, &layout, PreloaderDamage::Foreign).unwrap();
        assert!(!boots(&mut storage, &layout, &id.cid));
        let mut head = vec![0; 0x1000];
        storage.read(Region::EmmcBoot1, 0, &mut head).unwrap();
        assert!(head.starts_with(b"EMMC_BOOT"));
        damage(&mut storage, &layout, PreloaderDamage::Erased).unwrap();
        assert!(!boots(&mut storage, &layout, &id.cid));
        storage.read(Region::EmmcBoot1, 0, &mut head).unwrap();
        assert!(head.iter().all(|&b| b == 0));
    }

    #[test]
    fn only_the_boards_own_ram_part_fits() {
        let (layout, _, id) = phone();
        assert!(fits(&layout.ram_part(), &layout, &id.cid));
        assert!(!fits(&foreign_part(&layout), &layout, &id.cid));
        let wrong_size = RamPart {
            ranks: [128 << 20, 0, 0, 0],
            ..layout.ram_part()
        };
        assert!(!fits(&wrong_size, &layout, &id.cid));
        let nand = RamPart {
            kind: 0x0102,
            ..layout.ram_part()
        };
        assert!(!fits(&nand, &layout, &id.cid));
    }
}
