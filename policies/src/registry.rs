//! Policies by name: the names scenario files use.

use orrery_engine::error::InputError;
use orrery_engine::policy::{Placement, Reallocation};
use orrery_engine::scenario::Scenario;

use crate::consolidation::{Consolidation, Detector, Selection};
use crate::placement::index::Order;
use crate::placement::Greedy;

/// Placement policy names and what they do.
pub const PLACEMENTS: &[(&str, &str)] = &[
    ("first-fit", "lowest-numbered host with room"),
    ("packing", "most loaded host with room (fewest hosts)"),
    ("striping", "host with the fewest VMs (spread VMs)"),
    ("load-aware", "host with the most free CPU"),
    (
        "pabfd",
        "power-aware best-fit decreasing, with the consolidation detector (Beloglazov & Buyya)",
    ),
];

/// Reallocation policy names and what they do.
pub const REALLOCATIONS: &[(&str, &str)] = &[
    ("none", "never migrate"),
    (
        "consolidation",
        "dynamic consolidation: overload detector, VM selection, PABFD, underload drain",
    ),
];

/// The placement policy a scenario names.
pub fn placement(scenario: &Scenario) -> Result<Box<dyn Placement>, InputError> {
    let name = scenario.spec.policies.placement.as_str();
    let order = match name {
        "first-fit" => Order::FirstFit,
        "packing" => Order::Packing,
        "striping" => Order::Striping,
        "load-aware" => Order::LoadAware,
        "pabfd" => return Ok(Box::new(consolidation(scenario)?)),
        _ => return Err(unknown(scenario, "policies.placement", name, PLACEMENTS)),
    };
    Ok(Box::new(Greedy::new(order)))
}

/// The reallocation policy a scenario names (`None` for `"none"`).
pub fn reallocation(scenario: &Scenario) -> Result<Option<Box<dyn Reallocation>>, InputError> {
    let name = scenario.spec.policies.reallocation.as_str();
    match name {
        "none" => Ok(None),
        "consolidation" => Ok(Some(Box::new(consolidation(scenario)?))),
        _ => Err(unknown(
            scenario,
            "policies.reallocation",
            name,
            REALLOCATIONS,
        )),
    }
}

/// The consolidation parameters of a scenario (`[policies.consolidation]`).
pub fn consolidation(scenario: &Scenario) -> Result<Consolidation, InputError> {
    let c = &scenario.spec.policies.consolidation;
    let detector = Detector::from_name(&c.detector, c.parameter).ok_or_else(|| {
        scenario
            .error_at(
                "policies.consolidation.detector",
                format!("unknown overload detector `{}`", c.detector),
            )
            .hint("use one of: thr, iqr, mad, lr, lrr")
    })?;
    let selection = Selection::from_name(&c.selection).ok_or_else(|| {
        scenario
            .error_at(
                "policies.consolidation.selection",
                format!("unknown VM selection `{}`", c.selection),
            )
            .hint("use one of: mmt, mc, mu, rs")
    })?;
    if !(c.parameter.is_finite() && c.parameter >= 0.0) {
        return Err(scenario.error_at(
            "policies.consolidation.parameter",
            "must be zero or positive",
        ));
    }
    Ok(Consolidation {
        detector,
        selection,
    })
}

fn unknown(scenario: &Scenario, key: &str, name: &str, known: &[(&str, &str)]) -> InputError {
    let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
    scenario
        .error_at(key, format!("unknown policy `{name}`"))
        .hint(format!("use one of: {}", names.join(", ")))
}
