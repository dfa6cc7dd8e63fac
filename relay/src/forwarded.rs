//! Which address a visitor connects from, behind a reverse proxy or not.
//!
//! `X-Forwarded-For` is believed only when the TCP peer is a configured trusted proxy
//! (`web.trusted_proxies`). Otherwise any visitor could name any address (and dodge a
//! block), and with a proxy that isn't listed every visitor would share its address (one
//! block would block everyone). Of the forwarded chain, the right-most address that is
//! not itself a trusted proxy is the visitor: entries to its left were written by the
//! client and can be anything.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::{IpNet, Ipv4Net};

/// One entry of `web.trusted_proxies`: an address, or a network in CIDR form. The
/// network itself is an [`IpNet`]; this type adds the config's string form and keeps
/// IPv4 networks written IPv4-mapped (`::ffff:10.0.0.0/104`) as the IPv4 networks they
/// are, since peers are matched in canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Network(IpNet);

impl std::str::FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not an IP address or CIDR network (e.g. 10.0.0.0/8)");
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr.trim(), Some(prefix.trim())),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let net = match prefix {
            Some(p) => {
                let prefix = p.parse::<u8>().map_err(|_| bad())?;
                IpNet::new(addr, prefix).map_err(|_| bad())?
            }
            None => IpNet::from(addr),
        };
        // An IPv4-mapped network's prefix must shrink with it: kept at 104, the mask of a
        // 32-bit address became empty and the entry trusted every IPv4 peer (found by the
        // fuzz target `http_head`).
        let canonical = match net {
            IpNet::V6(v6) => match v6.addr().to_canonical() {
                IpAddr::V4(v4) => {
                    let prefix = v6.prefix_len().checked_sub(96).ok_or_else(|| {
                        format!(
                            "{s:?}: an IPv4-mapped network needs a prefix of at least 96; \
                             write it as an IPv4 network instead"
                        )
                    })?;
                    IpNet::V4(Ipv4Net::new(v4, prefix).map_err(|_| bad())?)
                }
                IpAddr::V6(_) => net,
            },
            IpNet::V4(_) => net,
        };
        Ok(Self(canonical))
    }
}

impl TryFrom<String> for Network {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Network> for String {
    fn from(n: Network) -> String {
        format!("{}/{}", n.0.addr(), n.0.prefix_len())
    }
}

impl Network {
    /// True if `ip` (in canonical form: IPv4-mapped peers count as IPv4) is in it.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip.to_canonical())
    }
}

/// The visitor's address: the TCP `peer`, or what the trusted proxy in front of us says.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Network]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer.to_canonical();
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|entry| entry.trim().parse::<IpAddr>().ok())
        // An entry we can't read ends the chain: nothing left of it can be trusted.
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(*ip))
        .unwrap_or(peer)
        .to_canonical()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn nets(list: &[&str]) -> Vec<Network> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn xff(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_cannot_spoof_its_address() {
        let got = client_ip(
            ip("198.51.100.9"),
            &xff("203.0.113.5"),
            &nets(&["10.0.0.0/8"]),
        );
        assert_eq!(got, ip("198.51.100.9"));
        let got = client_ip(ip("198.51.100.9"), &xff("203.0.113.5"), &[]);
        assert_eq!(got, ip("198.51.100.9"));
    }

    #[test]
    fn a_trusted_proxy_gives_the_rightmost_untrusted_address() {
        let trusted = nets(&["10.0.0.0/8", "192.0.2.1"]);
        // The client wrote 1.2.3.4 itself; the proxy appended the real peer.
        let got = client_ip(
            ip("10.1.2.3"),
            &xff("1.2.3.4, 203.0.113.5, 192.0.2.1"),
            &trusted,
        );
        assert_eq!(got, ip("203.0.113.5"));
        // No header, or only proxies in it: the peer itself.
        assert_eq!(
            client_ip(ip("10.1.2.3"), &HeaderMap::new(), &trusted),
            ip("10.1.2.3")
        );
        // Garbage in the chain: don't guess.
        assert_eq!(
            client_ip(ip("10.1.2.3"), &xff("203.0.113.5, nonsense"), &trusted),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn networks_parse_and_match() {
        let n: Network = "10.0.0.0/8".parse().unwrap();
        assert!(n.contains(ip("10.255.0.1")));
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.0.0.1")));
        let v6: Network = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:1::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: Network = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("8.8.8.8")));
        assert!("10.0.0.0/33".parse::<Network>().is_err());
        // Found by the fuzz target `http_head`: an IPv4-mapped address kept its IPv6
        // prefix, which made it match every IPv4 address (and panic in debug builds).
        let mapped: Network = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(mapped, "203.0.113.9".parse().unwrap());
        assert!(mapped.contains(ip("203.0.113.9")));
        assert!(!mapped.contains(ip("198.51.100.1")));
        assert_eq!(String::from(mapped).parse::<Network>(), Ok(mapped));
        let mapped: Network = "::ffff:10.0.0.0/104".parse().unwrap();
        assert_eq!(mapped, "10.0.0.0/8".parse().unwrap());
        assert!(!mapped.contains(ip("11.0.0.1")));
        assert!("::ffff:10.0.0.0/95".parse::<Network>().is_err());
        assert!("proxy.local".parse::<Network>().is_err());
    }
}
