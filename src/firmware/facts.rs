//! The facts about one ROM package, in the one shape that `rom inspect` reports, the library
//! index stores and the library listing shows ([`RomFacts`]), and what a board-fit check
//! reads from them (preloader identity, boot-region size, layout).
//!
//! Plain data: serialisable and read back (the decoded image headers excepted, see
//! [`ImageReport::detail`]). Built by [`crate::firmware::rom::inspect`]; this module reads no
//! file and knows no phone.

use serde::{Deserialize, Serialize};

use crate::firmware::{
    preloader::{PreloaderIdentity, PreloaderInfo, PreloaderLayout},
    rom::ImageContent,
    scatter::{Region, Scatter, Storage},
};

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Flashing this package as it is would fail or harm the phone.
    Error,
    /// Flashing works but the technician must decide something.
    Warning,
}

/// One finding about the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// The partition concerned, if any.
    pub partition: Option<String>,
    /// What is wrong and what it means, in plain words.
    pub message: String,
}

/// The result of comparing an image with Checksum.ini.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChecksumStatus {
    /// Listed and equal.
    Ok,
    /// Listed and different.
    Mismatch,
    /// Not listed (or no Checksum.ini).
    Unlisted,
}

/// One image the scatter names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageReport {
    /// Partition name.
    pub partition: String,
    /// File name as the scatter writes it.
    pub file: String,
    /// Whether SP Flash Tool would write it.
    pub download: bool,
    /// Whether the file is in the package (and was safe to read).
    pub present: bool,
    /// File size in bytes.
    pub size: Option<u64>,
    /// Partition size in bytes, when the scatter gives it.
    pub partition_size: Option<u64>,
    /// SHA-256, lower-case hex.
    pub sha256: Option<String>,
    /// Whether the file fits its partition (`None` when either size is unknown).
    pub fits: Option<bool>,
    /// SP Flash Tool 16-bit checksum of the file.
    pub checksum16: Option<u16>,
    /// Comparison with Checksum.ini (`None` when the file is absent).
    pub checksum: Option<ChecksumStatus>,
    /// Short format name (see the module documentation).
    pub kind: Option<String>,
    /// What the header says. Never read back: facts loaded from the library index have
    /// `None` here, which spares the header parsers' types from being deserialisable.
    #[serde(skip_deserializing)]
    pub detail: Option<ImageContent>,
}

impl ImageReport {
    /// The report of an image not read (yet): what the scatter says of it, nothing else.
    pub fn unread(partition: &str, file: &str, download: bool) -> ImageReport {
        ImageReport {
            partition: partition.to_owned(),
            file: file.to_owned(),
            download,
            present: false,
            size: None,
            partition_size: None,
            sha256: None,
            fits: None,
            checksum16: None,
            checksum: None,
            kind: None,
            detail: None,
        }
    }
}

/// Panel driver names found in the package.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LcmReport {
    /// Names compiled into LK (lk.bin).
    pub lk: Vec<String>,
    /// Names compiled into the kernel of boot.img.
    pub kernel: Vec<String>,
    /// How boot.img's kernel is packed (`gzip`, `xz`, `lzma`, `bzip2`, `lzo`, `plain`), when
    /// it could be read.
    #[serde(default)]
    pub kernel_compression: Option<String>,
}

/// Facts about the package's Checksum.ini.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksumIniReport {
    /// Its path inside the package.
    pub file: String,
    /// The SP Flash Tool version that wrote it.
    pub tool: Option<String>,
    /// `CHECKSUM_SWITCH`.
    pub enabled: bool,
    /// How many values it lists.
    pub entries: usize,
}

/// What the preloader image says about itself: how it is packaged, and its identity (the
/// one [`PreloaderIdentity`] type the planner and the board check compare with the phone's;
/// flattened, so the JSON keeps `build_name`, `project` and `emi_version` at this level).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreloaderFacts {
    /// How the image is packaged (a flashable build, or an EMMC_BOOT_1 readback).
    pub layout: PreloaderLayout,
    /// Build name, board project and EMI version.
    #[serde(flatten)]
    pub identity: PreloaderIdentity,
    /// The RAM parts its EMI table lists (empty when none could be read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ram_parts: Vec<crate::firmware::emi::RamPart>,
}

impl From<&PreloaderInfo> for PreloaderFacts {
    fn from(p: &PreloaderInfo) -> Self {
        PreloaderFacts {
            layout: p.layout,
            identity: PreloaderIdentity::from(p),
            ram_parts: p.ram_parts.clone(),
        }
    }
}

/// Where one partition of the scatter lies: physically, inside its hardware region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayoutEntry {
    /// Partition name.
    pub name: String,
    /// The hardware region (boot region, user area, NAND).
    pub region: Region,
    /// Offset inside that region (physical; not the scatter's linear address).
    pub region_offset: u64,
    /// Size in bytes, when the scatter gives or implies it.
    pub size: Option<u64>,
}

/// The facts about one ROM package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RomFacts {
    /// The scatter file, relative to the package.
    pub scatter: String,
    /// Platform the scatter names.
    pub platform: Option<String>,
    /// Project the scatter names.
    pub project: Option<String>,
    /// Storage type.
    pub storage: Storage,
    /// Size of the eMMC boot region the scatter is laid out for (where the user area starts in
    /// its linear addresses); `None` on NAND.
    pub boot_region_size: Option<u64>,
    /// Every partition with a real address, in scatter order, as physical offsets.
    pub layout: Vec<LayoutEntry>,
    /// Every partition that names a file, in scatter order.
    pub images: Vec<ImageReport>,
    /// Panel driver names.
    pub lcm: LcmReport,
    /// What the preloader image says about itself.
    pub preloader: Option<PreloaderFacts>,
    /// The package's Checksum.ini, if it has one that parses.
    pub checksum_ini: Option<ChecksumIniReport>,
    /// Errors first, then warnings.
    pub problems: Vec<Problem>,
}

impl RomFacts {
    /// How many problems have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == severity)
            .count()
    }

    /// How many of the images the scatter names are in the package.
    pub fn images_present(&self) -> usize {
        self.images.iter().filter(|i| i.present).count()
    }

    /// Total size of the images present.
    pub fn image_bytes(&self) -> u64 {
        self.images.iter().filter_map(|i| i.size).sum()
    }

    /// The facts without the decoded image headers, as the library index keeps them.
    pub fn without_details(mut self) -> RomFacts {
        for i in &mut self.images {
            i.detail = None;
        }
        self
    }
}

/// The layout of `scatter` as [`RomFacts::layout`] keeps it (pseudo addresses left out).
pub fn layout_of(scatter: &Scatter) -> Vec<LayoutEntry> {
    scatter
        .partitions
        .iter()
        .filter(|p| !p.address_is_pseudo)
        .map(|p| LayoutEntry {
            name: p.name.clone(),
            region: p.region,
            region_offset: p.region_offset,
            size: p.size,
        })
        .collect()
}
