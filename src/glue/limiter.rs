//! The optional Workers Rate Limiting binding (`VOTE_RATE_LIMITER` in `wrangler.toml`): a short
//! window (10 or 60 s) per network (IPv4 address or IPv6 /64) across all employees, counted at Cloudflare's edge before D1
//! is touched. D1's daily counter (`VOTE_DAILY_LIMIT`) holds the long limit, so an instance
//! without the binding (a local run, a free account) still has one.

use crate::token::KeyRing;
use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::Env;

const BINDING: &str = "VOTE_RATE_LIMITER";

/// The binding's counts are approximate and per location (Cloudflare's own documentation);
/// a minute is what a refused phone is told to wait.
pub const RETRY_AFTER_SECONDS: u32 = 60;

pub struct Limiter(JsValue);

impl Limiter {
    /// The binding, looked up by shape (an object with `limit`) rather than by constructor
    /// name, which differs between workerd in production and Miniflare.
    pub fn from_env(env: &Env) -> Option<Limiter> {
        let binding = Reflect::get(env, &JsValue::from_str(BINDING)).ok()?;
        let limit = Reflect::get(&binding, &JsValue::from_str("limit")).ok()?;
        limit.is_function().then_some(Limiter(binding))
    }

    /// `Ok(false)` when this network is over the short limit. The key is a keyed hash of the
    /// network (`service::Client::network`: the IPv4 address or IPv6 /64), never the address
    /// itself, and never the browser's User-Agent, which a script rotates freely.
    pub async fn allows(&self, ring: &KeyRing, network: &str) -> Result<bool, String> {
        let mac = ring.keyed_mac(b"civicrate/rate-limit/v2", network.as_bytes());
        let key: String = mac.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let err = |e: JsValue| format!("rate limiter: {e:?}");
        let limit: Function = Reflect::get(&self.0, &JsValue::from_str("limit"))
            .map_err(err)?
            .dyn_into()
            .map_err(err)?;
        let options = Object::new();
        Reflect::set(
            &options,
            &JsValue::from_str("key"),
            &JsValue::from_str(&key),
        )
        .map_err(err)?;
        let promise: Promise = limit
            .call1(&self.0, &options)
            .map_err(err)?
            .dyn_into()
            .map_err(err)?;
        let outcome = JsFuture::from(promise).await.map_err(err)?;
        Ok(Reflect::get(&outcome, &JsValue::from_str("success"))
            .map_err(err)?
            .as_bool()
            .unwrap_or(true))
    }
}
