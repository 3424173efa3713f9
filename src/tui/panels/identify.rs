//! The Identify panel: the phone's fingerprint (chip, security, storage, RAM, partition table)
//! and the PCB marking the technician typed, each row wrapped as the log is (continuations
//! hang by two spaces). Pure render of [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    style::Style,
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
    let mut rows = Rows {
        width: area.width,
        lines: Vec::new(),
    };
    match &state.fingerprint {
        None => {
            rows.push("No phone identified yet.", t.warn());
            rows.push(
                "Identify runs on its own once the phone is connected (press 1 for Connect).",
                t.text(),
            );
        }
        Some(f) => fingerprint(t, f, &mut rows),
    }
    rows.head(
        Span::styled("PCB marking: ", t.title()),
        state
            .marking
            .as_deref()
            .unwrap_or("not typed (m types it; it helps rank boards)"),
        t.text(),
    );
    if let Some(m) = &state.matched {
        rows.push(
            &format!("Board: {}", m.board.summary),
            if m.board.best.is_some() {
                t.good()
            } else {
                t.warn()
            },
        );
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
            rows.push(
                &format!(
                    "{cursor}{:<18} {:>3.0}%{}",
                    c.profile,
                    c.confidence * 100.0,
                    if chosen { "  (chosen)" } else { "" }
                ),
                style,
            );
            if i == state.identify.selected {
                for r in c.reasons.iter().take(2) {
                    let (mark, style) = match r.fit {
                        Fit::Good => ("+", t.good()),
                        Fit::Bad => ("-", t.bad()),
                        Fit::Unknown => ("?", t.dim()),
                    };
                    rows.push(&format!("     {mark} {}", r.text), style);
                }
            }
        }
    }
    view::paragraph(rows.lines, area, buf);
}

/// The panel's rows, each entry wrapped to the panel's width.
struct Rows {
    width: u16,
    lines: Vec<Line<'static>>,
}

impl Rows {
    /// `text` in `style`.
    fn push(&mut self, text: &str, style: Style) {
        self.head(Span::raw(""), text, style);
    }

    /// `head` in its own style, then `text` in `style`.
    fn head(&mut self, head: Span<'static>, text: &str, style: Style) {
        self.lines
            .extend(view::hanging(head, text, style, self.width));
    }

    /// A fingerprint field: its name, dimmed, then its value.
    fn field(&mut self, t: Theme, name: &str, value: &str) {
        self.head(
            Span::styled(format!("{name:<11}"), t.dim()),
            value,
            t.text(),
        );
    }
}

fn fingerprint(t: Theme, f: &Fingerprint, rows: &mut Rows) {
    let sec = &f.target_config;
    let flag = |on: bool| if on { "on" } else { "off" };
    rows.field(
        t,
        "chip",
        &format!(
            "{} sub {:#06x}, {} mode; SBC {}, SLA {}, DAA {}",
            text::chip(f.hw_code),
            f.hw_subcode,
            text::mode(f.mode),
            flag(sec.sbc),
            flag(sec.sla),
            flag(sec.daa)
        ),
    );
    if let Some(me) = &f.me_id {
        rows.field(t, "ME ID", me);
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
    rows.field(t, "storage", &storage);
    let source = match &f.partition_source {
        TableSource::Pmt => "the phone's PMT".to_string(),
        TableSource::Mbr { profile: Some(p) } => format!("MBR/EBR, named by {p}"),
        TableSource::Mbr { profile: None } => "MBR/EBR, unnamed".to_string(),
        TableSource::None => "no table found".to_string(),
    };
    rows.field(
        t,
        "RAM, table",
        &format!(
            "{}; {} partitions ({source})",
            text::size(f.ram_size),
            f.partitions.len()
        ),
    );
    if let Some(p) = &f.preloader {
        rows.field(t, "preloader", &text::preloader(p, f.dead_boot.as_ref()));
    }
    if !f.lcm.is_empty() {
        rows.field(t, "panel", &f.lcm.join(", "));
    }
    if let Some(d) = &f.dead_boot {
        let lines = text::dead_boot(d, f.preloader.is_some());
        for (i, line) in lines.iter().enumerate() {
            rows.push(line, if i == 0 { t.warn() } else { t.text() });
        }
    }
}
