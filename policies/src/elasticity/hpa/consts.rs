//! Names and defaults both target-tracking modes share.

/// The controller's default tolerance (`--horizontal-pod-autoscaler-tolerance`).
pub const DEFAULT_TOLERANCE: f64 = 0.1;
/// The controller's default scale-down stabilisation window, seconds
/// (`--horizontal-pod-autoscaler-downscale-stabilization`).
pub const DEFAULT_SCALE_DOWN_WINDOW_S: u64 = 300;
/// The controller's default CPU initialisation period, seconds
/// (`--horizontal-pod-autoscaler-cpu-initialization-period`).
pub const DEFAULT_CPU_INITIALIZATION_S: u64 = 300;

/// orrery's metric name for an HPA `Resource` metric `cpu`: the VMs' CPU use in percent of
/// their vCPUs.
pub const CPU_UTILIZATION: &str = "CPU_UTILIZATION";
/// orrery's metric name for an HPA `Resource` metric `memory`: the VMs' memory use in percent
/// of their memory.
pub const MEMORY_UTILIZATION: &str = "MEMORY_UTILIZATION";
