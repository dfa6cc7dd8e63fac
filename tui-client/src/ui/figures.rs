//! The "Cijfers" screen (supervisors and administrators), over the panes: per service the
//! queue now, a sparkline of the visitors waiting over the last hours, and bar charts of
//! the conversations taken per hour today and this week, with their mean wait. It draws
//! from the dashboard the relay keeps sending, so it follows the relay live.
//!
//! One service per page on a small screen (↓/↑ pages); on a larger one, more services
//! stacked, and today's and this week's bars side by side.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Clear, Paragraph, Sparkline};
use unicode_width::UnicodeWidthStr as _;

use chathulp_shared::staff::ServiceDashboard;

use crate::app::App;
use crate::layout;
use crate::strings;
use crate::text::{clock_time, fit, format_duration, hour_of_day};
use crate::theme::{Theme, block};

const HOURS: usize = 24;
/// Below this width today's and this week's bars go under each other.
const SIDE_BY_SIDE_WIDTH: u16 = 2 * (HOURS as u16 * 3) + 2;

pub(super) fn draw_figures(frame: &mut Frame, app: &App, theme: Theme, first: usize) {
    let screen = frame.area();
    let banner = app.shows_reveal_banner();
    let [_, _, area, _, _] = layout::screen_rows(screen, banner);
    frame.render_widget(Clear, area);
    let outer = block(strings::FIGURES_TITLE.to_owned(), true, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    if app.dashboard.is_empty() {
        let text = Line::styled(format!(" {}", strings::FIGURES_NONE), theme.dim());
        frame.render_widget(Paragraph::new(text), inner);
        return;
    }
    // From the frame, not `App::screen`: the drawing is what must fit.
    let shown =
        layout::figures_per_page((screen.width, screen.height), banner, app.dashboard.len());
    let first = first.min(app.dashboard.len() - shown);
    let page = (shown < app.dashboard.len()).then(|| {
        let keys = [&app.keys.move_down, &app.keys.move_up]
            .iter()
            .filter_map(|k| k.first().map(|k| k.label()))
            .collect::<Vec<_>>()
            .join("/");
        strings::figures_page(first + 1, shown, app.dashboard.len(), &keys)
    });
    let sections = Layout::vertical(vec![Constraint::Fill(1); shown]).split(inner);
    for (board, area) in app.dashboard.iter().skip(first).zip(sections.iter()) {
        draw_service(frame, *area, app, theme, board, page.as_deref());
    }
}

fn draw_service(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: Theme,
    board: &ServiceDashboard,
    page: Option<&str>,
) {
    let width = usize::from(area.width);
    let side_by_side = area.width >= SIDE_BY_SIDE_WIDTH;
    // Two header lines and a blank one; the charts get the rest.
    let rest = area.height.saturating_sub(3);
    let (spark, bars) = if side_by_side {
        let spark = rest.saturating_sub(3) / 3;
        (spark.max(1), rest.saturating_sub(3 + spark).max(1))
    } else {
        let bars = (rest.saturating_sub(5) * 2 / 5).max(1);
        (rest.saturating_sub(5 + 2 * bars).max(1), bars)
    };
    let [header, waiting, charts] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(1 + spark),
        Constraint::Min(0),
    ])
    .areas(area);

    let name = if board.name.is_empty() {
        board.service.to_string()
    } else {
        board.name.clone()
    };
    let status = strings::service_status(board.status);
    let mut title = vec![
        Span::styled(format!(" {name}"), theme.bold()),
        Span::raw(" · "),
        Span::styled(status, theme.status(board.status)),
    ];
    if let Some(page) = page {
        let used = 1 + name.width() + 3 + status.width();
        let page = fit(page, width.saturating_sub(used + 2));
        let gap = width.saturating_sub(used + page.width() + 1);
        title.push(Span::raw(" ".repeat(gap)));
        title.push(Span::styled(page, theme.dim()));
    }
    let longest = board
        .longest_waiting_since_ms
        .map(|since| format_duration(app.now_ms - since));
    let now = strings::figures_now(board.waiting, longest.as_deref());
    let header_lines = vec![Line::from(title), Line::raw(fit(&format!(" {now}"), width))];
    frame.render_widget(Paragraph::new(header_lines), header);

    draw_waiting(frame, waiting, theme, board);

    let trends = &board.trends;
    let today_mean = board.today_mean_wait_ms.map(format_duration);
    let week_mean = trends.week_mean_wait_ms.map(format_duration);
    let today = (
        strings::figures_today(board.today_conversations, today_mean.as_deref()),
        trends.today_per_hour.as_slice(),
        hour_of_day(app.now_ms),
    );
    // An older relay sends no week at all: say nothing rather than "0".
    let week_title = if trends.week_per_hour.is_empty() {
        strings::FIGURES_WEEK.to_owned()
    } else {
        strings::figures_week(trends.week_conversations, week_mean.as_deref())
    };
    let week = (week_title, trends.week_per_hour.as_slice(), None);
    let [first, second] = if side_by_side {
        Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
            .spacing(2)
            .areas(charts)
    } else {
        Layout::vertical([Constraint::Length(2 + bars), Constraint::Length(2 + bars)]).areas(charts)
    };
    for ((title, hours, now_hour), area) in [(today, first), (week, second)] {
        draw_hours(frame, area, theme, &title, hours, now_hour);
    }
}

/// The sparkline of visitors waiting: as many of the newest samples as fit, oldest left.
fn draw_waiting(frame: &mut Frame, area: Rect, theme: Theme, board: &ServiceDashboard) {
    let trends = &board.trends;
    let [title, chart] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let width = usize::from(area.width.saturating_sub(2));
    let (Some(last_at), false) = (trends.last_sample_at_ms, trends.waiting_samples.is_empty())
    else {
        let text = Line::styled(format!(" {}", strings::FIGURES_NO_SAMPLES), theme.dim());
        frame.render_widget(Paragraph::new(text), title);
        return;
    };
    let samples = &trends.waiting_samples;
    let shown = &samples[samples.len().saturating_sub(width)..];
    let peak = shown.iter().copied().max().unwrap_or(0);
    let span = i64::try_from(shown.len().saturating_sub(1)).unwrap_or(0);
    let every = trends.sample_every_ms.max(1);
    let text = strings::figures_waiting(
        &clock_time(last_at - span * every),
        &clock_time(last_at),
        every / 60_000,
        peak,
    );
    frame.render_widget(
        Paragraph::new(Line::styled(
            fit(&format!(" {text}"), width + 2),
            theme.bold(),
        )),
        title,
    );
    let data: Vec<u64> = shown.iter().map(|&n| u64::from(n)).collect();
    let chart = Rect {
        x: chart.x + 1,
        width: chart.width.saturating_sub(2),
        ..chart
    };
    frame.render_widget(
        Sparkline::default()
            .data(&data)
            .max(u64::from(peak.max(1)))
            .style(theme.fg(Color::Cyan)),
        chart,
    );
}

/// A bar per hour of the day, labelled `00`…`23`; `now_hour` stands out.
fn draw_hours(
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
    title: &str,
    hours: &[u32],
    now_hour: Option<usize>,
) {
    let [title_row, chart] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let width = usize::from(area.width);
    frame.render_widget(
        Paragraph::new(Line::styled(fit(&format!(" {title}"), width), theme.bold())),
        title_row,
    );
    if hours.is_empty() {
        let text = Line::styled(format!(" {}", strings::FIGURES_NO_HOURS), theme.dim());
        frame.render_widget(Paragraph::new(text), chart);
        return;
    }
    let chart = Rect {
        x: chart.x + 1,
        width: chart.width.saturating_sub(1),
        ..chart
    };
    // Every bar with a gap after it; two columns at least, for the hour's label.
    let bar_width = ((chart.width + 1) / HOURS as u16)
        .saturating_sub(1)
        .clamp(1, 8);
    let bars: Vec<Bar> = hours
        .iter()
        .take(HOURS)
        .enumerate()
        .map(|(hour, &n)| {
            let bar = Bar::new(u64::from(n)).label(Line::raw(format!("{hour:02}")));
            if Some(hour) == now_hour {
                bar.style(theme.attention())
            } else {
                bar
            }
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&bars))
            .bar_width(bar_width)
            .bar_gap(1)
            .bar_style(theme.fg(Color::Green))
            .value_style(theme.selected())
            .label_style(theme.dim()),
        chart,
    );
}
