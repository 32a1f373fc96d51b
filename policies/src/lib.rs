//! orrery's policies: pure decision code over a read-only cluster view.
//!
//! A policy reads a [`orrery_engine::ClusterView`], may draw from the seeded generator it is
//! handed, and returns actions. [`registry`] builds policies by the names scenarios use.

pub mod balance;
pub mod bursting;
pub mod consolidation;
pub mod constraints;
pub mod elasticity;
pub mod expr;
pub mod governor;
pub mod placement;
pub mod registry;
#[cfg(test)]
mod service_fixtures;
pub mod stats;
pub mod tenancy;
