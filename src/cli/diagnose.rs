//! `mtkbench diagnose ...`: find out why a phone does not boot.
//!
//! `diagnose log FILE...` analyses logs with the built-in rule base and prints the inputs, a
//! boot timeline and the findings with their evidence. The analysis itself lives in
//! [`crate::diag`]; this file only parses arguments and renders text (80 columns).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::{
    Result,
    cli::{Ctx, Report, emit},
    diag::{
        self,
        log::{Analysis, Boot},
        rules::RuleBase,
    },
};

/// Width the human output is laid out for.
pub(crate) const WIDTH: usize = 80;

/// Boots shown at each end of a long timeline.
const TIMELINE_EDGE: usize = 15;

/// The `diagnose` subcommands.
#[derive(Debug, Subcommand)]
pub enum DiagnoseCommand {
    /// Analyse boot logs: a UART capture, last_kmsg, dmesg, logcat, an SP Flash Tool log, an
    /// mtkbench transcript or the EXPDB partition (the kind of each file is detected).
    Log(LogArgs),
}

/// Arguments of `diagnose log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log files to analyse; `-` reads standard input.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Runs a `diagnose` subcommand.
pub fn run(command: DiagnoseCommand, ctx: &Ctx) -> Result<()> {
    match command {
        DiagnoseCommand::Log(args) => {
            let rules = RuleBase::builtin()?;
            let analysis = diag::analyze_files(&args.files, rules)?;
            emit(ctx, &LogReport(analysis))
        }
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
            out.push_str(&format!(
                "  {}. {}  ({}, {} lines)\n",
                i + 1,
                input.path,
                input.kind.label(),
                input.lines
            ));
        }
        for (i, input) in a.inputs.iter().enumerate() {
            let boots: Vec<(usize, &Boot)> =
                a.boots.iter().enumerate().filter(|(_, b)| b.input == i).collect();
            if boots.is_empty() {
                continue;
            }
            out.push_str(&format!("\nBoot attempts in {}: {}\n", input.path, boots.len()));
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
            out.push_str(&wrap(&head, WIDTH, ""));
            out.push_str(&wrap(&f.explanation, WIDTH, "  "));
            let seen = if f.boots.is_empty() {
                String::new()
            } else {
                format!(" in {}", boot_list(&f.boots))
            };
            out.push_str(&format!("  Evidence ({} matching{seen}):\n", f.count));
            for e in &f.evidence {
                let place = match (many_inputs, a.inputs.get(e.input)) {
                    (true, Some(input)) => format!("{} L{}", file_name(&input.path), e.line),
                    _ => format!("L{}", e.line),
                };
                out.push_str(&cut(&format!("    {place}: {}", e.text), WIDTH));
                out.push('\n');
            }
            out.push_str(&wrap(&format!("Fix: {}", f.fix), WIDTH, "  "));
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

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Cuts a line to `width` characters, marking the cut.
pub(crate) fn cut(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_string();
    }
    let mut s: String = line.chars().take(width.saturating_sub(3)).collect();
    s.push_str("...");
    s
}

/// Word-wraps `text` to `width` columns, every line starting with `indent`; ends with a
/// newline.
pub(crate) fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    let mut empty = true;
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!empty) + word.chars().count();
        if !empty && needed > width {
            out.push_str(&line);
            out.push('\n');
            line = String::from(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    if !empty {
        out.push_str(&line);
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
        let w = wrap(text, 20, "  ");
        assert!(w.lines().all(|l| l.len() <= 20 && l.starts_with("  ")), "{w}");
        assert_eq!(w.split_whitespace().count(), 10);
    }

    #[test]
    fn boot_lists_are_ranges() {
        assert_eq!(boot_list(&[0]), "boot 1");
        assert_eq!(boot_list(&[1, 2, 3, 5]), "boots 2-4, 6");
    }
}
