//! The WAN: links between sites, the time a transfer takes over them, and the traffic each
//! link direction carried.

use std::collections::BTreeMap;

use orrery_engine::time::{from_secs, Millis};

use crate::ids::SiteId;
use crate::spec::Federation;

/// A WAN link.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    /// One-way latency, ms.
    pub latency: Millis,
    /// Bandwidth, Mbit/s.
    pub bandwidth_mbps: f64,
}

impl Link {
    /// Time to move `mb` megabytes: latency plus size over bandwidth.
    pub fn transfer(&self, mb: f64) -> Millis {
        self.latency + (mb * 8.0 / self.bandwidth_mbps * 1000.0).ceil() as Millis
    }
}

/// The links between sites (each file link in both directions) and the MB moved per ordered
/// pair of sites.
#[derive(Debug, Clone, Default)]
pub struct Wan {
    links: BTreeMap<(SiteId, SiteId), Link>,
    traffic_mb: BTreeMap<(SiteId, SiteId), f64>,
}

impl Wan {
    /// The links of `fed`.
    pub fn new(fed: &Federation) -> Wan {
        let mut links = BTreeMap::new();
        for l in &fed.spec.links {
            let a = fed.site_index(&l.a).expect("checked on load");
            let b = fed.site_index(&l.b).expect("checked on load");
            let link = Link {
                latency: from_secs(l.latency_ms / 1000.0),
                bandwidth_mbps: l.bandwidth_mbps,
            };
            links.insert((a, b), link);
            links.insert((b, a), link);
        }
        Wan {
            links,
            traffic_mb: BTreeMap::new(),
        }
    }

    /// The link from site `a` to site `b`, if any.
    pub fn link(&self, a: SiteId, b: SiteId) -> Option<&Link> {
        self.links.get(&(a, b))
    }

    /// Time `mb` would take from `from` to `to` (none within a site or without a link),
    /// counting nothing.
    pub fn delay(&self, from: SiteId, to: SiteId, mb: f64) -> Millis {
        if from == to {
            return 0;
        }
        self.link(from, to).map_or(0, |l| l.transfer(mb))
    }

    /// Moves `mb` from `from` to `to`, counted as cross-site traffic: the time it takes (none
    /// within a site), or `None` when no link joins them.
    pub fn carry(&mut self, from: SiteId, to: SiteId, mb: f64) -> Option<Millis> {
        if from == to {
            return Some(0);
        }
        if mb > 0.0 {
            *self.traffic_mb.entry((from, to)).or_default() += mb;
        }
        self.link(from, to).map(|l| l.transfer(mb))
    }

    /// MB moved per (from, to) pair of sites.
    pub fn traffic_mb(&self) -> &BTreeMap<(SiteId, SiteId), f64> {
        &self.traffic_mb
    }
}
