//! `mtkbench repair`: the whole guided repair in one connection ([`crate::repair::run`]).
//! Headless, the flags are the confirmation: the plan is printed on stderr before anything is
//! written, and `--dry-run` stops there. This file parses, renders events and prints: the
//! flow and every check are the library's.

use std::path::PathBuf;

use super::{
    device::{DeviceArgs, NOT_REBOOTED, start, warn_if_not_rebooted},
    flash::{Choices, parse_mode, plan_table},
};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    flash::{Mode, Plan, execute::FlashRequest},
    repair::{self, Outcome, RepairDriver, RepairEvent, RepairReport, RepairStep},
};

/// `mtkbench repair`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: DeviceArgs,
    /// The ROM package: a folder, a .zip of one, or its scatter file.
    #[arg(long, value_name = "PKG")]
    pub rom: PathBuf,
    /// SP Flash Tool's mode.
    #[arg(long, value_parser = clap::builder::ValueParser::new(parse_mode), value_name = "download-only|firmware-upgrade|format-all")]
    pub mode: Mode,
    /// Identify, check and plan, then stop: nothing is written.
    #[arg(long)]
    pub dry_run: bool,
    /// Verification and the technician's explicit decisions.
    #[command(flatten)]
    pub choices: Choices,
}

/// What `repair` prints.
#[derive(Debug, serde::Serialize)]
pub struct RepairOutput {
    /// The port used.
    pub port: String,
    /// The whole job.
    #[serde(flatten)]
    pub report: RepairReport,
    /// Whether the phone was told to reboot at the end.
    pub rebooted: bool,
}

impl Report for RepairOutput {
    fn human(&self) -> String {
        let r = &self.report;
        let mut out = match r.outcome {
            Outcome::Repaired => format!("Repaired ({}) on {}.\n", r.plan.mode(), self.port),
            Outcome::Planned => "Dry run: the plan above was not carried out.\n".into(),
            Outcome::NotConfirmed => "Not confirmed: nothing was written.\n".into(),
        };
        out.push_str(&format!("Identity backup: {}\n", r.backup));
        if let Some(f) = &r.flashed {
            let t = f.tally();
            out.push_str(&format!(
                "Job {}: {} of {} partition(s) written and verified{}.\n",
                f.job,
                t.verified,
                t.written,
                match t.erased {
                    0 => String::new(),
                    n => format!(", {n} range(s) erased"),
                }
            ));
        }
        if let Some(sheet) = &r.sheet {
            out.push_str(&sheet.text());
            out.push_str(&format!(
                "Next: mtkbench report {} --out FILE writes this sheet for the customer.\n",
                sheet.job
            ));
        }
        if !self.rebooted {
            out.push_str(NOT_REBOOTED);
        }
        out
    }
}

/// Renders the repair's events on stderr; the flags were the confirmation.
struct Headless;

impl RepairDriver for Headless {
    fn event(&mut self, event: &RepairEvent) {
        match event {
            RepairEvent::Started(step) => eprintln!("== {}", title(*step)),
            RepairEvent::Identified(f) => eprintln!(
                "   phone {:#06x}, {} partitions",
                f.hw_code,
                f.partitions.len()
            ),
            RepairEvent::RomChecked(findings) if findings.is_empty() => {
                eprintln!("   the ROM fits the phone's board as far as both are known")
            }
            RepairEvent::RomChecked(findings) => {
                for f in findings {
                    eprintln!("   not for this board: {}", f.message);
                }
            }
            RepairEvent::Skipped { step, why } => eprintln!("== {}: {why}", title(*step)),
            RepairEvent::PlanReady(plan) => eprint!("{}", plan_table(plan)),
            RepairEvent::Finished(_) => {}
        }
    }

    fn confirm(&mut self, _plan: &Plan) -> bool {
        true
    }
}

fn title(step: RepairStep) -> &'static str {
    match step {
        RepairStep::Identify => "Identify",
        RepairStep::CheckRom => "Check the ROM against the phone",
        RepairStep::Backup => "Identity backup",
        RepairStep::Plan => "Plan",
        RepairStep::Flash => "Flash and verify",
    }
}

/// Runs `mtkbench repair`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let request = FlashRequest {
        rom: args.rom,
        mode: args.mode,
        selection: None,
        overrides: args.choices.overrides(),
        verify: !args.choices.no_verify,
    };
    let jobs = ctx.places.data.join("jobs");
    let journal = super::backup::journal(ctx);
    let done = repair::run_in(
        start(&args.device, ctx)?,
        &request,
        args.dry_run,
        &jobs,
        &crate::backup::Store::new(&ctx.places.data),
        &mut Headless,
        journal.as_ref(),
    )?;
    warn_if_not_rebooted(&done);
    let rebooted = done.rebooted();
    emit(
        ctx,
        &RepairOutput {
            port: done.port,
            report: done.value,
            rebooted,
        },
    )
}
