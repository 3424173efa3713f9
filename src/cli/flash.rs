//! `mtkbench flash`: flash a ROM package in one of SP Flash Tool's modes. For now it plans:
//! `--dry-run` prints the plan [`crate::flash::build`] makes and writes nothing.
//!
//! The phone's facts come from a live identify (`--port`) or, offline, from a fingerprint
//! saved by `identify --json` (`--fingerprint FILE`). This file parses, calls the library and
//! prints: it must not decide what is written.

use std::path::PathBuf;

use serde::Serialize;

use super::device::{DeviceArgs, start, warn_if_not_rebooted};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    device::Fingerprint,
    error::HostError,
    firmware::rom::Problem,
    flash::{self, Action, DeviceFacts, Mode, Overrides, Plan, Request},
};

/// `mtkbench flash`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("phone").required(true).args(["port", "fingerprint"])))]
pub struct Args {
    /// How to reach the phone.
    #[command(flatten)]
    pub device: Option<DeviceArgs>,
    /// Plan against a fingerprint saved with `mtkbench identify --json > FILE` instead of a
    /// connected phone (only with --dry-run).
    #[arg(long, value_name = "FILE", requires = "dry_run")]
    pub fingerprint: Option<PathBuf>,
    /// The ROM package: a folder, a .zip of one, or its scatter file.
    #[arg(long, value_name = "DIR|ZIP")]
    pub rom: PathBuf,
    /// SP Flash Tool's mode.
    #[arg(long, value_parser = clap::builder::ValueParser::new(parse_mode), value_name = "download-only|firmware-upgrade|format-all")]
    pub mode: Mode,
    /// Download Only: write only these partitions (comma-separated, any case).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub partitions: Option<Vec<String>>,
    /// Show the plan and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not read back and compare what was written.
    #[arg(long)]
    pub no_verify: bool,
    /// Write the ROM's preloader even though it is not confirmed to be built for this board
    /// (a wrong preloader is a hard brick).
    #[arg(long)]
    pub preloader_of_another_board: bool,
    /// Format All + Download: confirms that the phone's identity partitions are erased (and
    /// restored from its verified backup).
    #[arg(long)]
    pub i_understand_this_erases_identity: bool,
}

fn parse_mode(text: &str) -> std::result::Result<Mode, String> {
    text.parse()
}

/// What `flash --dry-run` prints.
#[derive(Debug, Serialize)]
pub struct PlanReport {
    /// The ROM package.
    pub rom: PathBuf,
    /// True: nothing was written.
    pub dry_run: bool,
    /// The plan.
    pub plan: Plan,
    /// Errors `rom inspect` found in the package.
    pub rom_errors: Vec<Problem>,
}

impl Report for PlanReport {
    fn human(&self) -> String {
        let plan = &self.plan;
        let mut out = format!(
            "Plan: {} of {} on phone {}\n",
            plan.mode().title(),
            self.rom.display(),
            plan.device_key()
        );
        if let Some(id) = plan.backup() {
            out.push_str(&format!("Identity backup used: {id}\n"));
        }
        out.push_str("  # action  partition    region     address      length\n");
        for (i, s) in plan.steps().iter().enumerate() {
            let range = if s.action().changes_phone() || s.action() == Action::Backup {
                format!("{:>#11x} {:>#11x}", s.addr(), s.length())
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{:>3} {:<7} {:<12} {:<6} {range}\n      {}\n",
                i + 1,
                format!("{:?}", s.action()).to_lowercase(),
                s.partition(),
                s.region().as_str(),
                s.why()
            ));
        }
        for w in plan.warnings() {
            out.push_str(&format!("warning: {w}\n"));
        }
        for p in &self.rom_errors {
            out.push_str(&format!("ROM error: {}\n", p.message));
        }
        out.push_str(&format!(
            "{} bytes to write.{}\n",
            plan.bytes_to_write(),
            if self.dry_run {
                " Dry run: nothing was written."
            } else {
                ""
            }
        ));
        out
    }
}

/// Runs `mtkbench flash`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    if !args.dry_run {
        return Err(HostError::Usage(
            "flash writes nothing yet in this build: add --dry-run to see the plan".into(),
        )
        .into());
    }
    let (rom, rom_errors) = flash::read_rom(&args.rom)?;
    let fingerprint = match (&args.fingerprint, &args.device) {
        (Some(path), _) => read_fingerprint(path)?,
        (None, Some(device)) => identify(device, ctx)?,
        (None, None) => {
            return Err(HostError::Usage("give --port or --fingerprint".into()).into());
        }
    };
    let device = DeviceFacts::from_fingerprint(&fingerprint);
    let request = Request {
        mode: args.mode,
        selection: args.partitions.as_deref(),
        backup: None,
        overrides: Overrides {
            preloader_of_another_board: args.preloader_of_another_board,
            erases_identity: args.i_understand_this_erases_identity,
        },
    };
    let plan = flash::build(&device, &rom, &request)?;
    emit(
        ctx,
        &PlanReport {
            rom: args.rom,
            dry_run: true,
            plan,
            rom_errors,
        },
    )
}

fn read_fingerprint(path: &std::path::Path) -> Result<Fingerprint> {
    let text = std::fs::read_to_string(path).map_err(|e| HostError::io("read", path, e))?;
    serde_json::from_str(&text).map_err(|e| {
        HostError::Usage(format!(
            "{} is not a fingerprint saved by `mtkbench identify --json`: {e}",
            path.display()
        ))
        .into()
    })
}

fn identify(device: &DeviceArgs, ctx: &Ctx) -> Result<Fingerprint> {
    let done = start(device, ctx)?.run(|phone| Ok(phone.fingerprint()))?;
    warn_if_not_rebooted(&done);
    Ok(done.value)
}
