//! The back office worker: administration, results, the public results and receipts, the
//! admin page and the OpenAPI document, and the crons. Citizens' scans and votes never load
//! it: the citizen worker (`citizen.rs`) answers those and hands everything else here through
//! the `BACKOFFICE` service binding (docs/deploy.md).

use super::*;
use crate::account::Principal;
use crate::between_workers::CronCall;
use crate::clock::DayRange;
use crate::org::EmployeeId;
use crate::shard::{Destination, ShardMap};
use crate::voting::service;
use crate::admin::handlers as admin;
use crate::results::handlers as results;
use crate::admin::store::AdminStore;
use crate::results::store::ResultsStore;
use crate::store::Store;
use worker::console_log;

/// The public routes a scan does not need: the receipt check, the admin page, its assets and
/// sign-in, the OpenAPI document and the public results.
pub(super) async fn public(app: &App, req: &mut Request, route: Route<'_>) -> Result<Response> {
    let answer = match route {
        // The public results and receipts answer their own errors (`public.rs`).
        Route::Public(r) => return crate::public::handlers::dispatch(app, req, r).await,
        Route::OpenApi | Route::AdminApp => admin::static_asset_missing(),
        Route::AdminAsset { name } => admin::asset(name),
        Route::Admin(r) => admin::dispatch_public(app, req, r).await,
        _ => Err(ApiError::not_found()),
    };
    http::respond(answer)
}

/// The routes that need a signed-in account or an API token.
pub(super) async fn signed_in(
    app: &App,
    req: &mut Request,
    path: &str,
    method: Method,
    route: Route<'_>,
) -> Result<Response> {
    let p = match auth::principal(app, req, method).await {
        Ok(p) => p,
        Err(e) => {
            return if Route::is_api(path) {
                http::api_error(&e)
            } else {
                // A poster link opened while signed out: back to the admin page to sign in.
                http::see_other("/admin/")
            };
        }
    };
    let answer = match route {
        Route::Admin(r) => admin::dispatch(app, req, &p, r).await,
        Route::Summary { employee } => summary(app, req, &p, employee).await,
        Route::Import(r) => crate::import::handlers::dispatch(app, req, &p, r).await,
        Route::Audit(r) => crate::audit::handlers::dispatch(app, req, &p, r).await,
        Route::Results(r) => results::dispatch(app, req, &p, r).await,
        Route::Moderation(r) => crate::moderation::handlers::dispatch(app, req, &p, r).await,
        Route::National => national::national(app, req, &p).await,
        Route::Poster(r) => crate::poster::handlers::dispatch(app, req, &p, r).await,
        Route::OneTime(r) => crate::one_time::handlers::dispatch(app, req, &p, r).await,
        Route::Directory(r) => crate::directory::handlers::dispatch(app, req, &p, r).await,
        // Public routes were answered above.
        _ => Err(ApiError::not_found()),
    };
    http::respond(answer)
}

async fn summary(
    app: &App,
    req: &Request,
    p: &Principal,
    employee: Option<EmployeeId>,
) -> http::Answer {
    let not_found = || ApiError::new(404, "not_found", "employee not found");
    let employee = employee.ok_or_else(not_found)?;
    let today = today(app.now);
    let range = DayRange::parse(
        http::query(req, "from").as_deref(),
        http::query(req, "to").as_deref(),
        today,
    )?;
    if !app
        .store
        .employee_in_scope(&p.read_scope(), employee)
        .await?
    {
        return Err(not_found());
    }
    let s = service::summary(&app.store, employee, range).await?;
    let body = serde_json::to_string(&s).map_err(|_| ApiError::unavailable())?;
    Ok(http::json(200, body)?)
}

/// `POST /__cron` from the citizen worker's scheduled handler (`citizen.rs`): one run of a
/// cron trigger, answered 204 once done. A call that is not the citizen worker's, signed just
/// now, is refused with 403 and changes nothing.
pub(super) async fn cron_call(req: &Request, env: &Env, now: Timestamp) -> Result<Response> {
    let config = match config(env) {
        Ok(c) => c,
        Err(e) => {
            console_error!("cron: configuration error: {e}");
            return Response::error("misconfigured", 503);
        }
    };
    let header = |name| http::header(req, name);
    let call = match CronCall::verify(
        &config.ring,
        header(crate::between_workers::SCHEDULE_HEADER).as_deref(),
        header(crate::between_workers::AT_HEADER).as_deref(),
        header(crate::between_workers::MAC_HEADER).as_deref(),
        now.unix_seconds(),
    ) {
        Ok(call) if http::method(req) == Method::Post => call,
        Ok(_) => return Response::error("method not allowed", 405),
        Err(e) => {
            console_error!("cron: refused a call: {e}");
            return Response::error("forbidden", 403);
        }
    };
    run_cron(&call.schedule, env, &config, now).await;
    http::no_content()
}

/// Cron triggers (wrangler.toml), told apart by their schedule: the hourly roll-up, the
/// monthly close on the 1st, and the daily housekeeping. An unknown schedule rolls up.
async fn run_cron(schedule: &str, env: &Env, config: &Config, now: Timestamp) {
    let db = match env.d1("DB") {
        Ok(db) => db,
        Err(e) => return console_error!("cron: D1 binding DB: {e}"),
    };
    let store = D1Store::new(db, config.shards.home(), now);
    let alerts = config.alerts.is_some();
    match schedule {
        HOUSEKEEPING_CRON => {
            housekeeping(config, &store, now).await;
            if alerts {
                queue_drops(&store, now).await;
            }
        }
        MONTHLY_CLOSE_CRON => close_month(config, &store, now).await,
        _ => {
            hourly(config, &store, now).await;
            collect_national(env, config, &store, now).await;
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
    crate::public::handlers::refresh_after_roll_up(store, now, changed, config.min_votes).await;
    // After the roll-up, whose screening is what needed the exact times.
    match coarsen_times(store, now).await {
        Ok(0) => {}
        Ok(n) => console_log!("cron: vote times coarsened to the half hour through vote {n}"),
        Err(e) => console_error!("cron: coarsening vote times failed: {e}"),
    }
    // A monthly close that failed or found the lease taken is made up by the next hour.
    let today = crate::clock::parse_iso_day(&now.utc_day()).unwrap_or_default();
    let last = crate::results::report::month_key(
        crate::results::report::Period::around(crate::results::report::PeriodKind::Month, today)
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
                crate::public::handlers::refresh(store, now, std::slice::from_ref(&c.month), min_votes).await;
                crate::public::handlers::renew_versions(store, now).await;
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
    let this = crate::results::report::Period::around(crate::results::report::PeriodKind::Month, today(now));
    let months = [
        crate::results::report::month_key(this.previous().from),
        crate::results::report::month_key(this.from),
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
