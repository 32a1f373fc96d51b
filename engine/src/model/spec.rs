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
}

impl HostType {
    /// Total CPU capacity in MIPS (cores × core speed), before overcommit.
    pub fn total_mips(&self) -> f64 {
        self.cores as f64 * self.core_mips
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
    /// Disk in GB.
    pub disk_gb: f64,
    /// Image name.
    pub image: String,
    /// Owning tenant.
    pub owner: String,
}

impl VmType {
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
