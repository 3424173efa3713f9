//! The workshop's ROM library: finding packages, the index cache, and listing.
//!
//! [`scan`] inspects each package (see `firmware::rom`) and keeps the result in an index in the
//! cache folder, keyed by path and by the size and modification time of every file, so a
//! rescan only reads what changed. [`list`] turns the index into rows without touching the
//! packages. Progress is reported through a callback ([`ScanEvent`]); this module never draws
//! and never imports `tui` or `cli`.

pub mod discover;
pub mod index;
mod list;
pub mod matching;
mod scan;

use std::path::{Path, PathBuf};

pub use list::{LibraryRow, list, vanished};
pub use scan::{SAVE_EVERY, ScanEvent, ScanSummary, scan};

use crate::{error::Advice, firmware::facts::RomFacts, places::Places};

/// The index as the library stores it: the same [`RomFacts`] `rom inspect` reports, without
/// the decoded image headers.
pub type LibraryIndex = index::Index<RomFacts>;

/// File name of the index inside the cache folder.
pub const INDEX_FILE: &str = "library-index.json";

/// Where the index lives.
pub fn index_path(places: &Places) -> PathBuf {
    places.cache.join(INDEX_FILE)
}

/// Why the library cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// The library folder does not exist.
    #[error("the ROM library folder {root} does not exist")]
    Missing {
        /// The folder looked for.
        root: PathBuf,
    },
    /// The library path is a file, not a folder.
    #[error("the ROM library {root} is a file, not a folder")]
    NotAFolder {
        /// The path given.
        root: PathBuf,
    },
}

impl Advice for LibraryError {
    fn help(&self) -> String {
        let root = match self {
            LibraryError::Missing { root } | LibraryError::NotAFolder { root } => root,
        };
        format!(
            "create it (mkdir -p {}) and put ROM folders or .zip files in it, or point \
             mtkbench at the folder that holds your ROMs with --library DIR or \
             MTKBENCH_LIBRARY=DIR",
            root.display()
        )
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

/// Checks that `dir` is a folder and returns its absolute, canonical form: the root under
/// which [`scan`] keys its entries and [`list`] looks for them.
pub fn open_root(dir: &Path) -> Result<PathBuf, LibraryError> {
    if !dir.exists() {
        return Err(LibraryError::Missing { root: dir.into() });
    }
    if !dir.is_dir() {
        return Err(LibraryError::NotAFolder { root: dir.into() });
    }
    dir.canonicalize()
        .map_err(|_| LibraryError::Missing { root: dir.into() })
}

/// `path` relative to `root`, `.` for the root itself.
pub(crate) fn relative(root: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix(root) {
        Ok(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rel) => rel.to_path_buf(),
        Err(_) => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_file_library_is_bad_input_with_a_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("roms");
        let err = open_root(&missing).unwrap_err();
        assert!(err.is_bad_input());
        assert!(err.to_string().contains("does not exist"), "{err}");
        assert!(err.help().contains("--library"), "{}", err.help());
        assert!(err.help().contains("mkdir -p"), "{}", err.help());

        let file = dir.path().join("roms.txt");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            open_root(&file),
            Err(LibraryError::NotAFolder { .. })
        ));
        assert_eq!(
            open_root(dir.path()).unwrap(),
            dir.path().canonicalize().unwrap()
        );
    }
}
