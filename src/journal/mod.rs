//! The repair journal: every job (identify, backup, restore, flash) as a row in an embedded
//! SQLite database, `<data>/journal.sqlite` (rusqlite with its bundled SQLite, so no system
//! library is needed).
//!
//! A job is [`Journal::start`]ed before the phone is touched (so a crash still leaves a row that
//! says `running`), gets one [`PartitionResult`] per partition as each completes (a failure
//! mid-flash leaves exactly which partitions are done), and is [`Journal::finish`]ed with its
//! outcome. [`Journal::list`] filters by device, date, kind and outcome; [`sheet`] renders the
//! job sheet handed to the customer.
//!
//! The schema is versioned ([`schema`]); opening migrates. This module stores and reads; it
//! never touches a phone and never draws.

pub mod schema;
pub mod sheet;

use std::{path::Path, time::SystemTime};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::{error::Advice, transport::transcript::utc_timestamp};

/// File name of the journal in the data folder.
pub const FILE: &str = "journal.sqlite";

/// Why the journal cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// SQLite failed (a locked, damaged or unreadable file).
    #[error("the repair journal failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer mtkbench.
    #[error("the repair journal is version {found}; this mtkbench knows up to {known}")]
    TooNew {
        /// Version of the file.
        found: u32,
        /// Latest version known here.
        known: u32,
    },
    /// No job with that number.
    #[error("there is no job {0} in the repair journal")]
    NoJob(i64),
}

impl Advice for JournalError {
    fn help(&self) -> String {
        match self {
            JournalError::Sqlite(_) => "check the data folder's disk and permissions; the \
                journal is <data>/journal.sqlite"
                .into(),
            JournalError::TooNew { .. } => {
                "use the newer mtkbench that wrote it (nothing was changed in the file)".into()
            }
            JournalError::NoJob(_) => "list the jobs with `mtkbench history`".into(),
        }
    }

    fn is_bad_input(&self) -> bool {
        matches!(self, JournalError::NoJob(_))
    }
}

/// What a job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Identified the phone.
    Identify,
    /// Backed up the identity (or the whole flash).
    Backup,
    /// Restored a backup.
    Restore,
    /// Flashed a ROM.
    Flash,
}

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Not finished (still running, or the program stopped before it could say).
    Running,
    /// Done and verified.
    Done,
    /// Stopped by an error.
    Failed,
    /// Stopped by the technician.
    Cancelled,
}

/// Text forms stored in the database (the serde names).
macro_rules! text_enum {
    ($t:ty { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $t {
            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$v => $s),+ }
            }

            fn parse(s: &str) -> Option<$t> {
                match s { $($s => Some(<$t>::$v),)+ _ => None }
            }
        }
    };
}
text_enum!(JobKind { Identify => "identify", Backup => "backup", Restore => "restore", Flash => "flash" });
text_enum!(Outcome { Running => "running", Done => "done", Failed => "failed", Cancelled => "cancelled" });

/// What is known when a job starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewJob {
    /// The phone's key (see `Fingerprint::device_key`), once known.
    pub device_key: Option<String>,
    /// The fingerprint as JSON, once known.
    pub fingerprint: Option<String>,
    /// The board profile used.
    pub profile: Option<String>,
    /// The ROM package (path).
    pub rom: Option<String>,
    /// SHA-256 of the ROM's scatter file or package.
    pub rom_sha256: Option<String>,
    /// Flash mode (`download-only`, `firmware-upgrade`, `format-all`).
    pub mode: Option<String>,
    /// The backup written or restored.
    pub backup_id: Option<String>,
    /// The session transcript file.
    pub transcript: Option<String>,
}

/// One partition's result within a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionResult {
    /// Partition name.
    pub partition: String,
    /// `read`, `write`, `erase`, `verify`, `restore`.
    pub action: String,
    /// Bytes moved.
    pub bytes: u64,
    /// Time taken.
    pub millis: u64,
    /// SHA-256 of what was read or written.
    pub sha256: Option<String>,
    /// Whether it succeeded (and verified, where verified).
    pub ok: bool,
    /// What went wrong.
    pub error: Option<String>,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRecord {
    /// Job number.
    pub id: i64,
    /// What it did.
    pub kind: JobKind,
    /// When it started (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub started: String,
    /// When it ended.
    pub finished: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// What was known at the start (and filled in later).
    #[serde(flatten)]
    pub job: NewJob,
    /// Why it failed.
    pub error: Option<String>,
    /// Whole duration, milliseconds.
    pub millis: Option<u64>,
    /// Bytes moved by all partitions.
    pub bytes: u64,
    /// Average bytes per second over the job, when it took any time.
    pub throughput: Option<u64>,
    /// Per-partition results, in order.
    pub partitions: Vec<PartitionResult>,
}

/// What `history` keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this phone.
    pub device: Option<String>,
    /// Only jobs started on or after this date (`YYYY-MM-DD`, or a full timestamp).
    pub since: Option<String>,
    /// Only jobs started before the end of this date.
    pub until: Option<String>,
    /// Only this kind.
    pub kind: Option<JobKind>,
    /// Only this outcome.
    pub outcome: Option<Outcome>,
}

/// An open journal.
pub struct Journal {
    conn: Connection,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").finish_non_exhaustive()
    }
}

impl Journal {
    /// Opens (or creates) the journal at `path` and brings it to the latest schema.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        Journal::with(Connection::open(path)?)
    }

    /// The journal of the data folder `data`.
    pub fn open_in(data: &Path) -> Result<Journal, JournalError> {
        Journal::open(&data.join(FILE))
    }

    /// A journal in memory (tests, demo).
    pub fn in_memory() -> Result<Journal, JournalError> {
        Journal::with(Connection::open_in_memory()?)
    }

    fn with(mut conn: Connection) -> Result<Journal, JournalError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate_to(&mut conn, schema::latest())?;
        Ok(Journal { conn })
    }

    /// Records a job as started now; returns its number.
    pub fn start(&self, kind: JobKind, job: &NewJob) -> Result<i64, JournalError> {
        self.start_at(kind, job, SystemTime::now())
    }

    /// [`Journal::start`] at a given time.
    pub fn start_at(
        &self,
        kind: JobKind,
        job: &NewJob,
        at: SystemTime,
    ) -> Result<i64, JournalError> {
        self.conn.execute(
            "INSERT INTO jobs (kind, started, device_key, fingerprint, profile, rom, rom_sha256,
                               mode, backup_id, transcript)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                kind.as_str(),
                utc_timestamp(at),
                job.device_key,
                job.fingerprint,
                job.profile,
                job.rom,
                job.rom_sha256,
                job.mode,
                job.backup_id,
                job.transcript
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Fills in what became known after the start (device key, fingerprint, backup id, ...):
    /// every `Some` field of `job` replaces the stored one.
    pub fn update(&self, id: i64, job: &NewJob) -> Result<(), JournalError> {
        let n = self.conn.execute(
            "UPDATE jobs SET
                device_key  = COALESCE(?2, device_key),
                fingerprint = COALESCE(?3, fingerprint),
                profile     = COALESCE(?4, profile),
                rom         = COALESCE(?5, rom),
                rom_sha256  = COALESCE(?6, rom_sha256),
                mode        = COALESCE(?7, mode),
                backup_id   = COALESCE(?8, backup_id),
                transcript  = COALESCE(?9, transcript)
             WHERE id = ?1",
            params![
                id,
                job.device_key,
                job.fingerprint,
                job.profile,
                job.rom,
                job.rom_sha256,
                job.mode,
                job.backup_id,
                job.transcript
            ],
        )?;
        if n == 0 {
            return Err(JournalError::NoJob(id));
        }
        Ok(())
    }

    /// Adds one partition's result to job `id`.
    pub fn add_partition(&self, id: i64, r: &PartitionResult) -> Result<(), JournalError> {
        self.conn.execute(
            "INSERT INTO job_partitions (job_id, seq, partition, action, bytes, millis, sha256, ok, error)
             VALUES (?1, (SELECT COUNT(*) FROM job_partitions WHERE job_id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                r.partition,
                r.action,
                r.bytes as i64,
                r.millis as i64,
                r.sha256,
                r.ok,
                r.error
            ],
        )?;
        self.conn.execute(
            "UPDATE jobs SET bytes = bytes + ?2 WHERE id = ?1",
            params![id, r.bytes as i64],
        )?;
        Ok(())
    }

    /// Ends job `id` now with `outcome` (and the error, for a failure).
    pub fn finish(
        &self,
        id: i64,
        outcome: Outcome,
        error: Option<&str>,
        millis: u64,
    ) -> Result<(), JournalError> {
        self.finish_at(id, outcome, error, millis, SystemTime::now())
    }

    /// [`Journal::finish`] at a given time.
    pub fn finish_at(
        &self,
        id: i64,
        outcome: Outcome,
        error: Option<&str>,
        millis: u64,
        at: SystemTime,
    ) -> Result<(), JournalError> {
        let n = self.conn.execute(
            "UPDATE jobs SET outcome = ?2, error = ?3, millis = ?4, finished = ?5 WHERE id = ?1",
            params![
                id,
                outcome.as_str(),
                error,
                millis as i64,
                utc_timestamp(at)
            ],
        )?;
        if n == 0 {
            return Err(JournalError::NoJob(id));
        }
        Ok(())
    }

    /// Job `id` with its partitions.
    pub fn get(&self, id: i64) -> Result<JobRecord, JournalError> {
        let job = self
            .conn
            .query_row(&format!("{SELECT} WHERE id = ?1"), [id], row_to_job)
            .optional()?
            .ok_or(JournalError::NoJob(id))?;
        self.with_partitions(job)
    }

    fn with_partitions(&self, mut job: JobRecord) -> Result<JobRecord, JournalError> {
        let mut stmt = self.conn.prepare(
            "SELECT partition, action, bytes, millis, sha256, ok, error FROM job_partitions
             WHERE job_id = ?1 ORDER BY seq",
        )?;
        job.partitions = stmt
            .query_map([job.id], |r| {
                Ok(PartitionResult {
                    partition: r.get(0)?,
                    action: r.get(1)?,
                    bytes: r.get::<_, i64>(2)?.max(0) as u64,
                    millis: r.get::<_, i64>(3)?.max(0) as u64,
                    sha256: r.get(4)?,
                    ok: r.get(5)?,
                    error: r.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(job)
    }

    /// The jobs that pass `filter`, newest first, with their partitions.
    pub fn list(&self, filter: &Filter) -> Result<Vec<JobRecord>, JournalError> {
        // A bare date as the upper bound means "to the end of that day".
        let until = filter.until.as_ref().map(|u| {
            if u.len() == 10 {
                format!("{u}T99")
            } else {
                u.clone()
            }
        });
        let mut stmt = self.conn.prepare(&format!(
            "{SELECT} WHERE (?1 IS NULL OR device_key = ?1)
                 AND (?2 IS NULL OR started >= ?2)
                 AND (?3 IS NULL OR started <= ?3)
                 AND (?4 IS NULL OR kind = ?4)
                 AND (?5 IS NULL OR outcome = ?5)
             ORDER BY started DESC, id DESC"
        ))?;
        let jobs: Vec<JobRecord> = stmt
            .query_map(
                params![
                    filter.device,
                    filter.since,
                    until,
                    filter.kind.map(JobKind::as_str),
                    filter.outcome.map(Outcome::as_str)
                ],
                row_to_job,
            )?
            .collect::<Result<_, _>>()?;
        jobs.into_iter().map(|j| self.with_partitions(j)).collect()
    }
}

const SELECT: &str = "SELECT id, kind, started, finished, outcome, device_key, fingerprint, \
    profile, rom, rom_sha256, mode, backup_id, error, transcript, millis, bytes FROM jobs";

fn row_to_job(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRecord> {
    let text = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    let bad = |i: usize, s: String| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown value {s:?}").into(),
        )
    };
    let kind = text(1)?;
    let outcome = text(4)?;
    let millis: Option<i64> = r.get(14)?;
    let bytes = r.get::<_, i64>(15)?.max(0) as u64;
    let millis = millis.map(|m| m.max(0) as u64);
    Ok(JobRecord {
        id: r.get(0)?,
        kind: JobKind::parse(&kind).ok_or_else(|| bad(1, kind.clone()))?,
        started: text(2)?,
        finished: r.get(3)?,
        outcome: Outcome::parse(&outcome).ok_or_else(|| bad(4, outcome.clone()))?,
        job: NewJob {
            device_key: r.get(5)?,
            fingerprint: r.get(6)?,
            profile: r.get(7)?,
            rom: r.get(8)?,
            rom_sha256: r.get(9)?,
            mode: r.get(10)?,
            backup_id: r.get(11)?,
            transcript: r.get(13)?,
        },
        error: r.get(12)?,
        millis,
        bytes,
        throughput: millis.filter(|&m| m > 0).map(|m| bytes * 1000 / m),
        partitions: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
