//! The journal's schema as a list of migrations. The database's `user_version` says how many
//! have been applied; opening a journal applies the rest in one transaction each. A migration,
//! once released, is never edited: a change is a new migration at the end. A journal newer
//! than this program is refused rather than guessed at.

use rusqlite::Connection;

use super::JournalError;

/// Every migration, in order; version N is the state after the first N.
pub const MIGRATIONS: &[&str] = &[
    // 1: one row per job.
    "CREATE TABLE jobs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        kind        TEXT NOT NULL,
        started     TEXT NOT NULL,
        finished    TEXT,
        outcome     TEXT NOT NULL DEFAULT 'running',
        device_key  TEXT,
        fingerprint TEXT,
        profile     TEXT,
        rom         TEXT,
        rom_sha256  TEXT,
        mode        TEXT,
        backup_id   TEXT,
        error       TEXT,
        transcript  TEXT
    );
    CREATE INDEX jobs_by_device ON jobs(device_key, started);",
    // 2: per-partition results, and the job's duration and bytes moved (throughput).
    "CREATE TABLE job_partitions (
        job_id    INTEGER NOT NULL REFERENCES jobs(id),
        seq       INTEGER NOT NULL,
        partition TEXT NOT NULL,
        action    TEXT NOT NULL,
        bytes     INTEGER NOT NULL,
        millis    INTEGER NOT NULL,
        sha256    TEXT,
        ok        INTEGER NOT NULL,
        error     TEXT,
        PRIMARY KEY (job_id, seq)
    );
    ALTER TABLE jobs ADD COLUMN millis INTEGER;
    ALTER TABLE jobs ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;",
    // 3: jobs the technician stopped were recorded as failed before `cancelled` was used;
    // their error says so ("stopped on request while ...").
    "UPDATE jobs SET outcome = 'cancelled'
        WHERE outcome = 'failed' AND error LIKE 'stopped on request%';",
];

/// The version this program writes.
pub fn latest() -> u32 {
    MIGRATIONS.len() as u32
}

/// The version of the database.
pub fn version(conn: &Connection) -> Result<u32, JournalError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0))?)
}

/// Brings the database to `target` (at most [`latest`]); refuses one that is newer.
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<(), JournalError> {
    let found = version(conn)?;
    if found > latest() {
        return Err(JournalError::TooNew {
            found,
            known: latest(),
        });
    }
    for v in found..target.min(latest()) {
        let tx = conn.transaction()?;
        tx.execute_batch(MIGRATIONS[v as usize])?;
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
    }
    Ok(())
}
