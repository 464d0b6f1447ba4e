//! The citizen's routes on Workers: the code-entry page, a unit's form, the vote page, the
//! form and JSON votes and the thank-you page. Each reads the request, calls one use case of
//! `service` on the code's shard and renders the answer.

use super::routes::VotingRoute;
use super::service::{self, Client, CodeError, Submission, VerifiedCode, VoteError};
use super::vote::{FormVote, InputError, JsonVote};
use crate::glue::d1::D1Store;
use crate::glue::App;
use crate::glue::{http, limiter, queue};
use crate::i18n::Lang;
use crate::integrity::PageStamp;
use crate::pages::{self, EmployeeCard, FormProblem, FormState, Problem};
use crate::receipt::Receipt;
use crate::shard::{Destination, ShardMap};
use crate::store::{Source, Store};
use worker::{console_error, Request, Response, Result};

/// Answers a citizen's route.
pub async fn dispatch(app: &App, req: &mut Request, route: VotingRoute<'_>) -> Result<Response> {
    match route {
        VotingRoute::Home => home(app, req),
        VotingRoute::Thanks => {
            let receipt = http::query(req, "receipt").and_then(|r| Receipt::parse(&r));
            http::html(
                200,
                pages::thanks_page(
                    app.page_lang(req, None),
                    receipt.as_ref(),
                    app.public_results,
                ),
            )
        }
        VotingRoute::VotePage { token } => vote_page(app, req, token).await,
        VotingRoute::UnitForm { unit } => unit_form(app, req, unit).await,
        VotingRoute::VoteForm { token } => vote_form(app, req, token).await,
        VotingRoute::ApiVote => http::respond(api_vote(app, req).await),
    }
}

impl App {
    /// The database of the shard a verified code names: a forged code never gets here, and a
    /// code of a shard with no database here is invalid without any read. A one-time code's
    /// store also carries the code's spent mark (`KeyRing::spent_mark`).
    fn store_for_code(&self, code: &VerifiedCode) -> std::result::Result<CodeStore<'_>, CodeError> {
        let (token, claims) = (code.token(), code.claims());
        let mark = match claims.kind {
            crate::token::CodeKind::Standing => None,
            crate::token::CodeKind::OneTime => Some(
                self.ring
                    .spent_mark(token.key_id(), claims)
                    .ok_or(CodeError::Invalid)?,
            ),
        };
        let binding = match self.shards.route(claims.shard) {
            Destination::Home if mark.is_none() => return Ok(CodeStore::Home(&self.store)),
            Destination::Home => String::from("DB"),
            Destination::Bound(n) => ShardMap::binding(n),
            Destination::Unbound => return Err(CodeError::Invalid),
        };
        match self.env.d1(&binding) {
            Ok(db) => {
                let store = D1Store::new(db, claims.shard, self.now);
                Ok(CodeStore::Other(match mark {
                    Some(mark) => store.for_one_time_code(mark),
                    None => store,
                }))
            }
            Err(e) => Err(CodeError::Store(crate::store::StoreError::Unavailable(
                format!("D1 binding {binding}: {e}"),
            ))),
        }
    }

    /// Records a vote from this request's client (its network only goes into the day's keyed
    /// hashes) for the code `token`, whose signature is verified once, here.
    async fn cast(
        &self,
        req: &Request,
        token: &str,
        submission: Submission<'_>,
    ) -> std::result::Result<Receipt, VoteError> {
        let address = http::header(req, "cf-connecting-ip");
        let client = Client {
            address: address.as_deref().unwrap_or("unknown"),
        };
        if let Some(l) = &self.limiter {
            match l.allows(&self.ring, &client.network()).await {
                Ok(true) => {}
                Ok(false) => {
                    return Err(VoteError::RateLimited {
                        retry_after: limiter::RETRY_AFTER_SECONDS,
                    })
                }
                // Open on a fault of the limiter itself: the daily counter in D1 still holds,
                // and an honest vote is not lost to it.
                Err(e) => console_error!("{e}"),
            }
        }
        let salt = fresh_salt();
        let mut random = [0u8; 7];
        // crypto.getRandomValues does not fail for 7 bytes.
        let _ = getrandom::fill(&mut random);
        let receipt = Receipt::from_random(random);
        let arrival = service::Arrival {
            at: self.now,
            fresh_salt: &salt,
            limits: self.limits,
            receipt: &receipt,
        };
        let code = VerifiedCode::verify(&self.ring, token)?;
        let store = self.store_for_code(&code)?;
        match &self.queue {
            Some(queue) => {
                let queued = queue::QueuedStore {
                    store: &store,
                    queue,
                    twice: self.simulated_redelivery,
                };
                self.cast_into(&queued, &code, submission, client, arrival)
                    .await
            }
            None => {
                self.cast_into(&*store, &code, submission, client, arrival)
                    .await
            }
        }
        .map(|()| receipt)
    }

    async fn cast_into(
        &self,
        store: &impl Store,
        code: &VerifiedCode,
        submission: Submission<'_>,
        client: Client<'_>,
        arrival: service::Arrival<'_>,
    ) -> std::result::Result<(), VoteError> {
        let ring = &self.ring;
        match &self.turnstile {
            Some(t) => service::cast_vote(store, ring, t, code, submission, client, arrival).await,
            None => {
                let none = &service::NoChallenge;
                service::cast_vote(store, ring, none, code, submission, client, arrival).await
            }
        }
    }
}

/// The database a code's votes go to: the home one, or another shard's.
enum CodeStore<'a> {
    Home(&'a D1Store),
    Other(D1Store),
}

impl std::ops::Deref for CodeStore<'_> {
    type Target = D1Store;

    fn deref(&self) -> &D1Store {
        match self {
            CodeStore::Home(s) => s,
            CodeStore::Other(s) => s,
        }
    }
}

fn fresh_salt() -> String {
    let mut bytes = [0u8; 32];
    // getrandom on Workers is crypto.getRandomValues, which does not fail for 32 bytes; if it
    // ever did, the salt would still be unique per day in D1 through INSERT OR IGNORE.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn code_problem(lang: Lang, e: &CodeError) -> Result<Response> {
    match e {
        CodeError::Invalid => http::html(404, pages::problem_page(lang, Problem::InvalidCode)),
        CodeError::Revoked => http::html(410, pages::problem_page(lang, Problem::RevokedCode)),
        CodeError::Used => http::html(410, pages::problem_page(lang, Problem::UsedCode)),
        CodeError::Store(cause) => {
            console_error!("store error: {cause}");
            let mut resp = http::html(503, pages::problem_page(lang, Problem::Unavailable))?;
            resp.headers_mut().set("retry-after", "5")?;
            Ok(resp)
        }
    }
}

/// The manual-entry form, or, once a code was typed, a redirect to its vote page.
fn home(app: &App, req: &Request) -> Result<Response> {
    let lang = app.page_lang(req, None);
    match http::query(req, "code") {
        Some(code) => {
            // Only the token alphabet and separators pass; anything else would not verify anyway.
            let code: String = code
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .take(64)
                .collect();
            http::see_other(&format!("/r/{code}?lang={}", lang.code()))
        }
        None => http::html(200, pages::entry_page(lang)),
    }
}

/// A unit's website form; a unit that does not exist, is inactive or has no website codes is
/// the friendly "not found" page.
async fn unit_form(app: &App, req: &Request, unit: Option<crate::org::UnitId>) -> Result<Response> {
    let lang = app.page_lang(req, None);
    let not_found = || http::html(404, pages::problem_page(lang, Problem::NotFound));
    let Some(unit) = unit else {
        return not_found();
    };
    match service::unit_form(&app.store, &app.ring, app.shards.home(), unit).await {
        Ok(Some((name, people))) if !people.is_empty() => {
            let links: Vec<(String, String, String)> = people
                .into_iter()
                .map(|(n, p, token)| (n, p, format!("/r/{}?lang={}", token.as_str(), lang.code())))
                .collect();
            let path = format!("/f/{}", unit.get());
            http::html(200, pages::unit_form_page(lang, &path, &name, &links))
        }
        Ok(_) => not_found(),
        Err(e) => code_problem(lang, &CodeError::Store(e)),
    }
}

async fn vote_page(app: &App, req: &Request, token: &str) -> Result<Response> {
    let lang = app.page_lang(req, None);
    render_vote_page(app, lang, token, &FormState::default(), 200).await
}

async fn render_vote_page(
    app: &App,
    lang: Lang,
    token: &str,
    state: &FormState<'_>,
    status: u16,
) -> Result<Response> {
    let opened = match VerifiedCode::verify(&app.ring, token) {
        Ok(code) => match app.store_for_code(&code) {
            Ok(store) => service::open_code(&*store, code).await,
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match opened {
        Ok(open) => {
            let card = EmployeeCard {
                name: &open.holder.name,
                position: &open.holder.position,
                unit: &open.holder.unit_name,
            };
            let path = format!("/r/{}", open.token.as_str());
            // A page shown again after a mistake keeps its first serving time.
            let stamp = match state.stamp {
                "" => PageStamp::issue(&app.ring, &open.token, app.now),
                kept => kept.to_owned(),
            };
            let state = FormState {
                score: state.score,
                comment: state.comment,
                contact: state.contact,
                problem: state.problem,
                stamp: &stamp,
                criteria: state.criteria,
                challenge: app.turnstile.as_ref().map(|t| t.site_key.as_str()),
            };
            let page = pages::vote_page(lang, &path, &card, &open.scale, &state);
            match state.challenge {
                Some(_) => http::html_with_csp(
                    status,
                    page,
                    &pages::content_security_policy_with_challenge(),
                ),
                None => http::html(status, page),
            }
        }
        Err(e) => code_problem(lang, &e),
    }
}

async fn vote_form(app: &App, req: &mut Request, token: &str) -> Result<Response> {
    let lang = app.page_lang(req, None);
    if !http::has_content_type(req, "application/x-www-form-urlencoded") {
        return http::html(415, pages::problem_page(lang, Problem::BadRequest));
    }
    let body = match http::body(req).await {
        Ok(body) => body,
        Err(e) => return http::html(e.status, pages::problem_page(lang, Problem::BadRequest)),
    };
    let Ok(form) = FormVote::parse(&body) else {
        return http::html(400, pages::problem_page(lang, Problem::BadRequest));
    };
    let lang = app.page_lang(req, form.lang.as_deref());
    let criteria = form.criteria_numbers();
    let submission = Submission {
        score: form.score_number(),
        comment: &form.comment,
        contact: &form.contact,
        lang,
        source: Source::Form,
        page_stamp: form.stamp.as_deref(),
        criteria: &criteria,
        challenge: form.challenge.as_deref(),
    };
    match app.cast(req, token, submission).await {
        Ok(receipt) => http::see_other(&format!(
            "/thanks?lang={}&receipt={}",
            lang.code(),
            receipt.display()
        )),
        Err(e @ (VoteError::Input(_) | VoteError::ChallengeFailed)) => {
            let problem = match e {
                VoteError::Input(InputError::CommentTooLong) => FormProblem::CommentTooLong,
                VoteError::Input(InputError::InvalidContact) => FormProblem::InvalidContact,
                VoteError::Input(
                    InputError::UnknownCriterion | InputError::CriterionOutOfScale,
                ) => FormProblem::Criterion,
                VoteError::ChallengeFailed => FormProblem::Challenge,
                _ => FormProblem::NoScore,
            };
            let score = form.score_number().and_then(|s| u8::try_from(s).ok());
            let state = FormState {
                score,
                comment: &form.comment,
                contact: &form.contact,
                problem: Some(problem),
                stamp: form.stamp.as_deref().unwrap_or(""),
                criteria: &criteria,
                challenge: None,
            };
            render_vote_page(app, lang, token, &state, 422).await
        }
        Err(VoteError::Code(e)) => code_problem(lang, &e),
        Err(VoteError::RateLimited { retry_after }) => {
            let mut resp = http::html(429, pages::problem_page(lang, Problem::TooManyRequests))?;
            resp.headers_mut()
                .set("retry-after", &retry_after.to_string())?;
            Ok(resp)
        }
        Err(VoteError::ChallengeUnavailable(cause)) => {
            console_error!("turnstile: {cause}");
            let mut resp = http::html(503, pages::problem_page(lang, Problem::Unavailable))?;
            resp.headers_mut().set("retry-after", "5")?;
            Ok(resp)
        }
        Err(VoteError::Store(e)) => code_problem(lang, &CodeError::Store(e)),
    }
}

async fn api_vote(app: &App, req: &mut Request) -> http::Answer {
    let vote: JsonVote = http::json_body(req).await?;
    let lang = vote.lang(app.default_lang)?;
    let criteria = vote.criteria();
    let submission = Submission {
        score: Some(vote.score),
        comment: vote.comment.as_deref().unwrap_or(""),
        contact: vote.contact.as_deref().unwrap_or(""),
        lang,
        source: Source::Api,
        page_stamp: None,
        criteria: &criteria,
        challenge: vote.turnstile.as_deref(),
    };
    let receipt = app.cast(req, &vote.token, submission).await?;
    Ok(http::json(
        201,
        serde_json::json!({"status": "recorded", "receipt": receipt.display()}).to_string(),
    )?)
}
