//! Anonymised transcripts for team consultation (`chathulp-relay export --anonymise`).
//!
//! A transcript lists only the service, the times, and each message's sender role and
//! time, with its text passed through [`crate::scrub`]. The nickname, the intake, the
//! counselor's account and the visitor's address are never written. Every export is
//! recorded in the audit log.

use std::fmt::Write as _;

use chathulp_shared::{ConversationId, Party};

use crate::store::{AuditEntry, Store, StoreError};

/// Transcripts of `conversations`, anonymised, as plain text; records one audit row per
/// conversation for `actor`. Unknown ids are reported as such in the text.
pub async fn anonymised(
    store: &Store,
    conversations: Vec<ConversationId>,
    tz: &jiff::tz::TimeZone,
    actor: &str,
    now_ms: i64,
) -> Result<String, StoreError> {
    let mut out = String::new();
    for id in conversations {
        let Some(record) = store.conversation(id.clone()).await? else {
            let _ = writeln!(
                out,
                "# {id}: no such conversation (purged, or never existed)\n"
            );
            continue;
        };
        let messages = store.messages(id.clone()).await?;
        let _ = writeln!(
            out,
            "# Gesprek {id} · {} · {} – {}",
            record.service,
            local(record.started_at_ms.unwrap_or(record.queued_at_ms), tz),
            record
                .ended_at_ms
                .map(|ms| local(ms, tz))
                .unwrap_or_default()
        );
        for m in messages {
            let who = match m.from {
                Party::Visitor => "bezoeker",
                Party::Counselor => "hulpverlener",
                Party::Relay => "chat",
            };
            let text = crate::scrub::scrub(&m.text, &record.nickname);
            let _ = writeln!(out, "[{}] {who}: {text}", local(m.at_ms, tz));
        }
        out.push('\n');
        store
            .audit(
                AuditEntry {
                    actor: actor.to_owned(),
                    action: "export_anonymised",
                    conversation: Some(id),
                    reason: "team consultation".to_owned(),
                    decision: None,
                },
                now_ms,
            )
            .await?;
    }
    Ok(out)
}

fn local(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| ms.to_string())
}
