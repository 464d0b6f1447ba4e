//! Results: periods, the figures a report shows, confidence-aware rankings, local calendars and
//! the monthly report. Pure: the roll-up tables are read in `glue`, and everything here is
//! computed from the rows they give.

use crate::clock::{iso_day, parse_iso_day};
use crate::i18n::Lang;
use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Below this many counted votes an employee's score is "not enough votes yet" in rankings and
/// public results (`MIN_VOTES` changes it).
pub const DEFAULT_MIN_VOTES: u32 = 10;

/// Counts of one cell of the roll-up tables (see migrations/0007_results.sql).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub counted: i64,
    pub with_contact: i64,
    pub with_comment: i64,
    pub flagged: i64,
    pub duplicates: i64,
    /// Among the counted: cast with a one-time code, so tied to a real visit.
    pub verified: i64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.counted += o.counted;
        self.with_contact += o.with_contact;
        self.with_comment += o.with_comment;
        self.flagged += o.flagged;
        self.duplicates += o.duplicates;
        self.verified += o.verified;
    }
}

/// Counts per score.
pub type Tally = BTreeMap<i64, Counts>;

/// A row as the report queries give it: what it belongs to (`key`: a day, a month, a unit or
/// an employee id as text), the score, and the counts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StatRow {
    #[serde(deserialize_with = "key_as_text")]
    pub key: String,
    pub score: i64,
    pub counted: i64,
    pub with_contact: i64,
    pub with_comment: i64,
    pub flagged: i64,
    pub duplicates: i64,
    pub verified: i64,
}

impl StatRow {
    /// The row with its counts taken `sign` times (a part of a month taken away from it).
    pub(crate) fn signed(self, sign: i64) -> StatRow {
        StatRow {
            counted: self.counted * sign,
            with_contact: self.with_contact * sign,
            with_comment: self.with_comment * sign,
            flagged: self.flagged * sign,
            duplicates: self.duplicates * sign,
            verified: self.verified * sign,
            ..self
        }
    }
}

pub(crate) fn key_as_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Key {
        Text(String),
        Number(f64),
    }
    Ok(match Key::deserialize(d)? {
        Key::Text(s) => s,
        Key::Number(n) => format!("{n}"),
    })
}

impl StatRow {
    pub fn counts(&self) -> Counts {
        Counts {
            counted: self.counted,
            with_contact: self.with_contact,
            with_comment: self.with_comment,
            flagged: self.flagged,
            duplicates: self.duplicates,
            verified: self.verified,
        }
    }
}

/// Sums rows per key (rows of whole months and of ragged days alike).
pub fn tally_by_key(rows: &[StatRow]) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for r in rows {
        *out.entry(r.key.clone())
            .or_default()
            .entry(r.score)
            .or_default() += r.counts();
    }
    out
}

pub fn merge(into: &mut Tally, from: &Tally) {
    for (score, c) in from {
        *into.entry(*score).or_default() += *c;
    }
}

/// What a report shows for one employee, unit or direction over one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Counted votes: the official result (repeats and flagged votes are left out).
    pub votes: i64,
    /// Counted votes per level of the scale (every level, zeros included).
    pub by_score: BTreeMap<String, i64>,
    pub average: Option<f64>,
    /// Share of counted votes at the top level.
    pub top_share: Option<f64>,
    /// Share below the top level: ratings bunch at the top, so this is what tells people apart.
    pub below_top_share: Option<f64>,
    /// The lower bound of the 95% Wilson interval of the top share: the ranking score, which
    /// does not let three lucky votes beat three hundred good ones.
    pub confidence_score: Option<f64>,
    /// Whether `votes` reaches the minimum for rankings and public results.
    pub enough: bool,
    /// Counted votes whose voter left a contact (signed) and those who did not.
    pub signed: i64,
    pub anonymous: i64,
    /// The average of each kind apart.
    pub signed_average: Option<f64>,
    pub anonymous_average: Option<f64>,
    /// The average with each signed vote counted `signed_weight` times (`SIGNED_WEIGHT`,
    /// default 1, when it equals `average`): feedback with a contact is trusted more.
    pub weighted_average: Option<f64>,
    pub signed_weight: u32,
    pub comments: i64,
    /// Counted votes cast with a one-time code (a queue ticket, a written reply), which only a
    /// real visit produces, and their average apart from the rest.
    pub verified: i64,
    pub verified_average: Option<f64>,
    /// Left out of the result: waiting for review, or repeats from one client.
    pub flagged: i64,
    pub duplicates: i64,
}

impl Figures {
    /// `levels`: the scale's values, ascending. Signed votes weigh as much as anonymous ones.
    pub fn of(tally: &Tally, levels: &[i64], min_votes: u32) -> Figures {
        Figures::weighted(tally, levels, min_votes, 1)
    }

    /// The same with each signed vote counted `signed_weight` times in `weighted_average`.
    pub fn weighted(tally: &Tally, levels: &[i64], min_votes: u32, signed_weight: u32) -> Figures {
        let mut by_score: BTreeMap<String, i64> =
            levels.iter().map(|l| (l.to_string(), 0)).collect();
        let mut total = Counts::default();
        let mut sum = 0i64;
        let mut signed_sum = 0i64;
        let mut verified_sum = 0i64;
        for (score, c) in tally {
            *by_score.entry(score.to_string()).or_insert(0) += c.counted;
            total += *c;
            sum += score * c.counted;
            signed_sum += score * c.with_contact;
            verified_sum += score * c.verified;
        }
        let w = i64::from(signed_weight.max(1));
        let signed = total.with_contact;
        let anonymous = total.counted - signed;
        let mean = |s: i64, n: i64| (n > 0).then(|| round4(s as f64 / n as f64));
        let top = levels.last().copied().unwrap_or(i64::MAX);
        let top_votes = tally.get(&top).map_or(0, |c| c.counted);
        let n = total.counted;
        let share = |k: i64| (n > 0).then(|| round4(k as f64 / n as f64));
        Figures {
            votes: n,
            by_score,
            average: (n > 0).then(|| round4(sum as f64 / n as f64)),
            top_share: share(top_votes),
            below_top_share: share(n - top_votes),
            confidence_score: (n > 0).then(|| round4(wilson_lower_bound(top_votes, n))),
            enough: n >= i64::from(min_votes),
            signed,
            anonymous,
            signed_average: mean(signed_sum, signed),
            anonymous_average: mean(sum - signed_sum, anonymous),
            weighted_average: mean(sum + (w - 1) * signed_sum, n + (w - 1) * signed),
            signed_weight: u32::try_from(w).unwrap_or(1),
            comments: total.with_comment,
            verified: total.verified,
            verified_average: mean(verified_sum, total.verified),
            flagged: total.flagged,
            duplicates: total.duplicates,
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Lower bound of the Wilson score interval (95%) for `successes` out of `n`.
pub fn wilson_lower_bound(successes: i64, n: i64) -> f64 {
    if n <= 0 {
        return 0.0;
    }
    let z = 1.959_964_f64;
    let n = n as f64;
    let p = successes.clamp(0, n as i64) as f64 / n;
    let z2 = z * z;
    let centre = p + z2 / (2.0 * n);
    let margin = z * ((p * (1.0 - p) + z2 / (4.0 * n)) / n).sqrt();
    ((centre - margin) / (1.0 + z2 / n)).max(0.0)
}

/// Orders by confidence score (best first), then by votes; those without enough votes last.
pub fn rank<T>(items: &mut [T], figures: impl Fn(&T) -> &Figures) {
    items.sort_by(|a, b| {
        let (a, b) = (figures(a), figures(b));
        b.enough
            .cmp(&a.enough)
            .then(
                b.confidence_score
                    .unwrap_or(-1.0)
                    .total_cmp(&a.confidence_score.unwrap_or(-1.0)),
            )
            .then(b.votes.cmp(&a.votes))
    });
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PeriodKind {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    Custom,
}

/// An inclusive range of UTC days that a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub kind: PeriodKind,
    #[serde(serialize_with = "ser_day")]
    pub from: NaiveDate,
    #[serde(serialize_with = "ser_day")]
    pub to: NaiveDate,
}

fn ser_day<S: serde::Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&iso_day(*d))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("`period` must be day, week, month, quarter, year or custom")]
    UnknownKind,
    #[error("`{0}` must be a date written YYYY-MM-DD")]
    BadDate(&'static str),
    #[error("a custom period needs `from` and `to`, with `from` not after `to`")]
    BadRange,
    #[error("a period must not exceed 3660 days")]
    TooLong,
    #[error("`month` must be written YYYY-MM")]
    BadMonth,
}

impl Period {
    /// `period` (default month) around `date` (default today), or `from`..`to` for custom.
    pub fn parse(
        kind: Option<&str>,
        date: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> Result<Period, PeriodError> {
        let kind = match kind.unwrap_or(if from.is_some() { "custom" } else { "month" }) {
            "day" => PeriodKind::Day,
            "week" => PeriodKind::Week,
            "month" => PeriodKind::Month,
            "quarter" => PeriodKind::Quarter,
            "year" => PeriodKind::Year,
            "custom" => PeriodKind::Custom,
            _ => return Err(PeriodError::UnknownKind),
        };
        let day = |s: Option<&str>, name| match s {
            None => Ok(None),
            Some(s) => parse_iso_day(s).map(Some).ok_or(PeriodError::BadDate(name)),
        };
        // Every date given is checked, used or not: `to=null` on a monthly view is a mistake
        // to name, not a parameter to ignore.
        let (date, from, to) = (day(date, "date")?, day(from, "from")?, day(to, "to")?);
        if kind == PeriodKind::Custom {
            let (Some(from), Some(to)) = (from, to) else {
                return Err(PeriodError::BadRange);
            };
            if from > to {
                return Err(PeriodError::BadRange);
            }
            if (to - from).num_days() > 3660 {
                return Err(PeriodError::TooLong);
            }
            return Ok(Period { kind, from, to });
        }
        Ok(Period::around(kind, date.unwrap_or(today)))
    }

    /// The period of `kind` that contains `d` (weeks are ISO weeks, Monday first).
    pub fn around(kind: PeriodKind, d: NaiveDate) -> Period {
        let (from, to) = match kind {
            PeriodKind::Day | PeriodKind::Custom => (d, d),
            PeriodKind::Week => {
                let from = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
                (from, from + Duration::days(6))
            }
            PeriodKind::Month => month_bounds(d.year(), d.month()),
            PeriodKind::Quarter => {
                let first = (d.month() - 1) / 3 * 3 + 1;
                (
                    month_bounds(d.year(), first).0,
                    month_bounds(d.year(), first + 2).1,
                )
            }
            PeriodKind::Year => (month_bounds(d.year(), 1).0, month_bounds(d.year(), 12).1),
        };
        Period { kind, from, to }
    }

    /// A calendar month written `YYYY-MM`.
    pub fn month(s: &str) -> Result<Period, PeriodError> {
        let d = parse_iso_day(&format!("{s}-01")).ok_or(PeriodError::BadMonth)?;
        Ok(Period::around(PeriodKind::Month, d))
    }

    /// The same kind of period just before this one (custom: the same length).
    pub fn previous(self) -> Period {
        match self.kind {
            PeriodKind::Custom => {
                let len = self.to - self.from + Duration::days(1);
                Period {
                    kind: self.kind,
                    from: self.from - len,
                    to: self.to - len,
                }
            }
            kind => Period::around(kind, self.from - Duration::days(1)),
        }
    }

    /// Splits the range for the roll-up tables: whole months read monthly rows, the ragged
    /// ends daily rows. Ranges of a month or less are read daily (the trend is per day).
    pub fn plan(self) -> ReadPlan {
        if self.days() <= 31 && !self.is_whole_month() {
            return ReadPlan {
                months: None,
                days: vec![(self.from, self.to)],
            };
        }
        let mut first = NaiveDate::from_ymd_opt(self.from.year(), self.from.month(), 1);
        if first != Some(self.from) {
            first = next_month_start(self.from);
        }
        let end_next = self.to + Duration::days(1);
        let last_start = NaiveDate::from_ymd_opt(end_next.year(), end_next.month(), 1);
        // Whole months: [first, last_start).
        match (first, last_start) {
            (Some(first), Some(last_start)) if first < last_start => {
                let mut days = Vec::new();
                if self.from < first {
                    days.push((self.from, first - Duration::days(1)));
                }
                if last_start <= self.to {
                    days.push((last_start, self.to));
                }
                let last_month = last_start - Duration::days(1);
                ReadPlan {
                    months: Some((month_key(first), month_key(last_month))),
                    days,
                }
            }
            _ => ReadPlan {
                months: None,
                days: vec![(self.from, self.to)],
            },
        }
    }

    pub fn days(self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    fn is_whole_month(self) -> bool {
        self.from.day() == 1 && (self.to + Duration::days(1)).day() == 1 && self.days() <= 31
    }

    /// The trend's buckets: days for a month or less, months otherwise.
    pub fn buckets(self) -> Vec<Bucket> {
        let mut out = Vec::new();
        if self.days() <= 31 {
            let mut d = self.from;
            while d <= self.to {
                out.push(Bucket {
                    from: d,
                    to: d,
                    key: iso_day(d),
                });
                d += Duration::days(1);
            }
            return out;
        }
        let mut d = self.from;
        while d <= self.to {
            let (_, end) = month_bounds(d.year(), d.month());
            let to = end.min(self.to);
            out.push(Bucket {
                from: d,
                to,
                key: month_key(d),
            });
            d = to + Duration::days(1);
        }
        out
    }
}

/// Which rows a period needs: a span of whole months, and spans of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadPlan {
    pub months: Option<(String, String)>,
    pub days: Vec<(NaiveDate, NaiveDate)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// `YYYY-MM-DD` for a day bucket, `YYYY-MM` for a month bucket.
    pub key: String,
}

impl Bucket {
    /// Whether a row's key (a day or a whole month) belongs here.
    pub fn holds(&self, key: &str) -> bool {
        match parse_iso_day(key) {
            Some(d) => self.from <= d && d <= self.to,
            None => key.len() == 7 && month_key(self.from) == key,
        }
    }
}

pub fn month_key(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn next_month_start(d: NaiveDate) -> Option<NaiveDate> {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
}

/// First and last day of a month (`month` 1–12; anything else gives the epoch's January).
pub fn month_bounds(year: i32, month: u32) -> (NaiveDate, NaiveDate) {
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    let last = next_month_start(first).map_or(first, |n| n - Duration::days(1));
    (first, last)
}

/// One point of a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrendPoint {
    pub key: String,
    pub from: String,
    pub to: String,
    pub votes: i64,
    pub average: Option<f64>,
    pub below_top_share: Option<f64>,
}

/// Rows keyed by day or month into the period's buckets.
pub fn trend(period: Period, rows: &[StatRow], levels: &[i64]) -> Vec<TrendPoint> {
    let by_key = tally_by_key(rows);
    period
        .buckets()
        .into_iter()
        .map(|b| {
            let mut t = Tally::new();
            for (k, tally) in &by_key {
                if b.holds(k) {
                    merge(&mut t, tally);
                }
            }
            let f = Figures::of(&t, levels, 0);
            TrendPoint {
                from: iso_day(b.from),
                to: iso_day(b.to),
                key: b.key,
                votes: f.votes,
                average: f.average,
                below_top_share: f.below_top_share,
            }
        })
        .collect()
}

/// Solar Hijri (Jalali) date of a Gregorian one: the arithmetic of the jalaali-js library,
/// exact for the years this service will see.
pub fn jalali(d: NaiveDate) -> (i32, u32, u32) {
    const DAYS_BEFORE_MONTH: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let gy = i64::from(d.year());
    let gm = d.month() as usize;
    let gd = i64::from(d.day());
    let gy2 = if gm > 2 { gy + 1 } else { gy };
    let before = DAYS_BEFORE_MONTH.get(gm - 1).copied().unwrap_or(0);
    let mut days =
        355_666 + 365 * gy + (gy2 + 3) / 4 - (gy2 + 99) / 100 + (gy2 + 399) / 400 + gd + before;
    let mut jy = -1595 + 33 * (days / 12_053);
    days %= 12_053;
    jy += 4 * (days / 1461);
    days %= 1461;
    if days > 365 {
        jy += (days - 1) / 365;
        days = (days - 1) % 365;
    }
    let (jm, jd) = if days < 186 {
        (1 + days / 31, 1 + days % 31)
    } else {
        (7 + (days - 186) / 30, 1 + (days - 186) % 30)
    };
    (jy as i32, jm as u32, jd as u32)
}

/// ASCII digits as Persian ones (۰–۹).
pub fn persian_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c.to_digit(10) {
            Some(n) if c.is_ascii_digit() => char::from_u32(0x06F0 + n).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// A date as a reader of `lang` writes it: Persian in the Solar Hijri calendar with Persian
/// digits (year/month/day), the others `YYYY-MM-DD`.
pub fn local_date(lang: Lang, d: NaiveDate) -> String {
    match lang {
        Lang::Fa => {
            let (y, m, day) = jalali(d);
            persian_digits(&format!("{y:04}/{m:02}/{day:02}"))
        }
        _ => iso_day(d),
    }
}

/// A number as `lang` writes it (Persian digits for Persian).
pub fn local_number(lang: Lang, s: &str) -> String {
    match lang {
        Lang::Fa => persian_digits(s),
        _ => s.to_owned(),
    }
}

/// An employee as the monthly report ranks them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranked {
    pub employee_id: i64,
    pub name: String,
    pub votes: i64,
    pub average: Option<f64>,
    pub confidence_score: Option<f64>,
}

/// The monthly close's report for one unit and its subtree, stored as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthlyReport {
    pub unit_id: i64,
    pub unit_name: String,
    pub month: String,
    pub figures: Figures,
    pub previous: Figures,
    /// Changes from last month (this month minus last), where both have votes.
    pub change_votes: i64,
    pub change_average: Option<f64>,
    pub change_below_top_share: Option<f64>,
    /// Up to three employees each, among those with enough votes.
    pub best: Vec<Ranked>,
    pub worst: Vec<Ranked>,
    pub comments: i64,
    /// Counted votes at the lowest level that carry a comment.
    pub complaints: i64,
    /// Cases of the feedback inbox still open past their due date at the close.
    #[serde(default)]
    pub overdue_cases: i64,
    pub min_votes: u32,
    /// Each extra criterion over the subtree this month (`results::criteria`); reports stored
    /// before criteria were rolled up have none.
    #[serde(default)]
    pub criteria: Vec<crate::results::criteria::CriterionFigures>,
    /// A month-to-date report of the unit's open month, built on request from the roll-up
    /// tables (docs/results.md, "Month to date"): its figures may still change. Stored reports
    /// of closed months are never provisional.
    #[serde(default)]
    pub provisional: bool,
    /// For a provisional report, when the last complete roll-up started (unix seconds): the
    /// votes that had arrived by then are in it. `None` before the first run, and for stored
    /// reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<i64>,
}

/// A provisional report's moment, as its notices give it: `YYYY-MM-DD HH:MM UTC` (the date in
/// `lang`'s calendar and digits); `None` before the first roll-up.
pub fn as_of_text(lang: Lang, as_of: Option<i64>) -> Option<String> {
    let t = chrono::DateTime::from_timestamp(as_of?, 0)?;
    Some(format!(
        "{} {} UTC",
        local_date(lang, t.date_naive()),
        local_number(lang, &t.format("%H:%M").to_string())
    ))
}

/// Builds a unit's monthly report. `employees`: each employee of the subtree with their tally
/// for the month; `complaints`: lowest-level votes with a comment.
#[allow(clippy::too_many_arguments)]
pub fn monthly_report(
    unit_id: i64,
    unit_name: &str,
    month: &str,
    this: &Tally,
    last: &Tally,
    employees: &[(i64, String, Tally)],
    complaints: i64,
    levels: &[i64],
    min_votes: u32,
) -> MonthlyReport {
    let figures = Figures::of(this, levels, min_votes);
    let previous = Figures::of(last, levels, min_votes);
    let mut ranked: Vec<(Ranked, Figures)> = employees
        .iter()
        .map(|(id, name, t)| {
            let f = Figures::of(t, levels, min_votes);
            (
                Ranked {
                    employee_id: *id,
                    name: name.clone(),
                    votes: f.votes,
                    average: f.average,
                    confidence_score: f.confidence_score,
                },
                f,
            )
        })
        .filter(|(_, f)| f.enough)
        .collect();
    rank(&mut ranked, |(_, f)| f);
    let best: Vec<Ranked> = ranked.iter().take(3).map(|(r, _)| r.clone()).collect();
    let worst: Vec<Ranked> = ranked
        .iter()
        .rev()
        .take(3.min(ranked.len().saturating_sub(best.len())))
        .map(|(r, _)| r.clone())
        .collect();
    let diff = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => Some(round4(a - b)),
        _ => None,
    };
    MonthlyReport {
        unit_id,
        unit_name: unit_name.to_owned(),
        month: month.to_owned(),
        change_votes: figures.votes - previous.votes,
        change_average: diff(figures.average, previous.average),
        change_below_top_share: diff(figures.below_top_share, previous.below_top_share),
        comments: figures.comments,
        complaints,
        figures,
        previous,
        best,
        worst,
        overdue_cases: 0,
        min_votes,
        criteria: Vec::new(),
        provisional: false,
        as_of: None,
    }
}

/// CSV for spreadsheets: UTF-8 with a byte-order mark (without it Excel reads Cyrillic and
/// Persian as mojibake), CRLF line ends, every field quoted where it must be.
pub fn csv(rows: &[Vec<String>]) -> String {
    let mut out = String::from("\u{feff}");
    for row in rows {
        let line: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(f: &str) -> String {
    // A leading = + - @ makes a spreadsheet evaluate the cell: names are data, not formulas.
    let f = if f.starts_with(['=', '+', '-', '@']) && f.parse::<f64>().is_err() {
        format!("'{f}")
    } else {
        f.to_owned()
    };
    if f.contains([',', '"', '\n', '\r']) || f.starts_with('\'') {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f
    }
}

/// A share as a percentage with one decimal, or empty.
pub fn percent(x: Option<f64>) -> String {
    x.map(|v| format!("{:.1}", v * 100.0)).unwrap_or_default()
}

/// A number with two decimals, or empty.
pub fn decimal(x: Option<f64>) -> String {
    x.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// The monthly report as CSV rows (the header names are English: column keys, not prose).
pub fn monthly_report_csv(r: &MonthlyReport) -> String {
    let mut rows = vec![vec![
        "section".to_owned(),
        "unit_id".into(),
        "unit".into(),
        "month".into(),
        "employee_id".into(),
        "employee".into(),
        "votes".into(),
        "average".into(),
        "top_share_pct".into(),
        "below_top_share_pct".into(),
        "confidence_score".into(),
        "signed".into(),
        "comments".into(),
        "complaints".into(),
    ]];
    let figures_row = |section: &str, month: &str, f: &Figures, complaints: String| {
        vec![
            section.to_owned(),
            r.unit_id.to_string(),
            r.unit_name.clone(),
            month.to_owned(),
            String::new(),
            String::new(),
            f.votes.to_string(),
            decimal(f.average),
            percent(f.top_share),
            percent(f.below_top_share),
            f.confidence_score
                .map(|c| format!("{c:.4}"))
                .unwrap_or_default(),
            f.signed.to_string(),
            f.comments.to_string(),
            complaints,
        ]
    };
    rows.push(figures_row(
        "month",
        &r.month,
        &r.figures,
        r.complaints.to_string(),
    ));
    let previous_month = Period::month(&r.month)
        .map(|p| month_key(p.previous().from))
        .unwrap_or_default();
    rows.push(figures_row(
        "previous_month",
        &previous_month,
        &r.previous,
        String::new(),
    ));
    for (i, row) in rows.iter_mut().enumerate() {
        row.push(match i {
            0 => "overdue_cases".to_owned(),
            1 => r.overdue_cases.to_string(),
            _ => String::new(),
        });
    }
    for (section, list) in [("best", &r.best), ("worst", &r.worst)] {
        for e in list {
            rows.push(vec![
                section.to_owned(),
                r.unit_id.to_string(),
                r.unit_name.clone(),
                r.month.clone(),
                e.employee_id.to_string(),
                e.name.clone(),
                e.votes.to_string(),
                decimal(e.average),
                String::new(),
                String::new(),
                e.confidence_score
                    .map(|c| format!("{c:.4}"))
                    .unwrap_or_default(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
    }
    crate::results::criteria::extend_csv(&mut rows, r);
    if r.provisional {
        // Said before the header, where whoever opens the file reads first; English, as the
        // column keys are.
        let as_of = as_of_text(Lang::En, r.as_of).unwrap_or_else(|| "not yet counted".into());
        rows.insert(
            0,
            vec![format!(
                "Month to date, not closed: figures may change; as of {as_of}"
            )],
        );
    }
    csv(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        parse_iso_day(s).unwrap()
    }

    fn tally(pairs: &[(i64, i64)]) -> Tally {
        pairs
            .iter()
            .map(|(s, n)| {
                (
                    *s,
                    Counts {
                        counted: *n,
                        ..Counts::default()
                    },
                )
            })
            .collect()
    }

    #[test]
    fn figures_show_shares_of_the_top_and_below_it() {
        let f = Figures::of(&tally(&[(1, 1), (2, 1), (3, 8)]), &[1, 2, 3], 10);
        assert_eq!(f.votes, 10);
        assert_eq!(f.average, Some(2.7));
        assert_eq!(f.top_share, Some(0.8));
        assert_eq!(f.below_top_share, Some(0.2));
        assert!(f.enough);
        assert_eq!(f.by_score.get("1"), Some(&1));
    }

    #[test]
    fn an_empty_period_has_no_average_and_is_not_enough() {
        let f = Figures::of(&Tally::new(), &[1, 2, 3], 10);
        assert_eq!(f.weighted_average, None);
        assert_eq!((f.votes, f.average, f.enough), (0, None, false));
        assert_eq!(f.by_score.len(), 3);
    }

    #[test]
    fn three_lucky_votes_rank_below_three_hundred_good_ones() {
        let few = Figures::of(&tally(&[(3, 3)]), &[1, 2, 3], 1);
        let many = Figures::of(&tally(&[(3, 270), (2, 30)]), &[1, 2, 3], 1);
        let mut items = vec![("few", few), ("many", many)];
        rank(&mut items, |(_, f)| f);
        assert_eq!(items[0].0, "many");
    }

    #[test]
    fn wilson_bound_matches_a_known_value() {
        // 8 of 10: the 95% Wilson interval is 0.490–0.943.
        assert!((wilson_lower_bound(8, 10) - 0.4902).abs() < 1e-3);
        assert_eq!(wilson_lower_bound(0, 0), 0.0);
    }

    #[test]
    fn periods_cover_iso_weeks_quarters_and_years() {
        let today = d("2026-11-23");
        let w = Period::parse(Some("week"), Some("2026-11-26"), None, None, today).unwrap();
        assert_eq!((w.from, w.to), (d("2026-11-23"), d("2026-11-29")));
        let q = Period::parse(Some("quarter"), None, None, None, today).unwrap();
        assert_eq!((q.from, q.to), (d("2026-10-01"), d("2026-12-31")));
        let y = Period::parse(Some("year"), Some("2024-02-29"), None, None, today).unwrap();
        assert_eq!((y.from, y.to), (d("2024-01-01"), d("2024-12-31")));
        let m = Period::parse(None, None, None, None, today).unwrap();
        assert_eq!((m.from, m.to), (d("2026-11-01"), d("2026-11-30")));
    }

    #[test]
    fn bad_periods_are_refused() {
        let today = d("2026-11-23");
        assert_eq!(
            Period::parse(Some("fortnight"), None, None, None, today),
            Err(PeriodError::UnknownKind)
        );
        assert_eq!(
            Period::parse(
                Some("custom"),
                None,
                Some("2026-02-01"),
                Some("2026-01-01"),
                today
            ),
            Err(PeriodError::BadRange)
        );
        assert_eq!(
            Period::parse(None, Some("2026-02-30"), None, None, today),
            Err(PeriodError::BadDate("date"))
        );
        assert_eq!(Period::month("2026-13"), Err(PeriodError::BadMonth));
    }

    #[test]
    fn a_bad_date_is_refused_even_where_the_period_does_not_use_it() {
        let today = d("2026-11-23");
        assert_eq!(
            Period::parse(None, None, None, Some("null"), today),
            Err(PeriodError::BadDate("to"))
        );
        assert_eq!(
            Period::parse(Some("week"), None, Some("2026-1-1"), None, today),
            Err(PeriodError::BadDate("from"))
        );
        assert_eq!(
            Period::parse(
                Some("custom"),
                Some("yesterday"),
                Some("2026-01-01"),
                Some("2026-01-31"),
                today
            ),
            Err(PeriodError::BadDate("date"))
        );
        assert_eq!(
            Period::parse(None, None, None, Some("2026-01-31"), today),
            Ok(Period::around(PeriodKind::Month, today))
        );
    }

    #[test]
    fn a_custom_range_reads_whole_months_monthly_and_its_ends_daily() {
        let p = Period::parse(
            None,
            None,
            Some("2026-01-15"),
            Some("2026-04-10"),
            d("2026-11-23"),
        )
        .unwrap();
        assert_eq!(
            p.plan(),
            ReadPlan {
                months: Some(("2026-02".into(), "2026-03".into())),
                days: vec![
                    (d("2026-01-15"), d("2026-01-31")),
                    (d("2026-04-01"), d("2026-04-10"))
                ],
            }
        );
        let month = Period::month("2026-02").unwrap();
        assert_eq!(
            month.plan().months,
            Some(("2026-02".into(), "2026-02".into()))
        );
        assert!(month.plan().days.is_empty());
        let week = Period::around(PeriodKind::Week, d("2026-11-23"));
        assert_eq!(week.plan().months, None);
    }

    #[test]
    fn trends_are_daily_for_a_month_and_monthly_beyond() {
        assert_eq!(Period::month("2026-02").unwrap().buckets().len(), 28);
        let year = Period::around(PeriodKind::Year, d("2026-05-05"));
        let b = year.buckets();
        assert_eq!(b.len(), 12);
        assert!(b[1].holds("2026-02") && b[1].holds("2026-02-14") && !b[1].holds("2026-03"));
    }

    #[test]
    fn previous_period_is_the_one_before() {
        let p = Period::month("2026-01").unwrap().previous();
        assert_eq!((p.from, p.to), (d("2025-12-01"), d("2025-12-31")));
    }

    #[test]
    fn jalali_dates_match_known_new_years() {
        // Nowruz: 1 Farvardin.
        assert_eq!(jalali(d("2023-03-21")), (1402, 1, 1));
        assert_eq!(jalali(d("2024-03-20")), (1403, 1, 1));
        assert_eq!(jalali(d("2026-03-21")), (1405, 1, 1));
        assert_eq!(jalali(d("2026-11-23")), (1405, 9, 2));
        assert_eq!(local_date(Lang::Fa, d("2026-11-23")), "۱۴۰۵/۰۹/۰۲");
        assert_eq!(local_date(Lang::Uk, d("2026-11-23")), "2026-11-23");
    }

    proptest! {
        #[test]
        fn jalali_days_follow_one_another(n in 0i64..40_000) {
            let a = d("1990-01-01") + Duration::days(n);
            let (y1, m1, d1) = jalali(a);
            let (y2, m2, d2) = jalali(a + Duration::days(1));
            let next_day = (y2, m2, d2) == (y1, m1, d1 + 1);
            let next_month = m2 == m1 + 1 && y2 == y1 && d2 == 1
                && d1 == if m1 <= 6 { 31 } else { 30 };
            let next_year = (y2, m2, d2) == (y1 + 1, 1, 1) && m1 == 12 && (d1 == 29 || d1 == 30);
            prop_assert!(next_day || next_month || next_year, "{a}: {y1}-{m1}-{d1} → {y2}-{m2}-{d2}");
        }

        #[test]
        fn wilson_bound_lies_below_the_share(k in 0i64..500, extra in 0i64..500) {
            let n = k + extra;
            prop_assume!(n > 0);
            let lb = wilson_lower_bound(k, n);
            prop_assert!((0.0..=k as f64 / n as f64 + 1e-9).contains(&lb));
        }

        #[test]
        fn a_plan_covers_each_day_once(start in 0i64..3000, len in 0i64..800) {
            let from = d("2020-01-01") + Duration::days(start);
            let p = Period { kind: PeriodKind::Custom, from, to: from + Duration::days(len) };
            let plan = p.plan();
            let mut covered = 0i64;
            for (a, b) in &plan.days {
                prop_assert!(p.from <= *a && b <= &p.to);
                covered += (*b - *a).num_days() + 1;
            }
            if let Some((m1, m2)) = &plan.months {
                let a = Period::month(m1).unwrap().from;
                let b = Period::month(m2).unwrap().to;
                prop_assert!(p.from <= a && b <= p.to);
                covered += (b - a).num_days() + 1;
            }
            prop_assert_eq!(covered, p.days());
        }
    }

    #[test]
    fn csv_has_a_bom_and_defuses_formulas() {
        let out = csv(&[vec![
            "=cmd|' /C calc'!A0".into(),
            "Іваненко, О.".into(),
            "-3".into(),
        ]]);
        assert!(out.starts_with('\u{feff}'));
        assert_eq!(
            out.trim_start_matches('\u{feff}'),
            "\"'=cmd|' /C calc'!A0\",\"Іваненко, О.\",-3\r\n"
        );
    }

    #[test]
    fn the_monthly_report_names_best_and_worst_among_those_with_enough_votes() {
        let employees = vec![
            (1, "A".to_owned(), tally(&[(3, 20)])),
            (2, "B".to_owned(), tally(&[(1, 10), (3, 10)])),
            (3, "C".to_owned(), tally(&[(3, 2)])),
            (4, "D".to_owned(), tally(&[(2, 5), (3, 10)])),
        ];
        let r = monthly_report(
            7,
            "Unit",
            "2026-10",
            &tally(&[(1, 10), (2, 5), (3, 42)]),
            &tally(&[(3, 10)]),
            &employees,
            4,
            &[1, 2, 3],
            10,
        );
        let ids = |l: &[Ranked]| l.iter().map(|r| r.employee_id).collect::<Vec<_>>();
        assert_eq!(ids(&r.best), vec![1, 4, 2]);
        assert!(
            r.worst.is_empty(),
            "three ranked: all are best, none repeated"
        );
        assert_eq!(r.change_votes, 47);
        assert_eq!(r.complaints, 4);
        let csv = monthly_report_csv(&r);
        assert!(csv.contains("best,7,Unit,2026-10,1,A,20,3.00"));
        assert!(csv.contains("previous_month,7,Unit,2026-09,"));
    }

    #[test]
    fn a_provisional_csv_says_so_before_its_header_and_a_stored_one_does_not() {
        let mut r = monthly_report(
            7,
            "Unit",
            "2026-12",
            &Tally::new(),
            &Tally::new(),
            &[],
            0,
            &[1, 2, 3],
            5,
        );
        let closed = monthly_report_csv(&r);
        assert!(closed.starts_with("\u{feff}section,"), "{closed}");
        r.provisional = true;
        r.as_of = Some(1_796_389_200); // 2026-12-04 13:00 UTC
        let open = monthly_report_csv(&r);
        assert!(
            open.starts_with("\u{feff}\"Month to date, not closed: figures may change; as of 2026-12-04 13:00 UTC\"\r\nsection,"),
            "{open}"
        );
        r.as_of = None;
        assert!(monthly_report_csv(&r).contains("as of not yet counted"));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["provisional"], true);
        let old: MonthlyReport = serde_json::from_str(
            &serde_json::to_string(&monthly_report(
                7,
                "U",
                "2026-11",
                &Tally::new(),
                &Tally::new(),
                &[],
                0,
                &[1, 2, 3],
                5,
            ))
            .unwrap()
            .replace(",\"provisional\":false", ""),
        )
        .unwrap();
        assert!(
            !old.provisional && old.as_of.is_none(),
            "reports stored before are closed ones"
        );
    }

    #[test]
    fn signed_votes_can_weigh_more_and_are_also_shown_apart() {
        let mut t = Tally::new();
        // Three anonymous top votes; one signed lowest vote.
        t.insert(
            3,
            Counts {
                counted: 3,
                ..Counts::default()
            },
        );
        t.insert(
            1,
            Counts {
                counted: 1,
                with_contact: 1,
                ..Counts::default()
            },
        );
        let plain = Figures::of(&t, &[1, 2, 3], 1);
        assert_eq!(plain.average, Some(2.5));
        assert_eq!(plain.weighted_average, plain.average);
        assert_eq!(
            (plain.signed_average, plain.anonymous_average),
            (Some(1.0), Some(3.0))
        );
        let weighted = Figures::weighted(&t, &[1, 2, 3], 1, 3);
        // (3·3 + 3·1) / (3 + 3) = 2
        assert_eq!(weighted.weighted_average, Some(2.0));
        assert_eq!(weighted.average, Some(2.5), "the plain average stays");
        assert_eq!(weighted.signed_weight, 3);
    }
}
