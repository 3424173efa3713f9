//! The job layer end to end: a job is recorded once against the in-process simulated phone
//! (real pseudo-terminal), then replayed over the scripted transport, whole, cut off part-way
//! and cancelled part-way. Checked on every path: the work's result, the order of the
//! progress events (documented in `device::progress`), the phone state a cancel reports, the
//! guard (refusals and the recorded override), and that no file is left under the output's
//! name unless the readback completed.

mod device_support;

use std::{
    io::Write,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use device_support::InProcessSim;
use mtkbench::{
    fsutil::AtomicFile,
    job::{
        CancelToken, DeviceError, EndPolicy, Job, OpKind, Options, Override, PhoneState, Place,
        PortSpec, ProgressEvent, Region, Selector, Stage,
        flows::{self, EraseRequest, WriteRequest},
    },
    profile::Registry,
    protocol::da_file::{DaFile, generate_sim_da},
    sim::device::Mode,
    transport::{
        RecordingTransport, ScriptedTransport, SerialTransport,
        transcript::{Direction, Event, Transcript},
    },
};

/// A place of three 1 MiB packets in the user area, clear of every protected partition.
fn three_packets() -> Place {
    Place {
        selector: Selector::Region(Region::EmmcUser),
        offset: Some(0x0200_0000),
        length: Some(3 << 20),
    }
}

fn options() -> Options {
    Options {
        port: PortSpec::Path("unused: run_on".into()),
        wait: Duration::ZERO,
        da: None,
        record: None,
        end: EndPolicy::Reboot,
    }
}

type Seen = Arc<Mutex<Vec<ProgressEvent>>>;

/// A job that keeps its events, and cancels itself at the `cancel_at`-th `Advanced`.
fn job(cancel_at: Option<usize>) -> (Job, Seen) {
    let seen: Seen = Arc::default();
    let keep = seen.clone();
    let cancel = CancelToken::new();
    let stop = cancel.clone();
    let mut advanced = 0;
    let job = Job::with_da(
        options(),
        DaFile::parse(generate_sim_da()).unwrap(),
        Registry::builtin(),
    )
    .with_cancel(cancel)
    .with_progress(move |e| {
        if matches!(e, ProgressEvent::Advanced { .. }) {
            advanced += 1;
            if Some(advanced) == cancel_at {
                stop.cancel();
            }
        }
        keep.lock().unwrap().push(e.clone());
    });
    (job, seen)
}

/// The device error inside a job's error.
fn device_error(e: &mtkbench::Error) -> &DeviceError {
    let inner: &dyn std::error::Error = e.inner();
    inner.downcast_ref::<DeviceError>().unwrap()
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs a readback of [`three_packets`] against the simulator, recording the session.
fn record_readback(dir: &Path) -> (Transcript, Vec<u8>) {
    let sim = InProcessSim::start("a516_row", None, Mode::Brom, &[]);
    let port = SerialTransport::open(&sim.port_str()).unwrap();
    let text = Shared::default();
    let rec = RecordingTransport::new(port, text.clone());
    let (job, _) = job(None);
    let out = AtomicFile::create(&dir.join("live.bin")).unwrap();
    let done = job
        .run_on(rec, |phone| {
            flows::readback(phone, &three_packets(), false, out)
        })
        .unwrap();
    assert!(done.rebooted());
    let data = std::fs::read(dir.join("live.bin")).unwrap();
    assert_eq!(data.len(), 3 << 20);
    let text = String::from_utf8(text.0.lock().unwrap().clone()).unwrap();
    (Transcript::parse(&text).unwrap(), data)
}

/// The events without `Stage` and `Advanced`, as names: the skeleton of the order.
fn skeleton(events: &[ProgressEvent]) -> Vec<&'static str> {
    events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Stage(Stage::Finish) => Some("finish"),
            ProgressEvent::Stage(_) | ProgressEvent::Advanced { .. } => None,
            ProgressEvent::PlanReady { .. } => Some("plan"),
            ProgressEvent::Started { .. } => Some("started"),
            ProgressEvent::Finished { .. } => Some("finished"),
            ProgressEvent::Skipped { .. } => Some("skipped"),
            ProgressEvent::Verifying { .. } => Some("verifying"),
            ProgressEvent::Failed { .. } => Some("failed"),
            ProgressEvent::Cancelled { .. } => Some("cancelled"),
        })
        .collect()
}

/// `Advanced` never goes back and never passes the total.
fn check_advances(events: &[ProgressEvent]) {
    let mut last = 0;
    for e in events {
        match e {
            ProgressEvent::Started { .. } => last = 0,
            ProgressEvent::Advanced { done, total, .. } => {
                assert!(*done >= last && done <= total, "{e:?}");
                last = *done;
            }
            _ => {}
        }
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_readback_job_replays_over_the_scripted_transport_on_every_path() {
    let dir = tempfile::tempdir().unwrap();
    let (transcript, live) = record_readback(dir.path());

    // Whole: the same bytes, the documented order.
    let (j, seen) = job(None);
    let out = AtomicFile::create(&dir.path().join("replay.bin")).unwrap();
    let script = ScriptedTransport::from_transcript(transcript.clone());
    let done = j
        .run_on(script, |phone| {
            flows::readback(phone, &three_packets(), false, out)
        })
        .unwrap();
    assert_eq!(std::fs::read(dir.path().join("replay.bin")).unwrap(), live);
    assert_eq!(done.value.stored.bytes, 3 << 20);
    let events = seen.lock().unwrap().clone();
    assert_eq!(skeleton(&events), ["plan", "started", "finished", "finish"]);
    check_advances(&events);
    let stages: Vec<Stage> = events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::Stage(s) => Some(*s),
            _ => None,
        })
        .collect();
    assert_eq!(stages.first(), Some(&Stage::Handshake));
    assert!(stages.contains(&Stage::PartitionTable) && stages.contains(&Stage::Read));
    let plan = events.iter().find_map(|e| match e {
        ProgressEvent::PlanReady { steps } => Some(steps.clone()),
        _ => None,
    });
    let plan = plan.unwrap();
    assert_eq!(plan.len(), 1);
    assert_eq!((plan[0].op, plan[0].len), (OpKind::Read, 3 << 20));

    // Left in download mode by policy: no reboot is sent.
    let seen: Seen = Arc::default();
    let keep = seen.clone();
    let leave = Options {
        end: EndPolicy::Leave,
        ..options()
    };
    let j = Job::with_da(
        leave,
        DaFile::parse(generate_sim_da()).unwrap(),
        Registry::builtin(),
    )
    .with_progress(move |e| keep.lock().unwrap().push(e.clone()));
    let out = AtomicFile::create(&dir.path().join("left.bin")).unwrap();
    let done = j
        .run_on(
            ScriptedTransport::from_transcript(transcript.clone()),
            |phone| flows::readback(phone, &three_packets(), false, out),
        )
        .unwrap();
    assert_eq!(done.ended, mtkbench::job::Ended::Left);
    assert!(!done.rebooted());
    assert_eq!(
        skeleton(&seen.lock().unwrap()),
        ["plan", "started", "finished"]
    );
    std::fs::remove_file(dir.path().join("left.bin")).unwrap();

    // Cut off in the second packet of data: Failed closes the transfer, nothing follows, and
    // the output never gets its name.
    let mut from_phone = 0;
    let cut_at = transcript
        .records
        .iter()
        .position(|r| {
            if let Event::Data(Direction::PhoneToHost, b) = &r.event {
                from_phone += b.len();
            }
            from_phone > 3 << 19
        })
        .unwrap();
    let cut = Transcript {
        records: transcript.records[..cut_at].to_vec(),
    };
    let (j, seen) = job(None);
    let out = AtomicFile::create(&dir.path().join("cut.bin")).unwrap();
    let e = j
        .run_on(ScriptedTransport::from_transcript(cut), |phone| {
            flows::readback(phone, &three_packets(), false, out)
        })
        .unwrap_err();
    assert_eq!(device_error(&e).stage(), Some(Stage::Read), "{e}");
    let events = seen.lock().unwrap().clone();
    assert_eq!(skeleton(&events), ["plan", "started", "failed"]);
    check_advances(&events);
    assert!(matches!(
        events.last(),
        Some(ProgressEvent::Failed {
            op: Some(OpKind::Read),
            name: Some(_),
            ..
        })
    ));

    // Cancelled at the first advance: it stops between two packets, says the storage is
    // unchanged, and leaves no file.
    let (j, seen) = job(Some(1));
    let out = AtomicFile::create(&dir.path().join("cancelled.bin")).unwrap();
    let e = j
        .run_on(ScriptedTransport::from_transcript(transcript), |phone| {
            flows::readback(phone, &three_packets(), false, out)
        })
        .unwrap_err();
    match device_error(&e) {
        DeviceError::Cancelled {
            stage,
            done,
            total,
            state,
            ..
        } => {
            assert_eq!(*stage, Stage::Read);
            assert_eq!(*state, PhoneState::Unchanged);
            assert!(*done > 0 && done < total, "{done} of {total}");
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("stopped on request"), "{e}");
    assert!(e.help().contains("unplug"), "{}", e.help());
    let events = seen.lock().unwrap().clone();
    assert_eq!(skeleton(&events), ["plan", "started", "cancelled"]);
    assert_eq!(names_in(dir.path()), ["live.bin", "replay.bin"]);
}

#[test]
fn a_cancel_on_the_simulator_stops_between_packets_and_reports_a_partial_write() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("big.img");
    std::fs::write(&image, vec![0x5Au8; 3 << 20]).unwrap();
    let sim = InProcessSim::start("a516_row", None, Mode::Brom, &[]);
    let port = SerialTransport::open(&sim.port_str()).unwrap();
    // As the TUI will: the job on a worker thread, events over a channel, the cancel from
    // the thread that watches them.
    // The first advance waits for the watcher's word, so the cancel lands before the next
    // packet whatever the machine's load.
    let (tx, events) = std::sync::mpsc::channel();
    let (ack, acked) = std::sync::mpsc::channel::<()>();
    let mut waited = false;
    let job = Job::with_da(
        options(),
        DaFile::parse(generate_sim_da()).unwrap(),
        Registry::builtin(),
    )
    .with_progress(move |e| {
        let _ = tx.send(e.clone());
        if matches!(e, ProgressEvent::Advanced { .. }) && !waited {
            waited = true;
            let _ = acked.recv();
        }
    });
    let cancel = job.cancel_token();
    let mut request = WriteRequest::prepare(three_packets(), &image, Override::None).unwrap();
    let worker = std::thread::spawn(move || {
        job.run_on(port, |phone| flows::write(phone, &mut request))
            .map(|done| done.value)
    });
    let mut seen = Vec::new();
    for e in events.iter() {
        if matches!(e, ProgressEvent::Advanced { .. }) && !cancel.is_cancelled() {
            cancel.cancel();
            ack.send(()).unwrap();
        }
        seen.push(e);
    }
    let e = worker.join().unwrap().unwrap_err();
    match device_error(&e) {
        DeviceError::Cancelled { stage, state, .. } => {
            assert_eq!((*stage, *state), (Stage::Write, PhoneState::PartlyWritten));
        }
        other => panic!("{other}"),
    }
    assert!(e.help().contains("do not reboot"), "{}", e.help());
    assert_eq!(skeleton(&seen), ["plan", "started", "cancelled"]);
    // Nothing is sent after the cancel: the reboot was not attempted.
    assert!(!seen.contains(&ProgressEvent::Stage(Stage::Finish)));
}

#[test]
fn the_guard_refuses_inside_the_job_and_records_an_override_in_the_transcript() {
    let sim = InProcessSim::start("a516_row", None, Mode::Brom, &[]);
    // A raw range over NVRAM, which the by-name precheck cannot see.
    let (j, seen) = job(None);
    let port = SerialTransport::open(&sim.port_str()).unwrap();
    let e = j
        .run_on(port, |phone| {
            let nvram = phone.resolve(&Place::partition("NVRAM"))?;
            let over = Place {
                selector: Selector::Region(Region::EmmcUser),
                offset: Some(nvram.addr + 0x1000),
                length: Some(0x2000),
            };
            flows::erase(phone, &EraseRequest::prepare(over, Override::None).unwrap())
        })
        .unwrap_err();
    assert!(e.to_string().contains("it covers NVRAM"), "{e}");
    // The link was healthy: the phone was still rebooted, then the job ended with Failed.
    let events = seen.lock().unwrap().clone();
    assert_eq!(skeleton(&events), ["finish", "failed"]);
    drop(sim);

    // With the override, the erase runs and the transcript says who allowed what.
    let sim = InProcessSim::start("a516_row", None, Mode::Brom, &[]);
    let port = SerialTransport::open(&sim.port_str()).unwrap();
    let text = Shared::default();
    let rec = RecordingTransport::new(port, text.clone());
    let (j, _) = job(None);
    let request = EraseRequest::prepare(
        Place::partition("PROTECT_F"),
        Override::ForceIdentityPartition,
    )
    .unwrap();
    let done = j
        .run_on(rec, |phone| flows::erase(phone, &request))
        .unwrap();
    let forced = done.value.forced.unwrap();
    assert_eq!(forced.flag, "--force-identity-partition");
    let text = String::from_utf8(text.0.lock().unwrap().clone()).unwrap();
    // Exactly once: the session records it, nothing above it does again.
    let line = "# guard override: --force-identity-partition lets this erase reach PROTECT_F";
    assert_eq!(text.matches(line).count(), 1, "{text}");
}

/// Keeps `link` pointing at the simulated phone's port, as udev keeps
/// `/dev/serial/by-id/...` on a re-enumerating phone: at each reboot the link goes away, and
/// comes back a moment later on the new port. Stops after `reboots` reboots.
fn follow(mut sim: InProcessSim, link: std::path::PathBuf, reboots: usize) -> InProcessSim {
    std::os::unix::fs::symlink(&sim.port, &link).unwrap();
    for _ in 0..reboots {
        let port = sim.replugged();
        let _ = std::fs::remove_file(&link);
        // The USB gap of a real re-enumeration.
        std::thread::sleep(Duration::from_millis(150));
        std::os::unix::fs::symlink(&port, &link).unwrap();
    }
    sim
}

#[test]
fn jobs_back_to_back_on_one_port_path_survive_the_reboot_between_them() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyACM-by-id");
    let sim = InProcessSim::start("a516_row", None, Mode::Brom, &[]);
    let follower = {
        let link = link.clone();
        std::thread::spawn(move || follow(sim, link, 2))
    };
    let opts = || Options {
        port: PortSpec::Path(link.to_string_lossy().into_owned()),
        wait: Duration::from_secs(20),
        ..options()
    };
    let da = || DaFile::parse(generate_sim_da()).unwrap();
    // The path does not exist yet when the first job starts: it is waited for.
    let first = Job::with_da(opts(), da(), Registry::builtin())
        .run(|phone| Ok(phone.fingerprint()))
        .unwrap();
    assert!(first.rebooted());
    assert!(first.value.partitions.iter().any(|p| p.name == "UBOOT"));
    // At once, with no pause: the phone is re-enumerating, and is caught again.
    let out = AtomicFile::create(&dir.path().join("uboot.bin")).unwrap();
    let second = Job::with_da(opts(), da(), Registry::builtin())
        .run(|phone| flows::readback(phone, &Place::partition("UBOOT"), false, out))
        .unwrap();
    assert!(second.rebooted());
    let third = Job::with_da(opts(), da(), Registry::builtin())
        .run(|phone| Ok(phone.fingerprint()))
        .unwrap();
    assert_eq!(third.value.partitions, first.value.partitions);
    let sim = follower.join().unwrap();
    let span = &second.value.span;
    let mut flash = vec![0u8; span.length as usize];
    let mut storage = mtkbench::sim::storage::ImageStorage::open(&sim.image).unwrap();
    mtkbench::sim::storage::Storage::read(&mut storage, Region::EmmcUser, span.offset, &mut flash)
        .unwrap();
    assert_eq!(std::fs::read(dir.path().join("uboot.bin")).unwrap(), flash);
}
