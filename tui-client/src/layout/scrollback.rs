//! The scrollback laid out as screen lines for a width: messages with their time and
//! name and a hanging indent, the app's own lines, internal notes, and what the
//! conversation starts and ends with. Only the newest part is laid out.

use chathulp_shared::Party;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr as _;

use crate::model::{Conversation, Delivery, Older};
use crate::strings;
use crate::text::{clock_time, fit, wrap};
use crate::theme::Theme;

/// Visitor names longer than this are cut in the scrollback's name column.
const NAME_COLUMN: usize = 12;

/// The newest part of the scrollback as screen lines, wrapped to `width` with a hanging
/// indent: at least the last `need` lines (all of them when there are fewer). Every
/// message makes at least one line, so only the last `need` messages are wrapped: a
/// frame costs what is on screen, not the length of the history.
pub fn scrollback_lines(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
