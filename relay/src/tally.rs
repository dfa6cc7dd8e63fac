//! What the reports count: the anonymous aggregates that outlive the retention purge.
//!
//! The broker turns each event into a few [`Tally`] rows and adds them to the store
//! right after the event's own write ([`crate::store::Store::add_tallies`]). A row is a
//! count per (service, UTC hour, metric, value): no nickname, address, text or
//! conversation id, and nothing finer than an hour. Values come from closed lists (age
//! bands, the intake's enums, the config's topics and survey questions, the buckets
//! below), never from what a visitor typed.
//!
//! Everything about one conversation is counted in the hour it **arrived** (its
//! `hello`), even when it is taken, ends or is registered later: so per hour, `hello`
//! equals `served` plus `left_queue` once every conversation of that hour has ended,
//! and a report of a period speaks about the visitors who came in that period. Refusals,
//! reveals and blocks are counted in the hour they happen. docs/reports.md lists every
//! metric.

use chathulp_shared::{
    Gender, Intake, Region, ServiceId, SurveyAnswer, SurveyKind, SurveyQuestion,
};

use crate::store::{Tally, hour_of};

/// A visitor started a conversation (joined the queue, or came back by nickname).
pub const HELLO: &str = "hello";
/// A `hello` refused: value `busy` or `closed` (outside hours, closed, nobody signed in).
pub const REFUSED: &str = "refused";
/// A `hello` whose address hash has earlier conversations within retention.
pub const RETURNING: &str = "returning";
/// Intake at `hello`: value an age band, a region or a gender, or [`NOT_GIVEN`].
pub const AGE: &str = "age";
pub const REGION: &str = "region";
pub const GENDER: &str = "gender";
/// A counselor took the conversation: value the wait's bucket ([`WAIT_BUCKETS`]).
pub const SERVED: &str = "served";
/// Sum of the waits of [`SERVED`] conversations, in ms.
pub const WAIT_MS: &str = "wait_ms";
/// The conversation ended before anyone took it: value the wait's bucket.
pub const LEFT_QUEUE: &str = "left_queue";
/// A served conversation ended: value the duration's bucket ([`DURATION_BUCKETS`]).
pub const DURATION: &str = "duration";
/// Sum of the durations of ended served conversations, in ms.
pub const DURATION_MS: &str = "duration_ms";
/// A conversation ended: value `refused` when the visitor had refused a dossier then,
/// else `not_refused`.
pub const DOSSIER: &str = "dossier";
/// A wrap-up registration, first time only: one row per topic chosen (value the topic).
pub const TOPIC: &str = "topic";
/// A survey answer to a scale or yes/no question: value `question=answer`. Free-text
/// answers are never counted.
pub const SURVEY: &str = "survey";
/// Emergency reveals: value `requested`, `approved` or `denied`.
pub const REVEAL: &str = "reveal";
/// A counselor blocked a visitor.
pub const BLOCK: &str = "block";
/// The page was opened while this service was offline (outside its hours, closed, or
/// nobody signed in): counted in memory and added on the relay's tick.
pub const VISIT_CLOSED: &str = "visit_closed";

/// The value of an intake field the visitor skipped ("zeg ik liever niet" is its own
/// value, `undisclosed`).
pub const NOT_GIVEN: &str = "niet_opgegeven";

/// Upper bounds (exclusive, in minutes) and keys of the waiting-time buckets; the last
/// bucket has no bound.
pub const WAIT_BUCKETS: &[(i64, &str)] = &[
    (1, "0-1"),
    (5, "1-5"),
    (15, "5-15"),
    (30, "15-30"),
    (60, "30-60"),
    (i64::MAX, "60+"),
];

/// The conversation-length buckets: the last is "60 minutes or longer".
pub const DURATION_BUCKETS: &[(i64, &str)] = &[
    (15, "0-15"),
    (30, "15-30"),
    (60, "30-60"),
    (i64::MAX, "60+"),
];

/// The age bands of the intake.
pub const AGE_BANDS: &[(u8, &str)] = &[
    (12, "0-11"),
    (16, "12-15"),
    (18, "16-17"),
    (25, "18-24"),
    (35, "25-34"),
    (50, "35-49"),
    (65, "50-64"),
    (u8::MAX, "65+"),
];

/// The key of the bucket that `ms` falls in.
pub fn bucket(buckets: &'static [(i64, &'static str)], ms: i64) -> &'static str {
    let minutes = ms.max(0) / 60_000;
    buckets
        .iter()
        .find(|(below, _)| minutes < *below)
        .or(buckets.last())
        .map_or("", |(_, key)| key)
}

pub fn age_band(age: Option<u8>) -> &'static str {
    match age {
        None => NOT_GIVEN,
        Some(a) => AGE_BANDS
            .iter()
            .find(|(below, _)| a < *below)
            .or(AGE_BANDS.last())
            .map_or(NOT_GIVEN, |(_, key)| key),
    }
}

pub fn region_key(region: Option<Region>) -> &'static str {
    match region {
        None => NOT_GIVEN,
        Some(Region::Antwerpen) => "antwerpen",
        Some(Region::Limburg) => "limburg",
        Some(Region::OostVlaanderen) => "oost_vlaanderen",
        Some(Region::VlaamsBrabant) => "vlaams_brabant",
        Some(Region::WestVlaanderen) => "west_vlaanderen",
        Some(Region::Brussel) => "brussel",
        Some(Region::Elders) => "elders",
        Some(Region::Undisclosed) => "undisclosed",
    }
}

pub fn gender_key(gender: Option<Gender>) -> &'static str {
    match gender {
        None => NOT_GIVEN,
        Some(Gender::Female) => "female",
        Some(Gender::Male) => "male",
        Some(Gender::X) => "x",
        Some(Gender::Undisclosed) => "undisclosed",
    }
}

/// Builds the rows of one event: every row gets the same service and hour.
struct Rows {
    service: ServiceId,
    hour_ms: i64,
    rows: Vec<Tally>,
}

impl Rows {
    fn new(service: &ServiceId, at_ms: i64) -> Self {
        Self {
            service: service.clone(),
            hour_ms: hour_of(at_ms),
            rows: Vec::new(),
        }
    }

    fn add(mut self, metric: &str, value: &str, n: i64) -> Self {
        self.rows.push(Tally {
            service: self.service.clone(),
            hour_ms: self.hour_ms,
            metric: metric.to_owned(),
            value: value.to_owned(),
            n,
        });
        self
    }

    fn one(self, metric: &str, value: &str) -> Self {
        self.add(metric, value, 1)
    }
}

/// A `hello` accepted: its intake, and whether the address came before.
pub fn hello(
    service: &ServiceId,
    queued_at_ms: i64,
    intake: &Intake,
    returning: bool,
) -> Vec<Tally> {
    let rows = Rows::new(service, queued_at_ms)
        .one(HELLO, "")
        .one(AGE, age_band(intake.age))
        .one(REGION, region_key(intake.region))
        .one(GENDER, gender_key(intake.gender));
    if returning {
        rows.one(RETURNING, "")
    } else {
        rows
    }
    .rows
}

/// A `hello` refused as `busy` or `closed`.
pub fn refused(service: &ServiceId, at_ms: i64, reason: &str) -> Vec<Tally> {
    Rows::new(service, at_ms).one(REFUSED, reason).rows
}

/// `n` page visits while `service` was offline, in the hour of `at_ms`.
pub fn visits_closed(service: &ServiceId, at_ms: i64, n: i64) -> Vec<Tally> {
    Rows::new(service, at_ms).add(VISIT_CLOSED, "", n).rows
}

/// A counselor took a conversation that arrived at `queued_at_ms`.
pub fn served(service: &ServiceId, queued_at_ms: i64, taken_at_ms: i64) -> Vec<Tally> {
    let wait = (taken_at_ms - queued_at_ms).max(0);
    Rows::new(service, queued_at_ms)
        .one(SERVED, bucket(WAIT_BUCKETS, wait))
        .add(WAIT_MS, "", wait)
        .rows
}

/// A conversation ended: served (with its length) or left in the queue (with its wait).
pub fn ended(
    service: &ServiceId,
    queued_at_ms: i64,
    started_at_ms: Option<i64>,
    ended_at_ms: i64,
    no_dossier: bool,
) -> Vec<Tally> {
    let rows = Rows::new(service, queued_at_ms)
        .one(DOSSIER, if no_dossier { "refused" } else { "not_refused" });
    match started_at_ms {
        Some(started) => {
            let length = (ended_at_ms - started).max(0);
            rows.one(DURATION, bucket(DURATION_BUCKETS, length))
                .add(DURATION_MS, "", length)
                .rows
        }
        None => {
            rows.one(LEFT_QUEUE, bucket(WAIT_BUCKETS, ended_at_ms - queued_at_ms))
                .rows
        }
    }
}

/// The topics of a conversation's first wrap-up registration.
pub fn topics(service: &ServiceId, queued_at_ms: i64, topics: &[String]) -> Vec<Tally> {
    topics
        .iter()
        .fold(Rows::new(service, queued_at_ms), |rows, t| {
            rows.one(TOPIC, t)
        })
        .rows
}

/// The scale and yes/no answers of a survey (never the free text).
pub fn survey(
    service: &ServiceId,
    queued_at_ms: i64,
    questions: &[SurveyQuestion],
    answers: &[SurveyAnswer],
) -> Vec<Tally> {
    answers
        .iter()
        .filter(|a| {
            questions
                .iter()
                .any(|q| q.id == a.question && q.kind != SurveyKind::Text)
        })
        .fold(Rows::new(service, queued_at_ms), |rows, a| {
            rows.one(SURVEY, &format!("{}={}", a.question, a.answer))
        })
        .rows
}

/// A reveal requested, approved or denied.
pub fn reveal(service: &ServiceId, at_ms: i64, step: &str) -> Vec<Tally> {
    Rows::new(service, at_ms).one(REVEAL, step).rows
}

/// A block added.
pub fn block(service: &ServiceId, at_ms: i64) -> Vec<Tally> {
    Rows::new(service, at_ms).one(BLOCK, "").rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_take_the_lower_bound_in() {
        assert_eq!(bucket(WAIT_BUCKETS, 0), "0-1");
        assert_eq!(bucket(WAIT_BUCKETS, 59_999), "0-1");
        assert_eq!(bucket(WAIT_BUCKETS, 60_000), "1-5");
        assert_eq!(bucket(WAIT_BUCKETS, 3_600_000 * 5), "60+");
        assert_eq!(bucket(DURATION_BUCKETS, 59 * 60_000), "30-60");
        assert_eq!(bucket(DURATION_BUCKETS, 60 * 60_000), "60+");
        assert_eq!(age_band(Some(11)), "0-11");
        assert_eq!(age_band(Some(17)), "16-17");
        assert_eq!(age_band(Some(90)), "65+");
        assert_eq!(age_band(None), NOT_GIVEN);
    }

    #[test]
    fn a_conversation_is_counted_in_the_hour_it_arrived() {
        let s = ServiceId("jac".into());
        let queued = 1_700_000_000_000;
        for t in served(&s, queued, queued + 7_200_000).iter().chain(&ended(
            &s,
            queued,
            Some(queued + 7_200_000),
            queued + 9_000_000,
            true,
        )) {
            assert_eq!(t.hour_ms, hour_of(queued));
        }
    }
}
