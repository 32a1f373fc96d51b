//! What fails and how the VM manager reacts: the failure state of hosts and VMs, drawn from
//! the scenario's failure model.

use orrery_engine::error::InputError;
use orrery_engine::model::failures::{exponential_schedule, read_trace, FailureEvent, FailureKind};
use orrery_engine::queue::EventQueue;
use orrery_engine::rng::{Rng, RngStreams};
use orrery_engine::scenario::Scenario;
use orrery_engine::time::{from_secs, Millis};
use orrery_engine::view::{HostId, VmId};

use super::event::Event;

/// Failure state of one VM.
#[derive(Default)]
pub(super) struct VmHa {
    /// Times lost so far: a crash drawn in an earlier life is stale.
    pub(super) life: u32,
    pub(super) restarts: u32,
    /// Lost at this time and not yet noticed by the VM manager.
    pub(super) down_since: Option<Millis>,
    /// The VM's crash stream and mean up time between crashes, s.
    pub(super) crash: Option<Box<(Rng, f64)>>,
}

/// What fails, and how the VM manager reacts.
pub(super) struct Ha {
    pub(super) detection: Millis,
    pub(super) restart: bool,
    pub(super) max_restarts: Option<u32>,
    pub(super) vms: Vec<VmHa>,
    /// Simple-model migrations (VM, destination) a failure cut short: their completion events
    /// are still queued, and come before that of any later migration of the VM there.
    pub(super) cancelled: Vec<(VmId, HostId)>,
    pub host_failures: u64,
    pub vm_crashes: u64,
    pub vm_restarts: u64,
}

impl Ha {
    /// The failure model of `scenario` for these hosts, with its scheduled host failures,
    /// repairs and the trace's crashes of the VMs named in `vm_names` put on `queue`. VMs are
    /// registered with [`Ha::add_vm`].
    pub(super) fn new(
        scenario: &Scenario,
        streams: &RngStreams,
        host_groups: &[usize],
        host_names: &[String],
        vm_names: &[String],
        queue: &mut EventQueue<Event>,
    ) -> Result<Ha, InputError> {
        let spec = &scenario.spec;
        let f = &spec.failures;
        let horizon = from_secs(spec.duration_s);
        let mut scheduled: Vec<FailureEvent> = Vec::new();
        for (h, &g) in host_groups.iter().enumerate() {
            if let (Some(mtbf), Some(mttr)) = (spec.hosts[g].mtbf_s, spec.hosts[g].mttr_s) {
                let mut rng = streams.stream("failures", h as u64);
                scheduled.extend(exponential_schedule(&mut rng, h, mtbf, mttr, horizon));
            }
        }
        if let Some(trace) = &f.trace {
            let path = scenario.resolve(trace);
            scheduled.extend(read_trace(&path, host_names, vm_names)?);
        }
        for e in scheduled {
            let event = match e.kind {
                FailureKind::Fail => Event::HostFail(e.target),
                FailureKind::Repair => Event::HostRepair(e.target),
                FailureKind::Crash => Event::Crash {
                    vm: e.target,
                    life: None,
                },
            };
            queue.push(e.at, event);
        }
        Ok(Ha {
            detection: from_secs(f.detection_s),
            restart: f.restart,
            max_restarts: f.max_restarts,
            vms: Vec::new(),
            cancelled: Vec::new(),
            host_failures: 0,
            vm_crashes: 0,
            vm_restarts: 0,
        })
    }

    /// Registers VM `v` (the next id) of a type that crashes `crash_rate_per_day` times a day
    /// on average (never when 0), drawing from its own stream.
    pub(super) fn add_vm(&mut self, v: VmId, crash_rate_per_day: f64, streams: &RngStreams) {
        debug_assert_eq!(v, self.vms.len());
        self.vms.push(VmHa {
            crash: (crash_rate_per_day > 0.0).then(|| {
                let mean_s = 86_400.0 / crash_rate_per_day;
                Box::new((streams.stream("crashes", v as u64), mean_s))
            }),
            ..VmHa::default()
        });
    }

    /// Whether the completion of VM `v`'s migration to `to` is that of a migration a failure
    /// cut short (it then completes nothing).
    pub(super) fn cancelled(&mut self, v: VmId, to: HostId) -> bool {
        match self.cancelled.iter().position(|&c| c == (v, to)) {
            Some(i) => {
                self.cancelled.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Whether VM `v` is lost and waiting for the VM manager to notice.
    pub(super) fn awaiting_restart(&self, v: VmId) -> bool {
        self.vms[v].down_since.is_some()
    }
}
