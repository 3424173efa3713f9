//! The proof a restore needs to write a backup's file to a phone: only [`Store::prove`] makes
//! one, and only from a backup whose every file hashes right, for a phone whose device key is
//! the backup's (or with the technician's explicit [`Consent::OtherDevice`], which the proof
//! carries as identity cloning). The guard ([`crate::device::guard::restore`]) takes a
//! [`ProvenFile`] instead of an override: it checks the proof against the phone the session
//! is talking to and records it in the transcript. The file is hashed again when the proof is
//! made, and once more by the restore in a streaming pass right before its write (a file
//! changed after the proof is refused there, before a byte is sent); the restore then hashes
//! what it writes and what it reads back, and both must match the manifest.
//!
//! Nothing else builds a proof: its fields are private, it has no `Default`, `From` or
//! `Deserialize`, so a restore that skipped the checks does not compile:
//!
//! ```compile_fail
//! use mtkbench::backup::{FileEntry, ProvenFile};
//! use mtkbench::device::target::Region;
//! // Private fields: a proof cannot be written by hand.
//! let forged = ProvenFile {
//!     entry: FileEntry {
//!         file: "NVRAM.bin".into(),
//!         partition: "NVRAM".into(),
//!         region: Region::EmmcUser,
//!         offset: 0x40_0000,
//!         length: 4,
//!         sha256: String::new(),
//!     },
//!     path: "NVRAM.bin".into(),
//!     backup_id: "emmc-aa/20261203T100000Z".into(),
//!     backup_key: "emmc-aa".into(),
//!     phone_key: "emmc-aa".into(),
//!     cloning: false,
//! };
//! ```
//!
//! Nor is there a default one to fill in:
//!
//! ```compile_fail
//! let forged = mtkbench::backup::ProvenFile::default();
//! ```
//!
//! And a restore takes proven files only, not the plain files of a backup folder:
//!
//! ```compile_fail
//! use mtkbench::{backup::FileEntry, engine::restore, job::Phone, transport::ScriptedTransport};
//! fn restore_unproven(
//!     phone: &mut Phone<'_, ScriptedTransport>,
//!     files: &[(FileEntry, std::path::PathBuf, Vec<u8>)],
//! ) {
//!     let _ = restore::write_back(phone, files);
//! }
//! ```
//!
//! Stores nothing and touches no phone.

use std::path::{Path, PathBuf};

use super::{Backup, BackupError, FileEntry, Store};
use crate::device::Fingerprint;

/// Whether the technician allowed a backup of another phone (`--other-device`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Only a backup of this very phone.
    SameDevice,
    /// `--other-device`: the backup of another phone may be written, cloning its identity.
    OtherDevice,
}

impl Consent {
    /// The consent an `--other-device` flag gives.
    pub fn from_flag(other_device: bool) -> Consent {
        if other_device {
            Consent::OtherDevice
        } else {
            Consent::SameDevice
        }
    }
}

/// A verified backup, proven for one phone: the files a restore may write to it.
#[derive(Debug, Clone)]
pub struct RestoreProof {
    backup: Backup,
    phone_key: String,
    cloning: bool,
}

/// One file of a [`RestoreProof`], hashed right when the proof was made (its bytes stay on
/// disk: a restore streams them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenFile {
    entry: FileEntry,
    path: PathBuf,
    backup_id: String,
    backup_key: String,
    phone_key: String,
    cloning: bool,
}

impl Store {
    /// Proves backup `id` for the phone `phone`: every file must match the manifest, and the
    /// backup's device key must be the phone's unless `consent` is
    /// [`Consent::OtherDevice`] (the proof then says it clones another phone's identity).
    pub fn prove(
        &self,
        id: &str,
        phone: &Fingerprint,
        consent: Consent,
    ) -> Result<RestoreProof, BackupError> {
        let backup = self.open(id)?;
        self.verify(id)?.require_ok()?;
        let phone_key = phone.device_key();
        let cloning = backup.manifest.device_key != phone_key;
        if cloning && consent == Consent::SameDevice {
            return Err(BackupError::OtherDevice {
                id: id.into(),
                backup_key: backup.manifest.device_key.clone(),
                phone_key,
            });
        }
        Ok(RestoreProof {
            backup,
            phone_key,
            cloning,
        })
    }
}

impl RestoreProof {
    /// The backup proven.
    pub fn backup(&self) -> &Backup {
        &self.backup
    }

    /// True when the backup is of another phone (`--other-device`).
    pub fn cloning(&self) -> bool {
        self.cloning
    }

    /// The device key of the phone the proof was made for.
    pub fn phone_key(&self) -> &str {
        &self.phone_key
    }

    /// The file of `entry` (which must be one of the backup's), its hash checked again.
    pub fn file(&self, store: &Store, entry: &FileEntry) -> Result<ProvenFile, BackupError> {
        if !self.backup.manifest.files.contains(entry) {
            return Err(BackupError::Damaged {
                id: self.backup.id.clone(),
                problems: format!("{} is not a file of this backup", entry.file),
            });
        }
        let path = store.checked_path(&self.backup, entry)?;
        Ok(ProvenFile {
            entry: entry.clone(),
            path,
            backup_id: self.backup.id.clone(),
            backup_key: self.backup.manifest.device_key.clone(),
            phone_key: self.phone_key.clone(),
            cloning: self.cloning,
        })
    }

    /// [`Self::file`] for every entry of `entries`, in that order.
    pub fn files(
        &self,
        store: &Store,
        entries: &[FileEntry],
    ) -> Result<Vec<ProvenFile>, BackupError> {
        entries.iter().map(|e| self.file(store, e)).collect()
    }

    /// The backup's files of the NVRAM set.
    pub fn nvram_set(&self) -> Vec<FileEntry> {
        self.backup.manifest.nvram_set()
    }
}

impl ProvenFile {
    /// The manifest's entry: partition, region, offset, length, SHA-256.
    pub fn entry(&self) -> &FileEntry {
        &self.entry
    }

    /// The file in the backup folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The backup's id.
    pub fn backup_id(&self) -> &str {
        &self.backup_id
    }

    /// The device key of the phone the backup was read from.
    pub fn backup_key(&self) -> &str {
        &self.backup_key
    }

    /// The device key of the phone the proof was made for.
    pub fn phone_key(&self) -> &str {
        &self.phone_key
    }

    /// True when writing it clones another phone's identity (`--other-device`).
    pub fn cloning(&self) -> bool {
        self.cloning
    }
}
