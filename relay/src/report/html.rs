//! The HTML report: one self-contained, printable page (A4) with inline SVG charts
//! drawn by plotters' SVG backend. No script, no style sheet or font from elsewhere,
//! no image file: everything is in the page.

use plotters::prelude::*;

use super::{Cell, Distribution, Report, nl};

const BLUE: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);
const ORANGE: RGBColor = RGBColor(0xd9, 0x6c, 0x1e);
const GREY: RGBColor = RGBColor(0x88, 0x88, 0x88);

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

type Svg = Result<String, String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// The page.
pub fn to_html(report: &Report) -> String {
    let mut page = String::new();
    let service = report.service.as_deref().unwrap_or(nl::ALL_SERVICES);
    page.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>{} — {} {} – {}</title><style>{}</style></head><body>\n",
        nl::TITLE,
        esc(service),
        report.from,
        report.to,
        STYLE
    ));
    page.push_str(&format!(
        "<h1>{}</h1><p class=\"meta\">{}: {} – {} ({}) · {}: {} · {} {}</p>\n",
        nl::TITLE,
        nl::PERIOD,
        report.from,
        report.to,
        esc(&report.time_zone),
        nl::SERVICE,
        esc(service),
        nl::PER,
        by_word(report),
    ));
    page.push_str(&summary(report));
    let charts: [(&str, &str, Svg); 3] = [
        ("heatmap", nl::HEATMAP, heatmap(report)),
        ("demand", nl::DEMAND, demand(report)),
        ("abandonment", nl::ABANDONMENT_CHART, abandonment(report)),
    ];
    for (id, title, svg) in charts {
        page.push_str(&figure(id, title, svg));
        let note = if id == "heatmap" {
            nl::HEATMAP_NOTE
        } else {
            nl::GAPS_NOTE
        };
        page.push_str(&format!("<p class=\"note\">{note}</p>"));
    }
    page.push_str(&format!("<h2>{}</h2>", nl::INTAKE));
    for d in report
        .distributions
        .iter()
        .filter(|d| matches!(d.id.as_str(), "age" | "region" | "gender"))
    {
        page.push_str(&figure(&format!("intake-{}", d.id), &d.title, bars(d)));
        page.push_str(&table(d));
    }
    page.push_str(&format!("<h2>{}</h2>", nl::SURVEY));
    for d in report
        .distributions
        .iter()
        .filter(|d| d.id.starts_with("survey:"))
    {
        let id = format!("survey-{}", d.id.trim_start_matches("survey:"));
        page.push_str(&figure(&id, &d.title, bars(d)));
        page.push_str(&table(d));
    }
    for d in report.distributions.iter().filter(|d| {
        matches!(
            d.id.as_str(),
            "wait_served" | "wait_left" | "duration" | "dossier" | "topic"
        )
    }) {
        page.push_str(&format!("<h2>{}</h2>", esc(&d.title)));
        page.push_str(&table(d));
    }
    page.push_str(&periods(report));
    page.push_str(&format!(
        "<h2>{}</h2><p class=\"rule\">{}</p><p class=\"note\">{}</p>\n</body></html>\n",
        nl::RULE_TITLE,
        esc(report.rule),
        esc(report.rule_id)
    ));
    page
}

const STYLE: &str = "@page{size:A4;margin:15mm}\
body{font-family:sans-serif;font-size:11pt;color:#111;max-width:180mm;margin:0 auto}\
h1{font-size:18pt}h2{font-size:13pt;margin-top:1.2em;break-after:avoid}\
figure{margin:0.5em 0;break-inside:avoid}figure svg{width:100%;height:auto}\
figcaption{font-weight:bold;margin-bottom:0.3em}\
table{border-collapse:collapse;margin:0.4em 0;break-inside:avoid}\
td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}th{background:#eee}\
td:first-child,th:first-child{text-align:left}\
.meta,.note{color:#444;font-size:9pt}.rule{border-left:3px solid #1f5fa8;padding-left:8px}";

fn by_word(report: &Report) -> &'static str {
    match report.by {
        super::Period::Hour => "uur",
        super::Period::Day => "dag",
        super::Period::Week => "week",
        super::Period::Month => "maand",
    }
}

fn figure(id: &str, title: &str, svg: Svg) -> String {
    let body = svg.unwrap_or_else(|e| format!("<p>{}</p>", esc(&e)));
    format!(
        "<figure class=\"chart\" id=\"chart-{id}\"><figcaption>{}</figcaption>{body}</figure>\n",
        esc(title)
    )
}

fn summary(report: &Report) -> String {
    let s = &report.summary;
    let pct = |x: Option<f64>| x.map_or("–".to_owned(), |v| format!("{:.1} %", v * 100.0));
    let mins =
        |x: Option<i64>| x.map_or("–".to_owned(), |v| format!("{:.1} min", v as f64 / 60.0));
    let rows: Vec<(&str, String)> = vec![
        (nl::HELLOS, s.hellos.to_string()),
        (nl::SERVED, s.served.to_string()),
        (nl::LEFT_QUEUE, s.left_queue.to_string()),
        (nl::OPEN, s.open.to_string()),
        (nl::REFUSED_BUSY, s.refused_busy.to_string()),
        (nl::REFUSED_CLOSED, s.refused_closed.to_string()),
        (nl::RETURNING, s.returning.to_string()),
        (nl::MEAN_WAIT, mins(s.mean_wait_s)),
        (nl::MEAN_DURATION, mins(s.mean_duration_s)),
        (nl::OVER_60, pct(s.share_over_60)),
        (nl::ABANDONMENT, pct(s.abandonment)),
        (nl::DOSSIER_REFUSED, pct(s.dossier_refusal)),
        (nl::REVEALS_REQUESTED, s.reveals_requested.to_string()),
        (nl::REVEALS_APPROVED, s.reveals_approved.to_string()),
        (nl::REVEALS_DENIED, s.reveals_denied.to_string()),
        (nl::BLOCKS, s.blocks.to_string()),
        (nl::VISITS_CLOSED, s.visits_closed.to_string()),
    ];
    let mut html = format!("<h2>{}</h2><table id=\"summary\">", nl::SUMMARY);
    for (label, value) in rows {
        html.push_str(&format!(
            "<tr><td>{label}</td><td>{}</td></tr>",
            esc(&value)
        ));
    }
    html.push_str("</table>\n");
    html
}

fn table(d: &Distribution) -> String {
    let mut html = format!(
        "<table class=\"distribution\" id=\"table-{}\"><tr><th></th><th>{}</th></tr>",
        esc(&d.id.replace(':', "-")),
        nl::COUNT
    );
    for r in &d.rows {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(&r.label),
            esc(&r.count.to_string())
        ));
    }
    if let Some(t) = &d.total {
        html.push_str(&format!(
            "<tr><th>{}</th><th>{}</th></tr>",
            nl::TOTAL,
            esc(&t.to_string())
        ));
    }
    html.push_str("</table>\n");
    html
}

fn periods(report: &Report) -> String {
    let mut html = format!(
        "<h2>{}</h2><table id=\"periods\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th></tr>",
        nl::PERIODS,
        nl::START,
        nl::HELLOS,
        nl::SERVED,
        nl::LEFT_QUEUE,
        nl::REFUSED_BUSY,
        nl::REFUSED_CLOSED,
        nl::RETURNING
    );
    for p in &report.periods {
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&p.start),
            p.hellos,
            p.served,
            p.left_queue,
            p.refused_busy,
            p.refused_closed,
            p.returning
        ));
    }
    html.push_str("</table>\n");
    html
}

/// Mean wait per weekday and local hour: a 7 × 24 grid, darker for longer waits.
fn heatmap(report: &Report) -> Svg {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let max = report
            .heatmap
            .iter()
            .flatten()
            .flatten()
            .copied()
            .fold(1.0f64, f64::max);
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(32)
            .build_cartesian_2d(0i32..24, 0i32..7)
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(24)
            .y_labels(7)
            .x_label_formatter(&|h| format!("{h}"))
            .y_label_formatter(&|d| {
                usize::try_from(6 - *d)
                    .ok()
                    .and_then(|i| nl::WEEKDAYS.get(i))
                    .copied()
                    .unwrap_or("")
                    .to_owned()
            })
            // Each label names the row above its tick: move it to the row's middle.
            .y_label_offset(-14)
            .draw()
            .map_err(err)?;
        let cells = report.heatmap.iter().enumerate().flat_map(|(day, hours)| {
            hours
                .iter()
                .enumerate()
                .map(move |(hour, mean)| (day, hour, *mean))
        });
        chart
            .draw_series(cells.map(|(day, hour, mean)| {
                let (x, y) = (
                    i32::try_from(hour).unwrap_or(0),
                    6 - i32::try_from(day).unwrap_or(0),
                );
                let style = match mean {
                    Some(m) => {
                        let t = (m / max).clamp(0.0, 1.0);
                        let c = |lo: f64, hi: f64| (lo + (hi - lo) * t) as u8;
                        RGBColor(
                            c(230.0, 0x1f as f64),
                            c(240.0, 0x3f as f64),
                            c(250.0, 0x88 as f64),
                        )
                        .filled()
                    }
                    None => RGBColor(0xf4, 0xf4, 0xf4).filled(),
                };
                Rectangle::new([(x, y), (x + 1, y + 1)], style)
            }))
            .map_err(err)?;
        chart
            .draw_series(report.heatmap.iter().enumerate().flat_map(|(day, hours)| {
                hours.iter().enumerate().filter_map(move |(hour, mean)| {
                    mean.map(|m| {
                        let (x, y) = (
                            i32::try_from(hour).unwrap_or(0),
                            6 - i32::try_from(day).unwrap_or(0),
                        );
                        Text::new(
                            format!("{m:.0}"),
                            (x, y + 1),
                            ("sans-serif", 11).into_font(),
                        )
                    })
                })
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Arrivals (demand) and served per period, as two lines.
fn demand(report: &Report) -> Svg {
    let series = |pick: fn(&super::PeriodRow) -> &Cell| -> Vec<(i32, i64)> {
        report
            .periods
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Some((i32::try_from(i).ok()?, pick(p).count()?)))
            .collect()
    };
    let hellos = series(|p| &p.hellos);
    let served = series(|p| &p.served);
    let max = hellos
        .iter()
        .chain(&served)
        .map(|(_, v)| *v)
        .max()
        .unwrap_or(0)
        .max(5);
    line_chart(
        report,
        &[
            (
                nl::DEMAND_LEGEND,
                BLUE,
                hellos.iter().map(|&(x, y)| (x, y as f64)).collect(),
            ),
            (
                nl::SERVED_LEGEND,
                ORANGE,
                served.iter().map(|&(x, y)| (x, y as f64)).collect(),
            ),
        ],
        max as f64 * 1.1,
    )
}

/// The share that left the queue per period, in percent.
fn abandonment(report: &Report) -> Svg {
    let points: Vec<(i32, f64)> = report
        .periods
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((i32::try_from(i).ok()?, p.abandonment? * 100.0)))
        .collect();
    line_chart(report, &[(nl::ABANDONMENT, ORANGE, points)], 100.0)
}

type Line<'a> = (&'a str, RGBColor, Vec<(i32, f64)>);

fn line_chart(report: &Report, lines: &[Line<'_>], y_max: f64) -> Svg {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 260)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let n = i32::try_from(report.periods.len()).unwrap_or(1).max(1);
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(28)
            .y_label_area_size(40)
            .build_cartesian_2d(0i32..n, 0f64..y_max)
            .map_err(err)?;
        let labels: Vec<String> = report.periods.iter().map(|p| short(&p.start)).collect();
        chart
            .configure_mesh()
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .x_labels(usize::try_from(n).unwrap_or(1).min(12))
            .x_label_formatter(&|i| {
                labels
                    .get(usize::try_from(*i).unwrap_or(0))
                    .cloned()
                    .unwrap_or_default()
            })
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(err)?;
        for (name, color, points) in lines {
            let color = *color;
            // A suppressed period is a gap: lines join only neighbouring shown periods.
            let mut runs: Vec<Vec<(i32, f64)>> = Vec::new();
            for &(x, y) in points {
                match runs.last_mut() {
                    Some(run) if run.last().is_some_and(|&(px, _)| px + 1 == x) => {
                        run.push((x, y));
                    }
                    _ => runs.push(vec![(x, y)]),
                }
            }
            for run in &runs {
                chart
                    .draw_series(LineSeries::new(run.iter().copied(), color.stroke_width(2)))
                    .map_err(err)?;
            }
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 2, color.filled())))
                .map_err(err)?
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(GREY)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A period's start without the year, for axis labels.
fn short(start: &str) -> String {
    start.get(5..).unwrap_or(start).chars().take(11).collect()
}

/// Horizontal bars of a distribution; a suppressed cell has no bar, only its mark.
fn bars(d: &Distribution) -> Svg {
    let mut svg = String::new();
    {
        let height = 40 + 24 * u32::try_from(d.rows.len()).unwrap_or(1);
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let max = d
            .rows
            .iter()
            .filter_map(|r| r.count.count())
            .max()
            .unwrap_or(0)
            .max(5);
        let n = i32::try_from(d.rows.len()).unwrap_or(1).max(1);
        let (labels, plot) = root.split_horizontally(180);
        // Rows are evenly spread over the plot's height: top margin 8, x labels 24.
        let plot_height = f64::from(height - 8 - 24);
        for (i, r) in d.rows.iter().enumerate() {
            let centre = 8.0 + (i as f64 + 0.5) * plot_height / f64::from(n);
            labels
                .draw(&Text::new(
                    r.label.clone(),
                    (4, centre as i32 - 7),
                    ("sans-serif", 13).into_font(),
                ))
                .map_err(err)?;
        }
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(8)
            .margin_right(50)
            .x_label_area_size(24)
            .build_cartesian_2d(0f64..max as f64 * 1.1, 0f64..f64::from(n))
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .x_labels(6)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .draw()
            .map_err(err)?;
        let rows = d.rows.iter().enumerate().map(|(i, r)| {
            let top = f64::from(n) - i as f64;
            (top, r.count.count(), r.count.to_string())
        });
        chart
            .draw_series(rows.clone().map(|(top, count, _)| {
                Rectangle::new(
                    [(0.0, top - 0.2), (count.unwrap_or(0) as f64, top - 0.8)],
                    BLUE.filled(),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(rows.map(|(top, count, text)| {
                Text::new(
                    text,
                    (count.unwrap_or(0) as f64, top - 0.25),
                    ("sans-serif", 12).into_font(),
                )
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}
