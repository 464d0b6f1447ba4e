//! The directory's routes, declared once (`routes::Def`); they answer in `handlers.rs`, and
//! their OpenAPI entries are in `openapi.json` beside this file.

use crate::org::UnitId;
use crate::routes::{Def, Method::*, Route};

/// A directory request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryRoute {
    /// Units and employees by a part of their name, in the caller's subtrees.
    Search,
    /// Every employee in the caller's subtrees with their unit and code status, a page at a time.
    Employees,
    /// Codes for every employee of a unit who has none (unit admins). An id that does not
    /// parse is `None`: a 404 after authentication.
    IssueMissing { unit: Option<UnitId> },
}

fn directory(r: DirectoryRoute) -> Option<Route<'static>> {
    Some(Route::Directory(r))
}

pub const ROUTES: &[Def] = &[
    Def::new(Get, "/api/v1/admin/search", |_| {
        directory(DirectoryRoute::Search)
    }),
    Def::new(Get, "/api/v1/admin/employees", |_| {
        directory(DirectoryRoute::Employees)
    }),
    Def::new(Post, "/api/v1/admin/units/{id}/issue-codes", |p| {
        directory(DirectoryRoute::IssueMissing { unit: p.unit() })
    }),
];
