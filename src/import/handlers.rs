//! Import and export on Workers: the HR list in (CSV, dry run by default) and out.

use super::routes::ImportRoute;
use crate::account::Principal;
use crate::api::ApiError;
use crate::glue::http::{self, invalid, ok_json, Answer};
use crate::glue::App;
use crate::org::UnitId;
use worker::Request;

/// Answers an import or export route for a signed-in caller.
pub async fn dispatch(app: &App, req: &mut Request, p: &Principal, route: ImportRoute) -> Answer {
    match route {
        ImportRoute::Import => import(app, req, p).await,
        ImportRoute::Export => export(app, req, p).await,
    }
}

fn unit_param(req: &Request) -> std::result::Result<UnitId, ApiError> {
    http::query(req, "unit")
        .and_then(|u| UnitId::parse_str(&u))
        .ok_or_else(|| invalid("unit", "must be the id of a unit"))
}

async fn import(app: &App, req: &mut Request, p: &Principal) -> Answer {
    let unit = unit_param(req)?;
    let dry_run = match http::query(req, "dry_run").as_deref() {
        None | Some("true" | "1") => true,
        Some("false" | "0") => false,
        Some(_) => return Err(invalid("dry_run", "must be true or false")),
    };
    if !http::has_content_type(req, "text/csv") {
        return Err(ApiError::unsupported_media_type("text/csv"));
    }
    let body = http::body(req).await?;
    let report = super::import(&app.store, p, unit, &body, dry_run, app.now).await?;
    ok_json(200, &report)
}

async fn export(app: &App, req: &Request, p: &Principal) -> Answer {
    let unit = unit_param(req)?;
    let csv = super::export(&app.store, p, unit).await?;
    let mut resp = http::file(
        "text/csv; charset=utf-8",
        csv.into_bytes(),
        "private, no-store",
    )?;
    resp.headers_mut().set(
        "content-disposition",
        &format!("attachment; filename=\"employees-{}.csv\"", unit.get()),
    )?;
    Ok(resp)
}
