//! Receipts. The thank-you page shows a short random receipt. Each month's close publishes the
//! root of a Merkle tree over the counted votes' receipts with the totals, and anyone holding a
//! receipt can ask for the path from it to that root and check it themselves.
//!
//! A receipt is 50 random bits, shown as ten Crockford base32 symbols (`7KQ2M-9XH4D`). Only its
//! SHA-256 (under a context string) is stored, with the vote, so the database cannot print
//! anyone's receipt. The receipt says nothing about who voted or how: the tree's leaves are
//! hashes of random numbers, and the check answers only whether the receipt is among the
//! counted votes of its month. It is given for every stored vote, counted or not, so the
//! answer at the vote is the same; a month later a stuffer could learn that their own receipts
//! were not counted, which tells them what the published rules already say.

use sha2::{Digest, Sha256};

use crate::token::ALPHABET;
const SYMBOLS: usize = 10;
const CONTEXT: &[u8] = b"civicrate/receipt/v1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt(String);

impl Receipt {
    /// From 7 random bytes (the top 50 bits are used).
    pub fn from_random(bytes: [u8; 7]) -> Receipt {
        let mut n = bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b)) >> 6;
        let mut symbols = [0u8; SYMBOLS];
        for s in symbols.iter_mut().rev() {
            *s = ALPHABET.get((n & 31) as usize).copied().unwrap_or(b'0');
            n >>= 5;
        }
        Receipt(symbols.iter().map(|b| char::from(*b)).collect())
    }

    /// As typed: case, hyphens, spaces and the misread letters O, I and L are forgiven.
    pub fn parse(text: &str) -> Option<Receipt> {
        crate::token::canonical_crockford(text, SYMBOLS).map(Receipt)
    }

    /// `XXXXX-XXXXX`, as the thank-you page shows it.
    pub fn display(&self) -> String {
        let (a, b) = self.0.split_at(SYMBOLS / 2);
        format!("{a}-{b}")
    }

    /// What the database keeps: SHA-256 of the context and the receipt, in hex.
    pub fn stored_hash(&self) -> String {
        hex(&Sha256::new()
            .chain_update(CONTEXT)
            .chain_update(self.0.as_bytes())
            .finalize()
            .into())
    }
}

pub fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A leaf: the stored hash, hashed again under a leaf prefix (so no inner node can pose as a
/// leaf).
pub fn leaf(stored: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update([0u8])
        .chain_update(stored)
        .finalize()
        .into()
}

fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    Sha256::new()
        .chain_update([1u8])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// The next level up; an odd last node is carried up unchanged.
fn level_up(level: &[[u8; 32]]) -> Vec<[u8; 32]> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [l, r] => node(l, r),
            [only] => *only,
            _ => [0u8; 32],
        })
        .collect()
}

/// The root over `leaves` (in the order given: the month's stored hashes sorted); `None` for
/// none.
pub fn root(leaves: &[[u8; 32]]) -> Option<[u8; 32]> {
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level_up(&level);
    }
    level.first().copied()
}

/// One step of a path: the sibling's hash and whether it sits on the left.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    pub left: bool,
    pub hash: String,
}

/// The path from leaf `index` to the root.
pub fn proof(leaves: &[[u8; 32]], mut index: usize) -> Vec<Step> {
    let mut level = leaves.to_vec();
    let mut path = Vec::new();
    while level.len() > 1 {
        let sibling = index ^ 1;
        if let Some(h) = level.get(sibling) {
            path.push(Step {
                left: sibling < index,
                hash: hex(h),
            });
        }
        level = level_up(&level);
        index /= 2;
    }
    path
}

/// Every level of the tree, leaves first and the root last: what the monthly close stores, so
/// that a proof reads one node per level instead of the whole month.
pub fn levels(leaves: &[[u8; 32]]) -> Vec<Vec<[u8; 32]>> {
    let mut out = vec![leaves.to_vec()];
    while out.last().is_some_and(|l| l.len() > 1) {
        let next = out.last().map(|l| level_up(l)).unwrap_or_default();
        out.push(next);
    }
    out
}

/// The nodes a proof for leaf `index` of `n` needs, as (level, index, sibling is on the
/// left), bottom up: one per level at most, so log2(n) rows.
pub fn proof_positions(n: u64, mut index: u64) -> Vec<(u32, u64, bool)> {
    let mut size = n;
    let mut level = 0u32;
    let mut out = Vec::new();
    while size > 1 {
        let sibling = index ^ 1;
        if sibling < size {
            out.push((level, sibling, sibling < index));
        }
        size = size.div_ceil(2);
        index /= 2;
        level += 1;
    }
    out
}

/// Recomputes the root from a leaf and its path: what anyone can do with a receipt.
pub fn verify(leaf: [u8; 32], path: &[Step], root: &[u8; 32]) -> bool {
    let mut h = leaf;
    for step in path {
        let Some(sibling) = unhex(&step.hash) else {
            return false;
        };
        h = if step.left {
            node(&sibling, &h)
        } else {
            node(&h, &sibling)
        };
    }
    &h == root
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_read_back_as_typed_and_only_their_hash_is_kept() {
        let r = Receipt::from_random([0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0x45]);
        let shown = r.display();
        assert_eq!(shown.len(), 11);
        assert_eq!(Receipt::parse(&shown.to_lowercase()), Some(r.clone()));
        assert_eq!(Receipt::parse(&shown.replace('-', " ")), Some(r.clone()));
        assert_eq!(r.stored_hash().len(), 64);
        assert!(!r.stored_hash().contains(&r.0.to_lowercase()));
        for bad in ["", "12345", "12345-678901", "UUUUU-UUUUU", "ЖЖЖЖЖ-ЖЖЖЖЖ"] {
            assert_eq!(Receipt::parse(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_leaf_has_a_path_to_the_root_and_no_other_leaf_fits_it(
            seeds in proptest::collection::vec(proptest::prelude::any::<[u8; 32]>(), 1..80),
            pick in 0usize..80,
        ) {
            let mut stored = seeds.clone();
            stored.sort();
            stored.dedup();
            let leaves: Vec<[u8; 32]> = stored.iter().map(leaf).collect();
            let r = root(&leaves).unwrap();
            let i = pick % leaves.len();
            let path = proof(&leaves, i);
            proptest::prop_assert!(verify(leaves[i], &path, &r));
            let all = levels(&leaves);
            proptest::prop_assert_eq!(all.last().and_then(|l| l.first()), Some(&r));
            let from_levels: Vec<Step> = proof_positions(leaves.len() as u64, i as u64)
                .into_iter()
                .map(|(level, at, left)| Step { left, hash: hex(&all[level as usize][at as usize]) })
                .collect();
            proptest::prop_assert_eq!(&from_levels, &path, "the stored levels give the same path");
            let stranger = leaf(&[0xAB; 32]);
            if !stored.contains(&[0xAB; 32]) {
                proptest::prop_assert!(!verify(stranger, &path, &r));
            }
        }
    }
}
