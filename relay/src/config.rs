//! Relay configuration: built-in defaults, then a TOML file, then environment variables
//! and command-line flags (those two are layered by clap in `main.rs`).
//!
//! `docs/configuration.md` documents every key; `docs/relay.example.toml` is parsed by a
//! test so it can't drift from this file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chathulp_shared::staff::CannedResponse;
use chathulp_shared::{ServiceId, SurveyKind, SurveyQuestion, limits};
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
    pub web: WebConfig,
    pub guidance: Guidance,
    pub services: Vec<ServiceConfig>,
    /// Prepared texts counselors insert with two keystrokes.
    pub canned: Vec<CannedResponse>,
    /// The optional post-chat survey. Empty: no survey.
    pub survey: Vec<SurveyQuestion>,
    pub wrapup: WrapUpConfig,
    pub blocks: Blocks,
    pub retention: Retention,
    pub store: StoreConfig,
    pub metrics: MetricsConfig,
    pub log: LogConfig,
    /// The leader lease, when several relays share one PostgreSQL store.
    pub leader: LeaderConfig,
}

/// Where conversations, accounts and the audit log are stored.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    pub backend: StoreBackend,
    /// `postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=require` when `backend` is
    /// `"postgres"` (`sslmode=verify-full&sslrootcert=CA.pem` checks the server).
    pub url: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StoreBackend {
    /// `chathulp.db` in the data folder: nothing to set up.
    #[default]
    Sqlite,
    /// A PostgreSQL database at `url`.
    Postgres,
}

impl StoreBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreBackend::Sqlite => "sqlite",
            StoreBackend::Postgres => "postgres",
        }
    }
}

/// How a relay on PostgreSQL keeps the leader lease (`relay/src/leader.rs`). Unused on
/// SQLite, where a relay is always alone.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LeaderConfig {
    /// How often a standby asks for the lease and the leader checks it still holds it:
    /// the most a standby waits after the leader's process died.
    pub check_interval_ms: u64,
    /// PostgreSQL frees the lease of a leader silent this long (a hung or stopped
    /// process, a vanished machine): the takeover time in those cases. At least three
    /// check intervals, so a busy leader is not dropped for one late check.
    pub lease_timeout_ms: u64,
    /// The longest a connection attempt to PostgreSQL for the lease may take.
    pub connect_timeout_ms: u64,
}

impl Default for LeaderConfig {
    fn default() -> Self {
        Self {
            check_interval_ms: 1000,
            lease_timeout_ms: 6000,
            connect_timeout_ms: 5000,
        }
    }
}

impl LeaderConfig {
    pub fn lease_settings(&self) -> crate::leader::LeaseSettings {
        use std::time::Duration;
        crate::leader::LeaseSettings {
            check_every: Duration::from_millis(self.check_interval_ms),
            expire_after: Duration::from_millis(self.lease_timeout_ms),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
        }
    }
}

/// The Prometheus endpoint (`/metrics`, see docs/operations.md).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address of the metrics listener (plain HTTP), e.g. `127.0.0.1:9464`. It is a
    /// listener of its own, never the public one. Absent: no metrics (the default; on
    /// in `--dev`).
    pub listen: Option<SocketAddr>,
}

/// The dev default of [`MetricsConfig::listen`].
pub const DEV_METRICS_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `text` (the default) or `json`: one JSON object a line, for a log collector.
    pub format: LogFormat,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The counselor's registration after a conversation (`wrap_up`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WrapUpConfig {
    /// Topic categories a counselor picks from; `wrap_up` accepts only these.
    pub topics: Vec<String>,
}

impl Default for WrapUpConfig {
    fn default() -> Self {
        let topics = [
            "Relaties en gezin",
            "Psychisch welzijn",
            "Zelfdoding",
            "Geweld en misbruik",
            "Verslaving",
            "Geld en schulden",
            "Wonen",
            "School en werk",
            "Seksualiteit",
            "Eenzaamheid",
            "Andere",
        ];
        Self {
            topics: topics.map(String::from).to_vec(),
        }
    }
}

/// How long a counselor's block keeps a visitor out.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Blocks {
    pub duration_hours: u32,
}

impl Default for Blocks {
    fn default() -> Self {
        Self { duration_hours: 8 }
    }
}

/// How long data is kept (the seed promises six months).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Days after its end that a conversation is purged entirely: transcript, intake,
    /// sealed address and its hash, survey, notes.
    pub days: u32,
    /// Days the audit log keeps its rows (that a reveal or block happened; never an IP).
    pub audit_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            days: 183,
            audit_days: 3650,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Origins (e.g. `https://www.caw.be`) whose pages may read `/api/status` (CORS), so
    /// the organisation's own site can show the same status dot on its chat button.
    pub status_cors_origins: Vec<String>,
    /// Reverse proxies (addresses or CIDR networks) whose `X-Forwarded-For` is believed.
    /// Empty: the TCP peer is the visitor's address.
    pub trusted_proxies: Vec<crate::forwarded::Network>,
    /// Load balancers (addresses or CIDR networks) that open every connection with a
    /// PROXY protocol v2 header (HAProxy's `send-proxy-v2`), which carries the visitor's
    /// address through a TLS passthrough. A connection from these must send one; from
    /// anywhere else a header is not read. Empty (the default): no PROXY protocol.
    pub proxy_protocol_from: Vec<crate::forwarded::Network>,
    /// Origins (e.g. `https://chat.caw.be`) whose pages may open the visitor WebSocket,
    /// besides the relay's own origin (`https://` + the request's Host), which is always
    /// allowed. Any other or a missing `Origin` gets 403, so another site can't open a
    /// chat in a visitor's browser.
    pub allowed_origins: Vec<String>,
}

/// The seed's "we proberen een chatgesprek na 1 uur af te ronden", for the counselor.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Guidance {
    /// Minutes after which the app warns that the hour is nearly up.
    pub warn_after_mins: u32,
    /// Minutes after which the app marks the conversation as over the hour.
    pub limit_mins: u32,
}

impl Default for Guidance {
    fn default() -> Self {
        Self {
            warn_after_mins: 50,
            limit_mins: 60,
        }
    }
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
    /// Seconds a dropped visitor or counselor keeps their conversation (the seed: "binnen
    /// de vijf minuten"). A visitor resumes with their token; a counselor signs in again.
    pub reconnect_window_secs: u64,
    /// Seconds between the relay's WebSocket pings.
    pub ping_interval_secs: u64,
    /// Messages a `conversation` snapshot carries at most; older scrollback is fetched
    /// with `history` and `before_seq`, so a long conversation costs the app no memory.
    pub snapshot_messages: u32,
    /// Seconds without any frame (pongs count) before a peer counts as gone.
    pub idle_timeout_secs: u64,
    /// Chat messages a visitor may send per second, on average. Faster gets a
    /// `rate_limited` error; nothing is stored and the conversation goes on.
    pub visitor_messages_per_sec: u32,
    /// Chat messages a visitor may send at once before the per-second rate applies.
    pub visitor_message_burst: u32,
    /// New visitor chats (`hello`) one network (IP address) may start per minute.
    /// Generous: a school or office behind one address must still get through.
    pub new_sessions_per_minute: u32,
    /// Visitor sockets one network (IP address) may hold open at once. More gets an
    /// error `rate_limited` and close 1013.
    pub connections_per_network: u32,
    /// Staff password checks (argon2, ~20 MiB each) that may run at the same time; more
    /// logins wait their turn.
    pub login_hashes_at_once: usize,
    /// Failed staff logins in a row one account name may have before each further
    /// failure locks it for 1 s, 2 s, 4 s, … (see [`crate::login_guard`]).
    pub login_failures_per_account: u32,
    /// Failed staff logins in a row one network may have (over all account names)
    /// before the same backoff applies to the network.
    pub login_failures_per_network: u32,
    /// The longest lock after failed logins, in seconds; also how long a quiet network
    /// or account name is remembered.
    pub login_backoff_max_secs: u64,
    /// Bytes each WebSocket reads from its TLS stream at once. Every open socket holds a
    /// buffer this big (tungstenite fills it to its full size), so it sets most of what an
    /// idle visitor costs; longer frames still arrive, in several reads.
    pub ws_read_buffer_bytes: usize,
    /// Outgoing bytes a WebSocket collects before writing them to the TLS stream; frames
    /// sent together (an ack and the events of one wake-up) share one write.
    pub ws_write_buffer_bytes: usize,
    /// Most outgoing bytes one WebSocket may hold unsent; beyond it the socket is closed.
    /// Must fit the largest frame the relay sends (a staff queue snapshot grows with the
    /// queue), so it is a bound, not an allocation.
    pub ws_max_write_buffer_bytes: usize,
    /// `/api/status/events` streams the relay keeps open at once, over all networks.
    /// More get HTTP 503; the page then polls `/api/status` instead.
    pub status_streams: u32,
    /// `/api/status/events` streams one network (IP address) may keep open at once.
    /// More get HTTP 429.
    pub status_streams_per_network: u32,
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
            reconnect_window_secs: 300,
            ping_interval_secs: 20,
            snapshot_messages: 200,
            idle_timeout_secs: 60,
            visitor_messages_per_sec: 2,
            visitor_message_burst: 10,
            new_sessions_per_minute: 30,
            connections_per_network: 100,
            login_hashes_at_once: 4,
            login_failures_per_account: 5,
            login_failures_per_network: 20,
            login_backoff_max_secs: 900,
            ws_read_buffer_bytes: 4096,
            ws_write_buffer_bytes: 4096,
            ws_max_write_buffer_bytes: 16 * 1024 * 1024,
            status_streams: 2000,
            status_streams_per_network: 100,
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
            web: WebConfig::default(),
            guidance: Guidance::default(),
            canned: default_canned(),
            survey: default_survey(),
            wrapup: WrapUpConfig::default(),
            blocks: Blocks::default(),
            retention: Retention::default(),
            store: StoreConfig::default(),
            metrics: MetricsConfig::default(),
            log: LogConfig::default(),
            leader: LeaderConfig::default(),
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
                    // The seed names no JAC address: the page offers JAC's contact page
                    // instead, never CAW's address to a young person.
                    email: String::new(),
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

fn default_canned() -> Vec<CannedResponse> {
    let canned = |key, title: &str, text: &str| CannedResponse {
        key,
        title: title.to_owned(),
        text: text.to_owned(),
    };
    vec![
        canned(
            '1',
            "Noodnummers",
            "Ben je in gevaar of is iemand anders in gevaar? Bel dan meteen 112 (of 101 voor \
             de politie). De Zelfmoordlijn is dag en nacht bereikbaar op 1813, het \
             Antigifcentrum op 070 245 245. Andere noodnummers: \
             https://www.112.be/nl/andere-noodnummers.html",
        ),
        canned(
            '2',
            "Afronden na 1 uur",
            "We proberen een chatgesprek na 1 uur af te ronden, zodat zoveel mogelijk mensen \
             aan de beurt kunnen komen. Laten we stilaan bekijken wat je vandaag nog wil \
             bespreken.",
        ),
        canned(
            '3',
            "E-mail",
            "Je kan ons ook altijd een e-mail sturen, rechtstreeks naar het CAW of JAC van je \
             voorkeur. De contactgegevens vind je op http://www.caw.be/zoek-je-hulp en \
             https://www.caw.be/jac/contacteer-ons/ (algemeen: info@caw.be).",
        ),
        canned(
            '4',
            "Klachten",
            "Heb je het gevoel dat er een fout werd gemaakt of dat je niet correct werd \
             behandeld? Dan kan je een klacht indienen: http://www.caw.be/niet-tevreden",
        ),
    ]
}

fn default_survey() -> Vec<SurveyQuestion> {
    let q = |id: &str, text: &str, kind| SurveyQuestion {
        id: id.to_owned(),
        text: text.to_owned(),
        kind,
    };
    vec![
        q(
            "helped",
            "Hoeveel heb je aan dit gesprek gehad? (1 = niets, 5 = heel veel)",
            SurveyKind::Scale,
        ),
        q(
            "recommend",
            "Zou je de chat aanraden aan iemand anders?",
            SurveyKind::YesNo,
        ),
        q(
            "remarks",
            "Wil je nog iets kwijt over de chat?",
            SurveyKind::Text,
        ),
    ]
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
    #[error("{0}")]
    Invalid(String),
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
        config.metrics.listen = Some(DEV_METRICS_LISTEN);
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
        match (self.store.backend, &self.store.url) {
            (StoreBackend::Postgres, None) => {
                return Err(ConfigError::Invalid(
                    "[store] backend = \"postgres\" needs url = \"postgres://...\"".into(),
                ));
            }
            (StoreBackend::Postgres, Some(url))
                if !url.starts_with("postgres://") && !url.starts_with("postgresql://") =>
            {
                return Err(ConfigError::Invalid(
                    "[store] url must start with postgres://".into(),
                ));
            }
            (StoreBackend::Sqlite, Some(_)) => {
                return Err(ConfigError::Invalid(
                    "[store] url is only for backend = \"postgres\"".into(),
                ));
            }
            _ => {}
        }
        if self.services.is_empty() {
            return Err(ConfigError::NoServices);
        }
        let lease = &self.leader;
        if lease.check_interval_ms < 100
            || lease.lease_timeout_ms < 3 * lease.check_interval_ms
            || lease.connect_timeout_ms == 0
        {
            return Err(ConfigError::Invalid(
                "leader: check_interval_ms must be at least 100, lease_timeout_ms at least \
                 three times check_interval_ms, and connect_timeout_ms above 0"
                    .into(),
            ));
        }
        for (i, s) in self.services.iter().enumerate() {
            if self.services[..i].iter().any(|o| o.id == s.id) {
                return Err(ConfigError::DuplicateService(s.id.clone()));
            }
            self.opening_hours(s)?;
        }
        for (i, c) in self.canned.iter().enumerate() {
            if self.canned[..i].iter().any(|o| o.key == c.key) {
                return Err(ConfigError::Invalid(format!(
                    "canned response key {:?} appears twice",
                    c.key
                )));
            }
        }
        for (i, q) in self.survey.iter().enumerate() {
            if q.id.is_empty() || self.survey[..i].iter().any(|o| o.id == q.id) {
                return Err(ConfigError::Invalid(format!(
                    "survey question id {:?} is empty or appears twice",
                    q.id
                )));
            }
        }
        let l = &self.limits;
        if [
            l.visitor_messages_per_sec,
            l.visitor_message_burst,
            l.new_sessions_per_minute,
            l.connections_per_network,
            l.login_failures_per_account,
            l.login_failures_per_network,
            l.status_streams,
            l.status_streams_per_network,
        ]
        .contains(&0)
            || l.login_hashes_at_once == 0
            || l.login_backoff_max_secs == 0
        {
            return Err(ConfigError::Invalid(
                "limits.visitor_messages_per_sec, visitor_message_burst, \
                 new_sessions_per_minute, connections_per_network, login_hashes_at_once, \
                 login_failures_per_account, login_failures_per_network, \
                 login_backoff_max_secs, status_streams and status_streams_per_network \
                 must be at least 1"
                    .into(),
            ));
        }
        if self.guidance.warn_after_mins > self.guidance.limit_mins {
            return Err(ConfigError::Invalid(
                "guidance.warn_after_mins must not exceed guidance.limit_mins".into(),
            ));
        }
        let l = &self.limits;
        for (name, value) in [
            ("max_text_bytes", l.max_text_bytes),
            ("max_frame_bytes", l.max_frame_bytes),
            ("send_queue_frames", l.send_queue_frames),
            ("counselor_capacity", l.counselor_capacity as usize),
            (
                "first_frame_deadline_secs",
                l.first_frame_deadline_secs as usize,
            ),
            (
                "tls_handshake_deadline_secs",
                l.tls_handshake_deadline_secs as usize,
            ),
            ("session_hours", l.session_hours as usize),
            ("reconnect_window_secs", l.reconnect_window_secs as usize),
            ("ping_interval_secs", l.ping_interval_secs as usize),
            ("idle_timeout_secs", l.idle_timeout_secs as usize),
            ("snapshot_messages", l.snapshot_messages as usize),
            ("ws_read_buffer_bytes", l.ws_read_buffer_bytes),
        ] {
            if value == 0 {
                return Err(ConfigError::ZeroLimit(name));
            }
        }
        // Checked at each ping: a timeout no longer than the interval would close peers
        // whose pong arrives a moment after the next ping is due.
        if l.idle_timeout_secs <= l.ping_interval_secs {
            return Err(ConfigError::Invalid(
                "limits.idle_timeout_secs must be longer than limits.ping_interval_secs".into(),
            ));
        }
        for (name, value) in [
            ("blocks.duration_hours", self.blocks.duration_hours),
            ("retention.days", self.retention.days),
            ("retention.audit_days", self.retention.audit_days),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!(
                    "{name} must be greater than zero"
                )));
            }
        }
        // Port 0 (tests) binds two different ports.
        if let Some(metrics) = self.metrics.listen
            && metrics == self.listen
            && metrics.port() != 0
        {
            return Err(ConfigError::Invalid(
                "metrics.listen must differ from listen: /metrics is never on the public \
                 listener"
                    .into(),
            ));
        }
        // A text at the limit, JSON-escaped in a `send` frame, must still fit in a frame.
        if l.max_text_bytes.saturating_mul(2).saturating_add(256) > l.max_frame_bytes {
            return Err(ConfigError::Invalid(
                "limits.max_frame_bytes must be at least 2 × max_text_bytes + 256".into(),
            ));
        }
        if l.ws_max_write_buffer_bytes <= l.ws_write_buffer_bytes.saturating_add(l.max_frame_bytes)
        {
            return Err(ConfigError::Invalid(
                "limits.ws_max_write_buffer_bytes must exceed ws_write_buffer_bytes + max_frame_bytes"
                    .into(),
            ));
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
    fn an_idle_timeout_no_longer_than_the_ping_interval_is_refused() {
        let p = Path::new("x.toml");
        for (ping, idle) in [(20, 20), (20, 10)] {
            let toml = format!("[limits]\nping_interval_secs = {ping}\nidle_timeout_secs = {idle}");
            let err = Config::from_toml(&toml, p).unwrap_err();
            assert!(err.to_string().contains("idle_timeout_secs"), "{err}");
        }
        let ok = "[limits]\nping_interval_secs = 20\nidle_timeout_secs = 21";
        Config::from_toml(ok, p).unwrap();
    }

    #[test]
    fn metrics_are_off_by_default_on_in_dev_and_never_on_the_public_listener() {
        assert_eq!(Config::default().metrics.listen, None);
        assert_eq!(Config::dev().metrics.listen, Some(DEV_METRICS_LISTEN));
        let p = Path::new("x.toml");
        let same = "listen = \"127.0.0.1:8443\"\n[metrics]\nlisten = \"127.0.0.1:8443\"";
        let err = Config::from_toml(same, p).unwrap_err();
        assert!(err.to_string().contains("metrics.listen"), "{err}");
        let json = Config::from_toml("[log]\nformat = \"json\"", p).unwrap();
        assert_eq!(json.log.format, LogFormat::Json);
        assert!(Config::from_toml("[log]\nformat = \"xml\"", p).is_err());
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
