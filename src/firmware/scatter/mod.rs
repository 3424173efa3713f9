//! SP Flash Tool scatter files: the partition map that comes with every ROM.
//!
//! Three formats exist in the field and all parse into one [`Scatter`]:
//! the YAML-like V1.1.x format (`- partition_index: SYS0` blocks), the flat OTA format
//! (`NAME 0xADDR` lines) and the old flat format with `{` `}` blocks and `__NODL_` prefixes.
//! Parsing is pure (text in, value out); reading the file is the only I/O, in [`parse_file`].
//! This module knows no phone and no flashing: it must not import `device`, `transport`,
//! `flash` or anything that draws.
//!
//! # What is tolerated
//!
//! CRLF line ends, trailing blanks, `#` comment lines, hex in any case (`0xC00000`,
//! `0xc00000`), decimal numbers, `operation_type` written `BOOTLOADER` or `BOOTLOADERS` (kept as
//! written; see [`Partition::is_bootloader`]), an empty `partition_name` (kept as `""`),
//! `is_download: true` with `file_name: NONE` (kept: `download` is true, `file` is `None`, and
//! [`Scatter::downloads`] leaves it out) and every partition downloadable (full-restore
//! scatters, whose NVRAM images other layers must refuse). `physical_start_addr` is checked to
//! be a number and otherwise ignored: tools fill it in three incompatible ways (zero, the
//! linear address, the user-area offset).
//!
//! # Pseudo addresses
//!
//! BMTPOOL and OTP carry values such as `0xFFFF00a8` that are block counts counted from the end
//! of the storage, not addresses. A partition is *pseudo* when its start lies in
//! `0xFFFF0000..=0xFFFFFFFF` or when it says `is_reserved: true` (the Accu-Chek file has a
//! reserved, nameless partition "at" `0x0`). Pseudo partitions keep their raw value in
//! `linear_start` and `region_offset`, have no [`Partition::end`], and take no part in the
//! overlap and gap checks.
//!
//! # Fatal errors and warnings
//!
//! Fatal ([`ScatterError`], message `line N: ...`): text that is no scatter syntax, a missing
//! required key, a key given twice in one block, a value that is not a number or not a boolean,
//! an unknown storage or region, a partition whose storage contradicts the file's, two real
//! partitions that overlap (SP Flash Tool refuses such a file too, and a flash plan built on it
//! would overwrite one partition with the other), addresses that go backwards in a flat file
//! (sizes could not be worked out), unbalanced `{` `}`, and a file without partitions.
//!
//! Warnings (kept in [`Scatter::warnings`] with their line): a real partition that does not
//! start where the previous real one ends, an unknown key, a `partition_index` that does not
//! match the partition's position, a partition name used twice, text inside a legacy `{ }`
//! block, and a flat eMMC file whose boot region cannot be told.
//!
//! # Flat formats (OTA and legacy)
//!
//! They name no files, sizes, storage or regions:
//! - `file` is `None` and `download` is false only for a `__NODL_` prefix, which is removed from
//!   the name. A flat file therefore has no [`Scatter::downloads`].
//! - The size of a real partition is the start of the next real partition minus its own start;
//!   the last real partition (and every pseudo one) has size `None`.
//! - The file is legacy when it has a `{` `}` block or a `__NODL_` prefix, OTA otherwise.
//! - Storage is EMMC when a partition is called `MBR` (MediaTek eMMC layouts start the user area
//!   with an MBR, NAND layouts never have one), NAND otherwise; so the MT6575 legacy sample with
//!   its `__NODL_BMTPOOL 0xFFFF0050` is NAND.
//! - On eMMC, a first partition `PRELOADER` at 0 lives in `EMMC_BOOT_1` when the next real
//!   partition starts at a plausible boot-region size (a non-zero multiple of 128 KiB, at most
//!   64 MiB; the real files use 6, 12 and 20 MiB). Everything else is `EMMC_USER`. When no such
//!   PRELOADER exists every partition is taken as user area, with a warning.
//!
//! # Regions and offsets
//!
//! The scatter's linear address space puts `EMMC_BOOT_1` first and the user area after it.
//! Real devices of one project differ only by that boot-region size, so each partition also
//! gets its offset inside its hardware region: `EMMC_BOOT_1` starts at linear 0; `EMMC_BOOT_2`
//! and `EMMC_USER` start at the lowest linear start of their real partitions (the user area
//! always begins with the MBR); NAND is one region starting at 0. [`Scatter::boot1_size`] is
//! that user-area start.

use std::path::Path;

use serde::Serialize;

use crate::{
    error::{Advice, HostError},
    firmware::{HexError, parse_hex},
};

mod check;
mod flat;
mod v1;

use check::region_base;
use flat::{flat_entry, parse_flat};
use v1::parse_v1;

/// Which of the three scatter formats a file is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScatterFormat {
    /// YAML-like `V1.1.x` (`- general: MTK_PLATFORM_CFG` ... `- partition_index: SYS0`).
    V1,
    /// Flat OTA `NAME 0xADDR` lines without sizes.
    Ota,
    /// Old flat format with `{` `}` blocks and `__NODL_` prefixes.
    Legacy,
}

/// A hardware region of the storage (the shared type).
pub use super::storage::Region;
/// The storage a scatter file targets: the shared
/// [`StorageKind`](super::storage::StorageKind) under the name scatter code has always used.
pub use super::storage::StorageKind as Storage;

/// One partition of a scatter file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Partition {
    /// Position in the file, from 0.
    pub index: usize,
    /// Partition name as written (`PRELOADER`, `ANDROID`, ...); may be empty in real files.
    pub name: String,
    /// Image file to download, `None` for `NONE`/absent.
    pub file: Option<String>,
    /// Whether SP Flash Tool would download this partition.
    pub download: bool,
    /// Linear start address across all regions (for pseudo addresses, the raw value).
    pub linear_start: u64,
    /// Partition size in bytes (derived from the next partition's start where the format has
    /// no sizes; `None` where it cannot be known).
    pub size: Option<u64>,
    /// The hardware region the partition lives in.
    pub region: Region,
    /// Offset inside that region (user-area offset = linear − EMMC_BOOT_1 size).
    pub region_offset: u64,
    /// `operation_type` (`BOOTLOADERS`, `UPDATE`, `PROTECTED`, ...), if the format has one.
    pub operation: Option<String>,
    /// True for BMTPOOL/OTP style values such as `0xFFFF00a8` that are not addresses.
    pub address_is_pseudo: bool,
    /// 1-based line of the partition's first line in the file.
    #[serde(skip)]
    pub line: usize,
}

/// A problem that does not stop parsing, with the line it was found on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, in plain words.
    pub message: String,
}

/// A parsed and validated scatter file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scatter {
    /// Which format the file used.
    pub format: ScatterFormat,
    /// `platform` (e.g. `MT6572`), when the file says.
    pub platform: Option<String>,
    /// `project` (build codename, e.g. `a516_row`), when the file says.
    pub project: Option<String>,
    /// Storage type.
    pub storage: Storage,
    /// Partitions in file order.
    pub partitions: Vec<Partition>,
    /// Validation warnings.
    pub warnings: Vec<Warning>,
}

/// Why a scatter file cannot be used. Every message starts with `line N:`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScatterError {
    /// The first meaningful line matches none of the three formats.
    #[error(
        "line {line}: this is not a scatter file: expected `- general: MTK_PLATFORM_CFG`, \
         `- partition_index: SYS0` or `NAME 0xADDRESS`, found `{text}`"
    )]
    NotScatter {
        /// Line of the offending text.
        line: usize,
        /// The text found there.
        text: String,
    },
    /// A file far larger than any scatter file (an image picked by mistake); not read.
    #[error(
        "line 1: this is not a scatter file: it is {bytes} bytes, and scatter files are a few \
         kilobytes of text (is it an image?)"
    )]
    TooLarge {
        /// Size of the file.
        bytes: u64,
    },
    /// The file has no partition at all.
    #[error("line {line}: the file lists no partitions")]
    NoPartitions {
        /// Last line of the file.
        line: usize,
    },
    /// A line that does not have the shape the format needs.
    #[error("line {line}: expected {expected}, found `{text}`")]
    Syntax {
        /// Line of the offending text.
        line: usize,
        /// What the format needs there.
        expected: &'static str,
        /// The text found there.
        text: String,
    },
    /// A V1 file without its `- general: MTK_PLATFORM_CFG` block.
    #[error(
        "line {line}: the file has no `- general: MTK_PLATFORM_CFG` block, so its storage type \
         is unknown"
    )]
    NoGeneral {
        /// Line of the first partition block.
        line: usize,
    },
    /// A block lacks a key SP Flash Tool needs.
    #[error("line {line}: {block} has no `{key}:` line")]
    MissingKey {
        /// First line of the block.
        line: usize,
        /// Which block (`partition SYS3`, `the general block`).
        block: String,
        /// The missing key.
        key: &'static str,
    },
    /// A key given twice in one block: which value is meant cannot be told.
    #[error("line {line}: `{key}` is given twice in one block (first on line {first})")]
    DuplicateKey {
        /// Line of the second occurrence.
        line: usize,
        /// The key.
        key: String,
        /// Line of the first occurrence.
        first: usize,
    },
    /// A numeric key whose value is not a number.
    #[error("line {line}: {key} is not a number: `{value}` (expected hex such as 0x600000)")]
    NotANumber {
        /// Line of the value.
        line: usize,
        /// The key (or `address` in flat files).
        key: String,
        /// The value found.
        value: String,
    },
    /// A boolean key whose value is neither `true` nor `false`.
    #[error("line {line}: {key} must be true or false, not `{value}`")]
    NotABool {
        /// Line of the value.
        line: usize,
        /// The key.
        key: String,
        /// The value found.
        value: String,
    },
    /// A storage value that is neither eMMC nor NAND.
    #[error("line {line}: unknown storage `{value}` (expected {expected})")]
    UnknownStorage {
        /// Line of the value.
        line: usize,
        /// The value found.
        value: String,
        /// The accepted spellings.
        expected: &'static str,
    },
    /// A partition whose storage contradicts the file's.
    #[error("line {line}: partition {name} is on {value} but the file's storage is {storage}")]
    StorageMismatch {
        /// Line of the value.
        line: usize,
        /// Partition name.
        name: String,
        /// The partition's storage value.
        value: String,
        /// The file's storage.
        storage: Storage,
    },
    /// A region that does not exist on the file's storage.
    #[error("line {line}: unknown region `{value}` for {storage} storage (expected {expected})")]
    UnknownRegion {
        /// Line of the value.
        line: usize,
        /// The value found.
        value: String,
        /// The file's storage.
        storage: Storage,
        /// The regions that storage has.
        expected: &'static str,
    },
    /// Two real partitions share bytes.
    #[error(
        "line {line}: partition {name} (linear 0x{start:X}..0x{end:X}) overlaps partition \
         {other} (linear 0x{other_start:X}..0x{other_end:X}, line {other_line})"
    )]
    Overlap {
        /// First line of the later partition.
        line: usize,
        /// Its name.
        name: String,
        /// Its linear start.
        start: u64,
        /// Its linear end (exclusive).
        end: u64,
        /// The earlier partition it overlaps.
        other: String,
        /// The earlier partition's first line.
        other_line: usize,
        /// The earlier partition's linear start.
        other_start: u64,
        /// The earlier partition's linear end (exclusive).
        other_end: u64,
    },
    /// A flat file whose addresses go backwards: sizes cannot be derived.
    #[error(
        "line {line}: partition {name} starts at linear 0x{start:X}, before partition {prev} \
         (linear 0x{prev_start:X}) that comes earlier in the file"
    )]
    OutOfOrder {
        /// Line of the partition.
        line: usize,
        /// Its name.
        name: String,
        /// Its start.
        start: u64,
        /// The previous real partition.
        prev: String,
        /// The previous real partition's start.
        prev_start: u64,
    },
    /// A `{` or `}` without its partner.
    #[error("line {line}: {what}")]
    Brace {
        /// Line of the brace.
        line: usize,
        /// What is wrong with it.
        what: &'static str,
    },
}

impl ScatterError {
    /// The 1-based line the error points at.
    pub fn line(&self) -> usize {
        match self {
            ScatterError::NotScatter { line, .. }
            | ScatterError::NoPartitions { line }
            | ScatterError::Syntax { line, .. }
            | ScatterError::NoGeneral { line }
            | ScatterError::MissingKey { line, .. }
            | ScatterError::DuplicateKey { line, .. }
            | ScatterError::NotANumber { line, .. }
            | ScatterError::NotABool { line, .. }
            | ScatterError::UnknownStorage { line, .. }
            | ScatterError::StorageMismatch { line, .. }
            | ScatterError::UnknownRegion { line, .. }
            | ScatterError::Overlap { line, .. }
            | ScatterError::OutOfOrder { line, .. }
            | ScatterError::Brace { line, .. } => *line,
            ScatterError::TooLarge { .. } => 1,
        }
    }
}

impl Advice for ScatterError {
    fn help(&self) -> String {
        let line = self.line();
        match self {
            ScatterError::NotScatter { .. }
            | ScatterError::TooLarge { .. }
            | ScatterError::NoPartitions { .. } => {
                "pick the ROM's scatter file (usually MT6572_Android_scatter.txt next to the \
                 images)"
                    .into()
            }
            ScatterError::Overlap { .. } | ScatterError::OutOfOrder { .. } => format!(
                "this partition map would make one partition overwrite another: do not flash \
                 with it; get the scatter file again from the ROM's source (check line {line})"
            ),
            _ => format!(
                "open the scatter file at line {line} and compare it with an untouched copy \
                 from the ROM's source; do not flash with a scatter file that was edited by hand"
            ),
        }
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

/// The file name SP Flash Tool packages give their MT6572 scatter.
pub const FILE_NAME: &str = "MT6572_Android_scatter.txt";

/// The image file name SP Flash Tool packages give partition `name` (upper case) of a
/// build for `project`, if the field has a usual one (`UBOOT` is `lk.bin`, `ANDROID`
/// `system.img`, `PRELOADER` `preloader_<project>.bin`).
pub fn image_file_name(name: &str, project: &str) -> Option<String> {
    let fixed = match name {
        "PRELOADER" => return Some(format!("preloader_{project}.bin")),
        "MBR" | "EBR1" | "EBR2" => return Some(name.to_string()),
        "PRO_INFO" => "pro_info.bin",
        "NVRAM" => "nvram.bin",
        "PROTECT_F" => "protect_f.img",
        "PROTECT_S" => "protect_s.img",
        "UBOOT" => "lk.bin",
        "BOOTIMG" => "boot.img",
        "RECOVERY" => "recovery.img",
        "SEC_RO" => "secro.img",
        "LOGO" => "logo.bin",
        "ANDROID" => "system.img",
        "CACHE" => "cache.img",
        "USRDATA" => "userdata.img",
        _ => return None,
    };
    Some(fixed.to_string())
}

/// The scatter `type` of partition `name` as MT6572 scatters write it: `SV5_BL_BIN` for the
/// preloader, the file-system image type for the partitions that hold one (`EXT4_IMG` on
/// eMMC, `YAFFS_IMG` on NAND), `NORMAL_ROM` for the rest.
pub fn image_type(name: &str, storage: Storage) -> &'static str {
    const FILE_SYSTEMS: [&str; 7] = [
        "PROTECT_F",
        "PROTECT_S",
        "PRELOAD",
        "CUSTPACK",
        "ANDROID",
        "CACHE",
        "USRDATA",
    ];
    if name.eq_ignore_ascii_case("PRELOADER") {
        "SV5_BL_BIN"
    } else if FILE_SYSTEMS.iter().any(|f| f.eq_ignore_ascii_case(name)) {
        match storage {
            Storage::Emmc => "EXT4_IMG",
            Storage::Nand => "YAFFS_IMG",
        }
    } else {
        "NORMAL_ROM"
    }
}

impl ScatterFormat {
    /// The name the JSON output uses (`v1`, `ota`, `legacy`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScatterFormat::V1 => "v1",
            ScatterFormat::Ota => "ota",
            ScatterFormat::Legacy => "legacy",
        }
    }
}

impl Partition {
    /// Linear end (exclusive) of a real partition of known size; `None` for pseudo addresses,
    /// unknown sizes and sums that do not fit.
    pub fn end(&self) -> Option<u64> {
        if self.address_is_pseudo {
            return None;
        }
        self.linear_start.checked_add(self.size?)
    }

    /// True for the boot loaders SP Flash Tool treats apart (`operation_type` `BOOTLOADERS`, or
    /// `BOOTLOADER` as some tools write it; in flat files, which have no operation, the
    /// partitions named `PRELOADER` or `DSP_BL`).
    pub fn is_bootloader(&self) -> bool {
        match &self.operation {
            Some(op) => {
                op.eq_ignore_ascii_case("BOOTLOADERS") || op.eq_ignore_ascii_case("BOOTLOADER")
            }
            None => {
                self.name.eq_ignore_ascii_case("PRELOADER")
                    || self.name.eq_ignore_ascii_case("DSP_BL")
            }
        }
    }
}

impl Scatter {
    /// The first partition called `name`, in any case.
    pub fn partition(&self, name: &str) -> Option<&Partition> {
        self.partitions
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// Size of the EMMC_BOOT_1 region in the linear address space, i.e. the linear start of
    /// the first user-area partition on eMMC (0 on NAND, and on eMMC files without a boot
    /// region).
    pub fn boot1_size(&self) -> u64 {
        region_base(&self.partitions, Region::EmmcUser).unwrap_or(0)
    }

    /// The partitions SP Flash Tool would write: marked for download and naming a file.
    pub fn downloads(&self) -> impl Iterator<Item = &Partition> {
        self.partitions
            .iter()
            .filter(|p| p.download && p.file.is_some())
    }
}

/// Parses a scatter file's text (any of the three formats) and validates it.
pub fn parse(text: &str) -> Result<Scatter, ScatterError> {
    let lines = meaningful_lines(text);
    let Some(first) = lines.first() else {
        return Err(ScatterError::NoPartitions {
            line: text.lines().count().max(1),
        });
    };
    if first.text.starts_with("- ") || first.text == "-" {
        parse_v1(&lines, text)
    } else if flat_entry(first.text).is_some_and(|(_, address, _)| parse_number(address).is_some())
    {
        parse_flat(&lines, text)
    } else {
        Err(ScatterError::NotScatter {
            line: first.number,
            text: excerpt(first.text),
        })
    }
}

/// Largest file accepted as a scatter file; real ones are under 10 KB.
const MAX_SCATTER_BYTES: u64 = 1 << 20;

/// Reads and parses the scatter file at `path`.
pub fn parse_file(path: &Path) -> Result<Scatter, crate::Error> {
    let meta = std::fs::metadata(path).map_err(|e| HostError::io("read scatter file", path, e))?;
    if meta.is_dir() {
        return Err(HostError::Usage(format!(
            "{} is a folder: give the scatter file inside it (MT6572_Android_scatter.txt)",
            path.display()
        ))
        .into());
    }
    if meta.len() > MAX_SCATTER_BYTES {
        return Err(ScatterError::TooLarge { bytes: meta.len() }.into());
    }
    let bytes = std::fs::read(path).map_err(|e| HostError::io("read scatter file", path, e))?;
    Ok(parse(&String::from_utf8_lossy(&bytes))?)
}

/// A non-blank, non-comment line, trimmed, with its 1-based number.
struct Line<'a> {
    number: usize,
    text: &'a str,
}

fn meaningful_lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .enumerate()
        .map(|(i, l)| Line {
            number: i + 1,
            text: l.trim_start_matches('\u{feff}').trim(),
        })
        .filter(|l| !l.text.is_empty() && !l.text.starts_with('#'))
        .collect()
}

/// Parses `0x`-prefixed hex ([`parse_hex`]) or plain decimal.
fn parse_number(value: &str) -> Option<u64> {
    let v = value.trim();
    match parse_hex(v) {
        Ok(n) => Some(n),
        Err(HexError::NoPrefix) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
            v.parse().ok()
        }
        Err(_) => None,
    }
}

fn is_pseudo_address(value: u64) -> bool {
    (0xFFFF_0000..=0xFFFF_FFFF).contains(&value)
}

/// At most 60 characters of `text` for a message, control characters shown as `?`.
fn excerpt(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(60)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().count() > 60 {
        out.push_str("...");
    }
    out
}

/// `name` for messages, `(unnamed)` for the empty names real files have.
fn label(name: &str) -> &str {
    if name.is_empty() { "(unnamed)" } else { name }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_any_case_and_decimal() {
        assert_eq!(parse_number("0xFFFF00a8"), Some(0xFFFF_00A8));
        assert_eq!(parse_number("0XC00000"), Some(0xC0_0000));
        assert_eq!(parse_number("4096"), Some(4096));
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number("0x12G"), None);
        assert_eq!(parse_number("-1"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn pseudo_range_is_the_top_64k_of_32_bits() {
        assert!(is_pseudo_address(0xFFFF_0000));
        assert!(is_pseudo_address(0xFFFF_0200));
        assert!(!is_pseudo_address(0xFFFE_FFFF));
        assert!(!is_pseudo_address(0x1_0000_0000));
    }

    #[test]
    fn empty_and_foreign_text() {
        assert!(matches!(
            parse("# only a comment\n\n"),
            Err(ScatterError::NoPartitions { line: 2 })
        ));
        let e = parse("\nhello\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("line 2: this is not a scatter file")
        );
        assert!(e.is_bad_input());
    }
}
