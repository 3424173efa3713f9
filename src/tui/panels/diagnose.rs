//! The Diagnose panel, reachable from every step: a boot log's boot timeline and findings,
//! an error explained, the display check of a ROM, and the host doctor. Shows the last result
//! of the tool chosen; pure render of [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
};

use crate::{
    diag::{lcm::Outcome, log::Analysis, rules::Severity},
    tui::{
        state::{AppState, DiagView, UartView},
        text,
        theme::Theme,
        view,
    },
};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let d = &state.diagnose;
    let lines = match d.view {
        DiagView::Menu => menu(t),
        DiagView::Log => match &d.log {
            Some((path, Ok(a))) => analysis(t, &path.display().to_string(), a),
            Some((path, Err(e))) => failed(t, &path.display().to_string(), e),
            None => menu(t),
        },
        DiagView::Explain => match &d.explained {
            Some((query, Ok(entries))) => {
                let mut lines = vec![Line::styled(format!("Explain {query}"), t.title())];
                for e in entries {
                    let codes: Vec<String> = e.codes.iter().map(u32::to_string).collect();
                    lines.push(Line::styled(
                        format!("{} ({}) {}", e.name, codes.join(", "), e.source.label()),
                        t.warn(),
                    ));
                    lines.push(labelled(t, "means", &e.meaning));
                    lines.push(labelled(t, "cause", &e.cause));
                    lines.push(labelled(t, "fix", &e.fix));
                    lines.push(labelled(t, "step", &e.step));
                }
                lines
            }
            Some((query, Err(e))) => failed(t, query, e),
            None => menu(t),
        },
        DiagView::Display => match &d.display {
            Some((rom, Ok(v))) => {
                let style = match v.outcome {
                    Outcome::Works => t.good(),
                    Outcome::Unknown => t.warn(),
                    _ => t.bad(),
                };
                let mut lines = vec![
                    Line::styled(format!("Display check: {}", rom.display()), t.title()),
                    Line::styled(v.outcome.words().to_string(), style),
                    Line::raw(v.explanation.clone()),
                    labelled(t, "panel", v.panel.as_deref().unwrap_or("not known")),
                    labelled(t, "lk has", &v.lk.join(", ")),
                    labelled(t, "kernel has", &v.kernel.join(", ")),
                ];
                for fix in &v.fix {
                    lines.push(labelled(t, "fix", fix.advice()));
                }
                lines
            }
            Some((rom, Err(e))) => failed(t, &rom.display().to_string(), e),
            None => menu(t),
        },
        DiagView::Doctor => doctor(state),
        DiagView::Uart => match &d.uart {
            Some(u) => return uart(t, u, area, buf),
            None => menu(t),
        },
    };
    view::scrolled(lines, d.scroll, area, buf);
}

/// The live capture: the adapter and what to do, then the newest updates that fit.
fn uart(t: Theme, u: &UartView, area: Rect, buf: &mut Buffer) {
    let mut lines = vec![Line::styled(
        text::uart_capturing(&u.port, u.running),
        if u.running { t.warn() } else { t.title() },
    )];
    if u.lines.is_empty() {
        lines.push(Line::raw(text::UART_SILENT));
    }
    let room = usize::from(area.height).saturating_sub(3);
    let skip = u.lines.len().saturating_sub(room);
    lines.extend(u.lines[skip..].iter().map(|l| {
        let style = if l.starts_with("finding") {
            t.bad()
        } else {
            t.text()
        };
        Line::styled(l.clone(), style)
    }));
    view::paragraph(lines, area, buf);
}

fn labelled(t: Theme, label: &str, text: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<11}"), t.dim()),
        Span::raw(text.to_string()),
    ])
}

fn failed(t: Theme, what: &str, e: &str) -> Vec<Line<'static>> {
    vec![
        Line::styled(what.to_string(), t.title()),
        Line::styled(e.to_string(), t.bad()),
    ]
}

fn menu(t: Theme) -> Vec<Line<'static>> {
    let item = |key: &str, what: &str| {
        Line::from(vec![
            Span::styled(format!("  {key}  "), t.key()),
            Span::raw(what.to_string()),
        ])
    };
    vec![
        Line::styled("Why does it still not work?", t.title()),
        item(
            "o",
            "open a boot log: boot attempts, how far each got, findings",
        ),
        item(
            "u",
            "capture the UART live: boots, stages and findings as they come",
        ),
        item("x", "explain an error by name or number"),
        item(
            "c",
            "display check: will the selected ROM light this panel?",
        ),
        item("r", "host doctor: what on this computer gets in the way"),
        Line::raw(""),
        Line::styled("↑/↓ scroll a result; Esc comes back here.", t.dim()),
    ]
}

fn analysis(t: Theme, path: &str, a: &Analysis) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(path.to_string(), t.title())];
    lines.push(Line::styled("Boot timeline", t.title()));
    if a.boots.is_empty() {
        lines.push(Line::styled("  no boot attempt found", t.dim()));
    }
    for (i, b) in a.boots.iter().enumerate() {
        let time = b
            .duration_ms
            .map_or(String::new(), |ms| format!(", {:.1} s", ms as f64 / 1000.0));
        lines.push(Line::raw(format!(
            "  boot {}: reached {}, ended by {}{time} (lines {}-{})",
            i + 1,
            b.reached.label(),
            b.ended_by.label(),
            b.start_line,
            b.end_line
        )));
    }
    lines.push(Line::styled("Findings", t.title()));
    if a.findings.is_empty() {
        lines.push(Line::styled("  nothing the rules know", t.dim()));
    }
    for f in &a.findings {
        let style = match f.severity {
            Severity::Critical | Severity::Error => t.bad(),
            Severity::Warning => t.warn(),
            Severity::Info => t.text(),
        };
        lines.push(Line::styled(
            format!("  [{}] {}", f.severity, f.title),
            style,
        ));
        lines.push(labelled(t, "    fix", &f.fix));
        if let Some(e) = f.evidence.first() {
            lines.push(Line::styled(
                format!("    L{}: {}", e.line, e.text),
                t.dim(),
            ));
        }
    }
    lines
}

fn doctor(state: &AppState) -> Vec<Line<'static>> {
    let t = state.theme;
    let mut lines = vec![Line::styled("Host doctor", t.title())];
    match &state.connect.problems {
        None => lines.push(Line::styled("checking ...", t.dim())),
        Some(p) if p.is_empty() => lines.push(Line::styled(
            "Nothing on this computer gets in the way.",
            t.good(),
        )),
        Some(problems) => {
            for p in problems {
                lines.push(Line::styled(p.title.clone(), t.warn()));
                lines.push(labelled(t, "breaks", &p.breaks));
                lines.push(labelled(t, "found", &p.found));
                for fix in &p.fix {
                    lines.push(labelled(t, "fix", fix));
                }
            }
        }
    }
    lines
}
