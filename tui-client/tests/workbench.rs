//! The workbench tools through `App::update`: the hotlist, notes, transfer, wrap-up,
//! reveal and block confirmations, reveal decisions and the read-only supervisor.

mod common;

use chathulp::action::Action;
use chathulp::app::{Compose, Popup, QueueRow};
use chathulp::net::NetCommand;
use chathulp_shared::staff::{
    CounselorLoad, InternalNote, LiveConversation, PendingWrapUp, RevealRequest, RevealState,
    ServiceDashboard, StaffEvent, StaffRequest, StaffSettings,
};
use chathulp_shared::{Party, Role, ServiceStatus};
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

fn with_topics() -> StaffSettings {
    StaffSettings {
        topics: vec!["relaties".into(), "school".into(), "geweld".into()],
        ..settings()
    }
}

/// Three conversations: Sam (answered), Kim (visitor waits since NOW+2m), Lou
/// (visitor waits since NOW+1m). Sam is active.
fn three(app: &mut chathulp::app::App) {
    login_with(app, Role::Counselor, with_topics());
    staff(
        app,
        conversation(
            "c-sam",
            "caw",
            "Sam",
            sam_intake(),
            NOW,
            vec![
                message(1, Party::Visitor, "hoi", NOW),
                message(2, Party::Counselor, "dag Sam", NOW + MINUTE),
            ],
        ),
    );
    staff(
        app,
        conversation(
            "c-kim",
            "jac",
            "Kim",
            kim_intake(),
            NOW,
            vec![message(1, Party::Visitor, "hallo", NOW + 2 * MINUTE)],
        ),
    );
    staff(
        app,
        conversation(
            "c-lou",
            "jac",
            "Lou",
            kim_intake(),
            NOW,
            vec![message(1, Party::Visitor, "help", NOW + MINUTE)],
        ),
    );
    requests(app);
}

#[test]
fn hotlist_orders_emergency_then_longest_unanswered_then_the_rest() {
    let mut app = app();
    three(&mut app);
    assert_eq!(app.active, Some(cid("c-sam")));
    // Lou waits longest for an answer, then Kim; Sam is answered.
    assert_eq!(
        app.hotlist(),
        vec![cid("c-lou"), cid("c-kim"), cid("c-sam")]
    );

    // A pending reveal in Kim's conversation goes first.
    staff(
        &mut app,
        StaffEvent::Reveal {
            conversation: cid("c-kim"),
            request: Box::new(reveal_request(7, "c-kim", RevealState::Pending)),
            ip: None,
        },
    );
    assert_eq!(
        app.hotlist(),
        vec![cid("c-kim"), cid("c-lou"), cid("c-sam")]
    );

    // Alt-a jumps to the first that is not in view.
    press(&mut app, KeyCode::Char('a'), KeyModifiers::ALT);
    assert_eq!(app.active, Some(cid("c-kim")));
    press(&mut app, KeyCode::Char('a'), KeyModifiers::ALT);
    assert_eq!(app.active, Some(cid("c-lou")));
}

#[test]
fn unread_counts_only_conversations_out_of_view_and_clear_on_view() {
    let mut app = app();
    three(&mut app);
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-kim"),
            message: message(2, Party::Visitor, "ben je daar?", NOW + 3 * MINUTE),
        },
    );
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-sam"),
            message: message(3, Party::Visitor, "ok", NOW + 3 * MINUTE),
        },
    );
    let unread = |app: &chathulp::app::App, id: &str| {
        app.conversations
            .iter()
            .find(|c| c.id == cid(id))
            .map(|c| c.unread)
    };
    assert_eq!(unread(&app, "c-kim"), Some(1));
    assert_eq!(unread(&app, "c-sam"), Some(0));
    press(&mut app, KeyCode::Char('2'), KeyModifiers::ALT);
    assert_eq!(app.active, Some(cid("c-kim")));
    assert_eq!(unread(&app, "c-kim"), Some(0));
}

#[test]
fn a_note_goes_to_the_relay_as_a_note_never_as_a_message() {
    let mut app = app();
    three(&mut app);
    app.update(Action::AddNote);
    type_text_popup(&mut app, "let op: broer");
    app.update(Action::Accept);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Note {
            conversation: cid("c-sam"),
            text: "let op: broer".into(),
        }]
    );
    staff(
        &mut app,
        StaffEvent::NoteAdded {
            conversation: cid("c-sam"),
            note: InternalNote {
                author: "an".into(),
                text: "let op: broer\u{1b}[31m".into(),
                at_ms: NOW + 2 * MINUTE,
            },
        },
    );
    let c = app.active_conversation().map(|c| c.notes.clone());
    assert_eq!(c.map(|n| n[0].text.contains('\u{1b}')), Some(false));
}

#[test]
fn transfer_picks_a_colleague_with_room_and_sends_the_handover_note() {
    let mut app = app();
    three(&mut app);
    staff(
        &mut app,
        StaffEvent::Staff {
            counselors: vec![load("an", 3, 3), load("bo", 3, 3), load("cas", 1, 3)],
        },
    );
    app.update(Action::Transfer);
    assert!(matches!(app.popup, Some(Popup::PickColleague { .. })));
    app.update(Action::Accept);
    type_text_popup(&mut app, "loopt goed");
    app.update(Action::Accept);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Transfer {
            conversation: cid("c-sam"),
            to: "cas".into(),
            note: "loopt goed".into(),
        }]
    );
    staff(
        &mut app,
        StaffEvent::Transferred {
            conversation: cid("c-sam"),
            to: "cas".into(),
        },
    );
    assert!(app.conversations.iter().all(|c| c.id != cid("c-sam")));
}

#[test]
fn ending_opens_the_wrap_up_which_can_be_postponed_and_finished_from_the_list() {
    let mut app = app();
    three(&mut app);
    staff(
        &mut app,
        StaffEvent::Ended {
            conversation: cid("c-sam"),
            by: Party::Counselor,
            reason: None,
        },
    );
    assert!(matches!(app.popup, Some(Popup::WrapUp(_))));
    // Esc postpones: nothing is sent, and the relay keeps it on the list.
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(app.popup, None);
    assert!(requests(&mut app).is_empty());
    staff(
        &mut app,
        StaffEvent::ToRegister {
            conversations: vec![PendingWrapUp {
                conversation: cid("c-sam"),
                service: sid("caw"),
                nickname: "Sam".into(),
                ended_at_ms: NOW + 5 * MINUTE,
            }],
        },
    );
    app.update(Action::ShowToRegister);
    assert_eq!(app.popup, Some(Popup::ToRegister { selected: 0 }));
    app.update(Action::Accept);
    // Tick the second topic, write a note, save.
    app.update(Action::MoveDown);
    press(&mut app, KeyCode::Tab, KeyModifiers::NONE);
    type_text_popup(&mut app, "verwezen naar CAW");
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::WrapUp {
            conversation: cid("c-sam"),
            topics: vec!["school".into()],
            notes: "verwezen naar CAW".into(),
        }]
    );
    assert!(app.to_register.is_empty());
    assert_eq!(app.popup, None);
}

#[test]
fn reveal_needs_a_reason_and_a_confirmation_then_shows_pending_and_the_ip() {
    let mut app = app();
    three(&mut app);
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert!(matches!(
        app.popup,
        Some(Popup::Compose {
            purpose: Compose::Reveal(_),
            ..
        })
    ));
    // No reason: refused, nothing sent.
    app.update(Action::Accept);
    assert!(requests(&mut app).is_empty());
    type_text_popup(&mut app, "zelfmoordplan vanavond");
    app.update(Action::Accept);
    assert!(matches!(app.popup, Some(Popup::ConfirmCompose { .. })));
    assert!(requests(&mut app).is_empty(), "nothing goes before the yes");
    press_char(&mut app, 'y');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::RequestReveal {
            conversation: cid("c-sam"),
            reason: "zelfmoordplan vanavond".into(),
        }]
    );
    let state = |app: &chathulp::app::App| app.active_conversation().and_then(|c| c.reveal.clone());
    assert_eq!(state(&app).map(|r| r.state), Some(RevealState::Pending));
    staff(
        &mut app,
        StaffEvent::Reveal {
            conversation: cid("c-sam"),
            request: Box::new(reveal_request(7, "c-sam", RevealState::Approved)),
            ip: Some("192.0.2.5".into()),
        },
    );
    assert_eq!(state(&app).and_then(|r| r.ip), Some("192.0.2.5".into()));
    assert!(app.bell);
}

#[test]
fn block_asks_a_reason_and_can_be_cancelled_at_the_confirmation() {
    let mut app = app();
    three(&mut app);
    press(&mut app, KeyCode::Char('B'), KeyModifiers::SHIFT);
    type_text_popup(&mut app, "bedreigingen");
    app.update(Action::Accept);
    press_char(&mut app, 'n');
    assert_eq!(app.popup, None);
    assert!(requests(&mut app).is_empty());

    press(&mut app, KeyCode::Char('B'), KeyModifiers::SHIFT);
    type_text_popup(&mut app, "bedreigingen");
    app.update(Action::Accept);
    press_char(&mut app, 'y');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Block {
            conversation: cid("c-sam"),
            reason: "bedreigingen".into(),
        }]
    );
}

#[test]
fn supervisor_watches_read_only_and_is_offered_no_write_keys() {
    let mut app = app();
    login(&mut app, Role::Supervisor);
    staff(&mut app, queue());
    staff(&mut app, dashboard());
    // The live conversation is a row of the queue pane.
    assert!(
        app.queue_rows()
            .contains(&QueueRow::Live(sid("caw"), cid("c-sam")))
    );
    while app.queue_cursor != Some(QueueRow::Live(sid("caw"), cid("c-sam"))) {
        app.update(Action::MoveDown);
    }
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Watch {
            conversation: cid("c-sam")
        }]
    );
    let mut watched = conversation("c-sam", "caw", "Sam", sam_intake(), NOW, vec![]);
    if let StaffEvent::Conversation {
        watching,
        counselor,
        ..
    } = &mut watched
    {
        *watching = true;
        *counselor = Some("bo".into());
    }
    staff(&mut app, watched);
    assert_eq!(app.active, Some(cid("c-sam")));
    // Typing, notes, reveal, block, end: none of them sends anything.
    for key in ['x', 'n', 'R', 'B', 'e', 'g'] {
        press_char(&mut app, key);
    }
    app.update(Action::AddNote);
    app.update(Action::BlockVisitor);
    app.update(Action::Send);
    assert!(requests(&mut app).is_empty());
    assert!(!app.can_write());
    // u stops watching.
    press_char(&mut app, 'u');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Unwatch {
            conversation: cid("c-sam")
        }]
    );
}

#[test]
fn a_new_reveal_request_rings_for_supervisors_but_only_admins_decide() {
    let mut sup = app();
    login(&mut sup, Role::Supervisor);
    staff(
        &mut sup,
        StaffEvent::Reveals {
            requests: vec![reveal_request(7, "c-sam", RevealState::Pending)],
        },
    );
    assert!(sup.bell);
    assert_eq!(sup.pending_reveals(), 1);
    press_char(&mut sup, 'v');
    assert_eq!(sup.popup, Some(Popup::Reveals { selected: 0 }));
    press_char(&mut sup, 'a');
    assert_eq!(sup.popup, Some(Popup::Reveals { selected: 0 }));
    assert!(requests(&mut sup).is_empty());

    let mut admin = app();
    login(&mut admin, Role::Admin);
    staff(
        &mut admin,
        StaffEvent::Reveals {
            requests: vec![reveal_request(7, "c-sam", RevealState::Pending)],
        },
    );
    press_char(&mut admin, 'v');
    press_char(&mut admin, 'x');
    type_text_popup(&mut admin, "geen acuut gevaar");
    app_accept(&mut admin);
    assert_eq!(
        requests(&mut admin),
        vec![StaffRequest::DecideReveal {
            request: 7,
            approve: false,
            reason: "geen acuut gevaar".into(),
        }]
    );
}

#[test]
fn a_keymap_with_another_hotlist_key_drops_the_default_one() {
    let keys = chathulp::keymap::KeyConfig {
        hotlist: vec![chathulp::keymap::KeyPress::ctrl('g')],
        ..Default::default()
    };
    let mut app = chathulp::app::App::new(chathulp::app::AppOptions { keys, ..options() });
    three(&mut app);
    press(&mut app, KeyCode::Char('a'), KeyModifiers::ALT);
    assert_eq!(app.active, Some(cid("c-sam")), "the old key does nothing");
    press(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(app.active, Some(cid("c-lou")));
}

fn options() -> chathulp::app::AppOptions {
    chathulp::app::AppOptions {
        user: "an".into(),
        server: "wss://127.0.0.1:8443".into(),
        now_ms: NOW,
        color: false,
        client_ids: chathulp::app::ClientIds::Sequential(0),
        keys: chathulp::keymap::KeyConfig::default(),
    }
}

fn app_accept(app: &mut chathulp::app::App) {
    press(app, KeyCode::Enter, KeyModifiers::NONE);
}

/// Types into the open popup, key by key, through the keymap.
fn type_text_popup(app: &mut chathulp::app::App, text: &str) {
    for c in text.chars() {
        press_char(app, c);
    }
}

fn load(user: &str, load: u32, capacity: u32) -> CounselorLoad {
    CounselorLoad {
        user: user.into(),
        load,
        capacity,
    }
}

fn reveal_request(id: u64, conversation: &str, state: RevealState) -> RevealRequest {
    RevealRequest {
        id,
        conversation: cid(conversation),
        service: sid("caw"),
        counselor: "an".into(),
        reason: "zelfmoordplan vanavond".into(),
        requested_at_ms: NOW,
        state,
        decided_by: None,
        decision_reason: None,
        decided_at_ms: None,
    }
}

pub fn dashboard() -> StaffEvent {
    StaffEvent::Dashboard {
        services: vec![ServiceDashboard {
            service: sid("caw"),
            name: "CAW".into(),
            status: ServiceStatus::Online,
            waiting: 1,
            longest_waiting_since_ms: Some(NOW - 4 * MINUTE),
            in_progress: vec![LiveConversation {
                conversation: cid("c-sam"),
                counselor: "bo".into(),
                nickname: "Sam".into(),
                started_at_ms: NOW - 12 * MINUTE,
            }],
            today_conversations: 5,
            today_mean_wait_ms: Some(3 * MINUTE),
        }],
    }
}
