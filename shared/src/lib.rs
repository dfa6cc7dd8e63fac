//! # chathulp wire protocol
//!
//! Every frame between the relay and its clients is one JSON object in a WebSocket text
//! message, tagged by its `"type"` field. This crate holds those types and does no IO, so
//! the relay, the terminal app and the tests all speak exactly the same protocol.
//! `docs/protocol.md` is the human-readable version; change both together.
//!
//! ## Layout
//!
//! - [`common`]: types both audiences share: intake, messages, statuses, errors, limits.
//! - [`visitor`]: the visitor page ⇄ relay messages (`/ws/visitor`).
//! - [`staff`]: the staff app ⇄ relay messages (`/ws/staff`).
//! - [`status`]: the JSON of `GET /api/status`.
//! - [`decode`]: turning a received text frame into a typed request, with a typed error.

pub mod common;
pub mod decode;
pub mod staff;
pub mod status;
pub mod visitor;

pub use common::*;
pub use decode::{Decode, decode};

/// The protocol version this build speaks. A client sends it in its first frame; the relay
/// refuses other versions with [`ErrorCode::UnsupportedVersion`].
pub const PROTOCOL_VERSION: u32 = 1;
