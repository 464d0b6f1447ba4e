//! Every bad input gets its clear error and changes nothing. One table, one instance of its
//! own (so no other test writes while the database checksum is compared).

use crate::helpers::{key, Worker};
use serde_json::json;

struct Case {
    name: &'static str,
    method: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    admin: bool,
    status: u16,
    /// The JSON error code; `None` for HTML answers (citizen pages).
    code: Option<&'static str>,
}

fn case(
    name: &'static str,
    method: &'static str,
    path: impl Into<String>,
    status: u16,
    code: Option<&'static str>,
) -> Case {
    Case {
        name,
        method,
        path: path.into(),
        content_type: None,
        body: vec![],
        admin: false,
        status,
        code,
    }
}

impl Case {
    fn json(mut self, body: impl Into<Vec<u8>>) -> Case {
        self.content_type = Some("application/json");
        self.body = body.into();
        self
    }
    fn form(mut self, body: impl Into<Vec<u8>>) -> Case {
        self.content_type = Some("application/x-www-form-urlencoded");
        self.body = body.into();
        self
    }
    fn typed(mut self, content_type: &'static str, body: impl Into<Vec<u8>>) -> Case {
        self.content_type = Some(content_type);
        self.body = body.into();
        self
    }
    fn admin(mut self) -> Case {
        self.admin = true;
        self
    }
}

fn vote(token: &str, extra: serde_json::Value) -> Vec<u8> {
    let mut v = json!({"token": token, "score": 3});
    if let (Some(obj), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        for (k, val) in extra {
            obj.insert(k.clone(), val.clone());
        }
    }
    serde_json::to_vec(&v).unwrap()
}

#[tokio::test]
async fn every_bad_input_gets_its_error_and_changes_nothing() {
    let w = Worker::start(&key(1));
    let (employee, token) = w.employee_with_code("Контрольна Особа").await;
    let t = token.as_str();
    let big = "x".repeat(40 * 1024);
    let unit = w.count(&format!(
        "SELECT unit_id FROM employees WHERE id = {employee}"
    ));
    let made = w
        .admin(reqwest::Method::POST, "/api/v1/admin/directions")
        .json(&json!({"name": "Пенсії"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let csv = |body: &str| body.as_bytes().to_vec();
    let long_comment = "ї".repeat(1001);
    let cases = vec![
        case(
            "truncated JSON",
            "POST",
            "/api/v1/votes",
            400,
            Some("malformed_json"),
        )
        .json(&b"{\"token\":"[..]),
        case(
            "not JSON",
            "POST",
            "/api/v1/votes",
            400,
            Some("malformed_json"),
        )
        .json(&b"score=3"[..]),
        case(
            "empty JSON body",
            "POST",
            "/api/v1/votes",
            400,
            Some("malformed_json"),
        )
        .json(vec![]),
        case(
            "JSON array",
            "POST",
            "/api/v1/votes",
            422,
            Some("not_an_object"),
        )
        .json(&b"[1,2,3]"[..]),
        case(
            "wrong content type",
            "POST",
            "/api/v1/votes",
            415,
            Some("unsupported_media_type"),
        )
        .typed("text/plain", vote(t, json!({}))),
        case(
            "missing content type",
            "POST",
            "/api/v1/votes",
            415,
            Some("unsupported_media_type"),
        ),
        case(
            "oversized body",
            "POST",
            "/api/v1/votes",
            413,
            Some("payload_too_large"),
        )
        .json(vote(t, json!({"comment": big}))),
        case(
            "invalid UTF-8",
            "POST",
            "/api/v1/votes",
            400,
            Some("invalid_utf8"),
        )
        .json(&b"{\"token\":\"\xff\xfe\",\"score\":3}"[..]),
        case(
            "score zero",
            "POST",
            "/api/v1/votes",
            422,
            Some("score_out_of_range"),
        )
        .json(vote(t, json!({"score": 0}))),
        case(
            "score above the scale",
            "POST",
            "/api/v1/votes",
            422,
            Some("score_out_of_range"),
        )
        .json(vote(t, json!({"score": 4}))),
        case(
            "negative score",
            "POST",
            "/api/v1/votes",
            422,
            Some("score_out_of_range"),
        )
        .json(vote(t, json!({"score": -1}))),
        case(
            "huge score",
            "POST",
            "/api/v1/votes",
            422,
            Some("score_out_of_range"),
        )
        .json(vote(t, json!({"score": 9_007_199_254_740_993_i64}))),
        case(
            "fractional score",
            "POST",
            "/api/v1/votes",
            422,
            Some("invalid_field"),
        )
        .json(vote(t, json!({"score": 2.5}))),
        case(
            "score as text",
            "POST",
            "/api/v1/votes",
            422,
            Some("invalid_field"),
        )
        .json(vote(t, json!({"score": "3"}))),
        case(
            "missing score",
            "POST",
            "/api/v1/votes",
            422,
            Some("invalid_field"),
        )
        .json(serde_json::to_vec(&json!({"token": t})).unwrap()),
        case(
            "missing token",
            "POST",
            "/api/v1/votes",
            422,
            Some("invalid_field"),
        )
        .json(&b"{\"score\":3}"[..]),
        case(
            "unknown field",
            "POST",
            "/api/v1/votes",
            422,
            Some("invalid_field"),
        )
        .json(vote(t, json!({"scor": 1}))),
        case(
            "over-long comment",
            "POST",
            "/api/v1/votes",
            422,
            Some("comment_too_long"),
        )
        .json(vote(t, json!({"comment": long_comment}))),
        case(
            "unknown language",
            "POST",
            "/api/v1/votes",
            422,
            Some("unknown_language"),
        )
        .json(vote(t, json!({"lang": "xx"}))),
        case(
            "invalid contact",
            "POST",
            "/api/v1/votes",
            422,
            Some("invalid_contact"),
        )
        .json(vote(t, json!({"contact": "<script>"}))),
        case(
            "forged token",
            "POST",
            "/api/v1/votes",
            404,
            Some("invalid_token"),
        )
        .json(vote("0123456789ABCDEFGHJKMNPQRSTVWXYZ", json!({}))),
        case(
            "SQL in token",
            "POST",
            "/api/v1/votes",
            404,
            Some("invalid_token"),
        )
        .json(vote("' OR 1=1; DROP TABLE votes; --", json!({}))),
        case(
            "form: wrong content type",
            "POST",
            format!("/r/{t}"),
            415,
            None,
        )
        .typed("text/plain", &b"score=3"[..]),
        case("form: invalid UTF-8", "POST", format!("/r/{t}"), 400, None)
            .form(&b"score=3&comment=%FF%FE"[..]),
        case(
            "form: duplicated score",
            "POST",
            format!("/r/{t}"),
            400,
            None,
        )
        .form(&b"score=1&score=3"[..]),
        case(
            "form: score off the scale",
            "POST",
            format!("/r/{t}"),
            422,
            None,
        )
        .form(&b"score=7"[..]),
        case(
            "form: over-long comment",
            "POST",
            format!("/r/{t}"),
            422,
            None,
        )
        .form(format!("score=3&comment={}", "x".repeat(1001))),
        case(
            "form: invalid contact",
            "POST",
            format!("/r/{t}"),
            422,
            None,
        )
        .form(&b"score=3&contact=call+me"[..]),
        case("form: oversized", "POST", format!("/r/{t}"), 413, None)
            .form(format!("score=3&comment={big}")),
        case(
            "form: forged token",
            "POST",
            "/r/0123456789ABCDEFGHJKMNPQRSTVWXYZ",
            404,
            None,
        )
        .form(&b"score=3"[..]),
        case(
            "page: path traversal",
            "GET",
            "/r/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            404,
            None,
        ),
        case("page: unknown path", "GET", "/wp-admin", 404, None),
        case(
            "api: unknown path",
            "GET",
            "/api/v1/nothing",
            404,
            Some("not_found"),
        ),
        case(
            "api: wrong method",
            "GET",
            "/api/v1/votes",
            405,
            Some("method_not_allowed"),
        ),
        case(
            "admin: no credentials",
            "POST",
            "/api/v1/admin/units",
            401,
            Some("unauthorized"),
        )
        .json(&b"{\"name\":\"X\"}"[..]),
        case(
            "admin: empty unit name",
            "POST",
            "/api/v1/admin/units",
            422,
            Some("invalid_field"),
        )
        .json(&b"{\"name\":\"   \"}"[..])
        .admin(),
        case(
            "admin: over-long unit name",
            "POST",
            "/api/v1/admin/units",
            422,
            Some("invalid_field"),
        )
        .json(serde_json::to_vec(&json!({"name": "Я".repeat(201)})).unwrap())
        .admin(),
        case(
            "admin: missing parent",
            "POST",
            "/api/v1/admin/units",
            404,
            Some("not_found"),
        )
        .json(&b"{\"name\":\"X\",\"parent_id\":999999}"[..])
        .admin(),
        case(
            "admin: zero parent",
            "POST",
            "/api/v1/admin/units",
            404,
            Some("not_found"),
        )
        .json(&b"{\"name\":\"X\",\"parent_id\":0}"[..])
        .admin(),
        case(
            "admin: employee in a missing unit",
            "POST",
            "/api/v1/admin/employees",
            404,
            Some("not_found"),
        )
        .json(&b"{\"name\":\"A\",\"position\":\"B\",\"unit_id\":999999}"[..])
        .admin(),
        case(
            "admin: employee without position",
            "POST",
            "/api/v1/admin/employees",
            422,
            Some("invalid_field"),
        )
        .json(&b"{\"name\":\"A\",\"unit_id\":1}"[..])
        .admin(),
        case(
            "admin: code for employee 0",
            "POST",
            "/api/v1/admin/employees/0/qr",
            404,
            Some("not_found"),
        )
        .admin(),
        case(
            "admin: code for a negative id",
            "POST",
            "/api/v1/admin/employees/-5/qr",
            404,
            Some("not_found"),
        )
        .admin(),
        case(
            "admin: code for a huge id",
            "POST",
            "/api/v1/admin/employees/99999999999999/qr",
            404,
            Some("not_found"),
        )
        .admin(),
        case(
            "admin: code for a missing employee",
            "POST",
            "/api/v1/admin/employees/999999/qr",
            404,
            Some("not_found"),
        )
        .admin(),
        case(
            "admin: channel out of range",
            "POST",
            format!("/api/v1/admin/employees/{employee}/qr?channel=256"),
            422,
            Some("invalid_field"),
        )
        .admin(),
        case(
            "admin: revoke a missing employee",
            "DELETE",
            "/api/v1/admin/employees/999999/qr",
            404,
            Some("not_found"),
        )
        .admin(),
        case(
            "admin: malformed CIDR",
            "PUT",
            "/api/v1/admin/units/1/networks",
            422,
            Some("invalid_field"),
        )
        .json(&b"{\"cidrs\":[\"10.0.0.0/33\"]}"[..])
        .admin(),
        case(
            "admin: CIDR with host bits",
            "PUT",
            "/api/v1/admin/units/1/networks",
            422,
            Some("invalid_field"),
        )
        .json(&b"{\"cidrs\":[\"10.1.2.3/8\"]}"[..])
        .admin(),
        case(
            "admin: too many CIDRs",
            "PUT",
            "/api/v1/admin/units/1/networks",
            422,
            Some("invalid_field"),
        )
        .json(
            serde_json::to_vec(
                &json!({"cidrs": (0..51).map(|i| format!("10.{i}.0.0/16")).collect::<Vec<_>>()}),
            )
            .unwrap(),
        )
        .admin(),
        case(
            "admin: networks of a missing unit",
            "PUT",
            "/api/v1/admin/units/999999/networks",
            404,
            Some("not_found"),
        )
        .json(&b"{\"cidrs\":[]}"[..])
        .admin(),
        case(
            "admin: networks without credentials",
            "PUT",
            "/api/v1/admin/units/1/networks",
            401,
            Some("unauthorized"),
        )
        .json(&b"{\"cidrs\":[]}"[..]),
        case(
            "admin: networks by POST",
            "POST",
            "/api/v1/admin/units/1/networks",
            405,
            Some("method_not_allowed"),
        )
        .admin(),
        case(
            "admin: bad summary date",
            "GET",
            format!("/api/v1/admin/employees/{employee}/summary?from=2026-02-30"),
            422,
            Some("invalid_range"),
        )
        .admin(),
        case(
            "admin: reversed summary range",
            "GET",
            format!("/api/v1/admin/employees/{employee}/summary?from=2026-02-01&to=2026-01-01"),
            422,
            Some("invalid_range"),
        )
        .admin(),
        case(
            "admin: a unit moved under itself",
            "PATCH",
            format!("/api/v1/admin/units/{unit}"),
            409,
            Some("conflict"),
        )
        .json(format!("{{\"parent_id\":{unit}}}"))
        .admin(),
        case(
            "admin: a time zone that is not IANA",
            "PATCH",
            format!("/api/v1/admin/units/{unit}"),
            422,
            Some("invalid_field"),
        )
        .json(&b"{\"timezone\":\"../../etc/passwd\"}"[..])
        .admin(),
        case(
            "admin: opening hours closing before they open",
            "PATCH",
            format!("/api/v1/admin/units/{unit}"),
            422,
            Some("invalid_field"),
        )
        .json(&b"{\"opening_hours\":{\"mon\":[[\"17:00\",\"08:00\"]]}}"[..])
        .admin(),
        case(
            "admin: opening hours on a day that does not exist",
            "PATCH",
            format!("/api/v1/admin/units/{unit}"),
            422,
            Some("invalid_field"),
        )
        .json(&b"{\"opening_hours\":{\"funday\":[[\"08:00\",\"17:00\"]]}}"[..])
        .admin(),
        case(
            "admin: an unknown field in a unit change",
            "PATCH",
            format!("/api/v1/admin/units/{unit}"),
            422,
            Some("invalid_field"),
        )
        .json(&b"{\"nmae\":\"typo\"}"[..])
        .admin(),
        case(
            "admin: a duplicate direction",
            "POST",
            "/api/v1/admin/directions",
            409,
            Some("conflict"),
        )
        .json(&br#"{"name":"  \u043f\u0435\u043d\u0441\u0456\u0457 "}"#[..])
        .admin(),
        case(
            "admin: import as JSON",
            "POST",
            format!("/api/v1/admin/import?unit={unit}&dry_run=false"),
            415,
            Some("unsupported_media_type"),
        )
        .json(&b"{}"[..])
        .admin(),
        case(
            "admin: import with a dry_run that is neither",
            "POST",
            format!("/api/v1/admin/import?unit={unit}&dry_run=maybe"),
            422,
            Some("invalid_field"),
        )
        .typed(
            "text/csv",
            csv("employee_id,name,position,unit_id,active\n"),
        )
        .admin(),
        case(
            "admin: import into a missing unit",
            "POST",
            "/api/v1/admin/import?unit=999999&dry_run=false",
            404,
            Some("not_found"),
        )
        .typed(
            "text/csv",
            csv("employee_id,name,position,unit_id,active\n,А,Б,999999,так\n"),
        )
        .admin(),
        case(
            "admin: import in Windows-1251",
            "POST",
            format!("/api/v1/admin/import?unit={unit}&dry_run=false"),
            422,
            Some("invalid_field"),
        )
        .typed(
            "text/csv",
            [
                &b"employee_id,name,position,unit_id,active\n,"[..],
                &[0xCF, 0xE5, 0xF2, 0xF0, 0xEE],
                &b",x,,1\n"[..],
            ]
            .concat(),
        )
        .admin(),
        case(
            "admin: import over 512 KB",
            "POST",
            format!("/api/v1/admin/import?unit={unit}&dry_run=false"),
            413,
            Some("payload_too_large"),
        )
        .typed("text/csv", "a,".repeat(300 * 1024))
        .admin(),
        case(
            "admin: invitation with an unknown role",
            "POST",
            "/api/v1/admin/invitations",
            422,
            Some("invalid_field"),
        )
        .json(format!(
            "{{\"email\":\"x@city.example\",\"role\":\"god\",\"unit_id\":{unit}}}"
        ))
        .admin(),
        case(
            "admin: invitation of a taken e-mail",
            "POST",
            "/api/v1/admin/invitations",
            409,
            Some("conflict"),
        )
        .json(&b"{\"email\":\"ROOT@city.example\",\"role\":\"superadmin\",\"unit_id\":null}"[..])
        .admin(),
        case(
            "admin: invitation with a malformed e-mail",
            "POST",
            "/api/v1/admin/invitations",
            422,
            Some("invalid_field"),
        )
        .json(format!(
            "{{\"email\":\"<script>@\",\"role\":\"viewer\",\"unit_id\":{unit}}}"
        ))
        .admin(),
        case(
            "admin: deactivate a missing account",
            "DELETE",
            "/api/v1/admin/accounts/999999",
            404,
            Some("not_found"),
        )
        .admin(),
        case(
            "admin: an empty token name",
            "POST",
            "/api/v1/admin/tokens",
            422,
            Some("invalid_field"),
        )
        .json(&b"{\"name\":\"   \"}"[..])
        .admin(),
        case(
            "admin: audit page before a word",
            "GET",
            "/api/v1/admin/audit?before=abc",
            422,
            Some("invalid_field"),
        )
        .admin(),
        case(
            "admin: reissue codes of a missing unit",
            "POST",
            "/api/v1/admin/units/999999/reissue-codes",
            404,
            Some("not_found"),
        )
        .admin(),
        case(
            "admin: reissue codes of unit 0",
            "POST",
            "/api/v1/admin/units/0/reissue-codes",
            404,
            Some("not_found"),
        )
        .admin(),
        case(
            "results: an unknown period",
            "GET",
            "/api/v1/admin/results/units/1?period=fortnight",
            422,
            Some("invalid_period"),
        )
        .admin(),
        case(
            "results: 30 February",
            "GET",
            "/api/v1/admin/results/units/1?period=day&date=2026-02-30",
            422,
            Some("invalid_period"),
        )
        .admin(),
        case(
            "results: a reversed custom range",
            "GET",
            "/api/v1/admin/results/units/1?from=2026-03-01&to=2026-02-01",
            422,
            Some("invalid_period"),
        )
        .admin(),
        case(
            "results: eleven years",
            "GET",
            "/api/v1/admin/results/employees/1?from=2015-01-01&to=2026-01-01",
            422,
            Some("invalid_period"),
        )
        .admin(),
        case(
            "results: unit 0",
            "GET",
            "/api/v1/admin/results/units/0",
            404,
            Some("not_found"),
        )
        .admin(),
        case(
            "results: a huge employee id",
            "GET",
            "/api/v1/admin/results/employees/99999999999",
            404,
            Some("not_found"),
        )
        .admin(),
        case(
            "comments: a score that is a word",
            "GET",
            "/api/v1/admin/results/comments?score=abc",
            422,
            Some("invalid_field"),
        )
        .admin(),
        case(
            "comments: contact neither yes nor no",
            "GET",
            "/api/v1/admin/results/comments?contact=maybe",
            422,
            Some("invalid_field"),
        )
        .admin(),
        case(
            "comments: a unit with SQL in it",
            "GET",
            "/api/v1/admin/results/comments?unit=1%20OR%201=1",
            422,
            Some("invalid_field"),
        )
        .admin(),
        case(
            "monthly report: month 13",
            "GET",
            "/api/v1/admin/results/units/1/monthly?month=2026-13",
            422,
            Some("invalid_period"),
        )
        .admin(),
        case(
            "monthly report: an unknown format",
            "GET",
            "/api/v1/admin/results/units/1/monthly?month=2026-10&format=xml",
            422,
            Some("invalid_field"),
        )
        .admin(),
        case(
            "recompute: more than 400 days",
            "POST",
            "/api/v1/admin/results/recompute?from=2025-01-01&to=2026-06-30",
            422,
            Some("invalid_field"),
        )
        .admin(),
        case(
            "recompute: no end",
            "POST",
            "/api/v1/admin/results/recompute?from=2026-01-01",
            422,
            Some("invalid_period"),
        )
        .admin(),
        case(
            "public results while the instance keeps them off",
            "GET",
            "/api/v1/public/results?month=2026-10",
            404,
            Some("not_found"),
        ),
    ];
    let before = w.checksum();
    for c in &cases {
        let method = reqwest::Method::from_bytes(c.method.as_bytes()).unwrap();
        let mut req = w.http.request(method, w.url(&c.path)).body(c.body.clone());
        if let Some(ct) = c.content_type {
            req = req.header("content-type", ct);
        }
        if c.admin {
            req = req.bearer_auth(&w.admin_token);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap_or("").to_owned())
            .unwrap_or_default();
        let body = resp.text().await.unwrap_or_default();
        assert_eq!(status, c.status, "{}: {body}", c.name);
        match c.code {
            Some(code) => {
                let v: serde_json::Value = serde_json::from_str(&body)
                    .unwrap_or_else(|_| panic!("{}: not JSON: {body}", c.name));
                assert_eq!(v["error"]["code"], code, "{}", c.name);
                assert!(
                    v["error"]["message"]
                        .as_str()
                        .is_some_and(|m| !m.is_empty()),
                    "{}",
                    c.name
                );
            }
            None => assert!(
                content_type.starts_with("text/html") && body.contains("<html"),
                "{}: a page, got {content_type}",
                c.name
            ),
        }
        assert_eq!(w.checksum(), before, "{} changed the database", c.name);
    }
    assert!(cases.len() >= 45);
}
