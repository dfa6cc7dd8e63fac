//! Older scrollback on demand, through a real relay: the app's own network worker signs
//! in over real TLS to a relay in this process (real SQLite), and `App::update` gets the
//! relay's real frames, the way the event loop hands them over. Keys go in as actions.
//!
//! Every wait is for a condition on the app's state, with a deadline that only turns a
//! hang into a clear failure.

use std::time::Duration;

use anyhow::{Context as _, anyhow, ensure};
use chathulp::action::Action;
use chathulp::app::{App, AppOptions, ClientIds, Conversation, Delivery, HISTORY_PAGE, Older};
use chathulp::keymap::KeyConfig;
use chathulp::net::{self, Endpoint, NetCommand, NetEvent};
use chathulp_shared::staff::StaffRequest;
use chathulp_tests::{Client, PASSWORD, TestRelay};
use serde_json::json;
use tokio::sync::mpsc;

const DEADLINE: Duration = Duration::from_secs(30);

/// The app, its worker's channels, and every request the app sent.
struct Driven {
    app: App,
    events: mpsc::Receiver<NetEvent>,
    commands: mpsc::UnboundedSender<NetCommand>,
    sent: Vec<StaffRequest>,
}

impl Driven {
    /// Signs in as `user` the way `main` does, and starts the network worker.
    async fn sign_in(relay: &TestRelay, user: &str) -> anyhow::Result<Self> {
        let endpoint = Endpoint {
            url: relay.url(net::STAFF_PATH),
            relay: relay.addr.to_string(),
            tls: relay.client_tls()?,
        };
        let login = net::login_request(user, PASSWORD);
        let (ws, info, token) = net::connect_and_login(&endpoint, &login).await?;
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (event_tx, events) = mpsc::channel(256);
        event_tx.send(NetEvent::Connected(info)).await?;
        tokio::spawn(net::run_worker(ws, endpoint, token, command_rx, event_tx));
        let app = App::new(AppOptions {
            user: user.into(),
            server: relay.url(""),
            now_ms: relay.broker.now_ms(),
            color: false,
            client_ids: ClientIds::Sequential(0),
            keys: KeyConfig::default(),
            notifications: Default::default(),
        });
        Ok(Self {
            app,
            events,
            commands,
            sent: Vec::new(),
        })
    }

    fn act(&mut self, action: Action) {
        self.app.update(action);
        for command in self.app.take_commands() {
            if let NetCommand::Request(request) = &command {
                self.sent.push(request.clone());
            }
            // The worker only goes when the test ends.
            let _ = self.commands.send(command);
        }
    }

    /// Hands the relay's frames to the app until `done` holds.
    async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        while !done(&self.app) {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .map_err(|_| anyhow!("no {what} within {DEADLINE:?}"))?
                .ok_or_else(|| anyhow!("the network worker stopped before {what}"))?;
            self.act(Action::Net(event));
        }
        Ok(())
    }

    fn conversation(&self) -> anyhow::Result<&Conversation> {
        self.app.conversations.first().context("no conversation")
    }

    /// The `history` requests for older pages, in the order sent.
    fn pages_asked(&self) -> Vec<u64> {
        self.sent
            .iter()
            .filter_map(|r| match r {
                StaffRequest::History {
                    before_seq: Some(before),
                    ..
                } => Some(*before),
                _ => None,
            })
            .collect()
    }
}

fn stored(c: &Conversation) -> Vec<(u64, String)> {
    c.entries
        .iter()
        .filter_map(|e| match e.delivery {
            Delivery::Stored { seq } => Some((seq, e.text.clone())),
            _ => None,
        })
        .collect()
}

fn older(app: &App) -> Option<Older> {
    app.conversations.first().map(|c| c.older)
}

/// `an` takes Sam and writes `count` messages, each acknowledged; returns the visitor
/// and the conversation id.
async fn long_conversation(
    relay: &TestRelay,
    an: &mut Client,
    count: usize,
) -> anyhow::Result<(Client, String)> {
    let visitor = relay.queued_visitor("caw", "Sam").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    let conv = an.expect("conversation").await?;
    let id = conv["conversation"]
        .as_str()
        .context("conversation id")?
        .to_owned();
    for i in 1..=count {
        an.send(json!({"type":"send","conversation":id,"client_id":format!("c{i}"),"text":format!("bericht {i}")}))
            .await?;
    }
    let last = format!("c{count}");
    loop {
        let ack = an.expect("ack").await?;
        if ack["client_id"] == last.as_str() {
            break;
        }
    }
    Ok((visitor, id))
}

#[tokio::test]
async fn the_app_pages_back_to_the_first_message_and_drops_the_pages_at_the_bottom()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let (mut visitor, _id) = long_conversation(&relay, &mut an, 450).await?;

    // The app signs in as an: the snapshot holds the newest page only.
    let mut d = Driven::sign_in(&relay, "an").await?;
    d.until("the conversation", |app| !app.conversations.is_empty())
        .await?;
    let held = stored(d.conversation()?);
    ensure!(held.len() == HISTORY_PAGE, "{} messages held", held.len());
    ensure!(
        held.last().map(|(_, t)| t.as_str()) == Some("bericht 450"),
        "{:?}",
        held.last()
    );
    ensure!(older(&d.app) == Some(Older::OnRelay));

    // PgUp until the top, page by page, each asked for once, until the beginning.
    for _ in 0..10 {
        if older(&d.app) == Some(Older::Start) {
            break;
        }
        let asked = d.pages_asked().len();
        for _ in 0..200 {
            d.act(Action::ScrollUp);
            if d.pages_asked().len() > asked {
                break;
            }
        }
        ensure!(d.pages_asked().len() == asked + 1, "no page asked for");
        // More presses while it is on its way ask for nothing more.
        d.act(Action::ScrollUp);
        d.act(Action::ScrollUp);
        ensure!(d.pages_asked().len() == asked + 1, "{:?}", d.pages_asked());
        d.until("the page", |app| {
            !matches!(older(app), Some(Older::Loading { .. }))
        })
        .await?;
    }
    ensure!(older(&d.app) == Some(Older::Start), "{:?}", older(&d.app));
    let pages = d.pages_asked();
    ensure!(pages.len() == 2, "pages asked: {pages:?}");
    ensure!(pages[0] > pages[1], "each before the last: {pages:?}");

    // Every message, in seq order, once, from the first.
    let held = stored(d.conversation()?);
    let texts: Vec<&str> = held.iter().map(|(_, t)| t.as_str()).collect();
    let expected: Vec<String> = (1..=450).map(|i| format!("bericht {i}")).collect();
    ensure!(texts == expected, "{} messages held", texts.len());
    ensure!(
        held.windows(2).all(|w| w[0].0 < w[1].0),
        "seqs not increasing"
    );
    ensure!(
        held.first().map(|(seq, _)| *seq) == Some(1),
        "{:?}",
        held.first()
    );

    // Scrolled up, the visitor's new message still arrives, and nothing is dropped.
    visitor
        .send(json!({"type":"send","client_id":"v1","text":"ben je er nog?"}))
        .await?;
    d.until("the visitor's message", |app| {
        app.conversations
            .first()
            .and_then(|c| c.entries.last())
            .is_some_and(|e| e.text == "ben je er nog?")
    })
    .await?;
    ensure!(d.conversation()?.scroll > 0);
    ensure!(stored(d.conversation()?).len() == 451);

    // Back at the bottom: the newest page stays, the rest is on the relay again.
    for _ in 0..200 {
        d.act(Action::ScrollDown);
    }
    let c = d.conversation()?;
    ensure!(c.scroll == 0);
    let held = stored(c);
    ensure!(held.len() == HISTORY_PAGE, "{} held", held.len());
    ensure!(held.last().map(|(_, t)| t.as_str()) == Some("ben je er nog?"));
    ensure!(c.older == Older::OnRelay, "{:?}", c.older);

    d.act(Action::Quit);
    d.act(Action::Confirm);
    drop(d);
    relay.stop().await
}
