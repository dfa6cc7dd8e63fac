//! A real PostgreSQL for the tests: the cluster that `scripts/test` started
//! (`CHATHULP_TEST_PG_URL`), or, when a test runs on its own under cargo, one started
//! here with `scripts/pg-cluster` and removed when the last user drops it. Each test
//! makes its own database in it, so tests never share state.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

use anyhow::Context as _;
use chathulp_relay::Store;
use chathulp_relay::store::{Location, testing};

/// The cluster, started once per test binary when no URL was given.
pub struct PgCluster {
    url: String,
    /// Set when this process started the cluster and must stop it.
    dir: Option<PathBuf>,
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::process::Command::new(script())
                .arg("stop")
                .arg(dir)
                .status();
        }
    }
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-cluster")
}

static CLUSTER: Mutex<Weak<PgCluster>> = Mutex::new(Weak::new());

/// The shared cluster (started on first use).
pub fn cluster() -> anyhow::Result<Arc<PgCluster>> {
    let mut slot = CLUSTER.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    if let Some(cluster) = slot.upgrade() {
        return Ok(cluster);
    }
    let cluster = Arc::new(match std::env::var("CHATHULP_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => PgCluster { url, dir: None },
        _ => {
            let parent = tempfile::Builder::new().prefix("chathulp-pg-").tempdir()?;
            let dir = parent.path().join("cluster");
            // pg-cluster runs the server as the `postgres` user, which must reach `dir`.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755))?;
            }
            let out = std::process::Command::new(script())
                .arg("start")
                .arg(&dir)
                .output()
                .context("run scripts/pg-cluster")?;
            anyhow::ensure!(
                out.status.success(),
                "scripts/pg-cluster start failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let url = String::from_utf8(out.stdout)?.trim().to_owned();
            // The folder outlives the TempDir guard; `stop` removes the cluster inside.
            let _ = parent.keep();
            PgCluster {
                url,
                dir: Some(dir),
            }
        }
    });
    *slot = Arc::downgrade(&cluster);
    Ok(cluster)
}

impl PgCluster {
    /// A new database with the relay's schema (the store's migrations), so a leader lease
    /// can be taken on it; returns its URL.
    pub async fn database(&self, prefix: &str) -> anyhow::Result<String> {
        let mut name = [0u8; 4];
        getrandom::fill(&mut name)?;
        let name = format!("{prefix}_{}_{}", std::process::id(), hex::encode(name));
        let location = testing::create_database(&self.url, &name).await?;
        let dir = tempfile::tempdir()?;
        drop(Store::open_at(&location, dir.path()).await?);
        match location {
            Location::Postgres(url) => Ok(url),
            Location::Sqlite(_) => anyhow::bail!("create_database made no PostgreSQL database"),
        }
    }
}

/// A plain client on `url`, for a test's own checks of what is stored.
pub async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = testing::connect(url).await?;
    tokio::spawn(connection);
    Ok(client)
}
