//! The one-time codes' routes, declared once (`routes::Def`): dispatch, the `Allow` header,
//! authorisation and the OpenAPI drift test all read this table. Each answers in
//! `handlers.rs`; the OpenAPI entries are in `openapi.json` beside it.

use crate::org::UnitId;
use crate::routes::{Def, Method::*, Route};

/// A one-time codes request. Ids that do not parse are `None`: a 404 after authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneTimeRoute {
    /// A new batch of codes for a unit's employees.
    Issue { unit: Option<UnitId> },
    /// A unit's last batches.
    Batches { unit: Option<UnitId> },
    /// One batch with its codes.
    Batch { id: Option<i64> },
    /// A batch ended early: its unused codes stop working.
    Revoke { id: Option<i64> },
    /// The printable slips of a batch (HTML).
    Slips { id: Option<i64> },
}

fn one_time(r: OneTimeRoute) -> Option<Route<'static>> {
    Some(Route::OneTime(r))
}

pub const ROUTES: &[Def] = &[
    Def::new(Post, "/api/v1/admin/units/{id}/one-time-codes", |p| {
        one_time(OneTimeRoute::Issue { unit: p.unit() })
    }),
    Def::new(Get, "/api/v1/admin/units/{id}/one-time-batches", |p| {
        one_time(OneTimeRoute::Batches { unit: p.unit() })
    }),
    Def::new(Get, "/api/v1/admin/one-time-batches/{id}", |p| {
        one_time(OneTimeRoute::Batch { id: p.row_id() })
    }),
    Def::new(Post, "/api/v1/admin/one-time-batches/{id}/revoke", |p| {
        one_time(OneTimeRoute::Revoke { id: p.row_id() })
    }),
    Def::new(Get, "/admin/one-time-batches/{id}/slips", |p| {
        one_time(OneTimeRoute::Slips { id: p.row_id() })
    }),
];
