//! Byte links to a phone: the narrow [`Transport`] trait, the serial port ([`SerialTransport`],
//! which also opens the simulator's pseudo-terminal), a scripted fake
//! ([`ScriptedTransport`]), a recorder that writes a readable hex transcript
//! ([`RecordingTransport`], `--record FILE`), port discovery ([`list_ports`],
//! [`wait_for_port`]), and [`run_exchange`], which drives a `protocol` step machine over any
//! transport.
//!
//! Only `transport/serial.rs` may import `serialport`. Nothing here knows the meaning of the
//! bytes; that is `protocol`'s job. Nothing here draws on a screen.

use std::{
    io,
    time::{Duration, Instant},
};

use crate::error::Advice;

mod cancel;
mod exchange;
mod ports;
mod recording;
mod scripted;
mod serial;
pub mod transcript;

pub use cancel::CancelToken;
pub use exchange::{ExchangeError, Payload, run_exchange, run_exchange_with};
pub use ports::{MAX_POLL, PortInfo, PortMode, wait_for_port, wait_for_port_with};
pub use recording::RecordingTransport;
pub use scripted::ScriptedTransport;
pub use serial::{BAUD_RATE, SerialTransport, list_ports};

/// A bidirectional byte link with read timeouts. Implementations: the serial port, the
/// scripted fake, and the recorder around any of them.
pub trait Transport {
    /// Writes all of `data`.
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError>;

    /// Waits up to `timeout` for input and reads what has arrived, at most `buf.len()` bytes.
    /// Returns 0 when nothing arrived in time (a zero timeout only takes what is already
    /// waiting).
    fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError>;

    /// Fills `buf` completely within `timeout`, or fails with [`TransportError::Timeout`]
    /// (the bytes that did arrive are then at the start of `buf`).
    fn read_exact(&mut self, buf: &mut [u8], timeout: Duration) -> Result<(), TransportError> {
        let start = Instant::now();
        let deadline = start + timeout;
        let mut got = 0;
        while got < buf.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            let n = self.read_some(&mut buf[got..], left)?;
            if n == 0 {
                return Err(TransportError::Timeout {
                    step: None,
                    wanted: buf.len(),
                    got,
                    waited: start.elapsed(),
                });
            }
            got += n;
        }
        Ok(())
    }

    /// A name for messages and transcripts ("/dev/ttyACM0").
    fn name(&self) -> &str;

    /// Writes a comment into the session transcript, if this link keeps one (the recorder
    /// does; a plain port ignores it): how the session ended, a guard override.
    fn note(&mut self, _text: &str) {}
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn write_all(&mut self, data: &[u8]) -> Result<(), TransportError> {
        (**self).write_all(data)
    }
    fn read_some(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, TransportError> {
        (**self).read_some(buf, timeout)
    }
    fn read_exact(&mut self, buf: &mut [u8], timeout: Duration) -> Result<(), TransportError> {
        (**self).read_exact(buf, timeout)
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn note(&mut self, text: &str) {
        (**self).note(text)
    }
}

/// What can go wrong on the link itself.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The phone did not send enough bytes in time.
    #[error(
        "the phone stopped answering{}: waited {} ms for {wanted} byte(s), got {got}",
        step.as_ref().map(|s| format!(" during {s}")).unwrap_or_default(),
        waited.as_millis()
    )]
    Timeout {
        /// The protocol step that was waiting (set by the caller with [`Self::at_step`]).
        step: Option<String>,
        /// Bytes wanted.
        wanted: usize,
        /// Bytes that arrived.
        got: usize,
        /// How long we waited.
        waited: Duration,
    },
    /// The port went away (the phone rebooted or was unplugged).
    #[error("the phone disconnected from {port}")]
    Disconnected {
        /// The port.
        port: String,
    },
    /// The port could not be opened.
    #[error("cannot open {port}: {reason}")]
    Open {
        /// The port path.
        port: String,
        /// The kind of failure, for advice.
        kind: io::ErrorKind,
        /// The operating system's words.
        reason: String,
    },
    /// Reading or writing failed for another reason.
    #[error("{action} {port} failed: {source}")]
    Io {
        /// The port.
        port: String,
        /// "writing to", "reading from".
        action: &'static str,
        /// The cause.
        source: io::Error,
    },
    /// The serial ports could not be listed.
    #[error("cannot list the serial ports: {0}")]
    Enumerate(String),
    /// No matching port appeared before the deadline.
    #[error("no MediaTek BROM or preloader port appeared within {} s", waited.as_secs())]
    NoPort {
        /// How long we watched.
        waited: Duration,
    },
    /// The wait or the transfer was cancelled by the user (Ctrl-C, a cancel key).
    #[error("stopped on request")]
    Cancelled,
    /// A scripted session did something its transcript does not have.
    #[error("off script at transcript line {line}: {detail}")]
    OffScript {
        /// Line in the transcript (0 = after its end).
        line: usize,
        /// What differed.
        detail: String,
    },
}

impl TransportError {
    /// Names the protocol step a timeout happened in.
    pub fn at_step(mut self, what: &str) -> Self {
        if let TransportError::Timeout { step, .. } = &mut self {
            *step = Some(what.to_string());
        }
        self
    }

    /// Maps an I/O error on `port`: end-of-file and broken links become
    /// [`TransportError::Disconnected`].
    pub fn from_io(port: &str, action: &'static str, e: io::Error) -> Self {
        // EIO is what a tty returns once the USB device behind it is gone.
        const EIO: i32 = 5;
        match e.kind() {
            io::ErrorKind::BrokenPipe
            | io::ErrorKind::NotConnected
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted => TransportError::Disconnected {
                port: port.to_string(),
            },
            _ if e.raw_os_error() == Some(EIO) => TransportError::Disconnected {
                port: port.to_string(),
            },
            _ => TransportError::Io {
                port: port.to_string(),
                action,
                source: e,
            },
        }
    }
}

const CABLE_ADVICE: &str = "use a short data cable straight into the computer (no hub), try \
     another USB port, and run `mtkbench doctor`; then take the battery out (or hold power for \
     10 s), put it back and connect again";

impl Advice for TransportError {
    fn help(&self) -> String {
        match self {
            TransportError::Timeout { .. } => format!("the link went quiet: {CABLE_ADVICE}"),
            TransportError::Disconnected { .. } => format!(
                "the phone left download mode or the cable moved; a preloader port only lives \
                 2-5 s, so use --port auto to catch it. If it keeps happening: {CABLE_ADVICE}"
            ),
            TransportError::Open { kind, .. } => match kind {
                io::ErrorKind::PermissionDenied => {
                    "you have no permission on the port: run `mtkbench doctor` (dialout group, \
                     udev rule)"
                        .into()
                }
                io::ErrorKind::NotFound => {
                    "the port does not exist (any more): the preloader port vanishes after a \
                     few seconds; run `mtkbench ports`, or use --port auto"
                        .into()
                }
                _ => "another program may hold the port (often ModemManager): run `mtkbench \
                      doctor`"
                    .into(),
            },
            TransportError::Io { .. } => format!("the port misbehaved: {CABLE_ADVICE}"),
            TransportError::Enumerate(_) => {
                "run `mtkbench doctor`, or name the port with --port /dev/ttyACM0".into()
            }
            TransportError::NoPort { .. } => {
                "with the phone off (battery in), hold VOL-DOWN (VOL-UP on some boards) and plug \
                 in USB while mtkbench waits; check `mtkbench ports` and run `mtkbench doctor` \
                 if nothing shows up"
                    .into()
            }
            TransportError::Cancelled => "start again when the phone is ready".into(),
            TransportError::OffScript { .. } => {
                "the recorded session and this run differ; compare the transcript with the \
                 protocol notes, or record a fresh session"
                    .into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        matches!(
            self,
            TransportError::Open {
                kind: io::ErrorKind::NotFound,
                ..
            }
        )
    }

    fn is_cancelled(&self) -> bool {
        matches!(self, TransportError::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_names_its_step_and_suggests_the_cable() {
        let e = TransportError::Timeout {
            step: None,
            wanted: 4,
            got: 1,
            waited: Duration::from_millis(1000),
        }
        .at_step("GET_HW_CODE reply");
        let s = e.to_string();
        assert!(s.contains("during GET_HW_CODE reply"), "{s}");
        assert!(s.contains("1000 ms") && s.contains("got 1"), "{s}");
        assert!(e.help().contains("cable") && e.help().contains("doctor"));
        assert!(!e.is_bad_input());
    }

    #[test]
    fn io_errors_that_mean_unplugged_become_disconnects() {
        let e = TransportError::from_io("p", "reading from", io::Error::from_raw_os_error(5));
        assert!(matches!(e, TransportError::Disconnected { .. }));
        let e = TransportError::from_io("p", "reading from", io::ErrorKind::BrokenPipe.into());
        assert!(matches!(e, TransportError::Disconnected { .. }));
        let e = TransportError::from_io("p", "reading from", io::ErrorKind::Other.into());
        assert!(matches!(e, TransportError::Io { .. }));
    }

    #[test]
    fn open_advice_depends_on_the_cause() {
        let open = |kind| TransportError::Open {
            port: "/dev/ttyACM0".into(),
            kind,
            reason: "x".into(),
        };
        assert!(
            open(io::ErrorKind::PermissionDenied)
                .help()
                .contains("permission")
        );
        assert!(open(io::ErrorKind::NotFound).is_bad_input());
        assert!(
            open(io::ErrorKind::ResourceBusy)
                .help()
                .contains("ModemManager")
        );
    }
}
