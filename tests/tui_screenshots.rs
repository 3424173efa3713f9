//! `screenshots/tui-*`: one capture per step of the demo repair, at 80x24, as text and as an
//! SVG image for the README. They are made by driving the real workstation headless against
//! the built-in simulated phone (`mtkbench --demo`), so they can never drift from the code;
//! this test fails when one is stale. Regenerate every screenshot with
//!
//! ```sh
//! UPDATE_SCREENSHOTS=1 cargo test --test screenshots --test tui_screenshots
//! ```
//!
//! What depends on the machine is left out: the host doctor and the port listing get a fixed
//! answer (nothing in the way, no serial ports), and the pseudo-terminal's number and
//! temporary paths are replaced.

mod common;
mod tui_support;

use std::{fmt::Write, path::PathBuf, time::Duration};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mtkbench::{
    places::Places,
    tui::{
        self, Options,
        action::{Action, Effect},
        headless::Headless,
        state::{AppState, DeviceState},
        view,
    },
};
use ratatui::{
    Terminal,
    backend::TestBackend,
    buffer::Buffer,
    style::{Color, Modifier},
};

const W: u16 = 80;
const H: u16 = 24;

fn press(h: &mut Headless, code: KeyCode) {
    assert!(h.key(KeyEvent::new(code, KeyModifiers::NONE)), "{code:?}");
}

fn draw(state: &AppState) -> Buffer {
    // The library's own read and the phone's identification race; their log line is left out
    // so the pictures do not depend on which came first.
    let mut state = state.clone();
    state.log.retain(|l| !l.text.starts_with("ROM library:"));
    // Likewise the board ranking (it waits for the library) and the end of the identify job:
    // the ranking's line is put last.
    state.log.sort_by_key(|l| l.text.starts_with("board "));
    let state = &state;
    let mut terminal = Terminal::new(TestBackend::new(W, H)).unwrap();
    terminal
        .draw(|f| view::render(state, f.area(), f.buffer_mut()))
        .unwrap();
    terminal.backend().buffer().clone()
}

/// Replaces what changes from run to run.
fn scrub(text: &str) -> String {
    let pts = regex::Regex::new(r"/dev/pts/\d+").unwrap();
    let tmp = regex::Regex::new(r"/tmp/[A-Za-z0-9._-]+").unwrap();
    let job = regex::Regex::new(r"flash-\d+").unwrap();
    let rate = regex::Regex::new(r"in [0-9.]+ s \([0-9.]+ MB/s\) *").unwrap();
    let backup = regex::Regex::new(r"\d{8}T\d{6}Z").unwrap();
    let text = pts.replace_all(text, "/dev/pts/3");
    let text = tmp.replace_all(&text, "/tmp/demo");
    let text = job.replace_all(&text, "flash-1796300000");
    let text = backup.replace_all(&text, "20261203T120000Z");
    rate.replace_all(&text, "in 0.0 s (9.9 MB/s) ").into_owned()
}

fn hex(c: Color, default: &str) -> String {
    match c {
        Color::Black => "#1e1e1e",
        Color::Red => "#cd3131",
        Color::Green => "#0dbc79",
        Color::Yellow => "#e5e510",
        Color::Blue => "#2472c8",
        Color::Magenta => "#bc3fbc",
        Color::Cyan => "#11a8cd",
        Color::Gray => "#c8c8c8",
        Color::DarkGray => "#767676",
        Color::LightRed => "#f14c4c",
        Color::LightGreen => "#23d18b",
        Color::LightYellow => "#f5f543",
        Color::LightBlue => "#3b8eea",
        Color::LightMagenta => "#d670d6",
        Color::LightCyan => "#29b8db",
        Color::White => "#e5e5e5",
        _ => default,
    }
    .to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The buffer as an SVG picture of the terminal (monospace cells, 16 colours).
fn svg(buf: &Buffer) -> String {
    let (cw, ch) = (8.4, 17.0);
    let (w, h) = (f64::from(W) * cw + 16.0, f64::from(H) * ch + 16.0);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
         font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#1e1e1e\"/>\n"
    );
    for y in 0..H {
        let base = 8.0 + f64::from(y) * ch;
        for x in 0..W {
            let cell = &buf[(x, y)];
            if cell.modifier.contains(Modifier::REVERSED) {
                let _ = writeln!(
                    out,
                    "<rect x=\"{}\" y=\"{base}\" width=\"{cw}\" height=\"{ch}\" fill=\"#c8c8c8\"/>",
                    8.0 + f64::from(x) * cw
                );
            }
        }
        let mut x = 0;
        while x < W {
            let cell = &buf[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let fill = if reversed {
                "#1e1e1e".to_string()
            } else {
                hex(cell.fg, "#e5e5e5")
            };
            let bold = cell.modifier.contains(Modifier::BOLD);
            let mut text = String::new();
            let start = x;
            while x < W {
                let c = &buf[(x, y)];
                let same = c.fg == cell.fg
                    && c.modifier.contains(Modifier::REVERSED) == reversed
                    && c.modifier.contains(Modifier::BOLD) == bold;
                if !same {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            if text.trim().is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"{}\" fill=\"{fill}\"{} xml:space=\"preserve\" \
                 textLength=\"{}\">{}</text>",
                8.0 + f64::from(start) * cw,
                base + 13.0,
                if bold { " font-weight=\"bold\"" } else { "" },
                f64::from(x - start) * cw,
                escape(&scrub(&text))
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

/// The demo repair, step by step, as far as this build's engine goes.
fn shots() -> Vec<(&'static str, Buffer)> {
    let dir = tempfile::tempdir().unwrap();
    let places = Places {
        config: dir.path().join("config"),
        data: dir.path().join("data"),
        cache: dir.path().join("cache"),
        logs: dir.path().join("logs"),
    };
    let options = Options {
        demo: true,
        ..Options::default()
    };
    let p = tui::prepare(&options, &places).unwrap();
    // The host's own ports and problems would make the pictures differ between machines.
    let first: Vec<Effect> = p
        .first
        .into_iter()
        .filter(|e| !matches!(e, Effect::ListPorts | Effect::RunDoctor))
        .collect();
    let mut h = Headless::start(p.state, first, p.context).unwrap();
    h.act(Action::PortsListed(Ok(Vec::new())));
    h.act(Action::DoctorDone(Vec::new()));
    h.state.log.retain(|l| !l.text.starts_with("Host check"));
    let mut shots = vec![("tui-01-connect", draw(&h.state))];
    let wait = Duration::from_secs(30);
    assert!(h.wait_for(wait, |s| s.repair.choosing
        && s.fingerprint.is_some()
        && s.matched.as_ref().is_some_and(|m| !m.matches.is_empty())));
    shots.push(("tui-02-identify", draw(&h.state)));
    press(&mut h, KeyCode::Enter);
    assert!(h.wait_for(wait, |s| s.identify.chosen.is_some()
        && s.matched.as_ref().is_some_and(|m| !m.matches.is_empty())));
    shots.push(("tui-03-rom", draw(&h.state)));
    press(&mut h, KeyCode::Enter);
    shots.push(("tui-04-rom-detail", draw(&h.state)));
    press(&mut h, KeyCode::Enter);
    shots.push(("tui-05-flash-mode", draw(&h.state)));
    press(&mut h, KeyCode::Enter);
    assert!(h.wait_for(wait, |s| s.repair.awaiting_answer));
    shots.push(("tui-06-flash-plan", draw(&h.state)));
    press(&mut h, KeyCode::Char('y'));
    assert!(h.wait_for(wait, |s| s.repair.report.is_some()
        && s.session == DeviceState::Idle
        && s.backups.as_ref().is_some_and(|b| !b.is_empty())));
    shots.push(("tui-07-verify", draw(&h.state)));
    press(&mut h, KeyCode::Char('4'));
    shots.push(("tui-08-backup", draw(&h.state)));
    press(&mut h, KeyCode::Char('7'));
    shots.push(("tui-09-report", draw(&h.state)));
    press(&mut h, KeyCode::Char('d'));
    press(&mut h, KeyCode::Char('x'));
    for c in "3012".chars() {
        press(&mut h, KeyCode::Char(c));
    }
    press(&mut h, KeyCode::Enter);
    shots.push(("tui-10-diagnose", draw(&h.state)));
    press(&mut h, KeyCode::Char('?'));
    shots.push(("tui-11-help", draw(&h.state)));
    h.close(Duration::from_secs(10));
    drop(p.bench);
    shots
}

#[test]
fn tui_screenshots_are_fresh() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let update = std::env::var_os("UPDATE_SCREENSHOTS").is_some();
    let mut stale = Vec::new();
    for (name, buf) in shots() {
        let text = scrub(&tui_support::buffer_text(&buf));
        for (file, content) in [
            (format!("{name}.txt"), text),
            (format!("{name}.svg"), svg(&buf)),
        ] {
            let path = dir.join(&file);
            if update {
                std::fs::write(&path, &content).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
                stale.push(file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale screenshots: {stale:?}; run UPDATE_SCREENSHOTS=1 cargo test --test screenshots \
         --test tui_screenshots"
    );
}
