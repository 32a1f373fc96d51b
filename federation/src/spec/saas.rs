//! The SaaS layer in a federation file: appliances (services offered as software, seed 001's
//! WRF-as-a-service) with the sites offering them, and the service calls entering the
//! federation.

use orrery_engine::workload::{ArrivalSpec, LifetimeSpec};
use serde::Deserialize;

use crate::policy::broker::Goal;

/// A virtual appliance: a service whose calls run one at a time on worker VMs of one type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplianceSpec {
    /// Name (calls name it).
    pub name: String,
    /// The workers' VM type: every offering private site defines it; an offering public cloud
    /// rents the cheapest instance type that holds it.
    pub vm_type: String,
    /// A call's expected execution time at nominal speed, seconds: each broker's estimate
    /// until it has measured calls of its own.
    pub exec_s: f64,
    /// A worker's expected deployment time, seconds: each broker's estimate until it has
    /// watched workers of its own deploy.
    pub deploy_s: f64,
    /// Input data a call carries, MB (moved over the WAN when it is forwarded).
    #[serde(default)]
    pub input_mb: f64,
    /// Seconds between each broker's rounds (besides the rounds a call's arrival or end
    /// starts at once).
    #[serde(default = "default_round_s")]
    pub broker_interval_s: f64,
    /// Which peer an originator forwards to among those that quote in time.
    #[serde(default)]
    pub goal: Goal,
    /// The sites offering it, each with its own cloud broker.
    pub offers: Vec<OfferSpec>,
}

fn default_round_s() -> f64 {
    60.0
}

/// One site's offer of an appliance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferSpec {
    /// The site.
    pub site: String,
    /// Most workers at once.
    pub max_vms: u32,
    /// What the site charges another site for a call forwarded to it.
    #[serde(default)]
    pub price_per_call: f64,
    /// Most the site spends on this appliance's workers over the run (absent: no limit).
    pub budget: Option<f64>,
    /// Whether it forwards calls it cannot serve by their deadline to peers.
    #[serde(default = "yes")]
    pub forward: bool,
    /// Whether it takes calls peers forward to it.
    #[serde(default = "yes")]
    pub accept: bool,
}

fn yes() -> bool {
    true
}

/// A stream of service calls entering the federation at one site.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallSpec {
    /// Where the calls enter: a site offering the appliance.
    pub entry: String,
    /// The appliance called.
    pub appliance: String,
    /// Most calls.
    pub count: usize,
    /// When they arrive.
    pub arrival: ArrivalSpec,
    /// Each call's execution time at nominal speed (any distribution but `forever`).
    pub exec: LifetimeSpec,
    /// Seconds after arrival by which each call must be done.
    pub deadline_s: Option<f64>,
    /// Most the caller pays a peer for one forwarded call.
    pub budget: Option<f64>,
}
