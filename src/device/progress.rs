//! Progress of a device session as values: the library emits [`ProgressEvent`]s through a
//! callback and never draws; the command line and the TUI render them their own way.
//!
//! # Order
//!
//! For a whole session the events come in this order:
//!
//! 1. [`ProgressEvent::Stage`] once per protocol step as it starts (handshake, hardware code,
//!    DA upload, ...), in the order the steps run;
//! 2. for each transfer (read, write, erase): exactly one [`ProgressEvent::Started`], then zero
//!    or more [`ProgressEvent::Advanced`] with `done` never decreasing and never above `total`,
//!    then exactly one [`ProgressEvent::Finished`] when it completed. A transfer that fails
//!    emits no `Finished`; the error says where it stopped.
//!
//! Transfers never overlap: a `Started` always follows the previous transfer's `Finished`.

use std::time::Duration;

use serde::Serialize;

use super::error::Stage;

/// What a transfer does to the phone's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OpKind {
    /// Reading storage into a file.
    Read,
    /// Writing a file to storage.
    Write,
    /// Erasing storage.
    Erase,
}

impl OpKind {
    /// "read", "write", "erase".
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Read => "read",
            OpKind::Write => "write",
            OpKind::Erase => "erase",
        }
    }
}

/// One event of a session; see the module documentation for the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// A protocol step begins.
    Stage(Stage),
    /// A transfer begins.
    Started {
        /// Read, write or erase.
        op: OpKind,
        /// What is transferred: a partition name or a region name.
        name: String,
        /// Bytes in total.
        total: u64,
    },
    /// A transfer moved on.
    Advanced {
        /// Read, write or erase.
        op: OpKind,
        /// Bytes done so far (for an erase: the phone's percentage applied to `total`).
        done: u64,
        /// Bytes in total.
        total: u64,
        /// Time since the transfer's `Started`.
        elapsed: Duration,
    },
    /// A transfer completed.
    Finished {
        /// Read, write or erase.
        op: OpKind,
        /// Bytes transferred.
        total: u64,
        /// Time since the transfer's `Started`.
        elapsed: Duration,
    },
}

/// Where events go: any `FnMut(&ProgressEvent)`.
pub type ProgressSink<'a> = &'a mut dyn FnMut(&ProgressEvent);

/// A sink that drops every event (for callers that do not show progress).
pub fn ignore(_: &ProgressEvent) {}

/// Decimal megabytes per second for `bytes` moved in `elapsed` (0 for no time).
pub fn mb_per_s(bytes: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs <= 0.0 {
        0.0
    } else {
        bytes as f64 / 1e6 / secs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_decimal_megabytes() {
        assert_eq!(mb_per_s(2_000_000, Duration::from_secs(1)), 2.0);
        assert_eq!(mb_per_s(5, Duration::ZERO), 0.0);
    }
}
