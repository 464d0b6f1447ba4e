//! `ResultsStore` on D1: the roll-up's batches and the report queries. The costs are D1's own
//! figures (`meta.rows_read`, `meta.rows_written`), what Cloudflare bills and limits.

use super::d1::{changes, corrupt, num, opt_int as opt_num, opt_text, text, unavailable, D1Store};
use crate::integrity::Flag;
use crate::report::StatRow;
use crate::store::results::{
    AddressRow, AlertStore, CommentFilter, CommentView, Cost, CriteriaQuery, DropWindow,
    FlaggedView, LiveLine, LiveQuery, LiveRow, MonthData, PendingAlert, ResultsStore, ScreenRow,
    StatQuery, UnitHours, ZoneRange,
};
use crate::store::{sql, StoreError};
use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::D1Result;

fn cost(results: &[D1Result]) -> Cost {
    let mut c = Cost::default();
    for r in results {
        if let Ok(Some(m)) = r.meta() {
            c.rows_read += m.rows_read.unwrap_or(0) as u64;
            c.rows_written += m.rows_written.unwrap_or(0) as u64;
        }
    }
    c
}

#[derive(Deserialize)]
struct Watermark {
    watermark: f64,
}

#[derive(Deserialize)]
struct LastRun {
    updated_at: Option<f64>,
}

#[derive(Deserialize)]
struct Zone {
    zone: String,
}

#[derive(Deserialize)]
struct LastId {
    id: f64,
}

#[derive(Deserialize)]
struct BaselineRow {
    employee: i64,
    votes: i64,
}

#[derive(Deserialize)]
struct DayRow {
    day: String,
}

#[derive(Deserialize)]
struct MonthRow {
    month: String,
}

#[derive(Deserialize)]
struct DirtyCounts {
    days: i64,
    months: i64,
}

#[derive(Deserialize)]
struct UnitRow {
    id: i64,
    parent_id: Option<i64>,
    name: String,
}

#[derive(Deserialize)]
struct ClosureRow {
    ancestor_id: i64,
    descendant_id: i64,
}

#[derive(Deserialize)]
struct NameRow {
    id: i64,
    name: String,
}

#[derive(Deserialize)]
struct BodyRow {
    body: String,
}

impl ResultsStore for D1Store {
    async fn take_rollup_lease(&self, now: i64, until: i64) -> Result<Option<i64>, StoreError> {
        let row: Option<Watermark> = self
            .first(
                sql::TAKE_ROLLUP_LEASE,
                &[num(now as f64), num(until as f64)],
            )
            .await?;
        Ok(row.map(|r| r.watermark as i64))
    }

    async fn release_rollup_lease(&self) -> Result<(), StoreError> {
        self.run(sql::RELEASE_ROLLUP_LEASE, &[]).await
    }

    async fn note_rollup_run(&self, at: i64) -> Result<(), StoreError> {
        self.run(sql::NOTE_ROLLUP_RUN, &[num(at as f64)]).await
    }

    async fn live(
        &self,
        query: LiveQuery,
        subject: i64,
        scope: Option<&str>,
        (start, end): (i64, i64),
        offset: i64,
    ) -> Result<LiveRow, StoreError> {
        let (q, first) = match query {
            LiveQuery::Unit => (sql::LIVE_UNIT, num(subject as f64)),
            LiveQuery::Employee => (sql::LIVE_EMPLOYEE, num(subject as f64)),
            LiveQuery::Directions => (sql::LIVE_DIRECTIONS, opt_text(scope)),
        };
        // One statement, one round trip: its rows tell the waiting votes four ways.
        let rows = self
            .prepare(
                q,
                &[
                    first,
                    num(start as f64),
                    num(end as f64),
                    num(offset as f64),
                ],
            )?
            .all()
            .await
            .map_err(unavailable)?;
        let lines: Vec<LiveLine> = rows.results().map_err(corrupt)?;
        Ok(LiveRow::from_lines(lines))
    }

    async fn unit_zone(&self, unit: i64) -> Result<Option<String>, StoreError> {
        let row: Option<Zone> = self.first(sql::UNIT_ZONE, &[num(unit as f64)]).await?;
        Ok(row.map(|z| z.zone))
    }

    async fn last_vote_id(&self) -> Result<i64, StoreError> {
        let last: Option<LastId> = self.first(sql::LAST_VOTE_ID, &[]).await?;
        Ok(last.map_or(0, |l| l.id as i64))
    }

    async fn add_new_votes(
        &self,
        from: i64,
        to: i64,
        flags: &[(i64, Flag)],
        offsets: &str,
        alerts_at: Option<i64>,
        case_deadline: i64,
    ) -> Result<(bool, Cost), StoreError> {
        let range = || [num(from as f64), num(to as f64)];
        let mut statements = Vec::new();
        // A bound value is limited in size (about 1 MB of text here): a few thousand flags a
        // statement keeps far below it.
        for chunk in flags.chunks(4_000) {
            let list: Vec<(i64, &str)> = chunk.iter().map(|(id, f)| (*id, f.as_str())).collect();
            let list = text(&serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()));
            let args = [num(from as f64), num(to as f64), list];
            statements.push(self.prepare(sql::SCREEN_DIRTY_DAYS, &args)?);
            statements.push(self.prepare(sql::SCREEN_FLAG, &args)?);
        }
        // New votes read as UTC until set: an instance all in UTC reads nothing more.
        if offsets != "[]" {
            statements.push(self.prepare(
                sql::SET_STEP_OFFSETS,
                &[num(from as f64), num(to as f64), text(offsets)],
            )?);
        }
        statements.extend([
            self.prepare(sql::ADD_DAILY_EMPLOYEE, &range())?,
            self.prepare(sql::ADD_DAILY_UNIT, &range())?,
            self.prepare(sql::ADD_MONTHLY_UNIT, &range())?,
            self.prepare(sql::ADD_MONTHLY_EMPLOYEE, &range())?,
            self.prepare(sql::ADD_MONTHLY_DIRECTION, &range())?,
            self.prepare(sql::ADD_DAILY_CRITERIA, &range())?,
            self.prepare(sql::ADD_MONTHLY_CRITERIA, &range())?,
        ]);
        if let Some(now) = alerts_at {
            statements.push(self.prepare(
                sql::QUEUE_LOW_SCORE_ALERTS,
                &[num(from as f64), num(to as f64), num(now as f64)],
            )?);
        }
        statements.push(self.prepare(
            sql::OPEN_CASES,
            &[num(from as f64), num(to as f64), num(case_deadline as f64)],
        )?);
        statements.push(self.prepare(sql::ADVANCE_WATERMARK, &range())?);
        let results = self.batch(statements).await?;
        let applied = results.last().is_some_and(|r| changes(r) == 1);
        Ok((applied, cost(&results)))
    }

    async fn screen_votes(&self, from: i64, to: i64) -> Result<Vec<ScreenRow>, StoreError> {
        self.all(sql::SCREEN_VOTES, &[num(from as f64), num(to as f64)])
            .await
    }

    async fn forget_network_hashes(&self) -> Result<Cost, StoreError> {
        let results = self
            .batch(vec![self.prepare(sql::FORGET_NETWORK_HASHES, &[])?])
            .await?;
        Ok(cost(&results))
    }

    async fn screen_address_votes(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<AddressRow>, StoreError> {
        self.all(
            sql::SCREEN_ADDRESS_VOTES,
            &[num(from as f64), num(to as f64)],
        )
        .await
    }

    async fn screen_baselines(
        &self,
        from: i64,
        to: i64,
        since: &str,
        until: &str,
    ) -> Result<std::collections::HashMap<i64, i64>, StoreError> {
        let rows: Vec<BaselineRow> = self
            .all(
                sql::SCREEN_BASELINES,
                &[num(from as f64), num(to as f64), text(since), text(until)],
            )
            .await?;
        Ok(rows.into_iter().map(|r| (r.employee, r.votes)).collect())
    }

    async fn unit_hours(&self) -> Result<Vec<UnitHours>, StoreError> {
        self.all(sql::SCREEN_HOURS, &[]).await
    }

    async fn step_zones(&self, from: i64, to: i64) -> Result<Vec<ZoneRange>, StoreError> {
        self.all(sql::STEP_ZONES, &[num(from as f64), num(to as f64)])
            .await
    }

    async fn unit_zones(&self) -> Result<Vec<ZoneRange>, StoreError> {
        self.all(sql::UNIT_ZONES, &[]).await
    }

    async fn relocalise(
        &self,
        start: i64,
        end: i64,
        offsets: &str,
        from: &str,
        to: &str,
    ) -> Result<Cost, StoreError> {
        let results = self
            .batch(vec![
                self.prepare(
                    sql::MARK_MOVED_DAYS,
                    &[num(start as f64), num(end as f64), text(offsets)],
                )?,
                self.prepare(
                    sql::SET_OFFSETS_BETWEEN,
                    &[num(start as f64), num(end as f64), text(offsets)],
                )?,
                self.prepare(sql::MARK_DIRTY_RANGE, &[text(from), text(to)])?,
            ])
            .await?;
        Ok(cost(&results))
    }

    async fn dirty_days(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        let rows: Vec<DayRow> = self.all(sql::DIRTY_DAYS, &[num(limit)]).await?;
        Ok(rows.into_iter().map(|r| r.day).collect())
    }

    async fn dirty_months(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        let rows: Vec<MonthRow> = self.all(sql::DIRTY_MONTHS, &[num(limit)]).await?;
        Ok(rows.into_iter().map(|r| r.month).collect())
    }

    async fn dirty_counts(&self) -> Result<(i64, i64), StoreError> {
        let c: Option<DirtyCounts> = self.first(sql::COUNT_DIRTY, &[]).await?;
        Ok(c.map_or((0, 0), |c| (c.days, c.months)))
    }

    async fn recompute_day(&self, day: &str, start: i64, end: i64) -> Result<Cost, StoreError> {
        let d = || text(day);
        let (out, back) = (num(-1.0), num(1.0));
        let statements = vec![
            self.prepare(sql::MONTHLY_UNIT_DELTA, &[d(), out.clone()])?,
            self.prepare(sql::MONTHLY_EMPLOYEE_DELTA, &[d(), out.clone()])?,
            self.prepare(sql::MONTHLY_DIRECTION_DELTA, &[d(), out.clone()])?,
            self.prepare(sql::MONTHLY_CRITERIA_DELTA, &[d(), out])?,
            self.prepare(sql::CLEAR_DAILY_CRITERIA, &[d()])?,
            self.prepare(
                sql::BUILD_DAILY_CRITERIA,
                &[d(), num(start as f64), num(end as f64)],
            )?,
            self.prepare(sql::CLEAR_DAILY_EMPLOYEE, &[d()])?,
            self.prepare(
                sql::BUILD_DAILY_EMPLOYEE,
                &[d(), num(start as f64), num(end as f64)],
            )?,
            self.prepare(sql::CLEAR_DAILY_UNIT, &[d()])?,
            self.prepare(sql::BUILD_DAILY_UNIT, &[d()])?,
            self.prepare(sql::MONTHLY_UNIT_DELTA, &[d(), back.clone()])?,
            self.prepare(sql::MONTHLY_EMPLOYEE_DELTA, &[d(), back.clone()])?,
            self.prepare(sql::MONTHLY_DIRECTION_DELTA, &[d(), back.clone()])?,
            self.prepare(sql::MONTHLY_CRITERIA_DELTA, &[d(), back])?,
            self.prepare(sql::CLEAN_DAY, &[d()])?,
        ];
        Ok(cost(&self.batch(statements).await?))
    }

    async fn rebuild_month(
        &self,
        month: &str,
        first: &str,
        next: &str,
    ) -> Result<Cost, StoreError> {
        let range = || [text(month), text(first), text(next)];
        let statements = vec![
            self.prepare(sql::CLEAR_MONTHLY_UNIT, &[text(month)])?,
            self.prepare(sql::BUILD_MONTHLY_UNIT, &range())?,
            self.prepare(sql::CLEAR_MONTHLY_EMPLOYEE, &[text(month)])?,
            self.prepare(sql::BUILD_MONTHLY_EMPLOYEE, &range())?,
            self.prepare(sql::CLEAR_MONTHLY_CRITERIA, &[text(month)])?,
            self.prepare(sql::BUILD_MONTHLY_CRITERIA, &range())?,
            self.prepare(sql::CLEAR_MONTHLY_DIRECTION, &[text(month)])?,
            self.prepare(sql::BUILD_MONTHLY_DIRECTION, &range())?,
            self.prepare(sql::CLEAN_MONTH, &[text(month)])?,
        ];
        Ok(cost(&self.batch(statements).await?))
    }

    async fn mark_days_dirty(&self, from: &str, to: &str) -> Result<(), StoreError> {
        self.run(sql::MARK_DIRTY_RANGE, &[text(from), text(to)])
            .await
    }

    async fn mark_month_dirty(&self, month: &str) -> Result<(), StoreError> {
        self.run(sql::MARK_MONTH_DIRTY, &[text(month)]).await
    }

    async fn stat_rows(
        &self,
        query: StatQuery,
        subject: i64,
        scope: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<StatRow>, StoreError> {
        let q = query.sql();
        let first = match query {
            StatQuery::DirectionMonths | StatQuery::DirectionDays => opt_text(scope),
            _ => num(subject as f64),
        };
        self.all(q, &[first, text(from), text(to)]).await
    }

    async fn month_data(&self, month: &str, last_month: &str) -> Result<MonthData, StoreError> {
        let units: Vec<UnitRow> = self.all(sql::MONTH_UNITS, &[]).await?;
        let closure: Vec<ClosureRow> = self.all(sql::MONTH_CLOSURE, &[]).await?;
        let employees: Vec<NameRow> = self.all(sql::MONTH_EMPLOYEES, &[]).await?;
        Ok(MonthData {
            units: units
                .into_iter()
                .map(|u| (u.id, u.parent_id, u.name))
                .collect(),
            closure: closure
                .into_iter()
                .map(|c| (c.ancestor_id, c.descendant_id))
                .collect(),
            employees: employees.into_iter().map(|e| (e.id, e.name)).collect(),
            this_month: self.all(sql::MONTH_UNIT_ROWS, &[text(month)]).await?,
            last_month: self.all(sql::MONTH_UNIT_ROWS, &[text(last_month)]).await?,
            employee_rows: self.all(sql::MONTH_EMPLOYEE_ROWS, &[text(month)]).await?,
            overdue: {
                let rows: Vec<crate::store::results::OverdueView> = self
                    .all(
                        sql::OVERDUE_BY_UNIT,
                        &[JsValue::NULL, num(self.now().unix_seconds() as f64)],
                    )
                    .await?;
                rows.into_iter().map(|r| (r.unit_id, r.overdue)).collect()
            },
            criteria: self.criteria().await?,
            criteria_rows: self.all(sql::MONTH_CRITERIA_ROWS, &[text(month)]).await?,
        })
    }

    async fn unit_month_data(
        &self,
        unit: i64,
        month: &str,
        last_month: &str,
    ) -> Result<(MonthData, Cost), StoreError> {
        let (u, m) = (num(unit as f64), text(month));
        let now = num(self.now().unix_seconds() as f64);
        // One batch: one round trip, and every row of one snapshot.
        let statements = vec![
            self.prepare(sql::UNIT_MONTH_UNIT, std::slice::from_ref(&u))?,
            self.prepare(sql::UNIT_MONTH_CLOSURE, std::slice::from_ref(&u))?,
            self.prepare(sql::UNIT_MONTH_EMPLOYEES, &[u.clone(), m.clone()])?,
            self.prepare(sql::UNIT_MONTH_UNIT_ROWS, &[u.clone(), m.clone()])?,
            self.prepare(sql::UNIT_MONTH_UNIT_ROWS, &[u.clone(), text(last_month)])?,
            self.prepare(sql::UNIT_MONTH_EMPLOYEE_ROWS, &[u.clone(), m.clone()])?,
            self.prepare(sql::UNIT_MONTH_OVERDUE, &[u.clone(), now])?,
            self.prepare(sql::UNIT_MONTH_CRITERIA_ROWS, &[u, m])?,
        ];
        let results = self.batch(statements).await?;
        let spent = cost(&results);
        let [units, closure, employees, this_month, last_month, employee_rows, overdue, criteria_rows] =
            <[D1Result; 8]>::try_from(results)
                .map_err(|_| StoreError::Corrupt("month-to-date batch".into()))?;
        let units: Vec<UnitRow> = units.results().map_err(super::d1::corrupt)?;
        let closure: Vec<ClosureRow> = closure.results().map_err(super::d1::corrupt)?;
        let employees: Vec<NameRow> = employees.results().map_err(super::d1::corrupt)?;
        let overdue: Vec<crate::store::results::OverdueView> =
            overdue.results().map_err(super::d1::corrupt)?;
        let data = MonthData {
            units: units
                .into_iter()
                .map(|u| (u.id, u.parent_id, u.name))
                .collect(),
            closure: closure
                .into_iter()
                .map(|c| (c.ancestor_id, c.descendant_id))
                .collect(),
            employees: employees.into_iter().map(|e| (e.id, e.name)).collect(),
            this_month: this_month.results().map_err(super::d1::corrupt)?,
            last_month: last_month.results().map_err(super::d1::corrupt)?,
            employee_rows: employee_rows.results().map_err(super::d1::corrupt)?,
            overdue: overdue
                .into_iter()
                .map(|r| (r.unit_id, r.overdue))
                .collect(),
            // The instance's criteria: a handful of rows, outside the batch's cost.
            criteria: self.criteria().await?,
            criteria_rows: criteria_rows.results().map_err(super::d1::corrupt)?,
        };
        Ok((data, spent))
    }

    async fn last_rollup_run(&self) -> Result<Option<i64>, StoreError> {
        let row: Option<LastRun> = self.first(sql::LAST_ROLLUP_RUN, &[]).await?;
        Ok(row.and_then(|r| r.updated_at).map(|t| t as i64))
    }

    async fn criteria_rows(
        &self,
        query: CriteriaQuery,
        subject: i64,
        scope: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::criteria_results::CriterionRow>, StoreError> {
        let (q, first) = match query {
            CriteriaQuery::UnitMonths => (sql::UNIT_CRITERIA_MONTHS, num(subject as f64)),
            CriteriaQuery::UnitDays => (sql::UNIT_CRITERIA_DAYS, num(subject as f64)),
            CriteriaQuery::EmployeeMonths => (sql::EMPLOYEE_CRITERIA_MONTHS, num(subject as f64)),
            CriteriaQuery::EmployeeDays => (sql::EMPLOYEE_CRITERIA_DAYS, num(subject as f64)),
            CriteriaQuery::DirectionMonths => (sql::DIRECTION_CRITERIA_MONTHS, opt_text(scope)),
            CriteriaQuery::DirectionDays => (sql::DIRECTION_CRITERIA_DAYS, opt_text(scope)),
        };
        self.all(q, &[first, text(from), text(to)]).await
    }

    async fn store_monthly_reports(
        &self,
        month: &str,
        reports: &[(i64, String)],
        now: i64,
    ) -> Result<Cost, StoreError> {
        // Bodies go in as one JSON parameter per chunk: D1 allows 100 bound parameters a
        // statement, and a statement's text stays small.
        let mut statements = vec![self.prepare(sql::CLEAR_MONTHLY_REPORTS, &[text(month)])?];
        for chunk in reports.chunks(100) {
            let json = serde_json::to_string(chunk)
                .map_err(|e| StoreError::Corrupt(format!("report JSON: {e}")))?;
            statements.push(self.prepare(
                sql::INSERT_MONTHLY_REPORTS,
                &[text(month), text(&json), num(now as f64)],
            )?);
        }
        Ok(cost(&self.batch(statements).await?))
    }

    async fn monthly_report(&self, unit: i64, month: &str) -> Result<Option<String>, StoreError> {
        let row: Option<BodyRow> = self
            .first(sql::MONTHLY_REPORT, &[num(unit as f64), text(month)])
            .await?;
        Ok(row.map(|r| r.body))
    }

    async fn has_monthly_reports(&self, month: &str) -> Result<bool, StoreError> {
        let row: Option<BodyRow> = self.first(sql::ANY_MONTHLY_REPORT, &[text(month)]).await?;
        Ok(row.is_some())
    }

    async fn flagged_votes(
        &self,
        scope: Option<&str>,
        before: Option<i64>,
        account: u32,
    ) -> Result<Vec<FlaggedView>, StoreError> {
        self.all(
            sql::FLAGGED_VOTES,
            &[opt_text(scope), opt_num(before), num(account)],
        )
        .await
    }

    async fn decide_flagged(
        &self,
        scope: Option<&str>,
        ids: &[i64],
        status: &str,
        audit: &crate::store::admin::Audit,
    ) -> Result<u32, StoreError> {
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let account = audit.account.map_or(JsValue::NULL, |a| num(a.get()));
        let results = self
            .batch(vec![
                self.prepare(
                    sql::MARK_FLAGGED_DAYS,
                    &[opt_text(scope), text(&ids), account.clone()],
                )?,
                self.prepare(
                    sql::DECIDE_FLAGGED,
                    &[opt_text(scope), text(&ids), text(status), account],
                )?,
                self.audit_stmt(audit, false)?,
            ])
            .await?;
        Ok(results.get(1).map_or(0, changes))
    }

    async fn comments(&self, f: &CommentFilter) -> Result<Vec<CommentView>, StoreError> {
        self.all(
            sql::COMMENTS,
            &[
                opt_text(f.scope.as_deref()),
                num(f.start as f64),
                num(f.end as f64),
                opt_num(f.unit),
                opt_num(f.employee),
                opt_num(f.score),
                opt_num(f.with_contact.map(i64::from)),
                opt_num(f.before),
            ],
        )
        .await
    }
}

#[derive(Deserialize)]
struct EmailRow {
    email: String,
}

impl AlertStore for D1Store {
    async fn drop_windows(
        &self,
        employees: bool,
        from: &str,
        mid: &str,
        to: &str,
        top: i64,
    ) -> Result<Vec<DropWindow>, StoreError> {
        let q = if employees {
            sql::EMPLOYEE_DROP_WINDOWS
        } else {
            sql::UNIT_DROP_WINDOWS
        };
        self.all(q, &[text(from), text(mid), text(to), num(top as f64)])
            .await
    }

    async fn queue_alerts(
        &self,
        alerts: &[(String, String, i64)],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut statements = Vec::new();
        for chunk in alerts.chunks(200) {
            let json = serde_json::to_string(chunk)
                .map_err(|e| StoreError::Corrupt(format!("alert JSON: {e}")))?;
            statements.push(self.prepare(sql::QUEUE_ALERTS, &[text(&json), num(now as f64)])?);
        }
        if !statements.is_empty() {
            self.batch(statements).await?;
        }
        Ok(())
    }

    async fn pending_alerts(&self, now: i64, limit: u32) -> Result<Vec<PendingAlert>, StoreError> {
        self.all(
            sql::PENDING_ALERTS,
            &[
                num(now as f64),
                num(crate::alert::MAX_ATTEMPTS as f64),
                num(limit),
            ],
        )
        .await
    }

    async fn unit_managers(&self, unit: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<EmailRow> = self.all(sql::UNIT_MANAGERS, &[num(unit as f64)]).await?;
        Ok(rows.into_iter().map(|r| r.email).collect())
    }

    async fn alert_sent(&self, id: i64, now: i64) -> Result<(), StoreError> {
        self.run(sql::ALERT_SENT, &[num(id as f64), num(now as f64)])
            .await
    }

    async fn alert_failed(&self, id: i64, next_at: i64, error: &str) -> Result<(), StoreError> {
        let error: String = error.chars().take(300).collect();
        self.run(
            sql::ALERT_FAILED,
            &[num(id as f64), num(next_at as f64), text(&error)],
        )
        .await
    }
}

impl crate::store::results::CaseStore for D1Store {
    async fn cases(
        &self,
        f: &crate::store::results::CaseFilter,
    ) -> Result<Vec<crate::store::results::CaseView>, StoreError> {
        self.all(
            sql::CASES,
            &[
                opt_text(f.scope.as_deref()),
                opt_num(f.unit),
                opt_text(f.status.as_deref()),
                num(u8::from(f.overdue)),
                opt_num(f.before),
                opt_num(f.score),
                num(f.now as f64),
            ],
        )
        .await
    }

    async fn overdue_by_unit(
        &self,
        scope: Option<&str>,
        now: i64,
    ) -> Result<Vec<crate::store::results::OverdueView>, StoreError> {
        self.all(sql::OVERDUE_BY_UNIT, &[opt_text(scope), num(now as f64)])
            .await
    }

    async fn change_case(
        &self,
        scope: Option<&str>,
        id: i64,
        change: &crate::store::results::CaseChange,
        audit: &crate::store::admin::Audit,
    ) -> Result<bool, StoreError> {
        let at = num(audit.at.unix_seconds() as f64);
        let results = self
            .batch(vec![
                self.prepare(
                    sql::UPDATE_CASE,
                    &[
                        opt_text(scope),
                        num(id as f64),
                        opt_text(change.status.as_deref()),
                        opt_num(change.assignee),
                        at.clone(),
                        audit.account.map_or(JsValue::NULL, |a| num(a.get())),
                    ],
                )?,
                self.audit_stmt(audit, false)?,
                self.prepare(
                    sql::INSERT_CASE_NOTE,
                    &[
                        num(id as f64),
                        audit.account.map_or(JsValue::NULL, |a| num(a.get())),
                        at,
                        opt_text(change.note.as_deref()),
                    ],
                )?,
            ])
            .await?;
        Ok(results.first().is_some_and(|r| changes(r) == 1))
    }
}

impl crate::store::results::ReceiptStore for D1Store {
    async fn counted_receipts(&self, start: i64, end: i64) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            hash: String,
        }
        let rows: Vec<Row> = self
            .all(sql::COUNTED_RECEIPTS, &[num(start as f64), num(end as f64)])
            .await?;
        Ok(rows.into_iter().map(|r| r.hash).collect())
    }

    async fn save_digest(&self, d: &crate::store::results::Digest) -> Result<(), StoreError> {
        self.prepare(
            sql::SAVE_DIGEST,
            &[
                text(&d.month),
                text(&d.root),
                num(d.counted as f64),
                num(d.made_at as f64),
            ],
        )?
        .run()
        .await
        .map_err(super::d1::unavailable)?;
        Ok(())
    }

    async fn digest(
        &self,
        month: &str,
    ) -> Result<Option<crate::store::results::Digest>, StoreError> {
        self.first(sql::DIGEST, &[text(month)]).await
    }

    async fn receipt_vote(&self, hash: &str) -> Result<Option<i64>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            at: i64,
        }
        let row: Option<Row> = self.first(sql::RECEIPT_VOTE, &[text(hash)]).await?;
        Ok(row.map(|r| r.at))
    }
}

impl crate::store::results::RejectionStore for D1Store {
    async fn rejected_votes(
        &self,
        scope: Option<&str>,
        before: Option<i64>,
        account: u32,
    ) -> Result<Vec<FlaggedView>, StoreError> {
        self.all(
            sql::REJECTED_VOTES,
            &[opt_text(scope), opt_num(before), num(account)],
        )
        .await
    }

    async fn reviewed_vote(
        &self,
        scope: Option<&str>,
        id: i64,
        account: u32,
    ) -> Result<Option<crate::store::results::ReviewedVote>, StoreError> {
        self.first(
            sql::REVIEWED_VOTE,
            &[opt_text(scope), num(id as f64), num(account)],
        )
        .await
    }

    async fn undo_rejection(
        &self,
        scope: Option<&str>,
        id: i64,
        audit: &crate::store::admin::Audit,
    ) -> Result<bool, StoreError> {
        let account = audit.account.map_or(JsValue::NULL, |a| num(a.get()));
        let results = self
            .batch(vec![
                self.prepare(
                    sql::MARK_UNDONE_DAY,
                    &[opt_text(scope), num(id as f64), account.clone()],
                )?,
                self.prepare(
                    sql::UNDO_REJECTION,
                    &[opt_text(scope), num(id as f64), account],
                )?,
                self.audit_stmt(audit, false)?,
            ])
            .await?;
        Ok(results.get(1).map_or(0, changes) > 0)
    }

    async fn undo_rejections(
        &self,
        scope: Option<&str>,
        ids: &[i64],
        account: u32,
        at: crate::clock::Timestamp,
        actor: &str,
    ) -> Result<u32, StoreError> {
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let base = || [opt_text(scope), text(&ids), num(account)];
        let [s, i, a] = base();
        let results = self
            .batch(vec![
                self.prepare(
                    sql::AUDIT_UNDONE_REJECTIONS,
                    &[s, i, a, num(at.unix_seconds() as f64), text(actor)],
                )?,
                self.prepare(sql::MARK_UNDONE_DAYS, &base())?,
                self.prepare(sql::UNDO_REJECTIONS, &base())?,
            ])
            .await?;
        Ok(results.get(2).map_or(0, changes))
    }
}
