//! The audit log's hash chain, the same on every backend.

use sha2::{Digest, Sha256};

use super::{AuditEntry, AuditRow};

/// The `prev_hash` of the very first audit row.
pub(super) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl AuditRow {
    /// SHA-256 over the previous row's hash and this row's canonical content (a JSON
    /// array, so no field can bleed into the next).
    fn expected_hash(&self) -> String {
        let content = serde_json::json!([
            self.seq,
            self.at_ms,
            self.actor,
            self.action,
            self.conversation,
            self.reason,
            self.decision
        ]);
        let mut h = Sha256::new();
        h.update(self.prev_hash.as_bytes());
        h.update(b"\n");
        h.update(content.to_string().as_bytes());
        hex::encode(h.finalize())
    }
}

/// The row that follows `last` (its seq and hash; `None` for an empty log).
pub(super) fn next_row(last: Option<(i64, String)>, at_ms: i64, entry: &AuditEntry) -> AuditRow {
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_owned()),
    };
    let mut row = AuditRow {
        seq,
        at_ms,
        actor: entry.actor.clone(),
        action: entry.action.to_owned(),
        conversation: entry.conversation.as_ref().map(|c| c.0.clone()),
        reason: entry.reason.clone(),
        decision: entry.decision.clone(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row.expected_hash();
    row
}

/// Checks the chain: every row's hash matches its content, and every row names the hash
/// of the row before it. Rows older than `retention.audit_days` are purged, so the first
/// remaining row's `prev_hash` is taken as given. `Err(seq)`: the first row that fails.
pub fn verify_chain(rows: &[AuditRow]) -> std::result::Result<(), i64> {
    let mut prev: Option<&AuditRow> = None;
    for row in rows {
        let linked = match prev {
            Some(p) => row.prev_hash == p.hash && row.seq > p.seq,
            None => true,
        };
        if !linked || row.expected_hash() != row.hash {
            return Err(row.seq);
        }
        prev = Some(row);
    }
    Ok(())
}
