//! Results of the extra criteria (waiting time, premises, …): each criterion's counted ratings
//! per level of the scale and their average, per employee, unit subtree or service direction.
//! Pure: the roll-up tables (migration 0021) are read in `glue`, summed here. Only counted votes
//! are in those tables, so repeats, flagged and rejected votes never reach these figures.

use crate::i18n::Lang;
use crate::results::report::{decimal, MonthlyReport};
use crate::scale::{Criterion, Labels};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A row as the criteria queries give it: what it belongs to (`key`: a unit or direction id as
/// text, or empty), the criterion, the level and how many counted ratings it has.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CriterionRow {
    #[serde(deserialize_with = "crate::results::report::key_as_text")]
    pub key: String,
    pub criterion_id: i64,
    pub score: i64,
    pub counted: i64,
}

/// Counted ratings per criterion, then per level.
pub type CriteriaTally = BTreeMap<i64, BTreeMap<i64, i64>>;

/// Sums rows per key (rows of whole months and of ragged days alike).
pub fn tally_by_key(rows: &[CriterionRow]) -> BTreeMap<String, CriteriaTally> {
    let mut out: BTreeMap<String, CriteriaTally> = BTreeMap::new();
    for r in rows {
        *out.entry(r.key.clone())
            .or_default()
            .entry(r.criterion_id)
            .or_default()
            .entry(r.score)
            .or_default() += r.counted;
    }
    out
}

/// Sums every row, whatever its key.
pub fn tally(rows: &[CriterionRow]) -> CriteriaTally {
    let mut t = CriteriaTally::new();
    for part in tally_by_key(rows).values() {
        merge(&mut t, part);
    }
    t
}

pub fn merge(into: &mut CriteriaTally, from: &CriteriaTally) {
    for (criterion, levels) in from {
        let to = into.entry(*criterion).or_default();
        for (score, n) in levels {
            *to.entry(*score).or_default() += n;
        }
    }
}

/// What a view shows for one criterion over one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionFigures {
    pub id: i64,
    pub code: String,
    pub labels: Labels,
    /// An inactive criterion is listed only for periods in which it was rated.
    pub active: bool,
    /// Counted ratings of this criterion (a vote may leave a criterion unanswered, so this can
    /// be below the vote count).
    pub votes: i64,
    /// Counted ratings per level of the scale (every level, zeros included).
    pub by_score: BTreeMap<String, i64>,
    pub average: Option<f64>,
    /// Whether `votes` reaches the minimum that rankings and public results ask of a score.
    pub enough: bool,
}

/// Each criterion's figures: the active ones in the vote page's order (position, then id),
/// then any inactive one that still has ratings in the tally. `levels`: the scale, ascending.
pub fn figures(
    t: &CriteriaTally,
    criteria: &[Criterion],
    levels: &[i64],
    min_votes: u32,
) -> Vec<CriterionFigures> {
    let mut ordered: Vec<&Criterion> = criteria.iter().collect();
    ordered.sort_by_key(|c| (!c.active, c.position, c.id));
    let empty = BTreeMap::new();
    ordered
        .into_iter()
        .filter_map(|c| {
            let counts = t.get(&c.id).unwrap_or(&empty);
            let votes: i64 = counts.values().sum();
            if !c.active && votes == 0 {
                return None;
            }
            let mut by_score: BTreeMap<String, i64> =
                levels.iter().map(|l| (l.to_string(), 0)).collect();
            let mut sum = 0i64;
            for (score, n) in counts {
                *by_score.entry(score.to_string()).or_insert(0) += n;
                sum += score * n;
            }
            Some(CriterionFigures {
                id: c.id,
                code: c.code.clone(),
                labels: c.labels.clone(),
                active: c.active,
                votes,
                by_score,
                average: (votes > 0)
                    .then(|| (sum as f64 / votes as f64 * 10_000.0).round() / 10_000.0),
                enough: votes >= i64::from(min_votes),
            })
        })
        .collect()
}

/// One service direction's criteria.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectionCriteria {
    pub direction_id: i64,
    pub criteria: Vec<CriterionFigures>,
}

/// The monthly report's criteria as CSV rows, and three more columns on every row
/// (`criterion`, `criterion_label`, `level`), so the file stays rectangular: a `criterion` row
/// holds the ratings and their average; a `criterion_level` row per level, its count.
pub fn extend_csv(rows: &mut Vec<Vec<String>>, r: &MonthlyReport) {
    for (i, row) in rows.iter_mut().enumerate() {
        if i == 0 {
            row.extend(["criterion".into(), "criterion_label".into(), "level".into()]);
        } else {
            row.extend([String::new(), String::new(), String::new()]);
        }
    }
    let width = rows.first().map_or(0, Vec::len);
    let cell = |section: &str, c: &CriterionFigures, votes: i64, average: String, level: &str| {
        let mut row = vec![String::new(); width];
        let mut set = |i: usize, v: String| {
            if let Some(x) = row.get_mut(i) {
                *x = v;
            }
        };
        set(0, section.to_owned());
        set(1, r.unit_id.to_string());
        set(2, r.unit_name.clone());
        set(3, r.month.clone());
        set(6, votes.to_string());
        set(7, average);
        set(width.saturating_sub(3), c.code.clone());
        set(width.saturating_sub(2), c.labels.get(Lang::En).to_owned());
        set(width.saturating_sub(1), level.to_owned());
        row
    };
    for c in &r.criteria {
        rows.push(cell("criterion", c, c.votes, decimal(c.average), ""));
        let mut levels: Vec<(i64, i64)> = c
            .by_score
            .iter()
            .filter_map(|(l, n)| Some((l.parse().ok()?, *n)))
            .collect();
        levels.sort_unstable();
        for (level, n) in levels {
            rows.push(cell(
                "criterion_level",
                c,
                n,
                String::new(),
                &level.to_string(),
            ));
        }
    }
}

/// The heading of the criteria in the printable report and, for the admin page, its key.
pub fn heading(lang: Lang) -> &'static str {
    match lang {
        Lang::Uk => "Додаткові критерії",
        Lang::Ru => "Дополнительные критерии",
        Lang::Kk => "Қосымша критерийлер",
        Lang::Fa => "معیارهای دیگر",
        Lang::En => "Extra criteria",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn criterion(id: i64, code: &str, position: i64, active: bool) -> Criterion {
        Criterion {
            id,
            code: code.into(),
            labels: Labels::parse_json(&format!(r#"{{"en":"{code}"}}"#)).unwrap(),
            position,
            active,
        }
    }

    fn row(key: &str, criterion_id: i64, score: i64, counted: i64) -> CriterionRow {
        CriterionRow {
            key: key.into(),
            criterion_id,
            score,
            counted,
        }
    }

    #[test]
    fn a_criterion_shows_its_count_per_level_and_its_average() {
        let rows = [row("", 7, 1, 2), row("", 7, 3, 1), row("", 7, 1, 1)];
        let f = figures(
            &tally(&rows),
            &[criterion(7, "waiting_time", 1, true)],
            &[1, 2, 3],
            3,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].votes, 4);
        assert_eq!(
            f[0].by_score,
            BTreeMap::from([("1".into(), 3), ("2".into(), 0), ("3".into(), 1)])
        );
        assert_eq!(f[0].average, Some(1.5));
        assert!(f[0].enough);
    }

    #[test]
    fn an_unrated_active_criterion_shows_zeros_and_no_average() {
        let f = figures(
            &CriteriaTally::new(),
            &[criterion(1, "premises", 0, true)],
            &[1, 2],
            10,
        );
        assert_eq!(f[0].votes, 0);
        assert_eq!(f[0].average, None);
        assert!(!f[0].enough);
        assert_eq!(f[0].by_score.values().sum::<i64>(), 0);
    }

    #[test]
    fn criteria_follow_the_vote_page_order_and_inactive_ones_show_only_when_rated() {
        let criteria = [
            criterion(1, "b", 2, true),
            criterion(2, "a", 1, true),
            criterion(3, "old", 0, false),
            criterion(4, "gone", 0, false),
        ];
        let rows = [row("", 3, 2, 5)];
        let codes: Vec<String> = figures(&tally(&rows), &criteria, &[1, 2, 3], 1)
            .into_iter()
            .map(|c| c.code)
            .collect();
        assert_eq!(codes, ["a", "b", "old"]);
    }

    #[test]
    fn rows_of_months_and_days_sum_per_key_and_keys_stay_apart() {
        let rows = [
            row("4", 1, 3, 2),
            row("4", 1, 3, 1),
            row("5", 1, 1, 1),
            row("4", 2, 2, 1),
        ];
        let by = tally_by_key(&rows);
        assert_eq!(by["4"][&1][&3], 3);
        assert_eq!(by["5"][&1][&1], 1);
        let all = tally(&rows);
        assert_eq!(all[&1].values().sum::<i64>(), 4);
        let mut m = by["4"].clone();
        merge(&mut m, &by["5"]);
        assert_eq!(m, all);
    }

    #[test]
    fn a_rating_at_a_level_no_longer_on_the_scale_still_counts() {
        let f = figures(
            &tally(&[row("", 1, 5, 1), row("", 1, 1, 1)]),
            &[criterion(1, "c", 0, true)],
            &[1, 2, 3],
            1,
        );
        assert_eq!(f[0].by_score["5"], 1);
        assert_eq!(f[0].average, Some(3.0));
    }

    #[test]
    fn the_csv_stays_rectangular_with_a_row_per_criterion_and_per_level() {
        let mut r = crate::results::report::monthly_report(
            1,
            "Hall",
            "2026-10",
            &crate::results::report::Tally::new(),
            &crate::results::report::Tally::new(),
            &[],
            0,
            &[1, 2, 3],
            10,
        );
        r.criteria = figures(
            &tally(&[row("", 1, 1, 2), row("", 1, 3, 2)]),
            &[criterion(1, "waiting_time", 0, true)],
            &[1, 2, 3],
            10,
        );
        let text = crate::results::report::monthly_report_csv(&r);
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        let width = lines[0].split(',').count();
        assert!(lines[0].ends_with("criterion,criterion_label,level"));
        assert!(
            lines.iter().all(|l| l.split(',').count() == width),
            "{text}"
        );
        assert!(
            lines.contains(
                &format!(
                    "criterion,1,Hall,2026-10,,,4,2.00{}waiting_time,waiting_time,",
                    ",".repeat(width - 10)
                )
                .as_str()
            ),
            "{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("criterion_level,1,Hall,2026-10,,,2,")
                    && l.ends_with(",waiting_time,waiting_time,3")),
            "{text}"
        );
    }
}
