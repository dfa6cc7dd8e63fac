//! Decoding a received text frame into a typed request.
//!
//! Decoding distinguishes three failures, because a client author needs to know which
//! one they hit: not a JSON object with a string `type` ([`ErrorCode::BadFrame`]), a
//! `type` this endpoint does not know ([`ErrorCode::UnknownType`]), and a known type with
//! missing or wrongly typed fields ([`ErrorCode::BadFrame`], naming the field).

use serde::de::DeserializeOwned;

use crate::common::{ErrorCode, ErrorReply};

/// A request enum that can be decoded from a frame. `TYPES` lists its `type` tags.
pub trait Decode: DeserializeOwned {
    const TYPES: &'static [&'static str];
}

/// Decodes one text frame.
pub fn decode<T: Decode>(text: &str) -> Result<T, ErrorReply> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ErrorReply::new(ErrorCode::BadFrame, format!("not valid JSON: {e}")))?;
    let Some(kind) = value
        .get("type")
        .and_then(|t| t.as_str())
        .map(str::to_owned)
    else {
        return Err(ErrorReply::new(
            ErrorCode::BadFrame,
            "expected a JSON object with a string field \"type\"",
        ));
    };
    if !T::TYPES.contains(&kind.as_str()) {
        return Err(ErrorReply::new(
            ErrorCode::UnknownType,
            format!(
                "unknown message type {:?}; this endpoint accepts: {}",
                truncate(&kind, 40),
                T::TYPES.join(", ")
            ),
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        ErrorReply::new(
            ErrorCode::BadFrame,
            format!("invalid {kind:?} message: {e}"),
        )
    })
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::StaffRequest;
    use crate::visitor::{VisitorEvent, VisitorRequest};
    use crate::{ChatMessage, Party};

    #[test]
    fn malformed_json_unknown_type_and_missing_field_are_told_apart() {
        let e = decode::<VisitorRequest>("{not json").unwrap_err();
        assert_eq!(e.code, ErrorCode::BadFrame);
        let e = decode::<VisitorRequest>("[1,2]").unwrap_err();
        assert_eq!(e.code, ErrorCode::BadFrame);
        let e = decode::<VisitorRequest>(r#"{"type":"take"}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownType);
        let e = decode::<VisitorRequest>(r#"{"type":"send","text":"hoi"}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadFrame);
        assert!(e.message.contains("client_id"), "{}", e.message);
    }

    #[test]
    fn every_listed_type_decodes_from_its_documented_example() {
        let hello = r#"{"type":"hello","protocol":1,"service":"caw","nickname":"Sam",
            "intake":{"age":17,"region":"limburg","gender":"x"}}"#;
        assert!(matches!(
            decode::<VisitorRequest>(hello),
            Ok(VisitorRequest::Hello { .. })
        ));
        let bare = r#"{"type":"hello","protocol":1,"service":"jac","nickname":"Sam"}"#;
        assert!(matches!(
            decode::<VisitorRequest>(bare),
            Ok(VisitorRequest::Hello { .. })
        ));
        for t in ["typing", "end"] {
            assert!(decode::<VisitorRequest>(&format!(r#"{{"type":"{t}"}}"#)).is_ok());
        }
        let take = r#"{"type":"take","service":"caw"}"#;
        assert!(matches!(
            decode::<StaffRequest>(take),
            Ok(StaffRequest::Take {
                conversation: None,
                ..
            })
        ));
    }

    #[test]
    fn error_event_serialises_flat_with_its_type_tag() {
        let ev = VisitorEvent::Error(ErrorReply::new(ErrorCode::TooLarge, "too big"));
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["type"], "error");
        assert_eq!(json["code"], "too_large");
        let msg = VisitorEvent::Message {
            message: ChatMessage {
                seq: 3,
                from: Party::Counselor,
                text: "Dag".into(),
                at_ms: 1,
            },
        };
        let json = serde_json::to_value(&msg).unwrap();
        assert_eq!(json["message"]["from"], "counselor");
    }
}
