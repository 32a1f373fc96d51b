//! Placement constraints every policy honours: SLA host classes, requirement expressions over
//! host attributes (hardware, platform, location, monitored values) and VM-group affinity.
//!
//! A policy builds one [`Constraints`] per decision from the view, asks [`Constraints::check`]
//! before choosing a host for a VM, and reports every tentative move with
//! [`Constraints::place`] / [`Constraints::unplace`], so that affinity rules see the VMs the
//! same plan has already placed. Capacity is each policy's own business.

use std::collections::BTreeMap;
use std::fmt;

use orrery_engine::model::{PowerState, RolePolicy, VmType};
use orrery_engine::view::{ClusterView, HostId, VmId};

use crate::expr::{Attributes, Dialect, ParseError, Requirement, Value};

/// Requirement expressions parsed once per run: each VM type's own and a policy-wide one.
#[derive(Debug, Clone, Default)]
pub struct Requirements {
    per_type: Vec<Option<Requirement>>,
    global: Option<Requirement>,
}

impl Requirements {
    /// Parses each VM type's `requirements` and the policy-wide `global` expression, in
    /// `dialect`. The error names the VM type index (`None`: the global expression).
    pub fn parse(
        vm_types: &[VmType],
        global: Option<&str>,
        dialect: Dialect,
    ) -> Result<Self, (Option<usize>, ParseError)> {
        let parse = |src: &str| Requirement::parse_in(src, dialect);
        let per_type = vm_types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                t.constraints
                    .requirements
                    .as_deref()
                    .map(parse)
                    .transpose()
                    .map_err(|e| (Some(i), e))
            })
            .collect::<Result<_, _>>()?;
        let global = global.map(parse).transpose().map_err(|e| (None, e))?;
        Ok(Requirements { per_type, global })
    }

    /// Requirements of a view's VM types in orrery's dialect, for policies built without a
    /// scenario (tests, benchmarks). Panics on a malformed expression.
    pub fn of(view: &ClusterView) -> Self {
        Self::parse(&view.vm_types, None, Dialect::Orrery)
            .unwrap_or_else(|(i, e)| panic!("VM type {i:?}: {e}"))
    }
}

/// Why a host may not take a VM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The VM is guaranteed and the host may be overcommitted.
    NotNoOvercommit,
    /// The VM needs a high-reliability host.
    NotHighReliability,
    /// The VM type's requirements expression is false on the host.
    Requirements,
    /// The policy-wide requirements expression is false on the host.
    PolicyRequirements,
    /// The role may run only on listed hosts, or never on this one.
    HostAffinity,
    /// The role's VMs must share one host, and they run elsewhere.
    RoleAffined,
    /// Another VM of the role runs on the host.
    RoleAntiAffined,
    /// An affined role runs elsewhere.
    GroupAffined,
    /// An anti-affined role runs on the host.
    GroupAntiAffined,
    /// The host cannot take VMs (failed or shutting down).
    Unusable,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Violation::NotNoOvercommit => "guaranteed VM needs a no-overcommit host",
            Violation::NotHighReliability => "needs a high-reliability host",
            Violation::Requirements => "VM requirements not met",
            Violation::PolicyRequirements => "policy requirements not met",
            Violation::HostAffinity => "role's host affinity not met",
            Violation::RoleAffined => "role is affined to another host",
            Violation::RoleAntiAffined => "role is anti-affined and already runs there",
            Violation::GroupAffined => "an affined role runs on other hosts",
            Violation::GroupAntiAffined => "an anti-affined role runs there",
            Violation::Unusable => "host is unusable",
        })
    }
}

/// The constraint state of one decision: the view, the parsed requirements and where each
/// VM-group role runs (tentative moves included).
pub struct Constraints<'a> {
    view: &'a ClusterView,
    requirements: &'a Requirements,
    /// VMs per host for each (group, role).
    role_hosts: BTreeMap<(usize, usize), BTreeMap<HostId, usize>>,
}

impl<'a> Constraints<'a> {
    /// The constraints as the view stands: grouped VMs count on their host and, while they
    /// migrate, on their destination too.
    pub fn new(view: &'a ClusterView, requirements: &'a Requirements) -> Self {
        let mut c = Constraints {
            view,
            requirements,
            role_hosts: BTreeMap::new(),
        };
        for (h, host) in view.hosts.iter().enumerate() {
            for &v in &host.vms {
                c.place(v, h);
            }
        }
        c
    }

    /// Whether VM `v` asks for nothing beyond capacity (then every usable host passes).
    pub fn trivial(&self, v: VmId) -> bool {
        let t = self.view.vms[v].vm_type;
        self.view.vm_types[t].constraints.is_empty() && self.requirements.global.is_none()
    }

    /// Records VM `v` as (tentatively) on host `h`.
    pub fn place(&mut self, v: VmId, h: HostId) {
        if let Some(g) = self.view.vm_type(v).constraints.group {
            *self
                .role_hosts
                .entry((g.group, g.role))
                .or_default()
                .entry(h)
                .or_insert(0) += 1;
        }
    }

    /// Records VM `v` as (tentatively) gone from host `h`.
    pub fn unplace(&mut self, v: VmId, h: HostId) {
        if let Some(g) = self.view.vm_type(v).constraints.group {
            if let Some(hosts) = self.role_hosts.get_mut(&(g.group, g.role)) {
                if let Some(n) = hosts.get_mut(&h) {
                    *n -= 1;
                    if *n == 0 {
                        hosts.remove(&h);
                    }
                }
            }
        }
    }

    /// Whether host `h` may take VM `v`, and if not the first rule it breaks. Monitored
    /// attributes are those the view shows: CPU at the last monitoring update, temperatures
    /// as of the current event.
    pub fn check(&self, h: HostId, v: VmId) -> Result<(), Violation> {
        let view = self.view;
        if matches!(
            view.hosts[h].power,
            PowerState::Failed | PowerState::ShuttingDown
        ) {
            return Err(Violation::Unusable);
        }
        let t = view.vms[v].vm_type;
        let c = &view.vm_types[t].constraints;
        let ty = view.host_type(h);
        if c.guaranteed && !ty.no_overcommit {
            return Err(Violation::NotNoOvercommit);
        }
        if c.high_reliability && !ty.high_reliability {
            return Err(Violation::NotHighReliability);
        }
        let attrs = HostAttributes { view, host: h };
        if let Some(r) = &self.requirements.per_type[t] {
            if !r.eval(&attrs) {
                return Err(Violation::Requirements);
            }
        }
        if let Some(r) = &self.requirements.global {
            if !r.eval(&attrs) {
                return Err(Violation::PolicyRequirements);
            }
        }
        let Some(g) = c.group else {
            return Ok(());
        };
        let group = &view.vm_groups[g.group];
        let role = &group.roles[g.role];
        if (!role.host_affined.is_empty() && !role.host_affined.contains(&h))
            || role.host_anti_affined.contains(&h)
        {
            return Err(Violation::HostAffinity);
        }
        // Where the other VMs of a role run: v itself does not count.
        let own = view.vms[v].host;
        let others = |r: usize| {
            self.role_hosts
                .get(&(g.group, r))
                .into_iter()
                .flatten()
                .filter(move |&(&x, &n)| n > usize::from(r == g.role && own == Some(x)))
                .map(|(&x, _)| x)
        };
        match role.policy {
            RolePolicy::Affined if others(g.role).any(|x| x != h) => {
                return Err(Violation::RoleAffined)
            }
            RolePolicy::AntiAffined if others(g.role).any(|x| x == h) => {
                return Err(Violation::RoleAntiAffined)
            }
            _ => {}
        }
        let partner = |&(a, b): &(usize, usize)| {
            if a == g.role {
                Some(b)
            } else if b == g.role {
                Some(a)
            } else {
                None
            }
        };
        for r in group.affined.iter().filter_map(partner) {
            let mut hosts = others(r).peekable();
            if hosts.peek().is_some() && !hosts.any(|x| x == h) {
                return Err(Violation::GroupAffined);
            }
        }
        for r in group.anti_affined.iter().filter_map(partner) {
            if others(r).any(|x| x == h) {
                return Err(Violation::GroupAntiAffined);
            }
        }
        Ok(())
    }

    /// The reason no host in `hosts` may take VM `v`: the violation most hosts report (ties:
    /// the first in [`Violation`] order), or `None` if some host passes.
    pub fn why_none(&self, v: VmId, hosts: impl Iterator<Item = HostId>) -> Option<Violation> {
        let mut counts: Vec<(Violation, usize)> = Vec::new();
        for h in hosts {
            match self.check(h, v) {
                Ok(()) => return None,
                Err(e) => match counts.iter_mut().find(|(x, _)| *x == e) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((e, 1)),
                },
            }
        }
        let max = counts.iter().map(|c| c.1).max()?;
        counts.into_iter().find(|c| c.1 == max).map(|c| c.0)
    }
}

/// A host's attributes as requirement and rank expressions read them (OpenNebula names).
pub struct HostAttributes<'a> {
    /// The cluster.
    pub view: &'a ClusterView,
    /// The host.
    pub host: HostId,
}

impl Attributes for HostAttributes<'_> {
    fn get(&self, name: &str) -> Option<Value> {
        let view = self.view;
        let h = self.host;
        let host = &view.hosts[h];
        let ty = view.host_type(h);
        let num = |x: f64| Some(Value::Num(x));
        let text = |s: &str| Some(Value::Str(s.to_string()));
        match name {
            "ID" => num(h as f64),
            "NAME" | "HOSTNAME" => text(&host.name),
            "TYPE" => text(&ty.name),
            "SITE" => text(&host.site),
            "CLUSTER" => text(&host.cluster),
            "RACK" => text(&host.rack),
            "ZONE" => text(&host.zone),
            "STATE" => text(match host.power {
                PowerState::On => "on",
                PowerState::Off => "off",
                PowerState::Booting => "booting",
                PowerState::ShuttingDown => "shutting-down",
                PowerState::Failed => "failed",
            }),
            "CORES" | "TOTAL_CORES" => num(ty.cores as f64),
            "CORE_MIPS" | "CPU_SPEED" => num(ty.core_mips),
            "TOTAL_CPU" => num(ty.total_mips()),
            "TOTAL_MEM" | "MEMORY_MB" => num(ty.memory_mb),
            "NIC_MBPS" => num(ty.nic_mbps),
            "FREE_CPU" => num(view.reservable_mips(h) - host.reserved_mips),
            "FREE_MEM" => num(view.reservable_memory_mb(h) - host.reserved_memory_mb),
            "USED_CPU" => num(host.busy_mips),
            "CPU_USAGE" => num(100.0 * view.utilisation(h)),
            "RUNNING_VMS" => num(host.vms.len() as f64),
            // Missing without a thermal model, so `TEMPERATURE < 50` is false rather than true.
            "TEMPERATURE" if view.redline_c.is_some() => num(host.temperature_c),
            "INLET_TEMPERATURE" if view.redline_c.is_some() => num(host.inlet_c),
            "HIGH_RELIABILITY" => text(if ty.high_reliability { "yes" } else { "no" }),
            "NO_OVERCOMMIT" => text(if ty.no_overcommit { "yes" } else { "no" }),
            _ => ty
                .attributes
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| Value::Str(v.clone())),
        }
    }
}

#[cfg(test)]
mod tests;
