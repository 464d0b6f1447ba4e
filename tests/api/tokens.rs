use crate::helpers::{key, shared, Worker};
use serde_json::json;

/// Changes one character of a token to another valid base32 symbol.
fn tamper(token: &str, at: usize) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn forged_token_gets_a_friendly_404_page() {
    let w = shared();
    for token in [
        "0123456789ABCDEFGHJKMNPQRSTVWXYZ",
        "short",
        "!!!",
        &"Z".repeat(200),
    ] {
        let resp = w
            .http
            .get(w.url(&format!("/r/{token}?lang=uk")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{token}");
        let html = resp.text().await.unwrap();
        assert!(
            html.contains("<html") && html.contains("lang=\"uk\""),
            "a localised page for {token}"
        );
    }
}

#[tokio::test]
async fn tampered_token_is_refused_in_every_position() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Віра Гончаренко").await;
    for at in 0..token.len() {
        let bad = tamper(&token, at);
        let resp = w.vote_json(json!({"token": bad, "score": 3})).await;
        assert_eq!(resp.status(), 404, "changed character {at}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_token");
    }
    assert_eq!(w.votes_of(employee), 0);
}

#[tokio::test]
async fn vote_with_revoked_token_is_refused() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Сергій Мороз").await;
    let resp = w
        .admin(
            reqwest::Method::DELETE,
            &format!("/api/v1/admin/employees/{employee}/qr"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);

    let page = w
        .http
        .get(w.url(&format!("/r/{token}?lang=uk")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);
    let resp = w
        .vote_json(json!({"token": token, "score": 3, "contact": "a@b.ua"}))
        .await;
    assert_eq!(resp.status(), 410);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "revoked_token"
    );
    let form = w.vote_form(&token, &[], &[("score", "3")]).await;
    assert_eq!(form.status(), 410);
    assert_eq!(w.votes_of(employee), 0);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM vote_contacts WHERE contact = 'a@b.ua'"),
        0,
        "no orphan contact"
    );
}

#[tokio::test]
async fn reissuing_a_code_revokes_the_older_one() {
    let w = shared();
    let (employee, old) = w.employee_with_code("Лариса Савчук").await;
    let new = w.issue_code(employee).await;
    assert_eq!(new["issue"], 2);
    let new = new["token"].as_str().unwrap();
    assert_ne!(old, new);
    assert_eq!(
        w.vote_json(json!({"token": old, "score": 3}))
            .await
            .status(),
        410
    );
    assert_eq!(
        w.vote_json(json!({"token": new, "score": 3}))
            .await
            .status(),
        201
    );
    assert_eq!(w.votes_of(employee), 1);
}

#[tokio::test]
async fn codes_per_channel_are_independent() {
    let w = shared();
    let (employee, desk) = w.employee_with_code("Тарас Олійник").await;
    let resp = w
        .admin(
            reqwest::Method::POST,
            &format!("/api/v1/admin/employees/{employee}/qr?channel=2"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let letter: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        (letter["channel"].as_i64(), letter["issue"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        w.vote_json(json!({"token": desk, "score": 2}))
            .await
            .status(),
        201,
        "the desk code still works"
    );
    assert_eq!(
        w.vote_json(json!({"token": letter["token"], "score": 3}))
            .await
            .status(),
        201
    );
    let channels: i64 = w.count(&format!(
        "SELECT COUNT(DISTINCT channel) FROM votes WHERE employee_id = {employee}"
    ));
    assert_eq!(channels, 2);
}

/// Rotation as an operator does it: add a key (redeploy), new codes use it, old codes keep
/// working; retire the old key (redeploy), its codes stop working.
#[tokio::test]
async fn rotated_keys_keep_old_codes_until_the_old_key_is_retired() {
    let first = Worker::start(&key(1));
    let (old_employee, old_token) = first.employee_with_code("Ірина Кузьменко").await;
    let dir = first.stop();

    let both = Worker::run(dir, &format!("{},{}", key(1), key(2)));
    assert_eq!(
        both.vote_json(json!({"token": old_token, "score": 3}))
            .await
            .status(),
        201,
        "old code, old key still listed"
    );
    let (new_employee, new_token) = both.employee_with_code("Роман Павленко").await;
    let key_id: i64 = both.count(&format!(
        "SELECT key_id FROM qr_codes WHERE employee_id = {new_employee}"
    ));
    assert_eq!(key_id, 2, "the newest key signs");
    let dir = both.stop();

    let retired = Worker::run(dir, &key(2));
    assert_eq!(
        retired
            .vote_json(json!({"token": old_token, "score": 3}))
            .await
            .status(),
        404,
        "the retired key's codes stop"
    );
    assert_eq!(
        retired
            .vote_json(json!({"token": new_token, "score": 3}))
            .await
            .status(),
        201
    );
    assert_eq!(retired.votes_of(old_employee), 1);
    assert_eq!(retired.votes_of(new_employee), 1);
}

#[tokio::test]
async fn key_rotation_reissues_one_office_at_a_time_and_shows_what_is_left() {
    let first = Worker::start(&key(1));
    let city = first.create_unit("Міська рада", None).await;
    let office_a = first.create_unit("ЦНАП №1", Some(city)).await;
    let office_b = first.create_unit("ЦНАП №2", Some(city)).await;
    let a = first
        .create_employee("Олена Коваль", "Адміністратор", office_a)
        .await;
    let b = first
        .create_employee("Петро Шевченко", "Адміністратор", office_b)
        .await;
    let old_a = first.issue_code(a).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_b = first.issue_code(b).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = first.stop();

    // Step 1: the new key is appended; nothing printed changes yet.
    let both = Worker::run(dir, &format!("{},{}", key(1), key(2)));
    let keys: serde_json::Value = both.admin_get("/api/v1/admin/keys").await;
    assert_eq!(
        keys["keys"],
        json!([
            {"key_id": 1, "signing": false, "configured": true, "codes": 2},
            {"key_id": 2, "signing": true, "configured": true, "codes": 0}
        ])
    );
    assert_eq!(keys["units"].as_array().unwrap().len(), 2);

    // Step 2: office A is reissued (and reprinted); office B still uses its old posters.
    let resp = both
        .admin(
            reqwest::Method::POST,
            &format!("/api/v1/admin/units/{office_a}/reissue-codes"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["reissued"],
        1
    );
    let vote = |token: &str| json!({"token": token, "score": 3});
    assert_eq!(both.vote_json(vote(&old_a)).await.status(), 410, "replaced");
    assert_eq!(both.vote_json(vote(&old_b)).await.status(), 201, "not yet");
    let detail: serde_json::Value = both
        .admin(
            reqwest::Method::GET,
            &format!("/api/v1/admin/employees/{a}"),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let new_a = detail["codes"][0]["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(both.vote_json(vote(&new_a)).await.status(), 201);
    assert_eq!(
        both.count(&format!(
            "SELECT key_id FROM qr_codes WHERE employee_id = {a} AND revoked_at IS NULL"
        )),
        2
    );
    // Reissuing again finds nothing left to do there, and the report shows only office B.
    let again = both
        .admin(
            reqwest::Method::POST,
            &format!("/api/v1/admin/units/{office_a}/reissue-codes"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.json::<serde_json::Value>().await.unwrap()["reissued"],
        0
    );
    let keys: serde_json::Value = both.admin_get("/api/v1/admin/keys").await;
    assert_eq!(
        keys["units"],
        json!([{"unit_id": office_b, "name": "ЦНАП №2", "codes": 1}])
    );
    assert_eq!(
        both.count("SELECT COUNT(*) FROM audit_log WHERE action = 'qr_reissued_for_key'"),
        1,
        "a reissue that changed nothing is not logged"
    );

    // Step 3: the old key is retired; office B's old code stops, and the report says so.
    let dir = both.stop();
    let retired = Worker::run(dir, &key(2));
    assert_eq!(retired.vote_json(vote(&old_b)).await.status(), 404);
    assert_eq!(retired.vote_json(vote(&new_a)).await.status(), 201);
    let keys: serde_json::Value = retired.admin_get("/api/v1/admin/keys").await;
    assert_eq!(
        keys["keys"],
        json!([
            {"key_id": 1, "signing": false, "configured": false, "codes": 1},
            {"key_id": 2, "signing": true, "configured": true, "codes": 1}
        ])
    );
}
