//! What the library keeps about one package: the facts of `rom inspect` that matter for
//! choosing a ROM (identity, images with their hashes, LCM names, preloader, problems), in a
//! shape that is stored in the index and read back.
//!
//! The decoded headers of each image (`ImageContent`) are left out on purpose: they are long,
//! they belong to `rom inspect`, and keeping them out spares the firmware parsers from having
//! to be deserialisable. This module converts; it reads no file.

use serde::{Deserialize, Serialize};

use crate::firmware::rom::{
    ChecksumIniReport, ChecksumStatus, ImageReport, LcmReport, Problem, RomReport, Severity,
};

/// The indexed facts about one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageFacts {
    /// The scatter file, relative to the package.
    pub scatter: String,
    /// Platform the scatter names.
    pub platform: Option<String>,
    /// Project the scatter names.
    pub project: Option<String>,
    /// Storage type (`EMMC` or `NAND`).
    pub storage: String,
    /// Every partition that names a file, in scatter order.
    pub images: Vec<ImageFacts>,
    /// Panel driver names in LK and in the kernel.
    pub lcm: LcmReport,
    /// What the preloader image says about itself.
    pub preloader: Option<PreloaderFacts>,
    /// The package's Checksum.ini, if it has one that parses.
    pub checksum_ini: Option<ChecksumIniReport>,
    /// Errors first, then warnings, as `rom inspect` lists them.
    pub problems: Vec<Problem>,
}

/// One image the scatter names: [`ImageReport`] without the decoded header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFacts {
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
    /// Whether the file fits its partition.
    pub fits: Option<bool>,
    /// SP Flash Tool 16-bit checksum.
    pub checksum16: Option<u16>,
    /// Comparison with Checksum.ini.
    pub checksum: Option<ChecksumStatus>,
    /// Short format name (`preloader`, `mtk:LK`, `ext4`, ...).
    pub kind: Option<String>,
}

/// The preloader's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreloaderFacts {
    /// `preloader_<project>.bin` as embedded.
    pub build_name: Option<String>,
    /// The board project the preloader was built for.
    pub project: Option<String>,
    /// The EMI info version (`MTK_BLOADER_INFO_vNN`).
    pub emi_version: Option<u32>,
}

impl PackageFacts {
    /// How many problems have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == severity)
            .count()
    }

    /// Total size of the images present.
    pub fn image_bytes(&self) -> u64 {
        self.images.iter().filter_map(|i| i.size).sum()
    }
}

impl From<RomReport> for PackageFacts {
    fn from(r: RomReport) -> Self {
        PackageFacts {
            scatter: r.scatter,
            platform: r.platform,
            project: r.project,
            storage: r.storage.to_string(),
            images: r.images.into_iter().map(ImageFacts::from).collect(),
            lcm: r.lcm,
            preloader: r.preloader.map(|p| PreloaderFacts {
                build_name: p.build_name,
                project: p.project,
                emi_version: p.emi_version,
            }),
            checksum_ini: r.checksum_ini,
            problems: r.problems,
        }
    }
}

impl From<ImageReport> for ImageFacts {
    fn from(i: ImageReport) -> Self {
        // `detail` (the decoded header) is dropped, see the module documentation.
        ImageFacts {
            partition: i.partition,
            file: i.file,
            download: i.download,
            present: i.present,
            size: i.size,
            partition_size: i.partition_size,
            sha256: i.sha256,
            fits: i.fits,
            checksum16: i.checksum16,
            checksum: i.checksum,
            kind: i.kind,
        }
    }
}
