//! The app's own settings file, `config.toml` in the config folder: which events ring the
//! terminal bell and flash the screen.
//!
//! The config folder is `CHATHULP_APP_DIR` (or `--data-dir`) when given, so a test or a
//! second profile keeps everything in one place, and otherwise the config folder from
//! `directories` (`~/.config/chathulp` on Linux). A missing file means the defaults; a
//! file that does not parse stops the app at start with the file, line and reason.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The name of the settings file in the config folder.
pub const FILE: &str = "config.toml";

/// The config folder: the app folder given on the command line, or the platform's.
pub fn config_dir(app_dir: Option<&Path>) -> Option<PathBuf> {
    app_dir.map(Path::to_owned).or_else(|| {
        directories::ProjectDirs::from("be", "chathulp", "chathulp")
            .map(|d| d.config_dir().to_owned())
    })
}

/// Everything in `config.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppConfig {
    pub notifications: Notifications,
}

/// Which events ring the bell and flash the notice line. All on unless switched off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Notifications {
    /// A visitor joins a queue that was empty.
    pub queue: bool,
    /// A visitor's message arrives in a conversation that is not in view.
    pub message: bool,
    /// An emergency: a reveal request is flagged or answered.
    pub emergency: bool,
}

impl Default for Notifications {
    fn default() -> Self {
        Self {
            queue: true,
            message: true,
            emergency: true,
        }
    }
}

/// Why the settings file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: String,
        source: toml::de::Error,
    },
}

impl AppConfig {
    /// Reads `config.toml` from `dir`; no file means the defaults.
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        let path = dir.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).map_err(|source| ConfigError::Parse {
                path: path.display().to_string(),
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_rings_by_default_and_each_can_be_switched_off() {
        assert_eq!(AppConfig::parse("").unwrap(), AppConfig::default());
        let config = AppConfig::parse("[notifications]\nmessage = false\n").unwrap();
        assert_eq!(
            config.notifications,
            Notifications {
                queue: true,
                message: false,
                emergency: true,
            }
        );
    }

    #[test]
    fn a_misspelt_setting_is_an_error_that_names_it() {
        let err = AppConfig::parse("[notifications]\nmesage = false\n").unwrap_err();
        assert!(err.to_string().contains("mesage"), "{err}");
    }

    #[test]
    fn a_missing_file_is_the_defaults_and_a_broken_one_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(AppConfig::load(dir.path()).unwrap(), AppConfig::default());
        std::fs::write(dir.path().join(FILE), "[notifications\n").unwrap();
        let err = AppConfig::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("config.toml"), "{err}");
    }
}
