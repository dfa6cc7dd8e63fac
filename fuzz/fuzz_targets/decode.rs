//! Fuzzes the protocol decoder with arbitrary frames, as both endpoints would receive
//! them. It must never panic, and whatever it accepts must encode and decode again to
//! the same request.
#![no_main]

use chathulp_shared::decode;
use chathulp_shared::staff::StaffRequest;
use chathulp_shared::visitor::VisitorRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A WebSocket text frame is UTF-8; the relay never sees anything else here.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(request) = decode::<VisitorRequest>(text) {
        let again = serde_json::to_string(&request).expect("a decoded request encodes");
        assert_eq!(decode::<VisitorRequest>(&again).ok(), Some(request));
    }
    if let Ok(request) = decode::<StaffRequest>(text) {
        let again = serde_json::to_string(&request).expect("a decoded request encodes");
        assert_eq!(decode::<StaffRequest>(&again).ok(), Some(request));
    }
});
