//! The Backup panel: what the identity backup holds and why it comes before any write.
//! Pure render of [`AppState`].

use ratatui::{buffer::Buffer, layout::Rect, text::Line};

use crate::tui::{state::AppState, text, view};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let mut lines = vec![Line::styled(text::BACKUP_WHAT, t.title())];
    for part in text::BACKUP_PARTS {
        lines.push(Line::raw(format!("  {} {part}", t.bullet())));
    }
    lines.push(Line::raw(text::BACKUP_HOW));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        state
            .device
            .backup
            .clone()
            .unwrap_or_else(|| text::BACKUP_NONE.into()),
        t.warn(),
    ));
    view::paragraph(lines, area, buf);
}
