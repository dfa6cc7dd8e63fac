//! The leader lease on a real PostgreSQL: one relay leads, another waits and takes over
//! with a higher epoch when the first goes, a leader whose session PostgreSQL ended steps
//! down, and an old leader's write still in flight when the new one takes over never
//! commits. Waits are on the leadership `watch`, with a deadline that only turns a hang
//! into a failure.

use std::time::Duration;

use anyhow::{Context as _, anyhow};
use chathulp_relay::leader::{self, Leadership, LeaseSettings};
use chathulp_tests::pg;
use tokio::sync::watch;

const DEADLINE: Duration = Duration::from_secs(60);

fn settings() -> LeaseSettings {
    LeaseSettings {
        check_every: Duration::from_millis(200),
        ..LeaseSettings::default()
    }
}

async fn until(
    what: &str,
    leadership: &mut watch::Receiver<Leadership>,
    pred: impl FnMut(&Leadership) -> bool,
) -> anyhow::Result<Leadership> {
    tokio::time::timeout(DEADLINE, leadership.wait_for(pred))
        .await
        .map_err(|_| anyhow!("not {what} within {DEADLINE:?}"))?
        .map(|l| *l)
        .map_err(|_| anyhow!("the lease task ended before {what}"))
}

fn epoch(l: Leadership) -> anyhow::Result<i64> {
    match l {
        Leadership::Leader { epoch } => Ok(epoch),
        other => Err(anyhow!("not a leader: {other:?}")),
    }
}

async fn holder(url: &str) -> anyhow::Result<(i64, String)> {
    let db = pg::connect(url).await?;
    let row = db
        .query_one("SELECT epoch, holder FROM relay_leader WHERE id = 1", &[])
        .await?;
    Ok((row.get(0), row.get(1)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_relay_leads_and_the_standby_takes_over_when_it_goes() -> anyhow::Result<()> {
    let cluster = pg::cluster()?;
    let url = cluster.database("lease").await?;
    let mut a = leader::start(&url, "a".into(), settings())?;
    let first = epoch(until("leader", &mut a.leadership, |l| l.serves()).await?)?;
    assert_eq!(holder(&url).await?, (first, "a".to_owned()));

    let mut b = leader::start(&url, "b".into(), settings())?;
    let db = pg::connect(&url).await?;
    assert_eq!(*b.leadership.borrow(), Leadership::Standby);
    a.release();
    let second = epoch(until("leader", &mut b.leadership, |l| l.serves()).await?)?;
    assert!(
        second > first,
        "a new term has a new epoch: {first} then {second}"
    );
    assert_eq!(holder(&url).await?, (second, "b".to_owned()));
    let locks: i64 = db
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(locks, 1, "exactly one relay holds the lease");
    b.release();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_whose_session_ended_steps_down_and_its_stuck_write_never_commits()
-> anyhow::Result<()> {
    let cluster = pg::cluster()?;
    let url = cluster.database("fence").await?;
    let mut a = leader::start(&url, "a".into(), settings())?;
    let first = epoch(until("leader", &mut a.leadership, |l| l.serves()).await?)?;

    // A write of the old leader, paused between its epoch check and its commit (as a
    // SIGSTOPped process would be): it holds the epoch row FOR SHARE.
    let stuck = pg::connect(&url).await?;
    stuck
        .batch_execute("CREATE TABLE written (what TEXT NOT NULL)")
        .await?;
    stuck.batch_execute("BEGIN").await?;
    let seen: i64 = stuck
        .query_one("SELECT epoch FROM relay_leader WHERE id = 1 FOR SHARE", &[])
        .await?
        .get(0);
    assert_eq!(seen, first);
    stuck
        .batch_execute("INSERT INTO written VALUES ('old leader')")
        .await?;

    // PostgreSQL ends A's lease session (what idle_session_timeout does to a stopped
    // process): A must notice and step down.
    let admin = pg::connect(&url).await?;
    let ended: i64 = admin
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'chathulp-relay lease' AND datname = current_database()) t",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(ended, 1);
    until("stepped down", &mut a.leadership, |l| {
        *l == Leadership::Lost
    })
    .await?;

    let mut b = leader::start(&url, "b".into(), settings())?;
    let second = epoch(until("leader", &mut b.leadership, |l| l.serves()).await?)?;
    assert!(second > first);
    let commit = stuck.batch_execute("COMMIT").await;
    assert!(commit.is_err(), "the old leader's write must not commit");
    let rows: i64 = admin
        .query_one("SELECT count(*) FROM written", &[])
        .await
        .context("count")?
        .get(0);
    assert_eq!(rows, 0, "nothing written under the old epoch");
    b.release();
    Ok(())
}
