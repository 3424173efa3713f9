//! Small file-system helpers shared by every layer that writes files the technician relies on.
//!
//! The one rule here: a file is either complete or absent. Writes go to a temporary file in the
//! same folder, are flushed to disk, then renamed into place. Nothing in this module knows what
//! the bytes mean.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use crate::error::HostError;

/// Writes `bytes` to `path` atomically (temp file, fsync, rename), replacing any old file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    let tmp = temp_beside(path)?;
    finish(tmp, path, bytes, true)
}

/// Writes `bytes` to `path` atomically, refusing to replace an existing file.
pub fn write_new_atomic(path: &Path, bytes: &[u8]) -> Result<(), HostError> {
    let tmp = temp_beside(path)?;
    finish(tmp, path, bytes, false)
}

/// The first free name in `dir` for a file that must not replace another: `<stem>.<ext>`,
/// else `<stem>-2.<ext>`, `<stem>-3.<ext>`, and on; `taken` says whether a name is in use.
pub fn free_name(dir: &Path, stem: &str, ext: &str, taken: impl Fn(&Path) -> bool) -> PathBuf {
    let first = dir.join(format!("{stem}.{ext}"));
    if !taken(&first) {
        return first;
    }
    (2u32..)
        .map(|n| dir.join(format!("{stem}-{n}.{ext}")))
        .find(|p| !taken(p))
        .unwrap_or(first)
}

fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile, HostError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| HostError::io("create folder", dir, e))?;
    tempfile::Builder::new()
        .prefix(".mtkbench-tmp-")
        .tempfile_in(dir)
        .map_err(|e| HostError::io("create a temporary file in", dir, e))
}

fn finish(
    mut tmp: tempfile::NamedTempFile,
    path: &Path,
    bytes: &[u8],
    replace: bool,
) -> Result<(), HostError> {
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| HostError::io("write", tmp.path().to_path_buf(), e))?;
    let persisted = if replace {
        tmp.persist(path).map(drop)
    } else {
        tmp.persist_noclobber(path).map(drop)
    };
    // On failure the temporary file is removed when the error drops it.
    persisted.map_err(|e| HostError::io("save", path, e.error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temp_behind() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("index.json");
        write_atomic(&p, b"first version, long").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn free_names_count_up_past_taken_ones() {
        let dir = Path::new("/caps");
        let taken = ["/caps/a.bin", "/caps/a-2.bin"];
        let name = free_name(dir, "a", "bin", |p| taken.iter().any(|t| p == Path::new(t)));
        assert_eq!(name, Path::new("/caps/a-3.bin"));
        assert_eq!(
            free_name(dir, "b", "log", |_| false),
            Path::new("/caps/b.log")
        );
    }

    #[test]
    fn new_file_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("manifest.json");
        write_new_atomic(&p, b"original").unwrap();
        let err = write_new_atomic(&p, b"other").unwrap_err();
        assert!(err.to_string().contains("manifest.json"), "{err}");
        assert_eq!(std::fs::read(&p).unwrap(), b"original");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

/// Paths in reports: printed (and written to JSON) lossily, since a path whose name is not
/// UTF-8 (an archive unpacked from a machine with another code page) must still be shown.
/// Use with `#[serde(serialize_with = "fsutil::lossy")]`.
pub fn lossy<S: serde::Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

/// [`lossy`] for a list of paths.
pub fn lossy_all<S: serde::Serializer>(paths: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(paths.iter().map(|p| p.to_string_lossy()))
}

/// A path as it is stored in a file mtkbench reads back (the library index): its text when
/// it is UTF-8, else its bytes, so that no path is lost or changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum StoredPath {
    /// A UTF-8 path.
    Text(String),
    /// Any other path, byte for byte (Unix).
    Bytes {
        /// The path's bytes.
        bytes: Vec<u8>,
    },
}

impl From<&Path> for StoredPath {
    fn from(path: &Path) -> StoredPath {
        match path.to_str() {
            Some(text) => StoredPath::Text(text.to_owned()),
            None => StoredPath::Bytes {
                bytes: path.as_os_str().as_encoded_bytes().to_vec(),
            },
        }
    }
}

impl StoredPath {
    /// The path again; `None` for bytes this platform cannot take as a path.
    pub fn to_path(&self) -> Option<PathBuf> {
        match self {
            StoredPath::Text(text) => Some(PathBuf::from(text)),
            #[cfg(unix)]
            StoredPath::Bytes { bytes } => {
                use std::os::unix::ffi::OsStrExt;
                Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
            }
            #[cfg(not(unix))]
            StoredPath::Bytes { .. } => None,
        }
    }
}
