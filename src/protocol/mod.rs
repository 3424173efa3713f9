//! The MT6572 BootROM/preloader and legacy Download Agent protocol, sans-IO.
//!
//! Encoders, decoders and step machines over bytes, for BOTH ends of the link: the host
//! (`device/`, later) and the simulated phone (`sim/`, later) use the same message types, so
//! each byte layout is written once ([`wire::Wire`]). No serial port, no clock reads, no
//! screen: this module must never import `transport`, `device`, `sim` or `serialport`.
//!
//! * [`handshake`]: the `A0 0A 50 05` start sequence, host and phone side.
//! * [`brom`]: BROM/preloader commands (hw code, versions, target config, read32/write32,
//!   ME ID, send DA, jump DA): host exchanges and the phone-side parser [`brom::BromDevice`].
//! * [`da`]: the legacy DA (sync, DA1 report, config block, DRAM result, DA2 upload and
//!   report, USB status, switch part, readback (eMMC 0xD6, NAND 0xDF), write, format, PMT,
//!   finish): host exchanges and [`da::DaDevice`].
//! * [`da_file`]: the MTK AllInOne DA file, and a simulator-only placeholder generator.
//! * [`status`]: BROM and DA status codes; [`checksum`]: XOR16 and SUM16.
//! * [`decisions`]: every choice made where the notes are uncertain, in one place.
//!
//! # Driving a host exchange
//!
//! Every host-side flow implements [`Exchange`]: call [`Exchange::poll`], perform the [`Step`]
//! it returns on the port, report back, repeat until [`Step::Done`]. `transport::run_exchange`
//! is that loop over a real `Transport`:
//!
//! ```
//! use mtkbench::protocol::{Exchange, Step, brom};
//! // What the phone will say: the echo of FD, then hw code 0x6572 and status 0.
//! let mut phone: &[u8] = &[0xFD, 0x65, 0x72, 0x00, 0x00];
//! let mut ex = brom::get_hw_code();
//! let hw = loop {
//!     match ex.poll().unwrap() {
//!         Step::Send(bytes) => assert_eq!(bytes, [0xFD]),
//!         Step::Recv { len, .. } => {
//!             let (now, rest) = phone.split_at(len);
//!             phone = rest;
//!             ex.feed(now).unwrap();
//!         }
//!         Step::Done(hw) => break hw,
//!         other => unreachable!("{other:?}"),
//!     }
//! };
//! assert_eq!(hw.hw_code, 0x6572);
//! ```

use std::time::Duration;

pub mod brom;
pub mod checksum;
pub mod da;
pub mod da_file;
pub mod decisions;
mod error;
pub mod handshake;
pub mod mt6572;
pub mod script;
pub mod status;
pub mod wire;

pub use error::{Hex, ProtocolError};
pub use status::{BromStatus, DaStatus};

/// What a host-side step machine wants done next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<T> {
    /// Write these bytes to the phone.
    Send(Vec<u8>),
    /// Read exactly `len` bytes (waiting at most `timeout`) and pass them to
    /// [`Exchange::feed`]. `what` names the step for a timeout message.
    Recv {
        /// Bytes to read.
        len: usize,
        /// The step, for error messages ("GET_HW_CODE echo").
        what: &'static str,
        /// How long the phone may take.
        timeout: Duration,
    },
    /// Read exactly `len` bytes of storage data from the phone, pass them to
    /// [`Exchange::feed`], then hand them to the data sink (the file being written). The
    /// driver may pass them in consecutive pieces, as they arrive (each piece fed, then
    /// sunk), so that the machine's work on a piece overlaps the arrival of the next.
    RecvData {
        /// Bytes to read.
        len: usize,
        /// How long the phone may take.
        timeout: Duration,
    },
    /// Take the next `len` bytes from the data source (the image being written), pass them to
    /// [`Exchange::data_sent`] and write them to the phone. The driver may do so in
    /// consecutive pieces (each taken, reported, then written), so that the phone receives the
    /// first piece while the next is read and summed.
    SendData {
        /// Bytes to take from the source.
        len: usize,
    },
    /// Throw away whatever input is already waiting (stale bytes before a restart).
    Discard,
    /// Finished, with the result.
    Done(T),
}

/// How far a long exchange has come (bytes, or percent for format).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Units done.
    pub done: u64,
    /// Units in total.
    pub total: u64,
}

/// A host-side, sans-IO step machine for one protocol flow.
///
/// Contract: call [`poll`](Exchange::poll), perform the returned [`Step`], report the result
/// ([`feed`](Exchange::feed) after a `Recv`/`RecvData`, [`data_sent`](Exchange::data_sent)
/// after a `SendData`, nothing after a `Send`/`Discard`), and poll again until `Done`. The
/// bytes of a `RecvData` or `SendData` step may be reported in several consecutive pieces
/// that add up to its length; the machine polls for the next step only after the last. Errors
/// end the exchange; polling after `Done` or an error is a [`ProtocolError::Sequence`].
pub trait Exchange {
    /// The flow's result.
    type Output;

    /// The next step.
    fn poll(&mut self) -> Result<Step<Self::Output>, ProtocolError>;

    /// The bytes read for the last `Recv` step (exactly the requested length), or the next
    /// piece of a `RecvData` step.
    fn feed(&mut self, bytes: &[u8]) -> Result<(), ProtocolError>;

    /// The bytes taken from the data source for the last `SendData` step (all of them, or
    /// the next piece).
    fn data_sent(&mut self, bytes: &[u8]) -> Result<(), ProtocolError> {
        let _ = bytes;
        Err(ProtocolError::Sequence(
            "this exchange never asks for source data".into(),
        ))
    }

    /// The last `Recv` timed out. Returns true when the flow recovers by itself (then poll
    /// again); false means the timeout is an error.
    fn on_timeout(&mut self) -> bool {
        false
    }

    /// Progress of a long flow, if it has any.
    fn progress(&self) -> Option<Progress> {
        None
    }
}
