//! Issue 19, "the counselor's first words must reach the visitor whole", through the
//! keymap and `App::update` the way the event loop drives them: a greeting typed straight
//! after a take lands in the new conversation, `t` finds whoever waits longest, a stale
//! "niemand in de wachtrij" goes, and no single key changes anything for a visitor
//! without a question that names them.

mod common;

use chathulp::app::{App, AppOptions, ClientIds, Focus, Popup};
use chathulp::keymap::{Command, KeyConfig};
use chathulp::net::NetCommand;
use chathulp_shared::staff::{CounselorLoad, ServiceQueue, StaffEvent, StaffRequest};
use chathulp_shared::{ErrorCode, ErrorReply, Intake, Party, Role, ServiceStatus};
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};

const GREETING: &str =
    "Dag Lotte, ik ben er. Fijn dat je schrijft. Wil je vertellen wat er thuis gebeurt?";

fn requests(app: &mut App) -> Vec<StaffRequest> {
    app.take_commands()
        .into_iter()
        .filter_map(|c| match c {
            NetCommand::Request(r) => Some(r),
            NetCommand::Close => None,
        })
        .collect()
}

fn app_with(keys: KeyConfig) -> App {
    App::new(AppOptions {
        user: "an".into(),
        server: "wss://127.0.0.1:8443".into(),
        now_ms: NOW,
        color: false,
        client_ids: ClientIds::Sequential(0),
        keys,
        notifications: Default::default(),
    })
}

/// Lotte waits in CAW; JAC is empty.
fn lotte_waits() -> StaffEvent {
    queue_of(
        vec![entry("c-lotte", "Lotte", Intake::default(), 2)],
        vec![],
    )
}

fn queue_of(
    caw: Vec<chathulp_shared::staff::QueueEntry>,
    jac: Vec<chathulp_shared::staff::QueueEntry>,
) -> StaffEvent {
    let service = |id: &str, name: &str, waiting| ServiceQueue {
        service: sid(id),
        name: name.into(),
        status: ServiceStatus::Online,
        waiting,
        closed_reason: None,
    };
    StaffEvent::Queue {
        services: vec![service("caw", "CAW", caw), service("jac", "JAC", jac)],
    }
}

fn lotte_opens(app: &mut App) {
    staff(
        app,
        conversation(
            "c-lotte",
            "caw",
            "Lotte",
            Intake::default(),
            NOW,
            vec![message(1, Party::Visitor, "hoi", NOW)],
        ),
    );
}

/// Every key of `text` pressed through the keymap, as a terminal delivers it.
fn press_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press_char(app, c);
    }
}

fn sent_texts(requests: &[StaffRequest]) -> Vec<&str> {
    requests
        .iter()
        .filter_map(|r| match r {
            StaffRequest::Send { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_greeting_typed_straight_after_t_lands_whole_in_the_taken_conversation() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, lotte_waits());
    requests(&mut app);
    assert_eq!(app.focus, Focus::Queue);

    // `t`, the greeting and Enter, all before the relay answers.
    press_char(&mut app, 't');
    assert_eq!(app.focus, Focus::Input, "the input has the focus at once");
    press_text(&mut app, GREETING);
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Take {
            service: sid("caw"),
            conversation: None,
        }],
        "the letters were not read as shortcuts, and nothing went out before the take"
    );
    insta::assert_snapshot!("taking_pane_with_a_greeting_typed_ahead", render(&app));
    let screen = render_at(&app, 200, 30);
    assert!(screen.contains("Typ gerust al"), "{screen}");
    assert!(screen.contains(&format!("jij: {GREETING}")), "{screen}");

    // The relay opens the conversation: the greeting goes out whole, once.
    lotte_opens(&mut app);
    let sent = requests(&mut app);
    assert_eq!(sent_texts(&sent), vec![GREETING], "{sent:?}");
    assert!(
        sent.iter().all(|r| matches!(
            r,
            StaffRequest::Send { conversation, .. } if *conversation == cid("c-lotte")
        )),
        "{sent:?}"
    );
    assert_eq!(app.focus, Focus::Input);
    assert!(app.take_ahead.is_none());
    let lotte = app.active_conversation().expect("Lotte is active");
    assert_eq!(lotte.id, cid("c-lotte"));
    assert!(lotte.draft.is_empty());
    assert_eq!(
        lotte.entries.last().map(|e| (e.from, e.text.as_str())),
        Some((Party::Counselor, GREETING))
    );
}

#[test]
fn text_typed_ahead_without_enter_becomes_the_draft_unsent() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, lotte_waits());
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    press_text(&mut app, "Dag Lotte");
    requests(&mut app);
    lotte_opens(&mut app);
    let sent = requests(&mut app);
    assert!(sent_texts(&sent).is_empty(), "{sent:?}");
    let lotte = app.active_conversation().expect("Lotte is active");
    assert_eq!(lotte.draft.lines().join("\n"), "Dag Lotte");
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(sent_texts(&requests(&mut app)), vec!["Dag Lotte"]);
}

#[test]
fn a_refused_take_says_the_typed_text_was_not_sent_and_leaves_the_input() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, lotte_waits());
    press_char(&mut app, 't');
    press_text(&mut app, "Dag Lotte");
    staff(
        &mut app,
        StaffEvent::Error(ErrorReply::new(ErrorCode::QueueEmpty, "nobody waits")),
    );
    assert!(app.take_ahead.is_none());
    assert_eq!(app.focus, Focus::Queue, "what is typed next is not text");
    let notice = app.notice.clone().expect("a notice");
    assert!(notice.is_error);
    assert!(
        notice.text.contains("niemand in de wachtrij") && notice.text.contains("niet verstuurd"),
        "{notice:?}"
    );
}

/// While a take is under way with another conversation in view, what the counselor
/// writes (a canned response included) is for the new visitor, never for the one in view.
#[test]
fn typing_ahead_with_another_conversation_active_never_writes_into_it() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        conversation("c-kim", "jac", "Kim", kim_intake(), NOW, vec![]),
    );
    staff(&mut app, lotte_waits());
    app.focus = Focus::Queue;
    app.queue_cursor = Some(chathulp::app::QueueRow::Service(sid("caw")));
    press_char(&mut app, 't');
    press_text(&mut app, "Dag ");
    // Ctrl-t, then the key of the first canned response.
    press(&mut app, KeyCode::Char('t'), KeyModifiers::CONTROL);
    let canned = app.settings.canned[0].clone();
    press_char(&mut app, canned.key);
    let kim = |app: &App| {
        app.conversations
            .iter()
            .find(|c| c.id == cid("c-kim"))
            .map(|c| c.draft.lines().join("\n"))
    };
    assert_eq!(kim(&app), Some(String::new()), "Kim's draft stays empty");
    let ahead = app.take_ahead.as_ref().expect("typing ahead");
    assert_eq!(
        ahead.draft.lines().join("\n"),
        format!("Dag {}", canned.text)
    );
    requests(&mut app);
    lotte_opens(&mut app);
    assert_eq!(kim(&app), Some(String::new()));
    let lotte = app.active_conversation().expect("Lotte in view");
    assert_eq!(lotte.id, cid("c-lotte"));
    assert_eq!(
        lotte.draft.lines().join("\n"),
        format!("Dag {}", canned.text)
    );
}

/// Esc with nothing typed gives the pane back; an internal error on the take ends the
/// wait too, so the taking pane cannot stay for good.
#[test]
fn the_taking_pane_goes_on_esc_with_nothing_typed_and_on_any_refusal() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, lotte_waits());
    press_char(&mut app, 't');
    assert!(app.take_ahead.is_some());
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(app.take_ahead.is_none());
    assert!(
        !render(&app).contains("Typ gerust al"),
        "the taking pane is gone"
    );
    // The conversation still opens when the relay hands it over.
    lotte_opens(&mut app);
    assert_eq!(app.active, Some(cid("c-lotte")));

    let mut app = app_with(KeyConfig::default());
    login(&mut app, Role::Counselor);
    staff(&mut app, lotte_waits());
    press_char(&mut app, 't');
    press_text(&mut app, "Dag");
    staff(
        &mut app,
        StaffEvent::Error(ErrorReply::new(ErrorCode::Internal, "store failed")),
    );
    assert!(app.take_ahead.is_none());
    assert_eq!(app.focus, Focus::Queue);
    assert!(
        app.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("niet verstuurd"))
    );
}

#[test]
fn t_takes_the_longest_waiting_of_all_services_when_the_highlighted_one_is_empty() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    // CAW (highlighted, first row) is empty; Kim waits at JAC.
    staff(
        &mut app,
        queue_of(vec![], vec![entry("c-kim", "Kim", kim_intake(), 4)]),
    );
    requests(&mut app);
    assert_eq!(
        app.queue_cursor,
        Some(chathulp::app::QueueRow::Service(sid("caw")))
    );
    press_char(&mut app, 't');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Take {
            service: sid("jac"),
            conversation: None,
        }]
    );

    // With somebody waiting at the highlighted service, `t` stays there, even if
    // someone else waits longer elsewhere.
    let mut app = app_with(KeyConfig::default());
    login(&mut app, Role::Counselor);
    staff(
        &mut app,
        queue_of(
            vec![entry("c-sam", "Sam", sam_intake(), 1)],
            vec![entry("c-kim", "Kim", kim_intake(), 9)],
        ),
    );
    requests(&mut app);
    press_char(&mut app, 't');
    assert_eq!(
        requests(&mut app),
        vec![StaffRequest::Take {
            service: sid("caw"),
            conversation: None,
        }]
    );
}

#[test]
fn niemand_in_de_wachtrij_disappears_once_somebody_waits() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, queue_of(vec![], vec![]));
    press_char(&mut app, 't');
    staff(
        &mut app,
        StaffEvent::Error(ErrorReply::new(ErrorCode::QueueEmpty, "nobody waits")),
    );
    assert!(render(&app).contains("niemand in de wachtrij"));
    // Still nobody: it still holds.
    staff(&mut app, queue_of(vec![], vec![]));
    assert!(render(&app).contains("niemand in de wachtrij"));
    staff(&mut app, lotte_waits());
    let screen = render(&app);
    assert!(!screen.contains("niemand in de wachtrij"), "{screen}");
}

#[test]
fn the_hotlist_lands_in_the_input() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    lotte_opens(&mut app);
    staff(
        &mut app,
        conversation("c-kim", "jac", "Kim", kim_intake(), NOW, vec![]),
    );
    app.update(chathulp::action::Action::LeaveInput);
    assert_eq!(app.focus, Focus::Conversations);
    press_char(&mut app, 'a');
    assert_eq!(app.focus, Focus::Input);
    press_text(&mut app, "Dag");
    assert_eq!(
        app.active_conversation()
            .map(|c| c.draft.lines().join("\n")),
        Some("Dag".to_owned())
    );
}

/// Requests that change something for a visitor.
fn changes_visitor(request: &StaffRequest) -> bool {
    matches!(
        request,
        StaffRequest::End { .. }
            | StaffRequest::MarkDossier { .. }
            | StaffRequest::Transfer { .. }
            | StaffRequest::RequestReveal { .. }
            | StaffRequest::Block { .. }
    )
}

/// A counselor in an open conversation with Lotte, a colleague with room, the focus on
/// the conversation list.
fn desk(keys: KeyConfig) -> App {
    let mut app = app_with(keys);
    login(&mut app, Role::Counselor);
    lotte_opens(&mut app);
    staff(
        &mut app,
        StaffEvent::Staff {
            counselors: vec![
                CounselorLoad {
                    user: "an".into(),
                    load: 1,
                    capacity: 3,
                },
                CounselorLoad {
                    user: "bo".into(),
                    load: 0,
                    capacity: 3,
                },
            ],
        },
    );
    app.focus = Focus::Conversations;
    requests(&mut app);
    app
}

fn marked_commands() -> Vec<Command> {
    Command::ALL
        .iter()
        .copied()
        .filter(|c| c.changes_for_visitor())
        .collect()
}

#[test]
fn the_command_table_marks_end_dossier_transfer_reveal_and_block() {
    let names: Vec<&str> = marked_commands().iter().map(|c| c.name()).collect();
    assert_eq!(
        names,
        vec![
            "end_conversation",
            "toggle_dossier",
            "transfer",
            "request_reveal",
            "block_visitor"
        ]
    );
}

/// Every key of every command marked as changing something for a visitor, from the
/// defaults and from a `keys.toml` that binds it to a plain letter: pressed anywhere
/// outside a popup, it sends nothing for the visitor; outside the input it opens a
/// question or a form.
#[test]
fn no_single_key_changes_anything_for_a_visitor_without_a_question() {
    for command in marked_commands() {
        let toml = format!("{} = [\"x\"]\n", command.name());
        let user = KeyConfig::from_toml(&toml, "keys.toml").expect("keys.toml");
        assert_eq!(user.keys(command), &[chathulp::keymap::KeyPress::char('x')]);
        for keys in [KeyConfig::default(), user] {
            for key in keys.keys(command).to_vec() {
                for focus in [Focus::Queue, Focus::Conversations, Focus::Input] {
                    let mut app = desk(keys.clone());
                    app.focus = focus;
                    press(&mut app, key.code, key.modifiers);
                    let sent = requests(&mut app);
                    assert!(
                        sent.iter().all(|r| !changes_visitor(r)),
                        "{} on {} in {focus:?} sent {sent:?}",
                        command.name(),
                        key.label()
                    );
                    if focus != Focus::Input || !key.is_text() {
                        assert!(
                            app.popup.is_some(),
                            "{} on {} in {focus:?} asked nothing",
                            command.name(),
                            key.label()
                        );
                    }
                }
            }
        }
    }
}

/// Each question names the visitor and what it confirms; its "yes" sends the request,
/// and only then.
#[test]
fn every_visitor_change_goes_out_after_yes_to_a_question_that_names_the_visitor() {
    let cases: [(Command, &str, &str); 5] = [
        (
            Command::EndConversation,
            "",
            "Gesprek met Lotte beëindigen?",
        ),
        (
            Command::ToggleDossier,
            "",
            "Gesprek met Lotte markeren als dossierkandidaat?",
        ),
        (
            Command::Transfer,
            "loopt goed",
            "Gesprek met Lotte overdragen aan bo?",
        ),
        (Command::RequestReveal, "dreigt", "IP-adres van Lotte"),
        (Command::BlockVisitor, "spam", "Lotte blokkeren?"),
    ];
    for (command, reason, question) in cases {
        let mut app = desk(KeyConfig::default());
        let key = app.keys.keys(command)[0];
        press(&mut app, key.code, key.modifiers);
        if command == Command::Transfer {
            assert!(matches!(app.popup, Some(Popup::PickColleague { .. })));
            press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
        }
        if !reason.is_empty() {
            assert!(
                matches!(app.popup, Some(Popup::Compose { .. })),
                "{:?}",
                app.popup
            );
            press_text(&mut app, reason);
            press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
        }
        let screen = render_at(&app, 100, 30);
        assert!(screen.contains(question), "{}:\n{screen}", command.name());
        assert!(screen.contains("J/Y ja"), "{}:\n{screen}", command.name());
        assert!(
            requests(&mut app).iter().all(|r| !changes_visitor(r)),
            "{} went out before the yes",
            command.name()
        );
        press_char(&mut app, 'J');
        let sent = requests(&mut app);
        assert_eq!(
            sent.iter().filter(|r| changes_visitor(r)).count(),
            1,
            "{}: {sent:?}",
            command.name()
        );
    }
}

/// A question takes one key: anything but yes is no. So the greeting, typed at speed
/// while the focus is still in a list, never ends, blocks, transfers, reveals or marks,
/// even with the command on `e`, the greeting's most frequent letter (the hotlist, which
/// would jump into the input, is a chord only here).
#[test]
fn a_greeting_typed_into_the_lists_changes_nothing_for_the_visitor() {
    let fkeys = ["F2", "F3", "F4", "F5", "F6"];
    for command in marked_commands() {
        let mut toml = String::from("hotlist = [\"Alt-a\"]\n");
        for (other, fkey) in marked_commands().into_iter().zip(fkeys) {
            let key = if other == command { "e" } else { fkey };
            toml.push_str(&format!("{} = [\"{key}\"]\n", other.name()));
        }
        let keys = KeyConfig::from_toml(&toml, "keys.toml").expect("keys.toml");
        for focus in [Focus::Queue, Focus::Conversations] {
            let mut app = desk(keys.clone());
            app.focus = focus;
            press_text(&mut app, GREETING);
            press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
            let sent = requests(&mut app);
            assert!(
                sent.iter().all(|r| !changes_visitor(r)),
                "{} on e, {focus:?}: {sent:?}",
                command.name()
            );
        }
    }
}

#[test]
fn any_key_but_yes_answers_a_question_with_no() {
    let mut app = desk(KeyConfig::default());
    press_char(&mut app, 'e');
    assert!(matches!(app.popup, Some(Popup::ConfirmEnd(_))));
    press_char(&mut app, 'r');
    assert_eq!(app.popup, None);
    press_char(&mut app, 'e');
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(app.popup, None);
    assert!(requests(&mut app).iter().all(|r| !changes_visitor(r)));
}

/// At the smallest supported size, the footer keeps `? help` wherever `?` opens it.
#[test]
fn the_footer_keeps_help_at_80x24() {
    let footer = |app: &App| {
        render_at(app, 80, 24)
            .lines()
            .nth(23)
            .unwrap_or_default()
            .to_owned()
    };
    let mut app = desk(KeyConfig::default());
    staff(&mut app, lotte_waits());
    for focus in [Focus::Queue, Focus::Conversations, Focus::Input] {
        app.focus = focus;
        let line = footer(&app);
        assert!(line.contains("? help"), "{focus:?}: {line}");
    }
    let mut admin = app_with(KeyConfig::default());
    login(&mut admin, Role::Admin);
    staff(&mut admin, lotte_waits());
    let line = footer(&admin);
    assert!(line.contains("? help"), "admin: {line}");
}

/// The risk of a list that takes letters as commands: a counselor who thinks the input
/// has the focus and types "hey" or "Hey, ben je er nog?" opens the end question with
/// `e`, and a lowercase `y` must answer it no. Only a capital `J` or `Y` says yes.
#[test]
fn typing_words_into_the_conversation_list_never_ends_the_conversation() {
    for text in ["hey", "Hey, ben je er nog?", "hee je", "ey", "ej"] {
        let mut app = desk(KeyConfig::default());
        assert_eq!(app.focus, Focus::Conversations);
        press_text(&mut app, text);
        let sent = requests(&mut app);
        assert!(
            sent.iter().all(|r| !changes_visitor(r)),
            "{text:?} sent {sent:?}"
        );
    }
    // The capital does end it, after the question.
    let mut app = desk(KeyConfig::default());
    press_char(&mut app, 'e');
    assert!(matches!(app.popup, Some(Popup::ConfirmEnd(_))));
    press_char(&mut app, 'Y');
    assert!(
        requests(&mut app)
            .iter()
            .any(|r| matches!(r, StaffRequest::End { .. }))
    );
}

/// The queue shows how a waiting visitor started (helplines triage on it): one line,
/// sanitised, cut to the pane, in quotes under the intake.
#[test]
fn the_queue_shows_a_waiting_visitors_first_words_on_one_clean_line() {
    let mut app = app_with(KeyConfig::default());
    login(&mut app, Role::Counselor);
    let mut lotte = entry("c-lotte", "Lotte", Intake::default(), 2);
    lotte.first_words = Some(
        "Help \u{1b}[2J ik\nweet het niet meer, mijn papa roept weer en ik durf niet naar huis"
            .into(),
    );
    staff(&mut app, queue_of(vec![lotte], vec![]));
    let screen = render_at(&app, 80, 24);
    let line = screen
        .lines()
        .find(|l| l.contains("“Help "))
        .unwrap_or_else(|| panic!("no first words:\n{screen}"));
    assert!(!screen.contains('\u{1b}'), "an escape reached the screen");
    // The escape shows as text, the line break as a space.
    assert!(line.contains("“Help ^[[2J ik weet"), "{line}");
    assert!(line.contains('…'), "cut to the pane: {line}");
}
