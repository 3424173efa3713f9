//! `library list`: one row per indexed package, from the index alone.
//!
//! [`list`] is pure over the index; [`vanished`] only asks whether each listed path still
//! exists. Neither opens a package: for fresh facts, scan again.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{
    LibraryIndex,
    discover::PackageKind,
    facts::PackageFacts,
    index::{Entry, Outcome},
    relative,
};
use crate::firmware::rom::Severity;

/// What `library list` shows about one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibraryRow {
    /// The package, relative to the library root.
    pub path: PathBuf,
    /// Folder or zip.
    pub kind: PackageKind,
    /// Project the scatter names.
    pub project: Option<String>,
    /// Platform the scatter names.
    pub platform: Option<String>,
    /// Storage type (`EMMC` or `NAND`).
    pub storage: Option<String>,
    /// Images the scatter names that are in the package.
    pub images_present: usize,
    /// Images the scatter names.
    pub images_total: usize,
    /// Total size of the images present.
    pub image_bytes: u64,
    /// Problems of severity error (`rom inspect` lists them).
    pub errors: usize,
    /// Problems of severity warning.
    pub warnings: usize,
    /// Panel driver names compiled into LK.
    pub lcm_lk: Vec<String>,
    /// Panel driver names compiled into the kernel.
    pub lcm_kernel: Vec<String>,
    /// The project the preloader was built for.
    pub preloader_project: Option<String>,
    /// Why the package could not be inspected (then every fact above is empty).
    pub failure: Option<String>,
}

impl LibraryRow {
    fn new(path: PathBuf, entry: &Entry<PackageFacts>) -> LibraryRow {
        let mut row = LibraryRow {
            path,
            kind: entry.kind,
            project: None,
            platform: None,
            storage: None,
            images_present: 0,
            images_total: 0,
            image_bytes: 0,
            errors: 0,
            warnings: 0,
            lcm_lk: Vec::new(),
            lcm_kernel: Vec::new(),
            preloader_project: None,
            failure: None,
        };
        match &entry.outcome {
            Outcome::Failed(reason) => row.failure = Some(reason.clone()),
            Outcome::Ok(f) => {
                row.project = f.project.clone();
                row.platform = f.platform.clone();
                row.storage = Some(f.storage.clone());
                row.images_present = f.images.iter().filter(|i| i.present).count();
                row.images_total = f.images.len();
                row.image_bytes = f.image_bytes();
                row.errors = f.count(Severity::Error);
                row.warnings = f.count(Severity::Warning);
                row.lcm_lk = f.lcm.lk.clone();
                row.lcm_kernel = f.lcm.kernel.clone();
                row.preloader_project = f.preloader.as_ref().and_then(|p| p.project.clone());
            }
        }
        row
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
        firmware::rom::{ImageReport, LcmReport, Problem},
        library::discover::FileStamp,
    };

    fn image(present: bool, size: u64) -> ImageReport {
        ImageReport {
            partition: "ANDROID".into(),
            file: "system.img".into(),
            download: true,
            present,
            size: present.then_some(size),
            partition_size: None,
            sha256: None,
            fits: None,
            checksum16: None,
            checksum: None,
            kind: None,
            detail: None,
        }
    }

    fn entry(outcome: Outcome<PackageFacts>) -> Entry<PackageFacts> {
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
        let facts = PackageFacts {
            scatter: "MT6572_Android_scatter.txt".into(),
            platform: Some("MT6572".into()),
            project: Some("a516".into()),
            storage: "EMMC".into(),
            images: vec![image(true, 100), image(false, 0), image(true, 23)],
            layout: Vec::new(),
            lcm: LcmReport {
                lk: vec!["hx8379a_fwvga_dsi_vdo".into()],
                kernel: vec![],
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
        assert_eq!((a.images_present, a.images_total), (2, 3));
        assert_eq!(a.image_bytes, 123);
        assert_eq!((a.errors, a.warnings), (1, 2));
        assert_eq!(a.lcm_lk, ["hx8379a_fwvga_dsi_vdo"]);
        assert_eq!(a.failure, None);
        assert_eq!(rows[1].path, PathBuf::from("bad.zip"));
        assert_eq!(rows[1].failure.as_deref(), Some("broken"));
        assert_eq!(rows[1].images_total, 0);

        let gone = vanished(Path::new("/nonexistent-lib"), &rows);
        assert_eq!(gone.len(), 2);
    }
}
