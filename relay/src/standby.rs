//! What a standby relay serves while another relay holds the leader lease: 503 for the
//! page, `/api/status`, both WebSocket endpoints and `/readyz`, and 200 for `/healthz`.
//! It serves on the listener the relay will serve on as leader, so the port is taken
//! from the start and a load balancer's checks get an answer, not a refused connection.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::leader::{self, Leadership};

/// Serves standby answers on `listener` until `leadership` leaves `Standby`, then closes
/// every connection it had and returns the new state.
pub async fn serve_until_leader(
    listener: &TcpListener,
    tls: Arc<rustls::ServerConfig>,
    mut leadership: watch::Receiver<Leadership>,
) -> Leadership {
    let acceptor = TlsAcceptor::from(tls);
    let standby_state = leadership.clone();
    let router = Router::new()
        .route("/healthz", get(crate::health::healthz))
        .route(
            "/readyz",
            get(move || {
                let state = *standby_state.borrow();
                async move { crate::health::respond(vec![crate::health::leader(state)]) }
            }),
        )
        .fallback(unavailable);
    let mut connections = JoinSet::new();
    let wait = leader::wait_while_standby(&mut leadership);
    tokio::pin!(wait);
    let next = loop {
        let (tcp, _) = tokio::select! {
            next = &mut wait => break next,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; backing off");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(router.clone());
        connections.spawn(async move {
            let handshake = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp));
            let Ok(Ok(tls)) = handshake.await else {
                return;
            };
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(tls), service)
                .await;
        });
    };
    // Dropping the set aborts every standby connection: clients reconnect to the leader.
    connections.shutdown().await;
    next
}

/// Everything but the health endpoints, on a standby.
async fn unavailable() -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        "standby relay: another relay serves; try again shortly\n",
    )
        .into_response();
    let h = response.headers_mut();
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A relay on a shared store: serves standby answers on `listener` until the lease makes
/// it the leader, then calls `open(epoch)` (fence the store with the epoch, then
/// [`crate::Relay::new`], which restores the open conversations as after a restart) and
/// serves that relay on the same listener until it shuts down or loses the lease.
///
/// `metrics`, if given, serves `/metrics` from the start: on a standby the process's own
/// figures with `chathulp_leader 0`, so Prometheus can tell a standby from a dead relay;
/// from the takeover on, the relay's figures as on any relay.
pub async fn serve_with_lease<F, Fut>(
    listener: TcpListener,
    standby_tls: Arc<rustls::ServerConfig>,
    leadership: watch::Receiver<Leadership>,
    metrics: Option<TcpListener>,
    open: F,
) -> anyhow::Result<()>
where
    F: FnOnce(i64) -> Fut,
    Fut: Future<Output = anyhow::Result<crate::Relay>>,
{
    tracing::info!(
        "standby on https://{}: waiting for the leader lease",
        listener.local_addr()?
    );
    let slot = crate::scrape::Slot::default();
    let metrics_stop = CancellationToken::new();
    let _stop_metrics = metrics_stop.clone().drop_guard();
    if let Some(metrics) = metrics {
        tracing::info!("metrics on http://{}/metrics", metrics.local_addr()?);
        let slot = slot.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::scrape::serve_slot(metrics, slot, metrics_stop).await {
                tracing::error!(error = %e, "the metrics listener failed");
            }
        });
    }
    let epoch = match serve_until_leader(&listener, standby_tls, leadership.clone()).await {
        Leadership::Leader { epoch } => epoch,
        other => anyhow::bail!("the leader lease ended before this relay served ({other:?})"),
    };
    let relay = open(epoch).await?.with_leadership(leadership);
    let _ = slot.set(relay.broker().clone());
    relay.serve(listener).await
}
