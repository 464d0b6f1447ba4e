//! The citizen worker (`--features citizen`): a scan's page and its vote, the Queue consumer
//! that writes queued votes, and the cron triggers, which it hands on. Only this code is
//! loaded when a citizen scans a code; everything else is the back office worker's
//! (`back_office.rs`), reached through the `BACKOFFICE` service binding: same deployment,
//! same location, no network hop (docs/deploy.md, "Two workers").

use super::{config, http};
use crate::between_workers::{self, ring_fingerprint, CronCall, RING_HEADER};
use crate::clock::Timestamp;
use crate::routes::Route;
use worker::{
    console_error, console_log, event, Date, Env, Headers, Method, Request, RequestInit, Response,
    Result, ScheduleContext, ScheduledEvent,
};

/// The binding to the back office worker (wrangler.toml, `[[services]]`).
const BACKOFFICE: &str = "BACKOFFICE";

/// The admin page's own files among `/admin/assets/`; the posters' are the back office's.
const ADMIN_FILES: [&str; 3] = ["app.js", "i18n.js", "app.css"];

/// The routes this worker answers itself; `unrouted` answers paths no route has.
pub(super) fn serves(route: &Route<'_>) -> bool {
    if let Route::AdminAsset { name } = route {
        return ADMIN_FILES.contains(name);
    }
    matches!(
        route,
        Route::AdminApp
            | Route::OpenApi
            | Route::Health
            | Route::Favicon
            | Route::Voting(_)
    )
}

/// The admin page, its script and stylesheet, and the OpenAPI document: Workers Static Assets
/// (wrangler.toml, `[assets]`; `make build` puts them in build/assets), read through the
/// `ASSETS` binding. So they are in neither worker's WASM, while this worker still decides
/// methods (405 with `Allow`), headers and caching, as when they were compiled in.
pub(super) async fn static_asset(env: &Env, req: &Request, route: &Route<'_>) -> Result<Response> {
    let (path, page, cache) = match route {
        // `/admin` and `/admin/` are the one page (the asset server would redirect the first).
        Route::AdminApp => ("/admin/".to_owned(), true, "no-store"),
        Route::AdminAsset { name } => (
            format!("/admin/assets/{name}"),
            false,
            "public, max-age=300",
        ),
        _ => (
            "/api/v1/openapi.json".to_owned(),
            false,
            "public, max-age=300",
        ),
    };
    // No conditional request: the answer is always the whole file, as when it was compiled
    // in. (Passing on If-None-Match gave browsers 304s, and admin pages reloaded in the
    // browser tests then hung now and then; the files are small and cached for five minutes.)
    let mut init = RequestInit::new();
    init.with_method(req.method());
    let url = format!("https://assets.internal{path}");
    let asset = env
        .assets("ASSETS")?
        .fetch_request(Request::new_with_init(&url, &init)?)
        .await?;
    match asset.status_code() {
        200 => with_own_headers(asset, page, cache),
        status => {
            console_error!("static asset {path}: {status} (is build/assets complete? make build)");
            http::api_error(&crate::api::ApiError::not_found())
        }
    }
}

/// A static asset's answer (`ASSETS` binding) with this worker's headers: its media type kept,
/// everything else set here, as when the file was compiled in. `page` is the admin app shell,
/// never framed.
fn with_own_headers(asset: Response, page: bool, cache: &str) -> Result<Response> {
    let h = Headers::new();
    if let Some(kind) = asset.headers().get("content-type")? {
        h.set("content-type", &kind)?;
    }
    http::common_headers(&h)?;
    h.set("content-security-policy", http::ADMIN_CSP)?;
    if page {
        h.set("x-frame-options", "DENY")?;
    }
    h.set("cache-control", cache)?;
    Ok(asset.with_headers(h))
}

/// Hands a request, unread and as it came (its client's address header included), to the
/// back office.
pub(super) async fn forward(req: Request, env: &Env) -> Result<Response> {
    match env.service(BACKOFFICE) {
        Ok(back_office) => back_office.fetch_request(req).await,
        Err(e) => {
            console_error!("service binding {BACKOFFICE}: {e}");
            let mut resp = http::api_error(&crate::api::ApiError::unavailable())?;
            resp.headers_mut().set("retry-after", "5")?;
            Ok(resp)
        }
    }
}

/// `/healthz` of the deployment: this worker's configuration, then the back office's, which
/// also compares the two workers' `TOKEN_KEYS` (a secret is set per worker). A monitor on the
/// one public URL sees either worker misconfigured, and which.
pub(super) async fn health(env: &Env, req: &Request) -> Result<Response> {
    let own = super::health(env, req)?;
    let Ok(config) = config(env) else {
        return Ok(own);
    };
    let headers = Headers::new();
    headers.set(RING_HEADER, &ring_fingerprint(&config.ring))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let back = match env.service(BACKOFFICE) {
        Ok(back_office) => {
            let probe = Request::new_with_init("https://backoffice.internal/healthz", &init)?;
            match back_office.fetch_request(probe).await {
                Ok(resp) if resp.status_code() == 200 => None,
                // The back office's own answer names the setting (never a value).
                Ok(mut resp) if resp.status_code() == 503 => {
                    Some(resp.text().await.unwrap_or_default())
                }
                Ok(resp) => {
                    console_error!("healthz: the back office answered {}", resp.status_code());
                    Some("unavailable".to_owned())
                }
                Err(e) => {
                    console_error!("healthz: the back office did not answer: {e}");
                    Some("unreachable".to_owned())
                }
            }
        }
        Err(e) => {
            console_error!("healthz: service binding {BACKOFFICE}: {e}");
            Some(format!("the {BACKOFFICE} binding is missing"))
        }
    };
    match back {
        None => Ok(own),
        Some(problem) => {
            let mut resp = Response::error(format!("back office: {problem}"), 503)?;
            resp.headers_mut().set("cache-control", "no-store")?;
            Ok(resp)
        }
    }
}

/// Cron triggers are declared with this worker, the deployment's entry, so that one file
/// holds them all; each run is done by the back office, which has the roll-up, the close and
/// the housekeeping. A run that fails is logged; the next one makes up for it.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    console_error_panic_hook::set_once();
    let now = Timestamp::from_unix_millis(Date::now().as_millis());
    let config = match config(&env) {
        Ok(c) => c,
        Err(e) => return console_error!("cron: configuration error: {e}"),
    };
    let call = CronCall::sign(&config.ring, &event.cron(), now.unix_seconds());
    match hand_on(&env, &call).await {
        Ok(204) => console_log!("cron: {} done by the back office", call.schedule),
        Ok(status) => console_error!(
            "cron: the back office answered {status} to {}",
            call.schedule
        ),
        Err(e) => console_error!("cron: calling the back office failed: {e}"),
    }
}

async fn hand_on(env: &Env, call: &CronCall) -> Result<u16> {
    let headers = Headers::new();
    for (name, value) in call.headers() {
        headers.set(name, &value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers);
    // The host is never resolved: a service binding delivers to its worker whatever it names.
    let url = format!("https://backoffice.internal{}", between_workers::PATH);
    let req = Request::new_with_init(&url, &init)?;
    let resp = env.service(BACKOFFICE)?.fetch_request(req).await?;
    Ok(resp.status_code())
}
