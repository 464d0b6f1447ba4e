//! The administration use cases: signing in, accounts, invitations, API tokens, and the
//! organisation (units, employees, directions, QR codes, imports) within the caller's scope.
//! Each change is written with its audit-log line in one batch.
//!
//! The folder: the use cases (here), what they need from storage (`store.rs`), that store on
//! any `Database` (`db.rs`, D1 in the worker and SQLite in `store_tests.rs`), the route table
//! (`routes.rs`) and its OpenAPI operations (`openapi.json`) and, in the back office only, the
//! handlers (`handlers.rs`). Its SQL is in `sql.rs`, but for statements other features also run
//! (`store::sql`).

mod db;
#[cfg(all(target_arch = "wasm32", not(feature = "citizen")))]
pub(crate) mod handlers;
pub mod routes;
pub mod sql;
pub mod store;
#[cfg(test)]
mod store_tests;

use crate::account::{
    self, AccountId, Email, Grant, Kdf, Password, PasswordHash, Principal, Scope, Secret,
    SessionId, SessionKey, WeakPassword, DUMMY_HASH, INVITATION_SECONDS, LOGIN_WINDOW_SECONDS,
    MAX_FAILURES_PER_CLIENT, MAX_FAILURES_PER_EMAIL, SESSION_SECONDS, TOKEN_DEFAULT_DAYS,
    TOKEN_MAX_DAYS,
};
use crate::clock::Timestamp;
use crate::i18n::Lang;
use crate::integrity::Cidr;
use crate::org::{Channel, DirectionId, EmployeeId, Name, NameError, UnitId};
use crate::qr::{self, PublicBaseUrl};
use crate::scale::{parse_criterion_code, Criterion, Labels, LevelSpec, ScaleSpec};
use crate::store::{IssueOutcome, Store, StoreError};
use crate::token::{Claims, KeyRing};
use serde::Serialize;
use store::{
    Accepted, AccountView, AdminStore, Audit, Changed, Created, DirectionView, EmployeeChanges,
    EmployeeDetail, LoginReservation, PosterRow, TokenView, UnitChanges, UnitDetail, UnitView,
};

/// Failures of the administration use cases; `api` maps each to its status.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Not there, or outside the caller's subtrees (the two look the same): 404.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A field failed validation: 422.
    #[error("`{field}` {reason}")]
    Invalid { field: &'static str, reason: String },
    /// A new password breaks the rules: 422.
    #[error("the password {0}")]
    WeakPassword(#[from] WeakPassword),
    /// The caller's role does not allow this at all: 403.
    #[error("your role does not allow this")]
    Forbidden,
    /// A decision that nobody takes about their own unit (or employee): 403.
    #[error("{0}")]
    NeedsOversight(&'static str),
    /// The request contradicts the current state (a taken e-mail, a cycle): 409.
    #[error("{0}")]
    Conflict(&'static str),
    /// The employee's codes for this channel used all 65,535 issue numbers: 409.
    #[error("no issue numbers left for this employee and channel")]
    Exhausted,
    /// The current password given to change it is wrong: 403.
    #[error("the current password is not right")]
    WrongPassword,
    #[error("password hashing failed: {0}")]
    Kdf(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn field(field: &'static str) -> impl Fn(NameError) -> AdminError {
    move |e| AdminError::Invalid {
        field,
        reason: e.to_string(),
    }
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> AdminError {
    AdminError::Invalid {
        field,
        reason: reason.into(),
    }
}

pub(crate) fn audit(p: &Principal, at: Timestamp, action: &'static str, object: String) -> Audit {
    Audit {
        at,
        account: Some(p.account),
        actor: p.actor(),
        action,
        object,
        detail: String::from("{}"),
    }
}

pub(crate) fn with_detail(mut a: Audit, detail: serde_json::Value) -> Audit {
    a.detail = detail.to_string();
    a
}

fn require_superadmin(p: &Principal) -> Result<(), AdminError> {
    if p.is_superadmin() {
        Ok(())
    } else {
        Err(AdminError::Forbidden)
    }
}

/// Writes need a unit-admin role somewhere; a viewer-only caller is told so (403), not 404.
pub(crate) fn write_scope(p: &Principal) -> Result<Scope, AdminError> {
    let scope = p.write_scope();
    if scope.is_empty() {
        Err(AdminError::Forbidden)
    } else {
        Ok(scope)
    }
}

fn changed(c: Changed, what: &'static str, target: &'static str) -> Result<(), AdminError> {
    match c {
        Changed::Done => Ok(()),
        Changed::NotFound => Err(AdminError::NotFound(what)),
        Changed::TargetNotFound => Err(AdminError::NotFound(target)),
        Changed::Cycle => Err(AdminError::Conflict(
            "a unit cannot be moved under itself or under one of its own units",
        )),
    }
}

// --- signing in ---------------------------------------------------------------------------

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown e-mail, wrong password or a deactivated account, all alike: 401.
    #[error("the e-mail or the password is not right")]
    InvalidCredentials,
    /// Too many failures for this e-mail or from this client: 429.
    #[error("too many failed attempts; try again later")]
    Throttled { retry_after: u32 },
    #[error("password hashing failed: {0}")]
    Kdf(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new session: the cookie's value and the CSRF value for the page.
pub struct NewSession {
    pub account: AccountId,
    pub cookie: String,
    pub csrf: String,
}

fn new_session(key: &SessionKey, random: [u8; 32]) -> (SessionId, String, String) {
    let id = SessionId::from_random(random);
    let cookie = id.cookie_value(key);
    let csrf = id.csrf(key);
    (id, cookie, csrf)
}

/// Reserves the attempt under the e-mail's and the client's throttles in one conditional
/// write (refused once either is at its limit, however many attempts arrive at once), then
/// verifies the password (against a dummy hash when the e-mail is unknown, so both cost the
/// same) and starts a session. A wrong attempt keeps its reservation as the failure; a right
/// one clears the e-mail's failures and gives the client's reservation back.
#[allow(clippy::too_many_arguments)]
pub async fn sign_in(
    store: &impl AdminStore,
    kdf: &impl Kdf,
    key: &SessionKey,
    email: &str,
    password: &str,
    client: &str,
    random: [u8; 32],
    at: Timestamp,
) -> Result<NewSession, SignInError> {
    let email_key = key.throttle_key("email", &email.trim().to_lowercase());
    let client_key = key.throttle_key("client", client);
    let since = at.unix_seconds() - LOGIN_WINDOW_SECONDS;
    let reservation = store
        .reserve_login_attempt(
            [email_key.as_str(), client_key.as_str()],
            [MAX_FAILURES_PER_EMAIL, MAX_FAILURES_PER_CLIENT],
            since,
            at.unix_seconds(),
        )
        .await?;
    let client_row = match reservation {
        LoginReservation::Reserved { client_row } => client_row,
        LoginReservation::Throttled { oldest } => {
            let retry = oldest.map_or(LOGIN_WINDOW_SECONDS, |o| {
                o + LOGIN_WINDOW_SECONDS - at.unix_seconds()
            });
            return Err(SignInError::Throttled {
                retry_after: u32::try_from(retry.clamp(1, LOGIN_WINDOW_SECONDS)).unwrap_or(60),
            });
        }
    };
    let parsed = Email::parse(email).ok();
    let account = match &parsed {
        Some(e) => store.login_account(e).await?,
        None => None,
    };
    let hash = account
        .as_ref()
        .and_then(|a| PasswordHash::parse(&a.password_hash));
    let ok = hash
        .as_ref()
        .unwrap_or(&DUMMY_HASH)
        .verify(kdf, password)
        .await
        .map_err(SignInError::Kdf)?;
    let shown_email = parsed
        .as_ref()
        .map_or_else(|| String::from("(invalid)"), |e| e.as_str().to_owned());
    match account {
        Some(a) if ok && hash.is_some() && a.active => {
            let (id, cookie, csrf) = new_session(key, random);
            let entry = Audit {
                at,
                account: Some(a.id),
                actor: shown_email,
                action: "sign_in",
                object: format!("account:{}", a.id.get()),
                detail: String::from("{}"),
            };
            store
                .start_session(
                    a.id,
                    &id.storage_hash(),
                    at.unix_seconds() + SESSION_SECONDS,
                    &email_key,
                    client_row,
                    &entry,
                )
                .await?;
            Ok(NewSession {
                account: a.id,
                cookie,
                csrf,
            })
        }
        _ => {
            let entry = Audit {
                at,
                account: None,
                actor: shown_email,
                action: "sign_in_failed",
                object: String::from("account:?"),
                detail: String::from("{}"),
            };
            store.record_login_failure(&entry).await?;
            Err(SignInError::InvalidCredentials)
        }
    }
}

pub async fn sign_out(
    store: &impl AdminStore,
    p: &Principal,
    session_hash: &str,
    at: Timestamp,
) -> Result<(), AdminError> {
    let entry = audit(p, at, "sign_out", format!("account:{}", p.account.get()));
    Ok(store.end_session(session_hash, &entry).await?)
}

/// Changes the caller's password; every other session of the account ends (the caller's own
/// stays), and with `revoke_tokens` every API token of the account is revoked too, for when
/// the password leaked along with a script's token.
#[allow(clippy::too_many_arguments)]
pub async fn change_password(
    store: &impl AdminStore,
    kdf: &impl Kdf,
    p: &Principal,
    current: &str,
    new: &str,
    keep_session: Option<&str>,
    revoke_tokens: bool,
    salt: [u8; 16],
    at: Timestamp,
) -> Result<(), AdminError> {
    let stored = store
        .password_hash(p.account)
        .await?
        .and_then(|h| PasswordHash::parse(&h))
        .ok_or(AdminError::NotFound("account"))?;
    if !stored.verify(kdf, current).await.map_err(AdminError::Kdf)? {
        return Err(AdminError::WrongPassword);
    }
    let email = Email::parse(&p.email).map_err(|_| AdminError::NotFound("account"))?;
    let password = Password::parse(new, &email)?;
    let hash = PasswordHash::derive(kdf, &password, salt)
        .await
        .map_err(AdminError::Kdf)?;
    let entry = with_detail(
        audit(
            p,
            at,
            "password_changed",
            format!("account:{}", p.account.get()),
        ),
        serde_json::json!({ "revoked_tokens": revoke_tokens }),
    );
    Ok(store
        .set_password(
            p.account,
            &hash.encode(),
            keep_session,
            revoke_tokens,
            &entry,
        )
        .await?)
}

// --- invitations and accounts ---------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub link: String,
    pub expires_at: i64,
}

/// The link an invitation token opens: the token travels in the fragment, which browsers
/// never send to a server, so it stays out of logs and `Referer`.
pub fn invitation_link(base: &PublicBaseUrl, token: &str) -> String {
    format!(
        "{}/admin/#/invite/{token}",
        base.as_str().trim_end_matches('/')
    )
}

/// The link a password reset token opens (`audit::reset_link`, `scripts/reset.mjs`). The token
/// is accepted as any invitation's is; the path tells the admin page to say "reset your
/// password" rather than "invitation", and not to speak of new roles a reset never gives.
pub fn reset_link_url(base: &PublicBaseUrl, token: &str) -> String {
    format!(
        "{}/admin/#/reset/{token}",
        base.as_str().trim_end_matches('/')
    )
}

/// A superadmin invites anyone; a unit admin invites unit admins and viewers into their own
/// subtrees.
#[allow(clippy::too_many_arguments)]
pub async fn invite(
    store: &impl AdminStore,
    base: &PublicBaseUrl,
    p: &Principal,
    email: &str,
    role: &str,
    unit: Option<i64>,
    random: [u8; 32],
    at: Timestamp,
) -> Result<Invitation, AdminError> {
    let email = Email::parse(email).map_err(|e| invalid("email", e.to_string()))?;
    let grant = Grant::parse(role, unit).map_err(|e| match e {
        account::GrantError::UnknownRole => {
            invalid("role", "must be superadmin, unit_admin or viewer")
        }
        account::GrantError::Unit => invalid(
            "unit_id",
            "must be null for superadmin and a unit for unit_admin and viewer",
        ),
    })?;
    let scope = write_scope(p)?;
    if grant == Grant::Superadmin {
        require_superadmin(p)?;
    }
    if store.email_taken(&email).await? {
        return Err(AdminError::Conflict(TAKEN));
    }
    let secret = Secret::invitation(random);
    let expires_at = at.unix_seconds() + INVITATION_SECONDS;
    let entry = with_detail(
        audit(
            p,
            at,
            "invitation_created",
            format!("email:{}", email.as_str()),
        ),
        serde_json::json!({ "role": grant.role().as_str(), "unit_id": grant.unit() }),
    );
    match store
        .create_invitation(&secret.hash, &email, grant, expires_at, &scope, &entry)
        .await?
    {
        Created::Done(()) => Ok(Invitation {
            link: invitation_link(base, &secret.shown),
            expires_at,
        }),
        Created::NotFound => Err(AdminError::NotFound("unit")),
        Created::Duplicate => Err(AdminError::Conflict(TAKEN)),
    }
}

/// An existing account is not invited again: whoever accepted its invitation holds it, and may
/// not be the person the e-mail names. Roles added to it go through a grant link instead.
const TAKEN: &str = "an account with this e-mail already exists; add the role to it in Accounts, \
which makes a one-time grant link for you to hand to its owner";

/// Creates the invited account with its password and signs it in; or, for a grant link, gives
/// the account its new roles (see `accept_grant_link`).
#[allow(clippy::too_many_arguments)]
pub async fn accept_invitation(
    store: &impl AdminStore,
    kdf: &impl Kdf,
    key: &SessionKey,
    token: &str,
    password: &str,
    random: [u8; 32],
    salt: [u8; 16],
    at: Timestamp,
) -> Result<NewSession, AdminError> {
    let hash_of_token =
        account::invitation_hash(token).ok_or(AdminError::NotFound("invitation"))?;
    let Some(open) = store.open_invitation(&hash_of_token, at).await? else {
        return accept_grant_link(store, kdf, key, &hash_of_token, password, random, salt, at)
            .await;
    };
    let email = Email::parse(&open.email).map_err(|_| AdminError::NotFound("invitation"))?;
    let password = Password::parse(password, &email)?;
    let hash = PasswordHash::derive(kdf, &password, salt)
        .await
        .map_err(AdminError::Kdf)?;
    let (id, cookie, csrf) = new_session(key, random);
    let entry = Audit {
        at,
        account: None,
        actor: email.as_str().to_owned(),
        action: "invitation_accepted",
        object: String::from("account:"),
        detail:
            serde_json::json!({ "role": open.grant.role().as_str(), "unit_id": open.grant.unit() })
                .to_string(),
    };
    match store
        .accept_invitation(
            &hash_of_token,
            &hash.encode(),
            &id.storage_hash(),
            at.unix_seconds() + SESSION_SECONDS,
            &entry,
        )
        .await?
    {
        Accepted::Account(account) => Ok(NewSession {
            account,
            cookie,
            csrf,
        }),
        Accepted::Gone => Err(AdminError::NotFound("invitation")),
    }
}

/// Accepts a grant link: the holder of the link sets the account's password anew, every other
/// session of the account ends and its API tokens are revoked, then the roles are added. The
/// granter handed the link to the person they meant, so whoever held the account before (say,
/// someone who accepted its invitation in that person's name) loses it before the roles arrive.
#[allow(clippy::too_many_arguments)]
async fn accept_grant_link(
    store: &impl AdminStore,
    kdf: &impl Kdf,
    key: &SessionKey,
    hash_of_token: &str,
    password: &str,
    random: [u8; 32],
    salt: [u8; 16],
    at: Timestamp,
) -> Result<NewSession, AdminError> {
    let open = store
        .open_grant_link(hash_of_token, at)
        .await?
        .ok_or(AdminError::NotFound("invitation"))?;
    let email = Email::parse(&open.email).map_err(|_| AdminError::NotFound("invitation"))?;
    let password = Password::parse(password, &email)?;
    let hash = PasswordHash::derive(kdf, &password, salt)
        .await
        .map_err(AdminError::Kdf)?;
    let (id, cookie, csrf) = new_session(key, random);
    let entry = Audit {
        at,
        account: Some(open.account),
        actor: email.as_str().to_owned(),
        // A link that adds no role is a reset link (`audit::reset_link`): a way back in.
        action: if open.grants.is_empty() {
            "password_reset_accepted"
        } else {
            "grant_link_accepted"
        },
        object: format!("account:{}", open.account.get()),
        detail: serde_json::json!({ "roles": roles_detail(&open.grants) }).to_string(),
    };
    match store
        .accept_grant_link(
            hash_of_token,
            &hash.encode(),
            &id.storage_hash(),
            at.unix_seconds() + SESSION_SECONDS,
            &entry,
        )
        .await?
    {
        Accepted::Account(account) => Ok(NewSession {
            account,
            cookie,
            csrf,
        }),
        Accepted::Gone => Err(AdminError::NotFound("invitation")),
    }
}

fn roles_detail(grants: &[Grant]) -> Vec<serde_json::Value> {
    grants
        .iter()
        .map(|g| serde_json::json!({ "role": g.role().as_str(), "unit_id": g.unit() }))
        .collect()
}

pub async fn accounts(
    store: &impl AdminStore,
    p: &Principal,
) -> Result<Vec<AccountView>, AdminError> {
    require_superadmin(p)?;
    Ok(store.accounts().await?)
}

/// A role as the API sends it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    pub role: String,
    #[serde(default)]
    pub unit_id: Option<i64>,
}

/// What a change of roles did: removals apply at once; roles added wait in a grant link.
#[derive(Debug, Clone, Serialize)]
pub struct RolesChange {
    /// The link to hand to the account's owner, when roles were added.
    pub grant_link: Option<Invitation>,
    /// The roles the link adds once accepted.
    pub pending: Vec<serde_json::Value>,
}

/// Sets an account's roles. Removing roles applies at once. Adding roles never hands them to
/// whoever holds the account now: it makes a one-time grant link, shown to the granter, who
/// gives it to the person they mean; accepting it sets a new password, ends the account's
/// sessions and revokes its API tokens, then adds the roles.
#[allow(clippy::too_many_arguments)]
pub async fn set_roles(
    store: &impl AdminStore,
    base: &PublicBaseUrl,
    p: &Principal,
    account: AccountId,
    roles: &[RoleInput],
    random: [u8; 32],
    at: Timestamp,
) -> Result<RolesChange, AdminError> {
    require_superadmin(p)?;
    if roles.len() > 50 {
        return Err(invalid("roles", "must list at most 50 roles"));
    }
    let mut grants = Vec::with_capacity(roles.len());
    for r in roles {
        let g = Grant::parse(&r.role, r.unit_id).map_err(|e| invalid("roles", e.to_string()))?;
        if !grants.contains(&g) {
            grants.push(g);
        }
    }
    let current = store
        .account(account)
        .await?
        .ok_or(AdminError::NotFound("account"))?
        .grants;
    if account == p.account
        && !grants.contains(&Grant::Superadmin)
        && store.other_superadmins(p.account).await? == 0
    {
        return Err(AdminError::Conflict(
            "you are the last superadmin; make someone else superadmin first",
        ));
    }
    let (kept, added): (Vec<Grant>, Vec<Grant>) =
        grants.into_iter().partition(|g| current.contains(g));
    if kept.len() != current.len() {
        let entry = with_detail(
            audit(p, at, "roles_changed", format!("account:{}", account.get())),
            serde_json::json!({ "roles": roles_detail(&kept) }),
        );
        changed(
            store.set_grants(account, &kept, &entry).await?,
            "account",
            "unit",
        )?;
    }
    if added.is_empty() {
        return Ok(RolesChange {
            grant_link: None,
            pending: Vec::new(),
        });
    }
    let units: Vec<UnitId> = added.iter().filter_map(|g| g.unit()).collect();
    for u in &units {
        if !store.unit_in_scope(&Scope::All, *u).await? {
            return Err(AdminError::NotFound("unit"));
        }
    }
    let secret = Secret::invitation(random);
    let expires_at = at.unix_seconds() + INVITATION_SECONDS;
    let entry = with_detail(
        audit(
            p,
            at,
            "grant_link_created",
            format!("account:{}", account.get()),
        ),
        serde_json::json!({ "roles": roles_detail(&added) }),
    );
    if !store
        .create_grant_link(&secret.hash, account, &added, expires_at, &entry)
        .await?
    {
        return Err(AdminError::NotFound("account"));
    }
    Ok(RolesChange {
        grant_link: Some(Invitation {
            link: invitation_link(base, &secret.shown),
            expires_at,
        }),
        pending: roles_detail(&added),
    })
}

/// Links an account to the employee it belongs to, or unlinks it (`None`); the account then
/// never acts on votes for that employee (review, appeals, moderation, inbox cases).
/// Superadmins only, since they are strictly above every unit, and never on their own
/// account, which would let one lift their own bar.
pub async fn link_employee(
    store: &impl AdminStore,
    p: &Principal,
    account: AccountId,
    employee: Option<i64>,
    at: Timestamp,
) -> Result<(), AdminError> {
    require_superadmin(p)?;
    if account == p.account {
        return Err(AdminError::NeedsOversight(
            "an account's employee is set by another administrator",
        ));
    }
    let employee = match employee {
        None => None,
        Some(n) => Some(EmployeeId::parse(n).ok_or(AdminError::NotFound("employee"))?),
    };
    let entry = with_detail(
        audit(
            p,
            at,
            "account_employee_set",
            format!("account:{}", account.get()),
        ),
        serde_json::json!({ "employee_id": employee }),
    );
    changed(
        store.link_employee(account, employee, &entry).await?,
        "account",
        "employee",
    )
}

pub async fn deactivate_account(
    store: &impl AdminStore,
    p: &Principal,
    account: AccountId,
    at: Timestamp,
) -> Result<(), AdminError> {
    require_superadmin(p)?;
    if account == p.account {
        return Err(AdminError::Conflict(
            "you cannot deactivate your own account",
        ));
    }
    let entry = audit(
        p,
        at,
        "account_deactivated",
        format!("account:{}", account.get()),
    );
    changed(
        store.deactivate_account(account, &entry).await?,
        "account",
        "account",
    )
}

// --- API tokens (the audit log is read in `audit`) -----------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    pub id: i64,
    pub name: String,
    pub token: String,
    pub expires_at: i64,
}

/// A token's term in days: `TOKEN_DEFAULT_DAYS` when not given, at most `TOKEN_MAX_DAYS`.
pub fn token_days(days: Option<i64>) -> Result<u32, AdminError> {
    match days {
        None => Ok(TOKEN_DEFAULT_DAYS),
        Some(d) => u32::try_from(d)
            .ok()
            .filter(|d| (1..=TOKEN_MAX_DAYS).contains(d))
            .ok_or_else(|| invalid("expires_in_days", format!("must be 1 to {TOKEN_MAX_DAYS}"))),
    }
}

pub async fn tokens(store: &impl AdminStore, p: &Principal) -> Result<Vec<TokenView>, AdminError> {
    Ok(store.tokens(p.account).await?)
}

pub async fn create_token(
    store: &impl AdminStore,
    p: &Principal,
    name: &str,
    expires_in_days: Option<i64>,
    random: [u8; 32],
    at: Timestamp,
) -> Result<NewToken, AdminError> {
    let name = Name::parse(name).map_err(field("name"))?;
    let days = token_days(expires_in_days)?;
    let expires_at = at.unix_seconds() + i64::from(days) * 86_400;
    let secret = Secret::api_token(random);
    let entry = with_detail(
        audit(p, at, "token_created", String::from("token:")),
        serde_json::json!({ "name": name.as_str(), "expires_at": expires_at }),
    );
    let id = store
        .create_token(p.account, &name, &secret.hash, expires_at, &entry)
        .await?;
    Ok(NewToken {
        id,
        name: name.as_str().to_owned(),
        token: secret.shown,
        expires_at,
    })
}

pub async fn revoke_token(
    store: &impl AdminStore,
    p: &Principal,
    id: i64,
    at: Timestamp,
) -> Result<(), AdminError> {
    let entry = audit(p, at, "token_revoked", format!("token:{id}"));
    changed(
        store.revoke_token(p.account, id, &entry).await?,
        "token",
        "token",
    )
}

// --- the organisation -----------------------------------------------------------------------

pub async fn units(store: &impl AdminStore, p: &Principal) -> Result<Vec<UnitView>, AdminError> {
    Ok(store.units(&p.read_scope()).await?)
}

pub async fn unit_detail(
    store: &impl AdminStore,
    p: &Principal,
    unit: UnitId,
) -> Result<UnitDetail, AdminError> {
    store
        .unit_detail(&p.read_scope(), unit)
        .await?
        .ok_or(AdminError::NotFound("unit"))
}

/// `timezone`: the one asked for, else the instance's `default_zone` (`DEFAULT_TIMEZONE`).
pub async fn create_unit(
    store: &impl AdminStore,
    p: &Principal,
    name: &str,
    parent: Option<i64>,
    timezone: Option<&str>,
    default_zone: &'static str,
    at: Timestamp,
) -> Result<UnitId, AdminError> {
    let name = Name::parse(name).map_err(field("name"))?;
    let zone = match timezone {
        Some(z) => crate::local_day::parse_zone(z).map_err(|e| invalid("timezone", e))?,
        None => default_zone,
    };
    let scope = write_scope(p)?;
    let parent = match parent {
        None => {
            // A new top-level organisation is outside every subtree.
            require_superadmin(p)?;
            None
        }
        Some(n) => Some(UnitId::parse(n).ok_or(AdminError::NotFound("parent unit"))?),
    };
    let entry = with_detail(
        audit(p, at, "unit_created", String::from("unit:")),
        serde_json::json!({ "name": name.as_str(), "parent_id": parent, "timezone": zone }),
    );
    match store
        .create_unit_in(&scope, &name, parent, zone, &entry)
        .await?
    {
        Created::Done(id) => Ok(id),
        Created::NotFound | Created::Duplicate => Err(AdminError::NotFound("parent unit")),
    }
}

/// A unit's changes as the API sends them: absent fields stay as they are.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    #[serde(default)]
    pub name: Option<String>,
    /// Absent: stays; `null`: to the top level; a number: under that unit.
    #[serde(default, deserialize_with = "present")]
    pub parent_id: Option<Option<i64>>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub opening_hours: Option<serde_json::Value>,
}

/// Tells a field sent as `null` from a field not sent.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

pub async fn change_unit(
    store: &impl AdminStore,
    p: &Principal,
    unit: UnitId,
    patch: &UnitPatch,
    at: Timestamp,
) -> Result<UnitView, AdminError> {
    let scope = write_scope(p)?;
    let mut changes = UnitChanges {
        name: match &patch.name {
            Some(n) => Some(Name::parse(n).map_err(field("name"))?),
            None => None,
        },
        active: patch.active,
        ..UnitChanges::default()
    };
    if let Some(tz) = &patch.timezone {
        changes.timezone = Some(
            crate::local_day::parse_zone(tz)
                .map_err(|e| invalid("timezone", e))?
                .to_owned(),
        );
    }
    if let Some(hours) = &patch.opening_hours {
        changes.opening_hours =
            Some(crate::org::parse_opening_hours(hours).map_err(|e| invalid("opening_hours", e))?);
    }
    if let Some(parent) = patch.parent_id {
        changes.parent = Some(match parent {
            None => {
                require_superadmin(p)?;
                None
            }
            Some(n) => Some(UnitId::parse(n).ok_or(AdminError::NotFound("parent unit"))?),
        });
    }
    let entry = with_detail(
        audit(p, at, "unit_changed", format!("unit:{}", unit.get())),
        serde_json::json!({
            "name": changes.name.as_ref().map(Name::as_str),
            "active": changes.active,
            "timezone": changes.timezone,
            "opening_hours": patch.opening_hours,
            "parent_id": changes.parent,
        }),
    );
    changed(
        store.change_unit(&scope, unit, &changes, &entry).await?,
        "unit",
        "parent unit",
    )?;
    store
        .unit_detail(&scope, unit)
        .await?
        .map(|d| d.unit)
        .ok_or(AdminError::NotFound("unit"))
}

/// Replaces a unit's office networks (votes from them for the unit's subtree are flagged).
/// Adding is anyone's who administers the unit; removing one (or emptying the list) switches
/// its screening off, so it needs an administrator strictly above the unit.
pub async fn set_office_networks(
    store: &impl AdminStore,
    p: &Principal,
    unit: UnitId,
    cidrs: &[String],
    at: Timestamp,
) -> Result<Vec<Cidr>, AdminError> {
    let scope = write_scope(p)?;
    if cidrs.len() > Cidr::MAX_PER_UNIT {
        return Err(invalid(
            "cidrs",
            format!("must list at most {} ranges", Cidr::MAX_PER_UNIT),
        ));
    }
    let mut networks: Vec<Cidr> = Vec::with_capacity(cidrs.len());
    for c in cidrs {
        let cidr = Cidr::parse(c).map_err(|e| invalid("cidrs", e.to_string()))?;
        if !networks.contains(&cidr) {
            networks.push(cidr);
        }
    }
    let detail = store
        .unit_detail(&scope, unit)
        .await?
        .ok_or(AdminError::NotFound("unit"))?;
    let path: Vec<UnitId> = detail.path.iter().map(|s| s.id).collect();
    let removes = detail
        .networks
        .iter()
        .any(|old| !networks.iter().any(|n| n.to_string() == *old));
    if removes && !account::strictly_above(&p.grants, &path) {
        return Err(AdminError::NeedsOversight(
            "removing a unit's office network needs an administrator above the unit; adding one is fine",
        ));
    }
    let shown: Vec<String> = networks.iter().map(ToString::to_string).collect();
    let entry = with_detail(
        audit(p, at, "networks_set", format!("unit:{}", unit.get())),
        serde_json::json!({ "cidrs": shown }),
    );
    changed(
        store
            .set_unit_networks(&scope, unit, &networks, &entry)
            .await?,
        "unit",
        "unit",
    )?;
    Ok(networks)
}

fn direction_ids(ids: &[i64]) -> Result<Vec<DirectionId>, AdminError> {
    if ids.len() > 50 {
        return Err(invalid("directions", "must list at most 50 directions"));
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let d = DirectionId::parse(*id).ok_or(AdminError::NotFound("direction"))?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

pub async fn create_employee(
    store: &impl AdminStore,
    p: &Principal,
    name: &str,
    position: &str,
    unit: i64,
    directions: &[i64],
    at: Timestamp,
) -> Result<EmployeeId, AdminError> {
    let name = Name::parse(name).map_err(field("name"))?;
    let position = Name::parse(position).map_err(field("position"))?;
    let unit = UnitId::parse(unit).ok_or(AdminError::NotFound("unit"))?;
    let directions = direction_ids(directions)?;
    let scope = write_scope(p)?;
    let entry = with_detail(
        audit(p, at, "employee_created", String::from("employee:")),
        serde_json::json!({ "name": name.as_str(), "position": position.as_str(), "unit_id": unit }),
    );
    match store
        .create_employee_in(&scope, &name, &position, unit, &directions, &entry)
        .await?
    {
        Created::Done(id) => Ok(id),
        Created::NotFound | Created::Duplicate => Err(AdminError::NotFound("unit or direction")),
    }
}

pub async fn employee_detail(
    store: &impl AdminStore,
    p: &Principal,
    employee: EmployeeId,
) -> Result<EmployeeDetail, AdminError> {
    store
        .employee_detail(&p.read_scope(), employee)
        .await?
        .ok_or(AdminError::NotFound("employee"))
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmployeePatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub directions: Option<Vec<i64>>,
}

pub async fn change_employee(
    store: &impl AdminStore,
    p: &Principal,
    employee: EmployeeId,
    patch: &EmployeePatch,
    at: Timestamp,
) -> Result<(), AdminError> {
    let scope = write_scope(p)?;
    let changes = EmployeeChanges {
        name: match &patch.name {
            Some(n) => Some(Name::parse(n).map_err(field("name"))?),
            None => None,
        },
        position: match &patch.position {
            Some(n) => Some(Name::parse(n).map_err(field("position"))?),
            None => None,
        },
        active: patch.active,
        unit: match patch.unit_id {
            Some(n) => Some(UnitId::parse(n).ok_or(AdminError::NotFound("unit"))?),
            None => None,
        },
        directions: match &patch.directions {
            Some(d) => Some(direction_ids(d)?),
            None => None,
        },
    };
    let entry = with_detail(
        audit(
            p,
            at,
            "employee_changed",
            format!("employee:{}", employee.get()),
        ),
        serde_json::json!({
            "name": changes.name.as_ref().map(Name::as_str),
            "position": changes.position.as_ref().map(Name::as_str),
            "active": changes.active,
            "unit_id": changes.unit,
            "directions": changes.directions,
        }),
    );
    changed(
        store
            .change_employee(&scope, employee, &changes, &entry)
            .await?,
        "employee",
        "unit or direction",
    )
}

/// A freshly issued code, ready to print.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedCode {
    pub employee_id: EmployeeId,
    pub channel: Channel,
    pub issue: u16,
    pub direction_id: Option<DirectionId>,
    pub token: String,
    pub url: String,
    pub svg: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn issue_code(
    store: &impl AdminStore,
    ring: &KeyRing,
    base: &PublicBaseUrl,
    shard: u8,
    p: &Principal,
    employee: EmployeeId,
    channel: Channel,
    direction: Option<DirectionId>,
    at: Timestamp,
) -> Result<IssuedCode, AdminError> {
    let scope = write_scope(p)?;
    let entry = with_detail(
        audit(p, at, "qr_issued", format!("employee:{}", employee.get())),
        serde_json::json!({ "channel": channel, "direction_id": direction }),
    );
    let issue = match store
        .issue_code_in(
            &scope,
            employee,
            channel,
            direction,
            ring.signing_key_id(),
            &entry,
        )
        .await?
    {
        IssueOutcome::Issued(issue) => issue,
        IssueOutcome::NoSuchEmployee => return Err(AdminError::NotFound("employee or direction")),
        IssueOutcome::Exhausted => return Err(AdminError::Exhausted),
    };
    let token = ring.sign(&Claims {
        shard,
        employee,
        channel,
        issue,
        kind: crate::token::CodeKind::Standing,
    });
    let url = base.vote_url(&token);
    // A URL of a valid base and a 32-character token always fits a QR code; if the base is
    // absurdly long, the SVG is left out rather than failing the issue that already happened.
    let svg = qr::svg(&url).unwrap_or_default();
    Ok(IssuedCode {
        employee_id: employee,
        channel,
        issue,
        direction_id: direction,
        token: token.as_str().to_owned(),
        url,
        svg,
    })
}

/// One key of `TOKEN_KEYS` and how many current codes carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyState {
    pub key_id: u8,
    /// New codes are signed with this key (the last entry of `TOKEN_KEYS`).
    pub signing: bool,
    /// Still in `TOKEN_KEYS`; codes of a key that is not answer 404 and need reissuing.
    pub configured: bool,
    pub codes: u32,
}

/// Where a key rotation stands for the caller's subtrees: every key with codes or in the
/// ring, and the units that still have codes signed with an older key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RotationReport {
    pub keys: Vec<KeyState>,
    pub units: Vec<crate::admin::store::UnitOldCodes>,
}

pub async fn signing_keys(
    store: &impl AdminStore,
    ring: &KeyRing,
    p: &Principal,
) -> Result<RotationReport, AdminError> {
    let scope = write_scope(p)?;
    let signing = ring.signing_key_id();
    let configured = ring.key_ids();
    let counts = store.codes_per_key(&scope).await?;
    let mut ids: Vec<u8> = configured
        .iter()
        .copied()
        .chain(counts.iter().map(|c| c.key_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let keys = ids
        .into_iter()
        .map(|key_id| KeyState {
            key_id,
            signing: key_id == signing,
            configured: configured.contains(&key_id),
            codes: counts
                .iter()
                .find(|c| c.key_id == key_id)
                .map_or(0, |c| c.codes),
        })
        .collect();
    let units = store.units_with_old_codes(&scope, signing).await?;
    Ok(RotationReport { keys, units })
}

/// Reissues, with the signing key, every current code in the subtree of `unit` that an older
/// key signed: the step before retiring that key. The replaced codes stop working at once,
/// so this is done one office at a time, with its posters printed right after.
pub async fn reissue_old_codes(
    store: &impl AdminStore,
    ring: &KeyRing,
    p: &Principal,
    unit: UnitId,
    at: Timestamp,
) -> Result<u32, AdminError> {
    let scope = write_scope(p)?;
    if !store.unit_in_scope(&scope, unit).await? {
        return Err(AdminError::NotFound("unit"));
    }
    let signing = ring.signing_key_id();
    let entry = with_detail(
        audit(p, at, "qr_reissued_for_key", format!("unit:{}", unit.get())),
        serde_json::json!({ "signing_key": signing }),
    );
    Ok(store
        .reissue_old_codes(&scope, unit, signing, &entry)
        .await?)
}

pub async fn revoke_codes(
    store: &impl AdminStore,
    p: &Principal,
    employee: EmployeeId,
    channel: Channel,
    at: Timestamp,
) -> Result<(), AdminError> {
    let scope = write_scope(p)?;
    let entry = with_detail(
        audit(p, at, "qr_revoked", format!("employee:{}", employee.get())),
        serde_json::json!({ "channel": channel }),
    );
    changed(
        store
            .revoke_codes_in(&scope, employee, channel, &entry)
            .await?,
        "employee",
        "employee",
    )
}

/// The vote URL of a stored code, derived again from its numbers and key (`None` once that
/// key has been retired: such a code no longer verifies anyway).
pub fn code_url(
    ring: &KeyRing,
    base: &PublicBaseUrl,
    shard: u8,
    employee: EmployeeId,
    channel: Channel,
    issue: u16,
    key_id: u8,
) -> Option<(String, String)> {
    let token = ring.sign_with(
        key_id,
        &Claims {
            shard,
            employee,
            channel,
            issue,
            kind: crate::token::CodeKind::Standing,
        },
    )?;
    Some((base.vote_url(&token), base.display_url(&token)))
}

/// The current code's URL of (employee, channel), for the QR downloads.
pub async fn current_code_url(
    store: &impl AdminStore,
    ring: &KeyRing,
    base: &PublicBaseUrl,
    shard: u8,
    p: &Principal,
    employee: EmployeeId,
    channel: Channel,
) -> Result<String, AdminError> {
    let rows = poster_rows(store, p, None, Some(employee), channel).await?;
    rows.first()
        .and_then(|r| code_url(ring, base, shard, r.employee, r.channel, r.issue, r.key_id))
        .map(|(url, _)| url)
        .ok_or(AdminError::NotFound("current code"))
}

pub async fn poster_rows(
    store: &impl AdminStore,
    p: &Principal,
    unit: Option<UnitId>,
    employee: Option<EmployeeId>,
    channel: Channel,
) -> Result<Vec<PosterRow>, AdminError> {
    Ok(store
        .poster_rows(&p.read_scope(), unit, employee, channel)
        .await?)
}

pub async fn directions(store: &impl AdminStore) -> Result<Vec<DirectionView>, AdminError> {
    Ok(store.directions().await?)
}

// --- the scale and the extra criteria (instance-wide: superadmins change them) --------------

/// The scale's levels and every criterion, as the admin page shows them.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleView {
    pub levels: Vec<LevelView>,
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LevelView {
    pub value: u8,
    pub colour: String,
    pub face: &'static str,
    pub labels: Labels,
}

pub async fn scale(store: &(impl AdminStore + Store)) -> Result<ScaleView, AdminError> {
    let scale = store.scale().await?;
    Ok(ScaleView {
        levels: scale
            .levels()
            .iter()
            .map(|l| LevelView {
                value: l.value,
                colour: l.colour.clone(),
                face: l.face.code(),
                labels: l.labels.clone(),
            })
            .collect(),
        criteria: store.all_criteria().await?,
    })
}

/// Replaces the scale. A level that votes already use cannot be removed (their scores would
/// lose their meaning); its colour and labels can change.
pub async fn set_scale(
    store: &impl AdminStore,
    p: &Principal,
    levels: &[LevelSpec],
    default_lang: Lang,
    at: Timestamp,
) -> Result<(), AdminError> {
    require_superadmin(p)?;
    let levels = ScaleSpec::parse(levels, default_lang).map_err(|e| invalid("levels", e))?;
    let values: Vec<u8> = levels.iter().map(|l| l.value).collect();
    if store.scale_level_in_use(&values).await?.is_some() {
        return Err(AdminError::Conflict(
            "a level that votes already use cannot be removed",
        ));
    }
    let entry = with_detail(
        audit(p, at, "scale_changed", String::from("scale")),
        serde_json::json!({ "values": values }),
    );
    Ok(store.replace_scale(&levels, &entry).await?)
}

/// A criterion as a superadmin sends it.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionIn {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub labels: Option<std::collections::BTreeMap<String, String>>,
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default)]
    pub active: Option<bool>,
}

fn position(p: Option<i64>) -> Result<Option<i64>, AdminError> {
    match p {
        Some(n) if !(0..=1000).contains(&n) => Err(invalid("position", "must be 0 to 1000")),
        other => Ok(other),
    }
}

pub async fn create_criterion(
    store: &impl AdminStore,
    p: &Principal,
    input: &CriterionIn,
    default_lang: Lang,
    at: Timestamp,
) -> Result<i64, AdminError> {
    require_superadmin(p)?;
    let code = parse_criterion_code(input.code.as_deref().unwrap_or(""))
        .map_err(|e| invalid("code", e))?;
    let labels = Labels::parse_map(&input.labels.clone().unwrap_or_default(), default_lang)
        .map_err(|e| invalid("labels", e))?;
    let position = position(input.position)?.unwrap_or(0);
    if input.active == Some(false) {
        return Err(invalid("active", "a new criterion starts active"));
    }
    let entry = with_detail(
        audit(p, at, "criterion_created", String::from("criterion:")),
        serde_json::json!({ "code": code }),
    );
    match store
        .create_criterion(&code, &labels, position, &entry)
        .await?
    {
        Created::Done(id) => Ok(id),
        Created::NotFound | Created::Duplicate => Err(AdminError::Conflict(
            "a criterion with this code already exists",
        )),
    }
}

/// Relabels, reorders or (de)activates a criterion. There is no delete: past ratings refer
/// to it.
pub async fn change_criterion(
    store: &impl AdminStore,
    p: &Principal,
    id: i64,
    input: &CriterionIn,
    default_lang: Lang,
    at: Timestamp,
) -> Result<(), AdminError> {
    require_superadmin(p)?;
    if input.code.is_some() {
        return Err(invalid(
            "code",
            "cannot change; add a new criterion instead",
        ));
    }
    let labels = input
        .labels
        .as_ref()
        .map(|l| Labels::parse_map(l, default_lang))
        .transpose()
        .map_err(|e| invalid("labels", e))?;
    let position = position(input.position)?;
    let entry = with_detail(
        audit(p, at, "criterion_changed", format!("criterion:{id}")),
        serde_json::json!({ "labels": labels, "position": position, "active": input.active }),
    );
    match store
        .change_criterion(id, labels.as_ref(), position, input.active, &entry)
        .await?
    {
        Changed::Done => Ok(()),
        _ => Err(AdminError::NotFound("criterion")),
    }
}

pub async fn create_direction(
    store: &impl AdminStore,
    p: &Principal,
    name: &str,
    at: Timestamp,
) -> Result<DirectionId, AdminError> {
    require_superadmin(p)?;
    let name = Name::parse(name).map_err(field("name"))?;
    // The import matches directions by name ignoring case, so «Пенсії» and «пенсії» would be
    // ambiguous. SQLite's NOCASE folds only ASCII, hence the check here; the table's UNIQUE
    // still stops an exact duplicate that races past it.
    let folded = name.as_str().to_lowercase();
    if store
        .directions()
        .await?
        .iter()
        .any(|d| d.name.to_lowercase() == folded)
    {
        return Err(AdminError::Conflict(
            "a direction with this name already exists",
        ));
    }
    let entry = with_detail(
        audit(p, at, "direction_created", String::from("direction:")),
        serde_json::json!({ "name": name.as_str() }),
    );
    match store.create_direction(&name, &entry).await? {
        Created::Done(id) => Ok(id),
        Created::NotFound | Created::Duplicate => Err(AdminError::Conflict(
            "a direction with this name already exists",
        )),
    }
}

/// The caller's write scope as a SQL parameter; a viewer-only caller is refused (403).
pub(crate) fn writable(p: &Principal) -> Result<Option<String>, AdminError> {
    let scope = p.write_scope();
    if matches!(&scope, Scope::Subtrees(units) if units.is_empty()) {
        return Err(AdminError::Forbidden);
    }
    Ok(scope.sql_param())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_lasts_90_days_unless_asked_and_a_year_at_most() {
        assert_eq!(token_days(None).ok(), Some(90));
        assert_eq!(token_days(Some(1)).ok(), Some(1));
        assert_eq!(token_days(Some(365)).ok(), Some(365));
        for bad in [0, -1, 366, i64::MAX] {
            assert!(
                matches!(
                    token_days(Some(bad)),
                    Err(AdminError::Invalid {
                        field: "expires_in_days",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }
}
