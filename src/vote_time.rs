//! How precisely a vote's moment is shown and kept. The employee knows who stood at the desk
//! at 10:05; a manager who sees "10:05" beside a comment can name its author. So managers see
//! an anonymous vote by local day and part of day (night, morning, afternoon, evening), and
//! the exact moment only when the citizen left a contact (they asked to be answered). In
//! storage, the hourly cron floors a vote's time to its half hour once screening no longer
//! needs it ([`coarsen_before`]); docs/privacy.md says why half an hour.

use crate::integrity::LocalTime;
use serde::{Deserialize, Serialize};

/// Stored times are floored to this once screened. Every zone whose offset from UTC is a whole
/// or half hour (Tehran +3:30, India +5:30, all of Europe and Central Asia) keeps each vote on
/// its local day and part of day; a floor to the whole hour would move a Tehran vote cast at
/// 00:10 local to the day before. Zones at a quarter hour (Nepal +5:45, Chatham +12:45) may see
/// a vote cast within 15 minutes after a part of day begins shown in the part before.
pub const BUCKET_SECONDS: i64 = 1800;

/// Screening reads the exact times of a step's votes and of the hour before its first one
/// (`integrity::screen`); a step runs every hour. Two hours after the newest screened vote's
/// hour, no step will read it again.
pub const SCREENING_CONTEXT_SECONDS: i64 = 2 * 3600;

/// A quarter of the local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PartOfDay {
    /// 00:00–05:59
    Night,
    /// 06:00–11:59
    Morning,
    /// 12:00–17:59
    Afternoon,
    /// 18:00–23:59
    Evening,
}

impl PartOfDay {
    fn of_minute(minute: u32) -> PartOfDay {
        match minute / 360 {
            0 => PartOfDay::Night,
            1 => PartOfDay::Morning,
            2 => PartOfDay::Afternoon,
            _ => PartOfDay::Evening,
        }
    }

    fn first_minute(self) -> i64 {
        match self {
            PartOfDay::Night => 0,
            PartOfDay::Morning => 360,
            PartOfDay::Afternoon => 720,
            PartOfDay::Evening => 1080,
        }
    }
}

/// An anonymous vote's moment as a manager sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coarse {
    /// The start of its part of the local day (unix seconds).
    pub at: i64,
    /// Its local day, `YYYY-MM-DD`.
    pub day: String,
    pub part: PartOfDay,
    /// The start of its local day (unix seconds).
    pub day_start: i64,
}

/// Minutes east of UTC at `unix` in `zone`, from the local minute of the day; UTC for a zone
/// the runtime does not know (as screening treats it).
pub(crate) fn offset_minutes(unix: i64, zone: &str, clock: &impl LocalTime) -> i64 {
    let Some((_, local)) = clock.weekday_minute(zone, unix) else {
        return 0;
    };
    let utc = unix.rem_euclid(86_400) / 60;
    let mut diff = i64::from(local) - utc;
    // Offsets run from -12:00 to +14:00; a difference outside that crossed midnight.
    if diff > 14 * 60 {
        diff -= 1440;
    } else if diff < -12 * 60 {
        diff += 1440;
    }
    diff
}

/// `at` by local day and part of day in `zone`.
pub fn coarse(at: i64, zone: &str, clock: &impl LocalTime) -> Coarse {
    let offset = offset_minutes(at, zone, clock) * 60;
    let local = at + offset;
    let midnight_local = local - local.rem_euclid(86_400);
    let minute = u32::try_from(local.rem_euclid(86_400) / 60).unwrap_or(0);
    let part = PartOfDay::of_minute(minute);
    Coarse {
        at: midnight_local + part.first_minute() * 60 - offset,
        day: crate::clock::Timestamp::from_unix_seconds(midnight_local).utc_day(),
        part,
        day_start: midnight_local - offset,
    }
}

/// Votes older than this (unix seconds) may have their times floored, given the moment `now`
/// and the moment of the oldest vote not yet screened (if any). Screening reads the hour before
/// the oldest unscreened vote, and re-decides a network's whole UTC day (its keyed hash only
/// matches within that day: `integrity`, shared addresses), so a vote is floored only once its
/// UTC day is over and screening is past it.
pub fn coarsen_before(now: i64, oldest_unscreened: Option<i64>) -> i64 {
    let screened = oldest_unscreened.unwrap_or(now) - SCREENING_CONTEXT_SECONDS;
    screened
        .min(now - SCREENING_CONTEXT_SECONDS)
        .min(now - now.rem_euclid(86_400))
}

/// `at` floored to its half hour.
pub fn floor_to_bucket(at: i64) -> i64 {
    at - at.rem_euclid(BUCKET_SECONDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::FixedOffsets;
    use proptest::prelude::*;

    fn zones() -> FixedOffsets {
        FixedOffsets(
            [
                ("Asia/Tehran".to_owned(), 210),
                ("America/Lima".to_owned(), -300),
            ]
            .into_iter()
            .collect(),
        )
    }

    // 2026-12-04 00:00:00 UTC.
    const DAY: i64 = 1_796_342_400;

    #[test]
    fn an_anonymous_vote_is_shown_by_its_local_day_and_part_of_day() {
        // 10:05:21 UTC is 13:35 in Tehran: the afternoon, which began at 08:30 UTC.
        let c = coarse(DAY + 10 * 3600 + 5 * 60 + 21, "Asia/Tehran", &zones());
        assert_eq!(c.part, PartOfDay::Afternoon);
        assert_eq!(c.day, "2026-12-04");
        assert_eq!(c.at, DAY + 8 * 3600 + 30 * 60);
        assert_eq!(c.day_start, DAY - 3 * 3600 - 30 * 60);
        // 21:00 UTC is 00:30 of the next day in Tehran.
        let c = coarse(DAY + 21 * 3600, "Asia/Tehran", &zones());
        assert_eq!((c.day.as_str(), c.part), ("2026-12-05", PartOfDay::Night));
        // 02:00 UTC is 21:00 of the day before in Lima.
        let c = coarse(DAY + 2 * 3600, "America/Lima", &zones());
        assert_eq!((c.day.as_str(), c.part), ("2026-12-03", PartOfDay::Evening));
        // An unknown zone reads as UTC.
        let c = coarse(DAY + 7 * 3600, "Mars/Olympus", &zones());
        assert_eq!(
            (c.day.as_str(), c.part, c.at),
            ("2026-12-04", PartOfDay::Morning, DAY + 6 * 3600)
        );
    }

    #[test]
    fn a_half_hour_floor_keeps_tehrans_local_day_and_a_whole_hour_would_not() {
        // 00:10 local in Tehran is 20:40 UTC the day before.
        let at = DAY + 20 * 3600 + 40 * 60;
        let exact = coarse(at, "Asia/Tehran", &zones());
        assert_eq!(coarse(floor_to_bucket(at), "Asia/Tehran", &zones()), exact);
        let hour = at - at.rem_euclid(3600);
        assert_ne!(coarse(hour, "Asia/Tehran", &zones()).day, exact.day);
    }

    #[test]
    fn times_are_floored_only_once_screening_and_their_day_are_done_with_them() {
        let now = DAY + 15 * 3600;
        // Nothing waiting to be screened: only earlier UTC days.
        assert_eq!(coarsen_before(now, None), DAY);
        // Just after midnight screening's context still reaches into yesterday.
        assert_eq!(
            coarsen_before(DAY + 600, None),
            DAY + 600 - SCREENING_CONTEXT_SECONDS
        );
        // A vote of yesterday 22:00 still unscreened: its context before it stays exact.
        assert_eq!(
            coarsen_before(DAY + 600, Some(DAY - 2 * 3600)),
            DAY - 2 * 3600 - SCREENING_CONTEXT_SECONDS
        );
    }

    proptest! {
        #[test]
        fn the_shown_part_contains_the_vote_and_lies_in_its_local_day(at in 0i64..4_000_000_000, zone in 0usize..3) {
            let zone = ["UTC", "Asia/Tehran", "America/Lima"][zone];
            let c = coarse(at, zone, &zones());
            prop_assert!(c.day_start <= c.at && c.at <= at && at < c.at + 6 * 3600);
            prop_assert!(at < c.day_start + 86_400);
            prop_assert_eq!(coarse(floor_to_bucket(at), zone, &zones()), c);
        }
    }
}
