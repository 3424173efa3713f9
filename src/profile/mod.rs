//! Board profiles: what a workshop knows about one MT6572 board, as strictly checked data.
//!
//! Knows no phone: must never import `device` or `transport`.
