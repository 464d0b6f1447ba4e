//! `ResultsStore` on D1: the roll-up's batches and the report queries. The costs are D1's own
//! figures (`meta.rows_read`, `meta.rows_written`), what Cloudflare bills and limits.

use super::sql;
use crate::integrity::Flag;
use crate::results::report::StatRow;
use crate::results::store::{
    AddressRow, AlertStore, CommentFilter, CommentView, Cost, CriteriaQuery, DropWindow,
    FlaggedView, LiveLine, LiveQuery, LiveRow, MonthData, PendingAlert, ResultsStore, ScreenRow,
    StatQuery, UnitHours, ZoneRange,
};
use crate::store::db::{opt_int as opt_num, stmt, Database, Outcome};
use crate::store::sql as shared;
use crate::store::statement::Arg;
use crate::store::StoreError;
use serde::Deserialize;

fn cost(results: &[Outcome]) -> Cost {
    let mut c = Cost::default();
    for r in results {
        c.rows_read += r.rows_read;
        c.rows_written += r.rows_written;
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

impl<D: Database> ResultsStore for D {
    async fn take_rollup_lease(&self, now: i64, until: i64) -> Result<Option<i64>, StoreError> {
        let row: Option<Watermark> = self
            .first(stmt(
                sql::TAKE_ROLLUP_LEASE,
                vec![Arg::num(now as f64), Arg::num(until as f64)],
            ))
            .await?;
        Ok(row.map(|r| r.watermark as i64))
    }

    async fn release_rollup_lease(&self) -> Result<(), StoreError> {
        self.run(stmt(sql::RELEASE_ROLLUP_LEASE, vec![])).await
    }

    async fn note_rollup_run(&self, at: i64) -> Result<(), StoreError> {
        self.run(stmt(sql::NOTE_ROLLUP_RUN, vec![Arg::num(at as f64)]))
            .await
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
            LiveQuery::Unit => (shared::LIVE_UNIT, Arg::num(subject as f64)),
            LiveQuery::Employee => (shared::LIVE_EMPLOYEE, Arg::num(subject as f64)),
            LiveQuery::Directions => (shared::LIVE_DIRECTIONS, Arg::opt_text(scope)),
        };
        // One statement, one round trip: its rows tell the waiting votes four ways.
        let lines: Vec<LiveLine> = self
            .rows(stmt(
                q,
                vec![
                    first,
                    Arg::num(start as f64),
                    Arg::num(end as f64),
                    Arg::num(offset as f64),
                ],
            ))
            .await?;
        Ok(LiveRow::from_lines(lines))
    }

    async fn unit_zone(&self, unit: i64) -> Result<Option<String>, StoreError> {
        let row: Option<Zone> = self
            .first(stmt(sql::UNIT_ZONE, vec![Arg::num(unit as f64)]))
            .await?;
        Ok(row.map(|z| z.zone))
    }

    async fn last_vote_id(&self) -> Result<i64, StoreError> {
        let last: Option<LastId> = self.first(stmt(sql::LAST_VOTE_ID, vec![])).await?;
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
        let range = || [Arg::num(from as f64), Arg::num(to as f64)];
        let mut statements = Vec::new();
        // A bound value is limited in size (about 1 MB of text here): a few thousand flags a
        // statement keeps far below it.
        for chunk in flags.chunks(4_000) {
            let list: Vec<(i64, &str)> = chunk.iter().map(|(id, f)| (*id, f.as_str())).collect();
            let list = Arg::text(&serde_json::to_string(&list).unwrap_or_else(|_| "[]".into()));
            let args = [Arg::num(from as f64), Arg::num(to as f64), list];
            statements.push(stmt(sql::SCREEN_DIRTY_DAYS, args.to_vec()));
            statements.push(stmt(sql::SCREEN_FLAG, args.to_vec()));
        }
        // New votes read as UTC until set: an instance all in UTC reads nothing more.
        if offsets != "[]" {
            statements.push(stmt(
                shared::SET_STEP_OFFSETS,
                vec![
                    Arg::num(from as f64),
                    Arg::num(to as f64),
                    Arg::text(offsets),
                ],
            ));
        }
        statements.extend([
            stmt(shared::ADD_DAILY_EMPLOYEE, range()),
            stmt(sql::ADD_DAILY_UNIT, range()),
            stmt(sql::ADD_MONTHLY_UNIT, range()),
            stmt(sql::ADD_MONTHLY_EMPLOYEE, range()),
            stmt(sql::ADD_MONTHLY_DIRECTION, range()),
            stmt(sql::ADD_DAILY_CRITERIA, range()),
            stmt(sql::ADD_MONTHLY_CRITERIA, range()),
        ]);
        if let Some(now) = alerts_at {
            statements.push(stmt(
                sql::QUEUE_LOW_SCORE_ALERTS,
                vec![
                    Arg::num(from as f64),
                    Arg::num(to as f64),
                    Arg::num(now as f64),
                ],
            ));
        }
        statements.push(stmt(
            sql::OPEN_CASES,
            vec![
                Arg::num(from as f64),
                Arg::num(to as f64),
                Arg::num(case_deadline as f64),
            ],
        ));
        statements.push(stmt(sql::ADVANCE_WATERMARK, range()));
        let results = self.transaction(statements).await?;
        let applied = results.last().is_some_and(|r| r.changes == 1);
        Ok((applied, cost(&results)))
    }

    async fn screen_votes(&self, from: i64, to: i64) -> Result<Vec<ScreenRow>, StoreError> {
        self.rows(stmt(
            sql::SCREEN_VOTES,
            vec![Arg::num(from as f64), Arg::num(to as f64)],
        ))
        .await
    }

    async fn forget_network_hashes(&self) -> Result<Cost, StoreError> {
        let results = self
            .transaction(vec![stmt(shared::FORGET_NETWORK_HASHES, vec![])])
            .await?;
        Ok(cost(&results))
    }

    async fn screen_address_votes(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<AddressRow>, StoreError> {
        self.rows(stmt(
            shared::SCREEN_ADDRESS_VOTES,
            vec![Arg::num(from as f64), Arg::num(to as f64)],
        ))
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
            .rows(stmt(
                sql::SCREEN_BASELINES,
                vec![
                    Arg::num(from as f64),
                    Arg::num(to as f64),
                    Arg::text(since),
                    Arg::text(until),
                ],
            ))
            .await?;
        Ok(rows.into_iter().map(|r| (r.employee, r.votes)).collect())
    }

    async fn unit_hours(&self) -> Result<Vec<UnitHours>, StoreError> {
        self.rows(stmt(sql::SCREEN_HOURS, vec![])).await
    }

    async fn step_zones(&self, from: i64, to: i64) -> Result<Vec<ZoneRange>, StoreError> {
        self.rows(stmt(
            sql::STEP_ZONES,
            vec![Arg::num(from as f64), Arg::num(to as f64)],
        ))
        .await
    }

    async fn unit_zones(&self) -> Result<Vec<ZoneRange>, StoreError> {
        self.rows(stmt(sql::UNIT_ZONES, vec![])).await
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
            .transaction(vec![
                stmt(
                    sql::MARK_MOVED_DAYS,
                    vec![
                        Arg::num(start as f64),
                        Arg::num(end as f64),
                        Arg::text(offsets),
                    ],
                ),
                stmt(
                    sql::SET_OFFSETS_BETWEEN,
                    vec![
                        Arg::num(start as f64),
                        Arg::num(end as f64),
                        Arg::text(offsets),
                    ],
                ),
                stmt(sql::MARK_DIRTY_RANGE, vec![Arg::text(from), Arg::text(to)]),
            ])
            .await?;
        Ok(cost(&results))
    }

    async fn dirty_days(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        let rows: Vec<DayRow> = self
            .rows(stmt(sql::DIRTY_DAYS, vec![Arg::num(limit)]))
            .await?;
        Ok(rows.into_iter().map(|r| r.day).collect())
    }

    async fn dirty_months(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        let rows: Vec<MonthRow> = self
            .rows(stmt(sql::DIRTY_MONTHS, vec![Arg::num(limit)]))
            .await?;
        Ok(rows.into_iter().map(|r| r.month).collect())
    }

    async fn dirty_counts(&self) -> Result<(i64, i64), StoreError> {
        let c: Option<DirtyCounts> = self.first(stmt(sql::COUNT_DIRTY, vec![])).await?;
        Ok(c.map_or((0, 0), |c| (c.days, c.months)))
    }

    async fn recompute_day(&self, day: &str, start: i64, end: i64) -> Result<Cost, StoreError> {
        let d = || Arg::text(day);
        let (out, back) = (Arg::num(-1.0), Arg::num(1.0));
        let statements = vec![
            stmt(sql::MONTHLY_UNIT_DELTA, vec![d(), out.clone()]),
            stmt(sql::MONTHLY_EMPLOYEE_DELTA, vec![d(), out.clone()]),
            stmt(sql::MONTHLY_DIRECTION_DELTA, vec![d(), out.clone()]),
            stmt(sql::MONTHLY_CRITERIA_DELTA, vec![d(), out]),
            stmt(sql::CLEAR_DAILY_CRITERIA, vec![d()]),
            stmt(
                sql::BUILD_DAILY_CRITERIA,
                vec![d(), Arg::num(start as f64), Arg::num(end as f64)],
            ),
            stmt(sql::CLEAR_DAILY_EMPLOYEE, vec![d()]),
            stmt(
                sql::BUILD_DAILY_EMPLOYEE,
                vec![d(), Arg::num(start as f64), Arg::num(end as f64)],
            ),
            stmt(sql::CLEAR_DAILY_UNIT, vec![d()]),
            stmt(sql::BUILD_DAILY_UNIT, vec![d()]),
            stmt(sql::MONTHLY_UNIT_DELTA, vec![d(), back.clone()]),
            stmt(sql::MONTHLY_EMPLOYEE_DELTA, vec![d(), back.clone()]),
            stmt(sql::MONTHLY_DIRECTION_DELTA, vec![d(), back.clone()]),
            stmt(sql::MONTHLY_CRITERIA_DELTA, vec![d(), back]),
            stmt(sql::CLEAN_DAY, vec![d()]),
        ];
        Ok(cost(&self.transaction(statements).await?))
    }

    async fn rebuild_month(
        &self,
        month: &str,
        first: &str,
        next: &str,
    ) -> Result<Cost, StoreError> {
        let range = || [Arg::text(month), Arg::text(first), Arg::text(next)];
        let statements = vec![
            stmt(sql::CLEAR_MONTHLY_UNIT, vec![Arg::text(month)]),
            stmt(sql::BUILD_MONTHLY_UNIT, range()),
            stmt(sql::CLEAR_MONTHLY_EMPLOYEE, vec![Arg::text(month)]),
            stmt(sql::BUILD_MONTHLY_EMPLOYEE, range()),
            stmt(sql::CLEAR_MONTHLY_CRITERIA, vec![Arg::text(month)]),
            stmt(sql::BUILD_MONTHLY_CRITERIA, range()),
            stmt(sql::CLEAR_MONTHLY_DIRECTION, vec![Arg::text(month)]),
            stmt(sql::BUILD_MONTHLY_DIRECTION, range()),
            stmt(sql::CLEAN_MONTH, vec![Arg::text(month)]),
        ];
        Ok(cost(&self.transaction(statements).await?))
    }

    async fn mark_days_dirty(&self, from: &str, to: &str) -> Result<(), StoreError> {
        self.run(stmt(
            sql::MARK_DIRTY_RANGE,
            vec![Arg::text(from), Arg::text(to)],
        ))
        .await
    }

    async fn mark_month_dirty(&self, month: &str) -> Result<(), StoreError> {
        self.run(stmt(sql::MARK_MONTH_DIRTY, vec![Arg::text(month)]))
            .await
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
            StatQuery::DirectionMonths | StatQuery::DirectionDays => Arg::opt_text(scope),
            _ => Arg::num(subject as f64),
        };
        self.rows(stmt(q, vec![first, Arg::text(from), Arg::text(to)]))
            .await
    }

    async fn month_data(&self, month: &str, last_month: &str) -> Result<MonthData, StoreError> {
        let units: Vec<UnitRow> = self.rows(stmt(sql::MONTH_UNITS, vec![])).await?;
        let closure: Vec<ClosureRow> = self.rows(stmt(sql::MONTH_CLOSURE, vec![])).await?;
        let employees: Vec<NameRow> = self.rows(stmt(sql::MONTH_EMPLOYEES, vec![])).await?;
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
            this_month: self
                .rows(stmt(shared::MONTH_UNIT_ROWS, vec![Arg::text(month)]))
                .await?,
            last_month: self
                .rows(stmt(shared::MONTH_UNIT_ROWS, vec![Arg::text(last_month)]))
                .await?,
            employee_rows: self
                .rows(stmt(shared::MONTH_EMPLOYEE_ROWS, vec![Arg::text(month)]))
                .await?,
            overdue: {
                let rows: Vec<crate::results::store::OverdueView> = self
                    .rows(stmt(
                        sql::OVERDUE_BY_UNIT,
                        vec![Arg::Null, Arg::num(self.now().unix_seconds() as f64)],
                    ))
                    .await?;
                rows.into_iter().map(|r| (r.unit_id, r.overdue)).collect()
            },
            criteria: crate::store::criteria(self).await?,
            criteria_rows: self
                .rows(stmt(sql::MONTH_CRITERIA_ROWS, vec![Arg::text(month)]))
                .await?,
        })
    }

    async fn unit_month_data(
        &self,
        unit: i64,
        month: &str,
        last_month: &str,
    ) -> Result<(MonthData, Cost), StoreError> {
        let (u, m) = (Arg::num(unit as f64), Arg::text(month));
        let now = Arg::num(self.now().unix_seconds() as f64);
        // One batch: one round trip, and every row of one snapshot.
        let statements = vec![
            stmt(sql::UNIT_MONTH_UNIT, vec![u.clone()]),
            stmt(sql::UNIT_MONTH_CLOSURE, vec![u.clone()]),
            stmt(sql::UNIT_MONTH_EMPLOYEES, vec![u.clone(), m.clone()]),
            stmt(sql::UNIT_MONTH_UNIT_ROWS, vec![u.clone(), m.clone()]),
            stmt(
                sql::UNIT_MONTH_UNIT_ROWS,
                vec![u.clone(), Arg::text(last_month)],
            ),
            stmt(sql::UNIT_MONTH_EMPLOYEE_ROWS, vec![u.clone(), m.clone()]),
            stmt(sql::UNIT_MONTH_OVERDUE, vec![u.clone(), now]),
            stmt(sql::UNIT_MONTH_CRITERIA_ROWS, vec![u, m]),
        ];
        let results = self.transaction(statements).await?;
        let spent = cost(&results);
        let [units, closure, employees, this_month, last_month, employee_rows, overdue, criteria_rows] =
            <[Outcome; 8]>::try_from(results)
                .map_err(|_| StoreError::Corrupt("month-to-date batch".into()))?;
        let units: Vec<UnitRow> = units.read()?;
        let closure: Vec<ClosureRow> = closure.read()?;
        let employees: Vec<NameRow> = employees.read()?;
        let overdue: Vec<crate::results::store::OverdueView> = overdue.read()?;
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
            this_month: this_month.read()?,
            last_month: last_month.read()?,
            employee_rows: employee_rows.read()?,
            overdue: overdue
                .into_iter()
                .map(|r| (r.unit_id, r.overdue))
                .collect(),
            // The instance's criteria: a handful of rows, outside the batch's cost.
            criteria: crate::store::criteria(self).await?,
            criteria_rows: criteria_rows.read()?,
        };
        Ok((data, spent))
    }

    async fn last_rollup_run(&self) -> Result<Option<i64>, StoreError> {
        let row: Option<LastRun> = self.first(stmt(sql::LAST_ROLLUP_RUN, vec![])).await?;
        Ok(row.and_then(|r| r.updated_at).map(|t| t as i64))
    }

    async fn criteria_rows(
        &self,
        query: CriteriaQuery,
        subject: i64,
        scope: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::results::criteria::CriterionRow>, StoreError> {
        let (q, first) = match query {
            CriteriaQuery::UnitMonths => (sql::UNIT_CRITERIA_MONTHS, Arg::num(subject as f64)),
            CriteriaQuery::UnitDays => (sql::UNIT_CRITERIA_DAYS, Arg::num(subject as f64)),
            CriteriaQuery::EmployeeMonths => {
                (sql::EMPLOYEE_CRITERIA_MONTHS, Arg::num(subject as f64))
            }
            CriteriaQuery::EmployeeDays => (sql::EMPLOYEE_CRITERIA_DAYS, Arg::num(subject as f64)),
            CriteriaQuery::DirectionMonths => {
                (sql::DIRECTION_CRITERIA_MONTHS, Arg::opt_text(scope))
            }
            CriteriaQuery::DirectionDays => (sql::DIRECTION_CRITERIA_DAYS, Arg::opt_text(scope)),
        };
        self.rows(stmt(q, vec![first, Arg::text(from), Arg::text(to)]))
            .await
    }

    async fn store_monthly_reports(
        &self,
        month: &str,
        reports: &[(i64, String)],
        now: i64,
    ) -> Result<Cost, StoreError> {
        // Bodies go in as one JSON parameter per chunk: D1 allows 100 bound parameters a
        // statement, and a statement's text stays small.
        let mut statements = vec![stmt(sql::CLEAR_MONTHLY_REPORTS, vec![Arg::text(month)])];
        for chunk in reports.chunks(100) {
            let json = serde_json::to_string(chunk)
                .map_err(|e| StoreError::Corrupt(format!("report JSON: {e}")))?;
            statements.push(stmt(
                sql::INSERT_MONTHLY_REPORTS,
                vec![Arg::text(month), Arg::text(&json), Arg::num(now as f64)],
            ));
        }
        Ok(cost(&self.transaction(statements).await?))
    }

    async fn monthly_report(&self, unit: i64, month: &str) -> Result<Option<String>, StoreError> {
        let row: Option<BodyRow> = self
            .first(stmt(
                sql::MONTHLY_REPORT,
                vec![Arg::num(unit as f64), Arg::text(month)],
            ))
            .await?;
        Ok(row.map(|r| r.body))
    }

    async fn has_monthly_reports(&self, month: &str) -> Result<bool, StoreError> {
        let row: Option<BodyRow> = self
            .first(stmt(sql::ANY_MONTHLY_REPORT, vec![Arg::text(month)]))
            .await?;
        Ok(row.is_some())
    }

    async fn flagged_votes(
        &self,
        scope: Option<&str>,
        before: Option<i64>,
        account: u32,
    ) -> Result<Vec<FlaggedView>, StoreError> {
        self.rows(stmt(
            sql::FLAGGED_VOTES,
            vec![Arg::opt_text(scope), opt_num(before), Arg::num(account)],
        ))
        .await
    }

    async fn decide_flagged(
        &self,
        scope: Option<&str>,
        ids: &[i64],
        status: &str,
        audit: &crate::admin::store::Audit,
    ) -> Result<u32, StoreError> {
        let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let account = audit.account.map_or(Arg::Null, |a| Arg::num(a.get()));
        let results = self
            .transaction(vec![
                stmt(
                    shared::MARK_FLAGGED_DAYS,
                    vec![Arg::opt_text(scope), Arg::text(&ids), account.clone()],
                ),
                stmt(
                    shared::DECIDE_FLAGGED,
                    vec![
                        Arg::opt_text(scope),
                        Arg::text(&ids),
                        Arg::text(status),
                        account,
                    ],
                ),
                audit.statement(false),
            ])
            .await?;
        Ok(results
            .get(1)
            .map_or(0, |r| u32::try_from(r.changes).unwrap_or(u32::MAX)))
    }

    async fn comments(&self, f: &CommentFilter) -> Result<Vec<CommentView>, StoreError> {
        self.rows(stmt(
            sql::COMMENTS,
            vec![
                Arg::opt_text(f.scope.as_deref()),
                Arg::num(f.start as f64),
                Arg::num(f.end as f64),
                opt_num(f.unit),
                opt_num(f.employee),
                opt_num(f.score),
                opt_num(f.with_contact.map(i64::from)),
                opt_num(f.before),
            ],
        ))
        .await
    }
}

#[derive(Deserialize)]
struct EmailRow {
    email: String,
}

impl<D: Database> AlertStore for D {
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
        self.rows(stmt(
            q,
            vec![
                Arg::text(from),
                Arg::text(mid),
                Arg::text(to),
                Arg::num(top as f64),
            ],
        ))
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
            statements.push(stmt(
                sql::QUEUE_ALERTS,
                vec![Arg::text(&json), Arg::num(now as f64)],
            ));
        }
        if !statements.is_empty() {
            self.transaction(statements).await?;
        }
        Ok(())
    }

    async fn pending_alerts(&self, now: i64, limit: u32) -> Result<Vec<PendingAlert>, StoreError> {
        self.rows(stmt(
            sql::PENDING_ALERTS,
            vec![
                Arg::num(now as f64),
                Arg::num(crate::alert::MAX_ATTEMPTS as f64),
                Arg::num(limit),
            ],
        ))
        .await
    }

    async fn unit_managers(&self, unit: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<EmailRow> = self
            .rows(stmt(sql::UNIT_MANAGERS, vec![Arg::num(unit as f64)]))
            .await?;
        Ok(rows.into_iter().map(|r| r.email).collect())
    }

    async fn alert_sent(&self, id: i64, now: i64) -> Result<(), StoreError> {
        self.run(stmt(
            sql::ALERT_SENT,
            vec![Arg::num(id as f64), Arg::num(now as f64)],
        ))
        .await
    }

    async fn alert_failed(&self, id: i64, next_at: i64, error: &str) -> Result<(), StoreError> {
        let error: String = error.chars().take(300).collect();
        self.run(stmt(
            sql::ALERT_FAILED,
            vec![
                Arg::num(id as f64),
                Arg::num(next_at as f64),
                Arg::text(&error),
            ],
        ))
        .await
    }
}

impl<D: Database> crate::results::store::CaseStore for D {
    async fn cases(
        &self,
        f: &crate::results::store::CaseFilter,
    ) -> Result<Vec<crate::results::store::CaseView>, StoreError> {
        self.rows(stmt(
            sql::CASES,
            vec![
                Arg::opt_text(f.scope.as_deref()),
                opt_num(f.unit),
                Arg::opt_text(f.status.as_deref()),
                Arg::num(u8::from(f.overdue)),
                opt_num(f.before),
                opt_num(f.score),
                Arg::num(f.now as f64),
            ],
        ))
        .await
    }

    async fn overdue_by_unit(
        &self,
        scope: Option<&str>,
        now: i64,
    ) -> Result<Vec<crate::results::store::OverdueView>, StoreError> {
        self.rows(stmt(
            sql::OVERDUE_BY_UNIT,
            vec![Arg::opt_text(scope), Arg::num(now as f64)],
        ))
        .await
    }

    async fn change_case(
        &self,
        scope: Option<&str>,
        id: i64,
        change: &crate::results::store::CaseChange,
        audit: &crate::admin::store::Audit,
    ) -> Result<bool, StoreError> {
        let at = Arg::num(audit.at.unix_seconds() as f64);
        let results = self
            .transaction(vec![
                stmt(
                    shared::UPDATE_CASE,
                    vec![
                        Arg::opt_text(scope),
                        Arg::num(id as f64),
                        Arg::opt_text(change.status.as_deref()),
                        opt_num(change.assignee),
                        at.clone(),
                        audit.account.map_or(Arg::Null, |a| Arg::num(a.get())),
                    ],
                ),
                audit.statement(false),
                stmt(
                    sql::INSERT_CASE_NOTE,
                    vec![
                        Arg::num(id as f64),
                        audit.account.map_or(Arg::Null, |a| Arg::num(a.get())),
                        at,
                        Arg::opt_text(change.note.as_deref()),
                    ],
                ),
            ])
            .await?;
        Ok(results.first().is_some_and(|r| r.changes == 1))
    }
}

impl<D: Database> crate::results::store::ReceiptStore for D {
    async fn counted_receipts(&self, start: i64, end: i64) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            hash: String,
        }
        let rows: Vec<Row> = self
            .rows(stmt(
                sql::COUNTED_RECEIPTS,
                vec![Arg::num(start as f64), Arg::num(end as f64)],
            ))
            .await?;
        Ok(rows.into_iter().map(|r| r.hash).collect())
    }

    async fn save_digest(&self, d: &crate::results::store::Digest) -> Result<(), StoreError> {
        self.run(stmt(
            shared::SAVE_DIGEST,
            vec![
                Arg::text(&d.month),
                Arg::text(&d.root),
                Arg::num(d.counted as f64),
                Arg::num(d.made_at as f64),
            ],
        ))
        .await?;
        Ok(())
    }

    async fn digest(
        &self,
        month: &str,
    ) -> Result<Option<crate::results::store::Digest>, StoreError> {
        self.first(stmt(sql::DIGEST, vec![Arg::text(month)])).await
    }

    async fn receipt_vote(&self, hash: &str) -> Result<Option<i64>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            at: i64,
        }
        let row: Option<Row> = self
            .first(stmt(sql::RECEIPT_VOTE, vec![Arg::text(hash)]))
            .await?;
        Ok(row.map(|r| r.at))
    }
}

impl<D: Database> crate::results::store::RejectionStore for D {
    async fn rejected_votes(
        &self,
        scope: Option<&str>,
        before: Option<i64>,
        account: u32,
    ) -> Result<Vec<FlaggedView>, StoreError> {
        self.rows(stmt(
            sql::REJECTED_VOTES,
            vec![Arg::opt_text(scope), opt_num(before), Arg::num(account)],
        ))
        .await
    }

    async fn reviewed_vote(
        &self,
        scope: Option<&str>,
        id: i64,
        account: u32,
    ) -> Result<Option<crate::results::store::ReviewedVote>, StoreError> {
        self.first(stmt(
            sql::REVIEWED_VOTE,
            vec![Arg::opt_text(scope), Arg::num(id as f64), Arg::num(account)],
        ))
        .await
    }

    async fn undo_rejection(
        &self,
        scope: Option<&str>,
        id: i64,
        audit: &crate::admin::store::Audit,
    ) -> Result<bool, StoreError> {
        let account = audit.account.map_or(Arg::Null, |a| Arg::num(a.get()));
        let results = self
            .transaction(vec![
                stmt(
                    sql::MARK_UNDONE_DAY,
                    vec![Arg::opt_text(scope), Arg::num(id as f64), account.clone()],
                ),
                stmt(
                    sql::UNDO_REJECTION,
                    vec![Arg::opt_text(scope), Arg::num(id as f64), account],
                ),
                audit.statement(false),
            ])
            .await?;
        Ok(results.get(1).map_or(0, |r| r.changes) > 0)
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
        let base = || [Arg::opt_text(scope), Arg::text(&ids), Arg::num(account)];
        let [s, i, a] = base();
        let results = self
            .transaction(vec![
                stmt(
                    sql::AUDIT_UNDONE_REJECTIONS,
                    vec![
                        s,
                        i,
                        a,
                        Arg::num(at.unix_seconds() as f64),
                        Arg::text(actor),
                    ],
                ),
                stmt(sql::MARK_UNDONE_DAYS, base()),
                stmt(sql::UNDO_REJECTIONS, base()),
            ])
            .await?;
        Ok(results
            .get(2)
            .map_or(0, |r| u32::try_from(r.changes).unwrap_or(u32::MAX)))
    }
}
