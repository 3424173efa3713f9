//! The library index: what was learned about each package, and the fingerprint it was
//! learned from.
//!
//! Stored as one JSON file in the cache folder, written atomically; a missing, unreadable or
//! older-version index is treated as empty (it is a cache: everything in it can be rebuilt).
//! Generic over the per-package report so it knows nothing of ROM formats.

use std::{collections::BTreeMap, path::Path, path::PathBuf};

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::discover::{FileStamp, PackageKind};
use crate::{error::HostError, fsutil};

/// Bumped whenever the stored shape changes; an index of another version is rebuilt.
pub const INDEX_VERSION: u32 = 3;

/// What the index holds about one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry<R> {
    /// Folder or zip.
    pub kind: PackageKind,
    /// The files the facts were read from.
    pub fingerprint: Vec<FileStamp>,
    /// The inspection report, or why the package could not be inspected.
    pub outcome: Outcome<R>,
}

/// The result of inspecting a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome<R> {
    /// Inspected; the report may still list problems.
    Ok(R),
    /// Not readable as a ROM package at all (no scatter in a zip, a broken archive, ...).
    Failed(String),
}

/// All packages known, by absolute path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "R: DeserializeOwned"))]
pub struct Index<R> {
    /// [`INDEX_VERSION`] of the writer.
    pub version: u32,
    /// Packages by path.
    pub packages: BTreeMap<PathBuf, Entry<R>>,
}

impl<R> Default for Index<R> {
    fn default() -> Self {
        Index {
            version: INDEX_VERSION,
            packages: BTreeMap::new(),
        }
    }
}

impl<R: Serialize + DeserializeOwned> Index<R> {
    /// Loads the index at `path`; anything unusable gives an empty index (and a log line).
    pub fn load(path: &Path) -> Index<R> {
        let Ok(bytes) = std::fs::read(path) else {
            return Index::default();
        };
        match serde_json::from_slice::<Index<R>>(&bytes) {
            Ok(index) if index.version == INDEX_VERSION => index,
            Ok(index) => {
                tracing::info!(
                    found = index.version,
                    "library index of another version; rebuilding"
                );
                Index::default()
            }
            Err(e) => {
                tracing::warn!(error = %e, path = %path.display(), "library index unreadable; rebuilding");
                Index::default()
            }
        }
    }

    /// Saves the index atomically.
    pub fn save(&self, path: &Path) -> Result<(), HostError> {
        let bytes = serde_json::to_vec(self)
            .map_err(|e| HostError::io("encode", path, std::io::Error::other(e)))?;
        fsutil::write_atomic(path, &bytes)
    }

    /// The entries whose package lies under `root`.
    pub fn under<'a>(
        &'a self,
        root: &'a Path,
    ) -> impl Iterator<Item = (&'a PathBuf, &'a Entry<R>)> {
        self.packages
            .iter()
            .filter(move |(p, _)| p.starts_with(root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_ignores_garbage_or_old_versions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("library-index.json");
        let mut index: Index<String> = Index::default();
        index.packages.insert(
            PathBuf::from("/lib/a"),
            Entry {
                kind: PackageKind::Folder,
                fingerprint: vec![FileStamp {
                    path: "x".into(),
                    size: 3,
                    mtime_ns: 7,
                }],
                outcome: Outcome::Ok("report".into()),
            },
        );
        index.save(&path).unwrap();
        assert_eq!(Index::<String>::load(&path), index);

        std::fs::write(&path, b"{not json").unwrap();
        assert!(Index::<String>::load(&path).packages.is_empty());
        std::fs::write(&path, br#"{"version":0,"packages":{}}"#).unwrap();
        assert_eq!(Index::<String>::load(&path).version, INDEX_VERSION);
    }
}
