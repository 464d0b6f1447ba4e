//! Results end to end: votes go into the real local D1, the cron runs on workerd through
//! `/__scheduled`, and the aggregates and reports are checked against counts computed here.

use crate::helpers::{key, Worker};
use chrono::{Datelike, Duration, NaiveDate};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) const HOURLY: &str = "7+*+*+*+*";
const MONTHLY: &str = "30+0+1+*+*";

/// A vote written straight into D1, as the vote path stores it.
#[derive(Clone, Debug)]
pub(crate) struct V {
    employee: i64,
    unit: i64,
    score: i64,
    at: i64,
    status: &'static str,
    contact: bool,
    comment: Option<&'static str>,
}

fn day_start(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp()
}

pub(crate) fn today() -> NaiveDate {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .date_naive()
}

fn month_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

pub(crate) fn first_of_last_month() -> NaiveDate {
    let t = today();
    let first = NaiveDate::from_ymd_opt(t.year(), t.month(), 1).unwrap();
    let prev = first - Duration::days(1);
    NaiveDate::from_ymd_opt(prev.year(), prev.month(), 1).unwrap()
}

/// A counted vote with a comment, on the 3rd of last month.
pub(crate) fn commented(employee: i64, unit: i64, score: i64, comment: &'static str) -> V {
    V {
        employee,
        unit,
        score,
        at: day_start(first_of_last_month()) + 86_400 * 2 + 7200,
        status: "counted",
        contact: false,
        comment: Some(comment),
    }
}

pub(crate) fn insert(w: &Worker, votes: &[V]) {
    let db = w.db();
    for (i, v) in votes.iter().enumerate() {
        db.execute(
            "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status) \
             VALUES (?1, ?2, 0, 1, ?3, ?4, ?5, 'uk', 'api', ?6, ?7, ?8)",
            rusqlite::params![v.employee, v.unit, v.score, v.comment, v.contact as i64, format!("h{i}-{}", v.at), v.at, v.status],
        )
        .expect("insert vote");
    }
}

pub(crate) async fn cron(w: &Worker, schedule: &str) {
    let resp = w
        .http
        .get(w.url(&format!("/__scheduled?cron={schedule}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "cron {schedule}");
}

/// The hourly roll-up on an instance other tests run it on too (`shared()`): a run that finds
/// the lease taken answers 200 and does nothing, so this runs it again until a finished run
/// (the lease free) has counted every vote there is now (the watermark past the last one).
pub(crate) async fn cron_all(w: &Worker) {
    let last = w.count("SELECT coalesce(max(id), 0) FROM votes");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        cron(w, HOURLY).await;
        let done = format!(
            "SELECT COUNT(*) FROM rollup_state WHERE name = 'votes' AND watermark >= {last} AND lease_until = 0"
        );
        if w.count(&done) == 1 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no roll-up counted the votes up to {last} within 60 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Every row of the results tables, in order: equal means the same aggregates.
fn results_tables(w: &Worker) -> String {
    let db = w.db();
    let mut out = String::new();
    for (table, order) in [
        (
            "daily_employee_stats",
            "day, employee_id, unit_id, direction_id, score",
        ),
        ("daily_unit_stats", "day, unit_id, score"),
        ("monthly_unit_stats", "month, unit_id, score"),
        (
            "monthly_employee_stats",
            "month, employee_id, unit_id, score",
        ),
        (
            "monthly_direction_stats",
            "month, direction_id, unit_id, score",
        ),
    ] {
        // Cells that went back to zero are the same as no cell.
        let sql = format!(
            "SELECT * FROM {table} WHERE counted + with_contact + with_comment + flagged + duplicates > 0 ORDER BY {order}"
        );
        let mut stmt = db.prepare(&sql).unwrap();
        let n = stmt.column_count();
        let rows: Vec<String> = stmt
            .query_map([], |r| {
                let cells: Result<Vec<String>, _> = (0..n)
                    .map(|i| r.get_ref(i).map(|v| format!("{v:?}")))
                    .collect();
                Ok(cells?.join("|"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        out.push_str(&format!("{table}\n{}\n", rows.join("\n")));
    }
    out
}

/// Counted votes per (unit subtree root, month, score), computed here from the inserted votes.
fn expected_monthly(
    votes: &[V],
    ancestors: &BTreeMap<i64, Vec<i64>>,
) -> BTreeMap<(i64, String, i64), i64> {
    let mut out = BTreeMap::new();
    for v in votes.iter().filter(|v| v.status == "counted") {
        let month = month_of(
            chrono::DateTime::from_timestamp(v.at, 0)
                .unwrap()
                .date_naive(),
        );
        for a in &ancestors[&v.unit] {
            *out.entry((*a, month.clone(), v.score)).or_insert(0) += 1;
        }
    }
    out
}

fn monthly_in_db(w: &Worker) -> BTreeMap<(i64, String, i64), i64> {
    let db = w.db();
    let mut stmt = db
        .prepare(
            "SELECT c.ancestor_id, m.month, m.score, SUM(m.counted) FROM monthly_unit_stats m \
             JOIN unit_closure c ON c.descendant_id = m.unit_id GROUP BY 1, 2, 3 HAVING SUM(m.counted) > 0",
        )
        .unwrap();
    stmt.query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub(crate) struct Tree {
    pub(crate) region: i64,
    pub(crate) city: i64,
    pub(crate) hall: i64,
    pub(crate) other: i64,
    pub(crate) clerk: i64,
    pub(crate) head: i64,
    pub(crate) stranger: i64,
}

/// Region → city → hall, and region → other; a clerk in the hall, a head of the city, and
/// someone in the other branch.
pub(crate) async fn tree(w: &Worker) -> Tree {
    let region = w.create_unit("Область", None).await;
    let city = w.create_unit("Місто", Some(region)).await;
    let hall = w.create_unit("Зал обслуговування", Some(city)).await;
    let other = w.create_unit("Інша громада", Some(region)).await;
    Tree {
        region,
        city,
        hall,
        other,
        clerk: w
            .create_employee("Олена Коваль", "Адміністраторка", hall)
            .await,
        head: w.create_employee("Петро Шевчук", "Начальник", city).await,
        stranger: w
            .create_employee("Ірина Бондар", "Спеціалістка", other)
            .await,
    }
}

fn ancestors(t: &Tree) -> BTreeMap<i64, Vec<i64>> {
    BTreeMap::from([
        (t.hall, vec![t.hall, t.city, t.region]),
        (t.city, vec![t.city, t.region]),
        (t.other, vec![t.other, t.region]),
        (t.region, vec![t.region]),
    ])
}

pub(crate) fn sample_votes(t: &Tree) -> Vec<V> {
    let last = day_start(first_of_last_month());
    let now = day_start(today());
    let v = |employee, unit, score, at, status| V {
        employee,
        unit,
        score,
        at,
        status,
        contact: false,
        comment: None,
    };
    let mut votes = Vec::new();
    for i in 0..12 {
        votes.push(v(
            t.clerk,
            t.hall,
            3,
            last + 3600 * i64::from(i) + 86_400 * 3,
            "counted",
        ));
    }
    votes.push(V {
        contact: true,
        comment: Some("Довго чекала"),
        ..v(t.clerk, t.hall, 1, last + 86_400 * 5, "counted")
    });
    votes.push(v(t.clerk, t.hall, 3, last + 86_400 * 5 + 60, "duplicate"));
    votes.push(v(t.clerk, t.hall, 1, last + 86_400 * 6, "flagged"));
    votes.push(v(t.head, t.city, 2, last + 86_400 * 10, "counted"));
    votes.push(v(t.stranger, t.other, 2, last + 86_400 * 11, "counted"));
    votes.push(v(t.stranger, t.other, 3, now + 60, "counted"));
    votes.push(v(t.clerk, t.hall, 2, now + 120, "counted"));
    votes
}

#[tokio::test]
async fn known_votes_roll_up_into_every_ancestor_and_a_second_run_changes_nothing() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    let votes = sample_votes(&t);
    insert(w, &votes);
    cron(w, HOURLY).await;

    assert_eq!(monthly_in_db(w), expected_monthly(&votes, &ancestors(&t)));
    assert_eq!(
        w.count("SELECT watermark FROM rollup_state"),
        w.count("SELECT max(id) FROM votes")
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM rollup_dirty_days"), 0);
    let month = month_of(first_of_last_month());
    assert_eq!(
        w.count(&format!(
            "SELECT flagged FROM monthly_unit_stats WHERE unit_id = {} AND month = '{month}' AND score = 1",
            t.hall
        )),
        1,
        "flagged votes are kept apart, not counted"
    );

    let before = results_tables(w);
    cron(w, HOURLY).await;
    assert_eq!(results_tables(w), before, "a second run changes nothing");

    // The same figures through the API: the region's month holds all 15 counted votes.
    let r = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{}?period=month&date={}",
            t.region,
            first_of_last_month()
        ))
        .await;
    assert_eq!(r["totals"]["votes"], 15, "{r}");
    assert_eq!(r["totals"]["by_score"]["3"], 12);
    assert_eq!(r["totals"]["flagged"], 1);
    assert_eq!(r["totals"]["duplicates"], 1);
    assert_eq!(r["totals"]["signed"], 1);
    assert_eq!(r["trend"].as_array().unwrap().len() as u32, {
        let f = first_of_last_month();
        (NaiveDate::from_ymd_opt(today().year(), today().month(), 1).unwrap() - f).num_days() as u32
    });
    // A long custom range reads months whole and its ragged ends once, per child and for the
    // unit itself; the trend still puts every vote in its own month.
    let long = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{}?from={}&to={}",
            t.region,
            first_of_last_month() + Duration::days(4),
            today()
        ))
        .await;
    assert_eq!(long["totals"]["votes"], 5, "{long}");
    if (today() - first_of_last_month()).num_days() > 35 {
        // Longer than a month: the trend is per month (else per day, as for a month).
        let trend = long["trend"].as_array().unwrap();
        assert_eq!(trend.len(), 2);
        assert_eq!(
            (trend[0]["votes"].as_i64(), trend[1]["votes"].as_i64()),
            (Some(3), Some(2))
        );
    }
    assert!(
        long["previous"].is_null(),
        "a custom range has no previous period"
    );
    let children: Vec<i64> = r["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        children,
        vec![t.city, t.other],
        "the city (14 votes) ranks first"
    );
    assert_eq!(r["units"][0]["figures"]["votes"], 14);

    // The hall: the clerk's 13 counted votes with enough for a score; a week of days reads the
    // daily tables, a custom range over two months mixes both.
    let hall = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{}?period=month&date={}",
            t.hall,
            first_of_last_month()
        ))
        .await;
    assert_eq!(hall["employees"][0]["id"], t.clerk);
    assert_eq!(hall["employees"][0]["figures"]["votes"], 13);
    assert_eq!(hall["employees"][0]["figures"]["enough"], true);
    let both = w
        .admin_get(&format!(
            "/api/v1/admin/results/employees/{}?from={}&to={}",
            t.clerk,
            first_of_last_month() + Duration::days(4),
            today()
        ))
        .await;
    assert_eq!(
        both["totals"]["votes"], 2,
        "the 6th of last month and today: {both}"
    );
    assert_eq!(both["totals"]["by_score"]["1"], 1);

    // Comments come with their filters, and a contact while it is kept.
    let c = w
        .admin_get(&format!(
            "/api/v1/admin/results/comments?from={}&to={}&unit={}&score=1",
            first_of_last_month(),
            today(),
            t.city
        ))
        .await;
    assert_eq!(c["comments"].as_array().unwrap().len(), 1, "{c}");
    assert_eq!(c["comments"][0]["comment"], "Довго чекала");
}

#[tokio::test]
async fn a_run_that_fails_on_a_database_error_leaves_nothing_half_done_and_the_next_completes_it() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    let votes = sample_votes(&t);
    insert(w, &votes);
    // One table of the step's batch is missing: its statement fails, so D1 rolls the whole
    // batch back (the other four tables, the cases and the watermark included).
    let db = w.db();
    db.execute_batch("ALTER TABLE monthly_direction_stats RENAME TO monthly_direction_stats_away")
        .unwrap();
    cron(w, HOURLY).await;
    assert_eq!(
        w.count(
            "SELECT (SELECT COUNT(*) FROM daily_employee_stats) + (SELECT COUNT(*) FROM daily_unit_stats) \
             + (SELECT COUNT(*) FROM monthly_unit_stats) + (SELECT COUNT(*) FROM monthly_employee_stats)"
        ),
        0,
        "nothing of the failed step is kept"
    );
    assert_eq!(w.count("SELECT watermark FROM rollup_state"), 0);
    assert_eq!(w.count("SELECT COUNT(*) FROM cases"), 0);
    assert_eq!(
        w.count("SELECT lease_until FROM rollup_state"),
        0,
        "the failed run freed its lease"
    );
    db.execute_batch("ALTER TABLE monthly_direction_stats_away RENAME TO monthly_direction_stats")
        .unwrap();
    cron(w, HOURLY).await;
    assert_eq!(monthly_in_db(w), expected_monthly(&votes, &ancestors(&t)));
    assert_eq!(
        w.count("SELECT watermark FROM rollup_state"),
        w.count("SELECT max(id) FROM votes")
    );
}

#[tokio::test]
async fn an_interrupted_run_is_completed_by_the_next_and_a_held_lease_makes_a_second_run_wait() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    let votes = sample_votes(&t);
    insert(w, &votes);
    // A run that died holding its lease, with days still owed (a recompute asked for them):
    // the watermark is where its last whole step left it.
    let half = w.count("SELECT max(id) FROM votes") / 2;
    let db = w.db();
    db.execute_batch(&format!(
        "INSERT OR IGNORE INTO rollup_dirty_days (day) SELECT DISTINCT date(created_at, 'unixepoch') FROM votes WHERE id <= {half};
         UPDATE rollup_state SET watermark = {half}, lease_until = 4102444800;"
    ))
    .unwrap();
    cron(w, HOURLY).await;
    assert_eq!(
        w.count("SELECT COUNT(*) FROM monthly_unit_stats"),
        0,
        "the lease holder is left alone"
    );
    assert!(w.count("SELECT COUNT(*) FROM rollup_dirty_days") > 0);

    // The lease expires: the next run finishes the work.
    db.execute("UPDATE rollup_state SET lease_until = 1", [])
        .unwrap();
    cron(w, HOURLY).await;
    assert_eq!(monthly_in_db(w), expected_monthly(&votes, &ancestors(&t)));
    assert_eq!(w.count("SELECT lease_until FROM rollup_state"), 0);

    // Two runs at once: one holds the lease, the other leaves; the result is the same.
    let more = vec![V {
        employee: t.head,
        unit: t.city,
        score: 3,
        at: day_start(today()) + 300,
        status: "counted",
        contact: false,
        comment: None,
    }];
    insert(w, &more);
    tokio::join!(cron(w, HOURLY), cron(w, HOURLY));
    cron(w, HOURLY).await;
    let all: Vec<V> = votes.into_iter().chain(more).collect();
    assert_eq!(monthly_in_db(w), expected_monthly(&all, &ancestors(&t)));
}

#[tokio::test]
async fn a_moved_unit_takes_its_votes_to_its_new_ancestors() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    let votes = sample_votes(&t);
    insert(w, &votes);
    cron(w, HOURLY).await;
    let month = month_of(first_of_last_month());
    let counted = |unit: i64| {
        w.count(&format!(
            "SELECT coalesce(SUM(m.counted), 0) FROM monthly_unit_stats m JOIN unit_closure c ON c.descendant_id = m.unit_id \
             WHERE c.ancestor_id = {unit} AND m.month = '{month}'"
        ))
    };
    assert_eq!((counted(t.city), counted(t.other)), (14, 1));

    let resp = w
        .admin(Method::PATCH, &format!("/api/v1/admin/units/{}", t.hall))
        .json(&json!({"parent_id": t.other}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    cron(w, HOURLY).await;
    assert_eq!((counted(t.city), counted(t.other)), (1, 14));
    assert_eq!(
        counted(t.region),
        15,
        "the region holds both branches still"
    );
}

#[tokio::test]
async fn the_monthly_close_stores_reports_and_the_csv_opens_with_the_right_characters() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    insert(w, &sample_votes(&t));
    cron(w, MONTHLY).await;
    let month = month_of(first_of_last_month());
    let units = w.count("SELECT COUNT(*) FROM units");
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM monthly_reports WHERE month = '{month}'"
        )),
        units
    );

    let report = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{}/monthly?month={month}",
            t.city
        ))
        .await;
    assert_eq!(report["figures"]["votes"], 14);
    assert_eq!(report["complaints"], 1, "the lowest level with a comment");
    assert_eq!(report["best"][0]["employee_id"], t.clerk, "{report}");

    let csv = w
        .admin(
            Method::GET,
            &format!(
                "/api/v1/admin/results/units/{}/monthly?month={month}&format=csv",
                t.city
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let bytes = csv.bytes().await.unwrap();
    assert_eq!(
        &bytes[..3],
        b"\xEF\xBB\xBF",
        "UTF-8 with a byte-order mark, for Excel"
    );
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");
    assert!(
        text.contains("Місто") && text.contains("Олена Коваль"),
        "{text}"
    );
    assert!(text.contains("\r\n"));

    let html = w
        .admin(
            Method::GET,
            &format!(
                "/api/v1/admin/results/units/{}/monthly?month={month}&format=html&lang=fa",
                t.city
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 200);
    let page = html.text().await.unwrap();
    assert!(
        page.contains("dir=\"rtl\"") && page.contains('۱'),
        "Persian digits"
    );

    // Closing again rewrites the same reports.
    let before = w.checksum();
    cron(w, MONTHLY).await;
    assert_eq!(w.checksum().len(), before.len());
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM monthly_reports WHERE month = '{month}'"
        )),
        units
    );
}

#[tokio::test]
async fn results_and_comments_of_another_branch_are_not_found() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    insert(w, &sample_votes(&t));
    cron(w, HOURLY).await;
    let (_, viewer) = w
        .account("viewer-city@city.example", "viewer", Some(t.city))
        .await;
    let get = |path: String| {
        let viewer = viewer.clone();
        async move { w.bearer(Method::GET, &path, &viewer).send().await.unwrap() }
    };
    assert_eq!(
        get(format!("/api/v1/admin/results/units/{}", t.city))
            .await
            .status(),
        200
    );
    for path in [
        format!("/api/v1/admin/results/units/{}", t.other),
        format!("/api/v1/admin/results/units/{}", t.region),
        format!("/api/v1/admin/results/employees/{}", t.stranger),
        format!("/api/v1/admin/results/comments?unit={}", t.other),
        format!("/api/v1/admin/results/units/{}/monthly", t.other),
    ] {
        assert_eq!(get(path.clone()).await.status(), 404, "{path}");
    }
    let recompute = w
        .bearer(
            Method::POST,
            "/api/v1/admin/results/recompute?from=2026-01-01&to=2026-01-31",
            &viewer,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(recompute.status(), 403);
    let bad = get("/api/v1/admin/results/directions?period=fortnight".into()).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        bad.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_period"
    );
}

#[tokio::test]
async fn a_recompute_rebuilds_days_from_the_votes() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    let votes = sample_votes(&t);
    insert(w, &votes);
    cron(w, HOURLY).await;
    let before = results_tables(w);
    // A correction made in the database (say, a review's decision): the tables lag until the
    // days are recomputed.
    w.db()
        .execute(
            "UPDATE votes SET status = 'counted' WHERE status = 'flagged'",
            [],
        )
        .unwrap();
    let from = first_of_last_month();
    let r: Value = w
        .admin(
            Method::POST,
            &format!(
                "/api/v1/admin/results/recompute?from={from}&to={}",
                from + Duration::days(20)
            ),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["roll_up"]["days"].as_array().unwrap().len(), 21, "{r}");
    assert_ne!(results_tables(w), before);
    let fixed: Vec<V> = votes
        .into_iter()
        .map(|v| V {
            status: if v.status == "flagged" {
                "counted"
            } else {
                v.status
            },
            ..v
        })
        .collect();
    assert_eq!(monthly_in_db(w), expected_monthly(&fixed, &ancestors(&t)));
}

#[tokio::test]
async fn public_results_are_off_by_default_and_show_no_comments_when_on() {
    let off = crate::helpers::shared();
    let resp = off.http.get(off.url("/results")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let resp = off
        .http
        .get(off.url("/api/v1/public/results"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    let w = &Worker::start_with(&key(1), &[("PUBLIC_RESULTS", "on"), ("MIN_VOTES", "5")]);
    let t = tree(w).await;
    insert(w, &sample_votes(&t));
    // Five more for the head: with the one vote of theirs alone, the city minus the hall would
    // give it away, and the clerk's row would be suppressed with it (public.rs).
    let extra: Vec<V> = (0..5)
        .map(|i| V {
            employee: t.head,
            unit: t.city,
            score: 2,
            at: day_start(first_of_last_month()) + 86_400 * 12 + 3600 * i,
            status: "counted",
            contact: false,
            comment: None,
        })
        .collect();
    insert(w, &extra);
    cron(w, HOURLY).await;
    let month = month_of(first_of_last_month());
    let data: Value = w
        .http
        .get(w.url(&format!("/api/v1/public/results?month={month}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = data.to_string();
    assert!(!text.contains("Довго чекала"), "never a comment");
    let employees = data["employees"].as_array().unwrap();
    assert_eq!(
        employees.len(),
        1,
        "only the clerk has 5 votes or more: {data}"
    );
    assert_eq!(employees[0]["figures"]["votes"], 13);
    assert_eq!(
        employees[0]["figures"]["signed"], 0,
        "no counts that narrow down voters"
    );
    assert!(data["method"].as_str().unwrap().contains("Wilson"));

    let page = w
        .http
        .get(w.url(&format!("/results?unit={}&month={month}&lang=fa", t.hall)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Олена Коваль") && html.contains("۱۳"),
        "Persian digits"
    );
    let small = w
        .http
        .get(w.url(&format!("/results?unit={}&month={month}&lang=en", t.city)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        small.contains("Not enough votes yet"),
        "the city is suppressed: the other branch's single vote is hidden, and the city with it"
    );
}

/// A webhook receiver on loopback: answers 500 to the first `fail_first` calls, then 200, and
/// keeps every body it was sent.
fn webhook(fail_first: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<Value>>>) {
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let mut calls = 0;
    let port = crate::helpers::loopback_service(move |body| {
        calls += 1;
        if calls <= fail_first {
            return ("500 Internal Server Error", "{}".into());
        }
        seen.lock()
            .unwrap()
            .extend(serde_json::from_str::<Value>(body).ok());
        ("200 OK", "{}".into())
    });
    (format!("http://127.0.0.1:{port}/hook"), bodies)
}

#[tokio::test]
async fn a_low_score_with_a_comment_reaches_the_manager_after_a_failed_first_try() {
    let (url, received) = webhook(1);
    let w = &Worker::start_with(&key(1), &[("ALERT_WEBHOOK_URL", url.as_str())]);
    let t = tree(w).await;
    w.account("head-city@city.example", "viewer", Some(t.city))
        .await;
    let code = w.issue_code(t.clerk).await;
    let resp = w
        .vote_json(json!({"token": code["token"], "score": 1, "comment": "Нагрубили у віконці 3"}))
        .await;
    assert_eq!(resp.status(), 201, "the vote does not wait for any alert");
    cron(w, HOURLY).await;
    assert_eq!(received.lock().unwrap().len(), 0, "the first try failed");
    assert_eq!(w.count("SELECT attempts FROM alert_outbox"), 1);
    assert!(
        w.count("SELECT next_at - created_at FROM alert_outbox") >= 120,
        "the retry waits"
    );

    cron(w, HOURLY).await;
    assert_eq!(
        w.count("SELECT attempts FROM alert_outbox"),
        1,
        "not due yet"
    );
    w.db()
        .execute("UPDATE alert_outbox SET next_at = 0", [])
        .unwrap();
    cron(w, HOURLY).await;
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let a = &got[0];
    assert_eq!(a["kind"], "low_score_comment");
    assert_eq!(a["employee_id"], t.clerk);
    assert_eq!(a["score"], 1);
    assert!(
        a["managers"].to_string().contains("head-city@city.example"),
        "{a}"
    );
    assert!(a["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/admin/#/results/employees/{}", t.clerk)));
    assert!(
        !a.to_string().contains("віконці"),
        "the comment itself stays in the admin page"
    );
    assert!(w.count("SELECT sent_at FROM alert_outbox") > 0);
    cron(w, HOURLY).await;
    assert_eq!(received.lock().unwrap().len(), 1, "sent once");
}

#[tokio::test]
async fn a_sharp_drop_against_the_employees_own_baseline_is_reported_once_a_week() {
    let (url, received) = webhook(0);
    let w = &Worker::start_with(&key(1), &[("ALERT_WEBHOOK_URL", url.as_str())]);
    let t = tree(w).await;
    let today = day_start(today());
    let mut votes = Vec::new();
    for i in 0..40 {
        // The 28 days before the last week: almost all at the top.
        votes.push(V {
            employee: t.clerk,
            unit: t.hall,
            score: if i % 10 == 0 { 2 } else { 3 },
            at: today - 8 * 86_400 - i * 40_000,
            status: "counted",
            contact: false,
            comment: None,
        });
    }
    for i in 0..15 {
        // The last 7 days: mostly below it.
        votes.push(V {
            employee: t.clerk,
            unit: t.hall,
            score: if i % 5 == 0 { 3 } else { 1 },
            at: today - 86_400 - i * 30_000,
            status: "counted",
            contact: false,
            comment: None,
        });
    }
    insert(w, &votes);
    cron(w, HOURLY).await;
    cron(w, "5+0+*+*+*").await;
    cron(w, "5+0+*+*+*").await;
    let got = received.lock().unwrap().clone();
    let drops: Vec<&Value> = got.iter().filter(|a| a["kind"] == "drop").collect();
    assert_eq!(drops.len(), 2, "the clerk and the hall, once each: {got:?}");
    assert!(drops.iter().any(|a| a["employee_id"] == t.clerk));
    assert!(drops[0]["text"].as_str().unwrap().contains("7"));
}

#[tokio::test]
async fn accepted_flagged_votes_join_the_results_at_the_next_roll_up_and_rejected_ones_never() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    let at = day_start(first_of_last_month()) + 86_400 * 2;
    let mut votes = sample_votes(&t);
    for i in 0..3 {
        votes.push(V {
            employee: t.clerk,
            unit: t.hall,
            score: 3,
            at: at + i * 60,
            status: "flagged",
            contact: false,
            comment: None,
        });
    }
    insert(w, &votes);
    cron(w, HOURLY).await;
    assert_eq!(monthly_in_db(w), expected_monthly(&votes, &ancestors(&t)));

    let (_, viewer) = w
        .account("viewer-review@city.example", "viewer", Some(t.region))
        .await;
    let (_, other) = w
        .account("admin-other@city.example", "unit_admin", Some(t.other))
        .await;
    let list = w
        .bearer(Method::GET, "/api/v1/admin/review", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 403, "viewers read results but do not decide");
    let flagged = w.admin_get("/api/v1/admin/review").await;
    let ids: Vec<i64> = flagged["votes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["score"] == 3)
        .map(|v| v["vote_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{flagged}");
    let elsewhere: Value = w
        .bearer(Method::POST, "/api/v1/admin/review", &other)
        .json(&json!({"votes": ids, "decision": "accept"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        elsewhere["changed"], 0,
        "another branch's votes are left alone"
    );
    let bad = w
        .admin(Method::POST, "/api/v1/admin/review")
        .json(&json!({"votes": ids, "decision": "maybe"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    let decide = |votes: Vec<i64>, decision: &'static str| async move {
        let r: Value = w
            .admin(Method::POST, "/api/v1/admin/review")
            .json(&json!({"votes": votes, "decision": decision}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["changed"].as_i64().unwrap()
    };
    assert_eq!(decide(ids[..2].to_vec(), "accept").await, 2);
    assert_eq!(decide(ids[2..].to_vec(), "reject").await, 1);
    assert_eq!(
        decide(ids.clone(), "accept").await,
        0,
        "decided votes stay decided"
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('flagged_votes_accepted', 'flagged_votes_rejected')"),
        2
    );

    cron(w, HOURLY).await;
    let decided: Vec<V> = votes
        .into_iter()
        .map(|v| {
            let status = if v.status == "flagged" && v.score == 3 {
                let nth = (v.at - at) / 60;
                if nth < 2 {
                    "counted"
                } else {
                    "rejected"
                }
            } else {
                v.status
            };
            V { status, ..v }
        })
        .collect();
    assert_eq!(monthly_in_db(w), expected_monthly(&decided, &ancestors(&t)));
}

#[tokio::test]
async fn comments_and_contacts_become_cases_that_managers_follow_up_and_overdue_ones_are_counted() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    let mut votes = sample_votes(&t);
    let at = day_start(first_of_last_month()) + 86_400 * 8;
    votes.push(V {
        comment: Some("Повторний коментар"),
        ..V {
            employee: t.clerk,
            unit: t.hall,
            score: 1,
            at,
            status: "duplicate",
            contact: false,
            comment: None,
        }
    });
    votes.push(V {
        employee: t.stranger,
        unit: t.other,
        score: 2,
        at: at + 60,
        status: "counted",
        contact: true,
        comment: None,
    });
    insert(w, &votes);
    cron(w, HOURLY).await;
    assert_eq!(
        w.count("SELECT COUNT(*) FROM cases"),
        2,
        "the comment in the hall and the contact in the other branch; never a repeat"
    );
    let hall_case = w.count(&format!(
        "SELECT vote_id FROM cases WHERE unit_id = {}",
        t.hall
    ));
    assert_eq!(
        w.count(&format!(
            "SELECT due_at - created_at FROM cases WHERE vote_id = {hall_case}"
        )),
        30 * 86_400
    );

    let (_, viewer) = w
        .account("viewer-inbox@city.example", "viewer", Some(t.city))
        .await;
    let (_, other) = w
        .account("admin-inbox@city.example", "unit_admin", Some(t.other))
        .await;
    let seen: Value = w
        .bearer(Method::GET, "/api/v1/admin/cases", &viewer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["cases"].as_array().unwrap().len(),
        1,
        "only the city's case: {seen}"
    );
    assert_eq!(seen["cases"][0]["comment"], "Довго чекала");
    let patch = |token: String, body: Value| async move {
        w.bearer(
            Method::PATCH,
            &format!("/api/v1/admin/cases/{hall_case}"),
            &token,
        )
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
    };
    assert_eq!(
        patch(viewer.clone(), json!({"status": "resolved"})).await,
        403
    );
    assert_eq!(
        patch(other.clone(), json!({"status": "resolved"})).await,
        404
    );
    let root = w.admin_token.clone();
    assert_eq!(patch(root.clone(), json!({"status": "closed"})).await, 422);
    assert_eq!(patch(root.clone(), json!({})).await, 422);
    assert_eq!(patch(root.clone(), json!({"note": " "})).await, 422);
    assert_eq!(
        patch(
            root.clone(),
            json!({"status": "in_progress", "note": "Зателефонувала, з'ясовуємо"})
        )
        .await,
        204
    );
    let after = w
        .admin_get(&format!(
            "/api/v1/admin/cases?unit={}&status=in_progress",
            t.city
        ))
        .await;
    assert_eq!(
        after["cases"][0]["notes"][0]["note"], "Зателефонувала, з'ясовуємо",
        "{after}"
    );
    assert_eq!(after["cases"][0]["notes"][0]["by"], "root@city.example");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'case_changed'"),
        1
    );

    // Past due and still open: listed per unit and counted in the month's report.
    w.db()
        .execute_batch(&format!(
            "UPDATE cases SET due_at = 1 WHERE vote_id = {hall_case};
             UPDATE cases SET due_at = 4102444800 WHERE vote_id <> {hall_case};"
        ))
        .unwrap();
    let late = w.admin_get("/api/v1/admin/cases/overdue").await;
    assert_eq!(late["units"][0]["unit_id"], t.hall, "{late}");
    assert_eq!(late["units"][0]["overdue"], 1);
    let only_late = w.admin_get("/api/v1/admin/cases?overdue=yes").await;
    assert_eq!(only_late["cases"].as_array().unwrap().len(), 1);
    cron(w, MONTHLY).await;
    let month = month_of(first_of_last_month());
    let report = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{}/monthly?month={month}",
            t.region
        ))
        .await;
    assert_eq!(report["overdue_cases"], 1, "{report}");
}
