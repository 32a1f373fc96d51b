//! Pre-copy live migrations in flight (`migration.model = "pre-copy"`).
//!
//! Each migration is a [`Transfer`] sending at its fair share of two links: its source's
//! outgoing and its destination's incoming migration link, each of capacity
//! [`ClusterView::migration_rate_mbs`](orrery_engine::view::ClusterView::migration_rate_mbs)
//! ([`fair_rates`]). Whenever the set of sending transfers may change (a start, a phase
//! boundary, a completion, a VM stopped), the simulator [advances](Migrations::advance) every
//! transfer to now at its old rate, edits the set, then [settles](Migrations::settle) it:
//! boundaries reached are passed, rates recomputed and each transfer's next boundary scheduled
//! on the millisecond clock, rounded up (the sub-millisecond sliver is idle link time). A
//! boundary event carries a ticket; only the latest one issued for a transfer is acted on.

use std::collections::BTreeMap;

use orrery_engine::model::precopy::{fair_rates, Phase, PrecopyParams, Transfer};
use orrery_engine::queue::EventQueue;
use orrery_engine::time::{to_secs, Millis};
use orrery_engine::view::{HostId, VmId};

use super::event::Event;

/// One migration in flight.
#[derive(Debug)]
pub(super) struct Migration {
    /// Source host.
    pub from: HostId,
    /// Destination host.
    pub to: HostId,
    /// When stop-and-copy began (the VM paused), once it has.
    pub paused_at: Option<Millis>,
    /// The pre-copy state machine.
    pub transfer: Transfer,
    /// Bandwidth in use, MB/s (0 while not sending).
    rate: f64,
    /// Time and ticket of the boundary event scheduled for it, if any.
    due: Option<(Millis, u64)>,
}

/// Something a [`Migrations::settle`] changed that the simulator must act on.
#[derive(Debug)]
pub(super) enum Change {
    /// The VM entered stop-and-copy: paused on its source host `from` from now on.
    Paused {
        /// Source host.
        from: HostId,
    },
    /// The migration of `vm` ended: the VM runs on the destination.
    Done {
        /// The migrated VM.
        vm: VmId,
        /// Its finished migration.
        migration: Migration,
    },
}

/// The pre-copy migrations in flight, keyed (and so always visited) in VM id order.
#[derive(Debug)]
pub(super) struct Migrations {
    /// The scenario's pre-copy parameters; each VM's dirty rate replaces `dirty_rate_mbs`.
    params: PrecopyParams,
    active: BTreeMap<VmId, Migration>,
    /// Time every transfer has been advanced to.
    synced: Millis,
    /// Data sent by the migrations no longer in flight (finished or dropped), in MB.
    retired_mb: f64,
    /// Ticket of the next boundary event (unique over the run, so a stale event never matches
    /// a later migration of the same VM).
    next_ticket: u64,
}

impl Migrations {
    /// No migration in flight; `params` as in the scenario (its dirty rate is ignored).
    pub fn new(params: PrecopyParams) -> Self {
        Migrations {
            params,
            active: BTreeMap::new(),
            synced: 0,
            retired_mb: 0.0,
            next_ticket: 0,
        }
    }

    /// Advances every transfer to `now` at its current rate.
    pub fn advance(&mut self, now: Millis) {
        let dt = to_secs(now.saturating_sub(self.synced));
        self.synced = self.synced.max(now);
        if dt > 0.0 {
            for m in self.active.values_mut() {
                m.transfer.advance(dt, m.rate);
            }
        }
    }

    /// Data sent so far by every migration, finished, dropped or in flight, in MB.
    pub fn data_sent_mb(&self) -> f64 {
        self.active
            .values()
            .fold(self.retired_mb, |sum, m| sum + m.transfer.data_sent_mb())
    }

    /// Adds the migration of `vm` (`memory_mb` of memory dirtied at `dirty_rate_mbs`) from
    /// `from` to `to`; call between [`Migrations::advance`] and [`Migrations::settle`].
    pub fn start(
        &mut self,
        vm: VmId,
        from: HostId,
        to: HostId,
        memory_mb: f64,
        dirty_rate_mbs: f64,
    ) {
        let params = PrecopyParams {
            dirty_rate_mbs,
            ..self.params
        };
        self.active.insert(
            vm,
            Migration {
                from,
                to,
                paused_at: None,
                transfer: Transfer::new(memory_mb, params),
                rate: 0.0,
                due: None,
            },
        );
    }

    /// Drops the migration of `vm` (the VM stopped); call between [`Migrations::advance`] and
    /// [`Migrations::settle`].
    pub fn remove(&mut self, vm: VmId) {
        if let Some(m) = self.active.remove(&vm) {
            self.retired_mb += m.transfer.data_sent_mb();
        }
    }

    /// Whether `vm` is migrating.
    pub fn contains(&self, vm: VmId) -> bool {
        self.active.contains_key(&vm)
    }

    /// Whether `vm` is paused in stop-and-copy.
    pub fn paused(&self, vm: VmId) -> bool {
        self.active.get(&vm).is_some_and(|m| m.paused_at.is_some())
    }

    /// Whether a boundary event for `vm` with `ticket` is the current one (then it is consumed).
    pub fn fire(&mut self, vm: VmId, ticket: u64) -> bool {
        match self.active.get_mut(&vm) {
            Some(m) if m.due.is_some_and(|(_, t)| t == ticket) => {
                m.due = None;
                true
            }
            _ => false,
        }
    }

    /// At `now` (after [`Migrations::advance`]): passes every boundary reached, removes the
    /// finished migrations, shares the links among the transfers still sending (`capacity`:
    /// a host's link capacity in each direction, MB/s) and schedules each transfer's next
    /// boundary whose time changed. Returns the pauses, then the completions, each in VM order.
    pub fn settle(
        &mut self,
        now: Millis,
        capacity: impl Fn(HostId) -> f64,
        queue: &mut EventQueue<Event>,
    ) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut finished = Vec::new();
        for (&vm, m) in &mut self.active {
            // A phase may take no time (nothing dirtied, no resume overhead): pass them all.
            loop {
                let phase = m.transfer.phase();
                if m.transfer.next_phase() == phase {
                    break;
                }
            }
            match m.transfer.phase() {
                Phase::Done => finished.push(vm),
                Phase::StopAndCopy if m.paused_at.is_none() => {
                    m.paused_at = Some(now);
                    changes.push(Change::Paused { from: m.from });
                }
                _ => {}
            }
        }
        for vm in finished {
            let migration = self.active.remove(&vm).expect("listed above");
            self.retired_mb += migration.transfer.data_sent_mb();
            changes.push(Change::Done { vm, migration });
        }
        let sending = |m: &Migration| m.transfer.remaining_mb() > 0.0;
        let links: Vec<(HostId, HostId)> = self
            .active
            .values()
            .filter(|m| sending(m))
            .map(|m| (m.from, m.to))
            .collect();
        let mut rates = fair_rates(&links, capacity).into_iter();
        for (&vm, m) in &mut self.active {
            m.rate = if sending(m) {
                rates.next().expect("one rate per sending transfer")
            } else {
                0.0
            };
            let dt = m.transfer.time_to_next_boundary(m.rate);
            let at = dt
                .is_finite()
                .then(|| now.saturating_add((dt * 1000.0).ceil() as Millis));
            if at != m.due.map(|(t, _)| t) {
                m.due = at.map(|t| {
                    let ticket = self.next_ticket;
                    self.next_ticket += 1;
                    queue.push(t, Event::MigrationStep { vm, ticket });
                    (t, ticket)
                });
            }
        }
        changes
    }
}
