//! The poster pages on Workers (HTML, printed from the browser): one employee's, or a unit's
//! subtree's with whom it leaves out for want of a current code.

use super::routes::PosterRoute;
use super::{PaperSize, PosterCard};
use crate::account::Principal;
use crate::admin::{self, AdminError};
use crate::api::ApiError;
use crate::glue::http::{self, query_channel, Answer};
use crate::glue::App;
use crate::i18n::Lang;
use crate::qr;
use worker::Request;

/// Answers a poster route for a signed-in caller.
pub async fn dispatch(app: &App, req: &Request, p: &Principal, route: PosterRoute) -> Answer {
    posters(app, req, p, route).await
}

fn not_found(what: &'static str) -> ApiError {
    AdminError::NotFound(what).into()
}

fn paper(req: &Request) -> PaperSize {
    http::query(req, "size")
        .and_then(|s| PaperSize::parse(&s))
        .unwrap_or(PaperSize::A5)
}

/// The poster page of one employee or of a unit's subtree (HTML, printed from the browser).
async fn posters(app: &App, req: &Request, p: &Principal, route: PosterRoute) -> Answer {
    let channel = query_channel(req)?;
    let (unit, employee) = match route {
        PosterRoute::Employee { employee: Some(e) } => (None, Some(e)),
        PosterRoute::Unit { unit: Some(u) } => (Some(u), None),
        _ => return Err(not_found("poster")),
    };
    if let Some(u) = unit {
        admin::unit_detail(&app.store, p, u).await?;
    }
    let rows = admin::poster_rows(&app.store, p, unit, employee, channel).await?;
    if employee.is_some() && rows.is_empty() {
        return Err(not_found("current code"));
    }
    let prepared: Vec<(String, String, &crate::admin::store::PosterRow)> = rows
        .iter()
        .filter_map(|r| {
            let (url, shown) = admin::code_url(
                &app.ring,
                &app.base_url,
                app.shards.home(),
                r.employee,
                r.channel,
                r.issue,
                r.key_id,
            )?;
            Some((qr::svg(&url).ok()?, shown, r))
        })
        .collect();
    let cards: Vec<PosterCard> = prepared
        .iter()
        .map(|(svg, shown, r)| PosterCard {
            name: &r.name,
            position: &r.position,
            unit: &r.unit_name,
            display_url: shown,
            qr_svg: svg,
        })
        .collect();
    let ui = app.page_lang(req, None);
    // A unit's page says whom it leaves out for want of a current code.
    let uncoded = match unit {
        Some(u) => Some((
            u,
            crate::directory::uncoded(&app.store, p, u, channel).await?,
        )),
        None => None,
    };
    let skipped = match &uncoded {
        Some((u, (list, may_issue))) => super::Skipped {
            employees: list
                .iter()
                .take(super::SKIPPED_SHOWN)
                .map(|e| (e.name.as_str(), e.unit_name.as_str()))
                .collect(),
            more: list.len() > super::SKIPPED_SHOWN,
            issue: may_issue.then_some((u.get(), channel.get())),
        },
        None => super::Skipped::default(),
    };
    Ok(http::admin_html(
        200,
        super::unit_posters_page(ui, paper(req), &app.poster_langs(), &cards, &skipped),
    )?)
}

impl App {
    /// The languages printed on posters: the instance's default first, then the others the
    /// instance lists in `POSTER_LANGS` (default: the default language and English).
    pub fn poster_langs(&self) -> Vec<Lang> {
        let mut langs = vec![self.default_lang];
        for l in &self.extra_poster_langs {
            if !langs.contains(l) {
                langs.push(*l);
            }
        }
        langs
    }
}
