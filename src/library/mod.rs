//! The workshop's ROM library: finding packages, the index cache, and listing.
//!
//! `scan` inspects each package (see `firmware::rom`) and keeps the result in an index in the
//! cache folder, keyed by path and by the size and modification time of every file, so a
//! rescan only reads what changed. Progress is reported through a callback; this module never
//! draws and never imports `tui`.

pub mod discover;
pub mod index;
