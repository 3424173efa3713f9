//! `library list`: one row per indexed package, from the index alone.
//!
//! [`list`] is pure over the index; [`vanished`] only asks whether each listed path still
//! exists. Neither opens a package: for fresh facts, scan again.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{
    LibraryIndex,
    discover::PackageKind,
    index::{Entry, Outcome},
    relative,
};
use crate::firmware::facts::RomFacts;

/// What `library list` shows about one package: where it is, and its indexed [`RomFacts`]
/// (the very facts `rom inspect` reports) or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibraryRow {
    /// The package, relative to the library root.
    #[serde(serialize_with = "crate::fsutil::lossy")]
    pub path: PathBuf,
    /// Folder or zip.
    pub kind: PackageKind,
    /// What was learnt about it, when it could be read.
    pub facts: Option<RomFacts>,
    /// Why the package could not be inspected (then `facts` is `None`).
    pub failure: Option<String>,
}

impl LibraryRow {
    fn new(path: PathBuf, entry: &Entry<RomFacts>) -> LibraryRow {
        let (facts, failure) = match &entry.outcome {
            Outcome::Ok(f) => (Some(f.clone()), None),
            Outcome::Failed(reason) => (None, Some(reason.clone())),
        };
        LibraryRow {
            path,
            kind: entry.kind,
            facts,
            failure,
        }
    }
}

/// The indexed packages under `root` (as [`super::open_root`] returns it), in path order.
pub fn list(index: &LibraryIndex, root: &Path) -> Vec<LibraryRow> {
    index
        .under(root)
        .map(|(path, entry)| LibraryRow::new(relative(root, path), entry))
        .collect()
}

/// The rows whose package is no longer on disk: the index is stale and wants a scan.
pub fn vanished(root: &Path, rows: &[LibraryRow]) -> Vec<PathBuf> {
    rows.iter()
        .filter(|r| !root.join(&r.path).exists())
        .map(|r| r.path.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        firmware::{
            rom::{ImageReport, LcmReport, Problem, Severity},
            scatter::Storage,
        },
        library::discover::FileStamp,
    };

    fn image(present: bool, size: u64) -> ImageReport {
        ImageReport {
            present,
            size: present.then_some(size),
            ..ImageReport::unread("ANDROID", "system.img", true)
        }
    }

    fn entry(outcome: Outcome<RomFacts>) -> Entry<RomFacts> {
        Entry {
            kind: PackageKind::Folder,
            fingerprint: vec![FileStamp {
                path: "x".into(),
                size: 1,
                mtime_ns: 1,
            }],
            outcome,
        }
    }

    #[test]
    fn rows_count_images_problems_and_keep_only_this_root() {
        let facts = RomFacts {
            scatter: "MT6572_Android_scatter.txt".into(),
            platform: Some("MT6572".into()),
            project: Some("a516".into()),
            storage: Storage::Emmc,
            boot_region_size: Some(0x60_0000),
            layout: vec![],
            images: vec![image(true, 100), image(false, 0), image(true, 23)],
            lcm: LcmReport {
                lk: vec!["hx8379a_fwvga_dsi_vdo".into()],
                kernel: vec![],
                kernel_compression: None,
            },
            preloader: None,
            checksum_ini: None,
            problems: vec![
                Problem {
                    severity: Severity::Error,
                    partition: None,
                    message: "e".into(),
                },
                Problem {
                    severity: Severity::Warning,
                    partition: None,
                    message: "w".into(),
                },
                Problem {
                    severity: Severity::Warning,
                    partition: None,
                    message: "w".into(),
                },
            ],
        };
        let mut index = LibraryIndex::default();
        index
            .packages
            .insert("/lib/a516/S118".into(), entry(Outcome::Ok(facts)));
        index.packages.insert(
            "/lib/bad.zip".into(),
            entry(Outcome::Failed("broken".into())),
        );
        index.packages.insert(
            "/other/x".into(),
            entry(Outcome::Failed("elsewhere".into())),
        );
        let rows = list(&index, Path::new("/lib"));
        assert_eq!(rows.len(), 2);
        let a = &rows[0];
        assert_eq!(a.path, PathBuf::from("a516/S118"));
        let f = a.facts.as_ref().unwrap();
        assert_eq!((f.images_present(), f.images.len()), (2, 3));
        assert_eq!(f.image_bytes(), 123);
        assert_eq!(
            (f.count(Severity::Error), f.count(Severity::Warning)),
            (1, 2)
        );
        assert_eq!(f.lcm.lk, ["hx8379a_fwvga_dsi_vdo"]);
        assert_eq!(a.failure, None);
        assert_eq!(rows[1].path, PathBuf::from("bad.zip"));
        assert_eq!(rows[1].failure.as_deref(), Some("broken"));
        assert_eq!(rows[1].facts, None);

        let gone = vanished(Path::new("/nonexistent-lib"), &rows);
        assert_eq!(gone.len(), 2);
    }
}
