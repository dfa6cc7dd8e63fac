//! End to end in a real browser: Debian's headless Chromium, driven over WebDriver, loads
//! the visitor page from a real relay over TLS and chats with a counselor whose side is
//! a real staff WebSocket. The browser trusts only the relay's own key.
//!
//! Every wait polls a page condition with a deadline; nothing sleeps to synchronise.

use std::time::{Duration, Instant};

use chathulp_tests::browser::Browser;
use chathulp_tests::{PATIENCE, TestRelay};
use serde_json::{Value, json};

/// What the visitor types: markup that must stay text everywhere.
const VISITOR_TEXT: &str = r#"Hallo <b>vet</b> <img src=x onerror="document.title='pwned'">"#;
/// What the counselor sends: a script that must stay text on the page.
const COUNSELOR_TEXT: &str = "<script>alert(1)</script> Dag Sam";
/// Where "Snel weg" goes (QUICK_EXIT_URL in app.js).
const QUICK_EXIT_URL: &str = "https://www.google.be/";

const CAW: &str = r#"button.service[data-service="caw"]"#;

fn caw_dot() -> String {
    format!("{CAW} .dot")
}

/// The `services` entry of `id` in a staff `queue` frame.
fn service<'a>(queue: &'a Value, id: &str) -> &'a Value {
    queue["services"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["service"] == id))
        .unwrap_or(&Value::Null)
}

fn waiting(queue: &Value, id: &str) -> Vec<Value> {
    service(queue, id)["waiting"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The class list of the first element matching `css`.
async fn classes(browser: &Browser, css: &str) -> anyhow::Result<Vec<String>> {
    let class = browser.find(css).await?.attr("class").await?;
    Ok(class
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect())
}

/// Opens the page, picks CAW, fills in only the nickname and starts the chat.
async fn start_chat_as(browser: &Browser, nickname: &str) -> anyhow::Result<()> {
    browser.open("/").await?;
    browser
        .wait_displayed(&format!("{CAW} .dot.online"))
        .await?;
    browser.click(CAW).await?;
    browser.wait_displayed("#nickname").await?;
    browser.type_into("#nickname", nickname).await?;
    // Age, region and gender stay empty: the intake may be skipped.
    browser.click("#start-button").await?;
    browser.wait_displayed("#queue-position").await
}

/// `(seq, sender, body)` of every stored message of `id`, in order.
fn transcript(db: &std::path::Path, id: &str) -> anyhow::Result<Vec<(i64, String, String)>> {
    let conn = rusqlite::Connection::open(db)?;
    let mut stmt = conn
        .prepare("SELECT seq, sender, body FROM messages WHERE conversation = ?1 ORDER BY seq")?;
    let rows = stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[tokio::test]
async fn visitor_chats_with_a_counselor_in_a_real_browser() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    counselor
        .expect_queue(|q| service(q, "caw")["status"] == "online")
        .await
        .unwrap();

    let browser = Browser::start(&relay).await.unwrap();
    browser.open("/").await.unwrap();

    // CAW shows as open, and the emergency numbers are on screen.
    browser
        .wait_displayed(&format!("{CAW} .dot.online"))
        .await
        .unwrap();
    assert!(
        classes(&browser, &caw_dot())
            .await
            .unwrap()
            .contains(&"online".into())
    );
    let status = browser
        .text(&format!("{CAW} .status-message"))
        .await
        .unwrap();
    assert!(status.contains("De chat is open"), "{status}");
    let emergency = browser.find("#emergency").await.unwrap();
    assert!(emergency.is_displayed().await.unwrap());
    let numbers = emergency.text().await.unwrap();
    for number in ["112", "101", "1813"] {
        assert!(numbers.contains(number), "{number} missing in {numbers:?}");
    }

    // Pick CAW, give only a nickname, start.
    browser.click(CAW).await.unwrap();
    browser.wait_displayed("#nickname").await.unwrap();
    browser.type_into("#nickname", "Sam").await.unwrap();
    browser.click("#start-button").await.unwrap();
    browser.wait_displayed("#queue-position").await.unwrap();

    // The counselor sees Sam waiting, with nothing filled in, and takes the chat.
    let queue = counselor
        .expect_queue(|q| waiting(q, "caw").len() == 1)
        .await
        .unwrap();
    let entry = &waiting(&queue, "caw")[0];
    assert_eq!(entry["nickname"], "Sam");
    assert_eq!(entry["intake"], json!({}));
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await
        .unwrap();
    let conv = counselor.expect("conversation").await.unwrap();
    let id = conv["conversation"].as_str().unwrap().to_owned();
    assert_eq!(conv["nickname"], "Sam");
    browser
        .wait_for(
            "Array.from(document.querySelectorAll('#messages .notice-line'))\
             .some(function (p) { return p.textContent.indexOf('opgenomen') !== -1; })",
        )
        .await
        .unwrap();

    // The visitor writes markup; the counselor gets exactly those characters.
    browser
        .type_into("#message-input", VISITOR_TEXT)
        .await
        .unwrap();
    browser.click("#send-button").await.unwrap();
    let got = counselor.expect("message").await.unwrap();
    assert_eq!(got["conversation"], id.as_str());
    assert_eq!(got["message"]["from"], "visitor");
    assert_eq!(got["message"]["text"], VISITOR_TEXT);
    // The page marks it sent once the relay acknowledged it.
    browser
        .wait_for("document.querySelector('#messages .msg-visitor:not(.pending)')")
        .await
        .unwrap();
    assert_eq!(
        browser
            .text("#messages .msg-visitor .msg-text")
            .await
            .unwrap(),
        VISITOR_TEXT
    );

    // The counselor answers with a script tag; the page shows it as plain text.
    counselor
        .send(json!({"type":"send","conversation":id,"client_id":"c1","text":COUNSELOR_TEXT}))
        .await
        .unwrap();
    counselor.expect("ack").await.unwrap();
    browser
        .wait_displayed("#messages .msg-counselor .msg-text")
        .await
        .unwrap();
    assert_eq!(
        browser
            .text("#messages .msg-counselor .msg-text")
            .await
            .unwrap(),
        COUNSELOR_TEXT
    );
    let injected = browser
        .eval("return document.querySelectorAll('#messages script, #messages img').length;")
        .await
        .unwrap();
    assert_eq!(injected, json!(0));
    // An alert(1) that ran would also make every further WebDriver command fail.
    let title = browser.client.title().await.unwrap();
    assert_ne!(title, "pwned");
    assert!(title.starts_with("Chathulp"), "{title}");

    let png = browser.screenshot().await.unwrap();
    let shot = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/browser-chat.png");
    std::fs::create_dir_all(std::path::Path::new(shot).parent().unwrap()).unwrap();
    std::fs::write(shot, png).unwrap();

    // The visitor ends the chat, after confirming.
    browser.click("#end-button").await.unwrap();
    browser.wait_displayed("#end-confirm").await.unwrap();
    browser.click("#end-confirm").await.unwrap();
    let ended = counselor.expect("ended").await.unwrap();
    assert_eq!(ended["conversation"], id.as_str());
    assert_eq!(ended["by"], "visitor");
    browser.wait_displayed("#ended").await.unwrap();

    // The transcript is in SQLite, byte for byte and in order.
    assert_eq!(
        transcript(&relay.db_path(), &id).unwrap(),
        [
            (1, "visitor".to_owned(), VISITOR_TEXT.to_owned()),
            (2, "counselor".to_owned(), COUNSELOR_TEXT.to_owned()),
        ]
    );

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn status_dot_shows_offline_and_email_when_no_counselor_is_signed_in() {
    let relay = TestRelay::start().await.unwrap();
    let browser = Browser::start(&relay).await.unwrap();
    browser.open("/").await.unwrap();

    // Open hours, but nobody signed in: closed, with the e-mail address instead.
    browser
        .wait_displayed(&format!("{CAW} .dot.offline"))
        .await
        .unwrap();
    assert!(
        classes(&browser, &caw_dot())
            .await
            .unwrap()
            .contains(&"offline".into())
    );
    let status = browser
        .text(&format!("{CAW} .status-message"))
        .await
        .unwrap();
    assert!(
        status.contains("De chat is gesloten, er zijn geen beantwoorders online"),
        "{status}"
    );
    let mail_css = format!("{CAW} + .service-info .service-mail");
    let mail = browser.find(&mail_css).await.unwrap();
    assert!(mail.is_displayed().await.unwrap());
    let link = browser.find(&format!("{mail_css} a")).await.unwrap();
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some("mailto:info@caw.be")
    );
    assert_eq!(link.text().await.unwrap(), "info@caw.be");
    // A closed service cannot be started.
    assert_eq!(
        browser
            .find(CAW)
            .await
            .unwrap()
            .attr("aria-disabled")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );

    // A counselor signs in. The page re-reads /api/status every 15 s and whenever the
    // tab becomes visible again; rather than wait 15 s (or reload, which would not test
    // the in-place update), the test fires the `visibilitychange` a visitor returning to
    // the tab causes. A headless tab is always visible, so `document.hidden` is false.
    let _counselor = relay.staff("an").await.unwrap();
    browser
        .eval("document.dispatchEvent(new Event('visibilitychange')); return true;")
        .await
        .unwrap();
    browser
        .wait_displayed(&format!("{CAW} .dot.online"))
        .await
        .unwrap();
    assert!(
        classes(&browser, &caw_dot())
            .await
            .unwrap()
            .contains(&"online".into())
    );
    let status = browser
        .text(&format!("{CAW} .status-message"))
        .await
        .unwrap();
    assert!(status.contains("De chat is open"), "{status}");
    assert!(
        !browser
            .find(&mail_css)
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn quick_exit_leaves_no_session_data_and_no_way_back() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    let browser = Browser::start(&relay).await.unwrap();
    start_chat_as(&browser, "Sam").await.unwrap();
    let queue = counselor
        .expect_queue(|q| waiting(q, "caw").len() == 1)
        .await
        .unwrap();
    let id = waiting(&queue, "caw")[0]["conversation"]
        .as_str()
        .unwrap()
        .to_owned();

    // Something for "Snel weg" to wipe: a draft, and an entry in each storage (the page
    // itself stores nothing, so without these the storage check would prove little).
    browser
        .type_into("#message-input", "iets wat niemand mag zien")
        .await
        .unwrap();
    let stored = browser
        .eval(
            "sessionStorage.setItem('probe', 'x'); localStorage.setItem('probe', 'x');\
             return sessionStorage.length + localStorage.length;",
        )
        .await
        .unwrap();
    assert_eq!(stored, json!(2));

    browser.click("#quick-exit").await.unwrap();

    // The browser left the relay for the exit page. The browser's resolver is mapped to
    // NXDOMAIN, so it shows an error page there, but the URL it reports is the target.
    let deadline = Instant::now() + PATIENCE;
    let url = loop {
        let url = browser.client.current_url().await.unwrap();
        if url.as_str().trim_end_matches('/') != browser.origin.as_str()
            && !url.as_str().starts_with(&format!("{}/", browser.origin))
        {
            break url;
        }
        assert!(Instant::now() < deadline, "still on {url} after Snel weg");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(url.as_str(), QUICK_EXIT_URL);

    // The relay ended the conversation: Sam left the queue and the row is closed.
    counselor
        .expect_queue(|q| waiting(q, "caw").is_empty())
        .await
        .unwrap();
    let conn = rusqlite::Connection::open(relay.db_path()).unwrap();
    let deadline = Instant::now() + PATIENCE;
    let (ended_at, ended_by) = loop {
        let row: (Option<i64>, Option<String>) = conn
            .query_row(
                "SELECT ended_at_ms, ended_by FROM conversations WHERE id = ?1",
                [&id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        if row.0.is_some() || Instant::now() >= deadline {
            break row;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(ended_at.is_some(), "conversation {id} is still open");
    assert_eq!(ended_by.as_deref(), Some("visitor"));

    // Back does not lead into the chat: location.replace() took the chat's place in
    // the history, so Back goes to whatever came before the relay's page.
    browser.client.back().await.unwrap();
    let back = browser.client.current_url().await.unwrap();
    assert!(
        !back.as_str().starts_with(&browser.origin),
        "Back returned to {back}"
    );

    // Opening the relay again in the same tab: nothing is left in either storage, and
    // the page starts at the service choice, not in the chat.
    browser.open("/").await.unwrap();
    browser
        .wait_displayed(&format!("{CAW} .dot.online"))
        .await
        .unwrap();
    let leftovers = browser
        .eval(
            "return { session: sessionStorage.length, local: localStorage.length, \
             chatHidden: document.getElementById('view-chat').hidden, \
             chooseHidden: document.getElementById('view-choose').hidden, \
             messages: document.getElementById('messages').childElementCount, \
             draft: document.getElementById('message-input').value };",
        )
        .await
        .unwrap();
    assert_eq!(
        leftovers,
        json!({"session":0,"local":0,"chatHidden":true,"chooseHidden":false,
               "messages":0,"draft":""})
    );

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}
