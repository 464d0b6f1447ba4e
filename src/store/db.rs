//! The one thing a feature's store needs of a database: run statements and read their rows.
//! D1 implements it in the worker (`glue::d1`), SQLite in native tests (`store::sqlite`), so a
//! feature writes its store once, against `Database`, and the native tests run the very code,
//! SQL text and arguments the worker runs; only the driver underneath differs.

// Implemented by one database per runtime, in this crate only: no caller needs `Send` futures
// (D1's are JavaScript promises).
#![allow(async_fn_in_trait)]

use super::statement::{Arg, Statement};
use super::StoreError;
use crate::clock::Timestamp;
use serde::de::DeserializeOwned;

/// What one statement of a batch gave: its rows (as D1 hands them over, one JSON object per
/// row) and, as D1's `meta.changes`, how many rows it changed.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub rows: Vec<serde_json::Value>,
    pub changes: u64,
    /// D1's `meta.rows_read` and `meta.rows_written`: what the statement cost (the roll-up
    /// reports them). SQLite gives what it changed as written and nothing as read.
    pub rows_read: u64,
    pub rows_written: u64,
}

impl Outcome {
    /// Every row, read as `T`.
    pub fn read<T: DeserializeOwned>(&self) -> Result<Vec<T>, StoreError> {
        self.rows.iter().cloned().map(read_row).collect()
    }

    /// The first row, read as `T`.
    pub fn first<T: DeserializeOwned>(&self) -> Result<Option<T>, StoreError> {
        self.rows
            .first()
            .map(|row| read_row(row.clone()))
            .transpose()
    }
}

/// A row read as `T` by column name; a row that does not fit is corrupt data, not a panic.
pub fn read_row<T: DeserializeOwned>(row: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(row).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The statement at `i` of a batch's outcomes: a batch gives one per statement.
pub fn nth(outcomes: &[Outcome], i: usize) -> Result<&Outcome, StoreError> {
    outcomes
        .get(i)
        .ok_or_else(|| StoreError::Corrupt("batch returned fewer results than statements".into()))
}

/// What a database's runtime may keep between requests: D1 keeps the scale and the office
/// networks per isolate for a minute, and a change to them must reach this isolate at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cached {
    Scale,
    Networks,
}

pub trait Database {
    /// The request's (or the cron run's) moment.
    fn now(&self) -> Timestamp;

    /// Every row one statement returns, each read as `T`.
    async fn rows<T: DeserializeOwned>(&self, statement: Statement) -> Result<Vec<T>, StoreError>;

    /// Statements run in order as one transaction, all or nothing (D1's `batch`; D1 has no
    /// `BEGIN`): what each gave.
    async fn transaction(&self, statements: Vec<Statement>) -> Result<Vec<Outcome>, StoreError>;

    /// Forgets what this runtime keeps of `what` (nothing to forget by default).
    fn forget_cached(&self, what: Cached) {
        let _ = what;
    }

    /// One statement that changes something, on its own; its result is not needed.
    async fn run(&self, statement: Statement) -> Result<(), StoreError> {
        self.transaction(vec![statement]).await.map(|_| ())
    }

    /// The first row of one statement.
    async fn first<T: DeserializeOwned>(
        &self,
        statement: Statement,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.rows(statement).await?.into_iter().next())
    }
}

/// A statement from its SQL constant and arguments.
pub fn stmt(sql: &'static str, args: impl Into<Vec<Arg>>) -> Statement {
    Statement {
        sql,
        args: args.into(),
    }
}

/// An optional whole number (an id, a moment): NULL when absent.
pub fn opt_num(n: Option<impl Into<f64>>) -> Arg {
    n.map_or(Arg::Null, Arg::num)
}

/// An optional id or moment as D1 binds it (a JavaScript number): NULL when absent.
pub fn opt_int(n: Option<i64>) -> Arg {
    n.map_or(Arg::Null, |n| Arg::Num(n as f64))
}
