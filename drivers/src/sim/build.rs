//! Building a simulated datacenter from a scenario: hosts, VMs, demand curves and arrivals.

use std::sync::Arc;

use orrery_engine::error::InputError;
use orrery_engine::model::PowerState;
use orrery_engine::rng::RngStreams;
use orrery_engine::scenario::{Assignment, HostOrder, Scenario};
use orrery_engine::time::{from_secs, Millis};
use orrery_engine::view::{HostView, VmView};
use orrery_engine::workload::{load_planetlab_dir, Demand};

/// A VM of the scenario before the run: its view, demand curve, arrival and end.
pub(super) struct VmPlan {
    pub view: VmView,
    pub demand: Demand,
    pub arrival: Millis,
    pub end: Option<Millis>,
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
    order
        .into_iter()
        .enumerate()
        .map(|(id, g)| {
            let group = &groups[g];
            let power = if group.initially_on {
                PowerState::On
            } else {
                PowerState::Off
            };
            HostView {
                site: group.site.clone(),
                cluster: group.cluster.clone(),
                ..HostView::new(format!("{}-{id}", group.type_name), g, power)
            }
        })
        .collect()
}

/// Every VM of the run: trace VMs first (file i is VM i), then each generator's in turn.
pub(super) fn vms(scenario: &Scenario, streams: &RngStreams) -> Result<Vec<VmPlan>, InputError> {
    let w = &scenario.spec.workload;
    let horizon = from_secs(scenario.spec.duration_s);
    let mut plans = Vec::new();
    if let Some(dir) = &w.trace_dir {
        let files =
            load_planetlab_dir(&scenario.resolve("workload.trace_dir", dir)).map_err(|mut e| {
                if e.hint.is_none() {
                    e.hint =
                        Some("fix the trace file or point workload.trace_dir elsewhere".into());
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
            });
        }
    }
    Ok(plans)
}
