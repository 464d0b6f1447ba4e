//! The poster pages' routes, declared once (`routes::Def`); they answer in `handlers.rs`. They
//! are pages opened from the admin page, not API operations, so OpenAPI does not list them.

use crate::org::{EmployeeId, UnitId};
use crate::routes::{Def, Method::*, Route};

/// A poster page. An id that does not parse is `None`: a 404 after authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosterRoute {
    /// One employee's poster for their current code.
    Employee { employee: Option<EmployeeId> },
    /// Every poster of a unit's subtree.
    Unit { unit: Option<UnitId> },
}

fn poster(r: PosterRoute) -> Option<Route<'static>> {
    Some(Route::Poster(r))
}

pub const ROUTES: &[Def] = &[
    Def::new(Get, "/admin/employees/{id}/poster", |p| {
        poster(PosterRoute::Employee {
            employee: p.employee(),
        })
    }),
    Def::new(Get, "/admin/units/{id}/posters", |p| {
        poster(PosterRoute::Unit { unit: p.unit() })
    }),
];
