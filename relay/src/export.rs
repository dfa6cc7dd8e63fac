//! Transcripts out of the relay (`chathulp-relay export`).
//!
//! - **Anonymised**, for team consultation: only the service, the times, and each
//!   message's sender role and time, with its text passed through [`crate::scrub`] (the
//!   nickname, the names the counselor tagged and the names the finder finds become
//!   `[naam 1]`, `[naam 2]`, …, one number per person in a transcript; contact details
//!   become `[e-mail]`, `[telefoon]`, …). The nickname, the intake, the counselor's
//!   account, the tagged names and the visitor's address are never written.
//! - **For the dossier**: one conversation in full (nickname, intake, counselor, text),
//!   with a reason, and refused when the visitor refused a dossier. Never the address.
//!
//! Every export is recorded in the audit log, one row per conversation.

use std::fmt::Write as _;

use chathulp_shared::{ConversationId, Party};

use crate::store::{AuditEntry, ConversationRecord, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no conversation {0} (purged, or never existed)")]
    NotFound(ConversationId),
    #[error(
        "the visitor of conversation {0} refused a dossier; it can only be exported anonymised"
    )]
    DossierRefused(ConversationId),
}

/// Transcripts of `conversations`, anonymised, as plain text; records one audit row per
/// conversation for `actor`. Unknown ids are reported as such in the text.
pub async fn anonymised(
    store: &Store,
    conversations: Vec<ConversationId>,
    tz: &jiff::tz::TimeZone,
    actor: &str,
    now_ms: i64,
) -> Result<String, ExportError> {
    let mut out = String::new();
    for id in conversations {
        let Some(record) = store.conversation(id.clone()).await? else {
            let _ = writeln!(out, "# {}\n", ExportError::NotFound(id));
            continue;
        };
        let messages = store.messages(id.clone()).await?;
        let tagged = store.tagged_names(id.clone()).await?;
        let _ = writeln!(out, "# Gesprek {id} · {}", times(&record, tz));
        for (at_ms, from, text) in anonymise(&record, &tagged, &messages) {
            let _ = writeln!(
                out,
                "[{}] {}: {}",
                local(at_ms, tz),
                sender(from),
                printable(&text)
            );
        }
        out.push('\n');
        audit(
            store,
            actor,
            "export_anonymised",
            id,
            "team consultation",
            now_ms,
        )
        .await?;
    }
    Ok(out)
}

/// The messages of one conversation anonymised, in order: (time, sender, text). The same
/// person keeps one number across the transcript. Used by the export and by the
/// counselor's preview (`anonymised_preview`).
pub fn anonymise(
    record: &ConversationRecord,
    tagged: &[String],
    messages: &[chathulp_shared::ChatMessage],
) -> Vec<(i64, Party, String)> {
    let mut anonymiser =
        crate::scrub::Anonymiser::new(&record.nickname, tagged.iter().map(String::as_str));
    messages
        .iter()
        .map(|m| (m.at_ms, m.from, anonymiser.scrub(&m.text)))
        .collect()
}

/// One conversation in full for the organisation's dossier, with `reason` in the audit
/// log. Refused when the visitor refused a dossier.
pub async fn for_dossier(
    store: &Store,
    id: ConversationId,
    tz: &jiff::tz::TimeZone,
    actor: &str,
    reason: &str,
    now_ms: i64,
) -> Result<String, ExportError> {
    let record = store
        .conversation(id.clone())
        .await?
        .ok_or_else(|| ExportError::NotFound(id.clone()))?;
    if record.no_dossier {
        return Err(ExportError::DossierRefused(id));
    }
    let messages = store.messages(id.clone()).await?;
    let mut out = String::new();
    let _ = writeln!(out, "# Gesprek {id} · {}", times(&record, tz));
    let _ = writeln!(out, "# nickname: {}", printable(&record.nickname));
    let _ = writeln!(
        out,
        "# intake: {}",
        serde_json::to_string(&record.intake).unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "# hulpverlener: {}",
        record.counselor.as_deref().unwrap_or("-")
    );
    for m in messages {
        let _ = writeln!(
            out,
            "[{}] {}: {}",
            local(m.at_ms, tz),
            sender(m.from),
            printable(&m.text)
        );
    }
    audit(store, actor, "export_dossier", id, reason, now_ms).await?;
    Ok(out)
}

async fn audit(
    store: &Store,
    actor: &str,
    action: &'static str,
    conversation: ConversationId,
    reason: &str,
    now_ms: i64,
) -> Result<(), StoreError> {
    let entry = AuditEntry {
        actor: actor.to_owned(),
        action,
        conversation: Some(conversation),
        reason: reason.to_owned(),
        decision: None,
    };
    store.audit(entry, now_ms).await
}

/// Visitor text as inert plain text: an export is read in terminals and editors, so
/// control characters (ESC, BEL, ...) and bidi overrides become visible `\u{..}` escapes,
/// a backslash the visitor typed becomes `\\` (so typed `\u{1b}` reads `\\u{1b}`, never
/// like an escaped ESC), and a line break in a message continues on an indented line.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\n    "),
            '\t' => out.push(' '),
            c if c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&c.escape_unicode().to_string());
            }
            c => out.push(c),
        }
    }
    out
}

fn sender(from: Party) -> &'static str {
    match from {
        Party::Visitor => "bezoeker",
        Party::Counselor => "hulpverlener",
        Party::Relay => "chat",
    }
}

fn times(record: &ConversationRecord, tz: &jiff::tz::TimeZone) -> String {
    format!(
        "{} · {} – {}",
        record.service,
        local(record.started_at_ms.unwrap_or(record.queued_at_ms), tz),
        record
            .ended_at_ms
            .map(|ms| local(ms, tz))
            .unwrap_or_default()
    )
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

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn exported_text_carries_no_control_or_bidi_characters() {
        let out = printable("Hallo\u{1b}]0;pwned\u{7} \u{202e}evil\r\ntwee");
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
        assert!(!out.contains('\u{202e}'), "{out:?}");
        assert_eq!(
            out,
            "Hallo\\u{1b}]0;pwned\\u{7} \\u{202e}evil\\u{d}\n    twee"
        );
    }

    #[test]
    fn a_typed_backslash_is_escaped_so_it_never_reads_like_an_escape() {
        let typed = printable("ik typte \\u{1b} en c:\\map");
        let real = printable("ik typte \u{1b} en c:\\map");
        assert_eq!(typed, "ik typte \\\\u{1b} en c:\\\\map");
        assert_eq!(real, "ik typte \\u{1b} en c:\\\\map");
        assert_ne!(typed, real);
    }
}
