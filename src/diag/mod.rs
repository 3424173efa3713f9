//! Diagnostics: boot-log analysis, the display-driver check, the error explainer and the host
//! doctor. Progress and results are values; this module never draws.

pub mod lcm;
