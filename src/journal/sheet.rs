//! The job sheet handed to the customer: the phone, what was done, whether its identity (IMEI,
//! MACs, calibration) was backed up and restored, and how it ended, in plain words.
//!
//! Pure: a job record in, labelled lines out (the faces lay them out on screen), and the one
//! plain-text form of a sheet, the file handed to the customer ([`Sheet::text`]). Knows no
//! phone; the only file it touches is a new sheet written by [`store`], never one replaced.

use std::path::{Path, PathBuf};

use super::{JobKind, JobRecord, Outcome};
use crate::{
    device::{Fingerprint, fingerprint::StorageFacts},
    error::HostError,
    firmware::is_nvram_set,
    fsutil::{free_name, write_new_atomic},
    profile::matching::human_size,
};

fn duration(millis: u64) -> String {
    let s = millis / 1000;
    match s {
        0 => format!("{millis} ms"),
        1..=59 => format!("{s} s"),
        _ => format!("{} min {} s", s / 60, s % 60),
    }
}

fn phone_line(f: &Fingerprint) -> String {
    let storage = match &f.storage {
        StorageFacts::Emmc { user_size, .. } => format!("eMMC {}", human_size(*user_size)),
        StorageFacts::Nand { size, .. } => format!("NAND {}", human_size(*size)),
        StorageFacts::Nor { size } => format!("NOR {}", human_size(*size)),
    };
    format!(
        "MediaTek {:04X}, {storage}, RAM {}",
        f.hw_code,
        human_size(f.ram_size)
    )
}

/// What happened to the phone's identity, in words.
fn identity_line(job: &JobRecord) -> String {
    let id = job.job.backup_id.as_deref();
    let nvram_ok = job
        .partitions
        .iter()
        .any(|p| is_nvram_set(&p.partition) && p.ok);
    match (job.kind, id, job.outcome) {
        (JobKind::Backup, Some(b), Outcome::Done) => format!(
            "backed up and verified (backup {b}): IMEI, Wi-Fi/Bluetooth addresses and radio \
             calibration are kept safe"
        ),
        (JobKind::Backup, _, _) => "the backup did not complete; nothing was changed on the \
             phone"
            .into(),
        (JobKind::Restore, Some(b), Outcome::Done) => {
            format!("restored from backup {b} and read back to check")
        }
        (JobKind::Restore, Some(b), _) => {
            format!("the restore from backup {b} did not complete; the backup itself is unchanged")
        }
        (JobKind::Flash, Some(b), _) => format!(
            "backed up before flashing (backup {b}){}",
            if nvram_ok {
                ", then restored"
            } else {
                "; not written by the flash"
            }
        ),
        (JobKind::Flash, None, _) => "not written by the flash".into(),
        (JobKind::Identify, _, _) | (JobKind::Restore, None, _) => {
            "not touched (the phone was only read)".into()
        }
    }
}

fn outcome_line(job: &JobRecord) -> String {
    match job.outcome {
        Outcome::Done => "done: every step completed and was checked".into(),
        Outcome::Failed => format!(
            "not completed: {}",
            job.error
                .as_deref()
                .unwrap_or("the job stopped with an error")
        ),
        Outcome::Cancelled => "stopped by the technician before the end".into(),
        Outcome::Running => "not finished (the program stopped before the end)".into(),
    }
}

fn what_line(job: &JobRecord) -> String {
    let rom = job.job.rom.as_deref().unwrap_or("a ROM");
    match job.kind {
        JobKind::Identify => "identified the phone and its board".into(),
        JobKind::Backup => "backed up the phone's identity partitions".into(),
        JobKind::Restore => "restored the phone's identity partitions".into(),
        JobKind::Flash => match job.job.mode.as_deref() {
            Some(m) => format!("flashed {rom} ({m})"),
            None => format!("flashed {rom}"),
        },
    }
}

/// The job sheet: labelled lines, then one line per partition. Laying it out on paper or a
/// screen is the face's work.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Sheet {
    /// The job number.
    pub job: i64,
    /// `(label, text)` in order: date, phone, phone ID, board, work done, identity, outcome.
    pub rows: Vec<(String, String)>,
    /// One line per partition: name, action, size, result.
    pub partitions: Vec<String>,
}

/// The job sheet of `job`.
pub fn sheet(job: &JobRecord) -> Sheet {
    let fingerprint: Option<Fingerprint> = job
        .job
        .fingerprint
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok());
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut row = |label: &str, text: String| rows.push((label.to_string(), text));
    let date = job.started.replace('T', " ").replace('Z', " UTC");
    row(
        "Date",
        match job.millis.map(duration) {
            Some(t) => format!("{date} (took {t})"),
            None => date,
        },
    );
    if let Some(f) = &fingerprint {
        row("Phone", phone_line(f));
    }
    if let Some(key) = &job.job.device_key {
        row("Phone ID", key.clone());
    }
    row(
        "Board",
        job.job
            .profile
            .clone()
            .unwrap_or_else(|| "not identified".into()),
    );
    row("Work done", what_line(job));
    row("Identity", identity_line(job));
    row("Outcome", outcome_line(job));
    let partitions = job
        .partitions
        .iter()
        .map(|p| {
            format!(
                "{:<12} {:<8} {:>10}  {}",
                p.partition,
                p.action,
                human_size(p.bytes),
                if p.ok {
                    "ok".to_string()
                } else {
                    format!("FAILED: {}", p.error.as_deref().unwrap_or("error"))
                }
            )
        })
        .collect();
    Sheet {
        job: job.id,
        rows,
        partitions,
    }
}

/// Width of a job sheet's text: 80 columns, a terminal's and a receipt printer's.
const SHEET_WIDTH: usize = 80;
/// Width of the label column of a job sheet's text.
const LABEL_WIDTH: usize = 12;

impl Sheet {
    /// The sheet as plain text, 80 columns: what `mtkbench report JOB --out FILE` and the
    /// workstation's Report step write, and what `report` prints.
    pub fn text(&self) -> String {
        let rule = "=".repeat(72);
        let mut out = format!("{rule}\n  REPAIR JOB SHEET  -  job {}\n{rule}\n", self.job);
        let rest = " ".repeat(LABEL_WIDTH);
        for (label, text) in &self.rows {
            let first = format!("{label:<LABEL_WIDTH$}");
            let options = textwrap::Options::new(SHEET_WIDTH)
                .initial_indent(&first)
                .subsequent_indent(&rest);
            out.push_str(&textwrap::fill(text, options));
            out.push('\n');
        }
        if !self.partitions.is_empty() {
            out.push_str("\nPartitions:\n");
            for p in &self.partitions {
                out.push_str(&format!("  {p}\n"));
            }
        }
        out.push_str(&format!("{rule}\n"));
        out
    }
}

/// Writes `sheet` as a new file in `dir` (created if missing): `job-<N>.txt`, or
/// `job-<N>-2.txt` and on when a sheet of that job is there already (a stored sheet is never
/// replaced). Returns the file written.
pub fn store(sheet: &Sheet, dir: &Path) -> Result<PathBuf, HostError> {
    crate::places::Places::ensure(dir)?;
    let path = free_name(dir, &format!("job-{}", sheet.job), "txt", |p| p.exists());
    write_new_atomic(&path, sheet.text().as_bytes())?;
    Ok(path)
}
