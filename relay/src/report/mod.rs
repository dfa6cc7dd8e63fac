//! `chathulp-relay report`: the figures of a period, from the anonymous aggregates
//! (`crate::tally`) alone, so a report works just as well after the purge.
//!
//! # Layout
//!
//! - this module reads the tallies of the period and builds a [`Report`] (pure: tests
//!   build one from tallies they made), and writes it as JSON or CSV;
//! - [`suppress`]: the small-cell rule every figure goes through;
//! - [`html`]: the printable HTML page with its inline SVG charts;
//! - [`nl`]: every Dutch text.
//!
//! Dates are local days in the relay's time zone (`timezone` in the config, Europe/Brussels
//! by default); the tallies are per UTC hour, and Belgian offsets are whole hours, so
//! every UTC hour is exactly one local hour, also on the days DST starts and ends.

pub mod html;
pub mod nl;
pub mod suppress;

use std::collections::{BTreeMap, HashMap};

use chathulp_shared::{ServiceId, SurveyKind, SurveyQuestion};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::store::{HOUR_MS, Store, StoreError, Tally};
use crate::tally;
use suppress::{Group, Mark};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("dates: {0}")]
    Dates(String),
}

/// The length of one row of the report's time series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Hour,
    Day,
    Week,
    Month,
}

/// What to report on.
#[derive(Clone, Debug)]
pub struct Request {
    /// First and last local day, both included.
    pub from: Date,
    pub to: Date,
    /// One service, or all.
    pub service: Option<ServiceId>,
    pub by: Period,
    pub tz: TimeZone,
    /// The survey questions of the config, for their texts and order.
    pub survey: Vec<SurveyQuestion>,
    /// The wrap-up topics of the config, in their order (topics no longer in the config
    /// follow them).
    pub topics: Vec<String>,
}

impl Request {
    /// `[start, end)` in Unix ms: local midnight of `from` to local midnight after `to`.
    pub fn range_ms(&self) -> Result<(i64, i64), ReportError> {
        let dates = |e: jiff::Error| ReportError::Dates(e.to_string());
        if self.to < self.from {
            return Err(ReportError::Dates("--to lies before --from".into()));
        }
        let start = self
            .from
            .to_zoned_datetime(self.tz.clone())
            .map_err(dates)?;
        let end = self
            .to
            .tomorrow()
            .and_then(|d| d.to_zoned_datetime(self.tz.clone()))
            .map_err(dates)?;
        Ok((
            start.timestamp().as_millisecond(),
            end.timestamp().as_millisecond(),
        ))
    }
}

/// One figure as a report shows it: a number, `"<5"` or `"x"` (see [`suppress`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Cell {
    Count(i64),
    Masked(&'static str),
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Count(n) => write!(f, "{n}"),
            Cell::Masked(s) => f.write_str(s),
        }
    }
}

impl Cell {
    /// The number, when it is shown.
    pub fn count(&self) -> Option<i64> {
        match self {
            Cell::Count(n) => Some(*n),
            Cell::Masked(_) => None,
        }
    }
}

/// The whole period.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub hellos: Cell,
    pub served: Cell,
    pub left_queue: Cell,
    /// Arrived in the period, and still waiting or in conversation when reported.
    pub open: Cell,
    pub refused_busy: Cell,
    pub refused_closed: Cell,
    pub returning: Cell,
    pub reveals_requested: Cell,
    pub reveals_approved: Cell,
    pub reveals_denied: Cell,
    pub blocks: Cell,
    /// Page visits while the service was offline.
    pub visits_closed: Cell,
    /// Mean wait of the served, in seconds (only when `served` is shown).
    pub mean_wait_s: Option<i64>,
    /// Mean length of the ended served conversations, in seconds.
    pub mean_duration_s: Option<i64>,
    /// Share (0 to 1) of ended served conversations of 60 minutes or longer.
    pub share_over_60: Option<f64>,
    /// Share of `left_queue` in `served + left_queue`.
    pub abandonment: Option<f64>,
    /// Share of ended conversations whose visitor had refused a dossier.
    pub dossier_refusal: Option<f64>,
}

/// One row of the time series.
#[derive(Clone, Debug, Serialize)]
pub struct PeriodRow {
    /// Local start: `2026-10-25 02:00+02:00` (hour), `2026-10-25` (day, and the Monday
    /// of a week), `2026-10` (month).
    pub start: String,
    pub hellos: Cell,
    pub served: Cell,
    pub left_queue: Cell,
    pub open: Cell,
    pub refused_busy: Cell,
    pub refused_closed: Cell,
    pub returning: Cell,
    pub abandonment: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Distribution {
    /// `age`, `region`, `gender`, `wait_served`, `wait_left`, `duration`, `dossier`,
    /// `topic`, `survey:<question>`.
    pub id: String,
    pub title: String,
    pub rows: Vec<DistributionRow>,
    /// `None` where the cells have no exact total (topics: several per conversation).
    pub total: Option<Cell>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DistributionRow {
    pub value: String,
    pub label: String,
    pub count: Cell,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub service: Option<String>,
    pub by: Period,
    pub time_zone: String,
    /// Which suppression rule was applied, and the rule in words.
    pub rule_id: &'static str,
    pub rule: &'static str,
    pub summary: Summary,
    pub periods: Vec<PeriodRow>,
    pub distributions: Vec<Distribution>,
    /// Mean wait of the served in minutes, `[weekday Monday = 0][local hour]`; `None`
    /// where fewer than 5 were served in that hour of the week.
    pub heatmap: Vec<Vec<Option<f64>>>,
}

/// Reads the tallies of the request's period and builds its report.
pub async fn report(store: &Store, request: &Request) -> Result<Report, ReportError> {
    let (start, end) = request.range_ms()?;
    let tallies = store.tallies(start, end, request.service.clone()).await?;
    build(request, &tallies)
}

/// The figures before suppression, and the groups that tie them.
#[derive(Default)]
struct Figures {
    values: Vec<i64>,
    groups: Vec<Group>,
}

impl Figures {
    fn add(&mut self, value: i64) -> usize {
        self.values.push(value);
        self.values.len() - 1
    }

    fn group(&mut self, total: usize, members: Vec<usize>) {
        self.groups.push(Group { total, members });
    }
}

/// The series of the time table, in column order.
const SERIES: [&str; 7] = [
    "hellos",
    "served",
    "left_queue",
    "open",
    "refused_busy",
    "refused_closed",
    "returning",
];

/// Builds the report of `request` from the tallies of its period.
pub fn build(request: &Request, tallies: &[Tally]) -> Result<Report, ReportError> {
    let (start, end) = request.range_ms()?;
    let tz = &request.tz;
    // Every local period of the range, in order, and which one each hour belongs to.
    let mut period_keys: Vec<String> = Vec::new();
    let mut period_of_hour: HashMap<i64, usize> = HashMap::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut hour = crate::store::hour_of(start);
    while hour < end {
        let key = period_key(hour, request.by, tz)?;
        let next = index.len();
        let i = *index.entry(key.clone()).or_insert(next);
        if i == period_keys.len() {
            period_keys.push(key);
        }
        period_of_hour.insert(hour, i);
        hour += HOUR_MS;
    }
    let n = period_keys.len();

    // Raw sums.
    let mut series = vec![[0i64; SERIES.len()]; n];
    let mut dist: BTreeMap<&str, BTreeMap<String, i64>> = BTreeMap::new();
    let mut heat = vec![[(0i64, 0i64); 24]; 7];
    let (mut wait_ms, mut duration_ms) = (0i64, 0i64);
    let mut single: HashMap<(&str, &str), i64> = HashMap::new();
    for t in tallies {
        let Some(&p) = period_of_hour.get(&t.hour_ms) else {
            continue;
        };
        let column = match (t.metric.as_str(), t.value.as_str()) {
            (tally::HELLO, _) => Some(0),
            (tally::SERVED, _) => Some(1),
            (tally::LEFT_QUEUE, _) => Some(2),
            (tally::REFUSED, "busy") => Some(4),
            (tally::REFUSED, _) => Some(5),
            (tally::RETURNING, _) => Some(6),
            _ => None,
        };
        if let Some(c) = column {
            series[p][c] += t.n;
        }
        match t.metric.as_str() {
            tally::AGE
            | tally::REGION
            | tally::GENDER
            | tally::LEFT_QUEUE
            | tally::DURATION
            | tally::DOSSIER
            | tally::TOPIC
            | tally::SURVEY => {
                *dist
                    .entry(metric_name(&t.metric))
                    .or_default()
                    .entry(t.value.clone())
                    .or_default() += t.n;
            }
            tally::SERVED => {
                *dist
                    .entry("wait_served")
                    .or_default()
                    .entry(t.value.clone())
                    .or_default() += t.n;
                let local = Timestamp::from_millisecond(t.hour_ms)
                    .map_err(|e| ReportError::Dates(e.to_string()))?
                    .to_zoned_datetime(tz.clone());
                let day = usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0);
                let h = usize::try_from(local.hour()).unwrap_or(0);
                heat[day][h].0 += t.n;
            }
            tally::WAIT_MS => {
                wait_ms += t.n;
                let local = Timestamp::from_millisecond(t.hour_ms)
                    .map_err(|e| ReportError::Dates(e.to_string()))?
                    .to_zoned_datetime(tz.clone());
                let day = usize::try_from(local.weekday().to_monday_zero_offset()).unwrap_or(0);
                let h = usize::try_from(local.hour()).unwrap_or(0);
                heat[day][h].1 += t.n;
            }
            tally::DURATION_MS => duration_ms += t.n,
            tally::REVEAL | tally::BLOCK | tally::VISIT_CLOSED => {
                *single
                    .entry((metric_name(&t.metric), value_name(&t.value)))
                    .or_default() += t.n;
            }
            _ => {}
        }
    }
    for row in &mut series {
        row[3] = (row[0] - row[1] - row[2]).max(0);
    }

    // Figures and the groups that tie them.
    let mut f = Figures::default();
    let cells: Vec<[usize; SERIES.len()]> =
        series.iter().map(|row| row.map(|v| f.add(v))).collect();
    let totals: [usize; SERIES.len()] =
        std::array::from_fn(|c| f.add(series.iter().map(|row| row[c]).sum()));
    for row in cells.iter().chain(std::iter::once(&totals)) {
        f.group(row[0], vec![row[1], row[2], row[3]]);
    }
    for (c, &total) in totals.iter().enumerate() {
        f.group(total, cells.iter().map(|row| row[c]).collect());
    }
    let mut dists: Vec<DistributionFigures> = Vec::new();
    let mut distribution =
        |f: &mut Figures, id: &str, title: String, values: Vec<(String, i64)>, total: Total| {
            let rows: Vec<(String, usize)> =
                values.into_iter().map(|(v, n)| (v, f.add(n))).collect();
            let members: Vec<usize> = rows.iter().map(|(_, i)| *i).collect();
            let total = match total {
                Total::Known(i) => Some(i),
                Total::Sum => Some(f.add(members.iter().map(|&i| f.values[i]).sum())),
                Total::None => None,
            };
            if let Some(t) = total {
                f.group(t, members);
            }
            dists.push((id.to_owned(), title, rows, total));
        };
    let values_of = |metric: &str, keys: &[&str]| -> Vec<(String, i64)> {
        let counts = dist.get(metric);
        let mut out: Vec<(String, i64)> = keys
            .iter()
            .map(|k| {
                (
                    (*k).to_owned(),
                    counts.and_then(|c| c.get(*k)).copied().unwrap_or(0),
                )
            })
            .collect();
        if let Some(counts) = counts {
            for (k, &n) in counts {
                if !keys.contains(&k.as_str()) {
                    out.push((k.clone(), n));
                }
            }
        }
        out
    };
    let ages: Vec<&str> = tally::AGE_BANDS
        .iter()
        .map(|(_, k)| *k)
        .chain([tally::NOT_GIVEN])
        .collect();
    let regions = [
        "antwerpen",
        "limburg",
        "oost_vlaanderen",
        "vlaams_brabant",
        "west_vlaanderen",
        "brussel",
        "elders",
        "undisclosed",
        tally::NOT_GIVEN,
    ];
    let genders = ["female", "male", "x", "undisclosed", tally::NOT_GIVEN];
    let waits: Vec<&str> = tally::WAIT_BUCKETS.iter().map(|(_, k)| *k).collect();
    let durations: Vec<&str> = tally::DURATION_BUCKETS.iter().map(|(_, k)| *k).collect();
    let hellos_total = Total::Known(totals[0]);
    let topics: Vec<&str> = request.topics.iter().map(String::as_str).collect();
    // (id, title, the metric counted, its values in order, what the cells add up to)
    let fixed: [(&str, &str, &str, &[&str], Total); 8] = [
        ("age", nl::AGE, "age", &ages, hellos_total),
        ("region", nl::REGION, "region", &regions, hellos_total),
        ("gender", nl::GENDER, "gender", &genders, hellos_total),
        (
            "wait_served",
            nl::WAIT_SERVED,
            "wait_served",
            &waits,
            Total::Known(totals[1]),
        ),
        (
            "wait_left",
            nl::WAIT_LEFT,
            "left_queue",
            &waits,
            Total::Known(totals[2]),
        ),
        ("duration", nl::DURATION, "duration", &durations, Total::Sum),
        (
            "dossier",
            nl::DOSSIER,
            "dossier",
            &["refused", "not_refused"],
            Total::Sum,
        ),
        ("topic", nl::TOPICS, "topic", &topics, Total::None),
    ];
    for (id, title, metric, keys, total) in fixed {
        distribution(&mut f, id, title.into(), values_of(metric, keys), total);
    }
    for q in request.survey.iter().filter(|q| q.kind != SurveyKind::Text) {
        let answers: &[&str] = match q.kind {
            SurveyKind::Scale => &["1", "2", "3", "4", "5"],
            _ => &["yes", "no"],
        };
        let counts = dist.get("survey");
        let values = answers
            .iter()
            .map(|a| {
                let key = format!("{}={a}", q.id);
                (
                    (*a).to_owned(),
                    counts.and_then(|c| c.get(&key)).copied().unwrap_or(0),
                )
            })
            .collect();
        distribution(
            &mut f,
            &format!("survey:{}", q.id),
            q.text.clone(),
            values,
            Total::Sum,
        );
    }
    let single_cells: Vec<usize> = [
        ("reveal", "requested"),
        ("reveal", "approved"),
        ("reveal", "denied"),
        ("block", ""),
        ("visit_closed", ""),
    ]
    .iter()
    .map(|k| f.add(single.get(k).copied().unwrap_or(0)))
    .collect();

    // Suppress, then read every figure through its mark.
    let marks = suppress::suppress(&f.values, &f.groups);
    let cell = |i: usize| match marks[i] {
        Mark::Shown => Cell::Count(f.values[i]),
        Mark::Small => Cell::Masked("<5"),
        Mark::Hidden => Cell::Masked("x"),
    };
    let shown = |i: usize| (marks[i] == Mark::Shown).then(|| f.values[i]);
    let share = |part: usize, whole: i64| match (shown(part), whole) {
        (Some(p), w) if w > 0 => Some(round3(p as f64 / w as f64)),
        _ => None,
    };
    let abandonment = |row: &[usize; SERIES.len()]| match (shown(row[1]), shown(row[2])) {
        (Some(s), Some(l)) if s + l > 0 => Some(round3(l as f64 / (s + l) as f64)),
        _ => None,
    };
    let mut distributions = Vec::new();
    let (mut duration_cells, mut dossier_cells) = (None, None);
    for (id, title, rows, total) in &dists {
        if id == "duration" {
            duration_cells = Some((rows.last().map(|(_, i)| *i), *total));
        }
        if id == "dossier" {
            dossier_cells = Some((rows.first().map(|(_, i)| *i), *total));
        }
        let metric = if id.starts_with("survey:") {
            "survey"
        } else {
            id
        };
        distributions.push(Distribution {
            id: id.clone(),
            title: title.clone(),
            rows: rows
                .iter()
                .map(|(value, i)| DistributionRow {
                    value: value.clone(),
                    label: nl::label(metric, value),
                    count: cell(*i),
                })
                .collect(),
            total: total.map(cell),
        });
    }
    let ratio_of = |cells: Option<(Option<usize>, Option<usize>)>| match cells {
        Some((Some(part), Some(total))) => shown(total).and_then(|t| share(part, t)),
        _ => None,
    };
    let served_total = shown(totals[1]).filter(|&s| s >= 5);
    let ended_served = duration_cells
        .and_then(|(_, t)| t)
        .and_then(shown)
        .filter(|&s| s >= 5);
    let summary = Summary {
        hellos: cell(totals[0]),
        served: cell(totals[1]),
        left_queue: cell(totals[2]),
        open: cell(totals[3]),
        refused_busy: cell(totals[4]),
        refused_closed: cell(totals[5]),
        returning: cell(totals[6]),
        reveals_requested: cell(single_cells[0]),
        reveals_approved: cell(single_cells[1]),
        reveals_denied: cell(single_cells[2]),
        blocks: cell(single_cells[3]),
        visits_closed: cell(single_cells[4]),
        mean_wait_s: served_total.map(|s| wait_ms / s / 1000),
        mean_duration_s: ended_served.map(|s| duration_ms / s / 1000),
        share_over_60: ratio_of(duration_cells),
        abandonment: abandonment(&totals),
        dossier_refusal: ratio_of(dossier_cells),
    };
    let periods = period_keys
        .into_iter()
        .zip(&cells)
        .map(|(start, row)| PeriodRow {
            start,
            hellos: cell(row[0]),
            served: cell(row[1]),
            left_queue: cell(row[2]),
            open: cell(row[3]),
            refused_busy: cell(row[4]),
            refused_closed: cell(row[5]),
            returning: cell(row[6]),
            abandonment: abandonment(row),
        })
        .collect();
    let heatmap = heat
        .iter()
        .map(|day| {
            day.iter()
                .map(|&(served, wait)| {
                    (served >= 5).then(|| (wait as f64 / served as f64 / 6_000.0).round() / 10.0)
                })
                .collect()
        })
        .collect();
    Ok(Report {
        from: request.from.to_string(),
        to: request.to.to_string(),
        service: request.service.as_ref().map(|s| s.0.clone()),
        by: request.by,
        time_zone: tz.iana_name().unwrap_or("UTC").to_owned(),
        rule_id: nl::RULE_ID,
        rule: nl::RULE,
        summary,
        periods,
        distributions,
        heatmap,
    })
}

/// A distribution before suppression: id, title, (value, figure) rows, total figure.
type DistributionFigures = (String, String, Vec<(String, usize)>, Option<usize>);

/// What a distribution's cells add up to.
#[derive(Clone, Copy)]
enum Total {
    /// A figure already in the report (the arrivals, the served, those who left).
    Known(usize),
    /// Their own sum, shown as the distribution's total.
    Sum,
    /// No exact total (several topics per conversation).
    None,
}

fn metric_name(metric: &str) -> &'static str {
    [
        tally::AGE,
        tally::REGION,
        tally::GENDER,
        tally::LEFT_QUEUE,
        tally::DURATION,
        tally::DOSSIER,
        tally::TOPIC,
        tally::SURVEY,
        tally::REVEAL,
        tally::BLOCK,
        tally::VISIT_CLOSED,
    ]
    .into_iter()
    .find(|m| *m == metric)
    .unwrap_or("")
}

fn value_name(value: &str) -> &'static str {
    ["requested", "approved", "denied"]
        .into_iter()
        .find(|v| *v == value)
        .unwrap_or("")
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The local period an hour (UTC ms) falls in, as the report names it.
fn period_key(hour_ms: i64, by: Period, tz: &TimeZone) -> Result<String, ReportError> {
    let local = Timestamp::from_millisecond(hour_ms)
        .map_err(|e| ReportError::Dates(e.to_string()))?
        .to_zoned_datetime(tz.clone());
    Ok(match by {
        Period::Hour => local.strftime("%Y-%m-%d %H:%M%:z").to_string(),
        Period::Day => local.date().to_string(),
        Period::Week => {
            let back = i64::from(local.weekday().to_monday_zero_offset());
            local
                .date()
                .checked_sub(jiff::Span::new().days(back))
                .map_err(|e| ReportError::Dates(e.to_string()))?
                .to_string()
        }
        Period::Month => local.strftime("%Y-%m").to_string(),
    })
}

/// The report as pretty JSON.
pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default()
}

/// The report as CSV: `section,period,item,value`, one figure a line.
pub fn to_csv(report: &Report) -> String {
    let mut out = String::from("section,period,item,value\n");
    let mut line = |section: &str, period: &str, item: &str, value: String| {
        out.push_str(&format!(
            "{},{},{},{}\n",
            csv_field(section),
            csv_field(period),
            csv_field(item),
            csv_field(&value)
        ));
    };
    let s = &report.summary;
    for (item, c) in [
        ("hellos", &s.hellos),
        ("served", &s.served),
        ("left_queue", &s.left_queue),
        ("open", &s.open),
        ("refused_busy", &s.refused_busy),
        ("refused_closed", &s.refused_closed),
        ("returning", &s.returning),
        ("reveals_requested", &s.reveals_requested),
        ("reveals_approved", &s.reveals_approved),
        ("reveals_denied", &s.reveals_denied),
        ("blocks", &s.blocks),
        ("visits_closed", &s.visits_closed),
    ] {
        line("summary", "", item, c.to_string());
    }
    let opt = |x: Option<String>| x.unwrap_or_default();
    line(
        "summary",
        "",
        "mean_wait_s",
        opt(s.mean_wait_s.map(|v| v.to_string())),
    );
    line(
        "summary",
        "",
        "mean_duration_s",
        opt(s.mean_duration_s.map(|v| v.to_string())),
    );
    line(
        "summary",
        "",
        "share_over_60",
        opt(s.share_over_60.map(|v| v.to_string())),
    );
    line(
        "summary",
        "",
        "abandonment",
        opt(s.abandonment.map(|v| v.to_string())),
    );
    line(
        "summary",
        "",
        "dossier_refusal",
        opt(s.dossier_refusal.map(|v| v.to_string())),
    );
    for p in &report.periods {
        for (item, c) in [
            ("hellos", &p.hellos),
            ("served", &p.served),
            ("left_queue", &p.left_queue),
            ("open", &p.open),
            ("refused_busy", &p.refused_busy),
            ("refused_closed", &p.refused_closed),
            ("returning", &p.returning),
        ] {
            line("period", &p.start, item, c.to_string());
        }
    }
    for d in &report.distributions {
        for r in &d.rows {
            line(&d.id, "", &r.value, r.count.to_string());
        }
        if let Some(t) = &d.total {
            line(&d.id, "", "total", t.to_string());
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
