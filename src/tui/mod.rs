//! The workstation: a keyboard-only ratatui face over the library that walks a technician
//! through one repair (Connect, Identify, ROM, Backup, Flash, Verify, Report; Diagnose from
//! anywhere).
//!
//! Three layers, as `DESIGN.md` section 4 asks:
//! - [`state`]: what is on screen, changed only by [`state::AppState::update`], which takes an
//!   [`action::Action`] and returns [`action::Effect`]s; no I/O;
//! - [`view`], [`panels`], [`popups`]: pure drawing from the state into a buffer, with
//!   [`theme`] (16 colours, `NO_COLOR`, `--ascii`) and [`text`] (every sentence);
//! - [`runner`]: the tokio loop and the effects; [`terminal`]: raw mode and its restoration on
//!   every way out; [`keymap`]: keys to actions, and the hints and help derived from it.
//!
//! It must not hold a flow or a safety check of its own, and reaches a phone only through the
//! job layer; it never touches `transport`, `protocol` or a device session.

pub mod action;
pub mod demo;
pub mod headless;
pub mod jobs;
pub mod keymap;
pub mod panels;
pub mod popups;
pub mod runner;
pub mod state;
pub mod steps;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod view;
pub mod visit;
pub mod worker;

use std::path::PathBuf;

use crate::{Result, places::Places};

/// How the workstation is started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The simulated phone and a demo library instead of a real bench.
    pub demo: bool,
    /// Plain ASCII instead of box-drawing glyphs.
    pub ascii: bool,
    /// No colours (`NO_COLOR` set).
    pub no_color: bool,
    /// The ROM library folder [default: the places' library].
    pub library: Option<PathBuf>,
    /// The DA file [default: the one remembered in the config].
    pub da: Option<PathBuf>,
    /// With `demo`: the simulated phone is dead (preloader erased), with its identity backup
    /// from an earlier visit in the demo's data.
    pub dead_boot: bool,
}

/// A workstation ready to start: its first state and effects, what the effects need, and
/// the demo bench (kept alive as long as this value).
pub struct Prepared {
    /// The first frame's state.
    pub state: state::AppState,
    /// The effects of the first frame (ports, doctor, library, arm).
    pub first: Vec<action::Effect>,
    /// What the effects need.
    pub context: runner::Context,
    /// The simulated phone of `--demo`; dropping it stops the phone.
    pub bench: Option<demo::DemoBench>,
}

/// Sets the workstation up without starting it (the demo's phone does start).
pub fn prepare(options: &Options, places: &Places) -> Result<Prepared> {
    let theme = theme::Theme::new(options.no_color, options.ascii);
    let bench = if options.demo {
        Some(demo::DemoBench::start(places, options.dead_boot)?)
    } else {
        None
    };
    let (places, library) = match &bench {
        Some(b) => (b.places.clone(), b.library.clone()),
        None => (
            places.clone(),
            options.library.clone().unwrap_or_else(|| places.library()),
        ),
    };
    let start = state::StartInfo {
        demo: bench.is_some(),
        demo_board: bench.as_ref().map(|_| demo::DEMO_BOARD.to_string()),
        jobs_dir: Some(places.jobs()),
        dead_boot: options.demo && options.dead_boot,
    };
    let (state, first) = state::AppState::new(library.clone(), start, theme);
    let bench_spec = match &bench {
        Some(b) => worker::Bench::Simulated {
            port: b.port.clone(),
        },
        None => worker::Bench::Real {
            da: options.da.clone(),
        },
    };
    Ok(Prepared {
        state,
        first,
        context: runner::Context {
            places,
            library,
            bench: bench_spec,
        },
        bench,
    })
}

/// Opens the workstation and runs it until the technician quits.
pub fn run(options: &Options, places: &Places) -> Result<()> {
    let p = prepare(options, places)?;
    let result = runner::run(p.state, p.first, p.context);
    drop(p.bench);
    result
}
