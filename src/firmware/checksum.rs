//! SP Flash Tool Checksum.ini and its 16-bit byte-sum checksum.
//!
//! The value SP Flash Tool stores for an image is the sum of all bytes of the file, kept to 16
//! bits (verified on real ROMs: `preloader=0x7EAD`, `lk=0x5FFB`, ... all match the byte sum).
//! The file looks like:
//!
//! ```text
//! [VERSION]
//! VERSION=V1
//! TOOL=v5.1540.00
//! [IsEnableChecksum]
//! CHECKSUM_SWITCH=1
//! [CheckSum]
//! preloader=0x7EAD
//! lk=0x5FFB
//! ```
//!
//! Keys of `[CheckSum]` are partition names (lower case in v5 files, scatter names in v3), so
//! lookups ignore case. Values are hex, not always zero padded (`0x886`). Pure: text in, value
//! out; bytes in, sum out.

use serde::Serialize;

use crate::error::Advice;

/// The running 16-bit byte sum (one algorithm for Checksum.ini and the DA's packets).
pub use crate::protocol::checksum::Sum16 as Checksum16;
/// The 16-bit byte sum of a whole buffer.
pub use crate::protocol::checksum::sum16 as checksum16;

/// A parsed Checksum.ini.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecksumIni {
    /// `[VERSION] VERSION=`, e.g. `V1`.
    pub version: Option<String>,
    /// `[VERSION] TOOL=`: the SP Flash Tool version that wrote the file.
    pub tool: Option<String>,
    /// `[IsEnableChecksum] CHECKSUM_SWITCH` (true when absent, as SP Flash Tool assumes).
    pub enabled: bool,
    /// `[CheckSum]` entries in file order: partition name as written, value.
    pub entries: Vec<(String, u16)>,
}

impl ChecksumIni {
    /// The value listed for `partition`, ignoring case.
    pub fn lookup(&self, partition: &str) -> Option<u16> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(partition))
            .map(|(_, v)| *v)
    }
}

/// Why a Checksum.ini cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumError {
    /// A `[CheckSum]` value that is not a 16-bit hex number.
    #[error("Checksum.ini line {line}: {key}={value:?} is not a 16-bit hex value such as 0x7EAD")]
    BadValue {
        /// 1-based line.
        line: usize,
        /// The key.
        key: String,
        /// The text found.
        value: String,
    },
    /// A line that is neither a section, a `key=value` pair, a comment nor blank.
    #[error("Checksum.ini line {line} is not `[section]` or `key=value`: {text:?}")]
    BadLine {
        /// 1-based line.
        line: usize,
        /// The line.
        text: String,
    },
    /// No `[CheckSum]` section at all.
    #[error("Checksum.ini has no [CheckSum] section, so no image can be verified")]
    NoChecksumSection,
}

impl Advice for ChecksumError {
    fn help(&self) -> String {
        "the Checksum.ini is damaged: take it again from the ROM, or regenerate it with SP Flash \
         Tool's checksum generator from the images you trust"
            .into()
    }

    fn is_bad_input(&self) -> bool {
        true
    }
}

/// Parses the text of a Checksum.ini (CRLF, BOM, `;`/`#` comments and blank lines allowed).
pub fn parse_ini(text: &str) -> Result<ChecksumIni, ChecksumError> {
    let mut ini = ChecksumIni {
        version: None,
        tool: None,
        enabled: true,
        entries: Vec::new(),
    };
    let mut section = String::new();
    let mut saw_checksum = false;
    for (i, raw) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line = i + 1;
        let text = raw.trim();
        if text.is_empty() || text.starts_with(';') || text.starts_with('#') {
            continue;
        }
        if let Some(name) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            saw_checksum |= section == "checksum";
            continue;
        }
        let Some((key, value)) = text.split_once('=') else {
            return Err(ChecksumError::BadLine {
                line,
                text: text.into(),
            });
        };
        let (key, value) = (key.trim(), value.trim());
        match (section.as_str(), key.to_ascii_uppercase().as_str()) {
            ("version", "VERSION") => ini.version = Some(value.into()),
            ("version", "TOOL") => ini.tool = Some(value.into()),
            ("isenablechecksum", "CHECKSUM_SWITCH") => ini.enabled = value != "0",
            ("checksum", _) => {
                let digits = value
                    .strip_prefix("0x")
                    .or_else(|| value.strip_prefix("0X"))
                    .unwrap_or(value);
                let parsed = u32::from_str_radix(digits, 16)
                    .ok()
                    .filter(|v| *v <= 0xFFFF && !digits.is_empty());
                let Some(v) = parsed else {
                    return Err(ChecksumError::BadValue {
                        line,
                        key: key.into(),
                        value: value.into(),
                    });
                };
                ini.entries.push((key.into(), v as u16));
            }
            _ => {}
        }
    }
    if !saw_checksum {
        return Err(ChecksumError::NoChecksumSection);
    }
    Ok(ini)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sum_wraps_at_16_bits() {
        assert_eq!(checksum16(&[]), 0);
        assert_eq!(checksum16(&[0xFF; 257]), ((255u32 * 257) & 0xFFFF) as u16);
        let mut c = Checksum16::default();
        c.update(&[1, 2]);
        c.update(&[3]);
        assert_eq!(c.value(), 6);
    }

    #[test]
    fn parses_sections_and_ignores_case_on_lookup() {
        let ini = parse_ini(
            "\u{feff}[VERSION]\r\nVERSION=V1\r\nTOOL=v5.1540.00\r\n[IsEnableChecksum]\r\n\
             CHECKSUM_SWITCH=0\r\n[CheckSum]\r\npreloader=0x7EAD\r\nsystem_a=0x886\r\n",
        )
        .unwrap();
        assert_eq!(ini.tool.as_deref(), Some("v5.1540.00"));
        assert!(!ini.enabled);
        assert_eq!(ini.lookup("PRELOADER"), Some(0x7EAD));
        assert_eq!(ini.lookup("system_a"), Some(0x886));
        assert_eq!(ini.lookup("UBOOT"), None);
    }

    #[test]
    fn reports_the_line_of_a_bad_value() {
        let err = parse_ini("[CheckSum]\nlk=0x5FFB\nboot=0x123456\n").unwrap_err();
        assert_eq!(
            err,
            ChecksumError::BadValue {
                line: 3,
                key: "boot".into(),
                value: "0x123456".into()
            }
        );
        assert!(parse_ini("[CheckSum]\nlk=\n").is_err());
        assert!(matches!(
            parse_ini("[CheckSum]\ngarbage\n"),
            Err(ChecksumError::BadLine { line: 2, .. })
        ));
        assert_eq!(
            parse_ini("[VERSION]\n"),
            Err(ChecksumError::NoChecksumSection)
        );
    }
}
