//! Optional Cloudflare Access in front of the admin page and API. When Access guards the
//! instance, Cloudflare adds a signed JWT to every request in `Cf-Access-Jwt-Assertion`; the
//! worker checks it itself (Access may be misconfigured, or the worker reached another way)
//! and maps its e-mail to an account.
//!
//! This module is the pure part: the settings, the token's parts and claims, and the team's
//! public keys. The RS256 signature is checked by WebCrypto in the glue, so no RSA code goes
//! into the WASM.

use crate::account::Email;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

/// A token longer than this is refused before decoding (Access tokens are about 1 KB).
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECONDS: i64 = 60;

/// `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// `https://city.cloudflareaccess.com`: the tokens' `iss`.
    pub issuer: String,
    /// The application's audience tag: the tokens' `aud` must contain it.
    pub audience: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessConfigError {
    #[error("ACCESS_TEAM_DOMAIN must be a host such as city.cloudflareaccess.com")]
    TeamDomain,
    #[error("ACCESS_AUD must be the application's audience tag")]
    Audience,
    #[error("set both ACCESS_TEAM_DOMAIN and ACCESS_AUD, or neither")]
    Half,
}

impl AccessConfig {
    /// `city.cloudflareaccess.com` or `https://city.cloudflareaccess.com/`. Plain `http://` is
    /// accepted only for a loopback host with a port, which is what the tests serve keys from.
    pub fn parse(team_domain: &str, audience: &str) -> Result<AccessConfig, AccessConfigError> {
        let team = team_domain.trim().trim_end_matches('/');
        let issuer = if let Some(host) = team.strip_prefix("https://") {
            is_host(host).then(|| format!("https://{host}"))
        } else if let Some(host) = team.strip_prefix("http://") {
            let loopback = ["127.0.0.1:", "localhost:"].iter().any(|p| {
                host.strip_prefix(p)
                    .is_some_and(|port| port.parse::<u16>().is_ok())
            });
            loopback.then(|| format!("http://{host}"))
        } else {
            is_host(team).then(|| format!("https://{team}"))
        }
        .ok_or(AccessConfigError::TeamDomain)?;
        let audience = audience.trim();
        if audience.is_empty() || audience.len() > 256 || audience.chars().any(char::is_whitespace)
        {
            return Err(AccessConfigError::Audience);
        }
        Ok(AccessConfig {
            issuer,
            audience: audience.to_owned(),
        })
    }

    /// Both settings or neither; `None` when Access is not used.
    pub fn from_settings(
        team_domain: Option<&str>,
        audience: Option<&str>,
    ) -> Result<Option<AccessConfig>, AccessConfigError> {
        fn filled(s: Option<&str>) -> Option<&str> {
            s.map(str::trim).filter(|s| !s.is_empty())
        }
        match (filled(team_domain), filled(audience)) {
            (None, None) => Ok(None),
            (Some(t), Some(a)) => AccessConfig::parse(t, a).map(Some),
            _ => Err(AccessConfigError::Half),
        }
    }

    /// Where the team publishes its signing keys.
    pub fn certs_url(&self) -> String {
        format!("{}/cdn-cgi/access/certs", self.issuer)
    }
}

fn is_host(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.contains('.')
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Why an assertion is refused. All answer 401; the reason is only logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error("the assertion is not a JWT")]
    Malformed,
    #[error("the assertion is not signed with RS256")]
    Algorithm,
    #[error("no key of the team has the assertion's kid")]
    UnknownKey,
    #[error("the signature does not verify")]
    Signature,
    #[error("the assertion is for another issuer")]
    Issuer,
    #[error("the assertion is for another application")]
    Audience,
    #[error("the assertion has expired")]
    Expired,
    #[error("the assertion is not valid yet")]
    NotYetValid,
    #[error("the assertion has no usable e-mail")]
    Email,
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
struct Claims {
    #[serde(default)]
    aud: Option<Audience>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    email: Option<String>,
}

/// A parsed, not yet verified, assertion.
#[derive(Debug)]
pub struct Jwt {
    pub kid: String,
    /// `header.payload` as sent: the bytes the signature covers.
    pub signed: Vec<u8>,
    pub signature: Vec<u8>,
    claims: Claims,
}

impl Jwt {
    /// Three base64url parts; the header must say RS256 and name a key. Nothing is trusted
    /// yet: [`Jwt::check_claims`] and the signature check come next.
    pub fn parse(token: &str) -> Result<Jwt, AccessError> {
        let token = token.trim();
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AccessError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AccessError::Malformed);
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| AccessError::Malformed)
        };
        let header: Header =
            serde_json::from_slice(&decode(h)?).map_err(|_| AccessError::Malformed)?;
        if header.alg != "RS256" {
            return Err(AccessError::Algorithm);
        }
        let kid = header
            .kid
            .filter(|k| !k.is_empty())
            .ok_or(AccessError::UnknownKey)?;
        let claims: Claims =
            serde_json::from_slice(&decode(p)?).map_err(|_| AccessError::Malformed)?;
        let signature = decode(s)?;
        if signature.is_empty() {
            return Err(AccessError::Signature);
        }
        Ok(Jwt {
            kid,
            signed: format!("{h}.{p}").into_bytes(),
            signature,
            claims,
        })
    }

    /// Issuer, audience, expiry (required) and not-before, then the e-mail.
    pub fn check_claims(&self, cfg: &AccessConfig, now: i64) -> Result<Email, AccessError> {
        if self.claims.iss.as_deref() != Some(cfg.issuer.as_str()) {
            return Err(AccessError::Issuer);
        }
        let audience_ok = match &self.claims.aud {
            Some(Audience::One(a)) => *a == cfg.audience,
            Some(Audience::Many(all)) => all.contains(&cfg.audience),
            None => false,
        };
        if !audience_ok {
            return Err(AccessError::Audience);
        }
        match self.claims.exp {
            Some(exp) if exp.saturating_add(LEEWAY_SECONDS) > now => {}
            _ => return Err(AccessError::Expired),
        }
        if self
            .claims
            .nbf
            .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECONDS))
        {
            return Err(AccessError::NotYetValid);
        }
        let email = self.claims.email.as_deref().ok_or(AccessError::Email)?;
        Email::parse(email).map_err(|_| AccessError::Email)
    }
}

/// One RSA public key of the team, as JWK members (base64url modulus and exponent).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Jwk {
    pub kid: String,
    pub n: String,
    pub e: String,
}

#[derive(Deserialize)]
struct RawJwk {
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    kty: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

#[derive(Deserialize)]
struct RawJwks {
    keys: Vec<RawJwk>,
}

/// The RSA keys of `{"keys": [...]}` from the team's certs endpoint; other key types and
/// keys without a kid are left out.
pub fn parse_jwks(json: &str) -> Result<Vec<Jwk>, AccessError> {
    let raw: RawJwks = serde_json::from_str(json).map_err(|_| AccessError::Malformed)?;
    Ok(raw
        .keys
        .into_iter()
        .filter(|k| k.kty.as_deref() == Some("RSA"))
        .filter_map(|k| {
            Some(Jwk {
                kid: k.kid.filter(|s| !s.is_empty())?,
                n: k.n.filter(|s| !s.is_empty())?,
                e: k.e.filter(|s| !s.is_empty())?,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn token(header: &str, claims: &str) -> String {
        format!("{}.{}.{}", b64(header), b64(claims), b64("signature"))
    }

    fn cfg() -> AccessConfig {
        AccessConfig::parse("city.cloudflareaccess.com", "aud-tag").unwrap()
    }

    const HEADER: &str = r#"{"alg":"RS256","kid":"k1"}"#;

    fn claims(extra: &str) -> String {
        format!(
            r#"{{"iss":"https://city.cloudflareaccess.com","aud":["aud-tag"],"exp":2000,"email":"Olena@City.gov.ua"{extra}}}"#
        )
    }

    #[test]
    fn team_domains_are_read_in_their_usual_forms() {
        for team in [
            "city.cloudflareaccess.com",
            "https://city.cloudflareaccess.com/",
            " https://city.cloudflareaccess.com ",
        ] {
            assert_eq!(
                AccessConfig::parse(team, "a").unwrap().issuer,
                "https://city.cloudflareaccess.com"
            );
        }
        assert_eq!(
            cfg().certs_url(),
            "https://city.cloudflareaccess.com/cdn-cgi/access/certs"
        );
        assert!(AccessConfig::parse("http://127.0.0.1:8788", "a").is_ok());
        for bad in [
            "http://city.cloudflareaccess.com",
            "city",
            "https://",
            "a b.com",
            "http://127.0.0.1",
        ] {
            assert_eq!(
                AccessConfig::parse(bad, "a"),
                Err(AccessConfigError::TeamDomain),
                "{bad}"
            );
        }
        assert_eq!(
            AccessConfig::parse("city.cloudflareaccess.com", "two words"),
            Err(AccessConfigError::Audience)
        );
        assert_eq!(AccessConfig::from_settings(None, Some("")), Ok(None));
        assert_eq!(
            AccessConfig::from_settings(Some("city.cloudflareaccess.com"), None),
            Err(AccessConfigError::Half)
        );
    }

    #[test]
    fn a_good_assertion_names_its_key_and_email() {
        let jwt = Jwt::parse(&token(HEADER, &claims(""))).unwrap();
        assert_eq!(jwt.kid, "k1");
        assert_eq!(jwt.signature, b"signature");
        assert!(jwt.signed.ends_with(b64(&claims("")).as_bytes()));
        let email = jwt.check_claims(&cfg(), 1000).unwrap();
        assert_eq!(email.as_str(), "olena@city.gov.ua");
        let one_audience = claims("").replace(r#"["aud-tag"]"#, r#""aud-tag""#);
        assert!(Jwt::parse(&token(HEADER, &one_audience))
            .unwrap()
            .check_claims(&cfg(), 1000)
            .is_ok());
    }

    #[test]
    fn every_refusal_has_its_reason() {
        let check = |header: &str, claims: &str, now: i64| {
            Jwt::parse(&token(header, claims)).and_then(|j| j.check_claims(&cfg(), now))
        };
        assert_eq!(
            check(r#"{"alg":"none","kid":"k1"}"#, &claims(""), 1000).unwrap_err(),
            AccessError::Algorithm
        );
        assert_eq!(
            check(r#"{"alg":"HS256","kid":"k1"}"#, &claims(""), 1000).unwrap_err(),
            AccessError::Algorithm
        );
        assert_eq!(
            check(r#"{"alg":"RS256"}"#, &claims(""), 1000).unwrap_err(),
            AccessError::UnknownKey
        );
        assert_eq!(
            check(HEADER, &claims(""), 2000 + LEEWAY_SECONDS).unwrap_err(),
            AccessError::Expired
        );
        assert_eq!(
            check(HEADER, &claims("").replace(r#""exp":2000,"#, ""), 1000).unwrap_err(),
            AccessError::Expired
        );
        assert_eq!(
            check(HEADER, &claims(r#","nbf":1500"#), 1000).unwrap_err(),
            AccessError::NotYetValid
        );
        assert_eq!(
            check(HEADER, &claims("").replace("aud-tag", "other"), 1000).unwrap_err(),
            AccessError::Audience
        );
        assert_eq!(
            check(
                HEADER,
                &claims("").replace("https://city", "https://evil"),
                1000
            )
            .unwrap_err(),
            AccessError::Issuer
        );
        assert_eq!(
            check(
                HEADER,
                &claims("").replace("Olena@City.gov.ua", "not-an-email"),
                1000
            )
            .unwrap_err(),
            AccessError::Email
        );
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!.??.**",
            &"a".repeat(MAX_TOKEN_BYTES + 1),
        ] {
            assert_eq!(
                Jwt::parse(bad).unwrap_err(),
                AccessError::Malformed,
                "{bad}"
            );
        }
    }

    #[test]
    fn only_rsa_keys_with_ids_are_kept() {
        let keys = parse_jwks(
            r#"{"keys":[{"kid":"a","kty":"RSA","alg":"RS256","n":"AQAB","e":"AQAB"},
                        {"kid":"b","kty":"EC","crv":"P-256","x":"..","y":".."},
                        {"kty":"RSA","n":"AQAB","e":"AQAB"}],
                "public_cert":{"kid":"a","cert":"..."}}"#,
        )
        .unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid, "a");
        assert!(parse_jwks("[]").is_err());
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,400}") {
            let _ = Jwt::parse(&s);
            let _ = parse_jwks(&s);
            let _ = AccessConfig::parse(&s, &s);
        }

        #[test]
        fn three_arbitrary_base64_parts_never_panic(a in "[A-Za-z0-9_-]{0,80}", b in "[A-Za-z0-9_-]{0,80}", c in "[A-Za-z0-9_-]{0,80}") {
            if let Ok(jwt) = Jwt::parse(&format!("{a}.{b}.{c}")) {
                let _ = jwt.check_claims(&cfg(), 0);
            }
        }
    }
}
