//! Flashing a ROM in one of SP Flash Tool's modes: first a pure [`plan`] from what is known of
//! the phone and the ROM ([`facts`]), shown in full and confirmed, then carried out.
//!
//! This module never draws and never imports `cli` or `tui`: the plan is a value both faces
//! render.

use std::path::Path;

pub mod advice;
pub mod execute;
pub mod facts;
pub mod plan;
mod plan_error;
pub mod record;
mod steps;

pub use advice::Remedy;
pub use facts::{BackedUp, BackupFacts, DeviceFacts, Difference, RomImage, RomPartition, RomView};
pub use plan::{
    Action, Identity, Mode, Overrides, Plan, PlanError, Planning, Request, Source, Step, build,
};

use crate::firmware::{
    facts::RomFacts,
    rom::{self, OpenRom, Problem, Severity},
};

/// A ROM package read for flashing.
pub struct LoadedRom {
    /// What the planner needs.
    pub view: RomView,
    /// What `rom inspect` found (for the board check).
    pub facts: RomFacts,
    /// The errors among [`RomFacts::problems`] (a damaged image, a Checksum.ini mismatch, a
    /// name that escapes the package), which the plan shows beside its own warnings.
    pub errors: Vec<Problem>,
    /// The package, to stream its images.
    pub package: OpenRom,
}

/// Reads a ROM package (folder, zip or scatter file) for flashing.
pub fn load_rom(path: &Path) -> crate::Result<LoadedRom> {
    let report = rom::inspect(path)?;
    let package = OpenRom::open(path)?;
    let view = RomView::new(package.scatter(), &report);
    let errors = report
        .facts
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .cloned()
        .collect();
    Ok(LoadedRom {
        view,
        facts: report.facts,
        errors,
        package,
    })
}
