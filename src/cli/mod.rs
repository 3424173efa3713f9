//! The command line: clap definitions, dispatch, and how reports reach the terminal.
//!
//! Each subcommand lives in its own file with an `Args` struct and a `run` function that calls
//! the library and returns a [`Report`]. This module prints it: as one JSON document on stdout
//! with `--json`, as plain text otherwise. Errors go to stderr with the next step to take, and
//! set the exit code (0 ok and clean, 1 failed or the input has errors (the report still
//! prints, see [`emit_judged`]), 2 the input could not be read or the arguments are wrong). No
//! command logic lives here.

pub mod backup;
pub mod backups;
pub mod diagnose;
pub mod doctor;
pub mod explain;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::{Result, logging, places::Places};

pub mod device;
pub mod diagnose_expdb;
pub mod diagnose_lcm;
pub mod diagnose_uart;
pub mod erase;
pub mod flash;
pub mod history;
pub mod identify;
pub mod library;
pub mod library_match;
pub mod ports;
pub mod profiles;
pub mod progress;
pub mod readback;
pub mod repair;
pub mod rom;
pub mod scatter;
pub mod sim;
pub(crate) mod text;
pub mod write;

/// mtkbench: repair workstation for MediaTek MT6572 phones.
#[derive(Debug, Parser)]
#[command(name = "mtkbench", version, about, long_about = None)]
pub struct Cli {
    /// Print one JSON document on stdout and nothing else (errors still go to stderr).
    #[arg(long, global = true)]
    pub json: bool,

    /// Open the workstation against the built-in simulated phone and a demo ROM library
    /// (no hardware needed).
    #[arg(long)]
    pub demo: bool,

    /// With --demo: start with a dead phone (its preloader erased) to practise the recovery;
    /// its identity backup from an earlier visit gives the RAM settings.
    #[arg(long, requires = "demo")]
    pub dead_boot: bool,

    /// Draw with plain ASCII (for terminals without box-drawing glyphs).
    #[arg(long)]
    pub ascii: bool,

    /// The workstation's download agent (MTK_AllInOne_DA.bin from SP Flash Tool)
    /// [default: the one remembered in config.toml].
    #[arg(long, value_name = "FILE")]
    pub da: Option<PathBuf>,

    /// What to do; without a command, the workstation opens and waits for a phone.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and check SP Flash Tool scatter files.
    #[command(subcommand)]
    Scatter(scatter::ScatterCommand),
    /// Inspect ROM packages (a folder or a .zip with a scatter file and images).
    #[command(subcommand)]
    Rom(rom::RomCommand),
    /// Board profiles: list, show one, check a folder of your own.
    Profiles(profiles::Args),
    /// The ROM library: index the packages in it, and list them.
    #[command(subcommand)]
    Library(library::LibraryCommand),
    /// Serial ports with their USB ids and mode (BROM, preloader).
    Ports(ports::Args),
    /// Connect to a phone and print its fingerprint: chip, security, storage, RAM, partitions.
    Identify(identify::Args),
    /// Read a partition or storage region into a file (never writes to the phone).
    Readback(readback::Args),
    /// Write a file to a partition (refuses the NVRAM set and PRELOADER without
    /// --force-identity-partition).
    Write(write::Args),
    /// The whole guided repair in one connection: identify, check the ROM, plan, flash,
    /// verify, reboot.
    Repair(repair::Args),
    /// Flash a ROM in SP Flash Tool's modes (Download Only, Firmware Upgrade, Format All +
    /// Download); --dry-run shows the plan and writes nothing.
    Flash(flash::Args),
    /// Erase a partition (refuses the NVRAM set and PRELOADER without
    /// --force-identity-partition).
    Erase(erase::Args),
    /// Run a simulated MT6572 on a pseudo-terminal (for training and tests).
    Sim(sim::Args),
    /// Find out why a phone does not boot (`diagnose log`) or will not show a picture after
    /// a ROM (`diagnose lcm`).
    #[command(subcommand)]
    Diagnose(diagnose::DiagnoseCommand),
    /// Explain an error: BROM/preloader status, S_DA_*, SP Flash Tool or mtkbench error.
    Explain(explain::ExplainArgs),
    /// Check this computer for what breaks flashing (Linux): ModemManager, udev, groups.
    Doctor(doctor::DoctorArgs),
    /// Back up the phone's identity (NVRAM set, SECCFG, preloader, MBR/EBR, UBOOT), each
    /// partition read twice and compared.
    Backup(backup::BackupArgs),
    /// Restore a backup of this phone (the NVRAM set by default), verified by reading back.
    Restore(backup::RestoreArgs),
    /// The backup store: list the backups, verify one (re-hash), show its manifest.
    #[command(subcommand)]
    Backups(backups::BackupsCommand),
    /// The repair journal: every identify, backup, restore and flash, filtered.
    History(history::HistoryArgs),
    /// Print (or write with --out) the job sheet of one job for the customer.
    Report(history::ReportArgs),
}

/// What every command needs besides its own arguments.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// `--json` was given.
    pub json: bool,
    /// The config, data, cache and log folders.
    pub places: Places,
}

/// A command's result: serialisable for `--json`, and readable by a person.
pub trait Report: Serialize {
    /// The plain-text rendering for a terminal.
    fn human(&self) -> String;
}

/// Prints a report in the form the user asked for.
pub fn emit<R: Report>(ctx: &Ctx, report: &R) -> Result<()> {
    if ctx.json {
        let text = serde_json::to_string_pretty(report).map_err(|e| {
            crate::error::HostError::Usage(format!("cannot encode the report as JSON: {e}"))
        })?;
        println!("{text}");
    } else {
        print!("{}", report.human());
    }
    Ok(())
}

/// A file or package was read and reported in full, and the report lists errors: the command
/// exits 1 (2 is kept for input that cannot be read at all, 0 for a clean one), so a script
/// can trust the exit code while a person reads the report.
#[derive(Debug, thiserror::Error)]
#[error("{what} has {errors} error(s); the report lists them")]
pub struct HasErrors {
    /// What was checked (`the ROM package`, `the scatter file`).
    pub what: &'static str,
    /// How many errors the report lists.
    pub errors: usize,
}

impl crate::error::Advice for HasErrors {
    fn help(&self) -> String {
        "do not flash it as it is: each error in the report says what is wrong and what to do"
            .into()
    }

    fn is_bad_input(&self) -> bool {
        false
    }
}

/// [`emit`], then exit 1 through [`HasErrors`] when the report lists `errors`.
pub fn emit_judged<R: Report>(
    ctx: &Ctx,
    report: &R,
    what: &'static str,
    errors: usize,
) -> Result<()> {
    emit(ctx, report)?;
    if errors > 0 {
        return Err(HasErrors { what, errors }.into());
    }
    Ok(())
}

/// Parses the process arguments, runs the command and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let ctx = Ctx {
        json: cli.json,
        places: Places::from_env(),
    };
    // Logging is a help, never a requirement: if the log folder is unwritable we go on.
    let _ = logging::init(&ctx.places.logs);
    tracing::info!(args = ?std::env::args_os().collect::<Vec<_>>(), "start");
    let workstation = crate::tui::Options {
        demo: cli.demo,
        ascii: cli.ascii,
        no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
        library: None,
        da: cli.da,
        dead_boot: cli.dead_boot,
    };
    match run(cli.command, &ctx, &workstation) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!(error = %e, "command failed");
            eprintln!("error: {e}");
            eprintln!("next:  {}", next_step(&e));
            e.exit_code()
        }
    }
}

/// What to do after `e`, in the command line's words: a remedy the library names as a value
/// becomes its flag.
fn next_step(e: &crate::Error) -> String {
    match e
        .downcast_ref::<crate::flash::PlanError>()
        .and_then(crate::flash::PlanError::remedy)
    {
        Some(r) => r.say(&format!("use --mode {}", r.mode.as_str())),
        None => e.help(),
    }
}

/// Runs one parsed command; without one, opens the workstation.
pub fn run(command: Option<Command>, ctx: &Ctx, workstation: &crate::tui::Options) -> Result<()> {
    let Some(command) = command else {
        return crate::tui::run(workstation, &ctx.places);
    };
    match command {
        Command::Scatter(cmd) => scatter::run(cmd, ctx),
        Command::Rom(cmd) => rom::run(cmd, ctx),
        Command::Profiles(args) => profiles::run(args, ctx),
        Command::Library(cmd) => library::run(cmd, ctx),
        Command::Ports(args) => ports::run(args, ctx),
        Command::Identify(args) => identify::run(args, ctx),
        Command::Readback(args) => readback::run(args, ctx),
        Command::Write(args) => write::run(args, ctx),
        Command::Flash(args) => flash::run(args, ctx),
        Command::Repair(args) => repair::run(args, ctx),
        Command::Erase(args) => erase::run(args, ctx),
        Command::Sim(args) => sim::run(args, ctx),
        Command::Diagnose(command) => diagnose::run(command, ctx),
        Command::Explain(args) => explain::run(args, ctx),
        Command::Doctor(args) => doctor::run(args, ctx),
        Command::Backup(args) => backup::run_backup(args, ctx),
        Command::Restore(args) => backup::run_restore(args, ctx),
        Command::Backups(cmd) => backups::run(cmd, ctx),
        Command::History(args) => history::run_history(args, ctx),
        Command::Report(args) => history::run_report(args, ctx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remedy_named_as_a_mode_is_said_as_its_flag() {
        let e: crate::Error = crate::flash::PlanError::LayoutDiffers {
            differences: Vec::new(),
        }
        .into();
        let next = next_step(&e);
        assert!(
            next.starts_with("use --mode firmware-upgrade: it backs up the NVRAM set"),
            "{next}"
        );
        assert!(
            next.ends_with("or pick a ROM with this phone's layout"),
            "{next}"
        );
        let other: crate::Error = crate::error::HostError::Usage("x".into()).into();
        assert_eq!(next_step(&other), other.help());
    }
}
