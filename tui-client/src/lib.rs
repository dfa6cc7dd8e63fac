//! # chathulp, the terminal app for counselors
//!
//! Counselors (hulpverleners) take visitors from the queue (wachtrij) and run several
//! conversations (gesprekken) at once; supervisors and administrators see the same
//! screens read-only. The app follows the Elm architecture: every input becomes an
//! [`action::Action`], [`app::App::update`] is the only place state changes, and
//! [`ui::draw`] renders the state without changing it.
//!
//! # Where to start reading
//!
//! `main.rs` starts the network worker and hands over to [`event::run`], the one loop.
//! From there: a key goes through [`keymap::action_for`] to an [`action::Action`], which
//! [`app::App::update`] applies; then [`ui::draw`] draws the new state.
//!
//! # Layout
//!
//! From the top down; a module imports only modules below it (docs/architecture.md
//! has the picture).
//!
//! - [`event`]: the one event loop: terminal keys, network events and a 1 s tick.
//! - [`ui`]: drawing the app, one module per part of the screen (`ui/queue.rs`,
//!   `ui/conversation.rs`, `ui/popup.rs`, …).
//! - [`app`]: `App` and `update(Action)`, split by area (`app/desk.rs` for the panes,
//!   `app/popups.rs`, `app/chat.rs`, `app/connection.rs`, `app/events.rs` for the
//!   relay's events, `app/workbench.rs`, `app/admin.rs`, `app/notify.rs`). Pure: network
//!   output is queued as [`link::NetCommand`]s that the event loop hands to the worker.
//! - [`keyfile`]: the user's `keys.toml` on top of the default keys.
//! - [`layout`]: where things go on the screen, as a function of the state; the renderer
//!   draws into it and `update` asks it how far the scrollback scrolls.
//! - [`keymap`]: key bindings as data ([`keymap`]'s `table.rs`, the one command table)
//!   and the lookup from a key to an action. The footer and the help popup are built from
//!   the same table, so they never disagree.
//! - [`net`]: the network worker, which owns the WebSocket, logs in and reconnects.
//! - [`tls`]: certificate trust: web roots, a pinned fingerprint, or trust on first use
//!   recorded in `known_relays`.
//! - [`action`]: the `Action` enum: everything that can happen to the app.
//! - [`strings`]: every user-facing text. [`theme`]: the styles. [`text`]: wrapping,
//!   cutting and times.
//! - [`model`]: the state's plain types (`Conversation`, `Popup`, `Focus`, …).
//! - [`link`]: what passes between the app and the network worker.
//! - [`sanitize`]: visitor-typed text made safe for the terminal.
//! - [`config`], [`paths`]: `config.toml` and the data folder (`known_relays`, the log).
//! - [`tui`]: entering and restoring the terminal (also on panic).
//!
//! ## Adding a new action or key
//!
//! 1. Add a variant to [`action::Action`] and handle it in [`app::App::update`] (in the
//!    `app/` module of its area).
//! 2. If a key triggers it: add one entry to the command table in `keymap/table.rs`: its
//!    name in `keys.toml`, its default keys, the action, and where it applies, for whom
//!    (everyone, counselors, administrators, watchers) with its help and footer text. The
//!    [`keymap::Command`], the [`keymap::KeyConfig`] field, the `keys.toml` name, the
//!    dispatch, the footer and the help popup all come from that entry. Add the name to
//!    the list in docs/configuration.md.
//!
//! Its texts go in [`strings`]. If it talks to the relay, queue a [`link::NetCommand`]
//! from `update`.

pub mod action;
pub mod app;
pub mod config;
pub mod event;
pub mod keyfile;
pub mod keymap;
pub mod layout;
pub mod link;
pub mod model;
pub mod net;
pub mod paths;
pub mod sanitize;
pub mod strings;
pub mod text;
pub mod theme;
pub mod tls;
pub mod tui;
pub mod ui;
