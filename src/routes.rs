//! The HTTP surface as data: every route, its methods and who may call it. Dispatch is pure,
//! so it is tested natively and scanned by the API tests.

use crate::org::{EmployeeId, UnitId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
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
            "DELETE" => Method::Delete,
            _ => Method::Other,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    Admin,
}

/// A matched request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    Health,
    Home,
    Thanks,
    VotePage { token: &'a str },
    VoteForm { token: &'a str },
    ApiVote,
    OpenApi,
    CreateUnit,
    CreateEmployee,
    SetNetworks { unit: Option<UnitId> },
    IssueCode { employee: Option<EmployeeId> },
    RevokeCode { employee: Option<EmployeeId> },
    Summary { employee: Option<EmployeeId> },
}

impl Route<'_> {
    pub fn access(&self) -> Access {
        match self {
            Route::CreateUnit
            | Route::CreateEmployee
            | Route::SetNetworks { .. }
            | Route::IssueCode { .. }
            | Route::RevokeCode { .. }
            | Route::Summary { .. } => Access::Admin,
            _ => Access::Public,
        }
    }

    /// API routes answer in JSON, even their 404s; everything else in HTML.
    pub fn is_api(path: &str) -> bool {
        path == "/api" || path.starts_with("/api/")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    NotFound,
    MethodNotAllowed,
}

/// Every route: method, pattern, access. The source of truth for docs and the route scan.
pub const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/healthz", Access::Public),
    ("GET", "/", Access::Public),
    ("GET", "/thanks", Access::Public),
    ("GET", "/r/{token}", Access::Public),
    ("POST", "/r/{token}", Access::Public),
    ("POST", "/api/v1/votes", Access::Public),
    ("GET", "/api/v1/openapi.json", Access::Public),
    ("POST", "/api/v1/admin/units", Access::Admin),
    ("PUT", "/api/v1/admin/units/{id}/networks", Access::Admin),
    ("POST", "/api/v1/admin/employees", Access::Admin),
    ("POST", "/api/v1/admin/employees/{id}/qr", Access::Admin),
    ("DELETE", "/api/v1/admin/employees/{id}/qr", Access::Admin),
    ("GET", "/api/v1/admin/employees/{id}/summary", Access::Admin),
];

/// Matches a path (without query). `/r/` and `/R/` both lead to the vote page, since the
/// printed URL is in capitals to keep the QR code in alphanumeric mode. HEAD is served as GET.
pub fn route(method: Method, path: &str) -> Result<Route<'_>, RouteError> {
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let get = matches!(method, Method::Get | Method::Head);
    let post = method == Method::Post;
    let only = |ok: bool, r: Route<'static>| {
        if ok {
            Ok(r)
        } else {
            Err(RouteError::MethodNotAllowed)
        }
    };
    match segments.as_slice() {
        ["healthz"] => only(get, Route::Health),
        [""] => only(get, Route::Home),
        ["thanks"] => only(get, Route::Thanks),
        [r, token] if r.eq_ignore_ascii_case("r") && !token.is_empty() => match method {
            Method::Get | Method::Head => Ok(Route::VotePage { token }),
            Method::Post => Ok(Route::VoteForm { token }),
            _ => Err(RouteError::MethodNotAllowed),
        },
        ["api", "v1", "votes"] => only(post, Route::ApiVote),
        ["api", "v1", "openapi.json"] => only(get, Route::OpenApi),
        ["api", "v1", "admin", "units"] => only(post, Route::CreateUnit),
        ["api", "v1", "admin", "employees"] => only(post, Route::CreateEmployee),
        ["api", "v1", "admin", "units", id, "networks"] => only(
            method == Method::Put,
            Route::SetNetworks {
                unit: UnitId::parse_str(id),
            },
        ),
        ["api", "v1", "admin", "employees", id, "qr"] => {
            let employee = EmployeeId::parse_str(id);
            match method {
                Method::Post => Ok(Route::IssueCode { employee }),
                Method::Delete => Ok(Route::RevokeCode { employee }),
                _ => Err(RouteError::MethodNotAllowed),
            }
        }
        ["api", "v1", "admin", "employees", id, "summary"] => {
            let employee = EmployeeId::parse_str(id);
            if get {
                Ok(Route::Summary { employee })
            } else {
                Err(RouteError::MethodNotAllowed)
            }
        }
        _ => Err(RouteError::NotFound),
    }
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
            route(Method::Get, "/api/v1/votes"),
            Err(RouteError::MethodNotAllowed)
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
    fn every_listed_route_matches_with_its_access() {
        for (method, pattern, access) in ROUTES {
            let path = pattern.replace("{token}", "T").replace("{id}", "1");
            let r = route(Method::parse(method), &path)
                .unwrap_or_else(|e| panic!("{method} {pattern}: {e:?}"));
            assert_eq!(r.access(), *access, "{method} {pattern}");
        }
    }
}
