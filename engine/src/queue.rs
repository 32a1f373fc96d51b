//! The event queue: events ordered by (integer time, insertion sequence).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::Millis;

struct Entry<E> {
    /// Time in the high 64 bits, sequence number in the low 64: one comparison orders both.
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key) // min-heap
    }
}

/// A priority queue of events: earliest time first, ties in insertion order.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `event` at `time`.
    pub fn push(&mut self, time: Millis, event: E) {
        let key = ((time as u128) << 64) | self.seq as u128;
        self.seq += 1;
        self.heap.push(Entry { key, event });
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(Millis, E)> {
        self.heap.pop().map(|e| ((e.key >> 64) as Millis, e.event))
    }

    /// The earliest event and its time, without removing it.
    pub fn peek(&self) -> Option<(Millis, &E)> {
        self.heap
            .peek()
            .map(|e| ((e.key >> 64) as Millis, &e.event))
    }

    /// Time of the earliest event.
    pub fn peek_time(&self) -> Option<Millis> {
        self.heap.peek().map(|e| (e.key >> 64) as Millis)
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is queued.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
}
