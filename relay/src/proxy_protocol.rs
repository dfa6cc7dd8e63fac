//! The PROXY protocol v2 header (HAProxy's `send-proxy-v2`), read before the TLS
//! handshake on connections from `[web] proxy_protocol_from`. Behind a load balancer in
//! TLS passthrough every connection comes from the balancer; the header carries the
//! visitor's address, so blocks and the per-network limits apply to the visitor again.
//! Parsing is the `ppp` crate's; this module only reads exactly the header's bytes off
//! the socket, so the TLS bytes behind it stay unread.

use std::net::SocketAddr;

use ppp::v2::{Addresses, Command, Header};
use tokio::io::AsyncReadExt;

/// The fixed part of a v2 header: the 12-byte signature, version and command, family
/// and protocol, and the length of the rest.
const FIXED: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum ProxyHeaderError {
    #[error("reading the PROXY header: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a PROXY protocol v2 header: {0}")]
    Invalid(String),
}

/// Reads one v2 header from `stream`. `Some(address)`: the connection is on behalf of
/// that client (TCP over IPv4 or IPv6). `None`: the balancer speaks for itself (a
/// `LOCAL` health check) or names no address; the TCP peer stands.
pub async fn read<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
) -> Result<Option<SocketAddr>, ProxyHeaderError> {
    let mut bytes = vec![0u8; FIXED];
    stream.read_exact(&mut bytes).await?;
    if bytes[..12] != ppp::v2::PROTOCOL_PREFIX[..] {
        return Err(ProxyHeaderError::Invalid("no v2 signature".into()));
    }
    let rest = u16::from_be_bytes([bytes[14], bytes[15]]) as usize;
    bytes.resize(FIXED + rest, 0);
    stream.read_exact(&mut bytes[FIXED..]).await?;
    let header =
        Header::try_from(&bytes[..]).map_err(|e| ProxyHeaderError::Invalid(e.to_string()))?;
    if header.command == Command::Local {
        return Ok(None);
    }
    Ok(match header.addresses {
        Addresses::IPv4(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        Addresses::IPv6(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        Addresses::Unspecified | Addresses::Unix(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(command: u8, body: &[u8]) -> Vec<u8> {
        let mut h = Vec::from(ppp::v2::PROTOCOL_PREFIX);
        h.push(command);
        h.push(0x11); // TCP over IPv4
        h.extend((body.len() as u16).to_be_bytes());
        h.extend(body);
        h
    }

    const IPV4: [u8; 12] = [203, 0, 113, 7, 127, 0, 0, 1, 0xd4, 0x31, 0x20, 0xfb];

    #[tokio::test]
    async fn a_proxied_connection_carries_the_clients_address_and_leaves_the_rest_unread() {
        let mut bytes = header(0x21, &IPV4);
        bytes.extend(b"\x16\x03\x01 TLS client hello");
        let mut stream = &bytes[..];
        let addr = read(&mut stream).await.unwrap();
        assert_eq!(addr, Some("203.0.113.7:54321".parse().unwrap()));
        assert_eq!(stream, b"\x16\x03\x01 TLS client hello");
    }

    #[tokio::test]
    async fn a_local_health_check_keeps_the_tcp_peer() {
        let bytes = header(0x20, &IPV4);
        assert_eq!(read(&mut &bytes[..]).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_connection_without_a_header_is_refused() {
        let bytes = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 a TLS client hello".to_vec();
        assert!(matches!(
            read(&mut &bytes[..]).await,
            Err(ProxyHeaderError::Invalid(_))
        ));
        let v1 = b"PROXY TCP4 203.0.113.7 127.0.0.1 54321 8443\r\n".to_vec();
        assert!(read(&mut &v1[..]).await.is_err());
    }
}
