//! What the administration use cases need from storage: accounts, sessions, tokens, the
//! audit log, and the organisation seen through a caller's scope. Every scoped method takes
//! the caller's `Scope`; what lies outside it is answered as if it did not exist.

#![allow(async_fn_in_trait)]

use crate::account::{AccountId, Email, Grant, Scope};
use crate::clock::Timestamp;
use crate::integrity::Cidr;
use crate::org::{Channel, DirectionId, EmployeeId, Name, UnitId};
use crate::scale::{Criterion, Labels, Level};
use crate::store::db::opt_num;
use crate::store::statement::{Arg, Statement};
use crate::store::{sql, StoreError};
use serde::Serialize;

/// One line of the audit log, written in the same batch as the change it describes (and only
/// when that change happened).
#[derive(Debug, Clone)]
pub struct Audit {
    pub at: Timestamp,
    pub account: Option<AccountId>,
    pub actor: String,
    pub action: &'static str,
    /// `kind:id` of the object acted on (`unit:12`); for creations the store appends the new id.
    pub object: String,
    /// JSON with whatever else helps a reader (never a secret or a password).
    pub detail: String,
}

impl Audit {
    /// The audit line's statement, after the change it describes in one batch: written only
    /// if that change touched a row; with `created`, the new row's id is appended to `object`.
    pub fn statement(&self, created: bool) -> Statement {
        Statement {
            sql: sql::INSERT_AUDIT_IF_CHANGED,
            args: vec![
                Arg::num(self.at.unix_seconds() as f64),
                opt_num(self.account.map(AccountId::get)),
                Arg::text(&self.actor),
                Arg::text(self.action),
                Arg::text(&self.object),
                Arg::text(&self.detail),
                Arg::num(u8::from(created)),
            ],
        }
    }
}

/// The account a sign-in names.
#[derive(Debug, Clone)]
pub struct LoginAccount {
    pub id: AccountId,
    pub password_hash: String,
    pub active: bool,
}

/// Where a sign-in attempt stands under the throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginReservation {
    /// Counted under both keys before the password is checked; `client_row` is the client's
    /// row, released again if the attempt succeeds.
    Reserved { client_row: Option<i64> },
    /// A key is at its limit; nothing was written. The oldest attempt in the window.
    Throttled { oldest: Option<i64> },
}

/// An account with its grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountGrants {
    pub id: AccountId,
    pub email: String,
    pub active: bool,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleView {
    pub role: &'static str,
    pub unit_id: Option<UnitId>,
    pub unit_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub id: AccountId,
    pub email: String,
    pub active: bool,
    pub roles: Vec<RoleView>,
    /// The employee this account belongs to: it never acts on votes for them.
    pub employee_id: Option<EmployeeId>,
    pub employee_name: Option<String>,
}

/// A grant link still open: the account it is for and the roles it adds.
#[derive(Debug, Clone)]
pub struct OpenGrantLink {
    pub account: AccountId,
    pub email: String,
    pub grants: Vec<Grant>,
}

/// An invitation still open.
#[derive(Debug, Clone)]
pub struct OpenInvitation {
    pub email: String,
    pub grant: Grant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Account(AccountId),
    /// Used, expired or unknown; or the e-mail got an account meanwhile.
    Gone,
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// After this moment the token is refused like an unknown one.
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitView {
    pub id: UnitId,
    pub parent_id: Option<UnitId>,
    pub name: String,
    pub active: bool,
    pub timezone: String,
    pub opening_hours: serde_json::Value,
    pub depth: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmployeeView {
    pub id: EmployeeId,
    pub name: String,
    pub position: String,
    pub unit_id: UnitId,
    pub active: bool,
    pub directions: Vec<DirectionId>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathStep {
    pub id: UnitId,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitDetail {
    pub unit: UnitView,
    pub path: Vec<PathStep>,
    pub children: Vec<UnitView>,
    pub employees: Vec<EmployeeView>,
    pub networks: Vec<String>,
    /// Employees the website form `/f/{unit}` lists: while none, that page answers 404.
    pub website_codes: u32,
}

/// An issued code as stored (its token is derived again from these and the key).
#[derive(Debug, Clone, Serialize)]
pub struct CodeRow {
    pub channel: Channel,
    pub issue: u16,
    #[serde(skip)]
    pub key_id: u8,
    pub direction_id: Option<DirectionId>,
    pub issued_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct EmployeeDetail {
    pub employee: EmployeeView,
    pub unit_path: Vec<PathStep>,
    pub codes: Vec<CodeRow>,
}

/// What a poster shows, with the current code's numbers.
#[derive(Debug, Clone)]
pub struct PosterRow {
    pub employee: EmployeeId,
    pub name: String,
    pub position: String,
    pub unit_name: String,
    pub channel: Channel,
    pub issue: u16,
    pub key_id: u8,
}

/// How many current codes one signing key has (`TOKEN_KEYS` rotation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyCodes {
    pub key_id: u8,
    pub codes: u32,
}

/// A unit whose employees still have codes signed with an older key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitOldCodes {
    pub unit_id: UnitId,
    pub name: String,
    pub codes: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct DirectionView {
    pub id: DirectionId,
    pub name: String,
}

/// Changes to a unit; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UnitChanges {
    pub name: Option<Name>,
    pub active: Option<bool>,
    pub timezone: Option<String>,
    pub opening_hours: Option<String>,
    /// `Some(None)` moves the unit to the top level (superadmins only).
    pub parent: Option<Option<UnitId>>,
}

#[derive(Debug, Clone, Default)]
pub struct EmployeeChanges {
    pub name: Option<Name>,
    pub position: Option<Name>,
    pub active: Option<bool>,
    pub unit: Option<UnitId>,
    pub directions: Option<Vec<DirectionId>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    Done,
    /// The object is not in the caller's scope (or does not exist).
    NotFound,
    /// A referenced object (new parent, unit, direction) is not in scope.
    TargetNotFound,
    /// The move would put a unit under itself.
    Cycle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created<T> {
    Done(T),
    /// Something it refers to is outside the scope or does not exist.
    NotFound,
    /// A unique key (an e-mail, a direction's name) is taken.
    Duplicate,
}

/// One employee to create (`employee` is `None`) or update, from a checked import.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub employee: Option<EmployeeId>,
    pub name: Name,
    pub position: Name,
    pub unit: UnitId,
    pub active: bool,
    pub directions: Vec<DirectionId>,
}

pub trait AdminStore {
    // --- who is calling -----------------------------------------------------------------
    async fn account_by_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AccountGrants>, StoreError>;
    /// Also notes when the token was last used (at most every few minutes).
    async fn account_by_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AccountGrants>, StoreError>;
    async fn account_by_email(&self, email: &Email) -> Result<Option<AccountGrants>, StoreError>;

    // --- signing in ---------------------------------------------------------------------
    async fn login_account(&self, email: &Email) -> Result<Option<LoginAccount>, StoreError>;
    /// Counts an attempt under both keys (e-mail, client) at `at` in one conditional write,
    /// only if each has fewer than its limit since `since`: concurrent attempts cannot all
    /// pass a count read before any of them is written.
    async fn reserve_login_attempt(
        &self,
        keys: [&str; 2],
        limits: [u32; 2],
        since: i64,
        at: i64,
    ) -> Result<LoginReservation, StoreError>;
    /// The attempt was wrong: its reservation stays as the failure; this writes the audit line.
    async fn record_login_failure(&self, audit: &Audit) -> Result<(), StoreError>;
    /// Starts the session, clears the e-mail's failures and releases the client's reservation.
    async fn start_session(
        &self,
        account: AccountId,
        id_hash: &str,
        expires_at: i64,
        clear_failures_key: &str,
        release: Option<i64>,
        audit: &Audit,
    ) -> Result<(), StoreError>;
    async fn end_session(&self, id_hash: &str, audit: &Audit) -> Result<(), StoreError>;
    async fn password_hash(&self, account: AccountId) -> Result<Option<String>, StoreError>;
    /// Sets the hash and ends the account's other sessions (all but `keep`); with
    /// `revoke_tokens`, also revokes every API token of the account.
    async fn set_password(
        &self,
        account: AccountId,
        hash: &str,
        keep: Option<&str>,
        revoke_tokens: bool,
        audit: &Audit,
    ) -> Result<(), StoreError>;
    async fn forget_login_failures_before(&self, before: i64) -> Result<(), StoreError>;

    // --- accounts and invitations ---------------------------------------------------------
    async fn email_taken(&self, email: &Email) -> Result<bool, StoreError>;
    /// Stores an invitation; `NotFound` when the grant's unit is outside `scope`.
    async fn create_invitation(
        &self,
        token_hash: &str,
        email: &Email,
        grant: Grant,
        expires_at: i64,
        scope: &Scope,
        audit: &Audit,
    ) -> Result<Created<()>, StoreError>;
    async fn open_invitation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<OpenInvitation>, StoreError>;
    /// Creates the account, its grant and a session in one batch, using the invitation up.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        session_hash: &str,
        session_expires: i64,
        audit: &Audit,
    ) -> Result<Accepted, StoreError>;
    /// Stores a grant link adding `grants` to an active `account`; `false` when there is none.
    async fn create_grant_link(
        &self,
        token_hash: &str,
        account: AccountId,
        grants: &[Grant],
        expires_at: i64,
        audit: &Audit,
    ) -> Result<bool, StoreError>;
    async fn open_grant_link(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<OpenGrantLink>, StoreError>;
    /// In one batch: uses the link up, sets the new password, ends every session and revokes
    /// every API token of the account, adds the roles and starts a session.
    async fn accept_grant_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        session_hash: &str,
        session_expires: i64,
        audit: &Audit,
    ) -> Result<Accepted, StoreError>;
    /// Links the account to an employee (or unlinks it); `TargetNotFound` for no such employee.
    async fn link_employee(
        &self,
        account: AccountId,
        employee: Option<EmployeeId>,
        audit: &Audit,
    ) -> Result<Changed, StoreError>;
    async fn accounts(&self) -> Result<Vec<AccountView>, StoreError>;
    async fn account(&self, id: AccountId) -> Result<Option<AccountGrants>, StoreError>;
    /// Active superadmins other than `except`.
    async fn other_superadmins(&self, except: AccountId) -> Result<u32, StoreError>;
    /// Replaces the grants; `TargetNotFound` when a unit does not exist.
    async fn set_grants(
        &self,
        account: AccountId,
        grants: &[Grant],
        audit: &Audit,
    ) -> Result<Changed, StoreError>;
    /// Deactivates the account, ends its sessions and revokes its tokens.
    async fn deactivate_account(
        &self,
        account: AccountId,
        audit: &Audit,
    ) -> Result<Changed, StoreError>;

    // --- API tokens (the audit log is read through `AuditStore`) --------------------------
    async fn tokens(&self, account: AccountId) -> Result<Vec<TokenView>, StoreError>;
    async fn create_token(
        &self,
        account: AccountId,
        name: &Name,
        token_hash: &str,
        expires_at: i64,
        audit: &Audit,
    ) -> Result<i64, StoreError>;
    async fn revoke_token(
        &self,
        account: AccountId,
        id: i64,
        audit: &Audit,
    ) -> Result<Changed, StoreError>;

    // --- the organisation -----------------------------------------------------------------
    async fn units(&self, scope: &Scope) -> Result<Vec<UnitView>, StoreError>;
    /// The unit's ancestors, root first, ending with the unit (empty when there is none).
    async fn unit_path(&self, unit: UnitId) -> Result<Vec<UnitId>, StoreError>;
    /// The names of the given units (no scope: callers pass their own grants' units).
    async fn unit_names(&self, units: &[UnitId]) -> Result<Vec<PathStep>, StoreError>;
    async fn unit_detail(
        &self,
        scope: &Scope,
        unit: UnitId,
    ) -> Result<Option<UnitDetail>, StoreError>;
    async fn create_unit_in(
        &self,
        scope: &Scope,
        name: &Name,
        parent: Option<UnitId>,
        timezone: &str,
        audit: &Audit,
    ) -> Result<Created<UnitId>, StoreError>;
    async fn change_unit(
        &self,
        scope: &Scope,
        unit: UnitId,
        changes: &UnitChanges,
        audit: &Audit,
    ) -> Result<Changed, StoreError>;
    async fn set_unit_networks(
        &self,
        scope: &Scope,
        unit: UnitId,
        networks: &[Cidr],
        audit: &Audit,
    ) -> Result<Changed, StoreError>;
    async fn create_employee_in(
        &self,
        scope: &Scope,
        name: &Name,
        position: &Name,
        unit: UnitId,
        directions: &[DirectionId],
        audit: &Audit,
    ) -> Result<Created<EmployeeId>, StoreError>;
    async fn employee_detail(
        &self,
        scope: &Scope,
        employee: EmployeeId,
    ) -> Result<Option<EmployeeDetail>, StoreError>;
    async fn change_employee(
        &self,
        scope: &Scope,
        employee: EmployeeId,
        changes: &EmployeeChanges,
        audit: &Audit,
    ) -> Result<Changed, StoreError>;
    /// Whether the employee is in scope (for reads and code actions).
    async fn employee_in_scope(
        &self,
        scope: &Scope,
        employee: EmployeeId,
    ) -> Result<bool, StoreError>;
    /// Issues the next code of (employee, channel), revoking older ones, bound to `direction`.
    async fn issue_code_in(
        &self,
        scope: &Scope,
        employee: EmployeeId,
        channel: Channel,
        direction: Option<DirectionId>,
        key_id: u8,
        audit: &Audit,
    ) -> Result<super::IssueOutcome, StoreError>;
    async fn revoke_codes_in(
        &self,
        scope: &Scope,
        employee: EmployeeId,
        channel: Channel,
        audit: &Audit,
    ) -> Result<Changed, StoreError>;
    /// Active employees in the subtree of `unit` (or just `employee`) with a current code on
    /// `channel`, for posters.
    async fn poster_rows(
        &self,
        scope: &Scope,
        unit: Option<UnitId>,
        employee: Option<EmployeeId>,
        channel: Channel,
    ) -> Result<Vec<PosterRow>, StoreError>;
    /// Current codes per signing key, in scope.
    async fn codes_per_key(&self, scope: &Scope) -> Result<Vec<KeyCodes>, StoreError>;
    /// Units in scope with current codes signed by another key than `signing`, most first.
    async fn units_with_old_codes(
        &self,
        scope: &Scope,
        signing: u8,
    ) -> Result<Vec<UnitOldCodes>, StoreError>;
    async fn unit_in_scope(&self, scope: &Scope, unit: UnitId) -> Result<bool, StoreError>;
    /// Reissues with `signing` every current code of the subtree of `unit` signed by another
    /// key, revoking the replaced ones, in one batch; returns how many were reissued.
    async fn reissue_old_codes(
        &self,
        scope: &Scope,
        unit: UnitId,
        signing: u8,
        audit: &Audit,
    ) -> Result<u32, StoreError>;
    /// A level left out of `values` that votes (or criterion ratings) still use.
    async fn scale_level_in_use(&self, values: &[u8]) -> Result<Option<u8>, StoreError>;
    /// Replaces the scale's levels in one batch.
    async fn replace_scale(&self, levels: &[Level], audit: &Audit) -> Result<(), StoreError>;
    /// Every criterion, active or not.
    async fn all_criteria(&self) -> Result<Vec<Criterion>, StoreError>;
    async fn create_criterion(
        &self,
        code: &str,
        labels: &Labels,
        position: i64,
        audit: &Audit,
    ) -> Result<Created<i64>, StoreError>;
    async fn change_criterion(
        &self,
        id: i64,
        labels: Option<&Labels>,
        position: Option<i64>,
        active: Option<bool>,
        audit: &Audit,
    ) -> Result<Changed, StoreError>;
    async fn directions(&self) -> Result<Vec<DirectionView>, StoreError>;
    async fn create_direction(
        &self,
        name: &Name,
        audit: &Audit,
    ) -> Result<Created<DirectionId>, StoreError>;
    /// Employees of the units in `units` (for import planning and export).
    async fn employees_of(&self, units: &[UnitId]) -> Result<Vec<EmployeeView>, StoreError>;
    /// Writes an import's creations and updates in one batch.
    async fn apply_import(&self, rows: &[ImportRow], audit: &Audit) -> Result<(), StoreError>;
}
