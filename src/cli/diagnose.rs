//! `mtkbench diagnose ...`: find out why a phone does not boot.
//!
//! `diagnose log FILE...` analyses logs with the built-in rule base and prints the inputs, a
//! boot timeline and the findings with their evidence; `diagnose uart` (in `diagnose_uart.rs`)
//! captures a live console and ends with the same report. The analysis itself lives in
//! [`crate::diag`]; this file only parses arguments and renders text (80 columns).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::{
    Result,
    cli::{
        Ctx, Report, emit,
        text::{WIDTH, wrap_indented},
    },
    diag::{
        self,
        log::{Analysis, Boot},
        rules::RuleBase,
    },
};

/// Boots shown at each end of a long timeline.
const TIMELINE_EDGE: usize = 15;

/// The `diagnose` subcommands.
#[derive(Debug, Subcommand)]
pub enum DiagnoseCommand {
    /// Analyse boot logs: a UART capture, last_kmsg, dmesg, logcat, an SP Flash Tool log, an
    /// mtkbench transcript or the EXPDB partition (the kind of each file is detected); with
    /// --port, the EXPDB partition read from the phone itself.
    Log(LogArgs),
    /// Predict the screen after flashing a ROM: works, white screen from the logo on (lk
    /// lacks the panel driver), black after the logo (the kernel lacks it), or unknown.
    Lcm(super::diagnose_lcm::LcmArgs),
    /// Capture the phone's debug console (preloader, LK, kernel) through a USB-serial adapter:
    /// shows boots and findings as the log streams, saves the raw capture, then reports like
    /// `diagnose log`.
    Uart(super::diagnose_uart::UartArgs),
}

/// Arguments of `diagnose log`: files, or the phone's EXPDB.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["files", "port"])))]
#[command(mut_arg("port", |a| a.required(false).help(super::diagnose_expdb::PORT_HELP)))]
pub struct LogArgs {
    /// Log files to analyse; `-` reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// How to reach the phone, when its EXPDB is read instead of files.
    #[command(flatten)]
    pub device: Option<super::device::DeviceArgs>,
}

/// Runs a `diagnose` subcommand.
pub fn run(command: DiagnoseCommand, ctx: &Ctx) -> Result<()> {
    match command {
        DiagnoseCommand::Log(LogArgs {
            device: Some(device),
            ..
        }) => super::diagnose_expdb::run(&device, ctx),
        DiagnoseCommand::Log(args) => {
            let rules = RuleBase::builtin()?;
            let analysis = diag::analyze_files(&args.files, rules)?;
            emit(ctx, &LogReport(analysis))
        }
        DiagnoseCommand::Lcm(args) => super::diagnose_lcm::run(args, ctx),
        DiagnoseCommand::Uart(args) => super::diagnose_uart::run(args, ctx),
    }
}

/// The result of `diagnose log`: the analysis as it is.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct LogReport(pub Analysis);

impl Report for LogReport {
    fn human(&self) -> String {
        let a = &self.0;
        let mut out = String::new();
        out.push_str("Inputs\n");
        for (i, input) in a.inputs.iter().enumerate() {
            let prefix = format!("  {}. ", i + 1);
            let facts = format!("({}, {} lines)", input.kind.label(), input.lines);
            let what = format!("{}  {facts}", input.path);
            if prefix.chars().count() + what.chars().count() <= WIDTH {
                out.push_str(&format!("{prefix}{what}\n"));
            } else {
                // A long path breaks anywhere; the facts keep a line of their own.
                out.push_str(&hang(&prefix, &input.path, WIDTH, 3));
                out.push_str(&format!("{}{facts}\n", " ".repeat(prefix.chars().count())));
            }
        }
        for (i, input) in a.inputs.iter().enumerate() {
            let boots: Vec<(usize, &Boot)> = a
                .boots
                .iter()
                .enumerate()
                .filter(|(_, b)| b.input == i)
                .collect();
            if boots.is_empty() {
                continue;
            }
            let name = input.path.rsplit(['/', '\\']).next().unwrap_or(&input.path);
            out.push('\n');
            out.push_str(&hang(
                "",
                &format!("Boot attempts in [{}] {name}: {}", i + 1, boots.len()),
                WIDTH,
                1,
            ));
            out.push_str("  boot      line  reached         mode       took      ended by\n");
            let long = boots.len() > 2 * TIMELINE_EDGE + 1;
            for (shown, (n, boot)) in boots.iter().enumerate() {
                if long && shown == TIMELINE_EDGE {
                    let hidden = boots.len() - 2 * TIMELINE_EDGE;
                    out.push_str(&format!("  ... {hidden} more boot attempts ...\n"));
                }
                if long && shown >= TIMELINE_EDGE && shown < boots.len() - TIMELINE_EDGE {
                    continue;
                }
                out.push_str(&timeline_row(*n + 1, boot));
            }
        }
        out.push('\n');
        if a.findings.is_empty() {
            out.push_str("No findings: none of the rules matched these logs.\n");
            return out;
        }
        out.push_str(&format!("Findings: {}\n", a.findings.len()));
        let many_inputs = a.inputs.len() > 1;
        for f in &a.findings {
            out.push('\n');
            let head = format!(
                "[{}] {} ({})",
                f.severity.to_string().to_uppercase(),
                f.title,
                f.id
            );
            out.push_str(&wrap_indented(&head, WIDTH, ""));
            out.push_str(&wrap_indented(&f.explanation, WIDTH, "  "));
            let seen = if f.boots.is_empty() {
                String::new()
            } else {
                format!(" in {}", boot_list(&f.boots))
            };
            out.push_str(&format!("  Evidence ({} matching{seen}):\n", f.count));
            for e in &f.evidence {
                let place = if many_inputs {
                    format!("[{}] L{}", e.input + 1, e.line)
                } else {
                    format!("L{}", e.line)
                };
                out.push_str(&hang(&format!("    {place}: "), &e.text, WIDTH, 3));
            }
            out.push_str(&wrap_indented(&format!("Fix: {}", f.fix), WIDTH, "  "));
        }
        out
    }
}

fn timeline_row(n: usize, b: &Boot) -> String {
    let took = match b.duration_ms {
        Some(ms) if ms < 1000 => format!("{ms} ms"),
        Some(ms) => format!("{:.1} s", ms as f64 / 1000.0),
        None => "-".into(),
    };
    let mut ended = b.ended_by.label().to_string();
    if let Some(e) = &b.end_evidence {
        ended.push_str(&format!(" (L{})", e.line));
    }
    format!(
        "  {n:>4}  {:>8}  {:<14}  {:<9}  {took:<8}  {ended}\n",
        b.start_line,
        b.reached.label(),
        b.mode.map_or("-", |m| m.label()),
    )
}

/// `boots 2, 3, 5-9` (1-based), shortened when long.
fn boot_list(indexes: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < indexes.len() {
        let start = indexes[i];
        let mut end = start;
        while i + 1 < indexes.len() && indexes[i + 1] == end + 1 {
            i += 1;
            end = indexes[i];
        }
        parts.push(if start == end {
            format!("{}", start + 1)
        } else {
            format!("{}-{}", start + 1, end + 1)
        });
        i += 1;
    }
    if parts.len() > 8 {
        let more = parts.len() - 8;
        parts.truncate(8);
        parts.push(format!("and {more} more"));
    }
    let word = if indexes.len() > 1 { "boots" } else { "boot" };
    format!("{word} {}", parts.join(", "))
}

/// `prefix` then `text` broken into `width`-column lines (at any character: log lines have
/// long tokens), continuation lines indented under the text; at most `max_lines`, the last
/// one marked when cut. Ends with a newline.
fn hang(prefix: &str, text: &str, width: usize, max_lines: usize) -> String {
    let indent = prefix.chars().count();
    let room = width.saturating_sub(indent).max(20);
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (i, piece) in chars.chunks(room).enumerate() {
        if i == max_lines {
            out.truncate(out.trim_end_matches('\n').len());
            out.truncate(out.len().saturating_sub(3));
            out.push_str("...\n");
            break;
        }
        if i == 0 {
            out.push_str(prefix);
        } else {
            out.push_str(&" ".repeat(indent));
        }
        out.extend(piece);
        out.push('\n');
    }
    if chars.is_empty() {
        out.push_str(prefix.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_respects_width_and_indent() {
        let text = "one two three four five six seven eight nine ten";
        let w = wrap_indented(text, 20, "  ");
        assert!(
            w.lines().all(|l| l.len() <= 20 && l.starts_with("  ")),
            "{w}"
        );
        assert_eq!(w.split_whitespace().count(), 10);
    }

    #[test]
    fn long_evidence_hangs_under_its_text() {
        let h = hang("    L1: ", &"x".repeat(100), 40, 3);
        let lines: Vec<&str> = h.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.chars().count() <= 40));
        assert!(lines[1].starts_with("        x"));
        let cut = hang("L1: ", &"y".repeat(500), 40, 2);
        assert!(cut.trim_end().ends_with("..."));
        assert_eq!(cut.lines().count(), 2);
    }

    #[test]
    fn boot_lists_are_ranges() {
        assert_eq!(boot_list(&[0]), "boot 1");
        assert_eq!(boot_list(&[1, 2, 3, 5]), "boots 2-4, 6");
    }
}
