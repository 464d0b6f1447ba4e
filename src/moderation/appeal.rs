//! Appeals: an employee who believes a vote about them is false appeals through their manager.
//! A unit admin over the vote's unit files the appeal with the reason; another administrator,
//! strictly above both the vote's unit and whoever filed it (`account::may_decide_appeal`),
//! upholds or dismisses it. An account linked to the vote's employee does neither. An upheld appeal rejects the vote:
//! kept with its appeal, never counted, and the results follow at the next roll-up. Every step
//! goes to the audit log.

use super::store::{AppealStore, AppealView};
use crate::account::{may_decide_appeal, AccountId, Principal};
use crate::admin::store::AdminStore;
use crate::admin::store::Audit;
use crate::admin::{writable, AdminError};
use crate::clock::Timestamp;
use crate::org::UnitId;

/// Why the employee believes the vote is false, as the manager writes it down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(raw: &str) -> Result<Reason, AdminError> {
        let text = raw.trim();
        let chars = text.chars().count();
        if !(10..=2000).contains(&chars)
            || text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r')
        {
            return Err(AdminError::Invalid {
                field: "reason",
                reason: "must be 10 to 2000 characters: what makes the vote false".into(),
            });
        }
        Ok(Reason(text.to_owned()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Uphold,
    Dismiss,
}

impl Decision {
    pub fn parse(s: &str) -> Result<Decision, AdminError> {
        match s {
            "uphold" => Ok(Decision::Uphold),
            "dismiss" => Ok(Decision::Dismiss),
            _ => Err(AdminError::Invalid {
                field: "decision",
                reason: "must be uphold or dismiss".into(),
            }),
        }
    }
}

/// Files an appeal against vote `vote` (counted or flagged, within the caller's subtrees).
pub async fn file(
    store: &impl AppealStore,
    p: &Principal,
    vote: i64,
    reason: &str,
    now: Timestamp,
) -> Result<(), AdminError> {
    let scope = writable(p)?;
    let reason = Reason::parse(reason)?;
    let target = store
        .appeal_target(scope.as_deref(), vote, p.account.get())
        .await?
        .ok_or(AdminError::NotFound("vote"))?;
    if target.appealed != 0 {
        return Err(AdminError::Conflict("this vote already has an appeal"));
    }
    if target.status != "counted" && target.status != "flagged" {
        return Err(AdminError::Conflict(
            "only counted or flagged votes can be appealed; repeats and rejected votes do not count",
        ));
    }
    let audit = Audit {
        at: now,
        account: Some(p.account),
        actor: p.actor(),
        action: "appeal_filed",
        object: format!("vote:{vote}"),
        detail: "{}".into(),
    };
    if store
        .file_appeal(scope.as_deref(), vote, &reason.0, &audit)
        .await?
    {
        Ok(())
    } else {
        Err(AdminError::Conflict("this vote already has an appeal"))
    }
}

/// Appeals within the caller's subtrees (viewers read them too), newest first.
pub async fn list(
    store: &impl AppealStore,
    p: &Principal,
    open_only: bool,
    before: Option<i64>,
) -> Result<Vec<AppealView>, AdminError> {
    Ok(store
        .appeals(p.read_scope().sql_param().as_deref(), open_only, before)
        .await?)
}

/// Upholds (the vote is rejected) or dismisses the appeal against vote `vote`.
pub async fn decide(
    store: &(impl AppealStore + AdminStore),
    p: &Principal,
    vote: i64,
    decision: Decision,
    note: Option<&str>,
    now: Timestamp,
) -> Result<(), AdminError> {
    let scope = writable(p)?;
    let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) if n.chars().count() > 2000 => {
            return Err(AdminError::Invalid {
                field: "note",
                reason: "must be at most 2000 characters".into(),
            })
        }
        other => other,
    };
    let state = store
        .appeal_state(scope.as_deref(), vote, p.account.get())
        .await?
        .ok_or(AdminError::NotFound("appeal"))?;
    if state.decision.is_some() {
        return Err(AdminError::Conflict("this appeal is already decided"));
    }
    if state.filed_by == i64::from(p.account.get()) {
        return Err(AdminError::Conflict(
            "the administrator who filed an appeal does not decide it; another one does",
        ));
    }
    if state.own_employee != 0 {
        return Err(AdminError::NeedsOversight(
            "nobody decides about votes for the employee their own account belongs to",
        ));
    }
    let unit = UnitId::parse(state.unit_id).ok_or(AdminError::NotFound("appeal"))?;
    let path = store.unit_path(unit).await?;
    let filer = match AccountId::parse(state.filed_by) {
        Some(a) => store
            .account(a)
            .await?
            .map(|a| a.grants)
            .unwrap_or_default(),
        None => Vec::new(),
    };
    if !may_decide_appeal(&p.grants, &filer, &path) {
        return Err(AdminError::NeedsOversight(
            "an appeal is decided by an administrator above both the vote's unit and whoever filed it",
        ));
    }
    let upheld = decision == Decision::Uphold;
    let audit = Audit {
        at: now,
        account: Some(p.account),
        actor: p.actor(),
        action: if upheld {
            "appeal_upheld"
        } else {
            "appeal_dismissed"
        },
        object: format!("vote:{vote}"),
        detail: "{}".into(),
    };
    if store
        .decide_appeal(scope.as_deref(), vote, upheld, note, &audit)
        .await?
    {
        Ok(())
    } else {
        Err(AdminError::Conflict("this appeal is already decided"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_says_something_and_nothing_hidden() {
        assert!(Reason::parse("  Голос надіслано, коли я був у відпустці.  ").is_ok());
        for bad in ["", "коротко", "a\u{0}bcdefghijk", &"я".repeat(2001)] {
            assert!(Reason::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn decisions_are_uphold_or_dismiss() {
        assert_eq!(Decision::parse("uphold").unwrap(), Decision::Uphold);
        assert_eq!(Decision::parse("dismiss").unwrap(), Decision::Dismiss);
        assert!(Decision::parse("Uphold").is_err());
        assert!(Decision::parse("accept").is_err());
    }
}
