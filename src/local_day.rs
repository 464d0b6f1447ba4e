//! Local days: results count a vote on the day and in the month of its unit's own time zone,
//! so that an evening vote in Almaty or an after-midnight one in Tehran lands on the day the
//! office lived it. Each vote keeps its UTC offset at the moment it was cast (`votes.
//! local_offset`, minutes east of UTC, migration 0022). The roll-up step sets it from the
//! runtime's `Intl` (the tz database is not in the WASM) and every roll-up groups by
//! `date(created_at + local_offset * 60)`. A stored offset does not move when a unit changes
//! its zone later, and the hourly half-hour floor of vote times (`vote_time`) never moves a
//! vote across a local midnight in a whole- or half-hour zone.

use crate::integrity::LocalTime;
use serde::Serialize;

/// The zones the admin page offers and the API accepts: those a city in the service's
/// countries (and its neighbours) would use. All of them are at or east of UTC, so every unit's
/// month is over when the monthly close runs (00:30 UTC on the 1st).
pub const ZONES: &[&str] = &[
    "UTC",
    "Europe/Kyiv",
    "Europe/Warsaw",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Vilnius",
    "Europe/Riga",
    "Europe/Tallinn",
    "Europe/Chisinau",
    "Europe/Bucharest",
    "Europe/Istanbul",
    "Europe/Minsk",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Tbilisi",
    "Asia/Yerevan",
    "Asia/Baku",
    "Asia/Tehran",
    "Asia/Dubai",
    "Asia/Kabul",
    "Asia/Aqtau",
    "Asia/Aqtobe",
    "Asia/Atyrau",
    "Asia/Oral",
    "Asia/Qyzylorda",
    "Asia/Qostanay",
    "Asia/Almaty",
    "Asia/Tashkent",
    "Asia/Samarkand",
    "Asia/Dushanbe",
    "Asia/Ashgabat",
    "Asia/Bishkek",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
];

/// A zone from the list, or why not.
pub fn parse_zone(s: &str) -> Result<&'static str, String> {
    let s = s.trim();
    ZONES.iter().copied().find(|z| *z == s).ok_or_else(|| {
        format!(
            "must be one of the time zones offered ({}), not {s:?}",
            ZONES.join(", ")
        )
    })
}

/// How far a local day reaches beyond its UTC day: offsets run from -12:00 to +14:00. A local
/// day `d` holds only moments in `[d 00:00 UTC - EAST, d+1 00:00 UTC + WEST)`.
pub const EAST_SECONDS: i64 = 14 * 3600;
pub const WEST_SECONDS: i64 = 12 * 3600;

/// One zone's offset over `[start, end)` (unix seconds), minutes east of UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span {
    pub start: i64,
    pub end: i64,
    pub offset: i64,
}

/// Offsets are sampled this often and a change between two samples is looked for to the
/// hour (zones change on whole hours; `IntlZones` keeps one offset per zone and hour). No zone
/// changes twice within six hours, and sampling keeps a year's spans to ~1,500 lookups a zone.
const SAMPLE_SECONDS: i64 = 6 * 3600;

/// `zone`'s offsets over `[from, to)` as few spans as it takes; one UTC span for a zone the
/// runtime does not know (as `vote_time` shows it).
pub fn spans(zone: &str, from: i64, to: i64, clock: &impl LocalTime) -> Vec<Span> {
    if from >= to {
        return Vec::new();
    }
    let offset = |at: i64| crate::vote_time::offset_minutes(at, zone, clock);
    let hour = |at: i64| at - at.rem_euclid(3600);
    let mut out = Vec::new();
    let (mut start, mut current) = (from, offset(from));
    let mut a = from;
    while a < to - 1 {
        let b = (a + SAMPLE_SECONDS).min(to - 1);
        if offset(b) != current {
            // The change lies in (a, b]: halve the hours between them until it is found.
            let (mut lo, mut hi) = (hour(a), hour(b));
            while hi - lo > 3600 {
                let mid = lo + (hi - lo) / 7200 * 3600;
                if offset(mid) == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let change = hi.max(start + 1);
            out.push(Span {
                start,
                end: change,
                offset: current,
            });
            start = change;
            current = offset(change);
        }
        a = b;
    }
    out.push(Span {
        start,
        end: to,
        offset: current,
    });
    out
}

/// The offsets a statement sets (`sql::SET_STEP_OFFSETS`), as JSON `[zone, start, end,
/// offset]` spans, for votes of each `(zone, first, last)` cast from `first` to `last`
/// inclusive. Spans at UTC are left out: a vote without one reads as UTC.
pub fn offsets_json<'a>(
    ranges: impl IntoIterator<Item = (&'a str, i64, i64)>,
    clock: &impl LocalTime,
) -> String {
    let mut out: Vec<(&str, i64, i64, i64)> = Vec::new();
    for (zone, first, last) in ranges {
        for s in spans(zone, first, last.saturating_add(1), clock) {
            if s.offset != 0 {
                out.push((zone, s.start, s.end, s.offset));
            }
        }
    }
    serde_json::to_string(&out).unwrap_or_else(|_| "[]".into())
}

/// The local day (`YYYY-MM-DD`) of `at` at `offset` minutes east of UTC.
pub fn local_day(at: i64, offset: i64) -> String {
    crate::clock::Timestamp::from_unix_seconds(at + offset * 60).utc_day()
}

/// The local month (`YYYY-MM`).
pub fn local_month(at: i64, offset: i64) -> String {
    let mut day = local_day(at, offset);
    day.truncate(7);
    day
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::FixedOffsets;

    /// Europe/Kyiv with the EU's rules: +2, and +3 from 01:00 UTC on the last Sunday of March
    /// to 01:00 UTC on the last Sunday of October.
    struct Kyiv;

    fn last_sunday_0100(year: i32, month: u32) -> i64 {
        use chrono::{Datelike, NaiveDate};
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }
        .unwrap_or_default();
        let last = next.pred_opt().unwrap_or_default();
        let back = i64::from(last.weekday().num_days_from_sunday());
        let sunday = last - chrono::Duration::days(back);
        sunday
            .and_hms_opt(1, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp())
    }

    impl LocalTime for Kyiv {
        fn weekday_minute(&self, zone: &str, unix: i64) -> Option<(usize, u32)> {
            let year = crate::clock::Timestamp::from_unix_seconds(unix).utc_day()[..4]
                .parse::<i32>()
                .ok()?;
            let summer = zone == "Europe/Kyiv"
                && unix >= last_sunday_0100(year, 3)
                && unix < last_sunday_0100(year, 10);
            let offset = match zone {
                "Europe/Kyiv" if summer => 180,
                "Europe/Kyiv" => 120,
                "Asia/Tehran" => 210,
                "UTC" => 0,
                _ => return None,
            };
            FixedOffsets(
                [(zone.to_owned(), offset)]
                    .into_iter()
                    .collect::<std::collections::HashMap<_, _>>(),
            )
            .weekday_minute(zone, unix)
        }
    }

    fn at(s: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .map(|t| t.and_utc().timestamp())
            .unwrap_or_default()
    }

    fn day_in(zone: &str, utc: &str) -> String {
        let t = at(utc);
        let span = spans(zone, t, t + 1, &Kyiv);
        local_day(t, span.first().map_or(0, |s| s.offset))
    }

    #[test]
    fn a_vote_at_21_utc_on_the_31st_is_the_next_months_first_in_tehran() {
        assert_eq!(day_in("Asia/Tehran", "2026-03-31 21:00"), "2026-04-01");
        assert_eq!(local_month(at("2026-03-31 21:00"), 210), "2026-04");
        // 20:29 UTC is 23:59 in Tehran: still March.
        assert_eq!(day_in("Asia/Tehran", "2026-03-31 20:29"), "2026-03-31");
        assert_eq!(day_in("UTC", "2026-03-31 21:00"), "2026-03-31");
    }

    #[test]
    fn kyiv_local_midnight_moves_with_summer_time() {
        // Winter: local midnight is 22:00 UTC; summer: 21:00 UTC.
        assert_eq!(day_in("Europe/Kyiv", "2026-01-14 21:30"), "2026-01-14");
        assert_eq!(day_in("Europe/Kyiv", "2026-01-14 22:00"), "2026-01-15");
        assert_eq!(day_in("Europe/Kyiv", "2026-07-14 21:00"), "2026-07-15");
        assert_eq!(day_in("Europe/Kyiv", "2026-07-14 20:59"), "2026-07-14");
        // The night of the October change (Sunday 25th, 04:00 local becomes 03:00): 21:30 UTC
        // on the 24th is 00:30 summer time, the 25th; 22:30 UTC on the 25th is 00:30 winter
        // time, the 26th.
        assert_eq!(day_in("Europe/Kyiv", "2026-10-24 21:30"), "2026-10-25");
        assert_eq!(day_in("Europe/Kyiv", "2026-10-25 21:30"), "2026-10-25");
        assert_eq!(day_in("Europe/Kyiv", "2026-10-25 22:30"), "2026-10-26");
        // March (Sunday 29th, 03:00 local becomes 04:00): 22:30 UTC on the 28th is 00:30 of the
        // 29th in winter time; 21:30 UTC on the 29th is 00:30 of the 30th in summer time.
        assert_eq!(day_in("Europe/Kyiv", "2026-03-28 22:30"), "2026-03-29");
        assert_eq!(day_in("Europe/Kyiv", "2026-03-29 21:30"), "2026-03-30");
        // A month's end in summer: 21:00 UTC on 31 May is 1 June in Kyiv.
        assert_eq!(day_in("Europe/Kyiv", "2026-05-31 21:00"), "2026-06-01");
    }

    #[test]
    fn spans_break_exactly_at_the_change_of_offset() {
        let (from, to) = (at("2026-03-01 00:00"), at("2026-11-01 00:00"));
        let s = spans("Europe/Kyiv", from, to, &Kyiv);
        assert_eq!(
            s,
            vec![
                Span {
                    start: from,
                    end: at("2026-03-29 01:00"),
                    offset: 120
                },
                Span {
                    start: at("2026-03-29 01:00"),
                    end: at("2026-10-25 01:00"),
                    offset: 180
                },
                Span {
                    start: at("2026-10-25 01:00"),
                    end: to,
                    offset: 120
                },
            ]
        );
        assert_eq!(
            spans("Asia/Tehran", from, to, &Kyiv),
            vec![Span {
                start: from,
                end: to,
                offset: 210
            }]
        );
        // Unknown zones read as UTC; an empty range has no spans.
        assert_eq!(spans("Mars/Olympus", from, to, &Kyiv)[0].offset, 0);
        assert!(spans("Europe/Kyiv", to, from, &Kyiv).is_empty());
    }

    #[test]
    fn the_whole_and_half_hour_floor_never_moves_a_vote_to_another_local_day() {
        for t in (at("2026-03-27 00:00")..at("2026-04-02 00:00")).step_by(7 * 60) {
            for zone in ["Europe/Kyiv", "Asia/Tehran"] {
                let offset = spans(zone, t, t + 1, &Kyiv)[0].offset;
                let floored = crate::vote_time::floor_to_bucket(t);
                assert_eq!(
                    local_day(floored, offset),
                    local_day(t, offset),
                    "{zone} {t}"
                );
            }
        }
    }

    #[test]
    fn offsets_are_sent_as_spans_of_each_zone_and_utc_is_left_out() {
        let (a, b) = (at("2026-10-25 00:00"), at("2026-10-25 02:00"));
        let json = offsets_json([("Europe/Kyiv", a, b), ("UTC", a, b)], &Kyiv);
        assert_eq!(
            json,
            format!(
                "[[\"Europe/Kyiv\",{a},{},180],[\"Europe/Kyiv\",{},{},120]]",
                a + 3600,
                a + 3600,
                b + 1
            )
        );
    }

    #[test]
    fn only_listed_zones_are_accepted() {
        assert_eq!(parse_zone(" Europe/Kyiv "), Ok("Europe/Kyiv"));
        assert_eq!(parse_zone("Asia/Tehran"), Ok("Asia/Tehran"));
        for bad in [
            "",
            "Kyiv",
            "Mars/Olympus",
            "europe/kyiv",
            "../../etc/passwd",
        ] {
            assert!(parse_zone(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn spans_cover_the_range_and_agree_with_the_clock(from in 1_700_000_000i64..1_900_000_000, len in 1i64..(90 * 86_400), zone in 0usize..3) {
            let zone = ["Europe/Kyiv", "Asia/Tehran", "UTC"][zone];
            let s = spans(zone, from, from + len, &Kyiv);
            proptest::prop_assert_eq!(s.first().map(|x| x.start), Some(from));
            proptest::prop_assert_eq!(s.last().map(|x| x.end), Some(from + len));
            for w in s.windows(2) {
                proptest::prop_assert_eq!(w[0].end, w[1].start);
                proptest::prop_assert_ne!(w[0].offset, w[1].offset);
            }
            for x in &s {
                for t in [x.start, x.end - 1, (x.start + x.end) / 2] {
                    proptest::prop_assert_eq!(crate::vote_time::offset_minutes(t, zone, &Kyiv), x.offset);
                }
            }
        }
    }
}
