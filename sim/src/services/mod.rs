//! The service manager's mechanism: services submitted, admitted or rejected, their roles
//! deployed in dependency order, the request load on their VMs, monitoring, scaling and the
//! lifecycle; the decisions (admission, elasticity) are the policies'.
//!
//! * **Lifecycle.** A service is submitted at `submit_s` and waits for admission
//!   ([`Decision::Admit`](orrery_engine::infra::Decision::Admit)). Once admitted, each role whose dependencies have settled deploys
//!   its cardinality: its VMs are new pending requests, placed by the placement policy. A role
//!   settles when none of its VMs is still pending, deploying or awaiting a restart. A service
//!   is `deploying` while a role waits or deploys, then `scaling` while a role scales,
//!   `warning` while a role runs fewer VMs than its cardinality (a crash, a failed host, a VM
//!   placement rejected), `cooldown` while a role cools down, else `running`. Its runtime
//!   lease suspends its VMs; its lifetime undeploys it (`done`).
//! * **Scaling.** `ScaleRole` adds pending VMs or shuts down the role's newest VMs (as OneFlow
//!   does); when the role settles it cools down for the action's `cooldown_s`.
//! * **Load.** Every measurement interval the requests that arrived (a Poisson count of the
//!   service's rate) go through the roles in order (the model of
//!   [`service_load`](mod@orrery_engine::model::service_load)): each running VM's CPU demand becomes its share of
//!   the work, each VM's service rate its nominal MIPS scaled down when its host is
//!   oversubscribed. A role with no running VM drops every request.
//! * **Monitoring.** Per VM, sensors measure `CPU` (percent of one CPU), `CPU_UTILIZATION`
//!   (percent of its vCPUs), `REQUESTS` (req/s) and `RT` (its role's mean response time, s);
//!   per service `RESPONSE_TIME`, `RESPONSE_TIME_P95`, `THROUGHPUT` and `DROP_RATE`. Each
//!   sensor follows the service's monitoring specifier (measurement and delivery intervals,
//!   aggregation); what it delivers goes into the view (`VmView::metrics`, with the service's
//!   KPIs copied into each of its VMs, and `ServiceView::kpis`) and raises
//!   [`Decision::Scale`](orrery_engine::infra::Decision::Scale). Policies never see undelivered values.
//! * **Autoscaler loop.** When a service has `autoscaler = "oneflow"`, a loop also raises
//!   `Decision::Scale` every 90 s from time 0 (OneFlow's `:autoscaler_interval`), after every
//!   other event of its instant; the elasticity policy evaluates such services only then.
//! * **Availability.** A service is up while every role has a running VM; its availability is
//!   the fraction of time from admission to undeployment (or the end) it was up.

use orrery_engine::action::ActionResult;
use orrery_engine::infra::Decision;
use orrery_engine::model::{RolePhase, ServiceId, ServiceSlot, ServiceState, VmState};
use orrery_engine::time::{from_secs, Millis};
use orrery_engine::view::{VmId, VmView};
use orrery_engine::workload::Demand;

mod load;
pub(crate) mod state;

use super::build::VmPlan;
use super::event::Event;
use super::Simulator;
use state::ServiceOutcome;

impl Simulator {
    /// Service `s` is submitted: it waits for admission control.
    pub(super) fn submit_service(&mut self, s: ServiceId) {
        self.view.services[s].state = ServiceState::Pending;
        self.services.pending.push(s);
        self.log_service(s, "service-submitted", String::new());
    }

    /// Admission control admitted service `s`: its monitoring starts and its first roles deploy.
    pub(super) fn admit_service(&mut self, s: ServiceId) -> ActionResult {
        let now = self.view.now;
        let state = self.view.services.get(s).ok_or("no such service")?.state;
        if state != ServiceState::Pending {
            return Err(format!("service is {}, not pending", state.name()));
        }
        self.services.pending.retain(|&p| p != s);
        self.view.services[s].state = ServiceState::Deploying;
        let sim = &mut self.services.sims[s];
        sim.admitted_at = Some(now);
        sim.monitoring_since = now;
        sim.last_tick = now;
        if let Some(lease) = sim.runtime_lease {
            self.queue.push(now + lease, Event::ServiceLease(s));
        }
        self.queue.push(
            now + self.services.sims[s].measurement,
            Event::ServiceTick(s),
        );
        self.log_service(s, "service-admitted", String::new());
        self.refresh_service(s);
        Ok(())
    }

    /// Admission control rejected service `s`.
    pub(super) fn reject_service(&mut self, s: ServiceId, reason: String) -> ActionResult {
        let state = self.view.services.get(s).ok_or("no such service")?.state;
        if state != ServiceState::Pending {
            return Err(format!("service is {}, not pending", state.name()));
        }
        self.services.pending.retain(|&p| p != s);
        let view = &mut self.view.services[s];
        view.state = ServiceState::Rejected;
        view.rejection = Some(reason.clone());
        self.log_service(s, "service-rejected", reason);
        Ok(())
    }

    /// Sets role `r` of service `s` to `cardinality` VMs; it cools down for `cooldown_s` once
    /// the change has settled.
    pub(super) fn scale_role(
        &mut self,
        s: ServiceId,
        r: usize,
        cardinality: u32,
        cooldown_s: u64,
    ) -> ActionResult {
        let svc = self.view.services.get(s).ok_or("no such service")?;
        if !svc.state.is_live() {
            return Err(format!("service is {}", svc.state.name()));
        }
        let role = svc.roles.get(r).ok_or("no such role")?;
        if !matches!(role.phase, RolePhase::Running | RolePhase::Cooldown) {
            return Err(format!(
                "role `{}` is {:?}, not running",
                role.name, role.phase
            ));
        }
        if !(role.min_vms..=role.max_vms).contains(&cardinality) {
            return Err(format!(
                "cardinality {cardinality} is outside {}..={} for role `{}`",
                role.min_vms, role.max_vms, role.name
            ));
        }
        let from = role.cardinality;
        if cardinality == from {
            return Ok(());
        }
        let now = self.view.now;
        self.services.scaling_actions += 1;
        self.services.sims[s].cooldown[r] = from_secs(cooldown_s as f64);
        let role = &mut self.view.services[s].roles[r];
        role.cardinality = cardinality;
        role.phase = RolePhase::Scaling;
        role.phase_since = now;
        let name = role.name.clone();
        self.log_service(
            s,
            "role-scaling",
            format!("{name}: {from} → {cardinality} VMs"),
        );
        if cardinality > from {
            for _ in from..cardinality {
                self.spawn(s, r);
            }
        } else {
            // The newest VMs go first, as in OneFlow.
            let vms = self.view.services[s].roles[r].vms.len();
            let surplus = vms.saturating_sub(cardinality as usize);
            for _ in 0..surplus {
                let v = self.view.services[s].roles[r]
                    .vms
                    .pop()
                    .expect("a role has as many VMs as counted");
                self.stop_vm(v, "scaled in");
            }
        }
        self.refresh_service(s);
        Ok(())
    }

    /// Adds one VM to role `r` of service `s`: a new pending request.
    fn spawn(&mut self, s: ServiceId, r: usize) {
        let now = self.view.now;
        let sim = &mut self.services.sims[s];
        let k = sim.created[r];
        sim.created[r] += 1;
        let svc = &self.view.services[s];
        let role = &svc.roles[r];
        let view = VmView {
            service: Some(ServiceSlot {
                service: s,
                role: r,
            }),
            ..VmView::new(format!("{}.{}.{k}", svc.name, role.name), role.vm_type, now)
        };
        let tenant = svc.tenant.clone();
        let v = self.add_vm(VmPlan {
            view,
            demand: Demand::Constant(0.0),
            arrival: now,
            end: None,
            tenant,
            host: None,
        });
        self.services.sims[s].vms_ever.push(v);
        self.view.services[s].roles[r].vms.push(v);
    }

    /// Brings service `s`'s roles and state up to date with its VMs: drops VMs gone for good,
    /// deploys roles whose dependencies have settled, settles deployments and scalings, and
    /// derives the service state and its up time.
    pub(super) fn refresh_service(&mut self, s: ServiceId) {
        if !self.view.services[s].state.is_live() {
            return;
        }
        let now = self.view.now;
        for r in 0..self.view.services[s].roles.len() {
            let mut vms = std::mem::take(&mut self.view.services[s].roles[r].vms);
            vms.retain(|&v| match self.view.vms[v].state {
                VmState::Stopped => false,
                VmState::Failed => self.ha.awaiting_restart(v),
                _ => true,
            });
            let unsettled = vms.iter().any(|&v| {
                matches!(
                    self.view.vms[v].state,
                    VmState::Future | VmState::Pending | VmState::Deploying | VmState::Failed
                )
            });
            self.view.services[s].roles[r].vms = vms;
            let role = &self.view.services[s].roles[r];
            match role.phase {
                RolePhase::Waiting => {
                    let roles = &self.view.services[s].roles;
                    let ready = role.depends_on.iter().all(|&d| {
                        !matches!(roles[d].phase, RolePhase::Waiting | RolePhase::Deploying)
                    });
                    if ready {
                        let role = &mut self.view.services[s].roles[r];
                        role.phase = RolePhase::Deploying;
                        role.phase_since = now;
                        let (n, name) = (role.cardinality, role.name.clone());
                        self.log_service(s, "role-deploying", format!("{name}: {n} VMs"));
                        for _ in 0..n {
                            self.spawn(s, r);
                        }
                    }
                }
                RolePhase::Deploying if !unsettled => {
                    let role = &mut self.view.services[s].roles[r];
                    role.phase = RolePhase::Running;
                    role.phase_since = now;
                    let name = role.name.clone();
                    self.log_service(s, "role-running", name);
                }
                RolePhase::Scaling if !unsettled => {
                    let cooldown = self.services.sims[s].cooldown[r];
                    let role = &mut self.view.services[s].roles[r];
                    role.phase_since = now;
                    let name = role.name.clone();
                    if cooldown > 0 {
                        role.phase = RolePhase::Cooldown;
                        role.cooldown_until = now + cooldown;
                        self.queue.push(
                            now + cooldown,
                            Event::CooldownOver {
                                service: s,
                                role: r,
                                until: now + cooldown,
                            },
                        );
                        self.log_service(s, "role-cooldown", name);
                    } else {
                        role.phase = RolePhase::Running;
                        self.log_service(s, "role-running", name);
                    }
                }
                _ => {}
            }
        }
        // A role that started deploying above may let its dependents start: settle again.
        let waiting_ready = self.view.services[s].roles.iter().any(|role| {
            role.phase == RolePhase::Waiting
                && role.depends_on.iter().all(|&d| {
                    !matches!(
                        self.view.services[s].roles[d].phase,
                        RolePhase::Waiting | RolePhase::Deploying
                    )
                })
        });
        if waiting_ready {
            return self.refresh_service(s);
        }
        let running = |v: &VmId| self.view.vms[*v].state.is_active();
        let svc = &self.view.services[s];
        let up = svc.roles.iter().all(|r| r.vms.iter().any(running));
        let state = if svc
            .roles
            .iter()
            .any(|r| matches!(r.phase, RolePhase::Waiting | RolePhase::Deploying))
        {
            ServiceState::Deploying
        } else if svc.roles.iter().any(|r| r.phase == RolePhase::Scaling) {
            ServiceState::Scaling
        } else if svc
            .roles
            .iter()
            .any(|r| (r.vms.iter().filter(|v| running(v)).count() as u32) < r.cardinality)
        {
            ServiceState::Warning
        } else if svc.roles.iter().any(|r| r.phase == RolePhase::Cooldown) {
            ServiceState::Cooldown
        } else {
            ServiceState::Running
        };
        self.set_up(s, up);
        if state != self.view.services[s].state {
            self.view.services[s].state = state;
            self.log_service(s, "service-state", state.name().into());
        }
    }

    /// Records whether service `s` is up from now on.
    fn set_up(&mut self, s: ServiceId, up: bool) {
        let now = self.view.now;
        let sim = &mut self.services.sims[s];
        match (sim.up_since, up) {
            (None, true) => sim.up_since = Some(now),
            (Some(since), false) => {
                sim.up_total += now - since;
                sim.up_since = None;
            }
            _ => {}
        }
    }

    /// Brings every live service up to date (after any event: VMs changed state).
    pub(super) fn refresh_services(&mut self) {
        for s in 0..self.view.services.len() {
            self.refresh_service(s);
        }
    }

    /// A role's cooldown that ended at `until` is over (stale if the role scaled again).
    pub(super) fn cooldown_over(&mut self, s: ServiceId, r: usize, until: Millis) {
        let role = &mut self.view.services[s].roles[r];
        if role.phase == RolePhase::Cooldown && role.cooldown_until == until {
            role.phase = RolePhase::Running;
            role.phase_since = self.view.now;
            let name = role.name.clone();
            self.log_service(s, "role-running", name);
            self.refresh_service(s);
        }
    }

    /// A tick of the autoscaler's own loop: elasticity decides once every other event of this
    /// instant has happened (so it reads a delivery made now), and the next tick is set.
    pub(super) fn autoscaler_tick(&mut self) {
        let now = self.view.now;
        if self.queue.peek_time() == Some(now) {
            self.queue.push(now, Event::AutoscalerTick);
            return;
        }
        let every = self
            .services
            .autoscaler_interval
            .expect("ticks only with a loop");
        if now + every <= self.end {
            self.queue.push(now + every, Event::AutoscalerTick);
        }
        self.decisions.push(Decision::Scale);
    }

    /// Service `s`'s runtime lease expired: its VMs are suspended.
    pub(super) fn lease_expired(&mut self, s: ServiceId) {
        if !self.view.services[s].state.is_live() {
            return;
        }
        let vms: Vec<VmId> = self.service_vms(s);
        for v in vms {
            if self.view.vms[v].state == VmState::Running {
                let _ = self.execute(orrery_engine::Action::Suspend { vm: v });
            }
        }
        self.set_up(s, false);
        self.view.services[s].state = ServiceState::Suspended;
        self.log_service(
            s,
            "service-state",
            "suspended (runtime lease expired)".into(),
        );
    }

    /// Service `s`'s lifetime is over: its VMs are shut down and it is done.
    pub(super) fn undeploy(&mut self, s: ServiceId) {
        let state = self.view.services[s].state;
        if matches!(state, ServiceState::Done | ServiceState::Rejected) {
            return;
        }
        self.services.pending.retain(|&p| p != s);
        self.view.services[s].state = ServiceState::Undeploying;
        self.log_service(s, "service-state", "undeploying".into());
        for v in self.service_vms(s) {
            if self.view.vms[v].state != VmState::Stopped {
                self.stop_vm(v, "service undeployed");
            }
        }
        for role in &mut self.view.services[s].roles {
            role.vms.clear();
        }
        self.set_up(s, false);
        self.services.sims[s].finished_at = Some(self.view.now);
        self.view.services[s].state = ServiceState::Done;
        self.log_service(s, "service-state", "done".into());
    }

    /// The VMs of service `s`'s roles.
    fn service_vms(&self, s: ServiceId) -> Vec<VmId> {
        let roles = &self.view.services[s].roles;
        roles.iter().flat_map(|r| r.vms.iter().copied()).collect()
    }

    fn log_service(&mut self, s: ServiceId, kind: &'static str, detail: String) {
        let name = &self.view.services[s].name;
        let detail = if detail.is_empty() {
            name.clone()
        } else {
            format!("{name}: {detail}")
        };
        self.log(kind, None, None, detail);
    }

    /// Closes the services' books at the end of the run.
    pub(crate) fn finish_services(&mut self) -> ServiceOutcome {
        let end = self.end;
        for s in 0..self.view.services.len() {
            self.set_up(s, false);
        }
        let svc = &mut self.services;
        let availability: Vec<f64> = svc
            .sims
            .iter()
            .filter_map(|sim| {
                let from = sim.admitted_at?;
                let to = sim.finished_at.unwrap_or(end);
                (to > from).then(|| sim.up_total as f64 / (to - from) as f64)
            })
            .collect();
        let requests: u64 = svc.sims.iter().map(|s| s.arrivals).sum();
        let served: f64 = svc.sims.iter().map(|s| s.served).sum();
        let dropped: f64 = svc.sims.iter().map(|s| s.dropped).sum();
        let weighted: f64 = svc.sims.iter().map(|s| s.response_weighted).sum();
        ServiceOutcome {
            rows: std::mem::take(&mut svc.rows),
            role_rows: std::mem::take(&mut svc.role_rows),
            total: svc.sims.len() as u64,
            rejected: self
                .view
                .services
                .iter()
                .filter(|s| s.state == ServiceState::Rejected)
                .count() as u64,
            availability_mean: (!availability.is_empty())
                .then(|| availability.iter().sum::<f64>() / availability.len() as f64),
            availability_min: availability.iter().copied().reduce(f64::min),
            requests_total: requests,
            dropped_ratio: (requests > 0).then(|| dropped / requests as f64),
            response_mean_s: (served > 0.0).then(|| weighted / served),
            scaling_actions: svc.scaling_actions,
        }
    }
}

fn phase_name(phase: RolePhase) -> &'static str {
    match phase {
        RolePhase::Waiting => "waiting",
        RolePhase::Deploying => "deploying",
        RolePhase::Running => "running",
        RolePhase::Scaling => "scaling",
        RolePhase::Cooldown => "cooldown",
    }
}
