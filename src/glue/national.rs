//! The national view (`NATIONAL_SHARDS`, docs/scale.md): each listed shard's monthly unit
//! aggregates copied into this deployment's database, and read back per shard.

use super::admin::{fail, ok_json};
use super::d1::{corrupt, num, text, unavailable, D1Store};
use super::{http, App};
use crate::account::Principal;
use crate::admin::AdminError;
use crate::api::ApiError;
use crate::report::{month_key, Period};
use crate::shard::{shard_months, NationalRow};
use crate::store::{sql, StoreError};
use serde::Deserialize;
use worker::{Request, Response, Result};

/// Rows per insert: `[unit, score, counted, flagged, duplicates]` is under 40 bytes of JSON,
/// so 1,000 rows stay well inside D1's 100 KB per statement.
const ROWS_PER_INSERT: usize = 1_000;

#[derive(Deserialize)]
struct MonthRow {
    unit_id: i64,
    score: i64,
    counted: i64,
    flagged: i64,
    duplicates: i64,
}

#[derive(Deserialize)]
struct NationalDbRow {
    shard: i64,
    unit_id: i64,
    score: i64,
    counted: i64,
    flagged: i64,
    duplicates: i64,
}

impl D1Store {
    /// This database's units' own votes of `month`, per score.
    async fn shard_month(&self, month: &str) -> std::result::Result<Vec<[i64; 5]>, StoreError> {
        let rows = self
            .prepare(sql::SHARD_MONTH, &[text(month)])?
            .all()
            .await
            .map_err(unavailable)?
            .results::<MonthRow>()
            .map_err(corrupt)?;
        Ok(rows
            .into_iter()
            .map(|r| [r.unit_id, r.score, r.counted, r.flagged, r.duplicates])
            .collect())
    }

    /// Replaces a shard's month in the national table, in one batch: collecting twice
    /// leaves the same rows.
    async fn replace_national_month(
        &self,
        shard: u8,
        month: &str,
        rows: &[[i64; 5]],
    ) -> std::result::Result<(), StoreError> {
        let mut statements =
            vec![self.prepare(sql::CLEAR_NATIONAL_MONTH, &[num(shard), text(month)])?];
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let json = serde_json::to_string(chunk)
                .map_err(|e| StoreError::Corrupt(format!("national rows: {e}")))?;
            statements.push(self.prepare(
                sql::INSERT_NATIONAL_ROWS,
                &[
                    num(shard),
                    text(month),
                    num(self.now().unix_seconds() as f64),
                    text(&json),
                ],
            )?);
        }
        self.batch(statements).await.map(|_| ())
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
                    .map(|()| rows.len()),
                Err(e) => Err(e),
            };
            match copied {
                Ok(n) => {
                    worker::console_log!("cron: national view: shard {shard}, {month}: {n} rows")
                }
                Err(e) => worker::console_error!(
                    "cron: national view: shard {shard}, {month} failed: {e}"
                ),
            }
        }
    }
}

/// `GET /api/v1/admin/national?month=YYYY-MM` (default: this month), superadmins only.
pub(super) async fn national(app: &App, req: &Request, p: &Principal) -> Result<Response> {
    if !p.is_superadmin() {
        return fail(&AdminError::Forbidden);
    }
    let month = match http::query(req, "month") {
        Some(m) => m,
        None => month_key(super::today(app.now)),
    };
    if !Period::month(&month).is_ok_and(|p| month_key(p.from) == month) {
        return http::api_error(&(&crate::report::PeriodError::BadMonth).into());
    }
    match app.store.national_month(&month).await {
        Ok(rows) => ok_json(
            200,
            &serde_json::json!({
                "month": month,
                "collected": app.national,
                "shards": shard_months(&rows),
            }),
        ),
        Err(e) => {
            worker::console_error!("store error on the national view: {e}");
            http::api_error(&ApiError::unavailable())
        }
    }
}
