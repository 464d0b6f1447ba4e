//! `PublicStore` and `ReceiptTreeStore` on any `Database` (D1 in the worker, SQLite in tests):
//! the stored public pages and receipt trees.

use super::sql;
use super::{EmployeeIn, PublicStore, ReceiptTreeStore, Source, UnitIn};
use crate::results::store::Digest;
use crate::store::db::{nth, stmt, Database, Outcome};
use crate::store::sql as shared;
use crate::store::statement::Arg;
use crate::store::StoreError;
use serde::Deserialize;

/// Nodes per insert: a JSON array of about 550 KB, well under D1's 2 MB per value, so that a
/// month of 100,000 receipts is about 25 statements in one batch.
const NODES_PER_STATEMENT: usize = 8192;
/// Pages per insert, for the same reason (a page is a few KB).
const PAGE_BYTES_PER_STATEMENT: usize = 512 * 1024;

/// D1's `meta.rows_read` of a set of results: what a request cost.
fn rows_read(results: &[Outcome]) -> u64 {
    results.iter().map(|r| r.rows_read).sum()
}

impl<D: Database> PublicStore for D {
    async fn public_source(&self, month: &str) -> Result<Source, StoreError> {
        Ok(Source {
            units: self.rows::<UnitIn>(stmt(sql::PUBLIC_UNITS, [])).await?,
            employees: self
                .rows::<EmployeeIn>(stmt(sql::PUBLIC_EMPLOYEES, []))
                .await?,
            unit_rows: self
                .rows(stmt(sql::PUBLIC_UNIT_ROWS, vec![Arg::text(month)]))
                .await?,
            employee_rows: self
                .rows(stmt(shared::MONTH_EMPLOYEE_ROWS, vec![Arg::text(month)]))
                .await?,
        })
    }

    async fn save_public(
        &self,
        month: &str,
        pages: &[(i64, String)],
        version: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut statements = vec![stmt(sql::CLEAR_PUBLIC_RESULTS, vec![Arg::text(month)])];
        let mut chunk: Vec<serde_json::Value> = Vec::new();
        let mut bytes = 0;
        for (i, (unit, body)) in pages.iter().enumerate() {
            bytes += body.len();
            chunk.push(serde_json::json!([unit, body]));
            if bytes >= PAGE_BYTES_PER_STATEMENT || i + 1 == pages.len() {
                let json = serde_json::Value::Array(std::mem::take(&mut chunk)).to_string();
                statements.push(stmt(
                    sql::INSERT_PUBLIC_RESULTS,
                    vec![Arg::text(month), Arg::text(&json)],
                ));
                bytes = 0;
            }
        }
        statements.push(stmt(
            sql::SAVE_PUBLIC_VERSION,
            vec![Arg::text(month), Arg::text(version), Arg::num(now as f64)],
        ));
        self.transaction(statements).await?;
        Ok(())
    }

    async fn public_page(&self, month: &str, unit: i64) -> Result<Option<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            body: String,
        }
        let row: Option<Row> = self
            .first(stmt(
                sql::PUBLIC_PAGE,
                vec![Arg::text(month), Arg::num(unit as f64)],
            ))
            .await?;
        Ok(row.map(|r| r.body))
    }

    async fn public_pages(&self, month: &str) -> Result<Vec<(i64, String)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            unit_id: i64,
            body: String,
        }
        let rows: Vec<Row> = self
            .rows(stmt(sql::PUBLIC_PAGES, vec![Arg::text(month)]))
            .await?;
        Ok(rows.into_iter().map(|r| (r.unit_id, r.body)).collect())
    }

    async fn public_version(&self, month: &str) -> Result<Option<(String, i64)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            version: String,
            made_at: i64,
        }
        let row: Option<Row> = self
            .first(stmt(sql::PUBLIC_VERSION, vec![Arg::text(month)]))
            .await?;
        Ok(row.map(|r| (r.version, r.made_at)))
    }

    async fn months_without_pages(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            month: String,
        }
        let rows: Vec<Row> = self
            .rows(stmt(sql::MONTHS_WITHOUT_PAGES, vec![Arg::num(limit)]))
            .await?;
        Ok(rows.into_iter().map(|r| r.month).collect())
    }

    async fn renew_public_versions(&self, stamp: i64) -> Result<(), StoreError> {
        self.run(stmt(
            sql::RENEW_PUBLIC_VERSIONS,
            vec![Arg::text(&stamp.to_string())],
        ))
        .await
    }
}

impl<D: Database> ReceiptTreeStore for D {
    async fn save_receipt_tree(
        &self,
        levels: &[Vec<String>],
        digest: &Digest,
    ) -> Result<(), StoreError> {
        let month = digest.month.as_str();
        let mut statements = vec![stmt(sql::CLEAR_RECEIPT_TREE, vec![Arg::text(month)])];
        for (level, nodes) in levels.iter().enumerate() {
            for (i, chunk) in nodes.chunks(NODES_PER_STATEMENT).enumerate() {
                let json =
                    serde_json::to_string(chunk).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                statements.push(stmt(
                    sql::INSERT_RECEIPT_NODES,
                    vec![
                        Arg::text(month),
                        Arg::num(level as f64),
                        Arg::num((i * NODES_PER_STATEMENT) as f64),
                        Arg::text(&json),
                    ],
                ));
            }
        }
        // The digest last, in the same batch: a published root always has its whole tree.
        statements.push(stmt(
            shared::SAVE_DIGEST,
            vec![
                Arg::text(month),
                Arg::text(&digest.root),
                Arg::num(digest.counted as f64),
                Arg::num(digest.made_at as f64),
            ],
        ));
        self.transaction(statements).await?;
        Ok(())
    }

    async fn receipt_leaf(&self, leaf: &str) -> Result<(Option<(u64, Digest)>, u64), StoreError> {
        #[derive(Deserialize)]
        struct Row {
            idx: f64,
            month: String,
            root: String,
            counted: f64,
            made_at: f64,
        }
        // As a batch of one: its outcome says what the check read.
        let r = self
            .transaction(vec![stmt(sql::RECEIPT_LEAF, vec![Arg::text(leaf)])])
            .await?;
        let read = rows_read(&r);
        let row = nth(&r, 0)?.first::<Row>()?;
        Ok((
            row.map(|r| {
                let digest = Digest {
                    month: r.month,
                    root: r.root,
                    counted: r.counted as i64,
                    made_at: r.made_at as i64,
                };
                (r.idx as u64, digest)
            }),
            read,
        ))
    }

    async fn receipt_nodes(
        &self,
        month: &str,
        wanted: &[(u32, u64)],
    ) -> Result<(Vec<(u32, u64, String)>, u64), StoreError> {
        #[derive(Deserialize)]
        struct Row {
            level: f64,
            idx: f64,
            hash: String,
        }
        let json = serde_json::to_string(wanted).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let r = self
            .transaction(vec![stmt(
                sql::RECEIPT_NODES,
                vec![Arg::text(month), Arg::text(&json)],
            )])
            .await?;
        let read = rows_read(&r);
        let rows = nth(&r, 0)?.read::<Row>()?;
        Ok((
            rows.into_iter()
                .map(|r| (r.level as u32, r.idx as u64, r.hash))
                .collect(),
            read,
        ))
    }

    async fn has_receipt_tree(&self, month: &str) -> Result<bool, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            #[allow(dead_code)]
            one: i64,
        }
        let row: Option<Row> = self
            .first(stmt(sql::HAS_RECEIPT_TREE, vec![Arg::text(month)]))
            .await?;
        Ok(row.is_some())
    }
}
