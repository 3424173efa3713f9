//! Synthetic ROM packages for the integration tests: a small V1 scatter, images behind the
//! 512-byte MediaTek header, an lk.bin and a boot.img carrying the strings a test chooses, and
//! writers for a folder or a .zip of them.

use std::{io::Write, path::Path};

use flate2::{Compression, write::GzEncoder};
use mtkbench::firmware::{bootimg, mtk_header};
use zip::write::SimpleFileOptions;

/// The `general` block of the scatter, with `{platform}` and `{project}` to fill.
const GENERAL: &str = "\
- general: MTK_PLATFORM_CFG
  info:
    - config_version: V1.1.1
      platform: {platform}
      project: {project}
      storage: EMMC
      boot_channel: MSDC_0
      block_size: 0x20000
";

/// (name, file, download, linear start, size, region); `{recovery}` is filled by [`scatter`].
pub const PARTITIONS: [(&str, &str, bool, u64, u64, &str); 12] = [
    (
        "PRELOADER",
        "preloader_bench_demo.bin",
        true,
        0x0,
        0x40000,
        "EMMC_BOOT_1",
    ),
    ("MBR", "MBR", true, 0x40000, 0x80000, "EMMC_USER"),
    ("EBR1", "EBR1", true, 0xC0000, 0x80000, "EMMC_USER"),
    ("NVRAM", "nvram.bin", true, 0x140000, 0x80000, "EMMC_USER"),
    ("UBOOT", "lk.bin", true, 0x1C0000, 0x60000, "EMMC_USER"),
    ("BOOTIMG", "boot.img", true, 0x220000, 0x100000, "EMMC_USER"),
    (
        "RECOVERY",
        "{recovery}",
        true,
        0x320000,
        0x10000,
        "EMMC_USER",
    ),
    ("LOGO", "logo.bin", true, 0x330000, 0x10000, "EMMC_USER"),
    (
        "ANDROID",
        "system.img",
        true,
        0x340000,
        0x100000,
        "EMMC_USER",
    ),
    ("CACHE", "cache.img", false, 0x440000, 0x100000, "EMMC_USER"),
    ("USRDATA", "NONE", false, 0x540000, 0x100000, "EMMC_USER"),
    ("FAT", "NONE", false, 0x640000, 0x100000, "EMMC_USER"),
];

/// A V1 scatter of [`PARTITIONS`] for `platform` and `project`, RECOVERY naming `recovery`.
pub fn scatter(platform: &str, project: &str, recovery: &str) -> String {
    let mut text = GENERAL
        .replace("{platform}", platform)
        .replace("{project}", project);
    for (i, (name, file, dl, start, size, region)) in PARTITIONS.iter().enumerate() {
        let file = file.replace("{recovery}", recovery);
        text += &format!(
            "- partition_index: SYS{i}\n  partition_name: {name}\n  file_name: {file}\n  \
             is_download: {dl}\n  type: NORMAL_ROM\n  linear_start_addr: 0x{start:x}\n  \
             physical_start_addr: 0x{start:x}\n  partition_size: 0x{size:x}\n  \
             region: {region}\n  storage: HW_STORAGE_EMMC\n  boundary_check: true\n  \
             is_reserved: false\n  operation_type: UPDATE\n  reserve: 0x00\n\n"
        );
    }
    text
}

/// `payload` behind a 512-byte MediaTek header named `name` (`LK`, `KERNEL`, `ROOTFS`).
pub fn mtk_wrap(name: &str, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0xFFu8; 512];
    h[..4].copy_from_slice(&mtk_header::MAGIC.to_le_bytes());
    h[4..8].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    h[8..40].fill(0);
    h[8..8 + name.len()].copy_from_slice(name.as_bytes());
    h.extend_from_slice(payload);
    h
}

/// `bytes` as one gzip member.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// An lk.bin: two bytes of code, then `strings` NUL-terminated, behind an `LK` header.
pub fn lk_bin(strings: &[&str]) -> Vec<u8> {
    let mut body = b"\x10\xb5".to_vec();
    for s in strings {
        body.extend_from_slice(s.as_bytes());
        body.push(0);
    }
    mtk_wrap("LK", &body)
}

/// A boot.img whose kernel (a `Linux version` banner, then `strings` NUL-terminated) is gzip'ed
/// after 0x200 bytes of decompressor, behind a `KERNEL` header; no ramdisk.
pub fn boot_img(strings: &[&str]) -> Vec<u8> {
    let mut kernel = b"\0Linux version 3.4.5\0".to_vec();
    for s in strings {
        kernel.extend_from_slice(s.as_bytes());
        kernel.push(0);
    }
    let mut zimage = vec![0u8; 0x200];
    zimage.extend_from_slice(&gzip(&kernel));
    let kernel_part = mtk_wrap("KERNEL", &zimage);
    let mut img = vec![0u8; 2048];
    img[..8].copy_from_slice(bootimg::MAGIC);
    let words = [
        kernel_part.len() as u32,
        0x1000_8000,
        0,
        0x1100_0000,
        0,
        0x10f0_0000,
        0x1000_0100,
        2048,
    ];
    for (i, w) in words.iter().enumerate() {
        img[8 + 4 * i..12 + 4 * i].copy_from_slice(&w.to_le_bytes());
    }
    img.extend_from_slice(&kernel_part);
    img
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
