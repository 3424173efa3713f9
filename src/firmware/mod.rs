//! Firmware formats a technician hands us: scatter files, image headers, preloader and LK
//! facts, partition tables, checksums, and whole ROM packages.
//!
//! Everything here parses bytes and text into typed values. It knows no phone: it must never
//! import `device`, `transport` or anything that draws on a screen.

pub mod bootimg;
pub mod checksum;
pub mod lcm;
pub mod mtk_header;
pub mod partition_table;
pub mod preloader;
pub mod rom;
pub mod scatter;
pub mod synth;

/// The partitions that hold a phone's identity and radio calibration (IMEI, MACs, RF data).
/// They are never written except by a restore from a verified backup of the same phone.
pub const NVRAM_SET: [&str; 4] = ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"];

/// True when `partition` (any case) belongs to [`NVRAM_SET`].
pub fn is_nvram_set(partition: &str) -> bool {
    NVRAM_SET.iter().any(|p| p.eq_ignore_ascii_case(partition))
}
