//! Credentials on the real worker: the sign-in throttle under concurrent attempts, API tokens
//! that expire, a password change that ends other sessions and can revoke tokens, and the
//! breached-password list (docs/security.md, "Credentials and sign-in").

use crate::helpers::{key, project_dir, session_of, shared, Session, Worker, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

/// `n` sign-ins sent at once from `client`, the e-mail of each made by `email(i)`; the
/// statuses answered.
async fn sign_ins_at_once(
    w: &Worker,
    client: &str,
    n: usize,
    email: impl Fn(usize) -> String,
) -> Vec<u16> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let request = w
                .http
                .post(w.url("/api/v1/session"))
                .header("cf-connecting-ip", client)
                .json(&json!({"email": email(i), "password": "not the password at all"}));
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::with_capacity(n);
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

fn count_of(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_are_checked_at_most_the_documented_number_of_times() {
    // Its own instance: the test counts every throttle row and audit line of the database.
    let w = Worker::start(&key(1));
    let token = w.invite("target@city.example", "superadmin", None).await;
    w.accept(&token, PASSWORD).await;

    // 30 wrong passwords for 30 e-mails from one address, all at once: 20 per client.
    let statuses = sign_ins_at_once(&w, "198.51.100.21", 30, |i| {
        format!("spray{i}@city.example")
    })
    .await;
    assert_eq!(count_of(&statuses, 401), 20, "{statuses:?}");
    assert_eq!(count_of(&statuses, 429), 10, "{statuses:?}");
    // Each password check that failed wrote one audit line; a throttled attempt wrote nothing.
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_failed'"),
        20
    );
    // 20 rows under the client's key, one under each checked e-mail's.
    assert_eq!(w.count("SELECT COUNT(*) FROM login_failures"), 40);
    assert_eq!(
        w.count("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM login_failures GROUP BY key)"),
        20
    );

    // 30 wrong passwords for one account from another address, all at once: 5 per e-mail.
    let statuses = sign_ins_at_once(&w, "198.51.100.22", 30, |_| {
        String::from("target@city.example")
    })
    .await;
    assert_eq!(count_of(&statuses, 401), 5, "{statuses:?}");
    assert_eq!(count_of(&statuses, 429), 25, "{statuses:?}");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_failed'"),
        25
    );
    // 5 more rows under the e-mail's key and 5 under this client's.
    assert_eq!(w.count("SELECT COUNT(*) FROM login_failures"), 50);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM (SELECT key FROM login_failures GROUP BY key HAVING COUNT(*) = 5)"),
        2
    );

    // A right password from a third address gives its reservation back: the rows stay as
    // they were (the account's e-mail is throttled, so another account signs in).
    let rows = w.count("SELECT COUNT(*) FROM login_failures");
    let other = w.invite("other@city.example", "superadmin", None).await;
    w.accept(&other, PASSWORD).await;
    let ok = w
        .http
        .post(w.url("/api/v1/session"))
        .header("cf-connecting-ip", "198.51.100.23")
        .json(&json!({"email": "other@city.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(w.count("SELECT COUNT(*) FROM login_failures"), rows);
    // And the throttled account stays throttled with its right password too.
    let locked = w
        .http
        .post(w.url("/api/v1/session"))
        .header("cf-connecting-ip", "198.51.100.23")
        .json(&json!({"email": "target@city.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(locked.status(), 429);
    assert!(locked.headers().contains_key("retry-after"));
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn an_expired_api_token_is_refused() {
    let w = Worker::start_with(&key(1), &[("SIMULATED_CLOCK", "on")]);
    let (session, _) = w.account("expiring@city.example", "superadmin", None).await;
    let create = |body: Value| {
        w.with_session(Method::POST, "/api/v1/admin/tokens", &session)
            .json(&body)
            .send()
    };
    let before = w.checksum();
    for bad in [json!(0), json!(366), json!(-1), json!("ten")] {
        let resp = create(json!({"name": "bad", "expires_in_days": bad}))
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16() / 100, 4, "{bad}");
        assert_ne!(resp.status(), 201, "{bad}");
    }
    let resp = create(json!({"name": "too long", "expires_in_days": 366}))
        .await
        .unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_field");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("expires_in_days"));
    assert_eq!(w.checksum(), before);
    let made: Value = create(json!({"name": "one day", "expires_in_days": 1}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = made["token"].as_str().unwrap().to_owned();
    let expires = made["expires_at"].as_i64().unwrap();
    assert!((expires - now() - 86_400).abs() < 120, "{made}");

    let at = |t: i64| {
        w.bearer(Method::GET, "/api/v1/session", &token)
            .header("x-simulated-time", t.to_string())
            .send()
    };
    assert_eq!(at(expires - 60).await.unwrap().status(), 200);
    let refused = at(expires).await.unwrap();
    assert_eq!(refused.status(), 401);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(at(expires + 86_400).await.unwrap().status(), 401);

    // The default term is 90 days; the list shows each token's end.
    let list: Value = w
        .with_session(Method::GET, "/api/v1/admin/tokens", &session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tokens = list["tokens"].as_array().unwrap();
    let script = tokens.iter().find(|t| t["name"] == "script").unwrap();
    let created = script["created_at"].as_i64().unwrap();
    assert_eq!(
        script["expires_at"].as_i64().unwrap(),
        created + 90 * 86_400
    );
    assert!(tokens.iter().any(|t| t["expires_at"] == expires));
    let admin_at = |t: i64| {
        w.bearer(Method::GET, "/api/v1/session", &w.admin_token)
            .header("x-simulated-time", t.to_string())
            .send()
    };
    assert_eq!(admin_at(now() + 89 * 86_400).await.unwrap().status(), 200);
    assert_eq!(admin_at(now() + 91 * 86_400).await.unwrap().status(), 401);
}

#[test]
fn tokens_made_before_expiry_existed_get_the_default_term_from_the_migration() {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let mut migrations: Vec<_> = std::fs::read_dir(project_dir().join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    migrations.sort();
    let ours = migrations
        .iter()
        .position(|m| m.to_string_lossy().contains("0019_"))
        .unwrap();
    for m in &migrations[..ours] {
        db.execute_batch(&std::fs::read_to_string(m).unwrap())
            .unwrap();
    }
    db.execute_batch(
        "INSERT INTO accounts (email, password_hash, created_at, password_changed_at) VALUES ('old@city.example', 'x', 1, 1);
         INSERT INTO api_tokens (account_id, name, token_hash, created_at) VALUES (1, 'old', 'h', 1);",
    )
    .unwrap();
    db.execute_batch(&std::fs::read_to_string(&migrations[ours]).unwrap())
        .unwrap();
    let expires: i64 = db
        .query_row("SELECT expires_at FROM api_tokens", [], |r| r.get(0))
        .unwrap();
    assert!((expires - now() - 90 * 86_400).abs() < 120, "{expires}");
}

async fn status_of(w: &Worker, s: &Session) -> u16 {
    w.http
        .get(w.url("/api/v1/session"))
        .header("cookie", &s.cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn token_status(w: &Worker, token: &str) -> u16 {
    w.bearer(Method::GET, "/api/v1/session", token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_password_change_ends_other_sessions_and_can_revoke_tokens() {
    let w = shared();
    let email = "rotate@city.example";
    let (mine, token) = w.account(email, "superadmin", None).await;
    let other = session_of(w.sign_in(email, PASSWORD).await).await;
    let change = |current: &'static str, new: &'static str, revoke: Option<bool>| {
        let mut body = json!({"current": current, "new": new});
        if let Some(r) = revoke {
            body["revoke_tokens"] = json!(r);
        }
        w.with_session(Method::PUT, "/api/v1/session/password", &mine)
            .json(&body)
            .send()
    };

    // Without `revoke_tokens`: the other session ends, this one and the token stay.
    let first = "лелеки повертаються навесні";
    assert_eq!(change(PASSWORD, first, None).await.unwrap().status(), 204);
    assert_eq!(status_of(w, &mine).await, 200);
    assert_eq!(status_of(w, &other).await, 401);
    assert_eq!(token_status(w, &token).await, 200);

    // With it: the tokens are revoked too, in the same write; this session still stays.
    let again = session_of(w.sign_in(email, first).await).await;
    let second = "сонях дивиться на південь";
    assert_eq!(
        change(first, second, Some(true)).await.unwrap().status(),
        204
    );
    assert_eq!(status_of(w, &mine).await, 200);
    assert_eq!(status_of(w, &again).await, 401);
    assert_eq!(token_status(w, &token).await, 401);
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM api_tokens t JOIN accounts a ON a.id = t.account_id WHERE a.email = '{email}' AND t.revoked_at IS NULL"
        )),
        0
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'password_changed' AND actor = '{email}' AND json_extract(detail, '$.revoked_tokens') = 1"
        )),
        1
    );
    assert_eq!(w.sign_in(email, second).await.status(), 200);
}

#[tokio::test]
async fn a_common_password_is_refused() {
    let w = shared();
    let token = w.invite("common@city.example", "superadmin", None).await;
    for (password, why) in [
        (
            "passwordpassword",
            "is on the list of common and breached passwords",
        ),
        (
            "Sunshine2024!!",
            "is on the list of common and breached passwords",
        ),
        (
            "qwertyasdfgh",
            "is on the list of common and breached passwords",
        ),
        (
            "Пароль2024!!",
            "is on the list of common and breached passwords",
        ),
        ("123456789012", "must not be a simple sequence"),
        ("xy1zxy1zxy1z", "must not repeat one character or one group"),
        (
            "common@city.example 2026",
            "must not contain the e-mail address",
        ),
    ] {
        let resp = w
            .http
            .post(w.url("/api/v1/invitations/accept"))
            .json(&json!({"token": token, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 422, "{password}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "weak_password", "{password}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with("the password "), "{message}");
        assert!(message.contains(why), "{password}: {message}");
    }
    assert_eq!(
        w.count("SELECT COUNT(*) FROM accounts WHERE email = 'common@city.example'"),
        0
    );
    // The same rules on a password change.
    let s = w.accept(&token, PASSWORD).await;
    let resp = w
        .with_session(Method::PUT, "/api/v1/session/password", &s)
        .json(&json!({"current": PASSWORD, "new": "passwordpassword"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "weak_password");
    assert_eq!(
        w.sign_in("common@city.example", PASSWORD).await.status(),
        200
    );
}
