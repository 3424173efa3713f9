//! A flash cancelled in the middle of a write, through the library API the TUI drives: the job
//! stops between two packets, its record says which partitions are complete, and
//! `execute::resume` on the same phone finishes it with every write read back and verified.

mod common;
mod device_support;

use std::sync::{Arc, Mutex};

use common::rom::write_rom_with;
use device_support::InProcessSim;
use mtkbench::{
    firmware::scatter::Region,
    flash::{
        Mode, Overrides,
        execute::{self, FlashRequest},
        record::{JobRecord, StepState},
    },
    job::{CancelToken, DeviceError, Job, ProgressEvent},
    journal::{Filter, Journal, Outcome},
    sim::{
        device::Mode as SimMode,
        storage::{ImageStorage, Storage},
    },
};

/// A job on `sim`'s port that cancels itself at the first progress of a 3 MiB transfer.
fn job(sim: &InProcessSim, cancel_in_big_write: bool) -> (Job, Arc<Mutex<Vec<ProgressEvent>>>) {
    let seen: Arc<Mutex<Vec<ProgressEvent>>> = Arc::default();
    let keep = seen.clone();
    let cancel = CancelToken::new();
    let stop = cancel.clone();
    let job = sim.job().with_cancel(cancel).with_progress(move |e| {
        if cancel_in_big_write
            && matches!(e, ProgressEvent::Advanced { total: 0x30_0000, done, .. } if *done > 0)
        {
            stop.cancel();
        }
        keep.lock().unwrap().push(e.clone());
    });
    (job, seen)
}

#[test]
fn a_cancelled_flash_keeps_its_record_and_resumes_to_completion() {
    let mut sim = InProcessSim::start("a516_row", None, SimMode::Brom, &[]);
    let (identify, _) = job(&sim, false);
    let fingerprint = identify.run(|phone| Ok(phone.fingerprint())).unwrap().value;
    sim.replugged();
    let dir = tempfile::tempdir().unwrap();
    let rom = write_rom_with(
        &dir.path().join("rom"),
        &serde_json::to_value(&fingerprint).unwrap(),
        0,
        0x30_0000,
    );
    let jobs = dir.path().join("jobs");
    let request = FlashRequest {
        rom: rom.clone(),
        mode: Mode::DownloadOnly,
        selection: None,
        overrides: Overrides::default(),
        verify: true,
    };

    let (cancelling, seen) = job(&sim, true);
    let journal = Journal::in_memory().unwrap();
    let err = execute::flash_journaled(cancelling, &request, &jobs, Some(&journal)).unwrap_err();
    assert!(err.is_cancelled(), "{err}");
    // The journal says the technician stopped it, not that it failed, and `history
    // --outcome cancelled` finds it.
    let rows = journal.list(&Filter::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].outcome, Outcome::Cancelled);
    assert!(
        rows[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("stopped on request"))
    );
    let cancelled = Filter {
        outcome: Some(Outcome::Cancelled),
        ..Filter::default()
    };
    assert_eq!(journal.list(&cancelled).unwrap().len(), 1);
    let failed = Filter {
        outcome: Some(Outcome::Failed),
        ..Filter::default()
    };
    assert!(journal.list(&failed).unwrap().is_empty());
    // The stop, as the job's record tells it (the job to resume), caused by the cancel.
    let inner: &dyn std::error::Error = err.inner();
    let device = std::iter::successors(Some(inner), |e| e.source())
        .find_map(|e| e.downcast_ref::<DeviceError>())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(err.help().contains("flash --resume"), "{}", err.help());
    assert!(matches!(device, DeviceError::Cancelled { .. }), "{device}");
    let events = seen.lock().unwrap().clone();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProgressEvent::PlanReady { .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ProgressEvent::Verifying { name } if name == "UBOOT"))
    );
    assert!(
        matches!(events.last(), Some(ProgressEvent::Cancelled { .. })),
        "{events:?}"
    );

    // The record: UBOOT written and verified, BOOTIMG not complete.
    let record = JobRecord::load(&jobs, None).unwrap();
    let state = |name: &str| {
        record
            .steps
            .iter()
            .find(|s| s.partition == name)
            .unwrap()
            .state
    };
    assert_eq!(state("UBOOT"), StepState::Verified);
    assert_eq!(state("BOOTIMG"), StepState::Pending);

    // Resumed on the same phone: only what was not complete is written.
    let (resuming, seen) = job(&sim, false);
    let done = execute::resume(resuming, None, &jobs).unwrap();
    assert!(done.rebooted());
    assert!(done.value.resumed_from >= 1);
    let events = seen.lock().unwrap().clone();
    assert!(events.iter().any(
        |e| matches!(e, ProgressEvent::Skipped { name, why, .. } if name == "UBOOT" && why.contains("before the interruption"))
    ));
    let record = JobRecord::load(&jobs, Some(&done.value.job)).unwrap();
    assert!(record.is_finished());
    sim.replugged();
    let boot = std::fs::read(rom.join("boot.img")).unwrap();
    let at = fingerprint
        .partitions
        .iter()
        .find(|p| p.name == "BOOTIMG")
        .unwrap()
        .offset;
    let mut flash = vec![0u8; boot.len()];
    ImageStorage::open(&sim.image)
        .unwrap()
        .read(Region::EmmcUser, at, &mut flash)
        .unwrap();
    assert_eq!(flash, boot);
}
