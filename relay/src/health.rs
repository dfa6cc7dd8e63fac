//! `/healthz` (the process answers) and `/readyz` (it can do its job: a list of named
//! checks, all of which must pass). A load balancer or systemd watchdog polls them.
//!
//! A standby relay (PostgreSQL, another relay holds the leader lease) fails the
//! `leader` check, so a load balancer routing on `/readyz` never sends it traffic.
//!
//! To add a condition, write a function returning `Result<(), String>` and add one line
//! to [`readiness`]. The route itself lives with the others in `web.rs` (and in
//! `standby.rs` for a standby); this module knows nothing of the router's state.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::broker::Broker;
use crate::leader::Leadership;
use crate::tls::Certificates;

/// The housekeeping tick counts as stalled after this long without a finished run.
pub const TICK_STALE: Duration = Duration::from_secs(3 * crate::TICK.as_secs());

/// How long `/readyz` waits for the store's test write.
const STORE_PATIENCE: Duration = Duration::from_secs(2);

/// What readiness needs to know beyond the broker. Cheap to share.
#[derive(Debug)]
pub struct Health {
    /// The certificate new handshakes get.
    certificates: Arc<Certificates>,
    /// When the housekeeping tick last finished without an error.
    last_tick: Mutex<Option<Instant>>,
}

impl Health {
    pub fn new(certificates: Arc<Certificates>) -> Self {
        Self {
            certificates,
            last_tick: Mutex::new(None),
        }
    }

    /// The housekeeping tick finished its run.
    pub fn ticked(&self) {
        *self.last_tick.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
    }

    fn housekeeping_recent(&self, now: Instant) -> Result<(), String> {
        let last = *self.last_tick.lock().unwrap_or_else(|p| p.into_inner());
        tick_recent(last, now)
    }

    fn certificate_loaded(&self) -> Result<(), String> {
        if self.certificates.fingerprint().is_empty() {
            Err("no certificate is loaded".into())
        } else {
            Ok(())
        }
    }
}

fn tick_recent(last: Option<Instant>, now: Instant) -> Result<(), String> {
    match last {
        None => Err("the housekeeping tick has not run yet".into()),
        Some(at) if now.saturating_duration_since(at) > TICK_STALE => Err(format!(
            "the housekeeping tick last ran {} s ago",
            now.saturating_duration_since(at).as_secs()
        )),
        Some(_) => Ok(()),
    }
}

/// One named condition of readiness and, if it fails, why.
#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Check {
    pub fn of(name: &'static str, result: Result<(), String>) -> Self {
        Self {
            name,
            ok: result.is_ok(),
            error: result.err(),
        }
    }
}

/// Every readiness condition, in the order `/readyz` lists them.
pub async fn readiness(broker: &Broker, health: &Health, leadership: Leadership) -> Vec<Check> {
    vec![
        leader(leadership),
        Check::of("store_writable", store_writable(broker).await),
        Check::of("certificate_loaded", health.certificate_loaded()),
        Check::of(
            "housekeeping_recent",
            health.housekeeping_recent(Instant::now()),
        ),
    ]
}

/// The relay may serve: the leader on a shared store, or the only relay on its own.
pub fn leader(leadership: Leadership) -> Check {
    Check::of(
        "leader",
        match leadership {
            Leadership::Sole | Leadership::Leader { .. } => Ok(()),
            Leadership::Standby => Err("standby: another relay holds the leader lease".into()),
            Leadership::Lost => Err("lost the leader lease; stepping down".into()),
        },
    )
}

/// An empty write through the store's writer: its thread runs and a write transaction
/// begins and commits.
async fn store_writable(broker: &Broker) -> Result<(), String> {
    match tokio::time::timeout(STORE_PATIENCE, broker.store().check_writable()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("the store refused a write: {e}")),
        Err(_) => Err(format!(
            "the store did not answer within {} s",
            STORE_PATIENCE.as_secs()
        )),
    }
}

#[derive(Serialize)]
struct Readiness {
    ready: bool,
    checks: Vec<Check>,
}

/// `GET /healthz`: the process is alive and serving HTTP.
pub async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

/// The `/readyz` answer: 200 when every check passes, else 503; the body lists each.
pub fn respond(checks: Vec<Check>) -> Response {
    let ready = checks.iter().all(|c| c.ok);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(Readiness { ready, checks })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tick_must_have_run_and_recently() {
        let now = Instant::now();
        assert!(tick_recent(None, now).is_err());
        assert!(tick_recent(Some(now), now).is_ok());
        let late = now + TICK_STALE + Duration::from_secs(1);
        let err = tick_recent(Some(now), late).unwrap_err();
        assert!(err.contains("ago"), "{err}");
    }

    #[test]
    fn only_a_sole_relay_or_the_leader_is_ready() {
        assert!(leader(Leadership::Sole).ok);
        assert!(leader(Leadership::Leader { epoch: 3 }).ok);
        assert!(!leader(Leadership::Standby).ok);
        assert!(!leader(Leadership::Lost).ok);
    }
}
