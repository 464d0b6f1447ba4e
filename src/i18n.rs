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
}
