//! Workloads: VM demand patterns, arrival processes, lifetimes, PlanetLab traces and request
//! arrivals at services.
//!
//! A scenario describes its VMs with specs read from TOML ([`PatternSpec`], [`ArrivalSpec`],
//! [`LifetimeSpec`]); each spec validates its parameters and then draws concrete values from a
//! seeded [`crate::rng::Rng`]. A pattern becomes a [`Demand`] curve per VM, whose `at(t)` is pure.
//! Recorded PlanetLab traces load into [`SampledSeries`] and are replayed with CloudSim's
//! interpolation. Everything here is deterministic for a given seed.

pub mod arrival;
pub mod pattern;
pub mod requests;
pub mod series;
pub mod trace;

pub use arrival::{ArrivalSpec, LifetimeSpec};
pub use pattern::{Demand, PatternSpec};
pub use requests::{RequestRate, RequestSpec};
pub use series::SampledSeries;
pub use trace::{
    load_planetlab_dir, load_planetlab_file, parse_planetlab, TraceFile, PLANETLAB_INTERVAL,
};
