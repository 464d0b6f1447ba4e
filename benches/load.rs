//! The load test (`make bench-load`): exactly LOAD_VOTES (default 50,000) votes at concurrency
//! LOAD_CONCURRENCY (default 64) through the real vote API on `wrangler dev` (workerd and a
//! local D1), each from its own simulated client address, for 500 employees. Then the real
//! hourly cron rolls them up. It prints throughput, p50/p99 latency and the error count, and
//! checks that:
//! - the votes in D1 equal the number of 201 answers, exactly;
//! - the daily and monthly aggregates equal a recomputation from the votes done here in SQL.
//!
//! The votes' moments are spread over the last 30 days (`SIMULATED_CLOCK`), as a month of a
//! city's traffic would be, so that the screening does not take 100 votes a minute for one
//! employee for a burst: this measures storage and accounting, `make bench-attack` measures
//! the integrity rules.
//!
//! `LOAD_QUEUE=on` binds a local Queue (`VOTE_QUEUE`, docs/scale.md): votes are answered once
//! queued and written by the consumer in batches; the run then also waits until the consumer
//! has written every answered vote and prints how long that took.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use helpers::{key, Worker};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every row of a query as text, to compare two result sets whole.
fn rows(w: &Worker, sql: &str) -> Vec<String> {
    let db = w.db();
    let mut stmt = db.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        Ok((0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                rusqlite::types::ValueRef::Real(v) => v.to_string(),
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                _ => String::from("null"),
            })
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[tokio::main]
async fn main() {
    let total = env_or("LOAD_VOTES", 50_000);
    let concurrency = env_or("LOAD_CONCURRENCY", 64);
    println!("starting wrangler dev …");
    let queued = std::env::var("LOAD_QUEUE").is_ok_and(|v| v == "on");
    let settings = [("SIMULATED_CLOCK", "on"), ("VOTE_DAILY_LIMIT", "10000")];
    let w = Arc::new(if queued {
        Worker::start_with_bindings(
            &key(1),
            &settings,
            "[[queues.producers]]\nbinding = \"VOTE_QUEUE\"\nqueue = \"civicrate-votes\"\n\n[[queues.consumers]]\nqueue = \"civicrate-votes\"\nmax_batch_size = 100\nmax_batch_timeout = 1\n",
        )
    } else {
        Worker::start_with(&key(1), &settings)
    });
    let region = w.create_unit("Область", None).await;
    let mut tokens = Vec::new();
    for u in 0..10 {
        let unit = w.create_unit(&format!("Громада {u}"), Some(region)).await;
        for e in 0..50 {
            let id = w
                .create_employee(&format!("Працівник {u}-{e}"), "Спеціаліст", unit)
                .await;
            tokens.push(w.issue_code(id).await["token"].as_str().unwrap().to_owned());
        }
    }
    let tokens = Arc::new(tokens);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let month = 30 * 86_400;

    println!("sending {total} votes at concurrency {concurrency} …");
    let next = Arc::new(AtomicUsize::new(0));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, usize>::new()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (w, next, tokens) = (Arc::clone(&w), Arc::clone(&next), Arc::clone(&tokens));
        let (latencies, statuses) = (Arc::clone(&latencies), Arc::clone(&statuses));
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut codes = std::collections::BTreeMap::<u16, usize>::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= total {
                    break;
                }
                // A multiplicative hash spreads votes over employees and moments unevenly,
                // as visits are.
                let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let token = &tokens[(h >> 40) as usize % tokens.len()];
                let at = now - month + (h % month as u64) as i64;
                let t = Instant::now();
                let status = match w
                    .http
                    .post(w.url("/api/v1/votes"))
                    .header(
                        "cf-connecting-ip",
                        format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255),
                    )
                    .header("user-agent", "LoadTest/1.0")
                    .header("x-simulated-time", at.to_string())
                    .json(&json!({"token": token, "score": 1 + (h >> 20) % 3}))
                    .send()
                    .await
                {
                    Ok(resp) => resp.status().as_u16(),
                    Err(_) => 0,
                };
                mine.push(t.elapsed());
                *codes.entry(status).or_default() += 1;
            }
            latencies.lock().unwrap().extend(mine);
            let mut all = statuses.lock().unwrap();
            for (code, n) in codes {
                *all.entry(code).or_default() += n;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    let pct = |p: f64| -> Duration {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)]
    };
    let statuses = statuses.lock().unwrap().clone();
    let created = statuses.get(&201).copied().unwrap_or(0);
    let errors = total - created;
    let mut drained = Duration::ZERO;
    if queued {
        println!("waiting for the consumer to write every queued vote …");
        let last_answer = Instant::now();
        let mut seen = 0;
        let mut progress = Instant::now();
        loop {
            let stored = w.count("SELECT COUNT(*) FROM votes") as usize;
            if stored >= created || progress.elapsed() > Duration::from_secs(60) {
                break;
            }
            if stored > seen {
                seen = stored;
                progress = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        drained = last_answer.elapsed();
    }

    println!("rolling up (hourly cron) …");
    let cron_started = Instant::now();
    for _ in 0..10 {
        let resp = w
            .http
            .get(w.url("/__scheduled?cron=7+*+*+*+*"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        if w.count("SELECT watermark FROM rollup_state") == w.count("SELECT max(id) FROM votes") {
            break;
        }
    }
    let cron_time = cron_started.elapsed();
    let stored = w.count("SELECT COUNT(*) FROM votes") as usize;
    let daily = rows(
        &w,
        "SELECT day, employee_id, score, SUM(counted), SUM(flagged), SUM(duplicates) FROM daily_employee_stats \
         GROUP BY 1, 2, 3 HAVING SUM(counted) + SUM(flagged) + SUM(duplicates) > 0 ORDER BY 1, 2, 3",
    );
    let daily_again = rows(
        &w,
        "SELECT date(created_at, 'unixepoch'), employee_id, score, SUM(status = 'counted'), SUM(status = 'flagged'), \
         SUM(status = 'duplicate') FROM votes GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
    );
    let monthly = rows(
        &w,
        "SELECT month, unit_id, score, SUM(counted) FROM monthly_unit_stats GROUP BY 1, 2, 3 \
         HAVING SUM(counted) > 0 ORDER BY 1, 2, 3",
    );
    let monthly_again = rows(
        &w,
        "SELECT strftime('%Y-%m', created_at, 'unixepoch'), unit_id, score, SUM(status = 'counted') FROM votes \
         GROUP BY 1, 2, 3 HAVING SUM(status = 'counted') > 0 ORDER BY 1, 2, 3",
    );
    let counted = w.count("SELECT COUNT(*) FROM votes WHERE status = 'counted'");

    println!();
    println!(
        "votes sent {total}, concurrency {concurrency}, in {:.1} s: {:.1} votes/s",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0
    );
    if queued {
        println!(
            "queue: written {:.1} s after the last answer; sent to written: {:.1} votes/s",
            drained.as_secs_f64(),
            total as f64 / (elapsed + drained).as_secs_f64()
        );
    }
    println!("answers by status: {statuses:?} (errors: {errors})");
    println!(
        "votes in D1: {stored}; 201 answers: {created}: {}",
        if stored == created {
            "equal"
        } else {
            "DIFFERENT"
        }
    );
    println!(
        "roll-up of the month: {:.1} s; counted {counted}, flagged or repeats {}",
        cron_time.as_secs_f64(),
        stored as i64 - counted
    );
    println!(
        "daily aggregates ({} rows) equal a recomputation from the votes: {}",
        daily.len(),
        daily == daily_again
    );
    println!(
        "monthly unit aggregates ({} rows) equal a recomputation from the votes: {}",
        monthly.len(),
        monthly == monthly_again
    );
    assert_eq!(stored, created, "no vote lost or invented");
    assert_eq!(daily, daily_again);
    assert_eq!(monthly, monthly_again);
}
