//! What appeals and comment moderation need from storage. `scope` is always the caller's
//! write or read scope as a SQL parameter (`None`: everything).

// Implemented by one store per runtime, in this crate only: no caller needs `Send` futures.
#![allow(async_fn_in_trait)]

use crate::store::StoreError;

/// An appeal against a vote, as administrators list it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppealView {
    pub vote_id: i64,
    /// The unit's time zone, to show the vote's moment in; not sent.
    #[serde(default, skip_serializing)]
    pub zone: String,
    /// Set when the moment is shown coarsely (`vote_time`): ``voted_at`` is then the start of this
    /// part of the unit's local `day`, not the vote's moment.
    #[serde(default)]
    pub day: Option<String>,
    #[serde(default)]
    pub part: Option<crate::vote_time::PartOfDay>,
    pub unit_id: i64,
    pub unit: String,
    pub employee_id: i64,
    pub employee: String,
    pub score: i64,
    pub voted_at: i64,
    /// The vote's status now (`rejected` once an appeal is upheld).
    pub vote_status: String,
    pub reason: String,
    pub filed_by: String,
    pub filed_at: i64,
    /// `upheld`, `dismissed`, or none while open.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub note: Option<String>,
}

/// A vote as an appeal against it needs it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct AppealTarget {
    pub status: String,
    pub appealed: i64,
}

/// An appeal's state, for deciding it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct AppealState {
    pub decision: Option<String>,
    pub filed_by: i64,
    pub unit_id: i64,
    /// 1 when the vote is about the employee the deciding account belongs to.
    pub own_employee: i64,
}

pub trait AppealStore {
    /// Vote `id` within `scope`; `None` when there is no such vote there, or it is about the
    /// employee `account` belongs to.
    async fn appeal_target(
        &self,
        scope: Option<&str>,
        id: i64,
        account: u32,
    ) -> Result<Option<AppealTarget>, StoreError>;
    /// Files the appeal with its audit line, in one batch; `false` when nothing was filed
    /// (another appeal came first, or the vote changed).
    async fn file_appeal(
        &self,
        scope: Option<&str>,
        id: i64,
        reason: &str,
        audit: &crate::admin::store::Audit,
    ) -> Result<bool, StoreError>;
    async fn appeals(
        &self,
        scope: Option<&str>,
        open_only: bool,
        before: Option<i64>,
    ) -> Result<Vec<AppealView>, StoreError>;
    async fn appeal_state(
        &self,
        scope: Option<&str>,
        id: i64,
        account: u32,
    ) -> Result<Option<AppealState>, StoreError>;
    /// Decides it (see `sql::DECIDE_APPEAL`); `false` when nothing changed.
    async fn decide_appeal(
        &self,
        scope: Option<&str>,
        id: i64,
        upheld: bool,
        note: Option<&str>,
        audit: &crate::admin::store::Audit,
    ) -> Result<bool, StoreError>;
}

/// A published comment as the public results show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PublishedComment {
    pub at: i64,
    pub unit: String,
    pub text: String,
}

pub trait ModerationStore {
    /// Records the decision with its audit line, in one batch; `false` when there is no
    /// commented vote `id` within `scope`.
    async fn moderate(
        &self,
        scope: Option<&str>,
        id: i64,
        published_text: Option<&str>,
        audit: &crate::admin::store::Audit,
    ) -> Result<bool, StoreError>;
    /// Published comments of `unit`'s subtree in `[start, end)` (unix seconds).
    async fn published_comments(
        &self,
        unit: i64,
        start: i64,
        end: i64,
    ) -> Result<Vec<PublishedComment>, StoreError>;
}
