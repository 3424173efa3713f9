//! Firmware Upgrade benchmark (not a test): the whole mode, in one connection, of a ROM whose
//! system image is 1 GiB, on the simulated MT6572 (served in a thread on a real
//! pseudo-terminal, backed by a sparse image file), through the library API the CLI and the
//! TUI drive (`flash::execute::flash`): identify, identity backup (read twice, stored,
//! verified), format, every image written and read back, the table read again, the NVRAM set
//! restored and read back.
//!
//! Beside its time it measures, in the same process, the raw throughput of a pseudo-terminal
//! pair each way ([`RawLink`], no protocol): the bytes the upgrade moved (written and read
//! back, from its transfer events) divided by those rates is the physical floor, and the
//! ratio floor / time is the share of it the whole upgrade keeps (DA upload, commands,
//! hashing, the backup store and the job record included). It also prints the process's peak
//! resident memory before and after the upgrade (the simulator's thread included): the images
//! stream, so it must not grow with the system image.
//!
//! Run: `cargo bench --bench firmware_upgrade` (1024 MiB system image;
//! `MTKBENCH_BENCH_MIB=256` for a smaller one).

#[path = "../tests/device_support/mod.rs"]
mod device_support;
#[path = "support/raw_link.rs"]
mod raw_link;
#[path = "support/rss.rs"]
mod rss;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use device_support::InProcessSim;
use mtkbench::{
    flash::{
        Mode, Overrides,
        execute::{FlashRequest, flash},
    },
    job::{EndPolicy, Job, OpKind, Options, PortSpec, ProgressEvent},
    profile::Registry,
    protocol::da_file::{DaFile, generate_sim_da},
    sim::{
        device::Mode as SimMode,
        rom::{RomVariant, build, write},
    },
};
use raw_link::RawLink;
use rss::peak_rss_mib;

const MIB: u64 = 1 << 20;

/// Raw MB/s each way (phone → host, host → phone), over `bytes` each.
fn raw_rates(bytes: u64) -> (f64, f64) {
    let mut raw = RawLink::open();
    let rate = |raw: &mut RawLink, in_: bool| {
        let t = Instant::now();
        raw.transfer(bytes, in_);
        bytes as f64 / 1e6 / t.elapsed().as_secs_f64()
    };
    (rate(&mut raw, true), rate(&mut raw, false))
}

fn main() {
    let mib: u64 = std::env::var("MTKBENCH_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let registry = Registry::builtin();
    let board = &registry.require("a516_row").expect("a516_row").profile;

    // The package for the simulated board, its system image grown to `mib` MiB (the ANDROID
    // partition of a516_row is 1 GiB). A sparse file: what it holds costs the disk nothing,
    // and the link moves every byte of it all the same. Checksum.ini is left out (it lists
    // the small image); the plan then hashes what it streams.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let rom = dir.path().join("rom");
    let mut package = build(board, RomVariant::Fits).expect("the ROM package");
    package.files.retain(|(name, _)| name != "Checksum.ini");
    write(&rom, &package).expect("the ROM package on disk");
    let system = std::fs::OpenOptions::new()
        .write(true)
        .open(rom.join("system.img"))
        .expect("system.img");
    system.set_len(mib * MIB).expect("grow system.img");
    drop(system);
    println!("firmware upgrade benchmark: system image {mib} MiB");

    let (raw_in, raw_out) = raw_rates(256 * MIB);
    println!("raw pty, before: phone -> host {raw_in:.0} MB/s, host -> phone {raw_out:.0} MB/s");

    let sim = InProcessSim::start("a516_row", None, SimMode::Brom, &[]);
    let moved = Arc::new(Mutex::new((0u64, 0u64)));
    let count = moved.clone();
    let job = Job::with_da(
        Options {
            port: PortSpec::Path(sim.port_str()),
            wait: Duration::from_secs(30),
            da: None,
            record: None,
            end: EndPolicy::Leave,
        },
        DaFile::parse(generate_sim_da()).expect("simulator DA"),
        registry.clone(),
    )
    .with_progress(move |e| {
        if let ProgressEvent::Finished { op, total, .. } = e {
            let mut m = count.lock().expect("counter");
            match op {
                OpKind::Write => m.0 += total,
                OpKind::Read => m.1 += total,
                OpKind::Erase => {}
            }
        }
    });
    let request = FlashRequest {
        rom: rom.clone(),
        mode: Mode::FirmwareUpgrade,
        selection: None,
        overrides: Overrides::default(),
        verify: true,
    };
    let jobs = dir.path().join("data").join("jobs");
    let rss_before = peak_rss_mib();
    let start = Instant::now();
    let done = flash(job, &request, &jobs).expect("the firmware upgrade");
    let time = start.elapsed().as_secs_f64();
    let rss_after = peak_rss_mib();
    drop(sim);

    let (raw_in2, raw_out2) = raw_rates(256 * MIB);
    println!("raw pty, after:  phone -> host {raw_in2:.0} MB/s, host -> phone {raw_out2:.0} MB/s");
    let (written, read) = *moved.lock().expect("counter");
    let (raw_in, raw_out) = ((raw_in + raw_in2) / 2.0, (raw_out + raw_out2) / 2.0);
    let floor = written as f64 / 1e6 / raw_out + read as f64 / 1e6 / raw_in;
    let verified = done
        .value
        .steps
        .iter()
        .filter(|s| s.state == mtkbench::flash::record::StepState::Verified)
        .count();
    println!(
        "upgrade: {time:.2} s; {verified} steps verified; written {:.1} MiB, read {:.1} MiB",
        written as f64 / MIB as f64,
        read as f64 / MIB as f64
    );
    println!(
        "floor (bytes moved / raw rates, mean of before and after): {floor:.2} s; floor / \
         time = {:.1} %",
        100.0 * floor / time
    );
    println!("peak resident: {rss_before:.1} MiB before the upgrade, {rss_after:.1} MiB after");
}
