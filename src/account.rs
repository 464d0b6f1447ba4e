//! Accounts and how they prove who they are: e-mails, password rules and hashes, session
//! cookies with their CSRF values, API tokens, invitations, roles over subtrees of the unit
//! tree. Pure: randomness, time and the key-derivation function are passed in.

use crate::org::UnitId;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// PBKDF2-SHA256 iterations for new hashes. Cloudflare's WebCrypto refuses more than 100,000
/// in production while `wrangler dev` does not, so this is pinned here and by a test, and a
/// stored hash with more is refused rather than failing only once deployed.
pub const PBKDF2_ITERATIONS: u32 = 100_000;
/// A session lasts this long from sign-in.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// An invitation link is valid this long.
pub const INVITATION_SECONDS: i64 = 72 * 3600;
/// Failed sign-ins are counted over this window...
pub const LOGIN_WINDOW_SECONDS: i64 = 15 * 60;
/// ...and refused once an e-mail has this many failures in it,
pub const MAX_FAILURES_PER_EMAIL: u32 = 5;
/// ...or once one client has this many (spraying many e-mails).
pub const MAX_FAILURES_PER_CLIENT: u32 = 20;
/// An API token lasts this many days unless its creator asks for another term...
pub const TOKEN_DEFAULT_DAYS: u32 = 90;
/// ...of at most this many: a leaked script token stops working within a year at worst.
pub const TOKEN_MAX_DAYS: u32 = 365;
/// The session cookie. `__Host-` makes browsers insist on `Secure`, `Path=/` and no `Domain`.
pub const COOKIE_NAME: &str = "__Host-civicrate";

/// An account's id (below 2^31, as every id that crosses into JavaScript).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct AccountId(u32);

impl AccountId {
    pub fn parse(n: i64) -> Option<AccountId> {
        u32::try_from(n)
            .ok()
            .filter(|n| (1..(1 << 31)).contains(n))
            .map(AccountId)
    }

    pub fn parse_str(s: &str) -> Option<AccountId> {
        s.parse::<i64>().ok().and_then(AccountId::parse)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// An e-mail address, trimmed and lower-cased: the account's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not an e-mail address")]
pub struct EmailError;

impl Email {
    pub fn parse(s: &str) -> Result<Email, EmailError> {
        let s = s.trim().to_lowercase();
        let (local, domain) = s.rsplit_once('@').ok_or(EmailError)?;
        let ok = !local.is_empty()
            && local.len() <= 64
            && s.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && !s.contains(['<', '>', '"', ',', ';'])
            && !domain.contains('@');
        if ok {
            Ok(Email(s))
        } else {
            Err(EmailError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("must have at least 12 characters")]
    TooShort,
    #[error("must have at most 128 characters")]
    TooLong,
    #[error("must not contain the e-mail address")]
    ContainsEmail,
    #[error("is on the list of common and breached passwords")]
    Common,
    #[error("must not repeat one character or one group of characters")]
    Repetitive,
    #[error("must not be a simple sequence such as 123456789012 or abcdefghijkl")]
    Sequence,
}

/// A password that passed the rules (NIST SP 800-63B §5.1.1.2: length over composition, and
/// no known-breached, context-specific or trivial values).
pub struct Password(String);

/// Common passwords the bundled breach list (`common_passwords`, mostly English) lacks: the
/// local languages' and this product's own name. Matched like the list's short entries.
const LOCAL_COMMON: &[&str] = &[
    "admin",
    "civicrate",
    "йцукен",
    "йцукенгшщз",
    "йцукенгшщзхъ",
    "йцукенгшщзхї",
    "фывапролджэ",
    "фівапролджє",
    "пароль",
    "парольпароль",
    "привет",
    "привіт",
    "кохання",
    "любовь",
    "құпиясөз",
];

/// A shorter core is not looked up: random digits around one short word are not that word.
const MIN_CORE: usize = 4;

fn is_common(word: &str) -> bool {
    crate::common_passwords::contains(word) || LOCAL_COMMON.contains(&word)
}

/// The shortest unit the whole of `chars` repeats ("abcabcabc" → 3), if it repeats one.
fn repeated_unit(chars: &[char]) -> Option<usize> {
    (1..=chars.len() / 2).find(|&p| chars.iter().zip(chars.iter().skip(p)).all(|(a, b)| a == b))
}

/// Whether each character follows the one before it by the same step of one, up or down
/// ("123456789012", "abcdefghijkl", "987654321098"); digits wrap from 9 to 0.
fn is_sequence(chars: &[char]) -> bool {
    let step = |a: char, b: char| -> Option<i64> {
        match (a.to_digit(10), b.to_digit(10)) {
            (Some(x), Some(y)) => match (i64::from(y) - i64::from(x)).rem_euclid(10) {
                1 => Some(1),
                9 => Some(-1),
                _ => None,
            },
            _ => match i64::from(u32::from(b)) - i64::from(u32::from(a)) {
                d @ (1 | -1) => Some(d),
                _ => None,
            },
        }
    };
    let mut steps = chars.windows(2).map(|w| match w {
        [a, b] => step(*a, *b),
        _ => None,
    });
    match steps.next() {
        Some(Some(first)) => steps.all(|s| s == Some(first)),
        _ => false,
    }
}

impl Password {
    /// Checks, in order: length; the e-mail address (or its local part); the breach list,
    /// whole and by its core (the password without the digits and punctuation around it, so
    /// «Sunshine2024!!» is refused as «sunshine»); one unit repeated; a plain sequence.
    pub fn parse(s: &str, email: &Email) -> Result<Password, WeakPassword> {
        let chars = s.chars().count();
        if chars < 12 {
            return Err(WeakPassword::TooShort);
        }
        if chars > 128 {
            return Err(WeakPassword::TooLong);
        }
        let lower = s.to_lowercase();
        let local = email.as_str().split('@').next().unwrap_or("");
        if lower.contains(email.as_str()) || (local.chars().count() >= 4 && lower.contains(local)) {
            return Err(WeakPassword::ContainsEmail);
        }
        let core = lower.trim_matches(|c: char| !c.is_alphabetic());
        if is_common(&lower) || (core.chars().count() >= MIN_CORE && is_common(core)) {
            return Err(WeakPassword::Common);
        }
        let all: Vec<char> = lower.chars().collect();
        if let Some(unit) = repeated_unit(&all) {
            let unit: String = all.iter().take(unit).collect();
            let unit_core = unit.trim_matches(|c: char| !c.is_alphabetic());
            let unit_core_common = unit_core.chars().count() >= MIN_CORE && is_common(unit_core);
            return Err(if is_common(&unit) || unit_core_common {
                WeakPassword::Common
            } else {
                WeakPassword::Repetitive
            });
        }
        let mut distinct = all.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 4 {
            return Err(WeakPassword::Repetitive);
        }
        if is_sequence(&all) {
            return Err(WeakPassword::Sequence);
        }
        Ok(Password(s.to_owned()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Derives PBKDF2-HMAC-SHA256 bits. On Workers this is WebCrypto; tests use a Rust crate.
#[allow(async_fn_in_trait)]
pub trait Kdf {
    async fn pbkdf2_sha256(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32], String>;
}

/// `pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub salt: [u8; 16],
    pub hash: [u8; 32],
}

impl PasswordHash {
    pub fn parse(s: &str) -> Option<PasswordHash> {
        let mut parts = s.split('$');
        if parts.next()? != "pbkdf2-sha256" {
            return None;
        }
        let iterations: u32 = parts.next()?.parse().ok()?;
        let salt = STANDARD.decode(parts.next()?).ok()?.try_into().ok()?;
        let hash = STANDARD.decode(parts.next()?).ok()?.try_into().ok()?;
        if parts.next().is_some() || !(1..=PBKDF2_ITERATIONS).contains(&iterations) {
            return None;
        }
        Some(PasswordHash {
            iterations,
            salt,
            hash,
        })
    }

    pub async fn derive(
        kdf: &impl Kdf,
        password: &Password,
        salt: [u8; 16],
    ) -> Result<PasswordHash, String> {
        let hash = kdf
            .pbkdf2_sha256(password.as_bytes(), &salt, PBKDF2_ITERATIONS)
            .await?;
        Ok(PasswordHash {
            iterations: PBKDF2_ITERATIONS,
            salt,
            hash,
        })
    }

    /// Whether `password` is the one hashed (in constant time over the hash).
    pub async fn verify(&self, kdf: &impl Kdf, password: &str) -> Result<bool, String> {
        let derived = kdf
            .pbkdf2_sha256(password.as_bytes(), &self.salt, self.iterations)
            .await?;
        Ok(constant_time_eq(&derived, &self.hash))
    }

    pub fn encode(&self) -> String {
        format!(
            "pbkdf2-sha256${}${}${}",
            self.iterations,
            STANDARD.encode(self.salt),
            STANDARD.encode(self.hash)
        )
    }
}

/// A hash to verify against when the e-mail has no account, so that a wrong e-mail costs the
/// same time as a wrong password and does not reveal which accounts exist.
pub const DUMMY_HASH: PasswordHash = PasswordHash {
    iterations: PBKDF2_ITERATIONS,
    salt: [7; 16],
    hash: [0; 32],
};

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lower-case hex SHA-256: how secrets that sign in (session ids, API tokens, invitations)
/// are stored.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The HMAC key of session cookies and CSRF values (`SESSION_KEY`, base64, ≥ 32 bytes).
#[derive(Clone)]
pub struct SessionKey(Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SESSION_KEY must be base64 of at least 32 random bytes")]
pub struct SessionKeyError;

impl SessionKey {
    pub fn parse(s: &str) -> Result<SessionKey, SessionKeyError> {
        let bytes = STANDARD
            .decode(s.trim())
            .or_else(|_| URL_SAFE_NO_PAD.decode(s.trim()))
            .map_err(|_| SessionKeyError)?;
        if bytes.len() < 32 {
            return Err(SessionKeyError);
        }
        Ok(SessionKey(bytes))
    }

    fn tag(&self, label: &str, data: &[u8]) -> [u8; 32] {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return [0; 32];
        };
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac.finalize().into_bytes().into()
    }

    /// The CSRF value of an account signed in through Cloudflare Access: there is no session
    /// to keep one in, so it is derived from the account; the admin page reads it from
    /// `GET /api/v1/session` like a session's.
    pub fn access_csrf(&self, account: AccountId) -> String {
        let tag = self.tag("access-csrf", account.get().to_string().as_bytes());
        URL_SAFE_NO_PAD.encode(tag)
    }

    /// A keyed hash for throttling keys (e-mails, clients), so the table holds no e-mails.
    pub fn throttle_key(&self, kind: &str, value: &str) -> String {
        let tag = self.tag("throttle", format!("{kind}:{value}").as_bytes());
        tag.iter().take(16).map(|b| format!("{b:02x}")).collect()
    }
}

/// A session's random id. The cookie carries it with its HMAC, so a forged cookie is refused
/// without a database read; the database keeps only its SHA-256.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionId([u8; 32]);

impl SessionId {
    pub fn from_random(bytes: [u8; 32]) -> SessionId {
        SessionId(bytes)
    }

    pub fn cookie_value(&self, key: &SessionKey) -> String {
        let tag = key.tag("session", &self.0);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(self.0),
            URL_SAFE_NO_PAD.encode(tag.get(..16).unwrap_or(&tag))
        )
    }

    /// The id in a cookie value whose HMAC is right.
    pub fn from_cookie(value: &str, key: &SessionKey) -> Option<SessionId> {
        let (id, tag) = value.split_once('.')?;
        let id: [u8; 32] = URL_SAFE_NO_PAD.decode(id).ok()?.try_into().ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let expected = key.tag("session", &id);
        constant_time_eq(&tag, expected.get(..16)?).then_some(SessionId(id))
    }

    pub fn storage_hash(&self) -> String {
        sha256_hex(&self.0)
    }

    /// The value the admin page sends back in `X-CSRF-Token`: bound to this session, so a
    /// page of another site can neither read nor guess it.
    pub fn csrf(&self, key: &SessionKey) -> String {
        let tag = key.tag("csrf", &self.0);
        URL_SAFE_NO_PAD.encode(tag.get(..16).unwrap_or(&tag))
    }
}

/// The cookie's value from a `Cookie` header.
pub fn cookie_from_header(header: &str) -> Option<&str> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == COOKIE_NAME).then_some(value.trim())
    })
}

pub fn set_cookie_header(value: &str, max_age: i64) -> String {
    format!("{COOKIE_NAME}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}

pub fn clear_cookie_header() -> String {
    format!("{COOKIE_NAME}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict")
}

/// A secret shown once (an API token `cr_…` or an invitation link's token) and stored as a hash.
pub struct Secret {
    pub shown: String,
    pub hash: String,
}

pub const API_TOKEN_PREFIX: &str = "cr_";

impl Secret {
    pub fn api_token(random: [u8; 32]) -> Secret {
        let shown = format!("{API_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
        let hash = sha256_hex(shown.as_bytes());
        Secret { shown, hash }
    }

    pub fn invitation(random: [u8; 32]) -> Secret {
        let shown = URL_SAFE_NO_PAD.encode(random);
        let hash = sha256_hex(shown.as_bytes());
        Secret { shown, hash }
    }
}

/// The stored hash of a presented API token, if it has the token's shape at all.
pub fn api_token_hash(presented: &str) -> Option<String> {
    let body = presented.strip_prefix(API_TOKEN_PREFIX)?;
    (body.len() == 43 && URL_SAFE_NO_PAD.decode(body).is_ok())
        .then(|| sha256_hex(presented.as_bytes()))
}

/// The stored hash of a presented invitation token.
pub fn invitation_hash(presented: &str) -> Option<String> {
    let presented = presented.trim();
    (presented.len() == 43 && URL_SAFE_NO_PAD.decode(presented).is_ok())
        .then(|| sha256_hex(presented.as_bytes()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    UnitAdmin,
    Superadmin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "superadmin" => Some(Role::Superadmin),
            "unit_admin" => Some(Role::UnitAdmin),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Superadmin => "superadmin",
            Role::UnitAdmin => "unit_admin",
            Role::Viewer => "viewer",
        }
    }
}

/// A role on a unit's subtree, or superadmin on everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    Superadmin,
    UnitAdmin(UnitId),
    Viewer(UnitId),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("`role` must be superadmin, unit_admin or viewer")]
    UnknownRole,
    #[error("`unit_id` must be null for superadmin and set for unit_admin and viewer")]
    Unit,
}

impl Grant {
    pub fn parse(role: &str, unit: Option<i64>) -> Result<Grant, GrantError> {
        let role = Role::parse(role).ok_or(GrantError::UnknownRole)?;
        let unit = match unit {
            None => None,
            Some(n) => Some(UnitId::parse(n).ok_or(GrantError::Unit)?),
        };
        match (role, unit) {
            (Role::Superadmin, None) => Ok(Grant::Superadmin),
            (Role::UnitAdmin, Some(u)) => Ok(Grant::UnitAdmin(u)),
            (Role::Viewer, Some(u)) => Ok(Grant::Viewer(u)),
            _ => Err(GrantError::Unit),
        }
    }

    pub fn role(self) -> Role {
        match self {
            Grant::Superadmin => Role::Superadmin,
            Grant::UnitAdmin(_) => Role::UnitAdmin,
            Grant::Viewer(_) => Role::Viewer,
        }
    }

    pub fn unit(self) -> Option<UnitId> {
        match self {
            Grant::Superadmin => None,
            Grant::UnitAdmin(u) | Grant::Viewer(u) => Some(u),
        }
    }
}

/// Which units a caller may see or change: all of them, or the subtrees under some units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Subtrees(Vec<UnitId>),
}

impl Scope {
    /// The SQL parameter every scoped query takes: NULL for all, else a JSON array of the
    /// subtrees' roots, joined through the closure table.
    pub fn sql_param(&self) -> Option<String> {
        match self {
            Scope::All => None,
            Scope::Subtrees(units) => Some(format!(
                "[{}]",
                units
                    .iter()
                    .map(|u| u.get().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            )),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Scope::Subtrees(u) if u.is_empty())
    }
}

/// The position in `path` (a unit's ancestors, root first, ending with the unit) of the highest
/// unit on which `grants` hold any role, or the unit-admin role when `admin_only`.
fn highest_hold(grants: &[Grant], path: &[UnitId], admin_only: bool) -> Option<usize> {
    path.iter().position(|u| {
        grants.iter().any(|g| match g {
            Grant::UnitAdmin(x) => x == u,
            Grant::Viewer(x) => !admin_only && x == u,
            Grant::Superadmin => false,
        })
    })
}

/// Whether `grants` put their holder strictly above the last unit of `path` (its ancestors,
/// root first, ending with it): superadmin, or unit admin of a proper ancestor. Decisions that
/// switch anti-fraud off for a unit (accepting its flagged votes, removing its office
/// networks, deciding its appeals) need this, so that nobody audits their own unit.
pub fn strictly_above(grants: &[Grant], path: &[UnitId]) -> bool {
    grants.contains(&Grant::Superadmin)
        || highest_hold(grants, path, true).is_some_and(|i| i + 1 < path.len())
}

/// Whether `decider` may decide an appeal about the last unit of `path` that `filer` filed
/// (two different accounts): strictly above the unit, and strictly above every hold the filer
/// has on it, so that the appeal goes up past whoever filed it. An account the filer invited
/// holds roles only inside the filer's own subtrees, so it never qualifies; an appeal a
/// superadmin filed goes to another superadmin.
pub fn may_decide_appeal(decider: &[Grant], filer: &[Grant], path: &[UnitId]) -> bool {
    if decider.contains(&Grant::Superadmin) {
        return true;
    }
    if !strictly_above(decider, path) || filer.contains(&Grant::Superadmin) {
        return false;
    }
    match (
        highest_hold(decider, path, true),
        highest_hold(filer, path, false),
    ) {
        (Some(mine), Some(theirs)) => mine < theirs,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// How a caller signed in for this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A session cookie: changes need this CSRF value.
    Session {
        csrf: String,
    },
    ApiToken,
    /// A Cloudflare Access assertion: changes need this CSRF value (see `SessionKey::access_csrf`).
    Access {
        csrf: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub account: AccountId,
    pub email: String,
    pub grants: Vec<Grant>,
    pub via: Via,
}

impl Principal {
    pub fn is_superadmin(&self) -> bool {
        self.grants.contains(&Grant::Superadmin)
    }

    /// What the caller may read: every subtree they hold any role on.
    pub fn read_scope(&self) -> Scope {
        if self.is_superadmin() {
            return Scope::All;
        }
        Scope::Subtrees(self.grants.iter().filter_map(|g| g.unit()).collect())
    }

    /// What the caller may change: the subtrees they administer.
    pub fn write_scope(&self) -> Scope {
        if self.is_superadmin() {
            return Scope::All;
        }
        Scope::Subtrees(
            self.grants
                .iter()
                .filter_map(|g| match g {
                    Grant::UnitAdmin(u) => Some(*u),
                    _ => None,
                })
                .collect(),
        )
    }

    /// The name written in the audit log.
    pub fn actor(&self) -> String {
        match self.via {
            Via::ApiToken => format!("{} (API token)", self.email),
            Via::Access { .. } => format!("{} (Cloudflare Access)", self.email),
            _ => self.email.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("Olena.Kovalenko@Kyiv.gov.ua").unwrap()
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(email().as_str(), "olena.kovalenko@kyiv.gov.ua");
        for bad in [
            "", "no-at", "a@b", "a@.b", "a b@c.d", "<a@b.c>", "@b.c", "a@b.c.",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        let e = email();
        let refused = |p: &str| Password::parse(p, &e).err();
        assert_eq!(refused("short"), Some(WeakPassword::TooShort));
        assert_eq!(refused(&"x".repeat(129)), Some(WeakPassword::TooLong));
        assert_eq!(
            refused("olena.kovalenko-2026"),
            Some(WeakPassword::ContainsEmail)
        );
        assert_eq!(
            refused("my olena.kovalenko@kyiv.gov.ua"),
            Some(WeakPassword::ContainsEmail)
        );
        assert_eq!(refused("aaaaaaaaaaaaaaa"), Some(WeakPassword::Repetitive));
        assert_eq!(refused("xy1zxy1zxy1z"), Some(WeakPassword::Repetitive));
        assert_eq!(refused("aabbaabbaabbaab"), Some(WeakPassword::Repetitive));
        assert_eq!(refused("123456789012"), Some(WeakPassword::Sequence));
        assert_eq!(refused("abcdefghijklmn"), Some(WeakPassword::Sequence));
        assert_eq!(refused("9876543210987"), Some(WeakPassword::Sequence));
        assert!(Password::parse("каштани цвітуть у травні", &e).is_ok());
        assert!(Password::parse("correct horse battery", &e).is_ok());
        assert!(Password::parse("84930271 ab!", &e).is_ok());
    }

    #[test]
    fn common_and_breached_passwords_are_refused_whole_padded_or_repeated() {
        let e = email();
        for common in [
            // On the list whole (12+ characters).
            "qwertyasdfgh",
            "1q2w3e4r5t6y",
            // A listed word padded with digits and punctuation.
            "password1234!",
            "Sunshine2024!!",
            "!!Dragon1234567",
            // A listed word repeated.
            "passwordpassword",
            "monkey1monkey1",
            // The local list.
            "Пароль2024!!",
            "йцукенгшщзхъ",
            "civicrate2026",
        ] {
            assert_eq!(
                Password::parse(common, &e).err(),
                Some(WeakPassword::Common),
                "{common}"
            );
        }
    }

    #[test]
    fn the_iteration_count_is_pinned_to_the_production_cap() {
        assert_eq!(PBKDF2_ITERATIONS, 100_000);
        let too_many = PasswordHash {
            iterations: 100_001,
            ..DUMMY_HASH
        };
        assert_eq!(PasswordHash::parse(&too_many.encode()), None);
        assert_eq!(PasswordHash::parse(&DUMMY_HASH.encode()), Some(DUMMY_HASH));
        assert!(DUMMY_HASH.encode().starts_with("pbkdf2-sha256$100000$"));
    }

    fn key() -> SessionKey {
        SessionKey::parse(&STANDARD.encode([9u8; 32])).unwrap()
    }

    #[test]
    fn a_session_cookie_round_trips_and_a_forged_one_is_refused() {
        let id = SessionId::from_random([1; 32]);
        let value = id.cookie_value(&key());
        assert!(SessionId::from_cookie(&value, &key()) == Some(id.clone()));
        let other = SessionKey::parse(&STANDARD.encode([8u8; 32])).unwrap();
        assert!(SessionId::from_cookie(&value, &other).is_none());
        let mut tampered = value.clone().into_bytes();
        tampered[3] ^= 1;
        assert!(SessionId::from_cookie(&String::from_utf8(tampered).unwrap(), &key()).is_none());
        assert!(SessionId::from_cookie("garbage", &key()).is_none());
        assert_ne!(id.csrf(&key()), id.csrf(&other));
        assert_ne!(
            id.csrf(&key()),
            SessionId::from_random([2; 32]).csrf(&key())
        );
    }

    #[test]
    fn the_cookie_is_found_among_others_and_carries_every_flag() {
        assert_eq!(
            cookie_from_header("a=1; __Host-civicrate=abc.def; b=2"),
            Some("abc.def")
        );
        assert_eq!(cookie_from_header("civicrate=x"), None);
        let set = set_cookie_header("v", 60);
        for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(set.contains(flag), "{flag}");
        }
    }

    #[test]
    fn api_tokens_are_recognised_by_shape_and_stored_hashed() {
        let t = Secret::api_token([5; 32]);
        assert!(t.shown.starts_with("cr_"));
        assert_eq!(api_token_hash(&t.shown), Some(t.hash.clone()));
        assert!(!t.hash.contains(&t.shown));
        assert_eq!(api_token_hash("cr_short"), None);
        assert_eq!(api_token_hash("Bearer x"), None);
    }

    #[test]
    fn grants_need_a_unit_except_superadmin() {
        let u = UnitId::parse(3).unwrap();
        assert_eq!(Grant::parse("superadmin", None), Ok(Grant::Superadmin));
        assert_eq!(Grant::parse("viewer", Some(3)), Ok(Grant::Viewer(u)));
        assert_eq!(Grant::parse("superadmin", Some(3)), Err(GrantError::Unit));
        assert_eq!(Grant::parse("unit_admin", None), Err(GrantError::Unit));
        assert_eq!(Grant::parse("root", None), Err(GrantError::UnknownRole));
    }

    #[test]
    fn only_an_admin_of_a_proper_ancestor_or_a_superadmin_is_strictly_above_a_unit() {
        let [city, branch, office] = [1, 2, 3].map(|n| UnitId::parse(n).unwrap());
        let path = [city, branch, office];
        assert!(strictly_above(&[Grant::Superadmin], &path));
        assert!(strictly_above(&[Grant::UnitAdmin(city)], &path));
        assert!(strictly_above(&[Grant::UnitAdmin(branch)], &path));
        assert!(!strictly_above(&[Grant::UnitAdmin(office)], &path));
        assert!(!strictly_above(&[Grant::Viewer(city)], &path));
        assert!(!strictly_above(&[], &path));
        // Holding the unit itself as well as an ancestor still counts as above.
        assert!(strictly_above(
            &[Grant::UnitAdmin(office), Grant::UnitAdmin(city)],
            &path
        ));
        assert!(!strictly_above(&[Grant::UnitAdmin(city)], &[city]));
    }

    #[test]
    fn an_appeal_goes_up_past_whoever_filed_it() {
        let [city, branch, office] = [1, 2, 3].map(|n| UnitId::parse(n).unwrap());
        let path = [city, branch, office];
        let branch_admin = [Grant::UnitAdmin(branch)];
        // Filed by the office's admin: the branch's admin decides.
        assert!(may_decide_appeal(
            &branch_admin,
            &[Grant::UnitAdmin(office)],
            &path
        ));
        // Filed by the branch's admin: a second branch admin (say, one they invited) does not.
        assert!(!may_decide_appeal(&branch_admin, &branch_admin, &path));
        assert!(may_decide_appeal(
            &[Grant::UnitAdmin(city)],
            &branch_admin,
            &path
        ));
        // Nobody below a superadmin decides what a superadmin filed; another superadmin does.
        assert!(!may_decide_appeal(
            &[Grant::UnitAdmin(city)],
            &[Grant::Superadmin],
            &path
        ));
        assert!(may_decide_appeal(
            &[Grant::Superadmin],
            &[Grant::Superadmin],
            &path
        ));
        // The unit's own admin never decides, whoever filed.
        assert!(!may_decide_appeal(
            &[Grant::UnitAdmin(office)],
            &[Grant::Viewer(office)],
            &path
        ));
        // A filer who lost every role on the path: strictly above the unit is enough.
        assert!(may_decide_appeal(&branch_admin, &[], &path));
    }

    #[test]
    fn viewers_read_but_do_not_write_their_subtree() {
        let (a, b) = (UnitId::parse(1).unwrap(), UnitId::parse(2).unwrap());
        let p = Principal {
            account: AccountId::parse(1).unwrap(),
            email: "x@y.z".into(),
            grants: vec![Grant::Viewer(a), Grant::UnitAdmin(b)],
            via: Via::ApiToken,
        };
        assert_eq!(p.read_scope(), Scope::Subtrees(vec![a, b]));
        assert_eq!(p.write_scope(), Scope::Subtrees(vec![b]));
        assert_eq!(p.write_scope().sql_param().as_deref(), Some("[2]"));
        let root = Principal {
            grants: vec![Grant::Superadmin],
            ..p
        };
        assert_eq!(root.write_scope(), Scope::All);
        assert_eq!(Scope::All.sql_param(), None);
    }
}
