//! The public results' and the receipt check's SQL: what the cron stores as public pages and
//! receipt trees, and what a page or a check reads back (migration 0020). Two statements the
//! results also run (a month's employee rows, a month's digest saved) stay in `store::sql`
//! (`shared` in `db.rs`).

pub const PUBLIC_UNITS: &str = "SELECT id, parent_id, name FROM units";

pub const PUBLIC_EMPLOYEES: &str = "SELECT id, unit_id, name, position, active FROM employees";

/// Each unit's own votes of one month.
pub const PUBLIC_UNIT_ROWS: &str = "\
SELECT unit_id AS key, score, counted, with_contact, with_comment, flagged, duplicates, verified \
FROM monthly_unit_stats WHERE month = ?1";

pub const CLEAR_PUBLIC_RESULTS: &str = "DELETE FROM public_results WHERE month = ?1";

/// `?2`: a JSON array of `[unit_id, body]`.
pub const INSERT_PUBLIC_RESULTS: &str = "\
INSERT OR REPLACE INTO public_results (month, unit_id, body) \
SELECT ?1, json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?2)";

pub const SAVE_PUBLIC_VERSION: &str = "\
INSERT INTO public_versions (month, version, made_at) VALUES (?1, ?2, ?3) \
ON CONFLICT (month) DO UPDATE SET version = excluded.version, made_at = excluded.made_at";

pub const PUBLIC_PAGE: &str = "SELECT body FROM public_results WHERE month = ?1 AND unit_id = ?2";

pub const PUBLIC_PAGES: &str =
    "SELECT unit_id, body FROM public_results WHERE month = ?1 ORDER BY unit_id";

pub const PUBLIC_VERSION: &str = "SELECT version, made_at FROM public_versions WHERE month = ?1";

/// Months with roll-up rows and no public pages, newest first.
pub const MONTHS_WITHOUT_PAGES: &str = "\
SELECT DISTINCT m.month AS month FROM monthly_unit_stats m \
WHERE NOT EXISTS (SELECT 1 FROM public_versions v WHERE v.month = m.month) ORDER BY m.month DESC LIMIT ?1";

/// A new version for every month: `?1` is a stamp that makes it differ.
pub const RENEW_PUBLIC_VERSIONS: &str =
    "UPDATE public_versions SET version = substr(version, 1, 16) || '.' || ?1";

pub const CLEAR_RECEIPT_TREE: &str = "DELETE FROM receipt_tree WHERE month = ?1";

/// `?4`: a JSON array of hex hashes, the level's nodes from index `?3` on.
pub const INSERT_RECEIPT_NODES: &str = "\
INSERT INTO receipt_tree (month, level, idx, hash) SELECT ?1, ?2, ?3 + key, value FROM json_each(?4)";

/// The leaf of a receipt (`level = 0` picks the partial index) with its month's digest, in one
/// round trip.
pub const RECEIPT_LEAF: &str = "\
SELECT t.idx AS idx, d.month AS month, d.root AS root, d.counted AS counted, d.made_at AS made_at \
FROM receipt_tree t JOIN monthly_digests d ON d.month = t.month WHERE t.level = 0 AND t.hash = ?1 LIMIT 1";

/// `?2`: a JSON array of `[level, idx]`: one primary-key lookup each. `CROSS JOIN` keeps the
/// list as the outer loop; a plain join lets SQLite scan the month's tree once per node.
pub const RECEIPT_NODES: &str = "\
SELECT t.level AS level, t.idx AS idx, t.hash AS hash FROM json_each(?2) j \
CROSS JOIN receipt_tree t ON t.month = ?1 AND t.level = json_extract(j.value, '$[0]') AND t.idx = json_extract(j.value, '$[1]')";

pub const HAS_RECEIPT_TREE: &str = "SELECT 1 AS one FROM receipt_tree WHERE month = ?1 LIMIT 1";
