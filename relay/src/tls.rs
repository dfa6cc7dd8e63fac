//! TLS: loading certificates, generating the dev certificate, building the rustls config.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
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

    /// The relay's rustls config. Resumption is stateless: session tickets sealed with a
    /// key that rotates every few hours (rustls's `Ticketer`), so any number of returning
    /// browsers skip the certificate signature, where the default in-memory cache holds
    /// only 256 sessions. One ticket per handshake is enough for a page that opens one
    /// socket at a time.
    /// TLS 1.3 and TLS 1.2 only, and in 1.2 only ECDHE key exchange with AEAD ciphers
    /// (AES-GCM, ChaCha20-Poly1305): no CBC, no RSA key exchange, no SSL or TLS 1.0/1.1.
    /// rustls supports nothing weaker anyway; the list is explicit so that a crate
    /// upgrade that adds suites doesn't silently widen it. Checked with `openssl s_client`
    /// in `tests/tests/tls.rs`.
    pub fn server_config(self) -> Result<Arc<ServerConfig>, TlsError> {
        use rustls::crypto::ring::cipher_suite as cs;
        let provider = Arc::new(rustls::crypto::CryptoProvider {
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
        });
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .with_no_client_auth()
            .with_single_cert(self.certs, self.key)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        config.ticketer = rustls::crypto::ring::Ticketer::new()?;
        config.send_tls13_tickets = 1;
        Ok(Arc::new(config))
    }
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
}
