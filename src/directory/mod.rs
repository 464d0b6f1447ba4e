//! The directory of the organisation as an office manager uses it: finding an employee or a
//! unit by a part of its name, the list of every employee in the caller's subtrees with the
//! state of their code (current, revoked, never issued), and issuing the missing codes of a
//! whole unit at once, never replacing a code that works.
//!
//! Names are compared folded ([`search_key`]): small and capital letters alike in Latin and
//! Cyrillic (Ukrainian, Russian, Kazakh), ё as е, Arabic yeh and kaf as the Persian letters,
//! without the zero-width non-joiner, and every apostrophe of a Ukrainian name as `'`. D1 has
//! no collation that does this, so the database folds the stored names with the same table
//! (`sql::SEARCH_FOLD`) in the query itself.

mod db;
pub mod routes;
pub mod sql;
pub mod store;
#[cfg(test)]
mod store_tests;
// The Workers side, in the back office only (docs/deploy.md): the handlers.
#[cfg(all(target_arch = "wasm32", not(feature = "citizen")))]
pub(crate) mod handlers;

use crate::account::{Principal, Scope};
use crate::admin::store::{AdminStore, Audit};
use crate::admin::AdminError;
use crate::clock::Timestamp;
use crate::org::{Channel, EmployeeId, UnitId};
use serde::{Deserialize, Serialize};
use sql::SEARCH_FOLD;
use store::{
    BulkCode, DirectoryStore, EmployeeFilter, FoundUnit, ListedEmployee, Missing, QrStatus, Uncoded,
};

/// Answers per kind in a search: a search box shows a short list, not a directory.
pub const SEARCH_LIMIT: u32 = 20;
/// Employees per page of the list.
pub const PAGE_SIZE: u32 = 50;
/// The last page asked for: far beyond any municipality (a million employees), and it keeps
/// the offset well inside D1's integers.
pub const MAX_PAGE: u32 = 20_000;
/// A searched text longer than any name is a mistake.
pub const MAX_KEY_CHARS: usize = 200;
/// Codes one bulk request issues at most; `remaining` tells the caller to ask again. A
/// statement of this size runs well inside D1's limits.
pub const BULK_LIMIT: u32 = 500;
/// Employees a bulk request may name (those of an import, say).
pub const MAX_NAMED_EMPLOYEES: usize = 2000;
/// Employees a unit's poster page names as left out, at most, and one more to tell that
/// there are more.
pub const MAX_UNCODED_SHOWN: u32 = crate::poster::SKIPPED_SHOWN as u32 + 1;

fn invalid(field: &'static str, reason: &str) -> AdminError {
    AdminError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// `text` folded for comparison (see the module's note), trimmed; `None` when nothing is
/// left to look for.
pub fn search_key(text: &str) -> Option<String> {
    let folded = SEARCH_FOLD
        .iter()
        .fold(text.to_lowercase(), |s, (from, to)| s.replace(from, to));
    let key = folded.trim();
    (!key.is_empty()).then(|| key.to_owned())
}

fn key_of(q: &str) -> Result<String, AdminError> {
    let key = search_key(q).ok_or_else(|| invalid("q", "must name what to look for"))?;
    if key.chars().count() > MAX_KEY_CHARS {
        return Err(invalid("q", "must have at most 200 characters"));
    }
    Ok(key)
}

/// What a search found in the caller's subtrees.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub units: Vec<FoundUnit>,
    pub employees: Vec<ListedEmployee>,
    /// More employees match than are shown: the list (`GET /employees?q=`) has them all.
    pub more_employees: bool,
}

/// Units and employees whose name contains `q`, within the caller's read scope.
pub async fn search(
    store: &impl DirectoryStore,
    p: &Principal,
    q: &str,
) -> Result<Found, AdminError> {
    let key = key_of(q)?;
    let scope = p.read_scope();
    let units = store.find_units(&scope, &key, SEARCH_LIMIT).await?;
    let page = store
        .list_employees(
            &scope,
            &EmployeeFilter {
                name: Some(key),
                status: None,
                unit: None,
                channel: Channel::UNSPECIFIED,
                limit: SEARCH_LIMIT,
                offset: 0,
            },
        )
        .await?;
    Ok(Found {
        more_employees: page.total > SEARCH_LIMIT,
        units,
        employees: page.employees,
    })
}

/// The list's query as the API receives it (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub q: Option<String>,
    pub status: Option<String>,
    pub unit: Option<String>,
    pub channel: Option<String>,
    pub page: Option<String>,
}

/// A page of the organisation-wide list.
#[derive(Debug, Clone, Serialize)]
pub struct EmployeeList {
    pub employees: Vec<ListedEmployee>,
    pub total: u32,
    pub page: u32,
    pub pages: u32,
    pub per_page: u32,
    pub channel: Channel,
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Checks the list's query: `None` fields stay unfiltered.
pub fn parse_list(q: &ListQuery) -> Result<(EmployeeFilter, u32), AdminError> {
    let name = match blank(&q.q) {
        None => None,
        Some(text) => Some(key_of(text)?),
    };
    let status = match blank(&q.status) {
        None => None,
        Some(s) => Some(
            QrStatus::parse(s)
                .ok_or_else(|| invalid("status", "must be active, revoked or none"))?,
        ),
    };
    let unit = match blank(&q.unit) {
        None => None,
        Some(u) => {
            Some(UnitId::parse_str(u).ok_or_else(|| invalid("unit", "must be the id of a unit"))?)
        }
    };
    let channel = match blank(&q.channel) {
        None => Channel::UNSPECIFIED,
        Some(c) => c
            .parse::<i64>()
            .ok()
            .and_then(Channel::parse)
            .ok_or_else(|| invalid("channel", "must be an integer from 0 to 255"))?,
    };
    let page = match blank(&q.page) {
        None => 1,
        Some(n) => n
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| invalid("page", "must be a whole number from 1 to 20000"))?,
    };
    Ok((
        EmployeeFilter {
            name,
            status,
            unit,
            channel,
            limit: PAGE_SIZE,
            offset: (page - 1) * PAGE_SIZE,
        },
        page,
    ))
}

/// Every employee in the caller's read scope that `query` asks for, a page at a time, by name.
pub async fn employees(
    store: &(impl DirectoryStore + AdminStore),
    p: &Principal,
    query: &ListQuery,
) -> Result<EmployeeList, AdminError> {
    let (filter, page) = parse_list(query)?;
    let scope = p.read_scope();
    if let Some(unit) = filter.unit {
        if !store.unit_in_scope(&scope, unit).await? {
            return Err(AdminError::NotFound("unit"));
        }
    }
    let found = store.list_employees(&scope, &filter).await?;
    Ok(EmployeeList {
        pages: found.total.div_ceil(PAGE_SIZE).max(1),
        total: found.total,
        employees: found.employees,
        page,
        per_page: PAGE_SIZE,
        channel: filter.channel,
    })
}

/// A bulk issue as the API receives it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkIn {
    /// The unit's whole subtree, not only its own employees (default false).
    #[serde(default)]
    pub subtree: Option<bool>,
    #[serde(default)]
    pub channel: Option<i64>,
    /// Only these employees (those an import created or changed, say).
    #[serde(default)]
    pub employees: Option<Vec<i64>>,
}

/// What a bulk issue did.
#[derive(Debug, Clone, Serialize)]
pub struct BulkIssued {
    pub unit_id: UnitId,
    pub channel: Channel,
    pub subtree: bool,
    pub issued: Vec<BulkCode>,
    /// Employees still without a code after this request (more than `BULK_LIMIT` were
    /// missing): the same request again issues the next ones.
    pub remaining: u32,
}

pub fn parse_bulk(unit: UnitId, body: &BulkIn) -> Result<Missing, AdminError> {
    let channel = match body.channel {
        None => Channel::UNSPECIFIED,
        Some(c) => Channel::parse(c)
            .ok_or_else(|| invalid("channel", "must be an integer from 0 to 255"))?,
    };
    let employees = match &body.employees {
        None => None,
        Some(ids) if ids.len() > MAX_NAMED_EMPLOYEES => {
            return Err(invalid("employees", "must list at most 2000 employees"))
        }
        Some(ids) => {
            let mut out: Vec<EmployeeId> = Vec::with_capacity(ids.len());
            for id in ids {
                let e = EmployeeId::parse(*id)
                    .ok_or_else(|| invalid("employees", "must list employee ids"))?;
                if !out.contains(&e) {
                    out.push(e);
                }
            }
            Some(out)
        }
    };
    Ok(Missing {
        unit,
        subtree: body.subtree.unwrap_or(false),
        employees,
        channel,
    })
}

/// Unit admins only; a unit the caller reads but does not administer is 403, one outside
/// every subtree of theirs 404 (as if it did not exist).
async fn writable_unit(
    store: &impl AdminStore,
    p: &Principal,
    unit: UnitId,
) -> Result<Scope, AdminError> {
    let scope = p.write_scope();
    if scope.is_empty() {
        return Err(AdminError::Forbidden);
    }
    if store.unit_in_scope(&scope, unit).await? {
        return Ok(scope);
    }
    if store.unit_in_scope(&p.read_scope(), unit).await? {
        return Err(AdminError::Forbidden);
    }
    Err(AdminError::NotFound("unit"))
}

/// Issues a code, signed with `key_id`, to every active employee of `unit` (and its subtree
/// when asked) who has no current code on the channel; codes that work are never replaced.
/// One audit line per request that issued any. Asking again issues nothing more.
pub async fn issue_missing(
    store: &(impl DirectoryStore + AdminStore),
    key_id: u8,
    p: &Principal,
    unit: UnitId,
    body: &BulkIn,
    at: Timestamp,
) -> Result<BulkIssued, AdminError> {
    let missing = parse_bulk(unit, body)?;
    let scope = writable_unit(store, p, unit).await?;
    let entry = Audit {
        at,
        account: Some(p.account),
        actor: p.actor(),
        action: "qr_bulk_issued",
        object: format!("unit:{}", unit.get()),
        detail: serde_json::json!({
            "channel": missing.channel,
            "subtree": missing.subtree,
            "named_employees": missing.employees.as_ref().map(Vec::len),
        })
        .to_string(),
    };
    let (issued, remaining) = store
        .issue_missing(&scope, &missing, key_id, BULK_LIMIT, &entry)
        .await?;
    Ok(BulkIssued {
        unit_id: unit,
        channel: missing.channel,
        subtree: missing.subtree,
        issued,
        remaining,
    })
}

/// The employees a unit's posters leave out for want of a current code, and whether the
/// caller may issue them theirs.
pub async fn uncoded(
    store: &(impl DirectoryStore + AdminStore),
    p: &Principal,
    unit: UnitId,
    channel: Channel,
) -> Result<(Vec<Uncoded>, bool), AdminError> {
    let list = store
        .uncoded(&p.read_scope(), unit, channel, MAX_UNCODED_SHOWN)
        .await?;
    let write = p.write_scope();
    let may_issue =
        !list.is_empty() && !write.is_empty() && store.unit_in_scope(&write, unit).await?;
    Ok((list, may_issue))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the database computes: SQLite's ASCII-only `lower()`, then the table's replaces.
    fn as_the_database_folds(text: &str) -> String {
        SEARCH_FOLD
            .iter()
            .fold(text.to_ascii_lowercase(), |s, (from, to)| {
                s.replace(from, to)
            })
    }

    #[test]
    fn the_database_folds_every_letter_of_the_instance_languages_as_the_search_does() {
        let alphabets = [
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz",
            "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
            "ҐЄІЇ ґєії ӘҒҚҢӨҰҮҺ әғқңөұүһ",
            "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی يكى ـ \u{200c}",
            "Д’Артаньян Мʼятий О'Брайен",
        ];
        for text in alphabets {
            assert_eq!(
                Some(as_the_database_folds(text).trim().to_owned()),
                search_key(text),
                "{text}"
            );
        }
    }

    #[test]
    fn a_search_key_ignores_case_and_the_spellings_of_one_letter() {
        assert_eq!(search_key("  КОВАЛЬ "), Some("коваль".into()));
        assert_eq!(search_key("Фёдор"), search_key("федор"));
        assert_eq!(search_key("ҚАЙРАТ"), Some("қайрат".into()));
        assert_eq!(search_key("Мар’яна"), search_key("мар'яна"));
        assert_eq!(search_key("Мар’яна"), search_key("МАРʼЯНА"));
        // Arabic yeh and kaf typed on an Arabic keyboard find the Persian spelling.
        assert_eq!(search_key("علي"), search_key("علی"));
        assert_eq!(search_key("كريمي"), search_key("کریمی"));
        assert_eq!(search_key("می\u{200c}خواهم"), search_key("میخواهم"));
        assert_eq!(search_key("   "), None);
        assert_eq!(search_key("\u{200c}"), None);
    }

    #[test]
    fn the_list_query_is_checked_field_by_field() {
        let (f, page) = parse_list(&ListQuery::default()).unwrap();
        assert_eq!(
            (f.name, f.status, f.unit, f.channel, f.offset, page),
            (None, None, None, Channel::UNSPECIFIED, 0, 1)
        );
        let (f, page) = parse_list(&ListQuery {
            q: Some("Олена".into()),
            status: Some("revoked".into()),
            unit: Some("7".into()),
            channel: Some("4".into()),
            page: Some("3".into()),
        })
        .unwrap();
        assert_eq!(f.name.as_deref(), Some("олена"));
        assert_eq!(f.status, Some(QrStatus::Revoked));
        assert_eq!(f.unit.map(UnitId::get), Some(7));
        assert_eq!((f.channel.get(), f.offset, page), (4, 2 * PAGE_SIZE, 3));
        for bad in [
            ListQuery {
                status: Some("lost".into()),
                ..ListQuery::default()
            },
            ListQuery {
                page: Some("0".into()),
                ..ListQuery::default()
            },
            ListQuery {
                page: Some("20001".into()),
                ..ListQuery::default()
            },
            ListQuery {
                unit: Some("x".into()),
                ..ListQuery::default()
            },
            ListQuery {
                channel: Some("256".into()),
                ..ListQuery::default()
            },
            ListQuery {
                q: Some("я".repeat(201)),
                ..ListQuery::default()
            },
        ] {
            assert!(
                matches!(parse_list(&bad), Err(AdminError::Invalid { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_bulk_request_names_a_bounded_list_of_employees_once_each() {
        let unit = UnitId::parse(3).unwrap();
        let m = parse_bulk(
            unit,
            &BulkIn {
                subtree: Some(true),
                channel: None,
                employees: Some(vec![5, 5, 6]),
            },
        )
        .unwrap();
        assert!(m.subtree);
        assert_eq!(m.channel, Channel::UNSPECIFIED);
        assert_eq!(m.employees.map(|e| e.len()), Some(2));
        let many = BulkIn {
            employees: Some((1..=2001).collect()),
            ..BulkIn::default()
        };
        assert!(parse_bulk(unit, &many).is_err());
        let zero = BulkIn {
            employees: Some(vec![0]),
            ..BulkIn::default()
        };
        assert!(parse_bulk(unit, &zero).is_err());
        let channel = BulkIn {
            channel: Some(300),
            ..BulkIn::default()
        };
        assert!(parse_bulk(unit, &channel).is_err());
    }
}
