//! Carrying out a [`Plan`] on a phone through the job layer, and the two library entries the
//! faces call: [`flash`] (identify, plan, record, execute, in one connection) and [`resume`]
//! (re-identify, refuse another phone, rebuild the same plan, continue where it stopped).
//!
//! Each image streams from the package (folder or zip, never unpacked) through the job layer's
//! guarded write while its SHA-256 is taken on the way; with verification on (the default) the
//! range is then read back through a hashing sink and compared. The job layer emits the
//! transfer events (started, advanced, finished, failed, cancelled) and stops between two
//! packets on cancel; this module announces the plan, the skipped steps and each verification,
//! and rewrites the job record after every step, so an interruption leaves a record that says
//! exactly which partitions are complete.
//!
//! The modes that format (Firmware Upgrade, Format All + Download) run in the same connection:
//! the identity backup (the verified one the plan names, or the one its backup steps take
//! and store before anything is erased; its id goes into the job record at once), the format
//! of the ROM's ranges, the ROM's partition table first, then a new reading of the phone's
//! table (named by the ROM's layout), the other images placed and guarded by it, and the NVRAM
//! set restored from the backup into it with [`crate::engine::restore`], each read back. A
//! failure after the format leaves the record with the backup's id and the restore steps
//! pending, so `flash --resume` restores the identity.
//!
//! The guard's identity override is passed only for what the plan itself allowed (the
//! preloader that passed the plan's board check; a format step or a restore with the identity
//! backup in hand); a plan is the only input and only [`super::plan::build`] makes one.
//! Nothing here prints or draws.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{
    LoadedRom,
    facts::{BackupFacts, DeviceFacts, RomView},
    plan::{Action, Mode, Overrides, Plan, Planning, Request, build},
    record::{JobRecord, StepState},
    steps::{Formatting, backup_step, erase_step, op_of, restore_step, target_of, write_step},
};
use crate::{
    backup::Store,
    device::Fingerprint,
    engine::Recorder,
    error::Advice,
    firmware::{is_layout, rom::Problem},
    fsutil,
    job::{DeviceError, Done, Job, Phone, step},
    journal::{JobKind, Journal, NewJob, PartitionResult},
    transport::Transport,
};

/// Why a flash stopped that is not the phone's or the link's fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlashError {
    /// What was read back differs from what was written.
    #[error(
        "{partition}: what the phone holds after the write differs from the image (written \
         {written}, read back {read})"
    )]
    VerifyFailed {
        /// Partition.
        partition: String,
        /// SHA-256 of the bytes written.
        written: String,
        /// SHA-256 of the bytes read back.
        read: String,
    },
    /// The image's bytes are not those the plan was made from.
    #[error("{partition}: the image {file} changed since the plan was made")]
    ImageChanged {
        /// Partition.
        partition: String,
        /// The image.
        file: String,
    },
    /// The phone's table puts a partition elsewhere than the plan.
    #[error("{partition}: the phone has it at {found:#x}, the plan at {planned:#x}")]
    PlaceChanged {
        /// Partition.
        partition: String,
        /// Where the phone has it.
        found: u64,
        /// Where the plan has it.
        planned: u64,
    },
    /// A step that erases or restores the identity came with no verified backup in hand.
    #[error(
        "{partition}: {mode} reached a step that needs the phone's identity backup, and the \
         job holds none; nothing more was written"
    )]
    NoBackupInHand {
        /// The mode.
        mode: Mode,
        /// The step's partition.
        partition: String,
    },
    /// A format step's range covers the phone's boot code.
    #[error(
        "{partition}: the range to format covers the phone's {covers}, which a format never \
         touches; nothing more was written"
    )]
    CoversBootCode {
        /// The step's partition.
        partition: String,
        /// The boot-code partition it covers.
        covers: String,
    },
    /// The ROM has errors in what the plan would write.
    #[error("the ROM package has errors in what this plan writes:\n  {}", .problems.join("\n  "))]
    RomErrors {
        /// The errors.
        problems: Vec<String>,
    },
}

impl Advice for FlashError {
    fn help(&self) -> String {
        match self {
            FlashError::VerifyFailed { .. } => {
                "run `mtkbench flash --resume` to write it again; if it fails twice, the \
                 phone's storage may be failing: run `mtkbench diagnose` on it"
                    .into()
            }
            FlashError::ImageChanged { .. } | FlashError::PlaceChanged { .. } => {
                "run the flash again: the plan is made anew from the phone and the ROM".into()
            }
            FlashError::NoBackupInHand { .. } => {
                "back up the identity (`mtkbench backup --port auto`), then run the flash \
                 again"
                    .into()
            }
            FlashError::CoversBootCode { .. } => {
                "the ROM's layout does not fit this phone's: choose a ROM made for this board"
                    .into()
            }
            FlashError::RomErrors { .. } => {
                "get the ROM package again (`mtkbench rom inspect` lists every problem), or \
                 leave the damaged partitions out with --partitions"
                    .into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        !matches!(self, FlashError::VerifyFailed { .. })
    }
}

/// A flash that stopped part-way (a dropped link, a cancel, a failing phone) after its job
/// record was written: why, the job to resume, and, when the job had formatted the phone's
/// identity and not yet written it back, where that identity is kept.
#[derive(Debug)]
pub struct Interrupted {
    cause: crate::Error,
    /// The job to resume.
    pub job: String,
    /// The identity backup the job restores the NVRAM set from, if it has one.
    pub backup: Option<String>,
    note: String,
}

impl Interrupted {
    /// Why it stopped (a [`DeviceError`] for a dropped link or a cancel).
    pub fn cause(&self) -> &crate::Error {
        &self.cause
    }
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}\n{}", self.cause, self.note)
    }
}

impl std::error::Error for Interrupted {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.cause.inner())
    }
}

impl Advice for Interrupted {
    fn help(&self) -> String {
        format!(
            "put the phone back in download mode and run `mtkbench flash --resume {}`: it \
             checks it is the same phone and continues where this stopped{}",
            self.job,
            self.backup
                .as_ref()
                .map(|b| format!(", restoring the identity from backup {b}"))
                .unwrap_or_default()
        )
    }

    fn is_bad_input(&self) -> bool {
        false
    }

    fn entry(&self) -> Option<&'static str> {
        self.cause.entry()
    }

    fn is_cancelled(&self) -> bool {
        self.cause.is_cancelled()
    }
}

/// `e`, said as the interruption of job `id` (as its record in `jobs_dir` now stands), when a
/// job was recorded before it stopped.
pub(crate) fn interrupted(e: crate::Error, jobs_dir: &Path, id: Option<&str>) -> crate::Error {
    let Some(record) = id.and_then(|id| JobRecord::load(jobs_dir, Some(id)).ok()) else {
        return e;
    };
    let done = |a: Action| {
        record
            .steps
            .iter()
            .any(|s| s.action == a && s.state != StepState::Pending)
    };
    let identity_out = done(Action::Erase)
        && record
            .steps
            .iter()
            .any(|s| s.action == Action::Restore && s.state == StepState::Pending);
    let complete = record
        .steps
        .iter()
        .filter(|s| s.action.changes_phone() && s.state != StepState::Pending)
        .count();
    let total = record
        .steps
        .iter()
        .filter(|s| s.action.changes_phone())
        .count();
    let mut note = format!(
        "job {} stopped after {complete} of {total} steps",
        record.id
    );
    if let (true, Some(b)) = (identity_out, &record.backup) {
        note.push_str(&format!(
            "; the phone's identity (IMEI, MACs, calibration) is formatted and not yet written \
             back: it is kept in backup {b}, and the resume writes it back"
        ));
    }
    Interrupted {
        cause: e,
        job: record.id.clone(),
        backup: record.backup.clone().filter(|_| done(Action::Erase)),
        note,
    }
    .into()
}

/// What the technician asked for.
#[derive(Debug, Clone)]
pub struct FlashRequest {
    /// The ROM package.
    pub rom: PathBuf,
    /// The mode.
    pub mode: Mode,
    /// `--partitions`.
    pub selection: Option<Vec<String>>,
    /// The technician's explicit decisions.
    pub overrides: Overrides,
    /// Read back and compare after each write (on by default).
    pub verify: bool,
}

/// One step as it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepOutcome {
    /// Partition.
    pub partition: String,
    /// What the step did.
    pub action: Action,
    /// How far it got.
    pub state: StepState,
    /// SHA-256 of what was written.
    pub sha256: Option<String>,
}

/// What a flash did.
#[derive(Debug, Clone, Serialize)]
pub struct Flashed {
    /// The job's id (for `--resume`).
    pub job: String,
    /// The plan.
    pub plan: Plan,
    /// Every step of the plan and how it ended.
    pub steps: Vec<StepOutcome>,
    /// Steps already complete before this run (a resume).
    pub resumed_from: usize,
    /// The identity backup the job restores the NVRAM set from (the one its plan named, or
    /// the one its own backup steps took); `None` in Download Only.
    pub backup: Option<String>,
}

/// How the steps of a flash ended, counted the one way every face says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Partitions written (from the ROM or restored from the backup).
    pub written: usize,
    /// Of those, the ones read back equal.
    pub verified: usize,
    /// Ranges erased (a format); an erase is not read back.
    pub erased: usize,
}

impl Flashed {
    /// The steps counted: written, read back equal, erased.
    pub fn tally(&self) -> Tally {
        let count = |f: &dyn Fn(&StepOutcome) -> bool| self.steps.iter().filter(|s| f(s)).count();
        let writes = |s: &StepOutcome| matches!(s.action, Action::Write | Action::Restore);
        Tally {
            written: count(&writes),
            verified: count(&|s| writes(s) && s.state == StepState::Verified),
            erased: count(&|s| s.action == Action::Erase && s.state != StepState::Pending),
        }
    }
}

fn check_rom_errors(plan: &Plan, problems: &[Problem]) -> Result<(), FlashError> {
    let written = |name: &str| {
        plan.steps()
            .iter()
            .any(|s| s.action() == Action::Write && s.partition().eq_ignore_ascii_case(name))
    };
    let relevant: Vec<String> = problems
        .iter()
        .filter(|p| p.partition.as_deref().is_none_or(written))
        .map(|p| p.message.clone())
        .collect();
    if relevant.is_empty() {
        Ok(())
    } else {
        Err(FlashError::RomErrors { problems: relevant })
    }
}

/// Flashes `request.rom` on the phone `job` reaches, in one connection: identify, plan, record
/// the job in `jobs_dir`, write and verify. A refused plan writes nothing and ends the session
/// normally. Not journaled: see [`flash_journaled`].
pub fn flash(job: Job, request: &FlashRequest, jobs_dir: &Path) -> crate::Result<Done<Flashed>> {
    flash_journaled(job, request, jobs_dir, None)
}

/// [`flash`], with the job recorded in `journal` as it goes: the phone once identified, one
/// row per partition (action, bytes, time, hash, error) as each completes, and how it ended.
pub fn flash_journaled(
    job: Job,
    request: &FlashRequest,
    jobs_dir: &Path,
    journal: Option<&Journal>,
) -> crate::Result<Done<Flashed>> {
    let rec = Recorder::start(journal, JobKind::Flash, &flash_job(request));
    let backups = backups_beside(jobs_dir);
    let result = (|| {
        let mut rom = super::load_rom(&request.rom)?;
        let mut started = None;
        let done = job.run(|phone| {
            let fingerprint = crate::engine::identify::fingerprint(phone, None)?;
            rec.update(&identified(&fingerprint));
            let device = DeviceFacts::from_fingerprint(&fingerprint);
            let found = verified_backup(&backups, &device, request.mode, false);
            let planning = Planning::default();
            let plan = match plan_for(
                &device,
                &rom.view,
                request,
                &rom.errors,
                found.as_ref(),
                planning,
            ) {
                Ok(plan) => plan,
                Err(e) => return Ok(Err(e)),
            };
            let at = Places {
                jobs_dir,
                backups: &backups,
            };
            record_and_run(
                phone,
                fingerprint,
                request,
                &plan,
                &mut rom,
                at,
                &rec,
                &mut started,
            )
        });
        let done = done.map_err(|e| interrupted(e, jobs_dir, started.as_deref()))?;
        finish(done)
    })();
    rec.end(&result);
    result
}

/// What the journal knows of a flash before the phone is reached.
pub(crate) fn flash_job(request: &FlashRequest) -> NewJob {
    NewJob {
        rom: Some(request.rom.display().to_string()),
        mode: Some(request.mode.as_str().into()),
        ..NewJob::default()
    }
}

/// What the journal learns once the phone is identified.
pub(crate) fn identified(fingerprint: &Fingerprint) -> NewJob {
    NewJob {
        device_key: Some(fingerprint.device_key()),
        fingerprint: crate::engine::fingerprint_json(fingerprint),
        ..NewJob::default()
    }
}

/// Continues job `id` (default: the newest unfinished one in `jobs_dir`) on the phone `job`
/// reaches: the same phone, the same plan, from the first step not complete. Not journaled:
/// see [`resume_journaled`].
pub fn resume(job: Job, id: Option<&str>, jobs_dir: &Path) -> crate::Result<Done<Flashed>> {
    resume_journaled(job, id, jobs_dir, None)
}

/// [`resume`], recorded in `journal` as a new flash job whose partition rows are the steps
/// this run completed (those completed before the interruption are in the earlier job's row).
pub fn resume_journaled(
    job: Job,
    id: Option<&str>,
    jobs_dir: &Path,
    journal: Option<&Journal>,
) -> crate::Result<Done<Flashed>> {
    let rec = Recorder::start(journal, JobKind::Flash, &NewJob::default());
    let result = resume_with(job, id, jobs_dir, &rec);
    rec.end(&result);
    result
}

fn resume_with(
    job: Job,
    id: Option<&str>,
    jobs_dir: &Path,
    rec: &Recorder<'_>,
) -> crate::Result<Done<Flashed>> {
    let mut record = JobRecord::load(jobs_dir, id)?;
    let mut rom = super::load_rom(&record.rom)?;
    let request = FlashRequest {
        rom: record.rom.clone(),
        mode: record.mode,
        selection: record.selection.clone(),
        overrides: Overrides {
            preloader_of_another_board: record.preloader_of_another_board,
            erases_identity: record.erases_identity,
        },
        verify: record.verify,
    };
    rec.update(&flash_job(&request));
    let backups = backups_beside(jobs_dir);
    let device = DeviceFacts::from_fingerprint(&record.fingerprint);
    // The same plan as the job's: with the backup it named, or, when its own steps took one,
    // without (those steps are complete and skipped, and the record holds what they took).
    let took_its_own = record.steps.iter().any(|s| s.action == Action::Backup);
    let named = match (&record.backup, took_its_own) {
        (Some(id), false) => Some(backup_facts(&backups, id, true)?),
        _ => None,
    };
    let plan = plan_for(
        &device,
        &rom.view,
        &request,
        &rom.errors,
        named.as_ref(),
        Planning::default(),
    )?;
    record.check_plan(&plan)?;
    let id = record.id.clone();
    let done = job.run(|phone| {
        let connected = phone.fingerprint();
        if let Err(e) = record.check_device(&connected.device_key()) {
            return Ok(Err(e.into()));
        }
        rec.update(&identified(&record.fingerprint));
        if let Some(id) = &record.backup {
            rec.update(&NewJob {
                backup_id: Some(id.clone()),
                ..NewJob::default()
            });
        }
        let rom_path = record.rom.clone();
        let at = Places {
            jobs_dir,
            backups: &backups,
        };
        run_plan(phone, &plan, &mut rom, &rom_path, &mut record, at, rec)
    });
    let done = done.map_err(|e| interrupted(e, jobs_dir, Some(&id)))?;
    finish(done)
}

/// A job's result whose work could refuse, as the job's own result.
pub(crate) fn finish<R>(done: Done<crate::Result<R>>) -> crate::Result<Done<R>> {
    let value = done.value?;
    Ok(Done {
        value,
        port: done.port,
        ended: done.ended,
        warning: done.warning,
    })
}

/// The plan for `request`, with `backup` (the verified identity backup of this phone at hand,
/// if any) and what the caller does around it (`planning`), refused when the ROM has errors
/// in what it writes.
pub(crate) fn plan_for(
    device: &DeviceFacts,
    rom: &RomView,
    request: &FlashRequest,
    problems: &[Problem],
    backup: Option<&BackupFacts>,
    planning: Planning,
) -> crate::Result<Plan> {
    let plan = build(
        device,
        rom,
        &Request {
            mode: request.mode,
            selection: request.selection.as_deref(),
            backup,
            overrides: request.overrides,
            planning,
        },
    )?;
    check_rom_errors(&plan, problems)?;
    Ok(plan)
}

/// The identity backups kept beside the `jobs` folder (both in the data folder).
pub(crate) fn backups_beside(jobs_dir: &Path) -> Store {
    Store::new(jobs_dir.parent().unwrap_or(jobs_dir))
}

/// The newest verified identity backup of `device` in `backups`, for a mode that formats
/// (`this_session`: it was taken in this connection); `None` in Download Only.
pub fn verified_backup(
    backups: &Store,
    device: &DeviceFacts,
    mode: Mode,
    this_session: bool,
) -> Option<BackupFacts> {
    if mode == Mode::DownloadOnly {
        return None;
    }
    crate::engine::backup::verified(backups, &device.key)
        .map(|b| BackupFacts::of(&b, true, this_session))
}

/// Backup `id` of `backups`, verified now, as the planner sees it.
fn backup_facts(backups: &Store, id: &str, this_session: bool) -> crate::Result<BackupFacts> {
    let backup = backups.open(id)?;
    let ok = backups.verify(id)?.ok;
    Ok(BackupFacts::of(&backup, ok, this_session))
}

/// Where a flash keeps its job records and finds (or stores) the identity backups.
#[derive(Clone, Copy)]
pub(crate) struct Places<'a> {
    /// The job records.
    pub jobs_dir: &'a Path,
    /// The identity backups.
    pub backups: &'a Store,
}

/// Records a new job for `plan` in `jobs_dir` (before anything is written; its id goes into
/// `started`, for [`interrupted`]), then runs it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_and_run<T: Transport>(
    phone: &mut Phone<'_, T>,
    fingerprint: crate::device::Fingerprint,
    request: &FlashRequest,
    plan: &Plan,
    rom: &mut LoadedRom,
    at: Places<'_>,
    rec: &Recorder<'_>,
    started: &mut Option<String>,
) -> Result<crate::Result<Flashed>, DeviceError> {
    let jobs_dir = at.jobs_dir;
    // The full path, so that `--resume` finds the package from any folder.
    let rom_path = request
        .rom
        .canonicalize()
        .unwrap_or_else(|_| request.rom.clone());
    let mut record = JobRecord::new(
        new_job_id(jobs_dir),
        fingerprint,
        rom_path,
        request.selection.clone(),
        request.overrides.preloader_of_another_board,
        request.verify,
        plan,
    );
    record.erases_identity = request.overrides.erases_identity;
    if let Err(e) = record.save(jobs_dir) {
        return Ok(Err(e));
    }
    *started = Some(record.id.clone());
    run_plan(phone, plan, rom, &request.rom, &mut record, at, rec)
}

/// A new job id: `flash-<seconds since 1970>`, numbered on if taken.
fn new_job_id(dir: &Path) -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let path = fsutil::free_name(dir, &format!("flash-{secs}"), "json", |p| p.exists());
    path.file_stem()
        .and_then(|s| s.to_str())
        .map_or_else(|| format!("flash-{secs}"), str::to_owned)
}

/// Runs the steps of `plan` that `record` does not have as complete, saving the record after
/// each. Device errors end the job (the record says where); other refusals come back inside.
///
/// In the modes that format, the identity backup is in hand (named by the plan, or taken by
/// its first steps and written into the record) before the first erase; once the ROM's
/// partition table is written the phone's table is read again, and everything after it
/// (the other images, the identity restore) is placed and guarded by that new table.
fn run_plan<T: Transport>(
    phone: &mut Phone<'_, T>,
    plan: &Plan,
    rom: &mut LoadedRom,
    rom_path: &Path,
    record: &mut JobRecord,
    at: Places<'_>,
    rec: &Recorder<'_>,
) -> Result<crate::Result<Flashed>, DeviceError> {
    let resumed_from = record
        .steps
        .iter()
        .filter(|s| s.state != StepState::Pending)
        .count();
    let formats = plan.mode() != Mode::DownloadOnly;
    let naming = rom.view.naming(&format!("the ROM {}", rom_path.display()));
    phone.plan(
        plan.steps()
            .iter()
            .filter(|s| s.action().changes_phone())
            .map(|s| step(op_of(s.action()), &target_of(s)))
            .collect(),
    );
    // A job resumed after its format may find the ROM's table already on the phone.
    if formats && resumed_from > 0 {
        phone.reread_table(Some(&naming))?;
    }
    let mut table_written = false;
    let proven = std::cell::OnceCell::new();
    for (i, s) in plan.steps().iter().enumerate() {
        let op = op_of(s.action());
        match s.action() {
            Action::Keep => continue,
            Action::Skip => {
                phone.skip(op, s.partition(), s.why());
                continue;
            }
            _ if record.steps[i].state != StepState::Pending => {
                phone.skip(op, s.partition(), "completed before the interruption");
                continue;
            }
            _ => {}
        }
        let writes_table = s.action() == Action::Write && is_layout(s.partition());
        if table_written && !writes_table {
            phone.reread_table(Some(&naming))?;
            table_written = false;
        }
        let started = std::time::Instant::now();
        let outcome = match s.action() {
            Action::Backup => backup_step(phone, s, record, at, rec),
            Action::Erase => erase_step(phone, plan, s, record),
            Action::Write => {
                let formatting = formats.then(|| Formatting::of(plan, record, at.backups, &proven));
                write_step(phone, s, rom, rom_path, record.verify, formatting)
            }
            _ => restore_step(phone, plan, s, record, at.backups),
        };
        let row = |result: Result<Option<String>, String>| PartitionResult {
            partition: s.partition().into(),
            action: op_of(s.action()).as_str().into(),
            bytes: if result.is_ok() { s.length() } else { 0 },
            millis: started.elapsed().as_millis() as u64,
            ok: result.is_ok(),
            sha256: result.clone().ok().flatten(),
            error: result.err(),
        };
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                rec.partition(&row(Err(e.to_string())));
                return Err(e);
            }
        };
        match outcome {
            Ok((state, sha256)) => {
                table_written |= writes_table;
                rec.partition(&row(Ok(sha256.clone())));
                record.mark(i, state, sha256);
                if let Err(e) = record.save(at.jobs_dir) {
                    return Ok(Err(e));
                }
            }
            Err(e) => {
                rec.partition(&row(Err(e.to_string())));
                return Ok(Err(e));
            }
        }
    }
    Ok(Ok(Flashed {
        job: record.id.clone(),
        plan: plan.clone(),
        steps: plan
            .steps()
            .iter()
            .zip(&record.steps)
            .map(|(s, r)| StepOutcome {
                partition: s.partition().into(),
                action: s.action(),
                state: r.state,
                sha256: r.sha256.clone(),
            })
            .collect(),
        resumed_from,
        backup: record.backup.clone(),
    }))
}
