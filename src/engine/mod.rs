//! The repair engine, first half: identify the board, back up the phone's identity, restore
//! it. Each step is a library function over the job layer's [`crate::job::Phone`] (so the command line
//! and the TUI drive the same code), and each job is recorded in the repair journal.
//!
//! * [`identify`]: the fingerprint plus the preloader's project and EMI version (BOOT_1, or the
//!   NAND PRELOADER), the panel drivers of the phone's own UBOOT, the technician's PCB marking,
//!   and the board ranking.
//! * [`backup`]: reads the identity set twice, compares, and stores it ([`crate::backup`]).
//! * [`full`]: the whole flash as a flashable package (scatter from the phone's own table,
//!   one image per partition), stored like a backup and, on request, added to the library.
//! * [`restore`]: checks a backup against the connected phone (hashes, device key, layout),
//!   then writes through the guard and reads back.
//!
//! Never draws and never imports `cli` or `tui`; reaches the phone only through [`crate::job`].

pub mod backup;
pub mod full;
pub mod identify;
pub mod restore;

use std::time::Instant;

use crate::{
    journal::{JobKind, Journal, NewJob, Outcome},
    transport::Transport,
};

/// A journal row for one job: started when created, finished by [`Recorder::end`].
#[derive(Debug)]
pub struct Recorder<'j> {
    journal: Option<&'j Journal>,
    id: Option<i64>,
    started: Instant,
}

impl<'j> Recorder<'j> {
    /// Starts a `kind` job in `journal` (none: nothing is recorded). A journal that fails is
    /// logged, never a reason to leave a phone half-repaired.
    pub fn start(journal: Option<&'j Journal>, kind: JobKind, job: &NewJob) -> Recorder<'j> {
        let id = journal.and_then(|j| match j.start(kind, job) {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::warn!(error = %e, "the journal cannot record the job");
                None
            }
        });
        Recorder {
            journal,
            id,
            started: Instant::now(),
        }
    }

    /// The job number, when recorded.
    pub fn id(&self) -> Option<i64> {
        self.id
    }

    /// Adds what became known.
    pub fn update(&self, job: &NewJob) {
        if let (Some(j), Some(id)) = (self.journal, self.id)
            && let Err(e) = j.update(id, job)
        {
            tracing::warn!(error = %e, "journal update failed");
        }
    }

    /// Adds one partition's result.
    pub fn partition(&self, r: &crate::journal::PartitionResult) {
        if let (Some(j), Some(id)) = (self.journal, self.id)
            && let Err(e) = j.add_partition(id, r)
        {
            tracing::warn!(error = %e, "journal partition result failed");
        }
    }

    /// Ends the job: done, cancelled (stopped on the technician's request, with what the
    /// phone holds now as its error text) or failed with `error`.
    pub fn end<T>(&self, result: &crate::Result<T>) {
        self.end_with(
            outcome_of(result),
            result.as_ref().err().map(ToString::to_string).as_deref(),
        );
    }

    /// Ends the job with `outcome` (a repair whose plan was not confirmed is `Cancelled`).
    pub fn end_with(&self, outcome: Outcome, error: Option<&str>) {
        if let (Some(j), Some(id)) = (self.journal, self.id)
            && let Err(e) = j.finish(
                id,
                outcome,
                error,
                self.started.elapsed().as_millis() as u64,
            )
        {
            tracing::warn!(error = %e, "journal finish failed");
        }
    }
}

/// How a job that returned `result` ended, for the journal.
pub fn outcome_of<T>(result: &crate::Result<T>) -> Outcome {
    match result {
        Ok(_) => Outcome::Done,
        Err(e) if e.is_cancelled() => Outcome::Cancelled,
        Err(_) => Outcome::Failed,
    }
}

/// The fingerprint of the phone as JSON, for the journal.
pub fn fingerprint_json(f: &crate::device::Fingerprint) -> Option<String> {
    serde_json::to_string(f).ok()
}

/// Reads `target` whole into memory.
pub(crate) fn read_all<T: Transport>(
    phone: &mut crate::job::Phone<'_, T>,
    target: &crate::job::Target,
) -> Result<Vec<u8>, crate::job::DeviceError> {
    let mut buf = Vec::with_capacity(usize::try_from(target.len).unwrap_or(0).min(1 << 26));
    phone.read(target, &mut buf)?;
    Ok(buf)
}
