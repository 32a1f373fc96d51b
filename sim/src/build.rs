//! Building a simulated datacenter from a scenario: hosts, VMs, demand curves and arrivals.

use std::sync::Arc;

use orrery_engine::error::InputError;
use orrery_engine::model::thermal::{HostThermal, Recirculation, ThermalModel, ThermalParams};
use orrery_engine::model::PowerState;
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::{Assignment, HostOrder, Scenario, DEFAULT_TENANT};
use orrery_engine::time::{from_secs, Millis};
use orrery_engine::view::{HostView, VmView};
use orrery_engine::workload::{load_planetlab_dir, Demand};

/// A VM request before it arrives: a VM of the scenario, or one submitted while the
/// simulation runs (by a service manager or a federation layer).
#[derive(Debug, Clone)]
pub struct VmPlan {
    /// How policies will see it (name, type, arrival; `VmView::new` builds one).
    pub view: VmView,
    /// Its CPU demand curve.
    pub demand: Demand,
    /// When the request arrives (pending from then on).
    pub arrival: Millis,
    /// When its lifetime ends (`None`: it runs to the end of the run).
    pub end: Option<Millis>,
    /// The owning tenant (for usage, billing and quotas).
    pub tenant: String,
    /// The host it already runs on when it arrives (a snapshot of a real cluster): it is
    /// deployed there at once, without the placement policy, when the host is on and has room;
    /// otherwise it is pending as any other arrival.
    pub host: Option<String>,
}

/// Host views in id order, laid out as the scenario asks.
pub(super) fn hosts(scenario: &Scenario) -> Vec<HostView> {
    let groups = &scenario.spec.hosts;
    let order: Vec<usize> = match scenario.spec.datacenter.host_order {
        HostOrder::Grouped => groups
            .iter()
            .enumerate()
            .flat_map(|(g, h)| std::iter::repeat_n(g, h.count))
            .collect(),
        HostOrder::Interleaved => {
            let mut left: Vec<usize> = groups.iter().map(|g| g.count).collect();
            let mut order = Vec::with_capacity(left.iter().sum());
            while left.iter().any(|&n| n > 0) {
                for (g, n) in left.iter_mut().enumerate() {
                    if *n > 0 {
                        *n -= 1;
                        order.push(g);
                    }
                }
            }
            order
        }
    };
    let mut seen = vec![0usize; groups.len()];
    order
        .into_iter()
        .enumerate()
        .map(|(id, g)| {
            let group = &groups[g];
            let k = seen[g];
            seen[g] += 1;
            let power = if group.initially_on {
                PowerState::On
            } else {
                PowerState::Off
            };
            let rack = if group.racks > 1 {
                let per_rack = group.count.div_ceil(group.racks);
                format!("{}{}", group.rack, k / per_rack)
            } else {
                group.rack.clone()
            };
            HostView {
                site: group.site.clone(),
                cluster: group.cluster.clone(),
                rack,
                zone: group.zone.clone(),
                ..HostView::new(format!("{}-{id}", group.type_name), g, power)
            }
        })
        .collect()
}

/// The thermal model a scenario's `[thermal]` section describes (`None` without one). Racks
/// are numbered in order of first appearance in host order, so neighbouring racks in the file
/// are neighbours in the room.
pub(super) fn thermal(
    scenario: &Scenario,
    hosts: &[HostView],
) -> Result<Option<ThermalModel>, InputError> {
    let Some(t) = &scenario.spec.thermal else {
        return Ok(None);
    };
    let types = &scenario.spec.hosts;
    let params = ThermalParams {
        supply_c: t.supply_c,
        redline_c: t.redline_c,
        cop: t.cop,
    };
    let per_host = hosts
        .iter()
        .map(|h| HostThermal {
            resistance_c_per_w: types[h.host_type].thermal_resistance_c_per_w,
            capacity_j_per_c: types[h.host_type].heat_capacity_j_per_c,
        })
        .collect();
    let recirculation = match &t.recirculation {
        None => Recirculation::None,
        Some(r) => match &r.matrix {
            Some(rows) => Recirculation::from_rows(rows),
            None => {
                let mut racks: Vec<&str> = Vec::new();
                let rack_of = hosts
                    .iter()
                    .map(|h| match racks.iter().position(|&r| r == h.rack) {
                        Some(i) => i,
                        None => {
                            racks.push(&h.rack);
                            racks.len() - 1
                        }
                    })
                    .collect();
                Recirculation::Racks {
                    rack_of,
                    same_rack: r.same_rack,
                    adjacent_rack: r.adjacent_rack,
                }
            }
        },
    };
    ThermalModel::new(params, per_host, recirculation)
        .map(Some)
        .map_err(|m| scenario.error_at("thermal", m))
}

/// Every VM of the run: trace VMs first (file i is VM i), then each generator's in turn.
pub(super) fn vms(scenario: &Scenario, streams: &RngStreams) -> Result<Vec<VmPlan>, InputError> {
    let w = &scenario.spec.workload;
    let horizon = from_secs(scenario.spec.duration_s);
    let mut plans = Vec::new();
    if let Some(dir) = &w.trace_dir {
        let known = u64::try_from(scenario.estimate().vms).unwrap_or(u64::MAX);
        let room = scenario.spec.limits.max_vms.saturating_sub(known);
        let path = scenario.resolve(dir);
        let files = load_planetlab_dir(&path, room).map_err(|mut e| {
            if e.hint.is_none() {
                e.hint = Some("fix the trace file or point workload.trace_dir elsewhere".into());
            }
            e
        })?;
        let types: Vec<usize> = w
            .trace_vm_types
            .iter()
            .map(|n| scenario.vm_type_index(n).expect("validated"))
            .collect();
        let n = files.len();
        let block = n.div_ceil(types.len());
        for (i, f) in files.into_iter().enumerate() {
            let t = match w.vm_type_assignment {
                Assignment::Blocks => types[(i / block).min(types.len() - 1)],
                Assignment::RoundRobin => types[i % types.len()],
            };
            plans.push(VmPlan {
                view: VmView::new(f.name, t, 0),
                demand: Demand::Trace(Arc::new(f.series)),
                arrival: 0,
                end: None,
                tenant: tenant(scenario, t, None),
                host: None,
            });
        }
    }
    for (g, gen) in w.generators.iter().enumerate() {
        let t = scenario.vm_type_index(&gen.vm_type).expect("validated");
        let mut arrivals = streams.stream("arrivals", g as u64);
        let mut lifetimes = streams.stream("lifetimes", g as u64);
        for (k, at) in gen
            .arrival
            .times(horizon, gen.count, &mut arrivals)
            .into_iter()
            .enumerate()
        {
            let id = plans.len() as u64;
            let end = gen
                .lifetime
                .sample(&mut lifetimes)
                .map(|life| at.saturating_add(life));
            let mut demand_rng = streams.stream("demand", id);
            let demand = gen.utilisation.instantiate(
                at,
                end.unwrap_or(horizon).min(horizon),
                &mut demand_rng,
            );
            plans.push(VmPlan {
                view: VmView::new(format!("{}-{g}-{k}", gen.vm_type), t, at),
                demand,
                arrival: at,
                end,
                tenant: tenant(scenario, t, gen.tenant.as_deref()),
                host: None,
            });
        }
    }
    Ok(plans)
}

/// The tenant of a VM of type `t`: its generator's, else its type's, else the default.
fn tenant(scenario: &Scenario, t: usize, generator: Option<&str>) -> String {
    generator
        .or(scenario.spec.vm_types[t].tenant.as_deref())
        .unwrap_or(DEFAULT_TENANT)
        .to_string()
}
