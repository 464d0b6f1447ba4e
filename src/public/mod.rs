//! Public results, computed once by the cron and stored (migration 0020), never per request.
//!
//! The hourly roll-up and the monthly close turn a month's roll-up tables into one stored page
//! per unit (`public_results`), with every figure below the minimum taken out — and, as
//! statistical offices do, taken out too wherever it could be recovered by subtracting the
//! shown rows from their parent (complementary suppression, [`protect_group`]). A request
//! reads one stored row at most, and usually none: the page is kept in the Workers cache under
//! the month's version, which changes whenever a roll-up changes what the month shows.
#![allow(async_fn_in_trait)]

mod db;
pub mod routes;
pub mod sql;
#[cfg(test)]
mod store_tests;
// The Workers side, in the back office only (docs/deploy.md): the cache and the handlers.
#[cfg(all(target_arch = "wasm32", not(feature = "citizen")))]
pub(crate) mod handlers;

use crate::results::report::{merge, Figures, StatRow, Tally};
use crate::results::ViewSettings;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Why a unit's row is shown or not: it tells how its own group must be protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// The top of the tree: no total above the group is published.
    Top,
    /// Published: a hidden part of the group could be recovered by subtraction.
    Shown,
    /// Hidden because it is itself below the minimum: so is every part of it.
    Small,
    /// Hidden to protect a sibling: its parts must not add up to it.
    Complement,
}

/// Decides which cells of one group (a unit's child units and employees, whose counts add up
/// with `remainder` — votes of the unit listed in no row, such as those of people who moved
/// away — to the parent's count) are hidden. Returns one flag per cell.
///
/// - A cell below `min` is hidden (primary suppression), zeros included.
/// - If the parent is shown and anything sensitive (a count from 1 to `min - 1`, the
///   remainder included) is hidden, at least two non-empty cells must be hidden and together
///   hold at least `min` votes: else parent minus the shown rows gives the sensitive one away.
///   The smallest shown non-empty cells are hidden until that holds (complementary
///   suppression).
/// - If the parent was hidden to protect a sibling, its hidden parts must hold at least `min`
///   votes, so that it cannot be rebuilt from its shown parts.
pub fn protect_group(counts: &[i64], remainder: i64, parent: Parent, min: i64) -> Vec<bool> {
    let mut hidden: Vec<bool> = counts.iter().map(|c| *c < min).collect();
    let sensitive = |c: i64| c > 0 && c < min;
    let any_sensitive =
        counts.iter().zip(&hidden).any(|(c, h)| *h && sensitive(*c)) || sensitive(remainder);
    let need_cells = match parent {
        Parent::Shown if any_sensitive => 2,
        Parent::Complement => 1,
        _ => return hidden,
    };
    loop {
        let (cells, sum) = counts
            .iter()
            .zip(&hidden)
            .filter(|(c, h)| **h && **c > 0)
            .map(|(c, _)| *c)
            .chain((remainder > 0).then_some(remainder))
            .fold((0, 0i64), |(n, s), c| (n + 1, s.saturating_add(c)));
        if cells >= need_cells && sum >= min {
            return hidden;
        }
        let next = counts
            .iter()
            .enumerate()
            .filter(|(i, c)| **c > 0 && !hidden.get(*i).copied().unwrap_or(true))
            .min_by_key(|(i, c)| (**c, *i))
            .map(|(i, _)| i);
        match next.and_then(|i| hidden.get_mut(i)) {
            Some(h) => *h = true,
            // Nothing left to hide: every non-empty part already is.
            None => return hidden,
        }
    }
}

/// A unit as the snapshot needs it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UnitIn {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
}

/// An employee as the snapshot needs it: where they work now.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EmployeeIn {
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub position: String,
    pub active: i64,
}

/// What the cron reads to build a month's public pages.
#[derive(Debug, Clone, Default)]
pub struct Source {
    pub units: Vec<UnitIn>,
    pub employees: Vec<EmployeeIn>,
    /// monthly_unit_stats of the month: each unit's own votes (key: unit id).
    pub unit_rows: Vec<StatRow>,
    /// monthly_employee_stats of the month (key: `employee_id:unit_id`).
    pub employee_rows: Vec<StatRow>,
}

/// One row of a public table; `figures` is `None` when the row is suppressed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicRow {
    pub id: i64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    pub figures: Option<Figures>,
}

/// One stored public page: a unit (id 0: the top of the tree) with its child units and its
/// own employees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicUnit {
    pub id: i64,
    pub name: String,
    pub parent_id: Option<i64>,
    pub figures: Option<Figures>,
    pub units: Vec<PublicRow>,
    pub employees: Vec<PublicRow>,
}

/// Public results carry no counts that could narrow down a voter: no signed, comment, flag or
/// verified counts and no averages of those.
pub fn public_figures(f: Figures) -> Figures {
    Figures {
        signed: 0,
        anonymous: 0,
        comments: 0,
        flagged: 0,
        duplicates: 0,
        verified: 0,
        verified_average: None,
        signed_average: None,
        anonymous_average: None,
        weighted_average: None,
        signed_weight: 1,
        ..f
    }
}

fn counted(t: &Tally) -> i64 {
    t.values().map(|c| c.counted).sum()
}

/// Every unit's page for one month, suppression applied; the top page has id 0.
pub fn build(src: &Source, s: &ViewSettings) -> Vec<PublicUnit> {
    let min = i64::from(s.min_votes);
    let known: HashSet<i64> = src.units.iter().map(|u| u.id).collect();
    let mut children: BTreeMap<Option<i64>, Vec<&UnitIn>> = BTreeMap::new();
    for u in &src.units {
        // A parent that does not exist (never, with the foreign key) makes a top unit.
        let parent = u.parent_id.filter(|p| known.contains(p));
        children.entry(parent).or_default().push(u);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    let own = crate::results::report::tally_by_key(&src.unit_rows);
    let per_employee = crate::results::report::tally_by_key(&src.employee_rows);
    let empty = Tally::new();
    // Subtrees, children before parents: the order of a walk from the top, reversed.
    let mut order: Vec<i64> = Vec::with_capacity(src.units.len());
    let mut stack: Vec<i64> = children
        .get(&None)
        .map(|l| l.iter().map(|u| u.id).collect())
        .unwrap_or_default();
    let mut seen: HashSet<i64> = HashSet::new();
    while let Some(u) = stack.pop() {
        if !seen.insert(u) {
            continue;
        }
        order.push(u);
        if let Some(list) = children.get(&Some(u)) {
            stack.extend(list.iter().map(|c| c.id));
        }
    }
    let mut subtree: HashMap<i64, Tally> = HashMap::new();
    for u in order.iter().rev() {
        let mut t = own.get(&u.to_string()).cloned().unwrap_or_default();
        for c in children.get(&Some(*u)).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(ct) = subtree.get(&c.id) {
                merge(&mut t, ct);
            }
        }
        subtree.insert(*u, t);
    }
    // A unit's people: who works there now (active, or with votes there this month).
    let mut staff: HashMap<i64, Vec<(&EmployeeIn, &Tally)>> = HashMap::new();
    for e in &src.employees {
        let t = per_employee
            .get(&format!("{}:{}", e.id, e.unit_id))
            .unwrap_or(&empty);
        if e.active != 0 || counted(t) > 0 {
            staff.entry(e.unit_id).or_default().push((e, t));
        }
    }
    for list in staff.values_mut() {
        list.sort_by(|a, b| a.0.name.cmp(&b.0.name).then(a.0.id.cmp(&b.0.id)));
    }
    let figures = |t: &Tally| public_figures(s.figures(t));
    let mut state: HashMap<i64, Parent> = HashMap::new();
    let mut pages = Vec::with_capacity(src.units.len() + 1);
    // The top group: no total above it is published.
    let roots = children.get(&None).cloned().unwrap_or_default();
    let root_counts: Vec<i64> = roots
        .iter()
        .map(|u| subtree.get(&u.id).map_or(0, counted))
        .collect();
    let root_hidden = protect_group(&root_counts, 0, Parent::Top, min);
    let mut top_rows = Vec::with_capacity(roots.len());
    for ((u, count), hidden) in roots.iter().zip(&root_counts).zip(&root_hidden) {
        state.insert(u.id, unit_state(*hidden, *count, min));
        top_rows.push(PublicRow {
            id: u.id,
            name: u.name.clone(),
            position: None,
            figures: (!hidden).then(|| figures(subtree.get(&u.id).unwrap_or(&empty))),
        });
    }
    pages.push(PublicUnit {
        id: 0,
        name: String::new(),
        parent_id: None,
        figures: None,
        units: top_rows,
        employees: Vec::new(),
    });
    // Parents before children, so each group knows how its parent is shown.
    for u in &order {
        let Some(unit) = src.units.iter().find(|x| x.id == *u) else {
            continue;
        };
        let parent_state = state.get(u).copied().unwrap_or(Parent::Small);
        let kids = children.get(&Some(*u)).cloned().unwrap_or_default();
        let people = staff.get(u).cloned().unwrap_or_default();
        let mut counts: Vec<i64> = kids
            .iter()
            .map(|c| subtree.get(&c.id).map_or(0, counted))
            .collect();
        counts.extend(people.iter().map(|(_, t)| counted(t)));
        let listed: i64 = people.iter().map(|(_, t)| counted(t)).sum();
        let remainder = (own.get(&u.to_string()).map_or(0, counted) - listed).max(0);
        let hidden = protect_group(&counts, remainder, parent_state, min);
        let mut unit_rows = Vec::with_capacity(kids.len());
        for (i, c) in kids.iter().enumerate() {
            let h = hidden.get(i).copied().unwrap_or(true);
            let count = counts.get(i).copied().unwrap_or(0);
            state.insert(c.id, unit_state(h, count, min));
            unit_rows.push(PublicRow {
                id: c.id,
                name: c.name.clone(),
                position: None,
                figures: (!h).then(|| figures(subtree.get(&c.id).unwrap_or(&empty))),
            });
        }
        let employees = people
            .iter()
            .enumerate()
            .map(|(j, (e, t))| {
                let h = hidden.get(kids.len() + j).copied().unwrap_or(true);
                PublicRow {
                    id: e.id,
                    name: e.name.clone(),
                    position: Some(e.position.clone()),
                    figures: (!h).then(|| figures(t)),
                }
            })
            .collect();
        let shown = parent_state == Parent::Shown || parent_state == Parent::Top;
        pages.push(PublicUnit {
            id: *u,
            name: unit.name.clone(),
            parent_id: unit.parent_id.filter(|p| known.contains(p)),
            figures: shown.then(|| figures(subtree.get(u).unwrap_or(&empty))),
            units: unit_rows,
            employees,
        });
    }
    pages
}

fn unit_state(hidden: bool, count: i64, min: i64) -> Parent {
    match (hidden, count < min) {
        (false, _) => Parent::Shown,
        (true, true) => Parent::Small,
        (true, false) => Parent::Complement,
    }
}

/// The month's version: a digest of every page, so a roll-up that changes nothing keeps the
/// cached pages, and one that changes anything gives them new cache keys.
pub fn version(pages: &[(i64, String)]) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for (id, body) in pages {
        h.update(id.to_le_bytes());
        h.update((body.len() as u64).to_le_bytes());
        h.update(body.as_bytes());
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What the store keeps for public results and receipt proofs.
pub trait PublicStore {
    /// Units, employees and the month's roll-up rows.
    async fn public_source(&self, month: &str) -> Result<Source, StoreError>;
    /// Replaces the month's pages and version, in one batch.
    async fn save_public(
        &self,
        month: &str,
        pages: &[(i64, String)],
        version: &str,
        now: i64,
    ) -> Result<(), StoreError>;
    /// One stored page (`unit` 0: the top).
    async fn public_page(&self, month: &str, unit: i64) -> Result<Option<String>, StoreError>;
    /// Every stored page of the month, by unit id.
    async fn public_pages(&self, month: &str) -> Result<Vec<(i64, String)>, StoreError>;
    /// The month's version and when it was made, if its pages were built.
    async fn public_version(&self, month: &str) -> Result<Option<(String, i64)>, StoreError>;
    /// Months with roll-up rows but no public pages yet (older than the pages), oldest last.
    async fn months_without_pages(&self, limit: u32) -> Result<Vec<String>, StoreError>;
    /// Gives every month a new version (a comment was published or withheld).
    async fn renew_public_versions(&self, stamp: i64) -> Result<(), StoreError>;
}

/// Builds and stores `month`'s public pages; true when they changed.
pub async fn refresh(
    store: &impl PublicStore,
    month: &str,
    s: &ViewSettings,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let src = store.public_source(month).await?;
    let pages: Vec<(i64, String)> = build(&src, s)
        .into_iter()
        .map(|p| {
            serde_json::to_string(&p)
                .map(|body| (p.id, body))
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let v = version(&pages);
    if store.public_version(month).await?.map(|(old, _)| old) == Some(v.clone()) {
        return Ok(None);
    }
    store.save_public(month, &pages, &v, now).await?;
    Ok(Some(v))
}

/// The month's Merkle tree over its counted receipts, as the monthly close stores it.
pub trait ReceiptTreeStore {
    /// Replaces the month's tree (levels of hex hashes, leaves first) and its digest, in one
    /// batch.
    async fn save_receipt_tree(
        &self,
        levels: &[Vec<String>],
        digest: &crate::results::store::Digest,
    ) -> Result<(), StoreError>;
    /// The index of a leaf (hex) and its month's digest, with D1's rows read.
    async fn receipt_leaf(
        &self,
        leaf: &str,
    ) -> Result<(Option<(u64, crate::results::store::Digest)>, u64), StoreError>;
    /// The nodes at these (level, index) positions of the month's tree, with D1's rows read.
    async fn receipt_nodes(
        &self,
        month: &str,
        wanted: &[(u32, u64)],
    ) -> Result<(Vec<(u32, u64, String)>, u64), StoreError>;
    /// Whether the month's tree was stored (months closed before migration 0020 have none).
    async fn has_receipt_tree(&self, month: &str) -> Result<bool, StoreError>;
}

/// Checks a receipt against the stored tree: one leaf lookup by its hash and one node per
/// level, so about log2(n) rows for n counted votes, never the month. Returns the answer and
/// the rows D1 read for it.
pub async fn check_receipt(
    store: &(impl ReceiptTreeStore + crate::results::store::ReceiptStore),
    receipt: &crate::receipt::Receipt,
) -> Result<(crate::results::ReceiptCheck, u64), StoreError> {
    use crate::receipt::{hex, leaf, proof_positions, unhex, Step};
    use crate::results::ReceiptCheck;
    let stored = receipt.stored_hash();
    let Some(bytes) = unhex(&stored) else {
        return Err(StoreError::Corrupt("receipt hash".into()));
    };
    let leaf_hex = hex(&leaf(&bytes));
    let (found, mut read) = store.receipt_leaf(&leaf_hex).await?;
    if let Some((index, digest)) = found {
        let month = digest.month.clone();
        let n = u64::try_from(digest.counted).unwrap_or(0);
        let positions = proof_positions(n, index);
        let wanted: Vec<(u32, u64)> = positions.iter().map(|(l, i, _)| (*l, *i)).collect();
        let (nodes, r) = store.receipt_nodes(&month, &wanted).await?;
        read += r;
        let mut path = Vec::with_capacity(positions.len());
        for (level, at, left) in positions {
            let Some((_, _, hash)) = nodes.iter().find(|(l, i, _)| *l == level && *i == at) else {
                return Err(StoreError::Corrupt(format!(
                    "receipt tree of {month}: node {level}/{at} is missing"
                )));
            };
            path.push(Step {
                left,
                hash: hash.clone(),
            });
        }
        return Ok((
            ReceiptCheck::Counted {
                month,
                root: digest.root,
                counted_votes: digest.counted,
                leaf: leaf_hex,
                path,
            },
            read,
        ));
    }
    // In no stored tree: its month is open, or closed before trees were stored, or it was not
    // counted. Only the second reads the month, once per such month and receipt.
    let Some(at) = store.receipt_vote(&stored).await? else {
        return Ok((ReceiptCheck::NotCounted, read + 1));
    };
    let day =
        crate::clock::parse_iso_day(&crate::clock::Timestamp::from_unix_seconds(at).utc_day())
            .unwrap_or_default();
    let month = crate::results::report::month_key(day);
    if store.digest(&month).await?.is_none() {
        return Ok((ReceiptCheck::Pending { month }, read + 2));
    }
    if store.has_receipt_tree(&month).await? {
        return Ok((ReceiptCheck::NotCounted, read + 3));
    }
    crate::results::check_receipt(store, receipt)
        .await
        .map(|c| (c, read))
}

/// Stores `month`'s tree and digest: the monthly close's last step.
pub async fn publish_tree(
    store: &(impl ReceiptTreeStore + crate::results::store::ReceiptStore),
    month: &str,
    now: crate::clock::Timestamp,
) -> Result<crate::results::store::Digest, StoreError> {
    use crate::receipt::{hex, leaf, levels, unhex};
    let p = crate::results::report::Period::month(month)
        .map_err(|_| StoreError::Corrupt(format!("month {month}")))?;
    let start = p
        .from
        .and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp());
    let end =
        p.to.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp())
            + 86_400;
    let hashes = store.counted_receipts(start, end).await?;
    let leaves: Vec<[u8; 32]> = hashes
        .iter()
        .filter_map(|h| unhex(h))
        .map(|h| leaf(&h))
        .collect();
    let tree = levels(&leaves);
    let digest = crate::results::store::Digest {
        month: month.to_owned(),
        root: tree
            .last()
            .and_then(|l| l.first())
            .map(hex)
            .unwrap_or_default(),
        counted: i64::try_from(leaves.len()).unwrap_or(i64::MAX),
        made_at: now.unix_seconds(),
    };
    let stored: Vec<Vec<String>> = if leaves.is_empty() {
        Vec::new()
    } else {
        tree.iter().map(|l| l.iter().map(hex).collect()).collect()
    };
    store.save_receipt_tree(&stored, &digest).await?;
    Ok(digest)
}

/// Open data of a month from its stored pages: every unit (figures `null` when suppressed)
/// and every shown employee with the unit their figures belong to.
pub fn open_data(pages: &[PublicUnit]) -> (Vec<serde_json::Value>, Vec<serde_json::Value>) {
    let mut units = Vec::new();
    let mut employees = Vec::new();
    for p in pages.iter().filter(|p| p.id != 0) {
        units.push(serde_json::json!({
            "id": p.id, "parent_id": p.parent_id, "name": p.name, "figures": p.figures,
        }));
        for e in &p.employees {
            if let Some(f) = &e.figures {
                employees.push(serde_json::json!({
                    "id": e.id, "unit_id": p.id, "name": e.name, "figures": f,
                }));
            }
        }
    }
    (units, employees)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(key: &str, score: i64, counted: i64) -> StatRow {
        StatRow {
            key: key.to_owned(),
            score,
            counted,
            with_contact: 0,
            with_comment: 0,
            flagged: 0,
            duplicates: 0,
            verified: 0,
        }
    }

    fn settings(min: u32) -> ViewSettings {
        ViewSettings {
            levels: vec![1, 2, 3],
            min_votes: min,
            signed_weight: 1,
        }
    }

    fn unit(id: i64, parent: Option<i64>) -> UnitIn {
        UnitIn {
            id,
            parent_id: parent,
            name: format!("u{id}"),
        }
    }

    fn employee(id: i64, unit: i64) -> EmployeeIn {
        EmployeeIn {
            id,
            unit_id: unit,
            name: format!("e{id}"),
            position: String::new(),
            active: 1,
        }
    }

    fn shown(p: &PublicUnit, id: i64) -> Option<i64> {
        p.units
            .iter()
            .chain(&p.employees)
            .find(|r| r.id == id)
            .and_then(|r| r.figures.as_ref().map(|f| f.votes))
    }

    #[test]
    fn a_lone_small_cell_takes_the_next_smallest_sibling_with_it() {
        assert_eq!(
            protect_group(&[30, 3, 12, 40], 0, Parent::Shown, 10),
            [false, true, true, false]
        );
        assert_eq!(
            protect_group(&[30, 12, 40], 0, Parent::Shown, 10),
            [false, false, false],
            "nothing to protect"
        );
        assert_eq!(
            protect_group(&[3, 30], 0, Parent::Top, 10),
            [true, false],
            "no total above the top: nothing to subtract from"
        );
        assert_eq!(
            protect_group(&[1, 1, 0, 50, 60], 0, Parent::Shown, 10),
            [true, true, true, true, false],
            "two hidden ones holding 2 votes between them still give each away"
        );
        assert_eq!(
            protect_group(&[30, 40], 2, Parent::Shown, 10),
            [true, false],
            "votes listed in no row are protected too"
        );
        assert_eq!(
            protect_group(&[30, 40], 0, Parent::Complement, 10),
            [true, false],
            "a unit hidden for its sibling's sake cannot be rebuilt from its parts"
        );
    }

    #[test]
    fn a_unit_whose_only_employee_is_below_the_minimum_shows_nothing_of_them() {
        let src = Source {
            units: vec![unit(1, None), unit(2, Some(1)), unit(3, Some(1))],
            employees: vec![employee(10, 2), employee(11, 3), employee(12, 3)],
            unit_rows: vec![row("2", 3, 4), row("3", 3, 25), row("3", 1, 6)],
            employee_rows: vec![row("10:2", 3, 4), row("11:3", 3, 25), row("12:3", 1, 6)],
        };
        let pages = build(&src, &settings(10));
        let city = pages.iter().find(|p| p.id == 1).unwrap();
        assert_eq!(city.figures.as_ref().map(|f| f.votes), Some(35));
        assert_eq!(shown(city, 2), None, "4 votes, all one person's");
        assert_eq!(shown(city, 3), None, "else 35 - 31 gives unit 2 away");
        let small = pages.iter().find(|p| p.id == 2).unwrap();
        assert!(small.figures.is_none() && shown(small, 10).is_none());
        let hall = pages.iter().find(|p| p.id == 3).unwrap();
        assert!(hall.figures.is_none(), "hidden for its sibling's sake");
        assert_eq!(shown(hall, 11), None, "else it adds up to the hall");
        assert_eq!(shown(hall, 12), None);
        let top = pages.iter().find(|p| p.id == 0).unwrap();
        assert_eq!(shown(top, 1), Some(35));
    }

    fn tree() -> impl Strategy<Value = Source> {
        (2usize..14, 1usize..30).prop_flat_map(|(n_units, n_people)| {
            (
                proptest::collection::vec(0usize..1000, n_units),
                proptest::collection::vec((0usize..1000, 0i64..25, any::<bool>()), n_people),
            )
                .prop_map(move |(parents, people)| {
                    let units: Vec<UnitIn> = (0..n_units)
                        .map(|i| {
                            let parent =
                                (i > 0 && parents[i] % 5 != 0).then(|| (parents[i] % i) as i64 + 1);
                            unit(i as i64 + 1, parent)
                        })
                        .collect();
                    let mut employees = Vec::new();
                    let mut employee_rows = Vec::new();
                    let mut unit_rows = Vec::new();
                    for (j, (u, votes, moved)) in people.iter().enumerate() {
                        let home = (*u % n_units) as i64 + 1;
                        let id = 100 + j as i64;
                        // Someone who moved away: their votes stay with the unit, unlisted.
                        let works = if *moved && j % 3 == 0 {
                            home % n_units as i64 + 1
                        } else {
                            home
                        };
                        employees.push(employee(id, works));
                        employee_rows.push(row(&format!("{id}:{home}"), 3, *votes));
                        unit_rows.push(row(&home.to_string(), 3, *votes));
                    }
                    Source {
                        units,
                        employees,
                        unit_rows,
                        employee_rows,
                    }
                })
        })
    }

    proptest! {
        #[test]
        fn no_hidden_count_is_the_parent_minus_its_shown_rows(src in tree(), min in 2u32..12) {
            let pages = build(&src, &settings(min));
            let by_id: HashMap<i64, &PublicUnit> = pages.iter().map(|p| (p.id, p)).collect();
            for p in &pages {
                for r in p.units.iter().chain(&p.employees) {
                    if let Some(f) = &r.figures {
                        prop_assert!(f.votes >= i64::from(min), "a shown row under the minimum");
                    }
                }
                if let Some(f) = &p.figures {
                    prop_assert!(f.votes >= i64::from(min));
                    if p.id == 0 { continue; }
                    let shown_sum: i64 = p.units.iter().chain(&p.employees)
                        .filter_map(|r| r.figures.as_ref().map(|f| f.votes)).sum();
                    let left = f.votes - shown_sum;
                    // Each hidden unit row's count, as its own page would know it.
                    let own = crate::results::report::tally_by_key(&src.unit_rows);
                    let per = crate::results::report::tally_by_key(&src.employee_rows);
                    let mut hidden_counts = Vec::new();
                    for r in p.units.iter().filter(|r| r.figures.is_none()) {
                        let sub: i64 = src.units.iter()
                            .filter(|u| is_below(&src, u.id, r.id))
                            .map(|u| own.get(&u.id.to_string()).map_or(0, counted)).sum();
                        hidden_counts.push(sub);
                    }
                    for r in p.employees.iter().filter(|r| r.figures.is_none()) {
                        hidden_counts.push(per.get(&format!("{}:{}", r.id, p.id)).map_or(0, counted));
                    }
                    for c in hidden_counts.iter().filter(|c| **c > 0 && **c < i64::from(min)) {
                        prop_assert_ne!(*c, left, "a hidden count is the parent minus its shown rows");
                    }
                    // And a shown page agrees with its parent's row of it.
                    if let Some(parent) = p.parent_id.and_then(|id| by_id.get(&id)) {
                        prop_assert_eq!(shown(parent, p.id), Some(f.votes));
                    }
                }
            }
        }
    }

    fn is_below(src: &Source, unit: i64, ancestor: i64) -> bool {
        let mut at = Some(unit);
        for _ in 0..64 {
            match at {
                Some(u) if u == ancestor => return true,
                Some(u) => {
                    at = src
                        .units
                        .iter()
                        .find(|x| x.id == u)
                        .and_then(|x| x.parent_id)
                }
                None => return false,
            }
        }
        false
    }
}
