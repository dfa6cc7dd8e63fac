//! The status bar on top: who is signed in, the connection, the server.

use chathulp_shared::Role;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};

use crate::app::App;
use crate::model::Connection;
use crate::strings;
use crate::theme::Theme;

pub(super) fn draw_status_bar(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
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
