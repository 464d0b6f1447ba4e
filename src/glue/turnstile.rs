//! Cloudflare Turnstile, when an instance configures it (`TURNSTILE_SITE_KEY` and the secret
//! `TURNSTILE_SECRET`): the vote form carries the widget and every vote's answer is checked
//! with Cloudflare's siteverify before anything is written.

use crate::service::Challenge;
use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit};

const SITEVERIFY: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

#[derive(Debug, Clone)]
pub struct Turnstile {
    pub site_key: String,
    secret: String,
    verify_url: String,
}

impl Turnstile {
    /// Both settings or neither; `verify_url` (`TURNSTILE_VERIFY_URL`) replaces Cloudflare's
    /// endpoint and is only for local tests, which cannot reach it.
    pub fn from_settings(
        site_key: Option<String>,
        secret: Option<String>,
        verify_url: Option<String>,
        local: bool,
    ) -> Result<Option<Turnstile>, String> {
        let verify_url = match verify_url {
            Some(_) if !local => return Err("TURNSTILE_VERIFY_URL is for local tests only".into()),
            Some(u) => u,
            None => SITEVERIFY.to_owned(),
        };
        let present = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        match (present(site_key), present(secret)) {
            (None, None) => Ok(None),
            (Some(site_key), Some(secret)) => Ok(Some(Turnstile {
                site_key,
                secret,
                verify_url,
            })),
            _ => Err("set both TURNSTILE_SITE_KEY and TURNSTILE_SECRET, or neither".into()),
        }
    }
}

#[derive(serde::Deserialize)]
struct Verdict {
    success: bool,
}

impl Challenge for Turnstile {
    async fn passes(&self, answer: Option<&str>) -> Result<bool, String> {
        // Turnstile answers are at most 2,048 characters; no request for an empty one.
        let Some(answer) = answer.filter(|a| !a.is_empty() && a.len() <= 2048) else {
            return Ok(false);
        };
        // The client's address is optional for siteverify and is not sent: it would be one
        // more place an address goes.
        let body = format!(
            "secret={}&response={}",
            percent_encoding::utf8_percent_encode(&self.secret, percent_encoding::NON_ALPHANUMERIC),
            percent_encoding::utf8_percent_encode(answer, percent_encoding::NON_ALPHANUMERIC)
        );
        let headers = Headers::new();
        headers
            .set("content-type", "application/x-www-form-urlencoded")
            .map_err(|e| e.to_string())?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(JsValue::from_str(&body)));
        let req = Request::new_with_init(&self.verify_url, &init).map_err(|e| e.to_string())?;
        let mut resp = Fetch::Request(req)
            .send()
            .await
            .map_err(|e| format!("siteverify: {e}"))?;
        if resp.status_code() != 200 {
            return Err(format!("siteverify answered {}", resp.status_code()));
        }
        let verdict: Verdict = resp.json().await.map_err(|e| format!("siteverify: {e}"))?;
        Ok(verdict.success)
    }
}
