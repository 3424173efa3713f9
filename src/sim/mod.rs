//! The simulated MT6572: a faithful BROM/preloader + legacy DA peer served on a pseudo-terminal,
//! backed by a sparse storage image built from a board profile, with fault injection.
//!
//! It shares only `protocol` (the wire layouts) and the data formats with the host side; it
//! must never import `device`, so a bug cannot hide by being the same on both ends.

pub mod fault;
pub mod identity;
pub mod pty;
pub mod storage;
