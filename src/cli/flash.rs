//! `mtkbench flash`: flash a ROM package in one of SP Flash Tool's modes, in one connection
//! ([`crate::flash::execute::flash`]), or continue an interrupted one (`--resume`,
//! [`crate::flash::execute::resume`]). `--dry-run` prints the plan [`crate::flash::build`]
//! makes and writes nothing; its phone facts come from a live identify (`--port`) or, offline,
//! from a fingerprint saved by `identify --json` (`--fingerprint FILE`).
//!
//! This file parses, calls the library and prints: it must not decide what is written.

use std::path::PathBuf;

use serde::Serialize;

use super::device::{DeviceArgs, NOT_REBOOTED, start, warn_if_not_rebooted};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    error::HostError,
    firmware::rom::Problem,
    flash::{
        self, Action, DeviceFacts, Mode, Overrides, Plan, Planning, Request,
        execute::{self, FlashRequest, Flashed},
        record::StepState,
    },
    job::{Done, Fingerprint},
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
    #[arg(long, value_name = "DIR|ZIP", required_unless_present = "resume")]
    pub rom: Option<PathBuf>,
    /// SP Flash Tool's mode.
    #[arg(long, value_parser = clap::builder::ValueParser::new(parse_mode), value_name = "download-only|firmware-upgrade|format-all", required_unless_present = "resume")]
    pub mode: Option<Mode>,
    /// Continue an interrupted flash (default: the newest unfinished job) on the same phone.
    #[arg(long, value_name = "JOB", num_args = 0..=1, default_missing_value = "", conflicts_with_all = ["rom", "mode", "dry_run", "fingerprint"])]
    pub resume: Option<String>,
    /// Download Only: write only these partitions (comma-separated, any case).
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub partitions: Option<Vec<String>>,
    /// Show the plan and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Verification and the technician's explicit decisions.
    #[command(flatten)]
    pub choices: Choices,
}

/// What `flash` and `repair` both take beyond the ROM and the mode.
#[derive(Debug, Clone, clap::Args)]
pub struct Choices {
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

impl Choices {
    /// The overrides these flags give.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            preloader_of_another_board: self.preloader_of_another_board,
            erases_identity: self.i_understand_this_erases_identity,
        }
    }
}

/// Parses `--mode`.
pub fn parse_mode(text: &str) -> std::result::Result<Mode, String> {
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
        out.push_str(&plan_table(plan));
        out.push_str(&plan.identity_line());
        out.push('\n');
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

/// What `flash` prints once it ran.
#[derive(Debug, Serialize)]
pub struct FlashReport {
    /// The port used.
    pub port: String,
    /// What was done.
    #[serde(flatten)]
    pub flashed: Flashed,
    /// Whether the phone was told to reboot at the end.
    pub rebooted: bool,
}

impl Report for FlashReport {
    fn human(&self) -> String {
        let f = &self.flashed;
        let mut out = format!(
            "{} on {}: job {}\n",
            f.plan.mode().title(),
            self.port,
            f.job
        );
        if f.resumed_from > 0 {
            out.push_str(&format!(
                "Resumed: {} step(s) were complete before the interruption.\n",
                f.resumed_from
            ));
        }
        if let Some(b) = &f.backup {
            out.push_str(&format!(
                "The phone's identity is restored from backup {b} (`mtkbench backups show {b}`).\n"
            ));
        }
        for s in f.steps.iter().filter(|s| s.action != Action::Keep) {
            let state = match (s.action, s.state) {
                (Action::Skip, _) => "skipped",
                (_, StepState::Verified) => "verified",
                (_, StepState::Done) => "done",
                (_, StepState::Pending) => "not done",
            };
            out.push_str(&format!(
                "  {:<7} {:<12} {state}\n",
                format!("{:?}", s.action).to_lowercase(),
                s.partition
            ));
        }
        for w in f.plan.warnings() {
            out.push_str(&format!("warning: {w}\n"));
        }
        if !self.rebooted {
            out.push_str(NOT_REBOOTED);
        }
        out
    }
}

/// The plan as a table: per step the action, partition, region, address and length, and why;
/// then the plan's warnings.
pub(crate) fn plan_table(plan: &Plan) -> String {
    let mut out = String::from("  # action  partition    region     address      length\n");
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
            s.region().as_short(),
            s.why()
        ));
    }
    for w in plan.warnings() {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// Runs `mtkbench flash`.
pub fn run(args: Args, ctx: &Ctx) -> Result<()> {
    let jobs = ctx.places.jobs();
    let usage = |m: &str| -> crate::Error { HostError::Usage(m.into()).into() };
    if let Some(id) = &args.resume {
        let device = args
            .device
            .as_ref()
            .ok_or_else(|| usage("--resume needs --port: the phone must be connected"))?;
        let id = (!id.is_empty()).then_some(id.as_str());
        let journal = super::backup::journal(ctx);
        let done = execute::resume_journaled(start(device, ctx)?, id, &jobs, journal.as_ref())?;
        return report(done, ctx);
    }
    let (Some(rom_path), Some(mode)) = (args.rom.clone(), args.mode) else {
        return Err(usage("give --rom and --mode (or --resume)"));
    };
    let overrides = args.choices.overrides();
    if !args.dry_run {
        let device = args.device.as_ref().ok_or_else(|| {
            usage("flashing needs --port; a saved --fingerprint only plans (add --dry-run)")
        })?;
        let request = FlashRequest {
            rom: rom_path,
            mode,
            selection: args.partitions.clone(),
            overrides,
            verify: !args.choices.no_verify,
        };
        let journal = super::backup::journal(ctx);
        let done =
            execute::flash_journaled(start(device, ctx)?, &request, &jobs, journal.as_ref())?;
        return report(done, ctx);
    }
    let rom = flash::load_rom(&rom_path)?;
    let fingerprint = match (&args.fingerprint, &args.device) {
        (Some(path), _) => read_fingerprint(path)?,
        (None, Some(device)) => identify(device, ctx)?,
        (None, None) => return Err(usage("give --port or --fingerprint")),
    };
    let device = DeviceFacts::from_fingerprint(&fingerprint);
    let backups = crate::backup::Store::new(&ctx.places.data);
    let found = execute::verified_backup(&backups, &device, mode, false);
    let request = Request {
        mode,
        selection: args.partitions.as_deref(),
        backup: found.as_ref(),
        overrides,
        // A dry run only shows the plan: Format All + Download not yet confirmed is shown
        // with the confirmation it needs (never without a verified backup).
        planning: Planning {
            preview: true,
            ..Planning::default()
        },
    };
    let plan = flash::build(&device, &rom.view, &request)?;
    emit(
        ctx,
        &PlanReport {
            rom: rom_path,
            dry_run: true,
            plan,
            rom_errors: rom.errors,
        },
    )
}

fn report(done: Done<Flashed>, ctx: &Ctx) -> Result<()> {
    warn_if_not_rebooted(&done);
    let rebooted = done.rebooted();
    emit(
        ctx,
        &FlashReport {
            port: done.port,
            flashed: done.value,
            rebooted,
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
    let done =
        start(device, ctx)?.run(|phone| crate::engine::identify::fingerprint(phone, None))?;
    warn_if_not_rebooted(&done);
    Ok(done.value)
}
