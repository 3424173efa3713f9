//! `mtkbench history` (the repair journal, filtered) and `mtkbench report JOB` (the job
//! sheet for the customer).
//!
//! The journal is [`crate::journal`]; this file parses the filters, lays the rows and the sheet
//! out for 80 columns, and writes the sheet to a new file when asked. No journal logic here.

use std::path::PathBuf;

use serde::Serialize;

use crate::{
    Result,
    cli::{Ctx, Report, emit},
    journal::{
        Filter, JobKind, JobRecord, Journal, Outcome,
        sheet::{Sheet, sheet},
    },
};

/// Arguments of `mtkbench history`.
#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Only this phone (the device key that `identify` and `backups list` show).
    #[arg(long, value_name = "KEY")]
    pub device: Option<String>,
    /// Only jobs started on or after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only jobs started on or before this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Only this kind of job.
    #[arg(long, value_enum)]
    pub kind: Option<JobKind>,
    /// Only jobs that ended this way.
    #[arg(long, value_enum)]
    pub outcome: Option<Outcome>,
}

/// Arguments of `mtkbench report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The job number (`mtkbench history` lists them).
    #[arg(value_name = "JOB")]
    pub job: i64,
    /// Write the sheet to this new file instead of the terminal.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// What `history` prints.
#[derive(Debug, Serialize)]
pub struct HistoryReport {
    /// The journal file.
    pub journal: PathBuf,
    /// The jobs, newest first.
    pub jobs: Vec<JobRecord>,
}

fn check_date(flag: &str, date: &Option<String>) -> Result<()> {
    let ok = |d: &str| {
        let b = d.as_bytes();
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    };
    match date {
        Some(d) if !ok(d) => Err(crate::error::HostError::Usage(format!(
            "--{flag} {d:?}: give a day as YYYY-MM-DD, e.g. 2026-12-03"
        ))
        .into()),
        _ => Ok(()),
    }
}

/// Runs `mtkbench history`.
pub fn run_history(args: HistoryArgs, ctx: &Ctx) -> Result<()> {
    check_date("since", &args.since)?;
    check_date("until", &args.until)?;
    let journal = Journal::open_in(&ctx.places.data)?;
    let jobs = journal.list(&Filter {
        device: args.device,
        since: args.since,
        until: args.until,
        kind: args.kind,
        outcome: args.outcome,
    })?;
    emit(
        ctx,
        &HistoryReport {
            journal: ctx.places.data.join(crate::journal::FILE),
            jobs,
        },
    )
}

impl Report for HistoryReport {
    fn human(&self) -> String {
        if self.jobs.is_empty() {
            return "No job in the repair journal matches. Jobs are recorded by identify, \
                    backup, restore and flash.\n"
                .into();
        }
        let mut out = format!(
            "{:>4}  {:<17} {:<8} {:<9} {}\n",
            "JOB", "STARTED (UTC)", "KIND", "OUTCOME", "PHONE / DETAIL"
        );
        for j in &self.jobs {
            let detail = j
                .job
                .backup_id
                .as_ref()
                .map(|b| format!("backup {b}"))
                .or_else(|| j.job.rom.clone())
                .or_else(|| j.error.clone())
                .unwrap_or_default();
            let phone = j.job.device_key.as_deref().unwrap_or("-");
            let line = format!(
                "{:>4}  {:<17} {:<8} {:<9} {} {}",
                j.id,
                j.started.get(..16).unwrap_or(&j.started).replace('T', " "),
                j.kind.as_str(),
                j.outcome.as_str(),
                phone,
                detail
            );
            out.push_str(&crate::cli::text::cut_keeping_end(&line, 80));
            out.push('\n');
        }
        out.push_str("Next: mtkbench report JOB prints the job sheet for the customer.\n");
        out
    }
}

/// What `report` prints.
#[derive(Debug, Serialize)]
pub struct ReportOut {
    /// The sheet.
    pub sheet: Sheet,
    /// The job.
    pub record: JobRecord,
    /// Where the sheet was written, with `--out`.
    pub written: Option<PathBuf>,
}

/// Runs `mtkbench report JOB`.
pub fn run_report(args: ReportArgs, ctx: &Ctx) -> Result<()> {
    let journal = Journal::open_in(&ctx.places.data)?;
    let record = journal.get(args.job)?;
    let s = sheet(&record);
    if let Some(path) = &args.out {
        crate::fsutil::write_new_atomic(path, s.text().as_bytes())?;
    }
    emit(
        ctx,
        &ReportOut {
            sheet: s,
            record,
            written: args.out,
        },
    )
}

impl Report for ReportOut {
    fn human(&self) -> String {
        match &self.written {
            Some(p) => format!(
                "wrote the job sheet of job {} to {}\n",
                self.sheet.job,
                p.display()
            ),
            None => self.sheet.text(),
        }
    }
}
