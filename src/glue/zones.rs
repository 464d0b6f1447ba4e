//! Local time in a unit's IANA zone from the runtime's `Intl`: workerd carries the whole
//! time-zone database (with daylight-saving rules), so none of it goes into the WASM.

use crate::integrity::LocalTime;
use js_sys::{Array, Date, Function, Object, Reflect};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::{JsCast, JsValue};

/// One formatter per zone and one offset per zone and UTC hour (zones change their offset on
/// hour boundaries, or on half hours, which the 60 s rounding of votes cannot tell apart).
#[derive(Default)]
pub struct IntlZones {
    formatters: RefCell<HashMap<String, Option<JsValue>>>,
    offsets: RefCell<HashMap<(String, i64), Option<i64>>>,
}

impl IntlZones {
    fn formatter(&self, zone: &str) -> Option<JsValue> {
        if let Some(f) = self.formatters.borrow().get(zone) {
            return f.clone();
        }
        let made = make_formatter(zone);
        self.formatters
            .borrow_mut()
            .insert(zone.to_owned(), made.clone());
        made
    }

    /// Minutes east of UTC in `zone` at `unix` seconds.
    fn offset(&self, zone: &str, unix: i64) -> Option<i64> {
        let hour = unix.div_euclid(3600);
        let key = (zone.to_owned(), hour);
        if let Some(o) = self.offsets.borrow().get(&key) {
            return *o;
        }
        let at = hour * 3600;
        let offset = self
            .formatter(zone)
            .and_then(|f| local_seconds(&f, at))
            .map(|local| (local - at) / 60);
        self.offsets.borrow_mut().insert(key, offset);
        offset
    }
}

impl LocalTime for IntlZones {
    fn weekday_minute(&self, zone: &str, unix: i64) -> Option<(usize, u32)> {
        let local = unix + self.offset(zone, unix)? * 60;
        // 1970-01-01 was a Thursday (3 with Monday = 0).
        let weekday = usize::try_from((local.div_euclid(86_400) + 3).rem_euclid(7)).ok()?;
        let minute = u32::try_from(local.rem_euclid(86_400) / 60).ok()?;
        Some((weekday, minute))
    }
}

/// `new Intl.DateTimeFormat("en-US", {timeZone, ...})`, through `Reflect` so that an unknown
/// zone's RangeError comes back as `None` instead of a trap.
fn make_formatter(zone: &str) -> Option<JsValue> {
    let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).ok()?;
    let ctor: Function = Reflect::get(&intl, &JsValue::from_str("DateTimeFormat"))
        .ok()?
        .dyn_into()
        .ok()?;
    let options = Object::new();
    for (k, v) in [
        ("timeZone", zone),
        ("hourCycle", "h23"),
        ("year", "numeric"),
        ("month", "numeric"),
        ("day", "numeric"),
        ("hour", "numeric"),
        ("minute", "numeric"),
        ("second", "numeric"),
    ] {
        Reflect::set(&options, &JsValue::from_str(k), &JsValue::from_str(v)).ok()?;
    }
    let args = Array::of2(&JsValue::from_str("en-US"), &options);
    Reflect::construct(&ctor, &args).ok()
}

/// The local wall-clock reading at `unix` seconds, as if it were UTC (so its difference from
/// `unix` is the zone's offset).
fn local_seconds(formatter: &JsValue, unix: i64) -> Option<i64> {
    let format: Function = Reflect::get(formatter, &JsValue::from_str("formatToParts"))
        .ok()?
        .dyn_into()
        .ok()?;
    let date = Date::new(&JsValue::from_f64(unix as f64 * 1000.0));
    let parts: Array = format.call1(formatter, &date).ok()?.dyn_into().ok()?;
    let mut fields: HashMap<String, f64> = HashMap::new();
    for part in parts.iter() {
        let kind = Reflect::get(&part, &JsValue::from_str("type"))
            .ok()?
            .as_string()?;
        let value = Reflect::get(&part, &JsValue::from_str("value"))
            .ok()?
            .as_string()?;
        if let Ok(n) = value.parse::<f64>() {
            fields.insert(kind, n);
        }
    }
    let get = |k: &str| fields.get(k).copied();
    let ms = Date::utc(get("year")?, get("month")? - 1.0)
        + (get("day")? - 1.0) * 86_400_000.0
        + get("hour")? * 3_600_000.0
        + get("minute")? * 60_000.0
        + get("second")? * 1000.0;
    Some((ms / 1000.0) as i64)
}

/// The moment of an anonymous vote as managers see it: `at` becomes the start of its part of
/// the unit's local day (`vote_time`). Votes with a contact keep their moment.
pub(crate) fn by_part_of_day(
    zones: &IntlZones,
    at: &mut i64,
    zone: &str,
    day: &mut Option<String>,
    part: &mut Option<crate::vote_time::PartOfDay>,
) -> i64 {
    let c = crate::vote_time::coarse(*at, zone, zones);
    *at = c.at;
    *day = Some(c.day);
    *part = Some(c.part);
    c.day_start
}
