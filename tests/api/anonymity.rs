//! Anonymous to the manager too: an employee knows who stood at the desk at 10:05, so no admin
//! view may show an anonymous vote's moment finer than its local day and part of day, and the
//! stored moment itself is floored to the half hour once screening is done with it.

use crate::helpers::{key, shared, Worker};
use crate::results::{cron, cron_all, HOURLY};
use reqwest::Method;
use serde_json::{json, Value};

const TEHRAN: i64 = 3 * 3600 + 1800;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A vote written straight into D1 as the vote path stores it; its id.
fn insert_vote(w: &Worker, employee: i64, unit: i64, at: i64, status: &str, comment: &str) -> i64 {
    let db = w.db();
    db.execute(
        "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status, flag_reason) \
         VALUES (?1, ?2, 0, 1, 1, ?3, 0, 'uk', 'api', ?4, ?5, ?6, CASE WHEN ?6 = 'flagged' THEN 'office_network' END)",
        rusqlite::params![employee, unit, comment, format!("anon-{at}-{status}"), at, status],
    )
    .expect("insert vote");
    db.last_insert_rowid()
}

/// The start of `at`'s part of the day (six hours each) in Tehran, and its local day.
fn tehran_part(at: i64) -> (i64, String) {
    let local = at + TEHRAN;
    let start = local - local.rem_euclid(21_600) - TEHRAN;
    let day = chrono::DateTime::from_timestamp(local, 0)
        .unwrap()
        .date_naive()
        .to_string();
    (start, day)
}

fn tehran_day_start(at: i64) -> i64 {
    let local = at + TEHRAN;
    local - local.rem_euclid(86_400) - TEHRAN
}

fn item<'a>(list: &'a Value, key: &str, vote: i64) -> &'a Value {
    list[key]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .find(|c| c["vote_id"] == vote)
        .unwrap_or_else(|| panic!("vote {vote} in {list}"))
}

/// Only the start of the part of day, and no number that would give the moment away.
fn assert_by_part_of_day(item: &Value, field: &str, at: i64) {
    let (start, day) = tehran_part(at);
    assert_eq!(item[field], start, "{item}");
    assert_eq!(item["day"], day.as_str(), "{item}");
    assert!(item["part"].is_string(), "{item}");
    assert!(!item.to_string().contains(&at.to_string()), "{item}");
}

#[tokio::test]
async fn managers_see_anonymous_votes_by_part_of_day_and_signed_ones_to_the_second() {
    let w = shared();
    let unit = w.create_unit("Відділ у Тегерані", None).await;
    w.db()
        .execute(
            "UPDATE units SET timezone = 'Asia/Tehran' WHERE id = ?1",
            [unit],
        )
        .unwrap();
    let clerk = w.create_employee("Міна Карімі", "Спеціаліст", unit).await;
    // Moments of today (UTC) that are not on any round boundary: exact times that the
    // screening of their day still needs, so the cron leaves them as they are in storage.
    let midnight = now() - now().rem_euclid(86_400);
    let at = midnight + (now() - midnight) / 2 - 1;
    let anonymous = insert_vote(w, clerk, unit, at, "counted", "Довго чекав");
    let signed = insert_vote(
        w,
        clerk,
        unit,
        at + 37,
        "counted",
        "Передзвоніть, будь ласка",
    );
    w.db()
        .execute(
            "INSERT INTO vote_contacts (vote_id, contact, created_at) VALUES (?1, '+98 21 555 0101', ?2)",
            rusqlite::params![signed, at + 37],
        )
        .unwrap();
    w.db()
        .execute("UPDATE votes SET has_contact = 1 WHERE id = ?1", [signed])
        .unwrap();
    let flagged = insert_vote(w, clerk, unit, at + 73, "flagged", "");
    // The shared instance: another test's run may hold the lease (this one would do nothing).
    cron_all(w).await;
    assert_eq!(
        w.count(&format!(
            "SELECT created_at FROM votes WHERE id = {anonymous}"
        )),
        at,
        "a vote of today keeps its exact time in storage while its day is screened"
    );

    let (_, manager) = w
        .account("manager@tehran.example", "unit_admin", Some(unit))
        .await;
    let get = |path: String| {
        let manager = manager.clone();
        async move {
            let resp = w.bearer(Method::GET, &path, &manager).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            resp.json::<Value>().await.unwrap()
        }
    };
    let day = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap()
            .date_naive()
            .to_string()
    };

    // Results' comments.
    let comments = get(format!(
        "/api/v1/admin/results/comments?period=day&date={}&unit={unit}",
        day(at)
    ))
    .await;
    assert_by_part_of_day(item(&comments, "comments", anonymous), "at", at);
    let with_contact = item(&comments, "comments", signed);
    assert_eq!(with_contact["at"], at + 37, "{with_contact}");
    assert_eq!(with_contact["part"], Value::Null);

    // The inbox: opened at the vote's moment, due thirty days later.
    let cases = get(format!("/api/v1/admin/cases?unit={unit}")).await;
    let case = item(&cases, "cases", anonymous);
    assert_by_part_of_day(case, "created_at", at);
    assert_eq!(
        case["due_at"],
        tehran_day_start(at + 30 * 86_400),
        "the due date by its day alone: {case}"
    );
    assert_eq!(item(&cases, "cases", signed)["created_at"], at + 37);

    // The review of flagged votes.
    let review = get("/api/v1/admin/review".to_owned()).await;
    assert_by_part_of_day(item(&review, "votes", flagged), "at", at + 73);

    // Appeals.
    let filed = w
        .bearer(
            Method::POST,
            &format!("/api/v1/admin/votes/{anonymous}/appeal"),
            &manager,
        )
        .json(&json!({"reason": "Цього дня працівник був у відрядженні"}))
        .send()
        .await
        .unwrap();
    assert_eq!(filed.status(), 201);
    let appeals = get("/api/v1/admin/appeals".to_owned()).await;
    assert_by_part_of_day(item(&appeals, "appeals", anonymous), "voted_at", at);
}

#[tokio::test]
async fn the_cron_coarsens_screened_old_vote_times_and_leaves_unscreened_and_recent_ones_exact() {
    let w = &Worker::start(&key(1));
    let (employee, token) = w.employee_with_code("Олег Савчук").await;
    let unit = w.count(&format!(
        "SELECT unit_id FROM employees WHERE id = {employee}"
    ));
    // Two days ago at hh:05:21, with a comment (so the roll-up opens a case).
    let two_days_ago = now() - 2 * 86_400;
    let old_at = two_days_ago - two_days_ago.rem_euclid(3600) + 321;
    let old = insert_vote(w, employee, unit, old_at, "counted", "Все добре");
    let floored = old_at - old_at.rem_euclid(1800);
    assert_ne!(floored, old_at);

    // Another run holds the roll-up's lease: the old vote is not screened, so it stays exact.
    w.db()
        .execute(
            "UPDATE rollup_state SET lease_until = 4102444800 WHERE name = 'votes'",
            [],
        )
        .unwrap();
    cron(w, HOURLY).await;
    assert_eq!(
        w.count(&format!("SELECT created_at FROM votes WHERE id = {old}")),
        old_at,
        "not screened yet"
    );
    w.db()
        .execute(
            "UPDATE rollup_state SET lease_until = 0 WHERE name = 'votes'",
            [],
        )
        .unwrap();

    let resp = w.vote_json(json!({"token": token, "score": 3})).await;
    assert_eq!(resp.status(), 201);
    let recent = w.count(&format!(
        "SELECT max(id) FROM votes WHERE employee_id = {employee}"
    ));
    let recent_at = w.count(&format!("SELECT created_at FROM votes WHERE id = {recent}"));
    // A moderator's decision copies the vote's moment.
    let moderated = w
        .admin(
            Method::POST,
            &format!("/api/v1/admin/comments/{old}/moderation"),
        )
        .json(&json!({"decision": "withhold"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moderated.status(), 204);
    cron(w, HOURLY).await;

    assert_eq!(
        w.count(&format!("SELECT created_at FROM votes WHERE id = {old}")),
        floored,
        "screened and of an earlier UTC day: floored to its half hour"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT created_at FROM cases WHERE vote_id = {old}"
        )),
        floored
    );
    assert_eq!(
        w.count(&format!(
            "SELECT due_at % 1800 FROM cases WHERE vote_id = {old}"
        )),
        0
    );
    assert_eq!(
        w.count(&format!(
            "SELECT voted_at FROM comment_moderation WHERE vote_id = {old}"
        )),
        floored
    );
    assert_eq!(
        w.count(&format!("SELECT created_at FROM votes WHERE id = {recent}")),
        recent_at,
        "today's vote keeps its exact time while its day is screened"
    );
    assert_eq!(
        w.count("SELECT through_vote FROM time_coarsening"),
        old,
        "the step stops before the first vote still exact"
    );
    // The roll-up counted the old vote on its own day, before and after.
    assert_eq!(
        w.count(&format!(
            "SELECT SUM(counted) FROM daily_employee_stats WHERE employee_id = {employee} AND day = date({old_at}, 'unixepoch')"
        )),
        1
    );
}
