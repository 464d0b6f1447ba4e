//! The handlers of appeals and comment moderation on Workers: each parses its input, calls
//! one use case and renders the answer.

use super::routes::ModerationRoute;
use crate::account::Principal;
use crate::admin::AdminError;
use crate::glue::http::{self, invalid, json_body, ok_json, query_id, Answer};
use crate::glue::zones::by_part_of_day;
use crate::glue::App;
use worker::Request;

/// Answers an appeals or moderation route for a signed-in caller.
pub async fn dispatch(
    app: &App,
    req: &mut Request,
    p: &Principal,
    route: ModerationRoute,
) -> Answer {
    match route {
        ModerationRoute::FileAppeal { vote } => file_appeal(app, req, p, vote).await,
        ModerationRoute::Appeals => appeals(app, req, p).await,
        ModerationRoute::DecideAppeal { vote } => decide_appeal(app, req, p, vote).await,
        ModerationRoute::ModerateComment { vote } => moderate(app, req, p, vote).await,
    }
}

// --- appeals ----------------------------------------------------------------------------------

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AppealBody {
    reason: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AppealDecisionBody {
    decision: String,
    #[serde(default)]
    note: Option<String>,
}

async fn file_appeal(app: &App, req: &mut Request, p: &Principal, vote: Option<i64>) -> Answer {
    let body: AppealBody = json_body(req).await?;
    let Some(vote) = vote else {
        return Err(AdminError::NotFound("vote").into());
    };
    super::appeal::file(&app.store, p, vote, &body.reason, app.now).await?;
    ok_json(
        201,
        &serde_json::json!({ "vote_id": vote, "status": "open" }),
    )
}

async fn appeals(app: &App, req: &Request, p: &Principal) -> Answer {
    let before = query_id(req, "before")?;
    let open_only = match http::query(req, "status").as_deref() {
        None | Some("" | "all") => false,
        Some("open") => true,
        Some(_) => return Err(invalid("status", "must be open or all")),
    };
    let mut list = super::appeal::list(&app.store, p, open_only, before).await?;
    let zones = crate::glue::zones::IntlZones::default();
    for a in &mut list {
        by_part_of_day(&zones, &mut a.voted_at, &a.zone, &mut a.day, &mut a.part);
    }
    ok_json(200, &serde_json::json!({ "appeals": list }))
}

async fn decide_appeal(app: &App, req: &mut Request, p: &Principal, vote: Option<i64>) -> Answer {
    let body: AppealDecisionBody = json_body(req).await?;
    let Some(vote) = vote else {
        return Err(AdminError::NotFound("appeal").into());
    };
    let decision = super::appeal::Decision::parse(&body.decision)?;
    super::appeal::decide(&app.store, p, vote, decision, body.note.as_deref(), app.now).await?;
    Ok(http::no_content()?)
}

// --- comment moderation ------------------------------------------------------------------------

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ModerationBody {
    decision: String,
    #[serde(default)]
    text: Option<String>,
}

async fn moderate(app: &App, req: &mut Request, p: &Principal, vote: Option<i64>) -> Answer {
    let body: ModerationBody = json_body(req).await?;
    let Some(vote) = vote else {
        return Err(AdminError::NotFound("comment").into());
    };
    let decision = super::Decision::parse(&body.decision, body.text.as_deref())?;
    super::moderate(&app.store, p, vote, &decision, app.now).await?;
    // The public pages list published comments: they get new cache keys.
    crate::public::handlers::renew_versions(&app.store, app.now).await;
    Ok(http::no_content()?)
}
