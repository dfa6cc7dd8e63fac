//! The HTTP side: the page and its headers, and `/api/status` through every transition.

use anyhow::Context;
use chathulp_relay::Config;
use chathulp_tests::TestRelay;
use serde_json::{Value, json};

async fn statuses(relay: &TestRelay) -> anyhow::Result<Vec<(String, String)>> {
    let r = relay.get("/api/status").await?;
    assert_eq!(r.status, 200);
    let json: Value = serde_json::from_str(&r.body)?;
    let services = json["services"].as_array().context("services array")?;
    services
        .iter()
        .map(|s| {
            let field = |k: &str| s[k].as_str().map(str::to_owned).context("string field");
            Ok((field("id")?, field("status")?))
        })
        .collect()
}

fn pair(id: &str, status: &str) -> (String, String) {
    (id.to_owned(), status.to_owned())
}

#[tokio::test]
async fn page_is_served_with_a_strict_csp_and_no_third_party_references() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    for path in ["/", "/privacy", "/app.js", "/style.css"] {
        let r = relay.get(path).await?;
        assert_eq!(r.status, 200, "{path}");
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        let hsts = r.header("strict-transport-security").unwrap_or_default();
        assert!(hsts.contains("max-age=31536000"), "{path}: {hsts}");
        let permissions = r.header("permissions-policy").unwrap_or_default();
        for feature in ["camera=()", "microphone=()", "geolocation=()"] {
            assert!(permissions.contains(feature), "{path}: {permissions}");
        }
        assert!(r.header("set-cookie").is_none());
        // Nothing is loaded from another origin.
        for needle in ["src=\"http", "href=\"//", "src=\"//", "@import url(http"] {
            assert!(!r.body.contains(needle), "{path} contains {needle}");
        }
    }
    let page = relay.get("/").await?.body;
    assert!(page.contains("112"));
    assert!(page.contains("1813"));
    assert!(page.contains("/privacy"));
    let js = relay.get("/app.js").await?.body;
    assert!(
        !js.contains("innerHTML"),
        "visitor text must go through textContent"
    );
    assert!(!js.contains("insertAdjacentHTML"));
    assert_eq!(relay.get("/nope").await?.status, 404);
    relay.stop().await
}

#[tokio::test]
async fn status_goes_offline_online_busy_online_offline_over_the_api_and_the_live_push()
-> anyhow::Result<()> {
    let mut config = Config::default();
    config.limits.counselor_capacity = 1;
    for s in &mut config.services {
        s.max_queue = 1;
    }
    let relay = TestRelay::start_with(config).await?;
    // The page's live stream must show every transition too, in order.
    let mut pushed = relay.status_events().await?;
    let caw_is = |status: &'static str| move |s: &Value| s["services"][0]["status"] == status;

    // Open hours, but nobody signed in.
    let both = [pair("caw", "offline"), pair("jac", "offline")];
    assert_eq!(statuses(&relay).await?, both);
    pushed.until(caw_is("offline")).await?;

    let mut counselor = relay.staff("an").await?;
    let both = [pair("caw", "online"), pair("jac", "online")];
    assert_eq!(statuses(&relay).await?, both);
    pushed.until(caw_is("online")).await?;

    // The only counselor is full and the CAW queue reaches its maximum: busy.
    let _v1 = relay.queued_visitor("caw", "Een").await?;
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let id = counselor.expect("conversation").await?["conversation"].clone();
    assert_eq!(statuses(&relay).await?[0], pair("caw", "online"));
    let _v2 = relay.queued_visitor("caw", "Twee").await?;
    let both = [pair("caw", "busy"), pair("jac", "online")];
    assert_eq!(statuses(&relay).await?, both);
    pushed.until(caw_is("busy")).await?;
    let mut v3 = relay.visitor().await?;
    v3.send(json!({"type":"hello","protocol":1,"service":"caw","nickname":"Drie"}))
        .await?;
    assert_eq!(v3.expect("error").await?["code"], "service_busy");

    // The counselor ends a conversation: room again.
    counselor
        .send(json!({"type":"end","conversation":id}))
        .await?;
    counselor.expect("ended").await?;
    assert_eq!(statuses(&relay).await?[0], pair("caw", "online"));
    pushed.until(caw_is("online")).await?;

    // 17:30 Brussels time: CAW has closed, JAC (until 19:00) is still open. The
    // relay's housekeeping tick notices and pushes the change.
    relay.clock.set("2026-11-27T16:30:00Z".parse()?);
    relay.broker.tick().await?;
    let both = [pair("caw", "offline"), pair("jac", "online")];
    assert_eq!(statuses(&relay).await?, both);
    let pushed_closed = pushed.until(caw_is("offline")).await?;
    assert_eq!(
        pushed_closed["services"][0]["next_opening"],
        "2026-11-30T13:00:00+01:00"
    );
    let r: Value = serde_json::from_str(&relay.get("/api/status").await?.body)?;
    assert_eq!(
        r["services"][0]["next_opening"],
        "2026-11-30T13:00:00+01:00"
    );
    assert_eq!(
        r["services"][0]["message"],
        "De chat is gesloten, er zijn geen beantwoorders online."
    );
    assert_eq!(r["services"][0]["email"], "info@caw.be");
    let mut late = relay.visitor().await?;
    late.send(json!({"type":"hello","protocol":1,"service":"caw","nickname":"Laat"}))
        .await?;
    assert_eq!(late.expect("error").await?["code"], "service_offline");
    relay.stop().await
}
