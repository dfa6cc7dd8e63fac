//! The user's keymap file, `keys.toml` in the config folder (see [`crate::config`]):
//! each line names a command as the command table does ([`crate::keymap::Command::name`],
//! the fields of [`KeyConfig`]) and replaces all its keys, written the way the footer and
//! the help write them:
//!
//! ```toml
//! hotlist = ["Ctrl-g"]
//! take_next = ["T", "Alt-t"]
//! ```
//!
//! Commands the file does not name keep their defaults. An unknown command or key stops
//! the app at start, naming the file and what is wrong.

use std::collections::BTreeMap;
use std::path::Path;

use crossterm::event::{KeyCode, KeyModifiers};

use crate::keymap::{KeyConfig, KeyPress};

/// The name of the keymap file in the config folder.
pub const FILE: &str = "keys.toml";

/// Why the keymap file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Toml {
        path: String,
        source: toml::de::Error,
    },
    #[error("{path}: unknown command {command:?} (the names are those in docs/configuration.md)")]
    UnknownCommand { path: String, command: String },
    #[error(
        "{path}: {command}: unknown key {key:?} (write e.g. \"x\", \"Ctrl-x\", \"Alt-Enter\", \"F2\")"
    )]
    UnknownKey {
        path: String,
        command: String,
        key: String,
    },
    #[error("{path}: {command}: no keys given")]
    NoKeys { path: String, command: String },
}

impl KeyConfig {
    /// The defaults with `keys.toml` from `dir` on top; no file means the defaults.
    pub fn load(dir: &Path) -> Result<Self, KeyFileError> {
        let path = dir.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_toml(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(KeyFileError::Read {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// The defaults with the overrides in `text` (from `path`, for the errors).
    pub fn from_toml(text: &str, path: &str) -> Result<Self, KeyFileError> {
        let table: BTreeMap<String, Vec<String>> =
            toml::from_str(text).map_err(|source| KeyFileError::Toml {
                path: path.to_owned(),
                source,
            })?;
        let mut keys = Self::default();
        for (command, written) in table {
            let parsed = written
                .iter()
                .map(|key| {
                    parse_key(key).ok_or_else(|| KeyFileError::UnknownKey {
                        path: path.to_owned(),
                        command: command.clone(),
                        key: key.clone(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if parsed.is_empty() {
                return Err(KeyFileError::NoKeys {
                    path: path.to_owned(),
                    command,
                });
            }
            let Some(slot) = keys.keys_mut(&command) else {
                return Err(KeyFileError::UnknownCommand {
                    path: path.to_owned(),
                    command,
                });
            };
            *slot = parsed;
        }
        Ok(keys)
    }
}

/// A key as [`KeyPress::label`] writes it: `x`, `Ctrl-x`, `Alt-Enter`, `Shift-Tab`,
/// `PgUp`, `F2`, `Space`.
pub fn parse_key(text: &str) -> Option<KeyPress> {
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        let (modifier, len) = if lower.starts_with("ctrl-") && rest.len() > 5 {
            (KeyModifiers::CONTROL, 5)
        } else if lower.starts_with("alt-") && rest.len() > 4 {
            (KeyModifiers::ALT, 4)
        } else if lower.starts_with("shift-") && rest.len() > 6 {
            (KeyModifiers::SHIFT, 6)
        } else {
            break;
        };
        modifiers |= modifier;
        rest = &rest[len..];
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some('↑'), None) => KeyCode::Up,
        (Some('↓'), None) => KeyCode::Down,
        (Some('←'), None) => KeyCode::Left,
        (Some('→'), None) => KeyCode::Right,
        (Some(c), None) => KeyCode::Char(c),
        _ => named_key(rest)?,
    };
    if code == KeyCode::Tab && modifiers.contains(KeyModifiers::SHIFT) {
        return Some(KeyPress::new(
            KeyCode::BackTab,
            modifiers - KeyModifiers::SHIFT,
        ));
    }
    Some(KeyPress::new(code, modifiers))
}

fn named_key(name: &str) -> Option<KeyCode> {
    use KeyCode::*;
    Some(match name.to_ascii_lowercase().as_str() {
        "enter" => Enter,
        "tab" => Tab,
        "esc" => Esc,
        "space" => Char(' '),
        "backspace" => Backspace,
        "up" => Up,
        "down" => Down,
        "left" => Left,
        "right" => Right,
        "pgup" | "pageup" => PageUp,
        "pgdn" | "pagedown" => PageDown,
        "home" => Home,
        "end" => End,
        "delete" => Delete,
        "insert" => Insert,
        f => F(f
            .strip_prefix('f')?
            .parse()
            .ok()
            .filter(|n| (1..=12).contains(n))?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_as_the_help_writes_them() {
        for key in [
            "x",
            "?",
            "Ctrl-g",
            "Alt-Enter",
            "Shift-Tab",
            "PgUp",
            "F2",
            "↑",
        ] {
            let parsed = parse_key(key).unwrap();
            assert_eq!(parsed.label(), key, "{key}");
        }
        assert_eq!(parse_key("Space"), Some(KeyPress::char(' ')));
        assert_eq!(parse_key("Ctrl-"), None);
        assert_eq!(parse_key("Hyper-x"), None);
        assert_eq!(parse_key("F13"), None);
    }

    #[test]
    fn a_file_replaces_only_the_commands_it_names() {
        let keys = KeyConfig::from_toml("hotlist = [\"Ctrl-g\"]\n", "keys.toml").unwrap();
        assert_eq!(keys.hotlist, vec![KeyPress::ctrl('g')]);
        assert_eq!(keys.quit, KeyConfig::default().quit);
    }

    #[test]
    fn every_command_can_be_named_in_the_file() {
        let mut keys = KeyConfig::default();
        let names = [
            "focus_next",
            "focus_prev",
            "move_down",
            "move_up",
            "take_selected",
            "take_next",
            "open_conversation",
            "send",
            "newline",
            "leave_input",
            "next_conversation",
            "prev_conversation",
            "jump_conversation",
            "end_conversation",
            "scroll_up",
            "scroll_down",
            "help",
            "quit",
            "close_popup",
            "confirm",
            "confirm_visitor",
            "cancel",
            "insert_canned",
            "search_canned",
            "accept",
            "toggle_dossier",
            "close_service",
            "open_service",
            "hotlist",
            "add_note",
            "transfer",
            "copy_id",
            "request_reveal",
            "block_visitor",
            "tag_name",
            "preview",
            "show_to_register",
            "toggle_topic",
            "show_reveals",
            "show_figures",
            "approve_reveal",
            "deny_reveal",
            "watch",
            "unwatch",
            "show_accounts",
            "new_account",
            "reset_password",
            "toggle_disabled",
            "show_blocks",
            "lift_block",
        ];
        for name in names {
            assert!(keys.keys_mut(name).is_some(), "{name}");
        }
        assert_eq!(names.len(), crate::keymap::Command::ALL.len());
    }

    #[test]
    fn bad_files_name_the_file_and_the_problem() {
        let err = |text: &str| {
            KeyConfig::from_toml(text, "/x/keys.toml")
                .unwrap_err()
                .to_string()
        };
        let e = err("hotlst = [\"a\"]");
        assert!(e.contains("/x/keys.toml") && e.contains("hotlst"), "{e}");
        let e = err("hotlist = [\"Hyper-a\"]");
        assert!(e.contains("Hyper-a") && e.contains("hotlist"), "{e}");
        let e = err("hotlist = []");
        assert!(e.contains("no keys"), "{e}");
        let e = err("hotlist = \"a\"");
        assert!(e.contains("/x/keys.toml"), "{e}");
    }
}
