//! `mtkbench diagnose uart --port P`: capture the phone's debug console through a USB-serial
//! adapter, show what the log reveals while it streams, save the raw capture, and end with
//! the same report as `diagnose log`.
//!
//! The port and the capture file are the job layer's ([`crate::job::uart::Uart`]), the
//! capture and the analysis [`crate::diag::uart`]'s; this file turns Ctrl-C into the cancel
//! token, prints the running view on stderr (never with `--json`) and hands the final
//! analysis to `diagnose log`'s report. It must not open the port, parse or judge log lines
//! itself.

use std::{
    path::PathBuf,
    time::{Duration, Instant, SystemTime},
};

use clap::Args;

use super::{
    diagnose::LogReport,
    text::{WIDTH, wrap_indented},
};
use crate::{
    Result,
    cli::{Ctx, emit},
    diag::{
        log::{Analyzer, LogKind},
        rules::RuleBase,
        uart::{self, CaptureEnd, UART_BAUD, live_line},
    },
    job::{CancelToken, TransportError, uart::Uart},
};

/// Arguments of `diagnose uart`.
#[derive(Debug, Args)]
pub struct UartArgs {
    /// The USB-serial adapter wired to the phone's debug UART (TX, RX, GND), e.g.
    /// /dev/ttyUSB0.
    #[arg(long, value_name = "PORT")]
    pub port: String,

    /// Line speed in baud (8N1); MT6572 preloader, LK and kernel print at 921600.
    #[arg(long, default_value_t = UART_BAUD, value_name = "BAUD",
          value_parser = clap::value_parser!(u32).range(50..=12_000_000))]
    pub baud: u32,

    /// Save the raw capture here (default: `<data>/captures/uart-<UTC time>.log`). It is
    /// written as a hidden .FILE.*.partial beside it while the capture runs and renamed at
    /// the end; an existing file is never overwritten.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Stop after N seconds [default: run until Ctrl-C or until the adapter is unplugged].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub seconds: Option<u64>,
}

/// Runs `diagnose uart`.
pub fn run(args: UartArgs, ctx: &Ctx) -> Result<()> {
    let rules = RuleBase::builtin()?;
    let path = match args.out {
        Some(path) => path,
        None => uart::default_capture_path(&ctx.places.data.join("captures"), SystemTime::now()),
    };
    let cancel = CancelToken::new();
    let stop = cancel.clone();
    if let Err(e) = ctrlc::set_handler(move || stop.cancel()) {
        // Without the handler Ctrl-C still ends the process; the .partial file stays.
        tracing::warn!(error = %e, "cannot catch Ctrl-C");
    }
    let uart = Uart::open(&args.port, args.baud, &path)?;
    let view = !ctx.json;
    if view {
        eprint!(
            "{}",
            wrap_indented(
                &format!(
                    "Capturing {} at {} baud into {} (named {} until the capture ends). \
                     Power the phone on now; Ctrl-C stops.",
                    uart.port_name(),
                    args.baud,
                    path.display(),
                    uart.temp_path().display()
                ),
                WIDTH,
                ""
            )
        );
    }
    let deadline = args
        .seconds
        .map(|s| Instant::now() + Duration::from_secs(s));
    let mut analyzer = Analyzer::new(rules);
    analyzer.begin_input(&path.display().to_string(), LogKind::Uart);
    let (summary, saved) = uart.capture(&mut analyzer, &cancel, deadline, &mut |update| {
        if view {
            eprintln!("{}", live_line(update));
        }
    })?;
    let analysis = analyzer.finish();
    if view {
        let why = match &summary.end {
            CaptureEnd::Stopped => "stopped with Ctrl-C".to_string(),
            CaptureEnd::TimeUp => "time is up".to_string(),
            CaptureEnd::PortLost(TransportError::Disconnected { port }) => {
                format!("{port} went away: the adapter was unplugged")
            }
            CaptureEnd::PortLost(e) => format!("the adapter failed: {e}"),
        };
        eprint!(
            "{}",
            wrap_indented(
                &format!(
                    "Capture ended ({why}): {} bytes saved in {}",
                    summary.bytes,
                    saved.display()
                ),
                WIDTH,
                ""
            )
        );
        if let Some(hint) = uart::capture_hint(summary.bytes, &analysis) {
            eprint!("{}", wrap_indented(&format!("Note: {hint}"), WIDTH, ""));
        }
        eprintln!();
    }
    emit(ctx, &LogReport(analysis))
}
