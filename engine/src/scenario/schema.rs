//! The scenario file format (TOML), as serde structs. Unknown keys are errors everywhere.

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
    /// VM types.
    pub vm_types: Vec<VmTypeSection>,
    /// Where VM requests come from.
    pub workload: WorkloadSection,
    /// The cloud OS's policies.
    pub policies: PoliciesSection,
    /// What to write.
    #[serde(default)]
    pub output: OutputSection,
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

/// Live-migration model.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MigrationSection {
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
    /// Cluster (rack) name.
    #[serde(default)]
    pub cluster: String,
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
    /// Disk in GB.
    #[serde(default)]
    pub disk_gb: f64,
    /// Image name.
    #[serde(default)]
    pub image: String,
    /// Owning tenant.
    #[serde(default)]
    pub owner: String,
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
    /// VM types for trace VMs, assigned per `vm_type_assignment`.
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
}

impl Default for ConsolidationSection {
    fn default() -> Self {
        ConsolidationSection {
            detector: "thr".into(),
            parameter: 0.8,
            selection: "mmt".into(),
        }
    }
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
