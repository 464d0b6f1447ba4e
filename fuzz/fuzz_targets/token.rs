#![no_main]
//! Any text as a token: parsing and verification must never panic.

use civicrate::token::{KeyRing, Token};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    // Two fixed 32-byte keys (base64 of 0x01… and 0x02…).
    RING.get_or_init(|| {
        KeyRing::parse("1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=")
            .expect("fixed ring")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(token) = Token::parse(&text) {
        let _ = ring().verify(&token);
    }
});
