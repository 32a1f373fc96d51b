//! The cross-site protocol's state in a run (aggregated architecture): each private site's
//! agent, the request each protocol run is about, who asked each site in each run, the
//! requests with a run under way, and the messages delivered by kind.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::{RequestId, SiteId};
use crate::policy::protocol::{MigrationId, SiteAgent};

/// The protocol's agents and runs.
#[derive(Debug, Clone, Default)]
pub struct Protocol {
    agents: BTreeMap<SiteId, SiteAgent>,
    /// The request each protocol run is about.
    runs: BTreeMap<MigrationId, RequestId>,
    /// Who asked each site in each run: (run, asked site) → asking site.
    asked_by: BTreeMap<(MigrationId, SiteId), SiteId>,
    /// Requests with a run under way.
    under_way: BTreeSet<RequestId>,
    /// Messages delivered, by kind.
    messages: BTreeMap<&'static str, u64>,
}

impl Protocol {
    /// Site `s` takes part with `agent`.
    pub fn join(&mut self, s: SiteId, agent: SiteAgent) {
        self.agents.insert(s, agent);
    }

    /// Site `s`'s agent.
    pub fn agent(&self, s: SiteId) -> Option<&SiteAgent> {
        self.agents.get(&s)
    }

    /// Site `s`'s agent, to drive.
    pub fn agent_mut(&mut self, s: SiteId) -> Option<&mut SiteAgent> {
        self.agents.get_mut(&s)
    }

    /// Run `run` started, about request `r`.
    pub fn started(&mut self, run: MigrationId, r: RequestId) {
        self.runs.insert(run, r);
        self.under_way.insert(r);
    }

    /// The request run `run` is about.
    pub fn request_of(&self, run: &MigrationId) -> Option<RequestId> {
        self.runs.get(run).copied()
    }

    /// Counts a delivered message of `kind`.
    pub fn delivered(&mut self, kind: &'static str) {
        *self.messages.entry(kind).or_default() += 1;
    }

    /// Site `from` asked site `to` in run `run`.
    pub fn asked(&mut self, run: MigrationId, to: SiteId, from: SiteId) {
        self.asked_by.insert((run, to), from);
    }

    /// Run `run` ended at site `s`: who asked `s` in it; the run's askers are forgotten.
    pub fn asker(&mut self, run: &MigrationId, s: SiteId) -> Option<SiteId> {
        let asker = self.asked_by.get(&(run.clone(), s)).copied();
        self.asked_by.retain(|(r, _), _| r != run);
        asker
    }

    /// Request `r`'s run ended.
    pub fn ended(&mut self, r: RequestId) {
        self.under_way.remove(&r);
    }

    /// Whether request `r` has a run under way.
    pub fn under_way(&self, r: RequestId) -> bool {
        self.under_way.contains(&r)
    }

    /// Messages delivered, by kind.
    pub fn messages(&self) -> &BTreeMap<&'static str, u64> {
        &self.messages
    }
}
