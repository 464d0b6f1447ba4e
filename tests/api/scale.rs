//! Nationwide scale (docs/scale.md): a code's shard byte picks its D1 database, votes can go
//! through a Queue and its consumer, and the national view sums every shard's month.

use crate::helpers::{key, Worker};
use crate::results::{cron, HOURLY};
use civicrate::org::{Channel, EmployeeId};
use civicrate::token::{Claims, CodeKind, KeyRing};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn shard_database(binding: &str) -> String {
    format!(
        "[[d1_databases]]\nbinding = \"{binding}\"\ndatabase_name = \"civicrate-{binding}\"\ndatabase_id = \"{binding}\"\nmigrations_dir = \"migrations\"\n"
    )
}

const QUEUE: &str = "[[queues.producers]]\nbinding = \"VOTE_QUEUE\"\nqueue = \"civicrate-votes\"\n\n[[queues.consumers]]\nqueue = \"civicrate-votes\"\nmax_batch_size = 100\nmax_batch_timeout = 1\nmax_retries = 5\n";

/// An employee with a current desk code in a shard's database, as that shard's own
/// deployment would have made them; returns the token it would have printed.
fn employee_in_shard(db: &Connection, shard: u8, employee: i64, name: &str) -> String {
    db.execute_batch(&format!(
        "INSERT INTO units (id, name, created_at) VALUES ({employee}, 'Відділ {name}', 0);
         INSERT INTO unit_closure (ancestor_id, descendant_id, depth) VALUES ({employee}, {employee}, 0);
         INSERT INTO employees (id, unit_id, name, position, created_at) VALUES ({employee}, {employee}, '{name}', 'Спеціаліст', 0);
         INSERT INTO qr_codes (employee_id, channel, issue, key_id, issued_at) VALUES ({employee}, 1, 1, 1, 0);"
    ))
    .unwrap();
    signed(shard, employee)
}

fn signed(shard: u8, employee: i64) -> String {
    let ring = KeyRing::parse(&key(1)).unwrap();
    ring.sign(&Claims {
        shard,
        employee: EmployeeId::parse(employee).unwrap(),
        channel: Channel::DESK,
        issue: 1,
        kind: CodeKind::Standing,
    })
    .as_str()
    .to_owned()
}

fn count(db: &Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The consumer writes within a second or two of the votes; waits for `expected` rows.
async fn eventually(db: &Connection, sql: &str, expected: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let n = count(db, sql);
        if n >= expected || Instant::now() > deadline {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn log(w: &Worker) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(&w.dir).unwrap().flatten() {
        if entry.file_name().to_string_lossy().starts_with("wrangler-") {
            out.push_str(&std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    out
}

#[tokio::test]
async fn a_code_of_another_shard_is_voted_into_that_shards_database() {
    let w =
        &Worker::start_with_databases(&key(1), &[], &shard_database("DB_SHARD_2"), &["DB_SHARD_2"]);
    let token = employee_in_shard(&w.db_of("DB_SHARD_2"), 2, 7, "Ганна Регіональна");

    let page = w
        .http
        .get(w.url(&format!("/r/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Ганна Регіональна"));
    let vote = w.vote_json(json!({"token": token, "score": 3})).await;
    assert_eq!(vote.status(), 201);
    let form = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.40")],
            &[("score", "2")],
        )
        .await;
    assert_eq!(form.status(), 303);

    let shard = w.db_of("DB_SHARD_2");
    assert_eq!(
        count(&shard, "SELECT COUNT(*) FROM votes WHERE employee_id = 7"),
        2
    );
    assert_eq!(count(&w.db_of("DB"), "SELECT COUNT(*) FROM votes"), 0);

    // The home deployment's own codes carry its shard byte and stay in its own database.
    let (home_employee, home_token) = w.employee_with_code("Петро Домашній").await;
    assert_eq!(
        &home_token[..4],
        &signed(0, home_employee)[..4],
        "version, key and shard 0"
    );
    assert_eq!(
        w.vote_json(json!({"token": home_token, "score": 1}))
            .await
            .status(),
        201
    );
    assert_eq!(w.votes_of(home_employee), 1);
    assert_eq!(count(&shard, "SELECT COUNT(*) FROM votes"), 2);
}

#[tokio::test]
async fn a_code_of_an_unbound_shard_is_refused_without_a_read() {
    let w =
        &Worker::start_with_databases(&key(1), &[], &shard_database("DB_SHARD_2"), &["DB_SHARD_2"]);
    // A real employee of shard 2 under shard byte 5, which this deployment has no database for.
    employee_in_shard(&w.db_of("DB_SHARD_2"), 2, 7, "Ганна Регіональна");
    let unbound = signed(5, 7);
    let forged = format!(
        "{}{}",
        &unbound[..31],
        if unbound.ends_with('0') { "1" } else { "0" }
    );
    let before = (w.checksum(), {
        let db = w.db_of("DB_SHARD_2");
        count(&db, "SELECT COUNT(*) FROM votes")
            + count(&db, "SELECT COUNT(*) FROM client_counters")
    });

    // Both databases locked: any read would answer 503, so a 404 means nothing was read.
    let home = w.db_of("DB");
    let shard = w.db_of("DB_SHARD_2");
    home.execute_batch("BEGIN EXCLUSIVE").unwrap();
    shard.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let page = w
        .http
        .get(w.url(&format!("/r/{unbound}")))
        .send()
        .await
        .unwrap();
    let api = w.vote_json(json!({"token": unbound, "score": 3})).await;
    let forged_api = w.vote_json(json!({"token": forged, "score": 3})).await;
    let form = w.vote_form(&unbound, &[], &[("score", "3")]).await;
    home.execute_batch("ROLLBACK").unwrap();
    shard.execute_batch("ROLLBACK").unwrap();

    assert_eq!(page.status(), 404);
    assert_eq!(form.status(), 404);
    assert_eq!(api.status(), 404);
    assert_eq!(forged_api.status(), 404);
    assert_eq!(
        api.json::<Value>().await.unwrap(),
        forged_api.json::<Value>().await.unwrap(),
        "the same answer as a forged code"
    );
    let after = (w.checksum(), {
        let db = w.db_of("DB_SHARD_2");
        count(&db, "SELECT COUNT(*) FROM votes")
            + count(&db, "SELECT COUNT(*) FROM client_counters")
    });
    assert_eq!(after, before);
}

#[tokio::test]
async fn queued_votes_are_written_by_the_consumer_and_counted_once() {
    let w = &Worker::start_with_databases(
        &key(1),
        &[("VOTE_DAILY_LIMIT", "3")],
        &format!("{}\n{QUEUE}", shard_database("DB_SHARD_2")),
        &["DB_SHARD_2"],
    );
    let (employee, token) = w.employee_with_code("Олена Черга").await;
    let regional = employee_in_shard(&w.db_of("DB_SHARD_2"), 2, 9, "Ганна Регіональна");
    let mut receipts = Vec::new();
    for i in 0..20 {
        let address = format!("203.0.113.{}", 100 + i);
        let resp = w
            .vote_from(
                &address,
                "Phone/1",
                json!({"token": token, "score": 1 + i % 3}),
            )
            .await;
        assert_eq!(resp.status(), 201);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["status"], "recorded");
        receipts.push(body["receipt"].as_str().unwrap().to_owned());
    }
    // Limits still apply at the write: a fourth vote of one address in a day is dropped, and
    // the citizen is answered the same; a repeat is stored with its network's hash, for
    // screening.
    let phone = |t: &str| w.vote_from("203.0.113.100", "Phone/1", json!({"token": t, "score": 3}));
    assert_eq!(phone(&token).await.status(), 201);
    assert_eq!(phone(&regional).await.status(), 201);
    let (_, third) = w.employee_with_code("Третя Особа").await;
    let (fourth_employee, fourth) = w.employee_with_code("Четверта Особа").await;
    assert_eq!(phone(&third).await.status(), 201);
    assert_eq!(phone(&fourth).await.status(), 201);

    let home = w.db_of("DB");
    let stored = eventually(&home, "SELECT COUNT(*) FROM queued_votes", 23).await;
    assert_eq!(stored, 23, "every queued message of this shard handled");
    assert_eq!(w.votes_of(employee), 21);
    assert_eq!(
        count(
            &home,
            &format!(
                "SELECT COUNT(DISTINCT network_hash) FROM votes WHERE employee_id = {employee}"
            )
        ),
        20,
        "the repeat travelled the Queue with its network's hash"
    );
    assert_eq!(w.votes_of(fourth_employee), 0, "over the daily limit");
    let shard = w.db_of("DB_SHARD_2");
    assert_eq!(
        eventually(
            &shard,
            "SELECT COUNT(*) FROM votes WHERE employee_id = 9",
            1
        )
        .await,
        1,
        "the consumer writes each vote into its shard"
    );
    assert_eq!(count(&shard, "SELECT COUNT(*) FROM queued_votes"), 1);
    assert_eq!(
        count(&home, &format!("SELECT COUNT(*) FROM votes WHERE employee_id = {employee} AND receipt_hash IS NOT NULL")),
        21
    );

    // Each written once: 20 phones and the repeat (until the hourly screening, which would flag
    // the repeat from one address and 21 votes in seconds as a burst, as on the direct path).
    assert_eq!(w.summary(employee).await["votes"], 21);

    // A revoked code is refused before anything is queued.
    let revoke = w
        .admin(
            reqwest::Method::DELETE,
            &format!("/api/v1/admin/employees/{employee}/qr"),
        )
        .send()
        .await
        .unwrap();
    assert!(revoke.status().is_success());
    let refused = w.vote_json(json!({"token": token, "score": 3})).await;
    assert_eq!(refused.status(), 410);

    let ours: String = log(w)
        .lines()
        .filter(|l| !l.contains("[wrangler:"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(ours.contains("queue: "), "the consumer logged: {ours}");
    for needle in [
        token.as_str(),
        regional.as_str(),
        "203.0.113.100",
        receipts[0].as_str(),
    ] {
        assert!(
            !ours.contains(needle),
            "{needle} appears in the log:\n{ours}"
        );
    }
}

#[tokio::test]
async fn a_retried_queue_message_is_not_counted_twice() {
    let w = &Worker::start_with_databases(&key(1), &[("SIMULATED_REDELIVERY", "on")], QUEUE, &[]);
    let (employee, token) = w.employee_with_code("Іван Двічі").await;
    for i in 0..5 {
        let resp = w
            .vote_from(
                &format!("203.0.113.{}", 10 + i),
                "Phone/2",
                json!({"token": token, "score": 2, "contact": "+380 44 123 45 67"}),
            )
            .await;
        assert_eq!(resp.status(), 201);
    }
    let home = w.db_of("DB");
    assert_eq!(
        eventually(&home, "SELECT COUNT(*) FROM queued_votes", 5).await,
        5
    );
    // Every message arrives twice; wait until the consumer has reported all ten.
    let deadline = Instant::now() + Duration::from_secs(30);
    let again = loop {
        let again: u32 = log(w)
            .lines()
            .filter_map(|l| {
                l.split(" delivered again")
                    .next()?
                    .rsplit(", ")
                    .next()?
                    .parse::<u32>()
                    .ok()
            })
            .sum();
        if again >= 5 || Instant::now() > deadline {
            break again;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(again, 5, "each second delivery was recognised");
    assert_eq!(w.votes_of(employee), 5);
    assert_eq!(count(&home, "SELECT COUNT(*) FROM vote_contacts"), 5);
    assert_eq!(
        count(&home, "SELECT COALESCE(SUM(votes), 0) FROM client_counters"),
        5,
        "the daily counts were not raised by the second deliveries"
    );
    cron(w, HOURLY).await;
    assert_eq!(w.summary(employee).await["votes"], 5);
}

#[tokio::test]
async fn the_national_view_sums_every_shards_month() {
    let w = &Worker::start_with_databases(
        &key(1),
        &[("NATIONAL_SHARDS", "0,1,2")],
        &format!(
            "{}\n{}",
            shard_database("DB_SHARD_1"),
            shard_database("DB_SHARD_2")
        ),
        &["DB_SHARD_1", "DB_SHARD_2"],
    );
    let (_, token) = w.employee_with_code("Марія Столична").await;
    for (i, score) in [3, 3, 1].iter().enumerate() {
        let resp = w
            .vote_from(
                &format!("203.0.113.{}", 60 + i),
                "Phone/3",
                json!({"token": token, "score": score}),
            )
            .await;
        assert_eq!(resp.status(), 201);
    }
    let month = crate::results::today().format("%Y-%m").to_string();
    // The regions' own crons fill their monthly tables; here they are written as those runs
    // would leave them.
    let region = |binding: &str, rows: &[(i64, i64, i64)]| {
        let db = w.db_of(binding);
        db.execute("DELETE FROM monthly_unit_stats", []).unwrap();
        for (unit, score, counted) in rows {
            db.execute(
                "INSERT INTO monthly_unit_stats (month, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) VALUES (?1, ?2, ?3, ?4, 0, 0, 1, 0, CASE WHEN ?3 = 2 THEN ?4 / 2 ELSE ?4 / 5 END)",
                rusqlite::params![month, unit, score, counted],
            )
            .unwrap();
        }
    };
    region("DB_SHARD_1", &[(1, 2, 10), (1, 3, 10), (2, 3, 5)]);
    region("DB_SHARD_2", &[(4, 1, 4)]);

    // The national view after an hourly run, and one shard of it.
    let collected = || async {
        cron(w, HOURLY).await;
        w.admin_get(&format!("/api/v1/admin/national?month={month}"))
            .await
    };
    let shard_of = |view: &Value, n: i64| -> Value {
        let shards = view["shards"].as_array().unwrap();
        shards.iter().find(|s| s["shard"] == n).unwrap().clone()
    };
    let view = collected().await;
    assert_eq!(view["collected"], json!([0, 1, 2]));
    let by = |n: i64| shard_of(&view, n);
    assert_eq!(by(0)["counted"], 3);
    assert_eq!(by(0)["by_score"], json!([[1, 1], [3, 2]]));
    assert_eq!(by(1)["counted"], 25);
    assert_eq!(by(1)["units"], 2);
    assert_eq!(by(1)["flagged"], 3);
    assert_eq!(by(1)["average"], 2.6);
    // Some of each region's votes came from one-time codes (half of the 2s, a fifth of the
    // rest): counted apart, with their own average.
    assert_eq!(by(1)["verified"], 8);
    assert_eq!(by(1)["verified_average"], 2.375);
    assert_eq!(by(0)["verified"], 0);
    assert_eq!(by(0)["verified_average"], Value::Null);
    assert_eq!(by(2)["counted"], 4);
    assert_eq!(by(2)["average"], 1.0);

    // Collecting again replaces; a region's corrected month replaces its old one.
    let rows = || count(&w.db_of("DB"), "SELECT COUNT(*) FROM national_unit_months");
    let first = rows();
    cron(w, HOURLY).await;
    assert_eq!(rows(), first);
    region("DB_SHARD_2", &[(4, 1, 4), (4, 3, 4)]);
    let view = collected().await;
    let shard2 = shard_of(&view, 2);
    assert_eq!(shard2["counted"], 8);
    assert_eq!(shard2["average"], 2.0);
    assert_eq!(view["shards"].as_array().unwrap().len(), 3);
    // A row gone from a region's month goes from the national view too.
    region("DB_SHARD_1", &[(1, 3, 10), (2, 3, 5)]);
    let shard1 = shard_of(&collected().await, 1);
    assert_eq!(shard1["counted"], 15);
    assert_eq!(shard1["by_score"], json!([[3, 15]]));
    assert_eq!(rows(), first);

    // Superadmins only, and a month is YYYY-MM.
    let unit = w.create_unit("Обласний відділ", None).await;
    let (_, viewer) = w.account("viewer@city.example", "viewer", Some(unit)).await;
    let refused = w
        .http
        .get(w.url("/api/v1/admin/national"))
        .bearer_auth(viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let bad = w
        .admin(reqwest::Method::GET, "/api/v1/admin/national?month=2026-13")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
}

#[tokio::test]
async fn a_queued_vote_whose_write_fails_is_retried_not_lost() {
    let w = &Worker::start_with_databases(&key(1), &[], QUEUE, &[]);
    let (employee, token) = w.employee_with_code("Оксана Повтор").await;
    let home = w.db_of("DB");
    let resp = w.vote_json(json!({"token": token, "score": 3})).await;
    assert_eq!(resp.status(), 201);
    // The consumer's batch waits up to a second for more messages: the writer is taken first.
    home.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !log(w).contains("retried: ") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        w.votes_of(employee),
        0,
        "nothing written while D1 is locked"
    );
    home.execute_batch("ROLLBACK").unwrap();
    assert!(log(w).contains("queue: a vote's write failed, retried"));
    assert_eq!(
        eventually(&home, "SELECT COUNT(*) FROM queued_votes", 1).await,
        1
    );
    assert_eq!(w.votes_of(employee), 1, "written by the retry, once");
}

#[tokio::test]
async fn a_one_time_code_is_written_at_once_even_with_a_queue() {
    let w = &Worker::start_with_databases(&key(1), &[], QUEUE, &[]);
    let unit = w.create_unit("Відділ черги", None).await;
    let employee = w.create_employee("Оксана Талон", "Спеціаліст", unit).await;
    let batch: Value = w
        .admin(
            reqwest::Method::POST,
            &format!("/api/v1/admin/units/{unit}/one-time-codes"),
        )
        .json(&json!({"per_employee": 1, "channel": 3}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = batch["codes"][0]["token"].as_str().unwrap().to_owned();
    let first = w
        .vote_from(
            "203.0.113.70",
            "Phone/7",
            json!({"token": token, "score": 3}),
        )
        .await;
    assert_eq!(first.status(), 201);
    // Written before the answer, not by the consumer: no key, and the vote is already there.
    let home = w.db_of("DB");
    assert_eq!(w.votes_of(employee), 1);
    assert_eq!(
        count(&home, "SELECT COUNT(*) FROM votes WHERE verified = 1"),
        1
    );
    assert_eq!(count(&home, "SELECT COUNT(*) FROM queued_votes"), 0);
    // So the second use is refused at once, as without a queue.
    let again = w
        .vote_from(
            "203.0.113.71",
            "Phone/8",
            json!({"token": token, "score": 1}),
        )
        .await;
    assert_eq!(again.status(), 410);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "used_token");
    assert_eq!(w.votes_of(employee), 1);
}
