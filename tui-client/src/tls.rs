//! Which relay certificates the app trusts.
//!
//! - Normally: the public web roots ([`webpki_roots`]), like a browser.
//! - `--fingerprint HEX`: exactly the certificate with that SHA-256 fingerprint.
//! - `--dev` without `--fingerprint`: trust on first use, as ssh's `known_hosts` does. The
//!   first fingerprint seen for a `HOST:PORT` is recorded in `known_relays`; a different
//!   one later is refused.
//!
//! A pinned certificate is compared by fingerprint only (a dev relay's certificate is
//! self-signed), but the handshake signatures are still verified with the certificate's
//! key, so only the holder of that key can pass. There is deliberately no way to accept
//! any certificate.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{}", crate::strings::bad_fingerprint(.0))]
    BadFingerprint(String),
    #[error("{}", crate::strings::tls_setup_failed(&.0.to_string()))]
    Rustls(#[from] rustls::Error),
    #[error("{path}: {source}")]
    KnownRelays {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The lowercase hex SHA-256 of a certificate's DER bytes, without colons. The relay
/// prints its certificate's fingerprint in the same form.
pub fn fingerprint(der: &[u8]) -> String {
    hex::encode(Sha256::digest(der))
}

/// Accepts a fingerprint as typed by a person: upper or lower case, with or without
/// colons or spaces. Returns the canonical form.
pub fn parse_fingerprint(input: &str) -> Result<String, TlsError> {
    let hex: String = input
        .chars()
        .filter(|c| !matches!(c, ':' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(TlsError::BadFingerprint(input.to_owned()))
    }
}

/// Verifies the relay's certificate by its fingerprint.
#[derive(Debug)]
pub struct FingerprintVerifier {
    /// The fingerprint we insist on; `None` while trusting on first use, until
    /// [`Self::pin_seen`] pins what the first successful connection presented.
    pinned: Mutex<Option<String>>,
    /// The fingerprint the relay presented last, so a refusal can say what it saw.
    seen: Mutex<Option<String>>,
    /// The ring provider's signature algorithms, for the handshake signatures.
    algorithms: WebPkiSupportedAlgorithms,
}

impl FingerprintVerifier {
    /// Accepts only the certificate with this (canonical) fingerprint.
    pub fn pinned(fingerprint: String) -> Self {
        Self::new(Some(fingerprint))
    }

    /// Accepts any certificate until [`Self::pin_seen`] is called.
    pub fn trust_on_first_use() -> Self {
        Self::new(None)
    }

    fn new(pinned: Option<String>) -> Self {
        Self {
            pinned: Mutex::new(pinned),
            seen: Mutex::new(None),
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        }
    }

    /// The fingerprint this verifier insists on, if any.
    pub fn expected(&self) -> Option<String> {
        self.pinned.lock().ok().and_then(|p| p.clone())
    }

    /// The fingerprint of the certificate the relay presented last.
    pub fn seen(&self) -> Option<String> {
        self.seen.lock().ok().and_then(|s| s.clone())
    }

    /// Pins the fingerprint seen last, so that reconnects accept only that certificate.
    /// Call it once a connection has fully succeeded.
    pub fn pin_seen(&self) {
        if let Some(seen) = self.seen()
            && let Ok(mut pinned) = self.pinned.lock()
        {
            *pinned = Some(seen);
        }
    }

    /// True if the relay presented a certificate other than the pinned one.
    pub fn mismatch(&self) -> Option<(String, String)> {
        match (self.expected(), self.seen()) {
            (Some(expected), Some(seen)) if expected != seen => Some((expected, seen)),
            _ => None,
        }
    }
}

impl ServerCertVerifier for FingerprintVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let presented = fingerprint(end_entity.as_ref());
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(presented.clone());
        }
        let pinned = self
            .pinned
            .lock()
            .map_err(|_| rustls::Error::General("fingerprint lock poisoned".into()))?;
        match pinned.as_deref() {
            None => Ok(ServerCertVerified::assertion()),
            Some(expected) if expected == presented => Ok(ServerCertVerified::assertion()),
            Some(_) => Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// How to trust the relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The public web roots.
    WebRoots,
    /// Exactly this certificate fingerprint.
    Pinned(String),
    /// Whatever the first connection presents (then pinned).
    FirstUse,
}

/// A client config plus, for pinned trust, the verifier to ask what it saw.
#[derive(Debug, Clone)]
pub struct TlsSetup {
    pub config: Arc<ClientConfig>,
    pub verifier: Option<Arc<FingerprintVerifier>>,
}

/// Builds the rustls client config for `trust`, always with the ring provider.
pub fn client_config(trust: &Trust) -> Result<TlsSetup, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder =
        ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions()?;
    let (config, verifier) = match trust {
        Trust::WebRoots => {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            (
                builder.with_root_certificates(roots).with_no_client_auth(),
                None,
            )
        }
        Trust::Pinned(_) | Trust::FirstUse => {
            let verifier = Arc::new(match trust {
                Trust::Pinned(fp) => FingerprintVerifier::pinned(fp.clone()),
                _ => FingerprintVerifier::trust_on_first_use(),
            });
            let config = builder
                .dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_no_client_auth();
            (config, Some(verifier))
        }
    };
    Ok(TlsSetup {
        config: Arc::new(config),
        verifier,
    })
}

/// The `known_relays` file: one `HOST:PORT FINGERPRINT` line per relay, like ssh's
/// `known_hosts`.
#[derive(Clone, Debug)]
pub struct KnownRelays {
    path: PathBuf,
}

/// What the known_relays file says about a presented fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KnownRelay {
    /// The recorded fingerprint matches.
    Trusted,
    /// Nothing was recorded for this relay.
    Unknown,
    /// A different fingerprint was recorded: refuse.
    Changed { recorded: String },
}

impl KnownRelays {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded fingerprint of `relay` (`HOST:PORT`), if any.
    pub fn lookup(&self, relay: &str) -> Result<Option<String>, TlsError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(self.error(source)),
        };
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once(char::is_whitespace))
            .find(|(host, _)| *host == relay)
            .map(|(_, fp)| fp.trim().to_owned()))
    }

    /// Compares a presented fingerprint with the record.
    pub fn check(&self, relay: &str, presented: &str) -> Result<KnownRelay, TlsError> {
        Ok(match self.lookup(relay)? {
            None => KnownRelay::Unknown,
            Some(recorded) if recorded == presented => KnownRelay::Trusted,
            Some(recorded) => KnownRelay::Changed { recorded },
        })
    }

    /// Records the fingerprint of a relay seen for the first time. The folder is made
    /// private to the user, since the file says which relays they use.
    pub fn record(&self, relay: &str, fingerprint: &str) -> Result<(), TlsError> {
        if let Some(dir) = self.path.parent() {
            crate::paths::create_private_dir(dir).map_err(|e| self.error(e))?;
        }
        let is_new = !self.path.exists();
        let mut file = crate::paths::open_private_append(&self.path).map_err(|e| self.error(e))?;
        if is_new {
            writeln!(file, "{}", crate::strings::KNOWN_RELAYS_HEADER).map_err(|e| self.error(e))?;
        }
        writeln!(file, "{relay} {fingerprint}").map_err(|e| self.error(e))
    }

    fn error(&self, source: io::Error) -> TlsError {
        TlsError::KnownRelays {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify(v: &FingerprintVerifier, der: &[u8]) -> Result<ServerCertVerified, rustls::Error> {
        let cert = CertificateDer::from(der.to_vec());
        let name = ServerName::try_from("127.0.0.1").unwrap();
        v.verify_server_cert(&cert, &[], &name, &[], UnixTime::now())
    }

    #[test]
    fn fingerprint_is_lowercase_hex_sha256_without_colons() {
        assert_eq!(
            fingerprint(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let typed = "BA:78:16:BF:8F:01:CF:EA:41:41:40:DE:5D:AE:22:23:B0:03:61:A3:96:17:7A:9C:B4:10:FF:61:F2:00:15:AD";
        assert_eq!(parse_fingerprint(typed).unwrap(), fingerprint(b"abc"));
        assert!(parse_fingerprint("abc").is_err());
        assert!(parse_fingerprint(&"g".repeat(64)).is_err());
    }

    #[test]
    fn pinned_verifier_accepts_the_same_fingerprint_and_refuses_another() {
        let v = FingerprintVerifier::pinned(fingerprint(b"relay cert"));
        assert!(verify(&v, b"relay cert").is_ok());
        assert_eq!(v.mismatch(), None);

        let err = verify(&v, b"another cert").unwrap_err();
        assert_eq!(
            err,
            rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
        );
        assert_eq!(
            v.mismatch(),
            Some((fingerprint(b"relay cert"), fingerprint(b"another cert")))
        );
    }

    #[test]
    fn first_use_verifier_pins_what_it_saw_after_success() {
        let v = FingerprintVerifier::trust_on_first_use();
        assert!(verify(&v, b"first").is_ok());
        assert_eq!(v.seen(), Some(fingerprint(b"first")));
        v.pin_seen();
        assert!(verify(&v, b"first").is_ok());
        assert!(verify(&v, b"second").is_err());
    }

    #[test]
    fn known_relays_records_first_use_accepts_same_and_refuses_changed() {
        let dir = tempfile::tempdir().unwrap();
        let store = KnownRelays::new(dir.path().join("data").join("known_relays"));
        let fp = fingerprint(b"one");
        assert_eq!(
            store.check("127.0.0.1:8443", &fp).unwrap(),
            KnownRelay::Unknown
        );

        store.record("127.0.0.1:8443", &fp).unwrap();
        store
            .record("relay.example:443", &fingerprint(b"other"))
            .unwrap();
        assert_eq!(store.lookup("127.0.0.1:8443").unwrap(), Some(fp.clone()));
        assert_eq!(
            store.check("127.0.0.1:8443", &fp).unwrap(),
            KnownRelay::Trusted
        );
        assert_eq!(
            store.check("127.0.0.1:8443", &fingerprint(b"two")).unwrap(),
            KnownRelay::Changed { recorded: fp }
        );
        assert_eq!(
            store.check("127.0.0.1:9999", &fingerprint(b"two")).unwrap(),
            KnownRelay::Unknown
        );

        let text = fs::read_to_string(store.path()).unwrap();
        assert!(text.starts_with('#'), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(store.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "known_relays must be private: {mode:o}");
        }
    }
}
