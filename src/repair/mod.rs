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
//! (chip, storage, layout for Download Only, image sizes, the ROM's own errors). In this build
//! the identity backup store is not part of the repair yet: the modes that need a backup
//! (Firmware Upgrade, Format All + Download) are refused before anything is written.
//!
//! This module never draws and never imports `cli` or `tui`.

use std::path::Path;

use serde::Serialize;

use crate::{
    device::Fingerprint,
    engine::Recorder,
    firmware::board::{self, BoardFinding},
    flash::{
        DeviceFacts, Mode, Plan,
        execute::{FlashRequest, Flashed, finish, flash_job, identified, plan_for, record_and_run},
        facts::board_of,
        load_rom,
    },
    job::{Done, Job},
    journal::{self, JobKind, Journal, sheet::Sheet},
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
    /// What the identity backup step did.
    pub backup: String,
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
/// [`run_journaled`].
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
    let rec = Recorder::start(
        journal.filter(|_| !dry_run),
        JobKind::Flash,
        &flash_job(request),
    );
    let result = run_with(job, request, dry_run, jobs_dir, driver, &rec);
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
    driver: &mut dyn RepairDriver,
    rec: &Recorder<'_>,
) -> crate::Result<Done<RepairReport>> {
    let mut rom = load_rom(&request.rom)?;
    driver.event(&RepairEvent::Started(RepairStep::Identify));
    let done = job.run(|phone| {
        let fingerprint = crate::engine::identify::fingerprint(phone, None)?;
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

        let backup = match plan.mode() {
            Mode::DownloadOnly => {
                "not needed: Download Only never writes the NVRAM set, and this plan leaves it \
                 as it is"
            }
            // plan_for refuses the modes that restore until the backup store is there.
            Mode::FirmwareUpgrade | Mode::FormatAll => "taken by the plan",
        };
        driver.event(&RepairEvent::Skipped {
            step: RepairStep::Backup,
            why: backup.into(),
        });

        driver.event(&RepairEvent::Started(RepairStep::Plan));
        driver.event(&RepairEvent::PlanReady(Box::new(plan.clone())));
        let report = |outcome, flashed| RepairReport {
            outcome,
            fingerprint: fingerprint.clone(),
            board_findings: findings.clone(),
            backup: backup.into(),
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
