//! # chathulp cross-process test kit
//!
//! Starts a real relay on `127.0.0.1:0` (real TLS with a generated certificate, real
//! SQLite in a temporary folder) and gives tests real WebSocket clients for visitors and
//! staff. Nothing here mocks a component: the relay under test is the library the
//! binary runs, fed an injectable clock.
//!
//! ## Layout
//!
//! - [`TestRelay`]: start, restart and stop a relay on one data folder.
//! - [`Client`]: a TLS WebSocket client that speaks JSON frames and waits for events.
//! - [`browser::Browser`]: headless Chromium over WebDriver, trusting only the relay's key.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use chathulp_relay::store::{Account, Location};
use chathulp_relay::{Clock, Config, ManualClock, Relay, Store, tls};
use chathulp_shared::Role;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;

pub mod browser;
pub mod failover;
pub mod pg;

/// How long a test waits for an expected event before failing. Not a timing assertion:
/// it only turns a hang into a clear failure.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Password of every account [`TestRelay`] creates.
pub const PASSWORD: &str = "correct horse battery staple";

/// A friday afternoon in November 2026, when CAW and JAC are open.
pub const OPEN_HOUR: &str = "2026-11-27T13:30:00Z";

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A relay running in this process on a real socket.
pub struct TestRelay {
    pub addr: std::net::SocketAddr,
    pub data_dir: PathBuf,
    pub clock: ManualClock,
    /// The running relay's broker, for [`chathulp_relay::Broker::tick`] after moving the
    /// clock.
    pub broker: chathulp_relay::Broker,
    pub cert_der: Vec<u8>,
    /// The store: `chathulp.db` in `data_dir`, or this test's own PostgreSQL database
    /// (`CHATHULP_TEST_STORE=postgres`, see `chathulp_relay::store::testing`).
    pub location: Location,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
    _tmp: Option<tempfile::TempDir>,
}

impl TestRelay {
    /// A relay with the default config (CAW and JAC, production hours), the clock at
    /// [`OPEN_HOUR`], and accounts `an` (counselor), `bo` (counselor), `sup`
    /// (supervisor) and `adm` (admin).
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> anyhow::Result<Self> {
        let tmp = tempfile::tempdir()?;
        let data_dir = tmp.path().to_owned();
        let location = chathulp_relay::store::testing::fresh_location(&data_dir).await?;
        let store = Store::open_at(&location, &data_dir).await?;
        for (name, role) in [
            ("an", Role::Counselor),
            ("bo", Role::Counselor),
            ("sup", Role::Supervisor),
            ("adm", Role::Admin),
        ] {
            let password_hash = chathulp_relay::accounts::hash_password(PASSWORD)?;
            store
                .add_account(
                    Account {
                        name: name.into(),
                        role,
                        password_hash,
                    },
                    0,
                )
                .await?;
        }
        let clock = ManualClock::new(OPEN_HOUR.parse()?);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let mut relay = Self::spawn(config, &data_dir, location, store, clock, listener).await?;
        relay._tmp = Some(tmp);
        Ok(relay)
    }

    async fn spawn(
        config: Config,
        data_dir: &Path,
        location: Location,
        store: Store,
        clock: ManualClock,
        listener: tokio::net::TcpListener,
    ) -> anyhow::Result<Self> {
        install_crypto();
        let identity = tls::dev_identity(data_dir)?;
        let cert_der = identity
            .certs
            .first()
            .context("dev identity has no certificate")?
            .to_vec();
        let addr = listener.local_addr()?;
        let relay = Relay::new(
            config,
            identity,
            store,
            Arc::new(clock.clone()) as Arc<dyn Clock>,
        )
        .await?;
        let shutdown = relay.shutdown_token();
        let broker = relay.broker().clone();
        let task = tokio::spawn(relay.serve(listener));
        Ok(Self {
            addr,
            data_dir: data_dir.to_owned(),
            clock,
            broker,
            cert_der,
            location,
            shutdown,
            task,
            _tmp: None,
        })
    }

    /// Stops the relay gracefully (every socket gets 1001) and starts a new one on the
    /// same data folder and certificate, on a new port.
    pub async fn restart(self, config: Config) -> anyhow::Result<Self> {
        self.restart_after(config, |_| Ok(())).await
    }

    /// [`Self::restart`], running `offline` on the data folder while no relay runs (an
    /// offline command such as `chathulp-relay vault rotate`).
    pub async fn restart_after(
        self,
        config: Config,
        offline: impl FnOnce(&Path) -> anyhow::Result<()>,
    ) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        self.restart_on(config, listener, offline).await
    }

    /// [`Self::restart_after`] on a listener the caller bound: a "second relay" at an
    /// address clients knew beforehand (the terminal app's list of `--server`s).
    pub async fn restart_on(
        mut self,
        config: Config,
        listener: tokio::net::TcpListener,
        offline: impl FnOnce(&Path) -> anyhow::Result<()>,
    ) -> anyhow::Result<Self> {
        let tmp = self._tmp.take();
        let clock = self.clock.clone();
        let data_dir = self.data_dir.clone();
        let location = self.location.clone();
        self.stop().await?;
        offline(&data_dir)?;
        let store = Store::open_at(&location, &data_dir).await?;
        let mut relay = Self::spawn(config, &data_dir, location, store, clock, listener).await?;
        relay._tmp = tmp;
        Ok(relay)
    }

    /// Graceful shutdown; waits until the relay has closed every connection.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await??;
        Ok(())
    }

    /// The SQLite file (on the SQLite backend; tests that need the file itself check
    /// [`Self::sqlite`] first).
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("chathulp.db")
    }

    /// Whether this relay runs on SQLite (some tests reach into the file itself).
    pub fn sqlite(&self) -> bool {
        matches!(self.location, Location::Sqlite(_))
    }

    /// The environment a `chathulp-relay` command needs to reach this relay's store
    /// (nothing for SQLite: `--data-dir` finds the file).
    pub fn store_env(&self) -> Vec<(&'static str, String)> {
        match &self.location {
            Location::Sqlite(_) => Vec::new(),
            Location::Postgres(url) => vec![("CHATHULP_STORE_URL", url.clone())],
        }
    }

    /// Rows of a read-only query on the relay's store, on either backend, as JSON objects
    /// keyed by column (see [`Store::query_json`]); parameters are `$1`, `$2`, ….
    pub async fn query(&self, sql: &str, params: &[&str]) -> anyhow::Result<Vec<Value>> {
        let params = params.iter().map(|p| (*p).to_owned()).collect();
        Ok(self.broker.store().query_json(sql.into(), params).await?)
    }

    /// The one value of a one-row, one-column query (see [`Self::query`]).
    pub async fn query_value(&self, sql: &str, params: &[&str]) -> anyhow::Result<Value> {
        let rows = self.query(sql, params).await?;
        let [row] = rows.as_slice() else {
            bail!("{sql}: {} rows, not one", rows.len());
        };
        row.as_object()
            .and_then(|o| o.values().next())
            .cloned()
            .context("no column")
    }

    /// `(seq, sender, body)` of every stored message of `conversation`, in order.
    pub async fn stored_transcript(
        &self,
        conversation: &str,
    ) -> anyhow::Result<Vec<(i64, String, String)>> {
        let rows = self
            .query(
                "SELECT seq, sender, body FROM messages WHERE conversation = $1 ORDER BY seq",
                &[conversation],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r["seq"].as_i64().context("seq")?,
                    r["sender"].as_str().context("sender")?.to_owned(),
                    r["body"].as_str().context("body")?.to_owned(),
                ))
            })
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("wss://{}{path}", self.addr)
    }

    /// A TLS client config that trusts exactly this relay's certificate.
    pub fn client_tls(&self) -> anyhow::Result<Arc<rustls::ClientConfig>> {
        install_crypto();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert_der.clone().into())?;
        Ok(Arc::new(
            rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        ))
    }

    pub async fn visitor(&self) -> anyhow::Result<Client> {
        Client::connect(&self.url("/ws/visitor"), self.client_tls()?).await
    }

    /// A visitor socket from source address `source` (any 127.x.y.z works on loopback),
    /// optionally sending `X-Forwarded-For: forwarded_for`.
    pub async fn visitor_from(
        &self,
        source: std::net::Ipv4Addr,
        forwarded_for: Option<&str>,
    ) -> anyhow::Result<Client> {
        self.connect_from("/ws/visitor", source, forwarded_for)
            .await
    }

    /// A visitor socket as a load balancer at `balancer` opens it: a PROXY protocol v2
    /// header saying the connection is on behalf of `client`, then TLS and the WebSocket
    /// (as HAProxy's `send-proxy-v2` does).
    pub async fn visitor_proxied_for(
        &self,
        balancer: std::net::Ipv4Addr,
        client: std::net::SocketAddrV4,
    ) -> anyhow::Result<Client> {
        use tokio::io::AsyncWriteExt;
        let mut tcp = self.tcp_from(balancer).await?;
        let mut header = b"\r\n\r\n\0\r\nQUIT\n".to_vec();
        header.extend([0x21, 0x11, 0, 12]); // PROXY, TCP over IPv4, 12 address bytes
        header.extend(client.ip().octets());
        header.extend([127, 0, 0, 1]);
        header.extend(client.port().to_be_bytes());
        header.extend(self.addr.port().to_be_bytes());
        tcp.write_all(&header).await?;
        self.websocket_over(tcp, "/ws/visitor", None).await
    }

    /// A socket to `path` (`/ws/visitor` or `/ws/staff`) from source address `source`,
    /// with the relay's own Origin, optionally sending `X-Forwarded-For: forwarded_for`.
    pub async fn connect_from(
        &self,
        path: &str,
        source: std::net::Ipv4Addr,
        forwarded_for: Option<&str>,
    ) -> anyhow::Result<Client> {
        let tcp = self.tcp_from(source).await?;
        self.websocket_over(tcp, path, forwarded_for).await
    }

    /// A TCP connection to the relay from source address `source`.
    async fn tcp_from(&self, source: std::net::Ipv4Addr) -> anyhow::Result<TcpStream> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind((source, 0).into())?;
        Ok(socket.connect(self.addr).await?)
    }

    /// TLS and the WebSocket to `path` over `tcp`, with the relay's own Origin.
    async fn websocket_over(
        &self,
        tcp: TcpStream,
        path: &str,
        forwarded_for: Option<&str>,
    ) -> anyhow::Result<Client> {
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                self.url(path),
            )?;
        // The page's own origin, as a browser would send it.
        let origin = format!("https://{}", self.addr);
        request.headers_mut().insert("origin", origin.parse()?);
        if let Some(value) = forwarded_for {
            request
                .headers_mut()
                .insert("x-forwarded-for", value.parse()?);
        }
        let (ws, _) = tokio_tungstenite::client_async_tls_with_config(
            request,
            tcp,
            None,
            Some(Connector::Rustls(self.client_tls()?)),
        )
        .await?;
        Ok(Client { ws })
    }

    /// A visitor that said hello to `service` and got `welcome`.
    pub async fn queued_visitor(&self, service: &str, nickname: &str) -> anyhow::Result<Client> {
        let mut v = self.visitor().await?;
        v.send(json!({"type":"hello","protocol":1,"service":service,"nickname":nickname}))
            .await?;
        v.expect("welcome").await?;
        Ok(v)
    }

    /// A visitor that said hello and got `welcome`; also returns the resume token.
    pub async fn visitor_with_token(
        &self,
        service: &str,
        nickname: &str,
    ) -> anyhow::Result<(Client, String)> {
        let mut v = self.visitor().await?;
        v.send(json!({"type":"hello","protocol":1,"service":service,"nickname":nickname}))
            .await?;
        let welcome = v.expect("welcome").await?;
        let token = welcome["resume_token"]
            .as_str()
            .context("welcome without resume_token")?
            .to_owned();
        Ok((v, token))
    }

    /// A visitor coming back with `resume`; returns the client and the `resumed` frame.
    pub async fn resume(&self, token: &str, last_seq: u64) -> anyhow::Result<(Client, Value)> {
        let mut v = self.visitor().await?;
        v.send(json!({"type":"resume","protocol":1,"token":token,"last_seq":last_seq}))
            .await?;
        let resumed = v.expect("resumed").await?;
        Ok((v, resumed))
    }

    /// A staff client signed in again with a session token, after its `login_ok`.
    pub async fn staff_session(&self, token: &str) -> anyhow::Result<Client> {
        let mut c = Client::connect(&self.url("/ws/staff"), self.client_tls()?).await?;
        c.send(json!({"type":"session","protocol":1,"token":token}))
            .await?;
        c.expect("login_ok").await?;
        Ok(c)
    }

    /// A staff client signed in as `user`, after its `login_ok`.
    pub async fn staff(&self, user: &str) -> anyhow::Result<Client> {
        let mut c = Client::connect(&self.url("/ws/staff"), self.client_tls()?).await?;
        c.send(json!({"type":"login","protocol":1,"user":user,"password":PASSWORD}))
            .await?;
        c.expect("login_ok").await?;
        Ok(c)
    }

    /// `GET path` over real TLS with `curl`-free plain HTTP/1.1 through rustls; returns
    /// status, headers (lower-case names) and body.
    pub async fn get(&self, path: &str) -> anyhow::Result<HttpResponse> {
        http_get(self.addr, path, &[], self.client_tls()?).await
    }

    /// `GET path` with extra request headers.
    pub async fn get_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> anyhow::Result<HttpResponse> {
        http_get(self.addr, path, headers, self.client_tls()?).await
    }

    /// Follows `/api/status/events` (Server-Sent Events).
    pub async fn status_events(&self) -> anyhow::Result<StatusEvents> {
        use tokio::io::AsyncWriteExt;
        let mut stream = tls_connect(self.addr, self.client_tls()?).await?;
        let request = "GET /api/status/events HTTP/1.1\r\nHost: localhost\r\n\r\n";
        stream.write_all(request.as_bytes()).await?;
        Ok(StatusEvents {
            stream,
            buffer: String::new(),
        })
    }
}

/// A Server-Sent Events stream of status JSON.
pub struct StatusEvents {
    stream: tokio_rustls::client::TlsStream<TcpStream>,
    buffer: String,
}

impl StatusEvents {
    /// The next `data:` payload, parsed. (The body is chunked; each event arrives as one
    /// chunk, so chunk-size lines never sit inside a `data:` line.)
    pub async fn next(&mut self) -> anyhow::Result<Value> {
        use tokio::io::AsyncReadExt;
        loop {
            if let Some(start) = self.buffer.find("data: ")
                && let Some(len) = self.buffer[start..].find('\n')
            {
                let line = self.buffer[start + 6..start + len].to_owned();
                self.buffer.drain(..start + len);
                return Ok(serde_json::from_str(line.trim())?);
            }
            let mut chunk = [0u8; 4096];
            let n = tokio::time::timeout(PATIENCE, self.stream.read(&mut chunk))
                .await
                .map_err(|_| anyhow!("no status event within {PATIENCE:?}"))??;
            if n == 0 {
                bail!("status stream ended");
            }
            self.buffer.push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    }

    /// Skips events until one satisfies `pred`.
    pub async fn until(&mut self, pred: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        loop {
            let event = self.next().await?;
            if pred(&event) {
                return Ok(event);
            }
        }
    }
}

/// One WebSocket client over TLS.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Connects like the relay's own page would: with `Origin: https://HOST`, which the
    /// visitor endpoint requires.
    pub async fn connect(url: &str, tls: Arc<rustls::ClientConfig>) -> anyhow::Result<Self> {
        let host = url
            .strip_prefix("wss://")
            .and_then(|rest| rest.split('/').next())
            .with_context(|| format!("not a wss:// URL: {url}"))?;
        Self::connect_with_origin(url, Some(&format!("https://{host}")), tls).await
    }

    /// Connects with the given `Origin` header, or none.
    pub async fn connect_with_origin(
        url: &str,
        origin: Option<&str>,
        tls: Arc<rustls::ClientConfig>,
    ) -> anyhow::Result<Self> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request()?;
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", origin.parse()?);
        }
        let (ws, _) = tokio_tungstenite::connect_async_tls_with_config(
            request,
            None,
            true,
            Some(Connector::Rustls(tls)),
        )
        .await
        .with_context(|| format!("connecting to {url}"))?;
        Ok(Self { ws })
    }

    /// A client on a socket the test opened itself (e.g. from a chosen source address).
    pub fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self { ws }
    }

    pub async fn send(&mut self, frame: Value) -> anyhow::Result<()> {
        self.send_raw(Message::Text(frame.to_string().into())).await
    }

    pub async fn send_raw(&mut self, message: Message) -> anyhow::Result<()> {
        self.ws.send(message).await?;
        Ok(())
    }

    /// The next JSON frame, whatever its type.
    pub async fn next(&mut self) -> anyhow::Result<Value> {
        // One deadline for the whole wait: the relay's pings must not keep extending it.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .map_err(|_| anyhow!("no frame within {PATIENCE:?}"))?
                .ok_or_else(|| anyhow!("socket closed"))??;
            match msg {
                Message::Text(t) => return Ok(serde_json::from_str(t.as_str())?),
                Message::Close(frame) => bail!("socket closed: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// Skips frames until one of type `kind` arrives, and returns it. Error frames that
    /// arrive meanwhile fail the test, unless `kind` is "error".
    pub async fn expect(&mut self, kind: &str) -> anyhow::Result<Value> {
        loop {
            let frame = self.next().await?;
            if frame["type"] == kind {
                return Ok(frame);
            }
            if frame["type"] == "error" {
                bail!("expected {kind}, got error {frame}");
            }
        }
    }

    /// Every frame sent to this client so far, up to the reply to a barrier request (a
    /// frame type no endpoint knows, refused the same way for every role): proves they
    /// have all arrived without waiting for silence.
    pub async fn drain(&mut self) -> anyhow::Result<Vec<Value>> {
        self.send(json!({"type":"barrier"})).await?;
        let mut seen = Vec::new();
        loop {
            let frame = self.next().await?;
            if frame["type"] == "error" && frame["code"] == "unknown_type" {
                return Ok(seen);
            }
            seen.push(frame);
        }
    }

    /// Waits for a `queue` snapshot that satisfies `pred`.
    pub async fn expect_queue(&mut self, pred: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        loop {
            let frame = self.expect("queue").await?;
            if pred(&frame) {
                return Ok(frame);
            }
        }
    }

    /// Waits for the server's close frame and returns it.
    pub async fn expect_close(&mut self) -> anyhow::Result<Option<CloseFrame>> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .map_err(|_| anyhow!("no close within {PATIENCE:?}"))?;
            match msg {
                Some(Ok(Message::Close(frame))) => return Ok(frame),
                Some(Ok(_)) => continue,
                Some(Err(e)) => bail!("socket error before close: {e}"),
                None => bail!("socket ended without a close frame"),
            }
        }
    }
}

/// A plain HTTP response.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn tls_connect(
    addr: std::net::SocketAddr,
    tls: Arc<rustls::ClientConfig>,
) -> anyhow::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let connector = tokio_rustls::TlsConnector::from(tls);
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    Ok(connector.connect(name, tcp).await?)
}

/// `GET /metrics` over plain HTTP from a metrics listener at `addr`, as Prometheus
/// does; the whole response, status line and headers included. Fails unless it is 200.
pub async fn metrics_get(addr: std::net::SocketAddr) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(addr).await?;
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n")
        .await?;
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    anyhow::ensure!(text.starts_with("HTTP/1.1 200"), "{text}");
    Ok(text)
}

/// `GET path` from `addr` over TLS (`Connection: close`).
pub async fn http_get(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    tls: Arc<rustls::ClientConfig>,
) -> anyhow::Result<HttpResponse> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tls_connect(addr, tls).await?;
    let extra: String = headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n{extra}\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut raw)).await??;
    let text = String::from_utf8(raw)?;
    let (head, body) = text.split_once("\r\n\r\n").context("no end of headers")?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .context("no status line")?
        .parse()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(HttpResponse {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// Every log line of this test process, captured from the first call on: the chathulp
/// crates at trace level, other crates at info, filtered as the relay binary logs
/// ([`chathulp_relay::logging::confidential`]). One buffer per test process (a test
/// binary), shared by its tests: the confidentiality tests search it for addresses, the
/// XSS test for the relay's access log.
pub fn captured_logs() -> Arc<std::sync::Mutex<Vec<u8>>> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    static LOGS: std::sync::OnceLock<Arc<std::sync::Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = Arc::clone(&buf);
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
            .with_ansi(false)
            .with_writer(move || LogSink(Arc::clone(&sink)))
            .finish()
            .with(chathulp_relay::logging::confidential())
            .try_init();
        buf
    })
    .clone()
}

struct LogSink(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
