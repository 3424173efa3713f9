//! Flashing a ROM in one of SP Flash Tool's modes: first a pure [`plan`] from what is known of
//! the phone and the ROM ([`facts`]), shown in full and confirmed, then carried out.
//!
//! This module never draws and never imports `cli` or `tui`: the plan is a value both faces
//! render.

use std::path::Path;

pub mod execute;
pub mod facts;
pub mod plan;
pub mod record;

pub use facts::{BackedUp, BackupFacts, DeviceFacts, Difference, RomImage, RomPartition, RomView};
pub use plan::{Action, Mode, Overrides, Plan, PlanError, Request, Source, Step, build};

use crate::firmware::rom::{self, OpenRom, Problem, Severity};

/// Reads a ROM package (folder, zip or scatter file) into what the planner needs, with the
/// errors `rom inspect` found in it (a damaged image, a Checksum.ini mismatch, a name that
/// escapes the package), which the plan shows beside its own warnings.
pub fn read_rom(path: &Path) -> crate::Result<(RomView, Vec<Problem>)> {
    let report = rom::inspect(path)?;
    let opened = OpenRom::open(path)?;
    let facts = RomView::new(opened.scatter(), &report);
    let errors = report
        .facts
        .problems
        .into_iter()
        .filter(|p| p.severity == Severity::Error)
        .collect();
    Ok((facts, errors))
}
