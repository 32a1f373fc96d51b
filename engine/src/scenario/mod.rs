//! Scenario files: loading, `--set` overrides, validation, and located errors.

mod failures;
mod schema;
mod services;
pub mod sweep;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub use failures::FailuresSection;
pub use schema::*;
pub use services::{
    AllocationKind, MemberRole, OrganisationSection, QuotaSection, ServiceRoleSection,
    ServiceSection, VdcSection,
};

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
    /// The file it came from (or `<embedded default>`).
    pub file: PathBuf,
    /// Directory relative paths in the file are resolved against.
    pub base_dir: PathBuf,
    /// The parsed contents.
    pub spec: ScenarioFile,
    /// The file's text as written, kept to locate keys in later errors.
    text: String,
    /// The `--set KEY=VALUE` overrides applied.
    sets: Vec<String>,
    /// Keys whose value came from outside the file, each with its source (`--set`, or the
    /// `[sweep]` table for a sweep point).
    overridden: BTreeMap<String, String>,
}

impl Scenario {
    /// Loads `path`, applies `--set KEY=VALUE` overrides and validates.
    pub fn load(path: &Path, sets: &[String]) -> Result<Scenario, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            InputError::file(path, format!("cannot read the scenario file: {e}"))
                .hint("check the path; `orrery run` with no file runs the embedded default")
        })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Self::parse(&text, path, &base, sets)
    }

    /// Parses scenario `text` as if read from `file`, with paths relative to `base_dir`.
    pub fn parse(
        text: &str,
        file: &Path,
        base_dir: &Path,
        sets: &[String],
    ) -> Result<Scenario, InputError> {
        Self::parse_with(text, file, base_dir, &[], sets)
    }

    /// This scenario with `values` put at their dotted keys (before its `--set` overrides): one
    /// point of its sweep grid.
    pub fn with_values(
        &self,
        values: &[(String, toml_edit::Value)],
    ) -> Result<Scenario, InputError> {
        Self::parse_with(&self.text, &self.file, &self.base_dir, values, &self.sets)
    }

    /// A stable hash of the file's text and its `--set` overrides: two scenarios with the same
    /// fingerprint describe the same runs (a sweep resumes only under the same one).
    pub fn fingerprint(&self) -> u64 {
        let mut bytes = self.text.clone().into_bytes();
        for set in &self.sets {
            bytes.push(0);
            bytes.extend_from_slice(set.as_bytes());
        }
        crate::rng::fnv1a(&bytes)
    }

    fn parse_with(
        text: &str,
        file: &Path,
        base_dir: &Path,
        values: &[(String, toml_edit::Value)],
        sets: &[String],
    ) -> Result<Scenario, InputError> {
        let original = text;
        let (text, overridden) = apply_overrides(original, file, values, sets)?;
        let de = toml::Deserializer::new(&text);
        let spec: ScenarioFile = serde_path_to_error::deserialize(de)
            .map_err(|e| toml_error(e, &text, original, file, &overridden))?;
        let name = spec.name.clone().unwrap_or_else(|| {
            file.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let scenario = Scenario {
            name,
            file: file.to_path_buf(),
            base_dir: base_dir.to_path_buf(),
            spec,
            text: original.to_string(),
            sets: sets.to_vec(),
            overridden,
        };
        scenario.validate()?;
        Ok(scenario)
    }

    /// An error about `key` (dotted path, `hosts.1.count`), located in the file when possible.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> InputError {
        if let Some(source) = self.overridden.get(&normalise(key)) {
            return InputError::file(source, message).key(key);
        }
        error_in_toml(&self.file, &self.text, key, message)
    }

    /// Resolves the path at `key`: relative to the scenario's directory when the file gives it,
    /// relative to the working directory when `--set` does.
    pub fn resolve(&self, key: &str, p: &Path) -> PathBuf {
        if p.is_absolute() || self.overridden.get(&normalise(key)) == Some(&SET.to_string()) {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
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
            .map(|t| VmType {
                name: t.name.clone(),
                vcpus: t.vcpus,
                mips: t.mips,
                memory_mb: t.memory_mb,
                max_vcpus: t.max_vcpus.unwrap_or(t.vcpus),
                max_memory_mb: t.max_memory_mb.unwrap_or(t.memory_mb),
                disk_gb: t.disk_gb,
                image: t.image.clone(),
                owner: t.tenant.clone().unwrap_or_else(|| DEFAULT_TENANT.into()),
                constraints: VmConstraints {
                    requirements: t.requirements.clone(),
                    group: t
                        .vm_group
                        .as_deref()
                        .map(|g| self.group_role(g, t.role.as_deref())),
                    guaranteed: t.guaranteed,
                    high_reliability: t.high_reliability,
                },
                dirty_rate_mbs: t.dirty_rate_mbs,
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
        if s.vm_types.is_empty() {
            return Err(self
                .error_at("vm_types", "at least one VM type is needed")
                .hint("add a [[vm_types]] table with name, mips and memory_mb"));
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
        if w.trace_dir.is_none() && w.generators.is_empty() && s.services.is_empty() {
            return Err(self
                .error_at(
                    "workload",
                    "the workload has neither a trace_dir, nor generators, nor services",
                )
                .hint("set workload.trace_dir, add [[workload.generators]] or [[services]]"));
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

/// The source named in errors about a key given on the command line.
const SET: &str = "--set";

/// Puts sweep `values` and then `--set KEY=VALUE` overrides into the TOML text and returns it
/// with each overridden key (normalised) and its source. A `--set` value keeps the type of the
/// key it replaces when that key is a string; otherwise it is read as a TOML value (falling back
/// to a string), so `--set seed=7` is an integer and `--set workload.trace_dir=/data` a string.
fn apply_overrides(
    text: &str,
    file: &Path,
    values: &[(String, toml_edit::Value)],
    sets: &[String],
) -> Result<(String, BTreeMap<String, String>), InputError> {
    if values.is_empty() && sets.is_empty() {
        return Ok((text.to_string(), BTreeMap::new()));
    }
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let mut err = InputError::file(file, e.message().trim().replace('\n', "; "));
        if let Some(span) = e.span() {
            err = err.at_offset(text, span.start);
        }
        err
    })?;
    let mut keys = BTreeMap::new();
    let sweep_source = format!("{} [sweep]", file.display());
    for (key, value) in values {
        let item = item_at(&mut doc, key, &sweep_source)?;
        *item = toml_edit::Item::Value(value.clone());
        keys.insert(normalise(key), sweep_source.clone());
    }
    for set in sets {
        let Some((key, raw)) = set.split_once('=') else {
            return Err(InputError::file(SET, format!("`{set}` is not KEY=VALUE"))
                .hint("write e.g. --set policies.placement=first-fit"));
        };
        let key = key.trim();
        let item = item_at(&mut doc, key, SET)?;
        let value: toml_edit::Value = if item.as_str().is_some() {
            raw.into()
        } else {
            raw.parse().unwrap_or_else(|_| raw.into())
        };
        *item = toml_edit::Item::Value(value);
        keys.insert(normalise(key), SET.to_string());
    }
    Ok((doc.to_string(), keys))
}

/// The item at dotted path `key` (`hosts.0.count`), created when missing; `source` names the
/// override in errors.
fn item_at<'d>(
    doc: &'d mut toml_edit::DocumentMut,
    key: &str,
    source: &str,
) -> Result<&'d mut toml_edit::Item, InputError> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(InputError::file(source, format!("`{key}` is not a dotted key path")).key(key));
    }
    let mut item = doc.as_item_mut();
    for part in &parts {
        if let (Ok(i), Some(n)) = (
            part.parse::<usize>(),
            item.as_array_of_tables().map(|a| a.len()),
        ) {
            if i >= n {
                return Err(InputError::file(
                    source,
                    format!("index {i} is out of range: there are {n}"),
                )
                .key(key));
            }
            item = &mut item[i];
            continue;
        }
        if !(item.is_table_like() || item.is_none()) {
            return Err(InputError::file(
                source,
                format!("`{part}` is inside a value that is not a table"),
            )
            .key(key));
        }
        item = &mut item[*part];
    }
    Ok(item)
}

/// The field named by serde's "unknown field `x`" message.
/// Parses a TOML file's `text` into `T`, with errors located by file, line, column and key,
/// and `hint` (where the keys are documented) added.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    file: &Path,
    hint: &str,
) -> Result<T, InputError> {
    let de = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(de)
        .map_err(|e| toml_error(e, text, text, file, &BTreeMap::new()).hint(hint))
}

/// An error about `key` (dotted path) in the TOML file `file` whose text is `text`, located at
/// the key's line and column when it is there.
pub fn error_in_toml(file: &Path, text: &str, key: &str, message: impl Into<String>) -> InputError {
    let mut err = InputError::file(file, message).key(key);
    if let Some(offset) = locate(text, key) {
        err = err.at_offset(text, offset);
    }
    err
}

/// A located error for a TOML deserialisation failure. `text` is what was parsed, `original`
/// the file as written (they differ when overrides rewrote it; `overridden` maps each
/// overridden key to its source).
fn toml_error(
    e: serde_path_to_error::Error<toml::de::Error>,
    text: &str,
    original: &str,
    file: &Path,
    overridden: &BTreeMap<String, String>,
) -> InputError {
    let mut key = normalise(&e.path().to_string());
    let inner = e.into_inner();
    // toml's messages can span lines; an error is one paragraph.
    let message = inner.message().trim().replace('\n', "; ");
    if let Some(field) = unknown_field(&message) {
        if !key.ends_with(field) {
            key = if key == "." || key.is_empty() {
                field.to_string()
            } else {
                format!("{key}.{field}")
            };
        }
    }
    let hint = "see scenarios/README.md for every key and its type";
    if key == "." || key.is_empty() {
        let mut err = InputError::file(file, message);
        if let Some(span) = inner.span() {
            err = err.at_offset(text, span.start);
        }
        return err.hint(hint);
    }
    if let Some(source) = overridden.get(&key) {
        return InputError::file(source, message).key(key).hint(hint);
    }
    // With overrides the text was rewritten, so locate the key in the file as written.
    let offset = if overridden.is_empty() {
        inner.span().map(|s| s.start)
    } else {
        locate(original, &key)
    };
    let mut err = InputError::file(file, message).key(key);
    if let Some(offset) = offset {
        err = err.at_offset(original, offset);
    }
    err.hint(hint)
}

fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

/// Normalises `hosts[1].count` and `hosts.1.count` to the same form.
fn normalise(key: &str) -> String {
    key.replace('[', ".").replace(']', "")
}

/// Byte offset of the value (or key) at dotted path `key` in `text`.
fn locate(text: &str, key: &str) -> Option<usize> {
    let doc = toml_edit::ImDocument::parse(text.to_string()).ok()?;
    let key = normalise(key);
    let parts: Vec<&str> = key.split('.').collect();
    let mut table: &dyn toml_edit::TableLike = doc.as_table();
    let mut offset = None;
    let mut i = 0;
    while i < parts.len() {
        let (k, v) = table.get_key_value(parts[i])?;
        offset = v.span().or_else(|| k.span()).map(|s| s.start).or(offset);
        i += 1;
        if i == parts.len() {
            break;
        }
        match (
            parts[i].parse::<usize>(),
            v.as_array_of_tables(),
            v.as_array(),
        ) {
            (Ok(n), Some(aot), _) => {
                let t = aot.get(n)?;
                offset = t.span().map(|s| s.start).or(offset);
                table = t;
                i += 1;
            }
            (Ok(n), None, Some(arr)) => {
                let item = arr.get(n)?;
                offset = item.span().map(|s| s.start).or(offset);
                i += 1;
                match item.as_inline_table() {
                    Some(t) => table = t,
                    None => break,
                }
            }
            _ => table = v.as_table_like()?,
        }
    }
    offset
}
