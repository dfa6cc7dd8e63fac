//! Writes a small SQLite database with a row in every table, for the upgrade test
//! (`relay/tests/store_upgrade.rs`). The committed `relay/tests/fixtures/main-2026-12-03.db`
//! was written by this program at commit 373fa9c (before the store had versioned
//! migrations):
//!
//! ```sh
//! cargo run -p chathulp-relay --example store_fixture -- relay/tests/fixtures/main-2026-12-03.db
//! sqlite3 relay/tests/fixtures/main-2026-12-03.db \
//!     'PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE; VACUUM;'
//! ```
//!
//! (the second step folds the WAL into the one file and drops free pages, so the fixture
//! is a single small file; it changes no row). Run on today's code it would write a
//! database with the current schema version instead: keep the committed file as it is.
//!
//! Every value is fixed (times, names, texts), except the sealed address, whose nonce is
//! random: the test checks its length and hash, not its bytes.

use chathulp_relay::store::{Account, AuditEntry, NewConversation, ServiceClosure, Store};
use chathulp_shared::staff::{Handover, InternalNote};
use chathulp_shared::{ConversationId, Intake, Party, Role, ServiceId};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: store_fixture OUT.db"))?;
    let store = Store::open(std::path::Path::new(&path))?;
    for (name, role) in [
        ("an", Role::Counselor),
        ("bo", Role::Counselor),
        ("sup", Role::Supervisor),
        ("adm", Role::Admin),
    ] {
        store
            .add_account(
                Account {
                    name: name.into(),
                    role,
                    password_hash: format!("$argon2id$fixture-{name}"),
                },
                1_000,
            )
            .await?;
    }
    store.set_disabled_blocking("sup", true)?;
    store
        .add_session("a".repeat(64), "an".into(), 4_000_000_000_000)
        .await?;
    store
        .close_service(ServiceClosure {
            service: ServiceId("jac".into()),
            reason: "opleiding".into(),
            closed_by: "adm".into(),
            closed_at_ms: 2_000,
        })
        .await?;
    for (i, id) in ["c1", "c2", "c3"].into_iter().enumerate() {
        let at = 10_000 * (i as i64 + 1);
        store
            .create_conversation(NewConversation {
                id: ConversationId(id.into()),
                service: ServiceId("caw".into()),
                nickname: format!("Sam{i}"),
                intake: Intake {
                    age: Some(17),
                    ..Intake::default()
                },
                no_dossier: i == 2,
                queued_at_ms: at,
                resume_token_sha256: format!("{i}").repeat(64),
                linked_to: (i == 1).then(|| ConversationId("c1".into())),
            })
            .await?;
        // 32 bytes, like a real sealed IPv4 address (12 nonce + 4 + 16 tag).
        store
            .save_address(
                ConversationId(id.into()),
                vec![i as u8; 32],
                "ab".repeat(32),
            )
            .await?;
    }
    let c1 = ConversationId("c1".into());
    let c2 = ConversationId("c2".into());
    store
        .assign_conversation(c1.clone(), "an".into(), 10_500)
        .await?;
    for (n, from) in [Party::Visitor, Party::Counselor, Party::Visitor]
        .into_iter()
        .enumerate()
    {
        store
            .append_message(
                c1.clone(),
                from,
                format!("m{n}"),
                format!("bericht {n} van Jan op 0470 12 34 56"),
                10_600 + n as i64,
            )
            .await?;
    }
    store.set_dossier_candidate(c1.clone(), true).await?;
    store
        .add_note(
            c1.clone(),
            InternalNote {
                author: "an".into(),
                text: "interne nota".into(),
                at_ms: 10_700,
            },
        )
        .await?;
    store
        .tag_name(c1.clone(), "an".into(), "Jan".into(), 20, 10_710)
        .await?;
    let request = store
        .add_reveal_request(c1.clone(), "an".into(), "levensgevaar".into(), 10_800)
        .await?;
    store
        .decide_reveal(request.id, true, "adm".into(), "akkoord".into(), 10_900)
        .await?;
    store
        .add_block(
            c1.clone(),
            "an".into(),
            "misbruik".into(),
            11_000,
            9_000_000_000_000,
        )
        .await?;
    store
        .end_conversation(c1.clone(), Party::Counselor, Some("blocked".into()), 11_100)
        .await?;
    store
        .save_wrap_up(
            c1.clone(),
            "an".into(),
            vec!["relaties".into()],
            "goed gesprek".into(),
            11_200,
        )
        .await?;
    // c2: taken, handed over to bo, still open (restored after a restart).
    store
        .assign_conversation(c2.clone(), "an".into(), 20_500)
        .await?;
    store
        .append_message(
            c2.clone(),
            Party::Visitor,
            "x1".into(),
            "hallo".into(),
            20_600,
        )
        .await?;
    store
        .transfer_conversation(
            c2.clone(),
            "bo".into(),
            Handover {
                from: "an".into(),
                note: "neem jij over?".into(),
                at_ms: 20_700,
            },
        )
        .await?;
    store
        .audit(
            AuditEntry {
                actor: "cli:adm".into(),
                action: "export_anonymised",
                conversation: None,
                reason: "casusbespreking".into(),
                decision: None,
            },
            30_000,
        )
        .await?;
    // c3 stays queued.
    println!("wrote {path}");
    Ok(())
}
