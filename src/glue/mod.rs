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
pub(crate) mod limiter;
pub(crate) mod queue;
pub(crate) mod turnstile;
#[cfg(not(feature = "citizen"))]
pub(crate) mod webcrypto;
// The citizen worker's own: what it answers and hands on, and the Queue consumer.
modules_of!(feature = "citizen": citizen, queue_consumer);
// The back office's: its routes and crons, and their D1 adapters.
modules_of!(not(feature = "citizen"):
    alert, auth, back_office, cf_access,
    national, zones,
);

use crate::api::ApiError;
use crate::clock::Timestamp;
use crate::config::{Config, ConfigError};
use crate::i18n::{self, Lang};
use crate::pages::{self, Problem};
use crate::routes::{self, Access, Method, Route, RouteError};
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
pub(crate) fn today(now: Timestamp) -> chrono::NaiveDate {
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
    if crate::public::handlers::is_public_read(&route) {
        let now_ms = Date::now().as_millis() as f64;
        if let Some(refused) =
            crate::public::handlers::refuse_if_over_limit(&env, &config, &req, &path, now_ms).await
        {
            return refused;
        }
        if let Some(kept) = crate::public::handlers::from_memory(&config, &req, &route, now) {
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
        Route::Public(_) => App {
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
            Route::Voting(r) => crate::voting::handlers::dispatch(&app, &mut req, r).await,
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
    /// The language of a page: the form's choice, then `?lang=`, then `Accept-Language`.
    pub(crate) fn page_lang(&self, req: &Request, form_lang: Option<&str>) -> Lang {
        let query_lang = http::query(req, "lang");
        i18n::negotiate(
            form_lang.or(query_lang.as_deref()),
            http::header(req, "accept-language").as_deref(),
            self.default_lang,
        )
    }
}
