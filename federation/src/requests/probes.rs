//! The meta-broker's probe results: each cloud's latest health, as delivered.

use std::collections::BTreeMap;

use crate::ids::SiteId;
use crate::policy::ranking::Health;

/// The latest probe results per cloud.
#[derive(Debug, Clone, Default)]
pub struct Probes {
    health: BTreeMap<SiteId, Health>,
}

impl Probes {
    /// Cloud `s`'s probe results `h` arrived.
    pub fn arrived(&mut self, s: SiteId, h: Health) {
        self.health.insert(s, h);
    }

    /// Every cloud's latest results, in site order.
    pub fn latest(&self) -> Vec<Health> {
        self.health.values().cloned().collect()
    }
}
