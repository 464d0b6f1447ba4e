//! The results' routes, declared once (`routes::Def`): dispatch, the `Allow` header,
//! authorisation and the OpenAPI drift test all read this table. Each answers in
//! `handlers.rs` (`dispatch`); the OpenAPI entries are in `openapi.json` beside it.

use crate::org::{EmployeeId, UnitId};
use crate::routes::{Def, Method::*, Route};

/// A results request. Ids that do not parse are `None`: a 404 after authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsRoute {
    /// A unit's results over a period, its subtree's votes included.
    UnitResults {
        unit: Option<UnitId>,
    },
    /// A unit's monthly report: JSON, CSV or the printable page.
    MonthlyReport {
        unit: Option<UnitId>,
    },
    EmployeeResults {
        employee: Option<EmployeeId>,
    },
    DirectionResults,
    /// Comments in the caller's read scope.
    Comments,
    /// The roll-up recomputed over a range of days.
    Recompute,
    /// Flagged votes waiting for review, and the decisions on them.
    FlaggedVotes,
    DecideFlagged,
    /// Votes rejected in review, and undoing one's rejection or several at once.
    RejectedVotes,
    UndoRejections,
    UndoRejection {
        vote: Option<i64>,
    },
    /// The feedback inbox: cases, the overdue ones, a case's state changed.
    Cases,
    OverdueCases,
    ChangeCase {
        id: Option<i64>,
    },
}

fn results(r: ResultsRoute) -> Option<Route<'static>> {
    Some(Route::Results(r))
}

pub const ROUTES: &[Def] = &[
    Def::new(Get, "/api/v1/admin/results/units/{id}", |p| {
        results(ResultsRoute::UnitResults { unit: p.unit() })
    }),
    Def::new(Get, "/api/v1/admin/results/units/{id}/monthly", |p| {
        results(ResultsRoute::MonthlyReport { unit: p.unit() })
    }),
    Def::new(Get, "/api/v1/admin/results/employees/{id}", |p| {
        results(ResultsRoute::EmployeeResults {
            employee: p.employee(),
        })
    }),
    Def::new(Get, "/api/v1/admin/results/directions", |_| {
        results(ResultsRoute::DirectionResults)
    }),
    Def::new(Get, "/api/v1/admin/results/comments", |_| {
        results(ResultsRoute::Comments)
    }),
    Def::new(Post, "/api/v1/admin/results/recompute", |_| {
        results(ResultsRoute::Recompute)
    }),
    // Review of flagged votes, and the feedback inbox's cases.
    Def::new(Get, "/api/v1/admin/review", |_| {
        results(ResultsRoute::FlaggedVotes)
    }),
    Def::new(Post, "/api/v1/admin/review", |_| {
        results(ResultsRoute::DecideFlagged)
    }),
    Def::new(Get, "/api/v1/admin/review/rejected", |_| {
        results(ResultsRoute::RejectedVotes)
    }),
    Def::new(Post, "/api/v1/admin/review/rejected/{id}/undo", |p| {
        results(ResultsRoute::UndoRejection { vote: p.row_id() })
    }),
    Def::new(Post, "/api/v1/admin/review/rejected/undo", |_| {
        results(ResultsRoute::UndoRejections)
    }),
    Def::new(Get, "/api/v1/admin/cases", |_| results(ResultsRoute::Cases)),
    Def::new(Get, "/api/v1/admin/cases/overdue", |_| {
        results(ResultsRoute::OverdueCases)
    }),
    // `cases/overdue` is a list, not a case: PATCH there is a 405, as on any list.
    Def::new(Patch, "/api/v1/admin/cases/{id}", |p| {
        (p.text() != "overdue")
            .then_some(Route::Results(ResultsRoute::ChangeCase { id: p.row_id() }))
    }),
];
