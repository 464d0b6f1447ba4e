//! Server-rendered results pages: the public results (opt-in per instance) and the printable
//! monthly report. Persian pages show Solar Hijri dates and Persian digits.

use crate::i18n::Lang;
use crate::pages;
use crate::results::report::{
    decimal, local_date, local_number, percent, Figures, MonthlyReport, Period,
};
use maud::{html, Markup};

struct Words {
    results: &'static str,
    monthly: &'static str,
    period: &'static str,
    unit: &'static str,
    employee: &'static str,
    votes: &'static str,
    average: &'static str,
    top_share: &'static str,
    below_top: &'static str,
    not_enough: &'static str,
    method: &'static str,
    no_data: &'static str,
    previous: &'static str,
    best: &'static str,
    worst: &'static str,
    comments: &'static str,
    complaints: &'static str,
    units: &'static str,
    employees: &'static str,
    up: &'static str,
    overdue: &'static str,
    digest: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::Uk => Words {
            results: "Результати оцінювання",
            monthly: "Місячний звіт",
            period: "Період",
            unit: "Підрозділ",
            employee: "Працівник",
            votes: "Оцінок",
            average: "Середня оцінка",
            top_share: "Найвища оцінка, %",
            below_top: "Нижче найвищої, %",
            not_enough: "Замало оцінок",
            method: "Зараховано оцінки громадян за період; повторні та підозрілі оцінки не враховано. Показники працівника чи підрозділу відображаються від {n} оцінок; менші, а також ті, з яких їх можна було б вирахувати, приховано. Коментар оприлюднюється лише тоді, коли його оприлюднить адміністратор, прибравши персональні дані; контакти не оприлюднюються.",
            no_data: "За цей період оцінок немає.",
            digest: "Квитанції {n} зарахованих голосів місяця підсумовано коренем дерева Меркла; свою квитанцію можна перевірити через /api/v1/public/receipts/{квитанція}:",
            previous: "Попередній місяць",
            best: "Найкращі показники",
            worst: "Найнижчі показники",
            comments: "Коментарів",
            complaints: "Скарг (найнижча оцінка з коментарем)",
            units: "Підрозділи",
            employees: "Працівники",
            up: "Вгору",
            overdue: "Прострочених відгуків до опрацювання",
        },
        Lang::Ru => Words {
            results: "Результаты оценки",
            monthly: "Месячный отчёт",
            period: "Период",
            unit: "Подразделение",
            employee: "Сотрудник",
            votes: "Оценок",
            average: "Средняя оценка",
            top_share: "Высшая оценка, %",
            below_top: "Ниже высшей, %",
            not_enough: "Недостаточно оценок",
            method: "Учтены оценки граждан за период; повторные и подозрительные оценки не учитываются. Показатели сотрудника или подразделения видны от {n} оценок; меньшие, а также те, из которых их можно было бы вычислить, скрыты. Комментарий публикуется, только когда его опубликует администратор, убрав персональные данные; контакты не публикуются.",
            no_data: "За этот период оценок нет.",
            digest: "Квитанции {n} учтённых голосов месяца сведены в корень дерева Меркла; свою квитанцию можно проверить через /api/v1/public/receipts/{квитанция}:",
            previous: "Прошлый месяц",
            best: "Лучшие показатели",
            worst: "Худшие показатели",
            comments: "Комментариев",
            complaints: "Жалоб (низшая оценка с комментарием)",
            units: "Подразделения",
            employees: "Сотрудники",
            up: "Вверх",
            overdue: "Просроченных отзывов к обработке",
        },
        Lang::Kk => Words {
            results: "Бағалау нәтижелері",
            monthly: "Айлық есеп",
            period: "Кезең",
            unit: "Бөлімше",
            employee: "Қызметкер",
            votes: "Бағалар",
            average: "Орташа баға",
            top_share: "Ең жоғары баға, %",
            below_top: "Ең жоғарыдан төмен, %",
            not_enough: "Бағалар жеткіліксіз",
            method: "Кезеңдегі азаматтардың бағалары есептелді; қайталанған және күмәнді бағалар есепке алынбайды. Қызметкер немесе бөлімше көрсеткіштері кемінде {n} баға болғанда көрсетіледі; азы және оларды есептеп шығаруға болатындары жасырылады. Пікірді әкімші дербес деректерден тазартып жариялағанда ғана жарияланады; байланыс деректері жарияланбайды.",
            no_data: "Бұл кезеңде бағалар жоқ.",
            digest: "Айдың есептелген {n} дауысының түбіртектері Меркл ағашының түбіріне жинақталған; өз түбіртегіңізді /api/v1/public/receipts/{түбіртек} арқылы тексеріңіз:",
            previous: "Өткен ай",
            best: "Ең жақсы көрсеткіштер",
            worst: "Ең төмен көрсеткіштер",
            comments: "Пікірлер",
            complaints: "Шағымдар (пікірі бар ең төмен баға)",
            units: "Бөлімшелер",
            employees: "Қызметкерлер",
            up: "Жоғары",
            overdue: "Мерзімі өткен өңделетін пікірлер",
        },
        Lang::Fa => Words {
            results: "نتایج ارزیابی",
            monthly: "گزارش ماهانه",
            period: "دوره",
            unit: "واحد",
            employee: "کارمند",
            votes: "تعداد آرا",
            average: "میانگین",
            top_share: "بالاترین سطح، ٪",
            below_top: "پایین‌تر از بالاترین، ٪",
            not_enough: "هنوز آرای کافی نیست",
            method: "آرای شهروندان در این دوره شمرده شده است؛ آرای تکراری و مشکوک شمرده نمی‌شوند. امتیاز هر کارمند یا واحد از {n} رأی به بالا نمایش داده می‌شود؛ کمتر از آن، و هر رقمی که بتوان آن را از روی بقیه محاسبه کرد، پنهان است. نظر فقط وقتی منتشر می‌شود که مدیری آن را پس از حذف اطلاعات شخصی منتشر کند؛ اطلاعات تماس منتشر نمی‌شود.",
            no_data: "در این دوره رأیی ثبت نشده است.",
            digest: "رسیدهای {n} رأی شمرده‌شده این ماه در ریشه درخت مرکل خلاصه شده‌اند؛ رسید خود را از طریق /api/v1/public/receipts/{رسید} بررسی کنید:",
            previous: "ماه قبل",
            best: "بهترین امتیازها",
            worst: "پایین‌ترین امتیازها",
            comments: "نظرها",
            complaints: "شکایت‌ها (پایین‌ترین سطح همراه با نظر)",
            units: "واحدها",
            employees: "کارمندان",
            up: "بالا",
            overdue: "پرونده‌های معوق",
        },
        Lang::En => Words {
            results: "Service ratings",
            monthly: "Monthly report",
            period: "Period",
            unit: "Unit",
            employee: "Employee",
            votes: "Votes",
            average: "Average",
            top_share: "Top level, %",
            below_top: "Below the top, %",
            not_enough: "Not enough votes yet",
            method: "Citizens' votes in the period are counted; repeated and suspicious votes are left out. An employee's or a unit's figures are shown from {n} votes on; smaller ones are hidden, and so are those they could be worked out from. A comment is published only when an administrator publishes it, cleaned of personal data; contacts are never published.",
            no_data: "No votes in this period.",
            digest: "The receipts of the month's {n} counted votes are summed up in this Merkle root; check yours at /api/v1/public/receipts/{receipt}:",
            previous: "Last month",
            best: "Best scores",
            worst: "Lowest scores",
            comments: "Comments",
            complaints: "Complaints (lowest level with a comment)",
            units: "Units",
            employees: "Employees",
            up: "Up",
            overdue: "Overdue cases",
        },
    }
}

fn period_text(lang: Lang, p: Period) -> String {
    format!("{} – {}", local_date(lang, p.from), local_date(lang, p.to))
}

fn n(lang: Lang, v: i64) -> String {
    local_number(lang, &v.to_string())
}

fn figures_cells(lang: Lang, w: &Words, f: &Figures, hide_small: bool) -> Markup {
    html! {
        td { (n(lang, f.votes)) }
        @if hide_small && !f.enough {
            td colspan="3" { (w.not_enough) }
        } @else {
            td { (local_number(lang, &decimal(f.average))) }
            td { (local_number(lang, &percent(f.top_share))) }
            td { (local_number(lang, &percent(f.below_top_share))) }
        }
    }
}

/// A public row: no figure at all, not even the count, when it is suppressed.
fn public_cells(lang: Lang, w: &Words, f: Option<&Figures>) -> Markup {
    match f {
        Some(f) => figures_cells(lang, w, f, true),
        None => html! { td colspan="4" { (w.not_enough) } },
    }
}

fn head_cells(w: &Words, first: &str) -> Markup {
    html! {
        tr {
            th scope="col" { (first) }
            th scope="col" { (w.votes) }
            th scope="col" { (w.average) }
            th scope="col" { (w.top_share) }
            th scope="col" { (w.below_top) }
        }
    }
}

/// What the public page shows: one stored page (`public.rs`), suppression applied, with the
/// month's published comments and digest.
pub struct PublicView {
    pub period: Period,
    /// Id 0: the top units.
    pub page: crate::public::PublicUnit,
    pub min_votes: u32,
    pub month: String,
    /// Comments an administrator published (moderated), newest first.
    pub comments: Vec<crate::moderation::store::PublishedComment>,
    /// The month's digest of counted receipts, once the month is closed.
    pub digest: Option<crate::results::store::Digest>,
}

pub fn public_page(lang: Lang, v: &PublicView) -> String {
    let w = words(lang);
    let link = |unit: Option<i64>| match unit {
        Some(u) => format!("/results?unit={u}&month={}&lang={}", v.month, lang.code()),
        None => format!("/results?month={}&lang={}", v.month, lang.code()),
    };
    let p = &v.page;
    let title = if p.id == 0 {
        w.results.to_owned()
    } else {
        format!("{} — {}", w.results, p.name)
    };
    let body = html! {
        main.results {
            h1 { (title) }
            p { (w.period) ": " (period_text(lang, v.period)) }
            @if p.id != 0 {
                p { a href=(link(p.parent_id)) { "↑ " (w.up) } }
                table {
                    thead { (head_cells(&w, w.unit)) }
                    tbody { tr { th scope="row" { (title) } (public_cells(lang, &w, p.figures.as_ref())) } }
                }
            }
            @if !p.units.is_empty() {
                h2 { (w.units) }
                table {
                    thead { (head_cells(&w, w.unit)) }
                    tbody {
                        @for r in &p.units {
                            tr {
                                th scope="row" { a href=(link(Some(r.id))) { (r.name) } }
                                (public_cells(lang, &w, r.figures.as_ref()))
                            }
                        }
                    }
                }
            }
            @if !p.employees.is_empty() {
                h2 { (w.employees) }
                table {
                    thead { (head_cells(&w, w.employee)) }
                    tbody {
                        @for r in &p.employees {
                            tr {
                                th scope="row" { (r.name) br; small { (r.position.as_deref().unwrap_or("")) } }
                                (public_cells(lang, &w, r.figures.as_ref()))
                            }
                        }
                    }
                }
            }
            @if !v.comments.is_empty() {
                h2 { (w.comments) }
                ul.comments {
                    @for c in &v.comments {
                        li { blockquote dir="auto" { (c.text) } small { (c.unit) } }
                    }
                }
            }
            @if p.units.is_empty() && p.employees.is_empty() && p.id == 0 {
                p { (w.no_data) }
            }
            p.note { (w.method.replace("{n}", &n(lang, i64::from(v.min_votes)))) }
            @if let Some(d) = &v.digest {
                p.note {
                    (w.digest.replace("{n}", &n(lang, d.counted)))
                    " " code dir="ltr" { (d.root) }
                }
            }
        }
    };
    pages::document(lang, &title, body)
}

/// The monthly report, printable.
pub fn monthly_page(lang: Lang, r: &MonthlyReport) -> String {
    let w = words(lang);
    let period = Period::month(&r.month)
        .map(|p| period_text(lang, p))
        .unwrap_or_default();
    let title = format!("{} — {}", w.monthly, r.unit_name);
    let ranked = |list: &[crate::results::report::Ranked]| {
        html! {
            table {
                thead { tr { th scope="col" { (w.employee) } th scope="col" { (w.votes) } th scope="col" { (w.average) } } }
                tbody {
                    @for e in list {
                        tr { th scope="row" { (e.name) } td { (n(lang, e.votes)) } td { (local_number(lang, &decimal(e.average))) } }
                    }
                }
            }
        }
    };
    let body = html! {
        main.results {
            h1 { (title) }
            @if r.provisional {
                p.notice role="note" data-testid="provisional" { (provisional_notice(lang, r.as_of)) }
            }
            p { (w.period) ": " (period) }
            table {
                thead { (head_cells(&w, w.period)) }
                tbody {
                    tr { th scope="row" { (period) } (figures_cells(lang, &w, &r.figures, false)) }
                    tr { th scope="row" { (w.previous) } (figures_cells(lang, &w, &r.previous, false)) }
                }
            }
            p { (w.comments) ": " (n(lang, r.comments)) " · " (w.complaints) ": " (n(lang, r.complaints)) " · " (w.overdue) ": " (n(lang, r.overdue_cases)) }
            @if !r.best.is_empty() { h2 { (w.best) } (ranked(&r.best)) }
            @if !r.worst.is_empty() { h2 { (w.worst) } (ranked(&r.worst)) }
            @if !r.criteria.is_empty() { (criteria_table(lang, &w, &r.criteria)) }
            p.note { (report_method(lang).replace("{n}", &n(lang, i64::from(r.min_votes)))) }
        }
    };
    pages::document(lang, &title, body)
}

/// A month-to-date report's notice: said first, before any figure (docs/results.md).
fn provisional_notice(lang: Lang, as_of: Option<i64>) -> String {
    let (text, never) = match lang {
        Lang::Uk => ("Місяць ще триває, звіт не остаточний: показники можуть змінитися; станом на {t}.", "ще не підраховано"),
        Lang::Ru => ("Месяц ещё идёт, отчёт не окончательный: показатели могут измениться; по состоянию на {t}.", "ещё не подсчитано"),
        Lang::Kk => ("Ай әлі аяқталмаған, есеп түпкілікті емес: көрсеткіштер өзгеруі мүмкін; {t} жағдай бойынша.", "әлі есептелмеді"),
        Lang::Fa => ("ماه هنوز تمام نشده و گزارش قطعی نیست: ارقام ممکن است تغییر کنند؛ به‌روز تا {t}.", "هنوز شمرده نشده است"),
        Lang::En => ("Month to date, not closed: figures may change; as of {t}.", "not yet counted"),
    };
    let t = crate::results::report::as_of_text(lang, as_of).unwrap_or_else(|| never.to_owned());
    text.replace("{t}", &t)
}

/// The monthly report's method: managers see every unit's figures; only rankings wait for the
/// minimum (the public page's suppression does not apply to them).
fn report_method(lang: Lang) -> &'static str {
    match lang {
        Lang::Uk => "Зараховано оцінки громадян за період; повторні та підозрілі оцінки не враховано. Показник працівника відображається, коли він має щонайменше {n} оцінок. Коментар оприлюднюється лише тоді, коли його оприлюднить адміністратор, прибравши персональні дані; контакти не оприлюднюються.",
        Lang::Ru => "Учтены оценки граждан за период; повторные и подозрительные оценки не учитываются. Показатель сотрудника виден, когда у него не меньше {n} оценок. Комментарий публикуется, только когда его опубликует администратор, убрав персональные данные; контакты не публикуются.",
        Lang::Kk => "Кезеңдегі азаматтардың бағалары есептелді; қайталанған және күмәнді бағалар есепке алынбайды. Қызметкердің көрсеткіші кемінде {n} баға болғанда көрсетіледі. Пікірді әкімші дербес деректерден тазартып жариялағанда ғана жарияланады; байланыс деректері жарияланбайды.",
        Lang::Fa => "آرای شهروندان در این دوره شمرده شده است؛ آرای تکراری و مشکوک شمرده نمی‌شوند. امتیاز هر کارمند از {n} رأی به بالا نمایش داده می‌شود. نظر فقط وقتی منتشر می‌شود که مدیری آن را پس از حذف اطلاعات شخصی منتشر کند؛ اطلاعات تماس منتشر نمی‌شود.",
        Lang::En => "Citizens' votes in the period are counted; repeated and suspicious votes are left out. An employee's score is shown from {n} votes on. A comment is published only when an administrator publishes it, cleaned of personal data; contacts are never published.",
    }
}

/// Each extra criterion: its ratings, average and count per level (managers only: the public
/// page has none).
fn criteria_table(
    lang: Lang,
    w: &Words,
    list: &[crate::results::criteria::CriterionFigures],
) -> Markup {
    let mut levels: Vec<i64> = list
        .iter()
        .flat_map(|c| c.by_score.keys().filter_map(|l| l.parse().ok()))
        .collect();
    levels.sort_unstable();
    levels.dedup();
    html! {
        h2 { (crate::results::criteria::heading(lang)) }
        table.criteria {
            thead {
                tr {
                    th scope="col" { (crate::results::criteria::heading(lang)) }
                    th scope="col" { (w.votes) }
                    th scope="col" { (w.average) }
                    @for l in &levels { th scope="col" { (n(lang, *l)) } }
                }
            }
            tbody {
                @for c in list {
                    tr {
                        th scope="row" { (c.labels.get(lang)) }
                        td { (n(lang, c.votes)) }
                        td { (local_number(lang, &decimal(c.average))) }
                        @for l in &levels {
                            td { (n(lang, c.by_score.get(&l.to_string()).copied().unwrap_or(0))) }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::report::{monthly_report, Counts, Tally};

    #[test]
    fn a_persian_monthly_report_has_solar_hijri_dates_and_persian_digits() {
        let mut t = Tally::new();
        t.insert(
            3,
            Counts {
                counted: 12,
                ..Counts::default()
            },
        );
        let r = monthly_report(
            1,
            "<b>Hall</b>",
            "2026-10",
            &t,
            &Tally::new(),
            &[],
            0,
            &[1, 2, 3],
            10,
        );
        let page = monthly_page(Lang::Fa, &r);
        assert!(page.contains("dir=\"rtl\""));
        assert!(page.contains("۱۴۰۵/۰۷/۰۹"), "1 October 2026 is 9 Mehr 1405");
        assert!(page.contains("۱۲"));
        assert!(page.contains("&lt;b&gt;Hall&lt;/b&gt;"));
        let en = monthly_page(Lang::En, &r);
        assert!(en.contains("2026-10-01 – 2026-10-31"));
    }

    #[test]
    fn a_provisional_report_says_so_at_the_top_in_every_language() {
        let mut r = monthly_report(
            1,
            "Hall",
            "2026-12",
            &Tally::new(),
            &Tally::new(),
            &[],
            0,
            &[1, 2, 3],
            10,
        );
        assert!(!monthly_page(Lang::En, &r).contains("data-testid=\"provisional\""));
        r.provisional = true;
        r.as_of = Some(1_796_389_200);
        for (lang, words, time) in [
            (Lang::Uk, "не остаточний", "2026-12-04 13:00 UTC"),
            (Lang::Ru, "не окончательный", "2026-12-04 13:00 UTC"),
            (Lang::Kk, "түпкілікті емес", "2026-12-04 13:00 UTC"),
            (Lang::Fa, "قطعی نیست", "۱۴۰۵/۰۹/۱۳ ۱۳:۰۰ UTC"),
            (
                Lang::En,
                "Month to date, not closed",
                "2026-12-04 13:00 UTC",
            ),
        ] {
            let page = monthly_page(lang, &r);
            let notice = page.find("data-testid=\"provisional\"").expect("a notice");
            assert!(
                notice < page.find("<table").unwrap(),
                "{lang:?}: before the figures"
            );
            assert!(
                page.contains(words) && page.contains(time),
                "{lang:?}: {page}"
            );
        }
    }

    #[test]
    fn every_report_says_comments_are_published_only_by_an_administrator() {
        // The report lists the comments an administrator published: its method note must not
        // say that comments are never published.
        for (lang, administrator) in [
            (Lang::Uk, "адміністратор"),
            (Lang::Ru, "администратор"),
            (Lang::Kk, "әкімші"),
            (Lang::Fa, "مدیر"),
            (Lang::En, "administrator"),
        ] {
            let method = words(lang).method;
            assert!(method.contains(administrator), "{lang:?}: {method}");
        }
    }
}
