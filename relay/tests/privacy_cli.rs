//! `chathulp-relay reveal|block|audit|export` against the database of a running relay:
//! a decision made on the command line reaches the counselor on the next housekeeping
//! tick, and `audit` notices a row changed behind its back.

use std::net::Ipv4Addr;
use std::process::{Command, Output};

use chathulp_tests::{Client, TestRelay};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_chathulp-relay");

fn cli(relay: &TestRelay, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(&relay.data_dir)
        .args(args)
        .env("USER", "beheerder")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
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
    let approve = cli(
        &relay,
        &[
            "reveal",
            "approve",
            &id_of_request.to_string(),
            "--reason",
            "bevestigd",
        ],
    );
    assert!(approve.status.success(), "{approve:?}");
    relay.broker.tick().await?;
    let reveal = an.expect("reveal").await?;
    assert_eq!(reveal["request"]["state"], "approved");
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

    let db = rusqlite::Connection::open(relay.db_path())?;
    // The table refuses updates; someone with the file can drop the trigger first.
    assert!(
        db.execute("UPDATE audit_log SET reason = 'x' WHERE seq = 2", [])
            .is_err()
    );
    db.execute_batch(
        "DROP TRIGGER audit_log_append_only;
         UPDATE audit_log SET reason = 'niets aan de hand' WHERE seq = 2;",
    )?;
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
            text.contains("bezoeker: Ik ben [naam], bel me op [telefoon] of mail [e-mail]"),
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
