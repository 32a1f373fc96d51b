//! A tentative copy of the allocation that consolidation policies plan on.
//!
//! It mirrors what CloudSim's hosts and `VmSchedulerTimeSharedOverSubscription` know while
//! `optimizeAllocation` runs: each host's VM list in order (VMs migrating in included), the MIPS
//! each VM asked the scheduler for, the MIPS still available, and memory. Tentative creates and
//! destroys change only this copy; the view is never touched.

use orrery_engine::model::cpu::{Claim, Role, ShareRule};
use orrery_engine::model::VmState;
use orrery_engine::view::{ClusterView, HostId, VmId};

/// Samples of host history the detectors look at (CloudSim's `PowerVm.HISTORY_LENGTH`).
pub const HISTORY: usize = 30;

/// One host of the tentative allocation.
#[derive(Debug, Clone)]
pub struct ScratchHost {
    /// VMs on the host, in CloudSim's list order.
    pub vms: Vec<VmId>,
    /// Capacity the scheduler still has (0 when oversubscribed). With the `allocation_order`
    /// quirk it is CloudSim's running subtraction, to the last bit: see [`Scratch::create`],
    /// [`Scratch::destroy`] and [`Scratch::reallocate`].
    pub available: f64,
    /// MIPS allocated to the host's VMs, a VM migrating in counted at its full demand
    /// (CloudSim's `getUtilizationOfCpuMips`).
    pub planned_mips: f64,
    /// Memory in use, in MB.
    pub memory_used: f64,
    /// Σ MIPS its VMs request now (uncapped), summed in list order.
    pub requested: f64,
    /// Utilisation history (newest first, `HISTORY` samples, not trimmed), summed in list order.
    pub history: [f64; HISTORY],
}

/// A host's utilisation history, newest first, trailing zeros trimmed (kept inline: detectors
/// build one for every host they check).
#[derive(Debug, Clone, Copy)]
pub struct History {
    values: [f64; HISTORY],
    len: usize,
}

impl std::ops::Deref for History {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        &self.values[..self.len]
    }
}

/// What one VM asks of a host: requested MIPS, per vCPU, and memory.
#[derive(Debug, Clone, Copy)]
pub struct Ask {
    /// Requested MIPS (uncapped).
    pub mips: f64,
    /// Requested MIPS per vCPU.
    pub per_vcpu: f64,
    /// Memory that must fit, in MB.
    pub memory: f64,
}

/// The tentative allocation of a whole cluster.
pub struct Scratch<'a> {
    /// The view the allocation started from.
    pub view: &'a ClusterView,
    /// Hosts by id.
    pub hosts: Vec<ScratchHost>,
    /// VMs created by this plan (placement): the scheduler holds their full capacity.
    new: Vec<bool>,
    /// New VMs already created on a host: they request only their (still zero) demand.
    created: Vec<bool>,
    /// Whether memory binds (CloudSim: only while VMs are being created).
    memory_binds: bool,
    /// VMs a reallocation must leave where they are (in their cooldown).
    pinned: Vec<bool>,
    /// Per host, the bucket count of CloudSim's `HashMap` of requested MIPS, which orders its
    /// re-allocation after a removal. It doubles when the map holds more than ¾ of it and never
    /// shrinks, so it outlives the plan ([`Scratch::with_tables`], [`Scratch::take_tables`]).
    tables: Vec<u32>,
    /// Per host, whether `available` already follows the map's order (re-allocating again
    /// would change nothing).
    hashed: Vec<bool>,
    /// Scratch space for that order.
    order: Vec<VmId>,
}

impl<'a> Scratch<'a> {
    /// The allocation as the view reports it. `memory_binds` makes every VM's memory count
    /// (corrected semantics); otherwise only VMs being created need memory (CloudSim, whose VMs
    /// request no memory once created).
    pub fn new(view: &'a ClusterView, memory_binds: bool) -> Self {
        let mut s = Scratch {
            view,
            hosts: view
                .hosts
                .iter()
                .map(|h| ScratchHost {
                    vms: h.vms.clone(),
                    available: 0.0,
                    planned_mips: 0.0,
                    memory_used: 0.0,
                    requested: 0.0,
                    history: [0.0; HISTORY],
                })
                .collect(),
            new: vec![false; view.vms.len()],
            created: vec![false; view.vms.len()],
            memory_binds,
            pinned: vec![false; view.vms.len()],
            tables: vec![JAVA_MAP_BUCKETS; view.hosts.len()],
            hashed: vec![false; view.hosts.len()],
            order: Vec::new(),
        };
        for h in 0..s.hosts.len() {
            // At an update CloudSim allocates each host's VMs in list order, as `refresh` does.
            s.refresh(h);
        }
        s
    }

    /// Keeps VM `v` where it is for this plan.
    pub fn pin(&mut self, v: VmId) {
        self.pinned[v] = true;
    }

    /// Whether a reallocation may move VM `v`: it runs (not deploying, not migrating) and is
    /// not pinned.
    pub fn movable(&self, v: VmId) -> bool {
        let vm = &self.view.vms[v];
        !vm.in_migration && vm.state == VmState::Running && !self.pinned[v]
    }

    /// The same allocation with the hosts' map sizes as an earlier plan left them.
    pub fn with_tables(mut self, tables: Vec<u32>) -> Self {
        if tables.len() == self.hosts.len() {
            self.tables = tables;
        }
        for h in 0..self.hosts.len() {
            self.grow_table(h, self.hosts[h].vms.len());
        }
        self
    }

    /// The hosts' map sizes, for the next plan.
    pub fn take_tables(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.tables)
    }

    /// Grows host `h`'s map as Java does when it comes to hold `entries` keys.
    fn grow_table(&mut self, h: HostId, entries: usize) {
        while entries as u64 > self.tables[h] as u64 * 3 / 4 {
            self.tables[h] *= 2;
            self.hashed[h] = false;
        }
    }

    /// Marks `v` as a VM being created: it asks for its full capacity and its memory.
    pub fn mark_new(&mut self, v: VmId) {
        self.new[v] = true;
    }

    /// Creates new VM `v` on host `h` for good: from now on it requests only its demand (zero
    /// until it is first sampled), while the scheduler keeps the full capacity it was created with.
    pub fn commit_new(&mut self, h: HostId, v: VmId) {
        self.created[v] = true;
        self.create(h, v);
    }

    /// MIPS VM `v` requests now (CloudSim's `getCurrentRequestedTotalMips`): its full capacity
    /// while it is being instantiated, else demand × capacity.
    pub fn requested(&self, v: VmId) -> f64 {
        if self.new[v] && !self.created[v] {
            self.view.vm_mips(v)
        } else {
            self.view.requested_mips(v)
        }
    }

    /// MIPS the scheduler holds for VM `v`: what it requested when it was last allocated.
    fn scheduled(&self, v: VmId) -> f64 {
        if self.new[v] {
            self.view.vm_mips(v)
        } else {
            self.view.requested_mips(v)
        }
    }

    fn is_incoming(&self, h: HostId, v: VmId) -> bool {
        self.view.hosts[h].incoming.contains(&v)
    }

    fn memory_of(&self, v: VmId) -> f64 {
        if self.memory_binds || (self.new[v] && !self.placed_before(v)) {
            self.view.vm_memory_mb(v)
        } else {
            0.0
        }
    }

    /// Whether a new VM already sits on some host of the view (then it was created earlier).
    fn placed_before(&self, v: VmId) -> bool {
        self.view.vms[v].host.is_some()
    }

    /// Recomputes host `h`'s scheduler state from its VM list.
    fn refresh(&mut self, h: HostId) {
        let view = self.view;
        let ty = view.host_type(h);
        if self.hosts[h].vms.is_empty() {
            let host = &mut self.hosts[h];
            host.available = ty.total_mips();
            host.planned_mips = 0.0;
            host.memory_used = 0.0;
            host.requested = 0.0;
            host.history = [0.0; HISTORY];
            return;
        }
        let m = view.migration;
        let rule = self.rule(h);
        let claims: Vec<Claim> = self.hosts[h]
            .vms
            .iter()
            .map(|&v| self.claim(h, v))
            .collect();
        let shares = rule.share(&claims);
        let mut planned = 0.0;
        for (c, a) in claims.iter().zip(&shares.allocated) {
            planned += a;
            if c.role == Role::MigratingIn && m.destination_fraction > 0.0 {
                // The VM will soon need all of its demand here, not just the transfer overhead.
                planned += a * (1.0 - m.destination_fraction) / m.destination_fraction;
            }
        }
        let memory: f64 = self.hosts[h].vms.iter().map(|&v| self.memory_of(v)).sum();
        let requested = self.hosts[h]
            .vms
            .iter()
            .fold(0.0, |acc, &v| acc + self.requested(v));
        let mut history = [0.0; HISTORY];
        for &v in &self.hosts[h].vms {
            self.add_history(h, v, &mut history);
        }
        let host = &mut self.hosts[h];
        host.available = if view.quirks.allocation_order {
            rule.left_in_order(claims.iter().copied()).unwrap_or(0.0)
        } else if shares.oversubscribed {
            0.0
        } else {
            ty.total_mips() - claims.iter().map(|c| rule.need(c)).sum::<f64>()
        };
        host.planned_mips = planned;
        host.memory_used = memory;
        host.requested = requested;
        host.history = history;
    }

    /// Host `h`'s sharing rule.
    fn rule(&self, h: HostId) -> ShareRule {
        let view = self.view;
        let ty = view.host_type(h);
        ShareRule {
            core_mips: ty.core_mips,
            capacity: ty.total_mips(),
            source_degradation: view.migration.source_degradation,
            destination_fraction: view.migration.destination_fraction,
            floor_when_oversubscribed: view.quirks.floor_allocations,
            fit_in_order: view.quirks.allocation_order,
        }
    }

    /// VM `v`'s claim on host `h`'s scheduler.
    fn claim(&self, h: HostId, v: VmId) -> Claim {
        let view = self.view;
        Claim {
            requested: self.scheduled(v),
            vcpus: view.vm_vcpus(v),
            role: if self.is_incoming(h, v) {
                Role::MigratingIn
            } else if view.vms[v].in_migration {
                Role::MigratingOut
            } else {
                Role::Resident
            },
        }
    }

    /// Re-allocates host `h`'s VMs in the order CloudSim's scheduler re-allocates them after a
    /// removal: its `HashMap`'s, by bucket, then by list order within a bucket (keys go in
    /// list order, and Java appends to a bucket). CloudSim does this for every `vmDestroy`,
    /// including the one that ends each overload check (`isHostOverUtilizedAfterAllocation`).
    pub fn reallocate(&mut self, h: HostId) {
        if !self.view.quirks.allocation_order || self.hashed[h] {
            return;
        }
        self.hashed[h] = true;
        let buckets = self.tables[h] - 1;
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend_from_slice(&self.hosts[h].vms);
        order.sort_by_key(|&v| java_key_hash(v) & buckets);
        let claims = order.iter().map(|&v| self.claim(h, v));
        self.hosts[h].available = self.rule(h).left_in_order(claims).unwrap_or(0.0);
        self.order = order;
    }

    /// Notes that CloudSim's overload check briefly creates a VM on host `h` (its map grows by
    /// one key), then destroys it, re-allocating the host.
    #[inline]
    pub fn check_overload(&mut self, h: HostId) {
        if !self.view.quirks.allocation_order {
            return;
        }
        let entries = self.hosts[h].vms.len() + 1;
        if self.hashed[h] && entries as u64 <= self.tables[h] as u64 * 3 / 4 {
            return; // nothing would change
        }
        self.grow_table(h, entries);
        self.reallocate(h);
    }

    /// Adds VM `v`'s history, scaled to host `h`, into `out` (CloudSim's per-VM term).
    fn add_history(&self, h: HostId, v: VmId, out: &mut [f64]) {
        let cap = self.view.capacity_mips(h);
        let mips = self.view.vm_mips(v);
        for (slot, u) in out.iter_mut().zip(&self.view.vms[v].history) {
            *slot += u * mips / cap;
        }
    }

    /// What VM `v` asks of a host (CloudSim's `isSuitableForVm` compares it with each host).
    pub fn ask(&self, v: VmId) -> Ask {
        let req = self.requested(v);
        Ask {
            mips: req,
            per_vcpu: req / self.view.vm_vcpus(v) as f64,
            memory: self.memory_of(v),
        }
    }

    /// Tentatively creates VM `v` on host `h` (appended to its list).
    pub fn create(&mut self, h: HostId, v: VmId) {
        let before = self.hosts[h].available;
        self.hosts[h].vms.push(v);
        self.refresh(h);
        if self.view.quirks.allocation_order {
            // The scheduler takes the new VM's need from what it had left.
            self.grow_table(h, self.hosts[h].vms.len());
            self.hashed[h] = false;
            let need = self.rule(h).need(&self.claim(h, v));
            self.hosts[h].available = if before >= need { before - need } else { 0.0 };
        }
    }

    /// Tentatively removes VM `v` from host `h`.
    pub fn destroy(&mut self, h: HostId, v: VmId) {
        if let Some(i) = self.hosts[h].vms.iter().position(|&x| x == v) {
            self.hosts[h].vms.remove(i);
            self.refresh(h);
            self.hashed[h] = false;
            self.reallocate(h);
        }
    }

    /// Requested utilisation of host `h`, with VM `extra` added last if given: Σ requested MIPS
    /// of its VMs (uncapped) / capacity.
    pub fn requested_utilisation(&self, h: HostId, extra: Option<VmId>) -> f64 {
        let total = self.hosts[h].requested + extra.map_or(0.0, |v| self.requested(v));
        total / self.view.capacity_mips(h)
    }

    /// Host `h`'s utilisation history with VM `extra` added last (CloudSim's
    /// `getUtilizationHistory`): Σ over its VMs of their history × VM MIPS / host MIPS, newest
    /// first, trailing zeros trimmed.
    pub fn history(&self, h: HostId, extra: Option<VmId>) -> History {
        let mut values = self.hosts[h].history;
        if let Some(v) = extra {
            self.add_history(h, v, &mut values);
        }
        let len = crate::stats::count_non_zero_beginning(&values);
        History { values, len }
    }

    /// Memory of the largest VM on host `h`, with VM `extra` added if given.
    pub fn max_memory(&self, h: HostId, extra: Option<VmId>) -> f64 {
        self.hosts[h]
            .vms
            .iter()
            .chain(extra.as_ref())
            .map(|&v| self.view.vm_memory_mb(v))
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// Buckets of a new Java `HashMap`.
const JAVA_MAP_BUCKETS: u32 = 16;

/// The spread hash (Java 8 `HashMap.hash`) of VM `v`'s key in CloudSim's scheduler maps: its
/// uid `"<broker id>-<vm id>"` (`String.hashCode`), where the experiments' broker is entity 2.
fn java_key_hash(v: VmId) -> u32 {
    let mut digits = [0u8; 20];
    let (mut n, mut len) = (v, 0);
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let key = [b'2', b'-']
        .into_iter()
        .chain(digits[..len].iter().rev().copied());
    let h = key.fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(c as u32));
    h ^ (h >> 16)
}
