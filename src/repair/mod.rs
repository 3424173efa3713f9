//! The guided repair in ONE connection (a real phone must be put into download mode again for
//! every session): identify, check the ROM against the phone, settle the identity backup, show
//! the plan and wait for its confirmation, flash and verify, then reboot (the job layer's end
//! policy), leaving a job record; [`run_journaled`] also records the job in the repair journal
//! (one row per partition) and makes the job sheet from that row at the end.
//!
//! The steps run in order inside one job; a [`RepairDriver`] hears every [`RepairEvent`] and
//! answers the one gate, the plan's confirmation. The TUI implements it over channels (its
//! worker thread blocks on the technician's answer while the phone stays connected); the
//! command line answers from its flags. With `dry_run` the repair stops after the plan and
//! writes nothing.
//!
//! The ROM check is [`crate::firmware::board::check`] against the phone's own board (storage,
//! preloader project and EMI, layout), reported as findings, and the flash planner's refusals
//! (chip, storage, layout for Download Only, image sizes, the ROM's own errors).
//!
//! The identity backup is a step of every repair, whatever the mode: when the phone (by its
//! device key) has no verified identity backup in the store yet, it is taken in the same
//! connection with [`crate::engine::backup`] (read twice, compared, stored whole, verified)
//! before the plan is confirmed; when it has one, that one is named and none is taken. A dry
//! run says which it would do and reads or stores nothing. In this build the modes that
//! restore the NVRAM set (Firmware Upgrade, Format All + Download) are still refused by the
//! planner before anything is written.
//!
//! This module never draws and never imports `cli` or `tui`.

use std::{path::Path, time::SystemTime};

use serde::Serialize;

use crate::{
    backup::Store,
    device::Fingerprint,
    engine::{Recorder, backup},
    firmware::board::{self, BoardFinding},
    flash::{
        DeviceFacts, Plan,
        execute::{FlashRequest, Flashed, finish, flash_job, identified, plan_for, record_and_run},
        facts::board_of,
        load_rom,
    },
    job::{DeviceError, Done, Job, Phone},
    journal::{self, JobKind, Journal, NewJob, sheet::Sheet},
    transport::Transport,
};

/// The steps of a repair, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RepairStep {
    /// Connect and identify the phone.
    Identify,
    /// Check the ROM against the phone.
    CheckRom,
    /// Make sure the identity is safe.
    Backup,
    /// Show the plan and have it confirmed.
    Plan,
    /// Write and verify.
    Flash,
}

/// What a repair reports as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepairEvent {
    /// A step begins.
    Started(RepairStep),
    /// The phone was identified.
    Identified(Box<Fingerprint>),
    /// The ROM was compared with the phone's board: each way it is not for it (empty: fits
    /// as far as both sides are known). The plan acts on them (another board's preloader is
    /// kept; another layout needs Firmware Upgrade).
    RomChecked(Vec<BoardFinding>),
    /// A step did nothing, and why.
    Skipped {
        /// The step.
        step: RepairStep,
        /// Why, in a technician's words.
        why: String,
    },
    /// The plan, for confirmation.
    PlanReady(Box<Plan>),
    /// A step completed.
    Finished(RepairStep),
}

/// The face that drives a repair: hears its events, confirms its plan.
pub trait RepairDriver {
    /// One event, in order.
    fn event(&mut self, event: &RepairEvent);

    /// True to carry the plan out. Called once, after [`RepairEvent::PlanReady`], and never
    /// on a dry run.
    fn confirm(&mut self, plan: &Plan) -> bool;
}

/// How a repair ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Flashed and verified.
    Repaired,
    /// A dry run: the plan was shown, nothing written.
    Planned,
    /// The technician did not confirm the plan: nothing written.
    NotConfirmed,
}

/// The whole job, as `repair --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct RepairReport {
    /// How it ended.
    pub outcome: Outcome,
    /// The phone.
    pub fingerprint: Fingerprint,
    /// Each way the ROM is not for the phone's board (empty: fits as far as known).
    pub board_findings: Vec<BoardFinding>,
    /// What the identity backup step did, in a technician's words.
    pub backup: String,
    /// The identity backup this repair relies on: the one it took, or the verified one the
    /// store already had (absent only on a dry run of a phone without one).
    pub backup_id: Option<String>,
    /// Whether this repair took that backup (false: it was already in the store).
    pub backup_taken: bool,
    /// The plan.
    pub plan: Plan,
    /// What was flashed (absent when nothing was).
    pub flashed: Option<Flashed>,
    /// The job's number in the repair journal, when it was recorded.
    pub journal_job: Option<i64>,
    /// The job sheet for the customer, written from the journal at the end (absent on a dry
    /// run, or without a journal).
    pub sheet: Option<Sheet>,
}

/// Runs a repair on the phone `job` reaches, in one connection. Not journaled: see
/// [`run_journaled`]. `jobs_dir` is the `jobs` folder of the data folder; the identity backups
/// are kept in that data folder's store (see [`run_in`]).
pub fn run(
    job: Job,
    request: &FlashRequest,
    dry_run: bool,
    jobs_dir: &Path,
    driver: &mut dyn RepairDriver,
) -> crate::Result<Done<RepairReport>> {
    run_journaled(job, request, dry_run, jobs_dir, driver, None)
}

/// [`run`], recorded in `journal` as a flash job (the phone, one row per partition, how it
/// ended; a plan not confirmed ends `cancelled`), with the job sheet made from that row at
/// the end. A dry run writes nothing and is not recorded.
pub fn run_journaled(
    job: Job,
    request: &FlashRequest,
    dry_run: bool,
    jobs_dir: &Path,
    driver: &mut dyn RepairDriver,
    journal: Option<&Journal>,
) -> crate::Result<Done<RepairReport>> {
    let data = jobs_dir.parent().unwrap_or(jobs_dir);
    run_in(
        job,
        request,
        dry_run,
        jobs_dir,
        &Store::new(data),
        driver,
        journal,
    )
}

/// [`run_journaled`] with the identity backups kept in `backups`.
pub fn run_in(
    job: Job,
    request: &FlashRequest,
    dry_run: bool,
    jobs_dir: &Path,
    backups: &Store,
    driver: &mut dyn RepairDriver,
    journal: Option<&Journal>,
) -> crate::Result<Done<RepairReport>> {
    let rec = Recorder::start(
        journal.filter(|_| !dry_run),
        JobKind::Flash,
        &flash_job(request),
    );
    let result = run_with(job, request, dry_run, jobs_dir, backups, driver, &rec);
    match &result {
        Ok(done) if done.value.outcome == Outcome::NotConfirmed => rec.end_with(
            journal::Outcome::Cancelled,
            Some("the plan was not confirmed: nothing was written"),
        ),
        other => rec.end(other),
    }
    let mut done = result?;
    done.value.journal_job = rec.id();
    done.value.sheet = journal
        .zip(rec.id())
        .and_then(|(j, id)| j.get(id).ok())
        .map(|row| journal::sheet::sheet(&row));
    Ok(done)
}

fn run_with(
    job: Job,
    request: &FlashRequest,
    dry_run: bool,
    jobs_dir: &Path,
    backups: &Store,
    driver: &mut dyn RepairDriver,
    rec: &Recorder<'_>,
) -> crate::Result<Done<RepairReport>> {
    let mut rom = load_rom(&request.rom)?;
    // A dead phone's DA may ask for DRAM settings: the ROM's preloader is one source.
    let job = match rom_preloader(&mut rom) {
        Some((file, bytes)) => job.with_rom_preloader(file, bytes),
        None => job,
    };
    let registry = job.registry().clone();
    driver.event(&RepairEvent::Started(RepairStep::Identify));
    let done = job.run(|phone| {
        let mut fingerprint = crate::engine::identify::fingerprint(phone, None)?;
        crate::engine::identify::settle_dead_boot(&mut fingerprint, &registry);
        rec.update(&identified(&fingerprint));
        driver.event(&RepairEvent::Identified(Box::new(fingerprint.clone())));
        driver.event(&RepairEvent::Finished(RepairStep::Identify));

        driver.event(&RepairEvent::Started(RepairStep::CheckRom));
        let findings = board::check(&rom.facts, &board_of(&fingerprint));
        driver.event(&RepairEvent::RomChecked(findings.clone()));
        let device = DeviceFacts::from_fingerprint(&fingerprint);
        let plan = match plan_for(&device, &rom.view, request, &rom.errors) {
            Ok(plan) => plan,
            Err(e) => return Ok(Err(e)),
        };
        driver.event(&RepairEvent::Finished(RepairStep::CheckRom));

        let backup = match settle_backup(phone, &fingerprint, backups, dry_run, driver, rec)? {
            Ok(backup) => backup,
            Err(e) => return Ok(Err(e)),
        };

        driver.event(&RepairEvent::Started(RepairStep::Plan));
        driver.event(&RepairEvent::PlanReady(Box::new(plan.clone())));
        let report = |outcome, flashed| RepairReport {
            outcome,
            fingerprint: fingerprint.clone(),
            board_findings: findings.clone(),
            backup: backup.note.clone(),
            backup_id: backup.id.clone(),
            backup_taken: backup.taken,
            plan: plan.clone(),
            flashed,
            journal_job: None,
            sheet: None,
        };
        if dry_run {
            driver.event(&RepairEvent::Skipped {
                step: RepairStep::Flash,
                why: "dry run: nothing was written".into(),
            });
            return Ok(Ok(report(Outcome::Planned, None)));
        }
        if !driver.confirm(&plan) {
            driver.event(&RepairEvent::Skipped {
                step: RepairStep::Flash,
                why: "the plan was not confirmed: nothing was written".into(),
            });
            return Ok(Ok(report(Outcome::NotConfirmed, None)));
        }
        driver.event(&RepairEvent::Finished(RepairStep::Plan));

        driver.event(&RepairEvent::Started(RepairStep::Flash));
        let flashed = match record_and_run(
            phone,
            fingerprint.clone(),
            request,
            &plan,
            &mut rom.package,
            jobs_dir,
            rec,
        )? {
            Ok(flashed) => flashed,
            Err(e) => return Ok(Err(e)),
        };
        driver.event(&RepairEvent::Finished(RepairStep::Flash));
        Ok(Ok(report(Outcome::Repaired, Some(flashed))))
    })?;
    finish(done)
}

/// The ROM's preloader image (file name, first bytes), for the DRAM settings of a dead phone.
fn rom_preloader(rom: &mut crate::flash::LoadedRom) -> Option<(String, Vec<u8>)> {
    use std::io::Read as _;
    let file = rom
        .view
        .partitions
        .iter()
        .find(|p| p.bootloader)?
        .image
        .as_ref()?
        .file
        .clone();
    let mut bytes = Vec::new();
    let limit = crate::firmware::preloader::MAX_EMI_SCAN as u64;
    rom.package
        .image(&file)
        .ok()?
        .take(limit)
        .read_to_end(&mut bytes)
        .ok()?;
    Some((file, bytes))
}

/// What the backup step settled.
struct Settled {
    note: String,
    id: Option<String>,
    taken: bool,
}

/// The backup step: names this phone's newest verified identity backup, or takes one on
/// `phone` (read twice, compared, stored whole, verified); on a dry run says which it would
/// do and touches neither the phone nor the store.
fn settle_backup<T: Transport>(
    phone: &mut Phone<'_, T>,
    fingerprint: &Fingerprint,
    backups: &Store,
    dry_run: bool,
    driver: &mut dyn RepairDriver,
    rec: &Recorder<'_>,
) -> Result<crate::Result<Settled>, DeviceError> {
    let skipped = |driver: &mut dyn RepairDriver, note: String, id: Option<String>| {
        driver.event(&RepairEvent::Skipped {
            step: RepairStep::Backup,
            why: note.clone(),
        });
        Settled {
            note,
            id,
            taken: false,
        }
    };
    if let Some(found) = backup::verified(backups, &fingerprint.device_key()) {
        rec.update(&NewJob {
            backup_id: Some(found.id.clone()),
            ..NewJob::default()
        });
        let note = format!(
            "this phone already has a verified identity backup, {}: none taken",
            found.id
        );
        return Ok(Ok(skipped(driver, note, Some(found.id))));
    }
    if dry_run {
        let note = "this phone has no verified identity backup yet: the repair would read its \
                    identity set twice and store it before flashing (dry run: nothing read or \
                    stored)"
            .to_string();
        return Ok(Ok(skipped(driver, note, None)));
    }
    driver.event(&RepairEvent::Started(RepairStep::Backup));
    let read = backup::read_identity(phone)?;
    let stored = match backup::store_verified(backups, &read, None, SystemTime::now(), &mut |_| {})
    {
        Ok(stored) => stored,
        Err(e) => return Ok(Err(e.into())),
    };
    rec.update(&NewJob {
        backup_id: Some(stored.id.clone()),
        ..NewJob::default()
    });
    driver.event(&RepairEvent::Finished(RepairStep::Backup));
    Ok(Ok(Settled {
        note: format!(
            "this phone had no verified identity backup: taken and verified, {}",
            stored.id
        ),
        id: Some(stored.id),
        taken: true,
    }))
}
