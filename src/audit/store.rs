//! What the audit log's reader and the pending links' keeper need from storage (`crate::audit`).
//! Scoped like the rest of the administration: a scope is `Scope::All` or the subtrees the
//! caller administers, and what lies outside it is answered as if it did not exist.

#![allow(async_fn_in_trait)]

use crate::account::{AccountId, Scope};
use crate::admin::store::Audit;
use crate::store::StoreError;
use serde::Serialize;

/// The filters of an audit-log query, already checked (`audit::AuditQuery`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Entries by this account (its id).
    pub account: Option<AccountId>,
    /// Entries by this e-mail: the account that has it, or an actor written with it (a failed
    /// sign-in, an accepted invitation, a Cloudflare Access caller).
    pub email: Option<String>,
    pub action: Option<&'static str>,
    /// `[from, to)` in unix seconds.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// Which way a page of the log reads from its cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditCursor {
    /// The newest entries.
    Newest,
    /// Entries older than this id, newest first.
    Before(i64),
    /// Entries newer than this id, oldest first (the caller turns them around).
    After(i64),
}

/// One entry as the reader sees it, with the unit it concerns when it concerns one.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: serde_json::Value,
    /// The unit the entry concerns (a unit, an employee's or a vote's unit, an invitation's),
    /// which decides who besides a superadmin may read it; `None` for instance-wide entries.
    pub unit_id: Option<i64>,
}

/// A one-time link not yet used, expired or revoked.
#[derive(Debug, Clone, Serialize)]
pub struct PendingLink {
    /// The first 16 hex digits of the stored token hash: names the link for revoking it, and
    /// tells nothing about the token itself.
    pub id: String,
    /// `invitation` (a new account), `roles` (roles added to an account) or
    /// `password_reset` (a grant link that adds nothing: a way back in).
    pub kind: &'static str,
    pub email: String,
    /// An invitation's role and unit; a grant link's roles.
    pub roles: Vec<PendingRole>,
    pub invited_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// The account a grant link is for.
    pub account_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PendingRole {
    pub role: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
}

pub trait AuditStore {
    /// Up to `limit` entries from `cursor` that pass `filter` and whose unit lies in `scope`
    /// (only a `Scope::All` caller sees entries without a unit).
    async fn audit_page(
        &self,
        scope: &Scope,
        filter: &AuditFilter,
        cursor: AuditCursor,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// Open invitations whose unit lies in `scope` and, for `Scope::All`, open grant links.
    async fn pending_links(&self, scope: &Scope) -> Result<Vec<PendingLink>, StoreError>;

    /// Ends the open link `id` in `scope` at once (it then answers like an expired one), with
    /// its audit line, written only if it ended. `false` when there was none to end.
    async fn revoke_link(
        &self,
        scope: &Scope,
        link: &PendingLink,
        audit: &Audit,
    ) -> Result<bool, StoreError>;
}
