//! The Report panel: the journal entry of the repair and where the job sheet is. Pure render
//! of [`AppState`].

use ratatui::{buffer::Buffer, layout::Rect, text::Line};

use crate::tui::{state::AppState, text, view};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let lines = vec![
        Line::styled(text::REPORT_WHAT, t.title()),
        Line::raw(text::REPORT_HOW),
    ];
    view::paragraph(lines, area, buf);
}
