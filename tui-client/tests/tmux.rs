//! The real `chathulp` binary in a real terminal: tmux runs it in a detached 100×30 pane
//! against a real relay (in this process, real TLS and SQLite, from `chathulp-tests`),
//! the test presses keys with `send-keys` and reads the screen with `capture-pane`.
//!
//! Every wait polls a condition until a deadline; none sleeps a fixed time to let
//! something happen. The tmux server of each test has its own socket in a temporary
//! folder and is killed when the test ends, also when it fails.
//!
//! Needs `tmux`; without it the tests fail and say so. The relay's database is read
//! directly, from outside the relay, as an auditor would.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use chathulp_tests::{PASSWORD, TestRelay};
use serde_json::json;
use sha2::{Digest as _, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_chathulp");
/// How long a wait may take before the test fails. Not a timing assertion: it only turns
/// a hang into a clear failure.
const DEADLINE: Duration = Duration::from_secs(20);
/// Between two looks at the screen.
const POLL: Duration = Duration::from_millis(50);
/// The tmux session name.
const SESSION: &str = "t";
/// The shell prints this and the app's exit status once the app has exited.
const EXIT_MARK: &str = "chathulp-exited-with=";

/// What a visitor types: a clear-screen, an OSC 52 clipboard write ("Hello"), a bell and
/// a colour code around ordinary words.
const HOSTILE: &str = "hallo \u{1b}[2J\u{1b}]52;c;SGVsbG8=\u{7} \u{1b}[31mrood";
/// The same text as `sanitize::text` shows it: every control character in caret notation.
const HOSTILE_SHOWN: &str = "hallo ^[[2J^[]52;c;SGVsbG8=^G ^[[31mrood";

/// A detached tmux server running `chathulp` in one pane. Dropping it kills the server
/// (and with it the app).
struct Term {
    socket: PathBuf,
    data_dir: PathBuf,
    /// Holds the socket, the tmux config and the app's data folder.
    _dir: tempfile::TempDir,
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .env_remove("TMUX")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Quotes one word for `sh`.
fn sh_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Lowercase hex SHA-256 of the relay's certificate, as `--fingerprint` takes it.
fn pin(relay: &TestRelay) -> String {
    hex::encode(Sha256::digest(&relay.cert_der))
}

/// Fails with `hint` if `tool` cannot be run.
fn require_tool(tool: &str, version_arg: &str, hint: &str) -> anyhow::Result<()> {
    match std::process::Command::new(tool).arg(version_arg).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => bail!(
            "`{tool} {version_arg}` failed ({}): {}; {hint}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => bail!("this test needs {tool}, which could not be run ({e}); {hint}"),
    }
}

impl Term {
    /// Starts `chathulp --user USER` against `relay`, pinned to its certificate, with its
    /// data folder in a fresh temporary folder.
    async fn start(relay: &TestRelay, user: &str) -> anyhow::Result<Self> {
        require_tool(
            "tmux",
            "-V",
            "run the tests with scripts/test, which installs tmux",
        )?;
        let dir = tempfile::tempdir()?;
        let socket = dir.path().join("tmux.sock");
        let data_dir = dir.path().join("data");
        // The app's own bell (a visitor in an empty queue, a message out of view) is
        // switched off, so that a bell reaching tmux can only be a visitor's BEL.
        std::fs::create_dir_all(&data_dir)?;
        std::fs::write(
            data_dir.join(chathulp::config::FILE),
            "[notifications]\nqueue = false\nmessage = false\nemergency = false\n",
        )?;
        let conf = dir.path().join("tmux.conf");
        // remain-on-exit: the pane and what it shows stay after the shell exits.
        // set-clipboard on: an OSC 52 reaching the terminal becomes a tmux paste buffer,
        // which the test can look for. monitor-bell: a bell sets `window_bell_flag`.
        std::fs::write(
            &conf,
            "set -g remain-on-exit on\nset -g set-clipboard on\nset -g monitor-bell on\n",
        )?;
        // The shell waits for the app and prints its exit status. (tmux's own
        // `pane_dead_status` is not reliable: tmux 3.3 built with libutempter sometimes
        // misses the SIGCHLD of a pane process and never reaps it.)
        let command = [
            "env -u NO_COLOR".to_owned(),
            format!("CHATHULP_PASSWORD={}", sh_quote(PASSWORD)),
            format!("HOME={}", sh_quote(&dir.path().display().to_string())),
            "CHATHULP_LOG=debug".to_owned(),
            sh_quote(BIN),
            "--server".to_owned(),
            format!("wss://127.0.0.1:{}", relay.addr.port()),
            "--user".to_owned(),
            sh_quote(user),
            "--fingerprint".to_owned(),
            pin(relay),
            "--data-dir".to_owned(),
            sh_quote(&data_dir.display().to_string()),
            format!("; echo {EXIT_MARK}$?"),
        ]
        .join(" ");
        let term = Self {
            socket,
            data_dir,
            _dir: dir,
        };
        let conf = conf.display().to_string();
        term.tmux(&[
            "-f",
            &conf,
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "30",
            "-s",
            SESSION,
            &command,
        ])
        .await
        .context("starting tmux")?;
        Ok(term)
    }

    /// Runs one tmux command on this server and returns its output.
    async fn tmux(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = tokio::process::Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .kill_on_drop(true)
            .output()
            .await
            .context("running tmux")?;
        ensure!(
            out.status.success(),
            "tmux {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The pane as text.
    async fn screen(&self) -> anyhow::Result<String> {
        self.tmux(&["capture-pane", "-p", "-t", SESSION]).await
    }

    /// The pane with the escape sequences tmux would send to show its styles.
    async fn screen_with_escapes(&self) -> anyhow::Result<String> {
        self.tmux(&["capture-pane", "-p", "-e", "-t", SESSION])
            .await
    }

    /// Presses keys, in tmux's names (`Enter`, `C-e`, `j`).
    async fn keys(&self, keys: &[&str]) -> anyhow::Result<()> {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        self.tmux(&args).await.map(drop)
    }

    /// Types text literally.
    async fn type_text(&self, text: &str) -> anyhow::Result<()> {
        self.tmux(&["send-keys", "-t", SESSION, "-l", text])
            .await
            .map(drop)
    }

    /// Looks at the screen until `ready` holds for it, and returns that screen.
    async fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        let start = Instant::now();
        loop {
            let screen = self.screen().await?;
            if ready(&screen) {
                return Ok(screen);
            }
            if screen.contains(EXIT_MARK) {
                bail!(
                    "the app exited while waiting for {what}; pane:\n{}\nlog:\n{}",
                    self.history().await.unwrap_or_default(),
                    self.log()
                );
            }
            if start.elapsed() > DEADLINE {
                bail!(
                    "no {what} within {DEADLINE:?}; screen:\n{screen}\nlog:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the screen shows `text`.
    async fn wait_text(&self, text: &str) -> anyhow::Result<String> {
        self.wait_for(&format!("{text:?} on screen"), |s| s.contains(text))
            .await
    }

    /// Waits until the app has exited and returns its exit status, as the shell that
    /// started it printed it.
    async fn wait_exit(&self) -> anyhow::Result<i32> {
        let start = Instant::now();
        loop {
            let history = self.history().await?;
            if let Some(status) = history
                .lines()
                .find_map(|line| line.trim().strip_prefix(EXIT_MARK))
            {
                return status
                    .parse()
                    .with_context(|| format!("exit status {status:?} in:\n{history}"));
            }
            if start.elapsed() > DEADLINE {
                bail!(
                    "the app did not exit within {DEADLINE:?}; pane:\n{history}\nlog:\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The whole pane including what scrolled off (after exit: what the app printed).
    async fn history(&self) -> anyhow::Result<String> {
        self.tmux(&["capture-pane", "-p", "-S", "-", "-t", SESSION])
            .await
    }

    /// tmux's paste buffers: an OSC 52 from the app would have made one.
    async fn paste_buffers(&self) -> anyhow::Result<String> {
        self.tmux(&["list-buffers"]).await
    }

    /// 1 if a bell reached the terminal.
    async fn bell_flag(&self) -> anyhow::Result<String> {
        Ok(self
            .tmux(&[
                "display-message",
                "-p",
                "-t",
                SESSION,
                "#{window_bell_flag}",
            ])
            .await?
            .trim()
            .to_owned())
    }

    /// The app's log, for failure messages.
    fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("chathulp.log"))
            .unwrap_or_else(|e| format!("(no log: {e})"))
    }
}

/// The rows of `sql`, once there are any (or none, at the deadline): for what the relay
/// stores after the app has shown that the request left.
async fn rows_once_present(relay: &TestRelay, sql: &str) -> anyhow::Result<Vec<serde_json::Value>> {
    let start = Instant::now();
    loop {
        let rows = relay.query(sql, &[]).await?;
        if !rows.is_empty() || start.elapsed() > DEADLINE {
            return Ok(rows);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// A counselor takes a visitor whose first message tries to clear the screen, write the
/// clipboard, ring the bell and change colour; the app shows it defused, the reply
/// reaches the visitor, the conversation ends, the app quits cleanly, and the relay
/// stored both messages in order.
#[tokio::test(flavor = "multi_thread")]
async fn counselor_takes_replies_ends_and_quits_in_a_real_terminal() {
    let started = Instant::now();
    let relay = TestRelay::start().await.expect("relay");
    let term = Term::start(&relay, "an").await.expect("tmux");
    // The relay sends `login_ok` before it counts the counselor online; CAW opens for
    // visitors only then, which the queue pane shows.
    term.wait_for("signed in, CAW online", |s| {
        s.contains("● verbonden") && s.contains("CAW online · online")
    })
    .await
    .expect("signed in");

    let mut visitor = relay.queued_visitor("caw", "Sam").await.expect("visitor");
    visitor
        .send(json!({"type":"send","client_id":"v1","text":HOSTILE}))
        .await
        .expect("visitor sends");
    visitor.expect("ack").await.expect("visitor message stored");

    // Sam waits in the queue; the queue pane has focus from the start. Move the cursor
    // onto Sam and take them.
    term.wait_text("Sam").await.expect("Sam in the queue");
    term.keys(&["j"]).await.expect("keys");
    term.wait_for("the cursor on Sam", |s| {
        s.lines().any(|l| l.contains("▸ Sam"))
    })
    .await
    .expect("cursor on Sam");
    term.keys(&["Enter"]).await.expect("keys");
    visitor.expect("assigned").await.expect("visitor assigned");

    // The message shows in caret notation, inside an intact frame: a clear-screen that
    // got through would wipe the status bar and the panes for good, because ratatui
    // redraws only what changed. (All in one predicate: a capture can catch a frame
    // half-drawn, so a later look is what counts.)
    let shown = format!("Sam: {HOSTILE_SHOWN}");
    let frame_parts = [
        shown.as_str(),
        "chathulp │ an (hulpverlener)",
        "● verbonden",
        "Wachtrij",
        "Gesprekken 1/3",
        "Sam · caw",
        "Bericht",
        "Typ je bericht…",
    ];
    let screen = term
        .wait_for("the defused message in an intact frame", |s| {
            frame_parts.iter().all(|part| s.contains(part))
        })
        .await
        .expect("message shown");
    eprintln!("screen with the visitor's message:\n{screen}");
    let styled = term.screen_with_escapes().await.expect("capture -e");
    assert!(
        !styled.contains("\x1b]52"),
        "an OSC 52 reached the terminal:\n{styled:?}"
    );
    assert!(
        styled.contains("\x1b["),
        "capture -e should carry the app's own styling"
    );
    let buffers = term.paste_buffers().await.expect("list-buffers");
    assert!(
        buffers.trim().is_empty(),
        "the visitor wrote the clipboard: {buffers}"
    );
    assert!(
        screen.contains("=^G "),
        "the visitor's BEL shows as ^G:\n{screen}"
    );
    assert_eq!(
        term.bell_flag().await.expect("bell flag"),
        "0",
        "the visitor's BEL reached the terminal (the app's own bell is off here)"
    );

    // Taking moved the focus to the input: type a reply and send it.
    let reply = "Dag Sam, ik luister. Vertel één ding.";
    term.type_text(reply).await.expect("type");
    term.wait_text(reply).await.expect("reply in the input");
    term.keys(&["Enter"]).await.expect("keys");
    let message = visitor
        .expect("message")
        .await
        .expect("reply reaches visitor");
    assert_eq!(message["message"]["text"], reply, "{message}");
    assert_eq!(message["message"]["from"], "counselor", "{message}");
    term.wait_text(&format!("jij: {reply}"))
        .await
        .expect("reply in the scrollback");

    // Quitting with an open conversation asks first; "n" keeps the app running.
    term.keys(&["C-c"]).await.expect("keys");
    term.wait_text("Je hebt nog 1 open gesprek")
        .await
        .expect("quit confirmation");
    term.keys(&["n"]).await.expect("keys");
    term.wait_for("the quit confirmation to close", |s| {
        !s.contains("Bevestigen")
    })
    .await
    .expect("confirmation closed");

    // End the conversation: Ctrl-e, then confirm.
    term.keys(&["C-e"]).await.expect("keys");
    term.wait_text("Gesprek met Sam beëindigen?")
        .await
        .expect("end confirmation");
    term.keys(&["J"]).await.expect("keys");
    let ended = visitor.expect("ended").await.expect("visitor sees the end");
    assert_eq!(ended["by"], "counselor", "{ended}");
    // Ending opens the registration form; Esc postpones it.
    term.wait_text("Registratie").await.expect("wrap-up form");
    term.keys(&["Escape"]).await.expect("keys");
    term.wait_text("Registratie uitgesteld")
        .await
        .expect("wrap-up postponed");
    term.wait_text("gesprek beëindigd door jou")
        .await
        .expect("ended line");

    // No open conversation is left, so `q` quits without asking.
    term.keys(&["q"]).await.expect("keys");
    let status = term.wait_exit().await.expect("app exits");
    assert_eq!(
        status,
        0,
        "exit status; pane:\n{}\nlog:\n{}",
        term.history().await.unwrap_or_default(),
        term.log()
    );

    let rows = relay
        .query(
            "SELECT m.sender, m.body, c.counselor, c.ended_by FROM messages m \
         JOIN conversations c ON c.id = m.conversation \
         WHERE c.nickname = 'Sam' ORDER BY m.seq",
            &[],
        )
        .await
        .expect("query");
    assert_eq!(
        rows,
        vec![
            json!({"sender":"visitor","body":HOSTILE,"counselor":"an","ended_by":"counselor"}),
            json!({"sender":"counselor","body":reply,"counselor":"an","ended_by":"counselor"}),
        ]
    );
    eprintln!("counselor test took {:?}", started.elapsed());
}

/// A supervisor sees the queue read-only: the marker shows, and the keys that take a
/// visitor for a counselor do nothing.
#[tokio::test(flavor = "multi_thread")]
async fn supervisor_is_read_only_and_cannot_take() {
    let started = Instant::now();
    let relay = TestRelay::start().await.expect("relay");
    // A service takes visitors only while a counselor is online: `an` signs in over a
    // plain WebSocket and stays idle.
    let mut counselor = relay.staff("an").await.expect("counselor signs in");
    // The relay sends `login_ok` before it counts the counselor online; the first queue
    // snapshot comes after.
    counselor
        .expect_queue(|q| {
            q["services"].as_array().is_some_and(|s| {
                s.iter()
                    .any(|s| s["service"] == "caw" && s["status"] == "online")
            })
        })
        .await
        .expect("CAW online");
    let mut visitor = relay.queued_visitor("caw", "Sam").await.expect("visitor");
    let term = Term::start(&relay, "sup").await.expect("tmux");

    let screen = term
        .wait_for("the read-only marker and Sam", |s| {
            s.contains("alleen lezen") && s.contains("Sam")
        })
        .await
        .expect("supervisor screen");
    let status_bar = screen.lines().next().unwrap_or_default();
    assert!(
        status_bar.contains("sup (supervisor)") && status_bar.contains("alleen lezen"),
        "status bar: {status_bar}"
    );

    // Cursor onto Sam, then Enter and t (both take for a counselor), then ? for help:
    // once help shows, the keys before it have been handled.
    term.keys(&["j"]).await.expect("keys");
    term.wait_for("the cursor on Sam", |s| {
        s.lines().any(|l| l.contains("▸ Sam"))
    })
    .await
    .expect("cursor on Sam");
    term.keys(&["Enter", "t", "?"]).await.expect("keys");
    let help = term.wait_text("Sneltoetsen").await.expect("help");
    eprintln!("supervisor screen with help open:\n{help}");
    assert!(
        !help.contains("neem"),
        "help offers taking to a supervisor:\n{help}"
    );

    // The relay never assigned Sam: no `assigned` within a bounded wait...
    match tokio::time::timeout(Duration::from_secs(2), visitor.expect("assigned")).await {
        Err(_) => {}
        Ok(Ok(frame)) => panic!("visitor was assigned: {frame}"),
        Ok(Err(e)) => panic!("visitor socket: {e:#}"),
    }
    // ...and the database says so too.
    let rows = relay
        .query(
            "SELECT counselor IS NULL AS unassigned, started_at_ms IS NULL AS not_started \
         FROM conversations WHERE nickname = 'Sam'",
            &[],
        )
        .await
        .expect("query");
    assert_eq!(rows, vec![json!({"unassigned":1,"not_started":1})]);
    let screen = term.screen().await.expect("screen");
    assert!(screen.contains("Sam"), "Sam still queued:\n{screen}");

    term.keys(&["Escape"]).await.expect("keys");
    term.wait_for("help to close", |s| !s.contains("Sneltoetsen"))
        .await
        .expect("help closed");
    term.keys(&["q"]).await.expect("keys");
    assert_eq!(term.wait_exit().await.expect("app exits"), 0);
    eprintln!("supervisor test took {:?}", started.elapsed());
}

impl Term {
    /// Moves the queue pane's cursor with `j`/`k` onto the row containing `row` (a
    /// visitor's nickname, or `counselor · nickname` on the dashboard). After each press
    /// it waits for the cursor to move, so that no press is lost or counted twice. The
    /// queue pane is the top left one: the first `▸` on the screen is its cursor.
    async fn cursor_onto(&self, row: &str) -> anyhow::Result<()> {
        let target = format!("▸ {row}");
        let cursor_at = |screen: &str| screen.lines().position(|l| l.contains('▸'));
        for _ in 0..10 {
            let screen = self.screen().await?;
            if screen.contains(&target) {
                return Ok(());
            }
            let before = cursor_at(&screen);
            let row_at = screen.lines().position(|l| l.contains(row));
            let key = if before < row_at { "j" } else { "k" };
            self.keys(&[key]).await?;
            self.wait_for(&format!("the cursor to move towards {row:?}"), |s| {
                s.contains(&target) || cursor_at(s) != before
            })
            .await?;
        }
        bail!("the cursor never reached {row:?}")
    }
}

/// The workbench end to end, in two real terminals: counselor `an` takes Sam with two
/// keys, a message goes each way, takes Lou too and switches between them; supervisor
/// `sup`, in a second terminal, sees both live conversations on the dashboard, watches
/// Sam's read-only (the counselor's next message shows under her name; what the
/// supervisor types reaches nobody); then `an` ends Sam's conversation and registers it
/// (a topic ticked, saved), after which the relay no longer lists it to register.
#[tokio::test(flavor = "multi_thread")]
async fn workbench_two_visitors_supervisor_watch_and_wrap_up() {
    let started = Instant::now();
    let relay = TestRelay::start().await.expect("relay");
    let term = Term::start(&relay, "an").await.expect("tmux");
    term.wait_for("signed in, CAW online", |s| {
        s.contains("● verbonden") && s.contains("CAW online · online")
    })
    .await
    .expect("signed in");

    // Sam arrives and writes first; two keys take them: cursor down, Enter.
    let mut sam = relay.queued_visitor("caw", "Sam").await.expect("Sam");
    let sam_first = "Hoi, ik wil iets vertellen.";
    sam.send(json!({"type":"send","client_id":"s1","text":sam_first}))
        .await
        .expect("Sam sends");
    sam.expect("ack").await.expect("Sam's message stored");
    term.wait_text("Sam").await.expect("Sam in the queue");
    term.cursor_onto("Sam").await.expect("cursor on Sam");
    term.keys(&["Enter"]).await.expect("keys");
    sam.expect("assigned").await.expect("Sam assigned");
    term.wait_text(&format!("Sam: {sam_first}"))
        .await
        .expect("Sam's message shown");

    // A reply goes back: taking put the focus in the input.
    let to_sam = "Dag Sam, ik luister.";
    term.type_text(to_sam).await.expect("type");
    term.wait_text(to_sam).await.expect("reply typed");
    term.keys(&["Enter"]).await.expect("keys");
    let got = sam.expect("message").await.expect("reply reaches Sam");
    assert_eq!(got["message"]["text"], to_sam, "{got}");
    term.wait_text(&format!("jij: {to_sam}"))
        .await
        .expect("reply in the scrollback");

    // Lou arrives; leave the input, back to the queue pane, take Lou.
    let mut lou = relay.queued_visitor("caw", "Lou").await.expect("Lou");
    let lou_first = "Mag ik ook iets vragen?";
    lou.send(json!({"type":"send","client_id":"l1","text":lou_first}))
        .await
        .expect("Lou sends");
    lou.expect("ack").await.expect("Lou's message stored");
    term.wait_text("Lou").await.expect("Lou in the queue");
    // Tab from the input wraps round to the queue pane, whose footer offers taking.
    term.keys(&["Tab"]).await.expect("keys");
    term.wait_text("Enter neem")
        .await
        .expect("queue pane focused");
    term.cursor_onto("Lou").await.expect("cursor on Lou");
    term.keys(&["Enter"]).await.expect("keys");
    lou.expect("assigned").await.expect("Lou assigned");
    term.wait_for("Lou's conversation in view, two open", |s| {
        s.contains(" Lou · caw ")
            && s.contains(&format!("Lou: {lou_first}"))
            && s.contains("Gesprekken 2/3")
    })
    .await
    .expect("Lou in view");
    let to_lou = "Natuurlijk, Lou.";
    term.type_text(to_lou).await.expect("type");
    term.wait_text(to_lou).await.expect("reply typed");
    term.keys(&["Enter"]).await.expect("keys");
    let got = lou.expect("message").await.expect("reply reaches Lou");
    assert_eq!(got["message"]["text"], to_lou, "{got}");

    // Switch back to Sam and forth to Lou: each shows its own conversation.
    term.keys(&["C-p"]).await.expect("keys");
    let screen = term
        .wait_for("Sam's conversation in view", |s| {
            s.contains(" Sam · caw ") && s.contains(&format!("jij: {to_sam}"))
        })
        .await
        .expect("switched to Sam");
    assert!(
        !screen.contains(&format!("Lou: {lou_first}")),
        "Lou's message in Sam's view:\n{screen}"
    );
    term.keys(&["C-n"]).await.expect("keys");
    term.wait_for("Lou's conversation in view again", |s| {
        s.contains(" Lou · caw ") && s.contains(&format!("jij: {to_lou}"))
    })
    .await
    .expect("switched to Lou");
    term.keys(&["C-p"]).await.expect("keys");
    term.wait_text(" Sam · caw ").await.expect("Sam in view");

    // The supervisor, in a second terminal, sees both live conversations and watches
    // Sam's.
    let sup = Term::start(&relay, "sup").await.expect("tmux for sup");
    let board = sup
        .wait_for("both live conversations on the dashboard", |s| {
            s.contains("an · Sam") && s.contains("an · Lou")
        })
        .await
        .expect("dashboard");
    eprintln!("supervisor dashboard:\n{board}");
    sup.cursor_onto("an · Sam")
        .await
        .expect("cursor on Sam's row");
    sup.keys(&["Enter"]).await.expect("keys");
    sup.wait_for("Sam's conversation watched", |s| {
        s.contains(" Sam · caw ") && s.contains(&format!("Sam: {sam_first}"))
    })
    .await
    .expect("watching Sam");

    // The counselor's next message shows in the supervisor's view under her name.
    let watched = "Wat je vertelt blijft hier.";
    term.type_text(watched).await.expect("type");
    term.wait_text(watched).await.expect("typed");
    term.keys(&["Enter"]).await.expect("keys");
    let got = sam.expect("message").await.expect("message reaches Sam");
    assert_eq!(got["message"]["text"], watched, "{got}");
    let seen = sup
        .wait_text(&format!("an: {watched}"))
        .await
        .expect("the supervisor sees the counselor's message");
    assert!(
        !seen.contains(&format!("jij: {watched}")),
        "the supervisor's view calls the counselor \"jij\":\n{seen}"
    );

    // What the supervisor types goes nowhere. `?` opens the help: once it shows, the
    // keys before it have been handled.
    let secret = "geheim";
    sup.type_text(secret).await.expect("type");
    sup.keys(&["Enter", "?"]).await.expect("keys");
    sup.wait_text("Sneltoetsen").await.expect("help");
    sup.keys(&["Escape"]).await.expect("keys");
    // A message from the counselor after it: the first message Sam receives now must be
    // this one, not anything the supervisor typed.
    let fence = "Ben je er nog?";
    term.type_text(fence).await.expect("type");
    term.wait_text(fence).await.expect("typed");
    term.keys(&["Enter"]).await.expect("keys");
    let got = sam.expect("message").await.expect("fence reaches Sam");
    assert_eq!(got["message"]["text"], fence, "{got}");
    let screen = sup
        .wait_text(&format!("an: {fence}"))
        .await
        .expect("the supervisor sees the fence");
    assert!(
        !screen.contains(secret),
        "the supervisor's typing shows up:\n{screen}"
    );
    let leaked = relay
        .query("SELECT body FROM messages WHERE body LIKE '%geheim%'", &[])
        .await
        .expect("query");
    assert!(
        leaked.is_empty(),
        "the supervisor's text was stored: {leaked:?}"
    );

    // End Sam's conversation and register it: tick the first topic, save.
    term.keys(&["C-e"]).await.expect("keys");
    term.wait_text("Gesprek met Sam beëindigen?")
        .await
        .expect("end confirmation");
    term.keys(&["J"]).await.expect("keys");
    let ended = sam.expect("ended").await.expect("Sam sees the end");
    assert_eq!(ended["by"], "counselor", "{ended}");
    let topic = "Relaties en gezin";
    term.wait_for("the registration form", |s| {
        s.contains("Registratie") && s.contains(&format!("[ ] {topic}"))
    })
    .await
    .expect("wrap-up form");
    // The relay's own query behind `to_register`.
    let to_register = "SELECT nickname FROM conversations WHERE counselor = 'an' \
         AND ended_at_ms IS NOT NULL AND started_at_ms IS NOT NULL \
         AND id NOT IN (SELECT conversation FROM wrapups)";
    let pending = relay.query(to_register, &[]).await.expect("query");
    assert_eq!(
        pending,
        vec![json!({"nickname":"Sam"})],
        "to register before"
    );
    term.keys(&["Tab"]).await.expect("keys");
    term.wait_text(&format!("[x] {topic}"))
        .await
        .expect("topic ticked");
    term.keys(&["Enter"]).await.expect("keys");
    term.wait_text("Registratie opgeslagen.")
        .await
        .expect("wrap-up saved");
    // The relay's `to_register` list, as the app shows it on `w`: empty now.
    // (The form closed with the focus on the conversation list, where `w` is a key.)
    term.keys(&["w"]).await.expect("keys");
    term.wait_text("Alle gesprekken zijn geregistreerd.")
        .await
        .expect("nothing left to register");
    // "Registratie opgeslagen." shows as the request leaves; the relay stores it a moment
    // later, so wait for the row rather than read once.
    let rows = rows_once_present(
        &relay,
        "SELECT c.nickname, w.topics FROM wrapups w \
         JOIN conversations c ON c.id = w.conversation",
    )
    .await
    .expect("query");
    assert_eq!(
        rows,
        vec![json!({"nickname":"Sam","topics":format!("[\"{topic}\"]")})]
    );
    let pending = relay.query(to_register, &[]).await.expect("query");
    assert!(pending.is_empty(), "still to register: {pending:?}");
    // Lou's conversation is still open, on both screens.
    term.wait_for("Lou's the one open conversation", |s| {
        s.contains("Gesprekken 1/3") && s.contains("2 Lou caw")
    })
    .await
    .expect("Lou still open");
    sup.wait_for("Lou still live on the dashboard", |s| {
        s.contains("an · Lou")
    })
    .await
    .expect("Lou on the dashboard");
    eprintln!("workbench test took {:?}", started.elapsed());
}

/// Issue 19: with a visitor waiting, `t`, the greeting and Enter go to the terminal in one
/// `send-keys`, at full speed, before the relay can have answered the take. The visitor
/// receives the greeting exactly, the relay stored it exactly, and none of its letters
/// acted as a shortcut (the conversation is still open). Then, issue 18: after the end,
/// Alt-m in the registration form tags a name, and the relay stores it.
#[tokio::test(flavor = "multi_thread")]
async fn a_greeting_typed_at_full_speed_after_t_reaches_the_visitor_whole() {
    const GREETING: &str =
        "Dag Lotte, ik ben er. Fijn dat je schrijft. Wil je vertellen wat er thuis gebeurt?";
    let relay = TestRelay::start().await.expect("relay");
    let term = Term::start(&relay, "an").await.expect("tmux");
    term.wait_for("signed in, CAW online", |s| {
        s.contains("● verbonden") && s.contains("CAW online · online")
    })
    .await
    .expect("signed in");
    let mut lotte = relay.queued_visitor("caw", "Lotte").await.expect("Lotte");
    term.wait_text("Lotte").await.expect("Lotte in the queue");

    // One send-keys: `t`, then the greeting as literal characters, then Enter.
    term.keys(&[&format!("t{GREETING}"), "Enter"])
        .await
        .expect("keys");
    lotte.expect("assigned").await.expect("Lotte assigned");
    let got = lotte.expect("message").await.expect("the greeting arrives");
    assert_eq!(got["message"]["text"], GREETING, "{got}");
    assert_eq!(got["message"]["from"], "counselor", "{got}");
    let screen = term
        .wait_text("jij: Dag Lotte, ik ben er.")
        .await
        .expect("the greeting in the scrollback");
    eprintln!("screen after the greeting:\n{screen}");
    assert!(
        !screen.contains("Bevestigen"),
        "a letter of the greeting opened a question:\n{screen}"
    );

    let rows = relay
        .query(
            "SELECT m.sender, m.body, c.counselor, c.ended_by FROM messages m \
             JOIN conversations c ON c.id = m.conversation \
             WHERE c.nickname = 'Lotte' ORDER BY m.seq",
            &[],
        )
        .await
        .expect("query");
    assert_eq!(
        rows,
        vec![json!({"sender":"counselor","body":GREETING,"counselor":"an","ended_by":null})],
        "stored exactly once, and the conversation is still open"
    );

    // End it (Ctrl-e from the input, then the question that names Lotte).
    term.keys(&["C-e"]).await.expect("keys");
    term.wait_text("Gesprek met Lotte beëindigen?")
        .await
        .expect("end question");
    term.keys(&["J"]).await.expect("keys");
    lotte.expect("ended").await.expect("Lotte sees the end");
    term.wait_text("Registratie").await.expect("wrap-up form");

    // In the form, letters are notes; Alt-m asks for a name to tag.
    term.keys(&["M-m"]).await.expect("keys");
    term.wait_text("Naam om weg te laten bij anonimiseren")
        .await
        .expect("tag-name popup");
    term.type_text("Jonas").await.expect("type");
    term.wait_text("> Jonas").await.expect("name typed");
    term.keys(&["Enter"]).await.expect("keys");
    let screen = term
        .wait_for("the form back, and the name tagged", |s| {
            s.contains("Registratie") && s.contains("weggelaten: Jonas")
        })
        .await
        .expect("tagged from the form");
    eprintln!("screen after tagging from the wrap-up form:\n{screen}");
    let tagged = rows_once_present(
        &relay,
        "SELECT t.name, t.tagged_by FROM tagged_names t \
         JOIN conversations c ON c.id = t.conversation WHERE c.nickname = 'Lotte'",
    )
    .await
    .expect("query");
    assert_eq!(tagged, vec![json!({"name":"Jonas","tagged_by":"an"})]);
}
