//! Finding ROM packages in a library folder, and fingerprinting them for the index.
//!
//! A package is a folder that directly holds a scatter file (`*scatter*.txt`), or a `.zip`
//! file. Packages may sit at any depth; a package's own subfolders are part of it and are not
//! searched for further packages. Hidden folders (`.name`) are skipped. This module only lists
//! and stats files: it never reads their content.

use std::{
    path::{Path, PathBuf},
    time::UNIX_EPOCH,
};

use serde::{Deserialize, Serialize};

use crate::error::HostError;

/// How a package is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    /// An unpacked folder with a scatter file.
    Folder,
    /// A `.zip` archive, read without unpacking.
    Zip,
}

impl PackageKind {
    /// `folder` or `zip`, as the JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Folder => "folder",
            PackageKind::Zip => "zip",
        }
    }
}

/// A package found in the library.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// Absolute path of the folder or zip.
    pub path: PathBuf,
    /// Folder or zip.
    pub kind: PackageKind,
}

/// One file's identity for change detection: path inside the package, size, modification time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// Path relative to the package (empty for a zip, which is one file).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 when the platform has none).
    pub mtime_ns: u128,
}

/// True when `name` looks like an SP Flash Tool scatter file.
pub fn is_scatter_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("scatter") && lower.ends_with(".txt")
}

fn is_zip_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".zip")
}

fn holds_scatter(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.file_type().is_ok_and(|t| t.is_file())
                && is_scatter_name(&e.file_name().to_string_lossy())
        })
    })
}

/// Lists the packages under `root`, in path order.
pub fn find_packages(root: &Path) -> Result<Vec<Located>, HostError> {
    if !root.is_dir() {
        return Err(HostError::io(
            "open the ROM library",
            root,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"),
        ));
    }
    let mut found = Vec::new();
    let mut walk = walkdir::WalkDir::new(root).sort_by_file_name().into_iter();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "library walk skipped an entry");
                continue;
            }
        };
        let name = entry.file_name().to_string_lossy();
        let hidden = entry.depth() > 0 && name.starts_with('.');
        if entry.file_type().is_dir() {
            if hidden {
                walk.skip_current_dir();
            } else if holds_scatter(entry.path()) {
                found.push(Located {
                    path: entry.path().to_path_buf(),
                    kind: PackageKind::Folder,
                });
                walk.skip_current_dir();
            }
        } else if entry.file_type().is_file() && !hidden && is_zip_name(&name) {
            found.push(Located {
                path: entry.path().to_path_buf(),
                kind: PackageKind::Zip,
            });
        }
    }
    Ok(found)
}

fn stamp(path: &Path, rel: String) -> Result<FileStamp, HostError> {
    let meta = std::fs::metadata(path).map_err(|e| HostError::io("read the size of", path, e))?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    Ok(FileStamp {
        path: rel,
        size: meta.len(),
        mtime_ns,
    })
}

/// The stamps of every file in a package, sorted by path. Two equal fingerprints mean the
/// package's files have not changed since they were last read.
pub fn fingerprint(pkg: &Located) -> Result<Vec<FileStamp>, HostError> {
    match pkg.kind {
        PackageKind::Zip => Ok(vec![stamp(&pkg.path, String::new())?]),
        PackageKind::Folder => {
            let mut stamps = Vec::new();
            for entry in walkdir::WalkDir::new(&pkg.path).sort_by_file_name() {
                let entry = entry.map_err(|e| {
                    let path = e.path().unwrap_or(&pkg.path).to_path_buf();
                    HostError::io("list", path, std::io::Error::other(e.to_string()))
                })?;
                if entry.file_type().is_file() {
                    let rel = entry
                        .path()
                        .strip_prefix(&pkg.path)
                        .unwrap_or(entry.path())
                        .to_string_lossy()
                        .into_owned();
                    stamps.push(stamp(entry.path(), rel)?);
                }
            }
            Ok(stamps)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path, bytes: &[u8]) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }

    #[test]
    fn finds_folders_and_zips_at_any_depth_but_not_inside_a_package() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(&r.join("a516/S118/MT6572_Android_scatter.txt"), b"x");
        touch(&r.join("a516/S118/extra/inner_scatter.txt"), b"x");
        touch(&r.join("zips/fly.ZIP"), b"x");
        touch(&r.join("notes/readme.txt"), b"x");
        touch(&r.join(".trash/old_scatter.txt"), b"x");
        let found = find_packages(r).unwrap();
        let rel: Vec<_> = found
            .iter()
            .map(|l| (l.path.strip_prefix(r).unwrap().to_path_buf(), l.kind))
            .collect();
        assert_eq!(
            rel,
            vec![
                (PathBuf::from("a516/S118"), PackageKind::Folder),
                (PathBuf::from("zips/fly.ZIP"), PackageKind::Zip),
            ]
        );
    }

    #[test]
    fn fingerprint_changes_when_a_file_changes_size() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = Located {
            path: dir.path().to_path_buf(),
            kind: PackageKind::Folder,
        };
        touch(&dir.path().join("x_scatter.txt"), b"x");
        touch(&dir.path().join("sub/lk.bin"), b"abc");
        let before = fingerprint(&pkg).unwrap();
        assert_eq!(before.len(), 2);
        assert_eq!(before[1].path, "x_scatter.txt");
        touch(&dir.path().join("sub/lk.bin"), b"abcd");
        assert_ne!(before, fingerprint(&pkg).unwrap());
    }

    #[test]
    fn missing_library_says_where() {
        let err = find_packages(Path::new("/nonexistent/library")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/library"), "{err}");
    }
}
