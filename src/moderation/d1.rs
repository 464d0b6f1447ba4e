//! `AppealStore` and `ModerationStore` on D1.

use super::sql;
use super::store::*;
use crate::glue::d1::{changes, num, opt_int, opt_text, text, D1Store};
use crate::store::StoreError;
use wasm_bindgen::JsValue;

impl AppealStore for D1Store {
    async fn appeal_target(
        &self,
        scope: Option<&str>,
        id: i64,
        account: u32,
    ) -> Result<Option<AppealTarget>, StoreError> {
        self.first(
            sql::VOTE_FOR_APPEAL,
            &[opt_text(scope), num(id as f64), num(account)],
        )
        .await
    }

    async fn file_appeal(
        &self,
        scope: Option<&str>,
        id: i64,
        reason: &str,
        audit: &crate::store::admin::Audit,
    ) -> Result<bool, StoreError> {
        let account = audit.account.map_or(JsValue::NULL, |a| num(a.get()));
        let results = self
            .batch(vec![
                self.prepare(
                    sql::FILE_APPEAL,
                    &[
                        opt_text(scope),
                        num(id as f64),
                        text(reason),
                        account,
                        num(audit.at.unix_seconds() as f64),
                    ],
                )?,
                self.audit_stmt(audit, false)?,
            ])
            .await?;
        Ok(results.first().is_some_and(|r| changes(r) == 1))
    }

    async fn appeals(
        &self,
        scope: Option<&str>,
        open_only: bool,
        before: Option<i64>,
    ) -> Result<Vec<AppealView>, StoreError> {
        self.all(
            sql::APPEALS,
            &[opt_text(scope), num(u8::from(open_only)), opt_int(before)],
        )
        .await
    }

    async fn appeal_state(
        &self,
        scope: Option<&str>,
        id: i64,
        account: u32,
    ) -> Result<Option<AppealState>, StoreError> {
        self.first(
            sql::APPEAL_STATE,
            &[opt_text(scope), num(id as f64), num(account)],
        )
        .await
    }

    async fn decide_appeal(
        &self,
        scope: Option<&str>,
        id: i64,
        upheld: bool,
        note: Option<&str>,
        audit: &crate::store::admin::Audit,
    ) -> Result<bool, StoreError> {
        let args = || {
            [
                opt_text(scope),
                num(id as f64),
                text(if upheld { "upheld" } else { "dismissed" }),
                audit.account.map_or(JsValue::NULL, |a| num(a.get())),
                num(audit.at.unix_seconds() as f64),
                opt_text(note),
            ]
        };
        let all = args();
        let four = || args().into_iter().take(4).collect::<Vec<_>>();
        let results = self
            .batch(vec![
                self.prepare(sql::UPHELD_APPEAL_DAY, &four())?,
                self.prepare(sql::REJECT_APPEALED_VOTE, &four())?,
                self.prepare(sql::DECIDE_APPEAL, &all)?,
                self.audit_stmt(audit, false)?,
            ])
            .await?;
        Ok(results.get(2).is_some_and(|r| changes(r) == 1))
    }
}

impl ModerationStore for D1Store {
    async fn moderate(
        &self,
        scope: Option<&str>,
        id: i64,
        published_text: Option<&str>,
        audit: &crate::store::admin::Audit,
    ) -> Result<bool, StoreError> {
        let results = self
            .batch(vec![
                self.prepare(
                    sql::MODERATE_COMMENT,
                    &[
                        opt_text(scope),
                        num(id as f64),
                        text(if published_text.is_some() {
                            "published"
                        } else {
                            "withheld"
                        }),
                        opt_text(published_text),
                        audit.account.map_or(JsValue::NULL, |a| num(a.get())),
                        num(audit.at.unix_seconds() as f64),
                    ],
                )?,
                self.audit_stmt(audit, false)?,
            ])
            .await?;
        Ok(results.first().is_some_and(|r| changes(r) == 1))
    }

    async fn published_comments(
        &self,
        unit: i64,
        start: i64,
        end: i64,
    ) -> Result<Vec<PublishedComment>, StoreError> {
        self.all(
            sql::PUBLISHED_COMMENTS,
            &[num(unit as f64), num(start as f64), num(end as f64)],
        )
        .await
    }
}
