//! The workstation's per-step state: the steps and how each stands, the popups, the log
//! lines, the device bar and what each panel keeps (Connect, Identify, ROM, Diagnose). Values
//! only, changed by [`super::state::AppState::update`]; no I/O and no decision about a phone.

use std::path::PathBuf;

use crate::{
    diag::{self, doctor::Problem, lcm::LcmVerdict, log::Analysis},
    library::LibraryRow,
    transport::PortInfo,
};

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
    /// The port of the USB-serial adapter wired to the phone's debug UART.
    UartPort,
}

/// What a yes/no confirmation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmable {
    /// Leave the workstation.
    Quit,
    /// Write the repair's plan to the phone.
    Plan,
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

/// The Identify panel: the board candidate under the cursor and the one chosen.
#[derive(Debug, Clone, Default)]
pub struct IdentifyState {
    /// The candidate under the cursor.
    pub selected: usize,
    /// The board the technician chose (`None`: the ranking's best).
    pub chosen: Option<String>,
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
    /// The first line of the detail view shown.
    pub scroll: u16,
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
    /// The UART capture running now, or the last one.
    pub uart: Option<UartView>,
    /// The first line shown (scrolling).
    pub scroll: u16,
}

/// A live UART capture: the adapter and what the phone said so far, in a technician's words
/// (boots, stages reached, why each ended, findings), oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UartView {
    /// The adapter's port.
    pub port: String,
    /// One line per update of the capture.
    pub lines: Vec<String>,
    /// The capture still runs.
    pub running: bool,
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
    /// The live UART capture.
    Uart,
}

/// How the workstation was started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartInfo {
    /// A simulated phone is on the bench (`--demo`).
    pub demo: bool,
    /// The board the demo phone was built from.
    pub demo_board: Option<String>,
    /// Where the flash job records are kept.
    pub jobs_dir: Option<PathBuf>,
    /// The demo phone is dead (`--demo --dead-boot`).
    pub dead_boot: bool,
}
