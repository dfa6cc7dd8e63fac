//! The leader lease: of several relays on one PostgreSQL database, exactly one serves.
//!
//! The lease is a PostgreSQL session-level advisory lock ([`LOCK_KEY`]) held on a
//! connection of its own, apart from the store's pool. The relay that gets it bumps the
//! fencing epoch in `relay_leader` and hands it to the store (`Store::fence`), which
//! starts every write transaction by reading that epoch `FOR SHARE` and refuses to write
//! when it has moved on. The `UPDATE` that bumps it waits for the share locks of the old
//! leader's transactions still in flight, so once a new epoch is written nothing of the old
//! leader can commit.
//!
//! `relay_leader` is made by the store's migrations (`store/postgres/schema.rs`): open the
//! store before starting the lease.
//!
//! The lock is released when PostgreSQL ends the session: at once when the process dies
//! (the kernel closes its socket), after `lease_timeout_ms` of silence when it hangs or is
//! stopped (`idle_session_timeout` on the lease session; the leader checks in every
//! `check_interval_ms`, well within it), and after the TCP keep-alives give up when its
//! machine vanishes.
//!
//! A leader that loses its lease (the check fails, or the epoch is no longer its own)
//! reports [`Leadership::Lost`] and the relay exits non-zero: systemd starts it again, as
//! a standby. Stepping down by exiting is simple to get right: no state of the old term
//! survives into the next.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// How the lease connects: the store's rustls connector for the URL's `sslmode`.
type Tls = tokio_postgres_rustls::MakeRustlsConnect;

/// The advisory lock's key: "chathulp" in ASCII.
pub const LOCK_KEY: i64 = 0x6368_6174_6875_6c70;

/// What this relay is allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leadership {
    /// No lease is needed: the only relay on its store (SQLite).
    Sole,
    /// Waiting for the lease: serve 503 only.
    Standby,
    /// Holds the lease; the store writes under `epoch`.
    Leader { epoch: i64 },
    /// Had the lease and lost it: stop serving and exit.
    Lost,
}

impl Leadership {
    /// May this relay serve visitors and staff?
    pub fn serves(self) -> bool {
        matches!(self, Self::Sole | Self::Leader { .. })
    }
}

/// How the lease is kept (`[leader]` in the config).
#[derive(Clone, Debug)]
pub struct LeaseSettings {
    /// How often a standby asks for the lock and the leader checks that it still has it.
    pub check_every: Duration,
    /// PostgreSQL ends a lease session silent for this long, freeing the lock.
    pub expire_after: Duration,
    /// The longest a connection attempt to PostgreSQL may take.
    pub connect_timeout: Duration,
}

impl Default for LeaseSettings {
    fn default() -> Self {
        Self {
            check_every: Duration::from_secs(1),
            expire_after: Duration::from_secs(6),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("{0}")]
    Config(String),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("the lease check did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the fencing epoch is {current}, not ours ({mine})")]
    Superseded { mine: i64, current: i64 },
}

/// A relay's part in the competition for the lease.
#[derive(Debug)]
pub struct Lease {
    /// `Standby` at first, then `Leader`, then `Lost`.
    pub leadership: watch::Receiver<Leadership>,
    task: tokio::task::JoinHandle<()>,
}

impl Lease {
    /// Gives the lease up at once (the connection closes, and with it the lock), as the
    /// process's death would. Dropping a `Lease` keeps it.
    pub fn release(self) {
        self.task.abort();
    }
}

/// Starts competing for the lease on `url` in the background. `holder` names this relay
/// in `relay_leader` and the logs.
pub fn start(url: &str, holder: String, settings: LeaseSettings) -> Result<Lease, LeaseError> {
    // The same URL and `sslmode` rules as the store's own connections.
    let target =
        crate::store::postgres::tls_target(url).map_err(|e| LeaseError::Config(e.to_string()))?;
    let (mut config, tls) = (target.config, target.tls);
    config
        .application_name("chathulp-relay lease")
        .connect_timeout(settings.connect_timeout)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(1))
        .keepalives_interval(Duration::from_secs(1))
        .keepalives_retries(3)
        .tcp_user_timeout(settings.expire_after);
    let (tx, leadership) = watch::channel(Leadership::Standby);
    let task = tokio::spawn(compete(config, tls, holder, settings, tx));
    Ok(Lease { leadership, task })
}

/// Waits until `leadership` leaves `Standby`; `None` if the lease task is gone.
pub async fn wait_while_standby(leadership: &mut watch::Receiver<Leadership>) -> Leadership {
    match leadership
        .wait_for(|l| *l != Leadership::Standby)
        .await
        .map(|l| *l)
    {
        Ok(l) => l,
        Err(_) => Leadership::Lost,
    }
}

/// Waits until this relay has lost the lease it had (never returns for `Sole`).
pub async fn wait_for_loss(mut leadership: watch::Receiver<Leadership>) {
    if *leadership.borrow() == Leadership::Sole {
        return std::future::pending().await;
    }
    let _ = leadership.wait_for(|l| *l == Leadership::Lost).await;
}

/// Standby until the lock is ours, then leader until the lease is lost.
async fn compete(
    config: tokio_postgres::Config,
    tls: Tls,
    holder: String,
    settings: LeaseSettings,
    tx: watch::Sender<Leadership>,
) {
    let mut ticks = tokio::time::interval(settings.check_every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut logged_wait = false;
    let (client, epoch) = loop {
        ticks.tick().await;
        match try_acquire(&config, &tls, &holder, &settings).await {
            Ok(Some(won)) => break won,
            Ok(None) => {
                if !logged_wait {
                    tracing::info!("standby: another relay holds the leader lease");
                    logged_wait = true;
                }
            }
            Err(e) => tracing::warn!(error = %e, "standby: cannot reach PostgreSQL for the lease"),
        }
    };
    tracing::info!(epoch, %holder, "took the leader lease");
    tx.send_replace(Leadership::Leader { epoch });
    loop {
        ticks.tick().await;
        if let Err(e) = check(&client, epoch, settings.expire_after / 2).await {
            tracing::error!(error = %e, epoch, "lost the leader lease; stepping down");
            break;
        }
    }
    tx.send_replace(Leadership::Lost);
}

/// One attempt: connect, ask for the lock, and on success bump the epoch. `None`: another
/// relay holds it (the connection is closed again, so a standby holds nothing open).
async fn try_acquire(
    config: &tokio_postgres::Config,
    tls: &Tls,
    holder: &str,
    settings: &LeaseSettings,
) -> Result<Option<(Arc<tokio_postgres::Client>, i64)>, LeaseError> {
    let (client, connection) = config.connect(tls.clone()).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "lease connection ended");
        }
    });
    let got: bool = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY])
        .await?
        .get(0);
    if !got {
        return Ok(None);
    }
    // From here on, silence ends this session and frees the lock: the server's keep-alive
    // probes cover a vanished machine, idle_session_timeout a stopped process.
    let expire_ms = settings.expire_after.as_millis();
    if let Err(e) = client
        .batch_execute(&format!("SET idle_session_timeout = {expire_ms}"))
        .await
    {
        // PostgreSQL before 14: a stopped leader keeps the lease until its socket dies.
        tracing::warn!(error = %e, "no idle_session_timeout: a hung leader keeps the lease");
    }
    client
        .batch_execute(&format!(
            "SET tcp_keepalives_idle = 1; SET tcp_keepalives_interval = 1;
             SET tcp_keepalives_count = 3; SET tcp_user_timeout = {expire_ms};
             SET lock_timeout = 2000"
        ))
        .await?;
    let since_ms = jiff::Timestamp::now().as_millisecond();
    let epoch = loop {
        let bumped = client
            .query_one(
                "UPDATE relay_leader SET epoch = epoch + 1, holder = $1, since_ms = $2
                 WHERE id = 1 RETURNING epoch",
                &[&holder, &since_ms],
            )
            .await;
        match bumped {
            Ok(row) => break row.get::<_, i64>(0),
            Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE) => {
                // An old leader's write is stuck mid-transaction (a stopped process): its
                // lease is gone, so end its sessions rather than wait for it.
                let ended = end_stuck_writers(&client).await?;
                tracing::warn!(ended, "ended old leader transactions that held the epoch");
            }
            Err(e) => return Err(e.into()),
        }
    };
    client.batch_execute("SET lock_timeout = 0").await?;
    Ok(Some((Arc::new(client), epoch)))
}

/// Terminates the other sessions that hold a lock on `relay_leader`: transactions of a
/// leader that lost its lease and never finished.
async fn end_stuck_writers(client: &tokio_postgres::Client) -> Result<u64, LeaseError> {
    let rows = client
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_locks
             WHERE relation = 'relay_leader'::regclass AND pid <> pg_backend_pid()",
            &[],
        )
        .await?;
    Ok(rows.len() as u64)
}

/// The leader's regular check: the session is alive and the epoch is still ours.
async fn check(
    client: &tokio_postgres::Client,
    mine: i64,
    within: Duration,
) -> Result<(), LeaseError> {
    let query = client.query_one("SELECT epoch FROM relay_leader WHERE id = 1", &[]);
    // A check slower than half the lease timeout counts as lost: the session may be about
    // to expire, and a relay that can't tell must not go on serving.
    let row = tokio::time::timeout(within, query)
        .await
        .map_err(|_| LeaseError::Timeout(within))??;
    let current: i64 = row.get(0);
    if current != mine {
        return Err(LeaseError::Superseded { mine, current });
    }
    Ok(())
}
