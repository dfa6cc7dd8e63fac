//! The conversation list (gesprekken): number, nickname and badges per conversation.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr as _;

use chathulp_shared::staff::RevealState;

use crate::app::App;
use crate::layout::scroll_offset;
use crate::model::{Conversation, Focus, Guidance};
use crate::strings;
use crate::text::{fit, format_duration};
use crate::theme::{Theme, block, marker};

pub(super) fn draw_conversation_list(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let focused = app.focus == Focus::Conversations && app.popup.is_none();
    let capacity = app
        .account
        .as_ref()
        .filter(|_| !app.read_only())
        .map(|a| a.capacity);
    let title = strings::conversations_title(app.open_conversations(), capacity);
    let outer = block(title, focused, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let width = inner.width as usize;

    if app.conversations.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(strings::NO_CONVERSATIONS, theme.dim())),
            inner,
        );
        return;
    }
    let mut selected_line = 0;
    let lines: Vec<Line> = app
        .conversations
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let is_cursor = app.conversation_cursor.as_ref() == Some(&c.id);
            let is_active = app.active.as_ref() == Some(&c.id);
            if is_cursor {
                selected_line = i;
            }
            let head = format!("{}{} ", marker(is_cursor), i + 1);
            let tail = format!(" {}", c.service);
            let name_room = |badge: &[Span]| {
                let badge_width: usize = badge.iter().map(Span::width).sum();
                width.saturating_sub(head.width() + tail.width() + badge_width + 1)
            };
            // The first badge that leaves room for the whole name, else the shortest.
            let badges = list_badges(app, c, theme);
            let at = badges
                .iter()
                .position(|b| name_room(b) >= c.nickname.width())
                .unwrap_or(badges.len() - 1);
            let badge = badges.into_iter().nth(at).unwrap_or_default();
            let badge_width: usize = badge.iter().map(Span::width).sum();
            let name_room = width.saturating_sub(head.width() + tail.width() + badge_width + 1);
            let name = fit(&c.nickname, name_room);
            let gap =
                width.saturating_sub(head.width() + name.width() + tail.width() + badge_width);
            let mut style = if is_active {
                theme.bold()
            } else {
                Style::default()
            };
            if is_cursor && focused {
                style = style.patch(theme.selected());
            }
            let mut spans = vec![
                Span::styled(head, style),
                Span::styled(name, style),
                Span::styled(tail, style.patch(theme.dim())),
                Span::styled(" ".repeat(gap), style),
            ];
            spans.extend(badge.into_iter().map(|b| {
                let own = b.style;
                b.style(style.patch(own))
            }));
            Line::from(spans)
        })
        .collect();
    let offset = scroll_offset(selected_line + 1, lines.len(), inner.height as usize);
    frame.render_widget(Paragraph::new(lines).scroll((offset as u16, 0)), inner);
}

/// The right end of a conversation list row: `einde`, the unread count, or the talking
/// time; past the guidance warning the time always shows, marked; while the visitor is
/// away, the time left to come back. Longest first: the row takes the first that fits.
fn list_badges(app: &App, c: &Conversation, theme: Theme) -> Vec<Vec<Span<'static>>> {
    let mut badges = time_badges(app, c, theme);
    // What needs the counselor most leads: a pending reveal, then "typt…".
    let mut marks = Vec::new();
    if c.reveal
        .as_ref()
        .is_some_and(|r| r.state == RevealState::Pending)
    {
        marks.push(Span::styled(strings::REVEAL_PENDING_MARK, theme.alarm()));
    }
    if c.visitor_typing(app.now_ms) {
        marks.push(Span::styled(strings::TYPING_MARK, theme.visitor()));
    }
    if marks.is_empty() {
        return badges;
    }
    let shortest = badges.last().cloned().unwrap_or_default();
    let with_marks = |badge: Vec<Span<'static>>| {
        let mut spans = Vec::new();
        for mark in &marks {
            spans.push(mark.clone());
            spans.push(Span::raw(" "));
        }
        spans.extend(badge);
        spans
    };
    let mut out: Vec<Vec<Span<'static>>> = badges.drain(..).map(with_marks).collect();
    // Narrow: the first mark alone, then the plain badge.
    out.push(vec![marks[0].clone()]);
    out.push(shortest);
    out
}

/// `einde`, the unread count, the talking time or the away countdown.
fn time_badges(app: &App, c: &Conversation, theme: Theme) -> Vec<Vec<Span<'static>>> {
    if c.ended.is_some() {
        return vec![vec![Span::styled(strings::ENDED_MARK, theme.dim())]];
    }
    let unread = (c.unread > 0).then(|| Span::styled(format!("({})", c.unread), theme.attention()));
    if let Some(countdown) = app.away_countdown(c) {
        let with_unread = |mark: String| {
            let mut spans: Vec<Span<'static>> = unread
                .clone()
                .into_iter()
                .flat_map(|u| [u, Span::raw(" ")])
                .collect();
            spans.push(Span::styled(mark, theme.error()));
            spans
        };
        return vec![
            with_unread(strings::visitor_away_mark(&countdown)),
            with_unread(strings::visitor_away_short(&countdown)),
        ];
    }
    vec![list_badge(app, c, theme, unread)]
}

fn list_badge(
    app: &App,
    c: &Conversation,
    theme: Theme,
    unread: Option<Span<'static>>,
) -> Vec<Span<'static>> {
    let elapsed = format_duration(app.now_ms - c.started_at_ms);
    match app.guidance(c) {
        Guidance::Normal => vec![unread.unwrap_or_else(|| Span::styled(elapsed, theme.dim()))],
        guidance => {
            let time = Span::styled(
                format!("{}{elapsed}", strings::GUIDANCE_MARK),
                theme.guidance(guidance),
            );
            match unread {
                Some(unread) => vec![unread, Span::raw(" "), time],
                None => vec![time],
            }
        }
    }
}
