//! No path to wider rights, and nobody audits themselves: roles added to an existing account
//! travel by a grant link its owner accepts (the account's holder is re-verified), decisions
//! that switch anti-fraud off for a unit need an administrator strictly above it, an account
//! linked to its own employee never acts on votes for them, and every admin route of the
//! router is called as every role.

use crate::helpers::{key, Session, Worker, PASSWORD};
use crate::results::{cron, HOURLY};
use civicrate::routes::{self, Access};
use reqwest::Method;
use serde_json::{json, Value};

/// Writes a vote straight into D1 as the vote path stores it; returns its id.
fn vote(w: &Worker, employee: i64, unit: i64, status: &str, comment: Option<&str>) -> i64 {
    let db = w.db();
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    db.execute(
        "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, comment, has_contact, lang, source, client_hash, created_at, status) \
         VALUES (?1, ?2, 0, 1, 1, ?3, 0, 'uk', 'api', ?4, ?5, ?6)",
        rusqlite::params![employee, unit, comment, format!("rights-{n}"), now - 3600 - n as i64, status],
    )
    .expect("insert vote");
    db.last_insert_rowid()
}

fn status_of(w: &Worker, vote: i64) -> String {
    w.db()
        .query_row("SELECT status FROM votes WHERE id = ?1", [vote], |r| {
            r.get(0)
        })
        .unwrap()
}

fn account_id(s: &Session) -> i64 {
    s.me["account"]["id"].as_i64().unwrap()
}

/// An invitation made by `token`'s account; returns the link's token.
async fn invite_as(w: &Worker, token: &str, email: &str, role: &str, unit: i64) -> String {
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

async fn new_token(w: &Worker, s: &Session) -> String {
    let resp = w
        .with_session(Method::POST, "/api/v1/admin/tokens", s)
        .json(&json!({"name": "script"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    resp.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn status(resp: reqwest::RequestBuilder) -> u16 {
    resp.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_squatted_invitation_cannot_receive_a_superadmins_grant() {
    let w = &Worker::start(&key(1));
    let city = w.create_unit("Міська рада", None).await;
    let office = w.create_unit("ЦНАП", Some(city)).await;
    let (_, squatter) = w
        .account("office-admin@city.example", "unit_admin", Some(office))
        .await;
    // The unit admin invites a colleague's address into their own office and accepts it.
    let squatted = invite_as(w, &squatter, "deputy@city.example", "viewer", office).await;
    let squat_password = "це моя сторінка тепер";
    let held = w.accept(&squatted, squat_password).await;
    let held_token = new_token(w, &held).await;
    let deputy = account_id(&held);

    // The superadmin, meaning to make the real deputy a superadmin, is sent to the roles...
    let again = w
        .admin(Method::POST, "/api/v1/admin/invitations")
        .json(&json!({"email": "deputy@city.example", "role": "superadmin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let why = again.json::<Value>().await.unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(why.contains("grant link"), "{why}");
    // ...where adding a role hands nothing to whoever holds the account: it makes a link.
    let granted = w
        .admin(
            Method::PUT,
            &format!("/api/v1/admin/accounts/{deputy}/roles"),
        )
        .json(&json!({"roles": [{"role": "viewer", "unit_id": office}, {"role": "superadmin"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 202);
    let granted: Value = granted.json().await.unwrap();
    assert_eq!(
        granted["pending"],
        json!([{"role": "superadmin", "unit_id": null}])
    );
    assert_eq!(granted["account"]["roles"].as_array().unwrap().len(), 1);
    let link = granted["grant_link"]["link"].as_str().unwrap().to_owned();
    assert!(link.contains("/admin/#/invite/"), "{link}");
    assert_eq!(
        status(w.with_session(Method::GET, "/api/v1/admin/accounts", &held)).await,
        403,
        "the holder got nothing"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM grants WHERE account_id = {deputy} AND role = 'superadmin'"
        )),
        0
    );

    // The superadmin hands the link to the real deputy, who accepts it with a new password.
    let grant_token = link.rsplit('/').next().unwrap().to_owned();
    let owner = w.accept(&grant_token, PASSWORD).await;
    assert_eq!(account_id(&owner), deputy);
    let roles: Vec<&str> = owner.me["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["role"].as_str().unwrap())
        .collect();
    assert!(roles.contains(&"superadmin"), "{roles:?}");
    // The squatter lost the account: session, API token and password.
    let old_session = w
        .http
        .get(w.url("/api/v1/session"))
        .header("cookie", &held.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(old_session.status(), 401);
    assert_eq!(
        status(w.bearer(Method::GET, "/api/v1/session", &held_token)).await,
        401
    );
    assert_eq!(
        w.sign_in("deputy@city.example", squat_password)
            .await
            .status(),
        401
    );
    assert_eq!(
        w.sign_in("deputy@city.example", PASSWORD).await.status(),
        200
    );
    // The link works once; both steps are in the audit log.
    let twice = w
        .http
        .post(w.url("/api/v1/invitations/accept"))
        .json(&json!({"token": grant_token, "password": "ще один новий пароль"}))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), 404);
    assert_eq!(
        w.count(&format!("SELECT COUNT(*) FROM audit_log WHERE object = 'account:{deputy}' AND action IN ('grant_link_created', 'grant_link_accepted')")),
        2
    );
    // Removing a role stays direct.
    let removed = w
        .admin(
            Method::PUT,
            &format!("/api/v1/admin/accounts/{deputy}/roles"),
        )
        .json(&json!({"roles": [{"role": "superadmin"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 200);
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM grants WHERE account_id = {deputy}"
        )),
        1
    );
}

struct Office {
    city: i64,
    office: i64,
    desk: i64,
    clerk: i64,
    desk_clerk: i64,
}

/// City → office → desk, a clerk in the office and one at the desk.
async fn office(w: &Worker) -> Office {
    let city = w.create_unit("Міська рада", None).await;
    let office = w.create_unit("ЦНАП", Some(city)).await;
    let desk = w.create_unit("Віконце 3", Some(office)).await;
    Office {
        city,
        office,
        desk,
        clerk: w
            .create_employee("Олена Коваль", "Адміністраторка", office)
            .await,
        desk_clerk: w
            .create_employee("Іван Сидоренко", "Спеціаліст", desk)
            .await,
    }
}

async fn review(w: &Worker, token: &str, votes: &[i64], decision: &str) -> i64 {
    let resp = w
        .bearer(Method::POST, "/api/v1/admin/review", token)
        .json(&json!({"votes": votes, "decision": decision}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.unwrap()["changed"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_unit_admin_cannot_accept_their_own_units_flagged_votes() {
    let w = &Worker::start(&key(1));
    let t = office(w).await;
    let own: Vec<i64> = (0..22)
        .map(|_| vote(w, t.clerk, t.office, "flagged", None))
        .collect();
    let below = vote(w, t.desk_clerk, t.desk, "flagged", None);
    let (_, manager) = w
        .account("manager@city.example", "unit_admin", Some(t.office))
        .await;
    let (_, above) = w
        .account("head@city.example", "unit_admin", Some(t.city))
        .await;

    let list: Value = w
        .bearer(Method::GET, "/api/v1/admin/review", &manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let decidable = |id: i64| {
        list["votes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["vote_id"] == id)
            .map(|v| v["decidable"].clone())
    };
    assert_eq!(decidable(own[0]), Some(json!(false)), "{list}");
    assert_eq!(decidable(below), Some(json!(true)));

    assert_eq!(review(w, &manager, &own, "accept").await, 0);
    assert_eq!(review(w, &manager, &own, "reject").await, 0);
    assert!(own.iter().all(|v| status_of(w, *v) == "flagged"));
    // The office's manager is above the desk, so decides the desk's votes.
    assert_eq!(review(w, &manager, &[below], "accept").await, 1);
    // The city's head is above the office.
    assert_eq!(review(w, &above, &own, "accept").await, 22);
    assert!(own.iter().all(|v| status_of(w, *v) == "counted"));
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'flagged_votes_accepted' AND actor = 'head@city.example (API token)'"),
        1
    );
}

async fn set_networks(w: &Worker, token: &str, unit: i64, cidrs: &[&str]) -> reqwest::Response {
    w.bearer(
        Method::PUT,
        &format!("/api/v1/admin/units/{unit}/networks"),
        token,
    )
    .json(&json!({ "cidrs": cidrs }))
    .send()
    .await
    .unwrap()
}

fn networks(w: &Worker, unit: i64) -> Vec<String> {
    let db = w.db();
    let mut stmt = db
        .prepare("SELECT cidr FROM unit_networks WHERE unit_id = ?1 ORDER BY cidr")
        .unwrap();
    stmt.query_map([unit], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn a_unit_admin_cannot_empty_their_own_units_office_networks() {
    let w = &Worker::start(&key(1));
    let t = office(w).await;
    let (_, manager) = w
        .account("manager@city.example", "unit_admin", Some(t.office))
        .await;
    let (_, above) = w
        .account("head@city.example", "unit_admin", Some(t.city))
        .await;
    assert_eq!(
        set_networks(w, &w.admin_token, t.office, &["203.0.113.0/24"])
            .await
            .status(),
        200
    );
    for cidrs in [&[][..], &["198.51.100.0/24"][..]] {
        let refused = set_networks(w, &manager, t.office, cidrs).await;
        assert_eq!(refused.status(), 403, "{cidrs:?}");
        assert_eq!(
            refused.json::<Value>().await.unwrap()["error"]["code"],
            "needs_oversight"
        );
    }
    assert_eq!(networks(w, t.office), ["203.0.113.0/24"]);
    // A vote from the office still counts as a likely self-vote.
    let token = w.issue_code(t.clerk).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let from_office = w
        .vote_from(
            "203.0.113.9",
            "Mozilla/5.0",
            json!({"token": token, "score": 3}),
        )
        .await;
    assert_eq!(from_office.status(), 201);
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM votes WHERE employee_id = {} AND status = 'flagged'",
            t.clerk
        )),
        1
    );
    // Adding is fine; so is any change of the desk below.
    let added = set_networks(
        w,
        &manager,
        t.office,
        &["203.0.113.0/24", "198.51.100.0/24"],
    )
    .await;
    assert_eq!(added.status(), 200);
    assert_eq!(
        set_networks(w, &manager, t.desk, &["192.0.2.0/28"])
            .await
            .status(),
        200
    );
    assert_eq!(set_networks(w, &manager, t.desk, &[]).await.status(), 200);
    // An admin above the office may take one away.
    assert_eq!(
        set_networks(w, &above, t.office, &["198.51.100.0/24"])
            .await
            .status(),
        200
    );
    assert_eq!(networks(w, t.office), ["198.51.100.0/24"]);
}

async fn decide_appeal(w: &Worker, token: &str, vote: i64) -> (u16, Value) {
    let resp = w
        .bearer(
            Method::POST,
            &format!("/api/v1/admin/appeals/{vote}"),
            token,
        )
        .json(&json!({"decision": "uphold", "note": "Перевірено"}))
        .send()
        .await
        .unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

async fn file_appeal(w: &Worker, token: &str, vote: i64) -> u16 {
    status(
        w.bearer(
            Method::POST,
            &format!("/api/v1/admin/votes/{vote}/appeal"),
            token,
        )
        .json(&json!({"reason": "Оцінку поставив колега, не відвідувач"})),
    )
    .await
}

#[tokio::test]
async fn an_appeal_about_a_unit_needs_an_admin_above_it() {
    let w = &Worker::start(&key(1));
    let t = office(w).await;
    let first = vote(w, t.clerk, t.office, "counted", None);
    let second = vote(w, t.clerk, t.office, "counted", None);
    let (_, manager) = w
        .account("manager@city.example", "unit_admin", Some(t.office))
        .await;
    let (_, head) = w
        .account("head@city.example", "unit_admin", Some(t.city))
        .await;
    // The manager invites a second account of their own into the office.
    let second_account = invite_as(
        w,
        &manager,
        "manager.two@city.example",
        "unit_admin",
        t.office,
    )
    .await;
    let puppet = w.accept(&second_account, PASSWORD).await;
    let puppet = new_token(w, &puppet).await;

    assert_eq!(file_appeal(w, &manager, first).await, 201);
    let (code, body) = decide_appeal(w, &puppet, first).await;
    assert_eq!(code, 403, "{body}");
    assert_eq!(body["error"]["code"], "needs_oversight");
    assert_eq!(
        decide_appeal(w, &manager, first).await.0,
        409,
        "not who filed it"
    );
    assert_eq!(status_of(w, first), "counted");
    assert_eq!(decide_appeal(w, &head, first).await.0, 204);
    assert_eq!(status_of(w, first), "rejected");

    // What a superadmin filed goes to another superadmin, not down the tree.
    assert_eq!(file_appeal(w, &w.admin_token, second).await, 201);
    assert_eq!(decide_appeal(w, &head, second).await.0, 403);
    assert_eq!(decide_appeal(w, &manager, second).await.0, 403);
    let (_, other_root) = w.account("root.two@city.example", "superadmin", None).await;
    assert_eq!(decide_appeal(w, &other_root, second).await.0, 204);
}

#[tokio::test]
async fn a_linked_account_never_reviews_votes_for_its_own_employee() {
    let w = &Worker::start(&key(1));
    let t = office(w).await;
    let colleague = w
        .create_employee("Марія Лисенко", "Спеціалістка", t.office)
        .await;
    let (head_session, head) = w
        .account("head@city.example", "unit_admin", Some(t.city))
        .await;
    let (_, manager) = w
        .account("manager@city.example", "unit_admin", Some(t.office))
        .await;
    let head_id = account_id(&head_session);
    // The head also serves at the office's counter: a superadmin links the account to them.
    let own_flagged = vote(w, t.clerk, t.office, "flagged", None);
    let their_flagged = vote(w, colleague, t.office, "flagged", None);
    let own_counted = vote(w, t.clerk, t.office, "counted", Some("Нагрубила"));
    let own_appealed = vote(w, t.clerk, t.office, "counted", None);
    cron(w, HOURLY).await;
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM cases WHERE vote_id = {own_counted}"
        )),
        1
    );
    let link = |token: String, account: i64, employee: Value| async move {
        status(
            w.bearer(
                Method::PUT,
                &format!("/api/v1/admin/accounts/{account}/employee"),
                &token,
            )
            .json(&json!({ "employee_id": employee })),
        )
        .await
    };
    assert_eq!(
        link(head.clone(), head_id, json!(null)).await,
        403,
        "not by itself"
    );
    assert_eq!(
        link(w.admin_token.clone(), head_id, json!(999_999)).await,
        404
    );
    assert_eq!(
        link(w.admin_token.clone(), head_id, json!(t.clerk)).await,
        204
    );
    let accounts = w.admin_get("/api/v1/admin/accounts").await;
    let shown = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == head_id)
        .unwrap()
        .clone();
    assert_eq!(shown["employee_id"], t.clerk);
    assert_eq!(shown["employee_name"], "Олена Коваль");

    // Review: only the colleague's vote is decided.
    assert_eq!(
        review(w, &head, &[own_flagged, their_flagged], "accept").await,
        1
    );
    assert_eq!(status_of(w, own_flagged), "flagged");
    assert_eq!(status_of(w, their_flagged), "counted");
    // Appeals, moderation and the inbox: as if the vote were not there.
    assert_eq!(file_appeal(w, &head, own_counted).await, 404);
    assert_eq!(
        status(
            w.bearer(
                Method::POST,
                &format!("/api/v1/admin/comments/{own_counted}/moderation"),
                &head
            )
            .json(&json!({"decision": "publish", "text": "Нагрубила"}))
        )
        .await,
        404
    );
    assert_eq!(
        status(
            w.bearer(
                Method::PATCH,
                &format!("/api/v1/admin/cases/{own_counted}"),
                &head
            )
            .json(&json!({"status": "rejected"}))
        )
        .await,
        404
    );
    assert_eq!(file_appeal(w, &manager, own_appealed).await, 201);
    let (code, body) = decide_appeal(w, &head, own_appealed).await;
    assert_eq!(code, 403, "{body}");
    assert_eq!(status_of(w, own_appealed), "counted");
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM comment_moderation WHERE vote_id = {own_counted}"
        )),
        0
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM cases WHERE vote_id = {own_counted} AND status = 'new'"
        )),
        1
    );
    // Unlinked again (audited both times), the head decides like any admin above the office.
    assert_eq!(link(w.admin_token.clone(), head_id, json!(null)).await, 204);
    assert_eq!(review(w, &head, &[own_flagged], "reject").await, 1);
    assert_eq!(
        w.count(&format!("SELECT COUNT(*) FROM audit_log WHERE action = 'account_employee_set' AND object = 'account:{head_id}'")),
        2
    );
}

// --- every route as every role ------------------------------------------------------------

/// What a route needs of its caller, for the ids the scan gives it (all in unit U).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// The caller's own session or tokens: any signed-in account (not scanned signed in).
    Own,
    /// Reads or lists within the caller's own subtrees: any signed-in account.
    Any,
    /// Any unit-admin role (the answer covers the caller's own subtrees).
    AnyAdmin,
    /// A role on U or above.
    Read,
    /// Unit admin of U or above.
    Write,
    /// Strictly above U: accepting its flagged votes, removing its networks, its appeals.
    Above,
    Super,
    /// Another account's own thing (its API token): nobody.
    Nobody,
}

fn need(method: &str, pattern: &str) -> Need {
    use Need::*;
    let p = pattern.trim_start_matches("/api/v1/admin");
    match (method, p) {
        (_, "/api/v1/session" | "/api/v1/session/password") | ("GET" | "POST", "/tokens") => Own,
        ("DELETE", "/tokens/{id}") => Nobody,
        (
            "GET",
            "/units"
            | "/directions"
            | "/scale"
            | "/results/directions"
            | "/results/comments"
            | "/cases"
            | "/cases/overdue"
            | "/appeals"
            | "/search"
            | "/employees",
        ) => Any,
        // The audit log and pending invitations: each admin reads what concerns their subtrees.
        ("GET", "/review" | "/review/rejected" | "/keys" | "/audit" | "/invitations") => AnyAdmin,
        ("GET", "/accounts" | "/national") => Super,
        // One-time codes vote: only who may issue them sees them.
        ("GET", _) if pattern.contains("one-time-batches") => Write,
        ("GET", _) => Read,
        ("PUT", "/units/{id}/networks")
        | (
            "POST",
            "/review" | "/appeals/{id}" | "/review/rejected/{id}/undo" | "/review/rejected/undo",
        ) => Above,
        (_, "/directions" | "/scale" | "/criteria" | "/criteria/{id}" | "/results/recompute")
        | (_, "/accounts/{id}/roles" | "/accounts/{id}/employee" | "/accounts/{id}") => Super,
        ("POST", "/accounts/{id}/reset-link") => Super,
        _ => Write,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Superadmin,
    AdminOfUnit,
    AdminOfChild,
    AdminOfSibling,
    Viewer,
    Anonymous,
}

fn allows(role: Role, need: Need) -> bool {
    use Need::*;
    match role {
        Role::Anonymous => false,
        Role::Superadmin => need != Nobody,
        Role::AdminOfUnit => matches!(need, Own | Any | AnyAdmin | Read | Write),
        Role::AdminOfChild | Role::AdminOfSibling => matches!(need, Own | Any | AnyAdmin),
        Role::Viewer => matches!(need, Own | Any | Read),
    }
}

struct Ids {
    unit: i64,
    employee: i64,
    account: i64,
    token: i64,
    criterion: i64,
    flagged: i64,
    case: i64,
    appealed: i64,
    batch: i64,
    /// An open invitation to the unit (the id `GET /invitations` gives it).
    invitation: String,
}

fn path_and_body(method: &str, pattern: &str, ids: &Ids, role: Role) -> (String, Value) {
    let p = pattern.trim_start_matches("/api/v1/admin");
    let id = match p {
        _ if pattern.contains("/employees/") => ids.employee,
        _ if p.starts_with("/accounts/") => ids.account,
        _ if p.starts_with("/tokens/") => ids.token,
        _ if p.starts_with("/criteria/") => ids.criterion,
        _ if p.starts_with("/cases/")
            || p.starts_with("/votes/")
            || p.starts_with("/comments/") =>
        {
            ids.case
        }
        _ if p.starts_with("/appeals/") => ids.appealed,
        _ if p.starts_with("/review/") => ids.flagged,
        _ if pattern.contains("/one-time-batches/") => ids.batch,
        _ => ids.unit,
    };
    let u = ids.unit;
    let mut path = if p == "/invitations/{id}" {
        pattern.replace("{id}", &ids.invitation)
    } else {
        pattern.replace("{id}", &id.to_string())
    };
    match p {
        "/import" | "/export.csv" | "/units/{id}/posters" => path.push_str(&format!("?unit={u}")),
        "/results/recompute" => path.push_str("?from=2026-01-01&to=2026-01-02"),
        _ => {}
    }
    let body = match (method, p) {
        ("POST", "/units") => json!({"name": "Новий сектор", "parent_id": u}),
        ("PATCH", "/units/{id}") => json!({"name": "Перейменований відділ"}),
        ("PUT", "/units/{id}/networks") => json!({"cidrs": []}),
        ("POST", "/employees") => {
            json!({"name": "Новий працівник", "position": "Фахівець", "unit_id": u})
        }
        ("PATCH", "/employees/{id}") => json!({"position": "Старший фахівець"}),
        ("POST", "/directions") => json!({"name": "Пенсії"}),
        ("POST", "/invitations") => {
            json!({"email": format!("new-{role:?}@city.example").to_lowercase(), "role": "viewer", "unit_id": u})
        }
        ("PUT", "/accounts/{id}/roles") => {
            json!({"roles": [{"role": "viewer", "unit_id": u}, {"role": "superadmin"}]})
        }
        ("PUT", "/accounts/{id}/employee") => json!({"employee_id": ids.employee}),
        ("PUT", "/scale") => json!({"levels": []}),
        ("POST", "/criteria") => json!({"code": "waiting", "labels": {"en": "Waiting"}}),
        ("PATCH", "/criteria/{id}") => json!({"position": 7}),
        ("POST", "/review") => json!({"votes": [ids.flagged], "decision": "accept"}),
        ("POST", "/review/rejected/undo") => json!({"votes": [ids.flagged]}),
        ("PATCH", "/cases/{id}") => json!({"status": "in_progress"}),
        ("POST", "/votes/{id}/appeal") => {
            json!({"reason": "Оцінку поставив колега, не відвідувач"})
        }
        ("POST", "/appeals/{id}") => json!({"decision": "dismiss"}),
        ("POST", "/comments/{id}/moderation") => json!({"decision": "withhold"}),
        ("POST", "/units/{id}/one-time-codes") => json!({"per_employee": 1}),
        // Sent as text/csv (see `call`).
        ("POST", "/import") => json!("name;position;unit\nНовий працівник;Фахівець;Відділ\n"),
        _ => json!({}),
    };
    (path, body)
}

async fn call(
    w: &Worker,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: &Value,
) -> (u16, Value) {
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = w.http.request(m, w.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Value::String(csv) = body {
        req = req.header("content-type", "text/csv").body(csv.clone());
    } else if method != "GET" && method != "DELETE" {
        req = req.json(body);
    }
    let resp = req.send().await.unwrap();
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

/// A denial: 401 signed out (303 to the sign-in page for HTML), 403 or 404 signed in; a bulk
/// review or a bulk undo answers 200 with nothing changed.
fn denied(role: Role, method: &str, pattern: &str, code: u16, body: &Value) -> bool {
    match role {
        Role::Anonymous if pattern.starts_with("/admin/") => code == 303,
        Role::Anonymous => code == 401,
        _ if method == "POST"
            && (pattern.ends_with("/review") || pattern.ends_with("/review/rejected/undo")) =>
        {
            code == 403 || (code == 200 && body["changed"] == 0)
        }
        _ => code == 403 || code == 404,
    }
}

#[tokio::test]
async fn every_admin_route_answers_every_role_as_its_grants_allow() {
    let w = &Worker::start(&key(1));
    let root = w.create_unit("Міська рада", None).await;
    let unit = w.create_unit("Відділ", Some(root)).await;
    let child = w.create_unit("Сектор", Some(unit)).await;
    let sibling = w.create_unit("Сусідній відділ", Some(root)).await;
    let employee = w
        .create_employee("Олена Коваль", "Адміністраторка", unit)
        .await;
    w.issue_code(employee).await;
    let (_, superadmin) = w.account("root.two@city.example", "superadmin", None).await;
    let (_, of_unit) = w
        .account("unit@city.example", "unit_admin", Some(unit))
        .await;
    let (_, of_child) = w
        .account("child@city.example", "unit_admin", Some(child))
        .await;
    let (_, of_sibling) = w
        .account("sibling@city.example", "unit_admin", Some(sibling))
        .await;
    let (_, viewer) = w.account("viewer@city.example", "viewer", Some(unit)).await;
    let (target, _) = w.account("target@city.example", "viewer", Some(unit)).await;
    let flagged = vote(w, employee, unit, "flagged", None);
    let case = vote(w, employee, unit, "counted", Some("Дуже довго чекав"));
    let appealed = vote(w, employee, unit, "counted", None);
    cron(w, HOURLY).await;
    // Filed by the instance's first superadmin: only another superadmin decides it.
    assert_eq!(file_appeal(w, &w.admin_token, appealed).await, 201);
    assert_eq!(
        set_networks(w, &w.admin_token, unit, &["203.0.113.0/24"])
            .await
            .status(),
        200
    );
    let criterion = w
        .admin(Method::POST, "/api/v1/admin/criteria")
        .json(&json!({"code": "premises", "labels": {"en": "Premises"}}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let batch = w
        .admin(
            Method::POST,
            &format!("/api/v1/admin/units/{unit}/one-time-codes"),
        )
        .json(&json!({"per_employee": 1}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["batch"]["id"]
        .as_i64()
        .expect("a one-time batch");
    let pending = w
        .admin(Method::POST, "/api/v1/admin/invitations")
        .json(&json!({"email": "pending@city.example", "role": "viewer", "unit_id": unit}))
        .send()
        .await
        .unwrap();
    assert_eq!(pending.status(), 201);
    let invitation = w
        .admin(Method::GET, "/api/v1/admin/invitations")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["email"] == "pending@city.example")
        .expect("the pending invitation")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = Ids {
        unit,
        employee,
        account: account_id(&target),
        token: w.count(&format!(
            "SELECT id FROM api_tokens WHERE account_id = {}",
            account_id(&target)
        )),
        criterion,
        flagged,
        case,
        appealed,
        batch,
        invitation,
    };
    let roles = [
        (Role::Anonymous, None),
        (Role::AdminOfSibling, Some(of_sibling.as_str())),
        (Role::AdminOfChild, Some(of_child.as_str())),
        (Role::Viewer, Some(viewer.as_str())),
        (Role::AdminOfUnit, Some(of_unit.as_str())),
        (Role::Superadmin, Some(superadmin.as_str())),
    ];
    for (_, token) in &roles {
        if let Some(t) = token {
            assert_eq!(
                status(w.bearer(Method::GET, "/api/v1/session", t)).await,
                200
            );
        }
    }
    let admin_routes: Vec<(&str, &str)> = routes::all()
        .filter(|d| d.access == Access::Admin)
        .map(|d| (d.method_name(), d.path))
        .collect();
    assert!(
        admin_routes.len() > 50,
        "the scan covers the router's table"
    );

    // Every denial first: together they change nothing.
    let before = w.checksum();
    let mut failures = Vec::new();
    let mut denials = 0;
    for (role, token) in &roles {
        for (method, pattern) in &admin_routes {
            let n = need(method, pattern);
            if allows(*role, n) {
                continue;
            }
            let (path, body) = path_and_body(method, pattern, &ids, *role);
            let (code, answer) = call(w, *token, method, &path, &body).await;
            denials += 1;
            if !denied(*role, method, pattern, code, &answer) {
                failures.push(format!(
                    "{role:?} {method} {path} ({n:?}) gave {code}: {answer}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "not denied:\n{}", failures.join("\n"));
    assert_eq!(
        w.checksum(),
        before,
        "the {denials} denied calls changed nothing"
    );
    assert_eq!(status_of(w, flagged), "flagged");

    // Then what each role may do answers as allowed: reads by everyone, changes by the unit's
    // admin, and what needs someone above (or a superadmin) by the superadmin. The
    // superadmin's rights on plain unit changes are everywhere else in the suite.
    // All reads first, so that no change made meanwhile (a revoked code) hides what a read
    // would show; deletions last, so that none (a deactivated account) takes away what another
    // change needs, whatever order the route tables list them in.
    let mut allowed = 0;
    let mut calls = Vec::new();
    let phase = |method: &str| match method {
        "GET" => 0,
        "DELETE" => 2,
        _ => 1,
    };
    for step in 0..3 {
        for (role, token) in &roles {
            for (method, pattern) in &admin_routes {
                if phase(method) == step {
                    calls.push((*role, *token, *method, *pattern));
                }
            }
        }
    }
    for (role, token, method, pattern) in &calls {
        let n = need(method, pattern);
        let reads = *method == "GET";
        let here = match role {
            Role::Superadmin => reads || matches!(n, Need::Above | Need::Super),
            _ => allows(*role, n),
        };
        if !here || n == Need::Own {
            continue;
        }
        let (path, body) = path_and_body(method, pattern, &ids, *role);
        let (code, answer) = call(w, *token, method, &path, &body).await;
        allowed += 1;
        if matches!(code, 401 | 403 | 404) || code >= 500 {
            failures.push(format!(
                "{role:?} {method} {path} ({n:?}) gave {code}: {answer}"
            ));
        }
    }
    assert!(failures.is_empty(), "refused:\n{}", failures.join("\n"));
    assert!(allowed > 50);
    eprintln!("{denials} calls denied, {allowed} allowed");
    assert_eq!(
        status_of(w, flagged),
        "counted",
        "the superadmin decided it"
    );
    assert_eq!(
        status_of(w, appealed),
        "counted",
        "dismissed by the other superadmin"
    );
}
