//! `App::update`, driven the way the event loop drives it: relay events and key actions
//! in, state and queued relay requests out.

mod common;

use chathulp::action::Action;
use chathulp::app::{
    App, Connection, Delivery, Focus, Guidance, HISTORY_PAGE, LIVE_WINDOW, Older, Popup, QueueRow,
};
use chathulp::net::{NetCommand, NetEvent};
use chathulp_shared::staff::{StaffEvent, StaffRequest, StaffSettings};
use chathulp_shared::{ErrorCode, ErrorReply, Intake, Party, Role};
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};

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
    assert_eq!(ended.map(|e| e.by), Some(Some(Party::Counselor)));
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

// ---- the 1-hour guidance --------------------------------------------------------------

fn guidance_of(app: &App, id: &str) -> Option<Guidance> {
    app.conversations
        .iter()
        .find(|c| c.id == cid(id))
        .map(|c| app.guidance(c))
}

fn notice_text(app: &App) -> String {
    app.notice.clone().map(|n| n.text).unwrap_or_default()
}

const WARNING: &str = "Nog 10 minuten tot het uur: rond stilaan af.";

#[test]
fn guidance_warns_once_at_50_minutes_and_marks_60() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );

    app.update(Action::Tick(NOW + 49 * MINUTE));
    assert_eq!(guidance_of(&app, "c1"), Some(Guidance::Normal));
    assert!(!notice_text(&app).contains(WARNING));

    app.update(Action::Tick(NOW + 50 * MINUTE));
    assert_eq!(guidance_of(&app, "c1"), Some(Guidance::Warn));
    let notice = notice_text(&app);
    assert!(notice.contains(WARNING), "{notice}");
    assert!(notice.contains("Sam"), "{notice}");

    // Once: after it went away, it does not come back.
    app.update(Action::Tick(NOW + 55 * MINUTE));
    assert_eq!(app.notice, None);
    app.update(Action::Tick(NOW + 56 * MINUTE));
    assert_eq!(app.notice, None);

    app.update(Action::Tick(NOW + 60 * MINUTE));
    assert_eq!(guidance_of(&app, "c1"), Some(Guidance::Over));
    assert_eq!(app.notice, None);

    // An ended conversation is done with the guidance.
    staff(
        &mut app,
        StaffEvent::Ended {
            conversation: cid("c1"),
            by: Party::Visitor,
            reason: None,
        },
    );
    assert_eq!(guidance_of(&app, "c1"), Some(Guidance::Normal));
}

#[test]
fn guidance_minutes_come_from_the_relay_settings() {
    let mut app = app();
    let settings = StaffSettings {
        guidance_warn_mins: 40,
        guidance_limit_mins: 45,
        canned: vec![],
        topics: Vec::new(),
    };
    login_with(&mut app, Role::Counselor, settings);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::Tick(NOW + 40 * MINUTE));
    let notice = notice_text(&app);
    assert!(
        notice.contains("Nog 5 minuten tot het uur: rond stilaan af."),
        "{notice}"
    );
    app.update(Action::Tick(NOW + 45 * MINUTE));
    assert_eq!(guidance_of(&app, "c1"), Some(Guidance::Over));

    // An older relay sends no settings: 50 and 60 minutes.
    let mut app = app_with_defaults();
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::Tick(NOW + 50 * MINUTE));
    assert!(notice_text(&app).contains(WARNING));
    assert_eq!(app.settings.guidance_limit_mins, 60);
}

fn app_with_defaults() -> App {
    let mut app = app();
    login_with(&mut app, Role::Counselor, StaffSettings::default());
    app
}

#[test]
fn a_conversation_first_seen_past_the_limit_gets_no_countdown() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation(
            "c1",
            "caw",
            "Sam",
            Intake::default(),
            NOW - 70 * MINUTE,
            vec![],
        ),
    );
    assert_eq!(guidance_of(&app, "c1"), Some(Guidance::Over));
    assert!(!notice_text(&app).contains(WARNING));
    // One taken (or resent after a restart) at 55 minutes does get it.
    staff(
        &mut app,
        conversation(
            "c2",
            "caw",
            "Kim",
            Intake::default(),
            NOW - 55 * MINUTE,
            vec![],
        ),
    );
    assert!(notice_text(&app).contains(WARNING));
    assert!(notice_text(&app).contains("Kim"));
}

// ---- canned responses -----------------------------------------------------------------

fn writing_to_sam() -> App {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Focus::Input);
    app
}

fn draft(app: &App) -> Vec<String> {
    app.active_conversation()
        .map(|c| c.draft.lines().to_vec())
        .unwrap_or_default()
}

fn sends(app: &mut App) -> usize {
    requests(app)
        .into_iter()
        .filter(|r| matches!(r, StaffRequest::Send { .. }))
        .count()
}

#[test]
fn canned_response_goes_into_the_input_with_two_keys() {
    let mut app = writing_to_sam();
    press(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    assert!(matches!(
        app.popup,
        Some(Popup::Canned { search: None, .. })
    ));
    press_char(&mut app, 'w');
    assert_eq!(app.popup, None);
    assert_eq!(
        draft(&app),
        vec!["Dag, fijn dat je er bent. Waarover wil je praten?"]
    );
    // Inserted, not sent: the counselor can still edit it.
    assert_eq!(sends(&mut app), 0);
    type_text(&mut app, " :)");
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    let sent = requests(&mut app);
    assert!(
        sent.iter()
            .any(|r| matches!(r, StaffRequest::Send { text, .. }
            if text == "Dag, fijn dat je er bent. Waarover wil je praten? :)")),
        "{sent:?}"
    );

    // A multi-line response keeps its lines; it goes in at the cursor.
    type_text(&mut app, "Sam, ");
    press(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    press_char(&mut app, 'a');
    assert_eq!(
        draft(&app),
        vec![
            "Sam, We zijn al bijna een uur aan het praten.",
            "Zullen we stilaan afronden?"
        ]
    );
}

#[test]
fn canned_popup_cancels_searches_and_refuses_unknown_keys() {
    let mut app = writing_to_sam();
    // Esc cancels and leaves the draft alone.
    type_text(&mut app, "hoi");
    press(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(app.popup, None);
    assert_eq!(draft(&app), vec!["hoi"]);
    assert_eq!(app.focus, Focus::Input);

    // A key without a response says so and keeps the list open.
    press(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    press_char(&mut app, 'z');
    assert!(matches!(app.popup, Some(Popup::Canned { .. })));
    assert!(notice_text(&app).contains('z'));

    // `/` searches: letters filter, Enter picks the highlighted one.
    press_char(&mut app, '/');
    for c in "nmr".chars() {
        press_char(&mut app, c);
    }
    let titles: Vec<_> = app
        .canned_matches()
        .iter()
        .map(|c| c.title.clone())
        .collect();
    assert_eq!(titles, vec!["Nummer 1712"]);
    press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    assert_eq!(app.canned_matches().len(), 3);
    // Searching the text works too; ↓ moves the highlight.
    for c in "we".chars() {
        press_char(&mut app, c);
    }
    let titles: Vec<_> = app
        .canned_matches()
        .iter()
        .map(|c| c.title.clone())
        .collect();
    assert_eq!(titles, vec!["Welkom", "Afronden"]);
    press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(app.popup, None);
    assert_eq!(
        draft(&app),
        vec![
            "hoiWe zijn al bijna een uur aan het praten.",
            "Zullen we stilaan afronden?"
        ]
    );
    assert_eq!(sends(&mut app), 0);
}

#[test]
fn canned_needs_an_open_conversation_and_a_counselor() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    app.update(Action::OpenCanned);
    assert_eq!(app.popup, None);
    assert!(app.notice.as_ref().is_some_and(|n| n.is_error));

    let mut app = app_with_defaults();
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::OpenCanned);
    assert_eq!(app.popup, None, "no canned responses configured");

    let mut app = common::app();
    login(&mut app, Role::Supervisor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::OpenCanned);
    assert_eq!(app.popup, None);
}

// ---- dossier --------------------------------------------------------------------------

fn dossier_flags(app: &App, id: &str) -> Option<(bool, bool)> {
    app.conversations
        .iter()
        .find(|c| c.id == cid(id))
        .map(|c| (c.no_dossier, c.dossier_candidate))
}

#[test]
fn dossier_key_marks_and_unmarks_a_candidate() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation_with_dossier("c1", "Sam", NOW, false, false),
    );
    // From the input it is Ctrl-d (d is text there).
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    press_char(&mut app, 'd');
    assert_eq!(draft(&app), vec!["d"]);
    assert!(
        !requests(&mut app)
            .iter()
            .any(|r| matches!(r, StaffRequest::MarkDossier { .. }))
    );
    // It asks first (it changes something for the visitor); `y` sends it.
    press(&mut app, KeyCode::Char('d'), KeyModifiers::CONTROL);
    assert!(matches!(app.popup, Some(Popup::ConfirmDossier { .. })));
    assert!(requests(&mut app).is_empty());
    press_char(&mut app, 'Y');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::MarkDossier {
            conversation: cid("c1"),
            candidate: true,
        }]
    );
    // The state changes when the relay confirms.
    assert_eq!(dossier_flags(&app, "c1"), Some((false, false)));
    staff(
        &mut app,
        StaffEvent::Dossier {
            conversation: cid("c1"),
            no_dossier: false,
            dossier_candidate: true,
        },
    );
    assert_eq!(dossier_flags(&app, "c1"), Some((false, true)));
    assert!(notice_text(&app).contains("dossierkandidaat"));

    // From the lists it is plain d; pressing again unmarks.
    app.update(Action::LeaveInput);
    press_char(&mut app, 'd');
    press_char(&mut app, 'Y');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::MarkDossier {
            conversation: cid("c1"),
            candidate: false,
        }]
    );
}

#[test]
fn dossier_is_not_requested_when_the_visitor_refused_one() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation_with_dossier("c1", "Sam", NOW, true, false),
    );
    app.update(Action::ToggleDossier);
    assert!(requests(&mut app).is_empty());
    assert_eq!(notice_text(&app), "De bezoeker weigert een dossier.");
    assert!(app.notice.as_ref().is_some_and(|n| n.is_error));
}

#[test]
fn a_refusal_from_the_relay_or_the_visitor_shows_on_the_conversation() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation_with_dossier("c1", "Sam", NOW, false, false),
    );
    // The visitor refused just before our request arrived.
    app.update(Action::ToggleDossier);
    app.update(Action::Confirm);
    assert_eq!(requests(&mut app).len(), 1);
    staff(
        &mut app,
        StaffEvent::Error(ErrorReply::new(
            ErrorCode::DossierRefused,
            "the visitor refused a dossier",
        )),
    );
    assert_eq!(dossier_flags(&app, "c1"), Some((true, false)));
    assert_eq!(notice_text(&app), "De bezoeker weigert een dossier.");
    app.update(Action::ToggleDossier);
    assert!(requests(&mut app).is_empty());

    // The visitor withdraws the refusal, then refuses again mid-conversation.
    staff(
        &mut app,
        StaffEvent::Dossier {
            conversation: cid("c1"),
            no_dossier: false,
            dossier_candidate: false,
        },
    );
    assert_eq!(dossier_flags(&app, "c1"), Some((false, false)));
    staff(
        &mut app,
        StaffEvent::Dossier {
            conversation: cid("c1"),
            no_dossier: true,
            dossier_candidate: false,
        },
    );
    assert_eq!(dossier_flags(&app, "c1"), Some((true, false)));
    assert!(notice_text(&app).contains("Sam weigert een dossier"));
}

#[test]
fn supervisors_cannot_mark_a_dossier() {
    let mut app = app();
    login(&mut app, Role::Supervisor);
    staff(
        &mut app,
        conversation_with_dossier("c1", "Sam", NOW, false, false),
    );
    app.update(Action::FocusNext);
    press_char(&mut app, 'd');
    app.update(Action::ToggleDossier);
    assert!(requests(&mut app).is_empty());
}

// ---- administrators: closing and opening a service ------------------------------------

fn closed_queue(reason: &str) -> StaffEvent {
    let StaffEvent::Queue { mut services } = queue() else {
        unreachable!()
    };
    services[0].closed_reason = Some(reason.into());
    services[0].waiting.clear();
    StaffEvent::Queue { services }
}

#[test]
fn admin_closes_a_service_with_a_reason_after_confirming() {
    let mut app = app();
    login(&mut app, Role::Admin);
    staff(&mut app, queue());
    assert_eq!(app.queue_cursor, Some(QueueRow::Service(sid("caw"))));

    press_char(&mut app, 's');
    assert!(matches!(app.popup, Some(Popup::CloseReason { .. })));
    // No reason: it asks for one.
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert!(matches!(app.popup, Some(Popup::CloseReason { .. })));
    assert!(app.notice.as_ref().is_some_and(|n| n.is_error));

    // Letters that are keys elsewhere (q, y, n, s) are text here.
    for c in "stroompannee".chars() {
        press_char(&mut app, c);
    }
    press(&mut app, KeyCode::Backspace, KeyModifiers::NONE);
    app.update(Action::Paste(" in\nGent\u{1b}".into()));
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        app.popup,
        Some(Popup::ConfirmClose {
            service: sid("caw"),
            reason: "stroompanne in Gent^[".into(),
        })
    );
    assert!(requests(&mut app).is_empty(), "nothing before yes");
    press_char(&mut app, 'Y');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::CloseService {
            service: sid("caw"),
            reason: "stroompanne in Gent^[".into(),
        }]
    );
    assert_eq!(app.popup, None);

    // The relay's queue shows the reason; o opens the service again.
    staff(&mut app, closed_queue("stroompanne"));
    assert_eq!(
        app.services[0].closed_reason.as_deref(),
        Some("stroompanne")
    );
    press_char(&mut app, 'o');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::OpenService {
            service: sid("caw")
        }]
    );
    // An open service has nothing to lift.
    app.update(Action::MoveDown);
    assert_eq!(app.queue_cursor, Some(QueueRow::Service(sid("jac"))));
    press_char(&mut app, 'o');
    assert!(requests(&mut app).is_empty());
}

#[test]
fn admin_can_say_no_or_escape() {
    let mut app = app();
    login(&mut app, Role::Admin);
    staff(&mut app, queue());
    press_char(&mut app, 's');
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(app.popup, None);
    press_char(&mut app, 's');
    press_char(&mut app, 'x');
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    press_char(&mut app, 'n');
    assert_eq!(app.popup, None);
    assert!(requests(&mut app).is_empty());
}

#[test]
fn counselors_and_supervisors_cannot_close_or_open_a_service() {
    for role in [Role::Counselor, Role::Supervisor] {
        let mut app = app();
        login(&mut app, role);
        staff(&mut app, closed_queue("storing"));
        press_char(&mut app, 's');
        press_char(&mut app, 'o');
        assert_eq!(app.popup, None, "{role:?}");
        // Even the action itself (say, from a stale binding) is refused.
        app.update(Action::CloseService);
        app.update(Action::OpenService);
        assert_eq!(app.popup, None, "{role:?}");
        assert!(requests(&mut app).is_empty(), "{role:?}");
        assert!(notice_text(&app).contains("beheerder"), "{role:?}");
    }
}

#[test]
fn closed_reason_is_sanitized_on_the_way_in() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, closed_queue("storing\u{1b}[2J\nbel 1712"));
    assert_eq!(
        app.services[0].closed_reason.as_deref(),
        Some("storing^[[2J^Jbel 1712")
    );
}

#[test]
fn canned_texts_from_the_relay_are_sanitized() {
    let mut app = app();
    let mut settings = chathulp_shared::staff::StaffSettings {
        guidance_warn_mins: 50,
        guidance_limit_mins: 60,
        canned: vec![
            canned('x', "Ti\u{1b}[2Jtel", "regel\u{1b}]52;c;aGk=\u{7}\r\ntwee"),
            canned('\u{7}', "bel", "nooit te typen"),
        ],
        topics: Vec::new(),
    };
    settings.canned.push(canned('\u{202e}', "bidi", "ook niet"));
    login_with(&mut app, Role::Counselor, settings);
    assert_eq!(app.settings.canned.len(), 1);
    assert_eq!(app.settings.canned[0].title, "Ti^[[2Jtel");
    assert_eq!(app.settings.canned[0].text, "regel]52;c;aGk=\ntwee");
}

#[test]
fn help_scrolls_when_it_does_not_fit() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    app.update(Action::ShowHelp);
    assert_eq!(app.help_scroll, 0);
    for _ in 0..50 {
        press_char(&mut app, 'j');
    }
    let most = app.help_scroll;
    assert!(most > 0);
    press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    assert_eq!(app.help_scroll, most.saturating_sub(10));
    // On a tall screen everything fits.
    app.update(Action::Resize(120, 60));
    assert_eq!(app.help_scroll, 0);
    press_char(&mut app, 'q');
    assert_eq!(app.popup, None);
}

// ---- nothing lost when the line drops --------------------------------------------------

fn seqs(app: &App, id: &str) -> Vec<Option<u64>> {
    app.conversations
        .iter()
        .find(|c| c.id == cid(id))
        .map(|c| {
            c.entries
                .iter()
                .map(|e| match e.delivery {
                    Delivery::Stored { seq } => Some(seq),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn texts(app: &App, id: &str) -> Vec<String> {
    app.conversations
        .iter()
        .find(|c| c.id == cid(id))
        .map(|c| c.entries.iter().map(|e| e.text.clone()).collect())
        .unwrap_or_default()
}

fn lose_connection(app: &mut App) {
    app.update(Action::Net(NetEvent::Disconnected {
        reason: "reset".into(),
        retrying: true,
    }));
}

/// A `conversation` snapshot with the fields of "nothing lost" set.
fn snapshot(
    id: &str,
    nickname: &str,
    messages: Vec<chathulp_shared::ChatMessage>,
    linked_to: Option<&str>,
    away_until_ms: Option<i64>,
) -> StaffEvent {
    let mut event = conversation(id, "caw", nickname, sam_intake(), NOW, messages);
    if let StaffEvent::Conversation {
        linked_to: linked,
        visitor_away_until_ms,
        ..
    } = &mut event
    {
        *linked = linked_to.map(cid);
        *visitor_away_until_ms = away_until_ms;
    }
    event
}

fn synced(app: &mut App, ids: &[&str]) {
    staff(
        app,
        StaffEvent::Synced {
            conversations: ids.iter().copied().map(cid).collect(),
        },
    );
}

#[test]
fn after_a_reconnect_snapshots_merge_by_seq_and_ghosts_end() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    let hallo = message(1, Party::Visitor, "hallo", NOW);
    let dag = message(2, Party::Counselor, "dag", NOW);
    staff(
        &mut app,
        snapshot("c-sam", "Sam", vec![hallo.clone(), dag.clone()], None, None),
    );
    staff(&mut app, snapshot("c-kim", "Kim", vec![], None, None));
    app.update(Action::EndConversation);
    assert_eq!(app.popup, Some(Popup::ConfirmEnd(cid("c-sam"))));

    lose_connection(&mut app);
    // The worker signs in again; the relay sends the queue, Sam's conversation (with a
    // message we missed) and `synced`: Kim's conversation ended meanwhile.
    login(&mut app, Role::Counselor);
    staff(&mut app, queue());
    let missed = message(3, Party::Visitor, "ben je er nog?", NOW + MINUTE);
    staff(
        &mut app,
        snapshot("c-sam", "Sam", vec![hallo, dag, missed], None, None),
    );
    synced(&mut app, &["c-sam"]);

    assert_eq!(seqs(&app, "c-sam"), vec![Some(1), Some(2), Some(3)]);
    assert_eq!(app.conversations.len(), 2, "no conversation appears twice");
    let sam = &app.conversations[0];
    assert!(sam.is_open());
    let kim = &app.conversations[1];
    let ending = kim.ended.clone().expect("Kim's conversation is over");
    assert_eq!(ending.by, None);
    assert_eq!(
        ending.reason.as_deref(),
        Some("beëindigd terwijl de verbinding weg was")
    );
    assert_eq!(app.open_conversations(), 1);
    assert!(
        notice_text(&app).contains("Kim beëindigd terwijl de verbinding weg was"),
        "{}",
        notice_text(&app)
    );
    // The question about Sam stays: that conversation is still open.
    assert_eq!(app.popup, Some(Popup::ConfirmEnd(cid("c-sam"))));
    assert!(requests(&mut app).is_empty(), "nothing to resend");
}

#[test]
fn unacknowledged_messages_go_again_with_their_client_id_and_show_once() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    let history = vec![
        message(1, Party::Visitor, "hallo", NOW),
        message(2, Party::Counselor, "dag Sam", NOW),
        message(3, Party::Visitor, "ik ben boos", NOW),
    ];
    staff(
        &mut app,
        snapshot("c-sam", "Sam", history.clone(), None, None),
    );
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    type_text(&mut app, "Waarom ben je boos?");
    app.update(Action::Send);
    type_text(&mut app, "x");
    app.update(Action::Send);
    let sent = requests(&mut app);
    let client_id = sent
        .iter()
        .find_map(|r| match r {
            StaffRequest::Send {
                client_id, text, ..
            } if text == "Waarom ben je boos?" => Some(client_id.clone()),
            _ => None,
        })
        .expect("the first send");
    // The second is refused for good: it is not sent again.
    let refused = format!("{:032x}", 2);
    staff(
        &mut app,
        StaffEvent::Error(ErrorReply::new(ErrorCode::Invalid, "nee").for_client_id(&refused)),
    );

    // The line drops before the ack: the message shows as not sent.
    lose_connection(&mut app);
    assert!(matches!(
        app.active_conversation().map(|c| &c.entries[3].delivery),
        Some(Delivery::Failed { .. })
    ));

    // The relay had stored it as seq 4.
    login(&mut app, Role::Counselor);
    let mut stored = history;
    stored.push(message(
        4,
        Party::Counselor,
        "Waarom ben je boos?",
        NOW + 1_000,
    ));
    staff(&mut app, snapshot("c-sam", "Sam", stored, None, None));
    assert!(requests(&mut app).is_empty(), "resent only after synced");
    synced(&mut app, &["c-sam"]);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Send {
            conversation: cid("c-sam"),
            client_id: client_id.clone(),
            text: "Waarom ben je boos?".into(),
        }]
    );
    assert!(notice_text(&app).contains("opnieuw verstuurd"));
    assert!(matches!(
        app.active_conversation().map(|c| &c.entries[4].delivery),
        Some(Delivery::Pending { .. })
    ));

    // The relay acks with the original seq: the message shows once, stored.
    staff(
        &mut app,
        StaffEvent::Ack {
            conversation: cid("c-sam"),
            client_id,
            seq: 4,
            at_ms: NOW + 1_000,
        },
    );
    assert_eq!(
        texts(&app, "c-sam")
            .iter()
            .filter(|t| *t == "Waarom ben je boos?")
            .count(),
        1
    );
    assert_eq!(
        seqs(&app, "c-sam"),
        vec![Some(1), Some(2), Some(3), Some(4), None],
        "the refused message stays, not sent"
    );

    // Another drop and reconnect: nothing is left to resend.
    lose_connection(&mut app);
    login(&mut app, Role::Counselor);
    synced(&mut app, &["c-sam"]);
    assert!(requests(&mut app).is_empty());
}

#[test]
fn a_message_lost_offline_is_resent_too() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, snapshot("c-sam", "Sam", vec![], None, None));
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    type_text(&mut app, "hoi");
    app.update(Action::Send);
    requests(&mut app);
    // The worker found the socket gone and answered "not sent" (`internal`).
    let id = format!("{:032x}", 1);
    staff(
        &mut app,
        StaffEvent::Error(ErrorReply::new(ErrorCode::Internal, "offline").for_client_id(&id)),
    );
    lose_connection(&mut app);
    login(&mut app, Role::Counselor);
    staff(&mut app, snapshot("c-sam", "Sam", vec![], None, None));
    synced(&mut app, &["c-sam"]);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Send {
            conversation: cid("c-sam"),
            client_id: id,
            text: "hoi".into(),
        }]
    );
}

#[test]
fn the_visitor_away_counts_down_and_coming_back_shows_in_the_scrollback() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        snapshot(
            "c-sam",
            "Sam",
            vec![message(1, Party::Visitor, "hallo", NOW)],
            None,
            None,
        ),
    );
    let countdown = |app: &App| {
        app.active_conversation()
            .and_then(|c| app.away_countdown(c))
    };
    assert_eq!(countdown(&app), None);

    staff(
        &mut app,
        StaffEvent::VisitorAway {
            conversation: cid("c-sam"),
            until_ms: NOW + 5 * MINUTE,
        },
    );
    assert_eq!(countdown(&app).as_deref(), Some("5:00"));
    app.update(Action::Tick(NOW + 30_000));
    assert_eq!(countdown(&app).as_deref(), Some("4:30"));
    app.update(Action::Tick(NOW + 3 * MINUTE + 1));
    assert_eq!(countdown(&app).as_deref(), Some("2:00"));
    app.update(Action::Tick(NOW + 6 * MINUTE));
    assert_eq!(countdown(&app).as_deref(), Some("0:00"));

    // The input stays usable: the relay keeps the message for the visitor's return.
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    assert_eq!(app.focus, Focus::Input);
    type_text(&mut app, "ik wacht op je");
    app.update(Action::Send);
    assert!(
        requests(&mut app)
            .iter()
            .any(|r| matches!(r, StaffRequest::Send { .. }))
    );

    staff(
        &mut app,
        StaffEvent::VisitorBack {
            conversation: cid("c-sam"),
        },
    );
    assert_eq!(countdown(&app), None);
    let c = app.active_conversation().expect("Sam");
    let local: Vec<&str> = c
        .entries
        .iter()
        .filter(|e| matches!(e.delivery, Delivery::Local { .. }))
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        local,
        vec!["verbinding met de bezoeker verbroken", "bezoeker is terug"]
    );
    // Local lines are the app's, not the relay's: they stay above our pending message
    // and survive a snapshot.
    assert_eq!(seqs(&app, "c-sam"), vec![Some(1), None, None, None]);
    assert!(matches!(
        c.entries.last().map(|e| &e.delivery),
        Some(Delivery::Pending { .. })
    ));
    staff(
        &mut app,
        snapshot(
            "c-sam",
            "Sam",
            vec![
                message(1, Party::Visitor, "hallo", NOW),
                message(2, Party::Visitor, "sorry, trein", NOW + 7 * MINUTE),
            ],
            None,
            None,
        ),
    );
    assert_eq!(
        texts(&app, "c-sam"),
        vec![
            "hallo",
            "verbinding met de bezoeker verbroken",
            "bezoeker is terug",
            "sorry, trein",
            "ik wacht op je",
        ]
    );
}

#[test]
fn a_snapshot_brings_the_away_state() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        snapshot("c-sam", "Sam", vec![], None, Some(NOW + 90_000)),
    );
    let c = app.active_conversation().expect("Sam");
    assert_eq!(app.away_countdown(c).as_deref(), Some("1:30"));
    // Back while we were offline: the next snapshot has no away time.
    lose_connection(&mut app);
    login(&mut app, Role::Counselor);
    staff(&mut app, snapshot("c-sam", "Sam", vec![], None, None));
    let c = app.active_conversation().expect("Sam");
    assert_eq!(app.away_countdown(c), None);
    assert_eq!(texts(&app, "c-sam"), vec!["bezoeker is terug"]);
    // An ended conversation counts down no more.
    staff(
        &mut app,
        StaffEvent::VisitorAway {
            conversation: cid("c-sam"),
            until_ms: NOW + MINUTE,
        },
    );
    staff(
        &mut app,
        StaffEvent::Ended {
            conversation: cid("c-sam"),
            by: Party::Relay,
            reason: None,
        },
    );
    let c = app.active_conversation().expect("Sam");
    assert_eq!(app.away_countdown(c), None);
}

#[test]
fn a_linked_conversation_names_the_earlier_visitor_when_known() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, snapshot("c-old", "Sam", vec![], None, None));
    staff(
        &mut app,
        snapshot("c-new", "Sam", vec![], Some("c-old"), None),
    );
    staff(
        &mut app,
        snapshot("c-other", "Kim", vec![], Some("c-unknown"), None),
    );
    let linked = |app: &App, id: &str| {
        app.conversations
            .iter()
            .find(|c| c.id == cid(id))
            .and_then(|c| c.linked.clone())
            .map(|l| (l.conversation, l.nickname))
    };
    assert_eq!(linked(&app, "c-old"), None);
    assert_eq!(
        linked(&app, "c-new"),
        Some((cid("c-old"), Some("Sam".into())))
    );
    assert_eq!(linked(&app, "c-other"), Some((cid("c-unknown"), None)));
    assert!(
        chathulp::strings::linked_notice(Some("Sam"))
            .starts_with("Waarschijnlijk dezelfde bezoeker als in je eerdere gesprek met Sam.")
    );

    // The earlier conversation is closed in the list; a later snapshot keeps the name.
    app.update(Action::JumpConversation(1));
    staff(
        &mut app,
        StaffEvent::Ended {
            conversation: cid("c-old"),
            by: Party::Visitor,
            reason: None,
        },
    );
    app.update(Action::EndConversation);
    assert!(app.conversations.iter().all(|c| c.id != cid("c-old")));
    staff(
        &mut app,
        snapshot("c-new", "Sam", vec![], Some("c-old"), None),
    );
    assert_eq!(
        linked(&app, "c-new"),
        Some((cid("c-old"), Some("Sam".into())))
    );
}

#[test]
fn quitting_signs_out_before_closing() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, snapshot("c-sam", "Sam", vec![], None, None));
    app.update(Action::Quit);
    app.update(Action::Confirm);
    assert!(app.should_quit);
    assert_eq!(
        app.take_commands(),
        vec![NetCommand::Request(StaffRequest::Logout), NetCommand::Close]
    );

    // Offline there is no session to sign out of.
    let mut app = self::app();
    login(&mut app, Role::Counselor);
    lose_connection(&mut app);
    app.update(Action::Quit);
    assert!(app.should_quit);
    assert_eq!(app.take_commands(), vec![NetCommand::Close]);
}

#[test]
fn a_gap_in_the_messages_is_filled_from_history() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        snapshot(
            "c-sam",
            "Sam",
            vec![
                message(1, Party::Visitor, "een", NOW),
                message(2, Party::Counselor, "twee", NOW),
            ],
            None,
            None,
        ),
    );
    staff(&mut app, snapshot("c-kim", "Kim", vec![], None, None));
    app.update(Action::JumpConversation(2));
    // The next one in line asks for nothing.
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-sam"),
            message: message(3, Party::Visitor, "drie", NOW),
        },
    );
    assert!(requests(&mut app).is_empty());
    // Seq 4 and 5 went missing.
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-sam"),
            message: message(6, Party::Visitor, "zes", NOW),
        },
    );
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::History {
            conversation: cid("c-sam"),
            after_seq: 3,
            before_seq: None,
            limit: None,
        }]
    );
    staff(
        &mut app,
        StaffEvent::History {
            conversation: cid("c-sam"),
            messages: vec![
                message(4, Party::Counselor, "vier", NOW),
                message(5, Party::Visitor, "vijf", NOW),
                message(6, Party::Visitor, "zes", NOW),
            ],
        },
    );
    assert_eq!(
        texts(&app, "c-sam"),
        vec!["een", "twee", "drie", "vier", "vijf", "zes"]
    );
    // Sam is not the active conversation: the visitor messages count as unread, once.
    let sam = app
        .conversations
        .iter()
        .find(|c| c.id == cid("c-sam"))
        .expect("Sam");
    assert_eq!(sam.unread, 3, "drie, zes and vijf");
    assert!(requests(&mut app).is_empty());
}

// ---- older scrollback, fetched on demand -----------------------------------------------

/// The `history` requests for older pages among what the app queued.
fn page_requests(app: &mut App) -> Vec<StaffRequest> {
    requests(app)
        .into_iter()
        .filter(|r| {
            matches!(
                r,
                StaffRequest::History {
                    before_seq: Some(_),
                    ..
                }
            )
        })
        .collect()
}

fn sam(app: &App) -> &chathulp::app::Conversation {
    app.conversations
        .iter()
        .find(|c| c.id == cid("c-sam"))
        .expect("Sam's conversation")
}

fn stored_seqs(app: &App) -> Vec<u64> {
    seqs(app, "c-sam").into_iter().flatten().collect()
}

/// Sam's conversation, 400 messages long on the relay; the snapshot holds 201..=400.
fn long_conversation() -> App {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        snapshot_of("c-sam", "Sam", numbered(201..=400), true),
    );
    requests(&mut app);
    app
}

/// Presses PgUp until the app asks for an older page (at most `limit` times); returns
/// the requests and how many presses it took.
fn scroll_to_the_top(app: &mut App, limit: usize) -> (Vec<StaffRequest>, usize) {
    for presses in 1..=limit {
        press(app, KeyCode::PageUp, KeyModifiers::NONE);
        let asked = page_requests(app);
        if !asked.is_empty() {
            return (asked, presses);
        }
    }
    (Vec::new(), limit)
}

#[test]
fn scrolling_to_the_top_asks_for_the_page_before_the_oldest_message_once() {
    let mut app = long_conversation();
    assert_eq!(sam(&app).older, Older::OnRelay);
    // The first steps up stay inside what the app holds.
    press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    assert!(page_requests(&mut app).is_empty());
    let (asked, presses) = scroll_to_the_top(&mut app, 100);
    assert!(presses > 5, "asked after {presses} presses: too early");
    assert_eq!(
        asked,
        vec![StaffRequest::History {
            conversation: cid("c-sam"),
            after_seq: 0,
            before_seq: Some(201),
            limit: Some(HISTORY_PAGE as u32),
        }]
    );
    assert_eq!(sam(&app).older, Older::Loading { before_seq: 201 });
    // While it is on its way, more presses ask for nothing, and the view stays at the top.
    let top = sam(&app).scroll;
    for _ in 0..5 {
        press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    }
    assert!(page_requests(&mut app).is_empty());
    assert_eq!(sam(&app).scroll, top, "never scrolled past the top");
}

#[test]
fn a_page_merges_in_seq_order_once_and_the_first_message_shows_the_beginning() {
    let mut app = long_conversation();
    let (asked, _) = scroll_to_the_top(&mut app, 100);
    assert_eq!(asked.len(), 1);
    let scroll = sam(&app).scroll;
    // A live message arrives meanwhile, and the page, sent out of order.
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-sam"),
            message: numbered(401..=401).remove(0),
        },
    );
    let mut page = numbered(1..=200);
    page.reverse();
    staff(
        &mut app,
        StaffEvent::History {
            conversation: cid("c-sam"),
            messages: page,
        },
    );
    assert_eq!(stored_seqs(&app), (1..=401).collect::<Vec<_>>());
    // It ended at seq 1: nothing older is left, and scrolling on asks for nothing.
    assert_eq!(sam(&app).older, Older::Start);
    assert_eq!(
        sam(&app).scroll,
        scroll,
        "counted from the bottom, the view stays where it was"
    );
    assert_eq!(sam(&app).unread, 0, "old messages are not unread");
    for _ in 0..100 {
        press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    }
    assert!(page_requests(&mut app).is_empty());
    // The same page again (a resend) adds nothing.
    staff(
        &mut app,
        StaffEvent::History {
            conversation: cid("c-sam"),
            messages: numbered(1..=200),
        },
    );
    assert_eq!(stored_seqs(&app), (1..=401).collect::<Vec<_>>());
}

#[test]
fn a_short_page_means_the_beginning_a_full_one_means_more() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        snapshot_of("c-sam", "Sam", numbered(451..=650), true),
    );
    let (asked, _) = scroll_to_the_top(&mut app, 100);
    assert_eq!(asked.len(), 1);
    staff(
        &mut app,
        StaffEvent::History {
            conversation: cid("c-sam"),
            messages: numbered(251..=450),
        },
    );
    assert_eq!(sam(&app).older, Older::OnRelay, "a full page: maybe more");
    let (asked, _) = scroll_to_the_top(&mut app, 100);
    assert!(
        matches!(
            asked.as_slice(),
            [StaffRequest::History {
                before_seq: Some(251),
                ..
            }]
        ),
        "{asked:?}"
    );
    // The relay's messages need not start at 1: a short page is the beginning too.
    staff(
        &mut app,
        StaffEvent::History {
            conversation: cid("c-sam"),
            messages: numbered(240..=250),
        },
    );
    assert_eq!(sam(&app).older, Older::Start);
    assert_eq!(stored_seqs(&app), (240..=650).collect::<Vec<_>>());
}

#[test]
fn back_at_the_bottom_the_loaded_pages_go_and_live_messages_stay() {
    let mut app = long_conversation();
    scroll_to_the_top(&mut app, 100);
    staff(
        &mut app,
        StaffEvent::History {
            conversation: cid("c-sam"),
            messages: numbered(1..=200),
        },
    );
    // Scrolled up, the live messages keep coming and nothing is dropped.
    for seq in 401..=450 {
        staff(
            &mut app,
            StaffEvent::Message {
                conversation: cid("c-sam"),
                message: numbered(seq..=seq).remove(0),
            },
        );
    }
    assert_eq!(stored_seqs(&app), (1..=450).collect::<Vec<_>>());
    assert!(sam(&app).scroll > 0);
    // Back at the bottom: one page remains, the newest, and the rest is on the relay again.
    for _ in 0..200 {
        press(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
    }
    assert_eq!(sam(&app).scroll, 0);
    assert_eq!(stored_seqs(&app), (251..=450).collect::<Vec<_>>());
    assert_eq!(sam(&app).older, Older::OnRelay);
    // And scrolling up fetches them again, before the oldest now held.
    let (asked, _) = scroll_to_the_top(&mut app, 100);
    assert!(
        matches!(
            asked.as_slice(),
            [StaffRequest::History {
                before_seq: Some(251),
                ..
            }]
        ),
        "{asked:?}"
    );
}

#[test]
fn in_live_view_a_conversation_holds_at_most_two_pages() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        snapshot_of("c-sam", "Sam", numbered(1..=100), false),
    );
    assert_eq!(sam(&app).older, Older::Nothing);
    for seq in 101..=(LIVE_WINDOW as u64) {
        staff(
            &mut app,
            StaffEvent::Message {
                conversation: cid("c-sam"),
                message: numbered(seq..=seq).remove(0),
            },
        );
    }
    assert_eq!(sam(&app).stored_count(), LIVE_WINDOW);
    assert_eq!(sam(&app).older, Older::Nothing);
    // Our own message, not acknowledged yet.
    app.focus = Focus::Input;
    type_text(&mut app, "nog even");
    app.update(Action::Send);
    // One more, and the oldest go: one page remains.
    let next = LIVE_WINDOW as u64 + 1;
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-sam"),
            message: numbered(next..=next).remove(0),
        },
    );
    let first = next - HISTORY_PAGE as u64 + 1;
    assert_eq!(stored_seqs(&app), (first..=next).collect::<Vec<_>>());
    assert_eq!(sam(&app).older, Older::OnRelay);
    // Our own unacknowledged message is never dropped.
    assert_eq!(
        texts(&app, "c-sam").last().map(String::as_str),
        Some("nog even")
    );
}

#[test]
fn a_page_that_will_not_come_is_asked_again_and_a_late_one_leaves_no_hole() {
    let mut app = long_conversation();
    scroll_to_the_top(&mut app, 100);
    lose_connection(&mut app);
    assert_eq!(sam(&app).older, Older::OnRelay);
    // Signed in again: the next press at the top asks again.
    login(&mut app, Role::Counselor);
    press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    assert_eq!(page_requests(&mut app).len(), 1);
    // The counselor goes back down before it arrives: the page is not wanted any more.
    for _ in 0..200 {
        press(&mut app, KeyCode::PageDown, KeyModifiers::NONE);
    }
    staff(
        &mut app,
        StaffEvent::History {
            conversation: cid("c-sam"),
            messages: numbered(1..=200),
        },
    );
    assert_eq!(stored_seqs(&app), (201..=400).collect::<Vec<_>>());
    assert_eq!(sam(&app).older, Older::OnRelay);
    // A relay refusal (errors name no request) frees the next press too.
    scroll_to_the_top(&mut app, 100);
    staff(
        &mut app,
        StaffEvent::Error(ErrorReply::new(ErrorCode::NotFound, "conversation")),
    );
    press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    assert_eq!(page_requests(&mut app).len(), 1);
}
