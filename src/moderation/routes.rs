//! The routes of appeals and comment moderation, declared once (`routes::Def`); they answer
//! in `handlers.rs`, and their OpenAPI entries are in `openapi.json` beside this file.

use crate::routes::{Def, Method::*, Route};

/// An appeals or moderation request. A vote id that does not parse is `None`: a 404 after
/// authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModerationRoute {
    /// A unit admin appeals a vote about one of their employees.
    FileAppeal { vote: Option<i64> },
    /// Appeals within the caller's subtrees, newest first.
    Appeals,
    /// An administrator above both the vote's unit and the filer upholds or dismisses it.
    DecideAppeal { vote: Option<i64> },
    /// A comment published (as written or shortened) or withheld.
    ModerateComment { vote: Option<i64> },
}

fn moderation(r: ModerationRoute) -> Option<Route<'static>> {
    Some(Route::Moderation(r))
}

pub const ROUTES: &[Def] = &[
    Def::new(Post, "/api/v1/admin/votes/{id}/appeal", |p| {
        moderation(ModerationRoute::FileAppeal { vote: p.row_id() })
    }),
    Def::new(Get, "/api/v1/admin/appeals", |_| {
        moderation(ModerationRoute::Appeals)
    }),
    Def::new(Post, "/api/v1/admin/appeals/{id}", |p| {
        moderation(ModerationRoute::DecideAppeal { vote: p.row_id() })
    }),
    Def::new(Post, "/api/v1/admin/comments/{id}/moderation", |p| {
        moderation(ModerationRoute::ModerateComment { vote: p.row_id() })
    }),
];
