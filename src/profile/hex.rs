//! Addresses and sizes as hex strings (`"0x600000"`) in profile files.
//!
//! Used through `#[serde(with = "crate::profile::hex")]` (and [`option`] for optional values).
//! Reading accepts `0x`/`0X` and digits in any case; writing always gives `0x` and lower case, so
//! a profile read and written again only changes in letter case. Plain TOML integers are refused:
//! a size written as `6291456` is too easy to misread at the bench.
//!
//! Pure text conversion: no I/O, no knowledge of what the number means.

use std::fmt;

use serde::{Deserializer, Serializer, de};

use crate::firmware::{HexError, parse_hex};

/// Parses `"0x..."` (prefix and digits in any case, see [`parse_hex`]) into a number; plain
/// decimals are refused.
pub fn parse(text: &str) -> Result<u64, String> {
    parse_hex(text).map_err(|e| match e {
        HexError::NoPrefix => format!(
            "`{text}` is not a hex value: write it as a string starting with 0x, e.g. \"0x600000\""
        ),
        HexError::NotHex => {
            format!("`{text}` is not a hex value: after 0x only the digits 0-9 and a-f may follow")
        }
        HexError::TooLarge => {
            format!("`{text}` is too large: the largest value is 0xffffffffffffffff")
        }
    })
}

/// Writes a number the way profiles spell it: `0x` and lower-case digits.
pub fn format(value: u64) -> String {
    format!("{value:#x}")
}

/// Serde: writes a `u64` as a hex string.
pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(*value))
}

/// Serde: reads a hex string into a `u64`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    deserializer.deserialize_str(HexVisitor)
}

struct HexVisitor;

impl de::Visitor<'_> for HexVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a hex string such as \"0x600000\"")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<u64, E> {
        parse(text).map_err(E::custom)
    }
}

/// The same for `Option<u64>` fields; pair it with `#[serde(default)]`.
pub mod option {
    use serde::{Deserializer, Serializer};

    /// Serde: writes `Some(n)` as a hex string (callers skip `None`).
    pub fn serialize<S: Serializer>(value: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => super::serialize(v, serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Serde: reads a present hex string into `Some(n)`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        super::deserialize(deserializer).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_any_case_and_writes_lower_case() {
        assert_eq!(parse("0x600000"), Ok(0x60_0000));
        assert_eq!(parse("0X1400000"), Ok(0x140_0000));
        assert_eq!(parse("0xABCdef"), Ok(0xab_cdef));
        assert_eq!(format(0xAB_CDEF), "0xabcdef");
        assert_eq!(format(0), "0x0");
    }

    #[test]
    fn refuses_missing_prefix_bad_digits_and_overflow() {
        assert!(parse("600000").unwrap_err().contains("starting with 0x"));
        assert!(parse("0x").unwrap_err().contains("only the digits"));
        assert!(parse("0x60_0000").unwrap_err().contains("only the digits"));
        assert!(parse("0xg").unwrap_err().contains("only the digits"));
        assert!(
            parse("0x1ffffffffffffffff")
                .unwrap_err()
                .contains("too large")
        );
        assert_eq!(parse("0xffffffffffffffff"), Ok(u64::MAX));
    }
}
