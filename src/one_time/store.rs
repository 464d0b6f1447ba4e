//! What one-time codes (`crate::one_time`) need from storage. `scope` is always the caller's
//! write scope as a SQL parameter (`None`: everything).

// Implemented by one store per runtime, in this crate only: no caller needs `Send` futures.
#![allow(async_fn_in_trait)]

use crate::account::AccountId;
use crate::admin::store::Audit;
use crate::clock::Timestamp;
use crate::org::{Channel, DirectionId, EmployeeId, UnitId};
use crate::store::StoreError;
use serde::Serialize;

/// A batch as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchView {
    pub id: i64,
    pub unit_id: UnitId,
    pub unit: String,
    pub channel: Channel,
    pub direction_id: Option<DirectionId>,
    pub document: Option<String>,
    pub codes: i64,
    /// Codes used, only where showing it cannot point at one citizen's vote
    /// (`one_time::used_count_shown`); `None` otherwise, with the reason in `used_withheld`.
    pub used: Option<i64>,
    pub used_withheld: Option<&'static str>,
    /// Codes marked used before migration 0017 (a flag on the code); part of `used`.
    #[serde(skip)]
    pub legacy_used: i64,
    pub issued_by: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// One code of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    pub employee_id: EmployeeId,
    pub name: String,
    pub position: String,
    pub serial: u16,
    pub key_id: u8,
}

/// A code of one of several batches, as much as its spent mark needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeKey {
    pub batch: i64,
    pub employee_id: EmployeeId,
    pub serial: u16,
    pub key_id: u8,
}

/// A batch to write: `per_employee` codes for each of `employees`, serials continuing from
/// each one's last on the channel.
#[derive(Debug, Clone)]
pub struct NewBatch<'a> {
    pub unit: UnitId,
    pub channel: Channel,
    pub direction: Option<DirectionId>,
    pub document: Option<&'a str>,
    pub employees: &'a [EmployeeId],
    pub per_employee: u32,
    pub codes: usize,
    pub key_id: u8,
    pub account: AccountId,
    pub at: Timestamp,
    pub expires_at: Timestamp,
}

pub trait OneTimeStore {
    /// The active employees of the active unit `unit` itself (not below it), each with the
    /// highest serial they have on `channel` (0 for none); `None` when the unit is not there.
    async fn unit_employees(
        &self,
        scope: Option<&str>,
        unit: UnitId,
        channel: Channel,
    ) -> Result<Option<Vec<(EmployeeId, i64)>>, StoreError>;
    /// Writes the batch, its codes and the audit line in one D1 batch; the new batch's id, or
    /// `None` when the unit left the scope or the direction does not exist.
    async fn insert_batch(
        &self,
        scope: Option<&str>,
        batch: &NewBatch<'_>,
        audit: &Audit,
    ) -> Result<Option<i64>, StoreError>;
    async fn batch(&self, scope: Option<&str>, id: i64) -> Result<Option<BatchView>, StoreError>;
    /// The codes of batch `id` (whose scope the caller checked with [`OneTimeStore::batch`]).
    async fn batch_codes(&self, id: i64) -> Result<Vec<CodeRow>, StoreError>;
    /// The codes of `batches` (whose scope the caller checked), for their spent marks.
    async fn code_keys(&self, batches: &[i64]) -> Result<Vec<CodeKey>, StoreError>;
    /// How many of `marks` (batch, spent mark) are in the spent set, per batch.
    async fn spent_counts(&self, marks: &[(i64, String)]) -> Result<Vec<(i64, i64)>, StoreError>;
    /// The unit's last 100 batches, newest first.
    async fn batches(
        &self,
        scope: Option<&str>,
        unit: UnitId,
    ) -> Result<Vec<BatchView>, StoreError>;
    /// Revokes the batch with its audit line; `false` when it already was.
    async fn revoke_batch(
        &self,
        scope: Option<&str>,
        id: i64,
        audit: &Audit,
    ) -> Result<bool, StoreError>;
}
