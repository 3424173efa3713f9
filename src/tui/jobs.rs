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
    /// Bytes the whole plan moves over the link (reads and writes; an erase moves none and
    /// takes the phone's time, not the link's).
    pub fn total(&self) -> u64 {
        self.plan
            .iter()
            .filter(|s| s.op != OpKind::Erase)
            .map(|s| s.len)
            .sum()
    }

    /// Bytes moved by the reads and writes so far (finished and current), and the time they
    /// took; erases are left out.
    fn moved(&self) -> (u64, Duration) {
        let finished = self.finished.iter().map(|t| (t, t.total));
        let current = self.current.iter().map(|t| (t, t.done));
        finished
            .chain(current)
            .filter(|(t, _)| t.op != OpKind::Erase)
            .fold((0, Duration::ZERO), |(bytes, time), (t, n)| {
                (bytes + n, time + t.elapsed)
            })
    }

    /// Bytes moved over the plan so far, never more than [`Self::total`] (a job may read a
    /// little it did not plan, such as the partition table again after writing it).
    pub fn done(&self) -> u64 {
        self.moved().0.min(self.total())
    }

    /// Decimal MB/s of the reads and writes so far (finished and current).
    pub fn rate(&self) -> f64 {
        let (bytes, elapsed) = self.moved();
        crate::device::progress::mb_per_s(bytes, elapsed)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(op: OpKind, name: &str, len: u64) -> PlannedStep {
        PlannedStep {
            op,
            name: name.into(),
            region: "user",
            offset: 0,
            len,
        }
    }

    fn transfer(op: OpKind, name: &str, bytes: u64, secs: u64) -> Transfer {
        Transfer {
            op,
            name: name.into(),
            done: bytes,
            total: bytes,
            elapsed: Duration::from_secs(secs),
        }
    }

    #[test]
    fn the_whole_plan_counts_the_bytes_the_link_moves_not_the_erases() {
        // Format All: a 3 GB erase done in a second, then 2 MB written in 2 s and 2 MB read
        // back; then the table read again (not planned).
        let job = JobProgress {
            plan: vec![
                planned(OpKind::Erase, "USRDATA", 3_000_000_000),
                planned(OpKind::Write, "BOOTIMG", 2_000_000),
                planned(OpKind::Read, "BOOTIMG", 2_000_000),
            ],
            finished: vec![
                transfer(OpKind::Erase, "USRDATA", 3_000_000_000, 1),
                transfer(OpKind::Write, "BOOTIMG", 2_000_000, 2),
            ],
            current: Some(Transfer {
                done: 1_000_000,
                ..transfer(OpKind::Read, "BOOTIMG", 2_000_000, 1)
            }),
            ..JobProgress::default()
        };
        assert_eq!(job.total(), 4_000_000);
        assert_eq!(job.done(), 3_000_000);
        assert_eq!(
            job.rate(),
            1.0,
            "3 MB in 3 s; the erase is not a transfer rate"
        );
        assert_eq!(job.eta_secs(), Some(1));

        let mut after = job.clone();
        after.current = None;
        after
            .finished
            .push(transfer(OpKind::Read, "BOOTIMG", 2_000_000, 2));
        after.finished.push(transfer(OpKind::Read, "MBR", 512, 0));
        assert_eq!(after.done(), after.total(), "never past 100 %");
        assert_eq!(after.eta_secs(), Some(0));
    }
}
