//! Diagnostics: boot-log analysis, the display-driver (LCM) check, the error explainer and the
//! host doctor.
//! Progress and results are values; this module never draws and never imports `tui` or
//! `device`. Of `transport` it uses only the [`Transport`](crate::transport::Transport) trait
//! (in [`uart`]), never a concrete port.
//!
//! - [`rules`]: the rule base (stage markers, boot endings, findings) loaded from `rules.toml`.
//! - [`log`]: input kind detection and the streaming [`log::Analyzer`] (pure, fed lines or bytes).
//! - [`lcm`]: will this ROM light this phone's panel (lk and kernel drivers against the evidence).
//! - [`explain`]: what every BROM, DA, SP Flash Tool and mtkbench error means (`explain.toml`).
//! - [`doctor`]: Linux host checks over a [`doctor::HostFacts`] snapshot.
//! - [`uart`]: live capture of the phone's debug console into a file and the same analyzer.
//!
//! The only file I/O here is [`analyze_files`], [`doctor::HostFacts::gather`] and
//! [`uart::CaptureFile`]; everything else works on bytes and values so that a live UART
//! capture feeds the same analyzer as a file.

pub mod doctor;
pub mod explain;
pub mod lcm;
pub mod log;
pub mod rules;
pub mod uart;

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use crate::error::{Advice, HostError};

/// Errors of the diagnostics layer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DiagError {
    /// A data file (the built-in rule base or error table, or one handed to us) does not pass
    /// its checks.
    #[error("{origin} is not a valid {what}:\n  - {}", problems.join("\n  - "))]
    InvalidData {
        /// Where the text came from (`built-in rules.toml`, a path).
        origin: String,
        /// What it should have been ("rule base", "error table").
        what: &'static str,
        /// Every problem found, each naming the entry and the field.
        problems: Vec<String>,
    },
    /// `mtkbench explain` was given a code or name that no entry knows.
    #[error("no entry explains `{query}`")]
    UnknownCode {
        /// What the technician typed.
        query: String,
        /// Known names that look close to it.
        suggestions: Vec<String>,
    },
}

impl Advice for DiagError {
    fn help(&self) -> String {
        match self {
            DiagError::InvalidData { origin, .. } if origin.starts_with("built-in") => {
                "this build of mtkbench is broken; please report it (the test suite should have \
                 caught this)"
                    .into()
            }
            DiagError::InvalidData { .. } => "fix the entries listed above and try again".into(),
            DiagError::UnknownCode { suggestions, .. } if !suggestions.is_empty() => format!(
                "did you mean {}? Names are matched without regard to case; numbers may be \
                 decimal (3012) or hex (0xBC4)",
                suggestions.join(", ")
            ),
            DiagError::UnknownCode { .. } => {
                "type the name as the tool printed it (S_DA_..., S_FT_..., STATUS_...), or the \
                 number in decimal or 0x-hex"
                    .into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        match self {
            DiagError::InvalidData { origin, .. } => !origin.starts_with("built-in"),
            DiagError::UnknownCode { .. } => true,
        }
    }
}

/// How much of a file [`analyze_files`] reads before it decides what kind of log it is.
const HEAD_BYTES: usize = 64 * 1024;
/// Read size for the rest of the file.
const CHUNK_BYTES: usize = 256 * 1024;

/// Analyses log files (`-` is standard input): detects each one's kind from its name and first
/// bytes, streams it through one [`log::Analyzer`], and returns the combined analysis.
/// Memory stays bounded by the evidence kept, not by the size of the files.
pub fn analyze_files(paths: &[PathBuf], rules: &rules::RuleBase) -> crate::Result<log::Analysis> {
    let mut analyzer = log::Analyzer::new(rules);
    for path in paths {
        if path == Path::new("-") {
            feed(&mut analyzer, "-", std::io::stdin().lock(), path)?;
        } else {
            let file = std::fs::File::open(path).map_err(|e| HostError::io("read", path, e))?;
            feed(&mut analyzer, &path.display().to_string(), file, path)?;
        }
    }
    Ok(analyzer.finish())
}

fn feed(
    analyzer: &mut log::Analyzer<'_>,
    label: &str,
    mut reader: impl Read,
    path: &Path,
) -> crate::Result<()> {
    let read_err = |e| HostError::io("read", path, e);
    let mut head = vec![0u8; HEAD_BYTES];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(e).into()),
        }
    }
    head.truncate(filled);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    analyzer.begin_input(label, log::detect_kind(name, &head));
    analyzer.push_bytes(&head);
    let mut chunk = vec![0u8; CHUNK_BYTES];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => analyzer.push_bytes(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(e).into()),
        }
    }
    analyzer.end_input();
    Ok(())
}
