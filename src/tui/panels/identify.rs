//! The Identify panel: the phone's fingerprint (chip, security, storage, RAM, partition table)
//! and the PCB marking the technician typed. Pure render of [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
};

use crate::{
    device::{Fingerprint, fingerprint::StorageFacts, table::TableSource},
    profile::matching::Fit,
    tui::{state::AppState, text, theme::Theme, view},
};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let mut lines = Vec::new();
    match &state.fingerprint {
        None => {
            lines.push(Line::styled("No phone identified yet.", t.warn()));
            lines.push(Line::raw(
                "Identify runs on its own once the phone is connected (press 1 for Connect).",
            ));
        }
        Some(f) => fingerprint(t, f, &mut lines),
    }
    lines.push(Line::from(vec![
        Span::styled("PCB marking: ", t.title()),
        Span::raw(
            state
                .marking
                .clone()
                .unwrap_or_else(|| "not typed (m types it; it helps rank boards)".into()),
        ),
    ]));
    if let Some(m) = &state.matched {
        lines.push(Line::styled(
            format!("Board: {}", m.board.summary),
            if m.board.best.is_some() {
                t.good()
            } else {
                t.warn()
            },
        ));
        for (i, c) in m.board.candidates.iter().enumerate().take(4) {
            let cursor = if i == state.identify.selected {
                "> "
            } else {
                "  "
            };
            let chosen = state.identify.chosen.as_deref() == Some(c.profile.as_str());
            let style = if i == state.identify.selected {
                t.selected()
            } else {
                t.text()
            };
            lines.push(Line::styled(
                format!(
                    "{cursor}{:<18} {:>3.0}%{}",
                    c.profile,
                    c.confidence * 100.0,
                    if chosen { "  (chosen)" } else { "" }
                ),
                style,
            ));
            if i == state.identify.selected {
                for r in c.reasons.iter().take(2) {
                    let (mark, style) = match r.fit {
                        Fit::Good => ("+", t.good()),
                        Fit::Bad => ("-", t.bad()),
                        Fit::Unknown => ("?", t.dim()),
                    };
                    lines.push(Line::styled(format!("     {mark} {}", r.text), style));
                }
            }
        }
    }
    view::paragraph(lines, area, buf);
}

fn field(t: Theme, name: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<11}"), t.dim()),
        Span::raw(value),
    ])
}

fn fingerprint(t: Theme, f: &Fingerprint, lines: &mut Vec<Line<'static>>) {
    let sec = &f.target_config;
    let flag = |on: bool| if on { "on" } else { "off" };
    lines.push(field(
        t,
        "chip",
        format!(
            "{} sub {:#06x}, {} mode; SBC {}, SLA {}, DAA {}",
            text::chip(f.hw_code),
            f.hw_subcode,
            text::mode(f.mode),
            flag(sec.sbc),
            flag(sec.sla),
            flag(sec.daa)
        ),
    ));
    if let Some(me) = &f.me_id {
        lines.push(field(t, "ME ID", me.clone()));
    }
    let storage = match &f.storage {
        StorageFacts::Emmc {
            boot1_size,
            user_size,
            ..
        } => format!(
            "eMMC {} user, boot1 {}",
            text::size(*user_size),
            text::size(*boot1_size)
        ),
        StorageFacts::Nand {
            size,
            page_size,
            pages_per_block,
            ..
        } => format!(
            "NAND {}, {page_size} B pages, {pages_per_block} pages/block",
            text::size(*size)
        ),
        StorageFacts::Nor { size } => format!("NOR {}", text::size(*size)),
    };
    lines.push(field(t, "storage", storage));
    let source = match &f.partition_source {
        TableSource::Pmt => "the phone's PMT".to_string(),
        TableSource::Mbr { profile: Some(p) } => format!("MBR/EBR, named by {p}"),
        TableSource::Mbr { profile: None } => "MBR/EBR, unnamed".to_string(),
        TableSource::None => "no table found".to_string(),
    };
    lines.push(field(
        t,
        "RAM, table",
        format!(
            "{}; {} partitions ({source})",
            text::size(f.ram_size),
            f.partitions.len()
        ),
    ));
    if let Some(p) = &f.preloader {
        lines.push(field(
            t,
            "preloader",
            format!(
                "{}, EMI v{}",
                p.project.as_deref().unwrap_or("project unknown"),
                p.emi_version.map_or("?".into(), |v| v.to_string())
            ),
        ));
    }
    if !f.lcm.is_empty() {
        lines.push(field(t, "panel", f.lcm.join(", ")));
    }
    if let Some(d) = &f.dead_boot {
        let [what, source] = text::dead_boot(d);
        lines.push(Line::styled(what, t.warn()));
        lines.push(Line::raw(source));
    }
}
