//! The Workers glue: the configuration parsed once per isolate (`crate::config`) and the
//! bindings resolved per request at the entry, routing, and thin handlers that call `service`
//! and render its answers. The one entry below serves both workers of a deployment
//! (docs/deploy.md): built with `--features citizen` it answers a scan's routes and hands the
//! rest to the back office (`citizen.rs`); built without, it is the back office
//! (`back_office.rs`).

// The citizen worker builds a subset of the shared glue (D1 adapter, HTTP helpers); what it
// does not call is dropped by the linker, so unused helpers are expected there, not a smell.
#![cfg_attr(feature = "citizen", allow(dead_code))]

/// Modules for one worker only (docs/deploy.md, "Two workers"): each builds just its own.
macro_rules! modules_of {
    ($when:meta: $($module:ident),* $(,)?) => {
        $( #[cfg($when)] pub(crate) mod $module; )*
    };
}

// Shared by both workers: the D1 adapter, HTTP helpers, the vote path's limiter, Queue
// producer and Turnstile check.
pub(crate) mod d1;
pub(crate) mod http;
mod limiter;
mod queue;
mod turnstile;
// The citizen worker's own: what it answers and hands on, and the Queue consumer.
modules_of!(feature = "citizen": citizen, queue_consumer);
// The back office's: its routes and crons, and their D1 adapters.
modules_of!(not(feature = "citizen"):
    admin, alert, auth, back_office, cf_access, d1_admin,
    d1_public, d1_results, national, public, results, zones,
);

use crate::api::ApiError;
use crate::clock::Timestamp;
use crate::config::{Config, ConfigError};
use crate::i18n::{self, Lang};
use crate::integrity::PageStamp;
use crate::pages::{self, EmployeeCard, FormProblem, FormState, Problem};
use crate::receipt::Receipt;
use crate::routes::{self, Access, Method, Route, RouteError};
use crate::service::{self, Client, CodeError, Submission, VerifiedCode, VoteError};
use crate::shard::{Destination, ShardMap};
use crate::store::Source;
use crate::store::Store;
use crate::vote::{FormVote, InputError, JsonVote};
use d1::D1Store;
use std::rc::Rc;
use worker::{console_error, event, Context, Date, Env, Queue, Request, Response, Result};

// The configuration, parsed once per isolate: an isolate's environment does not change, so
// every request and cron run after the first reads this value instead of the settings.
// A bad configuration is kept too, so each request answers with its error at no cost.
thread_local! {
    static CONFIG: std::cell::OnceCell<std::result::Result<Rc<Config>, ConfigError>> =
        const { std::cell::OnceCell::new() };
}

/// This isolate's configuration (`config::Config`), from its settings and binding names.
fn config(env: &Env) -> std::result::Result<Rc<Config>, ConfigError> {
    CONFIG.with(|c| {
        c.get_or_init(|| {
            let names = binding_names(env);
            Config::parse(|name| setting(env, name), names.iter().map(String::as_str)).map(Rc::new)
        })
        .clone()
    })
}

/// Everything a request needs: the configuration and the bindings.
pub(crate) struct App {
    config: Rc<Config>,
    /// The home shard's database, `DB`: administration, results and crons use only this one.
    pub(crate) store: D1Store,
    /// Other shards' databases are looked up here once a code names one.
    pub(crate) env: Env,
    /// `VOTE_QUEUE`: when bound, votes are answered once queued and written by the consumer.
    pub(crate) queue: Option<Queue>,
    /// The Workers Rate Limiting binding `VOTE_RATE_LIMITER`, if configured.
    pub(crate) limiter: Option<limiter::Limiter>,
    pub(crate) now: Timestamp,
}

/// Handlers read settings as `app.min_votes`, `app.ring`…: the configuration is part of
/// what a request has, and this keeps them from spelling out where it lives.
impl std::ops::Deref for App {
    type Target = Config;

    fn deref(&self) -> &Config {
        &self.config
    }
}

/// `SIMULATED_CLOCK = "on"` (local runs only, `config`) lets a request say what time it is
/// (`X-Simulated-Time`, unix seconds), so the attack simulation and tests can replay a day in
/// seconds.
fn simulated_now(config: &Config, req: &Request) -> Option<Timestamp> {
    if !config.simulated_clock {
        return None;
    }
    let t = req.headers().get("x-simulated-time").ok()??;
    t.trim()
        .parse::<i64>()
        .ok()
        .map(Timestamp::from_unix_seconds)
}

/// The names of every binding, among them the shards' `DB_SHARD_<n>`.
fn binding_names(env: &Env) -> Vec<String> {
    use wasm_bindgen::JsCast;
    js_sys::Object::keys(env.unchecked_ref::<js_sys::Object>())
        .iter()
        .filter_map(|k| k.as_string())
        .collect()
}

/// The UTC date of a moment.
fn today(now: Timestamp) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp(now.unix_seconds(), 0)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

fn setting(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
}

impl App {
    /// The configuration with this request's bindings; only a missing `DB` fails here.
    fn new(config: Rc<Config>, env: &Env, now: Timestamp) -> std::result::Result<App, String> {
        let db = env.d1("DB").map_err(|e| format!("D1 binding DB: {e}"))?;
        Ok(App {
            store: D1Store::new(db, config.shards.home(), now),
            env: env.clone(),
            queue: env.queue("VOTE_QUEUE").ok(),
            limiter: limiter::Limiter::from_env(env),
            config,
            now,
        })
    }
}

/// A misconfigured instance's answer: the API's `misconfigured` error, a page's "unavailable".
fn misconfigured(path: &str) -> Result<Response> {
    if Route::is_api(path) {
        http::api_error(&ApiError::new(
            500,
            "misconfigured",
            "the instance is not configured; see the deployment guide",
        ))
    } else {
        http::html(503, pages::problem_page(Lang::Uk, Problem::Unavailable))
    }
}

/// `/healthz`: "ok" only when the configuration is valid; else 503 naming the setting at
/// fault (the message never carries a secret's value), so a monitor sees a bad deployment.
/// The back office also answers 503 when the citizen worker's key ring (`RING_HEADER`) is not
/// its own: codes it signs would not verify where citizens scan them.
fn health(env: &Env, req: &Request) -> Result<Response> {
    let problem = match config(env) {
        Err(e) => Some(format!("misconfigured: {e}")),
        // Only the back office compares: the header comes from the citizen worker's probe,
        // which is its own request; a client's header never reaches the back office's check.
        #[cfg(not(feature = "citizen"))]
        Ok(c) => match http::header(req, crate::between_workers::RING_HEADER) {
            Some(theirs) if !crate::between_workers::same_ring(&c.ring, &theirs) => Some(
                "misconfigured: TOKEN_KEYS differs between the citizen worker and the back office"
                    .to_owned(),
            ),
            _ => None,
        },
        #[cfg(feature = "citizen")]
        Ok(_) => {
            let _ = req;
            None
        }
    };
    let mut resp = match problem {
        None => Response::ok("ok")?,
        Some(problem) => Response::error(problem, 503)?,
    };
    resp.headers_mut().set("cache-control", "no-store")?;
    Ok(resp)
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    console_error_panic_hook::set_once();
    let now = Timestamp::from_unix_millis(Date::now().as_millis());
    let path = req.path();
    let method = http::method(&req);
    #[cfg(not(feature = "citizen"))]
    if path == crate::between_workers::PATH {
        return back_office::cron_call(&req, &env, now).await;
    }
    let (route, def) = match routes::route(method, &path) {
        Ok(m) => (m.route, m.def),
        Err(e) => return unrouted(&req, &path, e),
    };
    // The citizen worker answers a scan and a vote; everything else is the back office's.
    #[cfg(feature = "citizen")]
    if !citizen::serves(&route) {
        return citizen::forward(req, &env).await;
    }
    if route == Route::Health {
        #[cfg(feature = "citizen")]
        return citizen::health(&env, &req).await;
        #[cfg(not(feature = "citizen"))]
        return health(&env, &req);
    }
    if route == Route::Favicon {
        return http::favicon(&req);
    }
    if Route::is_api(&path) {
        if let Some(e) = ApiError::from_query(&http::query_pairs(&req)) {
            return http::api_error(&e);
        }
    }
    let config = match config(&env) {
        Ok(config) => config,
        Err(e) => {
            console_error!("configuration error: {e}");
            return misconfigured(&path);
        }
    };
    #[cfg(not(feature = "citizen"))]
    if public::is_public_read(&route) {
        let now_ms = Date::now().as_millis() as f64;
        if let Some(refused) =
            public::refuse_if_over_limit(&env, &config, &req, &path, now_ms).await
        {
            return refused;
        }
        if let Some(kept) = public::from_memory(&config, &req, &route, now) {
            return Ok(kept);
        }
    }
    let now = simulated_now(&config, &req).unwrap_or(now);
    let app = match App::new(config, &env, now) {
        Ok(app) => app,
        Err(e) => {
            console_error!("configuration error: {e}");
            return misconfigured(&path);
        }
    };
    // Public results are aggregates the hourly cron wrote: a replica a little behind the
    // primary serves them as well, and spares the one primary of a busy shard.
    #[cfg(not(feature = "citizen"))]
    let app = match route {
        Route::PublicResultsPage | Route::PublicResultsData | Route::ReceiptCheck { .. } => App {
            store: app.store.read_replica(),
            ..app
        },
        _ => app,
    };
    if let Some(refusal) = refuse_before_reading(&app, &req, &path, method, def.body) {
        return refusal;
    }
    if def.access == Access::Public {
        return match route {
            Route::Home => home(&app, &req),
            Route::Thanks => {
                let receipt = http::query(&req, "receipt").and_then(|r| Receipt::parse(&r));
                http::html(
                    200,
                    pages::thanks_page(
                        app.page_lang(&req, None),
                        receipt.as_ref(),
                        app.public_results,
                    ),
                )
            }
            Route::VotePage { token } => vote_page(&app, &req, token).await,
            Route::UnitForm { unit } => unit_form(&app, &req, unit).await,
            Route::VoteForm { token } => vote_form(&app, &mut req, token).await,
            Route::ApiVote => http::respond(api_vote(&app, &mut req).await),
            #[cfg(feature = "citizen")]
            Route::AdminApp | Route::AdminAsset { .. } | Route::OpenApi => {
                citizen::static_asset(&env, &req, &route).await
            }
            #[cfg(not(feature = "citizen"))]
            _ => back_office::public(&app, &mut req, route).await,
            // The citizen worker handed every other route on before this (`citizen::serves`).
            #[cfg(feature = "citizen")]
            _ => http::api_error(&ApiError::not_found()),
        };
    }
    #[cfg(not(feature = "citizen"))]
    return back_office::signed_in(&app, &mut req, &path, method, route).await;
    #[cfg(feature = "citizen")]
    http::api_error(&ApiError::not_found())
}
/// Refusals made from the request's head alone, before authentication, any read of D1 or
/// of the body: a change sent by a page of another site (a hidden form on any page a citizen
/// visits would otherwise vote through their browser), and a body whose `Content-Length` is
/// over its route's cap. Pages get a page in the citizen's language, the API its JSON error.
fn refuse_before_reading(
    app: &App,
    req: &Request,
    path: &str,
    method: Method,
    body: routes::BodyLimit,
) -> Option<Result<Response>> {
    let api = Route::is_api(path);
    let lang = || app.page_lang(req, None);
    if method.is_unsafe() {
        let (origin, fetch_site, host) = (
            http::header(req, "origin"),
            http::header(req, "sec-fetch-site"),
            http::header(req, "host"),
        );
        let provenance = crate::same_site::Provenance {
            origin: origin.as_deref(),
            fetch_site: fetch_site.as_deref(),
            host: host.as_deref(),
        };
        if provenance.is_cross_site(&app.base_url) {
            return Some(if api {
                http::api_error(&ApiError::cross_site())
            } else {
                http::html(403, pages::problem_page(lang(), Problem::CrossSite))
            });
        }
    }
    let max = body.bytes();
    if http::declared_too_large(req, max) {
        return Some(if api {
            http::api_error(&ApiError::payload_too_large(max))
        } else {
            http::html(413, pages::problem_page(lang(), Problem::BadRequest))
        });
    }
    None
}

fn unrouted(req: &Request, path: &str, e: RouteError) -> Result<Response> {
    let mut resp = if Route::is_api(path) {
        http::api_error(&match e {
            RouteError::NotFound => ApiError::not_found(),
            RouteError::MethodNotAllowed(_) => ApiError::method_not_allowed(),
        })?
    } else {
        let lang = i18n::negotiate(
            None,
            http::header(req, "accept-language").as_deref(),
            Lang::Uk,
        );
        match e {
            RouteError::NotFound => http::html(404, pages::problem_page(lang, Problem::NotFound))?,
            RouteError::MethodNotAllowed(_) => {
                http::html(405, pages::problem_page(lang, Problem::BadRequest))?
            }
        }
    };
    // RFC 9110: a 405 lists the methods the resource does take.
    if let RouteError::MethodNotAllowed(allow) = e {
        resp.headers_mut().set("allow", &allow.header())?;
    }
    Ok(resp)
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

    /// The database of the shard a verified code names: a forged code never gets here, and a
    /// code of a shard with no database here is invalid without any read. A one-time code's
    /// store also carries the code's spent mark (`KeyRing::spent_mark`).
    fn store_for_code(&self, code: &VerifiedCode) -> std::result::Result<CodeStore<'_>, CodeError> {
        let (token, claims) = (code.token(), code.claims());
        let mark = match claims.kind {
            crate::token::CodeKind::Standing => None,
            crate::token::CodeKind::OneTime => Some(
                self.ring
                    .spent_mark(token.key_id(), claims)
                    .ok_or(CodeError::Invalid)?,
            ),
        };
        let binding = match self.shards.route(claims.shard) {
            Destination::Home if mark.is_none() => return Ok(CodeStore::Home(&self.store)),
            Destination::Home => String::from("DB"),
            Destination::Bound(n) => ShardMap::binding(n),
            Destination::Unbound => return Err(CodeError::Invalid),
        };
        match self.env.d1(&binding) {
            Ok(db) => {
                let store = D1Store::new(db, claims.shard, self.now);
                Ok(CodeStore::Other(match mark {
                    Some(mark) => store.for_one_time_code(mark),
                    None => store,
                }))
            }
            Err(e) => Err(CodeError::Store(crate::store::StoreError::Unavailable(
                format!("D1 binding {binding}: {e}"),
            ))),
        }
    }

    /// Records a vote from this request's client (its network only goes into the day's keyed
    /// hashes) for the code `token`, whose signature is verified once, here.
    async fn cast(
        &self,
        req: &Request,
        token: &str,
        submission: Submission<'_>,
    ) -> std::result::Result<Receipt, VoteError> {
        let address = http::header(req, "cf-connecting-ip");
        let client = Client {
            address: address.as_deref().unwrap_or("unknown"),
        };
        if let Some(l) = &self.limiter {
            match l.allows(&self.ring, &client.network()).await {
                Ok(true) => {}
                Ok(false) => {
                    return Err(VoteError::RateLimited {
                        retry_after: limiter::RETRY_AFTER_SECONDS,
                    })
                }
                // Open on a fault of the limiter itself: the daily counter in D1 still holds,
                // and an honest vote is not lost to it.
                Err(e) => console_error!("{e}"),
            }
        }
        let salt = fresh_salt();
        let mut random = [0u8; 7];
        // crypto.getRandomValues does not fail for 7 bytes.
        let _ = getrandom::fill(&mut random);
        let receipt = Receipt::from_random(random);
        let arrival = service::Arrival {
            at: self.now,
            fresh_salt: &salt,
            limits: self.limits,
            receipt: &receipt,
        };
        let code = VerifiedCode::verify(&self.ring, token)?;
        let store = self.store_for_code(&code)?;
        match &self.queue {
            Some(queue) => {
                let queued = queue::QueuedStore {
                    store: &store,
                    queue,
                    twice: self.simulated_redelivery,
                };
                self.cast_into(&queued, &code, submission, client, arrival)
                    .await
            }
            None => {
                self.cast_into(&*store, &code, submission, client, arrival)
                    .await
            }
        }
        .map(|()| receipt)
    }

    async fn cast_into(
        &self,
        store: &impl Store,
        code: &VerifiedCode,
        submission: Submission<'_>,
        client: Client<'_>,
        arrival: service::Arrival<'_>,
    ) -> std::result::Result<(), VoteError> {
        let ring = &self.ring;
        match &self.turnstile {
            Some(t) => service::cast_vote(store, ring, t, code, submission, client, arrival).await,
            None => {
                let none = &service::NoChallenge;
                service::cast_vote(store, ring, none, code, submission, client, arrival).await
            }
        }
    }
}

/// The database a code's votes go to: the home one, or another shard's.
enum CodeStore<'a> {
    Home(&'a D1Store),
    Other(D1Store),
}

impl std::ops::Deref for CodeStore<'_> {
    type Target = D1Store;

    fn deref(&self) -> &D1Store {
        match self {
            CodeStore::Home(s) => s,
            CodeStore::Other(s) => s,
        }
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
        CodeError::Used => http::html(410, pages::problem_page(lang, Problem::UsedCode)),
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

/// A unit's website form; a unit that does not exist, is inactive or has no website codes is
/// the friendly "not found" page.
async fn unit_form(app: &App, req: &Request, unit: Option<crate::org::UnitId>) -> Result<Response> {
    let lang = app.page_lang(req, None);
    let not_found = || http::html(404, pages::problem_page(lang, Problem::NotFound));
    let Some(unit) = unit else {
        return not_found();
    };
    match service::unit_form(&app.store, &app.ring, app.shards.home(), unit).await {
        Ok(Some((name, people))) if !people.is_empty() => {
            let links: Vec<(String, String, String)> = people
                .into_iter()
                .map(|(n, p, token)| (n, p, format!("/r/{}?lang={}", token.as_str(), lang.code())))
                .collect();
            let path = format!("/f/{}", unit.get());
            http::html(200, pages::unit_form_page(lang, &path, &name, &links))
        }
        Ok(_) => not_found(),
        Err(e) => code_problem(lang, &CodeError::Store(e)),
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
    let opened = match VerifiedCode::verify(&app.ring, token) {
        Ok(code) => match app.store_for_code(&code) {
            Ok(store) => service::open_code(&*store, code).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match opened {
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
                criteria: state.criteria,
                challenge: app.turnstile.as_ref().map(|t| t.site_key.as_str()),
            };
            let page = pages::vote_page(lang, &path, &card, &open.scale, &state);
            match state.challenge {
                Some(_) => http::html_with_csp(
                    status,
                    page,
                    &pages::content_security_policy_with_challenge(),
                ),
                None => http::html(status, page),
            }
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
    let criteria = form.criteria_numbers();
    let submission = Submission {
        score: form.score_number(),
        comment: &form.comment,
        contact: &form.contact,
        lang,
        source: Source::Form,
        page_stamp: form.stamp.as_deref(),
        criteria: &criteria,
        challenge: form.challenge.as_deref(),
    };
    match app.cast(req, token, submission).await {
        Ok(receipt) => http::see_other(&format!(
            "/thanks?lang={}&receipt={}",
            lang.code(),
            receipt.display()
        )),
        Err(e @ (VoteError::Input(_) | VoteError::ChallengeFailed)) => {
            let problem = match e {
                VoteError::Input(InputError::CommentTooLong) => FormProblem::CommentTooLong,
                VoteError::Input(InputError::InvalidContact) => FormProblem::InvalidContact,
                VoteError::Input(
                    InputError::UnknownCriterion | InputError::CriterionOutOfScale,
                ) => FormProblem::Criterion,
                VoteError::ChallengeFailed => FormProblem::Challenge,
                _ => FormProblem::NoScore,
            };
            let score = form.score_number().and_then(|s| u8::try_from(s).ok());
            let state = FormState {
                score,
                comment: &form.comment,
                contact: &form.contact,
                problem: Some(problem),
                stamp: form.stamp.as_deref().unwrap_or(""),
                criteria: &criteria,
                challenge: None,
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
        Err(VoteError::ChallengeUnavailable(cause)) => {
            console_error!("turnstile: {cause}");
            let mut resp = http::html(503, pages::problem_page(lang, Problem::Unavailable))?;
            resp.headers_mut().set("retry-after", "5")?;
            Ok(resp)
        }
        Err(VoteError::Store(e)) => code_problem(lang, &CodeError::Store(e)),
    }
}

async fn api_vote(app: &App, req: &mut Request) -> http::Answer {
    let vote: JsonVote = http::json_body(req).await?;
    let lang = vote.lang(app.default_lang)?;
    let criteria = vote.criteria();
    let submission = Submission {
        score: Some(vote.score),
        comment: vote.comment.as_deref().unwrap_or(""),
        contact: vote.contact.as_deref().unwrap_or(""),
        lang,
        source: Source::Api,
        page_stamp: None,
        criteria: &criteria,
        challenge: vote.turnstile.as_deref(),
    };
    let receipt = app.cast(req, &vote.token, submission).await?;
    Ok(http::json(
        201,
        serde_json::json!({"status": "recorded", "receipt": receipt.display()}).to_string(),
    )?)
}
