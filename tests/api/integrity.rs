//! Integrity end to end: votes go through the real vote path on workerd, the roll-up's
//! screening runs through `/__scheduled`, and what it flagged is read back from the local D1.
//! Instances started with `SIMULATED_CLOCK=on` take each vote's time from `X-Simulated-Time`,
//! so a day of votes is replayed in seconds.

use crate::helpers::{key, Worker};
use crate::results::{cron, HOURLY};
use reqwest::Method;
use serde_json::json;

/// A vote from a distinct phone at a chosen moment (unix seconds).
async fn vote_at(w: &Worker, token: &str, phone: usize, at: i64) {
    let resp = w
        .http
        .post(w.url("/api/v1/votes"))
        .header(
            "cf-connecting-ip",
            format!("203.0.{}.{}", phone >> 8 & 255, phone & 255),
        )
        .header("user-agent", "TestPhone/2.0")
        .header("x-simulated-time", at.to_string())
        .json(&json!({"token": token, "score": 3}))
        .send()
        .await
        .expect("vote");
    assert_eq!(
        resp.status(),
        201,
        "{}",
        resp.text().await.unwrap_or_default()
    );
}

fn reasons(w: &Worker, employee: i64) -> Vec<(String, Option<String>)> {
    let db = w.db();
    let mut stmt = db
        .prepare("SELECT status, flag_reason FROM votes WHERE employee_id = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([employee], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn counted_and_flagged(w: &Worker, employee: i64) -> (i64, i64) {
    let q = |column: &str, table: &str| {
        w.count(&format!(
            "SELECT coalesce(SUM({column}), 0) FROM {table} WHERE employee_id = {employee}"
        ))
    };
    let daily = (
        q("counted", "daily_employee_stats"),
        q("flagged", "daily_employee_stats"),
    );
    let monthly = (
        q("counted", "monthly_employee_stats"),
        q("flagged", "monthly_employee_stats"),
    );
    assert_eq!(daily, monthly, "the months are the sum of their days");
    daily
}

/// 2026-03-02, a Monday, at 00:00 UTC.
const MONDAY: i64 = 1_772_409_600;

#[tokio::test]
async fn a_burst_of_votes_from_many_phones_is_flagged_at_the_roll_up_and_left_out() {
    let w = &Worker::start(&key(1));
    let (target, token) = w.employee_with_code("Ціль Накрутки").await;
    let (calm, calm_token) = w.employee_with_code("Звичайна Працівниця").await;
    for _ in 0..30 {
        let resp = w.vote_json(json!({"token": token, "score": 3})).await;
        assert_eq!(resp.status(), 201, "the stuffer sees the usual answer");
    }
    for _ in 0..3 {
        w.vote_json(json!({"token": calm_token, "score": 2})).await;
    }
    cron(w, HOURLY).await;

    assert!(reasons(w, target)
        .iter()
        .all(|(s, r)| s == "flagged" && r.as_deref() == Some("burst")));
    assert_eq!(counted_and_flagged(w, target), (0, 30));
    assert_eq!(counted_and_flagged(w, calm), (3, 0));
    let review = w.admin_get("/api/v1/admin/review").await;
    let listed = review["votes"].as_array().unwrap();
    assert_eq!(listed.len(), 30, "{review}");
    assert!(listed.iter().all(|v| v["reason"] == "burst"));
}

#[tokio::test]
async fn a_burst_split_across_two_roll_ups_is_flagged_whole_and_its_day_recounted() {
    let w = &Worker::start_with(&key(1), &[("SIMULATED_CLOCK", "on")]);
    let (target, token) = w.employee_with_code("Ціль Накрутки").await;
    let start = MONDAY + 10 * 3600;
    // Irregular gaps: a burst, not a cadence.
    let offsets = [
        0, 13, 40, 51, 90, 97, 130, 171, 200, 233, 260, 301, 322, 360, 402, 430,
    ];
    for (phone, offset) in offsets.iter().enumerate().take(8) {
        vote_at(w, &token, phone, start + offset).await;
    }
    cron(w, HOURLY).await;
    assert_eq!(
        counted_and_flagged(w, target),
        (8, 0),
        "eight are no burst yet"
    );

    for (phone, offset) in offsets.iter().enumerate().skip(8) {
        vote_at(w, &token, phone, start + offset).await;
    }
    cron(w, HOURLY).await;
    assert_eq!(reasons(w, target).len(), 16);
    assert!(reasons(w, target).iter().all(|(s, _)| s == "flagged"));
    assert_eq!(
        counted_and_flagged(w, target),
        (0, 16),
        "the first eight, already counted, are taken out again"
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM rollup_dirty_days"), 0);
}

#[tokio::test]
async fn votes_at_a_machine_like_cadence_are_flagged_and_people_at_random_times_are_not() {
    let w = &Worker::start_with(&key(1), &[("SIMULATED_CLOCK", "on")]);
    let (bot_target, bot_token) = w.employee_with_code("Ціль Скрипта").await;
    let (person, token) = w.employee_with_code("Звичайний Працівник").await;
    let start = MONDAY + 11 * 3600;
    for phone in 0..9 {
        vote_at(w, &bot_token, phone, start + phone as i64 * 45).await;
    }
    let mut at = start;
    for (phone, gap) in [40, 95, 61, 300, 58, 122, 75, 64, 210].iter().enumerate() {
        at += gap;
        vote_at(w, &token, 100 + phone, at).await;
    }
    cron(w, HOURLY).await;
    assert!(reasons(w, bot_target)
        .iter()
        .all(|(s, r)| s == "flagged" && r.as_deref() == Some("cadence")));
    assert_eq!(counted_and_flagged(w, bot_target), (0, 9));
    assert_eq!(counted_and_flagged(w, person), (9, 0));
}

#[tokio::test]
async fn votes_while_the_unit_is_closed_are_flagged_in_its_own_time_zone() {
    let w = &Worker::start_with(&key(1), &[("SIMULATED_CLOCK", "on")]);
    let tehran = w.create_unit("دفتر خدمات", None).await;
    let kyiv = w.create_unit("ЦНАП", None).await;
    let hours = json!({"mon": [["09:00", "17:00"]]});
    for (unit, zone) in [(tehran, "Asia/Tehran"), (kyiv, "Europe/Kyiv")] {
        let resp = w
            .admin(Method::PATCH, &format!("/api/v1/admin/units/{unit}"))
            .json(&json!({"timezone": zone, "opening_hours": hours}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    }
    let code = |employee| async move {
        w.issue_code(employee).await["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let clerk = w.create_employee("مریم احمدی", "کارشناس", tehran).await;
    let clerk_token = code(clerk).await;
    let officer = w
        .create_employee("Оксана Мельник", "Адміністраторка", kyiv)
        .await;
    let officer_token = code(officer).await;

    // 05:00 UTC is 08:30 in Tehran (UTC+3:30, no daylight saving since 2022): closed.
    vote_at(w, &clerk_token, 1, MONDAY + 5 * 3600).await;
    // 06:00 UTC is 09:30 there: open.
    vote_at(w, &clerk_token, 2, MONDAY + 6 * 3600).await;
    // Monday 2026-07-06, 06:30 UTC is 09:30 in Kyiv in summer time (UTC+3): open. Without
    // daylight saving it would be 08:30, closed.
    let july = MONDAY + 126 * 86_400;
    vote_at(w, &officer_token, 3, july + 6 * 3600 + 1800).await;
    // Tuesday: the unit declares no hours that day.
    vote_at(w, &officer_token, 4, july + 86_400 + 10 * 3600).await;
    // A code printed on a written reply is scanned at home, at any hour: not flagged.
    let reply_token = w.issue_code_on(clerk, 2).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    vote_at(w, &reply_token, 5, MONDAY + 86_400 * 7 + 22 * 3600).await;
    cron(w, HOURLY).await;

    assert_eq!(
        reasons(w, clerk),
        vec![
            ("flagged".to_owned(), Some("outside_hours".to_owned())),
            ("counted".to_owned(), None),
            ("counted".to_owned(), None)
        ]
    );
    assert_eq!(
        reasons(w, officer),
        vec![
            ("counted".to_owned(), None),
            ("flagged".to_owned(), Some("outside_hours".to_owned()))
        ]
    );
}

#[tokio::test]
async fn a_repeat_from_one_address_counts_once_a_day_and_again_the_next_day() {
    let w = &Worker::start_with(&key(1), &[("SIMULATED_CLOCK", "on")]);
    let (employee, token) = w.employee_with_code("Олена Коваль").await;
    let morning = MONDAY + 8 * 3600;
    for at in [morning, morning + 3600, morning + 3 * 3600] {
        vote_at(w, &token, 7, at).await;
    }
    // The next day the address's hash is a different one: its votes are not linked at all.
    vote_at(w, &token, 7, MONDAY + 86_400 + 8 * 3600).await;
    let statuses: Vec<String> = reasons(w, employee).into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        statuses, ["counted"; 4],
        "stored and answered alike; screening decides"
    );
    cron(w, HOURLY).await;
    let shared = Some("shared_address".to_owned());
    assert_eq!(
        reasons(w, employee),
        [
            ("counted".to_owned(), None),
            ("flagged".to_owned(), shared.clone()),
            ("flagged".to_owned(), shared),
            ("counted".to_owned(), None)
        ]
    );
    assert_eq!(counted_and_flagged(w, employee), (2, 2));
}

/// A vote from `address` claiming `agent`, at a chosen moment.
async fn vote_as(w: &Worker, token: &str, address: &str, agent: &str, at: i64) -> u16 {
    w.http
        .post(w.url("/api/v1/votes"))
        .header("cf-connecting-ip", address)
        .header("user-agent", agent)
        .header("x-simulated-time", at.to_string())
        .json(&json!({"token": token, "score": 3}))
        .send()
        .await
        .expect("vote")
        .status()
        .as_u16()
}

#[tokio::test]
async fn rotating_user_agents_from_one_address_do_not_reset_the_daily_window() {
    let w = &Worker::start_with(&key(1), &[("SIMULATED_CLOCK", "on")]);
    let (employee, token) = w.employee_with_code("Ірина Мельник").await;
    // Eleven votes through the morning, each claiming another browser: under the burst
    // threshold, and at irregular gaps.
    let mut at = MONDAY + 7 * 3600;
    for i in 0..11 {
        at += 600 + (i * i * 37) % 300;
        let agent = format!(
            "Mozilla/5.0 (Linux; Android {}; Phone{i}) Chrome/{}.0",
            8 + i,
            100 + i
        );
        assert_eq!(vote_as(w, &token, "203.0.113.50", &agent, at).await, 201);
    }
    // The same phone on IPv6 changes its last 64 bits freely: still one network.
    for suffix in [":1", "a:b:c:d", "ffff::7"] {
        let address = format!("2001:db8:42:7:{suffix}");
        at += 4000;
        assert_eq!(vote_as(w, &token, &address, "Phone/1", at).await, 201);
    }
    cron(w, HOURLY).await;
    assert_eq!(
        counted_and_flagged(w, employee),
        (2, 12),
        "one vote from the IPv4 address and one from the IPv6 /64"
    );
    assert_eq!(
        w.count(&format!("SELECT COUNT(*) FROM votes WHERE employee_id = {employee} AND flag_reason = 'shared_address'")),
        12
    );
}

#[tokio::test]
async fn a_guest_wifi_carrying_many_visitors_for_several_employees_counts_in_full() {
    let w = &Worker::start_with(
        &key(1),
        &[("SIMULATED_CLOCK", "on"), ("VOTE_DAILY_LIMIT", "500")],
    );
    let mut staff = Vec::new();
    for name in ["Перша", "Друга", "Третя", "Четверта"] {
        staff.push(w.employee_with_code(name).await);
    }
    // 28 visitors through the hall's one address over the day, for four employees, many with
    // the same popular phone and browser: nothing tells them apart but the spread.
    let mut at = MONDAY + 7 * 3600;
    for i in 0..28usize {
        at += 900 + ((i * i * 53) % 600) as i64;
        let (_, token) = &staff[(i * 7 + i / 3) % 4];
        assert_eq!(
            vote_as(
                w,
                token,
                "198.51.100.1",
                "Mozilla/5.0 (Linux; Android 10; K) Chrome/120.0.0.0 Mobile",
                at
            )
            .await,
            201
        );
    }
    cron(w, HOURLY).await;
    let mut counted = 0;
    for (employee, _) in &staff {
        let (c, flagged) = counted_and_flagged(w, *employee);
        assert_eq!(flagged, 0, "employee {employee}");
        counted += c;
    }
    assert_eq!(counted, 28);
}

#[tokio::test]
async fn the_daily_flood_cap_counts_a_network_whatever_browser_it_claims() {
    let w = &Worker::start_with(&key(1), &[("VOTE_DAILY_LIMIT", "3")]);
    let mut tokens = Vec::new();
    for i in 0..4 {
        tokens.push(w.employee_with_code(&format!("Працівниця {i}")).await.1);
    }
    for (i, t) in tokens.iter().take(3).enumerate() {
        let resp = w
            .vote_from(
                "2001:db8:9:9::1",
                &format!("Browser/{i}"),
                json!({"token": t, "score": 3}),
            )
            .await;
        assert_eq!(resp.status(), 201);
    }
    let held = w
        .vote_from(
            "2001:db8:9:9:ffff::2",
            "YetAnotherBrowser/9",
            json!({"token": tokens[3], "score": 3}),
        )
        .await;
    assert_eq!(
        held.status(),
        429,
        "the same /64 with a new browser is the same network"
    );
    let other = w
        .vote_from(
            "2001:db8:9:a::1",
            "Browser/0",
            json!({"token": tokens[3], "score": 3}),
        )
        .await;
    assert_eq!(other.status(), 201, "another /64 is another network");
}

/// A stand-in for Turnstile's siteverify on loopback (tests cannot reach Cloudflare): answers
/// `success` for answers starting with `pass-`, and keeps every form body it was sent.
fn siteverify() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = bodies.clone();
    let port = crate::helpers::loopback_service(move |body| {
        let success = body.contains("response=pass%2D") || body.contains("response=pass-");
        seen.lock().unwrap().push(body.to_owned());
        (
            "200 OK",
            format!(r#"{{"success":{success},"error-codes":[]}}"#),
        )
    });
    (format!("http://127.0.0.1:{port}/siteverify"), bodies)
}

#[tokio::test]
async fn with_turnstile_a_vote_needs_an_answer_that_verifies_and_a_failed_one_stores_nothing() {
    let (verify_url, bodies) = siteverify();
    let w = &Worker::start_with(
        &key(1),
        &[
            ("TURNSTILE_SITE_KEY", "1x00000000000000000000AA"),
            ("TURNSTILE_SECRET", "local-secret"),
            ("TURNSTILE_VERIFY_URL", &verify_url),
        ],
    );
    let (employee, token) = w.employee_with_code("Олена Коваль").await;
    let page = w
        .http
        .get(w.url(&format!("/r/{token}?lang=kk")))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src https://challenges.cloudflare.com"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"data-sitekey="1x00000000000000000000AA""#));

    let before = w.checksum();
    for answer in [None, Some("fail-1")] {
        let mut fields = vec![("score", "3"), ("lang", "kk")];
        if let Some(a) = answer {
            fields.push(("cf-turnstile-response", a));
        }
        let resp = w
            .vote_form(&token, &[("cf-connecting-ip", "203.0.113.5")], &fields)
            .await;
        assert_eq!(resp.status(), 422, "{answer:?}");
        let page = resp.text().await.unwrap();
        assert!(
            page.contains("Дауыс беретін адам екені расталмады"),
            "a localised message: {page}"
        );
    }
    let api = w.vote_json(json!({"token": token, "score": 3})).await;
    assert_eq!(api.status(), 403);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "challenge_failed");
    let api = w
        .vote_json(json!({"token": token, "score": 3, "turnstile": "fail-2"}))
        .await;
    assert_eq!(api.status(), 403);
    assert_eq!(w.checksum(), before, "a failed check stores nothing");

    let resp = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.6")],
            &[("score", "3"), ("cf-turnstile-response", "pass-1")],
        )
        .await;
    assert_eq!(resp.status(), 303);
    let api = w
        .vote_json(json!({"token": token, "score": 2, "turnstile": "pass-2"}))
        .await;
    assert_eq!(api.status(), 201);
    assert_eq!(w.votes_of(employee), 2);

    let sent = bodies.lock().unwrap().clone();
    assert_eq!(sent.len(), 4, "a missing answer is not even sent: {sent:?}");
    assert!(sent.iter().all(|b| b.contains("secret=local%2Dsecret")));
    assert!(
        sent.iter().all(|b| !b.contains("remoteip")),
        "no address goes to Cloudflare"
    );
}

#[tokio::test]
async fn an_appeal_filed_by_a_manager_and_upheld_by_another_admin_takes_the_vote_out() {
    let w = &Worker::start(&key(1));
    let hall = w.create_unit("Зал обслуговування", None).await;
    let other = w.create_unit("Інша громада", None).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністраторка", hall)
        .await;
    let token = w.issue_code(clerk).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for score in [1, 3, 3] {
        let resp = w.vote_json(json!({"token": token, "score": score})).await;
        assert_eq!(resp.status(), 201);
    }
    cron(w, HOURLY).await;
    assert_eq!(counted_and_flagged(w, clerk), (3, 0));
    let (low, high) = (
        w.count(&format!(
            "SELECT min(id) FROM votes WHERE employee_id = {clerk}"
        )),
        w.count(&format!(
            "SELECT max(id) FROM votes WHERE employee_id = {clerk}"
        )),
    );
    let (_, manager) = w
        .account("manager@city.example", "unit_admin", Some(hall))
        .await;
    let (_, stranger) = w
        .account("stranger@city.example", "unit_admin", Some(other))
        .await;
    let (_, viewer) = w.account("viewer@city.example", "viewer", Some(hall)).await;
    let file = |as_token: &str, vote: i64, reason: &str| {
        w.bearer(
            Method::POST,
            &format!("/api/v1/admin/votes/{vote}/appeal"),
            as_token,
        )
        .json(&json!({ "reason": reason }))
        .send()
    };
    let reason = "Оцінку поставлено, коли Олена була у відпустці";
    // A token's first use notes its time: do that before taking the checksum.
    for t in [&manager, &stranger, &viewer] {
        let me = w
            .bearer(Method::GET, "/api/v1/session", t)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200);
    }
    let before = w.checksum();
    assert_eq!(file(&viewer, low, reason).await.unwrap().status(), 403);
    assert_eq!(file(&stranger, low, reason).await.unwrap().status(), 404);
    assert_eq!(file(&manager, low, "коротко").await.unwrap().status(), 422);
    assert_eq!(file(&manager, 999_999, reason).await.unwrap().status(), 404);
    assert_eq!(w.checksum(), before, "refusals change nothing");

    assert_eq!(file(&manager, low, reason).await.unwrap().status(), 201);
    assert_eq!(
        file(&manager, low, reason).await.unwrap().status(),
        409,
        "one appeal per vote"
    );
    let listed: serde_json::Value = w
        .bearer(Method::GET, "/api/v1/admin/appeals?status=open", &viewer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["appeals"][0]["vote_id"], low, "{listed}");
    assert_eq!(listed["appeals"][0]["reason"], reason);
    assert_eq!(listed["appeals"][0]["filed_by"], "manager@city.example");
    let empty: serde_json::Value = w
        .bearer(Method::GET, "/api/v1/admin/appeals", &stranger)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(empty["appeals"], json!([]), "another branch sees none");

    let decide = |as_token: String, vote: i64, decision: &'static str| async move {
        w.bearer(
            Method::POST,
            &format!("/api/v1/admin/appeals/{vote}"),
            &as_token,
        )
        .json(&json!({ "decision": decision, "note": "Перевірено за графіком відпусток" }))
        .send()
        .await
        .unwrap()
        .status()
    };
    assert_eq!(
        decide(manager.clone(), low, "uphold").await,
        409,
        "who filed it does not decide it"
    );
    assert_eq!(decide(w.admin_token.clone(), low, "maybe").await, 422);
    assert_eq!(decide(w.admin_token.clone(), low, "uphold").await, 204);
    assert_eq!(decide(w.admin_token.clone(), low, "dismiss").await, 409);
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM votes WHERE id = {low} AND status = 'rejected'"
        )),
        1
    );

    // A dismissed appeal leaves its vote counted.
    assert_eq!(file(&manager, high, reason).await.unwrap().status(), 201);
    assert_eq!(decide(w.admin_token.clone(), high, "dismiss").await, 204);
    cron(w, HOURLY).await;
    assert_eq!(counted_and_flagged(w, clerk), (2, 0), "the upheld one left");
    let all: serde_json::Value = w.admin_get("/api/v1/admin/appeals").await;
    let decisions: Vec<&str> = all["appeals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["decision"].as_str().unwrap())
        .collect();
    assert_eq!(decisions, ["dismissed", "upheld"]);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('appeal_filed', 'appeal_upheld', 'appeal_dismissed')"),
        4
    );
}

#[tokio::test]
async fn with_the_rate_limiting_binding_a_phone_voting_for_many_employees_is_held_back() {
    let w = &Worker::start_with_bindings(
        &key(1),
        &[],
        "[[ratelimits]]\nname = \"VOTE_RATE_LIMITER\"\nnamespace_id = \"1001\"\nsimple = { limit = 3, period = 60 }\n",
    );
    let mut tokens = Vec::new();
    for i in 0..4 {
        tokens.push(w.employee_with_code(&format!("Працівник {i}")).await.1);
    }
    // The local limiter counts in fixed minutes: four votes straddling a minute's end would
    // be three in one and one in the next. Start early in a minute.
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second > 40 {
        tokio::time::sleep(std::time::Duration::from_secs(61 - second)).await;
    }
    let phone = |token: &str| {
        w.vote_from(
            "203.0.113.77",
            "Phone/1",
            json!({"token": token, "score": 3}),
        )
    };
    for t in tokens.iter().take(3) {
        assert_eq!(phone(t).await.status(), 201);
    }
    let before = w.checksum();
    let held = phone(&tokens[3]).await;
    assert_eq!(held.status(), 429);
    assert_eq!(held.headers()["retry-after"], "60");
    assert_eq!(
        w.checksum(),
        before,
        "nothing stored, not even the daily counter"
    );
    let other = w
        .vote_from(
            "203.0.113.78",
            "Phone/1",
            json!({"token": tokens[3], "score": 3}),
        )
        .await;
    assert_eq!(other.status(), 201, "another phone is not held back");
}

#[tokio::test]
async fn a_vote_while_the_database_fails_is_refused_with_retry_after_and_writes_nothing() {
    let w = &Worker::start(&key(1));
    let (employee, token) = w.employee_with_code("Олена Коваль").await;
    let ok = w.vote_json(json!({"token": token, "score": 3})).await;
    assert_eq!(ok.status(), 201);
    let before = w.checksum();
    // Another process holds the database's write lock, as a stuck or failing D1 would: every
    // write of the vote's batch fails.
    let lock = w.db();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let started = std::time::Instant::now();
    let refused = w.vote_json(json!({"token": token, "score": 1, "comment": "Довго чекала", "contact": "+380671234567"})).await;
    let status = refused.status();
    let retry = refused.headers().get("retry-after").cloned();
    let body: serde_json::Value = refused.json().await.unwrap_or_default();
    let page = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.9")],
            &[("score", "2"), ("lang", "fa")],
        )
        .await;
    let page_status = page.status();
    let page_retry = page.headers().get("retry-after").cloned();
    let page_text = page.text().await.unwrap();
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    eprintln!("refused after {:?}", started.elapsed());
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    assert_eq!(retry.unwrap(), "5");
    assert_eq!(page_status, 503);
    assert_eq!(page_retry.unwrap(), "5");
    assert!(page_text.contains("dir=\"rtl\""), "a localised page");
    assert_eq!(w.checksum(), before, "nothing half-written");
    assert_eq!(w.votes_of(employee), 1);
    // And once the database is back, votes go through again.
    let again = w.vote_json(json!({"token": token, "score": 2})).await;
    assert_eq!(again.status(), 201);
}

#[tokio::test]
async fn a_comment_reaches_the_public_results_only_once_published_and_as_moderated() {
    let w = &Worker::start_with(&key(1), &[("PUBLIC_RESULTS", "on")]);
    let unit = w.create_unit("ЦНАП Подільського району", None).await;
    let other = w.create_unit("Інша громада", None).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністраторка", unit)
        .await;
    let token = w.issue_code(clerk).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let said = "Допомогли швидко. Мій телефон 0671234567, Петро";
    let resp = w
        .vote_json(json!({"token": token, "score": 3, "comment": said}))
        .await;
    assert_eq!(resp.status(), 201);
    cron(w, HOURLY).await;
    let vote = w.count("SELECT max(id) FROM votes");
    let today = crate::results::today().to_string();
    let month = today[..7].to_owned();
    let public = || async {
        w.http
            .get(w.url(&format!("/results?unit={unit}&month={month}&lang=uk")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(
        !public().await.contains("Допомогли"),
        "not before moderation"
    );

    let (_, viewer) = w.account("viewer@city.example", "viewer", Some(unit)).await;
    let (_, stranger) = w
        .account("stranger@city.example", "unit_admin", Some(other))
        .await;
    let moderate = |token: String, body: serde_json::Value| async move {
        w.bearer(
            Method::POST,
            &format!("/api/v1/admin/comments/{vote}/moderation"),
            &token,
        )
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
    };
    let publish = json!({"decision": "publish", "text": "Допомогли швидко."});
    assert_eq!(moderate(viewer, publish.clone()).await, 403);
    assert_eq!(moderate(stranger, publish.clone()).await, 404);
    let root = w.admin_token.clone();
    assert_eq!(
        moderate(root.clone(), json!({"decision": "publish"})).await,
        422,
        "publishing needs the text"
    );
    assert_eq!(moderate(root.clone(), publish).await, 204);
    let page = public().await;
    assert!(
        page.contains("<blockquote dir=\"auto\">Допомогли швидко.</blockquote>"),
        "{page}"
    );
    assert!(!page.contains("0671234567"), "the cleaned text only");

    assert_eq!(moderate(root, json!({"decision": "withhold"})).await, 204);
    assert!(!public().await.contains("Допомогли"), "withheld again");
    let listed = w
        .admin_get(&format!(
            "/api/v1/admin/results/comments?unit={unit}&from={month}-01&to={}",
            today
        ))
        .await;
    assert_eq!(listed["comments"][0]["moderation"], "withheld", "{listed}");
    assert_eq!(
        listed["comments"][0]["comment"], said,
        "managers still read it whole"
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('comment_published', 'comment_withheld')"),
        2
    );
}

#[tokio::test]
async fn a_units_website_form_leads_to_the_same_protected_vote_for_the_chosen_employee() {
    let w = &Worker::start(&key(1));
    let unit = w.create_unit("ЦНАП Подільського району", None).await;
    let with_code = w
        .create_employee("Олена <b>Коваль</b>", "Адміністраторка", unit)
        .await;
    let without = w.create_employee("Петро Шевчук", "Начальник", unit).await;
    let none_yet = w
        .http
        .get(w.url(&format!("/f/{unit}?lang=uk")))
        .send()
        .await
        .unwrap();
    assert_eq!(none_yet.status(), 404, "no website codes, no form");
    w.issue_code_on(with_code, 4).await;
    let page = w
        .http
        .get(w.url(&format!("/f/{unit}?lang=fa")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("dir=\"rtl\""));
    assert!(
        html.contains("Олена &lt;b&gt;Коваль&lt;/b&gt;"),
        "names are escaped"
    );
    assert!(
        !html.contains("Петро"),
        "only employees with a website code"
    );
    let href = html
        .split("href=\"/r/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let token = href.split('?').next().unwrap().to_owned();
    let vote_page = w
        .http
        .get(w.url(&format!("/r/{href}")))
        .send()
        .await
        .unwrap();
    assert_eq!(vote_page.status(), 200);
    let phone = [("cf-connecting-ip", "203.0.113.40")];
    for _ in 0..2 {
        let resp = w.vote_form(&token, &phone, &[("score", "3")]).await;
        assert_eq!(resp.status(), 303);
    }
    cron(w, HOURLY).await;
    let stored: Vec<(i64, String)> = {
        let db = w.db();
        let mut stmt = db
            .prepare("SELECT channel, status FROM votes WHERE employee_id = ?1 ORDER BY id")
            .unwrap();
        stmt.query_map([with_code], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        stored,
        [(4, "counted".to_owned()), (4, "flagged".to_owned())],
        "a website vote, and its repeat from the same address left out by screening"
    );
    assert_eq!(w.votes_of(without), 0);
    for bad in ["/f/0", "/f/999999", "/f/abc"] {
        let resp = w.http.get(w.url(bad)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{bad}");
    }
}

#[tokio::test]
async fn a_receipt_checks_against_the_months_published_root_and_says_nothing_else() {
    use civicrate::receipt::{leaf, unhex, verify, Receipt, Step};
    let w = &Worker::start_with(
        &key(1),
        &[("PUBLIC_RESULTS", "on"), ("SIMULATED_CLOCK", "on")],
    );
    let (_, token) = w.employee_with_code("Олена Коваль").await;
    let last_month = crate::results::first_of_last_month();
    let at = last_month
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
        + 2 * 86_400;
    let token = &token;
    let vote = |phone: &'static str, at: Option<i64>| async move {
        let mut req = w
            .http
            .post(w.url("/api/v1/votes"))
            .header("cf-connecting-ip", phone)
            .json(&json!({"token": token, "score": 3}));
        if let Some(at) = at {
            req = req.header("x-simulated-time", at.to_string());
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 201);
        resp.json::<serde_json::Value>().await.unwrap()["receipt"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let counted = vote("203.0.113.61", Some(at)).await;
    let repeat = vote("203.0.113.61", Some(at + 60)).await;
    let other = vote("203.0.113.62", Some(at + 120)).await;
    let this_month = vote("203.0.113.63", None).await;
    assert_ne!(
        counted, repeat,
        "a repeat gets a receipt too: no signal at the vote"
    );

    // The form's thank-you page shows it.
    let form = w
        .vote_form(
            token,
            &[("cf-connecting-ip", "203.0.113.64")],
            &[("score", "2"), ("lang", "kk")],
        )
        .await;
    assert_eq!(form.status(), 303);
    let thanks = form.headers()["location"].to_str().unwrap().to_owned();
    let shown = thanks.split("receipt=").nth(1).unwrap().to_owned();
    let page = w
        .http
        .get(w.url(&thanks))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&shown) && page.contains("Түбіртегіңіз"),
        "{page}"
    );

    let check = |code: String| async move {
        w.http
            .get(w.url(&format!("/api/v1/public/receipts/{code}")))
            .send()
            .await
            .unwrap()
    };
    assert_eq!(
        check(counted.clone())
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap()["status"],
        "pending"
    );
    crate::results::cron(w, "30+0+1+*+*").await;

    let answer: serde_json::Value = check(counted.to_lowercase()).await.json().await.unwrap();
    assert_eq!(answer["status"], "counted", "{answer}");
    assert_eq!(answer["counted_votes"], 2);
    let root = unhex(answer["root"].as_str().unwrap()).unwrap();
    let path: Vec<Step> = answer["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Step {
            left: s["left"].as_bool().unwrap(),
            hash: s["hash"].as_str().unwrap().to_owned(),
        })
        .collect();
    let mine = leaf(&unhex(&Receipt::parse(&counted).unwrap().stored_hash()).unwrap());
    assert!(
        verify(mine, &path, &root),
        "the path leads from my receipt to the root"
    );
    assert!(!verify(
        leaf(&unhex(&Receipt::parse(&other).unwrap().stored_hash()).unwrap()),
        &path,
        &root
    ));
    let keys: Vec<&String> = answer.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["counted_votes", "leaf", "month", "path", "root", "status"],
        "nothing about the vote"
    );

    assert_eq!(
        check(repeat)
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap(),
        json!({"status": "not_counted"})
    );
    assert_eq!(
        check("00000-00000".into())
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap(),
        json!({"status": "not_counted"})
    );
    assert_eq!(
        check(this_month)
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap()["status"],
        "pending"
    );
    assert_eq!(check("not-a-receipt!".into()).await.status(), 422);

    let month = &last_month.to_string()[..7];
    let public = w
        .http
        .get(w.url(&format!("/results?month={month}&lang=en")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        public.contains(answer["root"].as_str().unwrap()),
        "the root is published"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM votes WHERE receipt_hash = '{}'",
            Receipt::parse(&counted).unwrap().stored_hash()
        )),
        1,
        "only the hash is kept"
    );
}

#[tokio::test]
async fn the_workers_own_log_lines_carry_no_secret_token_address_or_contact() {
    let w = &Worker::start_with(&key(1), &[("PUBLIC_RESULTS", "on")]);
    let (_, token) = w.employee_with_code("Олена Коваль").await;
    let address = "203.0.113.199";
    let contact = "olena.voter@example.org";
    let good = w
        .vote_from(
            address,
            "Phone/9",
            json!({"token": token, "score": 1, "comment": "Довго", "contact": contact}),
        )
        .await;
    assert_eq!(good.status(), 201);
    let receipt = good.json::<serde_json::Value>().await.unwrap()["receipt"]
        .as_str()
        .unwrap()
        .to_owned();
    // Failures are what get logged: a revoked code, a wrong password, a vote while D1 is locked.
    let revoke = w
        .admin(Method::DELETE, "/api/v1/admin/employees/1/qr")
        .send()
        .await
        .unwrap();
    assert!(revoke.status().is_success());
    let _ = w
        .vote_from(address, "Phone/9", json!({"token": token, "score": 2}))
        .await;
    let _ = w
        .sign_in("root@city.example", "not the password at all")
        .await;
    let (_, fresh) = w.employee_with_code("Петро Шевчук").await;
    let lock = w.db();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let locked = w
        .vote_from(address, "Phone/9", json!({"token": fresh, "score": 3}))
        .await;
    lock.execute_batch("ROLLBACK").unwrap();
    assert_eq!(locked.status(), 503);
    crate::results::cron(w, HOURLY).await;

    // wrangler writes its output to the file a little later than it happens.
    let mut log = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        log.clear();
        for entry in std::fs::read_dir(&w.dir).unwrap().flatten() {
            if entry.file_name().to_string_lossy().starts_with("wrangler-") {
                log.push_str(&std::fs::read_to_string(entry.path()).unwrap());
            }
        }
        if log.contains("cron: rolled up") && log.contains("store error") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // wrangler dev's own access lines ("[wrangler:info] GET /r/…") are the local stand-in for
    // Cloudflare's invocation logs, which production keeps off (wrangler.toml, docs/privacy.md).
    let ours: String = log
        .lines()
        .filter(|l| !l.contains("[wrangler:"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        ours.contains("store error"),
        "the failures were logged: {ours}"
    );
    let secret = key(1).split_once(':').unwrap().1.to_owned();
    for (what, needle) in [
        ("the signing key", secret.as_str()),
        ("the session key", crate::helpers::SESSION_KEY),
        ("the API token", w.admin_token.as_str()),
        ("a vote token", token.as_str()),
        ("another vote token", fresh.as_str()),
        ("the client's address", address),
        ("the contact", contact),
        ("the receipt", receipt.as_str()),
    ] {
        assert!(!ours.contains(needle), "{what} appears in the log:\n{ours}");
    }
}
