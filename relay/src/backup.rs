//! `chathulp-relay backup DEST` and `restore SRC`: a consistent copy of the database
//! while the relay serves, and putting one back.
//!
//! The backup uses SQLite's online backup API on its own connection to the database
//! file. It holds one read transaction for the whole copy, so in WAL mode the relay's
//! writer carries on meanwhile and the copy is the database as of the moment the backup
//! began (every message acknowledged before then is in it). Backups are named by their
//! UTC time, written at mode 0600, and pruned: those older than `retention.days` go
//! (a backup must not keep a conversation past the retention promise), then all but the
//! newest `--keep`.
//!
//! The vault key (`vault.key`) is not in a backup: keep it apart (see
//! docs/operations.md), so a stolen backup holds no readable address.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::config::Config;
use crate::store::{AuditRow, verify_chain};

/// Backup files are `chathulp-<UTC time in this form>.db`.
const STAMP: &str = "%Y%m%dT%H%M%SZ";
const PREFIX: &str = "chathulp-";
const SUFFIX: &str = ".db";
/// Pages copied per step: small enough for a smooth progress bar.
const PAGES_PER_STEP: i32 = 256;

/// Copies the database at `db` into `dest_dir` as a new backup file named for `now`,
/// and returns its path. `progress(done, total)` is called after each step, in pages.
pub fn backup(
    db: &Path,
    dest_dir: &Path,
    now: jiff::Timestamp,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<PathBuf> {
    if !db.exists() {
        bail!("no database at {}", db.display());
    }
    create_private_dir(dest_dir)?;
    let name = format!("{PREFIX}{}{SUFFIX}", now.strftime(STAMP));
    let target = dest_dir.join(&name);
    if target.exists() {
        bail!("{} exists already", target.display());
    }
    let partial = dest_dir.join(format!(".{name}.partial"));
    create_private_file(&partial)?;
    let result = copy_into(db, &partial, &mut progress);
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, &target)
        .with_context(|| format!("cannot rename the backup to {}", target.display()))?;
    sync_dir(dest_dir);
    Ok(target)
}

/// The online copy itself: `src` to the (already created, empty) file `dst`.
fn copy_into(src: &Path, dst: &Path, progress: &mut impl FnMut(u64, u64)) -> anyhow::Result<()> {
    let source = Connection::open_with_flags(
        src,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {}", src.display()))?;
    source.busy_timeout(Duration::from_secs(10))?;
    // One read transaction for every step: the copy is one snapshot, and the relay's
    // writes meanwhile neither restart it nor end up half in it.
    source.execute_batch("BEGIN DEFERRED; SELECT count(*) FROM sqlite_master;")?;
    let mut target =
        Connection::open(dst).with_context(|| format!("cannot open {}", dst.display()))?;
    {
        let copy = Backup::new(&source, &mut target)?;
        loop {
            let step = copy.step(PAGES_PER_STEP)?;
            let p = copy.progress();
            let total = u64::try_from(p.pagecount).unwrap_or(0);
            let left = u64::try_from(p.remaining).unwrap_or(0);
            progress(total.saturating_sub(left), total);
            match step {
                StepResult::Done => break,
                StepResult::More => {}
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    source.execute_batch("COMMIT")?;
    // One self-contained file, no -wal beside it.
    target.pragma_update(None, "journal_mode", "DELETE")?;
    let check: String = target.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        bail!("the copy failed its check: {check}");
    }
    drop(target);
    std::fs::File::open(dst)?.sync_all()?;
    Ok(())
}

/// The backups in `dir` with the time in their names, oldest first.
pub fn backups_in(dir: &Path) -> anyhow::Result<Vec<(jiff::Timestamp, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let path = entry?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stamp) = name
            .strip_prefix(PREFIX)
            .and_then(|n| n.strip_suffix(SUFFIX))
        else {
            continue;
        };
        let at = jiff::fmt::strtime::parse(STAMP, stamp)
            .and_then(|t| t.to_datetime())
            .and_then(|t| jiff::tz::TimeZone::UTC.to_timestamp(t));
        if let Ok(at) = at {
            found.push((at, path));
        }
    }
    found.sort();
    Ok(found)
}

/// Deletes the backups in `dir` older than `retention_days` before `now`, then all but
/// the newest `keep`. Returns what it deleted.
pub fn prune(
    dir: &Path,
    now: jiff::Timestamp,
    retention_days: u32,
    keep: Option<usize>,
) -> anyhow::Result<Vec<PathBuf>> {
    let cutoff = now - jiff::SignedDuration::from_hours(24 * i64::from(retention_days));
    let mut backups = backups_in(dir)?;
    let mut doomed: Vec<PathBuf> = Vec::new();
    backups.retain(|(at, path)| {
        if *at < cutoff {
            doomed.push(path.clone());
            false
        } else {
            true
        }
    });
    if let Some(keep) = keep {
        let extra = backups.len().saturating_sub(keep);
        doomed.extend(backups.drain(..extra).map(|(_, p)| p));
    }
    for path in &doomed {
        std::fs::remove_file(path).with_context(|| format!("cannot delete {}", path.display()))?;
    }
    Ok(doomed)
}

/// Checks that `db` is a sound chathulp database: SQLite's integrity check, and the
/// audit log's hash chain. Returns the number of audit rows.
pub fn check(db: &Path) -> anyhow::Result<usize> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", db.display()))?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if problems != ["ok"] {
        bail!(
            "{} fails SQLite's integrity check: {}",
            db.display(),
            problems.join("; ")
        );
    }
    let rows = audit_rows(&conn).with_context(|| format!("{} has no audit log", db.display()))?;
    if let Err(seq) = verify_chain(&rows) {
        bail!(
            "the audit chain in {} is broken at row {seq}: it was changed after it was written",
            db.display()
        );
    }
    Ok(rows.len())
}

fn audit_rows(conn: &Connection) -> rusqlite::Result<Vec<AuditRow>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at_ms, actor, action, conversation, reason, decision, prev_hash, hash
         FROM audit_log ORDER BY seq",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(AuditRow {
            seq: r.get(0)?,
            at_ms: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            conversation: r.get(4)?,
            reason: r.get(5)?,
            decision: r.get(6)?,
            prev_hash: r.get(7)?,
            hash: r.get(8)?,
        })
    })?;
    rows.collect()
}

/// Puts backup `src` in place as `data_dir/chathulp.db`, after [`check`]. Refused while
/// a relay runs on `data_dir` (it holds a lock on `vault.key`). The database it replaces
/// is kept as `chathulp.db.before-restore-<time>` (with its WAL), mode 0600.
/// Returns the number of audit rows checked.
pub fn restore(src: &Path, data_dir: &Path, now: jiff::Timestamp) -> anyhow::Result<usize> {
    create_private_dir(data_dir)?;
    let _lock = lock_out_relays(data_dir)?;
    let db = data_dir.join("chathulp.db");
    let staged = data_dir.join("chathulp.db.restoring");
    let _ = std::fs::remove_file(&staged);
    create_private_file(&staged)?;
    // Copy first and check the copy: what is checked is exactly what goes in place.
    let rows = match copy_into(src, &staged, &mut |_, _| {}).and_then(|()| check(&staged)) {
        Ok(rows) => rows,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
    };
    if db.exists() {
        let aside = data_dir.join(format!(
            "chathulp.db.before-restore-{}",
            now.strftime(STAMP)
        ));
        std::fs::rename(&db, &aside)?;
        let wal = data_dir.join("chathulp.db-wal");
        if wal.exists() {
            std::fs::rename(
                &wal,
                aside.with_file_name(format!(
                    "{}-wal",
                    aside
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or_default()
                )),
            )?;
        }
    }
    // The old database's shared-memory index must not be applied to the new file.
    let _ = std::fs::remove_file(data_dir.join("chathulp.db-shm"));
    std::fs::rename(&staged, &db)?;
    sync_dir(data_dir);
    Ok(rows)
}

/// An exclusive lock on `vault.key`, which every running relay holds shared.
fn lock_out_relays(data_dir: &Path) -> anyhow::Result<Option<std::fs::File>> {
    let key = data_dir.join("vault.key");
    let file = match std::fs::File::open(&key) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", key.display())),
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "a relay is running on {}: stop it before restoring",
            data_dir.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", key.display()))
        }
    }
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    set_mode(dir, 0o700)
}

fn create_private_file(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    set_mode(path, 0o600)
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// `chathulp-relay backup DEST [--keep N]`, with a progress bar on a terminal.
pub fn backup_command(
    db: &Path,
    dest: &Path,
    keep: Option<usize>,
    config: &Config,
) -> anyhow::Result<()> {
    let now = jiff::Timestamp::now();
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} pages {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let path = backup(db, dest, now, |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    println!("Backup written: {} (mode 0600)", path.display());
    for gone in prune(dest, now, config.retention.days, keep)? {
        println!("Deleted old backup {}", gone.display());
    }
    Ok(())
}

/// `chathulp-relay restore SRC`.
pub fn restore_command(src: &Path, data_dir: &Path) -> anyhow::Result<()> {
    let rows = restore(src, data_dir, jiff::Timestamp::now())?;
    println!(
        "Restored {} into {} (integrity ok, audit chain intact: {rows} rows).",
        src.display(),
        data_dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_drops_backups_past_retention_then_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let now: jiff::Timestamp = "2026-12-03T12:00:00Z".parse().unwrap();
        for days_ago in [200, 10, 3, 2, 1] {
            let at = now - jiff::SignedDuration::from_hours(24 * days_ago);
            let name = format!("{PREFIX}{}{SUFFIX}", at.strftime(STAMP));
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), b"").unwrap();
        let gone = prune(dir.path(), now, 183, Some(2)).unwrap();
        assert_eq!(gone.len(), 3, "{gone:?}");
        let left: Vec<_> = backups_in(dir.path()).unwrap();
        let ages: Vec<i64> = left
            .iter()
            .map(|(at, _)| now.duration_since(*at).as_hours() / 24)
            .collect();
        assert_eq!(ages, [2, 1]);
        assert!(dir.path().join("notes.txt").exists());
    }
}
