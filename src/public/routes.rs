//! The public results' and the receipt check's routes, declared once (`routes::Def`); they
//! answer in `handlers.rs`, and the API ones are in `openapi.json` beside this file.

use crate::routes::{Def, Method::*, Route};

/// A public request: anyone may make it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicRoute<'a> {
    /// The public results page (HTML), when `PUBLIC_RESULTS` is on.
    Page,
    /// The same figures as open data (JSON).
    Data,
    /// Anyone holding a receipt checks it against the month's published digest.
    Receipt { code: &'a str },
}

fn public(r: PublicRoute<'_>) -> Option<Route<'_>> {
    Some(Route::Public(r))
}

pub const ROUTES: &[Def] = &[
    Def::new(Get, "/results", |_| public(PublicRoute::Page)).public(),
    Def::new(Get, "/api/v1/public/results", |_| public(PublicRoute::Data)).public(),
    Def::new(Get, "/api/v1/public/receipts/{code}", |p| {
        public(PublicRoute::Receipt { code: p.text() })
    })
    .public(),
];
