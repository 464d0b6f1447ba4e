//! The optional Queue path (`VOTE_QUEUE`, docs/scale.md). The worker that answers the citizen
//! runs every check that needs no write, then puts the vote on the Queue; the consumer below
//! writes each batch of messages in one D1 batch with the same statements as the direct write.

use super::d1::D1Store;
use super::shard_map;
use crate::clock::Timestamp;
use crate::integrity::Cidr;
use crate::org::{EmployeeId, UnitId};
use crate::scale::Scale;
use crate::shard::{Destination, ShardMap};
use crate::store::record::{QueuedVote, VoteRecord};
use crate::store::{CodeHolder, CodeStatus, NewVote, Recorded, ScoreCounts, Store, StoreError};
use crate::token::{Claims, CodeKind};
use std::collections::BTreeMap;
use worker::{
    console_error, console_log, event, Context, Date, Env, MessageBatch, MessageExt, Queue,
    QueueRetryOptionsBuilder, RawMessage,
};

/// A message whose write failed is delivered again after this long: D1's transient errors
/// and a busy writer pass within seconds.
const RETRY_DELAY_SECONDS: u32 = 5;

/// Keys are kept longer than the Queue keeps a message (14 days at most), so any redelivery
/// still finds its key.
pub(super) const KEY_RETENTION_SECONDS: i64 = 15 * 86_400;

/// The shard's store, with the vote's write replaced by a message on the Queue.
pub(super) struct QueuedStore<'a> {
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

fn retry_later(message: &RawMessage) {
    message.retry_with_options(
        &QueueRetryOptionsBuilder::new()
            .with_delay_seconds(RETRY_DELAY_SECONDS)
            .build(),
    );
}

/// What a batch came to, for one log line without addresses, tokens or keys.
#[derive(Default)]
struct Tally {
    stored: u32,
    not_stored: u32,
    over_limit: u32,
    again: u32,
    retried: u32,
}

impl Tally {
    fn add(&mut self, r: Recorded) {
        match r {
            Recorded::Stored => self.stored += 1,
            Recorded::NotStored => self.not_stored += 1,
            Recorded::OverLimit => self.over_limit += 1,
        }
    }
}

/// The consumer. It never returns an error: workers-rs would turn it into a panic, and every
/// message is either acknowledged once handled or retried, which after the Queue's
/// `max_retries` moves it to the dead-letter queue.
#[event(queue)]
async fn consume(batch: MessageBatch<String>, env: Env, _ctx: Context) -> worker::Result<()> {
    console_error_panic_hook::set_once();
    let started = Date::now().as_millis();
    let now = Timestamp::from_unix_millis(started);
    let shards = match shard_map(&env) {
        Ok(s) => s,
        Err(e) => {
            console_error!("queue: configuration error, batch retried: {e}");
            batch.retry_all();
            return Ok(());
        }
    };
    let mut tally = Tally::default();
    let mut by_shard: BTreeMap<u8, Vec<(RawMessage, QueuedVote)>> = BTreeMap::new();
    for message in batch.raw_iter() {
        let vote = message
            .body()
            .as_string()
            .and_then(|b| serde_json::from_str::<QueuedVote>(&b).ok());
        match vote {
            Some(v) => by_shard.entry(v.vote.shard).or_default().push((message, v)),
            None => {
                console_error!("queue: a message that is not a vote, retried");
                tally.retried += 1;
                retry_later(&message);
            }
        }
    }
    for (shard, messages) in by_shard {
        let Some(store) = shard_store(&env, &shards, shard, now) else {
            console_error!("queue: shard {shard} has no database here; its votes are retried");
            tally.retried += u32::try_from(messages.len()).unwrap_or(u32::MAX);
            messages.iter().for_each(|(m, _)| retry_later(m));
            continue;
        };
        write(&store, messages, &mut tally).await;
    }
    // The batch's wall time is the figure that says whether the consumer keeps up.
    let ms = Date::now().as_millis().saturating_sub(started);
    console_log!(
        "queue: {} votes stored, {} not stored (code no longer current), {} over the daily limit, {} delivered again, {} retried, in {ms} ms",
        tally.stored,
        tally.not_stored,
        tally.over_limit,
        tally.again,
        tally.retried
    );
    Ok(())
}

fn shard_store(env: &Env, shards: &ShardMap, shard: u8, now: Timestamp) -> Option<D1Store> {
    let binding = match shards.route(shard) {
        Destination::Home => String::from("DB"),
        Destination::Bound(n) => ShardMap::binding(n),
        Destination::Unbound => return None,
    };
    env.d1(&binding).ok().map(|db| D1Store::new(db, shard, now))
}

/// One D1 batch for all; if it fails (a message seen before, or D1 itself), one by one, so
/// that a vote written earlier is acknowledged and only what failed is retried.
async fn write(store: &D1Store, messages: Vec<(RawMessage, QueuedVote)>, tally: &mut Tally) {
    let votes: Vec<QueuedVote> = messages.iter().map(|(_, v)| v.clone()).collect();
    match store.record_queued(&votes).await {
        Ok(outcomes) => {
            for ((message, _), outcome) in messages.iter().zip(outcomes) {
                tally.add(outcome);
                message.ack();
            }
            return;
        }
        Err(e) if messages.len() > 1 => {
            console_error!(
                "queue: a batch of {} votes failed, written one by one: {e}",
                messages.len()
            )
        }
        Err(_) => {}
    }
    for (message, vote) in messages {
        match store.record_queued(std::slice::from_ref(&vote)).await {
            Ok(outcomes) => {
                outcomes.into_iter().for_each(|o| tally.add(o));
                message.ack();
            }
            Err(e) => match store.queued_key_written(&vote.key).await {
                Ok(true) => {
                    tally.again += 1;
                    message.ack();
                }
                _ => {
                    console_error!("queue: a vote's write failed, retried: {e}");
                    tally.retried += 1;
                    retry_later(&message);
                }
            },
        }
    }
}
