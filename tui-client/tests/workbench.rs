//! The workbench tools through `App::update`: the hotlist, notes, transfer, wrap-up,
//! reveal and block confirmations, reveal decisions and the read-only supervisor.

mod common;

use chathulp::action::Action;
use chathulp::app::{Compose, Popup, QueueRow};
use chathulp::net::NetCommand;
use chathulp_shared::staff::{
    AccountInfo, BlockInfo, CounselorLoad, InternalNote, LiveConversation, PendingWrapUp,
    PreviewMessage, RevealRequest, RevealState, ServiceDashboard, StaffEvent, StaffRequest,
    StaffSettings,
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
    // A transfer changes something for the visitor: it asks first.
    assert!(matches!(app.popup, Some(Popup::ConfirmCompose { .. })));
    assert!(requests(&mut app).is_empty());
    app.update(Action::Confirm);
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
    press_char(&mut app, 'Y');
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
    press_char(&mut app, 'Y');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Block {
            conversation: cid("c-sam"),
            reason: "bedreigingen".into(),
        }]
    );
}

#[test]
fn p_asks_the_relay_for_the_anonymised_transcript_and_shows_only_that_conversations() {
    let mut app = app();
    three(&mut app);
    press(&mut app, KeyCode::Char('P'), KeyModifiers::SHIFT);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::AnonymisedPreview {
            conversation: cid("c-sam"),
        }]
    );
    assert!(matches!(
        &app.popup,
        Some(Popup::Preview { messages: None, .. })
    ));
    let line = |text: &str| PreviewMessage {
        from: Party::Visitor,
        at_ms: NOW,
        text: text.into(),
    };
    // Another conversation's answer (a preview closed and opened elsewhere) is ignored.
    staff(
        &mut app,
        StaffEvent::AnonymisedPreview {
            conversation: cid("c-kim"),
            messages: vec![line("niet dit")],
        },
    );
    assert!(matches!(
        &app.popup,
        Some(Popup::Preview { messages: None, .. })
    ));
    staff(
        &mut app,
        StaffEvent::AnonymisedPreview {
            conversation: cid("c-sam"),
            messages: vec![line("[naam 1] zei dat ik moest bellen")],
        },
    );
    match &app.popup {
        Some(Popup::Preview {
            conversation,
            messages: Some(messages),
            ..
        }) => {
            assert_eq!(conversation, &cid("c-sam"));
            assert_eq!(messages, &vec![line("[naam 1] zei dat ik moest bellen")]);
        }
        other => panic!("expected the filled preview, got {other:?}"),
    }
    // Nothing in it sends anything; Esc closes it.
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(app.popup, None);
    assert!(requests(&mut app).is_empty());
}

/// Issue 18: after the chat has ended, during wrap-up, a name can still be tagged: with
/// Alt-m from the registration form (where `m` is a letter of the notes), which then
/// comes back as it was; and with `m` or `P` on the ended conversation.
#[test]
fn a_name_can_be_tagged_after_the_end_from_the_wrap_up_form_and_the_ended_conversation() {
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
    let Some(Popup::WrapUp(form)) = app.popup.clone() else {
        panic!("the wrap-up form opens: {:?}", app.popup);
    };
    assert_eq!(form.conversation, cid("c-sam"));
    app.update(Action::ToggleTopic);
    press_char(&mut app, 'm');
    let Some(Popup::WrapUp(typed)) = app.popup.clone() else {
        panic!("m is a letter of the notes: {:?}", app.popup);
    };
    assert_eq!(typed.notes, "m");
    press(&mut app, KeyCode::Char('m'), KeyModifiers::ALT);
    assert_eq!(
        app.popup,
        Some(Popup::Compose {
            purpose: Compose::TagName(cid("c-sam")),
            text: String::new(),
        })
    );
    type_text_popup(&mut app, "Jonas");
    app.update(Action::Accept);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::TagName {
            conversation: cid("c-sam"),
            name: "Jonas".into(),
        }]
    );
    assert_eq!(
        app.popup,
        Some(Popup::WrapUp(typed.clone())),
        "form as it was"
    );

    // Esc on the name also goes back to the form, and sends nothing.
    press(&mut app, KeyCode::Char('m'), KeyModifiers::ALT);
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(app.popup, Some(Popup::WrapUp(typed)));
    assert!(requests(&mut app).is_empty());

    // Postponed, the ended conversation still takes `m` and `P`.
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert_eq!(app.popup, None);
    app.focus = chathulp::app::Focus::Conversations;
    press_char(&mut app, 'm');
    type_text_popup(&mut app, "Mila");
    app.update(Action::Accept);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::TagName {
            conversation: cid("c-sam"),
            name: "Mila".into(),
        }]
    );
    press_char(&mut app, 'P');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::AnonymisedPreview {
            conversation: cid("c-sam"),
        }]
    );
}

#[test]
fn m_tags_a_name_for_the_anonymiser_and_the_conversation_keeps_the_tagged_names() {
    let mut app = app();
    three(&mut app);
    press_char(&mut app, 'm');
    assert!(matches!(
        app.popup,
        Some(Popup::Compose {
            purpose: Compose::TagName(_),
            ..
        })
    ));
    // No name: refused, nothing sent.
    app.update(Action::Accept);
    assert!(requests(&mut app).is_empty());
    type_text_popup(&mut app, "  Jonas Peeters ");
    app.update(Action::Accept);
    // Nothing is destroyed, so no confirmation: it goes at once, trimmed.
    assert_eq!(app.popup, None);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::TagName {
            conversation: cid("c-sam"),
            name: "Jonas Peeters".into(),
        }]
    );
    // The relay's list is what the conversation shows, sanitized.
    staff(
        &mut app,
        StaffEvent::NamesTagged {
            conversation: cid("c-sam"),
            names: vec!["Jonas Peeters".into(), "Mi\u{1b}]0;x\u{7}la".into()],
        },
    );
    let names = app
        .active_conversation()
        .map(|c| c.tagged_names.clone())
        .unwrap_or_default();
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], "Jonas Peeters");
    assert!(
        !names[1].chars().any(char::is_control),
        "sanitized: {names:?}"
    );
    // A snapshot after a reconnect carries them too.
    let mut again = conversation("c-sam", "caw", "Sam", sam_intake(), NOW, vec![]);
    if let StaffEvent::Conversation { tagged_names, .. } = &mut again {
        *tagged_names = vec!["Mila".into()];
    }
    staff(&mut app, again);
    assert_eq!(
        app.active_conversation().map(|c| c.tagged_names.clone()),
        Some(vec!["Mila".to_owned()])
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
    // Typing, notes, reveal, block, end, tagging a name: none of them sends anything.
    for key in ['x', 'n', 'R', 'B', 'e', 'g', 'm'] {
        press_char(&mut app, key);
    }
    app.update(Action::AddNote);
    app.update(Action::BlockVisitor);
    app.update(Action::TagName);
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
fn a_keymap_file_with_another_hotlist_key_drops_the_default_one_in_keys_and_footer() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join(chathulp::keyfile::FILE),
        "hotlist = [\"Ctrl-g\"]\n",
    )
    .expect("write keys.toml");
    let keys = chathulp::keymap::KeyConfig::load(dir.path()).expect("keys.toml");
    let mut app = chathulp::app::App::new(chathulp::app::AppOptions { keys, ..options() });
    three(&mut app);
    app.focus = chathulp::app::Focus::Conversations;
    let footer = app.keys.footer(&app.key_context());
    let hotlist = chathulp::strings::keys::HOTLIST_SHORT;
    assert!(footer.contains(&("Ctrl-g".into(), hotlist)), "{footer:?}");
    let help: Vec<String> = app
        .keys
        .bindings()
        .iter()
        .filter(|b| b.help == chathulp::strings::keys::HOTLIST)
        .flat_map(|b| b.keys.iter().map(|k| k.label()))
        .collect();
    assert_eq!(help, vec!["Ctrl-g"]);
    press(&mut app, KeyCode::Char('a'), KeyModifiers::ALT);
    assert_eq!(app.active, Some(cid("c-sam")), "the old key does nothing");
    press(&mut app, KeyCode::Char('g'), KeyModifiers::CONTROL);
    assert_eq!(app.active, Some(cid("c-lou")));
}

/// An administrator with the account list open, as the relay answered it.
fn admin_desk(app: &mut chathulp::app::App) {
    login(app, Role::Admin);
    requests(app);
    press(app, KeyCode::Char('A'), KeyModifiers::SHIFT);
    assert_eq!(requests(app), vec![StaffRequest::ListAccounts]);
    staff(
        app,
        StaffEvent::Accounts {
            accounts: vec![
                account("an", Role::Counselor),
                account("bo", Role::Supervisor),
            ],
        },
    );
}

#[test]
fn an_admin_creates_an_account_by_name_and_role_and_sees_its_password_once() {
    let mut app = app();
    admin_desk(&mut app);
    press_char(&mut app, 'n');
    type_text_popup(&mut app, "lotte");
    app_accept(&mut app);
    assert!(matches!(app.popup, Some(Popup::PickRole { .. })));
    press_char(&mut app, 'j');
    app_accept(&mut app);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::CreateAccount {
            user: "lotte".into(),
            role: Role::Supervisor,
        }]
    );
    staff(
        &mut app,
        StaffEvent::AccountSecret {
            user: "lotte".into(),
            password: "kaas-tulp-9317".into(),
        },
    );
    assert!(matches!(app.popup, Some(Popup::AccountSecret { .. })));
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(matches!(app.popup, Some(Popup::Accounts { .. })));
    assert!(
        !format!("{app:?}").contains("kaas-tulp-9317"),
        "the password is forgotten once its popup closes"
    );
}

#[test]
fn resetting_a_password_and_disabling_an_account_are_confirmed_first() {
    let mut app = app();
    admin_desk(&mut app);
    press_char(&mut app, 'j');
    press_char(&mut app, 'r');
    press_char(&mut app, 'n');
    assert_eq!(
        app.popup,
        Some(Popup::Accounts { selected: 1 }),
        "back on bo's row"
    );
    assert!(requests(&mut app).is_empty(), "cancelled: nothing goes out");

    press_char(&mut app, 'r');
    press_char(&mut app, 'y');
    press_char(&mut app, 'd');
    press_char(&mut app, 'y');
    assert_eq!(
        requests(&mut app),
        vec![
            StaffRequest::ResetPassword { user: "bo".into() },
            StaffRequest::SetAccountDisabled {
                user: "bo".into(),
                disabled: true,
            },
        ]
    );
}

#[test]
fn lifting_a_block_needs_a_reason_and_a_confirmation() {
    let mut app = app();
    admin_desk(&mut app);
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    press_char(&mut app, 'b');
    assert_eq!(requests(&mut app), vec![StaffRequest::ListBlocks]);
    staff(
        &mut app,
        StaffEvent::Blocks {
            blocks: vec![block(3)],
        },
    );
    press_char(&mut app, 'l');
    app_accept(&mut app);
    assert!(
        matches!(app.popup, Some(Popup::Compose { .. })),
        "no reason, no lift"
    );
    type_text_popup(&mut app, "vergissing");
    app_accept(&mut app);
    assert!(requests(&mut app).is_empty(), "not before the yes");
    press_char(&mut app, 'Y');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::LiftBlock {
            block: 3,
            reason: "vergissing".into(),
        }]
    );
}

#[test]
fn only_administrators_get_the_account_and_block_desk() {
    for role in [Role::Counselor, Role::Supervisor] {
        let mut app = app();
        login(&mut app, role);
        requests(&mut app);
        press(&mut app, KeyCode::Char('A'), KeyModifiers::SHIFT);
        app.update(Action::ShowBlocks);
        assert!(requests(&mut app).is_empty(), "{role:?}");
        assert_eq!(app.popup, None, "{role:?}");
    }
}

fn account(user: &str, role: Role) -> AccountInfo {
    AccountInfo {
        user: user.into(),
        role,
        disabled: false,
        created_at_ms: NOW,
    }
}

fn block(id: u64) -> BlockInfo {
    BlockInfo {
        id,
        service: sid("caw"),
        conversation: cid("c-sam"),
        counselor: "an".into(),
        reason: "bedreigingen".into(),
        created_at_ms: NOW,
        until_ms: NOW + 7 * 24 * 60 * MINUTE,
    }
}

/// The queue, with caw's visitors gone.
fn caw_empty() -> StaffEvent {
    let StaffEvent::Queue { mut services } = queue() else {
        unreachable!()
    };
    services[0].waiting.clear();
    StaffEvent::Queue { services }
}

/// Rings (and flashes) for a visitor in an empty queue, a message out of view and an
/// emergency, each once; the bell flag is what the event loop turns into BEL.
fn rings(app: &mut chathulp::app::App, event: StaffEvent) -> bool {
    app.bell = false;
    app.flash_until_ms = 0;
    staff(app, event);
    let rang = app.bell;
    assert_eq!(rang, app.flashing(), "the flash goes with the bell");
    rang
}

#[test]
fn a_visitor_in_an_empty_queue_a_message_out_of_view_and_an_emergency_ring() {
    let mut app = app();
    three(&mut app);
    assert!(!rings(&mut app, caw_empty()), "the first queue is no news");
    assert!(!rings(&mut app, caw_empty()), "nothing changed");
    assert!(rings(&mut app, queue()), "Sam joined an empty queue");
    assert!(app.notice.as_ref().is_some_and(|n| n.text.contains("CAW")));
    assert!(!rings(&mut app, queue()), "a queue that was not empty");

    let kim = StaffEvent::Message {
        conversation: cid("c-kim"),
        message: message(2, Party::Visitor, "ben je daar?", NOW + 3 * MINUTE),
    };
    assert!(rings(&mut app, kim), "Kim is not in view");
    let sam = StaffEvent::Message {
        conversation: cid("c-sam"),
        message: message(3, Party::Visitor, "ok", NOW + 3 * MINUTE),
    };
    assert!(!rings(&mut app, sam), "Sam is in view");
    let answered = StaffEvent::Reveal {
        conversation: cid("c-lou"),
        request: Box::new(reveal_request(7, "c-lou", RevealState::Denied)),
        ip: None,
    };
    assert!(rings(&mut app, answered), "the emergency was answered");

    app.update(Action::Tick(NOW + 10 * MINUTE));
    assert!(!app.flashing(), "the flash passes");
}

#[test]
fn notifications_switched_off_show_the_notice_without_bell_or_flash() {
    let notifications = chathulp::config::Notifications {
        queue: false,
        message: false,
        emergency: false,
    };
    let mut app = chathulp::app::App::new(chathulp::app::AppOptions {
        notifications,
        ..options()
    });
    login(&mut app, Role::Supervisor);
    staff(&mut app, caw_empty());
    let flagged = StaffEvent::Reveals {
        requests: vec![reveal_request(7, "c-sam", RevealState::Pending)],
    };
    assert!(!rings(&mut app, flagged));
    assert_eq!(
        app.notice.as_ref().map(|n| n.text.as_str()),
        Some(chathulp::strings::REVEAL_FLAGGED)
    );

    let mut app = chathulp::app::App::new(chathulp::app::AppOptions {
        notifications,
        ..options()
    });
    three(&mut app);
    staff(&mut app, caw_empty());
    assert!(!rings(&mut app, queue()));
}

fn options() -> chathulp::app::AppOptions {
    chathulp::app::AppOptions {
        user: "an".into(),
        server: "wss://127.0.0.1:8443".into(),
        now_ms: NOW,
        color: false,
        client_ids: chathulp::app::ClientIds::Sequential(0),
        keys: chathulp::keymap::KeyConfig::default(),
        notifications: Default::default(),
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
            trends: Default::default(),
        }],
    }
}
