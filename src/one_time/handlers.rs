//! The one-time codes' handlers on Workers: each parses its input, calls one use case of
//! `one_time` on D1 and renders the answer.

use super::routes::OneTimeRoute;
use crate::account::Principal;
use crate::admin::AdminError;
use crate::api::ApiError;
use crate::glue::http::{self, json_body, ok_json, Answer};
use crate::glue::App;
use crate::{poster, qr};
use worker::Request;

/// Answers a one-time codes route for a signed-in caller.
pub async fn dispatch(app: &App, req: &mut Request, p: &Principal, route: OneTimeRoute) -> Answer {
    match route {
        OneTimeRoute::Issue { unit } => {
            issue(app, req, p, unit.ok_or_else(|| not_found("unit"))?).await
        }
        OneTimeRoute::Batches { unit } => {
            batches(app, p, unit.ok_or_else(|| not_found("unit"))?).await
        }
        OneTimeRoute::Batch { id } => batch(app, p, id.ok_or_else(|| not_found("batch"))?).await,
        OneTimeRoute::Revoke { id } => revoke(app, p, id.ok_or_else(|| not_found("batch"))?).await,
        OneTimeRoute::Slips { id } => {
            slips(app, req, p, id.ok_or_else(|| not_found("batch"))?).await
        }
    }
}

fn not_found(what: &'static str) -> ApiError {
    AdminError::NotFound(what).into()
}

/// This instance's codes: its keys, address, `HOME_SHARD` and `MIN_VOTES`.
fn issuer(app: &App) -> super::Issuer<'_> {
    super::Issuer {
        ring: &app.ring,
        base: &app.base_url,
        shard: app.shards.home(),
        min_votes: app.min_votes,
    }
}

async fn issue(app: &App, req: &mut Request, p: &Principal, unit: crate::org::UnitId) -> Answer {
    let body: super::BatchIn = json_body(req).await?;
    let request = super::BatchRequest::parse(&body)?;
    let batch = super::issue(&app.store, issuer(app), p, unit, &request, app.now).await?;
    ok_json(201, &batch)
}

async fn batches(app: &App, p: &Principal, unit: crate::org::UnitId) -> Answer {
    let list = super::batches(&app.store, issuer(app), p, unit).await?;
    ok_json(200, &serde_json::json!({ "batches": list }))
}

async fn batch(app: &App, p: &Principal, id: i64) -> Answer {
    let batch = super::codes_of(&app.store, issuer(app), p, id).await?;
    ok_json(200, &batch)
}

async fn revoke(app: &App, p: &Principal, id: i64) -> Answer {
    super::revoke(&app.store, p, id, app.now).await?;
    Ok(http::no_content()?)
}

/// The batch's codes as slips to print and cut out (HTML).
async fn slips(app: &App, req: &Request, p: &Principal, id: i64) -> Answer {
    let batch = super::codes_of(&app.store, issuer(app), p, id).await?;
    if batch.batch.revoked_at.is_some() {
        return Err(AdminError::Conflict("this batch is revoked").into());
    }
    // Every code, used or not: leaving the used ones out would tell, code by code, which
    // were used (docs/privacy.md). A used code reprinted only answers that it was used.
    let prepared: Vec<(String, &super::Slip)> = batch
        .codes
        .iter()
        .filter_map(|c| Some((qr::svg(&c.url).ok()?, c)))
        .collect();
    let cards: Vec<poster::SlipCard> = prepared
        .iter()
        .map(|(svg, c)| poster::SlipCard {
            name: &c.name,
            position: &c.position,
            serial: c.serial,
            display_url: &c.display_url,
            qr_svg: svg,
        })
        .collect();
    let ui = app.page_lang(req, None);
    // The last day the codes work, in UTC like every date the admin page prints.
    let until = crate::clock::Timestamp::from_unix_seconds(batch.batch.expires_at - 1).utc_day();
    Ok(http::admin_html(
        200,
        poster::slips_page(
            ui,
            &app.poster_langs(),
            &batch.batch.unit,
            batch.batch.document.as_deref(),
            &until,
            &cards,
        ),
    )?)
}
