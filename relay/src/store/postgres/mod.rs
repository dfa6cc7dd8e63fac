//! The PostgreSQL store: the same operations as the SQLite store, for a relay that runs on
//! a care organisation's PostgreSQL (replicated and backed up there).
//!
//! ## Writes, fencing, commits
//!
//! Pool connections are opened with `default_transaction_read_only = on`, so a statement
//! that writes outside [`begin_tx`] fails in PostgreSQL itself. `begin_tx` (behind
//! [`PgStore::begin`], and the message writer's) is the one place a write transaction starts (`BEGIN READ WRITE`), and when a fencing epoch is set
//! ([`PgStore::fence`]) its first statement is `SELECT epoch FROM relay_leader WHERE id = 1
//! FOR SHARE`: a relay whose epoch is no longer the leader's gets
//! [`StoreError::Fenced`] and writes nothing. The row lock also makes a new leader's epoch
//! bump wait for the old leader's transactions in flight, so none commits after it.
//!
//! Every write is committed with `synchronous_commit = on` before the caller resumes (so
//! before a message is acknowledged). Chat messages, the hot path, go through one writer
//! task that commits them in batches ([`appender`]); every other write is its own
//! transaction. docs/performance.md has the figures.

mod appender;
mod privacy;
mod schema;
mod tally;
mod tls;
mod workbench;

pub(crate) use tls::target as tls_target;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chathulp_shared::{ChatMessage, ConversationId, Intake, Party, ServiceId};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{
    Account, Appended, ConversationRecord, NewConversation, OpenConversation, Result,
    ServiceClosure, StoreError, parse_party, parse_role, party_str, seq_u64,
};

/// Connections kept by the pool. The broker's writes are short, and PostgreSQL's
/// group commit needs several in flight to share a WAL flush.
const POOL_SIZE: usize = 16;

/// No fence set: writes are not checked against `relay_leader` (a single relay).
const NO_FENCE: i64 = i64::MIN;

/// Advisory lock key that serialises appends to the audit chain (and migrations).
const AUDIT_LOCK: i64 = 0x6368_6174_6175_6474; // "chataudt"
const MIGRATION_LOCK: i64 = 0x6368_6174_6d69_6772; // "chatmigr"

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// Handle to the PostgreSQL store; cheap to clone.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    /// The epoch this relay writes under, or [`NO_FENCE`].
    fence: Arc<AtomicI64>,
    /// The batching writer of chat messages.
    appender: appender::Appender,
    /// The runtime the pool's connections run on, for the `*_blocking` methods that the
    /// command line and `accounts` call from outside async code.
    runtime: tokio::runtime::Handle,
}

/// A write transaction, made only by [`begin_tx`] (after the fence check).
pub(super) struct WriteTx<'a>(deadpool_postgres::Transaction<'a>);

/// A pooled connection for reads (read-only by default, see the module doc).
pub(super) struct Reader(deadpool_postgres::Object);

/// `rows`, `opt`, `one` and `exec` with the connection's statement cache, for both
/// kinds of connection.
macro_rules! sql_helpers {
    ($ty:ty, $client:ident => $inner:expr) => {
        impl $ty {
            pub(super) async fn rows(&self, sql: &str, p: Params<'_>) -> Result<Vec<Row>> {
                let $client = self;
                let st = $inner.prepare_cached(sql).await?;
                Ok($inner.query(&st, p).await?)
            }
            pub(super) async fn opt(&self, sql: &str, p: Params<'_>) -> Result<Option<Row>> {
                let $client = self;
                let st = $inner.prepare_cached(sql).await?;
                Ok($inner.query_opt(&st, p).await?)
            }
            pub(super) async fn one(&self, sql: &str, p: Params<'_>) -> Result<Row> {
                let $client = self;
                let st = $inner.prepare_cached(sql).await?;
                Ok($inner.query_one(&st, p).await?)
            }
            // Reads have no use for it; kept so both kinds have the same four.
            #[allow(dead_code)]
            pub(super) async fn exec(&self, sql: &str, p: Params<'_>) -> Result<u64> {
                let $client = self;
                let st = $inner.prepare_cached(sql).await?;
                Ok($inner.execute(&st, p).await?)
            }
        }
    };
}
sql_helpers!(WriteTx<'_>, c => c.0);
sql_helpers!(Reader, c => c.0);

impl WriteTx<'_> {
    pub(super) async fn commit(self) -> Result<()> {
        Ok(self.0.commit().await?)
    }

    /// The transaction itself, for what the helpers don't cover (the store copy's
    /// bulk statements).
    pub(super) fn inner(&self) -> &deadpool_postgres::Transaction<'_> {
        &self.0
    }
}

/// A pooled connection.
async fn pool_client(pool: &Pool) -> Result<deadpool_postgres::Object> {
    pool.get()
        .await
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// The one place a write transaction starts: see the module doc.
async fn begin_tx<'a>(
    fence: &AtomicI64,
    client: &'a mut deadpool_postgres::Object,
) -> Result<WriteTx<'a>> {
    let tx = WriteTx(client.build_transaction().read_only(false).start().await?);
    let mine = fence.load(Ordering::SeqCst);
    if mine != NO_FENCE {
        let current: i64 = tx
            .one("SELECT epoch FROM relay_leader WHERE id = 1 FOR SHARE", &[])
            .await?
            .try_get(0)?;
        if current != mine {
            // Dropping `tx` rolls it back: nothing was written.
            return Err(StoreError::Fenced { mine, current });
        }
    }
    Ok(tx)
}

impl PgStore {
    /// Connects to `url` (see [`tls::target`] for `sslmode`), applies the migrations the
    /// database lacks, and refuses a database made by a newer relay.
    pub async fn open(url: &str) -> Result<PgStore> {
        let mut target = tls::target(url)?;
        target
            .config
            .application_name("chathulp-relay")
            .options("-c default_transaction_read_only=on -c synchronous_commit=on");
        let manager = Manager::from_config(
            target.config,
            target.tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(|e| StoreError::Config(e.to_string()))?;
        let fence = Arc::new(AtomicI64::new(NO_FENCE));
        let store = PgStore {
            appender: appender::Appender::start(pool.clone(), fence.clone()),
            pool,
            fence,
            runtime: tokio::runtime::Handle::current(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Sets the epoch every later write transaction must find in `relay_leader`.
    pub fn fence(&self, epoch: i64) {
        self.fence.store(epoch, Ordering::SeqCst);
    }

    async fn client(&self) -> Result<deadpool_postgres::Object> {
        pool_client(&self.pool).await
    }

    pub(super) async fn reader(&self) -> Result<Reader> {
        Ok(Reader(self.client().await?))
    }

    /// The one place a write transaction starts: see the module doc.
    pub(super) async fn begin<'a>(
        &self,
        client: &'a mut deadpool_postgres::Object,
    ) -> Result<WriteTx<'a>> {
        begin_tx(&self.fence, client).await
    }

    /// Runs `f` on the pool's runtime and waits for it: for callers outside async code
    /// (the command line's main thread, or `spawn_blocking`). From inside an async task
    /// tokio refuses it with a panic; such code calls the async method instead.
    pub(super) fn blocking<T>(&self, f: impl Future<Output = Result<T>>) -> Result<T> {
        self.runtime.block_on(f)
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.build_transaction().read_only(false).start().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version INT NOT NULL)")
            .await?;
        let found: i32 = match tx
            .query_opt("SELECT version FROM schema_version", &[])
            .await?
        {
            Some(row) => row.try_get(0)?,
            None => {
                tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[])
                    .await?;
                0
            }
        };
        let known = i32::try_from(schema::MIGRATIONS.len()).unwrap_or(i32::MAX);
        if found > known {
            return Err(StoreError::SchemaTooNew {
                found: i64::from(found),
                supported: i64::from(known),
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.batch_execute(sql).await?;
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute("UPDATE schema_version SET version = $1", &[&version])
                .await?;
            tracing::info!(version, "applied a PostgreSQL schema migration");
        }
        tx.commit().await?;
        Ok(())
    }

    /// A write transaction on a pooled connection, for the store copy.
    pub(super) async fn write_client(&self) -> Result<deadpool_postgres::Object> {
        self.client().await
    }

    // ---- accounts and sessions ----

    pub fn add_account_blocking(&self, account: &Account, now_ms: i64) -> Result<()> {
        self.blocking(self.add_account(account.clone(), now_ms))
    }

    pub async fn add_account(&self, account: Account, now_ms: i64) -> Result<()> {
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let inserted = tx
            .exec(
                "INSERT INTO accounts (name, role, password_hash, created_at_ms)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
                &[
                    &account.name,
                    &account.role.as_str(),
                    &account.password_hash,
                    &now_ms,
                ],
            )
            .await?;
        if inserted == 0 {
            return Err(StoreError::AccountExists(account.name));
        }
        tx.commit().await
    }

    pub async fn account_count(&self) -> Result<u64> {
        let n: i64 = self
            .reader()
            .await?
            .one("SELECT COUNT(*) FROM accounts", &[])
            .await?
            .try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    pub async fn account(&self, name: String) -> Result<Option<Account>> {
        let row = self
            .reader()
            .await?
            .opt(
                "SELECT name, role, password_hash FROM accounts WHERE name = $1",
                &[&name],
            )
            .await?;
        row.map(|r| {
            Ok(Account {
                name: r.try_get(0)?,
                role: parse_role(r.try_get(1)?)?,
                password_hash: r.try_get(2)?,
            })
        })
        .transpose()
    }

    pub async fn add_session(
        &self,
        token_sha256: String,
        account: String,
        expires_at_ms: i64,
    ) -> Result<()> {
        self.write_one(
            "INSERT INTO sessions (token_sha256, account, expires_at_ms) VALUES ($1, $2, $3)",
            &[&token_sha256, &account, &expires_at_ms],
        )
        .await
        .map(drop)
    }

    pub async fn delete_session(&self, token_sha256: String) -> Result<()> {
        self.write_one(
            "DELETE FROM sessions WHERE token_sha256 = $1",
            &[&token_sha256],
        )
        .await
        .map(drop)
    }

    pub async fn session_account(
        &self,
        token_sha256: String,
        now_ms: i64,
    ) -> Result<Option<Account>> {
        let row = self
            .reader()
            .await?
            .opt(
                "SELECT a.name, a.role, a.password_hash FROM sessions s
                 JOIN accounts a ON a.name = s.account
                 WHERE s.token_sha256 = $1 AND s.expires_at_ms > $2",
                &[&token_sha256, &now_ms],
            )
            .await?;
        row.map(|r| {
            Ok(Account {
                name: r.try_get(0)?,
                role: parse_role(r.try_get(1)?)?,
                password_hash: r.try_get(2)?,
            })
        })
        .transpose()
    }

    /// One statement in its own write transaction; the number of rows it changed.
    /// An empty write transaction, committed: `/readyz`'s store check. It passes the
    /// fencing check too, so a relay fenced out by a newer leader is not ready.
    pub async fn check_writable(&self) -> Result<()> {
        let mut c = self.client().await?;
        self.begin(&mut c).await?.commit().await
    }

    pub(super) async fn write_one(&self, sql: &str, p: Params<'_>) -> Result<u64> {
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        let n = tx.exec(sql, p).await?;
        tx.commit().await?;
        Ok(n)
    }

    // ---- conversations and messages ----

    pub async fn create_conversation(&self, conv: NewConversation) -> Result<()> {
        let intake =
            serde_json::to_string(&conv.intake).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let linked = conv.linked_to.map(|l| l.0);
        self.write_one(
            "INSERT INTO conversations (id, service, nickname, intake, queued_at_ms,
                no_dossier, resume_token_sha256, linked_to)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &conv.id.0,
                &conv.service.0,
                &conv.nickname,
                &intake,
                &conv.queued_at_ms,
                &conv.no_dossier,
                &conv.resume_token_sha256,
                &linked,
            ],
        )
        .await
        .map(drop)
    }

    pub async fn assign_conversation(
        &self,
        id: ConversationId,
        counselor: String,
        at_ms: i64,
    ) -> Result<()> {
        self.write_one(
            "UPDATE conversations SET counselor = $2, started_at_ms = $3 WHERE id = $1",
            &[&id.0, &counselor, &at_ms],
        )
        .await
        .map(drop)
    }

    pub async fn end_conversation(
        &self,
        id: ConversationId,
        by: Party,
        reason: Option<String>,
        at_ms: i64,
    ) -> Result<()> {
        self.write_one(
            "UPDATE conversations SET ended_at_ms = $2, ended_by = $3, end_reason = $4
             WHERE id = $1 AND ended_at_ms IS NULL",
            &[&id.0, &at_ms, &party_str(by), &reason],
        )
        .await
        .map(drop)
    }

    pub async fn set_no_dossier(&self, id: ConversationId, refuse: bool) -> Result<()> {
        self.write_one(
            "UPDATE conversations SET no_dossier = $2,
                    dossier_candidate = CASE WHEN $2 THEN FALSE ELSE dossier_candidate END
             WHERE id = $1",
            &[&id.0, &refuse],
        )
        .await
        .map(drop)
    }

    pub async fn set_dossier_candidate(&self, id: ConversationId, candidate: bool) -> Result<bool> {
        let changed = self
            .write_one(
                "UPDATE conversations SET dossier_candidate = $2
                 WHERE id = $1 AND (NOT no_dossier OR NOT $2)",
                &[&id.0, &candidate],
            )
            .await?;
        Ok(changed == 1)
    }

    pub async fn save_survey(
        &self,
        id: ConversationId,
        answers: String,
        at_ms: i64,
    ) -> Result<bool> {
        let changed = self
            .write_one(
                "UPDATE conversations SET survey = $2, survey_at_ms = $3
                 WHERE id = $1 AND survey IS NULL AND ended_at_ms IS NOT NULL
                   AND started_at_ms IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM blocks WHERE blocks.conversation = $1)",
                &[&id.0, &answers, &at_ms],
            )
            .await?;
        Ok(changed == 1)
    }

    pub async fn close_service(&self, closure: ServiceClosure) -> Result<()> {
        self.write_one(
            "INSERT INTO service_closures (service, reason, closed_by, closed_at_ms)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (service) DO UPDATE SET reason = $2, closed_by = $3, closed_at_ms = $4",
            &[
                &closure.service.0,
                &closure.reason,
                &closure.closed_by,
                &closure.closed_at_ms,
            ],
        )
        .await
        .map(drop)
    }

    pub async fn open_service(&self, service: ServiceId) -> Result<bool> {
        let n = self
            .write_one(
                "DELETE FROM service_closures WHERE service = $1",
                &[&service.0],
            )
            .await?;
        Ok(n == 1)
    }

    pub async fn service_closures(&self) -> Result<Vec<ServiceClosure>> {
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT service, reason, closed_by, closed_at_ms FROM service_closures
                 ORDER BY service",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ServiceClosure {
                    service: ServiceId(r.try_get(0)?),
                    reason: r.try_get(1)?,
                    closed_by: r.try_get(2)?,
                    closed_at_ms: r.try_get(3)?,
                })
            })
            .collect()
    }

    pub async fn unassign_conversation(&self, id: ConversationId) -> Result<()> {
        self.write_one(
            "UPDATE conversations SET counselor = NULL, started_at_ms = NULL WHERE id = $1",
            &[&id.0],
        )
        .await
        .map(drop)
    }

    pub async fn open_conversations(
        &self,
        retained_since_ms: i64,
    ) -> Result<Vec<OpenConversation>> {
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT id, service, nickname, intake, no_dossier, dossier_candidate,
                        queued_at_ms, counselor, started_at_ms, resume_token_sha256, linked_to,
                        handover_from, handover_note, handover_at_ms,
                        (SELECT COUNT(*) FROM visitor_addresses mine
                         JOIN visitor_addresses other
                           ON other.ip_hash = mine.ip_hash
                          AND other.conversation != mine.conversation
                         JOIN conversations earlier ON earlier.id = other.conversation
                         WHERE mine.conversation = conversations.id
                           AND earlier.queued_at_ms <= conversations.queued_at_ms
                           AND (earlier.ended_at_ms IS NULL OR earlier.ended_at_ms >= $1))
                 FROM conversations WHERE ended_at_ms IS NULL ORDER BY queued_at_ms, ord",
                &[&retained_since_ms],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let intake: String = r.try_get(3)?;
                Ok(OpenConversation {
                    id: ConversationId(r.try_get(0)?),
                    service: ServiceId(r.try_get(1)?),
                    nickname: r.try_get(2)?,
                    intake: serde_json::from_str::<Intake>(&intake)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    no_dossier: r.try_get(4)?,
                    dossier_candidate: r.try_get(5)?,
                    queued_at_ms: r.try_get(6)?,
                    counselor: r.try_get(7)?,
                    started_at_ms: r.try_get(8)?,
                    resume_token_sha256: r.try_get(9)?,
                    linked_to: r.try_get::<_, Option<String>>(10)?.map(ConversationId),
                    handover: workbench::handover_at(r, 11)?,
                    earlier_contacts: u32::try_from(r.try_get::<_, i64>(14)?).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    /// Stores one message with the next seq of its conversation, or returns the copy
    /// stored earlier under the same `client_id`; committed in a batch ([`appender`]).
    pub async fn append_message(
        &self,
        id: ConversationId,
        from: Party,
        client_id: String,
        text: String,
        at_ms: i64,
    ) -> Result<Appended> {
        self.appender.append(id, from, client_id, text, at_ms).await
    }

    pub async fn messages_after(
        &self,
        id: ConversationId,
        after_seq: u64,
    ) -> Result<Vec<ChatMessage>> {
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT seq, sender, body, at_ms FROM messages
                 WHERE conversation = $1 AND seq > $2 ORDER BY seq",
                &[&id.0, &after],
            )
            .await?;
        chat_messages(&rows)
    }

    pub async fn conversation(&self, id: ConversationId) -> Result<Option<ConversationRecord>> {
        let row = self
            .reader()
            .await?
            .opt(
                "SELECT id, service, nickname, intake, counselor, queued_at_ms, started_at_ms,
                        ended_at_ms, ended_by, no_dossier
                 FROM conversations WHERE id = $1",
                &[&id.0],
            )
            .await?;
        row.map(|r| {
            let intake: String = r.try_get(3)?;
            let ended_by: Option<String> = r.try_get(8)?;
            Ok(ConversationRecord {
                id: ConversationId(r.try_get(0)?),
                service: ServiceId(r.try_get(1)?),
                nickname: r.try_get(2)?,
                intake: serde_json::from_str(&intake)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                counselor: r.try_get(4)?,
                queued_at_ms: r.try_get(5)?,
                started_at_ms: r.try_get(6)?,
                ended_at_ms: r.try_get(7)?,
                ended_by: ended_by.as_deref().map(parse_party).transpose()?,
                no_dossier: r.try_get(9)?,
            })
        })
        .transpose()
    }

    /// Rows of any read-only query as JSON objects keyed by column name: for tests and
    /// diagnostics, so they can look at stored rows on either backend.
    pub async fn query_json(
        &self,
        sql: String,
        params: Vec<String>,
    ) -> Result<Vec<serde_json::Value>> {
        let reader = self.reader().await?;
        let p: Vec<&(dyn ToSql + Sync)> = params.iter().map(|s| s as _).collect();
        let rows = reader.0.query(&sql, &p).await?;
        rows.iter().map(row_json).collect()
    }
}

fn row_json(r: &Row) -> Result<serde_json::Value> {
    use tokio_postgres::types::Type;
    let mut object = serde_json::Map::new();
    for (i, column) in r.columns().iter().enumerate() {
        let value = match *column.type_() {
            Type::INT8 => serde_json::Value::from(r.try_get::<_, Option<i64>>(i)?),
            Type::INT4 => serde_json::Value::from(r.try_get::<_, Option<i32>>(i)?),
            Type::BOOL => serde_json::Value::from(r.try_get::<_, Option<bool>>(i)?.map(i64::from)),
            Type::BYTEA => match r.try_get::<_, Option<Vec<u8>>>(i)? {
                Some(_) => serde_json::Value::from("<blob>"),
                None => serde_json::Value::Null,
            },
            _ => serde_json::Value::from(r.try_get::<_, Option<String>>(i)?),
        };
        object.insert(column.name().to_owned(), value);
    }
    Ok(serde_json::Value::Object(object))
}

/// Rows of `seq, sender, body, at_ms` as chat messages.
pub(super) fn chat_messages(rows: &[Row]) -> Result<Vec<ChatMessage>> {
    rows.iter()
        .map(|r| {
            Ok(ChatMessage {
                seq: seq_u64(r.try_get(0)?)?,
                from: parse_party(r.try_get(1)?)?,
                text: r.try_get(2)?,
                at_ms: r.try_get(3)?,
            })
        })
        .collect()
}
