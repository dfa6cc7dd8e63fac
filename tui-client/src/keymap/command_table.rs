//! The form of the command table in [`super::table`]: a macro that writes one entry per
//! command out into the types and the lookups of the keymap, so that a command is written
//! once.

/// Writes the command table (`keymap/table.rs`) out: the [`Command`] enum, [`KeyConfig`]
/// with one field per command (named as in `keys.toml`) and its defaults, the action of
/// each command, and the rows of [`KeyConfig::bindings`]. Each entry of the table is
///
/// ```text
/// /// What the field is for (optional).
/// name_in_keys_toml => CommandVariant, keys <default keys>,
///     action <the Action>;                      (or: by_key <fn(&KeyPress) -> Action>;)
///     (`action <the Action>, changes visitor;` marks a command that changes something
///     for a visitor: whatever key runs it, it asks a question that names the visitor
///     before anything goes to the relay; see [`Command::changes_for_visitor`])
///     | in [<Scope>, ...] for <Who>: help <strings::keys const>, footer <const>;
///     (one `| in` row or more; `footer` is optional: without it, the footer leaves it out)
/// ```
///
/// The order of the `in` rows is the order of the help popup and the footer's preference.
macro_rules! command_table {
    (@footer) => {
        None
    };
    (@footer $footer:ident) => {
        Some(crate::strings::keys::$footer)
    };
    (@action $key:ident, $by_key:ident,) => {
        $by_key($key)
    };
    (@action $key:ident, , $action:expr) => {
        $action
    };
    (@changes) => {
        false
    };
    (@changes visitor) => {
        true
    };
    ($(
        $(#[$meta:meta])*
        $name:ident => $command:ident, keys $keys:expr,
            $(by_key $by_key:ident)? $(action $action:expr)? $(, changes $changes:ident)?;
        $(
            | in [$($scope:ident),+ $(,)?] for $who:ident:
                help $help:ident $(, footer $footer:ident)?;
        )+
    )*) => {
        /// Everything a key can ask for: one variant per entry of the command table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Command {
            $($command,)*
        }

        impl Command {
            /// Every command, in the order of the table.
            pub const ALL: &[Command] = &[$(Command::$command,)*];

            /// The command's name in `keys.toml` (and in docs/configuration.md).
            pub fn name(self) -> &'static str {
                match self {
                    $(Command::$command => stringify!($name),)*
                }
            }

            /// Whether the command changes something for a visitor (ends, blocks,
            /// reveals, transfers, marks a dossier). Such a command never acts on one key:
            /// `update` asks a question that names the visitor and the change first, and
            /// only its "yes" sends the request, whichever key (default or `keys.toml`)
            /// started it.
            pub fn changes_for_visitor(self) -> bool {
                match self {
                    $(Command::$command => command_table!(@changes $($changes)?),)*
                }
            }

            /// What the command does when `key` (one of its keys) is pressed.
            pub fn action(self, key: &KeyPress) -> Action {
                match self {
                    $(Command::$command => command_table!(@action key, $($by_key)?, $($action)?),)*
                }
            }
        }

        /// The keys of every command: one field per command, named as in `keys.toml`. The
        /// user's file replaces the keys of the commands it names
        /// ([`KeyConfig::from_toml`]).
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct KeyConfig {
            $(
                $(#[$meta])*
                pub $name: Vec<KeyPress>,
            )*
        }

        impl Default for KeyConfig {
            fn default() -> Self {
                Self {
                    $($name: $keys,)*
                }
            }
        }

        impl KeyConfig {
            /// The keys of `command`.
            pub fn keys(&self, command: Command) -> &[KeyPress] {
                match command {
                    $(Command::$command => &self.$name,)*
                }
            }

            /// The keys of the command named `name` in `keys.toml`.
            pub(crate) fn keys_mut(&mut self, name: &str) -> Option<&mut Vec<KeyPress>> {
                Some(match name {
                    $(stringify!($name) => &mut self.$name,)*
                    _ => return None,
                })
            }

            /// The one list of bindings, in the order the help popup shows them and the
            /// footer prefers them.
            pub fn bindings(&self) -> Vec<Binding<'_>> {
                vec![$($(
                    Binding {
                        command: Command::$command,
                        keys: &self.$name,
                        scopes: &[$(Scope::$scope),+],
                        help: crate::strings::keys::$help,
                        footer: command_table!(@footer $($footer)?),
                        who: Who::$who,
                    },
                )+)*]
            }
        }
    };
}
