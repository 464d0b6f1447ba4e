//! `AppealStore` and `ModerationStore` on any `Database`: D1 in the worker, SQLite in tests.

use super::sql;
use super::store::*;
use crate::store::db::{opt_int, stmt, Database};
use crate::store::statement::Arg;
use crate::store::StoreError;

impl<D: Database> AppealStore for D {
    async fn appeal_target(
        &self,
        scope: Option<&str>,
        id: i64,
        account: u32,
    ) -> Result<Option<AppealTarget>, StoreError> {
        self.first(stmt(
            sql::VOTE_FOR_APPEAL,
            vec![Arg::opt_text(scope), Arg::num(id as f64), Arg::num(account)],
        ))
        .await
    }

    async fn file_appeal(
        &self,
        scope: Option<&str>,
        id: i64,
        reason: &str,
        audit: &crate::admin::store::Audit,
    ) -> Result<bool, StoreError> {
        let account = audit.account.map_or(Arg::Null, |a| Arg::num(a.get()));
        let results = self
            .transaction(vec![
                stmt(
                    sql::FILE_APPEAL,
                    vec![
                        Arg::opt_text(scope),
                        Arg::num(id as f64),
                        Arg::text(reason),
                        account,
                        Arg::num(audit.at.unix_seconds() as f64),
                    ],
                ),
                audit.statement(false),
            ])
            .await?;
        Ok(results.first().is_some_and(|r| r.changes == 1))
    }

    async fn appeals(
        &self,
        scope: Option<&str>,
        open_only: bool,
        before: Option<i64>,
    ) -> Result<Vec<AppealView>, StoreError> {
        self.rows(stmt(
            sql::APPEALS,
            vec![
                Arg::opt_text(scope),
                Arg::num(u8::from(open_only)),
                opt_int(before),
            ],
        ))
        .await
    }

    async fn appeal_state(
        &self,
        scope: Option<&str>,
        id: i64,
        account: u32,
    ) -> Result<Option<AppealState>, StoreError> {
        self.first(stmt(
            sql::APPEAL_STATE,
            vec![Arg::opt_text(scope), Arg::num(id as f64), Arg::num(account)],
        ))
        .await
    }

    async fn decide_appeal(
        &self,
        scope: Option<&str>,
        id: i64,
        upheld: bool,
        note: Option<&str>,
        audit: &crate::admin::store::Audit,
    ) -> Result<bool, StoreError> {
        let args = || {
            [
                Arg::opt_text(scope),
                Arg::num(id as f64),
                Arg::text(if upheld { "upheld" } else { "dismissed" }),
                audit.account.map_or(Arg::Null, |a| Arg::num(a.get())),
                Arg::num(audit.at.unix_seconds() as f64),
                Arg::opt_text(note),
            ]
        };
        let all = args();
        let four = || args().into_iter().take(4).collect::<Vec<_>>();
        let results = self
            .transaction(vec![
                stmt(sql::UPHELD_APPEAL_DAY, four()),
                stmt(sql::REJECT_APPEALED_VOTE, four()),
                stmt(sql::DECIDE_APPEAL, all.to_vec()),
                audit.statement(false),
            ])
            .await?;
        Ok(results.get(2).is_some_and(|r| r.changes == 1))
    }
}

impl<D: Database> ModerationStore for D {
    async fn moderate(
        &self,
        scope: Option<&str>,
        id: i64,
        published_text: Option<&str>,
        audit: &crate::admin::store::Audit,
    ) -> Result<bool, StoreError> {
        let results = self
            .transaction(vec![
                stmt(
                    sql::MODERATE_COMMENT,
                    vec![
                        Arg::opt_text(scope),
                        Arg::num(id as f64),
                        Arg::text(if published_text.is_some() {
                            "published"
                        } else {
                            "withheld"
                        }),
                        Arg::opt_text(published_text),
                        audit.account.map_or(Arg::Null, |a| Arg::num(a.get())),
                        Arg::num(audit.at.unix_seconds() as f64),
                    ],
                ),
                audit.statement(false),
            ])
            .await?;
        Ok(results.first().is_some_and(|r| r.changes == 1))
    }

    async fn published_comments(
        &self,
        unit: i64,
        start: i64,
        end: i64,
    ) -> Result<Vec<PublishedComment>, StoreError> {
        self.rows(stmt(
            sql::PUBLISHED_COMMENTS,
            vec![
                Arg::num(unit as f64),
                Arg::num(start as f64),
                Arg::num(end as f64),
            ],
        ))
        .await
    }
}
