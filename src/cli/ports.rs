//! `mtkbench ports`: the serial ports this computer has, MediaTek download ports first, with
//! their USB ids and mode (BROM `0e8d:0003`, preloader `0e8d:2000`). Listing only: no port is
//! opened.

use serde::Serialize;

use crate::{
    Result,
    cli::{Ctx, Report, emit},
    job::{self, PortInfo, PortMode},
};

/// `mtkbench ports`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// What `ports` prints.
#[derive(Debug, Serialize)]
pub struct PortsReport {
    /// Every serial port, download ports first.
    pub ports: Vec<PortInfo>,
}

impl Report for PortsReport {
    fn human(&self) -> String {
        if self.ports.is_empty() {
            return "No serial ports. Plug the phone in (switched off, holding VOL-DOWN), or use \
                    `--port auto` to wait for it; `mtkbench doctor` checks the host.\n"
                .into();
        }
        let mut out = String::new();
        for p in &self.ports {
            let ids = match (p.vid, p.pid) {
                (Some(v), Some(d)) => format!("{v:04x}:{d:04x}"),
                _ => "-".into(),
            };
            let mode = match p.mode {
                PortMode::Brom => "BROM (download mode)",
                PortMode::Preloader => "preloader (lives 2-5 s)",
                PortMode::Other => "not a MediaTek download port",
            };
            out += &format!(
                "{:<20} {:<10} {:<28} {}\n",
                p.path,
                ids,
                mode,
                p.product.as_deref().unwrap_or("")
            );
        }
        if !self.ports.iter().any(PortInfo::is_download_port) {
            out += "No MediaTek download port: `--port auto` waits for one to appear.\n";
        }
        out
    }
}

/// Runs `mtkbench ports`.
pub fn run(_args: Args, ctx: &Ctx) -> Result<()> {
    emit(
        ctx,
        &PortsReport {
            ports: job::ports()?,
        },
    )
}
