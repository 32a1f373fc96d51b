//! Scenario files: loading, `--set` overrides, validation, and located errors.

mod failures;
pub mod limits;
mod roles;
mod schema;
mod services;
pub use roles::check_roles;
pub mod sweep;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use schema::*;

pub use crate::config::error_in_toml;
use crate::config::Source;
use crate::error::{require_non_negative, require_positive, InputError};
use crate::model::{
    GroupRole, HostType, MigrationModel, Overcommit, Role, RolePolicy, VmConstraints, VmGroup,
    VmType,
};
use crate::time::from_secs;

/// A loaded, validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Name used in outputs.
    pub name: String,
    /// The parsed contents.
    pub spec: ScenarioFile,
    /// The file as read, with its overrides: locates later errors and resolves paths.
    pub source: Source,
}

/// Where the scenario keys are documented (the hint of every schema error).
const HINT: &str = "see scenarios/README.md for every key, its type and its range";

impl Scenario {
    /// Loads `path`, applies `--set KEY=VALUE` overrides and validates.
    pub fn load(path: &Path, sets: &[String]) -> Result<Scenario, InputError> {
        let source = Source::read(
            path,
            "scenario file",
            "check the path; `orrery run` with no file runs the embedded default",
        )?;
        Self::from_source(source.with_sets(sets), &[])
    }

    /// Parses scenario `text` as if read from `file`, with paths relative to `base_dir`.
    pub fn parse(
        text: &str,
        file: &Path,
        base_dir: &Path,
        sets: &[String],
    ) -> Result<Scenario, InputError> {
        Self::from_source(Source::from_text(text, file, base_dir).with_sets(sets), &[])
    }

    /// This scenario with `values` put at their dotted keys (before its `--set` overrides): one
    /// point of its sweep grid.
    pub fn with_values(
        &self,
        values: &[(String, toml_edit::Value)],
    ) -> Result<Scenario, InputError> {
        Self::from_source(self.source.clone(), values)
    }

    /// The file it came from (or `<embedded default>`).
    pub fn file(&self) -> &Path {
        self.source.path()
    }

    /// The directory relative paths in the file are resolved against.
    pub fn base_dir(&self) -> &Path {
        self.source.base_dir()
    }

    /// A stable hash of the scenario's content, without its `[sweep]` table (see
    /// [`Source::content_id`]): two scenarios with the same content id describe the same run.
    pub fn content_id(&self) -> u64 {
        self.source.content_id()
    }

    fn from_source(
        mut source: Source,
        values: &[(String, toml_edit::Value)],
    ) -> Result<Scenario, InputError> {
        let spec: ScenarioFile = source.parse(values, HINT)?;
        let name = spec.name.clone().unwrap_or_else(|| source.stem());
        let scenario = Scenario { name, spec, source };
        scenario.validate()?;
        Ok(scenario)
    }

    /// An error about `key` (dotted path, `hosts.1.count`), located in the file when possible.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> InputError {
        self.source.error_at(key, message)
    }

    /// Resolves a path the scenario gives: absolute as it is, relative against the scenario
    /// file's directory, whether the file, a sweep point or `--set` gives it.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        self.source.resolve(p)
    }

    /// Host types, one per host group, in file order.
    pub fn host_types(&self) -> Vec<HostType> {
        self.spec
            .hosts
            .iter()
            .map(|g| HostType {
                name: g.type_name.clone(),
                cores: g.cores,
                core_mips: g.core_mips,
                memory_mb: g.memory_mb,
                disk_gb: g.disk_gb,
                nic_mbps: g.nic_mbps,
                attributes: g.attributes.clone(),
                power: g.power.clone(),
                boot_delay: from_secs(g.boot_s),
                shutdown_delay: from_secs(g.shutdown_s),
                boot_energy_j: g.boot_energy_j,
                shutdown_energy_j: g.shutdown_energy_j,
                no_overcommit: g.no_overcommit,
                high_reliability: g.high_reliability,
                thermal_resistance_c_per_w: g.thermal_resistance_c_per_w,
                heat_capacity_j_per_c: g.heat_capacity_j_per_c,
            })
            .collect()
    }

    /// VM types in file order.
    pub fn vm_types(&self) -> Vec<VmType> {
        self.spec
            .vm_types
            .iter()
            .map(|t| {
                let group = t
                    .vm_group
                    .as_deref()
                    .map(|g| self.group_role(g, t.role.as_deref()));
                t.vm_type(group)
            })
            .collect()
    }

    /// Group and role indices of a (validated) group name and optional role name (the first
    /// role when none is named).
    fn group_role(&self, group: &str, role: Option<&str>) -> GroupRole {
        let g = self
            .spec
            .vm_groups
            .iter()
            .position(|x| x.name == group)
            .expect("validated");
        let role = role.map_or(0, |r| {
            self.spec.vm_groups[g]
                .roles
                .iter()
                .position(|x| x.name == r)
                .expect("validated")
        });
        GroupRole { group: g, role }
    }

    /// The VM groups, with host names resolved against `host_names` (ids in order).
    pub fn vm_groups(&self, host_names: &[String]) -> Result<Vec<VmGroup>, InputError> {
        let host_id = |key: String, name: &str| {
            host_names.iter().position(|n| n == name).ok_or_else(|| {
                self.error_at(&key, format!("unknown host `{name}`"))
                    .hint("host names are `<type>-<id>`, ids counted from 0 in host order")
            })
        };
        let mut groups = Vec::new();
        for (i, g) in self.spec.vm_groups.iter().enumerate() {
            let role_index = |key: String, name: &str| {
                g.roles.iter().position(|r| r.name == name).ok_or_else(|| {
                    let known: Vec<&str> = g.roles.iter().map(|r| r.name.as_str()).collect();
                    self.error_at(
                        &key,
                        format!("unknown role `{name}` in VM group `{}`", g.name),
                    )
                    .hint(format!("roles: {}", known.join(", ")))
                })
            };
            let mut roles = Vec::new();
            for (r, role) in g.roles.iter().enumerate() {
                let hosts = |field: &str, names: &[String]| {
                    names
                        .iter()
                        .enumerate()
                        .map(|(j, n)| host_id(format!("vm_groups.{i}.roles.{r}.{field}.{j}"), n))
                        .collect::<Result<Vec<_>, _>>()
                };
                roles.push(Role {
                    name: role.name.clone(),
                    policy: match role.policy {
                        RolePolicySpec::None => RolePolicy::None,
                        RolePolicySpec::Affined => RolePolicy::Affined,
                        RolePolicySpec::AntiAffined => RolePolicy::AntiAffined,
                    },
                    host_affined: hosts("host_affined", &role.host_affined)?,
                    host_anti_affined: hosts("host_anti_affined", &role.host_anti_affined)?,
                });
            }
            let pairs = |field: &str, lists: &[Vec<String>]| {
                let mut out = Vec::new();
                for (j, list) in lists.iter().enumerate() {
                    let ids = list
                        .iter()
                        .enumerate()
                        .map(|(k, n)| role_index(format!("vm_groups.{i}.{field}.{j}.{k}"), n))
                        .collect::<Result<Vec<_>, _>>()?;
                    for (a, &x) in ids.iter().enumerate() {
                        for &y in &ids[a + 1..] {
                            out.push((x, y));
                        }
                    }
                }
                Ok::<_, InputError>(out)
            };
            groups.push(VmGroup {
                name: g.name.clone(),
                roles,
                affined: pairs("affined", &g.affined)?,
                anti_affined: pairs("anti_affined", &g.anti_affined)?,
            });
        }
        Ok(groups)
    }

    /// Index of the VM type called `name`.
    pub fn vm_type_index(&self, name: &str) -> Option<usize> {
        self.spec.vm_types.iter().position(|t| t.name == name)
    }

    /// Overcommit ratios.
    pub fn overcommit(&self) -> Overcommit {
        Overcommit {
            cpu: self.spec.datacenter.cpu_overcommit,
            memory: self.spec.datacenter.memory_overcommit,
        }
    }

    /// The migration model.
    pub fn migration(&self) -> MigrationModel {
        let m = &self.spec.migration;
        MigrationModel {
            bandwidth_fraction: m.bandwidth_fraction,
            source_degradation: m.source_degradation,
            destination_fraction: m.destination_fraction,
        }
    }

    fn validate(&self) -> Result<(), InputError> {
        self.check_limits()?;
        let s = &self.spec;
        let positive = |key: &str, v: f64| require_positive(v).map_err(|m| self.error_at(key, m));
        let non_negative =
            |key: &str, v: f64| require_non_negative(v).map_err(|m| self.error_at(key, m));
        let fraction = |key: &str, v: f64| -> Result<(), InputError> {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(self.error_at(key, format!("must be between 0 and 1, got {v}")))
            }
        };
        positive("duration_s", s.duration_s)?;
        positive("datacenter.cpu_overcommit", s.datacenter.cpu_overcommit)?;
        positive(
            "datacenter.memory_overcommit",
            s.datacenter.memory_overcommit,
        )?;
        positive(
            "datacenter.update_interval_s",
            s.datacenter.update_interval_s,
        )?;
        if s.datacenter.history_len == 0 {
            return Err(self.error_at("datacenter.history_len", "must be at least 1"));
        }
        positive(
            "migration.bandwidth_fraction",
            s.migration.bandwidth_fraction,
        )?;
        fraction(
            "migration.bandwidth_fraction",
            s.migration.bandwidth_fraction,
        )?;
        fraction(
            "migration.source_degradation",
            s.migration.source_degradation,
        )?;
        fraction(
            "migration.destination_fraction",
            s.migration.destination_fraction,
        )?;
        if s.hosts.is_empty() {
            return Err(self
                .error_at("hosts", "at least one host group is needed")
                .hint(
                    "add a [[hosts]] table with type, count, cores, core_mips, memory_mb and power",
                ));
        }
        for (i, h) in s.hosts.iter().enumerate() {
            let k = |f: &str| format!("hosts.{i}.{f}");
            if h.count == 0 {
                return Err(self.error_at(&k("count"), "must be at least 1"));
            }
            if h.cores == 0 {
                return Err(self.error_at(&k("cores"), "must be at least 1"));
            }
            positive(&k("core_mips"), h.core_mips)?;
            positive(&k("memory_mb"), h.memory_mb)?;
            positive(&k("nic_mbps"), h.nic_mbps)?;
            non_negative(&k("disk_gb"), h.disk_gb)?;
            non_negative(&k("boot_s"), h.boot_s)?;
            non_negative(&k("shutdown_s"), h.shutdown_s)?;
            non_negative(&k("boot_energy_j"), h.boot_energy_j)?;
            non_negative(&k("shutdown_energy_j"), h.shutdown_energy_j)?;
            h.power
                .validate()
                .map_err(|m| self.error_at(&k("power"), m))?;
            if h.racks == 0 {
                return Err(self.error_at(&k("racks"), "must be at least 1"));
            }
            positive(
                &k("thermal_resistance_c_per_w"),
                h.thermal_resistance_c_per_w,
            )?;
            positive(&k("heat_capacity_j_per_c"), h.heat_capacity_j_per_c)?;
        }
        if s.vm_types.is_empty() && s.workload.trace.is_none() {
            return Err(self
                .error_at("vm_types", "at least one VM type is needed")
                .hint(
                    "add a [[vm_types]] table with name, mips and memory_mb (only a \
                     workload.trace brings its own)",
                ));
        }
        let mut names = BTreeSet::new();
        for (i, t) in s.vm_types.iter().enumerate() {
            let k = |f: &str| format!("vm_types.{i}.{f}");
            if !names.insert(t.name.as_str()) {
                return Err(
                    self.error_at(&k("name"), format!("VM type `{}` is defined twice", t.name))
                );
            }
            if t.vcpus == 0 {
                return Err(self.error_at(&k("vcpus"), "must be at least 1"));
            }
            positive(&k("mips"), t.mips)?;
            non_negative(&k("memory_mb"), t.memory_mb)?;
            if t.max_vcpus.is_some_and(|m| m < t.vcpus) {
                return Err(self
                    .error_at(&k("max_vcpus"), "must be at least vcpus")
                    .hint("max_vcpus is the most a VM of the type may be resized to"));
            }
            if t.max_memory_mb
                .is_some_and(|m| m.is_nan() || m < t.memory_mb)
            {
                return Err(self
                    .error_at(&k("max_memory_mb"), "must be at least memory_mb")
                    .hint("max_memory_mb is the most a VM of the type may be resized to"));
            }
            non_negative(&k("disk_gb"), t.disk_gb)?;
            non_negative(&k("dirty_rate_mbs"), t.dirty_rate_mbs)?;
            match (&t.vm_group, &t.role) {
                (None, Some(_)) => {
                    return Err(self
                        .error_at(&k("role"), "a role needs a vm_group")
                        .hint("set vm_group to the [[vm_groups]] name the role belongs to"))
                }
                (Some(g), role) => {
                    let Some(group) = s.vm_groups.iter().find(|x| &x.name == g) else {
                        let known: Vec<&str> =
                            s.vm_groups.iter().map(|x| x.name.as_str()).collect();
                        return Err(self
                            .error_at(&k("vm_group"), format!("unknown VM group `{g}`"))
                            .hint(format!("declared [[vm_groups]]: {}", known.join(", "))));
                    };
                    if let Some(r) = role {
                        if !group.roles.iter().any(|x| &x.name == r) {
                            let known: Vec<&str> =
                                group.roles.iter().map(|x| x.name.as_str()).collect();
                            return Err(self
                                .error_at(
                                    &k("role"),
                                    format!("unknown role `{r}` in VM group `{g}`"),
                                )
                                .hint(format!("roles: {}", known.join(", "))));
                        }
                    }
                }
                (None, None) => {}
            }
        }
        let mut group_names = BTreeSet::new();
        for (i, g) in s.vm_groups.iter().enumerate() {
            if !group_names.insert(g.name.as_str()) {
                return Err(self.error_at(
                    &format!("vm_groups.{i}.name"),
                    format!("VM group `{}` is defined twice", g.name),
                ));
            }
            if g.roles.is_empty() {
                return Err(self
                    .error_at(
                        &format!("vm_groups.{i}.roles"),
                        "a VM group needs at least one role",
                    )
                    .hint("add [[vm_groups.roles]] with a name"));
            }
        }
        if let Some(t) = &s.thermal {
            if !(t.supply_c.is_finite() && t.redline_c.is_finite() && t.redline_c > t.supply_c) {
                return Err(self
                    .error_at(
                        "thermal.redline_c",
                        "the red line must be above the supply temperature",
                    )
                    .hint("typical values: supply_c = 18 to 27, redline_c = 70 to 85"));
            }
            let [a, b, c] = t.cop;
            let cop = a * t.supply_c * t.supply_c + b * t.supply_c + c;
            if !(cop.is_finite() && cop > 0.0) {
                return Err(self.error_at(
                    "thermal.cop",
                    format!("CoP at the supply temperature must be positive, got {cop}"),
                ));
            }
            if let Some(r) = &t.recirculation {
                non_negative("thermal.recirculation.same_rack", r.same_rack)?;
                non_negative("thermal.recirculation.adjacent_rack", r.adjacent_rack)?;
                if let Some(m) = &r.matrix {
                    // Bounded by the limits checked above: no overflow.
                    let n: usize = s.hosts.iter().map(|h| h.count).sum();
                    if m.len() != n || m.iter().any(|row| row.len() != n) {
                        return Err(self.error_at(
                            "thermal.recirculation.matrix",
                            format!("must be {n} rows of {n} numbers (one per host)"),
                        ));
                    }
                    if m.iter().flatten().any(|x| !(x.is_finite() && *x >= 0.0)) {
                        return Err(self.error_at(
                            "thermal.recirculation.matrix",
                            "entries must be zero or positive (°C per W)",
                        ));
                    }
                }
            }
        }
        positive("migration.stop_threshold_mb", s.migration.stop_threshold_mb)?;
        non_negative("migration.resume_overhead_s", s.migration.resume_overhead_s)?;
        if s.migration.max_rounds == 0 {
            return Err(self.error_at("migration.max_rounds", "must be at least 1"));
        }
        let b = &s.policies.balance;
        for (key, v, target_key, target) in [
            ("spread", b.spread, "spread_target", b.spread_target),
            ("cpu", b.cpu, "cpu_target", b.cpu_target),
            (
                "temperature_c",
                b.temperature_c,
                "temperature_target_c",
                b.temperature_target_c,
            ),
        ] {
            non_negative(&format!("policies.balance.{key}"), v)?;
            if !(target.is_finite() && target <= v) {
                return Err(self
                    .error_at(
                        &format!("policies.balance.{target_key}"),
                        format!("must be at most policies.balance.{key} ({v}), got {target}"),
                    )
                    .hint("the gap between trigger and target is the hysteresis that stops oscillation"));
            }
        }
        let known = || names.iter().copied().collect::<Vec<_>>().join(", ");
        let w = &s.workload;
        if w.trace_dir.is_none()
            && w.trace.is_none()
            && w.generators.is_empty()
            && s.services.is_empty()
        {
            return Err(self
                .error_at(
                    "workload",
                    "the workload has neither a trace, nor a trace_dir, nor generators, nor \
                     services",
                )
                .hint(
                    "set workload.trace or workload.trace_dir, add [[workload.generators]] or \
                     [[services]]",
                ));
        }
        if w.trace_dir.is_some() && w.trace.is_some() {
            return Err(self
                .error_at(
                    "workload.trace",
                    "workload.trace and workload.trace_dir cannot both be set",
                )
                .hint(
                    "import the PlanetLab directory (`orrery trace import planetlab DIR`) or \
                     keep only trace_dir",
                ));
        }
        if w.trace_import.is_some() && w.trace.is_none() {
            return Err(self
                .error_at(
                    "workload.trace_import",
                    "there is no workload.trace to import",
                )
                .hint("set workload.trace to the source file or directory"));
        }
        if w.trace_dir.is_some() && w.trace_vm_types.is_empty() {
            return Err(self
                .error_at("workload.trace_vm_types", "a trace workload needs VM types")
                .hint(format!("list one or more of: {}", known())));
        }
        for (i, name) in w.trace_vm_types.iter().enumerate() {
            if self.vm_type_index(name).is_none() {
                return Err(self
                    .error_at(
                        &format!("workload.trace_vm_types.{i}"),
                        format!("unknown VM type `{name}`"),
                    )
                    .hint(format!("known types: {}", known())));
            }
        }
        non_negative("workload.vm_boot_s", w.vm_boot_s)?;
        for (i, g) in w.generators.iter().enumerate() {
            let k = |f: &str| format!("workload.generators.{i}.{f}");
            if self.vm_type_index(&g.vm_type).is_none() {
                return Err(self
                    .error_at(&k("vm_type"), format!("unknown VM type `{}`", g.vm_type))
                    .hint(format!("known types: {}", known())));
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
        }
        positive(
            "policies.reallocation_interval_s",
            s.policies.reallocation_interval_s,
        )?;
        self.validate_failures()?;
        self.validate_services()
    }
}

/// The tenant of VMs whose type and generator name none.
pub const DEFAULT_TENANT: &str = "default";

impl VmTypeSection {
    /// The VM type it describes, in VM group `group` (indices of a validated `vm_group` and
    /// `role`).
    pub fn vm_type(&self, group: Option<GroupRole>) -> VmType {
        VmType {
            name: self.name.clone(),
            vcpus: self.vcpus,
            mips: self.mips,
            memory_mb: self.memory_mb,
            max_vcpus: self.max_vcpus.unwrap_or(self.vcpus),
            max_memory_mb: self.max_memory_mb.unwrap_or(self.memory_mb),
            disk_gb: self.disk_gb,
            image: self.image.clone(),
            owner: self.tenant.clone().unwrap_or_else(|| DEFAULT_TENANT.into()),
            constraints: VmConstraints {
                requirements: self.requirements.clone(),
                group,
                guaranteed: self.guaranteed,
                high_reliability: self.high_reliability,
            },
            dirty_rate_mbs: self.dirty_rate_mbs,
        }
    }
}
