//! Live services: the config's `[[services]]` run as real guests. Each role runs its
//! cardinality of VMs named `SERVICE-ROLE-N`; elasticity (the same [`Elasticity`] policy the
//! simulator runs) sets the cardinality, the placement policy deploys the VMs a role lacks and
//! the newest VMs of a role above its cardinality are shut down.
//!
//! Membership is the name: a tagged domain of this config named `SERVICE-ROLE-N` is that
//! role's (the config refuses names that two roles, or a listed VM, could share). The
//! cardinality each role was last scaled to is journaled ([`Record::Scaled`]), so a restarted
//! loop keeps it; phases follow OneFlow's: a role deploys once the roles it depends on run,
//! scales until its VMs run its cardinality, then cools down.
//!
//! [`Elasticity`]: orrery_engine::policy::Elasticity
//! [`Record::Scaled`]: crate::journal::Record::Scaled

use std::collections::BTreeMap;

use orrery_engine::model::{RolePhase, RoleView, ServiceSlot, ServiceState, ServiceView, VmState};
use orrery_engine::scenario::DEFAULT_TENANT;
use orrery_engine::time::{Millis, SECOND};
use orrery_engine::view::{ClusterView, VmView};

use crate::config::{role_prefix, LiveConfig};

/// One role's state between rounds.
#[derive(Debug, Clone)]
struct RoleState {
    cardinality: u32,
    phase: RolePhase,
    phase_since: Millis,
    cooldown_until: Millis,
    /// The cooldown the scaling under way starts when it finishes.
    cooldown: Millis,
}

/// The services' roles, by service then role, in config order.
#[derive(Debug, Clone, Default)]
pub struct Services {
    roles: Vec<Vec<RoleState>>,
}

impl Services {
    /// The config's services, each role at the cardinality it was last scaled to (from the
    /// journal, `scaled`: by service and role name) or else its configured one, waiting to
    /// deploy.
    pub fn new(config: &LiveConfig, scaled: &BTreeMap<(String, String), u32>) -> Self {
        let roles = config
            .spec
            .services
            .iter()
            .map(|svc| {
                svc.roles
                    .iter()
                    .map(|role| RoleState {
                        cardinality: scaled
                            .get(&(svc.name.clone(), role.name.clone()))
                            .copied()
                            .unwrap_or(role.cardinality)
                            .clamp(role.min(), role.max()),
                        phase: RolePhase::Waiting,
                        phase_since: 0,
                        cooldown_until: 0,
                        cooldown: 0,
                    })
                    .collect()
            })
            .collect();
        Services { roles }
    }

    /// Whether the config has services.
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
    }

    /// Completes an observed view at its time: marks each role VM's slot and delivers its
    /// metrics as the simulator's monitoring does (`CPU`, percent of one CPU as OpenNebula
    /// reports it: 100 × utilisation × vCPUs; `CPU_UTILIZATION`, 100 × utilisation); adds the VMs a role lacks as pending VMs (numbered after its
    /// newest); moves the roles' phases on; and lists the services in the view.
    pub fn complete(&mut self, config: &LiveConfig, view: &mut ClusterView) {
        let now = view.now;
        let mut members: Vec<Vec<Vec<(u32, usize)>>> = self
            .roles
            .iter()
            .map(|roles| vec![Vec::new(); roles.len()])
            .collect();
        for v in 0..view.vms.len() {
            let Some(m) = config.role_of(&view.vms[v].name) else {
                continue;
            };
            let vcpus = view.vm_vcpus(v) as f64;
            let vm = &mut view.vms[v];
            vm.service = Some(ServiceSlot {
                service: m.service,
                role: m.role,
            });
            if vm.state == VmState::Running {
                vm.metrics.insert("CPU".into(), 100.0 * vm.demand * vcpus);
                vm.metrics
                    .insert("CPU_UTILIZATION".into(), 100.0 * vm.demand);
            }
            members[m.service][m.role].push((m.index, v));
        }
        for (s, svc) in config.spec.services.iter().enumerate() {
            for (r, role) in svc.roles.iter().enumerate() {
                let list = &mut members[s][r];
                list.sort_unstable();
                let held = list.iter().filter(|&&(_, v)| holds(&view.vms[v])).count() as u32;
                let running = list
                    .iter()
                    .filter(|&&(_, v)| view.vms[v].state == VmState::Running)
                    .count() as u32;
                let parents_run = role.depends_on.iter().all(|d| {
                    let p = svc
                        .roles
                        .iter()
                        .position(|x| &x.name == d)
                        .expect("validated");
                    !matches!(
                        self.roles[s][p].phase,
                        RolePhase::Waiting | RolePhase::Deploying
                    )
                });
                let state = &mut self.roles[s][r];
                if state.phase == RolePhase::Waiting && parents_run {
                    state.enter(RolePhase::Deploying, now);
                }
                if state.phase != RolePhase::Waiting && held < state.cardinality {
                    let template = config.template_index(&role.vm_type).expect("validated");
                    let prefix = role_prefix(&svc.name, &role.name);
                    let first = list.last().map_or(1, |&(n, _)| n + 1);
                    for next in first..first + (state.cardinality - held) {
                        let mut vm = VmView::new(format!("{prefix}{next}"), template, now);
                        vm.state = VmState::Pending;
                        vm.service = Some(ServiceSlot {
                            service: s,
                            role: r,
                        });
                        view.vms.push(vm);
                        list.push((next, view.vms.len() - 1));
                    }
                }
                let settled = running == state.cardinality && held == state.cardinality;
                match state.phase {
                    RolePhase::Deploying if settled => state.enter(RolePhase::Running, now),
                    RolePhase::Scaling if settled => {
                        state.enter(RolePhase::Cooldown, now);
                        state.cooldown_until = now + state.cooldown;
                    }
                    _ => {}
                }
                if state.phase == RolePhase::Cooldown && now >= state.cooldown_until {
                    let until = state.cooldown_until;
                    state.enter(RolePhase::Running, until);
                }
            }
        }
        view.services = config
            .spec
            .services
            .iter()
            .enumerate()
            .map(|(s, svc)| ServiceView {
                name: svc.name.clone(),
                // A live config has no organisations.
                tenant: DEFAULT_TENANT.into(),
                user: svc.user.clone(),
                vdc: None,
                state: ServiceState::of_phases(self.roles[s].iter().map(|r| r.phase)),
                submitted: 0,
                roles: svc
                    .roles
                    .iter()
                    .enumerate()
                    .map(|(r, role)| {
                        let st = &self.roles[s][r];
                        RoleView {
                            name: role.name.clone(),
                            vm_type: config.template_index(&role.vm_type).expect("validated"),
                            cardinality: st.cardinality,
                            min_vms: role.min(),
                            max_vms: role.max(),
                            depends_on: role
                                .depends_on
                                .iter()
                                .filter_map(|d| svc.roles.iter().position(|x| &x.name == d))
                                .collect(),
                            vms: members[s][r]
                                .iter()
                                .filter(|&&(_, v)| holds(&view.vms[v]))
                                .map(|&(_, v)| v)
                                .collect(),
                            phase: st.phase,
                            phase_since: st.phase_since,
                            cooldown_until: st.cooldown_until,
                        }
                    })
                    .collect(),
                kpis: BTreeMap::new(),
                rejection: None,
            })
            .collect();
    }

    /// Sets role `role` of service `service` to `to` VMs at `now`, cooling down `cooldown_s`
    /// once its VMs run that many; returns the cardinality it had.
    pub fn scale(
        &mut self,
        service: usize,
        role: usize,
        to: u32,
        cooldown_s: u64,
        now: Millis,
    ) -> u32 {
        let state = &mut self.roles[service][role];
        let from = state.cardinality;
        state.cardinality = to;
        state.cooldown = cooldown_s * SECOND;
        state.enter(RolePhase::Scaling, now);
        from
    }

    /// The VMs of `view` above their role's cardinality, the newest of each role first: they
    /// are to be shut down.
    pub fn surplus(&self, view: &ClusterView) -> Vec<usize> {
        let mut out = Vec::new();
        for (s, svc) in view.services.iter().enumerate() {
            for (r, role) in svc.roles.iter().enumerate() {
                let keep = self.roles[s][r].cardinality as usize;
                // Oldest first: the VMs after the first `keep` are the newest.
                out.extend(
                    role.vms
                        .iter()
                        .skip(keep)
                        .rev()
                        .filter(|&&v| view.vms[v].state != VmState::Pending),
                );
            }
        }
        out
    }
}

impl RoleState {
    fn enter(&mut self, phase: RolePhase, at: Millis) {
        self.phase = phase;
        self.phase_since = at;
    }
}

/// Whether `vm` holds its role's place: pending, running or suspended (not stopped or failed).
fn holds(vm: &VmView) -> bool {
    !matches!(vm.state, VmState::Stopped | VmState::Failed)
}
