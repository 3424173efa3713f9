//! Android boot images (boot.img, recovery.img): header, kernel, ramdisk.
//!
//! MT6572 ROMs use the original (version 0) header, 1632 bytes at the start of page 0:
//!
//! | offset | size | field                                  |
//! |--------|------|----------------------------------------|
//! | 0x000  | 8    | magic `ANDROID!`                       |
//! | 0x008  | 4×8  | kernel size/addr, ramdisk size/addr, second size/addr, tags addr, page size |
//! | 0x028  | 4    | header version (0 on MT6572)            |
//! | 0x02C  | 4    | OS version and patch level (0 on MT6572)|
//! | 0x030  | 16   | board name                             |
//! | 0x040  | 512  | kernel command line                    |
//! | 0x240  | 32   | id (SHA-1 of the parts, zero padded)   |
//! | 0x260  | 1024 | command line continuation              |
//!
//! Then come, each starting on a page boundary: the kernel, the ramdisk and the optional second
//! stage. On MediaTek ROMs the kernel and the ramdisk each carry a 512-byte MediaTek header of
//! their own (see [`crate::firmware::mtk_header`]). Pure parsing over bytes; no file access.

use std::ops::Range;

use serde::Serialize;

use crate::{error::Advice, firmware::mtk_header::read_u32};

/// The magic at offset 0.
pub const MAGIC: &[u8; 8] = b"ANDROID!";

/// Length of the version-0 header structure.
pub const HEADER_LEN: usize = 1632;

/// A decoded Android boot image header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BootImageHeader {
    /// Kernel size in bytes (on MediaTek ROMs this includes the kernel's 512-byte MTK header).
    pub kernel_size: u32,
    /// Physical load address of the kernel.
    pub kernel_addr: u32,
    /// Ramdisk size in bytes (including its MTK header on MediaTek ROMs).
    pub ramdisk_size: u32,
    /// Physical load address of the ramdisk.
    pub ramdisk_addr: u32,
    /// Second-stage size (0 when absent).
    pub second_size: u32,
    /// Second-stage load address.
    pub second_addr: u32,
    /// Physical address of the kernel tags (ATAGs).
    pub tags_addr: u32,
    /// Flash page size: every part starts on a multiple of it (2048 on MT6572).
    pub page_size: u32,
    /// Header version (0 on every MT6572 ROM seen).
    pub header_version: u32,
    /// Board name (often empty; `14` in one real A516 image).
    pub name: String,
    /// Kernel command line (both fields joined); empty on MT6572, where LK builds it.
    pub cmdline: String,
    /// The id field as hex (the build tool's SHA-1, zero padded).
    pub id: String,
}

impl BootImageHeader {
    /// Rounds `len` up to whole pages.
    fn pages(&self, len: u32) -> u64 {
        u64::from(len).div_ceil(u64::from(self.page_size)) * u64::from(self.page_size)
    }

    /// Where the kernel lies in the image file.
    pub fn kernel_range(&self) -> Range<u64> {
        let start = u64::from(self.page_size);
        start..start + u64::from(self.kernel_size)
    }

    /// Where the ramdisk lies in the image file.
    pub fn ramdisk_range(&self) -> Range<u64> {
        let start = u64::from(self.page_size) + self.pages(self.kernel_size);
        start..start + u64::from(self.ramdisk_size)
    }

    /// Where the second stage lies in the image file (empty when there is none).
    pub fn second_range(&self) -> Range<u64> {
        let start = self.ramdisk_range().start + self.pages(self.ramdisk_size);
        start..start + u64::from(self.second_size)
    }

    /// The length the image must have at least to hold every part its header announces.
    pub fn image_len(&self) -> u64 {
        self.second_range().start + self.pages(self.second_size)
    }
}

/// Why a buffer is not a usable Android boot image header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BootImageError {
    /// Fewer bytes than the header needs.
    #[error(
        "the image is {len} bytes long, too short for an Android boot image header ({HEADER_LEN} bytes)"
    )]
    TooShort {
        /// Bytes available.
        len: usize,
    },
    /// No `ANDROID!` at offset 0.
    #[error("not an Android boot image: it does not start with \"ANDROID!\"")]
    BadMagic,
    /// A page size that no flash uses, so the parts cannot be located.
    #[error("the boot image header gives a page size of {page_size} bytes, which no phone uses")]
    BadPageSize {
        /// The value found.
        page_size: u32,
    },
}

impl Advice for BootImageError {
    fn help(&self) -> String {
        match self {
            BootImageError::BadMagic => {
                "check that the scatter's BOOTIMG/RECOVERY file really is a boot image".into()
            }
            BootImageError::TooShort { .. } | BootImageError::BadPageSize { .. } => {
                "the boot image is damaged: take it again from the original ROM, or repack it \
                 with page size 2048"
                    .into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

/// True when `bytes` starts with `ANDROID!` (cheap sniff, no validation).
pub fn has_magic(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Decodes the header at the start of `bytes` (which may hold the whole image).
pub fn parse(bytes: &[u8]) -> Result<BootImageHeader, BootImageError> {
    if bytes.len() < HEADER_LEN {
        if bytes.len() >= MAGIC.len() && !has_magic(bytes) {
            return Err(BootImageError::BadMagic);
        }
        return Err(BootImageError::TooShort { len: bytes.len() });
    }
    if !has_magic(bytes) {
        return Err(BootImageError::BadMagic);
    }
    let word = |i: usize| read_u32(bytes, 8 + 4 * i);
    let page_size = word(7);
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(BootImageError::BadPageSize { page_size });
    }
    let mut cmdline = c_text(&bytes[0x40..0x240]);
    cmdline.push_str(&c_text(&bytes[0x260..0x660]));
    Ok(BootImageHeader {
        kernel_size: word(0),
        kernel_addr: word(1),
        ramdisk_size: word(2),
        ramdisk_addr: word(3),
        second_size: word(4),
        second_addr: word(5),
        tags_addr: word(6),
        page_size,
        header_version: word(8),
        name: c_text(&bytes[0x30..0x40]),
        cmdline,
        id: hex::encode(&bytes[0x240..0x260]),
    })
}

/// The text of a NUL-terminated field, with any non-UTF-8 byte replaced.
fn c_text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header with the MT6572 layout (base 0x10000000, page 2048).
    fn header(kernel: u32, ramdisk: u32, cmdline: &str) -> Vec<u8> {
        let mut h = vec![0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        let words = [
            kernel,
            0x1000_8000,
            ramdisk,
            0x1100_0000,
            0,
            0x10f0_0000,
            0x1000_0100,
            2048,
        ];
        for (i, w) in words.iter().enumerate() {
            h[8 + 4 * i..12 + 4 * i].copy_from_slice(&w.to_le_bytes());
        }
        h[0x40..0x40 + cmdline.len()].copy_from_slice(cmdline.as_bytes());
        h
    }

    #[test]
    fn decodes_fields_and_part_offsets() {
        let h = parse(&header(0x3d2088, 0x9bf06, "console=ttyMT1")).unwrap();
        assert_eq!(h.kernel_addr, 0x1000_8000);
        assert_eq!(h.ramdisk_addr, 0x1100_0000);
        assert_eq!(h.tags_addr, 0x1000_0100);
        assert_eq!(h.page_size, 2048);
        assert_eq!(h.cmdline, "console=ttyMT1");
        assert_eq!(h.kernel_range(), 0x800..0x800 + 0x3d2088);
        // kernel 0x3d2088 rounds up to 0x3d2800; ramdisk starts one page later.
        assert_eq!(h.ramdisk_range().start, 0x800 + 0x3d2800);
        assert_eq!(h.image_len(), 0x800 + 0x3d2800 + 0x9c000);
    }

    #[test]
    fn cmdline_continues_into_the_extra_field() {
        let mut raw = header(1, 1, &"a".repeat(511));
        raw[0x260..0x263].copy_from_slice(b"xyz");
        let h = parse(&raw).unwrap();
        assert_eq!(h.cmdline.len(), 514);
        assert!(h.cmdline.ends_with("axyz"));
    }

    #[test]
    fn refuses_bad_input_without_panicking() {
        assert_eq!(parse(b"ANDROID!"), Err(BootImageError::TooShort { len: 8 }));
        assert_eq!(parse(b"NOTANDROID"), Err(BootImageError::BadMagic));
        let mut raw = header(1, 1, "");
        raw[0x24..0x28].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            parse(&raw),
            Err(BootImageError::BadPageSize { page_size: 0 })
        );
        raw[0x24..0x28].copy_from_slice(&3000u32.to_le_bytes());
        assert!(parse(&raw).is_err());
    }
}
