//! The optional Queue path (`VOTE_QUEUE`, docs/scale.md). The worker that answers the citizen
//! runs every check that needs no write, then puts the vote on the Queue; the consumer below
//! writes each batch of messages in one D1 batch with the same statements as the direct write.

use super::d1::D1Store;
use crate::integrity::Cidr;
use crate::org::{EmployeeId, UnitId};
use crate::scale::Scale;
use crate::store::record::{QueuedVote, VoteRecord};
use crate::store::{CodeHolder, CodeStatus, NewVote, Recorded, ScoreCounts, Store, StoreError};
use crate::token::{Claims, CodeKind};
use worker::Queue;

/// Keys are kept longer than the Queue keeps a message (14 days at most), so any redelivery
/// still finds its key.
pub(crate) const KEY_RETENTION_SECONDS: i64 = 15 * 86_400;

/// The shard's store, with the vote's write replaced by a message on the Queue.
pub(crate) struct QueuedStore<'a> {
    pub store: &'a D1Store,
    pub queue: &'a Queue,
    /// `SIMULATED_REDELIVERY = "on"` (local runs only): each vote is sent twice, as an
    /// at-least-once Queue may deliver it, so tests can see the second delivery written once.
    pub twice: bool,
}

impl Store for QueuedStore<'_> {
    async fn code_holder(&self, claims: &Claims) -> Result<Option<CodeHolder>, StoreError> {
        self.store.code_holder(claims).await
    }

    async fn scale(&self) -> Result<Scale, StoreError> {
        self.store.scale().await
    }

    async fn record_vote(&self, vote: &NewVote<'_>) -> Result<Recorded, StoreError> {
        // A one-time code's vote is always written at once: only the write can tell, under a
        // race, whether the code was already used, and the citizen must hear that now.
        if vote.claims.kind == CodeKind::OneTime {
            return self.store.record_vote(vote).await;
        }
        // The direct insert checks the code itself; here the citizen is answered before the
        // write, so a revoked code must be refused now, with a read.
        match self.store.code_holder(vote.claims).await? {
            Some(holder) if holder.status == CodeStatus::Current => {}
            _ => return Ok(Recorded::NotStored),
        }
        let message = QueuedVote {
            key: random_key(),
            vote: VoteRecord::of(vote),
        };
        // A JSON string, so that a message the consumer cannot read is still a message it can
        // retry towards the dead-letter queue rather than a batch it cannot open.
        let body = serde_json::to_string(&message)
            .map_err(|e| StoreError::Corrupt(format!("queued vote: {e}")))?;
        for _ in 0..if self.twice { 2 } else { 1 } {
            self.queue
                .send(body.clone())
                .await
                .map_err(|e| StoreError::Unavailable(format!("vote queue: {e}")))?;
        }
        Ok(Recorded::Stored)
    }

    async fn client_salt(&self, day: &str, candidate: &str) -> Result<String, StoreError> {
        self.store.client_salt(day, candidate).await
    }

    async fn forget_salts_before(&self, day: &str) -> Result<u32, StoreError> {
        self.store.forget_salts_before(day).await
    }

    async fn office_networks(&self) -> Result<Vec<(UnitId, Cidr)>, StoreError> {
        self.store.office_networks().await
    }

    async fn forget_contacts_before(&self, before: i64) -> Result<u32, StoreError> {
        self.store.forget_contacts_before(before).await
    }

    async fn unit_form(
        &self,
        unit: UnitId,
    ) -> Result<Option<(String, Vec<(EmployeeId, String, String, u16)>)>, StoreError> {
        self.store.unit_form(unit).await
    }

    async fn score_counts(
        &self,
        employee: EmployeeId,
        start: i64,
        end: i64,
    ) -> Result<Option<ScoreCounts>, StoreError> {
        self.store.score_counts(employee, start, end).await
    }
}

fn random_key() -> String {
    let mut bytes = [0u8; 16];
    // crypto.getRandomValues does not fail for 16 bytes.
    let _ = getrandom::fill(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
