//! `AuditStore` on any `Database` (D1 in the worker, SQLite in tests): the audit log read
//! through the caller's scope, and pending links.

use super::sql;
use super::store::{AuditCursor, AuditEntry, AuditFilter, AuditStore, PendingLink, PendingRole};
use crate::account::{AccountId, Scope};
use crate::admin::store::Audit;
use crate::store::db::{opt_int, stmt, Database};
use crate::store::statement::Arg;
use crate::store::StoreError;
use serde::Deserialize;

fn scope_arg(scope: &Scope) -> Arg {
    Arg::opt_text(scope.sql_param().as_deref())
}

impl<D: Database> AuditStore for D {
    async fn audit_page(
        &self,
        scope: &Scope,
        filter: &AuditFilter,
        cursor: AuditCursor,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            at: i64,
            actor: String,
            action: String,
            object: String,
            detail: String,
            unit_id: Option<i64>,
        }
        let (query, before, after) = match cursor {
            AuditCursor::Newest => (sql::AUDIT_OLDER, None, None),
            AuditCursor::Before(b) => (sql::AUDIT_OLDER, Some(b), None),
            AuditCursor::After(a) => (sql::AUDIT_NEWER, None, Some(a)),
        };
        let rows: Vec<Row> = self
            .rows(stmt(
                query,
                vec![
                    opt_int(before),
                    opt_int(after),
                    opt_int(filter.account.map(|a| i64::from(AccountId::get(a)))),
                    Arg::opt_text(filter.email.as_deref()),
                    Arg::opt_text(filter.action),
                    opt_int(filter.from),
                    opt_int(filter.to),
                    scope_arg(scope),
                    Arg::num(limit),
                ],
            ))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                actor: r.actor,
                action: r.action,
                object: r.object,
                detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
                unit_id: r.unit_id,
            })
            .collect())
    }

    async fn pending_links(&self, scope: &Scope) -> Result<Vec<PendingLink>, StoreError> {
        #[derive(Deserialize)]
        struct InvitationRow {
            id: String,
            email: String,
            role: String,
            unit_id: Option<i64>,
            unit_name: Option<String>,
            invited_by: Option<String>,
            created_at: i64,
            expires_at: i64,
        }
        #[derive(Deserialize)]
        struct GrantRow {
            id: String,
            email: String,
            account_id: i64,
            roles: String,
            invited_by: Option<String>,
            created_at: i64,
            expires_at: i64,
        }
        let now = Arg::num(self.now().unix_seconds() as f64);
        let invitations: Vec<InvitationRow> = self
            .rows(stmt(
                sql::PENDING_INVITATIONS,
                vec![scope_arg(scope), now.clone()],
            ))
            .await?;
        let mut links: Vec<PendingLink> = invitations
            .into_iter()
            .map(|r| PendingLink {
                id: r.id,
                kind: "invitation",
                email: r.email,
                roles: vec![PendingRole {
                    role: r.role,
                    unit_id: r.unit_id,
                    unit_name: r.unit_name,
                }],
                invited_by: r.invited_by,
                created_at: r.created_at,
                expires_at: r.expires_at,
                account_id: None,
            })
            .collect();
        if matches!(scope, Scope::All) {
            let grants: Vec<GrantRow> =
                self.rows(stmt(sql::PENDING_GRANT_LINKS, vec![now])).await?;
            for r in grants {
                let roles: Vec<(String, Option<i64>, Option<String>)> =
                    serde_json::from_str(&r.roles).unwrap_or_default();
                links.push(PendingLink {
                    id: r.id,
                    kind: if roles.is_empty() {
                        "password_reset"
                    } else {
                        "roles"
                    },
                    email: r.email,
                    roles: roles
                        .into_iter()
                        .map(|(role, unit_id, unit_name)| PendingRole {
                            role,
                            unit_id,
                            unit_name,
                        })
                        .collect(),
                    invited_by: r.invited_by,
                    created_at: r.created_at,
                    expires_at: r.expires_at,
                    account_id: Some(r.account_id),
                });
            }
        }
        Ok(links)
    }

    async fn revoke_link(
        &self,
        scope: &Scope,
        link: &PendingLink,
        audit: &Audit,
    ) -> Result<bool, StoreError> {
        let query = if link.account_id.is_some() {
            sql::REVOKE_GRANT_LINK
        } else {
            sql::REVOKE_INVITATION
        };
        let results = self
            .transaction(vec![
                stmt(
                    query,
                    vec![
                        Arg::text(&link.id),
                        Arg::num(audit.at.unix_seconds() as f64),
                        scope_arg(scope),
                    ],
                ),
                audit.statement(false),
            ])
            .await?;
        Ok(results.first().map(|r| r.changes) == Some(1))
    }
}
