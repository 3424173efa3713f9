//! The workstation driven headless through its keymap against the built-in simulated phone
//! (`--demo`): the same state, effects, job layer, library flows and simulator as
//! `mtkbench --demo`, without a terminal. A whole demo repair by keys: armed at start,
//! identified, a ROM chosen from the library, the plan shown and confirmed, flashed and
//! verified, the report; also a boot log analysed in Diagnose, and a refused plan that
//! writes nothing.

mod common;
mod tui_support;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mtkbench::{
    repair::Outcome,
    tui::{
        headless::Headless,
        state::{DeviceState, Popup, Step, StepStatus},
    },
};

const WAIT: Duration = Duration::from_secs(30);

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

fn identified(h: &mut Headless) {
    assert!(
        h.wait_for(WAIT, |s| s.fingerprint.is_some()
            && s.session == DeviceState::Idle),
        "not identified: {:?}\n{:#?}",
        h.state.session,
        h.state.log
    );
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
    press(&mut h, KeyCode::Enter); // choose
    assert!(h.state.repair.rom.is_some());
    press(&mut h, KeyCode::Char('5'));
    press(&mut h, KeyCode::Enter); // start the repair
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
    press(&mut h, KeyCode::Char('y'));
    assert!(
        h.wait_for(WAIT, |s| s.repair.report.is_some()
            && s.session == DeviceState::Idle),
        "not repaired: {:#?}",
        h.state.log
    );
    let report = h.state.repair.report.as_ref().unwrap();
    assert_eq!(report.outcome, Outcome::Repaired);
    assert_eq!(h.state.step, Step::Verify);
    assert_eq!(h.state.status(Step::Verify), StepStatus::Done);
    let keys = h.keys;
    eprintln!("keys from launch to a verified repair: {keys}");
    assert!(keys <= 15, "{keys} keys");
    press(&mut h, KeyCode::Char('7'));
    assert_eq!(h.state.status(Step::Report), StepStatus::Done);

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
fn a_refused_plan_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut h, p) = tui_support::demo(dir.path());
    identified(&mut h);
    assert!(h.wait_for(WAIT, |s| {
        s.matched.as_ref().is_some_and(|m| !m.matches.is_empty())
    }));
    press(&mut h, KeyCode::Char('3'));
    press(&mut h, KeyCode::Enter);
    press(&mut h, KeyCode::Enter);
    press(&mut h, KeyCode::Char('5'));
    press(&mut h, KeyCode::Enter);
    assert!(h.wait_for(WAIT, |s| s.repair.awaiting_answer));
    press(&mut h, KeyCode::Char('n'));
    assert!(h.wait_for(WAIT, |s| s.repair.report.is_some()
        && s.session == DeviceState::Idle));
    let report = h.state.repair.report.as_ref().unwrap();
    assert_eq!(report.outcome, Outcome::NotConfirmed);
    assert!(report.flashed.is_none());
    assert_ne!(h.state.status(Step::Flash), StepStatus::Done);
    h.close(Duration::from_secs(10));
    drop(p);
}
