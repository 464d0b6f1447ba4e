//! `AdminStore` on any `Database` (D1 in the worker, SQLite in the native tests). Every change
//! goes out as one batch with its audit line, so a failure leaves neither the change nor the
//! line.

use super::sql;
use crate::account::{AccountId, Email, Grant, Scope};
use crate::admin::store::{
    Accepted, AccountGrants, AccountView, AdminStore, Audit, Changed, CodeRow, Created,
    DirectionView, EmployeeChanges, EmployeeDetail, EmployeeView, ImportRow, KeyCodes,
    LoginAccount, LoginReservation, OpenGrantLink, OpenInvitation, PathStep, PosterRow, RoleView,
    TokenView, UnitChanges, UnitDetail, UnitOldCodes, UnitView,
};
use crate::clock::Timestamp;
use crate::integrity::Cidr;
use crate::org::{Channel, DirectionId, EmployeeId, Name, UnitId};
use crate::scale::{Criterion, Labels, Level};
use crate::store::db::{nth, stmt, Cached, Database};
use crate::store::sql as shared;
use crate::store::statement::{Arg, Statement};
use crate::store::{IssueOutcome, StoreError};
use serde::Deserialize;

fn scope_arg(scope: &Scope) -> Arg {
    Arg::opt_text(scope.sql_param().as_deref())
}

fn opt_num(n: Option<u32>) -> Arg {
    n.map_or(Arg::Null, Arg::num)
}

fn bool_arg(b: Option<bool>) -> Arg {
    b.map_or(Arg::Null, |b| Arg::num(u8::from(b)))
}

fn ids_json<T: serde::Serialize>(ids: &[T]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| String::from("[]"))
}

fn bad(what: &str) -> StoreError {
    StoreError::Corrupt(format!("unexpected {what}"))
}

#[derive(Deserialize)]
struct GrantRow {
    id: i64,
    email: String,
    active: i64,
    role: Option<String>,
    unit_id: Option<i64>,
}

fn grants_of(rows: Vec<GrantRow>) -> Result<Option<AccountGrants>, StoreError> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let id = AccountId::parse(first.id).ok_or_else(|| bad("account id"))?;
    let (email, active) = (first.email.clone(), first.active != 0);
    let mut grants = Vec::new();
    for r in rows {
        if let Some(role) = r.role {
            // A grant the application cannot read is left out rather than widening anything.
            if let Ok(g) = Grant::parse(&role, r.unit_id) {
                grants.push(g);
            }
        }
    }
    Ok(Some(AccountGrants {
        id,
        email,
        active,
        grants,
    }))
}

#[derive(Deserialize)]
struct FoundRow {
    #[allow(dead_code)]
    found: i64,
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

#[derive(Deserialize)]
struct IdRow {
    id: i64,
}

#[derive(Deserialize)]
struct UnitRow {
    id: i64,
    parent_id: Option<i64>,
    name: String,
    active: i64,
    timezone: String,
    opening_hours: String,
    depth: Option<i64>,
}

impl UnitRow {
    fn view(self) -> Result<UnitView, StoreError> {
        Ok(UnitView {
            id: UnitId::parse(self.id).ok_or_else(|| bad("unit id"))?,
            parent_id: self.parent_id.and_then(UnitId::parse),
            name: self.name,
            active: self.active != 0,
            timezone: self.timezone,
            opening_hours: serde_json::from_str(&self.opening_hours)
                .unwrap_or_else(|_| serde_json::json!({})),
            depth: u32::try_from(self.depth.unwrap_or(0)).unwrap_or(0),
        })
    }
}

#[derive(Deserialize)]
struct EmployeeRow {
    id: i64,
    name: String,
    position: String,
    unit_id: i64,
    active: i64,
    directions: Option<String>,
}

impl EmployeeRow {
    fn view(self) -> Result<EmployeeView, StoreError> {
        let ids: Vec<i64> = self
            .directions
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default();
        let mut directions: Vec<DirectionId> =
            ids.into_iter().filter_map(DirectionId::parse).collect();
        directions.sort_unstable();
        Ok(EmployeeView {
            id: EmployeeId::parse(self.id).ok_or_else(|| bad("employee id"))?,
            name: self.name,
            position: self.position,
            unit_id: UnitId::parse(self.unit_id).ok_or_else(|| bad("unit id"))?,
            active: self.active != 0,
            directions,
        })
    }
}

#[derive(Deserialize)]
struct StepRow {
    id: i64,
    name: String,
}

fn path_of(rows: Vec<StepRow>) -> Vec<PathStep> {
    rows.into_iter()
        .filter_map(|r| {
            Some(PathStep {
                id: UnitId::parse(r.id)?,
                name: r.name,
            })
        })
        .collect()
}

/// An audit line written whatever the statements before it did.
fn audit_always(a: &Audit) -> Statement {
    stmt(
        sql::INSERT_AUDIT,
        vec![
            Arg::num(a.at.unix_seconds() as f64),
            opt_num(a.account.map(AccountId::get)),
            Arg::text(&a.actor),
            Arg::text(a.action),
            Arg::text(&a.object),
            Arg::text(&a.detail),
        ],
    )
}

async fn grants_query(
    db: &impl Database,
    statement: Statement,
) -> Result<Option<AccountGrants>, StoreError> {
    grants_of(db.rows::<GrantRow>(statement).await?)
}

impl<D: Database> AdminStore for D {
    async fn account_by_session(
        &self,
        id_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AccountGrants>, StoreError> {
        grants_query(
            self,
            stmt(
                sql::ACCOUNT_BY_SESSION,
                vec![Arg::text(id_hash), Arg::num(now.unix_seconds() as f64)],
            ),
        )
        .await
    }

    async fn account_by_api_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AccountGrants>, StoreError> {
        let results = self
            .transaction(vec![
                stmt(
                    sql::ACCOUNT_BY_API_TOKEN,
                    vec![Arg::text(token_hash), Arg::num(now.unix_seconds() as f64)],
                ),
                stmt(
                    sql::TOUCH_API_TOKEN,
                    vec![Arg::text(token_hash), Arg::num(now.unix_seconds() as f64)],
                ),
            ])
            .await?;
        grants_of(nth(&results, 0)?.read::<GrantRow>()?)
    }

    async fn account_by_email(&self, email: &Email) -> Result<Option<AccountGrants>, StoreError> {
        grants_query(
            self,
            stmt(sql::ACCOUNT_BY_EMAIL, vec![Arg::text(email.as_str())]),
        )
        .await
    }

    async fn login_account(&self, email: &Email) -> Result<Option<LoginAccount>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            password_hash: String,
            active: i64,
        }
        let row: Option<Row> = self
            .first(stmt(sql::LOGIN_ACCOUNT, vec![Arg::text(email.as_str())]))
            .await?;
        Ok(row.and_then(|r| {
            Some(LoginAccount {
                id: AccountId::parse(r.id)?,
                password_hash: r.password_hash,
                active: r.active != 0,
            })
        }))
    }

    async fn reserve_login_attempt(
        &self,
        keys: [&str; 2],
        limits: [u32; 2],
        since: i64,
        at: i64,
    ) -> Result<LoginReservation, StoreError> {
        #[derive(Deserialize)]
        struct Reserved {
            id: i64,
            key: String,
        }
        #[derive(Deserialize)]
        struct Window {
            oldest: Option<i64>,
        }
        // One batch: the conditional insert, then the window it left (for `Retry-After`).
        let results = self
            .transaction(vec![
                stmt(
                    sql::RESERVE_LOGIN_ATTEMPT,
                    vec![
                        Arg::text(keys[0]),
                        Arg::text(keys[1]),
                        Arg::num(limits[0]),
                        Arg::num(limits[1]),
                        Arg::num(at as f64),
                        Arg::num(since as f64),
                    ],
                ),
                stmt(
                    sql::LOGIN_FAILURES,
                    vec![
                        Arg::text(keys[0]),
                        Arg::text(keys[1]),
                        Arg::num(since as f64),
                    ],
                ),
            ])
            .await?;
        let reserved: Vec<Reserved> = nth(&results, 0)?.read()?;
        if reserved.is_empty() {
            let window: Option<Window> = nth(&results, 1)?.first()?;
            return Ok(LoginReservation::Throttled {
                oldest: window.and_then(|w| w.oldest),
            });
        }
        Ok(LoginReservation::Reserved {
            client_row: reserved.iter().find(|r| r.key == keys[1]).map(|r| r.id),
        })
    }

    async fn record_login_failure(&self, audit: &Audit) -> Result<(), StoreError> {
        self.transaction(vec![audit_always(audit)]).await?;
        Ok(())
    }

    async fn start_session(
        &self,
        account: AccountId,
        id_hash: &str,
        expires_at: i64,
        clear_failures_key: &str,
        release: Option<i64>,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let mut statements = vec![
            stmt(
                sql::INSERT_SESSION,
                vec![
                    Arg::text(id_hash),
                    Arg::num(account.get()),
                    Arg::num(audit.at.unix_seconds() as f64),
                    Arg::num(expires_at as f64),
                ],
            ),
            audit_always(audit),
            stmt(
                sql::CLEAR_LOGIN_FAILURES,
                vec![Arg::text(clear_failures_key)],
            ),
        ];
        if let Some(row) = release {
            statements.push(stmt(sql::RELEASE_LOGIN_ATTEMPT, vec![Arg::num(row as f64)]));
        }
        self.transaction(statements).await?;
        Ok(())
    }

    async fn end_session(&self, id_hash: &str, audit: &Audit) -> Result<(), StoreError> {
        self.transaction(vec![
            stmt(sql::DELETE_SESSION, vec![Arg::text(id_hash)]),
            audit.statement(false),
        ])
        .await?;
        Ok(())
    }

    async fn password_hash(&self, account: AccountId) -> Result<Option<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            password_hash: String,
        }
        let row: Option<Row> = self
            .first(stmt(sql::PASSWORD_HASH, vec![Arg::num(account.get())]))
            .await?;
        Ok(row.map(|r| r.password_hash))
    }

    async fn set_password(
        &self,
        account: AccountId,
        hash: &str,
        keep: Option<&str>,
        revoke_tokens: bool,
        audit: &Audit,
    ) -> Result<(), StoreError> {
        let at = Arg::num(audit.at.unix_seconds() as f64);
        let mut statements = vec![
            stmt(
                sql::SET_PASSWORD,
                vec![Arg::num(account.get()), Arg::text(hash), at.clone()],
            ),
            audit.statement(false),
            stmt(
                sql::DELETE_OTHER_SESSIONS,
                vec![Arg::num(account.get()), Arg::opt_text(keep)],
            ),
        ];
        if revoke_tokens {
            statements.push(stmt(
                sql::REVOKE_ACCOUNT_TOKENS,
                vec![Arg::num(account.get()), at],
            ));
        }
        self.transaction(statements).await?;
        Ok(())
    }

    async fn forget_login_failures_before(&self, before: i64) -> Result<(), StoreError> {
        self.transaction(vec![
            stmt(
                sql::DELETE_OLD_LOGIN_FAILURES,
                vec![Arg::num(before as f64)],
            ),
            stmt(sql::DELETE_EXPIRED_SESSIONS, vec![Arg::num(before as f64)]),
        ])
        .await?;
        Ok(())
    }

    async fn email_taken(&self, email: &Email) -> Result<bool, StoreError> {
        Ok(self
            .first::<FoundRow>(stmt(sql::EMAIL_TAKEN, vec![Arg::text(email.as_str())]))
            .await?
            .is_some())
    }

    async fn create_invitation(
        &self,
        token_hash: &str,
        email: &Email,
        grant: Grant,
        expires_at: i64,
        scope: &Scope,
        audit: &Audit,
    ) -> Result<Created<()>, StoreError> {
        let results = self
            .transaction(vec![
                stmt(
                    sql::INSERT_INVITATION,
                    vec![
                        Arg::text(token_hash),
                        Arg::text(email.as_str()),
                        Arg::text(grant.role().as_str()),
                        opt_num(grant.unit().map(UnitId::get)),
                        opt_num(audit.account.map(AccountId::get)),
                        Arg::num(audit.at.unix_seconds() as f64),
                        scope_arg(scope),
                        Arg::num(expires_at as f64),
                    ],
                ),
                audit.statement(false),
            ])
            .await?;
        match results.first().map(|r| r.changes) {
            Some(1) => Ok(Created::Done(())),
            _ => Ok(Created::NotFound),
        }
    }

    async fn open_invitation(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<OpenInvitation>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            email: String,
            role: String,
            unit_id: Option<i64>,
        }
        let row: Option<Row> = self
            .first(stmt(
                sql::OPEN_INVITATION,
                vec![Arg::text(token_hash), Arg::num(now.unix_seconds() as f64)],
            ))
            .await?;
        Ok(row.and_then(|r| {
            Some(OpenInvitation {
                email: r.email,
                grant: Grant::parse(&r.role, r.unit_id).ok()?,
            })
        }))
    }

    async fn accept_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        session_hash: &str,
        session_expires: i64,
        audit: &Audit,
    ) -> Result<Accepted, StoreError> {
        let at = Arg::num(audit.at.unix_seconds() as f64);
        let results = self
            .transaction(vec![
                stmt(sql::USE_INVITATION, vec![Arg::text(token_hash), at.clone()]),
                stmt(
                    sql::INSERT_INVITED_ACCOUNT,
                    vec![Arg::text(token_hash), at.clone(), Arg::text(password_hash)],
                ),
                stmt(
                    sql::INSERT_INVITED_GRANT,
                    vec![Arg::text(token_hash), at.clone()],
                ),
                stmt(
                    sql::INSERT_INVITED_SESSION,
                    vec![
                        Arg::text(token_hash),
                        at,
                        Arg::text(session_hash),
                        Arg::num(session_expires as f64),
                    ],
                ),
                audit.statement(true),
            ])
            .await?;
        let id: Option<IdRow> = nth(&results, 1)?.first()?;
        Ok(match id.and_then(|r| AccountId::parse(r.id)) {
            Some(id) => Accepted::Account(id),
            None => Accepted::Gone,
        })
    }

    async fn create_grant_link(
        &self,
        token_hash: &str,
        account: AccountId,
        grants: &[Grant],
        expires_at: i64,
        audit: &Audit,
    ) -> Result<bool, StoreError> {
        let pairs: Vec<(&str, Option<u32>)> = grants
            .iter()
            .map(|g| (g.role().as_str(), g.unit().map(UnitId::get)))
            .collect();
        let results = self
            .transaction(vec![
                stmt(
                    sql::INSERT_GRANT_LINK,
                    vec![
                        Arg::text(token_hash),
                        Arg::num(account.get()),
                        Arg::text(&ids_json(&pairs)),
                        opt_num(audit.account.map(AccountId::get)),
                        Arg::num(audit.at.unix_seconds() as f64),
                        Arg::num(expires_at as f64),
                    ],
                ),
                audit.statement(false),
            ])
            .await?;
        Ok(results.first().map(|r| r.changes) == Some(1))
    }

    async fn open_grant_link(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<OpenGrantLink>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            account_id: i64,
            email: String,
            grants: String,
        }
        let row: Option<Row> = self
            .first(stmt(
                sql::OPEN_GRANT_LINK,
                vec![Arg::text(token_hash), Arg::num(now.unix_seconds() as f64)],
            ))
            .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let pairs: Vec<(String, Option<i64>)> =
            serde_json::from_str(&r.grants).map_err(|_| bad("grant link"))?;
        Ok(Some(OpenGrantLink {
            account: AccountId::parse(r.account_id).ok_or_else(|| bad("account id"))?,
            email: r.email,
            grants: pairs
                .iter()
                .filter_map(|(role, unit)| Grant::parse(role, *unit).ok())
                .collect(),
        }))
    }

    async fn accept_grant_link(
        &self,
        token_hash: &str,
        password_hash: &str,
        session_hash: &str,
        session_expires: i64,
        audit: &Audit,
    ) -> Result<Accepted, StoreError> {
        let at = Arg::num(audit.at.unix_seconds() as f64);
        let link = || [Arg::text(token_hash), at.clone()];
        let results = self
            .transaction(vec![
                stmt(sql::USE_GRANT_LINK, link().to_vec()),
                stmt(
                    sql::GRANT_LINK_PASSWORD,
                    vec![Arg::text(token_hash), at.clone(), Arg::text(password_hash)],
                ),
                stmt(sql::GRANT_LINK_SESSIONS, link().to_vec()),
                stmt(sql::GRANT_LINK_TOKENS, link().to_vec()),
                stmt(sql::GRANT_LINK_GRANTS, link().to_vec()),
                stmt(
                    sql::GRANT_LINK_SESSION,
                    vec![
                        Arg::text(token_hash),
                        at.clone(),
                        Arg::text(session_hash),
                        Arg::num(session_expires as f64),
                    ],
                ),
                // Written only if the session was, which needs the link used by this batch.
                audit.statement(false),
                stmt(sql::GRANT_LINK_ACCOUNT, link().to_vec()),
            ])
            .await?;
        if results.first().map(|r| r.changes) != Some(1) {
            return Ok(Accepted::Gone);
        }
        let id: Option<IdRow> = nth(&results, 7)?.first()?;
        Ok(match id.and_then(|r| AccountId::parse(r.id)) {
            Some(id) => Accepted::Account(id),
            None => Accepted::Gone,
        })
    }

    async fn link_employee(
        &self,
        account: AccountId,
        employee: Option<EmployeeId>,
        audit: &Audit,
    ) -> Result<Changed, StoreError> {
        if self.account(account).await?.is_none() {
            return Ok(Changed::NotFound);
        }
        let results = self
            .transaction(vec![
                stmt(
                    sql::LINK_EMPLOYEE,
                    vec![
                        Arg::num(account.get()),
                        opt_num(employee.map(EmployeeId::get)),
                    ],
                ),
                audit.statement(false),
            ])
            .await?;
        Ok(match results.first().map(|r| r.changes) {
            Some(1) => Changed::Done,
            _ => Changed::TargetNotFound,
        })
    }

    async fn accounts(&self) -> Result<Vec<AccountView>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            email: String,
            active: i64,
            role: Option<String>,
            unit_id: Option<i64>,
            unit_name: Option<String>,
            employee_id: Option<i64>,
            employee_name: Option<String>,
        }
        let rows: Vec<Row> = self.rows(stmt(sql::ACCOUNTS, vec![])).await?;
        let mut out: Vec<AccountView> = Vec::new();
        for r in rows {
            let id = AccountId::parse(r.id).ok_or_else(|| bad("account id"))?;
            if out.last().map(|a| a.id) != Some(id) {
                out.push(AccountView {
                    id,
                    email: r.email.clone(),
                    active: r.active != 0,
                    roles: Vec::new(),
                    employee_id: r.employee_id.and_then(EmployeeId::parse),
                    employee_name: r.employee_name.clone(),
                });
            }
            if let (Some(role), Some(last)) = (r.role, out.last_mut()) {
                if let Ok(g) = Grant::parse(&role, r.unit_id) {
                    last.roles.push(RoleView {
                        role: g.role().as_str(),
                        unit_id: g.unit(),
                        unit_name: r.unit_name,
                    });
                }
            }
        }
        Ok(out)
    }

    async fn account(&self, id: AccountId) -> Result<Option<AccountGrants>, StoreError> {
        grants_query(self, stmt(sql::ACCOUNT_BY_ID, vec![Arg::num(id.get())])).await
    }

    async fn other_superadmins(&self, except: AccountId) -> Result<u32, StoreError> {
        let row: Option<CountRow> = self
            .first(stmt(sql::OTHER_SUPERADMINS, vec![Arg::num(except.get())]))
            .await?;
        Ok(row.map_or(0, |r| u32::try_from(r.n).unwrap_or(0)))
    }

    async fn set_grants(
        &self,
        account: AccountId,
        grants: &[Grant],
        audit: &Audit,
    ) -> Result<Changed, StoreError> {
        let units: Vec<u32> = grants
            .iter()
            .filter_map(|g| g.unit().map(UnitId::get))
            .collect();
        let found: Option<CountRow> = self
            .first(stmt(sql::UNITS_EXIST, vec![Arg::text(&ids_json(&units))]))
            .await?;
        if found.map_or(0, |r| r.n) != units.len() as i64 {
            return Ok(Changed::TargetNotFound);
        }
        let pairs: Vec<(String, Option<u32>)> = grants
            .iter()
            .map(|g| (g.role().as_str().to_owned(), g.unit().map(UnitId::get)))
            .collect();
        let results = self
            .transaction(vec![
                stmt(sql::DELETE_GRANTS, vec![Arg::num(account.get())]),
                stmt(
                    sql::INSERT_GRANTS,
                    vec![Arg::num(account.get()), Arg::text(&ids_json(&pairs))],
                ),
                stmt(sql::ACCOUNT_BY_ID, vec![Arg::num(account.get())]),
                audit_always(audit),
            ])
            .await?;
        let exists = !nth(&results, 2)?.read::<GrantRow>()?.is_empty();
        Ok(if exists {
            Changed::Done
        } else {
            Changed::NotFound
        })
    }

    async fn deactivate_account(
        &self,
        account: AccountId,
        audit: &Audit,
    ) -> Result<Changed, StoreError> {
        let results = self
            .transaction(vec![
                stmt(sql::DEACTIVATE_ACCOUNT, vec![Arg::num(account.get())]),
                audit.statement(false),
                stmt(sql::DELETE_ACCOUNT_SESSIONS, vec![Arg::num(account.get())]),
                stmt(
                    sql::REVOKE_ACCOUNT_TOKENS,
                    vec![
                        Arg::num(account.get()),
                        Arg::num(audit.at.unix_seconds() as f64),
                    ],
                ),
            ])
            .await?;
        Ok(match results.first().map(|r| r.changes) {
            Some(1) => Changed::Done,
            _ => Changed::NotFound,
        })
    }

    async fn tokens(&self, account: AccountId) -> Result<Vec<TokenView>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: i64,
            name: String,
            created_at: i64,
            last_used_at: Option<i64>,
            revoked_at: Option<i64>,
            expires_at: i64,
        }
        let rows: Vec<Row> = self
            .rows(stmt(sql::TOKENS, vec![Arg::num(account.get())]))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| TokenView {
                id: r.id,
                name: r.name,
                created_at: r.created_at,
                last_used_at: r.last_used_at,
                revoked_at: r.revoked_at,
                expires_at: r.expires_at,
            })
            .collect())
    }

    async fn create_token(
        &self,
        account: AccountId,
        name: &Name,
        token_hash: &str,
        expires_at: i64,
        audit: &Audit,
    ) -> Result<i64, StoreError> {
        let results = self
            .transaction(vec![
                stmt(
                    sql::INSERT_TOKEN,
                    vec![
                        Arg::num(account.get()),
                        Arg::text(name.as_str()),
                        Arg::text(token_hash),
                        Arg::num(audit.at.unix_seconds() as f64),
                        Arg::num(expires_at as f64),
                    ],
                ),
                audit.statement(true),
            ])
            .await?;
        let row: Option<IdRow> = nth(&results, 0)?.first()?;
        row.map(|r| r.id).ok_or_else(|| bad("missing token id"))
    }

    async fn revoke_token(
        &self,
        account: AccountId,
        id: i64,
        audit: &Audit,
    ) -> Result<Changed, StoreError> {
        let results = self
            .transaction(vec![
                stmt(
                    sql::REVOKE_TOKEN,
                    vec![
                        Arg::num(account.get()),
                        Arg::num(id as f64),
                        Arg::num(audit.at.unix_seconds() as f64),
                    ],
                ),
                audit.statement(false),
            ])
            .await?;
        Ok(match results.first().map(|r| r.changes) {
            Some(1) => Changed::Done,
            _ => Changed::NotFound,
        })
    }

    async fn units(&self, scope: &Scope) -> Result<Vec<UnitView>, StoreError> {
        let rows: Vec<UnitRow> = self.rows(stmt(sql::UNITS, vec![scope_arg(scope)])).await?;
        rows.into_iter().map(UnitRow::view).collect()
    }

    async fn unit_path(&self, unit: UnitId) -> Result<Vec<UnitId>, StoreError> {
        let rows: Vec<StepRow> = self
            .rows(stmt(sql::UNIT_PATH, vec![Arg::num(unit.get())]))
            .await?;
        Ok(path_of(rows).into_iter().map(|s| s.id).collect())
    }

    async fn unit_names(&self, units: &[UnitId]) -> Result<Vec<PathStep>, StoreError> {
        let ids: Vec<u32> = units.iter().map(|u| u.get()).collect();
        let rows: Vec<StepRow> = self
            .rows(stmt(sql::UNIT_NAMES, vec![Arg::text(&ids_json(&ids))]))
            .await?;
        Ok(path_of(rows))
    }

    async fn unit_detail(
        &self,
        scope: &Scope,
        unit: UnitId,
    ) -> Result<Option<UnitDetail>, StoreError> {
        let id = Arg::num(unit.get());
        let results = self
            .transaction(vec![
                stmt(sql::UNIT, vec![scope_arg(scope), id.clone()]),
                stmt(sql::UNIT_PATH, vec![id.clone()]),
                stmt(sql::UNIT_CHILDREN, vec![id.clone()]),
                stmt(
                    sql::EMPLOYEES_OF_UNITS,
                    vec![Arg::text(&ids_json(&[unit.get()]))],
                ),
                stmt(sql::UNIT_NETWORKS, vec![id.clone()]),
                stmt(sql::UNIT_WEBSITE_CODES, vec![id]),
            ])
            .await?;
        let Some(row) = nth(&results, 0)?.first::<UnitRow>()? else {
            return Ok(None);
        };
        #[derive(Deserialize)]
        struct CidrRow {
            cidr: String,
        }
        let website_codes = nth(&results, 5)?
            .first::<CountRow>()?
            .map_or(0, |r| u32::try_from(r.n).unwrap_or(0));
        Ok(Some(UnitDetail {
            unit: row.view()?,
            path: path_of(nth(&results, 1)?.read()?),
            children: nth(&results, 2)?
                .read::<UnitRow>()?
                .into_iter()
                .map(UnitRow::view)
                .collect::<Result<_, _>>()?,
            employees: nth(&results, 3)?
                .read::<EmployeeRow>()?
                .into_iter()
                .map(EmployeeRow::view)
                .collect::<Result<_, _>>()?,
            networks: nth(&results, 4)?
                .read::<CidrRow>()?
                .into_iter()
                .map(|r| r.cidr)
                .collect(),
            website_codes,
        }))
    }

    async fn create_unit_in(
        &self,
        scope: &Scope,
        name: &Name,
        parent: Option<UnitId>,
        timezone: &str,
        audit: &Audit,
    ) -> Result<Created<UnitId>, StoreError> {
        let parent_arg = opt_num(parent.map(UnitId::get));
        let results = self
            .transaction(vec![
                stmt(
                    shared::INSERT_UNIT_IN_SCOPE,
                    vec![
                        Arg::text(name.as_str()),
                        parent_arg.clone(),
                        Arg::num(audit.at.unix_seconds() as f64),
                        scope_arg(scope),
                        Arg::text(timezone),
                    ],
                ),
                stmt(shared::INSERT_UNIT_CLOSURE, vec![parent_arg]),
                // The closure insert wrote rows exactly when the unit was inserted, and leaves
                // `last_insert_rowid()` on the unit (WITHOUT ROWID table).
                audit.statement(true),
            ])
            .await?;
        let row: Option<IdRow> = nth(&results, 0)?.first()?;
        Ok(match row.and_then(|r| UnitId::parse(r.id)) {
            Some(id) => Created::Done(id),
            None => Created::NotFound,
        })
    }

    async fn change_unit(
        &self,
        scope: &Scope,
        unit: UnitId,
        c: &UnitChanges,
        audit: &Audit,
    ) -> Result<Changed, StoreError> {
        let found = self
            .first::<FoundRow>(stmt(
                sql::UNIT_IN_SCOPE,
                vec![scope_arg(scope), Arg::num(unit.get())],
            ))
            .await?;
        if found.is_none() {
            return Ok(Changed::NotFound);
        }
        let id = Arg::num(unit.get());
        let mut statements = vec![stmt(
            sql::UPDATE_UNIT,
            vec![
                scope_arg(scope),
                id.clone(),
                Arg::opt_text(c.name.as_ref().map(Name::as_str)),
                bool_arg(c.active),
                Arg::opt_text(c.timezone.as_deref()),
                Arg::opt_text(c.opening_hours.as_deref()),
            ],
        )];
        if let Some(parent) = c.parent {
            if let Some(p) = parent {
                let target = self
                    .first::<FoundRow>(stmt(
                        sql::UNIT_IN_SCOPE,
                        vec![scope_arg(scope), Arg::num(p.get())],
                    ))
                    .await?;
                if target.is_none() {
                    return Ok(Changed::TargetNotFound);
                }
                let cycle = self
                    .first::<FoundRow>(stmt(
                        sql::IS_DESCENDANT,
                        vec![id.clone(), Arg::num(p.get())],
                    ))
                    .await?;
                if cycle.is_some() {
                    return Ok(Changed::Cycle);
                }
            }
            let parent_arg = opt_num(parent.map(UnitId::get));
            statements.push(stmt(
                sql::MOVE_UNIT_CUT,
                vec![id.clone(), parent_arg.clone()],
            ));
            statements.push(stmt(
                sql::MOVE_UNIT_JOIN,
                vec![id.clone(), parent_arg.clone()],
            ));
            statements.push(stmt(sql::MOVE_UNIT_PARENT, vec![id, parent_arg]));
        }
        statements.push(audit_always(audit));
        self.transaction(statements).await?;
        Ok(Changed::Done)
    }

    async fn set_unit_networks(
        &self,
        scope: &Scope,
        unit: UnitId,
        networks: &[Cidr],
        audit: &Audit,
    ) -> Result<Changed, StoreError> {
        let found = self
            .first::<FoundRow>(stmt(
                sql::UNIT_IN_SCOPE,
                vec![scope_arg(scope), Arg::num(unit.get())],
            ))
            .await?;
        if found.is_none() {
            return Ok(Changed::NotFound);
        }
        let mut statements = vec![stmt(
            shared::CLEAR_UNIT_NETWORKS,
            vec![Arg::num(unit.get())],
        )];
        for n in networks {
            statements.push(stmt(
                shared::INSERT_UNIT_NETWORK,
                vec![Arg::num(unit.get()), Arg::text(&n.to_string())],
            ));
        }
        statements.push(audit_always(audit));
        self.transaction(statements).await?;
        self.forget_cached(Cached::Networks);
        Ok(Changed::Done)
    }

    async fn create_employee_in(
        &self,
        scope: &Scope,
        name: &Name,
        position: &Name,
        unit: UnitId,
        directions: &[DirectionId],
        audit: &Audit,
    ) -> Result<Created<EmployeeId>, StoreError> {
        let dirs = ids_json(&directions.iter().map(|d| d.get()).collect::<Vec<_>>());
        let results = self
            .transaction(vec![
                stmt(
                    shared::INSERT_EMPLOYEE_IN_SCOPE,
                    vec![
                        Arg::text(name.as_str()),
                        Arg::text(position.as_str()),
                        Arg::num(unit.get()),
                        Arg::num(audit.at.unix_seconds() as f64),
                        scope_arg(scope),
                        Arg::text(&dirs),
                    ],
                ),
                audit.statement(true),
                // The audit line exists exactly when the employee was inserted; inside the
                // batch (a transaction) the newest employee is this one.
                stmt(sql::INSERT_NEW_EMPLOYEE_DIRECTIONS, vec![Arg::text(&dirs)]),
            ])
            .await?;
        let row: Option<IdRow> = nth(&results, 0)?.first()?;
        Ok(match row.and_then(|r| EmployeeId::parse(r.id)) {
            Some(id) => Created::Done(id),
            None => Created::NotFound,
        })
    }

    async fn employee_detail(
        &self,
        scope: &Scope,
        employee: EmployeeId,
    ) -> Result<Option<EmployeeDetail>, StoreError> {
        let id = Arg::num(employee.get());
        let results = self
            .transaction(vec![
                stmt(sql::EMPLOYEE, vec![scope_arg(scope), id.clone()]),
                stmt(sql::EMPLOYEE_CODES, vec![id.clone()]),
                stmt(sql::EMPLOYEE_UNIT_PATH, vec![id]),
            ])
            .await?;
        let Some(row) = nth(&results, 0)?.first::<EmployeeRow>()? else {
            return Ok(None);
        };
        #[derive(Deserialize)]
        struct Row {
            channel: i64,
            issue: i64,
            key_id: i64,
            direction_id: Option<i64>,
            issued_at: i64,
            revoked_at: Option<i64>,
        }
        let codes = nth(&results, 1)?
            .read::<Row>()?
            .into_iter()
            .filter_map(|r| {
                Some(CodeRow {
                    channel: Channel::parse(r.channel)?,
                    issue: u16::try_from(r.issue).ok()?,
                    key_id: u8::try_from(r.key_id).ok()?,
                    direction_id: r.direction_id.and_then(DirectionId::parse),
                    issued_at: r.issued_at,
                    revoked_at: r.revoked_at,
                })
            })
            .collect();
        Ok(Some(EmployeeDetail {
            employee: row.view()?,
            unit_path: path_of(nth(&results, 2)?.read()?),
            codes,
        }))
    }

    async fn change_employee(
        &self,
        scope: &Scope,
        employee: EmployeeId,
        c: &EmployeeChanges,
        audit: &Audit,
    ) -> Result<Changed, StoreError> {
        if !self.employee_in_scope(scope, employee).await? {
            return Ok(Changed::NotFound);
        }
        if let Some(unit) = c.unit {
            let target = self
                .first::<FoundRow>(stmt(
                    sql::UNIT_IN_SCOPE,
                    vec![scope_arg(scope), Arg::num(unit.get())],
                ))
                .await?;
            if target.is_none() {
                return Ok(Changed::TargetNotFound);
            }
        }
        let id = Arg::num(employee.get());
        let mut statements = vec![stmt(
            shared::UPDATE_EMPLOYEE,
            vec![
                scope_arg(scope),
                id.clone(),
                Arg::opt_text(c.name.as_ref().map(Name::as_str)),
                Arg::opt_text(c.position.as_ref().map(Name::as_str)),
                bool_arg(c.active),
                opt_num(c.unit.map(UnitId::get)),
            ],
        )];
        if let Some(directions) = &c.directions {
            let dirs = ids_json(&directions.iter().map(|d| d.get()).collect::<Vec<_>>());
            let found: Option<CountRow> = self
                .first(stmt(sql::DIRECTIONS_EXIST, vec![Arg::text(&dirs)]))
                .await?;
            if found.map_or(0, |r| r.n) != directions.len() as i64 {
                return Ok(Changed::TargetNotFound);
            }
            statements.push(stmt(sql::CLEAR_EMPLOYEE_DIRECTIONS, vec![id.clone()]));
            statements.push(stmt(
                sql::INSERT_EMPLOYEE_DIRECTIONS,
                vec![id, Arg::text(&dirs)],
            ));
        }
        statements.push(audit_always(audit));
        self.transaction(statements).await?;
        Ok(Changed::Done)
    }

    async fn employee_in_scope(
        &self,
        scope: &Scope,
        employee: EmployeeId,
    ) -> Result<bool, StoreError> {
        Ok(self
            .first::<FoundRow>(stmt(
                sql::EMPLOYEE_IN_SCOPE,
                vec![scope_arg(scope), Arg::num(employee.get())],
            ))
            .await?
            .is_some())
    }

    async fn issue_code_in(
        &self,
        scope: &Scope,
        employee: EmployeeId,
        channel: Channel,
        direction: Option<DirectionId>,
        key_id: u8,
        audit: &Audit,
    ) -> Result<IssueOutcome, StoreError> {
        let (e, c, at) = (
            Arg::num(employee.get()),
            Arg::num(channel.get()),
            Arg::num(audit.at.unix_seconds() as f64),
        );
        let results = self
            .transaction(vec![
                stmt(
                    shared::INSERT_CODE_IN_SCOPE,
                    vec![
                        e.clone(),
                        c.clone(),
                        Arg::num(key_id),
                        at.clone(),
                        scope_arg(scope),
                        opt_num(direction.map(DirectionId::get)),
                    ],
                ),
                audit.statement(false),
                stmt(shared::REVOKE_OLDER_CODES, vec![e.clone(), c.clone(), at]),
            ])
            .await?;
        #[derive(Deserialize)]
        struct IssueRow {
            issue: i64,
        }
        if let Some(row) = nth(&results, 0)?.first::<IssueRow>()? {
            let issue = u16::try_from(row.issue).map_err(|_| bad("issue number"))?;
            return Ok(IssueOutcome::Issued(issue));
        }
        if !self.employee_in_scope(scope, employee).await? {
            return Ok(IssueOutcome::NoSuchEmployee);
        }
        let max: Option<IssueRow> = self.first(stmt(sql::CODE_ISSUES, vec![e, c])).await?;
        Ok(if max.map_or(0, |m| m.issue) >= 65535 {
            IssueOutcome::Exhausted
        } else {
            // The employee is there, so it was the direction.
            IssueOutcome::NoSuchEmployee
        })
    }

    async fn revoke_codes_in(
        &self,
        scope: &Scope,
        employee: EmployeeId,
        channel: Channel,
        audit: &Audit,
    ) -> Result<Changed, StoreError> {
        if !self.employee_in_scope(scope, employee).await? {
            return Ok(Changed::NotFound);
        }
        self.transaction(vec![
            stmt(
                shared::REVOKE_CODES_IN_SCOPE,
                vec![
                    Arg::num(employee.get()),
                    Arg::num(channel.get()),
                    Arg::num(audit.at.unix_seconds() as f64),
                    scope_arg(scope),
                ],
            ),
            audit.statement(false),
        ])
        .await?;
        Ok(Changed::Done)
    }

    async fn poster_rows(
        &self,
        scope: &Scope,
        unit: Option<UnitId>,
        employee: Option<EmployeeId>,
        channel: Channel,
    ) -> Result<Vec<PosterRow>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            employee: i64,
            name: String,
            position: String,
            unit_name: String,
            channel: i64,
            issue: i64,
            key_id: i64,
        }
        let rows: Vec<Row> = self
            .rows(stmt(
                sql::POSTER_ROWS,
                vec![
                    scope_arg(scope),
                    opt_num(unit.map(UnitId::get)),
                    opt_num(employee.map(EmployeeId::get)),
                    Arg::num(channel.get()),
                ],
            ))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(PosterRow {
                    employee: EmployeeId::parse(r.employee)?,
                    name: r.name,
                    position: r.position,
                    unit_name: r.unit_name,
                    channel: Channel::parse(r.channel)?,
                    issue: u16::try_from(r.issue).ok()?,
                    key_id: u8::try_from(r.key_id).ok()?,
                })
            })
            .collect())
    }

    async fn codes_per_key(&self, scope: &Scope) -> Result<Vec<KeyCodes>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            key_id: i64,
            codes: i64,
        }
        let rows: Vec<Row> = self
            .rows(stmt(sql::CODES_PER_KEY, vec![scope_arg(scope)]))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(KeyCodes {
                    key_id: u8::try_from(r.key_id).ok()?,
                    codes: u32::try_from(r.codes).ok()?,
                })
            })
            .collect())
    }

    async fn units_with_old_codes(
        &self,
        scope: &Scope,
        signing: u8,
    ) -> Result<Vec<UnitOldCodes>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            unit_id: i64,
            name: String,
            codes: i64,
        }
        let rows: Vec<Row> = self
            .rows(stmt(
                sql::UNITS_WITH_OLD_CODES,
                vec![scope_arg(scope), Arg::num(signing)],
            ))
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(UnitOldCodes {
                    unit_id: UnitId::parse(r.unit_id)?,
                    name: r.name,
                    codes: u32::try_from(r.codes).ok()?,
                })
            })
            .collect())
    }

    async fn unit_in_scope(&self, scope: &Scope, unit: UnitId) -> Result<bool, StoreError> {
        Ok(self
            .first::<FoundRow>(stmt(
                sql::UNIT_IN_SCOPE,
                vec![scope_arg(scope), Arg::num(unit.get())],
            ))
            .await?
            .is_some())
    }

    async fn reissue_old_codes(
        &self,
        scope: &Scope,
        unit: UnitId,
        signing: u8,
        audit: &Audit,
    ) -> Result<u32, StoreError> {
        let at = Arg::num(audit.at.unix_seconds() as f64);
        let results = self
            .transaction(vec![
                stmt(
                    shared::REISSUE_OLD_CODES,
                    vec![
                        Arg::num(unit.get()),
                        Arg::num(signing),
                        at.clone(),
                        scope_arg(scope),
                    ],
                ),
                audit.statement(false),
                stmt(sql::REVOKE_REISSUED_CODES, vec![Arg::num(signing), at]),
            ])
            .await?;
        Ok(results
            .first()
            .map_or(0, |r| u32::try_from(r.changes).unwrap_or(u32::MAX)))
    }

    async fn scale_level_in_use(&self, values: &[u8]) -> Result<Option<u8>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            value: i64,
        }
        let row: Option<Row> = self
            .first(stmt(
                sql::SCALE_LEVEL_IN_USE,
                vec![Arg::text(&ids_json(values))],
            ))
            .await?;
        Ok(row.and_then(|r| u8::try_from(r.value).ok()))
    }

    async fn replace_scale(&self, levels: &[Level], audit: &Audit) -> Result<(), StoreError> {
        let json: Vec<serde_json::Value> = levels
            .iter()
            .map(|l| {
                serde_json::json!({
                    "value": l.value,
                    "colour": l.colour,
                    "face": l.face.code(),
                    "labels": l.labels,
                })
            })
            .collect();
        let json = serde_json::Value::Array(json).to_string();
        self.transaction(vec![
            stmt(sql::CLEAR_SCALE, vec![]),
            stmt(sql::INSERT_SCALE, vec![Arg::text(&json)]),
            audit.statement(false),
        ])
        .await?;
        self.forget_cached(Cached::Scale);
        Ok(())
    }

    async fn all_criteria(&self) -> Result<Vec<Criterion>, StoreError> {
        crate::store::criteria(self).await
    }

    async fn create_criterion(
        &self,
        code: &str,
        labels: &Labels,
        position: i64,
        audit: &Audit,
    ) -> Result<Created<i64>, StoreError> {
        let labels = serde_json::to_string(labels).unwrap_or_else(|_| "{}".into());
        let results = self
            .transaction(vec![
                stmt(
                    sql::INSERT_CRITERION,
                    vec![
                        Arg::text(code),
                        Arg::text(&labels),
                        Arg::num(position as f64),
                    ],
                ),
                audit.statement(true),
            ])
            .await?;
        self.forget_cached(Cached::Scale);
        let row: Option<IdRow> = nth(&results, 0)?.first()?;
        Ok(match row {
            Some(r) => Created::Done(r.id),
            None => Created::Duplicate,
        })
    }

    async fn change_criterion(
        &self,
        id: i64,
        labels: Option<&Labels>,
        position: Option<i64>,
        active: Option<bool>,
        audit: &Audit,
    ) -> Result<Changed, StoreError> {
        let labels = labels.map(|l| serde_json::to_string(l).unwrap_or_else(|_| "{}".into()));
        let results = self
            .transaction(vec![
                stmt(
                    sql::UPDATE_CRITERION,
                    vec![
                        Arg::num(id as f64),
                        Arg::opt_text(labels.as_deref()),
                        position.map_or(Arg::Null, |p| Arg::num(p as f64)),
                        bool_arg(active),
                    ],
                ),
                audit.statement(false),
            ])
            .await?;
        self.forget_cached(Cached::Scale);
        Ok(if results.first().map_or(0, |r| r.changes) == 1 {
            Changed::Done
        } else {
            Changed::NotFound
        })
    }

    async fn directions(&self) -> Result<Vec<DirectionView>, StoreError> {
        let rows: Vec<StepRow> = self.rows(stmt(sql::DIRECTIONS, vec![])).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(DirectionView {
                    id: DirectionId::parse(r.id)?,
                    name: r.name,
                })
            })
            .collect())
    }

    async fn create_direction(
        &self,
        name: &Name,
        audit: &Audit,
    ) -> Result<Created<DirectionId>, StoreError> {
        let results = self
            .transaction(vec![
                stmt(
                    sql::INSERT_DIRECTION,
                    vec![
                        Arg::text(name.as_str()),
                        Arg::num(audit.at.unix_seconds() as f64),
                    ],
                ),
                audit.statement(true),
            ])
            .await?;
        let row: Option<IdRow> = nth(&results, 0)?.first()?;
        Ok(match row.and_then(|r| DirectionId::parse(r.id)) {
            Some(id) => Created::Done(id),
            None => Created::Duplicate,
        })
    }

    async fn employees_of(&self, units: &[UnitId]) -> Result<Vec<EmployeeView>, StoreError> {
        let ids: Vec<u32> = units.iter().map(|u| u.get()).collect();
        let rows: Vec<EmployeeRow> = self
            .rows(stmt(
                sql::EMPLOYEES_OF_UNITS,
                vec![Arg::text(&ids_json(&ids))],
            ))
            .await?;
        rows.into_iter().map(EmployeeRow::view).collect()
    }

    async fn apply_import(&self, rows: &[ImportRow], audit: &Audit) -> Result<(), StoreError> {
        let json = |r: &ImportRow| {
            serde_json::json!({
                "id": r.employee,
                "name": r.name.as_str(),
                "position": r.position.as_str(),
                "unit": r.unit,
                "active": u8::from(r.active),
                "directions": r.directions,
            })
        };
        let updates: Vec<serde_json::Value> = rows
            .iter()
            .filter(|r| r.employee.is_some())
            .map(json)
            .collect();
        let creations: Vec<serde_json::Value> = rows
            .iter()
            .filter(|r| r.employee.is_none())
            .map(json)
            .collect();
        let updates = serde_json::Value::Array(updates).to_string();
        let creations_n = creations.len();
        let creations = serde_json::Value::Array(creations).to_string();
        let mut statements = vec![
            stmt(sql::IMPORT_UPDATE, vec![Arg::text(&updates)]),
            stmt(sql::IMPORT_CLEAR_DIRECTIONS, vec![Arg::text(&updates)]),
            stmt(sql::IMPORT_DIRECTIONS, vec![Arg::text(&updates)]),
        ];
        if creations_n > 0 {
            statements.push(stmt(
                shared::IMPORT_INSERT,
                vec![
                    Arg::text(&creations),
                    Arg::num(audit.at.unix_seconds() as f64),
                ],
            ));
            statements.push(stmt(
                sql::IMPORT_NEW_DIRECTIONS,
                vec![Arg::text(&creations)],
            ));
        }
        statements.push(audit_always(audit));
        self.transaction(statements).await?;
        Ok(())
    }
}
