//! The Backup panel: what the identity backup holds and why it comes before any write; once
//! taken, the verified backup (id, folder, every file with its size and SHA-256). Pure render
//! of [`AppState`].

use ratatui::{buffer::Buffer, layout::Rect, text::Line};

use crate::tui::{state::AppState, text, view};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    if let Some(b) = &state.backup {
        let mut lines = vec![
            Line::styled(
                format!(
                    "Backed up and verified: {} file(s), each read twice and equal.",
                    b.files.len()
                ),
                t.good(),
            ),
            Line::raw(format!("id      {}", b.id)),
            Line::raw(format!("folder  {}", b.path.display())),
        ];
        for f in &b.files {
            lines.push(Line::styled(
                format!(
                    "  {:<10} {:>9}  SHA-256 {}",
                    f.partition,
                    text::size(f.length),
                    &f.sha256[..f.sha256.len().min(16)]
                ),
                t.dim(),
            ));
        }
        return view::paragraph(lines, area, buf);
    }
    let mut lines = vec![Line::styled(text::BACKUP_WHAT, t.title())];
    for part in text::BACKUP_PARTS {
        lines.push(Line::raw(format!("  {} {part}", t.bullet())));
    }
    lines.push(Line::raw(text::BACKUP_HOW));
    lines.push(Line::raw(""));
    match &state.repair.backup_note {
        Some(note) => lines.push(Line::styled(format!("This repair: {note}."), t.good())),
        None if !state.job_running() => {
            lines.push(Line::styled("Enter backs the identity up now.", t.key()));
            lines.push(Line::styled(text::BACKUP_NONE, t.warn()));
        }
        None => lines.push(Line::styled(text::BACKUP_RUNNING, t.warn())),
    }
    view::paragraph(lines, area, buf);
}
