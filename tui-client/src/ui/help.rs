//! The help popup: every key that works for this account, then the legend.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthStr as _;

use crate::app::App;
use crate::layout::centered;
use crate::layout::{self};
use crate::strings;
use crate::theme::{Theme, block};

pub(super) fn draw_help(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let bindings = app.keys.help_rows(app.read_only(), app.is_admin());
    let key_width = bindings.iter().map(|(k, _)| k.width()).max().unwrap_or(0) + 2;
    let visible = layout::help_rows_visible(area.height, bindings.len());
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
