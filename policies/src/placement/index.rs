//! Host indexes that find a feasible host without scanning every host for every VM.

use std::collections::BTreeSet;

use orrery_engine::view::{ClusterView, HostId, VmId};

use super::capacity::Reservations;

/// Order in which a greedy placement considers hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// Lowest host id first.
    FirstFit,
    /// Least free CPU first (fill hosts up: fewest hosts).
    Packing,
    /// Fewest VMs first (spread VMs).
    Striping,
    /// Most free CPU first (load-aware).
    LoadAware,
    /// Coolest first: lowest predicted steady temperature at the host's reserved load
    /// (inlet + thermal resistance × power), so a batch spreads over cool hosts.
    Coolest,
    /// Lowest inlet temperature first (the hosts least exposed to recirculated heat).
    CoolestInlet,
}

/// An index over hosts of one tier (up hosts, or hosts that must be woken).
pub enum HostIndex {
    /// Segment tree over host ids with per-node maxima, for the leftmost feasible host.
    Tree(MaxTree),
    /// Ordered set of (key, host) for the other orders.
    Sorted(BTreeSet<(u64, HostId)>, Order),
}

/// Sort key of a non-negative quantity (f64 bit patterns of non-negative numbers sort like the numbers).
fn key(x: f64) -> u64 {
    x.max(0.0).to_bits()
}

impl HostIndex {
    /// An index of the hosts for which `member` holds.
    pub fn build(
        order: Order,
        view: &ClusterView,
        r: &Reservations,
        member: impl Fn(HostId) -> bool,
    ) -> Self {
        let n = view.hosts.len();
        match order {
            Order::FirstFit => {
                let mut t = MaxTree::new(n);
                for h in (0..n).filter(|&h| member(h)) {
                    t.set(h, leaf(view, r, h));
                }
                HostIndex::Tree(t)
            }
            _ => HostIndex::Sorted(
                (0..n)
                    .filter(|&h| member(h))
                    .map(|h| (sort_key(order, view, r, h), h))
                    .collect(),
                order,
            ),
        }
    }

    /// The host this order prefers among those where VM `v` fits and `allowed` holds.
    pub fn find(
        &self,
        view: &ClusterView,
        r: &Reservations,
        v: VmId,
        allowed: &dyn Fn(HostId) -> bool,
    ) -> Option<HostId> {
        let (mips, memory_mb) = (view.vm_mips(v), view.vm_memory_mb(v));
        let ok = |h: HostId| r.fits(view, h, v) && allowed(h);
        match self {
            HostIndex::Tree(t) => t.leftmost_where(
                [mips - 1e-9, memory_mb - 1e-9, view.vm_type(v).mips],
                allowed,
            ),
            HostIndex::Sorted(set, Order::Packing) => set
                .range((key(mips - 1e-9), 0)..)
                .map(|&(_, h)| h)
                .find(|&h| ok(h)),
            HostIndex::Sorted(set, Order::LoadAware) => set
                .iter()
                .take_while(|&&(k, _)| f64::from_bits(!k) + 1e-9 >= mips)
                .map(|&(_, h)| h)
                .find(|&h| ok(h)),
            HostIndex::Sorted(set, _) => set.iter().map(|&(_, h)| h).find(|&h| ok(h)),
        }
    }

    /// Removes host `h` (before its reservations change).
    pub fn remove(&mut self, view: &ClusterView, r: &Reservations, h: HostId) {
        match self {
            HostIndex::Tree(t) => t.set(h, [f64::NEG_INFINITY; 3]),
            HostIndex::Sorted(set, order) => {
                set.remove(&(sort_key(*order, view, r, h), h));
            }
        }
    }

    /// Inserts host `h` with its current reservations.
    pub fn insert(&mut self, view: &ClusterView, r: &Reservations, h: HostId) {
        match self {
            HostIndex::Tree(t) => t.set(h, leaf(view, r, h)),
            HostIndex::Sorted(set, order) => {
                set.insert((sort_key(*order, view, r, h), h));
            }
        }
    }
}

fn sort_key(order: Order, view: &ClusterView, r: &Reservations, h: HostId) -> u64 {
    /// Kelvin, so that the key of any real temperature is non-negative.
    const KELVIN: f64 = 273.15;
    match order {
        Order::Striping => r.vms[h] as u64,
        // Most free CPU first; ties still go to the lowest host id.
        Order::LoadAware => !key(r.cpu[h]),
        Order::Coolest => {
            let reserved = view.reservable_mips(h) - r.cpu[h];
            key(view.steady_temperature_c(h, reserved / view.capacity_mips(h)) + KELVIN)
        }
        Order::CoolestInlet => key(view.hosts[h].inlet_c + KELVIN),
        Order::FirstFit | Order::Packing => key(r.cpu[h]),
    }
}

fn leaf(view: &ClusterView, r: &Reservations, h: HostId) -> [f64; 3] {
    if r.usable[h] {
        [r.cpu[h], r.memory[h], view.host_type(h).core_mips]
    } else {
        [f64::NEG_INFINITY; 3]
    }
}

/// A segment tree over positions 0..n holding three values per leaf and their per-node maxima.
/// `leftmost(need)` finds the first leaf whose three values all reach `need`, pruning subtrees
/// whose maxima fall short — O(log n) when one resource binds.
pub struct MaxTree {
    size: usize,
    nodes: Vec<[f64; 3]>,
}

impl MaxTree {
    /// A tree of `n` empty leaves.
    pub fn new(n: usize) -> Self {
        let size = n.next_power_of_two().max(1);
        MaxTree {
            size,
            nodes: vec![[f64::NEG_INFINITY; 3]; 2 * size],
        }
    }

    /// Sets leaf `i`.
    pub fn set(&mut self, i: usize, v: [f64; 3]) {
        let mut p = i + self.size;
        self.nodes[p] = v;
        while p > 1 {
            p /= 2;
            let (a, b) = (self.nodes[2 * p], self.nodes[2 * p + 1]);
            self.nodes[p] = [a[0].max(b[0]), a[1].max(b[1]), a[2].max(b[2])];
        }
    }

    /// The first leaf whose values are all ≥ `need`.
    pub fn leftmost(&self, need: [f64; 3]) -> Option<usize> {
        self.leftmost_where(need, &|_| true)
    }

    /// The first leaf whose values are all ≥ `need` and for which `pred` holds.
    pub fn leftmost_where(&self, need: [f64; 3], pred: &dyn Fn(usize) -> bool) -> Option<usize> {
        self.search(1, need, pred)
    }

    fn search(&self, p: usize, need: [f64; 3], pred: &dyn Fn(usize) -> bool) -> Option<usize> {
        let v = self.nodes[p];
        if v[0] < need[0] || v[1] < need[1] || v[2] < need[2] {
            return None;
        }
        if p >= self.size {
            return pred(p - self.size).then_some(p - self.size);
        }
        self.search(2 * p, need, pred)
            .or_else(|| self.search(2 * p + 1, need, pred))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_tree_finds_the_leftmost_leaf_meeting_every_need() {
        let mut t = MaxTree::new(5);
        t.set(0, [10.0, 1.0, 5.0]);
        t.set(1, [1.0, 10.0, 5.0]);
        t.set(2, [8.0, 8.0, 1.0]);
        t.set(3, [8.0, 8.0, 5.0]);
        t.set(4, [9.0, 9.0, 9.0]);
        assert_eq!(t.leftmost([5.0, 5.0, 2.0]), Some(3));
        assert_eq!(t.leftmost([5.0, 5.0, 1.0]), Some(2));
        assert_eq!(t.leftmost([9.0, 9.0, 9.0]), Some(4));
        assert_eq!(t.leftmost([11.0, 0.0, 0.0]), None);
        t.set(3, [0.0, 0.0, 0.0]);
        assert_eq!(t.leftmost([5.0, 5.0, 2.0]), Some(4));
    }
}
