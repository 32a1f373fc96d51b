//! The federation's VM requests, drawn from its generators with one seeded stream per
//! generator and purpose.

use orrery_engine::rng::RngStreams;
use orrery_engine::time::{from_secs, Millis};
use orrery_engine::workload::Demand;

use crate::ids::SiteId;
use crate::spec::Federation;

/// One VM request entering the federation.
#[derive(Debug, Clone)]
pub struct Request {
    /// Its name (`<generator>-<k>`), also its federation-wide VM identifier.
    pub name: String,
    /// The site it enters at (its image is stored there).
    pub entry: SiteId,
    /// Its VM type's name.
    pub vm_type: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Nominal MIPS per vCPU.
    pub mips: f64,
    /// Memory, MB.
    pub memory_mb: f64,
    /// Image size, MB.
    pub image_mb: f64,
    /// When it arrives.
    pub arrival: Millis,
    /// How long it runs at nominal speed (`None`: to the end of the run).
    pub lifetime: Option<Millis>,
    /// Its CPU demand curve.
    pub demand: Demand,
    /// When it must have finished.
    pub deadline: Option<Millis>,
    /// Most it may cost.
    pub budget: Option<f64>,
    /// The virtual network it belongs to.
    pub network: Option<String>,
}

impl Request {
    /// Work at nominal speed until `end` of the run, in million instructions.
    pub fn work_mi(&self, end: Millis) -> f64 {
        let run = self.lifetime.unwrap_or(end.saturating_sub(self.arrival));
        run as f64 / 1000.0 * f64::from(self.vcpus) * self.mips
    }
}

/// Every request of the federation in arrival order (ties: generator, then index).
pub fn requests(fed: &Federation) -> Vec<Request> {
    let streams = RngStreams::new(fed.spec.seed);
    let end = from_secs(fed.spec.duration_s);
    let mut out = Vec::new();
    for (gi, g) in fed.spec.demand.generators.iter().enumerate() {
        let entry = fed.site_index(&g.entry).expect("checked on load");
        let vm_type = fed.vm_type(&g.vm_type).expect("checked on load");
        let gi64 = gi as u64;
        let mut arrivals = streams.stream("federation-arrival", gi64);
        let mut lifetimes = streams.stream("federation-lifetime", gi64);
        let mut patterns = streams.stream("federation-utilisation", gi64);
        for (k, t) in g
            .arrival
            .times(end, g.count, &mut arrivals)
            .into_iter()
            .enumerate()
        {
            let lifetime = g.lifetime.sample(&mut lifetimes);
            let stop = lifetime.map_or(end, |l| (t + l).min(end));
            out.push(Request {
                name: format!("g{gi}-{k}"),
                entry,
                vm_type: g.vm_type.clone(),
                vcpus: vm_type.vcpus,
                mips: vm_type.mips,
                memory_mb: vm_type.memory_mb,
                image_mb: g.image_mb,
                arrival: t,
                lifetime,
                demand: g.utilisation.instantiate(t, stop, &mut patterns),
                deadline: g.deadline_s.map(|d| t + from_secs(d)),
                budget: g.budget,
                network: g.network.clone(),
            });
        }
    }
    out.sort_by_key(|r| r.arrival);
    out
}
