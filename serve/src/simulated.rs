//! The [`Backend`] over a running simulation: the scenario's datacenter, its own workload and
//! its cloud OS (built by `orrery_policies::registry::cloud_os`, as `orrery run` builds it),
//! advanced in steps as a federation site is (`pause_at`, then the control loop until it
//! pauses).
//!
//! An API launch is a VM arrival ([`Simulator::submit`]) at the current simulated time with a
//! constant CPU demand and no end; the simulator is then advanced to that same time so that
//! placement decides at once. Stop and start are the simulator's suspend and resume (the VM
//! keeps its memory on its host, as a suspended VM does); terminate is a shutdown.

use orrery_engine::action::Action;
use orrery_engine::control::CloudOs;
use orrery_engine::error::RunError;
use orrery_engine::infra::Infrastructure;
use orrery_engine::model::VmState;
use orrery_engine::scenario::Scenario;
use orrery_engine::time::Millis;
use orrery_engine::view::VmView;
use orrery_engine::workload::Demand;
use orrery_sim::{Simulator, VmPlan};

use crate::backend::{Backend, InstanceTypeSpec, Phase, VmRef, VmStatus};

/// A simulation served through the API.
pub struct SimBackend {
    sim: Simulator,
    os: CloudOs,
    types: Vec<InstanceTypeSpec>,
    identity: String,
    utilisation: f64,
    launched: u64,
}

impl SimBackend {
    /// Builds the scenario's datacenter and cloud OS (seed: `seed`, or the scenario's);
    /// API-launched VMs demand `utilisation` of their vCPUs (between 0 and 1).
    pub fn new(
        scenario: &Scenario,
        seed: Option<u64>,
        utilisation: f64,
    ) -> Result<SimBackend, RunError> {
        let seed = seed.unwrap_or(scenario.spec.seed);
        let os = orrery_policies::registry::cloud_os(scenario, seed)?;
        let sim = Simulator::new(scenario, Some(seed))?;
        let types = scenario
            .spec
            .vm_types
            .iter()
            .map(|t| InstanceTypeSpec {
                name: t.name.clone(),
                vcpus: t.vcpus,
                memory_mib: t.memory_mb.round() as u64,
                mips: t.mips,
                image: t.image.clone(),
            })
            .collect();
        let mut backend = SimBackend {
            sim,
            os,
            types,
            identity: format!("{}#{seed}", scenario.name),
            utilisation: utilisation.clamp(0.0, 1.0),
            launched: 0,
        };
        // Time 0's arrivals and placements happen before the first request.
        backend.sim.pause_at(Some(0));
        backend.os.run(&mut backend.sim)?;
        Ok(backend)
    }

    fn act(&mut self, action: Action) -> Result<(), String> {
        self.sim
            .apply(vec![action])
            .pop()
            .expect("one action, one result")
    }
}

impl Backend for SimBackend {
    fn identity(&self) -> String {
        self.identity.clone()
    }

    fn instance_types(&self) -> &[InstanceTypeSpec] {
        &self.types
    }

    fn now_ms(&self) -> i64 {
        self.sim.view().now as i64
    }

    fn horizon_ms(&self) -> Option<i64> {
        Some(self.sim.end() as i64)
    }

    fn launch(
        &mut self,
        type_index: usize,
        organisation: &str,
        count: u32,
    ) -> Result<Vec<VmRef>, String> {
        if self.sim.is_finished() {
            return Err(format!(
                "the simulation ended at {} s",
                self.sim.end() / 1000
            ));
        }
        let now = self.sim.view().now;
        let mut vms = Vec::with_capacity(count as usize);
        for _ in 0..count {
            self.launched += 1;
            let plan = VmPlan {
                view: VmView::new(format!("api-{}", self.launched), type_index, now),
                demand: Demand::Constant(self.utilisation),
                arrival: now,
                end: None,
                tenant: organisation.to_string(),
                host: None,
            };
            vms.push(self.sim.submit(plan)?);
        }
        self.advance_to(now as i64)?;
        Ok(vms)
    }

    fn status(&self, vm: VmRef) -> VmStatus {
        let view = self.sim.view();
        let v = &view.vms[vm];
        let phase = match v.state {
            VmState::Future | VmState::Pending | VmState::Deploying => Phase::Pending,
            VmState::Running | VmState::Migrating => Phase::Running,
            VmState::Suspended => Phase::Stopped,
            VmState::Stopped | VmState::Failed => Phase::Terminated,
        };
        VmStatus {
            phase,
            host: v
                .host
                .filter(|_| v.state.is_placed())
                .map(|h| view.hosts[h].name.clone()),
            failed: v.state == VmState::Failed,
        }
    }

    fn stop(&mut self, vm: VmRef) -> Result<(), String> {
        self.act(Action::Suspend { vm })
    }

    fn start(&mut self, vm: VmRef) -> Result<(), String> {
        self.act(Action::Resume { vm })
    }

    fn terminate(&mut self, vm: VmRef) -> Result<(), String> {
        self.act(Action::Shutdown { vm })
    }

    fn advance_to(&mut self, t_ms: i64) -> Result<i64, String> {
        let now = self.sim.view().now;
        let t = (t_ms.max(0) as Millis).max(now).min(self.sim.end());
        if !self.sim.is_finished() {
            self.sim.pause_at(Some(t));
            self.os.run(&mut self.sim).map_err(|e| e.to_string())?;
        }
        Ok(self.now_ms())
    }
}
