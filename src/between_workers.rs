//! What the citizen worker says to the back office worker besides handing on requests
//! (docs/deploy.md, "Two workers").
//!
//! - A cron run: the citizen worker holds the triggers, the back office does the work. The
//!   back office is reached only through the `BACKOFFICE` service binding; a call also carries
//!   a MAC under the codes' signing key and the moment it was made, so that a request reaching
//!   the back office some other way (a route a city added by mistake) cannot start a run or
//!   replay an old one.
//! - A health check: the two workers keep their secrets apart, and codes the back office
//!   signs must verify in the citizen worker, so `/healthz` compares their key rings.

use crate::token::KeyRing;

/// The back office's path for a cron call. No route has it, and the citizen worker answers
/// every path its route table does not know itself, so a citizen's request never gets here.
pub const PATH: &str = "/__cron";
/// The headers a call carries.
pub const SCHEDULE_HEADER: &str = "x-civicrate-cron";
pub const AT_HEADER: &str = "x-civicrate-cron-at";
pub const MAC_HEADER: &str = "x-civicrate-cron-mac";
/// How far apart the two workers' clocks (in practice the same machine's) and the call's
/// journey may put the two moments, in seconds.
const SKEW_SECONDS: u64 = 300;
/// Cron expressions are short; anything longer is not one of ours.
const MAX_SCHEDULE: usize = 64;
const CONTEXT: &[u8] = b"civicrate/cron-call/v1";

/// A signed call for one run of `schedule` at `at` (unix seconds).
/// The header with which the citizen worker's `/healthz` shows the back office its key ring.
pub const RING_HEADER: &str = "x-civicrate-ring";
const RING_CONTEXT: &[u8] = b"civicrate/ring-check/v1";

/// A fingerprint of a key ring: every key's id and a MAC under it (`KeyRing::ring_mac`). It
/// tells two rings apart, an older key that differs too, and says nothing of the secrets.
pub fn ring_fingerprint(ring: &KeyRing) -> String {
    hex(&ring.ring_mac(RING_CONTEXT))
}

/// Whether a fingerprint the citizen worker sent is this ring's.
pub fn same_ring(ring: &KeyRing, fingerprint: &str) -> bool {
    same(
        ring_fingerprint(ring).as_bytes(),
        fingerprint.trim().as_bytes(),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronCall {
    pub schedule: String,
    pub at: i64,
    pub mac: String,
}

/// Why the back office refused a call; each is a configuration fault to log, never a run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronCallError {
    #[error("a cron call without its headers")]
    Missing,
    #[error("a cron call made at another time (the workers' clocks differ, or it was replayed)")]
    Stale,
    #[error("a cron call with a wrong MAC (do both workers have the same TOKEN_KEYS?)")]
    BadMac,
}

impl CronCall {
    pub fn sign(ring: &KeyRing, schedule: &str, at: i64) -> CronCall {
        CronCall {
            schedule: schedule.to_owned(),
            at,
            mac: hex(&ring.keyed_mac(CONTEXT, message(schedule, at).as_bytes())),
        }
    }

    /// The call from its three headers, if it is one the citizen worker signed just now.
    pub fn verify(
        ring: &KeyRing,
        schedule: Option<&str>,
        at: Option<&str>,
        mac: Option<&str>,
        now: i64,
    ) -> Result<CronCall, CronCallError> {
        let (Some(schedule), Some(at), Some(mac)) = (schedule, at, mac) else {
            return Err(CronCallError::Missing);
        };
        let at: i64 = at.trim().parse().map_err(|_| CronCallError::Missing)?;
        if schedule.len() > MAX_SCHEDULE {
            return Err(CronCallError::BadMac);
        }
        if now.abs_diff(at) > SKEW_SECONDS {
            return Err(CronCallError::Stale);
        }
        let expected = CronCall::sign(ring, schedule, at);
        if !same(expected.mac.as_bytes(), mac.trim().as_bytes()) {
            return Err(CronCallError::BadMac);
        }
        Ok(expected)
    }

    /// The headers to send, as (name, value).
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            (SCHEDULE_HEADER, self.schedule.clone()),
            (AT_HEADER, self.at.to_string()),
            (MAC_HEADER, self.mac.clone()),
        ]
    }
}

fn message(schedule: &str, at: i64) -> String {
    format!("{schedule}\n{at}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn ring(byte: u8) -> KeyRing {
        let key = base64::engine::general_purpose::STANDARD.encode([byte; 32]);
        KeyRing::parse(&format!("1:{key}")).unwrap()
    }

    fn verify(ring: &KeyRing, call: &CronCall, now: i64) -> Result<CronCall, CronCallError> {
        let at = call.at.to_string();
        CronCall::verify(ring, Some(&call.schedule), Some(&at), Some(&call.mac), now)
    }

    #[test]
    fn a_call_signed_just_now_is_accepted() {
        let call = CronCall::sign(&ring(1), "7 * * * *", 1_000_000);
        assert_eq!(verify(&ring(1), &call, 1_000_030), Ok(call));
    }

    #[test]
    fn a_call_under_another_key_is_refused() {
        let call = CronCall::sign(&ring(1), "7 * * * *", 1_000_000);
        assert_eq!(
            verify(&ring(2), &call, 1_000_000),
            Err(CronCallError::BadMac)
        );
    }

    #[test]
    fn a_call_with_another_schedule_is_refused() {
        let mut call = CronCall::sign(&ring(1), "7 * * * *", 1_000_000);
        call.schedule = "30 0 1 * *".into();
        assert_eq!(
            verify(&ring(1), &call, 1_000_000),
            Err(CronCallError::BadMac)
        );
    }

    #[test]
    fn an_old_call_replayed_is_refused() {
        let call = CronCall::sign(&ring(1), "7 * * * *", 1_000_000);
        assert_eq!(
            verify(&ring(1), &call, 1_000_000 + 3_600),
            Err(CronCallError::Stale)
        );
    }

    #[test]
    fn rings_with_the_same_keys_match() {
        assert!(same_ring(&ring(1), &ring_fingerprint(&ring(1))));
    }

    #[test]
    fn rings_that_differ_in_an_older_key_differ() {
        let b64 = |byte: u8| base64::engine::general_purpose::STANDARD.encode([byte; 32]);
        let one = KeyRing::parse(&format!("1:{},2:{}", b64(1), b64(9))).unwrap();
        let other = KeyRing::parse(&format!("1:{},2:{}", b64(3), b64(9))).unwrap();
        assert!(!same_ring(&one, &ring_fingerprint(&other)));
        assert!(same_ring(&one, &ring_fingerprint(&one)));
    }

    #[test]
    fn rings_with_another_signing_key_or_other_ids_differ() {
        assert!(!same_ring(&ring(1), &ring_fingerprint(&ring(2))));
        let key = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        let renumbered = KeyRing::parse(&format!("2:{key}")).unwrap();
        assert!(!same_ring(&ring(1), &ring_fingerprint(&renumbered)));
    }

    #[test]
    fn a_request_without_the_headers_is_refused() {
        assert_eq!(
            CronCall::verify(&ring(1), None, Some("1"), Some("x"), 1),
            Err(CronCallError::Missing)
        );
        assert_eq!(
            CronCall::verify(&ring(1), Some("7 * * * *"), Some("soon"), Some("x"), 1),
            Err(CronCallError::Missing)
        );
    }
}
