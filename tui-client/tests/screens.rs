//! Snapshots of the whole app at 80×24, the smallest size it must be usable at. The
//! clock is fixed (see `common::NOW`), so durations and times never change.

mod common;

use chathulp::action::Action;
use chathulp::app::App;
use chathulp_shared::Party;
use chathulp_shared::staff::StaffEvent;
use chathulp_shared::{Intake, Role, ServiceStatus};
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};

fn queue_app(role: Role) -> App {
    let mut app = app();
    login(&mut app, role);
    staff(&mut app, queue());
    app.update(Action::MoveDown);
    app
}

#[test]
fn queue_with_two_services() {
    let app = queue_app(Role::Counselor);
    insta::assert_snapshot!(render(&app));
}

#[test]
fn active_conversation() {
    let mut app = queue_app(Role::Counselor);
    app.update(Action::TakeSelected);
    // The relay took Sam out of the queue and hands over the conversation.
    let StaffEvent::Queue { mut services } = queue() else {
        unreachable!()
    };
    services[0].waiting.remove(0);
    staff(&mut app, StaffEvent::Queue { services });
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
                message(
                    2,
                    Party::Counselor,
                    "Dag Sam, fijn dat je er bent. Waarover wil je praten?",
                    started + MINUTE,
                ),
                message(
                    3,
                    Party::Visitor,
                    "\u{1b}[31mik ben zo boos\u{1b}[0m op mijn ouders",
                    started + 3 * MINUTE,
                ),
                message(
                    4,
                    Party::Visitor,
                    "ze luisteren nooit\nen ik mag niks 😢",
                    started + 4 * MINUTE,
                ),
            ],
        ),
    );
    // A second conversation with an unread message.
    staff(
        &mut app,
        conversation(
            "c-kim",
            "jac",
            "Kim",
            kim_intake(),
            NOW - 30 * MINUTE,
            vec![],
        ),
    );
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-kim"),
            message: message(1, Party::Visitor, "hoi", NOW - MINUTE),
        },
    );
    type_text(&mut app, "Dat klinkt zwaar.");
    app.update(Action::Send);
    staff(
        &mut app,
        StaffEvent::Typing {
            conversation: cid("c-sam"),
        },
    );

    let screen = render(&app);
    assert!(screen.contains("^[[31mik ben zo boos^[[0m"), "{screen}");
    assert!(!screen.contains('\u{1b}'));
    insta::assert_snapshot!(screen);
}

#[test]
fn help_popup() {
    let mut app = queue_app(Role::Counselor);
    app.update(Action::ShowHelp);
    insta::assert_snapshot!(render(&app));
}

#[test]
fn supervisor_is_read_only() {
    let app = queue_app(Role::Supervisor);
    let screen = render(&app);
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains("(supervisor)  alleen lezen "), "{header}");
    insta::assert_snapshot!(screen);
}

#[test]
fn confirm_end_popup() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", Intake::default(), NOW, vec![]),
    );
    app.update(Action::EndConversation);
    insta::assert_snapshot!(render(&app));
}

#[test]
fn conversation_past_50_minutes_without_dossier() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    // Sam, Kim and Lotte were taken; one visitor waits.
    let StaffEvent::Queue { mut services } = queue() else {
        unreachable!()
    };
    services[0].waiting.truncate(0);
    services[1].waiting[0] = entry("c-noor", "Noor", Intake::default(), 2);
    staff(&mut app, StaffEvent::Queue { services });
    let started = NOW - 52 * MINUTE;
    staff(
        &mut app,
        conversation_with_dossier("c-sam", "Sam", started, true, false),
    );
    staff(
        &mut app,
        StaffEvent::Message {
            conversation: cid("c-sam"),
            message: message(1, Party::Visitor, "ik moet zo weg", started + 50 * MINUTE),
        },
    );
    // Kim is past the hour (and a dossier candidate); Lotte is fresh.
    staff(
        &mut app,
        conversation_with_dossier("c-kim", "Kim", NOW - 65 * MINUTE, false, true),
    );
    staff(
        &mut app,
        conversation_with_dossier("c-lotte", "Lotte", NOW - 3 * MINUTE, false, false),
    );
    // The clock moves on a second, as the event loop's tick would.
    app.update(Action::Tick(NOW + 1_000));
    let screen = render(&app);
    assert!(screen.contains("geen dossier"), "{screen}");
    assert!(screen.contains("!52m bezig"), "{screen}");
    assert!(screen.contains("Nog 10 minuten tot het uur"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn conversation_past_the_hour_as_dossier_candidate() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation_with_dossier("c-kim", "Kim", NOW - 61 * MINUTE, false, true),
    );
    let screen = render(&app);
    assert!(screen.contains("60m+ · afronden"), "{screen}");
    assert!(screen.contains("dossierkandidaat"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn canned_popup() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", sam_intake(), NOW - 5 * MINUTE, vec![]),
    );
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    type_text(&mut app, "Hoi Sam. ");
    press(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    insta::assert_snapshot!(render(&app));
}

#[test]
fn canned_popup_searching() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c1", "caw", "Sam", sam_intake(), NOW - 5 * MINUTE, vec![]),
    );
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    press(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    press_char(&mut app, '/');
    press_char(&mut app, 'w');
    press_char(&mut app, 'e');
    press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    insta::assert_snapshot!(render(&app));
}

fn admin_with_closed_service() -> App {
    let mut app = app();
    login(&mut app, Role::Admin);
    let StaffEvent::Queue { mut services } = queue() else {
        unreachable!()
    };
    services[0].closed_reason =
        Some("Stroompanne in het gebouw; we zijn morgen vanaf 9 uur terug.".into());
    services[0].status = ServiceStatus::Offline;
    services[0].waiting.clear();
    staff(&mut app, StaffEvent::Queue { services });
    app
}

#[test]
fn admin_queue_with_a_closed_service() {
    let app = admin_with_closed_service();
    let screen = render(&app);
    assert!(screen.contains("CAW · gesloten: Stroompanne"), "{screen}");
    // An administrator acts (reveals, accounts, blocks, services): not "alleen lezen".
    let header = screen.lines().next().unwrap_or_default();
    assert!(header.contains(" beheerder "), "{header}");
    assert!(!header.contains("alleen lezen"), "{header}");
    insta::assert_snapshot!(screen);
}

#[test]
fn admin_types_a_reason_to_close_a_service() {
    let mut app = admin_with_closed_service();
    app.update(Action::MoveDown);
    press_char(&mut app, 's');
    for c in "storing".chars() {
        press_char(&mut app, c);
    }
    insta::assert_snapshot!(render(&app));
}

#[test]
fn help_popup_for_an_administrator() {
    let mut app = admin_with_closed_service();
    app.update(Action::ShowHelp);
    insta::assert_snapshot!(render(&app));
}

/// The queue once Sam and Kim were taken: Lotte waits.
fn queue_without_sam_and_kim() -> StaffEvent {
    let StaffEvent::Queue { mut services } = queue() else {
        unreachable!()
    };
    services[0].waiting.remove(0);
    services[1].waiting.clear();
    StaffEvent::Queue { services }
}

/// A `conversation` snapshot with a linked earlier conversation or an away visitor.
fn snapshot_with(
    event: StaffEvent,
    linked: Option<&str>,
    away_until_ms: Option<i64>,
) -> StaffEvent {
    let mut event = event;
    if let StaffEvent::Conversation {
        linked_to,
        visitor_away_until_ms,
        ..
    } = &mut event
    {
        *linked_to = linked.map(cid);
        *visitor_away_until_ms = away_until_ms;
    }
    event
}

#[test]
fn visitor_away_with_countdown() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, queue_without_sam_and_kim());
    let started = NOW - 20 * MINUTE;
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
                message(
                    2,
                    Party::Counselor,
                    "Dag Sam, ik ben er. Vertel maar.",
                    started + MINUTE,
                ),
                message(
                    3,
                    Party::Visitor,
                    "mijn batterij is bijna leeg",
                    NOW - 2 * MINUTE,
                ),
            ],
        ),
    );
    staff(
        &mut app,
        conversation(
            "c-kim",
            "jac",
            "Kim",
            kim_intake(),
            NOW - 5 * MINUTE,
            vec![],
        ),
    );
    staff(
        &mut app,
        StaffEvent::VisitorAway {
            conversation: cid("c-sam"),
            until_ms: NOW + 5 * MINUTE,
        },
    );
    // 1 minute 25 seconds later, as the event loop's ticks would have it.
    app.update(Action::Tick(NOW + 85_000));
    app.update(Action::FocusNext);
    app.update(Action::FocusNext);
    type_text(&mut app, "Ik blijf hier, Sam.");
    app.update(Action::Send);
    let screen = render(&app);
    assert!(screen.contains("verbinding verbroken 3:35"), "{screen}");
    insta::assert_snapshot!(screen);

    // Sam is back: the countdown goes, a line of the app's own says so.
    staff(
        &mut app,
        StaffEvent::VisitorBack {
            conversation: cid("c-sam"),
        },
    );
    let screen = render(&app);
    assert!(!screen.contains("3:35"), "{screen}");
    assert!(screen.contains("bezoeker is terug"), "{screen}");
}

#[test]
fn linked_conversation_notice() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, queue_without_sam_and_kim());
    // Sam's first conversation ended while waiting for Sam to come back.
    staff(
        &mut app,
        conversation(
            "c-sam-1",
            "caw",
            "Sam",
            sam_intake(),
            NOW - 30 * MINUTE,
            vec![],
        ),
    );
    staff(
        &mut app,
        StaffEvent::Ended {
            conversation: cid("c-sam-1"),
            by: Party::Relay,
            reason: Some("de bezoeker kwam niet terug".into()),
        },
    );
    // Sam returned without their resume token and was taken again.
    app.update(Action::TakeSelected);
    staff(
        &mut app,
        snapshot_with(
            conversation(
                "c-sam-2",
                "caw",
                "Sam",
                sam_intake(),
                NOW - 2 * MINUTE,
                vec![message(
                    1,
                    Party::Visitor,
                    "ik was weg, sorry",
                    NOW - 3 * MINUTE,
                )],
            ),
            Some("c-sam-1"),
            None,
        ),
    );
    app.update(Action::JumpConversation(2));
    let screen = render(&app);
    assert!(
        screen.contains("Waarschijnlijk dezelfde bezoeker"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

/// Sam's conversation, 400 messages on the relay, the newest 200 held; PgUp pressed until
/// the app asks for the page before them.
fn scrolled_to_the_top_of_a_long_conversation() -> App {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, queue_without_sam_and_kim());
    staff(
        &mut app,
        snapshot_of("c-sam", "Sam", numbered(201..=400), true),
    );
    for _ in 0..100 {
        press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
        if app
            .take_commands()
            .iter()
            .any(|c| matches!(c, chathulp::net::NetCommand::Request(_)))
        {
            break;
        }
    }
    app
}

#[test]
fn older_messages_loading() {
    let app = scrolled_to_the_top_of_a_long_conversation();
    let screen = render(&app);
    assert!(screen.contains("Oudere berichten laden…"), "{screen}");
    insta::assert_snapshot!(screen);
}

/// The page of older messages goes on top: every line on screen stays where it was but
/// the one that said "laden…".
#[test]
fn a_loaded_page_keeps_the_view_in_place() {
    let mut app = scrolled_to_the_top_of_a_long_conversation();
    let before = render(&app);
    staff(
        &mut app,
        StaffEvent::History {
            conversation: cid("c-sam"),
            messages: numbered(1..=200),
        },
    );
    let after = render(&app);
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(b, a)| b != a)
        .collect();
    assert_eq!(changed.len(), 1, "{changed:#?}");
    assert!(
        changed[0].0.contains("Oudere berichten laden…"),
        "{changed:#?}"
    );
    assert!(changed[0].1.contains("bericht 200"), "{changed:#?}");
}

#[test]
fn older_messages_begin() {
    let mut app = scrolled_to_the_top_of_a_long_conversation();
    staff(
        &mut app,
        StaffEvent::History {
            conversation: cid("c-sam"),
            messages: numbered(1..=200),
        },
    );
    for _ in 0..100 {
        press(&mut app, KeyCode::PageUp, KeyModifiers::NONE);
    }
    let screen = render(&app);
    assert!(screen.contains("Begin van het gesprek."), "{screen}");
    assert!(screen.contains("bericht 1 "), "{screen}");
    insta::assert_snapshot!(screen);
}

/// The queue with returning visitors: Sam came twice before from the same address, a
/// long nickname once (its name gives way to the mark), Lotte never.
fn queue_with_returning_visitors() -> App {
    let mut app = app();
    login(&mut app, Role::Counselor);
    let StaffEvent::Queue { mut services } = queue() else {
        unreachable!()
    };
    services[0].waiting[0].earlier_contacts = 2;
    services[1].waiting[0].nickname = "Kimberly-Anne-Josephine".into();
    services[1].waiting[0].earlier_contacts = 12;
    staff(&mut app, StaffEvent::Queue { services });
    app.update(Action::MoveDown);
    app
}

#[test]
fn queue_with_returning_visitors_at_80x24() {
    let app = queue_with_returning_visitors();
    let screen = render(&app);
    assert!(screen.contains("Sam ↺2"), "{screen}");
    assert!(screen.contains("↺12"), "{screen}");
    assert!(!screen.contains("Lotte ↺"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn queue_with_returning_visitors_wide() {
    let app = queue_with_returning_visitors();
    let screen = render_at(&app, 140, 30);
    assert!(screen.contains("Kimberly-Anne-Josephine ↺12"), "{screen}");
    insta::assert_snapshot!(screen);
}

/// The end of the help: the legend of the marks, the returning visitor's first.
#[test]
fn help_legend() {
    let mut app = queue_app(Role::Counselor);
    app.update(Action::ShowHelp);
    for _ in 0..100 {
        app.update(Action::MoveDown);
    }
    let screen = render(&app);
    assert!(
        screen.contains("eerder contact vanaf hetzelfde adres"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}
