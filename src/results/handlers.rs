//! Results handlers: the report views, comments, recompute and the monthly report (admin), and
//! the public results (only when `PUBLIC_RESULTS` is "on").

use crate::account::Principal;
use crate::admin::AdminError;
use crate::api::ApiError;
use crate::clock::parse_iso_day;
use crate::glue::http::ok_json;
use crate::glue::http::{self, invalid, query_id, Answer};
use crate::glue::zones::by_part_of_day;
use crate::glue::App;
use crate::org::{EmployeeId, UnitId};
use crate::results::page;
use crate::results::report::{self, month_key, Period, PeriodKind};
use crate::results::routes::ResultsRoute;
use crate::results::store::CommentFilter;
use crate::results::{self, ViewSettings};
use crate::store::Store;
use worker::Request;

fn today(app: &App) -> chrono::NaiveDate {
    parse_iso_day(&app.now.utc_day()).unwrap_or_default()
}

fn period(app: &App, req: &Request) -> std::result::Result<Period, ApiError> {
    Period::parse(
        http::query(req, "period").as_deref(),
        http::query(req, "date").as_deref(),
        http::query(req, "from").as_deref(),
        http::query(req, "to").as_deref(),
        today(app),
    )
    .map_err(ApiError::from)
}

async fn settings(app: &App) -> std::result::Result<ViewSettings, AdminError> {
    let scale = app.store.scale().await?;
    Ok(ViewSettings {
        levels: scale.levels().iter().map(|l| i64::from(l.value)).collect(),
        min_votes: app.min_votes,
        signed_weight: app.signed_weight,
    })
}

/// What every results view needs: its period (a bad one is 422) and the scale's settings.
async fn view_inputs(
    app: &App,
    req: &Request,
) -> std::result::Result<(Period, ViewSettings), ApiError> {
    Ok((period(app, req)?, settings(app).await?))
}

fn live_clock<'a>(
    app: &'a App,
    zones: &'a crate::glue::zones::IntlZones,
) -> results::LiveClock<'a, crate::glue::zones::IntlZones> {
    results::LiveClock {
        zones,
        now: app.now.unix_seconds(),
        default_zone: app.default_timezone,
    }
}

/// The results' routes, each to its handler (all signed in).
pub async fn dispatch(app: &App, req: &mut Request, p: &Principal, route: ResultsRoute) -> Answer {
    match route {
        ResultsRoute::UnitResults { unit } => unit_results(app, req, p, unit).await,
        ResultsRoute::EmployeeResults { employee } => employee_results(app, req, p, employee).await,
        ResultsRoute::DirectionResults => direction_results(app, req, p).await,
        ResultsRoute::Comments => comments(app, req, p).await,
        ResultsRoute::Recompute => recompute(app, req, p).await,
        ResultsRoute::MonthlyReport { unit } => monthly_report(app, req, p, unit).await,
        ResultsRoute::FlaggedVotes => flagged(app, req, p).await,
        ResultsRoute::DecideFlagged => decide(app, req, p).await,
        ResultsRoute::RejectedVotes => rejected(app, req, p).await,
        ResultsRoute::UndoRejection { vote } => undo_rejection(app, p, vote).await,
        ResultsRoute::UndoRejections => undo_rejections(app, req, p).await,
        ResultsRoute::Cases => cases(app, req, p).await,
        ResultsRoute::OverdueCases => overdue(app, p).await,
        ResultsRoute::ChangeCase { id } => change_case(app, req, p, id).await,
    }
}

pub async fn unit_results(app: &App, req: &Request, p: &Principal, unit: Option<UnitId>) -> Answer {
    let (period, s) = view_inputs(app, req).await?;
    let Some(unit) = unit else {
        return Err(AdminError::NotFound("unit").into());
    };
    let zones = crate::glue::zones::IntlZones::default();
    let clock = live_clock(app, &zones);
    ok_json(
        200,
        &results::unit_results(&app.store, &p.read_scope(), unit, period, &s, &clock).await?,
    )
}

pub async fn employee_results(
    app: &App,
    req: &Request,
    p: &Principal,
    employee: Option<EmployeeId>,
) -> Answer {
    let (period, s) = view_inputs(app, req).await?;
    let Some(employee) = employee else {
        return Err(AdminError::NotFound("employee").into());
    };
    let zones = crate::glue::zones::IntlZones::default();
    let clock = live_clock(app, &zones);
    ok_json(
        200,
        &results::employee_results(&app.store, p, employee, period, &s, &clock).await?,
    )
}

pub async fn direction_results(app: &App, req: &Request, p: &Principal) -> Answer {
    let (period, s) = view_inputs(app, req).await?;
    let zones = crate::glue::zones::IntlZones::default();
    let clock = live_clock(app, &zones);
    ok_json(
        200,
        &results::direction_results(&app.store, p, period, &s, &clock).await?,
    )
}

pub async fn comments(app: &App, req: &Request, p: &Principal) -> Answer {
    let period = period(app, req)?;
    let (unit, employee, score, before) = (
        query_id(req, "unit")?,
        query_id(req, "employee")?,
        query_id(req, "score")?,
        query_id(req, "before")?,
    );
    let with_contact = match http::query(req, "contact").as_deref() {
        None | Some("") => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(_) => return Err(invalid("contact", "must be yes or no")),
    };
    let (start, end) = crate::clock::DayRange {
        from: period.from,
        to: period.to,
    }
    .unix_bounds();
    let filter = CommentFilter {
        scope: None,
        unit,
        employee,
        score,
        with_contact,
        start,
        end,
        before,
    };
    let mut list = results::comments(&app.store, p, filter).await?;
    let zones = crate::glue::zones::IntlZones::default();
    for c in list.iter_mut().filter(|c| c.contact.is_none()) {
        by_part_of_day(&zones, &mut c.at, &c.zone, &mut c.day, &mut c.part);
    }
    let next = (list.len() == 50)
        .then(|| list.last().map(|c| c.vote_id))
        .flatten();
    ok_json(
        200,
        &serde_json::json!({ "comments": list, "next_before": next }),
    )
}

pub async fn recompute(app: &App, req: &Request, p: &Principal) -> Answer {
    if !p.is_superadmin() {
        return Err(AdminError::Forbidden.into());
    }
    let period = Period::parse(
        Some("custom"),
        None,
        http::query(req, "from").as_deref(),
        http::query(req, "to").as_deref(),
        today(app),
    )?;
    let r = results::recompute(
        &app.store,
        &crate::glue::zones::IntlZones::default(),
        p,
        period,
        app.now,
    )
    .await?;
    ok_json(200, &r)
}

pub async fn monthly_report(
    app: &App,
    req: &Request,
    p: &Principal,
    unit: Option<UnitId>,
) -> Answer {
    let month = http::query(req, "month").unwrap_or_else(|| {
        month_key(
            Period::around(PeriodKind::Month, today(app))
                .previous()
                .from,
        )
    });
    if Period::month(&month).is_err() {
        return Err(report::PeriodError::BadMonth.into());
    }
    let Some(unit) = unit else {
        return Err(AdminError::NotFound("unit").into());
    };
    let format = http::query(req, "format").unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv" | "html") {
        return Err(invalid("format", "must be json, csv or html"));
    }
    let s = settings(app).await?;
    let zones = crate::glue::zones::IntlZones::default();
    let clock = results::ReportClock {
        zones: &zones,
        now: app.now.unix_seconds(),
        levels: &s.levels,
        min_votes: s.min_votes,
    };
    let (r, cost) = results::monthly_report(&app.store, p, unit, &month, &clock).await?;
    if let Some(c) = cost {
        worker::console_log!(
            "monthly report: month to date of unit {} ({month}) built from {} rows read",
            unit.get(),
            c.rows_read
        );
    }
    match format.as_str() {
        "csv" => {
            let name = format!("report-{}-{month}.csv", unit.get());
            download(
                report::monthly_report_csv(&r).into_bytes(),
                "text/csv; charset=utf-8",
                &name,
            )
        }
        "html" => {
            let lang = app.page_lang(req, None);
            Ok(http::html(200, page::monthly_page(lang, &r))?)
        }
        _ => ok_json(200, &r),
    }
}

fn download(body: Vec<u8>, content_type: &str, name: &str) -> Answer {
    let mut resp = http::file(content_type, body, "no-store")?;
    resp.headers_mut().set(
        "content-disposition",
        &format!("attachment; filename=\"{name}\""),
    )?;
    Ok(resp)
}

pub async fn flagged(app: &App, req: &Request, p: &Principal) -> Answer {
    let before = query_id(req, "before")?;
    let list = results::flagged(&app.store, p, before).await?;
    review_page(list)
}

/// A page of the review's votes (flagged or rejected), 100 at most. A reviewed vote's contact is
/// not read here: every one is shown by part of day.
fn review_page(mut list: Vec<crate::results::store::FlaggedView>) -> Answer {
    let zones = crate::glue::zones::IntlZones::default();
    for v in &mut list {
        by_part_of_day(&zones, &mut v.at, &v.zone, &mut v.day, &mut v.part);
    }
    let next = (list.len() == 100)
        .then(|| list.last().map(|v| v.vote_id))
        .flatten();
    ok_json(
        200,
        &serde_json::json!({ "votes": list, "next_before": next }),
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    votes: Vec<i64>,
    decision: String,
}

pub async fn decide(app: &App, req: &mut Request, p: &Principal) -> Answer {
    let body: DecisionBody = crate::glue::http::json_body(req).await?;
    let Some(decision) = results::Decision::parse(&body.decision) else {
        return Err(invalid("decision", "must be accept or reject"));
    };
    let changed = results::decide(&app.store, p, &body.votes, decision, app.now).await?;
    ok_json(200, &serde_json::json!({ "changed": changed }))
}

pub async fn rejected(app: &App, req: &Request, p: &Principal) -> Answer {
    let before = query_id(req, "before")?;
    let list = results::rejected(&app.store, p, before).await?;
    review_page(list)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct UndoBody {
    votes: Vec<i64>,
}

pub async fn undo_rejections(app: &App, req: &mut Request, p: &Principal) -> Answer {
    let body: UndoBody = crate::glue::http::json_body(req).await?;
    let changed = results::undo_rejections(&app.store, p, &body.votes, app.now).await?;
    ok_json(200, &serde_json::json!({ "changed": changed }))
}

pub async fn undo_rejection(app: &App, p: &Principal, vote: Option<i64>) -> Answer {
    let Some(vote) = vote else {
        return Err(AdminError::NotFound("vote").into());
    };
    results::undo_rejection(&app.store, p, vote, app.now).await?;
    ok_json(
        200,
        &serde_json::json!({ "vote_id": vote, "status": "flagged" }),
    )
}

pub async fn cases(app: &App, req: &Request, p: &Principal) -> Answer {
    let (unit, score, before) = (
        query_id(req, "unit")?,
        query_id(req, "score")?,
        query_id(req, "before")?,
    );
    let overdue = match http::query(req, "overdue").as_deref() {
        None | Some("" | "no") => false,
        Some("yes") => true,
        Some(_) => return Err(invalid("overdue", "must be yes or no")),
    };
    let filter = crate::results::store::CaseFilter {
        scope: None,
        unit,
        status: http::query(req, "status").filter(|s| !s.is_empty()),
        overdue,
        score,
        before,
        now: app.now.unix_seconds(),
    };
    let mut list = results::cases(&app.store, p, filter).await?;
    // The due date is the vote's moment plus the deadline: shown by its day alone.
    let zones = crate::glue::zones::IntlZones::default();
    for c in list.iter_mut().filter(|c| c.contact.is_none()) {
        by_part_of_day(&zones, &mut c.created_at, &c.zone, &mut c.day, &mut c.part);
        c.due_at = crate::vote_time::coarse(c.due_at, &c.zone, &zones).day_start;
    }
    let next = (list.len() == 50)
        .then(|| list.last().map(|c| c.vote_id))
        .flatten();
    ok_json(
        200,
        &serde_json::json!({ "cases": list, "next_before": next }),
    )
}

pub async fn overdue(app: &App, p: &Principal) -> Answer {
    let units = results::overdue(&app.store, p, app.now).await?;
    ok_json(200, &serde_json::json!({ "units": units }))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CasePatch {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    assignee_id: Option<i64>,
    #[serde(default)]
    note: Option<String>,
}

pub async fn change_case(app: &App, req: &mut Request, p: &Principal, id: Option<i64>) -> Answer {
    let body: CasePatch = crate::glue::http::json_body(req).await?;
    let Some(id) = id else {
        return Err(AdminError::NotFound("case").into());
    };
    let change = crate::results::store::CaseChange {
        status: body.status,
        assignee: body.assignee_id,
        note: body.note,
    };
    results::change_case(&app.store, p, id, change, app.now).await?;
    Ok(http::no_content()?)
}
