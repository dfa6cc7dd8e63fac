//! Opening hours per service, in Europe/Brussels time with real DST rules (jiff's
//! bundled time-zone database), plus closures for holidays and exceptional circumstances.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime as Zoned};
use serde::Deserialize;

/// One weekly opening window, as written in the config: `{ days = "mon-fri", from = "13:00", to = "17:00" }`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct WindowConfig {
    pub days: String,
    pub from: String,
    /// `"24:00"` means until midnight.
    pub to: String,
}

/// A closure, as written in the config: `{ from = "2026-12-25", to = "2026-12-26", reason = "Kerstmis" }`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClosureConfig {
    pub from: Date,
    /// Inclusive; defaults to `from` (a single day).
    #[serde(default)]
    pub to: Option<Date>,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HoursError {
    #[error("unknown day {0:?}: use mon, tue, wed, thu, fri, sat, sun or a range like mon-fri")]
    Day(String),
    #[error("bad time {0:?}: use HH:MM, 00:00 to 24:00")]
    Time(String),
    #[error("window {from}–{to} ends before it starts")]
    Empty { from: String, to: String },
    #[error("unknown time zone {0:?}")]
    Zone(String),
}

#[derive(Clone, Debug)]
struct Window {
    /// Indexed by `Weekday::to_monday_zero_offset`.
    days: [bool; 7],
    from: Time,
    /// `None` means midnight at the end of the day.
    to: Option<Time>,
}

#[derive(Clone, Debug)]
pub struct OpeningHours {
    tz: TimeZone,
    windows: Vec<Window>,
    closures: Vec<(Date, Date)>,
}

impl OpeningHours {
    pub fn new(
        zone: &str,
        windows: &[WindowConfig],
        closures: &[ClosureConfig],
    ) -> Result<Self, HoursError> {
        let tz = TimeZone::get(zone).map_err(|_| HoursError::Zone(zone.to_owned()))?;
        let windows = windows
            .iter()
            .map(parse_window)
            .collect::<Result<Vec<_>, _>>()?;
        let closures = closures
            .iter()
            .map(|c| (c.from, c.to.unwrap_or(c.from)))
            .collect();
        Ok(Self {
            tz,
            windows,
            closures,
        })
    }

    fn closed_on(&self, date: Date) -> bool {
        self.closures
            .iter()
            .any(|(from, to)| *from <= date && date <= *to)
    }

    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = at.to_zoned_datetime(self.tz.clone());
        let (date, time) = (local.date(), local.time());
        if self.closed_on(date) {
            return false;
        }
        let day = day_index(local.weekday());
        self.windows
            .iter()
            .any(|w| w.days[day] && w.from <= time && w.to.is_none_or(|to| time < to))
    }

    /// The next moment the service opens, strictly after `at`; `None` if it is open now
    /// or does not open within a year.
    pub fn next_opening(&self, at: Timestamp) -> Option<Zoned> {
        if self.is_open(at) {
            return None;
        }
        let today = at.to_zoned_datetime(self.tz.clone()).date();
        let mut starts: Vec<Zoned> = Vec::new();
        for offset in 0..=366 {
            let date = today.checked_add(jiff::Span::new().days(offset)).ok()?;
            if self.closed_on(date) {
                continue;
            }
            let day = day_index(date.weekday());
            starts.clear();
            starts.extend(
                self.windows
                    .iter()
                    .filter(|w| w.days[day])
                    .filter_map(|w| {
                        date.to_datetime(w.from)
                            .to_zoned_datetime(self.tz.clone())
                            .ok()
                    })
                    .filter(|z| z.timestamp() > at),
            );
            if let Some(first) = starts.iter().min_by_key(|z| z.timestamp()) {
                return Some(first.clone());
            }
        }
        None
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }
}

fn day_index(w: Weekday) -> usize {
    usize::try_from(w.to_monday_zero_offset()).unwrap_or(0)
}

fn parse_day(s: &str) -> Result<usize, HoursError> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| HoursError::Day(s.to_owned()))
}

fn parse_days(spec: &str) -> Result<[bool; 7], HoursError> {
    let mut days = [false; 7];
    for part in spec.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (parse_day(a)?, parse_day(b)?);
                if a > b {
                    return Err(HoursError::Day(part.to_owned()));
                }
                days[a..=b].iter_mut().for_each(|d| *d = true);
            }
            None => days[parse_day(part)?] = true,
        }
    }
    Ok(days)
}

fn parse_time(s: &str) -> Result<Option<Time>, HoursError> {
    if s.trim() == "24:00" {
        return Ok(None);
    }
    Time::strptime("%H:%M", s.trim())
        .map(Some)
        .map_err(|_| HoursError::Time(s.to_owned()))
}

fn parse_window(w: &WindowConfig) -> Result<Window, HoursError> {
    let from = parse_time(&w.from)?.ok_or_else(|| HoursError::Time(w.from.clone()))?;
    let to = parse_time(&w.to)?;
    if to.is_some_and(|to| to <= from) {
        return Err(HoursError::Empty {
            from: w.from.clone(),
            to: w.to.clone(),
        });
    }
    Ok(Window {
        days: parse_days(&w.days)?,
        from,
        to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caw() -> OpeningHours {
        let w = WindowConfig {
            days: "mon-fri".into(),
            from: "13:00".into(),
            to: "17:00".into(),
        };
        OpeningHours::new("Europe/Brussels", &[w], &[]).unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn open_on_weekday_afternoons_in_brussels_time_across_both_dst_switches() {
        let h = caw();
        // Winter (CET, UTC+1): 13:30 local is 12:30Z.
        assert!(h.is_open(ts("2026-11-27T12:30:00Z")));
        assert!(!h.is_open(ts("2026-11-27T11:59:00Z")));
        // Summer (CEST, UTC+2), after the March switch: 13:30 local is 11:30Z.
        assert!(h.is_open(ts("2026-03-30T11:30:00Z")));
        assert!(!h.is_open(ts("2026-03-30T15:30:00Z")));
        // Friday before the October switch (CEST) and Monday after (CET).
        assert!(h.is_open(ts("2026-10-23T14:59:00Z")));
        assert!(!h.is_open(ts("2026-10-23T15:00:00Z")));
        assert!(h.is_open(ts("2026-10-26T15:59:00Z")));
    }

    #[test]
    fn next_opening_skips_the_weekend_and_closures() {
        let closure = ClosureConfig {
            from: "2026-11-30".parse().unwrap(),
            to: None,
            reason: "test".into(),
        };
        let w = WindowConfig {
            days: "mon-fri".into(),
            from: "13:00".into(),
            to: "17:00".into(),
        };
        let h = OpeningHours::new("Europe/Brussels", &[w], &[closure]).unwrap();
        // Friday evening → Monday is closed → Tuesday 13:00 local.
        let next = h.next_opening(ts("2026-11-27T20:00:00Z")).unwrap();
        assert_eq!(next.date(), "2026-12-01".parse::<Date>().unwrap());
        assert_eq!(next.timestamp(), ts("2026-12-01T12:00:00Z"));
        assert!(!h.is_open(ts("2026-11-30T13:00:00Z")));
        assert!(h.next_opening(ts("2026-12-01T12:30:00Z")).is_none());
    }

    #[test]
    fn bad_config_is_refused_with_a_clear_error() {
        let w = |d: &str, f: &str, t: &str| WindowConfig {
            days: d.into(),
            from: f.into(),
            to: t.into(),
        };
        let err = |w| OpeningHours::new("Europe/Brussels", &[w], &[]).unwrap_err();
        assert_eq!(
            err(w("maandag", "13:00", "17:00")),
            HoursError::Day("maandag".into())
        );
        assert_eq!(
            err(w("mon", "13h", "17:00")),
            HoursError::Time("13h".into())
        );
        assert!(matches!(
            err(w("mon", "17:00", "13:00")),
            HoursError::Empty { .. }
        ));
        assert!(OpeningHours::new("Europe/Nowhere", &[], &[]).is_err());
    }

    #[test]
    fn until_midnight_window_is_open_at_23_59() {
        let w = WindowConfig {
            days: "mon-sun".into(),
            from: "00:00".into(),
            to: "24:00".into(),
        };
        let h = OpeningHours::new("Europe/Brussels", &[w], &[]).unwrap();
        assert!(h.is_open(ts("2026-11-28T22:59:00Z")));
        assert!(h.is_open(ts("2026-11-28T23:00:00Z")));
    }
}
