//! Property tests of the protocol decoder: every request survives encode → decode
//! unchanged, and no input at all makes the decoder panic (it answers an error instead).

use chathulp_shared::staff::StaffRequest;
use chathulp_shared::visitor::VisitorRequest;
use chathulp_shared::{
    ConversationId, Gender, Intake, Region, Role, ServiceId, SurveyAnswer, decode,
};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, including controls, quotes and backslashes, which JSON must escape.
    any::<String>()
}

fn service() -> impl Strategy<Value = ServiceId> {
    text().prop_map(ServiceId)
}

fn conv() -> impl Strategy<Value = ConversationId> {
    text().prop_map(ConversationId)
}

fn intake() -> impl Strategy<Value = Intake> {
    use Region::*;
    let region = prop::sample::select(vec![
        Antwerpen,
        Limburg,
        OostVlaanderen,
        VlaamsBrabant,
        WestVlaanderen,
        Brussel,
        Elders,
        Undisclosed,
    ]);
    let gender = prop::sample::select(vec![
        Gender::Female,
        Gender::Male,
        Gender::X,
        Gender::Undisclosed,
    ]);
    (
        any::<Option<u8>>(),
        prop::option::of(region),
        prop::option::of(gender),
    )
        .prop_map(|(age, region, gender)| Intake {
            age,
            region,
            gender,
        })
}

fn visitor_request() -> impl Strategy<Value = VisitorRequest> {
    use VisitorRequest as V;
    let answer = (text(), text()).prop_map(|(question, answer)| SurveyAnswer { question, answer });
    prop_oneof![
        (any::<u32>(), service(), text(), intake(), any::<bool>()).prop_map(
            |(protocol, service, nickname, intake, no_dossier)| V::Hello {
                protocol,
                service,
                nickname,
                intake,
                no_dossier,
            }
        ),
        (any::<u32>(), text(), any::<u64>()).prop_map(|(protocol, token, last_seq)| V::Resume {
            protocol,
            token,
            last_seq,
        }),
        (text(), text()).prop_map(|(client_id, text)| V::Send { client_id, text }),
        Just(V::Typing),
        Just(V::End),
        any::<bool>().prop_map(|refuse| V::Dossier { refuse }),
        prop::collection::vec(answer, 0..4).prop_map(|answers| V::Survey { answers }),
    ]
}

fn staff_request() -> impl Strategy<Value = StaffRequest> {
    use StaffRequest as S;
    let role = prop::sample::select(vec![Role::Counselor, Role::Supervisor, Role::Admin]);
    prop_oneof![
        (any::<u32>(), text(), text()).prop_map(|(protocol, user, password)| S::Login {
            protocol,
            user,
            password,
        }),
        (any::<u32>(), text()).prop_map(|(protocol, token)| S::Session { protocol, token }),
        (service(), prop::option::of(conv())).prop_map(|(service, conversation)| S::Take {
            service,
            conversation
        }),
        (conv(), text(), text()).prop_map(|(conversation, client_id, text)| S::Send {
            conversation,
            client_id,
            text,
        }),
        conv().prop_map(|conversation| S::Typing { conversation }),
        conv().prop_map(|conversation| S::End { conversation }),
        (conv(), any::<bool>()).prop_map(|(conversation, candidate)| S::MarkDossier {
            conversation,
            candidate
        }),
        Just(S::Logout),
        (
            conv(),
            any::<u64>(),
            any::<Option<u64>>(),
            any::<Option<u32>>()
        )
            .prop_map(|(conversation, after_seq, before_seq, limit)| S::History {
                conversation,
                after_seq,
                before_seq,
                limit,
            }),
        (service(), text()).prop_map(|(service, reason)| S::CloseService { service, reason }),
        service().prop_map(|service| S::OpenService { service }),
        (conv(), text()).prop_map(|(conversation, reason)| S::RequestReveal {
            conversation,
            reason
        }),
        (any::<u64>(), any::<bool>(), text()).prop_map(|(request, approve, reason)| {
            S::DecideReveal {
                request,
                approve,
                reason,
            }
        }),
        (conv(), text()).prop_map(|(conversation, reason)| S::Block {
            conversation,
            reason
        }),
        Just(S::ListBlocks),
        (any::<u64>(), text()).prop_map(|(block, reason)| S::LiftBlock { block, reason }),
        (conv(), text(), text()).prop_map(|(conversation, to, note)| S::Transfer {
            conversation,
            to,
            note,
        }),
        (conv(), text()).prop_map(|(conversation, text)| S::Note { conversation, text }),
        (conv(), prop::collection::vec(text(), 0..4), text()).prop_map(
            |(conversation, topics, notes)| S::WrapUp {
                conversation,
                topics,
                notes,
            }
        ),
        conv().prop_map(|conversation| S::Watch { conversation }),
        conv().prop_map(|conversation| S::Unwatch { conversation }),
        Just(S::ListAccounts),
        (text(), role).prop_map(|(user, role)| S::CreateAccount { user, role }),
        text().prop_map(|user| S::ResetPassword { user }),
        (text(), any::<bool>())
            .prop_map(|(user, disabled)| S::SetAccountDisabled { user, disabled }),
    ]
}

/// Frames that look like JSON objects with a known or unknown `type`, so the decoder
/// gets past its first checks more often than with purely random text.
fn almost_frame() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["hello", "send", "login", "take", "history", "x", ""]),
        "[\"\\\\{}\\[\\],:0-9a-z ]{0,40}",
    )
        .prop_map(|(kind, rest)| format!(r#"{{"type":"{kind}",{rest}"#))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn visitor_requests_survive_encode_then_decode(req in visitor_request()) {
        let json = serde_json::to_string(&req).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decode::<VisitorRequest>(&json), Ok(req));
    }

    #[test]
    fn staff_requests_survive_encode_then_decode(req in staff_request()) {
        let json = serde_json::to_string(&req).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(decode::<StaffRequest>(&json), Ok(req));
    }

    #[test]
    fn arbitrary_strings_never_panic_the_decoder(s in prop_oneof![any::<String>(), almost_frame()]) {
        let _ = decode::<VisitorRequest>(&s);
        let _ = decode::<StaffRequest>(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_decoder(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        // A WebSocket text frame is UTF-8; feed the decoder what lossy repair leaves.
        let s = String::from_utf8_lossy(&bytes);
        let _ = decode::<VisitorRequest>(&s);
        let _ = decode::<StaffRequest>(&s);
    }
}
