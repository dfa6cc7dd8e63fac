//! The bottom two lines: the notice line and the key footer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr as _;

use crate::app::App;
use crate::strings;
use crate::theme::Theme;

pub(super) fn draw_notice(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
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

pub(super) fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let items = app.keys.footer(&app.key_context());
    frame.render_widget(key_hints(&items, area.width as usize, theme), area);
}

/// `key label` pairs, as many as fit in `width`, most important first. `? help` always
/// keeps its place: from there every other key can be found.
pub(super) fn key_hints(
    items: &[(String, &'static str)],
    width: usize,
    theme: Theme,
) -> Line<'static> {
    let item_width = |key: &str, label: &str| key.width() + 1 + label.width() + 2;
    let is_help = |label: &str| label == strings::keys::HELP_SHORT;
    // Room kept for the help item until it is placed.
    let mut reserved = items
        .iter()
        .find(|(_, label)| is_help(label))
        .map_or(0, |(key, label)| item_width(key, label));
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, label) in items {
        let w = item_width(key, label);
        if is_help(label) {
            reserved = 0;
        }
        if used + w + reserved > width + 2 {
            continue;
        }
        used += w;
        spans.push(Span::styled(
            key.clone(),
            theme.bold().patch(theme.fg(Color::Cyan)),
        ));
        spans.push(Span::raw(format!(" {label}  ")));
    }
    Line::from(spans)
}
