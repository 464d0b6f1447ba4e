#![no_main]
//! Any bytes as a vote form body and as a JSON vote: parsing must never panic.

use civicrate::scale::Scale;
use civicrate::voting::vote::{Ballot, FormVote, JsonVote};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let scale = Scale::default_three();
    if let Ok(form) = FormVote::parse(data) {
        let criteria = form.criteria_numbers();
        let _ = Ballot::parse(form.score_number(), &form.comment, &form.contact, &criteria, &scale);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(vote) = serde_json::from_str::<JsonVote>(text) {
            let criteria = vote.criteria();
            let _ = vote.lang(civicrate::i18n::Lang::Uk);
            let _ = Ballot::parse(Some(vote.score), vote.comment.as_deref().unwrap_or(""), vote.contact.as_deref().unwrap_or(""), &criteria, &scale);
        }
    }
});
