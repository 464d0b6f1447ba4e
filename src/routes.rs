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
    Home,
    Thanks,
    VotePage {
        token: &'a str,
    },
    /// A unit's feedback form for its website: who served you, then their vote page.
    UnitForm {
        unit: Option<UnitId>,
    },
    /// Anyone holding a receipt checks it against the month's published digest.
    ReceiptCheck {
        code: &'a str,
    },
    VoteForm {
        token: &'a str,
    },
    ApiVote,
    OpenApi,
    AdminApp,
    AdminAsset {
        name: &'a str,
    },
    SignIn,
    Me,
    SignOut,
    ChangePassword,
    AcceptInvitation,
    Units,
    CreateUnit,
    UnitDetail {
        unit: Option<UnitId>,
    },
    ChangeUnit {
        unit: Option<UnitId>,
    },
    SetNetworks {
        unit: Option<UnitId>,
    },
    CreateEmployee,
    EmployeeDetail {
        employee: Option<EmployeeId>,
    },
    ChangeEmployee {
        employee: Option<EmployeeId>,
    },
    IssueCode {
        employee: Option<EmployeeId>,
    },
    RevokeCode {
        employee: Option<EmployeeId>,
    },
    QrSvg {
        employee: Option<EmployeeId>,
    },
    QrPng {
        employee: Option<EmployeeId>,
    },
    Summary {
        employee: Option<EmployeeId>,
    },
    Directions,
    CreateDirection,
    Import,
    Export,
    Accounts,
    Invite,
    SetRoles {
        account: Option<AccountId>,
    },
    /// The employee an account belongs to (superadmins).
    LinkEmployee {
        account: Option<AccountId>,
    },
    DeactivateAccount {
        account: Option<AccountId>,
    },
    Tokens,
    CreateToken,
    RevokeToken {
        id: Option<i64>,
    },
    AuditLog,
    /// Open invitations and grant links in the caller's scope.
    PendingInvitations,
    /// An open invitation or grant link ended (its id: 16 hex digits of its stored hash).
    RevokeInvitation {
        id: &'a str,
    },
    /// A one-time link back into an account whose owner forgot the password (superadmins).
    ResetLink {
        account: Option<AccountId>,
    },
    SigningKeys,
    /// Every collected shard's month, summed per shard (superadmins).
    National,
    Scale,
    SetScale,
    CreateCriterion,
    ChangeCriterion {
        id: Option<i64>,
    },
    ReissueOldCodes {
        unit: Option<UnitId>,
    },
    Poster {
        employee: Option<EmployeeId>,
    },
    UnitPosters {
        unit: Option<UnitId>,
    },
    UnitResults {
        unit: Option<UnitId>,
    },
    EmployeeResults {
        employee: Option<EmployeeId>,
    },
    DirectionResults,
    Comments,
    Recompute,
    MonthlyReport {
        unit: Option<UnitId>,
    },
    PublicResultsPage,
    PublicResultsData,
    FlaggedVotes,
    DecideFlagged,
    /// Votes rejected in review, and undoing one's rejection or several at once.
    RejectedVotes,
    UndoRejections,
    UndoRejection {
        vote: Option<i64>,
    },
    Cases,
    OverdueCases,
    ChangeCase {
        id: Option<i64>,
    },
    FileAppeal {
        vote: Option<i64>,
    },
    Appeals,
    DecideAppeal {
        vote: Option<i64>,
    },
    ModerateComment {
        vote: Option<i64>,
    },
    IssueOneTimeCodes {
        unit: Option<UnitId>,
    },
    OneTimeBatches {
        unit: Option<UnitId>,
    },
    OneTimeBatch {
        id: Option<i64>,
    },
    RevokeOneTimeBatch {
        id: Option<i64>,
    },
    /// The printable slips of a batch (HTML).
    OneTimeSlips {
        id: Option<i64>,
    },
    /// Units and employees by a part of their name, in the caller's subtrees.
    Search,
    /// Every employee in the caller's subtrees with their unit and code status, a page at a time.
    EmployeeList,
    /// Codes for every employee of a unit who has none (unit admins).
    IssueMissingCodes {
        unit: Option<UnitId>,
    },
}

/// A positive id that fits a JavaScript number, or `None` (a 404 after authentication).
fn row_id(id: &str) -> Option<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|n| (1..(1i64 << 53)).contains(n))
}

impl Route<'_> {
    pub fn access(&self) -> Access {
        match self {
            Route::Health
            | Route::Favicon
            | Route::Home
            | Route::Thanks
            | Route::VotePage { .. }
            | Route::VoteForm { .. }
            | Route::UnitForm { .. }
            | Route::ReceiptCheck { .. }
            | Route::ApiVote
            | Route::OpenApi
            | Route::AdminApp
            | Route::AdminAsset { .. }
            | Route::SignIn
            | Route::AcceptInvitation
            | Route::PublicResultsPage
            | Route::PublicResultsData => Access::Public,
            _ => Access::Admin,
        }
    }

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

impl Route<'_> {
    /// This route's cap on its request body.
    pub fn body_limit(&self) -> BodyLimit {
        match self {
            Route::VoteForm { .. } | Route::ApiVote => BodyLimit::Vote,
            Route::SignIn | Route::AcceptInvitation | Route::ChangePassword => BodyLimit::Account,
            Route::Import => BodyLimit::Import,
            _ => BodyLimit::Admin,
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

/// Every route: method, pattern, access. The source of truth for docs and the route scan.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/healthz", Access::Public),
    ("GET", "/favicon.ico", Access::Public),
    ("GET", "/", Access::Public),
    ("GET", "/thanks", Access::Public),
    ("GET", "/r/{token}", Access::Public),
    ("POST", "/r/{token}", Access::Public),
    ("GET", "/f/{id}", Access::Public),
    ("GET", "/admin", Access::Public),
    ("GET", "/admin/assets/{name}", Access::Public),
    ("GET", "/admin/employees/{id}/poster", Access::Admin),
    ("GET", "/admin/units/{id}/posters", Access::Admin),
    ("GET", "/admin/one-time-batches/{id}/slips", Access::Admin),
    ("GET", "/results", Access::Public),
    ("GET", "/api/v1/public/results", Access::Public),
    ("GET", "/api/v1/public/receipts/{code}", Access::Public),
    ("POST", "/api/v1/votes", Access::Public),
    ("GET", "/api/v1/openapi.json", Access::Public),
    ("POST", "/api/v1/session", Access::Public),
    ("GET", "/api/v1/session", Access::Admin),
    ("DELETE", "/api/v1/session", Access::Admin),
    ("PUT", "/api/v1/session/password", Access::Admin),
    ("POST", "/api/v1/invitations/accept", Access::Public),
    ("GET", "/api/v1/admin/units", Access::Admin),
    ("POST", "/api/v1/admin/units", Access::Admin),
    ("GET", "/api/v1/admin/units/{id}", Access::Admin),
    ("PATCH", "/api/v1/admin/units/{id}", Access::Admin),
    ("PUT", "/api/v1/admin/units/{id}/networks", Access::Admin),
    ("POST", "/api/v1/admin/employees", Access::Admin),
    ("GET", "/api/v1/admin/employees/{id}", Access::Admin),
    ("PATCH", "/api/v1/admin/employees/{id}", Access::Admin),
    ("POST", "/api/v1/admin/employees/{id}/qr", Access::Admin),
    ("DELETE", "/api/v1/admin/employees/{id}/qr", Access::Admin),
    ("GET", "/api/v1/admin/employees/{id}/qr.svg", Access::Admin),
    ("GET", "/api/v1/admin/employees/{id}/qr.png", Access::Admin),
    ("GET", "/api/v1/admin/employees/{id}/summary", Access::Admin),
    ("GET", "/api/v1/admin/directions", Access::Admin),
    ("POST", "/api/v1/admin/directions", Access::Admin),
    ("POST", "/api/v1/admin/import", Access::Admin),
    ("GET", "/api/v1/admin/export.csv", Access::Admin),
    ("GET", "/api/v1/admin/accounts", Access::Admin),
    ("POST", "/api/v1/admin/invitations", Access::Admin),
    ("PUT", "/api/v1/admin/accounts/{id}/roles", Access::Admin),
    ("PUT", "/api/v1/admin/accounts/{id}/employee", Access::Admin),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/reset-link",
        Access::Admin,
    ),
    ("DELETE", "/api/v1/admin/accounts/{id}", Access::Admin),
    ("GET", "/api/v1/admin/tokens", Access::Admin),
    ("POST", "/api/v1/admin/tokens", Access::Admin),
    ("DELETE", "/api/v1/admin/tokens/{id}", Access::Admin),
    ("GET", "/api/v1/admin/audit", Access::Admin),
    ("GET", "/api/v1/admin/invitations", Access::Admin),
    ("DELETE", "/api/v1/admin/invitations/{id}", Access::Admin),
    ("GET", "/api/v1/admin/keys", Access::Admin),
    ("GET", "/api/v1/admin/national", Access::Admin),
    ("GET", "/api/v1/admin/scale", Access::Admin),
    ("PUT", "/api/v1/admin/scale", Access::Admin),
    ("POST", "/api/v1/admin/criteria", Access::Admin),
    ("PATCH", "/api/v1/admin/criteria/{id}", Access::Admin),
    (
        "POST",
        "/api/v1/admin/units/{id}/reissue-codes",
        Access::Admin,
    ),
    ("GET", "/api/v1/admin/results/units/{id}", Access::Admin),
    (
        "GET",
        "/api/v1/admin/results/units/{id}/monthly",
        Access::Admin,
    ),
    ("GET", "/api/v1/admin/results/employees/{id}", Access::Admin),
    ("GET", "/api/v1/admin/results/directions", Access::Admin),
    ("GET", "/api/v1/admin/results/comments", Access::Admin),
    ("POST", "/api/v1/admin/results/recompute", Access::Admin),
    ("GET", "/api/v1/admin/review", Access::Admin),
    ("POST", "/api/v1/admin/review", Access::Admin),
    ("GET", "/api/v1/admin/review/rejected", Access::Admin),
    (
        "POST",
        "/api/v1/admin/review/rejected/{id}/undo",
        Access::Admin,
    ),
    ("POST", "/api/v1/admin/review/rejected/undo", Access::Admin),
    ("GET", "/api/v1/admin/cases", Access::Admin),
    ("GET", "/api/v1/admin/cases/overdue", Access::Admin),
    ("PATCH", "/api/v1/admin/cases/{id}", Access::Admin),
    ("POST", "/api/v1/admin/votes/{id}/appeal", Access::Admin),
    ("GET", "/api/v1/admin/appeals", Access::Admin),
    ("POST", "/api/v1/admin/appeals/{id}", Access::Admin),
    (
        "POST",
        "/api/v1/admin/comments/{id}/moderation",
        Access::Admin,
    ),
    (
        "POST",
        "/api/v1/admin/units/{id}/one-time-codes",
        Access::Admin,
    ),
    (
        "GET",
        "/api/v1/admin/units/{id}/one-time-batches",
        Access::Admin,
    ),
    ("GET", "/api/v1/admin/one-time-batches/{id}", Access::Admin),
    (
        "POST",
        "/api/v1/admin/one-time-batches/{id}/revoke",
        Access::Admin,
    ),
    ("GET", "/api/v1/admin/search", Access::Admin),
    ("GET", "/api/v1/admin/employees", Access::Admin),
    (
        "POST",
        "/api/v1/admin/units/{id}/issue-codes",
        Access::Admin,
    ),
];

/// Matches a path (without query). `/r/` and `/R/` both lead to the vote page, since the
/// printed URL is in capitals to keep the QR code in alphanumeric mode. HEAD is served as GET.
pub fn route(method: Method, path: &str) -> Result<Route<'_>, RouteError> {
    use Method::{Get, Head};
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let m = match method {
        Head => Get,
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

fn matched<'a>(m: Method, segments: &[&'a str]) -> Option<Route<'a>> {
    use Method::{Delete, Get, Post, Put};
    let employee = |id: &str| EmployeeId::parse_str(id);
    let unit = |id: &str| UnitId::parse_str(id);
    let r = match (m, segments) {
        (Get, ["healthz"]) => Route::Health,
        (Get, ["favicon.ico"]) => Route::Favicon,
        (Get, [""]) => Route::Home,
        (Get, ["thanks"]) => Route::Thanks,
        (Get, [r, token]) if r.eq_ignore_ascii_case("r") && !token.is_empty() => {
            Route::VotePage { token }
        }
        (Post, [r, token]) if r.eq_ignore_ascii_case("r") && !token.is_empty() => {
            Route::VoteForm { token }
        }
        (Get, ["f", id]) => Route::UnitForm { unit: unit(id) },
        (Get, ["admin"] | ["admin", ""]) => Route::AdminApp,
        (Get, ["admin", "assets", name]) if !name.is_empty() => Route::AdminAsset { name },
        (Get, ["admin", "employees", id, "poster"]) => Route::Poster {
            employee: employee(id),
        },
        (Get, ["admin", "units", id, "posters"]) => Route::UnitPosters { unit: unit(id) },
        (Get, ["admin", "one-time-batches", id, "slips"]) => Route::OneTimeSlips { id: row_id(id) },
        (Get, ["results"]) => Route::PublicResultsPage,
        (Get, ["api", "v1", "public", "results"]) => Route::PublicResultsData,
        (Get, ["api", "v1", "public", "receipts", code]) => Route::ReceiptCheck { code },
        (Post, ["api", "v1", "votes"]) => Route::ApiVote,
        (Get, ["api", "v1", "openapi.json"]) => Route::OpenApi,
        (Post, ["api", "v1", "session"]) => Route::SignIn,
        (Get, ["api", "v1", "session"]) => Route::Me,
        (Delete, ["api", "v1", "session"]) => Route::SignOut,
        (Put, ["api", "v1", "session", "password"]) => Route::ChangePassword,
        (Post, ["api", "v1", "invitations", "accept"]) => Route::AcceptInvitation,
        (m, ["api", "v1", "admin", rest @ ..]) => return admin_route(m, rest),
        _ => return None,
    };
    Some(r)
}

fn admin_route<'a>(m: Method, rest: &[&'a str]) -> Option<Route<'a>> {
    use Method::{Delete, Get, Patch, Post, Put};
    let employee = |id: &str| EmployeeId::parse_str(id);
    let unit = |id: &str| UnitId::parse_str(id);
    let account = |id: &str| AccountId::parse_str(id);
    let r = match (m, rest) {
        (Get, ["units"]) => Route::Units,
        (Post, ["units"]) => Route::CreateUnit,
        (Get, ["units", id]) => Route::UnitDetail { unit: unit(id) },
        (Patch, ["units", id]) => Route::ChangeUnit { unit: unit(id) },
        (Put, ["units", id, "networks"]) => Route::SetNetworks { unit: unit(id) },
        (Post, ["employees"]) => Route::CreateEmployee,
        (Get, ["employees", id]) => Route::EmployeeDetail {
            employee: employee(id),
        },
        (Patch, ["employees", id]) => Route::ChangeEmployee {
            employee: employee(id),
        },
        (Post, ["employees", id, "qr"]) => Route::IssueCode {
            employee: employee(id),
        },
        (Delete, ["employees", id, "qr"]) => Route::RevokeCode {
            employee: employee(id),
        },
        (Get, ["employees", id, "qr.svg"]) => Route::QrSvg {
            employee: employee(id),
        },
        (Get, ["employees", id, "qr.png"]) => Route::QrPng {
            employee: employee(id),
        },
        (Get, ["employees", id, "summary"]) => Route::Summary {
            employee: employee(id),
        },
        (Get, ["directions"]) => Route::Directions,
        (Post, ["directions"]) => Route::CreateDirection,
        (Post, ["import"]) => Route::Import,
        (Get, ["export.csv"]) => Route::Export,
        (Get, ["accounts"]) => Route::Accounts,
        (Post, ["invitations"]) => Route::Invite,
        (Put, ["accounts", id, "roles"]) => Route::SetRoles {
            account: account(id),
        },
        (Put, ["accounts", id, "employee"]) => Route::LinkEmployee {
            account: account(id),
        },
        (Delete, ["accounts", id]) => Route::DeactivateAccount {
            account: account(id),
        },
        (Get, ["tokens"]) => Route::Tokens,
        (Post, ["tokens"]) => Route::CreateToken,
        (Delete, ["tokens", id]) => Route::RevokeToken {
            id: id
                .parse::<i64>()
                .ok()
                .filter(|n| (1..(1 << 31)).contains(n)),
        },
        (Get, ["audit"]) => Route::AuditLog,
        (Get, ["invitations"]) => Route::PendingInvitations,
        (Delete, ["invitations", id]) => Route::RevokeInvitation { id },
        (Post, ["accounts", id, "reset-link"]) => Route::ResetLink {
            account: account(id),
        },
        (Get, ["keys"]) => Route::SigningKeys,
        (Get, ["national"]) => Route::National,
        (Get, ["scale"]) => Route::Scale,
        (Put, ["scale"]) => Route::SetScale,
        (Post, ["criteria"]) => Route::CreateCriterion,
        (Patch, ["criteria", id]) => Route::ChangeCriterion {
            id: id
                .parse::<i64>()
                .ok()
                .filter(|n| (1..(1 << 31)).contains(n)),
        },
        (Post, ["units", id, "reissue-codes"]) => Route::ReissueOldCodes { unit: unit(id) },
        (Get, ["results", "units", id]) => Route::UnitResults { unit: unit(id) },
        (Get, ["results", "units", id, "monthly"]) => Route::MonthlyReport { unit: unit(id) },
        (Get, ["results", "employees", id]) => Route::EmployeeResults {
            employee: employee(id),
        },
        (Get, ["results", "directions"]) => Route::DirectionResults,
        (Get, ["results", "comments"]) => Route::Comments,
        (Post, ["results", "recompute"]) => Route::Recompute,
        (Get, ["review"]) => Route::FlaggedVotes,
        (Post, ["review"]) => Route::DecideFlagged,
        (Get, ["review", "rejected"]) => Route::RejectedVotes,
        (Post, ["review", "rejected", id, "undo"]) => Route::UndoRejection { vote: row_id(id) },
        (Post, ["review", "rejected", "undo"]) => Route::UndoRejections,
        (Get, ["cases"]) => Route::Cases,
        (Get, ["cases", "overdue"]) => Route::OverdueCases,
        // `cases/overdue` is a list, not a case: PATCH there is a 405, as on any list.
        (Patch, ["cases", id]) if *id != "overdue" => Route::ChangeCase {
            id: id
                .parse::<i64>()
                .ok()
                .filter(|n| (1..(1i64 << 53)).contains(n)),
        },
        (Post, ["votes", id, "appeal"]) => Route::FileAppeal {
            vote: id
                .parse::<i64>()
                .ok()
                .filter(|n| (1..(1i64 << 53)).contains(n)),
        },
        (Get, ["appeals"]) => Route::Appeals,
        (Post, ["comments", id, "moderation"]) => Route::ModerateComment {
            vote: id
                .parse::<i64>()
                .ok()
                .filter(|n| (1..(1i64 << 53)).contains(n)),
        },
        (Post, ["units", id, "one-time-codes"]) => Route::IssueOneTimeCodes { unit: unit(id) },
        (Get, ["units", id, "one-time-batches"]) => Route::OneTimeBatches { unit: unit(id) },
        (Get, ["one-time-batches", id]) => Route::OneTimeBatch { id: row_id(id) },
        (Post, ["one-time-batches", id, "revoke"]) => Route::RevokeOneTimeBatch { id: row_id(id) },
        (Get, ["search"]) => Route::Search,
        (Get, ["employees"]) => Route::EmployeeList,
        (Post, ["units", id, "issue-codes"]) => Route::IssueMissingCodes { unit: unit(id) },
        (Post, ["appeals", id]) => Route::DecideAppeal {
            vote: id
                .parse::<i64>()
                .ok()
                .filter(|n| (1..(1i64 << 53)).contains(n)),
        },
        _ => return None,
    };
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vote_path_is_case_insensitive() {
        assert_eq!(
            route(Method::Get, "/R/ABC"),
            Ok(Route::VotePage { token: "ABC" })
        );
        assert_eq!(
            route(Method::Post, "/r/abc"),
            Ok(Route::VoteForm { token: "abc" })
        );
        assert_eq!(route(Method::Get, "/r/"), Err(RouteError::NotFound));
    }

    #[test]
    fn wrong_method_is_405_and_unknown_path_404() {
        assert_eq!(
            route(Method::Get, "/api/v1/votes").map_err(|e| match e {
                RouteError::MethodNotAllowed(allow) => allow.header(),
                RouteError::NotFound => String::from("404"),
            }),
            Err(String::from("POST"))
        );
        assert_eq!(
            route(Method::Get, "/api/v1/nothing"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            route(Method::Get, "/../etc/passwd"),
            Err(RouteError::NotFound)
        );
    }

    #[test]
    fn every_listed_path_allows_exactly_its_listed_methods() {
        let mut by_path: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for (method, pattern, _) in ROUTES {
            by_path.entry(pattern).or_default().push(method);
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
                route(Method::Post, &path),
                Ok(Route::IssueCode { employee: None }),
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
            route(Method::Post, "/r/T").map(|r| r.body_limit()),
            Ok(BodyLimit::Vote)
        );
        assert_eq!(
            route(Method::Post, "/api/v1/admin/import").map(|r| r.body_limit()),
            Ok(BodyLimit::Import)
        );
        assert!(BodyLimit::Vote.bytes() < BodyLimit::Admin.bytes());
        assert!(BodyLimit::Account.bytes() < BodyLimit::Vote.bytes());
    }

    #[test]
    fn every_listed_route_matches_with_its_access() {
        for (method, pattern, access) in ROUTES {
            let path = pattern
                .replace("{token}", "T")
                .replace("{id}", "1")
                .replace("{name}", "app.js");
            let r = route(Method::parse(method), &path)
                .unwrap_or_else(|e| panic!("{method} {pattern}: {e:?}"));
            assert_eq!(r.access(), *access, "{method} {pattern}");
        }
    }
}
