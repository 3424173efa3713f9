//! The Verify panel: what is read back and compared after a flash. Pure render of
//! [`AppState`].

use ratatui::{buffer::Buffer, layout::Rect, text::Line};

use crate::tui::{state::AppState, text, view};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let lines = vec![
        Line::styled(text::VERIFY_WHAT, t.title()),
        Line::raw(text::VERIFY_HOW),
    ];
    view::paragraph(lines, area, buf);
}
