//! The Backup panel: what the identity backup holds and why it comes before any write; what
//! this repair's backup step did (taken in the same connection, or the verified one found),
//! the reads as they run, and the backups this phone already has with the newest one's
//! manifest (every file with its size and SHA-256). Pure render of [`AppState`].

use ratatui::{buffer::Buffer, layout::Rect, text::Line};

use crate::tui::{state::AppState, text, view};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let r = &state.repair;
    let mut lines = Vec::new();
    match (&r.backup_note, &state.job.current) {
        (Some(note), _) => lines.push(Line::styled(text::sentence(note), t.good())),
        (None, Some(read)) if r.running => lines.push(Line::styled(
            format!(
                "Backing up: reading {} ({} of {}).",
                read.name,
                text::size(read.done),
                text::size(read.total)
            ),
            t.warn(),
        )),
        (None, _) if r.running => lines.push(Line::styled(text::BACKUP_RUNNING, t.warn())),
        (None, _) => lines.push(Line::styled(text::BACKUP_IN_REPAIR, t.key())),
    }
    match state.backups.as_deref() {
        Some([.., newest]) => {
            let n = state.backups.as_ref().map_or(0, Vec::len);
            lines.push(Line::styled(
                text::backups_of_phone(n, &newest.id),
                t.title(),
            ));
            lines.push(Line::styled(
                format!("folder  {}", newest.path.display()),
                t.dim(),
            ));
            for f in &newest.files {
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
        }
        Some([]) => lines.push(Line::styled(text::BACKUP_NONE, t.warn())),
        None => {}
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(text::BACKUP_WHAT, t.title()));
    for part in text::BACKUP_PARTS {
        // Continuations hang under the bullet's text.
        let bullet = ratatui::text::Span::raw(format!("  {} ", t.bullet()));
        lines.extend(view::hanging(bullet, part, t.text(), area.width));
    }
    lines.push(Line::raw(text::BACKUP_HOW));
    view::paragraph(lines, area, buf);
}
