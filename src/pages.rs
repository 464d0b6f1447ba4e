//! The citizen-facing HTML pages: the rating form, the thank-you page and the error pages.
//!
//! Server-rendered with maud (every interpolated value is HTML-escaped), mobile first, and
//! working as a plain HTML form: no JavaScript, no external requests (no fonts, images or
//! scripts), one inline `<style>` element allowed by its hash in [`content_security_policy`],
//! and no `style=""` attributes anywhere. Colours of the scale's faces are SVG `fill`
//! presentation attributes, which a style-src hash does not govern.
//!
//! Accessibility (WCAG 2.2 AA): one `<h1>` inside `<main>`, a label on every input, the rating
//! as a native radio group in a `<fieldset>` with a `<legend>` (one Tab stop, arrow keys move
//! between levels), a text label beside every coloured face, targets of at least 44×44 px, a
//! visible focus ring, text contrast of at least 4.5:1 (the lightest grey used for text,
//! #4a5260, is over 7:1 on white and on the page background; borders of controls are at least
//! 3.4:1), and a returned form that names its problem in an error summary (`role="alert"`)
//! and on the field itself (`aria-invalid`, `aria-describedby`).
//!
//! Right-to-left: the document carries `dir="rtl"` for Persian and the stylesheet uses logical
//! properties only (`margin-inline`, `padding-inline-start`, `inset-inline-end`,
//! `border-inline-start`, `text-align: start`), so everything mirrors (the one physical rule
//! draws the tick of a chosen level, which is not mirrored in RTL either). The rating scale deliberately runs in reading
//! order: the lowest level sits at the inline START, so in Persian red is on the right and
//! green on the left. That keeps the visual order, the DOM order, the screen-reader order and
//! the arrow keys (which follow reading direction in RTL) in agreement; mirroring the scale
//! back to "red on the left" would make the right arrow move towards a *lower* score.

use crate::i18n::{localize_digits, messages, Lang, Messages};
use crate::scale::{Face, Level, Scale};
use base64::Engine as _;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

pub struct EmployeeCard<'a> {
    pub name: &'a str,
    pub position: &'a str,
    pub unit: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    NoScore,
    CommentTooLong,
    InvalidContact,
    /// An extra criterion's answer is not a level of the scale (or not a criterion).
    Criterion,
    /// Turnstile is configured and the answer is missing or failed.
    Challenge,
}

#[derive(Debug, Default)]
pub struct FormState<'a> {
    pub score: Option<u8>,
    pub comment: &'a str,
    pub contact: &'a str,
    pub problem: Option<FormProblem>,
    /// The signed time the page was served (`integrity::PageStamp`); empty renders none.
    pub stamp: &'a str,
    /// The extra criteria already chosen, as (code, level), kept when the page is shown again.
    pub criteria: &'a [(String, i64)],
    /// The Turnstile site key, when the instance asks for the widget.
    pub challenge: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    InvalidCode,
    RevokedCode,
    /// A one-time code that has taken its vote.
    UsedCode,
    NotFound,
    BadRequest,
    TooManyRequests,
    Unavailable,
    /// A change sent by a page of another site (403).
    CrossSite,
}

/// The longest comment the form accepts, in characters (the server checks it again).
const COMMENT_MAX_CHARS: usize = 1000;
/// The longest contact the form accepts (the longest valid e-mail address).
const CONTACT_MAX_CHARS: usize = 254;

/// The whole stylesheet, inlined once per page and allowed by its SHA-256 in the CSP.
/// Nothing else may style the pages: no `style` attributes, no other `<style>` elements.
pub const STYLESHEET: &str = r#"*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#f3f4f6;color:#1b1f24;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
:lang(fa){font-family:Tahoma,"Noto Naskh Arabic","Noto Sans Arabic",system-ui,sans-serif}
html:lang(fa) body{line-height:1.7}
nav,main{max-width:36rem;margin-inline:auto;padding-inline:1rem}
main{padding-block:.25rem 2.5rem}
a{color:#0b57d0}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem;margin:0;padding:.5rem 0 0;list-style:none}
nav a{display:inline-flex;align-items:center;min-height:44px;min-width:44px;padding-inline:.625rem;border:1px solid transparent;border-radius:.5rem;font-size:.9375rem}
nav a[aria-current]{border-color:#7d838d;background:#fff;color:#1b1f24;font-weight:700;text-decoration:none}
h1{margin:.75rem 0 1rem;font-size:1.5rem;line-height:1.25}
h2{font-size:1.125rem;margin:0 0 .5rem}
p{margin:0 0 1rem}
.card{margin-block-end:1.5rem;padding:1rem;border:1px solid #d0d4da;border-radius:.75rem;background:#fff}
.card h2{margin:0 0 .25rem;color:#4a5260;font-size:.9375rem;font-weight:400}
.card p{margin:0;overflow-wrap:anywhere}
.card .name{font-size:1.25rem;font-weight:700}
.card .role{margin-block-start:.25rem;color:#4a5260}
fieldset{min-width:0;margin:0 0 1.5rem;padding:0;border:0}
legend{margin-block-end:.75rem;padding:0;font-size:1.125rem;font-weight:700}
.scale{display:grid;gap:.5rem}
.tiles{grid-auto-flow:column;grid-auto-columns:1fr}
.opt{position:relative}
.opt input{position:absolute;inset-block-start:50%;inset-inline-start:50%;width:1px;height:1px;margin:0;padding:0;overflow:hidden;clip-path:inset(50%);white-space:nowrap;border:0}
.opt label{display:flex;align-items:center;gap:.375rem .75rem;height:100%;min-height:44px;border:2px solid #7d838d;border-radius:.75rem;background:#fff;font-weight:600;line-height:1.25;overflow-wrap:anywhere;cursor:pointer}
.tiles label{flex-direction:column;justify-content:center;padding:.75rem .25rem;font-size:.9375rem;text-align:center;overflow-wrap:break-word}
.list label{padding-block:.5rem;padding-inline:.75rem 2.75rem;text-align:start}
.opt label:hover{border-color:#1b1f24}
.opt svg{flex:none;width:3rem;height:3rem}
.list svg{width:2.5rem;height:2.5rem}
.opt input:checked+label{border-color:#0b57d0;background:#e8f0fe;box-shadow:inset 0 0 0 2px #0b57d0}
.opt input:checked+label::after{content:"";position:absolute;inset-block-start:.375rem;inset-inline-end:.5rem;width:.5rem;height:.875rem;border:solid #0b57d0;border-width:0 3px 3px 0;transform:rotate(45deg)}
.list input:checked+label::after{inset-block-start:calc(50% - .625rem);inset-inline-end:1.25rem}
.opt input:focus-visible+label{outline:3px solid #0b57d0;outline-offset:3px}
.opt input[aria-invalid=true]+label{border-color:#b3261e}
.criteria .note{margin-block-end:1rem}
.criterion{margin-block-end:1rem}
.criterion legend{margin-block-end:.5rem;font-size:1rem}
.levels{display:flex;flex-wrap:wrap;gap:.5rem}
.lvl{display:inline-flex;align-items:center;gap:.5rem;min-height:44px;padding:.5rem .75rem;border:2px solid #7d838d;border-radius:.75rem;background:#fff;font-weight:600;cursor:pointer}
.lvl:has(input:checked){border-color:#0b57d0;background:#e8f0fe}
.lvl input{flex:none;width:1.25rem;height:1.25rem;margin:0;accent-color:#0b57d0}
.field{margin-block-end:1.5rem}
.results{max-width:60rem}
.results table{width:100%;margin-block-end:1.5rem;border-collapse:collapse;background:#fff;font-size:.9375rem}
.results th,.results td{padding:.375rem .5rem;border:1px solid #d0d4da;text-align:start;vertical-align:top}
.results thead th{background:#e9ecf1}
.results small{color:#4a5260}
.results .note{color:#4a5260;font-size:.875rem}
.results .notice{margin:0 0 1rem;padding:.5rem .75rem;border:2px solid #8a5a00;background:#fff8e6;font-weight:700}
@media print{body{background:#fff}.results a{color:inherit;text-decoration:none}}
.field label{display:block;margin-block-end:.25rem;font-weight:700}
.hint{margin:0 0 .5rem;color:#4a5260;font-size:.9375rem}
.error{margin:0 0 .5rem;color:#b3261e;font-weight:700}
textarea,input[type=text]{display:block;width:100%;min-height:44px;padding:.625rem .75rem;border:2px solid #5f6672;border-radius:.5rem;background:#fff;color:inherit;font:inherit}
textarea{min-height:7.5rem;resize:vertical}
[aria-invalid=true]{border-color:#b3261e}
.note{margin:0 0 1.5rem;padding:.75rem 1rem;border-inline-start:4px solid #5f6672;background:#fff;font-size:.9375rem}
button{display:block;width:100%;min-height:48px;padding:.75rem 1rem;border:0;border-radius:.5rem;background:#0b57d0;color:#fff;font:inherit;font-size:1.125rem;font-weight:700;cursor:pointer}
button:hover{background:#0842a0}
a:focus-visible,button:focus-visible,textarea:focus-visible,input[type=text]:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.errors{margin-block:1rem;padding:.75rem 1rem;border:3px solid #b3261e;border-radius:.5rem;background:#fff}
.errors ul{margin:0;padding-inline-start:1.25rem}
.errors a{color:#b3261e;font-weight:700}
.done{margin-block-start:2rem;padding:1.5rem 1rem;border-radius:.75rem;background:#fff;text-align:center}
.done svg{width:4rem;height:4rem}
@media (forced-colors:active){.opt input:checked+label{outline:3px solid Highlight;outline-offset:-6px}}
"#;

/// The rating form for one employee's code. `path` is both the form's action and the base of
/// the language switcher's links (`{path}?lang=xx`).
pub fn vote_page(
    lang: Lang,
    path: &str,
    card: &EmployeeCard,
    scale: &Scale,
    state: &FormState,
) -> String {
    let m = messages(lang);
    let problem = state.problem;
    let title = match problem {
        Some(_) => format!("{}{}", m.title_error_prefix, m.vote_title),
        None => m.vote_title.to_owned(),
    };
    let first_radio = format!("score-{}", scale.min());
    let body = html! {
        (language_switcher(lang, m, path))
        main {
            h1 { (m.vote_title) }
            @if let Some(p) = problem {
                div .errors role="alert" {
                    h2 { (m.form_problem_heading) }
                    ul {
                        li {
                            a href={ "#" (field_id(p, &first_radio)) } { (problem_text(m, p)) }
                        }
                    }
                }
            }
            section .card aria-labelledby="who" {
                h2 #who { (m.served_heading) }
                p .name { (card.name) }
                @if !card.position.trim().is_empty() {
                    p .role { (card.position) }
                }
                @if !card.unit.trim().is_empty() {
                    p .role { (card.unit) }
                }
            }
            form method="post" action=(path) {
                input type="hidden" name="lang" value=(lang.code());
                @if !state.stamp.is_empty() {
                    input type="hidden" name="t" value=(state.stamp);
                }
                (scale_fieldset(lang, m, scale, state))
                @if !scale.criteria().is_empty() {
                    (criteria_fieldset(lang, m, scale, state))
                }
                p .note { (m.not_help_desk) }
                (comment_field(m, state))
                (contact_field(m, state))
                @if let Some(site_key) = state.challenge {
                    // Turnstile's widget adds `cf-turnstile-response` to this form.
                    div #challenge .cf-turnstile data-sitekey=(site_key)
                        data-language=(lang.code()) data-size="flexible" {}
                    noscript { p .note { (m.challenge_needs_js) } }
                }
                button type="submit" { (m.submit) }
            }
            @if state.challenge.is_some() {
                script src=(TURNSTILE_SCRIPT) async defer {}
            }
        }
    };
    document(lang, &title, body)
}

/// Shown after a vote was stored. Deliberately no link back into the form: one visit, one vote.
/// The receipt is shown only where it can be checked: on an instance whose public results are
/// off there is no page to check it on, and a promise of one would be false.
pub fn thanks_page(
    lang: Lang,
    receipt: Option<&crate::receipt::Receipt>,
    public_results: bool,
) -> String {
    let m = messages(lang);
    let receipt = receipt.filter(|_| public_results);
    let body = html! {
        main {
            div .done {
                (check_icon())
                h1 { (m.thanks_heading) }
                p { (m.thanks_text) }
                @if let Some(r) = receipt {
                    p { (m.receipt_label) " " strong dir="ltr" { (r.display()) } }
                    p .note { (m.receipt_text) }
                }
            }
        }
    };
    document(lang, m.thanks_heading, body)
}

/// A unit's feedback form for its website (`/f/{unit}`): who served you, each a link to that
/// employee's vote page (a website code, channel 4), where everything else is as for a QR code.
pub fn unit_form_page(
    lang: Lang,
    path: &str,
    unit: &str,
    employees: &[(String, String, String)],
) -> String {
    let m = messages(lang);
    let body = html! {
        (language_switcher(lang, m, path))
        main {
            h1 { (m.entry_heading) }
            p .name { (unit) }
            p { (m.unit_form_choose) }
            ul .people {
                @for (name, position, href) in employees {
                    li {
                        a href=(href) { (name) }
                        @if !position.trim().is_empty() { br; small { (position) } }
                    }
                }
            }
            p .note { (m.not_help_desk) }
        }
    };
    document(lang, m.entry_heading, body)
}

/// The home page: a form for typing the code printed under the QR code (a GET, so the
/// worker only redirects to `/r/{code}`; the code is checked there like a scanned one).
pub fn entry_page(lang: Lang) -> String {
    let m = messages(lang);
    let body = html! {
        (language_switcher(lang, m, "/"))
        main {
            h1 { (m.entry_heading) }
            p { (m.entry_text) }
            form method="get" action="/" {
                input type="hidden" name="lang" value=(lang.code());
                div .field {
                    label for="code" { (m.entry_label) }
                    input #code name="code" type="text" dir="ltr" required autocomplete="off"
                        autocapitalize="characters" spellcheck="false" maxlength="64";
                }
                button type="submit" { (m.entry_submit) }
            }
        }
    };
    document(lang, m.entry_heading, body)
}

/// A friendly page for a request that cannot be served; the caller sets the status code
/// (403, 404, 410, 400, 413, 429 or 503).
pub fn problem_page(lang: Lang, problem: Problem) -> String {
    let m = messages(lang);
    let (heading, text) = match problem {
        Problem::InvalidCode => (m.invalid_code_heading, m.invalid_code_text),
        Problem::RevokedCode => (m.revoked_code_heading, m.revoked_code_text),
        Problem::UsedCode => (m.used_code_heading, m.used_code_text),
        Problem::NotFound => (m.not_found_heading, m.not_found_text),
        Problem::BadRequest => (m.bad_request_heading, m.bad_request_text),
        Problem::TooManyRequests => (m.too_many_requests_heading, m.too_many_requests_text),
        Problem::Unavailable => (m.unavailable_heading, m.unavailable_text),
        Problem::CrossSite => (m.cross_site_heading, m.cross_site_text),
    };
    let body = html! {
        main {
            div .done {
                h1 { (heading) }
                p { (text) }
            }
        }
    };
    document(lang, heading, body)
}

/// The Content-Security-Policy for every page above: nothing may load, the one inline
/// stylesheet is allowed by its hash (no 'unsafe-inline'), forms post only to this origin,
/// and the pages may not be framed.
pub fn content_security_policy() -> String {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; style-src '{}'; img-src data:; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'",
            stylesheet_hash()
        )
    })
    .clone()
}

/// Cloudflare Turnstile's script, loaded only by instances that configure it.
pub const TURNSTILE_SCRIPT: &str = "https://challenges.cloudflare.com/turnstile/v0/api.js";

/// The same policy for a vote page with the Turnstile widget: its script and frame may come
/// from `challenges.cloudflare.com`, nothing else changes.
pub fn content_security_policy_with_challenge() -> String {
    format!(
        "{}; script-src https://challenges.cloudflare.com; frame-src https://challenges.cloudflare.com",
        content_security_policy()
    )
}

/// `sha256-<base64>` of [`STYLESHEET`], exactly as a browser hashes the `<style>` content.
fn stylesheet_hash() -> String {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Links to the same page in every language; the current one is marked.
fn language_switcher(lang: Lang, m: &Messages, path: &str) -> Markup {
    html! {
        nav aria-label=(m.language) {
            ul {
                @for other in Lang::ALL {
                    li {
                        a href={ (path) "?lang=" (other.code()) }
                            lang=(other.code())
                            hreflang=(other.code())
                            aria-current=[(other == lang).then_some("true")] {
                            (other.native_name())
                        }
                    }
                }
            }
        }
    }
}

/// The document shell every page shares.
/// The site's icon inline, so that an HTML page costs no request for it; a data: image is allowed
/// by every page's CSP (`img-src data:`). The same icon is served at `/favicon.ico` for what has
/// no head (`glue::http::favicon`).
pub(crate) const ICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%2312355b'/%3E%3C/svg%3E";

pub(crate) fn document(lang: Lang, title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                meta name="referrer" content="no-referrer";
                link rel="icon" href=(ICON);
                title { (title) }
                style { (PreEscaped(STYLESHEET)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

fn problem_text(m: &Messages, problem: FormProblem) -> &'static str {
    match problem {
        FormProblem::NoScore => m.problem_no_score,
        FormProblem::CommentTooLong => m.problem_comment_too_long,
        FormProblem::InvalidContact => m.problem_invalid_contact,
        FormProblem::Criterion => m.problem_criterion,
        FormProblem::Challenge => m.problem_challenge,
    }
}

/// The id the error summary links to: the first radio, the textarea or the contact input.
fn field_id(problem: FormProblem, first_radio: &str) -> &str {
    match problem {
        FormProblem::NoScore => first_radio,
        FormProblem::CommentTooLong => "comment",
        FormProblem::InvalidContact => "contact",
        FormProblem::Criterion => "criteria",
        FormProblem::Challenge => "challenge",
    }
}

/// The scale as a native radio group, lowest level first (see the module note on RTL).
fn scale_fieldset(lang: Lang, m: &Messages, scale: &Scale, state: &FormState) -> Markup {
    let invalid = state.problem == Some(FormProblem::NoScore);
    html! {
        fieldset aria-describedby=[invalid.then_some("score-error")] {
            legend { (m.rating_legend) }
            @if invalid {
                p .error #score-error { (m.problem_no_score) }
            }
            div class={ "scale " (layout(lang, scale)) } {
                @for level in scale.levels() {
                    @let id = format!("score-{}", level.value);
                    div .opt {
                        input type="radio" name="score" id=(id) value=(level.value) required
                            checked[state.score == Some(level.value)]
                            aria-invalid=[invalid.then_some("true")];
                        label for=(id) {
                            (face(level))
                            span { (localize_digits(lang, level.labels.get(lang))) }
                        }
                    }
                }
            }
        }
    }
}

/// The optional extra criteria: one small radio group each, nothing preselected or required,
/// labels only (no faces) to keep the page light.
fn criteria_fieldset(lang: Lang, m: &Messages, scale: &Scale, state: &FormState) -> Markup {
    let invalid = state.problem == Some(FormProblem::Criterion);
    html! {
        fieldset #criteria .criteria aria-describedby="criteria-note" {
            legend { (m.criteria_legend) }
            p .note #criteria-note { (m.criteria_note) }
            @if invalid {
                p .error { (m.problem_criterion) }
            }
            @for c in scale.criteria() {
                @let chosen = state.criteria.iter().find(|(code, _)| *code == c.code).map(|(_, v)| *v);
                fieldset .criterion {
                    legend { (c.labels.get(lang)) }
                    div .levels {
                        @for level in scale.levels() {
                            @let id = format!("c-{}-{}", c.code, level.value);
                            label .lvl for=(id) {
                                input type="radio" name={ "c." (c.code) } id=(id) value=(level.value)
                                    checked[chosen == Some(i64::from(level.value))]
                                    aria-invalid=[invalid.then_some("true")];
                                (localize_digits(lang, level.labels.get(lang)))
                            }
                        }
                    }
                }
            }
        }
    }
}

/// How the levels are laid out: `tiles` (one row of faces, the label under each) when every
/// label fits its tile on a 320 px wide phone without breaking a word, else `list` (one level
/// per row, the face at the inline start and the label beside it). Long labels such as
/// «Удовлетворительно» or «Қанағаттанарлық» would otherwise be cut mid-word.
fn layout(lang: Lang, scale: &Scale) -> &'static str {
    /// Characters that fit across all the tiles of one row: a tile of a three-level scale holds
    /// about ten bold characters.
    const ROW_BUDGET: usize = 30;
    let levels = scale.levels().len();
    let longest = scale
        .levels()
        .iter()
        .map(|l| {
            l.labels
                .get(lang)
                .chars()
                .filter(|c| *c != '\u{200c}')
                .count()
        })
        .max()
        .unwrap_or(0);
    if levels <= 5 && longest.saturating_mul(levels) <= ROW_BUDGET {
        "tiles"
    } else {
        "list"
    }
}

fn comment_field(m: &Messages, state: &FormState) -> Markup {
    let invalid = state.problem == Some(FormProblem::CommentTooLong);
    let described = if invalid {
        "comment-error comment-hint"
    } else {
        "comment-hint"
    };
    html! {
        div .field {
            label for="comment" { (m.comment_label) }
            p .hint #comment-hint { (m.comment_hint) }
            @if invalid {
                p .error #comment-error { (m.problem_comment_too_long) }
            }
            // The HTML parser drops one line break right after <textarea>: emit one, so a
            // comment that starts with a blank line comes back intact.
            textarea name="comment" id="comment" rows="5" maxlength=(COMMENT_MAX_CHARS) dir="auto"
                aria-describedby=(described) aria-invalid=[invalid.then_some("true")] {
                "\n" (state.comment)
            }
        }
    }
}

fn contact_field(m: &Messages, state: &FormState) -> Markup {
    let invalid = state.problem == Some(FormProblem::InvalidContact);
    let described = if invalid {
        "contact-error contact-hint"
    } else {
        "contact-hint"
    };
    html! {
        div .field {
            label for="contact" { (m.contact_label) }
            p .hint #contact-hint { (m.contact_hint) }
            @if invalid {
                p .error #contact-error { (m.problem_invalid_contact) }
            }
            // Phone numbers and e-mail addresses read left to right, also on a Persian page.
            input type="text" name="contact" id="contact" value=(state.contact)
                maxlength=(CONTACT_MAX_CHARS) autocomplete="email" dir="ltr"
                spellcheck="false" autocapitalize="off"
                aria-describedby=(described) aria-invalid=[invalid.then_some("true")];
        }
    }
}

/// Dark ink for the faces' features: at least 3.3:1 against every default face colour.
const INK: &str = "#1b1f24";

/// A face drawn in the level's colour (validated `#rrggbb` by `scale.rs`, and escaped anyway).
/// Decorative: the visible text label beside it carries the meaning.
fn face(level: &Level) -> Markup {
    let mouth = match level.face {
        Face::None => return html! {},
        Face::Frown => html! {
            path d="M15 34q9-8 18 0" fill="none" stroke=(INK) stroke-width="3" stroke-linecap="round" {}
        },
        Face::Flat => html! {
            path d="M16 31h16" fill="none" stroke=(INK) stroke-width="3" stroke-linecap="round" {}
        },
        Face::Smile => html! {
            path d="M15 28q9 9 18 0" fill="none" stroke=(INK) stroke-width="3" stroke-linecap="round" {}
        },
        Face::Grin => html! {
            path d="M13 26h22q-1 12-11 12t-11-12z" fill=(INK) {}
        },
    };
    html! {
        svg viewBox="0 0 48 48" width="48" height="48" aria-hidden="true" focusable="false" {
            circle cx="24" cy="24" r="22" fill=(level.colour) stroke=(INK) stroke-width="1.5" {}
            circle cx="17" cy="19" r="3" fill=(INK) {}
            circle cx="31" cy="19" r="3" fill=(INK) {}
            (mouth)
        }
    }
}

/// A green tick for the thank-you page (decorative).
fn check_icon() -> Markup {
    html! {
        svg viewBox="0 0 48 48" width="64" height="64" aria-hidden="true" focusable="false" {
            circle cx="24" cy="24" r="22" fill="#188038" {}
            path d="M14 25l7 7 13-15" fill="none" stroke="#fff" stroke-width="4"
                stroke-linecap="round" stroke-linejoin="round" {}
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn entry_page_asks_for_the_printed_code_in_every_language() {
        for lang in Lang::ALL {
            let page = entry_page(lang);
            assert!(page.contains("name=\"code\""), "{lang}");
            assert!(page.contains(messages(lang).entry_label), "{lang}");
            assert!(page.contains(&format!("dir=\"{}\"", lang.dir())));
            assert!(page.len() <= 15 * 1024);
        }
    }
    use super::*;
    use crate::scale::{Labels, Level};

    const PATH: &str = "/r/0123ABCD";
    const PROBLEMS: [Problem; 8] = [
        Problem::InvalidCode,
        Problem::RevokedCode,
        Problem::UsedCode,
        Problem::NotFound,
        Problem::BadRequest,
        Problem::TooManyRequests,
        Problem::Unavailable,
        Problem::CrossSite,
    ];

    fn card() -> EmployeeCard<'static> {
        EmployeeCard {
            name: "Олена Петренко",
            position: "Адміністратор ЦНАП",
            unit: "Відділ реєстрації",
        }
    }

    fn vote(lang: Lang, state: &FormState) -> String {
        vote_page(lang, PATH, &card(), &Scale::default_three(), state)
    }

    fn all_pages(lang: Lang) -> Vec<String> {
        let mut pages = vec![
            vote(lang, &FormState::default()),
            thanks_page(
                lang,
                Some(&crate::receipt::Receipt::from_random([7; 7])),
                true,
            ),
        ];
        pages.extend(PROBLEMS.iter().map(|p| problem_page(lang, *p)));
        pages
    }

    fn style_content(page: &str) -> &str {
        let start = page.find("<style>").unwrap() + "<style>".len();
        let end = page.find("</style>").unwrap();
        &page[start..end]
    }

    #[test]
    fn every_language_renders_the_vote_thanks_and_problem_pages() {
        for lang in Lang::ALL {
            let m = messages(lang);
            let pages = all_pages(lang);
            assert!(pages[0].contains(m.rating_legend));
            assert!(pages[0].contains(m.submit));
            assert!(pages[1].contains(m.thanks_heading));
            for page in &pages {
                assert!(page.starts_with("<!DOCTYPE html>"));
                assert!(page.contains(&format!(r#"<html lang="{}" dir="{}">"#, lang, lang.dir())));
                assert!(page.contains(r#"<meta charset="utf-8">"#));
                assert!(page.contains(r#"<meta name="robots" content="noindex">"#));
                assert!(page.contains(r#"name="viewport""#));
                assert_eq!(page.matches("<h1>").count(), 1);
                assert_eq!(page.matches("<main>").count(), 1);
                assert_eq!(page.matches("<style>").count(), 1);
                assert!(!page.contains("<script"));
            }
        }
        let en: Vec<String> = PROBLEMS
            .iter()
            .map(|p| problem_page(Lang::En, *p))
            .collect();
        assert!(en[0].contains("This code is not valid"));
        assert!(en[1].contains("no longer valid"));
        assert!(en[2].contains("already been used"));
        assert!(en[5].contains("try again later"));
        assert!(en[6].contains("try again in a minute"));
    }

    #[test]
    fn the_thank_you_page_shows_a_receipt_only_where_public_results_can_check_it() {
        let receipt = crate::receipt::Receipt::from_random([7; 7]);
        for lang in Lang::ALL {
            let m = messages(lang);
            assert!(thanks_page(lang, Some(&receipt), true).contains(m.receipt_text));
            let off = thanks_page(lang, Some(&receipt), false);
            assert!(!off.contains(m.receipt_text) && !off.contains(m.receipt_label));
            assert!(off.contains(m.thanks_heading));
        }
    }

    #[test]
    fn persian_pages_are_right_to_left_and_others_left_to_right() {
        for page in all_pages(Lang::Fa) {
            assert!(page.contains(r#"<html lang="fa" dir="rtl">"#));
        }
        for page in all_pages(Lang::Uk) {
            assert!(page.contains(r#"<html lang="uk" dir="ltr">"#));
        }
    }

    #[test]
    fn the_contact_field_stays_left_to_right_on_a_persian_page() {
        let page = vote(Lang::Fa, &FormState::default());
        let input = &page[page.find(r#"name="contact""#).unwrap()..];
        let input = &input[..input.find('>').unwrap()];
        assert!(input.contains(r#"dir="ltr""#));
        assert!(input.contains(r#"autocomplete="email""#));
        // A phone number is as welcome as an e-mail: the full keyboard, not the e-mail one.
        assert!(!input.contains("inputmode"));
    }

    #[test]
    fn the_default_scale_labels_appear_as_text_beside_each_radio() {
        let page = vote(Lang::Uk, &FormState::default());
        for (value, label) in [(1, "Задовільно"), (2, "Добре"), (3, "Зразково")]
        {
            let radio = format!(
                r#"<input type="radio" name="score" id="score-{value}" value="{value}" required>"#
            );
            let at = page
                .find(&radio)
                .unwrap_or_else(|| panic!("no radio {value}"));
            let after = &page[at..];
            let label_end = after.find("</label>").unwrap();
            let label_html = &after[..label_end];
            assert!(label_html.contains(&format!(r#"<label for="score-{value}">"#)));
            assert!(label_html.contains("<svg"));
            assert!(label_html.contains(r#"aria-hidden="true""#));
            assert!(label_html.contains(&format!("<span>{label}</span>")));
        }
        // Lowest first in the DOM, whatever the direction.
        let fa = vote(Lang::Fa, &FormState::default());
        let (a, b, c) = (
            fa.find("رضایت‌بخش").unwrap(),
            fa.find("خوب").unwrap(),
            fa.find("عالی").unwrap(),
        );
        assert!(a < b && b < c);
        assert!(page.contains(r##"fill="#d93025""##));
        assert!(page.contains(r##"fill="#188038""##));
    }

    #[test]
    fn long_labels_are_listed_and_short_ones_tiled() {
        let scale = Scale::default_three();
        assert_eq!(layout(Lang::Uk, &scale), "tiles");
        assert_eq!(layout(Lang::Fa, &scale), "tiles");
        assert_eq!(layout(Lang::Ru, &scale), "list");
        assert_eq!(layout(Lang::Kk, &scale), "list");
        assert!(vote(Lang::Ru, &FormState::default()).contains(r#"<div class="scale list">"#));
    }

    #[test]
    fn the_chosen_score_is_pre_checked() {
        let state = FormState {
            score: Some(2),
            ..FormState::default()
        };
        let page = vote(Lang::En, &state);
        assert!(page.contains(r#"id="score-2" value="2" required checked>"#));
        assert_eq!(page.matches(" checked").count(), 1);
    }

    #[test]
    fn names_with_markup_are_escaped() {
        let card = EmployeeCard {
            name: "<script>alert(1)</script>",
            position: "\" onmouseover=\"alert(2)",
            unit: "<img src=x onerror=alert(3)>",
        };
        let page = vote_page(
            Lang::Uk,
            PATH,
            &card,
            &Scale::default_three(),
            &FormState::default(),
        );
        assert!(!page.contains("<script>"));
        assert!(!page.contains("<img"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&quot; onmouseover=&quot;alert(2)"));
        assert!(page.contains("&lt;img src=x onerror=alert(3)&gt;"));
    }

    #[test]
    fn pre_filled_values_are_escaped() {
        let state = FormState {
            criteria: &[],
            score: Some(1),
            comment: "</textarea><script>alert(1)</script>",
            contact: "\"><script>alert(2)</script>",
            problem: None,
            stamp: "",
            challenge: None,
        };
        let page = vote(Lang::Uk, &state);
        assert!(!page.contains("<script"));
        assert!(page.contains("&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains(r#"value="&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;""#));
        assert_eq!(page.matches("</textarea>").count(), 1);
    }

    #[test]
    fn a_path_with_markup_is_escaped_in_the_action_and_switcher() {
        let page = vote_page(
            Lang::Uk,
            "/r/\"><script>",
            &card(),
            &Scale::default_three(),
            &FormState::default(),
        );
        assert!(!page.contains("<script"));
    }

    #[test]
    fn the_csp_hash_matches_the_style_element_exactly() {
        let csp = content_security_policy();
        assert!(!csp.contains("unsafe-inline"));
        assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(csp.contains(
            "img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        ));
        for lang in Lang::ALL {
            for page in all_pages(lang) {
                let content = style_content(&page);
                let hash = base64::engine::general_purpose::STANDARD
                    .encode(Sha256::digest(content.as_bytes()));
                assert!(csp.contains(&format!("'sha256-{hash}'")));
            }
        }
    }

    #[test]
    fn no_page_uses_a_style_attribute_or_loads_anything() {
        let bad = FormState {
            problem: Some(FormProblem::NoScore),
            ..FormState::default()
        };
        for lang in Lang::ALL {
            let mut pages = all_pages(lang);
            pages.push(vote(lang, &bad));
            for page in pages {
                // The one link: the inline icon, a data: URI that loads nothing.
                let icon = format!(r#"<link rel="icon" href="{ICON}">"#);
                assert_eq!(page.matches(&icon).count(), 1);
                let page = page.replace(&icon, "");
                assert!(!page.contains("style="));
                assert!(!page.contains("src="));
                assert!(!page.contains("http://"));
                assert!(!page.contains("https://"));
                assert!(!page.contains("<link"));
                assert!(!page.contains("@import"));
                assert!(!page.contains("url("));
            }
        }
    }

    #[test]
    fn the_language_switcher_links_every_language_and_marks_the_current_one() {
        let page = vote(Lang::Kk, &FormState::default());
        for lang in Lang::ALL {
            let current = if lang == Lang::Kk {
                r#" aria-current="true""#
            } else {
                ""
            };
            let link = format!(
                r#"<a href="{PATH}?lang={lang}" lang="{lang}" hreflang="{lang}"{current}>{}</a>"#,
                lang.native_name()
            );
            assert!(page.contains(&link), "missing {link}");
        }
        assert_eq!(page.matches(r#"aria-current="true""#).count(), 1);
        assert!(page.contains(&format!(r#"<form method="post" action="{PATH}">"#)));
        assert!(page.contains(r#"<input type="hidden" name="lang" value="kk">"#));
    }

    #[test]
    fn each_problem_marks_its_field_invalid_and_describes_it() {
        let cases = [
            (FormProblem::NoScore, "score-error", "#score-1"),
            (FormProblem::CommentTooLong, "comment-error", "#comment"),
            (FormProblem::InvalidContact, "contact-error", "#contact"),
        ];
        for (problem, error_id, anchor) in cases {
            let state = FormState {
                problem: Some(problem),
                ..FormState::default()
            };
            let page = vote(Lang::Uk, &state);
            assert!(page.contains(r#"role="alert""#));
            assert!(page.contains(&format!(r#"href="{anchor}""#)));
            assert!(page.contains(&format!(r#"id="{error_id}""#)));
            assert!(page.contains(&format!(r#"aria-describedby="{error_id}"#)));
            assert!(page.contains(r#"aria-invalid="true""#));
            assert!(page.contains("<title>Помилка: "));
        }
        let clean = vote(Lang::Uk, &FormState::default());
        assert!(!clean.contains(r#"aria-invalid="true""#));
        assert!(!clean.contains("role=\"alert\""));
    }

    #[test]
    fn every_input_has_a_label() {
        let page = vote(Lang::Fa, &FormState::default());
        for id in ["score-1", "score-2", "score-3", "comment", "contact"] {
            assert!(page.contains(&format!(r#"<label for="{id}">"#)), "{id}");
            assert!(page.contains(&format!(r#"id="{id}""#)), "{id}");
        }
    }

    #[test]
    fn a_comment_keeps_its_leading_line_break() {
        let state = FormState {
            comment: "\nsecond line",
            ..FormState::default()
        };
        let page = vote(Lang::En, &state);
        assert!(page.contains(">\n\nsecond line</textarea>"));
    }

    #[test]
    fn persian_scale_labels_use_persian_digits() {
        let lv = |v: u8| {
            Level::new(
                v,
                "#188038",
                Face::None,
                Labels::parse_json(&format!(r#"{{"en":"{v}"}}"#)).unwrap(),
            )
        };
        let scale = Scale::new((1..=5).map(lv).collect()).unwrap();
        let page = vote_page(Lang::Fa, PATH, &card(), &scale, &FormState::default());
        assert!(page.contains("<span>۵</span>"));
        assert!(page.contains(r#"value="5""#));
        let en = vote_page(Lang::En, PATH, &card(), &scale, &FormState::default());
        assert!(en.contains("<span>5</span>"));
    }

    #[test]
    fn every_page_is_at_most_15_kb_even_the_largest() {
        let long_kk = "Қанағаттанарлық Әбдіғаппарова".repeat(7);
        let long_fa = "کارشناس ارشد رسیدگی به درخواست‌ها".repeat(6);
        let comment_fa = "نظر من درباره‌ی خدمات ".repeat(55);
        for (lang, long) in [(Lang::Kk, &long_kk), (Lang::Fa, &long_fa)] {
            let long: String = long.chars().take(200).collect();
            let card = EmployeeCard {
                name: &long,
                position: &long,
                unit: &long,
            };
            for problem in [
                FormProblem::NoScore,
                FormProblem::CommentTooLong,
                FormProblem::InvalidContact,
                FormProblem::Challenge,
            ] {
                let state = FormState {
                    criteria: &[],
                    score: Some(3),
                    comment: &comment_fa,
                    contact: "someone.with.a.long.address@example.gov.ua",
                    problem: Some(problem),
                    stamp: "",
                    challenge: (problem == FormProblem::Challenge)
                        .then_some("0x4AAAAAAABkMYinukE8nzYS"),
                };
                let page = vote_page(lang, PATH, &card, &Scale::default_three(), &state);
                assert!(page.len() <= 15 * 1024, "{lang}: {} bytes", page.len());
            }
        }
        for lang in Lang::ALL {
            for page in all_pages(lang) {
                assert!(page.len() <= 15 * 1024);
            }
        }
    }

    /// Writes sample pages to /tmp for a look in a browser:
    /// `cargo test --lib pages::tests::write_samples -- --ignored`.
    #[test]
    #[ignore]
    fn write_samples() {
        let state = FormState {
            criteria: &[],
            score: Some(2),
            comment: "Дуже швидко, дякую.",
            contact: "0671234567",
            problem: Some(FormProblem::InvalidContact),
            stamp: "",
            challenge: None,
        };
        for lang in Lang::ALL {
            std::fs::write(
                format!("/tmp/vote-{lang}.html"),
                vote(lang, &FormState::default()),
            )
            .unwrap();
            std::fs::write(format!("/tmp/vote-err-{lang}.html"), vote(lang, &state)).unwrap();
            std::fs::write(
                format!("/tmp/thanks-{lang}.html"),
                thanks_page(lang, None, true),
            )
            .unwrap();
            std::fs::write(
                format!("/tmp/problem-{lang}.html"),
                problem_page(lang, Problem::InvalidCode),
            )
            .unwrap();
        }
    }

    #[test]
    fn the_turnstile_widget_and_its_script_appear_only_when_configured() {
        let card = EmployeeCard {
            name: "Олена Коваль",
            position: "Адміністраторка",
            unit: "ЦНАП",
        };
        let with = FormState {
            challenge: Some("0x4AAAAAAABkMYinukE8nzYS"),
            problem: Some(FormProblem::Challenge),
            ..FormState::default()
        };
        let page = vote_page(Lang::Fa, PATH, &card, &Scale::default_three(), &with);
        assert!(page.contains(
            r#"class="cf-turnstile" id="challenge" data-sitekey="0x4AAAAAAABkMYinukE8nzYS" data-language="fa""#
        ));
        assert!(page.contains(TURNSTILE_SCRIPT));
        assert!(page.contains(messages(Lang::Fa).problem_challenge));
        assert!(page.contains(r##"href="#challenge""##));
        let without = vote_page(
            Lang::Fa,
            PATH,
            &card,
            &Scale::default_three(),
            &FormState::default(),
        );
        assert!(!without.contains("turnstile"));
        let csp = content_security_policy_with_challenge();
        assert!(csp.starts_with(&content_security_policy()));
        assert!(csp.contains("script-src https://challenges.cloudflare.com"));
        assert!(!content_security_policy().contains("challenges.cloudflare.com"));
    }
}
