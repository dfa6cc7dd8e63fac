//! The popups over the app: questions, canned responses, pick lists, typed reasons,
//! the wrap-up form, a password shown once and the anonymised preview.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use super::footer::key_hints;
use crate::app::App;
use crate::keymap::{KeyContext, PopupKind};
use crate::layout::{centered, scroll_offset};
use chathulp_shared::Party;
use chathulp_shared::staff::PreviewMessage;

use crate::model::{Compose, WrapUpForm};
use crate::text::{clock_time, fit, wrap};
use crate::theme::{Theme, block, marker};
use crate::{sanitize, strings};

pub(super) fn draw_confirm(frame: &mut Frame, area: Rect, app: &App, theme: Theme, question: &str) {
    // The open question's own keys: capitals for a change for a visitor.
    let ctx = match app.key_context() {
        ctx @ KeyContext {
            popup: Some(PopupKind::Confirm | PopupKind::ConfirmVisitor),
            ..
        } => ctx,
        other => KeyContext {
            popup: Some(PopupKind::Confirm),
            ..other
        },
    };
    let hints = app.keys.hints(&ctx, true);
    let width = 60.min(area.width.saturating_sub(4));
    let inner_width = width.saturating_sub(2) as usize;
    let question_lines = wrap(
        question,
        inner_width.saturating_sub(2),
        inner_width.saturating_sub(2),
    );
    let mut lines: Vec<Line> = question_lines
        .into_iter()
        .map(|l| Line::styled(format!(" {l}"), theme.bold()))
        .collect();
    lines.push(Line::raw(""));
    lines.push(key_hints(&hints, inner_width, theme));
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let outer = block(strings::CONFIRM_TITLE.to_owned(), true, theme);
    frame.render_widget(Paragraph::new(lines).block(outer), popup);
}

/// A password the relay made, with the warning that it shows only this once.
pub(super) fn draw_secret(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: Theme,
    user: &str,
    password: &str,
) {
    let width = 60.min(area.width.saturating_sub(4));
    let inner_width = usize::from(width.saturating_sub(2));
    let mut lines = vec![
        Line::raw(format!(" {}", strings::secret_for(user))),
        Line::styled(format!("   {password}"), theme.bold()),
        Line::raw(""),
    ];
    let room = inner_width.saturating_sub(2);
    lines.extend(
        wrap(strings::SECRET_ONCE, room, room)
            .into_iter()
            .map(|l| Line::styled(format!(" {l}"), theme.attention())),
    );
    lines.push(Line::raw(""));
    lines.push(key_hints(
        &app.keys.hints(&app.key_context(), true),
        inner_width,
        theme,
    ));
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let outer = block(strings::SECRET_TITLE.to_owned(), true, theme);
    frame.render_widget(Paragraph::new(lines).block(outer), popup);
}

/// The canned responses: key, title and first line; the highlighted one is what Enter
/// picks.
pub(super) fn draw_canned(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: Theme,
    search: Option<&str>,
    selected: usize,
) {
    let width = 64.min(area.width.saturating_sub(4));
    let inner_width = usize::from(width.saturating_sub(2));
    let matches = app.canned_matches();
    let top = match search {
        Some(search) => Line::from(vec![
            Span::styled(format!(" {}", strings::canned_search(search)), theme.bold()),
            Span::styled("▏", theme.attention()),
        ]),
        None => {
            let key = app
                .keys
                .search_canned
                .first()
                .map(|k| k.label())
                .unwrap_or_default();
            Line::styled(format!(" {}", strings::canned_hint(&key)), theme.dim())
        }
    };
    // Borders, the top line, two blank lines and the key hints.
    let room = usize::from(area.height.saturating_sub(2))
        .saturating_sub(6)
        .max(1);
    let offset = scroll_offset(selected + 1, matches.len(), room);
    let mut lines = vec![top, Line::raw("")];
    if matches.is_empty() {
        lines.push(Line::styled(
            format!(" {}", strings::CANNED_NO_MATCH),
            theme.dim(),
        ));
    }
    for (i, canned) in matches.iter().enumerate().skip(offset).take(room) {
        let head = format!("{}{}  ", marker(i == selected), canned.key);
        let title = fit(&canned.title, inner_width.saturating_sub(head.width() + 1));
        let first_line = canned.text.lines().next().unwrap_or_default();
        let rest_room = inner_width.saturating_sub(head.width() + title.width() + 3);
        let mut spans = vec![
            Span::styled(head, theme.bold().patch(theme.fg(Color::Cyan))),
            Span::styled(title, theme.bold()),
        ];
        if rest_room > 1 {
            spans.push(Span::styled(
                format!(": {}", fit(first_line, rest_room)),
                theme.dim(),
            ));
        }
        let mut line = Line::from(spans);
        if i == selected {
            let used = line.width();
            line.push_span(Span::raw(" ".repeat(inner_width.saturating_sub(used))));
            line = line.patch_style(theme.selected());
        }
        lines.push(line);
    }
    lines.push(Line::raw(""));
    lines.push(key_hints(
        &app.keys.hints(&app.key_context(), true),
        inner_width,
        theme,
    ));
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let outer = block(strings::CANNED_TITLE.to_owned(), true, theme);
    frame.render_widget(Paragraph::new(lines).block(outer), popup);
}

/// The administrator's reason for closing a service, as they type it.
/// The nickname of the conversation a composed text is about (or its id).
pub(super) fn about(app: &App, purpose: &Compose) -> String {
    purpose.conversation().map_or_else(String::new, |id| {
        app.conversations
            .iter()
            .find(|c| &c.id == id)
            .map_or_else(|| id.to_string(), |c| c.nickname.clone())
    })
}

pub(super) fn compose_title(purpose: &Compose) -> &'static str {
    match purpose {
        Compose::Note(_) => strings::NOTE_TITLE,
        Compose::Transfer { .. } => strings::TRANSFER_TITLE,
        Compose::Reveal(_) => strings::REVEAL_TITLE,
        Compose::Block(_) => strings::BLOCK_TITLE,
        Compose::Decide { .. } => strings::DECIDE_TITLE,
        Compose::AccountName => strings::NEW_ACCOUNT_TITLE,
        Compose::LiftBlock(_) => strings::LIFT_BLOCK_TITLE,
        Compose::TagName(_) => strings::TAG_NAME_TITLE,
    }
}

/// A list popup: the highlighted row is what Enter (or the popup's keys) act on.
pub(super) fn draw_pick(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: Theme,
    title: &str,
    items: Vec<String>,
    selected: usize,
) {
    let width = 70.min(area.width.saturating_sub(4));
    let inner_width = usize::from(width.saturating_sub(2));
    let room = area.height.saturating_sub(6).max(1) as usize;
    let start = scroll_offset(selected + 1, items.len(), room);
    let mut lines: Vec<Line> = items
        .into_iter()
        .enumerate()
        .skip(start)
        .take(room)
        .map(|(i, item)| {
            let text = fit(&format!("{}{item}", marker(i == selected)), inner_width);
            if i == selected {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            }
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(key_hints(
        &app.keys.hints(&app.key_context(), true),
        inner_width,
        theme,
    ));
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let outer = block(title.to_owned(), true, theme);
    frame.render_widget(Paragraph::new(lines).block(outer), popup);
}

/// The wrap-up form: topics to tick, then the free notes being typed.
pub(super) fn draw_wrap_up(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: Theme,
    form: &WrapUpForm,
) {
    let width = 60.min(area.width.saturating_sub(4));
    let inner_width = usize::from(width.saturating_sub(2));
    let mut lines = vec![Line::styled(format!(" {}", form.nickname), theme.bold())];
    if app.settings.topics.is_empty() {
        lines.push(Line::styled(
            format!(" {}", strings::NO_TOPICS),
            theme.dim(),
        ));
    }
    let room = area.height.saturating_sub(10).max(1) as usize;
    let start = scroll_offset(form.selected + 1, app.settings.topics.len(), room);
    for (i, topic) in app
        .settings
        .topics
        .iter()
        .enumerate()
        .skip(start)
        .take(room)
    {
        let tick = if form.chosen.get(i).copied().unwrap_or(false) {
            "[x]"
        } else {
            "[ ]"
        };
        let text = fit(
            &format!("{}{tick} {topic}", marker(i == form.selected)),
            inner_width,
        );
        lines.push(if i == form.selected {
            Line::styled(text, theme.selected())
        } else {
            Line::raw(text)
        });
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(" {}:", strings::WRAP_UP_NOTES),
        theme.bold(),
    ));
    lines.push(input_line(
        &form.notes,
        inner_width.saturating_sub(5),
        theme,
    ));
    lines.push(Line::raw(""));
    lines.push(key_hints(
        &app.keys.hints(&app.key_context(), true),
        inner_width,
        theme,
    ));
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let outer = block(strings::WRAP_UP_TITLE.to_owned(), true, theme);
    frame.render_widget(Paragraph::new(lines).block(outer), popup);
}

/// One line of typed text with a cursor: its end, where the cursor is, if it is long.
fn input_line(text: &str, room: usize, theme: Theme) -> Line<'static> {
    let mut shown: Vec<char> = Vec::new();
    let mut used = 0;
    for ch in text.chars().rev() {
        let w = ch.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        shown.push(ch);
    }
    let shown: String = shown.into_iter().rev().collect();
    Line::from(vec![
        Span::styled(" > ", theme.attention()),
        Span::raw(shown),
        Span::styled("▏", theme.attention()),
    ])
}

#[allow(clippy::too_many_arguments)]
pub(super) fn draw_reason(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: Theme,
    title: &str,
    prompt: &str,
    reason: &str,
) {
    let width = 60.min(area.width.saturating_sub(4));
    let inner_width = usize::from(width.saturating_sub(2));
    let text_width = inner_width.saturating_sub(2);
    let mut lines: Vec<Line> = wrap(prompt, text_width, text_width)
        .into_iter()
        .map(|l| Line::styled(format!(" {l}"), theme.bold()))
        .collect();
    lines.push(Line::raw(""));
    lines.push(input_line(reason, text_width.saturating_sub(3), theme));
    lines.push(Line::raw(""));
    lines.push(key_hints(
        &app.keys.hints(&app.key_context(), true),
        inner_width,
        theme,
    ));
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let outer = block(title.to_owned(), true, theme);
    frame.render_widget(Paragraph::new(lines).block(outer), popup);
}

/// The anonymised transcript of one conversation, as `export --anonymise` writes it for
/// the team: time, who, and the text with its placeholders (`[naam 1]`, `[e-mail]`).
/// Visitor text is sanitised like everywhere else. `scroll` moves it; the last page
/// stays in view.
pub(super) fn draw_preview(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: Theme,
    messages: Option<&[PreviewMessage]>,
    scroll: usize,
) {
    let width = 90.min(area.width.saturating_sub(4));
    let height = area.height.saturating_sub(4).max(6);
    let inner_width = usize::from(width.saturating_sub(2));
    let room = inner_width.saturating_sub(2);
    let mut body: Vec<Line> = Vec::new();
    match messages {
        None => body.push(Line::styled(
            format!(" {}", strings::PREVIEW_LOADING),
            theme.dim(),
        )),
        Some([]) => body.push(Line::styled(
            format!(" {}", strings::PREVIEW_EMPTY),
            theme.dim(),
        )),
        Some(messages) => {
            for m in messages {
                let who = match m.from {
                    Party::Visitor => strings::PREVIEW_VISITOR,
                    Party::Counselor => strings::YOU,
                    Party::Relay => strings::RELAY,
                };
                let head = format!("{} {who}: ", clock_time(m.at_ms));
                let text = sanitize::text(&m.text);
                let rest = room.saturating_sub(2);
                for (i, part) in wrap(&text, room.saturating_sub(head.width()), rest)
                    .into_iter()
                    .enumerate()
                {
                    body.push(if i == 0 {
                        Line::from(vec![
                            Span::styled(format!(" {head}"), theme.dim()),
                            Span::raw(part),
                        ])
                    } else {
                        Line::raw(format!("   {part}"))
                    });
                }
            }
        }
    }
    // Below the text: a blank line, the hint to tag a missed name, and the keys.
    let hint = wrap(strings::PREVIEW_HINT, room, room);
    let below = hint.len() + 2;
    let visible = usize::from(height.saturating_sub(2))
        .saturating_sub(below)
        .max(1);
    let first = scroll.min(body.len().saturating_sub(visible));
    let mut lines: Vec<Line> = body.into_iter().skip(first).take(visible).collect();
    lines.push(Line::raw(""));
    lines.extend(
        hint.into_iter()
            .map(|l| Line::styled(format!(" {l}"), theme.attention())),
    );
    lines.push(key_hints(
        &app.keys.hints(&app.key_context(), true),
        inner_width,
        theme,
    ));
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    let outer = block(strings::PREVIEW_TITLE.to_owned(), true, theme);
    frame.render_widget(Paragraph::new(lines).block(outer), popup);
}
