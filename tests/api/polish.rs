//! The last rough edges of issue 18: praise opens no inbox case, `/favicon.ico` is served, and
//! several rejected votes go back to review in one action.

use crate::helpers::{key, unix_now, Worker};
use crate::results::{cron, HOURLY};
use reqwest::Method;
use serde_json::{json, Value};

/// A vote written straight into D1 as the vote path stores it, at noon UTC yesterday (plus
/// `n` seconds); `status` as screening left it.
fn vote(
    w: &Worker,
    (employee, unit): (i64, i64),
    score: i64,
    comment: Option<&str>,
    contact: bool,
    status: &str,
    n: i64,
) -> i64 {
    let now = unix_now();
    let at = now - now % 86_400 - 86_400 + 43_200 + n;
    let db = w.db();
    db.execute(
        "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status, flag_reason) \
         VALUES (?1, ?2, 0, 1, ?3, ?4, ?5, 'uk', 'api', ?6, ?7, ?8, CASE WHEN ?8 = 'counted' THEN NULL ELSE 'too_fast' END)",
        rusqlite::params![employee, unit, score, comment, contact as i64, format!("polish-{n}"), at, status],
    )
    .expect("insert vote");
    db.last_insert_rowid()
}

fn yesterday() -> String {
    let now = unix_now();
    chrono::DateTime::from_timestamp(now - 86_400, 0)
        .unwrap()
        .date_naive()
        .to_string()
}

// --- praise is not a case -------------------------------------------------------------------

#[tokio::test]
async fn only_feedback_that_needs_an_answer_opens_a_case_and_praise_stays_in_the_comments() {
    let w = &Worker::start(&key(1));
    let unit = w.create_unit("ЦНАП", None).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністраторка", unit)
        .await;
    let at = (clerk, unit);
    // The seeded scale is 1..3: 3 is the top level.
    let praise = vote(
        w,
        at,
        3,
        Some("Дуже дякую, все швидко!"),
        false,
        "counted",
        1,
    );
    let praise_with_contact = vote(w, at, 3, Some("Дякую, зателефонуйте"), true, "counted", 2);
    let complaint = vote(w, at, 2, Some("Довго чекала в черзі"), false, "counted", 3);
    let lowest = vote(w, at, 1, Some("Нагрубили"), false, "counted", 4);
    let contact_only = vote(w, at, 3, None, true, "counted", 5);
    let silent_low = vote(w, at, 1, None, false, "counted", 6);
    let repeated_complaint = vote(w, at, 1, Some("Нагрубили"), false, "duplicate", 7);
    cron(w, HOURLY).await;

    let cases: Vec<i64> = {
        let db = w.db();
        let mut stmt = db
            .prepare("SELECT vote_id FROM cases ORDER BY vote_id")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    };
    assert_eq!(
        cases,
        vec![praise_with_contact, complaint, lowest, contact_only],
        "a contact always, a comment below the top level; never praise without a contact ({praise}), a vote with neither ({silent_low}) or a repeat ({repeated_complaint})"
    );

    // The inbox as an administrator reads it says the same.
    let inbox = w
        .admin_get(&format!("/api/v1/admin/cases?unit={unit}"))
        .await;
    let listed: Vec<i64> = inbox["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["vote_id"].as_i64().unwrap())
        .collect();
    assert!(!listed.contains(&praise), "{inbox}");
    assert_eq!(listed.len(), 4, "{inbox}");

    // The praise is still a comment, and can be published.
    let comments = w
        .admin_get(&format!(
            "/api/v1/admin/results/comments?period=day&date={}&unit={unit}",
            yesterday()
        ))
        .await;
    assert!(
        comments["comments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["vote_id"] == praise),
        "{comments}"
    );
    let published = w
        .admin(
            Method::POST,
            &format!("/api/v1/admin/comments/{praise}/moderation"),
        )
        .json(&json!({"decision": "publish", "text": "Дуже дякую, все швидко!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        published.status(),
        204,
        "{}",
        published.text().await.unwrap()
    );

    // A second run opens nothing more.
    cron(w, HOURLY).await;
    assert_eq!(w.count("SELECT COUNT(*) FROM cases"), 4);
}

#[tokio::test]
async fn the_top_level_is_the_scale_in_use_so_a_wider_scale_moves_what_counts_as_praise() {
    let w = &Worker::start(&key(1));
    let unit = w.create_unit("ЦНАП", None).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністраторка", unit)
        .await;
    // A five-level scale: 3 is no longer the top, 5 is.
    w.db()
        .execute_batch(
            "INSERT INTO scale_levels (value, colour, face, labels) VALUES \
             (4, '#188038', 'smile', '{\"uk\":\"Дуже добре\",\"ru\":\"Очень хорошо\",\"kk\":\"Өте жақсы\",\"fa\":\"خیلی خوب\",\"en\":\"Very good\"}'), \
             (5, '#0b8043', 'smile', '{\"uk\":\"Відмінно\",\"ru\":\"Отлично\",\"kk\":\"Өте жақсы\",\"fa\":\"عالی\",\"en\":\"Excellent\"}')",
        )
        .unwrap();
    let middling = vote(w, (clerk, unit), 3, Some("Нормально"), false, "counted", 1);
    let top = vote(w, (clerk, unit), 5, Some("Чудово"), false, "counted", 2);
    cron(w, HOURLY).await;
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM cases WHERE vote_id = {middling}"
        )),
        1
    );
    assert_eq!(
        w.count(&format!("SELECT COUNT(*) FROM cases WHERE vote_id = {top}")),
        0
    );
}

// --- /favicon.ico ---------------------------------------------------------------------------

#[tokio::test]
async fn the_favicon_is_a_small_cached_image_and_a_known_etag_gets_304() {
    let w = crate::helpers::shared();
    let resp = w.http.get(w.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let kind = header("content-type");
    assert!(kind.starts_with("image/"), "{kind}");
    let cache = header("cache-control");
    assert!(cache.contains("max-age=604800"), "{cache}");
    let etag = header("etag");
    assert!(etag.starts_with('"') && etag.len() > 2, "{etag}");
    let body = resp.bytes().await.unwrap();
    assert!(
        body.len() < 1024 && body.starts_with(&[0, 0, 1, 0]),
        "an ICO of {} bytes",
        body.len()
    );

    let again = w
        .http
        .get(w.url("/favicon.ico"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let head = w.http.head(w.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(head.status(), 200);
}

// --- bulk undo of review decisions ----------------------------------------------------------

async fn undo_many(w: &Worker, token: &str, votes: Value) -> (u16, Value) {
    let resp = w
        .bearer(Method::POST, "/api/v1/admin/review/rejected/undo", token)
        .json(&json!({ "votes": votes }))
        .send()
        .await
        .unwrap();
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or(Value::Null),
    )
}

fn status_of(w: &Worker, vote: i64) -> String {
    w.db()
        .query_row("SELECT status FROM votes WHERE id = ?1", [vote], |r| {
            r.get(0)
        })
        .unwrap()
}

/// A token's first use notes its time (then at most every 5 minutes): done before a checksum.
async fn used(w: &Worker, token: &str) {
    let me = w
        .bearer(Method::GET, "/api/v1/session", token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}

fn undone_lines(w: &Worker, vote: i64) -> i64 {
    w.count(&format!(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'vote_rejection_undone' AND object = 'vote:{vote}' \
         AND detail = '{{\"from\":\"rejected\",\"to\":\"flagged\"}}'"
    ))
}

#[tokio::test]
async fn several_rejected_votes_go_back_to_review_at_once_by_the_single_undos_rule_each_audited() {
    let w = &Worker::start(&key(1));
    let city = w.create_unit("Міська рада", None).await;
    let office = w.create_unit("ЦНАП", Some(city)).await;
    let desk = w.create_unit("Віконце 3", Some(office)).await;
    let other = w.create_unit("Інша громада", None).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністраторка", office)
        .await;
    let desk_clerk = w
        .create_employee("Іван Сидоренко", "Спеціаліст", desk)
        .await;
    let stranger = w
        .create_employee("Ірина Бондар", "Спеціалістка", other)
        .await;
    // Screening flagged them; the roll-up counted them as flagged.
    let own: Vec<i64> = (1..=3)
        .map(|n| vote(w, (clerk, office), 1, None, false, "flagged", n))
        .collect();
    let below = vote(w, (desk_clerk, desk), 2, None, false, "flagged", 4);
    let elsewhere = vote(w, (stranger, other), 2, None, false, "flagged", 5);
    let (_, head) = w
        .account("head@city.example", "unit_admin", Some(city))
        .await;
    let (_, manager) = w
        .account("manager@city.example", "unit_admin", Some(office))
        .await;
    let (_, viewer) = w.account("viewer@city.example", "viewer", Some(city)).await;
    cron(w, HOURLY).await;
    // Everything rejected by the superadmin, then rolled up.
    let resp = w
        .admin(Method::POST, "/api/v1/admin/review")
        .json(&json!({"votes": [own[0], own[1], own[2], below, elsewhere], "decision": "reject"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["changed"], 5);
    cron(w, HOURLY).await;
    assert_eq!(w.count("SELECT COUNT(*) FROM rollup_dirty_days"), 0);

    // Refusals change nothing: a viewer, bad lists.
    used(w, &viewer).await;
    used(w, &head).await;
    let before = w.checksum();
    assert_eq!(undo_many(w, &viewer, json!([own[0]])).await.0, 403);
    for bad in [
        json!([]),
        json!([0]),
        json!([-3]),
        json!((1..=501).collect::<Vec<i64>>()),
    ] {
        let (code, body) = undo_many(w, &head, bad.clone()).await;
        assert_eq!(code, 422, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_field", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("`votes`"),
            "{body}"
        );
    }
    assert_eq!(w.checksum(), before);

    // The office's own admin may undo only what is below the office: the desk's vote.
    let (code, body) = undo_many(w, &manager, json!([own[0], own[1], below, elsewhere])).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body, json!({"changed": 1}));
    assert_eq!(status_of(w, below), "flagged");
    assert_eq!(status_of(w, own[0]), "rejected");
    assert_eq!(
        status_of(w, elsewhere),
        "rejected",
        "outside the manager's scope"
    );
    assert_eq!(undone_lines(w, below), 1);
    assert_eq!(undone_lines(w, own[0]), 0);

    // An account linked to the office's clerk never undoes that clerk's votes, even from above.
    let (linked_session, linked_token) = w
        .account("clerk-head@city.example", "unit_admin", Some(city))
        .await;
    let linked_id = linked_session.me["account"]["id"].as_i64().unwrap();
    let linked = w
        .admin(
            Method::PUT,
            &format!("/api/v1/admin/accounts/{linked_id}/employee"),
        )
        .json(&json!({"employee_id": clerk}))
        .send()
        .await
        .unwrap();
    assert!(
        linked.status().is_success(),
        "{}",
        linked.text().await.unwrap()
    );
    used(w, &linked_token).await;
    let before = w.checksum();
    assert_eq!(
        undo_many(w, &linked_token, json!(own)).await,
        (200, json!({"changed": 0}))
    );
    assert_eq!(w.checksum(), before);

    // The city's head sends the office's three back in one action, a repeat and a vote already
    // back in review among them: only the three count, each audited once, their day marked.
    let (code, body) = undo_many(w, &head, json!([own[2], own[0], own[1], own[0], below])).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body, json!({"changed": 3}));
    for v in &own {
        assert_eq!(status_of(w, *v), "flagged");
        assert_eq!(undone_lines(w, *v), 1, "vote {v}");
    }
    assert_eq!(undone_lines(w, below), 1, "not undone twice");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'vote_rejection_undone' AND actor = 'head@city.example (API token)'"),
        3
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM rollup_dirty_days"), 1);
    cron(w, HOURLY).await;
    assert_eq!(
        w.count(&format!(
            "SELECT coalesce(SUM(flagged), 0) FROM daily_unit_stats WHERE unit_id = {office}"
        )),
        3,
        "the day is recounted with the three waiting for review again"
    );
    // Undone again: nothing is rejected any more, nothing changes.
    let before = w.checksum();
    assert_eq!(
        undo_many(w, &head, json!(own)).await,
        (200, json!({"changed": 0}))
    );
    assert_eq!(w.checksum(), before);
}

#[tokio::test]
async fn an_undo_marks_the_votes_local_day_for_the_roll_up_not_its_utc_day() {
    let w = &Worker::start(&key(1));
    let unit_in = |name: &'static str, parent: Option<i64>| async move {
        let resp = w
            .admin(Method::POST, "/api/v1/admin/units")
            .json(&json!({"name": name, "parent_id": parent, "timezone": "Asia/Almaty"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 201);
        resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    };
    let city = unit_in("Алматы", None).await;
    let office = unit_in("ЦОН", Some(city)).await;
    let clerk = w.create_employee("Айгүл Сейітова", "Маман", office).await;
    // 20:30 UTC yesterday is 01:30 today in Almaty (UTC+5).
    let now = unix_now();
    let evening = now - now % 86_400 - 86_400 + 20 * 3600 + 1800;
    let local_day = chrono::DateTime::from_timestamp(evening + 5 * 3600, 0)
        .unwrap()
        .date_naive()
        .to_string();
    let votes: Vec<i64> = (0..2)
        .map(|n| {
            let v = vote(w, (clerk, office), 1, None, false, "flagged", n);
            w.db()
                .execute(
                    "UPDATE votes SET created_at = ?1 WHERE id = ?2",
                    [evening + n, v],
                )
                .unwrap();
            v
        })
        .collect();
    cron(w, HOURLY).await;
    let rejected = w
        .admin(Method::POST, "/api/v1/admin/review")
        .json(&json!({"votes": votes, "decision": "reject"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rejected.json::<Value>().await.unwrap()["changed"], 2);
    cron(w, HOURLY).await;
    let dirty = || {
        let db = w.db();
        let mut stmt = db
            .prepare("SELECT day FROM rollup_dirty_days ORDER BY day")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>()
    };
    assert_eq!(dirty(), Vec::<String>::new());

    // One undone alone, then the other in bulk: each marks the Almaty day.
    let one = w
        .admin(
            Method::POST,
            &format!("/api/v1/admin/review/rejected/{}/undo", votes[0]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    assert_eq!(dirty(), vec![local_day.clone()]);
    cron(w, HOURLY).await;
    let many = w
        .admin(Method::POST, "/api/v1/admin/review/rejected/undo")
        .json(&json!({"votes": [votes[1]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(many.json::<Value>().await.unwrap()["changed"], 1);
    assert_eq!(dirty(), vec![local_day.clone()]);
    cron(w, HOURLY).await;
    assert_eq!(
        w.count(&format!(
            "SELECT coalesce(SUM(flagged), 0) FROM daily_unit_stats WHERE unit_id = {office} AND day = '{local_day}'"
        )),
        2,
        "both counted as flagged again on their local day"
    );
}
