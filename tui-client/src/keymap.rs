//! Key bindings as data, and the lookup that turns a key into an action.
//!
//! The data is one command table, [`table`]: per command its name in `keys.toml`, its
//! default keys, its action, and where it applies ([`Scope`]s), for whom ([`Who`]) and
//! how the help popup and the footer describe it. [`KeyConfig::bindings`] is that table
//! with the keys in use; [`action_for`] dispatches from it, and the footer and the help
//! popup are drawn from it, so they can never disagree. A key an account may not use is
//! neither dispatched nor shown to it.
//!
//! The user's `keys.toml` replaces the keys of the commands it names on top of
//! [`KeyConfig::default`] (see [`crate::keyfile`]); the footer and the help follow.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

use crate::action::Action;
use crate::model::Focus;
use crate::strings;

#[macro_use]
mod command_table;
mod key;
mod scope;
mod table;

pub use key::KeyPress;
pub use scope::{KeyContext, PopupKind, Scope, Who};
pub use table::{Binding, Command, KeyConfig};

impl KeyConfig {
    /// The bindings an account may use: without the writing ones for read-only roles,
    /// and with the service keys only for administrators.
    pub fn bindings_for(&self, read_only: bool, admin: bool) -> Vec<Binding<'_>> {
        self.bindings()
            .into_iter()
            .filter(|b| b.is_for(read_only, admin))
            .collect()
    }

    /// The help popup's rows: every key that works for this account, then the legend of
    /// the marks in the lists. Key (or mark) and what it does. The app scrolls through
    /// them; the renderer draws them.
    pub fn help_rows(&self, read_only: bool, admin: bool) -> Vec<(String, &'static str)> {
        let mut rows: Vec<(String, &'static str)> = self
            .bindings_for(read_only, admin)
            .iter()
            .map(|b| (key_text(b, &help_keys(b)), b.help))
            .collect();
        rows.push((String::new(), ""));
        rows.push((String::new(), strings::LEGEND_TITLE));
        rows.extend(
            strings::LEGEND
                .iter()
                .map(|(mark, meaning)| ((*mark).to_owned(), *meaning)),
        );
        rows
    }

    /// What the footer shows now: `(key, label)` pairs, most important first, with the
    /// first key that works here.
    pub fn footer(&self, ctx: &KeyContext) -> Vec<(String, &'static str)> {
        self.hints(ctx, false)
    }

    /// Like [`Self::footer`]; with `all_keys`, every key that works here is listed.
    pub fn hints(&self, ctx: &KeyContext, all_keys: bool) -> Vec<(String, &'static str)> {
        self.bindings_for(ctx.read_only, ctx.admin)
            .into_iter()
            .filter(|b| applies(b, ctx))
            .filter_map(|b| {
                let label = b.footer?;
                let mut keys: Vec<KeyPress> = b
                    .keys
                    .iter()
                    .filter(|k| key_allowed(k, &b, ctx))
                    .copied()
                    .collect();
                if !all_keys {
                    keys.truncate(1);
                }
                (!keys.is_empty()).then(|| (key_text(&b, &keys), label))
            })
            .collect()
    }
}

/// How a binding's keys are written: alternatives joined by `/`, and modifier + 1..9
/// for the jump command.
pub fn key_text(binding: &Binding<'_>, keys: &[KeyPress]) -> String {
    if binding.command == Command::JumpConversation
        && let Some(first) = binding.keys.first()
    {
        let prefix = KeyPress::new(KeyCode::Char('1'), first.modifiers).label();
        return format!("{}..9", prefix);
    }
    keys.iter()
        .map(KeyPress::label)
        .collect::<Vec<_>>()
        .join("/")
}

/// The keys the help shows for a binding: a plain character only if it works in one of
/// its places (not where letters are text, as in the wrap-up form's notes).
fn help_keys(binding: &Binding<'_>) -> Vec<KeyPress> {
    let letters_work = binding.command == Command::SearchCanned
        || binding.scopes.iter().any(|s| {
            !matches!(
                s,
                Scope::Input | Scope::ReasonPopup | Scope::WrapUpPopup | Scope::CannedPopup
            )
        });
    binding
        .keys
        .iter()
        .filter(|k| letters_work || !k.is_text())
        .copied()
        .collect()
}

fn applies(binding: &Binding<'_>, ctx: &KeyContext) -> bool {
    binding.scopes.iter().any(|s| scope_applies(*s, ctx))
}

fn scope_applies(scope: Scope, ctx: &KeyContext) -> bool {
    match (ctx.popup, scope) {
        (Some(PopupKind::Help), s) => s == Scope::HelpPopup,
        (Some(PopupKind::Confirm), s) => s == Scope::ConfirmPopup,
        (Some(PopupKind::ConfirmVisitor), s) => s == Scope::ConfirmVisitorPopup,
        (Some(PopupKind::Canned { .. }), s) => s == Scope::CannedPopup,
        (Some(PopupKind::Reason), s) => s == Scope::ReasonPopup,
        (Some(PopupKind::Pick), s) => s == Scope::PickPopup,
        (Some(PopupKind::WrapUp), s) => s == Scope::WrapUpPopup,
        (Some(PopupKind::Reveals), s) => s == Scope::RevealsPopup,
        (Some(PopupKind::Accounts), s) => s == Scope::AccountsPopup,
        (Some(PopupKind::Blocks), s) => s == Scope::BlocksPopup,
        (Some(PopupKind::Secret), s) => s == Scope::SecretPopup,
        (Some(PopupKind::Figures), s) => s == Scope::FiguresPopup,
        (None, Scope::Global) => true,
        (None, Scope::Lists) => matches!(ctx.focus, Focus::Queue | Focus::Conversations),
        (None, Scope::Queue) => ctx.focus == Focus::Queue,
        (None, Scope::Conversations) => ctx.focus == Focus::Conversations,
        (None, Scope::Input) => ctx.focus == Focus::Input,
        (
            None,
            Scope::HelpPopup
            | Scope::ConfirmPopup
            | Scope::ConfirmVisitorPopup
            | Scope::CannedPopup
            | Scope::ReasonPopup
            | Scope::PickPopup
            | Scope::WrapUpPopup
            | Scope::RevealsPopup
            | Scope::AccountsPopup
            | Scope::BlocksPopup
            | Scope::SecretPopup
            | Scope::FiguresPopup,
        ) => false,
    }
}

/// Whether plain characters are text here: in the input, and in popups that take text.
fn takes_text(ctx: &KeyContext) -> bool {
    match ctx.popup {
        None => ctx.focus == Focus::Input,
        Some(kind) => kind.takes_text(),
    }
}

/// Plain characters are text while something takes text; only `?` on an empty input
/// still opens help, and the search key still starts a search in the canned list.
fn key_allowed(key: &KeyPress, binding: &Binding<'_>, ctx: &KeyContext) -> bool {
    if !takes_text(ctx) || !key.is_text() {
        return true;
    }
    match binding.command {
        Command::Help => ctx.popup.is_none() && ctx.input_empty,
        Command::SearchCanned => ctx.popup == Some(PopupKind::Canned { searching: false }),
        _ => false,
    }
}

/// Turns a terminal key into an action, or `None` if it means nothing here.
pub fn action_for(keys: &KeyConfig, ctx: &KeyContext, event: KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    for binding in keys.bindings_for(ctx.read_only, ctx.admin) {
        if !applies(&binding, ctx) {
            continue;
        }
        let Some(key) = binding.keys.iter().find(|k| k.matches(&event)) else {
            continue;
        };
        if !key_allowed(key, &binding, ctx) {
            continue;
        }
        return Some(binding.command.action(key));
    }
    // Ctrl-c (or whatever quits) always gets out, even from a popup.
    if ctx.popup.is_some()
        && let Some(key) = keys.quit.iter().find(|k| k.matches(&event))
        && !key.is_text()
    {
        return Some(Action::Quit);
    }
    // A question is answered by the next key: anything but "yes" means "no", so that
    // text typed at speed into a question never answers it later on.
    if matches!(
        ctx.popup,
        Some(PopupKind::Confirm | PopupKind::ConfirmVisitor)
    ) {
        return Some(Action::Cancel);
    }
    // The rest is text: for the input, a search, a reason, or the key of a canned
    // response (`update` decides which).
    let text_goes_somewhere = match ctx.popup {
        None => ctx.focus == Focus::Input && !ctx.read_only,
        Some(kind) => kind.takes_text(),
    };
    text_goes_somewhere.then(|| Action::Input(event.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn ev(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    fn ctx(focus: Focus) -> KeyContext {
        KeyContext {
            popup: None,
            focus,
            input_empty: true,
            read_only: false,
            admin: false,
        }
    }

    fn act(c: &KeyContext, code: KeyCode, m: KeyModifiers) -> Option<Action> {
        action_for(&KeyConfig::default(), c, ev(code, m))
    }

    #[test]
    fn vim_keys_and_arrows_both_move() {
        let c = ctx(Focus::Queue);
        for (code, want) in [
            (KeyCode::Char('j'), Action::MoveDown),
            (KeyCode::Down, Action::MoveDown),
            (KeyCode::Char('k'), Action::MoveUp),
            (KeyCode::Up, Action::MoveUp),
        ] {
            assert_eq!(act(&c, code, KeyModifiers::NONE), Some(want));
        }
    }

    #[test]
    fn enter_means_take_open_or_send_by_focus() {
        let enter = |f| act(&ctx(f), KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(enter(Focus::Queue), Some(Action::TakeSelected));
        assert_eq!(enter(Focus::Conversations), Some(Action::OpenSelected));
        assert_eq!(enter(Focus::Input), Some(Action::Send));
        assert_eq!(
            act(&ctx(Focus::Input), KeyCode::Enter, KeyModifiers::ALT),
            Some(Action::Newline)
        );
    }

    #[test]
    fn plain_letters_are_text_in_the_input_but_chords_still_work() {
        let mut c = ctx(Focus::Input);
        c.input_empty = false;
        assert!(matches!(
            act(&c, KeyCode::Char('q'), KeyModifiers::NONE),
            Some(Action::Input(_))
        ));
        assert!(matches!(
            act(&c, KeyCode::Char('e'), KeyModifiers::NONE),
            Some(Action::Input(_))
        ));
        assert!(matches!(
            act(&c, KeyCode::Char('?'), KeyModifiers::SHIFT),
            Some(Action::Input(_))
        ));
        assert_eq!(
            act(&c, KeyCode::Char('e'), KeyModifiers::CONTROL),
            Some(Action::EndConversation)
        );
        assert_eq!(
            act(&c, KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
        assert_eq!(
            act(&c, KeyCode::Char('3'), KeyModifiers::ALT),
            Some(Action::JumpConversation(3))
        );
        c.input_empty = true;
        assert_eq!(
            act(&c, KeyCode::Char('?'), KeyModifiers::SHIFT),
            Some(Action::ShowHelp)
        );
    }

    #[test]
    fn popups_take_their_own_keys_only() {
        let mut c = ctx(Focus::Queue);
        c.popup = Some(PopupKind::Help);
        assert_eq!(
            act(&c, KeyCode::Esc, KeyModifiers::NONE),
            Some(Action::ClosePopup)
        );
        assert_eq!(act(&c, KeyCode::Char('t'), KeyModifiers::NONE), None);
        c.popup = Some(PopupKind::Confirm);
        assert_eq!(
            act(&c, KeyCode::Char('y'), KeyModifiers::NONE),
            Some(Action::Confirm)
        );
        assert_eq!(
            act(&c, KeyCode::Char('j'), KeyModifiers::NONE),
            Some(Action::Confirm)
        );
        assert_eq!(
            act(&c, KeyCode::Esc, KeyModifiers::NONE),
            Some(Action::Cancel)
        );
        // A question takes one key: any other is "no".
        assert_eq!(
            act(&c, KeyCode::Char('q'), KeyModifiers::NONE),
            Some(Action::Cancel)
        );
        assert_eq!(
            act(&c, KeyCode::Enter, KeyModifiers::NONE),
            Some(Action::Cancel)
        );
        assert_eq!(
            act(&c, KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
    }

    #[test]
    fn read_only_accounts_get_no_take_or_end_keys() {
        let mut c = ctx(Focus::Queue);
        c.read_only = true;
        // Enter on the dashboard watches (read-only); it never takes.
        assert_eq!(
            act(&c, KeyCode::Enter, KeyModifiers::NONE),
            Some(Action::Watch)
        );
        assert_eq!(act(&c, KeyCode::Char('t'), KeyModifiers::NONE), None);
        assert_eq!(act(&c, KeyCode::Char('e'), KeyModifiers::NONE), None);
        let footer = KeyConfig::default().footer(&c);
        assert!(
            footer.iter().all(|(k, label)| k != "t"
                && k != "e"
                && *label != strings::keys::TAKE_SELECTED_SHORT),
            "{footer:?}"
        );
    }

    #[test]
    fn footer_shows_the_key_that_works_in_the_focused_pane() {
        let keys = KeyConfig::default();
        let input = keys.footer(&ctx(Focus::Input));
        assert!(
            input.contains(&("Ctrl-e".into(), strings::keys::END_SHORT)),
            "{input:?}"
        );
        assert!(
            input.contains(&("Ctrl-c".into(), strings::keys::QUIT_SHORT)),
            "{input:?}"
        );
        let queue = keys.footer(&ctx(Focus::Queue));
        assert!(
            queue.contains(&("e".into(), strings::keys::END_SHORT)),
            "{queue:?}"
        );
        assert!(
            queue.contains(&("q".into(), strings::keys::QUIT_SHORT)),
            "{queue:?}"
        );
    }

    #[test]
    fn canned_popup_keys_are_canned_keys_except_the_search_key_and_chords() {
        let mut c = ctx(Focus::Input);
        c.popup = Some(PopupKind::Canned { searching: false });
        let text = |r: Option<Action>| matches!(r, Some(Action::Input(_)));
        assert!(text(act(&c, KeyCode::Char('w'), KeyModifiers::NONE)));
        // j, q and ? could be canned keys: they are not bindings here.
        assert!(text(act(&c, KeyCode::Char('j'), KeyModifiers::NONE)));
        assert!(text(act(&c, KeyCode::Char('q'), KeyModifiers::NONE)));
        assert!(text(act(&c, KeyCode::Char('?'), KeyModifiers::SHIFT)));
        assert_eq!(
            act(&c, KeyCode::Char('/'), KeyModifiers::NONE),
            Some(Action::SearchCanned)
        );
        assert_eq!(
            act(&c, KeyCode::Down, KeyModifiers::NONE),
            Some(Action::MoveDown)
        );
        assert_eq!(
            act(&c, KeyCode::Enter, KeyModifiers::NONE),
            Some(Action::Accept)
        );
        assert_eq!(
            act(&c, KeyCode::Esc, KeyModifiers::NONE),
            Some(Action::ClosePopup)
        );
        assert_eq!(
            act(&c, KeyCode::Char('c'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
        // While searching, `/` is part of the search.
        c.popup = Some(PopupKind::Canned { searching: true });
        assert!(text(act(&c, KeyCode::Char('/'), KeyModifiers::NONE)));
        assert!(text(act(&c, KeyCode::Backspace, KeyModifiers::NONE)));
        // Ctrl-t opens it from the input, and only there.
        let input = ctx(Focus::Input);
        assert_eq!(
            act(&input, KeyCode::Char('t'), KeyModifiers::CONTROL),
            Some(Action::OpenCanned)
        );
        assert_eq!(
            act(
                &ctx(Focus::Queue),
                KeyCode::Char('t'),
                KeyModifiers::CONTROL
            ),
            None
        );
    }

    #[test]
    fn service_keys_are_for_administrators_only() {
        let counselor = ctx(Focus::Queue);
        assert_eq!(
            act(&counselor, KeyCode::Char('s'), KeyModifiers::NONE),
            None
        );
        assert_eq!(
            act(&counselor, KeyCode::Char('o'), KeyModifiers::NONE),
            None
        );
        let mut admin = ctx(Focus::Queue);
        admin.read_only = true;
        admin.admin = true;
        assert_eq!(
            act(&admin, KeyCode::Char('s'), KeyModifiers::NONE),
            Some(Action::CloseService)
        );
        assert_eq!(
            act(&admin, KeyCode::Char('o'), KeyModifiers::NONE),
            Some(Action::OpenService)
        );
        // Not from the conversation list, and admins still can't take or mark.
        admin.focus = Focus::Conversations;
        assert_eq!(act(&admin, KeyCode::Char('s'), KeyModifiers::NONE), None);
        assert_eq!(act(&admin, KeyCode::Char('d'), KeyModifiers::NONE), None);
        let footer = KeyConfig::default().footer(&KeyContext {
            focus: Focus::Queue,
            ..admin
        });
        assert!(
            footer.contains(&("s".into(), strings::keys::CLOSE_SERVICE_SHORT)),
            "{footer:?}"
        );
        assert!(
            KeyConfig::default()
                .footer(&counselor)
                .iter()
                .all(|(_, l)| *l != strings::keys::CLOSE_SERVICE_SHORT)
        );

        // Typing the reason: every letter is text; Enter goes on, Esc cancels.
        admin.popup = Some(PopupKind::Reason);
        assert!(matches!(
            act(&admin, KeyCode::Char('q'), KeyModifiers::NONE),
            Some(Action::Input(_))
        ));
        assert_eq!(
            act(&admin, KeyCode::Enter, KeyModifiers::NONE),
            Some(Action::Accept)
        );
        assert_eq!(
            act(&admin, KeyCode::Esc, KeyModifiers::NONE),
            Some(Action::ClosePopup)
        );
    }

    #[test]
    fn dossier_key_is_a_chord_in_the_input_and_plain_elsewhere() {
        let mut c = ctx(Focus::Input);
        c.input_empty = false;
        assert!(matches!(
            act(&c, KeyCode::Char('d'), KeyModifiers::NONE),
            Some(Action::Input(_))
        ));
        assert_eq!(
            act(&c, KeyCode::Char('d'), KeyModifiers::CONTROL),
            Some(Action::ToggleDossier)
        );
        assert_eq!(
            act(
                &ctx(Focus::Conversations),
                KeyCode::Char('d'),
                KeyModifiers::NONE
            ),
            Some(Action::ToggleDossier)
        );
    }

    #[test]
    fn no_two_bindings_share_a_key_in_the_same_place() {
        use crate::app::Focus::*;
        let keys = KeyConfig::default();
        let popups = [
            None,
            Some(PopupKind::Help),
            Some(PopupKind::Confirm),
            Some(PopupKind::Canned { searching: false }),
            Some(PopupKind::Canned { searching: true }),
            Some(PopupKind::Reason),
            Some(PopupKind::Pick),
            Some(PopupKind::WrapUp),
            Some(PopupKind::Reveals),
            Some(PopupKind::Accounts),
            Some(PopupKind::Blocks),
            Some(PopupKind::Secret),
            Some(PopupKind::Figures),
        ];
        for popup in popups {
            for focus in [Queue, Conversations, Input] {
                for (read_only, admin) in [(false, false), (true, false), (true, true)] {
                    let c = KeyContext {
                        popup,
                        focus,
                        input_empty: false,
                        read_only,
                        admin,
                    };
                    let mut seen: Vec<(KeyPress, Command)> = Vec::new();
                    for b in keys.bindings_for(read_only, admin) {
                        if !applies(&b, &c) {
                            continue;
                        }
                        for k in b.keys.iter().filter(|k| key_allowed(k, &b, &c)) {
                            // Enter is take, open or send by pane; those never overlap.
                            if let Some((_, other)) = seen.iter().find(|(s, _)| s == k) {
                                panic!("{k:?} is {other:?} and {:?} in {c:?}", b.command);
                            }
                            seen.push((*k, b.command));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_command_has_a_binding_and_jump_is_written_compactly() {
        let keys = KeyConfig::default();
        let list = keys.bindings();
        assert_eq!(list.len(), 52);
        let jump = list
            .iter()
            .find(|b| b.command == Command::JumpConversation)
            .unwrap();
        assert_eq!(key_text(jump, jump.keys), "Alt-1..9");
    }
}
