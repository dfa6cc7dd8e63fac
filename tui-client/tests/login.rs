//! Signing in against a real relay (in this process, real TLS and SQLite) when it
//! throttles a login flood: the app's sign-in and the real `chathulp` binary both say so
//! plainly, in Dutch, instead of a generic connection error.

use anyhow::ensure;
use chathulp::net::{self, Endpoint, NetError};
use chathulp::strings;
use chathulp_relay::Config;
use chathulp_tests::TestRelay;
use sha2::{Digest as _, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_chathulp");

/// One failed login is free, the second locks the account name for a second; the relay's
/// clock is a manual one that stands still, so the lock holds for the whole test.
fn strict() -> Config {
    let mut config = Config::default();
    config.limits.login_failures_per_account = 1;
    config
}

fn endpoint(relay: &TestRelay) -> anyhow::Result<Endpoint> {
    Ok(Endpoint {
        url: relay.url(net::STAFF_PATH),
        relay: relay.addr.to_string(),
        tls: relay.client_tls()?,
    })
}

/// Fails logins as `user` until the relay throttles them; returns how many failed first.
async fn flood(relay: &TestRelay, user: &str) -> anyhow::Result<usize> {
    let endpoint = endpoint(relay)?;
    for failed in 0..10 {
        match net::connect_and_login(&endpoint, &net::login_request(user, "fout")).await {
            Err(NetError::LoginFailed(_)) => continue,
            Err(NetError::RateLimited) => return Ok(failed),
            Err(other) => anyhow::bail!("unexpected error: {other}"),
            Ok(_) => anyhow::bail!("a wrong password was accepted"),
        }
    }
    anyhow::bail!("ten failed logins and still not throttled")
}

#[tokio::test]
async fn a_throttled_sign_in_is_named_in_dutch() -> anyhow::Result<()> {
    let relay = TestRelay::start_with(strict()).await?;
    let failed = flood(&relay, "an").await?;
    ensure!(failed == 2, "throttled after {failed} failures");
    // The right password does not help while the lock holds: it is not even checked.
    let right = net::login_request("an", chathulp_tests::PASSWORD);
    let err = match net::connect_and_login(&endpoint(&relay)?, &right).await {
        Err(err) => err,
        Ok(_) => anyhow::bail!("signed in while throttled"),
    };
    ensure!(matches!(err, NetError::RateLimited), "{err:?}");
    ensure!(err.to_string() == strings::LOGIN_THROTTLED);
    relay.stop().await
}

#[tokio::test]
async fn the_app_prints_the_throttle_message_and_stops() -> anyhow::Result<()> {
    let relay = TestRelay::start_with(strict()).await?;
    flood(&relay, "an").await?;
    let data_dir = tempfile::tempdir()?;
    let output = tokio::process::Command::new(BIN)
        .arg("--server")
        .arg(format!("wss://127.0.0.1:{}", relay.addr.port()))
        .arg("--user")
        .arg("an")
        .arg("--fingerprint")
        .arg(hex::encode(Sha256::digest(&relay.cert_der)))
        .arg("--data-dir")
        .arg(data_dir.path())
        .env("CHATHULP_PASSWORD", chathulp_tests::PASSWORD)
        .env_remove("CHATHULP_APP_DIR")
        .stdin(std::process::Stdio::null())
        .output()
        .await?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(!output.status.success(), "the app went on: {stderr}");
    ensure!(stderr.contains(strings::LOGIN_THROTTLED), "{stderr}");
    ensure!(!stderr.contains("Kon niet verbinden"), "{stderr}");
    relay.stop().await
}
