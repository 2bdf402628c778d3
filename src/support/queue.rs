//! A queue of timed items: the earliest first, ties in the order they were pushed.
//!
//! Owns the ordering both drivers rely on — the sim engine's event queue and the live engine's
//! precise timer — so that equal times never reorder and a seed stays byte-identical. It knows
//! nothing of what the times or items mean.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<K, T> {
    at: K,
    seq: u64,
    item: T,
}

impl<K: Ord, T> PartialEq for Entry<K, T> {
    fn eq(&self, o: &Self) -> bool {
        self.at == o.at && self.seq == o.seq
    }
}
impl<K: Ord, T> Eq for Entry<K, T> {}
impl<K: Ord, T> PartialOrd for Entry<K, T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<K: Ord, T> Ord for Entry<K, T> {
    fn cmp(&self, o: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap, we want the earliest first.
        o.at.cmp(&self.at).then(o.seq.cmp(&self.seq))
    }
}

/// Items due at times `K`, popped earliest first, first-in first-out among equal times.
pub struct TimedQueue<K, T> {
    heap: BinaryHeap<Entry<K, T>>,
    seq: u64,
}

impl<K: Ord + Copy, T> Default for TimedQueue<K, T> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<K: Ord + Copy, T> TimedQueue<K, T> {
    /// An empty queue with room for `n` items.
    pub fn with_capacity(n: usize) -> Self {
        TimedQueue { heap: BinaryHeap::with_capacity(n), seq: 0 }
    }

    /// Adds `item`, due at `at`.
    pub fn push(&mut self, at: K, item: T) {
        self.seq += 1;
        self.heap.push(Entry { at, seq: self.seq, item });
    }

    /// Removes the earliest item.
    pub fn pop(&mut self) -> Option<(K, T)> {
        self.heap.pop().map(|e| (e.at, e.item))
    }

    /// How many items are queued.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// When the earliest item is due.
    pub fn peek_at(&self) -> Option<K> {
        self.heap.peek().map(|e| e.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_ties_in_push_order() {
        let mut q = TimedQueue::default();
        for (at, item) in [(5, 'a'), (1, 'b'), (5, 'c'), (1, 'd'), (3, 'e')] {
            q.push(at, item);
        }
        assert_eq!(q.peek_at(), Some(1));
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, i)| i)).collect();
        assert_eq!(order, ['b', 'd', 'e', 'a', 'c']);
    }
}
