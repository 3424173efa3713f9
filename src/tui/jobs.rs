//! The device side of the workstation's state: the job that runs ([`DeviceState`]), its
//! transfers ([`JobProgress`], rate and ETA from the events alone) and the guided repair's
//! plan and report ([`RepairState`]). Values only, changed by [`super::state::AppState::update`].

use std::time::Duration;

use crate::{
    device::{OpKind, PlannedStep, Stage},
    firmware::board::BoardFinding,
    flash::{Mode, Plan, execute::Flashed, record::JobRecord},
    repair::{RepairReport, RepairStep},
};

/// The device session, as the job layer reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum DeviceState {
    /// No job runs.
    #[default]
    Idle,
    /// A job waits for the port or talks to the phone before it is identified; the last
    /// stage.
    Armed(Option<Stage>),
    /// Connected: the job works on the phone.
    Busy,
    /// The last session failed: what happened and what to do.
    Failed(String, String),
}

/// One transfer as the job layer reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Read, write or erase.
    pub op: OpKind,
    /// The partition or region.
    pub name: String,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all.
    pub total: u64,
    /// Time since it started.
    pub elapsed: Duration,
}

/// Progress of the running job: its plan, what is done, what runs now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobProgress {
    /// Every transfer the work means to do.
    pub plan: Vec<PlannedStep>,
    /// Transfers that completed.
    pub finished: Vec<Transfer>,
    /// Transfers left out, and why.
    pub skipped: Vec<(String, String)>,
    /// The transfer running now.
    pub current: Option<Transfer>,
    /// The transfer being checked, if any.
    pub verifying: Option<String>,
}

impl JobProgress {
    /// Bytes of the whole plan.
    pub fn total(&self) -> u64 {
        self.plan.iter().map(|s| s.len).sum()
    }

    /// Bytes done over the plan so far.
    pub fn done(&self) -> u64 {
        self.finished.iter().map(|t| t.total).sum::<u64>()
            + self.current.as_ref().map_or(0, |t| t.done)
    }

    /// Decimal MB/s of the transfers so far (finished and current).
    pub fn rate(&self) -> f64 {
        let elapsed: Duration = self
            .finished
            .iter()
            .chain(self.current.as_ref())
            .map(|t| t.elapsed)
            .sum();
        crate::device::progress::mb_per_s(self.done(), elapsed)
    }

    /// Seconds left at the rate so far, when it can be told.
    pub fn eta_secs(&self) -> Option<u64> {
        let rate = self.rate();
        let left = self.total().saturating_sub(self.done());
        (rate > 0.0).then(|| (left as f64 / 1e6 / rate).round() as u64)
    }

    /// A write or erase is running: stopping now leaves the phone half-written.
    pub fn changing_phone(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|t| matches!(t.op, OpKind::Write | OpKind::Erase))
    }
}

/// The guided repair: the technician's mode, the plan to confirm, the report.
#[derive(Debug, Clone)]
pub struct RepairState {
    /// SP Flash Tool's mode, chosen on the Flash panel.
    pub mode: Mode,
    /// The ROM chosen on the ROM panel (absolute path).
    pub rom: Option<std::path::PathBuf>,
    /// The visit works on the technician's choice (checks the ROM, backs up, plans,
    /// flashes).
    pub running: bool,
    /// The visit waits, the phone connected, for the technician's ROM and mode.
    pub choosing: bool,
    /// The repair step running now (while `running`).
    pub phase: Option<RepairStep>,
    /// How the ROM compares with the phone's board (empty: fits as far as known).
    pub rom_findings: Vec<BoardFinding>,
    /// The plan, once the repair made it.
    pub plan: Option<Box<Plan>>,
    /// The plan waits for the technician's answer.
    pub awaiting_answer: bool,
    /// How the repair ended.
    pub report: Option<Box<RepairReport>>,
    /// Why the last repair failed, if it did.
    pub failed: Option<String>,
    /// First plan row shown.
    pub scroll: usize,
    /// What the repair's identity-backup step said.
    pub backup_note: Option<String>,
    /// An interrupted flash job of this phone, offered for resume.
    pub unfinished: Option<Box<JobRecord>>,
    /// An interrupted job to resume once the visit has ended.
    pub resume_next: Option<String>,
    /// A resumed job, once it completed.
    pub resumed: Option<Box<Flashed>>,
    /// Where the customer's job sheet of the report was written, once it was.
    pub sheet_file: Option<std::path::PathBuf>,
}

impl Default for RepairState {
    fn default() -> Self {
        RepairState {
            mode: Mode::DownloadOnly,
            rom: None,
            running: false,
            choosing: false,
            phase: None,
            rom_findings: Vec::new(),
            plan: None,
            awaiting_answer: false,
            report: None,
            failed: None,
            scroll: 0,
            backup_note: None,
            unfinished: None,
            resume_next: None,
            resumed: None,
            sheet_file: None,
        }
    }
}

/// SP Flash Tool's modes in the order the Flash panel offers them.
pub const MODES: [Mode; 3] = [Mode::DownloadOnly, Mode::FirmwareUpgrade, Mode::FormatAll];

impl RepairState {
    /// The mode `delta` places along [`MODES`] (clamped).
    pub fn shift_mode(&mut self, delta: isize) {
        let i = MODES.iter().position(|m| *m == self.mode).unwrap_or(0) as isize;
        let j = (i + delta).clamp(0, MODES.len() as isize - 1);
        self.mode = MODES[j as usize];
    }
}
