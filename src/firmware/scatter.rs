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

// ---------------------------------------------------------------------------------------------
// V1 (YAML-like)

const GENERAL_KEYS: [&str; 7] = [
    "general",
    "info",
    "config_version",
    "platform",
    "project",
    "storage",
    "boot_channel",
];
const GENERAL_NUMBERS: [&str; 1] = ["block_size"];
const PARTITION_KEYS: [&str; 14] = [
    "partition_index",
    "partition_name",
    "file_name",
    "is_download",
    "type",
    "linear_start_addr",
    "physical_start_addr",
    "partition_size",
    "region",
    "storage",
    "boundary_check",
    "is_reserved",
    "operation_type",
    "reserve",
];

struct Entry<'a> {
    line: usize,
    key: String,
    value: &'a str,
}

struct Block<'a> {
    line: usize,
    general: bool,
    entries: Vec<Entry<'a>>,
}

impl<'a> Block<'a> {
    fn get(&self, key: &str) -> Option<&Entry<'a>> {
        self.entries.iter().find(|e| e.key == key)
    }

    fn require(&self, key: &'static str, block: &str) -> Result<&Entry<'a>, ScatterError> {
        self.get(key).ok_or_else(|| ScatterError::MissingKey {
            line: self.line,
            block: block.to_string(),
            key,
        })
    }
}

impl Entry<'_> {
    fn number(&self) -> Result<u64, ScatterError> {
        parse_number(self.value).ok_or_else(|| ScatterError::NotANumber {
            line: self.line,
            key: self.key.clone(),
            value: self.value.to_string(),
        })
    }

    fn boolean(&self) -> Result<bool, ScatterError> {
        if self.value.eq_ignore_ascii_case("true") {
            Ok(true)
        } else if self.value.eq_ignore_ascii_case("false") {
            Ok(false)
        } else {
            Err(ScatterError::NotABool {
                line: self.line,
                key: self.key.clone(),
                value: self.value.to_string(),
            })
        }
    }
}

/// Splits the V1 text into `- general` and `- partition_index` blocks of `key: value` entries.
fn v1_blocks<'a>(lines: &[Line<'a>]) -> Result<Vec<Block<'a>>, ScatterError> {
    let mut blocks: Vec<Block<'a>> = Vec::new();
    for line in lines {
        let item = line.text.strip_prefix('-').map(str::trim_start);
        let body = item.unwrap_or(line.text);
        let Some((key, value)) = body.split_once(':') else {
            return Err(ScatterError::Syntax {
                line: line.number,
                expected: "`key: value`",
                text: excerpt(line.text),
            });
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if item.is_some() && (key == "general" || key == "partition_index") {
            blocks.push(Block {
                line: line.number,
                general: key == "general",
                entries: Vec::new(),
            });
        }
        let Some(block) = blocks.last_mut() else {
            return Err(ScatterError::Syntax {
                line: line.number,
                expected: "`- general: MTK_PLATFORM_CFG` or `- partition_index: SYS0` first",
                text: excerpt(line.text),
            });
        };
        if let Some(first) = block.get(&key) {
            return Err(ScatterError::DuplicateKey {
                line: line.number,
                key,
                first: first.line,
            });
        }
        block.entries.push(Entry {
            line: line.number,
            key,
            value,
        });
    }
    Ok(blocks)
}

fn parse_general_storage(entry: &Entry<'_>) -> Result<Storage, ScatterError> {
    match entry.value.to_ascii_uppercase().as_str() {
        "EMMC" => Ok(Storage::Emmc),
        "NAND" => Ok(Storage::Nand),
        _ => Err(ScatterError::UnknownStorage {
            line: entry.line,
            value: entry.value.to_string(),
            expected: "EMMC or NAND",
        }),
    }
}

fn parse_region(entry: &Entry<'_>, storage: Storage) -> Result<Region, ScatterError> {
    let value = entry.value.to_ascii_uppercase();
    let (region, expected) = match storage {
        Storage::Emmc => (
            match value.as_str() {
                "EMMC_BOOT_1" => Some(Region::EmmcBoot1),
                "EMMC_BOOT_2" => Some(Region::EmmcBoot2),
                "EMMC_USER" => Some(Region::EmmcUser),
                _ => None,
            },
            "EMMC_BOOT_1, EMMC_BOOT_2 or EMMC_USER",
        ),
        Storage::Nand => (
            matches!(value.as_str(), "NONE" | "NAND" | "").then_some(Region::Nand),
            "NONE",
        ),
    };
    region.ok_or_else(|| ScatterError::UnknownRegion {
        line: entry.line,
        value: entry.value.to_string(),
        storage,
        expected,
    })
}

fn parse_v1(lines: &[Line<'_>], text: &str) -> Result<Scatter, ScatterError> {
    let blocks = v1_blocks(lines)?;
    let mut warnings = Vec::new();
    let Some(general) = blocks.iter().find(|b| b.general) else {
        return Err(ScatterError::NoGeneral {
            line: blocks.first().map_or(1, |b| b.line),
        });
    };
    for extra in blocks.iter().filter(|b| b.general).skip(1) {
        warnings.push(Warning {
            line: extra.line,
            message: "a second general block is ignored".into(),
        });
    }
    let storage = parse_general_storage(general.require("storage", "the general block")?)?;
    for entry in &general.entries {
        if GENERAL_NUMBERS.contains(&entry.key.as_str()) {
            entry.number()?;
        } else if !GENERAL_KEYS.contains(&entry.key.as_str()) {
            warnings.push(unknown_key(entry));
        }
    }
    let text_of = |key: &str| {
        general
            .get(key)
            .map(|e| e.value.to_string())
            .filter(|v| !v.is_empty())
    };
    let platform = text_of("platform");
    let project = text_of("project");

    let mut partitions = Vec::new();
    for block in blocks.iter().filter(|b| !b.general) {
        let index = partitions.len();
        partitions.push(parse_v1_partition(block, index, storage, &mut warnings)?);
    }
    finish(
        ScatterFormat::V1,
        platform,
        project,
        storage,
        partitions,
        warnings,
        text,
    )
}

fn unknown_key(entry: &Entry<'_>) -> Warning {
    Warning {
        line: entry.line,
        message: format!("unknown key `{}` ignored", entry.key),
    }
}

fn parse_v1_partition(
    block: &Block<'_>,
    index: usize,
    storage: Storage,
    warnings: &mut Vec<Warning>,
) -> Result<Partition, ScatterError> {
    let sys = block.get("partition_index").map_or("", |e| e.value);
    let what = match block.get("partition_name").map(|e| e.value) {
        Some(name) if !name.is_empty() => format!("partition {sys} ({name})"),
        _ => format!("partition {sys}"),
    };
    let name = block.require("partition_name", &what)?.value.to_string();
    let file = block.require("file_name", &what)?.value;
    let download = block.require("is_download", &what)?.boolean()?;
    let linear_start = block.require("linear_start_addr", &what)?.number()?;
    let size = block.require("partition_size", &what)?.number()?;
    let region = parse_region(block.require("region", &what)?, storage)?;
    let mut reserved = false;
    for entry in &block.entries {
        match entry.key.as_str() {
            "physical_start_addr" | "reserve" => {
                entry.number()?;
            }
            "boundary_check" => {
                entry.boolean()?;
            }
            "is_reserved" => reserved = entry.boolean()?,
            "storage" => check_partition_storage(entry, &name, storage)?,
            key if !PARTITION_KEYS.contains(&key) => warnings.push(unknown_key(entry)),
            _ => {}
        }
    }
    let expected_sys = format!("SYS{index}");
    if !sys.eq_ignore_ascii_case(&expected_sys) {
        warnings.push(Warning {
            line: block.line,
            message: format!(
                "partition_index is {sys} but this is partition {index} in the file \
                 ({expected_sys})"
            ),
        });
    }
    let file = Some(file)
        .filter(|f| !f.is_empty() && !f.eq_ignore_ascii_case("NONE"))
        .map(str::to_string);
    Ok(Partition {
        index,
        name,
        file,
        download,
        linear_start,
        size: Some(size),
        region,
        region_offset: 0,
        operation: block
            .get("operation_type")
            .map(|e| e.value.to_string())
            .filter(|v| !v.is_empty()),
        address_is_pseudo: reserved || is_pseudo_address(linear_start),
        line: block.line,
    })
}

fn check_partition_storage(
    entry: &Entry<'_>,
    name: &str,
    storage: Storage,
) -> Result<(), ScatterError> {
    let own = match entry.value.to_ascii_uppercase().as_str() {
        "HW_STORAGE_EMMC" => Storage::Emmc,
        "HW_STORAGE_NAND" => Storage::Nand,
        _ => {
            return Err(ScatterError::UnknownStorage {
                line: entry.line,
                value: entry.value.to_string(),
                expected: "HW_STORAGE_EMMC or HW_STORAGE_NAND",
            });
        }
    };
    if own == storage {
        Ok(())
    } else {
        Err(ScatterError::StorageMismatch {
            line: entry.line,
            name: label(name).to_string(),
            value: entry.value.to_string(),
            storage,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Flat formats (OTA and legacy)

const NODL_PREFIX: &str = "__NODL_";
/// Boot-region sizes accepted for a flat eMMC file: multiples of one 128 KiB block, up to 64 MiB.
const BOOT_BLOCK: u64 = 0x20000;
const MAX_BOOT_REGION: u64 = 64 << 20;

/// `NAME ADDRESS` (optionally followed by `{` or `{}`) → (name, address text, brace tail).
fn flat_entry(text: &str) -> Option<(&str, &str, Option<&str>)> {
    let mut tokens = text.split_whitespace();
    let name = tokens.next()?;
    let address = tokens.next()?;
    let tail = tokens.next();
    if tokens.next().is_some()
        || name.starts_with(['{', '}', '-'])
        || !matches!(tail, None | Some("{") | Some("{}"))
    {
        return None;
    }
    Some((name, address, tail))
}

struct FlatEntry<'a> {
    line: usize,
    name: &'a str,
    download: bool,
    start: u64,
}

fn parse_flat(lines: &[Line<'_>], text: &str) -> Result<Scatter, ScatterError> {
    let mut entries: Vec<FlatEntry<'_>> = Vec::new();
    let mut warnings = Vec::new();
    let mut open_at: Option<usize> = None;
    let mut braces = false;
    for line in lines {
        let open = |open_at: &mut Option<usize>, entries: &[FlatEntry<'_>]| {
            if open_at.is_some() {
                Err(ScatterError::Brace {
                    line: line.number,
                    what: "`{` inside a block that is still open",
                })
            } else if entries.is_empty() {
                Err(ScatterError::Brace {
                    line: line.number,
                    what: "`{` before any `NAME 0xADDRESS` line",
                })
            } else {
                *open_at = Some(line.number);
                Ok(())
            }
        };
        match line.text {
            "{" => {
                braces = true;
                open(&mut open_at, &entries)?;
            }
            "{}" => {
                braces = true;
                open(&mut open_at, &entries)?;
                open_at = None;
            }
            "}" => {
                braces = true;
                if open_at.take().is_none() {
                    return Err(ScatterError::Brace {
                        line: line.number,
                        what: "`}` without a `{` before it",
                    });
                }
            }
            other if open_at.is_some() => warnings.push(Warning {
                line: line.number,
                message: format!(
                    "`{other}` inside the {{ }} block of {} ignored",
                    entries.last().map_or("", |e| label(e.name))
                ),
            }),
            other => {
                let Some((name, address, tail)) = flat_entry(other) else {
                    return Err(ScatterError::Syntax {
                        line: line.number,
                        expected: "`NAME 0xADDRESS`",
                        text: excerpt(other),
                    });
                };
                let start = parse_number(address).ok_or_else(|| ScatterError::NotANumber {
                    line: line.number,
                    key: format!("the address of {name}"),
                    value: address.to_string(),
                })?;
                let (name, download) = match name.get(..NODL_PREFIX.len()) {
                    Some(p) if p.eq_ignore_ascii_case(NODL_PREFIX) => {
                        (&name[NODL_PREFIX.len()..], false)
                    }
                    _ => (name, true),
                };
                entries.push(FlatEntry {
                    line: line.number,
                    name,
                    download,
                    start,
                });
                if let Some(tail) = tail {
                    braces = true;
                    if tail == "{" {
                        open_at = Some(line.number);
                    }
                }
            }
        }
    }
    if let Some(line) = open_at {
        return Err(ScatterError::Brace {
            line,
            what: "this `{` is never closed",
        });
    }
    let format = if braces || entries.iter().any(|e| !e.download) {
        ScatterFormat::Legacy
    } else {
        ScatterFormat::Ota
    };
    let storage = if entries.iter().any(|e| e.name.eq_ignore_ascii_case("MBR")) {
        Storage::Emmc
    } else {
        Storage::Nand
    };
    let partitions = flat_partitions(&entries, storage, &mut warnings)?;
    finish(format, None, None, storage, partitions, warnings, text)
}

/// Derives sizes (next real start − own start) and regions for flat entries.
fn flat_partitions(
    entries: &[FlatEntry<'_>],
    storage: Storage,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Partition>, ScatterError> {
    let real: Vec<usize> = (0..entries.len())
        .filter(|&i| !is_pseudo_address(entries[i].start))
        .collect();
    let mut sizes = vec![None; entries.len()];
    for pair in real.windows(2) {
        let (prev, next) = (&entries[pair[0]], &entries[pair[1]]);
        let size = next
            .start
            .checked_sub(prev.start)
            .ok_or_else(|| ScatterError::OutOfOrder {
                line: next.line,
                name: label(next.name).to_string(),
                start: next.start,
                prev: label(prev.name).to_string(),
                prev_start: prev.start,
            })?;
        sizes[pair[0]] = Some(size);
    }
    let boot_preloader = match (storage, real.first()) {
        (Storage::Nand, _) => None,
        (Storage::Emmc, Some(&first)) => {
            let e = &entries[first];
            let plausible =
                sizes[first].is_some_and(|s| s > 0 && s % BOOT_BLOCK == 0 && s <= MAX_BOOT_REGION);
            if e.name.eq_ignore_ascii_case("PRELOADER") && e.start == 0 && plausible {
                Some(first)
            } else {
                warnings.push(Warning {
                    line: e.line,
                    message: "no PRELOADER at 0x0 followed by a plausible boot-region size: \
                              every partition is taken as user area"
                        .into(),
                });
                None
            }
        }
        (Storage::Emmc, None) => None,
    };
    Ok(entries
        .iter()
        .zip(sizes)
        .enumerate()
        .map(|(index, (e, size))| Partition {
            index,
            name: e.name.to_string(),
            file: None,
            download: e.download,
            linear_start: e.start,
            size,
            region: match storage {
                Storage::Nand => Region::Nand,
                Storage::Emmc if boot_preloader == Some(index) => Region::EmmcBoot1,
                Storage::Emmc => Region::EmmcUser,
            },
            region_offset: 0,
            operation: None,
            address_is_pseudo: is_pseudo_address(e.start),
            line: e.line,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Common: region offsets and validation

/// Linear start of a region: the lowest start of its real partitions (`EMMC_BOOT_1` and NAND
/// always start at 0).
fn region_base(partitions: &[Partition], region: Region) -> Option<u64> {
    match region {
        Region::EmmcBoot1 | Region::Nand => Some(0),
        Region::EmmcBoot2 | Region::EmmcUser => partitions
            .iter()
            .filter(|p| p.region == region && !p.address_is_pseudo)
            .map(|p| p.linear_start)
            .min(),
    }
}

fn finish(
    format: ScatterFormat,
    platform: Option<String>,
    project: Option<String>,
    storage: Storage,
    mut partitions: Vec<Partition>,
    mut warnings: Vec<Warning>,
    text: &str,
) -> Result<Scatter, ScatterError> {
    if partitions.is_empty() {
        return Err(ScatterError::NoPartitions {
            line: text.lines().count().max(1),
        });
    }
    let bases = [Region::EmmcBoot2, Region::EmmcUser].map(|r| region_base(&partitions, r));
    for p in &mut partitions {
        p.region_offset = if p.address_is_pseudo {
            p.linear_start
        } else {
            let base = match p.region {
                Region::EmmcBoot2 => bases[0],
                Region::EmmcUser => bases[1],
                Region::EmmcBoot1 | Region::Nand => Some(0),
            };
            p.linear_start.saturating_sub(base.unwrap_or(0))
        };
    }
    check_overlaps(&partitions)?;
    check_gaps(&partitions, &mut warnings);
    check_names(&partitions, &mut warnings);
    warnings.sort_by_key(|w| w.line);
    Ok(Scatter {
        format,
        platform,
        project,
        storage,
        partitions,
        warnings,
    })
}

/// Real partitions with a known, non-zero extent: (partition, end).
fn extents(partitions: &[Partition]) -> impl Iterator<Item = (&Partition, u64)> {
    partitions
        .iter()
        .filter(|p| p.size.is_some_and(|s| s > 0))
        .filter_map(|p| Some((p, p.end()?)))
}

fn check_overlaps(partitions: &[Partition]) -> Result<(), ScatterError> {
    let spans: Vec<(&Partition, u64)> = extents(partitions).collect();
    for (i, &(p, end)) in spans.iter().enumerate() {
        if let Some(&(other, other_end)) = spans[..i]
            .iter()
            .find(|(o, o_end)| p.linear_start < *o_end && o.linear_start < end)
        {
            return Err(ScatterError::Overlap {
                line: p.line,
                name: label(&p.name).to_string(),
                start: p.linear_start,
                end,
                other: label(&other.name).to_string(),
                other_line: other.line,
                other_start: other.linear_start,
                other_end,
            });
        }
    }
    Ok(())
}

fn check_gaps(partitions: &[Partition], warnings: &mut Vec<Warning>) {
    let mut prev: Option<(&Partition, u64)> = None;
    for p in partitions.iter().filter(|p| !p.address_is_pseudo) {
        if let Some((before, end)) = prev
            && p.linear_start != end
        {
            let (name, start, prev) = (label(&p.name), p.linear_start, label(&before.name));
            let message = if start > end {
                format!(
                    "partition {name} starts at linear 0x{start:X}, 0x{:X} bytes after \
                     partition {prev} ends (linear 0x{end:X})",
                    start - end
                )
            } else {
                format!(
                    "partition {name} starts at linear 0x{start:X}, before partition {prev} \
                     ends (linear 0x{end:X}): the partitions are out of order"
                )
            };
            warnings.push(Warning {
                line: p.line,
                message,
            });
        }
        prev = p.end().map(|end| (p, end));
    }
}

fn check_names(partitions: &[Partition], warnings: &mut Vec<Warning>) {
    for (i, p) in partitions.iter().enumerate() {
        if p.name.is_empty() {
            continue;
        }
        if let Some(first) = partitions[..i]
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(&p.name))
        {
            warnings.push(Warning {
                line: p.line,
                message: format!(
                    "partition name {} is used again (first on line {}); lookups by name find \
                     the first",
                    p.name, first.line
                ),
            });
        }
    }
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
    fn flat_entry_shapes() {
        assert_eq!(flat_entry("MBR 0xc00000"), Some(("MBR", "0xc00000", None)));
        assert_eq!(flat_entry("UBOOT 0x0 {"), Some(("UBOOT", "0x0", Some("{"))));
        assert_eq!(flat_entry("- general: X"), None);
        assert_eq!(flat_entry("A B C"), None);
        assert_eq!(flat_entry("ALONE"), None);
    }

    #[test]
    fn ota_sizes_come_from_the_next_start_and_the_last_is_unknown() {
        let s = parse("PRELOADER 0x0\nMBR 0x600000\nEBR1 0x680000\nANDROID 0x700000\n").unwrap();
        assert_eq!(s.format, ScatterFormat::Ota);
        assert_eq!(s.storage, Storage::Emmc);
        let sizes: Vec<_> = s.partitions.iter().map(|p| p.size).collect();
        assert_eq!(
            sizes,
            [Some(0x60_0000), Some(0x8_0000), Some(0x8_0000), None]
        );
        assert_eq!(s.partitions[0].region, Region::EmmcBoot1);
        assert_eq!(s.boot1_size(), 0x60_0000);
        assert_eq!(s.partition("ebr1").unwrap().region_offset, 0x8_0000);
        assert!(s.warnings.is_empty());
        assert_eq!(s.downloads().count(), 0);
    }

    #[test]
    fn ota_without_plausible_boot_region_is_all_user_area_with_a_warning() {
        let s = parse("PRELOADER 0x0\nMBR 0x123\nEBR1 0x680000\n").unwrap();
        assert!(s.partitions.iter().all(|p| p.region == Region::EmmcUser));
        assert_eq!(s.boot1_size(), 0);
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].line, 1);
    }

    #[test]
    fn legacy_braces_nodl_and_nand() {
        let s = parse(
            "A 0x0\n{\n}\n__NODL_B 0x40000 {}\nC 0x80000 {\n}\n__NODL_BMTPOOL 0xFFFF0050\n{\n}\n",
        )
        .unwrap();
        assert_eq!(s.format, ScatterFormat::Legacy);
        assert_eq!(s.storage, Storage::Nand);
        let b = s.partition("B").unwrap();
        assert!(!b.download);
        assert_eq!(
            (b.line, b.size, b.region),
            (4, Some(0x4_0000), Region::Nand)
        );
        assert_eq!(s.partitions[2].size, None);
        let bmt = &s.partitions[3];
        assert!(bmt.address_is_pseudo && bmt.end().is_none());
        assert_eq!(bmt.region_offset, 0xFFFF_0050);
    }

    #[test]
    fn flat_errors_name_the_line() {
        let e = parse("A 0x0\nB 0x100\n}\n").unwrap_err();
        assert_eq!(e.to_string(), "line 3: `}` without a `{` before it");
        let e = parse("A 0x0\n{\nB 0x100\n").unwrap_err();
        assert_eq!(e.line(), 2);
        let e = parse("A 0x100\nB 0x0\n").unwrap_err();
        assert!(matches!(e, ScatterError::OutOfOrder { line: 2, .. }), "{e}");
        let e = parse("A 0x0\nB 0x1g\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 2: the address of B is not a number: `0x1g` (expected hex such as 0x600000)"
        );
        let e = parse("A 0x0\nthree words here\n").unwrap_err();
        assert_eq!(e.line(), 2);
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

    #[test]
    fn v1_key_outside_a_block_and_duplicate_key() {
        let e =
            parse("- general: MTK_PLATFORM_CFG\n  storage: EMMC\n  storage: NAND\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 3: `storage` is given twice in one block (first on line 2)"
        );
        let e = parse("- general: MTK_PLATFORM_CFG\n  no colon here\n").unwrap_err();
        assert_eq!(e.line(), 2);
    }

    /// A V1 file: the general block with `storage`, then one block per `(name, start, size,
    /// region, extra)`.
    fn v1(storage: &str, parts: &[(&str, &str, &str, &str, &str)]) -> String {
        let mut text = format!("- general: MTK_PLATFORM_CFG\n  storage: {storage}\n");
        for (i, (name, start, size, region, extra)) in parts.iter().enumerate() {
            text += &format!(
                "- partition_index: SYS{i}\n  partition_name: {name}\n  file_name: NONE\n  \
                 is_download: false\n  linear_start_addr: {start}\n  partition_size: {size}\n  \
                 region: {region}\n{extra}"
            );
        }
        text
    }

    #[test]
    fn v1_out_of_order_without_overlap_is_a_warning() {
        let s = parse(&v1(
            "EMMC",
            &[
                ("A", "0x0", "0x100", "EMMC_BOOT_1", ""),
                ("C", "0x300", "0x100", "EMMC_USER", ""),
                ("B", "0x100", "0x100", "EMMC_USER", ""),
            ],
        ))
        .unwrap();
        let messages: Vec<_> = s
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    10,
                    "partition C starts at linear 0x300, 0x200 bytes after partition A ends \
                     (linear 0x100)"
                ),
                (
                    17,
                    "partition B starts at linear 0x100, before partition C ends (linear 0x400): the \
                     partitions are out of order"
                )
            ]
        );
        assert_eq!(s.boot1_size(), 0x100);
        assert_eq!(s.partition("C").unwrap().region_offset, 0x200);
    }

    #[test]
    fn v1_nand_uses_region_none_and_rejects_emmc_regions() {
        let s = parse(&v1(
            "NAND",
            &[("A", "0x0", "0x100", "NONE", "  storage: HW_STORAGE_NAND\n")],
        ))
        .unwrap();
        assert_eq!(
            (s.storage, s.partitions[0].region),
            (Storage::Nand, Region::Nand)
        );
        let e = parse(&v1("NAND", &[("A", "0x0", "0x100", "EMMC_USER", "")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 9: unknown region `EMMC_USER` for NAND storage (expected NONE)"
        );
        let e = parse(&v1("EMMC", &[("A", "0x0", "0x100", "NONE", "")])).unwrap_err();
        assert_eq!(e.line(), 9);
    }

    #[test]
    fn v1_partition_storage_must_match_the_file() {
        let e = parse(&v1(
            "EMMC",
            &[(
                "A",
                "0x0",
                "0x100",
                "EMMC_USER",
                "  storage: HW_STORAGE_NAND\n",
            )],
        ))
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 10: partition A is on HW_STORAGE_NAND but the file's storage is EMMC"
        );
        let e = parse(&v1(
            "EMMC",
            &[("A", "0x0", "0x100", "EMMC_USER", "  storage: SD\n")],
        ))
        .unwrap_err();
        assert!(
            matches!(e, ScatterError::UnknownStorage { line: 10, .. }),
            "{e}"
        );
    }

    #[test]
    fn v1_bad_boolean_and_missing_general() {
        let text = v1("EMMC", &[("A", "0x0", "0x100", "EMMC_USER", "")]);
        let e = parse(&text.replace("is_download: false", "is_download: yes")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 6: is_download must be true or false, not `yes`"
        );
        let without_general = text.lines().skip(2).collect::<Vec<_>>().join("\n");
        let e = parse(&without_general).unwrap_err();
        assert!(matches!(e, ScatterError::NoGeneral { line: 1 }), "{e}");
        let e = parse("- general: MTK_PLATFORM_CFG\n  platform: MT6572\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: the general block has no `storage:` line"
        );
    }

    #[test]
    fn v1_index_mismatch_and_duplicate_names_warn() {
        let text = v1(
            "EMMC",
            &[
                ("A", "0x0", "0x100", "EMMC_USER", ""),
                ("a", "0x100", "0x100", "EMMC_USER", ""),
            ],
        )
        .replace("SYS1", "SYS7");
        let s = parse(&text).unwrap();
        let messages: Vec<_> = s
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    10,
                    "partition_index is SYS7 but this is partition 1 in the file (SYS1)"
                ),
                (
                    10,
                    "partition name a is used again (first on line 3); lookups by name find the \
                     first"
                )
            ]
        );
        assert_eq!(s.partition("A").unwrap().line, 3);
    }

    #[test]
    fn pseudo_partitions_skip_overlap_and_gap_checks() {
        let s = parse(&v1(
            "EMMC",
            &[
                ("A", "0x0", "0x100", "EMMC_USER", ""),
                ("OTP", "0xFFFF0200", "0x2b00000", "EMMC_USER", ""),
                ("", "0x0", "0x1500000", "EMMC_USER", "  is_reserved: true\n"),
                ("B", "0x100", "0x100", "EMMC_USER", ""),
            ],
        ))
        .unwrap();
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert!(s.partitions[1].address_is_pseudo && s.partitions[2].address_is_pseudo);
        assert_eq!(s.partitions[1].region_offset, 0xFFFF_0200);
    }
}
