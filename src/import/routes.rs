//! Import and export routes, declared once (`routes::Def`); they answer in `handlers.rs`, and
//! their OpenAPI entries are in `openapi.json` beside this file.

use crate::routes::{BodyLimit, Def, Method::*, Route};

/// An import or export request; the unit is a query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportRoute {
    /// An HR list (CSV) checked, and written unless it is a dry run.
    Import,
    /// A unit's subtree as an HR list.
    Export,
}

fn import(r: ImportRoute) -> Option<Route<'static>> {
    Some(Route::Import(r))
}

pub const ROUTES: &[Def] = &[
    Def::new(Post, "/api/v1/admin/import", |_| {
        import(ImportRoute::Import)
    })
    .body(BodyLimit::Import),
    Def::new(Get, "/api/v1/admin/export.csv", |_| {
        import(ImportRoute::Export)
    }),
];
