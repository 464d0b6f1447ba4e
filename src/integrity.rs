//! Integrity rules applied to a vote as it arrives. Flagged votes are recorded but left out of
//! official results until reviewed; the citizen gets the same answer either way, so someone
//! stuffing learns nothing.

use crate::clock::Timestamp;
use crate::token::{KeyRing, Token};
use std::fmt::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Nobody reads who served them, picks a level and presses Send in under this: a vote that
/// fast after the page was served is more likely the employee tapping their own code.
pub const MIN_SECONDS_ON_PAGE: i64 = 3;

const STAMP_CONTEXT: &[u8] = b"civicrate/page-stamp/v1";

/// Why a vote was flagged for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Submitted less than `MIN_SECONDS_ON_PAGE` after its page was served.
    TooFast,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::TooFast => "too_fast",
        }
    }
}

/// The time a vote page was served, signed so it cannot be backdated: `<unix>.<16 hex>`,
/// bound to the code the page was for.
pub struct PageStamp;

impl PageStamp {
    pub fn issue(ring: &KeyRing, token: &Token, at: Timestamp) -> String {
        let seconds = at.unix_seconds();
        let mut out = seconds.to_string();
        out.push('.');
        for b in ring
            .keyed_mac(
                STAMP_CONTEXT,
                format!("{seconds}.{}", token.as_str()).as_bytes(),
            )
            .iter()
            .take(8)
        {
            let _ = write!(out, "{b:02x}");
        }
        out
    }

    /// `Some(Flag::TooFast)` when a genuine stamp shows the vote came too soon. A missing or
    /// forged stamp flags nothing: API votes have none, and the rule targets quick self-votes on
    /// a served page, not scripts (the daily limit and duplicates handle those).
    pub fn check(
        ring: &KeyRing,
        token: &Token,
        stamp: Option<&str>,
        now: Timestamp,
    ) -> Option<Flag> {
        let stamp = stamp?;
        let (seconds, _) = stamp.split_once('.')?;
        let served: i64 = seconds.parse().ok()?;
        if stamp != PageStamp::issue(ring, token, Timestamp::from_unix_seconds(served)) {
            return None;
        }
        (now.unix_seconds() - served < MIN_SECONDS_ON_PAGE).then_some(Flag::TooFast)
    }
}

/// An office network a unit declares, e.g. `192.0.2.0/24` or `2001:db8::/32`. Host bits must
/// be zero, so a typo such as `192.0.2.7/24` is refused rather than silently widened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("`{0}` is not a CIDR range such as 192.0.2.0/24")]
    Malformed(String),
    #[error("`{0}` has bits set after its prefix; did you mean {1}?")]
    HostBitsSet(String, String),
}

impl Cidr {
    /// The most ranges one unit may declare (each is a bound parameter in one D1 statement).
    pub const MAX_PER_UNIT: usize = 50;

    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let s = s.trim();
        let bad = || CidrError::Malformed(s.chars().take(64).collect());
        let (addr, prefix) = s.split_once('/').ok_or_else(bad)?;
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max && !prefix.starts_with('+'))
            .ok_or_else(bad)?;
        let cidr = Cidr { net, prefix };
        let masked = Cidr {
            net: cidr.masked(net),
            prefix,
        };
        if masked.net != net {
            return Err(CidrError::HostBitsSet(s.to_owned(), masked.to_string()));
        }
        Ok(cidr)
    }

    fn masked(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.net.is_ipv4() && self.masked(ip) == self.net
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{Channel, EmployeeId};
    use crate::token::Claims;
    use base64::Engine;

    fn ring() -> KeyRing {
        KeyRing::parse(&format!(
            "1:{}",
            base64::engine::general_purpose::STANDARD.encode([3u8; 32])
        ))
        .unwrap()
    }

    fn token(ring: &KeyRing, employee: i64) -> Token {
        ring.sign(&Claims {
            shard: 0,
            employee: EmployeeId::parse(employee).unwrap(),
            channel: Channel::DESK,
            issue: 1,
        })
    }

    #[test]
    fn a_vote_within_three_seconds_of_the_page_is_flagged() {
        let (r, t) = (ring(), token(&ring(), 1));
        let served = Timestamp::from_unix_seconds(1_000_000);
        let stamp = PageStamp::issue(&r, &t, served);
        assert_eq!(
            PageStamp::check(
                &r,
                &t,
                Some(&stamp),
                Timestamp::from_unix_seconds(1_000_002)
            ),
            Some(Flag::TooFast)
        );
        assert_eq!(
            PageStamp::check(
                &r,
                &t,
                Some(&stamp),
                Timestamp::from_unix_seconds(1_000_003)
            ),
            None
        );
    }

    #[test]
    fn missing_forged_or_foreign_stamps_flag_nothing() {
        let r = ring();
        let (t1, t2) = (token(&r, 1), token(&r, 2));
        let now = Timestamp::from_unix_seconds(1_000_001);
        let stamp = PageStamp::issue(&r, &t1, Timestamp::from_unix_seconds(1_000_000));
        assert_eq!(PageStamp::check(&r, &t1, None, now), None);
        assert_eq!(
            PageStamp::check(&r, &t2, Some(&stamp), now),
            None,
            "bound to its code"
        );
        assert_eq!(
            PageStamp::check(&r, &t1, Some("1000000.0000000000000000"), now),
            None
        );
        assert_eq!(PageStamp::check(&r, &t1, Some("nonsense"), now), None);
    }

    #[test]
    fn cidrs_parse_strictly_and_match_addresses() {
        let net = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(net.contains("192.0.2.77".parse().unwrap()));
        assert!(!net.contains("192.0.3.1".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("192.0.2.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("203.0.113.9".parse().unwrap()));
        assert_eq!(Cidr::parse("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        for bad in [
            "192.0.2.0",
            "192.0.2.0/33",
            "192.0.2.0/-1",
            "192.0.2.0/+8",
            "300.0.0.0/8",
            "x/8",
            "",
            "2001:db8::/129",
        ] {
            assert!(
                matches!(Cidr::parse(bad), Err(CidrError::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Cidr::parse("192.0.2.7/24"),
            Err(CidrError::HostBitsSet(
                "192.0.2.7/24".into(),
                "192.0.2.0/24".into()
            ))
        );
    }
}
