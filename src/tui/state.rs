//! [`AppState`]: everything the workstation shows, and [`AppState::update`], the one place
//! that changes it.
//!
//! `update` takes an [`Action`] and returns the [`Effect`]s it wants carried out; it never does
//! I/O, never draws and never decides what is safe for a phone: gates, plans and verdicts come
//! from the library layers, and this module only keeps their results and the technician's
//! choices (which panel, which row, which mode, what was typed). What the visit's events do
//! is in [`super::visit`]; the per-step values are in [`super::steps`].

use std::path::PathBuf;

use super::{
    action::{Action, Effect},
    text,
    theme::Theme,
};
pub use super::{
    jobs::{DeviceState, JobProgress, RepairState, Transfer},
    steps::{
        Confirmable, ConnectState, DeviceBar, DiagView, DiagnoseState, IdentifyState, LogLevel,
        LogLine, Popup, RomState, StartInfo, Step, StepStatus, TextPurpose, UartView,
    },
};
use crate::{
    device::{Fingerprint, Stage},
    diag::{self, doctor::Problem},
    engine::backup::BackupDone,
    library::{
        LibraryRow,
        matching::{LibraryMatch, PackageMatch},
    },
    repair::{Outcome as RepairOutcome, RepairStep},
    transport::PortInfo,
};

/// How many log lines the log pane keeps.
pub const LOG_LINES: usize = 200;

/// Everything the workstation shows.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The panel on screen.
    pub step: Step,
    /// The popup on top, if any.
    pub popup: Option<Popup>,
    /// The device bar.
    pub device: DeviceBar,
    /// Connect.
    pub connect: ConnectState,
    /// ROM.
    pub rom: RomState,
    /// Diagnose.
    pub diagnose: DiagnoseState,
    /// What the phone said about itself, once identified.
    pub fingerprint: Option<Box<Fingerprint>>,
    /// The board ranking and the library's verdicts for this phone.
    pub matched: Option<Box<LibraryMatch>>,
    /// The Identify panel.
    pub identify: IdentifyState,
    /// The PCB marking typed by the technician.
    pub marking: Option<String>,
    /// The log pane, oldest first.
    pub log: Vec<LogLine>,
    /// How the workstation was started.
    pub start: StartInfo,
    /// The event loop should end.
    pub quit: bool,
    /// The device session.
    pub session: DeviceState,
    /// The running (or last) device job's progress.
    pub job: JobProgress,
    /// Quit once the running job has stopped.
    pub quit_pending: bool,
    /// The guided repair.
    pub repair: RepairState,
    /// The identity backups this phone has in the store, oldest first (None until looked
    /// up).
    pub backups: Option<Vec<BackupDone>>,
    /// Colours and glyphs.
    pub theme: Theme,
    /// Animation frames drawn so far (the spinner).
    pub ticks: u64,
}

impl AppState {
    /// A workstation at its first frame: on Connect, asking for the ports and the doctor.
    pub fn new(library_root: PathBuf, start: StartInfo, theme: Theme) -> (AppState, Vec<Effect>) {
        let mut state = AppState {
            step: Step::Connect,
            popup: None,
            device: DeviceBar::default(),
            connect: ConnectState::default(),
            rom: RomState {
                root: library_root,
                ..RomState::default()
            },
            diagnose: DiagnoseState::default(),
            fingerprint: None,
            matched: None,
            identify: IdentifyState::default(),
            marking: None,
            log: Vec::new(),
            start,
            quit: false,
            session: DeviceState::Armed(None),
            job: JobProgress::default(),
            quit_pending: false,
            repair: RepairState::default(),
            backups: None,
            theme,
            ticks: 0,
        };
        state.push_log(LogLevel::Info, text::LOG_STARTED);
        if state.start.demo {
            state.push_log(LogLevel::Info, text::LOG_DEMO);
        }
        (
            state,
            vec![
                Effect::ListPorts,
                Effect::RunDoctor,
                Effect::LoadLibrary,
                Effect::Visit,
            ],
        )
    }

    /// Adds a line to the log pane (and drops the oldest past [`LOG_LINES`]).
    pub fn push_log(&mut self, level: LogLevel, text: impl Into<String>) {
        let text = text.into();
        tracing::info!(target: "mtkbench::tui", "{text}");
        self.log.push(LogLine { level, text });
        if self.log.len() > LOG_LINES {
            let excess = self.log.len() - LOG_LINES;
            self.log.drain(..excess);
        }
    }

    /// Where each step stands.
    pub fn status(&self, step: Step) -> StepStatus {
        let known = self.fingerprint.is_some();
        let r = &self.repair;
        let repaired = r
            .report
            .as_ref()
            .is_some_and(|rep| rep.outcome == RepairOutcome::Repaired);
        match step {
            Step::Connect => match (&self.session, r.running) {
                (DeviceState::Armed(_), false) => StepStatus::Busy,
                (DeviceState::Failed(..), false) => StepStatus::Failed,
                _ if known => StepStatus::Done,
                _ => StepStatus::Ready,
            },
            Step::Identify if self.device.board.is_some() => StepStatus::Done,
            Step::Rom if r.rom.is_some() => StepStatus::Done,
            Step::Backup if r.backup_note.is_some() => StepStatus::Done,
            Step::Backup if r.running && r.phase == Some(RepairStep::Backup) => StepStatus::Busy,
            Step::Identify | Step::Rom | Step::Backup if known => StepStatus::Ready,
            Step::Flash if r.running => StepStatus::Busy,
            Step::Flash if repaired => StepStatus::Done,
            Step::Flash if r.failed.is_some() => StepStatus::Failed,
            Step::Flash if r.rom.is_some() && r.choosing => StepStatus::Ready,
            Step::Verify | Step::Report if repaired => StepStatus::Done,
            Step::Verify if r.resumed.is_some() => StepStatus::Done,
            Step::Report if r.report.is_some() => StepStatus::Done,
            Step::Diagnose => StepStatus::Ready,
            _ => StepStatus::Waiting,
        }
    }

    /// A device job runs (only one may).
    pub fn job_running(&self) -> bool {
        matches!(self.session, DeviceState::Armed(_) | DeviceState::Busy)
    }

    /// Waiting for a port is not animated (a workstation left armed for hours must use no
    /// CPU): only the handshake and the session's end are.
    pub fn animating(&self) -> bool {
        match self.session {
            DeviceState::Armed(Some(stage)) => stage != Stage::WaitForPort,
            _ => false,
        }
    }

    /// The selected library row.
    pub fn selected_rom(&self) -> Option<&LibraryRow> {
        self.rom_rows()
            .into_iter()
            .nth(self.rom.selected)
            .map(|(row, _)| row)
    }

    /// The library's packages in the order the ROM panel lists them: best first with their
    /// verdict once the phone is matched, else in path order.
    pub fn rom_rows(&self) -> Vec<(&LibraryRow, Option<&PackageMatch>)> {
        let rows = self.rom.rows.as_deref().unwrap_or_default();
        match &self.matched {
            Some(m) => m
                .matches
                .iter()
                .filter_map(|pm| {
                    rows.iter()
                        .find(|r| r.path == pm.package)
                        .map(|r| (r, Some(pm)))
                })
                .collect(),
            None => rows.iter().map(|r| (r, None)).collect(),
        }
    }

    /// Applies one action; returns what the runner must do.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Resize => Vec::new(),
            Action::Tick => {
                self.ticks = self.ticks.wrapping_add(1);
                Vec::new()
            }
            Action::PortsListed(r) => {
                self.ports_listed(r);
                Vec::new()
            }
            Action::DoctorDone(problems) => {
                self.doctor_done(problems);
                Vec::new()
            }
            Action::LibraryLoaded(r) => {
                self.library_loaded(r);
                self.match_library()
            }
            Action::LogAnalyzed { path, result } => {
                match &result {
                    Ok(a) => self.push_log(
                        LogLevel::Info,
                        text::log_analyzed(&path, a.boots.len(), a.findings.len()),
                    ),
                    Err(e) => self.fail(text::LOG_READ_FAILED, e, text::NEXT_LOG),
                }
                self.diagnose.log = Some((path, result));
                self.show_diag(DiagView::Log);
                Vec::new()
            }
            Action::Progress(event) => {
                self.progress(event);
                Vec::new()
            }
            Action::Choosing { port, refused } => {
                self.choosing(port, refused);
                Vec::new()
            }
            Action::LibraryMatched(result) => {
                self.library_matched(result);
                Vec::new()
            }
            Action::BackupsFound(found) => {
                if !found.is_empty() && self.device.backup.is_none() {
                    self.device.backup = Some(text::backups_found(found.len()));
                }
                self.backups = Some(found);
                Vec::new()
            }
            Action::Unfinished(found) => {
                if let Some(r) = &found {
                    self.push_log(LogLevel::Warn, text::unfinished(r));
                }
                self.repair.unfinished = found;
                Vec::new()
            }
            Action::Resumed(flashed) => {
                self.push_log(LogLevel::Good, text::resumed(&flashed));
                self.repair.unfinished = None;
                self.repair.resumed = Some(flashed);
                self.step = Step::Verify;
                Vec::new()
            }
            Action::Repair(event) => self.repair_event(*event),
            Action::Repaired(report) => {
                self.repaired(*report);
                Vec::new()
            }
            Action::JobEnded(result) => self.job_ended(result),
            Action::SheetWritten(result) => {
                match result {
                    Ok(path) => {
                        self.push_log(LogLevel::Good, text::sheet_written(&path));
                        self.repair.sheet_file = Some(path);
                    }
                    Err(e) => self.fail(text::SHEET_FAILED, &e, text::NEXT_SHEET),
                }
                Vec::new()
            }
            Action::UartUpdate(line) => {
                if line.starts_with("finding") {
                    self.push_log(LogLevel::Warn, format!("UART {line}"));
                }
                if let Some(u) = &mut self.diagnose.uart {
                    u.lines.push(line);
                    if u.lines.len() > LOG_LINES {
                        u.lines.remove(0);
                    }
                }
                Vec::new()
            }
            Action::UartEnded(result) => {
                if let Some(u) = &mut self.diagnose.uart {
                    u.running = false;
                }
                match result {
                    Ok((path, analysis)) => {
                        self.push_log(LogLevel::Info, text::capture_saved(&path));
                        self.diagnose.log = Some((path, Ok(analysis)));
                        self.show_diag(DiagView::Log);
                    }
                    Err(e) => self.fail(text::UART_FAILED, &e, text::NEXT_UART),
                }
                Vec::new()
            }
            Action::DisplayChecked { rom, result } => {
                match &result {
                    Ok(v) => self.push_log(LogLevel::Info, text::display_checked(&rom, v)),
                    Err(e) => self.fail(text::DISPLAY_FAILED, e, text::NEXT_DISPLAY),
                }
                self.diagnose.display = Some((rom, result));
                self.show_diag(DiagView::Display);
                Vec::new()
            }
            other => {
                if self.popup.is_some() {
                    self.popup_action(other)
                } else {
                    self.panel_action(other)
                }
            }
        }
    }

    fn show_diag(&mut self, view: DiagView) {
        self.diagnose.view = view;
        self.diagnose.scroll = 0;
        self.step = Step::Diagnose;
    }

    /// Opens the error popup and logs the failure.
    pub fn fail(&mut self, title: &str, what: &str, next: &str) {
        self.push_log(LogLevel::Error, format!("{title}: {what}"));
        self.popup = Some(Popup::Error {
            title: title.into(),
            what: what.into(),
            next: next.into(),
        });
    }

    fn ports_listed(&mut self, r: Result<Vec<PortInfo>, String>) {
        match r {
            Ok(ports) => {
                if let Some(p) = ports.iter().find(|p| p.is_download_port()) {
                    self.push_log(LogLevel::Good, text::port_seen(&p.path));
                }
                self.connect.ports = Some(ports);
                self.connect.ports_error = None;
            }
            Err(e) => {
                self.push_log(LogLevel::Warn, format!("{}: {e}", text::PORTS_FAILED));
                self.connect.ports_error = Some(e);
            }
        }
    }

    fn doctor_done(&mut self, problems: Vec<Problem>) {
        if problems.is_empty() {
            self.push_log(LogLevel::Good, text::DOCTOR_CLEAN);
        } else {
            self.push_log(LogLevel::Warn, text::doctor_found(problems.len()));
        }
        self.connect.problems = Some(problems);
    }

    fn library_loaded(&mut self, r: Result<Vec<LibraryRow>, String>) {
        match r {
            Ok(rows) => {
                self.push_log(LogLevel::Info, text::library_loaded(rows.len()));
                self.rom.selected = self.rom.selected.min(rows.len().saturating_sub(1));
                self.rom.rows = Some(rows);
                self.rom.error = None;
            }
            Err(e) => {
                self.push_log(LogLevel::Warn, format!("{}: {e}", text::LIBRARY_FAILED));
                self.rom.error = Some(e);
            }
        }
    }

    fn popup_action(&mut self, action: Action) -> Vec<Effect> {
        let Some(popup) = self.popup.take() else {
            return Vec::new();
        };
        match (popup, action) {
            (Popup::Confirm { what, .. }, Action::Yes | Action::Enter) => self.confirmed(what),
            (Popup::Confirm { what, .. }, Action::No | Action::Back) => self.refused(what),
            (
                Popup::TypedConfirm {
                    what,
                    title,
                    lines,
                    word,
                    typed,
                },
                action,
            ) => match action {
                Action::Back => self.refused(what),
                Action::Enter if typed.eq_ignore_ascii_case(&word) => self.confirmed(what),
                action => {
                    let mut typed = typed;
                    edit(&mut typed, &action);
                    self.popup = Some(Popup::TypedConfirm {
                        what,
                        title,
                        lines,
                        word,
                        typed,
                    });
                    Vec::new()
                }
            },
            (Popup::Text { purpose, typed }, action) => match action {
                Action::Back => Vec::new(),
                Action::Enter => self.text_entered(purpose, typed.trim().to_string()),
                action => {
                    let mut typed = typed;
                    edit(&mut typed, &action);
                    self.popup = Some(Popup::Text { purpose, typed });
                    Vec::new()
                }
            },
            (Popup::Help | Popup::Error { .. }, Action::Back | Action::Enter | Action::Help) => {
                Vec::new()
            }
            (Popup::Help | Popup::Error { .. }, Action::Quit) => self.ask_quit(),
            (popup, _) => {
                self.popup = Some(popup);
                Vec::new()
            }
        }
    }

    fn refused(&mut self, what: Confirmable) -> Vec<Effect> {
        match what {
            Confirmable::Quit => Vec::new(),
            Confirmable::Plan => {
                self.repair.awaiting_answer = false;
                self.push_log(LogLevel::Info, text::PLAN_REFUSED);
                vec![Effect::AnswerPlan(false)]
            }
        }
    }

    fn confirmed(&mut self, what: Confirmable) -> Vec<Effect> {
        match what {
            Confirmable::Plan => {
                self.repair.awaiting_answer = false;
                self.push_log(LogLevel::Warn, text::PLAN_CONFIRMED);
                vec![Effect::AnswerPlan(true)]
            }
            Confirmable::Quit if self.job.changing_phone() => {
                self.quit_pending = true;
                self.push_log(LogLevel::Warn, text::STOPPING);
                vec![Effect::CancelJob]
            }
            Confirmable::Quit => {
                self.quit = true;
                vec![Effect::Quit]
            }
        }
    }

    /// Quits at once, unless a write or erase runs: then asks first, because stopping leaves
    /// the phone half-written.
    fn ask_quit(&mut self) -> Vec<Effect> {
        match &self.job.current {
            Some(t) if self.job.changing_phone() => {
                self.popup = Some(Popup::Confirm {
                    what: Confirmable::Quit,
                    title: text::STOP_WRITE_TITLE.into(),
                    lines: text::stop_write_lines(t, self.device.backup.as_deref()),
                });
                Vec::new()
            }
            _ => {
                self.quit = true;
                vec![Effect::Quit]
            }
        }
    }

    fn text_entered(&mut self, purpose: TextPurpose, typed: String) -> Vec<Effect> {
        if typed.is_empty() {
            return Vec::new();
        }
        match purpose {
            TextPurpose::PcbMarking => {
                self.push_log(LogLevel::Info, text::marking_typed(&typed));
                if let Some(f) = &mut self.fingerprint {
                    f.pcb_marking = Some(typed.clone());
                }
                self.marking = Some(typed);
                self.match_library()
            }
            TextPurpose::LogFile => {
                let path = PathBuf::from(typed);
                self.push_log(LogLevel::Info, text::analysing(&path));
                vec![Effect::AnalyzeLog(path)]
            }
            TextPurpose::UartPort => {
                self.diagnose.uart = Some(UartView {
                    port: typed.clone(),
                    lines: Vec::new(),
                    running: true,
                });
                self.show_diag(DiagView::Uart);
                vec![Effect::CaptureUart { port: typed }]
            }
            TextPurpose::ErrorCode => {
                let result = diag::explain::Table::builtin()
                    .and_then(|t| t.lookup(&typed))
                    .map(|found| found.into_iter().map(|m| m.entry.clone()).collect())
                    .map_err(|e| format!("{e}; {}", crate::Advice::help(&e)));
                if let Err(e) = &result {
                    self.push_log(LogLevel::Warn, e.clone());
                }
                self.diagnose.explained = Some((typed, result));
                self.show_diag(DiagView::Explain);
                Vec::new()
            }
        }
    }

    fn panel_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit => self.ask_quit(),
            Action::Help => {
                self.popup = Some(Popup::Help);
                Vec::new()
            }
            Action::GoTo(step) => {
                self.step = step;
                Vec::new()
            }
            Action::NextPanel => {
                self.step = self.step.offset(1);
                Vec::new()
            }
            Action::PrevPanel => {
                self.step = self.step.offset(-1);
                Vec::new()
            }
            Action::Resume if self.step == Step::Flash => self.resume(),
            Action::WriteSheet if self.step == Step::Report => self.write_sheet(),
            Action::AskText(purpose) => {
                self.popup = Some(Popup::Text {
                    purpose,
                    typed: String::new(),
                });
                Vec::new()
            }
            Action::Refresh => match self.step {
                Step::Rom => vec![Effect::LoadLibrary],
                Step::Diagnose => {
                    self.show_diag(DiagView::Doctor);
                    vec![Effect::RunDoctor]
                }
                _ => vec![Effect::ListPorts, Effect::RunDoctor],
            },
            Action::CheckDisplay => self.check_display(),
            Action::Uart if self.diagnose.uart.as_ref().is_some_and(|u| u.running) => {
                vec![Effect::StopUart]
            }
            Action::Uart => {
                self.popup = Some(Popup::Text {
                    purpose: TextPurpose::UartPort,
                    typed: String::new(),
                });
                Vec::new()
            }
            Action::Up => {
                self.move_selection(-1);
                Vec::new()
            }
            Action::Down => {
                self.move_selection(1);
                Vec::new()
            }
            Action::Enter => self.enter(),
            Action::Left | Action::Right if self.mode_open() => {
                self.repair.shift_mode(if matches!(action, Action::Left) {
                    -1
                } else {
                    1
                });
                Vec::new()
            }
            Action::Back => {
                self.rom.detail = false;
                if self.step == Step::Diagnose {
                    self.diagnose.view = DiagView::Menu;
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// Enter: what the panel offers.
    fn enter(&mut self) -> Vec<Effect> {
        match self.step {
            Step::Rom if self.rom.detail => {
                let Some(row) = self.selected_rom() else {
                    return Vec::new();
                };
                let path = self.rom.root.join(&row.path);
                self.push_log(LogLevel::Good, text::rom_chosen(&row.path));
                self.repair.rom = Some(path);
                self.rom.detail = false;
                self.step = Step::Flash;
                Vec::new()
            }
            Step::Rom if self.selected_rom().is_some() => {
                self.rom.detail = true;
                self.rom.scroll = 0;
                Vec::new()
            }
            Step::Identify => {
                let Some(c) = self
                    .matched
                    .as_ref()
                    .and_then(|m| m.board.candidates.get(self.identify.selected))
                else {
                    return Vec::new();
                };
                let id = c.profile.clone();
                self.push_log(LogLevel::Good, text::board_chosen(&id));
                self.identify.chosen = Some(id);
                self.step = Step::Rom;
                self.match_library()
            }
            Step::Connect if !self.job_running() => {
                self.session = DeviceState::Armed(None);
                self.job = JobProgress::default();
                self.push_log(LogLevel::Info, text::ARMED);
                vec![Effect::Visit]
            }
            Step::Flash => self.start_repair(),
            _ => Vec::new(),
        }
    }

    fn check_display(&mut self) -> Vec<Effect> {
        let Some(row) = self.selected_rom() else {
            self.fail(
                text::DISPLAY_FAILED,
                text::NO_ROM_SELECTED,
                text::NEXT_PICK_ROM,
            );
            return Vec::new();
        };
        let rom = self.rom.root.join(&row.path);
        let profile = self
            .matched
            .as_ref()
            .and_then(|m| m.profile.clone())
            .or(self.start.demo_board.clone());
        self.push_log(LogLevel::Info, text::checking_display(&rom));
        vec![Effect::CheckDisplay { rom, profile }]
    }

    /// Whether the Flash panel's mode can change: before a visit, or while the connected
    /// phone waits for the choice (the visit is a running job then); never while a job
    /// backs up, plans or writes.
    fn mode_open(&self) -> bool {
        self.step == Step::Flash && (!self.job_running() || self.repair.choosing)
    }

    fn move_selection(&mut self, delta: isize) {
        match self.step {
            Step::Identify => {
                let n = self
                    .matched
                    .as_ref()
                    .map_or(0, |m| m.board.candidates.len());
                if n > 0 {
                    let i = (self.identify.selected as isize + delta).clamp(0, n as isize - 1);
                    self.identify.selected = i as usize;
                }
            }
            Step::Rom if self.rom.detail => {
                let s = self.rom.scroll as isize + delta;
                self.rom.scroll = s.clamp(0, u16::MAX as isize) as u16;
            }
            Step::Rom => {
                let n = self.rom_rows().len();
                if n > 0 {
                    let i = (self.rom.selected as isize + delta).clamp(0, n as isize - 1);
                    self.rom.selected = i as usize;
                }
            }
            Step::Diagnose => {
                let s = self.diagnose.scroll as isize + delta;
                self.diagnose.scroll = s.clamp(0, u16::MAX as isize) as u16;
            }
            Step::Flash if self.mode_open() => self.repair.shift_mode(delta),
            Step::Flash => {
                let n = self.repair.plan.as_ref().map_or(0, |p| p.steps().len());
                let s = self.repair.scroll as isize + delta;
                self.repair.scroll = s.clamp(0, n.saturating_sub(1) as isize) as usize;
            }
            _ => {}
        }
    }
}

/// Applies a typing action to a text field.
fn edit(typed: &mut String, action: &Action) {
    match action {
        Action::Type(c) if typed.chars().count() < 200 => typed.push(*c),
        Action::Erase => {
            typed.pop();
        }
        _ => {}
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
