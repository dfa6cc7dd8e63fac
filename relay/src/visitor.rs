//! One visitor's WebSocket session: hello, queue, chat, end.
//!
//! The loop owns the socket. It `select!`s on the visitor's next frame, on events the
//! broker pushes into this visitor's outbox, on the first-frame deadline and on shutdown.

use axum::extract::ws::WebSocket;
use chathulp_shared::visitor::{VisitorEvent, VisitorRequest};
use chathulp_shared::{
    ConversationId, ErrorCode, ErrorReply, Intake, PROTOCOL_VERSION, Party, check_client_id,
    clean_nickname, close, decode,
};

use crate::broker::Outbox;
use crate::limits::{ConnectionGuard, PeerKey, Rate, TokenBucket};
use crate::socket::{self, Frames, Handled, LoopEnd, check_protocol};
use crate::state::AppState;
use crate::vault::ClientIp;

/// Oldest age the intake accepts; anything above is a typo.
const MAX_AGE: u8 = 120;

/// Serves one visitor socket. `_place` holds the socket's place in its network's
/// connection limit until the session ends.
pub async fn serve(
    mut socket: WebSocket,
    app: AppState,
    ip: ClientIp,
    peer: PeerKey,
    _place: ConnectionGuard,
) {
    let limits = app.broker.config().limits.clone();
    let (outbox, mut events) = Outbox::new(limits.send_queue_frames);
    let kick = outbox.kick.clone();
    let message_rate = Rate {
        burst: limits.visitor_message_burst,
        per_sec: f64::from(limits.visitor_messages_per_sec),
    };
    let mut session = Session {
        app: &app,
        outbox,
        conversation: None,
        ip,
        socket_id: 0,
        peer,
        messages: TokenBucket::full(message_rate, app.broker.now_ms()),
        message_rate,
    };
    let end = socket::run(
        &mut socket,
        &mut session,
        &mut events,
        &kick,
        &app.shutdown,
        &limits,
    )
    .await;
    // A visitor who leaves without `end` has the reconnect window to resume. At relay
    // shutdown the conversation stays open in the store; the restarted relay restores it.
    if end != LoopEnd::Shutdown
        && let Some(conversation) = &session.conversation
    {
        app.broker.visitor_left(conversation, session.socket_id);
    }
}

struct Session<'a> {
    app: &'a AppState,
    outbox: Outbox<VisitorEvent>,
    /// Set once `hello` or `resume` succeeded.
    conversation: Option<ConversationId>,
    /// Where the visitor connects from; sealed and hashed at `hello`, never shown.
    ip: ClientIp,
    /// Which socket of the conversation this is (see [`crate::broker::Broker::visitor_left`]).
    socket_id: u64,
    /// The network this socket came from, for the new-chats limit.
    peer: PeerKey,
    /// This visitor's `send` budget.
    messages: TokenBucket,
    message_rate: Rate,
}

/// Answers a socket over its network's connection limit: a `rate_limited` error the page
/// can show, then close 1013 (try again later).
pub async fn refuse_busy(mut socket: WebSocket) {
    let e = ErrorReply::new(
        ErrorCode::RateLimited,
        "too many open chats from your network; try again later",
    );
    let _ = socket::send_json(&mut socket, &VisitorEvent::Error(e)).await;
    socket::close_with(&mut socket, close::TRY_AGAIN_LATER, "too many connections").await;
}

impl Frames for Session<'_> {
    type Event = VisitorEvent;

    async fn handle(&mut self, text: &str) -> Handled<VisitorEvent> {
        let result = match decode::<VisitorRequest>(text) {
            Err(e) => Err(e),
            Ok(request) => self.request(request).await,
        };
        Handled::Now(
            result.unwrap_or_else(|e| Some(VisitorEvent::Error(crate::metrics::refused(e)))),
        )
    }

    fn error(reply: ErrorReply) -> VisitorEvent {
        VisitorEvent::Error(reply)
    }

    fn awaiting_first_frame(&self) -> bool {
        self.conversation.is_none()
    }
}

impl Session<'_> {
    async fn request(
        &mut self,
        request: VisitorRequest,
    ) -> Result<Option<VisitorEvent>, ErrorReply> {
        let broker = &self.app.broker;
        match request {
            VisitorRequest::Hello {
                protocol,
                service,
                nickname,
                intake,
                no_dossier,
            } => {
                if self.conversation.is_some() {
                    return Err(ErrorReply::new(
                        ErrorCode::Invalid,
                        "hello was already sent",
                    ));
                }
                check_protocol(protocol)?;
                let nickname = clean_nickname(&nickname)?;
                check_intake(&intake)?;
                if !self.app.limiter.new_session(&self.peer, broker.now_ms()) {
                    return Err(ErrorReply::new(
                        ErrorCode::RateLimited,
                        "too many new chats from your network; try again in a minute",
                    ));
                }
                let session = broker
                    .visitor_hello(
                        service,
                        nickname,
                        intake,
                        no_dossier,
                        &self.ip,
                        self.outbox.clone(),
                    )
                    .await?;
                self.conversation = Some(session.conversation);
                self.socket_id = session.socket;
                Ok(Some(VisitorEvent::Welcome {
                    protocol: PROTOCOL_VERSION,
                    resume_token: session.resume_token,
                }))
            }
            VisitorRequest::Resume {
                protocol,
                token,
                last_seq,
            } => {
                if self.conversation.is_some() {
                    return Err(ErrorReply::new(
                        ErrorCode::Invalid,
                        "this socket already has a conversation",
                    ));
                }
                check_protocol(protocol)?;
                let resumed = broker
                    .visitor_resume(&token, last_seq, self.outbox.clone())
                    .await?;
                self.conversation = Some(resumed.conversation);
                self.socket_id = resumed.socket;
                Ok(Some(resumed.reply))
            }
            VisitorRequest::Send { client_id, text } => {
                let conversation = self.conversation()?;
                check_client_id(&client_id)
                    .and_then(|()| self.take_message_token())
                    .map_err(|e| e.for_client_id(&client_id))?;
                let stored = broker
                    .visitor_send(&conversation, client_id.clone(), text)
                    .await
                    .map_err(|e| e.for_client_id(&client_id))?;
                Ok(Some(VisitorEvent::Ack {
                    client_id,
                    seq: stored.seq,
                    at_ms: stored.at_ms,
                }))
            }
            VisitorRequest::Typing => {
                broker.visitor_typing(&self.conversation()?);
                Ok(None)
            }
            VisitorRequest::End => {
                broker
                    .end(&self.conversation()?, Party::Visitor, None)
                    .await?;
                Ok(None)
            }
            VisitorRequest::Dossier { refuse } => {
                broker
                    .visitor_dossier(&self.conversation()?, refuse)
                    .await?;
                Ok(None)
            }
            VisitorRequest::Survey { answers } => {
                broker.save_survey(&self.conversation()?, answers).await?;
                Ok(Some(VisitorEvent::SurveySaved))
            }
        }
    }

    /// One token from this visitor's `send` budget, or `rate_limited` (nothing stored).
    fn take_message_token(&mut self) -> Result<(), ErrorReply> {
        if self
            .messages
            .take(self.message_rate, self.app.broker.now_ms())
        {
            Ok(())
        } else {
            Err(ErrorReply::new(
                ErrorCode::RateLimited,
                "too many messages at once; wait a moment and send again",
            ))
        }
    }

    fn conversation(&self) -> Result<ConversationId, ErrorReply> {
        self.conversation
            .clone()
            .ok_or_else(|| ErrorReply::new(ErrorCode::HelloRequired, "send hello first"))
    }
}

fn check_intake(intake: &Intake) -> Result<(), ErrorReply> {
    if intake.age.is_some_and(|a| a > MAX_AGE) {
        return Err(ErrorReply::new(
            ErrorCode::Invalid,
            format!("age must be 0 to {MAX_AGE}"),
        ));
    }
    Ok(())
}
