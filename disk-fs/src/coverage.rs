//! Which byte ranges of a file have had their durable content saved since
//! the last sync: a set of disjoint half-open intervals. Saving a byte once
//! (at its first change) is enough to restore it, so the undo data of a
//! file never exceeds its durable length however often it is rewritten.

use std::collections::BTreeMap;

/// Disjoint, non-adjacent half-open ranges `[start, end)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// start → end.
    ranges: BTreeMap<u64, u64>,
}

impl Coverage {
    /// The parts of `[start, end)` not covered yet, in order; they are
    /// covered afterwards.
    pub fn claim(&mut self, start: u64, end: u64) -> Vec<(u64, u64)> {
        if start >= end {
            return Vec::new();
        }
        let mut gaps = Vec::new();
        let mut at = start;
        // The range starting at or before `start` may reach into it.
        let first = self
            .ranges
            .range(..=start)
            .next_back()
            .map(|(&s, &e)| (s, e));
        let mut merged_start = start;
        let mut merged_end = end;
        if let Some((s, e)) = first {
            if e >= start {
                merged_start = s;
                merged_end = merged_end.max(e);
                at = at.max(e);
            }
        }
        let overlapping: Vec<(u64, u64)> = self
            .ranges
            .range(start..=end)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (s, e) in overlapping {
            if s > at {
                gaps.push((at, s.min(end)));
            }
            at = at.max(e);
            merged_end = merged_end.max(e);
            self.ranges.remove(&s);
        }
        if at < end {
            gaps.push((at, end));
        }
        self.ranges.remove(&merged_start);
        self.ranges.insert(merged_start, merged_end);
        gaps
    }

    /// Forgets everything (the file was synced).
    pub fn clear(&mut self) {
        self.ranges.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn claims_only_what_is_new() {
        let mut c = Coverage::default();
        assert_eq!(c.claim(10, 20), [(10, 20)]);
        assert_eq!(c.claim(15, 25), [(20, 25)]);
        assert_eq!(c.claim(0, 30), [(0, 10), (25, 30)]);
        assert!(c.claim(5, 28).is_empty());
        assert_eq!(c.claim(40, 50), [(40, 50)]);
        assert_eq!(c.claim(30, 40), [(30, 40)]);
        assert_eq!(c.ranges.len(), 1, "{:?}", c.ranges);
    }

    proptest! {
        /// Differential: against a bitmap of claimed bytes.
        #[test]
        fn matches_a_bitmap(claims in proptest::collection::vec((0u64..64, 0u64..16), 1..40)) {
            let mut c = Coverage::default();
            let mut bitmap = [false; 80];
            for (start, len) in claims {
                let end = start + len;
                let gaps = c.claim(start, end);
                let mut expected = Vec::new();
                for b in start..end {
                    if !bitmap[b as usize] {
                        expected.push(b);
                        bitmap[b as usize] = true;
                    }
                }
                let got: Vec<u64> = gaps.iter().flat_map(|&(s, e)| s..e).collect();
                prop_assert_eq!(got, expected);
            }
        }
    }
}
