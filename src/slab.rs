#![allow(dead_code)] // the arena, timers and wait lists move onto it next
//! The one generation-checked slab: storage with stable, stale-proof keys.
//! A leaf: it depends on nothing in the crate, and every layer may use it.
//!
//! Every table of the runtime that hands out keys lives in a [`Slab`]: the
//! task arena, the timers, the primitives' wait lists and the reactor's
//! sources. A key names a slot *and* the generation of its occupant; removing
//! the occupant moves the generation on, so a key kept past its entry's
//! removal (a waker that outlived its task, a timer handle of a fired timer)
//! finds nothing, even after the slot is reused.
//!
//! Generations are 32 bits: a stale key could only reach a later occupant
//! after its slot was reused 2^32 times.
//!
//! ```text
//!   insert ──► Occupied(generation g) ──remove──► Vacant(generation g + 1)
//!                                                      │
//!   insert (reuses the most recently freed slot) ◄─────┘
//! ```

/// A slab key: a slot's index and the generation of the entry it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SlabKey {
    /// The slot.
    pub index: u32,
    /// Which occupant of the slot this key names.
    pub generation: u32,
}

/// The generation comes first (`repr(C)`): a lookup checks it and then
/// reads the entry's first fields, and these share a cache line.
#[repr(C)]
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// Values addressed by generation-checked [`SlabKey`]s. See the module docs.
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    /// Vacant slots below `used`, most recently freed last.
    free: Vec<u32>,
    /// Slots at and above this index have not been handed out since the
    /// slab was made or last reordered: they are vacant and not in `free`.
    used: u32,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            used: 0,
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value` and returns its key.
    ///
    /// # Panics
    /// With 2^32 - 1 entries alive at once (index `u32::MAX` is never used,
    /// so a key can be packed next to a reserved all-ones value).
    #[inline]
    pub fn insert(&mut self, value: T) -> SlabKey {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            slot.value = Some(value);
            return SlabKey {
                index,
                generation: slot.generation,
            };
        }
        if (self.used as usize) < self.slots.len() {
            let index = self.used;
            self.used += 1;
            let slot = &mut self.slots[index as usize];
            slot.value = Some(value);
            return SlabKey {
                index,
                generation: slot.generation,
            };
        }
        let index = u32::try_from(self.slots.len())
            .ok()
            .filter(|&i| i < u32::MAX)
            .expect("fewer than 2^32 - 1 live slab entries");
        self.used += 1;
        self.slots.push(Slot {
            generation: 0,
            value: Some(value),
        });
        SlabKey {
            index,
            generation: 0,
        }
    }

    /// The entry `key` names, if it is still there.
    #[inline]
    pub fn get(&self, key: SlabKey) -> Option<&T> {
        match self.slots.get(key.index as usize) {
            Some(s) if s.generation == key.generation => s.value.as_ref(),
            _ => None,
        }
    }

    /// The entry `key` names, if it is still there.
    #[inline]
    pub fn get_mut(&mut self, key: SlabKey) -> Option<&mut T> {
        match self.slots.get_mut(key.index as usize) {
            Some(s) if s.generation == key.generation => s.value.as_mut(),
            _ => None,
        }
    }

    /// The entry in slot `index`, if any, with its key: for callers that
    /// check the occupant by other means (a task's waker checks its stamp).
    #[inline]
    pub fn get_at_mut(&mut self, index: u32) -> Option<(SlabKey, &mut T)> {
        let slot = self.slots.get_mut(index as usize)?;
        let key = SlabKey {
            index,
            generation: slot.generation,
        };
        slot.value.as_mut().map(|v| (key, v))
    }

    /// Whether `key` still names an entry.
    #[inline]
    pub fn contains(&self, key: SlabKey) -> bool {
        self.get(key).is_some()
    }

    /// Takes the entry `key` names out; the key (and every copy) goes stale.
    #[inline]
    pub fn remove(&mut self, key: SlabKey) -> Option<T> {
        let slot = self.slots.get_mut(key.index as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        let value = slot.value.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(key.index);
        self.len -= 1;
        Some(value)
    }

    /// How many entries are alive.
    pub fn len(&self) -> usize {
        self.len
    }

    /// With no entry alive, orders the free slots so that inserts fill them
    /// from the first up, as in a new slab (the removals of a run leave them
    /// in whatever order its entries went, and inserts that hop around the
    /// slots miss the cache). Generations are kept. O(1), whatever the
    /// slab's size. Returns whether the slab was empty (it changes nothing
    /// otherwise).
    pub fn reorder_free_slots(&mut self) -> bool {
        if self.len != 0 {
            return false;
        }
        self.free.clear();
        self.used = 0;
        true
    }

    /// How many slots there are, live or free.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Whether no entry is alive.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every live entry with its key, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (SlabKey, &T)> {
        self.slots[..self.used as usize]
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.value.as_ref().map(|v| {
                    (
                        SlabKey {
                            index: i as u32,
                            generation: s.generation,
                        },
                        v,
                    )
                })
            })
    }

    /// Takes every entry out (every key goes stale), in slot order.
    pub fn drain(&mut self) -> Vec<T> {
        if self.len == 0 {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(self.len);
        for (i, slot) in self.slots[..self.used as usize].iter_mut().enumerate() {
            if let Some(v) = slot.value.take() {
                slot.generation = slot.generation.wrapping_add(1);
                self.free.push(i as u32);
                out.push(v);
            }
        }
        self.len = 0;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emptied_slab_refills_from_its_first_slot_and_old_keys_stay_stale() {
        let mut slab = Slab::default();
        let keys: Vec<SlabKey> = (0..4).map(|i| slab.insert(i)).collect();
        assert!(!slab.reorder_free_slots(), "not while entries live");
        for k in [keys[2], keys[0], keys[3], keys[1]] {
            slab.remove(k);
        }
        assert!(slab.reorder_free_slots());
        assert_eq!(slab.iter().count(), 0);
        let again: Vec<u32> = (0..4).map(|i| slab.insert(i).index).collect();
        assert_eq!(again, vec![0, 1, 2, 3]);
        assert_eq!(slab.capacity(), 4, "no slot added");
        // Removed and inserted again: the freed slot first, then a new one.
        slab.remove(SlabKey {
            index: 2,
            generation: keys[2].generation + 1,
        });
        assert_eq!(slab.insert(7).index, 2);
        assert_eq!(slab.insert(8).index, 4);
        assert!(keys.iter().all(|k| slab.get(*k).is_none()));
        assert_eq!(slab.len(), 5);
        assert_eq!(slab.drain().len(), 5);
        assert_eq!(slab.len(), 0);
    }

    #[test]
    fn capacity_counts_live_and_free_slots() {
        let mut slab = Slab::default();
        assert_eq!(slab.capacity(), 0);
        let keys: Vec<SlabKey> = (0..3).map(|i| slab.insert(i)).collect();
        slab.remove(keys[1]);
        assert_eq!((slab.len(), slab.capacity()), (2, 3));
        slab.insert(9);
        assert_eq!(slab.capacity(), 3, "a free slot is reused");
    }

    #[test]
    fn a_removed_key_finds_nothing_even_after_reuse() {
        let mut slab = Slab::default();
        let a = slab.insert("a");
        assert_eq!(slab.remove(a), Some("a"));
        let b = slab.insert("b");
        assert_eq!(b.index, a.index);
        assert_ne!(b.generation, a.generation);
        assert_eq!(slab.get(a), None);
        assert_eq!(slab.remove(a), None);
        assert_eq!(slab.get(b), Some(&"b"));
        assert_eq!(slab.len(), 1);
    }

    #[test]
    fn a_slot_reused_70_000_times_never_answers_its_first_key() {
        let mut slab = Slab::default();
        let first = slab.insert(0u32);
        slab.remove(first);
        for n in 1..70_000u32 {
            let k = slab.insert(n);
            assert_eq!(k.index, first.index);
            assert_eq!(slab.get(first), None);
            slab.remove(k);
        }
        let last = slab.insert(70_000);
        assert_eq!(slab.get(first), None);
        assert_eq!(slab.get(last), Some(&70_000));
    }

    #[test]
    fn drain_empties_and_stales_every_key() {
        let mut slab = Slab::default();
        let keys: Vec<_> = (0..4).map(|n| slab.insert(n)).collect();
        slab.remove(keys[1]);
        assert_eq!(slab.drain(), vec![0, 2, 3]);
        assert!(slab.is_empty());
        assert!(keys.iter().all(|k| !slab.contains(*k)));
        assert_eq!(slab.iter().count(), 0);
    }
}
