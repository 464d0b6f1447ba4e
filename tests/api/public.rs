//! Public results and receipts end to end: pages served from what the cron stored, no figure
//! below the minimum (nor one recoverable by subtraction), caching headers, the per-client
//! limit, and receipt proofs that read a few rows of the month's stored tree.

use crate::helpers::{key, Worker};
use crate::results::{cron, first_of_last_month, HOURLY};
use serde_json::Value;
use std::collections::HashMap;

const MONTHLY: &str = "30+0+1+*+*";

fn last_month() -> String {
    first_of_last_month().to_string()[..7].to_owned()
}

/// Counted votes of `employee` in `unit` on the 3rd of last month, each with a receipt hash
/// when `receipts` gives one. They carry a flag reason, as votes accepted on review do, so the
/// roll-up's screening leaves these machine-made runs counted.
fn insert_votes(w: &Worker, employee: i64, unit: i64, scores: &[i64], receipts: &[String]) {
    let start = first_of_last_month()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
        + 2 * 86_400;
    let db = w.db();
    for (i, score) in scores.iter().enumerate() {
        db.execute(
            "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, has_contact, lang, source, client_hash, created_at, status, flag_reason, receipt_hash) \
             VALUES (?1, ?2, 0, 1, ?3, 0, 'uk', 'api', ?4, ?5, 'counted', 'too_fast', ?6)",
            rusqlite::params![employee, unit, score, format!("p{employee}-{i}"), start + i as i64 * 7, receipts.get(i)],
        )
        .expect("insert vote");
    }
}

async fn open_data(w: &Worker, month: &str) -> Value {
    let resp = w
        .http
        .get(w.url(&format!("/api/v1/public/results?month={month}")))
        .header("cf-connecting-ip", "198.51.100.1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn page(w: &Worker, path: &str, address: &str) -> reqwest::Response {
    w.http
        .get(w.url(path))
        .header("cf-connecting-ip", address)
        .send()
        .await
        .unwrap()
}

fn votes_of(row: &Value) -> Option<i64> {
    row["figures"]["votes"].as_i64()
}

#[tokio::test]
async fn public_results_never_show_a_unit_below_the_minimum() {
    let w = &Worker::start_with(&key(1), &[("PUBLIC_RESULTS", "on"), ("MIN_VOTES", "10")]);
    let city = w.create_unit("Місто", None).await;
    let hall = w.create_unit("Зал обслуговування", Some(city)).await;
    let desk = w.create_unit("Віконце при архіві", Some(city)).await;
    let annex = w.create_unit("Філія", Some(city)).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністраторка", hall)
        .await;
    let archivist = w
        .create_employee("Марія Лисенко", "Архіваріуска", desk)
        .await;
    let second = w.create_employee("Ігор Мельник", "Спеціаліст", annex).await;
    insert_votes(w, clerk, hall, &[3; 20], &[]);
    // The desk's only person: three votes, all low.
    insert_votes(w, archivist, desk, &[1, 1, 1], &[]);
    insert_votes(w, second, annex, &[2; 14], &[]);
    cron(w, HOURLY).await;
    let month = last_month();

    let data = open_data(w, &month).await;
    let units: HashMap<i64, &Value> = data["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_i64().unwrap(), u))
        .collect();
    assert_eq!(votes_of(units[&city]), Some(37));
    assert!(
        units[&desk]["figures"].is_null(),
        "the desk is one person's three votes: {data}"
    );
    assert!(
        data["employees"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"] != archivist && votes_of(e).unwrap() >= 10),
        "{data}"
    );
    let text = data.to_string();
    assert!(!text.contains("\"votes\":3,"), "no count below the minimum");

    // The desk's page shows neither its figures nor its count.
    let html = page(
        w,
        &format!("/results?unit={desk}&month={month}&lang=en"),
        "198.51.100.2",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(html.contains("Марія Лисенко"), "{html}");
    assert!(!html.contains("<td>3</td>"), "no count of 3 votes: {html}");
    assert!(html.contains("Not enough votes yet"));
    // And the city page's row for the desk neither.
    let html = page(
        w,
        &format!("/results?unit={city}&month={month}&lang=en"),
        "198.51.100.2",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(!html.contains("<td>3</td>"), "{html}");
    let csv = page(
        w,
        &format!("/api/v1/public/results?month={month}&format=csv"),
        "198.51.100.2",
    )
    .await
    .text()
    .await
    .unwrap();
    let desk_row = csv
        .lines()
        .find(|l| l.starts_with(&format!("unit,{desk},")))
        .unwrap()
        .to_owned();
    assert!(desk_row.ends_with(",,,,,"), "{desk_row}");
}

#[tokio::test]
async fn a_suppressed_unit_cannot_be_recovered_from_its_parent_and_siblings() {
    let w = &Worker::start_with(&key(1), &[("PUBLIC_RESULTS", "on"), ("MIN_VOTES", "10")]);
    let city = w.create_unit("Місто", None).await;
    let small = w.create_unit("Мала філія", Some(city)).await;
    let middle = w.create_unit("Середня філія", Some(city)).await;
    let large = w.create_unit("Велика філія", Some(city)).await;
    let a = w
        .create_employee("Олена Коваль", "Спеціалістка", small)
        .await;
    let b = w
        .create_employee("Петро Шевчук", "Спеціаліст", middle)
        .await;
    let c = w
        .create_employee("Ірина Бондар", "Спеціалістка", large)
        .await;
    insert_votes(w, a, small, &[1, 1, 2], &[]);
    insert_votes(w, b, middle, &[3; 12], &[]);
    insert_votes(w, c, large, &[3; 30], &[]);
    cron(w, HOURLY).await;
    let data = open_data(w, &last_month()).await;
    let units = data["units"].as_array().unwrap();
    let parent = units.iter().find(|u| u["id"] == city).unwrap();
    let total = votes_of(parent).expect("the city has 45 votes and is shown");
    assert_eq!(total, 45);
    let children: Vec<&Value> = units.iter().filter(|u| u["parent_id"] == city).collect();
    let shown: i64 = children.iter().filter_map(|u| votes_of(u)).sum();
    assert!(
        children.iter().find(|u| u["id"] == small).unwrap()["figures"].is_null(),
        "{data}"
    );
    assert_ne!(
        total - shown,
        3,
        "the city minus its shown branches gives the small one's count away: {data}"
    );
    assert!(
        children.iter().find(|u| u["id"] == middle).unwrap()["figures"].is_null(),
        "the next-smallest branch is suppressed with it: {data}"
    );
    assert_eq!(
        votes_of(children.iter().find(|u| u["id"] == large).unwrap()),
        Some(30)
    );
    // The middle branch cannot be rebuilt from its own page either: its only person goes too.
    assert!(
        data["employees"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["id"] != b && e["id"] != a),
        "{data}"
    );
}

#[tokio::test]
async fn public_results_are_served_with_cache_headers_and_rate_limited() {
    let w = &Worker::start_with(
        &key(1),
        &[
            ("PUBLIC_RESULTS", "on"),
            ("MIN_VOTES", "5"),
            ("PUBLIC_RATE_LIMIT", "30"),
        ],
    );
    let city = w.create_unit("Місто", None).await;
    let hall = w.create_unit("Зал обслуговування", Some(city)).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністраторка", hall)
        .await;
    insert_votes(w, clerk, hall, &[3; 12], &[]);
    cron(w, HOURLY).await;
    let month = last_month();
    let path = format!("/results?unit={city}&month={month}&lang=en");

    let first = page(w, &path, "198.51.100.10").await;
    assert_eq!(first.status(), 200);
    let h = first.headers().clone();
    assert!(
        h["cache-control"].to_str().unwrap().contains("max-age="),
        "{h:?}"
    );
    let etag = h["etag"].to_str().unwrap().to_owned();
    assert!(h.contains_key("last-modified"), "{h:?}");
    assert_eq!(h["x-public-cache"], "miss");
    let second = page(w, &path, "198.51.100.10").await;
    assert_eq!(
        second.headers()["x-public-cache"],
        "hit",
        "from the Workers cache"
    );
    assert_eq!(second.text().await.unwrap(), first.text().await.unwrap());
    let revalidated = w
        .http
        .get(w.url(&path))
        .header("cf-connecting-ip", "198.51.100.10")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);

    // Served from the stored pages: with the roll-up tables emptied, a page never asked for
    // before (so not in the cache) still shows its figures.
    w.db()
        .execute_batch("DELETE FROM monthly_unit_stats; DELETE FROM monthly_employee_stats; DELETE FROM daily_unit_stats; DELETE FROM daily_employee_stats;")
        .unwrap();
    let stored = page(
        w,
        &format!("/results?unit={hall}&month={month}&lang=uk"),
        "198.51.100.11",
    )
    .await;
    assert_eq!(stored.headers()["x-public-cache"], "miss");
    let html = stored.text().await.unwrap();
    assert!(html.contains("<td>12</td>"), "{html}");

    // One client hammering is refused within the minute; another is still served.
    let mut refused = 0;
    let mut retry_after = String::new();
    for _ in 0..40 {
        let r = page(
            w,
            &format!("/api/v1/public/results?month={month}"),
            "198.51.100.66",
        )
        .await;
        if r.status() == 429 {
            refused += 1;
            retry_after = r.headers()["retry-after"].to_str().unwrap().to_owned();
        }
    }
    assert!(refused >= 10, "only {refused} of 40 refused");
    assert_eq!(retry_after, "60");
    let receipt = page(w, "/api/v1/public/receipts/00000-00000", "198.51.100.66").await;
    assert_eq!(receipt.status(), 429, "receipt checks share the limit");
    assert_eq!(page(w, &path, "198.51.100.67").await.status(), 200);
}

#[tokio::test]
async fn a_receipt_proof_reads_logarithmic_rows() {
    use civicrate::receipt::{leaf, unhex, verify, Receipt, Step};
    let w = &Worker::start_with(&key(1), &[("PUBLIC_RESULTS", "on")]);
    let unit = w.create_unit("ЦНАП", None).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністраторка", unit)
        .await;
    let n = 3000usize;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let receipts: Vec<Receipt> = (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let b = state.to_be_bytes();
            Receipt::from_random([b[0], b[1], b[2], b[3], b[4], b[5], b[6]])
        })
        .collect();
    let hashes: Vec<String> = receipts.iter().map(Receipt::stored_hash).collect();
    insert_votes(w, clerk, unit, &vec![3; n], &hashes);
    cron(w, MONTHLY).await;

    // The month's whole tree is stored: n leaves, then each level up to the root.
    let mut expected = 0;
    let mut size = n;
    while size > 1 {
        expected += size;
        size = size.div_ceil(2);
    }
    expected += 1;
    assert_eq!(
        w.count("SELECT COUNT(*) FROM receipt_tree") as usize,
        expected
    );

    for pick in [0, 1, 1234, n - 1] {
        let code = receipts[pick].display();
        let answer: Value = page(
            w,
            &format!("/api/v1/public/receipts/{code}"),
            "198.51.100.20",
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(answer["status"], "counted", "{answer}");
        assert_eq!(answer["counted_votes"], n);
        let path: Vec<Step> = answer["path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| Step {
                left: s["left"].as_bool().unwrap(),
                hash: s["hash"].as_str().unwrap().to_owned(),
            })
            .collect();
        let root = unhex(answer["root"].as_str().unwrap()).unwrap();
        assert!(verify(
            leaf(&unhex(&receipts[pick].stored_hash()).unwrap()),
            &path,
            &root
        ));
    }

    // D1's own count of rows read for each check, as the worker logs it.
    let bound = 2 * (n as f64).log2().ceil() as u64 + 4;
    let mut reads = Vec::new();
    // 30 s: wrangler's output reaches the file late on a loaded machine.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        let mut log = String::new();
        for entry in std::fs::read_dir(&w.dir).unwrap().flatten() {
            if entry.file_name().to_string_lossy().starts_with("wrangler-") {
                log.push_str(&std::fs::read_to_string(entry.path()).unwrap());
            }
        }
        reads = log
            .lines()
            .filter_map(|l| l.split("receipt check: ").nth(1))
            .filter_map(|r| r.split(' ').next()?.parse::<u64>().ok())
            .collect();
        if reads.len() >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(reads.len(), 4, "every check logs its rows read");
    for r in &reads {
        assert!(
            *r <= bound,
            "a check read {r} rows; log2 of {n} votes allows {bound}"
        );
    }
}
