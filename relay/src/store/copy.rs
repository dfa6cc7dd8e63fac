//! `chathulp-relay store copy --from sqlite:PATH --to postgres://…`: moves a service's
//! SQLite database into an empty PostgreSQL database, in one transaction.
//!
//! The SQLite file is opened (and so upgraded to the current schema) first. Then every
//! table is copied in an order that respects the foreign keys, rows in their stored
//! order (so the `ord` columns keep SQLite's `rowid` order), and the identity sequences
//! of `reveal_requests` and `blocks` are moved past the copied ids. Before the commit,
//! the row count of every table is compared, and the copied audit log must verify and
//! end on the same hash as the source's. A target with any row in it is refused.

use indicatif::{ProgressBar, ProgressStyle};
use rusqlite::types::Value;
use tokio_postgres::types::ToSql;

use super::{PgStore, Result, SqliteStore, StoreError, verify_chain};

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Bool,
    Text,
    Blob,
}
use Kind::{Blob, Bool, Int, Text};

/// A table to copy: its name, its columns with their kinds, and the order to read it in.
type Table = (&'static str, &'static [(&'static str, Kind)], &'static str);

/// Every table, parents before children.
const TABLES: &[Table] = &[
    (
        "accounts",
        &[
            ("name", Text),
            ("role", Text),
            ("password_hash", Text),
            ("created_at_ms", Int),
            ("disabled", Bool),
        ],
        "name",
    ),
    (
        "sessions",
        &[
            ("token_sha256", Text),
            ("account", Text),
            ("expires_at_ms", Int),
        ],
        "token_sha256",
    ),
    (
        "conversations",
        &[
            ("id", Text),
            ("service", Text),
            ("nickname", Text),
            ("intake", Text),
            ("counselor", Text),
            ("queued_at_ms", Int),
            ("started_at_ms", Int),
            ("ended_at_ms", Int),
            ("ended_by", Text),
            ("end_reason", Text),
            ("no_dossier", Bool),
            ("dossier_candidate", Bool),
            ("survey", Text),
            ("survey_at_ms", Int),
            ("resume_token_sha256", Text),
            ("linked_to", Text),
            ("handover_from", Text),
            ("handover_note", Text),
            ("handover_at_ms", Int),
        ],
        "rowid",
    ),
    (
        "service_closures",
        &[
            ("service", Text),
            ("reason", Text),
            ("closed_by", Text),
            ("closed_at_ms", Int),
        ],
        "service",
    ),
    (
        "messages",
        &[
            ("conversation", Text),
            ("seq", Int),
            ("sender", Text),
            ("client_id", Text),
            ("body", Text),
            ("at_ms", Int),
        ],
        "conversation, seq",
    ),
    (
        "notes",
        &[
            ("conversation", Text),
            ("author", Text),
            ("body", Text),
            ("at_ms", Int),
        ],
        "rowid",
    ),
    (
        "wrapups",
        &[
            ("conversation", Text),
            ("counselor", Text),
            ("topics", Text),
            ("notes", Text),
            ("at_ms", Int),
        ],
        "conversation",
    ),
    (
        "visitor_addresses",
        &[("conversation", Text), ("sealed", Blob), ("ip_hash", Text)],
        "conversation",
    ),
    (
        "reveal_requests",
        &[
            ("id", Int),
            ("conversation", Text),
            ("service", Text),
            ("counselor", Text),
            ("reason", Text),
            ("requested_at_ms", Int),
            ("state", Text),
            ("decided_by", Text),
            ("decision_reason", Text),
            ("decided_at_ms", Int),
            ("delivered", Bool),
        ],
        "id",
    ),
    (
        "blocks",
        &[
            ("id", Int),
            ("ip_hash", Text),
            ("service", Text),
            ("conversation", Text),
            ("counselor", Text),
            ("reason", Text),
            ("created_at_ms", Int),
            ("until_ms", Int),
            ("lifted_at_ms", Int),
        ],
        "id",
    ),
    (
        "audit_log",
        &[
            ("seq", Int),
            ("at_ms", Int),
            ("actor", Text),
            ("action", Text),
            ("conversation", Text),
            ("reason", Text),
            ("decision", Text),
            ("prev_hash", Text),
            ("hash", Text),
        ],
        "seq",
    ),
    (
        "tagged_names",
        &[
            ("conversation", Text),
            ("name", Text),
            ("tagged_by", Text),
            ("at_ms", Int),
        ],
        "rowid",
    ),
    (
        "vault_meta",
        &[("id", Int), ("key_id", Text), ("rotated_at_ms", Int)],
        "id",
    ),
    (
        "tallies",
        &[
            ("service", Text),
            ("hour_ms", Int),
            ("metric", Text),
            ("value", Text),
            ("n", Int),
        ],
        "service, hour_ms, metric, value",
    ),
];

/// What was copied: rows per table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub tables: Vec<(&'static str, u64)>,
}

/// One SQLite value as the PostgreSQL column's type wants it.
fn convert(
    value: Value,
    kind: Kind,
    table: &str,
    column: &str,
) -> Result<Box<dyn ToSql + Sync + Send>> {
    let bad = || StoreError::Corrupt(format!("{table}.{column}: unexpected value type"));
    Ok(match (kind, value) {
        (Int, Value::Null) => Box::new(None::<i64>),
        (Int, Value::Integer(n)) => Box::new(Some(n)),
        (Bool, Value::Null) => Box::new(None::<bool>),
        (Bool, Value::Integer(n)) => Box::new(Some(n != 0)),
        (Text, Value::Null) => Box::new(None::<String>),
        (Text, Value::Text(s)) => Box::new(Some(s)),
        (Blob, Value::Null) => Box::new(None::<Vec<u8>>),
        (Blob, Value::Blob(b)) => Box::new(Some(b)),
        _ => return Err(bad()),
    })
}

/// Copies the SQLite database at `from` into the empty PostgreSQL database at `to`.
/// `progress` shows a bar (on stderr) when true.
pub async fn sqlite_to_postgres(
    from: &std::path::Path,
    to: &str,
    progress: bool,
) -> Result<Copied> {
    if !from.exists() {
        return Err(StoreError::Config(format!(
            "{} does not exist",
            from.display()
        )));
    }
    let source = SqliteStore::open(from)?;
    let target = PgStore::open(to).await?;
    let mut client = target.write_client().await?;
    let tx = target.begin(&mut client).await?;
    for (table, _, _) in TABLES {
        let any = tx
            .opt(&format!("SELECT 1 FROM {table} LIMIT 1"), &[])
            .await?;
        if any.is_some() {
            return Err(StoreError::Config(format!(
                "the target database is not empty (table {table} has rows): copy only into \
                 a new, empty database"
            )));
        }
    }
    let counts = source
        .read(|c| {
            TABLES
                .iter()
                .map(|(table, _, _)| {
                    let n: i64 =
                        c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
                    Ok((*table, u64::try_from(n).unwrap_or(0)))
                })
                .collect::<Result<Vec<_>>>()
        })
        .await?;
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let bar = if progress {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:18} [{bar:40}] {pos}/{len} rows ({eta} left)")
            .map_err(|e| StoreError::Config(e.to_string()))?
            .progress_chars("=> "),
    );
    for (table, columns, order) in TABLES {
        bar.set_message(*table);
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let list = names.join(", ");
        let select = format!("SELECT {list} FROM {table} ORDER BY {order}");
        let rows: Vec<Vec<Value>> = source
            .read(move |c| {
                let mut stmt = c.prepare(&select)?;
                let n = stmt.column_count();
                let rows =
                    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())?;
                Ok(rows.collect::<rusqlite::Result<Vec<Vec<Value>>>>()?)
            })
            .await?;
        let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
        let insert = tx
            .inner()
            .prepare(&format!(
                "INSERT INTO {table} ({list}) VALUES ({})",
                placeholders.join(", ")
            ))
            .await?;
        for row in rows {
            let values = row
                .into_iter()
                .zip(columns.iter())
                .map(|(v, (column, kind))| convert(v, *kind, table, column))
                .collect::<Result<Vec<_>>>()?;
            let params: Vec<&(dyn ToSql + Sync)> =
                values.iter().map(|v| &**v as &(dyn ToSql + Sync)).collect();
            tx.inner().execute(&insert, &params).await?;
            bar.inc(1);
        }
    }
    for table in ["reveal_requests", "blocks"] {
        tx.exec(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                               COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            ),
            &[],
        )
        .await?;
    }
    bar.set_message("verifying");
    let mut copied = Copied::default();
    for (table, expected) in &counts {
        let n: i64 = tx
            .one(&format!("SELECT COUNT(*) FROM {table}"), &[])
            .await?
            .try_get(0)?;
        if u64::try_from(n).unwrap_or(0) != *expected {
            return Err(StoreError::NotStored(format!(
                "{table}: {n} rows copied, {expected} in the source"
            )));
        }
        copied.tables.push((table, *expected));
    }
    tx.commit().await?;
    let source_log = source.audit_log().await?;
    let target_log = target.audit_log().await?;
    verify_chain(&target_log)
        .map_err(|seq| StoreError::Corrupt(format!("copied audit chain breaks at row {seq}")))?;
    if source_log.last().map(|r| &r.hash) != target_log.last().map(|r| &r.hash) {
        return Err(StoreError::Corrupt(
            "the copied audit log does not end on the source's last hash".into(),
        ));
    }
    bar.finish_with_message("done");
    Ok(copied)
}
