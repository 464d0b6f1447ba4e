//! The Queue consumer (`VOTE_QUEUE`, docs/scale.md), in the citizen worker: it writes each
//! batch of queued votes in one D1 batch with the same statements as the direct write.

use super::d1::D1Store;
use super::{binding_names, setting};
use crate::clock::Timestamp;
use crate::shard::{Destination, ShardMap};
use crate::store::record::QueuedVote;
use crate::store::Recorded;
use std::collections::BTreeMap;
use worker::{
    console_error, console_log, event, Context, Date, Env, MessageBatch, MessageExt,
    QueueRetryOptionsBuilder, RawMessage,
};

/// A message whose write failed is delivered again after this long: D1's transient errors
/// and a busy writer pass within seconds.
const RETRY_DELAY_SECONDS: u32 = 5;

/// `HOME_SHARD` and the shards bound as `DB_SHARD_<n>`, from the names of every binding. The
/// queue consumer's own reading (requests and crons use `config`): it writes votes already
/// accepted, which no other setting concerns, so a setting broken since does not hold them.
fn shard_map(env: &Env) -> std::result::Result<ShardMap, String> {
    let names = binding_names(env);
    ShardMap::parse(
        setting(env, "HOME_SHARD").as_deref(),
        names.iter().map(String::as_str),
    )
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
