//! Resident memory of the workstation during a 256 MiB flash, and the keys of the repair.
//!
//! `cargo bench --bench tui_flash_memory`. Starts the demo (the simulated phone in-process,
//! as `mtkbench --demo`) with one more package in its library, made for the demo phone with a
//! 256 MiB `system.img`; drives the workstation headless through its keymap (choose the
//! board, the big package, start the repair, confirm the plan) in ONE connection; samples
//! this process's `VmRSS` every 20 ms from `/proc/self/status` while it flashes and
//! verifies. The reference, in the same process, is the resident memory with the plan on
//! screen just before it is confirmed (phone identified, identity backed up, library
//! ranked). The figure includes the in-process simulated phone, whose flash is a file.

use std::{
    path::Path,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mtkbench::{
    places::Places,
    profile::Registry,
    sim::rom::{RomVariant, build_with_system, write},
    tui::{self, Options, demo::DEMO_BOARD, headless::Headless, state::DeviceState},
};

// `peak_rss_mib` is for the benches that report the peak; this one samples the current size.
#[allow(dead_code)]
#[path = "support/rss.rs"]
mod rss;

const SYSTEM: usize = 256 << 20;
const WAIT: Duration = Duration::from_secs(600);

/// The current resident set, KiB.
fn rss_kib() -> u64 {
    rss::status_kib("VmRSS:")
}

fn press(h: &mut Headless, code: KeyCode) {
    assert!(
        h.key(KeyEvent::new(code, KeyModifiers::NONE)),
        "{code:?} means nothing in {:?}",
        h.state.step
    );
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let places = Places {
        config: dir.path().join("config"),
        data: dir.path().join("data"),
        cache: dir.path().join("cache"),
        logs: dir.path().join("logs"),
    };
    let options = Options {
        demo: true,
        no_color: true,
        ..Options::default()
    };
    let p = tui::prepare(&options, &places).expect("demo");
    {
        let registry = Registry::builtin();
        let board = registry.require(DEMO_BOARD).expect("demo board");
        let big = build_with_system(&board.profile, RomVariant::Fits, SYSTEM).expect("rom");
        write(&p.context.library.join("big"), &big).expect("write rom");
    }
    let mut h = Headless::start(p.state, p.first, p.context).expect("start");
    assert!(
        h.wait_for(WAIT, |s| s.repair.choosing
            && s.matched.as_ref().is_some_and(|m| m.matches.len() == 8)),
        "the demo phone was not identified"
    );
    press(&mut h, KeyCode::Enter); // the board
    assert!(h.wait_for(WAIT, |s| s.identify.chosen.is_some()
        && s.matched.as_ref().is_some_and(|m| m.matches.len() == 8)));
    let big = h
        .state
        .rom_rows()
        .iter()
        .position(|(r, _)| r.path == Path::new("big"))
        .expect("the big package is listed");
    for _ in 0..big {
        press(&mut h, KeyCode::Down);
    }
    press(&mut h, KeyCode::Enter); // details
    press(&mut h, KeyCode::Enter); // choose
    press(&mut h, KeyCode::Enter); // start
    assert!(h.wait_for(WAIT, |s| s.repair.awaiting_answer), "no plan");
    let keys = h.keys + 1;
    std::thread::sleep(Duration::from_millis(200));
    let reference = rss_kib();

    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak) = (stop.clone(), peak.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let started = Instant::now();
    press(&mut h, KeyCode::Char('y'));
    assert!(
        h.wait_for(WAIT, |s| s.repair.report.is_some()
            && s.session == DeviceState::Idle),
        "not repaired: {:#?}",
        h.state.log
    );
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    sampler.join().expect("sampler");
    let report = h.state.repair.report.as_ref().expect("report");
    assert_eq!(report.outcome, mtkbench::repair::Outcome::Repaired);
    let connections = p.bench.as_ref().map_or(0, |b| b.port.connections());
    let peak = peak.load(Ordering::Relaxed);
    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "256 MiB system.img flashed and verified in {took:.1?} ({connections} connection(s), {keys} keys)"
    );
    println!("| resident memory | MiB |");
    println!("|---|---|");
    println!(
        "| plan on screen, before confirming (reference) | {:.1} |",
        mib(reference)
    );
    println!(
        "| peak while flashing and verifying 256 MiB | {:.1} |",
        mib(peak)
    );
    println!("| ratio | {:.2}x |", peak as f64 / reference.max(1) as f64);
    h.close(Duration::from_secs(10));
    drop(p.bench);
}
