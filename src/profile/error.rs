//! What can go wrong with a board profile: a file that is not TOML, a field that does not fit
//! the schema, a check that fails, an id nobody knows.
//!
//! Every message starts with the file it is about; schema and check messages also name the
//! field (`layout[3].size`). No I/O happens here.

use std::path::PathBuf;

use serde::Serialize;

use crate::{Advice, error::HostError};

/// One failed check of [`super::BoardProfile::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileProblem {
    /// Name of the check that failed (`partition_overlap`, `nvram_set_complete`, ...).
    pub check: &'static str,
    /// Path of the field in the file (`layout[3].size`, `storage.boot_region_size`).
    pub field: String,
    /// What is wrong and what the field should hold.
    pub message: String,
}

impl std::fmt::Display for ProfileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Errors of the profile layer.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file is not valid TOML.
    #[error("{file}: line {line}, column {column}: not valid TOML: {message}")]
    Syntax {
        /// The file, as shown to the user.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the TOML reader expected.
        message: String,
    },
    /// A key the profile format does not have (often a typo).
    #[error("{file}: {field}: {message} (line {line}, column {column})")]
    UnknownField {
        /// The file, as shown to the user.
        file: String,
        /// Path of the unknown key, e.g. `storage.colour`.
        field: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The reader's message, listing the keys that are allowed there.
        message: String,
    },
    /// A field has the wrong type or value, or a required field is missing.
    #[error("{file}: {field}: {message} (line {line}, column {column})")]
    Schema {
        /// The file, as shown to the user.
        file: String,
        /// Path of the field, e.g. `layout[2].size`.
        field: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file parses but fails one or more checks.
    #[error("{file}: {} problem(s):\n{}", problems.len(), list_problems(file, problems))]
    Invalid {
        /// The file, as shown to the user.
        file: String,
        /// Every failed check, in file order.
        problems: Vec<ProfileProblem>,
    },
    /// No profile has this id.
    #[error("no board profile has the id `{id}`{}", suggest(suggestions))]
    NotFound {
        /// The id asked for.
        id: String,
        /// Ids whose id, names or projects resemble the request.
        suggestions: Vec<String>,
    },
    /// `profiles check` found invalid files (each was already listed).
    #[error("{invalid} of {total} profile file(s) in {} have problems (listed above)", dir.display())]
    CheckFailed {
        /// The folder checked.
        dir: PathBuf,
        /// How many files failed.
        invalid: usize,
        /// How many files were checked.
        total: usize,
    },
    /// A profile folder or file could not be read.
    #[error(transparent)]
    Host(#[from] HostError),
}

fn list_problems(file: &str, problems: &[ProfileProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {file}: {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn suggest(ids: &[String]) -> String {
    if ids.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", ids.join(", "))
    }
}

impl ProfileError {
    /// The file the error is about, when it is about one file.
    pub fn file(&self) -> Option<&str> {
        match self {
            ProfileError::Syntax { file, .. }
            | ProfileError::UnknownField { file, .. }
            | ProfileError::Schema { file, .. }
            | ProfileError::Invalid { file, .. } => Some(file),
            _ => None,
        }
    }
}

impl Advice for ProfileError {
    fn help(&self) -> String {
        match self {
            ProfileError::Syntax { .. } => {
                "fix the TOML at that line (quotes, brackets, commas); profiles/README.md shows a complete example".into()
            }
            ProfileError::UnknownField { .. } => {
                "check the key's spelling against profiles/README.md; unknown keys are refused so that a typo never goes unnoticed".into()
            }
            ProfileError::Schema { .. } => {
                "write the field as profiles/README.md describes it (addresses and sizes as quoted hex strings, e.g. \"0x600000\")".into()
            }
            ProfileError::Invalid { .. } => {
                "correct the fields named above, then run `mtkbench profiles check` again".into()
            }
            ProfileError::NotFound { .. } => {
                "run `mtkbench profiles list` to see every known id".into()
            }
            ProfileError::CheckFailed { .. } => {
                "fix the files listed above; the other profiles still load and can be used".into()
            }
            ProfileError::Host(e) => e.help(),
        }
    }

    fn is_bad_input(&self) -> bool {
        match self {
            ProfileError::Host(e) => e.is_bad_input(),
            _ => true,
        }
    }
}
