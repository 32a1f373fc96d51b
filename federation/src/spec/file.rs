//! A federation file as written: sites, WAN links, coupled relationships, the architecture and
//! the demand, as TOML tables.

use std::path::PathBuf;

use orrery_engine::workload::{ArrivalSpec, LifetimeSpec, PatternSpec};
use serde::Deserialize;

use super::saas::{ApplianceSpec, CallSpec};
use crate::coupling::Coupling;
use crate::ids::SiteId;
use crate::policy::broker::Goal;
use crate::policy::ranking::MetaBrokerConfig;

/// A federation file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationFile {
    /// Name used in outputs (default: the file's stem).
    pub name: Option<String>,
    /// Seed of every random stream of the run.
    #[serde(default)]
    pub seed: u64,
    /// Simulated length of the run, in seconds.
    pub duration_s: f64,
    /// Seconds between federation decisions (monitoring rounds, bursting and return checks).
    #[serde(default = "default_interval_s")]
    pub interval_s: f64,
    /// The clouds.
    pub sites: Vec<SiteSpec>,
    /// WAN links between sites.
    #[serde(default)]
    pub links: Vec<LinkSpec>,
    /// Coupled relationships between sites (or between a multitier parent and its children).
    #[serde(default)]
    pub relations: Vec<RelationSpec>,
    /// How the clouds are federated.
    pub architecture: ArchitectureSpec,
    /// Services offered at the SaaS layer and the sites offering them.
    #[serde(default)]
    pub appliances: Vec<ApplianceSpec>,
    /// The VM requests and service calls entering the federation.
    pub demand: DemandSpec,
    /// The most the federation run may hold and do (each site's scenario has its own).
    #[serde(default)]
    pub limits: orrery_engine::scenario::limits::LimitsSection,
}

fn default_interval_s() -> f64 {
    300.0
}

/// One cloud of the federation.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SiteSpec {
    /// A private cloud: an ordinary orrery scenario (its hosts and policies) run by its own
    /// cloud OS; the scenario's own workload runs there too.
    Private {
        /// Site name.
        name: String,
        /// The scenario file, relative to the federation file.
        scenario: PathBuf,
        /// What one VM-hour costs the federation there (an internal price; default 0).
        #[serde(default)]
        price_per_vm_hour: f64,
        /// Energy (or carbon) per VM-hour there (default 0).
        #[serde(default)]
        energy_per_vm_hour: f64,
    },
    /// A public cloud: instance types for sale, no host visibility.
    Public {
        /// Site name.
        name: String,
        /// What it sells.
        instance_types: Vec<InstanceTypeSpec>,
        /// When an idle instance is stopped.
        #[serde(default)]
        stop: StopSpec,
        /// For `stop = "period-end"`: seconds before the billing period ends to stop.
        #[serde(default = "default_margin_s")]
        stop_margin_s: f64,
    },
}

fn default_margin_s() -> f64 {
    60.0
}

impl SiteSpec {
    /// The site's name.
    pub fn name(&self) -> &str {
        match self {
            SiteSpec::Private { name, .. } | SiteSpec::Public { name, .. } => name,
        }
    }
}

/// When a public cloud's idle instance is stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopSpec {
    /// As soon as its VM leaves.
    #[default]
    Immediate,
    /// Kept for reuse until just before its billing period ends.
    PeriodEnd,
}

/// An instance type a public cloud sells.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceTypeSpec {
    /// Name.
    pub name: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory, MB.
    pub memory_mb: f64,
    /// Price of one instance for one billing period (a started period is billed whole).
    pub price_per_period: f64,
    /// Billing period, seconds.
    pub billing_period_s: f64,
    /// Most instances of this type running at once.
    pub quota: u32,
    /// Seconds from request to a running instance.
    pub provisioning_s: f64,
    /// Speed of a vCPU relative to the private sites' (1 = as fast).
    #[serde(default = "one")]
    pub speed: f64,
    /// Energy (or carbon) per instance-hour (default 0).
    #[serde(default)]
    pub energy_per_hour: f64,
}

fn one() -> f64 {
    1.0
}

/// A WAN link between two sites (symmetric).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// One end.
    pub a: String,
    /// The other end.
    pub b: String,
    /// One-way latency, ms.
    pub latency_ms: f64,
    /// Bandwidth, Mbit/s.
    pub bandwidth_mbps: f64,
}

/// A coupled relationship: what `a` may see and do at `b` (and `b` at `a`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationSpec {
    /// One party.
    pub a: String,
    /// The other party.
    pub b: String,
    /// The coupling level.
    pub coupling: Coupling,
    /// Contract: most VMs one party may run at the other at once (partial coupling).
    pub limit_vms: Option<u32>,
    /// Contract: most vCPUs one party may use at the other at once (partial coupling).
    pub limit_vcpus: Option<u32>,
    /// Seconds between monitoring snapshots (default: the coupling level's).
    pub monitor_interval_s: Option<f64>,
}

/// How the clouds are federated.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ArchitectureSpec {
    /// A private cloud bursting to public clouds.
    Bursting {
        /// The private site.
        home: String,
        /// Burst a request when the home site's reserved CPU fraction would exceed this.
        threshold: f64,
        /// Bring a burst VM back when the home site's reserved CPU fraction with it stays at or
        /// below this.
        return_below: f64,
    },
    /// A broker in front of every site.
    Broker {
        /// What the broker prefers among feasible clouds.
        #[serde(default)]
        goal: Goal,
        /// A registered router that chooses among feasible clouds instead of `goal`.
        router: Option<String>,
        /// The router's parameters (`[architecture.params]`).
        #[serde(default)]
        params: toml::Table,
        /// With this table, the broker is a meta-broker (seed 004): it probes every cloud and
        /// takes the best-ranked feasible one by monitored health instead of by `goal`.
        metabroker: Option<MetaBrokerConfig>,
        /// Seconds between the meta-broker's probes of each cloud.
        #[serde(default = "default_probe_s")]
        probe_interval_s: f64,
    },
    /// Partner clouds sharing capacity under contracts.
    Aggregated {
        /// Partners in preference order, per site (absent: every related site, file order).
        #[serde(default)]
        partners: Vec<PartnerSpec>,
        /// Most delegations in a chain of the cross-site protocol.
        #[serde(default = "default_depth")]
        max_depth: u32,
    },
    /// A parent cloud OS placing VMs on its child sites' hosts.
    Multitier {
        /// The parent's name (it has no hosts of its own).
        parent: String,
        /// The child sites.
        children: Vec<String>,
    },
}

fn default_probe_s() -> f64 {
    300.0
}

fn default_depth() -> u32 {
    2
}

/// A site's partners for delegating requests it cannot take.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerSpec {
    /// The site.
    pub site: String,
    /// Partners it asks, in order.
    pub partners: Vec<String>,
}

/// The VM requests and service calls entering the federation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandSpec {
    /// VM request generators.
    #[serde(default)]
    pub generators: Vec<GeneratorSpec>,
    /// Service call generators (SaaS layer).
    #[serde(default)]
    pub calls: Vec<CallSpec>,
}

/// A stream of VM requests entering the federation at one site.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorSpec {
    /// Where the requests enter (and their images are stored).
    pub entry: String,
    /// VM type, by name: every private site defines it; public sites sell the cheapest
    /// instance type that holds it.
    pub vm_type: String,
    /// Most requests.
    pub count: usize,
    /// When they arrive.
    pub arrival: ArrivalSpec,
    /// How long each runs at nominal speed.
    #[serde(default)]
    pub lifetime: LifetimeSpec,
    /// CPU demand over time.
    pub utilisation: PatternSpec,
    /// Image size, MB (moved over the WAN when the VM runs away from its entry site).
    #[serde(default = "default_image_mb")]
    pub image_mb: f64,
    /// Seconds after arrival by which each request must have finished.
    pub deadline_s: Option<f64>,
    /// Most each request may cost.
    pub budget: Option<f64>,
    /// A virtual network its VMs share: running them at two sites needs a cross-site network
    /// between those sites, which only partial and tight coupling allow.
    pub network: Option<String>,
}

fn default_image_mb() -> f64 {
    1024.0
}

impl FederationFile {
    /// The site named `name`.
    pub fn site_index(&self, name: &str) -> Option<SiteId> {
        self.sites.iter().position(|s| s.name() == name).map(SiteId)
    }

    /// Site `s` as written.
    pub fn site(&self, s: SiteId) -> &SiteSpec {
        &self.sites[s.0]
    }

    /// The index of the appliance named `name`.
    pub fn appliance_index(&self, name: &str) -> Option<usize> {
        self.appliances.iter().position(|a| a.name == name)
    }

    /// The relationship between `a` and `b`, if any.
    pub fn coupling(&self, a: &str, b: &str) -> Option<&RelationSpec> {
        self.relations
            .iter()
            .find(|r| (r.a == a && r.b == b) || (r.a == b && r.b == a))
    }

    /// The site names, comma-separated (for hints).
    pub fn site_names(&self) -> String {
        let names: Vec<&str> = self.sites.iter().map(SiteSpec::name).collect();
        names.join(", ")
    }
}
