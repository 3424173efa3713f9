//! The thin runner: a tokio event loop that `select!`s over the terminal's key and resize
//! events, the results of background work, and a timer that runs only while something on
//! screen moves. It feeds [`Action`]s to [`AppState::update`], carries out the [`Effect`]s it
//! returns (blocking work on `spawn_blocking`, results back over a channel), and draws only
//! when something changed, so an idle workstation uses no CPU.
//!
//! No decision about a phone is taken here: this file only moves values between the library
//! and the state.

use std::{
    path::{Path, PathBuf},
    time::{Duration, SystemTime},
};

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::{
    action::{Action, Effect},
    keymap::{self, Mode},
    state::{AppState, DeviceState},
    terminal::Terminal,
    text, view,
    worker::{self, Bench, DeviceJob},
};
use crate::{
    diag::{self, doctor, lcm, uart},
    error::HostError,
    firmware::rom,
    flash::{Overrides, execute::FlashRequest, record::JobRecord},
    job::{CancelToken, uart::Uart},
    library,
    places::Places,
    profile::Registry,
    repair::Choice,
};

/// How often the spinner moves while the workstation waits for a phone.
const ANIMATION: Duration = Duration::from_millis(250);

/// What the effects need from outside the state.
#[derive(Debug, Clone)]
pub struct Context {
    /// The config, data, cache and log folders.
    pub places: Places,
    /// The ROM library folder.
    pub library: PathBuf,
    /// Where the phone is.
    pub bench: Bench,
}

/// The running device job: where the plan's answer goes, and its stop request.
struct DeviceHandle {
    answers: std::sync::mpsc::Sender<worker::Answer>,
    cancel: CancelToken,
}

/// How long quitting waits for the device worker to end its session (reboot the phone).
const END_SESSION_WITHIN: Duration = Duration::from_secs(15);

/// Runs the workstation until the technician quits. The terminal is restored on every way
/// out, including errors and panics.
pub fn run(state: AppState, first: Vec<Effect>, ctx: Context) -> crate::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| HostError::Usage(format!("cannot start the event loop: {e}")))?;
    let mut terminal = Terminal::enter()
        .map_err(|e| HostError::Usage(format!("cannot open the terminal: {e}")))?;
    let result = runtime.block_on(event_loop(&mut terminal, state, first, ctx));
    drop(terminal);
    // The device worker ends its session (the phone is rebooted) once its channel closed;
    // give it that time, but never hang the exit on it.
    runtime.shutdown_timeout(END_SESSION_WITHIN);
    result
}

async fn event_loop(
    terminal: &mut Terminal,
    mut state: AppState,
    first: Vec<Effect>,
    ctx: Context,
) -> crate::Result<()> {
    let (mut exec, mut rx) = Executor::new(ctx);
    let mut events = EventStream::new();
    for effect in first {
        exec.carry_out(effect);
    }
    draw(terminal, &state)?;
    loop {
        let animating = state.animating();
        let actions: Vec<Action> = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => translate(&state, event),
                Some(Err(e)) => {
                    return Err(HostError::Usage(format!("the terminal stopped answering: {e}")).into())
                }
                None => return Ok(()),
            },
            Some(action) = rx.recv() => vec![action],
            () = tokio::time::sleep(ANIMATION), if animating => vec![Action::Tick],
        };
        if actions.is_empty() {
            continue;
        }
        for action in actions {
            if exec.apply(&mut state, action) {
                return Ok(());
            }
        }
        draw(terminal, &state)?;
    }
}

/// Carries out effects: blocking work on `spawn_blocking`, the device session through the
/// worker; every result comes back on the channel [`Executor::new`] returns. Needs a tokio
/// runtime.
pub struct Executor {
    tx: mpsc::UnboundedSender<Action>,
    ctx: Context,
    device: Option<DeviceHandle>,
    uart: Option<CancelToken>,
}

impl Executor {
    /// An executor and the receiving end of its results.
    pub fn new(ctx: Context) -> (Executor, mpsc::UnboundedReceiver<Action>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Executor {
                tx,
                ctx,
                device: None,
                uart: None,
            },
            rx,
        )
    }

    /// Feeds `action` to the state and carries out the effects; true when the workstation
    /// should close (the device session, if any, is then told to end).
    pub fn apply(&mut self, state: &mut AppState, action: Action) -> bool {
        for effect in state.update(action) {
            if effect == Effect::Quit {
                self.close(&state.session);
                return true;
            }
            self.carry_out(effect);
        }
        false
    }

    /// Lets go of the device: a port wait or handshake is cancelled; a plan waiting for its
    /// answer is refused (nothing is written) when the answer channel closes with the handle.
    pub fn close(&mut self, session: &DeviceState) {
        if let Some(uart) = self.uart.take() {
            uart.cancel();
        }
        if let Some(d) = self.device.take()
            && matches!(session, DeviceState::Armed(_))
        {
            d.cancel.cancel();
        }
    }

    /// Starts a device job on a blocking worker (the state allows one at a time).
    fn start_job(&mut self, work: DeviceJob) {
        let (answers, answer_rx) = std::sync::mpsc::channel();
        let cancel = CancelToken::new();
        self.device = Some(DeviceHandle {
            answers,
            cancel: cancel.clone(),
        });
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        tokio::task::spawn_blocking(move || {
            worker::run_job(&ctx.bench, &ctx.places, work, cancel, &tx, &answer_rx);
        });
    }

    /// Gives the running job the technician's answer.
    fn answer(&self, answer: worker::Answer) {
        if let Some(d) = &self.device {
            let _ = d.answers.send(answer);
        }
    }

    /// Starts an effect's work; its result comes back as an action.
    pub fn carry_out(&mut self, effect: Effect) {
        match effect {
            Effect::Visit => self.start_job(DeviceJob::Visit),
            Effect::Resume { id } => self.start_job(DeviceJob::Resume(id)),
            Effect::Choose { rom, mode, marking } => {
                let choice = Choice {
                    request: FlashRequest {
                        rom,
                        mode,
                        selection: None,
                        // Format All + Download's plan is confirmed by typing FORMAT at the
                        // plan's gate, before anything is written: that is the erasure's
                        // confirmation.
                        overrides: Overrides {
                            erases_identity: mode == crate::flash::Mode::FormatAll,
                            ..Overrides::default()
                        },
                        verify: true,
                    },
                    pcb_marking: marking,
                };
                self.answer(worker::Answer::Choice(Some(Box::new(choice))));
            }
            Effect::AnswerPlan(yes) => self.answer(worker::Answer::Plan(yes)),
            Effect::EndVisit => self.answer(worker::Answer::Choice(None)),
            Effect::CaptureUart { port } => {
                let cancel = CancelToken::new();
                self.uart = Some(cancel.clone());
                let tx = self.tx.clone();
                let data = self.ctx.places.data.clone();
                tokio::task::spawn_blocking(move || {
                    let result = capture_uart(&port, &data, &cancel, &tx);
                    let _ = tx.send(Action::UartEnded(result));
                });
            }
            Effect::StopUart => {
                if let Some(uart) = self.uart.take() {
                    uart.cancel();
                }
            }
            Effect::CancelJob => {
                if let Some(d) = &self.device {
                    d.cancel.cancel();
                }
            }
            Effect::Quit => {}
            effect => {
                let tx = self.tx.clone();
                let ctx = self.ctx.clone();
                tokio::task::spawn_blocking(move || {
                    if let Some(action) = work(effect, &ctx) {
                        // The loop has ended when nobody receives: the result is not needed.
                        let _ = tx.send(action);
                    }
                });
            }
        }
    }
}

/// The actions a terminal event stands for (none for keys that mean nothing here).
fn translate(state: &AppState, event: Event) -> Vec<Action> {
    let mode = Mode::of(state);
    match event {
        Event::Key(key) => keymap::resolve(mode, &key).into_iter().collect(),
        Event::Resize(..) => vec![Action::Resize],
        Event::Paste(text) if mode == Mode::Typing => text
            .chars()
            .filter(|c| !c.is_control())
            .map(Action::Type)
            .collect(),
        _ => Vec::new(),
    }
}

fn draw(terminal: &mut Terminal, state: &AppState) -> crate::Result<()> {
    terminal
        .inner
        .draw(|frame| {
            let area = frame.area();
            view::render(state, area, frame.buffer_mut());
        })
        .map_err(|e| HostError::Usage(format!("cannot draw on the terminal: {e}")))?;
    Ok(())
}

/// Does one effect's work (blocking) and returns the action that reports it.
pub fn work(effect: Effect, ctx: &Context) -> Option<Action> {
    Some(match effect {
        Effect::Quit
        | Effect::Visit
        | Effect::Resume { .. }
        | Effect::Choose { .. }
        | Effect::EndVisit
        | Effect::CaptureUart { .. }
        | Effect::StopUart
        | Effect::AnswerPlan(_)
        | Effect::CancelJob => return None,
        Effect::ListPorts => Action::PortsListed(crate::job::ports().map_err(|e| e.to_string())),
        Effect::RunDoctor => Action::DoctorDone(doctor::check(&doctor::HostFacts::gather())),
        Effect::LoadLibrary => Action::LibraryLoaded(load_library(&ctx.places, &ctx.library)),
        Effect::FindBackups { device_key } => {
            let store = crate::backup::Store::new(&ctx.places.data);
            Action::BackupsFound(
                store
                    .list(Some(&device_key))
                    .iter()
                    .filter(|b| b.manifest.kind == crate::backup::BackupKind::Identity)
                    .map(|b| crate::engine::backup::BackupDone::new(b, Vec::new()))
                    .collect(),
            )
        }
        Effect::FindUnfinished { device_key } => Action::Unfinished(
            JobRecord::load(&ctx.places.jobs(), None)
                .ok()
                .filter(|r| r.check_device(&device_key).is_ok())
                .map(Box::new),
        ),
        Effect::MatchLibrary {
            fingerprint,
            profile,
        } => Action::LibraryMatched(
            match_library(&ctx.places, &ctx.library, &fingerprint, profile.as_deref())
                .map(Box::new),
        ),
        Effect::AnalyzeLog(path) => {
            let path = expand_home(&path);
            let result = diag::rules::RuleBase::builtin()
                .map_err(crate::Error::from)
                .and_then(|rules| diag::analyze_files(std::slice::from_ref(&path), rules))
                .map_err(|e| with_help(&e));
            Action::LogAnalyzed { path, result }
        }
        Effect::WriteSheet(sheet) => Action::SheetWritten(
            crate::journal::sheet::store(&sheet, &ctx.places.sheets())
                .map_err(|e| with_help(&e.into())),
        ),
        Effect::CheckDisplay { rom, profile } => {
            let result = check_display(&rom, profile.as_deref(), &ctx.places);
            Action::DisplayChecked { rom, result }
        }
    })
}

fn with_help(e: &crate::Error) -> String {
    format!("{e}. {}", text::next_step(e))
}

/// Captures the UART on `port` into a new file of the data folder's `captures` until
/// `cancel`, each update reported as it comes; then the file's name and its analysis.
fn capture_uart(
    port: &str,
    data: &Path,
    cancel: &CancelToken,
    tx: &mpsc::UnboundedSender<Action>,
) -> Result<(PathBuf, diag::log::Analysis), String> {
    let rules = diag::rules::RuleBase::builtin().map_err(|e| with_help(&e.into()))?;
    let path = uart::default_capture_path(&data.join("captures"), SystemTime::now());
    let adapter = Uart::open(port, uart::UART_BAUD, &path).map_err(|e| with_help(&e))?;
    let mut analyzer = diag::log::Analyzer::new(rules);
    analyzer.begin_input(&path.display().to_string(), diag::log::LogKind::Uart);
    let (_summary, saved) = adapter
        .capture(&mut analyzer, cancel, None, &mut |update| {
            let _ = tx.send(Action::UartUpdate(uart::live_line(update)));
        })
        .map_err(|e| with_help(&e))?;
    Ok((saved, analyzer.finish()))
}

/// Brings the library index up to date (reads only what changed) and lists it.
fn load_library(places: &Places, root: &Path) -> Result<Vec<library::LibraryRow>, String> {
    let index_path = library::index_path(places);
    let root = library::open_root(root).map_err(|e| with_help(&e.into()))?;
    library::scan(&root, &index_path, &mut |_| {}).map_err(|e| with_help(&e))?;
    let index = library::LibraryIndex::load(&index_path);
    Ok(library::list(&index, &root))
}

/// Ranks the boards and the library's packages for this phone, from the index as the last
/// library read left it (one scan at a time: [`Effect::LoadLibrary`] does it, and its result
/// asks for a new match).
fn match_library(
    places: &Places,
    root: &Path,
    fingerprint: &crate::device::Fingerprint,
    profile: Option<&str>,
) -> Result<library::matching::LibraryMatch, String> {
    let root = library::open_root(root).map_err(|e| with_help(&e.into()))?;
    let index = library::LibraryIndex::load(&library::index_path(places));
    let (registry, _refused) = Registry::load(&places.user_profiles());
    library::matching::match_library(&index, &root, &fingerprint.evidence(), &registry, profile)
        .map_err(|e| with_help(&e.into()))
}

/// The display check of a ROM against a board profile's panels.
fn check_display(
    rom_dir: &Path,
    profile: Option<&str>,
    places: &Places,
) -> Result<Box<lcm::LcmVerdict>, String> {
    let Some(id) = profile else {
        return Err(
            "the phone's panel is not known yet: identify the board first (press 2), \
                    or use `mtkbench diagnose lcm --rom DIR --lcm NAME`"
                .into(),
        );
    };
    let (registry, _refused) = Registry::load(&places.user_profiles());
    let profile = registry.require(id).map_err(|e| with_help(&e.into()))?;
    let evidence = lcm::PanelEvidence::from_profile(&profile.profile);
    let report = rom::inspect(rom_dir).map_err(|e| with_help(&e))?;
    let facts = lcm::LcmFacts::from_report(&report);
    Ok(Box::new(lcm::check(&evidence, &facts)))
}

/// `~/x` as the home folder's `x` (what a technician types for a log file).
fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}
