//! The roll-up (`crate::results::roll_up`) on the native store: `ResultsStore` as the worker runs
//! it (`db.rs`), the SQL D1 runs and the migrations' schema, on an in-memory SQLite.
//! What counts lives in SQL: only counted votes, by the vote's unit (its ancestors read them
//! through the closure), on the unit's local day. The cron's HTTP path, its lease between isolates and the Queue stay in
//! `tests/api/results.rs`.

// Test-only (declared under `#[cfg(test)]` too): its unwraps never run in a worker.
#![cfg(test)]

use crate::clock::Timestamp;
use crate::integrity::FixedOffsets;
use crate::org::{EmployeeId, UnitId};
use crate::results::{roll_up, Budget};
use crate::store::sqlite::SqliteStore;

/// 2026-01-01 10:00 UTC.
const T: i64 = 1_767_225_600 + 10 * 3600;

fn vote(s: &SqliteStore, employee: EmployeeId, unit: UnitId, score: i64, status: &str, at: i64) {
    s.conn()
        .execute(
            "INSERT INTO votes (employee_id, unit_id, qr_issue, score, lang, source, client_hash, created_at, status) \
             VALUES (?1, ?2, 1, ?3, 'uk', 'api', 'h', ?4, ?5)",
            rusqlite::params![employee.get(), unit.get(), score, at, status],
        )
        .unwrap();
}

/// (unit, day, score, counted, flagged, duplicates) of every daily row, in order.
fn daily(s: &SqliteStore) -> Vec<(i64, String, i64, i64, i64, i64)> {
    s.conn()
        .prepare(
            "SELECT unit_id, day, score, counted, flagged, duplicates FROM daily_unit_stats \
             ORDER BY unit_id, day, score",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn counted_votes_roll_up_by_unit_day_and_score_and_a_second_run_changes_nothing() {
    let s = SqliteStore::new(Timestamp::from_unix_seconds(T + 3600));
    let city = s.seed_unit("Місто", None);
    let office = s.seed_unit("ЦНАП", Some(city));
    let other = s.seed_unit("Інше місто", None);
    let olena = s.seed_employee("Олена", office);
    let petro = s.seed_employee("Петро", other);
    vote(&s, olena, office, 3, "counted", T);
    vote(&s, olena, office, 3, "counted", T + 60);
    vote(&s, olena, office, 1, "counted", T + 120);
    vote(&s, olena, office, 2, "duplicate", T + 180);
    vote(&s, olena, office, 2, "flagged", T + 240);
    vote(&s, petro, other, 2, "counted", T + 300);
    let zones = FixedOffsets::default();
    let now = Timestamp::from_unix_seconds(T + 3600);
    let run = roll_up(&s, &zones, now, Budget::CRON).await.unwrap();
    assert!(!run.skipped);
    assert_eq!(run.new_votes, 6);
    assert_eq!((run.votes_left, run.days_left, run.months_left), (0, 0, 0));
    let day = "2026-01-01".to_owned();
    let (c, o, x) = (
        i64::from(city.get()),
        i64::from(office.get()),
        i64::from(other.get()),
    );
    assert!(
        daily(&s).iter().all(|r| r.0 != c),
        "the city cast no vote itself"
    );
    // Counted votes by score; the repeat and the flagged vote are counted apart, never in.
    let counted: Vec<(i64, i64, i64)> = daily(&s)
        .into_iter()
        .filter(|r| r.3 > 0)
        .map(|r| (r.0, r.2, r.3))
        .collect();
    assert_eq!(
        counted,
        [(o, 1, 1), (o, 3, 2), (x, 2, 1)],
        "by the unit each vote was cast in"
    );
    let set_aside: (i64, i64) = s
        .conn()
        .query_row(
            "SELECT SUM(flagged), SUM(duplicates) FROM daily_unit_stats WHERE unit_id = ?1 AND day = ?2",
            rusqlite::params![o, day],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(set_aside, (1, 1));
    let monthly: i64 = s
        .conn()
        .query_row(
            "SELECT SUM(counted) FROM monthly_unit_stats WHERE unit_id = ?1",
            [o],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(monthly, 3);

    let before = daily(&s);
    let again = roll_up(&s, &zones, now, Budget::CRON).await.unwrap();
    assert_eq!(again.new_votes, 0);
    assert_eq!(daily(&s), before, "a second run changes nothing");
}

#[tokio::test]
async fn a_vote_after_local_midnight_counts_on_its_units_local_day() {
    let s = SqliteStore::new(Timestamp::from_unix_seconds(T));
    let tehran = s.seed_unit("Тегеран", None);
    s.conn()
        .execute(
            "UPDATE units SET timezone = 'Asia/Tehran' WHERE id = ?1",
            [tehran.get()],
        )
        .unwrap();
    let ali = s.seed_employee("Алі", tehran);
    // 2026-01-01 21:00 UTC is 00:30 on 2 January in Tehran (UTC+3:30).
    let late = 1_767_225_600 + 21 * 3600;
    vote(&s, ali, tehran, 3, "counted", late);
    let zones = FixedOffsets([("Asia/Tehran".to_owned(), 210)].into_iter().collect());
    let now = Timestamp::from_unix_seconds(late + 600);
    roll_up(&s, &zones, now, Budget::CRON).await.unwrap();
    let days: Vec<String> = daily(&s).into_iter().map(|r| r.1).collect();
    assert_eq!(days, ["2026-01-02"]);
}
