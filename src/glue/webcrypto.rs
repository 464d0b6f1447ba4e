//! The runtime's WebCrypto (`crypto.subtle`), shared by password hashing (`auth`) and the
//! Cloudflare Access check (`cf_access`): native code, far faster than hashing in WASM.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

pub(crate) fn subtle() -> Result<web_sys::SubtleCrypto, String> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))
        .map_err(|_| String::from("no crypto global"))?;
    Ok(crypto.unchecked_into::<web_sys::Crypto>().subtle())
}

pub(crate) fn js_err(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            Reflect::get(&e, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| String::from("WebCrypto error"))
}
