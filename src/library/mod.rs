//! The workshop's ROM library: scanning, the index cache, and listing.
//! Never imports `tui`; progress is reported through a callback.
