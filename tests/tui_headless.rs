//! The workstation driven headless through its keymap against the built-in simulated phone
//! (`--demo`): the same state, effects, job layer and simulator as `mtkbench --demo`, without
//! a terminal. Goes as far as the engine allows in this build: armed at start, connected and
//! identified in one session, the library read, a boot log analysed, then quit (the phone is
//! rebooted).

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mtkbench::{
    places::Places,
    tui::{
        self, Options,
        headless::Headless,
        state::{Session, Step, StepStatus},
    },
};

fn press(h: &mut Headless, code: KeyCode) {
    assert!(
        h.key(KeyEvent::new(code, KeyModifiers::NONE)),
        "{code:?} means nothing in {:?}",
        h.state.step
    );
}

fn places(dir: &std::path::Path) -> Places {
    Places {
        config: dir.join("config"),
        data: dir.join("data"),
        cache: dir.join("cache"),
        logs: dir.join("logs"),
    }
}

#[test]
fn demo_workstation_connects_identifies_and_diagnoses_by_keys() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        demo: true,
        ascii: true,
        no_color: true,
        ..Options::default()
    };
    let p = tui::prepare(&options, &places(dir.path())).unwrap();
    let mut h = Headless::start(p.state, p.first, p.context).unwrap();
    assert!(
        h.wait_for(Duration::from_secs(20), |s| s.session == Session::Open),
        "not identified: {:?}\n{:?}",
        h.state.session,
        h.state.log
    );
    let s = &h.state;
    assert_eq!(
        s.step,
        Step::Identify,
        "identified: the Identify panel comes up"
    );
    assert_eq!(s.status(Step::Connect), StepStatus::Done);
    assert_eq!(s.device.chip.as_deref(), Some("MT6572"));
    assert!(s.device.storage.as_deref().unwrap().starts_with("eMMC"));
    let f = s.fingerprint.as_ref().unwrap();
    assert!(f.partitions.iter().any(|p| p.name == "NVRAM"));

    // A PCB marking typed on Identify.
    press(&mut h, KeyCode::Char('m'));
    for c in "A516".chars() {
        press(&mut h, KeyCode::Char(c));
    }
    press(&mut h, KeyCode::Enter);
    assert_eq!(h.state.marking.as_deref(), Some("A516"));

    // The library panel was read (the demo library).
    press(&mut h, KeyCode::Char('3'));
    assert!(h.wait_for(Duration::from_secs(20), |s| s.rom.rows.is_some()));

    // Diagnose: a boot log from the fixtures, by path.
    press(&mut h, KeyCode::Char('d'));
    press(&mut h, KeyCode::Char('o'));
    for c in "tests/fixtures/logs/panic_loop.uart.log".chars() {
        press(&mut h, KeyCode::Char(c));
    }
    press(&mut h, KeyCode::Enter);
    assert!(h.wait_for(Duration::from_secs(20), |s| s.diagnose.log.is_some()));
    let (_, analysis) = h.state.diagnose.log.as_ref().unwrap();
    assert!(!analysis.as_ref().unwrap().findings.is_empty());

    // q quits at once (no write runs); the session is ended and the phone rebooted.
    assert!(h.key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)));
    assert!(h.state.quit);
    h.close(Duration::from_secs(10));
    drop(p.bench);
}
