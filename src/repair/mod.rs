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
//! before the plan is confirmed; when it has one, that one is named and none is taken (but
//! for Firmware Upgrade, which restores only from a backup read in this connection: a new one
//! is taken, and the earlier one mentioned). The report names the backup the flash restored
//! from, even when the plan's own backup steps read it. A dry
//! run says which it would do and reads or stores nothing: its plan shows the backup steps
//! the real run takes first (Format All + Download included), and a Format All + Download not
//! yet confirmed is shown with the confirmation it needs instead of refused. The plan is made once the backup
//! is settled: Firmware Upgrade restores the NVRAM set from a backup taken in this connection
//! (the repair's own, or one its plan takes after the confirmation), Format All + Download
//! from this phone's verified backup (the repair's own or the store's), both into the layout
//! the ROM gives the phone, read again after its partition table is written.
//!
//! This module never draws and never imports `cli` or `tui`.

use std::{path::Path, time::SystemTime};

use serde::Serialize;

use crate::{
    backup::Store,
    device::Fingerprint,
    engine::{Recorder, backup},
    error::HostError,
    firmware::board::{self, BoardFinding},
    flash::{
        DeviceFacts, LoadedRom, Mode, Plan, Planning,
        execute::{
            FlashRequest, Flashed, Places, backups_beside, finish, flash_job, identified,
            interrupted, plan_for, record_and_run, verified_backup,
        },
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

/// What the technician chose for the phone just identified ([`RepairDriver::choose`]).
#[derive(Debug, Clone)]
pub struct Choice {
    /// The ROM package, the mode and the technician's explicit decisions.
    pub request: FlashRequest,
    /// The marking printed on the phone's board, as typed (recorded with the phone).
    pub pcb_marking: Option<String>,
}

/// The face that drives a repair: hears its events, confirms its plan, and (in a [`visit`])
/// chooses the ROM and mode once the phone is identified.
pub trait RepairDriver {
    /// One event, in order.
    fn event(&mut self, event: &RepairEvent);

    /// True to carry the plan out. Called once, after [`RepairEvent::PlanReady`], and never
    /// on a dry run.
    fn confirm(&mut self, plan: &Plan) -> bool;

    /// The ROM and mode for the phone identified on `port` while it stays connected. Asked
    /// only by [`visit`] ([`run`] is given its request): after [`RepairEvent::Identified`],
    /// and again after a choice that could not be carried out (`refused` is why: a ROM that
    /// does not load, a plan the planner refuses) or a plan not confirmed. `None` ends the
    /// visit: nothing is written and the session ends. The default chooses nothing.
    fn choose(
        &mut self,
        port: &str,
        fingerprint: &Fingerprint,
        refused: Option<&crate::Error>,
    ) -> Option<Choice> {
        let _ = (port, fingerprint, refused);
        None
    }
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
    run_in(
        job,
        request,
        dry_run,
        jobs_dir,
        &backups_beside(jobs_dir),
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
    // The ROM is read before the phone is waited for: a package that cannot be read is told
    // at once, not after the phone was put into download mode.
    let result = load_rom(&request.rom).and_then(|rom| {
        let source = Source::Given(request, Box::new(rom));
        let done = run_with(job, source, dry_run, jobs_dir, backups, driver, &rec)?;
        // A given request is never asked for again, so a report always comes back.
        finish(
            done.map(|value| value.ok_or_else(|| HostError::Usage(NOTHING_CHOSEN.into()).into())),
        )
    });
    end_record(&rec, result.as_ref().map(|d| Some(d.value.outcome)));
    let mut done = result?;
    sheet(&mut done.value, journal, &rec);
    Ok(done)
}

/// The workstation's visit in ONE connection: wait for the phone, identify it, then ask the
/// driver ([`RepairDriver::choose`]) for the ROM and mode while the phone stays connected;
/// check the ROM against the phone and plan (a choice that cannot be carried out is asked
/// again, with why); settle the identity backup in the same connection; show the plan and
/// wait for its confirmation (a plan not confirmed goes back to the choice); flash, verify,
/// and end the session (the job layer's end policy reboots the phone). `None` when the
/// driver chose nothing: nothing was written. Recorded in `journal` like [`run_in`] (a
/// visit that chose nothing ends `cancelled`).
pub fn visit(
    job: Job,
    jobs_dir: &Path,
    backups: &Store,
    driver: &mut dyn RepairDriver,
    journal: Option<&Journal>,
) -> crate::Result<Done<Option<RepairReport>>> {
    let rec = Recorder::start(journal, JobKind::Flash, &NewJob::default());
    let result = run_with(job, Source::Asked, false, jobs_dir, backups, driver, &rec);
    end_record(
        &rec,
        result.as_ref().map(|d| d.value.as_ref().map(|r| r.outcome)),
    );
    let mut done = result?;
    if let Some(report) = &mut done.value {
        sheet(report, journal, &rec);
    }
    Ok(done)
}

/// Why a repair that was given its ROM ended without a report (never expected).
const NOTHING_CHOSEN: &str = "the repair ended before a ROM was chosen: nothing was written";

/// Ends the journal row: a plan not confirmed, or nothing chosen, is `cancelled`.
fn end_record(rec: &Recorder<'_>, result: Result<Option<Outcome>, &crate::Error>) {
    match result {
        Ok(Some(Outcome::NotConfirmed)) => rec.end_with(
            journal::Outcome::Cancelled,
            Some("the plan was not confirmed: nothing was written"),
        ),
        Ok(None) => rec.end_with(
            journal::Outcome::Cancelled,
            Some("no ROM was chosen: nothing was written"),
        ),
        Ok(Some(_)) => rec.end_with(journal::Outcome::Done, None),
        Err(e) => rec.end_with(journal::Outcome::Failed, Some(&e.to_string())),
    }
}

/// Names the journal job in the report and makes the customer's job sheet from its row.
fn sheet(report: &mut RepairReport, journal: Option<&Journal>, rec: &Recorder<'_>) {
    report.journal_job = rec.id();
    report.sheet = journal
        .zip(rec.id())
        .and_then(|(j, id)| j.get(id).ok())
        .map(|row| journal::sheet::sheet(&row));
}

/// Where the repair's ROM and mode come from.
enum Source<'r> {
    /// Given before the phone was reached (`mtkbench repair`), the ROM already read.
    Given(&'r FlashRequest, Box<LoadedRom>),
    /// Asked of the driver once the phone is identified (the workstation).
    Asked,
}

/// A choice whose ROM was checked against the phone.
struct Checked {
    request: FlashRequest,
    rom: LoadedRom,
    findings: Vec<BoardFinding>,
}

/// Checks the ROM against the phone, reporting as it goes, and runs the planner's refusals
/// (chip, storage, layout for Download Only, sizes) before the backup step; `found` is this
/// phone's verified backup in the store, whose absence Format All + Download's backup step
/// settles (and whose confirmation the plan made after it asks for).
fn check_rom(
    request: FlashRequest,
    rom: LoadedRom,
    fingerprint: &Fingerprint,
    device: &DeviceFacts,
    found: Option<&crate::flash::BackupFacts>,
    driver: &mut dyn RepairDriver,
) -> crate::Result<Checked> {
    driver.event(&RepairEvent::Started(RepairStep::CheckRom));
    let findings = board::check(&rom.facts, &board_of(fingerprint));
    driver.event(&RepairEvent::RomChecked(findings.clone()));
    let only_the_rom = Planning {
        backup_first: true,
        preview: true,
    };
    plan_for(
        device,
        &rom.view,
        &request,
        &rom.errors,
        found,
        only_the_rom,
    )?;
    driver.event(&RepairEvent::Finished(RepairStep::CheckRom));
    Ok(Checked {
        request,
        rom,
        findings,
    })
}

/// The steps in one connection; the ROM and mode from `source`.
fn run_with(
    job: Job,
    source: Source<'_>,
    dry_run: bool,
    jobs_dir: &Path,
    backups: &Store,
    driver: &mut dyn RepairDriver,
    rec: &Recorder<'_>,
) -> crate::Result<Done<Option<RepairReport>>> {
    let mut source = source;
    // A dead phone's DA may ask for DRAM settings: a given ROM's preloader is one source (a
    // visit chooses its ROM only after the phone is up, so it has the phone's backup and
    // `--preloader` only).
    let job = match &mut source {
        Source::Given(_, rom) => match rom_preloader(rom) {
            Some((file, bytes)) => job.with_rom_preloader(file, bytes),
            None => job,
        },
        Source::Asked => job,
    };
    let registry = job.registry().clone();
    driver.event(&RepairEvent::Started(RepairStep::Identify));
    let mut started = None;
    let done = job.run(|phone| {
        let mut fingerprint = crate::engine::identify::fingerprint(phone, None)?;
        crate::engine::identify::settle_dead_boot(&mut fingerprint, &registry);
        rec.update(&identified(&fingerprint));
        driver.event(&RepairEvent::Identified(Box::new(fingerprint.clone())));
        driver.event(&RepairEvent::Finished(RepairStep::Identify));

        let (asking, mut given) = match source {
            Source::Given(request, rom) => (false, Some((request.clone(), *rom))),
            Source::Asked => (true, None),
        };
        let mut refused: Option<crate::Error> = None;
        let mut settled: Option<Settled> = None;
        loop {
            let (request, rom) = match given.take() {
                Some(given) => given,
                None => {
                    let port = phone.port().to_string();
                    let Some(choice) = driver.choose(&port, &fingerprint, refused.take().as_ref())
                    else {
                        return Ok(Ok(None));
                    };
                    if choice.pcb_marking != fingerprint.pcb_marking {
                        fingerprint.pcb_marking = choice.pcb_marking;
                        rec.update(&identified(&fingerprint));
                    }
                    rec.update(&flash_job(&choice.request));
                    match load_rom(&choice.request.rom) {
                        Ok(rom) => (choice.request, rom),
                        Err(e) => {
                            refused = Some(e);
                            continue;
                        }
                    }
                }
            };
            let device = DeviceFacts::from_fingerprint(&fingerprint);
            let found = verified_backup(backups, &device, request.mode, false);
            let Checked {
                request,
                mut rom,
                findings,
            } = match check_rom(request, rom, &fingerprint, &device, found.as_ref(), driver) {
                Ok(checked) => checked,
                Err(e) if asking => {
                    refused = Some(e);
                    continue;
                }
                Err(e) => return Ok(Err(e)),
            };

            let backup = match settled.take() {
                Some(backup) => backup,
                None => match settle_backup(
                    phone,
                    &fingerprint,
                    backups,
                    request.mode,
                    dry_run,
                    driver,
                    rec,
                )? {
                    Ok(backup) => backup,
                    Err(e) => return Ok(Err(e)),
                },
            };
            // A backup taken in this connection serves Firmware Upgrade too (the phone has
            // not been touched since); one found in the store serves only Format All +
            // Download.
            let in_hand = match request.mode {
                Mode::DownloadOnly => None,
                _ if backup.taken => verified_backup(backups, &device, request.mode, true),
                _ => found,
            };
            // A dry run has taken no backup: its plan shows the backup steps the real run
            // takes first, and the confirmation Format All + Download will need.
            let planning = Planning {
                backup_first: true,
                preview: dry_run,
            };
            let plan = match plan_for(
                &device,
                &rom.view,
                &request,
                &rom.errors,
                in_hand.as_ref(),
                planning,
            ) {
                Ok(plan) => plan,
                Err(e) if asking => {
                    refused = Some(e);
                    settled = Some(backup);
                    continue;
                }
                Err(e) => return Ok(Err(e)),
            };

            driver.event(&RepairEvent::Started(RepairStep::Plan));
            driver.event(&RepairEvent::PlanReady(Box::new(plan.clone())));
            let report = |outcome, flashed: Option<Flashed>| {
                // The backup the flash restored from is the one relied on: its own backup
                // steps may have read a new one (a Firmware Upgrade chosen after the backup
                // step named one from an earlier session).
                let (backup_id, backup_taken, note) =
                    match flashed.as_ref().and_then(|f| f.backup.clone()) {
                        Some(used) if backup.id.as_deref() != Some(used.as_str()) => (
                            Some(used.clone()),
                            true,
                            format!(
                                "{}; the flash read the identity again in this connection and \
                                 restored from that new backup, {used}",
                                backup.note
                            ),
                        ),
                        _ => (backup.id.clone(), backup.taken, backup.note.clone()),
                    };
                RepairReport {
                    outcome,
                    fingerprint: fingerprint.clone(),
                    board_findings: findings.clone(),
                    backup: note,
                    backup_id,
                    backup_taken,
                    plan: plan.clone(),
                    flashed,
                    journal_job: None,
                    sheet: None,
                }
            };
            if dry_run {
                driver.event(&RepairEvent::Skipped {
                    step: RepairStep::Flash,
                    why: "dry run: nothing was written".into(),
                });
                return Ok(Ok(Some(report(Outcome::Planned, None))));
            }
            if !driver.confirm(&plan) {
                driver.event(&RepairEvent::Skipped {
                    step: RepairStep::Flash,
                    why: if asking {
                        NOT_CONFIRMED_ASK
                    } else {
                        NOT_CONFIRMED
                    }
                    .into(),
                });
                if asking {
                    settled = Some(backup);
                    continue;
                }
                return Ok(Ok(Some(report(Outcome::NotConfirmed, None))));
            }
            driver.event(&RepairEvent::Finished(RepairStep::Plan));

            driver.event(&RepairEvent::Started(RepairStep::Flash));
            let at = Places { jobs_dir, backups };
            let flashed = match record_and_run(
                phone,
                fingerprint.clone(),
                &request,
                &plan,
                &mut rom,
                at,
                rec,
                &mut started,
            )? {
                Ok(flashed) => flashed,
                Err(e) => return Ok(Err(e)),
            };
            driver.event(&RepairEvent::Finished(RepairStep::Flash));
            return Ok(Ok(Some(report(Outcome::Repaired, Some(flashed)))));
        }
    });
    let done = done.map_err(|e| interrupted(e, jobs_dir, started.as_deref()))?;
    finish(done)
}

/// A plan not confirmed.
const NOT_CONFIRMED: &str = "the plan was not confirmed: nothing was written";
/// A plan not confirmed in a visit, which asks again.
const NOT_CONFIRMED_ASK: &str =
    "the plan was not confirmed: nothing was written; choose again, the phone stays connected";

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
/// do and touches neither the phone nor the store. A Firmware Upgrade (`mode`) restores only
/// from a backup read in this connection, so for it a backup from an earlier session is
/// mentioned and a new one taken.
#[allow(clippy::too_many_arguments)]
fn settle_backup<T: Transport>(
    phone: &mut Phone<'_, T>,
    fingerprint: &Fingerprint,
    backups: &Store,
    mode: Mode,
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
    let found = backup::verified(backups, &fingerprint.device_key());
    let (found, earlier) = match found {
        Some(b) if mode == Mode::FirmwareUpgrade => (None, Some(b.id)),
        found => (found, None),
    };
    let earlier = earlier.map(|id| {
        format!(
            "this phone's verified identity backup {id} is from an earlier session, and \
             Firmware Upgrade restores only from one read in this connection"
        )
    });
    if let Some(found) = found {
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
    let why = earlier
        .clone()
        .unwrap_or_else(|| "this phone has no verified identity backup yet".into());
    if dry_run {
        let note = format!(
            "{why}: the repair would read its identity set twice and store it before flashing \
             (dry run: nothing read or stored)"
        );
        return Ok(Ok(skipped(driver, note, None)));
    }
    driver.event(&RepairEvent::Started(RepairStep::Backup));
    let read = match backup::read_identity(phone, backups)? {
        Ok(read) => read,
        Err(e) => return Ok(Err(e.into())),
    };
    let stored = match backup::store_verified(backups, read, None, SystemTime::now(), &mut |_| {}) {
        Ok(stored) => stored,
        Err(e) => return Ok(Err(e.into())),
    };
    rec.update(&NewJob {
        backup_id: Some(stored.id.clone()),
        ..NewJob::default()
    });
    driver.event(&RepairEvent::Finished(RepairStep::Backup));
    let why = earlier.unwrap_or_else(|| "this phone had no verified identity backup".into());
    Ok(Ok(Settled {
        note: format!("{why}: taken and verified, {}", stored.id),
        id: Some(stored.id),
        taken: true,
    }))
}
