//! How the visit's events change the workstation: the job layer's progress, the phone
//! identified, the choice the visit waits for (and why a choice was refused), the library
//! ranked for the phone, the repair's events and report, the job's end; and the two ways a
//! device job starts from a key (the repair's choice, the resume of an interrupted job).
//!
//! Part of [`AppState`]'s one reducer ([`AppState::update`]): it keeps the library's results
//! and the technician's choices, and never decides what is safe for a phone.

use std::time::Duration;

use super::{
    action::Effect,
    jobs::{DeviceState, JobProgress, RepairState, Transfer},
    state::AppState,
    steps::{Confirmable, LogLevel, Popup, Step},
    text,
};
use crate::{
    device::{Fingerprint, ProgressEvent, fingerprint::StorageFacts},
    flash::Mode as FlashMode,
    library::matching::LibraryMatch,
    repair::{Outcome as RepairOutcome, RepairEvent, RepairReport, RepairStep},
};

impl AppState {
    pub(super) fn progress(&mut self, event: ProgressEvent) {
        match event {
            ProgressEvent::Stage(stage) => {
                if matches!(self.session, DeviceState::Armed(_)) {
                    self.session = DeviceState::Armed(Some(stage));
                }
                self.push_log(LogLevel::Info, text::stage(stage));
            }
            ProgressEvent::PlanReady { steps } => {
                self.job = JobProgress {
                    plan: steps,
                    ..JobProgress::default()
                };
            }
            ProgressEvent::Started { op, name, total } => {
                self.job.current = Some(Transfer {
                    op,
                    name,
                    done: 0,
                    total,
                    elapsed: Duration::ZERO,
                });
            }
            ProgressEvent::Advanced {
                done,
                total,
                elapsed,
                ..
            } => {
                if let Some(t) = &mut self.job.current {
                    t.done = done;
                    t.total = total;
                    t.elapsed = elapsed;
                }
            }
            ProgressEvent::Finished { total, elapsed, .. } => {
                if let Some(mut t) = self.job.current.take() {
                    t.done = total;
                    t.total = total;
                    t.elapsed = elapsed;
                    let line = text::transfer_done(&t);
                    self.job.finished.push(t);
                    self.push_log(LogLevel::Good, line);
                }
            }
            ProgressEvent::Skipped { name, why, .. } => {
                self.push_log(LogLevel::Info, format!("{name} skipped: {why}"));
                self.job.skipped.push((name, why));
            }
            ProgressEvent::Verifying { name } => self.job.verifying = Some(name),
            ProgressEvent::Failed { name, error, .. } => {
                self.job.current = None;
                let what = name.map_or(error.clone(), |n| format!("{n}: {error}"));
                self.push_log(LogLevel::Error, what);
            }
            ProgressEvent::Cancelled { name, done, .. } => {
                self.job.current = None;
                self.push_log(LogLevel::Warn, text::cancelled(name.as_deref(), done));
            }
        }
    }

    /// The visit identified the phone: the device bar, the board ranking and the library's
    /// verdicts for it, its backups and any interrupted job of it.
    pub(super) fn identified(&mut self, mut f: Fingerprint) -> Vec<Effect> {
        self.session = DeviceState::Busy;
        self.push_log(LogLevel::Good, text::identified(&f));
        // A marking typed before the phone came belongs to it.
        f.pcb_marking.clone_from(&self.marking);
        let d = &mut self.device;
        d.mode = Some(text::mode(f.mode).into());
        d.chip = Some(text::chip(f.hw_code));
        d.storage = Some(match &f.storage {
            StorageFacts::Emmc { user_size, .. } => {
                format!("eMMC {}", text::short_size(*user_size))
            }
            StorageFacts::Nand { size, .. } => format!("NAND {}", text::short_size(*size)),
            StorageFacts::Nor { size } => format!("NOR {}", text::short_size(*size)),
        });
        self.fingerprint = Some(Box::new(f));
        if self.step == Step::Connect && self.popup.is_none() {
            self.step = Step::Identify;
        }
        let mut effects = self.match_library();
        if let Some(f) = &self.fingerprint {
            effects.push(Effect::FindUnfinished {
                device_key: f.device_key(),
            });
            effects.push(Effect::FindBackups {
                device_key: f.device_key(),
            });
        }
        effects
    }

    /// The visit waits for the technician's ROM and mode, the phone connected on `port`;
    /// a refused choice becomes a popup that says why and what to choose instead.
    pub(super) fn choosing(&mut self, port: String, refused: Option<(String, String)>) {
        if self.device.port.as_deref() != Some(port.as_str()) {
            self.push_log(LogLevel::Info, text::waiting_choice(&port));
        }
        self.device.port = Some(port);
        self.session = DeviceState::Busy;
        self.repair.choosing = true;
        self.repair.running = false;
        self.job = JobProgress::default();
        if let Some((what, help)) = refused {
            self.repair.failed = Some(what.clone());
            self.fail(
                text::CHOICE_REFUSED,
                &what,
                &format!("{} {}", text::sentence(&help), text::NEXT_CHOOSE_AGAIN),
            );
        }
    }

    /// Asks for the board ranking and the library's verdicts for the phone as known now, once
    /// both the phone and the library have been read.
    pub(super) fn match_library(&mut self) -> Vec<Effect> {
        match &self.fingerprint {
            Some(f) if self.rom.rows.is_some() => vec![Effect::MatchLibrary {
                fingerprint: f.clone(),
                profile: self.identify.chosen.clone(),
            }],
            _ => Vec::new(),
        }
    }

    pub(super) fn library_matched(&mut self, result: Result<Box<LibraryMatch>, String>) {
        match result {
            Ok(m) => {
                let line = text::board_ranked(&m);
                if self.matched.as_ref().map(|old| text::board_ranked(old)) != Some(line.clone()) {
                    self.push_log(LogLevel::Info, line);
                }
                self.device.board = Some(
                    m.profile
                        .clone()
                        .unwrap_or_else(|| text::UNKNOWN_BOARD.into()),
                );
                let best = m.board.best.as_deref();
                self.identify.selected = m
                    .board
                    .candidates
                    .iter()
                    .position(|c| Some(c.profile.as_str()) == m.profile.as_deref().or(best))
                    .unwrap_or(0);
                self.rom.selected = 0;
                self.matched = Some(m);
            }
            Err(e) => self.push_log(LogLevel::Warn, format!("{}: {e}", text::MATCH_FAILED)),
        }
    }

    pub(super) fn repair_event(&mut self, event: RepairEvent) -> Vec<Effect> {
        match event {
            RepairEvent::Started(step) => {
                self.repair.phase = Some(step);
                self.push_log(LogLevel::Info, text::repair_started(step));
            }
            RepairEvent::Identified(f) => return self.identified(*f),
            RepairEvent::RomChecked(findings) => {
                for f in &findings {
                    self.push_log(LogLevel::Warn, f.message.clone());
                }
                self.repair.rom_findings = findings;
            }
            RepairEvent::Skipped { step, why } => {
                self.push_log(LogLevel::Info, text::repair_skipped(step, &why));
                if step == RepairStep::Backup {
                    // The repair skips its backup only when this phone already has a verified
                    // one (a dry run aside, which the workstation does not start).
                    self.device.backup = Some(text::BACKUP_VERIFIED.into());
                    self.repair.backup_note = Some(why);
                    return self.find_backups();
                }
            }
            RepairEvent::PlanReady(plan) => {
                self.push_log(LogLevel::Info, text::plan_ready(&plan));
                let (title, lines) = text::plan_confirmation(&plan);
                self.popup = Some(if plan.mode() == FlashMode::FormatAll {
                    Popup::TypedConfirm {
                        what: Confirmable::Plan,
                        title,
                        lines,
                        word: text::FORMAT_WORD.into(),
                        typed: String::new(),
                    }
                } else {
                    Popup::Confirm {
                        what: Confirmable::Plan,
                        title,
                        lines,
                    }
                });
                self.repair.plan = Some(plan);
                self.repair.awaiting_answer = true;
                self.step = Step::Flash;
            }
            RepairEvent::Finished(RepairStep::Flash) => {
                self.push_log(LogLevel::Good, text::FLASHED);
            }
            RepairEvent::Finished(RepairStep::Backup) => {
                self.push_log(LogLevel::Good, text::REPAIR_BACKUP_TAKEN);
                self.device.backup = Some(text::BACKUP_VERIFIED.into());
                self.repair.backup_note = Some(text::REPAIR_BACKUP_TAKEN.into());
                return self.find_backups();
            }
            RepairEvent::Finished(_) => {}
        }
        Vec::new()
    }

    /// Looks the phone's backups up again (the repair took or named one).
    pub(super) fn find_backups(&self) -> Vec<Effect> {
        self.fingerprint
            .iter()
            .map(|f| Effect::FindBackups {
                device_key: f.device_key(),
            })
            .collect()
    }

    pub(super) fn repaired(&mut self, report: RepairReport) {
        let (level, line) = text::repair_outcome(&report);
        self.push_log(level, line);
        if report.outcome == RepairOutcome::Repaired {
            self.step = Step::Verify;
        }
        self.repair.report = Some(Box::new(report));
        self.repair.sheet_file = None;
    }

    /// Writes the customer's job sheet of the repair that ended, once per report (a second
    /// press says where it is); the journal made the sheet, the runner writes the file.
    pub(super) fn write_sheet(&mut self) -> Vec<Effect> {
        if let Some(path) = &self.repair.sheet_file {
            let line = text::sheet_written(path);
            self.push_log(LogLevel::Info, line);
            return Vec::new();
        }
        match self.repair.report.as_ref().and_then(|r| r.sheet.clone()) {
            Some(sheet) => vec![Effect::WriteSheet(Box::new(sheet))],
            None => {
                self.push_log(LogLevel::Warn, text::NO_SHEET);
                Vec::new()
            }
        }
    }

    pub(super) fn job_ended(&mut self, result: Result<String, (String, String)>) -> Vec<Effect> {
        self.job.current = None;
        let repairing = std::mem::take(&mut self.repair.running);
        self.repair.awaiting_answer = false;
        self.repair.choosing = false;
        match result {
            Ok(how) => {
                self.push_log(LogLevel::Good, how);
                self.session = DeviceState::Idle;
            }
            Err((what, help)) => {
                self.session = DeviceState::Failed(what.clone(), help.clone());
                if repairing {
                    self.repair.failed = Some(what.clone());
                }
                if !self.quit_pending {
                    let next = if repairing {
                        format!("{help} {}", text::NEXT_REPAIR)
                    } else {
                        format!("{help} {}", text::NEXT_ARM)
                    };
                    let title = if repairing {
                        text::REPAIR_FAILED
                    } else {
                        text::SESSION_FAILED
                    };
                    self.fail(title, &what, &next);
                }
            }
        }
        if self.quit_pending {
            self.quit = true;
            return vec![Effect::Quit];
        }
        if self.repair.resume_next.is_some() && self.session == DeviceState::Idle {
            return self.resume();
        }
        Vec::new()
    }

    /// Resumes the interrupted flash job of this phone; the library checks the phone and the
    /// plan.
    pub(super) fn resume(&mut self) -> Vec<Effect> {
        if self.repair.choosing
            && let Some(r) = &self.repair.unfinished
        {
            // The interrupted job carries its own plan: the visit ends without writing and
            // the job resumes in the next connection.
            let id = r.id.clone();
            self.push_log(LogLevel::Warn, text::resume_next(&id));
            self.repair.resume_next = Some(id);
            self.repair.choosing = false;
            return vec![Effect::EndVisit];
        }
        if self.job_running() {
            self.fail(text::BUSY, text::BUSY_WHAT, text::NEXT_WAIT);
            return Vec::new();
        }
        let Some(r) = &self.repair.unfinished else {
            return Vec::new();
        };
        let id = r.id.clone();
        self.repair.resume_next = None;
        self.repair.running = true;
        self.job = JobProgress::default();
        self.session = DeviceState::Armed(None);
        self.push_log(LogLevel::Info, text::resuming(&id));
        vec![Effect::Resume { id }]
    }

    /// Gives the connected phone's visit the chosen ROM and mode; the library checks
    /// everything, backs the identity up and comes back with the plan.
    pub(super) fn start_repair(&mut self) -> Vec<Effect> {
        if !self.repair.choosing {
            if self.job_running() {
                self.fail(text::BUSY, text::BUSY_WHAT, text::NEXT_WAIT);
            } else {
                self.fail(
                    text::NOT_CONNECTED,
                    text::NOT_CONNECTED_WHAT,
                    text::NEXT_ARM_NOW,
                );
            }
            return Vec::new();
        }
        let Some(rom) = self.repair.rom.clone() else {
            self.fail(
                text::NO_ROM_CHOSEN,
                text::NO_ROM_WHAT,
                text::NEXT_CHOOSE_ROM,
            );
            return Vec::new();
        };
        let mode = self.repair.mode;
        self.repair = RepairState {
            mode,
            rom: Some(rom.clone()),
            running: true,
            backup_note: self.repair.backup_note.take(),
            unfinished: self.repair.unfinished.take(),
            ..RepairState::default()
        };
        self.job = JobProgress::default();
        self.push_log(LogLevel::Info, text::repair_starting(mode, &rom));
        vec![Effect::Choose {
            rom,
            mode,
            marking: self.marking.clone(),
        }]
    }
}
