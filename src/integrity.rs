//! Integrity rules applied to a vote as it arrives. Flagged votes are recorded but left out of
//! official results until reviewed; the citizen gets the same answer either way, so someone
//! stuffing learns nothing.

use crate::clock::Timestamp;
use crate::token::{KeyRing, Token};
use std::fmt::Write;

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
}
