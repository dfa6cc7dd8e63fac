//! Staff accounts: argon2id password hashes and random session tokens.
//!
//! The account administration below ([`create`], [`reset`], [`set_disabled`], [`list`])
//! is shared by the command line (`chathulp-relay user ...`) and the administrators'
//! requests over the staff WebSocket, so both follow the same rules. These functions
//! block (argon2 and SQLite): the relay calls them on the blocking pool.
//!
//! argon2's defaults (m = 19 MiB, t = 2, p = 1) are OWASP's recommended floor for
//! argon2id; we set them explicitly so a crate upgrade can't silently weaken them.

use argon2::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use chathulp_shared::Role;
use chathulp_shared::staff::AccountInfo;
use sha2::{Digest, Sha256};

use crate::limits::PeerKey;
use crate::login_guard::LoginGuard;
use crate::store::{Account, Store, StoreError};

/// Shortest password `user add` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("account name must be 1 to 64 letters, digits, '.', '-' or '_'")]
    BadName,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("no account named {0:?}")]
    NoSuchAccount(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Bytes of randomness in a password the relay makes: 128 bits, 32 hex characters.
const GENERATED_PASSWORD_BYTES: usize = 16;

/// Adds an account with `password`, or with a strong random one when `None`. Returns
/// the password the relay made, to be shown once; it is never logged or stored in clear.
pub fn create(
    store: &Store,
    name: &str,
    role: Role,
    password: Option<String>,
    now_ms: i64,
) -> Result<Option<String>, AccountError> {
    check_name(name)?;
    let generated = password
        .is_none()
        .then(|| random_hex(GENERATED_PASSWORD_BYTES));
    let password = password.or_else(|| generated.clone()).unwrap_or_default();
    let password_hash = hash_password(&password)?;
    store.add_account_blocking(
        &Account {
            name: name.to_owned(),
            role,
            password_hash,
        },
        now_ms,
    )?;
    Ok(generated)
}

/// Gives `name` a new strong random password and ends all its sessions. Returns the
/// password, to be shown once.
pub fn reset(store: &Store, name: &str) -> Result<String, AccountError> {
    let password = random_hex(GENERATED_PASSWORD_BYTES);
    if store.set_password_blocking(name, &hash_password(&password)?)? {
        Ok(password)
    } else {
        Err(AccountError::NoSuchAccount(name.to_owned()))
    }
}

/// Disables `name` (ending all its sessions; it can't sign in) or enables it again.
pub fn set_disabled(store: &Store, name: &str, disabled: bool) -> Result<(), AccountError> {
    if store.set_disabled_blocking(name, disabled)? {
        Ok(())
    } else {
        Err(AccountError::NoSuchAccount(name.to_owned()))
    }
}

/// Every account, by name. Never holds a hash.
pub fn list(store: &Store) -> Result<Vec<AccountInfo>, AccountError> {
    Ok(store.list_accounts_blocking()?)
}

/// How a staff client proves who it is, in the first frame of its socket.
#[derive(Debug)]
pub enum Credentials {
    Password {
        user: String,
        password: String,
    },
    /// A token of an earlier sign-in (the app reconnecting).
    Session {
        token: String,
    },
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("too many failed sign-ins; try again in {wait_secs} s")]
    Throttled { wait_secs: i64 },
    #[error("wrong user name or password")]
    WrongPassword,
    #[error("session expired")]
    SessionExpired,
    #[error("the account is disabled")]
    Disabled,
    #[error("the session could not be stored")]
    NoSession,
}

/// A hash to verify against when the account does not exist, so a wrong name takes as
/// long as a wrong password and names can't be probed by timing.
pub(crate) static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&random_hex(16)).unwrap_or_default());

/// Signs a staff member in with a password or an earlier session token, and starts a
/// new session: returns the account and the new session's token (stored only as its
/// digest). A password sign-in goes through `guard` (refused while the name or network
/// is locked after failures; hashed only in one of the limited hashing turns). A
/// disabled account is refused after the password check, so only someone who knows the
/// password learns that it is disabled. `now_ms` is asked again after the slow hash.
pub async fn sign_in(
    store: &Store,
    guard: &LoginGuard,
    network: &PeerKey,
    credentials: Credentials,
    session_hours: u32,
    now_ms: impl Fn() -> i64,
) -> Result<(Account, String), SignInError> {
    let account = match credentials {
        Credentials::Password { user, password } => {
            check_password(store, guard, network, user, password, &now_ms).await?
        }
        Credentials::Session { token } => store
            .session_account(token_digest(&token), now_ms())
            .await
            .ok()
            .flatten()
            .ok_or(SignInError::SessionExpired)?,
    };
    if store
        .is_disabled(account.name.clone())
        .await
        .unwrap_or(true)
    {
        return Err(SignInError::Disabled);
    }
    let token = random_hex(32);
    let expires = now_ms() + i64::from(session_hours) * 3_600_000;
    store
        .add_session(token_digest(&token), account.name.clone(), expires)
        .await
        .map_err(|_| SignInError::NoSession)?;
    Ok((account, token))
}

async fn check_password(
    store: &Store,
    guard: &LoginGuard,
    network: &PeerKey,
    user: String,
    password: String,
    now_ms: &impl Fn() -> i64,
) -> Result<Account, SignInError> {
    let wait_secs = guard.wait_secs(&user, network, now_ms());
    if wait_secs > 0 {
        crate::metrics::get().login_throttled();
        return Err(SignInError::Throttled { wait_secs });
    }
    let account = store
        .account(user.clone())
        .await
        .map_err(|_| SignInError::WrongPassword)?;
    let hash = account
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |a| a.password_hash.clone());
    let ok = {
        let _turn = guard.hash_permit().await;
        tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .unwrap_or(false)
    };
    match account.filter(|_| ok) {
        Some(account) => {
            guard.succeeded(&user);
            Ok(account)
        }
        None => {
            guard.failed(&user, network, now_ms());
            crate::metrics::get().login_failed();
            Err(SignInError::WrongPassword)
        }
    }
}

fn argon2() -> Argon2<'static> {
    // OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn check_name(name: &str) -> Result<(), AccountError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadName)
    }
}

/// Hashes a new password (argon2id, random salt). Slow on purpose: call it off the async
/// runtime.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::PasswordTooShort);
    }
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Checks a password against a stored PHC hash. Slow on purpose, like [`hash_password`].
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|hash| argon2().verify_password(password.as_bytes(), &hash).is_ok())
        .unwrap_or(false)
}

/// 32 random bytes, hex: a session token, a demo password or an id.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS RNG failing means the machine is unusable for anything secret.
    getrandom::fill(&mut buf).unwrap_or_else(|e| panic!("the OS random generator failed: {e}"));
    hex::encode(buf)
}

/// What the store keeps of a session token: its SHA-256, so a stolen database holds no
/// usable tokens.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_argon2id_at_owasp_parameters_and_verifies() {
        let phc = hash_password("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("wrong horse battery", &phc));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn short_passwords_and_odd_names_are_refused() {
        assert!(matches!(
            hash_password("short"),
            Err(AccountError::PasswordTooShort)
        ));
        assert!(check_name("an.peeters").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name("a\u{1b}").is_err());
    }

    #[test]
    fn created_reset_and_disabled_accounts_follow_the_rules() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let made = create(&store, "an", Role::Counselor, None, 5)
            .unwrap()
            .unwrap();
        assert_eq!(made.len(), 32);
        assert!(
            create(&store, "bo", Role::Admin, Some("long enough pw".into()), 5)
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            create(&store, "an", Role::Counselor, None, 5),
            Err(AccountError::Store(StoreError::AccountExists(_)))
        ));
        let fresh = reset(&store, "an").unwrap();
        assert_ne!(fresh, made);
        assert!(matches!(
            reset(&store, "nobody"),
            Err(AccountError::NoSuchAccount(_))
        ));
        set_disabled(&store, "an", true).unwrap();
        let accounts = list(&store).unwrap();
        let names: Vec<(&str, bool)> = accounts
            .iter()
            .map(|a| (a.user.as_str(), a.disabled))
            .collect();
        assert_eq!(names, [("an", true), ("bo", false)]);
        assert_eq!(accounts[0].created_at_ms, 5);
    }

    #[test]
    fn tokens_are_256_bit_and_differ() {
        let a = random_hex(32);
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_hex(32));
        assert_ne!(token_digest(&a), a);
    }
}
