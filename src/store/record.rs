//! A vote as D1 writes it: plain values only, so the same statements serve the direct write
//! and the Queue's consumer, and the Queue's message needs no domain types to travel.

use super::NewVote;
use crate::token::CodeKind;
use serde::{Deserialize, Serialize};

/// Every value `record_vote` binds. Carries no address, user agent or token: only the
/// day's keyed hashes and the code's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteRecord {
    pub shard: u8,
    pub employee: u32,
    pub channel: u8,
    pub issue: u16,
    pub score: u8,
    pub comment: Option<String>,
    pub contact: Option<String>,
    /// (criterion id, score).
    pub criteria: Vec<(i64, u8)>,
    pub lang: String,
    pub source: String,
    pub client_hash: String,
    pub client_key: String,
    /// Messages from before screening by network read as an empty hash, stored as NULL: such
    /// a vote is screened by its times only.
    #[serde(default)]
    pub network_hash: String,
    pub daily_limit: u32,
    pub flag: Option<String>,
    pub office_units: Vec<u32>,
    pub receipt_hash: String,
    /// Cast with a one-time code: the write marks the code used and refuses a used one. Such
    /// votes never travel the Queue (the citizen must learn at once that a code was used), so
    /// messages from before this field existed read as `false`.
    #[serde(default)]
    pub one_time: bool,
    /// Unix seconds of the vote's arrival at the worker, not of its write.
    pub at: i64,
}

impl VoteRecord {
    pub fn of(vote: &NewVote<'_>) -> VoteRecord {
        VoteRecord {
            shard: vote.claims.shard,
            employee: vote.claims.employee.get(),
            channel: vote.claims.channel.get(),
            issue: vote.claims.issue,
            score: vote.ballot.score.get(),
            comment: vote.ballot.comment.as_ref().map(|c| c.as_str().to_owned()),
            contact: vote.ballot.contact.as_ref().map(|c| c.as_str().to_owned()),
            criteria: vote
                .ballot
                .criteria
                .iter()
                .map(|(id, s)| (*id, s.get()))
                .collect(),
            lang: vote.lang.code().to_owned(),
            source: vote.source.as_str().to_owned(),
            client_hash: vote.client_hash.to_owned(),
            client_key: vote.client_key.to_owned(),
            network_hash: vote.network_hash.to_owned(),
            daily_limit: vote.daily_limit,
            flag: vote.flag.map(|f| f.as_str().to_owned()),
            office_units: vote.office_units.iter().map(|u| u.get()).collect(),
            receipt_hash: vote.receipt_hash.to_owned(),
            one_time: vote.claims.kind == CodeKind::OneTime,
            at: vote.at.unix_seconds(),
        }
    }

    /// The UTC day of arrival, which the daily limit counts in.
    pub fn day(&self) -> String {
        crate::clock::Timestamp::from_unix_seconds(self.at).utc_day()
    }
}

/// A vote on the Queue. Queues deliver at least once: the consumer writes `key` in the same
/// D1 batch as the vote, so a second delivery finds it and writes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedVote {
    /// 128 random bits in hex, made once per vote by the worker that answered the citizen.
    pub key: String,
    pub vote: VoteRecord,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::org::{Channel, EmployeeId, UnitId};
    use crate::store::Source;
    use crate::token::Claims;
    use crate::voting::vote::Ballot;

    #[test]
    fn a_queued_vote_survives_the_trip_through_json_unchanged_and_carries_no_address() {
        let scale = crate::scale::Scale::default_three();
        let ballot = Ballot::parse(Some(3), "Дякую", "+380 44 123 45 67", &[], &scale).unwrap();
        let claims = Claims {
            shard: 7,
            employee: EmployeeId::parse(42).unwrap(),
            channel: Channel::DESK,
            issue: 2,
            kind: crate::token::CodeKind::Standing,
        };
        let units = [UnitId::parse(5).unwrap()];
        let vote = NewVote {
            claims: &claims,
            ballot: &ballot,
            lang: Lang::Uk,
            source: Source::Api,
            client_hash: "hash",
            client_key: "key",
            network_hash: "network",
            daily_limit: 20,
            flag: None,
            office_units: &units,
            receipt_hash: "receipt",
            at: crate::clock::Timestamp::from_unix_seconds(86_400 * 3 + 5),
        };
        let queued = QueuedVote {
            key: "00ff".into(),
            vote: VoteRecord::of(&vote),
        };
        let json = serde_json::to_string(&queued).unwrap();
        assert_eq!(serde_json::from_str::<QueuedVote>(&json).unwrap(), queued);
        assert_eq!(queued.vote.shard, 7);
        assert_eq!(queued.vote.office_units, vec![5]);
        assert_eq!(queued.vote.day(), "1970-01-04");
    }
}
