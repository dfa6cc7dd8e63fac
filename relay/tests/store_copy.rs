//! `chathulp-relay store copy` with the real binary: the fixture database (made by the
//! relay before schema versions) into a fresh PostgreSQL database, everything kept, and
//! a second copy into the now non-empty database refused. PostgreSQL runs only (see
//! `store::testing`); on a SQLite run it checks that a bad target is refused.

use std::process::Command;

use chathulp_relay::store::{Location, Store, testing, verify_chain};
use chathulp_shared::ConversationId;

const BIN: &str = env!("CARGO_BIN_EXE_chathulp-relay");

#[tokio::test]
async fn store_copy_moves_every_row_into_an_empty_postgres_database_and_refuses_a_full_one() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chathulp.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/main-2026-12-03.db"
        ),
        &db,
    )
    .unwrap();
    let from = format!("sqlite:{}", db.display());
    if testing::backend() != "postgres" {
        let out = Command::new(BIN)
            .args(["store", "copy", "--from", &from, "--to", "mysql://x"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("postgres://"));
        return;
    }
    let target = dir.path().join("target");
    std::fs::create_dir(&target).unwrap();
    let Location::Postgres(url) = testing::fresh_location(&target).await.unwrap() else {
        panic!("postgres run without a postgres location");
    };
    let copy = || {
        Command::new(BIN)
            .args(["store", "copy", "--from", &from, "--to", &url])
            .output()
            .unwrap()
    };
    let out = copy();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{out:?}");
    for line in ["messages", "audit_log", "tagged_names"] {
        assert!(stdout.contains(line), "{line} not in {stdout}");
    }
    assert!(stdout.contains("audit chain verifies"), "{stdout}");

    let store = Store::open_postgres(&url, &target).await.unwrap();
    let c1 = ConversationId("c1".into());
    let messages = store.messages(c1.clone()).await.unwrap();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[2].text, "bericht 2 van Jan op 0470 12 34 56");
    assert_eq!(store.tagged_names(c1.clone()).await.unwrap(), ["Jan"]);
    assert_eq!(
        store.sealed_address(c1.clone()).await.unwrap(),
        Some(vec![0; 32])
    );
    let audit = store.audit_log().await.unwrap();
    assert_eq!(audit.len(), 4);
    assert_eq!(verify_chain(&audit), Ok(()));
    assert_eq!(store.open_conversations(0).await.unwrap().len(), 2);
    assert!(store.is_disabled("sup".into()).await.unwrap());
    // The identity sequences moved past the copied ids: a new request gets id 2.
    let request = store
        .add_reveal_request(c1, "an".into(), "opnieuw".into(), 50_000)
        .await
        .unwrap();
    assert_eq!(request.id, 2);
    assert_eq!(verify_chain(&store.audit_log().await.unwrap()), Ok(()));

    let again = copy();
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("not empty"), "{stderr}");
}
