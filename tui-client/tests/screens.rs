//! Snapshots of the whole app at 80×24, the smallest size it must be usable at. The
//! clock is fixed (see `common::NOW`), so durations and times never change.

mod common;

use chathulp::action::Action;
use chathulp::app::App;
use chathulp_shared::Party;
use chathulp_shared::staff::StaffEvent;
use chathulp_shared::{Intake, Role};
use common::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn render(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("test terminal");
    terminal
        .draw(|frame| chathulp::ui::draw(frame, app))
        .expect("draw");
    terminal.backend().to_string()
}

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
    assert!(screen.contains("alleen lezen"), "{screen}");
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
