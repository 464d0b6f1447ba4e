//! The Workers glue: configuration and bindings resolved once per request at the entry,
//! routing, and thin handlers that call `service` and render its answers.

mod d1;
mod http;

use crate::api::{self, ApiError, OPENAPI_JSON};
use crate::clock::{DayRange, Timestamp};
use crate::i18n::{self, Lang};
use crate::integrity::PageStamp;
use crate::org::{Channel, EmployeeId, UnitId};
use crate::pages::{self, EmployeeCard, FormProblem, FormState, Problem};
use crate::qr::PublicBaseUrl;
use crate::routes::{self, Access, Method, Route, RouteError};
use crate::service::{self, AdminError, Client, CodeError, Submission, VoteError};
use crate::store::Source;
use crate::token::KeyRing;
use crate::vote::{FormVote, InputError, JsonVote};
use d1::D1Store;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use worker::{
    console_error, console_log, event, Context, Date, Env, Request, Response, Result,
    ScheduleContext, ScheduledEvent,
};

/// A citizen may visit several offices in a day; twenty employees rated by one phone in one
/// day is already far beyond an honest visit.
const DEFAULT_DAILY_LIMIT: u32 = 20;

/// Everything a request needs, resolved from the environment once.
struct App {
    store: D1Store,
    ring: KeyRing,
    base_url: PublicBaseUrl,
    default_lang: Lang,
    admin_token: Option<String>,
    /// Votes one client may cast per UTC day across all employees (`VOTE_DAILY_LIMIT`).
    daily_limit: u32,
    now: Timestamp,
}

fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
}

impl App {
    fn from_env(env: &Env, now: Timestamp) -> std::result::Result<App, String> {
        let keys = setting(env, "TOKEN_KEYS").ok_or("TOKEN_KEYS is not set")?;
        let ring = KeyRing::parse(&keys).map_err(|e| e.to_string())?;
        let base = setting(env, "PUBLIC_BASE_URL").ok_or("PUBLIC_BASE_URL is not set")?;
        let base_url = PublicBaseUrl::parse(&base).map_err(|e| e.to_string())?;
        let default_lang = setting(env, "DEFAULT_LANG")
            .and_then(|l| Lang::parse(&l))
            .unwrap_or(Lang::Uk);
        let admin_token = setting(env, "ADMIN_TOKEN").filter(|t| t.len() >= 16);
        let daily_limit = match setting(env, "VOTE_DAILY_LIMIT") {
            None => DEFAULT_DAILY_LIMIT,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or("VOTE_DAILY_LIMIT must be a whole number from 1 to 10000")?,
        };
        let db = env.d1("DB").map_err(|e| format!("D1 binding DB: {e}"))?;
        Ok(App {
            store: D1Store::new(db, now),
            ring,
            base_url,
            default_lang,
            admin_token,
            daily_limit,
            now,
        })
    }
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    console_error_panic_hook::set_once();
    let now = Timestamp::from_unix_millis(Date::now().as_millis());
    let path = req.path();
    let method = Method::parse(req.method().as_ref());
    let route = match routes::route(method, &path) {
        Ok(route) => route,
        Err(e) => return unrouted(&req, &path, e),
    };
    if route == Route::Health {
        return Response::ok("ok");
    }
    let app = match App::from_env(&env, now) {
        Ok(app) => app,
        Err(e) => {
            console_error!("configuration error: {e}");
            return if Route::is_api(&path) {
                http::api_error(&ApiError::new(
                    500,
                    "misconfigured",
                    "the instance is not configured; see the deployment guide",
                ))
            } else {
                http::html(503, pages::problem_page(Lang::Uk, Problem::Unavailable))
            };
        }
    };
    if route.access() == Access::Admin && !app.is_admin(&req) {
        return http::api_error(&ApiError::unauthorized());
    }
    match route {
        Route::Health => Response::ok("ok"),
        Route::Home => home(&app, &req),
        Route::Thanks => http::html(200, pages::thanks_page(app.page_lang(&req, None))),
        Route::VotePage { token } => vote_page(&app, &req, token).await,
        Route::VoteForm { token } => vote_form(&app, &mut req, token).await,
        Route::ApiVote => api_vote(&app, &mut req).await,
        Route::OpenApi => {
            let mut resp = http::json(200, OPENAPI_JSON.to_owned())?;
            resp.headers_mut()
                .set("cache-control", "public, max-age=300")?;
            Ok(resp)
        }
        Route::CreateUnit => create_unit(&app, &mut req).await,
        Route::CreateEmployee => create_employee(&app, &mut req).await,
        Route::SetNetworks { unit } => set_networks(&app, &mut req, unit).await,
        Route::IssueCode { employee } => issue_code(&app, &req, employee).await,
        Route::RevokeCode { employee } => revoke_code(&app, &req, employee).await,
        Route::Summary { employee } => summary(&app, &req, employee).await,
    }
}

/// Contacts are deleted after this many days unless `CONTACT_RETENTION_DAYS` says otherwise.
const DEFAULT_CONTACT_RETENTION_DAYS: u32 = 180;

/// Cron triggers (wrangler.toml). Daily: forget earlier days' salts and expired contacts.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    console_error_panic_hook::set_once();
    let now = Timestamp::from_unix_millis(Date::now().as_millis());
    let db = match env.d1("DB") {
        Ok(db) => db,
        Err(e) => return console_error!("cron: D1 binding DB: {e}"),
    };
    let retention = setting(&env, "CONTACT_RETENTION_DAYS")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|d| (1..=3650).contains(d))
        .unwrap_or(DEFAULT_CONTACT_RETENTION_DAYS);
    match service::daily_housekeeping(&D1Store::new(db, now), now, retention).await {
        Ok(done) => console_log!(
            "cron: forgot {} old salts and {} contacts older than {retention} days",
            done.salts,
            done.contacts
        ),
        // Retried by the next run: every deletion is idempotent.
        Err(e) => console_error!("cron: housekeeping failed: {e}"),
    }
}

fn unrouted(req: &Request, path: &str, e: RouteError) -> Result<Response> {
    if Route::is_api(path) {
        return http::api_error(&match e {
            RouteError::NotFound => ApiError::not_found(),
            RouteError::MethodNotAllowed => ApiError::method_not_allowed(),
        });
    }
    let lang = i18n::negotiate(
        None,
        http::header(req, "accept-language").as_deref(),
        Lang::Uk,
    );
    match e {
        RouteError::NotFound => http::html(404, pages::problem_page(lang, Problem::NotFound)),
        RouteError::MethodNotAllowed => {
            http::html(405, pages::problem_page(lang, Problem::BadRequest))
        }
    }
}

impl App {
    fn page_lang(&self, req: &Request, form_lang: Option<&str>) -> Lang {
        let query_lang = http::query(req, "lang");
        i18n::negotiate(
            form_lang.or(query_lang.as_deref()),
            http::header(req, "accept-language").as_deref(),
            self.default_lang,
        )
    }

    /// Compares digests so the comparison takes the same time whatever the guess.
    fn is_admin(&self, req: &Request) -> bool {
        let Some(expected) = &self.admin_token else {
            return false;
        };
        let Some(given) = http::header(req, "authorization")
            .and_then(|h| h.strip_prefix("Bearer ").map(str::to_owned))
        else {
            return false;
        };
        let (a, b) = (
            Sha256::digest(expected.as_bytes()),
            Sha256::digest(given.trim().as_bytes()),
        );
        a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }

    /// Records a vote from this request's client (address and user agent only go into the
    /// day's keyed hash).
    async fn cast(
        &self,
        req: &Request,
        submission: Submission<'_>,
    ) -> std::result::Result<(), VoteError> {
        let address = http::header(req, "cf-connecting-ip");
        let agent = http::header(req, "user-agent");
        let client = Client {
            address: address.as_deref().unwrap_or("unknown"),
            user_agent: agent.as_deref().unwrap_or(""),
        };
        service::cast_vote(
            &self.store,
            &self.ring,
            submission,
            client,
            self.now,
            &fresh_salt(),
            self.daily_limit,
        )
        .await
    }
}

fn fresh_salt() -> String {
    let mut bytes = [0u8; 32];
    // getrandom on Workers is crypto.getRandomValues, which does not fail for 32 bytes; if it
    // ever did, the salt would still be unique per day in D1 through INSERT OR IGNORE.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn code_problem(lang: Lang, e: &CodeError) -> Result<Response> {
    match e {
        CodeError::Invalid => http::html(404, pages::problem_page(lang, Problem::InvalidCode)),
        CodeError::Revoked => http::html(410, pages::problem_page(lang, Problem::RevokedCode)),
        CodeError::Store(cause) => {
            console_error!("store error: {cause}");
            let mut resp = http::html(503, pages::problem_page(lang, Problem::Unavailable))?;
            resp.headers_mut().set("retry-after", "5")?;
            Ok(resp)
        }
    }
}

/// The manual-entry form, or, once a code was typed, a redirect to its vote page.
fn home(app: &App, req: &Request) -> Result<Response> {
    let lang = app.page_lang(req, None);
    match http::query(req, "code") {
        Some(code) => {
            // Only the token alphabet and separators pass; anything else would not verify anyway.
            let code: String = code
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(64)
                .collect();
            http::see_other(&format!("/r/{code}?lang={}", lang.code()))
        }
        None => http::html(200, pages::entry_page(lang)),
    }
}

async fn vote_page(app: &App, req: &Request, token: &str) -> Result<Response> {
    let lang = app.page_lang(req, None);
    render_vote_page(app, lang, token, &FormState::default(), 200).await
}

async fn render_vote_page(
    app: &App,
    lang: Lang,
    token: &str,
    state: &FormState<'_>,
    status: u16,
) -> Result<Response> {
    match service::open_code(&app.store, &app.ring, token).await {
        Ok(open) => {
            let card = EmployeeCard {
                name: &open.holder.name,
                position: &open.holder.position,
                unit: &open.holder.unit_name,
            };
            let path = format!("/r/{}", open.token.as_str());
            // A page shown again after a mistake keeps its first serving time.
            let stamp = match state.stamp {
                "" => PageStamp::issue(&app.ring, &open.token, app.now),
                kept => kept.to_owned(),
            };
            let state = FormState {
                score: state.score,
                comment: state.comment,
                contact: state.contact,
                problem: state.problem,
                stamp: &stamp,
            };
            http::html(
                status,
                pages::vote_page(lang, &path, &card, &open.scale, &state),
            )
        }
        Err(e) => code_problem(lang, &e),
    }
}

async fn vote_form(app: &App, req: &mut Request, token: &str) -> Result<Response> {
    let lang = app.page_lang(req, None);
    if !http::has_content_type(req, "application/x-www-form-urlencoded") {
        return http::html(415, pages::problem_page(lang, Problem::BadRequest));
    }
    let body = match http::body(req).await {
        Ok(body) => body,
        Err(e) => return http::html(e.status, pages::problem_page(lang, Problem::BadRequest)),
    };
    let Ok(form) = FormVote::parse(&body) else {
        return http::html(400, pages::problem_page(lang, Problem::BadRequest));
    };
    let lang = app.page_lang(req, form.lang.as_deref());
    let submission = Submission {
        token,
        score: form.score_number(),
        comment: &form.comment,
        contact: &form.contact,
        lang,
        source: Source::Form,
        page_stamp: form.stamp.as_deref(),
    };
    match app.cast(req, submission).await {
        Ok(()) => http::see_other(&format!("/thanks?lang={}", lang.code())),
        Err(VoteError::Input(e)) => {
            let problem = match e {
                InputError::CommentTooLong => FormProblem::CommentTooLong,
                InputError::InvalidContact => FormProblem::InvalidContact,
                InputError::ScoreMissing
                | InputError::ScoreOutOfScale
                | InputError::UnknownLanguage => FormProblem::NoScore,
            };
            let score = form.score_number().and_then(|s| u8::try_from(s).ok());
            let state = FormState {
                score,
                comment: &form.comment,
                contact: &form.contact,
                problem: Some(problem),
                stamp: form.stamp.as_deref().unwrap_or(""),
            };
            render_vote_page(app, lang, token, &state, 422).await
        }
        Err(VoteError::Code(e)) => code_problem(lang, &e),
        Err(VoteError::RateLimited { retry_after }) => {
            let mut resp = http::html(429, pages::problem_page(lang, Problem::TooManyRequests))?;
            resp.headers_mut()
                .set("retry-after", &retry_after.to_string())?;
            Ok(resp)
        }
        Err(VoteError::Store(e)) => code_problem(lang, &CodeError::Store(e)),
    }
}

/// Reads a JSON body of type `T`: the media type, the size, UTF-8 and the shape, each with
/// its own error.
async fn json_body<T: for<'de> Deserialize<'de>>(
    req: &mut Request,
) -> std::result::Result<T, ApiError> {
    if !http::has_content_type(req, "application/json") {
        return Err(ApiError::unsupported_media_type("application/json"));
    }
    let bytes = http::body(req).await?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ApiError::invalid_utf8())?;
    serde_json::from_str(text).map_err(|e| ApiError::from_json_error(&e))
}

fn created<T: serde::Serialize>(value: &T) -> Result<Response> {
    match serde_json::to_string(value) {
        Ok(body) => http::json(201, body),
        Err(e) => {
            console_error!("serialising a response: {e}");
            http::api_error(&ApiError::unavailable())
        }
    }
}

async fn api_vote(app: &App, req: &mut Request) -> Result<Response> {
    let vote: JsonVote = match json_body(req).await {
        Ok(v) => v,
        Err(e) => return http::api_error(&e),
    };
    let lang = match vote.lang(app.default_lang) {
        Ok(l) => l,
        Err(e) => return http::api_error(&(&e).into()),
    };
    let submission = Submission {
        token: &vote.token,
        score: Some(vote.score),
        comment: vote.comment.as_deref().unwrap_or(""),
        contact: vote.contact.as_deref().unwrap_or(""),
        lang,
        source: Source::Api,
        page_stamp: None,
    };
    match app.cast(req, submission).await {
        Ok(()) => http::json(201, r#"{"status":"recorded"}"#.to_owned()),
        Err(e) => {
            if let Some(cause) = api::internal_cause(&e) {
                console_error!("store error on vote: {cause}");
            }
            http::api_error(&(&e).into())
        }
    }
}

fn admin_error(e: &AdminError) -> Result<Response> {
    if let AdminError::Store(cause) = e {
        console_error!("store error on admin request: {cause}");
    }
    http::api_error(&e.into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUnit {
    name: String,
    #[serde(default)]
    parent_id: Option<i64>,
}

async fn create_unit(app: &App, req: &mut Request) -> Result<Response> {
    let unit: NewUnit = match json_body(req).await {
        Ok(u) => u,
        Err(e) => return http::api_error(&e),
    };
    match service::create_unit(&app.store, &unit.name, unit.parent_id, app.now).await {
        Ok(id) => created(
            &serde_json::json!({ "id": id, "name": unit.name.trim(), "parent_id": unit.parent_id }),
        ),
        Err(e) => admin_error(&e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEmployee {
    name: String,
    position: String,
    unit_id: i64,
}

async fn create_employee(app: &App, req: &mut Request) -> Result<Response> {
    let e: NewEmployee = match json_body(req).await {
        Ok(e) => e,
        Err(err) => return http::api_error(&err),
    };
    match service::create_employee(&app.store, &e.name, &e.position, e.unit_id, app.now).await {
        Ok(id) => created(&serde_json::json!({
            "id": id, "name": e.name.trim(), "position": e.position.trim(), "unit_id": e.unit_id
        })),
        Err(err) => admin_error(&err),
    }
}

/// `?channel=` (0..=255, default 0): which service point's code.
fn channel(req: &Request) -> std::result::Result<Channel, ApiError> {
    match http::query(req, "channel") {
        None => Ok(Channel::UNSPECIFIED),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .and_then(Channel::parse)
            .ok_or_else(|| {
                ApiError::new(
                    422,
                    "invalid_field",
                    "`channel` must be an integer from 0 to 255",
                )
            }),
    }
}

async fn issue_code(app: &App, req: &Request, employee: Option<EmployeeId>) -> Result<Response> {
    let Some(employee) = employee else {
        return http::api_error(&ApiError::new(404, "not_found", "employee not found"));
    };
    let channel = match channel(req) {
        Ok(c) => c,
        Err(e) => return http::api_error(&e),
    };
    match service::issue_code(
        &app.store,
        &app.ring,
        &app.base_url,
        employee,
        channel,
        app.now,
    )
    .await
    {
        Ok(code) => created(&code),
        Err(e) => admin_error(&e),
    }
}

async fn revoke_code(app: &App, req: &Request, employee: Option<EmployeeId>) -> Result<Response> {
    let Some(employee) = employee else {
        return http::api_error(&ApiError::new(404, "not_found", "employee not found"));
    };
    let channel = match channel(req) {
        Ok(c) => c,
        Err(e) => return http::api_error(&e),
    };
    match service::revoke_codes(&app.store, employee, channel, app.now).await {
        Ok(_) => http::no_content(),
        Err(e) => admin_error(&e),
    }
}

async fn summary(app: &App, req: &Request, employee: Option<EmployeeId>) -> Result<Response> {
    let Some(employee) = employee else {
        return http::api_error(&ApiError::new(404, "not_found", "employee not found"));
    };
    let today = chrono::DateTime::from_timestamp(app.now.unix_seconds(), 0)
        .map(|t| t.date_naive())
        .unwrap_or_default();
    let range = match DayRange::parse(
        http::query(req, "from").as_deref(),
        http::query(req, "to").as_deref(),
        today,
    ) {
        Ok(r) => r,
        Err(e) => return http::api_error(&(&e).into()),
    };
    match service::summary(&app.store, employee, range).await {
        Ok(s) => match serde_json::to_string(&s) {
            Ok(body) => http::json(200, body),
            Err(_) => http::api_error(&ApiError::unavailable()),
        },
        Err(e) => admin_error(&e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Networks {
    cidrs: Vec<String>,
}

async fn set_networks(app: &App, req: &mut Request, unit: Option<UnitId>) -> Result<Response> {
    let body: Networks = match json_body(req).await {
        Ok(b) => b,
        Err(e) => return http::api_error(&e),
    };
    let Some(unit) = unit else {
        return http::api_error(&ApiError::new(404, "not_found", "unit not found"));
    };
    match service::set_office_networks(&app.store, i64::from(unit.get()), &body.cidrs).await {
        Ok(networks) => {
            let cidrs: Vec<String> = networks.iter().map(ToString::to_string).collect();
            http::json(
                200,
                serde_json::json!({ "unit_id": unit, "cidrs": cidrs }).to_string(),
            )
        }
        Err(e) => admin_error(&e),
    }
}
