//! The deployment's two workers (docs/deploy.md): the citizen worker answers scans and votes and
//! hands the rest to the back office through its service binding. Both run here as deployed,
//! in one `wrangler dev`; these tests try the seams between them.

use crate::helpers::{key, shared, Worker};
use serde_json::json;

#[tokio::test]
async fn the_admin_api_and_page_answer_through_the_citizen_worker() {
    let w = shared();
    let unit = w.create_unit("Відділ двох воркерів", None).await;
    let resp = w
        .admin(reqwest::Method::GET, &format!("/api/v1/admin/units/{unit}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let page = w.http.get(w.url("/admin/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
}

#[tokio::test]
async fn a_cron_call_from_outside_is_not_handed_on() {
    let w = shared();
    for method in [reqwest::Method::POST, reqwest::Method::GET] {
        let resp = w
            .http
            .request(method, w.url("/__cron"))
            .header("x-civicrate-cron", "7 * * * *")
            .header("x-civicrate-cron-at", "0")
            .header("x-civicrate-cron-mac", "00")
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status(),
            404,
            "the citizen worker answers a path no route has itself"
        );
    }
}

#[tokio::test]
async fn a_vote_is_recorded_by_the_citizen_worker_and_counted_by_the_back_office_cron() {
    let w = &Worker::start_with(&key(1), &[]);
    let (employee, token) = w.employee_with_code("Оксана Двоворкерна").await;
    let resp = w
        .http
        .post(w.url("/api/v1/votes"))
        .json(&json!({"token": token, "score": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let cron = w
        .http
        .get(w.url("/__scheduled?cron=7+*+*+*+*"))
        .send()
        .await
        .unwrap();
    assert_eq!(cron.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while w.count("SELECT watermark FROM rollup_state WHERE name = 'votes'") < 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the back office rolled the vote up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(employee > 0);
}

#[tokio::test]
async fn healthz_names_the_back_office_when_it_has_other_token_keys() {
    let w = &Worker::start_with_back_office(&[("TOKEN_KEYS", &key(2))]);
    let resp = w.http.get(w.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    let body = resp.text().await.unwrap();
    assert!(body.starts_with("back office: "), "{body}");
    assert!(body.contains("TOKEN_KEYS differs"), "{body}");
    assert!(!body.contains(&key(2)), "never a secret: {body}");
}

#[tokio::test]
async fn healthz_names_the_back_office_when_only_it_is_misconfigured() {
    let w = &Worker::start_with_back_office(&[("MIN_VOTES", "0")]);
    let resp = w.http.get(w.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 503);
    let body = resp.text().await.unwrap();
    assert!(body.starts_with("back office: misconfigured"), "{body}");
    assert!(body.contains("MIN_VOTES"), "{body}");
}
