//! Fixtures shared by the update and screen tests: an app with a fixed clock, and the
//! relay events a real relay would send.
#![allow(dead_code)]

use chathulp::action::Action;
use chathulp::app::{App, AppOptions, ClientIds};
use chathulp::keymap::KeyConfig;
use chathulp::net::{LoginInfo, NetEvent};
use chathulp_shared::staff::{CannedResponse, QueueEntry, ServiceQueue, StaffEvent, StaffSettings};
use chathulp_shared::{
    ChatMessage, ConversationId, Gender, Intake, Party, Region, Role, ServiceId, ServiceStatus,
};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

/// 2025-11-21 14:00 in Brussels.
pub const NOW: i64 = 1_763_730_000_000;
pub const MINUTE: i64 = 60_000;

pub fn app() -> App {
    App::new(AppOptions {
        user: "an".into(),
        server: "wss://127.0.0.1:8443".into(),
        now_ms: NOW,
        color: false,
        client_ids: ClientIds::Sequential(0),
        keys: KeyConfig::default(),
        notifications: Default::default(),
    })
}

pub fn cid(s: &str) -> ConversationId {
    ConversationId(s.into())
}

pub fn sid(s: &str) -> ServiceId {
    ServiceId(s.into())
}

pub fn staff(app: &mut App, event: StaffEvent) {
    app.update(Action::Net(NetEvent::Staff(Box::new(event))));
}

pub fn login(app: &mut App, role: Role) {
    login_with(app, role, settings());
}

pub fn login_with(app: &mut App, role: Role, settings: StaffSettings) {
    app.update(Action::Net(NetEvent::Connected(LoginInfo {
        protocol: 1,
        user: "an".into(),
        role,
        capacity: 3,
        settings,
    })));
}

/// The relay's seed settings: warn at 50 minutes, limit at 60, three canned responses.
pub fn settings() -> StaffSettings {
    StaffSettings {
        guidance_warn_mins: 50,
        guidance_limit_mins: 60,
        canned: vec![
            canned(
                'w',
                "Welkom",
                "Dag, fijn dat je er bent. Waarover wil je praten?",
            ),
            canned(
                'a',
                "Afronden",
                "We zijn al bijna een uur aan het praten.\nZullen we stilaan afronden?",
            ),
            canned(
                'n',
                "Nummer 1712",
                "Je kan ook bellen naar 1712, gratis en anoniem.",
            ),
        ],
        topics: Vec::new(),
    }
}

pub fn canned(key: char, title: &str, text: &str) -> CannedResponse {
    CannedResponse {
        key,
        title: title.into(),
        text: text.into(),
    }
}

pub fn entry(id: &str, nickname: &str, intake: Intake, waited_min: i64) -> QueueEntry {
    QueueEntry {
        conversation: cid(id),
        nickname: nickname.into(),
        intake,
        since_ms: NOW - waited_min * MINUTE,
        earlier_contacts: 0,
        first_words: None,
    }
}

pub fn sam_intake() -> Intake {
    Intake {
        age: Some(17),
        region: Some(Region::Limburg),
        gender: Some(Gender::X),
    }
}

pub fn kim_intake() -> Intake {
    Intake {
        age: Some(15),
        region: Some(Region::Antwerpen),
        gender: Some(Gender::Female),
    }
}

/// Two visitors waiting in caw (Sam 3 min, Lotte 1 min), one in jac (Kim 5 min).
pub fn queue() -> StaffEvent {
    StaffEvent::Queue {
        services: vec![
            ServiceQueue {
                service: sid("caw"),
                name: "CAW".into(),
                status: ServiceStatus::Online,
                waiting: vec![
                    entry("c-sam", "Sam", sam_intake(), 3),
                    entry("c-lotte", "Lotte", Intake::default(), 1),
                ],
                closed_reason: None,
            },
            ServiceQueue {
                service: sid("jac"),
                name: "JAC".into(),
                status: ServiceStatus::Online,
                waiting: vec![entry("c-kim", "Kim", kim_intake(), 5)],
                closed_reason: None,
            },
        ],
    }
}

pub fn message(seq: u64, from: Party, text: &str, at_ms: i64) -> ChatMessage {
    ChatMessage {
        seq,
        from,
        text: text.into(),
        at_ms,
    }
}

pub fn conversation(
    id: &str,
    service: &str,
    nickname: &str,
    intake: Intake,
    started_at_ms: i64,
    messages: Vec<ChatMessage>,
) -> StaffEvent {
    StaffEvent::Conversation {
        conversation: cid(id),
        service: sid(service),
        nickname: nickname.into(),
        intake,
        started_at_ms,
        messages,
        no_dossier: false,
        dossier_candidate: false,
        linked_to: None,
        visitor_away_until_ms: None,
        notes: Vec::new(),
        handover: None,
        watching: false,
        counselor: None,
        truncated: false,
        tagged_names: Vec::new(),
    }
}

/// A conversation with its dossier flags set.
pub fn conversation_with_dossier(
    id: &str,
    nickname: &str,
    started_at_ms: i64,
    no_dossier: bool,
    dossier_candidate: bool,
) -> StaffEvent {
    StaffEvent::Conversation {
        conversation: cid(id),
        service: sid("caw"),
        nickname: nickname.into(),
        intake: sam_intake(),
        started_at_ms,
        messages: vec![],
        no_dossier,
        dossier_candidate,
        linked_to: None,
        visitor_away_until_ms: None,
        notes: Vec::new(),
        handover: None,
        watching: false,
        counselor: None,
        truncated: false,
        tagged_names: Vec::new(),
    }
}

/// A key as the terminal delivers it, through the keymap, the way the event loop does.
pub fn press(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    let event = Event::Key(KeyEvent::new(code, modifiers));
    if let Some(action) = chathulp::event::terminal_action(app, event) {
        app.update(action);
    }
}

pub fn press_char(app: &mut App, c: char) {
    press(app, KeyCode::Char(c), KeyModifiers::NONE);
}

/// Types `text` into the input, key by key.
pub fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Action::Input(ratatui_textarea::Input {
            key: ratatui_textarea::Key::Char(c),
            ctrl: false,
            alt: false,
            shift: false,
        }));
    }
}

/// Messages `seqs`, alternating visitor and counselor, one a minute before `NOW`.
pub fn numbered(seqs: std::ops::RangeInclusive<u64>) -> Vec<ChatMessage> {
    seqs.map(|seq| {
        let from = if seq % 2 == 1 {
            Party::Visitor
        } else {
            Party::Counselor
        };
        let at_ms = NOW - 10_000 * MINUTE + seq as i64 * MINUTE;
        message(seq, from, &format!("bericht {seq}"), at_ms)
    })
    .collect()
}

/// A `conversation` snapshot holding `messages`, with `truncated` set as the relay sets
/// it when older messages exist.
pub fn snapshot_of(
    id: &str,
    nickname: &str,
    messages: Vec<ChatMessage>,
    truncated: bool,
) -> StaffEvent {
    let mut event = conversation(
        id,
        "caw",
        nickname,
        sam_intake(),
        NOW - 30 * MINUTE,
        messages,
    );
    if let StaffEvent::Conversation { truncated: t, .. } = &mut event {
        *t = truncated;
    }
    event
}

/// The app drawn on ratatui's `TestBackend` at 80x24, as text.
pub fn render(app: &App) -> String {
    render_at(app, 80, 24)
}

/// The app drawn on ratatui's `TestBackend` at `width` x `height`, as text.
pub fn render_at(app: &App, width: u16, height: u16) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height))
        .expect("test terminal");
    terminal
        .draw(|frame| chathulp::ui::draw(frame, app))
        .expect("draw");
    terminal.backend().to_string()
}
