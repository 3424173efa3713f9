//! The host side of a phone session: connect, identify, start the download agent, read, write
//! and erase storage, read the partition table, reboot.
//!
//! * [`Session`] runs the `protocol` step machines over any `transport::Transport` (the serial
//!   port, the scripted fake, the recorder) and says which [`Stage`] failed.
//! * [`target`] resolves partition names and regions into checked byte ranges; [`guard`] is
//!   the only builder of the targets a write or an erase accepts (identity, boot code,
//!   bounds, image size); [`table`] builds the partition map.
//! * [`ProgressEvent`]s report progress; this module never draws and never imports `tui`.
//!
//! No wire layouts live here (they are `protocol`'s), no `serialport` (it is `transport`'s),
//! and neither the config file, the host doctor nor clap: finding the port, loading the DA
//! and running a whole job is `crate::job`'s.

pub mod dram;
mod error;
pub mod fingerprint;
pub mod guard;
pub mod progress;
mod session;
pub mod table;
pub mod target;

pub use error::{Cause, DeviceError, PhoneState, ResultExt, Stage, StatusCode};
pub use fingerprint::Fingerprint;
pub use progress::{OpKind, PlannedStep, ProgressEvent};
pub use session::{BromInfo, DaInfo, Mode, Session};
