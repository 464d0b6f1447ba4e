//! The API answers exactly what its OpenAPI document says (issue 17, "an exact contract"):
//! bodies are JSON objects and nothing else, a known path with another method is 405 with
//! `Allow` taken from the route table, and a query parameter is given once, with a value.
//! `make contract` tries the whole document with schemathesis; these pin what it found.

use crate::helpers::{key, shared, Worker};
use civicrate::routes;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

async fn send_json(w: &Worker, method: Method, path: &str, body: &str) -> (u16, Value) {
    let resp = w
        .admin(method, path)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_json_array_in_field_order_is_refused_everywhere_and_stores_nothing() {
    // An instance of its own: nothing else writes while the checksum is compared.
    let w = Worker::start(&key(1));
    let (_, token) = w.employee_with_code("Масив Полів").await;
    let unit = w.create_unit("Відділ масивів", None).await;
    let before = w.checksum();
    let votes_before = w.count("SELECT COUNT(*) FROM votes");
    let cases = [
        // serde would read these as {"token": …, "score": 2} and {"name": "Unit", "parent_id": null}.
        (
            "POST",
            "/api/v1/votes".to_owned(),
            json!([token, 2]).to_string(),
            "not_an_object",
        ),
        (
            "POST",
            "/api/v1/admin/units".to_owned(),
            r#"["Unit",null]"#.to_owned(),
            "not_an_object",
        ),
        (
            "POST",
            "/api/v1/admin/directions".to_owned(),
            r#"["Пенсії"]"#.to_owned(),
            "not_an_object",
        ),
        (
            "POST",
            "/api/v1/admin/tokens".to_owned(),
            r#"["t",30]"#.to_owned(),
            "not_an_object",
        ),
        (
            "PATCH",
            format!("/api/v1/admin/units/{unit}"),
            r#"["Renamed"]"#.to_owned(),
            "not_an_object",
        ),
        // Nested: a role given as [role, unit] inside an object.
        (
            "PUT",
            "/api/v1/admin/accounts/1/roles".to_owned(),
            r#"{"roles":[["viewer",null]]}"#.to_owned(),
            "invalid_field",
        ),
        // A scalar or null is not an object either.
        (
            "POST",
            "/api/v1/votes".to_owned(),
            "null".to_owned(),
            "not_an_object",
        ),
        (
            "POST",
            "/api/v1/admin/units".to_owned(),
            "\"Unit\"".to_owned(),
            "not_an_object",
        ),
        // A field given twice: which one was meant?
        (
            "POST",
            "/api/v1/admin/units".to_owned(),
            r#"{"name":"A","name":"B"}"#.to_owned(),
            "invalid_field",
        ),
    ];
    for (method, path, body, code) in cases {
        let (status, answer) = send_json(
            &w,
            Method::from_bytes(method.as_bytes()).unwrap(),
            &path,
            &body,
        )
        .await;
        assert_eq!(status, 422, "{method} {path} {body}: {answer}");
        assert_eq!(
            answer["error"]["code"], code,
            "{method} {path} {body}: {answer}"
        );
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        let words = if body.contains("\"name\":\"B\"") {
            "duplicate field"
        } else {
            "object"
        };
        assert!(message.contains(words), "{method} {path}: {message}");
    }
    assert_eq!(w.count("SELECT COUNT(*) FROM votes"), votes_before);
    assert_eq!(w.checksum(), before, "an array body changed the database");
    // The same fields as an object are taken: only the shape was refused.
    let (status, answer) = send_json(
        &w,
        Method::POST,
        "/api/v1/votes",
        &json!({"token": token, "score": 2}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
}

/// The methods each path of the route table takes, by pattern.
fn methods_by_pattern() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let mut by_path: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (method, pattern) in routes::all().map(|d| (d.method_name(), d.path)) {
        by_path.entry(pattern).or_default().insert(method);
    }
    by_path
}

#[tokio::test]
async fn every_known_path_answers_another_method_with_405_and_the_methods_it_takes() {
    let w = shared();
    for (pattern, methods) in methods_by_pattern() {
        let path = pattern
            .replace("{token}", "T")
            .replace("{id}", "1")
            .replace("{name}", "app.js")
            .replace("{code}", "C");
        let mut expected = methods.clone();
        if methods.contains("GET") {
            expected.insert("HEAD");
        }
        for other in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] {
            if methods.contains(other) {
                continue;
            }
            let resp = w
                .http
                .request(Method::from_bytes(other.as_bytes()).unwrap(), w.url(&path))
                .send()
                .await
                .expect("request");
            assert_eq!(resp.status(), 405, "{other} {pattern}");
            let allow: BTreeSet<&str> = resp
                .headers()
                .get("allow")
                .unwrap_or_else(|| panic!("{other} {pattern}: no Allow"))
                .to_str()
                .unwrap()
                .split(", ")
                .collect::<Vec<_>>()
                .into_iter()
                .collect();
            assert_eq!(allow, expected, "{other} {pattern}");
        }
    }
}

#[tokio::test]
async fn a_query_parameter_given_twice_or_without_a_value_is_refused() {
    let w = shared();
    for (query, code) in [
        ("?to=2026-01-01&to=2026-02-01", "repeated_parameter"),
        ("?to=null&to=null", "repeated_parameter"),
        ("?period=", "empty_parameter"),
        ("?period=month&date", "empty_parameter"),
    ] {
        let resp = w
            .admin(
                Method::GET,
                &format!("/api/v1/admin/results/directions{query}"),
            )
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 400, "{query}");
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["error"]["code"], code, "{query}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains('`'),
            "{query}"
        );
    }
    // Public routes too, before any D1 read.
    let resp = w
        .http
        .get(w.url("/api/v1/public/results?format=json&format=csv"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 400);
    // One value each is read as before.
    let resp = w
        .admin(Method::GET, "/api/v1/admin/results/directions?period=month")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
}
