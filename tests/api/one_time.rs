//! One-time codes end to end: a batch printed for a unit, each code taking exactly one vote on
//! workerd with the local D1, verified votes counted apart by the real roll-up.

use crate::helpers::{shared, Worker};
use crate::results::cron_all;
use reqwest::Method;
use serde_json::{json, Value};

async fn print_batch(w: &Worker, unit: i64, body: Value) -> reqwest::Response {
    w.admin(
        Method::POST,
        &format!("/api/v1/admin/units/{unit}/one-time-codes"),
    )
    .json(&body)
    .send()
    .await
    .expect("batch")
}

async fn batch(w: &Worker, unit: i64, body: Value) -> Value {
    let resp = print_batch(w, unit, body).await;
    assert_eq!(
        resp.status(),
        201,
        "{}",
        resp.text().await.unwrap_or_default()
    );
    resp.json().await.expect("json")
}

fn tokens_of(batch: &Value) -> Vec<String> {
    batch["codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c["token"].as_str().expect("token").to_owned())
        .collect()
}

async fn vote(w: &Worker, token: &str, score: i64) -> reqwest::Response {
    w.vote_json(json!({"token": token, "score": score})).await
}

#[tokio::test]
async fn a_batch_prints_codes_that_each_take_exactly_one_verified_vote() {
    let w = shared();
    let unit = w.create_unit("Відділ листування", None).await;
    let olena = w.create_employee("Олена Коваль", "Спеціаліст", unit).await;
    let ivan = w.create_employee("Іван Бондар", "Спеціаліст", unit).await;
    let first = batch(
        w,
        unit,
        json!({"per_employee": 2, "channel": 2, "document": "№ 17/4-2026"}),
    )
    .await;
    assert_eq!(first["batch"]["codes"], 4, "{first}");
    assert_eq!(first["batch"]["document"], "№ 17/4-2026");
    let serials = |b: &Value, employee: i64| -> Vec<i64> {
        b["codes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["employee_id"] == employee)
            .map(|c| c["serial"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(serials(&first, olena), vec![1, 2]);
    assert_eq!(serials(&first, ivan), vec![1, 2]);
    // A second batch continues each employee's serials.
    let second = batch(w, unit, json!({"employees": [olena], "channel": 2})).await;
    assert_eq!(serials(&second, olena), vec![3]);

    let code = first["codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["employee_id"] == olena)
        .unwrap();
    let token = code["token"].as_str().unwrap();
    assert!(
        token.starts_with('0'),
        "version 2 starts with 0 or 1: {token}"
    );
    let page = w
        .http
        .get(w.url(&format!("/r/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Олена Коваль"));

    let resp = vote(w, token, 3).await;
    assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
    let again = vote(w, token, 1).await;
    assert_eq!(again.status(), 410);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"]["code"], "used_token");
    let page = w
        .http
        .get(w.url(&format!("/r/{token}?lang=en")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);
    assert!(page.text().await.unwrap().contains("already been used"));

    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM votes WHERE employee_id = {olena} AND verified = 1 AND score = 3"
        )),
        1
    );
    assert_eq!(w.votes_of(olena), 1, "the second use stored nothing");
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM one_time_codes WHERE employee_id = {olena} AND used = 1"
        )),
        0,
        "the code itself says nothing about its use"
    );
    let columns = w.count(
        "SELECT COUNT(*) FROM pragma_table_info('one_time_codes') WHERE name IN ('vote_id', 'used_at')",
    );
    assert_eq!(
        columns, 0,
        "nothing links a code (and its letter) to the vote it cast"
    );
    // A letter's batch and a batch of one code are both too pointed to count.
    let listed = w
        .admin_get(&format!("/api/v1/admin/units/{unit}/one-time-batches"))
        .await;
    assert_eq!(listed["batches"][1]["used"], Value::Null, "{listed}");
    assert_eq!(listed["batches"][1]["used_withheld"], "document");
    assert_eq!(listed["batches"][0]["used"], Value::Null);
    assert_eq!(listed["batches"][0]["used_withheld"], "few_codes");
    let codes = first["codes"].as_array().unwrap();
    assert!(
        codes.iter().all(|c| c.get("used").is_none()),
        "never per code: {first}"
    );
}

#[tokio::test]
async fn two_votes_racing_with_one_code_store_one() {
    let w = shared();
    let unit = w.create_unit("Черга ЦНАП", None).await;
    w.create_employee("Марія Шевчук", "Адміністратор", unit)
        .await;
    let printed = batch(w, unit, json!({"per_employee": 5})).await;
    for token in tokens_of(&printed) {
        let (a, b) = tokio::join!(vote(w, &token, 2), vote(w, &token, 3));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 410], "{token}");
    }
    let employee = printed["codes"][0]["employee_id"].as_i64().unwrap();
    assert_eq!(w.votes_of(employee), 5);
    let id = printed["batch"]["id"].as_i64().unwrap();
    let shown = w
        .admin_get(&format!("/api/v1/admin/one-time-batches/{id}"))
        .await;
    assert_eq!(shown["batch"]["used_withheld"], "few_codes", "{shown}");
}

#[tokio::test]
async fn a_large_queue_batch_counts_its_used_codes_from_the_spent_marks() {
    let w = shared();
    let unit = w.create_unit("Зала черги", None).await;
    w.create_employee("Тарас Олійник", "Адміністратор", unit)
        .await;
    w.create_employee("Ліна Кравець", "Адміністратор", unit)
        .await;
    let printed = batch(w, unit, json!({"per_employee": 6})).await;
    assert_eq!(printed["batch"]["used"], 0, "{}", printed["batch"]);
    let tokens = tokens_of(&printed);
    for token in tokens.iter().take(3) {
        assert_eq!(vote(w, token, 3).await.status(), 201);
    }
    let id = printed["batch"]["id"].as_i64().unwrap();
    let listed = w
        .admin_get(&format!("/api/v1/admin/units/{unit}/one-time-batches"))
        .await;
    assert_eq!(listed["batches"][0]["codes"], 12);
    assert_eq!(listed["batches"][0]["used"], 3, "{listed}");
    assert_eq!(listed["batches"][0]["used_withheld"], Value::Null);
    let shown = w
        .admin_get(&format!("/api/v1/admin/one-time-batches/{id}"))
        .await;
    assert_eq!(shown["batch"]["used"], 3);
}

#[tokio::test]
async fn verified_votes_are_counted_apart_in_the_results() {
    let w = shared();
    let unit = w.create_unit("Відділ перевірених голосів", None).await;
    let employee = w.create_employee("Петро Мельник", "Інспектор", unit).await;
    let standing = w.issue_code(employee).await;
    let printed = batch(w, unit, json!({"per_employee": 2})).await;
    for token in tokens_of(&printed) {
        assert_eq!(vote(w, &token, 1).await.status(), 201);
    }
    let standing = standing["token"].as_str().unwrap();
    assert_eq!(vote(w, standing, 3).await.status(), 201);
    // The shared instance: another test's run may hold the lease (this one would do nothing).
    cron_all(w).await;
    let today = crate::results::today();
    let r = w
        .admin_get(&format!(
            "/api/v1/admin/results/employees/{employee}?period=day&date={today}"
        ))
        .await;
    assert_eq!(r["totals"]["votes"], 3, "{r}");
    assert_eq!(r["totals"]["verified"], 2, "{r}");
    assert_eq!(r["totals"]["verified_average"], 1.0, "{r}");
    assert_eq!(
        w.count(&format!(
            "SELECT SUM(verified) FROM monthly_employee_stats WHERE employee_id = {employee}"
        )),
        2
    );
}

#[tokio::test]
async fn a_revoked_batch_takes_no_vote() {
    let w = shared();
    let unit = w.create_unit("Відділ загублених талонів", None).await;
    w.create_employee("Оксана Лисенко", "Спеціаліст", unit)
        .await;
    let lost = batch(w, unit, json!({"per_employee": 1})).await;
    let id = lost["batch"]["id"].as_i64().unwrap();
    let resp = w
        .admin(
            Method::POST,
            &format!("/api/v1/admin/one-time-batches/{id}/revoke"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let again = w
        .admin(
            Method::POST,
            &format!("/api/v1/admin/one-time-batches/{id}/revoke"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let token = &tokens_of(&lost)[0];
    let resp = vote(w, token, 3).await;
    assert_eq!(resp.status(), 410);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "revoked_token");
}

#[tokio::test]
async fn bad_batch_requests_are_refused_and_change_nothing() {
    let w = &Worker::start_with(&crate::helpers::key(1), &[("SIMULATED_CLOCK", "on")]);
    let unit = w.create_unit("Відділ", None).await;
    let other = w.create_unit("Інший відділ", None).await;
    let outsider = w.create_employee("Чужий", "Спеціаліст", other).await;
    let empty = w.create_unit("Порожній відділ", None).await;
    w.create_employee("Свій", "Спеціаліст", unit).await;
    let before = w.checksum();
    for (target, body, status, code) in [
        (unit, json!({"per_employee": 0}), 422, "invalid_field"),
        (unit, json!({"per_employee": 201}), 422, "invalid_field"),
        (unit, json!({"channel": 300}), 422, "invalid_field"),
        (unit, json!({"valid_days": 0}), 422, "invalid_field"),
        (
            unit,
            json!({"document": "x".repeat(61)}),
            422,
            "invalid_field",
        ),
        (unit, json!({"employees": [outsider]}), 422, "invalid_field"),
        (unit, json!({"employees": []}), 422, "invalid_field"),
        (unit, json!({"direction": 999}), 404, "not_found"),
        (unit, json!({"colour": "red"}), 422, "invalid_field"),
        (empty, json!({}), 409, "conflict"),
        (999_999, json!({}), 404, "not_found"),
    ] {
        let resp = print_batch(w, target, body.clone()).await;
        assert_eq!(resp.status(), status, "{body}");
        let answer: Value = resp.json().await.unwrap();
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
    }
    for path in [
        "/api/v1/admin/one-time-batches/999",
        "/api/v1/admin/one-time-batches/0",
        "/api/v1/admin/units/999999/one-time-batches",
    ] {
        let resp = w.admin(Method::GET, path).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
    }
    assert_eq!(w.checksum(), before);

    // A code past its batch's last day (the clock moved on with `X-Simulated-Time`).
    let old = batch(w, unit, json!({"valid_days": 1})).await;
    let token = tokens_of(&old)[0].clone();
    let employee = old["codes"][0]["employee_id"].as_i64().unwrap();
    let expires = old["batch"]["expires_at"].as_i64().unwrap();
    let vote_at = |at: i64| {
        w.http
            .post(w.url("/api/v1/votes"))
            .header("cf-connecting-ip", "198.51.100.7")
            .header("x-simulated-time", at.to_string())
            .json(&json!({"token": token, "score": 3}))
            .send()
    };
    let late = vote_at(expires).await.unwrap();
    assert_eq!(late.status(), 410);
    let answer: Value = late.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "revoked_token");
    assert_eq!(w.votes_of(employee), 0);
    assert_eq!(vote_at(expires - 60).await.unwrap().status(), 201);
}

#[tokio::test]
async fn the_slips_page_prints_every_code_used_or_not_with_the_document_number() {
    let w = shared();
    let unit = w.create_unit("Відділ звернень громадян", None).await;
    w.create_employee("Галина Ткаченко", "Головний спеціаліст", unit)
        .await;
    let printed = batch(
        w,
        unit,
        json!({"per_employee": 3, "channel": 2, "document": "№ 45/2"}),
    )
    .await;
    let id = printed["batch"]["id"].as_i64().unwrap();
    let tokens = tokens_of(&printed);
    assert_eq!(vote(w, &tokens[0], 2).await.status(), 201);
    let resp = w
        .admin(
            Method::GET,
            &format!("/admin/one-time-batches/{id}/slips?lang=uk"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert_eq!(
        html.matches("<article class=\"slip\">").count(),
        3,
        "leaving the used code out would tell which one was used"
    );
    assert!(html.contains("Галина Ткаченко") && html.contains("№ 45/2"));
    assert!(tokens.iter().all(|t| html.contains(t.as_str())));
    assert!(html.contains("<svg"));
}

/// The letter's code from a batch printed for one written reply, and queue tickets for the
/// same employee, all voted: nothing stored lets a reader of the database put the letter's
/// number beside its vote.
#[tokio::test]
async fn a_verified_vote_cannot_be_joined_or_ordered_back_to_its_serial_batch_or_letter() {
    let w = shared();
    let unit = w.create_unit("Відділ листів і черги", None).await;
    let clerk = w.create_employee("Ярина Гнатюк", "Спеціаліст", unit).await;
    let tickets = batch(w, unit, json!({"per_employee": 4})).await;
    let letter = batch(
        w,
        unit,
        json!({"channel": 2, "document": "Лист № 123/45 до Петренка"}),
    )
    .await;
    let more = batch(w, unit, json!({"per_employee": 4})).await;
    let ticket_tokens = tokens_of(&tickets);
    let more_tokens = tokens_of(&more);
    // Interleaved, so that the order of use is not the order of printing.
    for token in [&more_tokens[2], &ticket_tokens[1], &more_tokens[0]] {
        assert_eq!(vote(w, token, 3).await.status(), 201);
    }
    let resp = w
        .vote_json(
            json!({"token": tokens_of(&letter)[0], "score": 1, "comment": "Відповідь запізнилася"}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    for token in [&ticket_tokens[3], &more_tokens[1]] {
        assert_eq!(vote(w, token, 2).await.status(), 201);
    }
    let verified = w.count(&format!(
        "SELECT COUNT(*) FROM votes WHERE employee_id = {clerk} AND verified = 1"
    ));
    assert_eq!(verified, 6);

    // The join that used to work: vote → serial → code → batch → document.
    let joined = w.count(&format!(
        "SELECT COUNT(*) FROM votes v \
         JOIN one_time_codes o ON o.employee_id = v.employee_id AND o.channel = v.channel AND o.serial = v.qr_issue \
         JOIN one_time_batches b ON b.id = o.batch_id WHERE v.employee_id = {clerk}"
    ));
    assert_eq!(joined, 0, "no vote keeps its code's serial");
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM votes WHERE employee_id = {clerk} AND qr_issue <> 0"
        )),
        0
    );
    let vote_columns: Vec<String> = {
        let db = w.db();
        let mut st = db
            .prepare("SELECT name FROM pragma_table_info('votes')")
            .unwrap();
        let names = st.query_map([], |r| r.get(0)).unwrap();
        names.map(|n| n.unwrap()).collect()
    };
    assert!(
        vote_columns
            .iter()
            .all(|c| !c.contains("batch") && !c.contains("serial") && !c.contains("code")),
        "{vote_columns:?}"
    );
    // The codes carry no flag of use, and the spent set carries nothing but its marks.
    assert_eq!(
        w.count(&format!(
            "SELECT COUNT(*) FROM one_time_codes WHERE employee_id = {clerk} AND used <> 0"
        )),
        0
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM pragma_table_info('one_time_spent')"),
        1
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM pragma_table_info('one_time_spent') WHERE name = 'mark' AND pk = 1"),
        1
    );
    assert!(
        w.db().prepare("SELECT rowid FROM one_time_spent").is_err(),
        "no rowid: no order of insertion to read"
    );
    // Rows come back in the order of their marks, which is the order of an HMAC under the
    // server's key, not of use: the letter's mark sits wherever its hash puts it.
    let marks: Vec<String> = {
        let db = w.db();
        let mut st = db.prepare("SELECT mark FROM one_time_spent").unwrap();
        let rows = st.query_map([], |r| r.get(0)).unwrap();
        rows.map(|m| m.unwrap()).collect()
    };
    let mut sorted = marks.clone();
    sorted.sort();
    assert_eq!(marks, sorted);
    assert!(marks
        .iter()
        .all(|m| m.len() == 32 && m.chars().all(|c| c.is_ascii_hexdigit())));
    // With the key (as the worker holds it) the letter's code is among them; without it, a
    // mark names no serial: every code of the letter's employee hashes to some other value
    // under a key that is not the server's.
    let mark_of = |key_byte: u8, serial: u16, channel: u8| -> String {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&[key_byte; 32]).unwrap();
        mac.update(b"civicrate/one-time-spent/v1");
        let e = (clerk as u32).to_be_bytes();
        let n = serial.to_be_bytes();
        mac.update(&[0, e[0], e[1], e[2], e[3], channel, n[0], n[1]]);
        mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let letter_serial = letter["codes"][0]["serial"].as_i64().unwrap() as u16;
    assert!(marks.contains(&mark_of(1, letter_serial, 2)));
    assert!(!marks.contains(&mark_of(9, letter_serial, 2)));
    // And what managers see of the batches tells nothing about the letter.
    let listed = w
        .admin_get(&format!("/api/v1/admin/units/{unit}/one-time-batches"))
        .await;
    let letter_row = listed["batches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == letter["batch"]["id"])
        .unwrap()
        .clone();
    assert_eq!(letter_row["used"], Value::Null, "{letter_row}");
}

/// On an instance whose `HOME_SHARD` is 3, printed slips must carry shard 3: a slip of shard
/// 0 would name a database this instance does not have, and answer 404.
#[tokio::test]
async fn slips_of_an_instance_whose_home_shard_is_not_zero_carry_it_and_take_their_vote() {
    let w = &Worker::start_with(&crate::helpers::key(1), &[("HOME_SHARD", "3")]);
    let unit = w.create_unit("Районний ЦНАП", None).await;
    let employee = w
        .create_employee("Софія Руденко", "Адміністратор", unit)
        .await;
    let printed = batch(w, unit, json!({"per_employee": 2})).await;
    let tokens = tokens_of(&printed);
    // The shard is the third byte: symbols 4-5 of the base32 text hold bits 16-25.
    let shard_of = |t: &str| -> u8 {
        let alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let bits: u64 = t
            .chars()
            .take(6)
            .fold(0, |acc, c| (acc << 5) | alphabet.find(c).unwrap() as u64);
        ((bits >> (30 - 24)) & 0xff) as u8
    };
    assert!(tokens.iter().all(|t| shard_of(t) == 3), "{tokens:?}");
    let page = w
        .http
        .get(w.url(&format!("/r/{}", tokens[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(vote(w, &tokens[0], 3).await.status(), 201);
    assert_eq!(vote(w, &tokens[0], 3).await.status(), 410);
    assert_eq!(w.votes_of(employee), 1);
    assert_eq!(w.count("SELECT COUNT(*) FROM one_time_spent"), 1);
    let resp = w
        .admin(
            Method::GET,
            &format!(
                "/admin/one-time-batches/{}/slips?lang=en",
                printed["batch"]["id"]
            ),
        )
        .send()
        .await
        .unwrap();
    let html = resp.text().await.unwrap();
    assert!(tokens.iter().all(|t| html.contains(t.as_str())));
}
