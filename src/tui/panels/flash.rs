//! The Flash panel: SP Flash Tool's three modes with a line on each (←/→ chooses), the ROM
//! chosen, then the repair's whole plan (per step its partition, action, region, address
//! and length, and why below them) and, while it writes, progress of the partition and of the whole plan with
//! MB/s and ETA. Pure render of [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Paragraph, Widget},
};

use crate::{
    flash::{Action as PlanAction, Plan},
    tui::{
        jobs::MODES,
        state::{AppState, JobProgress},
        text,
        theme::Theme,
        view,
    },
};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let r = &state.repair;
    let mut head = Vec::new();
    for (mode, (name, what)) in MODES.iter().zip(text::FLASH_MODES) {
        let chosen = *mode == r.mode;
        let mark = if chosen { "> " } else { "  " };
        let style = if chosen { t.selected() } else { t.text() };
        head.push(Line::from(vec![
            Span::styled(format!("{mark}{name:<22}"), style),
            Span::styled(format!(" {what}"), t.dim()),
        ]));
    }
    head.push(Line::from(vec![
        Span::styled("ROM  ", t.dim()),
        match &r.rom {
            Some(p) => Span::raw(p.display().to_string()),
            None => Span::styled("none chosen yet (3 picks one)", t.warn()),
        },
    ]));
    if let Some(u) = &r.unfinished {
        head.push(Line::styled(
            format!(
                "u resumes interrupted job {} ({}, {})",
                u.id,
                u.mode.title(),
                u.rom
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into())
            ),
            t.warn(),
        ));
    }
    let progress_lines = if r.running && state.job.current.is_some() {
        progress(t, &state.job, area.width)
    } else {
        Vec::new()
    };
    let [top, mid, bottom] = Layout::vertical([
        Constraint::Length(head.len() as u16),
        Constraint::Min(0),
        Constraint::Length(progress_lines.len() as u16),
    ])
    .areas(area);
    Paragraph::new(head).render(top, buf);
    match &r.plan {
        Some(plan) => plan_table(t, plan, r.scroll, mid, buf),
        None => {
            let mut lines = vec![Line::raw("")];
            match r.phase.filter(|_| r.running) {
                Some(step) => lines.push(Line::styled(text::repair_now(step), t.warn())),
                None => lines.push(Line::raw(text::FLASH_PLAN_FIRST)),
            }
            view::paragraph(lines, mid, buf);
        }
    }
    Paragraph::new(progress_lines).render(bottom, buf);
}

fn action_words(a: PlanAction) -> &'static str {
    match a {
        PlanAction::Backup => "back up",
        PlanAction::Erase => "ERASE",
        PlanAction::Write => "write",
        PlanAction::Restore => "restore",
        PlanAction::Skip => "skip",
        PlanAction::Keep => "keep",
    }
}

/// Column widths of the plan's first line per step: partition, action, where, length.
const PLAN_COLUMNS: [usize; 4] = [10, 7, 21, 9];

/// The plan, one step per entry: partition, action, where and length on its first line, and
/// why below it, wrapped to the panel's width (at 80 columns a "why" column would be cut to
/// a dozen characters, and the why is what the technician must read before saying yes).
/// `scroll` is the first step shown.
fn plan_table(t: Theme, plan: &Plan, scroll: usize, area: Rect, buf: &mut Buffer) {
    let [p, a, w, l] = PLAN_COLUMNS;
    let columns = |cells: [&str; 4]| {
        format!(
            "{:<p$} {:<a$} {:<w$} {:>l$}",
            cells[0], cells[1], cells[2], cells[3]
        )
    };
    let header = Line::styled(
        columns(["partition", "action", "where", "length"]),
        t.title(),
    );
    let width = usize::from(area.width).saturating_sub(2).max(20);
    let steps: Vec<Vec<Line>> = plan
        .steps()
        .iter()
        .map(|s| {
            let style = match s.action() {
                PlanAction::Erase => t.bad(),
                PlanAction::Write | PlanAction::Restore => t.warn(),
                _ => t.dim(),
            };
            let place = format!("{} {:#x}", s.region().as_str(), s.addr());
            let mut lines = vec![Line::from(vec![
                Span::raw(format!("{:<p$} ", s.partition())),
                Span::styled(format!("{:<a$}", action_words(s.action())), style),
                Span::raw(format!(" {place:<w$} {:>l$}", text::size(s.length()))),
            ])];
            lines.extend(
                view::wrap(s.why(), width)
                    .into_iter()
                    .map(|row| Line::styled(format!("  {row}"), t.dim())),
            );
            lines
        })
        .collect();
    let title = Line::styled(
        format!(
            "Plan: {}, {} step(s), {} to write (↑/↓ scroll)",
            plan.mode().title(),
            plan.steps().len(),
            text::size(plan.bytes_to_write())
        ),
        t.title(),
    );
    let [title_area, header_area, rows_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    Paragraph::new(title).render(title_area, buf);
    Paragraph::new(header).render(header_area, buf);
    let rows: Vec<Line> = steps.into_iter().skip(scroll).flatten().collect();
    Paragraph::new(rows).render(rows_area, buf);
}

/// Two lines: the partition being written, and the whole plan with MB/s and ETA.
fn progress(t: Theme, job: &JobProgress, width: u16) -> Vec<Line<'static>> {
    let bar_width = usize::from(width.saturating_sub(40)).clamp(4, 40);
    let mut lines = Vec::new();
    if let Some(c) = &job.current {
        let ratio = c.done as f64 / c.total.max(1) as f64;
        lines.push(Line::from(vec![
            Span::styled(format!("{:<10}", c.name), t.title()),
            Span::styled(t.bar(ratio, bar_width), t.warn()),
            Span::raw(format!(
                " {:>3.0}% {}",
                ratio * 100.0,
                if job.verifying.as_deref() == Some(c.name.as_str()) {
                    "verifying"
                } else {
                    c.op.as_str()
                }
            )),
        ]));
    }
    let total = job.total().max(1);
    let ratio = job.done() as f64 / total as f64;
    let eta = job.eta_secs().map_or_else(
        || "ETA ?".to_string(),
        |s| format!("ETA {}:{:02}", s / 60, s % 60),
    );
    lines.push(Line::from(vec![
        Span::styled(format!("{:<10}", "all"), t.title()),
        Span::styled(t.bar(ratio, bar_width), t.good()),
        Span::raw(format!(
            " {:>3.0}% {:.1} MB/s {eta}",
            ratio * 100.0,
            job.rate()
        )),
    ]));
    lines
}
