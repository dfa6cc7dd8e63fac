//! What passes between the app and the network worker ([`crate::net`]): the commands
//! the app queues and the events the worker sends back. The worker's own types live in
//! `net`; these sit below both the worker and [`crate::action`], so that an action can
//! carry a network event without the actions depending on the worker.

use chathulp_shared::Role;
use chathulp_shared::staff::{StaffEvent, StaffRequest, StaffSettings};

/// What the UI asks the worker to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetCommand {
    /// Send this request to the relay.
    Request(StaffRequest),
    /// Close the connection and stop.
    Close,
}

/// The account the relay signed us in as (the fields of `login_ok`, minus the session
/// token, which only the worker needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginInfo {
    pub protocol: u32,
    pub user: String,
    pub role: Role,
    pub capacity: u32,
    /// The guidance times and canned responses from the relay's config.
    pub settings: StaffSettings,
}

/// What the worker tells the UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetEvent {
    /// Signed in (first time or after a reconnect).
    Connected(LoginInfo),
    /// A frame from the relay (boxed: some frames are large, and actions stay small).
    Staff(Box<StaffEvent>),
    /// The connection dropped; `retrying` says whether the worker tries again.
    Disconnected { reason: String, retrying: bool },
    /// The relay refused our credentials or session; the app cannot continue.
    LoginFailed(String),
}
