//! Draws a job's [`ProgressEvent`]s on stderr: on a terminal an `indicatif` bar per transfer
//! (name, bar, bytes, MB/s, ETA), otherwise plain lines, one when a transfer starts and one
//! when it ends, so a log file or a pipe gets no control characters. Stdout is left to the
//! report. The events and their order are the job layer's; this file only renders them.

use std::{io::IsTerminal, time::Duration};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::job::{OpKind, ProgressEvent, Stage, mb_per_s};

const MIB: f64 = 1024.0 * 1024.0;

/// The bar's layout: name, bar, bytes done and total, rate and time left.
const BAR: &str = "{msg:<12} [{bar:30}] {bytes}/{total_bytes}  {decimal_bytes_per_sec}  ETA {eta}";

/// The renderer for one job.
#[derive(Debug)]
pub struct Renderer {
    tty: bool,
    name: String,
    bar: Option<ProgressBar>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

fn verb(op: OpKind) -> &'static str {
    match op {
        OpKind::Read => "reading",
        OpKind::Write => "writing",
        OpKind::Erase => "erasing",
    }
}

/// The line a transfer ends with: `ANDROID      12.5/64.0 MiB  13.1 MB/s`.
fn line(name: &str, done: u64, total: u64, elapsed: Duration) -> String {
    format!(
        "{:<12} {:.1}/{:.1} MiB  {:.1} MB/s",
        name,
        done as f64 / MIB,
        total as f64 / MIB,
        mb_per_s(done, elapsed)
    )
}

impl Renderer {
    /// A renderer for this process's stderr: bars on a terminal, lines otherwise.
    pub fn new() -> Self {
        Renderer {
            tty: std::io::stderr().is_terminal(),
            name: String::new(),
            bar: None,
        }
    }

    /// Prints a line without tearing a bar that is on screen.
    fn say(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    fn start_bar(&mut self, total: u64) {
        let style = ProgressStyle::with_template(BAR)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(self.name.clone());
        self.bar = Some(bar);
    }

    /// Shows one event.
    pub fn show(&mut self, event: &ProgressEvent) {
        match event {
            ProgressEvent::Stage(Stage::WaitForPort) => self.say(
                "Plug the phone in now: switched off (battery in), holding VOL-DOWN while you \
                 connect the USB cable. Waiting...",
            ),
            ProgressEvent::Stage(stage) => tracing::info!(%stage, "stage"),
            ProgressEvent::PlanReady { steps } => {
                for s in steps {
                    tracing::info!(op = s.op.as_str(), name = %s.name, len = s.len, "planned");
                }
            }
            ProgressEvent::Started { op, name, total } => {
                self.name = name.clone();
                if self.tty {
                    self.start_bar(*total);
                } else {
                    self.say(&format!(
                        "{} {} ({:.1} MiB)...",
                        verb(*op),
                        name,
                        *total as f64 / MIB
                    ));
                }
            }
            ProgressEvent::Advanced { done, .. } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(*done);
                }
            }
            ProgressEvent::Finished { total, elapsed, .. } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                self.say(&line(&self.name, *total, *total, *elapsed));
            }
            ProgressEvent::Skipped { name, why, .. } => {
                self.say(&format!("skipping {name}: {why}"));
            }
            ProgressEvent::Verifying { name } => self.say(&format!("verifying {name}...")),
            ProgressEvent::Failed { .. } => {
                // The error itself is printed once, by the command's caller.
                if let Some(bar) = self.bar.take() {
                    bar.abandon();
                }
            }
            ProgressEvent::Cancelled { name, done, .. } => {
                if let Some(bar) = self.bar.take() {
                    bar.abandon();
                }
                if let Some(name) = name {
                    self.say(&format!(
                        "{name}: stopped on request after {:.1} MiB",
                        *done as f64 / MIB
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_line_shows_mib_and_rate() {
        let l = line("ANDROID", 13_107_200, 67_108_864, Duration::from_secs(1));
        assert_eq!(l, "ANDROID      12.5/64.0 MiB  13.1 MB/s");
    }

    #[test]
    fn the_bar_template_is_valid() {
        ProgressStyle::with_template(BAR).unwrap();
    }
}
