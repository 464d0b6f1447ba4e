//! Cloudflare Access: the team's keys fetched and cached per isolate, RS256 checked by
//! WebCrypto, the e-mail mapped to an account.

use super::webcrypto::{js_err, subtle};
use super::{http, App};
use crate::account::{constant_time_eq, Principal, Via};
use crate::api::ApiError;
use crate::cf_access::{parse_jwks, AccessConfig, AccessError, Jwk, Jwt};
use crate::routes::Method;
use crate::admin::store::AdminStore;
use js_sys::{Array, Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{console_error, console_log, Fetch, Request, Url};

/// Access publishes its keys for weeks and rotates them with overlap: an hour is fresh enough.
const KEYS_TTL_SECONDS: i64 = 3600;
/// An unknown kid (a rotation) refetches, but at most once a minute, so forged kids cannot
/// make every request a fetch.
const REFETCH_SECONDS: i64 = 60;

thread_local! {
    // Workers isolates are single-threaded.
    static KEYS: RefCell<Option<KeyCache>> = const { RefCell::new(None) };
}

struct KeyCache {
    url: String,
    fetched_at: i64,
    /// When an unknown kid last forced a fetch.
    forced_at: Option<i64>,
    keys: Vec<Jwk>,
}

async fn fetch_keys(cfg: &AccessConfig) -> Result<Vec<Jwk>, String> {
    let url = Url::parse(&cfg.certs_url()).map_err(|e| e.to_string())?;
    let mut resp = Fetch::Url(url).send().await.map_err(|e| e.to_string())?;
    if resp.status_code() != 200 {
        return Err(format!("certs endpoint answered {}", resp.status_code()));
    }
    let text = resp.text().await.map_err(|e| e.to_string())?;
    parse_jwks(&text).map_err(|e| e.to_string())
}

/// The key named `kid`: from the cache when fresh, else fetched.
async fn key(cfg: &AccessConfig, kid: &str, now: i64) -> Result<Option<Jwk>, String> {
    let url = cfg.certs_url();
    let cached = KEYS.with(|k| {
        k.borrow().as_ref().filter(|c| c.url == url).map(|c| {
            (
                c.fetched_at,
                c.forced_at,
                c.keys.iter().find(|j| j.kid == kid).cloned(),
            )
        })
    });
    let mut forced_at = None;
    match cached {
        Some((at, _, Some(found))) if now - at < KEYS_TTL_SECONDS => return Ok(Some(found)),
        Some((_, Some(forced), None)) if now - forced < REFETCH_SECONDS => return Ok(None),
        Some((_, _, None)) => forced_at = Some(now),
        _ => {}
    }
    let keys = fetch_keys(cfg).await?;
    let found = keys.iter().find(|j| j.kid == kid).cloned();
    KEYS.with(|k| {
        *k.borrow_mut() = Some(KeyCache {
            url,
            fetched_at: now,
            forced_at,
            keys,
        })
    });
    Ok(found)
}

fn object(pairs: &[(&str, JsValue)]) -> Result<Object, String> {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).map_err(js_err)?;
    }
    Ok(o)
}

/// RSASSA-PKCS1-v1_5 with SHA-256 over `signed`, by the runtime's WebCrypto.
async fn rs256_verifies(key: &Jwk, signed: &[u8], signature: &[u8]) -> Result<bool, String> {
    let subtle = subtle()?;
    let s = |v: &str| JsValue::from_str(v);
    let jwk = object(&[
        ("kty", s("RSA")),
        ("n", s(&key.n)),
        ("e", s(&key.e)),
        ("alg", s("RS256")),
        ("ext", JsValue::TRUE),
    ])?;
    let algorithm = object(&[
        ("name", s("RSASSA-PKCS1-v1_5")),
        ("hash", object(&[("name", s("SHA-256"))])?.into()),
    ])?;
    let usages = Array::of1(&s("verify"));
    let crypto_key = JsFuture::from(
        subtle
            .import_key_with_object("jwk", &jwk, &algorithm, false, &usages)
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?;
    let ok = JsFuture::from(
        subtle
            .verify_with_object_and_u8_array_and_u8_array(
                &algorithm,
                &crypto_key.unchecked_into(),
                signature,
                signed,
            )
            .map_err(js_err)?,
    )
    .await
    .map_err(js_err)?;
    Ok(ok.as_bool() == Some(true))
}

/// The caller named by a `Cf-Access-Jwt-Assertion`: 401 for anything that does not verify or
/// names no active account, 503 when the team's keys cannot be fetched, 403 for a change
/// without this caller's CSRF value.
pub async fn principal(
    app: &App,
    cfg: &AccessConfig,
    assertion: &str,
    req: &Request,
    method: Method,
) -> Result<Principal, ApiError> {
    let refuse = |why: AccessError| {
        // Not an error of ours: a bad or expired assertion is an ordinary 401.
        console_log!("access: assertion refused: {why}");
        ApiError::unauthorized()
    };
    let jwt = Jwt::parse(assertion).map_err(refuse)?;
    let email = jwt
        .check_claims(cfg, app.now.unix_seconds())
        .map_err(refuse)?;
    let jwk = match key(cfg, &jwt.kid, app.now.unix_seconds()).await {
        Ok(Some(k)) => k,
        Ok(None) => return Err(refuse(AccessError::UnknownKey)),
        Err(e) => {
            console_error!("access: fetching the team's keys failed: {e}");
            return Err(ApiError::unavailable());
        }
    };
    match rs256_verifies(&jwk, &jwt.signed, &jwt.signature).await {
        Ok(true) => {}
        Ok(false) => return Err(refuse(AccessError::Signature)),
        Err(e) => {
            console_log!("access: WebCrypto refused the key or signature: {e}");
            return Err(refuse(AccessError::Signature));
        }
    }
    let account = match app.store.account_by_email(&email).await {
        Ok(Some(a)) if a.active => a,
        Ok(_) => {
            console_log!("access: no active account has the assertion's e-mail");
            return Err(ApiError::unauthorized());
        }
        Err(e) => {
            console_error!("store error resolving an Access e-mail: {e}");
            return Err(ApiError::unavailable());
        }
    };
    // The browser sends Access's cookie on cross-site requests too, and Cloudflare then adds
    // the assertion: so a change needs a CSRF value, as with a session.
    let csrf = app
        .session_key
        .as_ref()
        .map(|k| k.access_csrf(account.id))
        .unwrap_or_default();
    if method.is_unsafe() {
        let sent = http::header(req, "x-csrf-token").unwrap_or_default();
        if csrf.is_empty()
            || !http::same_origin(req)
            || !constant_time_eq(sent.trim().as_bytes(), csrf.as_bytes())
        {
            return Err(ApiError::csrf());
        }
    }
    Ok(Principal {
        account: account.id,
        email: account.email,
        grants: account.grants,
        via: Via::Access { csrf },
    })
}
