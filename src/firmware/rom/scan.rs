//! One image of a ROM package, read in one streaming pass ([`scan_image`]): its size, SHA-256
//! and SP Flash Tool 16-bit checksum, the head that tells its format ([`ImageContent`]), the
//! LCM names in an lk or kernel, and the preloader's identity.
//!
//! Reads from any `Read` and keeps only the head: it opens no file, knows no package or
//! scatter (that is [`super::inspect`]) and no phone.

use std::io::{Cursor, Read};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::firmware::{
    bootimg::{self, BootImageHeader},
    checksum::Checksum16,
    lcm::{self, KernelNames, LcmError},
    mtk_header::{self, MtkHeader},
    partition_table::{self, PartitionTable, TableKind},
    preloader::{self, PreloaderError, PreloaderInfo},
    tables::ResolvedEntry,
};

use super::{CHUNK, HEAD_LEN};

/// What the start of an image says it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ImageContent {
    /// A preloader (flashable GFH image or EMMC_BOOT_1 readback).
    Preloader(PreloaderInfo),
    /// An image behind a 512-byte MediaTek header.
    Mtk {
        /// The header.
        header: MtkHeader,
        /// Panel driver names, for an `LK` image.
        #[serde(skip_serializing_if = "Option::is_none")]
        lcm: Option<Vec<String>>,
    },
    /// An image in the UBOOT partition without the 512-byte MediaTek header the preloader
    /// needs to load it: lk.bin with its header stripped. Its panel names are still read.
    HeaderlessLk {
        /// Panel driver names found in it.
        lcm: Vec<String>,
    },
    /// An Android boot image.
    AndroidBoot {
        /// The header.
        header: BootImageHeader,
        /// Panel driver names in its kernel, when the kernel could be read.
        kernel: Option<KernelNames>,
    },
    /// An MBR or EBR sector.
    PartitionTable {
        /// MBR or EBR, from the sector alone.
        role: TableKind,
        /// The decoded sector.
        table: PartitionTable,
        /// Its entries at their absolute places in the user area, when the table's own place
        /// is known (from the scatter, in a package; see [`crate::firmware::tables`]).
        resolved: Vec<ResolvedEntry>,
    },
    /// An ext4 file system image.
    Ext4,
    /// An Android sparse image.
    AndroidSparse,
    /// A secure RO region (`AND_AC_REGION`).
    Secro,
    /// An empty file.
    Empty,
    /// Nothing recognised.
    Raw,
}

impl ImageContent {
    /// The short `kind` string (see the module documentation).
    pub fn kind(&self) -> String {
        match self {
            ImageContent::Preloader(_) => "preloader".into(),
            ImageContent::Mtk { header, .. } => format!("mtk:{}", header.name),
            ImageContent::HeaderlessLk { .. } => "lk-no-header".into(),
            ImageContent::AndroidBoot { .. } => "android-boot".into(),
            ImageContent::PartitionTable {
                role: TableKind::Mbr,
                ..
            } => "mbr".into(),
            ImageContent::PartitionTable {
                role: TableKind::Ebr,
                ..
            } => "ebr".into(),
            ImageContent::Ext4 => "ext4".into(),
            ImageContent::AndroidSparse => "android-sparse".into(),
            ImageContent::Secro => "secro".into(),
            ImageContent::Empty => "empty".into(),
            ImageContent::Raw => "raw".into(),
        }
    }
}

/// Everything one pass over an image yields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageScan {
    /// Bytes read.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// SP Flash Tool's 16-bit byte sum.
    pub checksum16: u16,
    /// What the image is.
    pub content: ImageContent,
    /// Damage found inside the image that did not stop the pass (e.g. a kernel that does not
    /// inflate).
    pub notes: Vec<String>,
}

/// Counts, hashes and sums everything read through it.
struct Tally<R> {
    pub(super) inner: R,
    size: u64,
    sha: Sha256,
    sum: Checksum16,
}

impl<R: Read> Read for Tally<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.size += n as u64;
        self.sha.update(&buf[..n]);
        self.sum.update(&buf[..n]);
        Ok(n)
    }
}

/// Reports how many bytes each read returned.
pub(super) struct Counted<'a, R> {
    pub(super) inner: R,
    pub(super) on_bytes: &'a mut dyn FnMut(u64),
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            (self.on_bytes)(n as u64);
        }
        Ok(n)
    }
}

/// Reads an image once, to its end: size, SHA-256, 16-bit checksum, format, and for LK, boot
/// images and preloaders the LCM names / preloader identity. Memory stays bounded (a boot
/// image's compressed kernel, a few MiB, is the largest thing held). Damage inside an image is
/// reported in [`ImageScan::notes`]; only a read failure is an error.
pub fn scan_image<R: Read>(reader: R) -> std::io::Result<ImageScan> {
    scan_image_for(reader, false)
}

/// [`scan_image`] of the image of a partition that must hold lk (`for_lk`, the UBOOT
/// partition): an image there without a MediaTek header is read for panel names all the same
/// and reported as [`ImageContent::HeaderlessLk`].
pub fn scan_image_for<R: Read>(reader: R, for_lk: bool) -> std::io::Result<ImageScan> {
    let mut tally = Tally {
        inner: reader,
        size: 0,
        sha: Sha256::new(),
        sum: Checksum16::default(),
    };
    let mut head = Vec::with_capacity(HEAD_LEN);
    (&mut tally).take(HEAD_LEN as u64).read_to_end(&mut head)?;
    let mut notes = Vec::new();
    let content = {
        let rest = Cursor::new(&head).chain(&mut tally);
        sniff_and_read(&head, rest, for_lk, &mut notes)?
    };
    let mut buf = vec![0u8; CHUNK];
    loop {
        match tally.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(ImageScan {
        size: tally.size,
        sha256: hex::encode(tally.sha.finalize()),
        checksum16: tally.sum.value(),
        content,
        notes,
    })
}

/// Recognises the image from `head` and reads on through `whole` (the image from its start)
/// where the format has more to tell.
fn sniff_and_read<R: Read>(
    head: &[u8],
    whole: R,
    for_lk: bool,
    notes: &mut Vec<String>,
) -> std::io::Result<ImageContent> {
    if head.is_empty() {
        return Ok(ImageContent::Empty);
    }
    if let Ok(header) = mtk_header::parse(head) {
        let lcm = if header.name == "LK" {
            Some(lcm::names_in(whole)?)
        } else {
            None
        };
        return Ok(ImageContent::Mtk { header, lcm });
    }
    if let Ok(header) = bootimg::parse(head) {
        let kernel = match lcm::names_in_boot_image(whole) {
            Ok(k) => Some(k),
            Err(LcmError::Io(e)) => return Err(e),
            Err(e) => {
                notes.push(e.to_string());
                None
            }
        };
        return Ok(ImageContent::AndroidBoot { header, kernel });
    }
    if preloader::layout(head).is_some() {
        match preloader::scan(whole) {
            Ok(info) => return Ok(ImageContent::Preloader(info)),
            Err(PreloaderError::Io(e)) => return Err(e),
            Err(e) => notes.push(e.to_string()),
        }
        return Ok(ImageContent::Raw);
    }
    if head.starts_with(&[0x3A, 0xFF, 0x26, 0xED]) {
        return Ok(ImageContent::AndroidSparse);
    }
    if head.starts_with(b"AND_AC_REGION") {
        return Ok(ImageContent::Secro);
    }
    if head.get(0x438..0x43A) == Some([0x53, 0xEF].as_slice()) {
        return Ok(ImageContent::Ext4);
    }
    if let Ok(table) = partition_table::parse(head)
        && !table.entries.is_empty()
    {
        return Ok(ImageContent::PartitionTable {
            role: table.kind(),
            table,
            resolved: Vec::new(),
        });
    }
    if for_lk {
        return Ok(ImageContent::HeaderlessLk {
            lcm: lcm::names_in(whole)?,
        });
    }
    Ok(ImageContent::Raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::checksum;

    #[test]
    fn scan_counts_hashes_and_sniffs_in_one_pass() {
        let data = vec![7u8; 3 * CHUNK / 2];
        let scan = scan_image(&data[..]).unwrap();
        assert_eq!(scan.size, data.len() as u64);
        assert_eq!(scan.checksum16, checksum::checksum16(&data));
        assert_eq!(scan.sha256, hex::encode(Sha256::digest(&data)));
        assert_eq!(scan.content, ImageContent::Raw);
        assert_eq!(scan_image(&[][..]).unwrap().content.kind(), "empty");
        let mut ext4 = vec![0u8; 0x1000];
        ext4[0x438..0x43A].copy_from_slice(&[0x53, 0xEF]);
        assert_eq!(scan_image(&ext4[..]).unwrap().content.kind(), "ext4");
        assert_eq!(
            scan_image(&[0x3A, 0xFF, 0x26, 0xED, 1, 0][..])
                .unwrap()
                .content
                .kind(),
            "android-sparse"
        );
    }
}
