//! Sends queued alerts to the configured webhook (alert.rs says what and why).

use super::d1::D1Store;
use crate::alert::{self, AlertConfig};
use crate::clock::Timestamp;
use crate::i18n::Lang;
use crate::results::store::AlertStore;
use wasm_bindgen::JsValue;
use worker::{console_error, console_log, Fetch, Headers, Method, Request, RequestInit};

async fn post(url: &str, body: &str) -> Result<(), String> {
    let headers = Headers::new();
    headers
        .set("content-type", "application/json")
        .map_err(|e| e.to_string())?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(JsValue::from_str(body)));
    let req = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let resp = Fetch::Request(req)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    match resp.status_code() {
        200..=299 => Ok(()),
        status => Err(format!("the webhook answered {status}")),
    }
}

/// Sends what is due, at most `alert::SENDS_PER_RUN`; each failure waits longer for its next
/// attempt. The webhook's URL (it may hold a bot token) is never logged.
pub async fn deliver(
    store: &D1Store,
    config: &AlertConfig,
    lang: Lang,
    base_url: &str,
    now: Timestamp,
) {
    let t = now.unix_seconds();
    let pending = match store.pending_alerts(t, alert::SENDS_PER_RUN).await {
        Ok(p) => p,
        Err(e) => return console_error!("alerts: reading the outbox failed: {e}"),
    };
    let (mut sent, mut failed) = (0, 0);
    for p in pending {
        let Ok(a) = serde_json::from_str::<alert::Alert>(&p.body) else {
            // Unreadable: give it up at once rather than retry forever.
            let _ = store
                .alert_failed(p.id, t + 365 * 86_400, "unreadable alert")
                .await;
            continue;
        };
        let managers = store.unit_managers(p.unit_id).await.unwrap_or_default();
        let link = match a.employee_id {
            Some(e) => format!("{base_url}/admin/#/results/employees/{e}"),
            None => format!("{base_url}/admin/#/results/units/{}", a.unit_id),
        };
        let body = alert::body(config, lang, &a, &link, &managers);
        let outcome = match post(&config.url, &body).await {
            Ok(()) => {
                sent += 1;
                store.alert_sent(p.id, t).await
            }
            Err(e) => {
                failed += 1;
                store
                    .alert_failed(p.id, t + alert::retry_after(p.attempts + 1), &e)
                    .await
            }
        };
        if let Err(e) = outcome {
            console_error!("alerts: recording a send failed: {e}");
        }
    }
    if sent + failed > 0 {
        console_log!("alerts: {sent} sent, {failed} to retry");
    }
}
