//! `chathulp-relay vault rotate`: a new vault key, and every stored address re-sealed
//! under it. It sits above both the vault (the key files and the cipher) and the store
//! (the one transaction that rewrites the rows): the vault knows no SQL, and the store
//! gets a [`Reseal`] function of plain bytes, never a key.

use std::fs::{File, TryLockError};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ring::rand::SystemRandom;

use crate::store::{Reseal, Rotated, Store, StoreError};
use crate::vault::{
    KEY_FILE, NEW_KEY_FILE, Vault, VaultError, check_private, keep_old_key, new_key_file, sync_dir,
    write_private,
};

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The re-sealing of one address, from the old key to the new one, as the store wants it.
fn reseal(old: Vault, new: Vault) -> Reseal {
    Arc::new(move |sealed: &[u8]| {
        let Ok(ip) = old.unseal(sealed) else {
            return Ok(None);
        };
        let resealed = new
            .seal(&ip)
            .map_err(|e| StoreError::NotStored(format!("cannot seal with the new key: {e}")))?;
        Ok(Some((resealed, new.hash(&ip).as_str().to_owned())))
    })
}

/// What `chathulp-relay vault rotate` did.
#[derive(Debug)]
pub struct Rotation {
    /// What changed in the database (zero when an interrupted rotation was finished:
    /// the database had been changed by that run already).
    pub rows: Rotated,
    /// Where the old key is kept now (mode 0600): to be moved offline.
    pub old_key: PathBuf,
    /// An interrupted rotation was finished instead of a new one made.
    pub finished_interrupted: bool,
}

/// Replaces the vault key of the store's data folder by a new one (both keys), re-sealing
/// every stored address and recomputing every keyed hash that can be recomputed in one
/// transaction, then swapping the key files: the new key is written to `vault.key.new`
/// (0600, synced) before the database changes, the old one is kept as
/// `vault.key.old-<unix seconds>` (0600), and `vault.key.new` is renamed over
/// `vault.key`. Refused while a relay holds the key ([`VaultError::InUse`]).
///
/// If a run is interrupted after the database changed but before the rename, the next
/// run sees `vault.key.new` named in the database (`vault_meta.key_id`) and only
/// finishes the swap; if it was interrupted before, the next run starts over.
pub async fn rotate(store: &Store, actor: String, now_ms: i64) -> Result<Rotation, RotationError> {
    let dir = store.directory()?;
    let path = dir.join(KEY_FILE);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| VaultError::Io { path, source }
    };
    let mut file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(VaultError::NoKey(path).into());
        }
        Err(e) => return Err(io(&path)(e).into()),
    };
    check_private(&path)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => return Err(VaultError::InUse(path).into()),
        Err(TryLockError::Error(e)) => return Err(io(&path)(e).into()),
    }
    let mut old_text = String::new();
    file.read_to_string(&mut old_text).map_err(io(&path))?;
    let old = Vault::from_text(&old_text).ok_or_else(|| VaultError::BadKeyFile(path.clone()))?;

    let pending = dir.join(NEW_KEY_FILE);
    let mut rows = Rotated::default();
    let mut finished_interrupted = false;
    let leftover = match std::fs::read_to_string(&pending) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&pending)(e).into()),
    };
    let committed = match &leftover {
        Some(text) => {
            let new =
                Vault::from_text(text).ok_or_else(|| VaultError::BadKeyFile(pending.clone()))?;
            store.vault_key_id().await? == Some(new.key_id())
        }
        None => false,
    };
    if committed {
        // The database is under the new key already: only the files are left to swap.
        finished_interrupted = true;
    } else {
        if leftover.is_some() {
            // Interrupted before the database changed: that key was never used.
            std::fs::remove_file(&pending).map_err(io(&pending))?;
        }
        let rng = SystemRandom::new();
        let new_text = new_key_file(&rng)?;
        let new =
            Vault::from_text(&new_text).ok_or_else(|| VaultError::BadKeyFile(pending.clone()))?;
        let key_id = new.key_id();
        write_private(&pending, &new_text).map_err(io(&pending))?;
        sync_dir(&dir).map_err(io(&dir))?;
        match store
            .rotate_vault(reseal(old, new), key_id, actor, now_ms)
            .await
        {
            Ok(done) => rows = done,
            Err(e) => {
                // Nothing was stored: the new key is not needed.
                let _ = std::fs::remove_file(&pending);
                return Err(e.into());
            }
        }
    }
    let old_key = keep_old_key(&dir, &old_text, now_ms).map_err(io(&dir))?;
    std::fs::rename(&pending, &path).map_err(io(&path))?;
    sync_dir(&dir).map_err(io(&dir))?;
    drop(file);
    Ok(Rotation {
        rows,
        old_key,
        finished_interrupted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::ClientIp;

    fn ip(s: &str) -> ClientIp {
        ClientIp::new(s.parse().unwrap())
    }

    /// A store in `dir` with one conversation whose address is sealed under the key
    /// file in `dir`; the vault (and its lock) is gone again.
    async fn store_with_address(dir: &Path, addr: &str) -> (Store, Vec<u8>) {
        let store = Store::open(&dir.join("chathulp.db")).unwrap();
        let id = chathulp_shared::ConversationId("c1".into());
        store
            .create_conversation(crate::store::NewConversation {
                id: id.clone(),
                service: chathulp_shared::ServiceId("caw".into()),
                nickname: "Sam".into(),
                intake: chathulp_shared::Intake::default(),
                no_dossier: false,
                queued_at_ms: 1,
                resume_token_sha256: String::new(),
                linked_to: None,
            })
            .await
            .unwrap();
        let vault = Vault::open(dir).unwrap();
        let sealed = vault.seal(&ip(addr)).unwrap();
        store
            .save_address(
                id,
                sealed.clone(),
                vault.hash(&ip(addr)).as_str().to_owned(),
            )
            .await
            .unwrap();
        (store, sealed)
    }

    async fn stored_sealed(store: &Store) -> Vec<u8> {
        store
            .sealed_address(chathulp_shared::ConversationId("c1".into()))
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn rotation_is_refused_while_the_key_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = store_with_address(dir.path(), "203.0.113.9").await;
        let running = Vault::open(dir.path()).unwrap();
        let refused = rotate(&store, "t".into(), 5_000).await.err().unwrap();
        assert!(
            matches!(refused, RotationError::Vault(VaultError::InUse(_))),
            "{refused}"
        );
        drop(running);
        let done = rotate(&store, "t".into(), 5_000).await.unwrap();
        assert_eq!(done.rows.resealed, 1);
        assert!(!done.finished_interrupted);
    }

    #[tokio::test]
    async fn an_interrupted_rotation_is_refused_at_start_and_finished_by_the_next_run() {
        let dir = tempfile::tempdir().unwrap();
        let (store, sealed) = store_with_address(dir.path(), "203.0.113.9").await;
        let old_text = std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap();

        // Interrupted before the database changed: the next run starts over.
        let unused = new_key_file(&SystemRandom::new()).unwrap();
        write_private(&dir.path().join(NEW_KEY_FILE), &unused).unwrap();
        let refused = Vault::open(dir.path()).err().unwrap();
        assert!(
            matches!(refused, VaultError::RotationUnfinished(_)),
            "{refused}"
        );
        let done = rotate(&store, "t".into(), 5_000).await.unwrap();
        assert!(!done.finished_interrupted);
        assert_eq!(done.rows.resealed, 1);
        let first = std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap();
        assert_ne!(first, unused, "the leftover key is never used");
        assert_ne!(first, old_text);
        assert_eq!(std::fs::read_to_string(&done.old_key).unwrap(), old_text);

        // Interrupted after the database changed, before the rename: finished as it was.
        let current = Vault::from_text(&first).unwrap();
        let next_text = new_key_file(&SystemRandom::new()).unwrap();
        let next = Vault::from_text(&next_text).unwrap();
        write_private(&dir.path().join(NEW_KEY_FILE), &next_text).unwrap();
        let key_id = next.key_id();
        store
            .rotate_vault(reseal(current, next), key_id, "t".into(), 6_000)
            .await
            .unwrap();
        assert!(
            Vault::open(dir.path()).is_err(),
            "not with the old key file"
        );
        let done = rotate(&store, "t".into(), 7_000).await.unwrap();
        assert!(done.finished_interrupted);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap(),
            next_text
        );
        assert!(!dir.path().join(NEW_KEY_FILE).exists());
        let vault = Vault::open(dir.path()).unwrap();
        let now = stored_sealed(&store).await;
        assert_ne!(now, sealed);
        assert_eq!(vault.unseal(&now).unwrap().disclose(), "203.0.113.9");
        assert!(Vault::from_text(&old_text).unwrap().unseal(&now).is_err());
    }
}
