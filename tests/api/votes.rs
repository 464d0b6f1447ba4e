use crate::helpers::{key, shared, unix_now, Worker};
use serde_json::json;

#[tokio::test]
async fn vote_page_shows_who_served_the_citizen_in_every_language() {
    let w = shared();
    let (_, token) = w.employee_with_code("Олена Петренко").await;
    for (lang, needle) in [
        ("uk", "Зразково"),
        ("ru", "Образцово"),
        ("kk", "Үлгілі"),
        ("fa", "عالی"),
        ("en", "Exemplary"),
    ] {
        let resp = w
            .http
            .get(w.url(&format!("/r/{token}?lang={lang}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{lang}");
        let csp = resp.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("Олена Петренко"), "{lang}: name shown");
        assert!(
            html.contains("Головний спеціаліст"),
            "{lang}: position shown"
        );
        assert!(html.contains(needle), "{lang}: level label {needle}");
        assert!(
            html.contains(&format!("lang=\"{lang}\"")),
            "{lang}: html lang"
        );
        assert_eq!(
            html.contains("dir=\"rtl\""),
            lang == "fa",
            "{lang}: direction"
        );
        assert!(html.len() <= 15 * 1024, "{lang}: {} bytes", html.len());
    }
}

#[tokio::test]
async fn accept_language_picks_the_page_language() {
    let w = shared();
    let (_, token) = w.employee_with_code("Айгуль Сериковна").await;
    let html = w
        .http
        .get(w.url(&format!("/r/{token}")))
        .header("accept-language", "de, kk;q=0.9, ru;q=0.8")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("lang=\"kk\""));
}

#[tokio::test]
async fn printed_url_in_capitals_and_lowercase_token_both_open_the_page() {
    let w = shared();
    let unit = w.create_unit("ЦНАП", None).await;
    let employee = w
        .create_employee("Іван Коваль", "Адміністратор", unit)
        .await;
    let code = w.issue_code(employee).await;
    let url = code["url"].as_str().unwrap();
    assert_eq!(
        url,
        url.to_uppercase(),
        "the printed URL is all capitals (QR alphanumeric mode)"
    );
    let token = code["token"].as_str().unwrap();
    assert!(url.ends_with(&format!("/R/{token}")));
    assert!(code["svg"].as_str().unwrap().contains("<svg"));
    for path in [
        format!("/R/{token}"),
        format!("/r/{}", token.to_lowercase()),
    ] {
        assert_eq!(
            w.http.get(w.url(&path)).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
}

#[tokio::test]
async fn vote_by_form_redirects_to_thanks_and_is_counted() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Марія Шевчук").await;
    let resp = w
        .vote_form(
            &token,
            &[],
            &[
                ("score", "3"),
                ("comment", "Дуже ввічливо"),
                ("contact", ""),
                ("lang", "uk"),
            ],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/thanks?lang=uk&receipt=") && location.len() == 35,
        "{location}"
    );
    let thanks = w
        .http
        .get(w.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(thanks.contains("Дякуємо за Ваш голос!"));

    let summary = w.summary(employee).await;
    assert_eq!(summary["votes"], 1);
    assert_eq!(summary["by_score"], json!({"1": 0, "2": 0, "3": 1}));
    let comment: String = w
        .db()
        .query_row(
            "SELECT comment FROM votes WHERE employee_id = ?1",
            [employee],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(comment, "Дуже ввічливо");
}

#[tokio::test]
async fn vote_by_json_is_counted_in_the_summary() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Олег Бондар").await;
    for score in [1, 2, 2, 3] {
        let resp = w
            .vote_json(json!({"token": token, "score": score, "lang": "en"}))
            .await;
        assert_eq!(resp.status(), 201);
    }
    let summary = w.summary(employee).await;
    assert_eq!(summary["votes"], 4);
    assert_eq!(summary["by_score"], json!({"1": 1, "2": 2, "3": 1}));
}

#[tokio::test]
async fn contact_is_stored_apart_from_the_vote() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Наталія Мельник").await;
    let resp = w.vote_json(json!({"token": token, "score": 1, "comment": "Довго чекав", "contact": "+38 (067) 123-45-67"})).await;
    assert_eq!(resp.status(), 201);
    let (has_contact, contact): (i64, String) = w
        .db()
        .query_row(
            "SELECT v.has_contact, c.contact FROM votes v JOIN vote_contacts c ON c.vote_id = v.id WHERE v.employee_id = ?1",
            [employee],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((has_contact, contact.as_str()), (1, "+380671234567"));
}

#[tokio::test]
async fn votes_keep_the_unit_and_a_client_hash_but_no_address() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Петро Ткаченко").await;
    let resp = w
        .http
        .post(w.url("/api/v1/votes"))
        .header("cf-connecting-ip", "203.0.113.77")
        .header("user-agent", "UniqueAgent/1.0")
        .json(&json!({"token": token, "score": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let row: (i64, String, String, String) = w
        .db()
        .query_row(
            "SELECT v.unit_id = e.unit_id, v.client_hash, v.lang, v.source FROM votes v JOIN employees e ON e.id = v.employee_id WHERE v.employee_id = ?1",
            [employee],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(row.0, 1, "the unit at the time is kept");
    assert_eq!(row.1.len(), 32);
    assert_eq!((row.2.as_str(), row.3.as_str()), ("uk", "api"));
    let dump: String = w
        .db()
        .query_row("SELECT group_concat(quote(v.id) || v.client_hash || coalesce(v.comment, '')) FROM votes v", [], |r| r.get(0))
        .unwrap();
    assert!(!dump.contains("203.0.113.77") && !dump.contains("UniqueAgent"));
}

#[tokio::test]
async fn refreshing_the_thanks_page_does_not_vote_again() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Ганна Кравець").await;
    let resp = w.vote_form(&token, &[], &[("score", "2")]).await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_eq!(
            w.http.get(w.url(&location)).send().await.unwrap().status(),
            200
        );
    }
    assert_eq!(w.votes_of(employee), 1);
}

#[tokio::test]
async fn form_without_a_score_shows_the_page_again_with_the_input_kept() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Юрій Лисенко").await;
    let resp = w
        .vote_form(&token, &[], &[("comment", "Забув оцінку"), ("lang", "uk")])
        .await;
    assert_eq!(resp.status(), 422);
    let html = resp.text().await.unwrap();
    assert!(html.contains("Забув оцінку"), "the comment is kept");
    assert!(html.contains("role=\"alert\""));
    assert_eq!(w.votes_of(employee), 0);
}

#[tokio::test]
async fn health_and_openapi_answer() {
    let w = shared();
    assert_eq!(
        w.http.get(w.url("/healthz")).send().await.unwrap().status(),
        200
    );
    let doc: serde_json::Value = w
        .http
        .get(w.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    // The served document (scripts/openapi.mjs) is the one the route tests read (build.rs).
    let tested: serde_json::Value = serde_json::from_str(civicrate::api::OPENAPI_JSON).unwrap();
    assert_eq!(doc, tested);
}

#[tokio::test]
async fn html_responses_carry_security_headers() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Богдан Руденко").await;
    let unit = w.count(&format!(
        "SELECT unit_id FROM employees WHERE id = {employee}"
    ));
    for (path, admin) in [
        (format!("/r/{token}"), false),
        ("/thanks".into(), false),
        ("/r/FORGED".into(), false),
        ("/nowhere".into(), false),
        ("/admin/".into(), false),
        (format!("/admin/employees/{employee}/poster?size=a4"), true),
        (format!("/admin/units/{unit}/posters?size=a6"), true),
    ] {
        let req = if admin {
            w.admin(reqwest::Method::GET, &path)
        } else {
            w.http.get(w.url(&path))
        };
        let resp = req.send().await.unwrap();
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let h = resp.headers();
        assert!(
            !h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(h.contains_key("strict-transport-security"), "{path}");
    }
}

#[tokio::test]
async fn a_code_typed_by_hand_leads_to_the_vote_page() {
    let w = shared();
    let (_, token) = w.employee_with_code("Василь Захарченко").await;
    let home = w.http.get(w.url("/?lang=ru")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("name=\"code\""));
    let typed = format!("{}-{}", &token[..16], &token[16..]).to_lowercase();
    let resp = w
        .http
        .get(w.url(&format!("/?code={typed}&lang=ru")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let page = w.http.get(w.url(&location)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Василь Захарченко"));
}

#[tokio::test]
async fn the_daily_cron_forgets_old_salts_counters_and_expired_contacts() {
    let w = crate::helpers::Worker::start_with(
        &crate::helpers::key(1),
        &[("CONTACT_RETENTION_DAYS", "30")],
    );
    let (employee, token) = w.employee_with_code("Денис Гордієнко").await;
    for contact in ["old@example.ua", "new@example.ua"] {
        assert_eq!(
            w.vote_json(json!({"token": token, "score": 1, "contact": contact}))
                .await
                .status(),
            201
        );
    }
    let db = w.db();
    db.execute("UPDATE vote_contacts SET created_at = created_at - 31 * 86400 WHERE contact = 'old@example.ua'", []).unwrap();
    db.execute(
        "INSERT INTO client_salts (day, salt) VALUES ('2000-01-01', 'old')",
        [],
    )
    .unwrap();
    db.execute(
        "INSERT INTO client_counters (day, client_key, votes) VALUES ('2000-01-01', 'k', 5)",
        [],
    )
    .unwrap();

    let resp = w
        .http
        .get(w.url("/__scheduled?cron=5+0+*+*+*"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM client_salts WHERE day = '2000-01-01'"),
        0
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM client_salts"),
        1,
        "today's salt stays"
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM client_counters WHERE day = '2000-01-01'"),
        0
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM vote_contacts WHERE contact = 'old@example.ua'"),
        0,
        "expired contact deleted"
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM vote_contacts WHERE contact = 'new@example.ua'"),
        1
    );
    assert_eq!(w.votes_of(employee), 2, "the votes themselves stay");
    assert_eq!(
        w.count(&format!(
            "SELECT SUM(has_contact) FROM votes WHERE employee_id = {employee}"
        )),
        2,
        "still known as signed"
    );

    let again = w
        .http
        .get(w.url("/__scheduled?cron=5+0+*+*+*"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "running twice is harmless");
    assert_eq!(w.count("SELECT COUNT(*) FROM vote_contacts"), 1);
}

#[tokio::test]
async fn repeat_votes_from_one_address_are_recorded_and_only_the_first_counts_once_screened() {
    // Its own instance: the roll-up it runs screens every vote of the database.
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let (employee, token) = w.employee_with_code("Максим Дорошенко").await;
    for score in [3, 3, 3, 1] {
        let resp = w
            .vote_from(
                "203.0.113.50",
                "StuffPhone/2.0",
                json!({"token": token, "score": score}),
            )
            .await;
        assert_eq!(
            resp.status(),
            201,
            "a stuffer gets the same answer as anyone"
        );
        // The same answer, down to its shape: only the random receipt differs.
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["status"], "recorded");
        assert_eq!(body.as_object().unwrap().len(), 2);
        assert_eq!(body["receipt"].as_str().unwrap().len(), 11);
    }
    // The same address with another browser is the same network; another address is not.
    assert_eq!(
        w.vote_from(
            "203.0.113.50",
            "OtherBrowser/1.0",
            json!({"token": token, "score": 2})
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        w.vote_from(
            "203.0.113.51",
            "StuffPhone/2.0",
            json!({"token": token, "score": 2})
        )
        .await
        .status(),
        201
    );

    assert_eq!(w.votes_of(employee), 6, "every vote is recorded");
    crate::results::cron(w, crate::results::HOURLY).await;
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM votes WHERE employee_id = {employee} AND flag_reason = 'shared_address'"
        )),
        4
    );
    let summary = w.summary(employee).await;
    assert_eq!(summary["votes"], 2);
    assert_eq!(summary["by_score"], json!({"1": 0, "2": 1, "3": 1}));
    assert_eq!(summary["excluded"], 4);
}

#[tokio::test]
async fn a_repeat_by_form_gets_the_same_thank_you() {
    let w = &crate::helpers::Worker::start(&crate::helpers::key(1));
    let (employee, token) = w.employee_with_code("Софія Мартинюк").await;
    for _ in 0..2 {
        let resp = w
            .vote_form(
                &token,
                &[("cf-connecting-ip", "203.0.113.60")],
                &[("score", "3")],
            )
            .await;
        assert_eq!(resp.status(), 303);
        let location = resp.headers()["location"].to_str().unwrap().to_owned();
        assert!(
            location.starts_with("/thanks?lang=uk&receipt=") && location.len() == 35,
            "a repeat gets a receipt like any vote: {location}"
        );
    }
    crate::results::cron(w, crate::results::HOURLY).await;
    assert_eq!(w.summary(employee).await["votes"], 1);
    assert_eq!(w.votes_of(employee), 2);
}

#[tokio::test]
async fn a_device_over_the_daily_limit_gets_429_with_retry_after() {
    let w =
        crate::helpers::Worker::start_with(&crate::helpers::key(1), &[("VOTE_DAILY_LIMIT", "3")]);
    let mut employees = Vec::new();
    for name in ["Перший", "Другий", "Третій", "Четвертий"] {
        employees.push(w.employee_with_code(name).await);
    }
    let phone = ("203.0.113.90", "Busy/1.0");
    for (employee, token) in &employees[..3] {
        assert_eq!(
            w.vote_from(phone.0, phone.1, json!({"token": token, "score": 3}))
                .await
                .status(),
            201,
            "{employee}"
        );
    }
    let (fourth, token) = &employees[3];
    let resp = w
        .vote_from(phone.0, phone.1, json!({"token": token, "score": 3}))
        .await;
    assert_eq!(resp.status(), 429);
    let retry: u32 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&retry));
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "rate_limited"
    );
    assert_eq!(w.votes_of(*fourth), 0);

    let form = w
        .vote_form(
            token,
            &[("cf-connecting-ip", phone.0), ("user-agent", phone.1)],
            &[("score", "2"), ("lang", "uk")],
        )
        .await;
    assert_eq!(form.status(), 429);
    assert!(form.headers().contains_key("retry-after"));
    assert_eq!(
        w.vote_from(
            phone.0,
            "AnotherBrowser/2.0",
            json!({"token": token, "score": 3})
        )
        .await
        .status(),
        429,
        "a new browser string on the same address does not reset the day"
    );

    assert_eq!(
        w.vote_from("203.0.113.91", phone.1, json!({"token": token, "score": 3}))
            .await
            .status(),
        201,
        "another device"
    );
    assert_eq!(w.votes_of(*fourth), 1);
}

#[tokio::test]
async fn a_vote_on_a_revoked_code_does_not_count_against_the_device() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Ростислав Яковенко").await;
    w.admin(
        reqwest::Method::DELETE,
        &format!("/api/v1/admin/employees/{employee}/qr"),
    )
    .send()
    .await
    .unwrap();
    let counters = || w.count("SELECT COALESCE(SUM(votes), 0) FROM client_counters");
    let before = counters();
    assert_eq!(
        w.vote_from("203.0.113.95", "X/1", json!({"token": token, "score": 3}))
            .await
            .status(),
        410
    );
    assert_eq!(counters(), before);
}

/// The page's signed serving time, from its hidden `t` field.
async fn page_stamp(w: &crate::helpers::Worker, token: &str) -> String {
    let html = w
        .http
        .get(w.url(&format!("/r/{token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html
        .find("name=\"t\" value=\"")
        .expect("the form carries its serving time")
        + "name=\"t\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_form_vote_faster_than_a_person_can_read_is_flagged_not_counted() {
    let w = shared();
    let (employee, token) = w.employee_with_code("Арсен Ковальчук").await;

    let stamp = page_stamp(w, &token).await;
    let resp = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.70")],
            &[("score", "3"), ("t", stamp.as_str())],
        )
        .await;
    assert_eq!(resp.status(), 303, "the same thank-you");
    let (status, reason): (String, String) = w
        .db()
        .query_row(
            "SELECT status, flag_reason FROM votes WHERE employee_id = ?1",
            [employee],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((status.as_str(), reason.as_str()), ("flagged", "too_fast"));

    let stamp = page_stamp(w, &token).await;
    tokio::time::sleep(std::time::Duration::from_millis(3200)).await;
    let resp = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.71")],
            &[("score", "2"), ("t", stamp.as_str())],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let summary = w.summary(employee).await;
    assert_eq!(
        (summary["votes"].as_i64(), summary["excluded"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(summary["by_score"]["2"], 1);
}

#[tokio::test]
async fn votes_from_a_units_office_network_are_flagged_as_possible_self_votes() {
    // The citizen worker reads office networks through a cache of up to a minute (the back
    // office, where they change, cannot reach its isolates; docs/deploy.md): on its own
    // instance with a clock the test moves, each change is voted on a minute later.
    let w = &Worker::start_with(&key(1), &[("SIMULATED_CLOCK", "on")]);
    let mut at = unix_now();
    let department = w.create_unit("Управління освіти", None).await;
    let section = w
        .create_unit("Відділ кадрів освіти", Some(department))
        .await;
    let employee = w
        .create_employee("Лідія Остапчук", "Інспектор", section)
        .await;
    let token = w.issue_code(employee).await["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let resp = w
        .admin(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/units/{department}/networks"),
        )
        .json(&json!({"cidrs": ["198.18.7.0/24", "2001:db8:77::/48", "198.18.7.0/24"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["cidrs"],
        json!(["198.18.7.0/24", "2001:db8:77::/48"])
    );

    at += 61;
    for address in ["198.18.7.20", "2001:db8:77::9"] {
        assert_eq!(
            vote_at(
                w,
                at,
                address,
                "Office/1.0",
                json!({"token": token, "score": 3})
            )
            .await
            .status(),
            201
        );
    }
    assert_eq!(
        vote_at(
            w,
            at,
            "198.18.8.20",
            "Home/1.0",
            json!({"token": token, "score": 1})
        )
        .await
        .status(),
        201
    );

    let flagged = w.count(&format!("SELECT COUNT(*) FROM votes WHERE employee_id = {employee} AND status = 'flagged' AND flag_reason = 'office_network'"));
    assert_eq!(
        flagged, 2,
        "the office votes, for an employee of a unit below the declaring one"
    );
    let summary = w.summary(employee).await;
    assert_eq!(summary["by_score"], json!({"1": 1, "2": 0, "3": 0}));
    assert_eq!(summary["excluded"], 2);

    let cleared = w
        .admin(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/units/{department}/networks"),
        )
        .json(&json!({"cidrs": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    at += 61;
    assert_eq!(
        vote_at(
            w,
            at,
            "198.18.7.21",
            "Office/2.0",
            json!({"token": token, "score": 2})
        )
        .await
        .status(),
        201
    );
    assert_eq!(
        w.summary(employee).await["votes"],
        2,
        "no longer flagged once the network is removed"
    );
}

/// A JSON vote from `address` at the simulated moment `at` (unix seconds).
async fn vote_at(
    w: &Worker,
    at: i64,
    address: &str,
    user_agent: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    w.http
        .post(w.url("/api/v1/votes"))
        .header("cf-connecting-ip", address)
        .header("user-agent", user_agent)
        .header("x-simulated-time", at.to_string())
        .json(&body)
        .send()
        .await
        .unwrap()
}
