//! The four federation architectures (seed 000) as routing rules over the runtime:
//!
//! * **bursting**: requests go to the home site unless [`burst_reason`] says otherwise; burst
//!   requests run on the cheapest public cloud with quota and come back (a cold migration)
//!   once the home site is below `return_below` with them.
//! * **broker**: every site is offered to the broker ([`choose`]), which takes the best
//!   feasible one under the request's deadline and budget for its goal.
//! * **aggregated**: a site takes what fits; what does not goes to partners through the
//!   cross-site migration protocol (seed 002), a primary placement as a cold migration, over
//!   contracts with limits.
//! * **multitier**: a parent with tight coupling to its children places each request on a
//!   child host it picks from its monitoring, as if the children were one cloud.

use crate::policy::broker::{choose, CloudOffer, Goal, Request as BrokerRequest};
use crate::policy::protocol::{
    Message, Outcome as ProtocolOutcome, SiteAgent, SiteName, SitePolicy, VmDescriptor,
};
use crate::policy::routing::{
    burst_reason, checksum, home_with, private_offer, reserve, roomiest_host, FirstFit,
};
use orrery_engine::model::VmState;
use orrery_engine::time::{from_secs, to_secs, Millis};
use orrery_engine::view::HostId;

use crate::coupling::{FederationError, RemoteOp, RemoteView, SiteState};
use crate::runtime::{Event, Loc, Runtime, Site};
use crate::spec::{ArchitectureSpec, SiteSpec};

impl Runtime {
    pub(crate) fn init_architecture(&mut self) {
        if let ArchitectureSpec::Aggregated {
            partners,
            max_depth,
        } = &self.fed.spec.architecture
        {
            for s in 0..self.sites.len() {
                if !matches!(self.sites[s], Site::Private(_)) {
                    continue;
                }
                let delegate_to = self
                    .partners_of(s, partners)
                    .into_iter()
                    .map(|p| SiteName(self.names[p].clone()))
                    .collect();
                let policy = SitePolicy {
                    delegate_to,
                    max_depth: *max_depth,
                    ..SitePolicy::default()
                };
                let mut rng = self.streams.stream("federation-proxy", s as u64);
                let agent = SiteAgent::new(SiteName(self.names[s].clone()), policy, &mut rng);
                self.agents.insert(s, agent);
            }
        }
    }

    /// Site `s`'s partners: as listed, else every private site it has a relationship with.
    fn partners_of(&self, s: usize, listed: &[crate::spec::PartnerSpec]) -> Vec<usize> {
        let name = &self.names[s];
        match listed.iter().find(|p| &p.site == name) {
            Some(p) => p
                .partners
                .iter()
                .filter_map(|q| self.fed.site_index(q))
                .collect(),
            None => (0..self.sites.len())
                .filter(|&q| q != s && matches!(self.sites[q], Site::Private(_)))
                .filter(|&q| self.fed.coupling(name, &self.names[q]).is_some())
                .collect(),
        }
    }

    /// Site `s`'s state as its cloud OS will see it once the requests already handed to it
    /// (still arriving or on their way) are placed.
    pub fn planned_state(&self, s: usize) -> SiteState {
        let Some(p) = self.private(s) else {
            return SiteState::default();
        };
        let mut state = p.state();
        for t in &self.tracked {
            let coming = match t.loc {
                Loc::InTransit { to } => to == s,
                Loc::Private { site, vm } => {
                    site == s && matches!(p.view().vms[vm].state, VmState::Future)
                }
                _ => false,
            };
            if coming {
                reserve(
                    &mut state,
                    f64::from(t.req.vcpus) * t.req.mips,
                    t.req.memory_mb,
                );
            }
        }
        state
    }

    fn pending_at(&self, s: usize) -> usize {
        self.private(s).map_or(0, |p| {
            p.view()
                .vms
                .iter()
                .filter(|v| v.state == VmState::Pending)
                .count()
        })
    }

    /// Sends request `r` where its architecture says.
    pub(crate) fn route(&mut self, r: usize) {
        let req = self.tracked[r].req.clone();
        let mips = f64::from(req.vcpus) * req.mips;
        match self.fed.spec.architecture.clone() {
            ArchitectureSpec::Bursting {
                home, threshold, ..
            } => {
                let h = self.fed.site_index(&home).expect("checked on load");
                let state = self.planned_state(h);
                match burst_reason(&state, self.pending_at(h), mips, req.memory_mb, threshold) {
                    Some(why) => self.burst(r, h, why),
                    None => self.send_or_reject(r, req.entry, h, req.image_mb),
                }
            }
            ArchitectureSpec::Broker {
                metabroker: Some(config),
                ..
            } => match self.meta_choose(r, &config) {
                Ok(s) => {
                    let (entry, mb) = (req.entry, req.image_mb);
                    self.transfer(r, entry, s, mb, None);
                }
                Err(why) => self.reject(r, why),
            },
            ArchitectureSpec::Broker { goal, .. } => self.broker(r, goal),
            ArchitectureSpec::Aggregated { .. } => {
                let e = req.entry;
                let mut state = self.planned_state(e);
                if reserve(&mut state, mips, req.memory_mb).is_some() {
                    self.send_or_reject(r, e, e, req.image_mb);
                } else {
                    self.aggregate(r, e);
                }
            }
            ArchitectureSpec::Multitier { parent, children } => {
                self.parent_place(r, &parent, &children)
            }
        }
    }

    /// Request `r` was refused by `site`: bursting sends it to a public cloud, aggregation
    /// to the partners; otherwise it is rejected.
    pub(crate) fn reroute(&mut self, r: usize, site: usize) {
        match self.fed.spec.architecture.clone() {
            ArchitectureSpec::Bursting { home, .. } if self.fed.site_index(&home) == Some(site) => {
                self.burst(r, site, "refused at home".into())
            }
            ArchitectureSpec::Aggregated { .. } if site == self.tracked[r].req.entry => {
                self.aggregate(r, site)
            }
            _ => self.reject(r, format!("refused by {}", self.names[site])),
        }
    }

    /// Sends request `r` to `to` unless its network may not reach there.
    fn send_or_reject(&mut self, r: usize, from: usize, to: usize, mb: f64) {
        match self.network_check(r, to) {
            Ok(()) => self.transfer(r, from, to, mb, None),
            Err(e) => self.reject(r, e.to_string()),
        }
    }

    /// The sites of `sites` request `r`'s network may reach, and the first refusal.
    fn reachable(&self, r: usize, sites: Vec<usize>) -> (Vec<usize>, Option<FederationError>) {
        let mut refusal = None;
        let ok = sites
            .into_iter()
            .filter(|&s| match self.network_check(r, s) {
                Ok(()) => true,
                Err(e) => {
                    refusal.get_or_insert(e);
                    false
                }
            })
            .collect();
        (ok, refusal)
    }

    fn reject(&mut self, r: usize, why: String) {
        self.tracked[r].loc = Loc::Rejected;
        let entry = self.tracked[r].req.entry;
        self.log("reject", Some(entry), Some(r), why);
    }

    fn link_delay(&self, from: usize, to: usize, mb: f64) -> Millis {
        if from == to {
            return 0;
        }
        self.link(from, to).map_or(0, |l| l.transfer(mb))
    }

    /// What site `s` offers the broker for request `r`, moved there from `from`.
    pub(crate) fn offer(&self, s: usize, r: usize, from: usize) -> Option<CloudOffer> {
        let req = &self.tracked[r].req;
        let carry = self.link_delay(from, s, req.image_mb);
        match (&self.sites[s], &self.fed.spec.sites[s]) {
            (Site::Public(c), _) => {
                let mut o = c.offer(req.vcpus, req.memory_mb, req.mips, self.now)?;
                o.provisioning_delay += carry;
                Some(o)
            }
            (
                Site::Private(_),
                SiteSpec::Private {
                    price_per_vm_hour,
                    energy_per_vm_hour,
                    ..
                },
            ) => {
                let boot = self.fed.scenarios[s]
                    .as_ref()
                    .map_or(0, |sc| from_secs(sc.spec.workload.vm_boot_s));
                Some(private_offer(
                    self.names[s].clone(),
                    self.planned_state(s),
                    f64::from(req.vcpus) * req.mips,
                    req.memory_mb,
                    *price_per_vm_hour,
                    *energy_per_vm_hour,
                    carry + boot,
                ))
            }
            (Site::Private(_), SiteSpec::Public { .. }) => None,
        }
    }

    pub(crate) fn broker_request(&self, r: usize) -> BrokerRequest {
        let req = &self.tracked[r].req;
        BrokerRequest {
            work_mi: req.work_mi(self.end),
            vms: 1,
            deadline: req.deadline.unwrap_or(Millis::MAX),
            budget: req.budget.unwrap_or(f64::INFINITY),
        }
    }

    fn broker(&mut self, r: usize, goal: Goal) {
        let entry = self.tracked[r].req.entry;
        let (sites, refusal) = self.reachable(r, (0..self.sites.len()).collect());
        let offers: Vec<CloudOffer> = sites
            .into_iter()
            .filter_map(|s| self.offer(s, r, entry))
            .collect();
        if let (true, Some(e)) = (offers.is_empty(), refusal) {
            return self.reject(r, e.to_string());
        }
        match choose(&offers, &self.broker_request(r), self.now, goal) {
            Ok(est) => {
                let s = self.fed.site_index(&est.cloud).expect("offers name sites");
                self.log(
                    "broker_choice",
                    Some(s),
                    Some(r),
                    format!(
                        "cost {:.3}, finish {} s, energy {:.3}",
                        est.cost,
                        to_secs(est.finish),
                        est.energy
                    ),
                );
                let mb = self.tracked[r].req.image_mb;
                self.transfer(r, entry, s, mb, None);
            }
            Err(infeasible) => self.reject(r, infeasible.to_string()),
        }
    }

    fn burst(&mut self, r: usize, home: usize, why: String) {
        let public: Vec<usize> = (0..self.sites.len())
            .filter(|&s| matches!(self.sites[s], Site::Public(_)))
            .filter(|&s| self.check(&self.names[home], s, RemoteOp::Request).is_ok())
            .collect();
        let (sites, refusal) = self.reachable(r, public);
        if let (true, Some(e)) = (sites.is_empty(), refusal) {
            return self.reject(r, format!("{why}; {e}"));
        }
        let offers: Vec<CloudOffer> = sites
            .into_iter()
            .filter_map(|s| self.offer(s, r, home))
            .collect();
        let request = BrokerRequest {
            deadline: Millis::MAX,
            budget: f64::INFINITY,
            ..self.broker_request(r)
        };
        match choose(&offers, &request, self.now, Goal::Cheapest) {
            Ok(est) => {
                let s = self.fed.site_index(&est.cloud).expect("offers name sites");
                self.log("burst", Some(s), Some(r), why);
                let mb = self.tracked[r].req.image_mb;
                self.transfer(r, self.tracked[r].req.entry, s, mb, None);
            }
            Err(infeasible) => self.reject(r, format!("{why}; {infeasible}")),
        }
    }

    /// Bursting's return: burst requests come home, oldest first, while the home site stays
    /// at or below `return_below` with them and nothing is pending there.
    pub(crate) fn on_tick(&mut self) {
        match self.fed.spec.architecture.clone() {
            ArchitectureSpec::Bursting {
                home, return_below, ..
            } => self.bring_back(&home, return_below),
            ArchitectureSpec::Aggregated { .. } => self.reclaim(),
            ArchitectureSpec::Broker { .. } | ArchitectureSpec::Multitier { .. } => {}
        }
    }

    /// Aggregation's return: a request running at a partner comes back to its entry site
    /// through the protocol (a forced migration of the running VM) once the entry site has
    /// room for it and nothing pending.
    fn reclaim(&mut self) {
        for r in 0..self.tracked.len() {
            let Loc::Private { site, .. } = self.tracked[r].loc else {
                continue;
            };
            let e = self.tracked[r].req.entry;
            if site == e || self.in_protocol.contains(&r) || self.pending_at(e) > 0 {
                continue;
            }
            let req = &self.tracked[r].req;
            let mut state = self.planned_state(e);
            if reserve(&mut state, f64::from(req.vcpus) * req.mips, req.memory_mb).is_none() {
                continue;
            }
            let name = req.name.clone();
            self.log(
                "reclaim",
                Some(e),
                Some(r),
                format!("from {}", self.names[site]),
            );
            let home = SiteName(self.names[e].clone());
            let step = self
                .agents
                .get_mut(&e)
                .expect("private sites have agents")
                .start_migration(&name, &[home]);
            self.start_protocol(r, step);
            // One hand-back per round: the next round sees this one's reservation.
            return;
        }
    }

    fn start_protocol(&mut self, r: usize, step: crate::policy::protocol::Step) {
        if let Some(m) = step.messages.first() {
            self.migrations.insert(m.migration.clone(), r);
            self.in_protocol.insert(r);
        }
        self.protocol_step(step);
    }

    fn bring_back(&mut self, home: &str, return_below: f64) {
        let h = self.fed.site_index(home).expect("checked on load");
        if self.pending_at(h) > 0 {
            return;
        }
        let mut state = self.planned_state(h);
        for r in 0..self.tracked.len() {
            let Loc::Public { site, instance } = self.tracked[r].loc else {
                continue;
            };
            let Site::Public(c) = &self.sites[site] else {
                continue;
            };
            if c.instances[instance].ready > self.now
                || self.tracked[r].finish.is_some_and(|f| f <= self.now)
            {
                continue;
            }
            if self.network_check(r, h).is_err() {
                continue;
            }
            let req = &self.tracked[r].req;
            let mips = f64::from(req.vcpus) * req.mips;
            let Some(with) = home_with(&state, mips, req.memory_mb, return_below) else {
                break;
            };
            state = with;
            let mb = req.image_mb;
            self.tracked[r].returned = true;
            self.log(
                "return",
                Some(h),
                Some(r),
                format!("from {}", self.names[site]),
            );
            self.transfer(r, site, h, mb, None);
        }
    }

    /// Hands request `r`, entering at `e`, to `e`'s partners through the protocol.
    fn aggregate(&mut self, r: usize, e: usize) {
        let ArchitectureSpec::Aggregated { partners, .. } = self.fed.spec.architecture.clone()
        else {
            return;
        };
        let vcpus = self.tracked[r].req.vcpus;
        let mut candidates = Vec::new();
        for p in self.partners_of(e, &partners) {
            let allowed = self
                .check(&self.names[e], p, RemoteOp::ProtocolHandover)
                .and_then(|_| self.network_check(r, p));
            match allowed {
                Err(err) => self.log("forbidden", Some(p), Some(r), err.to_string()),
                Ok(_) if !self.contract(&self.names[e], p).admits(vcpus) => {
                    self.log("contract_full", Some(p), Some(r), String::new())
                }
                Ok(_) => candidates.push(SiteName(self.names[p].clone())),
            }
        }
        if candidates.is_empty() {
            return self.reject(r, "no partner may take it".into());
        }
        let req = &self.tracked[r].req;
        let vm = VmDescriptor {
            id: req.name.clone(),
            vcpus: req.vcpus,
            memory_mb: req.memory_mb as u64,
            image_mb: req.image_mb as u64,
            checksum: checksum(&req.name),
        };
        self.tracked[r].loc = Loc::InTransit { to: e };
        let step = self
            .agents
            .get_mut(&e)
            .expect("private sites have agents")
            .start_placement(vm, &candidates);
        self.start_protocol(r, step);
    }

    fn protocol_step(&mut self, step: crate::policy::protocol::Step) {
        for msg in step.messages {
            let (from, to) = (
                self.fed.site_index(&msg.from.0).expect("agents are sites"),
                self.fed.site_index(&msg.to.0).expect("agents are sites"),
            );
            let r = self.migrations.get(&msg.migration).copied();
            let delay = self.wan(from, to, msg.payload_mb() as f64, r);
            self.queue
                .push(self.now + delay, Event::Protocol(Box::new(msg)));
        }
        for outcome in step.outcomes {
            self.protocol_outcome(outcome);
        }
    }

    pub(crate) fn deliver_message(&mut self, msg: Message) {
        let to = self.fed.site_index(&msg.to.0).expect("agents are sites");
        *self.protocol_messages.entry(msg.kind()).or_default() += 1;
        let r = self.migrations.get(&msg.migration).copied();
        self.log(msg.kind(), Some(to), r, msg.to_string());
        if msg.kind() == "migration_request" {
            let from = self.fed.site_index(&msg.from.0).expect("agents are sites");
            self.asked_by.insert((msg.migration.clone(), to), from);
        }
        // The partners `to` may hand a VM on to, with its contract at each.
        let contracts = (0..self.sites.len())
            .filter(|&p| p != to)
            .filter(|&p| {
                self.check(&self.names[to], p, RemoteOp::ProtocolHandover)
                    .is_ok()
            })
            .map(|p| (self.names[p].clone(), self.contract(&self.names[to], p)))
            .collect();
        let tracked = &self.tracked;
        let size_of = |id: &str| {
            let t = tracked.iter().find(|t| t.req.name == id)?;
            Some((f64::from(t.req.vcpus) * t.req.mips, t.req.memory_mb))
        };
        let mut chooser = FirstFit::new(self.planned_state(to), size_of, contracts);
        let step = self
            .agents
            .get_mut(&to)
            .expect("messages go to agents")
            .handle(msg, &mut chooser);
        self.protocol_step(step);
    }

    fn protocol_outcome(&mut self, outcome: ProtocolOutcome) {
        match outcome {
            ProtocolOutcome::Accepted {
                migration: outcome_run,
                vm,
                site,
                handle,
                ..
            } => {
                let Some(r) = self.tracked.iter().position(|t| t.req.name == vm) else {
                    return;
                };
                let s = self.fed.site_index(&site.0).expect("agents are sites");
                let asker = self.asked_by.get(&(outcome_run.clone(), s)).copied();
                self.asked_by.retain(|(run, _), _| *run != outcome_run);
                // Only the destination resolves its token to a host.
                let host = self.agents[&s].resolve(&handle).and_then(|name| {
                    self.private(s)
                        .and_then(|p| p.view().hosts.iter().position(|h| h.name == name))
                });
                self.in_protocol.remove(&r);
                if self.tracked[r].loc == Loc::Done {
                    return; // its lifetime ended while the protocol ran
                }
                let entry = self.tracked[r].req.entry;
                self.tracked[r].forwarded |= s != entry;
                let at = self.tracked[r].loc;
                if let Loc::Private { site: from, .. } = at {
                    // A running VM moved: it stops at its old site when it resumes here.
                    self.tracked[r].moving_from = Some(at);
                    self.tracked[r].returned |= s == entry;
                    if let Some(agent) = self.agents.get_mut(&from) {
                        agent.release(&vm);
                    }
                }
                self.tracked[r].loc = Loc::InTransit { to: s };
                self.tracked[r].via = asker.filter(|&a| a != entry);
                self.queue
                    .push(self.now, Event::Deliver { r, site: s, host });
            }
            ProtocolOutcome::Refused { vm, reason, .. } => {
                let Some(r) = self.tracked.iter().position(|t| t.req.name == vm) else {
                    return;
                };
                self.in_protocol.remove(&r);
                match self.tracked[r].loc {
                    // A hand-back that failed leaves the VM where it runs.
                    Loc::Private { .. } => {
                        self.log("reclaim_refused", None, Some(r), reason.to_string())
                    }
                    _ => self.reject(r, format!("protocol: {reason}")),
                }
            }
        }
    }

    /// The parent's per-host picture of child `c`: its last snapshot plus what the parent
    /// placed there since (before its first snapshot arrives, the child's current state).
    fn parent_view(&self, parent: &str, c: usize) -> Result<SiteState, FederationError> {
        self.check(parent, c, RemoteOp::PlaceOnHost)?;
        let (at, hosts) = match self.remote_view_at(parent, c) {
            Some((at, RemoteView::Hosts(h))) => (at, h.clone()),
            _ => (
                self.now,
                self.private(c).map(|p| p.state().hosts).unwrap_or_default(),
            ),
        };
        let mut state = SiteState { at, hosts };
        for t in &self.tracked {
            let fresh = t.stays.iter().any(|st| st.0 == c && st.1 >= at)
                || t.loc == Loc::InTransit { to: c };
            if fresh && !matches!(t.loc, Loc::Done | Loc::Rejected) {
                reserve(
                    &mut state,
                    f64::from(t.req.vcpus) * t.req.mips,
                    t.req.memory_mb,
                );
            }
        }
        Ok(state)
    }

    fn parent_place(&mut self, r: usize, parent: &str, children: &[String]) {
        let req = self.tracked[r].req.clone();
        let mips = f64::from(req.vcpus) * req.mips;
        let children: Vec<usize> = children
            .iter()
            .filter_map(|c| self.fed.site_index(c))
            .collect();
        let mut states = Vec::new();
        for c in children {
            match self
                .parent_view(parent, c)
                .and_then(|s| self.network_check(r, c).map(|()| s))
            {
                Ok(s) => states.push((c, s)),
                Err(e) => self.log("forbidden", Some(c), Some(r), e.to_string()),
            }
        }
        match roomiest_host(&states, mips, req.memory_mb) {
            Some((c, h)) => {
                if let Err(e) = self.place_on_host(parent, r, c, h) {
                    self.reject(r, e.to_string());
                }
            }
            None => self.reject(r, "no child host has room".into()),
        }
    }

    /// `party` places request `r` on host `host` of site `site` (tight coupling only).
    pub fn place_on_host(
        &mut self,
        party: &str,
        r: usize,
        site: usize,
        host: HostId,
    ) -> Result<(), FederationError> {
        self.check(party, site, RemoteOp::PlaceOnHost)?;
        self.network_check(r, site)?;
        let hosts = self.private(site).map_or(0, |p| p.view().hosts.len());
        if host >= hosts {
            return Err(FederationError::Refused {
                site: self.names[site].clone(),
                reason: format!("no host {host}"),
            });
        }
        self.log(
            "remote_placement",
            Some(site),
            Some(r),
            format!("{party} chose host {host}"),
        );
        let (entry, mb) = (self.tracked[r].req.entry, self.tracked[r].req.image_mb);
        self.transfer(r, entry, site, mb, Some(host));
        Ok(())
    }

    /// `party` (the site request `r` runs at, or a parent) live-migrates it to host `host` of
    /// site `to`: its memory crosses the link while it keeps running, then it resumes there.
    pub fn live_migrate(
        &mut self,
        party: &str,
        r: usize,
        to: usize,
        host: HostId,
    ) -> Result<(), FederationError> {
        let Loc::Private { site, .. } = self.tracked[r].loc else {
            return Err(FederationError::Refused {
                site: self.names[to].clone(),
                reason: format!(
                    "{} is not running at a private site",
                    self.tracked[r].req.name
                ),
            });
        };
        self.check(party, to, RemoteOp::LiveMigrate)?;
        if party != self.names[site] {
            self.check(party, site, RemoteOp::LiveMigrate)?;
        }
        self.network_check(r, to)?;
        self.log(
            "live_migration",
            Some(site),
            Some(r),
            format!("to {} host {host}", self.names[to]),
        );
        let mb = self.tracked[r].req.memory_mb;
        self.transfer(r, site, to, mb, Some(host));
        Ok(())
    }
}
