//! The public routes (`/results`, `/api/v1/public/results`, `/api/v1/public/receipts/{code}`):
//! a per-client rate limit, then the Workers cache under the month's version, then the stored
//! pages (`mod.rs`); nothing is computed from the roll-up tables per request.

use super::routes::PublicRoute;
use super::{PublicStore, PublicUnit};
use crate::api::ApiError;
use crate::clock::iso_day;
use crate::glue::d1::D1Store;
use crate::glue::{http, today, App};
use crate::i18n::Lang;
use crate::moderation::store::ModerationStore;
use crate::pages::{problem_page, Problem};
use crate::results::page::{self, PublicView};
use crate::results::report::{self, month_key, Figures, Period, PeriodKind};
use crate::results::store::ReceiptStore;
use crate::routes::Route;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{console_error, console_log, Cache, Env, Request, Response, Result};

/// Answers a public route; each answers its own errors, as pages or JSON.
pub async fn dispatch(app: &App, req: &Request, route: PublicRoute<'_>) -> Result<Response> {
    match route {
        PublicRoute::Page => public_page(app, req).await,
        PublicRoute::Data => public_data(app, req).await,
        PublicRoute::Receipt { code } => check_receipt(app, code).await,
    }
}

const WINDOW_MS: f64 = 60_000.0;
/// Clients an isolate keeps count of in one window. Past that, new clients go uncounted
/// (their answers still come from the cache), so a flood of addresses cannot grow memory.
const MAX_TRACKED: usize = 20_000;
/// How long an isolate trusts a month's version before reading it again: the longest a page
/// can stay older than the roll-up that changed it, on an isolate that did not run the cron.
const VERSION_TTL_MS: f64 = 30_000.0;
/// Browsers keep a page 5 minutes; the cache keeps it an hour under its version's key.
const CACHE_CONTROL: &str = "public, max-age=300, s-maxage=3600";
const BINDING: &str = "PUBLIC_RATE_LIMITER";

struct Window {
    start_ms: f64,
    counts: HashMap<u64, u32>,
}

type Versions = HashMap<String, (f64, Option<(String, i64)>)>;

/// Answers kept in the isolate's memory: (headers, body) by versioned cache key.
type Kept = HashMap<String, (Vec<(String, String)>, Vec<u8>)>;
/// What the isolate keeps of answers: past it, it starts again empty. Pages are a few KB.
const MEMORY_BYTES: usize = 4 * 1024 * 1024;

thread_local! {
    // Workers isolates are single-threaded; these live as long as the isolate.
    static WINDOW: RefCell<Window> = RefCell::new(Window { start_ms: 0.0, counts: HashMap::new() });
    static VERSIONS: RefCell<Versions> = RefCell::new(HashMap::new());
    static MEMORY: RefCell<(usize, Kept)> = RefCell::new((0, HashMap::new()));
}

fn remember_answer(key: &str, headers: Vec<(String, String)>, body: Vec<u8>) {
    MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        if m.0 + body.len() > MEMORY_BYTES {
            *m = (0, HashMap::new());
        }
        m.0 += body.len();
        m.1.insert(key.to_owned(), (headers, body));
    });
}

fn kept_answer(key: &str) -> Option<Response> {
    let (headers, body) = MEMORY.with(|m| m.borrow().1.get(key).cloned())?;
    let h = worker::Headers::new();
    for (name, value) in &headers {
        h.set(name, value).ok()?;
    }
    h.set("x-public-cache", "hit").ok()?;
    Some(Response::from_bytes(body).ok()?.with_headers(h))
}

/// A month's version if this isolate knows it and it is fresh: no D1 read.
fn known_version(month: &str) -> Option<(String, i64)> {
    let now_ms = worker::Date::now().as_millis() as f64;
    VERSIONS.with(|v| {
        v.borrow()
            .get(month)
            .filter(|(at, _)| now_ms - *at < VERSION_TTL_MS && now_ms >= *at)
            .and_then(|(_, v)| v.clone())
    })
}

/// The fast path, before any D1 read: an answer this isolate already holds for
/// this request's month, page and language under the month's current version.
pub fn from_memory(
    config: &crate::config::Config,
    req: &Request,
    route: &Route,
    now: crate::clock::Timestamp,
) -> Option<Response> {
    if !config.public_results {
        return None;
    }
    let default = config.default_lang;
    let today = today(now);
    let (month, what) = match route {
        Route::Public(PublicRoute::Page) => page_key(req, default, today)?,
        Route::Public(PublicRoute::Data) => data_key(req, today)?,
        _ => return None,
    };
    let (version, made_at) = known_version(&month)?;
    let v = Versioned::new(req, &version, made_at, &what);
    if let Some(resp) = v.not_modified(req) {
        return Some(resp);
    }
    kept_answer(&v.key)
}

/// (month, what) of a results page: the month, the unit and the language decide the answer.
fn page_key(req: &Request, default: Lang, today: chrono::NaiveDate) -> Option<(String, String)> {
    let period = month_of(req, today).ok()?;
    let unit = query_unit(req).ok()?;
    let lang = crate::i18n::negotiate(
        http::query(req, "lang").as_deref(),
        http::header(req, "accept-language").as_deref(),
        default,
    );
    let month = month_key(period.from);
    let what = format!("results/{month}/{unit}/{}", lang.code());
    Some((month, what))
}

fn data_key(req: &Request, today: chrono::NaiveDate) -> Option<(String, String)> {
    let period = month_of(req, today).ok()?;
    let format = http::query(req, "format").unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv") {
        return None;
    }
    let month = month_key(period.from);
    let what = format!("data/{month}/{format}");
    Some((month, what))
}

pub fn is_public_read(route: &Route) -> bool {
    matches!(route, Route::Public(_))
}

/// The client's key: a hash of its address (never the address itself, even in memory).
fn client_key(req: &Request) -> u64 {
    use std::hash::{Hash, Hasher};
    let address = http::header(req, "cf-connecting-ip").unwrap_or_default();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    "civicrate/public-limit".hash(&mut h);
    address.trim().hash(&mut h);
    h.finish()
}

/// One more request from this client in this isolate's current minute; false when over.
/// Per isolate, so approximate across Cloudflare's machines: one client hammering one
/// location meets it at once, and the optional binding counts across the location.
fn count_in_isolate(key: u64, limit: u32, now_ms: f64) -> bool {
    WINDOW.with(|w| {
        let mut w = w.borrow_mut();
        if now_ms - w.start_ms >= WINDOW_MS || now_ms < w.start_ms {
            w.start_ms = now_ms;
            w.counts.clear();
        }
        let tracked = w.counts.len();
        match w.counts.get_mut(&key) {
            Some(n) => {
                *n = n.saturating_add(1);
                *n <= limit
            }
            None if tracked < MAX_TRACKED => {
                w.counts.insert(key, 1);
                limit >= 1
            }
            None => true,
        }
    })
}

/// The optional Rate Limiting binding `PUBLIC_RATE_LIMITER` (`wrangler.toml`, period 60 s),
/// looked up by shape as for votes. An error of the binding lets the request through: the
/// isolate's own count still holds.
async fn binding_allows(env: &Env, key: u64) -> bool {
    use js_sys::{Function, Object, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    let Ok(binding) = Reflect::get(env, &JsValue::from_str(BINDING)) else {
        return true;
    };
    let Ok(limit) = Reflect::get(&binding, &JsValue::from_str("limit")) else {
        return true;
    };
    let Ok(limit) = limit.dyn_into::<Function>() else {
        return true;
    };
    let options = Object::new();
    if Reflect::set(
        &options,
        &JsValue::from_str("key"),
        &JsValue::from_str(&format!("public:{key:016x}")),
    )
    .is_err()
    {
        return true;
    }
    let Ok(promise) = limit
        .call1(&binding, &options)
        .and_then(|p| p.dyn_into::<Promise>())
    else {
        return true;
    };
    match wasm_bindgen_futures::JsFuture::from(promise).await {
        Ok(outcome) => Reflect::get(&outcome, &JsValue::from_str("success"))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true),
        Err(_) => true,
    }
}

/// `Some(429)` when this client is over the public routes' limit (`PUBLIC_RATE_LIMIT`). Runs
/// before any D1 read, so a refused request costs next to nothing.
pub async fn refuse_if_over_limit(
    env: &Env,
    config: &crate::config::Config,
    req: &Request,
    path: &str,
    now_ms: f64,
) -> Option<Result<Response>> {
    let key = client_key(req);
    if count_in_isolate(key, config.public_rate_limit, now_ms) && binding_allows(env, key).await {
        return None;
    }
    let retry = (WINDOW_MS / 1000.0) as u32;
    Some(if Route::is_api(path) {
        http::api_error(&ApiError {
            retry_after: Some(retry),
            ..ApiError::new(
                429,
                "rate_limited",
                "too many requests; try again in a minute",
            )
        })
    } else {
        let lang = crate::i18n::negotiate(
            None,
            http::header(req, "accept-language").as_deref(),
            Lang::Uk,
        );
        http::html(429, problem_page(lang, Problem::TooManyRequests)).and_then(|mut r| {
            r.headers_mut().set("retry-after", &retry.to_string())?;
            Ok(r)
        })
    })
}

/// A month's version as this isolate last read it (or the cron of this isolate wrote it).
async fn month_version(app: &App, month: &str) -> Option<(String, i64)> {
    let now_ms = worker::Date::now().as_millis() as f64;
    let known = VERSIONS.with(|v| {
        v.borrow()
            .get(month)
            .filter(|(at, _)| now_ms - *at < VERSION_TTL_MS && now_ms >= *at)
            .map(|(_, v)| v.clone())
    });
    if let Some(v) = known {
        return v;
    }
    match app.store.public_version(month).await {
        Ok(v) => {
            VERSIONS.with(|m| m.borrow_mut().insert(month.to_owned(), (now_ms, v.clone())));
            v
        }
        Err(e) => {
            console_error!("public results: reading the version failed: {e}");
            None
        }
    }
}

/// After the cron wrote new pages: this isolate serves them at once.
pub fn remember_version(month: &str, version: &str, made_at: i64) {
    let now_ms = worker::Date::now().as_millis() as f64;
    VERSIONS.with(|m| {
        m.borrow_mut().insert(
            month.to_owned(),
            (now_ms, Some((version.to_owned(), made_at))),
        )
    });
}

/// After every month got a new version (a comment was published or withheld).
pub fn forget_versions() {
    VERSIONS.with(|m| m.borrow_mut().clear());
    MEMORY.with(|m| *m.borrow_mut() = (0, HashMap::new()));
}

/// `scheme://host` of the request: cache keys stay within the instance's own zone.
fn origin(req: &Request) -> String {
    let url = req.inner().url();
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url[after..].find('/').map_or(url.len(), |i| after + i);
    url[..end].to_owned()
}

fn http_date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

/// What a versioned answer needs: the cache key, the ETag and when its month was built.
struct Versioned {
    key: String,
    etag: String,
    made_at: i64,
}

impl Versioned {
    fn new(req: &Request, version: &str, made_at: i64, what: &str) -> Versioned {
        Versioned {
            // The build's moment too: two builds of equal content (a rebuilt local database)
            // never share an entry.
            key: format!("{}/__public-cache/{version}-{made_at}/{what}", origin(req)),
            etag: format!("\"{version}-{what}\"").replace(['/', '?', '&', '='], "."),
            made_at,
        }
    }

    /// 304 when the client holds this version.
    fn not_modified(&self, req: &Request) -> Option<Response> {
        if !http::header(req, "if-none-match").is_some_and(|h| {
            h.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == self.etag)
        }) {
            return None;
        }
        let mut resp = Response::empty().ok()?.with_status(304);
        self.headers(&mut resp).ok()?;
        Some(resp)
    }

    /// 304 when the client holds this version; else the answer this isolate or the Workers
    /// cache holds, if any.
    async fn answer(&self, req: &Request) -> Option<Response> {
        if let Some(resp) = self.not_modified(req) {
            return Some(resp);
        }
        if let Some(resp) = kept_answer(&self.key) {
            return Some(resp);
        }
        let hit = Cache::default().get(self.key.as_str(), true).await.ok()??;
        // A cached answer's headers are immutable: copy them to mark it as a hit.
        let headers = worker::Headers::new();
        for (name, value) in hit.headers().entries() {
            headers.set(&name, &value).ok()?;
        }
        headers.set("x-public-cache", "hit").ok()?;
        Some(hit.with_headers(headers))
    }

    fn headers(&self, resp: &mut Response) -> Result<()> {
        let h = resp.headers_mut();
        h.set("cache-control", CACHE_CONTROL)?;
        h.set("etag", &self.etag)?;
        h.set("last-modified", &http_date(self.made_at))?;
        h.set("vary", "accept-language")?;
        Ok(())
    }

    /// Sets the caching headers and keeps a copy in the cache.
    async fn keep(&self, mut resp: Response) -> Result<Response> {
        self.headers(&mut resp)?;
        match resp.cloned() {
            Ok(copy) => {
                if let Err(e) = Cache::default().put(self.key.as_str(), copy).await {
                    console_error!("public results: caching failed: {e}");
                }
            }
            Err(e) => console_error!("public results: copying for the cache failed: {e}"),
        }
        // And in this isolate's memory: a hit there costs no round trip at all.
        if let Ok(mut copy) = resp.cloned() {
            if let Ok(body) = copy.bytes().await {
                remember_answer(&self.key, resp.headers().entries().collect(), body);
            }
        }
        let _ = resp.headers_mut().set("x-public-cache", "miss");
        Ok(resp)
    }
}

/// The month shown publicly: `?month=`, else the last closed month.
fn public_month(app: &App, req: &Request) -> std::result::Result<Period, report::PeriodError> {
    month_of(req, today(app.now))
}

fn month_of(
    req: &Request,
    today: chrono::NaiveDate,
) -> std::result::Result<Period, report::PeriodError> {
    match http::query(req, "month") {
        Some(m) => Period::month(&m),
        None => Ok(Period::around(PeriodKind::Month, today).previous()),
    }
}

fn query_unit(req: &Request) -> std::result::Result<i64, ()> {
    match http::query(req, "unit") {
        None => Ok(0),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..(1i64 << 53)).contains(n))
            .ok_or(()),
    }
}

fn page_problem(lang: Lang, status: u16, p: Problem) -> Result<Response> {
    http::html(status, problem_page(lang, p))
}

/// `GET /results`: a unit's stored page (or the top units), in the reader's language.
async fn public_page(app: &App, req: &Request) -> Result<Response> {
    let lang = app.page_lang(req, None);
    if !app.public_results {
        return page_problem(lang, 404, Problem::NotFound);
    }
    let (Ok(period), Ok(unit)) = (public_month(app, req), query_unit(req)) else {
        return page_problem(lang, 400, Problem::NotFound);
    };
    let month = month_key(period.from);
    let Some((version, made_at)) = month_version(app, &month).await else {
        // No pages for this month (no votes yet, or before the first roll-up): nothing to
        // show, and nothing to cache.
        let empty = PublicView {
            period,
            page: PublicUnit {
                id: 0,
                name: String::new(),
                parent_id: None,
                figures: None,
                units: Vec::new(),
                employees: Vec::new(),
            },
            min_votes: app.min_votes,
            month,
            comments: Vec::new(),
            digest: None,
        };
        return if unit == 0 {
            let mut resp = http::html(200, page::public_page(lang, &empty))?;
            resp.headers_mut()
                .set("cache-control", "public, max-age=60")?;
            Ok(resp)
        } else {
            page_problem(lang, 404, Problem::NotFound)
        };
    };
    let v = Versioned::new(
        req,
        &version,
        made_at,
        &format!("results/{month}/{unit}/{}", lang.code()),
    );
    if let Some(resp) = v.answer(req).await {
        return Ok(resp);
    }
    let view = match stored_view(app, period, &month, unit).await {
        Ok(Some(view)) => view,
        Ok(None) => return page_problem(lang, 404, Problem::NotFound),
        Err(e) => {
            console_error!("public results failed: {e}");
            return page_problem(lang, 503, Problem::Unavailable);
        }
    };
    v.keep(http::html(200, page::public_page(lang, &view))?)
        .await
}

async fn stored_view(
    app: &App,
    period: Period,
    month: &str,
    unit: i64,
) -> std::result::Result<Option<PublicView>, crate::store::StoreError> {
    let Some(body) = app.store.public_page(month, unit).await? else {
        return Ok(None);
    };
    let page: PublicUnit = serde_json::from_str(&body)
        .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
    let comments = if unit == 0 {
        Vec::new()
    } else {
        let start = day_start(period.from);
        app.store
            .published_comments(unit, start, day_start(period.to) + 86_400)
            .await?
    };
    Ok(Some(PublicView {
        period,
        page,
        min_votes: app.min_votes,
        month: month.to_owned(),
        comments,
        digest: app.store.digest(month).await?,
    }))
}

fn day_start(d: chrono::NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp())
}

/// `GET /api/v1/public/results`: open data of a month from its stored pages.
async fn public_data(app: &App, req: &Request) -> Result<Response> {
    if !app.public_results {
        return http::api_error(&ApiError::not_found());
    }
    let period = match public_month(app, req) {
        Ok(p) => p,
        Err(e) => return http::api_error(&(&e).into()),
    };
    let format = http::query(req, "format").unwrap_or_else(|| "json".into());
    if !matches!(format.as_str(), "json" | "csv") {
        return http::api_error(&ApiError::new(
            422,
            "invalid_format",
            "format must be json or csv",
        ));
    }
    let month = month_key(period.from);
    let version = month_version(app, &month).await;
    let v = version
        .as_ref()
        .map(|(ver, at)| Versioned::new(req, ver, *at, &format!("data/{month}/{format}")));
    if let Some(v) = &v {
        if let Some(resp) = v.answer(req).await {
            return Ok(resp);
        }
    }
    let pages: Vec<PublicUnit> = match app.store.public_pages(&month).await {
        Ok(rows) => rows
            .iter()
            .filter_map(|(_, body)| serde_json::from_str(body).ok())
            .collect(),
        Err(e) => {
            console_error!("open data failed: {e}");
            return http::api_error(&ApiError::new(
                503,
                "unavailable",
                "results are unavailable; try again later",
            ));
        }
    };
    let (units, employees) = crate::public::open_data(&pages);
    let method = format!(
        "Counted votes of {} to {} (UTC). Repeated votes from one device and votes flagged for review are left out. \
         No figure below {} counted votes is published: a unit or employee below it has figures null, and so does \
         the smallest other row where subtracting the shown rows from their parent would give the hidden one away. \
         confidence_score is the lower bound of the 95% Wilson interval of the share of top-level votes. \
         No comments, contacts or voter data are published. Computed by the hourly roll-up.",
        iso_day(period.from),
        iso_day(period.to),
        app.min_votes
    );
    let resp = if format == "csv" {
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
        let cells = |f: Option<Figures>| -> Vec<String> {
            match f {
                Some(f) => vec![
                    f.votes.to_string(),
                    report::decimal(f.average),
                    report::percent(f.top_share),
                    report::percent(f.below_top_share),
                    f.confidence_score
                        .map(|c| format!("{c:.4}"))
                        .unwrap_or_default(),
                ],
                None => vec![String::new(); 5],
            }
        };
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for (kind, list, parent) in [
            ("unit", &units, "parent_id"),
            ("employee", &employees, "unit_id"),
        ] {
            for r in list {
                let mut row = vec![
                    kind.to_owned(),
                    text(&r["id"]),
                    text(&r[parent]),
                    text(&r["name"]),
                ];
                row.extend(cells(serde_json::from_value(r["figures"].clone()).ok()));
                rows.push(row);
            }
        }
        let mut resp = http::file(
            "text/csv; charset=utf-8",
            report::csv(&rows).into_bytes(),
            CACHE_CONTROL,
        )?;
        resp.headers_mut().set(
            "content-disposition",
            &format!("attachment; filename=\"results-{month}.csv\""),
        )?;
        resp
    } else {
        http::json(
            200,
            serde_json::json!({
                "month": month,
                "period": period,
                "method": method,
                "min_votes": app.min_votes,
                "units": units,
                "employees": employees,
            })
            .to_string(),
        )?
    };
    match &v {
        Some(v) => v.keep(resp).await,
        None => Ok(resp),
    }
}

/// `GET /api/v1/public/receipts/{code}`: the receipt's month, root and path, read from the
/// month's stored tree (log2(n) rows); the rows read are logged.
async fn check_receipt(app: &App, code: &str) -> Result<Response> {
    if !app.public_results {
        return http::api_error(&ApiError::not_found());
    }
    let Some(receipt) = crate::receipt::Receipt::parse(code) else {
        return http::api_error(&ApiError::new(
            422,
            "invalid_code",
            "a receipt is ten letters and digits, such as 7KQ2M-9XH4D",
        ));
    };
    match crate::public::check_receipt(&app.store, &receipt).await {
        Ok((check, rows)) => {
            console_log!("receipt check: {rows} rows read");
            let closed = !matches!(check, crate::results::ReceiptCheck::Pending { .. });
            let mut resp = http::json(200, serde_json::to_string(&check).unwrap_or_default())?;
            // A closed month's answer changes only if the month is closed again.
            resp.headers_mut().set(
                "cache-control",
                if closed {
                    "public, max-age=3600"
                } else {
                    "public, max-age=300"
                },
            )?;
            Ok(resp)
        }
        Err(e) => {
            console_error!("receipt check failed: {e}");
            http::api_error(&ApiError::new(
                503,
                "unavailable",
                "receipts cannot be checked now; try again later",
            ))
        }
    }
}

/// After a roll-up: rebuild the pages of this month and last month (when the roll-up moved
/// anything, or they are missing), and of up to two older months that have none yet.
pub async fn refresh_after_roll_up(
    store: &D1Store,
    now: crate::clock::Timestamp,
    changed: bool,
    min_votes: u32,
) {
    let this = Period::around(PeriodKind::Month, today(now));
    let mut months = Vec::new();
    for m in [month_key(this.from), month_key(this.previous().from)] {
        let missing = matches!(store.public_version(&m).await, Ok(None));
        if changed || missing {
            months.push(m);
        }
    }
    match store.months_without_pages(2).await {
        Ok(older) => {
            for m in older {
                if !months.contains(&m) {
                    months.push(m);
                }
            }
        }
        Err(e) => console_error!("cron: public results: listing months failed: {e}"),
    }
    refresh(store, now, &months, min_votes).await;
}

/// Rebuilds these months' pages and keeps their versions for this isolate.
pub async fn refresh(
    store: &D1Store,
    now: crate::clock::Timestamp,
    months: &[String],
    min_votes: u32,
) {
    if months.is_empty() {
        return;
    }
    let levels = match crate::store::Store::scale(store).await {
        Ok(s) => s.levels().iter().map(|l| i64::from(l.value)).collect(),
        Err(e) => return console_error!("cron: public results: reading the scale failed: {e}"),
    };
    let s = crate::results::ViewSettings {
        levels,
        min_votes,
        signed_weight: 1,
    };
    for month in months {
        match crate::public::refresh(store, month, &s, now.unix_seconds()).await {
            Ok(Some(v)) => {
                remember_version(month, &v, now.unix_seconds());
                console_log!("cron: public results of {month} rebuilt (version {v})");
            }
            Ok(None) => {}
            Err(e) => console_error!("cron: public results of {month} failed: {e}"),
        }
    }
}

/// Every month's pages get a new version (the digest or a published comment changed what
/// they show), in this isolate at once and in others within `VERSION_TTL_MS`.
pub async fn renew_versions(store: &D1Store, now: crate::clock::Timestamp) {
    // Milliseconds: a comment published and withheld within one second still gets two.
    let stamp = (worker::Date::now().as_millis() as i64).max(now.unix_seconds() * 1000);
    if let Err(e) = store.renew_public_versions(stamp).await {
        console_error!("public results: renewing versions failed: {e}");
    }
    forget_versions();
}
