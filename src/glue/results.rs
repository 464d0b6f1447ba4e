//! Results handlers: the report views, comments, recompute and the monthly report (admin), and
//! the public results (only when `PUBLIC_RESULTS` is "on").

use super::admin::{fail, ok_json};
use super::{http, App};
use crate::account::{Principal, Scope};
use crate::admin::AdminError;
use crate::api::ApiError;
use crate::clock::{iso_day, parse_iso_day};
use crate::org::{EmployeeId, UnitId};
use crate::report::{self, month_key, tally_by_key, Figures, Period, PeriodKind, Tally};
use crate::results::{self, ViewSettings};
use crate::results_page::{self, PublicView};
use crate::store::admin::AdminStore;
use crate::store::results::{CommentFilter, ResultsStore, StatQuery};
use crate::store::Store;
use worker::{console_error, Request, Response, Result};

/// The moment of an anonymous vote as managers see it: `at` becomes the start of its part of
/// the unit's local day (`vote_time`). Votes with a contact keep their moment.
fn by_part_of_day(
    zones: &super::zones::IntlZones,
    at: &mut i64,
    zone: &str,
    day: &mut Option<String>,
    part: &mut Option<crate::vote_time::PartOfDay>,
) -> i64 {
    let c = crate::vote_time::coarse(*at, zone, zones);
    *at = c.at;
    *day = Some(c.day);
    *part = Some(c.part);
    c.day_start
}

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
    .map_err(|e| (&e).into())
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
) -> std::result::Result<(Period, ViewSettings), Result<Response>> {
    let period = period(app, req).map_err(|e| http::api_error(&e))?;
    let s = settings(app).await.map_err(|e| fail(&e))?;
    Ok((period, s))
}

fn answer<T: serde::Serialize>(r: std::result::Result<T, AdminError>) -> Result<Response> {
    match r {
        Ok(v) => ok_json(200, &v),
        Err(e) => fail(&e),
    }
}

pub async fn unit_results(
    app: &App,
    req: &Request,
    p: &Principal,
    unit: Option<UnitId>,
) -> Result<Response> {
    let (period, s) = match view_inputs(app, req).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(unit) = unit else {
        return fail(&AdminError::NotFound("unit"));
    };
    answer(results::unit_results(&app.store, &p.read_scope(), unit, period, &s).await)
}

pub async fn employee_results(
    app: &App,
    req: &Request,
    p: &Principal,
    employee: Option<EmployeeId>,
) -> Result<Response> {
    let (period, s) = match view_inputs(app, req).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let Some(employee) = employee else {
        return fail(&AdminError::NotFound("employee"));
    };
    answer(results::employee_results(&app.store, p, employee, period, &s).await)
}

pub async fn direction_results(app: &App, req: &Request, p: &Principal) -> Result<Response> {
    let (period, s) = match view_inputs(app, req).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    answer(results::direction_results(&app.store, p, period, &s).await)
}

fn invalid(field: &'static str, reason: &str) -> Result<Response> {
    fail(&AdminError::Invalid {
        field,
        reason: reason.to_owned(),
    })
}

/// An optional positive id from the query; `Err` names the field when it is not one.
fn query_id(req: &Request, name: &'static str) -> std::result::Result<Option<i64>, &'static str> {
    match http::query(req, name) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..(1i64 << 53)).contains(n))
            .map(Some)
            .ok_or(name),
    }
}

pub async fn comments(app: &App, req: &Request, p: &Principal) -> Result<Response> {
    let period = match period(app, req) {
        Ok(p) => p,
        Err(e) => return http::api_error(&e),
    };
    let ids = (
        query_id(req, "unit"),
        query_id(req, "employee"),
        query_id(req, "score"),
        query_id(req, "before"),
    );
    let (unit, employee, score, before) = match ids {
        (Ok(u), Ok(e), Ok(s), Ok(b)) => (u, e, s, b),
        (Err(f), ..) | (_, Err(f), ..) | (_, _, Err(f), _) | (.., Err(f)) => {
            return invalid(f, "must be a positive whole number")
        }
    };
    let with_contact = match http::query(req, "contact").as_deref() {
        None | Some("") => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(_) => return invalid("contact", "must be yes or no"),
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
    match results::comments(&app.store, p, filter).await {
        Ok(mut list) => {
            let zones = super::zones::IntlZones::default();
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
        Err(e) => fail(&e),
    }
}

pub async fn recompute(app: &App, req: &Request, p: &Principal) -> Result<Response> {
    if !p.is_superadmin() {
        return fail(&AdminError::Forbidden);
    }
    let period = match Period::parse(
        Some("custom"),
        None,
        http::query(req, "from").as_deref(),
        http::query(req, "to").as_deref(),
        today(app),
    ) {
        Ok(p) => p,
        Err(e) => return http::api_error(&(&e).into()),
    };
    match results::recompute(
        &app.store,
        &super::zones::IntlZones::default(),
        p,
        period,
        app.now,
    )
    .await
    {
        Ok(r) => ok_json(200, &r),
        Err(e) => fail(&e),
    }
}

pub async fn monthly_report(
    app: &App,
    req: &Request,
    p: &Principal,
    unit: Option<UnitId>,
) -> Result<Response> {
    let month = http::query(req, "month").unwrap_or_else(|| {
        month_key(
            Period::around(PeriodKind::Month, today(app))
                .previous()
                .from,
        )
    });
    if Period::month(&month).is_err() {
        return http::api_error(&(&report::PeriodError::BadMonth).into());
    }
    let Some(unit) = unit else {
        return fail(&AdminError::NotFound("unit"));
    };
    let format = http::query(req, "format").unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv" | "html") {
        return invalid("format", "must be json, csv or html");
    }
    let r = match results::stored_monthly_report(&app.store, p, unit, &month).await {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
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
            http::html(200, results_page::monthly_page(lang, &r))
        }
        _ => ok_json(200, &r),
    }
}

fn download(body: Vec<u8>, content_type: &str, name: &str) -> Result<Response> {
    let mut resp = http::file(content_type, body, "no-store")?;
    resp.headers_mut().set(
        "content-disposition",
        &format!("attachment; filename=\"{name}\""),
    )?;
    Ok(resp)
}

pub async fn flagged(app: &App, req: &Request, p: &Principal) -> Result<Response> {
    let before = match query_id(req, "before") {
        Ok(b) => b,
        Err(f) => return invalid(f, "must be a positive whole number"),
    };
    match results::flagged(&app.store, p, before).await {
        Ok(mut list) => {
            // A flagged vote's contact is not read here: every one is shown by part of day.
            let zones = super::zones::IntlZones::default();
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
        Err(e) => fail(&e),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    votes: Vec<i64>,
    decision: String,
}

pub async fn decide(app: &App, req: &mut Request, p: &Principal) -> Result<Response> {
    let body: DecisionBody = match super::json_body(req).await {
        Ok(b) => b,
        Err(e) => return http::api_error(&e),
    };
    let Some(decision) = results::Decision::parse(&body.decision) else {
        return invalid("decision", "must be accept or reject");
    };
    match results::decide(&app.store, p, &body.votes, decision, app.now).await {
        Ok(changed) => ok_json(200, &serde_json::json!({ "changed": changed })),
        Err(e) => fail(&e),
    }
}

pub async fn cases(app: &App, req: &Request, p: &Principal) -> Result<Response> {
    let (unit, score, before) = match (
        query_id(req, "unit"),
        query_id(req, "score"),
        query_id(req, "before"),
    ) {
        (Ok(u), Ok(s), Ok(b)) => (u, s, b),
        (Err(f), ..) | (_, Err(f), _) | (.., Err(f)) => {
            return invalid(f, "must be a positive whole number")
        }
    };
    let overdue = match http::query(req, "overdue").as_deref() {
        None | Some("" | "no") => false,
        Some("yes") => true,
        Some(_) => return invalid("overdue", "must be yes or no"),
    };
    let filter = crate::store::results::CaseFilter {
        scope: None,
        unit,
        status: http::query(req, "status").filter(|s| !s.is_empty()),
        overdue,
        score,
        before,
        now: app.now.unix_seconds(),
    };
    match results::cases(&app.store, p, filter).await {
        Ok(mut list) => {
            // The due date is the vote's moment plus the deadline: shown by its day alone.
            let zones = super::zones::IntlZones::default();
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
        Err(e) => fail(&e),
    }
}

pub async fn overdue(app: &App, p: &Principal) -> Result<Response> {
    match results::overdue(&app.store, p, app.now).await {
        Ok(units) => ok_json(200, &serde_json::json!({ "units": units })),
        Err(e) => fail(&e),
    }
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

pub async fn change_case(
    app: &App,
    req: &mut Request,
    p: &Principal,
    id: Option<i64>,
) -> Result<Response> {
    let body: CasePatch = match super::json_body(req).await {
        Ok(b) => b,
        Err(e) => return http::api_error(&e),
    };
    let Some(id) = id else {
        return fail(&AdminError::NotFound("case"));
    };
    let change = crate::store::results::CaseChange {
        status: body.status,
        assignee: body.assignee_id,
        note: body.note,
    };
    match results::change_case(&app.store, p, id, change, app.now).await {
        Ok(()) => http::no_content(),
        Err(e) => fail(&e),
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

pub async fn file_appeal(
    app: &App,
    req: &mut Request,
    p: &Principal,
    vote: Option<i64>,
) -> Result<Response> {
    let body: AppealBody = match super::json_body(req).await {
        Ok(b) => b,
        Err(e) => return http::api_error(&e),
    };
    let Some(vote) = vote else {
        return fail(&AdminError::NotFound("vote"));
    };
    match crate::appeal::file(&app.store, p, vote, &body.reason, app.now).await {
        Ok(()) => ok_json(
            201,
            &serde_json::json!({ "vote_id": vote, "status": "open" }),
        ),
        Err(e) => fail(&e),
    }
}

pub async fn appeals(app: &App, req: &Request, p: &Principal) -> Result<Response> {
    let before = match query_id(req, "before") {
        Ok(b) => b,
        Err(f) => return invalid(f, "must be a positive whole number"),
    };
    let open_only = match http::query(req, "status").as_deref() {
        None | Some("" | "all") => false,
        Some("open") => true,
        Some(_) => return invalid("status", "must be open or all"),
    };
    match crate::appeal::list(&app.store, p, open_only, before).await {
        Ok(mut list) => {
            let zones = super::zones::IntlZones::default();
            for a in &mut list {
                by_part_of_day(&zones, &mut a.voted_at, &a.zone, &mut a.day, &mut a.part);
            }
            ok_json(200, &serde_json::json!({ "appeals": list }))
        }
        Err(e) => fail(&e),
    }
}

pub async fn decide_appeal(
    app: &App,
    req: &mut Request,
    p: &Principal,
    vote: Option<i64>,
) -> Result<Response> {
    let body: AppealDecisionBody = match super::json_body(req).await {
        Ok(b) => b,
        Err(e) => return http::api_error(&e),
    };
    let Some(vote) = vote else {
        return fail(&AdminError::NotFound("appeal"));
    };
    let decision = match crate::appeal::Decision::parse(&body.decision) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    match crate::appeal::decide(&app.store, p, vote, decision, body.note.as_deref(), app.now).await
    {
        Ok(()) => http::no_content(),
        Err(e) => fail(&e),
    }
}

// --- comment moderation ------------------------------------------------------------------------

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ModerationBody {
    decision: String,
    #[serde(default)]
    text: Option<String>,
}

pub async fn moderate(
    app: &App,
    req: &mut Request,
    p: &Principal,
    vote: Option<i64>,
) -> Result<Response> {
    let body: ModerationBody = match super::json_body(req).await {
        Ok(b) => b,
        Err(e) => return http::api_error(&e),
    };
    let Some(vote) = vote else {
        return fail(&AdminError::NotFound("comment"));
    };
    let decision = match crate::moderation::Decision::parse(&body.decision, body.text.as_deref()) {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    match crate::moderation::moderate(&app.store, p, vote, &decision, app.now).await {
        Ok(()) => http::no_content(),
        Err(e) => fail(&e),
    }
}

fn day_start(d: chrono::NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp())
}

// --- receipts --------------------------------------------------------------------------------

/// `GET /api/v1/public/receipts/{code}`: with public results on, anyone holding a receipt gets
/// its month's root and the path to it, or learns that it is not among the counted votes.
pub async fn check_receipt(app: &App, code: &str) -> Result<Response> {
    if !app.public_results {
        return http::api_error(&ApiError::not_found());
    }
    let Some(receipt) = crate::receipt::Receipt::parse(code) else {
        return invalid(
            "code",
            "a receipt is ten letters and digits, such as 7KQ2M-9XH4D",
        );
    };
    match results::check_receipt(&app.store, &receipt).await {
        Ok(check) => ok_json(200, &check),
        Err(e) => fail(&AdminError::Store(e)),
    }
}

// --- public results -------------------------------------------------------------------------

/// The month shown publicly: `?month=`, else the last closed month.
fn public_month(app: &App, req: &Request) -> std::result::Result<Period, report::PeriodError> {
    match http::query(req, "month") {
        Some(m) => Period::month(&m),
        None => Ok(Period::around(PeriodKind::Month, today(app)).previous()),
    }
}

fn public_figures(f: Figures) -> Figures {
    // Public results carry no counts that could narrow down a voter: no signed/comment/flag
    // counts, and no score below the minimum number of votes.
    Figures {
        signed: 0,
        anonymous: 0,
        comments: 0,
        flagged: 0,
        duplicates: 0,
        verified: 0,
        verified_average: None,
        signed_average: None,
        anonymous_average: None,
        weighted_average: None,
        signed_weight: 1,
        ..f
    }
}

pub async fn public_page(app: &App, req: &Request) -> Result<Response> {
    let lang = app.page_lang(req, None);
    if !app.public_results {
        return http::html(
            404,
            crate::pages::problem_page(lang, crate::pages::Problem::NotFound),
        );
    }
    let (Ok(period), Ok(unit)) = (public_month(app, req), query_id(req, "unit")) else {
        return http::html(
            400,
            crate::pages::problem_page(lang, crate::pages::Problem::NotFound),
        );
    };
    match public_view(app, period, unit).await {
        Ok(Some(view)) => {
            let mut resp = http::html(200, results_page::public_page(lang, &view))?;
            resp.headers_mut()
                .set("cache-control", "public, max-age=600")?;
            Ok(resp)
        }
        Ok(None) => http::html(
            404,
            crate::pages::problem_page(lang, crate::pages::Problem::NotFound),
        ),
        Err(e) => {
            console_error!("public results failed: {e}");
            http::html(
                503,
                crate::pages::problem_page(lang, crate::pages::Problem::Unavailable),
            )
        }
    }
}

async fn public_view(
    app: &App,
    period: Period,
    unit: Option<i64>,
) -> std::result::Result<Option<PublicView>, AdminError> {
    let s = settings(app).await?;
    let month = month_key(period.from);
    let fig = |f: Figures| public_figures(f);
    match unit {
        Some(u) => {
            let Some(unit) = UnitId::parse(u) else {
                return Ok(None);
            };
            let r = match results::unit_results(&app.store, &Scope::All, unit, period, &s).await {
                Ok(r) => r,
                Err(AdminError::NotFound(_)) => return Ok(None),
                Err(e) => return Err(e),
            };
            let parent = r.path.iter().rev().nth(1).map(|p| i64::from(p.id.get()));
            Ok(Some(PublicView {
                period,
                unit: Some((u, r.unit.name.clone(), parent, fig(r.totals))),
                units: r
                    .units
                    .into_iter()
                    .map(|row| (row.id, row.name, fig(row.figures)))
                    .collect(),
                employees: r
                    .employees
                    .into_iter()
                    .filter(|row| !row.name.starts_with('#'))
                    .map(|row| (row.name, row.position.unwrap_or_default(), fig(row.figures)))
                    .collect(),
                min_votes: s.min_votes,
                digest: crate::store::results::ReceiptStore::digest(&app.store, &month).await?,
                comments: crate::store::results::ModerationStore::published_comments(
                    &app.store,
                    u,
                    day_start(period.from),
                    day_start(period.to) + 86_400,
                )
                .await?,
                month,
            }))
        }
        None => {
            let roots: Vec<_> = app
                .store
                .units(&Scope::All)
                .await?
                .into_iter()
                .filter(|u| u.parent_id.is_none() && u.active)
                .collect();
            let mut units = Vec::new();
            for root in roots.iter().take(50) {
                let id = i64::from(root.id.get());
                let rows = app
                    .store
                    .stat_rows(StatQuery::UnitMonths, id, None, &month, &month)
                    .await?;
                let mut t = Tally::new();
                for tally in tally_by_key(&rows).values() {
                    report::merge(&mut t, tally);
                }
                units.push((id, root.name.clone(), fig(s.figures(&t))));
            }
            Ok(Some(PublicView {
                period,
                unit: None,
                units,
                employees: Vec::new(),
                min_votes: s.min_votes,
                comments: Vec::new(),
                digest: crate::store::results::ReceiptStore::digest(&app.store, &month).await?,
                month,
            }))
        }
    }
}

/// Open data: every unit (with subtree) and every employee with enough votes, for a month.
pub async fn public_data(app: &App, req: &Request) -> Result<Response> {
    if !app.public_results {
        return http::api_error(&ApiError::not_found());
    }
    let period = match public_month(app, req) {
        Ok(p) => p,
        Err(e) => return http::api_error(&(&e).into()),
    };
    let format = http::query(req, "format").unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv") {
        return fail(&AdminError::Invalid {
            field: "format",
            reason: "must be json or csv".into(),
        });
    }
    let s = match settings(app).await {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let month = month_key(period.from);
    let data = match app.store.month_data(&month, &month).await {
        Ok(d) => d,
        Err(e) => return fail(&e.into()),
    };
    let units = tally_by_key(&data.this_month);
    let mut per_employee: std::collections::BTreeMap<i64, Tally> = Default::default();
    for (key, t) in tally_by_key(&data.employee_rows) {
        if let Some(Ok(e)) = key.split(':').next().map(str::parse::<i64>) {
            report::merge(per_employee.entry(e).or_default(), &t);
        }
    }
    let names: std::collections::HashMap<i64, &str> = data
        .employees
        .iter()
        .map(|(i, n)| (*i, n.as_str()))
        .collect();
    let empty = Tally::new();
    let unit_rows: Vec<serde_json::Value> = data
        .units
        .iter()
        .map(|(id, parent, name)| {
            let f = public_figures(s.figures(units.get(&id.to_string()).unwrap_or(&empty)));
            serde_json::json!({"id": id, "parent_id": parent, "name": name, "figures": f})
        })
        .collect();
    let employee_rows: Vec<(i64, &str, Figures)> = per_employee
        .iter()
        .map(|(id, t)| {
            (
                *id,
                names.get(id).copied().unwrap_or(""),
                public_figures(s.figures(t)),
            )
        })
        .filter(|(_, _, f)| f.enough)
        .collect();
    let method = format!(
        "Counted votes of {} to {} (UTC). Repeated votes from one device and votes flagged for review are left out. \
         Employees appear from {} counted votes on. confidence_score is the lower bound of the 95% Wilson interval \
         of the share of top-level votes. No comments, contacts or voter data are published.",
        iso_day(period.from),
        iso_day(period.to),
        s.min_votes
    );
    if format == "csv" {
        let mut rows = vec![[
            "kind",
            "id",
            "parent_id",
            "name",
            "votes",
            "average",
            "top_share_pct",
            "below_top_share_pct",
            "confidence_score",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect::<Vec<_>>()];
        for v in &unit_rows {
            let f: Figures = match serde_json::from_value(v["figures"].clone()) {
                Ok(f) => f,
                Err(_) => continue,
            };
            rows.push(vec![
                "unit".into(),
                v["id"].to_string(),
                v["parent_id"]
                    .as_i64()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                v["name"].as_str().unwrap_or("").to_owned(),
                f.votes.to_string(),
                report::decimal(f.average),
                report::percent(f.top_share),
                report::percent(f.below_top_share),
                f.confidence_score
                    .map(|c| format!("{c:.4}"))
                    .unwrap_or_default(),
            ]);
        }
        for (id, name, f) in &employee_rows {
            rows.push(vec![
                "employee".into(),
                id.to_string(),
                String::new(),
                (*name).to_owned(),
                f.votes.to_string(),
                report::decimal(f.average),
                report::percent(f.top_share),
                report::percent(f.below_top_share),
                f.confidence_score
                    .map(|c| format!("{c:.4}"))
                    .unwrap_or_default(),
            ]);
        }
        return download(
            report::csv(&rows).into_bytes(),
            "text/csv; charset=utf-8",
            &format!("results-{month}.csv"),
        );
    }
    let employees: Vec<serde_json::Value> = employee_rows
        .iter()
        .map(|(id, name, f)| serde_json::json!({"id": id, "name": name, "figures": f}))
        .collect();
    let mut resp = ok_json(
        200,
        &serde_json::json!({
            "month": month,
            "period": period,
            "method": method,
            "min_votes": s.min_votes,
            "units": unit_rows,
            "employees": employees,
        }),
    )?;
    resp.headers_mut()
        .set("cache-control", "public, max-age=600")?;
    Ok(resp)
}
