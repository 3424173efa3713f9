//! SP Flash Tool scatter files: the partition map that comes with every ROM.
//!
//! Three formats exist in the field and all parse into one [`Scatter`]:
//! the YAML-like V1.1.x format (`- partition_index: SYS0` blocks), the flat OTA format
//! (`NAME 0xADDR` lines) and the old flat format with `{` `}` blocks and `__NODL_` prefixes.
//! Parsing is pure (text in, value out); reading the file is the only I/O, in [`parse_file`].

use serde::Serialize;

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

/// The storage a scatter file targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Storage {
    /// eMMC (boot regions + user area).
    Emmc,
    /// Raw NAND.
    Nand,
}

/// A hardware region of the storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Region {
    /// eMMC boot partition 1 (holds the preloader).
    #[serde(rename = "EMMC_BOOT_1")]
    EmmcBoot1,
    /// eMMC boot partition 2.
    #[serde(rename = "EMMC_BOOT_2")]
    EmmcBoot2,
    /// eMMC user area (MBR, EBR, everything else).
    #[serde(rename = "EMMC_USER")]
    EmmcUser,
    /// The whole NAND array.
    #[serde(rename = "NAND")]
    Nand,
}

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
