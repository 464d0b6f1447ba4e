//! Comment moderation: nothing of a comment is shown outside the managers' pages until an
//! administrator publishes it, as written or shortened (personal data taken out). Published
//! comments appear on the public results with their unit and month, never with the employee's
//! name or anything about the voter. Every decision goes to the audit log.
//!
//! This folder also holds appeals against votes (`appeal`): both are an administrator's
//! decision about one citizen's vote, within their subtrees and never about their own employee.

pub mod appeal;
mod db;
pub mod routes;
pub mod sql;
pub mod store;
#[cfg(test)]
mod store_tests;
// The Workers side, in the back office only (docs/deploy.md): the handlers.
#[cfg(all(target_arch = "wasm32", not(feature = "citizen")))]
pub(crate) mod handlers;

use crate::account::{Principal, Scope};
use crate::admin::store::Audit;
use crate::admin::AdminError;
use crate::clock::Timestamp;
use store::ModerationStore;

/// The text a published comment shows: 1 to 1,000 characters, no control characters but line
/// breaks (the vote's own limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedText(String);

impl PublishedText {
    pub fn parse(raw: &str) -> Result<PublishedText, AdminError> {
        let text = raw.trim();
        let chars = text.chars().count();
        if chars == 0
            || chars > 1000
            || text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r')
        {
            return Err(AdminError::Invalid {
                field: "text",
                reason: "must be 1 to 1000 characters: the comment as it will be published".into(),
            });
        }
        Ok(PublishedText(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Publish(PublishedText),
    Withhold,
}

impl Decision {
    /// `publish` needs the text to show (the page pre-fills the comment, to be shortened or
    /// cleaned); `withhold` takes none.
    pub fn parse(decision: &str, text: Option<&str>) -> Result<Decision, AdminError> {
        match (decision, text) {
            ("publish", Some(t)) => Ok(Decision::Publish(PublishedText::parse(t)?)),
            ("publish", None) => Err(AdminError::Invalid {
                field: "text",
                reason: "publishing needs the text to show".into(),
            }),
            ("withhold", _) => Ok(Decision::Withhold),
            _ => Err(AdminError::Invalid {
                field: "decision",
                reason: "must be publish or withhold".into(),
            }),
        }
    }
}

/// Publishes or withholds the comment of vote `vote` (within the caller's subtrees).
pub async fn moderate(
    store: &impl ModerationStore,
    p: &Principal,
    vote: i64,
    decision: &Decision,
    now: Timestamp,
) -> Result<(), AdminError> {
    let scope = p.write_scope();
    if matches!(&scope, Scope::Subtrees(units) if units.is_empty()) {
        return Err(AdminError::Forbidden);
    }
    let (text, action) = match decision {
        Decision::Publish(t) => (Some(t.as_str()), "comment_published"),
        Decision::Withhold => (None, "comment_withheld"),
    };
    let audit = Audit {
        at: now,
        account: Some(p.account),
        actor: p.actor(),
        action,
        object: format!("vote:{vote}"),
        detail: "{}".into(),
    };
    if store
        .moderate(scope.sql_param().as_deref(), vote, text, &audit)
        .await?
    {
        Ok(())
    } else {
        Err(AdminError::NotFound("comment"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_needs_clean_text_and_withholding_none() {
        assert_eq!(
            Decision::parse("publish", Some("  Дякую, все швидко  ")).unwrap(),
            Decision::Publish(PublishedText("Дякую, все швидко".into()))
        );
        assert_eq!(
            Decision::parse("withhold", None).unwrap(),
            Decision::Withhold
        );
        for (d, t) in [
            ("publish", None),
            ("publish", Some("   ")),
            ("publish", Some("a\u{7}b")),
            ("hide", None),
            ("Publish", Some("x")),
        ] {
            assert!(Decision::parse(d, t).is_err(), "{d} {t:?}");
        }
        let long = "я".repeat(1001);
        assert!(Decision::parse("publish", Some(&long)).is_err());
    }
}
