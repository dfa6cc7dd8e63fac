//! Fuzzes what the relay itself decides from an HTTP request head before a WebSocket
//! upgrade: the `Origin` check and the visitor's address behind a trusted proxy
//! (`X-Forwarded-For`), through `chathulp_relay::web::visitor_admission`, plus the
//! parser of `web.trusted_proxies` entries (`forwarded::Network`).
//!
//! Input: the first line is one `trusted_proxies` entry (as an operator would write it in
//! the config); the rest is a request head, parsed with `httparse` (the parser hyper
//! uses) into the same `HeaderMap` the relay's handlers get. Nothing may panic, and:
//! - a parsed network prints as a string that parses back to the same network;
//! - an untrusted peer's address is never replaced by a forwarded one;
//! - behind a trusted proxy the result is the proxy itself or a forwarded address that
//!   is not a trusted proxy;
//! - an admitted request's `Origin` is the relay's own (`https://` + `Host`) or a
//!   configured one.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chathulp_relay::config::WebConfig;
use chathulp_relay::forwarded::Network;
use chathulp_relay::web::visitor_admission;
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

const ALLOWED: &str = "https://www.caw.be";

fuzz_target!(|data: &[u8]| {
    let (first, head) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let mut trusted = vec!["10.0.0.0/8".parse::<Network>().expect("a valid network")];
    if let Ok(text) = std::str::from_utf8(first)
        && let Ok(network) = text.parse::<Network>()
    {
        let printed = String::from(network);
        assert_eq!(
            printed.parse::<Network>(),
            Ok(network),
            "{text:?} → {printed:?}"
        );
        for ip in [
            IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)),
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped()),
        ] {
            let _ = network.contains(ip);
        }
        trusted.push(network);
    }

    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut slots);
    let Ok(httparse::Status::Complete(_)) = request.parse(head) else {
        return;
    };
    let mut headers = HeaderMap::new();
    for h in request.headers.iter() {
        // hyper refuses a head with a name or value `http` can't hold, with 400.
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(h.name.as_bytes()),
            HeaderValue::from_bytes(h.value),
        ) else {
            return;
        };
        headers.append(name, value);
    }
    let web = WebConfig {
        trusted_proxies: trusted.clone(),
        allowed_origins: vec![ALLOWED.to_owned()],
        ..WebConfig::default()
    };
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    let outsider = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
    let proxy = IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3));
    for peer in [outsider, proxy] {
        let Ok(ip) = visitor_admission(&headers, peer, &web) else {
            continue;
        };
        let origin = headers
            .get("origin")
            .and_then(|o| o.to_str().ok())
            .expect("admitted without a readable Origin");
        let host = headers.get("host").and_then(|h| h.to_str().ok());
        let own = origin
            .strip_prefix("https://")
            .zip(host)
            .is_some_and(|(rest, host)| rest.eq_ignore_ascii_case(host));
        assert!(
            own || origin.eq_ignore_ascii_case(ALLOWED),
            "admitted {origin:?}"
        );
        if is_trusted(peer) {
            assert!(ip == peer || !is_trusted(ip), "{ip} is a trusted proxy");
        } else {
            assert_eq!(ip, peer, "an untrusted peer named its own address");
        }
    }
});
