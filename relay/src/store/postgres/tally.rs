//! The anonymous aggregates of the reports (`crate::tally`), as in `sqlite/tally.rs`.

use chathulp_shared::ServiceId;

use super::{PgStore, Result};
use crate::store::Tally;

impl PgStore {
    pub async fn add_tallies(&self, mut tallies: Vec<Tally>) -> Result<()> {
        if tallies.is_empty() {
            return Ok(());
        }
        // One order for every writer, so two relays' transactions never lock the same
        // rows the other way round (a deadlock).
        tallies.sort();
        let mut c = self.client().await?;
        let tx = self.begin(&mut c).await?;
        for t in &tallies {
            tx.exec(
                "INSERT INTO tallies (service, hour_ms, metric, value, n)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (service, hour_ms, metric, value)
                 DO UPDATE SET n = tallies.n + excluded.n",
                &[&t.service.0, &t.hour_ms, &t.metric, &t.value, &t.n],
            )
            .await?;
        }
        tx.commit().await
    }

    pub async fn tallies(
        &self,
        from_ms: i64,
        to_ms: i64,
        service: Option<ServiceId>,
    ) -> Result<Vec<Tally>> {
        let service = service.map(|s| s.0);
        let rows = self
            .reader()
            .await?
            .rows(
                "SELECT service, hour_ms, metric, value, n FROM tallies
                 WHERE hour_ms >= $1 AND hour_ms < $2
                   AND ($3::TEXT IS NULL OR service = $3::TEXT)
                 ORDER BY service, hour_ms, metric, value",
                &[&from_ms, &to_ms, &service],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Tally {
                    service: ServiceId(r.try_get(0)?),
                    hour_ms: r.try_get(1)?,
                    metric: r.try_get(2)?,
                    value: r.try_get(3)?,
                    n: r.try_get(4)?,
                })
            })
            .collect()
    }
}
