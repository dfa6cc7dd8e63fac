//! The anonymous aggregates of the reports (`crate::tally`): counts per service, hour,
//! metric and value. They have no reference to a conversation, so the purge's cascade
//! never reaches them, and the purge does not name their table.

use chathulp_shared::ServiceId;
use rusqlite::{Connection, params};

use super::{Result, SqliteStore};
use crate::store::Tally;

/// Migration 2: the aggregates table.
pub(super) fn v2_tallies(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE tallies (
            service TEXT NOT NULL,
            -- Start of the UTC hour, Unix ms: nothing finer is kept.
            hour_ms INTEGER NOT NULL,
            metric  TEXT NOT NULL,
            value   TEXT NOT NULL,
            n       INTEGER NOT NULL,
            PRIMARY KEY (service, hour_ms, metric, value)
        ) WITHOUT ROWID;",
    )?;
    Ok(())
}

impl SqliteStore {
    pub async fn add_tallies(&self, tallies: Vec<Tally>) -> Result<()> {
        if tallies.is_empty() {
            return Ok(());
        }
        self.write(move |c| {
            let mut stmt = c.prepare_cached(
                "INSERT INTO tallies (service, hour_ms, metric, value, n)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (service, hour_ms, metric, value) DO UPDATE SET n = n + excluded.n",
            )?;
            for t in &tallies {
                stmt.execute(params![t.service.0, t.hour_ms, t.metric, t.value, t.n])?;
            }
            Ok(())
        })
        .await
    }

    pub async fn tallies(
        &self,
        from_ms: i64,
        to_ms: i64,
        service: Option<ServiceId>,
    ) -> Result<Vec<Tally>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT service, hour_ms, metric, value, n FROM tallies
                 WHERE hour_ms >= ?1 AND hour_ms < ?2 AND (?3 IS NULL OR service = ?3)
                 ORDER BY service, hour_ms, metric, value",
            )?;
            let rows = stmt.query_map(params![from_ms, to_ms, service.map(|s| s.0)], |r| {
                Ok(Tally {
                    service: ServiceId(r.get(0)?),
                    hour_ms: r.get(1)?,
                    metric: r.get(2)?,
                    value: r.get(3)?,
                    n: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}
