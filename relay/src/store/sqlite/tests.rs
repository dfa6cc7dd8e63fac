//! The SQLite writer: seqs, batches and savepoints (the behaviour both backends share is
//! tested in `relay/tests/store.rs`, on either).

use super::*;
use chathulp_shared::Role;

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

#[tokio::test]
async fn messages_get_consecutive_seqs_and_a_resend_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    assert_eq!(store.journal_mode().await.unwrap(), "wal");
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
async fn seqs_stay_consecutive_when_another_writer_appended_meanwhile() {
    // The writer remembers each conversation's next seq. A second writer on the same
    // file (which the relay never has) makes that memory stale: the insert must fall
    // back to the table instead of failing or reusing a seq.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let one = SqliteStore::open(&path).unwrap();
    let two = SqliteStore::open(&path).unwrap();
    one.create_conversation(conv("c1")).await.unwrap();
    let id = ConversationId("c1".into());
    let mut seqs = Vec::new();
    for (i, store) in [&one, &one, &two, &one, &two, &two, &one]
        .iter()
        .enumerate()
    {
        let appended = store
            .append_message(id.clone(), Party::Visitor, format!("m{i}"), "x".into(), 1)
            .await
            .unwrap();
        assert!(appended.is_new);
        seqs.push(appended.message.seq);
    }
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(one.messages(id).await.unwrap().len(), 7);
}

#[tokio::test]
async fn a_rolled_back_append_does_not_leave_a_gap_in_the_seqs() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    store.create_conversation(conv("c1")).await.unwrap();
    let id = ConversationId("c1".into());
    let append = |client: &str| {
        store.append_message(id.clone(), Party::Visitor, client.into(), "x".into(), 1)
    };
    assert_eq!(append("a").await.unwrap().message.seq, 1);
    // A job that appends seq 2 the way `append_message` does (so the writer remembers
    // 3 as next), then fails: rolled back with its savepoint, and forgotten.
    let failing = store.write(|c| {
        let seq = next_seq::take(c, "c1")?;
        c.execute(
            "INSERT INTO messages (conversation, seq, sender, client_id, body, at_ms)
             VALUES ('c1', ?1, 'visitor', 'gone', 'x', 1)",
            [seq],
        )?;
        next_seq::stored("c1", seq);
        Err::<(), _>(StoreError::Corrupt("fails after writing".into()))
    });
    assert!(failing.await.is_err());
    assert_eq!(append("b").await.unwrap().message.seq, 2);
    assert_eq!(append("c").await.unwrap().message.seq, 3);
}

#[tokio::test]
async fn survey_is_stored_once_and_only_after_a_taken_conversation_ended() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    store.create_conversation(conv("c1")).await.unwrap();
    let id = ConversationId("c1".into());
    assert!(store.set_dossier_candidate(id.clone(), true).await.unwrap());
    store.set_no_dossier(id.clone(), true).await.unwrap();
    assert!(!store.set_dossier_candidate(id.clone(), true).await.unwrap());
    assert!(store.set_dossier_candidate(id, false).await.unwrap());
}

fn account(name: &str) -> Account {
    Account {
        name: name.into(),
        role: Role::Counselor,
        password_hash: "x".into(),
    }
}

#[tokio::test]
async fn a_failing_write_is_rolled_back_without_undoing_the_rest_of_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    // Hold the writer inside a first batch so the next three writes queue up and are
    // taken as one batch.
    let (release, held) = mpsc::channel::<()>();
    let blocker = store.write(move |_| {
        held.recv().ok();
        Ok(())
    });
    let failing = store.write(|c| {
        insert_account(c, &account("half"), 0)?;
        Err::<(), _>(StoreError::Corrupt("fails after writing".into()))
    });
    let (blocked, first, failed, second, ()) = tokio::join!(
        blocker,
        store.add_account(account("an"), 0),
        failing,
        store.add_account(account("bo"), 0),
        async { release.send(()).unwrap() },
    );
    blocked.unwrap();
    first.unwrap();
    second.unwrap();
    assert!(matches!(failed, Err(StoreError::Corrupt(_))));
    assert!(store.account("an".into()).await.unwrap().is_some());
    assert!(store.account("bo".into()).await.unwrap().is_some());
    assert!(store.account("half".into()).await.unwrap().is_none());
}

#[tokio::test]
async fn duplicate_account_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    let acc = account("an");
    store.add_account(acc.clone(), 0).await.unwrap();
    assert!(matches!(
        store.add_account(acc, 0).await,
        Err(StoreError::AccountExists(_))
    ));
}
