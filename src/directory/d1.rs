//! `DirectoryStore` on D1.

use super::sql;
use super::store::{
    BulkCode, DirectoryStore, EmployeeFilter, EmployeePage, FoundUnit, ListedEmployee, Missing,
    QrStatus, Uncoded,
};
use crate::account::{AccountId, Scope};
use crate::glue::d1::{corrupt, first_row, num, opt_text, text, D1Store};
use crate::org::{EmployeeId, UnitId};
use crate::store::admin::Audit;
use crate::store::StoreError;
use serde::Deserialize;
use wasm_bindgen::JsValue;

fn bad(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected {what}"))
}

fn scope_arg(scope: &Scope) -> JsValue {
    opt_text(scope.sql_param().as_deref())
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

fn count(n: Option<CountRow>) -> u32 {
    n.map_or(0, |r| u32::try_from(r.n).unwrap_or(u32::MAX))
}

#[derive(Deserialize)]
struct ListedRow {
    id: i64,
    name: String,
    position: String,
    unit_id: i64,
    unit_name: String,
    active: i64,
    qr: String,
}

impl ListedRow {
    fn view(self) -> Result<ListedEmployee, StoreError> {
        Ok(ListedEmployee {
            id: EmployeeId::parse(self.id).ok_or_else(|| bad("employee id"))?,
            name: self.name,
            position: self.position,
            unit_id: UnitId::parse(self.unit_id).ok_or_else(|| bad("unit id"))?,
            unit_name: self.unit_name,
            active: self.active != 0,
            qr: QrStatus::parse(&self.qr).ok_or_else(|| bad("code status"))?,
        })
    }
}

/// The five parameters `sql::missing_codes!` reads.
fn missing_args(scope: &Scope, m: &Missing) -> Vec<JsValue> {
    let named = m.employees.as_ref().map(|ids| {
        let ids: Vec<u32> = ids.iter().map(|e| e.get()).collect();
        serde_json::to_string(&ids).unwrap_or_else(|_| String::from("[]"))
    });
    vec![
        num(m.unit.get()),
        num(u8::from(m.subtree)),
        opt_text(named.as_deref()),
        num(m.channel.get()),
        scope_arg(scope),
    ]
}

impl DirectoryStore for D1Store {
    async fn list_employees(
        &self,
        scope: &Scope,
        filter: &EmployeeFilter,
    ) -> Result<EmployeePage, StoreError> {
        let args = [
            scope_arg(scope),
            num(filter.channel.get()),
            opt_text(filter.name.as_deref()),
            opt_text(filter.status.map(QrStatus::as_str)),
            filter.unit.map_or(JsValue::NULL, |u| num(u.get())),
        ];
        let mut page_args = args.to_vec();
        page_args.push(num(filter.limit));
        page_args.push(num(filter.offset));
        let (list, total) = (sql::list_employees(), sql::count_employees());
        let results = self
            .batch(vec![
                self.prepare(&list, &page_args)?,
                self.prepare(&total, &args)?,
            ])
            .await?;
        let rows: Vec<ListedRow> = match results.first() {
            Some(r) => r.results().map_err(corrupt)?,
            None => return Err(bad("batch result count")),
        };
        Ok(EmployeePage {
            employees: rows
                .into_iter()
                .map(ListedRow::view)
                .collect::<Result<_, _>>()?,
            total: count(first_row(results.get(1))?),
        })
    }

    async fn find_units(
        &self,
        scope: &Scope,
        key: &str,
        limit: u32,
    ) -> Result<Vec<FoundUnit>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            name: String,
            parent_name: Option<String>,
            active: i64,
        }
        let rows: Vec<Row> = self
            .all(
                &sql::find_units(),
                &[scope_arg(scope), text(key), num(limit)],
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(FoundUnit {
                    id: UnitId::parse(r.id)?,
                    name: r.name,
                    parent_name: r.parent_name,
                    active: r.active != 0,
                })
            })
            .collect())
    }

    async fn issue_missing(
        &self,
        scope: &Scope,
        missing: &Missing,
        key_id: u8,
        limit: u32,
        audit: &Audit,
    ) -> Result<(Vec<BulkCode>, u32), StoreError> {
        let base = missing_args(scope, missing);
        let mut issue_args = base.clone();
        issue_args.push(num(key_id));
        issue_args.push(num(audit.at.unix_seconds() as f64));
        issue_args.push(num(limit));
        let results = self
            .batch(vec![
                self.prepare(sql::ISSUE_MISSING_CODES, &issue_args)?,
                self.prepare(
                    sql::INSERT_BULK_ISSUE_AUDIT,
                    &[
                        num(audit.at.unix_seconds() as f64),
                        audit
                            .account
                            .map_or(JsValue::NULL, |a| num(AccountId::get(a))),
                        text(&audit.actor),
                        text(audit.action),
                        text(&audit.object),
                        text(&audit.detail),
                    ],
                )?,
                self.prepare(sql::COUNT_MISSING_CODES, &base)?,
            ])
            .await?;
        #[derive(Deserialize)]
        struct Row {
            employee_id: i64,
            issue: i64,
        }
        let rows: Vec<Row> = match results.first() {
            Some(r) => r.results().map_err(corrupt)?,
            None => return Err(bad("batch result count")),
        };
        let issued = rows
            .into_iter()
            .map(|r| {
                Ok(BulkCode {
                    employee_id: EmployeeId::parse(r.employee_id)
                        .ok_or_else(|| bad("employee id"))?,
                    issue: u16::try_from(r.issue).map_err(|_| bad("issue number"))?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((issued, count(first_row(results.get(2))?)))
    }

    async fn uncoded(
        &self,
        scope: &Scope,
        unit: UnitId,
        channel: crate::org::Channel,
        limit: u32,
    ) -> Result<Vec<Uncoded>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            employee: i64,
            name: String,
            unit_name: String,
        }
        let rows: Vec<Row> = self
            .all(
                sql::UNCODED_EMPLOYEES,
                &[
                    scope_arg(scope),
                    num(unit.get()),
                    num(channel.get()),
                    num(limit),
                ],
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(Uncoded {
                    employee: EmployeeId::parse(r.employee)?,
                    name: r.name,
                    unit_name: r.unit_name,
                })
            })
            .collect())
    }
}
