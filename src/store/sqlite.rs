//! `Store` on SQLite (rusqlite, bundled), for native tests: the schema D1 has (`schema.sql`,
//! which a test keeps equal to the migrations), the SQL text D1 runs (`sql`) and the arguments
//! D1 binds (`statement`), so the rules that live in SQL are exercised in milliseconds rather
//! than only through `wrangler dev`.
//!
//! Where it differs from `glue::d1`, on purpose: a D1 `batch` is one transaction here (BEGIN …
//! COMMIT, rolled back whole on any error, as D1 does); numbers are bound as REALs as D1 binds
//! JavaScript numbers, and read back as INTEGER or whole REAL; there are no per-isolate caches
//! (D1 keeps the scale and office networks for a minute and the day's salt for the day), so
//! every call reads the database.

// Test-only (declared under `#[cfg(test)]` too): its unwraps never run in a worker.
#![cfg(test)]

use super::db::{read_row, Database, Outcome};
use super::record::VoteRecord;
use super::statement::{self, Arg, Statement};
use super::{sql, CodeHolder, NewVote, Recorded, ScoreCounts, Store, StoreError};
use crate::clock::Timestamp;
use crate::integrity::Cidr;
use crate::org::{EmployeeId, UnitId};
use crate::scale::{Criterion, Face, Labels, Level, Scale};
use crate::token::Claims;
use rusqlite::types::Value;
use rusqlite::Connection;
use serde::de::DeserializeOwned;

pub struct SqliteStore {
    conn: Connection,
    /// The request's moment, as `D1Store::new` takes it.
    pub now: Timestamp,
    /// As `D1Store::for_one_time_code`.
    pub one_time_mark: Option<String>,
}

/// One row, by column name.
pub struct Row(Vec<(String, Value)>);

/// What one statement of a batch gave: its rows and, as D1's `meta.changes`, what it changed.
pub struct Done {
    pub rows: Vec<Row>,
    pub changes: u64,
}

impl Row {
    fn value(&self, column: &str) -> Result<&Value, StoreError> {
        self.0
            .iter()
            .find(|(name, _)| name == column)
            .map(|(_, v)| v)
            .ok_or_else(|| StoreError::Corrupt(format!("no column {column}")))
    }

    /// An integer column; D1 hands numbers to Rust as `f64`, so a whole REAL reads too.
    pub fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.opt_int(column)?
            .ok_or_else(|| StoreError::Corrupt(format!("{column} is NULL")))
    }

    pub fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Integer(n) => Ok(Some(*n)),
            Value::Real(f) if f.fract() == 0.0 => Ok(Some(*f as i64)),
            other => Err(StoreError::Corrupt(format!("{column}: {other:?}"))),
        }
    }

    pub fn text(&self, column: &str) -> Result<String, StoreError> {
        self.opt_text(column)?
            .ok_or_else(|| StoreError::Corrupt(format!("{column} is NULL")))
    }

    pub fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Text(s) => Ok(Some(s.clone())),
            other => Err(StoreError::Corrupt(format!("{column}: {other:?}"))),
        }
    }
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn bind(arg: &Arg) -> Value {
    match arg {
        Arg::Num(n) => Value::Real(*n),
        Arg::Text(s) => Value::Text(s.clone()),
        Arg::Null => Value::Null,
    }
}

/// Runs one statement to its end on `conn`, as D1 runs each statement of a batch.
fn run(conn: &Connection, statement: &Statement) -> Result<Done, StoreError> {
    let mut prepared = conn.prepare(statement.sql).map_err(unavailable)?;
    let names: Vec<String> = prepared
        .column_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut rows = prepared
        .query(rusqlite::params_from_iter(statement.args.iter().map(bind)))
        .map_err(unavailable)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(unavailable)? {
        let mut values = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            values.push((name.clone(), row.get::<_, Value>(i).map_err(unavailable)?));
        }
        out.push(Row(values));
    }
    drop(rows);
    Ok(Done {
        rows: out,
        changes: conn.changes(),
    })
}

impl SqliteStore {
    /// A fresh in-memory database with the schema the migrations make (and its seed rows: the
    /// default three-level scale).
    pub fn new(now: Timestamp) -> SqliteStore {
        let conn = Connection::open_in_memory().expect("an in-memory SQLite database opens");
        conn.execute_batch(include_str!("../../schema.sql"))
            .expect("schema.sql applies");
        SqliteStore {
            conn,
            now,
            one_time_mark: None,
        }
    }

    /// Two accounts, as the scope tests sign in: 1 (`root`) and 2 (`admin_of`).
    pub fn seed_accounts(&self) {
        self.conn
            .execute_batch(
                "INSERT INTO accounts (id, email, password_hash, created_at, password_changed_at) \
                 VALUES (1, 'root@city.example', '-', 0, 0), (2, 'branch@city.example', '-', 0, 0)",
            )
            .expect("two accounts");
    }

    // Seeds through the admin's own statements (NULL scope: a whole-instance admin, without
    // the audit lines), so a unit's closure is made as the worker makes it.
    fn seed_id(&self, statements: &[Statement]) -> i64 {
        let done = self.batch(statements).unwrap();
        done[0].rows[0].int("id").unwrap()
    }

    pub fn seed_unit(&self, name: &str, parent: Option<UnitId>) -> UnitId {
        let parent = parent.map_or(Arg::Null, |p| Arg::num(p.get()));
        let id = self.seed_id(&[
            Statement {
                sql: sql::INSERT_UNIT_IN_SCOPE,
                args: vec![
                    Arg::text(name),
                    parent.clone(),
                    Arg::Num(self.now.unix_seconds() as f64),
                    Arg::Null,
                    Arg::text("UTC"),
                ],
            },
            Statement {
                sql: sql::INSERT_UNIT_CLOSURE,
                args: vec![parent],
            },
        ]);
        UnitId::parse(id).unwrap()
    }

    pub fn seed_employee(&self, name: &str, unit: UnitId) -> EmployeeId {
        let id = self.seed_id(&[Statement {
            sql: sql::INSERT_EMPLOYEE_IN_SCOPE,
            args: vec![
                Arg::text(name),
                Arg::text("Інспектор"),
                Arg::num(unit.get()),
                Arg::Num(self.now.unix_seconds() as f64),
                Arg::Null,
                Arg::text("[]"),
            ],
        }]);
        EmployeeId::parse(id).unwrap()
    }

    /// The database itself, for a test's own reads and seeds.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Statements in one transaction, as D1's `batch`: all or nothing.
    pub fn batch(&self, statements: &[Statement]) -> Result<Vec<Done>, StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(unavailable)?;
        let done = statements
            .iter()
            .map(|s| run(&tx, s))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().map_err(unavailable)?;
        Ok(done)
    }

    /// One statement on its own.
    pub fn one(&self, sql: &'static str, args: Vec<Arg>) -> Result<Done, StoreError> {
        run(&self.conn, &Statement { sql, args })
    }

    fn nth(done: &[Done], i: usize) -> Result<&Done, StoreError> {
        done.get(i).ok_or_else(|| {
            StoreError::Corrupt("batch returned fewer results than statements".into())
        })
    }
}

impl Store for SqliteStore {
    async fn code_holder(&self, claims: &Claims) -> Result<Option<CodeHolder>, StoreError> {
        let query = statement::code_holder(claims, self.now, self.one_time_mark.as_deref());
        let done = run(&self.conn, &query)?;
        let Some(row) = done.rows.first() else {
            return Ok(None);
        };
        // `used` is a column of the one-time query only (D1's row reads it as 0 by default).
        let used = row.opt_int("used").ok().flatten().unwrap_or(0) != 0;
        let status = statement::code_status(
            row.int("issued")? != 0,
            used,
            row.int("unrevoked")? != 0 && row.int("active")? != 0,
        );
        Ok(Some(CodeHolder {
            employee: EmployeeId::parse(row.int("employee_id")?)
                .ok_or_else(|| StoreError::Corrupt("employee id".into()))?,
            name: row.text("name")?,
            position: row.text("position")?,
            unit: UnitId::parse(row.int("unit_id")?)
                .ok_or_else(|| StoreError::Corrupt("unit id".into()))?,
            unit_name: row.text("unit_name")?,
            status,
        }))
    }

    async fn scale(&self) -> Result<Scale, StoreError> {
        let levels = self
            .one(sql::SCALE, vec![])?
            .rows
            .iter()
            .map(|r| {
                let value = r.int("value")?;
                let value = u8::try_from(value)
                    .map_err(|_| StoreError::Corrupt(format!("scale value {value}")))?;
                let labels = Labels::parse_json(&r.text("labels")?)
                    .map_err(|e| StoreError::Corrupt(format!("scale labels: {e}")))?;
                Ok(Level::new(
                    value,
                    &r.text("colour")?,
                    Face::parse(&r.text("face")?),
                    labels,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let criteria = self
            .one(sql::CRITERIA, vec![])?
            .rows
            .iter()
            .map(|r| {
                Ok(Criterion {
                    id: r.int("id")?,
                    code: r.text("code")?,
                    labels: Labels::parse_json(&r.text("labels")?)
                        .map_err(|e| StoreError::Corrupt(format!("criterion labels: {e}")))?,
                    position: r.int("position")?,
                    active: r.int("active")? != 0,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Scale::new(levels)
            .ok_or_else(|| StoreError::Corrupt("the scale has no levels".into()))?
            .with_criteria(criteria))
    }

    async fn record_vote(&self, vote: &NewVote<'_>) -> Result<Recorded, StoreError> {
        let record = VoteRecord::of(vote);
        let done = self.batch(&statement::vote(&record, self.one_time_mark.as_deref())?)?;
        let inserted = Self::nth(&done, 1)?.changes == 1;
        let counted = match Self::nth(&done, 0)?.rows.first() {
            Some(row) if !inserted => Some(row.int("votes")?),
            _ => None,
        };
        Ok(statement::recorded(inserted, counted, record.daily_limit))
    }

    async fn client_salt(&self, day: &str, candidate: &str) -> Result<String, StoreError> {
        let done = self.batch(&[
            Statement {
                sql: sql::INSERT_SALT,
                args: vec![Arg::text(day), Arg::text(candidate)],
            },
            Statement {
                sql: sql::SELECT_SALT,
                args: vec![Arg::text(day)],
            },
        ])?;
        Self::nth(&done, 1)?
            .rows
            .first()
            .ok_or_else(|| StoreError::Corrupt("salt missing after insert".into()))?
            .text("salt")
    }

    async fn forget_salts_before(&self, day: &str) -> Result<u32, StoreError> {
        let done = self.batch(&[
            Statement {
                sql: sql::DELETE_OLD_SALTS,
                args: vec![Arg::text(day)],
            },
            Statement {
                sql: sql::DELETE_OLD_COUNTERS,
                args: vec![Arg::text(day)],
            },
        ])?;
        Ok(done.first().map_or(0, |d| d.changes as u32))
    }

    async fn office_networks(&self) -> Result<Vec<(UnitId, Cidr)>, StoreError> {
        Ok(self
            .one(sql::OFFICE_NETWORKS, vec![])?
            .rows
            .iter()
            // As on D1: a row that no longer parses is skipped, not fatal.
            .filter_map(|r| {
                Some((
                    UnitId::parse(r.int("unit_id").ok()?)?,
                    Cidr::parse(&r.text("cidr").ok()?).ok()?,
                ))
            })
            .collect())
    }

    async fn forget_contacts_before(&self, before: i64) -> Result<u32, StoreError> {
        let done = self.batch(&[Statement {
            sql: sql::DELETE_OLD_CONTACTS,
            args: vec![Arg::Num(before as f64)],
        }])?;
        Ok(done.first().map_or(0, |d| d.changes as u32))
    }

    async fn unit_form(
        &self,
        unit: UnitId,
    ) -> Result<Option<(String, Vec<(EmployeeId, String, String, u16)>)>, StoreError> {
        let rows = self.one(sql::UNIT_FORM, vec![Arg::num(unit.get())])?.rows;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let name = first.text("unit")?;
        let mut employees = Vec::new();
        for r in &rows {
            let (Some(id), Some(employee), Some(issue)) = (
                r.opt_int("employee_id")?,
                r.opt_text("name")?,
                r.opt_int("issue")?,
            ) else {
                continue;
            };
            let (Some(id), Ok(issue)) = (EmployeeId::parse(id), u16::try_from(issue)) else {
                continue;
            };
            employees.push((
                id,
                employee,
                r.opt_text("position")?.unwrap_or_default(),
                issue,
            ));
        }
        Ok(Some((name, employees)))
    }

    async fn score_counts(
        &self,
        employee: EmployeeId,
        start: i64,
        end: i64,
    ) -> Result<Option<ScoreCounts>, StoreError> {
        let id = Arg::num(employee.get());
        let done = self.batch(&[
            Statement {
                sql: sql::EMPLOYEE_EXISTS,
                args: vec![id.clone()],
            },
            Statement {
                sql: sql::SCORE_COUNTS,
                args: vec![id, Arg::Num(start as f64), Arg::Num(end as f64)],
            },
        ])?;
        if Self::nth(&done, 0)?.rows.is_empty() {
            return Ok(None);
        }
        let mut by_score = Vec::new();
        let mut excluded = 0;
        for r in &Self::nth(&done, 1)?.rows {
            let (score, votes) = (r.int("score")?, r.int("votes")?);
            if r.int("counted")? != 0 {
                by_score.push((score, votes));
            } else {
                excluded += votes;
            }
        }
        Ok(Some(ScoreCounts { by_score, excluded }))
    }
}

#[cfg(test)]
mod tests;

/// A row as D1 hands it to the worker: one JSON object by column name. Numbers lose SQLite's
/// INTEGER/REAL distinction as they do in JavaScript, so a whole REAL (every number D1 binds
/// is one) reads back as an integer.
fn json_row(row: &Row) -> serde_json::Value {
    let object = row
        .0
        .iter()
        .map(|(name, value)| {
            let json = match value {
                Value::Null => serde_json::Value::Null,
                Value::Integer(n) => (*n).into(),
                Value::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => (*f as i64).into(),
                Value::Real(f) => (*f).into(),
                Value::Text(s) => s.clone().into(),
                // D1 gives a BLOB as an array of bytes.
                Value::Blob(b) => b.iter().map(|&x| serde_json::Value::from(x)).collect(),
            };
            (name.clone(), json)
        })
        .collect();
    serde_json::Value::Object(object)
}

impl Database for SqliteStore {
    fn now(&self) -> Timestamp {
        self.now
    }

    async fn rows<T: DeserializeOwned>(&self, statement: Statement) -> Result<Vec<T>, StoreError> {
        run(&self.conn, &statement)?
            .rows
            .iter()
            .map(|row| read_row(json_row(row)))
            .collect()
    }

    async fn transaction(&self, statements: Vec<Statement>) -> Result<Vec<Outcome>, StoreError> {
        Ok(self
            .batch(&statements)?
            .iter()
            .map(|done| Outcome {
                rows: done.rows.iter().map(json_row).collect(),
                changes: done.changes,
                rows_read: 0,
                rows_written: done.changes,
            })
            .collect())
    }
}

/// Account 1 of `seed_accounts`, a superadmin.
pub fn root() -> crate::account::Principal {
    use crate::account::{AccountId, Grant, Principal, Via};
    Principal {
        account: AccountId::parse(1).expect("an id"),
        email: "root@city.example".into(),
        grants: vec![Grant::Superadmin],
        via: Via::ApiToken,
    }
}

/// Account 2 of `seed_accounts`, the admin of `unit`'s subtree.
pub fn admin_of(unit: UnitId) -> crate::account::Principal {
    use crate::account::{AccountId, Grant, Principal, Via};
    Principal {
        account: AccountId::parse(2).expect("an id"),
        email: "branch@city.example".into(),
        grants: vec![Grant::UnitAdmin(unit)],
        via: Via::ApiToken,
    }
}
