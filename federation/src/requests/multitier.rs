//! The multitier architecture and the tight coupling's remote operations: a parent cloud OS
//! (not a site) places every request on a host of one of its children, the host with the most
//! free CPU among those with room ([`crate::policy::routing::roomiest_host`]), from its
//! per-host monitoring plus what it placed since the last snapshot, and the child deploys it
//! there. A child whose relationship with the parent is not tight is skipped with a
//! `forbidden` event. A party may also live-migrate a running request to a host of another
//! site.

use super::ledger::Loc;
use super::Requests;
use crate::coupling::{FederationError, RemoteOp, RemoteView, SiteState};
use crate::ids::{RequestId, SiteId};
use crate::policy::routing::{reserve, roomiest_host};
use crate::world::World;
use orrery_engine::view::HostId;

impl Requests {
    /// The parent's per-host picture of child `c`: its last snapshot plus what the parent
    /// placed there since (before its first snapshot arrives, the child's current state).
    fn parent_view(
        &self,
        world: &World,
        parent: &str,
        c: SiteId,
    ) -> Result<SiteState, FederationError> {
        world.check(parent, c, RemoteOp::PlaceOnHost)?;
        let (at, hosts) = match world.remote_view_at(parent, c) {
            Some((at, RemoteView::Hosts(h))) => (at, h.clone()),
            _ => (
                world.now(),
                world
                    .sites()
                    .private(c)
                    .map(|p| p.state().hosts)
                    .unwrap_or_default(),
            ),
        };
        let mut state = SiteState { at, hosts };
        for t in self.ledger.all() {
            let fresh = t.stays.iter().any(|st| st.0 == c && st.1 >= at)
                || t.loc == Loc::InTransit { to: c };
            if fresh && !matches!(t.loc, Loc::Done | Loc::Rejected) {
                reserve(&mut state, t.mips(), t.req.memory_mb);
            }
        }
        Ok(state)
    }

    /// `parent` places request `r` on the roomiest host of its `children` it may see.
    pub(super) fn parent_place(
        &mut self,
        world: &mut World,
        r: RequestId,
        parent: &str,
        children: &[String],
    ) {
        let (mips, memory_mb) = (self.ledger.get(r).mips(), self.ledger.get(r).req.memory_mb);
        let children: Vec<SiteId> = children.iter().filter_map(|c| world.site_id(c)).collect();
        let mut states = Vec::new();
        for c in children {
            match self
                .parent_view(world, parent, c)
                .and_then(|s| self.network_check(world, r, c).map(|()| s))
            {
                Ok(s) => states.push((c, s)),
                Err(e) => world.log("forbidden", Some(c), Some(r), e.to_string()),
            }
        }
        match roomiest_host(&states, mips, memory_mb) {
            Some((c, h)) => {
                if let Err(e) = self.place_on_host(world, parent, r, c, h) {
                    self.reject(world, r, e.to_string());
                }
            }
            None => self.reject(world, r, "no child host has room".into()),
        }
    }

    /// `party` places request `r` on host `host` of site `site` (tight coupling only).
    pub fn place_on_host(
        &mut self,
        world: &mut World,
        party: &str,
        r: RequestId,
        site: SiteId,
        host: HostId,
    ) -> Result<(), FederationError> {
        world.check(party, site, RemoteOp::PlaceOnHost)?;
        self.network_check(world, r, site)?;
        let hosts = world
            .sites()
            .private(site)
            .map_or(0, |p| p.view().hosts.len());
        if host >= hosts {
            return Err(FederationError::Refused {
                site: world.name(site).to_string(),
                reason: format!("no host {host}"),
            });
        }
        let detail = format!("{party} chose host {host}");
        world.log("remote_placement", Some(site), Some(r), detail);
        let req = &self.ledger.get(r).req;
        let (entry, mb) = (req.entry, req.image_mb);
        self.transfer(world, r, entry, site, mb, Some(host));
        Ok(())
    }

    /// `party` (the site request `r` runs at, or a parent) live-migrates it to host `host` of
    /// site `to`: its memory crosses the link while it keeps running, then it resumes there.
    pub fn live_migrate(
        &mut self,
        world: &mut World,
        party: &str,
        r: RequestId,
        to: SiteId,
        host: HostId,
    ) -> Result<(), FederationError> {
        let Loc::Private { site, .. } = self.ledger.get(r).loc else {
            return Err(FederationError::Refused {
                site: world.name(to).to_string(),
                reason: format!(
                    "{} is not running at a private site",
                    self.ledger.get(r).req.name
                ),
            });
        };
        world.check(party, to, RemoteOp::LiveMigrate)?;
        if party != world.name(site) {
            world.check(party, site, RemoteOp::LiveMigrate)?;
        }
        self.network_check(world, r, to)?;
        let detail = format!("to {} host {host}", world.name(to));
        world.log("live_migration", Some(site), Some(r), detail);
        let mb = self.ledger.get(r).req.memory_mb;
        self.transfer(world, r, site, to, mb, Some(host));
        Ok(())
    }
}
