//! [`AppState`]: everything the workstation shows, and [`AppState::update`], the one place
//! that changes it.
//!
//! `update` takes an [`Action`] and returns the [`Effect`]s it wants carried out; it never does
//! I/O, never draws and never decides what is safe for a phone: gates, plans and verdicts come
//! from the library layers, and this module only keeps their results and the technician's
//! choices (which panel, which row, which mode, what was typed).

use std::{path::PathBuf, time::Duration};

use super::{
    action::{Action, Effect},
    text,
    theme::Theme,
};
use crate::{
    device::{Fingerprint, OpKind, PlannedStep, ProgressEvent, Stage, fingerprint::StorageFacts},
    diag::{self, doctor::Problem, lcm::LcmVerdict, log::Analysis},
    library::LibraryRow,
    transport::PortInfo,
};

/// How many log lines the log pane keeps.
pub const LOG_LINES: usize = 200;

/// The steps of a repair, in order, then Diagnose (reachable from anywhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Arm and wait for the phone's download port; handshake.
    Connect,
    /// Chip, storage, partition table; board candidates.
    Identify,
    /// Choose a ROM from the library that fits this board.
    Rom,
    /// Back up the phone's identity (NVRAM set).
    Backup,
    /// Show the plan, confirm, write.
    Flash,
    /// Read back and compare.
    Verify,
    /// The journal entry and the job sheet.
    Report,
    /// Logs, display check, errors, host doctor.
    Diagnose,
}

impl Step {
    /// Every step in rail order.
    pub const ALL: [Step; 8] = [
        Step::Connect,
        Step::Identify,
        Step::Rom,
        Step::Backup,
        Step::Flash,
        Step::Verify,
        Step::Report,
        Step::Diagnose,
    ];

    /// Position in [`Step::ALL`].
    pub fn index(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The step `delta` places further along the rail, wrapping around.
    pub fn offset(self, delta: isize) -> Step {
        let n = Step::ALL.len() as isize;
        let i = (self.index() as isize + delta).rem_euclid(n);
        Step::ALL[i as usize]
    }

    /// The step's name on the rail.
    pub fn title(self) -> &'static str {
        match self {
            Step::Connect => "Connect",
            Step::Identify => "Identify",
            Step::Rom => "ROM",
            Step::Backup => "Backup",
            Step::Flash => "Flash",
            Step::Verify => "Verify",
            Step::Report => "Report",
            Step::Diagnose => "Diagnose",
        }
    }
}

/// Where a step stands, as the rail shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// Its turn has not come: an earlier step is not done.
    Waiting,
    /// It can be done now.
    Ready,
    /// Work for it is running.
    Busy,
    /// Done.
    Done,
    /// It failed; its panel says why and what to press.
    Failed,
}

/// What a text popup is typing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextPurpose {
    /// The marking printed on the phone's board (re-ranks the board candidates).
    PcbMarking,
    /// The path of a boot log to analyse.
    LogFile,
    /// An error name or number to explain.
    ErrorCode,
}

/// What a yes/no confirmation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmable {
    /// Leave the workstation.
    Quit,
}

/// A popup over the panels; while one is open it takes the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popup {
    /// The keys, generated from the keymap.
    Help,
    /// Something went wrong: what happened and the next key.
    Error {
        /// One line.
        title: String,
        /// What happened and why it matters.
        what: String,
        /// What to do next (names a key).
        next: String,
    },
    /// A yes/no question.
    Confirm {
        /// What is asked.
        what: Confirmable,
        /// The question.
        title: String,
        /// What will happen.
        lines: Vec<String>,
    },
    /// A word must be typed to go on (dangerous operations).
    TypedConfirm {
        /// What is asked.
        what: Confirmable,
        /// The question.
        title: String,
        /// What will happen.
        lines: Vec<String>,
        /// The word to type.
        word: String,
        /// Typed so far.
        typed: String,
    },
    /// A line of text.
    Text {
        /// What it is for.
        purpose: TextPurpose,
        /// Typed so far.
        typed: String,
    },
}

/// How bad a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Information.
    Info,
    /// Something went well.
    Good,
    /// Worth a look.
    Warn,
    /// Something failed.
    Error,
}

/// One line of the log pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// How bad.
    pub level: LogLevel,
    /// The text.
    pub text: String,
}

/// The device bar: what is known about the phone on the bench.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceBar {
    /// The port, once seen.
    pub port: Option<String>,
    /// BROM or preloader.
    pub mode: Option<String>,
    /// The chip (`MT6572`).
    pub chip: Option<String>,
    /// Storage type and size.
    pub storage: Option<String>,
    /// The board profile chosen.
    pub board: Option<String>,
    /// Backup state in words.
    pub backup: Option<String>,
}

/// The device session, as the job layer reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Session {
    /// No job: press Enter on Connect to arm.
    #[default]
    Idle,
    /// Waiting for the port or talking to the phone before it is identified; the last stage.
    Armed(Option<Stage>),
    /// Identified; the one session of the repair is open.
    Open,
    /// The session is being ended (the phone rebooted).
    Closing,
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

/// The Connect panel.
#[derive(Debug, Clone, Default)]
pub struct ConnectState {
    /// The ports the host sees (None until listed).
    pub ports: Option<Vec<PortInfo>>,
    /// Why the ports could not be listed.
    pub ports_error: Option<String>,
    /// The host doctor's findings (None until run).
    pub problems: Option<Vec<Problem>>,
}

/// The ROM panel.
#[derive(Debug, Clone, Default)]
pub struct RomState {
    /// The library folder.
    pub root: PathBuf,
    /// The packages (None until loaded).
    pub rows: Option<Vec<LibraryRow>>,
    /// Why the library could not be read.
    pub error: Option<String>,
    /// The selected row.
    pub selected: usize,
    /// The detail view of the selected row is open.
    pub detail: bool,
}

/// The Diagnose panel: the last result of each tool.
#[derive(Debug, Clone, Default)]
pub struct DiagnoseState {
    /// Which tool's result is shown.
    pub view: DiagView,
    /// The last log analysed.
    pub log: Option<(PathBuf, Result<Analysis, String>)>,
    /// The last error explained: the query and the text of what was found.
    pub explained: Option<(String, Result<Vec<diag::explain::Entry>, String>)>,
    /// The last display check.
    pub display: Option<(PathBuf, Result<Box<LcmVerdict>, String>)>,
    /// The first line shown (scrolling).
    pub scroll: u16,
}

/// Which Diagnose result is on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DiagView {
    /// What the tools are and their keys.
    #[default]
    Menu,
    /// The boot log analysis.
    Log,
    /// The error explanation.
    Explain,
    /// The display check.
    Display,
    /// The host doctor.
    Doctor,
}

/// How the workstation was started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartInfo {
    /// A simulated phone is on the bench (`--demo`).
    pub demo: bool,
    /// The board the demo phone was built from.
    pub demo_board: Option<String>,
}

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
    /// The PCB marking typed by the technician.
    pub marking: Option<String>,
    /// The log pane, oldest first.
    pub log: Vec<LogLine>,
    /// How the workstation was started.
    pub start: StartInfo,
    /// The event loop should end.
    pub quit: bool,
    /// The device session.
    pub session: Session,
    /// The running (or last) device job's progress.
    pub job: JobProgress,
    /// Quit once the running job has stopped.
    pub quit_pending: bool,
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
            marking: None,
            log: Vec::new(),
            start,
            quit: false,
            session: Session::Armed(None),
            job: JobProgress::default(),
            quit_pending: false,
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
                Effect::Connect,
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
        match step {
            Step::Connect => match self.session {
                Session::Open => StepStatus::Done,
                Session::Armed(_) | Session::Closing => StepStatus::Busy,
                Session::Failed(..) => StepStatus::Failed,
                Session::Idle => StepStatus::Ready,
            },
            Step::Identify => {
                if self.device.board.is_some() {
                    StepStatus::Done
                } else if self.device.chip.is_some() {
                    StepStatus::Ready
                } else {
                    StepStatus::Waiting
                }
            }
            Step::Rom | Step::Backup | Step::Flash | Step::Verify | Step::Report => {
                if self.device.board.is_some() {
                    StepStatus::Ready
                } else {
                    StepStatus::Waiting
                }
            }
            Step::Diagnose => StepStatus::Ready,
        }
    }

    /// Something on screen moves (a spinner), so the runner keeps a timer.
    /// Waiting for a port is not animated (a workstation left armed for hours must use no
    /// CPU): only the handshake and the session's end are.
    pub fn animating(&self) -> bool {
        match self.session {
            Session::Armed(Some(stage)) => stage != Stage::WaitForPort,
            Session::Closing => true,
            _ => false,
        }
    }

    /// The selected library row.
    pub fn selected_rom(&self) -> Option<&LibraryRow> {
        self.rom.rows.as_ref()?.get(self.rom.selected)
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
                Vec::new()
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
            Action::Identified { port, fingerprint } => {
                self.identified(port, *fingerprint);
                Vec::new()
            }
            Action::SessionEnded(result) => self.session_ended(result),
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

    fn progress(&mut self, event: ProgressEvent) {
        match event {
            ProgressEvent::Stage(stage) => {
                if matches!(self.session, Session::Armed(_)) {
                    self.session = Session::Armed(Some(stage));
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

    fn identified(&mut self, port: String, f: Fingerprint) {
        self.session = Session::Open;
        self.push_log(LogLevel::Good, text::identified(&port, &f));
        let d = &mut self.device;
        d.port = Some(port);
        d.mode = Some(text::mode(f.mode).into());
        d.chip = Some(text::chip(f.hw_code));
        d.storage = Some(match &f.storage {
            StorageFacts::Emmc { user_size, .. } => format!("eMMC {}", text::size(*user_size)),
            StorageFacts::Nand { size, .. } => format!("NAND {}", text::size(*size)),
            StorageFacts::Nor { size } => format!("NOR {}", text::size(*size)),
        });
        self.fingerprint = Some(Box::new(f));
        if self.step == Step::Connect && self.popup.is_none() {
            self.step = Step::Identify;
        }
    }

    fn session_ended(&mut self, result: Result<String, (String, String)>) -> Vec<Effect> {
        self.job.current = None;
        match result {
            Ok(how) => {
                self.push_log(LogLevel::Good, how);
                self.session = Session::Idle;
            }
            Err((what, help)) => {
                self.session = Session::Failed(what.clone(), help.clone());
                if !self.quit_pending {
                    let next = format!("{help} {}", text::NEXT_ARM);
                    self.fail(text::SESSION_FAILED, &what, &next);
                }
            }
        }
        if self.quit_pending {
            self.quit = true;
            return vec![Effect::Quit];
        }
        Vec::new()
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
            (Popup::Confirm { .. }, Action::No | Action::Back) => Vec::new(),
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
                Action::Back => Vec::new(),
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

    fn confirmed(&mut self, what: Confirmable) -> Vec<Effect> {
        match what {
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
                self.marking = Some(typed);
                Vec::new()
            }
            TextPurpose::LogFile => {
                let path = PathBuf::from(typed);
                self.push_log(LogLevel::Info, text::analysing(&path));
                vec![Effect::AnalyzeLog(path)]
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
            Action::Up => {
                self.move_selection(-1);
                Vec::new()
            }
            Action::Down => {
                self.move_selection(1);
                Vec::new()
            }
            Action::Enter => match self.step {
                Step::Rom if self.selected_rom().is_some() => {
                    self.rom.detail = !self.rom.detail;
                    Vec::new()
                }
                Step::Connect if matches!(self.session, Session::Idle | Session::Failed(..)) => {
                    self.session = Session::Armed(None);
                    self.push_log(LogLevel::Info, text::ARMED);
                    vec![Effect::Connect]
                }
                _ => Vec::new(),
            },
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
        let profile = self.device.board.clone().or(self.start.demo_board.clone());
        self.push_log(LogLevel::Info, text::checking_display(&rom));
        vec![Effect::CheckDisplay { rom, profile }]
    }

    fn move_selection(&mut self, delta: isize) {
        match self.step {
            Step::Rom => {
                let n = self.rom.rows.as_ref().map_or(0, Vec::len);
                if n > 0 {
                    let i = (self.rom.selected as isize + delta).clamp(0, n as isize - 1);
                    self.rom.selected = i as usize;
                }
            }
            Step::Diagnose => {
                let s = self.diagnose.scroll as isize + delta;
                self.diagnose.scroll = s.clamp(0, u16::MAX as isize) as u16;
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
