//! The federation's clouds: private sites (each a simulator and its cloud OS) and public
//! clouds, by [`SiteId`], with their names.

use std::collections::BTreeMap;

use orrery_engine::error::InputError;
use orrery_engine::infra::InfraError;
use orrery_engine::metrics::RunResult;
use orrery_engine::model::VmState;
use orrery_engine::time::Millis;

use crate::ids::SiteId;
use crate::public::PublicCloud;
use crate::site::PrivateSite;
use crate::spec::{Federation, SiteSpec};

/// A cloud of the federation.
pub enum Site {
    /// A private cloud with its own cloud OS.
    Private(Box<PrivateSite>),
    /// A public cloud.
    Public(PublicCloud),
}

/// Every cloud of the federation, in file order, and its name.
#[derive(Default)]
pub struct Sites {
    clouds: Vec<Site>,
    names: Vec<String>,
}

impl Sites {
    /// Builds every site of `fed`: each private site from its scenario with a seed derived from
    /// the federation's and its index (so sites draw independently), each public cloud from its
    /// instance types.
    pub fn new(fed: &Federation) -> Result<Sites, InputError> {
        let mut clouds = Vec::new();
        for (i, spec) in fed.spec.sites.iter().enumerate() {
            clouds.push(match spec {
                SiteSpec::Private { .. } => {
                    let scenario = fed.scenarios[i].as_ref().expect("private sites have one");
                    let seed = fed.spec.seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
                    Site::Private(Box::new(PrivateSite::new(scenario, seed)?))
                }
                SiteSpec::Public {
                    name,
                    instance_types,
                    stop,
                    stop_margin_s,
                } => Site::Public(PublicCloud::new(
                    name,
                    instance_types,
                    *stop,
                    *stop_margin_s,
                )),
            });
        }
        let names = fed
            .spec
            .sites
            .iter()
            .map(|s| s.name().to_string())
            .collect();
        Ok(Sites { clouds, names })
    }

    /// How many sites there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Every site, in file order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = SiteId> {
        SiteId::all(self.len())
    }

    /// Every site's name, by index.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Site `s`'s name.
    pub fn name(&self, s: SiteId) -> &str {
        &self.names[s.0]
    }

    /// Site `s`.
    pub fn get(&self, s: SiteId) -> &Site {
        &self.clouds[s.0]
    }

    /// Site `s`, to act on.
    pub fn get_mut(&mut self, s: SiteId) -> &mut Site {
        &mut self.clouds[s.0]
    }

    /// The private site `s`, if it is one.
    pub fn private(&self, s: SiteId) -> Option<&PrivateSite> {
        match self.get(s) {
            Site::Private(p) => Some(p),
            Site::Public(_) => None,
        }
    }

    /// The private site `s`, if it is one, to act on.
    pub fn private_mut(&mut self, s: SiteId) -> Option<&mut PrivateSite> {
        match self.get_mut(s) {
            Site::Private(p) => Some(p),
            Site::Public(_) => None,
        }
    }

    /// The public cloud `s`, if it is one.
    pub fn public(&self, s: SiteId) -> Option<&PublicCloud> {
        match self.get(s) {
            Site::Public(c) => Some(c),
            Site::Private(_) => None,
        }
    }

    /// The public cloud `s`, if it is one, to act on.
    pub fn public_mut(&mut self, s: SiteId) -> Option<&mut PublicCloud> {
        match self.get_mut(s) {
            Site::Public(c) => Some(c),
            Site::Private(_) => None,
        }
    }

    /// Whether site `s` is a private site.
    pub fn is_private(&self, s: SiteId) -> bool {
        matches!(self.get(s), Site::Private(_))
    }

    /// The first private site (a federation has one).
    pub fn first_private(&self) -> Option<SiteId> {
        self.ids().find(|&s| self.is_private(s))
    }

    /// VMs waiting for a host at site `s` (none at a public cloud).
    pub fn pending_at(&self, s: SiteId) -> usize {
        self.private(s).map_or(0, |p| {
            p.view()
                .vms
                .iter()
                .filter(|v| v.state == VmState::Pending)
                .count()
        })
    }

    /// Runs every private site's control loop up to time `t`.
    pub fn advance(&mut self, t: Millis) -> Result<(), InfraError> {
        for site in &mut self.clouds {
            if let Site::Private(s) = site {
                s.advance(Some(t))?;
            }
        }
        Ok(())
    }

    /// Site `s` at `now`: its reserved CPU fraction, CPU utilisation and VMs placed (instances
    /// running, for a public cloud, which shows no hosts).
    pub fn load(&self, s: SiteId, now: Millis) -> (f64, f64, usize) {
        match self.get(s) {
            Site::Private(p) => {
                let running = p.view().vms.iter().filter(|v| v.state.is_placed()).count();
                (p.state().reserved_fraction(), p.cpu_utilisation(), running)
            }
            Site::Public(c) => (0.0, 0.0, c.serving(now)),
        }
    }

    /// Ends every private site's run and returns its results by site name; the clouds are gone
    /// afterwards (the names stay).
    pub fn finish(&mut self) -> Result<BTreeMap<String, RunResult>, InfraError> {
        let mut results = BTreeMap::new();
        for (s, site) in std::mem::take(&mut self.clouds).into_iter().enumerate() {
            if let Site::Private(p) = site {
                results.insert(self.names[s].clone(), p.finish()?);
            }
        }
        Ok(results)
    }
}
