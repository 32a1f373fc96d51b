//! Federation files: sites, WAN links, coupled relationships, the architecture and the demand,
//! read from TOML and checked with located errors.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::policy::broker::Goal;
use crate::policy::ranking::MetaBrokerConfig;
use orrery_engine::error::{require_non_negative, require_positive, InputError};
use orrery_engine::scenario::{error_in_toml, parse_toml, Scenario, VmTypeSection};
use orrery_engine::workload::{ArrivalSpec, LifetimeSpec, PatternSpec};
use serde::Deserialize;

use crate::coupling::Coupling;
pub use crate::saas::spec::{ApplianceSpec, CallSpec, OfferSpec};

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

/// A loaded, checked federation: the file, its private sites' scenarios, and where it came from.
#[derive(Debug, Clone)]
pub struct Federation {
    /// Name used in outputs.
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// The parsed contents.
    pub spec: FederationFile,
    /// Each private site's scenario, by site index (`None` for public sites).
    pub scenarios: Vec<Option<Scenario>>,
    text: String,
}

impl Federation {
    /// Loads and checks the federation file at `path` and the scenarios it names.
    pub fn load(path: &Path) -> Result<Federation, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            InputError::file(path, format!("cannot read the federation file: {e}"))
                .hint("check the path")
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(&text, path, &base)
    }

    /// Parses federation `text` as if read from `file`, scenario paths relative to `base_dir`.
    pub fn parse(text: &str, file: &Path, base_dir: &Path) -> Result<Federation, InputError> {
        let spec: FederationFile = parse_toml(
            text,
            file,
            "see docs/federation.md for every key and its type",
        )?;
        let name = spec.name.clone().unwrap_or_else(|| {
            file.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let mut fed = Federation {
            name,
            file: file.to_path_buf(),
            spec,
            scenarios: Vec::new(),
            text: text.to_string(),
        };
        fed.scenarios = fed.load_scenarios(base_dir)?;
        fed.validate()?;
        Ok(fed)
    }

    /// An error about dotted `key`, located in the file.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> InputError {
        error_in_toml(&self.file, &self.text, key, message)
    }

    /// VM type `name` as the first private site defining it has it.
    pub fn vm_type(&self, name: &str) -> Option<&VmTypeSection> {
        self.scenarios
            .iter()
            .flatten()
            .flat_map(|s| &s.spec.vm_types)
            .find(|t| t.name == name)
    }

    /// The index of the site named `name`.
    pub fn site_index(&self, name: &str) -> Option<usize> {
        self.spec.sites.iter().position(|s| s.name() == name)
    }

    fn load_scenarios(&self, base_dir: &Path) -> Result<Vec<Option<Scenario>>, InputError> {
        self.spec
            .sites
            .iter()
            .enumerate()
            .map(|(i, site)| match site {
                SiteSpec::Private { scenario, .. } => {
                    let path = base_dir.join(scenario);
                    if !path.is_file() {
                        return Err(self
                            .error_at(
                                &format!("sites.{i}.scenario"),
                                format!("no scenario file at {}", path.display()),
                            )
                            .hint("the path is relative to the federation file"));
                    }
                    Scenario::load(&path, &[]).map(Some)
                }
                SiteSpec::Public { .. } => Ok(None),
            })
            .collect()
    }

    fn validate(&self) -> Result<(), InputError> {
        let s = &self.spec;
        let positive = |key: &str, v: f64| require_positive(v).map_err(|m| self.error_at(key, m));
        let non_negative =
            |key: &str, v: f64| require_non_negative(v).map_err(|m| self.error_at(key, m));
        positive("duration_s", s.duration_s)?;
        positive("interval_s", s.interval_s)?;
        if s.sites.is_empty() {
            return Err(self
                .error_at("sites", "a federation needs at least one site")
                .hint("add [[sites]] tables with kind = \"private\" or \"public\""));
        }
        let mut names = BTreeSet::new();
        for (i, site) in s.sites.iter().enumerate() {
            if !names.insert(site.name()) {
                return Err(self.error_at(
                    &format!("sites.{i}.name"),
                    format!("site `{}` is named twice", site.name()),
                ));
            }
            match site {
                SiteSpec::Private {
                    price_per_vm_hour,
                    energy_per_vm_hour,
                    ..
                } => {
                    non_negative(&format!("sites.{i}.price_per_vm_hour"), *price_per_vm_hour)?;
                    non_negative(
                        &format!("sites.{i}.energy_per_vm_hour"),
                        *energy_per_vm_hour,
                    )?;
                }
                SiteSpec::Public {
                    instance_types,
                    stop_margin_s,
                    ..
                } => {
                    if instance_types.is_empty() {
                        return Err(self.error_at(
                            &format!("sites.{i}"),
                            "a public cloud needs at least one instance type",
                        ));
                    }
                    non_negative(&format!("sites.{i}.stop_margin_s"), *stop_margin_s)?;
                    for (j, t) in instance_types.iter().enumerate() {
                        let k = |f: &str| format!("sites.{i}.instance_types.{j}.{f}");
                        if t.vcpus == 0 {
                            return Err(self.error_at(&k("vcpus"), "must be at least 1"));
                        }
                        positive(&k("memory_mb"), t.memory_mb)?;
                        non_negative(&k("price_per_period"), t.price_per_period)?;
                        positive(&k("billing_period_s"), t.billing_period_s)?;
                        non_negative(&k("provisioning_s"), t.provisioning_s)?;
                        positive(&k("speed"), t.speed)?;
                        non_negative(&k("energy_per_hour"), t.energy_per_hour)?;
                    }
                }
            }
        }
        let parent = match &s.architecture {
            ArchitectureSpec::Multitier { parent, .. } => Some(parent.as_str()),
            _ => None,
        };
        let party = |key: &str, name: &str, parent_ok: bool| {
            if self.site_index(name).is_some() || (parent_ok && Some(name) == parent) {
                Ok(())
            } else {
                Err(self
                    .error_at(key, format!("no site `{name}`"))
                    .hint(format!("sites are: {}", self.site_names())))
            }
        };
        for (i, l) in s.links.iter().enumerate() {
            party(&format!("links.{i}.a"), &l.a, false)?;
            party(&format!("links.{i}.b"), &l.b, false)?;
            non_negative(&format!("links.{i}.latency_ms"), l.latency_ms)?;
            positive(&format!("links.{i}.bandwidth_mbps"), l.bandwidth_mbps)?;
        }
        for (i, r) in s.relations.iter().enumerate() {
            party(&format!("relations.{i}.a"), &r.a, true)?;
            party(&format!("relations.{i}.b"), &r.b, true)?;
            if r.a == r.b {
                return Err(self.error_at(
                    &format!("relations.{i}.b"),
                    "a relationship needs two different parties",
                ));
            }
            if let Some(m) = r.monitor_interval_s {
                positive(&format!("relations.{i}.monitor_interval_s"), m)?;
            }
            if (r.limit_vms.is_some() || r.limit_vcpus.is_some()) && r.coupling != Coupling::Partial
            {
                return Err(self
                    .error_at(
                        &format!("relations.{i}.coupling"),
                        "contract limits belong to a partially coupled relationship",
                    )
                    .hint("set coupling = \"partial\" or drop limit_vms and limit_vcpus"));
            }
        }
        self.validate_architecture()?;
        self.validate_demand()?;
        self.validate_saas()
    }

    pub(crate) fn site_names(&self) -> String {
        let names: Vec<&str> = self.spec.sites.iter().map(SiteSpec::name).collect();
        names.join(", ")
    }

    fn is_private(&self, name: &str) -> bool {
        matches!(
            self.site_index(name).map(|i| &self.spec.sites[i]),
            Some(SiteSpec::Private { .. })
        )
    }

    /// The coupling of the relationship between `a` and `b`, if any.
    pub fn coupling(&self, a: &str, b: &str) -> Option<&RelationSpec> {
        self.spec
            .relations
            .iter()
            .find(|r| (r.a == a && r.b == b) || (r.a == b && r.b == a))
    }

    fn validate_architecture(&self) -> Result<(), InputError> {
        let private = |key: &str, name: &str| {
            if self.is_private(name) {
                Ok(())
            } else {
                Err(self
                    .error_at(key, format!("`{name}` is not a private site"))
                    .hint(format!("sites are: {}", self.site_names())))
            }
        };
        let fraction = |key: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(self.error_at(key, format!("must be between 0 and 1, got {v}")))
            }
        };
        match &self.spec.architecture {
            ArchitectureSpec::Bursting {
                home,
                threshold,
                return_below,
            } => {
                private("architecture.home", home)?;
                fraction("architecture.threshold", *threshold)?;
                fraction("architecture.return_below", *return_below)?;
                if return_below > threshold {
                    return Err(self
                        .error_at(
                            "architecture.return_below",
                            format!("must not exceed threshold ({threshold})"),
                        )
                        .hint("VMs come back only once the home site is below the burst level"));
                }
            }
            ArchitectureSpec::Broker {
                metabroker,
                probe_interval_s,
                ..
            } => {
                if let Some(m) = metabroker {
                    m.check()
                        .map_err(|e| self.error_at("architecture.metabroker", e))?;
                }
                if !(probe_interval_s.is_finite() && *probe_interval_s > 0.0) {
                    return Err(self.error_at(
                        "architecture.probe_interval_s",
                        format!("must be a positive number, got {probe_interval_s}"),
                    ));
                }
            }
            ArchitectureSpec::Aggregated {
                partners,
                max_depth,
            } => {
                if *max_depth == 0 {
                    return Err(self.error_at("architecture.max_depth", "must be at least 1"));
                }
                for (i, p) in partners.iter().enumerate() {
                    private(&format!("architecture.partners.{i}.site"), &p.site)?;
                    for (j, q) in p.partners.iter().enumerate() {
                        let key = format!("architecture.partners.{i}.partners.{j}");
                        private(&key, q)?;
                        if self.coupling(&p.site, q).is_none() {
                            return Err(self
                                .error_at(
                                    &key,
                                    format!("no relationship between `{}` and `{q}`", p.site),
                                )
                                .hint("add a [[relations]] table for the pair"));
                        }
                    }
                }
            }
            ArchitectureSpec::Multitier { parent, children } => {
                if self.site_index(parent).is_some() {
                    return Err(self.error_at(
                        "architecture.parent",
                        format!("the parent `{parent}` must not be a site"),
                    ));
                }
                if children.is_empty() {
                    return Err(self.error_at("architecture.children", "name at least one child"));
                }
                for (i, c) in children.iter().enumerate() {
                    private(&format!("architecture.children.{i}"), c)?;
                }
            }
        }
        Ok(())
    }

    fn validate_demand(&self) -> Result<(), InputError> {
        for (i, g) in self.spec.demand.generators.iter().enumerate() {
            let k = |f: &str| format!("demand.generators.{i}.{f}");
            if self.site_index(&g.entry).is_none() {
                return Err(self
                    .error_at(&k("entry"), format!("no site `{}`", g.entry))
                    .hint(format!("sites are: {}", self.site_names())));
            }
            for (site, scenario) in self.spec.sites.iter().zip(&self.scenarios) {
                if let Some(sc) = scenario {
                    if !sc.spec.vm_types.iter().any(|t| t.name == g.vm_type) {
                        return Err(self
                            .error_at(
                                &k("vm_type"),
                                format!(
                                    "private site `{}` ({}) has no VM type `{}`",
                                    site.name(),
                                    sc.file.display(),
                                    g.vm_type
                                ),
                            )
                            .hint(
                                "every private site's scenario defines the federation's VM types",
                            ));
                    }
                }
            }
            g.arrival
                .validate()
                .map_err(|m| self.error_at(&k("arrival"), m))?;
            g.lifetime
                .validate()
                .map_err(|m| self.error_at(&k("lifetime"), m))?;
            g.utilisation
                .validate()
                .map_err(|m| self.error_at(&k("utilisation"), m))?;
            if !(g.image_mb.is_finite() && g.image_mb >= 0.0) {
                return Err(self.error_at(&k("image_mb"), "must be zero or positive"));
            }
            if let Some(d) = g.deadline_s {
                if !(d.is_finite() && d > 0.0) {
                    return Err(self.error_at(&k("deadline_s"), "must be positive"));
                }
            }
        }
        if !self.scenarios.iter().any(Option::is_some) {
            return Err(self
                .error_at("sites", "a federation needs at least one private site")
                .hint("the VM types of the demand come from the private sites' scenarios"));
        }
        Ok(())
    }
}
