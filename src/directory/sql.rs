//! The directory's SQL: search, the organisation-wide employee list, missing codes issued in
//! bulk and the employees a unit's posters leave out.

use std::sync::LazyLock;

/// Capitals that SQLite's `lower()` leaves alone (it folds ASCII only), with their small
/// letters, then the spellings one letter has in the instance's languages: Russian ё as е,
/// Arabic yeh and kaf as the Persian ones, the zero-width non-joiner and tatweel dropped, the
/// typographic apostrophes of Ukrainian names as `'`. `directory::search_key` folds the
/// searched text the same way (a test holds the two together). Applied in this order.
pub const SEARCH_FOLD: &[(&str, &str)] = &[
    ("А", "а"),
    ("Б", "б"),
    ("В", "в"),
    ("Г", "г"),
    ("Д", "д"),
    ("Е", "е"),
    ("Ё", "ё"),
    ("Ж", "ж"),
    ("З", "з"),
    ("И", "и"),
    ("Й", "й"),
    ("К", "к"),
    ("Л", "л"),
    ("М", "м"),
    ("Н", "н"),
    ("О", "о"),
    ("П", "п"),
    ("Р", "р"),
    ("С", "с"),
    ("Т", "т"),
    ("У", "у"),
    ("Ф", "ф"),
    ("Х", "х"),
    ("Ц", "ц"),
    ("Ч", "ч"),
    ("Ш", "ш"),
    ("Щ", "щ"),
    ("Ъ", "ъ"),
    ("Ы", "ы"),
    ("Ь", "ь"),
    ("Э", "э"),
    ("Ю", "ю"),
    ("Я", "я"),
    ("Ґ", "ґ"),
    ("Є", "є"),
    ("І", "і"),
    ("Ї", "ї"),
    ("Ә", "ә"),
    ("Ғ", "ғ"),
    ("Қ", "қ"),
    ("Ң", "ң"),
    ("Ө", "ө"),
    ("Ұ", "ұ"),
    ("Ү", "ү"),
    ("Һ", "һ"),
    ("ё", "е"),
    ("ي", "ی"),
    ("ى", "ی"),
    ("ك", "ک"),
    ("\u{200c}", ""),
    ("ـ", ""),
    ("’", "'"),
    ("ʼ", "'"),
];

/// Replaces per level of [`folded_names`]: SQLite's parser overflows its stack on about 35
/// nested calls, so the fold is split over derived tables, each nesting a dozen.
const FOLD_PER_LEVEL: usize = 12;

/// `(SELECT id, folded FROM …)`: every row of `table` with its `name` folded by
/// `SEARCH_FOLD`, to join on `id`.
pub fn folded_names(table: &str) -> String {
    SEARCH_FOLD.chunks(FOLD_PER_LEVEL).fold(
        format!("(SELECT id, lower(name) AS folded FROM {table})"),
        |inner, pairs| {
            let expr = pairs
                .iter()
                .fold(String::from("folded"), |expr, (from, to)| {
                    let (from, to) = (from.replace('\'', "''"), to.replace('\'', "''"));
                    format!("replace({expr}, '{from}', '{to}')")
                });
            format!("(SELECT id, {expr} AS folded FROM {inner})")
        },
    )
}
/// An employee's code status on channel `?2`: 'active', 'revoked' or 'none'.
const QR_STATUS: &str = "\
CASE WHEN EXISTS (SELECT 1 FROM qr_codes q WHERE q.employee_id = e.id AND q.channel = ?2 AND q.revoked_at IS NULL) THEN 'active' \
     WHEN EXISTS (SELECT 1 FROM qr_codes q WHERE q.employee_id = e.id AND q.channel = ?2) THEN 'revoked' ELSE 'none' END";

/// Employees in scope `?1` with their unit and status on channel `?2`; `?3` a folded name
/// part (NULL: any), `?4` a status (NULL: any), `?5` a unit whose subtree (NULL: all).
fn employee_rows() -> String {
    format!(
        "SELECT e.id AS id, e.name AS name, e.position AS position, e.unit_id AS unit_id, u.name AS unit_name, \
       e.active AS active, {QR_STATUS} AS qr \
FROM employees e JOIN units u ON u.id = e.unit_id JOIN {} f ON f.id = e.id \
WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = e.unit_id)) \
  AND (?5 IS NULL OR EXISTS (SELECT 1 FROM unit_closure c WHERE c.ancestor_id = ?5 AND c.descendant_id = e.unit_id)) \
  AND (?3 IS NULL OR instr(f.folded, ?3) > 0)",
        folded_names("employees")
    )
}

/// One page (`?6` rows from `?7`) of `employee_rows` with status `?4`, by name.
pub fn list_employees() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT * FROM ({}) WHERE ?4 IS NULL OR qr = ?4 ORDER BY name, id LIMIT ?6 OFFSET ?7",
            employee_rows()
        )
    });
    &SQL
}

/// How many rows `list_employees` has over all its pages (its first five parameters).
pub fn count_employees() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT COUNT(*) AS n FROM ({}) WHERE ?4 IS NULL OR qr = ?4",
            employee_rows()
        )
    });
    &SQL
}

/// Units in scope `?1` whose folded name contains `?2`, at most `?3`.
pub fn find_units() -> &'static str {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT u.id AS id, u.name AS name, p.name AS parent_name, u.active AS active \
    FROM units u JOIN {} f ON f.id = u.id LEFT JOIN units p ON p.id = u.parent_id \
    WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = u.id)) \
      AND instr(f.folded, ?2) > 0 ORDER BY u.name, u.id LIMIT ?3",
            folded_names("units")
        )
    });
    &SQL
}

/// The employees a bulk issue is for: active, of unit `?1` (its subtree when `?2` = 1), among
/// the JSON array `?3` when not NULL, in scope `?5`, without a current code on channel `?4`.
macro_rules! missing_codes {
    () => {
        "FROM employees e WHERE e.active = 1 \
  AND e.unit_id IN (SELECT c.descendant_id FROM unit_closure c WHERE c.ancestor_id = ?1 AND (?2 = 1 OR c.depth = 0)) \
  AND (?3 IS NULL OR e.id IN (SELECT value FROM json_each(?3))) \
  AND NOT EXISTS (SELECT 1 FROM qr_codes q WHERE q.employee_id = e.id AND q.channel = ?4 AND q.revoked_at IS NULL) \
  AND (?5 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?5) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = e.unit_id)) \
  AND COALESCE((SELECT MAX(m.issue) FROM qr_codes m WHERE m.employee_id = e.id AND m.channel = ?4), 0) < 65535"
    };
}

/// Issues the next code (key `?6`, at `?7`) to at most `?8` of `missing_codes`, lowest ids
/// first. A revoked predecessor keeps its number, so the new code is its next issue.
pub const ISSUE_MISSING_CODES: &str = concat!(
    "INSERT INTO qr_codes (employee_id, channel, issue, key_id, issued_at, direction_id) ",
    "SELECT e.id, ?4, COALESCE((SELECT MAX(m.issue) FROM qr_codes m WHERE m.employee_id = e.id AND m.channel = ?4), 0) + 1, ?6, ?7, NULL ",
    missing_codes!(),
    " ORDER BY e.id LIMIT ?8 RETURNING employee_id, issue"
);

/// Those still missing after `ISSUE_MISSING_CODES` (its first five parameters).
pub const COUNT_MISSING_CODES: &str = concat!("SELECT COUNT(*) AS n ", missing_codes!());

/// The audit line of a bulk issue, right after it and only if it issued any; `?6` is the
/// detail, to which the number issued is added.
pub const INSERT_BULK_ISSUE_AUDIT: &str = "\
INSERT INTO audit_log (at, account_id, actor, action, object, detail) \
SELECT ?1, ?2, ?3, ?4, ?5, json_set(?6, '$.issued', changes()) WHERE changes() > 0";

/// Active employees of unit `?2`'s subtree in scope `?1` without a current code on channel
/// `?3` (those a unit's posters leave out), at most `?4`.
pub const UNCODED_EMPLOYEES: &str = "\
SELECT e.id AS employee, e.name AS name, u.name AS unit_name \
FROM employees e JOIN units u ON u.id = e.unit_id \
WHERE e.active = 1 \
  AND EXISTS (SELECT 1 FROM unit_closure c WHERE c.ancestor_id = ?2 AND c.descendant_id = e.unit_id) \
  AND NOT EXISTS (SELECT 1 FROM qr_codes q WHERE q.employee_id = e.id AND q.channel = ?3 AND q.revoked_at IS NULL) \
  AND (?1 IS NULL OR EXISTS (SELECT 1 FROM unit_closure sc JOIN json_each(?1) sj ON sc.ancestor_id = sj.value WHERE sc.descendant_id = e.unit_id)) \
ORDER BY u.name, e.name, e.id LIMIT ?4";
