//! Accounts, sessions, CSRF, API tokens, invitations and the audit log, on the real worker.

use crate::helpers::{insert_invitation, key, session_of, shared, Worker, PASSWORD};
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn an_invitation_link_works_once() {
    let w = shared();
    let token = w.invite("once@city.example", "superadmin", None).await;
    let session = w.accept(&token, PASSWORD).await;
    assert_eq!(session.me["account"]["email"], "once@city.example");
    assert_eq!(session.me["roles"][0]["role"], "superadmin");
    let again = w
        .http
        .post(w.url("/api/v1/invitations/accept"))
        .json(&json!({"token": token, "password": "another long passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
}

#[tokio::test]
async fn an_expired_invitation_is_refused_and_nothing_is_written() {
    // Its own instance: the test writes to D1 directly, which would block a shared one.
    let w = Worker::start(&key(1));
    let token = insert_invitation(&w.db(), "late@city.example", "superadmin", None, -1);
    let before = w.checksum();
    let resp = w
        .http
        .post(w.url("/api/v1/invitations/accept"))
        .json(&json!({"token": token, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(w.checksum(), before);
}

#[tokio::test]
async fn weak_passwords_are_refused_with_a_reason_and_the_invitation_stays_open() {
    let w = shared();
    let token = w.invite("weak@city.example", "superadmin", None).await;
    for weak in [
        "short",
        "password123456",
        "weak@city.example!!",
        "aaaaaaaaaaaaaaaa",
    ] {
        let resp = w
            .http
            .post(w.url("/api/v1/invitations/accept"))
            .json(&json!({"token": token, "password": weak}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 422, "{weak}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "weak_password", "{weak}");
    }
    w.accept(&token, PASSWORD).await;
}

#[tokio::test]
async fn passwords_are_hashed_with_pbkdf2_at_the_production_cap() {
    let w = shared();
    let token = w.invite("hash@city.example", "superadmin", None).await;
    w.accept(&token, PASSWORD).await;
    let stored: String = w
        .db()
        .query_row(
            "SELECT password_hash FROM accounts WHERE email = 'hash@city.example'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let parts: Vec<&str> = stored.split('$').collect();
    assert_eq!(parts[0], "pbkdf2-sha256");
    // Cloudflare refuses more than 100,000 iterations in production; wrangler dev does not.
    assert_eq!(parts[1], "100000");
    let b64 = base64::engine::general_purpose::STANDARD;
    let salt = b64.decode(parts[2]).unwrap();
    let mut expected = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(PASSWORD.as_bytes(), &salt, 100_000, &mut expected);
    assert_eq!(b64.decode(parts[3]).unwrap(), expected);
    assert!(!stored.contains(PASSWORD));
}

#[tokio::test]
async fn signing_in_sets_a_locked_down_cookie_and_a_wrong_password_is_401() {
    let w = shared();
    let token = w.invite("signin@city.example", "superadmin", None).await;
    w.accept(&token, PASSWORD).await;
    let wrong = w
        .sign_in("signin@city.example", "not the password at all")
        .await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("set-cookie").is_none());
    let unknown = w.sign_in("nobody@city.example", PASSWORD).await;
    assert_eq!(unknown.status(), 401);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_credentials");
    let ok = w.sign_in("SignIn@City.example ", PASSWORD).await;
    assert_eq!(ok.status(), 200);
    let s = session_of(ok).await;
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(s.set_cookie.contains(flag), "{flag} in {}", s.set_cookie);
    }
    assert!(s.set_cookie.starts_with("__Host-civicrate="));
    let me = w
        .http
        .get(w.url("/api/v1/session"))
        .header("cookie", &s.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let failed = w.count(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_failed' AND actor = 'signin@city.example'",
    );
    assert_eq!(failed, 1);
}

#[tokio::test]
async fn repeated_failures_throttle_sign_in_even_with_the_right_password() {
    let w = shared();
    let token = w.invite("throttle@city.example", "superadmin", None).await;
    w.accept(&token, PASSWORD).await;
    for _ in 0..5 {
        let r = w
            .sign_in("throttle@city.example", "wrong wrong wrong")
            .await;
        assert_eq!(r.status(), 401);
    }
    let r = w.sign_in("throttle@city.example", PASSWORD).await;
    assert_eq!(r.status(), 429);
    let retry: u32 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
}

#[tokio::test]
async fn changes_with_a_session_need_the_csrf_header_from_this_site() {
    let w = shared();
    let token = w.invite("csrf@city.example", "superadmin", None).await;
    let s = w.accept(&token, PASSWORD).await;
    let no_header = w
        .http
        .post(w.url("/api/v1/admin/units"))
        .header("cookie", &s.cookie)
        .json(&json!({"name": "CSRF", "parent_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status(), 403);
    let body: Value = no_header.json().await.unwrap();
    assert_eq!(body["error"]["code"], "csrf");
    let wrong = w
        .http
        .post(w.url("/api/v1/admin/units"))
        .header("cookie", &s.cookie)
        .header("x-csrf-token", "forged")
        .json(&json!({"name": "CSRF", "parent_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let other_site = w
        .with_session(Method::POST, "/api/v1/admin/units", &s)
        .header("origin", "https://evil.example")
        .json(&json!({"name": "CSRF", "parent_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(other_site.status(), 403);
    assert_eq!(w.count("SELECT COUNT(*) FROM units WHERE name = 'CSRF'"), 0);
    let ok = w
        .with_session(Method::POST, "/api/v1/admin/units", &s)
        .header("origin", w.base.as_str())
        .json(&json!({"name": "CSRF", "parent_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 201);
}

#[tokio::test]
async fn an_expired_session_and_a_signed_out_one_are_401() {
    let w = Worker::start(&key(1));
    let token = w.invite("expiry@city.example", "superadmin", None).await;
    let s = w.accept(&token, PASSWORD).await;
    let me = |cookie: String| {
        let http = w.http.clone();
        let url = w.url("/api/v1/session");
        async move {
            http.get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(me(s.cookie.clone()).await, 200);
    w.db()
        .execute(
            "UPDATE sessions SET expires_at = 1 WHERE account_id = (SELECT id FROM accounts WHERE email = 'expiry@city.example')",
            [],
        )
        .unwrap();
    assert_eq!(me(s.cookie.clone()).await, 401);

    let fresh = session_of(w.sign_in("expiry@city.example", PASSWORD).await).await;
    assert_eq!(me(fresh.cookie.clone()).await, 200);
    let out = w
        .with_session(Method::DELETE, "/api/v1/session", &fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(me(fresh.cookie).await, 401);
}

#[tokio::test]
async fn a_forged_cookie_is_refused() {
    let w = shared();
    let forged = format!("__Host-civicrate={}.{}", "A".repeat(43), "B".repeat(22));
    let resp = w
        .http
        .get(w.url("/api/v1/session"))
        .header("cookie", forged)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let w = shared();
    let token = w.invite("change@city.example", "superadmin", None).await;
    let first = w.accept(&token, PASSWORD).await;
    let second = session_of(w.sign_in("change@city.example", PASSWORD).await).await;
    let wrong = w
        .with_session(Method::PUT, "/api/v1/session/password", &first)
        .json(&json!({"current": "not it at all", "new": "a brand new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let ok = w
        .with_session(Method::PUT, "/api/v1/session/password", &first)
        .json(&json!({"current": PASSWORD, "new": "a brand new passphrase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 204);
    let status = |s: &crate::helpers::Session| {
        w.http
            .get(w.url("/api/v1/session"))
            .header("cookie", s.cookie.clone())
            .send()
    };
    assert_eq!(status(&first).await.unwrap().status(), 200);
    assert_eq!(status(&second).await.unwrap().status(), 401);
    assert_eq!(
        w.sign_in("change@city.example", "a brand new passphrase")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn api_tokens_are_shown_once_stored_hashed_and_stop_when_revoked() {
    let w = shared();
    let (session, token) = w.account("scripts@city.example", "superadmin", None).await;
    assert!(token.starts_with("cr_"));
    let stored: i64 = w.count(&format!(
        "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{}'",
        hex_sha256(&token)
    ));
    assert_eq!(stored, 1);
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash LIKE '%{}%'",
            &token[3..20]
        )),
        0
    );
    let listed: Value = w
        .bearer(Method::GET, "/api/v1/admin/tokens", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!listed.to_string().contains(&token));
    let id = listed["tokens"][0]["id"].as_i64().unwrap();
    let revoke = w
        .with_session(
            Method::DELETE,
            &format!("/api/v1/admin/tokens/{id}"),
            &session,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    let after = w
        .bearer(Method::GET, "/api/v1/admin/units", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}

fn hex_sha256(s: &str) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(s.as_bytes()))
}

#[tokio::test]
async fn inviting_a_taken_email_is_a_conflict() {
    let w = shared();
    w.account("taken@city.example", "superadmin", None).await;
    let resp = w
        .admin(Method::POST, "/api/v1/admin/invitations")
        .json(&json!({"email": "Taken@City.example", "role": "superadmin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
}

#[tokio::test]
async fn the_last_superadmin_cannot_demote_or_deactivate_themselves() {
    let w = Worker::start(&key(1));
    let me: Value = w
        .admin(Method::GET, "/api/v1/session")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = me["account"]["id"].as_i64().unwrap();
    let unit = w.create_unit("Root", None).await;
    let demote = w
        .admin(Method::PUT, &format!("/api/v1/admin/accounts/{id}/roles"))
        .json(&json!({"roles": [{"role": "viewer", "unit_id": unit}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(demote.status(), 409);
    let deactivate = w
        .admin(Method::DELETE, &format!("/api/v1/admin/accounts/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deactivate.status(), 409);
}

#[tokio::test]
async fn a_deactivated_account_loses_its_sessions_and_tokens() {
    let w = shared();
    let (session, token) = w.account("leaver@city.example", "superadmin", None).await;
    let id = session.me["account"]["id"].as_i64().unwrap();
    let resp = w
        .admin(Method::DELETE, &format!("/api/v1/admin/accounts/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let by_token = w
        .bearer(Method::GET, "/api/v1/session", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_token.status(), 401);
    let by_cookie = w
        .http
        .get(w.url("/api/v1/session"))
        .header("cookie", &session.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), 401);
    assert_eq!(
        w.sign_in("leaver@city.example", PASSWORD).await.status(),
        401
    );
}

#[tokio::test]
async fn the_audit_log_records_changes_and_cannot_be_edited() {
    let w = shared();
    let unit = w.create_unit("Аудит", None).await;
    let employee = w.create_employee("Аудитор", "Спеціаліст", unit).await;
    w.issue_code(employee).await;
    let page: Value = w
        .admin(Method::GET, "/api/v1/admin/audit")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = page["entries"].as_array().unwrap();
    let has = |action: &str, object: &str| {
        entries
            .iter()
            .any(|e| e["action"] == action && e["object"] == object)
    };
    assert!(has("unit_created", &format!("unit:{unit}")), "{page}");
    assert!(has("employee_created", &format!("employee:{employee}")));
    assert!(has("qr_issued", &format!("employee:{employee}")));
    // The API has no route that changes it (the schema test checks that SQL cannot either).
    let put = w
        .admin(Method::DELETE, "/api/v1/admin/audit")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 405);
}
