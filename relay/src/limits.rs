//! Rate and connection limits, so that a flood from one network can't crowd out the
//! visitor in crisis.
//!
//! Everything here is keyed by a [`PeerKey`]: the vault's keyed hash of the visitor's
//! address, made once in the `/ws/visitor` handler. The address itself is never held in
//! these maps, logged or shown. All time comes from the injected clock (as
//! milliseconds), so tests move the clock instead of sleeping.
//!
//! - [`TokenBucket`]: messages per second of one visitor (owned by the visitor's session).
//! - [`Limiter::new_session`]: new visitor chats per network per minute.
//! - [`Limiter::connect`]: concurrent visitor sockets per network.
//! - [`Limiter::status_stream`]: open `/api/status/events` streams, in all and per network.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::config::Limits;

/// What the per-network limits key on: the vault's keyed hash of the visitor's address
/// (the address behind a trusted proxy, see [`crate::forwarded`]). `Debug` shows nothing.
pub use crate::vault::ClientKey as PeerKey;

/// A token bucket: holds up to `burst` tokens and refills `per_sec` tokens a second.
/// Each allowed event takes one token.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    last_ms: i64,
}

/// The shape of a [`TokenBucket`]: how many at once, and how fast they come back.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    pub burst: u32,
    pub per_sec: f64,
}

impl Rate {
    pub fn per_minute(count: u32) -> Self {
        Self {
            burst: count,
            per_sec: f64::from(count) / 60.0,
        }
    }
}

impl TokenBucket {
    /// A full bucket at `now_ms`.
    pub fn full(rate: Rate, now_ms: i64) -> Self {
        Self {
            tokens: f64::from(rate.burst),
            last_ms: now_ms,
        }
    }

    /// Takes a token if there is one. A clock that went backwards refills nothing.
    pub fn take(&mut self, rate: Rate, now_ms: i64) -> bool {
        self.refill(rate, now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn refill(&mut self, rate: Rate, now_ms: i64) {
        let elapsed_ms = now_ms.saturating_sub(self.last_ms).max(0);
        // Milliseconds fit an f64 exactly for any realistic gap.
        #[allow(clippy::cast_precision_loss)]
        let gained = elapsed_ms as f64 / 1000.0 * rate.per_sec;
        self.tokens = (self.tokens + gained).min(f64::from(rate.burst));
        self.last_ms = self.last_ms.max(now_ms);
    }

    /// True if the bucket would be full at `now_ms`: forgetting it changes nothing.
    fn is_full(&self, rate: Rate, now_ms: i64) -> bool {
        let mut probe = self.clone();
        probe.refill(rate, now_ms);
        probe.tokens >= f64::from(rate.burst)
    }
}

/// Network-wide limits, shared by every visitor socket.
pub struct Limiter {
    sessions_rate: Rate,
    max_connections: u32,
    sessions: Mutex<HashMap<PeerKey, TokenBucket>>,
    connections: Arc<Mutex<HashMap<PeerKey, u32>>>,
    max_streams: u32,
    max_streams_per_network: u32,
    streams: Arc<Mutex<Streams>>,
}

/// Open status streams: how many in all, and per network.
#[derive(Default)]
struct Streams {
    total: u32,
    per_network: HashMap<PeerKey, u32>,
}

/// Why [`Limiter::status_stream`] refused a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRefusal {
    /// The relay holds `limits.status_streams` streams already.
    Full,
    /// This network holds `limits.status_streams_per_network` streams already.
    NetworkFull,
}

/// Held by an open status stream; dropping it (the stream ended or its client left)
/// frees its place.
pub struct StreamGuard {
    key: PeerKey,
    streams: Arc<Mutex<Streams>>,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut streams = lock(&self.streams);
        streams.total = streams.total.saturating_sub(1);
        if let Some(count) = streams.per_network.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                streams.per_network.remove(&self.key);
            }
        }
    }
}

/// Held by a visitor socket for its lifetime; dropping it frees its place.
pub struct ConnectionGuard {
    key: PeerKey,
    connections: Arc<Mutex<HashMap<PeerKey, u32>>>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut map = lock(&self.connections);
        if let Some(count) = map.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                map.remove(&self.key);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Limiter {
    pub fn new(limits: &Limits) -> Self {
        Self {
            sessions_rate: Rate::per_minute(limits.new_sessions_per_minute),
            max_connections: limits.connections_per_network,
            sessions: Mutex::new(HashMap::new()),
            connections: Arc::new(Mutex::new(HashMap::new())),
            max_streams: limits.status_streams,
            max_streams_per_network: limits.status_streams_per_network,
            streams: Arc::new(Mutex::new(Streams::default())),
        }
    }

    /// A place for one more `/api/status/events` stream from `key`, or why not.
    pub fn status_stream(&self, key: &PeerKey) -> Result<StreamGuard, StreamRefusal> {
        let mut streams = lock(&self.streams);
        if streams.total >= self.max_streams {
            return Err(StreamRefusal::Full);
        }
        let count = streams.per_network.entry(key.clone()).or_insert(0);
        if *count >= self.max_streams_per_network {
            return Err(StreamRefusal::NetworkFull);
        }
        *count += 1;
        streams.total += 1;
        Ok(StreamGuard {
            key: key.clone(),
            streams: Arc::clone(&self.streams),
        })
    }

    /// Status streams open right now (for tests and the log).
    pub fn open_status_streams(&self) -> u32 {
        lock(&self.streams).total
    }

    /// Counts a new visitor chat (`hello`) from `key`; false if the network has started
    /// too many in the last minute.
    pub fn new_session(&self, key: &PeerKey, now_ms: i64) -> bool {
        let rate = self.sessions_rate;
        lock(&self.sessions)
            .entry(key.clone())
            .or_insert_with(|| TokenBucket::full(rate, now_ms))
            .take(rate, now_ms)
    }

    /// A place for one more visitor socket from `key`, or `None` if the network already
    /// holds as many as allowed.
    pub fn connect(&self, key: &PeerKey) -> Option<ConnectionGuard> {
        let mut map = lock(&self.connections);
        let count = map.entry(key.clone()).or_insert(0);
        if *count >= self.max_connections {
            return None;
        }
        *count += 1;
        Some(ConnectionGuard {
            key: key.clone(),
            connections: Arc::clone(&self.connections),
        })
    }

    /// Forgets networks whose session bucket has refilled, so the map holds only networks
    /// that started chats within about the last minute. Called on the housekeeping tick.
    pub fn prune(&self, now_ms: i64) {
        let rate = self.sessions_rate;
        lock(&self.sessions).retain(|_, bucket| !bucket.is_full(rate, now_ms));
    }

    /// How many networks the limiter remembers (for tests of [`Self::prune`]).
    pub fn tracked_networks(&self) -> usize {
        lock(&self.sessions).len()
            + lock(&self.connections).len()
            + lock(&self.streams).per_network.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(hash: &str) -> PeerKey {
        PeerKey::from_stored(hash.to_owned())
    }

    fn limits(sessions: u32, connections: u32) -> Limits {
        Limits {
            new_sessions_per_minute: sessions,
            connections_per_network: connections,
            ..Limits::default()
        }
    }

    #[test]
    fn status_streams_are_capped_in_all_and_per_network_and_freed_on_drop() {
        let (a, b, c) = (key("a"), key("b"), key("c"));
        let limiter = Limiter::new(&Limits {
            status_streams: 3,
            status_streams_per_network: 2,
            ..Limits::default()
        });
        let a1 = limiter.status_stream(&a).unwrap();
        let _a2 = limiter.status_stream(&a).unwrap();
        assert_eq!(
            limiter.status_stream(&a).err(),
            Some(StreamRefusal::NetworkFull)
        );
        let _b1 = limiter.status_stream(&b).unwrap();
        assert_eq!(limiter.status_stream(&c).err(), Some(StreamRefusal::Full));
        assert_eq!(limiter.open_status_streams(), 3);
        drop(a1);
        assert_eq!(limiter.open_status_streams(), 2);
        let _c1 = limiter.status_stream(&c).unwrap();
        assert_eq!(limiter.tracked_networks(), 3);
    }

    #[test]
    fn bucket_allows_a_burst_then_refills_with_the_clock() {
        let rate = Rate {
            burst: 3,
            per_sec: 1.0,
        };
        let mut b = TokenBucket::full(rate, 0);
        assert!((0..3).all(|_| b.take(rate, 0)));
        assert!(!b.take(rate, 0));
        assert!(!b.take(rate, 999));
        assert!(b.take(rate, 1000));
        assert!(!b.take(rate, 1000));
        // A clock that goes back gives nothing away.
        assert!(!b.take(rate, 0));
        // A long pause refills to the burst, not beyond.
        assert!((0..3).all(|_| b.take(rate, 100_000)));
        assert!(!b.take(rate, 100_000));
    }

    #[test]
    fn sessions_are_limited_per_network_and_pruned_once_refilled() {
        let (a, b) = (key("a"), key("b"));
        let limiter = Limiter::new(&limits(2, 10));
        assert!(limiter.new_session(&a, 0));
        assert!(limiter.new_session(&a, 0));
        assert!(!limiter.new_session(&a, 0), "third chat within the minute");
        assert!(limiter.new_session(&b, 0), "another network is unaffected");
        assert!(limiter.new_session(&a, 30_000), "one comes back after 30 s");
        // By then b's bucket has refilled (forgotten); a's is empty (kept).
        limiter.prune(30_000);
        assert_eq!(limiter.tracked_networks(), 1);
        assert!(!limiter.new_session(&a, 30_000), "pruning forgave nothing");
        limiter.prune(120_000);
        assert_eq!(limiter.tracked_networks(), 0);
    }

    #[test]
    fn connections_are_counted_and_freed_on_drop() {
        let a = key("a");
        let limiter = Limiter::new(&limits(10, 2));
        let first = limiter.connect(&a).unwrap();
        let _second = limiter.connect(&a).unwrap();
        assert!(limiter.connect(&a).is_none());
        drop(first);
        assert!(limiter.connect(&a).is_some());
    }
}
