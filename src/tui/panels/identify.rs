//! The Identify panel: the phone's fingerprint (chip, security, storage, RAM, partition table)
//! and the PCB marking the technician typed. Pure render of [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
};

use crate::{
    device::{Fingerprint, fingerprint::StorageFacts},
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
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("PCB marking: ", t.title()),
        Span::raw(
            state
                .marking
                .clone()
                .unwrap_or_else(|| "not typed (m types it; it helps rank the boards)".into()),
        ),
    ]));
    view::paragraph(lines, area, buf);
}

fn field(t: Theme, name: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{name:<11}"), t.dim()),
        Span::raw(value),
    ])
}

fn fingerprint(t: Theme, f: &Fingerprint, lines: &mut Vec<Line<'static>>) {
    lines.push(field(
        t,
        "chip",
        format!(
            "hw {:#06x} sub {:#06x} ver {:#06x}  ({:?} mode)",
            f.hw_code, f.hw_subcode, f.hw_version, f.mode
        ),
    ));
    let sec = &f.target_config;
    let flag = |on: bool| if on { "on" } else { "off" };
    lines.push(field(
        t,
        "security",
        format!(
            "secure boot {}, SLA {}, DAA {}",
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
            cid,
            ..
        } => format!(
            "eMMC {} user, boot1 {}, CID {cid}",
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
    lines.push(field(t, "RAM", text::size(f.ram_size)));
    let names: Vec<&str> = f.partitions.iter().map(|p| p.name.as_str()).collect();
    lines.push(field(
        t,
        "partitions",
        format!("{} ({})", names.len(), names.join(" ")),
    ));
}
