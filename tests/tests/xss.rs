//! A corpus of XSS payloads, from both sides, in a real browser: Debian's headless
//! Chromium (driven over WebDriver, `chathulp_tests::browser`) shows the real visitor page
//! of a real relay, the visitor types every payload into the page (nickname, the age
//! field, messages), and a counselor on a real staff WebSocket sends every payload back.
//!
//! What must hold:
//! - nothing runs: no alert dialog (chromedriver would report it), no `window.__xss`
//!   flag set by any payload, the title unchanged, no CSP violation caused by a payload;
//! - nothing loads: the relay's own access log (debug level, captured from this process)
//!   shows no request for `/beacon`, which every loading payload points at, while it does
//!   show a probe request the page makes on purpose (so the log is really being read);
//! - every payload appears on the page literally, as text (`textContent`), with no
//!   element created inside the message list;
//! - every payload typed on the page reaches the counselor's frames byte for byte: the
//!   relay does not mangle text, the terminal app sanitises it (`tui-client`).
//!
//! The security headers of the page response (CSP, Referrer-Policy,
//! X-Content-Type-Options, Permissions-Policy, HSTS) are asserted in `tests/tests/http.rs`
//! (`page_is_served_with_a_strict_csp_and_no_third_party_references`); here the browser
//! shows the CSP is in force: an inline script injected into the page is blocked and
//! reported as a `securitypolicyviolation`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chathulp_relay::Config;
use chathulp_tests::browser::Browser;
use chathulp_tests::{Client, PATIENCE, TestRelay};
use serde_json::{Value, json};

const CAW: &str = r#"button.service[data-service="caw"]"#;

/// The nickname the visitor types: at most 32 characters, so one short payload.
const NICKNAME: &str = r#""><img src=/beacon?nick>"#;

/// What the visitor types into the age field (a number input).
const AGE_PAYLOAD: &str = "<script>alert(1)</script>";

/// Payloads for messages, both ways. `ORIGIN` becomes the relay's own origin, so the
/// loading ones would hit the relay itself, where its access log sees them. None holds a
/// newline (Enter sends) or leading/trailing spaces (the page trims).
const CORPUS: &[&str] = &[
    "<script>window.__xss=1;alert(1)</script>",
    "<img src=x onerror=\"window.__xss=1;alert(1)\">",
    "<svg onload=\"window.__xss=1;alert(1)\">",
    "<svg><script>window.__xss=1</script></svg>",
    "<body onload=window.__xss=1>",
    "<a href=\"javascript:window.__xss=1;alert(1)\">klik hier</a>",
    "javascript:alert(document.domain)",
    "\"><iframe srcdoc=\"<script>parent.__xss=1;parent.alert(1)</script>\"></iframe>",
    "'><details open ontoggle=window.__xss=1>",
    "{{constructor.constructor('window.__xss=1;alert(1)')()}}",
    "${alert(1)} {{7*7}} <%= 7*7 %>",
    "</textarea><script>window.__xss=1</script>",
    "</p></div><script>window.__xss=1</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;",
    "\\u003cimg src=x onerror=alert(1)\\u003e %3Cscript%3Ealert(1)%3C/script%3E",
    "<noscript><p title=\"</noscript><img src=x onerror=window.__xss=1>\">",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert() )//</stYle/</titLe/</teXtarEa/</scRipt/--!><sVg/<sVg/oNloAd=window.__xss=1//>",
    "<img src=\"ORIGIN/beacon?img\">",
    "<script src=\"/beacon?script\"></script>",
    "<iframe src=\"ORIGIN/beacon?iframe\"></iframe>",
    "<link rel=\"stylesheet\" href=\"/beacon?link\">",
    "<div style=\"background-image:url(/beacon?css)\">x</div>",
    "<style>@import '/beacon?import';</style>",
    "<object data=\"/beacon?object\"></object>",
    "<meta http-equiv=\"refresh\" content=\"0;url=/beacon?meta\">",
    "<video><source onerror=\"window.__xss=1\" src=\"/beacon?video\"></video>",
    "<title>pwned</title><base href=\"ORIGIN/beacon/\">",
];

fn corpus(origin: &str) -> Vec<String> {
    CORPUS.iter().map(|p| p.replace("ORIGIN", origin)).collect()
}

/// The access log's request lines so far: `(path, status)`.
fn requests(logs: &Mutex<Vec<u8>>) -> Vec<(String, String)> {
    let text =
        String::from_utf8_lossy(&logs.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    text.lines()
        .filter(|l| l.contains(" request ") || l.ends_with(" request"))
        .filter_map(|l| {
            let path = l.split("path=\"").nth(1)?.split('"').next()?.to_owned();
            let status = l
                .split("status=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .to_owned();
            Some((path, status))
        })
        .collect()
}

async fn expect(client: &mut Client, kind: &str) -> anyhow::Result<Value> {
    tokio::time::timeout(PATIENCE, client.expect(kind))
        .await
        .map_err(|_| anyhow::anyhow!("no {kind} within {PATIENCE:?}"))?
}

/// Waits for a staff `queue` frame whose CAW queue holds `n` visitors; returns them.
async fn caw_waiting(counselor: &mut Client, n: usize) -> anyhow::Result<Vec<Value>> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let queue = tokio::time::timeout(left, counselor.expect("queue"))
            .await
            .map_err(|_| anyhow::anyhow!("no queue with {n} waiting"))??;
        let waiting: Vec<Value> = queue["services"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["service"] == "caw")
            .flat_map(|s| s["waiting"].as_array().cloned().unwrap_or_default())
            .collect();
        if waiting.len() == n {
            return Ok(waiting);
        }
    }
}

/// `(from, text, child elements)` of every chat message on the page, top to bottom.
async fn page_messages(browser: &Browser) -> anyhow::Result<Vec<(String, String, u64)>> {
    let list = browser
        .eval(
            "return Array.from(document.querySelectorAll('#messages .msg')).map(function (m) {\
               const t = m.querySelector('.msg-text');\
               return [m.classList.contains('msg-visitor') ? 'visitor' : 'counselor',\
                 t.textContent, t.childElementCount]; });",
        )
        .await?;
    Ok(serde_json::from_value(list)?)
}

#[tokio::test]
async fn xss_payloads_from_both_sides_stay_plain_text_run_nothing_and_load_nothing()
-> anyhow::Result<()> {
    let logs = chathulp_tests::captured_logs();
    let mut config = Config::default();
    // The corpus is sent in one go; the per-visitor rate limit is tested elsewhere.
    config.limits.visitor_message_burst = 100;
    let relay = TestRelay::start_with(config).await?;
    let mut counselor = relay.staff("an").await?;
    let browser = Browser::start(&relay).await?;
    let corpus = corpus(&browser.origin);

    browser.open("/").await?;
    // Record every CSP violation and every flag a payload could set, from here on.
    browser
        .eval(
            "window.__csp = []; document.addEventListener('securitypolicyviolation', \
             function (e) { window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); }); \
             return true;",
        )
        .await?;
    browser
        .wait_displayed(&format!("{CAW} .dot.online"))
        .await?;
    browser.click(CAW).await?;
    browser.wait_displayed("#nickname").await?;

    // The intake's only typed field is a number: markup there is refused by the page.
    browser.type_into("#age", AGE_PAYLOAD).await?;
    browser.type_into("#nickname", NICKNAME).await?;
    browser.click("#start-button").await?;
    browser.wait_displayed("#age-error").await?;
    let age_error = browser.text("#age-error").await?;
    assert!(!age_error.is_empty(), "no age error shown");
    browser.find("#age").await?.clear().await?;
    browser.click("#start-button").await?;
    browser.wait_displayed("#queue-position").await?;

    // The nickname reaches staff unmodified, in the queue and in the conversation.
    let waiting = caw_waiting(&mut counselor, 1).await?;
    assert_eq!(waiting[0]["nickname"], NICKNAME);
    assert_eq!(waiting[0]["intake"], json!({}));
    // Intake fields are enums and a number: markup in them is refused by the relay as
    // well, and never reaches staff.
    let mut raw = relay.visitor().await?;
    raw.send(
        json!({"type":"hello","protocol":1,"service":"caw","nickname":"Kim",
        "intake":{"region":"<script>alert(1)</script>","gender":"<img src=x>"}}),
    )
    .await?;
    let refused = expect(&mut raw, "error").await?;
    assert!(
        refused["code"] == "bad_frame" || refused["code"] == "invalid",
        "{refused}"
    );
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let conv = expect(&mut counselor, "conversation").await?;
    assert_eq!(conv["nickname"], NICKNAME);
    let id = conv["conversation"].clone();
    browser
        .wait_for(
            "Array.from(document.querySelectorAll('#messages .notice-line'))\
             .some(function (p) { return p.textContent.indexOf('opgenomen') !== -1; })",
        )
        .await?;

    // The visitor types every payload; the counselor gets each byte for byte.
    for payload in &corpus {
        browser.type_into("#message-input", payload).await?;
        browser.click("#send-button").await?;
        let got = expect(&mut counselor, "message").await?;
        assert_eq!(got["conversation"], id);
        assert_eq!(got["message"]["from"], "visitor");
        assert_eq!(got["message"]["text"], payload.as_str());
    }
    // The counselor sends every payload to the page.
    for (i, payload) in corpus.iter().enumerate() {
        counselor
            .send(
                json!({"type":"send","conversation":id,"client_id":format!("c{i}"),"text":payload}),
            )
            .await?;
        expect(&mut counselor, "ack").await?;
    }

    // The page shows all of them, literally, as text, with no element inside.
    let want: Vec<(String, String, u64)> = ["visitor", "counselor"]
        .iter()
        .flat_map(|from| corpus.iter().map(|p| ((*from).to_owned(), p.clone(), 0)))
        .collect();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let got = page_messages(&browser).await?;
        if got == want {
            break;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the page shows {got:#?}\nnot {want:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Only the page's own elements are in the message list.
    let tags = browser
        .eval(
            "return Array.from(new Set(Array.from(document.querySelectorAll('#messages *'))\
             .map(function (e) { return e.tagName.toLowerCase(); }))).sort();",
        )
        .await?;
    let tags: Vec<String> = serde_json::from_value(tags)?;
    for tag in &tags {
        assert!(
            ["div", "p", "span", "time"].contains(&tag.as_str()),
            "unexpected <{tag}> in the message list: {tags:?}"
        );
    }

    // Nothing ran: no dialog is open (chromedriver would also have failed every command
    // above with "unexpected alert open"), no flag is set, the title is the page's own,
    // and no payload caused a CSP violation (they were never markup to begin with).
    let alert = browser.client.get_alert_text().await;
    assert!(alert.is_err(), "an alert is open: {alert:?}");
    let flags = browser
        .eval("return [typeof window.__xss, window.__csp];")
        .await?;
    assert_eq!(flags, json!(["undefined", []]), "{flags}");
    let title = browser.client.title().await?;
    assert!(title.starts_with("Chathulp"), "{title}");

    // The CSP is in force in this browser: an inline script injected into the page
    // (WebDriver's own script is exempt, the element it adds is not) is blocked.
    let blocked = browser
        .eval(
            "const s = document.createElement('script'); s.textContent = 'window.__xss = 2'; \
             document.body.append(s); return typeof window.__xss;",
        )
        .await?;
    assert_eq!(blocked, json!("undefined"));
    browser
        .wait_for("window.__csp.some(function (v) { return v.indexOf('script-src') === 0; })")
        .await?;

    // Nothing loaded: the relay saw no request for /beacon. The probe shows the access
    // log is live: a request the page makes on purpose does show up in it.
    browser
        .eval("fetch('/xss-probe').catch(function () {}); return true;")
        .await?;
    let deadline = Instant::now() + PATIENCE;
    while !requests(&logs).iter().any(|(path, _)| path == "/xss-probe") {
        anyhow::ensure!(
            Instant::now() < deadline,
            "the probe never showed in the access log: {:?}",
            requests(&logs)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = requests(&logs);
    assert!(
        seen.iter()
            .any(|(path, status)| path == "/app.js" && status == "200"),
        "{seen:?}"
    );
    let beacons: Vec<_> = seen
        .iter()
        .filter(|(p, _)| p.starts_with("/beacon"))
        .collect();
    assert!(beacons.is_empty(), "payloads loaded {beacons:?}");

    // The console holds only what this test caused on purpose: the injected inline
    // script blocked by the CSP, and the probe's 404 (`close` fails on anything else).
    if browser.engine == chathulp_tests::browser::Engine::Chromium {
        let errors = browser.console_errors().await?;
        assert!(
            errors
                .iter()
                .all(|e| e.contains("Content Security Policy") || e.contains("/xss-probe")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("Content Security Policy")),
            "the blocked inline script is in the console: {errors:?}"
        );
    }
    browser.close().await?;
    relay.stop().await
}

/// The page is ES modules now: the no-markup rule of `tests/tests/http.rs` (which reads
/// `/app.js`) must hold for every one of them, and each must come with a JavaScript type
/// (a module with another type does not run) and `no-store`, so no chat text stays in
/// the browser's cache.
#[tokio::test]
async fn every_page_file_is_served_uncached_and_no_script_writes_markup() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut modules = 0;
    for &(path, _, content_type) in chathulp_relay::web::ASSETS {
        let r = relay.get(path).await?;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(content_type), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        if path.ends_with(".js") {
            modules += 1;
            assert!(
                content_type.starts_with("text/javascript"),
                "{path}: {content_type}"
            );
            for sink in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
                "new Function",
            ] {
                assert!(!r.body.contains(sink), "{path} uses {sink}");
            }
        }
    }
    assert!(modules > 10, "only {modules} scripts served");
    relay.stop().await
}
