//! Results use cases: the cron roll-up and monthly close, the recompute command, and the report
//! views. Generic over the store traits; time, the scale and limits are passed in.
//!
//! The folder: the use cases (here); periods, figures, rankings and calendars (`report.rs`);
//! the extra criteria's figures (`criteria.rs`); the printable monthly report and public pages
//! (`page.rs`); what they need from storage (`store.rs`) and that store on any `Database`
//! (`db.rs`, D1 in the worker and SQLite in `store_tests.rs`); the route table (`routes.rs`)
//! and its OpenAPI operations (`openapi.json`) and, in the back office only, the handlers
//! (`handlers.rs`).

pub mod criteria;
mod db;
#[cfg(all(target_arch = "wasm32", not(feature = "citizen")))]
pub(crate) mod handlers;
pub mod page;
pub mod report;
pub mod routes;
pub mod sql;
pub mod store;
#[cfg(test)]
mod store_tests;

use crate::account::{Principal, Scope};
use crate::admin::store::{AdminStore, PathStep};
use crate::admin::{self, AdminError};
use crate::clock::{iso_day, Timestamp};
use crate::integrity::{screen, screen_addresses, Flag, Heard, LocalTime, Seen, BASELINE_DAYS};
use crate::org::{Channel, EmployeeId, OpeningHours, UnitId};
use crate::store::StoreError;
use chrono::{Duration, NaiveDate};
use criteria::{CriterionFigures, CriterionRow, DirectionCriteria};
use futures_util::future;
use report::{
    merge, month_key, rank, tally_by_key, trend, Figures, MonthlyReport, Period, StatRow, Tally,
    TrendPoint,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use store::{
    CommentFilter, CommentView, Cost, CriteriaQuery, LiveQuery, MonthData, ResultsStore, StatQuery,
};

/// A run's lease outlives the longest cron run Workers allows (15 minutes of wall time).
const LEASE_SECONDS: i64 = 15 * 60;

/// How much one run may do: steps of new votes, then dirty days (each costs what its votes
/// cost) and months (what their days cost). What is left waits for the next run.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Queue alerts for the new low scores with a comment (a webhook is configured).
    pub alerts: bool,
    /// Days a new case of the feedback inbox has before it is overdue.
    pub case_deadline_days: u32,
    pub steps: u32,
    pub days: u32,
    pub months: u32,
}

/// Days to answer a case of the inbox (`CASE_DEADLINE_DAYS` changes it).
pub const DEFAULT_CASE_DEADLINE_DAYS: u32 = 30;

/// New votes per incremental step: one batch that reads each of them five times.
pub const STEP_VOTES: i64 = 50_000;

impl Budget {
    pub const CRON: Budget = Budget {
        alerts: false,
        case_deadline_days: DEFAULT_CASE_DEADLINE_DAYS,
        steps: 40,
        days: 31,
        months: 4,
    };
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RollUp {
    /// Another run held the lease: this one did nothing.
    pub skipped: bool,
    /// Every vote up to this id is in the tables.
    pub watermark: i64,
    /// Votes added by this run (ids passed; deleted votes would count too, none are).
    pub new_votes: i64,
    /// Votes screening flagged for review (bursts, cadences, outside opening hours).
    pub screened_flags: usize,
    pub days: Vec<String>,
    pub months: Vec<String>,
    /// Votes still to add, and days and months still to recompute.
    pub votes_left: i64,
    pub days_left: i64,
    pub months_left: i64,
    pub cost: Cost,
}

/// The hourly roll-up: adds the votes after the watermark (reading only them), recomputes the
/// days and months asked for, and leaves what its budget did not reach to the next run.
pub async fn roll_up(
    store: &impl ResultsStore,
    zones: &impl LocalTime,
    now: Timestamp,
    budget: Budget,
) -> Result<RollUp, StoreError> {
    let t = now.unix_seconds();
    let Some(watermark) = store.take_rollup_lease(t, t + LEASE_SECONDS).await? else {
        return Ok(RollUp {
            skipped: true,
            ..RollUp::default()
        });
    };
    let outcome = roll_up_leased(store, zones, watermark, budget, t).await;
    if let Ok(r) = &outcome {
        // Only a run that reached every vote there was at its start may say the figures hold
        // everything up to then (`Freshness::updated_at`).
        if r.votes_left == 0 {
            store.note_rollup_run(t).await?;
        }
    }
    // A failed run keeps nothing half-done (each step is one batch); free the lease anyway so
    // the next run does not wait for it to expire.
    store.release_rollup_lease().await?;
    outcome
}

async fn roll_up_leased(
    store: &impl ResultsStore,
    zones: &impl LocalTime,
    start: i64,
    budget: Budget,
    now: i64,
) -> Result<RollUp, StoreError> {
    let mut cost = Cost::default();
    let last = store.last_vote_id().await?;
    let mut watermark = start;
    let mut steps = 0;
    let mut flagged = 0;
    // Read once a run, not once a step: opening hours change rarely, and a run is short.
    let hours: Option<HashMap<i64, (String, OpeningHours)>> = if watermark < last {
        Some(
            store
                .unit_hours()
                .await?
                .into_iter()
                .filter_map(|u| Some((u.unit, (u.zone, OpeningHours::from_stored(&u.hours)?))))
                .collect(),
        )
    } else {
        None
    };
    while watermark < last && steps < budget.steps {
        let to = last.min(watermark + STEP_VOTES);
        let flags = screen_step(store, zones, hours.as_ref(), watermark, to).await?;
        flagged += flags.len();
        let offsets = crate::local_day::offsets_json(
            store
                .step_zones(watermark, to)
                .await?
                .iter()
                .map(|z| (z.zone.as_str(), z.first, z.last)),
            zones,
        );
        let (applied, c) = store
            .add_new_votes(
                watermark,
                to,
                &flags,
                &offsets,
                budget.alerts.then_some(now),
                i64::from(budget.case_deadline_days) * 86_400,
            )
            .await?;
        cost += c;
        if !applied {
            // Another run moved the watermark (its lease expired while it worked): stop here
            // rather than guess; the next run starts from wherever it is.
            break;
        }
        watermark = to;
        steps += 1;
    }
    if watermark >= last {
        // Every vote is screened: earlier days' network hashes have done their work, and are
        // forgotten (docs/privacy.md). Today's stay: today's later votes are screened with them.
        cost += store.forget_network_hashes().await?;
    }
    let days = store.dirty_days(budget.days).await?;
    for day in &days {
        let Some(d) = crate::clock::parse_iso_day(day) else {
            return Err(StoreError::Corrupt(format!("dirty day {day}")));
        };
        let start = day_start(d);
        cost += store.recompute_day(day, start, start + 86_400).await?;
    }
    let months = store.dirty_months(budget.months).await?;
    for month in &months {
        cost += rebuild(store, month).await?;
    }
    let (days_left, months_left) = store.dirty_counts().await?;
    Ok(RollUp {
        skipped: false,
        watermark,
        new_votes: watermark - start,
        screened_flags: flagged,
        days,
        months,
        votes_left: last - watermark,
        days_left,
        months_left,
        cost,
    })
}

/// The integrity rules that need many votes at once (`integrity::screen`), over one step.
async fn screen_step(
    store: &impl ResultsStore,
    zones: &impl LocalTime,
    hours: Option<&HashMap<i64, (String, OpeningHours)>>,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, Flag)>, StoreError> {
    let votes = store.screen_votes(from, to).await?;
    // The baseline ends the day before the oldest vote screened, so a surge does not raise
    // its own bar.
    let Some(oldest) = votes.iter().map(|v| v.at).min() else {
        return Ok(Vec::new());
    };
    let until = crate::clock::parse_iso_day(&Timestamp::from_unix_seconds(oldest).utc_day())
        .unwrap_or_default();
    let since = until - Duration::days(BASELINE_DAYS);
    let baselines = store
        .screen_baselines(from, to, &iso_day(since), &iso_day(until))
        .await?;
    let seen: Vec<Seen> = votes
        .iter()
        .map(|v| Seen {
            id: v.id,
            employee: v.employee,
            at: v.at,
            outside_hours: Channel::parse(v.channel).is_some_and(Channel::at_the_office)
                && hours.and_then(|h| h.get(&v.unit)).is_some_and(|(zone, h)| {
                    zones
                        .weekday_minute(zone, v.at)
                        .is_some_and(|(day, minute)| !h.is_open(day, minute))
                }),
            may_flag: v.may_flag != 0,
        })
        .collect();
    let mut flags = screen(&seen, &baselines);
    // Then the shared-address rule over the day's votes of the step's networks, leaving out
    // what the rules above just flagged (it counts only votes that count).
    let taken: std::collections::HashSet<i64> = flags.iter().map(|(id, _)| *id).collect();
    let mut networks: HashMap<String, usize> = HashMap::new();
    let heard: Vec<Heard> = store
        .screen_address_votes(from, to)
        .await?
        .into_iter()
        .filter(|v| !taken.contains(&v.id))
        .map(|v| {
            let next = networks.len();
            Heard {
                id: v.id,
                employee: v.employee,
                network: *networks.entry(v.network).or_insert(next),
                at: v.at,
                may_flag: v.may_flag != 0,
            }
        })
        .collect();
    flags.extend(screen_addresses(&heard, &baselines));
    Ok(flags)
}

async fn rebuild(store: &impl ResultsStore, month: &str) -> Result<Cost, StoreError> {
    let p = Period::month(month).map_err(|_| StoreError::Corrupt(format!("month {month}")))?;
    let next = p.to + Duration::days(1);
    store
        .rebuild_month(month, &iso_day(p.from), &iso_day(next))
        .await
}

fn day_start(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp())
}

#[derive(Debug, Clone, Serialize)]
pub struct Close {
    pub month: String,
    pub roll_up: RollUp,
    pub reports: usize,
    pub cost: Cost,
}

/// The monthly close (on the 1st): everything rolled up, last month rebuilt whole from its
/// days, and a report stored per unit. Idempotent: a second close rewrites the same reports.
pub async fn monthly_close(
    store: &(impl ResultsStore + crate::results::store::ReceiptStore + crate::public::ReceiptTreeStore),
    zones: &impl LocalTime,
    now: Timestamp,
    levels: &[i64],
    min_votes: u32,
) -> Result<Close, StoreError> {
    let today = crate::clock::parse_iso_day(&now.utc_day()).unwrap_or_default();
    let month = month_key(
        Period::around(report::PeriodKind::Month, today)
            .previous()
            .from,
    );
    store.mark_month_dirty(&month).await?;
    let roll_up = roll_up(store, zones, now, Budget::CRON).await?;
    if roll_up.skipped {
        // The running roll-up will rebuild the month; the reports wait for the next hourly
        // cron, which closes the month when its reports are missing.
        return Ok(Close {
            month,
            roll_up,
            reports: 0,
            cost: Cost::default(),
        });
    }
    if roll_up.votes_left > 0 || roll_up.days_left > 0 || roll_up.months_left > 0 {
        // A backlog (an import, a long outage) is not finished: a report now would miss
        // votes. The hourly cron sees the reports missing and closes again later.
        return Ok(Close {
            month,
            roll_up,
            reports: 0,
            cost: Cost::default(),
        });
    }
    let (reports, cost) = write_monthly_reports(store, &month, now, levels, min_votes).await?;
    // The root with its whole tree, so that a receipt's proof reads log2(n) rows later.
    crate::public::publish_tree(store, &month, now).await?;
    Ok(Close {
        month,
        roll_up,
        reports,
        cost,
    })
}

/// Builds and stores every unit's report for `month` from the roll-up tables.
pub async fn write_monthly_reports(
    store: &impl ResultsStore,
    month: &str,
    now: Timestamp,
    levels: &[i64],
    min_votes: u32,
) -> Result<(usize, Cost), StoreError> {
    let p = Period::month(month).map_err(|_| StoreError::Corrupt(format!("month {month}")))?;
    let last = month_key(p.previous().from);
    let data = store.month_data(month, &last).await?;
    let mut bodies = Vec::with_capacity(data.units.len());
    for r in build_monthly_reports(&data, month, levels, min_votes) {
        let body = serde_json::to_string(&r)
            .map_err(|e| StoreError::Corrupt(format!("report JSON: {e}")))?;
        bodies.push((r.unit_id, body));
    }
    let cost = store
        .store_monthly_reports(month, &bodies, now.unix_seconds())
        .await?;
    Ok((bodies.len(), cost))
}

/// The report of each unit of `data.units` for `month`, from the roll-up rows `data` holds: the
/// close passes every unit with every row, a month-to-date report one unit with its subtree's
/// rows (`ResultsStore::unit_month_data`). Each unit's figures are its subtree's: the rows of
/// every unit below it are summed into it through `data.closure`.
pub fn build_monthly_reports(
    data: &MonthData,
    month: &str,
    levels: &[i64],
    min_votes: u32,
) -> Vec<MonthlyReport> {
    let this = tally_by_key(&data.this_month);
    let before = tally_by_key(&data.last_month);
    let names: HashMap<i64, &str> = data
        .employees
        .iter()
        .map(|(id, n)| (*id, n.as_str()))
        .collect();
    let mut ancestors: HashMap<i64, Vec<i64>> = HashMap::new();
    for (a, d) in &data.closure {
        ancestors.entry(*d).or_default().push(*a);
    }
    // Each employee's votes, per unit whose subtree holds the unit they were cast in.
    let mut per_unit: HashMap<i64, BTreeMap<i64, Tally>> = HashMap::new();
    for (key, tally) in tally_by_key(&data.employee_rows) {
        let mut parts = key.split(':').map(str::parse::<i64>);
        let (Some(Ok(employee)), Some(Ok(unit))) = (parts.next(), parts.next()) else {
            continue;
        };
        for a in ancestors.get(&unit).map(Vec::as_slice).unwrap_or(&[]) {
            merge(
                per_unit.entry(*a).or_default().entry(employee).or_default(),
                &tally,
            );
        }
    }
    let lowest = levels.first().copied().unwrap_or(0);
    let mut overdue: HashMap<i64, i64> = HashMap::new();
    for (unit, n) in &data.overdue {
        for a in ancestors.get(unit).map(Vec::as_slice).unwrap_or(&[]) {
            *overdue.entry(*a).or_default() += n;
        }
    }
    // Each unit's own criterion ratings, summed into every ancestor (as the employees above).
    let mut criteria_per_unit: HashMap<i64, criteria::CriteriaTally> = HashMap::new();
    for (unit, t) in criteria::tally_by_key(&data.criteria_rows) {
        let Ok(unit) = unit.parse::<i64>() else {
            continue;
        };
        for a in ancestors.get(&unit).map(Vec::as_slice).unwrap_or(&[]) {
            criteria::merge(criteria_per_unit.entry(*a).or_default(), &t);
        }
    }
    let no_criteria = criteria::CriteriaTally::new();
    let empty = Tally::new();
    let mut reports = Vec::with_capacity(data.units.len());
    for (id, _, name) in &data.units {
        let t = this.get(&id.to_string()).unwrap_or(&empty);
        let l = before.get(&id.to_string()).unwrap_or(&empty);
        let employees: Vec<(i64, String, Tally)> = per_unit
            .remove(id)
            .unwrap_or_default()
            .into_iter()
            .map(|(e, t)| (e, names.get(&e).copied().unwrap_or("").to_owned(), t))
            .collect();
        let complaints = t.get(&lowest).map_or(0, |c| c.with_comment);
        let mut r = report::monthly_report(
            *id, name, month, t, l, &employees, complaints, levels, min_votes,
        );
        r.overdue_cases = overdue.get(id).copied().unwrap_or(0);
        r.criteria = criteria::figures(
            criteria_per_unit.get(id).unwrap_or(&no_criteria),
            &data.criteria,
            levels,
            min_votes,
        );
        reports.push(r);
    }
    reports
}

#[derive(Debug, Clone, Serialize)]
pub struct Recompute {
    pub from: String,
    pub to: String,
    pub roll_up: RollUp,
}

/// Superadmins only: the days of `period` are recomputed from the votes (corrections), as much
/// as this request's budget allows; the hourly cron finishes the rest.
pub async fn recompute(
    store: &impl ResultsStore,
    zones: &impl LocalTime,
    p: &Principal,
    period: Period,
    now: Timestamp,
) -> Result<Recompute, AdminError> {
    if !p.is_superadmin() {
        return Err(AdminError::Forbidden);
    }
    if period.days() > 400 {
        return Err(AdminError::Invalid {
            field: "to",
            reason: "a recompute covers at most 400 days; split longer ranges".into(),
        });
    }
    let (from, to) = (iso_day(period.from), iso_day(period.to));
    // The votes of these UTC days first get their exact local offsets, a month at a time (one
    // batch each, with the days and the local days that moved votes leave and join marked), so
    // that votes from before migration 0022 move to their local days and none is lost.
    let units_zones = store.unit_zones().await?;
    let mut first = period.from;
    while first <= period.to {
        let last = (first + Duration::days(30)).min(period.to);
        let (start, end) = (day_start(first), day_start(last) + 86_400);
        let offsets = crate::local_day::offsets_json(
            units_zones
                .iter()
                .map(|z| (z.zone.as_str(), start, end - 1)),
            zones,
        );
        store
            .relocalise(start, end, &offsets, &iso_day(first), &iso_day(last))
            .await?;
        first = last + Duration::days(1);
    }
    let roll_up = roll_up(
        store,
        zones,
        now,
        Budget {
            alerts: false,
            case_deadline_days: DEFAULT_CASE_DEADLINE_DAYS,
            steps: 4,
            days: 31,
            months: 2,
        },
    )
    .await?;
    Ok(Recompute { from, to, roll_up })
}

/// How fresh a view's figures are (docs/results.md, "Fresh figures"). Official figures come
/// only from the hourly roll-up, which screens votes before it counts them; votes that came
/// after it are not in them, and the view says how many.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Freshness {
    /// When the last roll-up that reached every vote started (unix seconds): every vote that
    /// had arrived by then is in the figures. `None` before the first run.
    pub updated_at: Option<i64>,
    /// Votes of the view's scope and period that came after the roll-up's watermark: not yet
    /// screened, not yet counted (a few may yet be flagged).
    pub waiting: i64,
    /// The waiting votes' average: a provisional figure, unscreened, never part of `totals`
    /// or of any ranking. `None` while no vote waits.
    pub provisional_average: Option<f64>,
    /// The time zone `updated_at` is shown in and the period's days are read in for `waiting`:
    /// the unit's (the employee's unit's; the instance's default for directions).
    pub zone: String,
    /// The waiting votes per local day of `zone` (at its offset now), oldest first: the trend
    /// shows them apart, on the day they were cast, as waiting for screening.
    pub days: Vec<LiveDay>,
    /// The waiting votes per score of the scale, ascending; scores no vote has are left out.
    pub scores: Vec<LiveScore>,
    /// The waiting votes' answers to the extra criteria, per criterion and score: provisional,
    /// never part of the criteria's figures.
    pub criteria: Vec<LiveCriterion>,
}

/// Waiting votes cast on one local day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LiveDay {
    /// `YYYY-MM-DD` in the view's zone.
    pub day: String,
    pub waiting: i64,
}

/// Waiting votes with one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LiveScore {
    pub score: i64,
    pub n: i64,
}

/// Waiting votes' answers with one score to one criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LiveCriterion {
    pub criterion_id: i64,
    pub score: i64,
    pub n: i64,
}

/// What reading freshness needs from the runtime: the zones' offsets and the time.
pub struct LiveClock<'a, Z: LocalTime> {
    pub zones: &'a Z,
    pub now: i64,
    /// The zone of views that have no unit of their own (directions).
    pub default_zone: &'a str,
}

/// The period's bounds in unix seconds on the local days of `zone` at its offset now, and that
/// offset in seconds. Waiting votes are at most a few hours old, so today's offset is theirs (a
/// change of offset within the period moves its far end by an hour, where no vote waits), and
/// it gives each of them its local day.
fn local_bounds(
    period: Period,
    zone: &str,
    clock: &LiveClock<'_, impl LocalTime>,
) -> ((i64, i64), i64) {
    let offset = crate::vote_time::offset_minutes(clock.now, zone, clock.zones) * 60;
    let (start, end) = crate::clock::DayRange {
        from: period.from,
        to: period.to,
    }
    .unix_bounds();
    ((start - offset, end - offset), offset)
}

/// The waiting votes' average, to four places as `Figures` rounds its own.
fn provisional_average(row: &crate::results::store::LiveRow) -> Option<f64> {
    (row.waiting > 0)
        .then(|| (row.score_sum as f64 / row.waiting as f64 * 10_000.0).round() / 10_000.0)
}

async fn freshness(
    store: &impl ResultsStore,
    (query, subject, scope): (LiveQuery, i64, Option<&str>),
    period: Period,
    zone: String,
    clock: &LiveClock<'_, impl LocalTime>,
) -> Result<Freshness, StoreError> {
    let (bounds, offset) = local_bounds(period, &zone, clock);
    let row = store.live(query, subject, scope, bounds, offset).await?;
    Ok(Freshness {
        updated_at: row.updated_at,
        waiting: row.waiting,
        provisional_average: provisional_average(&row),
        zone,
        days: row.days,
        scores: row.scores,
        criteria: row.criteria,
    })
}

/// The settings every view shares.
#[derive(Debug, Clone)]
pub struct ViewSettings {
    /// The scale's values, ascending.
    pub levels: Vec<i64>,
    pub min_votes: u32,
    /// How many times a signed vote counts in `Figures::weighted_average` (`SIGNED_WEIGHT`).
    pub signed_weight: u32,
}

impl ViewSettings {
    pub fn figures(&self, tally: &Tally) -> Figures {
        Figures::weighted(tally, &self.levels, self.min_votes, self.signed_weight)
    }
}

/// Reads `period` from the monthly tables where whole months allow and the daily ones
/// elsewhere (`days_only`: all from the daily tables, for day-by-day trends).
async fn read(
    store: &impl ResultsStore,
    (months_q, days_q): (StatQuery, StatQuery),
    subject: i64,
    scope: Option<&str>,
    period: Period,
    days_only: bool,
) -> Result<Vec<StatRow>, StoreError> {
    if days_only {
        return store
            .stat_rows(
                days_q,
                subject,
                scope,
                &iso_day(period.from),
                &iso_day(period.to),
            )
            .await;
    }
    let plan = period.plan();
    let mut rows = Vec::new();
    if let Some((m1, m2)) = &plan.months {
        rows.extend(store.stat_rows(months_q, subject, scope, m1, m2).await?);
    }
    for (a, b) in plan.days {
        rows.extend(
            store
                .stat_rows(days_q, subject, scope, &iso_day(a), &iso_day(b))
                .await?,
        );
    }
    Ok(rows)
}

/// Each criterion's figures for one subject (or, keyed, for each direction) over `period`,
/// read as `read` reads the score: whole months from the monthly table, ragged ends from the
/// daily one. Without criteria nothing is read.
async fn read_criteria(
    store: &impl ResultsStore,
    (months_q, days_q): (CriteriaQuery, CriteriaQuery),
    subject: i64,
    scope: Option<&str>,
    period: Period,
) -> Result<Vec<CriterionRow>, StoreError> {
    let plan = period.plan();
    let mut rows = Vec::new();
    if let Some((m1, m2)) = &plan.months {
        rows.extend(
            store
                .criteria_rows(months_q, subject, scope, m1, m2)
                .await?,
        );
    }
    for (a, b) in plan.days {
        rows.extend(
            store
                .criteria_rows(days_q, subject, scope, &iso_day(a), &iso_day(b))
                .await?,
        );
    }
    Ok(rows)
}

/// One subject's criteria over `period`; none when the instance has no criteria.
async fn subject_criteria<S: AdminStore + ResultsStore>(
    store: &S,
    q: (CriteriaQuery, CriteriaQuery),
    subject: i64,
    period: Period,
    s: &ViewSettings,
) -> Result<Vec<CriterionFigures>, StoreError> {
    let criteria = store.all_criteria().await?;
    if criteria.is_empty() {
        return Ok(Vec::new());
    }
    let rows = read_criteria(store, q, subject, None, period).await?;
    Ok(criteria::figures(
        &criteria::tally(&rows),
        &criteria,
        &s.levels,
        s.min_votes,
    ))
}

fn total(rows: &[StatRow]) -> Tally {
    let mut t = Tally::new();
    for tally in tally_by_key(rows).values() {
        merge(&mut t, tally);
    }
    t
}

/// What `long_unit_rows` reads: every [`ResultsStore`] (D1 in the worker), and in the native
/// tests SQLite running the same statements on the same migrations.
trait StatSource {
    async fn report_rows(
        &self,
        query: StatQuery,
        subject: i64,
        from: &str,
        to: &str,
    ) -> Result<Vec<StatRow>, StoreError>;
    async fn months_waiting(&self, limit: u32) -> Result<Vec<String>, StoreError>;
}

impl<S: ResultsStore> StatSource for S {
    async fn report_rows(
        &self,
        query: StatQuery,
        subject: i64,
        from: &str,
        to: &str,
    ) -> Result<Vec<StatRow>, StoreError> {
        self.stat_rows(query, subject, None, from, to).await
    }
    async fn months_waiting(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        self.dirty_months(limit).await
    }
}

/// How a long unit view reads its period (`long_unit_rows`): one span of months from the monthly
/// table, and spans of days from the daily table, each added (`1`) or taken away (`-1`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct LongPlan {
    months: Option<(String, String)>,
    days: Vec<(NaiveDate, NaiveDate, i64)>,
}

/// Whole months are read whole. A ragged end within a month is read as its days or, when the
/// rest of its month has fewer days, as the whole month less that rest: a year from the 9th of
/// a month reads its first eight days, not the twenty-three after, and the daily table is what
/// costs (one row per unit, day and score). Only a month not waiting for its rebuild (`dirty`)
/// is read so: the difference must be taken between a month and the days it was summed from.
fn long_plan(period: Period, dirty: &Dirty) -> LongPlan {
    use chrono::Datelike;
    let plan = period.plan();
    let mut months: Vec<String> = plan
        .months
        .iter()
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect();
    let mut days = Vec::new();
    for (a, b) in plan.days {
        let mut d = a;
        while d <= b {
            let (first, last) = report::month_bounds(d.year(), d.month());
            let end = last.min(b);
            let piece = (end - d).num_days() + 1;
            let rest = (last - first).num_days() + 1 - piece;
            let month = report::month_key(d);
            if rest < piece && dirty.is_clean(&month) {
                if first < d {
                    days.push((first, d - Duration::days(1), -1));
                }
                if end < last {
                    days.push((end + Duration::days(1), last, -1));
                }
                months.push(month);
            } else {
                days.push((d, end, 1));
            }
            d = end + Duration::days(1);
        }
    }
    // Every month between the first and the last read is a whole month of the period.
    let months = months
        .iter()
        .min()
        .zip(months.iter().max())
        .map(|(a, b)| (a.clone(), b.clone()));
    LongPlan { months, days }
}

/// A long period's rows for the unit's totals and monthly trend (keyed by month), and for its
/// children (keyed by child). Each row is read once for both (`CHILD_AND_OWN_MONTHS`,
/// `CHILD_AND_OWN_DAYS`): the subtree is the children's subtrees and the unit's own votes.
async fn long_unit_rows(
    store: &impl StatSource,
    id: i64,
    period: Period,
) -> Result<(Vec<StatRow>, Vec<StatRow>), StoreError> {
    let dirty = if period.plan().days.is_empty() {
        Dirty::None
    } else {
        Dirty::read(store).await?
    };
    let plan = long_plan(period, &dirty);
    let mut rows = Vec::new();
    let mut children = Vec::new();
    if let Some((m1, m2)) = &plan.months {
        for r in store
            .report_rows(StatQuery::ChildAndOwnMonths, id, m1, m2)
            .await?
        {
            let Some((child, month)) = r.key.split_once(':') else {
                return Err(StoreError::Corrupt(format!("child month key {}", r.key)));
            };
            if !child.is_empty() {
                children.push(StatRow {
                    key: child.to_owned(),
                    ..r.clone()
                });
            }
            rows.push(StatRow {
                key: month.to_owned(),
                ..r
            });
        }
    }
    for (a, b, sign) in plan.days {
        let month = report::month_key(a);
        for r in store
            .report_rows(StatQuery::ChildAndOwnDays, id, &iso_day(a), &iso_day(b))
            .await?
        {
            let r = r.signed(sign);
            if !r.key.is_empty() {
                children.push(r.clone());
            }
            rows.push(StatRow {
                key: month.clone(),
                ..r
            });
        }
    }
    Ok((rows, children))
}

/// The months waiting for their rebuild, as a long view knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dirty {
    None,
    These(Vec<String>),
    /// More than a long view reads (after a recompute of years): none is taken as clean.
    Unknown,
}

impl Dirty {
    /// Far more months than a roll-up leaves waiting.
    const READ: u32 = 1_000;

    async fn read(store: &impl StatSource) -> Result<Dirty, StoreError> {
        let months = store.months_waiting(Self::READ).await?;
        Ok(if months.len() >= Self::READ as usize {
            Dirty::Unknown
        } else {
            Dirty::These(months)
        })
    }

    fn is_clean(&self, month: &str) -> bool {
        match self {
            Dirty::None => true,
            Dirty::These(months) => !months.iter().any(|m| m == month),
            Dirty::Unknown => false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitResults {
    pub unit: PathStep,
    pub path: Vec<PathStep>,
    pub period: Period,
    pub previous_period: Period,
    pub totals: Figures,
    /// The period before, for calendar periods; none for a custom range (its ragged ends
    /// would cost a second scan of the daily tables).
    pub previous: Option<Figures>,
    pub trend: Vec<TrendPoint>,
    /// Each child unit with its whole subtree, best first.
    pub units: Vec<Row>,
    /// Votes cast in this unit itself, per employee, best first.
    pub employees: Vec<Row>,
    /// Each extra criterion over the subtree and period.
    pub criteria: Vec<CriterionFigures>,
    pub min_votes: u32,
    pub live: Freshness,
}

/// A unit with its subtree: totals, trend, each child's subtree, and its own employees.
pub async fn unit_results<S: AdminStore + ResultsStore>(
    store: &S,
    scope: &Scope,
    unit: UnitId,
    period: Period,
    s: &ViewSettings,
    clock: &LiveClock<'_, impl LocalTime>,
) -> Result<UnitResults, AdminError> {
    let detail = store
        .unit_detail(scope, unit)
        .await?
        .ok_or(AdminError::NotFound("unit"))?;
    let id = i64::from(unit.get());
    let short = period.days() <= 31;
    let unit_q = (StatQuery::UnitMonths, StatQuery::UnitDays);
    let previous_period = period.previous();
    // The reads below do not depend on each other: asked at once, the view waits for the
    // slowest rather than for their sum (on Cloudflare each is a round trip to the database).
    let subtree = async {
        if short {
            let rows = read(store, unit_q, id, None, period, true);
            let children = read(
                store,
                (StatQuery::ChildMonths, StatQuery::ChildDays),
                id,
                None,
                period,
                false,
            );
            future::try_join(rows, children).await
        } else {
            long_unit_rows(store, id, period).await
        }
    };
    let before = async {
        match period.kind {
            report::PeriodKind::Custom => Ok(None),
            _ => read(store, unit_q, id, None, previous_period, false)
                .await
                .map(Some),
        }
    };
    let employees = read(
        store,
        (StatQuery::UnitEmployeeMonths, StatQuery::UnitEmployeeDays),
        id,
        None,
        period,
        false,
    );
    let criteria = subject_criteria(
        store,
        (CriteriaQuery::UnitMonths, CriteriaQuery::UnitDays),
        id,
        period,
        s,
    );
    let live = freshness(
        store,
        (LiveQuery::Unit, id, None),
        period,
        detail.unit.timezone.clone(),
        clock,
    );
    let ((rows, children), before, employees, criteria, live) =
        future::try_join5(subtree, before, employees, criteria, live).await?;
    let child_tallies = tally_by_key(&children);
    let empty = Tally::new();
    let mut units: Vec<Row> = detail
        .children
        .iter()
        .map(|c| {
            let f = s.figures(child_tallies.get(&c.id.get().to_string()).unwrap_or(&empty));
            Row {
                id: i64::from(c.id.get()),
                name: c.name.clone(),
                position: None,
                figures: f,
            }
        })
        .collect();
    rank(&mut units, |r| &r.figures);
    let mut people: Vec<Row> = Vec::new();
    let mut tallies = tally_by_key(&employees);
    for e in &detail.employees {
        let t = tallies.remove(&e.id.get().to_string()).unwrap_or_default();
        let f = s.figures(&t);
        people.push(Row {
            id: i64::from(e.id.get()),
            name: e.name.clone(),
            position: Some(e.position.clone()),
            figures: f,
        });
    }
    // Votes cast here for people who have since moved elsewhere still belong to this unit.
    for (key, t) in tallies {
        let f = s.figures(&t);
        people.push(Row {
            id: key.parse().unwrap_or(0),
            name: format!("#{key}"),
            position: None,
            figures: f,
        });
    }
    rank(&mut people, |r| &r.figures);
    Ok(UnitResults {
        unit: PathStep {
            id: unit,
            name: detail.unit.name.clone(),
        },
        path: detail.path,
        period,
        previous_period,
        totals: s.figures(&total(&rows)),
        previous: before.map(|b| s.figures(&total(&b))),
        trend: trend(period, &rows, &s.levels),
        units,
        employees: people,
        criteria,
        min_votes: s.min_votes,
        live,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct EmployeeResults {
    pub employee: Row,
    pub unit_path: Vec<PathStep>,
    pub period: Period,
    pub previous_period: Period,
    pub totals: Figures,
    /// The period before, for calendar periods; none for a custom range (its ragged ends
    /// would cost a second scan of the daily tables).
    pub previous: Option<Figures>,
    pub trend: Vec<TrendPoint>,
    /// Each extra criterion over the employee's votes of the period, wherever cast.
    pub criteria: Vec<CriterionFigures>,
    pub min_votes: u32,
    pub live: Freshness,
}

pub async fn employee_results<S: AdminStore + ResultsStore>(
    store: &S,
    p: &Principal,
    employee: EmployeeId,
    period: Period,
    s: &ViewSettings,
    clock: &LiveClock<'_, impl LocalTime>,
) -> Result<EmployeeResults, AdminError> {
    let detail = admin::employee_detail(store, p, employee).await?;
    let id = i64::from(employee.get());
    let q = (StatQuery::EmployeeMonths, StatQuery::EmployeeDays);
    let rows = read(store, q, id, None, period, period.days() <= 31).await?;
    let previous_period = period.previous();
    let before = match period.kind {
        report::PeriodKind::Custom => None,
        _ => Some(read(store, q, id, None, previous_period, false).await?),
    };
    let totals = s.figures(&total(&rows));
    let criteria = subject_criteria(
        store,
        (CriteriaQuery::EmployeeMonths, CriteriaQuery::EmployeeDays),
        id,
        period,
        s,
    )
    .await?;
    let zone = store
        .unit_zone(i64::from(detail.employee.unit_id.get()))
        .await?
        .unwrap_or_else(|| clock.default_zone.to_owned());
    let live = freshness(store, (LiveQuery::Employee, id, None), period, zone, clock).await?;
    Ok(EmployeeResults {
        employee: Row {
            id,
            name: detail.employee.name,
            position: Some(detail.employee.position),
            figures: totals.clone(),
        },
        unit_path: detail.unit_path,
        period,
        previous_period,
        previous: before.map(|b| s.figures(&total(&b))),
        trend: trend(period, &rows, &s.levels),
        totals,
        criteria,
        min_votes: s.min_votes,
        live,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct DirectionResults {
    pub period: Period,
    pub directions: Vec<Row>,
    /// Each direction's extra criteria, in the order of `directions`.
    pub criteria: Vec<DirectionCriteria>,
    pub min_votes: u32,
    pub live: Freshness,
}

/// Each service direction, over the caller's subtrees.
pub async fn direction_results<S: AdminStore + ResultsStore>(
    store: &S,
    p: &Principal,
    period: Period,
    s: &ViewSettings,
    clock: &LiveClock<'_, impl LocalTime>,
) -> Result<DirectionResults, AdminError> {
    let scope = p.read_scope().sql_param();
    let rows = read(
        store,
        (StatQuery::DirectionMonths, StatQuery::DirectionDays),
        0,
        scope.as_deref(),
        period,
        false,
    )
    .await?;
    let tallies = tally_by_key(&rows);
    let empty = Tally::new();
    let mut list: Vec<Row> = admin::directions(store)
        .await?
        .into_iter()
        .map(|d| {
            let f = s.figures(tallies.get(&d.id.get().to_string()).unwrap_or(&empty));
            Row {
                id: i64::from(d.id.get()),
                name: d.name,
                position: None,
                figures: f,
            }
        })
        .collect();
    rank(&mut list, |r| &r.figures);
    let all = store.all_criteria().await?;
    let mut criteria = Vec::new();
    if !all.is_empty() {
        let rows = read_criteria(
            store,
            (CriteriaQuery::DirectionMonths, CriteriaQuery::DirectionDays),
            0,
            scope.as_deref(),
            period,
        )
        .await?;
        let by = criteria::tally_by_key(&rows);
        let none = criteria::CriteriaTally::new();
        criteria = list
            .iter()
            .map(|d| DirectionCriteria {
                direction_id: d.id,
                criteria: criteria::figures(
                    by.get(&d.id.to_string()).unwrap_or(&none),
                    &all,
                    &s.levels,
                    s.min_votes,
                ),
            })
            .collect();
    }
    let live = freshness(
        store,
        (LiveQuery::Directions, 0, scope.as_deref()),
        period,
        clock.default_zone.to_owned(),
        clock,
    )
    .await?;
    Ok(DirectionResults {
        period,
        directions: list,
        criteria,
        min_votes: s.min_votes,
        live,
    })
}

/// Comments with their filters, newest first, 50 a page, within the caller's subtrees (a unit
/// or employee outside them is 404, as everywhere).
pub async fn comments<S: AdminStore + ResultsStore>(
    store: &S,
    p: &Principal,
    mut filter: CommentFilter,
) -> Result<Vec<CommentView>, AdminError> {
    if let Some(u) = filter.unit {
        let unit = UnitId::parse(u).ok_or(AdminError::NotFound("unit"))?;
        admin::unit_detail(store, p, unit).await?;
    }
    if let Some(e) = filter.employee {
        let employee = EmployeeId::parse(e).ok_or(AdminError::NotFound("employee"))?;
        admin::employee_detail(store, p, employee).await?;
    }
    filter.scope = match p.read_scope() {
        Scope::All => None,
        scope => scope.sql_param(),
    };
    Ok(store.comments(&filter).await?)
}

/// A stored monthly report, within the caller's subtrees.
pub async fn stored_monthly_report<S: AdminStore + ResultsStore>(
    store: &S,
    p: &Principal,
    unit: UnitId,
    month: &str,
) -> Result<MonthlyReport, AdminError> {
    admin::unit_detail(store, p, unit).await?;
    stored(store, unit, month)
        .await?
        .ok_or(AdminError::NotFound("monthly report"))
}

async fn stored(
    store: &impl ResultsStore,
    unit: UnitId,
    month: &str,
) -> Result<Option<MonthlyReport>, AdminError> {
    let Some(body) = store.monthly_report(i64::from(unit.get()), month).await? else {
        return Ok(None);
    };
    serde_json::from_str(&body)
        .map(Some)
        .map_err(|e| AdminError::Store(StoreError::Corrupt(format!("stored report: {e}"))))
}

/// What a month-to-date report needs besides the store: the zones, the time and the scale.
pub struct ReportClock<'a, Z: LocalTime> {
    pub zones: &'a Z,
    pub now: i64,
    pub levels: &'a [i64],
    pub min_votes: u32,
}

/// A unit's monthly report, within the caller's subtrees (docs/results.md, "Month to date"):
/// the stored one when the month is closed; for the unit's open month (its current month on
/// its own calendar, or the month before while the close has not stored that month yet) one
/// built now from the roll-up tables by the close's own builder, `provisional`, `as_of` the
/// last complete roll-up. Any other month (future, before the unit's reports) is not found.
/// Returns the report and what building it read (none for a stored one).
pub async fn monthly_report<S: AdminStore + ResultsStore>(
    store: &S,
    p: &Principal,
    unit: UnitId,
    month: &str,
    clock: &ReportClock<'_, impl LocalTime>,
) -> Result<(MonthlyReport, Option<Cost>), AdminError> {
    let detail = admin::unit_detail(store, p, unit).await?;
    if let Some(r) = stored(store, unit, month).await? {
        return Ok((r, None));
    }
    let not_found = AdminError::NotFound("monthly report");
    let current = open_month(clock.now, &detail.unit.timezone, clock.zones);
    let open = month == current
        || (Period::month(&current)
            .map(|p| month_key(p.previous().from))
            .ok()
            == Some(month.to_owned())
            && !store.has_monthly_reports(month).await?);
    if !open {
        return Err(not_found);
    }
    let p = Period::month(month).map_err(|_| AdminError::NotFound("monthly report"))?;
    let last = month_key(p.previous().from);
    let id = i64::from(unit.get());
    let (data, cost) = store.unit_month_data(id, month, &last).await?;
    let mut r = build_monthly_reports(&data, month, clock.levels, clock.min_votes)
        .into_iter()
        .find(|r| r.unit_id == id)
        .ok_or(not_found)?;
    r.provisional = true;
    r.as_of = store.last_rollup_run().await?;
    Ok((r, Some(cost)))
}

/// The month (`YYYY-MM`) it is now in `zone`: the roll-up keys a vote's month by its unit's
/// local day (`local_day`), so a unit's open month turns at its own midnight.
pub fn open_month(now: i64, zone: &str, zones: &impl LocalTime) -> String {
    crate::local_day::local_month(now, crate::vote_time::offset_minutes(now, zone, zones))
}

/// Daily: queues an alert for every employee and unit whose last 7 days are sharply worse than
/// the 28 days before (alert::is_sharp_drop); at most one per subject and ISO week.
pub async fn queue_drop_alerts(
    store: &impl crate::results::store::AlertStore,
    now: Timestamp,
    top: i64,
) -> Result<usize, StoreError> {
    use chrono::Datelike;
    let today = crate::clock::parse_iso_day(&now.utc_day()).unwrap_or_default();
    let (from, mid) = (today - Duration::days(35), today - Duration::days(7));
    let week = today.iso_week();
    let mut queued = Vec::new();
    for employees in [true, false] {
        let rows = store
            .drop_windows(
                employees,
                &iso_day(from),
                &iso_day(mid),
                &iso_day(today),
                top,
            )
            .await?;
        for w in rows {
            if !crate::alert::is_sharp_drop(w.recent, w.recent_below, w.base, w.base_below) {
                continue;
            }
            let share = |below: i64, all: i64| (all > 0).then(|| below as f64 / all as f64);
            let alert = crate::alert::Alert {
                kind: "drop".into(),
                unit_id: w.unit_id,
                unit: w.unit,
                employee_id: employees.then_some(w.id),
                employee: employees.then_some(w.name),
                score: None,
                recent_below_top: share(w.recent_below, w.recent),
                baseline_below_top: share(w.base_below, w.base),
                recent_votes: Some(w.recent),
                at: now.unix_seconds(),
            };
            let key = format!(
                "drop:{}:{}:{}-W{:02}",
                if employees { "employee" } else { "unit" },
                w.id,
                week.year(),
                week.week()
            );
            let body = serde_json::to_string(&alert)
                .map_err(|e| StoreError::Corrupt(format!("alert JSON: {e}")))?;
            queued.push((key, body, w.unit_id));
        }
    }
    store.queue_alerts(&queued, now.unix_seconds()).await?;
    Ok(queued.len())
}

/// Flagged votes the caller may decide on (their write scope), newest first, 100 a page.
pub async fn flagged<S: ResultsStore>(
    store: &S,
    p: &Principal,
    before: Option<i64>,
) -> Result<Vec<crate::results::store::FlaggedView>, AdminError> {
    let scope = p.write_scope();
    if matches!(&scope, Scope::Subtrees(units) if units.is_empty()) {
        return Err(AdminError::Forbidden);
    }
    Ok(store
        .flagged_votes(scope.sql_param().as_deref(), before, p.account.get())
        .await?)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Reject,
}

impl Decision {
    pub fn parse(s: &str) -> Option<Decision> {
        match s {
            "accept" => Some(Decision::Accept),
            "reject" => Some(Decision::Reject),
            _ => None,
        }
    }
}

/// What a review decision or its undo may touch: the caller's write scope, refused when it is
/// empty (viewers, accounts without a unit), and a list of 1 to 500 vote ids.
fn review_scope(p: &Principal, ids: &[i64]) -> Result<Scope, AdminError> {
    let scope = p.write_scope();
    if matches!(&scope, Scope::Subtrees(units) if units.is_empty()) {
        return Err(AdminError::Forbidden);
    }
    if ids.is_empty() || ids.len() > 500 || ids.iter().any(|i| !(1..(1i64 << 53)).contains(i)) {
        return Err(AdminError::Invalid {
            field: "votes",
            reason: "must list 1 to 500 vote ids".into(),
        });
    }
    Ok(scope)
}

/// Accepts (counted from now on) or rejects (kept, never counted) flagged votes in bulk; the
/// results follow at the next roll-up. Nobody audits themselves: only votes of units strictly
/// below one the caller administers (any, for a superadmin) are decided, never votes for the
/// employee the caller's account belongs to. Votes outside that, or no longer flagged, are left
/// as they are (`sql::DECIDE_FLAGGED`); the list marks which ones the caller may decide.
pub async fn decide<S: ResultsStore>(
    store: &S,
    p: &Principal,
    ids: &[i64],
    decision: Decision,
    now: Timestamp,
) -> Result<u32, AdminError> {
    let scope = review_scope(p, ids)?;
    let (status, action) = match decision {
        Decision::Accept => ("counted", "flagged_votes_accepted"),
        Decision::Reject => ("rejected", "flagged_votes_rejected"),
    };
    let audit = crate::admin::store::Audit {
        at: now,
        account: Some(p.account),
        actor: p.actor(),
        action,
        object: format!("votes:{}", ids.len()),
        detail: serde_json::json!({ "votes": ids }).to_string(),
    };
    Ok(store
        .decide_flagged(scope.sql_param().as_deref(), ids, status, &audit)
        .await?)
}

/// Votes rejected in review within the caller's write scope, newest first, 100 a page; those
/// whose rejection the caller may undo are marked `decidable`, by the rule of `decide`.
pub async fn rejected<S: crate::results::store::RejectionStore>(
    store: &S,
    p: &Principal,
    before: Option<i64>,
) -> Result<Vec<crate::results::store::FlaggedView>, AdminError> {
    let scope = p.write_scope();
    if matches!(&scope, Scope::Subtrees(units) if units.is_empty()) {
        return Err(AdminError::Forbidden);
    }
    Ok(store
        .rejected_votes(scope.sql_param().as_deref(), before, p.account.get())
        .await?)
}

/// Undoes a rejection made in review: the vote goes back to the flagged votes, to be decided
/// again (not straight to counted: whoever undoes a mistake looks at the vote once more, and a
/// wrong undo costs nothing). Its day is recounted at the next roll-up, as after a decision.
/// The rule of `decide` holds: only an administrator strictly above the vote's unit, never
/// about their own employee (checked first: a refusal says nothing of the vote's state). A
/// vote rejected on appeal, or not rejected, is a conflict.
pub async fn undo_rejection<S: crate::results::store::RejectionStore>(
    store: &S,
    p: &Principal,
    vote: i64,
    now: Timestamp,
) -> Result<(), AdminError> {
    let scope = p.write_scope();
    if matches!(&scope, Scope::Subtrees(units) if units.is_empty()) {
        return Err(AdminError::Forbidden);
    }
    let scope = scope.sql_param();
    let state = store
        .reviewed_vote(scope.as_deref(), vote, p.account.get())
        .await?
        .ok_or(AdminError::NotFound("vote"))?;
    if !state.decidable {
        return Err(AdminError::NeedsOversight(
            "a rejection is undone, as it is made, by an administrator above the vote's unit, never about their own employee",
        ));
    }
    if !state.rejected_in_review {
        return Err(AdminError::Conflict(
            "only a vote rejected in review can be sent back to review; this one is not (a vote rejected on appeal stays rejected)",
        ));
    }
    let audit = crate::admin::store::Audit {
        at: now,
        account: Some(p.account),
        actor: p.actor(),
        action: "vote_rejection_undone",
        object: format!("vote:{vote}"),
        detail: serde_json::json!({ "from": "rejected", "to": "flagged" }).to_string(),
    };
    if store.undo_rejection(scope.as_deref(), vote, &audit).await? {
        Ok(())
    } else {
        Err(AdminError::Conflict("this vote is no longer rejected"))
    }
}

/// Undoes the rejections of several votes in one action, as `undo_rejection` does one: each goes
/// back to the flagged votes, its day is recounted at the next roll-up, and each is audited as
/// `vote_rejection_undone` with its own line. The rule is the single undo's (an administrator
/// strictly above the vote's unit, never about their own employee); as in a bulk decision, votes
/// outside it, or no longer rejected in review, are left as they are, and the answer says how
/// many changed. Viewers and accounts without a unit to administer are refused.
pub async fn undo_rejections<S: crate::results::store::RejectionStore>(
    store: &S,
    p: &Principal,
    ids: &[i64],
    now: Timestamp,
) -> Result<u32, AdminError> {
    let scope = review_scope(p, ids)?;
    Ok(store
        .undo_rejections(
            scope.sql_param().as_deref(),
            ids,
            p.account.get(),
            now,
            &p.actor(),
        )
        .await?)
}

/// The feedback inbox of the caller's subtrees (a unit outside them is 404).
pub async fn cases<S: AdminStore + crate::results::store::CaseStore>(
    store: &S,
    p: &Principal,
    mut filter: crate::results::store::CaseFilter,
) -> Result<Vec<crate::results::store::CaseView>, AdminError> {
    if let Some(u) = filter.unit {
        let unit = UnitId::parse(u).ok_or(AdminError::NotFound("unit"))?;
        admin::unit_detail(store, p, unit).await?;
    }
    if let Some(s) = &filter.status {
        if !CASE_STATUSES.contains(&s.as_str()) {
            return Err(AdminError::Invalid {
                field: "status",
                reason: "must be new, in_progress, resolved or rejected".into(),
            });
        }
    }
    filter.scope = p.read_scope().sql_param();
    Ok(store.cases(&filter).await?)
}

pub const CASE_STATUSES: [&str; 4] = ["new", "in_progress", "resolved", "rejected"];

/// Open cases past due, per unit, within the caller's subtrees.
pub async fn overdue<S: crate::results::store::CaseStore>(
    store: &S,
    p: &Principal,
    now: Timestamp,
) -> Result<Vec<crate::results::store::OverdueView>, AdminError> {
    let scope = p.read_scope().sql_param();
    Ok(store
        .overdue_by_unit(scope.as_deref(), now.unix_seconds())
        .await?)
}

/// Moves a case along, assigns it or adds an internal note. Unit admins and superadmins of
/// the case's unit only; viewers read the inbox.
pub async fn change_case<S: crate::results::store::CaseStore>(
    store: &S,
    p: &Principal,
    id: i64,
    mut change: crate::results::store::CaseChange,
    now: Timestamp,
) -> Result<(), AdminError> {
    let scope = p.write_scope();
    if matches!(&scope, Scope::Subtrees(units) if units.is_empty()) {
        return Err(AdminError::Forbidden);
    }
    if let Some(s) = &change.status {
        if !CASE_STATUSES.contains(&s.as_str()) {
            return Err(AdminError::Invalid {
                field: "status",
                reason: "must be new, in_progress, resolved or rejected".into(),
            });
        }
    }
    if change
        .assignee
        .is_some_and(|a| !(0..(1i64 << 31)).contains(&a))
    {
        return Err(AdminError::Invalid {
            field: "assignee_id",
            reason: "must be an account id, or 0 to clear".into(),
        });
    }
    if let Some(note) = &change.note {
        let note = note.trim();
        let chars = note.chars().count();
        if chars == 0
            || chars > 2000
            || note
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r')
        {
            return Err(AdminError::Invalid {
                field: "note",
                reason: "must be 1 to 2000 characters".into(),
            });
        }
        change.note = Some(note.to_owned());
    }
    if change.status.is_none() && change.assignee.is_none() && change.note.is_none() {
        return Err(AdminError::Invalid {
            field: "status",
            reason: "say what changes: status, assignee_id or note".into(),
        });
    }
    let audit = crate::admin::store::Audit {
        at: now,
        account: Some(p.account),
        actor: p.actor(),
        action: "case_changed",
        object: format!("case:{id}"),
        detail: serde_json::json!({
            "status": change.status,
            "assignee_id": change.assignee,
            "note": change.note.is_some(),
        })
        .to_string(),
    };
    if store
        .change_case(scope.sql_param().as_deref(), id, &change, &audit)
        .await?
    {
        Ok(())
    } else {
        Err(AdminError::NotFound("case"))
    }
}

/// Publishes `month`'s digest: the Merkle root over its counted votes' receipts (sorted stored
/// hashes), with how many there are. Run by the monthly close after the month is rebuilt, so it
/// follows every review decision up to then; run again, it replaces the digest.
pub async fn publish_digest(
    store: &impl crate::results::store::ReceiptStore,
    month: &str,
    now: Timestamp,
) -> Result<crate::results::store::Digest, StoreError> {
    let p = Period::month(month).map_err(|_| StoreError::Corrupt(format!("month {month}")))?;
    let (start, end) = (day_start(p.from), day_start(p.to) + 86_400);
    let hashes = store.counted_receipts(start, end).await?;
    let leaves: Vec<[u8; 32]> = hashes
        .iter()
        .filter_map(|h| crate::receipt::unhex(h))
        .map(|h| crate::receipt::leaf(&h))
        .collect();
    let digest = crate::results::store::Digest {
        month: month.to_owned(),
        root: crate::receipt::root(&leaves)
            .map(|r| crate::receipt::hex(&r))
            .unwrap_or_default(),
        counted: i64::try_from(leaves.len()).unwrap_or(i64::MAX),
        made_at: now.unix_seconds(),
    };
    store.save_digest(&digest).await?;
    Ok(digest)
}

/// What checking a receipt tells anyone who holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReceiptCheck {
    /// Among the counted votes of `month`: the leaf and its path to the published root.
    Counted {
        month: String,
        root: String,
        counted_votes: i64,
        leaf: String,
        path: Vec<crate::receipt::Step>,
    },
    /// Its month is not closed yet.
    Pending { month: String },
    /// Not among any month's counted votes (unknown, or not counted: the two look the same).
    NotCounted,
}

pub async fn check_receipt(
    store: &impl crate::results::store::ReceiptStore,
    receipt: &crate::receipt::Receipt,
) -> Result<ReceiptCheck, StoreError> {
    let stored = receipt.stored_hash();
    let Some(at) = store.receipt_vote(&stored).await? else {
        return Ok(ReceiptCheck::NotCounted);
    };
    let day = crate::clock::parse_iso_day(&Timestamp::from_unix_seconds(at).utc_day())
        .unwrap_or_default();
    let month = month_key(day);
    let Some(digest) = store.digest(&month).await? else {
        return Ok(ReceiptCheck::Pending { month });
    };
    let p = Period::month(&month).map_err(|_| StoreError::Corrupt(format!("month {month}")))?;
    let hashes = store
        .counted_receipts(day_start(p.from), day_start(p.to) + 86_400)
        .await?;
    let Ok(index) = hashes.binary_search(&stored) else {
        return Ok(ReceiptCheck::NotCounted);
    };
    let leaves: Vec<[u8; 32]> = hashes
        .iter()
        .filter_map(|h| crate::receipt::unhex(h))
        .map(|h| crate::receipt::leaf(&h))
        .collect();
    let leaf = leaves.get(index).copied().unwrap_or_default();
    Ok(ReceiptCheck::Counted {
        month,
        root: digest.root,
        counted_votes: digest.counted,
        leaf: crate::receipt::hex(&leaf),
        path: crate::receipt::proof(&leaves, index),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, score: i64, counted: i64) -> StatRow {
        StatRow {
            key: key.to_owned(),
            score,
            counted,
            with_contact: 0,
            with_comment: i64::from(score == 1),
            flagged: 0,
            duplicates: 0,
            verified: 0,
        }
    }

    /// Root 1 → 2 → 3, and 1 → 4; employee 10 votes in 3, 11 (a few votes) in 2, 12 in 4.
    fn whole() -> MonthData {
        let own = [(3, 3, 12), (3, 1, 2), (2, 2, 3), (4, 3, 20)];
        let closure = vec![
            (1, 1),
            (1, 2),
            (1, 3),
            (1, 4),
            (2, 2),
            (2, 3),
            (3, 3),
            (4, 4),
        ];
        let mut this_month = Vec::new();
        for (a, d) in &closure {
            for (u, s, n) in own {
                if u == *d {
                    this_month.push(row(&a.to_string(), s, n));
                }
            }
        }
        MonthData {
            units: vec![
                (1, None, "Root".into()),
                (2, Some(1), "City".into()),
                (3, Some(2), "Hall".into()),
                (4, Some(1), "Other".into()),
            ],
            closure,
            employees: vec![(10, "A".into()), (11, "B".into()), (12, "C".into())],
            this_month,
            last_month: vec![row("1", 3, 5), row("2", 3, 5)],
            employee_rows: vec![
                row("10:3", 3, 12),
                row("10:3", 1, 2),
                row("11:2", 2, 3),
                row("12:4", 3, 20),
            ],
            overdue: vec![(3, 2), (4, 1)],
            criteria: Vec::new(),
            criteria_rows: Vec::new(),
        }
    }

    /// What `unit_month_data` reads for unit 2: its subtree's rows alone.
    fn subtree_of_2() -> MonthData {
        let w = whole();
        MonthData {
            units: vec![(2, Some(1), "City".into())],
            closure: vec![(2, 2), (2, 3)],
            employees: vec![(10, "A".into()), (11, "B".into())],
            this_month: w.this_month.into_iter().filter(|r| r.key == "2").collect(),
            last_month: vec![row("2", 3, 5)],
            employee_rows: w
                .employee_rows
                .into_iter()
                .filter(|r| r.key.ends_with(":3") || r.key.ends_with(":2"))
                .collect(),
            overdue: vec![(3, 2)],
            criteria: Vec::new(),
            criteria_rows: Vec::new(),
        }
    }

    #[test]
    fn one_units_report_from_its_subtree_equals_its_report_in_the_close() {
        let levels = [1, 2, 3];
        let all = build_monthly_reports(&whole(), "2026-12", &levels, 5);
        assert_eq!(all.len(), 4);
        let in_close = all.into_iter().find(|r| r.unit_id == 2).unwrap();
        let alone = build_monthly_reports(&subtree_of_2(), "2026-12", &levels, 5);
        assert_eq!(alone, vec![in_close.clone()]);
        assert_eq!(in_close.figures.votes, 17);
        assert_eq!(in_close.overdue_cases, 2);
        assert_eq!(in_close.complaints, 1);
    }

    #[test]
    fn an_employee_under_the_minimum_is_not_ranked_in_a_subtree_report() {
        let r = build_monthly_reports(&subtree_of_2(), "2026-12", &[1, 2, 3], 5);
        let ranked: Vec<i64> = r[0]
            .best
            .iter()
            .chain(&r[0].worst)
            .map(|e| e.employee_id)
            .collect();
        assert_eq!(ranked, vec![10], "B has 3 votes, under the minimum of 5");
    }

    fn custom(from: &str, to: &str) -> Period {
        Period::parse(None, None, Some(from), Some(to), NaiveDate::MIN).unwrap()
    }

    fn clean() -> Dirty {
        Dirty::These(Vec::new())
    }

    fn day(s: &str) -> NaiveDate {
        crate::clock::parse_iso_day(s).unwrap()
    }

    #[test]
    fn a_long_ragged_end_is_read_as_its_month_less_the_shorter_rest() {
        let p = long_plan(custom("2025-12-09", "2026-12-04"), &clean());
        assert_eq!(p.months, Some(("2025-12".into(), "2026-11".into())));
        assert_eq!(
            p.days,
            vec![
                (day("2025-12-01"), day("2025-12-08"), -1),
                (day("2026-12-01"), day("2026-12-04"), 1),
            ]
        );
        let p = long_plan(custom("2025-12-09", "2026-12-27"), &clean());
        assert_eq!(p.months, Some(("2025-12".into(), "2026-12".into())));
        assert_eq!(p.days[1], (day("2026-12-28"), day("2026-12-31"), -1));
    }

    #[test]
    fn a_short_ragged_end_is_read_as_its_own_days() {
        let p = long_plan(custom("2025-12-20", "2026-03-10"), &clean());
        assert_eq!(p.months, Some(("2026-01".into(), "2026-02".into())));
        assert_eq!(
            p.days,
            vec![
                (day("2025-12-20"), day("2025-12-31"), 1),
                (day("2026-03-01"), day("2026-03-10"), 1),
            ]
        );
    }

    #[test]
    fn a_month_waiting_for_its_rebuild_is_read_by_its_days() {
        let dirty = Dirty::These(vec!["2025-12".into()]);
        let p = long_plan(custom("2025-12-09", "2026-02-28"), &dirty);
        assert_eq!(p.months, Some(("2026-01".into(), "2026-02".into())));
        assert_eq!(p.days, vec![(day("2025-12-09"), day("2025-12-31"), 1)]);
        let p = long_plan(custom("2025-12-09", "2026-02-28"), &Dirty::Unknown);
        assert_eq!(p.days, vec![(day("2025-12-09"), day("2025-12-31"), 1)]);
    }

    #[test]
    fn a_long_period_without_a_whole_month_still_reads_each_month_once() {
        // 37 days: no whole month; December's part is the longer, January's the shorter.
        let p = long_plan(custom("2025-12-10", "2026-01-15"), &clean());
        assert_eq!(p.months, Some(("2025-12".into(), "2025-12".into())));
        assert_eq!(
            p.days,
            vec![
                (day("2025-12-01"), day("2025-12-09"), -1),
                (day("2026-01-01"), day("2026-01-15"), 1),
            ]
        );
    }

    /// The statements D1 runs, run by SQLite on the migrations' schema (`schema.sql`, which a
    /// test keeps equal to the migrations): a native `StatSource`.
    struct Sqlite(rusqlite::Connection);

    impl StatSource for Sqlite {
        async fn report_rows(
            &self,
            query: StatQuery,
            subject: i64,
            from: &str,
            to: &str,
        ) -> Result<Vec<StatRow>, StoreError> {
            let mut st = self.0.prepare(query.sql()).unwrap();
            let rows = st
                .query_map(rusqlite::params![subject, from, to], |r| {
                    let key = match r.get_ref(0)? {
                        rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                        v => v.as_str()?.to_owned(),
                    };
                    Ok(StatRow {
                        key,
                        score: r.get(1)?,
                        counted: r.get(2)?,
                        with_contact: r.get(3)?,
                        with_comment: r.get(4)?,
                        flagged: r.get(5)?,
                        duplicates: r.get(6)?,
                        verified: r.get(7)?,
                    })
                })
                .unwrap();
            Ok(rows.map(Result::unwrap).collect())
        }
        async fn months_waiting(&self, limit: u32) -> Result<Vec<String>, StoreError> {
            let mut st = self.0.prepare(crate::results::sql::DIRTY_MONTHS).unwrap();
            let rows = st.query_map([limit], |r| r.get(0)).unwrap();
            Ok(rows.map(Result::unwrap).collect())
        }
    }

    /// Units 1 > {2 > {4}, 3}, with rows for every unit, day from 2025-11-01 to 2026-02-28 and
    /// score; the months built from the days as the roll-up builds them.
    fn seeded() -> Sqlite {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!("../../schema.sql"))
            .unwrap();
        conn.execute_batch(
            "INSERT INTO units (id, parent_id, name, created_at) VALUES (1, NULL, 'Top', 0), (2, 1, 'A', 0), (3, 1, 'B', 0), (4, 2, 'A1', 0);
             INSERT INTO unit_closure (ancestor_id, descendant_id, depth) VALUES
               (1, 1, 0), (1, 2, 1), (1, 3, 1), (1, 4, 2), (2, 2, 0), (2, 4, 1), (3, 3, 0), (4, 4, 0);",
        )
        .unwrap();
        let mut d = day("2025-11-01");
        let mut i = 0_i64;
        while d <= day("2026-02-28") {
            for unit in 1..=4_i64 {
                for score in 1..=3_i64 {
                    i += 1;
                    let n = (i * 7919) % 11;
                    conn.execute(
                        "INSERT INTO daily_unit_stats (day, unit_id, score, counted, with_contact, with_comment, flagged, duplicates, verified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                        rusqlite::params![iso_day(d), unit, score, n, n % 3, n % 2, n % 5, n % 4, n % 3],
                    )
                    .unwrap();
                }
            }
            d += Duration::days(1);
        }
        for month in ["2025-11", "2025-12", "2026-01", "2026-02"] {
            let p = Period::month(month).unwrap();
            conn.execute(
                crate::results::sql::BUILD_MONTHLY_UNIT,
                rusqlite::params![month, iso_day(p.from), iso_day(p.to + Duration::days(1))],
            )
            .unwrap();
        }
        Sqlite(conn)
    }

    /// The period's counts straight from the daily table: (each child's subtree, the unit's
    /// subtree per month), as the view must show them.
    fn from_days(db: &Sqlite, p: Period) -> (BTreeMap<String, Tally>, BTreeMap<String, Tally>) {
        let mut st = db
            .0
            .prepare(
                "SELECT c.ancestor_id, d.unit_id, substr(d.day, 1, 7), d.score, d.counted, d.with_contact, d.with_comment, d.flagged, d.duplicates, d.verified \
                 FROM daily_unit_stats d JOIN unit_closure c ON c.descendant_id = d.unit_id \
                 WHERE c.ancestor_id IN (2, 3) AND d.day >= ?1 AND d.day <= ?2 \
                 UNION ALL SELECT 0, unit_id, substr(day, 1, 7), score, counted, with_contact, with_comment, flagged, duplicates, verified \
                 FROM daily_unit_stats WHERE unit_id = 1 AND day >= ?1 AND day <= ?2",
            )
            .unwrap();
        let rows: Vec<(i64, StatRow, String)> = st
            .query_map(rusqlite::params![iso_day(p.from), iso_day(p.to)], |r| {
                Ok((
                    r.get(0)?,
                    StatRow {
                        key: String::new(),
                        score: r.get(3)?,
                        counted: r.get(4)?,
                        with_contact: r.get(5)?,
                        with_comment: r.get(6)?,
                        flagged: r.get(7)?,
                        duplicates: r.get(8)?,
                        verified: r.get(9)?,
                    },
                    r.get(2)?,
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let children: Vec<StatRow> = rows
            .iter()
            .filter(|(child, _, _)| *child != 0)
            .map(|(child, r, _)| StatRow {
                key: child.to_string(),
                ..r.clone()
            })
            .collect();
        let months: Vec<StatRow> = rows
            .iter()
            .map(|(_, r, month)| StatRow {
                key: month.clone(),
                ..r.clone()
            })
            .collect();
        (tally_by_key(&children), tally_by_key(&months))
    }

    async fn check_against_days(db: &Sqlite, p: Period) {
        let (rows, children) = long_unit_rows(db, 1, p).await.unwrap();
        let (want_children, want_months) = from_days(db, p);
        let drop_zeros = |t: BTreeMap<String, Tally>| -> BTreeMap<String, Tally> {
            t.into_iter()
                .map(|(k, t)| {
                    let t: Tally = t
                        .into_iter()
                        .filter(|(_, c)| *c != crate::results::report::Counts::default())
                        .collect();
                    (k, t)
                })
                .filter(|(_, t)| !t.is_empty())
                .collect()
        };
        assert_eq!(
            drop_zeros(tally_by_key(&children)),
            drop_zeros(want_children),
            "{p:?}"
        );
        assert_eq!(
            drop_zeros(tally_by_key(&rows)),
            drop_zeros(want_months),
            "{p:?}"
        );
    }

    #[tokio::test]
    async fn a_long_unit_view_counts_what_its_days_hold_whatever_way_its_ends_are_read() {
        let db = seeded();
        for (from, to) in [
            ("2025-11-09", "2026-02-04"),
            ("2025-11-20", "2026-02-24"),
            ("2025-11-01", "2026-02-28"),
            ("2025-11-30", "2026-01-02"),
            ("2025-12-10", "2026-01-15"),
        ] {
            check_against_days(&db, custom(from, to)).await;
        }
    }

    #[tokio::test]
    async fn a_month_waiting_for_its_rebuild_is_not_taken_apart() {
        let db = seeded();
        // A recount changed November's days; its month is not rebuilt yet.
        db.0.execute_batch(
            "UPDATE daily_unit_stats SET counted = counted + 5 WHERE day = '2025-11-03';
             INSERT INTO rollup_dirty_months (month) VALUES ('2025-11');",
        )
        .unwrap();
        check_against_days(&db, custom("2025-11-09", "2026-02-04")).await;
    }
}
