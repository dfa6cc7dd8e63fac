//! The queue pane (wachtrij): the services with their waiting visitors, and for
//! supervisors and administrators the dashboard of conversations in progress.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr as _;

use chathulp_shared::staff::{ServiceDashboard, ServiceQueue};

use crate::app::App;
use crate::layout::scroll_offset;
use crate::model::{Focus, QueueRow};
use crate::strings;
use crate::text::{fit, format_duration, wrap};
use crate::theme::{Theme, block, marker};

pub(super) fn draw_queue(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let focused = app.focus == Focus::Queue && app.popup.is_none();
    let outer = block(strings::QUEUE_TITLE.to_owned(), focused, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let width = inner.width as usize;

    if app.services.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(strings::NO_SERVICES, theme.dim()))
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }

    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0;
    for service in &app.services {
        let row = QueueRow::Service(service.service.clone());
        let is_cursor = app.queue_cursor.as_ref() == Some(&row);
        if is_cursor {
            selected_line = lines.len();
        }
        let name = display_name(service);
        let mut header = if let Some(reason) = &service.closed_reason {
            closed_service_lines(is_cursor, name, reason, width, theme)
        } else {
            vec![Line::from(vec![
                Span::raw(marker(is_cursor)),
                Span::styled(name, theme.bold()),
                Span::raw(" · "),
                Span::styled(
                    strings::service_status(service.status),
                    theme.status(service.status),
                ),
                Span::raw(format!(" · {}", service.waiting.len())),
            ])]
        };
        if is_cursor
            && focused
            && let Some(first) = header.first_mut()
        {
            *first = first.clone().patch_style(theme.selected());
        }
        lines.extend(header);
        if service.waiting.is_empty() && service.closed_reason.is_none() {
            lines.push(Line::styled(
                format!("   {}", strings::NOBODY_WAITING),
                theme.dim(),
            ));
        }
        for entry in &service.waiting {
            let row = QueueRow::Visitor(service.service.clone(), entry.conversation.clone());
            let is_cursor = app.queue_cursor.as_ref() == Some(&row);
            if is_cursor {
                selected_line = lines.len();
            }
            let waited = format_duration(app.now_ms - entry.since_ms);
            // A returning visitor: `↺2` after the name, which gives way to it.
            let returning = (entry.earlier_contacts > 0)
                .then(|| format!(" {}", strings::returning_mark(entry.earlier_contacts)));
            let mark_width = returning.as_deref().map_or(0, |m| m.width());
            let name_room = width.saturating_sub(3 + waited.width() + 1 + mark_width);
            let name = fit(&entry.nickname, name_room);
            let gap = width.saturating_sub(3 + name.width() + mark_width + waited.width());
            let style = if is_cursor && focused {
                theme.selected()
            } else {
                Style::default()
            };
            let mut spans = vec![
                Span::styled(format!(" {} ", marker(is_cursor)), style),
                Span::styled(name, style.patch(theme.visitor())),
            ];
            if let Some(mark) = returning {
                spans.push(Span::styled(mark, style.patch(theme.attention())));
            }
            spans.push(Span::styled(" ".repeat(gap), style));
            spans.push(Span::styled(waited, style));
            lines.push(Line::from(spans));
            lines.push(Line::styled(
                format!("   {}", entry.intake.summary()),
                theme.dim(),
            ));
            // How the visitor started, while they wait: helplines triage on it.
            if let Some(words) = entry.first_words.as_deref().filter(|w| !w.is_empty()) {
                let quoted = fit(&format!("“{words}”"), width.saturating_sub(3));
                lines.push(Line::styled(format!("   {quoted}"), theme.dim().italic()));
            }
        }
        // After the waiting visitors: the order of the cursor's rows.
        if let Some(board) = app.dashboard_of(&service.service) {
            dashboard_lines(
                app,
                board,
                width,
                focused,
                theme,
                &mut lines,
                &mut selected_line,
            );
        }
    }
    let offset = scroll_offset(selected_line + 1, lines.len(), inner.height as usize);
    frame.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), inner);
}

/// Supervisors and administrators: a service's figures and its conversations in
/// progress, each a row to watch.
fn dashboard_lines(
    app: &App,
    board: &ServiceDashboard,
    width: usize,
    focused: bool,
    theme: Theme,
    lines: &mut Vec<Line<'static>>,
    selected_line: &mut usize,
) {
    let longest = board
        .longest_waiting_since_ms
        .map(|since| format_duration(app.now_ms - since));
    let mean = board.today_mean_wait_ms.map(format_duration);
    for text in [
        strings::dashboard_line(board.waiting, longest.as_deref()),
        strings::today_line(board.today_conversations, mean.as_deref()),
    ] {
        lines.push(Line::styled(fit(&format!("   {text}"), width), theme.dim()));
    }
    for live in &board.in_progress {
        let row = QueueRow::Live(board.service.clone(), live.conversation.clone());
        let is_cursor = app.queue_cursor.as_ref() == Some(&row);
        if is_cursor {
            *selected_line = lines.len();
        }
        let time = format_duration(app.now_ms - live.started_at_ms);
        let who = format!("{} · {}", live.counselor, live.nickname);
        let who = fit(&who, width.saturating_sub(4 + time.width()));
        let gap = width.saturating_sub(3 + who.width() + time.width());
        let style = if is_cursor && focused {
            theme.selected()
        } else {
            Style::default()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {} ", marker(is_cursor)), style),
            Span::styled(who, style.patch(theme.counselor())),
            Span::styled(" ".repeat(gap), style),
            Span::styled(time, style),
        ]));
    }
}

fn display_name(service: &ServiceQueue) -> String {
    if service.name.is_empty() {
        service.service.to_string()
    } else {
        service.name.clone()
    }
}

/// A service's name as shown, looked up by id.
pub(super) fn service_name(app: &App, id: &chathulp_shared::ServiceId) -> String {
    app.services
        .iter()
        .find(|s| &s.service == id)
        .map_or_else(|| id.to_string(), display_name)
}

/// The header of a service an administrator closed: `CAW · gesloten: <reason>`, the
/// reason wrapped onto at most two lines.
fn closed_service_lines(
    is_cursor: bool,
    name: String,
    reason: &str,
    width: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    const MAX_LINES: usize = 2;
    const INDENT: usize = 3;
    let label = format!("{}: ", strings::SERVICE_CLOSED);
    let head_width = marker(is_cursor).width() + name.width() + " · ".width() + label.width();
    let rest_width = width.saturating_sub(INDENT);
    let mut pieces = wrap(reason, width.saturating_sub(head_width), rest_width);
    if pieces.len() > MAX_LINES {
        pieces.truncate(MAX_LINES);
        if let Some(last) = pieces.last_mut() {
            *last = if last.width() < rest_width {
                format!("{last}…")
            } else {
                fit(last, rest_width.saturating_sub(1))
            };
        }
    }
    let mut pieces = pieces.into_iter();
    let mut lines = vec![Line::from(vec![
        Span::raw(marker(is_cursor)),
        Span::styled(name, theme.bold()),
        Span::raw(" · "),
        Span::styled(label, theme.error()),
        Span::raw(pieces.next().unwrap_or_default()),
    ])];
    lines.extend(pieces.map(|p| Line::raw(format!("{}{p}", " ".repeat(INDENT)))));
    lines
}
