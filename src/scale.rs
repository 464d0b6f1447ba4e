//! The rating scale is instance data (rows in `scale_levels`), not code. The default, seeded
//! by the first migration, is three smileys: 1 red «Задовільно», 2 yellow «Добре», 3 green
//! «Зразково». Other scales (four words, five points) are just other rows, edited by a
//! superadmin through [`ScaleSpec::parse`].
//!
//! Extra criteria (premises, waiting time, information) are rated on the same scale but apart
//! from the employee, so that a crowded hall does not count against the person who served.

use crate::i18n::Lang;
use serde::{Deserialize, Serialize};
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
    pub fn code(self) -> &'static str {
        match self {
            Face::Frown => "frown",
            Face::Flat => "flat",
            Face::Smile => "smile",
            Face::Grin => "grin",
            Face::None => "",
        }
    }

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
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    pub fn parse_json(json: &str) -> Result<Labels, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// Labels as an admin sends them: known language codes only, each 1–40 characters after
    /// trimming, and one at least in `required` or English (the fallbacks of [`Labels::get`]).
    pub fn parse_map(raw: &BTreeMap<String, String>, required: Lang) -> Result<Labels, String> {
        let mut out = BTreeMap::new();
        for (code, text) in raw {
            let lang = Lang::parse(code)
                .filter(|l| l.code() == code)
                .ok_or_else(|| format!("`{code}` is not one of uk, ru, kk, fa, en"))?;
            let text = text.trim();
            let chars = text.chars().count();
            if chars == 0 || chars > 40 || text.chars().any(char::is_control) {
                return Err(format!("the {code} label must be 1 to 40 characters"));
            }
            out.insert(lang.code().to_owned(), text.to_owned());
        }
        if !out.contains_key(required.code()) && !out.contains_key("en") {
            return Err(format!("a label in {} or en is required", required.code()));
        }
        Ok(Labels(out))
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

/// An ordered, non-empty scale, lowest level first, with the active extra criteria.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scale {
    levels: Vec<Level>,
    criteria: Vec<Criterion>,
}

/// A criterion rated apart from the employee, on the same levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Criterion {
    pub id: i64,
    pub code: String,
    pub labels: Labels,
    pub position: i64,
    pub active: bool,
}

/// `[a-z0-9_]{1,32}`: the criterion's name in the JSON API and in the vote form (`c.CODE`).
pub fn parse_criterion_code(s: &str) -> Result<String, String> {
    let ok = (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err("must be 1 to 32 of a-z, 0-9 and _".into())
    }
}

/// One level as a superadmin sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSpec {
    pub value: i64,
    pub colour: String,
    #[serde(default)]
    pub face: String,
    pub labels: BTreeMap<String, String>,
}

/// A whole new scale, checked: 2 to 10 levels, distinct values 0–100, `#rrggbb` colours, a
/// known face or none, labels as [`Labels::parse_map`] wants them.
pub struct ScaleSpec;

impl ScaleSpec {
    pub fn parse(levels: &[LevelSpec], default_lang: Lang) -> Result<Vec<Level>, String> {
        if !(2..=10).contains(&levels.len()) {
            return Err("a scale has 2 to 10 levels".into());
        }
        let mut out: Vec<Level> = Vec::with_capacity(levels.len());
        for l in levels {
            let value = u8::try_from(l.value)
                .ok()
                .filter(|v| *v <= 100)
                .ok_or_else(|| format!("level value {} is not 0 to 100", l.value))?;
            if out.iter().any(|o| o.value == value) {
                return Err(format!("level value {value} appears twice"));
            }
            if !is_hex_colour(&l.colour) {
                return Err(format!("level {value}: the colour must be #rrggbb"));
            }
            let face = Face::parse(&l.face);
            if face == Face::None && !l.face.is_empty() {
                return Err(format!(
                    "level {value}: the face must be frown, flat, smile, grin or empty"
                ));
            }
            let labels = Labels::parse_map(&l.labels, default_lang)
                .map_err(|e| format!("level {value}: {e}"))?;
            out.push(Level::new(value, &l.colour, face, labels));
        }
        out.sort_by_key(|l| l.value);
        Ok(out)
    }
}

impl Scale {
    /// Sorts by value; `None` when empty or when two levels share a value.
    pub fn new(mut levels: Vec<Level>) -> Option<Scale> {
        levels.sort_by_key(|l| l.value);
        let distinct = levels
            .windows(2)
            .all(|w| w.first().map(|a| a.value) != w.get(1).map(|b| b.value));
        (!levels.is_empty() && distinct).then_some(Scale {
            levels,
            criteria: Vec::new(),
        })
    }

    /// The same scale with these criteria; only the active ones are kept, by position.
    pub fn with_criteria(mut self, mut criteria: Vec<Criterion>) -> Scale {
        criteria.retain(|c| c.active);
        criteria.sort_by_key(|c| (c.position, c.id));
        self.criteria = criteria;
        self
    }

    /// Active criteria, in the order the vote page shows them.
    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    pub fn criterion(&self, code: &str) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.code == code)
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
            criteria: Vec::new(),
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

    fn spec(value: i64, colour: &str, face: &str, labels: &[(&str, &str)]) -> LevelSpec {
        LevelSpec {
            value,
            colour: colour.into(),
            face: face.into(),
            labels: labels
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    #[test]
    fn a_four_word_scale_is_accepted_and_sorted() {
        let levels = ScaleSpec::parse(
            &[
                spec(4, "#188038", "grin", &[("uk", "Відмінно")]),
                spec(1, "#d93025", "frown", &[("uk", "Погано"), ("en", "Poor")]),
                spec(2, "#f9ab00", "flat", &[("uk", "Задовільно")]),
                spec(3, "#7cb342", "smile", &[("uk", " Добре ")]),
            ],
            Lang::Uk,
        )
        .unwrap();
        assert_eq!(
            levels.iter().map(|l| l.value).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert_eq!(levels[2].labels.get(Lang::Uk), "Добре");
    }

    #[test]
    fn bad_scales_are_refused_with_a_reason() {
        let ok = |v| spec(v, "#000000", "", &[("en", "x")]);
        let cases = [
            (vec![ok(1)], "2 to 10"),
            ((0..11).map(ok).collect(), "2 to 10"),
            (vec![ok(1), ok(1)], "twice"),
            (vec![ok(1), ok(101)], "0 to 100"),
            (vec![ok(1), ok(-1)], "0 to 100"),
            (vec![ok(1), spec(2, "red", "", &[("en", "x")])], "#rrggbb"),
            (
                vec![ok(1), spec(2, "#000000", "wink", &[("en", "x")])],
                "face",
            ),
            (vec![ok(1), spec(2, "#000000", "", &[("de", "x")])], "`de`"),
            (
                vec![ok(1), spec(2, "#000000", "", &[("ru", "x")])],
                "uk or en",
            ),
            (
                vec![ok(1), spec(2, "#000000", "", &[("en", "  ")])],
                "1 to 40",
            ),
            (
                vec![ok(1), spec(2, "#000000", "", &[("en", &"я".repeat(41))])],
                "1 to 40",
            ),
        ];
        for (levels, why) in cases {
            let err = ScaleSpec::parse(&levels, Lang::Uk).unwrap_err();
            assert!(err.contains(why), "{err} should say {why}");
        }
    }

    #[test]
    fn criterion_codes_are_plain() {
        assert!(parse_criterion_code("waiting_time").is_ok());
        for bad in ["", "Waiting", "час", "a-b", &"a".repeat(33)] {
            assert!(parse_criterion_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_active_criteria_are_shown_by_position() {
        let c = |id, position, active| Criterion {
            id,
            code: format!("c{id}"),
            labels: Labels::default(),
            position,
            active,
        };
        let s = Scale::default_three().with_criteria(vec![
            c(1, 2, true),
            c(2, 1, true),
            c(3, 0, false),
        ]);
        assert_eq!(
            s.criteria().iter().map(|c| c.id).collect::<Vec<_>>(),
            [2, 1]
        );
        assert!(s.criterion("c3").is_none());
    }

    #[test]
    fn a_colour_that_is_not_hex_renders_grey() {
        let l = Level::new(1, "red;background:url(x)", Face::None, Labels::default());
        assert_eq!(l.colour, "#767676");
    }
}
