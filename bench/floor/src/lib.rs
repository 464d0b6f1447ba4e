//! The benchmark floor: `POST /` reads a JSON vote and stores it with ONE D1 `INSERT`,
//! answering 201. No token check, no validation beyond the JSON shape, no other query: the
//! cheapest vote the runtime allows, for scripts/bench.sh to hold civicrate against.

use serde::Deserialize;
use wasm_bindgen::JsValue;
use worker::{event, Context, Date, Env, Method, Request, Response, Result};

#[derive(Deserialize)]
struct Vote {
    #[allow(dead_code)]
    token: String,
    score: u8,
}

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> Result<Response> {
    if req.method() != Method::Post || req.path() != "/" {
        return Response::error("not found", 404);
    }
    let vote: Vote = match req.json().await {
        Ok(vote) => vote,
        Err(_) => return Response::error("bad json", 400),
    };
    let client = req.headers().get("cf-connecting-ip")?.unwrap_or_default();
    let now = (Date::now().as_millis() / 1000) as f64;
    // Integers as f64: D1 refuses the BigInt a Rust i64 becomes.
    env.d1("DB")?
        .prepare(
            "INSERT INTO votes (employee_id, unit_id, channel, qr_issue, score, has_contact, lang, source, client_hash, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(&[
            JsValue::from_f64(1.0),
            JsValue::from_f64(1.0),
            JsValue::from_f64(0.0),
            JsValue::from_f64(1.0),
            JsValue::from_f64(f64::from(vote.score)),
            JsValue::from_f64(0.0),
            JsValue::from_str("uk"),
            JsValue::from_str("api"),
            JsValue::from_str(&client),
            JsValue::from_f64(now),
        ])?
        .run()
        .await?;
    Ok(Response::empty()?.with_status(201))
}
