//! Printable posters: one sheet per employee with their name, position, unit, the QR code,
//! the short URL for those who type it, and a one-line instruction in the instance's
//! languages. Printed from the browser; print CSS does the layout.

use crate::i18n::Lang;
use maud::{html, Markup, DOCTYPE};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperSize {
    A4,
    A5,
    A6,
}

impl PaperSize {
    pub fn parse(s: &str) -> Option<PaperSize> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a4" => Some(PaperSize::A4),
            "a5" => Some(PaperSize::A5),
            "a6" => Some(PaperSize::A6),
            _ => None,
        }
    }

    fn class(self) -> &'static str {
        match self {
            PaperSize::A4 => "a4",
            PaperSize::A5 => "a5",
            PaperSize::A6 => "a6",
        }
    }
}

pub struct PosterCard<'a> {
    pub name: &'a str,
    pub position: &'a str,
    pub unit: &'a str,
    pub display_url: &'a str,
    pub qr_svg: &'a str,
}

struct Texts {
    headline: &'static str,
    instruction: &'static str,
    print_hint: &'static str,
    empty: &'static str,
}

fn texts(lang: Lang) -> Texts {
    match lang {
        Lang::Uk => Texts {
            headline: "Оцініть якість обслуговування",
            instruction: "Наведіть камеру телефона на код, оберіть оцінку й натисніть «Надіслати». Анонімно.",
            print_hint: "Друк: Ctrl+P, розмір аркуша як у назві, масштаб 100 %, без полів браузера.",
            empty: "У цьому підрозділі немає працівників із чинним QR-кодом.",
        },
        Lang::Ru => Texts {
            headline: "Оцените качество обслуживания",
            instruction: "Наведите камеру телефона на код, выберите оценку и нажмите «Отправить». Анонимно.",
            print_hint: "Печать: Ctrl+P, размер листа как в названии, масштаб 100 %, без полей браузера.",
            empty: "В этом подразделении нет сотрудников с действующим QR-кодом.",
        },
        Lang::Kk => Texts {
            headline: "Қызмет көрсету сапасын бағалаңыз",
            instruction: "Телефон камерасын кодқа бағыттап, бағаны таңдап, «Жіберу» түймесін басыңыз. Жасырын.",
            print_hint: "Басып шығару: Ctrl+P, парақ өлшемі атаудағыдай, масштаб 100 %, браузер жиектерінсіз.",
            empty: "Бұл бөлімшеде жарамды QR-коды бар қызметкер жоқ.",
        },
        Lang::Fa => Texts {
            headline: "به کیفیت خدمات امتیاز دهید",
            instruction: "دوربین تلفن را روی کد بگیرید، امتیاز را انتخاب کنید و «ارسال» را بزنید. بی‌نام.",
            print_hint: "چاپ: Ctrl+P، اندازهٔ کاغذ مانند عنوان، مقیاس ۱۰۰٪، بدون حاشیهٔ مرورگر.",
            empty: "در این واحد کارمندی با کد QR معتبر نیست.",
        },
        Lang::En => Texts {
            headline: "Rate the service you received",
            instruction: "Point your phone camera at the code, choose a rating and press Send. Anonymous.",
            print_hint: "Print with Ctrl+P: paper size as named, scale 100%, no browser margins.",
            empty: "No employee of this unit has a current QR code.",
        },
    }
}

/// The stylesheet, served at `/admin/assets/poster.css` (the admin CSP allows no inline style).
/// QR widths follow docs/posters.md: module size ≥ 1.2 mm on A4, 0.9 mm on A5, 0.7 mm on A6
/// for a version-4 symbol (33 modules and a 4-module quiet zone each side).
pub const POSTER_CSS: &str = "\
*{box-sizing:border-box}\
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Vazirmatn',sans-serif;color:#000;background:#eee}\
.toolbar{padding:12px 16px;background:#fff;border-bottom:1px solid #ccc;font-size:15px}\
.sheet{background:#fff;margin:16px auto;padding:12mm;display:flex;flex-direction:column;align-items:center;text-align:center;box-shadow:0 1px 4px rgba(0,0,0,.2);break-after:page;page-break-after:always}\
.sheet:last-child{break-after:auto;page-break-after:auto}\
.a4 .sheet{width:210mm;min-height:297mm}.a5 .sheet{width:148mm;min-height:210mm;padding:9mm}.a6 .sheet{width:105mm;min-height:148mm;padding:6mm}\
.headline{font-weight:700;margin:0 0 2mm}\
.a4 .headline{font-size:22pt}.a5 .headline{font-size:16pt}.a6 .headline{font-size:11pt}\
.headline.secondary{font-weight:600;opacity:.85}\
.a4 .headline.secondary{font-size:15pt}.a5 .headline.secondary{font-size:11pt}.a6 .headline.secondary{font-size:8pt}\
.qr svg{display:block}\
.a4 .qr svg{width:110mm;height:110mm}.a5 .qr svg{width:75mm;height:75mm}.a6 .qr svg{width:52mm;height:52mm}\
.qr{margin:4mm 0}\
.name{font-weight:700;margin:2mm 0 0}\
.a4 .name{font-size:26pt}.a5 .name{font-size:19pt}.a6 .name{font-size:13pt}\
.position,.unit{margin:1mm 0}\
.a4 .position{font-size:15pt}.a5 .position{font-size:12pt}.a6 .position{font-size:9pt}\
.a4 .unit{font-size:13pt}.a5 .unit{font-size:10pt}.a6 .unit{font-size:7.5pt}\
.url{font-family:ui-monospace,monospace;direction:ltr;unicode-bidi:isolate;word-break:break-all;margin:0 0 3mm}\
.a4 .url{font-size:12pt}.a5 .url{font-size:9pt}.a6 .url{font-size:7pt}\
.instruction{margin:1mm 0}\
.a4 .instruction{font-size:13pt}.a5 .instruction{font-size:10pt}.a6 .instruction{font-size:7.5pt}\
.empty{padding:24px;background:#fff;margin:16px}\
@media print{body{background:#fff}.toolbar{display:none}.sheet{margin:0;box-shadow:none}}\
@page{margin:0}";

/// One poster per sheet for every card; `langs` (primary first) are printed on each.
pub fn posters_page(ui: Lang, size: PaperSize, langs: &[Lang], cards: &[PosterCard]) -> String {
    let t = texts(ui);
    let primary = langs.first().copied().unwrap_or(ui);
    let page: Markup = html! {
        (DOCTYPE)
        html lang=(ui.code()) dir=(ui.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (texts(primary).headline) }
                link rel="stylesheet" href="/admin/assets/poster.css";
            }
            body class=(size.class()) {
                p class="toolbar" { (t.print_hint) " (" (size.class().to_uppercase()) ")" }
                @if cards.is_empty() {
                    p class="empty" role="status" { (t.empty) }
                }
                @for card in cards {
                    section class="sheet" {
                        @for (i, lang) in langs.iter().enumerate() {
                            p class={ "headline" @if i > 0 { " secondary" } }
                                lang=(lang.code()) dir=(lang.dir()) { (texts(*lang).headline) }
                        }
                        div class="qr" { (maud::PreEscaped(card.qr_svg)) }
                        p class="url" { (card.display_url) }
                        p class="name" dir="auto" { (card.name) }
                        p class="position" dir="auto" { (card.position) }
                        p class="unit" dir="auto" { (card.unit) }
                        @for lang in langs {
                            p class="instruction" lang=(lang.code()) dir=(lang.dir()) {
                                (texts(*lang).instruction)
                            }
                        }
                    }
                }
            }
        }
    };
    page.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card<'a>(name: &'a str, svg: &'a str) -> PosterCard<'a> {
        PosterCard {
            name,
            position: "Адміністратор ЦНАП",
            unit: "ЦНАП",
            display_url: "RATE.KYIV.EXAMPLE/R/ABC",
            qr_svg: svg,
        }
    }

    #[test]
    fn a_poster_escapes_script_in_names() {
        let html = posters_page(
            Lang::Uk,
            PaperSize::A5,
            &[Lang::Uk],
            &[card("<script>alert(1)</script>", "<svg></svg>")],
        );
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("<svg></svg>"), "the QR code itself is markup");
    }

    #[test]
    fn persian_lines_are_right_to_left_and_each_sheet_is_one_poster() {
        let html = posters_page(
            Lang::En,
            PaperSize::A4,
            &[Lang::Fa, Lang::En],
            &[card("مریم", "<svg></svg>"), card("Olena", "<svg></svg>")],
        );
        assert!(html.contains(r#"lang="fa" dir="rtl""#));
        assert_eq!(html.matches(r#"class="sheet""#).count(), 2);
        assert!(html.contains(r#"body class="a4""#));
        assert!(POSTER_CSS.contains("break-after:page"));
        assert!(!html.contains("style="), "no inline styles under the CSP");
    }

    #[test]
    fn an_empty_unit_says_so() {
        let html = posters_page(Lang::Ru, PaperSize::A6, &[Lang::Ru], &[]);
        assert!(html.contains("нет сотрудников"));
    }

    #[test]
    fn paper_sizes_parse_in_any_case() {
        assert_eq!(PaperSize::parse("A4"), Some(PaperSize::A4));
        assert_eq!(PaperSize::parse("a6"), Some(PaperSize::A6));
        assert_eq!(PaperSize::parse("letter"), None);
    }
}
