//! The relay's TLS as a real, independent client sees it: `openssl s_client` against a
//! running relay. Only TLS 1.3 and TLS 1.2 with ECDHE and an AEAD cipher get through;
//! and every HTTPS response carries HSTS.

use chathulp_tests::TestRelay;

/// Runs `openssl s_client` with `args` against the relay and returns the negotiated
/// "protocol / cipher" if the handshake succeeded. `@SECLEVEL=0` makes OpenSSL itself
/// willing to offer old versions and CBC suites, so a refusal comes from the relay.
async fn handshake(relay: &TestRelay, args: &[&str]) -> anyhow::Result<Option<String>> {
    let out = tokio::process::Command::new("openssl")
        .args(["s_client", "-brief", "-connect", &relay.addr.to_string()])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| anyhow::anyhow!("openssl is required (scripts/test installs it): {e}"))?;
    let log =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        log.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
    };
    Ok(
        match (
            out.status.success(),
            field("Protocol version:"),
            field("Ciphersuite:"),
        ) {
            (true, Some(version), Some(cipher)) => Some(format!("{version} / {cipher}")),
            _ => None,
        },
    )
}

#[tokio::test]
async fn only_tls13_and_tls12_ecdhe_aead_suites_complete_a_handshake() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let old = "DEFAULT:@SECLEVEL=0";
    for refused in [
        vec!["-tls1", "-cipher", old],
        vec!["-tls1_1", "-cipher", old],
        vec!["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"],
        vec![
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-AES256-SHA384:@SECLEVEL=0",
        ],
        vec!["-tls1_2", "-cipher", "AES128-GCM-SHA256:@SECLEVEL=0"],
    ] {
        assert_eq!(handshake(&relay, &refused).await?, None, "{refused:?}");
    }
    for (accepted, expect) in [
        (vec!["-tls1_3"], "TLSv1.3 / TLS_"),
        (
            vec!["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
            "TLSv1.2 / ECDHE-ECDSA-AES128-GCM-SHA256",
        ),
        (
            vec!["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"],
            "TLSv1.2 / ECDHE-ECDSA-CHACHA20-POLY1305",
        ),
    ] {
        let got = handshake(&relay, &accepted).await?;
        assert!(
            got.as_deref().is_some_and(|g| g.starts_with(expect)),
            "{accepted:?}: {got:?}"
        );
    }
    relay.stop().await
}

#[tokio::test]
async fn every_https_response_carries_hsts() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    for path in [
        "/",
        "/privacy",
        "/app.js",
        "/style.css",
        "/api/status",
        "/nope",
        "/ws/visitor",
        "/ws/staff",
    ] {
        let r = relay.get(path).await?;
        assert_eq!(
            r.header("strict-transport-security"),
            Some("max-age=31536000; includeSubDomains"),
            "{path} ({})",
            r.status
        );
    }
    relay.stop().await
}
