//! Where mtkbench keeps its files: config, data, cache and logs.
//!
//! Defaults come from the `directories` crate (XDG on Linux); each one can be moved by an
//! environment variable so that tests and scripts never touch a technician's real folders.
//! This module only computes paths; it creates a folder only when asked through
//! [`Places::ensure`].

use std::path::{Path, PathBuf};

use crate::error::HostError;

/// Environment variable that moves the config folder (`config.toml`, user profiles).
pub const ENV_CONFIG: &str = "MTKBENCH_CONFIG_DIR";
/// Environment variable that moves the data folder (library, backups, journal).
pub const ENV_DATA: &str = "MTKBENCH_DATA_DIR";
/// Environment variable that moves the cache folder (library index).
pub const ENV_CACHE: &str = "MTKBENCH_CACHE_DIR";
/// Environment variable that moves the log folder.
pub const ENV_LOG: &str = "MTKBENCH_LOG_DIR";
/// Environment variable that points at the ROM library folder.
pub const ENV_LIBRARY: &str = "MTKBENCH_LIBRARY";

/// The four folders mtkbench uses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Places {
    /// `config.toml` and user board profiles (`profiles/`).
    pub config: PathBuf,
    /// ROM library, backups and the repair journal.
    pub data: PathBuf,
    /// Library index and other files that can be rebuilt.
    pub cache: PathBuf,
    /// Log files.
    pub logs: PathBuf,
}

impl Places {
    /// Resolves the folders from the environment, falling back to the platform defaults, and
    /// to `./.mtkbench/` when the platform has no home folder at all.
    pub fn from_env() -> Places {
        Places::resolve(|k| std::env::var_os(k).map(PathBuf::from))
    }

    /// Resolves the folders with `lookup` standing in for the environment (pure; for tests).
    pub fn resolve(lookup: impl Fn(&str) -> Option<PathBuf>) -> Places {
        let dirs = directories::ProjectDirs::from("", "", "mtkbench");
        let fallback = PathBuf::from(".mtkbench");
        let default = |pick: fn(&directories::ProjectDirs) -> PathBuf, sub: &str| match &dirs {
            Some(d) => pick(d),
            None => fallback.join(sub),
        };
        let data =
            lookup(ENV_DATA).unwrap_or_else(|| default(|d| d.data_dir().to_path_buf(), "data"));
        Places {
            config: lookup(ENV_CONFIG)
                .unwrap_or_else(|| default(|d| d.config_dir().to_path_buf(), "config")),
            cache: lookup(ENV_CACHE)
                .unwrap_or_else(|| default(|d| d.cache_dir().to_path_buf(), "cache")),
            logs: lookup(ENV_LOG).unwrap_or_else(|| data.join("logs")),
            data,
        }
    }

    /// The default ROM library folder: `MTKBENCH_LIBRARY`, else `<data>/library`.
    pub fn library(&self) -> PathBuf {
        std::env::var_os(ENV_LIBRARY)
            .map(PathBuf::from)
            .unwrap_or_else(|| self.data.join("library"))
    }

    /// Folder of the customers' job sheets the workstation writes: `<data>/sheets`.
    pub fn sheets(&self) -> PathBuf {
        self.data.join("sheets")
    }

    /// Folder of the technician's own board profiles.
    pub fn user_profiles(&self) -> PathBuf {
        self.config.join("profiles")
    }

    /// Creates `dir` (and its parents) if missing.
    pub fn ensure(dir: &Path) -> Result<(), HostError> {
        std::fs::create_dir_all(dir).map_err(|e| HostError::io("create folder", dir, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_folder_follows_its_variable() {
        let p = Places::resolve(|k| Some(PathBuf::from(format!("/x/{k}"))));
        assert_eq!(p.config, PathBuf::from("/x/MTKBENCH_CONFIG_DIR"));
        assert_eq!(p.data, PathBuf::from("/x/MTKBENCH_DATA_DIR"));
        assert_eq!(p.cache, PathBuf::from("/x/MTKBENCH_CACHE_DIR"));
        assert_eq!(p.logs, PathBuf::from("/x/MTKBENCH_LOG_DIR"));
    }

    #[test]
    fn logs_default_inside_data_when_only_data_is_moved() {
        let p = Places::resolve(|k| (k == ENV_DATA).then(|| PathBuf::from("/d")));
        assert_eq!(p.logs, PathBuf::from("/d/logs"));
        assert_ne!(p.config, PathBuf::from("/d"));
    }
}
