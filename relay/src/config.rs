//! Relay configuration: built-in defaults, then a TOML file, then environment variables
//! and command-line flags (those two are layered by clap in `main.rs`).
//!
//! `docs/configuration.md` documents every key; `docs/relay.example.toml` is parsed by a
//! test so it can't drift from this file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chathulp_shared::{ServiceId, limits};
use serde::{Deserialize, Serialize};

use crate::hours::{ClosureConfig, HoursError, OpeningHours, WindowConfig};

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on for HTTPS and WebSockets.
    pub listen: SocketAddr,
    /// Where the database and (in dev mode) the certificate live. Defaults to the
    /// platform data folder (`directories`).
    pub data_dir: Option<PathBuf>,
    /// Time zone of all opening hours.
    pub timezone: String,
    pub tls: TlsConfig,
    pub limits: Limits,
    pub services: Vec<ServiceConfig>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM file with the certificate chain, leaf first.
    pub cert: Option<PathBuf>,
    /// PEM file with the private key (PKCS#8, SEC1 or PKCS#1).
    pub key: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Longest chat message, in bytes of UTF-8. Longer gets a `too_large` error.
    pub max_text_bytes: usize,
    /// Largest WebSocket message read. Larger closes the socket with 1009.
    pub max_frame_bytes: usize,
    /// Seconds a new socket has to send `hello` / `login` before it is closed.
    pub first_frame_deadline_secs: u64,
    /// Seconds a TLS handshake may take before the connection is dropped.
    pub tls_handshake_deadline_secs: u64,
    /// Conversations a counselor may hold at once.
    pub counselor_capacity: u32,
    /// Hours a staff session token stays valid.
    pub session_hours: u32,
    /// Frames queued for one slow client before it is disconnected.
    pub send_queue_frames: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_text_bytes: limits::MAX_TEXT_BYTES,
            max_frame_bytes: limits::MAX_FRAME_BYTES,
            first_frame_deadline_secs: 10,
            tls_handshake_deadline_secs: 10,
            counselor_capacity: 3,
            session_hours: 12,
            send_queue_frames: 1024,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    pub id: ServiceId,
    /// Shown to visitors and staff, e.g. "CAW online".
    pub name: String,
    /// Offered to visitors when the chat is busy or offline.
    pub email: String,
    /// Where visitors find other contact details.
    #[serde(default)]
    pub contact_url: String,
    /// Opening hours in words, shown on the page.
    pub hours_text: String,
    /// Longest queue before the service counts as busy (when every counselor is full).
    #[serde(default = "default_max_queue")]
    pub max_queue: usize,
    pub hours: Vec<WindowConfig>,
    #[serde(default)]
    pub closures: Vec<ClosureConfig>,
}

fn default_max_queue() -> usize {
    20
}

impl Default for Config {
    fn default() -> Self {
        let weekdays = |to: &str| {
            vec![WindowConfig {
                days: "mon-fri".into(),
                from: "13:00".into(),
                to: to.into(),
            }]
        };
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            data_dir: None,
            timezone: "Europe/Brussels".into(),
            tls: TlsConfig::default(),
            limits: Limits::default(),
            services: vec![
                ServiceConfig {
                    id: ServiceId("caw".into()),
                    name: "CAW online".into(),
                    email: "info@caw.be".into(),
                    contact_url: "http://www.caw.be/zoek-je-hulp".into(),
                    hours_text: "werkdagen 13.00 tot 17.00".into(),
                    max_queue: default_max_queue(),
                    hours: weekdays("17:00"),
                    closures: Vec::new(),
                },
                ServiceConfig {
                    id: ServiceId("jac".into()),
                    name: "JAC online".into(),
                    email: "info@caw.be".into(),
                    contact_url: "https://www.caw.be/jac/contacteer-ons/".into(),
                    hours_text: "werkdagen 13.00 tot 19.00".into(),
                    max_queue: default_max_queue(),
                    hours: weekdays("19:00"),
                    closures: Vec::new(),
                },
            ],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("service {service}: {source}")]
    Hours {
        service: ServiceId,
        source: HoursError,
    },
    #[error("service id {0} appears twice")]
    DuplicateService(ServiceId),
    #[error("no services configured")]
    NoServices,
    #[error("limits.{0} must be greater than zero")]
    ZeroLimit(&'static str),
}

impl Config {
    /// Defaults for `--dev`: every service open around the clock, so a developer can try a
    /// conversation at any hour. Everything else is the production default.
    pub fn dev() -> Self {
        let mut config = Self::default();
        for service in &mut config.services {
            service.hours = vec![WindowConfig {
                days: "mon-sun".into(),
                from: "00:00".into(),
                to: "24:00".into(),
            }];
            service.hours_text = "dag en nacht (ontwikkelmodus)".into();
        }
        config
    }

    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        config.validate()?;
        Ok(config)
    }

    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Checks everything that can be checked before starting: hours parse, ids unique,
    /// limits positive.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.services.is_empty() {
            return Err(ConfigError::NoServices);
        }
        for (i, s) in self.services.iter().enumerate() {
            if self.services[..i].iter().any(|o| o.id == s.id) {
                return Err(ConfigError::DuplicateService(s.id.clone()));
            }
            self.opening_hours(s)?;
        }
        let l = &self.limits;
        for (name, value) in [
            ("max_text_bytes", l.max_text_bytes),
            ("max_frame_bytes", l.max_frame_bytes),
            ("send_queue_frames", l.send_queue_frames),
            ("counselor_capacity", l.counselor_capacity as usize),
        ] {
            if value == 0 {
                return Err(ConfigError::ZeroLimit(name));
            }
        }
        Ok(())
    }

    pub fn opening_hours(&self, s: &ServiceConfig) -> Result<OpeningHours, ConfigError> {
        OpeningHours::new(&self.timezone, &s.hours, &s.closures).map_err(|source| {
            ConfigError::Hours {
                service: s.id.clone(),
                source,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_dev_defaults_are_valid() {
        Config::default().validate().unwrap();
        Config::dev().validate().unwrap();
    }

    #[test]
    fn example_config_in_docs_parses_and_matches_the_documented_services() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/relay.example.toml");
        let config = Config::load(&path).unwrap();
        let ids: Vec<_> = config.services.iter().map(|s| s.id.0.as_str()).collect();
        assert_eq!(ids, ["caw", "jac"]);
        assert_eq!(config.limits.max_text_bytes, 4096);
        assert!(config.tls.cert.is_some());
    }

    #[test]
    fn unknown_keys_and_bad_hours_are_refused() {
        let p = Path::new("x.toml");
        let err = Config::from_toml("lisen = \"127.0.0.1:1\"", p).unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
        let bad = r#"
            [[services]]
            id = "caw"
            name = "CAW"
            email = "a@b"
            hours_text = "x"
            hours = [{ days = "mon", from = "25:00", to = "26:00" }]
        "#;
        assert!(matches!(
            Config::from_toml(bad, p),
            Err(ConfigError::Hours { .. })
        ));
    }
}
