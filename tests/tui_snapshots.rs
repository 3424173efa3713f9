//! Snapshot tests of every workstation panel and popup at 80x24 and 120x40 (insta, on
//! ratatui's in-memory backend), and proof that every panel draws into tiny and zero-size
//! areas without panicking. Regenerate after a deliberate change with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test --test tui_snapshots`).

mod common;
mod tui_support;

use ratatui::layout::Rect;
use tui_support as fx;

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r"/dev/pts/\d+", "/dev/pts/N");
    s.add_filter(r"/tmp/[A-Za-z0-9._-]+", "/tmp/TMP");
    s.add_filter(r"flash-\d+", "flash-JOB");
    s.add_filter(r"\d{8}T\d{6}Z", "TIMESTAMP");
    s.add_filter(r"in [0-9.]+ s \([0-9.]+ MB/s\) *", "in T s (R MB/s) ");
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn every_panel_and_popup_at_80x24_and_120x40() {
    let settings = settings();
    for (name, state) in fx::all().into_iter().chain(fx::repair_states()) {
        for (w, h) in [(80, 24), (120, 40)] {
            let text = fx::frame(&state, w, h);
            settings.bind(|| insta::assert_snapshot!(format!("{name}_{w}x{h}"), text));
        }
    }
}

#[test]
fn every_panel_draws_into_tiny_and_zero_areas() {
    for (_, state) in fx::all().into_iter().chain(fx::repair_states()) {
        for area in [
            Rect::ZERO,
            Rect::new(0, 0, 1, 1),
            Rect::new(0, 0, 20, 5),
            Rect::new(0, 0, 5, 20),
            Rect::new(0, 0, 79, 3),
            Rect::new(3, 2, 40, 12),
        ] {
            fx::render_into(&state, area);
        }
    }
}

#[test]
fn at_80x24_the_frame_names_the_step_and_the_keys() {
    let text = fx::frame(&fx::rom_list(), 80, 24);
    let last = text.lines().last().unwrap();
    assert!(last.contains("Enter details"), "{last}");
    assert!(text.contains("3 ROM"), "{text}");
    assert!(text.contains("S118_fits"), "{text}");
}

#[test]
fn identify_rows_hang_and_a_dead_phones_preloader_names_its_backup_within_80_columns() {
    let text = fx::frame(&fx::identify_dead_boot_from_backup(), 80, 24);
    assert!(
        text.contains("│preloader  a516_row, EMI v11 (from this phone's backup"),
        "{text}"
    );
    assert!(
        text.contains("│  phone's own is missing or foreign)"),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    // Every row of the panel that does not start a field, a heading or a candidate hangs.
    let panel: Vec<&str> = text
        .lines()
        .skip(2)
        .take(14)
        .map(|l| l.split('│').nth(3).unwrap_or(""))
        .collect();
    assert!(panel.iter().any(|r| r.starts_with("  ")), "{panel:#?}");
    assert!(!panel.iter().any(|r| r.starts_with("off ")), "{panel:#?}");
}

#[test]
fn without_an_interrupted_job_the_flash_hints_offer_no_resume() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use mtkbench::tui::keymap::{self, Mode};
    let s = fx::on_step(mtkbench::tui::state::Step::Flash);
    let text = fx::frame(&s, 80, 24);
    let last = text.lines().last().unwrap();
    assert!(last.contains("Enter start repair"), "{last}");
    assert!(!text.contains("resume"), "{text}");
    let key = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::NONE);
    assert!(keymap::resolve(Mode::of(&s), &key).is_none());
}

#[test]
fn an_interrupted_job_is_offered_and_u_resumes_it() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use mtkbench::tui::{
        action::Effect,
        keymap::{self, Mode},
    };
    let mut s = fx::flash_resume_offer();
    let text = fx::frame(&s, 80, 24);
    assert!(
        text.contains("u resumes interrupted job flash-1796300000"),
        "{text}"
    );
    assert!(text.contains("u resume job"), "{text}");
    let key = KeyEvent::new(KeyCode::Char('u'), KeyModifiers::NONE);
    let action = keymap::resolve(Mode::of(&s), &key).unwrap();
    assert_eq!(
        s.update(action),
        [Effect::Resume {
            id: "flash-1796300000".into()
        }]
    );
    assert!(
        s.job_running(),
        "one job at a time: the resume now holds the phone"
    );
}

#[test]
fn an_error_popup_keeps_each_line_of_a_refusal() {
    use mtkbench::tui::state::Popup;
    let mut s = fx::on_step(mtkbench::tui::state::Step::Flash);
    s.popup = Some(Popup::Error {
        title: "That ROM or mode cannot be used on this phone".into(),
        what: "Download Only refused: the table differs in 2 place(s):\n  ANDROID: phone 1 GiB\n  CACHE: phone 126 MiB"
            .into(),
        next: "Choose Firmware Upgrade (5, then ←/→).".into(),
    });
    let text = fx::frame(&s, 80, 24);
    // Each difference starts its own row of the popup, indented as the refusal wrote it.
    for row in ["│  ANDROID: phone 1 GiB", "│  CACHE: phone 126 MiB"] {
        assert!(
            text.lines().any(|l| l.contains(row)),
            "{row} not on a row of its own:\n{text}"
        );
    }
}
