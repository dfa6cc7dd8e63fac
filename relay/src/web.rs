//! HTTP routes: the visitor page and its assets (compiled into the binary), the status
//! API, the two WebSocket endpoints, and the security headers every response carries.

use axum::Router;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;
use tracing::Instrument;

use crate::config::WebConfig;
use crate::limits::{PeerKey, StreamRefusal};
use crate::state::AppState;
use crate::vault::ClientIp;

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The visitor page and its files, compiled in: `(path, body, content type)`. The script
/// is native ES modules: `/app.js` is the entry and imports the ones under `/js/`. Like
/// every response they go out with `Cache-Control: no-store` ([`security_headers`]), so
/// no chat text stays in the browser's cache after "Snel weg".
pub const ASSETS: &[(&str, &str, &str)] = &[
    ("/", include_str!("../assets/index.html"), HTML),
    ("/privacy", include_str!("../assets/privacy.html"), HTML),
    ("/style.css", include_str!("../assets/style.css"), CSS),
    ("/app.js", include_str!("../assets/app.js"), JS),
    (
        "/js/constants.js",
        include_str!("../assets/js/constants.js"),
        JS,
    ),
    ("/js/state.js", include_str!("../assets/js/state.js"), JS),
    (
        "/js/storage.js",
        include_str!("../assets/js/storage.js"),
        JS,
    ),
    ("/js/i18n.js", include_str!("../assets/js/i18n.js"), JS),
    (
        "/js/i18n/text.js",
        include_str!("../assets/js/i18n/text.js"),
        JS,
    ),
    (
        "/js/i18n/nl.js",
        include_str!("../assets/js/i18n/nl.js"),
        JS,
    ),
    (
        "/js/i18n/en.js",
        include_str!("../assets/js/i18n/en.js"),
        JS,
    ),
    (
        "/js/i18n/fr.js",
        include_str!("../assets/js/i18n/fr.js"),
        JS,
    ),
    (
        "/js/helpers.js",
        include_str!("../assets/js/helpers.js"),
        JS,
    ),
    ("/js/status.js", include_str!("../assets/js/status.js"), JS),
    (
        "/js/services.js",
        include_str!("../assets/js/services.js"),
        JS,
    ),
    ("/js/intake.js", include_str!("../assets/js/intake.js"), JS),
    ("/js/socket.js", include_str!("../assets/js/socket.js"), JS),
    (
        "/js/conversation.js",
        include_str!("../assets/js/conversation.js"),
        JS,
    ),
    ("/js/events.js", include_str!("../assets/js/events.js"), JS),
    ("/js/resume.js", include_str!("../assets/js/resume.js"), JS),
    ("/js/chat.js", include_str!("../assets/js/chat.js"), JS),
    ("/js/views.js", include_str!("../assets/js/views.js"), JS),
    ("/js/ending.js", include_str!("../assets/js/ending.js"), JS),
    ("/js/ended.js", include_str!("../assets/js/ended.js"), JS),
    ("/js/survey.js", include_str!("../assets/js/survey.js"), JS),
    (
        "/js/attention.js",
        include_str!("../assets/js/attention.js"),
        JS,
    ),
    (
        "/js/quick-exit.js",
        include_str!("../assets/js/quick-exit.js"),
        JS,
    ),
];

/// Content-Security-Policy of every response: nothing from third parties, no inline
/// script or style, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'none'";

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for &(path, body, content_type) in ASSETS {
        if path == "/" {
            // The page itself: also counted for the reports while a service is closed.
            router = router.route(
                path,
                get(move |State(state): State<AppState>| async move {
                    state.broker.page_visited();
                    asset(body, content_type).await
                }),
            );
            continue;
        }
        router = router.route(path, get(move || asset(body, content_type)));
    }
    router
        .route("/healthz", get(crate::health::healthz))
        .route("/readyz", get(readyz))
        .route("/api/status", get(status))
        .route("/api/status/events", get(status_events))
        .route("/ws/visitor", get(visitor_ws))
        .route("/ws/staff", get(staff_ws))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found") })
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::middleware::from_fn(access_log))
        .with_state(state)
}

/// Longest request path the access log prints.
const LOGGED_PATH_CHARS: usize = 200;

/// The access log, at debug level: method, path and status of every request, so an
/// operator (and the browser test that checks no injected markup ever fetched anything)
/// can see what was asked. Never the address, the query string or any header.
async fn access_log(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if !tracing::enabled!(tracing::Level::DEBUG) {
        return next.run(request).await;
    }
    let method = request.method().clone();
    let path: String = request
        .uri()
        .path()
        .chars()
        .take(LOGGED_PATH_CHARS)
        .collect();
    let response = next.run(request).await;
    tracing::debug!(
        %method,
        ?path,
        status = response.status().as_u16(),
        "request"
    );
    response
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `GET /readyz`: every check of [`crate::health::readiness`], 200 only if all pass.
async fn readyz(State(state): State<AppState>) -> Response {
    let leadership = *state.leadership.borrow();
    let checks = crate::health::readiness(&state.broker, &state.health, leadership).await;
    crate::health::respond(checks)
}

/// `/api/status`. Pages of the configured origins (the organisation's own site) may read
/// it too, so their chat button can show the same dot.
async fn status(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let mut response = axum::Json(state.broker.status_response()).into_response();
    let allowed = &state.broker.config().web.status_cors_origins;
    if let Some(origin) = headers.get(header::ORIGIN)
        && allowed.iter().any(|a| a.as_bytes() == origin.as_bytes())
    {
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// `/api/status/events`: the status JSON as Server-Sent Events, once on connect and
/// again on every change, so the page's dot updates without polling. Each stream holds a
/// connection and a task for as long as the page stays open, so their number is capped,
/// in all (`limits.status_streams`, beyond it 503) and per network
/// (`limits.status_streams_per_network`, beyond it 429). The page then polls
/// `/api/status` instead.
async fn status_events(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (_, key) = client(&state, peer, &headers);
    let place = match state.limiter.status_stream(&key) {
        Ok(place) => place,
        Err(refusal) => {
            let status = match refusal {
                StreamRefusal::Full => StatusCode::SERVICE_UNAVAILABLE,
                StreamRefusal::NetworkFull => StatusCode::TOO_MANY_REQUESTS,
            };
            tracing::debug!(?refusal, "status stream refused");
            let retry = [(header::RETRY_AFTER, HeaderValue::from_static("60"))];
            return (status, retry, "too many status streams; poll /api/status").into_response();
        }
    };
    let updates = state.broker.status_watch();
    // The stream owns its place: it is freed when the stream is dropped, i.e. when the
    // client goes away or the relay shuts down.
    let stream = futures_util::stream::unfold(
        (updates, true, place),
        |(mut updates, first, place)| async move {
            if !first {
                updates.changed().await.ok()?;
            }
            let event = Event::default()
                .json_data(&*updates.borrow_and_update())
                .ok()?;
            Some((Ok::<_, Infallible>(event), (updates, false, place)))
        },
    );
    // End the stream at shutdown, or graceful shutdown would wait for it.
    let stream = stream.take_until(state.shutdown.clone().cancelled_owned());
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// `/ws/visitor`: the Origin check comes before the upgrade, so another site's page
/// can't open a chat in the visitor's browser; the per-network socket limit right after.
/// The visitor's address is taken here, once, and lives on only as a [`ClientIp`] (sealed
/// in the vault) and its keyed hash (blocks and limits).
async fn visitor_ws(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let ip = match visitor_admission(&headers, peer.ip(), &state.broker.config().web) {
        Ok(ip) => ClientIp::new(ip),
        Err(refused) => return refused.into_response(),
    };
    let key = state.broker.client_key(&ip);
    match state.limiter.connect(&key) {
        Some(guard) => upgrade(state, ws, move |socket, app| {
            crate::visitor::serve(socket, app, ip, key, guard)
        }),
        None => upgrade(state, ws, |socket, _| crate::visitor::refuse_busy(socket)),
    }
}

/// What `/ws/visitor` decides from the request head alone, before the upgrade: 403
/// unless the `Origin` is allowed ([`origin_allowed`]), otherwise the visitor's address
/// (the TCP `peer`, or behind a trusted proxy the one it forwarded,
/// [`crate::forwarded::client_ip`]). No IO and no state, so the fuzz target `http_head`
/// (`fuzz/`) feeds it arbitrary request heads.
pub fn visitor_admission(
    headers: &HeaderMap,
    peer: IpAddr,
    web: &WebConfig,
) -> Result<IpAddr, (StatusCode, &'static str)> {
    if !origin_allowed(headers, &web.allowed_origins) {
        return Err((StatusCode::FORBIDDEN, "origin not allowed"));
    }
    Ok(crate::forwarded::client_ip(
        peer,
        headers,
        &web.trusted_proxies,
    ))
}

/// True if the request's `Origin` is the relay's own (`https://` + `Host`) or one of
/// `allowed`. ASCII case is ignored, as in host names; a missing `Origin` is refused.
pub fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    let own = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| {
            origin
                .strip_prefix("https://")
                .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
        });
    own || allowed.iter().any(|a| a.eq_ignore_ascii_case(origin))
}

/// The client's address (behind a trusted proxy: the one it forwarded) and its keyed
/// hash, which the per-network limits key on.
fn client(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> (ClientIp, PeerKey) {
    let trusted = &state.broker.config().web.trusted_proxies;
    let ip = ClientIp::new(crate::forwarded::client_ip(peer.ip(), headers, trusted));
    let key = state.broker.client_key(&ip);
    (ip, key)
}

/// `/ws/staff`: the network's keyed hash goes along for the failed-login backoff; the
/// address itself is dropped here. The terminal app sends no `Origin`; a browser always
/// does, so a page of another site that tries to open this socket gets 403 (defence in
/// depth: the endpoint takes no cookies, so such a page would have nothing to use).
async fn staff_ws(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if headers.contains_key(header::ORIGIN)
        && !origin_allowed(&headers, &state.broker.config().web.allowed_origins)
    {
        return (StatusCode::FORBIDDEN, "origin not allowed").into_response();
    }
    let (_, key) = client(&state, peer, &headers);
    upgrade(state, ws, move |socket, app| {
        crate::staff::serve(socket, app, key)
    })
}

/// Accepts a WebSocket with the configured size limits and buffer sizes and hands it to
/// `serve`. The session counts in the task tracker, so shutdown waits for it to say
/// goodbye. The read buffer is small on purpose: tungstenite zero-fills it to its full
/// size before every read, so its default 128 KiB was both the RSS of an idle visitor and
/// a 128 KiB memset per wake-up.
fn upgrade<F, Fut>(state: AppState, ws: WebSocketUpgrade, serve: F) -> Response
where
    F: FnOnce(WebSocket, AppState) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let limits = &state.broker.config().limits;
    let ws = ws
        .max_message_size(limits.max_frame_bytes)
        .max_frame_size(limits.max_frame_bytes)
        .read_buffer_size(limits.ws_read_buffer_bytes)
        .write_buffer_size(limits.ws_write_buffer_bytes)
        .max_write_buffer_size(limits.ws_max_write_buffer_bytes);
    let token = state.tracker.token();
    // The session runs in a task of its own: give it the connection's log span.
    let span = tracing::Span::current();
    ws.on_upgrade(move |socket| {
        async move {
            serve(socket, state).await;
            drop(token);
        }
        .instrument(span)
    })
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set(
        headers,
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    );
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
    set(headers, header::CACHE_CONTROL, "no-store");
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| (n.clone(), HeaderValue::from_static(v)))
            .collect()
    }

    /// Every file under `assets/` is served (a module left out would break the page
    /// only in the browser), and nothing is served twice.
    #[test]
    fn every_asset_file_has_a_route() {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path.to_string_lossy().into_owned());
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
        let mut files = Vec::new();
        walk(&root, &mut files);
        let root = root.to_string_lossy().into_owned();
        for file in &files {
            let rel = &file[root.len()..];
            let route = match rel {
                "/index.html" => "/",
                "/privacy.html" => "/privacy",
                other => other,
            };
            assert!(
                ASSETS.iter().any(|(path, _, _)| *path == route),
                "{rel} is not served"
            );
        }
        assert_eq!(ASSETS.len(), files.len());
    }

    #[test]
    fn only_own_or_configured_origins_may_open_the_visitor_socket() {
        let allowed = vec!["https://www.caw.be".to_owned()];
        let own = [
            (header::HOST, "chat.example:8443"),
            (header::ORIGIN, "https://CHAT.example:8443"),
        ];
        assert!(origin_allowed(&headers(&own), &[]));
        let configured = [
            (header::HOST, "chat.example"),
            (header::ORIGIN, "https://www.caw.be"),
        ];
        assert!(origin_allowed(&headers(&configured), &allowed));
        assert!(!origin_allowed(&headers(&configured), &[]));
        for bad in [
            "http://chat.example",
            "https://chat.example.evil",
            "https://evil.example",
            "null",
        ] {
            let h = headers(&[(header::HOST, "chat.example"), (header::ORIGIN, bad)]);
            assert!(!origin_allowed(&h, &allowed), "{bad}");
        }
        assert!(!origin_allowed(
            &headers(&[(header::HOST, "chat.example")]),
            &allowed
        ));
    }
}
