//! Reading requests and writing responses: body limits, content types, security headers.

use crate::admin::{AdminError, SignInError};
use crate::api::{self, ApiError};
use crate::pages;
use crate::routes::{self, BodyLimit, Method};
use crate::store::StoreError;
use crate::voting::service::VoteError;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;
use worker::{console_error, Headers, Request, Response, Result};

/// What a JSON API handler answers: a response, or the error its `?` met. The entry turns it
/// into a response once (`respond`).
pub type Answer = std::result::Result<Response, ApiError>;

/// The one place an API handler's error becomes its response.
pub fn respond(answer: Answer) -> Result<Response> {
    match answer {
        Ok(resp) => Ok(resp),
        Err(e) => api_error(&e),
    }
}

// The conversions that may hide an internal failure: its cause is logged here, as the error
// converts, and never shown (`api` keeps the pure, borrowed ones).

/// Building a response failed (a header refused, a body not made): the cause is logged.
impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> ApiError {
        console_error!("building a response failed: {e}");
        ApiError::unavailable()
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> ApiError {
        if let Some(cause) = api::admin_internal_cause(&e) {
            console_error!("admin request failed: {cause}");
        }
        (&e).into()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        AdminError::Store(e).into()
    }
}

impl From<VoteError> for ApiError {
    fn from(e: VoteError) -> ApiError {
        if let Some(cause) = api::internal_cause(&e) {
            console_error!("store error on vote: {cause}");
        }
        if let VoteError::ChallengeUnavailable(cause) = &e {
            console_error!("turnstile: {cause}");
        }
        (&e).into()
    }
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> ApiError {
        if let Some(cause) = api::sign_in_internal_cause(&e) {
            console_error!("sign-in failed: {cause}");
        }
        (&e).into()
    }
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// The request's method as sent. `Request::method()` reads any method it does not know
/// (`QUERY`, `PROPFIND`) as GET, which would answer it as a GET instead of a 405.
pub fn method(req: &Request) -> Method {
    Method::parse(&req.inner().method())
}

/// The first value of a query parameter. Read from the raw URL rather than `Request::url()`:
/// that parses with the `url` crate, whose IDNA tables would add ~100 KB to the WASM.
pub fn query(req: &Request, key: &str) -> Option<String> {
    let url = req.inner().url();
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k) == key).then(|| decode(v))
    })
}

fn decode(s: &str) -> String {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// The cap on this request's body: its route's (`routes::BodyLimit`), declared beside the
/// route table. Found again from the method and path, so that every reader of a body is bound
/// by the same table without each handler passing it on.
pub fn body_limit(req: &Request) -> usize {
    let path = req.path();
    routes::route(method(req), &path)
        .map_or(BodyLimit::Account, |m| m.def.body)
        .bytes()
}

/// Whether `Content-Length` already says the body is over `max`: refused before any reading.
pub fn declared_too_large(req: &Request, max: usize) -> bool {
    header(req, "content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > max as u64)
}

/// Reads the body up to its route's cap. It is counted chunk by chunk as it streams in, with or
/// without `Content-Length`: at the cap reading stops and 413 is answered, so the rest is
/// never read into memory (a worker has 128 MB, and a body held whole would fail every
/// request in flight on the instance).
pub async fn body(req: &mut Request) -> std::result::Result<Vec<u8>, ApiError> {
    let max = body_limit(req);
    if declared_too_large(req, max) {
        return Err(ApiError::payload_too_large(max));
    }
    let unreadable = || ApiError::new(400, "unreadable_body", "the body could not be read");
    let Some(stream) = req.inner().body() else {
        return Ok(Vec::new());
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| unreadable())?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|d| d.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(bytes);
        }
        let value: Uint8Array = Reflect::get(&chunk, &JsValue::from_str("value"))
            .ok()
            .and_then(|v| v.dyn_into().ok())
            .ok_or_else(unreadable)?;
        let length = usize::try_from(value.length()).unwrap_or(usize::MAX);
        if length > max.saturating_sub(bytes.len()) {
            // The rest is left unread: the runtime drops it with the request once the answer
            // is sent. Cancelling the stream here instead would abort the connection before
            // the 413 could be written.
            return Err(ApiError::payload_too_large(max));
        }
        bytes.extend(value.to_vec());
    }
}

/// Whether the request's media type (parameters such as `charset` ignored) is `expected`.
pub fn has_content_type(req: &Request, expected: &str) -> bool {
    header(req, "content-type")
        .and_then(|v| {
            v.split(';')
                .next()
                .map(|m| m.trim().eq_ignore_ascii_case(expected))
        })
        .unwrap_or(false)
}

pub(super) fn common_headers(h: &Headers) -> Result<()> {
    h.set("x-content-type-options", "nosniff")?;
    // Vote URLs carry the token: never send them on as a referrer.
    h.set("referrer-policy", "no-referrer")?;
    h.set(
        "strict-transport-security",
        "max-age=31536000; includeSubDomains",
    )?;
    Ok(())
}

pub fn html(status: u16, body: String) -> Result<Response> {
    html_with_csp(status, body, &pages::content_security_policy())
}

pub fn html_with_csp(status: u16, body: String, csp: &str) -> Result<Response> {
    let mut resp = Response::from_html(body)?.with_status(status);
    let h = resp.headers_mut();
    common_headers(h)?;
    h.set("content-security-policy", csp)?;
    h.set("x-frame-options", "DENY")?;
    h.set("cache-control", "no-store")?;
    Ok(resp)
}

pub fn json(status: u16, body: String) -> Result<Response> {
    let mut resp = Response::from_bytes(body.into_bytes())?.with_status(status);
    let h = resp.headers_mut();
    h.set("content-type", "application/json; charset=utf-8")?;
    common_headers(h)?;
    h.set("cache-control", "no-store")?;
    Ok(resp)
}

pub fn api_error(e: &ApiError) -> Result<Response> {
    let mut resp = json(e.status, e.to_json())?;
    if let Some(s) = e.retry_after {
        resp.headers_mut().set("retry-after", &s.to_string())?;
    }
    Ok(resp)
}

pub fn no_content() -> Result<Response> {
    let mut resp = Response::empty()?.with_status(204);
    common_headers(resp.headers_mut())?;
    Ok(resp)
}

/// 303 See Other to a path on this host: the Post/Redirect/Get step after a vote.
pub fn see_other(location: &str) -> Result<Response> {
    let mut resp = Response::empty()?.with_status(303);
    let h = resp.headers_mut();
    h.set("location", location)?;
    common_headers(h)?;
    h.set("cache-control", "no-store")?;
    Ok(resp)
}

/// The admin page's policy: its own script and stylesheet only, no inline code, no framing.
pub const ADMIN_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// An HTML page of the admin side (the app shell, posters) under `ADMIN_CSP`.
pub fn admin_html(status: u16, body: String) -> Result<Response> {
    let mut resp = Response::from_html(body)?.with_status(status);
    let h = resp.headers_mut();
    common_headers(h)?;
    h.set("content-security-policy", ADMIN_CSP)?;
    h.set("x-frame-options", "DENY")?;
    h.set("cache-control", "no-store")?;
    Ok(resp)
}

/// A file with its media type; `cache` is the Cache-Control value.
pub fn file(content_type: &str, body: Vec<u8>, cache: &str) -> Result<Response> {
    let mut resp = Response::from_bytes(body)?;
    let h = resp.headers_mut();
    h.set("content-type", content_type)?;
    common_headers(h)?;
    // An SVG opened on its own is a document: give it the same locked-down policy.
    h.set("content-security-policy", ADMIN_CSP)?;
    h.set("cache-control", cache)?;
    Ok(resp)
}

/// The site's icon (a 32×32 PNG in an ICO, under 200 bytes). Every HTML page names an inline
/// copy in its head (`pages::ICON`), but a browser still asks for `/favicon.ico` on its own
/// for what has no head: a JSON answer, a CSV, an SVG opened in a tab. Served here, that is a
/// cached 200 rather than a 404 in every log.
const FAVICON: &[u8] = include_bytes!("../../assets/favicon.ico");
/// The icon's ETag, from its bytes (FNV-1a, at compile time), so that a new icon is a new tag.
const FAVICON_HASH: u64 = {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut rest = FAVICON;
    while let [byte, tail @ ..] = rest {
        h = (h ^ *byte as u64).wrapping_mul(0x0100_0000_01b3);
        rest = tail;
    }
    h
};

pub fn favicon(req: &Request) -> Result<Response> {
    let etag = format!("\"{FAVICON_HASH:016x}\"");
    let fresh = req
        .headers()
        .get("if-none-match")
        .ok()
        .flatten()
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    let mut resp = if fresh {
        Response::empty()?.with_status(304)
    } else {
        Response::from_bytes(FAVICON.to_vec())?
    };
    let h = resp.headers_mut();
    h.set("content-type", "image/x-icon")?;
    common_headers(h)?;
    // A week: the icon changes with a release at most, and then only its look.
    h.set("cache-control", "public, max-age=604800")?;
    h.set("etag", &etag)?;
    Ok(resp)
}

/// Every query parameter in order, decoded, for handlers that refuse unknown or repeated ones.
pub fn query_pairs(req: &Request) -> Vec<(String, String)> {
    let url = req.inner().url();
    let Some((_, query)) = url.split_once('?') else {
        return Vec::new();
    };
    let query = query.split('#').next().unwrap_or(query);
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Reads a JSON body of type `T`: the media type, the size, UTF-8 and the shape, each with
/// its own error. Every JSON body is read here, and only as an object (`json_object`): an
/// array of fields in order is refused before any handler runs.
pub async fn json_body<T: serde::de::DeserializeOwned>(
    req: &mut Request,
) -> std::result::Result<T, ApiError> {
    if !has_content_type(req, "application/json") {
        return Err(ApiError::unsupported_media_type("application/json"));
    }
    let bytes = body(req).await?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ApiError::invalid_utf8())?;
    crate::json_object::from_object(text).map_err(ApiError::from_body_error)
}

/// A value as a JSON answer; a value that cannot be serialised is logged and answered 503.
pub fn ok_json<T: serde::Serialize>(status: u16, value: &T) -> Answer {
    let body = serde_json::to_string(value).map_err(|e| {
        worker::console_error!("serialising a response: {e}");
        ApiError::unavailable()
    })?;
    Ok(json(status, body)?)
}

/// Random bytes for secrets (session ids, salts, tokens). `crypto.getRandomValues` does not
/// fail for these sizes; if it ever did, the request fails rather than use a guessable secret.
pub fn random<const N: usize>() -> std::result::Result<[u8; N], ApiError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| {
        console_error!("no random bytes: {e}");
        ApiError::unavailable()
    })?;
    Ok(bytes)
}

/// A field of the request that is not what it must be: 422 naming it.
pub fn invalid(field: &'static str, reason: &str) -> ApiError {
    crate::admin::AdminError::Invalid {
        field,
        reason: reason.to_owned(),
    }
    .into()
}

/// An optional positive id from the query; 422 naming the field when it is not one.
pub fn query_id(req: &Request, name: &'static str) -> std::result::Result<Option<i64>, ApiError> {
    match query(req, name) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..(1i64 << 53)).contains(n))
            .map(Some)
            .ok_or_else(|| invalid(name, "must be a positive whole number")),
    }
}

/// Whether a browser request comes from this site. Browsers send `Origin` on every
/// cross-site POST, PUT, PATCH and DELETE; scripts without it are not browsers.
pub fn same_origin(req: &Request) -> bool {
    let Some(origin) = header(req, "origin") else {
        return true;
    };
    let host = header(req, "host").unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map_or(origin.as_str(), |(_, rest)| rest);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(&host)
}

/// `?channel=` (0..=255, default 0): which service point's code.
pub fn query_channel(req: &Request) -> std::result::Result<crate::org::Channel, ApiError> {
    match query(req, "channel") {
        None => Ok(crate::org::Channel::UNSPECIFIED),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .and_then(crate::org::Channel::parse)
            .ok_or_else(|| invalid("channel", "must be an integer from 0 to 255")),
    }
}
