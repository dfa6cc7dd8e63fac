//! The figures over time on the supervisors' "Cijfers" screen: each service's queue
//! length at every 5-minute mark, and the conversations taken per local hour today and
//! this week. Counts only: nothing here names a visitor, a counselor or a conversation.
//!
//! The samples live in memory (a restart starts them again); the hourly counts come from
//! the store, like the dashboard's "today", so a restart keeps them.

use std::collections::VecDeque;

use chathulp_shared::ServiceId;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan as _};

use crate::store::TakenInQuarter;

/// How often the queue length is sampled.
pub const SAMPLE_EVERY_MS: i64 = 5 * 60_000;
/// Twelve hours of samples: a long shift and what came before it.
pub const SAMPLES_KEPT: usize = 144;
const HOURS: usize = 24;

/// One service's queue length at each 5-minute mark, oldest first, at most
/// [`SAMPLES_KEPT`].
#[derive(Debug, Default)]
pub(super) struct WaitingSamples {
    samples: VecDeque<u32>,
    /// The mark of the newest sample (Unix ms / [`SAMPLE_EVERY_MS`]).
    last_mark: Option<i64>,
}

impl WaitingSamples {
    /// Called on every tick with the relay's clock: samples `waiting` once a new 5-minute
    /// mark has passed. Marks missed in between (the relay was paused, or a test moved the
    /// clock on) get the same value, so that every sample stays 5 minutes from the next.
    pub(super) fn sample(&mut self, now_ms: i64, waiting: u32) {
        let mark = now_ms.div_euclid(SAMPLE_EVERY_MS);
        let count = match self.last_mark {
            None => 1,
            Some(last) if mark == last => return,
            Some(last) if mark > last => (mark - last).min(SAMPLES_KEPT as i64),
            // The clock went back: the old samples no longer line up with it.
            Some(_) => {
                self.samples.clear();
                1
            }
        };
        for _ in 0..count {
            if self.samples.len() == SAMPLES_KEPT {
                self.samples.pop_front();
            }
            self.samples.push_back(waiting);
        }
        self.last_mark = Some(mark);
    }

    pub(super) fn samples(&self) -> Vec<u32> {
        self.samples.iter().copied().collect()
    }

    /// When the newest sample was due (Unix ms).
    pub(super) fn last_at_ms(&self) -> Option<i64> {
        self.last_mark.map(|m| m * SAMPLE_EVERY_MS)
    }
}

/// Midnight today and Monday 00:00 of this week in `tz` (Unix ms), for `now`.
pub(super) fn day_and_week_start(now: Timestamp, tz: &TimeZone) -> (i64, i64) {
    let here = now.to_zoned_datetime(tz.clone());
    let midnight = here
        .start_of_day()
        .map_or(now.as_millisecond(), |z| z.timestamp().as_millisecond());
    let back = i64::from(here.weekday().to_monday_zero_offset());
    let monday = here
        .date()
        .checked_sub(back.days())
        .and_then(|d| d.to_zoned_datetime(tz.clone()))
        .and_then(|z| z.start_of_day())
        .map_or(midnight, |z| z.timestamp().as_millisecond());
    (midnight, monday)
}

/// One service's conversations taken today and this week, by local hour of the day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TakenByHour {
    pub service: ServiceId,
    pub today: [u32; HOURS],
    /// Summed over the days since Monday.
    pub week: [u32; HOURS],
    pub today_conversations: u32,
    pub today_wait_ms: i64,
    pub week_conversations: u32,
    pub week_wait_ms: i64,
}

impl TakenByHour {
    fn new(service: ServiceId) -> Self {
        Self {
            service,
            today: [0; HOURS],
            week: [0; HOURS],
            today_conversations: 0,
            today_wait_ms: 0,
            week_conversations: 0,
            week_wait_ms: 0,
        }
    }

    pub(super) fn today_mean_wait_ms(&self) -> Option<i64> {
        (self.today_conversations > 0)
            .then(|| self.today_wait_ms / i64::from(self.today_conversations))
    }

    pub(super) fn week_mean_wait_ms(&self) -> Option<i64> {
        (self.week_conversations > 0)
            .then(|| self.week_wait_ms / i64::from(self.week_conversations))
    }
}

/// Adds the store's quarters (all since Monday 00:00) up to local hours, per service.
/// On the night the clocks go back, both 02:00 hours count as one.
pub(super) fn by_hour(
    quarters: &[TakenInQuarter],
    tz: &TimeZone,
    midnight_ms: i64,
) -> Vec<TakenByHour> {
    let mut services: Vec<TakenByHour> = Vec::new();
    for q in quarters {
        let Ok(start) = Timestamp::from_millisecond(q.quarter_start_ms) else {
            continue;
        };
        let hour = usize::try_from(start.to_zoned_datetime(tz.clone()).hour()).unwrap_or(0) % HOURS;
        let at = match services.iter().position(|s| s.service == q.service) {
            Some(at) => at,
            None => {
                services.push(TakenByHour::new(q.service.clone()));
                services.len() - 1
            }
        };
        let s = &mut services[at];
        s.week[hour] += q.conversations;
        s.week_conversations += q.conversations;
        s.week_wait_ms += q.total_wait_ms;
        if q.quarter_start_ms >= midnight_ms {
            s.today[hour] += q.conversations;
            s.today_conversations += q.conversations;
            s.today_wait_ms += q.total_wait_ms;
        }
    }
    services
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARK: i64 = 1_795_820_400_000; // a multiple of 5 minutes

    #[test]
    fn a_sample_per_five_minute_mark_and_none_in_between() {
        let mut w = WaitingSamples::default();
        w.sample(MARK + 1_000, 2);
        w.sample(MARK + 4 * 60_000, 9);
        w.sample(MARK + SAMPLE_EVERY_MS, 3);
        assert_eq!(w.samples(), vec![2, 3]);
        assert_eq!(w.last_at_ms(), Some(MARK + SAMPLE_EVERY_MS));
    }

    #[test]
    fn missed_marks_repeat_the_value_and_the_ring_keeps_twelve_hours() {
        let mut w = WaitingSamples::default();
        w.sample(MARK, 1);
        w.sample(MARK + 3 * SAMPLE_EVERY_MS, 4);
        assert_eq!(w.samples(), vec![1, 4, 4, 4]);
        w.sample(MARK + 1_000 * SAMPLE_EVERY_MS, 7);
        assert_eq!(w.samples(), vec![7; SAMPLES_KEPT]);
        w.sample(MARK + 1_001 * SAMPLE_EVERY_MS, 0);
        assert_eq!(w.samples().len(), SAMPLES_KEPT);
        assert_eq!(w.samples().last(), Some(&0));
    }

    #[test]
    fn a_clock_that_goes_back_starts_the_samples_again() {
        let mut w = WaitingSamples::default();
        w.sample(MARK, 1);
        w.sample(MARK + SAMPLE_EVERY_MS, 2);
        w.sample(MARK - SAMPLE_EVERY_MS, 5);
        assert_eq!(w.samples(), vec![5]);
    }

    fn brussels() -> TimeZone {
        TimeZone::get("Europe/Brussels").unwrap_or(TimeZone::UTC)
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn the_week_starts_on_monday_at_local_midnight() {
        // Friday 27 November 2026, 14:30 in Brussels (UTC+1).
        let (midnight, monday) = day_and_week_start(at("2026-11-27T13:30:00Z"), &brussels());
        assert_eq!(midnight, at("2026-11-26T23:00:00Z").as_millisecond());
        assert_eq!(monday, at("2026-11-22T23:00:00Z").as_millisecond());
        // On a Monday, the week is today.
        let (midnight, monday) = day_and_week_start(at("2026-11-23T08:00:00Z"), &brussels());
        assert_eq!(midnight, monday);
    }

    fn quarter(service: &str, start: &str, conversations: u32, wait_ms: i64) -> TakenInQuarter {
        TakenInQuarter {
            service: ServiceId(service.into()),
            quarter_start_ms: at(start).as_millisecond(),
            conversations,
            total_wait_ms: wait_ms,
        }
    }

    #[test]
    fn quarters_add_up_to_local_hours_today_and_this_week() {
        let midnight = at("2026-11-26T23:00:00Z").as_millisecond();
        let rows = [
            // Tuesday 13:00 and 13:45 local, Friday 13:15 and 14:00 local.
            quarter("caw", "2026-11-24T12:00:00Z", 2, 60_000),
            quarter("caw", "2026-11-24T12:45:00Z", 1, 30_000),
            quarter("caw", "2026-11-27T12:15:00Z", 3, 90_000),
            quarter("caw", "2026-11-27T13:00:00Z", 1, 0),
            quarter("jac", "2026-11-27T13:00:00Z", 1, 120_000),
        ];
        let hours = by_hour(&rows, &brussels(), midnight);
        let caw = &hours[0];
        assert_eq!((caw.today[13], caw.today[14]), (3, 1));
        assert_eq!((caw.week[13], caw.week[14]), (6, 1));
        assert_eq!(caw.today.iter().sum::<u32>(), caw.today_conversations);
        assert_eq!((caw.today_conversations, caw.week_conversations), (4, 7));
        assert_eq!(caw.today_mean_wait_ms(), Some(22_500));
        assert_eq!(caw.week_mean_wait_ms(), Some(25_714));
        assert_eq!(hours[1].service, ServiceId("jac".into()));
        assert_eq!(hours[1].today[14], 1);
    }

    #[test]
    fn a_summer_afternoon_is_an_hour_further_from_utc() {
        // 12:00 UTC is 14:00 in Brussels in summer (UTC+2).
        let midnight = at("2026-07-09T22:00:00Z").as_millisecond();
        let rows = [quarter("caw", "2026-07-10T12:00:00Z", 1, 0)];
        assert_eq!(by_hour(&rows, &brussels(), midnight)[0].today[14], 1);
    }
}
