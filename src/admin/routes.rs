//! The administration's routes, declared once (`routes::Def`): dispatch, the `Allow` header,
//! authorisation and the OpenAPI drift test all read this table. Each answers in
//! `handlers.rs` (`dispatch`); the OpenAPI entries are in `openapi.json` beside it.

use crate::account::AccountId;
use crate::org::{EmployeeId, UnitId};
use crate::routes::{BodyLimit, Def, Method::*, Route};

/// An administration request. Ids that do not parse are `None`: a 404 after authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRoute {
    /// Signing in (public: the body is the credential).
    SignIn,
    /// The signed-in account, its roles, its CSRF token and the time zones a unit may have.
    Me,
    SignOut,
    ChangePassword,
    /// An invitation's link followed: the new account's password set (public: the link is the
    /// credential).
    AcceptInvitation,
    Units,
    CreateUnit,
    UnitDetail {
        unit: Option<UnitId>,
    },
    ChangeUnit {
        unit: Option<UnitId>,
    },
    /// A unit's office networks, whose votes are flagged.
    SetNetworks {
        unit: Option<UnitId>,
    },
    CreateEmployee,
    EmployeeDetail {
        employee: Option<EmployeeId>,
    },
    ChangeEmployee {
        employee: Option<EmployeeId>,
    },
    Directions,
    CreateDirection,
    IssueCode {
        employee: Option<EmployeeId>,
    },
    RevokeCode {
        employee: Option<EmployeeId>,
    },
    QrSvg {
        employee: Option<EmployeeId>,
    },
    QrPng {
        employee: Option<EmployeeId>,
    },
    /// Where a key rotation stands: every key with codes or in the ring, and the units
    /// that still have codes an older key signed.
    SigningKeys,
    /// A subtree's current codes that an older key signed, issued again with the signing key.
    ReissueOldCodes {
        unit: Option<UnitId>,
    },
    Accounts,
    Invite,
    SetRoles {
        account: Option<AccountId>,
    },
    /// The employee an account belongs to (superadmins).
    LinkEmployee {
        account: Option<AccountId>,
    },
    DeactivateAccount {
        account: Option<AccountId>,
    },
    Tokens,
    CreateToken,
    RevokeToken {
        id: Option<i64>,
    },
    Scale,
    SetScale,
    CreateCriterion,
    ChangeCriterion {
        id: Option<i64>,
    },
}

fn admin(r: AdminRoute) -> Option<Route<'static>> {
    Some(Route::Admin(r))
}

pub const ROUTES: &[Def] = &[
    // Sessions: sign-in, who am I, sign-out, password, an invitation accepted.
    Def::new(Post, "/api/v1/session", |_| admin(AdminRoute::SignIn))
        .public()
        .body(BodyLimit::Account),
    Def::new(Get, "/api/v1/session", |_| admin(AdminRoute::Me)),
    Def::new(Delete, "/api/v1/session", |_| admin(AdminRoute::SignOut)),
    Def::new(Put, "/api/v1/session/password", |_| {
        admin(AdminRoute::ChangePassword)
    })
    .body(BodyLimit::Account),
    Def::new(Post, "/api/v1/invitations/accept", |_| {
        admin(AdminRoute::AcceptInvitation)
    })
    .public()
    .body(BodyLimit::Account),
    // The organisation: units, their office networks, employees, service directions.
    Def::new(Get, "/api/v1/admin/units", |_| admin(AdminRoute::Units)),
    Def::new(Post, "/api/v1/admin/units", |_| {
        admin(AdminRoute::CreateUnit)
    }),
    Def::new(Get, "/api/v1/admin/units/{id}", |p| {
        admin(AdminRoute::UnitDetail { unit: p.unit() })
    }),
    Def::new(Patch, "/api/v1/admin/units/{id}", |p| {
        admin(AdminRoute::ChangeUnit { unit: p.unit() })
    }),
    Def::new(Put, "/api/v1/admin/units/{id}/networks", |p| {
        admin(AdminRoute::SetNetworks { unit: p.unit() })
    }),
    Def::new(Post, "/api/v1/admin/employees", |_| {
        admin(AdminRoute::CreateEmployee)
    }),
    Def::new(Get, "/api/v1/admin/employees/{id}", |p| {
        admin(AdminRoute::EmployeeDetail {
            employee: p.employee(),
        })
    }),
    Def::new(Patch, "/api/v1/admin/employees/{id}", |p| {
        admin(AdminRoute::ChangeEmployee {
            employee: p.employee(),
        })
    }),
    Def::new(Get, "/api/v1/admin/directions", |_| {
        admin(AdminRoute::Directions)
    }),
    Def::new(Post, "/api/v1/admin/directions", |_| {
        admin(AdminRoute::CreateDirection)
    }),
    // Codes: an employee's code issued, revoked and drawn; the signing keys; old codes reissued.
    Def::new(Post, "/api/v1/admin/employees/{id}/qr", |p| {
        admin(AdminRoute::IssueCode {
            employee: p.employee(),
        })
    }),
    Def::new(Delete, "/api/v1/admin/employees/{id}/qr", |p| {
        admin(AdminRoute::RevokeCode {
            employee: p.employee(),
        })
    }),
    Def::new(Get, "/api/v1/admin/employees/{id}/qr.svg", |p| {
        admin(AdminRoute::QrSvg {
            employee: p.employee(),
        })
    }),
    Def::new(Get, "/api/v1/admin/employees/{id}/qr.png", |p| {
        admin(AdminRoute::QrPng {
            employee: p.employee(),
        })
    }),
    Def::new(Get, "/api/v1/admin/keys", |_| {
        admin(AdminRoute::SigningKeys)
    }),
    Def::new(Post, "/api/v1/admin/units/{id}/reissue-codes", |p| {
        admin(AdminRoute::ReissueOldCodes { unit: p.unit() })
    }),
    // Accounts, invitations, roles and API tokens.
    Def::new(Get, "/api/v1/admin/accounts", |_| {
        admin(AdminRoute::Accounts)
    }),
    Def::new(Post, "/api/v1/admin/invitations", |_| {
        admin(AdminRoute::Invite)
    }),
    Def::new(Put, "/api/v1/admin/accounts/{id}/roles", |p| {
        admin(AdminRoute::SetRoles {
            account: p.account(),
        })
    }),
    Def::new(Put, "/api/v1/admin/accounts/{id}/employee", |p| {
        admin(AdminRoute::LinkEmployee {
            account: p.account(),
        })
    }),
    Def::new(Delete, "/api/v1/admin/accounts/{id}", |p| {
        admin(AdminRoute::DeactivateAccount {
            account: p.account(),
        })
    }),
    Def::new(Get, "/api/v1/admin/tokens", |_| admin(AdminRoute::Tokens)),
    Def::new(Post, "/api/v1/admin/tokens", |_| {
        admin(AdminRoute::CreateToken)
    }),
    Def::new(Delete, "/api/v1/admin/tokens/{id}", |p| {
        admin(AdminRoute::RevokeToken { id: p.small_id() })
    }),
    // The rating scale and the extra criteria.
    Def::new(Get, "/api/v1/admin/scale", |_| admin(AdminRoute::Scale)),
    Def::new(Put, "/api/v1/admin/scale", |_| admin(AdminRoute::SetScale)),
    Def::new(Post, "/api/v1/admin/criteria", |_| {
        admin(AdminRoute::CreateCriterion)
    }),
    Def::new(Patch, "/api/v1/admin/criteria/{id}", |p| {
        admin(AdminRoute::ChangeCriterion { id: p.small_id() })
    }),
];
