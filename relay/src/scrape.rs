//! The metrics listener: `GET /metrics` on a plain-HTTP port of its own
//! (`[metrics] listen`). It gathers the figures from the broker and the store, and
//! [`crate::metrics`] encodes them; the counters and histograms are bumped where things
//! happen. Kept apart from `metrics.rs` so the broker and the store, which bump those
//! counters, sit above nothing that reads them back.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::broker::Broker;
use crate::metrics::{self, Figures};

/// The broker's state and the store's counts, as [`metrics::Metrics::render`] takes them.
pub async fn figures(broker: &Broker) -> Figures {
    let mut figures = broker.figures();
    let store = broker.store();
    // Only pending requests: none was decided after the end of time.
    figures.reveals_pending = store.reveal_requests(i64::MAX).await.ok().map(|r| r.len());
    figures.blocks_active = store
        .active_blocks(broker.now_ms())
        .await
        .ok()
        .map(|b| b.len());
    figures
}

/// The metrics listener's routes: `/metrics` only.
pub fn router(broker: Broker) -> Router {
    Router::new()
        .route("/metrics", routing::get(scrape))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .with_state(broker)
}

async fn scrape(State(broker): State<Broker>) -> Response {
    let text = metrics::get().render(&figures(&broker).await);
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response()
}

/// Serves `/metrics` over plain HTTP on `listener` until `shutdown`. Meant for loopback
/// or a private network that only Prometheus reaches.
pub async fn serve(
    listener: TcpListener,
    broker: Broker,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    metrics::enable();
    axum::serve(listener, router(broker))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}
