//! The one [`Action`] enum: everything that can happen to the workstation, whether a key was
//! pressed or a background result arrived, and the [`Effect`]s the reducer asks the runner to
//! carry out.
//!
//! Keys become actions only through [`super::keymap`]; results of background work become
//! actions in [`super::runner`]. Nothing here does I/O or draws.

use std::path::PathBuf;

use super::state::{Step, TextPurpose};
use crate::{
    device::{Fingerprint, ProgressEvent},
    diag::{doctor::Problem, lcm::LcmVerdict, log::Analysis},
    engine::backup::BackupDone,
    flash::{Mode as FlashMode, execute::Flashed, record::JobRecord},
    journal::sheet::Sheet,
    library::{LibraryRow, matching::LibraryMatch},
    repair::{RepairEvent, RepairReport},
    transport::PortInfo,
};

/// Everything that changes the workstation's state.
#[derive(Debug, Clone)]
pub enum Action {
    /// Leave the workstation; while a write runs, ask first and cancel between packets.
    Quit,
    /// Show or hide the key help (generated from the keymap).
    Help,
    /// Go to a step's panel.
    GoTo(Step),
    /// The next step's panel (Tab).
    NextPanel,
    /// The previous step's panel (Shift-Tab).
    PrevPanel,
    /// Move the selection up in the current list.
    Up,
    /// Move the selection down in the current list.
    Down,
    /// The previous choice (for example the flash mode).
    Left,
    /// The next choice.
    Right,
    /// Do what the panel offers with Enter (open, choose, start, confirm).
    Enter,
    /// Close the popup or the detail view; never cancels a running write.
    Back,
    /// Look again: ports and host problems (Connect), the library (ROM), the doctor (Diagnose).
    Refresh,
    /// Type a text for a purpose (PCB marking, log file, error name, confirmation word).
    AskText(TextPurpose),
    /// Check the display driver of the selected ROM against this phone's panel.
    CheckDisplay,
    /// Resume the interrupted flash job of this phone.
    Resume,
    /// Write the customer's job sheet of the finished repair to a new file.
    WriteSheet,
    /// Start a live UART capture (asks for the adapter's port), or stop the one running.
    Uart,
    /// A character typed into the text popup.
    Type(char),
    /// Delete the last typed character.
    Erase,
    /// Yes, in a confirm popup.
    Yes,
    /// No, in a confirm popup.
    No,
    /// The terminal changed size: draw again.
    Resize,
    /// The animation timer ticked (only while something moves).
    Tick,
    /// The serial ports the host sees now.
    PortsListed(Result<Vec<PortInfo>, String>),
    /// The host doctor's findings.
    DoctorDone(Vec<Problem>),
    /// The ROM library's rows.
    LibraryLoaded(Result<Vec<LibraryRow>, String>),
    /// A boot log analysed.
    LogAnalyzed {
        /// The file.
        path: PathBuf,
        /// The analysis, or what went wrong reading it.
        result: Result<Analysis, String>,
    },
    /// The device job reported progress.
    Progress(ProgressEvent),
    /// The visit waits, the phone connected on `port`, for the technician to choose the
    /// ROM and mode; `refused` is why the last choice could not be carried out (what
    /// happened, what to do).
    Choosing {
        /// The port the phone is on.
        port: String,
        /// Why the last choice was refused, if it was.
        refused: Option<(String, String)>,
    },
    /// The board ranking and every library package's verdict for this phone.
    LibraryMatched(Result<Box<LibraryMatch>, String>),
    /// The identity backups this phone has in the store, oldest first.
    BackupsFound(Vec<BackupDone>),
    /// An interrupted flash job for this phone was found (or none).
    Unfinished(Option<Box<JobRecord>>),
    /// An interrupted flash job was resumed to its end.
    Resumed(Box<Flashed>),
    /// An event of the guided repair.
    Repair(Box<RepairEvent>),
    /// The guided repair's report (it ended: repaired, or not confirmed).
    Repaired(Box<RepairReport>),
    /// A device job ended: how the session closed (Ok), or what went wrong and what to do
    /// (Err).
    JobEnded(Result<String, (String, String)>),
    /// The customer's job sheet was written to this new file, or why it was not.
    SheetWritten(Result<PathBuf, String>),
    /// A live UART capture reported progress (one line, in a technician's words).
    UartUpdate(String),
    /// A UART capture ended: where it was saved and its analysis, or what went wrong.
    UartEnded(Result<(PathBuf, Analysis), String>),
    /// The display check of one ROM.
    DisplayChecked {
        /// The package checked.
        rom: PathBuf,
        /// The verdict, or why there is none.
        result: Result<Box<LcmVerdict>, String>,
    },
}

/// A side effect the reducer asks for; the runner carries it out and reports back with an
/// [`Action`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Leave the event loop and restore the terminal (an open session is ended first).
    Quit,
    /// Arm: the visit in one connection (wait for the phone, identify it, then wait for
    /// the technician's choice).
    Visit,
    /// Look for the identity backups this phone has.
    FindBackups {
        /// The phone's device key.
        device_key: String,
    },
    /// Look for an interrupted flash job of this phone.
    FindUnfinished {
        /// The phone's device key.
        device_key: String,
    },
    /// Resume this interrupted flash job.
    Resume {
        /// Its id.
        id: String,
    },
    /// The technician's choice for the connected phone: this ROM in this mode.
    Choose {
        /// The ROM package (absolute path).
        rom: PathBuf,
        /// SP Flash Tool's mode.
        mode: FlashMode,
        /// The PCB marking typed, if any.
        marking: Option<String>,
    },
    /// End the visit without a repair: nothing is written, the session ends.
    EndVisit,
    /// The technician's answer to the plan (true: write it).
    AnswerPlan(bool),
    /// Stop the running job between two packets.
    CancelJob,
    /// List the serial ports.
    ListPorts,
    /// Run the host doctor.
    RunDoctor,
    /// Read the ROM library's index.
    LoadLibrary,
    /// Rank the boards and the library's packages for this phone (with its marking).
    MatchLibrary {
        /// The phone.
        fingerprint: Box<Fingerprint>,
        /// The board the technician chose (`None`: the ranking's best).
        profile: Option<String>,
    },
    /// Analyse a boot log file.
    AnalyzeLog(PathBuf),
    /// Capture the phone's debug UART through the adapter on `port`, analysing as it comes.
    CaptureUart {
        /// The adapter's port.
        port: String,
    },
    /// Stop the UART capture (what arrived is kept and analysed).
    StopUart,
    /// Write this job sheet to a new file of the data folder's `sheets`.
    WriteSheet(Box<Sheet>),
    /// Check a ROM's display drivers against the phone's panel evidence.
    CheckDisplay {
        /// The package (absolute path).
        rom: PathBuf,
        /// The board profile whose panels are the evidence, when one is chosen.
        profile: Option<String>,
    },
}
