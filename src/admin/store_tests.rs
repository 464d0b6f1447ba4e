//! The administration's use cases (`crate::admin`) on the native store: `AdminStore` as the
//! worker runs it (`db.rs`), the SQL D1 runs and the migrations' schema, on an in-memory
//! SQLite. The organisation tree's rules live in SQL (the closure table, what a scope reaches,
//! no unit under its own subtree): these are the tests that see them without `wrangler dev`.

// Test-only (declared under `#[cfg(test)]` too): its unwraps never run in a worker.
#![cfg(test)]

use crate::account::Principal;
use crate::admin::{self, AdminError, UnitPatch};
use crate::clock::Timestamp;
use crate::org::UnitId;
use crate::store::sqlite::{admin_of, root, SqliteStore};

/// 2026-01-01 10:00 UTC.
const T: i64 = 1_767_225_600 + 10 * 3600;

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(T)
}

fn store() -> SqliteStore {
    let s = SqliteStore::new(now());
    s.seed_accounts();
    s
}

fn count(s: &SqliteStore, sql: &str) -> i64 {
    s.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn ancestors(s: &SqliteStore, unit: UnitId) -> Vec<(i64, i64)> {
    s.conn()
        .prepare(
            "SELECT ancestor_id, depth FROM unit_closure WHERE descendant_id = ?1 ORDER BY depth",
        )
        .unwrap()
        .query_map([unit.get()], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

async fn unit(s: &SqliteStore, p: &Principal, name: &str, parent: Option<UnitId>) -> UnitId {
    admin::create_unit(
        s,
        p,
        name,
        parent.map(|u| i64::from(u.get())),
        None,
        "Europe/Kyiv",
        now(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_new_unit_joins_every_ancestor_in_the_closure_with_one_audit_line() {
    let s = store();
    let city = unit(&s, &root(), "Київ", None).await;
    let district = unit(&s, &root(), "Оболонський район", Some(city)).await;
    let office = unit(&s, &root(), "ЦНАП", Some(district)).await;
    let (c, d, o) = (
        i64::from(city.get()),
        i64::from(district.get()),
        i64::from(office.get()),
    );
    assert_eq!(ancestors(&s, office), [(o, 0), (d, 1), (c, 2)]);
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'unit_created'"
        ),
        3
    );
    let zone: String = s
        .conn()
        .query_row("SELECT timezone FROM units WHERE id = ?1", [o], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(zone, "Europe/Kyiv", "the instance's default zone");
}

#[tokio::test]
async fn a_unit_admin_builds_inside_their_subtree_and_nowhere_else() {
    let s = store();
    let mine = unit(&s, &root(), "Мій район", None).await;
    let theirs = unit(&s, &root(), "Чужий район", None).await;
    let me = admin_of(mine);
    let inside = admin::create_unit(
        &s,
        &me,
        "Відділ",
        Some(i64::from(mine.get())),
        None,
        "UTC",
        now(),
    )
    .await
    .unwrap();
    assert_eq!(ancestors(&s, inside).len(), 2);
    let before = count(&s, "SELECT COUNT(*) FROM units");
    let outside = admin::create_unit(
        &s,
        &me,
        "Відділ",
        Some(i64::from(theirs.get())),
        None,
        "UTC",
        now(),
    )
    .await;
    assert!(
        matches!(outside, Err(AdminError::NotFound("parent unit"))),
        "{outside:?}"
    );
    let top = admin::create_unit(&s, &me, "Нова гілка", None, None, "UTC", now()).await;
    assert!(matches!(top, Err(AdminError::Forbidden)), "{top:?}");
    assert_eq!(count(&s, "SELECT COUNT(*) FROM units"), before);
    let seen: Vec<UnitId> = admin::units(&s, &me)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(seen, [mine, inside], "their subtree only");
}

#[tokio::test]
async fn a_unit_moved_takes_its_subtree_along_and_never_under_itself() {
    let s = store();
    let city = unit(&s, &root(), "Місто", None).await;
    let east = unit(&s, &root(), "Схід", Some(city)).await;
    let west = unit(&s, &root(), "Захід", Some(city)).await;
    let office = unit(&s, &root(), "Відділ", Some(east)).await;
    let desk = unit(&s, &root(), "Кабінет", Some(office)).await;
    let move_to = |parent: UnitId| UnitPatch {
        parent_id: Some(Some(i64::from(parent.get()))),
        ..UnitPatch::default()
    };
    admin::change_unit(&s, &root(), office, &move_to(west), now())
        .await
        .unwrap();
    let (c, w, o, k) = (
        i64::from(city.get()),
        i64::from(west.get()),
        i64::from(office.get()),
        i64::from(desk.get()),
    );
    assert_eq!(ancestors(&s, desk), [(k, 0), (o, 1), (w, 2), (c, 3)]);
    let before = (
        count(&s, "SELECT COUNT(*) FROM unit_closure"),
        count(&s, "SELECT COUNT(*) FROM audit_log"),
    );
    let cycle = admin::change_unit(&s, &root(), office, &move_to(desk), now()).await;
    assert!(
        matches!(cycle, Err(AdminError::Conflict(_))),
        "a unit under its own subtree: {cycle:?}"
    );
    let itself = admin::change_unit(&s, &root(), office, &move_to(office), now()).await;
    assert!(matches!(itself, Err(AdminError::Conflict(_))), "{itself:?}");
    assert_eq!(
        (
            count(&s, "SELECT COUNT(*) FROM unit_closure"),
            count(&s, "SELECT COUNT(*) FROM audit_log"),
        ),
        before,
        "nothing written"
    );
    // A unit admin of the east cannot pull the office back: it is outside their subtree now.
    let east_admin = admin_of(east);
    let pulled = admin::change_unit(&s, &east_admin, office, &move_to(east), now()).await;
    assert!(matches!(pulled, Err(AdminError::NotFound(_))), "{pulled:?}");
}
