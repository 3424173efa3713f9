//! The Report panel: how the repair ended, the phone, ROM, mode, identity backup, the job
//! and where its record is kept. Pure render of [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
};

use crate::{
    repair::Outcome,
    tui::{state::AppState, text, view},
};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let Some(report) = &state.repair.report else {
        let lines = vec![
            Line::styled(text::REPORT_WHAT, t.title()),
            Line::raw(text::REPORT_HOW),
        ];
        return view::paragraph(lines, area, buf);
    };
    // A field's value wraps with a hanging indent, as in Identify.
    let field = |name: &str, value: String| {
        view::hanging(
            Span::styled(format!("{name:<9}"), t.dim()),
            &value,
            t.text(),
            area.width,
        )
    };
    let (outcome, style) = match report.outcome {
        Outcome::Repaired => ("Repaired: flashed and verified", t.good()),
        Outcome::Planned => ("Planned only: nothing written", t.warn()),
        Outcome::NotConfirmed => ("Not confirmed: nothing written", t.warn()),
    };
    let f = &report.fingerprint;
    let mut lines = vec![Line::styled(outcome, style)];
    lines.extend(field(
        "phone",
        format!(
            "{} {}",
            text::chip(f.hw_code),
            f.me_id
                .as_deref()
                .map_or(String::new(), |m| format!("ME ID {m}"))
        ),
    ));
    lines.extend(field(
        "ROM",
        state
            .repair
            .rom
            .as_ref()
            .map_or("?".into(), |p| p.display().to_string()),
    ));
    lines.extend(field("mode", report.plan.mode().title().to_string()));
    lines.extend(field("backup", report.backup.clone()));
    if let Some(flashed) = &report.flashed {
        lines.extend(field("job", flashed.job.clone()));
        if let Some(dir) = &state.start.jobs_dir {
            lines.extend(field(
                "record",
                dir.join(&flashed.job).display().to_string(),
            ));
        }
    }
    match (report.journal_job, &state.repair.sheet_file) {
        (Some(job), Some(file)) => {
            lines.extend(field("journal", format!("job {job}")));
            lines.extend(field("sheet", format!("written to {}", file.display())));
        }
        (Some(job), None) => {
            lines.extend(field("journal", format!("job {job}")));
            lines.extend(field(
                "sheet",
                "w writes the customer's job sheet (phone, work done, identity, outcome)"
                    .to_string(),
            ));
        }
        (None, _) => lines.extend(field(
            "journal",
            "not recorded (the journal could not be opened; see the log file)".to_string(),
        )),
    }
    view::paragraph(lines, area, buf);
}
