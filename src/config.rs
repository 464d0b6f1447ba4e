//! The instance's configuration, read once into one typed value that the requests and the
//! crons share. Every setting is checked here: a bad value is an error that names the setting
//! and its rule, so a misconfigured instance stops (every request answers that it is
//! misconfigured, `/healthz` names the setting, the crons do nothing) instead of running on a
//! default nobody chose. Only an absent optional setting takes its documented default.
//!
//! Platform-neutral: `parse` reads through a function, so the Workers glue passes its
//! environment and the tests a table. Error messages never carry a setting's value when the
//! setting may be a secret (`TOKEN_KEYS`, `SESSION_KEY`, `TURNSTILE_SECRET`,
//! `ALERT_WEBHOOK_URL`).

use crate::account::SessionKey;
use crate::alert::AlertConfig;
use crate::cf_access::AccessConfig;
use crate::i18n::Lang;
use crate::qr::PublicBaseUrl;
use crate::shard::ShardMap;
use crate::token::KeyRing;
use crate::voting::service::ClientLimits;
use std::fmt;

/// Cloudflare's Turnstile verification endpoint.
pub const TURNSTILE_SITEVERIFY: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/// Contacts are deleted after this many days unless `CONTACT_RETENTION_DAYS` says otherwise.
pub const DEFAULT_CONTACT_RETENTION_DAYS: u32 = 180;

/// Requests per client and minute on the public results and receipt checks, unless
/// `PUBLIC_RATE_LIMIT` says otherwise. A person reading results clicks a few times a minute;
/// a script of open data needs one request per month.
pub const DEFAULT_PUBLIC_RATE_LIMIT: u32 = 120;

/// A setting whose value breaks its rule, or a required one that is missing. The message
/// names the setting (or the binding) and the rule, never a secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    setting: &'static str,
    message: String,
}

impl ConfigError {
    fn new(setting: &'static str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            setting,
            message: message.into(),
        }
    }

    /// The setting at fault (`DB_SHARD_<n>` for a badly named shard binding).
    pub fn setting(&self) -> &'static str {
        self.setting
    }
}

/// Cloudflare Turnstile on the vote (`TURNSTILE_SITE_KEY`, the secret `TURNSTILE_SECRET`).
#[derive(Clone, PartialEq, Eq)]
pub struct TurnstileConfig {
    pub site_key: String,
    secret: String,
    /// `TURNSTILE_VERIFY_URL` in local tests, which cannot reach Cloudflare; else siteverify.
    pub verify_url: String,
}

impl TurnstileConfig {
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for TurnstileConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnstileConfig")
            .field("site_key", &self.site_key)
            .field("verify_url", &self.verify_url)
            .finish_non_exhaustive()
    }
}

/// Every setting the requests and the crons use, checked.
pub struct Config {
    /// `TOKEN_KEYS` (secret, required): signs and verifies the codes.
    pub ring: KeyRing,
    /// `PUBLIC_BASE_URL` (required): the origin printed in QR codes.
    pub base_url: PublicBaseUrl,
    /// `DEFAULT_LANG` (default `uk`): pages, posters and alerts when nothing else names one.
    pub default_lang: Lang,
    /// Signs session cookies and CSRF values (`SESSION_KEY`); without it nobody can sign in.
    pub session_key: Option<SessionKey>,
    /// Cloudflare Access in front of the admin (`ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`), if used.
    pub access: Option<AccessConfig>,
    /// Languages printed on posters after the default one (`POSTER_LANGS`, default `en`).
    pub extra_poster_langs: Vec<Lang>,
    /// What one network may do (`VOTE_DAILY_LIMIT`).
    pub limits: ClientLimits,
    /// Votes before an employee's score shows in rankings and public results (`MIN_VOTES`).
    pub min_votes: u32,
    /// How many times a signed vote counts in weighted averages (`SIGNED_WEIGHT`, 1 to 5).
    pub signed_weight: u32,
    /// Whether `/results` and the open-data endpoint answer (`PUBLIC_RESULTS` = "on").
    pub public_results: bool,
    /// Requests per client and minute on the public reads (`PUBLIC_RATE_LIMIT`).
    pub public_rate_limit: u32,
    /// The time zone new units get (`DEFAULT_TIMEZONE`, one of `local_day::ZONES`).
    pub default_timezone: &'static str,
    /// Cloudflare Turnstile on the vote, if configured.
    pub turnstile: Option<TurnstileConfig>,
    /// `HOME_SHARD` and the bound `DB_SHARD_<n>` databases.
    pub shards: ShardMap,
    /// `NATIONAL_SHARDS`: the shards the national view collects.
    pub national: Vec<u8>,
    /// `SIMULATED_CLOCK` (local runs only): a request may say what time it is.
    pub simulated_clock: bool,
    /// `SIMULATED_REDELIVERY` (local runs only): every queued vote is sent twice.
    pub simulated_redelivery: bool,
    /// `CASE_DEADLINE_DAYS` (1 to 365, default 30): days to answer a case.
    pub case_deadline_days: u32,
    /// `CONTACT_RETENTION_DAYS` (1 to 3650, default 180): days a contact is kept.
    pub contact_retention_days: u32,
    /// Where alerts go (`ALERT_WEBHOOK_URL`, `ALERT_FORMAT`, `TELEGRAM_CHAT_ID`); `None`: no alerts.
    pub alerts: Option<AlertConfig>,
}

impl fmt::Debug for Config {
    // The key ring and the session key are secrets; their presence is what a reader needs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("ring", &self.ring)
            .field("base_url", &self.base_url)
            .field("default_lang", &self.default_lang)
            .field("session_key", &self.session_key.is_some())
            .field("access", &self.access)
            .field("extra_poster_langs", &self.extra_poster_langs)
            .field("limits", &self.limits)
            .field("min_votes", &self.min_votes)
            .field("signed_weight", &self.signed_weight)
            .field("public_results", &self.public_results)
            .field("public_rate_limit", &self.public_rate_limit)
            .field("default_timezone", &self.default_timezone)
            .field("turnstile", &self.turnstile)
            .field("shards", &self.shards)
            .field("national", &self.national)
            .field("simulated_clock", &self.simulated_clock)
            .field("simulated_redelivery", &self.simulated_redelivery)
            .field("case_deadline_days", &self.case_deadline_days)
            .field("contact_retention_days", &self.contact_retention_days)
            .field("alerts", &self.alerts.is_some())
            .finish()
    }
}

const LOCAL_ONLY: &str =
    "is for local tests only (PUBLIC_BASE_URL must be http://127.0.0.1 or localhost)";

impl Config {
    /// Reads every setting through `get` (a secret or a var by name) and the names of the
    /// worker's bindings (for the shard databases `DB_SHARD_<n>`), and checks each.
    pub fn parse<'a>(
        get: impl Fn(&str) -> Option<String>,
        binding_names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Config, ConfigError> {
        let raw = &get;
        // An optional setting set to blanks is absent, as an unset one.
        let get = |name: &str| raw(name).filter(|v| !v.trim().is_empty());
        let keys = raw("TOKEN_KEYS")
            .ok_or_else(|| ConfigError::new("TOKEN_KEYS", "TOKEN_KEYS is not set"))?;
        let ring =
            KeyRing::parse(&keys).map_err(|e| ConfigError::new("TOKEN_KEYS", e.to_string()))?;
        let base = get("PUBLIC_BASE_URL")
            .ok_or_else(|| ConfigError::new("PUBLIC_BASE_URL", "PUBLIC_BASE_URL is not set"))?;
        let base_url = PublicBaseUrl::parse(&base)
            .map_err(|e| ConfigError::new("PUBLIC_BASE_URL", e.to_string()))?;
        let local = base_url.is_local();
        let default_lang = match get("DEFAULT_LANG") {
            None => Lang::Uk,
            Some(l) => Lang::parse(&l).ok_or_else(|| {
                ConfigError::new("DEFAULT_LANG", "DEFAULT_LANG must be uk, ru, kk, fa or en")
            })?,
        };
        let session_key = match get("SESSION_KEY") {
            None => None,
            Some(k) => Some(
                SessionKey::parse(&k)
                    .map_err(|e| ConfigError::new("SESSION_KEY", e.to_string()))?,
            ),
        };
        let access = AccessConfig::from_settings(
            get("ACCESS_TEAM_DOMAIN").as_deref(),
            get("ACCESS_AUD").as_deref(),
        )
        .map_err(|e| {
            let setting = match e {
                crate::cf_access::AccessConfigError::Audience => "ACCESS_AUD",
                _ => "ACCESS_TEAM_DOMAIN",
            };
            ConfigError::new(setting, e.to_string())
        })?;
        // Set but empty is a choice here: posters in the default language only.
        let extra_poster_langs = poster_langs(raw("POSTER_LANGS").as_deref())?;
        let limits = ClientLimits::parse(get("VOTE_DAILY_LIMIT").as_deref())
            .map_err(|e| ConfigError::new("VOTE_DAILY_LIMIT", e))?;
        let min_votes = whole(
            get("MIN_VOTES"),
            "MIN_VOTES",
            1..=1000,
            crate::results::report::DEFAULT_MIN_VOTES,
        )?;
        let default_timezone = match get("DEFAULT_TIMEZONE") {
            None => "UTC",
            Some(z) => crate::local_day::parse_zone(&z).map_err(|e| {
                ConfigError::new("DEFAULT_TIMEZONE", format!("DEFAULT_TIMEZONE {e}"))
            })?,
        };
        let signed_weight = whole(get("SIGNED_WEIGHT"), "SIGNED_WEIGHT", 1..=5, 1)?;
        let public_results = on_off(get("PUBLIC_RESULTS"), "PUBLIC_RESULTS")?;
        let public_rate_limit = whole(
            get("PUBLIC_RATE_LIMIT"),
            "PUBLIC_RATE_LIMIT",
            1..=1_000_000,
            DEFAULT_PUBLIC_RATE_LIMIT,
        )?;
        let simulated_clock = on_off(get("SIMULATED_CLOCK"), "SIMULATED_CLOCK")?;
        if simulated_clock && !local {
            return Err(ConfigError::new(
                "SIMULATED_CLOCK",
                format!("SIMULATED_CLOCK {LOCAL_ONLY}"),
            ));
        }
        let simulated_redelivery = on_off(get("SIMULATED_REDELIVERY"), "SIMULATED_REDELIVERY")?;
        if simulated_redelivery && !local {
            return Err(ConfigError::new(
                "SIMULATED_REDELIVERY",
                format!("SIMULATED_REDELIVERY {LOCAL_ONLY}"),
            ));
        }
        let turnstile = turnstile(
            get("TURNSTILE_SITE_KEY"),
            get("TURNSTILE_SECRET"),
            get("TURNSTILE_VERIFY_URL"),
            local,
        )?;
        let shards = ShardMap::parse(get("HOME_SHARD").as_deref(), binding_names).map_err(|e| {
            // ShardMap names the binding at fault in its message; the setting is its family.
            let setting = if e.starts_with("HOME_SHARD") {
                "HOME_SHARD"
            } else {
                "DB_SHARD_<n>"
            };
            ConfigError::new(setting, e)
        })?;
        let national = shards
            .national(get("NATIONAL_SHARDS").as_deref())
            .map_err(|e| ConfigError::new("NATIONAL_SHARDS", e))?;
        let case_deadline_days = whole(
            get("CASE_DEADLINE_DAYS"),
            "CASE_DEADLINE_DAYS",
            1..=365,
            crate::results::DEFAULT_CASE_DEADLINE_DAYS,
        )?;
        let contact_retention_days = whole(
            get("CONTACT_RETENTION_DAYS"),
            "CONTACT_RETENTION_DAYS",
            1..=3650,
            DEFAULT_CONTACT_RETENTION_DAYS,
        )?;
        let alerts = AlertConfig::from_settings(
            get("ALERT_WEBHOOK_URL").as_deref(),
            get("ALERT_FORMAT").as_deref(),
            get("TELEGRAM_CHAT_ID").as_deref(),
        )
        .map_err(|e| {
            let setting = if e.starts_with("ALERT_WEBHOOK_URL") {
                "ALERT_WEBHOOK_URL"
            } else if e.starts_with("ALERT_FORMAT must") {
                "ALERT_FORMAT"
            } else {
                "TELEGRAM_CHAT_ID"
            };
            ConfigError::new(setting, e)
        })?;
        Ok(Config {
            ring,
            base_url,
            default_lang,
            session_key,
            access,
            extra_poster_langs,
            limits,
            min_votes,
            signed_weight,
            public_results,
            public_rate_limit,
            default_timezone,
            turnstile,
            shards,
            national,
            simulated_clock,
            simulated_redelivery,
            case_deadline_days,
            contact_retention_days,
            alerts,
        })
    }
}

/// A whole number within `range`, or `default` when the setting is absent.
fn whole(
    value: Option<String>,
    setting: &'static str,
    range: std::ops::RangeInclusive<u32>,
    default: u32,
) -> Result<u32, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                ConfigError::new(
                    setting,
                    format!(
                        "{setting} must be a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                )
            }),
    }
}

/// `on` or `off`; absent is off.
fn on_off(value: Option<String>, setting: &'static str) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::trim) {
        None | Some("off") => Ok(false),
        Some("on") => Ok(true),
        Some(_) => Err(ConfigError::new(
            setting,
            format!("{setting} must be on or off"),
        )),
    }
}

/// `POSTER_LANGS`: comma-separated languages; absent means English.
fn poster_langs(value: Option<&str>) -> Result<Vec<Lang>, ConfigError> {
    let mut langs = Vec::new();
    for entry in value.unwrap_or("en").split(',').map(str::trim) {
        if entry.is_empty() {
            continue;
        }
        let lang = Lang::parse(entry).ok_or_else(|| {
            ConfigError::new(
                "POSTER_LANGS",
                format!("POSTER_LANGS: `{entry}` is not one of uk, ru, kk, fa, en"),
            )
        })?;
        if !langs.contains(&lang) {
            langs.push(lang);
        }
    }
    Ok(langs)
}

/// Both Turnstile settings or neither; `TURNSTILE_VERIFY_URL` only in local tests.
fn turnstile(
    site_key: Option<String>,
    secret: Option<String>,
    verify_url: Option<String>,
    local: bool,
) -> Result<Option<TurnstileConfig>, ConfigError> {
    let verify_url = match verify_url {
        Some(_) if !local => {
            return Err(ConfigError::new(
                "TURNSTILE_VERIFY_URL",
                "TURNSTILE_VERIFY_URL is for local tests only",
            ))
        }
        Some(u) => u,
        None => TURNSTILE_SITEVERIFY.to_owned(),
    };
    match (site_key, secret) {
        (None, None) => Ok(None),
        (Some(site_key), Some(secret)) => Ok(Some(TurnstileConfig {
            site_key,
            secret,
            verify_url,
        })),
        (None, Some(_)) => Err(ConfigError::new(
            "TURNSTILE_SITE_KEY",
            "set both TURNSTILE_SITE_KEY and TURNSTILE_SECRET, or neither",
        )),
        (Some(_), None) => Err(ConfigError::new(
            "TURNSTILE_SECRET",
            "set both TURNSTILE_SITE_KEY and TURNSTILE_SECRET, or neither",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn secret(byte: u8) -> String {
        base64::engine::general_purpose::STANDARD.encode([byte; 32])
    }

    /// The required settings of a local instance, then `extra` over them.
    fn parse_with(extra: &[(&str, &str)], bindings: &[&str]) -> Result<Config, ConfigError> {
        let keys = format!("1:{}", secret(1));
        let mut settings: Vec<(String, String)> = vec![
            ("TOKEN_KEYS".into(), keys),
            ("PUBLIC_BASE_URL".into(), "http://127.0.0.1:8787".into()),
        ];
        for (k, v) in extra {
            settings.retain(|(name, _)| name != k);
            settings.push(((*k).into(), (*v).into()));
        }
        Config::parse(
            |name| {
                settings
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            },
            bindings.iter().copied(),
        )
    }

    fn parse(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        parse_with(extra, &[])
    }

    fn refused(extra: &[(&str, &str)]) -> ConfigError {
        parse(extra).expect_err("refused")
    }

    /// Without a `TOKEN_KEYS` of its own: `parse` always sets one.
    fn without(name: &str) -> ConfigError {
        let keys = format!("1:{}", secret(1));
        Config::parse(
            |n| match n {
                "TOKEN_KEYS" if name != "TOKEN_KEYS" => Some(keys.clone()),
                "PUBLIC_BASE_URL" if name != "PUBLIC_BASE_URL" => {
                    Some("https://rate.example".into())
                }
                _ => None,
            },
            [],
        )
        .expect_err("refused")
    }

    #[test]
    fn absent_optional_settings_take_their_documented_defaults() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.default_lang, Lang::Uk);
        assert!(c.session_key.is_none());
        assert!(c.access.is_none());
        assert_eq!(c.extra_poster_langs, vec![Lang::En]);
        assert_eq!(c.limits, ClientLimits::DEFAULT);
        assert_eq!(c.min_votes, 10);
        assert_eq!(c.signed_weight, 1);
        assert!(!c.public_results);
        assert_eq!(c.public_rate_limit, 120);
        assert_eq!(c.default_timezone, "UTC");
        assert!(c.turnstile.is_none());
        assert_eq!(c.shards, ShardMap::single(0));
        assert!(c.national.is_empty());
        assert!(!c.simulated_clock && !c.simulated_redelivery);
        assert_eq!(c.case_deadline_days, 30);
        assert_eq!(c.contact_retention_days, 180);
        assert!(c.alerts.is_none());
    }

    #[test]
    fn every_setting_set_well_is_read() {
        let session = secret(2);
        let c = parse_with(
            &[
                ("DEFAULT_LANG", "fa"),
                ("SESSION_KEY", &session),
                ("ACCESS_TEAM_DOMAIN", "city.cloudflareaccess.com"),
                ("ACCESS_AUD", "0123456789abcdef0123456789abcdef"),
                ("POSTER_LANGS", "ru, en"),
                ("VOTE_DAILY_LIMIT", "40"),
                ("MIN_VOTES", "5"),
                ("SIGNED_WEIGHT", "3"),
                ("PUBLIC_RESULTS", "on"),
                ("PUBLIC_RATE_LIMIT", "600"),
                ("DEFAULT_TIMEZONE", "Asia/Tehran"),
                ("TURNSTILE_SITE_KEY", "site"),
                ("TURNSTILE_SECRET", "hidden"),
                ("HOME_SHARD", "3"),
                ("NATIONAL_SHARDS", "3,7"),
                ("SIMULATED_CLOCK", "on"),
                ("SIMULATED_REDELIVERY", "on"),
                ("CASE_DEADLINE_DAYS", "14"),
                ("CONTACT_RETENTION_DAYS", "90"),
                ("ALERT_WEBHOOK_URL", "https://hooks.example/x"),
            ],
            &["DB", "DB_SHARD_7", "VOTE_QUEUE"],
        )
        .unwrap();
        assert_eq!(c.default_lang, Lang::Fa);
        assert!(c.session_key.is_some() && c.access.is_some());
        assert_eq!(c.extra_poster_langs, vec![Lang::Ru, Lang::En]);
        assert_eq!(c.limits.daily, 40);
        assert_eq!((c.min_votes, c.signed_weight), (5, 3));
        assert!(c.public_results);
        assert_eq!(c.public_rate_limit, 600);
        assert_eq!(c.default_timezone, "Asia/Tehran");
        let t = c.turnstile.as_ref().unwrap();
        assert_eq!((t.site_key.as_str(), t.secret()), ("site", "hidden"));
        assert_eq!(t.verify_url, TURNSTILE_SITEVERIFY);
        assert_eq!(c.shards.home(), 3);
        assert_eq!(c.national, vec![3, 7]);
        assert!(c.simulated_clock && c.simulated_redelivery);
        assert_eq!((c.case_deadline_days, c.contact_retention_days), (14, 90));
        assert!(c.alerts.is_some());
    }

    #[test]
    fn the_token_keys_and_the_public_base_url_are_required() {
        let e = without("TOKEN_KEYS");
        assert_eq!(
            (e.setting(), e.to_string().as_str()),
            ("TOKEN_KEYS", "TOKEN_KEYS is not set")
        );
        let e = without("PUBLIC_BASE_URL");
        assert_eq!(e.setting(), "PUBLIC_BASE_URL");
        assert_eq!(e.to_string(), "PUBLIC_BASE_URL is not set");
    }

    #[test]
    fn a_bad_key_ring_is_refused_without_showing_any_key() {
        let short = format!(
            "1:{}",
            base64::engine::general_purpose::STANDARD.encode([9u8; 16])
        );
        let e = refused(&[("TOKEN_KEYS", &short)]);
        assert_eq!(e.setting(), "TOKEN_KEYS");
        assert_eq!(
            e.to_string(),
            "TOKEN_KEYS entry 0: secret must be at least 32 bytes"
        );
        assert!(!e.to_string().contains(&short[2..]));
        let e = refused(&[("TOKEN_KEYS", "")]);
        assert_eq!(e.to_string(), "TOKEN_KEYS is empty");
    }

    #[test]
    fn a_public_base_url_with_a_path_is_refused() {
        let e = refused(&[("PUBLIC_BASE_URL", "https://rate.example/city")]);
        assert_eq!(e.setting(), "PUBLIC_BASE_URL");
    }

    #[test]
    fn a_session_key_too_short_is_refused_without_showing_it() {
        let short = base64::engine::general_purpose::STANDARD.encode(b"sixteen byte key");
        let e = refused(&[("SESSION_KEY", &short)]);
        assert_eq!(e.setting(), "SESSION_KEY");
        assert!(!e.to_string().contains(&short));
    }

    #[test]
    fn a_default_language_that_is_not_a_language_is_refused() {
        let e = refused(&[("DEFAULT_LANG", "de")]);
        assert_eq!(e.setting(), "DEFAULT_LANG");
        assert_eq!(e.to_string(), "DEFAULT_LANG must be uk, ru, kk, fa or en");
        assert_eq!(
            parse(&[("DEFAULT_LANG", "ru-RU")]).unwrap().default_lang,
            Lang::Ru
        );
    }

    #[test]
    fn a_poster_language_that_is_not_a_language_is_refused() {
        let e = refused(&[("POSTER_LANGS", "en,xx")]);
        assert_eq!(e.setting(), "POSTER_LANGS");
        assert!(e.to_string().contains("`xx`"));
    }

    #[test]
    fn an_empty_poster_langs_prints_the_default_language_only() {
        assert!(parse(&[("POSTER_LANGS", "")])
            .unwrap()
            .extra_poster_langs
            .is_empty());
    }

    #[test]
    fn a_signed_weight_outside_one_to_five_is_refused() {
        for bad in ["0", "6", "9", "two", "-1"] {
            let e = refused(&[("SIGNED_WEIGHT", bad)]);
            assert_eq!(e.setting(), "SIGNED_WEIGHT");
            assert_eq!(
                e.to_string(),
                "SIGNED_WEIGHT must be a whole number from 1 to 5"
            );
        }
        assert_eq!(parse(&[("SIGNED_WEIGHT", " 5 ")]).unwrap().signed_weight, 5);
    }

    #[test]
    fn min_votes_outside_one_to_a_thousand_is_refused() {
        let e = refused(&[("MIN_VOTES", "0")]);
        assert_eq!(
            e.to_string(),
            "MIN_VOTES must be a whole number from 1 to 1000"
        );
        assert!(parse(&[("MIN_VOTES", "1001")]).is_err());
    }

    #[test]
    fn a_vote_daily_limit_of_zero_is_refused() {
        let e = refused(&[("VOTE_DAILY_LIMIT", "0")]);
        assert_eq!(e.setting(), "VOTE_DAILY_LIMIT");
        assert_eq!(
            e.to_string(),
            "VOTE_DAILY_LIMIT must be a whole number from 1 to 100000"
        );
    }

    #[test]
    fn a_case_deadline_of_zero_days_is_refused() {
        let e = refused(&[("CASE_DEADLINE_DAYS", "0")]);
        assert_eq!(e.setting(), "CASE_DEADLINE_DAYS");
        assert_eq!(
            e.to_string(),
            "CASE_DEADLINE_DAYS must be a whole number from 1 to 365"
        );
        assert!(parse(&[("CASE_DEADLINE_DAYS", "366")]).is_err());
        assert!(parse(&[("CASE_DEADLINE_DAYS", "a month")]).is_err());
    }

    #[test]
    fn a_contact_retention_of_more_than_ten_years_is_refused() {
        let e = refused(&[("CONTACT_RETENTION_DAYS", "3651")]);
        assert_eq!(e.setting(), "CONTACT_RETENTION_DAYS");
        assert_eq!(
            e.to_string(),
            "CONTACT_RETENTION_DAYS must be a whole number from 1 to 3650"
        );
    }

    #[test]
    fn a_public_rate_limit_of_zero_is_refused() {
        let e = refused(&[("PUBLIC_RATE_LIMIT", "0")]);
        assert_eq!(e.setting(), "PUBLIC_RATE_LIMIT");
    }

    #[test]
    fn public_results_is_on_or_off_and_nothing_else() {
        let e = refused(&[("PUBLIC_RESULTS", "yes")]);
        assert_eq!(e.to_string(), "PUBLIC_RESULTS must be on or off");
        assert!(!parse(&[("PUBLIC_RESULTS", "off")]).unwrap().public_results);
    }

    #[test]
    fn a_time_zone_not_offered_is_refused() {
        let e = refused(&[("DEFAULT_TIMEZONE", "Mars/Olympus")]);
        assert_eq!(e.setting(), "DEFAULT_TIMEZONE");
        assert!(e.to_string().starts_with("DEFAULT_TIMEZONE must be one of"));
    }

    #[test]
    fn the_simulated_clock_and_redelivery_are_refused_on_a_public_origin() {
        let public = ("PUBLIC_BASE_URL", "https://rate.example");
        for name in ["SIMULATED_CLOCK", "SIMULATED_REDELIVERY"] {
            let e = refused(&[public, (name, "on")]);
            assert_eq!(e.setting(), name);
            assert!(e.to_string().contains("local tests only"));
            let e = refused(&[(name, "maybe")]);
            assert_eq!(e.to_string(), format!("{name} must be on or off"));
        }
    }

    #[test]
    fn half_a_turnstile_is_refused_without_showing_the_secret() {
        let e = refused(&[("TURNSTILE_SECRET", "very-secret")]);
        assert_eq!(e.setting(), "TURNSTILE_SITE_KEY");
        assert!(!e.to_string().contains("very-secret"));
        let e = refused(&[("TURNSTILE_SITE_KEY", "site")]);
        assert_eq!(e.setting(), "TURNSTILE_SECRET");
    }

    #[test]
    fn a_turnstile_verify_url_is_for_local_tests_only() {
        let e = refused(&[
            ("PUBLIC_BASE_URL", "https://rate.example"),
            ("TURNSTILE_VERIFY_URL", "http://127.0.0.1:9/verify"),
        ]);
        assert_eq!(e.setting(), "TURNSTILE_VERIFY_URL");
    }

    #[test]
    fn a_turnstile_secret_never_shows_in_debug_output() {
        let c = parse(&[
            ("TURNSTILE_SITE_KEY", "site"),
            ("TURNSTILE_SECRET", "very-secret"),
        ])
        .unwrap();
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[test]
    fn half_an_access_configuration_is_refused() {
        let e = refused(&[("ACCESS_AUD", "0123456789abcdef")]);
        assert_eq!(
            e.to_string(),
            "set both ACCESS_TEAM_DOMAIN and ACCESS_AUD, or neither"
        );
    }

    #[test]
    fn an_alert_webhook_over_plain_http_is_refused_without_showing_it() {
        let url = "http://hooks.example/bot123:token";
        let e = refused(&[("ALERT_WEBHOOK_URL", url)]);
        assert_eq!(e.setting(), "ALERT_WEBHOOK_URL");
        assert!(!e.to_string().contains("bot123"));
    }

    #[test]
    fn telegram_alerts_without_a_chat_id_are_refused() {
        let e = refused(&[
            ("ALERT_WEBHOOK_URL", "https://api.telegram.example/x"),
            ("ALERT_FORMAT", "telegram"),
        ]);
        assert_eq!(e.setting(), "TELEGRAM_CHAT_ID");
        let e = refused(&[
            ("ALERT_WEBHOOK_URL", "https://hooks.example/x"),
            ("ALERT_FORMAT", "xml"),
        ]);
        assert_eq!(e.setting(), "ALERT_FORMAT");
    }

    #[test]
    fn a_national_shard_without_a_database_is_refused() {
        let e = parse_with(&[("NATIONAL_SHARDS", "0,2")], &["DB"]).expect_err("refused");
        assert_eq!(e.setting(), "NATIONAL_SHARDS");
        assert!(e.to_string().contains("shard 2"));
    }

    #[test]
    fn a_shard_binding_with_a_leading_zero_is_refused() {
        let e = parse_with(&[], &["DB", "DB_SHARD_02"]).expect_err("refused");
        assert_eq!(e.setting(), "DB_SHARD_<n>");
        assert!(e.to_string().contains("DB_SHARD_02"));
        let e = refused(&[("HOME_SHARD", "256")]);
        assert_eq!(e.setting(), "HOME_SHARD");
    }

    #[test]
    fn optional_settings_set_to_blanks_are_absent() {
        let c = parse(&[
            ("DEFAULT_LANG", " "),
            ("MIN_VOTES", ""),
            ("CASE_DEADLINE_DAYS", ""),
            ("DEFAULT_TIMEZONE", ""),
            ("TURNSTILE_SITE_KEY", ""),
            ("ALERT_WEBHOOK_URL", ""),
        ])
        .unwrap();
        assert_eq!(c.default_lang, Lang::Uk);
        assert_eq!((c.min_votes, c.case_deadline_days), (10, 30));
        assert!(c.turnstile.is_none() && c.alerts.is_none());
    }
}
