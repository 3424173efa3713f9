//! The Flash panel: the three SP Flash Tool modes with a one-line explanation of each, and
//! what the plan will show before anything is written. Pure render of [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
};

use crate::tui::{state::AppState, text, view};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let mut lines = vec![Line::styled("Modes", t.title())];
    for (name, what) in text::FLASH_MODES {
        lines.push(Line::from(vec![
            Span::styled(format!("  {name:<26}"), t.text()),
            Span::styled(what, t.dim()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::raw(text::FLASH_PLAN_FIRST));
    view::paragraph(lines, area, buf);
}
