//! The requests ledger: every VM request's record (where it is, its stays, what happened to
//! it), which private VM belongs to which request, the contracts' use, and the cross-site
//! networks set up.

use std::collections::{BTreeMap, BTreeSet};

use orrery_engine::time::{to_secs, Millis};
use orrery_engine::view::VmId;

use crate::demand::Request;
use crate::ids::{RequestId, SiteId};

/// Where a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// Not arrived, or arrived and not yet sent anywhere.
    Waiting,
    /// Its image (or state) is on its way to a site.
    InTransit {
        /// The site.
        to: SiteId,
    },
    /// Running (or booting) at a private site.
    Private {
        /// The site.
        site: SiteId,
        /// Its VM there.
        vm: VmId,
    },
    /// On a public cloud's instance.
    Public {
        /// The site.
        site: SiteId,
        /// The instance.
        instance: usize,
    },
    /// No cloud took it.
    Rejected,
    /// Its lifetime is over.
    Done,
}

impl Loc {
    /// The site it runs at or is on its way to.
    pub fn site(self) -> Option<SiteId> {
        match self {
            Loc::Private { site, .. } | Loc::Public { site, .. } | Loc::InTransit { to: site } => {
                Some(site)
            }
            _ => None,
        }
    }
}

/// One request's history.
#[derive(Debug, Clone)]
pub struct Tracked {
    /// The request.
    pub req: Request,
    /// Where it is.
    pub loc: Loc,
    /// When it first ran (private sites: when it was handed over), ms.
    pub started: Option<Millis>,
    /// When it finishes (at its current site), ms.
    pub finish: Option<Millis>,
    /// Its stays at private sites: (site, from, to).
    pub stays: Vec<(SiteId, Millis, Millis)>,
    /// Whether it ran on a public cloud.
    pub burst: bool,
    /// Whether it was handed to a site other than its entry.
    pub forwarded: bool,
    /// Whether it came back from a public cloud.
    pub returned: bool,
    /// Where it ran before the transfer under way (stopped there when it arrives).
    pub moving_from: Option<Loc>,
    /// The site that handed it to the site it is on its way to (a protocol delegation's last
    /// hop), when not its entry site: whose contract it uses there.
    pub via: Option<SiteId>,
    /// The contract its current private stay counts against: (user, provider site).
    pub charged: Option<(String, SiteId)>,
}

impl Tracked {
    /// A request that has not arrived yet.
    pub fn new(req: Request) -> Tracked {
        Tracked {
            req,
            loc: Loc::Waiting,
            started: None,
            finish: None,
            stays: Vec::new(),
            burst: false,
            forwarded: false,
            returned: false,
            moving_from: None,
            via: None,
            charged: None,
        }
    }

    /// Its CPU demand when placed: vCPUs × MIPS per vCPU.
    pub fn mips(&self) -> f64 {
        f64::from(self.req.vcpus) * self.req.mips
    }
}

/// Headline counts over the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Requests that arrived.
    pub requests: u64,
    /// Requests that ran somewhere.
    pub served: u64,
    /// Requests no cloud took.
    pub rejected: u64,
    /// Requests that ran on a public cloud.
    pub burst: u64,
    /// Requests that came back to their entry site.
    pub returned: u64,
    /// Requests handed to a site other than their entry site.
    pub forwarded: u64,
    /// Requests with a deadline that were not finished by it.
    pub deadline_misses: u64,
}

/// Every request's record, VM owners, contract use and cross-site networks.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    tracked: Vec<Tracked>,
    /// Which private VM belongs to which request: (site, vm) → request.
    owners: BTreeMap<(SiteId, VmId), RequestId>,
    /// Contract use: (user, provider site) → (VMs, vCPUs); a VM delegated along a chain uses
    /// the contract of the site that handed it to its destination.
    used: BTreeMap<(String, SiteId), (u32, u32)>,
    /// Cross-site networks set up: (network, site, site), the smaller site first.
    networks: BTreeSet<(String, SiteId, SiteId)>,
}

impl Ledger {
    /// A ledger of `requests`, none arrived.
    pub fn new(requests: Vec<Request>) -> Ledger {
        Ledger {
            tracked: requests.into_iter().map(Tracked::new).collect(),
            ..Ledger::default()
        }
    }

    /// Every request's record, in arrival order.
    pub fn all(&self) -> &[Tracked] {
        &self.tracked
    }

    /// Every request, in arrival order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = RequestId> {
        RequestId::all(self.tracked.len())
    }

    /// Request `r`'s record.
    pub fn get(&self, r: RequestId) -> &Tracked {
        &self.tracked[r.0]
    }

    /// Request `r`'s record, to update.
    pub fn get_mut(&mut self, r: RequestId) -> &mut Tracked {
        &mut self.tracked[r.0]
    }

    /// The request named `name`.
    pub fn find(&self, name: &str) -> Option<RequestId> {
        self.tracked
            .iter()
            .position(|t| t.req.name == name)
            .map(RequestId)
    }

    /// The request owning VM `vm` of private site `site`.
    pub fn owner(&self, site: SiteId, vm: VmId) -> Option<RequestId> {
        self.owners.get(&(site, vm)).copied()
    }

    /// Request `r` runs as VM `vm` of site `site` from `now` until `end`, counting against
    /// `user`'s contract there.
    pub fn placed(
        &mut self,
        r: RequestId,
        site: SiteId,
        vm: VmId,
        now: Millis,
        end: Millis,
        user: String,
    ) {
        self.tracked[r.0].stays.push((site, now, end));
        self.owners.insert((site, vm), r);
        let vcpus = self.tracked[r.0].req.vcpus;
        let u = self.used.entry((user.clone(), site)).or_default();
        u.0 += 1;
        u.1 += vcpus;
        self.tracked[r.0].charged = Some((user, site));
    }

    /// Request `r`'s stay at `site` ends at `now` (if it was there and not over) and its
    /// contract use is given back.
    pub fn end_stay(&mut self, r: RequestId, site: SiteId, now: Millis) {
        let t = &mut self.tracked[r.0];
        if let Some(stay) = t.stays.last_mut() {
            if stay.0 == site && stay.2 > now {
                stay.2 = now;
            }
        }
        if let Some(key) = t.charged.take() {
            if let Some(u) = self.used.get_mut(&key) {
                u.0 = u.0.saturating_sub(1);
                u.1 = u.1.saturating_sub(t.req.vcpus);
            }
        }
    }

    /// VMs and vCPUs `user` runs at site `provider` under its contract.
    pub fn contract_use(&self, user: &str, provider: SiteId) -> (u32, u32) {
        self.used
            .get(&(user.to_string(), provider))
            .copied()
            .unwrap_or_default()
    }

    /// Request `r`'s virtual network and the sites where each other member runs or is headed,
    /// in request order (`None` without a network).
    pub fn network_peers(&self, r: RequestId) -> Option<(&str, Vec<SiteId>)> {
        let net = self.tracked[r.0].req.network.as_ref()?;
        let sites = self
            .tracked
            .iter()
            .enumerate()
            .filter(|(q, t)| *q != r.0 && t.req.network.as_ref() == Some(net))
            .filter_map(|(_, t)| t.loc.site())
            .collect();
        Some((net, sites))
    }

    /// Records network `net` between sites `a` and `b`; whether it is new.
    pub fn extend_network(&mut self, net: &str, a: SiteId, b: SiteId) -> bool {
        self.networks.insert((net.to_string(), a.min(b), a.max(b)))
    }

    /// Time left of request `r`'s lifetime from `now` at nominal speed (`None`: to the end).
    pub fn remaining(&self, r: RequestId, now: Millis) -> Option<Millis> {
        let t = &self.tracked[r.0];
        let l = t.req.lifetime?;
        let used: Millis = match t.started {
            Some(s) => now.saturating_sub(s).min(l),
            None => 0,
        };
        Some(l - used)
    }

    /// VM-hours the requests spent at private site `s` up to `until`.
    pub fn hours_at(&self, s: SiteId, until: Millis) -> f64 {
        self.tracked
            .iter()
            .flat_map(|t| &t.stays)
            .filter(|st| st.0 == s)
            .map(|st| to_secs(st.2.min(until).saturating_sub(st.1)) / 3600.0)
            .fold(0.0, |a, b| a + b)
    }

    /// The headline counts at the end `end` of the run.
    pub fn counts(&self, end: Millis) -> Counts {
        let count =
            |f: &dyn Fn(&Tracked) -> bool| self.tracked.iter().filter(|t| f(t)).count() as u64;
        Counts {
            requests: count(&|t| t.req.arrival <= end),
            served: count(&|t| t.started.is_some()),
            rejected: count(&|t| t.loc == Loc::Rejected),
            burst: count(&|t| t.burst),
            returned: count(&|t| t.returned),
            forwarded: count(&|t| t.forwarded),
            deadline_misses: count(&|t| {
                t.req
                    .deadline
                    .is_some_and(|d| t.loc == Loc::Rejected || t.finish.is_none_or(|f| f > d))
            }),
        }
    }
}
