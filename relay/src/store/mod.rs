//! Durable storage: the one place that knows SQL, behind one interface with two backends.
//!
//! The broker calls the async methods of [`Store`] and nothing else. `Store` is a cheap
//! handle that dispatches each call to the backend it was opened on:
//!
//! - [`sqlite`]: embedded SQLite (the default, and `--dev`): one writer thread with group
//!   commit, WAL with `synchronous=FULL`;
//! - [`postgres`]: PostgreSQL through a connection pool, with TLS (rustls) and the
//!   fencing epoch of the leader lease ([`Store::fence`]).
//!
//! Both keep the same promise: when a write method returns `Ok`, the write is committed
//! and durable, so the relay can acknowledge a message as soon as
//! [`Store::append_message`] returns. Both apply numbered schema migrations at open and
//! refuse a database made by a newer relay ([`StoreError::SchemaTooNew`]).
//!
//! The store takes plain values (sealed bytes, hex hashes), never the vault: the cipher
//! lives in `vault.rs`, and a key rotation hands the store a [`Reseal`] function
//! (`rotation.rs`).
//!
//! To add an operation: declare it in the `dispatch!` list below, and write it in both
//! `sqlite/` and `postgres/` with the same signature.

mod audit;
pub mod copy;
pub mod postgres;
pub mod sqlite;
pub mod testing;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use audit::verify_chain;
use chathulp_shared::staff::{
    AccountInfo, BlockInfo, Handover, InternalNote, PendingWrapUp, RevealRequest,
};
use chathulp_shared::{ChatMessage, ConversationId, Intake, Party, Role, ServiceId};

pub use self::postgres::PgStore;
pub use self::sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL error: {}", postgres_detail(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("cannot reach the database: {0}")]
    Unavailable(String),
    #[error("store settings: {0}")]
    Config(String),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("an account named {0:?} already exists")]
    AccountExists(String),
    #[error("database worker stopped: {0}")]
    Worker(#[from] tokio::task::JoinError),
    #[error("the write was not stored: {0}")]
    NotStored(String),
    /// Another relay took over the lease: this one writes under an old epoch.
    #[error("fenced: this relay writes under epoch {mine}, the leader's is {current}")]
    Fenced { mine: i64, current: i64 },
    #[error(
        "the database schema is version {found}, newer than this relay knows ({supported}): \
         run the newer relay, or restore a backup made for this version"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("{0} is not available on this store backend")]
    Unsupported(&'static str),
}

/// tokio-postgres says only "db error"; the server's message is in its source.
fn postgres_detail(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.code().code(), db.message()),
        None => e.to_string(),
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A staff account as stored.
#[derive(Clone, Debug)]
pub struct Account {
    pub name: String,
    pub role: Role,
    /// PHC string of the argon2id hash.
    pub password_hash: String,
}

/// What the relay stores when a visitor joins a queue.
#[derive(Clone, Debug)]
pub struct NewConversation {
    pub id: ConversationId,
    pub service: ServiceId,
    pub nickname: String,
    pub intake: Intake,
    /// The visitor refused a dossier.
    pub no_dossier: bool,
    pub queued_at_ms: i64,
    /// SHA-256 of the visitor's resume token.
    pub resume_token_sha256: String,
    /// An earlier conversation this one is probably the same visitor's (nickname return).
    pub linked_to: Option<ConversationId>,
}

/// A conversation that was queued or in progress when the relay stopped, as needed to
/// restore it.
#[derive(Clone, Debug)]
pub struct OpenConversation {
    pub id: ConversationId,
    pub service: ServiceId,
    pub nickname: String,
    pub intake: Intake,
    pub no_dossier: bool,
    pub dossier_candidate: bool,
    pub queued_at_ms: i64,
    pub counselor: Option<String>,
    pub started_at_ms: Option<i64>,
    pub resume_token_sha256: String,
    pub linked_to: Option<ConversationId>,
    /// Set when a colleague handed it over to `counselor`.
    pub handover: Option<Handover>,
    /// Other conversations stored with the same address hash, queued no later than this
    /// one and still within retention (see [`Store::admission`]).
    pub earlier_contacts: u32,
}

/// A service an administrator closed, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceClosure {
    pub service: ServiceId,
    pub reason: String,
    pub closed_by: String,
    pub closed_at_ms: i64,
}

/// A stored message, and whether this call stored it (`false`: a resend of a message
/// stored before, which must not be delivered twice).
#[derive(Clone, Debug)]
pub struct Appended {
    pub message: ChatMessage,
    pub is_new: bool,
}

/// A conversation row, as read back for transcripts and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationRecord {
    pub id: ConversationId,
    pub service: ServiceId,
    pub nickname: String,
    pub intake: Intake,
    pub counselor: Option<String>,
    pub queued_at_ms: i64,
    pub started_at_ms: Option<i64>,
    pub ended_at_ms: Option<i64>,
    pub ended_by: Option<Party>,
    /// The visitor refused a dossier.
    pub no_dossier: bool,
}

/// One step for the audit log. Never holds an address.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    /// Account name, or `cli:<user>` for the command line, or `relay`.
    pub actor: String,
    /// What happened: `reveal_requested`, `reveal_approved`, `reveal_denied`, `block`,
    /// `block_lifted`, `export_anonymised`, `export_dossier`, `vault_rotated`.
    pub action: &'static str,
    pub conversation: Option<ConversationId>,
    pub reason: String,
    /// The outcome in words, where there is one (e.g. `blocked until <ms>`).
    pub decision: Option<String>,
}

/// An audit row as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub conversation: Option<String>,
    pub reason: String,
    pub decision: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// What a visitor's `hello` needs to know about their address hash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Admission {
    /// An unlifted block for the hash runs past now.
    pub blocked: bool,
    /// Conversations stored with the same hash that are still within retention (not
    /// ended, or ended at or after the cutoff).
    pub earlier_contacts: u32,
}

/// The outcome of [`Store::tag_name`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tagging {
    /// Every name tagged in the conversation, oldest first (the new one included, or
    /// unchanged when it was tagged before, in any case).
    Names(Vec<String>),
    /// The conversation is not stored with this counselor.
    NotYours,
    /// The conversation has `max` names already; nothing was added.
    Full,
}

/// Re-seals one stored address for [`Store::rotate_vault`]: `Ok(None)` when the old key
/// can't open it (it is left as it is), else the new sealed bytes and the new keyed hash
/// (hex). Made by `rotation.rs` from the two vault keys, so the store never sees a key.
pub type Reseal = Arc<dyn Fn(&[u8]) -> Result<Option<(Vec<u8>, String)>> + Send + Sync>;

/// What [`Store::rotate_vault`] changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rotated {
    /// Sealed addresses opened with the old key and sealed again with the new one, with
    /// their keyed hash recomputed.
    pub resealed: usize,
    /// Sealed addresses the old key could not open (damaged, or sealed under an even
    /// older key): left as they were.
    pub unreadable: usize,
    /// Blocks whose hash was recomputed (through an address with the same old hash).
    pub blocks_moved: usize,
    /// Blocks in force whose hash could not be recomputed: left as they were, so they no
    /// longer match anyone; they expire as usual.
    pub blocks_stranded: usize,
}

impl Rotated {
    /// The audit row a rotation writes in its own transaction.
    fn audit_entry(&self, actor: String) -> AuditEntry {
        AuditEntry {
            actor,
            action: "vault_rotated",
            conversation: None,
            reason: "vault key rotation".into(),
            decision: Some(format!(
                "{} addresses re-sealed, {} unreadable; {} blocks carried over, \
                 {} in force stranded",
                self.resealed, self.unreadable, self.blocks_moved, self.blocks_stranded
            )),
        }
    }
}

/// How many rows the retention purge removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub conversations: usize,
    pub audit_rows: usize,
    /// Staff session tokens that had expired (they were refused already).
    pub sessions: usize,
}

/// Conversations taken in one quarter of an hour in one service, and the sum of their
/// waits. Quarters, not hours: every time zone's offset is a whole number of quarters,
/// so they add up to the local hours of any zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TakenInQuarter {
    pub service: ServiceId,
    /// When the quarter began (Unix ms, a multiple of [`QUARTER_MS`]).
    pub quarter_start_ms: i64,
    pub conversations: u32,
    pub total_wait_ms: i64,
}

/// One anonymous count that outlives the retention purge (see `crate::tally` and
/// docs/reports.md): how many times `metric` had `value` in `service` in the hour that
/// starts at `hour_ms` (UTC, a multiple of 3 600 000). It never holds a nickname, an
/// address, a text or a conversation id, and nothing finer than an hour. For the
/// `*_ms` metrics `n` is a sum of milliseconds rather than a count.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Tally {
    pub service: ServiceId,
    pub hour_ms: i64,
    pub metric: String,
    /// The label counted (`""` where the metric has none), from a closed list: an age
    /// band, a region, a topic from the config, a survey answer, a bucket.
    pub value: String,
    pub n: i64,
}

/// The start of the UTC hour `at_ms` falls in.
pub fn hour_of(at_ms: i64) -> i64 {
    at_ms.div_euclid(HOUR_MS) * HOUR_MS
}

pub const HOUR_MS: i64 = 3_600_000;

/// A quarter of an hour, in milliseconds.
pub const QUARTER_MS: i64 = 15 * 60_000;

/// Where the store is: what `[store]` in the config names, resolved against the data
/// folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL.
    Postgres(String),
}

impl Location {
    /// The store `[store]` names, with the data folder for SQLite's file.
    pub fn of(config: &crate::config::StoreConfig, data_dir: &Path) -> Location {
        use crate::config::StoreBackend;
        match config.backend {
            StoreBackend::Sqlite => Location::Sqlite(data_dir.join("chathulp.db")),
            StoreBackend::Postgres => Location::Postgres(config.url.clone().unwrap_or_default()),
        }
    }
}

/// Handle to the store; cheap to clone.
///
/// An enum rather than a trait object: the set of backends is closed and known here,
/// the methods are async (a trait object would box every future on the chat hot path),
/// and each backend keeps its own extras (`SqliteStore::write`, `PgStore::fence`)
/// without widening a trait. See docs/architecture.md.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// The data folder: the vault key and certificates live there on either backend.
    dir: PathBuf,
}

#[derive(Clone)]
enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Forwards each listed method to the backend, with the same arguments.
macro_rules! dispatch {
    ($( $(#[$doc:meta])* async fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        $(
            $(#[$doc])*
            pub async fn $name(&self $(, $arg: $ty)*) -> $ret {
                match &self.backend {
                    Backend::Sqlite(s) => s.$name($($arg),*).await,
                    Backend::Postgres(p) => p.$name($($arg),*).await,
                }
            }
        )*
    };
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path`; its folder is the data
    /// folder.
    pub fn open(path: &Path) -> Result<Store> {
        let dir = path
            .parent()
            .map(Path::to_owned)
            .ok_or_else(|| StoreError::Corrupt("the database has no folder".into()))?;
        Ok(Store {
            backend: Backend::Sqlite(SqliteStore::open(path)?),
            dir,
        })
    }

    /// Connects to PostgreSQL at `url` (applying migrations); `data_dir` holds the vault
    /// key and certificates.
    pub async fn open_postgres(url: &str, data_dir: &Path) -> Result<Store> {
        Ok(Store {
            backend: Backend::Postgres(PgStore::open(url).await?),
            dir: data_dir.to_owned(),
        })
    }

    /// Opens whichever `location` names.
    pub async fn open_at(location: &Location, data_dir: &Path) -> Result<Store> {
        match location {
            Location::Sqlite(path) => Store::open(path),
            Location::Postgres(url) => Store::open_postgres(url, data_dir).await,
        }
    }

    /// The folder the vault key and certificates live in.
    pub fn directory(&self) -> Result<PathBuf> {
        Ok(self.dir.clone())
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// The SQLite store, for what only it has (its raw `write`/`read`, backups).
    pub fn sqlite(&self) -> Option<&SqliteStore> {
        match &self.backend {
            Backend::Sqlite(s) => Some(s),
            Backend::Postgres(_) => None,
        }
    }

    /// The PostgreSQL store, for what only it has.
    pub fn postgres(&self) -> Option<&PgStore> {
        match &self.backend {
            Backend::Postgres(p) => Some(p),
            Backend::Sqlite(_) => None,
        }
    }

    /// Sets the fencing epoch this relay writes under (PostgreSQL only): from then on
    /// every write transaction first checks `relay_leader.epoch` and fails with
    /// [`StoreError::Fenced`], writing nothing, when it differs. SQLite has one relay per
    /// file, so there is nothing to fence: [`StoreError::Unsupported`].
    pub fn fence(&self, epoch: i64) -> Result<()> {
        match &self.backend {
            Backend::Postgres(p) => {
                p.fence(epoch);
                Ok(())
            }
            Backend::Sqlite(_) => Err(StoreError::Unsupported("fencing")),
        }
    }

    // ---- blocking calls, for the command line and `accounts` off the runtime ----

    pub fn add_account_blocking(&self, account: &Account, now_ms: i64) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(s) => s.add_account_blocking(account, now_ms),
            Backend::Postgres(p) => p.add_account_blocking(account, now_ms),
        }
    }

    pub fn list_accounts_blocking(&self) -> Result<Vec<AccountInfo>> {
        match &self.backend {
            Backend::Sqlite(s) => s.list_accounts_blocking(),
            Backend::Postgres(p) => p.list_accounts_blocking(),
        }
    }

    /// Sets a new password hash and ends every session of the account. Returns `false`
    /// when there is no such account.
    pub fn set_password_blocking(&self, name: &str, password_hash: &str) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(s) => s.set_password_blocking(name, password_hash),
            Backend::Postgres(p) => p.set_password_blocking(name, password_hash),
        }
    }

    /// Disables (ending every session) or enables an account. Returns `false` when there
    /// is no such account.
    pub fn set_disabled_blocking(&self, name: &str, disabled: bool) -> Result<bool> {
        match &self.backend {
            Backend::Sqlite(s) => s.set_disabled_blocking(name, disabled),
            Backend::Postgres(p) => p.set_disabled_blocking(name, disabled),
        }
    }

    /// The whole transcript of a conversation, in sequence order.
    pub async fn messages(&self, id: ConversationId) -> Result<Vec<ChatMessage>> {
        self.messages_after(id, 0).await
    }

    dispatch! {
        /// Commits an empty write: the store takes writes (`/readyz`).
        async fn check_writable(&self) -> Result<()>;

        // ---- accounts and sessions ----
        async fn add_account(&self, account: Account, now_ms: i64) -> Result<()>;
        async fn account_count(&self) -> Result<u64>;
        async fn account(&self, name: String) -> Result<Option<Account>>;
        async fn add_session(&self, token_sha256: String, account: String, expires_at_ms: i64) -> Result<()>;
        /// Ends a session: its token no longer signs in.
        async fn delete_session(&self, token_sha256: String) -> Result<()>;
        /// The account of an unexpired session.
        async fn session_account(&self, token_sha256: String, now_ms: i64) -> Result<Option<Account>>;
        /// The names of disabled accounts, so a running relay can sign out those disabled
        /// from the command line.
        async fn disabled_accounts(&self) -> Result<Vec<String>>;
        /// Whether `name` is a disabled account.
        async fn is_disabled(&self, name: String) -> Result<bool>;

        // ---- conversations and messages ----
        async fn create_conversation(&self, conv: NewConversation) -> Result<()>;
        async fn assign_conversation(&self, id: ConversationId, counselor: String, at_ms: i64) -> Result<()>;
        async fn end_conversation(&self, id: ConversationId, by: Party, reason: Option<String>, at_ms: i64) -> Result<()>;
        /// Records the visitor's dossier refusal; a refusal also clears the candidate mark.
        async fn set_no_dossier(&self, id: ConversationId, refuse: bool) -> Result<()>;
        /// Marks a conversation as dossier candidate, unless the visitor refused a
        /// dossier. Returns `false` (and changes nothing) when they did.
        async fn set_dossier_candidate(&self, id: ConversationId, candidate: bool) -> Result<bool>;
        /// Stores survey answers for an ended conversation that a counselor had taken,
        /// once, and not for one that ended in a block. Returns `false` when the survey
        /// is closed (not offered, or already answered).
        async fn save_survey(&self, id: ConversationId, answers: String, at_ms: i64) -> Result<bool>;
        async fn close_service(&self, closure: ServiceClosure) -> Result<()>;
        /// Lifts a closure. Returns `false` if the service was not closed.
        async fn open_service(&self, service: ServiceId) -> Result<bool>;
        async fn service_closures(&self) -> Result<Vec<ServiceClosure>>;
        /// Puts a conversation back in the queue: its counselor did not come back in time.
        async fn unassign_conversation(&self, id: ConversationId) -> Result<()>;
        /// Every conversation not ended yet, oldest first: what a restarted relay
        /// restores. Each one's earlier contacts are counted as at its `hello`.
        async fn open_conversations(&self, retained_since_ms: i64) -> Result<Vec<OpenConversation>>;
        /// Stores one message and returns it with its sequence number. A repeat of the
        /// same `client_id` from the same sender returns the first copy (`is_new: false`)
        /// instead of storing twice.
        async fn append_message(&self, id: ConversationId, from: Party, client_id: String, text: String, at_ms: i64) -> Result<Appended>;
        /// The messages of a conversation after `after_seq`, in sequence order.
        async fn messages_after(&self, id: ConversationId, after_seq: u64) -> Result<Vec<ChatMessage>>;
        async fn conversation(&self, id: ConversationId) -> Result<Option<ConversationRecord>>;

        // ---- the workbench ----
        async fn add_note(&self, id: ConversationId, note: InternalNote) -> Result<()>;
        /// The notes of a conversation, oldest first.
        async fn notes(&self, id: ConversationId) -> Result<Vec<InternalNote>>;
        /// Gives a conversation to another counselor, keeping its start time, and records
        /// the handover.
        async fn transfer_conversation(&self, id: ConversationId, to: String, handover: Handover) -> Result<()>;
        /// Stores (or corrects) the registration of an ended conversation of `counselor`.
        /// Returns `false`, storing nothing, when it is not such a conversation.
        async fn save_wrap_up(&self, id: ConversationId, counselor: String, topics: Vec<String>, notes: String, at_ms: i64) -> Result<bool>;
        /// The ended conversations of `counselor` that still wait for a registration,
        /// oldest first.
        async fn to_register(&self, counselor: String) -> Result<Vec<PendingWrapUp>>;
        /// Per service and quarter of an hour: conversations taken since `since_ms`, and
        /// the sum of their waits.
        async fn taken_by_quarter_since(&self, since_ms: i64) -> Result<Vec<TakenInQuarter>>;
        /// The last `limit` messages before `before_seq` (all of the newest when `None`),
        /// oldest first.
        async fn messages_before(&self, id: ConversationId, before_seq: Option<u64>, limit: u32) -> Result<Vec<ChatMessage>>;

        // ---- confidentiality ----
        /// Stores the sealed address of a new conversation and its keyed hash (hex).
        async fn save_address(&self, conversation: ConversationId, sealed: Vec<u8>, hash: String) -> Result<()>;
        /// The sealed address of `conversation`, for an approved reveal.
        async fn sealed_address(&self, conversation: ConversationId) -> Result<Option<Vec<u8>>>;
        /// Whether `hash` is blocked at `now_ms`, and how many conversations stored with
        /// it are within retention (`retained_since_ms`): one read for a `hello`.
        async fn admission(&self, hash: String, now_ms: i64, retained_since_ms: i64) -> Result<Admission>;
        /// Re-seals every stored address with `reseal`, moves the blocks whose hash can be
        /// recomputed, records `key_id`, and audits it, in one transaction.
        async fn rotate_vault(&self, reseal: Reseal, key_id: String, actor: String, at_ms: i64) -> Result<Rotated>;
        /// The key id `vault rotate` last recorded, if it ever ran on this database.
        async fn vault_key_id(&self) -> Result<Option<String>>;
        /// Tags `name` in `conversation` for `counselor`, unless a name equal to it but
        /// for case is tagged already, or `max` names are.
        async fn tag_name(&self, conversation: ConversationId, counselor: String, name: String, max: usize, at_ms: i64) -> Result<Tagging>;
        /// The names tagged in `conversation`, oldest first.
        async fn tagged_names(&self, conversation: ConversationId) -> Result<Vec<String>>;
        /// Files a pending reveal request for `conversation` and audits it.
        async fn add_reveal_request(&self, conversation: ConversationId, counselor: String, reason: String, at_ms: i64) -> Result<RevealRequest>;
        /// Approves or denies pending request `id` and audits it. `None`: no pending
        /// request with that id.
        async fn decide_reveal(&self, id: u64, approve: bool, by: String, reason: String, at_ms: i64) -> Result<Option<RevealRequest>>;
        /// Pending requests, and those decided at or after `decided_since_ms`, oldest first.
        async fn reveal_requests(&self, decided_since_ms: i64) -> Result<Vec<RevealRequest>>;
        /// The requests `counselor` made for any of `conversations`.
        async fn reveal_requests_for(&self, counselor: String, conversations: Vec<ConversationId>) -> Result<Vec<RevealRequest>>;
        /// Decisions the requesting counselor has not been told yet, and marks them told.
        async fn take_undelivered_decisions(&self) -> Result<Vec<RevealRequest>>;
        /// Blocks the visitor of `conversation` until `until_ms` and audits it. `None`:
        /// the conversation has no stored address.
        async fn add_block(&self, conversation: ConversationId, counselor: String, reason: String, at_ms: i64, until_ms: i64) -> Result<Option<BlockInfo>>;
        /// Blocks in force at `now_ms`, oldest first.
        async fn active_blocks(&self, now_ms: i64) -> Result<Vec<BlockInfo>>;
        /// Lifts block `id` if it is in force, and audits it. `false`: no such block.
        async fn lift_block(&self, id: u64, by: String, reason: String, at_ms: i64) -> Result<bool>;
        /// Appends one audit row on its own (steps that change nothing else).
        async fn audit(&self, entry: AuditEntry, at_ms: i64) -> Result<()>;
        /// The whole audit log, oldest first.
        async fn audit_log(&self) -> Result<Vec<AuditRow>>;
        /// Conversations that ended at or after `since_ms`, oldest first (for exports).
        async fn ended_since(&self, since_ms: i64) -> Result<Vec<ConversationId>>;
        /// Deletes every conversation that ended before `conversations_before_ms`, with
        /// all that references it, audit rows older than `audit_before_ms`, and expired
        /// sessions.
        async fn purge(&self, conversations_before_ms: i64, audit_before_ms: i64, now_ms: i64) -> Result<Purged>;

        // ---- anonymous aggregates (reports) ----
        /// Adds each tally's `n` to its (service, hour, metric, value) count, in one
        /// transaction. The purge never deletes these.
        async fn add_tallies(&self, tallies: Vec<Tally>) -> Result<()>;
        /// The counts of hours in `[from_ms, to_ms)`, of one service or all, ordered by
        /// service, hour, metric and value.
        async fn tallies(&self, from_ms: i64, to_ms: i64, service: Option<ServiceId>) -> Result<Vec<Tally>>;

        // ---- for tests and diagnostics ----
        /// Rows of a read-only query as JSON objects keyed by column name (integers as
        /// numbers, flags as 0/1, text as strings, blobs as `"<blob>"`). Parameters are
        /// `$1`, `$2`, … on both backends. Tests use it to look at stored rows on either
        /// backend; nothing in the relay does.
        async fn query_json(&self, sql: String, params: Vec<String>) -> Result<Vec<serde_json::Value>>;
    }
}

fn party_str(p: Party) -> &'static str {
    match p {
        Party::Visitor => "visitor",
        Party::Counselor => "counselor",
        Party::Relay => "relay",
    }
}

fn parse_party(s: &str) -> Result<Party> {
    match s {
        "visitor" => Ok(Party::Visitor),
        "counselor" => Ok(Party::Counselor),
        "relay" => Ok(Party::Relay),
        other => Err(StoreError::Corrupt(format!("unknown sender {other:?}"))),
    }
}

fn parse_role(s: &str) -> Result<Role> {
    s.parse().map_err(StoreError::Corrupt)
}

fn seq_u64(seq: i64) -> Result<u64> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("negative seq {seq}")))
}

fn id_i64(id: u64) -> Result<i64> {
    i64::try_from(id).map_err(|_| StoreError::Corrupt(format!("id {id} out of range")))
}
