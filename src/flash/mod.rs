//! Flashing a ROM in one of SP Flash Tool's modes: first a pure [`plan`] from what is known of
//! the phone and the ROM ([`facts`]), shown in full and confirmed, then carried out.
//!
//! This module never draws and never imports `cli` or `tui`: the plan is a value both faces
//! render.

pub mod facts;
pub mod plan;

pub use facts::{BackedUp, BackupFacts, DeviceFacts, Difference, RomFacts, RomImage, RomPartition};
pub use plan::{Action, Mode, Overrides, Plan, PlanError, Request, Source, Step, build};
