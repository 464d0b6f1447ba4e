//! The results benchmark (`make bench-results`): a realistic instance in a local D1 (2,000
//! units over 6 levels in real zones east of UTC, 10,000 employees, 5 million votes over the
//! last 12 months), then the real cron on `wrangler dev` and the real report views. Prints the
//! first roll-up of the history (which gives each vote its local offset), the monthly close,
//! an hourly roll-up after 10,000 new votes (wall time, and D1's own rows read/written from the
//! worker's log), and each dashboard view's latency with live figures on: the last hour's
//! votes (2,000, with criteria answers) wait after the roll-up's watermark, so every view's
//! `live` part (count, local days, scores, criteria) reads them.
//! Sizes: BENCH_VOTES (default 5000000), BENCH_EMPLOYEES (10000), BENCH_UNITS (2000),
//! BENCH_WAITING (2000).

#[allow(dead_code)]
#[path = "../tests/api/helpers.rs"]
mod helpers;

use chrono::Datelike;
use helpers::{key, Rng, Worker};
use rusqlite::params;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

struct Instance {
    /// Unit ids per level, top first.
    levels: Vec<Vec<i64>>,
    employees: Vec<(i64, i64)>,
}

/// The units' zones: each branch under the top unit takes one of these (the top unit and the
/// instance's default are Kyiv's), and its units keep it. Tehran's half hour and Almaty's +5
/// put local midnight at other UTC hours than Kyiv's.
const ZONES: [&str; 5] = [
    "Europe/Kyiv",
    "Asia/Almaty",
    "Asia/Tehran",
    "Europe/Moscow",
    "Asia/Tashkent",
];

/// Units over 6 levels (1, 5, 25, 125, 500, rest), employees mostly in the lower levels.
fn seed_org(db: &rusqlite::Connection, units: u64, employees: u64, rng: &mut Rng) -> Instance {
    let t = now();
    let sizes = [1, 5, 25, 125, 500, units.saturating_sub(656).max(1)];
    let mut levels: Vec<Vec<i64>> = Vec::new();
    let mut parent_of = std::collections::HashMap::new();
    let mut zone_of: std::collections::HashMap<i64, &str> = std::collections::HashMap::new();
    db.execute_batch("BEGIN").unwrap();
    for (depth, size) in sizes.iter().enumerate() {
        let mut ids = Vec::new();
        for i in 0..*size {
            let parent = if depth == 0 {
                None
            } else {
                let above = &levels[depth - 1];
                Some(above[rng.below(above.len() as u64) as usize])
            };
            let zone = match (depth, parent) {
                (0, _) | (_, None) => ZONES[0],
                (1, _) => ZONES[i as usize % ZONES.len()],
                (_, Some(p)) => zone_of[&p],
            };
            db.execute(
                "INSERT INTO units (parent_id, name, created_at, timezone) VALUES (?1, ?2, ?3, ?4)",
                params![parent, format!("Підрозділ {depth}.{i}"), t, zone],
            )
            .unwrap();
            let id = db.last_insert_rowid();
            zone_of.insert(id, zone);
            parent_of.insert(id, parent);
            db.execute(
                "INSERT INTO unit_closure (ancestor_id, descendant_id, depth) VALUES (?1, ?1, 0)",
                params![id],
            )
            .unwrap();
            let (mut up, mut d) = (parent, 1);
            while let Some(a) = up {
                db.execute(
                    "INSERT INTO unit_closure (ancestor_id, descendant_id, depth) VALUES (?1, ?2, ?3)",
                    params![a, id, d],
                )
                .unwrap();
                up = parent_of[&a];
                d += 1;
            }
            ids.push(id);
        }
        levels.push(ids);
    }
    for i in 0..8 {
        db.execute(
            "INSERT INTO directions (name, created_at) VALUES (?1, ?2)",
            params![format!("Напрям {i}"), t],
        )
        .unwrap();
    }
    let mut people = Vec::new();
    for i in 0..employees {
        let level = match rng.below(10) {
            0 => 2,
            1 | 2 => 3,
            3..=5 => 4,
            _ => 5,
        };
        let pool = &levels[level];
        let unit = pool[rng.below(pool.len() as u64) as usize];
        db.execute(
            "INSERT INTO employees (unit_id, name, position, created_at) VALUES (?1, ?2, 'Спеціаліст', ?3)",
            params![unit, format!("Працівник {i}"), t],
        )
        .unwrap();
        people.push((db.last_insert_rowid(), unit));
    }
    db.execute_batch("COMMIT").unwrap();
    Instance {
        levels,
        employees: people,
    }
}

/// `n` votes spread over `[start, end)`: three-smiley scores bunched at the top, a few with
/// comments or contacts, some repeats and flags, most with a service direction.
fn seed_votes(
    db: &rusqlite::Connection,
    inst: &Instance,
    n: u64,
    start: i64,
    end: i64,
    rng: &mut Rng,
) {
    db.execute_batch("BEGIN").unwrap();
    let mut stmt = db
        .prepare(
            "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status, direction_id) \
             VALUES (?1, ?2, 0, 1, ?3, ?4, ?5, 'uk', 'form', ?6, ?7, ?8, ?9)",
        )
        .unwrap();
    let span = (end - start).max(1) as u64;
    for i in 0..n {
        // Some employees serve many more people than others.
        let e = if rng.chance(300) {
            rng.below(inst.employees.len() as u64 / 10)
        } else {
            rng.below(inst.employees.len() as u64)
        };
        let (employee, unit) = inst.employees[e as usize];
        let score = match rng.below(100) {
            0..=6 => 1,
            7..=24 => 2,
            _ => 3,
        };
        let comment = rng.chance(30).then_some("Дякую, все швидко");
        let status = if rng.chance(10) {
            "duplicate"
        } else if rng.chance(5) {
            "flagged"
        } else {
            "counted"
        };
        let direction = rng.chance(600).then(|| 1 + rng.below(8) as i64);
        stmt.execute(params![
            employee,
            unit,
            score,
            comment,
            rng.chance(50) as i64,
            format!("{i:x}"),
            start + rng.below(span) as i64,
            status,
            direction
        ])
        .unwrap();
    }
    drop(stmt);
    db.execute_batch("COMMIT").unwrap();
}

async fn cron(w: &Worker, schedule: &str) -> Duration {
    let t = Instant::now();
    let resp = w
        .http
        .get(w.url(&format!("/__scheduled?cron={schedule}")))
        .timeout(Duration::from_secs(900))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "cron {schedule}");
    t.elapsed()
}

/// The worker's log lines (wrangler dev's output) that start with `prefix`, from `from` on.
fn log_lines(w: &Worker, prefix: &str, from: usize) -> (Vec<String>, usize) {
    let mut text = String::new();
    for e in std::fs::read_dir(&w.dir).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "log") {
            text.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let found = lines
        .iter()
        .skip(from)
        .filter(|l| l.contains(prefix))
        .cloned()
        .collect();
    (found, lines.len())
}

/// The last two numbers of a cron log line: "… N rows read, M written)".
fn rows_of(line: &str) -> (u64, u64) {
    let numbers: Vec<u64> = line
        .rsplit('(')
        .next()
        .unwrap_or("")
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    match numbers.as_slice() {
        [.., read, written] => (*read, *written),
        _ => (0, 0),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let votes = env_or("BENCH_VOTES", 5_000_000);
    let employees = env_or("BENCH_EMPLOYEES", 10_000);
    let units = env_or("BENCH_UNITS", 2_000);
    println!("civicrate results benchmark: {units} units over 6 levels, {employees} employees, {votes} votes over 12 months");
    let waiting = env_or("BENCH_WAITING", 2_000);
    let w = Worker::start_with(&key(1), &[("DEFAULT_TIMEZONE", ZONES[0])]);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let db = w.db();
    db.busy_timeout(Duration::from_secs(60)).unwrap();
    let t = Instant::now();
    let inst = seed_org(&db, units, employees, &mut rng);
    let today = now() - now().rem_euclid(86_400);
    seed_votes(&db, &inst, votes, today - 365 * 86_400, today, &mut rng);
    // A connection kept open would pin the WAL (no checkpoint can pass its read mark), and the
    // worker's writes would slow down as the WAL grows: the seeder lets go of the file.
    drop(db);
    let size = std::fs::metadata(w.db_path()).map(|m| m.len()).unwrap_or(0);
    println!(
        "seeded in {:.1} s; the D1 file is {:.0} MB",
        t.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );

    // The first roll-up of a year of history, as after an import: runs of at most 40 steps of
    // 50,000 votes.
    let t = Instant::now();
    let mut runs = 0;
    let mut slowest = Duration::ZERO;
    let mut mark = 0;
    let (mut read, mut written) = (0u64, 0u64);
    loop {
        slowest = slowest.max(cron(&w, "7+*+*+*+*").await);
        runs += 1;
        let (lines, end) = log_lines(&w, "cron: rolled up", mark);
        mark = end;
        for l in &lines {
            let (r, wr) = rows_of(l);
            read += r;
            written += wr;
        }
        let left: i64 = w.count(
            "SELECT (SELECT COUNT(*) FROM rollup_dirty_days) + (SELECT COUNT(*) FROM rollup_dirty_months) \
             + (SELECT max(id) FROM votes) - (SELECT watermark FROM rollup_state)",
        );
        if left == 0 || runs > 40 {
            break;
        }
    }
    println!(
        "first roll-up of the history: {runs} cron runs, {:.1} s in all, the slowest {}; {read} rows read, {written} written",
        t.elapsed().as_secs_f64(),
        ms(slowest)
    );

    // Every unit is east of UTC: the roll-up gave each vote its unit's offset as it counted it.
    println!(
        "local days: {} of {} votes carry their unit's offset from UTC (zones {})",
        w.count("SELECT COUNT(*) FROM votes WHERE local_offset <> 0"),
        w.count("SELECT COUNT(*) FROM votes"),
        ZONES.join(", ")
    );

    // The monthly close (last month rebuilt whole, a report per unit).
    let (_, start) = log_lines(&w, "", 0);
    let took = cron(&w, "30+0+1+*+*").await;
    let (lines, _) = log_lines(&w, "cron: closed", start);
    let (r, wr) = lines.last().map_or((0, 0), |l| rows_of(l));
    println!(
        "monthly close: {} wall; {r} rows read, {wr} written; {} reports",
        ms(took),
        w.count("SELECT COUNT(*) FROM monthly_reports")
    );

    // An hourly roll-up after 10,000 new votes today.
    let db = w.db();
    seed_votes(&db, &inst, 10_000, today, now().max(today + 1), &mut rng);
    drop(db);
    let (_, start) = log_lines(&w, "", 0);
    let took = cron(&w, "7+*+*+*+*").await;
    let (lines, _) = log_lines(&w, "cron: rolled up", start);
    let (r, wr) = lines.last().map_or((0, 0), |l| rows_of(l));
    println!(
        "hourly roll-up after 10,000 new votes: {} wall; {r} rows read, {wr} written",
        ms(took)
    );

    // Live figures on: the last hour's votes wait after the watermark, not yet rolled up, with
    // answers to two extra criteria; a few of them for the employee and the leaf unit measured
    // below, so that every view's waiting votes are there to count, by day, score, criterion.
    let db = w.db();
    seed_waiting(&db, &inst, waiting, &mut rng);
    drop(db);
    let after: i64 = w.count(
        "SELECT COUNT(*) FROM votes WHERE id > (SELECT watermark FROM rollup_state WHERE name = 'votes') AND status = 'counted'",
    );
    println!(
        "waiting after the watermark: {after} counted votes of the last hour (live figures on)"
    );
    // The live statements on their own, straight on the D1 file (SQLite's time, without the
    // worker and wrangler around it): this month, at Kyiv's offset now (+2 in winter).
    {
        use civicrate::store::sql::{LIVE_DIRECTIONS, LIVE_EMPLOYEE, LIVE_UNIT};
        use rusqlite::types::Value;
        let db = w.db();
        let d = chrono::DateTime::from_timestamp(now(), 0)
            .unwrap()
            .date_naive();
        let first = d.with_day0(0).unwrap_or(d);
        let start = first.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() - 7_200;
        let end = now() + 86_400;
        for (name, sql, subject) in [
            ("top unit", LIVE_UNIT, Value::Integer(inst.levels[0][0])),
            (
                "employee",
                LIVE_EMPLOYEE,
                Value::Integer(inst.employees[0].0),
            ),
            ("directions", LIVE_DIRECTIONS, Value::Null),
        ] {
            let mut times = Vec::new();
            let mut rows = 0;
            for _ in 0..10 {
                let t = Instant::now();
                let mut stmt = db.prepare_cached(sql).unwrap();
                rows = stmt
                    .query_map(params![subject, start, end, 7_200], |_| Ok(()))
                    .unwrap()
                    .count();
                times.push(t.elapsed());
            }
            times.sort();
            println!(
                "live statement alone, {name}: median {:.1} ms ({rows} rows)",
                times[times.len() / 2].as_secs_f64() * 1000.0
            );
        }
    }

    // The dashboard views, each asked 10 times after a first warm-up call.
    let top = inst.levels[0][0];
    let mid = inst.levels[2][0];
    let leaf = inst.employees[0].1;
    let employee = inst.employees[0].0;
    let views = [
        (
            "top unit, this month",
            format!("/api/v1/admin/results/units/{top}"),
        ),
        (
            "top unit, last quarter",
            format!(
                "/api/v1/admin/results/units/{top}?period=quarter&date={}",
                last_quarter_day()
            ),
        ),
        (
            "top unit, a year (custom, ragged ends)",
            format!(
                "/api/v1/admin/results/units/{top}?from={}&to={}",
                day_str(today - 360 * 86_400),
                day_str(today)
            ),
        ),
        (
            "level-3 unit, this month",
            format!("/api/v1/admin/results/units/{mid}"),
        ),
        (
            "leaf unit, this month",
            format!("/api/v1/admin/results/units/{leaf}"),
        ),
        (
            "employee, this month",
            format!("/api/v1/admin/results/employees/{employee}"),
        ),
        (
            "employee, a year",
            format!(
                "/api/v1/admin/results/employees/{employee}?from={}&to={}",
                day_str(today - 360 * 86_400),
                day_str(today)
            ),
        ),
        (
            "service directions, this month",
            "/api/v1/admin/results/directions".to_owned(),
        ),
        (
            "comments of the top unit, this month",
            format!("/api/v1/admin/results/comments?unit={top}"),
        ),
    ];
    println!(
        "{:<42} {:>8} {:>8}  {:<14} live: waiting, local days, scores, criteria rows",
        "dashboard view", "median", "max", "under 200 ms?"
    );
    let mut over = 0;
    for (name, path) in views {
        let mut times = Vec::new();
        let mut live = String::new();
        for i in 0..11 {
            let t = Instant::now();
            let resp = w.admin(reqwest::Method::GET, &path).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            let body = resp.bytes().await.unwrap();
            if i > 0 {
                times.push(t.elapsed());
            } else {
                live = live_of(&body);
            }
        }
        times.sort();
        let (median, max) = (times[times.len() / 2], times[times.len() - 1]);
        let under = median < Duration::from_millis(200);
        over += usize::from(!under);
        println!(
            "{name:<42} {:>8} {:>8}  {:<14} {live}",
            ms(median),
            ms(max),
            match (under, max < Duration::from_millis(200)) {
                (true, true) => "yes",
                (true, false) => "yes (max not)",
                _ => "NO",
            }
        );
    }
    println!(
        "{}",
        if over == 0 {
            "every view's median is under 200 ms with live figures and local days on".to_owned()
        } else {
            format!("{over} view(s) over 200 ms (median)")
        }
    );
}

/// `n` counted votes of the last hour (as `seed_votes`, but none rolled up yet), ten more for
/// the measured employee (in their unit), and answers to two extra criteria for most of them.
fn seed_waiting(db: &rusqlite::Connection, inst: &Instance, n: u64, rng: &mut Rng) {
    let end = now();
    seed_votes(db, inst, n, end - 3_600, end, rng);
    let (employee, unit) = inst.employees[0];
    for i in 0..10 {
        db.execute(
            "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, has_contact, lang, source, client_hash, created_at, status) \
             VALUES (?1, ?2, 0, 1, ?3, 0, 'uk', 'form', ?4, ?5, 'counted')",
            params![employee, unit, 1 + i % 3, format!("live-{i}"), end - 60 * i],
        )
        .unwrap();
    }
    db.execute_batch(
        "INSERT OR IGNORE INTO criteria (code, labels, position) VALUES \
           ('waiting_time', '{\"uk\":\"Час очікування\",\"en\":\"Waiting time\"}', 1), \
           ('premises', '{\"uk\":\"Приміщення\",\"en\":\"Premises\"}', 2); \
         INSERT INTO vote_criteria (vote_id, criterion_id, score) \
           SELECT v.id, c.id, 1 + (v.id + c.id) % 3 FROM votes v, criteria c \
           WHERE v.id > (SELECT watermark FROM rollup_state WHERE name = 'votes') AND v.id % 5 <> 0;",
    )
    .unwrap();
}

/// A view's live part in short: "waiting N, D days, S scores, C criteria rows".
fn live_of(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let live = &v["live"];
    if live.is_null() {
        return "-".into();
    }
    let len = |k: &str| live[k].as_array().map_or(0, Vec::len);
    format!(
        "waiting {}, {} days, {} scores, {} criteria rows",
        live["waiting"].as_i64().unwrap_or(0),
        len("days"),
        len("scores"),
        len("criteria")
    )
}

fn day_str(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .date_naive()
        .to_string()
}

fn last_quarter_day() -> String {
    day_str(now() - 92 * 86_400)
}
