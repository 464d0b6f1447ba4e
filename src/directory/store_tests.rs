//! The directory's store on the native store: the store code the worker runs (`db.rs`), the SQL
//! D1 runs (`sql.rs`: the folding of names, the scope, the bulk issue) and the migrations'
//! schema, on an in-memory SQLite. The routes and the admin page stay in `tests/api/`.

// Test-only (declared under `#[cfg(test)]` too): its unwraps never run in a worker.
#![cfg(test)]

use super::store::{DirectoryStore, EmployeeFilter, Missing, QrStatus};
use super::*;
use crate::account::{AccountId, Grant, Via};

use crate::store::sqlite::SqliteStore;

/// 2026-01-01 10:00 UTC.
const T: i64 = 1_767_225_600 + 10 * 3600;

fn store() -> SqliteStore {
    SqliteStore::new(Timestamp::from_unix_seconds(T))
}

fn reader(grants: Vec<Grant>) -> Principal {
    Principal {
        account: AccountId::parse(1).unwrap(),
        email: "reader@city.example".into(),
        grants,
        via: Via::ApiToken,
    }
}

fn names(found: &Found) -> Vec<&str> {
    found.employees.iter().map(|e| e.name.as_str()).collect()
}

fn count(store: &SqliteStore, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn a_search_folds_capitals_and_spellings_in_sql_as_search_key_folds_the_query() {
    let s = store();
    let unit = s.seed_unit("Відділ ЦНАП", None);
    s.seed_employee("Ірина Ґудзь", unit);
    s.seed_employee("Алёна Фёдорова", unit);
    s.seed_employee("علی کریمی", unit);
    s.seed_employee("Олег Мар’янович", unit);
    let root = reader(vec![Grant::Superadmin]);
    for (query, expected) in [
        ("ірина ґ", "Ірина Ґудзь"),
        ("ІРИНА", "Ірина Ґудзь"),
        // ё typed as е, and the other way round.
        ("алена федор", "Алёна Фёдорова"),
        // Arabic yeh and kaf typed for the Persian ones.
        ("علي كريمي", "علی کریمی"),
        // A plain apostrophe for the typographic one.
        ("мар'ян", "Олег Мар’янович"),
    ] {
        let found = search(&s, &root, query).await.unwrap();
        assert_eq!(names(&found), [expected], "{query}");
    }
    let units = search(&s, &root, "цнап").await.unwrap().units;
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].name, "Відділ ЦНАП");
}

#[tokio::test]
async fn a_search_finds_only_people_and_units_in_the_callers_subtrees() {
    let s = store();
    let region = s.seed_unit("Область", None);
    let mine = s.seed_unit("Мій відділ", Some(region));
    let theirs = s.seed_unit("Інший відділ", None);
    s.seed_employee("Петро Свій", mine);
    s.seed_employee("Петро Чужий", theirs);
    let viewer = reader(vec![Grant::Viewer(region)]);
    let found = search(&s, &viewer, "петро").await.unwrap();
    assert_eq!(names(&found), ["Петро Свій"]);
    let units = search(&s, &viewer, "відділ").await.unwrap().units;
    let unit_names: Vec<&str> = units.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(unit_names, ["Мій відділ"]);
    assert_eq!(units[0].parent_name.as_deref(), Some("Область"));
    let nobody = reader(vec![]);
    assert!(search(&s, &nobody, "петро")
        .await
        .unwrap()
        .employees
        .is_empty());
}

#[tokio::test]
async fn a_bulk_issue_gives_a_code_to_those_without_one_once_and_writes_one_audit_line() {
    let s = store();
    let region = s.seed_unit("Область", None);
    let office = s.seed_unit("Відділ", Some(region));
    let a = s.seed_employee("Анна", region);
    let b = s.seed_employee("Богдан", office);
    let gone = s.seed_employee("Віктор", office);
    s.conn()
        .execute(
            "UPDATE employees SET active = 0 WHERE id = ?1",
            [gone.get()],
        )
        .unwrap();
    let audit = Audit {
        at: Timestamp::from_unix_seconds(T),
        account: None,
        actor: "root@city.example".into(),
        action: "qr_bulk_issued",
        object: format!("unit:{}", region.get()),
        detail: "{}".into(),
    };
    let missing = Missing {
        unit: region,
        subtree: true,
        employees: None,
        channel: Channel::DESK,
    };
    let (issued, left) = s
        .issue_missing(&Scope::All, &missing, 1, 100, &audit)
        .await
        .unwrap();
    let mut who: Vec<EmployeeId> = issued.iter().map(|c| c.employee_id).collect();
    who.sort_unstable();
    assert_eq!(who, [a, b], "active employees of the subtree, each once");
    assert!(issued.iter().all(|c| c.issue == 1));
    assert_eq!(left, 0);
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'qr_bulk_issued'"
        ),
        1
    );
    // A second run finds nobody left and writes no audit line.
    let (again, left) = s
        .issue_missing(&Scope::All, &missing, 1, 100, &audit)
        .await
        .unwrap();
    assert!(again.is_empty());
    assert_eq!(left, 0);
    assert_eq!(
        count(
            &s,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'qr_bulk_issued'"
        ),
        1
    );
    // The list says who is left without a code: only the one who left.
    let page = s
        .list_employees(
            &Scope::All,
            &EmployeeFilter {
                name: None,
                status: Some(QrStatus::None),
                unit: None,
                channel: Channel::DESK,
                limit: 10,
                offset: 0,
            },
        )
        .await
        .unwrap();
    let left_out: Vec<(EmployeeId, bool)> =
        page.employees.iter().map(|e| (e.id, e.active)).collect();
    assert_eq!(left_out, [(gone, false)], "{page:?}");
    assert_eq!(page.total, 1);
}

#[tokio::test]
async fn a_bulk_issue_outside_the_scope_or_past_its_limit_leaves_the_rest_counted() {
    let s = store();
    let office = s.seed_unit("Відділ", None);
    let other = s.seed_unit("Інший", None);
    for n in 0..5 {
        s.seed_employee(&format!("Працівник {n}"), office);
    }
    let audit = Audit {
        at: Timestamp::from_unix_seconds(T),
        account: None,
        actor: "branch@city.example".into(),
        action: "qr_bulk_issued",
        object: format!("unit:{}", office.get()),
        detail: "{}".into(),
    };
    let missing = Missing {
        unit: office,
        subtree: false,
        employees: None,
        channel: Channel::DESK,
    };
    let outside = Scope::Subtrees(vec![other]);
    let (issued, left) = s
        .issue_missing(&outside, &missing, 1, 100, &audit)
        .await
        .unwrap();
    assert!(issued.is_empty());
    assert_eq!(left, 0, "nothing outside the scope is even counted");
    assert_eq!(count(&s, "SELECT COUNT(*) FROM qr_codes"), 0);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM audit_log"), 0);
    let (issued, left) = s
        .issue_missing(&Scope::All, &missing, 1, 3, &audit)
        .await
        .unwrap();
    assert_eq!((issued.len(), left), (3, 2));
}
