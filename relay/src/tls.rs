//! TLS: loading certificates, generating the dev certificate, building the rustls config,
//! and replacing the certificate while the relay runs.
//!
//! The rustls config never holds the certificate itself: it asks a [`Certificates`]
//! resolver at every handshake. On SIGHUP the relay re-reads the files
//! ([`CertSource::load`]) and swaps the new certificate in with [`Certificates::replace`].
//! Handshakes from then on get the new one; connections already open keep theirs, so
//! nobody is disconnected. A file that does not load, or a key that does not belong to the
//! certificate, is refused and the old certificate stays.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Pem {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("{0} holds no certificate")]
    NoCertificate(PathBuf),
    #[error("TLS setup failed: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("cannot generate the dev certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A certificate chain and its key, ready for rustls.
#[derive(Debug)]
pub struct Identity {
    pub certs: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Identity {
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let certs = CertificateDer::pem_file_iter(cert)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|source| TlsError::Pem {
                path: cert.to_owned(),
                source,
            })?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate(cert.to_owned()));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Pem {
            path: key.to_owned(),
            source,
        })?;
        Ok(Self { certs, key })
    }

    /// Lowercase hex SHA-256 of the leaf certificate: what `chathulp --fingerprint` pins.
    pub fn fingerprint(&self) -> String {
        self.certs.first().map(fingerprint).unwrap_or_default()
    }

    /// The relay's rustls config, serving this certificate for good (the benchmark's
    /// `ceiling` uses it). The relay itself uses [`Identity::reloadable`].
    pub fn server_config(self) -> Result<Arc<ServerConfig>, TlsError> {
        Ok(self.reloadable()?.0)
    }

    /// The relay's rustls config, and the resolver whose certificate it serves, which
    /// [`Certificates::replace`] swaps for a new one.
    pub fn reloadable(self) -> Result<(Arc<ServerConfig>, Arc<Certificates>), TlsError> {
        let provider = Arc::new(provider());
        let certificates = Arc::new(Certificates::new(self, &provider)?);
        let config = server_config(provider, Arc::clone(&certificates) as _)?;
        Ok((config, certificates))
    }
}

/// The cipher suites the relay offers: TLS 1.3 and TLS 1.2 only, and in 1.2 only ECDHE
/// key exchange with AEAD ciphers (AES-GCM, ChaCha20-Poly1305): no CBC, no RSA key
/// exchange, no SSL or TLS 1.0/1.1. rustls supports nothing weaker anyway; the list is
/// explicit so that a crate upgrade that adds suites doesn't silently widen it. Checked
/// with `openssl s_client` in `tests/tests/tls.rs`.
fn provider() -> CryptoProvider {
    use rustls::crypto::ring::cipher_suite as cs;
    CryptoProvider {
        cipher_suites: vec![
            cs::TLS13_AES_256_GCM_SHA384,
            cs::TLS13_AES_128_GCM_SHA256,
            cs::TLS13_CHACHA20_POLY1305_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        ..rustls::crypto::ring::default_provider()
    }
}

/// Resumption is stateless: session tickets sealed with a key that rotates every few
/// hours (rustls's `Ticketer`), so any number of returning browsers skip the certificate
/// signature, where the default in-memory cache holds only 256 sessions. One ticket per
/// handshake is enough for a page that opens one socket at a time.
fn server_config(
    provider: Arc<CryptoProvider>,
    certificates: Arc<dyn ResolvesServerCert>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(certificates);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config.ticketer = rustls::crypto::ring::Ticketer::new()?;
    config.send_tls13_tickets = 1;
    Ok(Arc::new(config))
}

/// The certificate every new handshake gets; [`Certificates::replace`] swaps it.
#[derive(Debug)]
pub struct Certificates {
    current: RwLock<Arc<CertifiedKey>>,
    provider: Arc<CryptoProvider>,
}

impl Certificates {
    fn new(identity: Identity, provider: &Arc<CryptoProvider>) -> Result<Self, TlsError> {
        Ok(Self {
            current: RwLock::new(Arc::new(certified(identity, provider)?)),
            provider: Arc::clone(provider),
        })
    }

    /// Serves `identity` to every handshake from now on, and returns its fingerprint.
    /// A key that does not belong to the certificate is refused, and the current
    /// certificate stays.
    pub fn replace(&self, identity: Identity) -> Result<String, TlsError> {
        let key = certified(identity, &self.provider)?;
        let fingerprint = key.cert.first().map(fingerprint).unwrap_or_default();
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(key);
        Ok(fingerprint)
    }

    /// Fingerprint of the certificate served now.
    pub fn fingerprint(&self) -> String {
        self.now().cert.first().map(fingerprint).unwrap_or_default()
    }

    fn now(&self) -> Arc<CertifiedKey> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.now())
    }
}

/// The chain and its signing key, checked to belong together.
fn certified(identity: Identity, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    Ok(CertifiedKey::from_der(
        identity.certs,
        identity.key,
        provider,
    )?)
}

/// Where the relay's certificate comes from, so SIGHUP can read it again.
#[derive(Debug, Clone)]
pub enum CertSource {
    /// `tls.cert` and `tls.key` from the config.
    Files { cert: PathBuf, key: PathBuf },
    /// `--dev`: the self-signed certificate in the data folder.
    Dev(PathBuf),
}

impl CertSource {
    pub fn load(&self) -> Result<Identity, TlsError> {
        match self {
            CertSource::Files { cert, key } => Identity::load(cert, key),
            CertSource::Dev(dir) => dev_identity(dir),
        }
    }
}

/// Reads the certificate again from `source` and serves it from the next handshake on.
/// On any error the current certificate stays. Returns the new fingerprint.
pub fn reload(certificates: &Certificates, source: &CertSource) -> Result<String, TlsError> {
    certificates.replace(source.load()?)
}

pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    hex::encode(Sha256::digest(cert.as_ref()))
}

/// Loads the dev certificate from `dir`, generating a self-signed ECDSA P-256 one for
/// `localhost` and `127.0.0.1` on first start. The key file is written with mode 0600.
pub fn dev_identity(dir: &Path) -> Result<Identity, TlsError> {
    let cert_path = dir.join("dev-cert.pem");
    let key_path = dir.join("dev-key.pem");
    if !(cert_path.exists() && key_path.exists()) {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let generated = rcgen::generate_simple_self_signed(names)?;
        write_private(&key_path, generated.signing_key.serialize_pem().as_bytes())?;
        std::fs::write(&cert_path, generated.cert.pem()).map_err(|source| TlsError::Write {
            path: cert_path.clone(),
            source,
        })?;
        tracing::info!(path = %cert_path.display(), "generated a self-signed dev certificate");
    }
    Identity::load(&cert_path, &key_path)
}

/// Writes a secret file readable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|source| TlsError::Write {
            path: path.to_owned(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_certificate_is_generated_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = dev_identity(dir.path()).unwrap();
        let second = dev_identity(dir.path()).unwrap();
        assert_eq!(first.fingerprint(), second.fingerprint());
        assert_eq!(first.fingerprint().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("dev-key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        second.server_config().unwrap();
    }

    fn write_identity(dir: &Path, cert: &str, key: &str) -> CertSource {
        let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_path, cert).unwrap();
        std::fs::write(&key_path, key).unwrap();
        CertSource::Files {
            cert: cert_path,
            key: key_path,
        }
    }

    fn generated() -> (String, String, String) {
        let g = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let fp = fingerprint(g.cert.der());
        (g.cert.pem(), g.signing_key.serialize_pem(), fp)
    }

    #[test]
    fn reload_swaps_the_certificate_and_keeps_it_when_the_new_files_are_bad() {
        let dir = tempfile::tempdir().unwrap();
        let (cert_a, key_a, fp_a) = generated();
        let (cert_b, key_b, fp_b) = generated();
        let source = write_identity(dir.path(), &cert_a, &key_a);
        let (_config, certs) = source.load().unwrap().reloadable().unwrap();
        assert_eq!(certs.fingerprint(), fp_a);

        write_identity(dir.path(), &cert_b, &key_b);
        assert_eq!(reload(&certs, &source).unwrap(), fp_b);
        assert_eq!(certs.fingerprint(), fp_b);

        // Not PEM at all; a certificate with another certificate's key; no key file.
        let garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
        for (cert, key) in [
            ("kapot", key_b.as_str()),
            (garbage, key_b.as_str()),
            (cert_a.as_str(), key_b.as_str()),
            (cert_b.as_str(), ""),
        ] {
            write_identity(dir.path(), cert, key);
            assert!(reload(&certs, &source).is_err(), "{cert:.20} accepted");
            assert_eq!(certs.fingerprint(), fp_b);
        }
    }
}
