//! `chathulp-relay reveal|block|audit|export` against the database of a running relay:
//! a decision made on the command line reaches the counselor on the next housekeeping
//! tick, and `audit` notices a row changed behind its back. `vault rotate` against a
//! stopped relay's data folder: refused while the relay runs, and afterwards the relay
//! still reveals and blocks the same address under the new key.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Output};

use chathulp_relay::Config;
use chathulp_relay::store::Location;
use chathulp_relay::vault::Vault;
use chathulp_tests::{Client, TestRelay};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_chathulp-relay");

fn cli(relay: &TestRelay, args: &[&str]) -> Output {
    cli_in(&relay.data_dir, &relay.store_env(), args)
}

/// Runs the relay binary on `data_dir`, with `env` naming the store (see
/// `TestRelay::store_env`).
fn cli_in(data_dir: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("USER", "beheerder")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// The sealed address and its hash as stored for `conversation`, and the hash of its
/// block, read straight from the database file.
async fn stored_address(
    relay: &TestRelay,
    conversation: &str,
) -> anyhow::Result<(Vec<u8>, String, String)> {
    let id = chathulp_shared::ConversationId(conversation.to_owned());
    let sealed = relay
        .broker
        .store()
        .sealed_address(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no sealed address"))?;
    let hash = relay
        .query_value(
            "SELECT ip_hash FROM visitor_addresses WHERE conversation = $1",
            &[conversation],
        )
        .await?;
    let block = relay
        .query_value(
            "SELECT ip_hash FROM blocks WHERE conversation = $1",
            &[conversation],
        )
        .await?;
    let text = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    Ok((sealed, text(hash), text(block)))
}

/// `reveal approve ID` on the command line, then the counselor's `reveal` frame after the
/// next tick, checked to say "approved".
async fn approve_on_the_command_line(
    relay: &TestRelay,
    request: u64,
    counselor: &mut Client,
) -> anyhow::Result<serde_json::Value> {
    let approve = cli(
        relay,
        &[
            "reveal",
            "approve",
            &request.to_string(),
            "--reason",
            "bevestigd",
        ],
    );
    assert!(approve.status.success(), "{approve:?}");
    relay.broker.tick().await?;
    let reveal = counselor.expect("reveal").await?;
    assert_eq!(reveal["request"]["state"], "approved");
    Ok(reveal)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A visitor from 127.0.0.77 taken by `an`, who writes identifying details.
async fn conversation(relay: &TestRelay, an: &mut Client) -> anyhow::Result<(Client, String)> {
    conversation_with(relay, an, false).await
}

/// [`conversation`], with the visitor refusing a dossier or not.
async fn conversation_with(
    relay: &TestRelay,
    an: &mut Client,
    no_dossier: bool,
) -> anyhow::Result<(Client, String)> {
    let mut visitor = relay
        .visitor_from(Ipv4Addr::new(127, 0, 0, 77), None)
        .await?;
    visitor
        .send(
            json!({"type":"hello","protocol":1,"service":"caw","nickname":"Noor",
                     "intake":{"age":16,"region":"oost_vlaanderen"},"no_dossier":no_dossier}),
        )
        .await?;
    visitor.expect("welcome").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    let id = an.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    visitor
        .send(json!({"type":"send","client_id":"v1",
                     "text":"Ik ben Noor, bel me op 0470 12 34 56 of mail noor@example.be"}))
        .await?;
    visitor.expect("ack").await?;
    Ok((visitor, id))
}

#[tokio::test]
async fn a_reveal_approved_on_the_command_line_reaches_the_counselor_on_the_next_tick()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let (_visitor, id) = conversation(&relay, &mut an).await?;
    an.send(json!({"type":"request_reveal","conversation":id,"reason":"levensgevaar"}))
        .await?;
    let id_of_request = an.expect("reveal").await?["request"]["id"]
        .as_u64()
        .unwrap();

    let list = cli(&relay, &["reveal", "list"]);
    assert!(list.status.success());
    assert!(stdout(&list).contains("levensgevaar"), "{}", stdout(&list));
    assert!(!stdout(&list).contains("127.0.0.77"));

    let blank = cli(
        &relay,
        &[
            "reveal",
            "approve",
            &id_of_request.to_string(),
            "--reason",
            " ",
        ],
    );
    assert!(!blank.status.success(), "a reason is required");
    let reveal = approve_on_the_command_line(&relay, id_of_request, &mut an).await?;
    assert_eq!(reveal["request"]["decided_by"], "cli:beheerder");
    assert_eq!(reveal["ip"], "127.0.0.77");

    let audit = cli(&relay, &["audit"]);
    assert!(audit.status.success(), "{audit:?}");
    assert!(stdout(&audit).contains("Audit chain intact: 2 rows."));
    assert!(!stdout(&audit).contains("127.0.0.77"));
    relay.stop().await
}

#[tokio::test]
async fn audit_fails_and_names_the_row_after_tampering() -> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let (_visitor, id) = conversation(&relay, &mut an).await?;
    for reason in ["eerste", "tweede", "derde"] {
        an.send(json!({"type":"request_reveal","conversation":id,"reason":reason}))
            .await?;
        an.expect("reveal").await?;
    }
    assert!(cli(&relay, &["audit"]).status.success());

    // The table refuses updates; someone with the database can drop the trigger first.
    match &relay.location {
        Location::Sqlite(path) => {
            let db = rusqlite::Connection::open(path)?;
            assert!(
                db.execute("UPDATE audit_log SET reason = 'x' WHERE seq = 2", [])
                    .is_err()
            );
            db.execute_batch(
                "DROP TRIGGER audit_log_append_only;
                 UPDATE audit_log SET reason = 'niets aan de hand' WHERE seq = 2;",
            )?;
        }
        Location::Postgres(url) => {
            let (db, connection) = chathulp_relay::store::testing::connect(url).await?;
            tokio::spawn(connection);
            assert!(
                db.batch_execute("UPDATE audit_log SET reason = 'x' WHERE seq = 2")
                    .await
                    .is_err()
            );
            db.batch_execute(
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
                 UPDATE audit_log SET reason = 'niets aan de hand' WHERE seq = 2;",
            )
            .await?;
        }
    }
    let audit = cli(&relay, &["audit"]);
    assert!(!audit.status.success());
    let stderr = String::from_utf8_lossy(&audit.stderr);
    assert!(stderr.contains("broken at row 2"), "{stderr}");
    relay.stop().await
}

#[tokio::test]
async fn an_anonymised_export_holds_no_nickname_intake_address_or_contact_details()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let (_visitor, id) = conversation(&relay, &mut an).await?;
    an.send(json!({"type":"end","conversation":id})).await?;
    an.expect("ended").await?;

    let refused = cli(&relay, &["export", "--conversation", &id]);
    assert!(!refused.status.success(), "only anonymised exports exist");
    for args in [
        vec!["export", "--conversation", id.as_str(), "--anonymise"],
        vec!["export", "--since", "2026-11-01", "--anonymise"],
    ] {
        let out = cli(&relay, &args);
        assert!(out.status.success(), "{out:?}");
        let text = stdout(&out);
        assert!(
            text.contains("bezoeker: Ik ben [naam 1], bel me op [telefoon] of mail [e-mail]"),
            "{text}"
        );
        for secret in [
            "Noor",
            "0470",
            "example.be",
            "oost_vlaanderen",
            "127.0.0.77",
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        // Nor the counselor's account name.
        assert!(
            !text.split_whitespace().any(|w| w.trim_matches(':') == "an"),
            "{text}"
        );
    }
    let rows = relay.broker.store().audit_log().await?;
    assert_eq!(
        rows.iter()
            .filter(|r| r.action == "export_anonymised")
            .count(),
        2
    );
    relay.stop().await
}

#[tokio::test]
async fn a_dossier_export_is_full_audited_and_refused_when_the_visitor_refused_a_dossier()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let (_agreed, agreed) = conversation_with(&relay, &mut an, false).await?;
    let (_refused, refused) = conversation_with(&relay, &mut an, true).await?;

    let no_reason = cli(&relay, &["export", "--conversation", &agreed, "--dossier"]);
    assert!(!no_reason.status.success(), "a reason is required");
    let out = cli(
        &relay,
        &[
            "export",
            "--conversation",
            &agreed,
            "--dossier",
            "--reason",
            "dossieropbouw",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("# nickname: Noor"), "{text}");
    assert!(text.contains("oost_vlaanderen"), "{text}");
    assert!(text.contains("bel me op 0470 12 34 56"), "{text}");
    assert!(!text.contains("127.0.0.77"), "never the address: {text}");

    let out = cli(
        &relay,
        &[
            "export",
            "--conversation",
            &refused,
            "--dossier",
            "--reason",
            "dossieropbouw",
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused a dossier"), "{stderr}");
    assert!(stdout(&out).is_empty());

    let rows = relay.broker.store().audit_log().await?;
    let dossier: Vec<_> = rows
        .iter()
        .filter(|r| r.action == "export_dossier")
        .collect();
    assert_eq!(dossier.len(), 1, "only the export that happened");
    assert_eq!(dossier[0].conversation.as_deref(), Some(agreed.as_str()));
    assert_eq!(dossier[0].reason, "dossieropbouw");
    relay.stop().await
}

#[tokio::test]
async fn names_tagged_during_the_chat_are_scrubbed_from_the_anonymised_export() -> anyhow::Result<()>
{
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let mut bo = relay.staff("bo").await?;
    let (mut visitor, id) = conversation(&relay, &mut an).await?;
    visitor
        .send(json!({"type":"send","client_id":"v2",
                     "text":"Mijn broer Jonas Peeters en zijn vriendin mila weten het, Milan niet"}))
        .await?;
    visitor.expect("ack").await?;
    for name in ["Jonas Peeters", "Mila"] {
        an.send(json!({"type":"tag_name","conversation":id,"name":name}))
            .await?;
        an.expect("names_tagged").await?;
    }
    // Another counselor can't add names to it.
    bo.send(json!({"type":"tag_name","conversation":id,"name":"Milan"}))
        .await?;
    assert_eq!(bo.expect("error").await?["code"], "not_found");
    an.send(json!({"type":"end","conversation":id})).await?;
    an.expect("ended").await?;

    let out = cli(&relay, &["export", "--conversation", &id, "--anonymise"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    // Noor is the first person in the transcript; Milan nobody tagged, the finder found.
    assert!(
        text.contains(
            "bezoeker: Mijn broer [naam 2] en zijn vriendin [naam 3] weten het, [naam 4] niet"
        ),
        "{text}"
    );
    assert!(
        text.contains("bezoeker: Ik ben [naam 1], bel me op [telefoon]"),
        "{text}"
    );
    for secret in ["Jonas", "Peeters", "mila", "Mila", "Milan"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    relay.stop().await
}

#[tokio::test]
async fn untagged_names_written_out_contacts_and_typed_escapes_are_made_safe_in_the_export()
-> anyhow::Result<()> {
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let (mut visitor, id) = conversation(&relay, &mut an).await?;
    for (n, text) in [
        "mijn vriendin yasmine el idrissi zegt dat ik moet mailen naar mila[at]gmail[dot]com",
        "of snap: mila_x06, en bel niet naar 0470/98.76.54 maar yasmine weet het",
        "ik typte \\u{1b} en echt \u{1b}",
    ]
    .into_iter()
    .enumerate()
    {
        visitor
            .send(json!({"type":"send","client_id":format!("w{n}"),"text":text}))
            .await?;
        visitor.expect("ack").await?;
    }
    an.send(json!({"type":"end","conversation":id})).await?;
    an.expect("ended").await?;

    let out = cli(&relay, &["export", "--conversation", &id, "--anonymise"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    for line in [
        "bezoeker: mijn vriendin [naam 2] zegt dat ik moet mailen naar [e-mail]",
        "bezoeker: of snap: [account], en bel niet naar [telefoon] maar [naam 2] weet het",
        // The visitor's own backslash is doubled; a real ESC is the only single one.
        "bezoeker: ik typte \\\\u{1b} en echt \\u{1b}",
    ] {
        assert!(text.contains(line), "{line:?} not in {text}");
    }
    for secret in ["yasmine", "idrissi", "mila", "gmail", "0470", "98.76"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    relay.stop().await
}

#[tokio::test]
async fn vault_rotate_reseals_so_the_same_address_stays_blocked_and_revealable()
-> anyhow::Result<()> {
    let source = Ipv4Addr::new(127, 0, 0, 91);
    let hello = json!({"type":"hello","protocol":1,"service":"caw","nickname":"Rik"});
    let relay = TestRelay::start().await?;
    let mut an = relay.staff("an").await?;
    let mut visitor = relay.visitor_from(source, None).await?;
    visitor.send(hello.clone()).await?;
    visitor.expect("welcome").await?;
    an.send(json!({"type":"take","service":"caw"})).await?;
    let id = an.expect("conversation").await?["conversation"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    an.send(json!({"type":"request_reveal","conversation":id,"reason":"levensgevaar"}))
        .await?;
    let request = an.expect("reveal").await?["request"]["id"]
        .as_u64()
        .unwrap_or_default();
    an.send(json!({"type":"block","conversation":id,"reason":"bedreigingen"}))
        .await?;
    an.expect("blocked").await?;

    // Not under a running relay: it holds the key.
    let refused = cli(&relay, &["vault", "rotate"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("stop the relay"),
        "{}",
        stderr(&refused)
    );

    let key_path = relay.data_dir.join("vault.key");
    let old_key = std::fs::read_to_string(&key_path)?;
    let (sealed_before, hash_before, _) = stored_address(&relay, &id).await?;
    drop((an, visitor));
    let mut rotated = None;
    let env = relay.store_env();
    let relay = relay
        .restart_after(Config::default(), |dir| {
            rotated = Some(cli_in(dir, &env, &["vault", "rotate"]));
            Ok(())
        })
        .await?;
    let rotated = rotated.expect("rotate ran");
    assert!(rotated.status.success(), "{rotated:?}");
    let report = stdout(&rotated);
    for line in [
        "addresses re-sealed with the new key: 1",
        "blocks carried over to the new hashes: 1",
        "addresses the old key could not open: 0",
        "blocks in force that could not be carried over: 0",
    ] {
        assert!(report.contains(line), "{line:?} not in {report}");
    }

    // A new key, private; the old one kept beside it, private, and nothing half-done.
    let new_key = std::fs::read_to_string(&key_path)?;
    assert_ne!(new_key, old_key);
    assert_eq!(mode(&key_path), 0o600);
    let kept: Vec<_> = std::fs::read_dir(&relay.data_dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("vault.key.old-"))
        })
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read_to_string(&kept[0])?, old_key);
    assert_eq!(mode(&kept[0]), 0o600);
    assert!(report.contains(&kept[0].display().to_string()), "{report}");
    assert!(!relay.data_dir.join("vault.key.new").exists());

    // The stored bytes changed: the old key no longer opens them, the new one does, and
    // the block carries the address's new hash.
    let (sealed_after, hash_after, block_hash) = stored_address(&relay, &id).await?;
    assert_ne!(sealed_after, sealed_before);
    assert_ne!(hash_after, hash_before);
    assert_eq!(block_hash, hash_after);
    let old_dir = tempfile::tempdir()?;
    let old_file = old_dir.path().join("vault.key");
    std::fs::write(&old_file, &old_key)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&old_file, std::fs::Permissions::from_mode(0o600))?;
    }
    let old_vault = Vault::open(old_dir.path())?;
    assert_eq!(old_vault.unseal(&sealed_before)?.disclose(), "127.0.0.91");
    assert!(
        old_vault.unseal(&sealed_after).is_err(),
        "old key still opens it"
    );
    let new_vault = Vault::open(&relay.data_dir)?;
    assert_eq!(new_vault.unseal(&sealed_after)?.disclose(), "127.0.0.91");

    // The restarted relay: the same address is still blocked, another is not.
    let mut an = relay.staff("an").await?;
    let mut again = relay.visitor_from(source, None).await?;
    again.send(hello.clone()).await?;
    let refused = again.next().await?;
    assert_eq!(refused["code"], "blocked", "{refused}");
    let mut other = relay
        .visitor_from(Ipv4Addr::new(127, 0, 0, 92), None)
        .await?;
    other.send(hello).await?;
    other.expect("welcome").await?;

    // And the reveal filed before the rotation still shows the address once approved.
    let reveal = approve_on_the_command_line(&relay, request, &mut an).await?;
    assert_eq!(reveal["ip"], "127.0.0.91");

    let audit = cli(&relay, &["audit"]);
    assert!(audit.status.success(), "{audit:?}");
    assert!(
        stdout(&audit).contains("vault_rotated"),
        "{}",
        stdout(&audit)
    );
    assert!(!stdout(&audit).contains("127.0.0.91"));
    relay.stop().await
}
