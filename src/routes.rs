//! The HTTP surface as data: every route, its methods and who may call it. Dispatch is pure,
//! so it is tested natively and scanned by the API tests.

use crate::account::AccountId;
use crate::org::{EmployeeId, UnitId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Other,
}

impl Method {
    pub fn parse(m: &str) -> Method {
        match m {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }

    /// Whether the request may change something (and so needs CSRF protection).
    pub fn is_unsafe(self) -> bool {
        !matches!(self, Method::Get | Method::Head)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Public,
    /// A signed-in account (session, API token or Cloudflare Access); what each role may do
    /// is decided by the use case against the caller's subtrees.
    Admin,
}

/// A matched request. Ids that do not parse match with `None`, so the handler answers 404
/// after authentication rather than the router revealing anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    Health,
    /// The site's icon, which browsers ask for on their own (`glue::http::favicon`).
    Favicon,
    /// The public results and the receipt check (`public::routes`).
    Public(crate::public::routes::PublicRoute<'a>),
    /// The HR list in and out (`import::routes`).
    Import(crate::import::routes::ImportRoute),
    /// What a citizen's scan reaches (`voting::routes`).
    Voting(crate::voting::routes::VotingRoute<'a>),
    OpenApi,
    AdminApp,
    AdminAsset {
        name: &'a str,
    },
    /// Sessions, the organisation, codes and keys, accounts and tokens, the scale
    /// (`admin::routes`).
    Admin(crate::admin::routes::AdminRoute),
    Summary {
        employee: Option<EmployeeId>,
    },
    /// Every collected shard's month, summed per shard (superadmins).
    National,
    /// The poster pages (`poster::routes`).
    Poster(crate::poster::routes::PosterRoute),
    /// Results and reports, review of flagged votes, the feedback inbox (`results::routes`).
    Results(crate::results::routes::ResultsRoute),
    /// One-time codes: batches, their codes and slips (`one_time::routes`).
    OneTime(crate::one_time::routes::OneTimeRoute),
    /// Appeals and comment moderation (`moderation::routes`).
    Moderation(crate::moderation::routes::ModerationRoute),
    /// The audit log, pending links and reset links (`audit::routes`).
    Audit(crate::audit::routes::AuditRoute<'a>),
    /// Search, the employee list and missing codes in bulk (`directory::routes`).
    Directory(crate::directory::routes::DirectoryRoute),
}

impl Route<'_> {
    /// API routes answer in JSON, even their 404s; everything else in HTML.
    pub fn is_api(path: &str) -> bool {
        path == "/api" || path.starts_with("/api/")
    }
}

/// The most a route's body may hold. Every cap is declared here, beside the routes: the body is
/// counted while it streams in (`glue::http::body`) and refused with 413 at its cap, chunked or
/// not, without reading the rest; a `Content-Length` above it is refused before any reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimit {
    /// Sign-in, an invitation's acceptance and a password change: an e-mail address of at most
    /// 254 bytes and passwords of at most 128 characters.
    Account,
    /// A vote, form or JSON. A browser percent-encodes each UTF-8 byte of the form as three,
    /// so a 1,000-character comment takes at most 12,000 bytes, a 254-character contact
    /// 3,048, a Turnstile answer 2,048; the rest (score, criteria, stamp, language) is small.
    Vote,
    /// The admin API's JSON bodies (the largest are lists of office networks and review
    /// decisions), and routes that read no body at all.
    Admin,
    /// An HR list in CSV, far larger than a vote (thousands of rows; docs/import.md).
    Import,
}

impl BodyLimit {
    pub const fn bytes(self) -> usize {
        match self {
            BodyLimit::Account => 4 * 1024,
            BodyLimit::Vote => 20 * 1024,
            BodyLimit::Admin => 32 * 1024,
            BodyLimit::Import => 512 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    NotFound,
    /// A known path with another method: 405, with `Allow` listing the methods it takes.
    MethodNotAllowed(Allow),
}

/// The methods a path takes, found by matching it against the route table with each method
/// in turn, so the `Allow` header cannot drift from dispatch. HEAD goes with GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allow(u8);

impl Allow {
    const METHODS: [(Method, &'static str); 6] = [
        (Method::Get, "GET"),
        (Method::Head, "HEAD"),
        (Method::Post, "POST"),
        (Method::Put, "PUT"),
        (Method::Patch, "PATCH"),
        (Method::Delete, "DELETE"),
    ];

    fn of(segments: &[&str]) -> Allow {
        let mut bits = 0u8;
        for (i, (m, _)) in Allow::METHODS.iter().enumerate() {
            let served = match m {
                Method::Head => matched(Method::Get, segments).is_some(),
                m => matched(*m, segments).is_some(),
            };
            if served {
                bits |= 1 << i;
            }
        }
        Allow(bits)
    }

    /// The methods by name, in a fixed order.
    pub fn methods(self) -> impl Iterator<Item = &'static str> {
        Allow::METHODS
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, (_, name))| name)
    }

    /// The `Allow` header's value: `GET, HEAD, POST`.
    pub fn header(self) -> String {
        self.methods().collect::<Vec<_>>().join(", ")
    }
}

/// One route, declared once: its method, its path pattern, who may call it, its body cap and
/// the `Route` it dispatches to. Dispatch (`route`), the `Allow` header of a 405, the body cap,
/// authorisation before any handler runs, the OpenAPI drift test (`api::tests`) and the API
/// tests' scans (`tests/api/scopes.rs`, `rights.rs`) all read these tables; nothing else lists
/// routes. A pattern has at most one `{placeholder}`, whose segment `Params` hands to `route`.
pub struct Def {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub body: BodyLimit,
    /// The route a matching path leads to, or `None` when the segment rules it out (an empty
    /// token, `cases/overdue` for a case id): then the path is not this route.
    pub route: for<'a> fn(&Params<'a>) -> Option<Route<'a>>,
}

impl Def {
    /// A route for signed-in accounts with the admin API's body cap; `public` and `body`
    /// say otherwise.
    pub const fn new(
        method: Method,
        path: &'static str,
        route: for<'a> fn(&Params<'a>) -> Option<Route<'a>>,
    ) -> Def {
        Def {
            method,
            path,
            access: Access::Admin,
            body: BodyLimit::Admin,
            route,
        }
    }

    pub const fn public(self) -> Def {
        Def {
            access: Access::Public,
            ..self
        }
    }

    pub const fn body(self, body: BodyLimit) -> Def {
        Def { body, ..self }
    }

    /// The method's name as HTTP and OpenAPI spell it.
    pub fn method_name(&self) -> &'static str {
        match self.method {
            Method::Get | Method::Head => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete | Method::Other => "DELETE",
        }
    }

    /// The path's segments when it matches this pattern, its placeholder's segment kept.
    fn matches<'a>(&self, segments: &[&'a str]) -> Option<Params<'a>> {
        let pattern = self.path.strip_prefix('/').unwrap_or(self.path);
        let mut value = "";
        let mut count = 0;
        for (i, p) in pattern.split('/').enumerate() {
            let s = segments.get(i)?;
            if p.starts_with('{') {
                value = s;
            } else if p != *s {
                return None;
            }
            count += 1;
        }
        (count == segments.len()).then_some(Params { value })
    }
}

/// The segment a pattern's placeholder matched, read as what the route needs. Ids that do
/// not parse read as `None`, so the handler answers 404 after authentication rather than the
/// router revealing anything.
#[derive(Debug, Clone, Copy)]
pub struct Params<'a> {
    value: &'a str,
}

impl<'a> Params<'a> {
    pub fn text(&self) -> &'a str {
        self.value
    }

    /// The segment, if it is not empty.
    pub fn nonempty(&self) -> Option<&'a str> {
        (!self.value.is_empty()).then_some(self.value)
    }

    pub fn unit(&self) -> Option<UnitId> {
        UnitId::parse_str(self.value)
    }

    pub fn employee(&self) -> Option<EmployeeId> {
        EmployeeId::parse_str(self.value)
    }

    pub fn account(&self) -> Option<AccountId> {
        AccountId::parse_str(self.value)
    }

    /// A positive row id that fits a JavaScript number.
    pub fn row_id(&self) -> Option<i64> {
        self.value
            .parse::<i64>()
            .ok()
            .filter(|n| (1..(1i64 << 53)).contains(n))
    }

    /// A positive id of a small table (API tokens, criteria): below 2^31.
    pub fn small_id(&self) -> Option<i64> {
        self.value
            .parse::<i64>()
            .ok()
            .filter(|n| (1..(1i64 << 31)).contains(n))
    }
}

/// Every feature's table, in the order they are tried (a path matches at most one route per
/// method, a test checks it).
const TABLES: &[&[Def]] = &[
    PLATFORM,
    crate::voting::routes::ROUTES,
    crate::admin::routes::ROUTES,
    crate::import::routes::ROUTES,
    crate::audit::routes::ROUTES,
    SUMMARIES,
    crate::results::routes::ROUTES,
    crate::moderation::routes::ROUTES,
    crate::one_time::routes::ROUTES,
    crate::directory::routes::ROUTES,
    crate::poster::routes::ROUTES,
    crate::public::routes::ROUTES,
];

/// Every route of every feature.
pub fn all() -> impl Iterator<Item = &'static Def> {
    TABLES.iter().flat_map(|t| t.iter())
}

use Method::Get;

/// What every deployment answers: health, icon, the admin page and its assets, OpenAPI.
const PLATFORM: &[Def] = &[
    Def::new(Get, "/healthz", |_| Some(Route::Health)).public(),
    Def::new(Get, "/favicon.ico", |_| Some(Route::Favicon)).public(),
    Def::new(Get, "/admin", |_| Some(Route::AdminApp)).public(),
    Def::new(Get, "/admin/", |_| Some(Route::AdminApp)).public(),
    Def::new(Get, "/admin/assets/{name}", |p| {
        p.nonempty().map(|name| Route::AdminAsset { name })
    })
    .public(),
    Def::new(Get, "/api/v1/openapi.json", |_| Some(Route::OpenApi)).public(),
];

/// An employee's summary (counted from the votes, `voting::service::summary`) and the national
/// view (`shard`): results that are not the results folder's.
const SUMMARIES: &[Def] = &[
    Def::new(Get, "/api/v1/admin/employees/{id}/summary", |p| {
        Some(Route::Summary {
            employee: p.employee(),
        })
    }),
    Def::new(Get, "/api/v1/admin/national", |_| Some(Route::National)),
];

/// A matched request: its route and the declaration it matched.
#[derive(Clone)]
pub struct Matched<'a> {
    pub route: Route<'a>,
    pub def: &'static Def,
}

impl std::fmt::Debug for Matched<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} ({} {})",
            self.route,
            self.def.method_name(),
            self.def.path
        )
    }
}

/// Matches a path (without query). `/r/` and `/R/` both lead to the vote page, since the
/// printed URL is in capitals to keep the QR code in alphanumeric mode. HEAD is served as GET.
pub fn route(method: Method, path: &str) -> Result<Matched<'_>, RouteError> {
    let mut segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    if let Some(first @ &mut "R") = segments.first_mut() {
        *first = "r";
    }
    let m = match method {
        Method::Head => Method::Get,
        other => other,
    };
    if let Some(r) = matched(m, &segments) {
        return Ok(r);
    }
    // A known path with another method is 405; anything else 404.
    let allow = Allow::of(&segments);
    Err(if allow.0 != 0 {
        RouteError::MethodNotAllowed(allow)
    } else {
        RouteError::NotFound
    })
}

fn matched<'a>(m: Method, segments: &[&'a str]) -> Option<Matched<'a>> {
    all().filter(|d| d.method == m).find_map(|def| {
        let params = def.matches(segments)?;
        (def.route)(&params).map(|route| Matched { route, def })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::routes::AdminRoute;
    use crate::voting::routes::VotingRoute;

    /// The route a request dispatches to, or why none.
    fn to(method: Method, path: &str) -> Result<Route<'_>, RouteError> {
        route(method, path).map(|m| m.route)
    }

    #[test]
    fn vote_path_is_case_insensitive() {
        assert_eq!(
            to(Method::Get, "/R/ABC"),
            Ok(Route::Voting(VotingRoute::VotePage { token: "ABC" }))
        );
        assert_eq!(
            to(Method::Post, "/r/abc"),
            Ok(Route::Voting(VotingRoute::VoteForm { token: "abc" }))
        );
        assert_eq!(to(Method::Get, "/r/"), Err(RouteError::NotFound));
    }

    #[test]
    fn wrong_method_is_405_and_unknown_path_404() {
        assert_eq!(
            to(Method::Get, "/api/v1/votes").map_err(|e| match e {
                RouteError::MethodNotAllowed(allow) => allow.header(),
                RouteError::NotFound => String::from("404"),
            }),
            Err(String::from("POST"))
        );
        assert_eq!(
            to(Method::Get, "/api/v1/nothing"),
            Err(RouteError::NotFound)
        );
        assert_eq!(to(Method::Get, "/../etc/passwd"), Err(RouteError::NotFound));
    }

    #[test]
    fn every_listed_path_allows_exactly_its_listed_methods() {
        let mut by_path: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for d in all() {
            by_path.entry(d.path).or_default().push(d.method_name());
        }
        for (pattern, methods) in by_path {
            let path = pattern
                .replace("{token}", "T")
                .replace("{id}", "1")
                .replace("{name}", "app.js")
                .replace("{code}", "C");
            let mut expected: Vec<&str> = methods.clone();
            if methods.contains(&"GET") {
                expected.push("HEAD");
            }
            let unlisted = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
                .into_iter()
                .find(|m| !methods.contains(m))
                .unwrap();
            match route(Method::parse(unlisted), &path) {
                Err(RouteError::MethodNotAllowed(allow)) => {
                    let mut got: Vec<&str> = allow.methods().collect();
                    got.sort_unstable();
                    expected.sort_unstable();
                    assert_eq!(got, expected, "{unlisted} {pattern}");
                }
                other => panic!("{unlisted} {pattern}: {other:?}"),
            }
        }
    }

    #[test]
    fn bad_employee_ids_match_with_no_employee() {
        for id in ["0", "-1", "99999999999", "1e3", "x"] {
            let path = format!("/api/v1/admin/employees/{id}/qr");
            assert_eq!(
                to(Method::Post, &path),
                Ok(Route::Admin(AdminRoute::IssueCode { employee: None })),
                "{id}"
            );
        }
    }

    #[test]
    fn a_votes_cap_holds_the_largest_honest_vote_and_is_far_below_an_imports() {
        // 1,000 four-byte characters, each byte percent-encoded, plus a 254-character
        // contact the same way and a Turnstile answer of 2,048 characters.
        let largest_form_vote = 1000 * 12 + 254 * 12 + 2048 + 512;
        assert!(largest_form_vote <= BodyLimit::Vote.bytes());
        assert_eq!(
            route(Method::Post, "/r/T").map(|m| m.def.body),
            Ok(BodyLimit::Vote)
        );
        assert_eq!(
            route(Method::Post, "/api/v1/admin/import").map(|m| m.def.body),
            Ok(BodyLimit::Import)
        );
        assert!(BodyLimit::Vote.bytes() < BodyLimit::Admin.bytes());
        assert!(BodyLimit::Account.bytes() < BodyLimit::Vote.bytes());
    }

    #[test]
    fn every_declared_route_is_the_one_its_own_path_reaches() {
        // No route shadows another: a path made from a pattern reaches that declaration.
        for d in all() {
            let path = d
                .path
                .replace("{token}", "T")
                .replace("{id}", "1")
                .replace("{name}", "app.js")
                .replace("{code}", "C");
            let m = route(d.method, &path)
                .unwrap_or_else(|e| panic!("{} {}: {e:?}", d.method_name(), d.path));
            assert!(
                std::ptr::eq(m.def, d),
                "{} {} reaches {m:?}",
                d.method_name(),
                d.path
            );
        }
    }

    #[test]
    fn each_pattern_has_at_most_one_placeholder_and_is_declared_once() {
        let mut seen = std::collections::BTreeSet::new();
        for d in all() {
            assert!(d.path.matches('{').count() <= 1, "{}", d.path);
            assert!(
                seen.insert((d.method_name(), d.path)),
                "{} {} twice",
                d.method_name(),
                d.path
            );
        }
    }

    #[test]
    fn a_case_id_of_overdue_is_the_overdue_list_not_a_case() {
        assert!(matches!(
            route(Method::Patch, "/api/v1/admin/cases/overdue"),
            Err(RouteError::MethodNotAllowed(_))
        ));
        assert_eq!(
            to(Method::Patch, "/api/v1/admin/cases/7"),
            Ok(Route::Results(
                crate::results::routes::ResultsRoute::ChangeCase { id: Some(7) }
            ))
        );
    }

    #[test]
    fn a_features_route_dispatches_to_its_own_enum() {
        use crate::one_time::routes::OneTimeRoute;
        assert_eq!(
            to(Method::Get, "/api/v1/admin/one-time-batches/12"),
            Ok(Route::OneTime(OneTimeRoute::Batch { id: Some(12) }))
        );
        assert_eq!(
            to(Method::Get, "/admin/one-time-batches/x/slips"),
            Ok(Route::OneTime(OneTimeRoute::Slips { id: None }))
        );
    }

    #[test]
    fn each_feature_folder_documents_exactly_its_own_api_routes() {
        // A folder's `openapi.json` holds the operations of its own route table, no more and
        // no fewer, so a route and its documentation change together, in one folder.
        let folders: [(&str, &[Def]); 10] = [
            (
                include_str!("results/openapi.json"),
                crate::results::routes::ROUTES,
            ),
            (
                include_str!("admin/openapi.json"),
                crate::admin::routes::ROUTES,
            ),
            (
                include_str!("voting/openapi.json"),
                crate::voting::routes::ROUTES,
            ),
            (
                include_str!("one_time/openapi.json"),
                crate::one_time::routes::ROUTES,
            ),
            (
                include_str!("directory/openapi.json"),
                crate::directory::routes::ROUTES,
            ),
            (
                include_str!("audit/openapi.json"),
                crate::audit::routes::ROUTES,
            ),
            (
                include_str!("moderation/openapi.json"),
                crate::moderation::routes::ROUTES,
            ),
            (
                include_str!("import/openapi.json"),
                crate::import::routes::ROUTES,
            ),
            (
                include_str!("public/openapi.json"),
                crate::public::routes::ROUTES,
            ),
            (r#"{"paths": {}}"#, crate::poster::routes::ROUTES),
        ];
        for (doc, table) in folders {
            let doc: serde_json::Value = serde_json::from_str(doc).unwrap();
            let documented: std::collections::BTreeSet<String> = doc["paths"]
                .as_object()
                .unwrap()
                .iter()
                .flat_map(|(path, ops)| {
                    let ops = ops.as_object().unwrap();
                    ops.keys()
                        .map(move |m| format!("{} {path}", m.to_uppercase()))
                })
                .collect();
            let routed: std::collections::BTreeSet<String> = table
                .iter()
                .filter(|d| d.path.starts_with("/api/"))
                .map(|d| format!("{} {}", d.method_name(), d.path))
                .collect();
            assert_eq!(documented, routed);
        }
    }
}
