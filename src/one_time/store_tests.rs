//! One-time codes' use cases on the native store: the store code the worker runs (`db.rs`), the
//! SQL text D1 runs (`sql.rs`) and the migrations' schema, on an in-memory SQLite. What needs
//! the runtime (the HTTP answers, two votes racing for one code, the slips page) stays in
//! `tests/api/one_time.rs`.

// Test-only (declared under `#[cfg(test)]` too): its unwraps never run in a worker.
#![cfg(test)]

use super::*;
use crate::account::Grant;
use crate::qr::PublicBaseUrl;
use crate::store::sqlite::{admin_of, root, SqliteStore};

/// 2026-01-01 10:00 UTC.
const T: i64 = 1_767_225_600 + 10 * 3600;

struct World {
    store: SqliteStore,
    ring: KeyRing,
    base: PublicBaseUrl,
}

impl World {
    fn new() -> World {
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        let store = SqliteStore::new(Timestamp::from_unix_seconds(T));
        store.seed_accounts();
        World {
            store,
            ring: KeyRing::parse(&format!("1:{key}")).unwrap(),
            base: PublicBaseUrl::parse("https://rate.city.example").unwrap(),
        }
    }

    fn issuer(&self, min_votes: u32) -> Issuer<'_> {
        Issuer {
            ring: &self.ring,
            base: &self.base,
            shard: 0,
            min_votes,
        }
    }

    /// A batch for `unit` with the request's defaults, issued by `by` (results shown from 10
    /// votes).
    async fn issue_plain(&self, by: &Principal, unit: UnitId) -> Result<Batch, AdminError> {
        issue(
            &self.store,
            self.issuer(10),
            by,
            unit,
            &request(serde_json::json!({})),
            now(),
        )
        .await
    }

    fn count(&self, sql: &str) -> i64 {
        self.store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// Everything a refused request could have written.
    fn written(&self) -> (i64, i64, i64) {
        (
            self.count("SELECT COUNT(*) FROM one_time_batches"),
            self.count("SELECT COUNT(*) FROM one_time_codes"),
            self.count("SELECT COUNT(*) FROM audit_log"),
        )
    }

    /// Marks the code as spent, as the vote path does when it takes the code's vote.
    fn spend(&self, slip: &Slip, channel: Channel) {
        let claims = Claims {
            shard: 0,
            employee: slip.employee_id,
            channel,
            issue: slip.serial,
            kind: CodeKind::OneTime,
        };
        let mark = self.ring.spent_mark(1, &claims).unwrap();
        self.store
            .conn()
            .execute("INSERT INTO one_time_spent (mark) VALUES (?1)", [mark])
            .unwrap();
    }
}

fn request(body: serde_json::Value) -> BatchRequest {
    BatchRequest::parse(&serde_json::from_value(body).unwrap()).unwrap()
}

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(T)
}

fn serials(batch: &Batch, employee: EmployeeId) -> Vec<u16> {
    batch
        .codes
        .iter()
        .filter(|c| c.employee_id == employee)
        .map(|c| c.serial)
        .collect()
}

#[tokio::test]
async fn a_batch_numbers_each_employees_codes_and_the_next_batch_continues_them() {
    let w = World::new();
    let unit = w.store.seed_unit("Відділ листування", None);
    let olena = w.store.seed_employee("Олена Коваль", unit);
    let ivan = w.store.seed_employee("Іван Бондар", unit);
    let body = serde_json::json!({"per_employee": 2, "channel": 2, "document": "№ 17/4-2026"});
    let first = issue(&w.store, w.issuer(10), &root(), unit, &request(body), now())
        .await
        .unwrap();
    assert_eq!(first.batch.codes, 4);
    assert_eq!(first.batch.document.as_deref(), Some("№ 17/4-2026"));
    assert_eq!(first.batch.issued_by, "root@city.example");
    assert_eq!(first.batch.expires_at, T + 90 * 86_400);
    assert_eq!(serials(&first, olena), [1, 2]);
    assert_eq!(serials(&first, ivan), [1, 2]);
    let body = serde_json::json!({"employees": [olena.get()], "channel": 2});
    let second = issue(&w.store, w.issuer(10), &root(), unit, &request(body), now())
        .await
        .unwrap();
    assert_eq!(serials(&second, olena), [3]);
    assert_eq!(serials(&second, ivan), [] as [u16; 0]);
    // Another channel numbers apart.
    let body = serde_json::json!({"employees": [olena.get()], "channel": 1});
    let desk = issue(&w.store, w.issuer(10), &root(), unit, &request(body), now())
        .await
        .unwrap();
    assert_eq!(serials(&desk, olena), [1]);
    // One audit line per batch, naming it.
    let objects: Vec<String> = w
        .store
        .conn()
        .prepare("SELECT object FROM audit_log WHERE action = 'one_time_codes_issued' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<String> = [&first, &second, &desk]
        .iter()
        .map(|b| format!("one_time_batch:{}", b.batch.id))
        .collect();
    assert_eq!(objects, expected);
}

#[tokio::test]
async fn a_unit_admin_neither_prints_nor_sees_nor_revokes_another_branchs_batches() {
    let w = World::new();
    let mine = w.store.seed_unit("Мій відділ", None);
    let theirs = w.store.seed_unit("Чужий відділ", None);
    w.store.seed_employee("Свій", mine);
    w.store.seed_employee("Чужий", theirs);
    let theirs_batch = w.issue_plain(&root(), theirs).await.unwrap();
    let before = w.written();
    let me = admin_of(mine);
    let refused = w.issue_plain(&me, theirs).await;
    assert!(
        matches!(refused, Err(AdminError::NotFound("unit"))),
        "{refused:?}"
    );
    let id = theirs_batch.batch.id;
    let shown = codes_of(&w.store, w.issuer(10), &me, id).await;
    assert!(
        matches!(shown, Err(AdminError::NotFound("batch"))),
        "{shown:?}"
    );
    let listed = batches(&w.store, w.issuer(10), &me, theirs).await;
    assert!(
        matches!(listed, Err(AdminError::NotFound("unit"))),
        "{listed:?}"
    );
    let revoked = revoke(&w.store, &me, id, now()).await;
    assert!(
        matches!(revoked, Err(AdminError::NotFound("batch"))),
        "{revoked:?}"
    );
    assert_eq!(w.written(), before, "nothing written");
    // Their own unit is theirs to print for.
    let own = w.issue_plain(&me, mine).await.unwrap();
    assert_eq!(own.batch.codes, 1);
    // A viewer of the unit may not print at all.
    let viewer = Principal {
        grants: vec![Grant::Viewer(mine)],
        ..me
    };
    let refused = w.issue_plain(&viewer, mine).await;
    assert!(matches!(refused, Err(AdminError::Forbidden)), "{refused:?}");
}

#[tokio::test]
async fn an_unknown_direction_or_an_inactive_unit_writes_no_batch_no_code_and_no_audit_line() {
    let w = World::new();
    let unit = w.store.seed_unit("Відділ", None);
    w.store.seed_employee("Свій", unit);
    let empty = w.store.seed_unit("Порожній відділ", None);
    let before = w.written();
    let unknown = issue(
        &w.store,
        w.issuer(10),
        &root(),
        unit,
        &request(serde_json::json!({"direction": 999})),
        now(),
    )
    .await;
    assert!(
        matches!(unknown, Err(AdminError::NotFound("unit or direction"))),
        "{unknown:?}"
    );
    let none = w.issue_plain(&root(), empty).await;
    assert!(matches!(none, Err(AdminError::Conflict(_))), "{none:?}");
    w.store
        .conn()
        .execute("UPDATE units SET active = 0 WHERE id = ?1", [unit.get()])
        .unwrap();
    let closed = w.issue_plain(&root(), unit).await;
    assert!(
        matches!(closed, Err(AdminError::NotFound("unit"))),
        "{closed:?}"
    );
    assert_eq!(w.written(), before);
}

#[tokio::test]
async fn a_batch_is_revoked_once_with_one_audit_line() {
    let w = World::new();
    let unit = w.store.seed_unit("Відділ загублених талонів", None);
    w.store.seed_employee("Оксана Лисенко", unit);
    let lost = w.issue_plain(&root(), unit).await.unwrap();
    let id = lost.batch.id;
    revoke(&w.store, &root(), id, now()).await.unwrap();
    let again = revoke(&w.store, &root(), id, now()).await;
    assert!(matches!(again, Err(AdminError::Conflict(_))), "{again:?}");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'one_time_codes_revoked'"),
        1
    );
    let shown = codes_of(&w.store, w.issuer(10), &root(), id).await.unwrap();
    assert_eq!(shown.batch.revoked_at, Some(T));
}

#[tokio::test]
async fn used_codes_are_counted_from_spent_marks_and_withheld_for_letters_and_small_batches() {
    let w = World::new();
    let unit = w.store.seed_unit("Зала черги", None);
    w.store.seed_employee("Тарас Олійник", unit);
    w.store.seed_employee("Ліна Кравець", unit);
    let queue = issue(
        &w.store,
        w.issuer(10),
        &root(),
        unit,
        &request(serde_json::json!({"per_employee": 6})),
        now(),
    )
    .await
    .unwrap();
    assert_eq!((queue.batch.codes, queue.batch.used), (12, Some(0)));
    for slip in queue.codes.iter().take(3) {
        w.spend(slip, queue.batch.channel);
    }
    let letter = issue(
        &w.store,
        w.issuer(10),
        &root(),
        unit,
        &request(serde_json::json!({"per_employee": 6, "channel": 2, "document": "№ 45/2"})),
        now(),
    )
    .await
    .unwrap();
    w.spend(&letter.codes[0], letter.batch.channel);
    let small = w.issue_plain(&root(), unit).await.unwrap();

    let listed = batches(&w.store, w.issuer(10), &root(), unit)
        .await
        .unwrap();
    let seen: Vec<(i64, Option<i64>, Option<&str>)> = listed
        .iter()
        .map(|b| (b.id, b.used, b.used_withheld))
        .collect();
    assert_eq!(
        seen,
        [
            (small.batch.id, None, Some("few_codes")),
            (letter.batch.id, None, Some("document")),
            (queue.batch.id, Some(3), None),
        ],
        "newest first"
    );
    let opened = codes_of(&w.store, w.issuer(10), &root(), queue.batch.id)
        .await
        .unwrap();
    assert_eq!(opened.batch.used, Some(3));
    // A mark of another shard's code is not this batch's.
    let foreign = Issuer {
        shard: 3,
        ..w.issuer(10)
    };
    let elsewhere = codes_of(&w.store, foreign, &root(), queue.batch.id)
        .await
        .unwrap();
    assert_eq!(elsewhere.batch.used, Some(0));
    // Nothing per code says whether it was used.
    let columns = w.count(
        "SELECT COUNT(*) FROM pragma_table_info('one_time_codes') WHERE name IN ('vote_id', 'used_at')",
    );
    assert_eq!(columns, 0);
}

#[tokio::test]
async fn the_slips_of_a_batch_are_signed_again_and_each_opens_its_own_code() {
    let w = World::new();
    let unit = w.store.seed_unit("Відділ звернень", None);
    let galyna = w.store.seed_employee("Галина Ткаченко", unit);
    let printed = issue(
        &w.store,
        w.issuer(10),
        &root(),
        unit,
        &request(serde_json::json!({"per_employee": 3})),
        now(),
    )
    .await
    .unwrap();
    let again = codes_of(&w.store, w.issuer(10), &root(), printed.batch.id)
        .await
        .unwrap();
    let tokens = |b: &Batch| b.codes.iter().map(|c| c.token.clone()).collect::<Vec<_>>();
    assert_eq!(tokens(&again), tokens(&printed), "tokens are deterministic");
    for slip in &again.codes {
        let claims = w
            .ring
            .verify(&crate::token::Token::parse(&slip.token).unwrap())
            .unwrap();
        assert_eq!(claims.employee, galyna);
        assert_eq!(claims.kind, CodeKind::OneTime);
        assert_eq!(claims.issue, slip.serial);
        // In capitals: the QR code's alphanumeric mode makes the smaller code.
        assert_eq!(
            slip.url,
            format!("HTTPS://RATE.CITY.EXAMPLE/R/{}", slip.token.to_uppercase())
        );
    }
    // A key gone from the ring: its codes no longer work and are left off the slips.
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD.encode([2u8; 32]);
    let rotated = KeyRing::parse(&format!("2:{key}")).unwrap();
    let after = codes_of(
        &w.store,
        Issuer {
            ring: &rotated,
            ..w.issuer(10)
        },
        &root(),
        printed.batch.id,
    )
    .await
    .unwrap();
    assert!(after.codes.is_empty());
    assert_eq!(after.batch.codes, 3);
}
