//! Import and export of employees as an HR list (CSV): the plan of what an import would change
//! (`hr_csv`, pure), the use cases that read the caller's part of the organisation and write
//! the plan (this file), the route table (`routes`), the OpenAPI operations (`openapi.json`)
//! and, on Workers, the handlers. The data is the organisation's: `AdminStore`.
//! docs/import.md is the user's guide.

#[cfg(all(target_arch = "wasm32", not(feature = "citizen")))]
pub(crate) mod handlers;
pub mod hr_csv;
pub mod routes;

use crate::account::{Principal, Scope};
use crate::admin::store::{AdminStore, DirectionView, ImportRow, UnitView};
use crate::admin::AdminError;
use crate::admin::{audit, invalid, with_detail, write_scope};
use crate::clock::Timestamp;
use crate::org::{DirectionId, EmployeeId, UnitId};
use serde::Serialize;

/// The units of `root`'s subtree within `scope`, with their paths from the top.
async fn units_under(
    store: &impl AdminStore,
    scope: &Scope,
    root: UnitId,
) -> Result<Vec<(UnitView, String)>, AdminError> {
    let all = store.units(scope).await?;
    if !all.iter().any(|u| u.id == root) {
        return Err(AdminError::NotFound("unit"));
    }
    let detail = store
        .unit_detail(scope, root)
        .await?
        .ok_or(AdminError::NotFound("unit"))?;
    let prefix: Vec<String> = detail
        .path
        .iter()
        .take(detail.path.len().saturating_sub(1))
        .map(|s| s.name.clone())
        .collect();
    // Units arrive parents first: build each path from its parent's.
    let mut out: Vec<(UnitView, String)> = Vec::new();
    for u in all {
        let path = if u.id == root {
            let mut parts = prefix.clone();
            parts.push(u.name.clone());
            parts.join(" / ")
        } else {
            match out
                .iter()
                .find(|(p, _)| Some(p.id) == u.parent_id)
                .map(|(_, path)| path.clone())
            {
                Some(parent) => format!("{parent} / {}", u.name),
                None => continue,
            }
        };
        out.push((u, path));
    }
    Ok(out)
}

/// What an import did or would do.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: Vec<ImportErrorView>,
    pub changes: Vec<ImportChangeView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportErrorView {
    pub line: usize,
    pub column: Option<&'static str>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportChangeView {
    pub line: usize,
    pub action: &'static str,
    pub employee_id: Option<EmployeeId>,
    pub name: String,
    pub fields: Vec<&'static str>,
}

fn hr_units(units: &[(UnitView, String)]) -> Vec<hr_csv::UnitRef> {
    units
        .iter()
        .map(|(u, path)| hr_csv::UnitRef {
            id: u.id,
            path: path.clone(),
        })
        .collect()
}

fn hr_directions(directions: &[DirectionView]) -> Vec<hr_csv::DirectionRef> {
    directions
        .iter()
        .map(|d| hr_csv::DirectionRef {
            id: d.id.get(),
            name: d.name.clone(),
        })
        .collect()
}

fn hr_employees(employees: &[crate::admin::store::EmployeeView]) -> Vec<hr_csv::ExistingEmployee> {
    employees
        .iter()
        .map(|e| hr_csv::ExistingEmployee {
            id: e.id,
            name: e.name.clone(),
            position: e.position.clone(),
            unit: e.unit_id,
            active: e.active,
            directions: e.directions.iter().map(|d| d.get()).collect(),
        })
        .collect()
}

/// Plans an import into `root`'s subtree; writes it (all rows or none) unless `dry_run` or
/// any row has an error.
pub async fn import(
    store: &impl AdminStore,
    p: &Principal,
    root: UnitId,
    csv: &[u8],
    dry_run: bool,
    at: Timestamp,
) -> Result<ImportReport, AdminError> {
    let scope = write_scope(p)?;
    let units = units_under(store, &scope, root).await?;
    let unit_ids: Vec<UnitId> = units.iter().map(|(u, _)| u.id).collect();
    let directions = store.directions().await?;
    let employees = store.employees_of(&unit_ids).await?;
    let plan = hr_csv::plan(
        csv,
        &hr_units(&units),
        &hr_directions(&directions),
        &hr_employees(&employees),
    )
    .map_err(|e| invalid("csv", e.to_string()))?;
    let mut report = ImportReport {
        dry_run,
        applied: false,
        created: 0,
        updated: 0,
        unchanged: 0,
        errors: plan
            .errors
            .iter()
            .map(|e| ImportErrorView {
                line: e.line,
                column: e.column,
                message: e.message.clone(),
            })
            .collect(),
        changes: Vec::with_capacity(plan.rows.len()),
    };
    let mut writes = Vec::new();
    for row in &plan.rows {
        let action = match row.action {
            hr_csv::Action::Create => {
                report.created += 1;
                "create"
            }
            hr_csv::Action::Update => {
                report.updated += 1;
                "update"
            }
            hr_csv::Action::Unchanged => {
                report.unchanged += 1;
                "unchanged"
            }
        };
        report.changes.push(ImportChangeView {
            line: row.line,
            action,
            employee_id: row.employee_id,
            name: row.name.as_str().to_owned(),
            fields: row.fields.clone(),
        });
        if !matches!(row.action, hr_csv::Action::Unchanged) {
            writes.push(ImportRow {
                employee: row.employee_id,
                name: row.name.clone(),
                position: row.position.clone(),
                unit: row.unit,
                active: row.active,
                directions: row
                    .directions
                    .iter()
                    .filter_map(|d| DirectionId::parse(i64::from(*d)))
                    .collect(),
            });
        }
    }
    if !dry_run && report.errors.is_empty() && !writes.is_empty() {
        let entry = with_detail(
            audit(p, at, "import_applied", format!("unit:{}", root.get())),
            serde_json::json!({ "created": report.created, "updated": report.updated }),
        );
        store.apply_import(&writes, &entry).await?;
        report.applied = true;
    }
    Ok(report)
}

pub async fn export(
    store: &impl AdminStore,
    p: &Principal,
    root: UnitId,
) -> Result<String, AdminError> {
    let scope = p.read_scope();
    let units = units_under(store, &scope, root).await?;
    let unit_ids: Vec<UnitId> = units.iter().map(|(u, _)| u.id).collect();
    let directions = store.directions().await?;
    let employees = store.employees_of(&unit_ids).await?;
    Ok(hr_csv::export(
        &hr_units(&units),
        &hr_directions(&directions),
        &hr_employees(&employees),
    ))
}
