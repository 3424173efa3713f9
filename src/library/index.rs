//! The library index: what was learned about each package, and the fingerprint it was
//! learned from.
//!
//! Stored as one JSON file in the cache folder, written atomically; a missing, unreadable or
//! older-version index is treated as empty (it is a cache: everything in it can be rebuilt).
//! Generic over the per-package report so it knows nothing of ROM formats.

use std::{collections::BTreeMap, path::Path, path::PathBuf};

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::discover::{FileStamp, PackageKind};
use crate::{
    error::HostError,
    fsutil::{self, StoredPath},
};

/// Bumped whenever the stored shape changes; an index of another version is rebuilt.
pub const INDEX_VERSION: u32 = 4;

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
#[serde(bound(serialize = "R: Serialize", deserialize = "R: DeserializeOwned"))]
pub struct Index<R> {
    /// [`INDEX_VERSION`] of the writer.
    pub version: u32,
    /// Packages by path (stored as a list of [`StoredPath`] and entry, so that a path that is
    /// not UTF-8 is kept byte for byte).
    #[serde(
        serialize_with = "save_packages",
        deserialize_with = "load_packages",
        bound(serialize = "R: Serialize", deserialize = "R: DeserializeOwned")
    )]
    pub packages: BTreeMap<PathBuf, Entry<R>>,
}

fn save_packages<R: Serialize, S: serde::Serializer>(
    packages: &BTreeMap<PathBuf, Entry<R>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(
        packages
            .iter()
            .map(|(path, entry)| (StoredPath::from(path.as_path()), entry)),
    )
}

fn load_packages<'de, R: DeserializeOwned, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<PathBuf, Entry<R>>, D::Error> {
    let list: Vec<(StoredPath, Entry<R>)> = Deserialize::deserialize(d)?;
    Ok(list
        .into_iter()
        .filter_map(|(path, entry)| Some((path.to_path()?, entry)))
        .collect())
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
