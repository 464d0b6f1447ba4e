//! Local days end to end: a unit in Tehran (+3:30) counts a vote cast at 21:00 UTC on the
//! last day of a month on the next month's first, in the roll-up tables, the results API, the
//! monthly report and its CSV; votes from before migration 0022 move to their local days with
//! a recompute, none lost.

use crate::helpers::{key, Worker};
use crate::results::{cron, first_of_last_month, today, HOURLY};
use chrono::{Datelike, Duration, NaiveDate};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const MONTHLY: &str = "30+0+1+*+*";

pub(crate) fn at(d: NaiveDate, h: u32, m: u32) -> i64 {
    d.and_hms_opt(h, m, 0).unwrap().and_utc().timestamp()
}

/// A counted vote written straight into D1 as the vote path stores it (no offset yet).
pub(crate) fn insert(w: &Worker, employee: i64, unit: i64, score: i64, at: i64) -> i64 {
    let db = w.db();
    db.execute(
        "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status) \
         VALUES (?1, ?2, 0, 1, ?3, NULL, 0, 'fa', 'api', ?4, ?5, 'counted')",
        rusqlite::params![employee, unit, score, format!("tz-{at}"), at],
    )
    .expect("insert vote");
    db.last_insert_rowid()
}

/// Counted votes per day of the unit, as the roll-up stored them.
fn days_of(w: &Worker, unit: i64) -> BTreeMap<String, i64> {
    let db = w.db();
    let mut stmt = db
        .prepare("SELECT day, SUM(counted) FROM daily_unit_stats WHERE unit_id = ?1 GROUP BY day HAVING SUM(counted) > 0")
        .unwrap();
    stmt.query_map([unit], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn months_of(w: &Worker, unit: i64) -> BTreeMap<String, i64> {
    let db = w.db();
    let mut stmt = db
        .prepare("SELECT month, SUM(counted) FROM monthly_unit_stats WHERE unit_id = ?1 GROUP BY month HAVING SUM(counted) > 0")
        .unwrap();
    stmt.query_map([unit], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

#[tokio::test]
async fn a_tehran_vote_after_local_midnight_counts_on_the_local_day_in_results_and_the_monthly_csv()
{
    let w = &Worker::start_with(&key(1), &[("DEFAULT_TIMEZONE", "Asia/Tehran")]);

    // New units take the instance's zone; a zone off the list is refused and creates nothing.
    let resp = w
        .admin(Method::POST, "/api/v1/admin/units")
        .json(&json!({"name": "دفتر پیشخوان تهران", "parent_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let unit = resp.json::<Value>().await.unwrap();
    assert_eq!(unit["timezone"], "Asia/Tehran", "{unit}");
    let unit = unit["id"].as_i64().unwrap();
    let units = w.count("SELECT COUNT(*) FROM units");
    let resp = w
        .admin(Method::POST, "/api/v1/admin/units")
        .json(&json!({"name": "Elsewhere", "parent_id": null, "timezone": "Mars/Olympus"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("timezone"));
    assert_eq!(w.count("SELECT COUNT(*) FROM units"), units);
    let resp = w
        .admin(Method::PATCH, &format!("/api/v1/admin/units/{unit}"))
        .json(&json!({"timezone": "America/Nowhere"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let me = w.admin_get("/api/v1/session").await;
    assert_eq!(me["default_timezone"], "Asia/Tehran");
    assert!(me["time_zones"]
        .as_array()
        .unwrap()
        .iter()
        .any(|z| z == "Europe/Kyiv"));

    let clerk = w.create_employee("مینا کریمی", "کارشناس", unit).await;
    // Last month M; its first day and its last.
    let first = first_of_last_month();
    let this_month = NaiveDate::from_ymd_opt(today().year(), today().month(), 1).unwrap();
    let last = this_month - Duration::days(1);
    // 20:15 UTC on M's last day is 23:45 in Tehran: M's last day.
    let late = insert(w, clerk, unit, 1, at(last, 20, 15));
    // 21:00 UTC on M's last day is 00:30 on this month's first in Tehran.
    let after_midnight = insert(w, clerk, unit, 3, at(last, 21, 0));
    // 21:00 UTC on the day before M is 00:30 on M's first in Tehran.
    let early = insert(w, clerk, unit, 2, at(first - Duration::days(1), 21, 0));
    cron(w, HOURLY).await;
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM votes WHERE id IN ({late}, {after_midnight}, {early}) AND local_offset = 210"
        )),
        3,
        "the roll-up step stores Tehran's offset with each vote"
    );
    let local = BTreeMap::from([
        (first.to_string(), 1),
        (last.to_string(), 1),
        (this_month.to_string(), 1),
    ]);
    assert_eq!(days_of(w, unit), local);
    assert_eq!(
        months_of(w, unit),
        BTreeMap::from([(month_key(first), 2), (month_key(this_month), 1)])
    );

    // The results API: M holds the vote of its first local day and of its last, and the day
    // trend shows each on its day.
    let r = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{unit}?period=month&date={first}"
        ))
        .await;
    assert_eq!(r["totals"]["votes"], 2, "{r}");
    assert_eq!(r["totals"]["by_score"]["1"], 1, "{r}");
    assert_eq!(r["totals"]["by_score"]["2"], 1, "{r}");
    let trend: BTreeMap<String, i64> = r["trend"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["votes"].as_i64() > Some(0))
        .map(|p| {
            (
                p["from"].as_str().unwrap().to_owned(),
                p["votes"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        trend,
        BTreeMap::from([(first.to_string(), 1), (last.to_string(), 1)]),
        "{r}"
    );

    // The monthly close: M's report and its CSV count the same two votes.
    cron(w, MONTHLY).await;
    let month = month_key(first);
    let report = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{unit}/monthly?month={month}"
        ))
        .await;
    assert_eq!(report["figures"]["votes"], 2, "{report}");
    let csv = w
        .admin(
            Method::GET,
            &format!("/api/v1/admin/results/units/{unit}/monthly?month={month}&format=csv"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    let text = csv.text().await.unwrap();
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("month,"))
        .unwrap_or_else(|| panic!("{text}"))
        .split(',')
        .collect();
    assert_eq!((row[3], row[6]), (month.as_str(), "2"), "{text}");

    // Before migration 0022 votes had no offset: their roll-up rows are on UTC days. A
    // recompute over their UTC days gives them their exact offsets and moves them, none lost.
    w.db()
        .execute_batch(&format!(
            "UPDATE votes SET local_offset = 0 WHERE unit_id = {unit};
             INSERT OR IGNORE INTO rollup_dirty_days (day) SELECT DISTINCT day FROM daily_unit_stats WHERE unit_id = {unit};
             INSERT OR IGNORE INTO rollup_dirty_days (day) SELECT DISTINCT date(created_at, 'unixepoch') FROM votes WHERE unit_id = {unit};"
        ))
        .unwrap();
    cron(w, HOURLY).await;
    let utc = BTreeMap::from([
        ((first - Duration::days(1)).to_string(), 1),
        (last.to_string(), 2),
    ]);
    assert_eq!(days_of(w, unit), utc, "as an upgraded instance has them");
    let resp = w
        .admin(
            Method::POST,
            &format!(
                "/api/v1/admin/results/recompute?from={}&to={last}",
                first - Duration::days(1)
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    for _ in 0..3 {
        if w.count("SELECT COUNT(*) FROM rollup_dirty_days") == 0 {
            break;
        }
        cron(w, HOURLY).await;
    }
    assert_eq!(
        days_of(w, unit),
        local,
        "the recompute puts them on their local days"
    );
    assert_eq!(
        months_of(w, unit),
        BTreeMap::from([(month_key(first), 2), (month_key(this_month), 1)])
    );
}
