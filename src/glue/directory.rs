//! Handlers of the directory (`crate::directory`): search, the employee list, bulk codes.

use super::admin::{fail, ok_json};
use super::{http, json_body, App};
use crate::account::Principal;
use crate::admin::AdminError;
use crate::directory::{self, BulkIn, ListQuery};
use crate::org::UnitId;
use worker::{Request, Response, Result};

pub async fn search(app: &App, req: &Request, p: &Principal) -> Result<Response> {
    let q = http::query(req, "q").unwrap_or_default();
    match directory::search(&app.store, p, &q).await {
        Ok(found) => ok_json(200, &found),
        Err(e) => fail(&e),
    }
}

pub async fn employees(app: &App, req: &Request, p: &Principal) -> Result<Response> {
    let query = ListQuery {
        q: http::query(req, "q"),
        status: http::query(req, "status"),
        unit: http::query(req, "unit"),
        channel: http::query(req, "channel"),
        page: http::query(req, "page"),
    };
    match directory::employees(&app.store, p, &query).await {
        Ok(list) => ok_json(200, &list),
        Err(e) => fail(&e),
    }
}

pub async fn issue_missing(
    app: &App,
    req: &mut Request,
    p: &Principal,
    unit: Option<UnitId>,
) -> Result<Response> {
    let body: BulkIn = match json_body(req).await {
        Ok(b) => b,
        Err(e) => return http::api_error(&e),
    };
    let Some(unit) = unit else {
        return fail(&AdminError::NotFound("unit"));
    };
    match directory::issue_missing(
        &app.store,
        app.ring.signing_key_id(),
        p,
        unit,
        &body,
        app.now,
    )
    .await
    {
        Ok(done) => ok_json(200, &done),
        Err(e) => fail(&e),
    }
}
