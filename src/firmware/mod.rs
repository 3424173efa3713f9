//! Firmware formats a technician hands us: scatter files, image headers, preloader and LK
//! facts, partition tables, checksums, and whole ROM packages.
//!
//! Everything here parses bytes and text into typed values. It knows no phone: it must never
//! import `device`, `transport` or anything that draws on a screen.

pub mod scatter;
