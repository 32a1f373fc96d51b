//! The scenario file format (TOML), as serde structs. Unknown keys are errors everywhere.

mod failures;
mod limits;
mod services;

pub use failures::FailuresSection;
pub use limits::LimitsSection;
pub use services::{
    AllocationKind, Autoscaler, MemberRole, OrganisationSection, QuotaSection, ServiceRoleSection,
    ServiceSection, VdcSection,
};

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::model::PowerModel;
use crate::view::Compat;
use crate::workload::{ArrivalSpec, LifetimeSpec, PatternSpec};

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Name used in outputs (defaults to the file stem).
    pub name: Option<String>,
    /// One-line description.
    #[serde(default)]
    pub description: String,
    /// Seed of every random stream.
    #[serde(default)]
    pub seed: u64,
    /// Simulated time, in seconds.
    pub duration_s: f64,
    /// The calendar time of simulated t = 0, for scheduled elasticity rules: Unix seconds or a
    /// `"YYYY-MM-DD HH:MM:SS"` UTC string (kept as written; the policies crate parses it).
    /// 1970-01-01 00:00:00 UTC when absent.
    pub epoch: Option<serde_json::Value>,
    /// Semantics to follow: `"none"` (corrected, the default) or `"cloudsim-3.0.3"`.
    #[serde(default)]
    pub compat: Compat,
    /// Overrides of single CloudSim behaviours (each defaults to what `compat` says).
    #[serde(default)]
    pub quirks: QuirksSection,
    /// Datacenter-wide settings.
    #[serde(default)]
    pub datacenter: DatacenterSection,
    /// Live-migration model.
    #[serde(default)]
    pub migration: MigrationSection,
    /// Host groups.
    pub hosts: Vec<HostGroup>,
    /// VM types (a scenario whose VMs all come from a `workload.trace` may have none).
    #[serde(default)]
    pub vm_types: Vec<VmTypeSection>,
    /// VM groups: roles and affinity rules (OpenNebula VM groups).
    #[serde(default)]
    pub vm_groups: Vec<VmGroupSection>,
    /// The host thermal model (off when absent).
    pub thermal: Option<ThermalSection>,
    /// Where VM requests come from.
    pub workload: WorkloadSection,
    /// The cloud OS's policies.
    pub policies: PoliciesSection,
    /// What to write.
    #[serde(default)]
    pub output: OutputSection,
    /// Failure detection and VM restarts.
    #[serde(default)]
    pub failures: FailuresSection,
    /// The most a run may hold and do (checked before anything is built).
    #[serde(default)]
    pub limits: LimitsSection,
    /// Multi-tier services (vApps) with their request workload and elasticity rules.
    #[serde(default)]
    pub services: Vec<ServiceSection>,
    /// Organisations (tenants) with quotas and virtual datacenters.
    #[serde(default)]
    pub organisations: Vec<OrganisationSection>,
    /// Grid carbon intensity: with it, runs report their emissions.
    pub carbon: Option<CarbonSection>,
    /// The parameter grid of `orrery sweep`, read from the text by
    /// [`Grid`](crate::scenario::sweep::Grid); a single run ignores it.
    pub sweep: Option<serde::de::IgnoredAny>,
}

/// The grid's carbon intensity over the run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarbonSection {
    /// A carbon-intensity series, gCO2/kWh over wall-clock time (Parquet as OpenDC ships them,
    /// or CSV `timestamp,carbon_intensity`); relative to the scenario file.
    pub intensity: PathBuf,
    /// The wall-clock time of the run's t = 0 (`YYYY-MM-DDTHH:MM:SSZ` or Unix seconds); by
    /// default the workload trace's start where it records one, else the series' first sample.
    pub start: Option<String>,
}

/// Overrides of single CloudSim behaviours; see [`crate::view::Quirks`] for each.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct QuirksSection {
    pub update_grid: Option<bool>,
    pub remove_idle_vms: Option<bool>,
    pub energy_window: Option<bool>,
    pub free_wakeup: Option<bool>,
    pub incoming_full_demand: Option<bool>,
    pub ols_regression: Option<bool>,
    pub underload_keeps_destinations: Option<bool>,
    pub memory_at_creation_only: Option<bool>,
    pub floor_allocations: Option<bool>,
    pub allocation_order: Option<bool>,
}

impl QuirksSection {
    /// The switches of `compat` with these overrides applied.
    pub fn apply(&self, compat: Compat) -> crate::view::Quirks {
        let mut q = crate::view::Quirks::of(compat);
        let set = |field: &mut bool, v: Option<bool>| {
            if let Some(v) = v {
                *field = v;
            }
        };
        set(&mut q.update_grid, self.update_grid);
        set(&mut q.remove_idle_vms, self.remove_idle_vms);
        set(&mut q.energy_window, self.energy_window);
        set(&mut q.free_wakeup, self.free_wakeup);
        set(&mut q.incoming_full_demand, self.incoming_full_demand);
        set(&mut q.ols_regression, self.ols_regression);
        set(
            &mut q.underload_keeps_destinations,
            self.underload_keeps_destinations,
        );
        set(&mut q.memory_at_creation_only, self.memory_at_creation_only);
        set(&mut q.floor_allocations, self.floor_allocations);
        set(&mut q.allocation_order, self.allocation_order);
        q
    }
}

/// Datacenter-wide settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatacenterSection {
    /// CPU overcommit ratio for reservation-based placement.
    pub cpu_overcommit: f64,
    /// Memory overcommit ratio.
    pub memory_overcommit: f64,
    /// Monitoring interval: demand is sampled and metrics recorded this often, in seconds.
    pub update_interval_s: f64,
    /// Samples of utilisation history kept per VM.
    pub history_len: usize,
    /// Order of hosts: `"grouped"` (group after group) or `"interleaved"` (one of each group in
    /// turn, as CloudSim's examples lay out G4 and G5 servers).
    pub host_order: HostOrder,
    /// Energy accounting: `"power-aware"` (power follows utilisation) or `"non-power-aware"`
    /// (every host draws full power all the time; CloudSim's NPA baseline).
    pub energy: EnergyAccounting,
}

impl Default for DatacenterSection {
    fn default() -> Self {
        DatacenterSection {
            cpu_overcommit: 1.0,
            memory_overcommit: 1.0,
            update_interval_s: 300.0,
            history_len: 30,
            host_order: HostOrder::Grouped,
            energy: EnergyAccounting::PowerAware,
        }
    }
}

/// How host groups are laid out into host ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostOrder {
    /// All hosts of the first group, then the second, …
    Grouped,
    /// One host from each group in turn while it has hosts left.
    Interleaved,
}

/// How host energy is accounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EnergyAccounting {
    /// Power follows utilisation.
    PowerAware,
    /// Every host draws its full-load power for the whole run.
    NonPowerAware,
}

/// Which live-migration model the simulator uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationKind {
    /// Memory / (NIC · bandwidth fraction): CloudSim's model, one fixed duration per migration.
    #[default]
    Simple,
    /// Iterative pre-copy rounds, stop-and-copy downtime, bandwidth shared on each host's link.
    PreCopy,
}

/// Live-migration model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MigrationSection {
    /// `"simple"` (default) or `"pre-copy"`.
    pub model: MigrationKind,
    /// Pre-copy: stop-and-copy once the data left to send is at most this, in MB.
    pub stop_threshold_mb: f64,
    /// Pre-copy: most pre-copy rounds before stop-and-copy.
    pub max_rounds: u32,
    /// Pre-copy: time to resume the VM on the destination after stop-and-copy, in seconds.
    pub resume_overhead_s: f64,
    /// Fraction of the destination NIC a migration uses.
    pub bandwidth_fraction: f64,
    /// CPU fraction a migrating VM loses on its source.
    pub source_degradation: f64,
    /// Fraction of the VM's demand the destination carries while it migrates.
    pub destination_fraction: f64,
}

impl Default for MigrationSection {
    fn default() -> Self {
        let m = crate::model::MigrationModel::default();
        MigrationSection {
            model: MigrationKind::Simple,
            stop_threshold_mb: 32.0,
            max_rounds: 30,
            resume_overhead_s: 0.0,
            bandwidth_fraction: m.bandwidth_fraction,
            source_degradation: m.source_degradation,
            destination_fraction: m.destination_fraction,
        }
    }
}

/// A group of identical hosts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostGroup {
    /// Type name (host names are `<type>-<n>`).
    #[serde(rename = "type")]
    pub type_name: String,
    /// How many hosts of this type.
    pub count: usize,
    /// Site (datacenter or cloud) the hosts belong to.
    #[serde(default = "default_site")]
    pub site: String,
    /// Cluster name.
    #[serde(default)]
    pub cluster: String,
    /// Rack name; with `racks` > 1 the group's hosts fill racks `<rack>0`, `<rack>1`, … in
    /// contiguous blocks of ⌈count / racks⌉ hosts (the last may be smaller).
    #[serde(default)]
    pub rack: String,
    /// Number of racks the group spans.
    #[serde(default = "one_usize")]
    pub racks: usize,
    /// Availability zone.
    #[serde(default)]
    pub zone: String,
    /// SLA class: never overcommitted; the only hosts guaranteed VMs may use.
    #[serde(default)]
    pub no_overcommit: bool,
    /// SLA class: the only hosts high-reliability VMs may use.
    #[serde(default)]
    pub high_reliability: bool,
    /// Thermal resistance CPU → inlet air, °C/W.
    #[serde(default = "default_resistance")]
    pub thermal_resistance_c_per_w: f64,
    /// Heat capacity, J/°C.
    #[serde(default = "default_heat_capacity")]
    pub heat_capacity_j_per_c: f64,
    /// Physical cores.
    pub cores: u32,
    /// MIPS of one core.
    pub core_mips: f64,
    /// Memory in MB.
    pub memory_mb: f64,
    /// Disk in GB.
    #[serde(default)]
    pub disk_gb: f64,
    /// NIC bandwidth in Mbit/s.
    #[serde(default = "default_nic")]
    pub nic_mbps: f64,
    /// Free-form attributes.
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
    /// Power model.
    pub power: PowerModel,
    /// Boot delay in seconds.
    #[serde(default)]
    pub boot_s: f64,
    /// Shutdown delay in seconds.
    #[serde(default)]
    pub shutdown_s: f64,
    /// Energy per boot in joules.
    #[serde(default)]
    pub boot_energy_j: f64,
    /// Energy per shutdown in joules.
    #[serde(default)]
    pub shutdown_energy_j: f64,
    /// Whether the hosts start on (`true`, default) or off.
    #[serde(default = "yes")]
    pub initially_on: bool,
    /// Mean time between failures of each host, s (exponential; with `mttr_s`).
    pub mtbf_s: Option<f64>,
    /// Mean time to repair a failed host, s (exponential).
    pub mttr_s: Option<f64>,
}

fn one_usize() -> usize {
    1
}

fn default_resistance() -> f64 {
    crate::model::spec::DEFAULT_THERMAL_RESISTANCE
}

fn default_heat_capacity() -> f64 {
    crate::model::spec::DEFAULT_HEAT_CAPACITY
}

fn default_site() -> String {
    "local".into()
}

fn default_nic() -> f64 {
    1000.0
}

fn yes() -> bool {
    true
}

/// A VM type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmTypeSection {
    /// Type name.
    pub name: String,
    /// Virtual CPUs.
    #[serde(default = "one")]
    pub vcpus: u32,
    /// MIPS of one vCPU.
    pub mips: f64,
    /// Memory in MB.
    pub memory_mb: f64,
    /// Most vCPUs a VM of the type may be resized to (default: `vcpus`).
    pub max_vcpus: Option<u32>,
    /// Most memory a VM of the type may be resized to, MB (default: `memory_mb`).
    pub max_memory_mb: Option<f64>,
    /// Disk in GB.
    #[serde(default)]
    pub disk_gb: f64,
    /// Image name.
    #[serde(default)]
    pub image: String,
    /// Owning tenant (`owner` is accepted too); generators may name their own.
    #[serde(alias = "owner")]
    pub tenant: Option<String>,
    /// Crashes per day of up time (exponential), each VM on its own random stream.
    #[serde(default)]
    pub crash_rate_per_day: f64,
    /// Price of one billing period.
    #[serde(default)]
    pub price: f64,
    /// Billing period: `"second"`, `"minute"`, `"hour"` (default) or `"day"`; started periods
    /// are billed in full.
    #[serde(default)]
    pub billing_period: crate::metrics::accounting::BillingPeriod,
    /// Requirements over host attributes, OpenNebula syntax (e.g. `HYPERVISOR = "kvm" & ZONE = "a"`).
    pub requirements: Option<String>,
    /// VM group the VMs belong to (`[[vm_groups]]` name).
    pub vm_group: Option<String>,
    /// Role within `vm_group`.
    pub role: Option<String>,
    /// Run only on no-overcommit hosts.
    #[serde(default)]
    pub guaranteed: bool,
    /// Run only on high-reliability hosts.
    #[serde(default)]
    pub high_reliability: bool,
    /// Memory dirtied per second while running, MB/s (pre-copy migration).
    #[serde(default)]
    pub dirty_rate_mbs: f64,
}

/// A VM group: named roles and the affinity rules between them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmGroupSection {
    /// Group name.
    pub name: String,
    /// Roles.
    pub roles: Vec<RoleSection>,
    /// Role pairs (or longer lists) whose VMs must share hosts.
    #[serde(default)]
    pub affined: Vec<Vec<String>>,
    /// Role lists whose VMs must not share hosts.
    #[serde(default)]
    pub anti_affined: Vec<Vec<String>>,
}

/// One role of a VM group.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSection {
    /// Role name.
    pub name: String,
    /// `"none"`, `"affined"` (all on one host) or `"anti-affined"` (all on different hosts).
    #[serde(default)]
    pub policy: RolePolicySpec,
    /// Host names the role's VMs may run on (empty: any).
    #[serde(default)]
    pub host_affined: Vec<String>,
    /// Host names the role's VMs must avoid.
    #[serde(default)]
    pub host_anti_affined: Vec<String>,
}

/// How a role's VMs relate to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RolePolicySpec {
    /// No rule.
    #[default]
    None,
    /// All on one host.
    Affined,
    /// All on different hosts.
    AntiAffined,
}

/// The host thermal model and cooling.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThermalSection {
    /// CRAC supply air temperature, °C.
    pub supply_c: f64,
    /// Red-line temperature, °C.
    pub redline_c: f64,
    /// CRAC coefficient of performance CoP(T) = a·T² + b·T + c, as [a, b, c].
    #[serde(default = "default_cop")]
    pub cop: [f64; 3],
    /// Heat recirculation between hosts (none when absent).
    pub recirculation: Option<RecirculationSection>,
}

fn default_cop() -> [f64; 3] {
    crate::model::thermal::DEFAULT_COP
}

/// Heat recirculation (the cross-interference matrix D, in °C/W): either over racks in host
/// order, or an explicit host × host matrix.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecirculationSection {
    /// °C of inlet rise per W drawn by another host in the same rack.
    #[serde(default)]
    pub same_rack: f64,
    /// °C of inlet rise per W drawn by a host in a neighbouring rack (racks in order of first
    /// appearance).
    #[serde(default)]
    pub adjacent_rack: f64,
    /// An explicit matrix, one row per host (replaces the rack model).
    pub matrix: Option<Vec<Vec<f64>>>,
}

fn one() -> u32 {
    1
}

/// Where VM requests come from: a trace directory, generators, or both.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSection {
    /// A PlanetLab-format trace directory (one VM per file); relative to the scenario file.
    pub trace_dir: Option<PathBuf>,
    /// An orrery trace (Parquet, docs/traces.md), replayed streaming: VMs arrive and leave as
    /// recorded; relative to the scenario file.
    pub trace: Option<PathBuf>,
    /// Import `trace` from another format when the run starts (it then names the source).
    pub trace_import: Option<TraceImportSection>,
    /// VM types for trace VMs, assigned per `vm_type_assignment` (with `trace`, optional: by
    /// default each distinct size in the trace becomes a type of its own).
    #[serde(default)]
    pub trace_vm_types: Vec<String>,
    /// `"blocks"` (CloudSim: VM i gets type i / ceil(N/k)) or `"round-robin"`.
    #[serde(default)]
    pub vm_type_assignment: Assignment,
    /// Seconds from placement to running (VM boot).
    #[serde(default)]
    pub vm_boot_s: f64,
    /// Synthetic request generators.
    #[serde(default)]
    pub generators: Vec<GeneratorSection>,
}

/// A source format `workload.trace` is imported from as the run starts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceImportSection {
    /// The format, as `orrery trace import` names it (`opendc`, `google-2011`, …).
    pub format: String,
    /// The unit of the source's memory column where the format leaves it open: `kb`, `mb`
    /// (default) or `gb`.
    pub memory_unit: Option<String>,
}

/// How trace VMs get their types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Assignment {
    /// Contiguous blocks: VM i gets type i / ceil(N/k) (CloudSim's examples).
    #[default]
    Blocks,
    /// VM i gets type i mod k.
    RoundRobin,
}

/// One synthetic generator of VM requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneratorSection {
    /// VM type of the requests.
    pub vm_type: String,
    /// Maximum number of requests.
    pub count: usize,
    /// Arrival process.
    pub arrival: ArrivalSpec,
    /// Lifetime distribution.
    #[serde(default)]
    pub lifetime: LifetimeSpec,
    /// CPU utilisation pattern.
    pub utilisation: PatternSpec,
    /// Owning tenant of the requests (the VM type's when absent).
    pub tenant: Option<String>,
}

/// The cloud OS's policies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoliciesSection {
    /// Placement policy name.
    pub placement: String,
    /// Reallocation policy name (`"none"` for none).
    #[serde(default = "none")]
    pub reallocation: String,
    /// Seconds between reallocation rounds.
    #[serde(default = "default_interval")]
    pub reallocation_interval_s: f64,
    /// Power hosts off as soon as they are empty (drained), and let placement wake them.
    #[serde(default)]
    pub power_off_idle: bool,
    /// Dynamic consolidation parameters (Beloglazov & Buyya).
    #[serde(default)]
    pub consolidation: ConsolidationSection,
    /// Parameters of the balance reallocations (workload, CPU, thermal).
    #[serde(default)]
    pub balance: BalanceSection,
    /// Most migrations one reallocation round may start (0: no limit).
    #[serde(default)]
    pub migration_budget: usize,
    /// Rounds a migrated VM must stay put before any reallocation moves it again.
    #[serde(default)]
    pub cooldown_rounds: u32,
    /// The `rank` placement: requirements, rank expression and weighers.
    #[serde(default)]
    pub rank: RankSection,
    /// The dialect of every requirement and rank expression (the VM types' `requirements` and
    /// `[policies.rank]`): `"orrery"` (the default) or `"opennebula"`, OpenNebula's own
    /// scheduler parsers reproduced exactly.
    #[serde(default)]
    pub expressions: ExpressionDialect,
    /// The services' admission policy: an extension's name (absent: the built-in `tenancy`).
    #[serde(default)]
    pub admission: Option<String>,
    /// The services' elasticity policy: an extension's name (absent: the roles' own rules).
    #[serde(default)]
    pub elasticity: Option<String>,
    /// Parameters of extension policies, by policy name (`[policies.params.NAME]`); each
    /// extension declares and validates its own keys.
    #[serde(default)]
    pub params: BTreeMap<String, toml::Table>,
}

/// The language requirement and rank expressions are written in (`[policies] expressions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum ExpressionDialect {
    /// orrery's own: `>=` and `<=`, `&` binding tighter than `|`, bare words as attribute
    /// names, `f64` arithmetic (docs/policies.md).
    #[default]
    #[serde(rename = "orrery")]
    Orrery,
    /// OpenNebula's scheduler: `expr_bool.y`, `expr_arith.y` and their lexer `expr_parser.l`.
    #[serde(rename = "opennebula")]
    OpenNebula,
}

/// Triggers and targets of the balance reallocations. Each acts above its trigger and moves VMs
/// until the host is at or below its target, never making a destination exceed the target
/// (hysteresis: target ≤ trigger; the gap keeps a small wobble from moving VMs back).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BalanceSection {
    /// Workload balance: trigger when max − min host CPU utilisation exceeds this.
    pub spread: f64,
    /// Workload balance: stop once the spread is at most this.
    pub spread_target: f64,
    /// CPU balance: a host above this CPU utilisation sheds VMs.
    pub cpu: f64,
    /// CPU balance: … down to this utilisation; destinations stay at or below it.
    pub cpu_target: f64,
    /// Thermal balance: a host above this temperature (°C) sheds VMs.
    pub temperature_c: f64,
    /// Thermal balance: … until its predicted steady temperature is at most this.
    pub temperature_target_c: f64,
}

impl Default for BalanceSection {
    fn default() -> Self {
        BalanceSection {
            spread: 0.4,
            spread_target: 0.2,
            cpu: 0.8,
            cpu_target: 0.7,
            temperature_c: 60.0,
            temperature_target_c: 55.0,
        }
    }
}

/// The general placement of real cloud OSes: filter, then sort.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RankSection {
    /// A requirements expression every VM must satisfy (added to the VM type's own).
    pub requirements: Option<String>,
    /// Rank expression (OpenNebula SCHED_RANK); the highest-ranked host wins.
    pub rank: Option<String>,
    /// Nova-style weighers, summed with the rank.
    pub weighers: Vec<WeigherSection>,
}

/// One weigher: an attribute normalised over the candidate hosts, times a multiplier.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WeigherSection {
    /// Host attribute name (e.g. `FREE_CPU`).
    pub attribute: String,
    /// Multiplier (negative prefers low values).
    pub multiplier: f64,
}

fn none() -> String {
    "none".into()
}

fn default_interval() -> f64 {
    300.0
}

/// Parameters of dynamic consolidation.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConsolidationSection {
    /// Overload detector: `thr`, `iqr`, `mad`, `lr` or `lrr`.
    pub detector: String,
    /// The detector's parameter (threshold or safety parameter).
    pub parameter: f64,
    /// VM selection: `mmt`, `mc`, `mu` or `rs`.
    pub selection: String,
    /// Carbon-aware consolidation: the detector's parameter follows the grid's intensity.
    pub carbon: Option<CarbonAwareSection>,
}

impl Default for ConsolidationSection {
    fn default() -> Self {
        ConsolidationSection {
            detector: "thr".into(),
            parameter: 0.8,
            selection: "mmt".into(),
            carbon: None,
        }
    }
}

/// The detector's parameter as a function of the grid's carbon intensity: `parameter_at_low`
/// at or below `low_g_per_kwh`, `parameter_at_high` at or above `high_g_per_kwh`, linear in
/// between. Without a carbon series the fixed `parameter` applies.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CarbonAwareSection {
    /// Intensity at and below which `parameter_at_low` applies, gCO2/kWh.
    pub low_g_per_kwh: f64,
    /// Intensity at and above which `parameter_at_high` applies, gCO2/kWh.
    pub high_g_per_kwh: f64,
    /// The detector's parameter when the grid is clean.
    pub parameter_at_low: f64,
    /// The detector's parameter when the grid is dirty.
    pub parameter_at_high: f64,
}

/// What the run writes besides the summary.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputSection {
    /// Write `events.csv`.
    pub events: bool,
}

impl Default for OutputSection {
    fn default() -> Self {
        OutputSection { events: true }
    }
}
