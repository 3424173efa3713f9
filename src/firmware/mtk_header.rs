//! The 512-byte MediaTek image header (magic 0x58881688) in front of LK, kernel, ramdisk and
//! logo images.
//!
//! Layout (little-endian), checked against the real Lenovo A516 and Mobiwire S10 images:
//!
//! | offset | size | field                                                       |
//! |--------|------|-------------------------------------------------------------|
//! | 0x00   | 4    | magic `88 16 88 58`                                          |
//! | 0x04   | 4    | payload size, *excluding* this header                       |
//! | 0x08   | 32   | name, NUL padded: `LK`, `KERNEL`, `ROOTFS`, `RECOVERY`, `LOGO` |
//! | 0x28   | 472  | 0xFF fill                                                   |
//!
//! Pure parsing over bytes; no file access here.

use serde::Serialize;

use crate::error::Advice;

/// The header magic as a little-endian word.
pub const MAGIC: u32 = 0x5888_1688;

/// The header's length; the payload follows it.
pub const HEADER_LEN: usize = 512;

const NAME_OFFSET: usize = 0x08;
const NAME_LEN: usize = 32;

/// A decoded MediaTek image header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MtkHeader {
    /// Payload size in bytes, not counting the 512-byte header.
    pub payload_size: u32,
    /// Image name (`LK`, `KERNEL`, `ROOTFS`, `RECOVERY`, `LOGO`, ...).
    pub name: String,
}

impl MtkHeader {
    /// Header plus payload: the length of the whole image as its builder wrote it. A partition
    /// readback is longer (padded to the partition size).
    pub fn image_len(&self) -> u64 {
        HEADER_LEN as u64 + u64::from(self.payload_size)
    }
}

/// Why a buffer is not a MediaTek image header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MtkHeaderError {
    /// Fewer than 512 bytes.
    #[error("the image is {len} bytes long, too short for a 512-byte MediaTek header")]
    TooShort {
        /// Bytes available.
        len: usize,
    },
    /// The first word is not 0x58881688.
    #[error("no MediaTek image header: the first word is {found:#010x}, not 0x58881688")]
    BadMagic {
        /// The word found at offset 0.
        found: u32,
    },
    /// The name field holds bytes that are not printable ASCII.
    #[error("the MediaTek image header's name field is not readable text")]
    BadName,
}

impl Advice for MtkHeaderError {
    fn help(&self) -> String {
        match self {
            MtkHeaderError::TooShort { .. } | MtkHeaderError::BadName => {
                "the file is damaged or truncated: take the image again from the original ROM"
                    .into()
            }
            MtkHeaderError::BadMagic { .. } => {
                "this image has no MediaTek header; check it is the file the scatter names".into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

/// True when `bytes` starts with the MediaTek header magic (cheap sniff, no validation).
pub fn has_magic(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && read_u32(bytes, 0) == MAGIC
}

/// Decodes the header at the start of `bytes` (which may hold more than the header).
pub fn parse(bytes: &[u8]) -> Result<MtkHeader, MtkHeaderError> {
    if bytes.len() < HEADER_LEN {
        return Err(MtkHeaderError::TooShort { len: bytes.len() });
    }
    let magic = read_u32(bytes, 0);
    if magic != MAGIC {
        return Err(MtkHeaderError::BadMagic { found: magic });
    }
    let field = &bytes[NAME_OFFSET..NAME_OFFSET + NAME_LEN];
    let end = field.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
    let name = &field[..end];
    if !name.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        return Err(MtkHeaderError::BadName);
    }
    Ok(MtkHeader {
        payload_size: read_u32(bytes, 4),
        name: String::from_utf8_lossy(name).into_owned(),
    })
}

/// Little-endian u32 at `at`; the caller has checked the length.
pub(crate) fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, size: u32) -> Vec<u8> {
        let mut h = vec![0xFFu8; HEADER_LEN];
        h[..4].copy_from_slice(&MAGIC.to_le_bytes());
        h[4..8].copy_from_slice(&size.to_le_bytes());
        h[8..40].fill(0);
        h[8..8 + name.len()].copy_from_slice(name.as_bytes());
        h
    }

    #[test]
    fn decodes_name_and_size() {
        let h = parse(&header("LK", 0x3e560)).unwrap();
        assert_eq!(h.name, "LK");
        assert_eq!(h.payload_size, 0x3e560);
        assert_eq!(h.image_len(), 255_840);
    }

    #[test]
    fn refuses_short_and_foreign_buffers() {
        assert_eq!(
            parse(&[0x88, 0x16, 0x88, 0x58]),
            Err(MtkHeaderError::TooShort { len: 4 })
        );
        let mut h = header("LK", 1);
        h[0] = 0;
        assert!(matches!(parse(&h), Err(MtkHeaderError::BadMagic { .. })));
        let mut h = header("LK", 1);
        h[9] = 0x07;
        assert_eq!(parse(&h), Err(MtkHeaderError::BadName));
    }

    #[test]
    fn a_32_byte_name_without_nul_is_kept_whole() {
        let name = "A".repeat(32);
        assert_eq!(parse(&header(&name, 0)).unwrap().name, name);
    }
}
