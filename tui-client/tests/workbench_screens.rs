//! Snapshots of the workbench screens and popups, counselor, supervisor and
//! administrator, at 80×24 (and one wide). The clock is fixed (`common::NOW`).

mod common;

use chathulp::action::Action;
use chathulp::app::App;
use chathulp_shared::staff::{
    AccountInfo, BlockInfo, CounselorLoad, InternalNote, LiveConversation, PendingWrapUp,
    PreviewMessage, RevealRequest, RevealState, ServiceDashboard, StaffEvent, StaffSettings,
};
use chathulp_shared::{Party, Role, ServiceStatus};
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};

/// A counselor with two conversations: Sam (active, a note, visitor unanswered) and
/// Kim (typing, unread).
fn counselor() -> App {
    let mut app = app();
    login_with(
        &mut app,
        Role::Counselor,
        StaffSettings {
            topics: vec!["relaties".into(), "school".into(), "geweld".into()],
            ..settings()
        },
    );
    staff(&mut app, queue());
    let started = NOW - 12 * MINUTE;
    staff(
        &mut app,
        conversation(
            "c-sam",
            "caw",
            "Sam",
            sam_intake(),
            started,
            vec![
                message(1, Party::Visitor, "hallo? is daar iemand?", started),
                message(2, Party::Counselor, "Dag Sam, ik ben er.", started + MINUTE),
                message(3, Party::Visitor, "het gaat niet goed thuis", NOW - MINUTE),
            ],
        ),
    );
    staff(
        &mut app,
        StaffEvent::NoteAdded {
            conversation: cid("c-sam"),
            note: InternalNote {
                author: "an".into(),
                text: "broer wordt vaak genoemd".into(),
                at_ms: started + 2 * MINUTE,
            },
        },
    );
    staff(
        &mut app,
        conversation(
            "c-kim",
            "jac",
            "Kim",
            kim_intake(),
            NOW - 3 * MINUTE,
            vec![message(1, Party::Visitor, "hoi", NOW - 2 * MINUTE)],
        ),
    );
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-kim"),
            message: message(2, Party::Visitor, "ben je er?", NOW),
        },
    );
    staff(
        &mut app,
        StaffEvent::Typing {
            conversation: cid("c-kim"),
        },
    );
    app.take_commands();
    app
}

#[test]
fn workbench_with_notes_unread_and_typing() {
    insta::assert_snapshot!(render(&counselor()));
}

#[test]
fn workbench_wide() {
    insta::assert_snapshot!(render_at(&counselor(), 160, 40));
}

#[test]
fn note_popup() {
    let mut app = counselor();
    app.update(Action::AddNote);
    for c in "let op".chars() {
        press_char(&mut app, c);
    }
    insta::assert_snapshot!(render(&app));
}

#[test]
fn anonymised_preview_while_loading_and_with_placeholders() {
    let mut app = counselor();
    app.update(Action::Preview);
    insta::assert_snapshot!("anonymised_preview_loading", render(&app));
    let started = NOW - 12 * MINUTE;
    staff(
        &mut app,
        StaffEvent::AnonymisedPreview {
            conversation: cid("c-sam"),
            messages: vec![
                PreviewMessage {
                    from: Party::Visitor,
                    at_ms: started,
                    text: "hallo? is daar iemand?".into(),
                },
                PreviewMessage {
                    from: Party::Counselor,
                    at_ms: started + MINUTE,
                    text: "Dag [naam 1], ik ben er.".into(),
                },
                PreviewMessage {
                    from: Party::Visitor,
                    at_ms: NOW - MINUTE,
                    text: "mijn broer [naam 2] zegt dat ik [e-mail] moet mailen, \
                           of bellen naar [telefoon]\u{1b}]0;x\u{7}"
                        .into(),
                },
            ],
        },
    );
    insta::assert_snapshot!("anonymised_preview_filled", render(&app));
}

#[test]
fn tag_name_popup_over_a_conversation_with_a_tagged_name() {
    let mut app = counselor();
    staff(
        &mut app,
        StaffEvent::NamesTagged {
            conversation: cid("c-sam"),
            names: vec!["Mila".into()],
        },
    );
    app.update(Action::TagName);
    for c in "Jonas Peeters".chars() {
        press_char(&mut app, c);
    }
    insta::assert_snapshot!(render(&app));
}

/// After the end, during wrap-up: Alt-m in the registration form asks for a name (the
/// form's letters are notes), and the form comes back as it was once the name is sent.
#[test]
fn tagging_a_name_from_the_wrap_up_form_after_the_end() {
    let mut app = counselor();
    staff(
        &mut app,
        StaffEvent::Ended {
            conversation: cid("c-sam"),
            by: Party::Counselor,
            reason: None,
        },
    );
    app.update(Action::ToggleTopic);
    for c in "verwezen".chars() {
        press_char(&mut app, c);
    }
    press(&mut app, KeyCode::Char('m'), KeyModifiers::ALT);
    for c in "Jonas".chars() {
        press_char(&mut app, c);
    }
    insta::assert_snapshot!("tag_name_from_wrap_up", render(&app));
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    staff(
        &mut app,
        StaffEvent::NamesTagged {
            conversation: cid("c-sam"),
            names: vec!["Jonas".into()],
        },
    );
    insta::assert_snapshot!("wrap_up_form_after_tagging", render(&app));
}

#[test]
fn transfer_pick_colleague_popup() {
    let mut app = counselor();
    staff(
        &mut app,
        StaffEvent::Staff {
            counselors: vec![
                CounselorLoad {
                    user: "bo".into(),
                    load: 1,
                    capacity: 3,
                },
                CounselorLoad {
                    user: "cas".into(),
                    load: 0,
                    capacity: 2,
                },
            ],
        },
    );
    app.update(Action::Transfer);
    insta::assert_snapshot!(render(&app));
}

#[test]
fn reveal_confirmation_then_pending_then_disclosed() {
    let mut app = counselor();
    app.update(Action::RequestReveal);
    for c in "acuut gevaar".chars() {
        press_char(&mut app, c);
    }
    app.update(Action::Accept);
    insta::assert_snapshot!("reveal_confirm", render(&app));
    app.update(Action::Confirm);
    insta::assert_snapshot!("reveal_pending", render(&app));
    staff(
        &mut app,
        StaffEvent::Reveal {
            conversation: cid("c-sam"),
            request: Box::new(request(RevealState::Approved)),
            ip: Some("192.0.2.5".into()),
        },
    );
    insta::assert_snapshot!("reveal_disclosed", render(&app));
}

#[test]
fn block_confirmation() {
    let mut app = counselor();
    app.update(Action::BlockVisitor);
    for c in "bedreigingen".chars() {
        press_char(&mut app, c);
    }
    app.update(Action::Accept);
    insta::assert_snapshot!(render(&app));
}

#[test]
fn wrap_up_form_and_to_register_list() {
    let mut app = counselor();
    staff(
        &mut app,
        StaffEvent::Ended {
            conversation: cid("c-sam"),
            by: Party::Counselor,
            reason: None,
        },
    );
    app.update(Action::MoveDown);
    app.update(Action::ToggleTopic);
    for c in "verwezen".chars() {
        press_char(&mut app, c);
    }
    insta::assert_snapshot!("wrap_up_form", render(&app));
    app.update(Action::ClosePopup);
    staff(
        &mut app,
        StaffEvent::ToRegister {
            conversations: vec![PendingWrapUp {
                conversation: cid("c-sam"),
                service: sid("caw"),
                nickname: "Sam".into(),
                ended_at_ms: NOW,
            }],
        },
    );
    app.update(Action::ShowToRegister);
    insta::assert_snapshot!("to_register_list", render(&app));
}

fn request(state: RevealState) -> RevealRequest {
    RevealRequest {
        id: 7,
        conversation: cid("c-sam"),
        service: sid("caw"),
        counselor: "an".into(),
        reason: "acuut gevaar".into(),
        requested_at_ms: NOW,
        state,
        decided_by: None,
        decision_reason: None,
        decided_at_ms: None,
    }
}

fn overseer(role: Role) -> App {
    let mut app = app();
    login(&mut app, role);
    staff(&mut app, queue());
    staff(
        &mut app,
        StaffEvent::Dashboard {
            services: vec![ServiceDashboard {
                service: sid("caw"),
                name: "CAW".into(),
                status: ServiceStatus::Online,
                waiting: 1,
                longest_waiting_since_ms: Some(NOW - 4 * MINUTE),
                in_progress: vec![LiveConversation {
                    conversation: cid("c-lou"),
                    counselor: "bo".into(),
                    nickname: "Lou".into(),
                    started_at_ms: NOW - 12 * MINUTE,
                }],
                today_conversations: 5,
                today_mean_wait_ms: Some(3 * MINUTE),
                trends: Default::default(),
            }],
        },
    );
    staff(
        &mut app,
        StaffEvent::Reveals {
            requests: vec![request(RevealState::Pending)],
        },
    );
    app
}

#[test]
fn supervisor_dashboard_with_reveal_banner() {
    insta::assert_snapshot!(render(&overseer(Role::Supervisor)));
}

#[test]
fn supervisor_watching_read_only() {
    let mut app = overseer(Role::Supervisor);
    let mut watched = conversation(
        "c-lou",
        "caw",
        "Lou",
        sam_intake(),
        NOW - 12 * MINUTE,
        vec![
            message(1, Party::Visitor, "hallo", NOW - 12 * MINUTE),
            message(2, Party::Counselor, "Dag Lou", NOW - 11 * MINUTE),
        ],
    );
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
    insta::assert_snapshot!(render(&app));
}

#[test]
fn admin_reveal_requests_and_decision() {
    let mut app = overseer(Role::Admin);
    app.update(Action::ShowReveals);
    insta::assert_snapshot!("admin_reveals", render(&app));
    app.update(Action::DecideReveal(true));
    insta::assert_snapshot!("admin_decide", render(&app));
}

/// Every popup of the administrator's desk, in the order an administrator meets them.
#[test]
fn admin_accounts_and_blocks() {
    let mut app = overseer(Role::Admin);
    app.update(Action::ShowAccounts);
    let account = |user: &str, role, disabled| AccountInfo {
        user: user.into(),
        role,
        disabled,
        created_at_ms: NOW,
    };
    staff(
        &mut app,
        StaffEvent::Accounts {
            accounts: vec![
                account("an", Role::Counselor, false),
                account("bo", Role::Supervisor, false),
                account("oud", Role::Counselor, true),
            ],
        },
    );
    insta::assert_snapshot!("admin_accounts", render(&app));
    app.update(Action::NewAccount);
    type_text(&mut app, "lotte");
    insta::assert_snapshot!("admin_new_account_name", render(&app));
    app.update(Action::Accept);
    insta::assert_snapshot!("admin_new_account_role", render(&app));
    staff(
        &mut app,
        StaffEvent::AccountSecret {
            user: "lotte".into(),
            password: "kaas-tulp-9317".into(),
        },
    );
    insta::assert_snapshot!("admin_account_secret", render(&app));
    app.update(Action::ClosePopup);
    app.update(Action::MoveDown);
    app.update(Action::ResetPassword);
    insta::assert_snapshot!("admin_confirm_reset", render(&app));
    app.update(Action::Cancel);
    app.update(Action::ToggleDisabled);
    insta::assert_snapshot!("admin_confirm_disable", render(&app));
    app.update(Action::Cancel);

    app.update(Action::ClosePopup);
    app.update(Action::ShowBlocks);
    staff(
        &mut app,
        StaffEvent::Blocks {
            blocks: vec![BlockInfo {
                id: 3,
                service: sid("caw"),
                conversation: cid("c-sam"),
                counselor: "an".into(),
                reason: "bedreigingen".into(),
                created_at_ms: NOW,
                until_ms: NOW + 7 * 24 * 60 * MINUTE,
            }],
        },
    );
    insta::assert_snapshot!("admin_blocks", render(&app));
    app.update(Action::LiftBlock);
    type_text(&mut app, "vergissing");
    insta::assert_snapshot!("admin_lift_reason", render(&app));
    app.update(Action::Accept);
    insta::assert_snapshot!("admin_lift_confirm", render(&app));
}
