//! ROM packages for a simulated board: what `mtkbench sim --write-rom DIR` writes, and what the
//! demo library and the tests are made of.
//!
//! [`build`] lays out a complete SP Flash Tool package for a board profile (a V1.1.1 scatter,
//! `preloader_<project>.bin` with its project and EMI version, MBR/EBR, `lk.bin` and `boot.img`
//! / `recovery.img` whose LK and kernel carry panel driver names, a logo, ext4 images, and a
//! `Checksum.ini`) that fits the phone `mtkbench sim` builds from the same profile, or that
//! deliberately does not fit in one named way ([`RomVariant`]), everything else equal, so a
//! test sees exactly one reason. [`write()`] puts it on disk as a new folder, atomically.
//!
//! The images come from [`crate::firmware::synth`] and the layout from
//! [`crate::sim::layout::Layout`], the same that build the simulated phone's flash: a package
//! that "fits" holds what the phone holds. Pure except [`write()`]; knows no port.

use std::path::Path;

use serde::Serialize;

use crate::{
    error::HostError,
    firmware::{
        NVRAM_SET,
        checksum::checksum16,
        scatter::{Partition, Region, Scatter, ScatterFormat, Storage, image_file_name},
        synth,
    },
    profile::{BoardProfile, StorageKind as BoardStorage},
    sim::{
        SimError,
        identity::Identity,
        layout::{Layout, Part, ext4_superblock, mount_point},
    },
};

/// How a package relates to the simulated board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RomVariant {
    /// Made for this board: same layout, preloader, panels; checksums right.
    Fits,
    /// LK and kernel carry other panels' drivers, none of the board's (white screen).
    WrongLcm,
    /// The user-area layout differs: ANDROID is 128 MiB larger, so CACHE and USRDATA move.
    OtherLayout,
    /// The preloader (and scatter project) of another board, with another EMI version.
    OtherBoard,
    /// Checksum.ini lists a wrong value for lk.bin.
    BadChecksum,
    /// A "full dump" package that also carries another phone's NVRAM set (PRO_INFO, NVRAM,
    /// PROTECT_F, PROTECT_S), marked for download.
    NvramInside,
    /// The same board laid out on NAND (for an eMMC board: the wrong storage type).
    Nand,
}

impl RomVariant {
    /// Every variant, in the order of the `--variant` list.
    pub const ALL: [RomVariant; 7] = [
        RomVariant::Fits,
        RomVariant::WrongLcm,
        RomVariant::OtherLayout,
        RomVariant::OtherBoard,
        RomVariant::BadChecksum,
        RomVariant::NvramInside,
        RomVariant::Nand,
    ];

    /// The command-line name (`fits`, `wrong-lcm`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RomVariant::Fits => "fits",
            RomVariant::WrongLcm => "wrong-lcm",
            RomVariant::OtherLayout => "other-layout",
            RomVariant::OtherBoard => "other-board",
            RomVariant::BadChecksum => "bad-checksum",
            RomVariant::NvramInside => "nvram-inside",
            RomVariant::Nand => "nand",
        }
    }
}

/// Panel drivers of the [`RomVariant::WrongLcm`] package: real MT6572 driver names that no
/// shipped profile lists.
pub const FOREIGN_LCM: [&str; 2] = ["ili9806e_fwvga_dsi_vdo", "nt35512_wvga_dsi_vdo"];

/// Preloader project of the [`RomVariant::OtherBoard`] package.
pub const FOREIGN_PROJECT: &str = "mtkbench_other_board";

/// EMI version of the [`RomVariant::OtherBoard`] preloader.
pub const FOREIGN_EMI_VERSION: u32 = 10;

/// How much larger ANDROID is in the [`RomVariant::OtherLayout`] package.
pub const LAYOUT_SHIFT: u64 = 128 << 20;

/// Serial of the phone whose NVRAM set the [`RomVariant::NvramInside`] package carries.
pub const DONOR_SERIAL: &str = "SIMDONOR0001";

/// A package in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RomPackage {
    /// The board profile it was made for.
    pub profile: String,
    /// How it relates to that board.
    pub variant: RomVariant,
    /// The preloader project it carries.
    pub project: String,
    /// eMMC or NAND.
    pub storage: Storage,
    /// File name and content, the scatter first.
    pub files: Vec<(String, Vec<u8>)>,
}

/// The scatter file's name.
pub const SCATTER_NAME: &str = crate::firmware::scatter::FILE_NAME;

/// The package of `variant` for `profile`.
pub fn build(profile: &BoardProfile, variant: RomVariant) -> Result<RomPackage, SimError> {
    build_with_system(profile, variant, IMAGE_LEN)
}

/// The length of each ext4 image [`build`] makes.
const IMAGE_LEN: usize = 0x2000;

/// [`build`] with a `system.img` (ANDROID) of `system_len` bytes (at least the usual 8 KiB,
/// its ext4 superblock first, zeros after), for measuring a large flash.
pub fn build_with_system(
    profile: &BoardProfile,
    variant: RomVariant,
    system_len: usize,
) -> Result<RomPackage, SimError> {
    let kind = match (variant, profile.storage.kind) {
        (RomVariant::Nand, _) | (_, BoardStorage::Nand) => Storage::Nand,
        _ => Storage::Emmc,
    };
    let mut layout = Layout::from_profile(profile, kind)?;
    match variant {
        RomVariant::WrongLcm => layout.lcm = FOREIGN_LCM.iter().map(|s| s.to_string()).collect(),
        RomVariant::OtherBoard => {
            layout.project = FOREIGN_PROJECT.into();
            layout.emi_version = FOREIGN_EMI_VERSION;
        }
        RomVariant::OtherLayout => grow_android(&mut layout.parts),
        _ => {}
    }
    let project = layout.project.clone();
    let boot_size = match kind {
        Storage::Emmc => profile.storage.boot_region_size.unwrap_or(0),
        Storage::Nand => 0,
    };
    let lcm: Vec<&str> = layout.lcm.iter().map(String::as_str).collect();
    let boot = synth::boot_image(&synth::kernel_image(&lcm), &synth::ramdisk_image(), 2048);
    let donor = Identity::from_serial(DONOR_SERIAL);
    let tables = layout.partition_tables();
    let mut images: Vec<(String, Vec<u8>)> = Vec::new();
    let mut partitions = Vec::new();
    let mut push = |name: &str, region, offset: u64, size: u64, bytes: Option<Vec<u8>>| {
        let file = bytes.as_ref().and_then(|_| image_file_name(name, &project));
        let download = file.is_some();
        let nvram = crate::firmware::is_nvram_set(name);
        if let (Some(f), Some(b)) = (&file, bytes) {
            images.push((f.clone(), b));
        }
        partitions.push(Partition {
            index: partitions.len(),
            name: name.to_string(),
            file,
            download,
            linear_start: if region == Region::EmmcUser {
                boot_size + offset
            } else {
                offset
            },
            size: Some(size),
            region,
            region_offset: offset,
            operation: Some(
                match name {
                    "PRELOADER" => "BOOTLOADERS",
                    "MBR" | "EBR1" | "EBR2" => "UPDATE",
                    _ if nvram => "PROTECTED",
                    _ => "UPDATE",
                }
                .into(),
            ),
            address_is_pseudo: false,
            line: 0,
        });
    };
    let preloader = layout.preloader();
    let data_region = match kind {
        Storage::Emmc => {
            push(
                "PRELOADER",
                Region::EmmcBoot1,
                0,
                boot_size,
                Some(preloader),
            );
            Region::EmmcUser
        }
        Storage::Nand => Region::Nand,
    };
    for part in &layout.parts {
        let name = part.name.to_ascii_uppercase();
        let table = tables
            .iter()
            .find(|(at, _)| *at == part.offset)
            .map(|(_, s)| s.clone());
        let bytes = match name.as_str() {
            "PRELOADER" => Some(layout.preloader()),
            "MBR" | "EBR1" | "EBR2" => table,
            "UBOOT" => Some(synth::lk_image(&lcm)),
            "BOOTIMG" | "RECOVERY" => Some(boot.clone()),
            "LOGO" => Some(synth::mtk_image(
                "LOGO",
                b"mtkbench simulated boot logo (no picture)",
            )),
            "SEC_RO" => Some(vec![0u8; 0x2000]),
            n if NVRAM_SET.contains(&n) => (variant == RomVariant::NvramInside)
                .then(|| donor.nvram_content(n))
                .flatten(),
            n => mount_point(n)
                .filter(|_| image_file_name(n, &project).is_some())
                .map(|mount| {
                    let mut img = vec![0u8; 0x400];
                    img.extend(ext4_superblock(n, mount, part.size, "rom"));
                    img.resize(
                        if n == "ANDROID" {
                            system_len.max(IMAGE_LEN)
                        } else {
                            IMAGE_LEN
                        },
                        0,
                    );
                    img
                }),
        };
        push(&name, data_region, part.offset, part.size, bytes);
    }
    let scatter = Scatter {
        format: ScatterFormat::V1,
        platform: Some("MT6572".into()),
        project: Some(project.clone()),
        storage: kind,
        partitions,
        warnings: Vec::new(),
    };
    let checksum_ini = checksum_ini(&scatter, &images, variant == RomVariant::BadChecksum);
    let mut files = vec![(
        SCATTER_NAME.to_string(),
        synth::scatter_text(&scatter).into_bytes(),
    )];
    files.append(&mut images);
    files.push(("Checksum.ini".into(), checksum_ini.into_bytes()));
    Ok(RomPackage {
        profile: profile.id.clone(),
        variant,
        project,
        storage: kind,
        files,
    })
}

/// Makes ANDROID [`LAYOUT_SHIFT`] larger and moves everything after it up; the last
/// partition gives up the room so the layout still fits the same flash.
fn grow_android(parts: &mut [Part]) {
    let Some(at) = parts.iter().position(|p| p.name == "ANDROID") else {
        return;
    };
    let last = parts.len() - 1;
    for (i, p) in parts.iter_mut().enumerate().skip(at) {
        if i == at {
            p.size += LAYOUT_SHIFT;
        } else {
            p.offset += LAYOUT_SHIFT;
        }
        if i == last && i != at {
            p.size = p.size.saturating_sub(LAYOUT_SHIFT);
        }
    }
}

/// SP Flash Tool's Checksum.ini for the images (keyed by partition name); with `spoil`, the
/// value for UBOOT is off by one.
fn checksum_ini(scatter: &Scatter, images: &[(String, Vec<u8>)], spoil: bool) -> String {
    let mut out = String::from(
        "[VERSION]\r\nVERSION=V1\r\nTOOL=mtkbench\r\n[IsEnableChecksum]\r\nCHECKSUM_SWITCH=1\r\n\
         [CheckSum]\r\n",
    );
    for p in &scatter.partitions {
        let Some(bytes) = p
            .file
            .as_ref()
            .and_then(|f| images.iter().find(|(n, _)| n == f))
            .map(|(_, b)| b)
        else {
            continue;
        };
        let mut sum = checksum16(bytes);
        if spoil && p.name == "UBOOT" {
            sum = sum.wrapping_add(1);
        }
        out.push_str(&format!("{}=0x{sum:04X}\r\n", p.name.to_ascii_lowercase()));
    }
    out
}

/// Writes `package` as the new folder `dir` (see [`crate::fsutil::write_new_folder`]): a
/// folder that holds anything is never touched.
pub fn write(dir: &Path, package: &RomPackage) -> Result<(), HostError> {
    crate::fsutil::write_new_folder(dir, &package.files)
}

/// A library folder for the demo and the tests: every [`RomVariant`] for `profile`, each in
/// `root/<variant>` (a folder that already holds anything is an error, nothing is changed).
pub fn write_library(root: &Path, profile: &BoardProfile) -> crate::Result<()> {
    for variant in RomVariant::ALL {
        write(&root.join(variant.as_str()), &build(profile, variant)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        firmware::rom::{self, ChecksumStatus, Severity},
        profile::Registry,
    };

    fn profile(id: &str) -> BoardProfile {
        Registry::builtin().get(id).unwrap().profile.clone()
    }

    fn inspect(p: &RomPackage) -> (tempfile::TempDir, rom::RomReport) {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pkg");
        write(&out, p).unwrap();
        let report = rom::inspect(&out).unwrap();
        (dir, report)
    }

    #[test]
    fn the_fitting_package_inspects_clean_and_carries_the_board() {
        let p = build(&profile("a516_row"), RomVariant::Fits).unwrap();
        let (_dir, r) = inspect(&p);
        assert_eq!(r.count(Severity::Error), 0, "{:#?}", r.problems);
        assert_eq!(r.project.as_deref(), Some("a516_row"));
        let pl = r.preloader.as_ref().unwrap();
        assert_eq!(pl.identity.project.as_deref(), Some("a516_row"));
        assert_eq!(pl.identity.emi_version, Some(11));
        assert_eq!(r.lcm.lk, ["hx8369b_fwvga_dsi_vdo", "otm8018b_dsi_vdo"]);
        assert_eq!(r.lcm.kernel, r.lcm.lk);
        let ck = r.checksum_ini.as_ref().unwrap();
        assert!(ck.entries >= 8, "{ck:?}");
        for i in r.images.iter().filter(|i| i.present) {
            assert_eq!(i.checksum, Some(ChecksumStatus::Ok), "{}", i.partition);
        }
        // No NVRAM-set image in a normal ROM.
        assert!(
            r.images
                .iter()
                .all(|i| !crate::firmware::is_nvram_set(&i.partition))
        );
    }

    #[test]
    fn each_variant_differs_in_its_named_way_only() {
        let board = profile("a516_row");
        let fits = build(&board, RomVariant::Fits).unwrap();
        let (_a, base) = inspect(&fits);

        let (_b, r) = inspect(&build(&board, RomVariant::WrongLcm).unwrap());
        assert_eq!(r.lcm.lk, FOREIGN_LCM);
        assert_eq!(r.lcm.kernel, FOREIGN_LCM);
        assert_eq!(r.preloader, base.preloader);

        let (_c, r) = inspect(&build(&board, RomVariant::OtherBoard).unwrap());
        let pl = r.preloader.as_ref().unwrap();
        assert_eq!(pl.identity.project.as_deref(), Some(FOREIGN_PROJECT));
        assert_eq!(pl.identity.emi_version, Some(FOREIGN_EMI_VERSION));
        assert_eq!(r.lcm, base.lcm);

        let (_d, r) = inspect(&build(&board, RomVariant::OtherLayout).unwrap());
        assert_eq!(r.preloader, base.preloader);
        let moved = build(&board, RomVariant::OtherLayout).unwrap();
        let start = |p: &RomPackage, n: &str| {
            let text = std::str::from_utf8(&p.files[0].1).unwrap();
            let s = crate::firmware::scatter::parse(text).unwrap();
            s.partitions
                .iter()
                .find(|q| q.name == n)
                .unwrap()
                .region_offset
        };
        assert_eq!(start(&moved, "ANDROID"), start(&fits, "ANDROID"));
        assert_eq!(start(&moved, "CACHE"), start(&fits, "CACHE") + LAYOUT_SHIFT);

        let (_e, r) = inspect(&build(&board, RomVariant::BadChecksum).unwrap());
        let lk = r.images.iter().find(|i| i.partition == "UBOOT").unwrap();
        assert_eq!(lk.checksum, Some(ChecksumStatus::Mismatch));
        assert!(r.count(Severity::Error) > 0);

        let p = build(&board, RomVariant::NvramInside).unwrap();
        let (_f, r) = inspect(&p);
        for n in NVRAM_SET {
            let i = r.images.iter().find(|i| i.partition == n).unwrap();
            assert!(i.present, "{n}");
        }

        let p = build(&board, RomVariant::Nand).unwrap();
        assert_eq!(p.storage, Storage::Nand);
        let (_g, r) = inspect(&p);
        assert_eq!(r.storage, Storage::Nand);
        assert!(!p.files.iter().any(|(n, _)| n == "MBR"));
    }

    #[test]
    fn a_nand_board_gets_a_nand_package() {
        let p = build(&profile("ref_nand_2k"), RomVariant::Fits).unwrap();
        assert_eq!(p.storage, Storage::Nand);
        let (_d, r) = inspect(&p);
        assert_eq!(r.count(Severity::Error), 0, "{:#?}", r.problems);
    }

    #[test]
    fn every_shipped_board_gets_a_clean_fitting_package() {
        for entry in Registry::builtin().iter() {
            let board = &entry.profile;
            let p = build(board, RomVariant::Fits).unwrap();
            let (_d, r) = inspect(&p);
            assert_eq!(
                r.count(Severity::Error),
                0,
                "{}: {:#?}",
                board.id,
                r.problems
            );
        }
    }
}
