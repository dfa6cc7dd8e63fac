//! `chathulp-relay`: run the relay, or manage it (`user add|list|reset|disable|enable`,
//! `service close|open|list`, `reveal`, `block`, `audit`, `export`, `vault rotate`,
//! `store copy`, `backup`, `restore`). The `user` commands use the same functions as the
//! administrators' requests over the staff WebSocket ([`chathulp_relay::accounts`]).
//!
//! Settings are layered: built-in defaults, then the TOML file (`--config`, or
//! `relay.toml` in the platform config folder if it exists), then environment variables
//! and flags. `--dev` needs none of it: a self-signed certificate, SQLite in the data
//! folder and demo accounts are made on first start.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use chathulp_relay::leader::Leadership;
use chathulp_relay::{Config, Relay, Store, SystemClock, tls};
use chathulp_relay::{accounts, backup};
use chathulp_shared::Role;
use clap::{Parser, Subcommand};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[derive(Parser, Debug)]
#[command(name = "chathulp-relay", version, about = "The chathulp relay")]
struct Cli {
    /// Development mode: self-signed certificate, demo accounts, services open all day.
    #[arg(long, global = true)]
    dev: bool,
    /// TOML config file.
    #[arg(long, env = "CHATHULP_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8443.
    #[arg(long, env = "CHATHULP_LISTEN", global = true)]
    listen: Option<SocketAddr>,
    /// Folder for the database (and the dev certificate).
    #[arg(long, env = "CHATHULP_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Use the PostgreSQL store at this URL (sets `[store] backend = "postgres"` and
    /// `url`); the environment variable keeps the password out of the process list.
    #[arg(
        long,
        env = "CHATHULP_STORE_URL",
        global = true,
        hide_env_values = true
    )]
    store_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the relay (the default).
    Serve,
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Close or reopen a service at once. A running relay picks the change up within
    /// a few seconds.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Emergency reveal requests: list, approve or deny them. A running relay tells the
    /// counselor within a few seconds.
    #[command(subcommand)]
    Reveal(RevealCommand),
    /// Visitor blocks: list them or lift one.
    #[command(subcommand)]
    Block(BlockCommand),
    /// Print the audit log and verify its hash chain (exit status 1 if it is broken).
    Audit,
    /// The IP vault key: `rotate` replaces it, re-sealing every stored address.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// The database itself: `copy` moves a SQLite database into PostgreSQL.
    #[command(subcommand)]
    Store(StoreCommand),
    /// A consistent copy of the database while the relay runs (SQLite's online backup),
    /// as DEST/chathulp-YYYYMMDDTHHMMSSZ.db at mode 0600. Backups in DEST older than
    /// `retention.days` are deleted, then all but the newest `--keep`.
    Backup {
        dest: PathBuf,
        /// How many backups to keep in DEST (the newest).
        #[arg(long)]
        keep: Option<usize>,
    },
    /// Put backup SRC in place as the data folder's database, after checking its
    /// integrity and audit chain. Refused while a relay runs on the data folder.
    Restore { src: PathBuf },
    /// The figures of a period from the anonymous counts that outlive the purge, with
    /// small numbers suppressed (docs/reports.md). Dates are local days, both included.
    Report {
        #[arg(long)]
        from: jiff::civil::Date,
        #[arg(long)]
        to: jiff::civil::Date,
        /// One service (its id); all services when left out.
        #[arg(long)]
        service: Option<String>,
        /// The length of one row of the time series.
        #[arg(long, value_enum, default_value = "day")]
        by: chathulp_relay::report::Period,
        #[arg(long, value_enum, default_value = "html")]
        format: ReportFormat,
        /// Write the report to FILE instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write transcripts to stdout. `--anonymise`: for team consultation, without
    /// nickname, intake or address, with names, phone numbers, e-mail and street
    /// addresses, national register numbers and IBANs replaced by placeholders.
    /// `--dossier --reason`: one conversation in full, refused if the visitor refused a
    /// dossier. Every export is audit-logged; none holds the visitor's address.
    #[command(group = clap::ArgGroup::new("kind").required(true).args(["anonymise", "dossier"]))]
    Export {
        /// One conversation.
        #[arg(long, conflicts_with = "since", required_unless_present = "since")]
        conversation: Option<String>,
        /// Every conversation that ended on or after this day (YYYY-MM-DD, relay time zone).
        #[arg(long, conflicts_with = "dossier")]
        since: Option<jiff::civil::Date>,
        #[arg(long)]
        anonymise: bool,
        /// The full transcript of one conversation for the organisation's dossier.
        #[arg(long, requires = "reason")]
        dossier: bool,
        /// Why the full transcript is needed (for the audit log).
        #[arg(long, requires = "dossier")]
        reason: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum ReportFormat {
    Html,
    Csv,
    Json,
}

#[derive(Subcommand, Debug)]
enum RevealCommand {
    /// Pending requests and those decided in the last 24 hours.
    List,
    /// Approve request ID: its counselor, and only they, see the visitor's address.
    Approve {
        id: u64,
        #[arg(long)]
        reason: String,
    },
    /// Deny request ID.
    Deny {
        id: u64,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
enum VaultCommand {
    /// Make a new vault key (both keys) and re-seal every stored visitor address with it,
    /// recomputing address hashes and blocks, in one transaction. Only while the relay is
    /// stopped. The old key is kept as vault.key.old-<unix time> (mode 0600): move it
    /// offline, and delete it once the retention period has passed.
    Rotate,
}

#[derive(Subcommand, Debug)]
enum StoreCommand {
    /// Copy a SQLite database into a new, empty PostgreSQL database, with a progress bar,
    /// checking every table's row count and the audit chain at the end. Stop the relay
    /// first. Refused if the target has any row.
    Copy {
        /// The source: `sqlite:PATH` (the `chathulp.db` in the data folder).
        #[arg(long)]
        from: String,
        /// The target: `postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=require`.
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand, Debug)]
enum BlockCommand {
    /// The blocks in force.
    List,
    /// Lift block ID before it expires.
    Lift {
        id: u64,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
enum ServiceCommand {
    /// Close a service ("uitzonderlijke omstandigheden"). Waiting visitors are told and
    /// offered e-mail; conversations in progress carry on.
    Close {
        service: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift a closure.
    Open { service: String },
    /// Show each service and whether it is closed.
    List,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Add an account. The password is prompted for, or read from stdin when piped.
    Add {
        name: String,
        #[arg(long)]
        role: Role,
    },
    /// Show every account with its role and whether it is disabled.
    List,
    /// Give an account a new random password (printed once) and sign it out everywhere.
    Reset { name: String },
    /// Disable an account: it can't sign in, and a running relay signs it out within
    /// seconds.
    Disable { name: String },
    /// Enable a disabled account again.
    Enable { name: String },
}

fn main() -> anyhow::Result<()> {
    // Before any file is made: the database's WAL and SHM, backups and keys are created
    // by SQLite and libraries with the default 0644 & !umask, and hold visitor data.
    // Owner only, whatever umask the shell or service manager gave us.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let (config, data_dir) = settings(&cli)?;
    init_logging(config.log.format);
    let _ = rustls::crypto::ring::default_provider().install_default();

    // These two open the database file themselves (SQLite's backup API), not the store.
    if matches!(
        cli.command,
        Some(Command::Backup { .. } | Command::Restore { .. })
    ) && config.store.backend == chathulp_relay::config::StoreBackend::Postgres
    {
        anyhow::bail!(
            "backup and restore copy the SQLite file; on PostgreSQL use pg_dump and \
             pg_restore (docs/operations.md, \"Backups\")"
        );
    }
    match &cli.command {
        Some(Command::Backup { dest, keep }) => {
            return backup::backup_command(&data_dir.join("chathulp.db"), dest, *keep, &config);
        }
        Some(Command::Restore { src }) => return backup::restore_command(src, &data_dir),
        _ => {}
    }
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("cannot create data folder {}", data_dir.display()))?;
    restrict_permissions(&data_dir, 0o700);
    // One runtime for every command: the PostgreSQL pool's connections run on it, also
    // while the synchronous `user` commands wait for them.
    let runtime = tokio::runtime::Runtime::new()?;
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Store(StoreCommand::Copy { from, to }) = &command {
        return runtime.block_on(copy_store(from, to));
    }
    let location = chathulp_relay::store::Location::of(&config.store, &data_dir);
    let store = runtime
        .block_on(Store::open_at(&location, &data_dir))
        .with_context(|| format!("cannot open the {} store", config.store.backend.as_str()))?;
    if let chathulp_relay::store::Location::Sqlite(db) = &location {
        restrict_permissions(db, 0o600);
    }

    match command {
        Command::Store(_) => Ok(()),
        Command::User(command) => manage_users(&store, command),
        Command::Service(command) => runtime.block_on(manage_service(&config, &store, command)),
        Command::Reveal(command) => runtime.block_on(manage_reveals(&store, command)),
        Command::Block(command) => runtime.block_on(manage_blocks(&store, command)),
        Command::Audit => runtime.block_on(print_audit(&store)),
        Command::Vault(VaultCommand::Rotate) => runtime.block_on(rotate_vault(&store)),
        Command::Export {
            conversation,
            since,
            anonymise: _,
            dossier: _,
            reason,
        } => runtime.block_on(export(&config, &store, conversation, since, reason)),
        Command::Report {
            from,
            to,
            service,
            by,
            format,
            out,
        } => runtime.block_on(write_report(
            &config,
            &store,
            chathulp_relay::report::Request {
                from,
                to,
                service: service.map(chathulp_shared::ServiceId),
                by,
                tz: jiff::tz::TimeZone::get(&config.timezone)?,
                survey: config.survey.clone(),
                topics: config.wrapup.topics.clone(),
            },
            format,
            out,
        )),
        Command::Serve => runtime.block_on(serve(cli.dev, config, &data_dir, store)),
        Command::Backup { .. } | Command::Restore { .. } => Ok(()),
    }
}

/// Log lines to stderr as text or JSON (`[log] format`). Either way libraries' debug and
/// trace output is filtered out: it would print whole frames, chat text and an approved
/// reveal's address.
fn init_logging(format: chathulp_relay::config::LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // A log line that can't be written (stderr closed, journald restarting) must be
        // lost quietly: the default reports it with eprintln!, which then panics the task
        // that logged, e.g. the one that waits for SIGTERM.
        .log_internal_errors(false);
    match format {
        chathulp_relay::config::LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .finish()
            .with(chathulp_relay::logging::confidential())
            .init(),
        chathulp_relay::config::LogFormat::Json => builder
            .json()
            .with_ansi(false)
            .finish()
            .with(chathulp_relay::logging::confidential())
            .init(),
    }
}

/// Works out the config and the data folder from defaults, file, env and flags.
fn settings(cli: &Cli) -> anyhow::Result<(Config, PathBuf)> {
    let dirs = directories::ProjectDirs::from("be", "chathulp", "chathulp-relay");
    let default_file = dirs
        .as_ref()
        .map(|d| d.config_dir().join("relay.toml"))
        .filter(|p| p.exists());
    let mut config = match (&cli.config, default_file, cli.dev) {
        (Some(path), _, _) => Config::load(path)?,
        (None, _, true) => Config::dev(),
        (None, Some(path), false) => Config::load(&path)?,
        (None, None, false) => Config::default(),
    };
    if let Some(listen) = cli.listen {
        config.listen = listen;
    }
    if let Some(dir) = &cli.data_dir {
        config.data_dir = Some(dir.clone());
    }
    if let Some(url) = &cli.store_url {
        config.store.backend = chathulp_relay::config::StoreBackend::Postgres;
        config.store.url = Some(url.clone());
    }
    let data_dir = match (&config.data_dir, &dirs) {
        (Some(dir), _) => dir.clone(),
        // Dev data lives apart from real data, so a demo can never touch it.
        (None, Some(d)) if cli.dev => d.data_dir().join("dev"),
        (None, Some(d)) => d.data_dir().to_owned(),
        (None, None) => bail!("no home folder to put data in; pass --data-dir"),
    };
    Ok((config, data_dir))
}

async fn serve(dev: bool, config: Config, data_dir: &Path, store: Store) -> anyhow::Result<()> {
    let source = match (&config.tls.cert, &config.tls.key) {
        (Some(cert), Some(key)) => tls::CertSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        },
        _ if dev => tls::CertSource::Dev(data_dir.to_owned()),
        _ => bail!(
            "no TLS certificate configured: set tls.cert and tls.key in the config file \
             (see docs/configuration.md), or run with --dev"
        ),
    };
    let identity = source.load()?;
    let fingerprint = identity.fingerprint();
    tracing::info!(%fingerprint, "certificate SHA-256 fingerprint");
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    if let Some(url) = lease_url(&config) {
        return serve_with_lease(url, config, identity, source, store, listener).await;
    }
    if dev {
        create_demo_accounts(&store, listener.local_addr()?, &fingerprint).await?;
    }
    let metrics = metrics_listener(dev, &config).await?;
    let mut relay = Relay::new(config, identity, store, Arc::new(SystemClock)).await?;
    if let Some(listener) = metrics {
        relay = relay.with_metrics(listener);
    }
    serve_relay(relay, source, listener).await
}

/// The `[metrics]` listener, if one is configured.
async fn metrics_listener(
    dev: bool,
    config: &Config,
) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    let Some(addr) = config.metrics.listen else {
        return Ok(None);
    };
    match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => Ok(Some(listener)),
        // Two demo relays on one machine: the second runs without metrics.
        Err(e) if dev => {
            tracing::warn!(%addr, error = %e, "cannot listen for metrics; running without");
            Ok(None)
        }
        Err(e) => Err(e).with_context(|| format!("cannot listen for metrics on {addr}")),
    }
}

/// Runs `relay` until SIGTERM or Ctrl-C.
async fn serve_relay(
    relay: Relay,
    source: tls::CertSource,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<()> {
    // Before the relay listens: SIGHUP's default action would end the process.
    reload_on_hangup(relay.certificates(), source)?;
    let shutdown = relay.shutdown_token();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: closing every connection");
        shutdown.cancel();
    });
    relay.serve(listener).await
}

/// The database the leader lease is kept in: the store's, when it is PostgreSQL, which
/// other relays may share. `None` on SQLite: the relay is alone and always serves.
fn lease_url(config: &Config) -> Option<String> {
    match config.store.backend {
        chathulp_relay::config::StoreBackend::Postgres => config.store.url.clone(),
        chathulp_relay::config::StoreBackend::Sqlite => None,
    }
}

/// Several relays on one PostgreSQL store: standby (503 only) until this one holds the
/// leader lease, then fence the store, restore and serve; exits non-zero when the lease
/// is lost (docs/operations.md, "Two relays and a load balancer").
async fn serve_with_lease(
    url: String,
    config: Config,
    identity: tls::Identity,
    source: tls::CertSource,
    store: Store,
    listener: tokio::net::TcpListener,
) -> anyhow::Result<()> {
    let holder = format!(
        "{} pid {} {}",
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_default(),
        std::process::id(),
        listener.local_addr()?
    );
    let metrics = metrics_listener(false, &config).await?;
    let lease = chathulp_relay::leader::start(&url, holder, config.leader.lease_settings())?;
    let standby_tls = source.load()?.server_config()?;
    let stop = tokio_util::sync::CancellationToken::new();
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            stop.cancel();
        });
    }
    let relay_stop = stop.clone();
    let serving = chathulp_relay::standby::serve_with_lease(
        listener,
        standby_tls,
        lease.leadership.clone(),
        metrics,
        |epoch| async move {
            store.fence(epoch)?;
            let relay = Relay::new(config, identity, store, Arc::new(SystemClock)).await?;
            reload_on_hangup(relay.certificates(), source)?;
            let shutdown = relay.shutdown_token();
            tokio::spawn(async move {
                relay_stop.cancelled().await;
                tracing::info!("shutting down: closing every connection");
                shutdown.cancel();
            });
            Ok(relay)
        },
    );
    tokio::pin!(serving);
    tokio::select! {
        result = &mut serving => result,
        () = stop.cancelled() => {
            if *lease.leadership.borrow() == Leadership::Standby {
                // A standby has nothing to close.
                Ok(())
            } else {
                serving.await
            }
        }
    }
}

/// On SIGHUP, reads the certificate and key files again and serves them to new
/// handshakes; open connections keep theirs. Files that don't load, or a key that doesn't
/// match, are logged and the current certificate stays: a half-finished renewal never
/// takes the relay down.
fn reload_on_hangup(
    certificates: Arc<tls::Certificates>,
    source: tls::CertSource,
) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup()).context("cannot watch for SIGHUP")?;
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match tls::reload(&certificates, &source) {
                    Ok(fingerprint) => {
                        tracing::info!(%fingerprint, "reloaded the TLS certificate");
                    }
                    Err(e) => {
                        chathulp_relay::metrics::get().certificate_reload_failed();
                        tracing::error!(
                            error = %e,
                            "cannot reload the TLS certificate; still serving the previous one"
                        );
                    }
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = (certificates, source);
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// On the first `--dev` start, makes one account per role and prints the passwords once.
async fn create_demo_accounts(
    store: &Store,
    listen: SocketAddr,
    fingerprint: &str,
) -> anyhow::Result<()> {
    if store.account_count().await? > 0 {
        println!("Demo accounts exist already (their passwords were printed on the first start).");
        return Ok(());
    }
    let now = jiff::Timestamp::now().as_millisecond();
    let mut lines = Vec::new();
    for (name, role) in [
        ("counselor", Role::Counselor),
        ("supervisor", Role::Supervisor),
        ("admin", Role::Admin),
    ] {
        let store = store.clone();
        let password =
            tokio::task::spawn_blocking(move || accounts::create(&store, name, role, None, now))
                .await??
                .unwrap_or_default();
        lines.push(format!("  {name:<11} {:<11} {password}", role.as_str()));
    }
    println!("Demo accounts (passwords are shown only this once):");
    println!("  {:<11} {:<11} password", "user", "role");
    for line in lines {
        println!("{line}");
    }
    println!("Certificate fingerprint (SHA-256): {fingerprint}");
    println!(
        "A counselor connects with:\n  chathulp --dev --server wss://{listen} --user counselor"
    );
    Ok(())
}

fn manage_users(store: &Store, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name, role } => {
            accounts::check_name(&name)?;
            let password = read_new_password(&name)?;
            let now = jiff::Timestamp::now().as_millisecond();
            accounts::create(store, &name, role, Some(password), now)?;
            println!("Added {} account {name}.", role.as_str());
        }
        UserCommand::List => {
            println!("{:<24} {:<11} state", "user", "role");
            for a in accounts::list(store)? {
                let state = if a.disabled { "disabled" } else { "active" };
                println!("{:<24} {:<11} {state}", a.user, a.role.as_str());
            }
        }
        UserCommand::Reset { name } => {
            let password = accounts::reset(store, &name)?;
            println!("New password for {name} (shown only this once): {password}");
        }
        UserCommand::Disable { name } => {
            accounts::set_disabled(store, &name, true)?;
            println!("Disabled {name}; its sessions are ended.");
        }
        UserCommand::Enable { name } => {
            accounts::set_disabled(store, &name, false)?;
            println!("Enabled {name}.");
        }
    }
    Ok(())
}

/// Prompts twice on a terminal, or reads one line from piped stdin.
fn read_new_password(name: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))?;
        let again = rpassword::prompt_password("Same password again: ")?;
        if first != again {
            bail!("the passwords differ; nothing was changed");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

async fn manage_service(
    config: &Config,
    store: &Store,
    command: ServiceCommand,
) -> anyhow::Result<()> {
    let known = |id: &str| {
        config
            .services
            .iter()
            .find(|s| s.id.0 == id)
            .map(|s| s.id.clone())
            .with_context(|| format!("no service {id:?} in the config"))
    };
    let now = jiff::Timestamp::now().as_millisecond();
    match command {
        ServiceCommand::Close { service, reason } => {
            let reason = reason.trim().to_owned();
            if reason.is_empty() {
                bail!("give a reason with --reason");
            }
            let closure = chathulp_relay::store::ServiceClosure {
                service: known(&service)?,
                reason,
                closed_by: "command line".to_owned(),
                closed_at_ms: now,
            };
            store.close_service(closure).await?;
            println!("Closed {service}. A running relay applies this within a few seconds.");
        }
        ServiceCommand::Open { service } => {
            if store.open_service(known(&service)?).await? {
                println!("Reopened {service}.");
            } else {
                println!("{service} was not closed.");
            }
        }
        ServiceCommand::List => {
            let closures = store.service_closures().await?;
            for s in &config.services {
                match closures.iter().find(|c| c.service == s.id) {
                    Some(c) => println!("{}\tclosed by {}: {}", s.id, c.closed_by, c.reason),
                    None => println!("{}\topen ({})", s.id, s.hours_text),
                }
            }
        }
    }
    Ok(())
}

/// Who acts from the command line, for the audit log.
fn cli_actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_default())
}

fn given_reason(reason: &str) -> anyhow::Result<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        bail!("give a reason with --reason");
    }
    Ok(reason.to_owned())
}

fn when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| ms.to_string())
}

async fn manage_reveals(store: &Store, command: RevealCommand) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now().as_millisecond();
    let (id, approve, reason) = match command {
        RevealCommand::List => {
            for r in store.reveal_requests(now - 24 * 3600 * 1000).await? {
                println!(
                    "{}\t{:?}\t{}\tconversation {}\tby {}\t{}",
                    r.id,
                    r.state,
                    when(r.requested_at_ms),
                    r.conversation,
                    r.counselor,
                    r.reason
                );
            }
            return Ok(());
        }
        RevealCommand::Approve { id, reason } => (id, true, reason),
        RevealCommand::Deny { id, reason } => (id, false, reason),
    };
    let reason = given_reason(&reason)?;
    match store
        .decide_reveal(id, approve, cli_actor(), reason, now)
        .await?
    {
        Some(r) => {
            let step = if approve { "approved" } else { "denied" };
            store
                .add_tallies(chathulp_relay::tally::reveal(&r.service, now, step))
                .await?;
            println!(
                "Request {id} {:?}. A running relay tells {} within a few seconds.",
                r.state, r.counselor
            );
        }
        None => bail!("no pending reveal request {id}"),
    }
    Ok(())
}

/// `report`: builds the report from the store's counts and writes it.
async fn write_report(
    config: &chathulp_relay::config::Config,
    store: &Store,
    request: chathulp_relay::report::Request,
    format: ReportFormat,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    use chathulp_relay::report;
    if let Some(service) = &request.service
        && !config.services.iter().any(|s| &s.id == service)
    {
        bail!("no service {:?} in the config", service.0);
    }
    let built = report::report(store, &request).await?;
    let text = match format {
        ReportFormat::Html => report::html::to_html(&built),
        ReportFormat::Csv => report::to_csv(&built),
        ReportFormat::Json => report::to_json(&built),
    };
    match out {
        Some(path) => std::fs::write(&path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

async fn manage_blocks(store: &Store, command: BlockCommand) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now().as_millisecond();
    match command {
        BlockCommand::List => {
            for b in store.active_blocks(now).await? {
                println!(
                    "{}\tuntil {}\t{}\tconversation {}\tby {}\t{}",
                    b.id,
                    when(b.until_ms),
                    b.service,
                    b.conversation,
                    b.counselor,
                    b.reason
                );
            }
        }
        BlockCommand::Lift { id, reason } => {
            let reason = given_reason(&reason)?;
            if !store.lift_block(id, cli_actor(), reason, now).await? {
                bail!("no active block {id}");
            }
            println!("Lifted block {id}.");
        }
    }
    Ok(())
}

async fn print_audit(store: &Store) -> anyhow::Result<()> {
    let rows = store.audit_log().await?;
    for r in &rows {
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.seq,
            when(r.at_ms),
            r.actor,
            r.action,
            r.conversation.as_deref().unwrap_or("-"),
            r.decision.as_deref().unwrap_or("-"),
            r.reason
        );
    }
    match chathulp_relay::store::verify_chain(&rows) {
        Ok(()) => {
            println!("Audit chain intact: {} rows.", rows.len());
            Ok(())
        }
        Err(seq) => {
            bail!("the audit chain is broken at row {seq}: it was changed after it was written")
        }
    }
}

async fn rotate_vault(store: &Store) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now().as_millisecond();
    let done = chathulp_relay::rotation::rotate(store, cli_actor(), now).await?;
    if done.finished_interrupted {
        println!(
            "Finished an interrupted rotation: the database was already re-sealed with the \
             new key, which is now vault.key."
        );
    } else {
        let rows = done.rows;
        println!("Rotated the vault key.");
        println!(
            "  addresses re-sealed with the new key: {} (their hashes recomputed)",
            rows.resealed
        );
        println!(
            "  blocks carried over to the new hashes: {}",
            rows.blocks_moved
        );
        println!(
            "  addresses the old key could not open: {} (left as they were; they can't \
             be revealed)",
            rows.unreadable
        );
        println!(
            "  blocks in force that could not be carried over: {} (they stay listed until \
             they expire, but no longer match anyone)",
            rows.blocks_stranded
        );
    }
    println!(
        "The old key is in {} (mode 0600): move it offline, and delete it once the \
         retention period has passed.",
        done.old_key.display()
    );
    Ok(())
}

/// `store copy`: SQLite file to an empty PostgreSQL database.
async fn copy_store(from: &str, to: &str) -> anyhow::Result<()> {
    let Some(path) = from.strip_prefix("sqlite:") else {
        bail!("--from must be sqlite:PATH");
    };
    if !to.starts_with("postgres://") && !to.starts_with("postgresql://") {
        bail!("--to must be a postgres:// URL");
    }
    let copied = chathulp_relay::store::copy::sqlite_to_postgres(
        Path::new(path),
        to,
        std::io::stderr().is_terminal(),
    )
    .await?;
    for (table, rows) in &copied.tables {
        println!("  {table:<18} {rows} rows");
    }
    println!(
        "Copied {path} into PostgreSQL: every table's row count matches and the audit chain \
         verifies. Set [store] backend = \"postgres\" and url in the config, then start the relay."
    );
    Ok(())
}

/// Anonymised export of `conversation` or of those ended `since`; with a `dossier_reason`,
/// the full transcript of `conversation` for the dossier.
async fn export(
    config: &Config,
    store: &Store,
    conversation: Option<String>,
    since: Option<jiff::civil::Date>,
    dossier_reason: Option<String>,
) -> anyhow::Result<()> {
    use chathulp_relay::export;
    let tz = jiff::tz::TimeZone::get(&config.timezone)?;
    let now = jiff::Timestamp::now().as_millisecond();
    let text = match (conversation, since, dossier_reason) {
        (Some(id), _, Some(reason)) => {
            let reason = given_reason(&reason)?;
            let id = chathulp_shared::ConversationId(id);
            export::for_dossier(store, id, &tz, &cli_actor(), &reason, now).await?
        }
        (Some(id), _, None) => {
            let ids = vec![chathulp_shared::ConversationId(id)];
            export::anonymised(store, ids, &tz, &cli_actor(), now).await?
        }
        (None, Some(day), None) => {
            let from = day
                .to_zoned_datetime(tz.clone())?
                .timestamp()
                .as_millisecond();
            let ids = store.ended_since(from).await?;
            export::anonymised(store, ids, &tz, &cli_actor(), now).await?
        }
        _ => bail!("give --conversation ID, or --since DATE with --anonymise"),
    };
    print!("{text}");
    Ok(())
}

/// The data folder and the database hold visitor data and keys: owner only.
fn restrict_permissions(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot restrict permissions");
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}
