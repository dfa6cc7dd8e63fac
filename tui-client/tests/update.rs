//! `App::update`, driven the way the event loop drives it: relay events and key actions
//! in, state and queued relay requests out.

mod common;

use chathulp::action::Action;
use chathulp::app::{Connection, Delivery, Focus, Popup, QueueRow};
use chathulp::net::{NetCommand, NetEvent};
use chathulp_shared::staff::{StaffEvent, StaffRequest};
use chathulp_shared::{ErrorCode, ErrorReply, Intake, Party, Role};
use common::*;

fn requests(app: &mut chathulp::app::App) -> Vec<StaffRequest> {
    app.take_commands()
        .into_iter()
        .filter_map(|c| match c {
            NetCommand::Request(r) => Some(r),
            NetCommand::Close => None,
        })
        .collect()
}

#[test]
fn login_queue_take_message_switch_ack_and_end() {
    let mut app = app();
    assert_eq!(app.connection, Connection::Connecting);

    // Login.
    login(&mut app, Role::Counselor);
    assert_eq!(app.connection, Connection::Connected);
    assert_eq!(app.account.as_ref().map(|a| a.capacity), Some(3));
    assert!(!app.read_only());

    // Queue snapshot: the cursor starts on the first row.
    staff(&mut app, queue());
    assert_eq!(app.services.len(), 2);
    assert_eq!(app.queue_cursor, Some(QueueRow::Service(sid("caw"))));

    // Select Sam and take them.
    app.update(Action::MoveDown);
    assert_eq!(
        app.queue_cursor,
        Some(QueueRow::Visitor(sid("caw"), cid("c-sam")))
    );
    app.update(Action::TakeSelected);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Take {
            service: sid("caw"),
            conversation: Some(cid("c-sam")),
        }]
    );

    // The relay hands over the conversation: it shows, active, input focused.
    staff(
        &mut app,
        conversation(
            "c-sam",
            "caw",
            "Sam",
            sam_intake(),
            NOW,
            vec![message(1, Party::Visitor, "hallo?", NOW)],
        ),
    );
    assert_eq!(app.conversations.len(), 1);
    assert_eq!(app.active, Some(cid("c-sam")));
    assert_eq!(app.focus, Focus::Input);
    assert_eq!(app.active_conversation().map(|c| c.entries.len()), Some(1));

    // Take the next visitor of jac: that conversation becomes active.
    app.update(Action::LeaveInput);
    app.update(Action::FocusPrev);
    assert_eq!(app.focus, Focus::Queue);
    for _ in 0..10 {
        app.update(Action::MoveDown);
    }
    app.update(Action::TakeNext);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Take {
            service: sid("jac"),
            conversation: None,
        }]
    );
    staff(
        &mut app,
        conversation("c-kim", "jac", "Kim", kim_intake(), NOW, vec![]),
    );
    assert_eq!(app.active, Some(cid("c-kim")));

    // A message in the other conversation counts as unread.
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-sam"),
            message: message(2, Party::Visitor, "ben je daar?", NOW + 1000),
        },
    );
    let sam = |app: &chathulp::app::App| {
        app.conversations
            .iter()
            .find(|c| c.id == cid("c-sam"))
            .map(|c| (c.unread, c.entries.len()))
    };
    assert_eq!(sam(&app), Some((1, 2)));
    // The same message again (say, after a reconnect) is not counted twice.
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-sam"),
            message: message(2, Party::Visitor, "ben je daar?", NOW + 1000),
        },
    );
    assert_eq!(sam(&app), Some((1, 2)));

    // Switching to it clears the unread count.
    app.update(Action::JumpConversation(1));
    assert_eq!(app.active, Some(cid("c-sam")));
    assert_eq!(sam(&app), Some((0, 2)));

    // Write and send: typing goes out once, then the message, shown as pending.
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Focus::Input);
    type_text(&mut app, "Ja, ik ben er.");
    app.update(Action::Send);
    let sent = requests(&mut app);
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        sent[0],
        StaffRequest::Typing {
            conversation: cid("c-sam")
        }
    );
    let StaffRequest::Send {
        conversation,
        client_id,
        text,
    } = &sent[1]
    else {
        panic!("expected send, got {sent:?}");
    };
    assert_eq!(conversation, &cid("c-sam"));
    assert_eq!(client_id.len(), 32);
    assert_eq!(text, "Ja, ik ben er.");
    let last = app
        .active_conversation()
        .and_then(|c| c.entries.last())
        .cloned();
    assert_eq!(
        last.map(|e| e.delivery),
        Some(Delivery::Pending {
            client_id: client_id.clone()
        })
    );
    assert!(
        app.active_conversation()
            .is_some_and(|c| c.draft.is_empty())
    );

    // The ack marks it stored.
    staff(
        &mut app,
        StaffEvent::Ack {
            conversation: cid("c-sam"),
            client_id: client_id.clone(),
            seq: 3,
            at_ms: NOW + 2000,
        },
    );
    let last = app
        .active_conversation()
        .and_then(|c| c.entries.last())
        .cloned();
    assert_eq!(last.map(|e| e.delivery), Some(Delivery::Stored { seq: 3 }));

    // Ending asks first; yes sends `end`.
    app.update(Action::EndConversation);
    assert_eq!(app.popup, Some(Popup::ConfirmEnd(cid("c-sam"))));
    app.update(Action::Confirm);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::End {
            conversation: cid("c-sam")
        }]
    );
    staff(
        &mut app,
        StaffEvent::Ended {
            conversation: cid("c-sam"),
            by: Party::Counselor,
            reason: None,
        },
    );
    let ended = app.active_conversation().and_then(|c| c.ended.clone());
    assert_eq!(ended.map(|e| e.by), Some(Party::Counselor));
    assert!(!app.can_write());
    assert_eq!(app.focus, Focus::Conversations);
    assert_eq!(app.open_conversations(), 1);

    // Ending an ended conversation closes it; Kim becomes active.
    app.update(Action::EndConversation);
    assert_eq!(app.conversations.len(), 1);
    assert_eq!(app.active, Some(cid("c-kim")));
    assert!(requests(&mut app).is_empty());
}

#[test]
fn visitor_messages_and_acks_keep_sequence_order() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    type_text(&mut app, "een");
    app.update(Action::Send);
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c1"),
            message: message(1, Party::Visitor, "twee", NOW),
        },
    );
    staff(
        &mut app,
        StaffEvent::Ack {
            conversation: cid("c1"),
            client_id: format!("{:032x}", 1),
            seq: 2,
            at_ms: NOW,
        },
    );
    let texts: Vec<_> = app
        .active_conversation()
        .map(|c| c.entries.iter().map(|e| e.text.clone()).collect())
        .unwrap_or_default();
    assert_eq!(texts, vec!["twee", "een"]);
}

#[test]
fn typing_is_sent_at_most_every_three_seconds() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Focus::Input);
    let typing = |app: &mut chathulp::app::App| {
        requests(app)
            .into_iter()
            .filter(|r| matches!(r, StaffRequest::Typing { .. }))
            .count()
    };
    type_text(&mut app, "ha");
    assert_eq!(typing(&mut app), 1);
    app.update(Action::Tick(NOW + 2_999));
    type_text(&mut app, "llo");
    assert_eq!(typing(&mut app), 0);
    app.update(Action::Tick(NOW + 3_000));
    type_text(&mut app, "!");
    assert_eq!(typing(&mut app), 1);
}

#[test]
fn visitor_typing_shows_for_a_while() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    staff(
        &mut app,
        StaffEvent::Typing {
            conversation: cid("c1"),
        },
    );
    assert!(
        app.active_conversation()
            .is_some_and(|c| c.visitor_typing(app.now_ms))
    );
    app.update(Action::Tick(NOW + 10_000));
    assert!(
        !app.active_conversation()
            .is_some_and(|c| c.visitor_typing(app.now_ms))
    );
}

#[test]
fn refused_and_lost_messages_are_marked_not_sent() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    type_text(&mut app, "een");
    app.update(Action::Send);
    type_text(&mut app, "twee");
    app.update(Action::Send);
    let first = format!("{:032x}", 1);
    staff(
        &mut app,
        StaffEvent::Error(ErrorReply::new(ErrorCode::TooLarge, "too big").for_client_id(&first)),
    );
    let deliveries = |app: &chathulp::app::App| -> Vec<Delivery> {
        app.active_conversation()
            .map(|c| c.entries.iter().map(|e| e.delivery.clone()).collect())
            .unwrap_or_default()
    };
    assert!(matches!(deliveries(&app)[0], Delivery::Failed { .. }));
    assert!(matches!(deliveries(&app)[1], Delivery::Pending { .. }));
    assert!(app.notice.as_ref().is_some_and(|n| n.is_error));
    assert_eq!(requests(&mut app).len(), 3, "typing, send, send");

    app.update(Action::Net(NetEvent::Disconnected {
        reason: "reset".into(),
        retrying: true,
    }));
    assert!(matches!(app.connection, Connection::Reconnecting { .. }));
    assert!(
        deliveries(&app)
            .iter()
            .all(|d| matches!(d, Delivery::Failed { .. }))
    );

    // Offline, nothing is queued and the draft is kept.
    type_text(&mut app, "drie");
    app.update(Action::Send);
    assert!(requests(&mut app).is_empty());
    assert!(
        app.active_conversation()
            .is_some_and(|c| !c.draft.is_empty())
    );
}

#[test]
fn supervisors_are_read_only() {
    let mut app = app();
    login(&mut app, Role::Supervisor);
    assert!(app.read_only());
    staff(&mut app, queue());
    app.update(Action::MoveDown);
    app.update(Action::TakeSelected);
    app.update(Action::TakeNext);
    assert!(requests(&mut app).is_empty());
    assert!(app.notice.as_ref().is_some_and(|n| n.is_error));
    // Focus never reaches the input.
    for _ in 0..5 {
        app.update(Action::FocusNext);
        assert_ne!(app.focus, Focus::Input);
    }
}

#[test]
fn forbidden_error_shows_in_the_status_line() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        StaffEvent::Error(ErrorReply::new(
            ErrorCode::Forbidden,
            "supervisors may not take",
        )),
    );
    let notice = app.notice.clone().map(|n| n.text).unwrap_or_default();
    assert!(notice.contains("niet toegestaan"), "{notice}");
    assert!(notice.contains("supervisors may not take"), "{notice}");
    // It goes away after a while.
    app.update(Action::Tick(NOW + 60_000));
    assert_eq!(app.notice, None);
}

#[test]
fn queue_cursor_stays_on_its_visitor_and_falls_back_in_place() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, queue());
    app.update(Action::MoveDown);
    app.update(Action::MoveDown);
    assert_eq!(
        app.queue_cursor,
        Some(QueueRow::Visitor(sid("caw"), cid("c-lotte")))
    );
    // Sam is taken by a colleague: the cursor stays on Lotte.
    let StaffEvent::Queue { mut services } = queue() else {
        unreachable!()
    };
    services[0].waiting.remove(0);
    staff(
        &mut app,
        StaffEvent::Queue {
            services: services.clone(),
        },
    );
    assert_eq!(
        app.queue_cursor,
        Some(QueueRow::Visitor(sid("caw"), cid("c-lotte")))
    );
    // Lotte leaves too: the cursor takes the row now at her place.
    services[0].waiting.clear();
    staff(&mut app, StaffEvent::Queue { services });
    assert_eq!(app.queue_cursor, Some(QueueRow::Service(sid("jac"))));
}

#[test]
fn visitor_text_is_sanitized_on_the_way_in() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    let StaffEvent::Queue { mut services } = queue() else {
        unreachable!()
    };
    services[0].waiting[0].nickname = "Sam\u{1b}[2J\u{202e}".into();
    staff(&mut app, StaffEvent::Queue { services });
    assert_eq!(app.services[0].waiting[0].nickname, "Sam^[[2J<U+202E>");

    staff(
        &mut app,
        conversation(
            "c1",
            "caw",
            "\u{7}Bel",
            Intake::default(),
            NOW,
            vec![message(1, Party::Visitor, "\u{1b}]52;c;aGk=\u{7}", NOW)],
        ),
    );
    let c = app.active_conversation().expect("conversation");
    assert_eq!(c.nickname, "^GBel");
    assert_eq!(c.entries[0].text, "^[]52;c;aGk=^G");
}

#[test]
fn quitting_with_open_conversations_asks_first() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::Quit);
    assert_eq!(app.popup, Some(Popup::ConfirmQuit));
    assert!(!app.should_quit);
    app.update(Action::Cancel);
    assert_eq!(app.popup, None);
    app.update(Action::Quit);
    app.update(Action::Confirm);
    assert!(app.should_quit);
    assert!(app.take_commands().contains(&NetCommand::Close));
}

#[test]
fn refused_session_quits_with_a_message() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    app.update(Action::Net(NetEvent::LoginFailed("expired".into())));
    assert!(app.should_quit);
    assert!(
        app.exit_message
            .as_deref()
            .is_some_and(|m| m.contains("expired"))
    );
}

#[test]
fn pasted_text_goes_into_the_draft_without_controls() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    app.update(Action::Paste("regel een\r\nregel\u{1b} twee".into()));
    let lines = app
        .active_conversation()
        .map(|c| c.draft.lines().to_vec())
        .unwrap_or_default();
    assert_eq!(lines, vec!["regel een", "regel twee"]);
}
