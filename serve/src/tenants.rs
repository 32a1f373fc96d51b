//! The organisations keys may act for, and their quotas, from a scenario's
//! `[[organisations]]`.

use std::collections::BTreeMap;

use orrery_engine::scenario::{QuotaSection, Scenario, DEFAULT_TENANT};

/// The names keys may map to: every `[[organisations]]` name, and the default tenant
/// (unlimited unless the scenario declares it).
pub fn organisations(scenario: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = scenario
        .spec
        .organisations
        .iter()
        .map(|o| o.name.clone())
        .collect();
    if !names.iter().any(|n| n == DEFAULT_TENANT) {
        names.push(DEFAULT_TENANT.to_string());
    }
    names
}

/// Each declared organisation's quota.
pub fn quotas(scenario: &Scenario) -> BTreeMap<String, QuotaSection> {
    scenario
        .spec
        .organisations
        .iter()
        .map(|o| (o.name.clone(), o.quota))
        .collect()
}
