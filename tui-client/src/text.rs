//! Text for the terminal: word wrap and cutting by display width, and times and
//! durations as counselors read them (Brussels time).

use std::sync::LazyLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

/// Counselors work in Belgium; message times are shown in Brussels time, whatever the
/// machine's zone.
static BRUSSELS: LazyLock<TimeZone> =
    LazyLock::new(|| TimeZone::get("Europe/Brussels").unwrap_or(TimeZone::UTC));

/// Greedy word wrap by display width: the first line gets `first_width` columns, the
/// others `rest_width`. Words longer than a line are split.
pub fn wrap(text: &str, first_width: usize, rest_width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut current_width = 0;
    let room = |lines: &Vec<String>| {
        if lines.is_empty() {
            first_width.max(1)
        } else {
            rest_width.max(1)
        }
    };
    for word in text.split_inclusive(' ') {
        let bare = word.trim_end_matches(' ');
        if current_width + bare.width() > room(&lines) && !current.is_empty() {
            lines.push(current.trim_end().to_owned());
            current.clear();
            current_width = 0;
        }
        if bare.width() > room(&lines) {
            for ch in word.chars() {
                let w = ch.width().unwrap_or(0);
                if current_width + w > room(&lines) && !current.is_empty() {
                    lines.push(std::mem::take(&mut current));
                    current_width = 0;
                }
                current.push(ch);
                current_width += w;
            }
        } else {
            current.push_str(word);
            current_width += word.width();
        }
    }
    lines.push(current.trim_end().to_owned());
    lines
}

/// Cuts `text` to `max` columns, ending in `…` if it was cut.
pub(crate) fn fit(text: &str, max: usize) -> String {
    if text.width() <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut width = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if width + w + 1 > max {
            break;
        }
        out.push(ch);
        width += w;
    }
    out.push('…');
    out
}

/// A waiting or talking time: `<1m`, `3m`, `1u05m`.
pub fn format_duration(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    match minutes {
        0 => "<1m".to_owned(),
        m if m < 60 => format!("{m}m"),
        m => format!("{}u{:02}m", m / 60, m % 60),
    }
}

/// `HH:MM` in Brussels time.
pub fn clock_time(at_ms: i64) -> String {
    brussels(at_ms, "%H:%M")
}

/// `DD-MM HH:MM` in Brussels time, for what lasts longer than today (a block).
pub fn day_time(at_ms: i64) -> String {
    brussels(at_ms, "%d-%m %H:%M")
}

/// The hour of the day (0–23) in Brussels time.
pub fn hour_of_day(at_ms: i64) -> Option<usize> {
    let t = Timestamp::from_millisecond(at_ms).ok()?;
    usize::try_from(t.to_zoned_datetime(BRUSSELS.clone()).hour()).ok()
}

fn brussels(at_ms: i64, format: &str) -> String {
    Timestamp::from_millisecond(at_ms)
        .map(|t| {
            t.to_zoned_datetime(BRUSSELS.clone())
                .strftime(format)
                .to_string()
        })
        .unwrap_or_else(|_| "--:--".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(format_duration(59_000), "<1m");
        assert_eq!(format_duration(3 * 60_000 + 5_000), "3m");
        assert_eq!(format_duration(65 * 60_000), "1u05m");
        assert_eq!(format_duration(-5), "<1m");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_splits_long_words() {
        assert_eq!(wrap("een twee drie", 8, 8), vec!["een twee", "drie"]);
        assert_eq!(wrap("abcdefghij", 4, 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("kort", 2, 10), vec!["ko", "rt"]);
        assert_eq!(wrap("", 10, 10), vec![""]);
        assert_eq!(wrap("😢😢😢", 4, 4), vec!["😢😢", "😢"]);
    }

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("Samantha", 20), "Samantha");
        assert_eq!(fit("Samantha", 5), "Sama…");
    }
}
