//! The technician's settings file, `config.toml` in the config folder
//! ([`crate::places::Places::config`]).
//!
//! Today it remembers one thing: the last download-agent file that worked (`da = "..."`), so
//! `--da` need not be typed on every command. Parsing is strict (an unknown key is an error
//! that names the file and the key) and saving is atomic ([`crate::fsutil::write_atomic`]), so
//! a crash never leaves half a file. This module only reads and writes the file; it knows no
//! phone and no protocol.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{error::Advice, fsutil};

/// The file name inside the config folder.
pub const FILE_NAME: &str = "config.toml";

/// Everything `config.toml` may hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The last download-agent file (`MTK_AllInOne_DA.bin`) a device command loaded with
    /// success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub da: Option<PathBuf>,
}

/// Why `config.toml` could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read the settings file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has a key mtkbench does not know.
    #[error("the settings file {path} is not valid: {detail}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line where the TOML parser saw it.
        detail: String,
    },
    /// The settings could not be saved.
    #[error("cannot save the settings file: {0}")]
    Save(#[from] crate::error::HostError),
}

impl Advice for ConfigError {
    fn help(&self) -> String {
        match self {
            ConfigError::Read { .. } => {
                "check the permissions of the config folder, or move it with MTKBENCH_CONFIG_DIR"
                    .into()
            }
            ConfigError::Invalid { path, .. } => format!(
                "fix or delete {}: the only key it may hold is `da = \"/path/to/MTK_AllInOne_DA.bin\"`",
                path.display()
            ),
            ConfigError::Save(e) => e.help(),
        }
    }

    fn is_bad_input(&self) -> bool {
        matches!(self, ConfigError::Invalid { .. })
    }
}

impl Config {
    /// Path of `config.toml` inside the config folder `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE_NAME)
    }

    /// Parses the text of a settings file; `path` only names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            detail: e.to_string().trim_end().replace('\n', " "),
        })
    }

    /// Loads `config.toml` from the config folder `dir`; a missing file is the default.
    pub fn load(dir: &Path) -> Result<Config, ConfigError> {
        let path = Config::path(dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    /// Saves to `config.toml` in `dir` atomically (creating the folder if needed).
    pub fn save(&self, dir: &Path) -> Result<(), ConfigError> {
        let text = toml::to_string(self).map_err(|e| ConfigError::Invalid {
            path: Config::path(dir),
            detail: e.to_string(),
        })?;
        fsutil::write_atomic(&Config::path(dir), text.as_bytes())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_is_the_default() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Config::load(dir.path()).unwrap(), Config::default());
    }

    #[test]
    fn saves_and_loads_the_da_path() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("not/yet/there");
        let cfg = Config {
            da: Some(PathBuf::from("/opt/SP_Flash_Tool/MTK_AllInOne_DA.bin")),
        };
        cfg.save(&sub).unwrap();
        let text = std::fs::read_to_string(sub.join(FILE_NAME)).unwrap();
        assert_eq!(
            text.trim(),
            "da = \"/opt/SP_Flash_Tool/MTK_AllInOne_DA.bin\""
        );
        assert_eq!(Config::load(&sub).unwrap(), cfg);
    }

    #[test]
    fn unknown_key_is_refused_with_file_and_key() {
        let err = Config::parse(Path::new("/c/config.toml"), "da = \"x\"\nport = \"auto\"\n")
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/c/config.toml"), "{msg}");
        assert!(msg.contains("port"), "{msg}");
        assert!(err.is_bad_input());
        assert!(err.help().contains("da ="), "{}", err.help());
    }

    #[test]
    fn wrong_type_is_refused() {
        let err = Config::parse(Path::new("config.toml"), "da = 5\n").unwrap_err();
        assert!(matches!(err, ConfigError::Invalid { .. }), "{err}");
    }
}
