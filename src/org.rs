//! The organisation: units (a tree), employees, and the service points a code can name.

use serde::Serialize;
use std::fmt;

/// Database ids cross into JavaScript as numbers (D1 refuses BigInt), so they stay below 2^31
/// and are bound as `f64`. Zero and negatives never name a row.
macro_rules! id_type {
    ($name:ident) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(u32);

        impl $name {
            pub fn parse(n: i64) -> Option<$name> {
                (1..=i64::from(i32::MAX))
                    .contains(&n)
                    .then(|| $name(n as u32))
            }

            pub fn parse_str(s: &str) -> Option<$name> {
                // Only plain decimal digits: "+5", " 5", "0x5" and "5.0" are not ids.
                if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                s.parse::<i64>().ok().and_then($name::parse)
            }

            pub fn get(self) -> u32 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(EmployeeId);
id_type!(UnitId);
id_type!(DirectionId);

/// Where a code is placed: 0 unspecified, then desk, written reply, service-centre window.
/// Values up to 255 are allowed so an instance can name its own service points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(transparent)]
pub struct Channel(u8);

impl Channel {
    pub const UNSPECIFIED: Channel = Channel(0);
    pub const DESK: Channel = Channel(1);
    pub const WRITTEN_REPLY: Channel = Channel(2);
    pub const SERVICE_WINDOW: Channel = Channel(3);
    /// Codes behind a unit's feedback form on the municipality's website (`/f/{unit}`).
    pub const WEBSITE: Channel = Channel(4);

    pub fn new(n: u8) -> Channel {
        Channel(n)
    }

    pub fn parse(n: i64) -> Option<Channel> {
        u8::try_from(n).ok().map(Channel)
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Whether a vote through this channel is cast at the office, so that the unit's opening
    /// hours apply to it: a code on a written reply is scanned at home, and the website form
    /// is used from anywhere, at any hour.
    pub fn at_the_office(self) -> bool {
        self != Channel::WRITTEN_REPLY && self != Channel::WEBSITE
    }
}

/// A person's or unit's name, position, or similar short text: trimmed, 1..=200 characters,
/// no control characters. Stored as given and escaped wherever it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Name(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters")]
    ControlCharacter,
}

impl Name {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(s: &str) -> Result<Name, NameError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(NameError::TooLong(Self::MAX_CHARS));
        }
        if s.chars().any(char::is_control) {
            return Err(NameError::ControlCharacter);
        }
        Ok(Name(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Weekly opening hours: `{"mon": [["08:00", "17:00"]], ...}`, at most 4 intervals a day,
/// each opening before it closes; days left out are closed. Returns the canonical JSON.
pub fn parse_opening_hours(v: &serde_json::Value) -> Result<String, String> {
    let minutes = |t: &serde_json::Value| -> Option<u32> {
        let t = t.as_str()?;
        let (h, m) = t.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
    };
    let days = v
        .as_object()
        .ok_or("must be an object of weekdays (mon … sun)")?;
    let mut out = serde_json::Map::new();
    for (day, intervals) in days {
        if !WEEKDAYS.contains(&day.as_str()) {
            return Err(format!("`{day}` is not a weekday (mon … sun)"));
        }
        let list = intervals
            .as_array()
            .filter(|l| l.len() <= 4)
            .ok_or_else(|| {
                format!("`{day}` must list at most 4 [\"HH:MM\", \"HH:MM\"] intervals")
            })?;
        let mut kept = Vec::new();
        for pair in list {
            let (from, to) = match pair.as_array().map(Vec::as_slice) {
                Some([a, b]) => (minutes(a), minutes(b)),
                _ => (None, None),
            };
            match (from, to) {
                (Some(f), Some(t)) if f < t => kept.push(pair.clone()),
                _ => {
                    return Err(format!(
                        "`{day}`: each interval is [\"HH:MM\", \"HH:MM\"], opening before closing"
                    ))
                }
            }
        }
        out.insert(day.clone(), serde_json::Value::Array(kept));
    }
    Ok(serde_json::Value::Object(out).to_string())
}

/// A unit's weekly opening hours, read back from the canonical JSON that
/// [`parse_opening_hours`] stored: minutes since local midnight, per weekday from Monday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    week: [Vec<(u32, u32)>; 7],
}

impl OpeningHours {
    /// `None` when the unit declares no hours (`{}`) or the stored text is not what
    /// `parse_opening_hours` writes: no hours means no check, never "always closed".
    pub fn from_stored(json: &str) -> Option<OpeningHours> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        let days = v.as_object().filter(|d| !d.is_empty())?;
        let minutes = |t: &serde_json::Value| -> Option<u32> {
            let (h, m) = t.as_str()?.split_once(':')?;
            Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?)
        };
        let mut week: [Vec<(u32, u32)>; 7] = Default::default();
        for (day, intervals) in days {
            let i = WEEKDAYS.iter().position(|d| d == day)?;
            let slot = week.get_mut(i)?;
            for pair in intervals.as_array()? {
                match pair.as_array().map(Vec::as_slice) {
                    Some([a, b]) => slot.push((minutes(a)?, minutes(b)?)),
                    _ => return None,
                }
            }
        }
        Some(OpeningHours { week })
    }

    /// Open at `minute` (0..1440) of `weekday` (0 = Monday), local time.
    pub fn is_open(&self, weekday: usize, minute: u32) -> bool {
        self.week
            .get(weekday)
            .is_some_and(|day| day.iter().any(|(from, to)| (*from..*to).contains(&minute)))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_opening_hours_read_back_as_minutes_per_weekday() {
        let stored = parse_opening_hours(&serde_json::json!({
            "mon": [["08:00", "12:00"], ["13:00", "17:30"]],
            "sat": [["09:00", "24:00"]]
        }))
        .unwrap();
        let hours = OpeningHours::from_stored(&stored).unwrap();
        assert!(hours.is_open(0, 8 * 60));
        assert!(!hours.is_open(0, 12 * 60), "closing time is closed");
        assert!(hours.is_open(0, 17 * 60 + 29));
        assert!(!hours.is_open(1, 10 * 60), "a day left out is closed");
        assert!(hours.is_open(5, 23 * 60 + 59));
        assert_eq!(OpeningHours::from_stored("{}"), None, "no hours, no check");
        assert_eq!(OpeningHours::from_stored("not json"), None);
    }

    #[test]
    fn opening_hours_need_weekdays_and_ordered_times() {
        let ok = serde_json::json!({"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "sat": []});
        assert!(parse_opening_hours(&ok).is_ok());
        for bad in [
            serde_json::json!([]),
            serde_json::json!({"monday": []}),
            serde_json::json!({"mon": [["17:00", "08:00"]]}),
            serde_json::json!({"mon": [["8:00", "17:00"]]}),
            serde_json::json!({"mon": [["08:00", "25:00"]]}),
            serde_json::json!({"mon": [["08:00"]]}),
        ] {
            assert!(parse_opening_hours(&bad).is_err(), "{bad}");
        }
    }

    use super::*;

    #[test]
    fn ids_refuse_zero_negative_and_huge() {
        assert!(EmployeeId::parse(0).is_none());
        assert!(EmployeeId::parse(-1).is_none());
        assert!(EmployeeId::parse(1 << 31).is_none());
        assert_eq!(EmployeeId::parse(7).map(EmployeeId::get), Some(7));
        assert!(UnitId::parse_str("+5").is_none());
        assert!(UnitId::parse_str("99999999999").is_none());
        assert_eq!(UnitId::parse_str("42").map(UnitId::get), Some(42));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(Name::parse("  Олена  ").unwrap().as_str(), "Олена");
        assert_eq!(Name::parse("   "), Err(NameError::Empty));
        assert_eq!(Name::parse(&"я".repeat(201)), Err(NameError::TooLong(200)));
        assert_eq!(Name::parse("a\u{0}b"), Err(NameError::ControlCharacter));
    }
}
