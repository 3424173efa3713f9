//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::path::PathBuf;

pub mod rom;

/// The real MT6572 samples in `../shared/realdata/`, or `None` (with a message on stderr saying
/// the test is skipped) when that folder is absent, as on a fresh clone.
pub fn realdata(test: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping {test}: ../shared/realdata is absent (real samples are not shipped)");
        None
    }
}
