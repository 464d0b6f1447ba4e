//! Receipts and stored public pages on the native store: the store code the worker runs
//! (`db.rs`) and the SQL D1 runs, on the migrations' schema in an in-memory SQLite.

// Test-only (declared under `#[cfg(test)]` too): its unwraps never run in a worker.
#![cfg(test)]

use super::*;
use crate::clock::Timestamp;
use crate::receipt::{unhex, verify, Receipt};
use crate::results::ReceiptCheck;
use crate::store::sqlite::SqliteStore;

/// 2026-01-15 10:00 UTC, in a January that closes on 1 February.
const JANUARY: i64 = 1_767_225_600 + 14 * 86_400 + 10 * 3600;

fn vote_with(s: &SqliteStore, employee: u32, unit: u32, status: &str, at: i64, receipt: &Receipt) {
    s.conn()
        .execute(
            "INSERT INTO votes (employee_id, unit_id, qr_issue, score, lang, source, client_hash, created_at, status, receipt_hash) \
             VALUES (?1, ?2, 1, 3, 'uk', 'api', 'h', ?3, ?4, ?5)",
            rusqlite::params![employee, unit, at, status, receipt.stored_hash()],
        )
        .unwrap();
}

#[tokio::test]
async fn a_counted_receipt_proves_its_place_under_the_months_root_and_the_others_say_why_not() {
    let s = SqliteStore::new(Timestamp::from_unix_seconds(JANUARY));
    let unit = s.seed_unit("ЦНАП", None);
    let employee = s.seed_employee("Олена", unit);
    let (u, e) = (unit.get(), employee.get());
    let receipts: Vec<Receipt> = (0..5u8).map(|n| Receipt::from_random([n; 7])).collect();
    for (n, r) in receipts.iter().enumerate() {
        vote_with(&s, e, u, "counted", JANUARY + n as i64 * 60, r);
    }
    let repeat = Receipt::from_random([9; 7]);
    vote_with(&s, e, u, "duplicate", JANUARY + 600, &repeat);
    let february = Receipt::from_random([8; 7]);
    vote_with(&s, e, u, "counted", JANUARY + 20 * 86_400, &february);

    let closed = Timestamp::from_unix_seconds(JANUARY + 17 * 86_400);
    let digest = publish_tree(&s, "2026-01", closed).await.unwrap();
    assert_eq!(digest.counted, 5, "January's counted votes only");
    assert!(s.has_receipt_tree("2026-01").await.unwrap());
    let root = unhex(&digest.root).unwrap();
    for r in &receipts {
        let (check, read) = check_receipt(&s, r).await.unwrap();
        let ReceiptCheck::Counted {
            month, leaf, path, ..
        } = check
        else {
            panic!("{check:?}");
        };
        assert_eq!(month, "2026-01");
        assert!(
            verify(unhex(&leaf).unwrap(), &path, &root),
            "the path leads to the root"
        );
        // SQLite reports no rows read (D1 does): the count is D1's alone.
        assert_eq!(read, 0);
    }
    let (repeat_check, _) = check_receipt(&s, &repeat).await.unwrap();
    assert!(
        matches!(repeat_check, ReceiptCheck::NotCounted),
        "{repeat_check:?}"
    );
    let (open, _) = check_receipt(&s, &february).await.unwrap();
    assert!(
        matches!(&open, ReceiptCheck::Pending { month } if month == "2026-02"),
        "{open:?}"
    );
    let unknown = Receipt::from_random([7; 7]);
    let (none, _) = check_receipt(&s, &unknown).await.unwrap();
    assert!(matches!(none, ReceiptCheck::NotCounted), "{none:?}");
}

#[tokio::test]
async fn stored_pages_are_replaced_whole_with_their_version() {
    let s = SqliteStore::new(Timestamp::from_unix_seconds(JANUARY));
    let pages = vec![(1, "{\"a\":1}".to_owned()), (2, "{\"b\":2}".to_owned())];
    s.save_public("2026-01", &pages, "v1", JANUARY)
        .await
        .unwrap();
    assert_eq!(s.public_pages("2026-01").await.unwrap(), pages);
    assert_eq!(
        s.public_version("2026-01").await.unwrap(),
        Some(("v1".to_owned(), JANUARY))
    );
    let fewer = vec![(2, "{\"b\":3}".to_owned())];
    s.save_public("2026-01", &fewer, "v2", JANUARY + 60)
        .await
        .unwrap();
    assert_eq!(
        s.public_pages("2026-01").await.unwrap(),
        fewer,
        "unit 1 gone"
    );
    assert_eq!(s.public_page("2026-01", 1).await.unwrap(), None);
    assert_eq!(
        s.public_page("2026-01", 2).await.unwrap().as_deref(),
        Some("{\"b\":3}")
    );
    assert!(s.public_pages("2026-02").await.unwrap().is_empty());
}
