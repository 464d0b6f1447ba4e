//! Languages, negotiation and the message catalogue.

use std::fmt;

/// A language the citizen pages are written in. Parsing is the only way in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Uk,
    Ru,
    Kk,
    Fa,
    En,
}

impl Lang {
    /// Every supported language, in the order the language switcher shows them.
    pub const ALL: [Lang; 5] = [Lang::Uk, Lang::Ru, Lang::Kk, Lang::Fa, Lang::En];

    /// Parses a BCP 47 primary language subtag (`uk`, `uk-UA`, `RU`); `None` when unsupported.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        match primary.to_ascii_lowercase().as_str() {
            "uk" => Some(Lang::Uk),
            "ru" => Some(Lang::Ru),
            "kk" => Some(Lang::Kk),
            "fa" => Some(Lang::Fa),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Uk => "uk",
            Lang::Ru => "ru",
            Lang::Kk => "kk",
            Lang::Fa => "fa",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Uk => "Українська",
            Lang::Ru => "Русский",
            Lang::Kk => "Қазақша",
            Lang::Fa => "فارسی",
            Lang::En => "English",
        }
    }

    pub fn is_rtl(self) -> bool {
        matches!(self, Lang::Fa)
    }

    pub fn dir(self) -> &'static str {
        if self.is_rtl() {
            "rtl"
        } else {
            "ltr"
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Picks the page language: an explicit `?lang=` first, then `Accept-Language` by q-value,
/// then the instance default. An unsupported `?lang=` is ignored rather than refused: a
/// citizen who followed an odd link still gets a page they can read.
pub fn negotiate(query_lang: Option<&str>, accept_language: Option<&str>, default: Lang) -> Lang {
    if let Some(lang) = query_lang.and_then(Lang::parse) {
        return lang;
    }
    accept_language
        .and_then(best_from_accept_language)
        .unwrap_or(default)
}

/// The supported language with the highest q-value in an `Accept-Language` header.
/// Malformed entries are skipped; ties keep the header's order.
pub fn best_from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32)> = None;
    for entry in header.split(',').take(32) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let mut q = 1.0_f32;
        for param in parts {
            if let Some(v) = param.trim().strip_prefix("q=") {
                q = v
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|q| (0.0..=1.0).contains(q))
                    .unwrap_or(0.0);
            }
        }
        if q <= 0.0 {
            continue;
        }
        if let Some(lang) = Lang::parse(tag) {
            if best.is_none_or(|(_, bq)| q > bq) {
                best = Some((lang, q));
            }
        }
    }
    best.map(|(l, _)| l)
}

/// Every text the citizen pages show, in one language. One `static` per language below, so a
/// missing translation is a compile error rather than an English fallback at run time.
/// Numbers inside texts are written in the language's own digits (Persian uses ۰–۹).
#[derive(Debug)]
pub struct Messages {
    /// Label of the language switcher (`<nav aria-label>`).
    pub language: &'static str,
    /// `<title>` and `<h1>` of the rating page.
    pub vote_title: &'static str,
    /// Put before the title when the form came back with a problem.
    pub title_error_prefix: &'static str,
    /// Heading above the employee's name, position and unit.
    pub served_heading: &'static str,
    /// `<legend>` of the rating scale.
    pub rating_legend: &'static str,
    pub comment_label: &'static str,
    pub comment_hint: &'static str,
    pub contact_label: &'static str,
    /// What the contact is for, and that feedback without it is anonymous.
    pub contact_hint: &'static str,
    /// This form rates the service; it is not a help desk.
    pub not_help_desk: &'static str,
    /// The thank-you page's receipt, and what it is for.
    pub receipt_label: &'static str,
    pub receipt_text: &'static str,
    /// A unit's website form: above the list of its employees.
    pub unit_form_choose: &'static str,
    /// Turnstile is configured and its answer is missing or did not verify.
    pub problem_challenge: &'static str,
    /// Shown without JavaScript when Turnstile is configured: the widget needs it.
    pub challenge_needs_js: &'static str,
    pub submit: &'static str,
    pub thanks_heading: &'static str,
    pub thanks_text: &'static str,
    /// Heading of the error summary at the top of a returned form.
    pub form_problem_heading: &'static str,
    pub problem_no_score: &'static str,
    pub problem_comment_too_long: &'static str,
    pub problem_invalid_contact: &'static str,
    /// Above the optional extra criteria (premises, waiting time...).
    pub criteria_legend: &'static str,
    pub criteria_note: &'static str,
    pub problem_criterion: &'static str,
    pub invalid_code_heading: &'static str,
    pub invalid_code_text: &'static str,
    pub revoked_code_heading: &'static str,
    pub revoked_code_text: &'static str,
    pub used_code_heading: &'static str,
    pub used_code_text: &'static str,
    pub not_found_heading: &'static str,
    pub not_found_text: &'static str,
    pub bad_request_heading: &'static str,
    pub bad_request_text: &'static str,
    pub too_many_requests_heading: &'static str,
    pub too_many_requests_text: &'static str,
    pub unavailable_heading: &'static str,
    pub unavailable_text: &'static str,
    /// A vote (or any change) sent by a page of another site, refused before it is read.
    pub cross_site_heading: &'static str,
    pub cross_site_text: &'static str,
    /// The manual-entry page, for a code typed from the text printed under the QR code.
    pub entry_heading: &'static str,
    pub entry_text: &'static str,
    pub entry_label: &'static str,
    pub entry_submit: &'static str,
}

/// The message catalogue for a language.
pub fn messages(lang: Lang) -> &'static Messages {
    match lang {
        Lang::Uk => &UK,
        Lang::Ru => &RU,
        Lang::Kk => &KK,
        Lang::Fa => &FA,
        Lang::En => &EN,
    }
}

static UK: Messages = Messages {
    language: "Мова",
    vote_title: "Оцінка обслуговування",
    title_error_prefix: "Помилка: ",
    served_heading: "Хто вас обслуговував",
    rating_legend: "Оцініть, як вас обслужили",
    comment_label: "Коментар (необов’язково)",
    comment_hint: "Не більше 1000 символів.",
    contact_label: "Телефон або e-mail (необов’язково)",
    contact_hint: "Використовується лише для зв’язку щодо цього відгуку. Без контакту відгук анонімний.",
    not_help_desk: "Ця форма — лише для оцінки обслуговування, а не для звернень. Запитання та заяви надсилайте через офіційні канали звернень громадян.",
    receipt_label: "Ваша квитанція:",
    receipt_text: "Після закриття місяця за нею можна перевірити на сторінці публічних результатів, що ваш голос зараховано. Квитанція нічого не каже про вас чи вашу оцінку.",
    unit_form_choose: "Оберіть, хто вас обслуговував:",
    problem_challenge: "Підтвердження, що голосує людина, не вдалося. Позначте перевірку нижче й надішліть відгук ще раз.",
    challenge_needs_js: "Для перевірки, що голосує людина, цій формі потрібен JavaScript.",
    submit: "Відправити відгук",
    thanks_heading: "Дякуємо за Ваш голос!",
    thanks_text: "Ваш відгук отримано. Він допомагає покращувати обслуговування.",
    form_problem_heading: "Перевірте форму",
    problem_no_score: "Оберіть оцінку.",
    problem_comment_too_long: "Коментар задовгий: не більше 1000 символів.",
    problem_invalid_contact: "Вкажіть правильний номер телефону або адресу e-mail — або залиште поле порожнім.",
    criteria_legend: "За бажанням оцініть також умови обслуговування",
    criteria_note: "Ці оцінки не враховуються в оцінці працівника.",
    problem_criterion: "Для додаткових запитань оберіть одну з оцінок або залиште їх без відповіді.",
    invalid_code_heading: "Цей код недійсний",
    invalid_code_text: "Перевірте, що ви відсканували код на робочому місці працівника, або зверніться до персоналу.",
    revoked_code_heading: "Цей код більше не дійсний",
    revoked_code_text: "Будь ласка, попросіть у працівників чинний код.",
    used_code_heading: "Цей одноразовий код уже використано",
    used_code_text: "Кожен одноразовий код приймає лише один голос, і його вже віддано. Дякуємо!",
    not_found_heading: "Сторінку не знайдено",
    not_found_text: "Такої сторінки немає. Відскануйте код на робочому місці ще раз.",
    bad_request_heading: "Некоректний запит",
    bad_request_text: "Запит не вдалося обробити. Спробуйте ще раз.",
    too_many_requests_heading: "Забагато запитів",
    too_many_requests_text: "Будь ласка, спробуйте пізніше.",
    unavailable_heading: "Сервіс тимчасово недоступний",
    unavailable_text: "Будь ласка, спробуйте ще раз за хвилину.",
    cross_site_heading: "Голос не прийнято",
    cross_site_text: "Цю форму надіслала сторінка іншого сайту, тому голос не зараховано. Відскануйте QR-код працівника й оцініть обслуговування на сторінці, що відкриється.",
    entry_heading: "Оцініть обслуговування",
    entry_text: "Не вдається сканувати QR-код? Введіть код, надрукований під ним.",
    entry_label: "Код під QR-кодом",
    entry_submit: "Далі",
};

static RU: Messages = Messages {
    language: "Язык",
    vote_title: "Оценка обслуживания",
    title_error_prefix: "Ошибка: ",
    served_heading: "Кто вас обслуживал",
    rating_legend: "Оцените, как вас обслужили",
    comment_label: "Комментарий (необязательно)",
    comment_hint: "Не более 1000 символов.",
    contact_label: "Телефон или e-mail (необязательно)",
    contact_hint: "Используется только для связи по этому отзыву. Без контакта отзыв анонимный.",
    not_help_desk: "Эта форма — только для оценки обслуживания, а не для обращений. Вопросы и заявления направляйте через официальные каналы обращений граждан.",
    receipt_label: "Ваша квитанция:",
    receipt_text: "После закрытия месяца по ней можно проверить на странице публичных результатов, что ваш голос учтён. Квитанция ничего не говорит о вас или вашей оценке.",
    unit_form_choose: "Выберите, кто вас обслуживал:",
    problem_challenge: "Не удалось подтвердить, что голосует человек. Отметьте проверку ниже и отправьте отзыв ещё раз.",
    challenge_needs_js: "Для проверки, что голосует человек, этой форме нужен JavaScript.",
    submit: "Отправить отзыв",
    thanks_heading: "Спасибо за ваш голос!",
    thanks_text: "Ваш отзыв получен. Он помогает улучшать обслуживание.",
    form_problem_heading: "Проверьте форму",
    problem_no_score: "Выберите оценку.",
    problem_comment_too_long: "Комментарий слишком длинный: не более 1000 символов.",
    problem_invalid_contact: "Укажите правильный номер телефона или адрес e-mail — или оставьте поле пустым.",
    criteria_legend: "По желанию оцените также условия обслуживания",
    criteria_note: "Эти оценки не учитываются в оценке сотрудника.",
    problem_criterion: "Для дополнительных вопросов выберите одну из оценок или оставьте их без ответа.",
    invalid_code_heading: "Этот код недействителен",
    invalid_code_text: "Проверьте, что вы отсканировали код на рабочем месте сотрудника, или обратитесь к персоналу.",
    revoked_code_heading: "Этот код больше не действует",
    revoked_code_text: "Пожалуйста, попросите у сотрудников действующий код.",
    used_code_heading: "Этот одноразовый код уже использован",
    used_code_text: "Каждый одноразовый код принимает только один голос, и он уже отдан. Спасибо!",
    not_found_heading: "Страница не найдена",
    not_found_text: "Такой страницы нет. Отсканируйте код на рабочем месте ещё раз.",
    bad_request_heading: "Неверный запрос",
    bad_request_text: "Запрос не удалось обработать. Попробуйте ещё раз.",
    too_many_requests_heading: "Слишком много запросов",
    too_many_requests_text: "Пожалуйста, попробуйте позже.",
    unavailable_heading: "Сервис временно недоступен",
    unavailable_text: "Пожалуйста, попробуйте ещё раз через минуту.",
    cross_site_heading: "Голос не принят",
    cross_site_text: "Эту форму отправила страница другого сайта, поэтому голос не засчитан. Отсканируйте QR-код сотрудника и оцените обслуживание на открывшейся странице.",
    entry_heading: "Оцените обслуживание",
    entry_text: "Не получается отсканировать QR-код? Введите код, напечатанный под ним.",
    entry_label: "Код под QR-кодом",
    entry_submit: "Далее",
};

static KK: Messages = Messages {
    language: "Тіл",
    vote_title: "Қызмет көрсетуді бағалау",
    title_error_prefix: "Қате: ",
    served_heading: "Сізге кім қызмет көрсетті",
    rating_legend: "Сізге қалай қызмет көрсетілгенін бағалаңыз",
    comment_label: "Пікір (міндетті емес)",
    comment_hint: "1000 таңбадан аспауы керек.",
    contact_label: "Телефон немесе e-mail (міндетті емес)",
    contact_hint: "Тек осы пікір бойынша сізбен байланысу үшін қолданылады. Байланыс деректерінсіз пікір анонимді болады.",
    not_help_desk: "Бұл нысан тек қызмет көрсетуді бағалауға арналған, өтініш қабылдау орны емес. Сұрақтар мен өтініштерді азаматтардың өтініштерін қабылдайтын ресми арналар арқылы жолдаңыз.",
    receipt_label: "Түбіртегіңіз:",
    receipt_text: "Ай жабылғаннан кейін ол арқылы ашық нәтижелер бетінде дауысыңыздың есептелгенін тексеруге болады. Түбіртек сіз туралы да, бағаңыз туралы да ештеңе айтпайды.",
    unit_form_choose: "Сізге кім қызмет көрсеткенін таңдаңыз:",
    problem_challenge: "Дауыс беретін адам екені расталмады. Төмендегі тексеруді белгілеп, пікірді қайта жіберіңіз.",
    challenge_needs_js: "Дауыс беретін адам екенін тексеру үшін бұл нысанға JavaScript қажет.",
    submit: "Пікірді жіберу",
    thanks_heading: "Дауысыңыз үшін рахмет!",
    thanks_text: "Пікіріңіз қабылданды. Ол қызмет көрсету сапасын жақсартуға көмектеседі.",
    form_problem_heading: "Нысанды тексеріңіз",
    problem_no_score: "Бағаны таңдаңыз.",
    problem_comment_too_long: "Пікір тым ұзын: 1000 таңбадан аспауы керек.",
    problem_invalid_contact: "Дұрыс телефон нөмірін немесе e-mail мекенжайын енгізіңіз, не болмаса өрісті бос қалдырыңыз.",
    criteria_legend: "Қаласаңыз, қызмет көрсету жағдайларын да бағалаңыз",
    criteria_note: "Бұл бағалар қызметкердің бағасына есептелмейді.",
    problem_criterion: "Қосымша сұрақтар үшін бағалардың бірін таңдаңыз немесе оларды жауапсыз қалдырыңыз.",
    invalid_code_heading: "Бұл код жарамсыз",
    invalid_code_text: "Кодты қызметкердің жұмыс орнынан сканерлегеніңізді тексеріңіз немесе қызметкерлерге жүгініңіз.",
    revoked_code_heading: "Бұл код енді жарамсыз",
    revoked_code_text: "Қызметкерлерден қазіргі кодты сұраңыз.",
    used_code_heading: "Бұл бір реттік код пайдаланылған",
    used_code_text: "Әр бір реттік код тек бір дауыс қабылдайды, ол дауыс берілген. Рақмет!",
    not_found_heading: "Бет табылмады",
    not_found_text: "Мұндай бет жоқ. Жұмыс орнындағы кодты қайта сканерлеңіз.",
    bad_request_heading: "Қате сұрау",
    bad_request_text: "Сұрауды өңдеу мүмкін болмады. Қайталап көріңіз.",
    too_many_requests_heading: "Сұраулар тым көп",
    too_many_requests_text: "Кейінірек қайталап көріңіз.",
    unavailable_heading: "Қызмет уақытша қолжетімсіз",
    unavailable_text: "Бір минуттан кейін қайталап көріңіз.",
    cross_site_heading: "Дауыс қабылданбады",
    cross_site_text: "Бұл нысанды басқа сайттың беті жіберді, сондықтан дауыс есептелмеді. Қызметкердің QR-кодын сканерлеп, ашылған бетте қызмет көрсетуді бағалаңыз.",
    entry_heading: "Қызмет көрсетуді бағалаңыз",
    entry_text: "QR-кодты сканерлей алмайсыз ба? Оның астында басылған кодты енгізіңіз.",
    entry_label: "QR-код астындағы код",
    entry_submit: "Әрі қарай",
};

static FA: Messages = Messages {
    language: "زبان",
    vote_title: "ارزیابی خدمات",
    title_error_prefix: "خطا: ",
    served_heading: "کارمند ارائه‌دهندهٔ خدمت",
    rating_legend: "خدمتی را که دریافت کردید ارزیابی کنید",
    comment_label: "نظر (اختیاری)",
    comment_hint: "حداکثر ۱۰۰۰ کاراکتر.",
    contact_label: "تلفن یا ایمیل (اختیاری)",
    contact_hint: "فقط برای پیگیری همین نظر به کار می‌رود. بدون آن، نظر شما ناشناس می‌ماند.",
    not_help_desk: "این فرم فقط برای ارزیابی خدمات است و جای ثبت درخواست نیست. پرسش‌ها و درخواست‌های خود را از راه‌های رسمی رسیدگی به درخواست‌های مردمی مطرح کنید.",
    receipt_label: "رسید شما:",
    receipt_text: "پس از بسته شدن ماه می‌توانید با آن در صفحه نتایج عمومی بررسی کنید که رأی شما شمرده شده است. رسید چیزی درباره شما یا امتیازتان نمی‌گوید.",
    unit_form_choose: "کسی را که به شما خدمت کرد انتخاب کنید:",
    problem_challenge: "تأیید اینکه رأی‌دهنده یک انسان است انجام نشد. بررسی زیر را تکمیل کنید و دوباره ارسال کنید.",
    challenge_needs_js: "این فرم برای بررسی اینکه رأی‌دهنده انسان است به جاوااسکریپت نیاز دارد.",
    submit: "ارسال نظر",
    thanks_heading: "از رأی شما سپاسگزاریم!",
    thanks_text: "نظر شما ثبت شد و به بهبود خدمات کمک می‌کند.",
    form_problem_heading: "لطفاً فرم را بررسی کنید",
    problem_no_score: "یکی از گزینه‌های ارزیابی را انتخاب کنید.",
    problem_comment_too_long: "نظر شما طولانی است: حداکثر ۱۰۰۰ کاراکتر.",
    problem_invalid_contact: "یک شمارهٔ تلفن یا نشانی ایمیل درست وارد کنید، یا این بخش را خالی بگذارید.",
    criteria_legend: "در صورت تمایل، شرایط ارائهٔ خدمت را هم ارزیابی کنید",
    criteria_note: "این امتیازها در ارزیابی کارمند به حساب نمی‌آیند.",
    problem_criterion: "برای پرسش‌های تکمیلی یکی از امتیازها را انتخاب کنید یا آن‌ها را بی‌پاسخ بگذارید.",
    invalid_code_heading: "این کد معتبر نیست",
    invalid_code_text: "مطمئن شوید کدی را اسکن کرده‌اید که در محل کار کارمند نصب شده است، یا از کارکنان کمک بخواهید.",
    revoked_code_heading: "این کد دیگر معتبر نیست",
    revoked_code_text: "لطفاً کد فعلی را از کارکنان بخواهید.",
    used_code_heading: "این کد یک‌بارمصرف قبلاً استفاده شده است",
    used_code_text: "هر کد یک‌بارمصرف فقط یک رأی می‌پذیرد و این رأی قبلاً داده شده است. سپاسگزاریم!",
    not_found_heading: "صفحه پیدا نشد",
    not_found_text: "چنین صفحه‌ای وجود ندارد. کد محل کار را دوباره اسکن کنید.",
    bad_request_heading: "درخواست نامعتبر",
    bad_request_text: "درخواست پردازش نشد. لطفاً دوباره تلاش کنید.",
    too_many_requests_heading: "درخواست‌ها بیش از حد است",
    too_many_requests_text: "لطفاً کمی بعد دوباره تلاش کنید.",
    unavailable_heading: "سامانه موقتاً در دسترس نیست",
    unavailable_text: "لطفاً یک دقیقهٔ دیگر دوباره تلاش کنید.",
    cross_site_heading: "رأی پذیرفته نشد",
    cross_site_text: "این فرم را صفحه‌ای از وب‌سایت دیگری فرستاده است، بنابراین رأی شمرده نشد. کد QR کارمند را اسکن کنید و در صفحه‌ای که باز می‌شود به خدمات امتیاز دهید.",
    entry_heading: "به خدمات امتیاز دهید",
    entry_text: "کد QR اسکن نمی‌شود؟ کدی را که زیر آن چاپ شده است وارد کنید.",
    entry_label: "کد زیر کد QR",
    entry_submit: "ادامه",
};

static EN: Messages = Messages {
    language: "Language",
    vote_title: "Rate the service",
    title_error_prefix: "Error: ",
    served_heading: "Who served you",
    rating_legend: "How were you served?",
    comment_label: "Comment (optional)",
    comment_hint: "At most 1000 characters.",
    contact_label: "Phone or e-mail (optional)",
    contact_hint: "Used only to follow up on this feedback. Without it, your feedback is anonymous.",
    not_help_desk: "This form is only for rating the service, not for requests. Please send questions and requests through the official channels for citizens’ appeals.",
    receipt_label: "Your receipt:",
    receipt_text: "Once the month is closed, you can check with it on the public results that your vote was counted. The receipt says nothing about you or your rating.",
    unit_form_choose: "Choose who served you:",
    problem_challenge: "We could not confirm that a person is voting. Complete the check below and send again.",
    challenge_needs_js: "This form needs JavaScript to check that a person is voting.",
    submit: "Send feedback",
    thanks_heading: "Thank you for your vote!",
    thanks_text: "Your feedback has been received. It helps improve the service.",
    form_problem_heading: "Please check the form",
    problem_no_score: "Choose a rating.",
    problem_comment_too_long: "The comment is too long: at most 1000 characters.",
    problem_invalid_contact: "Enter a valid phone number or e-mail address, or leave the field empty.",
    criteria_legend: "If you wish, also rate the conditions of the service",
    criteria_note: "These ratings do not count for or against the employee.",
    problem_criterion: "For the extra questions, choose one of the levels or leave them unanswered.",
    invalid_code_heading: "This code is not valid",
    invalid_code_text: "Check that you scanned the code at the employee’s workplace, or ask the staff.",
    revoked_code_heading: "This code is no longer valid",
    revoked_code_text: "Please ask the staff for the current code.",
    used_code_heading: "This one-time code has already been used",
    used_code_text: "Each one-time code takes one vote, and this one has been cast. Thank you!",
    not_found_heading: "Page not found",
    not_found_text: "There is no such page. Please scan the code at the workplace again.",
    bad_request_heading: "Bad request",
    bad_request_text: "The request could not be processed. Please try again.",
    too_many_requests_heading: "Too many requests",
    too_many_requests_text: "Please try again later.",
    unavailable_heading: "Temporarily unavailable",
    unavailable_text: "Please try again in a minute.",
    cross_site_heading: "Your vote was not accepted",
    cross_site_text: "This form was sent by a page of another website, so the vote was not counted. Scan the employee's QR code and rate the service on the page that opens.",
    entry_heading: "Rate the service",
    entry_text: "Can't scan the QR code? Type the code printed under it.",
    entry_label: "Code under the QR code",
    entry_submit: "Next",
};

/// Writes ASCII digits in the language's own digits: Persian ۰–۹ for `Fa`, unchanged otherwise.
pub fn localize_digits(lang: Lang, s: &str) -> String {
    if lang != Lang::Fa {
        return s.to_owned();
    }
    s.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) if c.is_ascii_digit() => char::from_u32(0x06F0 + d).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Normalises what a citizen typed: Persian (۰–۹) and Arabic-Indic (٠–٩) digits become ASCII
/// digits, and the Arabic letters ي, ى and ك become the Persian ی and ک, so phone numbers
/// parse and Persian text is stored one way whatever keyboard typed it.
pub fn normalize_input(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{06F0}'..='\u{06F9}' => {
                char::from_u32(u32::from(c) - 0x06F0 + u32::from(b'0')).unwrap_or(c)
            }
            '\u{0660}'..='\u{0669}' => {
                char::from_u32(u32::from(c) - 0x0660 + u32::from(b'0')).unwrap_or(c)
            }
            '\u{064A}' | '\u{0649}' => '\u{06CC}',
            '\u{0643}' => '\u{06A9}',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_query_wins_over_header() {
        assert_eq!(negotiate(Some("fa"), Some("ru"), Lang::Uk), Lang::Fa);
    }

    #[test]
    fn unknown_query_falls_back_to_header_then_default() {
        assert_eq!(
            negotiate(Some("xx"), Some("kk-KZ,ru;q=0.8"), Lang::Uk),
            Lang::Kk
        );
        assert_eq!(negotiate(Some("xx"), None, Lang::Uk), Lang::Uk);
    }

    #[test]
    fn accept_language_is_ordered_by_quality() {
        assert_eq!(
            best_from_accept_language("de, en;q=0.5, ru;q=0.9"),
            Some(Lang::Ru)
        );
        assert_eq!(best_from_accept_language("de, fr"), None);
        assert_eq!(
            best_from_accept_language("ru;q=0, en;q=0.1"),
            Some(Lang::En)
        );
        assert_eq!(best_from_accept_language(";;;,q=,=,"), None);
    }

    #[test]
    fn persian_gets_persian_digits_and_other_languages_keep_ascii() {
        assert_eq!(
            localize_digits(Lang::Fa, "at 0912-345 6789"),
            "at ۰۹۱۲-۳۴۵ ۶۷۸۹"
        );
        assert_eq!(localize_digits(Lang::Uk, "1000"), "1000");
        assert_eq!(localize_digits(Lang::Fa, "abc ١"), "abc ١");
    }

    #[test]
    fn input_digits_and_arabic_letters_are_normalised() {
        assert_eq!(normalize_input("۰۹۱۲ ۳۴۵ ۶۷۸۹"), "0912 345 6789");
        assert_eq!(normalize_input("٠١٢٣٤٥٦٧٨٩"), "0123456789");
        assert_eq!(normalize_input("علي كريمي"), "علی کریمی");
        assert_eq!(normalize_input("Привіт, +380 67"), "Привіт, +380 67");
        assert_eq!(normalize_input(&localize_digits(Lang::Fa, "2025")), "2025");
    }

    fn all_texts(m: &Messages) -> Vec<&'static str> {
        vec![
            m.language,
            m.vote_title,
            m.title_error_prefix,
            m.served_heading,
            m.rating_legend,
            m.comment_label,
            m.comment_hint,
            m.contact_label,
            m.contact_hint,
            m.not_help_desk,
            m.submit,
            m.thanks_heading,
            m.thanks_text,
            m.form_problem_heading,
            m.problem_no_score,
            m.problem_comment_too_long,
            m.problem_invalid_contact,
            m.invalid_code_heading,
            m.invalid_code_text,
            m.revoked_code_heading,
            m.revoked_code_text,
            m.used_code_heading,
            m.used_code_text,
            m.not_found_heading,
            m.not_found_text,
            m.bad_request_heading,
            m.bad_request_text,
            m.too_many_requests_heading,
            m.too_many_requests_text,
            m.unavailable_heading,
            m.unavailable_text,
        ]
    }

    #[test]
    fn every_language_has_every_text_filled_in() {
        for lang in Lang::ALL {
            for text in all_texts(messages(lang)) {
                assert!(!text.trim().is_empty(), "{lang}: empty text");
            }
        }
    }

    #[test]
    fn persian_texts_use_persian_digits_and_letters() {
        for text in all_texts(messages(Lang::Fa)) {
            assert!(!text.chars().any(|c| c.is_ascii_digit()), "{text}");
            assert!(
                !text.contains(['\u{064A}', '\u{0649}', '\u{0643}']),
                "Arabic letter in {text}"
            );
        }
        assert!(messages(Lang::Fa).comment_hint.contains("۱۰۰۰"));
    }

    #[test]
    fn the_primary_texts_match_the_city_procedure() {
        let uk = messages(Lang::Uk);
        assert_eq!(uk.submit, "Відправити відгук");
        assert_eq!(uk.thanks_heading, "Дякуємо за Ваш голос!");
    }
}
