//! The ROM panel: the workshop's library, one row per package, and a detail view of the
//! selected one (storage, images, panel drivers in lk and kernel, preloader project, problems).
//! Pure render of [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::{Constraint, Rect},
    text::{Line, Span},
    widgets::{Cell, Row, StatefulWidget, Table, TableState},
};

use crate::{
    firmware::facts::Severity,
    library::{
        LibraryRow,
        matching::{Display, Level, PackageMatch, Verdict},
    },
    tui::{state::AppState, text, theme::Theme, view},
};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let r = &state.rom;
    let rows = match (&r.rows, &r.error) {
        (_, Some(e)) => {
            let lines = vec![
                Line::styled(format!("{}:", text::LIBRARY_FAILED), t.bad()),
                Line::raw(e.clone()),
            ];
            return view::paragraph(lines, area, buf);
        }
        (None, None) => {
            return view::paragraph(
                vec![Line::styled("Reading the library ...", t.dim())],
                area,
                buf,
            );
        }
        (Some(rows), None) => rows,
    };
    if rows.is_empty() {
        let lines = vec![
            Line::styled("The library is empty.", t.warn()),
            Line::raw(format!(
                "Put ROM folders or .zip files in {}, run `mtkbench library scan`, then press r.",
                r.root.display()
            )),
        ];
        return view::paragraph(lines, area, buf);
    }
    let mut area = area;
    if let Some(f) = &state.fingerprint
        && let Some(d) = &f.dead_boot
    {
        let project = f.preloader.as_ref().and_then(|p| p.project.as_deref());
        let [source, preloader] = text::dead_boot_rom(d, project);
        let width = usize::from(area.width);
        let lines: Vec<Line<'static>> = view::wrap(&source, width)
            .into_iter()
            .map(|l| Line::styled(l, t.warn()))
            .chain(view::wrap(&preloader, width).into_iter().map(Line::raw))
            .collect();
        let [note, rest] = ratatui::layout::Layout::vertical([
            Constraint::Length(u16::try_from(lines.len()).unwrap_or(u16::MAX)),
            Constraint::Min(0),
        ])
        .areas(area);
        view::paragraph(lines, note, buf);
        area = rest;
    }
    let listed = state.rom_rows();
    match listed.get(r.selected) {
        Some((row, verdict)) if r.detail => detail(t, row, *verdict, r.scroll, area, buf),
        _ => table(t, &listed, r.selected, area, buf),
    }
}

fn verdict_cell(t: Theme, m: Option<&PackageMatch>) -> Cell<'static> {
    match m.map(|m| m.verdict) {
        Some(Verdict::Fits) => Cell::from(Span::styled("fits", t.good())),
        Some(Verdict::Risky) => Cell::from(Span::styled("risky", t.warn())),
        Some(Verdict::Refused) => Cell::from(Span::styled("REFUSED", t.bad())),
        None => Cell::from(Span::styled("?", t.dim())),
    }
}

fn display_words(d: Display) -> &'static str {
    match d {
        Display::Works => "picture ok",
        Display::WhiteScreen => "white screen",
        Display::BlackAfterLogo => "black after logo",
        Display::Unknown => "display ?",
    }
}

fn table(
    t: Theme,
    rows: &[(&LibraryRow, Option<&PackageMatch>)],
    selected: usize,
    area: Rect,
    buf: &mut Buffer,
) {
    let header =
        Row::new(["package", "verdict", "storage", "display", "problems"]).style(t.title());
    let body = rows.iter().map(|(row, m)| {
        let Some(f) = &row.facts else {
            return Row::new(vec![
                Cell::from(row.path.display().to_string()),
                verdict_cell(t, *m),
                Cell::from("?"),
                Cell::from(""),
                Cell::from(Span::styled("unreadable", t.bad())),
            ]);
        };
        let problems = match (f.count(Severity::Error), f.count(Severity::Warning)) {
            (0, 0) => Cell::from(Span::styled("none", t.good())),
            (0, w) => Cell::from(Span::styled(format!("{w} warning(s)"), t.warn())),
            (e, _) => Cell::from(Span::styled(format!("{e} error(s)"), t.bad())),
        };
        Row::new(vec![
            Cell::from(row.path.display().to_string()),
            verdict_cell(t, *m),
            Cell::from(f.storage.as_str()),
            Cell::from(m.map_or_else(
                || f.lcm.lk.join(" "),
                |m| display_words(m.display).to_string(),
            )),
            problems,
        ])
    });
    let widths = [
        Constraint::Fill(2),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Fill(2),
        Constraint::Length(12),
    ];
    let table = Table::new(body, widths)
        .header(header)
        .row_highlight_style(t.selected())
        .highlight_symbol("> ")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);
    let mut ts = TableState::default().with_selected(Some(selected));
    StatefulWidget::render(table, area, buf, &mut ts);
}

fn verdict_span(t: Theme, v: Verdict) -> Span<'static> {
    match v {
        Verdict::Fits => Span::styled("fits", t.good()),
        Verdict::Risky => Span::styled("risky", t.warn()),
        Verdict::Refused => Span::styled("REFUSED", t.bad()),
    }
}

fn detail(
    t: Theme,
    row: &LibraryRow,
    m: Option<&PackageMatch>,
    scroll: u16,
    area: Rect,
    buf: &mut Buffer,
) {
    let none = || "none found".to_string();
    let list = |v: &[String]| if v.is_empty() { none() } else { v.join(", ") };
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<18}"), t.dim()),
            Span::raw(value),
        ])
    };
    let mut lines = vec![
        Line::styled(row.path.display().to_string(), t.title()),
        Line::styled(
            "Enter chooses this ROM; c checks its display; Esc goes back; ↑/↓ scroll.",
            t.key(),
        ),
    ];
    if let Some(m) = m {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<18}", "for this phone"), t.dim()),
            verdict_span(t, m.verdict),
            Span::raw(format!(", {}", display_words(m.display))),
        ]));
        for r in &m.reasons {
            let style = match r.level {
                Level::Ok => t.good(),
                Level::Unknown => t.dim(),
                Level::Risk => t.warn(),
                Level::Refuse => t.bad(),
            };
            let bullet = Span::styled(format!("{} ", t.bullet()), style);
            lines.extend(view::hanging(bullet, &r.text, style, area.width));
        }
    }
    let Some(f) = &row.facts else {
        lines.push(Line::styled(
            format!(
                "Cannot be read: {}",
                row.failure.as_deref().unwrap_or("unknown")
            ),
            t.bad(),
        ));
        return view::paragraph(lines, area, buf);
    };
    lines.push(field(
        "project",
        f.project.clone().unwrap_or_else(|| "?".into()),
    ));
    lines.push(field(
        "platform, storage",
        format!(
            "{}, {}",
            f.platform.as_deref().unwrap_or("?"),
            f.storage.as_str()
        ),
    ));
    lines.push(field(
        "images",
        format!(
            "{} of {} present, {}",
            f.images_present(),
            f.images.len(),
            text::size(f.image_bytes())
        ),
    ));
    lines.push(field(
        "preloader project",
        f.preloader
            .as_ref()
            .and_then(|p| p.identity.project.clone())
            .unwrap_or_else(none),
    ));
    lines.push(field("panels in lk", list(&f.lcm.lk)));
    lines.push(field("panels in kernel", list(&f.lcm.kernel)));
    for p in &f.problems {
        let style = match p.severity {
            Severity::Error => t.bad(),
            Severity::Warning => t.warn(),
        };
        let at = p
            .partition
            .as_deref()
            .map_or(String::new(), |n| format!("{n}: "));
        let bullet = Span::styled(format!("{} ", t.bullet()), style);
        let said = format!("{at}{}", p.message);
        lines.extend(view::hanging(bullet, &said, style, area.width));
    }
    if f.problems.is_empty() {
        lines.push(Line::styled("No problems found in the package.", t.good()));
    }

    view::scrolled(lines, scroll, area, buf);
}
