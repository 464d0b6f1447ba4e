//! `Store` on Cloudflare D1. Integers are bound as `f64`: D1 refuses the BigInt a Rust `i64`
//! becomes. A `batch` is D1's only transaction (there is no BEGIN).

use crate::clock::Timestamp;
use crate::integrity::Cidr;
use crate::org::{EmployeeId, UnitId};
use crate::scale::{Criterion, Face, Labels, Level, Scale};
use crate::store::db::{Cached, Database, Outcome};
#[cfg(feature = "citizen")]
use crate::store::record::QueuedVote;
use crate::store::record::VoteRecord;
use crate::store::statement::{self, Arg, Statement};
use crate::store::{sql, CodeHolder, NewVote, Recorded, ScoreCounts, Store, StoreError};
use crate::token::Claims;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::BTreeMap;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement, D1Result, D1SessionConstraint};

/// How long an isolate trusts its copy of the scale. Scales change rarely (an admin edits
/// them); reading them on every vote would double the vote's round trips.
const SCALE_TTL_SECONDS: i64 = 60;

/// Every unit's office networks, as read at some moment.
type OfficeNetworks = Vec<(UnitId, Cidr)>;

thread_local! {
    // Workers isolates are single-threaded; these caches live as long as the isolate. Each
    // shard's database has its own scale, networks and salts, so each is kept per shard.
    static SCALE_CACHE: RefCell<BTreeMap<u8, (i64, Scale)>> = const { RefCell::new(BTreeMap::new()) };
    static NETWORK_CACHE: RefCell<BTreeMap<u8, (i64, OfficeNetworks)>> = const { RefCell::new(BTreeMap::new()) };
    static SALT_CACHE: RefCell<BTreeMap<u8, (String, String)>> = const { RefCell::new(BTreeMap::new()) };
}

/// The primary, or a D1 session (Sessions API) whose first read may be served by a replica.
enum Db {
    Primary(D1Database),
    Session(D1DatabaseSession),
}

pub struct D1Store {
    db: Db,
    /// The shard this database holds: the key of the per-isolate caches.
    shard: u8,
    now: Timestamp,
    /// The spent mark (`KeyRing::spent_mark`) of the one-time code this request votes with or
    /// opens: the store cannot make it (it holds no key), and without it a one-time vote is
    /// not written.
    one_time_mark: Option<String>,
}

/// Votes read office networks through a cache; a change must reach this isolate at once.
pub(crate) fn forget_network_cache() {
    NETWORK_CACHE.with(|c| c.borrow_mut().clear());
}

impl D1Store {
    pub fn new(db: D1Database, shard: u8, now: Timestamp) -> D1Store {
        D1Store {
            db: Db::Primary(db),
            shard,
            now,
            one_time_mark: None,
        }
    }

    /// The same store for a request about the one-time code whose spent mark is `mark`.
    pub fn for_one_time_code(self, mark: String) -> D1Store {
        D1Store {
            one_time_mark: Some(mark),
            ..self
        }
    }

    /// The same database through a session that may start at a read replica: for public,
    /// read-only views, where results an hour old are what is published anyway. Sequential
    /// within the request; any write in it would still go to the primary. Without sessions
    /// (an older runtime), the primary.
    pub fn read_replica(self) -> D1Store {
        let db = match self.db {
            Db::Primary(db) => {
                match db.with_session_constraint(D1SessionConstraint::FirstUnconstrained) {
                    Ok(session) => Db::Session(session),
                    Err(_) => Db::Primary(db),
                }
            }
            session => session,
        };
        D1Store { db, ..self }
    }

    /// The request's (or the cron run's) moment.
    pub(crate) fn now(&self) -> Timestamp {
        self.now
    }

    pub(crate) fn prepare(
        &self,
        query: &str,
        args: &[JsValue],
    ) -> Result<D1PreparedStatement, StoreError> {
        match &self.db {
            Db::Primary(db) => db.prepare(query),
            Db::Session(session) => session.prepare(query),
        }
        .bind(args)
        .map_err(unavailable)
    }

    /// Every row a statement returns.
    pub(crate) async fn all<T: for<'de> Deserialize<'de>>(
        &self,
        query: &str,
        args: &[JsValue],
    ) -> Result<Vec<T>, StoreError> {
        let r = self
            .prepare(query, args)?
            .all()
            .await
            .map_err(unavailable)?;
        r.results::<T>().map_err(corrupt)
    }

    pub(crate) async fn first<T: for<'de> Deserialize<'de>>(
        &self,
        query: &str,
        args: &[JsValue],
    ) -> Result<Option<T>, StoreError> {
        let rows = self
            .prepare(query, args)?
            .all()
            .await
            .map_err(unavailable)?;
        Ok(rows.results::<T>().map_err(corrupt)?.into_iter().next())
    }

    pub(crate) async fn batch(
        &self,
        statements: Vec<D1PreparedStatement>,
    ) -> Result<Vec<D1Result>, StoreError> {
        match &self.db {
            Db::Primary(db) => db.batch(statements).await,
            Db::Session(session) => session.batch(statements).await,
        }
        .map_err(unavailable)
    }
}

pub(crate) fn unavailable(e: worker::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

pub(crate) fn corrupt(e: worker::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(crate) fn num(n: impl Into<f64>) -> JsValue {
    JsValue::from_f64(n.into())
}

pub(crate) fn text(s: &str) -> JsValue {
    JsValue::from_str(s)
}

pub(crate) fn changes(result: &D1Result) -> u32 {
    result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .map_or(0, |c| c as u32)
}

pub(crate) fn first_row<T: for<'de> Deserialize<'de>>(
    result: Option<&D1Result>,
) -> Result<Option<T>, StoreError> {
    match result {
        Some(r) => Ok(r.results::<T>().map_err(corrupt)?.into_iter().next()),
        None => Err(StoreError::Corrupt(
            "batch returned fewer results than statements".into(),
        )),
    }
}

#[derive(Deserialize)]
struct HolderRow {
    employee_id: i64,
    name: String,
    position: String,
    active: i64,
    unit_id: i64,
    unit_name: String,
    issued: i64,
    unrevoked: i64,
    /// One-time codes only.
    #[serde(default)]
    used: i64,
}

#[derive(Deserialize)]
struct LevelRow {
    value: i64,
    colour: String,
    face: String,
    labels: String,
}

#[derive(Deserialize)]
struct CriterionRow {
    id: i64,
    code: String,
    labels: String,
    position: i64,
    active: i64,
}

impl D1Store {
    /// Every criterion, active or not.
    pub async fn criteria(&self) -> Result<Vec<Criterion>, StoreError> {
        let rows = self
            .prepare(sql::CRITERIA, &[])?
            .all()
            .await
            .map_err(unavailable)?;
        rows.results::<CriterionRow>()
            .map_err(corrupt)?
            .into_iter()
            .map(|r| {
                Ok(Criterion {
                    id: r.id,
                    code: r.code,
                    labels: Labels::parse_json(&r.labels)
                        .map_err(|e| StoreError::Corrupt(format!("criterion labels: {e}")))?,
                    position: r.position,
                    active: r.active != 0,
                })
            })
            .collect()
    }

    /// Forgets this isolate's copy of the scale, after an admin changed it here.
    pub fn forget_scale() {
        SCALE_CACHE.with(|c| c.borrow_mut().clear());
    }
}

#[derive(Deserialize)]
struct NetworkRow {
    unit_id: i64,
    cidr: String,
}

#[derive(Deserialize)]
struct VotesRow {
    votes: i64,
}

#[derive(Deserialize)]
struct SaltRow {
    salt: String,
}

#[derive(Deserialize)]
struct FoundRow {
    #[allow(dead_code)]
    found: i64,
}

#[derive(Deserialize)]
struct CountRow {
    score: i64,
    counted: i64,
    votes: i64,
}

impl Store for D1Store {
    async fn code_holder(&self, claims: &Claims) -> Result<Option<CodeHolder>, StoreError> {
        let query = statement::code_holder(claims, self.now, self.one_time_mark.as_deref());
        let Some(row) = self
            .first::<HolderRow>(query.sql, &args(&query.args))
            .await?
        else {
            return Ok(None);
        };
        let status = statement::code_status(
            row.issued != 0,
            row.used != 0,
            row.unrevoked != 0 && row.active != 0,
        );
        Ok(Some(CodeHolder {
            employee: EmployeeId::parse(row.employee_id)
                .ok_or_else(|| StoreError::Corrupt("employee id".into()))?,
            name: row.name,
            position: row.position,
            unit: UnitId::parse(row.unit_id)
                .ok_or_else(|| StoreError::Corrupt("unit id".into()))?,
            unit_name: row.unit_name,
            status,
        }))
    }

    async fn scale(&self) -> Result<Scale, StoreError> {
        let now = self.now.unix_seconds();
        let cached = SCALE_CACHE.with(|c| {
            c.borrow()
                .get(&self.shard)
                .filter(|(at, _)| now - at < SCALE_TTL_SECONDS)
                .map(|(_, s)| s.clone())
        });
        if let Some(scale) = cached {
            return Ok(scale);
        }
        let rows = self
            .prepare(sql::SCALE, &[])?
            .all()
            .await
            .map_err(unavailable)?;
        let levels = rows
            .results::<LevelRow>()
            .map_err(corrupt)?
            .into_iter()
            .map(|r| {
                let value = u8::try_from(r.value)
                    .map_err(|_| StoreError::Corrupt(format!("scale value {}", r.value)))?;
                let labels = Labels::parse_json(&r.labels)
                    .map_err(|e| StoreError::Corrupt(format!("scale labels: {e}")))?;
                Ok(Level::new(value, &r.colour, Face::parse(&r.face), labels))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let criteria = self.criteria().await?;
        let scale = Scale::new(levels)
            .ok_or_else(|| StoreError::Corrupt("the scale has no levels".into()))?
            .with_criteria(criteria);
        SCALE_CACHE.with(|c| c.borrow_mut().insert(self.shard, (now, scale.clone())));
        Ok(scale)
    }

    async fn record_vote(&self, vote: &NewVote<'_>) -> Result<Recorded, StoreError> {
        let record = VoteRecord::of(vote);
        let results = self.batch(self.vote_statements(&record)?).await?;
        recorded(&results, record.daily_limit)
    }

    async fn client_salt(&self, day: &str, candidate: &str) -> Result<String, StoreError> {
        let cached = SALT_CACHE.with(|c| {
            c.borrow()
                .get(&self.shard)
                .filter(|(d, _)| d == day)
                .map(|(_, s)| s.clone())
        });
        if let Some(salt) = cached {
            return Ok(salt);
        }
        let insert = self.prepare(sql::INSERT_SALT, &[text(day), text(candidate)])?;
        let select = self.prepare(sql::SELECT_SALT, &[text(day)])?;
        let results = self.batch(vec![insert, select]).await?;
        let salt = first_row::<SaltRow>(results.get(1))?
            .ok_or_else(|| StoreError::Corrupt("salt missing after insert".into()))?
            .salt;
        SALT_CACHE.with(|c| {
            c.borrow_mut()
                .insert(self.shard, (day.to_owned(), salt.clone()))
        });
        Ok(salt)
    }

    async fn forget_salts_before(&self, day: &str) -> Result<u32, StoreError> {
        let salts = self.prepare(sql::DELETE_OLD_SALTS, &[text(day)])?;
        let counters = self.prepare(sql::DELETE_OLD_COUNTERS, &[text(day)])?;
        let results = self.batch(vec![salts, counters]).await?;
        Ok(results.first().map_or(0, changes))
    }

    async fn office_networks(&self) -> Result<Vec<(UnitId, Cidr)>, StoreError> {
        let now = self.now.unix_seconds();
        let cached = NETWORK_CACHE.with(|c| {
            c.borrow()
                .get(&self.shard)
                .filter(|(at, _)| now - at < SCALE_TTL_SECONDS)
                .map(|(_, n)| n.clone())
        });
        if let Some(networks) = cached {
            return Ok(networks);
        }
        let rows = self
            .prepare(sql::OFFICE_NETWORKS, &[])?
            .all()
            .await
            .map_err(unavailable)?;
        let networks: Vec<(UnitId, Cidr)> = rows
            .results::<NetworkRow>()
            .map_err(corrupt)?
            .into_iter()
            // Rows were validated on the way in; one that no longer parses is skipped, not fatal.
            .filter_map(|r| Some((UnitId::parse(r.unit_id)?, Cidr::parse(&r.cidr).ok()?)))
            .collect();
        NETWORK_CACHE.with(|c| c.borrow_mut().insert(self.shard, (now, networks.clone())));
        Ok(networks)
    }

    async fn unit_form(
        &self,
        unit: UnitId,
    ) -> Result<Option<(String, Vec<(EmployeeId, String, String, u16)>)>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Row {
            unit: String,
            employee_id: Option<i64>,
            name: Option<String>,
            position: Option<String>,
            issue: Option<i64>,
        }
        let rows = self
            .prepare(sql::UNIT_FORM, &[num(unit.get())])?
            .all()
            .await
            .map_err(unavailable)?
            .results::<Row>()
            .map_err(corrupt)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let name = first.unit.clone();
        let employees = rows
            .into_iter()
            .filter_map(|r| {
                Some((
                    EmployeeId::parse(r.employee_id?)?,
                    r.name?,
                    r.position.unwrap_or_default(),
                    u16::try_from(r.issue?).ok()?,
                ))
            })
            .collect();
        Ok(Some((name, employees)))
    }

    async fn forget_contacts_before(&self, before: i64) -> Result<u32, StoreError> {
        let result = self
            .prepare(sql::DELETE_OLD_CONTACTS, &[num(before as f64)])?
            .run()
            .await
            .map_err(unavailable)?;
        Ok(changes(&result))
    }

    async fn score_counts(
        &self,
        employee: EmployeeId,
        start: i64,
        end: i64,
    ) -> Result<Option<ScoreCounts>, StoreError> {
        let exists = self.prepare(sql::EMPLOYEE_EXISTS, &[num(employee.get())])?;
        let counts = self.prepare(
            sql::SCORE_COUNTS,
            &[num(employee.get()), num(start as f64), num(end as f64)],
        )?;
        let results = self.batch(vec![exists, counts]).await?;
        if first_row::<FoundRow>(results.first())?.is_none() {
            return Ok(None);
        }
        let rows = match results.get(1) {
            Some(r) => r.results::<CountRow>().map_err(corrupt)?,
            None => return Err(StoreError::Corrupt("batch returned fewer results".into())),
        };
        let excluded = rows
            .iter()
            .filter(|r| r.counted == 0)
            .map(|r| r.votes)
            .sum();
        let by_score = rows
            .into_iter()
            .filter(|r| r.counted != 0)
            .map(|r| (r.score, r.votes))
            .collect();
        Ok(Some(ScoreCounts { by_score, excluded }))
    }
}

impl D1Store {
    /// The vote's batch (`statement::vote`), prepared.
    fn vote_statements(&self, vote: &VoteRecord) -> Result<Vec<D1PreparedStatement>, StoreError> {
        statement::vote(vote, self.one_time_mark.as_deref())?
            .iter()
            .map(|s| self.prepare(s.sql, &args(&s.args)))
            .collect()
    }

    #[cfg(feature = "citizen")]
    /// Writes queued votes in one D1 batch (one transaction, one round trip), each with its
    /// key. Fails whole, writing nothing, if any key was already written or D1 fails.
    pub async fn record_queued(&self, votes: &[QueuedVote]) -> Result<Vec<Recorded>, StoreError> {
        let mut statements = Vec::new();
        let mut starts = Vec::with_capacity(votes.len());
        for queued in votes {
            statements.push(self.prepare(
                sql::INSERT_QUEUED_KEY,
                &[text(&queued.key), num(self.now.unix_seconds() as f64)],
            )?);
            starts.push(statements.len());
            statements.extend(self.vote_statements(&queued.vote)?);
        }
        let results = self.batch(statements).await?;
        votes
            .iter()
            .zip(starts)
            .map(|(queued, start)| {
                recorded(
                    results.get(start..).unwrap_or_default(),
                    queued.vote.daily_limit,
                )
            })
            .collect()
    }

    #[cfg(feature = "citizen")]
    /// Whether a queued vote's key was written: its message was handled before.
    pub async fn queued_key_written(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self
            .first::<FoundRow>(sql::QUEUED_KEY_EXISTS, &[text(key)])
            .await?
            .is_some())
    }

    /// Forgets queued votes' keys written before `before` (unix seconds); returns how many.
    pub async fn forget_queued_keys_before(&self, before: i64) -> Result<u32, StoreError> {
        let result = self
            .prepare(sql::DELETE_OLD_QUEUED_KEYS, &[num(before as f64)])?
            .run()
            .await
            .map_err(unavailable)?;
        Ok(changes(&result))
    }
}

/// What a vote's batch did, from its results starting at the client's count.
fn recorded(results: &[D1Result], daily_limit: u32) -> Result<Recorded, StoreError> {
    let inserted = results.get(1).is_some_and(|r| changes(r) == 1);
    let counted = if inserted {
        None
    } else {
        first_row::<VotesRow>(results.first())?.map(|r| r.votes)
    };
    Ok(statement::recorded(inserted, counted, daily_limit))
}

impl Database for D1Store {
    fn now(&self) -> Timestamp {
        self.now
    }

    fn forget_cached(&self, what: Cached) {
        match what {
            Cached::Scale => D1Store::forget_scale(),
            Cached::Networks => forget_network_cache(),
        }
    }

    async fn rows<T: DeserializeOwned>(&self, statement: Statement) -> Result<Vec<T>, StoreError> {
        self.all(statement.sql, &args(&statement.args)).await
    }

    async fn transaction(&self, statements: Vec<Statement>) -> Result<Vec<Outcome>, StoreError> {
        let prepared = statements
            .iter()
            .map(|s| self.prepare(s.sql, &args(&s.args)))
            .collect::<Result<Vec<_>, _>>()?;
        self.batch(prepared)
            .await?
            .iter()
            .map(|r| {
                let meta = r.meta().ok().flatten();
                Ok(Outcome {
                    rows: r.results::<serde_json::Value>().map_err(corrupt)?,
                    changes: u64::from(changes(r)),
                    rows_read: meta.as_ref().and_then(|m| m.rows_read).unwrap_or(0) as u64,
                    rows_written: meta.as_ref().and_then(|m| m.rows_written).unwrap_or(0) as u64,
                })
            })
            .collect()
    }
}

/// A statement's arguments as D1 binds them.
fn args(args: &[Arg]) -> Vec<JsValue> {
    args.iter()
        .map(|a| match a {
            Arg::Num(n) => num(*n),
            Arg::Text(s) => text(s),
            Arg::Null => JsValue::NULL,
        })
        .collect()
}
