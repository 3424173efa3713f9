//! The Verify panel: every step of the repair's plan and how it ended (written and read back
//! equal, written, or not done), with the SHA-256 of what was written. Pure render of
//! [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Cell, Row, Table, Widget},
};

use crate::{
    flash::{Action as PlanAction, record::StepState},
    tui::{state::AppState, text, view},
};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let Some(flashed) = state
        .repair
        .report
        .as_ref()
        .and_then(|r| r.flashed.as_ref())
    else {
        let lines = vec![
            Line::styled(text::VERIFY_WHAT, t.title()),
            Line::raw(text::VERIFY_HOW),
            Line::raw(""),
            Line::styled("Nothing flashed yet in this session (5 Flash).", t.dim()),
        ];
        return view::paragraph(lines, area, buf);
    };
    let changes = |a: PlanAction| a.changes_phone();
    let tally = flashed.tally();
    let erased = match tally.erased {
        0 => String::new(),
        n => format!("; {n} range(s) erased"),
    };
    let head = Line::styled(
        format!(
            "{} of {} written partitions read back equal{erased} (job {})",
            tally.verified, tally.written, flashed.job,
        ),
        if tally.verified == tally.written {
            t.good()
        } else {
            t.warn()
        },
    );
    let rows = flashed.steps.iter().map(|s| {
        let (words, style) = match (changes(s.action), s.state) {
            (false, _) => ("left as is", t.dim()),
            (true, StepState::Verified) => ("verified", t.good()),
            (true, StepState::Done) if s.action == PlanAction::Erase => ("erased", t.text()),
            (true, StepState::Done) => ("done", t.text()),
            (true, StepState::Pending) => ("NOT DONE", t.bad()),
        };
        Row::new(vec![
            Cell::from(s.partition.clone()),
            Cell::from(format!("{:?}", s.action).to_lowercase()),
            Cell::from(Span::styled(words, style)),
            Cell::from(
                s.sha256
                    .as_deref()
                    .map_or(String::new(), |h| h.chars().take(16).collect()),
            ),
        ])
    });
    let [a, b] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(area);
    view::paragraph(vec![head], a, buf);
    Table::new(
        rows,
        [
            Constraint::Length(10),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(["partition", "action", "result", "SHA-256 (start)"]).style(t.title()))
    .render(b, buf);
}
