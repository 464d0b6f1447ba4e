//! Who is calling: an API token, a session cookie (with its CSRF check), or nobody. Also the
//! WebCrypto PBKDF2 behind password hashes.

use super::http::{self, same_origin};
use super::webcrypto::{js_err, subtle};
use super::App;
use crate::account::{self, constant_time_eq, Kdf, Principal, SessionId, SessionKey, Via};
use crate::api::ApiError;
use crate::routes::Method;
use crate::admin::store::{AccountGrants, AdminStore};
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::{console_error, Request};

/// PBKDF2 through the runtime's WebCrypto: native code, far faster than hashing in WASM.
pub struct WebCryptoKdf;

impl Kdf for WebCryptoKdf {
    async fn pbkdf2_sha256(
        &self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<[u8; 32], String> {
        let subtle = subtle()?;
        let usages = Array::of1(&JsValue::from_str("deriveBits"));
        let key_data = Uint8Array::from(password);
        let key = JsFuture::from(
            subtle
                .import_key_with_str("raw", &key_data.into(), "PBKDF2", false, &usages)
                .map_err(js_err)?,
        )
        .await
        .map_err(js_err)?;
        let params = Object::new();
        let set =
            |k: &str, v: &JsValue| Reflect::set(&params, &JsValue::from_str(k), v).map_err(js_err);
        set("name", &JsValue::from_str("PBKDF2"))?;
        set("hash", &JsValue::from_str("SHA-256"))?;
        set("iterations", &JsValue::from_f64(f64::from(iterations)))?;
        set("salt", &Uint8Array::from(salt).into())?;
        let bits = JsFuture::from(
            subtle
                .derive_bits_with_object(&params, &key.unchecked_into(), 256)
                .map_err(js_err)?,
        )
        .await
        .map_err(js_err)?;
        let bytes = Uint8Array::new(&bits).to_vec();
        bytes
            .try_into()
            .map_err(|_| String::from("PBKDF2 returned the wrong length"))
    }
}

fn principal_of(grants: AccountGrants, via: Via) -> Principal {
    Principal {
        account: grants.id,
        email: grants.email,
        grants: grants.grants,
        via,
    }
}

/// The session id in the request's cookie, if its HMAC is right.
pub fn session_id(req: &Request, key: &SessionKey) -> Option<SessionId> {
    let cookie = http::header(req, "cookie")?;
    SessionId::from_cookie(account::cookie_from_header(&cookie)?, key)
}

/// Resolves the caller or answers 401 (nobody) / 403 (a session without its CSRF value).
pub async fn principal(app: &App, req: &Request, method: Method) -> Result<Principal, ApiError> {
    let store = &app.store;
    if let Some(auth) = http::header(req, "authorization") {
        let presented = auth.strip_prefix("Bearer ").unwrap_or("").trim();
        let hash = account::api_token_hash(presented).ok_or_else(ApiError::unauthorized)?;
        return match store.account_by_api_token(&hash, app.now).await {
            Ok(Some(a)) => Ok(principal_of(a, Via::ApiToken)),
            Ok(None) => Err(ApiError::unauthorized()),
            Err(e) => {
                console_error!("store error resolving a token: {e}");
                Err(ApiError::unavailable())
            }
        };
    }
    if let (Some(cfg), Some(assertion)) =
        (&app.access, http::header(req, "cf-access-jwt-assertion"))
    {
        return super::cf_access::principal(app, cfg, &assertion, req, method).await;
    }
    let Some(key) = &app.session_key else {
        return Err(ApiError::unauthorized());
    };
    let Some(id) = session_id(req, key) else {
        return Err(ApiError::unauthorized());
    };
    let account = match store.account_by_session(&id.storage_hash(), app.now).await {
        Ok(Some(a)) => a,
        Ok(None) => return Err(ApiError::unauthorized()),
        Err(e) => {
            console_error!("store error resolving a session: {e}");
            return Err(ApiError::unavailable());
        }
    };
    let csrf = id.csrf(key);
    if method.is_unsafe() {
        let sent = http::header(req, "x-csrf-token").unwrap_or_default();
        if !same_origin(req) || !constant_time_eq(sent.trim().as_bytes(), csrf.as_bytes()) {
            return Err(ApiError::csrf());
        }
    }
    Ok(principal_of(account, Via::Session { csrf }))
}
