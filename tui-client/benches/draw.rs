//! How long one frame of the app takes to draw at its worst realistic load: 50 open
//! conversations of 2,000 messages each and a queue of 200 visitors, on ratatui's
//! `TestBackend` at 80×24 and 200×50. A measurement, not a test: it prints the median
//! and the 99th percentile per frame and asserts nothing. (The app keeps the newest
//! `HISTORY_PAGE` of each snapshot in live view; the rest stays on the relay.)
//!
//! `cargo bench -p chathulp --bench draw` (add `-- FRAMES` to change the 300 frames).

use std::time::{Duration, Instant};

use chathulp::action::Action;
use chathulp::app::{App, AppOptions, ClientIds};
use chathulp::keymap::KeyConfig;
use chathulp::net::{LoginInfo, NetEvent};
use chathulp_shared::staff::{QueueEntry, ServiceQueue, StaffEvent, StaffSettings};
use chathulp_shared::{ChatMessage, ConversationId, Intake, Party, Role, ServiceId, ServiceStatus};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const NOW: i64 = 1_763_730_000_000;
const CONVERSATIONS: usize = 50;
const MESSAGES: u64 = 2_000;
const WAITING: usize = 200;

fn staff(app: &mut App, event: StaffEvent) {
    app.update(Action::Net(NetEvent::Staff(Box::new(event))));
}

/// A counselor with the whole load, the last conversation in view.
fn loaded_app() -> App {
    let mut app = App::new(AppOptions {
        user: "an".into(),
        server: "wss://127.0.0.1:8443".into(),
        now_ms: NOW,
        color: true,
        client_ids: ClientIds::Sequential(0),
        keys: KeyConfig::default(),
        notifications: Default::default(),
    });
    app.update(Action::Net(NetEvent::Connected(LoginInfo {
        protocol: 1,
        user: "an".into(),
        role: Role::Counselor,
        capacity: CONVERSATIONS as u32,
        settings: StaffSettings::default(),
    })));
    let waiting = (0..WAITING)
        .map(|i| QueueEntry {
            conversation: ConversationId(format!("q-{i}")),
            nickname: format!("Wachtend {i}"),
            intake: Intake::default(),
            since_ms: NOW - i as i64 * 1_000,
            earlier_contacts: 0,
            first_words: None,
        })
        .collect();
    staff(
        &mut app,
        StaffEvent::Queue {
            services: vec![ServiceQueue {
                service: ServiceId("caw".into()),
                name: "CAW".into(),
                status: ServiceStatus::Online,
                waiting,
                closed_reason: None,
            }],
        },
    );
    for c in 0..CONVERSATIONS {
        let messages = (1..=MESSAGES)
            .map(|seq| ChatMessage {
                seq,
                from: if seq % 2 == 0 {
                    Party::Counselor
                } else {
                    Party::Visitor
                },
                text: format!(
                    "Bericht {seq}: een gewone zin van een gesprek, lang genoeg om over \
                     meer dan één regel te lopen op een smal scherm."
                ),
                at_ms: NOW - (MESSAGES - seq) as i64 * 10_000,
            })
            .collect();
        staff(
            &mut app,
            StaffEvent::Conversation {
                conversation: ConversationId(format!("c-{c}")),
                service: ServiceId("caw".into()),
                nickname: format!("Bezoeker {c}"),
                intake: Intake::default(),
                started_at_ms: NOW - 3_600_000,
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
            },
        );
    }
    app.update(Action::JumpConversation(1));
    app
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn main() {
    // `cargo bench` passes `--bench`; a number is the frame count.
    let frames: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    let app = loaded_app();
    let held = app.conversations.first().map_or(0, |c| c.stored_count());
    println!(
        "{CONVERSATIONS} conversations × {MESSAGES} messages ({held} held), {WAITING} waiting; {frames} frames each"
    );
    for (width, height) in [(80u16, 24u16), (200, 50)] {
        let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
            Ok(terminal) => terminal,
            Err(never) => match never {},
        };
        let mut times = Vec::with_capacity(frames);
        for _ in 0..frames {
            // A full redraw each time, the worst case: nothing is left from the last one.
            let _ = terminal.clear();
            let start = Instant::now();
            if terminal
                .draw(|frame| chathulp::ui::draw(frame, &app))
                .is_err()
            {
                eprintln!("draw failed");
                return;
            }
            times.push(start.elapsed());
        }
        times.sort();
        println!(
            "{width}x{height}: median {:.3} ms, p99 {:.3} ms per frame",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
        );
    }
}
