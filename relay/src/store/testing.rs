//! Picking the backend for tests: the same tests run on SQLite and on PostgreSQL.
//!
//! `CHATHULP_TEST_STORE=postgres` with `CHATHULP_TEST_PG_URL=postgres://…` (a superuser on
//! a throwaway cluster, as `scripts/pg-cluster start` prints) makes every test store a
//! fresh PostgreSQL database with a random name, so tests stay independent and run in
//! parallel. Anything else (or nothing) is SQLite in the test's data folder.

use std::path::Path;

use super::{Location, Result, Store, StoreError};

/// Which backend the test run asked for.
pub fn backend() -> &'static str {
    match std::env::var("CHATHULP_TEST_STORE").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// A new, empty store location for one test: `chathulp.db` in `data_dir`, or a fresh
/// PostgreSQL database. Open it (again, after a restart) with [`Store::open_at`].
pub async fn fresh_location(data_dir: &Path) -> Result<Location> {
    if backend() != "postgres" {
        return Ok(Location::Sqlite(data_dir.join("chathulp.db")));
    }
    let admin = std::env::var("CHATHULP_TEST_PG_URL").map_err(|_| {
        StoreError::Config("CHATHULP_TEST_STORE=postgres needs CHATHULP_TEST_PG_URL".into())
    })?;
    let mut name = [0u8; 8];
    getrandom::fill(&mut name).map_err(|e| StoreError::Config(e.to_string()))?;
    let name = format!("t_{}", hex::encode(name));
    create_database(&admin, &name).await
}

/// Creates database `name` on the server of `admin_url` (which must be allowed to) and
/// returns the URL of the new database.
pub async fn create_database(admin_url: &str, name: &str) -> Result<Location> {
    let (client, connection) = connect(admin_url).await?;
    let task = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await?;
    drop(client);
    let _ = task.await;
    Ok(Location::Postgres(with_database(admin_url, name)))
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let root = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    format!("{root}/{name}{query}")
}

/// A plain connection to `url` (TLS as its `sslmode` says), for test set-up and checks.
pub async fn connect(
    url: &str,
) -> Result<(
    tokio_postgres::Client,
    impl Future<Output = std::result::Result<(), tokio_postgres::Error>> + Send + use<>,
)> {
    let target = super::postgres::tls_target(url)?;
    Ok(target.config.connect(target.tls).await?)
}

/// Opens a store the test kit made with [`fresh_location`], on the data folder `dir`.
pub async fn open(location: &Location, dir: &Path) -> Result<Store> {
    Store::open_at(location, dir).await
}
