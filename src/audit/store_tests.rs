//! The audit log's reader on the native store: the store code the worker runs (`db.rs`) and
//! the SQL D1 runs (`sql.rs`, which finds the unit each entry concerns and so who may read
//! it) on the migrations' schema, in an in-memory SQLite.

// Test-only (declared under `#[cfg(test)]` too): its unwraps never run in a worker.
#![cfg(test)]

use super::*;
use crate::account::{Grant, Via};
use crate::org::UnitId;
use crate::store::sqlite::SqliteStore;

/// 2026-01-01 10:00 UTC.
const T: i64 = 1_767_225_600 + 10 * 3600;

fn reader(grants: Vec<Grant>) -> Principal {
    Principal {
        account: AccountId::parse(1).unwrap(),
        email: "reader@city.example".into(),
        grants,
        via: Via::ApiToken,
    }
}

fn query(pairs: &[(&str, &str)]) -> AuditQuery {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    AuditQuery::parse(&pairs).unwrap()
}

fn log(store: &SqliteStore, at: i64, action: &str, object: &str, detail: &str) {
    store
        .conn()
        .execute(
            "INSERT INTO audit_log (at, account_id, actor, action, object, detail) VALUES (?1, NULL, 'root@city.example', ?2, ?3, ?4)",
            rusqlite::params![at, action, object, detail],
        )
        .unwrap();
}

fn objects(page: &AuditPage) -> Vec<&str> {
    page.entries.iter().map(|e| e.object.as_str()).collect()
}

/// A region with an office, another branch, and one entry about each kind of object.
fn world() -> (SqliteStore, UnitId, UnitId, UnitId) {
    let s = SqliteStore::new(Timestamp::from_unix_seconds(T));
    let region = s.seed_unit("Область", None);
    let office = s.seed_unit("Відділ", Some(region));
    let other = s.seed_unit("Інша гілка", None);
    let inside = s.seed_employee("Свій", office);
    let outside = s.seed_employee("Чужий", other);
    log(
        &s,
        T,
        "unit_created",
        &format!("unit:{}", office.get()),
        "{}",
    );
    log(
        &s,
        T + 1,
        "employee_changed",
        &format!("employee:{}", inside.get()),
        "{}",
    );
    log(
        &s,
        T + 2,
        "employee_changed",
        &format!("employee:{}", outside.get()),
        "{}",
    );
    // The next day.
    log(&s, T + 86_400, "token_created", "token:7", "{}");
    log(
        &s,
        T + 4,
        "invitation_created",
        "email:new@city.example",
        &format!("{{\"unit_id\": {}}}", office.get()),
    );
    (s, region, office, other)
}

#[tokio::test]
async fn a_unit_admin_reads_only_the_entries_about_their_subtree() {
    let (s, region, _, other) = world();
    let admin = reader(vec![Grant::UnitAdmin(region)]);
    let seen = page(&s, &admin, &query(&[])).await.unwrap();
    assert_eq!(
        objects(&seen),
        ["email:new@city.example", "employee:1", "unit:2"],
        "newest first; not the other branch's employee nor the instance-wide token"
    );
    let theirs = reader(vec![Grant::UnitAdmin(other)]);
    let seen = page(&s, &theirs, &query(&[])).await.unwrap();
    assert_eq!(objects(&seen), ["employee:2"]);
    let root = reader(vec![Grant::Superadmin]);
    let seen = page(&s, &root, &query(&[])).await.unwrap();
    assert_eq!(seen.entries.len(), 5);
    // Reading the log is an administrator's: a viewer has no part of it.
    let viewer = reader(vec![Grant::Viewer(region)]);
    assert!(matches!(
        page(&s, &viewer, &query(&[])).await,
        Err(AdminError::Forbidden)
    ));
}

#[tokio::test]
async fn an_employee_moved_to_another_branch_takes_their_entries_along() {
    let (s, region, _, other) = world();
    s.conn()
        .execute(
            "UPDATE employees SET unit_id = ?1 WHERE id = 1",
            [other.get()],
        )
        .unwrap();
    let admin = reader(vec![Grant::UnitAdmin(region)]);
    let seen = page(&s, &admin, &query(&[])).await.unwrap();
    assert!(
        !objects(&seen).contains(&"employee:1"),
        "{:?}",
        objects(&seen)
    );
}

#[tokio::test]
async fn the_filters_and_both_cursors_read_the_same_entries() {
    let (s, _, _, _) = world();
    let root = reader(vec![Grant::Superadmin]);
    let updated = page(&s, &root, &query(&[("action", "employee_changed")]))
        .await
        .unwrap();
    assert_eq!(objects(&updated), ["employee:2", "employee:1"]);
    let next_day = page(&s, &root, &query(&[("from", "2026-01-02")]))
        .await
        .unwrap();
    assert_eq!(objects(&next_day), ["token:7"]);
    let first_day = page(&s, &root, &query(&[("to", "2026-01-01")]))
        .await
        .unwrap();
    assert_eq!(
        objects(&first_day),
        [
            "email:new@city.example",
            "employee:2",
            "employee:1",
            "unit:2"
        ],
        "`to` is the last day read"
    );
    let all = page(&s, &root, &query(&[])).await.unwrap();
    let third = all.entries[2].id;
    let older = page(&s, &root, &query(&[("before", &third.to_string())]))
        .await
        .unwrap();
    assert_eq!(objects(&older), ["employee:1", "unit:2"]);
    let newer = page(&s, &root, &query(&[("after", &third.to_string())]))
        .await
        .unwrap();
    assert_eq!(
        objects(&newer),
        ["email:new@city.example", "token:7"],
        "newest first"
    );
    let csv = csv(&s, &root, &query(&[("action", "token_created")]))
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
}
