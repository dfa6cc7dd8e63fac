//! The IP vault: visitors' addresses are stored only sealed (ChaCha20-Poly1305 with a
//! random nonce), next to an HMAC-SHA256 keyed hash that blocks and repeat-contact counts
//! use without decrypting anything.
//!
//! Both keys live in `vault.key` in the data folder, made on first start with mode 0600.
//! The relay refuses to start if the file can be read by group or others, and holds a
//! shared lock on it while it runs. `rotation.rs` (`chathulp-relay vault rotate`) replaces
//! both keys, re-sealing every address; backing the file up and rotating it is described
//! in `docs/operations.md`.
//!
//! A plain address only exists as a [`ClientIp`], whose `Debug` and `Display` print a
//! placeholder, so it can't slip into a log line or a panic message by accident. The only
//! way to the address itself is [`ClientIp::disclose`], called for an approved reveal.

use std::fmt;
use std::fs::{File, TryLockError};
use std::io::{Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

/// The key file's name in the data folder.
pub const KEY_FILE: &str = "vault.key";
/// The new key while `chathulp-relay vault rotate` runs; left behind only if it was
/// interrupted, and then the relay refuses to start until `vault rotate` finishes it.
pub const NEW_KEY_FILE: &str = "vault.key.new";
/// The old key after a rotation: `vault.key.old-<unix seconds>`.
pub const OLD_KEY_PREFIX: &str = "vault.key.old-";
/// First line of the key file: the format, so a later format can be told apart.
const HEADER: &str = "chathulp-vault-1";
const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("cannot use the vault key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the vault key file {path} can be read by other users (mode {mode:o}); \
         run `chmod 600 {path}` and start again"
    )]
    Exposed { path: PathBuf, mode: u32 },
    #[error("the vault key file {0} is damaged or not a chathulp vault key")]
    BadKeyFile(PathBuf),
    #[error("a sealed address could not be opened (wrong key or damaged row)")]
    Unseal,
    #[error("the system random generator failed")]
    Random,
    #[error(
        "the vault key file {0} is in use: stop the relay first (a rotation only runs \
         while no relay uses the key)"
    )]
    InUse(PathBuf),
    #[error("a key rotation is running on {0}; start the relay once it has finished")]
    Rotating(PathBuf),
    #[error(
        "{0} is left from an interrupted key rotation: run `chathulp-relay vault rotate` \
         again to finish it, then start the relay"
    )]
    RotationUnfinished(PathBuf),
    #[error("there is no vault key file {0} yet: nothing to rotate")]
    NoKey(PathBuf),
}

/// A visitor's address. `Debug` and `Display` never show it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(IpAddr);

impl ClientIp {
    /// IPv4-mapped IPv6 addresses become plain IPv4, so one visitor has one hash.
    pub fn new(ip: IpAddr) -> Self {
        Self(ip.to_canonical())
    }

    /// The address itself. Only for an approved emergency reveal, to its counselor.
    pub fn disclose(&self) -> String {
        self.0.to_string()
    }

    fn octets(&self) -> Vec<u8> {
        match self.0 {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        }
    }
}

impl fmt::Debug for ClientIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientIp(<hidden>)")
    }
}

impl fmt::Display for ClientIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden address>")
    }
}

/// The keyed hash of a visitor's address (hex HMAC-SHA256). Equal addresses give equal
/// hashes under one key file; without the key it says nothing about the address. Use it
/// as the key for per-visitor limits and blocks. Not shown to staff.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpHash(String);

/// What per-visitor limits key on: the keyed address hash.
pub type ClientKey = IpHash;

impl IpHash {
    /// As stored in the database.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A hash read back from the database.
    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }
}

impl fmt::Debug for IpHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IpHash(<hidden>)")
    }
}

/// The two keys. Cheap to share behind an `Arc`.
pub struct Vault {
    seal: LessSafeKey,
    mac: hmac::Key,
    rng: SystemRandom,
    /// The key file, open with a shared lock for as long as the relay uses the key, so
    /// `vault rotate` (which needs it exclusively) refuses to run under a live relay.
    _lock: Option<File>,
}

impl Vault {
    /// Opens `dir/vault.key`, creating it (mode 0600) if it does not exist yet, and
    /// holds a shared lock on it while this `Vault` lives. Refused while a rotation runs
    /// or after one was interrupted.
    pub fn open(dir: &Path) -> Result<Self, VaultError> {
        let path = dir.join(KEY_FILE);
        let pending = dir.join(NEW_KEY_FILE);
        if pending.exists() {
            return Err(VaultError::RotationUnfinished(pending));
        }
        let io = |source| VaultError::Io {
            path: path.clone(),
            source,
        };
        let rng = SystemRandom::new();
        if !path.exists() {
            match write_private(&path, &new_key_file(&rng)?) {
                // Another process made it at the same moment: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                other => other.map_err(io)?,
            }
        }
        let mut file = File::open(&path).map_err(io)?;
        check_private(&path)?;
        match file.try_lock_shared() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(VaultError::Rotating(path)),
            // A file system without locks: the key is still usable, only the guard
            // against a rotation under a running relay is gone.
            Err(TryLockError::Error(e)) => {
                tracing::warn!(error = %e, "cannot lock the vault key file");
            }
        }
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(io)?;
        let mut vault = Self::from_text(&text).ok_or(VaultError::BadKeyFile(path))?;
        vault._lock = Some(file);
        Ok(vault)
    }

    /// The keys of a key file's text, without a lock.
    pub(crate) fn from_text(text: &str) -> Option<Self> {
        let (seal, mac) = parse_key_file(text)?;
        let seal = UnboundKey::new(&CHACHA20_POLY1305, &seal).ok()?;
        Some(Self {
            seal: LessSafeKey::new(seal),
            mac: hmac::Key::new(hmac::HMAC_SHA256, &mac),
            rng: SystemRandom::new(),
            _lock: None,
        })
    }

    /// Names this key without saying anything about it (an HMAC of a fixed text): tells
    /// which key the database was last rotated to.
    pub fn key_id(&self) -> String {
        let tag = hmac::sign(&self.mac, b"chathulp vault key id");
        hex::encode(&tag.as_ref()[..16])
    }

    /// The keyed hash of `ip`.
    pub fn hash(&self, ip: &ClientIp) -> IpHash {
        IpHash(hex::encode(hmac::sign(&self.mac, &ip.octets())))
    }

    /// `ip` sealed: a random nonce followed by the ciphertext and its tag.
    pub fn seal(&self, ip: &ClientIp) -> Result<Vec<u8>, VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| VaultError::Random)?;
        let mut data = ip.octets();
        self.seal
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| VaultError::Unseal)?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&data);
        Ok(sealed)
    }

    /// Opens what [`Vault::seal`] made.
    pub fn unseal(&self, sealed: &[u8]) -> Result<ClientIp, VaultError> {
        let (nonce, data) = sealed
            .split_at_checked(NONCE_LEN)
            .ok_or(VaultError::Unseal)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| VaultError::Unseal)?;
        let mut data = data.to_vec();
        let plain = self
            .seal
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| VaultError::Unseal)?;
        let ip = match plain.len() {
            4 => IpAddr::from(<[u8; 4]>::try_from(&plain[..]).map_err(|_| VaultError::Unseal)?),
            16 => IpAddr::from(<[u8; 16]>::try_from(&plain[..]).map_err(|_| VaultError::Unseal)?),
            _ => return Err(VaultError::Unseal),
        };
        Ok(ClientIp(ip))
    }
}

pub(crate) fn keep_old_key(dir: &Path, text: &str, now_ms: i64) -> std::io::Result<PathBuf> {
    let secs = now_ms.div_euclid(1000);
    for n in 0.. {
        let name = if n == 0 {
            format!("{OLD_KEY_PREFIX}{secs}")
        } else {
            format!("{OLD_KEY_PREFIX}{secs}-{n}")
        };
        let path = dir.join(name);
        match write_private(&path, text) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!("some suffix is free")
}

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

pub(crate) fn new_key_file(rng: &SystemRandom) -> Result<String, VaultError> {
    let mut keys = [0u8; 2 * KEY_LEN];
    rng.fill(&mut keys).map_err(|_| VaultError::Random)?;
    let (seal, mac) = keys.split_at(KEY_LEN);
    Ok(format!(
        "{HEADER}\nseal {}\nhmac {}\n",
        hex::encode(seal),
        hex::encode(mac)
    ))
}

fn parse_key_file(text: &str) -> Option<([u8; KEY_LEN], [u8; KEY_LEN])> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut key = |label: &str| -> Option<[u8; KEY_LEN]> {
        let hex_key = lines.next()?.strip_prefix(label)?.strip_prefix(' ')?;
        hex::decode(hex_key.trim()).ok()?.try_into().ok()
    };
    Some((key("seal")?, key("hmac")?))
}

/// Creates `path` with mode 0600 (never overwriting), writes `text` and syncs it.
pub(crate) fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Refuses a key file that group or others can read or write.
pub(crate) fn check_private(path: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|source| VaultError::Io {
                path: path.to_owned(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(VaultError::Exposed {
                path: path.to_owned(),
                mode: mode & 0o777,
            });
        }
    }
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> ClientIp {
        ClientIp::new(s.parse().unwrap())
    }

    #[test]
    fn seal_round_trips_with_a_fresh_nonce_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::open(dir.path()).unwrap();
        for addr in ["203.0.113.77", "2001:db8::7"] {
            let a = vault.seal(&ip(addr)).unwrap();
            let b = vault.seal(&ip(addr)).unwrap();
            assert_ne!(a, b, "the nonce must differ");
            assert_eq!(vault.unseal(&a).unwrap().disclose(), addr);
        }
        let mut damaged = vault.seal(&ip("203.0.113.77")).unwrap();
        damaged[NONCE_LEN] ^= 1;
        assert!(matches!(vault.unseal(&damaged), Err(VaultError::Unseal)));
    }

    #[test]
    fn the_key_file_is_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = Vault::open(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Vault::open(dir.path()).unwrap();
        let sealed = first.seal(&ip("198.51.100.1")).unwrap();
        assert_eq!(again.unseal(&sealed).unwrap().disclose(), "198.51.100.1");
        assert!(first.hash(&ip("198.51.100.1")) == again.hash(&ip("198.51.100.1")));
        assert!(first.hash(&ip("198.51.100.1")) != first.hash(&ip("198.51.100.2")));
        assert!(first.hash(&ip("::ffff:198.51.100.1")) == first.hash(&ip("198.51.100.1")));

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = Vault::open(dir.path()).err().unwrap().to_string();
        assert!(refused.contains("chmod 600"), "{refused}");
    }

    #[test]
    fn debug_and_display_hide_the_address() {
        let secret = ip("203.0.113.77");
        let dir = tempfile::tempdir().unwrap();
        let hash = Vault::open(dir.path()).unwrap().hash(&secret);
        let printed = format!("{secret} {secret:?} {hash:?} {:?}", Some(secret));
        assert!(!printed.contains("203"), "{printed}");
        assert!(!printed.contains("113"), "{printed}");
    }
}
