//! `OneTimeStore` on any `Database`: D1 in the worker, SQLite in the native tests below.

use super::sql;
use super::store::{BatchView, CodeKey, CodeRow, NewBatch, OneTimeStore};
use crate::admin::store::Audit;
use crate::org::{Channel, DirectionId, EmployeeId, UnitId};
use crate::store::db::{nth, opt_num, stmt, Database};
use crate::store::statement::Arg;
use crate::store::StoreError;
use serde::Deserialize;

fn bad(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected {what}"))
}

#[derive(Deserialize)]
struct EmployeeSerialRow {
    employee_id: Option<i64>,
    last_serial: i64,
}

#[derive(Deserialize)]
struct BatchRow {
    id: i64,
    unit_id: i64,
    unit: String,
    channel: i64,
    direction_id: Option<i64>,
    document: Option<String>,
    codes: i64,
    legacy_used: i64,
    issued_by: String,
    issued_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
}

impl BatchRow {
    fn view(self) -> Result<BatchView, StoreError> {
        Ok(BatchView {
            id: self.id,
            unit_id: UnitId::parse(self.unit_id).ok_or_else(|| bad("unit id"))?,
            unit: self.unit,
            channel: Channel::parse(self.channel).ok_or_else(|| bad("channel"))?,
            direction_id: match self.direction_id {
                None => None,
                Some(d) => Some(DirectionId::parse(d).ok_or_else(|| bad("direction id"))?),
            },
            document: self.document,
            codes: self.codes,
            used: None,
            used_withheld: None,
            legacy_used: self.legacy_used,
            issued_by: self.issued_by,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
        })
    }
}

#[derive(Deserialize)]
struct CodeDbRow {
    employee_id: i64,
    name: String,
    position: String,
    serial: i64,
    key_id: i64,
}

#[derive(Deserialize)]
struct CodeKeyRow {
    batch: i64,
    employee_id: i64,
    serial: i64,
    key_id: i64,
}

#[derive(Deserialize)]
struct SpentRow {
    batch: i64,
    used: i64,
}

#[derive(Deserialize)]
struct IdRow {
    id: i64,
}

impl<D: Database> OneTimeStore for D {
    async fn unit_employees(
        &self,
        scope: Option<&str>,
        unit: UnitId,
        channel: Channel,
    ) -> Result<Option<Vec<(EmployeeId, i64)>>, StoreError> {
        let rows: Vec<EmployeeSerialRow> = self
            .rows(stmt(
                sql::ONE_TIME_UNIT_EMPLOYEES,
                vec![
                    Arg::opt_text(scope),
                    Arg::num(unit.get()),
                    Arg::num(channel.get()),
                ],
            ))
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        rows.into_iter()
            .filter_map(|r| Some((r.employee_id?, r.last_serial)))
            .map(|(e, last)| {
                Ok((
                    EmployeeId::parse(e).ok_or_else(|| bad("employee id"))?,
                    last,
                ))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    async fn insert_batch(
        &self,
        scope: Option<&str>,
        batch: &NewBatch<'_>,
        audit: &Audit,
    ) -> Result<Option<i64>, StoreError> {
        let employees: Vec<i64> = batch.employees.iter().map(|e| i64::from(e.get())).collect();
        let employees = serde_json::to_string(&employees).unwrap_or_else(|_| "[]".into());
        let results = self
            .transaction(vec![
                stmt(
                    sql::INSERT_ONE_TIME_BATCH,
                    vec![
                        Arg::opt_text(scope),
                        Arg::num(batch.unit.get()),
                        Arg::num(batch.channel.get()),
                        opt_num(batch.direction.map(|d| d.get())),
                        Arg::opt_text(batch.document),
                        Arg::num(batch.codes as f64),
                        Arg::num(batch.account.get()),
                        Arg::num(batch.at.unix_seconds() as f64),
                        Arg::num(batch.expires_at.unix_seconds() as f64),
                    ],
                ),
                stmt(
                    sql::INSERT_ONE_TIME_CODES,
                    vec![
                        Arg::num(batch.unit.get()),
                        Arg::text(&employees),
                        Arg::num(batch.channel.get()),
                        Arg::num(batch.per_employee),
                        Arg::num(batch.key_id),
                    ],
                ),
                audit.statement(true),
            ])
            .await?;
        Ok(nth(&results, 0)?.first::<IdRow>()?.map(|r| r.id))
    }

    async fn batch(&self, scope: Option<&str>, id: i64) -> Result<Option<BatchView>, StoreError> {
        self.first::<BatchRow>(stmt(
            sql::ONE_TIME_BATCH,
            vec![Arg::opt_text(scope), Arg::num(id as f64)],
        ))
        .await?
        .map(BatchRow::view)
        .transpose()
    }

    async fn batch_codes(&self, id: i64) -> Result<Vec<CodeRow>, StoreError> {
        let rows: Vec<CodeDbRow> = self
            .rows(stmt(sql::ONE_TIME_CODES, vec![Arg::num(id as f64)]))
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(CodeRow {
                    employee_id: EmployeeId::parse(r.employee_id)
                        .ok_or_else(|| bad("employee id"))?,
                    name: r.name,
                    position: r.position,
                    serial: u16::try_from(r.serial).map_err(|_| bad("serial"))?,
                    key_id: u8::try_from(r.key_id).map_err(|_| bad("key id"))?,
                })
            })
            .collect()
    }

    async fn code_keys(&self, batches: &[i64]) -> Result<Vec<CodeKey>, StoreError> {
        if batches.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(batches).unwrap_or_else(|_| "[]".into());
        let rows: Vec<CodeKeyRow> = self
            .rows(stmt(sql::ONE_TIME_CODE_KEYS, vec![Arg::text(&ids)]))
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(CodeKey {
                    batch: r.batch,
                    employee_id: EmployeeId::parse(r.employee_id)
                        .ok_or_else(|| bad("employee id"))?,
                    serial: u16::try_from(r.serial).map_err(|_| bad("serial"))?,
                    key_id: u8::try_from(r.key_id).map_err(|_| bad("key id"))?,
                })
            })
            .collect()
    }

    async fn spent_counts(&self, marks: &[(i64, String)]) -> Result<Vec<(i64, i64)>, StoreError> {
        if marks.is_empty() {
            return Ok(Vec::new());
        }
        let pairs = serde_json::to_string(marks).unwrap_or_else(|_| "[]".into());
        let rows: Vec<SpentRow> = self
            .rows(stmt(sql::ONE_TIME_SPENT_COUNTS, vec![Arg::text(&pairs)]))
            .await?;
        Ok(rows.into_iter().map(|r| (r.batch, r.used)).collect())
    }

    async fn batches(
        &self,
        scope: Option<&str>,
        unit: UnitId,
    ) -> Result<Vec<BatchView>, StoreError> {
        let rows: Vec<BatchRow> = self
            .rows(stmt(
                sql::ONE_TIME_BATCHES,
                vec![Arg::opt_text(scope), Arg::num(unit.get())],
            ))
            .await?;
        rows.into_iter().map(BatchRow::view).collect()
    }

    async fn revoke_batch(
        &self,
        scope: Option<&str>,
        id: i64,
        audit: &Audit,
    ) -> Result<bool, StoreError> {
        let results = self
            .transaction(vec![
                stmt(
                    sql::REVOKE_ONE_TIME_BATCH,
                    vec![
                        Arg::opt_text(scope),
                        Arg::num(id as f64),
                        Arg::num(audit.at.unix_seconds() as f64),
                    ],
                ),
                audit.statement(false),
            ])
            .await?;
        Ok(nth(&results, 0)?.changes == 1)
    }
}
