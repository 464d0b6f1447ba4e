//! Handlers of the audit log's reader, the pending links and the reset link (`crate::audit`).

use super::routes::AuditRoute;
use crate::account::{AccountId, Principal};
use crate::admin::AdminError;
use crate::audit::{self, AuditQuery, Format};
use crate::glue::http::{self, ok_json, random, Answer};
use crate::glue::App;
use worker::Request;

/// Answers an audit route for a signed-in caller.
pub async fn dispatch(app: &App, req: &Request, p: &Principal, route: AuditRoute<'_>) -> Answer {
    match route {
        AuditRoute::Log => audit_log(app, req, p).await,
        AuditRoute::Pending => pending(app, p).await,
        AuditRoute::RevokeLink { id } => revoke(app, p, id).await,
        AuditRoute::ResetLink { account } => reset_link(app, p, account).await,
    }
}

/// `GET /api/v1/admin/audit`: a page as JSON, or every matching entry as CSV.
async fn audit_log(app: &App, req: &Request, p: &Principal) -> Answer {
    let q = AuditQuery::parse(&http::query_pairs(req))?;
    match q.format {
        Format::Json => ok_json(200, &audit::page(&app.store, p, &q).await?),
        Format::Csv => {
            let csv = audit::csv(&app.store, p, &q).await?;
            let name = format!("audit-{}.csv", app.now.utc_day());
            let mut resp = http::file("text/csv; charset=utf-8", csv.into_bytes(), "no-store")?;
            resp.headers_mut().set(
                "content-disposition",
                &format!("attachment; filename=\"{name}\""),
            )?;
            Ok(resp)
        }
    }
}

async fn pending(app: &App, p: &Principal) -> Answer {
    let links = audit::pending(&app.store, p).await?;
    ok_json(200, &serde_json::json!({ "invitations": links }))
}

async fn revoke(app: &App, p: &Principal, id: &str) -> Answer {
    audit::revoke(&app.store, p, id, app.now).await?;
    Ok(http::no_content()?)
}

async fn reset_link(app: &App, p: &Principal, account: Option<AccountId>) -> Answer {
    let Some(account) = account else {
        return Err(AdminError::NotFound("account").into());
    };
    let r32: [u8; 32] = random()?;
    let link = audit::reset_link(&app.store, &app.base_url, p, account, r32, app.now).await?;
    ok_json(201, &link)
}
