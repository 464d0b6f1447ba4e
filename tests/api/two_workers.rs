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
    // The trigger fires on the citizen worker, which hands the run to the back office; the
    // roll-up having counted the vote shows the run was done there.
    crate::results::cron_all(w).await;
    assert_eq!(
        w.count(&format!(
            "SELECT COALESCE(SUM(counted), 0) FROM daily_employee_stats WHERE employee_id = {employee}"
        )),
        1
    );
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

#[tokio::test]
async fn the_admin_pages_files_are_static_assets_with_this_workers_headers() {
    let w = shared();
    for (path, cache) in [
        ("/admin/", "no-store"),
        ("/admin", "no-store"),
        ("/admin/assets/app.js", "public, max-age=300"),
        ("/api/v1/openapi.json", "public, max-age=300"),
    ] {
        let resp = w.http.get(w.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let h = resp.headers().clone();
        assert_eq!(h["cache-control"], cache, "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("content-security-policy"), "{path}");
    }
    // The posters' files are the back office's, compiled in as before.
    let poster = w
        .http
        .get(w.url("/admin/assets/poster.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(poster.status(), 200);
    let missing = w
        .http
        .get(w.url("/admin/assets/nothing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
