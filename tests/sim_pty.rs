//! The simulated MT6572 served on a real pseudo-terminal, driven by the protocol's host-side
//! exchanges over `SerialTransport`, the same code path that talks to a phone on
//! `/dev/ttyACM0`. Every read has a timeout (the transport's) and the simulator thread is
//! stopped by a guard, so no test can hang.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use mtkbench::{
    firmware::{partition_table, preloader, scatter::Region, scatter::Storage as StorageKind},
    profile::Registry,
    protocol::{
        Exchange, ProtocolError, brom,
        da::{self, DaConfig, EmmcPart, NandReadFlag, parse_pmt},
        da_file::{DaFile, generate_sim_da},
        decisions::{SIM_NAND_IDS, STATUS_INVALID_BEGIN_ADDR},
        handshake::HostHandshake,
        mt6572,
    },
    sim::{
        device::Mode,
        layout::Layout,
        pty::LinkEvent,
        storage::{ImageStorage, Storage},
    },
    transport::{
        ExchangeError, Payload, SerialTransport, Transport, TransportError, run_exchange,
        run_exchange_with,
    },
};

mod device_support;

use device_support::InProcessSim as Sim;

fn start(profile: &str, storage: Option<StorageKind>, mode: Mode, faults: &[&str]) -> Sim {
    Sim::start_with_serial(profile, storage, mode, faults, "PTY-TEST-1")
}

/// The new port after the phone dropped the link.
fn replugged(sim: &Sim) -> PathBuf {
    match sim.wait_for(|e| matches!(e, LinkEvent::Replugged(_))) {
        LinkEvent::Replugged(p) => p,
        _ => unreachable!(),
    }
}

fn open(port: &Path) -> SerialTransport {
    SerialTransport::open(port.to_str().unwrap()).unwrap()
}

fn run<E: Exchange>(t: &mut SerialTransport, mut ex: E) -> Result<E::Output, ExchangeError> {
    run_exchange(t, &mut ex)
}

fn read(t: &mut SerialTransport, part: EmmcPart, addr: u64, len: u64) -> Vec<u8> {
    run(t, da::usb_check()).unwrap();
    run(t, da::switch_part(part)).unwrap();
    let mut data = Vec::new();
    let mut payload = Payload {
        sink: Some(&mut data),
        ..Payload::default()
    };
    run_exchange_with(t, &mut da::readback(addr, len), &mut payload).unwrap();
    data
}

/// Handshake, identification as mtkclient does it, DA1 and DA2 from the simulator DA file.
fn boot_da(t: &mut SerialTransport) -> da::Da2Report {
    boot_da_reports(t).1
}

/// [`boot_da`], keeping DA1's storage report too.
fn boot_da_reports(t: &mut SerialTransport) -> (da::Da1Report, da::Da2Report) {
    run(t, HostHandshake::new()).unwrap();
    assert_eq!(
        run(t, brom::get_hw_code()).unwrap().hw_code,
        mt6572::HW_CODE
    );
    run(t, brom::disable_watchdog()).unwrap();
    assert!(!run(t, brom::get_target_config()).unwrap().is_protected());
    let bl = run(t, brom::get_bl_ver()).unwrap();
    let brom_ver = run(t, brom::get_brom_ver()).unwrap();
    let ver = run(t, brom::get_hw_sw_ver()).unwrap();
    let file = DaFile::parse(generate_sim_da()).unwrap();
    let entry = file
        .select(mt6572::HW_CODE, ver.hw_ver, ver.sw_ver)
        .unwrap();
    let da1 = file.da1(entry).unwrap();
    let da2 = file.da2(entry).unwrap();
    let up = run(t, brom::send_da(da1.addr, da1.sig_len, da1.bytes)).unwrap();
    assert_eq!(up.phone_checksum, up.checksum);
    run(t, brom::jump_da(da1.addr)).unwrap();
    let sync = run(t, da::da_sync()).unwrap();
    let config = DaConfig::mt6572(brom_ver, bl, sync.report.storage());
    run(t, da::dram_result(&config)).unwrap();
    let report = run(t, da::upload_da2(da2.addr, da2.bytes)).unwrap();
    (sync.report, report)
}

/// A NAND readback through the protocol's 0xDF machine.
fn nand_read(
    t: &mut SerialTransport,
    addr: u64,
    len: u64,
    flag: NandReadFlag,
) -> Result<Vec<u8>, ExchangeError> {
    let mut data = Vec::new();
    let mut payload = Payload {
        sink: Some(&mut data),
        ..Payload::default()
    };
    run_exchange_with(t, &mut da::nand_readback(addr, len, flag), &mut payload)?;
    Ok(data)
}

/// A NAND write of `image` through the protocol's 0x62 machine.
fn nand_write(
    t: &mut SerialTransport,
    addr: u64,
    image: &[u8],
    page_size: u32,
) -> Result<u64, ExchangeError> {
    let mut source = image;
    let mut payload = Payload {
        source: Some(&mut source),
        ..Payload::default()
    };
    let mut w = da::nand_write(addr, image.len() as u64, page_size);
    run_exchange_with(t, &mut w, &mut payload)
}

#[test]
fn a_whole_repair_session_over_the_pseudo_terminal() {
    let sim = start("a516_row", None, Mode::Brom, &[]);
    let mut t = open(&sim.port);
    let report = boot_da(&mut t);
    assert_eq!(report.emmc.ua_size, 0xE900_0000);
    assert_eq!(report.emmc.boot1_size, 0x60_0000);

    // The preloader in BOOT_1 names the board's project.
    let boot1 = read(&mut t, EmmcPart::Boot1, 0, 0x2_0000);
    let info = preloader::scan(&boot1[..]).unwrap();
    assert_eq!(info.project.as_deref(), Some("a516_row"));
    assert_eq!(info.emi_version, Some(11));

    // MBR/EBR discovery as mtkclient does it: MBR, EBR, ext4 names.
    let mbr_bytes = read(&mut t, EmmcPart::User, 0, 0x400);
    let mbr = partition_table::parse(&mbr_bytes).unwrap();
    let ext = mbr.extended().unwrap().start_bytes();
    assert_eq!(ext, 0x8_0000);
    let pf = mbr.entries.iter().find(|e| !e.is_extended()).unwrap();
    assert_eq!(pf.start_bytes(), 0x90_0000, "PROTECT_F");
    let ebr = partition_table::parse(&read(&mut t, EmmcPart::User, ext, 0x200)).unwrap();
    let system = ext + ebr.entries[0].start_bytes();
    let sb = read(&mut t, EmmcPart::User, system + 0x400, 0x200);
    assert_eq!(&sb[0x38..0x3A], &[0x53, 0xEF]);
    assert!(sb[0x88..].starts_with(b"/system\0"));

    // The PMT names every partition.
    let pmt = parse_pmt(&run(&mut t, da::read_pmt()).unwrap()).unwrap();
    let nvram = pmt.iter().find(|e| e.name == "NVRAM").unwrap();
    assert_eq!((nvram.offset, nvram.size), (0x40_0000, 0x50_0000));
    let nv = read(&mut t, EmmcPart::User, nvram.offset, 0x200);
    assert!(nv.starts_with(b"MTKBENCH SIMULATED NVRAM\nserial=PTY-TEST-1\n"));

    // Write, read back, format, read back.
    let expdb = pmt.iter().find(|e| e.name == "EXPDB").unwrap().offset;
    let image: Vec<u8> = (0..0x1_8000u32).map(|i| (i * 7 % 253) as u8).collect();
    run(&mut t, da::usb_check()).unwrap();
    let mut source = &image[..];
    let mut payload = Payload {
        source: Some(&mut source),
        ..Payload::default()
    };
    let mut w = da::write(EmmcPart::User, expdb, image.len() as u64);
    run_exchange_with(&mut t, &mut w, &mut payload).unwrap();
    assert_eq!(
        read(&mut t, EmmcPart::User, expdb, image.len() as u64),
        image
    );
    run(&mut t, da::usb_check()).unwrap();
    run(&mut t, da::switch_part(EmmcPart::User)).unwrap();
    run(&mut t, da::format(expdb, 0x1_0000)).unwrap();
    let back = read(&mut t, EmmcPart::User, expdb, 0x1_8000);
    assert!(back[..0x1_0000].iter().all(|&b| b == 0));
    assert_eq!(back[0x1_0000..], image[0x1_0000..]);

    // Finish: the phone acks and reboots, which drops the link.
    run(&mut t, da::finish(0)).unwrap();
    let mut buf = [0u8; 1];
    let gone = t.read_exact(&mut buf, Duration::from_secs(2));
    assert!(gone.is_err());
    let new_port = replugged(&sim);
    drop(t);

    // Everything written persists in the image: the rebooted phone has it, and so does the
    // file once the simulator is gone.
    let mut t = open(&new_port);
    boot_da(&mut t);
    let back = read(&mut t, EmmcPart::User, expdb + 0x1_0000, 0x10);
    assert_eq!(back, image[0x1_0000..0x1_0010]);
    drop(t);
    let image_path = sim.image.clone();
    let mut dir_guard = sim;
    dir_guard.halt();
    let mut s = ImageStorage::open(&image_path).unwrap();
    let mut buf = [0u8; 0x10];
    s.read(Region::EmmcUser, expdb + 0x1_0000, &mut buf)
        .unwrap();
    assert_eq!(buf[..], image[0x1_0000..0x1_0010]);
}

#[test]
fn closing_the_port_is_an_unplug_and_the_phone_starts_over() {
    let sim = start("a516_row", None, Mode::Brom, &[]);
    let mut t = open(&sim.port);
    boot_da(&mut t);
    drop(t);
    // A real unplug takes a while; wait until the phone has noticed it.
    sim.wait_for(|e| *e == LinkEvent::HostDisconnected);
    // Same port, a fresh BROM: the handshake works again and FE is answered by the BROM.
    let mut t = open(&sim.port);
    run(&mut t, HostHandshake::new()).unwrap();
    assert!(brom::is_brom_answer(
        run(&mut t, brom::get_bl_ver()).unwrap()
    ));
    let err = run(&mut t, brom::jump_da(mt6572::DA1_LOAD_ADDR)).unwrap_err();
    assert!(err.to_string().contains("DA_NOT_EXIST"), "{err}");
}

#[test]
fn a_host_that_closes_and_reopens_at_once_meets_a_fresh_phone_every_time() {
    let sim = start("a516_row", None, Mode::Brom, &[]);
    for round in 0..50 {
        // No wait between the close and the next open: back-to-back commands on one port.
        let mut t = open(&sim.port);
        run(&mut t, HostHandshake::new()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        // Leave the phone past the handshake, so that a reopen that continued this session
        // (not an unplug) would fail the next handshake.
        let hw = run(&mut t, brom::get_hw_code()).unwrap();
        assert_eq!(hw.hw_code, 0x6572, "round {round}");
    }
}

#[test]
fn preloader_mode_over_the_port() {
    let sim = start("a516_row", None, Mode::Preloader, &[]);
    let mut t = open(&sim.port);
    // mtkclient's USB path sends one lone A0 first; the handshake copes.
    t.write_all(&[0xA0]).unwrap();
    run(&mut t, HostHandshake::new()).unwrap();
    let bl = run(&mut t, brom::get_bl_ver()).unwrap();
    assert!(!brom::is_brom_answer(bl));
    assert_eq!(run(&mut t, brom::get_brom_ver()).unwrap(), 0xFF);
    assert_eq!(run(&mut t, brom::get_hw_code()).unwrap().hw_code, 0x6572);
}

#[test]
fn a_nand_phone_over_the_port_reads_writes_and_erases_through_the_nand_paths() {
    let sim = start("ref_nand_2k", Some(StorageKind::Nand), Mode::Brom, &[]);
    let mut t = open(&sim.port);
    let (da1, report) = boot_da_reports(&mut t);
    assert_eq!(da1.storage(), da::StorageKind::Nand);
    assert_eq!(da1.nand_ids, SIM_NAND_IDS);
    assert_eq!(
        report.storage(da::StorageKind::Nand),
        (da::StorageKind::Nand, 1 << 30)
    );
    let layout = Layout::from_profile(
        &Registry::builtin().get("ref_nand_2k").unwrap().profile,
        StorageKind::Nand,
    )
    .unwrap();
    let g = report.nand_facts(&da1).unwrap().geometry;
    assert_eq!(u64::from(g.page_size), layout.page_size);
    assert_eq!(g.block_size(), layout.block_size);
    let page = u32::from(g.page_size);
    run(&mut t, da::usb_check()).unwrap();

    // A page range, page data only, is the image's bytes; with spares, each page is followed
    // by an erased (0xFF) spare area.
    let data = nand_read(&mut t, 0, 0x2_0000, NandReadFlag::PageOnly).unwrap();
    assert_eq!(
        preloader::scan(&data[..]).unwrap().project.as_deref(),
        Some("ref_nand_2k")
    );
    let mut image = ImageStorage::open(&sim.image).unwrap();
    let mut want = vec![0u8; 0x2_0000];
    image.read(Region::Nand, 0, &mut want).unwrap();
    assert_eq!(data, want);
    let units = nand_read(&mut t, 0x800, 0x1000, NandReadFlag::PageSpare).unwrap();
    let spare = usize::from(g.spare_size);
    assert_eq!(units.len(), 2 * (0x800 + spare));
    assert_eq!(units[..0x800], want[0x800..0x1000]);
    assert!(units[0x800..0x800 + spare].iter().all(|&b| b == 0xFF));

    // Write and read back, then erase the block: 0xFF.
    let pmt = parse_pmt(&run(&mut t, da::read_pmt()).unwrap()).unwrap();
    let expdb = pmt.iter().find(|e| e.name == "EXPDB").unwrap().offset;
    assert_eq!(expdb % g.block_size(), 0);
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i * 13 % 251) as u8).collect();
    assert_eq!(nand_write(&mut t, expdb, &bytes, page).unwrap(), 5000);
    let back = nand_read(&mut t, expdb, 0x1800, NandReadFlag::PageOnly).unwrap();
    assert_eq!(back[..5000], bytes[..]);
    assert!(back[5000..].iter().all(|&b| b == 0xFF));
    run(&mut t, da::nand_format(expdb, g.block_size())).unwrap();
    let erased = nand_read(&mut t, expdb, 0x1800, NandReadFlag::PageOnly).unwrap();
    assert!(erased.iter().all(|&b| b == 0xFF));

    // A write that does not start on a page is refused with its status, nothing written.
    let err = nand_write(&mut t, expdb + 0x200, &bytes, page).unwrap_err();
    assert!(
        matches!(&err, ExchangeError::Protocol(ProtocolError::Da { status, .. })
            if status.code() == STATUS_INVALID_BEGIN_ADDR),
        "{err:?}"
    );
    let still = nand_read(&mut t, expdb, 0x1800, NandReadFlag::PageOnly).unwrap();
    assert!(still.iter().all(|&b| b == 0xFF));
    assert_eq!(run(&mut t, da::usb_check()).unwrap().speed, 1);
}

#[test]
fn a_dropped_link_is_seen_by_the_host_and_the_phone_returns_on_a_new_port() {
    let sim = start("a516_row", None, Mode::Brom, &["disconnect-after=6"]);
    let mut t = open(&sim.port);
    run(&mut t, HostHandshake::new()).unwrap();
    // FD's reply is cut after the echo and the first byte (4 + 2 = 6 bytes sent in all).
    let err = run(&mut t, brom::get_hw_code()).unwrap_err();
    assert!(
        matches!(
            err,
            ExchangeError::Transport(TransportError::Timeout { .. })
                | ExchangeError::Transport(TransportError::Disconnected { .. })
                | ExchangeError::Transport(TransportError::Io { .. })
        ),
        "{err:?}"
    );
    let port = replugged(&sim);
    assert_ne!(port, sim.port);
    let mut t = open(&port);
    run(&mut t, HostHandshake::new()).unwrap();
    assert_eq!(run(&mut t, brom::get_hw_code()).unwrap().hw_code, 0x6572);
}

#[test]
fn nack_and_stall_faults_reach_the_host() {
    let sim = start(
        "a516_row",
        None,
        Mode::Brom,
        &["nack=SEND_DA", "stall-ms=30"],
    );
    let mut t = open(&sim.port);
    run(&mut t, HostHandshake::new()).unwrap();
    let file = DaFile::parse(generate_sim_da()).unwrap();
    let entry = file.select(mt6572::HW_CODE, 0xCA00, 0).unwrap();
    let da1 = file.da1(entry).unwrap();
    let err = run(&mut t, brom::send_da(da1.addr, da1.sig_len, da1.bytes)).unwrap_err();
    assert!(err.to_string().contains("SLA"), "{err}");
}

#[test]
fn da_command_refusals_reach_the_host_named_over_the_port() {
    let sim = start(
        "a516_row",
        None,
        Mode::Brom,
        &["nack=READ_PMT", "nack=FINISH"],
    );
    let mut t = open(&sim.port);
    boot_da(&mut t);
    let err = run(&mut t, da::read_pmt()).unwrap_err();
    assert!(err.to_string().starts_with("READ_PMT"), "{err}");
    let err = run(&mut t, da::finish(0)).unwrap_err();
    assert!(
        matches!(
            &err,
            ExchangeError::Protocol(ProtocolError::Da { what: "FINISH", .. })
        ),
        "{err:?}"
    );
    // Refused, the phone stays in the DA: no reboot, and it still answers.
    assert_eq!(run(&mut t, da::usb_check()).unwrap().speed, 1);
    // Beyond the user area: refused with a status, not clipped.
    run(&mut t, da::switch_part(EmmcPart::User)).unwrap();
    let err = run(&mut t, da::format(0xE900_0000 - 0x200, 0x400)).unwrap_err();
    assert!(err.to_string().contains("S_DA_INVALID_RANGE"), "{err}");
}
