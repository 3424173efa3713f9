//! `library scan`: bring the index up to date with the library folder.
//!
//! Discovery and fingerprints only list and stat files; a package is read (every image hashed,
//! through `firmware::rom::inspect_with`) only when it is new or its fingerprint changed.
//! Packages that vanished from under the root are dropped from the index; entries of other
//! roots are kept, so switching `--library` back and forth costs nothing.
//!
//! Saving: the index is written atomically once at the end, and also, while packages are being
//! read, after a package whenever [`SAVE_EVERY`] has passed since the last save. An interrupted
//! scan of a big library therefore loses at most that much work: the next scan reuses every
//! package saved so far. A scan that changed nothing does not write the index at all.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use serde::{Serialize, Serializer};

use super::{
    LibraryIndex,
    discover::{self, FileStamp, Located},
    index::{Entry, Outcome},
    open_root, relative,
};
use crate::firmware::rom;

/// The longest time between two saves of the index while packages are being read.
pub const SAVE_EVERY: Duration = Duration::from_secs(10);

/// What [`scan`] reports while it runs, through its `progress` callback.
///
/// Order, guaranteed: exactly one [`ScanEvent::Found`] first; then, for each package in path
/// order, one [`ScanEvent::Package`], followed (only when the package is read, i.e. not
/// `reused`) by zero or more [`ScanEvent::Bytes`]; last, exactly one [`ScanEvent::Finished`].
/// When the scan fails (the library vanished, the index cannot be saved) it returns the error
/// and `Finished` is not sent.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanEvent {
    /// The library was walked: this many packages are in it.
    Found {
        /// Packages found (folders with a scatter file, and zips).
        packages: usize,
    },
    /// The scan moves on to one package.
    Package {
        /// 1-based position among the packages.
        index: usize,
        /// Packages in all.
        total: usize,
        /// The package, relative to the library root (`.` for the root itself).
        path: PathBuf,
        /// True when its fingerprint is unchanged and the indexed facts are kept unread.
        reused: bool,
    },
    /// More image bytes were read and hashed (sent for every chunk of up to 1 MiB).
    Bytes {
        /// Image bytes read so far in this scan; only grows.
        done: u64,
        /// On-disk size of all the packages this scan reads: an estimate for the end of
        /// `done` (a zip's images count uncompressed, so `done` may pass it).
        total: u64,
    },
    /// The scan is complete and the index saved.
    Finished(ScanSummary),
}

/// What a scan did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanSummary {
    /// The library root (absolute).
    #[serde(serialize_with = "crate::fsutil::lossy")]
    pub root: PathBuf,
    /// Packages in the library now.
    pub packages: usize,
    /// Packages read this time (new or changed).
    pub inspected: usize,
    /// Packages whose indexed facts were kept without reading them.
    pub reused: usize,
    /// Index entries dropped because their package is gone.
    pub removed: usize,
    /// Packages (read now or before) that could not be inspected.
    pub failed: usize,
    /// Image bytes read and hashed.
    pub bytes_hashed: u64,
    /// Time the scan took (whole seconds in JSON).
    #[serde(rename = "seconds", serialize_with = "whole_seconds")]
    pub elapsed: Duration,
}

fn whole_seconds<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs_f64().round() as u64)
}

/// One package found, with its fingerprint (or why it could not be taken) and whether the
/// index already knows it as it is.
struct Planned {
    pkg: Located,
    stamps: Result<Vec<FileStamp>, String>,
    reused: bool,
}

/// Brings the index at `index_path` up to date with the library folder `root` and returns
/// what was done. A package that cannot be inspected is stored as [`Outcome::Failed`] and
/// counted; it never stops the scan. Errors only when the library folder is unusable or the
/// index cannot be saved.
pub fn scan(
    root: &Path,
    index_path: &Path,
    progress: &mut dyn FnMut(ScanEvent),
) -> crate::Result<ScanSummary> {
    scan_saving(root, index_path, SAVE_EVERY, progress)
}

/// [`scan`], saving the index after a package read whenever `save_every` has passed.
fn scan_saving(
    root: &Path,
    index_path: &Path,
    save_every: Duration,
    progress: &mut dyn FnMut(ScanEvent),
) -> crate::Result<ScanSummary> {
    let started = Instant::now();
    let root = open_root(root)?;
    let found = discover::find_packages(&root)?;
    progress(ScanEvent::Found {
        packages: found.len(),
    });

    let mut index = LibraryIndex::load(index_path);
    let removed = {
        let on_disk: BTreeSet<&Path> = found.iter().map(|l| l.path.as_path()).collect();
        let before = index.packages.len();
        index
            .packages
            .retain(|path, _| !path.starts_with(&root) || on_disk.contains(path.as_path()));
        before - index.packages.len()
    };

    let plan: Vec<Planned> = found
        .into_iter()
        .map(|pkg| {
            let stamps = discover::fingerprint(&pkg).map_err(|e| e.to_string());
            let reused = match (&stamps, index.packages.get(&pkg.path)) {
                (Ok(stamps), Some(entry)) => entry.kind == pkg.kind && entry.fingerprint == *stamps,
                _ => false,
            };
            Planned {
                pkg,
                stamps,
                reused,
            }
        })
        .collect();
    let bytes_total: u64 = plan
        .iter()
        .filter(|p| !p.reused)
        .flat_map(|p| p.stamps.iter().flatten())
        .map(|s| s.size)
        .sum();

    let mut summary = ScanSummary {
        root: root.clone(),
        packages: plan.len(),
        inspected: 0,
        reused: 0,
        removed,
        failed: 0,
        bytes_hashed: 0,
        elapsed: Duration::ZERO,
    };
    let total = plan.len();
    let mut last_save = Instant::now();
    for (i, planned) in plan.into_iter().enumerate() {
        let Planned {
            pkg,
            stamps,
            reused,
        } = planned;
        progress(ScanEvent::Package {
            index: i + 1,
            total,
            path: relative(&root, &pkg.path),
            reused,
        });
        if reused {
            summary.reused += 1;
            if let Some(Entry {
                outcome: Outcome::Failed(_),
                ..
            }) = index.packages.get(&pkg.path)
            {
                summary.failed += 1;
            }
            continue;
        }
        summary.inspected += 1;
        let (fingerprint, outcome) = match stamps {
            Err(reason) => (Vec::new(), Outcome::Failed(reason)),
            Ok(stamps) => {
                let done = &mut summary.bytes_hashed;
                let mut on_bytes = |n: u64| {
                    *done += n;
                    progress(ScanEvent::Bytes {
                        done: *done,
                        total: bytes_total,
                    });
                };
                let outcome = match rom::inspect_with(&pkg.path, &mut on_bytes) {
                    Ok(report) => Outcome::Ok(report.facts.without_details()),
                    Err(e) => Outcome::Failed(e.to_string()),
                };
                (stamps, outcome)
            }
        };
        if let Outcome::Failed(reason) = &outcome {
            tracing::info!(package = %pkg.path.display(), %reason, "library package not inspectable");
            summary.failed += 1;
        }
        index.packages.insert(
            pkg.path,
            Entry {
                kind: pkg.kind,
                fingerprint,
                outcome,
            },
        );
        if last_save.elapsed() >= save_every {
            index.save(index_path)?;
            last_save = Instant::now();
        }
    }
    if summary.inspected > 0 || summary.removed > 0 {
        index.save(index_path)?;
    }
    summary.elapsed = started.elapsed();
    tracing::info!(?summary, "library scan done");
    progress(ScanEvent::Finished(summary.clone()));
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::*;

    #[test]
    fn an_interrupted_scan_keeps_the_packages_saved_before_it_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("library");
        std::fs::create_dir_all(&root).unwrap();
        for name in ["a.zip", "b.zip", "c.zip"] {
            std::fs::write(root.join(name), b"not a zip").unwrap();
        }
        let index_path = dir.path().join("index.json");

        // Stop (as Ctrl-C would) when the third package starts.
        let stopped = catch_unwind(AssertUnwindSafe(|| {
            scan_saving(&root, &index_path, Duration::ZERO, &mut |e| {
                if let ScanEvent::Package { index: 3, .. } = e {
                    panic!("interrupted");
                }
            })
        }));
        assert!(stopped.is_err());
        assert_eq!(LibraryIndex::load(&index_path).packages.len(), 2);

        let summary = scan(&root, &index_path, &mut |_| {}).unwrap();
        assert_eq!(
            (summary.reused, summary.inspected, summary.failed),
            (2, 1, 3)
        );
    }
}
