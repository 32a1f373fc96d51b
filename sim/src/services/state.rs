//! The simulation side of each service: its load generator, sensors, cooldowns, the VMs it
//! had, its availability and its books; and the rows the services record.

use std::collections::BTreeMap;

use orrery_engine::error::InputError;
use orrery_engine::metrics::services::{RoleRow, ServiceRow};
use orrery_engine::model::{RolePhase, RoleView, ServiceId, ServiceState, ServiceView};
use orrery_engine::monitoring::{MonitorSpec, Sensor};
use orrery_engine::rng::{Rng, RngStreams};
use orrery_engine::scenario::{Scenario, DEFAULT_TENANT};
use orrery_engine::time::{from_secs, Millis};
use orrery_engine::view::VmId;
use orrery_engine::workload::RequestRate;

use crate::event::Event;

/// A sensor's subject: a VM's metric, or (`None`) one of the service's KPIs.
pub(super) type SensorKey = (Option<VmId>, &'static str);

/// The simulation side of one service.
pub(super) struct ServiceSim {
    pub(super) rate: Option<RequestRate>,
    pub(super) request_mi: Vec<f64>,
    pub(super) max_backlog: Option<u32>,
    pub(super) monitor: MonitorSpec,
    pub(super) measurement: Millis,
    pub(super) rng: Rng,
    pub(super) sensors: BTreeMap<SensorKey, Sensor>,
    /// When the monitoring grid started (admission).
    pub(super) monitoring_since: Millis,
    pub(super) last_tick: Millis,
    /// The cooldown each role takes once its scaling under way settles.
    pub(super) cooldown: Vec<Millis>,
    /// VMs created so far per role (names VMs uniquely).
    pub(super) created: Vec<u32>,
    /// Every VM the service ever had (for its bill).
    pub(super) vms_ever: Vec<VmId>,
    pub(super) runtime_lease: Option<Millis>,
    /// Up (every role has a running VM) since then.
    pub(super) up_since: Option<Millis>,
    pub(super) up_total: Millis,
    pub(super) admitted_at: Option<Millis>,
    pub(super) finished_at: Option<Millis>,
    pub(super) billed: f64,
    pub(super) arrivals: u64,
    pub(super) dropped: f64,
    pub(super) served: f64,
    /// Σ served × mean response time.
    pub(super) response_weighted: f64,
}

/// Every service's simulation state, the services waiting for admission and the records.
pub(crate) struct Services {
    pub(super) sims: Vec<ServiceSim>,
    pub(crate) pending: Vec<ServiceId>,
    /// The period of an autoscaler loop with ticks of its own (`autoscaler = "oneflow"`).
    pub(super) autoscaler_interval: Option<Millis>,
    pub(super) rows: Vec<ServiceRow>,
    pub(super) role_rows: Vec<RoleRow>,
    pub(super) scaling_actions: u64,
}

/// What the services add to the summary and the outputs.
pub(crate) struct ServiceOutcome {
    pub rows: Vec<ServiceRow>,
    pub role_rows: Vec<RoleRow>,
    pub total: u64,
    pub rejected: u64,
    pub availability_mean: Option<f64>,
    pub availability_min: Option<f64>,
    pub requests_total: u64,
    pub dropped_ratio: Option<f64>,
    pub response_mean_s: Option<f64>,
    pub scaling_actions: u64,
}

impl Services {
    /// The services of `scenario` as policies will see them and their simulation state; their
    /// submissions and lifetimes are put on `queue`.
    pub(crate) fn new(
        scenario: &Scenario,
        streams: &RngStreams,
        queue: &mut orrery_engine::queue::EventQueue<Event>,
    ) -> Result<(Services, Vec<ServiceView>), InputError> {
        let spec = &scenario.spec;
        if !spec.services.is_empty() && spec.compat.cloudsim() {
            return Err(scenario
                .error_at(
                    "services",
                    "services are not modelled with compat = \"cloudsim-3.0.3\"",
                )
                .hint("CloudSim 3.0.3 has no services: drop compat or the [[services]]"));
        }
        let mut sims = Vec::new();
        let mut views = Vec::new();
        for (s, svc) in spec.services.iter().enumerate() {
            // The spec was checked with the scenario; what can fail here is reading a trace,
            // whose errors name the trace file and line.
            let rate = svc
                .requests
                .as_ref()
                .map(|r| r.load(scenario.base_dir()))
                .transpose()?;
            let submitted = from_secs(svc.submit_s);
            queue.push(submitted, Event::ServiceSubmit(s));
            if let Some(life) = svc.lifetime_s {
                queue.push(submitted + from_secs(life), Event::ServiceEnd(s));
            }
            let roles: Vec<RoleView> = svc
                .roles
                .iter()
                .map(|r| RoleView {
                    name: r.name.clone(),
                    vm_type: scenario.vm_type_index(&r.vm_type).expect("validated"),
                    cardinality: r.cardinality,
                    min_vms: r.min(),
                    max_vms: r.max(),
                    depends_on: r
                        .depends_on
                        .iter()
                        .map(|d| {
                            svc.roles
                                .iter()
                                .position(|x| &x.name == d)
                                .expect("validated")
                        })
                        .collect(),
                    vms: Vec::new(),
                    phase: RolePhase::Waiting,
                    phase_since: 0,
                    cooldown_until: 0,
                })
                .collect();
            sims.push(ServiceSim {
                rate,
                request_mi: svc.roles.iter().map(|r| r.request_mi).collect(),
                max_backlog: svc.max_backlog,
                measurement: from_secs(svc.monitoring.measurement_interval_s),
                monitor: svc.monitoring,
                rng: streams.stream("requests", s as u64),
                sensors: BTreeMap::new(),
                monitoring_since: 0,
                last_tick: 0,
                cooldown: vec![0; roles.len()],
                created: vec![0; roles.len()],
                vms_ever: Vec::new(),
                runtime_lease: svc.runtime_lease_s.map(from_secs),
                up_since: None,
                up_total: 0,
                admitted_at: None,
                finished_at: None,
                billed: 0.0,
                arrivals: 0,
                dropped: 0.0,
                served: 0.0,
                response_weighted: 0.0,
            });
            views.push(ServiceView {
                name: svc.name.clone(),
                tenant: svc.tenant.clone().unwrap_or_else(|| DEFAULT_TENANT.into()),
                user: svc.user.clone(),
                vdc: svc.vdc.clone(),
                state: ServiceState::Future,
                submitted,
                roles,
                kpis: BTreeMap::new(),
                rejection: None,
            });
        }
        // One loop for every service that asks for it, ticking from time 0.
        let autoscaler_interval = spec
            .services
            .iter()
            .filter_map(|svc| svc.autoscaler.tick_interval())
            .min();
        if autoscaler_interval.is_some() {
            queue.push(0, Event::AutoscalerTick);
        }
        let services = Services {
            sims,
            pending: Vec::new(),
            autoscaler_interval,
            rows: Vec::new(),
            role_rows: Vec::new(),
            scaling_actions: 0,
        };
        Ok((services, views))
    }

    /// Whether the run has services at all.
    pub(crate) fn any(&self) -> bool {
        !self.sims.is_empty()
    }
}
