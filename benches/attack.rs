//! The attack simulation (`make bench-attack`). Against `wrangler dev` (workerd and a local D1),
//! with distinct simulated client addresses and user agents, it replays one simulated working
//! day (a Tuesday, 08:00–20:00 in Kyiv) through the real vote API:
//! - one phone voting 200 times for one employee;
//! - 20 phones on a unit's declared office network, each voting for each of the unit's 5
//!   employees;
//! - a burst of 300 votes in 10 minutes for one employee, each from a different phone;
//! - 1,000 honest votes from distinct phones for 20 employees, spread over the day with a
//!   morning peak.
//!
//! Each vote carries its simulated moment in `X-Simulated-Time` (the instance runs with
//! `SIMULATED_CLOCK=on`, which only a local origin accepts). Then the real hourly cron rolls
//! the day up and screens it, and the figures per scenario come from the D1 file: votes
//! answered, stored, counted and flagged. Targets: at least 99% of stuffing votes left out of
//! official results, at most 1% of honest votes flagged.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use helpers::{key, Rng, Worker};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Tuesday 2026-03-03, 00:00 UTC; Kyiv is UTC+2 in March.
const DAY: i64 = 1_772_496_000;
const KYIV_0800: i64 = DAY + 6 * 3600;
const KYIV_2000: i64 = DAY + 18 * 3600;

const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Linux; Android 10; SM-A105F) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 12; Redmi 9A) AppleWebKit/537.36 Chrome/118.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 8.1; Nokia 2) AppleWebKit/537.36 Chrome/96.0 Mobile Safari/537.36",
];

#[derive(Clone)]
struct Vote {
    scenario: &'static str,
    token: String,
    address: String,
    agent: &'static str,
    at: i64,
    score: i64,
}

fn address(block: u32, n: u32) -> String {
    format!("10.{block}.{}.{}", n >> 8 & 255, n & 255)
}

async fn code(w: &Worker, name: &str, unit: i64) -> (i64, String) {
    let employee = w.create_employee(name, "Спеціаліст", unit).await;
    let token = w.issue_code(employee).await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    (employee, token)
}

#[tokio::main]
async fn main() {
    println!("starting wrangler dev with SIMULATED_CLOCK=on …");
    let w = Arc::new(Worker::start_with(&key(1), &[("SIMULATED_CLOCK", "on")]));
    let hall = w.create_unit("ЦНАП", None).await;
    let office = w.create_unit("Відділ із власною мережею", None).await;
    let weekdays = ["mon", "tue", "wed", "thu", "fri"];
    let hours: serde_json::Map<String, Value> = weekdays
        .iter()
        .map(|d| (d.to_string(), json!([["08:00", "20:00"]])))
        .collect();
    for unit in [hall, office] {
        let resp = w
            .admin(
                reqwest::Method::PATCH,
                &format!("/api/v1/admin/units/{unit}"),
            )
            .json(&json!({"timezone": "Europe/Kyiv", "opening_hours": hours}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
    }
    let resp = w
        .admin(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/units/{office}/networks"),
        )
        .json(&json!({"cidrs": ["192.0.2.0/24"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let mut employees: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut rng = Rng(0x5eed_a77a_c4f0_0d15);
    let mut votes = Vec::new();

    let (target, token) = code(&w, "Ціль одного телефона", hall).await;
    employees
        .entry("one phone, 200 votes")
        .or_default()
        .push(target);
    for i in 0..200 {
        votes.push(Vote {
            scenario: "one phone, 200 votes",
            token: token.clone(),
            address: "10.9.9.9".into(),
            agent: AGENTS[0],
            at: KYIV_0800 + 4 * 3600 + i * 6 + rng.below(5) as i64,
            score: 3,
        });
    }

    let mut own = Vec::new();
    for i in 0..5 {
        let (e, t) = code(&w, &format!("Працівник відділу {i}"), office).await;
        employees
            .entry("20 phones, office network")
            .or_default()
            .push(e);
        own.push(t);
    }
    for phone in 0..20u32 {
        for t in &own {
            votes.push(Vote {
                scenario: "20 phones, office network",
                token: t.clone(),
                address: format!("192.0.2.{}", 10 + phone),
                agent: AGENTS[phone as usize % AGENTS.len()],
                at: KYIV_0800 + rng.below((KYIV_2000 - KYIV_0800) as u64) as i64,
                score: 3,
            });
        }
    }

    let (target, token) = code(&w, "Ціль сплеску", hall).await;
    employees
        .entry("burst, 300 in 10 min")
        .or_default()
        .push(target);
    let burst_start = KYIV_0800 + 2 * 3600;
    for n in 0..300u32 {
        votes.push(Vote {
            scenario: "burst, 300 in 10 min",
            token: token.clone(),
            address: address(20, n),
            agent: AGENTS[n as usize % AGENTS.len()],
            at: burst_start + rng.below(600) as i64,
            score: 3,
        });
    }

    let mut honest = Vec::new();
    for i in 0..20 {
        let (e, t) = code(&w, &format!("Адміністратор ЦНАП {i}"), hall).await;
        employees
            .entry("honest, 1,000 over the day")
            .or_default()
            .push(e);
        honest.push(t);
    }
    for n in 0..1000u32 {
        // A morning peak: 60% of visits between 09:00 and 13:00, the rest over the day.
        let at = if rng.below(10) < 6 {
            KYIV_0800 + 3600 + rng.below(4 * 3600) as i64
        } else {
            KYIV_0800 + rng.below((KYIV_2000 - KYIV_0800) as u64) as i64
        };
        votes.push(Vote {
            scenario: "honest, 1,000 over the day",
            token: honest[rng.below(honest.len() as u64) as usize].clone(),
            address: address(30, n),
            agent: AGENTS[n as usize % AGENTS.len()],
            at,
            score: 1 + rng.below(3) as i64,
        });
    }
    votes.sort_by_key(|v| v.at);

    println!("replaying {} votes of one simulated day …", votes.len());
    let started = std::time::Instant::now();
    let mut answers: BTreeMap<(&str, u16), u64> = BTreeMap::new();
    // In time order, 16 at a time: the order of arrival the day would have had.
    for chunk in votes.chunks(16) {
        let sent = chunk.iter().map(|v| {
            let w = Arc::clone(&w);
            let v = v.clone();
            tokio::spawn(async move {
                let resp = w
                    .http
                    .post(w.url("/api/v1/votes"))
                    .header("cf-connecting-ip", &v.address)
                    .header("user-agent", v.agent)
                    .header("x-simulated-time", v.at.to_string())
                    .json(&json!({"token": v.token, "score": v.score}))
                    .send()
                    .await
                    .expect("vote");
                (v.scenario, resp.status().as_u16())
            })
        });
        for answer in futures_join(sent).await {
            *answers.entry(answer).or_default() += 1;
        }
    }
    println!(
        "replayed in {:.1} s; running the hourly cron …",
        started.elapsed().as_secs_f64()
    );
    let resp = w
        .http
        .get(w.url("/__scheduled?cron=7+*+*+*+*"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        w.count("SELECT watermark FROM rollup_state"),
        w.count("SELECT max(id) FROM votes"),
        "the day is rolled up"
    );

    println!();
    println!(
        "{:<28} {:>5} {:>5} {:>5} {:>6} {:>7} {:>5} {:>7}  flagged by reason",
        "scenario", "sent", "201", "429", "stored", "counted", "dup", "flagged"
    );
    let (mut stuffing_sent, mut stuffing_counted) = (0, 0);
    let (mut honest_sent, mut honest_flagged) = (0, 0);
    for (scenario, ids) in &employees {
        let list = ids
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let q = |status: &str| {
            w.count(&format!(
                "SELECT COUNT(*) FROM votes WHERE employee_id IN ({list}){status}"
            ))
        };
        let sent = votes.iter().filter(|v| v.scenario == *scenario).count() as i64;
        let ok = answers.get(&(*scenario, 201)).copied().unwrap_or(0);
        let limited = answers.get(&(*scenario, 429)).copied().unwrap_or(0);
        let stored = q("");
        let counted = q(" AND status = 'counted'");
        let duplicates = q(" AND status = 'duplicate'");
        let flagged = q(" AND status = 'flagged'");
        // What the daily table (official results) counts must be what the votes say.
        let official = w.count(&format!(
            "SELECT coalesce(SUM(counted), 0) FROM daily_employee_stats WHERE employee_id IN ({list})"
        ));
        assert_eq!(official, counted, "{scenario}: results follow the votes");
        let db = w.db();
        let mut stmt = db
            .prepare(&format!(
                "SELECT flag_reason, COUNT(*) FROM votes WHERE employee_id IN ({list}) AND status = 'flagged' GROUP BY 1 ORDER BY 1"
            ))
            .unwrap();
        let reasons: Vec<String> = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{} {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        println!(
            "{scenario:<28} {sent:>5} {ok:>5} {limited:>5} {stored:>6} {counted:>7} {duplicates:>5} {flagged:>7}  {}",
            reasons.join(", ")
        );
        if scenario.starts_with("honest") {
            honest_sent += sent;
            honest_flagged += sent - counted;
        } else {
            stuffing_sent += sent;
            stuffing_counted += counted;
        }
    }
    let left_out = 100.0 * (stuffing_sent - stuffing_counted) as f64 / stuffing_sent as f64;
    let flagged = 100.0 * honest_flagged as f64 / honest_sent as f64;
    println!();
    println!(
        "stuffing votes left out of official results: {left_out:.2}% ({} of {stuffing_sent} counted; target ≥ 99%: {})",
        stuffing_counted,
        if left_out >= 99.0 { "met" } else { "MISSED" }
    );
    println!(
        "honest votes not counted (flagged or repeats): {flagged:.2}% ({honest_flagged} of {honest_sent}; target ≤ 1%: {})",
        if flagged <= 1.0 { "met" } else { "MISSED" }
    );
}

/// Waits for every spawned vote, in order.
async fn futures_join<I>(handles: I) -> Vec<(&'static str, u16)>
where
    I: Iterator<Item = tokio::task::JoinHandle<(&'static str, u16)>>,
{
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.expect("vote task"));
    }
    out
}
