//! Reading the audit log (filters, pages both ways, CSV), the pending one-time links
//! (invitations and grant links: listed, revoked) and the way back in for an administrator who
//! forgot their password: a reset link, which is a grant link that adds no role.

mod db;
pub mod routes;
pub mod sql;
pub mod store;
#[cfg(test)]
mod store_tests;
// The Workers side, in the back office only (docs/deploy.md): the handlers.
#[cfg(all(target_arch = "wasm32", not(feature = "citizen")))]
pub(crate) mod handlers;

use crate::account::{AccountId, Email, Principal, Scope, Secret, INVITATION_SECONDS};
use crate::admin::store::{AdminStore, Audit};
use crate::admin::{reset_link_url, AdminError, Invitation};
use crate::clock::{parse_iso_day, Timestamp};
use crate::qr::PublicBaseUrl;
use crate::results::report;
use chrono::DateTime;
use serde::Serialize;
use store::{AuditCursor, AuditEntry, AuditFilter, AuditStore, PendingLink};

/// Every action the log records, so that a filter names one of them (anything else is 422)
/// and the admin page has a readable name for each (a test checks `i18n.js` in every language).
pub const ACTIONS: &[&str] = &[
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "password_changed",
    "invitation_created",
    "invitation_accepted",
    "invitation_revoked",
    "grant_link_created",
    "grant_link_accepted",
    "grant_link_revoked",
    "password_reset_created",
    "password_reset_accepted",
    "password_reset_revoked",
    "roles_changed",
    "account_employee_set",
    "account_deactivated",
    "token_created",
    "token_revoked",
    "unit_created",
    "unit_changed",
    "networks_set",
    "employee_created",
    "employee_changed",
    "qr_issued",
    "qr_bulk_issued",
    "qr_revoked",
    "qr_reissued_for_key",
    "one_time_codes_issued",
    "one_time_codes_revoked",
    "import_applied",
    "direction_created",
    "scale_changed",
    "criterion_created",
    "criterion_changed",
    "flagged_votes_accepted",
    "flagged_votes_rejected",
    "vote_rejection_undone",
    "case_changed",
    "appeal_filed",
    "appeal_upheld",
    "appeal_dismissed",
    "comment_published",
    "comment_withheld",
];

/// Entries per page; the page is fixed so that a cursor always means the same thing.
pub const PAGE: u32 = 100;
/// The most a CSV export holds (the newest that match); narrower dates get the rest.
pub const CSV_MAX: u32 = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// An audit-log request, parsed strictly: every parameter known, given at most once, valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub filter: AuditFilter,
    pub cursor: AuditCursor,
    pub format: Format,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> AdminError {
    AdminError::Invalid {
        field,
        reason: reason.into(),
    }
}

const KNOWN: &[&str] = &["who", "action", "from", "to", "before", "after", "format"];

fn positive_id(field: &'static str, v: &str) -> Result<i64, AdminError> {
    v.parse::<i64>()
        .ok()
        .filter(|n| (1..(1i64 << 53)).contains(n))
        .ok_or_else(|| invalid(field, "must be a positive entry id"))
}

fn day_start(field: &'static str, v: &str) -> Result<i64, AdminError> {
    parse_iso_day(v)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
        .ok_or_else(|| invalid(field, "must be a date written YYYY-MM-DD"))
}

impl AuditQuery {
    /// From the query's decoded pairs. Empty values count as absent, as a form sends them.
    pub fn parse(pairs: &[(String, String)]) -> Result<AuditQuery, AdminError> {
        let mut seen: Vec<&str> = Vec::new();
        let mut q = AuditQuery {
            filter: AuditFilter::default(),
            cursor: AuditCursor::Newest,
            format: Format::Json,
        };
        let (mut before, mut after) = (None, None);
        for (k, v) in pairs {
            let Some(key) = KNOWN.iter().copied().find(|known| known == k) else {
                return Err(invalid(
                    "query",
                    format!("has an unknown parameter (known: {})", KNOWN.join(", ")),
                ));
            };
            if seen.contains(&key) {
                return Err(invalid(key, "must be given once"));
            }
            seen.push(key);
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match key {
                "who" => {
                    if v.bytes().all(|b| b.is_ascii_digit()) {
                        q.filter.account = Some(AccountId::parse_str(v).ok_or_else(|| {
                            invalid("who", "must be an account id or an e-mail address")
                        })?);
                    } else {
                        let email = Email::parse(v).map_err(|_| {
                            invalid("who", "must be an account id or an e-mail address")
                        })?;
                        q.filter.email = Some(email.as_str().to_owned());
                    }
                }
                "action" => {
                    q.filter.action =
                        Some(ACTIONS.iter().copied().find(|a| *a == v).ok_or_else(|| {
                            invalid("action", "is not an action the log records")
                        })?);
                }
                "from" => q.filter.from = Some(day_start("from", v)?),
                // Inclusive: up to the start of the next day.
                "to" => q.filter.to = Some(day_start("to", v)? + 86_400),
                "before" => before = Some(positive_id("before", v)?),
                "after" => after = Some(positive_id("after", v)?),
                _ => {
                    q.format = match v {
                        "json" => Format::Json,
                        "csv" => Format::Csv,
                        _ => return Err(invalid("format", "must be json or csv")),
                    }
                }
            }
        }
        if let (Some(from), Some(to)) = (q.filter.from, q.filter.to) {
            if from >= to {
                return Err(invalid("from", "must not be after `to`"));
            }
        }
        q.cursor = match (before, after) {
            (Some(_), Some(_)) => {
                return Err(invalid("after", "cannot be given with `before`"));
            }
            (Some(b), None) => AuditCursor::Before(b),
            (None, Some(a)) => AuditCursor::After(a),
            (None, None) => AuditCursor::Newest,
        };
        Ok(q)
    }
}

/// Who reads the log: whoever administers a subtree reads the entries about it; a superadmin
/// reads everything, including what concerns no unit (accounts, tokens, the scale).
fn reader_scope(p: &Principal) -> Result<Scope, AdminError> {
    let scope = p.write_scope();
    if scope.is_empty() {
        Err(AdminError::Forbidden)
    } else {
        Ok(scope)
    }
}

/// One page, newest first, with the cursors of its neighbours: `next` reads older entries
/// (`before=next`), `newer` reads newer ones (`after=newer`); each is null at the log's end.
#[derive(Debug, Clone, Serialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next: Option<i64>,
    pub newer: Option<i64>,
}

pub async fn page(
    store: &impl AuditStore,
    p: &Principal,
    q: &AuditQuery,
) -> Result<AuditPage, AdminError> {
    let scope = reader_scope(p)?;
    let f = &q.filter;
    let mut entries = store.audit_page(&scope, f, q.cursor, PAGE + 1).await?;
    let more = entries.len() > PAGE as usize;
    entries.truncate(PAGE as usize);
    if let AuditCursor::After(_) = q.cursor {
        entries.reverse();
    }
    let newest = entries.first().map(|e| e.id);
    let oldest = entries.last().map(|e| e.id);
    let any = |cursor| async move {
        store
            .audit_page(&scope, f, cursor, 1)
            .await
            .map(|found| !found.is_empty())
    };
    let (next, newer) = match q.cursor {
        AuditCursor::Newest => (oldest.filter(|_| more), None),
        AuditCursor::Before(b) => {
            let from = newest.unwrap_or(b.saturating_sub(1));
            let newer = any(AuditCursor::After(from)).await?.then_some(from);
            (oldest.filter(|_| more), newer)
        }
        AuditCursor::After(a) => {
            let from = oldest.unwrap_or(a.saturating_add(1));
            let older = any(AuditCursor::Before(from)).await?.then_some(from);
            (older, newest.filter(|_| more))
        }
    };
    Ok(AuditPage {
        entries,
        next,
        newer,
    })
}

/// The log as CSV for a spreadsheet, the same filters as the page, newest first, at most
/// `CSV_MAX` entries. UTF-8 with a BOM, like the monthly report.
pub async fn csv(
    store: &impl AuditStore,
    p: &Principal,
    q: &AuditQuery,
) -> Result<String, AdminError> {
    let scope = reader_scope(p)?;
    let entries = store
        .audit_page(&scope, &q.filter, AuditCursor::Newest, CSV_MAX)
        .await?;
    Ok(csv_of(&entries))
}

pub fn csv_of(entries: &[AuditEntry]) -> String {
    let mut rows = vec![[
        "id", "at_utc", "actor", "action", "object", "unit_id", "detail",
    ]
    .map(String::from)
    .to_vec()];
    for e in entries {
        rows.push(vec![
            e.id.to_string(),
            DateTime::from_timestamp(e.at, 0)
                .map(|t| t.naive_utc().to_string())
                .unwrap_or_default(),
            e.actor.clone(),
            e.action.clone(),
            e.object.clone(),
            e.unit_id.map(|u| u.to_string()).unwrap_or_default(),
            detail_text(&e.detail),
        ]);
    }
    report::csv(&rows)
}

/// A detail as `key: value; key: value` rather than JSON, for a spreadsheet's reader.
pub fn detail_text(detail: &serde_json::Value) -> String {
    fn value(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Null => String::from("—"),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(items) => {
                items.iter().map(value).collect::<Vec<_>>().join(", ")
            }
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| format!("{k} {}", value(v)))
                .collect::<Vec<_>>()
                .join(" "),
            other => other.to_string(),
        }
    }
    match detail {
        serde_json::Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", value(v)))
            .collect::<Vec<_>>()
            .join("; "),
        serde_json::Value::Null => String::new(),
        other => value(other),
    }
}

// --- pending links ----------------------------------------------------------------------------

/// Open invitations in the caller's subtrees; a superadmin also sees open grant links and
/// reset links (only superadmins make them).
pub async fn pending(
    store: &impl AuditStore,
    p: &Principal,
) -> Result<Vec<PendingLink>, AdminError> {
    let scope = reader_scope(p)?;
    Ok(store.pending_links(&scope).await?)
}

/// Revokes an open link: from then on it answers 404 like an unknown one. An id outside the
/// caller's scope, or of a link already used, expired or revoked, is 404.
pub async fn revoke(
    store: &impl AuditStore,
    p: &Principal,
    id: &str,
    at: Timestamp,
) -> Result<(), AdminError> {
    let scope = reader_scope(p)?;
    if id.len() != 16 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(AdminError::NotFound("invitation"));
    }
    let link = store
        .pending_links(&scope)
        .await?
        .into_iter()
        .find(|l| l.id == id)
        .ok_or(AdminError::NotFound("invitation"))?;
    let (action, object) = match link.account_id {
        None => ("invitation_revoked", format!("email:{}", link.email)),
        Some(a) if link.kind == "password_reset" => {
            ("password_reset_revoked", format!("account:{a}"))
        }
        Some(a) => ("grant_link_revoked", format!("account:{a}")),
    };
    let unit = link.roles.first().and_then(|r| r.unit_id);
    let entry = Audit {
        at,
        account: Some(p.account),
        actor: p.actor(),
        action,
        object,
        detail: serde_json::json!({
            "email": link.email,
            "role": link.roles.first().map(|r| r.role.as_str()),
            "unit_id": unit,
        })
        .to_string(),
    };
    if store.revoke_link(&scope, &link, &entry).await? {
        Ok(())
    } else {
        Err(AdminError::NotFound("invitation"))
    }
}

/// A one-time link that lets an account's owner back in: accepting it sets a new password,
/// ends every session of the account and revokes its API tokens (a grant link that adds no
/// role). Superadmins only: it hands an account to whoever holds the link, so it is as strong
/// as the account itself, and only a superadmin is above every account.
pub async fn reset_link(
    store: &impl AdminStore,
    base: &PublicBaseUrl,
    p: &Principal,
    account: AccountId,
    random: [u8; 32],
    at: Timestamp,
) -> Result<Invitation, AdminError> {
    if !p.is_superadmin() {
        return Err(AdminError::Forbidden);
    }
    let target = store
        .account(account)
        .await?
        .filter(|a| a.active)
        .ok_or(AdminError::NotFound("account"))?;
    let secret = Secret::invitation(random);
    let expires_at = at.unix_seconds() + INVITATION_SECONDS;
    let entry = Audit {
        at,
        account: Some(p.account),
        actor: p.actor(),
        action: "password_reset_created",
        object: format!("account:{}", account.get()),
        detail: serde_json::json!({ "email": target.email, "expires_at": expires_at }).to_string(),
    };
    if !store
        .create_grant_link(&secret.hash, account, &[], expires_at, &entry)
        .await?
    {
        return Err(AdminError::NotFound("account"));
    }
    Ok(Invitation {
        link: reset_link_url(base, &secret.shown),
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn field_of(q: &[(&str, &str)]) -> &'static str {
        match AuditQuery::parse(&pairs(q)) {
            Err(AdminError::Invalid { field, .. }) => field,
            other => panic!("{q:?} gave {other:?}"),
        }
    }

    #[test]
    fn a_query_reads_its_filters_and_cursor() {
        let q = AuditQuery::parse(&pairs(&[
            ("who", "Head@City.example"),
            ("action", "unit_created"),
            ("from", "2026-11-01"),
            ("to", "2026-11-30"),
            ("before", "42"),
            ("format", "csv"),
        ]))
        .unwrap();
        assert_eq!(q.filter.email.as_deref(), Some("head@city.example"));
        assert_eq!(q.filter.action, Some("unit_created"));
        assert_eq!(q.filter.from, Some(1_793_491_200));
        assert_eq!(q.filter.to, Some(1_796_083_200), "the end of 30 November");
        assert_eq!(q.cursor, AuditCursor::Before(42));
        assert_eq!(q.format, Format::Csv);
        let by_id = AuditQuery::parse(&pairs(&[("who", "7"), ("after", "9")])).unwrap();
        assert_eq!(by_id.filter.account.map(AccountId::get), Some(7));
        assert_eq!(by_id.cursor, AuditCursor::After(9));
        let empty = AuditQuery::parse(&pairs(&[("who", ""), ("action", "")])).unwrap();
        assert_eq!(empty.filter, AuditFilter::default());
    }

    #[test]
    fn a_bad_query_names_the_parameter_at_fault() {
        assert_eq!(field_of(&[("who", "nobody")]), "who");
        assert_eq!(field_of(&[("who", "0")]), "who");
        assert_eq!(field_of(&[("action", "drop_table")]), "action");
        assert_eq!(field_of(&[("from", "2026-02-30")]), "from");
        assert_eq!(field_of(&[("to", "yesterday")]), "to");
        assert_eq!(
            field_of(&[("from", "2026-12-02"), ("to", "2026-12-01")]),
            "from"
        );
        assert_eq!(field_of(&[("before", "-1")]), "before");
        assert_eq!(field_of(&[("after", "1e3")]), "after");
        assert_eq!(field_of(&[("before", "5"), ("after", "3")]), "after");
        assert_eq!(field_of(&[("format", "xlsx")]), "format");
        assert_eq!(field_of(&[("page", "2")]), "query");
        assert_eq!(
            field_of(&[("action", "sign_in"), ("action", "sign_out")]),
            "action"
        );
    }

    #[test]
    fn every_action_has_a_readable_name_in_every_language_of_the_admin_page() {
        let i18n = include_str!("../../assets/admin/i18n.js");
        for action in ACTIONS {
            let key = format!("audit_action_{action}:");
            let found = i18n.matches(&key).count();
            assert_eq!(
                found, 5,
                "{key} appears {found} times, not once per language"
            );
        }
    }

    #[test]
    fn the_documented_action_filter_takes_exactly_the_listed_actions() {
        let doc: serde_json::Value = serde_json::from_str(include_str!("openapi.json")).unwrap();
        let params = doc["paths"]["/api/v1/admin/audit"]["get"]["parameters"]
            .as_array()
            .unwrap();
        let action = params.iter().find(|p| p["name"] == "action").unwrap();
        let documented: Vec<&str> = action["schema"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(documented, ACTIONS);
    }

    #[test]
    fn every_action_written_in_the_source_is_listed() {
        // Actions are written as string literals beside `action` in the use cases.
        let sources = [
            include_str!("../admin/mod.rs"),
            include_str!("../directory/mod.rs"),
            include_str!("../import/mod.rs"),
            include_str!("mod.rs"),
            include_str!("../moderation/appeal.rs"),
            include_str!("../moderation/mod.rs"),
            include_str!("../one_time/mod.rs"),
            include_str!("../results/mod.rs"),
        ];
        for src in sources {
            for (i, _) in src.match_indices("\"") {
                let rest = src.get(i + 1..).unwrap_or("");
                let Some(end) = rest.find('"') else { continue };
                let word = rest.get(..end).unwrap_or("");
                let looks_like_action = word.starts_with(|c: char| c.is_ascii_lowercase())
                    && word.contains('_')
                    && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    && [
                        "_created",
                        "_changed",
                        "_revoked",
                        "_accepted",
                        "_rejected",
                        "_issued",
                        "_set",
                        "_applied",
                        "_deactivated",
                        "_filed",
                        "_upheld",
                        "_dismissed",
                        "_published",
                        "_withheld",
                        "_undone",
                    ]
                    .iter()
                    .any(|s| word.ends_with(s));
                if looks_like_action {
                    assert!(ACTIONS.contains(&word), "{word} is not in audit::ACTIONS");
                }
            }
        }
    }

    #[test]
    fn a_csv_starts_with_a_bom_and_reads_details_as_text() {
        let out = csv_of(&[AuditEntry {
            id: 3,
            at: 1_796_083_200,
            actor: String::from("=head@city.example"),
            action: String::from("invitation_created"),
            object: String::from("email:new@city.example"),
            detail: serde_json::json!({"role": "viewer", "unit_id": 4}),
            unit_id: Some(4),
        }]);
        assert!(out.starts_with('\u{feff}'));
        let lines: Vec<&str> = out.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "id,at_utc,actor,action,object,unit_id,detail");
        assert_eq!(
            lines[1],
            "3,2026-12-01 00:00:00,\"'=head@city.example\",invitation_created,email:new@city.example,4,role: viewer; unit_id: 4"
        );
    }
}
