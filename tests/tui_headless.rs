//! The workstation driven headless through its keymap against the built-in simulated phone
//! (`--demo`): the same state, effects, job layer, library flows and simulator as
//! `mtkbench --demo`, without a terminal. A whole demo repair by keys in ONE connection (the
//! simulated phone counts the hosts that open its port): armed at start, identified, a ROM
//! chosen from the library while the phone stays connected, the identity backed up in the
//! same connection, the plan shown and confirmed, flashed and verified, the report; also a
//! boot log analysed in Diagnose; the customer's job sheet written by one key; a refused plan and a refused ROM that write nothing and
//! keep the phone connected for the next choice; quitting while the phone waits for a choice
//! (nothing written, the journal says why); a UART capture played into a pseudo-terminal,
//! shown live and analysed when stopped.

mod common;
mod tui_support;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mtkbench::{
    device::{Mode, dram::EmiSource},
    flash::{Action, Mode as FlashMode, record::StepState},
    repair::Outcome,
    tui::{
        Prepared,
        headless::Headless,
        state::{DeviceState, DiagView, Popup, Step, StepStatus},
    },
};

/// The longest a step may take before the test gives up on it (each wait ends as soon as its
/// condition holds). Identify and the identity backup's two reads of the demo phone took 26 s
/// alone on the loaded shared two-core machine, beside other test binaries more.
const WAIT: Duration = Duration::from_secs(90);

fn press(h: &mut Headless, code: KeyCode) {
    assert!(
        h.key(KeyEvent::new(code, KeyModifiers::NONE)),
        "{code:?} means nothing in {:?} (popup {:?})",
        h.state.step,
        h.state.popup
    );
}

fn typed(h: &mut Headless, text: &str) {
    for c in text.chars() {
        press(h, KeyCode::Char(c));
    }
}

/// Waits until the phone is identified and the visit waits, connected, for a choice.
fn identified(h: &mut Headless) {
    assert!(
        h.wait_for(WAIT, |s| s.fingerprint.is_some()
            && s.repair.choosing
            && s.session == DeviceState::Busy),
        "not identified: {:?}\n{:#?}",
        h.state.session,
        h.state.log
    );
}

/// [`identified`], and the library ranked for the phone.
/// Moves the ROM list's selection down to the package `name` (the list is ranked best first).
fn select_rom(h: &mut Headless, name: &str) {
    for _ in 0..8 {
        if h.state.selected_rom().unwrap().path == std::path::Path::new(name) {
            break;
        }
        press(h, KeyCode::Down);
    }
    assert_eq!(
        h.state.selected_rom().unwrap().path,
        std::path::Path::new(name)
    );
}

fn ranked(h: &mut Headless) {
    identified(h);
    assert!(h.wait_for(WAIT, |s| {
        s.matched.as_ref().is_some_and(|m| !m.matches.is_empty())
    }));
}

/// Answers yes to the plan and waits for the repair's report and the end of its session.
fn confirmed(h: &mut Headless) {
    press(h, KeyCode::Char('y'));
    assert!(
        h.wait_for(WAIT, |s| s.repair.report.is_some()
            && s.session == DeviceState::Idle),
        "not repaired: {:#?}",
        h.state.log
    );
}

/// How many times a host opened the demo phone's port.
fn connections(p: &Prepared) -> u64 {
    p.bench.as_ref().unwrap().port.connections()
}

#[test]
fn a_whole_demo_repair_by_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, p) = tui_support::demo(dir.path());
    identified(&mut h);
    let s = &h.state;
    assert_eq!(
        s.step,
        Step::Identify,
        "identified: the Identify panel comes up"
    );
    assert_eq!(s.status(Step::Connect), StepStatus::Done);
    assert_eq!(s.device.chip.as_deref(), Some("MT6572"));
    assert!(
        h.wait_for(WAIT, |s| s
            .matched
            .as_ref()
            .is_some_and(|m| !m.matches.is_empty())),
        "the library was not matched"
    );
    assert_eq!(h.state.device.board.as_deref(), Some("a516_row"));

    press(&mut h, KeyCode::Enter); // choose the board: the ROM panel, best first
    assert_eq!(h.state.step, Step::Rom);
    assert!(h.wait_for(WAIT, |s| s.identify.chosen.is_some()
        && s.matched.as_ref().is_some_and(|m| !m.matches.is_empty())));
    let first = h.state.selected_rom().unwrap().path.clone();
    assert_eq!(
        first,
        std::path::PathBuf::from("fits"),
        "the fitting ROM first"
    );
    press(&mut h, KeyCode::Enter); // details
    press(&mut h, KeyCode::Enter); // choose: the Flash panel, mode Download Only
    assert!(h.state.repair.rom.is_some());
    assert_eq!(h.state.step, Step::Flash);
    assert_eq!(connections(&p), 1, "identified in the first connection");
    press(&mut h, KeyCode::Enter); // start the repair on the connected phone
    assert!(
        h.wait_for(WAIT, |s| s.repair.awaiting_answer),
        "no plan: {:#?}",
        h.state.log
    );
    let Some(Popup::Confirm { lines, .. }) = &h.state.popup else {
        panic!("{:?}", h.state.popup)
    };
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Identity") && l.contains("protected"))
    );
    confirmed(&mut h);
    let report = h.state.repair.report.as_ref().unwrap();
    assert_eq!(report.outcome, Outcome::Repaired);
    assert!(
        report.backup_taken,
        "the identity was backed up in the visit"
    );
    assert_eq!(
        connections(&p),
        1,
        "identify, backup, plan, flash and verify in ONE connection: {:#?}",
        h.state.log
    );
    assert!(h.wait_for(WAIT, |s| s.backups.as_ref().is_some_and(|b| b.len() == 1)));
    assert_eq!(h.state.status(Step::Backup), StepStatus::Done);
    assert_eq!(h.state.step, Step::Verify);
    assert_eq!(h.state.status(Step::Verify), StepStatus::Done);
    let keys = h.keys;
    eprintln!("keys from launch to a verified repair: {keys}");
    assert!(keys <= 15, "{keys} keys");
    press(&mut h, KeyCode::Char('7'));
    assert_eq!(h.state.status(Step::Report), StepStatus::Done);

    // The customer's job sheet, written by one key into the data folder's `sheets`.
    press(&mut h, KeyCode::Char('w'));
    assert!(h.wait_for(WAIT, |s| s.repair.sheet_file.is_some()));
    let sheet = h.state.repair.sheet_file.clone().unwrap();
    assert_eq!(sheet.parent().unwrap().file_name().unwrap(), "sheets");
    let text = std::fs::read_to_string(&sheet).unwrap();
    let job = h.state.repair.report.as_ref().unwrap().journal_job.unwrap();
    assert!(
        text.contains(&format!("REPAIR JOB SHEET  -  job {job}")),
        "{text}"
    );
    for row in ["Phone ID", "Work done", "Identity", "Outcome", "ANDROID"] {
        assert!(text.contains(row), "{row} missing from the sheet:\n{text}");
    }
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    // A second press writes nothing new: it says where the sheet is.
    press(&mut h, KeyCode::Char('w'));
    assert_eq!(
        std::fs::read_dir(sheet.parent().unwrap()).unwrap().count(),
        1
    );
    assert!(
        h.state
            .log
            .iter()
            .rev()
            .take(2)
            .any(|e| e.text.starts_with("Job sheet"))
    );

    // Diagnose: a boot log from the fixtures, by path.
    press(&mut h, KeyCode::Char('d'));
    press(&mut h, KeyCode::Char('o'));
    typed(&mut h, "tests/fixtures/logs/panic_loop.uart.log");
    press(&mut h, KeyCode::Enter);
    assert!(h.wait_for(WAIT, |s| s.diagnose.log.is_some()));
    let (_, analysis) = h.state.diagnose.log.as_ref().unwrap();
    assert!(!analysis.as_ref().unwrap().findings.is_empty());

    assert!(h.key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)));
    assert!(h.state.quit);
    h.close(Duration::from_secs(10));
    drop(p);
}

#[test]
fn a_firmware_upgrade_applies_a_new_layout_and_keeps_the_identity_in_one_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, p) = tui_support::demo(dir.path());
    ranked(&mut h);
    press(&mut h, KeyCode::Enter); // the board
    assert!(h.wait_for(WAIT, |s| s.identify.chosen.is_some()));
    select_rom(&mut h, "other-layout");
    press(&mut h, KeyCode::Enter); // details
    press(&mut h, KeyCode::Enter); // choose: the Flash panel
    assert_eq!(h.state.step, Step::Flash);
    press(&mut h, KeyCode::Down); // the mode: Firmware Upgrade
    assert_eq!(h.state.repair.mode, FlashMode::FirmwareUpgrade);
    press(&mut h, KeyCode::Enter); // start on the connected phone
    assert!(
        h.wait_for(WAIT, |s| s.repair.awaiting_answer),
        "no plan: {:#?}",
        h.state.log
    );
    let Some(Popup::Confirm { lines, .. }) = &h.state.popup else {
        panic!("{:?}", h.state.popup)
    };
    let identity = lines.iter().find(|l| l.contains("Identity")).unwrap();
    assert!(
        identity.contains("protected") && identity.contains("written back"),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("AT RISK")), "{lines:#?}");
    press(&mut h, KeyCode::Char('y'));
    assert!(
        h.wait_for(Duration::from_secs(120), |s| s.repair.report.is_some()
            && s.session == DeviceState::Idle),
        "not repaired: {:#?}",
        h.state.log
    );
    let report = h.state.repair.report.as_ref().unwrap();
    assert_eq!(report.outcome, Outcome::Repaired);
    let flashed = report.flashed.as_ref().unwrap();
    let restored: Vec<_> = flashed
        .steps
        .iter()
        .filter(|s| s.action == Action::Restore)
        .collect();
    assert!(!restored.is_empty(), "{flashed:#?}");
    // Counted as every face says it: each write and restore read back equal, and the
    // format's erases apart (an erase is not read back, so it is never "not verified").
    let tally = flashed.tally();
    assert_eq!(tally.verified, tally.written, "{flashed:#?}");
    assert_eq!(
        tally.written + tally.erased,
        flashed
            .steps
            .iter()
            .filter(|s| s.action.changes_phone())
            .count()
    );
    assert!(
        tally.erased > 0 && tally.written > restored.len(),
        "{tally:?}"
    );
    assert!(
        restored.iter().all(|s| s.state == StepState::Verified),
        "{restored:#?}"
    );
    assert_eq!(
        connections(&p),
        1,
        "backup, format, download and restore in ONE connection"
    );
    h.close(Duration::from_secs(10));
    drop(p);
}

#[test]
fn download_only_on_another_layout_is_refused_with_the_keys_that_choose_firmware_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, p) = tui_support::demo(dir.path());
    ranked(&mut h);
    press(&mut h, KeyCode::Char('3'));
    select_rom(&mut h, "other-layout");
    press(&mut h, KeyCode::Enter); // details
    press(&mut h, KeyCode::Enter); // choose: the Flash panel
    assert_eq!(h.state.repair.mode, FlashMode::DownloadOnly);
    press(&mut h, KeyCode::Enter); // start on the connected phone
    assert!(
        h.wait_for(WAIT, |s| s.repair.choosing
            && matches!(s.popup, Some(Popup::Error { .. }))),
        "not refused: {:#?}",
        h.state.log
    );
    let Some(Popup::Error { what, next, .. }) = &h.state.popup else {
        unreachable!()
    };
    assert!(what.starts_with("Download Only refused"), "{what}");
    assert!(
        next.starts_with("Choose Firmware Upgrade (5, then ←/→)"),
        "{next}"
    );
    assert!(!next.contains("--mode"), "{next}");
    // The keys it names do choose it, on the phone still connected.
    press(&mut h, KeyCode::Esc);
    press(&mut h, KeyCode::Char('5'));
    press(&mut h, KeyCode::Right);
    assert_eq!(h.state.repair.mode, FlashMode::FirmwareUpgrade);
    assert_eq!(h.state.session, DeviceState::Busy);
    assert_eq!(connections(&p), 1);
    h.close(Duration::from_secs(10));
    drop(p);
}

#[test]
fn a_refused_plan_and_a_refused_rom_keep_the_phone_connected() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, p) = tui_support::demo(dir.path());
    ranked(&mut h);
    press(&mut h, KeyCode::Char('3'));
    press(&mut h, KeyCode::Enter);
    press(&mut h, KeyCode::Enter);
    press(&mut h, KeyCode::Enter); // start
    assert!(h.wait_for(WAIT, |s| s.repair.awaiting_answer));
    press(&mut h, KeyCode::Char('n'));
    assert!(
        h.wait_for(WAIT, |s| s.repair.choosing),
        "not asked again: {:#?}",
        h.state.log
    );
    assert!(h.state.repair.report.is_none(), "nothing written");
    assert_ne!(h.state.status(Step::Flash), StepStatus::Done);
    assert_eq!(h.state.session, DeviceState::Busy, "still connected");

    // The NAND package for this eMMC phone: refused by the planner, nothing written, the
    // phone stays connected for another choice.
    press(&mut h, KeyCode::Char('3'));
    let nand = h
        .state
        .rom_rows()
        .iter()
        .position(|(r, _)| r.path == std::path::Path::new("nand"))
        .unwrap();
    for _ in 0..nand {
        press(&mut h, KeyCode::Down);
    }
    press(&mut h, KeyCode::Enter);
    press(&mut h, KeyCode::Enter);
    press(&mut h, KeyCode::Enter); // start
    assert!(
        h.wait_for(WAIT, |s| s.repair.choosing
            && matches!(s.popup, Some(Popup::Error { .. }))),
        "not refused: {:#?}",
        h.state.log
    );
    let Some(Popup::Error { next, .. }) = &h.state.popup else {
        unreachable!()
    };
    assert!(next.contains("stays connected"), "{next}");
    assert_eq!(h.state.session, DeviceState::Busy);

    // Back to the fitting ROM: repaired, still in the first connection.
    press(&mut h, KeyCode::Esc);
    press(&mut h, KeyCode::Char('3'));
    for _ in 0..nand {
        press(&mut h, KeyCode::Up);
    }
    press(&mut h, KeyCode::Enter);
    press(&mut h, KeyCode::Enter);
    press(&mut h, KeyCode::Enter);
    assert!(h.wait_for(WAIT, |s| s.repair.awaiting_answer));
    press(&mut h, KeyCode::Char('y'));
    assert!(h.wait_for(WAIT, |s| s.repair.report.is_some()
        && s.session == DeviceState::Idle));
    let report = h.state.repair.report.as_ref().unwrap();
    assert_eq!(report.outcome, Outcome::Repaired);
    assert_eq!(connections(&p), 1, "{:#?}", h.state.log);
    h.close(Duration::from_secs(10));
    drop(p);
}

#[test]
fn diagnose_captures_the_uart_live_and_analyses_what_came() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, p) = tui_support::demo(dir.path());
    let phone = mtkbench::sim::pty::Pty::open().unwrap();
    let port = phone.path().display().to_string();
    press(&mut h, KeyCode::Char('d'));
    press(&mut h, KeyCode::Char('u'));
    typed(&mut h, &port);
    press(&mut h, KeyCode::Enter);
    assert_eq!(h.state.diagnose.view, DiagView::Uart);
    // The capture file exists once the adapter is open: from then on nothing is lost.
    let captures = p.bench.as_ref().unwrap().places.data.join("captures");
    let open = || {
        std::fs::read_dir(&captures).is_ok_and(|d| {
            d.flatten()
                .any(|e| e.path().to_string_lossy().ends_with(".partial"))
        })
    };
    let until = std::time::Instant::now() + WAIT;
    while !open() && std::time::Instant::now() < until {
        h.wait_for(Duration::from_millis(50), |_| false);
    }
    assert!(open(), "the adapter was not opened: {:#?}", h.state.log);
    let log = std::fs::read("tests/fixtures/logs/panic_loop.uart.log").unwrap();
    let player = std::thread::spawn(move || {
        let mut phone = phone;
        for piece in log.chunks(333) {
            phone.send(piece, WAIT).unwrap();
        }
        phone
    });
    assert!(
        h.wait_for(WAIT, |s| s.diagnose.uart.as_ref().is_some_and(|u| {
            u.lines.iter().any(|l| l.starts_with("boot 1"))
                && u.lines.iter().any(|l| l.starts_with("finding"))
        })),
        "no live boot or finding: {:#?}",
        h.state.diagnose.uart
    );
    let phone = player.join().unwrap();
    press(&mut h, KeyCode::Char('u')); // stop: what came is kept and analysed
    assert!(
        h.wait_for(WAIT, |s| s.diagnose.log.is_some()),
        "{:#?}",
        h.state.log
    );
    assert_eq!(h.state.diagnose.view, DiagView::Log);
    let (saved, analysis) = h.state.diagnose.log.as_ref().unwrap();
    let analysis = analysis.as_ref().unwrap();
    assert!(!analysis.findings.is_empty() && !analysis.boots.is_empty());
    assert!(saved.exists() && !saved.to_string_lossy().ends_with(".partial"));
    drop(phone);
    h.close(Duration::from_secs(10));
    drop(p);
}

#[test]
fn quitting_while_the_phone_waits_for_a_choice_writes_nothing_and_journals_why() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, p) = tui_support::demo(dir.path());
    identified(&mut h);
    let data = p.bench.as_ref().unwrap().places.data.clone();
    assert!(h.key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)));
    assert!(h.state.quit, "nothing is being written: q quits at once");
    // The closed screen chooses nothing: the visit ends its session and says so.
    h.close(Duration::from_secs(10));
    let journal = mtkbench::journal::Journal::open_in(&data).unwrap();
    let until = std::time::Instant::now() + WAIT;
    let row = loop {
        let rows = journal.list(&mtkbench::journal::Filter::default()).unwrap();
        match rows.into_iter().find(|r| r.finished.is_some()) {
            Some(row) => break row,
            None if std::time::Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(50))
            }
            None => panic!("the visit was not journaled as ended"),
        }
    };
    assert_eq!(row.outcome, mtkbench::journal::Outcome::Cancelled);
    assert!(
        row.error
            .as_deref()
            .is_some_and(|e| e.contains("no ROM was chosen")),
        "{row:?}"
    );
    assert!(row.partitions.is_empty(), "nothing written: {row:?}");
    assert_eq!(connections(&p), 1);
    drop(p);
}

#[test]
fn a_dead_phone_is_brought_back_in_one_connection_and_starts_in_preloader_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, p) = tui_support::demo_with(dir.path(), true);
    identified(&mut h);
    let f = h.state.fingerprint.clone().unwrap();
    assert_eq!(f.mode, Mode::Brom, "a dead phone answers in BROM only");
    let dead = f
        .dead_boot
        .as_ref()
        .expect("the DA asked for DRAM settings");
    let EmiSource::Backup { id } = &dead.source else {
        panic!(
            "RAM set up from {}, not the earlier visit's backup",
            dead.source
        )
    };
    assert_eq!(dead.project.as_deref(), Some("a516_row"));
    let identify = tui_support::frame(&h.state, 100, 40);
    assert!(
        identify.contains("dead boot: the download agent needed DRAM settings"),
        "{identify}"
    );
    // The preloader shown is the backup's, and says so: the phone's own is not there.
    assert!(
        identify.contains("preloader  a516_row, EMI v11 (from this phone's backup"),
        "{identify}"
    );
    assert!(identify.contains(id.as_str()), "{identify}");
    assert!(h.wait_for(WAIT, |s| {
        s.matched.as_ref().is_some_and(|m| !m.matches.is_empty())
    }));
    assert_eq!(h.state.device.board.as_deref(), Some("a516_row"));

    press(&mut h, KeyCode::Enter); // the board: the ROM panel, the fitting ROM first
    assert!(h.wait_for(WAIT, |s| s.identify.chosen.is_some()));
    assert_eq!(
        h.state.selected_rom().unwrap().path,
        std::path::PathBuf::from("fits")
    );
    let rom = tui_support::frame(&h.state, 100, 40);
    assert!(rom.contains("RAM set up from"), "{rom}");
    assert!(rom.contains("preloader is written from this ROM"), "{rom}");
    assert!(rom.contains("project is the board's"), "{rom}");
    let settled = h
        .state
        .fingerprint
        .as_ref()
        .unwrap()
        .preloader
        .clone()
        .unwrap();
    assert_eq!(
        settled.project.as_deref(),
        Some("a516_row"),
        "the guard's project"
    );
    press(&mut h, KeyCode::Enter); // details
    press(&mut h, KeyCode::Enter); // choose: Download Only
    press(&mut h, KeyCode::Enter); // start
    assert!(
        h.wait_for(WAIT, |s| s.repair.awaiting_answer),
        "no plan: {:#?}",
        h.state.log
    );
    confirmed(&mut h);
    let report = h.state.repair.report.clone().unwrap();
    assert_eq!(report.outcome, Outcome::Repaired);
    assert!(!report.backup_taken, "the earlier visit's backup is named");
    assert_eq!(report.backup_id.as_deref(), Some(id.as_str()));
    let flashed = report.flashed.unwrap();
    assert!(
        format!("{:?}", flashed.steps).contains("PRELOADER"),
        "the preloader is written back: {:?}",
        flashed.steps
    );
    assert_eq!(connections(&p), 1, "the recovery in ONE connection");

    // The next visit: the phone starts in preloader mode again, no DRAM setup needed.
    press(&mut h, KeyCode::Char('1'));
    press(&mut h, KeyCode::Enter); // arm
    assert!(
        h.wait_for(WAIT, |s| s.repair.choosing
            && s.fingerprint
                .as_ref()
                .is_some_and(|f| f.mode == Mode::Preloader)),
        "not back in preloader mode: {:?}\n{:#?}",
        h.state.fingerprint.as_ref().map(|f| f.mode),
        h.state.log
    );
    assert!(h.state.fingerprint.as_ref().unwrap().dead_boot.is_none());
    assert_eq!(connections(&p), 2);
    assert!(h.key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)));
    h.close(Duration::from_secs(10));
    drop(p);
}
