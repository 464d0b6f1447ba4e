//! What the use cases need from storage. The worker implements it on D1 (`glue::d1`); the
//! SQL itself lives in `sql`, the one source of every statement.

// Futures from D1 are not `Send` (JavaScript promises); the trait is used generically, never
// as `dyn`, so the auto-trait leak the lint warns about is what we want.
#![allow(async_fn_in_trait)]

use crate::clock::Timestamp;
use crate::i18n::Lang;
use crate::integrity::{Cidr, Flag};
use crate::org::{EmployeeId, UnitId};
use crate::scale::Scale;
use crate::token::Claims;
use crate::voting::vote::Ballot;

pub mod db;
pub mod record;
pub mod sql;
#[cfg(test)]
pub(crate) mod sqlite;
pub mod statement;

/// A failure of the database itself. Logged with its cause; shown to nobody.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("unexpected data in the database: {0}")]
    Corrupt(String),
}

/// The employee a verified token names, and whether that token is still the current code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeHolder {
    pub employee: EmployeeId,
    pub name: String,
    pub position: String,
    pub unit: UnitId,
    pub unit_name: String,
    pub status: CodeStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStatus {
    /// Issued, not revoked, and the employee is active.
    Current,
    /// Revoked, replaced by a newer issue, or the employee has left.
    Revoked,
    /// Never issued (for example a database restored from before the code was made).
    NeverIssued,
    /// A one-time code that has taken its vote.
    Used,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Form,
    Api,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Api => "api",
        }
    }
}

/// A vote ready to be written.
#[derive(Debug, Clone)]
pub struct NewVote<'a> {
    pub claims: &'a Claims,
    pub ballot: &'a Ballot,
    pub lang: Lang,
    pub source: Source,
    pub client_hash: &'a str,
    /// Keyed hash of the client alone (no employee), for the daily limit across employees.
    pub client_key: &'a str,
    /// Keyed hash of the network alone under the day's salt, stored on the vote for screening
    /// (`integrity::screen_addresses`) and cleared once the day is screened and over.
    pub network_hash: &'a str,
    /// The most votes one network may cast in a UTC day, across all employees.
    pub daily_limit: u32,
    /// Set when an integrity rule doubts the vote: stored as 'flagged' with this reason.
    pub flag: Option<Flag>,
    /// Units whose office networks contain the client's address.
    pub office_units: &'a [UnitId],
    /// What is kept of the voter's receipt (`receipt::Receipt::stored_hash`).
    pub receipt_hash: &'a str,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Stored,
    /// The code is not current (or the score left the scale): nothing was written.
    NotStored,
    /// The client is over the daily limit: only the attempt was counted.
    OverLimit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueOutcome {
    Issued(u16),
    NoSuchEmployee,
    /// All 65,535 issue numbers of this employee and channel are used.
    Exhausted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreCounts {
    /// (score, votes) of counted votes, for every score that has any.
    pub by_score: Vec<(i64, i64)>,
    /// Votes recorded but left out of results (repeats).
    pub excluded: i64,
}

pub trait Store {
    /// The holder of a verified token's code; `None` when no such employee exists.
    async fn code_holder(&self, claims: &Claims) -> Result<Option<CodeHolder>, StoreError>;

    /// The instance's rating scale.
    async fn scale(&self) -> Result<Scale, StoreError>;

    /// Writes the vote (and its contact, in the same batch) only if the token's code is
    /// current, the score is on the scale and the client is within the daily limit.
    async fn record_vote(&self, vote: &NewVote<'_>) -> Result<Recorded, StoreError>;

    /// The salt of `day`, storing `candidate` if the day has none yet.
    async fn client_salt(&self, day: &str, candidate: &str) -> Result<String, StoreError>;

    /// Deletes the salts and client counters of days before `day`; returns how many salts.
    async fn forget_salts_before(&self, day: &str) -> Result<u32, StoreError>;

    /// Every unit's declared office networks.
    async fn office_networks(&self) -> Result<Vec<(UnitId, Cidr)>, StoreError>;

    /// Deletes contacts left before `before` (unix seconds); returns how many.
    async fn forget_contacts_before(&self, before: i64) -> Result<u32, StoreError>;

    /// The unit's website form: its name and its active employees with a current website code,
    /// as (employee, name, position, issue); `None` for no such active unit.
    async fn unit_form(
        &self,
        unit: UnitId,
    ) -> Result<Option<(String, Vec<(EmployeeId, String, String, u16)>)>, StoreError>;

    /// Vote counts per score in `[start, end)`; `None` when no such employee exists.
    async fn score_counts(
        &self,
        employee: EmployeeId,
        start: i64,
        end: i64,
    ) -> Result<Option<ScoreCounts>, StoreError>;
}

/// Every criterion, active or not.
pub(crate) async fn criteria(
    db: &impl db::Database,
) -> Result<Vec<crate::scale::Criterion>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Row {
        id: i64,
        code: String,
        labels: String,
        position: i64,
        active: i64,
    }
    db.rows::<Row>(db::stmt(sql::CRITERIA, vec![]))
        .await?
        .into_iter()
        .map(|r| {
            Ok(crate::scale::Criterion {
                id: r.id,
                code: r.code,
                labels: crate::scale::Labels::parse_json(&r.labels)
                    .map_err(|e| StoreError::Corrupt(format!("criterion labels: {e}")))?,
                position: r.position,
                active: r.active != 0,
            })
        })
        .collect()
}
