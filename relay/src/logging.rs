//! What may reach the log. Our own code never logs an address, a nickname or message text
//! (the address only exists as a [`crate::vault::ClientIp`], which prints a placeholder).
//! Libraries are another matter: at debug and trace level the WebSocket library prints
//! every frame whole, chat text and an approved reveal's address included. So only the
//! chathulp crates may log below `info`; every other crate is capped at `info`, whatever
//! `RUST_LOG` asks for.

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{FilterFn, filter_fn};

/// A global filter layer to add to every subscriber that serves the relay.
pub fn confidential() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    filter_fn(allowed as fn(&Metadata<'_>) -> bool)
}

fn allowed(meta: &Metadata<'_>) -> bool {
    *meta.level() <= Level::INFO || meta.target().starts_with("chathulp")
}
