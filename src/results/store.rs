//! What results need from storage: the roll-up's steps and the report queries.

#![allow(async_fn_in_trait)]

use crate::integrity::Flag;
use crate::results::report::StatRow;
use crate::store::StoreError;

/// What a statement cost, from D1's metadata: the figures Cloudflare bills and limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Cost {
    pub rows_read: u64,
    pub rows_written: u64,
}

impl std::ops::AddAssign for Cost {
    fn add_assign(&mut self, o: Cost) {
        self.rows_read += o.rows_read;
        self.rows_written += o.rows_written;
    }
}

/// A vote as the roll-up's screening reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct ScreenRow {
    pub id: i64,
    pub employee: i64,
    pub unit: i64,
    pub at: i64,
    pub channel: i64,
    pub may_flag: i64,
}

/// A counted vote as the shared-address rule reads it (`sql::SCREEN_ADDRESS_VOTES`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct AddressRow {
    pub id: i64,
    pub employee: i64,
    /// The day's keyed hash of the vote's network.
    pub network: String,
    pub at: i64,
    pub may_flag: i64,
}

/// A unit's declared opening hours, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct UnitHours {
    pub unit: i64,
    pub zone: String,
    pub hours: String,
}

/// A time zone of some votes' units, with the first and last of those votes' moments
/// (`sql::STEP_ZONES`; both 0 for `sql::UNIT_ZONES`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ZoneRange {
    pub zone: String,
    pub first: i64,
    pub last: i64,
}

/// The report queries of `sql`; each gives [`StatRow`]s for `[from, to]` (days or months).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatQuery {
    /// A unit's subtree, keyed by month / by day (`subject`: the unit).
    UnitMonths,
    UnitDays,
    /// The subtrees of a unit's children, keyed by child (`subject`: the parent).
    ChildMonths,
    ChildDays,
    /// A long period's whole months once for both: each child's subtree keyed `child:month`
    /// and the unit's own votes keyed `:month` (`subject`: the unit).
    ChildAndOwnMonths,
    /// A span of days: each child's subtree keyed by child, the unit's own votes by `''`.
    ChildAndOwnDays,
    /// Votes cast in one unit, keyed by employee.
    UnitEmployeeMonths,
    UnitEmployeeDays,
    /// One employee, keyed by month / by day.
    EmployeeMonths,
    EmployeeDays,
    /// Keyed by service direction, within a scope (`scope`).
    DirectionMonths,
    DirectionDays,
}

impl StatQuery {
    /// The statement D1 runs, and the native tests with it.
    pub fn sql(self) -> &'static str {
        use super::sql;
        match self {
            StatQuery::UnitMonths => sql::UNIT_MONTHS,
            StatQuery::UnitDays => sql::UNIT_DAYS,
            StatQuery::ChildMonths => sql::CHILD_UNIT_MONTHS,
            StatQuery::ChildDays => sql::CHILD_UNIT_DAYS,
            StatQuery::ChildAndOwnMonths => sql::CHILD_AND_OWN_MONTHS,
            StatQuery::ChildAndOwnDays => sql::CHILD_AND_OWN_DAYS,
            StatQuery::UnitEmployeeMonths => sql::UNIT_EMPLOYEE_MONTHS,
            StatQuery::UnitEmployeeDays => sql::UNIT_EMPLOYEE_DAYS,
            StatQuery::EmployeeMonths => sql::EMPLOYEE_MONTHS,
            StatQuery::EmployeeDays => crate::store::sql::EMPLOYEE_DAYS,
            StatQuery::DirectionMonths => sql::DIRECTION_MONTHS,
            StatQuery::DirectionDays => crate::store::sql::DIRECTION_DAYS,
        }
    }
}

/// Whole tables the monthly close reads once.
#[derive(Debug, Clone, Default)]
pub struct MonthData {
    /// Every unit: id, parent, name.
    pub units: Vec<(i64, Option<i64>, String)>,
    /// (ancestor, descendant) of the closure table.
    pub closure: Vec<(i64, i64)>,
    /// Every employee's name.
    pub employees: Vec<(i64, String)>,
    /// monthly_unit_stats of the month and of the month before (key: unit).
    pub this_month: Vec<StatRow>,
    pub last_month: Vec<StatRow>,
    /// monthly_employee_stats of the month, keyed `employee_id:unit_id`.
    pub employee_rows: Vec<StatRow>,
    /// Open cases past their due date, per unit (its own).
    pub overdue: Vec<(i64, i64)>,
    /// Every criterion, and each unit's own criterion ratings of the month (key: unit).
    pub criteria: Vec<crate::scale::Criterion>,
    pub criteria_rows: Vec<crate::results::criteria::CriterionRow>,
}

/// The criteria queries of `sql` (migration 0021); each gives
/// [`crate::results::criteria::CriterionRow`]s for `[from, to]` (days or months).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriteriaQuery {
    /// A unit's subtree (`subject`: the unit).
    UnitMonths,
    UnitDays,
    /// One employee, wherever the votes were cast.
    EmployeeMonths,
    EmployeeDays,
    /// Keyed by service direction, within a scope (`scope`).
    DirectionMonths,
    DirectionDays,
}

/// A comment as a manager reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommentView {
    pub vote_id: i64,
    pub at: i64,
    /// The unit's time zone, to show the vote's moment in; not sent.
    #[serde(default, skip_serializing)]
    pub zone: String,
    /// Set when the moment is shown coarsely (`vote_time`): ``at`` is then the start of this
    /// part of the unit's local `day`, not the vote's moment.
    #[serde(default)]
    pub day: Option<String>,
    #[serde(default)]
    pub part: Option<crate::vote_time::PartOfDay>,
    pub employee_id: i64,
    pub employee: String,
    pub unit_id: i64,
    pub unit: String,
    pub score: i64,
    pub comment: String,
    /// Present while the contact is kept (see `CONTACT_RETENTION_DAYS`).
    pub contact: Option<String>,
    pub status: String,
    /// `published`, `withheld`, or none while not moderated.
    pub moderation: Option<String>,
    /// What the public results show, when published.
    pub published_text: Option<String>,
}

/// Which comments to list: always within the caller's scope.
#[derive(Debug, Clone, Default)]
pub struct CommentFilter {
    pub scope: Option<String>,
    pub unit: Option<i64>,
    pub employee: Option<i64>,
    pub score: Option<i64>,
    pub with_contact: Option<bool>,
    /// Unix seconds, `[start, end)`.
    pub start: i64,
    pub end: i64,
    /// Only votes with ids below this (paging, newest first).
    pub before: Option<i64>,
}

/// A vote waiting for review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FlaggedView {
    pub vote_id: i64,
    pub at: i64,
    /// The unit's time zone, to show the vote's moment in; not sent.
    #[serde(default, skip_serializing)]
    pub zone: String,
    /// Set when the moment is shown coarsely (`vote_time`): ``at`` is then the start of this
    /// part of the unit's local `day`, not the vote's moment.
    #[serde(default)]
    pub day: Option<String>,
    #[serde(default)]
    pub part: Option<crate::vote_time::PartOfDay>,
    pub employee_id: i64,
    pub employee: String,
    pub unit_id: i64,
    pub unit: String,
    pub score: i64,
    /// Why it was flagged: `office_network`, `too_fast`, …
    pub reason: String,
    pub comment: String,
    /// Whether the caller may accept or reject it: only an administrator strictly above the
    /// vote's unit, never for the employee the caller's own account belongs to.
    #[serde(deserialize_with = "int_bool")]
    pub decidable: bool,
}

/// SQLite answers booleans as 0 or 1.
fn int_bool<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let n = <f64 as serde::Deserialize>::deserialize(d)?;
    Ok(n != 0.0)
}

/// Which view's waiting votes `ResultsStore::live` counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveQuery {
    /// A unit's whole subtree.
    Unit,
    Employee,
    /// Votes with a direction, within a scope.
    Directions,
}

/// When the roll-up last ran, and the votes of a view that wait for the next run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveRow {
    pub updated_at: Option<i64>,
    pub waiting: i64,
    /// The waiting votes' scores added up (scale values).
    pub score_sum: i64,
    /// The waiting votes per local day of the view's zone, oldest first.
    pub days: Vec<crate::results::LiveDay>,
    /// The waiting votes per score, ascending.
    pub scores: Vec<crate::results::LiveScore>,
    /// The waiting votes' criteria answers per criterion and score.
    pub criteria: Vec<crate::results::LiveCriterion>,
}

/// One row of `sql::LIVE_UNIT` (`LIVE_EMPLOYEE`, `LIVE_DIRECTIONS`): the statement tells the
/// waiting votes four ways, each row saying which by `kind`. SQLite answers numbers as floats.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct LiveLine {
    /// `all`, `day`, `score` or `criterion`.
    pub kind: String,
    #[serde(default)]
    pub updated_at: Option<f64>,
    #[serde(default)]
    pub day: Option<String>,
    #[serde(default)]
    pub criterion_id: Option<f64>,
    #[serde(default)]
    pub score: Option<f64>,
    pub n: f64,
    #[serde(default)]
    pub score_sum: f64,
}

impl LiveRow {
    /// Gathers the statement's rows; an unknown kind is ignored (a newer statement's).
    pub fn from_lines(lines: Vec<LiveLine>) -> LiveRow {
        use crate::results::{LiveCriterion, LiveDay, LiveScore};
        let mut row = LiveRow::default();
        for l in lines {
            let n = l.n as i64;
            match (l.kind.as_str(), l.day, l.criterion_id, l.score) {
                ("all", ..) => {
                    row.updated_at = l.updated_at.map(|t| t as i64);
                    row.waiting = n;
                    row.score_sum = l.score_sum as i64;
                }
                ("day", Some(day), ..) if n > 0 => row.days.push(LiveDay { day, waiting: n }),
                ("score", _, _, Some(score)) if n > 0 => row.scores.push(LiveScore {
                    score: score as i64,
                    n,
                }),
                ("criterion", _, Some(c), Some(score)) if n > 0 => {
                    row.criteria.push(LiveCriterion {
                        criterion_id: c as i64,
                        score: score as i64,
                        n,
                    })
                }
                _ => {}
            }
        }
        row.days.sort_by(|a, b| a.day.cmp(&b.day));
        row.scores.sort_by_key(|s| s.score);
        row.criteria.sort_by_key(|c| (c.criterion_id, c.score));
        row
    }
}

pub trait ResultsStore {
    /// Takes the roll-up lease until `until` if nobody holds it; the watermark if taken.
    async fn take_rollup_lease(&self, now: i64, until: i64) -> Result<Option<i64>, StoreError>;
    async fn release_rollup_lease(&self) -> Result<(), StoreError>;
    /// Records that a run which started at `at` (unix seconds) completed (`sql::NOTE_ROLLUP_RUN`).
    async fn note_rollup_run(&self, at: i64) -> Result<(), StoreError>;
    /// `subject`'s (or `scope`'s, for directions) votes cast within `bounds` (`[start, end)`,
    /// unix seconds) after the watermark, with the last run's moment; their local days at
    /// `offset` seconds from UTC.
    async fn live(
        &self,
        query: LiveQuery,
        subject: i64,
        scope: Option<&str>,
        bounds: (i64, i64),
        offset: i64,
    ) -> Result<LiveRow, StoreError>;
    /// A unit's time zone; `None` for an unknown unit.
    async fn unit_zone(&self, unit: i64) -> Result<Option<String>, StoreError>;
    /// The highest vote id.
    async fn last_vote_id(&self) -> Result<i64, StoreError>;
    /// Adds the votes with ids in (`from`, `to`] to every table and moves the watermark from
    /// `from` to `to`, in one batch; `false` if the watermark was no longer `from` (another
    /// run got there first), and then nothing was added.
    /// With `alerts_at` (now), the step's low scores with a comment are queued as alerts.
    /// Cases are opened for the step's votes that need an answer (a contact, or a comment below
    /// the scale's top level: `sql::OPEN_CASES`), due `case_deadline` seconds after the vote.
    /// Screening flags (`integrity::screen`) are written first, in the same batch, and the
    /// step's votes' local offsets (`offsets`: a JSON array of `[zone, start, end, offset]`,
    /// `local_day::Span`s) before they are counted.
    async fn add_new_votes(
        &self,
        from: i64,
        to: i64,
        flags: &[(i64, Flag)],
        offsets: &str,
        alerts_at: Option<i64>,
        case_deadline: i64,
    ) -> Result<(bool, Cost), StoreError>;
    /// The votes screening reads for the step `(from, to]`: the step's and, as context, the
    /// same employees' votes of the hour before it; repeats left out.
    async fn screen_votes(&self, from: i64, to: i64) -> Result<Vec<ScreenRow>, StoreError>;
    /// Clears the network hashes of earlier days' votes once they are all screened.
    async fn forget_network_hashes(&self) -> Result<Cost, StoreError>;
    /// Every counted vote up to `to` from a network that votes of `(from, to]` came from.
    async fn screen_address_votes(&self, from: i64, to: i64)
        -> Result<Vec<AddressRow>, StoreError>;
    /// Counted votes per employee of the step over the days `[since, until)`.
    async fn screen_baselines(
        &self,
        from: i64,
        to: i64,
        since: &str,
        until: &str,
    ) -> Result<std::collections::HashMap<i64, i64>, StoreError>;
    /// Units that declare opening hours.
    async fn unit_hours(&self) -> Result<Vec<UnitHours>, StoreError>;
    /// The zones of the units the votes `(from, to]` were cast in, with their moments' range.
    async fn step_zones(&self, from: i64, to: i64) -> Result<Vec<ZoneRange>, StoreError>;
    /// Every zone a unit has (`first`, `last` 0).
    async fn unit_zones(&self) -> Result<Vec<ZoneRange>, StoreError>;
    /// Sets the local offsets of the votes cast in `[start, end)` from `offsets` (as in
    /// `add_new_votes`) and marks the local days `from` to `to` dirty, with the days that
    /// votes whose offset changed leave and join, in one batch.
    async fn relocalise(
        &self,
        start: i64,
        end: i64,
        offsets: &str,
        from: &str,
        to: &str,
    ) -> Result<Cost, StoreError>;
    async fn dirty_days(&self, limit: u32) -> Result<Vec<String>, StoreError>;
    async fn dirty_months(&self, limit: u32) -> Result<Vec<String>, StoreError>;
    /// (days, months) still owed.
    async fn dirty_counts(&self) -> Result<(i64, i64), StoreError>;
    /// Rebuilds one day and moves its contribution in the monthly tables (one batch).
    async fn recompute_day(&self, day: &str, start: i64, end: i64) -> Result<Cost, StoreError>;
    /// Rebuilds one month's tables from its days (one batch).
    async fn rebuild_month(&self, month: &str, first: &str, next: &str)
        -> Result<Cost, StoreError>;
    async fn mark_days_dirty(&self, from: &str, to: &str) -> Result<(), StoreError>;
    async fn mark_month_dirty(&self, month: &str) -> Result<(), StoreError>;
    async fn stat_rows(
        &self,
        query: StatQuery,
        subject: i64,
        scope: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<StatRow>, StoreError>;
    async fn month_data(&self, month: &str, last_month: &str) -> Result<MonthData, StoreError>;
    /// What `month_data` holds for one unit's report alone, read from its subtree only
    /// (`sql::UNIT_MONTH_*`): `units` is the unit, `closure` its (unit, descendant) pairs, the
    /// rows those of its subtree, `employees` only the employees those rows name. With what
    /// the reads cost (a month-to-date report, docs/results.md).
    async fn unit_month_data(
        &self,
        unit: i64,
        month: &str,
        last_month: &str,
    ) -> Result<(MonthData, Cost), StoreError>;
    /// When the last complete roll-up started (`sql::NOTE_ROLLUP_RUN`); `None` before one.
    async fn last_rollup_run(&self) -> Result<Option<i64>, StoreError>;
    /// Counted criterion ratings (migration 0021), as `stat_rows` reads the score.
    async fn criteria_rows(
        &self,
        query: CriteriaQuery,
        subject: i64,
        scope: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::results::criteria::CriterionRow>, StoreError>;
    /// Replaces the month's stored reports with these (unit id, JSON).
    async fn store_monthly_reports(
        &self,
        month: &str,
        reports: &[(i64, String)],
        now: i64,
    ) -> Result<Cost, StoreError>;
    async fn monthly_report(&self, unit: i64, month: &str) -> Result<Option<String>, StoreError>;
    async fn has_monthly_reports(&self, month: &str) -> Result<bool, StoreError>;
    /// Flagged votes within `scope` (a JSON array of roots, `None` for all), newest first;
    /// `account` is the caller (see `FlaggedView::decidable`).
    async fn flagged_votes(
        &self,
        scope: Option<&str>,
        before: Option<i64>,
        account: u32,
    ) -> Result<Vec<FlaggedView>, StoreError>;
    /// Sets the flagged votes among `ids` within `scope` to `status`, marks their days for the
    /// roll-up and writes the audit line, in one batch; how many changed.
    async fn decide_flagged(
        &self,
        scope: Option<&str>,
        ids: &[i64],
        status: &str,
        audit: &crate::admin::store::Audit,
    ) -> Result<u32, StoreError>;
    async fn comments(&self, filter: &CommentFilter) -> Result<Vec<CommentView>, StoreError>;
}

/// Counted votes of one employee or unit in the last 7 days and the 28 before, with those
/// below the top level.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct DropWindow {
    pub id: i64,
    pub name: String,
    pub unit_id: i64,
    pub unit: String,
    pub recent: i64,
    pub recent_below: i64,
    pub base: i64,
    pub base_below: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct PendingAlert {
    pub id: i64,
    pub body: String,
    pub unit_id: i64,
    pub attempts: i64,
}

pub trait AlertStore {
    /// `employees`: per employee, else per unit. Days as `YYYY-MM-DD`: `[from, mid)` is the
    /// baseline, `[mid, to)` the recent window; `top` the scale's top level.
    async fn drop_windows(
        &self,
        employees: bool,
        from: &str,
        mid: &str,
        to: &str,
        top: i64,
    ) -> Result<Vec<DropWindow>, StoreError>;
    /// (dedupe key, body JSON, unit id); an alert already queued under a key is kept as it is.
    async fn queue_alerts(
        &self,
        alerts: &[(String, String, i64)],
        now: i64,
    ) -> Result<(), StoreError>;
    async fn pending_alerts(&self, now: i64, limit: u32) -> Result<Vec<PendingAlert>, StoreError>;
    async fn unit_managers(&self, unit: i64) -> Result<Vec<String>, StoreError>;
    async fn alert_sent(&self, id: i64, now: i64) -> Result<(), StoreError>;
    async fn alert_failed(&self, id: i64, next_at: i64, error: &str) -> Result<(), StoreError>;
}

/// A case of the feedback inbox.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseView {
    pub vote_id: i64,
    /// The unit's time zone, to show the vote's moment in; not sent.
    #[serde(default, skip_serializing)]
    pub zone: String,
    /// Set when the moment is shown coarsely (`vote_time`): ``created_at` (and `due_at` the start of its day)` is then the start of this
    /// part of the unit's local `day`, not the vote's moment.
    #[serde(default)]
    pub day: Option<String>,
    #[serde(default)]
    pub part: Option<crate::vote_time::PartOfDay>,
    pub unit_id: i64,
    pub unit: String,
    pub employee_id: i64,
    pub employee: String,
    pub score: i64,
    pub status: String,
    pub assignee: Option<String>,
    pub created_at: i64,
    pub due_at: i64,
    pub comment: String,
    /// While it is kept (`CONTACT_RETENTION_DAYS`).
    pub contact: Option<String>,
    /// JSON array of `{at, by, note}`.
    #[serde(with = "json_text")]
    pub notes: serde_json::Value,
}

mod json_text {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &serde_json::Value, s: S) -> Result<S::Ok, S::Error> {
        v.serialize(s)
    }

    /// SQLite hands JSON back as text.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Value, D::Error> {
        let raw = Option::<String>::deserialize(d)?.unwrap_or_else(|| "[]".into());
        serde_json::from_str(&raw).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub scope: Option<String>,
    pub unit: Option<i64>,
    pub status: Option<String>,
    pub overdue: bool,
    pub score: Option<i64>,
    pub before: Option<i64>,
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OverdueView {
    pub unit_id: i64,
    pub unit: String,
    pub overdue: i64,
}

/// A change to a case: `assignee` 0 clears it.
#[derive(Debug, Clone, Default)]
pub struct CaseChange {
    pub status: Option<String>,
    pub assignee: Option<i64>,
    pub note: Option<String>,
}

pub trait CaseStore {
    async fn cases(&self, filter: &CaseFilter) -> Result<Vec<CaseView>, StoreError>;
    async fn overdue_by_unit(
        &self,
        scope: Option<&str>,
        now: i64,
    ) -> Result<Vec<OverdueView>, StoreError>;
    /// Within the write `scope`; `false` when there is no such case there (nothing written).
    async fn change_case(
        &self,
        scope: Option<&str>,
        id: i64,
        change: &CaseChange,
        audit: &crate::admin::store::Audit,
    ) -> Result<bool, StoreError>;
}

/// A month's published digest of its counted receipts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Digest {
    pub month: String,
    /// Hex of the Merkle root (`receipt::root`).
    pub root: String,
    pub counted: i64,
    pub made_at: i64,
}

pub trait ReceiptStore {
    /// The stored receipt hashes of counted votes in `[start, end)`, sorted.
    async fn counted_receipts(&self, start: i64, end: i64) -> Result<Vec<String>, StoreError>;
    async fn save_digest(&self, digest: &Digest) -> Result<(), StoreError>;
    async fn digest(&self, month: &str) -> Result<Option<Digest>, StoreError>;
    /// When the vote with this stored receipt hash was cast, if there is one.
    async fn receipt_vote(&self, hash: &str) -> Result<Option<i64>, StoreError>;
}

/// A vote's state, for undoing its rejection in review.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct ReviewedVote {
    pub status: String,
    /// Rejected in review (not on appeal), so the rejection may be undone.
    #[serde(deserialize_with = "int_bool")]
    pub rejected_in_review: bool,
    /// Whether the caller may undo it (as `FlaggedView::decidable`).
    #[serde(deserialize_with = "int_bool")]
    pub decidable: bool,
}

/// Undoing a rejection made in review: the vote goes back to the flagged ones.
pub trait RejectionStore {
    /// Votes rejected in review within `scope`, newest first, 100 a page; `decidable` marks
    /// those `account` may send back to review.
    async fn rejected_votes(
        &self,
        scope: Option<&str>,
        before: Option<i64>,
        account: u32,
    ) -> Result<Vec<FlaggedView>, StoreError>;
    /// Vote `id` within `scope`, or `None`.
    async fn reviewed_vote(
        &self,
        scope: Option<&str>,
        id: i64,
        account: u32,
    ) -> Result<Option<ReviewedVote>, StoreError>;
    /// Sets vote `id` back to flagged if it is rejected in review and `account` may decide it,
    /// marks its day for the roll-up and writes the audit line, in one batch; whether it changed.
    async fn undo_rejection(
        &self,
        scope: Option<&str>,
        id: i64,
        audit: &crate::admin::store::Audit,
    ) -> Result<bool, StoreError>;
    /// Sets those of votes `ids` that are rejected in review and `account` may decide back to
    /// flagged, marks their days for the roll-up and writes one audit line per vote (`at`,
    /// `actor`), in one batch; how many changed.
    async fn undo_rejections(
        &self,
        scope: Option<&str>,
        ids: &[i64],
        account: u32,
        at: crate::clock::Timestamp,
        actor: &str,
    ) -> Result<u32, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{LiveCriterion, LiveDay, LiveScore};

    fn line(
        kind: &str,
        day: Option<&str>,
        criterion: Option<f64>,
        score: Option<f64>,
        n: f64,
    ) -> LiveLine {
        LiveLine {
            kind: kind.into(),
            day: day.map(str::to_owned),
            criterion_id: criterion,
            score,
            n,
            ..LiveLine::default()
        }
    }

    #[test]
    fn the_live_statements_rows_gather_into_days_scores_and_criteria_in_order() {
        let all = LiveLine {
            kind: "all".into(),
            updated_at: Some(1_700_000_000.0),
            n: 3.0,
            score_sum: 8.0,
            ..LiveLine::default()
        };
        let row = LiveRow::from_lines(vec![
            line("criterion", None, Some(2.0), Some(1.0), 1.0),
            line("day", Some("2026-12-05"), None, None, 1.0),
            line("score", None, None, Some(3.0), 2.0),
            all,
            line("day", Some("2026-12-04"), None, None, 2.0),
            line("score", None, None, Some(2.0), 1.0),
            line("criterion", None, Some(1.0), Some(3.0), 2.0),
            line("something newer", None, None, None, 9.0),
        ]);
        assert_eq!(row.updated_at, Some(1_700_000_000));
        assert_eq!((row.waiting, row.score_sum), (3, 8));
        assert_eq!(
            row.days,
            vec![
                LiveDay {
                    day: "2026-12-04".into(),
                    waiting: 2
                },
                LiveDay {
                    day: "2026-12-05".into(),
                    waiting: 1
                }
            ]
        );
        assert_eq!(
            row.scores,
            vec![LiveScore { score: 2, n: 1 }, LiveScore { score: 3, n: 2 }]
        );
        assert_eq!(
            row.criteria,
            vec![
                LiveCriterion {
                    criterion_id: 1,
                    score: 3,
                    n: 2
                },
                LiveCriterion {
                    criterion_id: 2,
                    score: 1,
                    n: 1
                }
            ]
        );
    }

    #[test]
    fn no_waiting_vote_leaves_every_list_empty() {
        let row = LiveRow::from_lines(vec![LiveLine {
            kind: "all".into(),
            ..LiveLine::default()
        }]);
        assert_eq!(row, LiveRow::default());
    }
}
