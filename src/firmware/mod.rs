//! Firmware formats a technician hands us: scatter files, image headers, preloader and LK
//! facts, partition tables, checksums, and whole ROM packages.
//!
//! Everything here parses bytes and text into typed values. It knows no phone: it must never
//! import `device`, `transport` or anything that draws on a screen.

pub mod board;
pub mod bootimg;
pub mod checksum;
pub mod emi;
pub mod facts;
pub mod layout;
pub mod lcm;
pub mod mtk_header;
pub mod partition_table;
pub mod preloader;
pub mod rom;
pub mod scatter;
pub mod storage;
pub mod synth;
pub mod tables;
pub mod zimage;

/// The partitions that hold a phone's identity and radio calibration (IMEI, MACs, RF data).
/// They are never written except by a restore from a verified backup of the same phone.
pub const NVRAM_SET: [&str; 4] = ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"];

/// True when `partition` (any case) belongs to [`NVRAM_SET`].
pub fn is_nvram_set(partition: &str) -> bool {
    NVRAM_SET.iter().any(|p| p.eq_ignore_ascii_case(partition))
}

/// True when `name` (any case) holds the phone's boot code: the PRELOADER partition, or the
/// eMMC boot1 region it lives in. A wrong or half-written one is a hard brick that only the
/// BootROM (VOL-DOWN or the test point) can undo.
pub fn is_boot_code(name: &str) -> bool {
    ["PRELOADER", "boot1", "EMMC_BOOT_1"]
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name))
}

/// True when `name` (any case) is an image that defines the partition layout: the MBR and the
/// EBRs it chains to. Once one is written, the phone's partition table is not the one read
/// before.
pub fn is_layout(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper == "MBR"
        || upper
            .strip_prefix("EBR")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Why [`parse_hex`] refused a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HexError {
    /// It does not start with `0x` or `0X`.
    NoPrefix,
    /// Nothing follows the prefix, or something that is not a hex digit.
    NotHex,
    /// The value does not fit in 64 bits.
    TooLarge,
}

/// Reads `0x` followed by hex digits (prefix and digits in any case, nothing else, not even
/// blanks): addresses and sizes as scatter files, profiles and the command line write them.
/// Whether plain decimals are also allowed is the caller's rule.
pub fn parse_hex(text: &str) -> Result<u64, HexError> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .ok_or(HexError::NoPrefix)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(HexError::NotHex);
    }
    u64::from_str_radix(digits, 16).map_err(|_| HexError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boot_code_is_the_preloader_and_boot1_in_any_case() {
        for name in ["PRELOADER", "preloader", "boot1", "EMMC_BOOT_1"] {
            assert!(is_boot_code(name), "{name}");
        }
        for name in ["UBOOT", "boot2", "NVRAM", "PRELOADER2", ""] {
            assert!(!is_boot_code(name), "{name}");
        }
    }

    #[test]
    fn hex_needs_the_prefix_and_only_hex_digits() {
        assert_eq!(parse_hex("0x600000"), Ok(0x60_0000));
        assert_eq!(parse_hex("0XabCD"), Ok(0xABCD));
        assert_eq!(parse_hex("0xffffffffffffffff"), Ok(u64::MAX));
        assert_eq!(parse_hex("600000"), Err(HexError::NoPrefix));
        assert_eq!(parse_hex(" 0x1"), Err(HexError::NoPrefix));
        assert_eq!(parse_hex("0x"), Err(HexError::NotHex));
        assert_eq!(parse_hex("0x+10"), Err(HexError::NotHex));
        assert_eq!(parse_hex("0x6_0000"), Err(HexError::NotHex));
        assert_eq!(parse_hex("0x1ffffffffffffffff"), Err(HexError::TooLarge));
    }
}
