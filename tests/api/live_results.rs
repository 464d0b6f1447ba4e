//! Live figures: the results views say when the hourly roll-up last counted and how many
//! votes of their scope wait for its screening; the roll-up then counts them and the waiting
//! go back to zero (docs/results.md, "Fresh figures").

use crate::helpers::{key, project_dir, Worker};
use crate::local_days::{at, insert};
use crate::results::{cron, tree, HOURLY};
use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};

async fn get(w: &Worker, path: &str, session: &str) -> Value {
    let resp = w.bearer(Method::GET, path, session).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn votes_wait_in_their_branch_until_the_roll_up_counts_them_and_moves_the_update_time() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    let token = |e: i64| async move {
        w.issue_code(e).await["token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    let (clerk, head, stranger) = (
        token(t.clerk).await,
        token(t.head).await,
        token(t.stranger).await,
    );
    let (_, viewer) = w
        .account("viewer-live@city.example", "viewer", Some(t.city))
        .await;
    let city = format!("/api/v1/admin/results/units/{}", t.city);
    let clerk_view = format!("/api/v1/admin/results/employees/{}", t.clerk);
    let before = get(w, &city, &viewer).await;
    assert_eq!(before["live"]["waiting"], 0);
    assert!(before["live"]["updated_at"].is_null(), "{}", before["live"]);
    assert!(!before["live"]["zone"].as_str().unwrap_or("").is_empty());

    // A first run with nothing to count still says the figures hold everything up to it.
    cron(w, HOURLY).await;
    let first = get(w, &city, &viewer).await["live"]["updated_at"]
        .as_i64()
        .expect("updated_at after a run");

    // Two votes for the clerk and one for the head of the city; two in the other branch.
    for (tok, score) in [
        (&clerk, 3),
        (&clerk, 2),
        (&head, 3),
        (&stranger, 1),
        (&stranger, 2),
    ] {
        let resp = w
            .vote_json(json!({"token": tok, "score": score, "lang": "uk"}))
            .await;
        let status = resp.status();
        assert_eq!(status, 201, "{}", resp.text().await.unwrap_or_default());
    }
    let now = get(w, &city, &viewer).await;
    assert_eq!(now["live"]["waiting"], 3, "{}", now["live"]);
    assert_eq!(now["totals"]["votes"], 0, "not counted before the roll-up");
    assert_eq!(now["live"]["updated_at"], first);
    // Their average stands apart, as a provisional figure: (3 + 2 + 3) / 3.
    assert_eq!(now["live"]["provisional_average"], 2.6667);
    let person = get(w, &clerk_view, &viewer).await;
    assert_eq!(person["live"]["waiting"], 2);
    assert_eq!(person["totals"]["votes"], 0);
    // The whole region (a superadmin sees it) waits for all five; the other branch for its two.
    let region = w
        .admin_get(&format!("/api/v1/admin/results/units/{}", t.region))
        .await;
    assert_eq!(region["live"]["waiting"], 5);
    let other = w
        .admin_get(&format!("/api/v1/admin/results/units/{}", t.other))
        .await;
    assert_eq!(other["live"]["waiting"], 2);
    // Last month holds none of today's votes.
    let last = get(w, &format!("{city}?period=month&date=2000-01-01"), &viewer).await;
    assert_eq!(last["live"]["waiting"], 0);
    // The directions view reads the caller's scope (no code here carries a direction).
    let directions = get(w, "/api/v1/admin/results/directions", &viewer).await;
    assert_eq!(directions["live"]["waiting"], 0);
    assert!(directions["live"].get("updated_at").is_some());

    // The stored time is in whole seconds: let the next run's start be a later one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    cron(w, HOURLY).await;
    let after = get(w, &city, &viewer).await;
    assert_eq!(after["live"]["waiting"], 0, "{}", after["live"]);
    assert_eq!(after["totals"]["votes"], 3);
    assert!(after["live"]["provisional_average"].is_null());
    let moved = after["live"]["updated_at"].as_i64().expect("updated_at");
    assert!(moved > first, "{moved} after {first}");
    let person = get(w, &clerk_view, &viewer).await;
    assert_eq!(person["live"]["waiting"], 0);
    assert_eq!(person["totals"]["votes"], 2);
}

/// The waiting votes are found from the watermark on by the primary key, whatever the view:
/// the time and unit indexes would read the whole period's votes.
#[test]
fn waiting_votes_are_read_by_the_primary_key_from_the_watermark_on() {
    use civicrate::store::sql::{LIVE_DIRECTIONS, LIVE_EMPLOYEE, LIVE_UNIT};
    // One statement per view tells the waiting votes four ways (count, local days, scores,
    // criteria): the votes are read once, by the primary key, into `w`, and their criteria
    // answers by `vote_criteria`'s.
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let schema = std::fs::read_to_string(project_dir().join("schema.sql")).unwrap();
    db.execute_batch(&schema).unwrap();
    for sql in [LIVE_UNIT, LIVE_EMPLOYEE, LIVE_DIRECTIONS] {
        let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params![1, 0, 4_102_444_800_i64, 12_600], |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("\n");
        // e.g. for LIVE_UNIT:
        //   SCALAR SUBQUERY 1 / SEARCH rollup_state USING PRIMARY KEY (name=?)
        //   SEARCH v USING INTEGER PRIMARY KEY (rowid>?)
        //   LIST SUBQUERY 3 / SEARCH unit_closure USING COVERING INDEX ... (ancestor_id=?)
        assert!(
            plan.contains("SEARCH v USING INTEGER PRIMARY KEY (rowid>?)"),
            "{sql}\n{plan}"
        );
        assert!(!plan.contains("SCAN v"), "{plan}");
        assert!(
            plan.contains("SEARCH c USING PRIMARY KEY (vote_id=?)"),
            "{sql}\n{plan}"
        );
        assert!(!plan.contains("SCAN c"), "{plan}");
        // The waiting votes are read once, whatever the number of ways they are told.
        assert_eq!(plan.matches("SEARCH v ").count(), 1, "{plan}");
        println!("{plan}");
    }
}

/// After each hourly run that reached every vote, earlier days' network hashes are forgotten.
/// The statement must read the hashed votes (a day's at most) and the votes after the
/// watermark, never the history: by the time index it read every vote before today.
#[test]
fn the_hourly_forgetting_of_network_hashes_reads_only_hashed_votes() {
    use civicrate::store::sql::FORGET_NETWORK_HASHES;
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let schema = std::fs::read_to_string(project_dir().join("schema.sql")).unwrap();
    db.execute_batch(&schema).unwrap();
    let mut stmt = db
        .prepare(&format!("EXPLAIN QUERY PLAN {FORGET_NETWORK_HASHES}"))
        .unwrap();
    let plan: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let plan = plan.join("\n");
    assert!(
        plan.contains("SEARCH votes USING INDEX votes_network"),
        "{plan}"
    );
    assert!(
        plan.contains("SEARCH u USING INTEGER PRIMARY KEY (rowid>?)"),
        "{plan}"
    );
    // The time index may only answer max(created_at), never a range of votes.
    assert!(!plan.contains("votes_time (created_at<?)"), "{plan}");
}

/// Tehran's local date now (+3:30 all year since 2022).
fn tehran_today() -> chrono::NaiveDate {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    chrono::DateTime::from_timestamp(now + 210 * 60, 0)
        .unwrap()
        .date_naive()
}

fn list(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn waiting_votes_show_on_their_local_day_with_their_scores_and_criteria_until_the_roll_up_counts_them(
) {
    let w = &Worker::start_with(&key(1), &[("DEFAULT_TIMEZONE", "Asia/Tehran")]);
    let resp = w
        .admin(Method::POST, "/api/v1/admin/criteria")
        .json(&json!({"code": "waiting_time", "labels": {"uk": "Час очікування", "en": "Waiting time"}, "position": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let criterion = resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // Every unit takes the instance's zone, Tehran; directions are read in it too.
    let t = tree(w).await;
    let direction = {
        let db = w.db();
        db.execute(
            "INSERT INTO directions (name, created_at) VALUES ('Паспорти', 0)",
            [],
        )
        .unwrap();
        db.last_insert_rowid()
    };
    cron(w, HOURLY).await;

    // Two votes through the API now: the clerk's 3 and the head's 2, each with an answer.
    let local = tehran_today();
    for (employee, score, answer) in [(t.clerk, 3, 1), (t.head, 2, 3)] {
        let token = w.issue_code(employee).await["token"]
            .as_str()
            .expect("token")
            .to_owned();
        let resp = w
            .vote_json(json!({"token": token, "score": score, "lang": "fa", "criteria": {"waiting_time": answer}}))
            .await;
        let status = resp.status();
        assert_eq!(status, 201, "{}", resp.text().await.unwrap_or_default());
    }
    // A vote cast at 21:00 UTC the day before (00:30 of today in Tehran), not yet rolled up:
    // its UTC date is yesterday, its local day today.
    let late = insert(w, t.clerk, t.hall, 1, at(local - Duration::days(1), 21, 0));
    // A duplicate and a flagged vote, which will never be counted, are not waiting.
    let duplicate = insert(w, t.clerk, t.hall, 1, at(local, 0, 0) - 600);
    let flagged = insert(w, t.clerk, t.hall, 2, at(local, 0, 0) - 300);
    {
        let db = w.db();
        for (id, answer) in [(late, 2), (duplicate, 1), (flagged, 1)] {
            db.execute(
                "INSERT INTO vote_criteria (vote_id, criterion_id, score) VALUES (?1, ?2, ?3)",
                rusqlite::params![id, criterion, answer],
            )
            .unwrap();
        }
        db.execute(
            "UPDATE votes SET status = 'duplicate' WHERE id = ?1",
            [duplicate],
        )
        .unwrap();
        db.execute(
            "UPDATE votes SET status = 'flagged' WHERE id = ?1",
            [flagged],
        )
        .unwrap();
        db.execute("UPDATE votes SET direction_id = ?1", [direction])
            .unwrap();
    }

    let month = format!("?period=month&date={local}");
    let day = json!([{"day": local.to_string(), "waiting": 3}]);
    let unit = w
        .admin_get(&format!("/api/v1/admin/results/units/{}{month}", t.city))
        .await;
    let live = &unit["live"];
    assert_eq!(live["zone"], "Asia/Tehran", "{live}");
    assert_eq!(live["waiting"], 3, "{live}");
    assert_eq!(live["days"], day, "on Tehran's day, not UTC's: {live}");
    assert_eq!(
        live["scores"],
        json!([{"score": 1, "n": 1}, {"score": 2, "n": 1}, {"score": 3, "n": 1}]),
        "{live}"
    );
    assert_eq!(
        live["criteria"],
        json!([
            {"criterion_id": criterion, "score": 1, "n": 1},
            {"criterion_id": criterion, "score": 2, "n": 1},
            {"criterion_id": criterion, "score": 3, "n": 1}
        ]),
        "{live}"
    );
    // Nothing of it in the official figures.
    assert_eq!(unit["totals"]["votes"], 0);
    assert_eq!(unit["criteria"][0]["votes"], 0, "{}", unit["criteria"]);
    assert!(list(&unit["trend"]).iter().all(|p| p["votes"] == 0));

    let person = w
        .admin_get(&format!(
            "/api/v1/admin/results/employees/{}{month}",
            t.clerk
        ))
        .await;
    let live = &person["live"];
    assert_eq!(
        live["days"],
        json!([{"day": local.to_string(), "waiting": 2}]),
        "{live}"
    );
    assert_eq!(
        live["scores"],
        json!([{"score": 1, "n": 1}, {"score": 3, "n": 1}])
    );
    assert_eq!(
        live["criteria"],
        json!([
            {"criterion_id": criterion, "score": 1, "n": 1},
            {"criterion_id": criterion, "score": 2, "n": 1}
        ])
    );
    let directions = w
        .admin_get(&format!("/api/v1/admin/results/directions{month}"))
        .await;
    let live = &directions["live"];
    assert_eq!(live["zone"], "Asia/Tehran");
    assert_eq!(live["days"], day, "{live}");
    assert_eq!(list(&live["scores"]).len(), 3, "{live}");
    assert_eq!(list(&live["criteria"]).len(), 3, "{live}");

    // The roll-up counts them on the same local day, and nothing waits any more.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    cron(w, HOURLY).await;
    let unit = w
        .admin_get(&format!("/api/v1/admin/results/units/{}{month}", t.city))
        .await;
    let live = &unit["live"];
    assert_eq!(live["waiting"], 0, "{live}");
    for k in ["days", "scores", "criteria"] {
        assert_eq!(live[k], json!([]), "{k}: {live}");
    }
    assert_eq!(unit["totals"]["votes"], 3);
    assert_eq!(unit["criteria"][0]["votes"], 3, "{}", unit["criteria"]);
    let counted: Vec<(String, i64)> = list(&unit["trend"])
        .iter()
        .filter(|p| p["votes"].as_i64().unwrap_or(0) > 0)
        .map(|p| {
            (
                p["from"].as_str().unwrap_or("").to_owned(),
                p["votes"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(counted, vec![(local.to_string(), 3)]);
    let person = w
        .admin_get(&format!(
            "/api/v1/admin/results/employees/{}{month}",
            t.clerk
        ))
        .await;
    assert_eq!(person["live"]["days"], json!([]));
    assert_eq!(person["totals"]["votes"], 2);
    let directions = w
        .admin_get(&format!("/api/v1/admin/results/directions{month}"))
        .await;
    assert_eq!(directions["live"]["scores"], json!([]));
}
