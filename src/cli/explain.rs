//! `mtkbench explain CODE|NAME`: what an error means, why it happens on MT6572 phones, how to
//! fix it and which mtkbench step helps. Unknown codes exit with 2 and close names.
//!
//! The table and the lookup are [`crate::diag::explain`]'s; this file only renders the
//! matches and must not hold error knowledge of its own.

use clap::Args;
use serde::Serialize;

use super::text::{WIDTH, wrap_indented};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    diag::explain::{Match, Table, Via},
};

/// Arguments of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A name (S_DA_NAND_BAD_BLOCK, STATUS_PRELOADER_INVALID, mtkbench::port_busy), a number
    /// in decimal or hex (3012, 0xBC4), or a whole pasted error line.
    #[arg(required = true, num_args = 1.., value_name = "CODE|NAME")]
    pub query: Vec<String>,
}

/// Runs `explain`.
pub fn run(args: ExplainArgs, ctx: &Ctx) -> Result<()> {
    let table = Table::builtin()?;
    let query = args.query.join(" ");
    let matches = table.lookup(&query)?;
    emit(ctx, &ExplainReport { query, matches })
}

/// The result of `explain`.
#[derive(Debug, Serialize)]
pub struct ExplainReport<'a> {
    /// What was asked.
    pub query: String,
    /// Every entry it stands for (several when a number changed meaning between versions).
    pub matches: Vec<Match<'a>>,
}

impl Report for ExplainReport<'_> {
    fn human(&self) -> String {
        let mut out = String::new();
        if let [first, _, ..] = self.matches.as_slice()
            && let Via::Number { value, .. } = first.via
        {
            out.push_str(&wrap_indented(
                &format!(
                    "{value} (0x{value:X}) has meant {} different errors; tools renumber their \
                     errors between versions, so the name the tool printed decides.",
                    self.matches.len()
                ),
                WIDTH,
                "",
            ));
            out.push('\n');
        }
        for (i, m) in self.matches.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let e = m.entry;
            let codes: Vec<String> = e.codes.iter().map(|c| format!("{c} = 0x{c:X}")).collect();
            let numbers = if codes.is_empty() {
                String::new()
            } else {
                format!("; {}", codes.join(", "))
            };
            out.push_str(&wrap_indented(
                &format!("{} ({}{numbers})", e.name, e.source.label()),
                WIDTH,
                "",
            ));
            for (label, text) in [
                ("Meaning:", &e.meaning),
                ("Usual cause on MT6572:", &e.cause),
                ("Fix:", &e.fix),
                ("mtkbench step:", &e.step),
            ] {
                out.push_str(&wrap_indented(&format!("{label} {text}"), WIDTH, "  "));
            }
            if !e.aliases.is_empty() {
                out.push_str(&wrap_indented(
                    &format!("Also printed as: {}", e.aliases.join(" | ")),
                    WIDTH,
                    "  ",
                ));
            }
        }
        out
    }
}
