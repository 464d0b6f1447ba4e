//! The pure part of the vote path's statements: which constant of `sql`, which arguments in
//! which order, and what their rows mean. D1 (`glue::d1`) and the native test store
//! (`store::sqlite`) both bind what these return, so the native tests run D1's very text with
//! D1's very arguments.

use super::record::VoteRecord;
use super::{sql, CodeStatus, Recorded, StoreError};
use crate::clock::Timestamp;
use crate::token::{Claims, CodeKind};

/// A value bound to a statement. Numbers are `f64` because D1 binds JavaScript numbers (it
/// refuses the BigInt a Rust `i64` becomes); the native store binds them as SQLite REALs too,
/// so a rule that only works with INTEGER arguments fails natively as it would on D1.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Num(f64),
    Text(String),
    Null,
}

impl Arg {
    pub fn num(n: impl Into<f64>) -> Arg {
        Arg::Num(n.into())
    }

    pub fn text(s: &str) -> Arg {
        Arg::Text(s.to_owned())
    }

    pub fn opt_text(s: Option<&str>) -> Arg {
        s.map_or(Arg::Null, Arg::text)
    }
}

/// One statement of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: &'static str,
    pub args: Vec<Arg>,
}

/// The query naming a verified token's holder and its code's state. A one-time code is
/// checked against `now` (its batch's expiry) and its spent mark, when the request has one.
pub fn code_holder(claims: &Claims, now: Timestamp, one_time_mark: Option<&str>) -> Statement {
    let mut args = vec![
        Arg::num(claims.employee.get()),
        Arg::num(claims.channel.get()),
        Arg::num(claims.issue),
    ];
    let sql = match claims.kind {
        CodeKind::Standing => sql::CODE_HOLDER,
        CodeKind::OneTime => {
            args.push(Arg::Num(now.unix_seconds() as f64));
            args.push(Arg::opt_text(one_time_mark));
            sql::ONE_TIME_HOLDER
        }
    };
    Statement { sql, args }
}

/// A code's state from the holder query's columns `issued`, `used` (one-time codes only) and
/// `unrevoked AND active`.
pub fn code_status(issued: bool, used: bool, current: bool) -> CodeStatus {
    match (issued, used, current) {
        (false, _, _) => CodeStatus::NeverIssued,
        (true, true, _) => CodeStatus::Used,
        (true, false, true) => CodeStatus::Current,
        (true, false, false) => CodeStatus::Revoked,
    }
}

/// The vote's batch: the client's count of the day first, then the conditional insert, then
/// (one-time codes) the spent mark, its contact and criteria, which `changes()` ties to the
/// insert. A one-time vote needs its code's spent mark; without one nothing is written.
pub fn vote(vote: &VoteRecord, one_time_mark: Option<&str>) -> Result<Vec<Statement>, StoreError> {
    let at = vote.at as f64;
    let day = vote.day();
    let (employee, channel, issue) = (
        Arg::num(vote.employee),
        Arg::num(vote.channel),
        Arg::num(vote.issue),
    );
    let mut counted = vec![
        Arg::text(&day),
        Arg::text(&vote.client_key),
        employee.clone(),
        channel.clone(),
        issue.clone(),
    ];
    let mark = match (one_time_mark, vote.one_time) {
        (Some(mark), true) => Some(Arg::text(mark)),
        (None, true) => {
            return Err(StoreError::Corrupt(
                "a one-time vote without its code's spent mark".into(),
            ))
        }
        (_, false) => None,
    };
    let (count_sql, insert_sql) = if vote.one_time {
        counted.push(Arg::Num(at));
        counted.extend(mark.clone());
        (sql::COUNT_CLIENT_ONE_TIME_VOTE, sql::INSERT_ONE_TIME_VOTE)
    } else {
        (sql::COUNT_CLIENT_VOTE, sql::INSERT_VOTE)
    };
    let mut insert_args = vec![
        employee,
        channel,
        issue,
        Arg::num(vote.score),
        Arg::opt_text(vote.comment.as_deref()),
        Arg::num(u8::from(vote.contact.is_some())),
        Arg::text(&vote.lang),
        Arg::text(&vote.source),
        Arg::text(&vote.client_hash),
        Arg::Num(at),
        Arg::text(&day),
        Arg::text(&vote.client_key),
        Arg::num(vote.daily_limit),
        Arg::opt_text(vote.flag.as_deref()),
        Arg::text(&serde_json::to_string(&vote.office_units).unwrap_or_else(|_| "[]".into())),
        Arg::text(&vote.network_hash),
        Arg::text(&vote.receipt_hash),
    ];
    insert_args.extend(mark.clone());
    let mut statements = vec![
        Statement {
            sql: count_sql,
            args: counted,
        },
        Statement {
            sql: insert_sql,
            args: insert_args,
        },
    ];
    // Right after the insert, so the contact's and criteria's `changes()` guards still see a
    // written vote only when the code was unused.
    if let Some(mark) = mark {
        statements.push(Statement {
            sql: sql::USE_ONE_TIME_CODE,
            args: vec![mark],
        });
    }
    if let Some(contact) = &vote.contact {
        statements.push(Statement {
            sql: sql::INSERT_VOTE_CONTACT,
            args: vec![Arg::text(contact), Arg::Num(at)],
        });
    }
    if !vote.criteria.is_empty() {
        let rated = serde_json::to_string(&vote.criteria).unwrap_or_else(|_| "[]".into());
        statements.push(Statement {
            sql: sql::INSERT_VOTE_CRITERIA,
            args: vec![Arg::Text(rated)],
        });
    }
    Ok(statements)
}

/// What a vote's batch did: whether its insert (the second statement) wrote a row, and the
/// client's count of the day the first returned (`None`: the code was not current, so the
/// count was left alone).
pub fn recorded(inserted: bool, counted: Option<i64>, daily_limit: u32) -> Recorded {
    if inserted {
        Recorded::Stored
    } else if counted.unwrap_or(0) > i64::from(daily_limit) {
        Recorded::OverLimit
    } else {
        Recorded::NotStored
    }
}
