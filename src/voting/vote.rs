//! A citizen's vote as it arrives: parsed from a form or JSON into types that cannot hold
//! bad values.

use crate::i18n::{normalize_input, Lang};
use crate::scale::Scale;
use serde::Deserialize;

/// A level of the instance's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score(u8);

impl Score {
    pub fn parse(n: i64, scale: &Scale) -> Result<Score, InputError> {
        if scale.contains(n) {
            u8::try_from(n)
                .map(Score)
                .map_err(|_| InputError::ScoreOutOfScale)
        } else {
            Err(InputError::ScoreOutOfScale)
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// Free text from the citizen: at most 1,000 characters after trimming; control characters
/// other than line breaks and tabs are dropped. Kept as the citizen wrote it, digits and letters
/// included: a Persian or Arabic comment is read by people, so only matching (a contact) normalises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment(String);

impl Comment {
    pub const MAX_CHARS: usize = 1000;

    pub fn parse(raw: &str) -> Result<Option<Comment>, InputError> {
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
            .collect();
        // Browsers send line breaks as CRLF; count them as one character, as the textarea did.
        let cleaned = cleaned.trim();
        if cleaned.is_empty() {
            return Ok(None);
        }
        if cleaned.chars().count() > Self::MAX_CHARS {
            return Err(InputError::CommentTooLong);
        }
        Ok(Some(Comment(cleaned.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A way to reach the citizen: an e-mail address or a phone number (7 to 15 digits, an
/// optional leading +, spaces, dashes, dots and brackets ignored; Persian digits accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact(String);

impl Contact {
    pub fn parse(raw: &str) -> Result<Option<Contact>, InputError> {
        let s = normalize_input(raw);
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        if s.contains('@') {
            return if is_email(s) {
                Ok(Some(Contact(s.to_owned())))
            } else {
                Err(InputError::InvalidContact)
            };
        }
        let mut out = String::with_capacity(16);
        for (i, c) in s.chars().enumerate() {
            match c {
                '+' if i == 0 => out.push('+'),
                '0'..='9' => out.push(c),
                ' ' | '-' | '.' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(InputError::InvalidContact),
            }
        }
        let digits = out.trim_start_matches('+').len();
        if (7..=15).contains(&digits) {
            Ok(Some(Contact(out)))
        } else {
            Err(InputError::InvalidContact)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';')
        })
        && !domain.contains('@')
}

/// Why a vote's fields were refused. Each maps to a 4xx answer; none is logged as an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("choose one of the rating's levels")]
    ScoreMissing,
    #[error("the score is not a level of this instance's scale")]
    ScoreOutOfScale,
    #[error("the comment is longer than 1000 characters")]
    CommentTooLong,
    #[error("the contact is neither an e-mail address nor a phone number")]
    InvalidContact,
    #[error("unsupported language; use one of uk, ru, kk, fa, en")]
    UnknownLanguage,
    /// A criterion that is not (or no longer) rated here, or one sent more than once.
    #[error("an extra criterion is not one of this instance's active criteria")]
    UnknownCriterion,
    /// A criterion's score is not a level of the scale.
    #[error("a criterion's score is not a level of this instance's scale")]
    CriterionOutOfScale,
}

/// At most this many criterion ratings in one vote.
pub const MAX_CRITERIA: usize = 20;

/// The fields of a vote, checked against the scale. The token is checked separately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    pub score: Score,
    pub comment: Option<Comment>,
    pub contact: Option<Contact>,
    /// (criterion id, score) of the extra criteria the citizen chose to rate.
    pub criteria: Vec<(i64, Score)>,
}

impl Ballot {
    /// `criteria` are (code, score) as sent; each must be an active criterion of `scale`,
    /// at most once, with a score on the scale.
    pub fn parse(
        score: Option<i64>,
        comment: &str,
        contact: &str,
        criteria: &[(String, i64)],
        scale: &Scale,
    ) -> Result<Ballot, InputError> {
        let score = Score::parse(score.ok_or(InputError::ScoreMissing)?, scale)?;
        if criteria.len() > MAX_CRITERIA {
            return Err(InputError::UnknownCriterion);
        }
        let mut rated: Vec<(i64, Score)> = Vec::with_capacity(criteria.len());
        for (code, value) in criteria {
            let criterion = scale.criterion(code).ok_or(InputError::UnknownCriterion)?;
            if rated.iter().any(|(id, _)| *id == criterion.id) {
                return Err(InputError::UnknownCriterion);
            }
            let value = Score::parse(*value, scale).map_err(|_| InputError::CriterionOutOfScale)?;
            rated.push((criterion.id, value));
        }
        Ok(Ballot {
            score,
            comment: Comment::parse(comment)?,
            contact: Contact::parse(contact)?,
            criteria: rated,
        })
    }
}

/// `POST /api/v1/votes` body. Unknown fields are refused so that a typo is not silently lost.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonVote {
    pub token: String,
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
    /// Extra criteria: `{"waiting_time": 2}`.
    #[serde(default)]
    pub criteria: std::collections::BTreeMap<String, i64>,
    /// The Cloudflare Turnstile answer, required when the instance configures Turnstile.
    #[serde(default)]
    pub turnstile: Option<String>,
}

impl JsonVote {
    pub fn criteria(&self) -> Vec<(String, i64)> {
        self.criteria.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// An absent language means the instance default; a present, unsupported one is an error.
    pub fn lang(&self, default: Lang) -> Result<Lang, InputError> {
        match self.lang.as_deref() {
            None => Ok(default),
            Some(code) => Lang::parse(code)
                .filter(|l| l.code() == code.to_ascii_lowercase())
                .ok_or(InputError::UnknownLanguage),
        }
    }
}

/// The vote page's form fields, as sent by the browser.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FormVote {
    pub score: Option<String>,
    pub comment: String,
    pub contact: String,
    pub lang: Option<String>,
    /// The page's signed serving time (`integrity::PageStamp`).
    pub stamp: Option<String>,
    /// `c.CODE=VALUE` fields of the extra criteria, in order; empty values are left out.
    pub criteria: Vec<(String, String)>,
    /// `cf-turnstile-response`, which the Turnstile widget adds to the form.
    pub challenge: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the form is not valid UTF-8")]
    InvalidUtf8,
    #[error("the field `{0}` appears more than once")]
    DuplicateField(&'static str),
    #[error("too many fields")]
    TooManyFields,
}

impl FormVote {
    /// Parses `application/x-www-form-urlencoded`. Percent-escapes must decode to UTF-8
    /// (a lossy decode would store replacement characters); a field sent twice is refused
    /// rather than guessing which one the citizen meant; unknown fields are ignored, as
    /// browsers and extensions add their own.
    pub fn parse(body: &[u8]) -> Result<FormVote, FormError> {
        let mut form = FormVote::default();
        let mut seen = [false; 6];
        let mut criteria_seen: Vec<String> = Vec::new();
        for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let mut kv = pair.splitn(2, |b| *b == b'=');
            let key = decode_component(kv.next().unwrap_or_default())?;
            let value = decode_component(kv.next().unwrap_or_default())?;
            let (slot, name) = match key.as_str() {
                "score" => (0, "score"),
                "comment" => (1, "comment"),
                "contact" => (2, "contact"),
                "lang" => (3, "lang"),
                "t" => (4, "t"),
                "cf-turnstile-response" => (5, "cf-turnstile-response"),
                other => {
                    if let Some(code) = other.strip_prefix("c.") {
                        if criteria_seen.iter().any(|c| c == code) {
                            return Err(FormError::DuplicateField("c.*"));
                        }
                        if criteria_seen.len() >= MAX_CRITERIA {
                            return Err(FormError::TooManyFields);
                        }
                        criteria_seen.push(code.to_owned());
                        if !value.trim().is_empty() {
                            form.criteria.push((code.to_owned(), value));
                        }
                    }
                    continue;
                }
            };
            if let Some(seen) = seen.get_mut(slot) {
                if *seen {
                    return Err(FormError::DuplicateField(name));
                }
                *seen = true;
            }
            match slot {
                0 => form.score = Some(value),
                1 => form.comment = value,
                2 => form.contact = value,
                3 => form.lang = Some(value),
                4 => form.stamp = Some(value),
                _ => form.challenge = Some(value),
            }
        }
        Ok(form)
    }

    /// The score as a number; anything that is not a plain integer counts as no choice.
    /// The criteria as numbers; anything that is not a small integer becomes -1, which no
    /// scale has, so it is refused as off the scale rather than silently dropped.
    pub fn criteria_numbers(&self) -> Vec<(String, i64)> {
        self.criteria
            .iter()
            .map(|(code, v)| {
                let v = v.trim();
                let n = if v.len() <= 3 {
                    v.parse().unwrap_or(-1)
                } else {
                    -1
                };
                (code.clone(), n)
            })
            .collect()
    }

    pub fn score_number(&self) -> Option<i64> {
        self.score
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 3)
            .and_then(|s| s.parse().ok())
    }
}

fn decode_component(raw: &[u8]) -> Result<String, FormError> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
    String::from_utf8(bytes).map_err(|_| FormError::InvalidUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scale() -> Scale {
        Scale::default_three()
    }

    #[test]
    fn score_outside_the_scale_is_refused() {
        assert_eq!(Score::parse(0, &scale()), Err(InputError::ScoreOutOfScale));
        assert_eq!(Score::parse(4, &scale()), Err(InputError::ScoreOutOfScale));
        assert_eq!(
            Score::parse(i64::MIN, &scale()),
            Err(InputError::ScoreOutOfScale)
        );
        assert_eq!(Score::parse(2, &scale()).map(Score::get), Ok(2));
    }

    #[test]
    fn comment_longer_than_a_thousand_characters_is_refused() {
        assert_eq!(
            Comment::parse(&"ї".repeat(1000)).map(|c| c.is_some()),
            Ok(true)
        );
        assert_eq!(
            Comment::parse(&"ї".repeat(1001)),
            Err(InputError::CommentTooLong)
        );
        assert_eq!(Comment::parse("   \n "), Ok(None));
    }

    #[test]
    fn comment_drops_control_characters_and_keeps_what_the_citizen_wrote() {
        let c = Comment::parse("a\u{0}b\u{7}\nكي ۱۲ ٣٤").unwrap().unwrap();
        assert_eq!(c.as_str(), "ab\nكي ۱۲ ٣٤");
    }

    #[test]
    fn contact_accepts_phones_with_persian_digits_and_emails() {
        assert_eq!(
            Contact::parse("+38 (067) 123-45-67")
                .unwrap()
                .unwrap()
                .as_str(),
            "+380671234567"
        );
        assert_eq!(
            Contact::parse("۰۹۱۲۳۴۵۶۷۸۹").unwrap().unwrap().as_str(),
            "09123456789"
        );
        assert_eq!(
            Contact::parse(" olena@example.ua ")
                .unwrap()
                .unwrap()
                .as_str(),
            "olena@example.ua"
        );
        assert_eq!(Contact::parse(""), Ok(None));
        for bad in [
            "12345",
            "call me",
            "a@b",
            "@x.ua",
            "x@.ua",
            "<a@b.ua>",
            "1+2345678",
            "a@b@c.ua",
        ] {
            assert_eq!(
                Contact::parse(bad),
                Err(InputError::InvalidContact),
                "{bad}"
            );
        }
    }

    #[test]
    fn form_with_a_duplicated_score_is_refused() {
        assert_eq!(
            FormVote::parse(b"score=1&score=3"),
            Err(FormError::DuplicateField("score"))
        );
    }

    #[test]
    fn form_with_invalid_utf8_escapes_is_refused() {
        assert_eq!(
            FormVote::parse(b"comment=%FF%FE"),
            Err(FormError::InvalidUtf8)
        );
    }

    #[test]
    fn form_decodes_plus_and_percent_escapes() {
        let f = FormVote::parse(
            "score=3&comment=%D0%94%D1%83%D0%B6%D0%B5+%D0%B4%D0%BE%D0%B1%D1%80%D0%B5&x=1"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(f.score_number(), Some(3));
        assert_eq!(f.comment, "Дуже добре");
    }

    #[test]
    fn json_vote_language_must_be_supported_exactly() {
        let v: JsonVote = serde_json::from_str(r#"{"token":"x","score":1,"lang":"xx"}"#).unwrap();
        assert_eq!(v.lang(Lang::Uk), Err(InputError::UnknownLanguage));
        let v: JsonVote = serde_json::from_str(r#"{"token":"x","score":1,"lang":"fa"}"#).unwrap();
        assert_eq!(v.lang(Lang::Uk), Ok(Lang::Fa));
        let v: JsonVote = serde_json::from_str(r#"{"token":"x","score":1}"#).unwrap();
        assert_eq!(v.lang(Lang::Ru), Ok(Lang::Ru));
    }

    #[test]
    fn json_vote_with_unknown_field_is_refused() {
        assert!(serde_json::from_str::<JsonVote>(r#"{"token":"x","score":1,"scor":2}"#).is_err());
    }

    proptest! {
        #[test]
        fn form_parsing_never_panics(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = FormVote::parse(&body);
        }

        #[test]
        fn contact_parsing_never_panics(s in "\\PC{0,80}") {
            let _ = Contact::parse(&s);
        }

        #[test]
        fn a_parsed_comment_is_never_longer_than_the_limit(s in "\\PC{0,1200}") {
            if let Ok(Some(c)) = Comment::parse(&s) {
                prop_assert!(c.as_str().chars().count() <= Comment::MAX_CHARS);
            }
        }
    }
}
