//! What the directory (`crate::directory`: search, the organisation-wide employee list and
//! issuing missing codes in bulk) needs from storage. Every method takes the caller's scope;
//! what lies outside it is answered as if it did not exist.

#![allow(async_fn_in_trait)]

use crate::account::Scope;
use crate::admin::store::Audit;
use crate::org::{Channel, EmployeeId, UnitId};
use crate::store::StoreError;
use serde::Serialize;

/// Where an employee stands with their code on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QrStatus {
    /// A current (unrevoked) code: a printed poster works.
    Active,
    /// Codes were issued, every one is revoked: the poster on the desk no longer works.
    Revoked,
    /// Never issued.
    None,
}

impl QrStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QrStatus::Active => "active",
            QrStatus::Revoked => "revoked",
            QrStatus::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<QrStatus> {
        match s {
            "active" => Some(QrStatus::Active),
            "revoked" => Some(QrStatus::Revoked),
            "none" => Some(QrStatus::None),
            _ => None,
        }
    }
}

/// An employee as the list and the search show them: with their unit and code status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedEmployee {
    pub id: EmployeeId,
    pub name: String,
    pub position: String,
    pub unit_id: UnitId,
    pub unit_name: String,
    pub active: bool,
    pub qr: QrStatus,
}

/// A unit a search found, with its parent's name to tell namesakes apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundUnit {
    pub id: UnitId,
    pub name: String,
    pub parent_name: Option<String>,
    pub active: bool,
}

/// Which employees a list asks for. `name` is already folded (`directory::search_key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeFilter {
    pub name: Option<String>,
    pub status: Option<QrStatus>,
    /// Only this unit's subtree.
    pub unit: Option<UnitId>,
    pub channel: Channel,
    pub limit: u32,
    pub offset: u32,
}

/// One page of the list and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeePage {
    pub employees: Vec<ListedEmployee>,
    pub total: u32,
}

/// The employees a bulk issue is for: the active ones of `unit` (and its subtree when
/// `subtree`), only those of `employees` when given, without a current code on `channel`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub unit: UnitId,
    pub subtree: bool,
    pub employees: Option<Vec<EmployeeId>>,
    pub channel: Channel,
}

/// A code a bulk issue wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BulkCode {
    pub employee_id: EmployeeId,
    pub issue: u16,
}

/// An employee left off a unit's posters: active, with no current code on the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncoded {
    pub employee: EmployeeId,
    pub name: String,
    pub unit_name: String,
}

pub trait DirectoryStore {
    /// Employees in `scope` matching `filter`, by name, one page.
    async fn list_employees(
        &self,
        scope: &Scope,
        filter: &EmployeeFilter,
    ) -> Result<EmployeePage, StoreError>;
    /// Units in `scope` whose folded name contains `key`, at most `limit`.
    async fn find_units(
        &self,
        scope: &Scope,
        key: &str,
        limit: u32,
    ) -> Result<Vec<FoundUnit>, StoreError>;
    /// In one batch: issues the next code, signed with `key_id`, to at most `limit` of the
    /// employees `missing` names (lowest ids first), writes `audit` only if any was issued,
    /// and counts those still missing after it. Employees outside `scope` are never touched;
    /// one statement both chooses and writes, so a retry or a concurrent request finds
    /// nothing left to issue rather than issuing twice.
    async fn issue_missing(
        &self,
        scope: &Scope,
        missing: &Missing,
        key_id: u8,
        limit: u32,
        audit: &Audit,
    ) -> Result<(Vec<BulkCode>, u32), StoreError>;
    /// Active employees of `unit`'s subtree, in `scope`, without a current code on
    /// `channel`, by unit and name, at most `limit`.
    async fn uncoded(
        &self,
        scope: &Scope,
        unit: UnitId,
        channel: Channel,
        limit: u32,
    ) -> Result<Vec<Uncoded>, StoreError>;
}
