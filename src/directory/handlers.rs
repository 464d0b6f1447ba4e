//! Handlers of the directory (`crate::directory`): search, the employee list, bulk codes.

use super::routes::DirectoryRoute;
use crate::account::Principal;
use crate::admin::AdminError;
use crate::directory::{self, BulkIn, ListQuery};
use crate::glue::http::{self, json_body, ok_json, Answer};
use crate::glue::App;
use crate::org::UnitId;
use worker::Request;

/// Answers a directory route for a signed-in caller.
pub async fn dispatch(
    app: &App,
    req: &mut Request,
    p: &Principal,
    route: DirectoryRoute,
) -> Answer {
    match route {
        DirectoryRoute::Search => search(app, req, p).await,
        DirectoryRoute::Employees => employees(app, req, p).await,
        DirectoryRoute::IssueMissing { unit } => issue_missing(app, req, p, unit).await,
    }
}

async fn search(app: &App, req: &Request, p: &Principal) -> Answer {
    let q = http::query(req, "q").unwrap_or_default();
    let found = directory::search(&app.store, p, &q).await?;
    ok_json(200, &found)
}

async fn employees(app: &App, req: &Request, p: &Principal) -> Answer {
    let query = ListQuery {
        q: http::query(req, "q"),
        status: http::query(req, "status"),
        unit: http::query(req, "unit"),
        channel: http::query(req, "channel"),
        page: http::query(req, "page"),
    };
    let list = directory::employees(&app.store, p, &query).await?;
    ok_json(200, &list)
}

async fn issue_missing(
    app: &App,
    req: &mut Request,
    p: &Principal,
    unit: Option<UnitId>,
) -> Answer {
    let body: BulkIn = json_body(req).await?;
    let Some(unit) = unit else {
        return Err(AdminError::NotFound("unit").into());
    };
    let done = directory::issue_missing(
        &app.store,
        app.ring.signing_key_id(),
        p,
        unit,
        &body,
        app.now,
    )
    .await?;
    ok_json(200, &done)
}
