//! One-time codes: the strongest defence against self-votes is a code that only a real visit
//! produces. An administrator prints a batch for a unit (some codes per employee, for a queue
//! ticket or a written reply with its document number); each code (token format version 2)
//! takes exactly one vote, and that vote counts as verified and is shown apart in every result.
//!
//! An employee still holds their own slips, so a slip is not proof against a determined
//! employee; what it bounds is the supply: every code is issued by an administrator, audited,
//! counted per batch (issued and used), and worth one vote at most. A batch expires (90 days by
//! default) and can be revoked as a whole.
//!
//! A vote cast with a code keeps neither its serial nor its batch, and the code's "spent"
//! record is only an HMAC mark (`token::KeyRing::spent_mark`) in a table with no time and no
//! order of use: nothing in the database ties a verified vote to the letter its code was
//! printed on. Used counts are shown per batch only where they cannot point at one citizen's
//! vote ([`used_withheld`]), and never per code (docs/privacy.md).

mod db;
pub mod routes;
pub mod sql;
pub mod store;
#[cfg(test)]
mod store_tests;
// The Workers side, in the back office only (docs/deploy.md): the handlers.
#[cfg(all(target_arch = "wasm32", not(feature = "citizen")))]
pub(crate) mod handlers;

use crate::account::Principal;
use crate::admin::store::Audit;
use crate::admin::writable;
use crate::admin::AdminError;
use crate::clock::Timestamp;
use crate::org::{Channel, DirectionId, EmployeeId, UnitId};
use crate::token::{Claims, CodeKind, KeyRing};
use serde::{Deserialize, Serialize};
use store::{BatchView, CodeKey, NewBatch, OneTimeStore};

/// More codes than this per employee in one batch is a typing mistake, not a day of visits.
pub const MAX_PER_EMPLOYEE: u32 = 200;
/// A batch is printed at once: two thousand slips is a ream of paper.
pub const MAX_CODES: usize = 2000;
pub const DEFAULT_VALID_DAYS: u32 = 90;
/// The highest serial per employee and channel: the token keeps two bytes for it.
const MAX_SERIAL: i64 = 65_535;
/// The most codes whose spent marks one list of batches computes (an HMAC each, and a lookup);
/// a batch past it shows its count when opened on its own.
pub const MAX_COUNTED_CODES: i64 = 4000;
/// Marks per lookup: keeps each statement's JSON well under D1's 100 KB.
const MARKS_PER_LOOKUP: usize = 1000;

/// A batch request as the API receives it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchIn {
    pub per_employee: Option<i64>,
    pub channel: Option<i64>,
    /// Only these employees of the unit; all its active employees when absent.
    pub employees: Option<Vec<i64>>,
    /// The number of the written reply the code goes on.
    pub document: Option<String>,
    pub valid_days: Option<i64>,
    pub direction: Option<i64>,
}

/// A checked batch request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRequest {
    pub per_employee: u32,
    pub channel: Channel,
    pub employees: Option<Vec<EmployeeId>>,
    pub document: Option<String>,
    pub valid_days: u32,
    pub direction: Option<DirectionId>,
}

fn invalid(field: &'static str, reason: &str) -> AdminError {
    AdminError::Invalid {
        field,
        reason: reason.into(),
    }
}

impl BatchRequest {
    pub fn parse(raw: &BatchIn) -> Result<BatchRequest, AdminError> {
        let per_employee = match raw.per_employee {
            None => 1,
            Some(n) => u32::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_PER_EMPLOYEE).contains(n))
                .ok_or_else(|| invalid("per_employee", "must be a whole number from 1 to 200"))?,
        };
        let channel = match raw.channel {
            // Queue tickets are printed at the service-centre window.
            None => Channel::SERVICE_WINDOW,
            Some(n) => Channel::parse(n).ok_or_else(|| invalid("channel", "must be 0 to 255"))?,
        };
        let employees = match &raw.employees {
            None => None,
            Some(ids) if ids.is_empty() || ids.len() > MAX_CODES => {
                return Err(invalid(
                    "employees",
                    "must list 1 to 2000 employees of the unit, or be left out for all",
                ))
            }
            Some(ids) => {
                let mut parsed = ids
                    .iter()
                    .map(|id| EmployeeId::parse(*id))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| invalid("employees", "must be employee ids"))?;
                parsed.sort_unstable();
                parsed.dedup();
                Some(parsed)
            }
        };
        let document = match raw.document.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(d) if d.chars().count() > 60 || d.chars().any(char::is_control) => {
                return Err(invalid(
                    "document",
                    "must be at most 60 characters on one line (the reply's number)",
                ))
            }
            Some(d) => Some(d.to_owned()),
        };
        let valid_days = match raw.valid_days {
            None => DEFAULT_VALID_DAYS,
            Some(n) => u32::try_from(n)
                .ok()
                .filter(|n| (1..=365).contains(n))
                .ok_or_else(|| invalid("valid_days", "must be a whole number from 1 to 365"))?,
        };
        let direction = match raw.direction {
            None => None,
            Some(d) => Some(
                DirectionId::parse(d)
                    .ok_or_else(|| invalid("direction", "must be a direction id"))?,
            ),
        };
        Ok(BatchRequest {
            per_employee,
            channel,
            employees,
            document,
            valid_days,
            direction,
        })
    }
}

/// One printed code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slip {
    pub employee_id: EmployeeId,
    pub name: String,
    pub position: String,
    pub serial: u16,
    pub token: String,
    pub url: String,
    /// The address under the code, `https://host/r/TOKEN`.
    pub display_url: String,
}

/// A batch and its codes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Batch {
    pub batch: BatchView,
    pub codes: Vec<Slip>,
}

/// What signs and counts this instance's codes: the key ring, the public address printed
/// under each code, the instance's `HOME_SHARD` (whose database holds its batches, and which
/// every code it prints carries) and `MIN_VOTES`.
#[derive(Debug, Clone, Copy)]
pub struct Issuer<'a> {
    pub ring: &'a KeyRing,
    pub base: &'a crate::qr::PublicBaseUrl,
    pub shard: u8,
    pub min_votes: u32,
}

/// Which employees get codes: those asked for, each an active employee of the unit, or all of
/// them. Refuses a batch past [`MAX_CODES`] or past an employee's last serial.
pub fn plan(
    request: &BatchRequest,
    unit_employees: &[(EmployeeId, i64)],
) -> Result<Vec<EmployeeId>, AdminError> {
    let chosen: Vec<(EmployeeId, i64)> = match &request.employees {
        None => unit_employees.to_vec(),
        Some(wanted) => wanted
            .iter()
            .map(|id| {
                unit_employees
                    .iter()
                    .find(|(e, _)| e == id)
                    .copied()
                    .ok_or_else(|| {
                        invalid("employees", "must be active employees of this unit itself")
                    })
            })
            .collect::<Result<_, _>>()?,
    };
    if chosen.is_empty() {
        return Err(AdminError::Conflict(
            "this unit has no active employees to print codes for",
        ));
    }
    let per = request.per_employee as usize;
    if chosen.len().saturating_mul(per) > MAX_CODES {
        return Err(invalid(
            "per_employee",
            "the batch would be over 2000 codes: print fewer per employee, or for fewer employees",
        ));
    }
    if chosen
        .iter()
        .any(|(_, last)| last + i64::from(request.per_employee) > MAX_SERIAL)
    {
        return Err(AdminError::Exhausted);
    }
    Ok(chosen.into_iter().map(|(e, _)| e).collect())
}

/// Prints a batch for `unit` (the caller must be able to write there) and returns its codes.
pub async fn issue(
    store: &impl OneTimeStore,
    issuer: Issuer<'_>,
    p: &Principal,
    unit: UnitId,
    request: &BatchRequest,
    now: Timestamp,
) -> Result<Batch, AdminError> {
    let scope = writable(p)?;
    let employees = store
        .unit_employees(scope.as_deref(), unit, request.channel)
        .await?
        .ok_or(AdminError::NotFound("unit"))?;
    let chosen = plan(request, &employees)?;
    let codes = chosen.len() * request.per_employee as usize;
    let audit = Audit {
        at: now,
        account: Some(p.account),
        actor: p.actor(),
        action: "one_time_codes_issued",
        object: String::from("one_time_batch:"),
        detail: serde_json::json!({
            "unit_id": unit,
            "channel": request.channel,
            "codes": codes,
            "document": request.document,
        })
        .to_string(),
    };
    let batch = NewBatch {
        unit,
        channel: request.channel,
        direction: request.direction,
        document: request.document.as_deref(),
        employees: &chosen,
        per_employee: request.per_employee,
        codes,
        key_id: issuer.ring.signing_key_id(),
        account: p.account,
        at: now,
        expires_at: Timestamp::from_unix_seconds(
            now.unix_seconds() + i64::from(request.valid_days) * 86_400,
        ),
    };
    let id = store
        .insert_batch(scope.as_deref(), &batch, &audit)
        .await?
        .ok_or(AdminError::NotFound("unit or direction"))?;
    codes_of(store, issuer, p, id).await
}

/// Why a batch's used count is not shown, or `None` when it may be. A batch for a written
/// reply names its letter: "1 used" there says that the letter's addressee voted, and the
/// employee's verified votes of the day would then give away how. A batch of fewer codes than
/// `min_votes` (the threshold below which no score is shown anywhere) is nearly as pointed.
pub fn used_withheld(view: &BatchView, min_votes: u32) -> Option<&'static str> {
    if view.document.is_some() {
        Some("document")
    } else if view.codes < i64::from(min_votes) {
        Some("few_codes")
    } else {
        None
    }
}

/// The spent marks of `codes`, each with its batch; codes whose key has left the ring have
/// none (they no longer verify, so they cannot have been used since).
fn marks(
    ring: &KeyRing,
    shard: u8,
    channel_of: impl Fn(i64) -> Option<Channel>,
    codes: &[CodeKey],
) -> Vec<(i64, String)> {
    codes
        .iter()
        .filter_map(|c| {
            let claims = Claims {
                shard,
                employee: c.employee_id,
                channel: channel_of(c.batch)?,
                issue: c.serial,
                kind: CodeKind::OneTime,
            };
            Some((c.batch, ring.spent_mark(c.key_id, &claims)?))
        })
        .collect()
}

/// Fills `used` (or `used_withheld`) of each batch: codes marked used before migration 0017,
/// plus this shard's spent marks among the batch's codes, computed for at most
/// [`MAX_COUNTED_CODES`] codes in all.
async fn count_used(
    store: &impl OneTimeStore,
    ring: &KeyRing,
    shard: u8,
    min_votes: u32,
    views: &mut [BatchView],
    known: Option<&[CodeKey]>,
) -> Result<(), AdminError> {
    let mut budget = MAX_COUNTED_CODES;
    let mut chosen = Vec::new();
    for view in views.iter_mut() {
        view.used = None;
        view.used_withheld = match used_withheld(view, min_votes) {
            Some(reason) => Some(reason),
            None if view.codes <= budget => {
                budget -= view.codes;
                chosen.push(view.id);
                None
            }
            None => Some("open_the_batch"),
        };
    }
    if chosen.is_empty() {
        return Ok(());
    }
    let codes = match known {
        Some(codes) => codes.to_vec(),
        None => store.code_keys(&chosen).await?,
    };
    let channels: Vec<(i64, Channel)> = views.iter().map(|v| (v.id, v.channel)).collect();
    let channel_of = |batch: i64| {
        channels
            .iter()
            .find(|(id, _)| *id == batch)
            .map(|(_, c)| *c)
    };
    let marks = marks(ring, shard, channel_of, &codes);
    let mut spent: Vec<(i64, i64)> = Vec::new();
    for chunk in marks.chunks(MARKS_PER_LOOKUP) {
        spent.extend(store.spent_counts(chunk).await?);
    }
    for view in views.iter_mut().filter(|v| chosen.contains(&v.id)) {
        let fresh: i64 = spent
            .iter()
            .filter(|(b, _)| *b == view.id)
            .map(|(_, n)| n)
            .sum();
        view.used = Some(view.legacy_used + fresh);
    }
    Ok(())
}

/// A batch and each of its codes (signed again: tokens are deterministic), for the list and
/// the printed slips. Codes whose key has left `TOKEN_KEYS` are left out: they no longer work.
/// The codes carry `shard`, the instance's `HOME_SHARD`, whose database holds the batch.
/// Whether a code was used is never shown per code, only counted per batch where
/// [`used_withheld`] allows.
pub async fn codes_of(
    store: &impl OneTimeStore,
    issuer: Issuer<'_>,
    p: &Principal,
    batch: i64,
) -> Result<Batch, AdminError> {
    let Issuer {
        ring,
        base,
        shard,
        min_votes,
    } = issuer;
    let scope = writable(p)?;
    let mut view = store
        .batch(scope.as_deref(), batch)
        .await?
        .ok_or(AdminError::NotFound("batch"))?;
    let rows = store.batch_codes(batch).await?;
    let keys: Vec<CodeKey> = rows
        .iter()
        .map(|r| CodeKey {
            batch,
            employee_id: r.employee_id,
            serial: r.serial,
            key_id: r.key_id,
        })
        .collect();
    count_used(
        store,
        ring,
        shard,
        min_votes,
        std::slice::from_mut(&mut view),
        Some(&keys),
    )
    .await?;
    let codes = rows
        .into_iter()
        .filter_map(|r| {
            let claims = Claims {
                shard,
                employee: r.employee_id,
                channel: view.channel,
                issue: r.serial,
                kind: CodeKind::OneTime,
            };
            let token = ring.sign_with(r.key_id, &claims)?;
            Some(Slip {
                employee_id: r.employee_id,
                name: r.name,
                position: r.position,
                serial: r.serial,
                url: base.vote_url(&token),
                display_url: base.display_url(&token),
                token: token.as_str().to_owned(),
            })
        })
        .collect();
    Ok(Batch { batch: view, codes })
}

/// The unit's batches, newest first, with how many codes were used where that may be shown.
pub async fn batches(
    store: &impl OneTimeStore,
    issuer: Issuer<'_>,
    p: &Principal,
    unit: UnitId,
) -> Result<Vec<BatchView>, AdminError> {
    let scope = writable(p)?;
    store
        .unit_employees(scope.as_deref(), unit, Channel::UNSPECIFIED)
        .await?
        .ok_or(AdminError::NotFound("unit"))?;
    let mut views = store.batches(scope.as_deref(), unit).await?;
    count_used(
        store,
        issuer.ring,
        issuer.shard,
        issuer.min_votes,
        &mut views,
        None,
    )
    .await?;
    Ok(views)
}

/// Revokes every unused code of the batch at once (a lost pack of tickets).
pub async fn revoke(
    store: &impl OneTimeStore,
    p: &Principal,
    batch: i64,
    now: Timestamp,
) -> Result<(), AdminError> {
    let scope = writable(p)?;
    let view = store
        .batch(scope.as_deref(), batch)
        .await?
        .ok_or(AdminError::NotFound("batch"))?;
    if view.revoked_at.is_some() {
        return Err(AdminError::Conflict("this batch is already revoked"));
    }
    let audit = Audit {
        at: now,
        account: Some(p.account),
        actor: p.actor(),
        action: "one_time_codes_revoked",
        object: format!("one_time_batch:{batch}"),
        detail: "{}".into(),
    };
    if store.revoke_batch(scope.as_deref(), batch, &audit).await? {
        Ok(())
    } else {
        Err(AdminError::Conflict("this batch is already revoked"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn employee(n: i64) -> EmployeeId {
        EmployeeId::parse(n).unwrap()
    }

    #[test]
    fn an_empty_request_is_one_queue_ticket_per_employee_for_ninety_days() {
        let r = BatchRequest::parse(&BatchIn::default()).unwrap();
        assert_eq!(r.per_employee, 1);
        assert_eq!(r.channel, Channel::SERVICE_WINDOW);
        assert_eq!(r.valid_days, 90);
        assert_eq!((r.employees, r.document, r.direction), (None, None, None));
    }

    #[test]
    fn bad_fields_are_named() {
        let cases: [(BatchIn, &str); 8] = [
            (
                BatchIn {
                    per_employee: Some(0),
                    ..Default::default()
                },
                "per_employee",
            ),
            (
                BatchIn {
                    per_employee: Some(201),
                    ..Default::default()
                },
                "per_employee",
            ),
            (
                BatchIn {
                    channel: Some(256),
                    ..Default::default()
                },
                "channel",
            ),
            (
                BatchIn {
                    employees: Some(vec![]),
                    ..Default::default()
                },
                "employees",
            ),
            (
                BatchIn {
                    employees: Some(vec![0]),
                    ..Default::default()
                },
                "employees",
            ),
            (
                BatchIn {
                    document: Some("№ 1\n2".into()),
                    ..Default::default()
                },
                "document",
            ),
            (
                BatchIn {
                    valid_days: Some(366),
                    ..Default::default()
                },
                "valid_days",
            ),
            (
                BatchIn {
                    direction: Some(-1),
                    ..Default::default()
                },
                "direction",
            ),
        ];
        for (raw, field) in cases {
            match BatchRequest::parse(&raw) {
                Err(AdminError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{raw:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_document_number_is_trimmed_and_kept() {
        let raw = BatchIn {
            document: Some("  № 12/3-45 від 20.11.2026 ".into()),
            ..Default::default()
        };
        let r = BatchRequest::parse(&raw).unwrap();
        assert_eq!(r.document.as_deref(), Some("№ 12/3-45 від 20.11.2026"));
    }

    #[test]
    fn only_employees_of_the_unit_get_codes() {
        let unit = [(employee(1), 0), (employee(2), 7)];
        let mut r = BatchRequest::parse(&BatchIn::default()).unwrap();
        assert_eq!(plan(&r, &unit).unwrap(), vec![employee(1), employee(2)]);
        r.employees = Some(vec![employee(2)]);
        assert_eq!(plan(&r, &unit).unwrap(), vec![employee(2)]);
        r.employees = Some(vec![employee(3)]);
        assert!(matches!(
            plan(&r, &unit),
            Err(AdminError::Invalid {
                field: "employees",
                ..
            })
        ));
        r.employees = None;
        assert!(matches!(plan(&r, &[]), Err(AdminError::Conflict(_))));
    }

    #[test]
    fn a_batch_past_the_last_serial_is_refused() {
        let r = BatchRequest {
            per_employee: 10,
            ..BatchRequest::parse(&BatchIn::default()).unwrap()
        };
        assert!(plan(&r, &[(employee(1), 65_525)]).is_ok());
        assert!(matches!(
            plan(&r, &[(employee(1), 65_526)]),
            Err(AdminError::Exhausted)
        ));
    }

    fn view(codes: i64, document: Option<&str>) -> BatchView {
        BatchView {
            id: 1,
            unit_id: UnitId::parse(1).unwrap(),
            unit: String::new(),
            channel: Channel::SERVICE_WINDOW,
            direction_id: None,
            document: document.map(str::to_owned),
            codes,
            used: None,
            used_withheld: None,
            legacy_used: 0,
            issued_by: String::new(),
            issued_at: 0,
            expires_at: 0,
            revoked_at: None,
        }
    }

    #[test]
    fn used_counts_are_withheld_for_letters_and_small_batches() {
        assert_eq!(used_withheld(&view(1, None), 10), Some("few_codes"));
        assert_eq!(used_withheld(&view(9, None), 10), Some("few_codes"));
        assert_eq!(used_withheld(&view(10, None), 10), None);
        assert_eq!(
            used_withheld(&view(500, Some("№ 12/3")), 10),
            Some("document"),
            "a letter's batch names its addressee whatever its size"
        );
    }

    proptest! {
        #[test]
        fn a_planned_batch_stays_within_its_bounds(per in 1u32..=200, staff in 0usize..40, last in 0i64..=65_535) {
            let unit: Vec<(EmployeeId, i64)> = (1..=staff as i64).map(|n| (employee(n), last)).collect();
            let r = BatchRequest { per_employee: per, ..BatchRequest::parse(&BatchIn::default()).unwrap() };
            match plan(&r, &unit) {
                Ok(chosen) => {
                    prop_assert_eq!(chosen.len(), staff);
                    prop_assert!(staff * per as usize <= MAX_CODES);
                    prop_assert!(last + i64::from(per) <= MAX_SERIAL);
                }
                Err(_) => prop_assert!(staff == 0 || staff * per as usize > MAX_CODES || last + i64::from(per) > MAX_SERIAL),
            }
        }
    }
}
