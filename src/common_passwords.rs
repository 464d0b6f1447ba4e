//! The breached-password list that new passwords are checked against (NIST SP 800-63B
//! §5.1.1.2: refuse values from lists of commonly used or compromised passwords).
//!
//! The list is Django's `common-passwords.txt.gz` (Django 5.2.8 from PyPI, BSD-3-Clause,
//! © Django Software Foundation and individual contributors): the 20,000 most common passwords
//! of breach corpora, compiled by Royce Williams. `scripts/common-passwords.py` regenerates
//! `src/data/common-passwords.txt` from the wheel, keeping the 9,290 entries that can still
//! matter after the length rule (see there), lower-cased and sorted by bytes.
//!
//! It is embedded as one sorted, newline-separated blob and searched by bisecting byte
//! offsets: no index and no allocation, so it costs the WASM only its own bytes (75 KB raw,
//! about 31 KB gzipped) and a lookup about 14 comparisons.

const LIST: &[u8] = include_bytes!("data/common-passwords.txt");

/// Whether `word` (already lower-cased) is on the list.
pub fn contains(word: &str) -> bool {
    let needle = word.as_bytes();
    if needle.is_empty() || needle.contains(&b'\n') {
        return false;
    }
    // Invariant: every line starting before `lo` is < needle; every line starting at or
    // after `hi` is > needle. Both are line starts.
    let (mut lo, mut hi) = (0usize, LIST.len());
    while lo < hi {
        let mid = line_start(lo + (hi - lo) / 2, lo);
        let end = line_end(mid);
        let line = LIST.get(mid..end).unwrap_or_default();
        match line.cmp(needle) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => lo = end + 1,
            std::cmp::Ordering::Greater => hi = mid,
        }
    }
    false
}

/// The start of the line holding byte `at`, never before `floor` (itself a line start).
fn line_start(at: usize, floor: usize) -> usize {
    let before = LIST.get(floor..at).unwrap_or_default();
    before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(floor, |p| floor + p + 1)
}

/// The offset of the newline ending the line that starts at `start`.
fn line_end(start: usize) -> usize {
    let rest = LIST.get(start..).unwrap_or_default();
    rest.iter()
        .position(|&b| b == b'\n')
        .map_or(LIST.len(), |p| start + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> Vec<&'static [u8]> {
        LIST.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect()
    }

    #[test]
    fn the_list_is_sorted_unique_lower_case_and_newline_terminated() {
        let all = lines();
        assert_eq!(all.len(), 9_290);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(LIST.last(), Some(&b'\n'));
        for l in &all {
            let s = std::str::from_utf8(l).unwrap();
            assert_eq!(s, s.to_lowercase());
        }
    }

    #[test]
    fn every_entry_is_found_and_its_neighbours_are_not() {
        let all: std::collections::HashSet<&[u8]> = lines().into_iter().collect();
        for l in &all {
            let s = std::str::from_utf8(l).unwrap();
            assert!(contains(s), "{s}");
            assert!(!contains(&format!("{s}\u{1}")), "{s}+");
            let mut shorter = s.chars();
            shorter.next_back();
            let shorter = shorter.as_str();
            // A prefix is found only if it is an entry itself.
            assert_eq!(contains(shorter), all.contains(shorter.as_bytes()), "{s}");
        }
    }

    #[test]
    fn common_passwords_are_found_and_others_are_not() {
        for common in ["password", "sunshine", "qwertyuiop", "iloveyou"] {
            assert!(contains(common), "{common}");
        }
        for other in [
            "",
            "каштани цвітуть у травні",
            "correct horse battery",
            "\n",
            "zzzzzzzzzzzzzzzzzzzzzz",
            "\u{0}",
        ] {
            assert!(!contains(other), "{other:?}");
        }
    }
}
