//! The control loop (the "cloud OS"): view → policies → plan → apply, until the run ends.

use crate::action::Action;
use crate::infra::{Decision, InfraError, Infrastructure};
use crate::policy::{Admission, Elasticity, Placement, Reallocation};
use crate::rng::{Rng, RngStreams};
use crate::view::ClusterView;

/// Counts of what the control loop did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoopStats {
    /// Placement decisions made.
    pub placements: u64,
    /// Reallocation rounds run.
    pub reallocations: u64,
    /// Admission decisions made.
    pub admissions: u64,
    /// Elasticity evaluations run.
    pub scalings: u64,
    /// Actions issued.
    pub actions: u64,
    /// Actions the infrastructure refused.
    pub refused: u64,
}

/// The cloud OS: a placement policy, an optional reallocation policy, the service manager's
/// admission and elasticity policies and their random streams.
pub struct CloudOs {
    placement: Box<dyn Placement>,
    reallocation: Option<Box<dyn Reallocation>>,
    admission: Option<Box<dyn Admission>>,
    elasticity: Option<Box<dyn Elasticity>>,
    placement_rng: Rng,
    reallocation_rng: Rng,
    elasticity_rng: Rng,
}

impl CloudOs {
    /// A cloud OS whose policies draw from streams derived from `streams`.
    pub fn new(
        placement: Box<dyn Placement>,
        reallocation: Option<Box<dyn Reallocation>>,
        streams: &RngStreams,
    ) -> Self {
        CloudOs {
            placement,
            reallocation,
            admission: None,
            elasticity: None,
            placement_rng: streams.stream("placement", 0),
            reallocation_rng: streams.stream("reallocation", 0),
            elasticity_rng: streams.stream("elasticity", 0),
        }
    }

    /// This cloud OS with a service manager: admission control (without one, every service
    /// is admitted) and elasticity (without one, roles keep their cardinality).
    pub fn with_services(
        mut self,
        admission: Option<Box<dyn Admission>>,
        elasticity: Option<Box<dyn Elasticity>>,
    ) -> Self {
        self.admission = admission;
        self.elasticity = elasticity;
        self
    }

    /// Runs the loop until the infrastructure says the run is over.
    pub fn run<I: Infrastructure>(&mut self, infra: &mut I) -> Result<LoopStats, InfraError> {
        let mut stats = LoopStats::default();
        while let Some(decision) = infra.next_decision()? {
            let Some(plan) = self.decide(decision, infra.view(), &mut stats) else {
                continue;
            };
            stats.actions += plan.len() as u64;
            stats.refused += infra.apply(plan).iter().filter(|r| r.is_err()).count() as u64;
        }
        Ok(stats)
    }

    /// The plan this cloud OS's policies make for one decision over `view`, counted in
    /// `stats`; `None` when no policy handles it (no reallocation or elasticity policy).
    /// [`run`](Self::run) calls it for every decision; a caller stepping the infrastructure
    /// itself (the Python step API) calls it for the decisions it leaves to the scenario's
    /// policies.
    pub fn decide(
        &mut self,
        decision: Decision,
        view: &ClusterView,
        stats: &mut LoopStats,
    ) -> Option<Vec<Action>> {
        Some(match decision {
            Decision::Place(pending) => {
                stats.placements += 1;
                self.placement
                    .place(view, &pending, &mut self.placement_rng)
            }
            Decision::Reallocate => {
                let policy = self.reallocation.as_mut()?;
                stats.reallocations += 1;
                policy.reallocate(view, &mut self.reallocation_rng)
            }
            Decision::Admit(services) => {
                stats.admissions += 1;
                match self.admission.as_mut() {
                    Some(policy) => policy.admit(view, &services),
                    None => services
                        .into_iter()
                        .map(|service| Action::AdmitService { service })
                        .collect(),
                }
            }
            Decision::Scale => {
                let policy = self.elasticity.as_mut()?;
                stats.scalings += 1;
                policy.scale(view, &mut self.elasticity_rng)
            }
        })
    }
}
