//! Writers for the firmware formats this crate parses: MediaTek image headers, LK and kernel
//! images carrying LCM driver names, Android boot images, preloaders (flashable and as an
//! EMMC_BOOT_1 readback), MBR/EBR sectors and V1 scatter files.
//!
//! They build the content of the simulated phone and the fixtures of tests. Every writer is the
//! inverse of a parser in this module's siblings and is tested by a round trip through it, so
//! the layouts live in the parsers' doc comments and constants. The images are structurally
//! valid but hold no real code: the "code" areas are a fixed filler pattern, and every image
//! says it was made by the simulator. Pure: bytes and text out, no file access.

use std::{fmt::Write as _, io::Write as _};

use flate2::write::GzEncoder;

use crate::firmware::{
    bootimg, emi, mtk_header,
    partition_table::SECTOR,
    preloader::READBACK_GFH_OFFSET,
    scatter::{Region, Scatter, Storage, image_type},
    zimage::{self, Compression},
};

/// Offset and length of the name field of a MediaTek header (see [`mtk_header`]).
const MTK_NAME: (usize, usize) = (0x08, 32);

/// A MediaTek image: the 512-byte header named `name` (`LK`, `KERNEL`, `ROOTFS`, `LOGO`, ...)
/// followed by `payload`.
pub fn mtk_image(name: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFFu8; mtk_header::HEADER_LEN];
    out[..4].copy_from_slice(&mtk_header::MAGIC.to_le_bytes());
    let size = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out[4..8].copy_from_slice(&size.to_le_bytes());
    let (at, len) = MTK_NAME;
    let field = &mut out[at..at + len];
    field.fill(0);
    let name = &name.as_bytes()[..name.len().min(len)];
    field[..name.len()].copy_from_slice(name);
    out.extend_from_slice(payload);
    out
}

/// Bytes standing in for machine code: a fixed, non-text pattern with no NUL-terminated
/// strings in it, so string scanners find only the strings written on purpose.
fn filler(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let x = (i as u32).wrapping_mul(2_654_435_761) >> 24;
            // Bytes 0x80..=0xFF are never printable, so no string can form.
            0x80 | (x as u8 ^ seed)
        })
        .collect()
}

/// Appends `s` as a C string.
fn push_cstr(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

/// An LK (`lk.bin`, the UBOOT partition) image: MediaTek header `LK`, then a body holding the
/// display drivers' `name` strings the way a real LK carries its built-in driver list, next
/// to LK's own log strings. Any string in `lcm_names` is written as given (tests add decoys
/// that are not driver names).
pub fn lk_image(lcm_names: &[&str]) -> Vec<u8> {
    let mut body = filler(0x2000, 0x11);
    for s in [
        "mtkbench simulated LK (no code)",
        "console=tty0 console=ttyMT1,921600n1 root=/dev/ram",
        "%s lcm=%1d-%s",
        "[LCM Auto Detect], we have %d lcm drivers built in",
        "[LCM Specified]\t[%s]",
    ] {
        push_cstr(&mut body, s);
    }
    body.extend_from_slice(&filler(0x100, 0x22));
    for name in lcm_names {
        push_cstr(&mut body, name);
        body.extend_from_slice(&filler(0x40, 0x33));
    }
    mtk_image("LK", &body)
}

/// `bytes` as one gzip member (fast compression), as kernels and ramdisks carry their payload.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = gz.write_all(bytes);
    gz.finish().unwrap_or_default()
}

/// `bytes` packed the way the kernel's build packs a zImage payload with `compression`: gzip
/// as `gzip -9` writes it, XZ with the ARM branch filter and a CRC32 check (`xz_wrap.sh`), the
/// legacy `.lzma` format with an unknown size and an end marker (`lzma -9` on a pipe), bzip2,
/// and LZO in an `lzop` container with Adler-32 block sums. Small dictionaries: the content is
/// small.
pub fn compress(compression: Compression, bytes: &[u8]) -> Vec<u8> {
    match compression {
        Compression::Gzip => gzip(bytes),
        Compression::Xz => {
            let mut options = lzma_rust2::XzOptions::with_preset(1);
            options.set_check_sum_type(lzma_rust2::CheckType::Crc32);
            options.prepend_pre_filter(lzma_rust2::FilterType::BcjArm, 0);
            lzma_rust2::XzWriter::new(Vec::new(), options)
                .and_then(|mut w| {
                    w.write_all(bytes)?;
                    w.finish()
                })
                .unwrap_or_default()
        }
        Compression::Lzma => {
            let options = lzma_rust2::LzmaOptions::with_preset(1);
            lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &options, None)
                .and_then(|mut w| {
                    w.write_all(bytes)?;
                    w.finish()
                })
                .unwrap_or_default()
        }
        Compression::Bzip2 => {
            let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
            // Writing into a Vec cannot fail.
            let _ = bz.write_all(bytes);
            bz.finish().unwrap_or_default()
        }
        Compression::Lzo => lzop(bytes),
    }
}

/// `bytes` in an `lzop` container (version 1.030, method LZO1X-999, level 9, Unix, Adler-32
/// of each block's data), in 256 KiB blocks as `lzop` cuts them.
fn lzop(bytes: &[u8]) -> Vec<u8> {
    const F_ADLER32_D: u32 = 0x0001;
    const F_OS_UNIX: u32 = 0x0300_0000;
    let mut out = zimage::LZOP_MAGIC.to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&0x1030u16.to_be_bytes()); // version
    header.extend_from_slice(&0x2080u16.to_be_bytes()); // library version
    header.extend_from_slice(&0x0940u16.to_be_bytes()); // version needed
    header.extend_from_slice(&[3, 9]); // LZO1X-999, level 9
    header.extend_from_slice(&(F_OS_UNIX | F_ADLER32_D).to_be_bytes());
    header.extend_from_slice(&0o100644u32.to_be_bytes()); // mode
    header.extend_from_slice(&[0; 8]); // mtime low, high
    header.push(0); // no name
    let sum = adler32(&header);
    out.extend_from_slice(&header);
    out.extend_from_slice(&sum.to_be_bytes());
    for block in bytes.chunks(256 << 10) {
        let packed = lzokay_native::compress(block).unwrap_or_default();
        let stored = packed.is_empty() || packed.len() >= block.len();
        let data = if stored { block } else { &packed[..] };
        out.extend_from_slice(&(block.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&adler32(block).to_be_bytes());
        out.extend_from_slice(data);
    }
    out.extend_from_slice(&0u32.to_be_bytes());
    out
}

/// Adler-32, as `lzop` sums its header and blocks.
fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// A kernel as MT6572 boot images carry it: MediaTek header `KERNEL`, then a zImage whose
/// payload is a gzip stream of a "kernel" holding the display drivers' names (written as
/// given, like [`lk_image`]'s).
pub fn kernel_image(lcm_names: &[&str]) -> Vec<u8> {
    kernel_image_packed(Compression::Gzip, lcm_names)
}

/// [`kernel_image`] with the payload packed by `compression` ([`compress`]). The zImage is laid
/// out as a real one: the decompressor stub with the zImage magic at 0x24 and, inside its
/// code, the compressor's magic bytes (as the decompressor's own checks carry them), then
/// the real stream, then the little-endian inflated size the ARM decompressor reads at the
/// end.
pub fn kernel_image_packed(compression: Compression, lcm_names: &[&str]) -> Vec<u8> {
    let mut inner = filler(0x1000, 0x44);
    push_cstr(
        &mut inner,
        "Linux version 3.4.67 (mtkbench simulated kernel, no code)",
    );
    push_cstr(&mut inner, "[mtkfb] LCM TYPE: %s");
    for name in lcm_names {
        inner.extend_from_slice(&filler(0x40, 0x55));
        push_cstr(&mut inner, name);
    }
    let compressed = compress(compression, &inner);
    let mut zimage = filler(0x200, 0x66);
    zimage[0x24..0x28].copy_from_slice(&0x016F_2818u32.to_le_bytes());
    // The decoy: the first bytes of the stream, as the decompressor's code holds its magic.
    let decoy = &compressed[..compressed.len().min(13)];
    zimage[0x100..0x100 + decoy.len()].copy_from_slice(decoy);
    zimage.extend_from_slice(&compressed);
    zimage.extend_from_slice(&(inner.len() as u32).to_le_bytes());
    mtk_image("KERNEL", &zimage)
}

/// Load addresses of MT6572 boot images (base 0x10000000, as in every real header seen).
const KERNEL_ADDR: u32 = 0x1000_8000;
const RAMDISK_ADDR: u32 = 0x1100_0000;
const SECOND_ADDR: u32 = 0x10F0_0000;
const TAGS_ADDR: u32 = 0x1000_0100;

/// An Android boot image (version-0 header, see [`bootimg`]) holding `kernel` and `ramdisk`,
/// each starting on a `page_size` boundary.
pub fn boot_image(kernel: &[u8], ramdisk: &[u8], page_size: u32) -> Vec<u8> {
    let page = page_size.max(bootimg::HEADER_LEN as u32 + 1) as usize;
    let mut out = vec![0u8; page];
    out[..8].copy_from_slice(bootimg::MAGIC);
    let words = [
        kernel.len() as u32,
        KERNEL_ADDR,
        ramdisk.len() as u32,
        RAMDISK_ADDR,
        0,
        SECOND_ADDR,
        TAGS_ADDR,
        page as u32,
    ];
    for (i, w) in words.iter().enumerate() {
        out[8 + 4 * i..12 + 4 * i].copy_from_slice(&w.to_le_bytes());
    }
    for part in [kernel, ramdisk] {
        out.extend_from_slice(part);
        out.resize(out.len().next_multiple_of(page), 0);
    }
    out
}

/// A ramdisk as MT6572 boot images carry it: MediaTek header `ROOTFS` and a small gzip'd
/// placeholder.
pub fn ramdisk_image() -> Vec<u8> {
    mtk_image("ROOTFS", &gzip(b"mtkbench simulated ramdisk (empty)\n"))
}

/// GFH record types written by [`preloader`].
const GFH_FILE_INFO: u16 = 0;
const GFH_BL_INFO: u16 = 1;
/// Fields of the FILE_INFO record, as in the real Lenovo A516 preloader.
const PL_LOAD_ADDR: u32 = 0x0200_7200;
const PL_MAX_SIZE: u32 = 0x2_0000;
const PL_SIG_LEN: u32 = 0x124;
/// Length of the flashable preloader [`preloader`] writes (close to the real A516's 0x180d0).
pub const PRELOADER_LEN: usize = 0x1_8000;

/// A flashable preloader (`preloader_<project>.bin`): a GFH chain (FILE_INFO, BL_INFO) as the
/// [`crate::firmware::preloader`] parser reads it, a code area, the EMI settings block that
/// starts with `MTK_BLOADER_INFO_v<emi_version>`, the preloader's log strings and, near the end
/// where real preloaders carry it, its own build name `preloader_<project>.bin`; then a
/// signature area.
pub fn preloader(project: &str, emi_version: u32) -> Vec<u8> {
    preloader_for_ram(project, emi_version, &[sim_ram_part(DEFAULT_SIM_RAM)])
}

/// The first 9 bytes of the simulated eMMC's CID (maker 0x15, BGA, OEM 0, product `SIM72E`):
/// the flash id a preloader's EMI record matches.
pub const SIM_FLASH_ID: [u8; 9] = *b"\x15\x01\x00SIM72E";

/// RAM of the part [`preloader`] lists (512 MiB).
pub const DEFAULT_SIM_RAM: u64 = 512 << 20;

/// The eMMC + LPDDR2 part of the simulated phone with `ram_size` bytes in one or two ranks.
pub fn sim_ram_part(ram_size: u64) -> emi::RamPart {
    let rank = u32::try_from(ram_size.min(1 << 30)).unwrap_or(u32::MAX);
    let second = u32::try_from(ram_size.saturating_sub(u64::from(rank))).unwrap_or(0);
    emi::RamPart {
        kind: 0x0202,
        flash_id: SIM_FLASH_ID.to_vec(),
        ranks: [rank, second, 0, 0],
    }
}

/// [`preloader`] whose EMI table lists `parts`.
pub fn preloader_for_ram(project: &str, emi_version: u32, parts: &[emi::RamPart]) -> Vec<u8> {
    let file_info_len = 0x38u16;
    let bl_info_len = 0x0Cu16;
    let content = u32::from(file_info_len + bl_info_len);
    let mut out = Vec::with_capacity(PRELOADER_LEN);
    out.extend_from_slice(b"MMM\x01");
    out.extend_from_slice(&file_info_len.to_le_bytes());
    out.extend_from_slice(&GFH_FILE_INFO.to_le_bytes());
    out.extend_from_slice(b"FILE_INFO\0\0\0");
    out.extend_from_slice(&1u32.to_le_bytes()); // file version
    out.extend_from_slice(&1u16.to_le_bytes()); // file type: ARM bootloader
    out.extend_from_slice(&[5, 1]); // flash device (eMMC), signature type
    for w in [
        PL_LOAD_ADDR,
        PRELOADER_LEN as u32,
        PL_MAX_SIZE,
        content,
        PL_SIG_LEN,
        content,
        1,
    ] {
        out.extend_from_slice(&w.to_le_bytes());
    }
    out.extend_from_slice(b"MMM\x01");
    out.extend_from_slice(&bl_info_len.to_le_bytes());
    out.extend_from_slice(&GFH_BL_INFO.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&filler(0x8000, 0x77));
    // BLOADER_INFO: identifier[24], file name[64], version[4], checksum seed, start address,
    // then the MTK_BIN table (decision E1) of `parts`.
    let mut info = format!("MTK_BLOADER_INFO_v{emi_version:02}").into_bytes();
    info.resize(24, 0);
    info.extend_from_slice(&[0u8; 64]); // file name: left empty, the name sits near the end
    info.extend_from_slice(b"V116");
    info.extend_from_slice(&0u32.to_le_bytes());
    info.extend_from_slice(&PL_LOAD_ADDR.to_le_bytes());
    info.extend_from_slice(&emi::encode_table(parts));
    out.extend_from_slice(&info);
    out.extend_from_slice(&[0u8; 0x200]);
    out.extend_from_slice(&filler(0x8000, 0x88));
    for s in [
        "mtkbench simulated preloader (no code)",
        "%s Build Time: %s",
        "%s <USB> cannot detect tools!",
        "PRO_INFO",
    ] {
        push_cstr(&mut out, s);
    }
    let tail = PL_SIG_LEN as usize + 0x100;
    let name = format!("preloader_{project}.bin");
    let name_at = PRELOADER_LEN.saturating_sub(tail + name.len() + 1);
    if out.len() < name_at {
        out.extend_from_slice(&filler(name_at - out.len(), 0x99));
    }
    push_cstr(&mut out, &name);
    if out.len() < PRELOADER_LEN {
        out.extend_from_slice(&filler(PRELOADER_LEN - out.len(), 0xAA));
    }
    out
}

/// What EMMC_BOOT_1 holds: the `EMMC_BOOT` header (version 1, 512-byte units), the `BRLYT`
/// boot layout at 0x200 with one `BBBB` descriptor for the preloader, and the flashable
/// `preloader` at 0x800 (see [`crate::firmware::preloader`]).
///
/// The fields after the magics follow the Mobiwire S10 readback (version 1, unit 0x200, start
/// 0x800); the rest of both headers is the simulator's choice.
pub fn emmc_boot_region(preloader: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; READBACK_GFH_OFFSET];
    out[..9].copy_from_slice(b"EMMC_BOOT");
    out[0x0C..0x10].copy_from_slice(&1u32.to_le_bytes());
    out[0x10..0x14].copy_from_slice(&512u32.to_le_bytes());
    let brlyt = &mut out[0x200..0x400];
    brlyt[..5].copy_from_slice(b"BRLYT");
    brlyt[0x08..0x0C].copy_from_slice(&1u32.to_le_bytes());
    brlyt[0x0C..0x10].copy_from_slice(&(READBACK_GFH_OFFSET as u32 / 512).to_le_bytes());
    let end = READBACK_GFH_OFFSET + preloader.len();
    brlyt[0x10..0x14].copy_from_slice(&(end as u32).to_le_bytes());
    let desc = &mut brlyt[0x14..0x28];
    desc[..4].copy_from_slice(b"BBBB");
    desc[4..6].copy_from_slice(&1u16.to_le_bytes()); // descriptor version
    desc[6..8].copy_from_slice(&1u16.to_le_bytes()); // type: ARM bootloader
    desc[8..12].copy_from_slice(&(READBACK_GFH_OFFSET as u32).to_le_bytes());
    desc[12..16].copy_from_slice(&(end as u32).to_le_bytes());
    out.extend_from_slice(preloader);
    out
}

/// One slot of an MBR/EBR sector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableEntry {
    /// Partition type (0x05 extended, 0x83 Linux).
    pub type_code: u8,
    /// First sector, relative to the table's base.
    pub start_lba: u32,
    /// Number of sectors.
    pub sectors: u32,
}

/// Where the four 16-byte entries start in a table sector (see
/// [`crate::firmware::partition_table`]).
const TABLE_ENTRIES_AT: usize = 0x1BE;

/// One MBR/EBR sector with up to four entries (extra ones are ignored) and the `55 AA`
/// signature.
pub fn partition_sector(entries: &[TableEntry]) -> Vec<u8> {
    let mut out = vec![0u8; SECTOR as usize];
    for (i, e) in entries.iter().take(4).enumerate() {
        let slot = &mut out[TABLE_ENTRIES_AT + 16 * i..][..16];
        slot[4] = e.type_code;
        slot[8..12].copy_from_slice(&e.start_lba.to_le_bytes());
        slot[12..16].copy_from_slice(&e.sectors.to_le_bytes());
    }
    out[510] = 0x55;
    out[511] = 0xAA;
    out
}

/// A V1.1.1 scatter file (the YAML-like format) for `scatter`'s platform, project, storage and
/// partitions. Pseudo partitions keep their raw address; `physical_start_addr` is written as
/// the region offset.
pub fn scatter_text(scatter: &Scatter) -> String {
    let rule = "#".repeat(100);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{rule}\n#\n#  General Setting (written by mtkbench)\n#\n{rule}"
    );
    let _ = writeln!(out, "- general: MTK_PLATFORM_CFG\n  info:");
    let _ = writeln!(out, "    - config_version: V1.1.1");
    if let Some(p) = &scatter.platform {
        let _ = writeln!(out, "      platform: {p}");
    }
    if let Some(p) = &scatter.project {
        let _ = writeln!(out, "      project: {p}");
    }
    let _ = writeln!(out, "      storage: {}", scatter.storage.as_str());
    if scatter.storage == Storage::Emmc {
        let _ = writeln!(out, "      boot_channel: MSDC_0");
    }
    let _ = writeln!(out, "{rule}\n#\n#  Layout Setting\n#\n{rule}");
    let hw = match scatter.storage {
        Storage::Emmc => "HW_STORAGE_EMMC",
        Storage::Nand => "HW_STORAGE_NAND",
    };
    for (i, p) in scatter.partitions.iter().enumerate() {
        let region = match p.region {
            Region::Nand => "NONE",
            r => r.as_str(),
        };
        let _ = writeln!(out, "- partition_index: SYS{i}");
        let _ = writeln!(out, "  partition_name: {}", p.name);
        let _ = writeln!(out, "  file_name: {}", p.file.as_deref().unwrap_or("NONE"));
        let _ = writeln!(out, "  is_download: {}", p.download);
        let _ = writeln!(out, "  type: {}", image_type(&p.name, scatter.storage));
        let _ = writeln!(out, "  linear_start_addr: {:#x}", p.linear_start);
        let _ = writeln!(out, "  physical_start_addr: {:#x}", p.region_offset);
        let _ = writeln!(out, "  partition_size: {:#x}", p.size.unwrap_or(0));
        let _ = writeln!(out, "  region: {region}");
        let _ = writeln!(out, "  storage: {hw}");
        let _ = writeln!(out, "  boundary_check: true");
        let _ = writeln!(out, "  is_reserved: {}", p.address_is_pseudo);
        if let Some(op) = &p.operation {
            let _ = writeln!(out, "  operation_type: {op}");
        }
        let _ = writeln!(out, "  reserve: 0x00\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::{lcm, partition_table, preloader as pl, scatter};

    const NAMES: [&str; 2] = ["hx8369b_fwvga_dsi_vdo", "otm8018b_dsi_vdo"];

    #[test]
    fn mtk_image_round_trips_through_the_header_parser() {
        let img = mtk_image("LOGO", &[1, 2, 3]);
        let h = mtk_header::parse(&img).unwrap();
        assert_eq!(h.name, "LOGO");
        assert_eq!(h.payload_size, 3);
        assert_eq!(h.image_len(), img.len() as u64);
        assert!(img[0x28..0x200].iter().all(|&b| b == 0xFF));
    }

    #[test]
    fn lk_names_are_found_by_the_lcm_scanner() {
        let lk = lk_image(&NAMES);
        assert_eq!(mtk_header::parse(&lk).unwrap().name, "LK");
        assert_eq!(lcm::names_in(&lk[..]).unwrap(), NAMES);
        assert!(lcm::names_in(&lk_image(&[])[..]).unwrap().is_empty());
    }

    #[test]
    fn boot_image_kernel_names_survive_gzip_and_headers() {
        let kernel = kernel_image(&NAMES);
        let ramdisk = ramdisk_image();
        let img = boot_image(&kernel, &ramdisk, 2048);
        let h = bootimg::parse(&img).unwrap();
        assert_eq!(h.page_size, 2048);
        assert_eq!(h.kernel_addr, KERNEL_ADDR);
        assert_eq!(h.kernel_size as usize, kernel.len());
        assert_eq!(h.ramdisk_size as usize, ramdisk.len());
        assert_eq!(h.image_len(), img.len() as u64);
        let r = h.ramdisk_range();
        assert_eq!(
            mtk_header::parse(&img[r.start as usize..]).unwrap().name,
            "ROOTFS"
        );
        let k = lcm::names_in_boot_image(&img[..]).unwrap();
        assert!(matches!(
            k.payload,
            lcm::KernelPayload::Packed {
                compression: Compression::Gzip,
                ..
            }
        ));
        assert_eq!(k.names, NAMES);
    }

    #[test]
    fn flashable_preloader_round_trips() {
        let img = preloader("a516_row", 11);
        assert_eq!(img.len(), PRELOADER_LEN);
        let info = pl::scan(&img[..]).unwrap();
        assert_eq!(info.layout, pl::PreloaderLayout::Flashable);
        assert_eq!(info.project.as_deref(), Some("a516_row"));
        assert_eq!(info.emi_version, Some(11));
        let gfh = info.gfh.unwrap();
        assert_eq!(gfh.file_info.load_addr, PL_LOAD_ADDR);
        assert_eq!(gfh.file_info.file_len as usize, PRELOADER_LEN);
        assert_eq!(gfh.file_info.sig_len, PL_SIG_LEN);
        assert_eq!(gfh.records.len(), 2);
        // The build name sits near the end, as in real preloaders.
        let at = img
            .windows(22)
            .position(|w| w == b"preloader_a516_row.bin")
            .unwrap();
        assert!(at > PRELOADER_LEN - 0x400, "{at:#x}");
    }

    #[test]
    fn boot1_region_reads_as_an_emmc_boot_readback() {
        let img = emmc_boot_region(&preloader("up40_h405f_meo", 11));
        assert_eq!(&img[0x200..0x205], b"BRLYT");
        assert_eq!(&img[0x214..0x218], b"BBBB");
        let info = pl::scan(&img[..]).unwrap();
        assert_eq!(info.layout, pl::PreloaderLayout::EmmcBootReadback);
        assert_eq!(info.project.as_deref(), Some("up40_h405f_meo"));
        assert_eq!(info.gfh.unwrap().file_info.file_type, 1);
    }

    #[test]
    fn table_sectors_round_trip() {
        let mbr = partition_sector(&[
            TableEntry {
                type_code: 0x05,
                start_lba: 0x400,
                sectors: u32::MAX,
            },
            TableEntry {
                type_code: 0x83,
                start_lba: 0x4800,
                sectors: 0x5000,
            },
        ]);
        let t = partition_table::parse(&mbr).unwrap();
        assert_eq!(t.kind(), partition_table::TableKind::Mbr);
        assert_eq!(t.extended().unwrap().start_bytes(), 0x80000);
        assert_eq!(t.entries[1].start_lba, 0x4800);
        assert_eq!(t.entries[1].sectors, 0x5000);
        let empty = partition_sector(&[]);
        assert!(partition_table::parse(&empty).unwrap().entries.is_empty());
    }

    #[test]
    fn scatter_text_round_trips_through_the_parser() {
        let text = "- general: MTK_PLATFORM_CFG\n  info:\n    - config_version: V1.1.1\n      \
            platform: MT6572\n      project: sim72\n      storage: EMMC\n\
            - partition_index: SYS0\n  partition_name: PRELOADER\n  file_name: preloader_sim72.bin\n  \
            is_download: true\n  linear_start_addr: 0x0\n  physical_start_addr: 0x0\n  \
            partition_size: 0x600000\n  region: EMMC_BOOT_1\n  storage: HW_STORAGE_EMMC\n  \
            operation_type: BOOTLOADERS\n\
            - partition_index: SYS1\n  partition_name: MBR\n  file_name: MBR\n  is_download: true\n  \
            linear_start_addr: 0x600000\n  physical_start_addr: 0x0\n  partition_size: 0x80000\n  \
            region: EMMC_USER\n  storage: HW_STORAGE_EMMC\n  operation_type: UPDATE\n\
            - partition_index: SYS2\n  partition_name: NVRAM\n  file_name: NONE\n  is_download: false\n  \
            linear_start_addr: 0x680000\n  physical_start_addr: 0x80000\n  partition_size: 0x500000\n  \
            region: EMMC_USER\n  storage: HW_STORAGE_EMMC\n  operation_type: BINREGION\n\
            - partition_index: SYS3\n  partition_name: BMTPOOL\n  file_name: NONE\n  is_download: false\n  \
            linear_start_addr: 0xFFFF00a8\n  physical_start_addr: 0x0\n  partition_size: 0x1500000\n  \
            region: EMMC_USER\n  storage: HW_STORAGE_EMMC\n  operation_type: RESERVED\n";
        let original = scatter::parse(text).unwrap();
        let again = scatter::parse(&scatter_text(&original)).unwrap();
        assert!(again.warnings.is_empty(), "{:?}", again.warnings);
        assert_eq!(again.platform, original.platform);
        assert_eq!(again.project, original.project);
        assert_eq!(again.storage, original.storage);
        let strip = |s: &Scatter| {
            s.partitions
                .iter()
                .map(|p| scatter::Partition {
                    line: 0,
                    ..p.clone()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&again), strip(&original));
    }
}
