//! The attack simulation (`make bench-attack`). Against `wrangler dev` (workerd and a local D1),
//! it first writes four weeks of ordinary history (every employee's usual weekday votes, rolled
//! up by the real cron), so that screening has each employee's baseline. Then it replays one
//! simulated working day (a Tuesday, 08:00–20:00 in Kyiv) through the real vote API, firing the
//! real hourly cron after each simulated hour, as production would:
//! - stuffing: one phone voting 200 times in 20 minutes; 20 phones on a unit's declared office
//!   network; a burst of 300 votes in 10 minutes from 300 phones; one address with a new
//!   browser string (User-Agent) on every vote, all day, for one employee; five SIM cards,
//!   each voting for one employee every half hour or so all day; 20 phones voting three times
//!   each within one hour, never 12 in ten minutes (under the burst threshold); 30 phones
//!   voting after closing;
//! - honest: 1,000 votes from distinct phones for 20 employees with a morning peak; every
//!   other employee's usual day from distinct phones; one employee's busy day at three times
//!   their usual; a hall's guest Wi-Fi (one address, one popular browser string) carrying 48
//!   visitors for 6 employees.
//!
//! Each vote carries its simulated moment in `X-Simulated-Time` (the instance runs with
//! `SIMULATED_CLOCK=on`, which only a local origin accepts); the figures per scenario come from
//! the D1 file, each vote found by the hash of the receipt its answer carried. Targets: at least 95% of the
//! stuffing votes beyond what its distinct devices could give (one vote each) left out of
//! official results, and at most 1% of honest votes left out.

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use helpers::{key, Rng, Worker};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Tuesday 2026-03-03, 00:00 UTC; Kyiv is UTC+2 in March.
const DAY: i64 = 1_772_496_000;
const KYIV_0800: i64 = DAY + 6 * 3600;
const KYIV_2000: i64 = DAY + 18 * 3600;
/// Weekdays of history before `DAY`: the 28 days screening's baseline reads.
const HISTORY_DAYS: i64 = 28;

const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Linux; Android 10; SM-A105F) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 12; Redmi 9A) AppleWebKit/537.36 Chrome/118.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 8.1; Nokia 2) AppleWebKit/537.36 Chrome/96.0 Mobile Safari/537.36",
];
/// What Chrome's reduced User-Agent looks like on most Android phones: many honest visitors
/// share it exactly.
const COMMON_AGENT: &str =
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/120.0.0.0 Mobile Safari/537.36";

#[derive(Clone)]
struct Vote {
    scenario: &'static str,
    token: String,
    address: String,
    agent: String,
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

/// A random moment of the open day (08:00–20:00 in Kyiv), 60% of them in the morning peak.
fn open_moment(rng: &mut Rng) -> i64 {
    if rng.below(10) < 6 {
        KYIV_0800 + 3600 + rng.below(4 * 3600) as i64
    } else {
        KYIV_0800 + rng.below((KYIV_2000 - KYIV_0800) as u64) as i64
    }
}

const HONEST_HALL: &str = "honest: 1,000 for 20 employees";
const HONEST_USUAL: &str = "honest: others' usual day";
const HONEST_BUSY: &str = "honest: busy day, 3x usual";
const HONEST_WIFI: &str = "honest: guest Wi-Fi, 48 visitors";
const ONE_PHONE: &str = "one phone, 200 in 20 min";
const OFFICE: &str = "20 phones, office network";
const BURST: &str = "burst, 300 in 10 min";
const ROTATING: &str = "one address, rotating UA, all day";
const SIMS: &str = "5 SIM cards, all day";
const HOUR: &str = "20 phones x3 in one hour";
const CLOSED: &str = "30 phones after closing";

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

    let mut rng = Rng(0x5eed_a77a_c4f0_0d15);
    let mut votes = Vec::new();
    // (employee, unit, usual votes per weekday) for the history.
    let mut usual: Vec<(i64, i64, u64)> = Vec::new();
    let mut phones = 0u32;
    let mut phone = || {
        phones += 1;
        address(30 + phones / 60_000, phones % 60_000)
    };

    // The honest hall: 20 employees who usually get 50 votes a day.
    let mut honest = Vec::new();
    for i in 0..20 {
        let (e, t) = code(&w, &format!("Адміністратор ЦНАП {i}"), hall).await;
        usual.push((e, hall, 50));
        honest.push(t);
    }
    for n in 0..1000u32 {
        votes.push(Vote {
            scenario: HONEST_HALL,
            token: honest[rng.below(honest.len() as u64) as usize].clone(),
            address: phone(),
            agent: AGENTS[n as usize % AGENTS.len()].into(),
            at: open_moment(&mut rng),
            score: 1 + rng.below(3) as i64,
        });
    }

    // Everyone else usually gets 8 a day; each stuffing target also gets their usual day.
    let mut targets: BTreeMap<&str, (i64, String)> = BTreeMap::new();
    for scenario in [ONE_PHONE, BURST, ROTATING, SIMS, HOUR, CLOSED] {
        let (e, t) = code(&w, &format!("Ціль: {scenario}"), hall).await;
        usual.push((e, hall, 8));
        targets.insert(scenario, (e, t));
    }
    let mut own = Vec::new();
    for i in 0..5 {
        let (e, t) = code(&w, &format!("Працівник відділу {i}"), office).await;
        usual.push((e, office, 8));
        own.push(t);
    }
    let (busy, busy_token) = code(&w, "Працівниця з напруженим днем", hall).await;
    usual.push((busy, hall, 8));
    let mut wifi = Vec::new();
    for i in 0..6 {
        let (e, t) = code(&w, &format!("Зал із гостьовим Wi-Fi {i}"), hall).await;
        usual.push((e, hall, 8));
        wifi.push(t);
    }
    let ordinary_tokens: Vec<String> = targets
        .values()
        .map(|(_, t)| t.clone())
        .chain(own.iter().cloned())
        .chain(wifi.iter().cloned())
        .collect();
    for t in &ordinary_tokens {
        for _ in 0..6 + rng.below(5) {
            votes.push(Vote {
                scenario: HONEST_USUAL,
                token: t.clone(),
                address: phone(),
                agent: AGENTS[rng.below(4) as usize].into(),
                at: open_moment(&mut rng),
                score: 1 + rng.below(3) as i64,
            });
        }
    }
    for _ in 0..24 {
        votes.push(Vote {
            scenario: HONEST_BUSY,
            token: busy_token.clone(),
            address: phone(),
            agent: AGENTS[rng.below(4) as usize].into(),
            at: open_moment(&mut rng),
            score: 1 + rng.below(3) as i64,
        });
    }
    for _ in 0..48 {
        votes.push(Vote {
            scenario: HONEST_WIFI,
            token: wifi[rng.below(wifi.len() as u64) as usize].clone(),
            address: "198.18.0.1".into(),
            agent: if rng.chance(600) {
                COMMON_AGENT.into()
            } else {
                AGENTS[rng.below(4) as usize].into()
            },
            at: KYIV_0800 + rng.below((KYIV_2000 - KYIV_0800) as u64) as i64,
            score: 1 + rng.below(3) as i64,
        });
    }

    // Stuffing.
    let token = |s: &str| targets[s].1.clone();
    for i in 0..200 {
        votes.push(Vote {
            scenario: ONE_PHONE,
            token: token(ONE_PHONE),
            address: "10.9.9.9".into(),
            agent: AGENTS[0].into(),
            at: KYIV_0800 + 4 * 3600 + i * 6 + rng.below(5) as i64,
            score: 3,
        });
    }
    for p in 0..20u32 {
        for t in &own {
            votes.push(Vote {
                scenario: OFFICE,
                token: t.clone(),
                address: format!("192.0.2.{}", 10 + p),
                agent: AGENTS[p as usize % AGENTS.len()].into(),
                at: KYIV_0800 + rng.below((KYIV_2000 - KYIV_0800) as u64) as i64,
                score: 3,
            });
        }
    }
    let burst_start = KYIV_0800 + 2 * 3600;
    for n in 0..300u32 {
        votes.push(Vote {
            scenario: BURST,
            token: token(BURST),
            address: address(20, n),
            agent: AGENTS[n as usize % AGENTS.len()].into(),
            at: burst_start + rng.below(600) as i64,
            score: 3,
        });
    }
    // Every 5 to 10 minutes from opening to closing, each time another browser string.
    let mut at = KYIV_0800;
    let mut n = 0;
    while at < KYIV_2000 {
        votes.push(Vote {
            scenario: ROTATING,
            token: token(ROTATING),
            address: "10.8.8.8".into(),
            agent: format!(
                "Mozilla/5.0 (Linux; Android {}; Build/{n}) Chrome/{}.0.{}.0 Mobile",
                8 + n % 7,
                90 + n % 31,
                n * 13 % 5000
            ),
            at,
            score: 3,
        });
        n += 1;
        at += 300 + rng.below(300) as i64;
    }
    // Five SIM cards, each on its own carrier address, every 25 to 45 minutes.
    for sim in 0..5u32 {
        let mut at = KYIV_0800 + rng.below(1800) as i64;
        while at < KYIV_2000 {
            votes.push(Vote {
                scenario: SIMS,
                token: token(SIMS),
                address: format!("100.64.{sim}.{}", 10 + sim),
                agent: AGENTS[sim as usize % AGENTS.len()].into(),
                at,
                score: 3,
            });
            at += 1500 + rng.below(1200) as i64;
        }
    }
    // 20 phones, three votes each, one a minute give or take: never 12 in ten minutes.
    let hour_start = KYIV_0800 + 6 * 3600;
    for i in 0..60u32 {
        votes.push(Vote {
            scenario: HOUR,
            token: token(HOUR),
            address: address(21, i % 20),
            agent: AGENTS[i as usize % AGENTS.len()].into(),
            at: hour_start + i64::from(i) * 60 + rng.below(12) as i64,
            score: 3,
        });
    }
    for n in 0..30u32 {
        votes.push(Vote {
            scenario: CLOSED,
            token: token(CLOSED),
            address: address(22, n),
            agent: AGENTS[n as usize % AGENTS.len()].into(),
            at: KYIV_2000 + rng.below(3 * 3600) as i64,
            score: 3,
        });
    }

    // One vote per second at most, so that each vote is found again by its moment.
    votes.sort_by_key(|v| v.at);
    let mut taken = HashSet::new();
    for v in &mut votes {
        while !taken.insert(v.at) {
            v.at += 1;
        }
    }
    votes.sort_by_key(|v| v.at);

    write_history(&w, &usual, &mut rng).await;
    println!(
        "history rolled up; replaying {} votes of one simulated day, the cron after each hour …",
        votes.len()
    );
    let started = std::time::Instant::now();
    let mut answers: BTreeMap<(&str, u16), u64> = BTreeMap::new();
    let mut receipts: HashMap<i64, String> = HashMap::new();
    let mut hour_end = DAY + 3600;
    let mut i = 0;
    while i < votes.len() {
        let end = votes[i..]
            .iter()
            .position(|v| v.at >= hour_end)
            .map_or(votes.len(), |p| i + p);
        // In time order, 16 at a time: the order of arrival the day would have had.
        for chunk in votes[i..end].chunks(16) {
            let sent = chunk.iter().map(|v| {
                let w = Arc::clone(&w);
                let v = v.clone();
                tokio::spawn(async move {
                    let resp = w
                        .http
                        .post(w.url("/api/v1/votes"))
                        .header("cf-connecting-ip", &v.address)
                        .header("user-agent", &v.agent)
                        .header("x-simulated-time", v.at.to_string())
                        .json(&json!({"token": v.token, "score": v.score}))
                        .send()
                        .await
                        .expect("vote");
                    let status = resp.status().as_u16();
                    // The receipt finds the vote again: its stored time is floored to the
                    // half hour once screened (docs/privacy.md), its receipt's hash is not.
                    let body: Value = resp.json().await.unwrap_or(Value::Null);
                    let hash = body["receipt"]
                        .as_str()
                        .and_then(civicrate::receipt::Receipt::parse)
                        .map(|r| r.stored_hash());
                    (v.scenario, status, v.at, hash)
                })
            });
            for (scenario, status, at, hash) in futures_join(sent).await {
                *answers.entry((scenario, status)).or_default() += 1;
                if let Some(hash) = hash {
                    receipts.insert(at, hash);
                }
            }
        }
        if end > i {
            cron(&w).await;
        }
        i = end;
        hour_end += 3600;
    }
    cron(&w).await;
    println!(
        "replayed in {:.1} s, with the hourly cron after each simulated hour",
        started.elapsed().as_secs_f64()
    );

    // Official results follow the votes, employee by employee, for the day.
    let db = w.db();
    let day = "2026-03-03";
    let mut stmt = db
        .prepare(&format!(
            "SELECT employee_id, SUM(counted) FROM daily_employee_stats WHERE day = '{day}' GROUP BY 1"
        ))
        .unwrap();
    let official: HashMap<i64, i64> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut stmt = db
        .prepare(&format!(
            "SELECT employee_id, COUNT(*) FROM votes WHERE status = 'counted' AND created_at >= {DAY} AND created_at < {} GROUP BY 1",
            DAY + 86_400
        ))
        .unwrap();
    let counted_votes: HashMap<i64, i64> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        official, counted_votes,
        "the day's results follow the votes"
    );

    let mut stmt = db
        .prepare(&format!(
            "SELECT receipt_hash, status, coalesce(flag_reason, '') FROM votes WHERE created_at >= {DAY} AND created_at < {}",
            DAY + 86_400
        ))
        .unwrap();
    let stored: HashMap<String, (String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect();

    println!();
    println!(
        "{:<34} {:>5} {:>7} {:>5} {:>6} {:>7} {:>7}  flagged by reason",
        "scenario", "sent", "devices", "201", "stored", "counted", "flagged"
    );
    let order = [
        ONE_PHONE,
        OFFICE,
        BURST,
        ROTATING,
        SIMS,
        HOUR,
        CLOSED,
        HONEST_HALL,
        HONEST_USUAL,
        HONEST_BUSY,
        HONEST_WIFI,
    ];
    let (mut surplus, mut surplus_out, mut stuffing_sent, mut stuffing_counted) = (0, 0, 0, 0);
    let (mut honest_sent, mut honest_out) = (0, 0);
    for scenario in order {
        let mine: Vec<&Vote> = votes.iter().filter(|v| v.scenario == scenario).collect();
        let sent = mine.len() as i64;
        let devices = mine
            .iter()
            .map(|v| v.address.as_str())
            .collect::<HashSet<_>>()
            .len() as i64;
        let ok = answers.get(&(scenario, 201)).copied().unwrap_or(0);
        let mut counted = 0;
        let mut kept = 0;
        let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
        for v in &mine {
            if let Some((status, reason)) = receipts.get(&v.at).and_then(|h| stored.get(h)) {
                kept += 1;
                match status.as_str() {
                    "counted" => counted += 1,
                    other => *reasons.entry(format!("{other} {reason}")).or_default() += 1,
                }
            }
        }
        let flagged: i64 = reasons.values().sum();
        println!(
            "{scenario:<34} {sent:>5} {devices:>7} {ok:>5} {kept:>6} {counted:>7} {flagged:>7}  {}",
            reasons
                .iter()
                .map(|(r, n)| format!("{} {n}", r.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if scenario.starts_with("honest") {
            honest_sent += sent;
            honest_out += sent - counted;
        } else {
            stuffing_sent += sent;
            stuffing_counted += counted;
            surplus += sent - devices;
            surplus_out += (sent - counted).min(sent - devices);
        }
    }
    let surplus_left_out = 100.0 * surplus_out as f64 / surplus as f64;
    let all_left_out = 100.0 * (stuffing_sent - stuffing_counted) as f64 / stuffing_sent as f64;
    let honest_left_out = 100.0 * honest_out as f64 / honest_sent as f64;
    println!();
    println!(
        "stuffing votes beyond one per distinct device left out of official results: {surplus_left_out:.2}% ({surplus_out} of {surplus}; target ≥ 95%: {})",
        if surplus_left_out >= 95.0 { "met" } else { "MISSED" }
    );
    println!(
        "all stuffing votes left out: {all_left_out:.2}% ({stuffing_counted} of {stuffing_sent} counted)"
    );
    println!(
        "honest votes left out (flagged): {honest_left_out:.2}% ({honest_out} of {honest_sent}; target ≤ 1%: {})",
        if honest_left_out <= 1.0 { "met" } else { "MISSED" }
    );
}

/// Four weeks of weekdays before `DAY`: each employee's usual votes from distinct phones at
/// random open moments, written straight into D1 and rolled up by the real cron, so that
/// screening reads a baseline as it would in production.
async fn write_history(w: &Worker, usual: &[(i64, i64, u64)], rng: &mut Rng) {
    let mut db = w.db();
    let tx = db.transaction().unwrap();
    let mut n = 0;
    for back in 1..=HISTORY_DAYS {
        let day = DAY - back * 86_400;
        // 1970-01-01 was a Thursday: (days + 3) % 7 gives Monday = 0.
        if (day / 86_400 + 3) % 7 >= 5 {
            continue;
        }
        for (employee, unit, per_day) in usual {
            for _ in 0..*per_day {
                n += 1;
                let at = day + 6 * 3600 + rng.below(12 * 3600) as i64;
                tx.execute(
                    "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, has_contact, lang, source, client_hash, created_at, status) \
                     VALUES (?1, ?2, 1, 1, ?3, 0, 'uk', 'api', ?4, ?5, 'counted')",
                    rusqlite::params![employee, unit, 1 + rng.below(3) as i64, format!("history-{n}"), at],
                )
                .unwrap();
            }
        }
    }
    tx.commit().unwrap();
    drop(db);
    println!("wrote {n} votes of history; rolling them up …");
    cron(w).await;
    assert_eq!(
        w.count("SELECT watermark FROM rollup_state"),
        w.count("SELECT max(id) FROM votes"),
        "the history is rolled up"
    );
}

async fn cron(w: &Worker) {
    // Repeated until every vote is in: a run has a budget of steps.
    for _ in 0..10 {
        let resp = w
            .http
            .get(w.url("/__scheduled?cron=7+*+*+*+*"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        if w.count("SELECT watermark FROM rollup_state") == w.count("SELECT max(id) FROM votes") {
            return;
        }
    }
}

/// Waits for every spawned vote, in order.
async fn futures_join<I, T>(handles: I) -> Vec<T>
where
    I: Iterator<Item = tokio::task::JoinHandle<T>>,
{
    let mut out = Vec::new();
    for h in handles.collect::<Vec<_>>() {
        out.push(h.await.expect("vote task"));
    }
    out
}
