//! The federation file's checks: every error names the file, line and key, with a hint.

use std::collections::BTreeSet;

use orrery_engine::config::Source;
use orrery_engine::error::{require_non_negative, require_positive, InputError};
use orrery_engine::scenario::limits::ticks;
use orrery_engine::scenario::{Scenario, VmTypeSection};
use orrery_engine::workload::LifetimeSpec;

use super::file::{ArchitectureSpec, FederationFile, RelationSpec, SiteSpec};
use crate::coupling::Coupling;
use crate::ids::SiteId;

/// VM type `name` as the first private site (of `scenarios`) defining it has it.
pub(super) fn vm_type<'a>(
    scenarios: &'a [Option<Scenario>],
    name: &str,
) -> Option<&'a VmTypeSection> {
    scenarios
        .iter()
        .flatten()
        .flat_map(|s| &s.spec.vm_types)
        .find(|t| t.name == name)
}

/// Checks a parsed federation file against itself and its private sites' scenarios.
pub(super) struct Checker<'a> {
    /// The parsed file.
    pub spec: &'a FederationFile,
    /// Each private site's scenario, by site index.
    pub scenarios: &'a [Option<Scenario>],
    /// The file as read (errors are located in it, or blamed on `--set`).
    pub source: &'a Source,
}

impl Checker<'_> {
    fn error_at(&self, key: &str, message: impl Into<String>) -> InputError {
        self.source.error_at(key, message)
    }

    fn site_index(&self, name: &str) -> Option<SiteId> {
        self.spec.site_index(name)
    }

    fn site_names(&self) -> String {
        self.spec.site_names()
    }

    fn coupling(&self, a: &str, b: &str) -> Option<&RelationSpec> {
        self.spec.coupling(a, b)
    }

    fn vm_type(&self, name: &str) -> Option<&VmTypeSection> {
        vm_type(self.scenarios, name)
    }

    fn appliance_index(&self, name: &str) -> Option<usize> {
        self.spec.appliance_index(name)
    }

    /// Checks everything; the first error found.
    /// Refuses a federation whose requests or decision rounds exceed its `[limits]`.
    fn check_limits(&self) -> Result<(), InputError> {
        let s = self.spec;
        let l = &s.limits;
        let requests: u128 = s
            .demand
            .generators
            .iter()
            .map(|g| g.count as u128)
            .sum::<u128>()
            + s.demand.calls.iter().map(|c| c.count as u128).sum::<u128>();
        let rounds = ticks(s.duration_s, s.interval_s);
        let mut steps = rounds.saturating_mul(s.sites.len() as u128 + requests);
        for r in &s.relations {
            let every = r
                .monitor_interval_s
                .unwrap_or(r.coupling.default_monitor_interval_s());
            steps = steps.saturating_add(ticks(s.duration_s, every).saturating_mul(2));
        }
        let error = |key: &str, m: String| self.error_at(key, m);
        l.check("requests", requests, l.max_vms, "max_vms", "demand", &error)?;
        l.check(
            "steps of work",
            steps,
            l.max_steps,
            "max_steps",
            "duration_s",
            &error,
        )
    }

    pub(super) fn validate(&self) -> Result<(), InputError> {
        let s = self.spec;
        let positive = |key: &str, v: f64| require_positive(v).map_err(|m| self.error_at(key, m));
        let non_negative =
            |key: &str, v: f64| require_non_negative(v).map_err(|m| self.error_at(key, m));
        positive("duration_s", s.duration_s)?;
        positive("interval_s", s.interval_s)?;
        self.check_limits()?;
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

    fn is_private(&self, name: &str) -> bool {
        matches!(
            self.site_index(name).map(|i| self.spec.site(i)),
            Some(SiteSpec::Private { .. })
        )
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
                router,
                params,
                ..
            } => {
                match router {
                    Some(_) if metabroker.is_some() => {
                        return Err(self
                            .error_at("architecture.router", "a meta-broker ranks clouds itself")
                            .hint("remove `router` or [architecture.metabroker]"))
                    }
                    Some(name) => {
                        crate::policy::router::build(name, params, &|k, m| self.error_at(k, m))?;
                    }
                    None if !params.is_empty() => {
                        return Err(self
                            .error_at("architecture.params", "parameters without a `router`")
                            .hint("name the router in [architecture] or remove its parameters"))
                    }
                    None => {}
                }
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
                    if children[..i].contains(c) {
                        return Err(self
                            .error_at(
                                &format!("architecture.children.{i}"),
                                format!("`{c}` is a child twice"),
                            )
                            .hint("name each child site once"));
                    }
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
            for (site, scenario) in self.spec.sites.iter().zip(self.scenarios) {
                if let Some(sc) = scenario {
                    if !sc.spec.vm_types.iter().any(|t| t.name == g.vm_type) {
                        return Err(self
                            .error_at(
                                &k("vm_type"),
                                format!(
                                    "private site `{}` ({}) has no VM type `{}`",
                                    site.name(),
                                    sc.file().display(),
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

    /// Checks the appliances and the service calls.
    fn validate_saas(&self) -> Result<(), InputError> {
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
                match (self.spec.site(s), &self.scenarios[s.0]) {
                    (SiteSpec::Private { .. }, Some(sc)) => {
                        if !sc.spec.vm_types.iter().any(|t| t.name == a.vm_type) {
                            return Err(self
                                .error_at(
                                    &ko("site"),
                                    format!(
                                        "private site `{}` ({}) has no VM type `{}`",
                                        o.site,
                                        sc.file().display(),
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
