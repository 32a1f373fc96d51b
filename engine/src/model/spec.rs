//! Static descriptions of hosts and VMs: what a scenario declares and policies read.

use std::collections::BTreeMap;

use super::power::PowerModel;
use crate::time::Millis;

/// A kind of physical server.
#[derive(Debug, Clone, PartialEq)]
pub struct HostType {
    /// Type name from the scenario.
    pub name: String,
    /// Physical cores (processing elements).
    pub cores: u32,
    /// Speed of one core in MIPS.
    pub core_mips: f64,
    /// Memory in MB.
    pub memory_mb: f64,
    /// Local disk in GB.
    pub disk_gb: f64,
    /// Network interface bandwidth in Mbit/s.
    pub nic_mbps: f64,
    /// Free-form attributes (hypervisor, arch, tags…) used by placement constraints.
    pub attributes: BTreeMap<String, String>,
    /// Power as a function of CPU utilisation while on.
    pub power: PowerModel,
    /// Time from power-on to ready.
    pub boot_delay: Millis,
    /// Time from power-off request to off.
    pub shutdown_delay: Millis,
    /// Energy of one boot, in joules (spread evenly over the boot delay; at once if zero delay).
    pub boot_energy_j: f64,
    /// Energy of one shutdown, in joules.
    pub shutdown_energy_j: f64,
    /// SLA class: reservations on these hosts never exceed physical capacity, whatever the
    /// overcommit ratios; only they may take guaranteed VMs.
    pub no_overcommit: bool,
    /// SLA class: only these hosts may take VMs that ask for high reliability.
    pub high_reliability: bool,
    /// Thermal resistance from the CPU to the inlet air, in °C/W.
    pub thermal_resistance_c_per_w: f64,
    /// Heat capacity of the host, in J/°C.
    pub heat_capacity_j_per_c: f64,
}

impl HostType {
    /// A host type with these resources and power model, 1 Gbit/s NIC, no disk, no
    /// attributes, instant boot and shutdown, no SLA class and the default thermal constants.
    pub fn new(
        name: impl Into<String>,
        cores: u32,
        core_mips: f64,
        memory_mb: f64,
        power: PowerModel,
    ) -> Self {
        HostType {
            name: name.into(),
            cores,
            core_mips,
            memory_mb,
            disk_gb: 0.0,
            nic_mbps: 1000.0,
            attributes: BTreeMap::new(),
            power,
            boot_delay: 0,
            shutdown_delay: 0,
            boot_energy_j: 0.0,
            shutdown_energy_j: 0.0,
            no_overcommit: false,
            high_reliability: false,
            thermal_resistance_c_per_w: DEFAULT_THERMAL_RESISTANCE,
            heat_capacity_j_per_c: DEFAULT_HEAT_CAPACITY,
        }
    }

    /// Total CPU capacity in MIPS (cores × core speed), before overcommit.
    pub fn total_mips(&self) -> f64 {
        self.cores as f64 * self.core_mips
    }
}

/// Default thermal resistance of a host, °C/W: a 250 W server runs 12.5 °C above its inlet.
pub const DEFAULT_THERMAL_RESISTANCE: f64 = 0.05;
/// Default heat capacity of a host, J/°C (about 15 kg of steel and aluminium): τ = 170 s.
pub const DEFAULT_HEAT_CAPACITY: f64 = 3400.0;

/// Where a VM belongs in a VM group (OpenNebula's VM groups): the group and the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupRole {
    /// Index into [`crate::view::ClusterView::vm_groups`].
    pub group: usize,
    /// Index into the group's roles.
    pub role: usize,
}

/// What a VM asks of the host it runs on, beyond capacity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VmConstraints {
    /// Requirements expression over host attributes (OpenNebula's SCHED_REQUIREMENTS syntax).
    pub requirements: Option<String>,
    /// VM group and role, for affinity rules.
    pub group: Option<GroupRole>,
    /// Needs a no-overcommit host.
    pub guaranteed: bool,
    /// Needs a high-reliability host.
    pub high_reliability: bool,
}

impl VmConstraints {
    /// Whether the VM asks for nothing beyond capacity.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_none()
            && self.group.is_none()
            && !self.guaranteed
            && !self.high_reliability
    }
}

/// A kind of virtual machine (an instance type).
#[derive(Debug, Clone, PartialEq)]
pub struct VmType {
    /// Type name from the scenario.
    pub name: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Speed of one vCPU in MIPS.
    pub mips: f64,
    /// Memory in MB.
    pub memory_mb: f64,
    /// Most vCPUs a VM of this type may be resized to.
    pub max_vcpus: u32,
    /// Most memory a VM of this type may be resized to, in MB.
    pub max_memory_mb: f64,
    /// Disk in GB.
    pub disk_gb: f64,
    /// Image name.
    pub image: String,
    /// Owning tenant.
    pub owner: String,
    /// Placement constraints every VM of this type carries.
    pub constraints: VmConstraints,
    /// Memory the VM dirties per second while running, in MB/s (pre-copy migration).
    pub dirty_rate_mbs: f64,
}

impl VmType {
    /// A VM type with these resources (also its maxima: no resizing up), no disk, image, owner
    /// or constraints, dirtying no memory.
    pub fn new(name: impl Into<String>, vcpus: u32, mips: f64, memory_mb: f64) -> Self {
        VmType {
            name: name.into(),
            vcpus,
            mips,
            memory_mb,
            max_vcpus: vcpus,
            max_memory_mb: memory_mb,
            disk_gb: 0.0,
            image: String::new(),
            owner: String::new(),
            constraints: VmConstraints::default(),
            dirty_rate_mbs: 0.0,
        }
    }

    /// Total nominal CPU in MIPS (vCPUs × vCPU speed).
    pub fn total_mips(&self) -> f64 {
        self.vcpus as f64 * self.mips
    }
}

/// Per-resource overcommit ratios: how much nominal VM capacity a host may promise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Overcommit {
    /// CPU ratio (1.0 = no overcommit).
    pub cpu: f64,
    /// Memory ratio.
    pub memory: f64,
}

impl Default for Overcommit {
    fn default() -> Self {
        Overcommit {
            cpu: 1.0,
            memory: 1.0,
        }
    }
}

/// How long live migrations take and what they cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MigrationModel {
    /// Fraction of the destination NIC bandwidth a migration uses (CloudSim: 0.5).
    pub bandwidth_fraction: f64,
    /// Fraction of its CPU a VM loses on the source while it migrates (CloudSim: 0.1).
    pub source_degradation: f64,
    /// Fraction of the VM's CPU demand the destination carries during the migration (CloudSim: 0.1).
    pub destination_fraction: f64,
}

impl Default for MigrationModel {
    fn default() -> Self {
        MigrationModel {
            bandwidth_fraction: 0.5,
            source_degradation: 0.1,
            destination_fraction: 0.1,
        }
    }
}

impl MigrationModel {
    /// Duration of migrating `memory_mb` of memory to a host with a `nic_mbps` NIC:
    /// memory / (NIC · fraction / 8), rounded to the millisecond.
    pub fn duration(&self, memory_mb: f64, nic_mbps: f64) -> Millis {
        crate::time::from_secs(memory_mb / (nic_mbps * self.bandwidth_fraction / 8.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_time_is_memory_over_half_the_bandwidth() {
        // CloudSim: RAM / (1 Gbit/s / 2 / 8) = RAM / 62.5 MB/s.
        let m = MigrationModel::default();
        assert_eq!(m.duration(870.0, 1000.0), 13_920);
        assert_eq!(m.duration(1740.0, 1000.0), 27_840);
        assert_eq!(m.duration(613.0, 1000.0), 9_808);
    }
}
