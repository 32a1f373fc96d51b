//! The live config file: hosts and their libvirt URIs, VM templates, the VMs to run, the
//! policies (a scenario's `[policies]` keys), limits, the journal and the power command.
//! docs/live.md documents every key.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use orrery_engine::config::Source;
use orrery_engine::error::{require_positive, InputError};
use orrery_engine::model::{PowerModel, VmConstraints, VmType};
use orrery_engine::policy::{PolicyConfig, StandaloneServices};
use orrery_engine::scenario::{check_roles, PoliciesSection, ServiceSection};
use serde::Deserialize;

use crate::burst::config::BurstSection;
use crate::redact::{Redactor, UriParts};

const HINT: &str = "see docs/live.md for every key of a live config, its type and its range";

/// The most tries of a transient error.
const MAX_ATTEMPTS: u32 = 100;
/// The longest backoff between tries, ms (an hour).
const MAX_BACKOFF_MS: u64 = 3_600_000;
/// The most utilisation samples kept per VM.
const MAX_HISTORY: usize = 100_000;

/// The file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveFile {
    /// Name used in messages (default: the file's stem).
    pub name: Option<String>,
    /// Seed of the policies' random streams.
    #[serde(default)]
    pub seed: u64,
    /// The write-ahead journal (relative to the config file's directory).
    pub journal: PathBuf,
    /// Seconds between control-loop rounds (`--interval` overrides it).
    #[serde(default = "sixty")]
    pub interval_s: f64,
    /// Utilisation samples kept per VM (newest first) for the policies' history.
    #[serde(default = "thirty")]
    pub history_len: usize,
    /// Seconds a guest gets to shut down before it is destroyed.
    #[serde(default = "sixty")]
    pub shutdown_timeout_s: f64,
    /// `"live"` (live migration, falling back to a cold move where the driver cannot) or
    /// `"cold"` (always a cold move).
    #[serde(default)]
    pub migration: MigrationMode,
    /// Most bandwidth a live migration may use, MiB/s (`None`: as fast as the network goes).
    pub migration_bandwidth_mibps: Option<u64>,
    /// Seconds a host powered on gets to answer before the action that needed it fails.
    #[serde(default = "three_hundred")]
    pub power_on_timeout_s: f64,
    /// Seconds a VM stays on a host after it arrived (deployed or moved) before a policy may
    /// move it again; a VM is never moved in the round it was deployed.
    #[serde(default)]
    pub min_residence_s: f64,
    /// Host power command: program and arguments, `{action}` (`on`/`off`) and `{host}` replaced.
    #[serde(default)]
    pub power_command: Vec<String>,
    /// CPU overcommit ratio for reservations.
    #[serde(default = "one")]
    pub cpu_overcommit: f64,
    /// Memory overcommit ratio for reservations.
    #[serde(default = "one")]
    pub memory_overcommit: f64,
    /// Most actions per interval.
    #[serde(default)]
    pub limits: LimitsSection,
    /// Retries of transient errors.
    #[serde(default)]
    pub retry: RetrySection,
    /// How long libvirt calls may take.
    #[serde(default)]
    pub timeouts: TimeoutsSection,
    /// The hosts, in id order.
    pub hosts: Vec<HostSection>,
    /// VM templates (the VM types policies see).
    pub templates: Vec<TemplateSection>,
    /// The VMs orrery should keep running (placed by the placement policy when absent).
    #[serde(default)]
    pub vms: Vec<VmSection>,
    /// The policies, with a scenario's `[policies]` keys.
    pub policies: PoliciesSection,
    /// Services whose roles orrery deploys and scales (a scenario's `[[services]]` keys that
    /// apply to real guests: roles, cardinalities, dependencies and elasticity rules).
    #[serde(default)]
    pub services: Vec<ServiceSection>,
    /// The public cloud VMs burst to when no home host has room (see [`crate::burst`]).
    pub burst: Option<BurstSection>,
}

/// How VMs move between hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationMode {
    /// Live migration; a cold move where the driver does not support it.
    #[default]
    Live,
    /// Always a cold move: shut down, define on the target, start, undefine on the source.
    Cold,
}

/// Most actions per interval (0: no limit).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Actions that touch a host, per interval.
    pub max_actions: usize,
    /// Migrations per interval.
    pub max_migrations: usize,
}

/// Retries of transient errors, with exponential backoff.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrySection {
    /// Tries in all (1: no retry).
    pub attempts: u32,
    /// First backoff, ms (doubled after each try).
    pub backoff_ms: u64,
    /// Longest backoff, ms.
    pub max_backoff_ms: u64,
}

impl Default for RetrySection {
    fn default() -> Self {
        RetrySection {
            attempts: 4,
            backoff_ms: 200,
            max_backoff_ms: 5_000,
        }
    }
}

/// How long libvirt calls may take before the host counts as unreachable (a migration is
/// cancelled), seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeoutsSection {
    /// Opening a connection to a host.
    pub connect_s: f64,
    /// Any other call: listing, lookup, define, start, shutdown request, ….
    pub call_s: f64,
    /// One live migration, start to finish.
    pub migrate_s: f64,
}

impl Default for TimeoutsSection {
    fn default() -> Self {
        TimeoutsSection {
            connect_s: 10.0,
            call_s: 30.0,
            migrate_s: 600.0,
        }
    }
}

/// One host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostSection {
    /// Host name (letters, digits, `.`, `_`, `-`).
    pub name: String,
    /// libvirt URI; `{config_dir}` is replaced by the config file's directory.
    pub uri: String,
    /// MIPS of one core (default: the node's MHz).
    pub core_mips: Option<f64>,
    /// NIC bandwidth, Mbit/s.
    #[serde(default = "gigabit")]
    pub nic_mbps: f64,
    /// Power model (default: linear, 100 W idle to 250 W).
    pub power: Option<PowerModel>,
    /// Attributes for requirement expressions.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Site.
    #[serde(default)]
    pub site: String,
    /// Cluster.
    #[serde(default)]
    pub cluster: String,
    /// Rack.
    #[serde(default)]
    pub rack: String,
    /// Availability zone.
    #[serde(default)]
    pub zone: String,
}

/// A VM template: a VM type and how to define its domains.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSection {
    /// Template name.
    pub name: String,
    /// vCPUs.
    #[serde(default = "one_u32")]
    pub vcpus: u32,
    /// Most vCPUs a resize may give (default: `vcpus`).
    pub max_vcpus: Option<u32>,
    /// MIPS of one vCPU.
    pub mips: f64,
    /// Memory, MB.
    pub memory_mb: f64,
    /// Most memory a resize may give, MB (default: `memory_mb`).
    pub max_memory_mb: Option<f64>,
    /// Requirements over host attributes (OpenNebula syntax).
    pub requirements: Option<String>,
    /// libvirt domain type (`kvm`, `qemu`, `test`).
    #[serde(default = "kvm")]
    pub domain_type: String,
    /// A kernel to boot directly (relative paths resolve against the config file's directory).
    pub kernel: Option<PathBuf>,
    /// An initial RAM disk for the kernel.
    pub initrd: Option<PathBuf>,
    /// The kernel's command line.
    pub cmdline: Option<String>,
    /// XML inside `<devices>` (disks, interfaces), as is.
    #[serde(default)]
    pub devices: String,
}

/// A VM orrery keeps running.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmSection {
    /// Domain name (letters, digits, `.`, `_`, `-`).
    pub name: String,
    /// Template name.
    pub template: String,
}

fn sixty() -> f64 {
    60.0
}
fn three_hundred() -> f64 {
    300.0
}
fn thirty() -> usize {
    30
}
fn one() -> f64 {
    1.0
}
fn one_u32() -> u32 {
    1
}
fn gigabit() -> f64 {
    1000.0
}
fn kvm() -> String {
    "kvm".into()
}

/// The default power model of a host without one: linear, 100 W idle, 250 W at full load.
pub fn default_power() -> PowerModel {
    PowerModel::Linear {
        idle_w: 100.0,
        max_w: 250.0,
    }
}

/// A loaded, validated live config.
#[derive(Debug, Clone)]
pub struct LiveConfig {
    /// Name used in messages.
    pub name: String,
    /// The parsed contents.
    pub spec: LiveFile,
    /// The file as read: locates later errors and resolves relative paths.
    pub source: Source,
    /// When it was loaded, Unix seconds: time 0 of the views its cloud OS decides on, against
    /// which the services' scheduled rules are read.
    pub loaded_unix_s: i64,
}

impl LiveConfig {
    /// Loads and validates `path` with `--set KEY=VALUE` overrides.
    pub fn load(path: &Path, sets: &[String]) -> Result<LiveConfig, InputError> {
        let source = Source::read(
            path,
            "live config",
            "check the path; scenarios/live/test-driver.toml is an example",
        )?;
        Self::from_source(source.with_sets(sets))
    }

    /// Parses `text` as if read from `file`, with paths relative to `dir`.
    pub fn parse(text: &str, file: &Path, dir: &Path) -> Result<LiveConfig, InputError> {
        Self::from_source(Source::from_text(text, file, dir))
    }

    fn from_source(mut source: Source) -> Result<LiveConfig, InputError> {
        // A message about the file may quote a value: never a credential.
        let redactor = Redactor::new(&uris_in(source.text()));
        let hide = |mut e: InputError| {
            e.message = redactor.redact(&e.message);
            e
        };
        let spec: LiveFile = source.parse(&[], HINT).map_err(hide)?;
        let name = spec.name.clone().unwrap_or_else(|| source.stem());
        let loaded_unix_s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let config = LiveConfig {
            name,
            spec,
            source,
            loaded_unix_s,
        };
        config.validate().map_err(hide)?;
        Ok(config)
    }

    /// An error about `key`, located in the file.
    pub fn error_at(&self, key: &str, message: impl Into<String>) -> InputError {
        self.source.error_at(key, message)
    }

    /// The config file's directory, absolute (the working directory for a bare file name).
    fn dir(&self) -> PathBuf {
        let dir = match self.source.base_dir() {
            d if d.as_os_str().is_empty() => Path::new("."),
            d => d,
        };
        std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf())
    }

    /// Host URIs with `{config_dir}` replaced by the config's absolute directory.
    pub fn uris(&self) -> Vec<String> {
        let dir = self.dir();
        let dir = dir.to_string_lossy();
        let dir = dir.trim_end_matches('/');
        self.spec
            .hosts
            .iter()
            .map(|h| h.uri.replace("{config_dir}", dir))
            .collect()
    }

    /// The journal's path (relative paths resolve against the config file's directory).
    pub fn journal_path(&self) -> PathBuf {
        self.source.resolve(&self.spec.journal)
    }

    /// Host names, in index order.
    pub fn host_names(&self) -> Vec<String> {
        self.spec.hosts.iter().map(|h| h.name.clone()).collect()
    }

    /// Template `t`'s `kernel` or `initrd` path, a relative one resolved against the config
    /// file's directory.
    pub fn template_path(&self, t: &TemplateSection, key: &str) -> Option<String> {
        let p = match key {
            "kernel" => t.kernel.as_ref(),
            "initrd" => t.initrd.as_ref(),
            _ => None,
        }?;
        Some(
            self.source
                .resolve(Path::new(p))
                .to_string_lossy()
                .into_owned(),
        )
    }

    /// Index of the template called `name`.
    pub fn template_index(&self, name: &str) -> Option<usize> {
        self.spec.templates.iter().position(|t| t.name == name)
    }

    fn validate(&self) -> Result<(), InputError> {
        let s = &self.spec;
        let positive = |key: &str, v: f64| require_positive(v).map_err(|m| self.error_at(key, m));
        positive("interval_s", s.interval_s)?;
        if let Some(b) = &s.burst {
            let templates: Vec<&str> = s.templates.iter().map(|t| t.name.as_str()).collect();
            b.validate(&templates, |key, m| self.error_at(key, m))?;
        }
        positive("shutdown_timeout_s", s.shutdown_timeout_s)?;
        positive("power_on_timeout_s", s.power_on_timeout_s)?;
        if !(s.min_residence_s.is_finite() && (0.0..=1e9).contains(&s.min_residence_s)) {
            return Err(self
                .error_at(
                    "min_residence_s",
                    format!("must be from 0 to 10^9 seconds, got {}", s.min_residence_s),
                )
                .hint("0 keeps only the rule that a VM is not moved in its deploy's round"));
        }
        if s.migration_bandwidth_mibps == Some(0) {
            return Err(self
                .error_at("migration_bandwidth_mibps", "must be at least 1 MiB/s")
                .hint("leave it out for no limit"));
        }
        positive("cpu_overcommit", s.cpu_overcommit)?;
        positive("memory_overcommit", s.memory_overcommit)?;
        positive("timeouts.connect_s", s.timeouts.connect_s)?;
        positive("timeouts.call_s", s.timeouts.call_s)?;
        positive("timeouts.migrate_s", s.timeouts.migrate_s)?;
        if s.history_len == 0 {
            return Err(self.error_at("history_len", "must be at least 1"));
        }
        if !(1..=MAX_ATTEMPTS).contains(&s.retry.attempts) {
            return Err(self
                .error_at(
                    "retry.attempts",
                    format!("must be from 1 to {MAX_ATTEMPTS}"),
                )
                .hint("1 means no retry"));
        }
        for (key, ms) in [
            ("retry.backoff_ms", s.retry.backoff_ms),
            ("retry.max_backoff_ms", s.retry.max_backoff_ms),
        ] {
            if ms > MAX_BACKOFF_MS {
                return Err(self
                    .error_at(
                        key,
                        format!("must be at most {MAX_BACKOFF_MS} ms (an hour)"),
                    )
                    .hint("a host that stays down that long is marked unreachable instead"));
            }
        }
        if s.history_len > MAX_HISTORY {
            return Err(self.error_at("history_len", format!("must be at most {MAX_HISTORY}")));
        }
        if s.hosts.is_empty() {
            return Err(self
                .error_at("hosts", "at least one host is needed")
                .hint("add a [[hosts]] table with name and uri"));
        }
        if s.templates.is_empty() {
            return Err(self
                .error_at("templates", "at least one VM template is needed")
                .hint("add a [[templates]] table with name, mips and memory_mb"));
        }
        self.unique_names("hosts", s.hosts.iter().map(|h| h.name.as_str()))?;
        self.unique_names("templates", s.templates.iter().map(|t| t.name.as_str()))?;
        self.unique_names("vms", s.vms.iter().map(|v| v.name.as_str()))?;
        for (i, h) in s.hosts.iter().enumerate() {
            self.check_uri(i, &h.uri)?;
            if let Some(m) = h.core_mips {
                positive(&format!("hosts.{i}.core_mips"), m)?;
            }
            positive(&format!("hosts.{i}.nic_mbps"), h.nic_mbps)?;
            if let Some(p) = &h.power {
                p.validate()
                    .map_err(|m| self.error_at(&format!("hosts.{i}.power"), m))?;
            }
        }
        for (i, t) in s.templates.iter().enumerate() {
            let k = |f: &str| format!("templates.{i}.{f}");
            if t.vcpus == 0 {
                return Err(self.error_at(&k("vcpus"), "must be at least 1"));
            }
            positive(&k("mips"), t.mips)?;
            positive(&k("memory_mb"), t.memory_mb)?;
            if t.max_vcpus.is_some_and(|m| m < t.vcpus) {
                return Err(self.error_at(&k("max_vcpus"), "must be at least vcpus"));
            }
            if t.max_memory_mb
                .is_some_and(|m| m.is_nan() || m < t.memory_mb)
            {
                return Err(self.error_at(&k("max_memory_mb"), "must be at least memory_mb"));
            }
            if !is_xml_name(&t.domain_type) {
                return Err(self
                    .error_at(&k("domain_type"), "must be a libvirt domain type")
                    .hint("e.g. kvm, qemu or test"));
            }
        }
        for (i, v) in s.vms.iter().enumerate() {
            if self.template_index(&v.template).is_none() {
                let known: Vec<&str> = s.templates.iter().map(|t| t.name.as_str()).collect();
                return Err(self
                    .error_at(
                        &format!("vms.{i}.template"),
                        format!("unknown template `{}`", v.template),
                    )
                    .hint(format!("templates: {}", known.join(", "))));
            }
        }
        self.validate_services()
    }

    /// Services: unique, safe names; the roles checked as a scenario's are (templates as
    /// their VM types); no key that only the simulator models; role VM names that no other
    /// role or listed VM can take.
    fn validate_services(&self) -> Result<(), InputError> {
        let s = &self.spec;
        self.unique_names("services", s.services.iter().map(|v| v.name.as_str()))?;
        let mut prefixes = BTreeMap::new();
        for (i, svc) in s.services.iter().enumerate() {
            let at = |k: &str| format!("services.{i}.{k}");
            let simulated = [
                ("tenant", svc.tenant.is_some()),
                ("vdc", svc.vdc.is_some()),
                ("submit_s", svc.submit_s != 0.0),
                ("runtime_lease_s", svc.runtime_lease_s.is_some()),
                ("lifetime_s", svc.lifetime_s.is_some()),
                ("anti_affinity", svc.anti_affinity),
                ("requests", svc.requests.is_some()),
                ("max_backlog", svc.max_backlog.is_some()),
                ("monitoring", svc.monitoring != Default::default()),
            ];
            if let Some((key, _)) = simulated.iter().find(|(_, set)| *set) {
                return Err(self
                    .error_at(&at(key), format!("`{key}` is simulation only"))
                    .hint(SIMULATION_ONLY));
            }
            self.unique_names(
                &format!("services.{i}.roles"),
                svc.roles.iter().map(|r| r.name.as_str()),
            )?;
            check_roles(
                i,
                svc,
                "templates",
                |t| self.template_index(t).is_some(),
                |k, m| self.error_at(k, m),
            )?;
            for (r, role) in svc.roles.iter().enumerate() {
                let at = |k: &str| format!("services.{i}.roles.{r}.{k}");
                if role.request_mi != 0.0 || role.vertical.is_some() {
                    let key = if role.vertical.is_some() {
                        "vertical"
                    } else {
                        "request_mi"
                    };
                    return Err(self
                        .error_at(&at(key), format!("`{key}` is simulation only"))
                        .hint(SIMULATION_ONLY));
                }
                let prefix = role_prefix(&svc.name, &role.name);
                if let Some(other) = prefixes.insert(prefix.clone(), (i, r)) {
                    return Err(self
                        .error_at(
                            &at("name"),
                            format!(
                                "its VMs would be named `{prefix}N`, as those of services.{}.roles.{}",
                                other.0, other.1
                            ),
                        )
                        .hint("rename the service or the role"));
                }
            }
        }
        for (i, v) in s.vms.iter().enumerate() {
            if let Some(role) = self.role_of(&v.name) {
                return Err(self
                    .error_at(
                        &format!("vms.{i}.name"),
                        format!(
                            "`{}` is the name of a VM of role `{}` of service `{}`",
                            v.name, role.role_name, role.service_name
                        ),
                    )
                    .hint("rename the VM: role VMs are named SERVICE-ROLE-N"));
            }
        }
        Ok(())
    }

    /// The service role VM `name` belongs to (named `SERVICE-ROLE-N`, N ≥ 1), if any.
    pub fn role_of(&self, name: &str) -> Option<RoleMember<'_>> {
        self.spec.services.iter().enumerate().find_map(|(s, svc)| {
            svc.roles.iter().enumerate().find_map(|(r, role)| {
                // `role_prefix` without building it: this runs for every VM every round.
                let rest = name
                    .strip_prefix(svc.name.as_str())?
                    .strip_prefix('-')?
                    .strip_prefix(role.name.as_str())?
                    .strip_prefix('-')?;
                let index: u32 = rest.parse().ok().filter(|&n| n >= 1)?;
                (index.to_string() == rest).then_some(RoleMember {
                    service: s,
                    role: r,
                    index,
                    service_name: &svc.name,
                    role_name: &role.name,
                })
            })
        })
    }

    /// Host `i`'s libvirt URI: present, a URI (`driver[+transport]://[host]/path`), and for the
    /// local test driver, a node file that exists.
    fn check_uri(&self, i: usize, uri: &str) -> Result<(), InputError> {
        let key = format!("hosts.{i}.uri");
        let hint = "write a libvirt URI such as qemu+ssh://root@host1/system, qemu:///system \
                    or test://{config_dir}/node.xml";
        if uri.trim().is_empty() {
            return Err(self
                .error_at(
                    &key,
                    "is empty (libvirt would connect to its default hypervisor)",
                )
                .hint(hint));
        }
        let dir = self.dir();
        let resolved = uri.replace("{config_dir}", dir.to_string_lossy().trim_end_matches('/'));
        let shown = UriParts::parse(uri).map_or_else(|| "the value".into(), |p| p.redacted());
        let parsed = url::Url::parse(&resolved).map_err(|e| {
            self.error_at(&key, format!("`{shown}` is not a URI: {e}"))
                .hint(format!(
                    "{hint}; percent-encode any `/`, `?`, `#`, `@`, `:` or space in a user name \
                     or password (`/` is %2F)"
                ))
        })?;
        let driver = parsed.scheme().split('+').next().unwrap_or_default();
        if !driver.chars().all(|c| c.is_ascii_alphanumeric()) || driver.is_empty() {
            return Err(self
                .error_at(&key, format!("`{driver}` is not a libvirt driver name"))
                .hint(hint));
        }
        let local = parsed.host_str().is_none_or(str::is_empty);
        if driver == "test" && local && parsed.path() != "/default" {
            let node = std::path::Path::new(parsed.path());
            if !node.is_file() {
                return Err(self
                    .error_at(&key, format!("the test driver's node file {} does not exist", node.display()))
                    .hint("test:///default needs no file; test://{config_dir}/node.xml names one beside the config"));
            }
        }
        Ok(())
    }

    /// Names in `section` are unique and safe in XML, URIs and shell arguments.
    fn unique_names<'a>(
        &self,
        section: &str,
        names: impl Iterator<Item = &'a str>,
    ) -> Result<(), InputError> {
        let mut seen = BTreeSet::new();
        for (i, n) in names.enumerate() {
            let key = format!("{section}.{i}.name");
            if !is_xml_name(n) {
                return Err(self
                    .error_at(&key, format!("`{n}` is not a valid name"))
                    .hint("use letters, digits, `.`, `_` and `-`"));
            }
            if !seen.insert(n) {
                return Err(self.error_at(&key, format!("`{n}` is named twice")));
            }
        }
        Ok(())
    }
}

const SIMULATION_ONLY: &str = "live services take their load from the guests' real CPU use, have \
     no organisations and run until the config drops them: remove the key (docs/live.md, \
     \"Services\")";

/// What VMs of role `role` of service `service` are named before their number.
pub fn role_prefix(service: &str, role: &str) -> String {
    format!("{service}-{role}-")
}

/// A VM of a service role: which, and its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleMember<'a> {
    /// Index of the service in the config.
    pub service: usize,
    /// Index of the role in the service.
    pub role: usize,
    /// Its number N in `SERVICE-ROLE-N` (the newest has the greatest).
    pub index: u32,
    /// The service's name.
    pub service_name: &'a str,
    /// The role's name.
    pub role_name: &'a str,
}

/// The `uri = "…"` values in a live config's text (read before it parses, so that a message
/// about a malformed file hides their credentials too).
fn uris_in(text: &str) -> Vec<String> {
    let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
        return Vec::new();
    };
    let Some(hosts) = doc.get("hosts").and_then(|h| h.as_array_of_tables()) else {
        return Vec::new();
    };
    hosts
        .iter()
        .filter_map(|h| h.get("uri")?.as_str().map(str::to_string))
        .collect()
}

/// Letters, digits, `.`, `_` and `-`, not empty.
fn is_xml_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl PolicyConfig for LiveConfig {
    fn policies(&self) -> &PoliciesSection {
        &self.spec.policies
    }

    fn vm_types(&self) -> Vec<VmType> {
        self.spec
            .templates
            .iter()
            .map(|t| VmType {
                max_vcpus: t.max_vcpus.unwrap_or(t.vcpus),
                max_memory_mb: t.max_memory_mb.unwrap_or(t.memory_mb),
                constraints: VmConstraints {
                    requirements: t.requirements.clone(),
                    ..VmConstraints::default()
                },
                ..VmType::new(t.name.clone(), t.vcpus, t.mips, t.memory_mb)
            })
            .collect()
    }

    fn has_thermal(&self) -> bool {
        false
    }

    fn error_at(&self, key: &str, message: String) -> InputError {
        LiveConfig::error_at(self, key, message)
    }

    fn file(&self) -> &Path {
        self.source.path()
    }

    fn standalone_services(&self) -> Option<StandaloneServices<'_>> {
        (!self.spec.services.is_empty()).then_some(StandaloneServices {
            sections: &self.spec.services,
            epoch_unix_s: self.loaded_unix_s,
        })
    }
}
