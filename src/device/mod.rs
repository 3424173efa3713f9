//! The host side of a phone session: connect, identify, start the download agent, read, write
//! and erase storage, read the partition table, reboot.
//!
//! * [`Session`] runs the `protocol` step machines over any `transport::Transport` (the serial
//!   port, the scripted fake, the recorder) and says which [`Stage`] failed.
//! * [`connect`] finds and opens the port (`--port auto` waits for it), wraps it in the
//!   recorder for `--record`, and loads the DA file.
//! * [`target`] resolves partition names and regions into checked byte ranges and guards the
//!   identity partitions; [`table`] builds the partition map.
//! * [`ProgressEvent`]s report progress; this module never draws and never imports `tui`.
//!
//! No wire layouts live here (they are `protocol`'s), and no `serialport` (it is
//! `transport`'s).

pub mod connect;
mod error;
pub mod fingerprint;
pub mod progress;
mod session;
pub mod table;
pub mod target;

pub use error::{Cause, DeviceError, ResultExt, Stage, StatusCode};
pub use fingerprint::Fingerprint;
pub use progress::{OpKind, ProgressEvent};
pub use session::{BromInfo, DaInfo, Mode, Session};
