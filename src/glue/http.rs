//! Reading requests and writing responses: body limits, content types, security headers.

use crate::api::{ApiError, MAX_BODY_BYTES};
use crate::pages;
use worker::{Headers, Request, Response, Result};

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
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

/// Reads the body, refusing it before reading when `Content-Length` already says it is too
/// large, and after reading when a chunked body turns out to be.
pub async fn body(req: &mut Request) -> std::result::Result<Vec<u8>, ApiError> {
    let declared = header(req, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(ApiError::payload_too_large());
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::new(400, "unreadable_body", "the body could not be read"))?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::payload_too_large());
    }
    Ok(bytes)
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

fn common_headers(h: &Headers) -> Result<()> {
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

/// Reads a body of up to `max` bytes (imports take larger bodies than votes).
pub async fn body_up_to(req: &mut Request, max: usize) -> std::result::Result<Vec<u8>, ApiError> {
    let declared = header(req, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
    let too_large = || {
        ApiError::new(
            413,
            "payload_too_large",
            format!("the body must be at most {max} bytes"),
        )
    };
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::new(400, "unreadable_body", "the body could not be read"))?;
    if bytes.len() > max {
        return Err(too_large());
    }
    Ok(bytes)
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
