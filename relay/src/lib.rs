//! # chathulp-relay
//!
//! The relay between anonymous visitors (a web page) and counselors (the `chathulp`
//! terminal app). It serves HTTPS with rustls on one port: the visitor page, the status
//! API and two WebSocket endpoints. Every message is stored (SQLite, or PostgreSQL)
//! before anyone is told about it.
//!
//! ## Layout
//!
//! - [`config`]: settings, layered defaults → TOML → env/flags.
//! - [`clock`]: injected time, so tests set the hour instead of sleeping.
//! - [`hours`]: opening hours and closures in Europe/Brussels time.
//! - [`tls`]: certificates, the dev certificate, the rustls config, reload on SIGHUP.
//! - [`store`]: the only module with SQL in it: one interface, SQLite or PostgreSQL.
//! - [`logging`]: keeps libraries' frame dumps out of the log.
//! - [`metrics`]: Prometheus families and the `/metrics` listener.
//! - [`vault`]: visitors' addresses, sealed, and their keyed hash.
//! - [`rotation`]: a new vault key, re-sealing the stored addresses (above both).
//! - [`backup`]: online backups (SQLite's backup API) and checked restores.
//! - [`export`]: anonymised transcripts for team consultation.
//! - [`scrub`]: placeholders for what identifies a visitor, for anonymised exports.
//! - [`forwarded`]: the visitor's address behind a trusted reverse proxy.
//! - [`accounts`]: password hashing and session tokens.
//! - [`broker`]: queues, conversations, staff connections and routing.
//! - [`limits`]: rate and connection limits per visitor and per network.
//! - [`state`]: what every route and socket session can reach ([`state::AppState`]).
//! - [`health`]: `/healthz` and `/readyz`, a list of named readiness checks.
//! - [`web`]: HTTP routes, the embedded page, origin check, security headers.
//! - [`visitor`], [`staff`]: one WebSocket session each.
//! - [`server`]: the TLS accept loop and graceful shutdown.
//! - [`leader`]: the leader lease on PostgreSQL, and the fencing epoch.
//! - [`standby`]: the 503-only server of a relay waiting for the lease.
//! - [`health`]: `/healthz` and `/readyz`.
//!
//! [`Relay`] ties them together. Tests bind `127.0.0.1:0`, build a `Relay` and call
//! [`Relay::serve`]; the binary in `main.rs` does the same with the real clock.

pub mod accounts;
pub mod backup;
pub mod broker;
pub mod clock;
pub mod config;
pub mod export;
pub mod forwarded;
pub mod health;
pub mod hours;
pub mod leader;
pub mod limits;
pub mod logging;
pub mod login_guard;
pub mod metrics;
pub mod permissions;
pub mod proxy_protocol;
pub mod report;
pub mod rotation;
pub mod scrape;
pub mod scrub;
pub mod server;
mod socket;
pub mod staff;
pub mod standby;
pub mod state;
pub mod store;
pub mod tally;
pub mod tls;
pub mod vault;
pub mod visitor;
pub mod web;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use crate::broker::Broker;
pub use crate::clock::{Clock, ManualClock, SystemClock};
pub use crate::config::Config;
pub use crate::store::Store;

/// How often the relay does its housekeeping ([`Broker::tick`]): the longest a closure
/// made from the command line or a change of opening hours takes to show.
pub const TICK: std::time::Duration = std::time::Duration::from_secs(5);

/// Queue changes (staff `queue` snapshots, the status, visitors' positions) go out at most
/// this often: the first change at once, changes within this time after it together.
pub const QUEUE_CHANGES_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// A relay ready to serve: config, store, certificate and clock.
pub struct Relay {
    app: state::AppState,
    tls: Arc<rustls::ServerConfig>,
    certificates: Arc<tls::Certificates>,
    /// Where `/metrics` is served, if anywhere ([`Relay::with_metrics`]).
    metrics: Option<TcpListener>,
}

impl Relay {
    /// Opens a relay on `store`, restoring every conversation the previous run left
    /// open (after a graceful stop or a crash) before anything is served.
    pub async fn new(
        config: Config,
        identity: tls::Identity,
        store: Store,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        config.validate()?;
        metrics::get().declare_services(config.services.iter().map(|s| &s.id));
        let limiter = Arc::new(limits::Limiter::new(&config.limits));
        let login_guard = Arc::new(login_guard::LoginGuard::new(&config.limits));
        let vault = Arc::new(vault::Vault::open(&store.directory()?)?);
        let broker = Broker::new(Arc::new(config), store, clock, vault)?;
        let (tls, certificates) = identity.reloadable()?;
        let restored = broker.restore().await?;
        if restored > 0 {
            tracing::info!(restored, "restored conversations of the previous run");
        }
        Ok(Self {
            app: state::AppState {
                broker,
                shutdown: CancellationToken::new(),
                tracker: TaskTracker::new(),
                limiter,
                login_guard,
                health: Arc::new(health::Health::new(Arc::clone(&certificates))),
                leadership: tokio::sync::watch::channel(leader::Leadership::Sole).1,
            },
            tls,
            certificates,
            metrics: None,
        })
    }

    /// Serves `/metrics` on `listener` (plain HTTP, its own port) while the relay runs.
    pub fn with_metrics(mut self, listener: TcpListener) -> Self {
        metrics::enable();
        self.metrics = Some(listener);
        self
    }

    /// Serve under this leader lease (PostgreSQL): `/readyz` follows it, and the relay
    /// stops serving when it is lost ([`Relay::serve`] then fails). Without it the relay
    /// is the only one on its store.
    pub fn with_leadership(
        mut self,
        leadership: tokio::sync::watch::Receiver<leader::Leadership>,
    ) -> Self {
        self.app.leadership = leadership;
        self
    }

    /// Cancel this token to shut the relay down gracefully.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.app.shutdown.clone()
    }

    pub fn broker(&self) -> &Broker {
        &self.app.broker
    }

    /// The certificate new TLS handshakes get; replace it to reload (SIGHUP in `main.rs`).
    pub fn certificates(&self) -> Arc<tls::Certificates> {
        Arc::clone(&self.certificates)
    }

    /// Serves on `listener` until the shutdown token is cancelled, then closes every
    /// socket with 1001 and waits for the sessions to end. A leader that loses its lease
    /// shuts down the same way and returns an error.
    pub async fn serve(self, listener: TcpListener) -> anyhow::Result<()> {
        let lost = CancellationToken::new();
        {
            let leadership = self.app.leadership.clone();
            let shutdown = self.app.shutdown.clone();
            let lost = lost.clone();
            tokio::spawn(async move {
                tokio::select! {
                    () = leader::wait_for_loss(leadership) => {
                        tracing::error!("lost the leader lease: closing every connection");
                        lost.cancel();
                        shutdown.cancel();
                    }
                    () = shutdown.cancelled() => {}
                }
            });
        }
        // Make the unknown-user hash now, so the first failed login is as slow as later ones.
        tokio::task::spawn_blocking(|| std::sync::LazyLock::force(&accounts::DUMMY_HASH)).await?;
        let addr = listener.local_addr()?;
        let broker = self.app.broker.clone();
        let limiter = Arc::clone(&self.app.limiter);
        let login_guard = Arc::clone(&self.app.login_guard);
        let shutdown = self.app.shutdown.clone();
        let health = Arc::clone(&self.app.health);
        self.app.tracker.spawn(async move {
            let mut ticks = tokio::time::interval(TICK);
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    _ = ticks.tick() => {
                        match broker.tick().await {
                            Ok(()) => health.ticked(),
                            Err(e) => tracing::error!(error = %e, "housekeeping failed"),
                        }
                        limiter.prune(broker.now_ms());
                        login_guard.prune(broker.now_ms());
                    }
                }
            }
        });
        let broker = self.app.broker.clone();
        let shutdown = self.app.shutdown.clone();
        self.app.tracker.spawn(async move {
            let changed = broker.queue_changes_wake();
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = changed.notified() => broker.send_queue_changes(),
                }
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(QUEUE_CHANGES_EVERY) => {}
                }
            }
        });
        if let Some(listener) = self.metrics {
            let metrics_addr = listener.local_addr()?;
            let broker = self.app.broker.clone();
            let shutdown = self.app.shutdown.clone();
            self.app.tracker.spawn(async move {
                if let Err(e) = scrape::serve(listener, broker, shutdown).await {
                    tracing::error!(error = %e, "the metrics listener failed");
                }
            });
            tracing::info!("metrics on http://{metrics_addr}/metrics");
        }
        tracing::info!("listening on https://{addr}");
        server::serve(listener, self.tls, self.app).await?;
        if lost.is_cancelled() {
            anyhow::bail!("stepped down: another relay holds the leader lease now");
        }
        tracing::info!("relay stopped");
        Ok(())
    }
}
