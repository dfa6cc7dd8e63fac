//! SIGHUP reloads the relay's certificate without dropping anyone: the real
//! `chathulp-relay` binary starts with certificate A, a staff client signs in, the files
//! are overwritten with certificate B and the relay gets SIGHUP. New handshakes then
//! present B, while the connection made under A keeps working. A broken certificate and a
//! key that does not match are refused on the next SIGHUP, and the relay goes on serving B.
//! In `--dev` mode, SIGHUP re-reads the dev certificate files the same way.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chathulp_tests::{Client, PASSWORD, PATIENCE, install_crypto};
use rustls::pki_types::pem::PemObject;
use serde_json::json;
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_chathulp-relay");

/// How often the tests retry a handshake while waiting for the new certificate.
const RETRY: Duration = Duration::from_millis(50);

const CONFIG: &str = r#"
[tls]
cert = "CERT"
key = "KEY"

[[services]]
id = "caw"
name = "CAW online"
email = "info@caw.be"
hours_text = "altijd (test)"
hours = [{ days = "mon-sun", from = "00:00", to = "24:00" }]
"#;

/// A self-signed ECDSA P-256 certificate for `localhost` and `127.0.0.1`.
struct Cert {
    pem: String,
    key_pem: String,
    der: Vec<u8>,
}

impl Cert {
    fn generate() -> anyhow::Result<Self> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])?;
        let cert = params.self_signed(&key)?;
        Ok(Self {
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        })
    }

    fn fingerprint(&self) -> String {
        fingerprint(&self.der)
    }

    /// Writes the key, then the certificate, as a renewal's deploy hook would.
    fn install(&self, cert: &Path, key: &Path) -> anyhow::Result<()> {
        std::fs::write(key, &self.key_pem)?;
        std::fs::write(cert, &self.pem)?;
        Ok(())
    }
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The relay binary, killed on drop; its stderr lines arrive on `log`.
struct Relay {
    child: Child,
    addr: String,
    log: Receiver<String>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Relay {
    fn start(args: &[&str], data_dir: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new(BIN)
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting the relay")?;
        let stderr = child.stderr.take().context("stderr")?;
        let (tx, log) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut relay = Self {
            child,
            addr: String::new(),
            log,
        };
        let line = relay.wait_for_log("listening on https://")?;
        relay.addr = line
            .split("listening on https://")
            .nth(1)
            .context("listening line")?
            .trim()
            .to_owned();
        Ok(relay)
    }

    /// Waits for a log line containing `needle`, for at most [`PATIENCE`].
    fn wait_for_log(&self, needle: &str) -> anyhow::Result<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Ok(line),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => bail!("no log line with {needle:?}"),
                Err(RecvTimeoutError::Disconnected) => {
                    bail!("the relay exited before logging {needle:?}")
                }
            }
        }
    }

    fn hangup(&self) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "kill -HUP failed");
        Ok(())
    }

    fn still_running(&mut self) -> anyhow::Result<bool> {
        Ok(self.child.try_wait()?.is_none())
    }

    /// The fingerprint of the certificate a fresh TLS handshake gets.
    async fn served_fingerprint(&self, trusted: &[&Cert]) -> anyhow::Result<String> {
        let tcp = tokio::net::TcpStream::connect(&self.addr).await?;
        let connector = tokio_rustls::TlsConnector::from(client_tls(trusted)?);
        let name = rustls::pki_types::ServerName::try_from("localhost")?;
        let tls = connector.connect(name, tcp).await?;
        let (_, session) = tls.get_ref();
        let leaf = session
            .peer_certificates()
            .and_then(|c| c.first())
            .context("no certificate presented")?;
        Ok(fingerprint(leaf.as_ref()))
    }

    /// Retries handshakes until one presents `expected`, for at most [`PATIENCE`].
    async fn wait_until_serving(&self, expected: &Cert, trusted: &[&Cert]) -> anyhow::Result<()> {
        let want = expected.fingerprint();
        let deadline = Instant::now() + PATIENCE;
        loop {
            let seen = self.served_fingerprint(trusted).await;
            if seen.as_ref().is_ok_and(|fp| *fp == want) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("the relay still serves {seen:?}, not {want}");
            }
            tokio::time::sleep(RETRY).await;
        }
    }

    async fn staff(&self, trusted: &[&Cert], user: &str, password: &str) -> anyhow::Result<Client> {
        let url = format!("wss://{}/ws/staff", self.addr);
        let mut c = Client::connect(&url, client_tls(trusted)?).await?;
        c.send(json!({"type":"login","protocol":1,"user":user,"password":password}))
            .await?;
        c.expect("login_ok").await?;
        Ok(c)
    }
}

/// A TLS client that trusts exactly `trusted`.
fn client_tls(trusted: &[&Cert]) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    install_crypto();
    let mut roots = rustls::RootCertStore::empty();
    for cert in trusted {
        roots.add(cert.der.clone().into())?;
    }
    Ok(Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

fn add_counselor(data_dir: &Path, config: &Path) -> anyhow::Result<()> {
    let mut add = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(["user", "add", "an", "--role", "counselor", "--data-dir"])
        .arg(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    writeln!(add.stdin.take().context("stdin")?, "{PASSWORD}")?;
    anyhow::ensure!(add.wait()?.success(), "user add failed");
    Ok(())
}

/// An open staff socket still answers: a frame type nobody knows gets its typed error.
async fn still_answers(client: &mut Client) -> anyhow::Result<()> {
    client.drain().await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_without_dropping_connections_and_keeps_it_on_bad_files()
-> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (cert_path, key_path): (PathBuf, PathBuf) = (
        dir.path().join("fullchain.pem"),
        dir.path().join("privkey.pem"),
    );
    let config_path = dir.path().join("relay.toml");
    let config = CONFIG
        .replace("CERT", &cert_path.display().to_string())
        .replace("KEY", &key_path.display().to_string());
    std::fs::write(&config_path, config)?;
    let (a, b, c) = (Cert::generate()?, Cert::generate()?, Cert::generate()?);
    a.install(&cert_path, &key_path)?;
    add_counselor(dir.path(), &config_path)?;

    let config_arg = config_path.display().to_string();
    let mut relay = Relay::start(&["--config", &config_arg], dir.path())?;
    let all = [&a, &b, &c];
    assert_eq!(relay.served_fingerprint(&all).await?, a.fingerprint());
    let mut under_a = relay.staff(&[&a], "an", PASSWORD).await?;
    still_answers(&mut under_a).await?;

    // Renewal: B replaces A on disk, then SIGHUP.
    b.install(&cert_path, &key_path)?;
    relay.hangup()?;
    relay.wait_until_serving(&b, &all).await?;
    relay.wait_for_log("reloaded the TLS certificate")?;
    // The connection made under A was not dropped, and clients that know only B get in.
    still_answers(&mut under_a).await?;
    let mut under_b = relay.staff(&[&b], "an", PASSWORD).await?;
    still_answers(&mut under_b).await?;

    // A broken certificate file: refused, logged, B stays.
    std::fs::write(
        &cert_path,
        "-----BEGIN CERTIFICATE-----\nbm90IGVlbiBjZXJ0aWZpY2FhdA==\n-----END CERTIFICATE-----\n",
    )?;
    relay.hangup()?;
    relay.wait_for_log("cannot reload the TLS certificate")?;
    assert_eq!(relay.served_fingerprint(&all).await?, b.fingerprint());

    // Half a renewal: C's certificate with B's key still in place. Refused too.
    std::fs::write(&cert_path, &c.pem)?;
    relay.hangup()?;
    relay.wait_for_log("cannot reload the TLS certificate")?;
    assert_eq!(relay.served_fingerprint(&all).await?, b.fingerprint());

    assert!(relay.still_running()?, "the relay exited");
    still_answers(&mut under_a).await?;
    still_answers(&mut under_b).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_in_dev_mode_rereads_the_dev_certificate_files() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = Relay::start(&["--dev"], dir.path())?;
    let generated = std::fs::read(dir.path().join("dev-cert.pem"))?;
    let first = rustls::pki_types::CertificateDer::from_pem_slice(&generated)?;
    let dev = Cert {
        pem: String::new(),
        key_pem: String::new(),
        der: first.to_vec(),
    };
    let next = Cert::generate()?;
    let both = [&dev, &next];
    assert_eq!(relay.served_fingerprint(&both).await?, dev.fingerprint());

    next.install(
        &dir.path().join("dev-cert.pem"),
        &dir.path().join("dev-key.pem"),
    )?;
    relay.hangup()?;
    relay.wait_until_serving(&next, &both).await?;
    Ok(())
}
