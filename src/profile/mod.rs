//! Board profiles: what a workshop knows about one MT6572 board, as strictly checked data.
//!
//! A profile is a TOML file (`profiles/*.toml` for the builtins, `<config>/profiles/*.toml` for
//! the technician's own; the format is documented in `profiles/README.md`). Parsing is strict:
//! unknown keys are errors, addresses and sizes are hex strings ([`hex`]). A parsed profile then
//! goes through [`BoardProfile::validate`], a list of small named checks. [`Registry`] holds
//! the builtins and the user's profiles, which pass the same checks.
//!
//! Knows no phone: must never import `device` or `transport`. File reading happens only in
//! [`registry`]; everything else is pure.

mod check;
mod error;
pub mod hex;
pub mod matching;
pub mod registry;

use serde::{Deserialize, Serialize};

use crate::firmware::{board::BoardFacts, facts::LayoutEntry, scatter::Region};

pub use self::{
    error::{ProfileError, ProfileProblem},
    registry::{Origin, RegisteredProfile, Registry},
};

/// Everything a workshop knows about one board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardProfile {
    /// Unique id, lower case `[a-z0-9_]+`; the file is named `<id>.toml`.
    pub id: String,
    /// True for a reference profile built from vendor tables rather than from one retail board.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reference: bool,
    /// Names the board is sold under ("Lenovo A516").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Markings a technician can read off the PCB.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pcb_markings: Vec<String>,
    /// MediaTek project codenames (`a516_row`), lower case.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
    /// RAM size in bytes, where known.
    #[serde(default, with = "hex::option", skip_serializing_if = "Option::is_none")]
    pub ram_size: Option<u64>,
    /// The partitions that hold the phone's identity; must equal [`crate::firmware::NVRAM_SET`].
    pub nvram_set: Vec<String>,
    /// Free text: how the facts were found, disagreements between sources, warnings.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub notes: String,
    /// Partitions of the eMMC user area (or of the whole NAND array), in address order.
    pub layout: Vec<Partition>,
    /// Storage type and geometry.
    pub storage: Storage,
    /// The display (LCM) drivers the board's firmware needs.
    pub lcm: Lcm,
    /// The preloader known to boot this board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preloader: Option<Preloader>,
    /// How to bring this board into download mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download: Option<DownloadMode>,
    /// Where the facts come from.
    pub sources: Vec<Source>,
}

/// eMMC or NAND: the shared kind of [`crate::firmware::storage`].
pub use crate::firmware::storage::StorageKind;

/// Storage type and geometry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// `emmc` or `nand`.
    #[serde(
        rename = "type",
        serialize_with = "StorageKind::serialize_lower",
        deserialize_with = "StorageKind::deserialize_lower"
    )]
    pub kind: StorageKind,
    /// eMMC only (required there): the space the boot region takes in scatter linear addresses,
    /// i.e. the scatter's PRELOADER size. User offset = linear address − this. A simulated phone
    /// uses it as the size of EMMC_BOOT_1.
    #[serde(default, with = "hex::option", skip_serializing_if = "Option::is_none")]
    pub boot_region_size: Option<u64>,
    /// Erase block size (scatter `block_size`); required for NAND.
    #[serde(default, with = "hex::option", skip_serializing_if = "Option::is_none")]
    pub block_size: Option<u64>,
    /// NAND page size (required for NAND, refused for eMMC).
    #[serde(default, with = "hex::option", skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u64>,
    /// Size of the bad-block management pool reserved at the end of the storage.
    #[serde(default, with = "hex::option", skip_serializing_if = "Option::is_none")]
    pub bmt_pool_size: Option<u64>,
}

/// One partition of the layout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// Scatter name, upper case (`NVRAM`, `ANDROID`).
    pub name: String,
    /// Offset in the eMMC user area (NAND: in the array).
    #[serde(with = "hex")]
    pub offset: u64,
    /// Size in bytes; `0x0` only for the last partition, meaning "to the end of the storage".
    #[serde(with = "hex")]
    pub size: u64,
    /// The `sources[].path` this partition was taken from, when it is not the profile's scatter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Partition {
    /// First byte after the partition (saturating; equals `offset` for a 0-size partition).
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.size)
    }

    /// True when the partition belongs to the NVRAM set (identity and calibration).
    pub fn is_nvram(&self) -> bool {
        crate::firmware::is_nvram_set(&self.name)
    }
}

/// The display drivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lcm {
    /// LCM driver names the firmware must contain (one of them drives the panel).
    #[serde(default)]
    pub drivers: Vec<String>,
    /// Set to true, with no drivers, when the panel is not known.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unknown: bool,
    /// The driver seen running on a real unit, when recorded; must be one of `drivers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_running: Option<String>,
    /// Panel resolution `WIDTHxHEIGHT`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
}

/// The preloader known to boot this board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preloader {
    /// Project the preloader was built for (`preloader_<project>.bin`).
    pub project: String,
    /// The NN of `MTK_BLOADER_INFO_vNN` in the preloader (EMI settings version), when seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bloader_info_version: Option<u32>,
    /// The RAM parts the board's preloader can set up (its EMI table), when recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ram_parts: Vec<crate::firmware::emi::RamPart>,
}

/// How to reach download mode on this board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DownloadMode {
    /// Keys to hold while plugging USB in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// Where the BROM test point is, for a board that no longer boots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_point: Option<String>,
    /// Anything else known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Where some of the profile's facts come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The document: for builtins a path inside the `realdata` sample folder; for your own
    /// profiles anything you can find again.
    pub path: String,
    /// The public origin (repository, commit, path), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Which facts it gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl BoardProfile {
    /// Parses and checks a profile. `file` is how the file is named in messages (for a user
    /// file its path); its stem must equal the profile's id.
    pub fn from_toml(file: &str, text: &str) -> Result<BoardProfile, ProfileError> {
        let profile = Self::parse_unchecked(file, text)?;
        let mut problems = profile.validate();
        problems.extend(check::file_name_matches_id(file, &profile));
        if problems.is_empty() {
            Ok(profile)
        } else {
            Err(ProfileError::Invalid {
                file: file.to_string(),
                problems,
            })
        }
    }

    /// Parses a profile without running the checks (syntax and schema errors only).
    pub fn parse_unchecked(file: &str, text: &str) -> Result<BoardProfile, ProfileError> {
        let position = |span: Option<std::ops::Range<usize>>| line_column(text, span);
        let de = toml::Deserializer::parse(text).map_err(|e| {
            let (line, column) = position(e.span());
            ProfileError::Syntax {
                file: file.to_string(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        serde_path_to_error::deserialize(de).map_err(|e| {
            // serde_path_to_error writes the document itself as "."
            let field = match e.path().to_string() {
                dot if dot == "." => "top level".to_string(),
                path => path,
            };
            let inner = e.into_inner();
            let (line, column) = position(inner.span());
            let message = inner.message().trim().to_string();
            if message.starts_with("unknown field") {
                ProfileError::UnknownField {
                    file: file.to_string(),
                    field,
                    line,
                    column,
                    message,
                }
            } else {
                ProfileError::Schema {
                    file: file.to_string(),
                    field,
                    line,
                    column,
                    message,
                }
            }
        })
    }

    /// Runs every check and returns the problems found (empty when the profile is sound).
    pub fn validate(&self) -> Vec<ProfileProblem> {
        check::run_all(self)
    }

    /// Writes the profile back as TOML (hex values in lower case).
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }

    /// The partition called `name` (any case).
    pub fn partition(&self, name: &str) -> Option<&Partition> {
        self.layout
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// The partitions of the NVRAM set, in layout order.
    pub fn nvram_partitions(&self) -> impl Iterator<Item = &Partition> {
        self.layout.iter().filter(|p| p.is_nvram())
    }

    /// The smallest user area (NAND: array) the layout fits in: the end of the last partition.
    /// A last partition of size 0 ("to the end") counts as empty.
    pub fn total_user_size(&self) -> u64 {
        self.layout.iter().map(Partition::end).max().unwrap_or(0)
    }
}

/// 1-based line and column of the start of `span` in `text` (1, 1 when unknown).
fn line_column(text: &str, span: Option<std::ops::Range<usize>>) -> (usize, usize) {
    let Some(start) = span.map(|s| s.start.min(text.len())) else {
        return (1, 1);
    };
    let before = text.get(..start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl From<&BoardProfile> for BoardFacts {
    /// The facts a board profile records.
    fn from(profile: &BoardProfile) -> BoardFacts {
        let storage = profile.storage.kind;
        let region = match storage {
            StorageKind::Emmc => Region::EmmcUser,
            StorageKind::Nand => Region::Nand,
        };
        BoardFacts {
            origin: format!("profile {}", profile.id),
            storage: Some(storage),
            preloader_project: profile.preloader.as_ref().map(|p| p.project.clone()),
            emi_version: profile
                .preloader
                .as_ref()
                .and_then(|p| p.bloader_info_version),
            boot_region_size: profile.storage.boot_region_size,
            layout: profile
                .layout
                .iter()
                .map(|p| LayoutEntry {
                    name: p.name.clone(),
                    region,
                    region_offset: p.offset,
                    size: (p.size > 0).then_some(p.size),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
id = "demo"
projects = ["demo"]
nvram_set = ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]
layout = [
  { name = "MBR",       offset = "0x0",       size = "0x80000" },
  { name = "EBR1",      offset = "0x80000",   size = "0x80000" },
  { name = "PRO_INFO",  offset = "0x100000",  size = "0x300000" },
  { name = "NVRAM",     offset = "0x400000",  size = "0x500000" },
  { name = "PROTECT_F", offset = "0x900000",  size = "0xA00000" },
  { name = "PROTECT_S", offset = "0x1300000", size = "0xa00000" },
  { name = "USRDATA",   offset = "0x1d00000", size = "0x0" },
]
[storage]
type = "emmc"
boot_region_size = "0x600000"
[lcm]
unknown = true
[[sources]]
path = "bench notes"
"#;

    #[test]
    fn minimal_profile_parses_and_validates() {
        let p = BoardProfile::from_toml("demo.toml", MINIMAL).unwrap();
        assert_eq!(p.storage.boot_region_size, Some(0x60_0000));
        assert_eq!(p.partition("nvram").unwrap().offset, 0x40_0000);
        let nv: Vec<_> = p.nvram_partitions().map(|p| p.name.as_str()).collect();
        assert_eq!(nv, ["PRO_INFO", "NVRAM", "PROTECT_F", "PROTECT_S"]);
        assert_eq!(p.total_user_size(), 0x1d0_0000);
    }

    #[test]
    fn round_trips_through_toml_with_lower_case_hex() {
        let p = BoardProfile::from_toml("demo.toml", MINIMAL).unwrap();
        let text = p.to_toml().unwrap();
        assert!(text.contains("\"0xa00000\""), "{text}");
        assert!(!text.contains("0xA00000"));
        assert_eq!(BoardProfile::from_toml("demo.toml", &text).unwrap(), p);
    }

    #[test]
    fn errors_carry_field_path_and_position() {
        let text = MINIMAL.replace("size = \"0x500000\"", "size = \"500000\"");
        let e = BoardProfile::from_toml("demo.toml", &text).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("demo.toml: layout[3].size: `500000` is not a hex value"),
            "{msg}"
        );
        assert!(msg.contains("line 9, column"), "{msg}");

        let e = BoardProfile::from_toml("demo.toml", "id = [").unwrap_err();
        assert!(matches!(e, ProfileError::Syntax { line: 1, .. }), "{e}");
    }

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column("ab\ncd", Some(4..5)), (2, 2));
        assert_eq!(line_column("ab", None), (1, 1));
    }
}
