//! The use cases. Each takes its dependencies (store, keys, time) as arguments, so tests
//! choose them, and returns its own error enum; `api` maps those to responses in one place.

use crate::admin::AdminError;
use crate::clock::{DayRange, Timestamp};
use crate::i18n::Lang;
use crate::integrity::{Network, PageStamp};
use crate::org::EmployeeId;
use crate::scale::Scale;
use crate::store::{CodeHolder, CodeStatus, NewVote, Recorded, Source, Store, StoreError};
use crate::token::{Claims, KeyRing, Token};
use crate::voting::vote::{Ballot, InputError};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Why a code does not lead to a vote page.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// Malformed, forged, signed by a retired key, or naming nobody: 404.
    #[error("this code is not valid")]
    Invalid,
    /// Revoked or replaced by a newer code, or a one-time code past its date: 410.
    #[error("this code is no longer valid")]
    Revoked,
    /// A one-time code that has already taken its vote: 410, saying so.
    #[error("this one-time code has already been used")]
    Used,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A verified code: who it names and the scale to rate them on.
#[derive(Debug)]
pub struct OpenCode {
    pub token: Token,
    pub claims: Claims,
    pub holder: CodeHolder,
    pub scale: Scale,
}

pub use verified::VerifiedCode;

mod verified {
    use super::CodeError;
    use crate::token::{Claims, KeyRing, Token};

    /// A code whose signature verified under the key ring, with what it claims. Its fields are
    /// private to this module, so one exists only through `verify`: whatever takes one (the
    /// choice of a shard's store, opening the code, casting a vote) needs no second check.
    #[derive(Debug)]
    pub struct VerifiedCode {
        token: Token,
        claims: Claims,
    }

    impl VerifiedCode {
        /// Parses and verifies the signature, before any database read; malformed, forged or
        /// signed by a retired key is `Invalid`.
        pub fn verify(ring: &KeyRing, text: &str) -> Result<VerifiedCode, CodeError> {
            let token = Token::parse(text).map_err(|_| CodeError::Invalid)?;
            let claims = ring.verify(&token).map_err(|_| CodeError::Invalid)?;
            Ok(VerifiedCode { token, claims })
        }

        pub fn token(&self) -> &Token {
            &self.token
        }

        pub fn claims(&self) -> &Claims {
            &self.claims
        }

        pub(super) fn into_parts(self) -> (Token, Claims) {
            (self.token, self.claims)
        }
    }
}

/// A verified code's holder and scale: its issue is checked in D1 (current, revoked, used).
pub async fn open_code(store: &impl Store, code: VerifiedCode) -> Result<OpenCode, CodeError> {
    let (token, claims) = code.into_parts();
    let holder = current_holder(store, &claims).await?;
    let scale = store.scale().await?;
    Ok(OpenCode {
        token,
        claims,
        holder,
        scale,
    })
}

async fn current_holder(store: &impl Store, claims: &Claims) -> Result<CodeHolder, CodeError> {
    let holder = store.code_holder(claims).await?.ok_or(CodeError::Invalid)?;
    match holder.status {
        CodeStatus::Current => Ok(holder),
        CodeStatus::Revoked => Err(CodeError::Revoked),
        CodeStatus::Used => Err(CodeError::Used),
        CodeStatus::NeverIssued => Err(CodeError::Invalid),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VoteError {
    #[error(transparent)]
    Code(CodeError),
    #[error(transparent)]
    Input(#[from] InputError),
    /// Over the daily limit of votes per client: 429 with `Retry-After`.
    #[error("too many votes from this device")]
    RateLimited { retry_after: u32 },
    /// The instance asks for a Turnstile answer and this one is missing or did not verify.
    #[error("the check that a person is voting failed")]
    ChallengeFailed,
    /// Turnstile could not be asked: 503, nothing stored. The cause is logged.
    #[error("the person check is unavailable: {0}")]
    ChallengeUnavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CodeError> for VoteError {
    fn from(e: CodeError) -> Self {
        match e {
            CodeError::Store(e) => VoteError::Store(e),
            other => VoteError::Code(other),
        }
    }
}

/// A check that a person, not a script, sends the vote (Cloudflare Turnstile when configured).
/// Futures from `fetch` are not `Send`; the trait is used generically, never as `dyn`.
#[allow(async_fn_in_trait)]
pub trait Challenge {
    /// `Ok(true)` when the answer passes or the instance has no challenge; `Err` with the
    /// cause when the verifier could not be reached.
    async fn passes(&self, answer: Option<&str>) -> Result<bool, String>;
}

/// No challenge configured: every vote passes, as before.
pub struct NoChallenge;

impl Challenge for NoChallenge {
    async fn passes(&self, _: Option<&str>) -> Result<bool, String> {
        Ok(true)
    }
}

/// Who is voting, as far as screening needs to know: the connection's address
/// (`CF-Connecting-IP`). Never stored: only keyed hashes of its network under the day's salt.
/// The browser's User-Agent is deliberately not part of it: a script sets it freely, so it
/// would let one phone count as many.
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    pub address: &'a str,
}

impl Client<'_> {
    /// What identifies "one device" for the daily limit and screening: the IPv4 address or the
    /// IPv6 /64 (`integrity::Network`); anything unparsable is one shared "unknown".
    pub fn network(&self) -> String {
        Network::parse(self.address).map_or_else(|| "unknown".to_owned(), |n| n.to_string())
    }
}

/// A vote as submitted, before any check but its code's signature (`VerifiedCode`, passed
/// beside it).
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub score: Option<i64>,
    pub comment: &'a str,
    pub contact: &'a str,
    pub lang: Lang,
    pub source: Source,
    /// The vote page's signed serving time (form votes only).
    pub page_stamp: Option<&'a str>,
    /// Extra criteria as (code, score).
    pub criteria: &'a [(String, i64)],
    /// The Turnstile answer, if the client sent one.
    pub challenge: Option<&'a str>,
}

/// What one network (an IPv4 address or IPv6 /64, under the day's keyed hash) may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// Votes per UTC day from one network across all employees (`VOTE_DAILY_LIMIT`); more
    /// are refused (429). Only a cap against floods: a hall's guest Wi-Fi or a carrier's NAT
    /// carries many honest voters, so which of a network's votes count is screening's
    /// decision (`integrity::screen_addresses`), not this one's.
    pub daily: u32,
}

impl ClientLimits {
    pub const DEFAULT: ClientLimits = ClientLimits {
        // Above what the busiest hall's guest Wi-Fi carries in a day; a flood past it is
        // refused before it costs more than the counter's write.
        daily: 500,
    };

    /// Checks the setting; the message names it and its range. `REPEAT_WINDOW_HOURS` is gone:
    /// a repeat is no longer decided as it arrives (an address is not a phone) but by
    /// screening over the UTC day, and an instance that still sets it is not refused.
    pub fn parse(daily: Option<&str>) -> Result<ClientLimits, String> {
        let daily = match daily {
            None => Self::DEFAULT.daily,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or("VOTE_DAILY_LIMIT must be a whole number from 1 to 100000")?,
        };
        Ok(ClientLimits { daily })
    }
}

/// When a vote arrives and under which limits: the moment, a random salt to store if the day
/// has none yet, and what one phone may do.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub at: Timestamp,
    pub fresh_salt: &'a str,
    pub limits: ClientLimits,
    /// The receipt the voter will be shown; its hash is stored with the vote.
    pub receipt: &'a crate::receipt::Receipt,
}

/// Records a vote for a code already verified (the caller chose the store by its shard); the
/// fields are checked against the instance's scale; then one conditional insert writes it (and
/// its contact) or nothing.
pub async fn cast_vote(
    store: &impl Store,
    ring: &KeyRing,
    challenge: &impl Challenge,
    code: &VerifiedCode,
    vote: Submission<'_>,
    client: Client<'_>,
    arrival: Arrival<'_>,
) -> Result<(), VoteError> {
    let Arrival {
        at,
        fresh_salt,
        limits,
        receipt,
    } = arrival;
    let receipt_hash = receipt.stored_hash();
    let (token, claims) = (code.token(), code.claims());
    let scale = store.scale().await?;
    let ballot = Ballot::parse(
        vote.score,
        vote.comment,
        vote.contact,
        vote.criteria,
        &scale,
    )?;
    // After the cheap checks, so that a citizen correcting a mistake keeps a fresh widget, and
    // before anything is written: a failed check stores nothing.
    match challenge.passes(vote.challenge).await {
        Ok(true) => {}
        Ok(false) => return Err(VoteError::ChallengeFailed),
        Err(cause) => return Err(VoteError::ChallengeUnavailable(cause)),
    }
    let salt = store.client_salt(&at.utc_day(), fresh_salt).await?;
    let client_hash = client_hash(&salt, client, claims.employee);
    let client_key = client_key(&salt, client);
    let network_hash = network_hash(&salt, client);
    let office_units = match client.address.parse::<std::net::IpAddr>() {
        Ok(ip) => store
            .office_networks()
            .await?
            .into_iter()
            .filter(|(_, net)| net.contains(ip))
            .map(|(unit, _)| unit)
            .collect(),
        Err(_) => Vec::new(),
    };
    let new = NewVote {
        claims,
        ballot: &ballot,
        lang: vote.lang,
        source: vote.source,
        client_hash: &client_hash,
        client_key: &client_key,
        network_hash: &network_hash,
        daily_limit: limits.daily,
        flag: PageStamp::check(ring, token, vote.source, vote.page_stamp, at),
        office_units: &office_units,
        receipt_hash: &receipt_hash,
        at,
    };
    match store.record_vote(&new).await? {
        Recorded::Stored => return Ok(()),
        Recorded::OverLimit => {
            return Err(VoteError::RateLimited {
                retry_after: seconds_to_next_utc_day(at),
            })
        }
        Recorded::NotStored => {}
    }
    // Nothing written: say why (the code was revoked or never existed). A current code here
    // means the scale changed between the two reads; the score is then off the scale.
    current_holder(store, claims).await?;
    Err(VoteError::Input(InputError::ScoreOutOfScale))
}

/// A unit's website form: the unit's name and, per employee with a current website code,
/// (name, position, token signed for `shard`, the store's). `None` for no such active unit.
pub async fn unit_form(
    store: &impl Store,
    ring: &KeyRing,
    shard: u8,
    unit: crate::org::UnitId,
) -> Result<Option<(String, Vec<(String, String, Token)>)>, StoreError> {
    let Some((name, employees)) = store.unit_form(unit).await? else {
        return Ok(None);
    };
    let signed = employees
        .into_iter()
        .map(|(employee, name, position, issue)| {
            let claims = Claims {
                shard,
                employee,
                channel: crate::org::Channel::WEBSITE,
                issue,
                kind: crate::token::CodeKind::Standing,
            };
            (name, position, ring.sign(&claims))
        })
        .collect();
    Ok(Some((name, signed)))
}

/// What the daily cron removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Housekeeping {
    pub salts: u32,
    pub contacts: u32,
}

/// The daily cron. Forgets the client-hash salts and counters of earlier days, so no hash
/// older than today can be recomputed from an address; deletes contacts older than the
/// retention period (the vote keeps `has_contact`, so results still tell signed from anonymous).
pub async fn daily_housekeeping(
    store: &impl Store,
    at: Timestamp,
    contact_retention_days: u32,
) -> Result<Housekeeping, StoreError> {
    let salts = store.forget_salts_before(&at.utc_day()).await?;
    let contacts = store
        .forget_contacts_before(at.unix_seconds() - i64::from(contact_retention_days) * 86_400)
        .await?;
    Ok(Housekeeping { salts, contacts })
}

/// HMAC-SHA256 under the day's random salt of (network, employee), truncated to 128 bits.
/// Once the day's salt is deleted the hash cannot be recomputed from an address.
pub fn client_hash(salt: &str, client: Client<'_>, employee: EmployeeId) -> String {
    let employee = employee.to_string();
    let network = client.network();
    keyed_hash(
        salt,
        &[b"vote\0", network.as_bytes(), b"\0", employee.as_bytes()],
    )
}

/// The same for the network alone, for the daily flood cap across employees. Kept only in
/// `client_counters`, deleted with the day's salt.
pub fn client_key(salt: &str, client: Client<'_>) -> String {
    let network = client.network();
    keyed_hash(salt, &[b"limit\0", network.as_bytes()])
}

/// The network alone under another label, stored on the vote (`votes.network_hash`) so that
/// screening can see how one network's votes of the day spread over employees. The daily cron
/// sets it to NULL once the vote is screened and its day is over (with the day's salt gone it
/// could not be recomputed anyway), so it links votes of one day, and only until then.
pub fn network_hash(salt: &str, client: Client<'_>) -> String {
    let network = client.network();
    keyed_hash(salt, &[b"network\0", network.as_bytes()])
}

fn keyed_hash(salt: &str, parts: &[&[u8]]) -> String {
    let mut out = String::with_capacity(32);
    // HMAC takes keys of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(salt.as_bytes()) else {
        return out;
    };
    for part in parts {
        mac.update(part);
    }
    for b in mac.finalize().into_bytes().iter().take(16) {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Seconds until the next UTC midnight, when the daily limit starts again.
pub fn seconds_to_next_utc_day(at: Timestamp) -> u32 {
    u32::try_from(86_400 - at.unix_seconds().rem_euclid(86_400)).unwrap_or(86_400)
}

/// Votes per level of the scale (zero included) in a range of days.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub employee_id: EmployeeId,
    pub from: String,
    pub to: String,
    /// Counted votes: what official results use.
    pub votes: i64,
    pub by_score: std::collections::BTreeMap<String, i64>,
    /// Votes recorded but not counted (flagged, or repeats marked by earlier versions).
    pub excluded: i64,
}

pub async fn summary(
    store: &impl Store,
    employee: EmployeeId,
    range: DayRange,
) -> Result<Summary, AdminError> {
    let (start, end) = range.unix_bounds();
    let counts = store
        .score_counts(employee, start, end)
        .await?
        .ok_or(AdminError::NotFound("employee"))?;
    let scale = store.scale().await?;
    let mut by_score: std::collections::BTreeMap<String, i64> = scale
        .levels()
        .iter()
        .map(|l| (l.value.to_string(), 0))
        .collect();
    for (score, n) in &counts.by_score {
        *by_score.entry(score.to_string()).or_insert(0) += n;
    }
    Ok(Summary {
        employee_id: employee,
        from: range.from.to_string(),
        to: range.to.to_string(),
        votes: counts.by_score.iter().map(|(_, n)| n).sum(),
        by_score,
        excluded: counts.excluded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verified_code_is_made_only_from_a_signature_that_verifies() {
        use base64::Engine;
        let b64 = |b: u8| base64::engine::general_purpose::STANDARD.encode([b; 32]);
        let ring = KeyRing::parse(&format!("1:{}", b64(1))).unwrap();
        let other = KeyRing::parse(&format!("1:{}", b64(2))).unwrap();
        let claims = Claims {
            shard: 3,
            employee: EmployeeId::parse(42).unwrap(),
            channel: crate::org::Channel::WEBSITE,
            issue: 1,
            kind: crate::token::CodeKind::Standing,
        };
        let signed = ring.sign(&claims);
        let code = VerifiedCode::verify(&ring, signed.as_str()).unwrap();
        assert_eq!(code.claims(), &claims);
        assert_eq!(code.token().as_str(), signed.as_str());
        let forged = other.sign(&claims);
        for text in [forged.as_str(), "not-a-code", ""] {
            assert!(matches!(
                VerifiedCode::verify(&ring, text),
                Err(CodeError::Invalid)
            ));
        }
    }

    #[test]
    fn client_hash_depends_on_salt_client_and_employee() {
        let e1 = EmployeeId::parse(1).unwrap();
        let e2 = EmployeeId::parse(2).unwrap();
        let c = Client {
            address: "203.0.113.7",
        };
        let h = client_hash("salt-a", c, e1);
        assert_eq!(h.len(), 32);
        assert_eq!(h, client_hash("salt-a", c, e1));
        assert_ne!(h, client_hash("salt-b", c, e1));
        assert_ne!(h, client_hash("salt-a", c, e2));
        assert_ne!(
            h,
            client_hash(
                "salt-a",
                Client {
                    address: "203.0.113.8",
                },
                e1
            )
        );
        assert!(!h.contains("203"));
        let k = client_key("salt-a", c);
        assert_eq!(k, client_key("salt-a", Client { ..c }));
        assert_ne!(k, h, "the limit key and the vote hash are separate");
        assert_ne!(k, client_key("salt-b", c));
        let n = network_hash("salt-a", c);
        assert_ne!(n, k, "the stored network hash is not the counter's key");
        assert_ne!(n, network_hash("salt-b", c));
    }

    #[test]
    fn one_ipv6_slash_64_is_one_device_whatever_its_last_bits() {
        let a = Client {
            address: "2001:db8:5:6:1111:2222:3333:4444",
        };
        let b = Client {
            address: "2001:db8:5:6::9",
        };
        let other = Client {
            address: "2001:db8:5:7::9",
        };
        let e = EmployeeId::parse(3).unwrap();
        assert_eq!(client_hash("s", a, e), client_hash("s", b, e));
        assert_eq!(client_key("s", a), client_key("s", b));
        assert_eq!(network_hash("s", a), network_hash("s", b));
        assert_ne!(client_key("s", a), client_key("s", other));
    }

    #[test]
    fn client_limits_refuse_absurd_settings_and_name_them() {
        assert_eq!(ClientLimits::parse(None), Ok(ClientLimits::DEFAULT));
        assert_eq!(
            ClientLimits::parse(Some(" 5 ")),
            Ok(ClientLimits { daily: 5 })
        );
        for bad in ["0", "-1", "1.5", "day", "", "100001"] {
            let e = ClientLimits::parse(Some(bad)).unwrap_err();
            assert!(e.starts_with("VOTE_DAILY_LIMIT"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_daily_limit_resets_at_utc_midnight() {
        assert_eq!(
            seconds_to_next_utc_day(Timestamp::from_unix_seconds(1_767_225_600)),
            86_400
        );
        assert_eq!(
            seconds_to_next_utc_day(Timestamp::from_unix_seconds(1_767_225_600 + 86_399)),
            1
        );
    }
}
