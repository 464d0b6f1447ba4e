//! Configuration read once and loudly: a setting with a bad value stops the instance. `/healthz`
//! names the setting (never a secret's value), every request answers that the instance is
//! misconfigured, and the crons do nothing but say why.

use crate::helpers::{shared, Worker};
use serde_json::{json, Value};

async fn healthz(w: &Worker) -> (u16, String) {
    let resp = w.http.get(w.url("/healthz")).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The worker's log (wrangler's own files in its state folder).
fn log(w: &Worker) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(&w.dir).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with("wrangler-") {
            out.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    out
}

#[tokio::test]
async fn healthz_is_ok_when_configured() {
    let w = shared();
    assert_eq!(healthz(w).await, (200, "ok".to_owned()));
}

#[tokio::test]
async fn healthz_names_a_misconfigured_setting() {
    let w = &Worker::start_misconfigured(&[("SIGNED_WEIGHT", "9")]);
    let (status, body) = healthz(w).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("SIGNED_WEIGHT"), "{body}");
    assert!(body.contains("from 1 to 5"), "{body}");
}

#[tokio::test]
async fn a_misconfigured_instance_answers_every_request_that_it_is_misconfigured() {
    let w = &Worker::start_misconfigured(&[("DEFAULT_LANG", "klingon")]);
    let (status, body) = healthz(w).await;
    assert_eq!(status, 503);
    assert!(body.contains("DEFAULT_LANG"), "{body}");
    let vote = w
        .http
        .post(w.url("/api/v1/votes"))
        .json(&json!({"token": "anything", "score": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(vote.status(), 500);
    let error: Value = vote.json().await.unwrap();
    assert_eq!(error["error"]["code"], "misconfigured");
    let admin = w
        .http
        .get(w.url("/api/v1/admin/units"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 500);
    let error: Value = admin.json().await.unwrap();
    assert_eq!(error["error"]["code"], "misconfigured");
    let page = w.http.get(w.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 503, "a page says the service is unavailable");
    assert_eq!(w.count("SELECT COUNT(*) FROM votes"), 0);
}

#[tokio::test]
async fn healthz_never_shows_a_secret() {
    let secret = "turnstile-secret-never-shown-0123456789";
    let w = &Worker::start_misconfigured(&[("TURNSTILE_SECRET", secret)]);
    let (status, body) = healthz(w).await;
    assert_eq!(status, 503);
    assert!(body.contains("TURNSTILE_SITE_KEY"), "{body}");
    assert!(!body.contains(secret), "{body}");
    assert!(!log(w).contains(secret), "nor does the log");
}

#[tokio::test]
async fn a_misconfigured_cron_does_nothing_and_says_why() {
    let w = &Worker::start_misconfigured(&[("CASE_DEADLINE_DAYS", "0")]);
    w.db()
        .execute(
            "INSERT INTO client_salts (day, salt) VALUES ('2000-01-01', 'old')",
            [],
        )
        .unwrap();
    for schedule in ["5+0+*+*+*", "7+*+*+*+*"] {
        let resp = w
            .http
            .get(w.url(&format!("/__scheduled?cron={schedule}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let said = "cron: configuration error: CASE_DEADLINE_DAYS must be a whole number from 1 to 365";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !log(w).contains(said) {
        assert!(
            std::time::Instant::now() < deadline,
            "the cron says why it did nothing:\n{}",
            log(w)
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        w.count("SELECT COUNT(*) FROM client_salts WHERE day = '2000-01-01'"),
        1,
        "housekeeping did not run"
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM rollup_state WHERE lease_until > 0"),
        0,
        "no roll-up started"
    );
}
