//! Handlers of the audit log's reader, the pending links and the reset link (`crate::audit`).

use super::admin::{fail, ok_json, random};
use super::{http, App};
use crate::account::{AccountId, Principal};
use crate::admin::AdminError;
use crate::audit::{self, AuditQuery, Format};
use worker::{Request, Response, Result};

/// `GET /api/v1/admin/audit`: a page as JSON, or every matching entry as CSV.
pub async fn audit_log(app: &App, req: &Request, p: &Principal) -> Result<Response> {
    let q = match AuditQuery::parse(&http::query_pairs(req)) {
        Ok(q) => q,
        Err(e) => return fail(&e),
    };
    match q.format {
        Format::Json => match audit::page(&app.store, p, &q).await {
            Ok(page) => ok_json(200, &page),
            Err(e) => fail(&e),
        },
        Format::Csv => match audit::csv(&app.store, p, &q).await {
            Ok(csv) => {
                let name = format!("audit-{}.csv", app.now.utc_day());
                let mut resp = http::file("text/csv; charset=utf-8", csv.into_bytes(), "no-store")?;
                resp.headers_mut().set(
                    "content-disposition",
                    &format!("attachment; filename=\"{name}\""),
                )?;
                Ok(resp)
            }
            Err(e) => fail(&e),
        },
    }
}

pub async fn pending(app: &App, p: &Principal) -> Result<Response> {
    match audit::pending(&app.store, p).await {
        Ok(links) => ok_json(200, &serde_json::json!({ "invitations": links })),
        Err(e) => fail(&e),
    }
}

pub async fn revoke(app: &App, p: &Principal, id: &str) -> Result<Response> {
    match audit::revoke(&app.store, p, id, app.now).await {
        Ok(()) => http::no_content(),
        Err(e) => fail(&e),
    }
}

pub async fn reset_link(app: &App, p: &Principal, account: Option<AccountId>) -> Result<Response> {
    let Some(account) = account else {
        return fail(&AdminError::NotFound("account"));
    };
    let r32: [u8; 32] = match random() {
        Ok(r) => r,
        Err(e) => return http::api_error(&e),
    };
    match audit::reset_link(&app.store, &app.base_url, p, account, r32, app.now).await {
        Ok(link) => ok_json(201, &link),
        Err(e) => fail(&e),
    }
}
