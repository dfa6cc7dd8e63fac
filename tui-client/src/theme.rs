//! Styles, and the framed blocks of the panes and popups.

use chathulp_shared::ServiceStatus;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType};

use crate::model::Guidance;

/// Styles, with colours only when `NO_COLOR` is not set. Without colour every
/// distinction still shows through text, bold, dim or reverse video.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn fg(self, color: Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }
    pub fn bold(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }
    pub fn dim(self) -> Style {
        Style::default().add_modifier(Modifier::DIM)
    }
    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        }
    }
    pub fn visitor(self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn counselor(self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }
    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn attention(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    /// Past the guidance limit: hard to miss, also without colour.
    pub fn alarm(self) -> Style {
        self.error().add_modifier(Modifier::REVERSED)
    }
    pub fn guidance(self, guidance: Guidance) -> Style {
        match guidance {
            Guidance::Normal => self.dim(),
            Guidance::Warn => self.attention(),
            Guidance::Over => self.alarm(),
        }
    }
    pub fn status(self, status: ServiceStatus) -> Style {
        match status {
            ServiceStatus::Online => self.fg(Color::Green),
            ServiceStatus::Busy => self.fg(Color::Red),
            ServiceStatus::Offline => self.dim(),
        }
    }
}

pub fn block(title: String, focused: bool, theme: Theme) -> Block<'static> {
    titled_block(
        Line::from(Span::styled(format!(" {title} "), theme.bold())),
        focused,
        theme,
    )
}

pub fn titled_block(title: Line<'static>, focused: bool, theme: Theme) -> Block<'static> {
    Block::bordered()
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme.border(focused))
        .title(title)
}

/// The mark in front of the selected row of a list.
pub fn marker(is_cursor: bool) -> &'static str {
    if is_cursor { "▸" } else { " " }
}
