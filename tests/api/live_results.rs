//! Live figures: the results views say when the hourly roll-up last counted and how many
//! votes of their scope wait for its screening; the roll-up then counts them and the waiting
//! go back to zero (docs/results.md, "Fresh figures").

use crate::helpers::{key, project_dir, Worker};
use crate::results::{cron, tree, HOURLY};
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
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let schema = std::fs::read_to_string(project_dir().join("schema.sql")).unwrap();
    db.execute_batch(&schema).unwrap();
    for sql in [LIVE_UNIT, LIVE_EMPLOYEE, LIVE_DIRECTIONS] {
        let mut stmt = db.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(rusqlite::params![1, 0, 4_102_444_800_i64], |r| {
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
        println!("{plan}");
    }
}
