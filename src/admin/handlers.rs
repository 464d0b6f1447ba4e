//! Handlers of the administration: the app shell and its assets, sessions, and the admin
//! API. Each parses its input, calls one use case in `admin` and renders the answer.

use crate::account::{self, AccountId, Principal, Via, SESSION_SECONDS};
use crate::admin::routes::AdminRoute;
use crate::admin::store::AdminStore;
use crate::admin::{self, AdminError, EmployeePatch, RoleInput, UnitPatch};
use crate::api::ApiError;
use crate::glue::auth::{self, WebCryptoKdf};
use crate::glue::http::json_body;
use crate::glue::http::{self, invalid, ok_json, query_channel, random, Answer};
use crate::glue::App;
use crate::org::{Channel, DirectionId, EmployeeId, UnitId};
use crate::poster;
use crate::qr;
use serde::{Deserialize, Serialize};
use worker::{console_error, Request};

/// The administration's public routes: their bodies are the credential (a password, an
/// invitation's secret), so no session is asked for.
pub async fn dispatch_public(app: &App, req: &mut Request, route: AdminRoute) -> Answer {
    match route {
        AdminRoute::SignIn => sign_in(app, req).await,
        AdminRoute::AcceptInvitation => accept_invitation(app, req).await,
        // Every other route is declared signed-in only; the entry never sends it here.
        _ => Err(ApiError::not_found()),
    }
}

/// The administration's signed-in routes, each to its handler.
pub async fn dispatch(app: &App, req: &mut Request, p: &Principal, route: AdminRoute) -> Answer {
    match route {
        AdminRoute::Me => me(app, p).await,
        AdminRoute::SignOut => sign_out(app, req, p).await,
        AdminRoute::ChangePassword => change_password(app, req, p).await,
        AdminRoute::Units => units(app, p).await,
        AdminRoute::CreateUnit => create_unit(app, req, p).await,
        AdminRoute::UnitDetail { unit } => unit_detail(app, p, unit).await,
        AdminRoute::ChangeUnit { unit } => change_unit(app, req, p, unit).await,
        AdminRoute::SetNetworks { unit } => set_networks(app, req, p, unit).await,
        AdminRoute::CreateEmployee => create_employee(app, req, p).await,
        AdminRoute::EmployeeDetail { employee } => employee_detail(app, p, employee).await,
        AdminRoute::ChangeEmployee { employee } => change_employee(app, req, p, employee).await,
        AdminRoute::IssueCode { employee } => issue_code(app, req, p, employee).await,
        AdminRoute::RevokeCode { employee } => revoke_code(app, req, p, employee).await,
        AdminRoute::QrSvg { employee } => qr_image(app, req, p, employee, false).await,
        AdminRoute::QrPng { employee } => qr_image(app, req, p, employee, true).await,
        AdminRoute::Directions => directions(app).await,
        AdminRoute::CreateDirection => create_direction(app, req, p).await,
        AdminRoute::Accounts => accounts(app, p).await,
        AdminRoute::Invite => invite(app, req, p).await,
        AdminRoute::SetRoles { account } => set_roles(app, req, p, account).await,
        AdminRoute::LinkEmployee { account } => link_employee(app, req, p, account).await,
        AdminRoute::DeactivateAccount { account } => deactivate_account(app, p, account).await,
        AdminRoute::Tokens => tokens(app, p).await,
        AdminRoute::CreateToken => create_token(app, req, p).await,
        AdminRoute::RevokeToken { id } => revoke_token(app, p, id).await,
        AdminRoute::SigningKeys => signing_keys(app, p).await,
        AdminRoute::Scale => scale(app).await,
        AdminRoute::SetScale => set_scale(app, req, p).await,
        AdminRoute::CreateCriterion => create_criterion(app, req, p).await,
        AdminRoute::ChangeCriterion { id } => change_criterion(app, req, p, id).await,
        AdminRoute::ReissueOldCodes { unit } => reissue_old_codes(app, p, unit).await,
        // Public routes (sign-in, an invitation accepted) are answered by `dispatch_public`.
        AdminRoute::SignIn | AdminRoute::AcceptInvitation => Err(ApiError::not_found()),
    }
}

/// The admin page's own files (`/admin/`, its script and stylesheet) and the OpenAPI document
/// are Workers Static Assets (wrangler.toml, `[assets]`), served before any worker runs; only
/// the posters' stylesheet and script, which the poster pages share with no one, are here.
pub fn asset(name: &str) -> Answer {
    let (body, kind) = match name {
        "poster.css" => (poster::POSTER_CSS, "text/css; charset=utf-8"),
        "poster.js" => (poster::POSTER_JS, "text/javascript; charset=utf-8"),
        _ => return Err(ApiError::not_found()),
    };
    // Short caching: a deployment must reach open admin pages within minutes.
    Ok(http::file(
        kind,
        body.as_bytes().to_vec(),
        "public, max-age=300",
    )?)
}

/// A static asset's route that reached a worker: the deployment lacks its `[assets]`.
pub fn static_asset_missing() -> Answer {
    console_error!(
        "a static asset reached the worker: is [assets] in wrangler.toml? (docs/deploy.md)"
    );
    Err(ApiError::not_found())
}

/// Two secrets at once, or the error answer.
fn randoms() -> std::result::Result<([u8; 32], [u8; 16]), ApiError> {
    Ok((random()?, random()?))
}

fn not_found(what: &'static str) -> ApiError {
    AdminError::NotFound(what).into()
}

// --- sessions -----------------------------------------------------------------------------

#[derive(Serialize)]
struct RoleOut {
    role: &'static str,
    unit_id: Option<UnitId>,
    unit_name: Option<String>,
}

#[derive(Serialize)]
struct AccountOut<'a> {
    id: AccountId,
    email: &'a str,
}

#[derive(Serialize)]
struct Me<'a> {
    account: AccountOut<'a>,
    roles: Vec<RoleOut>,
    csrf: Option<&'a str>,
    /// The zones a unit may have (`local_day::ZONES`) and the one new units get.
    time_zones: &'static [&'static str],
    default_timezone: &'static str,
}

async fn me_body(app: &App, p: &Principal, csrf: Option<&str>) -> Answer {
    // Only the granted units' names: a superadmin's scope is the whole tree.
    let granted: Vec<UnitId> = p.grants.iter().filter_map(|g| g.unit()).collect();
    let units = app.store.unit_names(&granted).await?;
    let roles = p
        .grants
        .iter()
        .map(|g| RoleOut {
            role: g.role().as_str(),
            unit_id: g.unit(),
            unit_name: g
                .unit()
                .and_then(|u| units.iter().find(|v| v.id == u).map(|v| v.name.clone())),
        })
        .collect();
    ok_json(
        200,
        &Me {
            account: AccountOut {
                id: p.account,
                email: &p.email,
            },
            roles,
            csrf,
            time_zones: crate::local_day::ZONES,
            default_timezone: app.default_timezone,
        },
    )
}

pub async fn me(app: &App, p: &Principal) -> Answer {
    let csrf = match &p.via {
        Via::Session { csrf } | Via::Access { csrf } => Some(csrf.as_str()),
        Via::ApiToken => None,
    };
    me_body(app, p, csrf).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

/// Answers a new session: `Me` plus the cookie.
async fn session_started(app: &App, session: admin::NewSession) -> Answer {
    let grants = app
        .store
        .account(session.account)
        .await?
        .ok_or_else(|| not_found("account"))?;
    let p = Principal {
        account: grants.id,
        email: grants.email,
        grants: grants.grants,
        via: Via::Session {
            csrf: session.csrf.clone(),
        },
    };
    let mut resp = me_body(app, &p, Some(&session.csrf)).await?;
    resp.headers_mut().set(
        "set-cookie",
        &account::set_cookie_header(&session.cookie, SESSION_SECONDS),
    )?;
    Ok(resp)
}

fn client_address(req: &Request) -> String {
    http::header(req, "cf-connecting-ip").unwrap_or_else(|| String::from("unknown"))
}

/// A sign-in form posted from another site would sign the victim into the attacker's
/// account (login CSRF): only this site's pages may post it.
fn cross_site(req: &Request) -> bool {
    matches!(
        http::header(req, "sec-fetch-site").as_deref(),
        Some("cross-site" | "same-site")
    )
}

pub async fn sign_in(app: &App, req: &mut Request) -> Answer {
    if cross_site(req) {
        return Err(ApiError::csrf());
    }
    let Some(key) = &app.session_key else {
        return Err(misconfigured());
    };
    let c: Credentials = json_body(req).await?;
    let r32: [u8; 32] = random()?;
    let session = admin::sign_in(
        &app.store,
        &WebCryptoKdf,
        key,
        &c.email,
        &c.password,
        &client_address(req),
        r32,
        app.now,
    )
    .await?;
    session_started(app, session).await
}

fn misconfigured() -> ApiError {
    ApiError::new(
        500,
        "misconfigured",
        "SESSION_KEY is not set; see the deployment guide",
    )
}

pub async fn sign_out(app: &App, req: &Request, p: &Principal) -> Answer {
    if let Some(id) = app
        .session_key
        .as_ref()
        .and_then(|k| auth::session_id(req, k))
    {
        admin::sign_out(&app.store, p, &id.storage_hash(), app.now).await?;
    }
    let mut resp = http::no_content()?;
    resp.headers_mut()
        .set("set-cookie", &account::clear_cookie_header())?;
    Ok(resp)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current: String,
    new: String,
    /// Also revoke every API token of the account.
    #[serde(default)]
    revoke_tokens: bool,
}

pub async fn change_password(app: &App, req: &mut Request, p: &Principal) -> Answer {
    let body: PasswordChange = json_body(req).await?;
    let keep = app
        .session_key
        .as_ref()
        .and_then(|k| auth::session_id(req, k))
        .map(|id| id.storage_hash());
    let r16: [u8; 16] = random()?;
    admin::change_password(
        &app.store,
        &WebCryptoKdf,
        p,
        &body.current,
        &body.new,
        keep.as_deref(),
        body.revoke_tokens,
        r16,
        app.now,
    )
    .await?;
    Ok(http::no_content()?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Acceptance {
    token: String,
    password: String,
}

pub async fn accept_invitation(app: &App, req: &mut Request) -> Answer {
    if cross_site(req) {
        return Err(ApiError::csrf());
    }
    let Some(key) = &app.session_key else {
        return Err(misconfigured());
    };
    let body: Acceptance = json_body(req).await?;
    let (r32, r16) = randoms()?;
    let session = admin::accept_invitation(
        &app.store,
        &WebCryptoKdf,
        key,
        &body.token,
        &body.password,
        r32,
        r16,
        app.now,
    )
    .await?;
    session_started(app, session).await
}

// --- accounts, tokens, audit ----------------------------------------------------------------

pub async fn accounts(app: &App, p: &Principal) -> Answer {
    let list = admin::accounts(&app.store, p).await?;
    ok_json(200, &serde_json::json!({ "accounts": list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvitationIn {
    email: String,
    role: String,
    #[serde(default)]
    unit_id: Option<i64>,
}

pub async fn invite(app: &App, req: &mut Request, p: &Principal) -> Answer {
    let body: InvitationIn = json_body(req).await?;
    let r32: [u8; 32] = random()?;
    let inv = admin::invite(
        &app.store,
        &app.base_url,
        p,
        &body.email,
        &body.role,
        body.unit_id,
        r32,
        app.now,
    )
    .await?;
    ok_json(201, &inv)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesIn {
    roles: Vec<RoleInput>,
}

pub async fn set_roles(
    app: &App,
    req: &mut Request,
    p: &Principal,
    account: Option<AccountId>,
) -> Answer {
    let body: RolesIn = json_body(req).await?;
    let Some(account) = account else {
        return Err(not_found("account"));
    };
    let r32: [u8; 32] = random()?;
    let change = admin::set_roles(
        &app.store,
        &app.base_url,
        p,
        account,
        &body.roles,
        r32,
        app.now,
    )
    .await?;
    let a = admin::accounts(&app.store, p)
        .await?
        .into_iter()
        .find(|a| a.id == account)
        .ok_or_else(|| not_found("account"))?;
    // Roles added wait for their owner: 202 with the link to hand over.
    ok_json(
        if change.grant_link.is_some() {
            202
        } else {
            200
        },
        &serde_json::json!({
            "account": a,
            "grant_link": change.grant_link,
            "pending": change.pending,
        }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmployeeLinkIn {
    employee_id: Option<i64>,
}

pub async fn link_employee(
    app: &App,
    req: &mut Request,
    p: &Principal,
    account: Option<AccountId>,
) -> Answer {
    let body: EmployeeLinkIn = json_body(req).await?;
    let Some(account) = account else {
        return Err(not_found("account"));
    };
    admin::link_employee(&app.store, p, account, body.employee_id, app.now).await?;
    Ok(http::no_content()?)
}

pub async fn deactivate_account(app: &App, p: &Principal, account: Option<AccountId>) -> Answer {
    let Some(account) = account else {
        return Err(not_found("account"));
    };
    admin::deactivate_account(&app.store, p, account, app.now).await?;
    Ok(http::no_content()?)
}

pub async fn tokens(app: &App, p: &Principal) -> Answer {
    let list = admin::tokens(&app.store, p).await?;
    ok_json(200, &serde_json::json!({ "tokens": list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NamedIn {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenIn {
    name: String,
    #[serde(default)]
    expires_in_days: Option<i64>,
}

pub async fn create_token(app: &App, req: &mut Request, p: &Principal) -> Answer {
    let body: TokenIn = json_body(req).await?;
    let r32: [u8; 32] = random()?;
    let t = admin::create_token(
        &app.store,
        p,
        &body.name,
        body.expires_in_days,
        r32,
        app.now,
    )
    .await?;
    ok_json(201, &t)
}

pub async fn revoke_token(app: &App, p: &Principal, id: Option<i64>) -> Answer {
    let Some(id) = id else {
        return Err(not_found("token"));
    };
    admin::revoke_token(&app.store, p, id, app.now).await?;
    Ok(http::no_content()?)
}

pub async fn scale(app: &App) -> Answer {
    let view = admin::scale(&app.store).await?;
    ok_json(200, &view)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScaleIn {
    levels: Vec<crate::scale::LevelSpec>,
}

// Instance-wide settings: anyone but a superadmin is refused before the body is read, so a
// unit admin learns nothing from validation messages.
pub async fn set_scale(app: &App, req: &mut Request, p: &Principal) -> Answer {
    if !p.is_superadmin() {
        return Err(AdminError::Forbidden.into());
    }
    let body: ScaleIn = json_body(req).await?;
    admin::set_scale(&app.store, p, &body.levels, app.default_lang, app.now).await?;
    scale(app).await
}

pub async fn create_criterion(app: &App, req: &mut Request, p: &Principal) -> Answer {
    if !p.is_superadmin() {
        return Err(AdminError::Forbidden.into());
    }
    let body: admin::CriterionIn = json_body(req).await?;
    let id = admin::create_criterion(&app.store, p, &body, app.default_lang, app.now).await?;
    ok_json(201, &serde_json::json!({ "id": id }))
}

pub async fn change_criterion(
    app: &App,
    req: &mut Request,
    p: &Principal,
    id: Option<i64>,
) -> Answer {
    if !p.is_superadmin() {
        return Err(AdminError::Forbidden.into());
    }
    let body: admin::CriterionIn = json_body(req).await?;
    let Some(id) = id else {
        return Err(not_found("criterion"));
    };
    admin::change_criterion(&app.store, p, id, &body, app.default_lang, app.now).await?;
    Ok(http::no_content()?)
}

pub async fn signing_keys(app: &App, p: &Principal) -> Answer {
    let report = admin::signing_keys(&app.store, &app.ring, p).await?;
    ok_json(200, &report)
}

pub async fn reissue_old_codes(app: &App, p: &Principal, unit: Option<UnitId>) -> Answer {
    let Some(unit) = unit else {
        return Err(not_found("unit"));
    };
    let n = admin::reissue_old_codes(&app.store, &app.ring, p, unit, app.now).await?;
    ok_json(200, &serde_json::json!({ "unit_id": unit, "reissued": n }))
}

// --- the organisation -----------------------------------------------------------------------

pub async fn units(app: &App, p: &Principal) -> Answer {
    let list = admin::units(&app.store, p).await?;
    ok_json(200, &serde_json::json!({ "units": list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUnit {
    name: String,
    #[serde(default)]
    parent_id: Option<i64>,
    /// One of `local_day::ZONES`; absent: `DEFAULT_TIMEZONE`.
    #[serde(default)]
    timezone: Option<String>,
}

async fn unit_answer(app: &App, p: &Principal, unit: UnitId, status: u16) -> Answer {
    let d = admin::unit_detail(&app.store, p, unit).await?;
    ok_json(status, &d.unit)
}

pub async fn create_unit(app: &App, req: &mut Request, p: &Principal) -> Answer {
    let body: NewUnit = json_body(req).await?;
    let id = admin::create_unit(
        &app.store,
        p,
        &body.name,
        body.parent_id,
        body.timezone.as_deref(),
        app.default_timezone,
        app.now,
    )
    .await?;
    unit_answer(app, p, id, 201).await
}

pub async fn unit_detail(app: &App, p: &Principal, unit: Option<UnitId>) -> Answer {
    let Some(unit) = unit else {
        return Err(not_found("unit"));
    };
    let d = admin::unit_detail(&app.store, p, unit).await?;
    ok_json(200, &d)
}

pub async fn change_unit(
    app: &App,
    req: &mut Request,
    p: &Principal,
    unit: Option<UnitId>,
) -> Answer {
    let patch: UnitPatch = json_body(req).await?;
    let Some(unit) = unit else {
        return Err(not_found("unit"));
    };
    let view = admin::change_unit(&app.store, p, unit, &patch, app.now).await?;
    ok_json(200, &view)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Networks {
    cidrs: Vec<String>,
}

pub async fn set_networks(
    app: &App,
    req: &mut Request,
    p: &Principal,
    unit: Option<UnitId>,
) -> Answer {
    let body: Networks = json_body(req).await?;
    let Some(unit) = unit else {
        return Err(not_found("unit"));
    };
    let networks = admin::set_office_networks(&app.store, p, unit, &body.cidrs, app.now).await?;
    let cidrs: Vec<String> = networks.iter().map(ToString::to_string).collect();
    ok_json(200, &serde_json::json!({ "unit_id": unit, "cidrs": cidrs }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEmployee {
    name: String,
    position: String,
    unit_id: i64,
    #[serde(default)]
    directions: Vec<i64>,
}

async fn employee_answer(app: &App, p: &Principal, employee: EmployeeId, status: u16) -> Answer {
    let d = admin::employee_detail(&app.store, p, employee).await?;
    ok_json(status, &d.employee)
}

pub async fn create_employee(app: &App, req: &mut Request, p: &Principal) -> Answer {
    let body: NewEmployee = json_body(req).await?;
    let id = admin::create_employee(
        &app.store,
        p,
        &body.name,
        &body.position,
        body.unit_id,
        &body.directions,
        app.now,
    )
    .await?;
    employee_answer(app, p, id, 201).await
}

#[derive(Serialize)]
struct CodeOut {
    channel: Channel,
    issue: u16,
    direction_id: Option<DirectionId>,
    issued_at: i64,
    revoked_at: Option<i64>,
    url: Option<String>,
}

pub async fn employee_detail(app: &App, p: &Principal, employee: Option<EmployeeId>) -> Answer {
    let Some(employee) = employee else {
        return Err(not_found("employee"));
    };
    let d = admin::employee_detail(&app.store, p, employee).await?;
    let codes: Vec<CodeOut> = d
        .codes
        .iter()
        .map(|c| CodeOut {
            channel: c.channel,
            issue: c.issue,
            direction_id: c.direction_id,
            issued_at: c.issued_at,
            revoked_at: c.revoked_at,
            url: c
                .revoked_at
                .is_none()
                .then(|| {
                    admin::code_url(
                        &app.ring,
                        &app.base_url,
                        app.shards.home(),
                        employee,
                        c.channel,
                        c.issue,
                        c.key_id,
                    )
                })
                .flatten()
                .map(|(url, _)| url),
        })
        .collect();
    ok_json(
        200,
        &serde_json::json!({
            "employee": d.employee, "unit_path": d.unit_path, "codes": codes
        }),
    )
}

pub async fn change_employee(
    app: &App,
    req: &mut Request,
    p: &Principal,
    employee: Option<EmployeeId>,
) -> Answer {
    let patch: EmployeePatch = json_body(req).await?;
    let Some(employee) = employee else {
        return Err(not_found("employee"));
    };
    admin::change_employee(&app.store, p, employee, &patch, app.now).await?;
    employee_answer(app, p, employee, 200).await
}

fn direction(req: &Request) -> std::result::Result<Option<DirectionId>, ApiError> {
    match http::query(req, "direction") {
        None => Ok(None),
        Some(d) if d.is_empty() => Ok(None),
        Some(d) => DirectionId::parse_str(&d)
            .map(Some)
            .ok_or_else(|| invalid("direction", "must be a direction id")),
    }
}

pub async fn issue_code(
    app: &App,
    req: &Request,
    p: &Principal,
    employee: Option<EmployeeId>,
) -> Answer {
    let (channel, direction) = (query_channel(req)?, direction(req)?);
    let Some(employee) = employee else {
        return Err(not_found("employee"));
    };
    let code = admin::issue_code(
        &app.store,
        &app.ring,
        &app.base_url,
        app.shards.home(),
        p,
        employee,
        channel,
        direction,
        app.now,
    )
    .await?;
    ok_json(201, &code)
}

pub async fn revoke_code(
    app: &App,
    req: &Request,
    p: &Principal,
    employee: Option<EmployeeId>,
) -> Answer {
    let channel = query_channel(req)?;
    let Some(employee) = employee else {
        return Err(not_found("employee"));
    };
    admin::revoke_codes(&app.store, p, employee, channel, app.now).await?;
    Ok(http::no_content()?)
}

pub async fn qr_image(
    app: &App,
    req: &Request,
    p: &Principal,
    employee: Option<EmployeeId>,
    png: bool,
) -> Answer {
    let channel = query_channel(req)?;
    let Some(employee) = employee else {
        return Err(not_found("employee"));
    };
    let url = admin::current_code_url(
        &app.store,
        &app.ring,
        &app.base_url,
        app.shards.home(),
        p,
        employee,
        channel,
    )
    .await?;
    let file_name = format!("civicrate-{}-{}", employee.get(), channel.get());
    let mut resp = if png {
        match qr::png(&url, 10) {
            Ok(bytes) => http::file("image/png", bytes, "private, no-store")?,
            Err(_) => return Err(ApiError::unavailable()),
        }
    } else {
        match qr::svg(&url) {
            Ok(svg) => http::file("image/svg+xml", svg.into_bytes(), "private, no-store")?,
            Err(_) => return Err(ApiError::unavailable()),
        }
    };
    if http::query(req, "download").is_some() {
        let ext = if png { "png" } else { "svg" };
        resp.headers_mut().set(
            "content-disposition",
            &format!("attachment; filename=\"{file_name}.{ext}\""),
        )?;
    }
    Ok(resp)
}

pub async fn directions(app: &App) -> Answer {
    let list = admin::directions(&app.store).await?;
    ok_json(200, &serde_json::json!({ "directions": list }))
}

pub async fn create_direction(app: &App, req: &mut Request, p: &Principal) -> Answer {
    let body: NamedIn = json_body(req).await?;
    let id = admin::create_direction(&app.store, p, &body.name, app.now).await?;
    ok_json(
        201,
        &serde_json::json!({ "id": id, "name": body.name.trim() }),
    )
}
