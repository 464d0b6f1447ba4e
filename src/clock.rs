//! Time is passed in, never read here: `SystemTime::now()` does not exist on
//! wasm32-unknown-unknown, and tests want to choose the moment.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// A moment, in whole seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_unix_seconds(s: i64) -> Timestamp {
        Timestamp(s)
    }

    pub fn from_unix_millis(ms: u64) -> Timestamp {
        Timestamp(i64::try_from(ms / 1000).unwrap_or(i64::MAX))
    }

    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// The UTC calendar day, `YYYY-MM-DD`.
    pub fn utc_day(self) -> String {
        DateTime::<Utc>::from_timestamp(self.0, 0)
            .map(|t| iso_day(t.date_naive()))
            .unwrap_or_default()
    }
}

/// `YYYY-MM-DD`. Written by hand, like [`parse_iso_day`]: chrono's strftime and format
/// parser are about 20 KB of WASM for this one pattern.
pub fn iso_day(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Exactly `YYYY-MM-DD` (ASCII digits, a real calendar day); anything else is `None`.
pub fn parse_iso_day(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(range)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5..7)?, number(8..10)?)
}

/// An inclusive range of UTC days, as reports ask for them (`from=YYYY-MM-DD&to=YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DayRangeError {
    #[error("`{0}` must be a date written YYYY-MM-DD")]
    BadDate(&'static str),
    #[error("`from` must not be after `to`")]
    Reversed,
    #[error("the range must not exceed 3660 days")]
    TooLong,
}

impl DayRange {
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> Result<DayRange, DayRangeError> {
        let day = |s: Option<&str>, name: &'static str, default: NaiveDate| match s {
            None => Ok(default),
            Some(s) => parse_iso_day(s).ok_or(DayRangeError::BadDate(name)),
        };
        let to = day(to, "to", today)?;
        let from = day(from, "from", to)?;
        if from > to {
            return Err(DayRangeError::Reversed);
        }
        if (to - from).num_days() > 3660 {
            return Err(DayRangeError::TooLong);
        }
        Ok(DayRange { from, to })
    }

    /// `[start, end)` in unix seconds: from the start of `from` to the start of the day after `to`.
    pub fn unix_bounds(self) -> (i64, i64) {
        let start = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .map_or(0, |t| t.and_utc().timestamp())
        };
        (start(self.from), start(self.to) + 86_400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_day_range_covers_whole_days() {
        let r = DayRange::parse(Some("2026-01-01"), Some("2026-01-01"), d("2026-11-22")).unwrap();
        assert_eq!(r.unix_bounds(), (1_767_225_600, 1_767_225_600 + 86_400));
    }

    #[test]
    fn bad_or_reversed_dates_are_refused() {
        let today = d("2026-11-22");
        assert_eq!(
            DayRange::parse(Some("2026-13-01"), None, today),
            Err(DayRangeError::BadDate("from"))
        );
        assert_eq!(
            DayRange::parse(Some("2026-1-1"), None, today),
            Err(DayRangeError::BadDate("from"))
        );
        assert_eq!(
            DayRange::parse(Some("2026-02-01"), Some("2026-01-01"), today),
            Err(DayRangeError::Reversed)
        );
        assert_eq!(
            DayRange::parse(Some("1990-01-01"), None, today),
            Err(DayRangeError::TooLong)
        );
        assert_eq!(
            DayRange::parse(None, None, today),
            Ok(DayRange {
                from: today,
                to: today
            })
        );
    }

    #[test]
    fn iso_days_are_strict() {
        for bad in [
            "2026-02-30",
            "2026-1-01",
            "+026-01-01",
            "2026-01-0١",
            "2026/01/01",
            "",
            "2026-01-01 ",
        ] {
            assert_eq!(parse_iso_day(bad), None, "{bad:?}");
        }
        assert_eq!(parse_iso_day("2024-02-29"), Some(d("2024-02-29")));
    }

    proptest::proptest! {
        /// The hand-written parser and formatter agree with chrono's `%Y-%m-%d`.
        #[test]
        fn iso_day_agrees_with_chrono(days in 0i64..200_000, noise in "[0-9-]{10}") {
            let day = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(days);
            let text = day.format("%Y-%m-%d").to_string();
            proptest::prop_assert_eq!(iso_day(day), text.clone());
            proptest::prop_assert_eq!(parse_iso_day(&text), Some(day));
            proptest::prop_assert_eq!(
                parse_iso_day(&noise),
                NaiveDate::parse_from_str(&noise, "%Y-%m-%d").ok().filter(|_| noise.len() == 10 && noise.as_bytes()[4] == b'-' && noise.as_bytes()[7] == b'-' && !noise[..4].contains('-') && !noise[5..7].contains('-') && !noise[8..].contains('-'))
            );
        }
    }

    #[test]
    fn utc_day_is_formatted() {
        assert_eq!(
            Timestamp::from_unix_seconds(1_767_225_600).utc_day(),
            "2026-01-01"
        );
    }
}
