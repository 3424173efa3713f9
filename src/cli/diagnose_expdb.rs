//! `mtkbench diagnose log --port P`: read the phone's EXPDB partition (where LK and the kernel
//! keep the last panic and exception records) through a device session, analyse it as an EXPDB
//! dump with the boot-log rules, and keep the raw readback under
//! `<data>/captures/expdb-<UTC time>.bin`.
//!
//! The readback ([`crate::job::flows::expdb`]) streams at once into the analyzer and into an
//! [`AtomicFile`] (hashed on the way, as `readback` does); the file gets its name only when
//! every byte has arrived, and a name already taken is never reused. The analysis is
//! [`crate::diag`]'s. This file must not judge log lines or talk to the phone itself.

use std::{io::Write, path::PathBuf, time::SystemTime};

use serde::Serialize;

use super::{
    device::{DeviceArgs, NOT_REBOOTED, start, warn_if_not_rebooted},
    diagnose::LogReport,
};
use crate::{
    Result,
    cli::{Ctx, Report, emit},
    diag::{
        log::{Analyzer, LogKind},
        rules::RuleBase,
    },
    fsutil::AtomicFile,
    job::flows::{self, EXPDB as PARTITION},
    places::Places,
};

/// The help of `--port` for `diagnose log`.
pub const PORT_HELP: &str = "Read the phone's EXPDB partition (its last panic and exception \
     records) on this port (`/dev/ttyACM0`), or `auto` to wait for the phone, instead of FILEs; \
     the readback is kept in the data folder's captures/, and the phone is rebooted after";

/// What `diagnose log --port` prints: where the readback went, then the analysis.
#[derive(Debug, Serialize)]
pub struct ExpdbReport {
    /// The port that was used.
    pub port: String,
    /// The file the raw readback was saved as.
    pub capture: PathBuf,
    /// Bytes read (the whole partition).
    pub bytes: u64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Whether the phone was told to reboot at the end.
    pub rebooted: bool,
    /// The analysis of the readback (its fields are at the top level of the JSON, as in
    /// `diagnose log FILE`).
    #[serde(flatten)]
    pub analysis: LogReport,
}

impl Report for ExpdbReport {
    fn human(&self) -> String {
        let mut out = format!(
            "Read {PARTITION} ({:.1} MiB) over {}; the raw readback is kept as\n  {}\n\n",
            self.bytes as f64 / f64::from(1 << 20),
            self.port,
            self.capture.display()
        );
        if self.analysis.0.inputs.iter().all(|i| i.lines == 0) {
            out += "EXPDB holds no text: it reads as erased, so the phone has saved no panic or \
                    exception record since it was last formatted.\n\n";
        }
        out += &self.analysis.human();
        if !self.rebooted {
            out += "\n";
            out += NOT_REBOOTED;
        }
        out
    }
}

/// The readback on its way: into the capture file and through the analyzer at once.
struct Capture<'r> {
    file: AtomicFile,
    analyzer: Analyzer<'r>,
}

impl Write for Capture<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.analyzer.push_bytes(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Runs `mtkbench diagnose log --port P`.
pub fn run(device: &DeviceArgs, ctx: &Ctx) -> Result<()> {
    let rules = RuleBase::builtin()?;
    // Everything that can fail on this computer fails before the phone is caught.
    let dir = ctx.places.data.join("captures");
    Places::ensure(&dir)?;
    let path = flows::expdb_capture_path(&dir, SystemTime::now());
    let mut capture = Capture {
        file: AtomicFile::create(&path)?,
        analyzer: Analyzer::new(rules),
    };
    capture
        .analyzer
        .begin_input(&path.display().to_string(), LogKind::Expdb);
    let done = start(device, ctx)?.run(|phone| flows::expdb(phone, &mut capture))?;
    warn_if_not_rebooted(&done);
    let Capture { file, analyzer } = capture;
    let stored = file.commit()?;
    emit(
        ctx,
        &ExpdbReport {
            port: done.port.clone(),
            capture: stored.path,
            bytes: done.value,
            sha256: stored.sha256,
            rebooted: done.rebooted(),
            analysis: LogReport(analyzer.finish()),
        },
    )
}
