//! Preloader images: GFH file header, build project name, EMI/bloader info version.
//!
//! A flashable `preloader_<project>.bin` starts with GFH records (General File Header): each
//! record begins with `MMM`, a version byte, a u16 size and a u16 type; the first one is
//! `FILE_INFO` (load address, file length, maximum size, content offset, signature length).
//! A readback of EMMC_BOOT_1 starts instead with an `EMMC_BOOT` header and a `BRLYT` boot
//! layout, and carries the GFH at 0x800.
//!
//! Two strings in the body identify the board: the preloader's own build file name
//! `preloader_<project>.bin` (the project is the board's MTK codename, more trustworthy than a
//! scatter's `project`, which third-party tools overwrite) and `MTK_BLOADER_INFO_vNN`, the EMI
//! (DRAM setup) info version that a flasher must match (v11 on MT6572).
//!
//! Pure: headers are parsed from bytes, strings from a stream in bounded memory. Knows no
//! phone and opens no file: it must not import `device`, `transport` or anything that draws.

use std::io::Read;

use serde::{Deserialize, Serialize};

use crate::{
    error::Advice,
    firmware::{
        emi::{self, RamPart},
        lcm::CStrings,
        mtk_header::read_u32,
    },
};

/// `MMM` + version 1, the first word of every GFH record (little-endian).
const GFH_MAGIC: &[u8; 3] = b"MMM";

/// Where the GFH sits in a readback of EMMC_BOOT_1 (after `EMMC_BOOT` and `BRLYT`).
pub const READBACK_GFH_OFFSET: usize = 0x800;

/// How many leading bytes [`scan`] keeps to parse the headers.
pub const HEAD_LEN: usize = 0x1000;

const FILE_INFO_LEN: usize = 0x38;
const BLOADER_TAG: &str = "MTK_BLOADER_INFO_v";

/// How the preloader image is packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PreloaderLayout {
    /// A build output: GFH at offset 0, ready to flash.
    Flashable,
    /// A readback of EMMC_BOOT_1: `EMMC_BOOT` + `BRLYT` first, GFH at 0x800.
    EmmcBootReadback,
}

/// The GFH `FILE_INFO` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GfhFileInfo {
    /// Record format version.
    pub file_version: u32,
    /// File type (1 = ARM bootloader, i.e. a preloader).
    pub file_type: u16,
    /// Boot device code the image was built for.
    pub flash_dev: u8,
    /// Signature type.
    pub sig_type: u8,
    /// Where the BootROM loads the image.
    pub load_addr: u32,
    /// Length of the whole file, signature included.
    pub file_len: u32,
    /// The most the BootROM accepts.
    pub max_size: u32,
    /// Where the code starts (the total GFH length).
    pub content_offset: u32,
    /// Signature length at the end.
    pub sig_len: u32,
    /// Entry point offset.
    pub jump_offset: u32,
    /// Attribute bits.
    pub attr: u32,
}

/// One GFH record's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GfhRecord {
    /// Record type (0 FILE_INFO, 1 BL_INFO, 7 BROM_CFG, ...).
    pub record_type: u16,
    /// Record length in bytes.
    pub size: u16,
}

/// The decoded GFH chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gfh {
    /// The `FILE_INFO` record.
    pub file_info: GfhFileInfo,
    /// Every record found, in order, `FILE_INFO` first.
    pub records: Vec<GfhRecord>,
}

/// What a preloader image tells about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreloaderInfo {
    /// How the image is packaged.
    pub layout: PreloaderLayout,
    /// The GFH, when it decodes.
    pub gfh: Option<Gfh>,
    /// `preloader_<project>.bin` as embedded.
    pub build_name: Option<String>,
    /// The `<project>` part of it.
    pub project: Option<String>,
    /// The `NN` of `MTK_BLOADER_INFO_vNN` (decimal).
    pub emi_version: Option<u32>,
    /// The RAM parts its EMI table lists ([`emi::extract`]), empty when it has none.
    pub ram_parts: Vec<RamPart>,
    /// Why the EMI table cannot be used, when it cannot.
    pub emi_problem: Option<String>,
}

/// The most bytes [`scan`] keeps to read the EMI table (a preloader is at most a few
/// hundred KiB; an EMMC_BOOT_1 readback a few MiB).
pub const MAX_EMI_SCAN: usize = 8 << 20;

/// A preloader's identity: the two strings that say which board it was built for. The same
/// shape for a ROM's preloader image and for the phone's own BOOT_1, so they compare directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreloaderIdentity {
    /// `preloader_<project>.bin` as embedded.
    pub build_name: Option<String>,
    /// The board project the preloader was built for.
    pub project: Option<String>,
    /// The EMI info version (`MTK_BLOADER_INFO_vNN`).
    pub emi_version: Option<u32>,
}

impl From<&PreloaderInfo> for PreloaderIdentity {
    fn from(info: &PreloaderInfo) -> Self {
        PreloaderIdentity {
            build_name: info.build_name.clone(),
            project: info.project.clone(),
            emi_version: info.emi_version,
        }
    }
}

/// Why an image is not a usable preloader.
#[derive(Debug, thiserror::Error)]
pub enum PreloaderError {
    /// Neither a GFH nor an `EMMC_BOOT` header at the start.
    #[error("not a preloader: no GFH header (\"MMM\") and no EMMC_BOOT header at the start")]
    NotPreloader,
    /// A GFH chain that starts but does not decode.
    #[error("the preloader's GFH header is damaged at offset {offset:#x}")]
    BadGfh {
        /// Offset of the damaged record in the file.
        offset: usize,
    },
    /// Reading the image failed.
    #[error("cannot read the preloader: {0}")]
    Io(#[from] std::io::Error),
}

impl Advice for PreloaderError {
    fn help(&self) -> String {
        match self {
            PreloaderError::Io(_) => "check the disk and the file, then try again".into(),
            _ => "use the preloader_<project>.bin of the ROM for this board; never flash a \
                  damaged preloader, the phone would not start at all"
                .into(),
        }
    }

    fn is_bad_input(&self) -> bool {
        !matches!(self, PreloaderError::Io(_))
    }
}

/// How `head` (the start of an image) is packaged as a preloader, if it is one.
pub fn layout(head: &[u8]) -> Option<PreloaderLayout> {
    if head.starts_with(GFH_MAGIC) && head.get(8..17) == Some(b"FILE_INFO".as_slice()) {
        Some(PreloaderLayout::Flashable)
    } else if head.starts_with(b"EMMC_BOOT") {
        Some(PreloaderLayout::EmmcBootReadback)
    } else {
        None
    }
}

/// Decodes the GFH chain at the start of `bytes`.
pub fn parse_gfh(bytes: &[u8]) -> Result<Gfh, PreloaderError> {
    let mut records = Vec::new();
    let mut at = 0usize;
    while bytes.len() >= at + 8 && bytes[at..].starts_with(GFH_MAGIC) {
        let size = u16::from_le_bytes([bytes[at + 4], bytes[at + 5]]);
        let record_type = u16::from_le_bytes([bytes[at + 6], bytes[at + 7]]);
        if size < 8 {
            return Err(PreloaderError::BadGfh { offset: at });
        }
        records.push(GfhRecord { record_type, size });
        at += usize::from(size);
    }
    let first = records
        .first()
        .ok_or(PreloaderError::BadGfh { offset: 0 })?;
    if first.record_type != 0
        || usize::from(first.size) < FILE_INFO_LEN
        || bytes.len() < FILE_INFO_LEN
        || &bytes[8..17] != b"FILE_INFO"
    {
        return Err(PreloaderError::BadGfh { offset: 0 });
    }
    let word = |o: usize| read_u32(bytes, o);
    Ok(Gfh {
        file_info: GfhFileInfo {
            file_version: word(0x14),
            file_type: u16::from_le_bytes([bytes[0x18], bytes[0x19]]),
            flash_dev: bytes[0x1A],
            sig_type: bytes[0x1B],
            load_addr: word(0x1C),
            file_len: word(0x20),
            max_size: word(0x24),
            content_offset: word(0x28),
            sig_len: word(0x2C),
            jump_offset: word(0x30),
            attr: word(0x34),
        },
        records,
    })
}

/// Collects the identity strings of a preloader from a byte stream.
#[derive(Debug, Default)]
pub struct IdentityStrings {
    strings: CStrings,
    /// `preloader_<project>.bin`, first seen.
    pub build_name: Option<String>,
    /// The `NN` of `MTK_BLOADER_INFO_vNN`, first seen.
    pub emi_version: Option<u32>,
}

impl IdentityStrings {
    /// Feeds the next chunk.
    pub fn feed(&mut self, bytes: &[u8]) {
        let (build, emi) = (&mut self.build_name, &mut self.emi_version);
        self.strings.feed(bytes, |s| {
            if build.is_none() {
                *build = build_name_in(s);
            }
            if emi.is_none() {
                *emi = emi_version_in(s);
            }
        });
    }
}

/// `preloader_<project>.bin` inside a string, if any.
fn build_name_in(s: &str) -> Option<String> {
    let start = s.find("preloader_")?;
    let rest = &s[start + "preloader_".len()..];
    let len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        .count();
    (len > 0 && rest[len..].starts_with(".bin")).then(|| format!("preloader_{}.bin", &rest[..len]))
}

/// The version number after `MTK_BLOADER_INFO_v`, if any.
fn emi_version_in(s: &str) -> Option<u32> {
    let rest = &s[s.find(BLOADER_TAG)? + BLOADER_TAG.len()..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    rest[..digits].parse().ok()
}

/// Reads a preloader image (flashable or EMMC_BOOT_1 readback) as a stream and returns what it
/// says about itself. Memory use is bounded: only the first [`HEAD_LEN`] bytes are kept.
pub fn scan<R: Read>(mut reader: R) -> Result<PreloaderInfo, PreloaderError> {
    let mut head = Vec::with_capacity(HEAD_LEN);
    (&mut reader).take(HEAD_LEN as u64).read_to_end(&mut head)?;
    let layout = layout(&head).ok_or(PreloaderError::NotPreloader)?;
    let gfh_at = match layout {
        PreloaderLayout::Flashable => 0,
        PreloaderLayout::EmmcBootReadback => READBACK_GFH_OFFSET,
    };
    let gfh = head.get(gfh_at..).and_then(|b| parse_gfh(b).ok());
    if layout == PreloaderLayout::Flashable && gfh.is_none() {
        return Err(PreloaderError::BadGfh { offset: 0 });
    }
    let mut ids = IdentityStrings::default();
    ids.feed(&head);
    let mut kept = head;
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        ids.feed(&buf[..n]);
        if kept.len() + n <= MAX_EMI_SCAN {
            kept.extend_from_slice(&buf[..n]);
        } else {
            kept = Vec::new();
        }
    }
    let (ram_parts, emi_problem) = if kept.is_empty() {
        (
            Vec::new(),
            Some("the image is too large to hold a preloader".into()),
        )
    } else {
        match emi::extract(&kept) {
            Ok(block) => (block.parts, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        }
    };
    let project = ids.build_name.as_deref().map(|b| {
        b.trim_start_matches("preloader_")
            .trim_end_matches(".bin")
            .to_owned()
    });
    Ok(PreloaderInfo {
        layout,
        gfh,
        build_name: ids.build_name,
        project,
        emi_version: ids.emi_version,
        ram_parts,
        emi_problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FILE_INFO record as the A516 preloader has it, plus a BL_INFO record.
    fn gfh() -> Vec<u8> {
        let mut g = Vec::new();
        g.extend_from_slice(b"MMM\x01");
        g.extend_from_slice(&(FILE_INFO_LEN as u16).to_le_bytes());
        g.extend_from_slice(&0u16.to_le_bytes());
        g.extend_from_slice(b"FILE_INFO\0\0\0");
        g.extend_from_slice(&1u32.to_le_bytes());
        g.extend_from_slice(&1u16.to_le_bytes());
        g.extend_from_slice(&[5, 1]);
        for w in [0x0200_7200u32, 0x180d0, 0x20000, 0x2f8, 0x124, 0x300, 1] {
            g.extend_from_slice(&w.to_le_bytes());
        }
        g.extend_from_slice(b"MMM\x01\x0c\x00\x01\x00\x01\x00\x00\x00");
        g
    }

    #[test]
    fn decodes_file_info_and_chain() {
        let g = parse_gfh(&gfh()).unwrap();
        assert_eq!(g.file_info.load_addr, 0x0200_7200);
        assert_eq!(g.file_info.file_len, 0x180d0);
        assert_eq!(g.file_info.max_size, 0x20000);
        assert_eq!(g.file_info.flash_dev, 5);
        assert_eq!(g.file_info.jump_offset, 0x300);
        assert_eq!(
            g.records,
            [
                GfhRecord {
                    record_type: 0,
                    size: 0x38
                },
                GfhRecord {
                    record_type: 1,
                    size: 0x0c
                }
            ]
        );
    }

    #[test]
    fn scan_finds_project_and_emi_version_in_a_flashable_image() {
        let mut img = gfh();
        img.resize(0x3000, 0xAA);
        img.extend_from_slice(b"\0MTK_BLOADER_INFO_v11\0\0\0preloader_a516_row.bin\0");
        let info = scan(&img[..]).unwrap();
        assert_eq!(info.layout, PreloaderLayout::Flashable);
        assert_eq!(info.project.as_deref(), Some("a516_row"));
        assert_eq!(info.build_name.as_deref(), Some("preloader_a516_row.bin"));
        assert_eq!(info.emi_version, Some(11));
    }

    #[test]
    fn readback_has_its_gfh_at_0x800() {
        let mut img = b"EMMC_BOOT\0".to_vec();
        img.resize(READBACK_GFH_OFFSET, 0);
        img.extend_from_slice(&gfh());
        img.extend_from_slice(b"\0preloader_up40_h405f_meo.bin\0");
        let info = scan(&img[..]).unwrap();
        assert_eq!(info.layout, PreloaderLayout::EmmcBootReadback);
        assert_eq!(info.gfh.unwrap().file_info.file_type, 1);
        assert_eq!(info.project.as_deref(), Some("up40_h405f_meo"));
        assert_eq!(info.emi_version, None);
    }

    #[test]
    fn refuses_what_is_not_a_preloader() {
        assert!(matches!(
            scan(&b"ANDROID!"[..]),
            Err(PreloaderError::NotPreloader)
        ));
        let mut broken = gfh();
        broken[4] = 2; // record size 2 < 8
        assert!(matches!(
            scan(&broken[..]),
            Err(PreloaderError::BadGfh { .. })
        ));
        assert_eq!(build_name_in("preloader_%s.bin"), None);
        assert_eq!(emi_version_in("MTK_BLOADER_INFO_v"), None);
    }
}
