//! Where things go on the screen, as a function of the state: the rows and columns of
//! the screen, the parts of the conversation pane, how much of the help popup fits, and
//! the scrollback laid out as lines. The renderer ([`crate::ui`]) draws into these;
//! the update step ([`crate::app`]) asks them how far the scrollback can scroll. Neither
//! asks the other.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;

use crate::model::Conversation;
use crate::theme::{Theme, titled_block};

mod scrollback;
pub use scrollback::scrollback_lines;

/// The rows of the screen: status bar, reveal banner (supervisors and administrators,
/// while a request waits), the panes, the notice line and the footer.
/// `banner`: whether the reveal banner shows
/// ([`crate::app::App::shows_reveal_banner`]).
pub fn screen_rows(area: Rect, banner: bool) -> [Rect; 5] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(banner)),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The left column (queue and conversation list) and the right one (the conversation).
pub fn body_columns(body: Rect, screen_width: u16) -> [Rect; 2] {
    let left_width = match screen_width {
        w if w >= 140 => 44,
        w if w >= 110 => 36,
        _ => 30,
    };
    Layout::horizontal([Constraint::Length(left_width), Constraint::Min(0)]).areas(body)
}

/// The rows one service needs on the "Cijfers" screen; with room for more, more show.
pub const FIGURES_SERVICE_ROWS: u16 = 19;

/// How many services the "Cijfers" screen shows at once on a screen of `screen` (columns,
/// rows), over the panes and inside its border. The reveal banner stays in view.
pub fn figures_per_page(screen: (u16, u16), banner: bool, services: usize) -> usize {
    let [_, _, body, _, _] = screen_rows(Rect::new(0, 0, screen.0, screen.1), banner);
    usize::from(body.height.saturating_sub(2) / FIGURES_SERVICE_ROWS).clamp(1, services.max(1))
}

/// The parts of the conversation pane.
pub struct ConversationAreas {
    /// The bordered scrollback with its title.
    pub frame: Rect,
    pub facts: Rect,
    pub scrollback: Rect,
    pub typing: Rect,
    pub input: Rect,
}

pub fn conversation_areas(area: Rect, c: &Conversation, theme: Theme) -> ConversationAreas {
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

/// The scrollback of conversation `c`, shown on a screen of `screen` (columns, rows;
/// [`crate::app::App::screen`]) with or without the reveal banner: its width and height.
/// The app needs it to know when the counselor has scrolled to the top.
pub fn scrollback_size(screen: (u16, u16), banner: bool, c: &Conversation) -> (usize, usize) {
    let area = Rect::new(0, 0, screen.0, screen.1);
    let [_, _, body, _, _] = screen_rows(area, banner);
    let [_, right] = body_columns(body, area.width);
    let scrollback = conversation_areas(right, c, Theme { color: false }).scrollback;
    (
        usize::from(scrollback.width),
        usize::from(scrollback.height),
    )
}

/// How many screen lines the newest part of `c`'s scrollback takes at `width`: at least
/// `need` (all of them when there are fewer), as [`crate::ui::draw`] draws
/// them.
pub fn scrollback_line_count(c: &Conversation, width: usize, need: usize) -> usize {
    scrollback_lines(c, width, need, Theme { color: false }).len()
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

/// The first line to show so that line `needed` (1-based) is visible.
pub fn scroll_offset(needed: usize, total: usize, height: usize) -> usize {
    if total <= height {
        0
    } else {
        needed.saturating_sub(height)
    }
}

/// A box of `width` × `height` in the middle of `area` (a popup).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}
