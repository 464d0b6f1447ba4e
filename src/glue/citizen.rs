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

/// The routes this worker answers itself; `unrouted` answers paths no route has.
pub(super) fn serves(route: &Route<'_>) -> bool {
    matches!(
        route,
        Route::Health
            | Route::Favicon
            | Route::Home
            | Route::Thanks
            | Route::VotePage { .. }
            | Route::UnitForm { .. }
            | Route::VoteForm { .. }
            | Route::ApiVote
    )
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
