//! The event queue: events ordered by integer time, ties in insertion order.
//!
//! A radix heap with 64-way digits (a hierarchical timing wheel), relative to a base `last`: the
//! time of the event popped last. Times are split into 6-bit digits; an event later than `last`
//! goes to level d, the highest digit where its time differs from `last`, into that level's
//! slot numbered by its own digit d. Every time in a lower level is smaller than every time in a
//! higher one, and within a level the slots are in time order, so the earliest event is in the
//! first non-empty slot. A level-0 slot holds a single time (the digits above agree with `last`)
//! and is a FIFO: popping is taking its front. When level 0 is empty, a pop empties the first
//! non-empty slot, rebases on its smallest time and files its events again, each into a lower
//! level. An event moves down at most once per level, and with 64-way digits about once in its
//! life (times a few seconds ahead are at level 1) — amortised constant time, with sequential
//! memory access instead of a binary heap's cache-missing sift-downs.
//!
//! Ties need no sequence number: equal times always share a slot (rebasing never moves the
//! events of other slots), every slot is appended to in insertion order, and a slot is refiled
//! front to back into lower levels, which are empty then, so equal times keep insertion order.
//!
//! Only a pop moves the base. A peek finds the earliest event without rebasing (and remembers
//! where it is for the next pop), so events the caller then schedules before the peeked one (a
//! reallocation peeks at the next update, then schedules its migrations) are filed as usual. An
//! event scheduled before `last`, in the past, goes to a binary heap ordered by (time, insertion
//! sequence); it is earlier than everything else, so it is popped first.

use std::collections::{BinaryHeap, VecDeque};

use crate::time::Millis;

/// Bits per digit.
const DIGIT: u32 = 6;
/// Slots per level.
const SLOTS: usize = 1 << DIGIT;
/// Levels: enough digits for every bit of a time.
const LEVELS: usize = (Millis::BITS as usize).div_ceil(DIGIT as usize);
/// No hint: above every slot's index in `upper` (`(level − 1) · SLOTS + digit`).
const NO_HINT: usize = usize::MAX;
/// Slots keep their allocation when emptied up to this many entries (bounds idle memory).
const KEEP: usize = 4096;

/// A priority queue of events: earliest time first, ties in insertion order.
pub struct EventQueue<E> {
    /// Level 0: slot v holds the events at time `last` with its last digit replaced by v, in
    /// insertion order.
    due: Box<[VecDeque<E>]>,
    /// Levels 1 and up, level by level.
    upper: Box<[Vec<(Millis, E)>]>,
    /// Bit v of word d set when slot v of level d is non-empty.
    occupied: [u64; LEVELS],
    /// The base: the time of the last event popped (0 before any).
    last: Millis,
    /// Where a peek found the earliest event when level 0 was empty: (index in `upper`, index in
    /// that slot); `NO_HINT` when unknown.
    hint: (usize, usize),
    /// Events scheduled before `last`.
    past: BinaryHeap<Past<E>>,
    /// Insertion sequence of the events in `past`.
    past_seq: u64,
    len: usize,
}

/// An event scheduled before the base, ordered so that the max-heap pops the earliest first.
struct Past<E> {
    time: Millis,
    seq: u64,
    event: E,
}

impl<E> Past<E> {
    fn key(&self) -> (Millis, u64) {
        (self.time, self.seq)
    }
}

impl<E> PartialEq for Past<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl<E> Eq for Past<E> {}

impl<E> PartialOrd for Past<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Past<E> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.key().cmp(&self.key())
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            due: (0..SLOTS).map(|_| VecDeque::new()).collect(),
            upper: (0..(LEVELS - 1) * SLOTS).map(|_| Vec::new()).collect(),
            occupied: [0; LEVELS],
            last: 0,
            hint: (NO_HINT, 0),
            past: BinaryHeap::new(),
            past_seq: 0,
            len: 0,
        }
    }
}

/// The digit of `time` at `level`.
#[inline(always)]
fn digit(time: Millis, level: usize) -> usize {
    (time >> (level as u32 * DIGIT)) as usize & (SLOTS - 1)
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: Millis, event: E) {
        self.len += 1;
        if time >= self.last {
            self.file(time, event, self.last);
        } else {
            self.push_past(time, event);
        }
    }

    /// Files an event at `time` ≥ `base` (the base, or the one being set) into its slot.
    #[inline(always)]
    fn file(&mut self, time: Millis, event: E, base: Millis) {
        let differ = time ^ base;
        if differ < SLOTS as Millis {
            let v = digit(time, 0);
            self.due[v].push_back(event);
            self.occupied[0] |= 1 << v;
        } else {
            let level = (Millis::BITS - 1 - differ.leading_zeros()) / DIGIT;
            let (level, v) = (level as usize, digit(time, level as usize));
            let at = (level - 1) * SLOTS + v;
            self.upper[at].push((time, event));
            self.occupied[level] |= 1 << v;
            if at < self.hint.0 {
                self.hint.0 = NO_HINT; // a new first slot, or one being refiled
            } else if at == self.hint.0 && time < self.upper[at][self.hint.1].0 {
                self.hint.1 = self.upper[at].len() - 1;
            }
        }
    }

    /// Keeps an event scheduled before the base in the past heap.
    #[cold]
    #[inline(never)]
    fn push_past(&mut self, time: Millis, event: E) {
        let seq = self.past_seq;
        self.past_seq += 1;
        self.past.push(Past { time, seq, event });
    }

    /// When level 0 is empty: the first non-empty slot and the index of its earliest event (the
    /// first inserted among equals), if any.
    fn find_earliest(&mut self) -> Option<(usize, usize)> {
        if self.hint.0 == NO_HINT {
            let level = self.occupied[1..].iter().position(|&w| w != 0)? + 1;
            let at = (level - 1) * SLOTS + self.occupied[level].trailing_zeros() as usize;
            let slot = &self.upper[at];
            let mut min = slot[0].0;
            let mut index = 0;
            for (i, e) in slot.iter().enumerate().skip(1) {
                if e.0 < min {
                    min = e.0;
                    index = i;
                }
            }
            self.hint = (at, index);
        }
        Some(self.hint)
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Millis, E)> {
        if self.occupied[0] != 0 && self.past.is_empty() {
            let v = self.occupied[0].trailing_zeros() as usize;
            let slot = &mut self.due[v];
            let e = slot.pop_front().expect("occupied slots are not empty");
            if slot.is_empty() {
                self.occupied[0] &= !(1 << v);
                if slot.capacity() > KEEP {
                    *slot = VecDeque::new();
                }
            }
            self.len -= 1;
            self.last = (self.last & !(SLOTS as Millis - 1)) | v as Millis;
            return Some((self.last, e));
        }
        self.pop_slow()
    }

    /// Pops from the past, or else refills the empty level 0 from the first non-empty slot.
    #[inline(never)]
    fn pop_slow(&mut self) -> Option<(Millis, E)> {
        if let Some(p) = self.past.pop() {
            self.len -= 1;
            return Some((p.time, p.event));
        }
        let (at, index) = self.find_earliest()?;
        self.hint.0 = NO_HINT;
        self.occupied[at / SLOTS + 1] &= !(1 << (at % SLOTS));
        let base = self.upper[at][index].0;
        self.last = base;
        let mut moving = std::mem::take(&mut self.upper[at]);
        for (time, event) in moving.drain(..) {
            self.file(time, event, base);
        }
        if moving.capacity() <= KEEP {
            self.upper[at] = moving;
        }
        self.pop()
    }

    /// The earliest event and its time, without removing it.
    pub fn peek(&mut self) -> Option<(Millis, &E)> {
        let earliest = if self.past.is_empty() && self.occupied[0] == 0 {
            self.find_earliest()
        } else {
            None
        };
        if let Some(p) = self.past.peek() {
            Some((p.time, &p.event))
        } else if self.occupied[0] != 0 {
            let v = self.occupied[0].trailing_zeros() as usize;
            let time = (self.last & !(SLOTS as Millis - 1)) | v as Millis;
            Some((time, self.due[v].front()?))
        } else {
            let (at, index) = earliest?;
            let (time, e) = &self.upper[at][index];
            Some((*time, e))
        }
    }

    /// Time of the earliest event.
    pub fn peek_time(&mut self) -> Option<Millis> {
        self.peek().map(|(t, _)| t)
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        let mut q = EventQueue::new();
        q.push(50, 'a');
        q.push(10, 'b');
        q.push(50, 'c');
        q.push(10, 'd');
        q.push(0, 'e');
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![(0, 'e'), (10, 'b'), (10, 'd'), (50, 'a'), (50, 'c')]
        );
    }

    #[test]
    fn interleaved_pushes_and_pops_come_out_sorted() {
        // A hold model against a sorted reference: pop the earliest, push it back later.
        let mut q = EventQueue::new();
        let mut reference: Vec<(u64, u64)> = Vec::new(); // (time, id), kept sorted
        let mut x: u64 = 12345;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 40
        };
        for id in 0..200 {
            let t = next() % 1000;
            q.push(t, id);
            reference.push((t, id));
        }
        reference.sort();
        for id in 200..5000 {
            let (t, e) = q.pop().unwrap();
            let expected = reference.remove(0);
            assert_eq!((t, e), expected);
            assert_eq!(q.peek_time(), reference.first().map(|r| r.0));
            let later = t + next() % 500;
            q.push(later, id);
            let at = reference.partition_point(|r| *r <= (later, id));
            reference.insert(at, (later, id));
        }
        assert_eq!(q.len(), reference.len());
    }

    #[test]
    fn events_scheduled_before_a_peeked_one_come_first() {
        let mut q = EventQueue::new();
        q.push(10, 'a');
        q.push(400, 'b');
        assert_eq!(q.pop(), Some((10, 'a')));
        assert_eq!(q.peek_time(), Some(400));
        q.push(150, 'c');
        q.push(150, 'd');
        assert_eq!(q.pop(), Some((150, 'c')));
        assert_eq!(q.pop(), Some((150, 'd')));
        assert_eq!(q.pop(), Some((400, 'b')));
        assert_eq!(q.pop(), None);
    }

    /// A small deterministic generator (64-bit LCG, high bits out).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 16
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    #[test]
    fn a_large_batch_below_a_peeked_event_pops_in_exact_order() {
        // The simulator's pattern at scale, in an adversarial order: after a peek at an event
        // far ahead, 200 000 events before it, their times descending in runs with many ties,
        // interleaved with a few at the peeked time itself and after it.
        const N: u64 = 200_000;
        let mut q = EventQueue::new();
        q.push(5, u64::MAX);
        q.push(1_000_000, u64::MAX - 1);
        assert_eq!(q.pop(), Some((5, u64::MAX)));
        assert_eq!(q.peek_time(), Some(1_000_000));
        let mut reference = vec![(1_000_000, u64::MAX - 1)];
        for id in 0..N {
            let t = match id % 7 {
                0 => 1_000_000,
                1 => 1_000_000 + id,
                2 => 5,
                _ => 5 + (N - id) / 3 * 4, // descending, three at each time
            };
            q.push(t, id);
            reference.push((t, id));
            if id % 50_000 == 2 {
                assert_eq!(q.peek_time(), Some(5));
            }
        }
        // The reference is (time, id) sorted; ids grow with insertion, except the first entry.
        reference.sort_by_key(|&(t, id)| (t, id != u64::MAX - 1, id));
        assert_eq!(q.len(), reference.len());
        for expected in reference {
            assert_eq!(q.pop(), Some(expected));
        }
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn random_peeks_pushes_and_pops_match_a_reference() {
        // Property-style: many seeded runs of random operations against a BTreeMap keyed by
        // (time, insertion number). Pushes land before the last popped time (the past), at it,
        // between it and a peeked event, at the peeked time, and after it.
        use std::collections::BTreeMap;
        for seed in 0..200u64 {
            let mut rng = Lcg(seed);
            let mut q = EventQueue::new();
            let mut reference: BTreeMap<(Millis, u64), u64> = BTreeMap::new();
            let mut now: Millis = 0; // the last popped time
            let mut id = 0u64;
            let spread = 1 << rng.below(40);
            let ops = 200 + rng.below(2_000);
            for _ in 0..ops {
                match rng.below(10) {
                    0..=4 => {
                        let peeked = q.peek_time();
                        let t = match rng.below(6) {
                            0 => now.saturating_sub(rng.below(spread) + 1),
                            1 => now,
                            2 => match peeked {
                                Some(p) if p > now => now + rng.below(p - now),
                                _ => now,
                            },
                            3 => peeked.unwrap_or(now),
                            _ => now + rng.below(spread),
                        };
                        let copies = 1 + rng.below(3) * rng.below(3);
                        for _ in 0..copies {
                            q.push(t, id);
                            reference.insert((t, id), id);
                            id += 1;
                        }
                    }
                    5..=6 => {
                        let expected = reference.first_key_value().map(|(k, &v)| (k.0, v));
                        assert_eq!(q.peek().map(|(t, &e)| (t, e)), expected, "seed {seed}");
                    }
                    _ => {
                        let expected = reference.pop_first().map(|(k, v)| (k.0, v));
                        assert_eq!(q.pop(), expected, "seed {seed}");
                        if let Some((t, _)) = expected {
                            now = t;
                        }
                    }
                }
                assert_eq!(q.len(), reference.len(), "seed {seed}");
            }
            while let Some((k, v)) = reference.pop_first() {
                assert_eq!(q.pop(), Some((k.0, v)), "seed {seed}");
            }
            assert_eq!(q.pop(), None, "seed {seed}");
        }
    }
}
