//! The store's promises, on whichever backend the run asks for
//! (`CHATHULP_TEST_STORE=postgres` + `CHATHULP_TEST_PG_URL`, see `store::testing`), plus
//! what only one backend has: the upgrade of a database made before schema versions
//! (SQLite), and fencing (PostgreSQL).

use chathulp_relay::store::{
    Account, AuditEntry, Location, NewConversation, Store, StoreError, testing,
};
use chathulp_shared::{ConversationId, Intake, Party, Role, ServiceId};

struct TestStore {
    store: Store,
    location: Location,
    dir: tempfile::TempDir,
}

async fn fresh() -> TestStore {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let location = testing::fresh_location(dir.path())
        .await
        .expect("a fresh test database");
    let store = Store::open_at(&location, dir.path())
        .await
        .expect("the test store opens");
    TestStore {
        store,
        location,
        dir,
    }
}

fn conv(id: &str) -> NewConversation {
    NewConversation {
        id: ConversationId(id.into()),
        service: ServiceId("caw".into()),
        nickname: "Sam".into(),
        intake: Intake::default(),
        no_dossier: false,
        queued_at_ms: 1,
        resume_token_sha256: String::new(),
        linked_to: None,
    }
}

fn account(name: &str) -> Account {
    Account {
        name: name.into(),
        role: Role::Counselor,
        password_hash: "x".into(),
    }
}

#[tokio::test]
async fn messages_get_consecutive_seqs_and_a_resend_is_stored_once() {
    let t = fresh().await;
    let store = &t.store;
    store.create_conversation(conv("c1")).await.unwrap();
    let id = ConversationId("c1".into());
    let a = store
        .append_message(id.clone(), Party::Visitor, "v1".into(), "hoi".into(), 10)
        .await
        .unwrap();
    let b = store
        .append_message(id.clone(), Party::Counselor, "v1".into(), "dag".into(), 11)
        .await
        .unwrap();
    let again = store
        .append_message(id.clone(), Party::Visitor, "v1".into(), "hoi".into(), 12)
        .await
        .unwrap();
    assert_eq!((a.message.seq, b.message.seq, again.message.seq), (1, 2, 1));
    assert_eq!((a.is_new, again.is_new), (true, false));
    assert_eq!(again.message.at_ms, 10);
    let all = store.messages(id).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].text, "dag");
}

#[tokio::test]
async fn concurrent_appends_to_one_conversation_get_distinct_consecutive_seqs() {
    let t = fresh().await;
    t.store.create_conversation(conv("c1")).await.unwrap();
    let id = ConversationId("c1".into());
    let appends = (0..20).map(|i| {
        t.store
            .append_message(id.clone(), Party::Visitor, format!("m{i}"), "x".into(), 1)
    });
    let mut seqs: Vec<u64> = futures_util::future::join_all(appends)
        .await
        .into_iter()
        .map(|a| a.unwrap().message.seq)
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
}

/// Messages sent together are committed together (both backends batch them), but each
/// keeps its own outcome: a message for a conversation the store lacks fails alone, and
/// a resend in the same batch finds the first copy.
#[tokio::test]
async fn in_one_burst_a_bad_message_fails_alone_and_a_resend_is_stored_once() {
    let t = fresh().await;
    for c in ["c1", "c2"] {
        t.store.create_conversation(conv(c)).await.unwrap();
    }
    let burst = [
        ("c1", "a"),
        ("nowhere", "b"),
        ("c2", "c"),
        ("c1", "a"),
        ("c1", "d"),
        ("c2", "e"),
    ];
    let appends = burst.iter().map(|&(c, client_id)| {
        t.store.append_message(
            ConversationId(c.into()),
            Party::Visitor,
            client_id.into(),
            format!("text {client_id}"),
            1,
        )
    });
    let results = futures_util::future::join_all(appends).await;
    assert!(results[1].is_err(), "{:?}", results[1]);
    let stored: Vec<(u64, bool)> = [0, 2, 3, 4, 5]
        .iter()
        .map(|&i| {
            let a = results[i].as_ref().expect("stored");
            (a.message.seq, a.is_new)
        })
        .collect();
    // c1: a=1, the resend of a is a again, d=2; c2: c=1, e=2.
    assert_eq!(
        stored,
        vec![(1, true), (1, true), (1, false), (2, true), (2, true)]
    );
    let c1 = t.store.messages(ConversationId("c1".into())).await.unwrap();
    let texts: Vec<&str> = c1.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["text a", "text d"]);
    let c2 = t.store.messages(ConversationId("c2".into())).await.unwrap();
    assert_eq!(c2.len(), 2);
}

/// On PostgreSQL a statement that fails aborts the batch's transaction: the writer rolls
/// it back and stores the others one by one, so only the failing message gets the error.
/// (A NUL is one such statement; the broker refuses it before the store, see bad_input.)
#[tokio::test]
async fn on_postgresql_a_failing_statement_in_a_burst_fails_alone() {
    if testing::backend() != "postgres" {
        return;
    }
    let t = fresh().await;
    t.store.create_conversation(conv("c1")).await.unwrap();
    let id = ConversationId("c1".into());
    let texts = ["een", "twee\0", "drie"];
    let appends = texts.iter().enumerate().map(|(i, text)| {
        t.store.append_message(
            id.clone(),
            Party::Visitor,
            format!("m{i}"),
            (*text).into(),
            1,
        )
    });
    let results = futures_util::future::join_all(appends).await;
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(results[1].is_err(), "{results:?}");
    let stored: Vec<String> = t
        .store
        .messages(id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(stored, ["een", "drie"]);
}

#[tokio::test]
async fn survey_is_stored_once_and_only_after_a_taken_conversation_ended() {
    let t = fresh().await;
    let store = &t.store;
    store.create_conversation(conv("c1")).await.unwrap();
    let id = ConversationId("c1".into());
    let save = || store.save_survey(id.clone(), "[]".into(), 5);
    assert!(!save().await.unwrap(), "not before it ended");
    store
        .end_conversation(id.clone(), Party::Visitor, None, 3)
        .await
        .unwrap();
    assert!(!save().await.unwrap(), "not when nobody took it");
    store.create_conversation(conv("c2")).await.unwrap();
    let id = ConversationId("c2".into());
    store
        .assign_conversation(id.clone(), "an".into(), 2)
        .await
        .unwrap();
    store
        .end_conversation(id.clone(), Party::Visitor, None, 3)
        .await
        .unwrap();
    assert!(store.save_survey(id.clone(), "[]".into(), 5).await.unwrap());
    assert!(
        !store.save_survey(id, "[]".into(), 6).await.unwrap(),
        "only once"
    );
}

#[tokio::test]
async fn a_refused_dossier_blocks_the_candidate_mark() {
    let t = fresh().await;
    let store = &t.store;
    store.create_conversation(conv("c1")).await.unwrap();
    let id = ConversationId("c1".into());
    assert!(store.set_dossier_candidate(id.clone(), true).await.unwrap());
    store.set_no_dossier(id.clone(), true).await.unwrap();
    assert!(!store.set_dossier_candidate(id.clone(), true).await.unwrap());
    assert!(store.set_dossier_candidate(id, false).await.unwrap());
}

#[tokio::test]
async fn duplicate_account_is_refused() {
    let t = fresh().await;
    t.store.add_account(account("an"), 0).await.unwrap();
    assert!(matches!(
        t.store.add_account(account("an"), 0).await,
        Err(StoreError::AccountExists(_))
    ));
}

#[tokio::test]
async fn the_audit_chain_verifies_and_survives_a_reopen() {
    let t = fresh().await;
    t.store.create_conversation(conv("c1")).await.unwrap();
    t.store
        .save_address(ConversationId("c1".into()), vec![7; 32], "ab".repeat(32))
        .await
        .unwrap();
    let request = t
        .store
        .add_reveal_request(ConversationId("c1".into()), "an".into(), "nood".into(), 5)
        .await
        .unwrap();
    t.store
        .decide_reveal(request.id, false, "adm".into(), "nee".into(), 6)
        .await
        .unwrap();
    let block = t
        .store
        .add_block(ConversationId("c1".into()), "an".into(), "r".into(), 7, 100)
        .await
        .unwrap()
        .expect("the conversation has an address");
    assert!(
        t.store
            .lift_block(block.id, "adm".into(), "r".into(), 8)
            .await
            .unwrap()
    );
    let audits = (0..10).map(|i| {
        t.store.audit(
            AuditEntry {
                actor: "t".into(),
                action: "export_anonymised",
                conversation: None,
                reason: format!("r{i}"),
                decision: None,
            },
            9,
        )
    });
    for done in futures_util::future::join_all(audits).await {
        done.unwrap();
    }
    let rows = t.store.audit_log().await.unwrap();
    assert_eq!(rows.len(), 14);
    assert_eq!(chathulp_relay::store::verify_chain(&rows), Ok(()));
    let again = Store::open_at(&t.location, t.dir.path()).await.unwrap();
    assert_eq!(again.audit_log().await.unwrap(), rows);
}

#[tokio::test]
async fn fencing_refuses_a_write_under_an_old_epoch_and_stores_nothing() {
    if testing::backend() != "postgres" {
        // SQLite has no leader lease: fencing is refused there.
        let t = fresh().await;
        assert!(matches!(t.store.fence(1), Err(StoreError::Unsupported(_))));
        return;
    }
    let t = fresh().await;
    let Location::Postgres(url) = &t.location else {
        panic!("postgres run without a postgres location");
    };
    t.store.fence(1).unwrap();
    // Epoch 0 in the row, 1 in the relay: refused already.
    let refused = t.store.create_conversation(conv("c0")).await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Fenced {
                mine: 1,
                current: 0
            })
        ),
        "{refused:?}"
    );
    // This relay becomes leader at epoch 1 (as the lease would write it).
    let admin = admin_client(url).await;
    admin
        .execute("UPDATE relay_leader SET epoch = 1 WHERE id = 1", &[])
        .await
        .unwrap();
    t.store.create_conversation(conv("c1")).await.unwrap();
    // Another relay takes over: epoch 2.
    admin
        .execute("UPDATE relay_leader SET epoch = 2 WHERE id = 1", &[])
        .await
        .unwrap();
    let id = ConversationId("c1".into());
    let refused = t
        .store
        .append_message(id.clone(), Party::Visitor, "m1".into(), "x".into(), 1)
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::Fenced {
                mine: 1,
                current: 2
            })
        ),
        "{refused:?}"
    );
    let refused = t
        .store
        .audit(
            AuditEntry {
                actor: "t".into(),
                action: "export_anonymised",
                conversation: None,
                reason: "r".into(),
                decision: None,
            },
            1,
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Fenced { .. })),
        "{refused:?}"
    );
    let count = |table: &'static str| {
        let admin = &admin;
        async move {
            let n: i64 = admin
                .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
                .await
                .unwrap()
                .get(0);
            n
        }
    };
    assert_eq!(count("messages").await, 0, "nothing stored");
    assert_eq!(count("audit_log").await, 0, "nothing stored");
    assert_eq!(count("conversations").await, 1, "only c1, from epoch 1");
    // Reads still work, so a fenced relay can step down cleanly.
    assert!(t.store.conversation(id).await.unwrap().is_some());
    // Writing under the current epoch works again.
    t.store.fence(2).unwrap();
    t.store.create_conversation(conv("c2")).await.unwrap();
}

#[tokio::test]
async fn a_write_outside_the_fenced_transaction_start_is_refused_by_postgresql() {
    if testing::backend() != "postgres" {
        return;
    }
    let t = fresh().await;
    // query_json runs on a pooled connection without `begin`: read-only by default.
    let refused = t
        .store
        .query_json(
            "INSERT INTO service_closures VALUES ('caw', 'r', 'x', 1)".into(),
            vec![],
        )
        .await;
    assert!(refused.is_err(), "{refused:?}");
    assert!(t.store.service_closures().await.unwrap().is_empty());
}

/// A plain connection to the test's database, as another relay (or an operator) has.
async fn admin_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = testing::connect(url)
        .await
        .expect("a connection to the test database");
    tokio::spawn(connection);
    client
}

/// Rows per table in the fixture, as written by `examples/store_fixture.rs` on the code
/// before schema versions.
const FIXTURE_ROWS: &[(&str, i64)] = &[
    ("accounts", 4),
    ("sessions", 1),
    ("service_closures", 1),
    ("conversations", 3),
    ("messages", 4),
    ("notes", 1),
    ("wrapups", 1),
    ("visitor_addresses", 3),
    ("reveal_requests", 1),
    ("blocks", 1),
    ("audit_log", 4),
    ("tagged_names", 1),
];

#[tokio::test]
async fn a_database_made_before_schema_versions_upgrades_with_every_row_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chathulp.db");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/main-2026-12-03.db"
        ),
        &path,
    )
    .unwrap();
    for round in 0..2 {
        // The first open applies migration 2 (the report counts); the second finds
        // version 2 and applies nothing.
        let store = Store::open(&path).unwrap();
        let version = store
            .query_json("PRAGMA user_version".into(), vec![])
            .await
            .unwrap();
        assert_eq!(version[0]["user_version"], 2);
        for (table, rows) in FIXTURE_ROWS {
            let n = store
                .query_json(format!("SELECT COUNT(*) AS n FROM {table}"), vec![])
                .await
                .unwrap();
            assert_eq!(n[0]["n"], *rows, "{table}");
        }
        let c1 = ConversationId("c1".into());
        let messages = store.messages(c1.clone()).await.unwrap();
        assert_eq!(
            messages.iter().map(|m| m.seq).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(messages[0].text, "bericht 0 van Jan op 0470 12 34 56");
        assert_eq!(store.tagged_names(c1.clone()).await.unwrap(), ["Jan"]);
        assert_eq!(
            store.notes(c1.clone()).await.unwrap()[0].text,
            "interne nota"
        );
        assert_eq!(
            store.sealed_address(c1.clone()).await.unwrap(),
            Some(vec![0; 32])
        );
        assert!(
            store
                .admission("ab".repeat(32), 20_000, 0)
                .await
                .unwrap()
                .blocked
        );
        let audit = store.audit_log().await.unwrap();
        assert_eq!(chathulp_relay::store::verify_chain(&audit), Ok(()));
        assert_eq!(
            audit.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
            [
                "reveal_requested",
                "reveal_approved",
                "block",
                "export_anonymised"
            ]
        );
        let open = store.open_conversations(0).await.unwrap();
        assert_eq!(open.len(), 2, "c2 (handed over) and c3 (queued)");
        assert_eq!(
            open[0].handover.as_ref().map(|h| h.from.as_str()),
            Some("an")
        );
        assert_eq!(open[0].counselor.as_deref(), Some("bo"));
        assert!(open[1].no_dossier);
        assert!(store.is_disabled("sup".into()).await.unwrap());
        assert_eq!(
            store.service_closures().await.unwrap()[0].reason,
            "opleiding"
        );
        assert!(
            store.to_register("an".into()).await.unwrap().is_empty(),
            "wrapped up"
        );
        if round == 1 {
            // And it takes new writes on top.
            let next = store
                .append_message(c1.clone(), Party::Visitor, "new".into(), "x".into(), 1)
                .await
                .unwrap();
            assert_eq!(next.message.seq, 4);
        }
    }
}

#[tokio::test]
async fn a_database_from_a_newer_relay_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chathulp.db");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let refused = Store::open(&path).err().expect("refused");
    assert!(
        matches!(
            refused,
            StoreError::SchemaTooNew {
                found: 99,
                supported: 2
            }
        ),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("newer than this relay"),
        "{refused}"
    );
    if testing::backend() == "postgres" {
        let t = fresh().await;
        let Location::Postgres(url) = &t.location else {
            panic!("postgres run without a postgres location");
        };
        admin_client(url)
            .await
            .execute("UPDATE schema_version SET version = 99", &[])
            .await
            .unwrap();
        let refused = Store::open_at(&t.location, t.dir.path())
            .await
            .err()
            .expect("refused");
        assert!(
            matches!(refused, StoreError::SchemaTooNew { found: 99, .. }),
            "{refused}"
        );
    }
}
