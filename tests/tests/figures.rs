//! The figures behind the terminal app's "Cijfers" screen, through a real relay: the
//! queue length sampled on the relay's tick by its (injected) clock, and conversations
//! per local hour today and this week. Supervisors and administrators get them inside
//! `dashboard`; counselors get no dashboard at all. Counts only: no nickname, address or
//! id.

use chathulp_relay::{Clock as _, Config};
use chathulp_tests::{Client, PATIENCE, TestRelay};
use jiff::SignedDuration;
use serde_json::{Value, json};

const FIVE_MINUTES: SignedDuration = SignedDuration::from_mins(5);

/// Waits for a dashboard whose CAW entry satisfies `pred`, and returns that entry. The
/// relay's own tick keeps sending queues, so the wait has one deadline of its own.
async fn caw_dashboard(
    client: &mut Client,
    pred: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut last = Value::Null;
    loop {
        let Ok(dash) = tokio::time::timeout_at(deadline, client.expect("dashboard")).await else {
            anyhow::bail!("no such dashboard within {PATIENCE:?}; the last CAW entry: {last}");
        };
        let dash = dash?;
        let caw = dash["services"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["service"] == "caw"))
            .cloned()
            .unwrap_or_default();
        if pred(&caw) {
            return Ok(caw);
        }
        last = caw;
    }
}

/// Every value in `v` is a number, or an array of numbers.
fn only_counts(v: &Value) -> bool {
    match v {
        Value::Number(_) => true,
        Value::Array(items) => items.iter().all(Value::is_number),
        Value::Object(fields) => fields.values().all(only_counts),
        _ => false,
    }
}

#[tokio::test]
async fn supervisors_get_the_figures_over_time_and_counselors_get_none() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    // The clock starts at 13:30 UTC, 14:30 in Brussels, on a 5-minute mark.
    let start_ms = relay.clock.now_ms();
    let mut an = relay.staff("an").await?;
    let mut sup = relay.staff("sup").await?;
    relay.broker.tick().await?;

    let _sam = relay.queued_visitor("caw", "Sam").await?;
    let _lou = relay.queued_visitor("caw", "Lou").await?;
    relay.clock.advance(FIVE_MINUTES);
    relay.broker.tick().await?;
    // Taken after 5 minutes in the queue, in the 14:00 hour.
    an.send(json!({"type":"take","service":"caw"})).await?;
    let conv = an.expect("conversation").await?;
    relay.clock.advance(FIVE_MINUTES);
    relay.broker.tick().await?;

    let caw = caw_dashboard(&mut sup, |caw| {
        caw["trends"]["waiting_samples"] == json!([0, 2, 1])
            && caw["trends"]["week_conversations"] == 1
    })
    .await?;
    let trends = &caw["trends"];
    assert_eq!(trends["sample_every_ms"], 300_000);
    assert_eq!(trends["last_sample_at_ms"], start_ms + 600_000);
    let mut hours = vec![0; 24];
    hours[14] = 1;
    assert_eq!(trends["today_per_hour"], json!(hours));
    assert_eq!(trends["week_per_hour"], json!(hours));
    assert_eq!(trends["week_mean_wait_ms"], 300_000);
    assert_eq!(
        (caw["today_conversations"].as_u64(), caw["waiting"].as_u64()),
        (Some(1), Some(1))
    );

    // Counts only.
    assert!(only_counts(trends), "{trends}");
    let text = trends.to_string();
    let id = conv["conversation"].as_str().unwrap_or_default();
    for secret in ["Sam", "Lou", "127.0.0.1", id] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }

    // The counselor saw every queue change, and no dashboard and no figures.
    for frame in an.drain().await? {
        assert_ne!(frame["type"], "dashboard");
        assert!(!frame.to_string().contains("waiting_samples"), "{frame}");
    }

    // A restart forgets the samples (memory only) but not the hours (the database).
    let relay = relay.restart(Config::default()).await?;
    let mut adm = relay.staff("adm").await?;
    // Once the relay has read the store again (its first tick, or ours).
    relay.broker.tick().await?;
    let caw = caw_dashboard(&mut adm, |caw| {
        caw["trends"]["week_conversations"] == 1
            && caw["trends"]["waiting_samples"] == json!([caw["waiting"]])
    })
    .await?;
    assert_eq!(caw["trends"]["today_per_hour"], json!(hours));
    assert_eq!(caw["trends"]["last_sample_at_ms"], start_ms + 600_000);
    relay.stop().await
}

#[tokio::test]
async fn this_week_began_on_monday_and_today_at_midnight() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let mut sup = relay.staff("sup").await?;
    // Friday 14:30 in Brussels: one conversation now.
    let _sam = relay.queued_visitor("caw", "Sam").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    an.expect("conversation").await?;
    caw_dashboard(&mut sup, |caw| caw["trends"]["week_conversations"] == 1).await?;
    // Saturday 14:30: still this week, no longer today.
    relay.clock.advance(SignedDuration::from_hours(24));
    relay.broker.tick().await?;
    let caw = caw_dashboard(&mut sup, |caw| caw["today_conversations"] == 0).await?;
    assert_eq!(caw["trends"]["today_per_hour"], json!(vec![0; 24]));
    assert_eq!(caw["trends"]["week_per_hour"][14], 1);
    assert_eq!(caw["trends"]["week_conversations"], 1);
    // Monday 14:30: a new week.
    relay.clock.advance(SignedDuration::from_hours(48));
    relay.broker.tick().await?;
    let caw = caw_dashboard(&mut sup, |caw| caw["trends"]["week_conversations"] == 0).await?;
    assert_eq!(caw["trends"]["week_per_hour"], json!(vec![0; 24]));
    assert!(caw["trends"].get("week_mean_wait_ms").is_none());
    relay.stop().await
}
