//! The broker's state in numbers, for `/metrics` ([`crate::metrics`]): read when
//! Prometheus scrapes, so the hot path updates no gauge.

use chathulp_shared::Role;

use super::Broker;
use crate::metrics::{Figures, ServiceFigures};

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
            ..Figures::default()
        }
    }
}
