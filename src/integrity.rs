//! Integrity rules applied to a vote as it arrives. Flagged votes are recorded but left out of
//! official results until reviewed; the citizen gets the same answer either way, so someone
//! stuffing learns nothing.

use crate::clock::Timestamp;
use crate::store::Source;
use crate::token::{KeyRing, Token};
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Nobody reads who served them, picks a level and presses Send in under this: a vote that
/// fast after the page was served is more likely the employee tapping their own code.
pub const MIN_SECONDS_ON_PAGE: i64 = 3;

const STAMP_CONTEXT: &[u8] = b"civicrate/page-stamp/v1";

/// Why a vote was flagged for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Submitted less than `MIN_SECONDS_ON_PAGE` after its page was served.
    TooFast,
    /// Part of a surge against the employee's own usual rate (see [`screen`]).
    Burst,
    /// Part of a run of votes at a machine-like steady interval.
    Cadence,
    /// Cast while the unit was closed by its declared opening hours.
    OutsideHours,
    /// Beyond what one network (address, or IPv6 /64) may plausibly give one employee in a day
    /// (see [`screen_addresses`]).
    SharedAddress,
    /// A form vote without a genuine stamp of its page: posted by a script or another site,
    /// not from the page a citizen opened.
    NoStamp,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::TooFast => "too_fast",
            Flag::Burst => "burst",
            Flag::Cadence => "cadence",
            Flag::OutsideHours => "outside_hours",
            Flag::SharedAddress => "shared_address",
            Flag::NoStamp => "no_stamp",
        }
    }
}

// Screening. The rules below look at patterns no single vote shows, so they run in the hourly
// roll-up over each step of new votes (with the hour before it as context), before the step is
// counted: a flagged vote never enters official results until an admin accepts it. They see
// only ids, employees and times: nothing about the client.

/// The window in which a surge is counted.
pub const BURST_WINDOW_SECONDS: i64 = 600;
/// Fewer votes than this in a window are never a burst, however quiet the employee usually is:
/// a busy morning at a desk that is normally empty must not be flagged.
pub const BURST_MIN_VOTES: usize = 12;
/// A window is a burst at this many times the employee's usual votes per window.
pub const BURST_FACTOR: f64 = 10.0;
/// Days of counted votes that make an employee's usual rate.
pub const BASELINE_DAYS: i64 = 28;
/// The usual rate assumes votes arrive over 8 open hours a day (48 windows of 10 minutes), so
/// that a night-long quiet does not make every busy hour look like a surge.
const WINDOWS_PER_BASELINE: f64 = BASELINE_DAYS as f64 * 48.0;
/// Votes in a row, at near-equal intervals, that make a machine-like cadence. People arrive
/// at random: seven gaps within a few seconds of each other essentially never happen by chance
/// (at one vote a minute the chance is below one in a million per run).
pub const CADENCE_RUN: usize = 8;
/// Gaps shorter than this are left to the burst rule.
pub const CADENCE_MIN_GAP: i64 = 3;
/// Gaps longer than this are not a cadence worth flagging: a script that votes less than
/// four times an hour is held back by the per-phone limits, and a steady trickle of votes an
/// hour or a day apart is what test data and imports look like.
pub const CADENCE_MAX_GAP: i64 = 900;

/// The longer window of the burst rule: a surge spread thin enough to stay under
/// [`BURST_MIN_VOTES`] per ten minutes still shows over an hour.
pub const SURGE_WINDOW_SECONDS: i64 = 3600;
/// Fewer votes than this in an hour are never a surge. Kept well above what an honest busy hour
/// gives a desk without history (a clerk serves a person every few minutes at best), and below
/// the 66 that `BURST_MIN_VOTES - 1` per ten minutes adds up to.
pub const SURGE_MIN_VOTES: usize = 40;
/// An hour is a surge at this many times the employee's usual votes per open hour (baseline
/// over [`BASELINE_DAYS`] × 8 hours). An honest busy day at three times the usual, with a
/// fifth of it in its busiest hour, is under five times the usual hour.
pub const SURGE_FACTOR: f64 = 10.0;

/// A vote as screening sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub id: i64,
    pub employee: i64,
    /// Unix seconds.
    pub at: i64,
    /// Cast while its unit was closed (false when the unit declares no opening hours).
    pub outside_hours: bool,
    /// Counted and never flagged nor reviewed. Only these may be flagged: a vote an admin
    /// already accepted is not flagged again, and repeats are left out anyway.
    pub may_flag: bool,
}

/// Votes in one window that make a burst for an employee with `baseline` counted votes in
/// the last [`BASELINE_DAYS`].
pub fn burst_threshold(baseline: i64) -> usize {
    let usual = baseline.max(0) as f64 / WINDOWS_PER_BASELINE;
    // A float to usize cast saturates; the baseline is a count of votes, far below 2^52.
    BURST_MIN_VOTES.max((usual * BURST_FACTOR).ceil() as usize)
}

/// Votes in one hour that make a surge for an employee with `baseline` counted votes in the
/// last [`BASELINE_DAYS`].
pub fn surge_threshold(baseline: i64) -> usize {
    let usual = baseline.max(0) as f64 / (BASELINE_DAYS as f64 * 8.0);
    SURGE_MIN_VOTES.max((usual * SURGE_FACTOR).ceil() as usize)
}

/// The votes to flag and why, at most one reason each (burst, then cadence, then hours).
/// `votes` are the step's votes with their context (repeats left out); `baselines` holds each
/// employee's counted votes over the last [`BASELINE_DAYS`] (absent = none).
pub fn screen(votes: &[Seen], baselines: &HashMap<i64, i64>) -> Vec<(i64, Flag)> {
    let mut by_employee: BTreeMap<i64, Vec<&Seen>> = BTreeMap::new();
    for v in votes {
        by_employee.entry(v.employee).or_default().push(v);
    }
    let mut flags: BTreeMap<i64, Flag> = BTreeMap::new();
    for (employee, mut list) in by_employee {
        list.sort_by_key(|v| (v.at, v.id));
        let baseline = baselines.get(&employee).copied().unwrap_or(0);
        for (window, threshold) in [
            (BURST_WINDOW_SECONDS, burst_threshold(baseline)),
            (SURGE_WINDOW_SECONDS, surge_threshold(baseline)),
        ] {
            let mut end = 0;
            for (start, first) in list.iter().enumerate() {
                end = end.max(start);
                while list.get(end).is_some_and(|v| v.at - first.at < window) {
                    end += 1;
                }
                if end - start >= threshold {
                    for v in list.iter().skip(start).take(end - start) {
                        flags.entry(v.id).or_insert(Flag::Burst);
                    }
                }
            }
        }
        for run in list.windows(CADENCE_RUN) {
            let gaps = run.windows(2).filter_map(|p| match p {
                [a, b] => Some(b.at - a.at),
                _ => None,
            });
            let (lo, hi) = gaps.fold((i64::MAX, i64::MIN), |(lo, hi), g| (lo.min(g), hi.max(g)));
            // Timestamps are whole seconds: a script sleeping 60 s shows gaps of 59 to 61.
            if lo >= CADENCE_MIN_GAP && hi <= CADENCE_MAX_GAP && hi - lo <= (lo / 20).max(2) {
                for v in run {
                    flags.entry(v.id).or_insert(Flag::Cadence);
                }
            }
        }
        for v in &list {
            if v.outside_hours {
                flags.entry(v.id).or_insert(Flag::OutsideHours);
            }
        }
    }
    let may_flag: std::collections::HashSet<i64> =
        votes.iter().filter(|v| v.may_flag).map(|v| v.id).collect();
    flags
        .into_iter()
        .filter(|(id, _)| may_flag.contains(id))
        .collect()
}

// The shared-address rule. What identifies "one device" must survive a new browser string,
// cookie or browser on the same connection, so it is the network: an IPv4 address, or an
// IPv6 /64 (what one subscriber line or phone gets). But many honest people share one: a hall's
// guest Wi-Fi, a mobile carrier's NAT. So the vote is never refused for its address; screening
// decides from the day's data how many of one network's votes for one employee are plausible,
// and flags the rest for review.

/// Votes one network may give one employee in a UTC day on its own: one person, one vote.
pub const ADDRESS_FREE_VOTES: usize = 1;
/// A shared network spreads its votes over the employees its visitors saw: it may give one
/// employee this many times what it gives, on average, each other employee it voted for.
pub const ADDRESS_SPREAD_FACTOR: f64 = 2.0;
/// But never more than this many times the employee's usual day (their counted votes over
/// [`BASELINE_DAYS`] / [`BASELINE_WORKING_DAYS`]): an honest busy day at three times the usual
/// still counts in full even if every visitor came through the hall's Wi-Fi, while an address
/// that alternates between two colleagues gains at most that much for each...
pub const ADDRESS_USUAL_FACTOR: f64 = 3.0;
/// ...or, for an employee with little history, this many votes.
pub const ADDRESS_NEW_EMPLOYEE_CAP: usize = 10;
/// While a network has been seen for less than [`ADDRESS_GRACE_SECONDS`], it may give each
/// employee this many votes more, each at least [`ADDRESS_GRACE_GAP_SECONDS`] after the last
/// one kept: early in the day a guest Wi-Fi may have carried only one desk's visitors yet, and
/// a desk serves one visitor in minutes (a double-tap seconds apart gets no grace). The grace
/// ends by itself: every later roll-up that sees the network again screens all its votes of
/// the day anew, and flags what is then past the allowance.
pub const ADDRESS_GRACE_VOTES: usize = 2;
pub const ADDRESS_GRACE_SECONDS: i64 = 2 * 3600;
pub const ADDRESS_GRACE_GAP_SECONDS: i64 = 300;
/// Working days in [`BASELINE_DAYS`]: the usual day of an employee who works five days a week.
pub const BASELINE_WORKING_DAYS: i64 = 20;

/// The network a vote comes from: an IPv4 address as is, an IPv6 address cut to its /64.
/// A phone with IPv6 privacy addresses changes its last 64 bits freely, and a subscriber is
/// routed a whole /64, so anything finer would let one phone count as many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network(IpAddr);

impl Network {
    /// From `CF-Connecting-IP` (Cloudflare's, so well-formed in production). Anything that is
    /// not an address is `None`: such votes share one "unknown" network.
    pub fn parse(s: &str) -> Option<Network> {
        Some(Network::of(s.trim().parse().ok()?))
    }

    pub fn of(ip: IpAddr) -> Network {
        match ip {
            // An IPv4-mapped IPv6 address is the IPv4 client itself.
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Network(IpAddr::V4(v4)),
                None => Network(IpAddr::V6(Ipv6Addr::from(
                    u128::from(v6) & (u128::MAX << 64),
                ))),
            },
            v4 => Network(v4),
        }
    }
}

impl fmt::Display for Network {
    /// What goes into the day's keyed hashes: `192.0.2.7`, or `2001:db8:1:2::/64`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// A counted vote as the shared-address rule sees it: only ids, employee, time and which of
/// the day's networks it came from (an index into the step's keyed hashes, never an address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heard {
    pub id: i64,
    pub employee: i64,
    pub network: usize,
    pub at: i64,
    /// Never flagged nor reviewed: an accepted vote keeps its place but is not flagged again.
    pub may_flag: bool,
}

/// How many of one network's counted votes for `employee` in a day are plausible, given
/// `others` (its counted votes that day for other employees), `spread` (how many other
/// employees) and the employee's `baseline` (counted votes over [`BASELINE_DAYS`]).
pub fn address_allowance(others: usize, spread: usize, baseline: i64) -> usize {
    let usual = baseline.max(0) as f64 / BASELINE_WORKING_DAYS as f64;
    let cap = ADDRESS_NEW_EMPLOYEE_CAP.max((usual * ADDRESS_USUAL_FACTOR).ceil() as usize);
    let shared = if spread == 0 {
        0
    } else {
        (others as f64 / spread as f64 * ADDRESS_SPREAD_FACTOR).ceil() as usize
    };
    ADDRESS_FREE_VOTES + shared.min(cap)
}

/// The shared-address rule over every counted vote of the step's networks (each network's
/// votes are of one UTC day: the keyed hash changes with the day's salt). Per network and
/// employee, the votes past [`address_allowance`] (plus [`ADDRESS_GRACE_VOTES`] while the
/// network is new), latest first out, are flagged. A guest
/// Wi-Fi whose visitors rate several employees stays within it; one address voting all day
/// for one employee, whatever browser it claims, keeps its first vote.
pub fn screen_addresses(votes: &[Heard], baselines: &HashMap<i64, i64>) -> Vec<(i64, Flag)> {
    let mut by_network: BTreeMap<usize, BTreeMap<i64, Vec<&Heard>>> = BTreeMap::new();
    for v in votes {
        by_network
            .entry(v.network)
            .or_default()
            .entry(v.employee)
            .or_default()
            .push(v);
    }
    let mut flags = Vec::new();
    for employees in by_network.values() {
        let total: usize = employees.values().map(Vec::len).sum();
        let times = employees.values().flatten().map(|v| v.at);
        let (first, last) = times.fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
        let grace = if last - first < ADDRESS_GRACE_SECONDS {
            ADDRESS_GRACE_VOTES
        } else {
            0
        };
        for (employee, list) in employees {
            let others = total - list.len();
            let spread = employees.len() - 1;
            let allowed = address_allowance(
                others,
                spread,
                baselines.get(employee).copied().unwrap_or(0),
            );
            let mut list = list.clone();
            list.sort_by_key(|v| (v.at, v.id));
            let (mut kept, mut graced, mut last_kept) = (0, 0, i64::MIN);
            for v in list {
                let keep = if kept < allowed {
                    true
                } else {
                    graced < grace && v.at.saturating_sub(last_kept) >= ADDRESS_GRACE_GAP_SECONDS
                };
                if keep {
                    if kept >= allowed {
                        graced += 1;
                    }
                    kept += 1;
                    last_kept = v.at;
                } else if v.may_flag {
                    flags.push((v.id, Flag::SharedAddress));
                }
            }
        }
    }
    flags.sort_unstable_by_key(|(id, _)| *id);
    flags
}

/// Local wall-clock time in an IANA zone: the worker asks the runtime's `Intl` (workerd
/// carries the full time-zone database, so none goes into the WASM); tests use fixed offsets.
pub trait LocalTime {
    /// (weekday from Monday = 0, minute of the day) at `unix` seconds in `zone`; `None` for a
    /// zone the runtime does not know.
    fn weekday_minute(&self, zone: &str, unix: i64) -> Option<(usize, u32)>;
}

/// Fixed offsets from UTC, in minutes, by zone name; "UTC" is always known. For tests and
/// for runtimes without `Intl`.
#[derive(Debug, Clone, Default)]
pub struct FixedOffsets(pub HashMap<String, i64>);

impl LocalTime for FixedOffsets {
    fn weekday_minute(&self, zone: &str, unix: i64) -> Option<(usize, u32)> {
        let offset = match zone {
            "UTC" => 0,
            z => *self.0.get(z)?,
        };
        let local = unix + offset * 60;
        // 1970-01-01 was a Thursday (3 with Monday = 0).
        let day = local.div_euclid(86_400);
        let weekday = usize::try_from((day + 3).rem_euclid(7)).ok()?;
        let minute = u32::try_from(local.rem_euclid(86_400) / 60).ok()?;
        Some((weekday, minute))
    }
}

/// The time a vote page was served, signed so it cannot be backdated: `<unix>.<16 hex>`,
/// bound to the code the page was for.
pub struct PageStamp;

impl PageStamp {
    pub fn issue(ring: &KeyRing, token: &Token, at: Timestamp) -> String {
        let seconds = at.unix_seconds();
        let mut out = seconds.to_string();
        out.push('.');
        for b in ring
            .keyed_mac(
                STAMP_CONTEXT,
                format!("{seconds}.{}", token.as_str()).as_bytes(),
            )
            .iter()
            .take(8)
        {
            let _ = write!(out, "{b:02x}");
        }
        out
    }

    /// A form vote's flag from its stamp: `NoStamp` when it carries none, or one that is
    /// forged or made for another code; `TooFast` when a genuine one shows it came too soon.
    /// A JSON vote comes from no page, so it has no stamp to check: the per-phone limits,
    /// Turnstile and screening bound it.
    pub fn check(
        ring: &KeyRing,
        token: &Token,
        source: Source,
        stamp: Option<&str>,
        now: Timestamp,
    ) -> Option<Flag> {
        if source != Source::Form {
            return None;
        }
        let served = stamp.and_then(|stamp| {
            let (seconds, _) = stamp.split_once('.')?;
            let served: i64 = seconds.parse().ok()?;
            (stamp == PageStamp::issue(ring, token, Timestamp::from_unix_seconds(served)))
                .then_some(served)
        });
        match served {
            None => Some(Flag::NoStamp),
            Some(served) => {
                (now.unix_seconds() - served < MIN_SECONDS_ON_PAGE).then_some(Flag::TooFast)
            }
        }
    }
}

/// An office network a unit declares, e.g. `192.0.2.0/24` or `2001:db8::/32`. Host bits must
/// be zero, so a typo such as `192.0.2.7/24` is refused rather than silently widened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("`{0}` is not a CIDR range such as 192.0.2.0/24")]
    Malformed(String),
    #[error("`{0}` has bits set after its prefix; did you mean {1}?")]
    HostBitsSet(String, String),
}

impl Cidr {
    /// The most ranges one unit may declare (each is a bound parameter in one D1 statement).
    pub const MAX_PER_UNIT: usize = 50;

    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        let s = s.trim();
        let bad = || CidrError::Malformed(s.chars().take(64).collect());
        let (addr, prefix) = s.split_once('/').ok_or_else(bad)?;
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max && !prefix.starts_with('+'))
            .ok_or_else(bad)?;
        let cidr = Cidr { net, prefix };
        let masked = Cidr {
            net: cidr.masked(net),
            prefix,
        };
        if masked.net != net {
            return Err(CidrError::HostBitsSet(s.to_owned(), masked.to_string()));
        }
        Ok(cidr)
    }

    fn masked(&self, ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(v4) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
            }
            IpAddr::V6(v6) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        }
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.net.is_ipv4() && self.masked(ip) == self.net
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{Channel, EmployeeId};
    use crate::token::Claims;
    use base64::Engine;

    fn ring() -> KeyRing {
        KeyRing::parse(&format!(
            "1:{}",
            base64::engine::general_purpose::STANDARD.encode([3u8; 32])
        ))
        .unwrap()
    }

    fn token(ring: &KeyRing, employee: i64) -> Token {
        ring.sign(&Claims {
            shard: 0,
            employee: EmployeeId::parse(employee).unwrap(),
            channel: Channel::DESK,
            issue: 1,
            kind: crate::token::CodeKind::Standing,
        })
    }

    #[test]
    fn a_vote_within_three_seconds_of_the_page_is_flagged() {
        let (r, t) = (ring(), token(&ring(), 1));
        let served = Timestamp::from_unix_seconds(1_000_000);
        let stamp = PageStamp::issue(&r, &t, served);
        let at = |s| Timestamp::from_unix_seconds(s);
        assert_eq!(
            PageStamp::check(&r, &t, Source::Form, Some(&stamp), at(1_000_002)),
            Some(Flag::TooFast)
        );
        assert_eq!(
            PageStamp::check(&r, &t, Source::Form, Some(&stamp), at(1_000_003)),
            None
        );
    }

    #[test]
    fn a_form_vote_with_a_missing_forged_or_foreign_stamp_is_flagged() {
        let r = ring();
        let (t1, t2) = (token(&r, 1), token(&r, 2));
        let now = Timestamp::from_unix_seconds(1_000_010);
        let stamp = PageStamp::issue(&r, &t1, Timestamp::from_unix_seconds(1_000_000));
        let form = |t: &Token, s: Option<&str>| PageStamp::check(&r, t, Source::Form, s, now);
        assert_eq!(form(&t1, Some(&stamp)), None, "genuine and old enough");
        assert_eq!(form(&t1, None), Some(Flag::NoStamp));
        assert_eq!(
            form(&t2, Some(&stamp)),
            Some(Flag::NoStamp),
            "bound to its code"
        );
        assert_eq!(
            form(&t1, Some("1000000.0000000000000000")),
            Some(Flag::NoStamp)
        );
        assert_eq!(form(&t1, Some("nonsense")), Some(Flag::NoStamp));
        assert_eq!(form(&t1, Some("")), Some(Flag::NoStamp));
    }

    #[test]
    fn a_json_vote_has_no_page_and_so_no_stamp_to_check() {
        let r = ring();
        let t = token(&r, 1);
        let now = Timestamp::from_unix_seconds(1_000_010);
        assert_eq!(PageStamp::check(&r, &t, Source::Api, None, now), None);
        assert_eq!(PageStamp::check(&r, &t, Source::Api, Some("x"), now), None);
    }

    fn seen(id: i64, employee: i64, at: i64) -> Seen {
        Seen {
            id,
            employee,
            at,
            outside_hours: false,
            may_flag: true,
        }
    }

    fn flagged(flags: &[(i64, Flag)], reason: Flag) -> usize {
        flags.iter().filter(|(_, f)| *f == reason).count()
    }

    #[test]
    fn three_hundred_votes_in_ten_minutes_for_one_employee_are_a_burst() {
        let votes: Vec<Seen> = (0..300).map(|i| seen(i, 7, 1_000_000 + i * 2)).collect();
        let flags = screen(&votes, &HashMap::new());
        assert_eq!(flagged(&flags, Flag::Burst), 300);
    }

    #[test]
    fn a_busy_desk_is_not_a_burst_against_its_own_baseline() {
        // 30 votes in 10 minutes for someone who usually gets 200 a day (about 4 a window).
        let votes: Vec<Seen> = (0..30)
            .map(|i| seen(i, 7, 1_000_000 + i * 19 + (i * i * 7) % 13))
            .collect();
        let baselines = HashMap::from([(7, 200 * BASELINE_DAYS)]);
        assert!(screen(&votes, &baselines).is_empty());
        assert!(
            !screen(&votes, &HashMap::new()).is_empty(),
            "the same 30 for a usually quiet desk are"
        );
        assert_eq!(burst_threshold(0), BURST_MIN_VOTES);
        assert_eq!(burst_threshold(200 * BASELINE_DAYS), 42);
    }

    #[test]
    fn eleven_votes_in_a_window_are_not_a_burst_and_twelve_are() {
        let times = [0, 31, 70, 140, 160, 230, 300, 333, 410, 470, 520];
        let eleven: Vec<Seen> = (0..11).zip(times).map(|(i, at)| seen(i, 1, at)).collect();
        assert!(screen(&eleven, &HashMap::new()).is_empty());
        let mut twelve = eleven.clone();
        twelve.push(seen(11, 1, 599));
        assert_eq!(screen(&twelve, &HashMap::new()).len(), 12);
        // Spread just wider than the window: no burst.
        let mut wide = eleven;
        wide.push(seen(11, 1, 600));
        assert!(screen(&wide, &HashMap::new()).is_empty());
    }

    #[test]
    fn votes_at_a_steady_machine_cadence_are_flagged() {
        let votes: Vec<Seen> = (0..10)
            .map(|i| seen(i, 3, 5_000 + i * 60 + (i % 2)))
            .collect();
        let flags = screen(&votes, &HashMap::new());
        assert_eq!(flagged(&flags, Flag::Cadence), 10);
        let hourly: Vec<Seen> = (0..10).map(|i| seen(i, 3, i * 3600)).collect();
        assert!(
            screen(&hourly, &HashMap::new()).is_empty(),
            "too slow to matter"
        );
    }

    #[test]
    fn people_arriving_at_irregular_times_are_not_a_cadence() {
        let gaps = [40, 95, 61, 300, 58, 122, 75, 64, 210];
        let mut at = 0;
        let votes: Vec<Seen> = gaps
            .iter()
            .enumerate()
            .map(|(i, g)| {
                at += g;
                seen(i as i64, 3, at)
            })
            .collect();
        assert!(screen(&votes, &HashMap::new()).is_empty());
    }

    #[test]
    fn votes_while_closed_are_flagged_and_reviewed_ones_never_again() {
        let mut closed = seen(1, 2, 100);
        closed.outside_hours = true;
        let mut accepted = seen(2, 2, 200);
        accepted.outside_hours = true;
        accepted.may_flag = false;
        let flags = screen(&[closed, accepted, seen(3, 2, 300)], &HashMap::new());
        assert_eq!(flags, vec![(1, Flag::OutsideHours)]);
    }

    #[test]
    fn fixed_offsets_give_the_local_weekday_and_minute() {
        let zones = FixedOffsets(HashMap::from([("Asia/Tehran".to_owned(), 210)]));
        // 2026-03-02 is a Monday; 05:00 UTC is 08:30 in Tehran.
        let at = 1_772_427_600;
        assert_eq!(zones.weekday_minute("UTC", at), Some((0, 300)));
        assert_eq!(zones.weekday_minute("Asia/Tehran", at), Some((0, 510)));
        assert_eq!(zones.weekday_minute("Mars/Olympus", at), None);
    }

    proptest::proptest! {
        #[test]
        fn screening_flags_only_votes_it_may_and_each_once(
            raw in proptest::collection::vec((1i64..4, 0i64..7_200, proptest::bool::ANY, proptest::bool::ANY), 0..200)
        ) {
            let votes: Vec<Seen> = raw
                .iter()
                .enumerate()
                .map(|(i, (employee, at, outside, may))| Seen {
                    id: i as i64,
                    employee: *employee,
                    at: *at,
                    outside_hours: *outside,
                    may_flag: *may,
                })
                .collect();
            let flags = screen(&votes, &HashMap::new());
            let mut ids: Vec<i64> = flags.iter().map(|(id, _)| *id).collect();
            ids.dedup();
            proptest::prop_assert_eq!(ids.len(), flags.len());
            for (id, flag) in &flags {
                let v = &votes[*id as usize];
                proptest::prop_assert!(v.may_flag);
                if *flag == Flag::OutsideHours {
                    proptest::prop_assert!(v.outside_hours);
                }
            }
            // Fewer than BURST_MIN_VOTES per employee can never be a burst.
            for employee in 1..4 {
                let n = votes.iter().filter(|v| v.employee == employee).count();
                if n < BURST_MIN_VOTES {
                    proptest::prop_assert!(!flags.iter().any(|(id, f)| *f == Flag::Burst && votes[*id as usize].employee == employee));
                }
            }
        }
    }

    #[test]
    fn a_network_is_the_ipv4_address_or_the_ipv6_slash_64() {
        let n = |s: &str| Network::parse(s).map(|n| n.to_string());
        assert_eq!(n("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(n(" 203.0.113.7 ").as_deref(), Some("203.0.113.7"));
        assert_eq!(
            n("2001:db8:1:2:aaaa:bbbb:cccc:dddd").as_deref(),
            Some("2001:db8:1:2::/64")
        );
        assert_eq!(
            Network::parse("2001:db8:1:2::1"),
            Network::parse("2001:db8:1:2:ffff::9"),
            "privacy addresses of one /64 are one network"
        );
        assert_ne!(
            Network::parse("2001:db8:1:2::1"),
            Network::parse("2001:db8:1:3::1")
        );
        assert_eq!(n("::ffff:192.0.2.1").as_deref(), Some("192.0.2.1"));
        assert_ne!(Network::parse("203.0.113.7"), Network::parse("203.0.113.8"));
        for bad in ["", "unknown", "203.0.113", "2001:db8::/64", "Mozilla/5.0"] {
            assert_eq!(Network::parse(bad), None, "{bad}");
        }
    }

    fn heard(id: i64, employee: i64, network: usize, at: i64) -> Heard {
        Heard {
            id,
            employee,
            network,
            at,
            may_flag: true,
        }
    }

    #[test]
    fn one_address_voting_all_day_for_one_employee_keeps_its_first_vote() {
        let votes: Vec<Heard> = (0..60).map(|i| heard(i, 7, 0, 1_000 + i * 600)).collect();
        let flags = screen_addresses(&votes, &HashMap::from([(7, 8 * BASELINE_WORKING_DAYS)]));
        assert_eq!(flags.len(), 59);
        assert!(flags
            .iter()
            .all(|(id, f)| *id > 0 && *f == Flag::SharedAddress));
    }

    #[test]
    fn a_guest_wifi_whose_visitors_rate_several_employees_is_not_flagged() {
        // 40 visitors through one address over the day, for 5 employees, unevenly.
        let mut rng = 7u64;
        let votes: Vec<Heard> = (0..40)
            .map(|i| {
                rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                heard(i, 1 + (rng >> 33) as i64 % 5, 3, i * 900)
            })
            .collect();
        assert!(screen_addresses(&votes, &HashMap::new()).is_empty());
        // Even when one of them, who usually has 10 votes a day, gets half of its votes.
        let skewed: Vec<Heard> = (0..40)
            .map(|i| heard(i, if i % 2 == 0 { 1 } else { 2 + i % 4 }, 3, i * 900))
            .collect();
        let usual = HashMap::from([(1, 10 * BASELINE_WORKING_DAYS)]);
        assert!(screen_addresses(&skewed, &usual).is_empty());
        assert_eq!(
            screen_addresses(&skewed, &HashMap::new()).len(),
            20 - 1 - ADDRESS_NEW_EMPLOYEE_CAP,
            "without history, 20 from one address for one employee are past the cap"
        );
    }

    #[test]
    fn the_shared_allowance_is_capped_by_the_employees_own_usual_day() {
        assert_eq!(address_allowance(0, 0, 0), 1);
        assert_eq!(address_allowance(2, 2, 0), 3);
        assert_eq!(address_allowance(60, 1, 0), 1 + ADDRESS_NEW_EMPLOYEE_CAP);
        assert_eq!(address_allowance(60, 1, 8 * BASELINE_WORKING_DAYS), 1 + 24);
        // Separate networks and accepted votes: each network on its own, and an accepted
        // vote keeps its place without being flagged again.
        let day = ADDRESS_GRACE_SECONDS;
        let mut votes = vec![
            heard(1, 7, 0, 10),
            heard(2, 7, 1, 20),
            heard(3, 7, 0, 30 + day),
        ];
        votes[0].may_flag = false;
        assert_eq!(
            screen_addresses(&votes, &HashMap::new()),
            vec![(3, Flag::SharedAddress)]
        );
    }

    #[test]
    fn a_new_network_gets_a_grace_that_ends_once_it_is_seen_for_two_hours() {
        let early: Vec<Heard> = (0..3).map(|i| heard(i, 7, 0, i * 600)).collect();
        assert!(screen_addresses(&early, &HashMap::new()).is_empty());
        let double_tap = vec![heard(0, 7, 0, 0), heard(1, 7, 0, 4)];
        assert_eq!(
            screen_addresses(&double_tap, &HashMap::new()),
            vec![(1, Flag::SharedAddress)],
            "no grace for a repeat seconds apart"
        );
        let mut later = early.clone();
        later.push(heard(3, 8, 0, ADDRESS_GRACE_SECONDS));
        // One vote for another employee gives 2 more: still 3 allowed.
        assert!(screen_addresses(&later, &HashMap::new()).is_empty());
        later.push(heard(4, 7, 0, ADDRESS_GRACE_SECONDS + 60));
        assert_eq!(
            screen_addresses(&later, &HashMap::new()),
            vec![(4, Flag::SharedAddress)]
        );
        let alone: Vec<Heard> = vec![
            heard(0, 7, 0, 0),
            heard(1, 7, 0, 600),
            heard(2, 7, 0, ADDRESS_GRACE_SECONDS),
        ];
        assert_eq!(
            screen_addresses(&alone, &HashMap::new()),
            vec![(1, Flag::SharedAddress), (2, Flag::SharedAddress)],
            "the vote the grace let through is flagged once the network is seen again"
        );
    }

    #[test]
    fn an_hour_of_votes_under_the_burst_threshold_is_a_surge() {
        // About a vote a minute, at irregular seconds, for 66 minutes: never 12 in ten
        // minutes, about 60 in any hour.
        let votes: Vec<Seen> = (0..66)
            .map(|i| seen(i, 5, 1_000 + i * 60 + (i * i * 7) % 5))
            .collect();
        assert_eq!(flagged(&screen(&votes, &HashMap::new()), Flag::Burst), 66);
        // A desk that usually has 40 an hour is not surging at 66.
        let busy = HashMap::from([(5, 40 * 8 * BASELINE_DAYS)]);
        assert!(screen(&votes, &busy).is_empty());
        assert_eq!(surge_threshold(0), SURGE_MIN_VOTES);
    }

    #[test]
    fn cidrs_parse_strictly_and_match_addresses() {
        let net = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(net.contains("192.0.2.77".parse().unwrap()));
        assert!(!net.contains("192.0.3.1".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("192.0.2.1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("203.0.113.9".parse().unwrap()));
        assert_eq!(Cidr::parse("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        for bad in [
            "192.0.2.0",
            "192.0.2.0/33",
            "192.0.2.0/-1",
            "192.0.2.0/+8",
            "300.0.0.0/8",
            "x/8",
            "",
            "2001:db8::/129",
        ] {
            assert!(
                matches!(Cidr::parse(bad), Err(CidrError::Malformed(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Cidr::parse("192.0.2.7/24"),
            Err(CidrError::HostBitsSet(
                "192.0.2.7/24".into(),
                "192.0.2.0/24".into()
            ))
        );
    }
}
