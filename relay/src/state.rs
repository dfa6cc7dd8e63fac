//! What every HTTP handler and socket session can reach: the broker, the shutdown
//! signal and the limits. It sits below both the routes (`web.rs`) and the endpoints
//! (`visitor.rs`, `staff.rs`), so neither has to import the other for it.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::broker::Broker;
use crate::limits::Limiter;
use crate::login_guard::LoginGuard;

/// What every request handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub broker: Broker,
    /// Cancelled when the relay shuts down; every socket loop watches it.
    pub shutdown: CancellationToken,
    /// Counts live WebSocket sessions, so shutdown can wait for them to close cleanly.
    pub tracker: TaskTracker,
    /// Limits per network (new chats, open sockets).
    pub limiter: Arc<Limiter>,
    /// Staff sign-in: concurrent password hashes and failed-login backoff.
    pub login_guard: Arc<LoginGuard>,
    /// What `/readyz` checks beyond the broker.
    pub health: Arc<crate::health::Health>,
    /// Whether this relay may serve (the leader lease on PostgreSQL), for `/readyz`.
    pub leadership: tokio::sync::watch::Receiver<crate::leader::Leadership>,
}
