//! Administration a city adopts: the audit log read with filters, pages both ways and as CSV,
//! within the reader's subtrees; pending invitations listed and revoked; and the way back in
//! for an administrator who forgot their password (a reset link, from the API or the CLI).

use crate::helpers::{key, project_dir, unix_now, Session, Worker, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const NEW_PASSWORD: &str = "липи шумлять над ратушею";

async fn get(w: &Worker, token: &str, path: &str) -> (u16, Value) {
    let resp = w.bearer(Method::GET, path, token).send().await.unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

fn today(offset_days: i64) -> String {
    let t = unix_now() + offset_days * 86_400;
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

fn ids(page: &Value) -> Vec<i64> {
    page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

fn account_id(s: &Session) -> i64 {
    s.me["account"]["id"].as_i64().unwrap()
}

async fn create_unit_as(w: &Worker, token: &str, name: &str, parent: i64) -> i64 {
    let resp = w
        .bearer(Method::POST, "/api/v1/admin/units", token)
        .json(&json!({"name": name, "parent_id": parent}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{name}");
    resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn the_audit_log_filters_pages_both_ways_exports_csv_and_shows_a_unit_admin_only_their_subtree(
) {
    let w = &Worker::start(&key(1));
    let city = w.create_unit("Міська рада", None).await;
    let ours = w.create_unit("Управління освіти", Some(city)).await;
    let theirs = w.create_unit("Управління транспорту", Some(city)).await;
    let (head, head_token) = w
        .account("head@city.example", "unit_admin", Some(ours))
        .await;
    let (_, viewer_token) = w.account("viewer@city.example", "viewer", Some(ours)).await;
    let their_employee = w
        .create_employee("Ірина Мельник", "Диспетчерка", theirs)
        .await;
    w.issue_code(their_employee).await;
    // 105 units made by the head: more than one page of 100.
    let mut made = Vec::new();
    for i in 0..105 {
        made.push(create_unit_as(w, &head_token, &format!("Школа № {i}"), ours).await);
    }
    let our_employee = w.create_employee("Олег Савчук", "Методист", made[0]).await;
    w.issue_code(our_employee).await;

    // Who and what: by e-mail or by account id, the same 105 entries.
    let base = "/api/v1/admin/audit?action=unit_created&who=head@city.example";
    let (code, first) = get(w, &w.admin_token, base).await;
    assert_eq!(code, 200, "{first}");
    assert_eq!(first["entries"].as_array().unwrap().len(), 100);
    assert!(first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] == "unit_created" && e["actor"] == "head@city.example (API token)"));
    assert_eq!(first["newer"], Value::Null, "the newest page");
    let next = first["next"].as_i64().expect("an older page");
    let (_, by_id) = get(
        w,
        &w.admin_token,
        &format!(
            "/api/v1/admin/audit?action=unit_created&who={}",
            account_id(&head)
        ),
    )
    .await;
    assert_eq!(ids(&by_id), ids(&first));
    // Older, then newer again: the same first page.
    let (_, second) = get(w, &w.admin_token, &format!("{base}&before={next}")).await;
    assert_eq!(second["entries"].as_array().unwrap().len(), 5);
    assert_eq!(second["next"], Value::Null, "the oldest page");
    let newer = second["newer"].as_i64().expect("a newer page");
    let (_, back) = get(w, &w.admin_token, &format!("{base}&after={newer}")).await;
    assert_eq!(ids(&back), ids(&first), "newer pages read newest first too");
    assert_eq!(back["newer"], Value::Null);
    assert_eq!(back["next"].as_i64(), Some(next));
    let all: Vec<i64> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert!(
        all.windows(2).all(|p| p[0] > p[1]),
        "newest first, no repeats"
    );

    // When: today holds them all, tomorrow and yesterday nothing.
    let (_, on_day) = get(
        w,
        &w.admin_token,
        &format!("{base}&from={}&to={}", today(0), today(0)),
    )
    .await;
    assert_eq!(ids(&on_day), ids(&first));
    for range in [format!("from={}", today(1)), format!("to={}", today(-1))] {
        let (_, none) = get(w, &w.admin_token, &format!("{base}&{range}")).await;
        assert_eq!(none["entries"], json!([]), "{range}");
    }

    // CSV: UTF-8 with a BOM, every matching entry (no pages), the same filters.
    let resp = w
        .bearer(Method::GET, &format!("{base}&format=csv"), &w.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a byte-order mark first");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "id,at_utc,actor,action,object,unit_id,detail");
    assert_eq!(lines.len(), 106, "a header and 105 entries");
    assert!(lines[1..].iter().all(|l| l.contains(",unit_created,")));
    assert!(
        lines[1].contains(&format!("parent_id: {ours}")),
        "{}",
        lines[1]
    );

    // The head reads only what concerns their subtree: their units and employees, not the
    // sibling branch, not accounts or tokens (their own token's creation included).
    let (code, theirs_page) = get(w, &head_token, "/api/v1/admin/audit").await;
    assert_eq!(code, 200);
    let entries = theirs_page["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 100);
    let subtree: Vec<i64> = made.iter().copied().chain([ours]).collect();
    for e in entries {
        let unit = e["unit_id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no unit: {e}"));
        assert!(subtree.contains(&unit), "{e}");
    }
    let (_, employees) = get(
        w,
        &head_token,
        "/api/v1/admin/audit?action=employee_created",
    )
    .await;
    assert_eq!(
        employees["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["object"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>(),
        vec![format!("employee:{our_employee}")]
    );
    for hidden in ["token_created", "invitation_accepted", "qr_issued&who=1"] {
        let (_, page) = get(
            w,
            &head_token,
            &format!("/api/v1/admin/audit?action={hidden}"),
        )
        .await;
        let shown: Vec<&Value> = page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["object"] != json!(format!("employee:{our_employee}")))
            .collect();
        assert!(shown.is_empty(), "{hidden}: {shown:?}");
    }
    let resp = w
        .bearer(
            Method::GET,
            "/api/v1/admin/audit?format=csv&action=qr_issued",
            &head_token,
        )
        .send()
        .await
        .unwrap();
    let csv = resp.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "only their employee's code: {csv}");
    assert!(csv.contains(&format!("employee:{our_employee}")));
    // A viewer reads no log.
    assert_eq!(get(w, &viewer_token, "/api/v1/admin/audit").await.0, 403);
    assert_eq!(
        get(w, &viewer_token, "/api/v1/admin/audit?format=csv")
            .await
            .0,
        403
    );

    // Bad parameters: 422 naming the parameter, and nothing changes.
    let before = w.checksum();
    for (query, field) in [
        ("who=nobody", "who"),
        ("who=0", "who"),
        ("action=drop_table", "action"),
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-12-02&to=2026-12-01", "from"),
        ("before=0", "before"),
        ("after=-3", "after"),
        ("before=9&after=3", "after"),
        ("format=xlsx", "format"),
        ("page=2", "query"),
    ] {
        let (code, body) = get(w, &w.admin_token, &format!("/api/v1/admin/audit?{query}")).await;
        assert_eq!(code, 422, "{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_field", "{query}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("`{field}`")),
            "{query}: {message}"
        );
    }
    // A parameter given twice is refused for every API route before its handler
    // (contract.rs), as 400 rather than this handler's 422.
    let (code, body) = get(
        w,
        &w.admin_token,
        "/api/v1/admin/audit?action=sign_in&action=sign_out",
    )
    .await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["error"]["code"], "repeated_parameter", "{body}");
    assert_eq!(w.checksum(), before, "bad queries changed nothing");
}

/// The open invitation to `email` in the pending list `token` reads.
async fn pending_id(w: &Worker, token: &str, email: &str) -> Option<String> {
    let (code, list) = get(w, token, "/api/v1/admin/invitations").await;
    assert_eq!(code, 200, "{list}");
    list["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["email"] == email)
        .map(|l| l["id"].as_str().unwrap().to_owned())
}

async fn accept_status(w: &Worker, token: &str) -> u16 {
    w.http
        .post(w.url("/api/v1/invitations/accept"))
        .json(&json!({"token": token, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn invite_as(w: &Worker, token: &str, email: &str, role: &str, unit: Option<i64>) -> String {
    let resp = w
        .bearer(Method::POST, "/api/v1/admin/invitations", token)
        .json(&json!({"email": email, "role": role, "unit_id": unit}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let link = resp.json::<Value>().await.unwrap()["link"]
        .as_str()
        .unwrap()
        .to_owned();
    link.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn pending_invitations_are_listed_within_scope_and_a_revoked_link_answers_404() {
    let w = &Worker::start(&key(1));
    let city = w.create_unit("Міська рада", None).await;
    let ours = w.create_unit("ЦНАП", Some(city)).await;
    let desk = w.create_unit("Віддалене робоче місце", Some(ours)).await;
    let theirs = w.create_unit("Архів", Some(city)).await;
    let (_, head) = w
        .account("head@city.example", "unit_admin", Some(ours))
        .await;
    let (_, viewer) = w.account("viewer@city.example", "viewer", Some(ours)).await;
    let to_ours = invite_as(
        w,
        &w.admin_token,
        "clerk@city.example",
        "viewer",
        Some(ours),
    )
    .await;
    let to_desk = invite_as(w, &head, "desk@city.example", "unit_admin", Some(desk)).await;
    let _to_theirs = invite_as(
        w,
        &w.admin_token,
        "archive@city.example",
        "viewer",
        Some(theirs),
    )
    .await;
    let _to_all = invite_as(w, &w.admin_token, "deputy@city.example", "superadmin", None).await;

    // The head sees the two in their subtree, with who invited, the role, the unit, the expiry.
    let (_, list) = get(w, &head, "/api/v1/admin/invitations").await;
    let list = list["invitations"].as_array().unwrap().clone();
    let mut emails: Vec<&str> = list.iter().map(|l| l["email"].as_str().unwrap()).collect();
    emails.sort();
    assert_eq!(emails, ["clerk@city.example", "desk@city.example"]);
    let desk_row = list
        .iter()
        .find(|l| l["email"] == "desk@city.example")
        .unwrap();
    assert_eq!(desk_row["invited_by"], "head@city.example");
    assert_eq!(desk_row["kind"], "invitation");
    assert_eq!(desk_row["roles"][0]["role"], "unit_admin");
    assert_eq!(desk_row["roles"][0]["unit_id"], desk);
    assert_eq!(desk_row["roles"][0]["unit_name"], "Віддалене робоче місце");
    assert!(desk_row["expires_at"].as_i64().unwrap() > unix_now() + 71 * 3600);
    // The superadmin sees all four.
    for email in [
        "clerk@city.example",
        "desk@city.example",
        "archive@city.example",
        "deputy@city.example",
    ] {
        assert!(
            pending_id(w, &w.admin_token, email).await.is_some(),
            "{email}"
        );
    }
    assert_eq!(get(w, &viewer, "/api/v1/admin/invitations").await.0, 403);

    // Outside the head's scope, or by a viewer, or not an id at all: 404/403, nothing changes.
    let archive = pending_id(w, &w.admin_token, "archive@city.example")
        .await
        .unwrap();
    let deputy = pending_id(w, &w.admin_token, "deputy@city.example")
        .await
        .unwrap();
    let clerk = pending_id(w, &head, "clerk@city.example").await.unwrap();
    let before = w.checksum();
    for (token, id, status) in [
        (&head, archive.as_str(), 404),
        (&head, deputy.as_str(), 404),
        (&head, "not-an-id", 404),
        (&head, "0123456789abcdef", 404),
        (&viewer, clerk.as_str(), 403),
    ] {
        let resp = w
            .bearer(
                Method::DELETE,
                &format!("/api/v1/admin/invitations/{id}"),
                token,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), status, "{id}");
    }
    assert_eq!(w.checksum(), before, "refused revocations changed nothing");

    // The head revokes the clerk's: the link answers 404, the list drops it, the log says so.
    let resp = w
        .bearer(
            Method::DELETE,
            &format!("/api/v1/admin/invitations/{clerk}"),
            &head,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(accept_status(w, &to_ours).await, 404);
    assert_eq!(pending_id(w, &head, "clerk@city.example").await, None);
    let again = w
        .bearer(
            Method::DELETE,
            &format!("/api/v1/admin/invitations/{clerk}"),
            &head,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404, "already revoked");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'invitation_revoked' AND object = 'email:clerk@city.example' AND actor = 'head@city.example (API token)'"),
        1
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM accounts WHERE email = 'clerk@city.example'"),
        0
    );
    // The head reads their revocation in the log; the other invitation still works.
    let (_, log) = get(w, &head, "/api/v1/admin/audit?action=invitation_revoked").await;
    assert_eq!(log["entries"][0]["unit_id"], ours);
    assert_eq!(accept_status(w, &to_desk).await, 200);
    assert_eq!(
        pending_id(w, &head, "desk@city.example").await,
        None,
        "used"
    );

    // A grant link is listed for superadmins and revoked the same way.
    let (archivist, _) = w
        .account("archivist@city.example", "viewer", Some(theirs))
        .await;
    let granted: Value = w
        .admin(
            Method::PUT,
            &format!("/api/v1/admin/accounts/{}/roles", account_id(&archivist)),
        )
        .json(&json!({"roles": [{"role": "viewer", "unit_id": theirs}, {"role": "unit_admin", "unit_id": theirs}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grant_token = granted["grant_link"]["link"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let (_, list) = get(w, &w.admin_token, "/api/v1/admin/invitations").await;
    let grant = list["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["email"] == "archivist@city.example")
        .unwrap()
        .clone();
    assert_eq!(grant["kind"], "roles");
    assert_eq!(grant["roles"][0]["role"], "unit_admin");
    assert_eq!(pending_id(w, &head, "archivist@city.example").await, None);
    let resp = w
        .admin(
            Method::DELETE,
            &format!(
                "/api/v1/admin/invitations/{}",
                grant["id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(accept_status(w, &grant_token).await, 404);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'grant_link_revoked'"),
        1
    );
}

async fn reset_link(w: &Worker, token: Option<&str>, account: i64) -> (u16, Value) {
    let path = format!("/api/v1/admin/accounts/{account}/reset-link");
    let req = match token {
        Some(t) => w.bearer(Method::POST, &path, t),
        None => w.http.post(w.url(&path)),
    };
    let resp = req.send().await.unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

async fn session_works(w: &Worker, s: &Session) -> bool {
    w.with_session(Method::GET, "/api/v1/session", s)
        .send()
        .await
        .unwrap()
        .status()
        == 200
}

async fn token_works(w: &Worker, token: &str) -> bool {
    get(w, token, "/api/v1/session").await.0 == 200
}

async fn accept_with(w: &Worker, token: &str, password: &str) -> u16 {
    w.http
        .post(w.url("/api/v1/invitations/accept"))
        .json(&json!({"token": token, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn only_a_superadmin_issues_a_reset_link_and_it_ends_the_old_password_sessions_and_tokens_once(
) {
    let w = &Worker::start(&key(1));
    let city = w.create_unit("Міська рада", None).await;
    let ours = w.create_unit("Відділ кадрів", Some(city)).await;
    let child = w.create_unit("Сектор", Some(ours)).await;
    let (forgetful, forgetful_token) = w
        .account("forgetful@city.example", "unit_admin", Some(child))
        .await;
    let (_, head) = w
        .account("head@city.example", "unit_admin", Some(ours))
        .await;
    let (_, child_admin) = w
        .account("deputy@city.example", "unit_admin", Some(child))
        .await;
    let (_, viewer) = w.account("viewer@city.example", "viewer", Some(ours)).await;
    let target = account_id(&forgetful);

    // Every role but a superadmin's is refused, the account's own and its admin's above too.
    // A token's first use notes its time: do that before the checksum.
    for token in [
        &head,
        &child_admin,
        &viewer,
        &forgetful_token,
        &w.admin_token,
    ] {
        assert!(token_works(w, token).await);
    }
    let before = w.checksum();
    for (who, token) in [
        ("the unit's admin above", head.as_str()),
        ("an admin of the same unit", child_admin.as_str()),
        ("a viewer", viewer.as_str()),
        ("the account itself", forgetful_token.as_str()),
    ] {
        assert_eq!(reset_link(w, Some(token), target).await.0, 403, "{who}");
    }
    assert_eq!(reset_link(w, None, target).await.0, 401);
    assert_eq!(reset_link(w, Some(&w.admin_token), 999_999).await.0, 404);
    assert_eq!(w.checksum(), before, "refusals changed nothing");

    // The superadmin's link: nothing changes until it is accepted.
    let (code, made) = reset_link(w, Some(&w.admin_token), target).await;
    assert_eq!(code, 201, "{made}");
    let link = made["link"].as_str().unwrap();
    assert!(link.contains("/admin/#/reset/"), "{link}");
    let token = link.rsplit('/').next().unwrap().to_owned();
    assert!(made["expires_at"].as_i64().unwrap() > unix_now() + 71 * 3600);
    assert!(session_works(w, &forgetful).await);
    let (_, pending) = get(w, &w.admin_token, "/api/v1/admin/invitations").await;
    assert!(pending["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["kind"] == "password_reset" && l["email"] == "forgetful@city.example"));

    // Accepted: a new password; the old one, the old sessions and the API tokens stop; the
    // roles stay as they were.
    assert_eq!(accept_with(w, &token, NEW_PASSWORD).await, 200);
    assert!(!session_works(w, &forgetful).await, "the old session ended");
    assert!(
        !token_works(w, &forgetful_token).await,
        "the API token was revoked"
    );
    assert_eq!(
        w.sign_in("forgetful@city.example", PASSWORD).await.status(),
        401
    );
    let again = w.sign_in("forgetful@city.example", NEW_PASSWORD).await;
    assert_eq!(again.status(), 200);
    let me: Value = again.json().await.unwrap();
    assert_eq!(
        me["roles"],
        json!([{"role": "unit_admin", "unit_id": child, "unit_name": "Сектор"}])
    );
    // Once only.
    assert_eq!(
        accept_with(w, &token, "ще один новий пароль тут").await,
        404
    );
    assert_eq!(
        w.count(&format!("SELECT COUNT(*) FROM audit_log WHERE object = 'account:{target}' AND action IN ('password_reset_created', 'password_reset_accepted')")),
        2
    );
}

#[tokio::test]
async fn the_command_line_makes_a_reset_link_like_the_admin_page_and_refuses_an_unknown_address() {
    let w = &Worker::start(&key(1));
    let unit = w.create_unit("Міська рада", None).await;
    let (old, old_token) = w
        .account("locked-out@city.example", "unit_admin", Some(unit))
        .await;
    let reset = |email: &str| {
        std::process::Command::new("node")
            .current_dir(project_dir())
            .args([
                "scripts/reset.mjs",
                "--local",
                "--token-only",
                "--persist-to",
            ])
            .arg(&w.dir)
            .arg(email)
            .output()
            .expect("node scripts/reset.mjs")
    };
    let unknown = reset("nobody@city.example");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no active account"));
    let out = reset("locked-out@city.example");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 43, "{token}");
    assert_eq!(accept_with(w, &token, NEW_PASSWORD).await, 200);
    assert!(!session_works(w, &old).await);
    assert!(!token_works(w, &old_token).await);
    assert_eq!(
        w.sign_in("locked-out@city.example", NEW_PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(accept_with(w, &token, NEW_PASSWORD).await, 404, "once only");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE actor = 'command line' AND action = 'password_reset_created'"),
        1
    );
}
