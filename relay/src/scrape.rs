//! The metrics listener: `GET /metrics` on a plain-HTTP port of its own
//! (`[metrics] listen`). It gathers the figures from the broker and the store, and
//! [`crate::metrics`] encodes them; the counters and histograms are bumped where things
//! happen. Kept apart from `metrics.rs` so the broker and the store, which bump those
//! counters, sit above nothing that reads them back.

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::broker::Broker;
use crate::metrics::{self, Figures};

/// What `/metrics` reads the relay from: empty while the relay is a standby (then only
/// the process's own figures and `chathulp_leader 0` are served), set once it serves.
pub type Slot = Arc<OnceLock<Broker>>;

/// The broker's state and the store's counts, as [`metrics::Metrics::render`] takes them.
pub async fn figures(broker: &Broker) -> Figures {
    let mut figures = broker.figures();
    figures.leader = true;
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
pub fn router(slot: Slot) -> Router {
    Router::new()
        .route("/metrics", routing::get(scrape))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .with_state(slot)
}

async fn scrape(State(slot): State<Slot>) -> Response {
    let figures = match slot.get() {
        Some(broker) => figures(broker).await,
        None => Figures::default(),
    };
    let text = metrics::get().render(&figures);
    ([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response()
}

/// Serves `/metrics` over plain HTTP on `listener` until `shutdown`. Meant for loopback
/// or a private network that only Prometheus reaches.
pub async fn serve(
    listener: TcpListener,
    broker: Broker,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    serve_slot(listener, Arc::new(OnceLock::from(broker)), shutdown).await
}

/// [`serve`] for a relay that may not serve yet (a standby): the figures of whatever
/// broker `slot` holds at each scrape.
pub async fn serve_slot(
    listener: TcpListener,
    slot: Slot,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    metrics::enable();
    axum::serve(listener, router(slot))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}
