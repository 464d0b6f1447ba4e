//! Printable posters: one sheet per employee with the QR code of their current vote URL, a
//! headline and a one-line instruction in each of the instance's languages, the employee's
//! name, position and unit, and the short URL under the code for people who type it.
//!
//! The page is for office staff, who print it from the browser: a screen-only toolbar says
//! how, with a print button that its one small script ([`POSTER_JS`]) shows (without
//! scripts the browser's menu prints), and on a unit's page the employees left out for want
//! of a current code; the stylesheet ([`POSTER_CSS`],
//! served by the worker at `/admin/assets/poster.css`) sets the sheet size with named
//! `@page` rules, one poster per sheet. The page itself has no inline styles or scripts
//! (CSP `script-src 'self'; style-src 'self'; img-src 'self' data:`); the QR code is inline SVG, which the
//! stylesheet sizes in millimetres. The sizes follow docs/posters.md: at least 1.2 mm a
//! module for a version-4 code on the smallest sheet.

pub mod routes;
// The Workers side, in the back office only (docs/deploy.md).
#[cfg(all(target_arch = "wasm32", not(feature = "citizen")))]
pub(crate) mod handlers;

use crate::i18n::Lang;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The sheet the posters are printed on, portrait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PaperSize {
    /// 210 × 297 mm: doors and walls, read from a few steps away.
    A4,
    /// 148 × 210 mm: desks and counters.
    #[default]
    A5,
    /// 105 × 148 mm: a small stand or the corner of a desk, read at arm's length.
    A6,
}

impl PaperSize {
    pub const ALL: [PaperSize; 3] = [PaperSize::A4, PaperSize::A5, PaperSize::A6];

    /// `a4`, `A5`, ` a6 ` (any case, surrounding spaces ignored); `None` for anything else.
    pub fn parse(s: &str) -> Option<PaperSize> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a4" => Some(PaperSize::A4),
            "a5" => Some(PaperSize::A5),
            "a6" => Some(PaperSize::A6),
            _ => None,
        }
    }

    /// The name printers and print dialogs use: `A4`, `A5`, `A6`.
    pub fn name(self) -> &'static str {
        match self {
            PaperSize::A4 => "A4",
            PaperSize::A5 => "A5",
            PaperSize::A6 => "A6",
        }
    }

    /// The class on `<body>` that selects the sheet's `@page` rule and sizes.
    fn class(self) -> &'static str {
        match self {
            PaperSize::A4 => "a4",
            PaperSize::A5 => "a5",
            PaperSize::A6 => "a6",
        }
    }

    /// The printed width of the QR code, quiet zone included, in millimetres (the `--qr` of
    /// [`POSTER_CSS`]; docs/posters.md explains the figures).
    pub fn qr_width_mm(self) -> u32 {
        match self {
            PaperSize::A4 => 100,
            PaperSize::A5 => 70,
            PaperSize::A6 => 50,
        }
    }
}

/// One employee's poster. `qr_svg` must be the output of [`crate::qr::svg`] for the
/// employee's current vote URL: it is inserted as markup, so anything but the plain
/// `<svg>`, `<rect>` and `<path>` that function draws is refused and no code is drawn.
/// Everything else is text and is escaped.
pub struct PosterCard<'a> {
    pub name: &'a str,
    pub position: &'a str,
    pub unit: &'a str,
    /// The address under the code, `https://host/r/TOKEN` (`PublicBaseUrl::display_url`).
    pub display_url: &'a str,
    pub qr_svg: &'a str,
}

/// What a poster says in one language.
struct PosterText {
    headline: &'static str,
    /// One line: how to rate. Names the vote page's own submit button (`Messages::submit`).
    instruction: &'static str,
}

/// The texts of the page around the posters, in the language of the person printing.
struct PageText {
    title: &'static str,
    /// `{size}` is replaced by the paper size (`A5`).
    print_hint: &'static str,
    no_cards: &'static str,
    qr_label: &'static str,
}

/// The posters' texts, one row per language.
const POSTER_TEXTS: [(Lang, PosterText); 5] = [
    (
        Lang::Uk,
        PosterText {
            headline: "Оцініть якість обслуговування",
            instruction: "Наведіть камеру телефона на QR-код, оберіть оцінку й натисніть «Відправити відгук». Анонімно.",
        },
    ),
    (
        Lang::Ru,
        PosterText {
            headline: "Оцените качество обслуживания",
            instruction: "Наведите камеру телефона на QR-код, выберите оценку и нажмите «Отправить отзыв». Анонимно.",
        },
    ),
    (
        Lang::Kk,
        PosterText {
            headline: "Қызмет көрсету сапасын бағалаңыз",
            instruction: "Телефон камерасын QR-кодқа бағыттаңыз, бағаны таңдап, «Пікірді жіберу» түймесін басыңыз. Анонимді.",
        },
    ),
    (
        Lang::Fa,
        PosterText {
            headline: "کیفیت خدمات را ارزیابی کنید",
            instruction: "دوربین تلفن همراه را به سمت کد QR بگیرید، امتیاز خود را انتخاب کنید و «ارسال نظر» را بزنید. ارزیابی ناشناس است.",
        },
    ),
    (
        Lang::En,
        PosterText {
            headline: "Rate the service you received",
            instruction: "Point your phone camera at the QR code, choose a rating and press “Send feedback”. Anonymous.",
        },
    ),
];

/// The page's own texts, one row per language.
const PAGE_TEXTS: [(Lang, PageText); 5] = [
    (
        Lang::Uk,
        PageText {
            title: "Плакати з QR-кодами для друку",
            print_hint: "Друкуйте через меню браузера: Ctrl+P (на Mac — ⌘P). Оберіть папір {size}, книжкову орієнтацію, поля «За замовчуванням» або «Немає», масштаб 100 % і вимкніть колонтитули. Один плакат — один аркуш.",
            no_cards: "У цьому підрозділі немає працівників із чинним QR-кодом.",
            qr_label: "QR-код для оцінки обслуговування",
        },
    ),
    (
        Lang::Ru,
        PageText {
            title: "Плакаты с QR-кодами для печати",
            print_hint: "Печатайте через меню браузера: Ctrl+P (на Mac — ⌘P). Выберите бумагу {size}, книжную ориентацию, поля «По умолчанию» или «Нет», масштаб 100 % и отключите колонтитулы. Один плакат — один лист.",
            no_cards: "В этом подразделении нет сотрудников с действующим QR-кодом.",
            qr_label: "QR-код для оценки обслуживания",
        },
    ),
    (
        Lang::Kk,
        PageText {
            title: "Басып шығаруға арналған QR-кодты плакаттар",
            print_hint: "Браузер мәзірі арқылы басып шығарыңыз: Ctrl+P (Mac-та ⌘P). {size} қағазын, кітаптық бағдарды, «Әдепкі» немесе «Жоқ» жиектерін, 100 % масштабты таңдап, колонтитулдарды өшіріңіз. Бір плакат — бір парақ.",
            no_cards: "Бұл бөлімшеде жарамды QR-коды бар қызметкер жоқ.",
            qr_label: "Қызмет көрсетуді бағалауға арналған QR-код",
        },
    ),
    (
        Lang::Fa,
        PageText {
            // Isolates (U+2066 … U+2069) keep the key names left to right inside Persian text.
            title: "پوسترهای کد QR برای چاپ",
            print_hint: "با فرمان چاپ مرورگر چاپ کنید: \u{2066}Ctrl+P\u{2069} (در مک \u{2066}⌘P\u{2069}). کاغذ {size}، حالت عمودی، حاشیهٔ «پیش‌فرض» یا «هیچ» و مقیاس ۱۰۰٪ را انتخاب کنید و سرصفحه و پاصفحه را خاموش کنید. هر پوستر روی یک برگ چاپ می‌شود.",
            no_cards: "در این واحد هیچ کارمندی کد QR معتبر ندارد.",
            qr_label: "کد QR برای ارزیابی خدمات",
        },
    ),
    (
        Lang::En,
        PageText {
            title: "QR code posters for printing",
            print_hint: "Print from your browser’s menu: Ctrl+P (⌘P on a Mac). Choose paper {size}, portrait, margins “Default” or “None”, scale 100%, and turn off headers and footers. One poster per sheet.",
            no_cards: "No employee in this unit has a current QR code.",
            qr_label: "QR code to rate the service",
        },
    ),
];

/// The row of `lang`, else the last row (English), else `fallback`, which only an empty table
/// would reach.
fn text_in<T>(table: &'static [(Lang, T)], lang: Lang, fallback: &'static T) -> &'static T {
    let row = table.iter().find(|(l, _)| *l == lang);
    match row.or(table.last()) {
        Some((_, text)) => text,
        None => fallback,
    }
}

fn poster_text(lang: Lang) -> &'static PosterText {
    text_in(&POSTER_TEXTS, lang, &ENGLISH_POSTER)
}

fn page_text(lang: Lang) -> &'static PageText {
    text_in(&PAGE_TEXTS, lang, &ENGLISH_PAGE)
}

/// Unreachable fallbacks (every language has its row; a test checks it), so that the lookups
/// above need neither indexing nor a panic.
const ENGLISH_POSTER: PosterText = PosterText {
    headline: "Rate the service you received",
    instruction: "",
};
const ENGLISH_PAGE: PageText = PageText {
    title: "QR code posters for printing",
    print_hint: "",
    no_cards: "",
    qr_label: "QR code",
};

/// The stylesheet of [`posters_page`]. Sheets are portrait with no page margin (so browsers
/// print no headers or footers); each poster is exactly one sheet and carries its own white
/// border, wide enough for any printer's unprintable edge. Sizes per sheet (custom properties
/// on `body.a4|a5|a6`): `--qr` is the printed width of the QR code, quiet zone included, as
/// in docs/posters.md; `--fs` the base text size (the instruction), from which the headline
/// and the name are scaled.
pub const POSTER_CSS: &str = r#"*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#e8eaed;color:#000;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;line-height:1.3}
:lang(fa){font-family:Tahoma,"Noto Naskh Arabic","Noto Sans Arabic",system-ui,sans-serif;line-height:1.55}
.a4{--w:210mm;--h:297mm;--pad:14mm;--qr:100mm;--fs:14pt}
.a5{--w:148mm;--h:210mm;--pad:10mm;--qr:70mm;--fs:10.5pt}
.a6{--w:105mm;--h:148mm;--pad:6mm;--qr:50mm;--fs:7.5pt}
@page{margin:0}
@page a4{size:A4 portrait;margin:0}
@page a5{size:A5 portrait;margin:0}
@page a6{size:105mm 148mm;margin:0}
.a4 .poster{page:a4}
.a5 .poster{page:a5}
.a6 .poster{page:a6}
.toolbar{max-width:46rem;margin:0 auto;padding:1rem 1rem .5rem;font-size:1rem}
.toolbar h1{margin:0 0 .5rem;font-size:1.375rem}
.toolbar p{margin:0 0 .5rem}
.empty{max-width:44rem;margin:1rem auto;padding:1.25rem;border:2px solid #5f6672;background:#fff;font-size:1.125rem}
.poster{display:flex;flex-direction:column;align-items:center;width:var(--w);height:calc(var(--h) - .5mm);margin:0 auto 1.5rem;padding:var(--pad);overflow:hidden;background:#fff;font-size:var(--fs);text-align:center}
.poster.many{font-size:calc(var(--fs)*.8)}
.poster p{margin:0}
.heads{width:100%}
.head{font-size:1.35em;font-weight:600;line-height:1.2}
.head+.head{margin-block-start:.2em}
.head.primary{margin-block-end:.25em;font-size:2em;font-weight:800}
.who{width:100%;margin-block-start:.6em}
.name,.role{display:-webkit-box;-webkit-box-orient:vertical;-webkit-line-clamp:2;line-clamp:2;overflow:hidden;overflow-wrap:anywhere}
.name{font-size:2.2em;font-weight:800;line-height:1.15}
.role{margin-block-start:.15em;font-size:1.25em}
.qr{margin:.7em 0 0}
.code{width:var(--qr);height:var(--qr);margin-inline:auto}
.code svg{display:block;width:100%;height:100%}
.url{margin-block-start:.25em;font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.95em;overflow-wrap:anywhere}
.steps{width:100%;margin:auto 0 0;padding:.6em 0 0;border-top:.4mm solid #000;list-style:none}
.steps li+li{margin-block-start:.35em}
@media screen{.poster{box-shadow:0 1px 4px rgba(0,0,0,.4)}}
.slips main{display:grid;grid-template-columns:repeat(auto-fill,minmax(90mm,1fr));gap:2mm;padding:4mm}
.slip{display:flex;gap:3mm;align-items:flex-start;padding:3mm;border:.3mm dashed #000;background:#fff;break-inside:avoid;font-size:9pt}
.slip .code{flex:0 0 32mm;width:32mm}.slip .code svg{width:100%;height:auto;display:block}
.slip .about p{margin:0 0 .2em}.slip .once{font-weight:600}.slip .name{font-size:1.15em;font-weight:700}
@media print{body.slips main{padding:0}}
.print{font:inherit;padding:.5rem 1rem;border:1px solid #12355b;border-radius:6px;background:#12355b;color:#fff;cursor:pointer}
.print:focus-visible,.skipped button:focus-visible{outline:3px solid #f9ab00;outline-offset:2px}
.skipped{margin:.5rem 0 0;padding:.75rem 1rem;border:2px solid #8a4b00;background:#fff}
.skipped h2{margin:0 0 .4rem;font-size:1.125rem}
.skipped ul{margin:0 0 .5rem;padding-inline-start:1.25rem}
.skipped .muted{color:#4d5156;font-size:.95rem}
.skipped button{font:inherit;padding:.5rem 1rem;border:1px solid #12355b;border-radius:6px;background:#fff;color:#12355b;cursor:pointer}
@media print{.print,.skipped{display:none}}
@media print{body{background:none}.toolbar{display:none}.poster{margin:0;box-shadow:none;break-inside:avoid;break-after:page}.poster:last-child{break-after:auto}}
"#;

/// The posters of `cards`, one per printed sheet of `size`, each in the instance's `langs`
/// (primary first; duplicates are dropped, five at most, and none means `ui_lang`). The
/// page's own language and direction, and its toolbar, follow `ui_lang`.
pub fn posters_page(
    ui_lang: Lang,
    size: PaperSize,
    langs: &[Lang],
    cards: &[PosterCard],
) -> String {
    unit_posters_page(ui_lang, size, langs, cards, &Skipped::default())
}

/// The employees a unit's poster page leaves out for want of a current code.
#[derive(Debug, Clone, Default)]
pub struct Skipped<'a> {
    /// (name, unit name) of each, at most [`SKIPPED_SHOWN`].
    pub employees: Vec<(&'a str, &'a str)>,
    /// More were left out than are named.
    pub more: bool,
    /// The unit and channel whose missing codes the page's button issues, when the reader
    /// administers the unit (`POST /api/v1/admin/units/{id}/issue-codes`, the subtree).
    pub issue: Option<(u32, u8)>,
}

/// Employees a poster page names as left out, at most.
pub const SKIPPED_SHOWN: usize = 200;

/// [`posters_page`] of a unit, saying above the posters which employees it leaves out.
pub fn unit_posters_page(
    ui_lang: Lang,
    size: PaperSize,
    langs: &[Lang],
    cards: &[PosterCard],
    skipped: &Skipped,
) -> String {
    let mut poster_langs: Vec<Lang> = Vec::with_capacity(Lang::ALL.len());
    for &lang in langs {
        if !poster_langs.contains(&lang) && poster_langs.len() < Lang::ALL.len() {
            poster_langs.push(lang);
        }
    }
    if poster_langs.is_empty() {
        poster_langs.push(ui_lang);
    }
    let t = page_text(ui_lang);
    let page = html! {
        (DOCTYPE)
        html lang=(ui_lang.code()) dir=(ui_lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                meta name="referrer" content="no-referrer";
                link rel="icon" href=(crate::pages::ICON);
                title { (t.title) " (" (size.name()) ")" }
                link rel="stylesheet" href="/admin/assets/poster.css";
                script src="/admin/assets/poster.js" defer {}
            }
            body class=(size.class()) {
                header .toolbar {
                    h1 { (t.title) }
                    p { (t.print_hint.replace("{size}", size.name())) }
                    (print_button(ui_lang))
                    (skipped_list(ui_lang, skipped))
                }
                main {
                    @if cards.is_empty() {
                        p .empty { (t.no_cards) }
                    }
                    @for card in cards {
                        (poster(t, &poster_langs, card))
                    }
                }
            }
        }
    };
    page.into_string()
}

fn poster(t: &PageText, langs: &[Lang], card: &PosterCard) -> Markup {
    html! {
        article class=(if langs.len() >= 4 { "poster many" } else { "poster" }) {
            div .heads {
                @for (i, &lang) in langs.iter().enumerate() {
                    p class=(if i == 0 { "head primary" } else { "head" })
                        lang=(lang.code()) dir=(lang.dir()) {
                        (poster_text(lang).headline)
                    }
                }
            }
            // Names may be in any script: their direction comes from their own letters.
            div .who {
                p .name dir="auto" { (card.name) }
                @if !card.position.trim().is_empty() {
                    p .role dir="auto" { (card.position) }
                }
                @if !card.unit.trim().is_empty() {
                    p .role dir="auto" { (card.unit) }
                }
            }
            figure .qr {
                div .code role="img" aria-label=(t.qr_label) {
                    @if is_plain_qr_svg(card.qr_svg) {
                        (PreEscaped(card.qr_svg))
                    }
                }
                // A line break, where one is needed, before the path rather than at a hyphen.
                figcaption .url dir="ltr" lang="en" {
                    @match card.display_url.split_once("/r/") {
                        Some((origin, token)) => { (origin) wbr; "/r/" (token) }
                        None => (card.display_url),
                    }
                }
            }
            ul .steps {
                @for &lang in langs {
                    li lang=(lang.code()) dir=(lang.dir()) { (poster_text(lang).instruction) }
                }
            }
        }
    }
}

/// One printed one-time code (see [`slips_page`]).
pub struct SlipCard<'a> {
    pub name: &'a str,
    pub position: &'a str,
    pub serial: u16,
    pub display_url: &'a str,
    /// As in [`PosterCard::qr_svg`].
    pub qr_svg: &'a str,
}

/// What the slips page and each slip say, in one language.
struct SlipText {
    title: &'static str,
    print_hint: &'static str,
    no_cards: &'static str,
    /// On every slip: the code takes one vote.
    once: &'static str,
    document: &'static str,
    valid_until: &'static str,
}

const SLIP_TEXTS: [(Lang, SlipText); 5] = [
    (
        Lang::Uk,
        SlipText {
            title: "Одноразові коди для друку",
            print_hint: "Друкуйте через меню браузера (Ctrl+P), масштаб 100 %, і розріжте аркуш по рамках. Кожен код приймає один голос: видавайте його відвідувачеві після обслуговування або вкладайте у відповідь.",
            no_cards: "У цій партії не залишилося невикористаних кодів.",
            once: "Оцініть обслуговування: цей код приймає один голос.",
            document: "До документа",
            valid_until: "Дійсний до",
        },
    ),
    (
        Lang::Ru,
        SlipText {
            title: "Одноразовые коды для печати",
            print_hint: "Печатайте через меню браузера (Ctrl+P), масштаб 100 %, и разрежьте лист по рамкам. Каждый код принимает один голос: выдавайте его посетителю после обслуживания или вкладывайте в ответ.",
            no_cards: "В этой партии не осталось неиспользованных кодов.",
            once: "Оцените обслуживание: этот код принимает один голос.",
            document: "К документу",
            valid_until: "Действует до",
        },
    ),
    (
        Lang::Kk,
        SlipText {
            title: "Басып шығаруға арналған бір реттік кодтар",
            print_hint: "Браузер мәзірі арқылы басып шығарыңыз (Ctrl+P), масштаб 100 %, парақты жақтаулар бойымен қиыңыз. Әр код бір дауыс қабылдайды: оны қызмет көрсеткеннен кейін келушіге беріңіз немесе жауапқа салыңыз.",
            no_cards: "Бұл топтамада пайдаланылмаған код қалмады.",
            once: "Қызмет көрсетуді бағалаңыз: бұл код бір дауыс қабылдайды.",
            document: "Құжатқа",
            valid_until: "Жарамды мерзімі",
        },
    ),
    (
        Lang::Fa,
        SlipText {
            title: "کدهای یک‌بارمصرف برای چاپ",
            print_hint: "با فرمان چاپ مرورگر (\u{2066}Ctrl+P\u{2069}) و مقیاس ۱۰۰٪ چاپ کنید و برگه را از روی کادرها ببرید. هر کد فقط یک رأی می‌پذیرد: آن را پس از ارائهٔ خدمت به مراجعه‌کننده بدهید یا در پاسخ نامه بگذارید.",
            no_cards: "در این دسته کد استفاده‌نشده‌ای باقی نمانده است.",
            once: "خدمات را ارزیابی کنید: این کد فقط یک رأی می‌پذیرد.",
            document: "پیوست سند",
            valid_until: "معتبر تا",
        },
    ),
    (
        Lang::En,
        SlipText {
            title: "One-time codes for printing",
            print_hint: "Print from your browser’s menu (Ctrl+P) at 100% and cut along the frames. Each code takes one vote: hand it to the visitor after the service, or put it in the reply.",
            no_cards: "No unused code is left in this batch.",
            once: "Rate the service: this code takes one vote.",
            document: "For document",
            valid_until: "Valid until",
        },
    ),
];

fn slip_text(lang: Lang) -> &'static SlipText {
    text_in(&SLIP_TEXTS, lang, &ENGLISH_SLIP)
}

const ENGLISH_SLIP: SlipText = SlipText {
    title: "One-time codes for printing",
    print_hint: "",
    no_cards: "",
    once: "This code takes one vote.",
    document: "For document",
    valid_until: "Valid until",
};

/// The unused codes of a one-time batch as slips to cut out, many to an A4 sheet: each with the
/// code, the employee, the unit, its serial, the document number (for a written reply) and
/// the last day it works, and one line per poster language saying it takes one vote.
pub fn slips_page(
    ui_lang: Lang,
    langs: &[Lang],
    unit: &str,
    document: Option<&str>,
    valid_until: &str,
    cards: &[SlipCard],
) -> String {
    let t = slip_text(ui_lang);
    let qr_label = page_text(ui_lang).qr_label;
    let mut slip_langs: Vec<Lang> = Vec::new();
    for &lang in langs {
        if !slip_langs.contains(&lang) && slip_langs.len() < 3 {
            slip_langs.push(lang);
        }
    }
    if slip_langs.is_empty() {
        slip_langs.push(ui_lang);
    }
    let page = html! {
        (DOCTYPE)
        html lang=(ui_lang.code()) dir=(ui_lang.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                meta name="referrer" content="no-referrer";
                link rel="icon" href=(crate::pages::ICON);
                title { (t.title) }
                link rel="stylesheet" href="/admin/assets/poster.css";
                script src="/admin/assets/poster.js" defer {}
            }
            body .slips {
                header .toolbar {
                    h1 { (t.title) }
                    p { (t.print_hint) }
                    (print_button(ui_lang))
                }
                main {
                    @if cards.is_empty() {
                        p .empty { (t.no_cards) }
                    }
                    @for card in cards {
                        article .slip {
                            div .code role="img" aria-label=(qr_label) {
                                @if is_plain_qr_svg(card.qr_svg) {
                                    (PreEscaped(card.qr_svg))
                                }
                            }
                            div .about {
                                @for &lang in &slip_langs {
                                    p .once lang=(lang.code()) dir=(lang.dir()) { (slip_text(lang).once) }
                                }
                                p .name dir="auto" { (card.name) }
                                @if !card.position.trim().is_empty() {
                                    p .role dir="auto" { (card.position) }
                                }
                                p .role dir="auto" { (unit) }
                                @if let Some(doc) = document {
                                    p .role { (t.document) " " bdi { (doc) } }
                                }
                                p .role { (t.valid_until) " " bdi { (valid_until) } " · № " (card.serial) }
                                p .url dir="ltr" lang="en" { (card.display_url) }
                            }
                        }
                    }
                }
            }
        }
    };
    page.into_string()
}

/// The texts of the print button and of the list of employees a unit's posters leave out.
struct SkipText {
    print: &'static str,
    /// `{n}` is replaced by how many.
    skipped: &'static str,
    more: &'static str,
    issue: &'static str,
    issue_hint: &'static str,
    issuing: &'static str,
    failed: &'static str,
}

const SKIP_TEXTS: [(Lang, SkipText); 5] = [
    (
        Lang::Uk,
        SkipText {
            print: "Друкувати / PDF",
            skipped: "Без плаката — немає чинного QR-коду ({n}):",
            more: "…та інші (список скорочено).",
            issue: "Видати їм QR-коди",
            issue_hint: "Чинні коди не змінюються. Після видачі сторінка оновиться з новими плакатами.",
            issuing: "Видаємо коди…",
            failed: "Не вдалося видати коди. Оновіть сторінку й спробуйте ще раз.",
        },
    ),
    (
        Lang::Ru,
        SkipText {
            print: "Печать / PDF",
            skipped: "Без плаката — нет действующего QR-кода ({n}):",
            more: "…и другие (список сокращён).",
            issue: "Выдать им QR-коды",
            issue_hint: "Действующие коды не меняются. После выдачи страница обновится с новыми плакатами.",
            issuing: "Выдаём коды…",
            failed: "Не удалось выдать коды. Обновите страницу и попробуйте ещё раз.",
        },
    ),
    (
        Lang::Kk,
        SkipText {
            print: "Басып шығару / PDF",
            skipped: "Плакатсыз — жарамды QR-коды жоқ ({n}):",
            more: "…және басқалары (тізім қысқартылған).",
            issue: "Оларға QR-кодтар беру",
            issue_hint: "Жарамды кодтар өзгермейді. Кодтар берілген соң бет жаңа плакаттармен жаңарады.",
            issuing: "Кодтар берілуде…",
            failed: "Кодтарды беру мүмкін болмады. Бетті жаңартып, қайталап көріңіз.",
        },
    ),
    (
        Lang::Fa,
        SkipText {
            print: "چاپ / PDF",
            skipped: "بدون پوستر — کد QR معتبر ندارند ({n}):",
            more: "…و دیگران (فهرست کوتاه شده است).",
            issue: "برای آنان کد QR صادر کنید",
            issue_hint: "کدهای معتبر تغییر نمی‌کنند. پس از صدور، صفحه با پوسترهای تازه دوباره بارگیری می‌شود.",
            issuing: "در حال صدور کدها…",
            failed: "صدور کدها انجام نشد. صفحه را تازه کنید و دوباره تلاش کنید.",
        },
    ),
    (
        Lang::En,
        SkipText {
            print: "Print / PDF",
            skipped: "Not printed — no current QR code ({n}):",
            more: "…and more (the list is cut short).",
            issue: "Issue them QR codes",
            issue_hint: "Codes that work are not changed. Once issued, the page reloads with the new posters.",
            issuing: "Issuing codes…",
            failed: "The codes could not be issued. Reload the page and try again.",
        },
    ),
];

const ENGLISH_SKIP: SkipText = SkipText {
    print: "Print / PDF",
    skipped: "",
    more: "",
    issue: "",
    issue_hint: "",
    issuing: "",
    failed: "",
};

fn skip_text(lang: Lang) -> &'static SkipText {
    text_in(&SKIP_TEXTS, lang, &ENGLISH_SKIP)
}

/// Shown by `poster.js` (hidden without scripts, where the browser's menu prints): prints the
/// page, or saves it as a PDF from the same dialog.
fn print_button(lang: Lang) -> Markup {
    html! {
        p { button .print type="button" hidden data-print="" data-testid="print" { (skip_text(lang).print) } }
    }
}

fn skipped_list(lang: Lang, skipped: &Skipped) -> Markup {
    let t = skip_text(lang);
    let n = skipped.employees.len();
    let count = if skipped.more {
        format!("{}+", crate::i18n::localize_digits(lang, &n.to_string()))
    } else {
        crate::i18n::localize_digits(lang, &n.to_string())
    };
    html! {
        @if n > 0 {
            section .skipped aria-labelledby="skipped-title" data-testid="skipped" {
                h2 #skipped-title { (t.skipped.replace("{n}", &count)) }
                ul {
                    @for (name, unit) in &skipped.employees {
                        li { span dir="auto" { (name) } " — " span dir="auto" { (unit) } }
                    }
                }
                @if skipped.more {
                    p { (t.more) }
                }
                @if let Some((unit, channel)) = skipped.issue {
                    p .muted { (t.issue_hint) }
                    p {
                        button type="button" hidden data-issue-unit=(unit) data-channel=(channel)
                            data-issuing=(t.issuing) data-failed=(t.failed) data-testid="issue-skipped" { (t.issue) }
                    }
                    p role="status" data-issue-status="" {}
                }
            }
        }
    }
}

/// The poster and slip pages' one script (served at `/admin/assets/poster.js`, so the pages'
/// CSP keeps `script-src 'self'`): it shows the print button, and issues a unit's missing
/// codes from the list of those left out, then reloads. Without it the pages still print from
/// the browser's menu.
pub const POSTER_JS: &str = r#""use strict";
(() => {
  const print = document.querySelector("[data-print]");
  if (print) { print.hidden = false; print.addEventListener("click", () => window.print()); }
  const issue = document.querySelector("[data-issue-unit]");
  const status = document.querySelector("[data-issue-status]");
  if (!issue || !status) return;
  issue.hidden = false;
  issue.addEventListener("click", async () => {
    issue.disabled = true; status.textContent = issue.dataset.issuing;
    try {
      const me = await fetch("/api/v1/session", { credentials: "same-origin" });
      if (!me.ok) throw new Error(String(me.status));
      const { csrf } = await me.json();
      const headers = { "content-type": "application/json" };
      if (csrf) headers["x-csrf-token"] = csrf;
      // A request issues a bounded number: ask again while some remain and each round issues some.
      for (let round = 0; round < 100; round++) {
        const r = await fetch(`/api/v1/admin/units/${issue.dataset.issueUnit}/issue-codes`, { method: "POST", credentials: "same-origin", headers,
          body: JSON.stringify({ subtree: true, channel: Number(issue.dataset.channel) }) });
        if (!r.ok) throw new Error(String(r.status));
        const done = await r.json();
        if (!done.remaining || !done.issued.length) break;
      }
      location.reload();
    } catch (_) { status.textContent = issue.dataset.failed; issue.disabled = false; }
  });
})();
"#;

/// Whether `svg` is markup as [`crate::qr::svg`] draws it: one `<svg>` holding `<rect>` and
/// `<path>` elements, no text, only the attributes that function writes, and values of
/// letters, digits and `#./:-` and spaces. It goes into the page unescaped, so anything else
/// (a script, an event handler, a link, an entity) is refused.
fn is_plain_qr_svg(svg: &str) -> bool {
    const ATTRIBUTES: [&str; 10] = [
        "xmlns",
        "version",
        "width",
        "height",
        "viewBox",
        "shape-rendering",
        "x",
        "y",
        "fill",
        "d",
    ];
    let value_ok = |v: &str| {
        v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" #./:-".contains(&b))
    };
    let Some(inner) = svg.strip_prefix('<').and_then(|s| s.strip_suffix("</svg>")) else {
        return false;
    };
    for (i, element) in inner.split('<').enumerate() {
        let Some(tag) = element.strip_suffix('>') else {
            return false;
        };
        let tag = if i == 0 {
            tag
        } else {
            match tag.strip_suffix('/') {
                Some(tag) => tag,
                None => return false,
            }
        };
        let (name, mut attributes) = tag.split_once(' ').unwrap_or((tag, ""));
        let name_ok = if i == 0 {
            name == "svg"
        } else {
            name == "rect" || name == "path"
        };
        if !name_ok {
            return false;
        }
        loop {
            attributes = attributes.trim_start_matches(' ');
            if attributes.is_empty() {
                break;
            }
            let Some((attribute, rest)) = attributes.split_once("=\"") else {
                return false;
            };
            let Some((value, rest)) = rest.split_once('"') else {
                return false;
            };
            if !ATTRIBUTES.contains(&attribute) || !value_ok(value) {
                return false;
            }
            attributes = rest;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pages' one script, served from the worker under the CSP's `script-src 'self'`.
    const OWN_SCRIPT: &str = r#"<script src="/admin/assets/poster.js" defer></script>"#;

    fn without_own_script(page: &str) -> String {
        page.replace(OWN_SCRIPT, "")
    }

    fn skipped_page(lang: Lang, issue: Option<(u32, u8)>, more: bool) -> String {
        let svg = svg();
        posters_page_with(lang, &[card("Олена", &svg)], issue, more)
    }

    fn posters_page_with(
        lang: Lang,
        cards: &[PosterCard],
        issue: Option<(u32, u8)>,
        more: bool,
    ) -> String {
        let skipped = Skipped {
            employees: vec![("<b>Мар’яна</b>", "Відділ"), ("کریمی", "واحد")],
            more,
            issue,
        };
        unit_posters_page(lang, PaperSize::A5, &[lang], cards, &skipped)
    }

    #[test]
    fn a_unit_page_names_whom_it_leaves_out_and_offers_their_codes_to_its_admins() {
        for lang in Lang::ALL {
            let page = skipped_page(lang, Some((7, 0)), false);
            let t = skip_text(lang);
            assert!(page.contains(
                &t.skipped
                    .replace("{n}", &crate::i18n::localize_digits(lang, "2"))
            ));
            assert!(page.contains("&lt;b&gt;Мар’яна&lt;/b&gt;") && page.contains("کریمی"));
            assert!(page.contains(r#"data-issue-unit="7" data-channel="0""#));
            assert!(page.contains(t.issue) && page.contains(t.print));
            assert!(!page.contains(t.more));
        }
        // A reader who does not administer the unit sees the list without the button.
        let page = skipped_page(Lang::En, None, true);
        assert!(
            page.contains("data-testid=\"skipped\"") && page.contains(skip_text(Lang::En).more)
        );
        assert!(page.contains("(2+)"));
        assert!(!page.contains("data-issue-unit"));
        // Nobody left out: no list at all, and the print button still there.
        let svg = svg();
        let page = posters_page(Lang::Uk, PaperSize::A5, &[Lang::Uk], &[card("Олена", &svg)]);
        assert!(!page.contains("data-testid=\"skipped\""));
        assert!(page.contains(r#"data-print="""#));
        // Printed, neither the button nor the list shows.
        assert!(POSTER_CSS.contains("@media print{.print,.skipped{display:none}}"));
    }
    use crate::i18n::messages;
    use crate::qr;

    const URL: &str = "HTTPS://RATE.KRYVYIRIHCITY-RADA.GOV.UA/R/040G0000000G2001DGM2RZG7XMEPYK64";
    const DISPLAY: &str =
        "https://rate.kryvyirihcity-rada.gov.ua/r/040G0000000G2001DGM2RZG7XMEPYK64";

    /// The display URL as the page writes it: a line may break before `/r/`.
    const SHOWN: &str =
        "https://rate.kryvyirihcity-rada.gov.ua<wbr>/r/040G0000000G2001DGM2RZG7XMEPYK64";

    fn svg() -> String {
        qr::svg(URL).unwrap()
    }

    fn card<'a>(name: &'a str, svg: &'a str) -> PosterCard<'a> {
        PosterCard {
            name,
            position: "Адміністратор ЦНАП",
            unit: "Відділ реєстрації",
            display_url: DISPLAY,
            qr_svg: svg,
        }
    }

    /// The text between `<article class="poster">` and `</article>`, poster by poster.
    fn posters(page: &str) -> Vec<&str> {
        page.split(r#"<article class="poster"#)
            .skip(1)
            .map(|p| &p[..p.find("</article>").unwrap()])
            .collect()
    }

    #[test]
    fn paper_size_parses_any_case_and_defaults_to_a5() {
        assert_eq!(PaperSize::parse("a4"), Some(PaperSize::A4));
        assert_eq!(PaperSize::parse("A5"), Some(PaperSize::A5));
        assert_eq!(PaperSize::parse(" a6 "), Some(PaperSize::A6));
        for bad in ["", "a3", "letter", "A 5", "а5"] {
            assert_eq!(PaperSize::parse(bad), None, "{bad}");
        }
        assert_eq!(PaperSize::default(), PaperSize::A5);
        for size in PaperSize::ALL {
            assert_eq!(PaperSize::parse(size.name()), Some(size));
        }
    }

    #[test]
    fn every_language_has_poster_and_page_texts() {
        for lang in Lang::ALL {
            assert_eq!(POSTER_TEXTS.iter().filter(|(l, _)| *l == lang).count(), 1);
            assert_eq!(PAGE_TEXTS.iter().filter(|(l, _)| *l == lang).count(), 1);
            let p = poster_text(lang);
            let t = page_text(lang);
            for text in [p.headline, p.instruction, t.title, t.no_cards, t.qr_label] {
                assert!(!text.trim().is_empty(), "{lang}");
            }
            assert!(t.print_hint.contains("{size}"), "{lang}");
            assert!(t.print_hint.contains("Ctrl+P"), "{lang}");
        }
    }

    #[test]
    fn each_instruction_names_the_vote_pages_own_send_button() {
        for lang in Lang::ALL {
            let instruction = poster_text(lang).instruction;
            assert!(
                instruction.contains(messages(lang).submit),
                "{lang}: {instruction}"
            );
            assert!(instruction.contains("QR"), "{lang}");
        }
        // Persian texts use Persian digits and letters, as the citizen pages do.
        let fa = page_text(Lang::Fa).print_hint;
        assert!(fa.contains("۱۰۰٪") && !fa.contains("100"));
        for text in [
            poster_text(Lang::Fa).instruction,
            poster_text(Lang::Fa).headline,
        ] {
            assert!(!text.contains('ي') && !text.contains('ك'), "{text}");
        }
    }

    #[test]
    fn poster_escapes_script_in_names() {
        let svg = svg();
        let cards = [PosterCard {
            name: "<script>alert(1)</script>",
            position: "\" onmouseover=\"alert(2)",
            unit: "<img src=x onerror=alert(3)>",
            display_url: "https://x.ua/r/<b>",
            qr_svg: &svg,
        }];
        let page = without_own_script(&posters_page(Lang::Uk, PaperSize::A5, &[Lang::Uk], &cards));
        assert!(!page.contains("<script"));
        assert!(!page.contains("<img"));
        assert!(!page.contains("<b>"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&quot; onmouseover=&quot;alert(2)"));
        assert!(page.contains("&lt;img src=x onerror=alert(3)&gt;"));
        assert!(page.contains("https://x.ua<wbr>/r/&lt;b&gt;"));
    }

    #[test]
    fn persian_names_and_texts_pass_through_unchanged() {
        let svg = svg();
        let cards = [card("زهرا «رضایی» & همکاران", &svg)];
        let page = posters_page(Lang::Fa, PaperSize::A5, &[Lang::Fa], &cards);
        assert!(page.contains(r#"<p class="name" dir="auto">زهرا «رضایی» &amp; همکاران</p>"#));
    }

    #[test]
    fn only_the_plain_qr_svg_is_inlined() {
        let svg = svg();
        assert!(is_plain_qr_svg(&svg), "{svg}");
        let page = posters_page(Lang::En, PaperSize::A5, &[Lang::En], &[card("A", &svg)]);
        assert!(page.contains(&svg));
        assert_eq!(page.matches("<svg").count(), 1);
        let evil = [
            svg.replace("<rect ", "<script>alert(1)</script><rect "),
            svg.replace("<rect ", "<rect onload=\"alert(1)\" "),
            svg.replace(" fill=\"#ffffff\"", " fill=\"url(javascript:alert(1))\""),
            svg.replace("</svg>", "</svg><svg onload=\"alert(1)\"></svg>"),
            svg.replace("<path ", "<a href=\"https://x\"/><path "),
            svg.replace("fill=\"#000000\"", "fill=\"#000000\" style=\"x\""),
            svg.replace("<rect ", "text<rect "),
            svg.replace("fill=\"#000000\"", "fill=\"&#x22;\""),
            format!("<b>{svg}"),
            String::new(),
            "<svg>".to_owned(),
        ];
        for bad in &evil {
            assert!(!is_plain_qr_svg(bad), "{bad}");
            let page = without_own_script(&posters_page(
                Lang::En,
                PaperSize::A5,
                &[Lang::En],
                &[card("A", bad)],
            ));
            assert!(!page.contains("<svg") && !page.contains("<script"), "{bad}");
            // The rest of the poster is still there, for the URL under the code.
            assert!(page.contains(SHOWN));
        }
    }

    #[test]
    fn persian_block_is_right_to_left() {
        let svg = svg();
        let langs = [Lang::Uk, Lang::Fa, Lang::En];
        let page = posters_page(Lang::Uk, PaperSize::A5, &langs, &[card("Олена", &svg)]);
        let fa = poster_text(Lang::Fa);
        assert!(page.contains(&format!(
            r#"<p class="head" lang="fa" dir="rtl">{}</p>"#,
            fa.headline
        )));
        assert!(page.contains(&format!(
            r#"<li lang="fa" dir="rtl">{}</li>"#,
            fa.instruction
        )));
        // The other blocks stay left to right, and the URL is left to right everywhere.
        assert!(page.contains(r#"<p class="head primary" lang="uk" dir="ltr">"#));
        assert!(page.contains(r#"<li lang="en" dir="ltr">"#));
        assert!(page.contains(&format!(
            r#"<figcaption class="url" dir="ltr" lang="en">{SHOWN}</figcaption>"#
        )));
    }

    #[test]
    fn each_language_block_carries_its_own_lang_in_the_instance_order() {
        let svg = svg();
        let langs = [
            Lang::Kk,
            Lang::Ru,
            Lang::Kk,
            Lang::En,
            Lang::Uk,
            Lang::Fa,
            Lang::Ru,
        ];
        let page = posters_page(Lang::Ru, PaperSize::A4, &langs, &[card("Айгүл", &svg)]);
        let poster = posters(&page)[0];
        let order = |tag: &str| -> Vec<&str> {
            poster
                .split(&format!("<{tag}"))
                .skip(1)
                .filter_map(|s| s.split("lang=\"").nth(1))
                .filter_map(|s| s.split('"').next())
                .collect()
        };
        // Duplicates dropped, primary first, each block in its language.
        assert_eq!(order("li "), ["kk", "ru", "en", "uk", "fa"]);
        assert_eq!(order("p class=\"head"), ["kk", "ru", "en", "uk", "fa"]);
        for lang in Lang::ALL {
            assert!(poster.contains(poster_text(lang).headline));
            assert!(poster.contains(poster_text(lang).instruction));
        }
        assert!(poster.contains(r#"<p class="head primary" lang="kk" dir="ltr">"#));
        // No languages given: the poster is in the language of the page.
        let page = posters_page(Lang::En, PaperSize::A5, &[], &[card("A", &svg)]);
        assert_eq!(
            posters(&page)[0].matches("lang=\"en\" dir=\"ltr\"").count(),
            2
        );
    }

    #[test]
    fn the_page_follows_the_ui_language() {
        let svg = svg();
        let cards = [card("Олена", &svg)];
        for lang in Lang::ALL {
            let page = posters_page(lang, PaperSize::A6, &[Lang::Uk], &cards);
            assert!(page.starts_with("<!DOCTYPE html>"));
            assert!(page.contains(&format!(r#"<html lang="{}" dir="{}">"#, lang, lang.dir())));
            let t = page_text(lang);
            assert!(page.contains(&format!("<h1>{}</h1>", t.title)));
            assert!(page.contains(&t.print_hint.replace("{size}", "A6")));
            assert!(page.contains(&format!(r#"aria-label="{}""#, t.qr_label)));
        }
    }

    #[test]
    fn the_page_links_its_stylesheet_and_has_no_inline_style_or_script() {
        let svg = svg();
        let cards = [card("Олена", &svg), card("Ivan", &svg)];
        let page = posters_page(Lang::En, PaperSize::A5, &Lang::ALL, &cards);
        assert_eq!(
            page.matches(OWN_SCRIPT).count(),
            1,
            "its one script, by address"
        );
        let page = without_own_script(&page);
        assert_eq!(
            page.matches(r#"<link rel="stylesheet" href="/admin/assets/poster.css">"#)
                .count(),
            1
        );
        assert!(page.contains(r#"<body class="a5">"#));
        assert!(page.contains(r#"<meta name="robots" content="noindex">"#));
        for forbidden in [
            "<style",
            "style=",
            "<script",
            "onload=",
            "onerror=",
            "onclick=",
            "javascript:",
            "<img",
            "<iframe",
        ] {
            assert!(!page.contains(forbidden), "{forbidden}");
        }
        assert_eq!(page.matches("<h1>").count(), 1);
        assert!(!POSTER_CSS.contains("url(") && !POSTER_CSS.contains("@import"));
    }

    #[test]
    fn each_poster_breaks_the_page() {
        let svg = svg();
        let names = ["Олена Петренко", "Іван Коваль", "Мария Иванова"];
        let cards: Vec<PosterCard> = names.iter().map(|n| card(n, &svg)).collect();
        let page = posters_page(Lang::Uk, PaperSize::A5, &[Lang::Uk, Lang::Ru], &cards);
        let posters = posters(&page);
        assert_eq!(posters.len(), 3);
        for (poster, name) in posters.iter().zip(names) {
            assert!(poster.contains(name));
            assert_eq!(poster.matches("<svg").count(), 1);
            assert!(poster.contains(SHOWN));
        }
        // In print, every poster ends its sheet but the last (no blank sheet at the end)...
        let print = &POSTER_CSS[POSTER_CSS.find("@media print{").unwrap()..];
        assert!(
            print.contains(".poster{margin:0;box-shadow:none;break-inside:avoid;break-after:page}")
        );
        assert!(print.contains(".poster:last-child{break-after:auto}"));
        assert!(print.contains(".toolbar{display:none}"));
        // ...the posters are the only children of <main>, so `:last-child` is the last one...
        let main = &page[page.find("<main>").unwrap()..page.find("</main>").unwrap()];
        assert_eq!(main.matches("<article").count(), 3);
        assert!(main.trim_start_matches("<main>").starts_with("<article"));
        assert!(main.ends_with("</article>"));
        // ...and a poster is one sheet of the chosen size, sized by a named page.
        // (Chromium knows no `A6` keyword: that one is given in millimetres.)
        for (size, page_size) in [
            (PaperSize::A4, "A4 portrait"),
            (PaperSize::A5, "A5 portrait"),
            (PaperSize::A6, "105mm 148mm"),
        ] {
            let class = size.class();
            assert!(POSTER_CSS.contains(&format!("@page {class}{{size:{page_size};margin:0}}")));
            assert!(POSTER_CSS.contains(&format!(".{class} .poster{{page:{class}}}")));
        }
        assert!(POSTER_CSS.contains("height:calc(var(--h) - .5mm)"));
    }

    #[test]
    fn an_empty_unit_gets_a_friendly_message() {
        for lang in Lang::ALL {
            let page = posters_page(lang, PaperSize::A5, &[Lang::Uk], &[]);
            assert!(page.contains(&format!(
                r#"<p class="empty">{}</p>"#,
                page_text(lang).no_cards
            )));
            assert!(!page.contains("<article"));
        }
    }

    /// The printed QR widths are the ones docs/posters.md gives and explains: 1.2 mm a module
    /// or more for a version-4 code (33 modules and the 8 of the quiet zone).
    #[test]
    fn the_css_prints_the_qr_sizes_of_the_docs() {
        let docs = include_str!("../../docs/posters.md");
        for size in PaperSize::ALL {
            let qr = size.qr_width_mm();
            assert!(
                POSTER_CSS.contains(&format!(".{}{{", size.class()))
                    && POSTER_CSS
                        .lines()
                        .any(|l| l.starts_with(&format!(".{}{{", size.class()))
                            && l.contains(&format!("--qr:{qr}mm"))),
                "{size:?}"
            );
            let module = f64::from(qr) / 41.0;
            assert!(module >= 1.2, "{size:?}: {module} mm a module");
            let row = format!("| {} | {qr} mm | {module:.2} mm |", size.name());
            assert!(docs.contains(&row), "docs/posters.md lacks the row {row}");
        }
    }

    /// `cargo test --lib write_sample_posters -- --ignored` writes /tmp/poster-sample.html
    /// (A5) and /tmp/poster-sample-a4.html, -a5, -a6, with the stylesheet beside them, to look
    /// at in a browser or print to PDF.
    #[test]
    #[ignore]
    fn write_sample_posters() {
        let svg = svg();
        let long =
            qr::svg("HTTPS://RATE.KRYVYIRIHCITY-RADA.GOV.UA/R/ABCDEFGHJKMNPQRSTVWXYZABCDEFGHJK")
                .unwrap();
        let cards = [
            PosterCard {
                name: "Олена Петренко-Шевчук",
                position: "Головний спеціаліст, адміністратор ЦНАП",
                unit: "Відділ реєстрації місця проживання, Центр надання адміністративних послуг",
                display_url: DISPLAY,
                qr_svg: &svg,
            },
            // The longest a poster has room for: two lines of name, two of each role.
            PosterCard {
                name: "Олександра-Вікторія Костянтинівна Петренко-Шевчук-Григоренко",
                position: "Головний спеціаліст сектору прийому документів, адміністратор Центру надання адміністративних послуг",
                unit: "Відділ державної реєстрації актів цивільного стану та реєстрації місця проживання фізичних осіб",
                display_url: DISPLAY,
                qr_svg: &svg,
            },
            PosterCard {
                name: "زهرا رضایی",
                position: "کارشناس پذیرش",
                unit: "واحد خدمات شهروندی",
                display_url:
                    "https://rate.kryvyirihcity-rada.gov.ua/r/ABCDEFGHJKMNPQRSTVWXYZABCDEFGHJK",
                qr_svg: &long,
            },
        ];
        std::fs::write("/tmp/poster.css", POSTER_CSS).unwrap();
        for size in PaperSize::ALL {
            let langs = [Lang::Kk, Lang::Ru, Lang::Uk, Lang::Fa, Lang::En];
            let page = posters_page(Lang::Uk, size, &langs, &cards)
                .replace("/admin/assets/poster.css", "poster.css");
            std::fs::write(format!("/tmp/poster-sample-{}.html", size.class()), &page).unwrap();
            if size == PaperSize::A5 {
                std::fs::write("/tmp/poster-sample.html", &page).unwrap();
            }
        }
        let fa = posters_page(Lang::Fa, PaperSize::A5, &[Lang::Fa, Lang::En], &cards[2..])
            .replace("/admin/assets/poster.css", "poster.css");
        std::fs::write("/tmp/poster-sample-fa.html", fa).unwrap();
        let empty = posters_page(Lang::En, PaperSize::A5, &[Lang::En], &[])
            .replace("/admin/assets/poster.css", "poster.css");
        std::fs::write("/tmp/poster-sample-empty.html", empty).unwrap();
    }
}
