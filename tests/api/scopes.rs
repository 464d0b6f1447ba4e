//! Roles over subtrees: every admin route from the router, called anonymously, by a viewer
//! and by a unit admin of another branch; moves of units and employees.

use crate::helpers::{key, shared, Worker};
use civicrate::routes::{self, Access};
use reqwest::Method;
use serde_json::{json, Value};

struct Branches {
    a: i64,
    a_child: i64,
    b: i64,
    b_employee: i64,
}

async fn branches(w: &Worker, tag: &str) -> Branches {
    let root = w.create_unit(&format!("Область {tag}"), None).await;
    let a = w.create_unit(&format!("Гілка А {tag}"), Some(root)).await;
    let a_child = w.create_unit(&format!("Сектор А {tag}"), Some(a)).await;
    let b = w.create_unit(&format!("Гілка Б {tag}"), Some(root)).await;
    let b_employee = w.create_employee("Працівник Б", "Спеціаліст", b).await;
    w.issue_code(b_employee).await;
    Branches {
        a,
        a_child,
        b,
        b_employee,
    }
}

fn path_for(pattern: &str, unit: i64, employee: i64) -> String {
    let id = if pattern.contains("/employees/") {
        employee
    } else {
        unit
    };
    let path = pattern
        .replace("{id}", &id.to_string())
        .replace("{name}", "app.js")
        .replace("{token}", "T");
    match path.as_str() {
        "/api/v1/admin/import" | "/api/v1/admin/export.csv" => format!("{path}?unit={unit}"),
        _ => path,
    }
}

#[tokio::test]
async fn every_admin_route_refuses_an_anonymous_caller() {
    // Own instances where a checksum proves nothing changed: other tests write to the shared one.
    let w = &Worker::start(&key(1));
    let before = w.checksum();
    for (method, pattern, access) in routes::all().map(|d| (d.method_name(), d.path, d.access)) {
        if access != Access::Admin {
            continue;
        }
        let path = path_for(pattern, 1, 1);
        let resp = w
            .http
            .request(Method::from_bytes(method.as_bytes()).unwrap(), w.url(&path))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        if path.starts_with("/api/") {
            assert_eq!(resp.status(), 401, "{method} {pattern}");
        } else {
            // Poster pages send a signed-out browser to the sign-in page.
            assert_eq!(resp.status(), 303, "{method} {pattern}");
        }
    }
    assert_eq!(w.checksum(), before);
}

#[tokio::test]
async fn an_admin_of_one_branch_cannot_see_or_touch_another() {
    let w = &Worker::start(&key(1));
    let t = branches(w, "scan").await;
    let (_, admin_a) = w
        .account("branch-a@city.example", "unit_admin", Some(t.a))
        .await;
    // A token's first use notes its time (then at most every 5 minutes): do that first.
    let me = w
        .bearer(Method::GET, "/api/v1/session", &admin_a)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let before = w.checksum();
    for (method, pattern, access) in routes::all().map(|d| (d.method_name(), d.path, d.access)) {
        if access != Access::Admin || !(pattern.contains("{id}")) {
            continue;
        }
        if pattern.contains("/accounts/") || pattern.contains("/tokens/") {
            continue;
        }
        let path = path_for(pattern, t.b, t.b_employee);
        let resp = w
            .bearer(
                Method::from_bytes(method.as_bytes()).unwrap(),
                &path,
                &admin_a,
            )
            .header("content-type", "application/json")
            .body(match method {
                "PATCH" if pattern.contains("/cases/") => r#"{"status": "resolved"}"#,
                "POST" if pattern.ends_with("/appeal") => {
                    r#"{"reason": "Голос надіслано не відвідувачем"}"#
                }
                "POST" if pattern.contains("/appeals/") => r#"{"decision": "uphold"}"#,
                "POST" if pattern.ends_with("/moderation") => r#"{"decision": "withhold"}"#,
                "PATCH" => r#"{"name": "Захоплено"}"#,
                "PUT" => r#"{"cidrs": []}"#,
                _ => "{}",
            })
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert!(
            status == 404 || status == 403,
            "{method} {pattern} gave {status}"
        );
    }
    let keys: serde_json::Value = w
        .bearer(Method::GET, "/api/v1/admin/keys", &admin_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !keys["units"]
            .to_string()
            .contains(&format!("\"unit_id\":{}", t.b)),
        "another branch's codes are not counted: {keys}"
    );
    for path in [
        format!("/api/v1/admin/export.csv?unit={}", t.b),
        format!("/api/v1/admin/units/{}", t.b),
    ] {
        let resp = w.bearer(Method::GET, &path, &admin_a).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
    let move_in = w
        .bearer(
            Method::PATCH,
            &format!("/api/v1/admin/employees/{}", t.b_employee),
            &admin_a,
        )
        .json(&json!({"unit_id": t.a}))
        .send()
        .await
        .unwrap();
    assert_eq!(move_in.status(), 404);
    let create_there = w
        .bearer(Method::POST, "/api/v1/admin/units", &admin_a)
        .json(&json!({"name": "Чужий", "parent_id": t.b}))
        .send()
        .await
        .unwrap();
    assert_eq!(create_there.status(), 404);
    assert_eq!(w.checksum(), before, "nothing of branch B changed");

    // Its own branch works, and the tree shows only it.
    let own = w
        .bearer(Method::POST, "/api/v1/admin/units", &admin_a)
        .json(&json!({"name": "Свій", "parent_id": t.a_child}))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 201);
    let tree: Value = w
        .bearer(Method::GET, "/api/v1/admin/units", &admin_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = tree["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&t.a) && ids.contains(&t.a_child));
    assert!(!ids.contains(&t.b));
}

#[tokio::test]
async fn a_viewer_reads_their_subtree_but_changes_nothing() {
    let w = &Worker::start(&key(1));
    let t = branches(w, "viewer").await;
    let (_, viewer) = w
        .account("viewer-b@city.example", "viewer", Some(t.b))
        .await;
    let read = w
        .bearer(
            Method::GET,
            &format!("/api/v1/admin/employees/{}", t.b_employee),
            &viewer,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let summary = w
        .bearer(
            Method::GET,
            &format!("/api/v1/admin/employees/{}/summary", t.b_employee),
            &viewer,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(summary.status(), 200);
    let before = w.checksum();
    for (method, path, body) in [
        (
            "POST",
            "/api/v1/admin/units".to_owned(),
            json!({"name": "x", "parent_id": t.b}),
        ),
        (
            "PATCH",
            format!("/api/v1/admin/units/{}", t.b),
            json!({"name": "x"}),
        ),
        (
            "POST",
            format!("/api/v1/admin/employees/{}/qr", t.b_employee),
            json!({}),
        ),
        (
            "DELETE",
            format!("/api/v1/admin/employees/{}/qr", t.b_employee),
            json!({}),
        ),
        (
            "POST",
            "/api/v1/admin/invitations".to_owned(),
            json!({"email": "v@x.example", "role": "viewer", "unit_id": t.b}),
        ),
        ("GET", "/api/v1/admin/accounts".to_owned(), json!({})),
        ("GET", "/api/v1/admin/audit".to_owned(), json!({})),
    ] {
        let resp = w
            .bearer(
                Method::from_bytes(method.as_bytes()).unwrap(),
                &path,
                &viewer,
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{method} {path}");
    }
    assert_eq!(w.checksum(), before);
}

#[tokio::test]
async fn a_unit_cannot_move_under_itself_and_a_move_carries_its_subtree() {
    let w = shared();
    let t = branches(w, "move").await;
    let cycle = w
        .admin(Method::PATCH, &format!("/api/v1/admin/units/{}", t.a))
        .json(&json!({"parent_id": t.a_child}))
        .send()
        .await
        .unwrap();
    assert_eq!(cycle.status(), 409);
    let itself = w
        .admin(Method::PATCH, &format!("/api/v1/admin/units/{}", t.a))
        .json(&json!({"parent_id": t.a}))
        .send()
        .await
        .unwrap();
    assert_eq!(itself.status(), 409);
    let moved = w
        .admin(Method::PATCH, &format!("/api/v1/admin/units/{}", t.a))
        .json(&json!({"parent_id": t.b}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    // The closure table follows: B is now an ancestor of A's child, at depth 2.
    let depth = w.count(&format!(
        "SELECT depth FROM unit_closure WHERE ancestor_id = {} AND descendant_id = {}",
        t.b, t.a_child
    ));
    assert_eq!(depth, 2);
    let detail: Value = w
        .admin(Method::GET, &format!("/api/v1/admin/units/{}", t.a_child))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let path: Vec<i64> = detail["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(path[path.len() - 3..], [t.b, t.a, t.a_child]);
}

#[tokio::test]
async fn a_moved_employee_keeps_past_votes_with_the_unit_that_earned_them() {
    let w = shared();
    let t = branches(w, "employee-move").await;
    let token = w.issue_code(t.b_employee).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let vote = w.vote_json(json!({"token": token, "score": 3})).await;
    assert_eq!(vote.status(), 201);
    let moved = w
        .admin(
            Method::PATCH,
            &format!("/api/v1/admin/employees/{}", t.b_employee),
        )
        .json(&json!({"unit_id": t.a, "position": "Начальник сектору"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), 200);
    let body: Value = moved.json().await.unwrap();
    assert_eq!(body["unit_id"], t.a);
    assert_eq!(
        w.count(&format!(
            "SELECT unit_id FROM votes WHERE employee_id = {}",
            t.b_employee
        )),
        t.b
    );
}

#[tokio::test]
async fn text_fields_keep_script_tags_as_text() {
    let w = shared();
    let name = "<script>alert(1)</script> Відділ";
    let unit = w.create_unit(name, None).await;
    let detail: Value = w
        .admin(Method::GET, &format!("/api/v1/admin/units/{unit}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["unit"]["name"], name);
    let long = "я".repeat(201);
    let resp = w
        .admin(Method::PATCH, &format!("/api/v1/admin/units/{unit}"))
        .json(&json!({"name": long}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
}
