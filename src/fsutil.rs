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

/// Writes a new folder `dir` holding `files` (plain names, no folders) atomically: every file
/// goes into a temporary folder beside `dir` and is flushed to disk, then the folder is renamed
/// into place. An existing `dir` that holds anything is never touched (an empty one is
/// replaced). On any failure nothing is left at `dir`.
pub fn write_new_folder(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), HostError> {
    if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(HostError::io(
            "write into",
            dir,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "the folder exists and is not empty; nothing in it was changed",
            ),
        ));
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(|e| HostError::io("create folder", parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".mtkbench-tmp-")
        .tempdir_in(parent)
        .map_err(|e| HostError::io("create a temporary folder in", parent, e))?;
    for (name, bytes) in files {
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(HostError::Usage(format!(
                "{name:?} is not a plain file name; refusing to write it"
            )));
        }
        let path = tmp.path().join(name);
        let mut f = std::fs::File::create(&path).map_err(|e| HostError::io("create", &path, e))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| HostError::io("write", &path, e))?;
    }
    std::fs::File::open(tmp.path())
        .and_then(|d| d.sync_all())
        .map_err(|e| HostError::io("flush", tmp.path(), e))?;
    let staged = tmp.keep();
    std::fs::rename(&staged, dir).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        HostError::io("save", dir, e)
    })?;
    std::fs::File::open(parent)
        .and_then(|d| d.sync_all())
        .map_err(|e| HostError::io("flush", parent, e))
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
    fn a_new_folder_appears_whole_and_never_over_a_full_one() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("pkg");
        let files = vec![("a.bin".to_string(), vec![1u8; 10]), ("b".into(), vec![])];
        write_new_folder(&out, &files).unwrap();
        assert_eq!(std::fs::read(out.join("a.bin")).unwrap(), [1u8; 10]);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let err = write_new_folder(&out, &[("c".into(), vec![2])]).unwrap_err();
        assert!(err.to_string().contains("not empty"), "{err}");
        assert!(!out.join("c").exists());
        let bad = write_new_folder(&dir.path().join("q"), &[("../x".into(), vec![])]);
        assert!(bad.is_err());
        assert!(!dir.path().join("q").exists() && !dir.path().join("x").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
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
