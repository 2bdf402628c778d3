//! Numbered slots for items that wait somewhere else by number: a freed slot is used again
//! before a new one is made, so the slots grow to the most items ever held at once.
//!
//! Owns the free list the timed queue and the sim's answers in flight both keep. It knows nothing
//! of what the items are.

/// Items in numbered slots; `None` in a free one.
#[derive(Debug)]
pub struct Slots<T> {
    items: Vec<Option<T>>,
    /// The free slots.
    free: Vec<u32>,
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots::with_capacity(0)
    }
}

impl<T> Slots<T> {
    /// Empty, with room for `n` items.
    pub fn with_capacity(n: usize) -> Self {
        Slots { items: Vec::with_capacity(n), free: Vec::new() }
    }

    /// Puts `item` in a free slot (a new one if none is free): which, and the item there.
    #[inline(always)]
    pub fn insert(&mut self, item: T) -> (u32, &mut T) {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.items.push(None);
                (self.items.len() - 1) as u32
            }
        };
        (slot, self.items[slot as usize].insert(item))
    }

    /// The item in `slot`, if it holds one.
    #[inline]
    pub fn get(&self, slot: u32) -> Option<&T> {
        self.items.get(slot as usize)?.as_ref()
    }

    /// Drops the item in `slot` where it is (no copy out), freeing the slot.
    #[inline]
    pub fn remove(&mut self, slot: u32) {
        if let Some(item @ Some(_)) = self.items.get_mut(slot as usize) {
            *item = None;
            self.free.push(slot);
        }
    }

    /// Takes the item out of `slot`, freeing it.
    #[inline]
    pub fn take(&mut self, slot: u32) -> Option<T> {
        let item = self.items.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_slot_is_used_again_and_an_empty_one_gives_nothing() {
        let mut s = Slots::default();
        let (a, b) = (s.insert('a').0, s.insert('b').0);
        assert_eq!((a, b), (0, 1));
        assert_eq!(s.take(a), Some('a'));
        assert_eq!(s.take(a), None);
        assert_eq!(s.get(a), None);
        assert_eq!(s.take(7), None);
        assert_eq!(s.insert('c'), (a, &mut 'c'));
        assert_eq!((s.get(a), s.get(b)), (Some(&'c'), Some(&'b')));
        s.remove(b);
        s.remove(b);
        assert_eq!(s.get(b), None);
        assert_eq!(s.insert('d').0, b, "the freed slot, once");
        assert_eq!(s.insert('e').0, 2);
    }
}
