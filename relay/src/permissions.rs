//! Which role may send which staff request, checked before any request is handled.
//!
//! The issue: "The relay refuses every write from a supervisor session ... This is not
//! only a matter of the app not offering the keys." Supervisors only read: they watch
//! conversations and page through scrollback. Administrators run the relay (services,
//! reveals, blocks, accounts) and watch, but never chat: writing in a conversation is
//! the counselor's alone, so a conversation never has two voices on the staff side.

use chathulp_shared::staff::StaffRequest;
use chathulp_shared::{ErrorCode, ErrorReply, Role};

/// Refuses `request` with `forbidden` unless `role` may send it.
pub fn check(role: Role, request: &StaffRequest) -> Result<(), ErrorReply> {
    use StaffRequest as R;
    let allowed: &[Role] = match request {
        R::Login { .. } | R::Session { .. } | R::Logout | R::History { .. } => {
            &[Role::Counselor, Role::Supervisor, Role::Admin]
        }
        R::Watch { .. } | R::Unwatch { .. } => &[Role::Supervisor, Role::Admin],
        R::Take { .. }
        | R::Send { .. }
        | R::Typing { .. }
        | R::End { .. }
        | R::MarkDossier { .. }
        | R::RequestReveal { .. }
        | R::Block { .. }
        | R::Transfer { .. }
        | R::Note { .. }
        | R::WrapUp { .. }
        | R::TagName { .. }
        | R::AnonymisedPreview { .. } => &[Role::Counselor],
        R::CloseService { .. }
        | R::OpenService { .. }
        | R::DecideReveal { .. }
        | R::ListBlocks
        | R::LiftBlock { .. }
        | R::ListAccounts
        | R::CreateAccount { .. }
        | R::ResetPassword { .. }
        | R::SetAccountDisabled { .. } => &[Role::Admin],
    };
    if allowed.contains(&role) {
        Ok(())
    } else {
        Err(ErrorReply::new(
            ErrorCode::Forbidden,
            format!("a {} account may not do this", role.as_str()),
        ))
    }
}
