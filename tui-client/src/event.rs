//! The one event loop: terminal input, network events and a 1 s tick all become
//! [`Action`]s for [`App::update`]; after each, the app is drawn and its queued commands
//! go to the network worker.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt as _;
use tokio::sync::mpsc;

use crate::action::Action;
use crate::app::App;
use crate::keymap;
use crate::link::{NetCommand, NetEvent};
use crate::tui::Tui;

/// The wall clock in Unix milliseconds (only the real loop reads it; tests inject time).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Turns a terminal event into an action, through the keymap.
pub fn terminal_action(app: &App, event: Event) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            keymap::action_for(&app.keys, &app.key_context(), key)
        }
        Event::Paste(text) => Some(Action::Paste(text)),
        Event::Resize(width, height) => Some(Action::Resize(width, height)),
        _ => None,
    }
}

/// Runs until the app wants to quit. Only call it with a real terminal:
/// `EventStream` needs one.
pub async fn run(
    tui: &mut Tui,
    app: &mut App,
    commands: mpsc::UnboundedSender<NetCommand>,
    mut net_events: mpsc::Receiver<NetEvent>,
) -> std::io::Result<()> {
    let mut terminal_events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut net_open = true;
    let size = tui.terminal.size()?;
    app.update(Action::Resize(size.width, size.height));

    loop {
        tui.terminal.draw(|frame| crate::ui::draw(frame, app))?;
        signal_terminal(app)?;

        let action = tokio::select! {
            event = terminal_events.next() => match event {
                Some(Ok(event)) => terminal_action(app, event),
                Some(Err(e)) => return Err(e),
                None => Some(Action::Quit),
            },
            event = net_events.recv(), if net_open => match event {
                Some(event) => Some(Action::Net(event)),
                None => {
                    net_open = false;
                    Some(Action::Net(NetEvent::Disconnected {
                        reason: crate::strings::CONNECTION_CLOSED.into(),
                        retrying: false,
                    }))
                }
            },
            _ = tick.tick() => None,
        };

        // Every action sees the current time (the typing throttle depends on it).
        app.update(Action::Tick(now_ms()));
        if let Some(action) = action {
            app.update(action);
        }
        for command in app.take_commands() {
            // The worker may be gone (it stopped after a refused session); the app
            // already shows that.
            let _ = commands.send(command);
        }
        if app.should_quit {
            return Ok(());
        }
    }
}

/// The bell the app asked for, and text for the clipboard as OSC 52 (terminals that
/// ignore it show nothing; the app's notice shows the text anyway).
fn signal_terminal(app: &mut App) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout();
    if std::mem::take(&mut app.bell) {
        out.write_all(b"\x07")?;
    }
    if let Some(text) = app.take_clipboard() {
        write!(out, "\x1b]52;c;{}\x07", base64(text.as_bytes()))?;
    }
    out.flush()
}

/// Standard base64 with padding, for OSC 52 (a conversation id: short, ASCII).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard_alphabet_and_padding() {
        assert_eq!(super::base64(b"c-sam"), "Yy1zYW0=");
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"abc"), "YWJj");
    }
}
