//! Alerts to managers: a low score with a comment, or a sharp drop in an employee's or a unit's
//! satisfaction against its own baseline. Alerts are queued by the cron roll-up (never by the
//! vote itself, so a vote never waits on them) and sent by the cron to one webhook: a generic
//! JSON POST or a Telegram bot's `sendMessage`. Failed sends are retried with growing pauses.
//!
//! An alert names the employee, the unit and the score, and links to the admin page; it never
//! carries the comment's text or a contact, which stay in the admin page.

use crate::i18n::Lang;
use serde::Serialize;

/// Attempts before an alert is given up (the last one about a day after the first).
pub const MAX_ATTEMPTS: i64 = 8;
/// Sends per cron run: a free account allows 50 subrequests an invocation.
pub const SENDS_PER_RUN: u32 = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// `{"kind", "text", "unit", "employee", "score", "managers", "link", ...}` as JSON.
    Json,
    /// Telegram Bot API: `{"chat_id", "text"}` to `https://api.telegram.org/bot<token>/sendMessage`.
    Telegram { chat_id: String },
}

/// Where alerts go (`ALERT_WEBHOOK_URL`, `ALERT_FORMAT`, `TELEGRAM_CHAT_ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertConfig {
    pub url: String,
    pub format: Format,
}

impl AlertConfig {
    /// `None` when no webhook is set. The URL must be https (plain http only to this machine,
    /// for tests); a Telegram format needs the chat id.
    pub fn from_settings(
        url: Option<&str>,
        format: Option<&str>,
        chat_id: Option<&str>,
    ) -> Result<Option<AlertConfig>, String> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let local = url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:");
        if !(url.starts_with("https://") || local)
            || url.len() > 2000
            || url.contains(char::is_whitespace)
        {
            return Err("ALERT_WEBHOOK_URL must be an https:// URL".into());
        }
        let format = match format.map(str::trim).unwrap_or("json") {
            "" | "json" => Format::Json,
            "telegram" => {
                let chat_id = chat_id
                    .map(str::trim)
                    .filter(|c| {
                        !c.is_empty()
                            && c.len() <= 64
                            && c.chars()
                                .all(|ch| ch.is_ascii_alphanumeric() || "-_@".contains(ch))
                    })
                    .ok_or(
                        "ALERT_FORMAT=telegram needs TELEGRAM_CHAT_ID (a chat id or @channel)",
                    )?;
                Format::Telegram {
                    chat_id: chat_id.to_owned(),
                }
            }
            _ => return Err("ALERT_FORMAT must be json or telegram".into()),
        };
        Ok(Some(AlertConfig {
            url: url.to_owned(),
            format,
        }))
    }
}

/// A queued alert as the outbox stores it (`alert_outbox.body`).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Alert {
    pub kind: String,
    pub unit_id: i64,
    pub unit: String,
    pub employee_id: Option<i64>,
    pub employee: Option<String>,
    /// The low score, for `low_score_comment`.
    pub score: Option<i64>,
    /// Shares below the top level, for `drop`: the last 7 days against the 28 before.
    pub recent_below_top: Option<f64>,
    pub baseline_below_top: Option<f64>,
    pub recent_votes: Option<i64>,
    pub at: i64,
}

/// What the webhook receives.
#[derive(Debug, Clone, Serialize)]
pub struct Payload<'a> {
    #[serde(flatten)]
    pub alert: &'a Alert,
    pub text: String,
    pub link: String,
    /// Accounts with a role on the unit or above it: whom the receiving side should tell.
    pub managers: &'a [String],
}

fn percent(x: Option<f64>) -> String {
    x.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_default()
}

/// One sentence for people, in the instance's language.
pub fn text(lang: Lang, a: &Alert) -> String {
    let who = a.employee.as_deref().unwrap_or(&a.unit);
    let score = a.score.unwrap_or(0);
    let (now, before) = (percent(a.recent_below_top), percent(a.baseline_below_top));
    match (a.kind.as_str(), lang) {
        ("drop", Lang::Uk) => format!("Різке зниження оцінок: {who} ({}). Нижче найвищої оцінки за 7 днів: {now}, раніше: {before}.", a.unit),
        ("drop", Lang::Ru) => format!("Резкое снижение оценок: {who} ({}). Ниже высшей оценки за 7 дней: {now}, ранее: {before}.", a.unit),
        ("drop", Lang::Kk) => format!("Бағалардың күрт төмендеуі: {who} ({}). 7 күндегі ең жоғарыдан төмен үлес: {now}, бұрын: {before}.", a.unit),
        ("drop", Lang::Fa) => format!("افت شدید امتیاز: {who} ({}). سهم پایین‌تر از بالاترین در ۷ روز: {now}، پیش‌تر: {before}.", a.unit),
        ("drop", Lang::En) => format!("Sharp drop in ratings: {who} ({}). Below the top level in the last 7 days: {now}, before: {before}.", a.unit),
        (_, Lang::Uk) => format!("Низька оцінка ({score}) з коментарем: {who} ({}). Коментар — у сторінці адміністрування.", a.unit),
        (_, Lang::Ru) => format!("Низкая оценка ({score}) с комментарием: {who} ({}). Комментарий — на странице администрирования.", a.unit),
        (_, Lang::Kk) => format!("Пікірі бар төмен баға ({score}): {who} ({}). Пікір әкімшілік бетінде.", a.unit),
        (_, Lang::Fa) => format!("امتیاز پایین ({score}) همراه با نظر: {who} ({}). متن نظر در صفحه مدیریت است.", a.unit),
        (_, Lang::En) => format!("Low score ({score}) with a comment: {who} ({}). The comment is in the admin page.", a.unit),
    }
}

/// The request body for the configured format.
pub fn body(
    config: &AlertConfig,
    lang: Lang,
    a: &Alert,
    link: &str,
    managers: &[String],
) -> String {
    let text = text(lang, a);
    let value = match &config.format {
        Format::Json => serde_json::to_value(Payload {
            alert: a,
            text,
            link: link.to_owned(),
            managers,
        })
        .unwrap_or_default(),
        Format::Telegram { chat_id } => serde_json::json!({
            "chat_id": chat_id,
            "text": format!("{text}\n{link}"),
            "disable_web_page_preview": true,
        }),
    };
    value.to_string()
}

/// Seconds until the next attempt after `attempts` failures: 2, 4, 8 … minutes, capped at 6 h.
pub fn retry_after(attempts: i64) -> i64 {
    let minutes = 1i64 << attempts.clamp(1, 9);
    (minutes * 60).min(6 * 3600)
}

/// Whether the last 7 days' share below the top level is sharply worse than the 28 days
/// before: at least 10 recent and 20 earlier votes, 20 points worse, and a two-proportion
/// z-score of at least 2.5, so that ordinary noise does not page anyone.
pub fn is_sharp_drop(recent: i64, recent_below: i64, base: i64, base_below: i64) -> bool {
    if recent < 10 || base < 20 {
        return false;
    }
    let p1 = recent_below as f64 / recent as f64;
    let p0 = base_below as f64 / base as f64;
    if p1 - p0 < 0.2 {
        return false;
    }
    let pooled = (recent_below + base_below) as f64 / (recent + base) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / recent as f64 + 1.0 / base as f64)).sqrt();
    se > 0.0 && (p1 - p0) / se >= 2.5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(kind: &str) -> Alert {
        Alert {
            kind: kind.into(),
            unit_id: 2,
            unit: "ЦНАП".into(),
            employee_id: Some(5),
            employee: Some("Олена".into()),
            score: Some(1),
            recent_below_top: Some(0.5),
            baseline_below_top: Some(0.1),
            recent_votes: Some(12),
            at: 1_700_000_000,
        }
    }

    #[test]
    fn no_url_means_no_alerts_and_bad_settings_are_refused() {
        assert_eq!(AlertConfig::from_settings(None, None, None), Ok(None));
        assert!(AlertConfig::from_settings(Some("http://example.com/hook"), None, None).is_err());
        assert!(
            AlertConfig::from_settings(Some("https://h.example/x"), Some("telegram"), None)
                .is_err()
        );
        assert!(
            AlertConfig::from_settings(Some("https://h.example/x"), Some("xml"), None).is_err()
        );
        let t = AlertConfig::from_settings(
            Some("https://api.telegram.org/botX/sendMessage"),
            Some("telegram"),
            Some("-100123"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            t.format,
            Format::Telegram {
                chat_id: "-100123".into()
            }
        );
    }

    #[test]
    fn a_telegram_body_has_the_chat_and_a_sentence_and_never_the_comment() {
        let config = AlertConfig {
            url: "https://api.telegram.org/botX/sendMessage".into(),
            format: Format::Telegram {
                chat_id: "@city".into(),
            },
        };
        let b: serde_json::Value = serde_json::from_str(&body(
            &config,
            Lang::Uk,
            &alert("low_score_comment"),
            "https://x/admin/",
            &[],
        ))
        .unwrap();
        assert_eq!(b["chat_id"], "@city");
        assert!(b["text"]
            .as_str()
            .unwrap()
            .starts_with("Низька оцінка (1) з коментарем: Олена (ЦНАП)"));
        let json = AlertConfig {
            url: "https://h.example".into(),
            format: Format::Json,
        };
        let j: serde_json::Value =
            serde_json::from_str(&body(&json, Lang::En, &alert("drop"), "L", &["m@x".into()]))
                .unwrap();
        assert_eq!(j["kind"], "drop");
        assert_eq!(j["managers"][0], "m@x");
        assert!(j["text"].as_str().unwrap().contains("50%"));
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_six_hours() {
        assert_eq!(retry_after(1), 120);
        assert!(retry_after(3) > retry_after(2));
        assert_eq!(retry_after(20), 6 * 3600);
    }

    #[test]
    fn a_drop_needs_enough_votes_and_a_real_difference() {
        assert!(is_sharp_drop(20, 12, 100, 10), "60% against 10%");
        assert!(!is_sharp_drop(5, 5, 100, 10), "too few recent votes");
        assert!(
            !is_sharp_drop(20, 5, 100, 10),
            "25% against 10%: within 20 points"
        );
        assert!(
            !is_sharp_drop(12, 4, 20, 1),
            "33% against 5%, but too few votes to be sure"
        );
        assert!(is_sharp_drop(30, 15, 60, 3));
    }
}
