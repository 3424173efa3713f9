//! Progress of a device job as values: the library emits [`ProgressEvent`]s through a
//! callback and never draws; the command line and the TUI render them their own way.
//!
//! # Order
//!
//! For a whole job the events come in this order:
//!
//! 1. [`ProgressEvent::Stage`] once per protocol step as it starts (waiting for the port,
//!    handshake, hardware code, DA upload, partition table, ...), in the order the steps run;
//! 2. at most one [`ProgressEvent::PlanReady`], before the first transfer of the work, listing
//!    every transfer the work means to do;
//! 3. for each step of the plan, in plan order, either one [`ProgressEvent::Skipped`], or one
//!    [`ProgressEvent::Started`], then zero or more [`ProgressEvent::Advanced`] with `done`
//!    never decreasing and never above `total`, then exactly one of
//!    [`ProgressEvent::Finished`] (it completed), [`ProgressEvent::Failed`] (it stopped on an
//!    error) or [`ProgressEvent::Cancelled`] (it stopped on request, between two packets);
//! 4. a step that is checked after it ran emits [`ProgressEvent::Verifying`] after its
//!    `Finished`, followed by the check's own read (`Started` .. `Finished`);
//! 5. a job that fails or is cancelled outside any transfer (while waiting for the port,
//!    during the handshake) ends with one `Failed` or `Cancelled` whose `name` is `None`.
//!
//! After `Failed` or `Cancelled` nothing more comes; transfers never overlap: a `Started`
//! always follows the previous transfer's end event.

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

/// One transfer a job means to do, as [`ProgressEvent::PlanReady`] lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStep {
    /// Read, write or erase.
    pub op: OpKind,
    /// A partition name or a region name.
    pub name: String,
    /// The region the offset is relative to ("boot1", "user", "nand").
    pub region: &'static str,
    /// First byte in the region.
    pub offset: u64,
    /// Bytes.
    pub len: u64,
}

/// One event of a job; see the module documentation for the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// A protocol step begins.
    Stage(Stage),
    /// The work knows what it will do: every transfer, in order.
    PlanReady {
        /// The transfers.
        steps: Vec<PlannedStep>,
    },
    /// A planned transfer is left out, and why ("the ROM lights the panel without it").
    Skipped {
        /// Read, write or erase.
        op: OpKind,
        /// The partition or region.
        name: String,
        /// Why, in a technician's words.
        why: String,
    },
    /// A finished transfer is being checked (a readback compared with what was written).
    Verifying {
        /// The partition or region.
        name: String,
    },
    /// A transfer (or, with `name: None`, the job outside any transfer) stopped on an error.
    Failed {
        /// The transfer's kind, `None` outside a transfer.
        op: Option<OpKind>,
        /// The transfer's partition or region, `None` outside a transfer.
        name: Option<String>,
        /// Bytes done before it stopped.
        done: u64,
        /// The error, as the terminal shows it.
        error: String,
    },
    /// A transfer (or, with `name: None`, the job outside any transfer) stopped on request,
    /// between two packets.
    Cancelled {
        /// The transfer's kind, `None` outside a transfer.
        op: Option<OpKind>,
        /// The transfer's partition or region, `None` outside a transfer.
        name: Option<String>,
        /// Bytes done before it stopped.
        done: u64,
    },
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
