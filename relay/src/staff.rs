//! One staff WebSocket session: sign in, then take, send, type and end, and the
//! workbench's transfers, notes, wrap-ups, watching and account administration.
//! What each role may send is checked first, in [`crate::permissions`].
//!
//! The first frame must be `login` or `session` within the first-frame deadline. The
//! relay accepts no cookies here, so a page on another site has nothing to hijack.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use chathulp_shared::staff::{StaffEvent, StaffRequest};
use chathulp_shared::{
    ConversationId, ErrorCode, ErrorReply, PROTOCOL_VERSION, check_client_id, close, decode,
};

use crate::accounts::{Credentials, SignInError, token_digest};
use crate::broker::{Broker, Outbox, StaffConnId, StaffMember};
use crate::limits::PeerKey;
use crate::socket::{
    self, Frames, Handled, Pending, check_protocol, close_after_read_error, close_with, send_json,
};
use crate::state::AppState;

pub async fn serve(mut socket: WebSocket, app: AppState, network: PeerKey) {
    let limits = app.broker.config().limits.clone();
    let deadline = Duration::from_secs(limits.first_frame_deadline_secs);
    let first = tokio::select! {
        () = app.shutdown.cancelled() => None,
        frame = tokio::time::timeout(deadline, socket.recv()) => Some(frame),
    };
    let (member, token) = match first {
        None => {
            close_with(&mut socket, close::GOING_AWAY, "relay shutting down").await;
            return;
        }
        Some(Err(_elapsed)) => {
            let e = ErrorReply::new(ErrorCode::HelloRequired, "sign in first");
            let _ = send_json(&mut socket, &StaffEvent::Error(e)).await;
            close_with(&mut socket, close::POLICY, "no login in time").await;
            return;
        }
        Some(Ok(None | Some(Ok(Message::Close(_))))) => return,
        Some(Ok(Some(Err(e)))) => {
            close_after_read_error(&mut socket, e).await;
            return;
        }
        Some(Ok(Some(Ok(frame)))) => match sign_in(&app, &network, frame).await {
            Ok(signed_in) => signed_in,
            Err(e) => {
                let e = crate::metrics::refused(e);
                let _ = send_json(&mut socket, &StaffEvent::Error(e)).await;
                close_with(&mut socket, close::POLICY, "not signed in").await;
                return;
            }
        },
    };
    let digest = token_digest(&token);
    // Register before saying `login_ok`, so that once the app shows "verbonden" the
    // counselor really counts as signed in. The queue and conversation events wait in
    // the outbox until the loop below, after `login_ok`.
    let (outbox, mut events) = Outbox::new(limits.send_queue_frames);
    let kick = outbox.kick.clone();
    let conn = app.broker.staff_join(member.clone(), outbox.clone()).await;
    let ok = StaffEvent::LoginOk {
        protocol: PROTOCOL_VERSION,
        user: member.user.clone(),
        role: member.role,
        token,
        capacity: limits.counselor_capacity,
        settings: app.broker.staff_settings(),
    };
    if send_json(&mut socket, &ok).await.is_err() {
        app.broker.staff_leave(conn, false).await;
        return;
    }
    tracing::info!(user = %member.user, role = member.role.as_str(), "staff signed in");

    let mut session = Session {
        broker: &app.broker,
        member: &member,
        conn,
        outbox,
        token_sha256: digest,
        logged_out: false,
    };
    socket::run(
        &mut socket,
        &mut session,
        &mut events,
        &kick,
        &app.shutdown,
        &limits,
    )
    .await;
    app.broker.staff_leave(conn, session.logged_out).await;
    tracing::info!(user = %member.user, "staff signed out");
}

/// Checks the first frame: a password login or an earlier session token. The sign-in
/// itself is [`Broker::sign_in`]; this only reads the frame and words the refusal.
async fn sign_in(
    app: &AppState,
    network: &PeerKey,
    frame: Message,
) -> Result<(StaffMember, String), ErrorReply> {
    let Message::Text(text) = frame else {
        return Err(ErrorReply::new(ErrorCode::BadFrame, "send JSON text"));
    };
    let credentials = match decode::<StaffRequest>(text.as_str())? {
        StaffRequest::Login {
            protocol,
            user,
            password,
        } => {
            check_protocol(protocol)?;
            Credentials::Password { user, password }
        }
        StaffRequest::Session { protocol, token } => {
            check_protocol(protocol)?;
            Credentials::Session { token }
        }
        _ => {
            return Err(ErrorReply::new(
                ErrorCode::HelloRequired,
                "the first message must be login or session",
            ));
        }
    };
    let (account, token) = app
        .broker
        .sign_in(&app.login_guard, network, credentials)
        .await
        .map_err(refusal)?;
    Ok((
        StaffMember {
            user: account.name,
            role: account.role,
        },
        token,
    ))
}

/// The words a refused sign-in gets on the wire.
fn refusal(e: SignInError) -> ErrorReply {
    match e {
        SignInError::Throttled { wait_secs } => ErrorReply::new(
            ErrorCode::RateLimited,
            format!("too many failed sign-ins; try again in {wait_secs} s"),
        ),
        SignInError::WrongPassword => {
            ErrorReply::new(ErrorCode::LoginFailed, "wrong user name or password")
        }
        SignInError::SessionExpired => {
            ErrorReply::new(ErrorCode::LoginFailed, "session expired; sign in again")
        }
        SignInError::Disabled => ErrorReply::new(
            ErrorCode::LoginFailed,
            "this account is disabled; ask an administrator",
        ),
        SignInError::NoSession => ErrorReply::new(ErrorCode::Internal, "could not start a session"),
    }
}

struct Session<'a> {
    broker: &'a Broker,
    member: &'a StaffMember,
    /// This connection, for watching.
    conn: StaffConnId,
    /// This connection's own queue, for replies of more than one frame.
    outbox: Outbox<StaffEvent>,
    /// SHA-256 of this socket's session token, ended at `logout`.
    token_sha256: String,
    /// Set by `logout`: the loop closes the socket and the conversations don't wait.
    logged_out: bool,
}

impl Frames for Session<'_> {
    type Event = StaffEvent;

    async fn handle(&mut self, text: &str) -> Handled<StaffEvent> {
        let result = match decode::<StaffRequest>(text) {
            Err(e) => Err(e),
            Ok(request) => self.request(request).await,
        };
        result.unwrap_or_else(|e| Handled::Now(Some(StaffEvent::Error(crate::metrics::refused(e)))))
    }

    fn error(reply: ErrorReply) -> StaffEvent {
        StaffEvent::Error(reply)
    }

    async fn close_after(&mut self) -> Option<(u16, &'static str)> {
        if !self.logged_out {
            return None;
        }
        // The token dies before the goodbye, so it can't sign in again after.
        let token = self.token_sha256.clone();
        if let Err(e) = self.broker.store().delete_session(token).await {
            tracing::error!(error = %e, "could not end a session at logout");
        }
        Some((close::NORMAL, "signed out"))
    }
}

impl Session<'_> {
    async fn request(&mut self, request: StaffRequest) -> Result<Handled<StaffEvent>, ErrorReply> {
        let (broker, member) = (self.broker, self.member);
        crate::permissions::check(member.role, &request)?;
        let reply = match request {
            StaffRequest::Login { .. } | StaffRequest::Session { .. } => {
                Err(ErrorReply::new(ErrorCode::Invalid, "already signed in"))
            }
            StaffRequest::Take {
                service,
                conversation,
            } => {
                broker.take(member, &service, conversation).await?;
                Ok(None)
            }
            StaffRequest::Send {
                conversation,
                client_id,
                text,
            } => {
                return self
                    .send(conversation, client_id, text)
                    .await
                    .map(Handled::Later);
            }
            StaffRequest::Typing { conversation } => {
                broker.counselor_typing(member, &conversation)?;
                Ok(None)
            }
            StaffRequest::End { conversation } => {
                broker.counselor_end(member, &conversation).await?;
                Ok(None)
            }
            StaffRequest::Logout => {
                self.logged_out = true;
                Ok(None)
            }
            StaffRequest::History {
                conversation,
                after_seq,
                before_seq,
                limit,
            } => {
                let messages = broker
                    .history(
                        member,
                        self.conn,
                        &conversation,
                        after_seq,
                        before_seq,
                        limit,
                    )
                    .await?;
                Ok(Some(StaffEvent::History {
                    conversation,
                    messages,
                }))
            }
            StaffRequest::MarkDossier {
                conversation,
                candidate,
            } => {
                broker
                    .mark_dossier(member, &conversation, candidate)
                    .await?;
                Ok(None)
            }
            StaffRequest::CloseService { service, reason } => {
                broker.close_service(member, &service, reason).await?;
                Ok(None)
            }
            StaffRequest::OpenService { service } => {
                broker.open_service(member, &service).await?;
                Ok(None)
            }
            StaffRequest::RequestReveal {
                conversation,
                reason,
            } => {
                broker.request_reveal(member, &conversation, reason).await?;
                Ok(None)
            }
            StaffRequest::DecideReveal {
                request,
                approve,
                reason,
            } => {
                broker
                    .decide_reveal(member, request, approve, reason)
                    .await?;
                Ok(None)
            }
            StaffRequest::Block {
                conversation,
                reason,
            } => {
                let block = broker.block(member, &conversation, reason).await?;
                Ok(Some(StaffEvent::Blocked {
                    conversation,
                    block,
                }))
            }
            StaffRequest::ListBlocks => Ok(Some(StaffEvent::Blocks {
                blocks: broker.list_blocks(member).await?,
            })),
            StaffRequest::LiftBlock { block, reason } => Ok(Some(StaffEvent::Blocks {
                blocks: broker.lift_block(member, block, reason).await?,
            })),
            StaffRequest::Transfer {
                conversation,
                to,
                note,
            } => {
                broker.transfer(member, &conversation, to, note).await?;
                Ok(None)
            }
            StaffRequest::Note { conversation, text } => {
                broker.note(member, &conversation, text).await?;
                Ok(None)
            }
            StaffRequest::WrapUp {
                conversation,
                topics,
                notes,
            } => {
                broker.wrap_up(member, &conversation, topics, notes).await?;
                Ok(None)
            }
            StaffRequest::Watch { conversation } => {
                broker.watch(self.conn, &conversation).await?;
                Ok(None)
            }
            StaffRequest::Unwatch { conversation } => {
                broker.unwatch(self.conn, &conversation);
                Ok(None)
            }
            StaffRequest::ListAccounts => Ok(Some(broker.list_accounts().await?)),
            StaffRequest::CreateAccount { user, role } => {
                broker
                    .create_account(member, user, role, &self.outbox)
                    .await?;
                Ok(None)
            }
            StaffRequest::ResetPassword { user } => {
                broker.reset_password(member, user, &self.outbox).await?;
                Ok(None)
            }
            StaffRequest::SetAccountDisabled { user, disabled } => Ok(Some(
                broker.set_account_disabled(member, user, disabled).await?,
            )),
            StaffRequest::TagName { conversation, name } => {
                broker.tag_name(member, &conversation, &name).await?;
                Ok(None)
            }
            StaffRequest::AnonymisedPreview { conversation } => Ok(Some(
                broker.anonymised_preview(member, &conversation).await?,
            )),
        };
        reply.map(Handled::Now)
    }

    /// A counselor's message. Its checks and its turn in the conversation come first, in
    /// frame order, so one conversation's messages are stored and delivered in the order
    /// they were sent. Storing and delivering then run in a task of their own while the
    /// socket reads on: sends to several conversations share one commit, and a message
    /// whose commit is under way still reaches the visitor if this socket drops.
    async fn send(
        &self,
        conversation: ConversationId,
        client_id: String,
        text: String,
    ) -> Result<Pending<StaffEvent>, ErrorReply> {
        check_client_id(&client_id).map_err(|e| e.for_client_id(&client_id))?;
        let turn = self
            .broker
            .send_turn(self.member, &conversation)
            .await
            .map_err(|e| e.for_client_id(&client_id))?;
        let broker = self.broker.clone();
        let task = tokio::spawn(async move {
            let reply = match broker
                .counselor_send(turn, &conversation, client_id.clone(), text)
                .await
            {
                Ok(stored) => StaffEvent::Ack {
                    conversation,
                    client_id,
                    seq: stored.seq,
                    at_ms: stored.at_ms,
                },
                Err(e) => StaffEvent::Error(crate::metrics::refused(e.for_client_id(&client_id))),
            };
            Some(reply)
        });
        // A task that panicked has no reply: the app resends what was never acked.
        Ok(Box::pin(async move { task.await.ok().flatten() }))
    }
}
