//! Reports (issue 15): a generated year of conversations in two services, through the
//! real broker and store, on the injected clock. The report's figures must equal counts
//! this test keeps itself, across both DST switches; after the retention purge the
//! aggregates must still give the very same report; and the HTML must render in
//! headless Chromium with every chart, no request and no script.

// The helpers below are the test's own steps: a failed unwrap there is a failed test,
// as it is in the `#[test]` functions clippy already exempts.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use chathulp_relay::broker::{Outbox, StaffMember};
use chathulp_relay::report::{self, Period, Request};
use chathulp_relay::vault::ClientIp;
use chathulp_shared::{
    ConversationId, ErrorCode, Gender, Intake, Party, Region, Role, ServiceId, SurveyAnswer,
};
use chathulp_tests::TestRelay;
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// What the test counts itself, per service.
#[derive(Default)]
struct Expected {
    hellos: i64,
    served: i64,
    left: i64,
    refused_closed: i64,
    returning: i64,
    blocks: i64,
    reveals: [i64; 3],
    /// `metric` → `value` → count, as the report's distributions name them.
    dist: BTreeMap<String, BTreeMap<String, i64>>,
    /// Per local day: (hellos, served, left).
    days: BTreeMap<Date, [i64; 3]>,
    /// (weekday from Monday, local hour) → (served, sum of waits in ms).
    heat: HashMap<(usize, usize), (i64, i64)>,
}

impl Expected {
    fn add(&mut self, metric: &str, value: &str) {
        *self
            .dist
            .entry(metric.into())
            .or_default()
            .entry(value.into())
            .or_default() += 1;
    }
}

fn tz() -> TimeZone {
    TimeZone::get("Europe/Brussels").unwrap()
}

fn at(day: Date, hour: i8, minute: i8) -> Timestamp {
    day.at(hour, minute, 0, 0)
        .to_zoned_datetime(tz())
        .unwrap()
        .timestamp()
}

fn age_band(age: Option<u8>) -> &'static str {
    match age {
        None => "niet_opgegeven",
        Some(a) if a < 12 => "0-11",
        Some(a) if a < 16 => "12-15",
        Some(a) if a < 18 => "16-17",
        Some(a) if a < 25 => "18-24",
        Some(a) if a < 35 => "25-34",
        Some(a) if a < 50 => "35-49",
        Some(a) if a < 65 => "50-64",
        Some(_) => "65+",
    }
}

fn wait_bucket(ms: i64) -> &'static str {
    match ms / 60_000 {
        0 => "0-1",
        1..=4 => "1-5",
        5..=14 => "5-15",
        15..=29 => "15-30",
        30..=59 => "30-60",
        _ => "60+",
    }
}

fn duration_bucket(ms: i64) -> &'static str {
    match ms / 60_000 {
        0..=14 => "0-15",
        15..=29 => "15-30",
        30..=59 => "30-60",
        _ => "60+",
    }
}

/// A report cell against the count the test kept: equal when shown, 1 to 4 when `<5`,
/// at least 5 when hidden to protect another cell.
fn check(what: &str, cell: &Value, expected: i64) {
    match cell {
        Value::Number(n) => assert_eq!(n.as_i64(), Some(expected), "{what}"),
        Value::String(s) if s == "<5" => assert!((1..5).contains(&expected), "{what}: {expected}"),
        Value::String(s) if s == "x" => assert!(expected >= 5, "{what}: {expected}"),
        other => panic!("{what}: unexpected cell {other}"),
    }
}

/// The shown number of a cell, which must be shown.
fn shown(cell: &Value) -> i64 {
    cell.as_i64()
        .unwrap_or_else(|| panic!("{cell} is not shown"))
}

fn request(from: Date, to: Date, service: Option<&str>, by: Period) -> Request {
    let config = chathulp_relay::config::Config::default();
    Request {
        from,
        to,
        service: service.map(|s| ServiceId(s.into())),
        by,
        tz: tz(),
        survey: config.survey.clone(),
        topics: config.wrapup.topics.clone(),
    }
}

async fn json(relay: &TestRelay, request: &Request) -> Value {
    let store = relay.broker.store();
    let built = report::report(store, request).await.unwrap();
    serde_json::from_str(&report::to_json(&built)).unwrap()
}

fn distribution<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["distributions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("no distribution {id}"))
}

/// Drives a year of conversations through the broker, keeping its own counts.
async fn generate(relay: &TestRelay) -> (HashMap<String, Expected>, Vec<String>) {
    let broker = &relay.broker;
    let counselor = StaffMember {
        user: "an".into(),
        role: Role::Counselor,
    };
    let admin = StaffMember {
        user: "adm".into(),
        role: Role::Admin,
    };
    let (outbox, staff_rx) = Outbox::new(1 << 20);
    broker.staff_join(counselor.clone(), outbox).await;
    let (outbox, admin_rx) = Outbox::new(1 << 20);
    broker.staff_join(admin.clone(), outbox).await;
    let mut receivers = vec![staff_rx, admin_rx];
    let topics = chathulp_relay::config::Config::default().wrapup.topics;
    let retention_ms = 183 * 24 * 3_600_000;
    let mut rng = Lcg(15);
    let mut expected: HashMap<String, Expected> = HashMap::new();
    // Conversation ends per address, for "returning within retention".
    let mut ends_of_ip: HashMap<u32, Vec<i64>> = HashMap::new();
    let mut nicknames = Vec::new();
    let mut next_private_ip = 1_000_000u32;
    let mut n = 0u32;
    let mut day = date(2026, 1, 5);
    while day <= date(2026, 12, 18) {
        if day.weekday().to_monday_zero_offset() >= 5 {
            day = day.tomorrow().unwrap();
            continue;
        }
        // One chain per day from 13:00 to 19:00 local: CAW until 17:00, then JAC;
        // and a visitor at 20:00 finds the chat closed.
        let mut t = at(day, 13, 0);
        let close = at(day, 19, 0);
        let mut k = 0u32;
        while t < close {
            let service = if t < at(day, 17, 0) && k.is_multiple_of(2) {
                "caw"
            } else {
                "jac"
            };
            k += 1;
            n += 1;
            relay.clock.set(t);
            let intake = Intake {
                age: (rng.next(5) != 0).then(|| 10 + u8::try_from(rng.next(60)).unwrap_or(0)),
                region: match rng.next(10) {
                    0 => None,
                    1 => Some(Region::Undisclosed),
                    2 => Some(Region::Limburg),
                    3 | 4 => Some(Region::Antwerpen),
                    5 => Some(Region::Brussel),
                    6 => Some(Region::WestVlaanderen),
                    7 => Some(Region::OostVlaanderen),
                    8 => Some(Region::VlaamsBrabant),
                    _ => Some(Region::Elders),
                },
                gender: match rng.next(6) {
                    0 => None,
                    1 => Some(Gender::Undisclosed),
                    2 => Some(Gender::X),
                    3 => Some(Gender::Male),
                    _ => Some(Gender::Female),
                },
            };
            let no_dossier = rng.next(7) == 0;
            let outcome = rng.next(100);
            let blocked = outcome == 99;
            let ip = if blocked {
                next_private_ip += 1;
                next_private_ip
            } else {
                u32::try_from(rng.next(900)).unwrap_or(0)
            };
            let nickname = format!("zqnick{n}");
            nicknames.push(nickname.clone());
            let (v_outbox, v_rx) = Outbox::new(256);
            let hello = broker
                .visitor_hello(
                    ServiceId(service.into()),
                    nickname,
                    intake.clone(),
                    no_dossier,
                    &ClientIp::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + ip))),
                    v_outbox,
                )
                .await;
            let e = expected.entry(service.into()).or_default();
            let session = match hello {
                Ok(session) => session,
                Err(reply) => {
                    // A holiday: the service is closed all day.
                    assert_eq!(reply.code, ErrorCode::ServiceOffline, "{}", reply.message);
                    e.refused_closed += 1;
                    t = t.saturating_add(SignedDuration::from_mins(90)).unwrap();
                    continue;
                }
            };
            drop(v_rx);
            let now = t.as_millisecond();
            let ends = ends_of_ip.entry(ip).or_default();
            if ends.iter().any(|&end| end >= now - retention_ms) {
                e.returning += 1;
            }
            e.hellos += 1;
            e.add("age", age_band(intake.age));
            e.add("region", chathulp_relay::tally::region_key(intake.region));
            e.add("gender", chathulp_relay::tally::gender_key(intake.gender));
            let local = t.to_zoned_datetime(tz());
            e.days.entry(local.date()).or_default()[0] += 1;
            e.add(
                "dossier",
                if no_dossier { "refused" } else { "not_refused" },
            );
            let id: ConversationId = session.conversation;
            let wait_ms = i64::try_from(if rng.next(10) == 0 {
                rng.next(70)
            } else {
                rng.next(12)
            })
            .unwrap_or(0)
                * 60_000
                + 7_000;
            t = t
                .saturating_add(SignedDuration::from_millis(wait_ms))
                .unwrap();
            relay.clock.set(t);
            if outcome < 12 {
                broker.end(&id, Party::Visitor, None).await.unwrap();
                e.left += 1;
                e.days.entry(local.date()).or_default()[2] += 1;
                e.add("wait_left", wait_bucket(wait_ms));
                ends.push(t.as_millisecond());
                continue;
            }
            broker
                .take(&counselor, &ServiceId(service.into()), Some(id.clone()))
                .await
                .unwrap();
            e.served += 1;
            e.days.entry(local.date()).or_default()[1] += 1;
            e.add("wait_served", wait_bucket(wait_ms));
            let cell = e
                .heat
                .entry((
                    usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0),
                    usize::try_from(local.hour()).unwrap_or(0),
                ))
                .or_default();
            cell.0 += 1;
            cell.1 += wait_ms;
            let length_ms = i64::try_from(if rng.next(8) == 0 {
                60 + rng.next(30)
            } else {
                3 + rng.next(40)
            })
            .unwrap_or(0)
                * 60_000;
            t = t
                .saturating_add(SignedDuration::from_millis(length_ms))
                .unwrap();
            relay.clock.set(t);
            if outcome < 15 && !blocked {
                broker
                    .request_reveal(&counselor, &id, "acuut gevaar".into())
                    .await
                    .unwrap();
                e.reveals[0] += 1;
                let pending = broker.store().reveal_requests(0).await.unwrap();
                let request = pending.last().unwrap().id;
                let approve = outcome.is_multiple_of(2);
                broker
                    .decide_reveal(&admin, request, approve, "nagekeken".into())
                    .await
                    .unwrap();
                e.reveals[if approve { 1 } else { 2 }] += 1;
            }
            if blocked {
                broker
                    .block(&counselor, &id, "bedreigingen".into())
                    .await
                    .unwrap();
                e.blocks += 1;
            } else {
                broker.end(&id, Party::Counselor, None).await.unwrap();
            }
            e.add("duration", duration_bucket(length_ms));
            ends.push(t.as_millisecond());
            if !blocked && rng.next(3) != 0 {
                let helped = (1 + rng.next(5)).to_string();
                let recommend = if rng.next(4) == 0 { "no" } else { "yes" };
                broker
                    .save_survey(
                        &id,
                        vec![
                            SurveyAnswer {
                                question: "helped".into(),
                                answer: helped.clone(),
                            },
                            SurveyAnswer {
                                question: "recommend".into(),
                                answer: recommend.into(),
                            },
                            SurveyAnswer {
                                question: "remarks".into(),
                                answer: "bedankt, dit hielp echt".into(),
                            },
                        ],
                    )
                    .await
                    .unwrap();
                e.add("survey:helped", &helped);
                e.add("survey:recommend", recommend);
            }
            if rng.next(2) == 0 {
                let first =
                    topics[usize::try_from(rng.next(topics.len() as u64)).unwrap_or(0)].clone();
                broker
                    .wrap_up(&counselor, &id, vec![first.clone()], "notitie".into())
                    .await
                    .unwrap();
                e.add("topic", &first);
                // A correction changes the notes, not the counted topics.
                if rng.next(5) == 0 {
                    broker
                        .wrap_up(&counselor, &id, vec![topics[0].clone()], "verbeterd".into())
                        .await
                        .unwrap();
                }
            }
            for rx in &mut receivers {
                while rx.try_recv().is_ok() {}
            }
        }
        // After hours: the chat is closed.
        relay.clock.set(at(day, 20, 0));
        let (v_outbox, _v_rx) = Outbox::new(16);
        let refused = broker
            .visitor_hello(
                ServiceId("jac".into()),
                "laat".into(),
                Intake::default(),
                false,
                &ClientIp::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
                v_outbox,
            )
            .await;
        assert_eq!(
            refused.map(|_| ()).unwrap_err().code,
            ErrorCode::ServiceOffline
        );
        expected.entry("jac".into()).or_default().refused_closed += 1;
        day = day.tomorrow().unwrap();
    }
    (expected, nicknames)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_year_of_conversations_reports_exactly_what_happened_also_after_the_purge() {
    let relay = TestRelay::start().await.unwrap();
    let (expected, nicknames) = generate(&relay).await;
    let total: i64 = expected.values().map(|e| e.hellos).sum();
    assert!(total > 2000, "a few thousand conversations, got {total}");

    let year = request(date(2026, 1, 1), date(2026, 12, 31), None, Period::Month);
    let before = json(&relay, &year).await;
    check_year(&before, &expected);
    for service in ["caw", "jac"] {
        let e = &expected[service];
        let one = json(
            &relay,
            &request(
                date(2026, 1, 1),
                date(2026, 12, 31),
                Some(service),
                Period::Week,
            ),
        )
        .await;
        check_service(&one, e, service);
        // Around both DST switches, day by day.
        for (from, to) in [
            (date(2026, 3, 23), date(2026, 4, 5)),
            (date(2026, 10, 19), date(2026, 11, 1)),
        ] {
            let days = json(&relay, &request(from, to, Some(service), Period::Day)).await;
            let rows = days["periods"].as_array().unwrap();
            assert_eq!(rows.len(), 14);
            for row in rows {
                let d: Date = row["start"].as_str().unwrap().parse().unwrap();
                let [h, s, l] = e.days.get(&d).copied().unwrap_or_default();
                check(&format!("{service} {d} hellos"), &row["hellos"], h);
                check(&format!("{service} {d} served"), &row["served"], s);
                check(&format!("{service} {d} left"), &row["left_queue"], l);
            }
        }
    }
    // By hour, the autumn switch has two local 02:00 hours, and 25 hours in all.
    let hours = json(
        &relay,
        &request(date(2026, 10, 25), date(2026, 10, 25), None, Period::Hour),
    )
    .await;
    assert_eq!(hours["periods"].as_array().unwrap().len(), 25);
    let spring = json(
        &relay,
        &request(date(2026, 3, 29), date(2026, 3, 29), None, Period::Hour),
    )
    .await;
    assert_eq!(spring["periods"].as_array().unwrap().len(), 23);

    // Confidentiality: no nickname or address anywhere in the counts or the report.
    let rows = relay
        .query("SELECT service, metric, value FROM tallies", &[])
        .await
        .unwrap();
    let stored = serde_json::to_string(&rows).unwrap();
    let html = report::html::to_html(&report::report(relay.broker.store(), &year).await.unwrap());
    for text in [&stored, &before.to_string(), &html] {
        assert!(!text.contains("zqnick"), "a nickname in the counts");
        for prefix in ["10.0.0.", "10.0.1.", "10.0.2.", "10.0.3.", "192.0.2."] {
            assert!(!text.contains(prefix), "an address in the counts");
        }
        assert!(!text.contains("bedankt"), "survey text in the counts");
    }
    assert!(nicknames.len() as i64 >= total);

    // The purge removes the conversations, not the counts: the same report.
    let now = Timestamp::from_second(1_800_000_000).unwrap(); // 2027-01-15
    relay.clock.set(now);
    let cutoff = now.as_millisecond() - 183 * 24 * 3_600_000;
    let purged = relay
        .broker
        .store()
        .purge(cutoff, cutoff, now.as_millisecond())
        .await
        .unwrap();
    // The relay's own purge also ran while the clock moved through the year.
    assert!(purged.conversations > 0, "{purged:?}");
    let left = relay
        .query_value("SELECT COUNT(*) AS n FROM conversations", &[])
        .await
        .unwrap();
    let gone = total - left.as_i64().unwrap();
    assert!(gone > 1000, "only {gone} of {total} conversations purged");
    let after = json(&relay, &year).await;
    assert_eq!(after, before, "the report changed with the purge");

    std::fs::write(artifacts().join("report-2026.html"), html).unwrap();
    relay.stop().await.unwrap();
}

fn artifacts() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("reports");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn check_year(report: &Value, expected: &HashMap<String, Expected>) {
    let sum = |f: fn(&Expected) -> i64| expected.values().map(f).sum::<i64>();
    let s = &report["summary"];
    assert_eq!(shown(&s["hellos"]), sum(|e| e.hellos));
    assert_eq!(shown(&s["served"]), sum(|e| e.served));
    assert_eq!(shown(&s["left_queue"]), sum(|e| e.left));
    check("open", &s["open"], 0);
    check(
        "refused_closed",
        &s["refused_closed"],
        sum(|e| e.refused_closed),
    );
    check("refused_busy", &s["refused_busy"], 0);
    check("returning", &s["returning"], sum(|e| e.returning));
    check("blocks", &s["blocks"], sum(|e| e.blocks));
    for (i, key) in ["reveals_requested", "reveals_approved", "reveals_denied"]
        .iter()
        .enumerate()
    {
        check(key, &s[key], expected.values().map(|e| e.reveals[i]).sum());
    }
    let months = report["periods"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    let hellos: i64 = months.iter().map(|m| shown(&m["hellos"])).sum();
    assert_eq!(hellos, sum(|e| e.hellos));
}

fn check_service(report: &Value, e: &Expected, service: &str) {
    let s = &report["summary"];
    check(&format!("{service} hellos"), &s["hellos"], e.hellos);
    check(&format!("{service} served"), &s["served"], e.served);
    check(&format!("{service} left"), &s["left_queue"], e.left);
    check(
        &format!("{service} returning"),
        &s["returning"],
        e.returning,
    );
    let names: HashSet<&str> = e.dist.keys().map(String::as_str).collect();
    for id in names {
        let d = distribution(report, id);
        let counts = &e.dist[id];
        for row in d["rows"].as_array().unwrap() {
            let value = row["value"].as_str().unwrap();
            let n = counts.get(value).copied().unwrap_or(0);
            check(&format!("{service} {id} {value}"), &row["count"], n);
        }
        for value in counts.keys() {
            assert!(
                d["rows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["value"] == value.as_str()),
                "{service} {id}: {value} missing"
            );
        }
    }
    // Wait per hour of the week, by local arrival hour: only opening hours have any.
    let heat = report["heatmap"].as_array().unwrap();
    for (day, hours) in heat.iter().enumerate() {
        for (hour, mean) in hours.as_array().unwrap().iter().enumerate() {
            match e.heat.get(&(day, hour)) {
                Some(&(n, wait)) if n >= 5 => {
                    let want = (wait as f64 / n as f64 / 6_000.0).round() / 10.0;
                    assert_eq!(mean.as_f64(), Some(want), "{service} day {day} {hour}:00");
                }
                _ => assert!(mean.is_null(), "{service} day {day} {hour}:00: {mean}"),
            }
        }
    }
    let open_hours = if service == "caw" { 13..17 } else { 13..19 };
    assert!(
        e.heat.keys().all(|(_, h)| open_hours.contains(h)),
        "{service}: arrivals outside opening hours in local time"
    );
}

/// The HTML report of a month, opened in headless Chromium: every chart drawn, nothing
/// fetched, and a screenshot kept in `target/tmp/reports/`.
#[tokio::test]
async fn the_html_report_renders_every_chart_in_chromium_without_requests() {
    let relay = TestRelay::start().await.unwrap();
    generate_month(&relay).await;
    let month = request(
        date(2026, 11, 1),
        date(2026, 11, 30),
        Some("jac"),
        Period::Day,
    );
    let built = report::report(relay.broker.store(), &month).await.unwrap();
    let html = report::html::to_html(&built);
    assert!(!html.contains("<script"), "no script");
    // The SVG namespace is a name, not an address anything is fetched from.
    let without_namespaces = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(
        !without_namespaces.contains("http://") && !without_namespaces.contains("https://"),
        "no external reference"
    );
    let path = artifacts().join("report-jac-2026-11.html");
    std::fs::write(&path, &html).unwrap();

    let browser = chathulp_tests::browser::Browser::start(&relay)
        .await
        .unwrap();
    browser
        .client
        .goto(&format!("file://{}", path.display()))
        .await
        .unwrap();
    let charts = browser
        .eval(
            "return [...document.querySelectorAll('figure.chart')].map(f => {
                 const svg = f.querySelector('svg');
                 const box = svg ? svg.getBoundingClientRect() : null;
                 return [f.id, !!svg && box.width > 100 && box.height > 50
                         && svg.querySelectorAll('rect,path,polyline,line').length > 3];
             });",
        )
        .await
        .unwrap();
    let charts: Vec<(String, bool)> = serde_json::from_value(charts).unwrap();
    let ids: Vec<&str> = charts.iter().map(|(id, _)| id.as_str()).collect();
    for want in [
        "chart-heatmap",
        "chart-demand",
        "chart-abandonment",
        "chart-intake-age",
        "chart-intake-region",
        "chart-intake-gender",
        "chart-survey-helped",
        "chart-survey-recommend",
    ] {
        assert!(ids.contains(&want), "{want} missing: {ids:?}");
    }
    assert!(
        charts.iter().all(|(_, ok)| *ok),
        "a chart is empty: {charts:?}"
    );
    let requests = browser
        .eval("return performance.getEntriesByType('resource').length;")
        .await
        .unwrap();
    assert_eq!(requests, 0, "the report fetched something");
    let errors = browser.console_errors().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:?}");
    // The check sees an error when there is one.
    browser
        .eval("console.error('probe'); return null;")
        .await
        .unwrap();
    let errors = browser.console_errors().await.unwrap();
    assert!(errors.iter().any(|e| e.contains("probe")), "{errors:?}");
    browser.resize(1000, 1400).await.unwrap();
    let png = browser.screenshot().await.unwrap();
    std::fs::write(artifacts().join("report-jac-2026-11.png"), png).unwrap();
    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

/// November 2026 in JAC: enough conversations for every chart.
async fn generate_month(relay: &TestRelay) {
    let broker = &relay.broker;
    let counselor = StaffMember {
        user: "an".into(),
        role: Role::Counselor,
    };
    let (outbox, _rx) = Outbox::new(1 << 20);
    broker.staff_join(counselor.clone(), outbox).await;
    let mut rng = Lcg(11);
    let mut day = date(2026, 11, 2);
    while day <= date(2026, 11, 27) {
        if day.weekday().to_monday_zero_offset() < 5 {
            let mut t = at(day, 13, 0);
            while t < at(day, 19, 0) {
                relay.clock.set(t);
                let (v, _vrx) = Outbox::new(64);
                let intake = Intake {
                    age: Some(12 + u8::try_from(rng.next(14)).unwrap_or(0)),
                    region: [Some(Region::Antwerpen), Some(Region::Limburg), None]
                        [usize::try_from(rng.next(3)).unwrap_or(0)],
                    gender: [Some(Gender::Female), Some(Gender::Male), None]
                        [usize::try_from(rng.next(3)).unwrap_or(0)],
                };
                let ip = ClientIp::new(IpAddr::V4(Ipv4Addr::from(
                    0x0a00_0000 + u32::try_from(rng.next(500)).unwrap_or(0),
                )));
                let Ok(session) = broker
                    .visitor_hello(ServiceId("jac".into()), "v".into(), intake, false, &ip, v)
                    .await
                else {
                    t = t.saturating_add(SignedDuration::from_hours(1)).unwrap();
                    continue;
                };
                let id = session.conversation;
                let wait = SignedDuration::from_mins(i64::try_from(rng.next(20)).unwrap_or(0));
                t = t.saturating_add(wait).unwrap();
                relay.clock.set(t);
                if rng.next(6) == 0 {
                    broker.end(&id, Party::Visitor, None).await.unwrap();
                    continue;
                }
                broker
                    .take(&counselor, &ServiceId("jac".into()), Some(id.clone()))
                    .await
                    .unwrap();
                let length =
                    SignedDuration::from_mins(5 + i64::try_from(rng.next(50)).unwrap_or(0));
                t = t.saturating_add(length).unwrap();
                relay.clock.set(t);
                broker.end(&id, Party::Counselor, None).await.unwrap();
                let answers = vec![
                    SurveyAnswer {
                        question: "helped".into(),
                        answer: (1 + rng.next(5)).to_string(),
                    },
                    SurveyAnswer {
                        question: "recommend".into(),
                        answer: if rng.next(3) == 0 { "no" } else { "yes" }.into(),
                    },
                ];
                broker.save_survey(&id, answers).await.unwrap();
            }
        }
        day = day.tomorrow().unwrap();
    }
}

/// Opening the page while a service is offline is counted for that service (in memory,
/// added to the counts on the relay's tick); while it is online it is not, and neither
/// is any other file of the page.
#[tokio::test]
async fn page_visits_while_a_service_is_offline_are_counted_for_it_on_the_tick() {
    let relay = TestRelay::start().await.unwrap();
    // Nobody signed in: both services are offline.
    for _ in 0..7 {
        assert_eq!(relay.get("/").await.unwrap().status, 200);
    }
    relay.get("/app.js").await.unwrap();
    relay.get("/api/status").await.unwrap();
    let _counselor = relay.staff("an").await.unwrap();
    // Open now, within both services' hours.
    for _ in 0..2 {
        relay.get("/").await.unwrap();
    }
    // (The relay's own tick may have added some already; this one adds the rest.)
    relay.broker.tick().await.unwrap();
    let today = date(2026, 11, 27);
    let both = request(today, today, None, Period::Day);
    assert_eq!(json(&relay, &both).await["summary"]["visits_closed"], 14);
    let caw = request(today, today, Some("caw"), Period::Day);
    assert_eq!(json(&relay, &caw).await["summary"]["visits_closed"], 7);
    // Counted once: the next tick adds nothing more.
    relay.broker.tick().await.unwrap();
    assert_eq!(json(&relay, &both).await["summary"]["visits_closed"], 14);
    relay.stop().await.unwrap();
}

/// A conversation that goes back to the queue because its counselor did not return, and
/// is then taken by a colleague, is one conversation served, not two.
#[tokio::test]
async fn a_conversation_taken_again_after_its_counselor_left_is_served_once() {
    let relay = TestRelay::start().await.unwrap();
    let mut an = relay.staff("an").await.unwrap();
    let mut bo = relay.staff("bo").await.unwrap();
    let mut visitor = relay.queued_visitor("caw", "Sam").await.unwrap();
    an.send(serde_json::json!({"type":"take","service":"caw"}))
        .await
        .unwrap();
    an.expect("conversation").await.unwrap();
    visitor.expect("assigned").await.unwrap();
    drop(an);
    visitor.expect("counselor_away").await.unwrap();
    relay.clock.advance(SignedDuration::from_secs(301));
    relay.broker.tick().await.unwrap();
    visitor.expect("queued").await.unwrap();
    bo.send(serde_json::json!({"type":"take","service":"caw"}))
        .await
        .unwrap();
    bo.expect("conversation").await.unwrap();
    visitor.expect("assigned").await.unwrap();
    // A report shows both as `<5`, which can't tell 1 from 2: read the stored counts.
    let tallies = relay
        .broker
        .store()
        .tallies(0, i64::MAX, Some(ServiceId("caw".into())))
        .await
        .unwrap();
    let served: i64 = tallies
        .iter()
        .filter(|t| t.metric == "served")
        .map(|t| t.n)
        .sum();
    let hellos: i64 = tallies
        .iter()
        .filter(|t| t.metric == "hello")
        .map(|t| t.n)
        .sum();
    assert_eq!((hellos, served), (1, 1));
    relay.stop().await.unwrap();
}
