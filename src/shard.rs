//! Shards: past one D1 database, a country's employees and votes live in one database per
//! region or ministry. A QR code names its shard in the token's byte 2, so a vote goes to its
//! database without a lookup, and any printed code works at any deployment that binds that
//! shard's database (docs/scale.md).
//!
//! `DB` is always the deployment's own database, the shard `HOME_SHARD` (default 0) that it
//! signs into the codes it issues and whose employees it administers. Other shards are D1
//! bindings named `DB_SHARD_<n>`.

use std::collections::BTreeSet;

/// The name a shard's D1 binding carries, before its number.
pub const BINDING_PREFIX: &str = "DB_SHARD_";

/// Where a verified code's votes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// This deployment's own database, `DB`.
    Home,
    /// Another shard's database, bound as `DB_SHARD_<n>`.
    Bound(u8),
    /// No database of this deployment holds the code: answered like an invalid code, and
    /// nothing is read.
    Unbound,
}

/// The deployment's own shard and the other shards it has databases for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardMap {
    home: u8,
    bound: BTreeSet<u8>,
}

impl ShardMap {
    /// A deployment with its own database only.
    pub fn single(home: u8) -> ShardMap {
        ShardMap {
            home,
            bound: BTreeSet::new(),
        }
    }

    /// From `HOME_SHARD` and the names of the worker's bindings; names other than
    /// `DB_SHARD_<n>` are ignored. Errors name the setting or the binding.
    pub fn parse<'a>(
        home: Option<&str>,
        binding_names: impl IntoIterator<Item = &'a str>,
    ) -> Result<ShardMap, String> {
        let home = match home.map(str::trim) {
            None | Some("") => 0,
            Some(v) => shard_number(v).ok_or(
                "HOME_SHARD must be a whole number from 0 to 255 (the token's shard byte)",
            )?,
        };
        let mut bound = BTreeSet::new();
        for name in binding_names {
            let Some(n) = name.strip_prefix(BINDING_PREFIX) else {
                continue;
            };
            let n = shard_number(n).ok_or_else(|| {
                format!("binding {name}: a shard's D1 binding is DB_SHARD_ and a number from 0 to 255, without leading zeros")
            })?;
            if n == home {
                return Err(format!(
                    "binding {name} names HOME_SHARD ({home}), whose database is DB; remove it or change HOME_SHARD"
                ));
            }
            bound.insert(n);
        }
        Ok(ShardMap { home, bound })
    }

    /// The shard byte this deployment signs into the codes it issues.
    pub fn home(&self) -> u8 {
        self.home
    }

    /// The database of a code whose signature has verified.
    pub fn route(&self, shard: u8) -> Destination {
        if shard == self.home {
            Destination::Home
        } else if self.bound.contains(&shard) {
            Destination::Bound(shard)
        } else {
            Destination::Unbound
        }
    }

    /// The binding name of a shard other than the home one.
    pub fn binding(shard: u8) -> String {
        format!("{BINDING_PREFIX}{shard}")
    }

    /// `NATIONAL_SHARDS`: the shards whose monthly aggregates this deployment collects into
    /// the national view, comma-separated. Each must be the home shard or bound; unset or
    /// empty turns the national roll-up off.
    pub fn national(&self, setting: Option<&str>) -> Result<Vec<u8>, String> {
        let mut out: Vec<u8> = Vec::new();
        for entry in setting.unwrap_or("").split(',').map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            let n = shard_number(entry).ok_or_else(|| {
                format!("NATIONAL_SHARDS: `{entry}` is not a shard number from 0 to 255")
            })?;
            if self.route(n) == Destination::Unbound {
                return Err(format!(
                    "NATIONAL_SHARDS: shard {n} is neither HOME_SHARD nor bound as {}",
                    ShardMap::binding(n)
                ));
            }
            if out.contains(&n) {
                return Err(format!("NATIONAL_SHARDS: shard {n} is listed twice"));
            }
            out.push(n);
        }
        Ok(out)
    }
}

/// Plain decimal 0–255 without leading zeros, so one shard has exactly one binding name.
fn shard_number(s: &str) -> Option<u8> {
    let n = s.parse::<u8>().ok()?;
    (n.to_string() == s).then_some(n)
}

/// One shard's month in the national view: its units' counted votes summed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShardMonth {
    pub shard: u8,
    /// Units with at least one vote of any kind in the month.
    pub units: u32,
    pub counted: i64,
    pub flagged: i64,
    pub duplicates: i64,
    /// Counted votes cast with one-time codes (docs/token.md), a part of `counted`.
    pub verified: i64,
    /// Mean score of the counted votes; `None` without any.
    pub average: Option<f64>,
    /// Mean score of the verified votes; `None` without any.
    pub verified_average: Option<f64>,
    /// Counted votes per score, as (score, votes), lowest score first.
    pub by_score: Vec<(i64, i64)>,
}

/// A row of the national table: (shard, unit, score) with its counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NationalRow {
    pub shard: u8,
    pub unit: i64,
    pub score: i64,
    pub counted: i64,
    pub flagged: i64,
    pub duplicates: i64,
    pub verified: i64,
}

/// Sums the national table's rows of one month per shard, in shard order.
pub fn shard_months(rows: &[NationalRow]) -> Vec<ShardMonth> {
    let mut shards: std::collections::BTreeMap<u8, (BTreeSet<i64>, i64, ShardMonth)> =
        std::collections::BTreeMap::new();
    for r in rows {
        let (units, verified_sum, m) = shards.entry(r.shard).or_insert_with(|| {
            (
                BTreeSet::new(),
                0,
                ShardMonth {
                    shard: r.shard,
                    units: 0,
                    counted: 0,
                    flagged: 0,
                    duplicates: 0,
                    verified: 0,
                    average: None,
                    verified_average: None,
                    by_score: Vec::new(),
                },
            )
        });
        units.insert(r.unit);
        m.counted += r.counted;
        m.flagged += r.flagged;
        m.duplicates += r.duplicates;
        m.verified += r.verified;
        *verified_sum += r.score * r.verified;
        match m.by_score.iter_mut().find(|(s, _)| *s == r.score) {
            Some((_, n)) => *n += r.counted,
            None => m.by_score.push((r.score, r.counted)),
        }
    }
    shards
        .into_values()
        .map(|(units, verified_sum, mut m)| {
            m.units = u32::try_from(units.len()).unwrap_or(u32::MAX);
            m.by_score.retain(|(_, n)| *n > 0);
            m.by_score.sort_unstable();
            let weighted: i64 = m.by_score.iter().map(|(s, n)| s * n).sum();
            // Averages are shown to two decimals; f64 holds these sums exactly below 2^53.
            m.average = (m.counted > 0).then(|| weighted as f64 / m.counted as f64);
            m.verified_average = (m.verified > 0).then(|| verified_sum as f64 / m.verified as f64);
            m
        })
        .collect()
}

/// A national row as copied: `[unit, score, counted, flagged, duplicates, verified]`.
pub type CopiedRow = [i64; 6];

/// What collecting a shard's month must write into the national table, given what it holds
/// (`kept`) and what the shard has now (`fresh`): the new or changed rows, and the
/// `[unit, score]` of rows gone from the shard. Unchanged rows are not written again, so an
/// hour in which a shard's month did not move costs reads only.
pub fn national_changes(
    kept: &[CopiedRow],
    fresh: &[CopiedRow],
) -> (Vec<CopiedRow>, Vec<[i64; 2]>) {
    let key = |r: &CopiedRow| (r[0], r[1]);
    let kept_by_key: std::collections::BTreeMap<(i64, i64), &CopiedRow> =
        kept.iter().map(|r| (key(r), r)).collect();
    let fresh_keys: BTreeSet<(i64, i64)> = fresh.iter().map(key).collect();
    let changed = fresh
        .iter()
        .filter(|r| kept_by_key.get(&key(r)) != Some(r))
        .copied()
        .collect();
    let gone = kept
        .iter()
        .filter(|r| !fresh_keys.contains(&key(r)))
        .map(|r| [r[0], r[1]])
        .collect();
    (changed, gone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn map(home: Option<&str>, names: &[&str]) -> Result<ShardMap, String> {
        ShardMap::parse(home, names.iter().copied())
    }

    #[test]
    fn a_deployment_without_settings_is_shard_zero_and_routes_only_its_own_codes() {
        let m = map(None, &["DB", "VOTE_QUEUE", "TOKEN_KEYS"]).unwrap();
        assert_eq!(m.home(), 0);
        assert_eq!(m.route(0), Destination::Home);
        assert_eq!(m.route(1), Destination::Unbound);
        assert_eq!(m.route(255), Destination::Unbound);
    }

    #[test]
    fn codes_of_bound_shards_go_to_their_binding_and_others_nowhere() {
        let m = map(Some(" 3 "), &["DB", "DB_SHARD_1", "DB_SHARD_12"]).unwrap();
        assert_eq!(m.home(), 3);
        assert_eq!(m.route(3), Destination::Home);
        assert_eq!(m.route(1), Destination::Bound(1));
        assert_eq!(m.route(12), Destination::Bound(12));
        assert_eq!(m.route(0), Destination::Unbound);
        assert_eq!(ShardMap::binding(12), "DB_SHARD_12");
    }

    #[test]
    fn bad_settings_and_binding_names_are_refused_by_name() {
        for home in ["256", "-1", "one", "1.5", "007"] {
            let e = map(Some(home), &[]).unwrap_err();
            assert!(e.starts_with("HOME_SHARD"), "{home}: {e}");
        }
        for name in ["DB_SHARD_", "DB_SHARD_300", "DB_SHARD_02", "DB_SHARD_x"] {
            let e = map(None, &[name]).unwrap_err();
            assert!(e.contains(name), "{name}: {e}");
        }
        let e = map(Some("2"), &["DB_SHARD_2"]).unwrap_err();
        assert!(e.contains("HOME_SHARD"), "{e}");
    }

    #[test]
    fn the_national_shards_must_each_have_a_database_here() {
        let m = map(Some("0"), &["DB_SHARD_1", "DB_SHARD_2"]).unwrap();
        assert_eq!(m.national(None), Ok(vec![]));
        assert_eq!(m.national(Some(" ")), Ok(vec![]));
        assert_eq!(m.national(Some("0, 2,1,")), Ok(vec![0, 2, 1]));
        assert!(m.national(Some("3")).unwrap_err().contains("DB_SHARD_3"));
        assert!(m.national(Some("1,1")).unwrap_err().contains("twice"));
        assert!(m
            .national(Some("x"))
            .unwrap_err()
            .starts_with("NATIONAL_SHARDS"));
    }

    #[test]
    fn the_national_view_sums_each_shards_units_and_weighs_its_average() {
        let row = |shard, unit, score, counted| NationalRow {
            shard,
            unit,
            score,
            counted,
            flagged: 1,
            duplicates: 0,
            verified: 0,
        };
        let months = shard_months(&[
            row(2, 10, 3, 4),
            row(1, 7, 1, 1),
            row(1, 7, 3, 1),
            row(1, 8, 3, 2),
            row(2, 11, 2, 0),
        ]);
        assert_eq!(months.len(), 2);
        assert_eq!(months[0].shard, 1);
        assert_eq!(months[0].units, 2);
        assert_eq!(months[0].counted, 4);
        assert_eq!(months[0].flagged, 3);
        assert_eq!(months[0].by_score, vec![(1, 1), (3, 3)]);
        assert_eq!(months[0].average, Some(2.5));
        assert_eq!(
            months[1].units, 2,
            "a unit with only flagged votes still counts"
        );
        assert_eq!(months[1].by_score, vec![(3, 4)]);
        assert_eq!(months[1].average, Some(3.0));
        assert!(shard_months(&[]).is_empty());
    }

    #[test]
    fn collecting_an_unchanged_month_writes_nothing_and_a_changed_one_only_its_changes() {
        let month = [[1, 3, 10, 0, 0, 0], [1, 1, 2, 0, 0, 0], [2, 3, 5, 1, 0, 0]];
        assert_eq!(national_changes(&month, &month), (vec![], vec![]));
        assert_eq!(
            national_changes(&[], &month),
            (month.to_vec(), vec![]),
            "a first collection writes every row"
        );
        let corrected = [[1, 3, 11, 0, 0, 0], [2, 3, 5, 1, 0, 0], [3, 2, 1, 0, 0, 0]];
        assert_eq!(
            national_changes(&month, &corrected),
            (vec![[1, 3, 11, 0, 0, 0], [3, 2, 1, 0, 0, 0]], vec![[1, 1]])
        );
    }

    proptest! {
        #[test]
        fn applying_the_changes_to_the_kept_rows_gives_the_fresh_ones(
            kept in proptest::collection::btree_map((0i64..6, 1i64..4), (0i64..9, 0i64..3, 0i64..3, 0i64..2), 0..15),
            fresh in proptest::collection::btree_map((0i64..6, 1i64..4), (0i64..9, 0i64..3, 0i64..3, 0i64..2), 0..15),
        ) {
            let rows = |m: &std::collections::BTreeMap<(i64, i64), (i64, i64, i64, i64)>| -> Vec<CopiedRow> {
                m.iter().map(|((u, s), (c, f, d, v))| [*u, *s, *c, *f, *d, *v]).collect()
            };
            let (kept, fresh) = (rows(&kept), rows(&fresh));
            let (changed, gone) = national_changes(&kept, &fresh);
            let mut table: std::collections::BTreeMap<(i64, i64), CopiedRow> =
                kept.iter().map(|r| ((r[0], r[1]), *r)).collect();
            for g in &gone {
                table.remove(&(g[0], g[1]));
            }
            for r in &changed {
                table.insert((r[0], r[1]), *r);
            }
            prop_assert_eq!(table.into_values().collect::<Vec<_>>(), fresh.clone());
            prop_assert!(changed.len() <= fresh.len());
        }


        #[test]
        fn every_shard_byte_routes_to_exactly_what_is_configured(
            home: u8,
            others in proptest::collection::btree_set(any::<u8>(), 0..20),
            shard: u8,
        ) {
            let names: Vec<String> = others.iter().filter(|n| **n != home).map(|n| ShardMap::binding(*n)).collect();
            let m = ShardMap::parse(Some(&home.to_string()), names.iter().map(String::as_str)).unwrap();
            let expected = if shard == home {
                Destination::Home
            } else if others.contains(&shard) {
                Destination::Bound(shard)
            } else {
                Destination::Unbound
            };
            prop_assert_eq!(m.route(shard), expected);
        }

        #[test]
        fn national_totals_equal_the_sum_of_the_rows(
            rows in proptest::collection::vec((0u8..4, 1i64..6, 1i64..4, 0i64..50), 0..40)
        ) {
            let rows: Vec<NationalRow> = rows.into_iter().map(|(shard, unit, score, counted)| NationalRow { shard, unit, score, counted, flagged: 0, duplicates: 0, verified: counted / 2 }).collect();
            let months = shard_months(&rows);
            prop_assert_eq!(months.iter().map(|m| m.counted).sum::<i64>(), rows.iter().map(|r| r.counted).sum::<i64>());
            for m in &months {
                prop_assert_eq!(m.by_score.iter().map(|(_, n)| n).sum::<i64>(), m.counted);
                prop_assert!(m.verified <= m.counted);
                if let Some(avg) = m.verified_average {
                    prop_assert!((1.0..=3.0).contains(&avg));
                }
                if let Some(avg) = m.average {
                    prop_assert!((1.0..=3.0).contains(&avg));
                }
            }
        }
    }
}
