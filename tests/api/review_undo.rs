//! Undoing a rejection made in review: the list of rejected votes within one's scope, and the
//! undo that sends a vote back to the flagged ones, by the same rule as accepting or rejecting
//! (an administrator strictly above the vote's unit), recounted at the next roll-up, audited.

use crate::helpers::{key, Worker};
use crate::results::{cron, HOURLY};
use reqwest::Method;
use serde_json::{json, Value};

/// A flagged vote written straight into D1 as screening leaves it, at noon UTC yesterday.
fn flagged(w: &Worker, employee: i64, unit: i64, n: i64) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let noon_yesterday = now - now % 86_400 - 86_400 + 43_200 + n;
    let db = w.db();
    db.execute(
        "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status, flag_reason) \
         VALUES (?1, ?2, 0, 1, 2, NULL, 0, 'uk', 'api', ?3, ?4, 'flagged', 'too_fast')",
        rusqlite::params![employee, unit, format!("undo-{n}"), noon_yesterday],
    )
    .expect("insert vote");
    db.last_insert_rowid()
}

fn status_of(w: &Worker, vote: i64) -> String {
    w.db()
        .query_row("SELECT status FROM votes WHERE id = ?1", [vote], |r| {
            r.get(0)
        })
        .unwrap()
}

/// The unit's flagged votes as the roll-up counted them, over every day.
fn flagged_in_stats(w: &Worker, unit: i64) -> i64 {
    w.count(&format!(
        "SELECT coalesce(SUM(flagged), 0) FROM daily_unit_stats WHERE unit_id = {unit}"
    ))
}

async fn rejected(w: &Worker, token: &str) -> (u16, Value) {
    let resp = w
        .bearer(Method::GET, "/api/v1/admin/review/rejected", token)
        .send()
        .await
        .unwrap();
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or(Value::Null),
    )
}

/// The vote ids of a list, each with whether the caller may undo it.
fn listed(list: &Value) -> Vec<(i64, bool)> {
    list["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["vote_id"].as_i64().unwrap(),
                v["decidable"].as_bool().unwrap(),
            )
        })
        .collect()
}

async fn undo(w: &Worker, token: &str, vote: i64) -> (u16, Value) {
    let resp = w
        .bearer(
            Method::POST,
            &format!("/api/v1/admin/review/rejected/{vote}/undo"),
            token,
        )
        .send()
        .await
        .unwrap();
    (
        resp.status().as_u16(),
        resp.json().await.unwrap_or(Value::Null),
    )
}

async fn reject(w: &Worker, token: &str, votes: &[i64]) -> i64 {
    let resp = w
        .bearer(Method::POST, "/api/v1/admin/review", token)
        .json(&json!({"votes": votes, "decision": "reject"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.unwrap()["changed"]
        .as_i64()
        .unwrap()
}

fn undone_in_audit(w: &Worker) -> i64 {
    w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'vote_rejection_undone'")
}

#[tokio::test]
async fn an_admin_above_sends_a_rejected_vote_back_to_review_and_its_day_is_recounted() {
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
    let own = [flagged(w, clerk, office, 1), flagged(w, clerk, office, 2)];
    let below = flagged(w, desk_clerk, desk, 3);
    cron(w, HOURLY).await;
    assert_eq!(flagged_in_stats(w, office), 2);

    let (_, manager) = w
        .account("manager@city.example", "unit_admin", Some(office))
        .await;
    let (_, head) = w
        .account("head@city.example", "unit_admin", Some(city))
        .await;
    let (_, elsewhere) = w
        .account("admin-other@city.example", "unit_admin", Some(other))
        .await;
    let (_, viewer) = w.account("viewer@city.example", "viewer", Some(city)).await;

    assert_eq!(reject(w, &head, &own).await, 2);
    assert_eq!(reject(w, &manager, &[below]).await, 1);
    cron(w, HOURLY).await;
    assert_eq!(
        flagged_in_stats(w, office),
        0,
        "rejected votes leave the day"
    );

    // The list: newest first, in scope, marking what each caller may undo.
    let (code, list) = rejected(w, &head).await;
    assert_eq!(code, 200, "{list}");
    assert_eq!(
        listed(&list),
        vec![(below, true), (own[1], true), (own[0], true)]
    );
    assert!(
        list["votes"][0]["employee"] == "Іван Сидоренко"
            && list["votes"][0]["reason"] == "too_fast"
    );
    let (_, list) = rejected(w, &manager).await;
    assert_eq!(
        listed(&list),
        vec![(below, true), (own[1], false), (own[0], false)],
        "the office's own votes are for an admin above it"
    );
    let (_, list) = rejected(w, &elsewhere).await;
    assert_eq!(
        listed(&list),
        vec![],
        "another branch's votes are not listed"
    );
    assert_eq!(rejected(w, &viewer).await.0, 403, "viewers do not review");

    // The office's own admin is refused, as for accepting or rejecting; nothing changes.
    let before = w.checksum();
    let (code, body) = undo(w, &manager, own[0]).await;
    assert_eq!(code, 403, "{body}");
    assert_eq!(body["error"]["code"], "needs_oversight");
    // Another branch's admin does not see the vote at all.
    assert_eq!(undo(w, &elsewhere, own[0]).await.0, 404);
    assert_eq!(undo(w, &head, 999_999).await.0, 404);
    assert_eq!(w.checksum(), before);
    assert_eq!(status_of(w, own[0]), "rejected");

    // The city's head undoes it: back to review, the day marked, audited.
    let (code, body) = undo(w, &head, own[0]).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body, json!({"vote_id": own[0], "status": "flagged"}));
    assert_eq!(status_of(w, own[0]), "flagged");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM rollup_dirty_days"),
        1,
        "its day waits for the roll-up"
    );
    assert_eq!(
        w.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'vote_rejection_undone' AND object = 'vote:{}' AND actor = 'head@city.example (API token)'", own[0])),
        1
    );
    cron(w, HOURLY).await;
    assert_eq!(flagged_in_stats(w, office), 1, "the day is recounted");
    let flagged_list = w.admin_get("/api/v1/admin/review").await;
    assert!(
        flagged_list["votes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["vote_id"] == own[0]),
        "{flagged_list}"
    );
    let (_, list) = rejected(w, &head).await;
    assert_eq!(listed(&list), vec![(below, true), (own[1], true)]);
    // The office's manager undoes the desk's rejection: they are above the desk.
    assert_eq!(undo(w, &manager, below).await.0, 200);
    assert_eq!(undone_in_audit(w), 2);

    // A vote that is not rejected: a clear conflict, nothing changes, nothing audited.
    let before = w.checksum();
    for vote in [own[0], below] {
        let (code, body) = undo(w, &head, vote).await;
        assert_eq!(code, 409, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("only a vote rejected in review"),
            "{body}"
        );
    }
    assert_eq!(w.checksum(), before);
    assert_eq!(undone_in_audit(w), 2);
}

#[tokio::test]
async fn a_vote_rejected_on_appeal_is_neither_listed_nor_undone_in_review() {
    let w = &Worker::start(&key(1));
    let city = w.create_unit("Міська рада", None).await;
    let office = w.create_unit("ЦНАП", Some(city)).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністраторка", office)
        .await;
    let vote = flagged(w, clerk, office, 1);
    let (head_session, head) = w
        .account("head@city.example", "unit_admin", Some(city))
        .await;
    let head_id = head_session.me["account"]["id"].as_i64().unwrap();
    // Upheld on appeal: rejected, its flag reason kept.
    w.db()
        .execute_batch(&format!(
            "UPDATE votes SET status = 'rejected' WHERE id = {vote}; \
             INSERT INTO vote_appeals (vote_id, unit_id, reason, filed_by, filed_at, decision, decided_by, decided_at) \
             VALUES ({vote}, {office}, 'Голос надіслано під час відпустки', {head_id}, 1, 'upheld', 1, 2);"
        ))
        .unwrap();
    let (code, list) = rejected(w, &head).await;
    assert_eq!(code, 200);
    assert_eq!(listed(&list), vec![]);
    let before = w.checksum();
    assert_eq!(undo(w, &head, vote).await.0, 409);
    assert_eq!(w.checksum(), before);
    assert_eq!(status_of(w, vote), "rejected");
}
