//! Appeals and comment moderation on the native store: the store code the worker runs
//! (`db.rs`), the SQL D1 runs (`sql.rs`, where "nobody acts on votes about themselves" and the
//! scope live) and the migrations' schema, on an in-memory SQLite. Deciding an appeal also
//! needs the admin store (who filed it, the unit's ancestors): that stays in `tests/api/`.

// Test-only (declared under `#[cfg(test)]` too): its unwraps never run in a worker.
#![cfg(test)]

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

/// The appeal's decider comes from above both the vote's unit and its filer: the rule joins the
/// appeal (`AppealStore`) with the unit's path and the filer's grants (`AdminStore`), all read
/// from the database the way the worker reads them.
#[tokio::test]
async fn an_appeal_is_decided_only_from_above_its_unit_and_its_filer_and_an_upheld_one_rejects_the_vote(
) {
    let store = SqliteStore::new(now());
    let region = store.seed_unit("Область", None);
    let office = store.seed_unit("Відділ", Some(region));
    let olena = store.seed_employee("Олена", office);
    store
        .conn()
        .execute_batch(&format!(
            "INSERT INTO accounts (id, email, password_hash, created_at, password_changed_at, employee_id) VALUES \
             (1, 'olena@city.example', '-', 0, 0, {olena}), (2, 'head@city.example', '-', 0, 0, NULL), \
             (3, 'deputy@city.example', '-', 0, 0, NULL), (4, 'region@city.example', '-', 0, 0, NULL); \
             INSERT INTO grants (account_id, role, unit_id) VALUES \
             (1, 'unit_admin', {region}), (2, 'unit_admin', {office}), (3, 'unit_admin', {office}), (4, 'unit_admin', {region});",
            olena = olena.get(),
            office = office.get(),
            region = region.get(),
        ))
        .unwrap();
    store
        .conn()
        .execute(
            "INSERT INTO votes (employee_id, unit_id, qr_issue, score, lang, source, client_hash, created_at) \
             VALUES (?1, ?2, 1, 1, 'uk', 'api', 'h', ?3)",
            rusqlite::params![olena.get(), office.get(), T - 60],
        )
        .unwrap();
    let vote = store.conn().last_insert_rowid();
    let head = admin(2, office);
    appeal::file(&store, &head, vote, REASON, now())
        .await
        .unwrap();
    let uphold = appeal::Decision::Uphold;
    // The filer does not decide; nor does another admin of the same unit, nor Olena herself,
    // though her account administers the whole region.
    let filer = appeal::decide(&store, &head, vote, uphold, None, now()).await;
    assert!(matches!(filer, Err(AdminError::Conflict(_))), "{filer:?}");
    let deputy = appeal::decide(&store, &admin(3, office), vote, uphold, None, now()).await;
    assert!(
        matches!(deputy, Err(AdminError::NeedsOversight(_))),
        "{deputy:?}"
    );
    let herself = appeal::decide(&store, &admin(1, region), vote, uphold, None, now()).await;
    assert!(
        matches!(herself, Err(AdminError::NeedsOversight(_))),
        "{herself:?}"
    );
    let status = |store: &SqliteStore| -> String {
        store
            .conn()
            .query_row("SELECT status FROM votes WHERE id = ?1", [vote], |r| {
                r.get(0)
            })
            .unwrap()
    };
    assert_eq!(status(&store), "counted", "nothing decided yet");
    // The region's administrator is above both.
    appeal::decide(
        &store,
        &admin(4, region),
        vote,
        uphold,
        Some("Перевірено"),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(status(&store), "rejected");
    let again = appeal::decide(
        &store,
        &admin(4, region),
        vote,
        appeal::Decision::Dismiss,
        None,
        now(),
    )
    .await;
    assert!(matches!(again, Err(AdminError::Conflict(_))), "{again:?}");
    let audited: i64 = store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('appeal_filed', 'appeal_upheld')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 2);
}
