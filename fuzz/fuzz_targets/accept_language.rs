#![no_main]
//! Any text as an `Accept-Language` header and as `?lang=`: negotiation must never panic and
//! always ends in a supported language.

use civicrate::i18n::{negotiate, Lang};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let chosen = negotiate(None, Some(text), Lang::Fa);
        assert!(Lang::ALL.contains(&chosen));
        if let Some((query, header)) = text.split_at_checked(text.len() / 2) {
            let _ = negotiate(Some(query), Some(header), Lang::Uk);
        }
    }
});
