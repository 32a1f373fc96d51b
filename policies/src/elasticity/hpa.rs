//! Target tracking as the Kubernetes HorizontalPodAutoscaler does it, in two modes chosen by
//! a `target_tracking` table's `mode`:
//!
//! * `ratio` (the default, [`ratio`]): the HPA's documented formula, desired =
//!   ceil(VMs × mean / target) with a tolerance, stabilisation windows and the bounds, and
//!   conversion to and from an `autoscaling/v2` object.
//! * `hpa` ([`spec`], [`HpaScaler`]): the controller of Kubernetes v1.34 itself
//!   (`pkg/controller/podautoscaler`): an `autoscaling/v2` spec with Kubernetes' field names;
//!   per-metric proposals in the replica calculator's integer milli-unit arithmetic
//!   (whole-percent utilisation, missing and not-ready VMs, the direction guards); Resource,
//!   Pods, Object and External metrics; `behavior` (stabilisation over past
//!   recommendations, rate policies over past scale events, per-direction tolerances) or,
//!   without it, the controller's fixed rules; every decision names the metric and the
//!   condition that bounded it. [`HpaHistory`] is what the controller remembers, so that
//!   [`HpaScaler::resume`] can continue from a recorded past.
//!
//! docs/services.md sets both modes beside the controller's source and lists the remaining
//! differences.

mod calculator;
mod consts;
mod history;
mod mode;
mod normalize;
mod quantity;
pub mod ratio;
mod sample;
mod scaler;
pub mod spec;

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod in_scenarios;

pub use self::consts::{
    CPU_UTILIZATION, DEFAULT_CPU_INITIALIZATION_S, DEFAULT_SCALE_DOWN_WINDOW_S, DEFAULT_TOLERANCE,
    MEMORY_UTILIZATION,
};
pub use self::history::HpaHistory;
pub use self::mode::Mode;
pub use self::quantity::Quantity;
pub use self::ratio::{MetricTarget, RatioScaler, TargetTracking};
pub use self::sample::{RoleSample, VmPhase, VmSample};
pub use self::scaler::HpaScaler;
pub use self::spec::HpaRule;
