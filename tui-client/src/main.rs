//! `chathulp`: the terminal app for counselors, supervisors and administrators.
//!
//! This binary only wires things up: it parses the command line, reads the password,
//! opens the log file, connects and signs in (before the full-screen UI starts, so any
//! failure prints plainly), then hands the socket to the network worker and runs the
//! event loop. Everything else lives in the library; see its `# Layout` and "Adding a
//! new action".

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;
use chathulp::app::{App, AppOptions, ClientIds};
use chathulp::config::{self, AppConfig};
use chathulp::keymap::KeyConfig;
use chathulp::net::{self, Endpoint, NetError, NetEvent};
use chathulp::tls::{self, KnownRelays, Trust};
use chathulp::{event, paths, strings, tui};
use clap::Parser;
use tokio::sync::mpsc;
use tracing_subscriber::EnvFilter;

/// The relay `--dev` connects to when no `--server` is given.
const DEV_SERVER: &str = "wss://127.0.0.1:8443";

/// chathulp: the terminal app for counselors of the chathulp online counseling chat.
///
/// The password is read from CHATHULP_PASSWORD, or asked for.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// The relay, e.g. wss://relay.example:8443. Give it more than once (or comma-separated)
    /// for a leader and its standbys: they are tried in turn, on start and on reconnect.
    #[arg(long, value_name = "URL", value_delimiter = ',')]
    server: Vec<String>,
    /// Your account name.
    #[arg(long)]
    user: String,
    /// Use a local development relay (default wss://127.0.0.1:8443) and trust its
    /// self-signed certificate on first use, like ssh: its fingerprint is recorded in
    /// `known_relays` and a different one later is refused.
    #[arg(long)]
    dev: bool,
    /// Trust only the relay certificate with this SHA-256 fingerprint (64 hex digits, as
    /// the relay prints it).
    #[arg(long, value_name = "HEX")]
    fingerprint: Option<String>,
    /// Where chathulp keeps `known_relays` and its log. (Not CHATHULP_DATA_DIR: the relay
    /// reads that one for its own folder.)
    #[arg(long, env = "CHATHULP_APP_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    // Several crates could pick a provider; we use ring everywhere.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("chathulp: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let data_dir = match cli.data_dir.clone().or_else(paths::default_data_dir) {
        Some(dir) => dir,
        None => anyhow::bail!(strings::NO_DATA_DIR),
    };
    paths::create_private_dir(&data_dir).with_context(|| format!("{}", data_dir.display()))?;
    init_logging(&data_dir)?;
    // Read before connecting, so a broken file stops the app before anything else.
    let (config, keys) = match config::config_dir(cli.data_dir.as_deref()) {
        Some(dir) => (AppConfig::load(&dir)?, KeyConfig::load(&dir)?),
        None => (AppConfig::default(), KeyConfig::default()),
    };

    let servers = match (cli.server.is_empty(), cli.dev) {
        (false, _) => cli.server.clone(),
        (true, true) => vec![DEV_SERVER.to_owned()],
        (true, false) => anyhow::bail!(strings::NEED_SERVER),
    };
    let server = servers.join(",");
    let urls = servers
        .iter()
        .map(|s| net::staff_url(s))
        .collect::<Result<Vec<_>, _>>()?;
    // Several relays serve one certificate (docs/operations.md): the first one's entry in
    // `known_relays` pins it for all.
    let relay = urls[0].1.clone();
    let known = KnownRelays::new(data_dir.join("known_relays"));
    let trust = match (&cli.fingerprint, cli.dev) {
        (Some(fp), _) => Trust::Pinned(tls::parse_fingerprint(fp)?),
        (None, true) => match known.lookup(&relay)? {
            Some(fp) => Trust::Pinned(fp),
            None => Trust::FirstUse,
        },
        (None, false) => Trust::WebRoots,
    };
    let tls_setup = tls::client_config(&trust)?;

    let password = match std::env::var("CHATHULP_PASSWORD") {
        Ok(password) => password,
        Err(_) => rpassword::prompt_password(strings::password_prompt(&cli.user))?,
    };

    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let endpoints: Vec<Endpoint> = urls
            .into_iter()
            .map(|(url, relay)| Endpoint {
                url,
                relay,
                tls: tls_setup.config.clone(),
            })
            .collect();
        let endpoint = endpoints[0].clone();
        eprintln!("{}", strings::connecting_to(&endpoint.url));
        let login = net::login_request(&cli.user, &password);
        drop(password);
        let (current, ws, info, token) = match net::connect_and_login_any(&endpoints, 0, &login)
            .await
        {
            Ok(connected) => connected,
            Err(NetError::LoginFailed(message)) => {
                tracing::info!("login refused");
                eprintln!("{}", strings::login_failed(&message));
                return Ok(ExitCode::FAILURE);
            }
            Err(NetError::RateLimited) => {
                tracing::info!("login refused: too many failed sign-ins");
                eprintln!("{}", strings::LOGIN_THROTTLED);
                return Ok(ExitCode::FAILURE);
            }
            Err(error) => {
                tracing::info!(%error, "could not connect");
                let mismatch = tls_setup.verifier.as_ref().and_then(|v| v.mismatch());
                let message = match mismatch {
                    Some((expected, seen)) => {
                        let known_path = known.path().display().to_string();
                        let from_file = cli.fingerprint.is_none().then_some(known_path.as_str());
                        strings::fingerprint_mismatch(&endpoint.relay, &expected, &seen, from_file)
                    }
                    None if error.is_unknown_issuer() => format!(
                        "{}\n{}",
                        strings::connect_failed(&endpoint.url, &error.to_string()),
                        strings::UNKNOWN_ISSUER_HINT
                    ),
                    None => strings::connect_failed(&endpoint.url, &error.to_string()),
                };
                eprintln!("{message}");
                return Ok(ExitCode::FAILURE);
            }
        };
        drop(login);
        if let Some(verifier) = &tls_setup.verifier {
            // From now on, reconnects accept only this certificate.
            verifier.pin_seen();
            if trust == Trust::FirstUse
                && let Some(seen) = verifier.seen()
            {
                known.record(&endpoint.relay, &seen)?;
                eprintln!(
                    "{}",
                    strings::first_use(&endpoint.relay, &seen, &known.path().display().to_string())
                );
            }
        }
        tracing::info!(role = info.role.as_str(), "signed in");

        let (command_tx, command_rx) = mpsc::unbounded_channel();
        let (event_tx, event_rx) = mpsc::channel(256);
        // Queued before the worker starts, so the app sees it before any relay frame.
        event_tx.send(NetEvent::Connected(info)).await?;
        let worker = tokio::spawn(net::run_worker_on(
            ws, endpoints, current, token, command_rx, event_tx,
        ));

        let mut app = App::new(AppOptions {
            user: cli.user.clone(),
            server: server.clone(),
            now_ms: event::now_ms(),
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            client_ids: ClientIds::Random,
            keys,
            notifications: config.notifications,
        });
        let outcome = {
            let mut terminal = tui::Tui::enter()?;
            event::run(&mut terminal, &mut app, command_tx.clone(), event_rx).await
            // `terminal` drops here: the screen is restored before anything is printed.
        };
        let _ = command_tx.send(net::NetCommand::Close);
        drop(command_tx);
        // Let the worker sign out (the app queued `logout` on quit) and close the socket
        // politely, but do not hang on a dead network.
        let _ = tokio::time::timeout(Duration::from_secs(1), worker).await;
        outcome?;
        if let Some(message) = app.exit_message {
            eprintln!("{message}");
            return Ok(ExitCode::FAILURE);
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Logs go to `chathulp.log` in the data folder: never to the terminal, which the UI
/// owns. `CHATHULP_LOG` sets the filter (default `info`). Conversation text is never
/// logged.
fn init_logging(data_dir: &std::path::Path) -> anyhow::Result<()> {
    let path = data_dir.join("chathulp.log");
    let file = paths::open_private_append(&path).with_context(|| format!("{}", path.display()))?;
    let filter = EnvFilter::try_from_env("CHATHULP_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
    Ok(())
}
