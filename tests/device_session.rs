//! `device::Session` over `ScriptedTransport`: a whole session (identify, DA boot, partition
//! table, read, write, erase, reboot) replayed from a recorded transcript, then the same
//! transcript broken at every phone reply: cut off (timeout, disconnect), cut short, flipped,
//! and with chosen failure statuses. Every break must end in a clean `DeviceError` that names
//! the step, never in a panic or a hang (the scripted port never waits).
//!
//! The transcript `tests/fixtures/transcripts/device_emmc_session.txt` is recorded from the
//! simulated phone over a real pseudo-terminal by
//! `cargo test --test device_session -- --ignored regenerate` (its header says so).

mod device_support;

use std::{collections::BTreeSet, path::PathBuf, time::Duration};

use device_support::InProcessSim;
use mtkbench::{
    Advice,
    device::{
        Cause, DeviceError, Mode, ProgressEvent, Session, Stage,
        guard::{self, Override},
        table::TableSource,
        target,
    },
    profile::Registry,
    protocol::{ProtocolError, da_file::DaFile, da_file::generate_sim_da},
    sim::device::Mode as SimMode,
    transport::{
        RecordingTransport, ScriptedTransport, SerialTransport, Transport, TransportError,
        transcript::{Direction, Event, Record, Transcript},
    },
};

const FIXTURE: &str = "tests/fixtures/transcripts/device_emmc_session.txt";

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(FIXTURE)
}

fn sim_da() -> DaFile {
    DaFile::parse(generate_sim_da()).unwrap()
}

/// Image written by the session: 0x300 bytes, so the DA pads the last packet.
fn image() -> Vec<u8> {
    (0..0x300u32).map(|i| (i * 7 + 3) as u8).collect()
}

/// What a whole session found.
#[derive(Debug)]
struct Findings {
    mode: Mode,
    source: TableSource,
    partitions: Vec<String>,
    uboot_head: Vec<u8>,
    logo_after_write: Vec<u8>,
    logo_after_erase: Vec<u8>,
    stages: Vec<Stage>,
}

/// The session every test runs: identify, DA, table, read UBOOT's start, write LOGO's start
/// and read it back, erase it and read it again, reboot.
fn whole_session<T: Transport>(t: T) -> Result<Findings, DeviceError> {
    let stages = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = stages.clone();
    let mut s = Session::new(t).with_progress(move |e| {
        if let ProgressEvent::Stage(st) = e {
            seen.lock().unwrap().push(*st);
        }
    });
    s.connect(Duration::from_secs(2))?;
    let brom = s.identify_brom()?;
    let da = s.boot_da(&sim_da())?;
    let map = s.partition_table(&Registry::builtin())?;
    let sel = |name: &str| target::Selector::Partition(name.into());
    let size = |r| da.region(r);
    let uboot = target::resolve(&sel("UBOOT"), None, Some(0x400), &map.partitions, size)?;
    let mut uboot_head = Vec::new();
    s.read(&uboot, &mut uboot_head)?;

    let data = image();
    let logo = target::resolve(
        &sel("logo"),
        None,
        Some(data.len() as u64),
        &map.partitions,
        size,
    )?;
    let write = guard::write(&s, &logo, "logo.bin".as_ref(), logo.len, Override::None)?;
    s.write(&write, &mut data.as_slice())?;
    let mut logo_after_write = Vec::new();
    s.read(&logo, &mut logo_after_write)?;
    let wiped = target::resolve(&sel("LOGO"), None, Some(0x1000), &map.partitions, size)?;
    s.erase(&guard::erase(&s, &wiped, Override::None)?)?;
    let mut logo_after_erase = Vec::new();
    s.read(&logo, &mut logo_after_erase)?;
    s.finish()?;
    let stages = stages.lock().unwrap().clone();
    Ok(Findings {
        mode: brom.mode,
        source: map.source,
        partitions: map.partitions.iter().map(|p| p.name.clone()).collect(),
        uboot_head,
        logo_after_write,
        logo_after_erase,
        stages,
    })
}

/// Records the whole session against the simulator into the fixture.
#[test]
#[ignore = "regenerates the fixture; run by hand after a protocol change"]
fn regenerate() {
    let sim = InProcessSim::start("a516_row", None, SimMode::Brom, &[]);
    let port = SerialTransport::open(&sim.port_str()).unwrap();
    let path = fixture_path();
    let mut header = String::new();
    header.push_str(
        "# Recorded by: cargo test --test device_session -- --ignored regenerate\n\
         # Host: mtkbench's device::Session. Phone: the simulated MT6572 (profile a516_row,\n\
         # serial DEVICE-TEST-1, BROM mode) over a real pseudo-terminal. The DA is the\n\
         # simulator-only placeholder of generate_sim_da(), not MediaTek code.\n",
    );
    let file = std::fs::File::create(&path).unwrap();
    let mut out = std::io::BufWriter::new(file);
    std::io::Write::write_all(&mut out, header.as_bytes()).unwrap();
    let rec = RecordingTransport::new(port, out);
    let found = whole_session(rec).unwrap();
    assert_eq!(found.mode, Mode::Brom);
}

fn transcript() -> Transcript {
    let text = std::fs::read_to_string(fixture_path()).unwrap();
    Transcript::parse(&text).unwrap()
}

fn play(records: Vec<Record>) -> Result<Findings, DeviceError> {
    whole_session(ScriptedTransport::from_transcript(Transcript { records }))
}

fn is_reply(r: &Record) -> bool {
    matches!(r.event, Event::Data(Direction::PhoneToHost, _))
}

fn record(event: Event) -> Record {
    Record {
        line: 0,
        at: None,
        event,
    }
}

fn host_writes(bytes: &[u8]) -> impl Fn(&Record) -> bool + '_ {
    move |r| matches!(&r.event, Event::Data(Direction::HostToPhone, b) if b.as_slice() == bytes)
}

#[test]
fn the_recorded_session_replays_and_finds_what_the_phone_holds() {
    let found = play(transcript().records).unwrap();
    assert_eq!(found.mode, Mode::Brom);
    assert_eq!(
        found.source,
        TableSource::Mbr {
            profile: Some("a516_row".into())
        }
    );
    for name in ["PRELOADER", "NVRAM", "UBOOT", "LOGO", "ANDROID"] {
        assert!(found.partitions.iter().any(|p| p == name), "{name} missing");
    }
    // The simulator puts an LK image in UBOOT: it starts with the MTK header magic.
    assert_eq!(&found.uboot_head[..4], &[0x88, 0x16, 0x88, 0x58]);
    assert_eq!(found.logo_after_write, image());
    assert_eq!(found.logo_after_erase, vec![0u8; image().len()]);
    let order = [
        Stage::Handshake,
        Stage::HwCode,
        Stage::DisableWatchdog,
        Stage::TargetConfig,
        Stage::BlVersion,
        Stage::BromVersion,
        Stage::HwSwVersion,
        Stage::MeId,
        Stage::SelectDa,
        Stage::SendDa1,
        Stage::JumpDa,
        Stage::DaSync,
        Stage::DaConfig,
        Stage::SendDa2,
        Stage::UsbCheck,
        Stage::PartitionTable,
        Stage::Read,
        Stage::Write,
        Stage::Read,
        Stage::Erase,
        Stage::Read,
        Stage::Finish,
    ];
    assert_eq!(found.stages, order);
}

/// Checks an error the way a technician meets it: it names a step, says what to do, and
/// carries its cause.
fn check_clean(e: &DeviceError, what: &str) -> Stage {
    let stage = e
        .stage()
        .unwrap_or_else(|| panic!("{what}: no stage in {e}"));
    let text = e.to_string();
    assert!(text.contains(stage.describe()), "{what}: {text}");
    assert!(!e.help().is_empty(), "{what}: no help for {text}");
    stage
}

#[test]
fn every_reply_cut_off_ends_in_a_clean_error_naming_its_step() {
    let records = transcript().records;
    let replies: Vec<usize> = (0..records.len())
        .filter(|&i| is_reply(&records[i]))
        .collect();
    assert!(
        replies.len() > 100,
        "the fixture is too short: {}",
        replies.len()
    );
    let last_write = records
        .iter()
        .rposition(|r| matches!(r.event, Event::Data(Direction::HostToPhone, _)))
        .unwrap();
    let mut stages = BTreeSet::new();
    for &i in &replies {
        for end in [Event::Timeout, Event::Disconnect] {
            let mut cut = records[..i].to_vec();
            cut.push(record(end.clone()));
            match play(cut) {
                Err(e) => {
                    let stage = check_clean(&e, &format!("cut at record {i} with {end:?}"));
                    stages.insert(format!("{stage:?}"));
                }
                // Only the reboot's last ack may be missing: the phone is already rebooting.
                Ok(_) => assert!(i > last_write, "cut at record {i} went unnoticed"),
            }
        }
    }
    for stage in [
        Stage::Handshake,
        Stage::HwCode,
        Stage::DisableWatchdog,
        Stage::TargetConfig,
        Stage::BlVersion,
        Stage::BromVersion,
        Stage::HwSwVersion,
        Stage::MeId,
        Stage::SendDa1,
        Stage::JumpDa,
        Stage::DaSync,
        Stage::DaConfig,
        Stage::SendDa2,
        Stage::UsbCheck,
        Stage::PartitionTable,
        Stage::Read,
        Stage::Write,
        Stage::Erase,
        Stage::Finish,
    ] {
        assert!(
            stages.contains(&format!("{stage:?}")),
            "no cut failed at {stage:?}"
        );
    }
}

#[test]
fn every_reply_cut_short_times_out_at_its_step() {
    let records = transcript().records;
    for i in (0..records.len()).filter(|&i| is_reply(&records[i])) {
        let Event::Data(_, bytes) = &records[i].event else {
            unreachable!()
        };
        if bytes.len() < 2 {
            continue;
        }
        let mut cut = records[..i].to_vec();
        cut.push(record(Event::Data(
            Direction::PhoneToHost,
            bytes[..bytes.len() / 2].to_vec(),
        )));
        cut.push(record(Event::Timeout));
        let e = play(cut).expect_err("a short reply went unnoticed");
        check_clean(&e, &format!("short reply at record {i}"));
        let timed_out = matches!(
            &e,
            DeviceError::Step {
                cause: Cause::Link(TransportError::Timeout { got, .. }),
                ..
            } if *got > 0
        );
        assert!(timed_out, "record {i}: {e:?}");
    }
}

#[test]
fn every_reply_flipped_is_caught_or_harmless_never_a_panic() {
    let records = transcript().records;
    let mut caught = 0;
    for i in (0..records.len()).filter(|&i| is_reply(&records[i])) {
        let mut bad = records.clone();
        if let Event::Data(_, bytes) = &mut bad[i].event {
            bytes.iter_mut().for_each(|b| *b ^= 0xFF);
        }
        if let Err(e) = play(bad) {
            caught += 1;
            match &e {
                // A flipped reply may make the host write something the script lacks.
                DeviceError::Step {
                    cause: Cause::Link(TransportError::OffScript { .. }),
                    ..
                } => {}
                DeviceError::Step { .. } | DeviceError::Port { .. } => {
                    check_clean(&e, &format!("flipped record {i}"));
                }
                // A flipped partition table names other partitions: a plain, helpful error.
                other => assert!(!other.help().is_empty(), "record {i}: {other}"),
            }
        }
    }
    assert!(caught > 50, "only {caught} flipped replies were noticed");
}

/// Replaces the reply `after` records past the first host write of `bytes`.
fn with_reply(bytes: &[u8], after: usize, reply: &[u8]) -> Vec<Record> {
    let mut records = transcript().records;
    let at = records.iter().position(host_writes(bytes)).unwrap() + after;
    assert!(is_reply(&records[at]), "record {at} is not a reply");
    records[at].event = Event::Data(Direction::PhoneToHost, reply.to_vec());
    records
}

#[test]
fn sla_required_on_send_da_says_secure_boot() {
    // D7, echo, then address, length and signature length each echoed, then the status.
    let e = play(with_reply(&[0xD7], 8, &[0x1D, 0x0D])).unwrap_err();
    assert_eq!(e.stage(), Some(Stage::SendDa1));
    assert!(e.to_string().contains("SLA"), "{e}");
    assert!(e.help().contains("secure boot"), "{}", e.help());
    assert!(e.help().contains("mtkbench explain"), "{}", e.help());
}

#[test]
fn dram_setup_request_sends_the_technician_to_preloader_mode() {
    let config = mtkbench::protocol::da::DaConfig::mt6572(
        0x05,
        0xFE,
        mtkbench::protocol::da::StorageKind::Emmc,
    );
    use mtkbench::protocol::wire::Wire;
    // 0xBC3, then the DA's prompt: unknown word, flash id, 0xBC4, no NAND ids.
    let prompt = mtkbench::protocol::da::EmiRequest {
        unknown: [0; 4],
        flash_id: *b"\x15\x01\x00SIM72E\x10\x01\x02\x03\x04\x3d\x01",
        nand_ids: vec![],
    };
    let reply = [&[0, 0, 0x0B, 0xC3][..], &prompt.to_bytes()].concat();
    let e = play(with_reply(&config.to_bytes(), 1, &reply)).unwrap_err();
    assert_eq!(e.stage(), Some(Stage::DaConfig));
    assert!(matches!(
        e,
        DeviceError::Step {
            cause: Cause::Protocol(ProtocolError::DramSetupNeeded { .. }),
            ..
        }
    ));
    assert!(e.to_string().contains("15 01 00 53"), "{e}");
    assert!(e.help().contains("preloader mode"), "{}", e.help());
    assert!(e.help().contains("--preloader FILE"), "{}", e.help());
}

#[test]
fn refused_readback_names_the_da_status_for_explain() {
    let mut records = transcript().records;
    let at = records
        .iter()
        .position(|r| matches!(&r.event, Event::Data(Direction::HostToPhone, b) if b.first() == Some(&0xD6)))
        .unwrap();
    records.truncate(at + 1);
    records.push(record(Event::Data(Direction::PhoneToHost, vec![0xA5])));
    records.push(record(Event::Data(Direction::HostToPhone, vec![0xA5])));
    records.push(record(Event::Data(
        Direction::PhoneToHost,
        0xBC0u32.to_le_bytes().to_vec(),
    )));
    let e = play(records).unwrap_err();
    assert_eq!(e.stage(), Some(Stage::PartitionTable));
    let status = e.status().expect("a DA status");
    assert_eq!(status.explain_key(), "S_DA_DEVICE_NOT_FOUND");
    assert!(
        e.help().contains("mtkbench explain S_DA_DEVICE_NOT_FOUND"),
        "{}",
        e.help()
    );
    assert_eq!(mtkbench::Error::from(e).exit_code(), 1);
}

#[test]
fn a_silent_port_fails_the_handshake_with_port_advice() {
    use mtkbench::job::{EndPolicy, Job, Options, PortSpec};
    let options = Options {
        port: PortSpec::Path("scripted".into()),
        wait: Duration::ZERO,
        da: None,
        record: None,
        end: EndPolicy::Reboot,
    };
    let job = Job::with_da(options, sim_da(), Registry::builtin());
    let e = job
        .run_on(ScriptedTransport::new(), |_| Ok(()))
        .unwrap_err();
    let inner: &dyn std::error::Error = e.inner();
    let e = inner.downcast_ref::<DeviceError>().unwrap();
    assert!(matches!(e, DeviceError::Port { .. }), "{e:?}");
    assert_eq!(e.stage(), Some(Stage::Handshake));
}

#[test]
fn storage_commands_before_the_da_runs_are_refused_not_sent() {
    let mut s = Session::new(ScriptedTransport::new());
    let t = target::Target {
        name: "UBOOT".into(),
        is_partition: true,
        region: target::Region::EmmcUser,
        addr: 0,
        len: 16,
    };
    assert!(s.read(&t, &mut Vec::new()).is_err());
    // Not even guarded: the guard needs the DA's report and the map read from the phone.
    assert!(guard::erase(&s, &t, Override::None).is_err());
    assert!(s.finish().is_err());
    assert!(s.transport().is_finished());
}
