//! A headless browser, driven over WebDriver by `fantoccini`, against a [`TestRelay`]:
//! Debian's Chromium (the default) or Firefox ESR, chosen by the environment variable
//! `CHATHULP_BROWSER` (`chromium` or `firefox`). `scripts/test` runs the browser tests
//! once with each, so both browsers run the same tests.
//!
//! [`Browser::start`] starts the browser's driver (`chromedriver`, or `geckodriver`,
//! which `cargo install geckodriver` puts in `~/.cargo/bin`) on a free loopback port,
//! waits until it accepts connections, and opens one session with a fresh profile that
//! trusts exactly the relay's self-signed certificate: Chromium by the SHA-256 of its
//! public key (`--ignore-certificate-errors-spki-list`), Firefox by a certificate override
//! for the relay's address with the SHA-256 of the certificate (`cert_override.txt` in
//! the profile, what "Accept the risk" would store). Nothing else is trusted beyond the
//! normal web roots: no blanket `--ignore-certificate-errors`, no `acceptInsecureCerts`.
//!
//! Each test starts its own browser: the trust above is fixed when the browser starts,
//! and every [`TestRelay`] has its own key, so one browser cannot serve two relays.
//!
//! The driver process and every browser process it started are killed when the
//! [`Browser`] is dropped, also when a test fails halfway.
//!
//! [`Line`] is a plain TCP forwarder the browser can reach the relay through, to drop
//! the visitor's connection for real (both ends see the TCP connection close) and to
//! hold back what the relay sends, as a bad mobile connection would.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use rcgen::PublicKeyData;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{PATIENCE, TestRelay};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const FIREFOX: &str = "/usr/bin/firefox-esr";

/// How often a [`Browser::wait_for`] condition is re-evaluated.
const POLL: Duration = Duration::from_millis(50);

/// Which browser the tests drive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Chromium,
    Firefox,
}

impl Engine {
    /// `CHATHULP_BROWSER`: `chromium` (also when unset) or `firefox`.
    pub fn from_env() -> anyhow::Result<Self> {
        match std::env::var("CHATHULP_BROWSER").as_deref() {
            Err(_) | Ok("") | Ok("chromium") | Ok("chrome") => Ok(Self::Chromium),
            Ok("firefox") | Ok("firefox-esr") => Ok(Self::Firefox),
            Ok(other) => bail!("CHATHULP_BROWSER={other}: use `chromium` or `firefox`"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Chromium => "chromium",
            Self::Firefox => "firefox",
        }
    }
}

/// A running WebDriver server, killed with its whole process group on drop.
struct Driver {
    child: Child,
    log: PathBuf,
    // Dropped after `drop` below has killed the browser that writes into it.
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The driver was started as the leader of its own process group, and the browser
        // and its helpers inherit that group: kill exactly that group, by its id.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One headless browser window looking at a relay.
pub struct Browser {
    pub client: Client,
    /// `https://127.0.0.1:PORT`, without a trailing slash.
    pub origin: String,
    pub engine: Engine,
    driver: Driver,
}

/// Where `geckodriver` is: on the `PATH`, or where `cargo install` puts it.
fn geckodriver() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(cargo_home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(cargo_home).join("bin"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join("geckodriver"))
        .find(|p| p.is_file())
}

impl Browser {
    /// Starts the driver and a browser session for `relay`, in the browser that
    /// `CHATHULP_BROWSER` names. Fails with a hint to run `scripts/test` when the browser
    /// or its driver is not installed.
    pub async fn start(relay: &TestRelay) -> anyhow::Result<Self> {
        Self::start_via(relay, relay.addr).await
    }

    /// Like [`Browser::start`], but the browser reaches the relay at `addr`, e.g. a
    /// [`Line`] in front of it. Pages are opened from there, so the page's WebSocket goes
    /// through it too.
    pub async fn start_via(relay: &TestRelay, addr: SocketAddr) -> anyhow::Result<Self> {
        Self::start_with(relay, addr, false).await
    }

    /// Like [`Browser::start`], for a visitor whose system asks for reduced motion
    /// (`prefers-reduced-motion: reduce`).
    pub async fn start_reduced_motion(relay: &TestRelay) -> anyhow::Result<Self> {
        Self::start_with(relay, relay.addr, true).await
    }

    async fn start_with(
        relay: &TestRelay,
        addr: SocketAddr,
        reduced_motion: bool,
    ) -> anyhow::Result<Self> {
        match Engine::from_env()? {
            Engine::Chromium => Self::start_chromium(relay, addr, reduced_motion).await,
            Engine::Firefox => Self::start_firefox(relay, addr, reduced_motion).await,
        }
    }

    async fn start_chromium(
        relay: &TestRelay,
        addr: SocketAddr,
        reduced_motion: bool,
    ) -> anyhow::Result<Self> {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            if !Path::new(path).exists() {
                bail!(
                    "{path} is missing: the browser tests need Debian's `{package}` package. \
                     Run `scripts/test`, which installs chromium and chromium-driver, \
                     and try again."
                );
            }
        }
        let spki = spki_sha256_base64(&relay.data_dir, &relay.cert_der)?;
        let profile = tempfile::tempdir()?;
        let port = free_port()?;
        let log = profile.path().join("chromedriver.log");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {CHROMEDRIVER}"))?;
        let user_data_dir = profile.path().join("chromium-profile");
        let mut driver = Driver {
            child,
            log,
            _profile: profile,
        };
        let driver_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        wait_for_listener(driver_addr, &mut driver).await?;

        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-quic".to_owned(),
            format!("--user-data-dir={}", user_data_dir.display()),
            "--window-size=1000,1000".to_owned(),
            // Trust exactly the relay's key. Chromium honours this flag only together
            // with --user-data-dir.
            format!("--ignore-certificate-errors-spki-list={spki}"),
            // Keep the browser off the network: every host name except the relay's
            // address fails to resolve at once, so "Snel weg" to www.google.be ends on
            // a quick error page instead of waiting on whatever this network does.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".to_owned(),
        ];
        if reduced_motion {
            args.push("--force-prefers-reduced-motion".to_owned());
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        // Keep the console, for `console_errors`.
        caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        Self::session(caps, driver, driver_addr, addr, Engine::Chromium).await
    }

    async fn start_firefox(
        relay: &TestRelay,
        addr: SocketAddr,
        reduced_motion: bool,
    ) -> anyhow::Result<Self> {
        if !Path::new(FIREFOX).exists() {
            bail!(
                "{FIREFOX} is missing: the browser tests in Firefox need Debian's \
                 `firefox-esr` package. Run `scripts/test`, which installs it, and try again."
            );
        }
        let Some(geckodriver) = geckodriver() else {
            bail!(
                "geckodriver is missing: run `cargo install geckodriver --locked` \
                 (scripts/test does) and try again."
            );
        };
        let profile = tempfile::tempdir()?;
        let profile_dir = profile.path().join("firefox-profile");
        std::fs::create_dir(&profile_dir)?;
        // Trust exactly this certificate at exactly this address.
        let fingerprint: Vec<String> = Sha256::digest(&relay.cert_der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        std::fs::write(
            profile_dir.join("cert_override.txt"),
            format!(
                "# PSM Certificate Override Settings file\n\
                 # This is a generated file!  Do not edit.\n\
                 {addr}:\tOID.2.16.840.1.101.3.4.2.1\t{}\t\n",
                fingerprint.join(":")
            ),
        )?;
        let port = free_port()?;
        let log = profile.path().join("geckodriver.log");
        let log_file = std::fs::File::create(&log)?;
        let child = Command::new(&geckodriver)
            .arg(format!("--port={port}"))
            .arg("--host=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .env("MOZ_HEADLESS", "1")
            // The headless screen is 1366x768 unless told otherwise, and a window can't
            // be taller than its screen: room for the 390x844 phone.
            .env("MOZ_HEADLESS_WIDTH", "1920")
            .env("MOZ_HEADLESS_HEIGHT", "1200")
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", geckodriver.display()))?;
        let mut driver = Driver {
            child,
            log,
            _profile: profile,
        };
        let driver_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        wait_for_listener(driver_addr, &mut driver).await?;

        let mut prefs = json!({
            // Keep the browser off the network: everything but loopback goes to a proxy
            // that refuses at once, so "Snel weg" to www.google.be ends on a quick error
            // page, and no background service reaches out.
            "network.proxy.type": 1,
            "network.proxy.http": "127.0.0.1",
            "network.proxy.http_port": 9,
            "network.proxy.ssl": "127.0.0.1",
            "network.proxy.ssl_port": 9,
            "network.proxy.no_proxies_on": "127.0.0.1",
            "network.proxy.allow_hijacking_localhost": false,
            "network.captive-portal-service.enabled": false,
            "network.connectivity-service.enabled": false,
            "app.update.disabledForTesting": true,
            "browser.safebrowsing.malware.enabled": false,
            "browser.safebrowsing.phishing.enabled": false,
            "datareporting.policy.dataSubmissionEnabled": false,
            "toolkit.telemetry.enabled": false,
            // No HTTPS-only upgrades or DNS over HTTPS on the way to loopback.
            "network.trr.mode": 5,
        });
        if reduced_motion {
            prefs["ui.prefersReducedMotion"] = json!(1);
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("firefox"));
        caps.insert(
            "moz:firefoxOptions".into(),
            json!({
                "binary": FIREFOX,
                "args": ["-headless", "-profile", profile_dir, "-width", "1000", "-height", "1000"],
                "prefs": prefs,
            }),
        );
        Self::session(caps, driver, driver_addr, addr, Engine::Firefox).await
    }

    async fn session(
        caps: serde_json::Map<String, Value>,
        driver: Driver,
        driver_addr: SocketAddr,
        addr: SocketAddr,
        engine: Engine,
    ) -> anyhow::Result<Self> {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://{driver_addr}"))
            .await
            .with_context(|| {
                format!(
                    "opening a {} session through its driver; its log:\n{}",
                    engine.name(),
                    log_tail(&driver.log)
                )
            })?;
        if engine == Engine::Firefox {
            // -width/-height size the first window only roughly in headless mode.
            client.set_window_size(1000, 1000).await?;
        }
        Ok(Self {
            client,
            origin: format!("https://{addr}"),
            engine,
            driver,
        })
    }

    /// Ends the WebDriver session (the driver closes the browser), then stops the driver.
    /// In Chromium it fails if the page logged an error that the test did not read
    /// with [`Browser::console_errors`]: every page test also shows a clean console.
    pub async fn close(self) -> anyhow::Result<()> {
        let errors = match self.engine {
            Engine::Chromium => self.console_errors().await?,
            Engine::Firefox => Vec::new(),
        };
        let Self { client, driver, .. } = self;
        client.close().await?;
        drop(driver);
        anyhow::ensure!(errors.is_empty(), "the page logged errors: {errors:?}");
        Ok(())
    }

    /// Navigates to `path` on the relay, e.g. `/`.
    pub async fn open(&self, path: &str) -> anyhow::Result<()> {
        let url = format!("{}{path}", self.origin);
        let mut attempts = 0;
        loop {
            match self.client.goto(&url).await {
                // Firefox's driver reports a navigation that an earlier one (still
                // settling, as after "Snel weg" with the network shut off) turned into
                // an error page for *another* site as this navigation's failure. Ours
                // did not happen yet: go again, a bounded number of times.
                Err(e)
                    if self.engine == Engine::Firefox
                        && attempts < 3
                        && e.to_string().contains("Reached error page")
                        && !e.to_string().contains("127.0.0.1") =>
                {
                    attempts += 1;
                }
                other => {
                    other.with_context(|| format!("opening {url}"))?;
                    break;
                }
            }
        }
        // The certificate interstitial: the pinned key did not match. (Firefox's
        // driver refuses the navigation itself, with "insecure certificate".)
        if self.client.title().await? == "Privacy error" {
            bail!(
                "{} refused the relay's certificate at {url}",
                self.engine.name()
            );
        }
        Ok(())
    }

    pub async fn find(&self, css: &str) -> anyhow::Result<Element> {
        self.client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("finding {css}"))
    }

    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        match self.find(css).await?.click().await {
            // Firefox's driver reports a click that navigates to an error page (as
            // "Snel weg" does here, with the network shut off) as an error; the click
            // itself happened.
            Err(e)
                if self.engine == Engine::Firefox
                    && e.to_string().contains("Reached error page") =>
            {
                Ok(())
            }
            other => other.with_context(|| format!("clicking {css}")),
        }
    }

    /// Clicks into `css` and types `text` with real key events.
    pub async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let field = self.find(css).await?;
        field.click().await?;
        field
            .send_keys(text)
            .await
            .with_context(|| format!("typing into {css}"))
    }

    /// The rendered text of the first element matching `css`.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Runs `script` (a function body; use `return`) in the page and returns its value.
    /// The console's errors (level `SEVERE`: `console.error`, uncaught exceptions, CSP
    /// violations, failed loads) since the last call, in Chromium (chromedriver's log
    /// endpoint). Firefox's driver has none: there this fails.
    pub async fn console_errors(&self) -> anyhow::Result<Vec<String>> {
        if self.engine != Engine::Chromium {
            bail!("{} has no console log over WebDriver", self.engine.name());
        }
        let entries = self.client.issue_cmd(BrowserLog).await?;
        let entries = entries.as_array().cloned().unwrap_or_default();
        Ok(entries
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
            .collect())
    }

    pub async fn eval(&self, script: &str) -> anyhow::Result<Value> {
        self.client
            .execute(script, Vec::new())
            .await
            .with_context(|| format!("running {script}"))
    }

    /// Re-evaluates the JavaScript expression `condition` until it is truthy, for at
    /// most [`PATIENCE`]. A script error (say, during a navigation) counts as "not yet".
    pub async fn wait_for(&self, condition: &str) -> anyhow::Result<()> {
        let script = format!("return Boolean({condition});");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let last_error = match self.client.execute(&script, Vec::new()).await {
                Ok(Value::Bool(true)) => return Ok(()),
                Ok(_) => None,
                Err(e) => Some(e.to_string()),
            };
            if Instant::now() >= deadline {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                let error = self
                    .eval("const e = document.getElementById('error'); return e ? e.textContent : '';")
                    .await
                    .unwrap_or_default();
                bail!(
                    "page condition `{condition}` not met within {PATIENCE:?} \
                     (url {url}, #error {error}, last script error {last_error:?})"
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Reloads the page, as the visitor's F5 would.
    pub async fn reload(&self) -> anyhow::Result<()> {
        self.client.refresh().await.context("reloading the page")
    }

    /// Waits until the element `css` exists and is shown.
    pub async fn wait_displayed(&self, css: &str) -> anyhow::Result<()> {
        let selector = serde_json::to_string(css)?;
        self.wait_for(&format!(
            "(function () {{ const e = document.querySelector({selector}); \
             return !!e && e.getClientRects().length > 0; }})()"
        ))
        .await
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> anyhow::Result<Vec<u8>> {
        Ok(self.client.screenshot().await?)
    }

    /// Runs axe-core (pinned in `tests/browser-tools`, injected over WebDriver, so the
    /// page's own CSP does not apply to it) on the whole document, at WCAG 2.0 and 2.1,
    /// levels A and AA. Returns one line per violation: rule id, impact, help and the
    /// first nodes' selectors, so a failure says what to fix.
    pub async fn axe(&self) -> anyhow::Result<Vec<String>> {
        let source = axe_source()?;
        self.client
            .execute(&format!("{source}\n;return typeof axe;"), Vec::new())
            .await
            .context("injecting axe-core")?;
        let script = r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, {
              runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
              resultTypes: ['violations'],
            }).then(function (r) {
              done(r.violations.map(function (v) {
                return v.id + ' (' + v.impact + '): ' + v.help + ' at ' +
                  v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(', ');
              }));
            }, function (e) { done(['axe failed: ' + e]); });
        "#;
        let found = self
            .client
            .execute_async(script, Vec::new())
            .await
            .context("running axe-core")?;
        Ok(serde_json::from_value(found)?)
    }

    /// Sets the window's outer size; `inner` then reports the viewport in CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.client.set_window_size(width, height).await?;
        Ok(())
    }

    /// The driver's log so far, for failure messages.
    pub fn driver_log(&self) -> String {
        log_tail(&self.driver.log)
    }
}

/// axe-core's source, from `tests/browser-tools/node_modules` (`npm ci` there).
fn axe_source() -> anyhow::Result<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("browser-tools/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {}: run `npm ci` in tests/browser-tools (scripts/test does)",
            path.display()
        )
    })
}

/// base64(SHA-256(SubjectPublicKeyInfo DER)) of the relay's dev key: the form
/// `--ignore-certificate-errors-spki-list` takes.
pub fn spki_sha256_base64(data_dir: &Path, cert_der: &[u8]) -> anyhow::Result<String> {
    let key_path = data_dir.join("dev-key.pem");
    let pem = std::fs::read_to_string(&key_path)
        .with_context(|| format!("reading {}", key_path.display()))?;
    let key = rcgen::KeyPair::from_pem(&pem)?;
    let spki = key.subject_public_key_info();
    // The key file must belong to the certificate the relay serves: its SPKI is a
    // verbatim part of the certificate's DER.
    if !cert_der.windows(spki.len()).any(|w| w == spki.as_slice()) {
        bail!(
            "{} does not hold the key of the relay's certificate",
            key_path.display()
        );
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&spki)))
}

/// A loopback port nobody listens on right now.
fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Polls until `addr` accepts a TCP connection, for at most [`PATIENCE`].
async fn wait_for_listener(addr: SocketAddr, driver: &mut Driver) -> anyhow::Result<()> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if TcpStream::connect_timeout(&addr, POLL).is_ok() {
            return Ok(());
        }
        if let Some(status) = driver.child.try_wait()? {
            bail!(
                "the WebDriver server exited with {status} before listening on {addr}; its log:\n{}",
                log_tail(&driver.log)
            );
        }
        if Instant::now() >= deadline {
            bail!(
                "the WebDriver server did not listen on {addr} within {PATIENCE:?}; its log:\n{}",
                log_tail(&driver.log)
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

/// A TCP forwarder from a loopback port to the relay, for dropping connections for real.
///
/// - [`Line::down`] closes every connection through it at once (the browser and the relay
///   both see their TCP connection end) and turns new ones away, until [`Line::up`].
/// - [`Line::hold_replies`] stops passing on what the relay sends (it waits in the line)
///   while what the browser sends still arrives: a message gets stored, its ack does not
///   reach the page.
///
/// TLS goes through untouched: the browser still talks to the relay's own certificate.
pub struct Line {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    /// Bumped to cut every open connection.
    cut: watch::Sender<u64>,
    /// `true` while the relay's bytes are held back.
    hold: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Line {
    pub async fn start(target: SocketAddr) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let (hold, _) = watch::channel(false);
        let task = tokio::spawn({
            let up = up.clone();
            let cut = cut.clone();
            let hold = hold.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        drop(client); // the line is down: the connection ends at once
                        continue;
                    }
                    let (cut_rx, hold_rx) = (cut.subscribe(), hold.subscribe());
                    tokio::spawn(async move {
                        if let Ok(server) = tokio::net::TcpStream::connect(target).await {
                            forward(client, server, cut_rx, hold_rx).await;
                        }
                    });
                }
            }
        });
        Ok(Self {
            addr,
            up,
            cut,
            hold,
            task,
        })
    }

    /// Cuts every connection and turns new ones away. Whatever was held back is lost.
    pub fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|generation| *generation += 1);
    }

    /// New connections get through again, and nothing is held back any more.
    pub fn up(&self) {
        self.hold.send_replace(false);
        self.up.store(true, Ordering::SeqCst);
    }

    /// From now on, what the relay sends waits in the line (until [`Line::up`]).
    pub fn hold_replies(&self) {
        self.hold.send_replace(true);
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        self.task.abort();
        self.cut.send_modify(|generation| *generation += 1);
    }
}

/// Copies bytes both ways until either side closes or the line is cut.
async fn forward(
    client: tokio::net::TcpStream,
    server: tokio::net::TcpStream,
    mut cut: watch::Receiver<u64>,
    mut hold: watch::Receiver<bool>,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if server_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
    };
    let downstream = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            // Held: keep the bytes until the hold is lifted (or the line is cut).
            if hold.wait_for(|held| !held).await.is_err() {
                break;
            }
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    };
    // Either direction ending, or a cut, drops all four halves: both TCP connections close.
    // The cut comes first, so held bytes are never let through once the line is cut.
    tokio::select! {
        biased;
        _ = cut.changed() => {}
        () = upstream => {}
        () = downstream => {}
    }
}

/// chromedriver's `POST /session/{id}/se/log` with `{"type": "browser"}`: the console
/// entries since the last read.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}
