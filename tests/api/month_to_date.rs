//! Month-to-date reports (docs/results.md, "Month to date"): the unit's open month, on its own
//! calendar, is built on request from the roll-up tables by the close's builder, provisional
//! with `as_of`, in JSON, CSV and the printable page; closed months still read the stored
//! report; scopes and the minimum apply as to stored reports; one unit's report reads its
//! subtree alone, measured at 2,000 units and 10,000 employees.

use crate::helpers::{key, Worker};
use crate::results::{cron, today, tree, HOURLY};
use chrono::{Datelike, Duration, NaiveDate};
use reqwest::Method;
use serde_json::Value;

pub(crate) fn at(d: NaiveDate, h: u32, m: u32) -> i64 {
    d.and_hms_opt(h, m, 0).unwrap().and_utc().timestamp()
}

fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

pub(crate) fn first_of(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap()
}

/// A counted vote written straight into D1, as the vote path stores it.
pub(crate) fn vote(
    w: &Worker,
    employee: i64,
    unit: i64,
    score: i64,
    at: i64,
    comment: Option<&str>,
) {
    w.db()
        .execute(
            "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status) \
             VALUES (?1, ?2, 0, 1, ?3, ?4, 0, 'uk', 'api', ?5, ?6, 'counted')",
            rusqlite::params![employee, unit, score, comment, format!("mtd-{employee}-{at}-{score}"), at],
        )
        .expect("insert vote");
}

/// The `i`th of an employee's votes from `start`: gaps over the cadence rule's 15 minutes and
/// uneven, so that screening flags none (`integrity`).
pub(crate) fn spread(start: i64, i: i64) -> i64 {
    start + i * 1_000 + i * i * 7
}

async fn get(w: &Worker, path: &str) -> reqwest::Response {
    w.admin(Method::GET, path).send().await.unwrap()
}

/// The worker's log (wrangler's own files in its state folder).
fn log(w: &Worker) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(&w.dir).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with("wrangler-") {
            out.push_str(&std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
    }
    out
}

/// The rows read by the last month-to-date report of `unit` the log names.
async fn rows_read(w: &Worker, unit: i64) -> u64 {
    let needle = format!("month to date of unit {unit} (");
    // 30 s: wrangler's output reaches the file late on a loaded machine.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Some(n) = log(w)
            .lines()
            .rev()
            .find(|l| l.contains(&needle))
            .and_then(|l| l.split("built from ").nth(1))
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
        {
            return n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no month-to-date log line for unit {unit}");
}

#[tokio::test]
async fn the_current_month_is_reported_to_date_in_json_csv_and_print_and_marked_provisional() {
    let w = &Worker::start_with(&key(1), &[("MIN_VOTES", "5")]);
    let t = tree(w).await;
    let now = today();
    let this = first_of(now);
    let last = first_of(this - Duration::days(1));
    // This month: the clerk 12 × 3 and one complaint, the head 2 × 2 (under the minimum of
    // five), the stranger 6 × 2 in the other branch. Last month: the clerk 3 × 2.
    for i in 0..12 {
        vote(w, t.clerk, t.hall, 3, spread(at(this, 0, 1), i), None);
    }
    vote(w, t.clerk, t.hall, 1, at(this, 0, 20), Some("Довго чекала"));
    for i in 0..2 {
        vote(w, t.head, t.city, 2, at(this, 0, 30) + i, None);
    }
    for i in 0..6 {
        vote(w, t.stranger, t.other, 2, at(this, 0, 40) + i, None);
    }
    for i in 0..3 {
        vote(w, t.clerk, t.hall, 2, at(last, 9, 0) + i, None);
    }
    cron(w, HOURLY).await;
    let run = w.count("SELECT watermark FROM rollup_state WHERE name = 'votes_run'");
    let month = month_key(this);

    let city = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{}/monthly?month={month}",
            t.city
        ))
        .await;
    assert_eq!(city["provisional"], true, "{city}");
    assert_eq!(city["as_of"], run, "the last complete roll-up");
    assert_eq!(city["month"], month.as_str());
    assert_eq!(city["figures"]["votes"], 15, "{city}");
    assert_eq!(city["previous"]["votes"], 3, "{city}");
    assert_eq!(city["change_votes"], 12);
    assert_eq!(city["complaints"], 1);
    let ranked: Vec<i64> = city["best"]
        .as_array()
        .unwrap()
        .iter()
        .chain(city["worst"].as_array().unwrap())
        .map(|e| e["employee_id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ranked,
        vec![t.clerk],
        "the head's two votes stay under the minimum, as in a stored report: {city}"
    );
    let region = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{}/monthly?month={month}",
            t.region
        ))
        .await;
    assert_eq!(region["figures"]["votes"], 21, "{region}");
    assert_eq!(region["best"][0]["employee_id"], t.clerk, "{region}");
    assert!(
        region["best"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["employee_id"] != t.head),
        "{region}"
    );
    assert!(rows_read(w, t.region).await > 0);

    let csv = get(
        w,
        &format!(
            "/api/v1/admin/results/units/{}/monthly?month={month}&format=csv",
            t.city
        ),
    )
    .await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("report-{}-{month}.csv", t.city)));
    let bytes = csv.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 with a byte-order mark");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap();
    assert!(
        first.starts_with("\"Month to date, not closed: figures may change; as of ")
            && first.ends_with(" UTC\""),
        "{text}"
    );
    assert!(lines.next().unwrap().starts_with("section,"), "{text}");
    let row: Vec<&str> = text
        .lines()
        .find(|l| l.starts_with("month,"))
        .unwrap()
        .split(',')
        .collect();
    assert_eq!((row[3], row[6]), (month.as_str(), "15"), "{text}");
    assert!(text.contains("Олена Коваль") && !text.contains("Петро Шевчук"));

    for (lang, notice, fifteen) in [
        ("uk", "Місяць ще триває, звіт не остаточний", "15"),
        ("fa", "ماه هنوز تمام نشده", "۱۵"),
        ("en", "Month to date, not closed", "15"),
    ] {
        let html = get(
            w,
            &format!(
                "/api/v1/admin/results/units/{}/monthly?month={month}&format=html&lang={lang}",
                t.city
            ),
        )
        .await;
        assert_eq!(html.status(), 200);
        let page = html.text().await.unwrap();
        let at_notice = page
            .find(notice)
            .unwrap_or_else(|| panic!("{lang}: {page}"));
        assert!(
            at_notice < page.find("<table").unwrap(),
            "{lang}: at the top"
        );
        assert!(
            page.contains(&format!("<td>{fifteen}</td>")),
            "{lang}: {page}"
        );
    }
}

#[tokio::test]
async fn a_closed_month_reads_the_stored_report_and_its_rebuild_gives_the_same_figures() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    let last = first_of(first_of(today()) - Duration::days(1));
    for i in 0..12 {
        vote(w, t.clerk, t.hall, 3, spread(at(last, 10, 0), i), None);
    }
    vote(w, t.head, t.city, 1, at(last, 11, 0), Some("Черга"));
    // The hourly run rolls up and, last month's reports missing, closes it.
    cron(w, HOURLY).await;
    let month = month_key(last);
    let path = format!(
        "/api/v1/admin/results/units/{}/monthly?month={month}",
        t.city
    );
    let stored = w.admin_get(&path).await;
    assert_eq!(stored["provisional"], false, "{stored}");
    assert!(stored.get("as_of").is_none(), "{stored}");
    assert_eq!(stored["figures"]["votes"], 13);
    let csv = get(w, &format!("{path}&format=csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.trim_start_matches('\u{feff}').starts_with("section,"),
        "{csv}"
    );
    let html = get(w, &format!("{path}&format=html&lang=uk"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("data-testid=\"provisional\""));

    // Without its stored reports (the close not run yet), last month is still open: built by
    // the close's own builder from the same tables, it is the close's report, provisional.
    w.db()
        .execute_batch(&format!(
            "DELETE FROM monthly_reports WHERE month = '{month}'"
        ))
        .unwrap();
    let mut rebuilt = w.admin_get(&path).await;
    assert_eq!(rebuilt["provisional"], true, "{rebuilt}");
    assert!(rebuilt["as_of"].as_i64().is_some(), "{rebuilt}");
    let o = rebuilt.as_object_mut().unwrap();
    o.remove("as_of");
    o.insert("provisional".into(), Value::Bool(false));
    assert_eq!(rebuilt, stored);

    // The next hourly run closes it again; a vote added to the closed month after that
    // changes the tables, not the report.
    cron(w, HOURLY).await;
    assert_eq!(w.admin_get(&path).await, stored);
    vote(w, t.clerk, t.hall, 1, at(last, 12, 0), None);
    cron(w, HOURLY).await;
    assert_eq!(
        w.count(&format!(
            "SELECT SUM(counted) FROM monthly_unit_stats WHERE month = '{month}'"
        )),
        14
    );
    assert_eq!(
        w.admin_get(&path).await,
        stored,
        "the stored report as it was"
    );
}

#[tokio::test]
async fn a_tehran_unit_counts_a_vote_after_its_local_midnight_on_the_first_in_the_new_month() {
    let w = &Worker::start_with(&key(1), &[("DEFAULT_TIMEZONE", "Asia/Tehran")]);
    let unit = w.create_unit("دفتر پیشخوان تهران", None).await;
    let clerk = w.create_employee("مینا کریمی", "کارشناس", unit).await;
    // Tehran is UTC+3:30 all year: its month now, and that month's first day.
    let local_now = crate::helpers::unix_now() + 210 * 60;
    let first = first_of(
        chrono::DateTime::from_timestamp(local_now, 0)
            .unwrap()
            .date_naive(),
    );
    let eve = first - Duration::days(1);
    // 20:15 UTC on the eve is 23:45 in Tehran: the month before. 21:00 UTC is 00:30 on the
    // first: this month.
    vote(w, clerk, unit, 1, at(eve, 20, 15), None);
    vote(w, clerk, unit, 3, at(eve, 21, 0), None);
    cron(w, HOURLY).await;
    let month = month_key(first);
    let r = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{unit}/monthly?month={month}"
        ))
        .await;
    assert_eq!(r["provisional"], true, "{r}");
    assert_eq!(r["figures"]["votes"], 1, "{r}");
    assert_eq!(r["figures"]["by_score"]["3"], 1, "{r}");
    assert_eq!(
        r["previous"]["votes"], 1,
        "the 23:45 vote is last month's: {r}"
    );
    // The month after Tehran's is not begun.
    let next = month_key(first + Duration::days(40));
    let resp = get(
        w,
        &format!("/api/v1/admin/results/units/{unit}/monthly?month={next}"),
    )
    .await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn future_and_early_months_are_not_found_and_another_branch_is_not_found_either() {
    let w = &Worker::start(&key(1));
    let t = tree(w).await;
    vote(w, t.clerk, t.hall, 3, at(first_of(today()), 0, 5), None);
    cron(w, HOURLY).await;
    let month = month_key(today());
    let next = month_key(first_of(today()) + Duration::days(40));
    for m in [next.as_str(), "2020-01", "2099-12"] {
        let resp = get(
            w,
            &format!("/api/v1/admin/results/units/{}/monthly?month={m}", t.city),
        )
        .await;
        assert_eq!(resp.status(), 404, "{m}");
        let body: Value = resp.json().await.unwrap();
        assert!(body.to_string().contains("monthly report"), "{m}: {body}");
    }
    let (_, viewer) = w
        .account("viewer-mtd@city.example", "viewer", Some(t.city))
        .await;
    for (unit, status) in [
        (t.city, 200),
        (t.hall, 200),
        (t.other, 404),
        (t.region, 404),
    ] {
        for format in ["json", "csv", "html"] {
            let resp = w
                .bearer(
                    Method::GET,
                    &format!(
                        "/api/v1/admin/results/units/{unit}/monthly?month={month}&format={format}"
                    ),
                    &viewer,
                )
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), status, "unit {unit} as {format}");
        }
    }
}

/// 2,000 units (20 regions of 99 offices each) and 10,000 employees, each with votes this month:
/// one office's month-to-date report reads its own rows, a region's its 100 units', never the
/// whole instance's.
#[tokio::test]
async fn one_units_month_to_date_report_reads_its_subtree_only_at_two_thousand_units() {
    let w = &Worker::start(&key(1));
    let month = month_key(today());
    {
        let mut db = w.db();
        let tx = db.transaction().unwrap();
        let mut sql = String::new();
        for region in 0..20 {
            let r = 100_000 + region * 100;
            sql.push_str(&format!(
                "INSERT INTO units (id, parent_id, name, created_at) VALUES ({r}, NULL, 'Регіон {region}', 0);
                 INSERT INTO unit_closure VALUES ({r}, {r}, 0);"
            ));
            for office in 1..100 {
                let u = r + office;
                sql.push_str(&format!(
                    "INSERT INTO units (id, parent_id, name, created_at) VALUES ({u}, {r}, 'Відділ {u}', 0);
                     INSERT INTO unit_closure VALUES ({u}, {u}, 0), ({r}, {u}, 1);"
                ));
            }
        }
        tx.execute_batch(&sql).unwrap();
        let units: Vec<i64> = {
            let mut s = tx
                .prepare("SELECT id FROM units WHERE id >= 100000")
                .unwrap();
            s.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert_eq!(units.len(), 2_000);
        let mut e = tx
            .prepare("INSERT INTO employees (id, unit_id, name, position, created_at) VALUES (?1, ?2, ?3, 'Спеціаліст', 0)")
            .unwrap();
        let mut s = tx
            .prepare("INSERT INTO monthly_employee_stats (month, employee_id, unit_id, score, counted, with_contact, with_comment, flagged, duplicates) VALUES (?1, ?2, ?3, ?4, 6, 0, 0, 0, 0)")
            .unwrap();
        let mut m = tx
            .prepare("INSERT INTO monthly_unit_stats (month, unit_id, score, counted, with_contact, with_comment, flagged, duplicates) VALUES (?1, ?2, ?3, 30, 0, 0, 0, 0)")
            .unwrap();
        for (i, u) in units.iter().enumerate() {
            for k in 0..5 {
                let id = 1_000_000 + (i as i64) * 5 + k;
                e.execute(rusqlite::params![id, u, format!("Працівник {id}")])
                    .unwrap();
                for score in [2, 3] {
                    s.execute(rusqlite::params![month, id, u, score]).unwrap();
                }
            }
            for score in [2, 3] {
                m.execute(rusqlite::params![month, u, score]).unwrap();
            }
        }
        drop((e, s, m));
        tx.commit().unwrap();
    }
    assert_eq!(
        w.count("SELECT COUNT(*) FROM employees WHERE id >= 1000000"),
        10_000
    );
    let stats = w.count("SELECT COUNT(*) FROM monthly_employee_stats")
        + w.count("SELECT COUNT(*) FROM monthly_unit_stats")
        + w.count("SELECT COUNT(*) FROM unit_closure")
        + w.count("SELECT COUNT(*) FROM employees");

    let office = 100_542;
    let r = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{office}/monthly?month={month}"
        ))
        .await;
    assert_eq!(r["provisional"], true);
    assert_eq!(r["figures"]["votes"], 60, "{r}");
    assert_eq!(r["best"].as_array().unwrap().len(), 3, "{r}");
    let office_rows = rows_read(w, office).await;

    let region = 100_500;
    let r = w
        .admin_get(&format!(
            "/api/v1/admin/results/units/{region}/monthly?month={month}"
        ))
        .await;
    assert_eq!(r["figures"]["votes"], 100 * 60, "{r}");
    let region_rows = rows_read(w, region).await;
    println!(
        "month to date at 2,000 units / 10,000 employees ({stats} rows in the tables read): \
         an office {office_rows} rows read, a region of 100 units {region_rows}"
    );
    assert!(office_rows <= 100, "an office: {office_rows} rows read");
    assert!(
        region_rows <= 6_000 && region_rows * 5 < stats as u64,
        "a region of 100 units and 500 employees: {region_rows} rows read of {stats}"
    );
}
