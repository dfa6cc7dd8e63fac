//! # chathulp, the terminal app for counselors
//!
//! Counselors (hulpverleners) take visitors from the queue (wachtrij) and run several
//! conversations (gesprekken) at once; supervisors and administrators see the same
//! screens read-only. The app follows the Elm architecture: every input becomes an
//! [`action::Action`], [`app::App::update`] is the only place state changes, and
//! [`ui::draw`] renders the state without changing it.
//!
//! # Layout
//!
//! - [`action`]: the `Action` enum: everything that can happen to the app.
//! - [`app`]: `App` state and `update(Action)`. Pure: network output is queued as
//!   [`net::NetCommand`]s that the event loop hands to the network worker.
//! - [`keymap`]: key bindings as data. One list builds the key dispatch, the footer and
//!   the help popup, so they never disagree.
//! - [`event`]: the one event loop: terminal keys, network events and a 1 s tick.
//! - [`net`]: the network worker, which owns the WebSocket, logs in and reconnects.
//! - [`paths`]: the data folder (`known_relays`, the log), with private permissions.
//! - [`tls`]: certificate trust: web roots, a pinned fingerprint, or trust on first use
//!   recorded in `known_relays`.
//! - [`sanitize`]: visitor-typed text made safe for the terminal.
//! - [`strings`]: every user-facing text.
//! - [`tui`]: entering and restoring the terminal (also on panic).
//! - [`ui`]: drawing the app.
//!
//! ## Adding a new action
//!
//! 1. Add a variant to [`action::Action`] and handle it in [`app::App::update`].
//! 2. If a key triggers it: add a [`keymap::Command`], a field to [`keymap::KeyConfig`]
//!    with its default keys, and one entry in [`keymap::KeyConfig::bindings`] saying
//!    where it applies and for whom (everyone, counselors, administrators); the footer
//!    and the help popup pick it up from there.
//! 3. Put its texts in [`strings`]. If it talks to the relay, queue a
//!    [`net::NetCommand`] from `update`.

pub mod action;
pub mod app;
pub mod config;
pub mod event;
pub mod keyfile;
pub mod keymap;
pub mod net;
pub mod paths;
pub mod sanitize;
pub mod strings;
pub mod tls;
pub mod tui;
pub mod ui;
