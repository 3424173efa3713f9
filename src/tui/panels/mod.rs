//! One file per step panel, each a pure `render(&AppState, Rect, &mut Buffer)`; this module
//! picks the one for the current step. Key hints are not here: they come from the keymap.

pub mod backup;
pub mod connect;
pub mod diagnose;
pub mod flash;
pub mod identify;
pub mod report;
pub mod rom;
pub mod verify;

use ratatui::{buffer::Buffer, layout::Rect};

use super::state::{AppState, Step};

/// Draws the current step's panel into `area`.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    render_step(state, state.step, area, buf);
}

/// Draws one step's panel into `area` (whatever step is current).
pub fn render_step(state: &AppState, step: Step, area: Rect, buf: &mut Buffer) {
    if area.is_empty() {
        return;
    }
    match step {
        Step::Connect => connect::render(state, area, buf),
        Step::Identify => identify::render(state, area, buf),
        Step::Rom => rom::render(state, area, buf),
        Step::Backup => backup::render(state, area, buf),
        Step::Flash => flash::render(state, area, buf),
        Step::Verify => verify::render(state, area, buf),
        Step::Report => report::render(state, area, buf),
        Step::Diagnose => diagnose::render(state, area, buf),
    }
}
