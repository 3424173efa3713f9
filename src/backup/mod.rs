//! The backup store: `<data>/backups/<device-key>/<timestamp>/`, one folder per backup, each
//! with its files and a `manifest.toml` (tool version, fingerprint, profile, and per file the
//! partition, region, offset, length and SHA-256).
//!
//! A backup is written once: into a hidden temporary folder beside its final place, every file
//! flushed to disk and hashed as it is written, the manifest last, then the folder renamed
//! into place without ever replacing one ([`BackupWriter`]). It is never changed afterwards.
//! [`Store::verify`] re-hashes every file and refuses a changed byte, a missing file, and a
//! manifest that names a file outside the folder.
//!
//! Stores and checks files; never touches a phone (the job layer reads the partitions and
//! hands the bytes here) and never draws.

pub mod manifest;
pub mod proof;

use std::{
    io::Write,
    path::{Path, PathBuf},
    time::SystemTime,
};

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use self::{
    manifest::{BackupKind, FileEntry, Manifest, PackageFile},
    proof::{Consent, ProvenFile, RestoreProof},
};
use crate::{
    device::{Fingerprint, target::Region},
    error::{Advice, HostError},
    transport::transcript::utc_timestamp,
};

/// Folder of the store inside the data folder.
pub const FOLDER: &str = "backups";

/// Why a backup cannot be written, found or trusted.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// No backup with that id.
    #[error("there is no backup {id}")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// An id that could name a folder outside the store.
    #[error("{id:?} is not a backup id (expected DEVICE-KEY/TIMESTAMP)")]
    BadId {
        /// The id given.
        id: String,
    },
    /// The manifest cannot be read.
    #[error("the manifest of backup {id} cannot be read: {reason}")]
    BadManifest {
        /// The backup.
        id: String,
        /// Why.
        reason: String,
    },
    /// The files do not match the manifest.
    #[error("backup {id} fails its check: {problems}")]
    Damaged {
        /// The backup.
        id: String,
        /// What failed, file by file.
        problems: String,
    },
    /// Two reads of the same partitions gave different bytes: the link or the phone is
    /// unstable, and nothing was stored.
    #[error(
        "{} read differently twice from the phone: the link or the phone is unstable, so no \
         backup was stored (a backup must be the phone's real content, not one of two versions)",
        parts.join(", ")
    )]
    UnstableRead {
        /// The partitions whose two reads differ.
        parts: Vec<String>,
    },
    /// A backup of another phone, without `--other-device`.
    #[error(
        "backup {id} is of phone {backup_key}, this phone is {phone_key}; writing it would give \
         this phone the other phone's IMEI, MACs and calibration (identity cloning)"
    )]
    OtherDevice {
        /// The backup.
        id: String,
        /// Its device key.
        backup_key: String,
        /// The phone's.
        phone_key: String,
    },
    /// Reading or writing a file failed.
    #[error(transparent)]
    Host(#[from] HostError),
}

impl Advice for BackupError {
    fn help(&self) -> String {
        match self {
            BackupError::NotFound { .. } | BackupError::BadId { .. } => {
                "list the backups with `mtkbench backups list`".into()
            }
            BackupError::BadManifest { .. } | BackupError::Damaged { .. } => {
                "do not restore from this backup; use another one of this phone \
                 (`mtkbench backups list`), and keep this folder as it is for inspection"
                    .into()
            }
            BackupError::UnstableRead { .. } => {
                "nothing on the phone was changed. Plug it straight into the computer with a \
                 short, good cable (no USB hub or extension), make sure the battery is charged \
                 and seated, then run the backup again; if the reads still differ, the phone's \
                 flash may be failing: do not flash it until a backup succeeds"
                    .into()
            }
            BackupError::OtherDevice { phone_key, .. } => format!(
                "restore a backup of this phone (`mtkbench backups list --device {phone_key}`); \
                 only to repair a phone whose own identity is lost for good, and knowing it \
                 clones the other phone, add --other-device"
            ),
            BackupError::Host(e) => e.help(),
        }
    }

    fn is_bad_input(&self) -> bool {
        // A damaged backup is a failed check (exit 1, the report printed); the others are
        // input that cannot be used (exit 2).
        match self {
            BackupError::Host(e) => e.is_bad_input(),
            BackupError::Damaged { .. } | BackupError::UnstableRead { .. } => false,
            _ => true,
        }
    }
}

/// A backup's id: `<device-key>/<timestamp>`, its folder under the store.
pub type BackupId = String;

/// The store under a data folder.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// A backup found in the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backup {
    /// `<device-key>/<timestamp>`.
    pub id: BackupId,
    /// Its folder.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

/// How one file fared in [`Store::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileStatus {
    /// Same length and SHA-256 as recorded.
    Ok,
    /// Another SHA-256 or length: the file changed.
    Changed,
    /// Not there.
    Missing,
    /// The manifest names a path outside the backup's folder (never opened).
    Escapes,
}

/// One file's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileCheck {
    /// The file as the manifest names it.
    pub file: String,
    /// The partition.
    pub partition: String,
    /// Recorded SHA-256.
    pub expected: String,
    /// SHA-256 found (when the file could be read).
    pub actual: Option<String>,
    /// The verdict.
    pub status: FileStatus,
}

/// The result of [`Store::verify`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    /// The backup.
    pub id: BackupId,
    /// True when every file is [`FileStatus::Ok`].
    pub ok: bool,
    /// Every file.
    pub files: Vec<FileCheck>,
}

impl Verification {
    /// The failures in words, or `None` when all is well.
    pub fn problems(&self) -> Option<String> {
        let bad: Vec<String> = self
            .files
            .iter()
            .filter(|f| f.status != FileStatus::Ok)
            .map(|f| match f.status {
                FileStatus::Changed => format!("{} ({}) has changed", f.file, f.partition),
                FileStatus::Missing => format!("{} ({}) is missing", f.file, f.partition),
                FileStatus::Escapes => {
                    format!("{:?} points outside the backup folder", f.file)
                }
                FileStatus::Ok => String::new(),
            })
            .collect();
        (!bad.is_empty()).then(|| bad.join("; "))
    }

    /// `Ok` when every file checks, else [`BackupError::Damaged`].
    pub fn require_ok(&self) -> Result<(), BackupError> {
        match self.problems() {
            None => Ok(()),
            Some(problems) => Err(BackupError::Damaged {
                id: self.id.clone(),
                problems,
            }),
        }
    }
}

/// The time part of a backup id: `YYYYMMDDTHHMMSSZ` (UTC).
pub fn timestamp(at: SystemTime) -> String {
    utc_timestamp(at).replace(['-', ':'], "")
}

/// True when `s` is safe as one folder name of an id.
fn plain_component(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Store {
    /// The store of the data folder `data`.
    pub fn new(data: &Path) -> Store {
        Store {
            root: data.join(FOLDER),
        }
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of backup `id`, refusing ids that could leave the store.
    fn folder(&self, id: &str) -> Result<PathBuf, BackupError> {
        let mut parts = id.split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(key), Some(ts), None) if plain_component(key) && plain_component(ts) => {
                Ok(self.root.join(key).join(ts))
            }
            _ => Err(BackupError::BadId { id: id.into() }),
        }
    }

    /// Starts a new backup of the phone `device_key` (see [`BackupWriter`]).
    pub fn begin(
        &self,
        kind: BackupKind,
        fingerprint: &Fingerprint,
        profile: Option<&str>,
    ) -> Result<BackupWriter, BackupError> {
        let key = fingerprint.device_key();
        if !plain_component(&key) {
            return Err(BackupError::BadId { id: key });
        }
        let dir = self.root.join(&key);
        std::fs::create_dir_all(&dir).map_err(|e| HostError::io("create folder", &dir, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(".partial-")
            .tempdir_in(&dir)
            .map_err(|e| HostError::io("create a temporary folder in", &dir, e))?;
        Ok(BackupWriter {
            tmp,
            dir,
            manifest: Manifest {
                format: manifest::FORMAT,
                tool_version: env!("CARGO_PKG_VERSION").into(),
                created: String::new(),
                kind,
                device_key: key,
                profile: profile.map(str::to_string),
                files: Vec::new(),
                scatter: None,
                fingerprint: fingerprint.clone(),
            },
        })
    }

    /// Backup `id`.
    pub fn open(&self, id: &str) -> Result<Backup, BackupError> {
        let path = self.folder(id)?;
        let file = path.join(manifest::FILE);
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BackupError::NotFound { id: id.into() });
            }
            Err(e) => return Err(HostError::io("read", &file, e).into()),
        };
        let manifest = Manifest::from_toml(&text).map_err(|e| BackupError::BadManifest {
            id: id.into(),
            reason: e.to_string(),
        })?;
        Ok(Backup {
            id: id.into(),
            path,
            manifest,
        })
    }

    /// Every backup (of one phone, with `device`), oldest first; folders without a readable
    /// manifest (an interrupted write) are left out.
    pub fn list(&self, device: Option<&str>) -> Vec<Backup> {
        let mut out = Vec::new();
        let Ok(keys) = std::fs::read_dir(&self.root) else {
            return out;
        };
        let mut keys: Vec<String> = keys
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|k| plain_component(k) && device.is_none_or(|d| d == k))
            .collect();
        keys.sort();
        for key in keys {
            let Ok(stamps) = std::fs::read_dir(self.root.join(&key)) else {
                continue;
            };
            let mut stamps: Vec<String> = stamps
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|s| plain_component(s))
                .collect();
            stamps.sort();
            out.extend(
                stamps
                    .into_iter()
                    .filter_map(|ts| self.open(&format!("{key}/{ts}")).ok()),
            );
        }
        out
    }

    /// The newest backup of `device`.
    pub fn latest(&self, device: &str) -> Option<Backup> {
        self.list(Some(device)).pop()
    }

    /// Re-hashes every file of backup `id` against its manifest.
    pub fn verify(&self, id: &str) -> Result<Verification, BackupError> {
        let backup = self.open(id)?;
        let mut files: Vec<FileCheck> = backup
            .manifest
            .files
            .iter()
            .map(|f| check_file(&backup.path, &f.file, &f.partition, f.length, &f.sha256))
            .collect();
        if let Some(s) = &backup.manifest.scatter {
            files.push(check_file(
                &backup.path,
                &s.file,
                "scatter",
                s.length,
                &s.sha256,
            ));
        }
        Ok(Verification {
            id: backup.id,
            ok: files.iter().all(|f| f.status == FileStatus::Ok),
            files,
        })
    }

    /// The path of `entry` of a backup, after its bytes were hashed again (streaming, in
    /// bounded memory) against the manifest: a file changed, missing or outside the folder
    /// is refused.
    fn checked_path(&self, backup: &Backup, entry: &FileEntry) -> Result<PathBuf, BackupError> {
        let check = check_file(
            &backup.path,
            &entry.file,
            &entry.partition,
            entry.length,
            &entry.sha256,
        );
        let problems = match check.status {
            FileStatus::Ok => return Ok(backup.path.join(&entry.file)),
            FileStatus::Escapes => format!("{:?} points outside the backup folder", entry.file),
            FileStatus::Missing => format!("{} ({}) is missing", entry.file, entry.partition),
            FileStatus::Changed => format!("{} ({}) has changed", entry.file, entry.partition),
        };
        Err(BackupError::Damaged {
            id: backup.id.clone(),
            problems,
        })
    }

    /// The bytes of `entry` of a verified backup, checked again against the manifest as they
    /// are read (a file changed since the verification is refused).
    pub fn read_file(&self, backup: &Backup, entry: &FileEntry) -> Result<Vec<u8>, BackupError> {
        if !manifest::is_plain_name(&entry.file) {
            return Err(BackupError::Damaged {
                id: backup.id.clone(),
                problems: format!("{:?} points outside the backup folder", entry.file),
            });
        }
        let path = backup.path.join(&entry.file);
        let bytes = std::fs::read(&path).map_err(|e| HostError::io("read", &path, e))?;
        if hex::encode(Sha256::digest(&bytes)) != entry.sha256 {
            return Err(BackupError::Damaged {
                id: backup.id.clone(),
                problems: format!("{} ({}) has changed", entry.file, entry.partition),
            });
        }
        Ok(bytes)
    }
}

fn check_file(dir: &Path, file: &str, partition: &str, length: u64, sha256: &str) -> FileCheck {
    let mut check = FileCheck {
        file: file.into(),
        partition: partition.into(),
        expected: sha256.into(),
        actual: None,
        status: FileStatus::Escapes,
    };
    if !manifest::is_plain_name(file) {
        return check;
    }
    let path = dir.join(file);
    match hash_file(&path) {
        Err(_) => check.status = FileStatus::Missing,
        Ok((n, actual)) => {
            check.status = if actual == sha256 && n == length {
                FileStatus::Ok
            } else {
                FileStatus::Changed
            };
            check.actual = Some(actual);
        }
    }
    check
}

/// Length and SHA-256 of a file, read in bounded memory.
fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let got = file.read(&mut buf)?;
        if got == 0 {
            return Ok((n, hex::encode(sha.finalize())));
        }
        sha.update(&buf[..got]);
        n += got as u64;
    }
}

/// A backup being written. Files go into a hidden temporary folder; [`BackupWriter::commit`]
/// writes the manifest and renames the folder into place. Dropped without a commit, the
/// temporary folder is removed and nothing appears in the store.
#[derive(Debug)]
pub struct BackupWriter {
    tmp: tempfile::TempDir,
    dir: PathBuf,
    manifest: Manifest,
}

impl BackupWriter {
    /// Stores `bytes`, read from `partition` at `offset` in `region`, as `file`.
    pub fn add(
        &mut self,
        file: &str,
        partition: &str,
        region: Region,
        offset: u64,
        bytes: &[u8],
    ) -> Result<(), BackupError> {
        let mut sink = self.stream(file)?;
        sink.write_all(bytes)
            .map_err(|e| HostError::io("write", &sink.path, e))?;
        self.finish(sink, partition, region, offset).map(drop)
    }

    /// Starts the new file `file` (a plain name not yet in the backup); its bytes are written
    /// into the sink as they arrive (never held whole), hashed on the way, and the file enters
    /// the manifest at [`BackupWriter::finish`].
    pub fn stream(&self, file: &str) -> Result<FileSink, BackupError> {
        if !manifest::is_plain_name(file)
            || file == manifest::FILE
            || self.manifest.files.iter().any(|f| f.file == file)
        {
            return Err(BackupError::BadManifest {
                id: self.manifest.device_key.clone(),
                reason: format!("{file:?} is not a new plain file name"),
            });
        }
        let path = self.tmp.path().join(file);
        let out =
            std::fs::File::create_new(&path).map_err(|e| HostError::io("create", &path, e))?;
        Ok(FileSink {
            file: file.into(),
            out: std::io::BufWriter::with_capacity(1 << 20, out),
            sha: Sha256::new(),
            bytes: 0,
            path,
        })
    }

    /// Flushes a streamed file to disk and records it, read from `partition` at `offset` in
    /// `region`, in the manifest.
    pub fn finish(
        &mut self,
        sink: FileSink,
        partition: &str,
        region: Region,
        offset: u64,
    ) -> Result<&FileEntry, BackupError> {
        let (file, length, sha256) = sink.close()?;
        self.manifest.files.push(FileEntry {
            file,
            partition: partition.into(),
            region,
            offset,
            length,
            sha256,
        });
        Ok(&self.manifest.files[self.manifest.files.len() - 1])
    }

    /// Stores the package's scatter file `file` (a full backup is a flashable package),
    /// hashed in the manifest like the images.
    pub fn add_scatter(&mut self, file: &str, text: &str) -> Result<(), BackupError> {
        let mut sink = self.stream(file)?;
        sink.write_all(text.as_bytes())
            .map_err(|e| HostError::io("write", &sink.path, e))?;
        let (file, length, sha256) = sink.close()?;
        self.manifest.scatter = Some(PackageFile {
            file,
            length,
            sha256,
        });
        Ok(())
    }

    /// Records `fingerprint` and `profile` in the manifest in place of those given to
    /// [`Store::begin`] (a fingerprint completed from what was read); the phone must be the
    /// same one (same device key), since the backup's folder is named after it.
    pub fn describe(
        &mut self,
        fingerprint: &Fingerprint,
        profile: Option<&str>,
    ) -> Result<(), BackupError> {
        let key = fingerprint.device_key();
        if key != self.manifest.device_key {
            return Err(BackupError::BadManifest {
                id: self.manifest.device_key.clone(),
                reason: format!(
                    "the backup was begun for phone {}, not {key}",
                    self.manifest.device_key
                ),
            });
        }
        self.manifest.fingerprint = fingerprint.clone();
        self.manifest.profile = profile.map(str::to_string);
        Ok(())
    }

    /// The files stored so far.
    pub fn files(&self) -> &[FileEntry] {
        &self.manifest.files
    }

    /// Writes the manifest, flushes, and renames the folder to
    /// `<device-key>/<timestamp>` (a later second if that one is taken): the backup exists
    /// from this moment, whole.
    pub fn commit(self, at: SystemTime) -> Result<Backup, BackupError> {
        let BackupWriter {
            tmp,
            dir,
            mut manifest,
        } = self;
        manifest.created = utc_timestamp(at);
        let text = manifest.to_toml().map_err(|e| BackupError::BadManifest {
            id: manifest.device_key.clone(),
            reason: e.to_string(),
        })?;
        write_synced(&tmp.path().join(manifest::FILE), text.as_bytes())?;
        sync_dir(tmp.path())?;
        let staged = tmp.keep();
        let mut when = at;
        for _ in 0..60 {
            let ts = timestamp(when);
            let dest = dir.join(&ts);
            match rustix::fs::renameat_with(
                rustix::fs::CWD,
                &staged,
                rustix::fs::CWD,
                &dest,
                rustix::fs::RenameFlags::NOREPLACE,
            ) {
                Ok(()) => {
                    sync_dir(&dir)?;
                    return Ok(Backup {
                        id: format!("{}/{ts}", manifest.device_key),
                        path: dest,
                        manifest,
                    });
                }
                Err(rustix::io::Errno::EXIST) | Err(rustix::io::Errno::NOTEMPTY) => {
                    when += std::time::Duration::from_secs(1);
                }
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&staged);
                    return Err(HostError::io("save", &dest, e.into()).into());
                }
            }
        }
        let _ = std::fs::remove_dir_all(&staged);
        Err(HostError::io(
            "save",
            &dir,
            std::io::Error::new(std::io::ErrorKind::AlreadyExists, "no free backup name"),
        )
        .into())
    }
}

/// A file of a backup being written ([`BackupWriter::stream`]): buffered, hashed and
/// counted as the bytes arrive.
#[derive(Debug)]
pub struct FileSink {
    file: String,
    out: std::io::BufWriter<std::fs::File>,
    sha: Sha256,
    bytes: u64,
    path: PathBuf,
}

impl FileSink {
    /// Flushes to disk; the name, length and SHA-256.
    fn close(self) -> Result<(String, u64, String), HostError> {
        let FileSink {
            file,
            out,
            sha,
            bytes,
            path,
        } = self;
        let f = out
            .into_inner()
            .map_err(|e| HostError::io("write", &path, e.into_error()))?;
        f.sync_all().map_err(|e| HostError::io("write", &path, e))?;
        Ok((file, bytes, hex::encode(sha.finalize())))
    }
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    let mut f = std::fs::File::create_new(path).map_err(|e| HostError::io("create", path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| HostError::io("write", path, e))
}

fn sync_dir(dir: &Path) -> Result<(), HostError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| HostError::io("flush the folder", dir, e))
}

#[cfg(test)]
pub(crate) mod tests;
