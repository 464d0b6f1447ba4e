//! The vote path's use cases (`service`) on the native store: the rules that live in SQL, or
//! across SQL and Rust, without `wrangler dev`. Seeds go through the admin's own statements
//! (`sql::INSERT_UNIT_IN_SCOPE` and friends, with the NULL scope of a whole-instance admin and
//! without their audit lines), so a unit's closure and a code's issue number are made as the
//! worker makes them.

use super::SqliteStore;
use crate::clock::Timestamp;
use crate::i18n::Lang;
use crate::integrity::Flag;
use crate::org::{Channel, EmployeeId, UnitId};
use crate::receipt::Receipt;
use crate::store::statement::{Arg, Statement};
use crate::store::{sql, CodeStatus, NewVote, Recorded, Source, Store};
use crate::token::{Claims, CodeKind, KeyRing};
use crate::voting::service::{
    self, Arrival, Client, ClientLimits, CodeError, NoChallenge, Submission, VerifiedCode,
    VoteError,
};
use crate::voting::vote::{Ballot, InputError};

/// 2026-01-01 10:00 UTC.
const T: i64 = 1_767_225_600 + 10 * 3600;
const DAY: i64 = 86_400;

struct World {
    store: SqliteStore,
    ring: KeyRing,
    receipt: Receipt,
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_seconds(seconds)
}

fn api(score: i64) -> Submission<'static> {
    Submission {
        score: Some(score),
        comment: "",
        contact: "",
        lang: Lang::Uk,
        source: Source::Api,
        page_stamp: None,
        criteria: &[],
        challenge: None,
    }
}

impl World {
    fn new() -> World {
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        World {
            store: SqliteStore::new(at(T)),
            ring: KeyRing::parse(&format!("1:{key}")).unwrap(),
            receipt: Receipt::from_random([7; 7]),
        }
    }

    fn unit(&self, name: &str, parent: Option<UnitId>) -> UnitId {
        self.store.seed_unit(name, parent)
    }

    fn employee(&self, name: &str, unit: UnitId) -> EmployeeId {
        self.store.seed_employee(name, unit)
    }

    /// A new issue of the employee's code on `channel` (revoking the older ones), verified.
    fn issue(&self, employee: EmployeeId, channel: Channel) -> VerifiedCode {
        let (e, c) = (Arg::num(employee.get()), Arg::num(channel.get()));
        let done = self
            .store
            .batch(&[
                Statement {
                    sql: sql::INSERT_CODE_IN_SCOPE,
                    args: vec![
                        e.clone(),
                        c.clone(),
                        Arg::num(1),
                        Arg::Num(T as f64),
                        Arg::Null,
                        Arg::Null,
                    ],
                },
                Statement {
                    sql: sql::REVOKE_OLDER_CODES,
                    args: vec![e, c, Arg::Num(T as f64)],
                },
            ])
            .unwrap();
        let issue = done[0].rows[0].int("issue").unwrap();
        self.code(employee, channel, u16::try_from(issue).unwrap())
    }

    /// A code signed by the instance's key, issued or not.
    fn code(&self, employee: EmployeeId, channel: Channel, issue: u16) -> VerifiedCode {
        let claims = Claims {
            shard: 0,
            employee,
            channel,
            issue,
            kind: CodeKind::Standing,
        };
        VerifiedCode::verify(&self.ring, self.ring.sign(&claims).as_str()).unwrap()
    }

    fn person(&self, name: &str, unit: UnitId) -> (EmployeeId, VerifiedCode) {
        let employee = self.employee(name, unit);
        (employee, self.issue(employee, Channel::DESK))
    }

    fn revoke(&self, employee: EmployeeId, channel: Channel) {
        self.store
            .batch(&[Statement {
                sql: sql::REVOKE_CODES_IN_SCOPE,
                args: vec![
                    Arg::num(employee.get()),
                    Arg::num(channel.get()),
                    Arg::Num(T as f64),
                    Arg::Null,
                ],
            }])
            .unwrap();
    }

    /// The employee leaves (`PATCH … {"active": false}`).
    fn leave(&self, employee: EmployeeId) {
        self.store
            .batch(&[Statement {
                sql: sql::UPDATE_EMPLOYEE,
                args: vec![
                    Arg::Null,
                    Arg::num(employee.get()),
                    Arg::Null,
                    Arg::Null,
                    Arg::num(0),
                    Arg::Null,
                ],
            }])
            .unwrap();
    }

    fn networks(&self, unit: UnitId, cidrs: &[&str]) {
        let mut statements = vec![Statement {
            sql: sql::CLEAR_UNIT_NETWORKS,
            args: vec![Arg::num(unit.get())],
        }];
        for cidr in cidrs {
            statements.push(Statement {
                sql: sql::INSERT_UNIT_NETWORK,
                args: vec![Arg::num(unit.get()), Arg::text(cidr)],
            });
        }
        self.store.batch(&statements).unwrap();
    }

    fn count(&self, query: &str) -> i64 {
        self.store
            .conn()
            .query_row(query, [], |r| r.get(0))
            .unwrap()
    }

    fn votes_of(&self, employee: EmployeeId) -> i64 {
        self.count(&format!(
            "SELECT COUNT(*) FROM votes WHERE employee_id = {employee}"
        ))
    }

    async fn cast(
        &self,
        code: &VerifiedCode,
        vote: Submission<'_>,
        address: &str,
        seconds: i64,
        limits: ClientLimits,
    ) -> Result<(), VoteError> {
        let when = at(seconds);
        let salt = format!("salt of {}", when.utc_day());
        service::cast_vote(
            &self.store,
            &self.ring,
            &NoChallenge,
            code,
            vote,
            Client { address },
            Arrival {
                at: when,
                fresh_salt: &salt,
                limits,
                receipt: &self.receipt,
            },
        )
        .await
    }

    async fn vote(&self, code: &VerifiedCode, score: i64, address: &str) -> Result<(), VoteError> {
        self.cast(code, api(score), address, T, ClientLimits::DEFAULT)
            .await
    }

    async fn open(&self, code: &VerifiedCode) -> Result<CodeStatus, CodeError> {
        let code = VerifiedCode::verify(&self.ring, code.token().as_str())?;
        service::open_code(&self.store, code)
            .await
            .map(|open| open.holder.status)
    }
}

fn revoked(result: Result<(), VoteError>) -> bool {
    matches!(result, Err(VoteError::Code(CodeError::Revoked)))
}

#[tokio::test]
async fn a_vote_is_recorded_once_with_its_fields_and_its_contact_kept_apart() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, code) = w.person("Наталія Мельник", unit);
    let vote = Submission {
        comment: "Довго чекав",
        contact: "+38 (067) 123-45-67",
        lang: Lang::En,
        ..api(2)
    };
    w.cast(&code, vote, "203.0.113.77", T, ClientLimits::DEFAULT)
        .await
        .unwrap();

    assert_eq!(w.votes_of(employee), 1);
    let row = w
        .store
        .conn()
        .query_row(
            "SELECT unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, \
                    created_at, status, flag_reason, receipt_hash, network_hash FROM votes",
            [],
            |r| {
                Ok((
                    (r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?),
                    (r.get::<_, String>(4)?, r.get::<_, i64>(5)?, r.get::<_, String>(6)?, r.get::<_, String>(7)?),
                    (r.get::<_, String>(8)?, r.get::<_, i64>(9)?, r.get::<_, String>(10)?, r.get::<_, Option<String>>(11)?),
                    (r.get::<_, String>(12)?, r.get::<_, String>(13)?),
                ))
            },
        )
        .unwrap();
    assert_eq!(
        row.0,
        (i64::from(unit.get()), 1, 1, 2),
        "unit, channel, issue, score"
    );
    assert_eq!(
        (
            row.1 .0.as_str(),
            row.1 .1,
            row.1 .2.as_str(),
            row.1 .3.as_str()
        ),
        ("Довго чекав", 1, "en", "api")
    );
    let salt = format!("salt of {}", at(T).utc_day());
    let client = Client {
        address: "203.0.113.77",
    };
    assert_eq!(row.2 .0, service::client_hash(&salt, client, employee));
    assert_eq!(
        (row.2 .1, row.2 .2.as_str(), row.2 .3.as_deref()),
        (T, "counted", None)
    );
    assert_eq!(row.3 .0, w.receipt.stored_hash());
    assert_eq!(row.3 .1, service::network_hash(&salt, client));

    let (contact, contact_at): (String, i64) = w
        .store
        .conn()
        .query_row(
            "SELECT c.contact, c.created_at FROM vote_contacts c JOIN votes v ON v.id = c.vote_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((contact.as_str(), contact_at), ("+380671234567", T));
    let dump: String = w
        .store
        .conn()
        .query_row(
            "SELECT group_concat(client_hash || coalesce(network_hash, '') || coalesce(comment, '')) FROM votes",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!dump.contains("203.0.113.77"), "no address is stored");
    assert_eq!(w.count("SELECT SUM(votes) FROM client_counters"), 1);
}

#[tokio::test]
async fn votes_are_counted_per_score_in_the_summary_of_their_days() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, code) = w.person("Олег Бондар", unit);
    for (i, score) in [1, 2, 2, 3].into_iter().enumerate() {
        w.vote(&code, score, &format!("203.0.113.{i}"))
            .await
            .unwrap();
    }
    // The day after, outside a range of 2026-01-01 alone.
    w.cast(&code, api(3), "203.0.113.9", T + DAY, ClientLimits::DEFAULT)
        .await
        .unwrap();
    let today = at(T).utc_day();
    let range = crate::clock::DayRange::parse(
        Some(&today),
        Some(&today),
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    )
    .unwrap();
    let summary = service::summary(&w.store, employee, range).await.unwrap();
    assert_eq!(summary.votes, 4);
    assert_eq!(
        summary.by_score.into_iter().collect::<Vec<_>>(),
        [("1".into(), 1), ("2".into(), 2), ("3".into(), 1)]
    );
    assert_eq!(summary.excluded, 0);
    assert_eq!(
        w.store
            .score_counts(employee, T - DAY, T + 2 * DAY)
            .await
            .unwrap(),
        Some(crate::store::ScoreCounts {
            by_score: vec![(1, 1), (2, 2), (3, 2)],
            excluded: 0
        })
    );
    assert_eq!(
        w.store
            .score_counts(EmployeeId::parse(999).unwrap(), 0, T)
            .await
            .unwrap(),
        None,
        "no such employee"
    );
}

#[tokio::test]
async fn a_revoked_code_is_refused_and_writes_nothing_not_even_the_devices_count() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, code) = w.person("Сергій Мороз", unit);
    w.revoke(employee, Channel::DESK);
    assert!(matches!(w.open(&code).await, Err(CodeError::Revoked)));
    let vote = Submission {
        contact: "a@b.ua",
        ..api(3)
    };
    assert!(revoked(
        w.cast(&code, vote, "203.0.113.95", T, ClientLimits::DEFAULT)
            .await
    ));
    assert_eq!(w.votes_of(employee), 0);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM vote_contacts"),
        0,
        "no orphan contact"
    );
    assert_eq!(
        w.count("SELECT COALESCE(SUM(votes), 0) FROM client_counters"),
        0
    );
}

#[tokio::test]
async fn reissuing_a_code_revokes_the_older_one() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, old) = w.person("Лариса Савчук", unit);
    let new = w.issue(employee, Channel::DESK);
    assert_eq!(new.claims().issue, 2);
    assert!(revoked(w.vote(&old, 3, "203.0.113.1").await));
    w.vote(&new, 3, "203.0.113.1").await.unwrap();
    assert_eq!(w.votes_of(employee), 1);
    assert_eq!(
        w.count("SELECT qr_issue FROM votes"),
        2,
        "the vote keeps its code's issue"
    );
}

#[tokio::test]
async fn codes_per_channel_are_independent() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, desk) = w.person("Тарас Олійник", unit);
    let letter = w.issue(employee, Channel::WRITTEN_REPLY);
    assert_eq!(letter.claims().issue, 1);
    w.vote(&desk, 2, "203.0.113.1").await.unwrap();
    w.vote(&letter, 3, "203.0.113.2").await.unwrap();
    assert_eq!(w.count("SELECT COUNT(DISTINCT channel) FROM votes"), 2);
    w.revoke(employee, Channel::WRITTEN_REPLY);
    assert!(revoked(w.vote(&letter, 3, "203.0.113.3").await));
    w.vote(&desk, 1, "203.0.113.3").await.unwrap();
}

#[tokio::test]
async fn the_code_of_an_employee_who_has_left_is_refused_as_revoked() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, code) = w.person("Ірина Бойко", unit);
    assert_eq!(w.open(&code).await.unwrap(), CodeStatus::Current);
    w.leave(employee);
    assert!(matches!(w.open(&code).await, Err(CodeError::Revoked)));
    assert!(revoked(w.vote(&code, 3, "203.0.113.1").await));
    assert_eq!(w.votes_of(employee), 0);
}

#[tokio::test]
async fn a_signed_code_never_issued_or_naming_nobody_is_invalid() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, _) = w.person("Богдан Лисенко", unit);
    let future = w.code(employee, Channel::DESK, 7);
    assert!(matches!(w.open(&future).await, Err(CodeError::Invalid)));
    assert!(matches!(
        w.vote(&future, 3, "203.0.113.1").await,
        Err(VoteError::Code(CodeError::Invalid))
    ));
    let nobody = w.code(EmployeeId::parse(4242).unwrap(), Channel::DESK, 1);
    assert!(matches!(w.open(&nobody).await, Err(CodeError::Invalid)));
    assert_eq!(w.count("SELECT COUNT(*) FROM votes"), 0);
}

#[tokio::test]
async fn a_network_over_the_daily_limit_is_refused_until_the_next_utc_day_and_another_is_not() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let limits = ClientLimits::parse(Some("3")).unwrap();
    let people: Vec<_> = ["Перший", "Другий", "Третій", "Четвертий"]
        .into_iter()
        .map(|name| w.person(name, unit))
        .collect();
    // One IPv6 /64 is one network, whatever its last bits.
    for (i, (_, code)) in people[..3].iter().enumerate() {
        let address = format!("2001:db8:5:6::{}", i + 1);
        w.cast(code, api(3), &address, T, limits).await.unwrap();
    }
    let (fourth, code) = &people[3];
    let refused = w
        .cast(code, api(3), "2001:db8:5:6:ffff::1", T + 60, limits)
        .await;
    match refused {
        Err(VoteError::RateLimited { retry_after }) => {
            assert_eq!(
                i64::from(retry_after),
                DAY - (T + 60) % DAY,
                "until UTC midnight"
            )
        }
        other => panic!("expected the daily limit, got {other:?}"),
    }
    assert_eq!(w.votes_of(*fourth), 0);
    w.cast(code, api(3), "2001:db8:5:7::1", T + 61, limits)
        .await
        .expect("another network");
    let midnight = (T / DAY + 1) * DAY;
    w.cast(code, api(2), "2001:db8:5:6::1", midnight, limits)
        .await
        .expect("a new UTC day starts a new count");
    assert_eq!(w.votes_of(*fourth), 2);
}

#[tokio::test]
async fn repeat_votes_from_one_network_are_all_recorded_under_one_hash_per_employee() {
    // Which repeats count is the hourly screening's decision (`integrity::screen_addresses`,
    // by `network_hash` and `client_hash`); here, what it gets to see.
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (first, code) = w.person("Максим Дорошенко", unit);
    let (second, other) = w.person("Софія Мартинюк", unit);
    for score in [3, 3, 3, 1] {
        w.vote(&code, score, "203.0.113.50").await.unwrap();
    }
    w.vote(&other, 2, "203.0.113.50").await.unwrap();
    w.vote(&code, 2, "203.0.113.51").await.unwrap();
    assert_eq!(w.votes_of(first), 5, "every vote is recorded");
    assert_eq!(w.votes_of(second), 1);
    let hashes = |column: &str, employee: EmployeeId| {
        w.count(&format!(
            "SELECT COUNT(DISTINCT {column}) FROM votes WHERE employee_id = {employee}"
        ))
    };
    assert_eq!(hashes("client_hash", first), 2, "one per network");
    assert_eq!(hashes("network_hash", first), 2);
    assert_eq!(
        w.count(&format!("SELECT COUNT(DISTINCT client_hash) FROM votes WHERE network_hash = (SELECT network_hash FROM votes WHERE employee_id = {second})")),
        2,
        "one network, two employees: two client hashes under one network hash"
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM votes WHERE status = 'counted'"),
        6,
        "none is refused or marked as it arrives"
    );
}

#[tokio::test]
async fn the_days_salt_is_kept_once_and_earlier_days_salts_and_counters_are_forgotten() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, code) = w.person("Денис Гордієнко", unit);
    let s = &w.store;
    assert_eq!(s.client_salt("2026-01-01", "a").await.unwrap(), "a");
    assert_eq!(
        s.client_salt("2026-01-01", "b").await.unwrap(),
        "a",
        "the first candidate of a day stays"
    );
    assert_eq!(s.client_salt("2026-01-02", "b").await.unwrap(), "b");

    // The same phone on two days: two unlinkable hashes.
    w.cast(&code, api(3), "203.0.113.7", T - DAY, ClientLimits::DEFAULT)
        .await
        .unwrap();
    w.cast(&code, api(3), "203.0.113.7", T, ClientLimits::DEFAULT)
        .await
        .unwrap();
    assert_eq!(w.count("SELECT COUNT(DISTINCT client_hash) FROM votes"), 2);
    assert_eq!(w.count("SELECT COUNT(*) FROM client_counters"), 2);

    let done = service::daily_housekeeping(s, at(T + DAY), 30)
        .await
        .unwrap();
    assert_eq!(done.salts, 2, "2025-12-31 and 2026-01-01");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM client_salts WHERE day = '2026-01-02'"),
        1,
        "today's salt stays"
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM client_counters"), 0);
    assert_eq!(w.votes_of(employee), 2, "the votes themselves stay");
}

#[tokio::test]
async fn the_daily_housekeeping_forgets_expired_contacts_but_not_that_the_vote_was_signed() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, code) = w.person("Денис Гордієнко", unit);
    for (contact, when) in [("old@example.ua", T - 31 * DAY), ("new@example.ua", T)] {
        let vote = Submission { contact, ..api(1) };
        w.cast(&code, vote, "203.0.113.8", when, ClientLimits::DEFAULT)
            .await
            .unwrap();
    }
    let done = service::daily_housekeeping(&w.store, at(T), 30)
        .await
        .unwrap();
    assert_eq!(done.contacts, 1);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM vote_contacts WHERE contact = 'new@example.ua'"),
        1
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM vote_contacts"), 1);
    assert_eq!(
        w.count(&format!(
            "SELECT SUM(has_contact) FROM votes WHERE employee_id = {employee}"
        )),
        2,
        "still known as signed"
    );
    let again = service::daily_housekeeping(&w.store, at(T), 30)
        .await
        .unwrap();
    assert_eq!(
        (again.salts, again.contacts),
        (0, 0),
        "running twice is harmless"
    );
}

#[tokio::test]
async fn votes_from_a_units_office_network_are_flagged_for_every_unit_below_it() {
    let w = World::new();
    let department = w.unit("Управління освіти", None);
    let section = w.unit("Відділ кадрів освіти", Some(department));
    let elsewhere = w.unit("Управління транспорту", None);
    let (employee, code) = w.person("Лідія Остапчук", section);
    let (outsider, theirs) = w.person("Василь Кучер", elsewhere);
    w.networks(department, &["198.18.7.0/24", "2001:db8:77::/48"]);

    for address in ["198.18.7.20", "2001:db8:77::9"] {
        w.vote(&code, 3, address).await.unwrap();
    }
    w.vote(&code, 1, "198.18.8.20").await.unwrap();
    w.vote(&theirs, 3, "198.18.7.21").await.unwrap();

    let flagged = |e: EmployeeId| {
        w.count(&format!("SELECT COUNT(*) FROM votes WHERE employee_id = {e} AND status = 'flagged' AND flag_reason = 'office_network'"))
    };
    assert_eq!(
        flagged(employee),
        2,
        "an employee of a unit below the declaring one"
    );
    assert_eq!(flagged(outsider), 0, "another unit's employee is not");
    let counts = w
        .store
        .score_counts(employee, T, T + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((counts.by_score, counts.excluded), (vec![(1, 1)], 2));

    w.networks(department, &[]);
    w.vote(&code, 2, "198.18.7.22").await.unwrap();
    assert_eq!(flagged(employee), 2, "cleared networks flag nothing more");
}

#[tokio::test]
async fn a_form_vote_without_a_genuine_page_stamp_or_sent_too_fast_is_flagged() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, code) = w.person("Арсен Ковальчук", unit);
    let form = |page_stamp| Submission {
        source: Source::Form,
        page_stamp,
        ..api(3)
    };
    let fresh = crate::integrity::PageStamp::issue(&w.ring, code.token(), at(T));
    let read = crate::integrity::PageStamp::issue(&w.ring, code.token(), at(T - 60));
    for (stamp, address) in [(None, "203.0.113.1"), (Some("1.forged"), "203.0.113.2")] {
        w.cast(&code, form(stamp), address, T, ClientLimits::DEFAULT)
            .await
            .unwrap();
    }
    w.cast(
        &code,
        form(Some(&fresh)),
        "203.0.113.3",
        T,
        ClientLimits::DEFAULT,
    )
    .await
    .unwrap();
    w.cast(
        &code,
        form(Some(&read)),
        "203.0.113.4",
        T,
        ClientLimits::DEFAULT,
    )
    .await
    .unwrap();
    let reasons: Vec<Option<String>> = w
        .store
        .conn()
        .prepare("SELECT flag_reason FROM votes ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let no_stamp = Some(Flag::NoStamp.as_str().to_owned());
    assert_eq!(
        reasons,
        [
            no_stamp.clone(),
            no_stamp,
            Some(Flag::TooFast.as_str().to_owned()),
            None
        ]
    );
    let counts = w
        .store
        .score_counts(employee, T, T + 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((counts.by_score, counts.excluded), (vec![(3, 1)], 3));
}

#[tokio::test]
async fn a_score_the_scale_lost_between_the_reads_writes_nothing_and_is_answered_off_the_scale() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, code) = w.person("Олена Гнатюк", unit);
    // The vote was checked against the three levels; an admin removed the top one since.
    let scale = crate::scale::Scale::default_three();
    let ballot = Ballot::parse(Some(3), "", "", &[], &scale).unwrap();
    w.store
        .conn()
        .execute("DELETE FROM scale_levels WHERE value = 3", [])
        .unwrap();
    let vote = NewVote {
        claims: code.claims(),
        ballot: &ballot,
        lang: Lang::Uk,
        source: Source::Api,
        client_hash: "h",
        client_key: "k",
        network_hash: "n",
        daily_limit: 500,
        flag: None,
        office_units: &[],
        receipt_hash: "r",
        at: at(T),
    };
    assert_eq!(
        w.store.record_vote(&vote).await.unwrap(),
        Recorded::NotStored
    );
    assert_eq!(w.votes_of(employee), 0);
    assert!(matches!(
        w.vote(&code, 3, "203.0.113.1").await,
        Err(VoteError::Input(InputError::ScoreOutOfScale))
    ));
}

#[tokio::test]
async fn a_votes_criteria_are_stored_with_it() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, code) = w.person("Олена Гнатюк", unit);
    let labels = r#"{"uk":"Швидкість","ru":"Скорость","kk":"Жылдамдық","fa":"سرعت","en":"Speed"}"#;
    w.store
        .conn()
        .execute(
            "INSERT INTO criteria (id, code, labels, position, active) VALUES (1, 'speed', ?1, 1, 1), (2, 'room', ?1, 2, 1)",
            [labels],
        )
        .unwrap();
    let criteria = [("speed".to_owned(), 2), ("room".to_owned(), 1)];
    let vote = Submission {
        criteria: &criteria,
        ..api(3)
    };
    w.cast(&code, vote, "203.0.113.1", T, ClientLimits::DEFAULT)
        .await
        .unwrap();
    assert_eq!(
        w.count("SELECT COUNT(*) FROM vote_criteria WHERE vote_id = (SELECT id FROM votes)"),
        2
    );
    assert_eq!(
        w.count("SELECT score FROM vote_criteria WHERE criterion_id = 1"),
        2
    );
    // A vote that is not written leaves no criteria, not even on the vote before it.
    w.revoke(employee, Channel::DESK);
    let vote = Submission {
        criteria: &criteria,
        ..api(1)
    };
    assert!(revoked(
        w.cast(&code, vote, "203.0.113.2", T, ClientLimits::DEFAULT)
            .await
    ));
    assert_eq!(w.count("SELECT COUNT(*) FROM vote_criteria"), 2);
}

#[tokio::test]
async fn a_units_website_form_lists_its_active_employees_with_a_current_website_code() {
    let w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (site, _) = w.person("Анна Шевчук", unit);
    let site_code = w.issue(site, Channel::WEBSITE);
    let reissued = w.issue(site, Channel::WEBSITE);
    let (gone, _) = w.person("Борис Гуцал", unit);
    w.issue(gone, Channel::WEBSITE);
    w.leave(gone);
    w.person("Віра Данилюк", unit); // a desk code only
    let (name, employees) = w.store.unit_form(unit).await.unwrap().unwrap();
    assert_eq!(name, "ЦНАП");
    assert_eq!(
        employees,
        [(site, "Анна Шевчук".to_owned(), "Інспектор".to_owned(), 2)]
    );
    assert_eq!(site_code.claims().issue + 1, reissued.claims().issue);
    let (_, signed) = service::unit_form(&w.store, &w.ring, 0, unit)
        .await
        .unwrap()
        .unwrap();
    let code = VerifiedCode::verify(&w.ring, signed[0].2.as_str()).unwrap();
    w.vote(&code, 3, "203.0.113.1").await.unwrap();
    assert_eq!(
        w.store
            .unit_form(UnitId::parse(999).unwrap())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_one_time_code_takes_one_vote_and_then_is_used_and_an_expired_one_is_refused() {
    let mut w = World::new();
    let unit = w.unit("ЦНАП", None);
    let (employee, _) = w.person("Остап Вовк", unit);
    // Plain INSERTs: a batch of one code each, one valid for a day and one already expired (the
    // admin's one-time statements also write its audit line and PDF numbering).
    w.store
        .conn()
        .execute_batch(&format!(
            "INSERT INTO one_time_batches (id, unit_id, channel, codes, issued_at, expires_at) VALUES \
               (1, {unit}, 2, 1, {T}, {T} + 86400), (2, {unit}, 2, 1, {T} - 90000, {T} - 3600); \
             INSERT INTO one_time_codes (employee_id, channel, serial, key_id, batch_id) VALUES \
               ({employee}, 2, 1, 1, 1), ({employee}, 2, 2, 1, 2);"
        ))
        .unwrap();
    let one_time = |serial| {
        let claims = Claims {
            shard: 0,
            employee,
            channel: Channel::WRITTEN_REPLY,
            issue: serial,
            kind: CodeKind::OneTime,
        };
        VerifiedCode::verify(&w.ring, w.ring.sign(&claims).as_str()).unwrap()
    };
    let (fresh, expired) = (one_time(1), one_time(2));
    w.store.one_time_mark = Some("mark of serial 1".into());
    assert_eq!(w.open(&fresh).await.unwrap(), CodeStatus::Current);
    w.vote(&fresh, 3, "203.0.113.1").await.unwrap();
    assert_eq!(
        w.count("SELECT COUNT(*) FROM votes WHERE verified = 1 AND qr_issue = 0"),
        1,
        "a one-time vote is verified and keeps no serial"
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM one_time_spent"), 1);
    assert!(matches!(w.open(&fresh).await, Err(CodeError::Used)));
    assert!(matches!(
        w.vote(&fresh, 1, "203.0.113.2").await,
        Err(VoteError::Code(CodeError::Used))
    ));
    w.store.one_time_mark = Some("mark of serial 2".into());
    assert!(matches!(w.open(&expired).await, Err(CodeError::Revoked)));
    assert!(revoked(w.vote(&expired, 3, "203.0.113.3").await));
    assert_eq!(w.votes_of(employee), 1);
    w.store.one_time_mark = None;
    assert!(
        matches!(
            w.vote(&fresh, 3, "203.0.113.4").await,
            Err(VoteError::Store(_))
        ),
        "a one-time vote without its spent mark is never written"
    );
}
