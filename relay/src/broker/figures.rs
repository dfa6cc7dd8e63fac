//! The broker's state in numbers, for `/metrics` ([`crate::metrics`]): read when
//! Prometheus scrapes, so the hot path updates no gauge.

use chathulp_shared::{Role, ServiceId};

use super::Broker;

/// One service's queue and conversations now.
#[derive(Debug)]
pub struct ServiceFigures {
    pub service: ServiceId,
    /// Visitors in the queue.
    pub waiting: usize,
    /// How long the first in the queue has waited (0 when nobody waits).
    pub longest_wait_ms: i64,
    /// Conversations a counselor holds.
    pub live: usize,
}

#[derive(Debug)]
pub struct Figures {
    pub services: Vec<ServiceFigures>,
    /// Distinct counselor accounts signed in (a counselor serves every service).
    pub counselors_online: usize,
}

impl Broker {
    pub fn figures(&self) -> Figures {
        let now_ms = self.now_ms();
        let state = self.state();
        let services = state
            .services
            .iter()
            .map(|s| ServiceFigures {
                service: s.config.id.clone(),
                waiting: s.queue.len(),
                longest_wait_ms: s
                    .queue
                    .front()
                    .and_then(|id| state.conversations.get(id))
                    .map_or(0, |l| now_ms - l.queued_at_ms),
                live: state
                    .conversations
                    .values()
                    .filter(|l| l.service == s.config.id && l.counselor.is_some())
                    .count(),
            })
            .collect();
        let counselors: std::collections::BTreeSet<&str> = state
            .staff
            .values()
            .filter(|c| c.member.role == Role::Counselor)
            .map(|c| c.member.user.as_str())
            .collect();
        Figures {
            services,
            counselors_online: counselors.len(),
        }
    }
}
