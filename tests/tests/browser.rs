//! End to end in a real browser: Debian's headless Chromium, driven over WebDriver, loads
//! the visitor page from a real relay over TLS and chats with a counselor whose side is
//! a real staff WebSocket. The browser trusts only the relay's own key.
//!
//! Every wait polls a page condition with a deadline; nothing sleeps to synchronise.

use std::time::{Duration, Instant};

use anyhow::Context;
use chathulp_relay::Config;
use chathulp_tests::browser::{Browser, Line};
use chathulp_tests::{Client, PATIENCE, TestRelay};
use jiff::SignedDuration;
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

/// `client.expect(kind)` with an overall deadline. (Each frame read has its own timeout,
/// but the relay's pings are frames too, so a missing event could otherwise keep a
/// failing test waiting for minutes.)
async fn expect(client: &mut Client, kind: &str) -> anyhow::Result<Value> {
    tokio::time::timeout(PATIENCE, client.expect(kind))
        .await
        .map_err(|_| anyhow::anyhow!("no {kind} within {PATIENCE:?}"))?
}

/// `client.expect_queue(pred)` with an overall deadline.
async fn expect_queue(client: &mut Client, pred: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    tokio::time::timeout(PATIENCE, client.expect_queue(pred))
        .await
        .map_err(|_| anyhow::anyhow!("no matching queue within {PATIENCE:?}"))?
}

/// Takes the longest-waiting CAW visitor; returns the conversation id.
async fn take(counselor: &mut Client) -> anyhow::Result<String> {
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await?;
    let conv = expect(counselor, "conversation").await?;
    Ok(conv["conversation"].as_str().unwrap_or_default().to_owned())
}

/// Every frame the counselor got up to a barrier: a `take` that can only fail, whose
/// `not_found` error is the last thing in the socket's queue.
async fn frames_until_barrier(counselor: &mut Client) -> anyhow::Result<Vec<Value>> {
    counselor
        .send(json!({"type":"take","service":"none"}))
        .await?;
    let collect = async {
        let mut seen = Vec::new();
        loop {
            let frame = counselor.next().await?;
            if frame["type"] == "error" && frame["code"] == "not_found" {
                return Ok(seen);
            }
            seen.push(frame);
        }
    };
    tokio::time::timeout(PATIENCE, collect)
        .await
        .map_err(|_| anyhow::anyhow!("no barrier reply within {PATIENCE:?}"))?
}

/// `(seq, from, text)` of every chat message on the page, top to bottom; seq 0 for a
/// message the relay has not acknowledged. Notices (".notice-line") are not messages.
async fn page_messages(browser: &Browser) -> anyhow::Result<Vec<(u64, String, String)>> {
    let list = browser
        .eval(
            "return Array.from(document.querySelectorAll('#messages .msg')).map(function (m) {\
               return [Number(m.dataset.seq || 0),\
                 m.classList.contains('msg-visitor') ? 'visitor' : 'counselor',\
                 m.querySelector('.msg-text').textContent]; });",
        )
        .await?;
    Ok(serde_json::from_value(list)?)
}

/// Waits until the page shows exactly `expected` (all acknowledged), then returns it.
async fn wait_for_page_messages(
    browser: &Browser,
    expected: &[(u64, &str, &str)],
) -> anyhow::Result<Vec<(u64, String, String)>> {
    let want: Vec<(u64, String, String)> = expected
        .iter()
        .map(|(seq, from, text)| (*seq, (*from).to_owned(), (*text).to_owned()))
        .collect();
    let deadline = Instant::now() + PATIENCE;
    loop {
        let got = page_messages(browser).await?;
        if got == want {
            return Ok(got);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the page shows {got:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The visitor types `text` into the composer and sends it.
async fn visitor_says(browser: &Browser, text: &str) -> anyhow::Result<()> {
    browser.type_into("#message-input", text).await?;
    browser.click("#send-button").await
}

/// The page's stored conversation (sessionStorage), or null.
async fn stored_chat(browser: &Browser) -> anyhow::Result<Value> {
    browser
        .eval("return JSON.parse(sessionStorage.getItem('chathulp.chat') || 'null');")
        .await
}

/// The text of `#connection` ("Verbonden", "Verbinding herstellen…", ...).
async fn wait_for_connection(browser: &Browser, text: &str) -> anyhow::Result<()> {
    let text = serde_json::to_string(text)?;
    browser
        .wait_for(&format!(
            "document.getElementById('connection').textContent === {text}"
        ))
        .await
}

async fn conversation_count(relay: &TestRelay) -> anyhow::Result<i64> {
    let n = relay
        .query_value("SELECT COUNT(*) FROM conversations", &[])
        .await?;
    n.as_i64().context("count")
}

/// `(seq, sender, body)` of every stored message of `id`, in order.
async fn transcript(relay: &TestRelay, id: &str) -> anyhow::Result<Vec<(i64, String, String)>> {
    relay.stored_transcript(id).await
}

#[tokio::test]
async fn visitor_chats_with_a_counselor_in_a_real_browser() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    expect_queue(&mut counselor, |q| service(q, "caw")["status"] == "online")
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
    let queue = expect_queue(&mut counselor, |q| waiting(q, "caw").len() == 1)
        .await
        .unwrap();
    let entry = &waiting(&queue, "caw")[0];
    assert_eq!(entry["nickname"], "Sam");
    assert_eq!(entry["intake"], json!({}));
    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await
        .unwrap();
    let conv = expect(&mut counselor, "conversation").await.unwrap();
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
    let got = expect(&mut counselor, "message").await.unwrap();
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
    expect(&mut counselor, "ack").await.unwrap();
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
    let ended = expect(&mut counselor, "ended").await.unwrap();
    assert_eq!(ended["conversation"], id.as_str());
    assert_eq!(ended["by"], "visitor");
    browser.wait_displayed("#ended").await.unwrap();

    // The transcript is in SQLite, byte for byte and in order.
    assert_eq!(
        transcript(&relay, &id).await.unwrap(),
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

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn quick_exit_during_a_chat_leaves_no_resume_token() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    let browser = Browser::start(&relay).await.unwrap();
    start_chat_as(&browser, "Sam").await.unwrap();
    let queue = expect_queue(&mut counselor, |q| waiting(q, "caw").len() == 1)
        .await
        .unwrap();
    let id = waiting(&queue, "caw")[0]["conversation"]
        .as_str()
        .unwrap()
        .to_owned();

    // The page keeps the conversation's resume token in sessionStorage, so a reload can
    // carry on; "Snel weg" must take it along.
    browser
        .wait_for("JSON.parse(sessionStorage.getItem('chathulp.chat') || '{}').token")
        .await
        .unwrap();
    let chat = stored_chat(&browser).await.unwrap();
    assert!(
        chat["token"].as_str().is_some_and(|t| !t.is_empty()),
        "{chat}"
    );
    assert_eq!(
        (&chat["service"], &chat["nickname"]),
        (&json!("caw"), &json!("Sam"))
    );

    // More for "Snel weg" to wipe: a draft, and an entry of someone else in each storage.
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
    assert_eq!(stored, json!(3));

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
    expect_queue(&mut counselor, |q| waiting(q, "caw").is_empty())
        .await
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    let (ended_at, ended_by) = loop {
        let row = relay
            .query(
                "SELECT ended_at_ms, ended_by FROM conversations WHERE id = $1",
                &[&id],
            )
            .await
            .unwrap();
        let row = (
            row[0]["ended_at_ms"].as_i64(),
            row[0]["ended_by"].as_str().map(str::to_owned),
        );
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

    // Opening the relay again in the same tab: nothing is left in either storage (no
    // resume token either), and the page starts at the service choice, not in the chat.
    browser.open("/").await.unwrap();
    browser
        .wait_displayed(&format!("{CAW} .dot.online"))
        .await
        .unwrap();
    let leftovers = browser
        .eval(
            "return { session: sessionStorage.length, local: localStorage.length, \
             token: sessionStorage.getItem('chathulp.chat'), \
             chatHidden: document.getElementById('view-chat').hidden, \
             chooseHidden: document.getElementById('view-choose').hidden, \
             messages: document.getElementById('messages').childElementCount, \
             draft: document.getElementById('message-input').value };",
        )
        .await
        .unwrap();
    assert_eq!(
        leftovers,
        json!({"session":0,"local":0,"token":null,"chatHidden":true,"chooseHidden":false,
               "messages":0,"draft":""})
    );

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn a_reload_mid_chat_resumes_the_conversation_with_its_scrollback() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    let browser = Browser::start(&relay).await.unwrap();
    start_chat_as(&browser, "Sam").await.unwrap();
    expect_queue(&mut counselor, |q| waiting(q, "caw").len() == 1)
        .await
        .unwrap();
    let id = take(&mut counselor).await.unwrap();

    // Messages both ways, each acknowledged and on the page.
    visitor_says(&browser, "mijn eerste bericht").await.unwrap();
    let got = expect(&mut counselor, "message").await.unwrap();
    assert_eq!(got["message"]["seq"], 1);
    counselor
        .send(json!({"type":"send","conversation":id,"client_id":"c1","text":"Dag Sam, vertel"}))
        .await
        .unwrap();
    assert_eq!(expect(&mut counselor, "ack").await.unwrap()["seq"], 2);
    let before = wait_for_page_messages(
        &browser,
        &[
            (1, "visitor", "mijn eerste bericht"),
            (2, "counselor", "Dag Sam, vertel"),
        ],
    )
    .await
    .unwrap();
    browser
        .wait_for("JSON.parse(sessionStorage.getItem('chathulp.chat') || '{}').token")
        .await
        .unwrap();

    // F5. A marker on the old document proves the checks below look at a new one.
    browser
        .eval("window.beforeReload = true; return true;")
        .await
        .unwrap();
    browser.reload().await.unwrap();
    assert_eq!(
        browser
            .eval("return window.beforeReload === undefined;")
            .await
            .unwrap(),
        json!(true)
    );

    // The counselor sees the line drop and come back, in that order.
    let away = expect(&mut counselor, "visitor_away").await.unwrap();
    assert_eq!(away["conversation"], id.as_str());
    let back = expect(&mut counselor, "visitor_back").await.unwrap();
    assert_eq!(back["conversation"], id.as_str());

    // The page went straight back into the chat, with the same scrollback: same texts,
    // in seq order, each once.
    wait_for_connection(&browser, "Verbonden").await.unwrap();
    let after = wait_for_page_messages(
        &browser,
        &[
            (1, "visitor", "mijn eerste bericht"),
            (2, "counselor", "Dag Sam, vertel"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(after, before);
    let views = browser
        .eval(
            "return [document.getElementById('view-chat').hidden, \
             document.getElementById('view-choose').hidden, \
             document.getElementById('queue-info').hidden, \
             document.getElementById('send-button').disabled];",
        )
        .await
        .unwrap();
    assert_eq!(views, json!([false, true, true, false]));

    // The chat carries on: the next message is the conversation's seq 3.
    visitor_says(&browser, "na het herladen").await.unwrap();
    let got = expect(&mut counselor, "message").await.unwrap();
    assert_eq!(got["conversation"], id.as_str());
    assert_eq!(got["message"]["seq"], 3);
    assert_eq!(got["message"]["text"], "na het herladen");
    wait_for_page_messages(
        &browser,
        &[
            (1, "visitor", "mijn eerste bericht"),
            (2, "counselor", "Dag Sam, vertel"),
            (3, "visitor", "na het herladen"),
        ],
    )
    .await
    .unwrap();

    // One conversation, not a second one started by the reload.
    assert_eq!(conversation_count(&relay).await.unwrap(), 1);
    assert_eq!(
        transcript(&relay, &id).await.unwrap(),
        [
            (1, "visitor".to_owned(), "mijn eerste bericht".to_owned()),
            (2, "counselor".to_owned(), "Dag Sam, vertel".to_owned()),
            (3, "visitor".to_owned(), "na het herladen".to_owned()),
        ]
    );

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn a_dropped_line_reconnects_by_itself_and_nothing_is_lost_or_doubled() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    let line = Line::start(relay.addr).await.unwrap();
    let browser = Browser::start_via(&relay, line.addr).await.unwrap();
    start_chat_as(&browser, "Sam").await.unwrap();
    expect_queue(&mut counselor, |q| waiting(q, "caw").len() == 1)
        .await
        .unwrap();
    let id = take(&mut counselor).await.unwrap();
    visitor_says(&browser, "hallo").await.unwrap();
    assert_eq!(
        expect(&mut counselor, "message").await.unwrap()["message"]["seq"],
        1
    );
    wait_for_page_messages(&browser, &[(1, "visitor", "hallo")])
        .await
        .unwrap();

    // The relay's replies stop reaching the page: the next message is stored and
    // delivered, but its ack never arrives.
    line.hold_replies();
    visitor_says(&browser, "kwam dit aan?").await.unwrap();
    let got = expect(&mut counselor, "message").await.unwrap();
    assert_eq!(
        (&got["message"]["seq"], &got["message"]["text"]),
        (&json!(2), &json!("kwam dit aan?"))
    );
    wait_for_page_messages(
        &browser,
        &[(1, "visitor", "hallo"), (0, "visitor", "kwam dit aan?")],
    )
    .await
    .unwrap();

    // Then the line drops altogether.
    line.down();
    wait_for_connection(&browser, "Verbinding herstellen…")
        .await
        .unwrap();
    assert_eq!(
        expect(&mut counselor, "visitor_away").await.unwrap()["conversation"],
        id.as_str()
    );
    // The counselor writes meanwhile; so does the visitor, whose page keeps it for later.
    counselor
        .send(json!({"type":"send","conversation":id,"client_id":"c1","text":"ben je er nog?"}))
        .await
        .unwrap();
    assert_eq!(expect(&mut counselor, "ack").await.unwrap()["seq"], 3);
    visitor_says(&browser, "en dit?").await.unwrap();
    wait_for_page_messages(
        &browser,
        &[
            (1, "visitor", "hallo"),
            (0, "visitor", "kwam dit aan?"),
            (0, "visitor", "en dit?"),
        ],
    )
    .await
    .unwrap();
    let unacked = stored_chat(&browser).await.unwrap()["unacked"].clone();
    let unacked: Vec<&str> = unacked
        .as_array()
        .map(|u| u.iter().filter_map(|m| m["text"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(unacked, ["kwam dit aan?", "en dit?"]);

    // Watch for "kwam dit aan?" ever being on the page twice, even for a moment: it comes
    // back stored in `resumed` while the page still holds it as unacknowledged.
    browser
        .eval(
            "window.mostCopies = 0;\
             new MutationObserver(function () {\
               const n = Array.from(document.querySelectorAll('#messages .msg-text'))\
                 .filter(function (p) { return p.textContent === 'kwam dit aan?'; }).length;\
               window.mostCopies = Math.max(window.mostCopies, n);\
             }).observe(document.getElementById('messages'), { childList: true, subtree: true });\
             return true;",
        )
        .await
        .unwrap();

    // The line comes back. Nobody clicks anything: the page resumes by itself, gets the
    // counselor's message, and sends again what was not acknowledged.
    line.up();
    assert_eq!(
        expect(&mut counselor, "visitor_back").await.unwrap()["conversation"],
        id.as_str()
    );
    let got = expect(&mut counselor, "message").await.unwrap();
    assert_eq!(
        (&got["message"]["seq"], &got["message"]["text"]),
        (&json!(4), &json!("en dit?"))
    );
    wait_for_connection(&browser, "Verbonden").await.unwrap();
    wait_for_page_messages(
        &browser,
        &[
            (1, "visitor", "hallo"),
            (2, "visitor", "kwam dit aan?"),
            (3, "counselor", "ben je er nog?"),
            (4, "visitor", "en dit?"),
        ],
    )
    .await
    .unwrap();
    browser
        .wait_for("JSON.parse(sessionStorage.getItem('chathulp.chat')).unacked.length === 0")
        .await
        .unwrap();
    assert_eq!(
        browser.eval("return window.mostCopies;").await.unwrap(),
        json!(1)
    );

    // The resend of "kwam dit aan?" (its original client_id) reached the counselor once.
    let frames = frames_until_barrier(&mut counselor).await.unwrap();
    assert!(
        frames.iter().all(|f| f["type"] != "message"),
        "delivered twice: {frames:?}"
    );
    assert_eq!(conversation_count(&relay).await.unwrap(), 1);
    assert_eq!(
        transcript(&relay, &id).await.unwrap(),
        [
            (1, "visitor".to_owned(), "hallo".to_owned()),
            (2, "visitor".to_owned(), "kwam dit aan?".to_owned()),
            (3, "counselor".to_owned(), "ben je er nog?".to_owned()),
            (4, "visitor".to_owned(), "en dit?".to_owned()),
        ]
    );

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn a_conversation_that_can_no_longer_be_resumed_says_so_and_offers_a_new_chat() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    let line = Line::start(relay.addr).await.unwrap();
    let browser = Browser::start_via(&relay, line.addr).await.unwrap();
    start_chat_as(&browser, "Sam").await.unwrap();
    expect_queue(&mut counselor, |q| waiting(q, "caw").len() == 1)
        .await
        .unwrap();
    let id = take(&mut counselor).await.unwrap();
    browser
        .wait_for("JSON.parse(sessionStorage.getItem('chathulp.chat') || '{}').token")
        .await
        .unwrap();

    // The line is down for longer than the five minutes: the relay ends the conversation.
    line.down();
    expect(&mut counselor, "visitor_away").await.unwrap();
    relay.clock.advance(SignedDuration::from_secs(301));
    relay.broker.tick().await.unwrap();
    assert_eq!(
        expect(&mut counselor, "ended").await.unwrap()["conversation"],
        id.as_str()
    );
    line.up();

    // The page's next attempt is refused; it says so, forgets the token, and offers a
    // new chat.
    browser.wait_displayed("#ended").await.unwrap();
    assert_eq!(
        browser.text("#ended-title").await.unwrap(),
        "Het gesprek kon niet hersteld worden."
    );
    assert_eq!(stored_chat(&browser).await.unwrap(), Value::Null);
    assert!(
        browser
            .find("#composer")
            .await
            .unwrap()
            .attr("hidden")
            .await
            .unwrap()
            .is_some()
    );
    browser.click("#restart-button").await.unwrap();
    browser.wait_displayed(CAW).await.unwrap();
    assert_eq!(conversation_count(&relay).await.unwrap(), 1);

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn the_busy_status_shows_a_red_dot_and_the_email() {
    let mut config = Config::default();
    config.limits.counselor_capacity = 1;
    for service in &mut config.services {
        if service.id.0 == "caw" {
            service.max_queue = 1;
        }
    }
    let relay = TestRelay::start_with(config).await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    // One conversation taken (the counselor is full) and one visitor waiting (the queue
    // is full).
    let mut first = relay.queued_visitor("caw", "Een").await.unwrap();
    take(&mut counselor).await.unwrap();
    expect(&mut first, "assigned").await.unwrap();
    let _second = relay.queued_visitor("caw", "Twee").await.unwrap();
    expect_queue(&mut counselor, |q| service(q, "caw")["status"] == "busy")
        .await
        .unwrap();

    let browser = Browser::start(&relay).await.unwrap();
    browser.open("/").await.unwrap();
    browser
        .wait_displayed(&format!("{CAW} .dot.busy"))
        .await
        .unwrap();
    let status = browser
        .text(&format!("{CAW} .status-message"))
        .await
        .unwrap();
    assert!(
        status.contains("Alle medewerkers zijn momenteel in gesprek."),
        "{status}"
    );
    assert!(
        status.contains(
            "Kom dan gerust straks nog even terug, misschien is er dan wel een medewerker beschikbaar."
        ),
        "{status}"
    );
    // "Als de chat offline of bezet is, kan je ons een e-mail sturen."
    let mail_css = format!("{CAW} + .service-info .service-mail");
    assert!(
        browser
            .find(&mail_css)
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );
    let link = browser.find(&format!("{mail_css} a")).await.unwrap();
    assert_eq!(
        link.attr("href").await.unwrap().as_deref(),
        Some("mailto:info@caw.be")
    );
    assert_eq!(link.text().await.unwrap(), "info@caw.be");
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
    // JAC's queue is empty, so JAC is not busy.
    browser
        .wait_displayed(r#"button.service[data-service="jac"] .dot.online"#)
        .await
        .unwrap();

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn the_status_dot_updates_live_without_reload() {
    let relay = TestRelay::start().await.unwrap();
    let browser = Browser::start(&relay).await.unwrap();
    browser.open("/").await.unwrap();
    browser
        .wait_displayed(&format!("{CAW} .dot.offline"))
        .await
        .unwrap();
    browser
        .eval("window.sameDocument = true; return true;")
        .await
        .unwrap();

    // A counselor signs in; the test does nothing to the page.
    let _counselor = relay.staff("an").await.unwrap();
    browser
        .wait_displayed(&format!("{CAW} .dot.online"))
        .await
        .unwrap();
    let status = browser
        .text(&format!("{CAW} .status-message"))
        .await
        .unwrap();
    assert!(status.contains("De chat is open"), "{status}");
    // Same document (no reload), and the news came over the status stream: the page
    // never fell back to polling /api/status.
    let how = browser
        .eval(
            "return [window.sameDocument === true, \
             performance.getEntriesByType('resource').filter(function (e) { \
               return new URL(e.name).pathname === '/api/status'; }).length];",
        )
        .await
        .unwrap();
    assert_eq!(how, json!([true, 0]));

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn the_survey_is_stored_and_never_shown_to_the_counselor() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    let browser = Browser::start(&relay).await.unwrap();
    start_chat_as(&browser, "Sam").await.unwrap();
    expect_queue(&mut counselor, |q| waiting(q, "caw").len() == 1)
        .await
        .unwrap();
    let id = take(&mut counselor).await.unwrap();
    browser
        .wait_for("document.getElementById('connection').textContent === 'Verbonden' && !document.getElementById('end-button').disabled")
        .await
        .unwrap();

    counselor
        .send(json!({"type":"end","conversation":id}))
        .await
        .unwrap();
    expect(&mut counselor, "ended").await.unwrap();
    browser.wait_displayed("#survey").await.unwrap();

    // 4 on the scale question, and a text nobody else could have written.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let secret = format!("alleen voor de beheerder {nanos}-{}", std::process::id());
    let radio = browser
        .eval(
            "const q = Array.from(document.querySelectorAll('#survey-questions .survey-scale'))[0];\
             return q.querySelector('input[value=\"4\"]').id;",
        )
        .await
        .unwrap();
    let radio = radio.as_str().unwrap().to_owned();
    browser
        .click(&format!("label[for=\"{radio}\"]"))
        .await
        .unwrap();
    assert_eq!(
        browser
            .eval(&format!(
                "return document.getElementById('{radio}').checked;"
            ))
            .await
            .unwrap(),
        json!(true)
    );
    browser
        .type_into("#survey-questions .survey-text textarea", &secret)
        .await
        .unwrap();
    browser.click("#survey-submit").await.unwrap();
    browser.wait_displayed("#survey-thanks").await.unwrap();

    // Stored with the conversation...
    let survey = relay
        .query_value("SELECT survey FROM conversations WHERE id = $1", &[&id])
        .await
        .unwrap();
    let survey = survey.as_str().unwrap_or_default().to_owned();
    let answers: Value = serde_json::from_str(&survey).unwrap();
    let answers = answers.as_array().cloned().unwrap_or_default();
    assert!(answers.iter().any(|a| a["answer"] == "4"), "{survey}");
    assert!(
        answers.iter().any(|a| a["answer"] == secret.as_str()),
        "{survey}"
    );
    // ...and nowhere in what the counselor got.
    let frames = frames_until_barrier(&mut counselor).await.unwrap();
    for frame in &frames {
        assert!(
            !frame.to_string().contains(&secret),
            "the counselor got the survey: {frame}"
        );
    }

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn geen_dossier_reaches_the_counselor() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    let browser = Browser::start(&relay).await.unwrap();
    browser.open("/").await.unwrap();
    browser
        .wait_displayed(&format!("{CAW} .dot.online"))
        .await
        .unwrap();
    browser.click(CAW).await.unwrap();
    browser.wait_displayed("#nickname").await.unwrap();
    browser.type_into("#nickname", "Sam").await.unwrap();
    browser.click("#no-dossier").await.unwrap();
    assert_eq!(
        browser
            .eval("return document.getElementById('no-dossier').checked;")
            .await
            .unwrap(),
        json!(true)
    );
    browser.click("#start-button").await.unwrap();
    browser.wait_displayed("#queue-position").await.unwrap();
    expect_queue(&mut counselor, |q| waiting(q, "caw").len() == 1)
        .await
        .unwrap();

    counselor
        .send(json!({"type":"take","service":"caw"}))
        .await
        .unwrap();
    let conv = expect(&mut counselor, "conversation").await.unwrap();
    assert_eq!(conv["nickname"], "Sam");
    assert_eq!(conv["no_dossier"], true);
    // The page shows the choice in the chat too.
    browser
        .wait_for(
            "document.getElementById('dossier-toggle').getAttribute('aria-pressed') === 'true'",
        )
        .await
        .unwrap();

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn the_visitor_is_told_when_the_counselor_s_line_drops_and_can_keep_writing() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = Client::connect(&relay.url("/ws/staff"), relay.client_tls().unwrap())
        .await
        .unwrap();
    counselor
        .send(json!({"type":"login","protocol":1,"user":"an","password":chathulp_tests::PASSWORD}))
        .await
        .unwrap();
    let token = expect(&mut counselor, "login_ok").await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let browser = Browser::start(&relay).await.unwrap();
    start_chat_as(&browser, "Sam").await.unwrap();
    expect_queue(&mut counselor, |q| waiting(q, "caw").len() == 1)
        .await
        .unwrap();
    let id = take(&mut counselor).await.unwrap();
    wait_for_connection(&browser, "Verbonden").await.unwrap();

    // The counselor's connection drops.
    drop(counselor);
    browser.wait_displayed("#counselor-away").await.unwrap();
    let away = browser.text("#counselor-away").await.unwrap();
    assert!(
        away.contains("Je hulpverlener heeft even verbindingsproblemen."),
        "{away}"
    );
    // The chat stays usable: the visitor writes, and the relay stores it.
    visitor_says(&browser, "ik wacht wel even").await.unwrap();
    wait_for_page_messages(&browser, &[(1, "visitor", "ik wacht wel even")])
        .await
        .unwrap();

    // The counselor is back within the window, with the message waiting.
    let mut counselor = relay.staff_session(&token).await.unwrap();
    let conv = expect(&mut counselor, "conversation").await.unwrap();
    assert_eq!(conv["conversation"], id.as_str());
    assert_eq!(conv["messages"][0]["text"], "ik wacht wel even");
    browser
        .wait_for(
            "Array.from(document.querySelectorAll('#messages .notice-line'))\
             .some(function (p) { return p.textContent === 'Je hulpverlener is terug.'; })",
        )
        .await
        .unwrap();
    browser
        .wait_for("document.getElementById('counselor-away').hidden")
        .await
        .unwrap();

    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}

#[tokio::test]
async fn a_blocked_visitor_reads_that_access_is_suspended_and_where_to_find_help() {
    let relay = TestRelay::start().await.unwrap();
    let mut counselor = relay.staff("an").await.unwrap();
    // The browser connects from 127.0.0.1 too, so blocking this visitor blocks it.
    let mut earlier = relay.queued_visitor("caw", "Een").await.unwrap();
    let id = take(&mut counselor).await.unwrap();
    counselor
        .send(json!({"type":"block","conversation":id,"reason":"bedreigingen"}))
        .await
        .unwrap();
    expect(&mut counselor, "blocked").await.unwrap();
    expect(&mut earlier, "ended").await.unwrap();

    let browser = Browser::start(&relay).await.unwrap();
    browser.open("/").await.unwrap();
    browser
        .wait_displayed(&format!("{CAW} .dot.online"))
        .await
        .unwrap();
    browser.click(CAW).await.unwrap();
    browser.wait_displayed("#nickname").await.unwrap();
    browser.type_into("#nickname", "Twee").await.unwrap();
    browser.click("#start-button").await.unwrap();
    browser
        .wait_for("document.getElementById('error').textContent.includes('opgeschort')")
        .await
        .unwrap();
    let error = browser.text("#error").await.unwrap();
    assert!(
        error.contains("Het CAW en het JAC zullen je informeren over alternatieve vormen van hulp"),
        "{error}"
    );
    // The emergency numbers stay on screen.
    assert!(
        browser
            .find("#emergency")
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );
    browser.close().await.unwrap();
    relay.stop().await.unwrap();
}
