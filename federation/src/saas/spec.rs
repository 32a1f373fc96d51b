//! The SaaS layer in a federation file: appliances (services offered as software, seed 001's
//! WRF-as-a-service) with the sites offering them, and the service calls entering the
//! federation.

use std::collections::BTreeSet;

use crate::policy::broker::Goal;
use orrery_engine::error::{require_non_negative, require_positive, InputError};
use orrery_engine::workload::{ArrivalSpec, LifetimeSpec};
use serde::Deserialize;

use crate::spec::{Federation, SiteSpec};

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

impl Federation {
    /// The index of the appliance named `name`.
    pub fn appliance_index(&self, name: &str) -> Option<usize> {
        self.spec.appliances.iter().position(|a| a.name == name)
    }

    /// Checks the appliances and the service calls.
    pub(crate) fn validate_saas(&self) -> Result<(), InputError> {
        let positive = |key: &str, v: f64| require_positive(v).map_err(|m| self.error_at(key, m));
        let non_negative =
            |key: &str, v: f64| require_non_negative(v).map_err(|m| self.error_at(key, m));
        let mut names = BTreeSet::new();
        for (i, a) in self.spec.appliances.iter().enumerate() {
            let k = |f: &str| format!("appliances.{i}.{f}");
            if !names.insert(a.name.as_str()) {
                return Err(
                    self.error_at(&k("name"), format!("appliance `{}` is named twice", a.name))
                );
            }
            positive(&k("exec_s"), a.exec_s)?;
            non_negative(&k("deploy_s"), a.deploy_s)?;
            non_negative(&k("input_mb"), a.input_mb)?;
            positive(&k("broker_interval_s"), a.broker_interval_s)?;
            if a.offers.is_empty() {
                return Err(self
                    .error_at(
                        &k("offers"),
                        "an appliance needs at least one offering site",
                    )
                    .hint("add [[appliances.offers]] tables with site and max_vms"));
            }
            let Some((vcpus, memory_mb)) = self.vm_type(&a.vm_type).map(|t| (t.vcpus, t.memory_mb))
            else {
                return Err(self
                    .error_at(
                        &k("vm_type"),
                        format!("no private site defines VM type `{}`", a.vm_type),
                    )
                    .hint("the workers' VM type comes from the private sites' scenarios"));
            };
            let mut offered = BTreeSet::new();
            for (j, o) in a.offers.iter().enumerate() {
                let ko = |f: &str| format!("appliances.{i}.offers.{j}.{f}");
                let Some(s) = self.site_index(&o.site) else {
                    return Err(self
                        .error_at(&ko("site"), format!("no site `{}`", o.site))
                        .hint(format!("sites are: {}", self.site_names())));
                };
                if !offered.insert(s) {
                    return Err(self.error_at(
                        &ko("site"),
                        format!("`{}` offers `{}` twice", o.site, a.name),
                    ));
                }
                if o.max_vms == 0 {
                    return Err(self.error_at(&ko("max_vms"), "must be at least 1"));
                }
                non_negative(&ko("price_per_call"), o.price_per_call)?;
                if let Some(b) = o.budget {
                    non_negative(&ko("budget"), b)?;
                }
                match (&self.spec.sites[s], &self.scenarios[s]) {
                    (SiteSpec::Private { .. }, Some(sc)) => {
                        if !sc.spec.vm_types.iter().any(|t| t.name == a.vm_type) {
                            return Err(self
                                .error_at(
                                    &ko("site"),
                                    format!(
                                        "private site `{}` ({}) has no VM type `{}`",
                                        o.site,
                                        sc.file.display(),
                                        a.vm_type
                                    ),
                                )
                                .hint("define the workers' VM type in that site's scenario"));
                        }
                    }
                    (SiteSpec::Public { instance_types, .. }, _) => {
                        if !instance_types
                            .iter()
                            .any(|t| t.vcpus >= vcpus && t.memory_mb >= memory_mb)
                        {
                            return Err(self.error_at(
                                &ko("site"),
                                format!(
                                    "public cloud `{}` sells no instance type holding `{}` \
                                     ({vcpus} vCPUs, {memory_mb} MB)",
                                    o.site, a.vm_type
                                ),
                            ));
                        }
                    }
                    (SiteSpec::Private { .. }, None) => unreachable!("private sites have one"),
                }
            }
        }
        for (i, c) in self.spec.demand.calls.iter().enumerate() {
            let k = |f: &str| format!("demand.calls.{i}.{f}");
            let Some(a) = self.appliance_index(&c.appliance) else {
                let known: Vec<&str> = self
                    .spec
                    .appliances
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect();
                return Err(self
                    .error_at(&k("appliance"), format!("no appliance `{}`", c.appliance))
                    .hint(format!("appliances are: {}", known.join(", "))));
            };
            if !self.spec.appliances[a]
                .offers
                .iter()
                .any(|o| o.site == c.entry)
            {
                return Err(self
                    .error_at(
                        &k("entry"),
                        format!("`{}` does not offer `{}`", c.entry, c.appliance),
                    )
                    .hint("calls enter at a site offering their appliance"));
            }
            c.arrival
                .validate()
                .map_err(|m| self.error_at(&k("arrival"), m))?;
            c.exec
                .validate()
                .map_err(|m| self.error_at(&k("exec"), m))?;
            if c.exec == LifetimeSpec::Forever {
                return Err(self
                    .error_at(&k("exec"), "a call's execution time must be finite")
                    .hint("use dist = \"fixed\", \"exponential\", \"uniform\" or \"log-normal\""));
            }
            if let Some(d) = c.deadline_s {
                positive(&k("deadline_s"), d)?;
            }
            if let Some(b) = c.budget {
                non_negative(&k("budget"), b)?;
            }
        }
        Ok(())
    }
}
