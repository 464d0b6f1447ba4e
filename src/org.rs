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

    pub fn new(n: u8) -> Channel {
        Channel(n)
    }

    pub fn parse(n: i64) -> Option<Channel> {
        u8::try_from(n).ok().map(Channel)
    }

    pub fn get(self) -> u8 {
        self.0
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

#[cfg(test)]
mod tests {
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
