//! A queue of timed items: the earliest first, ties in the order they were pushed.
//!
//! Owns the ordering both drivers rely on — the sim engine's event queue and the live engine's
//! precise timer — so that equal times never reorder and a seed stays byte-identical. It knows
//! nothing of what the times or items mean.

use crate::support::slots::Slots;

/// Children per node of the heap: a 4-ary heap is half as deep as a binary one, and its
/// children sit side by side in memory.
const ARITY: usize = 4;

/// Where an item is in the order: due at `at`; `seq` is its push order in the high bits and the
/// slot holding it in the bits under the queue's slot mask — one word, so a key of the sim's
/// microseconds is 16 bytes. The push order is unique, so the slot below it never decides an
/// order.
#[derive(Clone, Copy)]
pub struct Key<K> {
    at: K,
    seq: u64,
}

/// A time the queue orders by. Whether one key pops before another — earlier, or as early and
/// pushed first — is worked out without branches (which of a node's children is due first is a
/// coin toss to a branch predictor), as cheaply as the time's type allows.
pub trait Due: Ord + Copy {
    /// Whether `a` pops before `b`.
    fn before(a: &Key<Self>, b: &Key<Self>) -> bool;

    /// `b` when `take_b`, else `a`.
    #[inline(always)]
    fn choose(take_b: bool, a: Key<Self>, b: Key<Self>) -> Key<Self> {
        if take_b {
            b
        } else {
            a
        }
    }
}

/// Microseconds (the sim's virtual time): time and push order compared as one 128-bit number,
/// one compare-and-borrow; a key chosen by masks, field by field, so the choice is data the
/// processor computes alongside the next compare rather than an address it must wait for.
impl Due for u64 {
    #[inline(always)]
    fn before(a: &Key<u64>, b: &Key<u64>) -> bool {
        (u128::from(a.at) << 64 | u128::from(a.seq)) < (u128::from(b.at) << 64 | u128::from(b.seq))
    }

    #[inline(always)]
    fn choose(take_b: bool, a: Key<u64>, b: Key<u64>) -> Key<u64> {
        let m = u64::from(take_b).wrapping_neg();
        Key { at: a.at ^ ((a.at ^ b.at) & m), seq: a.seq ^ ((a.seq ^ b.seq) & m) }
    }
}

/// Wall-clock deadlines (the live engine's timer).
impl Due for std::time::Instant {
    #[inline(always)]
    fn before(a: &Key<Self>, b: &Key<Self>) -> bool {
        (a.at < b.at) | ((a.at == b.at) & (a.seq < b.seq))
    }
}

impl<K: Due> Key<K> {
    /// Whether `self` pops before `o`.
    #[inline(always)]
    fn before(&self, o: &Self) -> bool {
        K::before(self, o)
    }
}

/// The earliest of `kids` (one to [`ARITY`] keys) and its index: a tournament of pairs when all
/// four are there, each choice a selection of values rather than a branch or a load from a
/// chosen address.
#[inline(always)]
fn earliest<K: Due>(kids: &[Key<K>]) -> (usize, Key<K>) {
    if let [a, b, c, d] = *kids {
        let (left, right) = (b.before(&a), d.before(&c));
        let (l, r) = (K::choose(left, a, b), K::choose(right, c, d));
        let last = r.before(&l);
        let i = if last { 2 + usize::from(right) } else { usize::from(left) };
        (i, K::choose(last, l, r))
    } else {
        let pick = |a: usize, b: usize| if kids[b].before(&kids[a]) { b } else { a };
        let i = (1..kids.len()).fold(0, pick);
        (i, kids[i])
    }
}

/// Puts `key` into the hole at `pos`, rising past the parents due after it (each moves down into
/// the hole it leaves).
#[inline(always)]
fn rise<K: Due>(heap: &mut [Key<K>], mut pos: usize, key: Key<K>) {
    while pos > 0 {
        let parent = (pos - 1) / ARITY;
        if !key.before(&heap[parent]) {
            break;
        }
        heap[pos] = heap[parent];
        pos = parent;
    }
    heap[pos] = key;
}

/// Items due at times `K`, popped earliest first, first-in first-out among equal times.
///
/// A 4-ary min-heap of small keys (time, then push order and slot in one word); the items wait in
/// slots beside it and never move while queued. Each (time, push order) is distinct, so the order
/// of pops is fully determined by the pushes, whatever the heap's shape.
///
/// The word gives the slot [`FIRST_SLOT_BITS`] bits at first and the push order the rest. More
/// items than the slot's bits can number widen it by eight bits; more pushes than the order's
/// bits can count number the queued keys afresh, in their order. Either rewrites every key and
/// keeps every comparison between them, so the heap stays a heap; neither is met by a run that
/// holds fewer than 16.7 million items at once and pushes fewer than a trillion.
///
/// A pop leaves the root's place vacant, and the next push fills it: a driver that pops a step
/// and pushes the one it causes (the sim's usual step) pays for one pass down the heap instead of
/// a pass down for the pop and one up for the push. A pop that finds the place still vacant fills
/// it from the heap's last key first, as a plain heap's pop does.
pub struct TimedQueue<K, T> {
    heap: Vec<Key<K>>,
    /// The items, by the slot their keys name.
    items: Slots<T>,
    /// The last push's order, shifted to its place in a key's word (above the slot's bits).
    pushed: u64,
    /// The low bits of a key's word that name its slot, set: a key's slot is its word under
    /// this mask.
    slot_mask: u64,
    /// `heap[0]` was popped and is not a key of the queue: the heap proper is its subtrees.
    vacant: bool,
}

/// The bits a key's word gives its slot at first (16.7 million items at once).
const FIRST_SLOT_BITS: u32 = 24;

impl<K: Due, T> Default for TimedQueue<K, T> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<K: Due, T> TimedQueue<K, T> {
    /// An empty queue with room for `n` items.
    pub fn with_capacity(n: usize) -> Self {
        Self::with_slot_bits(n, FIRST_SLOT_BITS)
    }

    /// [`TimedQueue::with_capacity`] whose keys give the slot `slot_bits` bits at first.
    fn with_slot_bits(n: usize, slot_bits: u32) -> Self {
        TimedQueue {
            heap: Vec::with_capacity(n),
            items: Slots::with_capacity(n),
            pushed: 0,
            slot_mask: (1 << slot_bits) - 1,
            vacant: false,
        }
    }

    /// Adds `item`, due at `at`.
    #[inline(always)]
    pub fn push(&mut self, at: K, item: T) {
        let (pushed, carried) = self.pushed.overflowing_add(self.slot_mask + 1);
        self.pushed = pushed;
        let slot = u64::from(self.items.insert(item).0);
        if carried | (slot > self.slot_mask) {
            // The push order or the slot no longer fits its bits: rare, and out of line.
            self.make_room(slot, carried);
        }
        let key = Key { at, seq: self.pushed | slot };
        if self.vacant {
            self.vacant = false;
            self.fill_root(key);
            return;
        }
        let pos = self.heap.len();
        self.heap.push(key);
        rise(&mut self.heap, pos, key);
    }

    /// Removes the earliest item.
    #[inline]
    pub fn pop(&mut self) -> Option<(K, T)> {
        if self.vacant {
            self.vacant = false;
            // The last key fills the root's place (none left when the root was the only one).
            if let Some(last) = self.heap.pop().filter(|_| !self.heap.is_empty()) {
                self.fill_root(last);
            }
        }
        let top = *self.heap.first()?;
        self.vacant = true;
        let slot = top.seq & self.slot_mask;
        self.items.take(slot as u32).map(|item| (top.at, item))
    }

    /// Makes the key word hold `slot` and this push's order (`carried`: it ran past the word):
    /// the slot's bits widened while `slot` does not fit them, then, if the push order does not
    /// fit the rest, the queued keys numbered afresh in their order and this push after them.
    #[cold]
    #[inline(never)]
    fn make_room(&mut self, slot: u64, carried: bool) {
        let (old, mask) = (self.slot_bits(), self.slot_mask);
        let mut bits = old;
        while slot >> bits != 0 {
            bits += 8;
        }
        // The keys as (push order, slot), the vacant root's place included (it is rewritten with
        // the rest and never read before a key fills it).
        let mut keys: Vec<(u64, u64, usize)> =
            self.heap.iter().enumerate().map(|(i, k)| (k.seq >> old, k.seq & mask, i)).collect();
        let mut seq = self.pushed >> old;
        if carried || seq >> (64 - bits) != 0 {
            // Numbered afresh in their order: every comparison between two keys stays as it was.
            keys.sort_unstable_by_key(|&(seq, ..)| seq);
            for (n, k) in keys.iter_mut().enumerate() {
                k.0 = n as u64 + 1;
            }
            seq = keys.len() as u64 + 1;
        }
        for (seq, slot, i) in keys {
            self.heap[i].seq = seq << bits | slot;
        }
        self.pushed = seq << bits;
        self.slot_mask = (1 << bits) - 1;
    }

    /// How many low bits of a key's word name its slot.
    fn slot_bits(&self) -> u32 {
        self.slot_mask.count_ones()
    }

    /// Puts `key` into the vacant root's place: the hole sinks to the bottom, the earliest child
    /// moving up into it at each level; `key` then fills it, rising past the parents due after
    /// it (few: a key put here is a late one, or came from the bottom).
    #[inline]
    fn fill_root(&mut self, key: Key<K>) {
        let heap = &mut self.heap[..];
        let mut pos = 0;
        // The key last moved up, held here: the first step back up compares with it rather than
        // reading back the place it was just written to (a read the store has not yet reached).
        let mut moved = None;
        loop {
            let first = pos * ARITY + 1;
            let Some(kids) = heap.get(first..(first + ARITY).min(heap.len())) else { break };
            if kids.is_empty() {
                break;
            }
            let (best, up) = earliest(kids);
            heap[pos] = up;
            moved = Some(up);
            pos = first + best;
        }
        match moved {
            Some(parent_key) if key.before(&parent_key) => {
                heap[pos] = parent_key;
                rise(heap, (pos - 1) / ARITY, key);
            }
            _ => heap[pos] = key,
        }
    }

    /// How many items are queued.
    pub fn len(&self) -> usize {
        self.heap.len() - usize::from(self.vacant)
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// When the earliest item is due.
    pub fn peek_at(&self) -> Option<K> {
        if !self.vacant {
            return self.heap.first().map(|k| k.at);
        }
        // The earliest of the root's children: each heads a heap of its own.
        let kids = self.heap.get(1..(1 + ARITY).min(self.heap.len()))?;
        (!kids.is_empty()).then(|| earliest(kids).1.at)
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

    /// Drives `q` and a sorted reference of (time, push order) through `steps` steps drawn from
    /// `seed`: before each, `tweak` may touch the queue; a push (when `push(step, draw)`) is due
    /// up to `spread` after the last pop. Every pop, the length and the earliest time must agree,
    /// and so must the pops that drain both at the end.
    fn against_a_sorted_reference(
        q: &mut TimedQueue<u64, u64>,
        seed: u64,
        steps: u64,
        spread: u64,
        push: impl Fn(u64, u64) -> bool,
        mut tweak: impl FnMut(&mut TimedQueue<u64, u64>, u64),
    ) {
        let mut reference = std::collections::BTreeSet::new();
        let mut x = seed;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut now = 0;
        for n in 0..steps {
            tweak(q, n);
            if push(n, next()) {
                let at = now + next() % spread;
                q.push(at, n);
                reference.insert((at, n));
            } else {
                let want = reference.pop_first();
                assert_eq!(q.pop(), want, "pop {n}");
                if let Some((at, _)) = want {
                    now = at;
                }
            }
            assert_eq!(q.len(), reference.len());
            assert_eq!(q.peek_at(), reference.first().map(|&(at, _)| at));
        }
        while let Some(want) = reference.pop_first() {
            assert_eq!(q.pop(), Some(want));
        }
        assert!(q.is_empty() && q.pop().is_none());
    }

    /// Pushes and pops interleaved, with many equal times, pop exactly as a sorted reference
    /// of (time, push order) does.
    #[test]
    fn interleaved_pushes_and_pops_match_a_sorted_reference() {
        let mut q = TimedQueue::with_capacity(4);
        against_a_sorted_reference(&mut q, 0x2545_f491_4f6c_dd1d, 20_000, 40, |_, r| r % 5 < 3, |_, _| {});
    }

    /// A popped root's place stays vacant until the next push or pop: the queue's length and its
    /// earliest time never count it, a push fills it wherever the new key belongs, and popping
    /// the last item leaves the queue empty.
    #[test]
    fn the_vacant_root_is_never_an_item() {
        let mut q = TimedQueue::default();
        q.push(7, 'a');
        assert_eq!(q.pop(), Some((7, 'a')));
        assert_eq!(q.len(), 0);
        assert!(q.is_empty() && q.peek_at().is_none() && q.pop().is_none());
        for (at, item) in [(5, 'b'), (3, 'c'), (9, 'd'), (4, 'e'), (6, 'f'), (8, 'g')] {
            q.push(at, item);
        }
        assert_eq!(q.pop(), Some((3, 'c')));
        assert_eq!((q.len(), q.peek_at()), (5, Some(4)));
        // Into the vacant place: a key due before all, then one due after all.
        q.push(1, 'h');
        assert_eq!(q.pop(), Some((1, 'h')));
        q.push(10, 'i');
        assert_eq!((q.len(), q.peek_at()), (6, Some(4)));
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, i)| i)).collect();
        assert_eq!(order, ['e', 'b', 'f', 'g', 'd', 'i']);
        assert!(q.is_empty() && q.peek_at().is_none());
    }

    /// Both orderings — microseconds as one 128-bit number, deadlines field by field — agree
    /// at the extremes of time, and ties keep their push order.
    #[test]
    fn extreme_times_and_deadlines_keep_the_order() {
        let mut q = TimedQueue::default();
        for (at, item) in [(u64::MAX, 'a'), (0, 'b'), (u64::MAX, 'c'), (1 << 63, 'd'), (0, 'e')] {
            q.push(at, item);
        }
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, i)| i)).collect();
        assert_eq!(order, ['b', 'e', 'd', 'a', 'c']);
        let base = std::time::Instant::now();
        let mut q = TimedQueue::default();
        for (ms, item) in [(5, 'a'), (1, 'b'), (5, 'c'), (0, 'd')] {
            q.push(base + std::time::Duration::from_millis(ms), item);
        }
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, i)| i)).collect();
        assert_eq!(order, ['d', 'b', 'a', 'c']);
    }

    /// A queue whose keys start with 2 bits for the slot, its push order moved to the edge of
    /// its bits now and then, pops exactly as a sorted reference: the slot's bits widen (past 4
    /// items, then past 1,024) and the push order is numbered afresh, eight times, without a pop
    /// leaving its order.
    #[test]
    fn widening_the_slot_and_renumbering_keep_the_order() {
        let mut q = TimedQueue::with_slot_bits(0, 2);
        // Mostly pushes at first (the slot's bits widen), then mostly pops.
        let push = |n: u64, r: u64| r % 10 < if n < 20_000 { 7 } else { 3 };
        let to_the_edge = |q: &mut TimedQueue<u64, u64>, n: u64| {
            if n % 5_000 == 17 {
                let bits = q.slot_bits();
                q.pushed = ((1u64 << (64 - bits)) - 3) << bits;
            }
        };
        against_a_sorted_reference(&mut q, 0x9e37_79b9_7f4a_7c15, 40_000, 50, push, to_the_edge);
        // The bits never narrow: they were widened to number the thousands held at the peak.
        assert!(q.slot_bits() >= 18, "{} bits", q.slot_bits());
    }
}
