//! Popups drawn over the panels: the key help (generated from the keymap), the error popup
//! (what happened and the next key), the yes/no confirmation, the typed confirmation of
//! dangerous operations, and the text prompt. Pure render of [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::{Constraint, Flex, Layout, Rect},
    text::{Line, Span},
    widgets::{Clear, Paragraph, Widget, Wrap},
};

use super::{
    keymap::{self, Mode},
    state::{AppState, Popup},
    text, view,
};

/// Draws `popup` centred in `area`.
pub fn render(state: &AppState, popup: &Popup, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let mode = Mode::of(state);
    let (title, mut lines, width) = match popup {
        Popup::Help => ("Keys", help_lines(state), 60),
        Popup::Error { title, what, next } => {
            // A refusal may list one thing per line (a layout's differences): keep its lines.
            let mut l = vec![Line::styled(title.clone(), t.bad())];
            l.extend(what.lines().map(|s| Line::raw(s.to_string())));
            l.push(Line::raw(""));
            l.push(Line::styled(next.clone(), t.warn()));
            ("Something went wrong", l, 64)
        }
        Popup::Confirm { title, lines, .. } => {
            let mut l = vec![Line::styled(title.clone(), t.warn())];
            l.extend(lines.iter().map(|s| Line::raw(s.clone())));
            ("Confirm", l, 64)
        }
        Popup::TypedConfirm {
            title,
            lines,
            word,
            typed,
            ..
        } => {
            let mut l = vec![Line::styled(title.clone(), t.bad())];
            l.extend(lines.iter().map(|s| Line::raw(s.clone())));
            l.push(Line::raw(""));
            l.push(Line::from(vec![
                Span::raw("Type "),
                Span::styled(word.clone(), t.key()),
                Span::raw(" and press Enter to go on:"),
            ]));
            l.push(Line::styled(format!("> {typed}_"), t.title()));
            ("Dangerous: confirm by typing", l, 68)
        }
        Popup::Text { purpose, typed } => {
            let (title, prompt) = text::text_prompt(*purpose);
            (
                title,
                vec![
                    Line::raw(prompt),
                    Line::styled(format!("> {typed}_"), t.title()),
                ],
                68,
            )
        }
    };
    lines.push(Line::raw(""));
    lines.push(view::hint_spans(t, mode, u16::MAX));
    let inner_width = width.min(area.width.saturating_sub(2)).saturating_sub(2);
    let height = wrapped_height(&lines, inner_width) + 2;
    let rect = centred(area, width, height);
    if rect.is_empty() {
        return;
    }
    Clear.render(rect, buf);
    let block = t.block(title);
    let inner = block.inner(rect);
    block.render(rect, buf);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(inner, buf);
}

/// The help: every key of the panel under the popup, from the keymap.
fn help_lines(state: &AppState) -> Vec<Line<'static>> {
    let t = state.theme;
    keymap::help(Mode::panel(state), t.ascii)
        .into_iter()
        .map(|h| {
            Line::from(vec![
                Span::styled(format!("{:<16}", h.keys), t.key()),
                Span::raw(h.what),
            ])
        })
        .collect()
}

/// Lines needed for `lines` wrapped at `width` (an estimate by character count).
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let n: usize = lines.iter().map(|l| l.width().div_ceil(width).max(1)).sum();
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// A rectangle of at most `width` x `height` in the middle of `area`.
fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}
