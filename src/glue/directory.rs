//! Handlers of the directory (`crate::directory`): search, the employee list, bulk codes.

use super::http::ok_json;
use super::http::{self, Answer};
use super::http::json_body;
use super::App;
use crate::account::Principal;
use crate::admin::AdminError;
use crate::directory::{self, BulkIn, ListQuery};
use crate::org::UnitId;
use worker::Request;

pub async fn search(app: &App, req: &Request, p: &Principal) -> Answer {
    let q = http::query(req, "q").unwrap_or_default();
    let found = directory::search(&app.store, p, &q).await?;
    ok_json(200, &found)
}

pub async fn employees(app: &App, req: &Request, p: &Principal) -> Answer {
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

pub async fn issue_missing(
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
