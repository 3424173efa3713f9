//! The Connect panel: armed and waiting, what to do with the phone (and with a dead one), the
//! ports the host sees, and what on this computer gets in the way, with the fix for each.
//! Pure render of [`AppState`].

use ratatui::{
    buffer::Buffer,
    layout::Rect,
    text::{Line, Span},
};

use crate::{
    diag::doctor::Level,
    transport::PortMode,
    tui::{
        state::{AppState, DeviceState},
        text, view,
    },
};

/// Draws the panel.
pub fn render(state: &AppState, area: Rect, buf: &mut Buffer) {
    let t = state.theme;
    let c = &state.connect;
    let mut lines = Vec::new();
    let port = state.device.port.as_deref().unwrap_or("?");
    let known = state.fingerprint.is_some();
    match &state.session {
        DeviceState::Busy => {
            lines.push(Line::styled(
                format!("Connected on {port}: working with the phone."),
                t.good(),
            ));
            lines.push(Line::raw(text::NEXT_CONNECTION));
        }
        DeviceState::Armed(stage) => {
            let what = stage.map_or("waiting for the phone's download port", |s| s.describe());
            lines.push(Line::from(vec![
                Span::styled(t.spinner(state.ticks), t.warn()),
                Span::styled(format!(" Armed: {what}"), t.warn()),
            ]));
        }
        DeviceState::Idle if known => {
            lines.push(Line::styled(
                format!("The visit on {port} has ended; the phone was rebooted."),
                t.good(),
            ));
            lines.push(Line::styled(text::NEXT_PHONE, t.key()));
        }
        DeviceState::Idle => lines.push(Line::styled(
            "Not armed: press Enter to wait for a phone.",
            t.text(),
        )),
        DeviceState::Failed(what, help) => {
            lines.push(Line::styled(format!("Stopped: {what}"), t.bad()));
            lines.push(Line::raw(help.clone()));
            lines.push(Line::styled("Enter arms again.", t.key()));
        }
    }
    let connected = matches!(state.session, DeviceState::Busy) || known;
    if state.start.demo && !connected {
        let plugged = if state.start.dead_boot {
            text::DEMO_DEAD
        } else {
            text::DEMO_PLUGGED
        };
        lines.push(Line::styled(plugged, t.dim()));
    }
    let instructions = if connected {
        &[][..]
    } else {
        &text::CONNECT_STEPS[..]
    };
    for (i, step) in instructions.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", i + 1), t.key()),
            Span::raw(*step),
        ]));
    }
    if !connected {
        lines.push(Line::raw(text::CONNECT_DEAD));
        lines.push(Line::styled(text::CONNECT_TIMING, t.dim()));
    }
    lines.push(Line::styled("Ports seen", t.title()));
    match (&c.ports, &c.ports_error) {
        (_, Some(e)) => lines.push(Line::styled(format!("  {e}"), t.warn())),
        (None, None) => lines.push(Line::styled("  looking ...", t.dim())),
        (Some(ports), None) if ports.is_empty() => {
            lines.push(Line::styled("  no serial ports yet", t.dim()))
        }
        (Some(ports), None) => {
            for p in ports {
                let (mode, style) = match p.mode {
                    PortMode::Brom => ("BROM download port", t.good()),
                    PortMode::Preloader => ("preloader download port", t.good()),
                    PortMode::Other => ("not a download port", t.dim()),
                };
                let ids = match (p.vid, p.pid) {
                    (Some(v), Some(d)) => format!("{v:04x}:{d:04x}"),
                    _ => "no USB id".to_string(),
                };
                lines.push(Line::from(vec![
                    Span::raw(format!("  {} ", p.path)),
                    Span::styled(format!("{ids} {mode}"), style),
                ]));
            }
        }
    }
    lines.push(Line::styled("This computer", t.title()));
    match &c.problems {
        None => lines.push(Line::styled("  checking ...", t.dim())),
        Some(p) if p.is_empty() => lines.push(Line::styled("  nothing gets in the way", t.good())),
        Some(problems) => {
            for p in problems {
                let style = if p.level == Level::Error {
                    t.bad()
                } else {
                    t.warn()
                };
                let bullet = ratatui::text::Span::styled(format!("  {} ", t.bullet()), style);
                lines.extend(view::hanging(bullet, &p.title, style, area.width));
                for fix in &p.fix {
                    lines.push(Line::raw(format!("      fix: {fix}")));
                }
            }
        }
    }
    view::paragraph(lines, area, buf);
}
