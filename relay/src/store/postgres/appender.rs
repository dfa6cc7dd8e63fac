//! The message writer: every chat message goes through one task that commits them in
//! batches, as the SQLite writer does.
//!
//! A message costs one statement ([`APPEND`]: lock the conversation, find an earlier
//! copy by `client_id`, insert with the next seq). The task takes the first waiting
//! message and every other one already queued (up to [`MAX_BATCH`]), opens ONE write
//! transaction (with the fence check of [`super::begin_tx`]), sends all the statements
//! at once (tokio-postgres pipelines them on the connection), commits, and only then
//! answers each caller. So a busy relay pays the round trips and the WAL flush once per
//! batch instead of once per message, while a quiet one still commits each message alone.
//!
//! Errors keep their owner:
//! - a statement that fails aborts the batch's transaction, so the batch is rolled back
//!   and every message of it is tried again in a transaction of its own: only the bad
//!   one gets an error;
//! - a failed fence check gives every message of the batch [`StoreError::Fenced`];
//! - a failed COMMIT gives every message of the batch an error (whether PostgreSQL kept
//!   it is then unknown; a retry with the same `client_id` finds it).
//!
//! One writer task means one writer per relay, so the seq of two messages of one
//! conversation is never computed concurrently here; the row lock in [`APPEND`] keeps it
//! so against any other writer too.

use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Instant;

use chathulp_shared::{ChatMessage, ConversationId, Party};
use deadpool_postgres::Pool;
use futures_util::future::join_all;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::{begin_tx, pool_client};
use crate::store::{Appended, Result, StoreError, party_str, seq_u64};

/// The most messages one transaction takes: bounds the latency a batch adds.
pub const MAX_BATCH: usize = 256;

/// Appends one message, or returns the copy stored earlier under the same
/// `(conversation, sender, client_id)`. No row: the conversation is not in the store.
const APPEND: &str = "
WITH conv AS (
    SELECT id FROM conversations WHERE id = $1 FOR UPDATE
), existing AS (
    SELECT seq, body, at_ms FROM messages
    WHERE conversation = $1 AND sender = $2 AND client_id = $3
), inserted AS (
    INSERT INTO messages (conversation, seq, sender, client_id, body, at_ms)
    SELECT conv.id,
           (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation = $1),
           $2, $3, $4, $5
    FROM conv
    WHERE NOT EXISTS (SELECT 1 FROM existing)
    RETURNING seq, body, at_ms
)
SELECT seq, body, at_ms, TRUE FROM inserted
UNION ALL
SELECT seq, body, at_ms, FALSE FROM existing";

struct Job {
    id: ConversationId,
    from: Party,
    client_id: String,
    text: String,
    at_ms: i64,
    reply: oneshot::Sender<Result<Appended>>,
}

/// The handle the store keeps; the task ends when the last handle is dropped.
#[derive(Clone)]
pub(super) struct Appender {
    jobs: mpsc::UnboundedSender<Job>,
}

impl Appender {
    /// Starts the writer task on the current runtime.
    pub(super) fn start(pool: Pool, fence: Arc<AtomicI64>) -> Appender {
        let (jobs, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, fence, rx));
        Appender { jobs }
    }

    /// Queues one message and waits until its batch is committed.
    pub(super) async fn append(
        &self,
        id: ConversationId,
        from: Party,
        client_id: String,
        text: String,
        at_ms: i64,
    ) -> Result<Appended> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            id,
            from,
            client_id,
            text,
            at_ms,
            reply,
        };
        let stopped = || StoreError::NotStored("the message writer stopped".into());
        self.jobs.send(job).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(pool: Pool, fence: Arc<AtomicI64>, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        let jobs = batch.len();
        match write(&pool, &fence, &batch).await {
            Ok(answers) => {
                crate::metrics::get().batch_written(jobs, started.elapsed());
                for (job, answer) in batch.into_iter().zip(answers) {
                    let _ = job.reply.send(answer);
                }
            }
            Err(Failed::Fenced { mine, current }) => {
                for job in batch {
                    let _ = job.reply.send(Err(StoreError::Fenced { mine, current }));
                }
            }
            Err(Failed::Commit(e)) => {
                let why = e.to_string();
                for job in batch {
                    let _ = job.reply.send(Err(StoreError::NotStored(why.clone())));
                }
            }
            Err(Failed::Statement(e)) if jobs == 1 => {
                let _ = batch.pop().map(|job| job.reply.send(Err(e)));
            }
            Err(Failed::Statement(_)) => {
                // Rolled back: each one again, alone, so only the bad one fails.
                for job in batch {
                    let answer = match write(&pool, &fence, std::slice::from_ref(&job)).await {
                        Ok(mut one) => one.pop().unwrap_or_else(|| Err(missing())),
                        Err(Failed::Fenced { mine, current }) => {
                            Err(StoreError::Fenced { mine, current })
                        }
                        Err(Failed::Commit(e) | Failed::Statement(e)) => Err(e),
                    };
                    let _ = job.reply.send(answer);
                }
            }
        }
    }
}

/// Why a batch was not stored.
enum Failed {
    Fenced {
        mine: i64,
        current: i64,
    },
    /// BEGIN, the fence check or a statement failed: nothing was stored.
    Statement(StoreError),
    /// COMMIT failed: whether it was stored is unknown.
    Commit(StoreError),
}

impl From<StoreError> for Failed {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Fenced { mine, current } => Failed::Fenced { mine, current },
            other => Failed::Statement(other),
        }
    }
}

fn missing() -> StoreError {
    StoreError::NotStored("the conversation is not in the store".into())
}

/// One transaction for the whole batch. `Ok` holds one answer per job, in order; a job
/// whose conversation is missing gets its error there without failing the others.
async fn write(
    pool: &Pool,
    fence: &AtomicI64,
    batch: &[Job],
) -> std::result::Result<Vec<Result<Appended>>, Failed> {
    let mut client = pool_client(pool).await?;
    let tx = begin_tx(fence, &mut client).await?;
    let statement = tx
        .inner()
        .prepare_cached(APPEND)
        .await
        .map_err(StoreError::from)?;
    let senders: Vec<&str> = batch.iter().map(|j| party_str(j.from)).collect();
    let params: Vec<[&(dyn ToSql + Sync); 5]> = batch
        .iter()
        .zip(&senders)
        .map(|(j, sender)| -> [&(dyn ToSql + Sync); 5] {
            [&j.id.0, sender, &j.client_id, &j.text, &j.at_ms]
        })
        .collect();
    let results = join_all(params.iter().map(|p| tx.inner().query(&statement, p))).await;
    let mut answers = Vec::with_capacity(batch.len());
    for (job, rows) in batch.iter().zip(results) {
        let rows = rows.map_err(StoreError::from)?;
        answers.push(answer(job, &rows));
    }
    tx.commit().await.map_err(Failed::Commit)?;
    Ok(answers)
}

fn answer(job: &Job, rows: &[Row]) -> Result<Appended> {
    let row = rows.first().ok_or_else(missing)?;
    Ok(Appended {
        message: ChatMessage {
            seq: seq_u64(row.try_get(0)?)?,
            from: job.from,
            text: row.try_get(1)?,
            at_ms: row.try_get(2)?,
        },
        is_new: row.try_get(3)?,
    })
}
