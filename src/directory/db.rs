//! `DirectoryStore` on any `Database`: D1 in the worker, SQLite in the native tests.

use super::sql;
use super::store::{
    BulkCode, DirectoryStore, EmployeeFilter, EmployeePage, FoundUnit, ListedEmployee, Missing,
    QrStatus, Uncoded,
};
use crate::account::{AccountId, Scope};
use crate::admin::store::Audit;
use crate::org::{EmployeeId, UnitId};
use crate::store::db::{nth, stmt, Database};
use crate::store::statement::Arg;
use crate::store::StoreError;
use serde::Deserialize;

fn bad(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected {what}"))
}

fn scope_arg(scope: &Scope) -> Arg {
    Arg::opt_text(scope.sql_param().as_deref())
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
fn missing_args(scope: &Scope, m: &Missing) -> Vec<Arg> {
    let named = m.employees.as_ref().map(|ids| {
        let ids: Vec<u32> = ids.iter().map(|e| e.get()).collect();
        serde_json::to_string(&ids).unwrap_or_else(|_| String::from("[]"))
    });
    vec![
        Arg::num(m.unit.get()),
        Arg::num(u8::from(m.subtree)),
        Arg::opt_text(named.as_deref()),
        Arg::num(m.channel.get()),
        scope_arg(scope),
    ]
}

impl<D: Database> DirectoryStore for D {
    async fn list_employees(
        &self,
        scope: &Scope,
        filter: &EmployeeFilter,
    ) -> Result<EmployeePage, StoreError> {
        let args = [
            scope_arg(scope),
            Arg::num(filter.channel.get()),
            Arg::opt_text(filter.name.as_deref()),
            Arg::opt_text(filter.status.map(QrStatus::as_str)),
            filter.unit.map_or(Arg::Null, |u| Arg::num(u.get())),
        ];
        let mut page_args = args.to_vec();
        page_args.push(Arg::num(filter.limit));
        page_args.push(Arg::num(filter.offset));
        let (list, total) = (sql::list_employees(), sql::count_employees());
        let results = self
            .transaction(vec![stmt(list, page_args), stmt(total, args.to_vec())])
            .await?;
        let rows: Vec<ListedRow> = nth(&results, 0)?.read()?;
        Ok(EmployeePage {
            employees: rows
                .into_iter()
                .map(ListedRow::view)
                .collect::<Result<_, _>>()?,
            total: count(nth(&results, 1)?.first()?),
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
            .rows(stmt(
                sql::find_units(),
                vec![scope_arg(scope), Arg::text(key), Arg::num(limit)],
            ))
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
        issue_args.push(Arg::num(key_id));
        issue_args.push(Arg::num(audit.at.unix_seconds() as f64));
        issue_args.push(Arg::num(limit));
        let results = self
            .transaction(vec![
                stmt(sql::ISSUE_MISSING_CODES, issue_args),
                stmt(
                    sql::INSERT_BULK_ISSUE_AUDIT,
                    vec![
                        Arg::num(audit.at.unix_seconds() as f64),
                        audit
                            .account
                            .map_or(Arg::Null, |a| Arg::num(AccountId::get(a))),
                        Arg::text(&audit.actor),
                        Arg::text(audit.action),
                        Arg::text(&audit.object),
                        Arg::text(&audit.detail),
                    ],
                ),
                stmt(sql::COUNT_MISSING_CODES, base),
            ])
            .await?;
        #[derive(Deserialize)]
        struct Row {
            employee_id: i64,
            issue: i64,
        }
        let rows: Vec<Row> = nth(&results, 0)?.read()?;
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
        Ok((issued, count(nth(&results, 2)?.first()?)))
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
            .rows(stmt(
                sql::UNCODED_EMPLOYEES,
                vec![
                    scope_arg(scope),
                    Arg::num(unit.get()),
                    Arg::num(channel.get()),
                    Arg::num(limit),
                ],
            ))
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
