//! Getting the counselor's attention: the terminal bell plus a flash of the notice line,
//! for the events `config.toml` leaves switched on (see [`crate::config::Notifications`]).
//! The notice text shows either way; only the bell and the flash are switched.

use chathulp_shared::staff::ServiceQueue;

use super::App;
use crate::model::Notice;

/// How long the notice line flashes after a notification.
pub const FLASH_MS: i64 = 2_000;
/// How long a notification's text stays.
const NOTIFY_NOTICE_MS: i64 = 15_000;

/// What happened, as far as notifications go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A visitor joined a queue that was empty.
    Queue,
    /// A visitor's message in a conversation not in view.
    Message,
    /// A reveal request was flagged or answered.
    Emergency,
}

impl App {
    /// Shows `text`; rings and flashes too if `event` is switched on.
    pub(super) fn notify(&mut self, event: Event, text: String, is_error: bool) {
        let on = match event {
            Event::Queue => self.notifications.queue,
            Event::Message => self.notifications.message,
            Event::Emergency => self.notifications.emergency,
        };
        if on {
            self.bell = true;
            self.flash_until_ms = self.now_ms + FLASH_MS;
        }
        self.notice = Some(Notice {
            text,
            is_error,
            until_ms: self.now_ms + NOTIFY_NOTICE_MS,
            until_someone_waits: false,
        });
    }

    /// Whether the notice line flashes now.
    pub fn flashing(&self) -> bool {
        self.now_ms < self.flash_until_ms
    }

    /// Counselors: a visitor in a queue that was empty in the last snapshot. The first
    /// snapshot after signing in says nothing: those visitors did not just arrive.
    pub(super) fn queue_news(&mut self, old: &[ServiceQueue]) {
        if old.is_empty() || self.read_only() {
            return;
        }
        let joined = self.services.iter().find(|s| {
            !s.waiting.is_empty()
                && old
                    .iter()
                    .any(|o| o.service == s.service && o.waiting.is_empty())
        });
        if let Some(service) = joined {
            let text = crate::strings::visitor_waiting(&service.name);
            self.notify(Event::Queue, text, false);
        }
    }
}
