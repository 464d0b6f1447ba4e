//! The instance's rating scale and the extra criteria rated apart from the employee. Each test
//! runs its own worker: the scale is instance-wide, and the tests read the database directly.

use crate::helpers::{key, Worker};
use reqwest::Method;
use serde_json::{json, Value};

async fn add_criterion(w: &Worker, code: &str, uk: &str, en: &str, position: i64) -> i64 {
    let resp = w
        .admin(Method::POST, "/api/v1/admin/criteria")
        .json(&json!({"code": code, "labels": {"uk": uk, "en": en}, "position": position}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        201,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    resp.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn vote_page(w: &Worker, token: &str) -> String {
    w.http
        .get(w.url(&format!("/r/{token}?lang=uk")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn vote_with_criteria_stores_them_apart_from_the_employee_score() {
    let w = Worker::start(&key(1));
    let waiting = add_criterion(&w, "waiting_time", "Час очікування", "Waiting time", 1).await;
    let premises = add_criterion(&w, "premises", "Приміщення", "Premises", 2).await;
    let (employee, token) = w.employee_with_code("Ганна Лисенко").await;

    let page = vote_page(&w, &token).await;
    assert!(page.contains(r#"name="c.waiting_time""#), "{page}");
    assert!(page.contains("Час очікування") && page.contains("Приміщення"));
    assert!(
        page.find("Час очікування") < page.find("Приміщення"),
        "criteria are shown by position"
    );

    let resp = w
        .vote_json(
            json!({"token": token, "score": 3, "criteria": {"waiting_time": 1, "premises": 2}}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let form = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.77")],
            &[
                ("score", "2"),
                ("c.waiting_time", "1"),
                ("c.premises", ""),
                ("lang", "uk"),
            ],
        )
        .await;
    assert_eq!(form.status(), 303);

    assert_eq!(
        w.count(&format!(
            "SELECT SUM(score) FROM votes WHERE employee_id = {employee}"
        )),
        5,
        "the employee's scores are 3 and 2, whatever the criteria say"
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM vote_criteria WHERE criterion_id = {waiting} AND score = 1"
        )),
        2
    );
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM vote_criteria WHERE criterion_id = {premises}"
        )),
        1,
        "an empty answer is no answer"
    );
    assert_eq!(
        w.count(
            "SELECT COUNT(*) FROM vote_criteria c LEFT JOIN votes v ON v.id = c.vote_id WHERE v.id IS NULL"
        ),
        0,
        "every rating belongs to its vote"
    );
}

#[tokio::test]
async fn criterion_answers_that_are_not_on_the_scale_or_unknown_are_refused_and_nothing_is_stored()
{
    let w = Worker::start(&key(1));
    add_criterion(&w, "waiting_time", "Час очікування", "Waiting time", 1).await;
    let (_, token) = w.employee_with_code("Богдан Савчук").await;
    let before = w.checksum();
    for (criteria, code) in [
        (json!({"waiting_time": 9}), "criterion_out_of_range"),
        (json!({"waiting_time": 0}), "criterion_out_of_range"),
        (json!({"parking": 2}), "unknown_criterion"),
    ] {
        let resp = w
            .vote_json(json!({"token": token, "score": 3, "criteria": criteria}))
            .await;
        assert_eq!(resp.status(), 422);
        assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], code);
    }
    let form = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.78")],
            &[
                ("score", "3"),
                ("c.waiting_time", "дуже"),
                ("comment", "<b>довго</b>"),
                ("lang", "uk"),
            ],
        )
        .await;
    assert_eq!(form.status(), 422);
    let page = form.text().await.unwrap();
    assert!(
        page.contains("Для додаткових запитань"),
        "a localised reason: {page}"
    );
    assert!(
        page.contains("&lt;b&gt;довго&lt;/b&gt;"),
        "the comment is kept, escaped"
    );
    let twice = w
        .vote_form(
            &token,
            &[("cf-connecting-ip", "203.0.113.79")],
            &[
                ("score", "3"),
                ("c.waiting_time", "1"),
                ("c.waiting_time", "2"),
            ],
        )
        .await;
    assert_eq!(twice.status(), 400);
    assert_eq!(w.checksum(), before);
}

#[tokio::test]
async fn an_inactive_criterion_is_not_shown_and_is_refused() {
    let w = Worker::start(&key(1));
    let id = add_criterion(&w, "premises", "Приміщення", "Premises", 1).await;
    let (_, token) = w.employee_with_code("Віра Гнатюк").await;
    let resp = w
        .admin(Method::PATCH, &format!("/api/v1/admin/criteria/{id}"))
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert!(!vote_page(&w, &token).await.contains("Приміщення"));
    let resp = w
        .vote_json(json!({"token": token, "score": 3, "criteria": {"premises": 1}}))
        .await;
    assert_eq!(resp.status(), 422);
    let scale: Value = w.admin_get("/api/v1/admin/scale").await;
    assert_eq!(
        scale["criteria"][0]["active"], false,
        "kept, for past ratings"
    );
}

#[tokio::test]
async fn only_a_superadmin_changes_the_scale_and_the_criteria() {
    let w = Worker::start(&key(1));
    let unit = w.create_unit("Відділ", None).await;
    let (_, unit_admin) = w.account("ua@city.example", "unit_admin", Some(unit)).await;
    let (_, viewer) = w.account("viewer@city.example", "viewer", Some(unit)).await;
    // Not the whole database's checksum: using an API token stamps its `last_used_at`.
    let scale_now = || {
        w.count("SELECT COUNT(*) FROM scale_levels") * 1000
            + w.count("SELECT COUNT(*) FROM criteria")
    };
    let before = scale_now();
    for token in [&unit_admin, &viewer] {
        let put = w
            .bearer(Method::PUT, "/api/v1/admin/scale", token)
            .json(&json!({"levels": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 403);
        let post = w
            .bearer(Method::POST, "/api/v1/admin/criteria", token)
            .json(&json!({"code": "x", "labels": {"en": "X"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 403);
        let get = w
            .bearer(Method::GET, "/api/v1/admin/scale", token)
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 200, "anyone signed in reads it");
    }
    assert_eq!(scale_now(), before);
    assert_eq!(
        w.count(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('scale_changed', 'criterion_created')"
        ),
        0
    );
}

#[tokio::test]
async fn a_new_scale_shows_on_the_vote_page_and_a_level_in_use_cannot_be_removed() {
    let w = Worker::start(&key(1));
    let (_, token) = w.employee_with_code("Микола Кравець").await;
    let four = json!({"levels": [
        {"value": 1, "colour": "#d93025", "face": "frown", "labels": {"uk": "Погано", "en": "Poor"}},
        {"value": 2, "colour": "#f9ab00", "face": "flat", "labels": {"uk": "Задовільно", "en": "Fair"}},
        {"value": 3, "colour": "#7cb342", "face": "smile", "labels": {"uk": "Добре", "en": "Good"}},
        {"value": 4, "colour": "#188038", "face": "grin", "labels": {"uk": "Відмінно", "en": "Excellent"}}
    ]});
    let resp = w
        .admin(Method::PUT, "/api/v1/admin/scale")
        .json(&four)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    let page = vote_page(&w, &token).await;
    assert!(
        page.contains(r#"id="score-4""#) && page.contains("Відмінно"),
        "{page}"
    );
    assert_eq!(
        w.vote_json(json!({"token": token, "score": 4}))
            .await
            .status(),
        201
    );

    let before = w.checksum();
    let without_four = json!({"levels": [
        {"value": 1, "colour": "#d93025", "labels": {"uk": "Погано"}},
        {"value": 2, "colour": "#188038", "labels": {"uk": "Добре"}}
    ]});
    let resp = w
        .admin(Method::PUT, "/api/v1/admin/scale")
        .json(&without_four)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 409);
    let bad = json!({"levels": [{"value": 1, "colour": "red", "labels": {"uk": "x"}}, {"value": 2, "colour": "#000000", "labels": {"uk": "y"}}]});
    let resp = w
        .admin(Method::PUT, "/api/v1/admin/scale")
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("#rrggbb"));
    assert_eq!(w.checksum(), before, "refused changes write nothing");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'scale_changed'"),
        1
    );
}

/// A criterion's figures in a results view, by code.
fn criterion<'a>(list: &'a Value, code: &str) -> &'a Value {
    list.as_array()
        .and_then(|l| l.iter().find(|c| c["code"] == code))
        .unwrap_or_else(|| panic!("no {code} in {list}"))
}

/// Asserts a criterion's count per level (1, 2, 3), its ratings and its average.
fn assert_criterion(list: &Value, code: &str, levels: [i64; 3], average: f64, what: &str) {
    let c = criterion(list, code);
    let by: Vec<i64> = ["1", "2", "3"]
        .iter()
        .map(|l| c["by_score"][*l].as_i64().unwrap())
        .collect();
    assert_eq!(by, levels, "{what}: {code} per level in {c}");
    assert_eq!(c["votes"], levels.iter().sum::<i64>(), "{what}: {code}");
    if levels.iter().sum::<i64>() == 0 {
        assert!(c["average"].is_null(), "{what}: {code} has no average");
        return;
    }
    let got = c["average"].as_f64().unwrap();
    assert!((got - average).abs() < 1e-3, "{what}: {code} average {got}");
}

#[tokio::test]
async fn criteria_results_show_per_employee_unit_and_direction_from_counted_votes_only() {
    use crate::results::{cron, HOURLY};
    let w = &Worker::start(&key(1));
    add_criterion(w, "waiting_time", "Час очікування", "Waiting time", 1).await;
    add_criterion(w, "premises", "Приміщення", "Premises", 2).await;
    let city = w.create_unit("Місто", None).await;
    let office = w.create_unit("ЦНАП", Some(city)).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністратор", office)
        .await;
    let head = w.create_employee("Петро Бондар", "Начальник", city).await;
    let made = w
        .admin(Method::POST, "/api/v1/admin/directions")
        .json(&json!({"name": "Пенсії"}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let direction = made.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let resp = w
        .admin(
            Method::POST,
            &format!("/api/v1/admin/employees/{clerk}/qr?channel=0&direction={direction}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let clerk_token = resp.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let head_token = w.issue_code(head).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let vote = |token: &str, score: i64, criteria: Value| {
        let body = json!({"token": token, "score": score, "criteria": criteria});
        async move {
            let resp = w.vote_json(body).await;
            assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
        }
    };
    vote(&clerk_token, 3, json!({"waiting_time": 1, "premises": 3})).await;
    vote(&clerk_token, 2, json!({"waiting_time": 2, "premises": 3})).await;
    vote(&clerk_token, 3, json!({"waiting_time": 1})).await;
    vote(&head_token, 1, json!({"waiting_time": 3, "premises": 1})).await;
    // Votes that do not count (waiting for review, rejected, a repeat) leave no trace in the
    // criteria either, however they rated them.
    for status in ["flagged", "rejected", "duplicate"] {
        vote(&clerk_token, 3, json!({"waiting_time": 3, "premises": 1})).await;
        w.db()
            .execute(
                "UPDATE votes SET status = ?1 WHERE id = (SELECT MAX(id) FROM votes)",
                [status],
            )
            .unwrap();
    }
    cron(w, HOURLY).await;

    let employee = w
        .admin_get(&format!("/api/v1/admin/results/employees/{clerk}"))
        .await;
    assert_criterion(
        &employee["criteria"],
        "waiting_time",
        [2, 1, 0],
        4.0 / 3.0,
        "employee",
    );
    assert_criterion(
        &employee["criteria"],
        "premises",
        [0, 0, 2],
        3.0,
        "employee",
    );
    assert_eq!(
        employee["criteria"][0]["code"], "waiting_time",
        "in the vote page's order"
    );
    let subtree = w
        .admin_get(&format!("/api/v1/admin/results/units/{city}"))
        .await;
    assert_criterion(
        &subtree["criteria"],
        "waiting_time",
        [2, 1, 1],
        7.0 / 4.0,
        "city subtree",
    );
    assert_criterion(
        &subtree["criteria"],
        "premises",
        [1, 0, 2],
        7.0 / 3.0,
        "city subtree",
    );
    assert_eq!(
        subtree["criteria"][0]["enough"], false,
        "4 ratings are below 10"
    );
    let own = w
        .admin_get(&format!("/api/v1/admin/results/units/{office}"))
        .await;
    assert_criterion(
        &own["criteria"],
        "waiting_time",
        [2, 1, 0],
        4.0 / 3.0,
        "office",
    );
    let directions = w.admin_get("/api/v1/admin/results/directions").await;
    let pensions = directions["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["direction_id"] == direction)
        .unwrap_or_else(|| panic!("{directions}"));
    assert_criterion(
        &pensions["criteria"],
        "waiting_time",
        [2, 1, 0],
        4.0 / 3.0,
        "direction",
    );
    assert_criterion(
        &pensions["criteria"],
        "premises",
        [0, 0, 2],
        3.0,
        "direction",
    );
    // A manager of another branch sees the direction's criteria of their own subtree only.
    let other = w.create_unit("Інше село", None).await;
    let (_, token) = w
        .account("other@city.example", "unit_admin", Some(other))
        .await;
    let theirs: Value = w
        .bearer(Method::GET, "/api/v1/admin/results/directions", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pensions = theirs["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["direction_id"] == direction)
        .unwrap_or_else(|| panic!("{theirs}"));
    assert_criterion(
        &pensions["criteria"],
        "waiting_time",
        [0, 0, 0],
        0.0,
        "other branch",
    );

    // A correction (a counted vote rejected after the fact) followed by a recompute takes its
    // ratings out of the day and of the month alike.
    w.db()
        .execute(
            &format!("UPDATE votes SET status = 'rejected' WHERE id = (SELECT MIN(id) FROM votes WHERE employee_id = {clerk})"),
            [],
        )
        .unwrap();
    let today = crate::results::today().format("%Y-%m-%d").to_string();
    let resp = w
        .admin(
            Method::POST,
            &format!("/api/v1/admin/results/recompute?from={today}&to={today}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let employee = w
        .admin_get(&format!("/api/v1/admin/results/employees/{clerk}"))
        .await;
    assert_criterion(
        &employee["criteria"],
        "waiting_time",
        [1, 1, 0],
        1.5,
        "after recompute",
    );
    assert_criterion(
        &employee["criteria"],
        "premises",
        [0, 0, 1],
        3.0,
        "after recompute",
    );
    let months = "SELECT month, employee_id, unit_id, direction_id, criterion_id, score, SUM(counted) FROM monthly_criteria_stats GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(counted) <> 0 ORDER BY 1, 2, 3, 4, 5, 6";
    let days = "SELECT substr(day, 1, 7), employee_id, unit_id, direction_id, criterion_id, score, SUM(counted) FROM daily_criteria_stats GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(counted) <> 0 ORDER BY 1, 2, 3, 4, 5, 6";
    assert_eq!(
        rows_of(w, months),
        rows_of(w, days),
        "a month is the sum of its days"
    );
}

fn rows_of(w: &Worker, sql: &str) -> Vec<Vec<i64>> {
    let db = w.db();
    let mut st = db.prepare(sql).unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        (1..n)
            .map(|i| r.get::<_, i64>(i))
            .collect::<Result<Vec<_>, _>>()
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[tokio::test]
async fn the_monthly_report_shows_each_criterion_in_json_csv_and_print() {
    use crate::results::{commented, cron, first_of_last_month, insert};
    let w = &Worker::start(&key(1));
    let waiting = add_criterion(w, "waiting_time", "Час очікування", "Waiting time", 1).await;
    let premises = add_criterion(w, "premises", "Приміщення", "Premises", 2).await;
    let city = w.create_unit("Місто", None).await;
    let office = w.create_unit("ЦНАП", Some(city)).await;
    let clerk = w
        .create_employee("Олена Коваль", "Адміністратор", office)
        .await;
    let head = w.create_employee("Петро Бондар", "Начальник", city).await;
    insert(
        w,
        &[
            commented(clerk, office, 3, "дякую"),
            commented(head, city, 1, "довго"),
            commented(clerk, office, 2, "нормально"),
            commented(clerk, office, 3, "повтор"),
        ],
    );
    let db = w.db();
    let id = |n: i64| n + w.count("SELECT MIN(id) FROM votes") - 1;
    for (vote, criterion, score) in [
        (1, waiting, 2),
        (2, waiting, 1),
        (2, premises, 1),
        (3, waiting, 3),
        (4, waiting, 1),
    ] {
        db.execute(
            "INSERT INTO vote_criteria (vote_id, criterion_id, score) VALUES (?1, ?2, ?3)",
            [id(vote), criterion, score],
        )
        .unwrap();
    }
    db.execute(
        "UPDATE votes SET status = 'duplicate' WHERE id = ?1",
        [id(4)],
    )
    .unwrap();
    cron(w, "30+0+1+*+*").await;
    let month = first_of_last_month().format("%Y-%m").to_string();
    let base = format!("/api/v1/admin/results/units/{city}/monthly?month={month}");
    let report = w.admin_get(&base).await;
    assert_criterion(
        &report["criteria"],
        "waiting_time",
        [1, 1, 1],
        2.0,
        "report",
    );
    assert_criterion(&report["criteria"], "premises", [1, 0, 0], 1.0, "report");

    let csv = w
        .admin(Method::GET, &format!("{base}&format=csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].ends_with(",criterion,criterion_label,level"),
        "{csv}"
    );
    let row = |section: &str, code: &str, level: &str| {
        lines
            .iter()
            .find(|l| {
                l.starts_with(&format!("{section},{city},Місто,{month},,,"))
                    && l.ends_with(&format!(",{code},{},{level}", criterion_label(code)))
            })
            .unwrap_or_else(|| panic!("no {section} {code} {level} in {csv}"))
            .split(',')
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let waiting_row = row("criterion", "waiting_time", "");
    assert_eq!(
        (waiting_row[6].as_str(), waiting_row[7].as_str()),
        ("3", "2.00")
    );
    assert_eq!(row("criterion_level", "waiting_time", "1")[6], "1");
    assert_eq!(row("criterion_level", "premises", "1")[6], "1");
    assert_eq!(row("criterion_level", "premises", "3")[6], "0");

    let page = w
        .admin(Method::GET, &format!("{base}&format=html&lang=uk"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Додаткові критерії"), "{page}");
    let from = page
        .find("Час очікування")
        .expect("the criterion, in Ukrainian");
    let row_html = &page[from..from + page[from..].find("</tr>").unwrap()];
    assert!(
        row_html.contains("<td>3</td><td>2,00</td>")
            || row_html.contains("<td>3</td><td>2.00</td>"),
        "{row_html}"
    );
}

fn criterion_label(code: &str) -> &'static str {
    match code {
        "waiting_time" => "Waiting time",
        _ => "Premises",
    }
}
