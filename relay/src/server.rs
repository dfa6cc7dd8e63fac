//! The accept loop: TLS handshake with a deadline, HTTP/1.1 with upgrades, and graceful
//! shutdown that waits for every connection and WebSocket session to finish.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use tracing::Instrument;

use crate::state::AppState;

/// Numbers the accepted connections of this process, for their log span.
fn next_connection_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// How long shutdown waits for open sessions to say goodbye.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: AppState,
) -> std::io::Result<()> {
    let acceptor = TlsAcceptor::from(tls);
    let router = crate::web::router(app.clone());
    let limits = app.broker.config().limits.clone();
    let handshake_deadline = Duration::from_secs(limits.tls_handshake_deadline_secs);
    let proxies = Arc::new(app.broker.config().web.proxy_protocol_from.clone());
    let mut backoff = Duration::from_millis(10);
    loop {
        let (mut tcp, mut peer) = tokio::select! {
            () = app.shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    backoff = Duration::from_millis(10);
                    (tcp, peer)
                }
                Err(e) => {
                    // Usually out of file descriptors: wait instead of spinning.
                    tracing::warn!(error = %e, "accept failed; backing off");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let router = router.clone();
        let shutdown = app.shutdown.clone();
        let proxies = Arc::clone(&proxies);
        // Every log line of this connection, and of the WebSocket session it may become
        // (see `web::upgrade`), carries this id, so one visitor's or counselor's lines can
        // be followed. Never the address.
        let span = tracing::info_span!("conn", id = next_connection_id());
        let connection = async move {
            // A load balancer of `[web] proxy_protocol_from` says whose connection it is.
            if proxies.iter().any(|n| n.contains(peer.ip())) {
                match tokio::time::timeout(
                    handshake_deadline,
                    crate::proxy_protocol::read(&mut tcp),
                )
                .await
                {
                    Ok(Ok(Some(client))) => peer = client,
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "no valid PROXY header; closing");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!("PROXY header timed out");
                        return;
                    }
                }
            }
            let tls = match tokio::time::timeout(handshake_deadline, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    crate::metrics::get().tls_handshake_failed();
                    tracing::debug!(error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    crate::metrics::get().tls_handshake_failed();
                    tracing::debug!("TLS handshake timed out");
                    return;
                }
            };
            // Handlers read the TCP peer (the visitor's address, or the proxy's) from here.
            let router = router.map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
            let service = TowerToHyperService::new(router);
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(handshake_deadline)
                .serve_connection(TokioIo::new(tls), service)
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "HTTP connection ended with an error");
                    }
                }
                () = shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        };
        app.tracker.spawn(connection.instrument(span));
    }
    app.tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, app.tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close within the grace period");
    }
    Ok(())
}
