//! The instance's rating scale and the extra criteria rated apart from the employee. Each test
//! runs its own worker: the scale is instance-wide, and the tests read the database directly.

use crate::helpers::{key, Worker};
use reqwest::Method;
use serde_json::{json, Value};

async fn add_criterion(w: &Worker, code: &str, uk: &str, en: &str, position: i64) -> i64 {
    let resp = w
        .admin(Method::POST, "/api/v1/admin/criteria")
        .json(&json!({"code": code, "labels": {"uk": uk, "en": en}, "position": position}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        201,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn vote_page(w: &Worker, token: &str) -> String {
    w.http
        .get(w.url(&format!("/r/{token}?lang=uk")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn vote_with_criteria_stores_them_apart_from_the_employee_score() {
    let w = Worker::start(&key(1));
    let waiting = add_criterion(&w, "waiting_time", "Час очікування", "Waiting time", 1).await;
    let premises = add_criterion(&w, "premises", "Приміщення", "Premises", 2).await;
    let (employee, token) = w.employee_with_code("Ганна Лисенко").await;

    let page = vote_page(&w, &token).await;
    assert!(page.contains(r#"name="c.waiting_time""#), "{page}");
    assert!(page.contains("Час очікування") && page.contains("Приміщення"));
    assert!(
        page.find("Час очікування") < page.find("Приміщення"),
        "criteria are shown by position"
    );

    let resp = w
        .vote_json(
            json!({"token": token, "score": 3, "criteria": {"waiting_time": 1, "premises": 2}}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let form = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.77")],
            &[
                ("score", "2"),
                ("c.waiting_time", "1"),
                ("c.premises", ""),
                ("lang", "uk"),
            ],
        )
        .await;
    assert_eq!(form.status(), 303);

    assert_eq!(
        w.count(&format!(
            "SELECT SUM(score) FROM votes WHERE employee_id = {employee}"
        )),
        5,
        "the employee's scores are 3 and 2, whatever the criteria say"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM vote_criteria WHERE criterion_id = {waiting} AND score = 1"
        )),
        2
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM vote_criteria WHERE criterion_id = {premises}"
        )),
        1,
        "an empty answer is no answer"
    );
    assert_eq!(
        w.count(
            "SELECT COUNT(*) FROM vote_criteria c LEFT JOIN votes v ON v.id = c.vote_id WHERE v.id IS NULL"
        ),
        0,
        "every rating belongs to its vote"
    );
}

#[tokio::test]
async fn criterion_answers_that_are_not_on_the_scale_or_unknown_are_refused_and_nothing_is_stored()
{
    let w = Worker::start(&key(1));
    add_criterion(&w, "waiting_time", "Час очікування", "Waiting time", 1).await;
    let (_, token) = w.employee_with_code("Богдан Савчук").await;
    let before = w.checksum();
    for (criteria, code) in [
        (json!({"waiting_time": 9}), "criterion_out_of_range"),
        (json!({"waiting_time": 0}), "criterion_out_of_range"),
        (json!({"parking": 2}), "unknown_criterion"),
    ] {
        let resp = w
            .vote_json(json!({"token": token, "score": 3, "criteria": criteria}))
            .await;
        assert_eq!(resp.status(), 422);
        assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], code);
    }
    let form = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.78")],
            &[
                ("score", "3"),
                ("c.waiting_time", "дуже"),
                ("comment", "<b>довго</b>"),
                ("lang", "uk"),
            ],
        )
        .await;
    assert_eq!(form.status(), 422);
    let page = form.text().await.unwrap();
    assert!(
        page.contains("Для додаткових запитань"),
        "a localised reason: {page}"
    );
    assert!(
        page.contains("&lt;b&gt;довго&lt;/b&gt;"),
        "the comment is kept, escaped"
    );
    let twice = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.79")],
            &[
                ("score", "3"),
                ("c.waiting_time", "1"),
                ("c.waiting_time", "2"),
            ],
        )
        .await;
    assert_eq!(twice.status(), 400);
    assert_eq!(w.checksum(), before);
}

#[tokio::test]
async fn an_inactive_criterion_is_not_shown_and_is_refused() {
    let w = Worker::start(&key(1));
    let id = add_criterion(&w, "premises", "Приміщення", "Premises", 1).await;
    let (_, token) = w.employee_with_code("Віра Гнатюк").await;
    let resp = w
        .admin(Method::PATCH, &format!("/api/v1/admin/criteria/{id}"))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert!(!vote_page(&w, &token).await.contains("Приміщення"));
    let resp = w
        .vote_json(json!({"token": token, "score": 3, "criteria": {"premises": 1}}))
        .await;
    assert_eq!(resp.status(), 422);
    let scale: Value = w.admin_get("/api/v1/admin/scale").await;
    assert_eq!(
        scale["criteria"][0]["active"], false,
        "kept, for past ratings"
    );
}

#[tokio::test]
async fn only_a_superadmin_changes_the_scale_and_the_criteria() {
    let w = Worker::start(&key(1));
    let unit = w.create_unit("Відділ", None).await;
    let (_, unit_admin) = w.account("ua@city.example", "unit_admin", Some(unit)).await;
    let (_, viewer) = w.account("viewer@city.example", "viewer", Some(unit)).await;
    // Not the whole database's checksum: using an API token stamps its `last_used_at`.
    let scale_now = || {
        w.count("SELECT COUNT(*) FROM scale_levels") * 1000
            + w.count("SELECT COUNT(*) FROM criteria")
    };
    let before = scale_now();
    for token in [&unit_admin, &viewer] {
        let put = w
            .bearer(Method::PUT, "/api/v1/admin/scale", token)
            .json(&json!({"levels": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 403);
        let post = w
            .bearer(Method::POST, "/api/v1/admin/criteria", token)
            .json(&json!({"code": "x", "labels": {"en": "X"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 403);
        let get = w
            .bearer(Method::GET, "/api/v1/admin/scale", token)
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 200, "anyone signed in reads it");
    }
    assert_eq!(scale_now(), before);
    assert_eq!(
        w.count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('scale_changed', 'criterion_created')"
        ),
        0
    );
}

#[tokio::test]
async fn a_new_scale_shows_on_the_vote_page_and_a_level_in_use_cannot_be_removed() {
    let w = Worker::start(&key(1));
    let (_, token) = w.employee_with_code("Микола Кравець").await;
    let four = json!({"levels": [
        {"value": 1, "colour": "#d93025", "face": "frown", "labels": {"uk": "Погано", "en": "Poor"}},
        {"value": 2, "colour": "#f9ab00", "face": "flat", "labels": {"uk": "Задовільно", "en": "Fair"}},
        {"value": 3, "colour": "#7cb342", "face": "smile", "labels": {"uk": "Добре", "en": "Good"}},
        {"value": 4, "colour": "#188038", "face": "grin", "labels": {"uk": "Відмінно", "en": "Excellent"}}
    ]});
    let resp = w
        .admin(Method::PUT, "/api/v1/admin/scale")
        .json(&four)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let page = vote_page(&w, &token).await;
    assert!(
        page.contains(r#"id="score-4""#) && page.contains("Відмінно"),
        "{page}"
    );
    assert_eq!(
        w.vote_json(json!({"token": token, "score": 4}))
            .await
            .status(),
        201
    );

    let before = w.checksum();
    let without_four = json!({"levels": [
        {"value": 1, "colour": "#d93025", "labels": {"uk": "Погано"}},
        {"value": 2, "colour": "#188038", "labels": {"uk": "Добре"}}
    ]});
    let resp = w
        .admin(Method::PUT, "/api/v1/admin/scale")
        .json(&without_four)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    let bad = json!({"levels": [{"value": 1, "colour": "red", "labels": {"uk": "x"}}, {"value": 2, "colour": "#000000", "labels": {"uk": "y"}}]});
    let resp = w
        .admin(Method::PUT, "/api/v1/admin/scale")
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("#rrggbb"));
    assert_eq!(w.checksum(), before, "refused changes write nothing");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'scale_changed'"),
        1
    );
}
