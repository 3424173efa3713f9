//! Synthetic ROM packages for the integration tests: a small V1 scatter, a boot.img carrying
//! the strings a test chooses, and writers for a folder or a .zip of them. The bytes come from
//! the product's own writers ([`synth`]); this file only chooses what goes in. [`write_rom`]
//! lays a package out on a phone's own partition table (from `identify --json`).

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use mtkbench::firmware::{
    scatter::{Partition, Region, Scatter, ScatterFormat, Storage},
    synth,
};
use serde_json::Value;
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

/// The linear address where the user area starts in the scatter (the boot1 region's size).
pub const USER_BASE: u64 = 0x60_0000;

/// Files for the images the test ROM carries, by partition.
pub fn image_of(name: &str) -> Option<(&'static str, Vec<u8>)> {
    Some(match name {
        "PRELOADER" => ("preloader_a516_row.bin", synth::preloader("a516_row", 10)),
        "UBOOT" => ("lk.bin", synth::lk_image(&["hx8379a_dsi_vdo_lcm_drv"])),
        "BOOTIMG" => (
            "boot.img",
            synth::boot_image(
                &synth::kernel_image(&["hx8379a"]),
                &synth::ramdisk_image(),
                2048,
            ),
        ),
        "RECOVERY" => ("recovery.img", vec![0x5A; 0x1_0000]),
        "NVRAM" => ("nvram.bin", vec![0xA5; 0x1000]),
        _ => return None,
    })
}

/// Writes a ROM folder whose scatter is the phone's own layout (from `identify --json`), with
/// `grow` bytes added to EBR1 (everything after it moves) when non-zero.
pub fn write_rom(dir: &Path, fingerprint: &Value, grow: u64) -> PathBuf {
    write_rom_with(dir, fingerprint, grow, 0)
}

/// [`write_rom`] with boot.img padded to `boot_len` bytes (a counting pattern), when larger.
pub fn write_rom_with(dir: &Path, fingerprint: &Value, grow: u64, boot_len: usize) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let mut names: Vec<(String, String, u64, u64, Region)> = Vec::new();
    let mut shift = 0;
    for p in fingerprint["partitions"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap().to_string();
        let (offset, mut size) = (p["offset"].as_u64().unwrap(), p["size"].as_u64().unwrap());
        let (region, start) = if p["region"] == "boot1" {
            size = 0x4_0000;
            (Region::EmmcBoot1, offset)
        } else {
            (Region::EmmcUser, USER_BASE + offset + shift)
        };
        if name == "EBR1" {
            size += grow;
            shift = grow;
        }
        let file = match image_of(&name) {
            Some((file, mut bytes)) => {
                // The phone's own preloader identity, when identify read one: the ROM is
                // built for this board, so the planner's preloader guard lets it through.
                let pl = &fingerprint["preloader"];
                if name == "PRELOADER"
                    && let (Some(project), Some(emi)) =
                        (pl["project"].as_str(), pl["emi_version"].as_u64())
                {
                    bytes = synth::preloader(project, emi as u32);
                }
                if name == "BOOTIMG" && bytes.len() < boot_len {
                    let pad = bytes.len()..boot_len;
                    bytes.extend(pad.map(|i| (i % 249) as u8));
                }
                std::fs::write(dir.join(file), bytes).unwrap();
                file.to_string()
            }
            None => "NONE".into(),
        };
        names.push((name, file, start, size, region));
    }
    let parts: Vec<Part<'_>> = names
        .iter()
        .map(|(n, f, s, z, r)| (n.as_str(), f.as_str(), f != "NONE", *s, *z, *r))
        .collect();
    let text = scatter_of("MT6572", "a516_row", &parts);
    std::fs::write(dir.join("MT6572_Android_scatter.txt"), text).unwrap();
    dir.to_path_buf()
}
