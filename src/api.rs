//! The JSON API's error shape and the one place where every use-case error becomes a status
//! and a code. Internal causes are logged by the caller and never shown.
//!
//! Handlers return `Result<Response, ApiError>` and use `?`. An error with no internal cause
//! converts here, owned or borrowed. One that may hide an internal failure (`AdminError`,
//! `StoreError`, `SignInError`, `VoteError`) converts owned only in the glue (`glue/http.rs`),
//! which logs the cause this module names (`admin_internal_cause`, `sign_in_internal_cause`,
//! `internal_cause`) as it converts: a handler's `?` cannot drop it unlogged.

use crate::admin::{AdminError, SignInError};
use crate::clock::DayRangeError;
use crate::store::StoreError;
use crate::voting::service::{CodeError, VoteError};
use crate::voting::vote::InputError;
use serde::Serialize;

/// An error answer: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Seconds to put in `Retry-After`, for 429 and 503.
    pub retry_after: Option<u32>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&Body {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        })
        .unwrap_or_else(|_| {
            String::from(r#"{"error":{"code":"internal","message":"internal error"}}"#)
        })
    }

    pub fn unavailable() -> ApiError {
        ApiError {
            retry_after: Some(5),
            ..ApiError::new(503, "unavailable", "temporarily unavailable, please retry")
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(404, "not_found", "no such resource")
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            405,
            "method_not_allowed",
            "method not allowed on this resource",
        )
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            401,
            "unauthorized",
            "sign in, or send `Authorization: Bearer <API token>`",
        )
    }

    pub fn csrf() -> ApiError {
        ApiError::new(
            403,
            "csrf",
            "this change needs the `X-CSRF-Token` header of your session, from this site",
        )
    }

    /// A body over its route's cap (`routes::BodyLimit`).
    pub fn payload_too_large(max: usize) -> ApiError {
        ApiError::new(
            413,
            "payload_too_large",
            format!("the body must be at most {max} bytes"),
        )
    }

    /// A change sent by a page of another site (`same_site`).
    pub fn cross_site() -> ApiError {
        ApiError::new(
            403,
            "cross_site",
            "changes are accepted only from this site's own pages, or from clients that send no Origin",
        )
    }

    pub fn unsupported_media_type(expected: &str) -> ApiError {
        ApiError::new(
            415,
            "unsupported_media_type",
            format!("the body must be {expected}"),
        )
    }

    pub fn invalid_utf8() -> ApiError {
        ApiError::new(400, "invalid_utf8", "the body is not valid UTF-8")
    }

    /// Syntax errors are the client's malformed JSON (400); well-formed JSON of the wrong
    /// shape is an unprocessable entity (422).
    pub fn from_json_error(e: &serde_json::Error) -> ApiError {
        use serde_json::error::Category;
        match e.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::new(400, "malformed_json", format!("malformed JSON: {e}"))
            }
            Category::Data => ApiError::new(422, "invalid_field", format!("{e}")),
        }
    }

    /// A query that names a parameter twice (`?to=2026-01-01&to=2026-02-01`: which one was
    /// meant?) or gives one no value (`?period=`: the default, or a mistake?). Refused for
    /// every API route before its handler, which then reads each parameter's one value.
    pub fn from_query(pairs: &[(String, String)]) -> Option<ApiError> {
        for (i, (key, value)) in pairs.iter().enumerate() {
            if pairs.iter().take(i).any(|(k, _)| k == key) {
                return Some(ApiError::new(
                    400,
                    "repeated_parameter",
                    format!("the query parameter `{key}` is given more than once"),
                ));
            }
            if value.is_empty() {
                return Some(ApiError::new(
                    400,
                    "empty_parameter",
                    format!(
                        "the query parameter `{key}` has no value; leave it out for its default"
                    ),
                ));
            }
        }
        None
    }

    /// A JSON body that is not read: not JSON (400), not an object (422), or an object of the
    /// wrong shape (422).
    pub fn from_body_error(e: crate::json_object::BodyError) -> ApiError {
        use crate::json_object::BodyError;
        match e {
            BodyError::Malformed(m) => {
                ApiError::new(400, "malformed_json", format!("malformed JSON: {m}"))
            }
            BodyError::NotAnObject => ApiError::new(
                422,
                "not_an_object",
                "the body must be a JSON object of named fields, not an array or a single value",
            ),
            BodyError::Shape(m) => ApiError::new(422, "invalid_field", m),
        }
    }
}

impl From<&StoreError> for ApiError {
    fn from(_: &StoreError) -> ApiError {
        ApiError::unavailable()
    }
}

impl From<&InputError> for ApiError {
    fn from(e: &InputError) -> ApiError {
        let code = match e {
            InputError::ScoreMissing | InputError::ScoreOutOfScale => "score_out_of_range",
            InputError::CommentTooLong => "comment_too_long",
            InputError::InvalidContact => "invalid_contact",
            InputError::UnknownLanguage => "unknown_language",
            InputError::UnknownCriterion => "unknown_criterion",
            InputError::CriterionOutOfScale => "criterion_out_of_range",
        };
        ApiError::new(422, code, e.to_string())
    }
}

impl From<&CodeError> for ApiError {
    fn from(e: &CodeError) -> ApiError {
        match e {
            CodeError::Invalid => ApiError::new(404, "invalid_token", "this code is not valid"),
            CodeError::Revoked => ApiError::new(
                410,
                "revoked_token",
                "this code is no longer valid; ask staff for the current one",
            ),
            CodeError::Used => ApiError::new(
                410,
                "used_token",
                "this one-time code has already taken its vote",
            ),
            CodeError::Store(e) => e.into(),
        }
    }
}

impl From<&VoteError> for ApiError {
    fn from(e: &VoteError) -> ApiError {
        match e {
            VoteError::Code(e) => e.into(),
            VoteError::Input(e) => e.into(),
            VoteError::RateLimited { retry_after } => ApiError {
                retry_after: Some(*retry_after),
                ..ApiError::new(
                    429,
                    "rate_limited",
                    "too many votes from this device; try again later",
                )
            },
            VoteError::ChallengeFailed => ApiError::new(
                403,
                "challenge_failed",
                "the Turnstile check did not pass; reload the form and try again",
            ),
            VoteError::ChallengeUnavailable(_) => ApiError::unavailable(),
            VoteError::Store(e) => e.into(),
        }
    }
}

impl From<&AdminError> for ApiError {
    fn from(e: &AdminError) -> ApiError {
        match e {
            AdminError::NotFound(_) => ApiError::new(404, "not_found", e.to_string()),
            AdminError::Invalid { .. } => ApiError::new(422, "invalid_field", e.to_string()),
            AdminError::WeakPassword(_) => ApiError::new(422, "weak_password", e.to_string()),
            AdminError::Forbidden => ApiError::new(403, "forbidden", e.to_string()),
            AdminError::NeedsOversight(_) => ApiError::new(403, "needs_oversight", e.to_string()),
            AdminError::WrongPassword => ApiError::new(403, "wrong_password", e.to_string()),
            AdminError::Conflict(_) => ApiError::new(409, "conflict", e.to_string()),
            AdminError::Exhausted => ApiError::new(409, "exhausted", e.to_string()),
            AdminError::Kdf(_) => ApiError::unavailable(),
            AdminError::Store(e) => e.into(),
        }
    }
}

impl From<&SignInError> for ApiError {
    fn from(e: &SignInError) -> ApiError {
        match e {
            SignInError::InvalidCredentials => {
                ApiError::new(401, "invalid_credentials", e.to_string())
            }
            SignInError::Throttled { retry_after } => ApiError {
                retry_after: Some(*retry_after),
                ..ApiError::new(429, "too_many_attempts", e.to_string())
            },
            SignInError::Kdf(_) => ApiError::unavailable(),
            SignInError::Store(e) => e.into(),
        }
    }
}

/// The internal cause of an administration error, to log (never to show).
pub fn admin_internal_cause(e: &AdminError) -> Option<String> {
    match e {
        AdminError::Store(cause) => Some(cause.to_string()),
        AdminError::Kdf(cause) => Some(cause.clone()),
        _ => None,
    }
}

impl From<&DayRangeError> for ApiError {
    fn from(e: &DayRangeError) -> ApiError {
        ApiError::new(422, "invalid_range", e.to_string())
    }
}

impl From<&crate::results::report::PeriodError> for ApiError {
    fn from(e: &crate::results::report::PeriodError) -> ApiError {
        ApiError::new(422, "invalid_period", e.to_string())
    }
}

/// The internal cause of a failed sign-in, to log (never to show).
pub fn sign_in_internal_cause(e: &SignInError) -> Option<String> {
    match e {
        SignInError::Store(cause) => Some(cause.to_string()),
        SignInError::Kdf(cause) => Some(cause.clone()),
        _ => None,
    }
}

impl From<DayRangeError> for ApiError {
    fn from(e: DayRangeError) -> ApiError {
        (&e).into()
    }
}

impl From<crate::results::report::PeriodError> for ApiError {
    fn from(e: crate::results::report::PeriodError) -> ApiError {
        (&e).into()
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> ApiError {
        (&e).into()
    }
}

/// Whether an error hides an internal failure that must be logged (its cause, not the input).
pub fn internal_cause(e: &VoteError) -> Option<&StoreError> {
    match e {
        VoteError::Store(s) | VoteError::Code(CodeError::Store(s)) => Some(s),
        _ => None,
    }
}

/// The OpenAPI 3.1 description served at `/api/v1/openapi.json`; a test checks it lists
/// every API route of the route tables (`routes::all`).
pub const OPENAPI_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.min.json"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_has_code_and_message() {
        let e = ApiError::new(422, "comment_too_long", "too \"long\"");
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v["error"]["code"], "comment_too_long");
        assert_eq!(v["error"]["message"], "too \"long\"");
    }

    #[test]
    fn an_owned_range_period_or_input_error_answers_as_its_borrowed_one() {
        use crate::results::report::PeriodError;
        assert_eq!(
            ApiError::from(DayRangeError::Reversed),
            ApiError::from(&DayRangeError::Reversed)
        );
        let period = ApiError::from(PeriodError::BadMonth);
        assert_eq!(period, ApiError::from(&PeriodError::BadMonth));
        assert_eq!((period.status, period.code), (422, "invalid_period"));
        let input = ApiError::from(InputError::CommentTooLong);
        assert_eq!((input.status, input.code), (422, "comment_too_long"));
    }

    #[test]
    fn only_store_and_hashing_failures_have_an_internal_cause_to_log() {
        let store = || StoreError::Unavailable("D1 said: disk on fire".into());
        assert_eq!(
            admin_internal_cause(&AdminError::Store(store())).as_deref(),
            Some("database unavailable: D1 said: disk on fire")
        );
        assert_eq!(
            admin_internal_cause(&AdminError::Kdf("no subtle crypto".into())).as_deref(),
            Some("no subtle crypto")
        );
        assert_eq!(admin_internal_cause(&AdminError::Forbidden), None);
        assert_eq!(admin_internal_cause(&AdminError::NotFound("unit")), None);
        assert_eq!(
            sign_in_internal_cause(&SignInError::Store(store())).as_deref(),
            Some("database unavailable: D1 said: disk on fire")
        );
        assert_eq!(
            sign_in_internal_cause(&SignInError::Kdf("no subtle crypto".into())).as_deref(),
            Some("no subtle crypto")
        );
        assert_eq!(
            sign_in_internal_cause(&SignInError::InvalidCredentials),
            None
        );
        assert_eq!(
            sign_in_internal_cause(&SignInError::Throttled { retry_after: 60 }),
            None
        );
    }

    #[test]
    fn an_internal_cause_is_never_in_the_answer() {
        let secret = "D1_ERROR: table accounts: SQLITE_BUSY";
        for e in [
            ApiError::from(&AdminError::Store(StoreError::Corrupt(secret.into()))),
            ApiError::from(&AdminError::Kdf(secret.into())),
            ApiError::from(&SignInError::Store(StoreError::Unavailable(secret.into()))),
            ApiError::from(&SignInError::Kdf(secret.into())),
            ApiError::from(&StoreError::Unavailable(secret.into())),
        ] {
            assert_eq!(e, ApiError::unavailable());
            assert!(!e.to_json().contains("SQLITE"), "{}", e.to_json());
        }
    }

    #[test]
    fn malformed_json_is_400_and_wrong_shape_is_422() {
        let syntax =
            serde_json::from_str::<crate::voting::vote::JsonVote>("{\"token\":").unwrap_err();
        assert_eq!(ApiError::from_json_error(&syntax).status, 400);
        let shape =
            serde_json::from_str::<crate::voting::vote::JsonVote>("{\"token\":1,\"score\":1}")
                .unwrap_err();
        assert_eq!(ApiError::from_json_error(&shape).status, 422);
    }

    #[test]
    fn a_repeated_or_empty_query_parameter_is_refused_and_distinct_ones_pass() {
        let q = |pairs: &[(&str, &str)]| {
            let owned: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            ApiError::from_query(&owned).map(|e| (e.status, e.code))
        };
        assert_eq!(q(&[]), None);
        assert_eq!(q(&[("from", "2026-01-01"), ("to", "2026-02-01")]), None);
        assert_eq!(
            q(&[("to", "2026-01-01"), ("to", "2026-02-01")]),
            Some((400, "repeated_parameter"))
        );
        assert_eq!(
            q(&[("to", "null"), ("to", "null")]),
            Some((400, "repeated_parameter"))
        );
        assert_eq!(q(&[("period", "")]), Some((400, "empty_parameter")));
    }

    /// Every operation of the document, with its route's access in the route tables.
    fn operations() -> Vec<(String, serde_json::Value, crate::routes::Access)> {
        let v: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        let mut out = Vec::new();
        for (path, ops) in v["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                let name = format!("{} {path}", method.to_uppercase());
                let access = crate::routes::all()
                    .find(|d| format!("{} {}", d.method_name(), d.path) == name)
                    .map(|d| d.access)
                    .unwrap_or_else(|| panic!("{name} is not routed"));
                out.push((name, op.clone(), access));
            }
        }
        out
    }

    #[test]
    fn exactly_the_public_routes_say_they_need_no_authentication() {
        use crate::routes::Access;
        for (name, op, access) in operations() {
            let open = op["security"].as_array().is_some_and(|s| s.is_empty());
            assert_eq!(
                open,
                access == Access::Public,
                "{name}: security {}",
                op["security"]
            );
            // An admin route takes the document's default (an API token, a session or Access).
            if access == Access::Admin {
                assert!(op["responses"]["401"].is_object(), "{name} lists no 401");
            }
        }
    }

    #[test]
    fn every_answer_the_shared_code_gives_is_listed() {
        for (name, op, _) in operations() {
            let responses = &op["responses"];
            let has = |code: &str| responses[code].is_object();
            let body = &op["requestBody"]["content"];
            if body.is_object() {
                for code in ["413", "415"] {
                    assert!(has(code), "{name} lists no {code}");
                }
            }
            if body["application/json"].is_object() {
                // Malformed JSON; not an object, or of the wrong shape.
                assert!(has("400") && has("422"), "{name}: 400 and 422");
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            if params.iter().any(|p| p["in"] == "query") {
                // A repeated or empty query parameter.
                assert!(has("400"), "{name} lists no 400");
            }
            if !name.starts_with("GET ") {
                // A change sent from another site.
                assert!(has("403"), "{name} lists no 403");
            }
            for p in params {
                if p["in"] == "path" && p["schema"]["type"] == "integer" {
                    assert_eq!(p["schema"]["minimum"], 1, "{name}: {} minimum", p["name"]);
                }
            }
        }
    }

    #[test]
    fn openapi_document_is_valid_json_of_version_3_1() {
        let v: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        assert!(v["openapi"].as_str().unwrap().starts_with("3.1"));
    }

    #[test]
    fn openapi_document_describes_exactly_the_api_routes() {
        let v: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        let documented: std::collections::BTreeSet<String> = v["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| format!("{} {path}", m.to_uppercase()))
            })
            .collect();
        let routed: std::collections::BTreeSet<String> = crate::routes::all()
            .filter(|d| d.path.starts_with("/api/") || d.path == "/healthz")
            .map(|d| format!("{} {}", d.method_name(), d.path))
            .collect();
        assert_eq!(documented, routed);
    }
}
