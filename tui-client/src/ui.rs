//! Drawing the app. [`draw`] reads the state and never changes it: it lays the screen
//! out with [`crate::layout`] and hands each part to its own module (`status`, `queue`,
//! `conversations`, `conversation`, `footer`, `help`, `popup`, `figures`).
//!
//! Layout (usable from 80×24 up): a status bar on top; the queue (wachtrij) and the
//! conversation list (gesprekken) on the left; the active conversation and its input on
//! the right; a notice line and the key footer at the bottom.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::Line;

use crate::app::App;
use crate::layout::{self};
use crate::model::{Popup, ROLES};
use crate::strings;
use crate::text::{clock_time, day_time, fit};
use crate::theme::Theme;

mod conversation;
mod conversations;
mod figures;
mod footer;
mod help;
mod popup;
mod queue;
mod status;

use conversation::draw_conversation;
use conversations::draw_conversation_list;
use figures::draw_figures;
use footer::{draw_footer, draw_notice};
use help::draw_help;
use popup::{
    about, compose_title, draw_canned, draw_confirm, draw_pick, draw_preview, draw_reason,
    draw_secret, draw_wrap_up,
};
use queue::{draw_queue, service_name};
use status::draw_status_bar;

/// Draws the whole app.
/// The nickname of conversation `id`, or its id if we no longer hold it.
fn nickname_of(app: &App, id: &chathulp_shared::ConversationId) -> String {
    app.conversations
        .iter()
        .find(|c| &c.id == id)
        .map_or_else(|| id.to_string(), |c| c.nickname.clone())
}

pub fn draw(frame: &mut Frame, app: &App) {
    let theme = Theme { color: app.color };
    let area = frame.area();
    let [top, banner, body, notice, footer] = layout::screen_rows(area, app.shows_reveal_banner());
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

    let [left, right] = layout::body_columns(body, area.width);
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
        Some(Popup::Figures { first }) => draw_figures(frame, app, theme, *first),
        Some(Popup::Preview {
            messages, scroll, ..
        }) => draw_preview(frame, area, app, theme, messages.as_deref(), *scroll),
        Some(Popup::ConfirmEnd(id)) => {
            let question = strings::confirm_end(&nickname_of(app, id));
            draw_confirm(frame, area, app, theme, &question);
        }
        Some(Popup::ConfirmDossier {
            conversation,
            candidate,
        }) => {
            let question = strings::confirm_dossier(&nickname_of(app, conversation), *candidate);
            draw_confirm(frame, area, app, theme, &question);
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
