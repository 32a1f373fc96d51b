//! Policies by name: the names scenario files use.

use orrery_engine::error::InputError;
use orrery_engine::policy::{Placement, Reallocation};
use orrery_engine::scenario::Scenario;

use crate::placement::index::Order;
use crate::placement::Greedy;

/// Placement policy names and what they do.
pub const PLACEMENTS: &[(&str, &str)] = &[
    ("first-fit", "lowest-numbered host with room"),
    ("packing", "most loaded host with room (fewest hosts)"),
    ("striping", "host with the fewest VMs (spread VMs)"),
    ("load-aware", "host with the most free CPU"),
];

/// Reallocation policy names and what they do.
pub const REALLOCATIONS: &[(&str, &str)] = &[("none", "never migrate")];

/// The placement policy a scenario names.
pub fn placement(scenario: &Scenario) -> Result<Box<dyn Placement>, InputError> {
    let name = scenario.spec.policies.placement.as_str();
    let order = match name {
        "first-fit" => Order::FirstFit,
        "packing" => Order::Packing,
        "striping" => Order::Striping,
        "load-aware" => Order::LoadAware,
        _ => return Err(unknown(scenario, "policies.placement", name, PLACEMENTS)),
    };
    Ok(Box::new(Greedy::new(order)))
}

/// The reallocation policy a scenario names (`None` for `"none"`).
pub fn reallocation(scenario: &Scenario) -> Result<Option<Box<dyn Reallocation>>, InputError> {
    let name = scenario.spec.policies.reallocation.as_str();
    match name {
        "none" => Ok(None),
        _ => Err(unknown(scenario, "policies.reallocation", name, REALLOCATIONS)),
    }
}

fn unknown(scenario: &Scenario, key: &str, name: &str, known: &[(&str, &str)]) -> InputError {
    let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
    scenario.error_at(key, format!("unknown policy `{name}`")).hint(format!("use one of: {}", names.join(", ")))
}
