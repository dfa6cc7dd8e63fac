//! Certificate trust over a real TLS handshake: a WebSocket server on 127.0.0.1:0 with
//! a fresh self-signed certificate, reached through `net::connect_and_login` exactly as
//! the app does.

use std::net::SocketAddr;
use std::sync::Arc;

use chathulp::net::{self, Endpoint};
use chathulp::tls::{self, Trust};
use futures_util::{SinkExt as _, StreamExt as _};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// A stand-in for the relay's sign-in: answers any first frame with `login_ok`.
async fn self_signed_server() -> (SocketAddr, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("certificate");
    let cert = certified.cert.der().clone();
    let fingerprint = tls::fingerprint(cert.as_ref());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut ws) = tokio_tungstenite::accept_async(tls).await else {
                    return;
                };
                if let Some(Ok(Message::Text(_))) = ws.next().await {
                    let ok = r#"{"type":"login_ok","protocol":1,"user":"an","role":"counselor","token":"t","capacity":3}"#;
                    let _ = ws.send(Message::text(ok)).await;
                    while let Some(Ok(_)) = ws.next().await {}
                }
            });
        }
    });
    (addr, fingerprint)
}

async fn connect(addr: SocketAddr, trust: &Trust) -> (tls::TlsSetup, Result<(), net::NetError>) {
    let setup = tls::client_config(trust).expect("client config");
    let (url, relay) = net::staff_url(&format!("wss://{addr}")).expect("url");
    let endpoint = Endpoint {
        url,
        relay,
        tls: setup.config.clone(),
    };
    let result = net::connect_and_login(&endpoint, &net::login_request("an", "pw"))
        .await
        .map(|_| ());
    (setup, result)
}

#[tokio::test]
async fn pinned_fingerprint_connects() {
    let (addr, fingerprint) = self_signed_server().await;
    let (_, result) = connect(addr, &Trust::Pinned(fingerprint)).await;
    result.expect("pinned connection");
}

#[tokio::test]
async fn other_fingerprint_is_refused_and_reported() {
    let (addr, fingerprint) = self_signed_server().await;
    let wrong = "ab".repeat(32);
    let (setup, result) = connect(addr, &Trust::Pinned(wrong.clone())).await;
    assert!(result.is_err());
    let verifier = setup.verifier.expect("fingerprint verifier");
    assert_eq!(verifier.mismatch(), Some((wrong, fingerprint)));
}

#[tokio::test]
async fn first_use_accepts_and_then_pins() {
    let (addr, fingerprint) = self_signed_server().await;
    let (setup, result) = connect(addr, &Trust::FirstUse).await;
    result.expect("first use");
    let verifier = setup.verifier.expect("fingerprint verifier");
    assert_eq!(verifier.seen(), Some(fingerprint.clone()));
    verifier.pin_seen();
    assert_eq!(verifier.expected(), Some(fingerprint));

    // Another relay on the same config (a reconnect that reaches an impostor) fails.
    let (other, _) = self_signed_server().await;
    let (url, relay) = net::staff_url(&format!("wss://{other}")).expect("url");
    let endpoint = Endpoint {
        url,
        relay,
        tls: setup.config.clone(),
    };
    assert!(net::connect(&endpoint).await.is_err());
    assert!(verifier.mismatch().is_some());
}

#[tokio::test]
async fn web_roots_refuse_a_self_signed_relay() {
    let (addr, _) = self_signed_server().await;
    let (_, result) = connect(addr, &Trust::WebRoots).await;
    let error = result.expect_err("self-signed must not pass the web roots");
    assert!(error.is_unknown_issuer(), "{error}");
}
