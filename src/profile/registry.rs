//! The profiles mtkbench knows: the builtins compiled into the binary, plus the technician's
//! own files from the config folder, which pass the same checks and override a builtin with
//! the same id.
//!
//! This is the only part of `profile` that reads files. A bad user file is reported, never
//! fatal for the others.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{BoardProfile, ProfileError};
use crate::error::HostError;

/// The shipped profiles: file name in `profiles/` and text. `tests/profiles.rs` checks that
/// this list and the folder hold the same files.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    ("a101.toml", include_str!("../../profiles/a101.toml")),
    (
        "a516_row.toml",
        include_str!("../../profiles/a516_row.toml"),
    ),
    (
        "altek72_we_jb3.toml",
        include_str!("../../profiles/altek72_we_jb3.toml"),
    ),
    (
        "konka72_i128_emmc.toml",
        include_str!("../../profiles/konka72_i128_emmc.toml"),
    ),
    ("pe900s.toml", include_str!("../../profiles/pe900s.toml")),
    (
        "ref_nand_2k.toml",
        include_str!("../../profiles/ref_nand_2k.toml"),
    ),
    ("s4050ap.toml", include_str!("../../profiles/s4050ap.toml")),
    (
        "up40_h405f_meo.toml",
        include_str!("../../profiles/up40_h405f_meo.toml"),
    ),
    ("yarisl.toml", include_str!("../../profiles/yarisl.toml")),
];

/// Where a registered profile came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// Compiled in from `profiles/<file>`.
    Builtin {
        /// File name, e.g. `profiles/a516_row.toml`.
        file: String,
    },
    /// Loaded from the user's profile folder.
    User {
        /// The file.
        path: PathBuf,
        /// True when it replaces a builtin with the same id.
        overrides_builtin: bool,
    },
}

/// A profile together with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredProfile {
    /// The profile.
    pub profile: BoardProfile,
    /// Builtin or user file.
    pub origin: Origin,
}

/// The outcome of reading one `.toml` file of a folder.
#[derive(Debug)]
pub struct LoadedFile {
    /// The file.
    pub path: PathBuf,
    /// The checked profile, or why it was refused.
    pub result: Result<BoardProfile, ProfileError>,
}

/// All known profiles, sorted by id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    entries: Vec<RegisteredProfile>,
}

impl Registry {
    /// The builtin profiles. A builtin that fails its checks is logged and left out;
    /// `tests/profiles.rs` proves that none does.
    pub fn builtin() -> Registry {
        let mut entries = Vec::new();
        for (name, text) in BUILTIN_FILES {
            let file = format!("profiles/{name}");
            match BoardProfile::from_toml(&file, text) {
                Ok(profile) => entries.push(RegisteredProfile {
                    profile,
                    origin: Origin::Builtin { file },
                }),
                Err(e) => tracing::error!(error = %e, "builtin profile refused"),
            }
        }
        let mut registry = Registry { entries };
        registry.sort();
        registry
    }

    /// The builtins plus every valid `*.toml` in `user_dir`; a user profile replaces the
    /// builtin with the same id. Returns the problems of the files that were refused. A
    /// missing `user_dir` simply means no user profiles.
    pub fn load(user_dir: &Path) -> (Registry, Vec<ProfileError>) {
        let mut registry = Registry::builtin();
        let files = match read_dir_profiles(user_dir) {
            Ok(files) => files,
            Err(ProfileError::Host(HostError::Io { source, .. }))
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                return (registry, Vec::new());
            }
            Err(e) => return (registry, vec![e]),
        };
        let mut errors = Vec::new();
        for file in files {
            match file.result {
                Ok(profile) => registry.add_user(profile, file.path),
                Err(e) => errors.push(e),
            }
        }
        registry.sort();
        (registry, errors)
    }

    fn add_user(&mut self, profile: BoardProfile, path: PathBuf) {
        let builtin = self.entries.iter().position(|e| e.profile.id == profile.id);
        let entry = RegisteredProfile {
            profile,
            origin: Origin::User {
                path,
                overrides_builtin: builtin.is_some(),
            },
        };
        match builtin {
            Some(i) => self.entries[i] = entry,
            None => self.entries.push(entry),
        }
    }

    fn sort(&mut self) {
        self.entries.sort_by(|a, b| a.profile.id.cmp(&b.profile.id));
    }

    /// The profile with this id.
    pub fn get(&self, id: &str) -> Option<&RegisteredProfile> {
        self.entries.iter().find(|e| e.profile.id == id)
    }

    /// Like [`Registry::get`], but a miss becomes [`ProfileError::NotFound`] with the ids whose
    /// id, names or projects contain the request (any case), or that it contains.
    pub fn require(&self, id: &str) -> Result<&RegisteredProfile, ProfileError> {
        self.get(id).ok_or_else(|| {
            let want = id.to_lowercase();
            let resembles = |s: &str| {
                let s = s.to_lowercase();
                !want.is_empty() && (s.contains(&want) || want.contains(&s))
            };
            let suggestions = self
                .iter()
                .filter(|e| {
                    let p = &e.profile;
                    resembles(&p.id)
                        || p.names.iter().any(|n| resembles(n))
                        || p.projects.iter().any(|n| resembles(n))
                })
                .map(|e| e.profile.id.clone())
                .collect();
            ProfileError::NotFound {
                id: id.to_string(),
                suggestions,
            }
        })
    }

    /// Every profile, sorted by id.
    pub fn iter(&self) -> impl Iterator<Item = &RegisteredProfile> {
        self.entries.iter()
    }

    /// Number of profiles.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no profile at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Reads and checks every `*.toml` directly in `dir`, sorted by file name. Ids are unique
/// because each file must be named after its id. Fails only when the folder itself cannot be
/// read.
pub fn read_dir_profiles(dir: &Path) -> Result<Vec<LoadedFile>, ProfileError> {
    let read_err = |e| ProfileError::Host(HostError::io("read folder", dir, e));
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let label = path.display().to_string();
        let result = std::fs::read_to_string(&path)
            .map_err(|e| ProfileError::Host(HostError::io("read", &path, e)))
            .and_then(|text| BoardProfile::from_toml(&label, &text));
        files.push(LoadedFile { path, result });
    }
    Ok(files)
}
