//! The use cases. Each takes its dependencies (store, keys, time) as arguments, so tests
//! choose them, and returns its own error enum; `api` maps those to responses in one place.

use crate::admin::AdminError;
use crate::clock::{DayRange, Timestamp};
use crate::i18n::Lang;
use crate::integrity::PageStamp;
use crate::org::EmployeeId;
use crate::scale::Scale;
use crate::store::{CodeHolder, CodeStatus, NewVote, Recorded, Source, Store, StoreError};
use crate::token::{Claims, KeyRing, Token};
use crate::vote::{Ballot, InputError};
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

/// Verifies the signature before any database read; only then checks the issue in D1.
pub fn verify_code(ring: &KeyRing, text: &str) -> Result<(Token, Claims), CodeError> {
    let token = Token::parse(text).map_err(|_| CodeError::Invalid)?;
    let claims = ring.verify(&token).map_err(|_| CodeError::Invalid)?;
    Ok((token, claims))
}

pub async fn open_code(
    store: &impl Store,
    ring: &KeyRing,
    text: &str,
) -> Result<OpenCode, CodeError> {
    let (token, claims) = verify_code(ring, text)?;
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

/// Who is voting, as far as de-duplication needs to know. Never stored: only a keyed hash.
#[derive(Debug, Clone, Copy)]
pub struct Client<'a> {
    pub address: &'a str,
    pub user_agent: &'a str,
}

/// A vote as submitted, before any check.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub token: &'a str,
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

/// What one phone (address and browser, under the day's keyed hash) may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// Votes per UTC day across all employees (`VOTE_DAILY_LIMIT`); more are refused (429).
    pub daily: u32,
    /// A repeat for the same employee within this many hours is recorded as a duplicate
    /// (`REPEAT_WINDOW_HOURS`, 1 to 24). Never more than the UTC day: the salt that links one
    /// phone's votes is forgotten every day, by design.
    pub repeat_window_hours: u32,
}

impl ClientLimits {
    pub const DEFAULT: ClientLimits = ClientLimits {
        // A citizen may visit several offices in a day; twenty employees rated by one phone
        // in one day is already far beyond an honest visit.
        daily: 20,
        repeat_window_hours: 24,
    };

    /// Checks both settings; the message names the setting and its range.
    pub fn parse(daily: Option<&str>, window: Option<&str>) -> Result<ClientLimits, String> {
        let number = |v: Option<&str>, default: u32, max: u32, what: &str| match v {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| format!("{what} must be a whole number from 1 to {max}")),
        };
        Ok(ClientLimits {
            daily: number(daily, Self::DEFAULT.daily, 10_000, "VOTE_DAILY_LIMIT")?,
            repeat_window_hours: number(
                window,
                Self::DEFAULT.repeat_window_hours,
                24,
                "REPEAT_WINDOW_HOURS (a phone's votes cannot be linked across UTC days)",
            )?,
        })
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

/// Records a vote. The token is checked before anything else; the fields against the
/// instance's scale; then one conditional insert writes it (and its contact) or nothing.
pub async fn cast_vote(
    store: &impl Store,
    ring: &KeyRing,
    challenge: &impl Challenge,
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
    let (token, claims) = verify_code(ring, vote.token)?;
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
        claims: &claims,
        ballot: &ballot,
        lang: vote.lang,
        source: vote.source,
        client_hash: &client_hash,
        client_key: &client_key,
        daily_limit: limits.daily,
        repeat_since: at.unix_seconds() - i64::from(limits.repeat_window_hours) * 3600,
        flag: PageStamp::check(ring, &token, vote.source, vote.page_stamp, at),
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
    current_holder(store, &claims).await?;
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

/// HMAC-SHA256 under the day's random salt of (address, user agent, employee), truncated to
/// 128 bits. Once the day's salt is deleted the hash cannot be recomputed from an address.
pub fn client_hash(salt: &str, client: Client<'_>, employee: EmployeeId) -> String {
    let employee = employee.to_string();
    keyed_hash(
        salt,
        &[
            b"vote\0",
            client.address.as_bytes(),
            b"\0",
            client.user_agent.as_bytes(),
            b"\0",
            employee.as_bytes(),
        ],
    )
}

/// The same for the client alone, for the daily limit across employees. Kept only in
/// `client_counters`, never on a vote, so votes for different employees stay unlinked.
pub fn client_key(salt: &str, client: Client<'_>) -> String {
    keyed_hash(
        salt,
        &[
            b"limit\0",
            client.address.as_bytes(),
            b"\0",
            client.user_agent.as_bytes(),
        ],
    )
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
    /// Votes recorded but not counted (repeats from one client for one employee in a day).
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
    fn client_hash_depends_on_salt_client_and_employee() {
        let e1 = EmployeeId::parse(1).unwrap();
        let e2 = EmployeeId::parse(2).unwrap();
        let c = Client {
            address: "203.0.113.7",
            user_agent: "Mozilla/5.0",
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
                    ..c
                },
                e1
            )
        );
        assert!(!h.contains("203"));
        let k = client_key("salt-a", c);
        assert_eq!(k, client_key("salt-a", Client { ..c }));
        assert_ne!(k, h, "the limit key and the vote hash are separate");
        assert_ne!(k, client_key("salt-b", c));
    }

    #[test]
    fn client_limits_refuse_absurd_settings_and_name_them() {
        assert_eq!(ClientLimits::parse(None, None), Ok(ClientLimits::DEFAULT));
        assert_eq!(
            ClientLimits::parse(Some(" 5 "), Some("6")),
            Ok(ClientLimits {
                daily: 5,
                repeat_window_hours: 6
            })
        );
        for window in ["0", "25", "720", "-1", "1.5", "day", ""] {
            let e = ClientLimits::parse(None, Some(window)).unwrap_err();
            assert!(e.starts_with("REPEAT_WINDOW_HOURS"), "{window}: {e}");
        }
        let e = ClientLimits::parse(Some("0"), None).unwrap_err();
        assert!(e.starts_with("VOTE_DAILY_LIMIT"), "{e}");
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
