//! The audit log's routes, declared once (`routes::Def`); they answer in `handlers.rs`, and
//! their OpenAPI entries are in `openapi.json` beside this file.

use crate::account::AccountId;
use crate::routes::{Def, Method::*, Route};

/// An audit request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditRoute<'a> {
    /// The audit log through the caller's scope: a page as JSON, or every entry as CSV.
    Log,
    /// Open invitations and grant links in the caller's scope.
    Pending,
    /// An open invitation or grant link ended (its id: 16 hex digits of its stored hash).
    RevokeLink { id: &'a str },
    /// A one-time link back into an account whose owner forgot the password (superadmins).
    /// An id that does not parse is `None`: a 404 after authentication.
    ResetLink { account: Option<AccountId> },
}

fn audit(r: AuditRoute<'_>) -> Option<Route<'_>> {
    Some(Route::Audit(r))
}

pub const ROUTES: &[Def] = &[
    Def::new(Get, "/api/v1/admin/audit", |_| audit(AuditRoute::Log)),
    Def::new(Get, "/api/v1/admin/invitations", |_| {
        audit(AuditRoute::Pending)
    }),
    Def::new(Delete, "/api/v1/admin/invitations/{id}", |p| {
        audit(AuditRoute::RevokeLink { id: p.text() })
    }),
    Def::new(Post, "/api/v1/admin/accounts/{id}/reset-link", |p| {
        audit(AuditRoute::ResetLink {
            account: p.account(),
        })
    }),
];
