//! A relay that waits for the leader lease (real PostgreSQL) serves only 503s on the
//! page, the status API, both sockets and `/readyz`, and 200 on `/healthz`; once the
//! lease is its own it restores and serves for real on the same listener, and
//! `/readyz` says 200. When it loses the lease it stops serving and `serve` fails.
//!
//! The store here is SQLite in a temporary folder: what is tested is the lease and the
//! standby's answers; the shared store is the failover test's job.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use chathulp_relay::leader::{self, LeaseSettings};
use chathulp_relay::{Clock, Config, ManualClock, Relay, Store, standby, tls};
use chathulp_tests::{Client, OPEN_HOUR, http_get, install_crypto, metrics_get, pg};
use tokio::net::TcpListener;

const DEADLINE: Duration = Duration::from_secs(60);

fn settings() -> LeaseSettings {
    LeaseSettings {
        check_every: Duration::from_millis(200),
        ..LeaseSettings::default()
    }
}

fn client_tls(cert: Vec<u8>) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.into())?;
    Ok(Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_answers_503_until_it_holds_the_lease_then_serves() -> anyhow::Result<()> {
    install_crypto();
    let cluster = pg::cluster()?;
    let url = cluster.database("standby").await?;
    let dir = tempfile::tempdir()?;

    // Another relay leads.
    let mut other = leader::start(&url, "other".into(), settings())?;
    tokio::time::timeout(DEADLINE, other.leadership.wait_for(|l| l.serves()))
        .await
        .map_err(|_| anyhow!("no leader"))??;

    let identity = tls::dev_identity(dir.path())?;
    let cert = identity.certs[0].to_vec();
    let standby_tls = tls::dev_identity(dir.path())?.server_config()?;
    let tls = client_tls(cert)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let lease = leader::start(&url, "me".into(), settings())?;
    let mut leadership = lease.leadership.clone();
    let store = Store::open(&dir.path().join("chathulp.db"))?;
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(OPEN_HOUR.parse()?));
    let (fenced_tx, fenced) = tokio::sync::oneshot::channel();
    let metrics = TcpListener::bind("127.0.0.1:0").await?;
    let metrics_addr = metrics.local_addr()?;
    let serving = tokio::spawn(standby::serve_with_lease(
        listener,
        standby_tls,
        lease.leadership.clone(),
        Some(metrics),
        move |epoch| async move {
            let _ = fenced_tx.send(epoch);
            Relay::new(Config::default(), identity, store, clock).await
        },
    ));

    for path in ["/", "/api/status", "/ws/visitor", "/ws/staff", "/readyz"] {
        let response = http_get(addr, path, &[], tls.clone()).await?;
        assert_eq!(response.status, 503, "{path} on a standby");
    }
    assert_eq!(
        http_get(addr, "/healthz", &[], tls.clone()).await?.status,
        200
    );
    // Prometheus sees a live standby, not a dead relay: `chathulp_leader 0`, and no
    // service figures, which only the leader has.
    let scraped = metrics_get(metrics_addr).await?;
    assert!(scraped.contains("\nchathulp_leader 0\n"), "{scraped}");
    assert!(!scraped.contains("chathulp_visitors_waiting{"), "{scraped}");
    let url_visitor = format!("wss://{addr}/ws/visitor");
    assert!(
        Client::connect(&url_visitor, tls.clone()).await.is_err(),
        "no visitor socket on a standby"
    );

    other.release();
    tokio::time::timeout(DEADLINE, leadership.wait_for(|l| l.serves()))
        .await
        .map_err(|_| anyhow!("the standby never took over"))??;
    let epoch = tokio::time::timeout(DEADLINE, fenced).await??;
    assert!(epoch >= 2, "the second term's epoch, {epoch}");
    // The standby has stopped accepting before `open` runs: the next connection waits in
    // the listener's backlog for the real relay, which is ready after its first
    // housekeeping tick.
    chathulp_tests::failover::ready_through(addr, tls.clone()).await?;
    let ready = http_get(addr, "/readyz", &[], tls.clone()).await?;
    assert_eq!(ready.status, 200, "{}", ready.body);
    assert!(ready.body.contains("\"leader\""), "{}", ready.body);
    let scraped = metrics_get(metrics_addr).await?;
    assert!(scraped.contains("\nchathulp_leader 1\n"), "{scraped}");
    assert!(
        scraped.contains("chathulp_visitors_waiting{service=\"caw\"} 0"),
        "{scraped}"
    );
    assert_eq!(
        http_get(addr, "/api/status", &[], tls.clone())
            .await?
            .status,
        200
    );

    // Losing the lease ends serving, with an error (the binary exits non-zero).
    lease.release();
    let result = tokio::time::timeout(DEADLINE, serving)
        .await
        .map_err(|_| anyhow!("still serving after losing the lease"))??;
    assert!(result.is_err(), "serve must fail after losing the lease");
    assert!(
        http_get(addr, "/readyz", &[], tls.clone()).await.is_err(),
        "nothing answers once it stepped down"
    );
    Ok(())
}
