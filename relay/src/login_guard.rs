//! Protection of the staff sign-in: password guessing and hash floods.
//!
//! - Every argon2 verification takes about 20 MiB and tens of milliseconds of a core.
//!   A semaphore lets at most `limits.login_hashes_at_once` run at the same time; further
//!   logins wait their turn, so a flood of logins can't exhaust memory or starve the
//!   chats of CPU.
//! - Failed logins are counted per account name (as typed, so probing unknown names
//!   counts too) and per network (the vault's keyed hash of the address, as in
//!   [`crate::limits`]). After `limits.login_failures_per_account` (or
//!   `login_failures_per_network`) failures in a row, each further failure locks that
//!   account name (or network) for 1 s, 2 s, 4 s, … up to `limits.login_backoff_max_secs`.
//!   A locked login is answered `rate_limited` without looking at the password.
//!   A successful login resets its account's count; a network's count is forgotten once
//!   it has been quiet for the longest backoff.
//!
//! Time comes from the injected clock, in milliseconds.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::config::Limits;
use crate::limits::PeerKey;

/// Consecutive failures of one account name or network, and until when it is locked.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    locked_until_ms: i64,
    last_ms: i64,
}

/// Failure counts per key (account name or network) with exponential backoff.
struct Backoff<K> {
    free_failures: u32,
    max_ms: i64,
    map: Mutex<HashMap<K, Failures>>,
}

impl<K: Eq + Hash + Clone> Backoff<K> {
    fn new(free_failures: u32, max_ms: i64) -> Self {
        Self {
            free_failures,
            max_ms,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Milliseconds until `key` may try again; 0 when it may now.
    fn wait_ms(&self, key: &K, now_ms: i64) -> i64 {
        lock(&self.map)
            .get(key)
            .map_or(0, |f| (f.locked_until_ms - now_ms).max(0))
    }

    fn failed(&self, key: &K, now_ms: i64) {
        let mut map = lock(&self.map);
        let f = map.entry(key.clone()).or_insert(Failures {
            count: 0,
            locked_until_ms: now_ms,
            last_ms: now_ms,
        });
        f.count = f.count.saturating_add(1);
        f.last_ms = now_ms;
        if let Some(over) = f.count.checked_sub(self.free_failures + 1) {
            // 1 s, 2 s, 4 s, … capped; the shift is capped too, so it can't overflow.
            let delay = (1000_i64 << over.min(30)).min(self.max_ms);
            f.locked_until_ms = now_ms + delay;
        }
    }

    fn forget(&self, key: &K) {
        lock(&self.map).remove(key);
    }

    /// Forgets keys quiet for the longest backoff and no longer locked.
    fn prune(&self, now_ms: i64) {
        let max_ms = self.max_ms;
        lock(&self.map).retain(|_, f| f.locked_until_ms > now_ms || now_ms - f.last_ms < max_ms);
    }

    fn len(&self) -> usize {
        lock(&self.map).len()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The sign-in guard shared by every staff socket.
pub struct LoginGuard {
    hashing: Semaphore,
    accounts: Backoff<String>,
    networks: Backoff<PeerKey>,
}

impl LoginGuard {
    pub fn new(limits: &Limits) -> Self {
        let max_ms =
            i64::try_from(limits.login_backoff_max_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        Self {
            hashing: Semaphore::new(limits.login_hashes_at_once),
            accounts: Backoff::new(limits.login_failures_per_account, max_ms),
            networks: Backoff::new(limits.login_failures_per_network, max_ms),
        }
    }

    /// Waits for a turn to verify a password hash. Hold the permit while hashing.
    pub async fn hash_permit(&self) -> Option<SemaphorePermit<'_>> {
        self.hashing.acquire().await.ok()
    }

    /// Whole seconds (rounded up) until `user` from `network` may try a password again;
    /// 0 when they may now.
    pub fn wait_secs(&self, user: &str, network: &PeerKey, now_ms: i64) -> i64 {
        let ms = self
            .accounts
            .wait_ms(&user.to_owned(), now_ms)
            .max(self.networks.wait_ms(network, now_ms));
        (ms + 999) / 1000
    }

    pub fn failed(&self, user: &str, network: &PeerKey, now_ms: i64) {
        self.accounts.failed(&user.to_owned(), now_ms);
        self.networks.failed(network, now_ms);
    }

    /// A correct password: the account's count starts again. The network's does not,
    /// or one known password would reset the count of guesses at every other account.
    pub fn succeeded(&self, user: &str) {
        self.accounts.forget(&user.to_owned());
    }

    /// Forgets quiet account names and networks. Called on the housekeeping tick.
    pub fn prune(&self, now_ms: i64) {
        self.accounts.prune(now_ms);
        self.networks.prune(now_ms);
    }

    /// How many account names and networks are remembered (for tests of [`Self::prune`]).
    pub fn tracked(&self) -> usize {
        self.accounts.len() + self.networks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(per_account: u32, per_network: u32, hashes: usize) -> LoginGuard {
        LoginGuard::new(&Limits {
            login_failures_per_account: per_account,
            login_failures_per_network: per_network,
            login_backoff_max_secs: 8,
            login_hashes_at_once: hashes,
            ..Limits::default()
        })
    }

    #[test]
    fn backoff_doubles_after_the_free_failures_and_is_capped() {
        let net = PeerKey::from_stored("n".into());
        let g = guard(2, 100, 4);
        g.failed("an", &net, 0);
        g.failed("an", &net, 0);
        assert_eq!(g.wait_secs("an", &net, 0), 0, "two free failures");
        let mut waits = Vec::new();
        let mut now = 0;
        for _ in 0..6 {
            g.failed("an", &net, now);
            let wait = g.wait_secs("an", &net, now);
            waits.push(wait);
            now += wait * 1000;
        }
        assert_eq!(waits, [1, 2, 4, 8, 8, 8]);
        assert_eq!(
            g.wait_secs("bo", &net, now),
            0,
            "other accounts are not locked"
        );
        g.succeeded("an");
        assert_eq!(g.wait_secs("an", &net, 0), 0);
    }

    #[test]
    fn network_is_locked_across_account_names_and_pruned_when_quiet() {
        let (a, b) = (
            PeerKey::from_stored("a".into()),
            PeerKey::from_stored("b".into()),
        );
        let g = guard(100, 3, 4);
        for user in ["u1", "u2", "u3", "u4"] {
            g.failed(user, &a, 0);
        }
        assert_eq!(g.wait_secs("new", &a, 0), 1);
        assert_eq!(
            g.wait_secs("new", &b, 0),
            0,
            "another network is unaffected"
        );
        g.prune(7_999);
        assert!(g.tracked() > 0, "not yet quiet for the longest backoff");
        g.prune(8_000);
        assert_eq!(g.tracked(), 0);
    }

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_configured() {
        let g = guard(5, 20, 2);
        let first = g.hash_permit().await;
        let second = g.hash_permit().await;
        assert!(first.is_some() && second.is_some());
        assert!(g.hashing.try_acquire().is_err(), "a third must wait");
        drop(first);
        assert!(g.hashing.try_acquire().is_ok());
    }
}
