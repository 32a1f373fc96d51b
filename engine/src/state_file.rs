//! The state file `orrery decide` reads (and `orrery validate` checks): a cluster at one moment (hosts, VM types, VMs with
//! their placement, state, utilisation and metrics, services with their roles' rules and
//! scaling state) and a scenario's `[policies]` section. TOML, or JSON (read through the same
//! loader). docs/decide.md documents every key; the format is versioned by `format`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use crate::config::Source;
use crate::error::InputError;
use crate::model::{
    HostType, Overcommit, PowerModel, PowerState, RolePhase, ServiceSlot, VmState, VmType,
};
use crate::policy::{PolicyConfig, StandaloneServices};
use crate::scenario::{
    check_roles, PoliciesSection, ServiceSection, VmTypeSection, DEFAULT_TENANT,
};
use crate::time::{Millis, SECOND};
use crate::view::{ClusterView, Compat, HostView, VmView};
use serde::Deserialize;

/// The `format` every state file carries.
pub const FORMAT: &str = "orrery-decide/1";

const HINT: &str = "see docs/decide.md for every key of a state file, its type and its range";

/// A state file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// `orrery-decide/1`.
    pub format: String,
    /// The moment decided at, seconds (times in the file are on the same clock).
    #[serde(default)]
    pub now_s: f64,
    /// Unix seconds at time 0 (scheduled scaling rules read dates against it).
    #[serde(default)]
    pub epoch_unix_s: i64,
    /// Seed of the policies' random streams.
    #[serde(default)]
    pub seed: u64,
    /// CPU overcommit ratio for reservations.
    #[serde(default = "one")]
    pub cpu_overcommit: f64,
    /// Memory overcommit ratio for reservations.
    #[serde(default = "one")]
    pub memory_overcommit: f64,
    /// The hosts.
    pub hosts: Vec<HostState>,
    /// The VM types (a scenario's `[[vm_types]]`, without VM groups).
    pub vm_types: Vec<VmTypeSection>,
    /// The VMs: pending, placed, or stopped.
    #[serde(default)]
    pub vms: Vec<VmRecord>,
    /// Services (a scenario's `[[services]]`: roles, cardinalities, rules).
    #[serde(default)]
    pub services: Vec<ServiceSection>,
    /// Each role's scaling state, by service then role name (absent: running since 0).
    #[serde(default)]
    pub roles: BTreeMap<String, BTreeMap<String, RoleRecord>>,
    /// Each service's application metrics (`RESPONSE_TIME`, …), by service name.
    #[serde(default)]
    pub kpis: BTreeMap<String, BTreeMap<String, f64>>,
    /// The policies, as a scenario's `[policies]`.
    pub policies: PoliciesSection,
}

fn one() -> f64 {
    1.0
}

/// A host and its capacity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostState {
    /// Unique name.
    pub name: String,
    /// CPU cores.
    pub cores: u32,
    /// MIPS of one core.
    pub core_mips: f64,
    /// Memory, MB.
    pub memory_mb: f64,
    /// NIC bandwidth, Mb/s.
    #[serde(default = "thousand")]
    pub nic_mbps: f64,
    /// Power model (default linear 100–250 W).
    pub power: Option<PowerModel>,
    /// `on`, `off` or `failed`.
    #[serde(default = "on")]
    pub state: String,
    /// Attributes for requirement and rank expressions.
    #[serde(default)]
    pub attributes: BTreeMap<String, toml::Value>,
    /// Topology labels.
    #[serde(default)]
    pub site: String,
    /// Cluster label.
    #[serde(default)]
    pub cluster: String,
    /// Rack label.
    #[serde(default)]
    pub rack: String,
    /// Zone label.
    #[serde(default)]
    pub zone: String,
}

fn thousand() -> f64 {
    1000.0
}

fn on() -> String {
    "on".into()
}

/// A VM: its type, state, host and what was measured of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmRecord {
    /// Unique name.
    pub name: String,
    /// Its VM type.
    #[serde(rename = "type")]
    pub vm_type: String,
    /// `pending`, `deploying`, `running`, `migrating`, `suspended`, `stopped` or `failed`.
    #[serde(default = "pending")]
    pub state: String,
    /// Its host (required when placed: deploying, running, migrating, suspended).
    pub host: Option<String>,
    /// CPU utilisation now, 0 to 1 of its vCPUs.
    #[serde(default)]
    pub utilisation: f64,
    /// Utilisation at past updates, newest first.
    #[serde(default)]
    pub history: Vec<f64>,
    /// When it was requested, seconds.
    #[serde(default)]
    pub arrival_s: f64,
    /// When it started running, seconds (none: long enough ago to be past any warm-up).
    pub running_since_s: Option<f64>,
    /// Delivered metric values (`CPU`, `RT`, …).
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// The service it belongs to.
    pub service: Option<String>,
    /// Its role in that service.
    pub role: Option<String>,
}

fn pending() -> String {
    "pending".into()
}

/// A role's place in its scaling cycle.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRecord {
    /// `waiting`, `deploying`, `running`, `scaling` or `cooldown`.
    #[serde(default = "running")]
    pub phase: String,
    /// When the role entered its phase, seconds.
    #[serde(default)]
    pub phase_since_s: f64,
    /// When its cooldown ends, seconds (in `cooldown`).
    #[serde(default)]
    pub cooldown_until_s: f64,
    /// What its scaler carries between evaluations, as the previous answer gave it (a OneFlow
    /// rule's periods and cooldown, target tracking's past recommendations and scale events).
    pub history: Option<serde_json::Value>,
}

fn running() -> String {
    "running".into()
}

/// A loaded, checked state file.
#[derive(Debug, Clone)]
pub struct State {
    /// The contents.
    pub spec: StateFile,
    /// The file as read (locates errors).
    pub source: Source,
    /// Whether it was written as JSON (its errors then carry keys, not lines).
    json: bool,
}

impl State {
    /// Reads and checks the state file at `path` (JSON when it ends in `.json`, else TOML),
    /// with `--set KEY=VALUE` overrides.
    pub fn load(path: &Path, sets: &[String]) -> Result<State, InputError> {
        let json = path.extension().is_some_and(|e| e == "json");
        let read = Source::read(
            path,
            "state file",
            "check the path; scenarios/decide/ has examples",
        )?;
        let source = if json {
            let text = json_as_toml(path, read.text())?;
            Source::from_text(&text, path, read.base_dir())
        } else {
            read
        };
        Self::from_source(source.with_sets(sets), json)
    }

    /// Parses `text` as a state file read from `file` (JSON when `json`), relative paths
    /// against `dir`.
    pub fn parse(text: &str, file: &Path, dir: &Path, json: bool) -> Result<State, InputError> {
        let text = if json {
            json_as_toml(file, text)?
        } else {
            text.to_string()
        };
        Self::from_source(Source::from_text(&text, file, dir), json)
    }

    fn from_source(mut source: Source, json: bool) -> Result<State, InputError> {
        let spec: StateFile = source.parse(&[], HINT).map_err(|e| unlined(e, json))?;
        let state = State { spec, source, json };
        state.validate()?;
        Ok(state)
    }

    /// An error about `key`, located in the file.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> InputError {
        unlined(self.source.error_at(key, message), self.json)
    }

    fn validate(&self) -> Result<(), InputError> {
        let s = &self.spec;
        if s.format != FORMAT {
            return Err(self
                .error_at(
                    "format",
                    format!("`{}` is not a format orrery reads", s.format),
                )
                .hint(format!("write format = \"{FORMAT}\"")));
        }
        let time = |key: &str, v: f64| -> Result<(), InputError> {
            if v.is_finite() && (0.0..=1e12).contains(&v) {
                Ok(())
            } else {
                Err(self
                    .error_at(key, format!("{v} is not a time from 0 to 10^12 s"))
                    .hint("seconds on the state's clock"))
            }
        };
        time("now_s", s.now_s)?;
        for (key, v) in [
            ("cpu_overcommit", s.cpu_overcommit),
            ("memory_overcommit", s.memory_overcommit),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 1e6) {
                return Err(self.error_at(key, format!("{v} is not a ratio > 0")));
            }
        }
        if s.hosts.is_empty() {
            return Err(self
                .error_at("hosts", "at least one host is needed")
                .hint("add a [[hosts]] table with name, cores, core_mips and memory_mb"));
        }
        unique(self, "hosts", s.hosts.iter().map(|h| h.name.as_str()))?;
        unique(self, "vm_types", s.vm_types.iter().map(|t| t.name.as_str()))?;
        unique(self, "vms", s.vms.iter().map(|v| v.name.as_str()))?;
        unique(self, "services", s.services.iter().map(|v| v.name.as_str()))?;
        for (i, h) in s.hosts.iter().enumerate() {
            let at = |k: &str| format!("hosts.{i}.{k}");
            if h.cores == 0 {
                return Err(self.error_at(&at("cores"), "must be at least 1"));
            }
            for (k, v) in [
                ("core_mips", h.core_mips),
                ("memory_mb", h.memory_mb),
                ("nic_mbps", h.nic_mbps),
            ] {
                if !(v.is_finite() && v > 0.0 && v <= 1e15) {
                    return Err(self.error_at(&at(k), format!("{v} is not a positive size")));
                }
            }
            if let Some(p) = &h.power {
                p.validate().map_err(|m| self.error_at(&at("power"), m))?;
            }
            power_state(&h.state).ok_or_else(|| {
                self.error_at(&at("state"), format!("unknown host state `{}`", h.state))
                    .hint("on, off or failed")
            })?;
        }
        for (i, t) in s.vm_types.iter().enumerate() {
            let at = |k: &str| format!("vm_types.{i}.{k}");
            if t.vcpus == 0 {
                return Err(self.error_at(&at("vcpus"), "must be at least 1"));
            }
            for (k, v) in [("mips", t.mips), ("memory_mb", t.memory_mb)] {
                if !(v.is_finite() && v > 0.0 && v <= 1e15) {
                    return Err(self.error_at(&at(k), format!("{v} is not a positive size")));
                }
            }
            if t.vm_group.is_some() || t.role.is_some() {
                return Err(self
                    .error_at(&at("vm_group"), "VM groups are not part of a state file")
                    .hint("remove `vm_group` and `role`"));
            }
        }
        for (i, v) in s.vms.iter().enumerate() {
            self.check_vm(i, v)?;
        }
        for (i, svc) in s.services.iter().enumerate() {
            check_roles(
                i,
                svc,
                "vm_types",
                |t| s.vm_types.iter().any(|x| x.name == t),
                |k, m| self.error_at(k, m),
            )?;
        }
        for (svc, roles) in &s.roles {
            let Some(section) = s.services.iter().find(|x| &x.name == svc) else {
                return Err(self
                    .error_at(&format!("roles.{svc}"), format!("no service `{svc}`"))
                    .hint("name a [[services]] entry"));
            };
            for (role, r) in roles {
                let at = |k: &str| format!("roles.{svc}.{role}.{k}");
                if !section.roles.iter().any(|x| &x.name == role) {
                    return Err(self
                        .error_at(
                            &format!("roles.{svc}.{role}"),
                            format!("`{svc}` has no role `{role}`"),
                        )
                        .hint("name one of the service's roles"));
                }
                role_phase(&r.phase).ok_or_else(|| {
                    self.error_at(&at("phase"), format!("unknown phase `{}`", r.phase))
                        .hint("waiting, deploying, running, scaling or cooldown")
                })?;
                time(&at("phase_since_s"), r.phase_since_s)?;
                time(&at("cooldown_until_s"), r.cooldown_until_s)?;
            }
        }
        for svc in s.kpis.keys() {
            if !s.services.iter().any(|x| &x.name == svc) {
                return Err(self.error_at(&format!("kpis.{svc}"), format!("no service `{svc}`")));
            }
        }
        Ok(())
    }

    fn check_vm(&self, i: usize, v: &VmRecord) -> Result<(), InputError> {
        let s = &self.spec;
        let at = |k: &str| format!("vms.{i}.{k}");
        if !s.vm_types.iter().any(|t| t.name == v.vm_type) {
            return Err(self
                .error_at(&at("type"), format!("no VM type `{}`", v.vm_type))
                .hint("name one of the [[vm_types]]"));
        }
        let state = vm_state(&v.state).ok_or_else(|| {
            self.error_at(&at("state"), format!("unknown VM state `{}`", v.state))
                .hint("pending, deploying, running, migrating, suspended, stopped or failed")
        })?;
        match (&v.host, state.is_placed()) {
            (None, true) => {
                return Err(self
                    .error_at(&at("host"), format!("a {} VM needs its host", v.state))
                    .hint("name the host it is on"))
            }
            (Some(_), false) => {
                return Err(self
                    .error_at(&at("host"), format!("a {} VM is on no host", v.state))
                    .hint("remove `host`, or give the VM a placed state"))
            }
            (Some(h), true) if !s.hosts.iter().any(|x| &x.name == h) => {
                return Err(self.error_at(&at("host"), format!("no host `{h}`")));
            }
            _ => {}
        }
        let fraction = |x: f64| x.is_finite() && (0.0..=1.0).contains(&x);
        if !fraction(v.utilisation) {
            return Err(self
                .error_at(
                    &at("utilisation"),
                    format!("{} is not in [0, 1]", v.utilisation),
                )
                .hint("a fraction of the VM's vCPUs"));
        }
        if let Some(x) = v.history.iter().find(|&&x| !fraction(x)) {
            return Err(self.error_at(&at("history"), format!("{x} is not in [0, 1]")));
        }
        if v.history.len() > 100_000 {
            return Err(self.error_at(&at("history"), "holds more than 100000 samples"));
        }
        if let Some((k, x)) = v.metrics.iter().find(|(_, x)| !x.is_finite()) {
            return Err(self.error_at(&at("metrics"), format!("{k} = {x} is not a number")));
        }
        for (key, t) in [
            ("arrival_s", Some(v.arrival_s)),
            ("running_since_s", v.running_since_s),
        ] {
            if t.is_some_and(|t| !(t.is_finite() && (0.0..=1e12).contains(&t))) {
                return Err(self.error_at(&at(key), "is not a time from 0 to 10^12 s"));
            }
        }
        match (&v.service, &v.role) {
            (None, None) => {}
            (Some(svc), Some(role)) => {
                let known = s
                    .services
                    .iter()
                    .find(|x| &x.name == svc)
                    .is_some_and(|x| x.roles.iter().any(|r| &r.name == role));
                if !known {
                    return Err(self
                        .error_at(
                            &at("role"),
                            format!("no role `{role}` in a service `{svc}`"),
                        )
                        .hint("name a [[services]] entry and one of its roles"));
                }
            }
            _ => {
                return Err(self
                    .error_at(&at("service"), "`service` and `role` go together")
                    .hint("give both, or neither"))
            }
        }
        Ok(())
    }

    /// The moment decided at, ms.
    pub fn now(&self) -> Millis {
        ms(self.spec.now_s)
    }

    /// The cluster as policies see it.
    pub fn view(&self) -> ClusterView {
        let s = &self.spec;
        let host_types = s
            .hosts
            .iter()
            .map(|h| HostType {
                nic_mbps: h.nic_mbps,
                attributes: h
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.clone(), attribute(v)))
                    .collect(),
                ..HostType::new(
                    h.name.clone(),
                    h.cores,
                    h.core_mips,
                    h.memory_mb,
                    h.power.clone().unwrap_or_else(default_power),
                )
            })
            .collect();
        let hosts = s
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| HostView {
                site: if h.site.is_empty() {
                    "local".into()
                } else {
                    h.site.clone()
                },
                cluster: h.cluster.clone(),
                rack: h.rack.clone(),
                zone: h.zone.clone(),
                ..HostView::new(h.name.clone(), i, power_state(&h.state).expect("validated"))
            })
            .collect();
        let mut view = ClusterView {
            now: self.now(),
            overcommit: Overcommit {
                cpu: s.cpu_overcommit,
                memory: s.memory_overcommit,
            },
            hosts,
            ..ClusterView::new(Compat::None, host_types, PolicyConfig::vm_types(self))
        };
        let type_of = |name: &str| s.vm_types.iter().position(|t| t.name == name);
        let host_of = |name: &str| s.hosts.iter().position(|h| h.name == name);
        for v in &s.vms {
            let mut vm = VmView::new(
                v.name.clone(),
                type_of(&v.vm_type).expect("validated"),
                ms(v.arrival_s),
            );
            vm.state = vm_state(&v.state).expect("validated");
            vm.host = v.host.as_deref().and_then(host_of);
            vm.in_migration = vm.state == VmState::Migrating;
            vm.demand = if vm.state == VmState::Running || vm.in_migration {
                v.utilisation
            } else {
                0.0
            };
            vm.history = v.history.iter().copied().collect::<VecDeque<f64>>();
            vm.running_since = v.running_since_s.map(ms);
            vm.metrics = v.metrics.clone();
            view.vms.push(vm);
        }
        view.attach_placed_vms();
        view.services = self.services(&mut view);
        view
    }

    /// The services as policies see them; marks their VMs' slots in `view`.
    fn services(&self, view: &mut ClusterView) -> Vec<crate::model::ServiceView> {
        use crate::model::{RoleView, ServiceState, ServiceView};
        let s = &self.spec;
        let mut out = Vec::new();
        for (si, svc) in s.services.iter().enumerate() {
            let mut roles = Vec::new();
            for (ri, role) in svc.roles.iter().enumerate() {
                let record = s.roles.get(&svc.name).and_then(|r| r.get(&role.name));
                let vms: Vec<usize> = (0..view.vms.len())
                    .filter(|&v| {
                        let r = &s.vms[v];
                        r.service.as_deref() == Some(&svc.name)
                            && r.role.as_deref() == Some(&role.name)
                            && !matches!(view.vms[v].state, VmState::Stopped | VmState::Failed)
                    })
                    .collect();
                for &v in &vms {
                    view.vms[v].service = Some(ServiceSlot {
                        service: si,
                        role: ri,
                    });
                }
                roles.push(RoleView {
                    name: role.name.clone(),
                    vm_type: s
                        .vm_types
                        .iter()
                        .position(|t| t.name == role.vm_type)
                        .expect("validated"),
                    cardinality: role.cardinality,
                    min_vms: role.min(),
                    max_vms: role.max(),
                    depends_on: role
                        .depends_on
                        .iter()
                        .filter_map(|d| svc.roles.iter().position(|x| &x.name == d))
                        .collect(),
                    vms,
                    phase: record.map_or(RolePhase::Running, |r| {
                        role_phase(&r.phase).expect("validated")
                    }),
                    phase_since: record.map_or(0, |r| ms(r.phase_since_s)),
                    cooldown_until: record.map_or(0, |r| ms(r.cooldown_until_s)),
                });
            }
            let state = ServiceState::of_phases(roles.iter().map(|r| r.phase));
            out.push(ServiceView {
                name: svc.name.clone(),
                tenant: DEFAULT_TENANT.into(),
                user: svc.user.clone(),
                vdc: None,
                state,
                submitted: 0,
                roles,
                kpis: s.kpis.get(&svc.name).cloned().unwrap_or_default(),
                rejection: None,
            });
        }
        out
    }
}

impl PolicyConfig for State {
    fn policies(&self) -> &PoliciesSection {
        &self.spec.policies
    }

    fn vm_types(&self) -> Vec<VmType> {
        // Validated without VM groups.
        self.spec.vm_types.iter().map(|t| t.vm_type(None)).collect()
    }

    fn has_thermal(&self) -> bool {
        false
    }

    fn error_at(&self, key: &str, message: String) -> InputError {
        State::error_at(self, key, message)
    }

    fn file(&self) -> &Path {
        self.source.path()
    }

    fn standalone_services(&self) -> Option<StandaloneServices<'_>> {
        (!self.spec.services.is_empty()).then_some(StandaloneServices {
            sections: &self.spec.services,
            epoch_unix_s: self.spec.epoch_unix_s,
        })
    }
}

/// Seconds as milliseconds (validated finite and in range).
fn ms(s: f64) -> Millis {
    (s * SECOND as f64).round() as Millis
}

fn power_state(s: &str) -> Option<PowerState> {
    Some(match s {
        "on" => PowerState::On,
        "off" => PowerState::Off,
        "failed" => PowerState::Failed,
        _ => return None,
    })
}

fn vm_state(s: &str) -> Option<VmState> {
    Some(match s {
        "pending" => VmState::Pending,
        "deploying" => VmState::Deploying,
        "running" => VmState::Running,
        "migrating" => VmState::Migrating,
        "suspended" => VmState::Suspended,
        "stopped" => VmState::Stopped,
        "failed" => VmState::Failed,
        _ => return None,
    })
}

fn role_phase(s: &str) -> Option<RolePhase> {
    Some(match s {
        "waiting" => RolePhase::Waiting,
        "deploying" => RolePhase::Deploying,
        "running" => RolePhase::Running,
        "scaling" => RolePhase::Scaling,
        "cooldown" => RolePhase::Cooldown,
        _ => return None,
    })
}

/// The power model of a host that names none (as live mode's).
fn default_power() -> PowerModel {
    PowerModel::Linear {
        idle_w: 100.0,
        max_w: 250.0,
    }
}

/// A TOML attribute value as a host attribute (strings as they are, others as written).
fn attribute(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Names in `section` are unique.
fn unique<'a>(
    state: &State,
    section: &str,
    names: impl Iterator<Item = &'a str>,
) -> Result<(), InputError> {
    let mut seen = BTreeSet::new();
    for (i, n) in names.enumerate() {
        if n.is_empty() || !seen.insert(n) {
            return Err(state
                .error_at(
                    &format!("{section}.{i}.name"),
                    format!("`{n}` is empty or named twice"),
                )
                .hint("give each its own name"));
        }
    }
    Ok(())
}

/// A JSON state file as TOML text, so that one loader reads both (a `null` is an absent key).
fn json_as_toml(path: &Path, text: &str) -> Result<String, InputError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        InputError::file(path, format!("not JSON: {e}"))
            .at(e.line(), Some(e.column()))
            .hint(HINT)
    })?;
    let value = toml::Value::try_from(without_nulls(value))
        .map_err(|e| InputError::file(path, format!("not a state: {e}")).hint(HINT))?;
    if !value.is_table() {
        return Err(InputError::file(path, "a state file is a JSON object").hint(HINT));
    }
    toml::to_string(&value).map_err(|e| InputError::file(path, e.to_string()))
}

fn without_nulls(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k, without_nulls(x)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// A JSON file's error keeps its key but not the line of the TOML it was read through.
fn unlined(mut e: InputError, json: bool) -> InputError {
    if json {
        e.line = None;
        e.column = None;
    }
    e
}
