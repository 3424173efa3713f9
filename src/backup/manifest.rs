//! `manifest.toml`: what a backup holds and how to check it. Written last, so a backup folder
//! with a manifest is complete; read strictly (unknown keys are errors), and every file name in
//! it must be a plain name inside the backup's folder.

use serde::{Deserialize, Serialize};

use crate::device::{Fingerprint, target::Region};

/// The manifest format this program writes.
pub const FORMAT: u32 = 1;

/// File name of the manifest inside a backup folder.
pub const FILE: &str = "manifest.toml";

/// What kind of backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    /// The identity set: NVRAM set, SECCFG, preloader region, MBR/EBR, UBOOT.
    Identity,
    /// The whole flash.
    Full,
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// The file name inside the backup folder (a plain name, no folders).
    pub file: String,
    /// The partition it was read from.
    pub partition: String,
    /// The region the offset is relative to.
    pub region: Region,
    /// Where the read started, bytes into the region.
    pub offset: u64,
    /// Bytes.
    pub length: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// A file of the package that is no partition's image (the scatter).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageFile {
    /// The file name inside the backup folder (a plain name, no folders).
    pub file: String,
    /// Bytes.
    pub length: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// The manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The mtkbench version that wrote it.
    pub tool_version: String,
    /// When (UTC).
    pub created: String,
    /// Identity or full.
    pub kind: BackupKind,
    /// The phone's device key.
    pub device_key: String,
    /// The board profile, when one was chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Every file, in reading order.
    pub files: Vec<FileEntry>,
    /// A full backup's scatter file, which makes its folder a flashable package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scatter: Option<PackageFile>,
    /// The phone's fingerprint (last: it is the longest table).
    pub fingerprint: Fingerprint,
}

/// True when `name` is a plain file name that stays inside the folder it is joined to.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && name != FILE
}

impl Manifest {
    /// The files of the NVRAM set (the phone's identity), in the backup's order.
    pub fn nvram_set(&self) -> Vec<FileEntry> {
        self.files
            .iter()
            .filter(|f| crate::firmware::is_nvram_set(&f.partition))
            .cloned()
            .collect()
    }

    /// The manifest as TOML.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }

    /// Reads a manifest.
    pub fn from_toml(text: &str) -> Result<Manifest, toml::de::Error> {
        toml::from_str(text)
    }

    /// Total bytes of the files.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.length).sum()
    }
}
