//! mtkbench: a repair workstation for MediaTek MT6572 phones.
//!
//! The library holds everything; `main.rs` only parses the command line and calls [`cli::run`].
//! The layers follow `DESIGN.md` section 4: pure formats and protocol at the bottom, I/O at the
//! edges, and two faces (command line, and later the TUI) over the same API.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![warn(missing_docs)]

pub mod backup;
pub mod cli;
pub mod config;
pub mod device;
pub mod diag;
pub mod engine;
pub mod error;
pub mod firmware;
pub mod flash;
pub mod fsutil;
pub mod job;
pub mod journal;
pub mod library;
pub mod logging;
pub mod places;
pub mod profile;
pub mod protocol;
pub mod repair;
pub mod sim;
pub mod transport;
pub mod tui;

pub use error::{Advice, Error, Result};
