#![no_main]
//! Any text as a token: parsing and verification must never panic, and whatever parses and
//! verifies must behave consistently.

use civicrate::token::{KeyRing, Token};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    // Two fixed 32-byte keys (base64 of 0x01… and 0x02…); key 2 signs. The seeds in
    // corpus/token/ (`valid`, `valid_old_key`, `lowercase`, `typed`) verify under this ring.
    RING.get_or_init(|| {
        KeyRing::parse("1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=")
            .expect("fixed ring")
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(token) = Token::parse(&text) {
        // The canonical form is a fixed point of parsing.
        assert_eq!(Token::parse(token.as_str()).as_ref(), Ok(&token));
        assert_eq!(token.as_str().len(), civicrate::token::TOKEN_CHARS);
        if let Ok(claims) = ring().verify(&token) {
            // Whatever verifies, re-signed with the newest key, verifies to the same claims.
            assert_eq!(ring().verify(&ring().sign(&claims)), Ok(claims));
        }
    }
});
