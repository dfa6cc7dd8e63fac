//! Drawing the app. [`draw`] reads the state and never changes it.
//!
//! Layout (usable from 80×24 up): a status bar on top; the queue (wachtrij) and the
//! conversation list (gesprekken) on the left; the active conversation and its input on
//! the right; a notice line and the key footer at the bottom.

use std::sync::LazyLock;

use chathulp_shared::{Party, Role, ServiceStatus};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};
use unicode_width::{UnicodeWidthChar as _, UnicodeWidthStr as _};

use chathulp_shared::staff::{RevealState, ServiceDashboard, ServiceQueue};

use crate::app::{
    App, Compose, Connection, Conversation, Delivery, Focus, Guidance, Older, Popup, QueueRow,
    ROLES, WrapUpForm,
};
use crate::keymap::{KeyContext, PopupKind, key_text};
use crate::strings;

/// Counselors work in Belgium; message times are shown in Brussels time, whatever the
/// machine's zone.
static BRUSSELS: LazyLock<TimeZone> =
    LazyLock::new(|| TimeZone::get("Europe/Brussels").unwrap_or(TimeZone::UTC));

/// Visitor names longer than this are cut in the scrollback's name column.
const NAME_COLUMN: usize = 12;

/// Styles, with colours only when `NO_COLOR` is not set. Without colour every
/// distinction still shows through text, bold, dim or reverse video.
#[derive(Clone, Copy, Debug)]
struct Theme {
    color: bool,
}

impl Theme {
    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }
    fn bold(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    fn dim(self) -> Style {
        Style::default().add_modifier(Modifier::DIM)
    }
    fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        }
    }
    fn visitor(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    fn counselor(self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }
    fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    fn attention(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    /// Past the guidance limit: hard to miss, also without colour.
    fn alarm(self) -> Style {
        self.error().add_modifier(Modifier::REVERSED)
    }
    fn guidance(self, guidance: Guidance) -> Style {
        match guidance {
            Guidance::Normal => self.dim(),
            Guidance::Warn => self.attention(),
            Guidance::Over => self.alarm(),
        }
    }
    fn status(self, status: ServiceStatus) -> Style {
        match status {
            ServiceStatus::Online => self.fg(Color::Green),
            ServiceStatus::Busy => self.fg(Color::Red),
            ServiceStatus::Offline => self.dim(),
        }
    }
}

fn block(title: String, focused: bool, theme: Theme) -> Block<'static> {
    titled_block(
        Line::from(Span::styled(format!(" {title} "), theme.bold())),
        focused,
        theme,
    )
}

fn titled_block(title: Line<'static>, focused: bool, theme: Theme) -> Block<'static> {
    Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme.border(focused))
        .title(title)
}

/// The rows of the screen: status bar, reveal banner (supervisors and administrators,
/// while a request waits), the panes, the notice line and the footer.
fn screen_rows(area: Rect, app: &App) -> [Rect; 5] {
    let pending = if app.read_only() {
        app.pending_reveals()
    } else {
        0
    };
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(pending > 0)),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The left column (queue and conversation list) and the right one (the conversation).
fn body_columns(body: Rect, screen_width: u16) -> [Rect; 2] {
    let left_width = match screen_width {
        w if w >= 140 => 44,
        w if w >= 110 => 36,
        _ => 30,
    };
    Layout::horizontal([Constraint::Length(left_width), Constraint::Min(0)]).areas(body)
}

/// The parts of the conversation pane.
struct ConversationAreas {
    /// The bordered scrollback with its title.
    frame: Rect,
    facts: Rect,
    scrollback: Rect,
    typing: Rect,
    input: Rect,
}

fn conversation_areas(area: Rect, c: &Conversation, theme: Theme) -> ConversationAreas {
    let input_lines = c.draft.lines().len().clamp(1, 4) as u16;
    let [frame, input] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(input_lines + 2)]).areas(area);
    let inner = titled_block(Line::default(), false, theme).inner(frame);
    let [facts, scrollback, typing] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(inner);
    ConversationAreas {
        frame,
        facts,
        scrollback,
        typing,
        input,
    }
}

/// The active conversation's scrollback on a screen of [`App::screen`]: its width and
/// height. The app needs it to know when the counselor has scrolled to the top.
pub fn scrollback_size(app: &App) -> Option<(usize, usize)> {
    let c = app.active_conversation()?;
    let area = Rect::new(0, 0, app.screen.0, app.screen.1);
    let [_, _, body, _, _] = screen_rows(area, app);
    let [_, right] = body_columns(body, area.width);
    let scrollback = conversation_areas(right, c, Theme { color: false }).scrollback;
    Some((
        usize::from(scrollback.width),
        usize::from(scrollback.height),
    ))
}

/// How many screen lines the newest part of `c`'s scrollback takes at `width`: at least
/// `need` (all of them when there are fewer), as [`draw`] lays them out.
pub fn scrollback_line_count(c: &Conversation, width: usize, need: usize) -> usize {
    scrollback_lines(c, width, need, Theme { color: false }).len()
}

/// Draws the whole app.
pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme { color: app.color };
    let area = frame.area();
    let [top, banner, body, notice, footer] = screen_rows(area, app);
    let pending = if banner.height > 0 {
        app.pending_reveals()
    } else {
        0
    };

    draw_status_bar(frame, top, app, theme);
    if pending > 0 {
        frame.render_widget(
            Line::styled(
                fit(&strings::reveals_banner(pending), banner.width as usize),
                theme.alarm(),
            ),
            banner,
        );
    }

    let [left, right] = body_columns(body, area.width);
    let list_height = (app.conversations.len() as u16 + 2).clamp(4, 11);
    let [queue, conversations] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(list_height)]).areas(left);
    draw_queue(frame, queue, app, theme);
    draw_conversation_list(frame, conversations, app, theme);
    draw_conversation(frame, right, app, theme);
    draw_notice(frame, notice, app, theme);
    draw_footer(frame, footer, app, theme);

    match &app.popup {
        Some(Popup::Help) => draw_help(frame, area, app, theme),
        Some(Popup::ConfirmEnd(id)) => {
            let nickname = app
                .conversations
                .iter()
                .find(|c| &c.id == id)
                .map_or_else(|| id.to_string(), |c| c.nickname.clone());
            draw_confirm(frame, area, app, theme, &strings::confirm_end(&nickname));
        }
        Some(Popup::ConfirmQuit) => {
            draw_confirm(
                frame,
                area,
                app,
                theme,
                &strings::confirm_quit(app.open_conversations()),
            );
        }
        Some(Popup::ConfirmClose { service, reason }) => {
            let question = strings::confirm_close_service(&service_name(app, service), reason);
            draw_confirm(frame, area, app, theme, &question);
        }
        Some(Popup::Canned { search, selected }) => {
            draw_canned(frame, area, app, theme, search.as_deref(), *selected);
        }
        Some(Popup::CloseReason { service, reason }) => {
            let prompt = strings::close_service_prompt(&service_name(app, service));
            draw_reason(
                frame,
                area,
                app,
                theme,
                strings::CLOSE_SERVICE_TITLE,
                &prompt,
                reason,
            );
        }
        Some(Popup::Compose { purpose, text }) => {
            let prompt = strings::compose_prompt(purpose, &about(app, purpose));
            draw_reason(
                frame,
                area,
                app,
                theme,
                compose_title(purpose),
                &prompt,
                text,
            );
        }
        Some(Popup::ConfirmCompose { purpose, text }) => {
            let question = strings::confirm_compose(purpose, &about(app, purpose), text);
            draw_confirm(frame, area, app, theme, &question);
        }
        Some(Popup::PickColleague { selected, .. }) => {
            let items = app
                .transfer_targets()
                .iter()
                .map(|c| format!("{} ({}/{})", c.user, c.load, c.capacity))
                .collect();
            draw_pick(
                frame,
                area,
                app,
                theme,
                strings::PICK_COLLEAGUE_TITLE,
                items,
                *selected,
            );
        }
        Some(Popup::ToRegister { selected }) => {
            let items = app
                .to_register
                .iter()
                .map(|p| {
                    format!(
                        "{} · {} · {}",
                        clock_time(p.ended_at_ms),
                        p.nickname,
                        p.service
                    )
                })
                .collect();
            draw_pick(
                frame,
                area,
                app,
                theme,
                strings::TO_REGISTER_TITLE,
                items,
                *selected,
            );
        }
        Some(Popup::Reveals { selected }) => {
            let items = app
                .reveals
                .iter()
                .map(|r| {
                    format!(
                        "#{} {} · {} · {}: {}",
                        r.id,
                        strings::reveal_state(r.state),
                        r.service,
                        r.counselor,
                        r.reason
                    )
                })
                .collect();
            draw_pick(
                frame,
                area,
                app,
                theme,
                strings::REVEALS_TITLE,
                items,
                *selected,
            );
        }
        Some(Popup::WrapUp(form)) => draw_wrap_up(frame, area, app, theme, form),
        Some(Popup::Accounts { selected }) => {
            let mut items: Vec<String> = app
                .accounts
                .iter()
                .map(|a| {
                    let state = if a.disabled { strings::DISABLED } else { "" };
                    format!("{:<20} {:<12} {state}", a.user, strings::role_label(a.role))
                })
                .collect();
            if items.is_empty() {
                items.push(strings::NO_ACCOUNTS.into());
            }
            let title = strings::ACCOUNTS_TITLE;
            draw_pick(frame, area, app, theme, title, items, *selected);
        }
        Some(Popup::PickRole { selected, .. }) => {
            let items = ROLES
                .iter()
                .map(|r| strings::role_label(*r).to_owned())
                .collect();
            let title = strings::PICK_ROLE_TITLE;
            draw_pick(frame, area, app, theme, title, items, *selected);
        }
        Some(Popup::ConfirmAccount(change)) => {
            draw_confirm(frame, area, app, theme, &strings::confirm_account(change));
        }
        Some(Popup::AccountSecret { user, password }) => {
            draw_secret(frame, area, app, theme, user, password);
        }
        Some(Popup::Blocks { selected }) => {
            let mut items: Vec<String> = app
                .blocks
                .iter()
                .map(|b| {
                    format!(
                        "#{} {} · {} · tot {}: {}",
                        b.id,
                        b.service,
                        b.counselor,
                        day_time(b.until_ms),
                        b.reason
                    )
                })
                .collect();
            if items.is_empty() {
                items.push(strings::NO_BLOCKS.into());
            }
            let title = strings::BLOCKS_TITLE;
            draw_pick(frame, area, app, theme, title, items, *selected);
        }
        None => {}
    }
}

fn draw_status_bar(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut left = vec![
        Span::styled(format!(" {} ", strings::APP_NAME), theme.bold()),
        Span::raw("│ "),
        Span::styled(app.user.clone(), theme.bold()),
    ];
    // The role; set off for the roles that differ from a counselor's: a supervisor only
    // reads, an administrator decides (reveals, accounts, blocks, services).
    let badge = |text: &str| {
        Span::styled(
            format!(" {text} "),
            theme.attention().add_modifier(Modifier::REVERSED),
        )
    };
    match app.account.as_ref().map(|a| a.role) {
        Some(Role::Counselor) => left.push(Span::raw(format!(
            " ({})",
            strings::role_label(Role::Counselor)
        ))),
        Some(Role::Supervisor) => {
            left.push(Span::raw(format!(
                " ({}) ",
                strings::role_label(Role::Supervisor)
            )));
            left.push(badge(strings::READ_ONLY));
        }
        Some(Role::Admin) => {
            left.push(Span::raw(" "));
            left.push(badge(strings::role_label(Role::Admin)));
        }
        None => {}
    }
    left.push(Span::raw(" │ "));
    left.push(Span::raw(
        app.server
            .strip_prefix("wss://")
            .unwrap_or(&app.server)
            .to_owned(),
    ));

    let (state, style) = match &app.connection {
        Connection::Connecting => (strings::CONNECTING.to_owned(), theme.dim()),
        Connection::Connected => (format!("● {}", strings::CONNECTED), theme.fg(Color::Green)),
        Connection::Reconnecting { .. } => (strings::RECONNECTING.to_owned(), theme.error()),
        Connection::Offline { .. } => (strings::OFFLINE.to_owned(), theme.error()),
    };
    let right = Span::styled(format!("{state} "), style);
    let right_width = (right.width() as u16).min(area.width / 2);
    let [l, r] = Layout::horizontal([Constraint::Min(0), Constraint::Length(right_width)])
        .spacing(1)
        .areas(area);
    frame.render_widget(Line::from(left), l);
    frame.render_widget(Line::from(right).alignment(Alignment::Right), r);
}

fn draw_queue(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
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
fn service_name(app: &App, id: &chathulp_shared::ServiceId) -> String {
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

fn marker(is_cursor: bool) -> &'static str {
    if is_cursor { "▸" } else { " " }
}

/// The first line to show so that line `needed` (1-based) is visible.
fn scroll_offset(needed: usize, total: usize, height: usize) -> usize {
    if total <= height {
        0
    } else {
        needed.saturating_sub(height)
    }
}

fn draw_conversation_list(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
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

/// The conversation's title: who, which service, whether the visitor is away, and its
/// dossier marks.
fn conversation_title(app: &App, c: &Conversation, theme: Theme) -> Line<'static> {
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

fn draw_conversation(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
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
    } = conversation_areas(area, c, theme);
    let outer = titled_block(conversation_title(app, c, theme), false, theme);
    frame.render_widget(outer, scroll_area);

    draw_facts(frame, facts, app, c, theme);

    let height = scrollback.height as usize;
    let lines = scrollback_lines(c, scrollback.width as usize, height + c.scroll, theme);
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

/// Intake and talking time; near and past the 1-hour guidance the time is marked, and
/// past it `60m+ · afronden` leads the line.
fn draw_facts(frame: &mut Frame, area: Rect, app: &App, c: &Conversation, theme: Theme) {
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

fn draw_input(frame: &mut Frame, area: Rect, app: &App, c: &Conversation, theme: Theme) {
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

/// The newest part of the scrollback as screen lines, wrapped to `width` with a hanging
/// indent: at least the last `need` lines (all of them when there are fewer). Every
/// message makes at least one line, so only the last `need` messages are wrapped: a
/// frame costs what is on screen, not the length of the history.
fn scrollback_lines(
    c: &Conversation,
    width: usize,
    need: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let first = c.entries.len().saturating_sub(need);
    let mut out = Vec::new();
    let mut notes = c.notes.iter().peekable();
    // Notes go before the first message that is not older; skip those placed before
    // the messages left out. While older messages are on the relay, notes older than
    // the first message held belong among those.
    let truncated = matches!(c.older, Older::OnRelay | Older::Loading { .. });
    let skipped = if truncated && first == 0 {
        c.entries.len().min(1)
    } else {
        first
    };
    for entry in &c.entries[..skipped] {
        while notes.next_if(|n| n.at_ms <= entry.at_ms).is_some() {}
    }
    if first == 0 {
        let older = match c.older {
            Older::Nothing => None,
            Older::OnRelay => Some(strings::OLDER_ON_RELAY),
            Older::Loading { .. } => Some(strings::OLDER_LOADING),
            Older::Start => Some(strings::CONVERSATION_START),
        };
        if let Some(text) = older {
            out.push(vec![Span::styled(
                fit(text, width),
                theme.dim().add_modifier(Modifier::ITALIC),
            )]);
        }
        scrollback_header(c, &mut out, width, theme);
    }
    for entry in &c.entries[first..] {
        while let Some(note) = notes.next_if(|n| n.at_ms <= entry.at_ms) {
            let text = format!("{} {}: {}", strings::NOTE_MARK, note.author, note.text);
            push_note_lines(&mut out, note.at_ms, &text, width, theme);
        }
        if let Delivery::Local { .. } = entry.delivery {
            // The app's own line: no name, set off with `·`, never mistaken for a message.
            let time = clock_time(entry.at_ms);
            let indent = time.width() + 3;
            let style = theme.attention().add_modifier(Modifier::ITALIC);
            let room = width.saturating_sub(indent);
            for (i, piece) in wrap(&entry.text, room, room).into_iter().enumerate() {
                let lead = if i == 0 {
                    Span::styled(format!("{time} · "), theme.dim())
                } else {
                    Span::raw(" ".repeat(indent))
                };
                out.push(vec![lead, Span::styled(piece, style)]);
            }
            continue;
        }
        let (name, name_style) = match entry.from {
            Party::Visitor => (fit(&c.nickname, NAME_COLUMN), theme.visitor()),
            // A watcher is not the one chatting: name the counselor instead of "jij".
            Party::Counselor => match (&c.counselor, c.watching) {
                (Some(counselor), true) => (fit(counselor, NAME_COLUMN), theme.counselor()),
                _ => (strings::YOU.to_owned(), theme.counselor()),
            },
            Party::Relay => (strings::RELAY.to_owned(), theme.dim()),
        };
        let time = clock_time(entry.at_ms);
        let prefix_width = time.width() + 1 + name.width() + 2;
        let indent = time.width() + 1;
        let (text_style, suffix) = match &entry.delivery {
            Delivery::Stored { .. } | Delivery::Local { .. } => (Style::default(), None),
            Delivery::Pending { .. } => (
                theme.dim(),
                Some(Span::styled(
                    format!(" {}", strings::PENDING_MARK),
                    theme.dim(),
                )),
            ),
            Delivery::Failed { reason, .. } => (
                theme.dim(),
                Some(Span::styled(
                    format!(" ✗ {} ({reason})", strings::NOT_SENT),
                    theme.error(),
                )),
            ),
        };
        let text_style = if entry.from == Party::Relay {
            text_style.add_modifier(Modifier::ITALIC)
        } else {
            text_style
        };
        let mut first = true;
        for paragraph in entry.text.split('\n') {
            let first_width = if first {
                width.saturating_sub(prefix_width)
            } else {
                width.saturating_sub(indent)
            };
            let rest_width = width.saturating_sub(indent);
            for piece in wrap(paragraph, first_width, rest_width) {
                let mut spans = Vec::new();
                if first {
                    spans.push(Span::styled(format!("{time} "), theme.dim()));
                    spans.push(Span::styled(name.clone(), name_style));
                    spans.push(Span::raw(": "));
                    first = false;
                } else {
                    spans.push(Span::raw(" ".repeat(indent)));
                }
                spans.push(Span::styled(piece, text_style));
                out.push(spans);
            }
        }
        if let (Some(suffix), Some(last)) = (suffix, out.last_mut()) {
            last.push(suffix);
        }
    }
    for note in notes {
        let text = format!("{} {}: {}", strings::NOTE_MARK, note.author, note.text);
        push_note_lines(&mut out, note.at_ms, &text, width, theme);
    }
    let mut lines: Vec<Line<'static>> = out.into_iter().map(Line::from).collect();
    if let Some(ending) = &c.ended {
        lines.push(Line::styled(
            strings::ended_line(ending.by, ending.reason.as_deref()),
            theme.dim(),
        ));
    }
    lines
}

/// What the scrollback starts with: the nickname-return notice, an approved emergency
/// disclosure and the handover note.
fn scrollback_header(
    c: &Conversation,
    out: &mut Vec<Vec<Span<'static>>>,
    width: usize,
    theme: Theme,
) {
    if let Some(linked) = &c.linked {
        let notice = strings::linked_notice(linked.nickname.as_deref());
        for piece in wrap(&notice, width, width) {
            out.push(vec![Span::styled(piece, theme.attention())]);
        }
        out.push(Vec::new());
    }
    if let Some(ip) = c.reveal.as_ref().and_then(|r| r.ip.as_deref()) {
        for piece in wrap(&strings::revealed_ip(ip), width, width) {
            out.push(vec![Span::styled(piece, theme.alarm())]);
        }
        out.push(Vec::new());
    }
    if let Some(handover) = &c.handover {
        let text = strings::handover_line(&handover.from, &handover.note);
        push_note_lines(out, handover.at_ms, &text, width, theme);
    }
}

/// An internal note (or handover note): set off with `▌` in the counselors' colour and
/// italics, so it is never mistaken for a message the visitor saw.
fn push_note_lines(
    out: &mut Vec<Vec<Span<'static>>>,
    at_ms: i64,
    text: &str,
    width: usize,
    theme: Theme,
) {
    let time = clock_time(at_ms);
    let indent = time.width() + 3;
    let room = width.saturating_sub(indent);
    let style = theme.counselor().add_modifier(Modifier::ITALIC);
    for paragraph in text.split('\n') {
        for piece in wrap(paragraph, room, room) {
            out.push(vec![
                Span::styled(format!("{time} ▌ "), theme.dim()),
                Span::styled(piece, style),
            ]);
        }
    }
}

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
fn fit(text: &str, max: usize) -> String {
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

fn brussels(at_ms: i64, format: &str) -> String {
    Timestamp::from_millisecond(at_ms)
        .map(|t| {
            t.to_zoned_datetime(BRUSSELS.clone())
                .strftime(format)
                .to_string()
        })
        .unwrap_or_else(|_| "--:--".to_owned())
}

fn draw_notice(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    if let Some(notice) = &app.notice {
        let style = if notice.is_error {
            theme.error()
        } else {
            theme.fg(Color::Cyan)
        };
        // A notification flashes: the whole line in reverse video for a moment.
        let style = if app.flashing() {
            style.add_modifier(Modifier::REVERSED)
        } else {
            style
        };
        let text = format!(" {:<width$}", notice.text, width = usize::from(area.width));
        frame.render_widget(Line::styled(text, style), area);
    }
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let items = app.keys.footer(&app.key_context());
    frame.render_widget(key_hints(&items, area.width as usize, theme), area);
}

/// `key label` pairs, as many as fit in `width`, most important first.
fn key_hints(items: &[(String, &'static str)], width: usize, theme: Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, label) in items {
        let item_width = key.width() + 1 + label.width() + 2;
        if used + item_width > width + 2 {
            continue;
        }
        used += item_width;
        spans.push(Span::styled(
            key.clone(),
            theme.bold().patch(theme.fg(Color::Cyan)),
        ));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    Line::from(spans)
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// How many help lines show on a screen `height` rows high: inside the borders, above
/// the footer, and when not all fit, with one row kept for the "more" hint.
pub fn help_rows_visible(height: u16, total: usize) -> usize {
    let inner = usize::from(height).saturating_sub(3);
    if total <= inner {
        total
    } else {
        inner.saturating_sub(1).max(1)
    }
}

/// The help popup's rows: every key that works for this role, then the legend of the
/// marks in the lists. Key (or mark) and what it does.
fn help_rows(app: &App) -> Vec<(String, &'static str)> {
    let mut rows: Vec<(String, &'static str)> = app
        .keys
        .bindings_for(app.read_only(), app.is_admin())
        .iter()
        .map(|b| (key_text(b, b.keys), b.help))
        .collect();
    rows.push((String::new(), ""));
    rows.push((String::new(), strings::LEGEND_TITLE));
    rows.extend(
        strings::LEGEND
            .iter()
            .map(|(mark, meaning)| ((*mark).to_owned(), *meaning)),
    );
    rows
}

/// How many rows the help popup has (it scrolls on small screens).
pub fn help_row_count(app: &App) -> usize {
    help_rows(app).len()
}

fn draw_help(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let bindings = help_rows(app);
    let key_width = bindings.iter().map(|(k, _)| k.width()).max().unwrap_or(0) + 2;
    let visible = help_rows_visible(area.height, bindings.len());
    let scroll = app.help_scroll.min(bindings.len().saturating_sub(visible));
    let mut lines: Vec<Line> = bindings
        .iter()
        .skip(scroll)
        .take(visible)
        .map(|(k, help)| {
            if k.is_empty() {
                // The legend's title.
                return Line::styled(format!(" {help}"), theme.bold());
            }
            Line::from(vec![
                Span::styled(format!(" {k:<key_width$}"), theme.bold()),
                Span::raw(*help),
            ])
        })
        .collect();
    if visible < bindings.len() {
        let more = if scroll + visible < bindings.len() {
            let key = app
                .keys
                .move_down
                .first()
                .map(|k| k.label())
                .unwrap_or_default();
            strings::help_more(&key)
        } else {
            String::new()
        };
        lines.push(Line::styled(format!(" {more}"), theme.attention()));
    }
    let popup = centered(
        area,
        80.min(area.width.saturating_sub(2)),
        lines.len() as u16 + 2,
    );
    frame.render_widget(Clear, popup);
    let outer = block(strings::HELP_TITLE.to_owned(), true, theme);
    frame.render_widget(Paragraph::new(lines).block(outer), popup);
}

fn draw_confirm(frame: &mut Frame, area: Rect, app: &App, theme: Theme, question: &str) {
    let ctx = KeyContext {
        popup: Some(PopupKind::Confirm),
        ..app.key_context()
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
fn draw_secret(frame: &mut Frame, area: Rect, app: &App, theme: Theme, user: &str, password: &str) {
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
fn draw_canned(
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
fn about(app: &App, purpose: &Compose) -> String {
    purpose.conversation().map_or_else(String::new, |id| {
        app.conversations
            .iter()
            .find(|c| &c.id == id)
            .map_or_else(|| id.to_string(), |c| c.nickname.clone())
    })
}

fn compose_title(purpose: &Compose) -> &'static str {
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
fn draw_pick(
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
fn draw_wrap_up(frame: &mut Frame, area: Rect, app: &App, theme: Theme, form: &WrapUpForm) {
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
fn draw_reason(
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

    /// Wrapping only the newest messages gives the same screen lines as wrapping the
    /// whole history, notes in between included, for every scroll position; also while
    /// older messages are on the relay (then the notes before the first message held wait
    /// for their page).
    #[test]
    fn the_tail_of_the_scrollback_is_the_tail_of_the_whole() {
        for truncated in [false, true] {
            tail_is_tail_of_whole(truncated);
        }
    }

    fn tail_is_tail_of_whole(truncated: bool) {
        use crate::action::Action;
        use crate::app::{App, AppOptions, ClientIds};
        use crate::net::NetEvent;
        use chathulp_shared::staff::{InternalNote, StaffEvent};
        use chathulp_shared::{ChatMessage, ConversationId, Party, ServiceId};

        let mut app = App::new(AppOptions {
            user: "an".into(),
            server: "wss://127.0.0.1:8443".into(),
            now_ms: 1_000_000,
            color: false,
            client_ids: ClientIds::Sequential(0),
            keys: crate::keymap::KeyConfig::default(),
            notifications: Default::default(),
        });
        let messages = (1..=300u64)
            .map(|seq| ChatMessage {
                seq,
                from: if seq % 3 == 0 {
                    Party::Counselor
                } else {
                    Party::Visitor
                },
                text: format!("bericht {seq} ").repeat((seq % 7) as usize + 1),
                at_ms: seq as i64 * 1000,
            })
            .collect();
        let notes = [50, 299_500, 301_000]
            .map(|at_ms| InternalNote {
                author: "an".into(),
                text: format!("notitie om {at_ms}"),
                at_ms,
            })
            .to_vec();
        app.update(Action::Net(NetEvent::Staff(Box::new(
            StaffEvent::Conversation {
                conversation: ConversationId("c1".into()),
                service: ServiceId("caw".into()),
                nickname: "Sam".into(),
                intake: Default::default(),
                started_at_ms: 0,
                messages,
                no_dossier: false,
                dossier_candidate: false,
                linked_to: None,
                visitor_away_until_ms: None,
                notes,
                handover: None,
                watching: false,
                counselor: None,
                truncated,
                tagged_names: Vec::new(),
            },
        ))));
        let c = &app.conversations[0];
        let early_note = "notitie om 50";
        let theme = Theme { color: false };
        let whole = scrollback_lines(c, 50, usize::MAX, theme);
        assert!(whole.len() > 400, "{}", whole.len());
        let shows = |lines: &[Line]| lines.iter().any(|l| l.to_string().contains(early_note));
        assert_eq!(shows(&whole), !truncated, "truncated: {truncated}");
        let top = if truncated {
            strings::OLDER_ON_RELAY
        } else {
            early_note
        };
        assert!(whole[0].to_string().contains(top), "{}", whole[0]);
        for need in [1, 20, 21, 150, 450, whole.len(), whole.len() + 10] {
            let tail = scrollback_lines(c, 50, need, theme);
            let want = need.min(whole.len());
            assert!(tail.len() >= want, "need {need}: {} lines", tail.len());
            assert_eq!(
                tail[tail.len() - want..],
                whole[whole.len() - want..],
                "need {need}"
            );
        }
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
