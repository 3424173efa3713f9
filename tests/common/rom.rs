//! Synthetic ROM packages for the integration tests: a small V1 scatter, a boot.img carrying
//! the strings a test chooses, and writers for a folder or a .zip of them. The bytes come from
//! the product's own writers ([`synth`]); this file only chooses what goes in.

use std::{io::Write, path::Path};

use mtkbench::firmware::{
    scatter::{Partition, Region, Scatter, ScatterFormat, Storage},
    synth,
};
use zip::write::SimpleFileOptions;

/// One partition for [`scatter_of`]: name, file (`NONE` for none), download, linear start,
/// size, region.
pub type Part<'a> = (&'a str, &'a str, bool, u64, u64, Region);

/// The partitions of [`scatter`]; `{recovery}` is filled by it.
pub const PARTITIONS: [Part<'static>; 12] = [
    (
        "PRELOADER",
        "preloader_bench_demo.bin",
        true,
        0x0,
        0x40000,
        Region::EmmcBoot1,
    ),
    ("MBR", "MBR", true, 0x40000, 0x80000, Region::EmmcUser),
    ("EBR1", "EBR1", true, 0xC0000, 0x80000, Region::EmmcUser),
    (
        "NVRAM",
        "nvram.bin",
        true,
        0x140000,
        0x80000,
        Region::EmmcUser,
    ),
    ("UBOOT", "lk.bin", true, 0x1C0000, 0x60000, Region::EmmcUser),
    (
        "BOOTIMG",
        "boot.img",
        true,
        0x220000,
        0x100000,
        Region::EmmcUser,
    ),
    (
        "RECOVERY",
        "{recovery}",
        true,
        0x320000,
        0x10000,
        Region::EmmcUser,
    ),
    (
        "LOGO",
        "logo.bin",
        true,
        0x330000,
        0x10000,
        Region::EmmcUser,
    ),
    (
        "ANDROID",
        "system.img",
        true,
        0x340000,
        0x100000,
        Region::EmmcUser,
    ),
    (
        "CACHE",
        "cache.img",
        false,
        0x440000,
        0x100000,
        Region::EmmcUser,
    ),
    (
        "USRDATA",
        "NONE",
        false,
        0x540000,
        0x100000,
        Region::EmmcUser,
    ),
    ("FAT", "NONE", false, 0x640000, 0x100000, Region::EmmcUser),
];

/// A V1 eMMC scatter for `platform` and `project` with `parts`, every one `UPDATE`, as
/// [`synth::scatter_text`] writes it.
pub fn scatter_of(platform: &str, project: &str, parts: &[Part<'_>]) -> String {
    let user_base = parts
        .iter()
        .filter(|p| p.5 == Region::EmmcUser)
        .map(|p| p.3)
        .min()
        .unwrap_or(0);
    let partitions = parts
        .iter()
        .enumerate()
        .map(
            |(index, &(name, file, download, start, size, region))| Partition {
                index,
                name: name.into(),
                file: (file != "NONE").then(|| file.into()),
                download,
                linear_start: start,
                size: Some(size),
                region,
                region_offset: if region == Region::EmmcUser {
                    start - user_base
                } else {
                    start
                },
                operation: Some("UPDATE".into()),
                address_is_pseudo: false,
                line: 0,
            },
        )
        .collect();
    synth::scatter_text(&Scatter {
        format: ScatterFormat::V1,
        platform: Some(platform.into()),
        project: Some(project.into()),
        storage: Storage::Emmc,
        partitions,
        warnings: Vec::new(),
    })
}

/// A V1 scatter of [`PARTITIONS`] for `platform` and `project`, RECOVERY naming `recovery`.
pub fn scatter(platform: &str, project: &str, recovery: &str) -> String {
    let parts = PARTITIONS.map(|(name, file, dl, start, size, region)| {
        let file = if file == "{recovery}" { recovery } else { file };
        (name, file, dl, start, size, region)
    });
    scatter_of(platform, project, &parts)
}

/// A boot.img as MT6572 ROMs ship it (2 KiB pages, [`synth::ramdisk_image`]) whose kernel
/// carries `strings` ([`synth::kernel_image`]).
pub fn boot_img(strings: &[&str]) -> Vec<u8> {
    synth::boot_image(&synth::kernel_image(strings), &synth::ramdisk_image(), 2048)
}

/// Writes `files` (name, bytes) into `dir`, creating it.
pub fn write_folder(dir: &Path, files: &[(&str, Vec<u8>)]) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// Writes `files` into a new zip at `path`, each entry name behind `prefix`.
pub fn write_zip(path: &Path, prefix: &str, files: &[(&str, Vec<u8>)]) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, bytes) in files {
        z.start_file(format!("{prefix}{name}"), SimpleFileOptions::default())
            .unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}
