//! The simulated MT6572: a faithful BROM/preloader + legacy DA peer served on a pseudo-terminal,
//! backed by a sparse storage image built from a board profile, with fault injection.
//!
//! - [`storage`]: the flash (a sparse image file with a JSON sidecar, or memory);
//! - [`layout`]: what the flash holds, worked out from a board profile;
//! - [`identity`]: everything that tells two simulated phones apart, from one serial;
//! - [`device`]: the phone itself, a pure core fed the host's bytes;
//! - [`boot`]: whether its boot code can set up its RAM, and the dead-boot damage;
//! - [`fault`]: the `--fault` grammar and its counters;
//! - [`phone`]: one phone on disk, built from its profile once and reused;
//! - [`pty`]: the pseudo-terminal and the thin loop that carries bytes;
//! - [`rom`]: ROM packages made for the simulated board (or deliberately not).
//!
//! It shares only `protocol` (the wire layouts) and the data formats with the host side; it
//! must never import `device`, so a bug cannot hide by being the same on both ends.

use std::path::PathBuf;

use crate::error::Advice;

pub mod boot;
pub mod device;
pub mod fault;
pub mod identity;
pub mod layout;
pub mod phone;
pub mod pty;
pub mod rom;
pub mod storage;

/// Why the simulated phone cannot be built or started.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// An eMMC phone was asked for with a NAND board profile.
    #[error("profile {profile} describes a NAND board; it cannot be simulated as an eMMC phone")]
    NandProfile {
        /// The profile id.
        profile: String,
    },
    /// The profile's partitions do not fit any simulated storage size.
    #[error("profile {profile} needs {bytes:#x} bytes of flash, more than the simulator offers")]
    TooLarge {
        /// The profile id.
        profile: String,
        /// Bytes needed.
        bytes: u64,
    },
    /// The image was built for another phone than the options describe.
    #[error("the image {path} holds {what} {found}, not {wanted}")]
    ImageMismatch {
        /// The image file.
        path: PathBuf,
        /// What differs (`profile`, `serial`, `storage`).
        what: &'static str,
        /// What the image holds.
        found: String,
        /// What was asked for.
        wanted: String,
    },
    /// The pseudo-terminal could not be opened or served.
    #[error("the simulated phone's port failed: {0}")]
    Port(#[source] std::io::Error),
}

impl Advice for SimError {
    fn help(&self) -> String {
        match self {
            SimError::NandProfile { .. } => {
                "leave out --storage emmc, or pick an eMMC profile (`mtkbench profiles list`)"
                    .into()
            }
            SimError::TooLarge { .. } => "check the profile's layout sizes".into(),
            SimError::ImageMismatch { what, .. } => format!(
                "leave out --{what} to use the image as it is, or give another --image for a \
                 new phone"
            ),
            SimError::Port(_) => {
                "check that /dev/ptmx exists and is usable (pseudo-terminals are needed)".into()
            }
        }
    }

    fn is_bad_input(&self) -> bool {
        !matches!(self, SimError::Port(_))
    }
}
