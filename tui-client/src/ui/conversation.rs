//! The active conversation: its title, facts line, scrollback and input.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::App;
use crate::layout::{self, ConversationAreas};
use crate::model::{Conversation, Focus, Guidance, TakeAhead};
use crate::strings;
use crate::text::format_duration;
use crate::theme::{Theme, block, titled_block};

/// The conversation's title: who, which service, whether the visitor is away, and its
/// dossier marks.
pub(super) fn conversation_title(app: &App, c: &Conversation, theme: Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!(" {} · {} ", c.nickname, c.service),
        theme.bold(),
    )];
    if let Some(countdown) = app.away_countdown(c) {
        spans.push(Span::raw("· "));
        spans.push(Span::styled(
            format!(" {} ", strings::visitor_away_mark(&countdown)),
            theme.alarm(),
        ));
        spans.push(Span::raw(" "));
    }
    if c.no_dossier {
        spans.push(Span::styled(
            format!("· {} ", strings::NO_DOSSIER),
            theme.attention(),
        ));
    }
    if c.dossier_candidate {
        spans.push(Span::styled(
            format!("· {} ", strings::DOSSIER_CANDIDATE),
            theme.counselor(),
        ));
    }
    if !c.tagged_names.is_empty() {
        spans.push(Span::styled(
            format!("· {} ", strings::tagged_names(&c.tagged_names)),
            theme.dim(),
        ));
    }
    Line::from(spans)
}

pub(super) fn draw_conversation(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    if let Some(ahead) = &app.take_ahead {
        return draw_taking(frame, area, app, ahead, theme);
    }
    let Some(c) = app.active_conversation() else {
        let outer = block(strings::NO_ACTIVE_TITLE.to_owned(), false, theme);
        let hint = if app.read_only() {
            strings::NO_ACTIVE_READ_ONLY_HINT
        } else {
            strings::NO_ACTIVE_HINT
        };
        let text = vec![
            Line::styled(strings::NO_ACTIVE, theme.bold()),
            Line::raw(""),
            Line::styled(hint, theme.dim()),
        ];
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(outer),
            area,
        );
        return;
    };

    let ConversationAreas {
        frame: scroll_area,
        facts,
        scrollback,
        typing,
        input: input_area,
    } = layout::conversation_areas(area, c, theme);
    let outer = titled_block(conversation_title(app, c, theme), false, theme);
    frame.render_widget(outer, scroll_area);

    draw_facts(frame, facts, app, c, theme);

    let height = scrollback.height as usize;
    let lines = layout::scrollback_lines(c, scrollback.width as usize, height + c.scroll, theme);
    let max_scroll = lines.len().saturating_sub(height);
    let scroll = c.scroll.min(max_scroll);
    let start = lines.len().saturating_sub(height + scroll);
    let visible: Vec<Line> = lines.into_iter().skip(start).take(height).collect();
    frame.render_widget(Paragraph::new(visible), scrollback);

    let typing_line = if c.visitor_typing(app.now_ms) {
        Span::styled(
            strings::VISITOR_TYPING,
            theme.visitor().add_modifier(Modifier::ITALIC),
        )
    } else {
        Span::raw("")
    };
    let [typing_left, typing_right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(32)]).areas(typing);
    frame.render_widget(typing_line, typing_left);
    if scroll > 0 {
        frame.render_widget(
            Line::styled(strings::SCROLLED_UP, theme.attention()).alignment(Alignment::Right),
            typing_right,
        );
    }

    draw_input(frame, input_area, app, c, theme);
}

/// While a take is under way: what the counselor typed already, in the input, and
/// whatever they finished with Enter, waiting to go.
fn draw_taking(frame: &mut Frame, area: Rect, app: &App, ahead: &TakeAhead, theme: Theme) {
    let input_lines = ahead.draft.lines().len().clamp(1, 4) as u16;
    let [top, input_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(input_lines + 2)]).areas(area);
    let mut text = vec![Line::styled(strings::TAKING_HINT, theme.dim())];
    for sent in &ahead.sent {
        text.push(Line::raw(""));
        text.push(Line::styled(
            format!("{}: {}", strings::YOU, sent.replace('\n', " ")),
            theme.counselor(),
        ));
    }
    let outer = block(strings::TAKING_TITLE.to_owned(), false, theme);
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: true }).block(outer),
        top,
    );
    let focused = app.focus == Focus::Input && app.popup.is_none();
    let mut input = ahead.draft.clone();
    input.set_block(block(strings::INPUT_TITLE.to_owned(), focused, theme));
    input.set_placeholder_style(theme.dim());
    input.set_cursor_style(if focused {
        theme.selected()
    } else {
        Style::default()
    });
    frame.render_widget(&input, input_area);
}

/// Intake and talking time; near and past the 1-hour guidance the time is marked, and
/// past it `60m+ · afronden` leads the line.
pub(super) fn draw_facts(frame: &mut Frame, area: Rect, app: &App, c: &Conversation, theme: Theme) {
    let elapsed = format_duration(app.now_ms - c.started_at_ms);
    let guidance = app.guidance(c);
    if guidance == Guidance::Normal {
        let facts = strings::conversation_facts(&c.intake.summary(), &elapsed);
        frame.render_widget(Line::styled(facts, theme.dim()), area);
        return;
    }
    let time = Span::styled(
        strings::talking_time(&format!("{}{elapsed}", strings::GUIDANCE_MARK)),
        theme.guidance(guidance),
    );
    let intake = c.intake.summary();
    let facts = if guidance == Guidance::Warn {
        Line::from(vec![
            Span::styled(format!("{intake} · "), theme.dim()),
            time,
        ])
    } else {
        // Past the limit the mark comes first: a narrow pane cuts the intake, not this.
        let over = strings::guidance_over(app.settings.guidance_limit_mins);
        Line::from(vec![
            Span::styled(format!(" {over} "), theme.alarm()),
            Span::raw(" "),
            time.style(theme.error()),
            Span::styled(format!(" · {intake}"), theme.dim()),
        ])
    };
    frame.render_widget(facts, area);
}

pub(super) fn draw_input(frame: &mut Frame, area: Rect, app: &App, c: &Conversation, theme: Theme) {
    let focused = app.focus == Focus::Input && app.popup.is_none();
    let outer = block(strings::INPUT_TITLE.to_owned(), focused, theme);
    if app.read_only() {
        let text = Span::styled(strings::INPUT_READ_ONLY, theme.attention());
        frame.render_widget(Paragraph::new(text).block(outer), area);
        return;
    }
    if c.ended.is_some() {
        let close = app
            .keys
            .end_conversation
            .first()
            .map(|k| k.label())
            .unwrap_or_default();
        let text = Span::styled(strings::input_ended(&close), theme.dim());
        frame.render_widget(Paragraph::new(text).block(outer), area);
        return;
    }
    // A copy with this frame's look; the state itself is not touched.
    let mut input = c.draft.clone();
    input.set_block(outer);
    input.set_placeholder_style(theme.dim());
    input.set_cursor_style(if focused {
        theme.selected()
    } else {
        Style::default()
    });
    frame.render_widget(&input, area);
}
