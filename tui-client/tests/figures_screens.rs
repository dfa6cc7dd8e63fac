//! The "Cijfers" screen of supervisors and administrators: snapshots at 80×24 and
//! 200×50 with a realistic Friday afternoon, live updates from the relay's dashboard,
//! and that counselors never get it. The clock is fixed (`common::NOW`, 14:00).

mod common;

use chathulp::action::Action;
use chathulp::app::{App, Popup};
use chathulp::strings;
use chathulp_shared::staff::{LiveConversation, ServiceDashboard, ServiceTrends, StaffEvent};
use chathulp_shared::{Role, ServiceStatus};
use common::*;

const SAMPLE_MS: i64 = 5 * MINUTE;
const SAMPLES: usize = 144;

/// Twelve hours of queue lengths up to now, one every 5 minutes: nobody before the
/// service opens at `opens_at` (an hour of the day), then a queue that comes and goes.
fn waiting_samples(opens_at: i64, peak: u32) -> Vec<u32> {
    (0..SAMPLES as i64)
        .map(|i| {
            let at = NOW - (SAMPLES as i64 - 1 - i) * SAMPLE_MS;
            // NOW is 14:00 in Brussels: minutes since the service opened.
            let open_for = (at - (NOW - (14 - opens_at) * 60 * MINUTE)) / MINUTE;
            if open_for < 0 {
                0
            } else {
                // A deterministic ripple, rising towards the afternoon.
                let k = (open_for / 5) as u32;
                ((k * 7) % 5 + k / 12).min(peak)
            }
        })
        .collect()
}

fn per_hour(counts: &[(usize, u32)]) -> Vec<u32> {
    let mut hours = vec![0; 24];
    for &(hour, n) in counts {
        hours[hour] = n;
    }
    hours
}

fn caw(waiting: u32, today: &[(usize, u32)]) -> ServiceDashboard {
    let today_per_hour = per_hour(today);
    let week_per_hour = per_hour(&[
        (9, 11),
        (10, 14),
        (11, 17),
        (12, 12),
        (13, 21),
        (14, 15),
        (15, 13),
        (16, 11),
        (17, 6),
        (18, 7),
        (19, 9),
        (20, 6),
        (21, 3),
    ]);
    ServiceDashboard {
        service: sid("caw"),
        name: "CAW".into(),
        status: ServiceStatus::Online,
        waiting,
        longest_waiting_since_ms: (waiting > 0).then_some(NOW - 3 * MINUTE),
        in_progress: vec![LiveConversation {
            conversation: cid("c-lou"),
            counselor: "bo".into(),
            nickname: "Lou".into(),
            started_at_ms: NOW - 12 * MINUTE,
        }],
        today_conversations: today_per_hour.iter().sum(),
        today_mean_wait_ms: Some(3 * MINUTE + 20_000),
        trends: ServiceTrends {
            waiting_samples: waiting_samples(9, 6),
            sample_every_ms: SAMPLE_MS,
            last_sample_at_ms: Some(NOW),
            week_conversations: week_per_hour.iter().sum(),
            week_mean_wait_ms: Some(4 * MINUTE + 10_000),
            today_per_hour,
            week_per_hour,
        },
    }
}

fn jac() -> ServiceDashboard {
    let today_per_hour = per_hour(&[(13, 4), (14, 1)]);
    let week_per_hour = per_hour(&[(13, 9), (14, 12), (15, 10), (16, 8), (17, 5)]);
    ServiceDashboard {
        service: sid("jac"),
        name: "JAC".into(),
        status: ServiceStatus::Online,
        waiting: 1,
        longest_waiting_since_ms: Some(NOW - 5 * MINUTE),
        in_progress: Vec::new(),
        today_conversations: today_per_hour.iter().sum(),
        today_mean_wait_ms: Some(2 * MINUTE),
        trends: ServiceTrends {
            waiting_samples: waiting_samples(13, 3),
            sample_every_ms: SAMPLE_MS,
            last_sample_at_ms: Some(NOW),
            week_conversations: week_per_hour.iter().sum(),
            week_mean_wait_ms: Some(150_000),
            today_per_hour,
            week_per_hour,
        },
    }
}

const CAW_TODAY: [(usize, u32); 6] = [(9, 2), (10, 3), (11, 4), (12, 3), (13, 5), (14, 1)];

fn overseer(role: Role) -> App {
    let mut app = app();
    login(&mut app, role);
    staff(&mut app, queue());
    staff(
        &mut app,
        StaffEvent::Dashboard {
            services: vec![caw(2, &CAW_TODAY), jac()],
        },
    );
    app.take_commands();
    app
}

#[test]
fn figures_at_80x24() {
    let mut app = overseer(Role::Supervisor);
    press_char(&mut app, 'C');
    assert_eq!(app.popup, Some(Popup::Figures { first: 0 }));
    insta::assert_snapshot!(render(&app));
    // ↓ pages to the next service; the last page stays the last.
    press_char(&mut app, 'j');
    press_char(&mut app, 'j');
    insta::assert_snapshot!("figures_at_80x24_second_service", render(&app));
    press_char(&mut app, 'q');
    assert_eq!(app.popup, None);
}

#[test]
fn figures_at_200x50() {
    let mut app = overseer(Role::Admin);
    app.update(Action::Resize(200, 50));
    press_char(&mut app, 'C');
    // Both services fit: nothing to page.
    press_char(&mut app, 'j');
    assert_eq!(app.popup, Some(Popup::Figures { first: 0 }));
    insta::assert_snapshot!(render_at(&app, 200, 50));
}

#[test]
fn figures_follow_the_relay_live() {
    let mut app = overseer(Role::Supervisor);
    press_char(&mut app, 'C');
    assert!(render(&app).contains("Nu: 2 wachtend, langst wachtend 3m"));
    let mut later = CAW_TODAY;
    later[5] = (14, 2);
    staff(
        &mut app,
        StaffEvent::Dashboard {
            services: vec![caw(0, &later), jac()],
        },
    );
    let screen = render(&app);
    assert!(screen.contains("Nu: niemand wacht"), "{screen}");
    assert!(screen.contains("Vandaag: 19 gesprekken"), "{screen}");
    assert!(
        app.take_commands().is_empty(),
        "the screen asks the relay nothing"
    );
}

#[test]
fn figures_from_an_older_relay_say_what_is_missing() {
    let mut app = app();
    login(&mut app, Role::Supervisor);
    staff(&mut app, queue());
    let mut board = caw(2, &CAW_TODAY);
    board.trends = ServiceTrends::default();
    staff(
        &mut app,
        StaffEvent::Dashboard {
            services: vec![board],
        },
    );
    press_char(&mut app, 'C');
    insta::assert_snapshot!(render(&app));
}

#[test]
fn counselors_get_no_figures_key_and_no_screen() {
    let mut app = app();
    login(&mut app, Role::Counselor);
    staff(&mut app, queue());
    press_char(&mut app, 'C');
    assert_eq!(app.popup, None);
    let help = app.keys.help_rows(app.read_only(), app.is_admin());
    assert!(help.iter().all(|(_, h)| *h != strings::keys::FIGURES));
    // Even if the action arrived, it opens nothing.
    app.update(Action::ShowFigures);
    assert_eq!(app.popup, None);
    assert_eq!(
        app.notice.as_ref().map(|n| n.text.as_str()),
        Some(strings::FIGURES_ONLY)
    );
    let supervisor = overseer(Role::Supervisor);
    let help = supervisor.keys.help_rows(true, false);
    assert!(
        help.iter()
            .any(|(k, h)| k == "C" && *h == strings::keys::FIGURES)
    );
}
