//! A private site: an ordinary orrery scenario run by its own cloud OS, stepped in lock-step
//! with the other sites, taking VM requests the federation hands it.
//!
//! A VM may come with a host chosen elsewhere (a multitier parent's placement, or the host a
//! protocol token stands for): the site then deploys it there instead of asking its own
//! placement policy.

use std::collections::BTreeMap;

use orrery_engine::action::{Action, ActionResult};
use orrery_engine::control::CloudOs;
use orrery_engine::error::InputError;
use orrery_engine::infra::{Decision, InfraError, Infrastructure};
use orrery_engine::metrics::RunResult;
use orrery_engine::model::PowerState;
use orrery_engine::scenario::Scenario;
use orrery_engine::time::Millis;
use orrery_engine::view::{ClusterView, HostId, VmId};
use orrery_sim::Simulator;
use orrery_sim::VmPlan;

use crate::coupling::{HostState, SiteState};

/// A private cloud in the federation.
pub struct PrivateSite {
    sim: Simulator,
    os: CloudOs,
    /// VMs to deploy on a given host rather than where the site's policy would.
    directives: BTreeMap<VmId, HostId>,
}

impl PrivateSite {
    /// Builds the site from its scenario with the federation's `seed` (each site derives its
    /// streams from the federation seed and its index, so sites draw independently).
    pub fn new(scenario: &Scenario, seed: u64) -> Result<PrivateSite, InputError> {
        let os = orrery_policies::registry::cloud_os(scenario, seed)?;
        let mut scenario = scenario.clone();
        scenario.spec.output.events = true;
        let sim = Simulator::new(&scenario, Some(seed))?;
        Ok(PrivateSite {
            sim,
            os,
            directives: BTreeMap::new(),
        })
    }

    /// The site's own view (what its cloud OS sees).
    pub fn view(&self) -> &ClusterView {
        self.sim.view()
    }

    /// Runs the site's control loop up to time `t` (`None`: to the end of its run).
    pub fn advance(&mut self, t: Option<Millis>) -> Result<(), InfraError> {
        self.sim.pause_at(t);
        let mut infra = Directed {
            sim: &mut self.sim,
            directives: &mut self.directives,
        };
        self.os.run(&mut infra)?;
        Ok(())
    }

    /// Hands the site a VM request; with `host`, it is deployed on that host.
    pub fn submit(&mut self, plan: VmPlan, host: Option<HostId>) -> Result<VmId, String> {
        let vm = self.sim.submit(plan)?;
        if let Some(h) = host {
            self.directives.insert(vm, h);
        }
        Ok(vm)
    }

    /// Holds VM `vm`'s CPU demand at `level` from now on (a worker going busy or idle).
    pub fn set_demand(&mut self, vm: VmId, level: f64) -> Result<(), String> {
        self.sim.set_demand(vm, level)
    }

    /// Stops VM `vm` (it left for another site or its request was withdrawn).
    pub fn stop(&mut self, vm: VmId) -> ActionResult {
        self.sim
            .apply(vec![Action::Shutdown { vm }])
            .pop()
            .expect("one action, one result")
    }

    /// The state the site's cloud OS knows: every host's capacity and reservations.
    pub fn state(&self) -> SiteState {
        let view = self.view();
        SiteState {
            at: view.now,
            hosts: (0..view.hosts.len())
                .map(|h| HostState {
                    name: view.hosts[h].name.clone(),
                    usable: !matches!(view.hosts[h].power, PowerState::Failed),
                    capacity_mips: view.reservable_mips(h),
                    reserved_mips: view.hosts[h].reserved_mips,
                    memory_mb: view.reservable_memory_mb(h),
                    reserved_memory_mb: view.hosts[h].reserved_memory_mb,
                })
                .collect(),
        }
    }

    /// Mean CPU utilisation of the powered hosts at the last monitoring update.
    pub fn cpu_utilisation(&self) -> f64 {
        let view = self.view();
        let up: Vec<HostId> = (0..view.hosts.len())
            .filter(|&h| view.hosts[h].power.is_up())
            .collect();
        if up.is_empty() {
            return 0.0;
        }
        up.iter().map(|&h| view.utilisation(h)).sum::<f64>() / up.len() as f64
    }

    /// Ends the run and returns its results.
    pub fn finish(mut self) -> Result<RunResult, InfraError> {
        self.advance(None)?;
        Ok(self.sim.finish())
    }
}

/// The simulator as the site's cloud OS drives it, with the VMs placed elsewhere taken out of
/// its placement decisions and deployed on their chosen hosts.
struct Directed<'a> {
    sim: &'a mut Simulator,
    directives: &'a mut BTreeMap<VmId, HostId>,
}

impl Infrastructure for Directed<'_> {
    fn view(&self) -> &ClusterView {
        self.sim.view()
    }

    fn next_decision(&mut self) -> Result<Option<Decision>, InfraError> {
        loop {
            match self.sim.next_decision()? {
                Some(Decision::Place(batch)) => {
                    let (directed, mut own): (Vec<VmId>, Vec<VmId>) = batch
                        .into_iter()
                        .partition(|v| self.directives.contains_key(v));
                    let plan = directed
                        .iter()
                        .map(|vm| Action::Deploy {
                            vm: *vm,
                            host: self.directives.remove(vm).expect("partitioned on it"),
                        })
                        .collect();
                    // A host that no longer has room leaves the VM to the site's own policy.
                    for (vm, result) in directed.into_iter().zip(self.sim.apply(plan)) {
                        if result.is_err() {
                            own.push(vm);
                        }
                    }
                    if !own.is_empty() {
                        return Ok(Some(Decision::Place(own)));
                    }
                }
                other => return Ok(other),
            }
        }
    }

    fn apply(&mut self, plan: Vec<Action>) -> Vec<ActionResult> {
        self.sim.apply(plan)
    }
}
