//! The whole frame, drawn from [`AppState`] alone: device bar, step rail, the current step's
//! panel, the log pane, the key-hint line, and the popup on top.
//!
//! Pure: no I/O, no locking, no mutation. Every part renders into any area, including tiny and
//! zero-size ones, without panicking.

use ratatui::{
    buffer::Buffer,
    layout::{Constraint, Layout, Rect},
    style::Style,
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

/// The last lines of the log, newest at the bottom, each wrapped to the pane's width (its
/// continuation rows indented) so nothing a technician needs is cut off: only whole entries
/// are shown, except the newest, whose beginning shows when it alone is taller than the
/// pane.
fn log_pane(state: &AppState, area: Rect, buf: &mut Buffer) {
    if area.is_empty() {
        return;
    }
    let t = state.theme;
    let block = t.block("Log");
    let inner = block.inner(area);
    block.render(area, buf);
    let n = inner.height as usize;
    let mut entries: Vec<Vec<Line>> = Vec::new();
    let mut used = 0;
    for l in state.log.iter().rev() {
        let style = t.log(l.level);
        let mut rows: Vec<Line> = wrap(&l.text, usize::from(inner.width))
            .into_iter()
            .map(|row| Line::styled(row, style))
            .collect();
        if used + rows.len() > n {
            if entries.is_empty() {
                rows.truncate(n);
                entries.push(rows);
            }
            break;
        }
        used += rows.len();
        entries.push(rows);
    }
    let rows: Vec<Line> = entries.into_iter().rev().flatten().collect();
    Paragraph::new(rows).render(inner, buf);
}

/// `text` in rows of at most `width` characters, broken between words where it can be; the
/// rows after the first hang two spaces deeper than the first (which keeps the text's own
/// leading spaces).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    const INDENT: usize = 2;
    if width <= INDENT {
        return vec![text.to_string()];
    }
    let body = text.trim_start_matches(' ');
    let lead = " ".repeat((text.len() - body.len()).min(width - INDENT - 1));
    let rest = format!("{lead}{}", " ".repeat(INDENT));
    let options = textwrap::Options::new(width)
        .initial_indent(&lead)
        .subsequent_indent(&rest)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::wrap(body, options)
        .into_iter()
        .map(std::borrow::Cow::into_owned)
        .collect()
}

/// `head` then `text` in styled rows of at most `width` characters, wrapped as the log is
/// ([`wrap`]: the rows after the first hang by two spaces); `head` keeps its own style on the
/// first row.
pub fn hanging(head: Span<'static>, text: &str, style: Style, width: u16) -> Vec<Line<'static>> {
    let whole = format!("{}{text}", head.content);
    let mut rows = wrap(&whole, usize::from(width)).into_iter();
    let mut lines = Vec::new();
    if let Some(first) = rows.next() {
        lines.push(match first.strip_prefix(head.content.as_ref()) {
            Some(rest) if !head.content.is_empty() => {
                Line::from(vec![head.clone(), Span::styled(rest.to_string(), style)])
            }
            _ => Line::styled(first, style),
        });
    }
    lines.extend(rows.map(|row| Line::styled(row, style)));
    lines
}

/// The key hints of the current mode, from the keymap.
fn hint_line(state: &AppState, area: Rect, buf: &mut Buffer) {
    let mode = Mode::of(state);
    Paragraph::new(hint_spans(state.theme, mode, area.width)).render(area, buf);
}

/// The hint line of a mode as styled spans, `key what  key what ...`, as many hints as fit
/// whole in `width`, in the keymap's order; help and quit always fit (the help lists every
/// key).
pub fn hint_spans(t: Theme, mode: Mode, width: u16) -> Line<'static> {
    const ALWAYS: [&str; 2] = ["help", "quit"];
    let hints = keymap::hints(mode, t.ascii);
    let need = |h: &keymap::KeyHint| h.keys.chars().count() + 1 + h.what.chars().count() + 2;
    let kept: usize = hints
        .iter()
        .filter(|h| ALWAYS.contains(&h.what))
        .map(need)
        .sum();
    let mut room = (usize::from(width) + 2).saturating_sub(kept);
    let mut spans = Vec::new();
    for h in &hints {
        if !ALWAYS.contains(&h.what) {
            if need(h) > room {
                continue;
            }
            room -= need(h);
        }
        if !spans.is_empty() {
            spans.push(Span::raw("  "));
        }
        spans.push(Span::styled(h.keys.clone(), t.key()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_between_words_and_indents_the_rest() {
        let rows = wrap("Connected on /dev/ttyACM0: choose the board", 20);
        assert_eq!(
            rows,
            ["Connected on", "  /dev/ttyACM0:", "  choose the board"]
        );
        assert!(rows.iter().all(|r| r.chars().count() <= 20));
    }

    #[test]
    fn hanging_rows_keep_the_head_styled_and_indent_what_follows() {
        let t = Theme::new(false, false);
        let lines = hanging(
            Span::styled("chip       ", t.dim()),
            "MT6572 sub 0x8a00, BROM mode; SBC off",
            t.text(),
            24,
        );
        let text: Vec<String> = lines.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            ["chip       MT6572 sub", "  0x8a00, BROM mode; SBC", "  off"]
        );
        assert_eq!(lines[0].spans[0].style, t.dim());
        assert_eq!(lines[0].spans[1].content, "MT6572 sub");
        // A head cut by a narrow area is one plain row, nothing lost.
        let cut = hanging(Span::raw("abcdef "), "gh", t.text(), 4);
        let text: String = cut.iter().map(ToString::to_string).collect();
        assert_eq!(text.replace(' ', ""), "abcdefgh");
    }

    #[test]
    fn wrap_cuts_a_word_longer_than_a_row_and_loses_nothing() {
        let word = "x".repeat(45);
        let rows = wrap(&word, 20);
        assert!(rows.iter().all(|r| r.chars().count() <= 20), "{rows:?}");
        let joined: String = rows.concat().chars().filter(|c| *c == 'x').collect();
        assert_eq!(joined, word);
        assert_eq!(wrap("", 20), [""]);
        assert_eq!(wrap("short", 2), ["short"]);
        assert_eq!(
            wrap("   + a reason too long", 12),
            ["   + a", "     reason", "     too", "     long"]
        );
        // Leading spaces never leave a row no room for a word.
        assert!(
            wrap(&format!("{}ab cd", " ".repeat(30)), 8)
                .iter()
                .all(|r| r.chars().count() <= 8)
        );
    }

    #[test]
    fn the_hint_line_keeps_help_and_quit_at_any_width() {
        for width in [20u16, 40, 80] {
            let line = hint_spans(
                Theme::new(true, false),
                Mode::Panel(Step::Flash, keymap::Offers { resume: true }),
                width,
            );
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            assert!(text.contains("? help") && text.contains("q quit"), "{text}");
            if width >= 40 {
                assert!(text.chars().count() <= usize::from(width), "{text}");
            }
        }
    }
}
