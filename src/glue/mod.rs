//! The Workers glue: the configuration parsed once per isolate (`crate::config`) and the
//! bindings resolved per request at the entry, routing, and thin handlers that call `service`
//! and render its answers.

mod admin;
mod alert;
mod audit;
mod auth;
mod cf_access;
mod d1;
mod d1_admin;
mod d1_audit;
mod d1_directory;
mod d1_one_time;
mod d1_public;
mod d1_results;
mod directory;
mod http;
mod limiter;
mod national;
mod public;
mod queue;
mod results;
mod turnstile;
mod zones;

use crate::account::Principal;
use crate::api::{self, ApiError, OPENAPI_JSON};
use crate::clock::{DayRange, Timestamp};
use crate::config::{Config, ConfigError};
use crate::i18n::{self, Lang};
use crate::integrity::PageStamp;
use crate::org::EmployeeId;
use crate::pages::{self, EmployeeCard, FormProblem, FormState, Problem};
use crate::receipt::Receipt;
use crate::routes::{self, Access, Method, Route, RouteError};
use crate::service::{self, Client, CodeError, Submission, VerifiedCode, VoteError};
use crate::shard::{Destination, ShardMap};
use crate::store::admin::AdminStore;
use crate::store::results::ResultsStore;
use crate::store::Source;
use crate::store::Store;
use crate::vote::{FormVote, InputError, JsonVote};
use d1::D1Store;
use serde::de::DeserializeOwned;
use std::rc::Rc;
use worker::{
    console_error, console_log, event, Context, Date, Env, Queue, Request, Response, Result,
    ScheduleContext, ScheduledEvent,
};

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
struct App {
    config: Rc<Config>,
    /// The home shard's database, `DB`: administration, results and crons use only this one.
    store: D1Store,
    /// Other shards' databases are looked up here once a code names one.
    env: Env,
    /// `VOTE_QUEUE`: when bound, votes are answered once queued and written by the consumer.
    queue: Option<Queue>,
    /// The Workers Rate Limiting binding `VOTE_RATE_LIMITER`, if configured.
    limiter: Option<limiter::Limiter>,
    now: Timestamp,
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

/// `HOME_SHARD` and the shards bound as `DB_SHARD_<n>`, from the names of every binding. The
/// queue consumer's own reading (requests and crons use `config`): it writes votes already
/// accepted, which no other setting concerns, so a setting broken since does not hold them.
fn shard_map(env: &Env) -> std::result::Result<ShardMap, String> {
    let names = binding_names(env);
    ShardMap::parse(
        setting(env, "HOME_SHARD").as_deref(),
        names.iter().map(String::as_str),
    )
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
fn health(env: &Env) -> Result<Response> {
    let mut resp = match config(env) {
        Ok(_) => Response::ok("ok")?,
        Err(e) => Response::error(format!("misconfigured: {e}"), 503)?,
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
    let route = match routes::route(method, &path) {
        Ok(route) => route,
        Err(e) => return unrouted(&req, &path, e),
    };
    if route == Route::Health {
        return health(&env);
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
    let app = match route {
        Route::PublicResultsPage | Route::PublicResultsData | Route::ReceiptCheck { .. } => App {
            store: app.store.read_replica(),
            ..app
        },
        _ => app,
    };
    if let Some(refusal) = refuse_before_reading(&app, &req, &path, method, &route) {
        return refusal;
    }
    if route.access() == Access::Public {
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
            Route::ReceiptCheck { code } => public::check_receipt(&app, code).await,
            Route::VotePage { token } => vote_page(&app, &req, token).await,
            Route::UnitForm { unit } => unit_form(&app, &req, unit).await,
            Route::VoteForm { token } => vote_form(&app, &mut req, token).await,
            Route::ApiVote => api_vote(&app, &mut req).await,
            Route::OpenApi => {
                let mut resp = http::json(200, OPENAPI_JSON.to_owned())?;
                resp.headers_mut()
                    .set("cache-control", "public, max-age=300")?;
                Ok(resp)
            }
            Route::AdminApp => admin::app_shell(),
            Route::AdminAsset { name } => admin::asset(name),
            Route::SignIn => admin::sign_in(&app, &mut req).await,
            Route::AcceptInvitation => admin::accept_invitation(&app, &mut req).await,
            Route::PublicResultsPage => public::public_page(&app, &req).await,
            Route::PublicResultsData => public::public_data(&app, &req).await,
            _ => Response::ok("ok"),
        };
    }
    let p = match auth::principal(&app, &req, method).await {
        Ok(p) => p,
        Err(e) => {
            return if Route::is_api(&path) {
                http::api_error(&e)
            } else {
                // A poster link opened while signed out: back to the admin page to sign in.
                http::see_other("/admin/")
            };
        }
    };
    match route {
        Route::Me => admin::me(&app, &p).await,
        Route::SignOut => admin::sign_out(&app, &req, &p).await,
        Route::ChangePassword => admin::change_password(&app, &mut req, &p).await,
        Route::Units => admin::units(&app, &p).await,
        Route::CreateUnit => admin::create_unit(&app, &mut req, &p).await,
        Route::UnitDetail { unit } => admin::unit_detail(&app, &p, unit).await,
        Route::ChangeUnit { unit } => admin::change_unit(&app, &mut req, &p, unit).await,
        Route::SetNetworks { unit } => admin::set_networks(&app, &mut req, &p, unit).await,
        Route::CreateEmployee => admin::create_employee(&app, &mut req, &p).await,
        Route::EmployeeDetail { employee } => admin::employee_detail(&app, &p, employee).await,
        Route::ChangeEmployee { employee } => {
            admin::change_employee(&app, &mut req, &p, employee).await
        }
        Route::IssueCode { employee } => admin::issue_code(&app, &req, &p, employee).await,
        Route::RevokeCode { employee } => admin::revoke_code(&app, &req, &p, employee).await,
        Route::QrSvg { employee } => admin::qr_image(&app, &req, &p, employee, false).await,
        Route::QrPng { employee } => admin::qr_image(&app, &req, &p, employee, true).await,
        Route::Summary { employee } => summary(&app, &req, &p, employee).await,
        Route::Directions => admin::directions(&app).await,
        Route::CreateDirection => admin::create_direction(&app, &mut req, &p).await,
        Route::Import => admin::import(&app, &mut req, &p).await,
        Route::Export => admin::export(&app, &req, &p).await,
        Route::Accounts => admin::accounts(&app, &p).await,
        Route::Invite => admin::invite(&app, &mut req, &p).await,
        Route::SetRoles { account } => admin::set_roles(&app, &mut req, &p, account).await,
        Route::LinkEmployee { account } => admin::link_employee(&app, &mut req, &p, account).await,
        Route::DeactivateAccount { account } => admin::deactivate_account(&app, &p, account).await,
        Route::Tokens => admin::tokens(&app, &p).await,
        Route::CreateToken => admin::create_token(&app, &mut req, &p).await,
        Route::RevokeToken { id } => admin::revoke_token(&app, &p, id).await,
        Route::AuditLog => audit::audit_log(&app, &req, &p).await,
        Route::PendingInvitations => audit::pending(&app, &p).await,
        Route::RevokeInvitation { id } => audit::revoke(&app, &p, id).await,
        Route::ResetLink { account } => audit::reset_link(&app, &p, account).await,
        Route::SigningKeys => admin::signing_keys(&app, &p).await,
        Route::Scale => admin::scale(&app).await,
        Route::SetScale => admin::set_scale(&app, &mut req, &p).await,
        Route::CreateCriterion => admin::create_criterion(&app, &mut req, &p).await,
        Route::ChangeCriterion { id } => admin::change_criterion(&app, &mut req, &p, id).await,
        Route::ReissueOldCodes { unit } => admin::reissue_old_codes(&app, &p, unit).await,
        Route::UnitResults { unit } => results::unit_results(&app, &req, &p, unit).await,
        Route::EmployeeResults { employee } => {
            results::employee_results(&app, &req, &p, employee).await
        }
        Route::DirectionResults => results::direction_results(&app, &req, &p).await,
        Route::Comments => results::comments(&app, &req, &p).await,
        Route::Recompute => results::recompute(&app, &req, &p).await,
        Route::MonthlyReport { unit } => results::monthly_report(&app, &req, &p, unit).await,
        Route::FlaggedVotes => results::flagged(&app, &req, &p).await,
        Route::DecideFlagged => results::decide(&app, &mut req, &p).await,
        Route::RejectedVotes => results::rejected(&app, &req, &p).await,
        Route::UndoRejection { vote } => results::undo_rejection(&app, &p, vote).await,
        Route::UndoRejections => results::undo_rejections(&app, &mut req, &p).await,
        Route::Cases => results::cases(&app, &req, &p).await,
        Route::OverdueCases => results::overdue(&app, &p).await,
        Route::ChangeCase { id } => results::change_case(&app, &mut req, &p, id).await,
        Route::FileAppeal { vote } => results::file_appeal(&app, &mut req, &p, vote).await,
        Route::Appeals => results::appeals(&app, &req, &p).await,
        Route::DecideAppeal { vote } => results::decide_appeal(&app, &mut req, &p, vote).await,
        Route::ModerateComment { vote } => results::moderate(&app, &mut req, &p, vote).await,
        Route::National => national::national(&app, &req, &p).await,
        Route::Poster { .. } | Route::UnitPosters { .. } => {
            admin::posters(&app, &req, &p, &route).await
        }
        Route::IssueOneTimeCodes { unit } => admin::issue_one_time(&app, &mut req, &p, unit).await,
        Route::OneTimeBatches { unit } => admin::one_time_batches(&app, &p, unit).await,
        Route::OneTimeBatch { id } => admin::one_time_batch(&app, &p, id).await,
        Route::RevokeOneTimeBatch { id } => admin::revoke_one_time(&app, &p, id).await,
        Route::OneTimeSlips { id } => admin::one_time_slips(&app, &req, &p, id).await,
        Route::Search => directory::search(&app, &req, &p).await,
        Route::EmployeeList => directory::employees(&app, &req, &p).await,
        Route::IssueMissingCodes { unit } => {
            directory::issue_missing(&app, &mut req, &p, unit).await
        }
        // Public routes were answered above.
        _ => http::api_error(&ApiError::not_found()),
    }
}

/// Cron triggers (wrangler.toml), told apart by their schedule: the hourly roll-up, the
/// monthly close on the 1st, and the daily housekeeping. An unknown schedule rolls up.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    console_error_panic_hook::set_once();
    let now = Timestamp::from_unix_millis(Date::now().as_millis());
    // A bad configuration stops the whole run: no half-configured roll-up, close or alert.
    let config = match config(&env) {
        Ok(c) => c,
        Err(e) => return console_error!("cron: configuration error: {e}"),
    };
    let db = match env.d1("DB") {
        Ok(db) => db,
        Err(e) => return console_error!("cron: D1 binding DB: {e}"),
    };
    let store = D1Store::new(db, config.shards.home(), now);
    let alerts = config.alerts.is_some();
    match event.cron().as_str() {
        HOUSEKEEPING_CRON => {
            housekeeping(&config, &store, now).await;
            if alerts {
                queue_drops(&store, now).await;
            }
        }
        MONTHLY_CLOSE_CRON => close_month(&config, &store, now).await,
        _ => {
            hourly(&config, &store, now).await;
            collect_national(&env, &config, &store, now).await;
        }
    }
    if let Some(alerts) = &config.alerts {
        let base = config.base_url.as_str();
        alert::deliver(
            &store,
            alerts,
            config.default_lang,
            base.trim_end_matches('/'),
            now,
        )
        .await;
    }
}

async fn queue_drops(store: &D1Store, now: Timestamp) {
    let top = match store.scale().await {
        Ok(s) => i64::from(s.max()),
        Err(e) => return console_error!("cron: drop alerts: reading the scale failed: {e}"),
    };
    match crate::results::queue_drop_alerts(store, now, top).await {
        Ok(0) => {}
        Ok(n) => console_log!("cron: {n} sharp drops found"),
        Err(e) => console_error!("cron: drop alerts failed: {e}"),
    }
}

const HOUSEKEEPING_CRON: &str = "5 0 * * *";
const MONTHLY_CLOSE_CRON: &str = "30 0 1 * *";

async fn hourly(config: &Config, store: &D1Store, now: Timestamp) {
    let budget = crate::results::Budget {
        alerts: config.alerts.is_some(),
        case_deadline_days: config.case_deadline_days,
        ..crate::results::Budget::CRON
    };
    let rolled = crate::results::roll_up(store, &zones::IntlZones::default(), now, budget).await;
    // The public pages follow what the roll-up changed (public.rs).
    let changed = rolled.as_ref().is_ok_and(|r| {
        !r.skipped && (r.new_votes > 0 || !r.days.is_empty() || !r.months.is_empty())
    });
    match rolled {
        Ok(r) if r.skipped => console_log!("cron: roll-up skipped, another run holds the lease"),
        Ok(r) => console_log!(
            "cron: rolled up to vote {} ({} new votes, {} days, {} months; {} votes, {} days and {} months left; {} rows read, {} written)",
            r.watermark,
            r.new_votes,
            r.days.len(),
            r.months.len(),
            r.votes_left,
            r.days_left,
            r.months_left,
            r.cost.rows_read,
            r.cost.rows_written
        ),
        // The next run redoes it: every step is a batch, and the dirty days stay dirty.
        Err(e) => console_error!("cron: roll-up failed: {e}"),
    }
    public::refresh_after_roll_up(store, now, changed, config.min_votes).await;
    // After the roll-up, whose screening is what needed the exact times.
    match coarsen_times(store, now).await {
        Ok(0) => {}
        Ok(n) => console_log!("cron: vote times coarsened to the half hour through vote {n}"),
        Err(e) => console_error!("cron: coarsening vote times failed: {e}"),
    }
    // A monthly close that failed or found the lease taken is made up by the next hour.
    let today = crate::clock::parse_iso_day(&now.utc_day()).unwrap_or_default();
    let last = crate::report::month_key(
        crate::report::Period::around(crate::report::PeriodKind::Month, today)
            .previous()
            .from,
    );
    match store.has_monthly_reports(&last).await {
        Ok(false) => close_month(config, store, now).await,
        Ok(true) => {}
        Err(e) => console_error!("cron: checking last month's reports failed: {e}"),
    }
}

/// Votes per coarsening step, and steps per run: a first run over millions of votes spreads
/// over several hours, each step one batch well within D1's 30 s.
const COARSEN_STEP: i64 = 50_000;
const COARSEN_STEPS: u32 = 20;

#[derive(serde::Deserialize)]
struct CoarseningState {
    through_vote: i64,
    watermark: i64,
    oldest_unscreened: Option<i64>,
}

/// Floors to the half hour the stored times of votes that screening and their UTC day are
/// done with (`vote_time::coarsen_before`), with their copies in cases and moderation; the
/// last vote id done, 0 when nothing was left to do.
async fn coarsen_times(
    store: &D1Store,
    now: Timestamp,
) -> std::result::Result<i64, crate::store::StoreError> {
    use crate::store::sql;
    use d1::num;
    let mut done = 0;
    for _ in 0..COARSEN_STEPS {
        let Some(state) = store
            .first::<CoarseningState>(sql::COARSENING_STATE, &[])
            .await?
        else {
            return Ok(done);
        };
        let cut = crate::vote_time::coarsen_before(now.unix_seconds(), state.oldest_unscreened);
        let limit = state.watermark.min(state.through_vote + COARSEN_STEP);
        if limit <= state.through_vote {
            return Ok(done);
        }
        let three = [
            num(state.through_vote as f64),
            num(limit as f64),
            num(cut as f64),
        ];
        let mut four = three.to_vec();
        four.push(num(crate::vote_time::BUCKET_SECONDS as f64));
        store
            .batch(vec![
                store.prepare(sql::COARSEN_VOTE_TIMES, &four)?,
                store.prepare(sql::COARSEN_CASE_TIMES, &four)?,
                store.prepare(sql::COARSEN_MODERATION_TIMES, &four)?,
                store.prepare(sql::ADVANCE_COARSENING, &three)?,
            ])
            .await?;
        let Some(after) = store
            .first::<CoarseningState>(sql::COARSENING_STATE, &[])
            .await?
        else {
            return Ok(done);
        };
        if after.through_vote <= state.through_vote {
            // A newer vote stops it here until it is old enough.
            return Ok(done);
        }
        done = after.through_vote;
    }
    Ok(done)
}

async fn close_month(config: &Config, store: &D1Store, now: Timestamp) {
    let levels = match store.scale().await {
        Ok(s) => s
            .levels()
            .iter()
            .map(|l| i64::from(l.value))
            .collect::<Vec<_>>(),
        Err(e) => return console_error!("cron: monthly close: reading the scale failed: {e}"),
    };
    let min_votes = config.min_votes;
    match crate::results::monthly_close(
        store,
        &zones::IntlZones::default(),
        now,
        &levels,
        min_votes,
    )
    .await
    {
        Ok(c) => {
            console_log!(
                "cron: closed {}: {} reports ({} rows read, {} written)",
                c.month,
                c.reports,
                c.roll_up.cost.rows_read + c.cost.rows_read,
                c.roll_up.cost.rows_written + c.cost.rows_written
            );
            if c.reports > 0 {
                // The closed month's pages, rebuilt from the rebuilt month, and every page
                // anew: they show the digest just published.
                public::refresh(store, now, std::slice::from_ref(&c.month), min_votes).await;
                public::renew_versions(store, now).await;
            }
        }
        Err(e) => console_error!("cron: monthly close failed: {e}"),
    }
}

/// Hourly: this month and last month of every shard in `NATIONAL_SHARDS`, copied into the
/// national view. Last month keeps being collected through this one, so corrections made
/// there after the close still arrive.
async fn collect_national(env: &Env, config: &Config, home: &D1Store, now: Timestamp) {
    let (shards, listed) = (&config.shards, &config.national);
    if listed.is_empty() {
        return;
    }
    let this = crate::report::Period::around(crate::report::PeriodKind::Month, today(now));
    let months = [
        crate::report::month_key(this.previous().from),
        crate::report::month_key(this.from),
    ];
    let mut stores = Vec::with_capacity(listed.len());
    for &shard in listed {
        let store = match shards.route(shard) {
            Destination::Home => env.d1("DB"),
            Destination::Bound(n) => env.d1(&ShardMap::binding(n)),
            Destination::Unbound => continue,
        };
        match store {
            Ok(db) => stores.push((shard, D1Store::new(db, shard, now))),
            Err(e) => console_error!("cron: national view: shard {shard}: {e}"),
        }
    }
    national::collect(home, &stores, &months).await;
}

/// Daily: forget earlier days' salts, old sign-in failures and expired contacts.
async fn housekeeping(config: &Config, store: &D1Store, now: Timestamp) {
    let retention = config.contact_retention_days;
    // Failed sign-ins only matter for 15 minutes, sessions for 12 hours: a day is plenty.
    if let Err(e) = store
        .forget_login_failures_before(now.unix_seconds() - 86_400)
        .await
    {
        console_error!("cron: forgetting old sign-in failures failed: {e}");
    }
    if let Err(e) = store
        .forget_queued_keys_before(now.unix_seconds() - queue::KEY_RETENTION_SECONDS)
        .await
    {
        console_error!("cron: forgetting old queued votes' keys failed: {e}");
    }
    match service::daily_housekeeping(store, now, retention).await {
        Ok(done) => console_log!(
            "cron: forgot {} old salts and {} contacts older than {retention} days",
            done.salts,
            done.contacts
        ),
        // Retried by the next run: every deletion is idempotent.
        Err(e) => console_error!("cron: housekeeping failed: {e}"),
    }
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
    route: &Route<'_>,
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
    let max = route.body_limit().bytes();
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

/// Reads a JSON body of type `T`: the media type, the size, UTF-8 and the shape, each with
/// its own error. Every JSON body is read here, and only as an object (`json_object`): an
/// array of fields in order is refused before any handler runs.
pub(crate) async fn json_body<T: DeserializeOwned>(
    req: &mut Request,
) -> std::result::Result<T, ApiError> {
    if !http::has_content_type(req, "application/json") {
        return Err(ApiError::unsupported_media_type("application/json"));
    }
    let bytes = http::body(req).await?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ApiError::invalid_utf8())?;
    crate::json_object::from_object(text).map_err(ApiError::from_body_error)
}

pub(crate) fn created<T: serde::Serialize>(value: &T) -> Result<Response> {
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
    match app.cast(req, &vote.token, submission).await {
        Ok(receipt) => http::json(
            201,
            serde_json::json!({"status": "recorded", "receipt": receipt.display()}).to_string(),
        ),
        Err(e) => {
            if let Some(cause) = api::internal_cause(&e) {
                console_error!("store error on vote: {cause}");
            }
            if let VoteError::ChallengeUnavailable(cause) = &e {
                console_error!("turnstile: {cause}");
            }
            http::api_error(&(&e).into())
        }
    }
}

async fn summary(
    app: &App,
    req: &Request,
    p: &Principal,
    employee: Option<EmployeeId>,
) -> Result<Response> {
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
    match app.store.employee_in_scope(&p.read_scope(), employee).await {
        Ok(true) => {}
        Ok(false) => {
            return http::api_error(&ApiError::new(404, "not_found", "employee not found"))
        }
        Err(e) => {
            console_error!("store error on summary: {e}");
            return http::api_error(&ApiError::unavailable());
        }
    }
    match service::summary(&app.store, employee, range).await {
        Ok(s) => match serde_json::to_string(&s) {
            Ok(body) => http::json(200, body),
            Err(_) => http::api_error(&ApiError::unavailable()),
        },
        Err(e) => {
            if let Some(cause) = api::admin_internal_cause(&e) {
                console_error!("store error on summary: {cause}");
            }
            http::api_error(&(&e).into())
        }
    }
}
