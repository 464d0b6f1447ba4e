//! The national view (`NATIONAL_SHARDS`, docs/scale.md): each listed shard's monthly unit
//! aggregates copied into this deployment's database, and read back per shard.

use super::http::ok_json;
use super::d1::{corrupt, num, text, unavailable, D1Store};
use super::http::{self, Answer};
use super::App;
use crate::account::Principal;
use crate::admin::AdminError;
use crate::results::report::{month_key, Period};
use crate::shard::{national_changes, shard_months, CopiedRow, NationalRow};
use crate::store::{sql, StoreError};
use serde::Deserialize;
use worker::Request;

/// Rows per insert: `[unit, score, counted, flagged, duplicates, verified]` is under 50 bytes of JSON,
/// so 1,000 rows stay well inside D1's 100 KB per statement.
const ROWS_PER_INSERT: usize = 1_000;

#[derive(Deserialize)]
struct MonthRow {
    unit_id: i64,
    score: i64,
    counted: i64,
    flagged: i64,
    duplicates: i64,
    verified: i64,
}

#[derive(Deserialize)]
struct NationalDbRow {
    shard: i64,
    unit_id: i64,
    score: i64,
    counted: i64,
    flagged: i64,
    duplicates: i64,
    verified: i64,
}

impl D1Store {
    /// Rows in `CopiedRow`'s shape from `sql` (`SHARD_MONTH` or `NATIONAL_SHARD_MONTH`).
    async fn copied_rows(
        &self,
        sql: &str,
        params: &[wasm_bindgen::JsValue],
    ) -> std::result::Result<Vec<CopiedRow>, StoreError> {
        let rows = self
            .prepare(sql, params)?
            .all()
            .await
            .map_err(unavailable)?
            .results::<MonthRow>()
            .map_err(corrupt)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                [
                    r.unit_id,
                    r.score,
                    r.counted,
                    r.flagged,
                    r.duplicates,
                    r.verified,
                ]
            })
            .collect())
    }

    /// This database's units' own votes of `month`, per score.
    async fn shard_month(&self, month: &str) -> std::result::Result<Vec<CopiedRow>, StoreError> {
        self.copied_rows(sql::SHARD_MONTH, &[text(month)]).await
    }

    /// What the national table holds of a shard's month, in `shard_month`'s shape.
    async fn kept_national_month(
        &self,
        shard: u8,
        month: &str,
    ) -> std::result::Result<Vec<CopiedRow>, StoreError> {
        self.copied_rows(sql::NATIONAL_SHARD_MONTH, &[num(shard), text(month)])
            .await
    }

    /// Brings a shard's month in the national table up to `fresh`, in one batch, writing only
    /// what changed: collecting twice leaves the same rows, and an hour in which a shard's
    /// month did not move writes nothing (rows written are what D1 bills beyond the
    /// allowance). Returns the rows written or deleted.
    async fn replace_national_month(
        &self,
        shard: u8,
        month: &str,
        fresh: &[CopiedRow],
    ) -> std::result::Result<usize, StoreError> {
        let kept = self.kept_national_month(shard, month).await?;
        let (changed, gone) = national_changes(&kept, fresh);
        let mut statements = Vec::new();
        for chunk in gone.chunks(ROWS_PER_INSERT) {
            let json = serde_json::to_string(chunk)
                .map_err(|e| StoreError::Corrupt(format!("national rows: {e}")))?;
            statements.push(self.prepare(
                sql::DELETE_NATIONAL_ROWS,
                &[num(shard), text(month), text(&json)],
            )?);
        }
        for chunk in changed.chunks(ROWS_PER_INSERT) {
            let json = serde_json::to_string(chunk)
                .map_err(|e| StoreError::Corrupt(format!("national rows: {e}")))?;
            statements.push(self.prepare(
                sql::UPSERT_NATIONAL_ROWS,
                &[
                    num(shard),
                    text(month),
                    num(self.now().unix_seconds() as f64),
                    text(&json),
                ],
            )?);
        }
        if statements.is_empty() {
            return Ok(0);
        }
        self.batch(statements).await?;
        Ok(changed.len() + gone.len())
    }

    async fn national_month(
        &self,
        month: &str,
    ) -> std::result::Result<Vec<NationalRow>, StoreError> {
        let rows = self
            .prepare(sql::NATIONAL_MONTH, &[text(month)])?
            .all()
            .await
            .map_err(unavailable)?
            .results::<NationalDbRow>()
            .map_err(corrupt)?;
        rows.into_iter()
            .map(|r| {
                Ok(NationalRow {
                    shard: u8::try_from(r.shard)
                        .map_err(|_| StoreError::Corrupt(format!("shard {}", r.shard)))?,
                    unit: r.unit_id,
                    score: r.score,
                    counted: r.counted,
                    flagged: r.flagged,
                    duplicates: r.duplicates,
                    verified: r.verified,
                })
            })
            .collect()
    }
}

/// Copies each shard's `months` into the home database. A shard that fails is logged and
/// left for the next run; the others still go in.
pub(super) async fn collect(home: &D1Store, shards: &[(u8, D1Store)], months: &[String]) {
    for (shard, store) in shards {
        for month in months {
            let copied = match store.shard_month(month).await {
                Ok(rows) => home
                    .replace_national_month(*shard, month, &rows)
                    .await
                    .map(|written| (rows.len(), written)),
                Err(e) => Err(e),
            };
            match copied {
                Ok((n, written)) => worker::console_log!(
                    "cron: national view: shard {shard}, {month}: {n} rows, {written} written"
                ),
                Err(e) => worker::console_error!(
                    "cron: national view: shard {shard}, {month} failed: {e}"
                ),
            }
        }
    }
}

/// `GET /api/v1/admin/national?month=YYYY-MM` (default: this month), superadmins only.
pub(super) async fn national(app: &App, req: &Request, p: &Principal) -> Answer {
    if !p.is_superadmin() {
        return Err(AdminError::Forbidden.into());
    }
    let month = match http::query(req, "month") {
        Some(m) => m,
        None => month_key(super::today(app.now)),
    };
    if !Period::month(&month).is_ok_and(|p| month_key(p.from) == month) {
        return Err(crate::results::report::PeriodError::BadMonth.into());
    }
    let rows = app.store.national_month(&month).await?;
    ok_json(
        200,
        &serde_json::json!({
            "month": month,
            "collected": app.national,
            "shards": shard_months(&rows),
        }),
    )
}
