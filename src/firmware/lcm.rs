//! Display driver (LCM) names compiled into lk.bin and into the kernel.
//!
//! Each LCM driver has a `name` string (`hx8369b_fwvga_dsi_vdo`, `otm8018b_dsi_vdo`, ...). LK
//! probes the panel with every driver built in and passes the winner to the kernel as
//! `lcm=1-<name>`; the kernel looks that name up in its own list. A ROM whose LK and kernel
//! lists miss the board's panel gives a black screen, so the technician needs both lists.
//!
//! How names are found:
//! - binaries are read as a stream of NUL-terminated printable strings ([`CStrings`]), in
//!   bounded memory;
//! - each string is judged by its shape ([`is_panel_name`]), learnt from the real MT6572 names
//!   in `realdata/lcm/MT6572_lcm_names.txt`: a controller IC token (`hx8369b`, `ili9806e`,
//!   `otm8018b`, `nt35512`, `st7701`, ...) plus a resolution or interface token (`wvga`,
//!   `fwvga`, `qhd`, `dsi`, `dpi`, `mcu`, `vdo`, ...), with no word that marks a function,
//!   symbol or camera/touch driver. So a board's own panel driver is found without being
//!   listed anywhere;
//! - the kernel of a boot image is a zImage (optionally behind a 512-byte MediaTek header)
//!   whose payload is packed with gzip, XZ, LZMA, bzip2 or LZO ([`crate::firmware::zimage`]):
//!   every start of a stream is tried in file order and inflated as a stream until one yields
//!   a Linux image (its `Linux version` banner); a false magic inside the decompressor code
//!   fails and the next one is tried.
//!
//! Names are returned deduplicated, in first-seen order. Pure over bytes/readers: no paths.

use std::{collections::HashSet, io::Read};

use serde::Serialize;

use crate::{
    error::Advice,
    firmware::{
        bootimg, mtk_header,
        zimage::{self, Compression},
    },
};

/// The longest string [`CStrings`] collects; longer runs are text, not names.
pub const MAX_STRING: usize = 128;

/// The largest compressed kernel read into memory while looking for its payload.
pub const MAX_KERNEL: u64 = 64 << 20;

const CHUNK: usize = 64 << 10;

/// Splits a byte stream into NUL-terminated printable ASCII strings, as `strings` would but
/// keeping only C strings (terminated by NUL). Fed in chunks of any size; holds at most
/// [`MAX_STRING`] bytes.
#[derive(Debug, Default)]
pub struct CStrings {
    run: Vec<u8>,
    too_long: bool,
}

impl CStrings {
    /// Feeds the next chunk; `found` is called with each complete string of 4 or more bytes.
    pub fn feed(&mut self, bytes: &[u8], mut found: impl FnMut(&str)) {
        for &b in bytes {
            match b {
                0 => {
                    if !self.too_long && self.run.len() >= 4 {
                        // Only printable ASCII was pushed, so this is valid UTF-8.
                        if let Ok(s) = std::str::from_utf8(&self.run) {
                            found(s);
                        }
                    }
                    self.run.clear();
                    self.too_long = false;
                }
                b'\t' | 0x20..=0x7E => {
                    if self.run.len() < MAX_STRING {
                        self.run.push(b);
                    } else {
                        self.too_long = true;
                    }
                }
                _ => {
                    self.run.clear();
                    self.too_long = false;
                }
            }
        }
    }
}

/// Collects panel names from a byte stream, deduplicated in first-seen order.
#[derive(Debug, Default)]
pub struct NameScanner {
    strings: CStrings,
    seen: HashSet<String>,
    names: Vec<String>,
}

impl NameScanner {
    /// Feeds the next chunk of the binary.
    pub fn feed(&mut self, bytes: &[u8]) {
        let (seen, names) = (&mut self.seen, &mut self.names);
        self.strings.feed(bytes, |s| {
            if is_panel_name(s) && seen.insert(s.to_owned()) {
                names.push(s.to_owned());
            }
        });
    }

    /// The names found so far.
    pub fn into_names(self) -> Vec<String> {
        self.names
    }
}

/// Names of real MT6572 panel drivers whose shape lacks a resolution or interface token, so
/// the shape rule alone would miss them (from ProjectConfig.mk of the `ipro72_we_jb3` and
/// `pe900s` projects).
const IRREGULAR_NAMES: [&str; 2] = ["s6d04d2x01", "hx8347_pd800"];

/// Interface words of a panel driver name; may carry a bus width (`mcu18`).
const INTERFACES: [&str; 7] = ["dsi", "dbi", "dpi", "mcu", "rgb", "lvds", "edp"];

/// Resolution words of a panel driver name.
const RESOLUTIONS: [&str; 16] = [
    "qvga", "wqvga", "hvga", "wvga", "fwvga", "qhd", "hd", "hd720", "fhd", "wqhd", "svga", "wsvga",
    "wxga", "wuxga", "720p", "1080p",
];

/// Words that say "this is a video-mode panel driver" on their own.
const MODES: [&str; 3] = ["vdo", "video", "vedio"];

/// Words that make a string a function, symbol, log tag or another kind of driver.
const NOT_PANEL: [&str; 33] = [
    "lcm", "drv", "init", "probe", "suspend", "resume", "set", "get", "read", "write", "reg",
    "irq", "isr", "handler", "config", "dump", "test", "debug", "raw", "yuv", "mipiraw", "sensor",
    "cam", "camera", "ts", "tp", "tpd", "touch", "i2c", "flash", "charger", "bat", "power",
];

/// Letter prefixes of chip-like tokens that are not display controllers (SoCs, colour
/// formats, buses, memories, hashes).
const NOT_IC_PREFIX: [&str; 28] = [
    "mt", "msm", "rgb", "bgr", "argb", "abgr", "rgba", "bgra", "yuv", "nv", "arm", "armv", "sha",
    "crc", "md", "utf", "iso", "ext", "fat", "usb", "uart", "spi", "gpio", "eint", "pmic", "ddr",
    "lpddr", "emmc",
];

/// True when `s` has the shape of an LCM driver name: 8–64 characters of `[A-Za-z0-9_]` in at
/// least two `_`-separated words, one of them a controller IC token (1–4 letters then at
/// least three digits, e.g. `otm8018b`, `ili9806e`, `s6d0170`) and another a resolution or
/// interface word (`fwvga`, `qhd`, `dsi`, `mcu18`, ...) or `vdo`/`video`; and no word that
/// marks a function or another driver (`init`, `lcm`, `drv`, `raw`, `tp`, ...). Case is
/// ignored. A few real irregular names are accepted as they are.
pub fn is_panel_name(s: &str) -> bool {
    if !(6..=64).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if IRREGULAR_NAMES.contains(&lower.as_str()) {
        return true;
    }
    if s.len() < 8 {
        return false;
    }
    let words: Vec<&str> = lower.split('_').collect();
    if words.len() < 2 || words.iter().any(|w| w.is_empty()) {
        return false;
    }
    if words.iter().any(|w| NOT_PANEL.contains(w)) {
        return false;
    }
    let ic = words.iter().position(|w| is_ic_token(w));
    let Some(ic) = ic else { return false };
    words.iter().enumerate().any(|(i, w)| {
        i != ic
            && (RESOLUTIONS.contains(w)
                || MODES.contains(w)
                || INTERFACES.iter().any(|p| {
                    w.strip_prefix(p)
                        .is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
                }))
    })
}

/// A display controller IC token: 1–4 letters, then a digit, at least three digits in all,
/// 4–16 alphanumerics, not a SoC/format/bus prefix.
fn is_ic_token(w: &str) -> bool {
    if !(4..=16).contains(&w.len()) || !w.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let letters = w.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
    if !(1..=4).contains(&letters) {
        return false;
    }
    let digits = w.bytes().filter(|b| b.is_ascii_digit()).count();
    digits >= 3 && !NOT_IC_PREFIX.contains(&&w[..letters])
}

/// Panel names in a whole binary read as a stream (lk.bin, an uncompressed kernel).
pub fn names_in<R: Read>(mut reader: R) -> std::io::Result<Vec<String>> {
    let mut scanner = NameScanner::default();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        scanner.feed(&buf[..n]);
    }
    Ok(scanner.into_names())
}

/// How the kernel payload was found. In JSON: `{"compression": "xz", "offset": 9236}`, or
/// `{"compression": "plain"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelPayload {
    /// A compressed stream at `offset` of the zImage (after any MediaTek header) inflated to a
    /// Linux image.
    Packed {
        /// The compressor.
        compression: Compression,
        /// Offset of the stream's magic.
        offset: u64,
    },
    /// No compressed stream start at all: the bytes were searched as they are (an
    /// uncompressed kernel).
    Plain,
}

impl KernelPayload {
    /// `gzip`, `xz`, `lzma`, `bzip2`, `lzo` or `plain`, as the JSON writes it.
    pub fn compression_name(&self) -> &'static str {
        match self {
            KernelPayload::Packed { compression, .. } => compression.json_name(),
            KernelPayload::Plain => "plain",
        }
    }
}

impl Serialize for KernelPayload {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("KernelPayload", 2)?;
        match self {
            KernelPayload::Packed {
                compression,
                offset,
            } => {
                st.serialize_field("compression", compression)?;
                st.serialize_field("offset", offset)?;
            }
            KernelPayload::Plain => {
                st.serialize_field("compression", self.compression_name())?;
                st.skip_field("offset")?;
            }
        }
        st.end()
    }
}

/// Panel names found in a kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelNames {
    /// Where the names were searched.
    pub payload: KernelPayload,
    /// Names in first-seen order.
    pub names: Vec<String>,
}

/// Why the kernel's names could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum LcmError {
    /// The boot image header is unusable.
    #[error(transparent)]
    BootImage(#[from] bootimg::BootImageError),
    /// The header announces a kernel larger than this tool reads into memory.
    #[error("the boot image announces a {size}-byte kernel; no MT6572 kernel is that large")]
    KernelTooLarge {
        /// The announced kernel size.
        size: u64,
    },
    /// The file ends before the kernel the header announces.
    #[error(
        "the boot image is cut short: its kernel should be {expected} bytes, only {found} are there"
    )]
    KernelTruncated {
        /// Bytes announced.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// Compressed-stream starts were found but none inflated to a Linux image.
    #[error(
        "the kernel's compressed payload cannot be read: {}, none inflates to a Linux kernel",
        tried_text(.tried)
    )]
    NotInflatable {
        /// Every start tried: the compressor and the offset in the zImage.
        tried: Vec<(Compression, u64)>,
    },
    /// Reading the image failed.
    #[error("cannot read the image: {0}")]
    Io(#[from] std::io::Error),
}

/// "found 1 gzip start at 0x240 and 2 XZ starts at 0x100, 0x300".
fn tried_text(tried: &[(Compression, u64)]) -> String {
    let mut kinds: Vec<Compression> = tried.iter().map(|(c, _)| *c).collect();
    kinds.sort();
    kinds.dedup();
    let parts: Vec<String> = kinds
        .iter()
        .map(|k| {
            let at: Vec<String> = tried
                .iter()
                .filter(|(c, _)| c == k)
                .map(|(_, o)| format!("{o:#x}"))
                .collect();
            let s = if at.len() == 1 { "" } else { "s" };
            format!("{} {} start{s} at {}", at.len(), k.name(), at.join(", "))
        })
        .collect();
    format!("found {}", parts.join(" and "))
}

impl Advice for LcmError {
    fn help(&self) -> String {
        match self {
            LcmError::BootImage(e) => e.help(),
            LcmError::Io(_) => "check the disk and the file, then try again".into(),
            _ => "the boot image is damaged: take boot.img again from the original ROM".into(),
        }
    }

    fn is_bad_input(&self) -> bool {
        !matches!(self, LcmError::Io(_))
    }
}

/// The banner every Linux image carries (`linux_banner`): proof that a stream inflated to a
/// kernel and not to something that happened to decode.
const LINUX_BANNER: &[u8] = b"Linux version ";

/// Panel names in a kernel image: a zImage, optionally behind a 512-byte MediaTek header.
/// Each compressed-stream start ([`zimage::candidates`], in file order) is inflated as a
/// stream until one yields a Linux image; the kernel itself must be in memory (a few MiB).
pub fn names_in_kernel(kernel: &[u8]) -> Result<KernelNames, LcmError> {
    let zimage = match mtk_header::parse(kernel) {
        Ok(h) => {
            let end = (mtk_header::HEADER_LEN as u64 + u64::from(h.payload_size))
                .min(kernel.len() as u64) as usize;
            &kernel[mtk_header::HEADER_LEN..end]
        }
        Err(_) => kernel,
    };
    let candidates = zimage::candidates(zimage);
    for c in &candidates {
        if let Some(names) = inflate_names(c.compression, &zimage[c.offset..]) {
            return Ok(KernelNames {
                payload: KernelPayload::Packed {
                    compression: c.compression,
                    offset: c.offset as u64,
                },
                names,
            });
        }
    }
    if !candidates.is_empty() {
        return Err(LcmError::NotInflatable {
            tried: candidates
                .iter()
                .map(|c| (c.compression, c.offset as u64))
                .collect(),
        });
    }
    let mut scanner = NameScanner::default();
    scanner.feed(zimage);
    Ok(KernelNames {
        payload: KernelPayload::Plain,
        names: scanner.into_names(),
    })
}

/// Reads an Android boot image from its start only as far as the end of its kernel, and lists
/// the kernel's panel names.
pub fn names_in_boot_image<R: Read>(mut reader: R) -> Result<KernelNames, LcmError> {
    let mut head = vec![0u8; bootimg::HEADER_LEN];
    let got = read_full(&mut reader, &mut head)?;
    let header = bootimg::parse(&head[..got])?;
    let range = header.kernel_range();
    let size = range.end - range.start;
    if size > MAX_KERNEL {
        return Err(LcmError::KernelTooLarge { size });
    }
    let skip = range.start - got as u64;
    let skipped = std::io::copy(&mut (&mut reader).take(skip), &mut std::io::sink())?;
    let mut kernel = Vec::with_capacity(size as usize);
    (&mut reader).take(size).read_to_end(&mut kernel)?;
    if skipped < skip || (kernel.len() as u64) < size {
        return Err(LcmError::KernelTruncated {
            expected: size,
            found: kernel.len() as u64,
        });
    }
    names_in_kernel(&kernel)
}

/// Fills `buf` as far as the reader allows; returns the bytes read.
fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Inflates one stream from the start of `bytes`, scanning the output as it comes. `None`
/// when it is not a valid stream (a false magic) or does not hold a Linux image.
fn inflate_names(compression: Compression, bytes: &[u8]) -> Option<Vec<String>> {
    let mut scanner = NameScanner::default();
    let mut banner = Finder::new(LINUX_BANNER);
    zimage::inflate(compression, bytes, &mut |chunk| {
        banner.feed(chunk);
        scanner.feed(chunk);
    })
    .ok()?;
    banner.found.then(|| scanner.into_names())
}

/// Looks for a byte string in a stream fed in chunks of any size.
struct Finder {
    needle: &'static [u8],
    /// The last `needle.len() - 1` bytes seen, for a match across a chunk border.
    tail: Vec<u8>,
    found: bool,
}

impl Finder {
    fn new(needle: &'static [u8]) -> Finder {
        Finder {
            needle,
            tail: Vec::with_capacity(2 * needle.len()),
            found: false,
        }
    }

    fn feed(&mut self, chunk: &[u8]) {
        if self.found {
            return;
        }
        let keep = self.needle.len() - 1;
        self.tail.extend_from_slice(&chunk[..chunk.len().min(keep)]);
        self.found = memchr::memmem::find(&self.tail, self.needle).is_some()
            || memchr::memmem::find(chunk, self.needle).is_some();
        if chunk.len() >= keep {
            self.tail.clear();
            self.tail.extend_from_slice(&chunk[chunk.len() - keep..]);
        } else {
            let drop = self.tail.len().saturating_sub(keep);
            self.tail.drain(..drop);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::synth::gzip;

    #[test]
    fn strings_must_end_in_nul_and_survive_chunk_borders() {
        let data = b"\x01\x02hx8369b_fwvga_dsi_vdo\0junk\xffotm8018b_dsi_vdo\0tail_without_nul_dsi";
        let mut found = Vec::new();
        let mut s = CStrings::default();
        for chunk in data.chunks(3) {
            s.feed(chunk, |x| found.push(x.to_owned()));
        }
        assert_eq!(found, ["hx8369b_fwvga_dsi_vdo", "otm8018b_dsi_vdo"]);
    }

    #[test]
    fn over_long_runs_are_dropped() {
        let mut data = vec![b'a'; MAX_STRING + 5];
        data.extend_from_slice(b"_nt35512_dsi_vdo\0");
        assert!(names_in(&data[..]).unwrap().is_empty());
    }

    #[test]
    fn recognises_panel_shapes() {
        for good in [
            "hx8369b_fwvga_dsi_vdo",
            "otm8018b_dsi_vdo",
            "ili9806e_dsi_wvga_vdo_hlt",
            "st7701_wvga_dsi_vdo",
            "nt35510_dsi_cmd_6572",
            "nt35582_mcu_6575",
            "ili9488_hvga_dsi",
            "otm8009_jingtai_JTD040347S_HSD_WVGA_MCU18",
            "CM_OTC3108BH161_DSI_VDO",
            "hx8389b_qhd_dsi_vdo_tianma",
            "s6d04d2x01",
            "hx8347_pd800",
            // shapes not in the real list: a board's own driver
            "jd9161_fwvga_dsi_vdo_xyz",
            "rm68200_hd720_dsi",
        ] {
            assert!(is_panel_name(good), "{good} should be a panel name");
        }
    }

    #[test]
    fn rejects_ordinary_strings() {
        for bad in [
            "mt6572v1_phone",
            "dsi_enable_power",
            "disp_drv_dbi_init_context",
            "lcm_compare_id",
            "kernel_charging_boot",
            "DSI_dcs_read_lcm_reg_v2",
            "MSDC1_CLOCK",
            "mt65xx_bat_init",
            "preloader_a516_row.bin",
            "hx8379a_6572_dsi_vdo_lcm_drv",
            "otm8018b_dsi_vdo_init",
            "ov5647_mipi_raw",
            "gc0329_yuv_sensor",
            "ft5306_i2c_ts",
            "rgb565_to_rgb888_dsi",
            "mt6572_dsi_vdo",
            "sha256_dpi_update",
            "[LCM Specified]\t[%s]",
            "hx8369b",
            "otm8018b dsi vdo",
            "__otm8018b_dsi",
        ] {
            assert!(!is_panel_name(bad), "{bad} should not be a panel name");
        }
    }

    #[test]
    fn kernel_gzip_is_found_after_a_false_magic() {
        let inner = b"\0Linux version 3.4.5\0hx8369b_fwvga_dsi_vdo\0otm8018b_dsi_vdo\0hx8369b_fwvga_dsi_vdo\0";
        let mut zimage = vec![0u8; 0x40];
        zimage.extend_from_slice(&[0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad]); // decoy in the decompressor
        zimage.extend_from_slice(&[0x55; 32]);
        let at = zimage.len();
        zimage.extend_from_slice(&gzip(inner));
        zimage.extend_from_slice(&[0x12, 0x34, 0x56, 0x00]);
        let k = names_in_kernel(&zimage).unwrap();
        assert_eq!(
            k.payload,
            KernelPayload::Packed {
                compression: Compression::Gzip,
                offset: at as u64
            }
        );
        assert_eq!(k.names, ["hx8369b_fwvga_dsi_vdo", "otm8018b_dsi_vdo"]);
    }

    #[test]
    fn every_kernel_compression_is_read_from_a_real_layout_boot_image() {
        use crate::firmware::synth::{boot_image, kernel_image_packed, ramdisk_image};
        let names = ["hx8369b_fwvga_dsi_vdo", "otm8018b_dsi_vdo"];
        for compression in [
            Compression::Gzip,
            Compression::Xz,
            Compression::Lzma,
            Compression::Bzip2,
            Compression::Lzo,
        ] {
            let kernel = kernel_image_packed(compression, &names);
            let img = boot_image(&kernel, &ramdisk_image(), 2048);
            let k = names_in_boot_image(&img[..]).unwrap();
            // The decoy in the decompressor stub sits at 0x100; the real stream after the stub.
            assert_eq!(
                k.payload,
                KernelPayload::Packed {
                    compression,
                    offset: 0x200
                },
                "{compression:?}"
            );
            assert_eq!(k.names, names, "{compression:?}");
            let json = serde_json::to_value(k.payload).unwrap();
            assert_eq!(json["compression"], compression.name().to_ascii_lowercase());
            assert_eq!(json["offset"], 0x200);
        }
        let plain = serde_json::to_value(KernelPayload::Plain).unwrap();
        assert_eq!(plain, serde_json::json!({"compression": "plain"}));
    }

    #[test]
    fn a_stream_without_a_linux_banner_is_not_taken() {
        let packed = crate::firmware::synth::compress(Compression::Xz, b"\0nt35512_dsi_vdo\0");
        let err = names_in_kernel(&packed).unwrap_err();
        assert!(
            matches!(&err, LcmError::NotInflatable { tried } if tried == &[(Compression::Xz, 0)]),
            "{err:?}"
        );
        assert!(err.to_string().contains("found 1 XZ start at 0x0"), "{err}");
    }

    #[test]
    fn the_banner_is_found_across_chunk_borders() {
        let text = b"xxLinux version 3.4";
        for split in 0..text.len() {
            let mut f = Finder::new(LINUX_BANNER);
            for part in [&text[..split], &text[split..]] {
                for byte in part.chunks(if split % 2 == 0 { 1 } else { 64 }) {
                    f.feed(byte);
                }
            }
            assert!(f.found, "split at {split}");
        }
        let mut f = Finder::new(LINUX_BANNER);
        f.feed(b"Linux versio");
        f.feed(b"n3.4 ");
        assert!(!f.found);
    }

    #[test]
    fn damaged_gzip_is_an_error_and_plain_kernels_are_searched_raw() {
        let mut bad = gzip(b"\0Linux version 3.4\0nt35512_dsi_vdo\0");
        let n = bad.len();
        bad[12..n - 8].fill(0xFF);
        assert!(matches!(
            names_in_kernel(&bad),
            Err(LcmError::NotInflatable { tried }) if tried == [(Compression::Gzip, 0)]
        ));
        let plain = names_in_kernel(b"\0nt35512_dsi_vdo\0").unwrap();
        assert_eq!(plain.payload, KernelPayload::Plain);
        assert_eq!(plain.names, ["nt35512_dsi_vdo"]);
    }

    #[test]
    fn truncated_boot_image_is_reported() {
        let mut img = vec![0u8; 2048];
        img[..8].copy_from_slice(bootimg::MAGIC);
        img[8..12].copy_from_slice(&5000u32.to_le_bytes());
        img[0x24..0x28].copy_from_slice(&2048u32.to_le_bytes());
        img.extend_from_slice(&[0u8; 100]);
        assert!(matches!(
            names_in_boot_image(&img[..]),
            Err(LcmError::KernelTruncated {
                expected: 5000,
                found: 100
            })
        ));
    }
}
