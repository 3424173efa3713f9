//! What the library keeps about one package: the facts of `rom inspect` that matter for
//! choosing a ROM (identity, images with their hashes, LCM names, preloader, problems), in a
//! shape that is stored in the index and read back.
//!
//! The decoded headers of each image ([`ImageReport::detail`]) are left out on purpose: they
//! are long and they belong to `rom inspect`. This module converts; it reads no file.

use serde::{Deserialize, Serialize};

use crate::firmware::layout::Span;
use crate::firmware::rom::{
    ChecksumIniReport, ImageReport, LcmReport, Problem, RomReport, Severity,
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
    /// Every partition that names a file, in scatter order, without the decoded header
    /// (`detail` is always `None`).
    pub images: Vec<ImageReport>,
    /// The data-area layout of the scatter.
    pub layout: Vec<Span>,
    /// Panel driver names in LK and in the kernel.
    pub lcm: LcmReport,
    /// What the preloader image says about itself.
    pub preloader: Option<PreloaderFacts>,
    /// The package's Checksum.ini, if it has one that parses.
    pub checksum_ini: Option<ChecksumIniReport>,
    /// Errors first, then warnings, as `rom inspect` lists them.
    pub problems: Vec<Problem>,
}

/// The preloader's identity (the same type the device fingerprint carries).
pub use crate::firmware::preloader::PreloaderIdentity as PreloaderFacts;

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
            images: r
                .images
                .into_iter()
                .map(|i| ImageReport { detail: None, ..i })
                .collect(),
            layout: r.layout,
            lcm: r.lcm,
            preloader: r.preloader.as_ref().map(PreloaderFacts::from),
            checksum_ini: r.checksum_ini,
            problems: r.problems,
        }
    }
}
