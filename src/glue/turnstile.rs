//! Cloudflare Turnstile, when an instance configures it (`TURNSTILE_SITE_KEY` and the secret
//! `TURNSTILE_SECRET`): the vote form carries the widget and every vote's answer is checked
//! with Cloudflare's siteverify before anything is written.
//!
//! The settings are read and checked with the rest (`config::TurnstileConfig`); this is the
//! check itself.

use crate::config::TurnstileConfig;
use crate::voting::service::Challenge;
use wasm_bindgen::JsValue;
use worker::{Fetch, Headers, Method, Request, RequestInit};

#[derive(serde::Deserialize)]
struct Verdict {
    success: bool,
}

impl Challenge for TurnstileConfig {
    async fn passes(&self, answer: Option<&str>) -> Result<bool, String> {
        // Turnstile answers are at most 2,048 characters; no request for an empty one.
        let Some(answer) = answer.filter(|a| !a.is_empty() && a.len() <= 2048) else {
            return Ok(false);
        };
        // The client's address is optional for siteverify and is not sent: it would be one
        // more place an address goes.
        let body = format!(
            "secret={}&response={}",
            percent_encoding::utf8_percent_encode(
                self.secret(),
                percent_encoding::NON_ALPHANUMERIC
            ),
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
