//! How long the workstation takes to draw a frame, and to its first frame.
//!
//! Starts the demo (the built-in simulated phone, in-process), lets it connect and identify,
//! then draws that screen again and again through ratatui's in-memory backend at 80x24 and
//! 200x60: the whole frame (device bar, rail, panel, log, key line) plus the buffer diff, i.e.
//! all the work of a redraw except writing the changed cells to the terminal. The reference in
//! the same process is an empty frame of the same size (clearing and diffing the buffer). The
//! first-frame figure is `tui::prepare` (no demo) plus one draw: what the program does before
//! the first picture, without terminal set-up.
//!
//! Run: `cargo bench --bench tui_render` (release build).

use std::time::{Duration, Instant};

use mtkbench::{
    places::Places,
    tui::{self, Options, headless::Headless, view},
};
use ratatui::{Terminal, backend::TestBackend, widgets::Clear};

const FRAMES: u32 = 2000;

fn places(dir: &std::path::Path) -> Places {
    Places {
        config: dir.join("config"),
        data: dir.join("data"),
        cache: dir.join("cache"),
        logs: dir.join("logs"),
    }
}

fn per_frame(mut draw: impl FnMut()) -> Duration {
    for _ in 0..100 {
        draw();
    }
    let start = Instant::now();
    for _ in 0..FRAMES {
        draw();
    }
    start.elapsed() / FRAMES
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let places = places(dir.path());

    // First frame, no demo: prepare (library path, state, theme) and one draw.
    let start = Instant::now();
    let p = tui::prepare(&Options::default(), &places).expect("prepare");
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("backend");
    terminal
        .draw(|f| view::render(&p.state, f.area(), f.buffer_mut()))
        .expect("draw");
    let first = start.elapsed();
    println!("first frame (prepare + draw, 80x24, no terminal set-up): {first:?}");
    drop(p);

    let options = Options {
        demo: true,
        ..Options::default()
    };
    let p = tui::prepare(&options, &places).expect("demo");
    let mut h = Headless::start(p.state, p.first, p.context).expect("start");
    assert!(
        h.wait_for(Duration::from_secs(30), |s| s.repair.choosing
            && s.fingerprint.is_some()),
        "the demo phone did not connect"
    );
    println!("| size | frame (identified demo) | empty frame (reference) | ratio |");
    println!("|---|---|---|---|");
    for (w, hgt) in [(80u16, 24u16), (200, 60)] {
        let mut terminal = Terminal::new(TestBackend::new(w, hgt)).expect("backend");
        let state = &h.state;
        let frame = per_frame(|| {
            terminal
                .draw(|f| view::render(state, f.area(), f.buffer_mut()))
                .expect("draw");
        });
        let mut terminal = Terminal::new(TestBackend::new(w, hgt)).expect("backend");
        let empty = per_frame(|| {
            terminal
                .draw(|f| f.render_widget(Clear, f.area()))
                .expect("draw");
        });
        println!(
            "| {w}x{hgt} | {:.1} µs | {:.1} µs | {:.1}x |",
            frame.as_secs_f64() * 1e6,
            empty.as_secs_f64() * 1e6,
            frame.as_secs_f64() / empty.as_secs_f64()
        );
    }
    h.close(Duration::from_secs(10));
    drop(p.bench);
}
