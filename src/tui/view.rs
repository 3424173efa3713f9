//! The whole frame, drawn from [`AppState`] alone: device bar, step rail, the current step's
//! panel, the log pane, the key-hint line, and the popup on top.
//!
//! Pure: no I/O, no locking, no mutation. Every part renders into any area, including tiny and
//! zero-size ones, without panicking.

use ratatui::{
    buffer::Buffer,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Paragraph, Widget, Wrap},
};

use super::{
    keymap::{self, Mode},
    panels, popups,
    state::{AppState, Step},
    theme::Theme,
};

/// Width of the step rail.
const RAIL_WIDTH: u16 = 15;

/// Draws the whole workstation into `buf` over `area`.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    if area.is_empty() {
        return;
    }
    let log_height = match area.height {
        0..=13 => 0,
        14..=29 => 5,
        _ => 10,
    };
    let [bar, middle, log, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(log_height),
        Constraint::Length(1),
    ])
    .areas(area);
    device_bar(state, bar, buf);
    let rail_width = if middle.width >= 50 { RAIL_WIDTH } else { 0 };
    let [rail_area, panel_area] =
        Layout::horizontal([Constraint::Length(rail_width), Constraint::Min(0)]).areas(middle);
    rail(state, rail_area, buf);
    let block = state.theme.block(&panel_title(state));
    let inner = block.inner(panel_area);
    block.render(panel_area, buf);
    panels::render(state, inner, buf);
    log_pane(state, log, buf);
    hint_line(state, hints, buf);
    if let Some(popup) = &state.popup {
        popups::render(state, popup, area, buf);
    }
}

fn panel_title(state: &AppState) -> String {
    match state.step {
        Step::Diagnose => "Diagnose".to_string(),
        step => format!("{} {}", step.index() + 1, step.title()),
    }
}

/// One line: what is known about the phone on the bench; a field not known yet shows its
/// name and `?`.
fn device_bar(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let d = &state.device;
    let mut spans = vec![Span::styled(
        if state.start.demo {
            "mtkbench DEMO"
        } else {
            "mtkbench"
        },
        t.title(),
    )];
    let fields: [(&str, &Option<String>); 6] = [
        ("port", &d.port),
        ("mode", &d.mode),
        ("chip", &d.chip),
        ("storage", &d.storage),
        ("board", &d.board),
        ("backup", &d.backup),
    ];
    for (name, value) in fields {
        spans.push(Span::styled(t.sep(), t.dim()));
        match value {
            Some(v) => spans.push(Span::styled(v.clone(), t.text())),
            None => spans.push(Span::styled(format!("{name} ?"), t.dim())),
        }
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}

/// The step rail: number, state mark and name; the current one in reverse video.
fn rail(state: &AppState, area: Rect, buf: &mut Buffer) {
    if area.is_empty() {
        return;
    }
    let t = state.theme;
    let block = t.block("Steps");
    let inner = block.inner(area);
    block.render(area, buf);
    let mut lines = Vec::new();
    for step in Step::ALL {
        let key = match step {
            Step::Diagnose => "d".to_string(),
            s => (s.index() + 1).to_string(),
        };
        let status = state.status(step);
        let mut line = Line::from(vec![
            Span::styled(format!("{key} "), t.key()),
            Span::styled(t.mark(status), t.mark_style(status)),
            Span::raw(format!(" {}", step.title())),
        ]);
        if step == state.step {
            line = line.style(t.selected());
        }
        if step == Step::Diagnose {
            lines.push(Line::raw(""));
        }
        lines.push(line);
    }
    Paragraph::new(lines).render(inner, buf);
}

/// The last lines of the log, newest at the bottom.
fn log_pane(state: &AppState, area: Rect, buf: &mut Buffer) {
    if area.is_empty() {
        return;
    }
    let t = state.theme;
    let block = t.block("Log");
    let inner = block.inner(area);
    block.render(area, buf);
    let n = inner.height as usize;
    let start = state.log.len().saturating_sub(n);
    let lines: Vec<Line> = state.log[start..]
        .iter()
        .map(|l| Line::styled(l.text.clone(), t.log(l.level)))
        .collect();
    Paragraph::new(lines).render(inner, buf);
}

/// The key hints of the current mode, from the keymap.
fn hint_line(state: &AppState, area: Rect, buf: &mut Buffer) {
    let mode = Mode::of(state.step, state.popup.as_ref());
    Paragraph::new(hint_spans(state.theme, mode)).render(area, buf);
}

/// The hint line of a mode as styled spans: `key what  key what ...`.
pub fn hint_spans(t: Theme, mode: Mode) -> Line<'static> {
    let mut spans = Vec::new();
    for h in keymap::hints(mode, t.ascii) {
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(h.keys, t.key()));
        spans.push(Span::raw(format!(" {}", h.what)));
    }
    Line::from(spans)
}

/// Wrapped text into an area (the panels' common case).
pub fn paragraph(lines: Vec<Line<'static>>, area: Rect, buf: &mut Buffer) {
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(area, buf);
}

/// Wrapped text scrolled down by `scroll` lines.
pub fn scrolled(lines: Vec<Line<'static>>, scroll: u16, area: Rect, buf: &mut Buffer) {
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0))
        .render(area, buf);
}
