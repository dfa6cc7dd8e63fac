//! Making visitor-typed text safe to put on a terminal.
//!
//! A visitor controls their nickname and every message. Raw control characters in them
//! could clear the screen (`ESC[2J`), write the counselor's clipboard (OSC 52), start a C1
//! control sequence (U+009B), ring the bell, or reorder what the counselor reads (bidi
//! overrides). Every such character is replaced here by visible, harmless text, and
//! [`crate::app`] calls these functions where protocol data enters the state, so no view
//! code can forget it.

use std::fmt::Write as _;

/// How many spaces a tab becomes.
const TAB_SPACES: &str = "    ";

/// Cleans multi-line text (a chat message). Newlines stay (`\r\n` becomes `\n`); every
/// other control character becomes visible text.
pub fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\r' if chars.peek() == Some(&'\n') => {}
            _ => push_clean(&mut out, c),
        }
    }
    out
}

/// Cleans single-line text (a nickname, a service name, a relay error): like [`text`],
/// but a newline is shown as `^J` too, so the text stays on one line.
pub fn line(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        push_clean(&mut out, c);
    }
    out
}

fn push_clean(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str(TAB_SPACES),
        // C0 controls and DEL in caret notation: ESC → ^[, BEL → ^G, DEL → ^?.
        '\u{0}'..='\u{1f}' | '\u{7f}' => {
            out.push('^');
            out.push(char::from((c as u8) ^ 0x40));
        }
        c if is_hidden_control(c) => {
            let _ = write!(out, "<U+{:04X}>", u32::from(c));
        }
        c => out.push(c),
    }
}

/// C1 controls, and the bidi and line-separator marks the relay also refuses in
/// nicknames ([`chathulp_shared::is_bidi_or_separator`]).
fn is_hidden_control(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}') || chathulp_shared::is_bidi_or_separator(c)
}

/// Cleans text the counselor pastes into the input: keeps newlines, turns tabs into
/// spaces and drops other control characters (the counselor never meant to send them).
pub fn pasted(raw: &str) -> String {
    raw.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            '\n' => Some("\n".to_owned()),
            '\t' => Some(TAB_SPACES.to_owned()),
            c if c.is_control() || is_hidden_control(c) => None,
            c => Some(c.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_screen_escape_becomes_caret_notation() {
        assert_eq!(text("a\x1b[2Jb"), "a^[[2Jb");
        assert_eq!(text("\x1b[31mrood"), "^[[31mrood");
    }

    #[test]
    fn osc52_clipboard_write_is_defused() {
        let osc52 = "\x1b]52;c;ZWNobyBoaQ==\x07";
        let clean = text(osc52);
        assert_eq!(clean, "^[]52;c;ZWNobyBoaQ==^G");
        assert!(!clean.chars().any(char::is_control));
    }

    #[test]
    fn c1_csi_is_shown_as_code_point() {
        assert_eq!(text("x\u{9b}2Jy"), "x<U+009B>2Jy");
        assert_eq!(line("\u{85}"), "<U+0085>");
    }

    #[test]
    fn bidi_controls_are_shown_as_code_points() {
        assert_eq!(text("abc\u{202e}fed"), "abc<U+202E>fed");
        assert_eq!(
            line("\u{2066}\u{2067}\u{2068}\u{2069}\u{200e}\u{200f}\u{61c}\u{202a}"),
            "<U+2066><U+2067><U+2068><U+2069><U+200E><U+200F><U+061C><U+202A>"
        );
    }

    #[test]
    fn bell_del_and_nul_use_caret_notation() {
        assert_eq!(text("\x07\x7f\0"), "^G^?^@");
    }

    #[test]
    fn newlines_split_lines_in_text_but_not_in_line() {
        assert_eq!(text("een\r\ntwee\ndrie"), "een\ntwee\ndrie");
        assert_eq!(text("a\rb"), "a^Mb");
        assert_eq!(line("een\ntwee"), "een^Jtwee");
        assert_eq!(text("a\tb"), "a    b");
    }

    #[test]
    fn normal_dutch_and_emoji_text_passes_unchanged() {
        let s = "Hé, ik voel me überhaupt niet goed… café, één, naïef 😢👍🏽 👨‍👩‍👧 ‘quote’ — 100%";
        assert_eq!(text(s), s);
        assert_eq!(line(s), s);
    }

    #[test]
    fn pasted_text_keeps_newlines_and_drops_controls() {
        assert_eq!(pasted("a\r\nb\x1b[2J\tc\u{202e}"), "a\nb[2J    c");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// The dangerous pieces a hostile visitor would type, mixed with plain text.
        fn hostile_piece() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<char>().prop_map(String::from),
                // Every C0 control, DEL and every C1 control.
                prop_oneof![0u32..=0x1f, Just(0x7f), 0x80u32..=0x9f].prop_map(|u| char::from_u32(
                    u
                )
                .map(String::from)
                .unwrap_or_default()),
                // Bidi embeddings, overrides and isolates, marks and separators.
                prop::sample::select(vec![
                    '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}',
                    '\u{2067}', '\u{2068}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}',
                    '\u{2028}', '\u{2029}',
                ])
                .prop_map(String::from),
                // CSI, OSC 52 (clipboard), OSC 8 (hyperlink) and C1 CSI sequences.
                "[0-9;]{0,6}[A-Za-z]".prop_map(|p| format!("\x1b[{p}")),
                "[A-Za-z0-9+/=]{0,12}".prop_map(|p| format!("\x1b]52;c;{p}\x07")),
                "[a-z:/.]{0,12}".prop_map(|u| format!("\x1b]8;;{u}\x1b\\link\x1b]8;;\x1b\\")),
                "[0-9;]{0,4}[A-Za-z]".prop_map(|p| format!("\u{9b}{p}")),
                "[a-zA-Zé😢 ]{0,8}",
            ]
        }

        fn hostile_text() -> impl Strategy<Value = String> {
            prop::collection::vec(hostile_piece(), 0..24).prop_map(|v| v.concat())
        }

        /// Independent of [`is_hidden_control`], so a gap in it makes this fail.
        fn is_bidi_or_separator(c: char) -> bool {
            matches!(
                c,
                '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{200e}'
                    | '\u{200f}'
                    | '\u{061c}'
                    | '\u{2028}'
                    | '\u{2029}'
            )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn text_never_yields_a_control_other_than_newline_or_a_bidi_mark(raw in hostile_text()) {
                let clean = text(&raw);
                prop_assert!(
                    !clean.chars().any(|c| (c.is_control() && c != '\n') || is_bidi_or_separator(c)),
                    "{clean:?}"
                );
            }

            #[test]
            fn line_never_yields_any_control_or_bidi_mark(raw in hostile_text()) {
                let clean = line(&raw);
                prop_assert!(
                    !clean.chars().any(|c| c.is_control() || is_bidi_or_separator(c)),
                    "{clean:?}"
                );
            }

            #[test]
            fn pasted_never_yields_a_control_other_than_newline_or_a_bidi_mark(raw in hostile_text()) {
                let clean = pasted(&raw);
                prop_assert!(
                    !clean.chars().any(|c| (c.is_control() && c != '\n') || is_bidi_or_separator(c)),
                    "{clean:?}"
                );
            }
        }
    }
}
