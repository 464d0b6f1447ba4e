//! The directory (`src/directory/`): search and the organisation-wide employee list within
//! the caller's subtrees, each employee's code status, missing codes issued in bulk (exactly
//! those, once, by the unit's admins only), and a unit's posters naming whom they leave out.

use crate::helpers::{key, Worker};
use reqwest::Method;
use serde_json::{json, Value};

async fn get(w: &Worker, token: &str, path: &str) -> (u16, Value) {
    let resp = w.bearer(Method::GET, path, token).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn bulk(w: &Worker, token: &str, unit: i64, body: Value) -> (u16, Value) {
    let resp = w
        .bearer(
            Method::POST,
            &format!("/api/v1/admin/units/{unit}/issue-codes"),
            token,
        )
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn names(list: &Value) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|e| e["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

/// A token's first use notes its time: spend it before a checksum is taken.
async fn warm(w: &Worker, token: &str) {
    assert_eq!(get(w, token, "/api/v1/session").await.0, 200);
}

async fn revoke(w: &Worker, employee: i64) {
    let resp = w
        .admin(
            Method::DELETE,
            &format!("/api/v1/admin/employees/{employee}/qr?channel=0"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
}

struct Branches {
    a: i64,
    a_child: i64,
    b: i64,
}

async fn branches(w: &Worker) -> Branches {
    let root = w.create_unit("Міська рада", None).await;
    let a = w.create_unit("Гілка Північна", Some(root)).await;
    let a_child = w.create_unit("Сектор ЦНАП", Some(a)).await;
    let b = w.create_unit("Гілка Південна", Some(root)).await;
    Branches { a, a_child, b }
}

#[tokio::test]
async fn search_and_the_list_keep_to_the_callers_branch_in_any_case_and_script() {
    let w = &Worker::start(&key(1));
    let t = branches(w).await;
    w.create_employee("Олена Коваль", "Адміністраторка", t.a)
        .await;
    w.create_employee("ОЛЕНА ЗАЇКА", "Фахівчиня", t.a_child)
        .await;
    w.create_employee("Мар’яна Ґудзь", "Юристка", t.a).await;
    w.create_employee("علی کریمی", "کارشناس", t.a_child).await;
    w.create_employee("Олена Бондар", "Бухгалтерка", t.b).await;
    w.create_employee("علی رضایی", "مدیر", t.b).await;
    let (_, admin_a) = w
        .account("north@city.example", "unit_admin", Some(t.a))
        .await;

    // Small letters find capitals (Cyrillic, not only ASCII), and only branch A's people.
    let (status, found) = get(
        w,
        &admin_a,
        "/api/v1/admin/search?q=%D0%BE%D0%BB%D0%B5%D0%BD",
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(names(&found["employees"]), ["ОЛЕНА ЗАЇКА", "Олена Коваль"]);
    assert_eq!(found["more_employees"], false);
    let zaika = &found["employees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "ОЛЕНА ЗАЇКА")
        .unwrap()
        .clone();
    assert_eq!(zaika["unit_id"], t.a_child);
    assert_eq!(zaika["unit_name"], "Сектор ЦНАП");
    assert_eq!(zaika["qr"], "none");
    // An apostrophe typed plainly finds the typographic one; ґ in capitals.
    let (_, found) = get(
        w,
        &admin_a,
        "/api/v1/admin/search?q=%D0%BC%D0%B0%D1%80'%D1%8F%D0%BD%D0%B0%20%D2%90",
    )
    .await;
    assert_eq!(names(&found["employees"]), ["Мар’яна Ґудзь"]);
    // Persian typed with an Arabic keyboard's yeh (ي) finds «علی», in branch A only.
    let (_, found) = get(w, &admin_a, "/api/v1/admin/search?q=%D8%B9%D9%84%D9%8A").await;
    assert_eq!(names(&found["employees"]), ["علی کریمی"]);
    // Units by name, within the branch: the southern branch is not there.
    let (_, found) = get(
        w,
        &admin_a,
        "/api/v1/admin/search?q=%D0%B3%D1%96%D0%BB%D0%BA%D0%B0",
    )
    .await;
    assert_eq!(names(&found["units"]), ["Гілка Північна"]);
    let (_, found) = get(
        w,
        &w.admin_token,
        "/api/v1/admin/search?q=%D0%B3%D1%96%D0%BB%D0%BA%D0%B0",
    )
    .await;
    assert_eq!(names(&found["units"]), ["Гілка Південна", "Гілка Північна"]);
    let (_, found) = get(
        w,
        &w.admin_token,
        "/api/v1/admin/search?q=%D8%B9%D9%84%DB%8C",
    )
    .await;
    assert_eq!(names(&found["employees"]), ["علی رضایی", "علی کریمی"]);

    // The list: every employee of branch A, none of B, with unit and status.
    let (status, list) = get(w, &admin_a, "/api/v1/admin/employees").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 4);
    assert_eq!(list["pages"], 1);
    assert!(!list.to_string().contains("Бондар") && !list.to_string().contains("رضایی"));
    // Narrowed to a unit of the branch, or by name; another branch's unit is not there.
    let (_, list) = get(
        w,
        &admin_a,
        &format!("/api/v1/admin/employees?unit={}", t.a_child),
    )
    .await;
    assert_eq!(names(&list["employees"]), ["ОЛЕНА ЗАЇКА", "علی کریمی"]);
    let (status, _) = get(
        w,
        &admin_a,
        &format!("/api/v1/admin/employees?unit={}", t.b),
    )
    .await;
    assert_eq!(status, 404);
    let (_, list) = get(w, &admin_a, "/api/v1/admin/employees?q=%D0%BA%D0%BE%D0%B2").await;
    assert_eq!(names(&list["employees"]), ["Олена Коваль"]);

    // Nothing to look for, or a status that does not exist: 422.
    for path in [
        "/api/v1/admin/search",
        "/api/v1/admin/search?q=%20%20",
        "/api/v1/admin/employees?status=lost",
        "/api/v1/admin/employees?page=0",
    ] {
        let (status, body) = get(w, &admin_a, path).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert_eq!(body["error"]["code"], "invalid_field");
    }
}

#[tokio::test]
async fn the_list_tells_active_revoked_and_missing_codes_apart_and_pages() {
    let w = &Worker::start(&key(1));
    let unit = w.create_unit("Відділ кадрів", None).await;
    let with_code = w.create_employee("Андрій Active", "Фахівець", unit).await;
    let revoked = w.create_employee("Богдан Revoked", "Фахівець", unit).await;
    let none = w.create_employee("Василь None", "Фахівець", unit).await;
    w.issue_code(with_code).await;
    w.issue_code(revoked).await;
    revoke(w, revoked).await;
    // A website code (channel 4) is not the desk's code: the list is of channel 0 by default.
    w.issue_code_on(none, 4).await;

    let list = w
        .admin_get(&format!("/api/v1/admin/employees?unit={unit}"))
        .await;
    let status_of = |list: &Value, id: i64| {
        list["employees"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .map(|e| e["qr"].as_str().unwrap().to_owned())
    };
    assert_eq!(status_of(&list, with_code).as_deref(), Some("active"));
    assert_eq!(status_of(&list, revoked).as_deref(), Some("revoked"));
    assert_eq!(status_of(&list, none).as_deref(), Some("none"));
    let website = w
        .admin_get(&format!("/api/v1/admin/employees?unit={unit}&channel=4"))
        .await;
    assert_eq!(status_of(&website, none).as_deref(), Some("active"));
    assert_eq!(status_of(&website, with_code).as_deref(), Some("none"));
    for (status, id) in [("active", with_code), ("revoked", revoked), ("none", none)] {
        let only = w
            .admin_get(&format!(
                "/api/v1/admin/employees?unit={unit}&status={status}"
            ))
            .await;
        assert_eq!(only["total"], 1, "{status}: {only}");
        assert_eq!(only["employees"][0]["id"], id);
    }
    // Reissued after the revocation: active again.
    w.issue_code(revoked).await;
    let list = w
        .admin_get(&format!("/api/v1/admin/employees?unit={unit}"))
        .await;
    assert_eq!(status_of(&list, revoked).as_deref(), Some("active"));

    // 50 a page: 53 employees make two pages, the second with the last three by name.
    for n in 0..50 {
        w.create_employee(&format!("Працівник {n:02}"), "Фахівець", unit)
            .await;
    }
    let first = w
        .admin_get(&format!("/api/v1/admin/employees?unit={unit}"))
        .await;
    assert_eq!(
        (first["total"].as_i64(), first["pages"].as_i64()),
        (Some(53), Some(2))
    );
    assert_eq!(first["employees"].as_array().unwrap().len(), 50);
    let second = w
        .admin_get(&format!("/api/v1/admin/employees?unit={unit}&page=2"))
        .await;
    assert_eq!(second["page"], 2);
    assert_eq!(second["employees"].as_array().unwrap().len(), 3);
    let first_ids: Vec<&Value> = first["employees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["id"])
        .collect();
    assert!(second["employees"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| !first_ids.contains(&&e["id"])));
}

#[tokio::test]
async fn a_bulk_issue_gives_codes_exactly_to_those_without_one_and_a_retry_nothing() {
    let w = &Worker::start(&key(1));
    let unit = w.create_unit("Центр надання послуг", None).await;
    let child = w.create_unit("Віддалене робоче місце", Some(unit)).await;
    let has = w.create_employee("Має Код", "Фахівець", unit).await;
    let revoked = w.create_employee("Відкликаний Код", "Фахівець", unit).await;
    let without = w.create_employee("Без Коду", "Фахівець", unit).await;
    let inactive = w.create_employee("Звільнений", "Фахівець", unit).await;
    let below = w
        .create_employee("Підрозділ Нижче", "Фахівець", child)
        .await;
    let kept = w.issue_code(has).await;
    w.issue_code(revoked).await;
    revoke(w, revoked).await;
    let resp = w
        .admin(
            Method::PATCH,
            &format!("/api/v1/admin/employees/{inactive}"),
        )
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, admin) = w
        .account("centre@city.example", "unit_admin", Some(unit))
        .await;

    // The unit's own employees: the revoked one gets its next issue, the one without its
    // first; the working code is left alone, the inactive employee too, the child unit too.
    let (status, done) = bulk(w, &admin, unit, json!({})).await;
    assert_eq!(status, 200, "{done}");
    let mut issued: Vec<(i64, i64)> = done["issued"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["employee_id"].as_i64().unwrap(),
                c["issue"].as_i64().unwrap(),
            )
        })
        .collect();
    issued.sort_unstable();
    let mut expected = vec![(revoked, 2), (without, 1)];
    expected.sort_unstable();
    assert_eq!(issued, expected);
    assert_eq!(done["remaining"], 0);
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM qr_codes WHERE employee_id = {has} AND issue = {} AND revoked_at IS NULL",
            kept["issue"]
        )),
        1,
        "the working code is untouched"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM qr_codes WHERE employee_id = {has}"
        )),
        1
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM qr_codes WHERE employee_id IN ({inactive}, {below})"
        )),
        0
    );

    // The issued codes work: the vote page of each opens.
    let detail = w
        .admin_get(&format!("/api/v1/admin/employees/{without}"))
        .await;
    let url = detail["codes"][0]["url"].as_str().unwrap().to_owned();
    // The printed address is in capitals (QR alphanumeric mode): `…/R/TOKEN`.
    let path = url
        .split_once("/R/")
        .map(|(_, t)| format!("/r/{t}"))
        .unwrap_or_else(|| panic!("a vote URL: {url}"));
    let page = w.http.get(w.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Без Коду"));

    // With the subtree: only the child unit's employee is left to issue.
    let (_, done) = bulk(w, &admin, unit, json!({"subtree": true})).await;
    assert_eq!(done["issued"], json!([{"employee_id": below, "issue": 1}]));

    // A retry (a double click, a lost answer) issues nothing and writes nothing, not even
    // an audit line.
    let before = w.checksum();
    let (status, again) = bulk(w, &admin, unit, json!({"subtree": true})).await;
    assert_eq!(status, 200);
    assert_eq!(again["issued"], json!([]));
    assert_eq!(again["remaining"], 0);
    assert_eq!(w.checksum(), before);
    let audit = w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'qr_bulk_issued'");
    assert_eq!(audit, 2, "one line per request that issued");
    let detail: String = w
        .db()
        .query_row(
            "SELECT detail FROM audit_log WHERE action = 'qr_bulk_issued' ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let detail: Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(
        (detail["issued"].as_i64(), detail["subtree"].as_bool()),
        (Some(2), Some(false))
    );

    // Named employees only (those of an import): one revoked again, one other named.
    revoke(w, without).await;
    revoke(w, has).await;
    let (_, done) = bulk(w, &admin, unit, json!({"employees": [without]})).await;
    assert_eq!(
        done["issued"],
        json!([{"employee_id": without, "issue": 2}])
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM qr_codes WHERE employee_id = {has} AND revoked_at IS NULL"
        )),
        0,
        "an employee not named stays as they were"
    );
    // Channels apart: the website channel's codes are another set.
    let (_, web) = bulk(w, &admin, unit, json!({"channel": 4, "subtree": true})).await;
    assert_eq!(web["issued"].as_array().unwrap().len(), 4, "{web}");
    assert_eq!(web["channel"], 4);
}

#[tokio::test]
async fn a_bulk_issue_is_refused_outside_the_callers_units_and_to_viewers_changing_nothing() {
    let w = &Worker::start(&key(1));
    let t = branches(w).await;
    w.create_employee("Працівник А", "Фахівець", t.a).await;
    w.create_employee("Працівник Б", "Фахівець", t.b).await;
    let (_, admin_a) = w
        .account("north.admin@city.example", "unit_admin", Some(t.a))
        .await;
    let (_, admin_child) = w
        .account("child.admin@city.example", "unit_admin", Some(t.a_child))
        .await;
    let (_, viewer_a) = w
        .account("north.viewer@city.example", "viewer", Some(t.a))
        .await;
    for token in [&admin_a, &admin_child, &viewer_a] {
        warm(w, token).await;
    }
    let before = w.checksum();
    // Another branch, and the parent of one's own unit, are outside: as if they did not exist.
    let (status, body) = bulk(w, &admin_a, t.b, json!({"subtree": true})).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = bulk(w, &admin_child, t.a, json!({})).await;
    assert_eq!(status, 404);
    // A viewer reads the unit but may not issue: 403.
    let (status, body) = bulk(w, &viewer_a, t.a, json!({"subtree": true})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    // Bad input: 422 before anything.
    let (status, _) = bulk(w, &admin_a, t.a, json!({"channel": 256})).await;
    assert_eq!(status, 422);
    let (status, _) = bulk(w, &admin_a, t.a, json!({"employees": [0]})).await;
    assert_eq!(status, 422);
    let (status, _) = bulk(w, &admin_a, t.a, json!({"everyone": true})).await;
    assert_eq!(status, 422);
    assert_eq!(w.checksum(), before, "nothing was written");
    // Naming another branch's employee from one's own unit issues nothing to them.
    let (_, b_list) = get(
        w,
        &w.admin_token,
        &format!("/api/v1/admin/employees?unit={}", t.b),
    )
    .await;
    let b_employee = b_list["employees"][0]["id"].as_i64().unwrap();
    let (status, done) = bulk(
        w,
        &admin_a,
        t.a,
        json!({"employees": [b_employee], "subtree": true}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(done["issued"], json!([]));
    assert_eq!(w.checksum(), before);
    // The search does not find them either.
    let (_, found) = get(w, &admin_a, "/api/v1/admin/search?q=%D0%91").await;
    assert!(!found.to_string().contains("Працівник Б"), "{found}");
}

#[tokio::test]
async fn a_units_posters_name_whom_they_leave_out_and_offer_their_codes_to_its_admins() {
    let w = &Worker::start(&key(1));
    let unit = w.create_unit("Відділ реєстрації", None).await;
    let child = w.create_unit("Сектор Б", Some(unit)).await;
    let printed = w
        .create_employee("Надрукована Особа", "Фахівець", unit)
        .await;
    w.create_employee("Пропущена <Особа>", "Фахівець", unit)
        .await;
    w.create_employee("Нижче Без Коду", "Фахівець", child).await;
    w.issue_code(printed).await;
    let (_, viewer) = w
        .account("poster.viewer@city.example", "viewer", Some(unit))
        .await;

    let page = |token: String| {
        let path = format!("/admin/units/{unit}/posters?size=a5&lang=en");
        async move {
            let resp = w.bearer(Method::GET, &path, &token).send().await.unwrap();
            assert_eq!(resp.status(), 200);
            resp.text().await.unwrap()
        }
    };
    let html = page(w.admin_token.clone()).await;
    assert_eq!(html.matches("<article class=\"poster").count(), 1);
    let skipped = html
        .split("data-testid=\"skipped\"")
        .nth(1)
        .expect("the list of those left out");
    assert!(
        skipped.contains("Not printed — no current QR code (2):"),
        "{skipped}"
    );
    assert!(skipped.contains("Пропущена &lt;Особа&gt;") && skipped.contains("Нижче Без Коду"));
    assert!(!skipped
        .split("</section>")
        .next()
        .unwrap()
        .contains("Надрукована"));
    assert!(html.contains(&format!("data-issue-unit=\"{unit}\" data-channel=\"0\"")));
    assert!(html.contains("data-print=\"\""));
    assert!(html.contains("<script src=\"/admin/assets/poster.js\" defer></script>"));
    // A viewer sees who is missing, without the button to issue.
    let html = page(viewer.clone()).await;
    assert!(html.contains("Нижче Без Коду"));
    assert!(!html.contains("data-issue-unit"));
    // The script is served, under the admin CSP, and does what the button says.
    let js = w
        .http
        .get(w.url("/admin/assets/poster.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), 200);
    let js = js.text().await.unwrap();
    assert!(js.contains("window.print()") && js.contains("/issue-codes"));
    // Issued as the button does, the page has nobody left out.
    let (status, _) = bulk(w, &w.admin_token, unit, json!({"subtree": true})).await;
    assert_eq!(status, 200);
    let html = page(w.admin_token.clone()).await;
    assert_eq!(html.matches("<article class=\"poster").count(), 3);
    assert!(!html.contains("data-testid=\"skipped\""));
}
