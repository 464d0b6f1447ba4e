//! The rating scale is instance data (rows in `scale_levels`), not code. The default, seeded
//! by the first migration, is three smileys: 1 red «Задовільно», 2 yellow «Добре», 3 green
//! «Зразково». Other scales (four words, five points) are just other rows.

use crate::i18n::Lang;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Which face the page draws beside a level's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Frown,
    Flat,
    Smile,
    Grin,
    None,
}

impl Face {
    pub fn parse(s: &str) -> Face {
        match s {
            "frown" => Face::Frown,
            "flat" => Face::Flat,
            "smile" => Face::Smile,
            "grin" => Face::Grin,
            _ => Face::None,
        }
    }
}

/// Labels per language; falls back to English, then to any label, so a partly translated
/// custom scale still renders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    pub fn parse_json(json: &str) -> Result<Labels, serde_json::Error> {
        serde_json::from_str(json)
    }

    pub fn get(&self, lang: Lang) -> &str {
        self.0
            .get(lang.code())
            .or_else(|| self.0.get("en"))
            .or_else(|| self.0.values().next())
            .map(String::as_str)
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub value: u8,
    /// A CSS colour from the database; only `#rrggbb` is accepted (anything else renders grey),
    /// so an admin-edited value can never break out of the style attribute.
    pub colour: String,
    pub face: Face,
    pub labels: Labels,
}

impl Level {
    pub fn new(value: u8, colour: &str, face: Face, labels: Labels) -> Level {
        let colour = if is_hex_colour(colour) {
            colour.to_owned()
        } else {
            "#767676".to_owned()
        };
        Level {
            value,
            colour,
            face,
            labels,
        }
    }
}

fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s.bytes().skip(1).all(|b| b.is_ascii_hexdigit())
}

/// An ordered, non-empty scale, lowest level first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    levels: Vec<Level>,
}

impl Scale {
    /// Sorts by value; `None` when empty or when two levels share a value.
    pub fn new(mut levels: Vec<Level>) -> Option<Scale> {
        levels.sort_by_key(|l| l.value);
        let distinct = levels
            .windows(2)
            .all(|w| w.first().map(|a| a.value) != w.get(1).map(|b| b.value));
        (!levels.is_empty() && distinct).then_some(Scale { levels })
    }

    pub fn levels(&self) -> &[Level] {
        &self.levels
    }

    pub fn contains(&self, value: i64) -> bool {
        self.levels.iter().any(|l| i64::from(l.value) == value)
    }

    pub fn min(&self) -> u8 {
        self.levels.first().map_or(0, |l| l.value)
    }

    pub fn max(&self) -> u8 {
        self.levels.last().map_or(0, |l| l.value)
    }

    /// The default three smileys, identical to the rows the first migration seeds.
    pub fn default_three() -> Scale {
        let l = |uk: &str, ru: &str, kk: &str, fa: &str, en: &str| {
            Labels(
                [("uk", uk), ("ru", ru), ("kk", kk), ("fa", fa), ("en", en)]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
            )
        };
        Scale {
            levels: vec![
                Level::new(
                    1,
                    "#d93025",
                    Face::Frown,
                    l(
                        "Задовільно",
                        "Удовлетворительно",
                        "Қанағаттанарлық",
                        "رضایت‌بخش",
                        "Satisfactory",
                    ),
                ),
                Level::new(
                    2,
                    "#f9ab00",
                    Face::Flat,
                    l("Добре", "Хорошо", "Жақсы", "خوب", "Good"),
                ),
                Level::new(
                    3,
                    "#188038",
                    Face::Smile,
                    l("Зразково", "Образцово", "Үлгілі", "عالی", "Exemplary"),
                ),
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fall_back_to_english() {
        let labels = Labels::parse_json(r#"{"en":"Good","uk":"Добре"}"#).unwrap();
        assert_eq!(labels.get(Lang::Uk), "Добре");
        assert_eq!(labels.get(Lang::Fa), "Good");
    }

    #[test]
    fn scale_with_duplicate_values_is_refused() {
        let lv = |v| Level::new(v, "#000000", Face::None, Labels::default());
        assert!(Scale::new(vec![lv(1), lv(1)]).is_none());
        assert!(Scale::new(vec![]).is_none());
        let s = Scale::new(vec![lv(3), lv(1), lv(2)]).unwrap();
        assert_eq!((s.min(), s.max()), (1, 3));
    }

    #[test]
    fn a_colour_that_is_not_hex_renders_grey() {
        let l = Level::new(1, "red;background:url(x)", Face::None, Labels::default());
        assert_eq!(l.colour, "#767676");
    }
}
