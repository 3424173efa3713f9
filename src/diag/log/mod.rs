//! Boot-log analysis: what kind each input is, how it splits into boot attempts, and which
//! rules of the rule base it triggers.
//!
//! Pure: the [`Analyzer`] is fed bytes or lines (from a file, standard input or, later, a live
//! UART capture) and returns an [`Analysis`] value. No file or port I/O here, and no printing:
//! the command line renders the analysis.

mod analyzer;
mod kind;
pub mod lines;

use serde::Serialize;

pub use analyzer::Analyzer;
pub use kind::{LogKind, detect_kind};

use super::rules::{BootMode, EndReason, Severity, Stage};

/// Everything `diagnose log` found in its inputs.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The inputs, in the order they were given.
    pub inputs: Vec<InputSummary>,
    /// Boot attempts, input by input, in log order.
    pub boots: Vec<Boot>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
}

/// One input file.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    /// The path as given (or `-` for standard input).
    pub path: String,
    /// What kind of log it is.
    pub kind: LogKind,
    /// Lines read (for binary dumps: printable runs found).
    pub lines: u64,
    /// Bytes read.
    pub bytes: u64,
}

/// One boot attempt.
#[derive(Debug, Clone, Serialize)]
pub struct Boot {
    /// Index of the input it was found in.
    pub input: usize,
    /// First line of the attempt.
    pub start_line: u64,
    /// Last line of the attempt.
    pub end_line: u64,
    /// How far it got.
    pub reached: Stage,
    /// The mode it booted into, when the log shows it.
    pub mode: Option<BootMode>,
    /// Why it ended.
    pub ended_by: EndReason,
    /// The line that shows why it ended (none when the reason is inferred).
    pub end_evidence: Option<Evidence>,
    /// Preloader + LK time as they report it, plus the last kernel timestamp; for a logcat,
    /// the span of its timestamps. `None` when the log carries no clock.
    pub duration_ms: Option<u64>,
}

/// One finding: a rule that fired.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The rule's id.
    pub id: String,
    /// How serious it is.
    pub severity: Severity,
    /// One line, filled from the evidence.
    pub title: String,
    /// What it means.
    pub explanation: String,
    /// What to do.
    pub fix: String,
    /// How many lines (or boots, as the rule counts) matched.
    pub count: u64,
    /// Indexes (into `boots`) of the boot attempts it was seen in.
    pub boots: Vec<usize>,
    /// The lines that show it, in log order.
    pub evidence: Vec<Evidence>,
}

/// A quoted log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Index of the input.
    pub input: usize,
    /// 1-based line number in that input.
    pub line: u64,
    /// The line, cleaned of control characters and cut to a readable length.
    pub text: String,
}

impl Analysis {
    /// The finding of the rule with this id, if it fired.
    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.findings.iter().find(|f| f.id == id)
    }
}
