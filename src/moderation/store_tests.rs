//! Appeals and comment moderation on the native store: the store code the worker runs
//! (`db.rs`), the SQL D1 runs (`sql.rs`, where "nobody acts on votes about themselves" and the
//! scope live) and the migrations' schema, on an in-memory SQLite. Deciding an appeal also
//! needs the admin store (who filed it, the unit's ancestors): that stays in `tests/api/`.

use super::appeal::{self, Reason};
use super::store::{AppealStore, ModerationStore};
use super::*;
use crate::account::{AccountId, Grant, Via};
use crate::org::{EmployeeId, UnitId};
use crate::store::sqlite::SqliteStore;

/// 2026-01-01 10:00 UTC.
const T: i64 = 1_767_225_600 + 10 * 3600;

fn now() -> Timestamp {
    Timestamp::from_unix_seconds(T)
}

struct World {
    store: SqliteStore,
    office: UnitId,
    other: UnitId,
    olena: EmployeeId,
    stranger: EmployeeId,
}

impl World {
    /// An office with Olena, whose account administers the office; another office.
    fn new() -> World {
        let store = SqliteStore::new(now());
        let office = store.seed_unit("Відділ", None);
        let other = store.seed_unit("Інший відділ", None);
        let olena = store.seed_employee("Олена", office);
        let stranger = store.seed_employee("Чужий", other);
        store
            .conn()
            .execute(
                "INSERT INTO accounts (id, email, password_hash, created_at, password_changed_at, employee_id) \
                 VALUES (1, 'olena@city.example', '-', 0, 0, ?1), (2, 'head@city.example', '-', 0, 0, NULL)",
                [olena.get()],
            )
            .unwrap();
        World {
            store,
            office,
            other,
            olena,
            stranger,
        }
    }

    /// A vote about `employee` with `comment`; returns its id.
    fn vote(&self, employee: EmployeeId, unit: UnitId, status: &str, comment: &str) -> i64 {
        self.store
            .conn()
            .execute(
                "INSERT INTO votes (employee_id, unit_id, qr_issue, score, comment, lang, source, client_hash, created_at, status) \
                 VALUES (?1, ?2, 1, 1, ?3, 'uk', 'api', 'h', ?4, ?5)",
                rusqlite::params![employee.get(), unit.get(), comment, T - 60, status],
            )
            .unwrap();
        self.store.conn().last_insert_rowid()
    }

    fn count(&self, sql: &str) -> i64 {
        self.store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

fn admin(account: u32, unit: UnitId) -> Principal {
    Principal {
        account: AccountId::parse(i64::from(account)).unwrap(),
        email: format!("{account}@city.example"),
        grants: vec![Grant::UnitAdmin(unit)],
        via: Via::ApiToken,
    }
}

const REASON: &str = "Громадянин сплутав кабінет: його приймав інший працівник";

#[tokio::test]
async fn nobody_appeals_or_moderates_a_vote_about_themselves() {
    let w = World::new();
    let about_olena = w.vote(w.olena, w.office, "counted", "Грубо відповіла");
    let olena = admin(1, w.office);
    let filed = appeal::file(&w.store, &olena, about_olena, REASON, now()).await;
    assert!(
        matches!(filed, Err(AdminError::NotFound("vote"))),
        "{filed:?}"
    );
    let hidden = moderate(&w.store, &olena, about_olena, &Decision::Withhold, now()).await;
    assert!(
        matches!(hidden, Err(AdminError::NotFound("comment"))),
        "{hidden:?}"
    );
    // The store refuses too, whatever a use case might ask: the rule is in the SQL.
    let audit = Audit {
        at: now(),
        account: Some(olena.account),
        actor: olena.actor(),
        action: "appeal_filed",
        object: format!("vote:{about_olena}"),
        detail: "{}".into(),
    };
    assert!(!w
        .store
        .file_appeal(None, about_olena, REASON, &audit)
        .await
        .unwrap());
    assert_eq!(w.count("SELECT COUNT(*) FROM vote_appeals"), 0);
    assert_eq!(w.count("SELECT COUNT(*) FROM comment_moderation"), 0);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log"),
        0,
        "no audit line either"
    );
    // Her head, who is not the vote's employee, may.
    let head = admin(2, w.office);
    appeal::file(&w.store, &head, about_olena, REASON, now())
        .await
        .unwrap();
    let withheld = Decision::parse("withhold", None).unwrap();
    moderate(&w.store, &head, about_olena, &withheld, now())
        .await
        .unwrap();
    assert_eq!(w.count("SELECT COUNT(*) FROM vote_appeals"), 1);
    assert_eq!(
        w.count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('appeal_filed', 'comment_withheld')"
        ),
        2
    );
}

#[tokio::test]
async fn an_appeal_is_filed_once_only_for_a_vote_that_counts_and_only_within_the_subtree() {
    let w = World::new();
    let head = admin(2, w.office);
    let counted = w.vote(w.olena, w.office, "counted", "");
    let repeat = w.vote(w.olena, w.office, "duplicate", "");
    let elsewhere = w.vote(w.stranger, w.other, "counted", "");
    appeal::file(&w.store, &head, counted, REASON, now())
        .await
        .unwrap();
    let twice = appeal::file(&w.store, &head, counted, REASON, now()).await;
    assert!(matches!(twice, Err(AdminError::Conflict(_))), "{twice:?}");
    let not_counted = appeal::file(&w.store, &head, repeat, REASON, now()).await;
    assert!(
        matches!(not_counted, Err(AdminError::Conflict(_))),
        "{not_counted:?}"
    );
    let outside = appeal::file(&w.store, &head, elsewhere, REASON, now()).await;
    assert!(
        matches!(outside, Err(AdminError::NotFound("vote"))),
        "{outside:?}"
    );
    let short = appeal::file(&w.store, &head, elsewhere, "брехня", now()).await;
    assert!(
        matches!(short, Err(AdminError::Invalid { .. })),
        "{short:?}"
    );
    assert!(Reason::parse(REASON).is_ok());
    let listed = appeal::list(&w.store, &head, true, None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(w.count("SELECT COUNT(*) FROM vote_appeals"), 1);
    assert_eq!(w.count("SELECT COUNT(*) FROM audit_log"), 1);
}

#[tokio::test]
async fn a_published_comment_shows_its_cleaned_text_without_the_employee_and_only_while_the_vote_counts(
) {
    let w = World::new();
    let head = admin(2, w.office);
    let thanks = w.vote(
        w.olena,
        w.office,
        "counted",
        "Дякую Олені, все швидко! +380 67 123 45 67",
    );
    let cleaned = Decision::parse("publish", Some("Дякую, все швидко!")).unwrap();
    moderate(&w.store, &head, thanks, &cleaned, now())
        .await
        .unwrap();
    let shown = w
        .store
        .published_comments(i64::from(w.office.get()), T - 3600, T)
        .await
        .unwrap();
    let json = serde_json::to_string(&shown).unwrap();
    assert!(json.contains("Дякую, все швидко!"), "{json}");
    assert!(!json.contains("Олен") && !json.contains("380"), "{json}");
    // A comment of another branch is not found, and one without text is nothing to moderate.
    let elsewhere = w.vote(w.stranger, w.other, "counted", "Добре");
    let refused = moderate(&w.store, &head, elsewhere, &cleaned, now()).await;
    assert!(
        matches!(refused, Err(AdminError::NotFound("comment"))),
        "{refused:?}"
    );
    let silent = w.vote(w.olena, w.office, "counted", "");
    let refused = moderate(&w.store, &head, silent, &cleaned, now()).await;
    assert!(
        matches!(refused, Err(AdminError::NotFound("comment"))),
        "{refused:?}"
    );
    // Once the vote stops counting (an upheld appeal rejects it), the comment leaves the page.
    w.store
        .conn()
        .execute(
            "UPDATE votes SET status = 'rejected' WHERE id = ?1",
            [thanks],
        )
        .unwrap();
    let shown = w
        .store
        .published_comments(i64::from(w.office.get()), T - 3600, T)
        .await
        .unwrap();
    assert!(shown.is_empty());
}
