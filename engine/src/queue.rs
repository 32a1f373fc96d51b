//! The event queue: events ordered by (integer time, insertion sequence).
//!
//! A radix heap over the keys (time << 64 | sequence). Relative to a base key, a key above it
//! lives in bucket b = position of the highest bit where it differs from the base, so every key
//! in a lower bucket is smaller than every key in a higher one; bucket 0 holds the keys at or
//! below the base, sorted from largest to smallest: normally just the next event, but also the
//! events scheduled after a `peek` moved the base forward (a reallocation peeks at the next
//! update, then schedules its migrations before it). Popping refills bucket 0 from the lowest
//! non-empty bucket, rebasing on its smallest key: since simulated time only moves forward, each
//! key moves down a few times in its life — amortised constant time, with sequential memory
//! access instead of a binary heap's cache-missing sift-downs.

use crate::time::Millis;

/// Buckets: 0 holds keys at or below the base (largest first), b in 1..=128 keys whose highest
/// bit differing from the base is bit b − 1.
const BUCKETS: usize = 129;

/// A priority queue of events: earliest time first, ties in insertion order.
pub struct EventQueue<E> {
    buckets: Vec<Vec<(u128, E)>>,
    /// Bit b − 1 set when bucket b (1..=128) is non-empty.
    occupied: u128,
    last: u128,
    len: usize,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            buckets: (0..BUCKETS).map(|_| Vec::new()).collect(),
            occupied: 0,
            last: 0,
            len: 0,
            seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    fn bucket(&self, key: u128) -> usize {
        (128 - (key ^ self.last).leading_zeros()) as usize
    }

    #[inline(always)]
    fn put(&mut self, key: u128, event: E) {
        let b = if key <= self.last {
            0
        } else {
            self.bucket(key)
        };
        if b > 0 {
            self.occupied |= 1 << (b - 1);
        } else if self.buckets[0].last().is_some_and(|e| e.0 < key) {
            return self.insert_below_base(key, event);
        }
        self.buckets[b].push((key, event));
    }

    /// Files a key below the base that is not the smallest one there (scheduled after a peek).
    #[cold]
    #[inline(never)]
    fn insert_below_base(&mut self, key: u128, event: E) {
        let at = self.buckets[0].partition_point(|e| e.0 > key);
        self.buckets[0].insert(at, (key, event));
    }

    /// Schedules `event` at `time`.
    pub fn push(&mut self, time: Millis, event: E) {
        let key = ((time as u128) << 64) | self.seq as u128;
        self.seq += 1;
        self.len += 1;
        self.put(key, event);
    }

    /// Makes bucket 0 hold the smallest key, if there is any key at all.
    fn settle(&mut self) -> bool {
        if !self.buckets[0].is_empty() {
            return true;
        }
        if self.occupied == 0 {
            return false;
        }
        let b = self.occupied.trailing_zeros() as usize + 1;
        self.occupied &= !(1 << (b - 1));
        let mut moving = std::mem::take(&mut self.buckets[b]);
        self.last = moving
            .iter()
            .map(|e| e.0)
            .min()
            .expect("occupied buckets are not empty");
        for (key, event) in moving.drain(..) {
            self.put(key, event);
        }
        self.buckets[b] = moving; // keep its allocation
        true
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(Millis, E)> {
        if !self.settle() {
            return None;
        }
        let (key, e) = self.buckets[0].pop()?;
        self.len -= 1;
        Some(((key >> 64) as Millis, e))
    }

    /// The earliest event and its time, without removing it.
    pub fn peek(&mut self) -> Option<(Millis, &E)> {
        if !self.settle() {
            return None;
        }
        let (key, e) = self.buckets[0].last()?;
        Some(((key >> 64) as Millis, e))
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
}
