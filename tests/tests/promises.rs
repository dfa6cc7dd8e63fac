//! What the visitor is promised (issue "opening hours, online/busy/offline, e-mail
//! fallback, survey"): nobody waits in a queue no one will serve, administrators can close
//! a service at once, the page's status is pushed live, the survey is stored but never
//! shown to staff, and a refused dossier is respected.

use chathulp_relay::Config;
use chathulp_relay::store::ServiceClosure;
use chathulp_shared::ServiceId;
use chathulp_tests::{Client, TestRelay};
use serde_json::{Value, json};

fn waiting(q: &Value, service: usize) -> usize {
    q["services"][service]["waiting"]
        .as_array()
        .map_or(0, Vec::len)
}

/// Sends a request whose reply proves that every frame sent to `client` before it has
/// arrived, and returns those frames (a barrier, instead of waiting for silence).
async fn frames_until_barrier(client: &mut Client) -> anyhow::Result<Vec<Value>> {
    client
        .send(json!({"type":"take","service":"no-such-service"}))
        .await?;
    let mut seen = Vec::new();
    loop {
        let frame = client.next().await?;
        if frame["type"] == "error" && frame["code"] == "not_found" {
            return Ok(seen);
        }
        seen.push(frame);
    }
}

#[tokio::test]
async fn when_the_last_counselor_signs_out_waiting_visitors_are_told_and_offered_email()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut visitor = relay.queued_visitor("caw", "Sam").await?;
    counselor.send(json!({"type":"logout"})).await?;
    let ended = visitor.expect("ended").await?;
    assert_eq!(ended["by"], "relay");
    let reason = ended["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("De chat is gesloten"), "{reason}");
    assert!(reason.contains("info@caw.be"), "{reason}");
    assert_eq!(
        ended.get("survey"),
        None,
        "no survey for a chat nobody took"
    );
    relay.stop().await
}

#[tokio::test]
async fn when_the_last_counselor_drops_waiting_visitors_are_told_once_the_window_has_passed()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut talking = relay.queued_visitor("caw", "Een").await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    counselor.expect("conversation").await?;
    let mut visitor = relay.queued_visitor("caw", "Twee").await?;
    drop(counselor);
    // The relay noticed the drop when the talking visitor hears about it.
    talking.expect("counselor_away").await?;
    // Within the window the service stays online: a blip must not send everyone away.
    let status: Value = serde_json::from_str(&relay.get("/api/status").await?.body)?;
    assert_eq!(status["services"][0]["status"], "online");
    relay.clock.advance(jiff::SignedDuration::from_secs(301));
    relay.broker.tick().await?;
    assert_eq!(visitor.expect("ended").await?["by"], "relay");
    assert_eq!(talking.expect("ended").await?["by"], "relay");
    let status: Value = serde_json::from_str(&relay.get("/api/status").await?.body)?;
    assert_eq!(status["services"][0]["status"], "offline");
    relay.stop().await
}

#[tokio::test]
async fn at_closing_time_waiting_visitors_are_told_and_chats_in_progress_carry_on()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut talking = relay.queued_visitor("caw", "Een").await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let id = counselor.expect("conversation").await?["conversation"].clone();
    let mut waiting_visitor = relay.queued_visitor("caw", "Twee").await?;

    // 17:00 Brussels time: CAW closes.
    relay.clock.set("2026-11-27T16:00:00Z".parse()?);
    relay.broker.tick().await?;
    let ended = waiting_visitor.expect("ended").await?;
    assert_eq!(ended["by"], "relay");

    talking
        .send(json!({"type":"send","client_id":"v1","text":"nog even"}))
        .await?;
    talking.expect("ack").await?;
    let got = counselor.expect("message").await?;
    assert_eq!(
        (&got["conversation"], &got["message"]["text"]),
        (&id, &json!("nog even"))
    );
    relay.stop().await
}

#[tokio::test]
async fn an_administrator_closes_and_reopens_a_service_and_others_may_not() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut admin = relay.staff("adm").await?;
    let mut visitor = relay.queued_visitor("jac", "Sam").await?;

    counselor
        .send(json!({"type":"close_service","service":"jac","reason":"storm"}))
        .await?;
    assert_eq!(counselor.expect("error").await?["code"], "forbidden");
    admin
        .send(json!({"type":"close_service","service":"jac","reason":"  "}))
        .await?;
    assert_eq!(admin.expect("error").await?["code"], "invalid");

    admin
        .send(json!({"type":"close_service","service":"jac","reason":"Technische storing"}))
        .await?;
    assert_eq!(visitor.expect("ended").await?["by"], "relay");
    let q = counselor
        .expect_queue(|q| {
            q["services"][1]["closed_reason"] == "Technische storing" && waiting(q, 1) == 0
        })
        .await?;
    assert_eq!(q["services"][1]["status"], "offline");
    assert_eq!(waiting(&q, 1), 0);
    let status: Value = serde_json::from_str(&relay.get("/api/status").await?.body)?;
    assert_eq!(status["services"][1]["status"], "offline");
    assert_eq!(
        status["services"][0]["status"], "online",
        "CAW is not affected"
    );
    let mut late = relay.visitor().await?;
    late.send(json!({"type":"hello","protocol":1,"service":"jac","nickname":"Laat"}))
        .await?;
    assert_eq!(late.expect("error").await?["code"], "service_offline");

    admin
        .send(json!({"type":"open_service","service":"jac"}))
        .await?;
    counselor
        .expect_queue(|q| q["services"][1]["status"] == "online")
        .await?;
    relay.stop().await
}

#[tokio::test]
async fn a_closure_from_the_command_line_is_picked_up_by_the_running_relay() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    // What `chathulp-relay service close caw --reason ...` writes.
    let store = chathulp_relay::Store::open_at(&relay.location, &relay.data_dir).await?;
    store
        .close_service(ServiceClosure {
            service: ServiceId("caw".into()),
            reason: "Personeelsvergadering".into(),
            closed_by: "command line".into(),
            closed_at_ms: 0,
        })
        .await?;
    relay.broker.tick().await?;
    counselor
        .expect_queue(|q| q["services"][0]["closed_reason"] == "Personeelsvergadering")
        .await?;
    store.open_service(ServiceId("caw".into())).await?;
    relay.broker.tick().await?;
    counselor
        .expect_queue(|q| q["services"][0]["closed_reason"].is_null())
        .await?;
    relay.stop().await
}

#[tokio::test]
async fn the_page_gets_status_changes_pushed_live() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut events = relay.status_events().await?;
    let first = events.next().await?;
    assert_eq!(first["services"][0]["status"], "offline");
    let _counselor = relay.staff("an").await?;
    events
        .until(|s| s["services"][0]["status"] == "online")
        .await?;
    relay.clock.set("2026-11-27T16:30:00Z".parse()?);
    relay.broker.tick().await?;
    let closed = events
        .until(|s| s["services"][0]["status"] == "offline")
        .await?;
    assert_eq!(
        closed["services"][0]["next_opening"],
        "2026-11-30T13:00:00+01:00"
    );
    assert_eq!(
        closed["services"][1]["status"], "online",
        "JAC is open until 19:00"
    );
    relay.stop().await
}

#[tokio::test]
async fn status_is_readable_cross_origin_only_by_configured_sites() -> anyhow::Result<()> {
    let mut config = Config::default();
    config.web.status_cors_origins = vec!["https://www.caw.be".into()];
    let relay = TestRelay::start_with(config).await?;
    let ok = relay
        .get_with("/api/status", &[("Origin", "https://www.caw.be")])
        .await?;
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("https://www.caw.be")
    );
    let other = relay
        .get_with("/api/status", &[("Origin", "https://evil.example")])
        .await?;
    assert_eq!(other.header("access-control-allow-origin"), None);
    relay.stop().await
}

#[tokio::test]
async fn the_survey_is_stored_once_and_never_reaches_the_counselor() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut visitor = relay.queued_visitor("caw", "Sam").await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let id = counselor.expect("conversation").await?["conversation"].clone();
    counselor
        .send(json!({"type":"end","conversation":id}))
        .await?;
    let ended = visitor.expect("ended").await?;
    let questions: Vec<&str> = ended["survey"]
        .as_array()
        .expect("a survey after a real conversation")
        .iter()
        .filter_map(|q| q["id"].as_str())
        .collect();
    assert_eq!(questions, ["helped", "recommend", "remarks"]);

    visitor
        .send(json!({"type":"survey","answers":[{"question":"helped","answer":"9"}]}))
        .await?;
    assert_eq!(visitor.expect("error").await?["code"], "invalid");
    let answers = json!([
        {"question":"helped","answer":"4"},
        {"question":"remarks","answer":"Geheime opmerking 7731"}
    ]);
    visitor
        .send(json!({"type":"survey","answers":answers}))
        .await?;
    visitor.expect("survey_saved").await?;
    visitor.send(json!({"type":"survey","answers":[]})).await?;
    assert_eq!(visitor.expect("error").await?["code"], "survey_closed");

    let stored = relay
        .query_value(
            "SELECT survey FROM conversations WHERE id = $1",
            &[id.as_str().unwrap_or_default()],
        )
        .await?;
    let stored = stored.as_str().unwrap_or_default();
    assert!(stored.contains("Geheime opmerking 7731"), "{stored}");
    let seen = frames_until_barrier(&mut counselor).await?;
    assert!(
        seen.iter()
            .all(|f| !f.to_string().contains("Geheime opmerking")),
        "{seen:?}"
    );
    relay.stop().await
}

#[tokio::test]
async fn login_carries_the_guidance_and_canned_responses_from_config() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut c = Client::connect(&relay.url("/ws/staff"), relay.client_tls()?).await?;
    c.send(json!({"type":"login","protocol":1,"user":"an","password":chathulp_tests::PASSWORD}))
        .await?;
    let ok = c.expect("login_ok").await?;
    assert_eq!(ok["settings"]["guidance_warn_mins"], 50);
    assert_eq!(ok["settings"]["guidance_limit_mins"], 60);
    let canned = ok["settings"]["canned"].as_array().expect("canned");
    assert!(
        canned
            .iter()
            .any(|c| c["text"].as_str().is_some_and(|t| t.contains("112")))
    );
    relay.stop().await
}

#[tokio::test]
async fn a_refused_dossier_is_respected_and_a_withdrawn_refusal_allows_the_mark()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut counselor = relay.staff("an").await?;
    let mut visitor = relay.visitor().await?;
    visitor
        .send(
            json!({"type":"hello","protocol":1,"service":"caw","nickname":"Sam","no_dossier":true}),
        )
        .await?;
    visitor.expect("welcome").await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let conv = counselor.expect("conversation").await?;
    assert_eq!(conv["no_dossier"], true);
    let id = conv["conversation"].clone();
    counselor
        .send(json!({"type":"mark_dossier","conversation":id,"candidate":true}))
        .await?;
    assert_eq!(counselor.expect("error").await?["code"], "dossier_refused");

    visitor
        .send(json!({"type":"dossier","refuse":false}))
        .await?;
    let changed = counselor.expect("dossier").await?;
    assert_eq!(changed["no_dossier"], false);
    counselor
        .send(json!({"type":"mark_dossier","conversation":id,"candidate":true}))
        .await?;
    assert_eq!(
        counselor.expect("dossier").await?["dossier_candidate"],
        true
    );

    // Refusing again clears the mark.
    visitor
        .send(json!({"type":"dossier","refuse":true}))
        .await?;
    let changed = counselor.expect("dossier").await?;
    assert_eq!(
        (&changed["no_dossier"], &changed["dossier_candidate"]),
        (&json!(true), &json!(false))
    );
    relay.stop().await
}
