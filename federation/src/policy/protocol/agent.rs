//! One site's side of the protocol ([`SiteAgent`]): its transfer proxy, the VMs it is
//! responsible for, its routes towards them, the requests it is waiting on and the migrations
//! it controls; each handler turns a delivered message into further messages and outcomes.

use std::collections::BTreeMap;

use orrery_engine::rng::Rng;
use rand::RngCore;

use super::message::{
    Body, Endpoint, Message, MigrationId, Outcome, Refusal, SiteName, Step, TransferStatus,
    VmDescriptor,
};
use super::proxy::{self, Grant, Location, TransferProxy};
use super::site_policy::{HostChooser, SitePolicy};

/// Where a VM this site is responsible for is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Where {
    Local(String),
    Delegated(SiteName),
}

#[derive(Debug, Clone)]
struct Holding {
    vm: VmDescriptor,
    at: Where,
}

/// Who is waiting for a round of migration requests.
#[derive(Debug, Clone)]
enum Waiter {
    Controller(u64),
    Relay { upstream: SiteName, req: u64 },
}

#[derive(Debug, Clone)]
struct Gather {
    waiter: Waiter,
    asked: Vec<(SiteName, Option<Result<Endpoint, Refusal>>)>,
}

/// What to do with the reply to a request this site sent.
#[derive(Debug, Clone)]
enum Pending {
    Gather(u64),
    Run(u64),
    Relay {
        upstream: SiteName,
        req: u64,
    },
    Fetch {
        upstream: SiteName,
        req: u64,
        token: proxy::Token,
    },
}

/// A migration this site controls.
#[derive(Debug, Clone)]
struct Run {
    vm: VmDescriptor,
    /// First hop towards the running VM; `None` for a primary placement.
    source_route: Option<SiteName>,
    /// First hop towards the destination and its endpoint.
    dest: Option<(SiteName, Endpoint)>,
    /// First hop towards the source and its endpoint.
    source: Option<(SiteName, Endpoint)>,
    /// What the destination reported for the latest attempt.
    received: Option<(Option<TransferStatus>, bool)>,
    attempts: u32,
}

/// One site's side of the protocol: its transfer proxy, the VMs it is responsible for, its
/// routes and the migrations it controls.
#[derive(Debug, Clone)]
pub struct SiteAgent {
    site: SiteName,
    policy: SitePolicy,
    proxy: TransferProxy,
    next_req: u64,
    next_migration: u64,
    holdings: BTreeMap<String, Holding>,
    upstream: BTreeMap<String, SiteName>,
    known: BTreeMap<String, VmDescriptor>,
    toward: BTreeMap<Endpoint, SiteName>,
    pending: BTreeMap<(SiteName, u64), Pending>,
    gathers: BTreeMap<u64, Gather>,
    runs: BTreeMap<u64, Run>,
}

impl SiteAgent {
    /// The agent of `site` under `policy`; its proxy key is drawn from `rng`.
    pub fn new(site: SiteName, policy: SitePolicy, rng: &mut Rng) -> Self {
        SiteAgent {
            site,
            policy,
            proxy: TransferProxy::new((rng.next_u64(), rng.next_u64())),
            next_req: 0,
            next_migration: 0,
            holdings: BTreeMap::new(),
            upstream: BTreeMap::new(),
            known: BTreeMap::new(),
            toward: BTreeMap::new(),
            pending: BTreeMap::new(),
            gathers: BTreeMap::new(),
            runs: BTreeMap::new(),
        }
    }

    /// The site's name.
    pub fn site(&self) -> &SiteName {
        &self.site
    }

    /// Records that `vm` runs on the local `host` (placed by the site's own scheduler).
    pub fn adopt(&mut self, vm: VmDescriptor, host: String) {
        self.holdings.insert(
            vm.id.clone(),
            Holding {
                vm,
                at: Where::Local(host),
            },
        );
    }

    /// The local host `vm` runs on, if it runs here.
    pub fn host_of(&self, vm: &str) -> Option<&str> {
        match &self.holdings.get(vm)?.at {
            Where::Local(h) => Some(h),
            Where::Delegated(_) => None,
        }
    }

    /// The site this site delegated `vm` to, if it did.
    pub fn delegated_to(&self, vm: &str) -> Option<&SiteName> {
        match &self.holdings.get(vm)?.at {
            Where::Delegated(s) => Some(s),
            Where::Local(_) => None,
        }
    }

    /// Forgets a VM that ran here and has moved away; returns the host it ran on.
    pub fn release(&mut self, vm: &str) -> Option<String> {
        match self.holdings.get(vm)?.at.clone() {
            Where::Local(h) => {
                self.holdings.remove(vm);
                self.upstream.remove(vm);
                Some(h)
            }
            Where::Delegated(_) => None,
        }
    }

    /// The local host a placement handle names, if this site's proxy issued it.
    pub fn resolve(&self, handle: &Endpoint) -> Option<&str> {
        if handle.proxy != self.site {
            return None;
        }
        match &self.proxy.resolve(handle.token)?.location {
            Location::Host(h) => Some(h),
            Location::Repository => None,
        }
    }

    /// Starts a primary placement of `vm` (a cold migration from this site's image
    /// repository), asking `candidates` (this site may be one of them).
    pub fn start_placement(&mut self, vm: VmDescriptor, candidates: &[SiteName]) -> Step {
        let mut out = Step::default();
        self.start_run(vm, None, candidates, &mut out);
        out
    }

    /// Starts migrating `vm`, which this site runs or delegated, to one of `candidates`.
    pub fn start_migration(&mut self, vm: &str, candidates: &[SiteName]) -> Step {
        let mut out = Step::default();
        match self.holdings.get(vm) {
            Some(h) => {
                let route = match &h.at {
                    Where::Local(_) => self.site.clone(),
                    Where::Delegated(s) => s.clone(),
                };
                self.start_run(h.vm.clone(), Some(route), candidates, &mut out);
            }
            None => self.refuse_unknown(vm, &mut out),
        }
        out
    }

    /// Demands, as the source, that `vm` be moved away: a `forced_migration` to the site that
    /// delegated it here, which becomes the controller and asks itself and its partners.
    pub fn evict(&mut self, vm: &str) -> Step {
        let mut out = Step::default();
        match self.upstream.get(vm).cloned() {
            Some(up) => {
                let migration = self.new_migration();
                let body = Body::Evict { vm: vm.to_string() };
                self.send(&mut out, up, migration, body, None);
            }
            None => self.refuse_unknown(vm, &mut out),
        }
        out
    }

    /// Handles one delivered message; `hosts` is the site's own placement decision.
    pub fn handle(&mut self, msg: Message, hosts: &mut dyn HostChooser) -> Step {
        let mut out = Step::default();
        let Message {
            from,
            migration,
            req,
            body,
            ..
        } = msg;
        match body {
            Body::MigrationRequest {
                vm,
                announced,
                depth,
                max_depth,
            } => {
                let r = Request {
                    from,
                    migration,
                    req,
                };
                let ask = Ask {
                    vm,
                    announced,
                    depth,
                    max_depth,
                };
                self.on_request(r, ask, hosts, &mut out)
            }
            Body::Evict { vm } => self.on_evict(from, &vm, &mut out),
            Body::Prepare { vm } => {
                let r = Request {
                    from,
                    migration,
                    req,
                };
                self.on_prepare(r, vm, &mut out)
            }
            Body::Initiate {
                vm,
                source,
                destination,
            } => {
                let r = Request {
                    from,
                    migration,
                    req,
                };
                self.on_initiate(r, vm, source, destination, &mut out)
            }
            Body::Fetch { token } => {
                let sent = self.proxy.resolve(token).map(|g| g.payload);
                self.reply(&mut out, from, migration, req, Body::ImageData(sent));
            }
            Body::Verify { source } => {
                let r = Request {
                    from,
                    migration,
                    req,
                };
                self.on_verify(r, source, &mut out)
            }
            reply => {
                // A reply nobody is waiting for (a duplicate) is dropped.
                if let Some(p) = self.pending.remove(&(from.clone(), req)) {
                    self.on_reply(p, from, migration, reply, &mut out);
                }
            }
        }
        out
    }

    fn new_migration(&mut self) -> MigrationId {
        self.next_migration += 1;
        MigrationId {
            controller: self.site.clone(),
            seq: self.next_migration,
        }
    }

    fn refuse_unknown(&mut self, vm: &str, out: &mut Step) {
        let migration = self.new_migration();
        out.outcomes.push(Outcome::Refused {
            migration,
            vm: vm.to_string(),
            reason: Refusal::Unknown,
        });
    }

    fn send(
        &mut self,
        out: &mut Step,
        to: SiteName,
        migration: MigrationId,
        body: Body,
        pending: Option<Pending>,
    ) {
        self.next_req += 1;
        let req = self.next_req;
        if let Some(p) = pending {
            self.pending.insert((to.clone(), req), p);
        }
        out.messages.push(Message {
            from: self.site.clone(),
            to,
            migration,
            req,
            body,
        });
    }

    fn reply(&self, out: &mut Step, to: SiteName, migration: MigrationId, req: u64, body: Body) {
        out.messages.push(Message {
            from: self.site.clone(),
            to,
            migration,
            req,
            body,
        });
    }

    fn start_run(
        &mut self,
        vm: VmDescriptor,
        source_route: Option<SiteName>,
        candidates: &[SiteName],
        out: &mut Step,
    ) {
        let migration = self.new_migration();
        if candidates.is_empty() {
            out.outcomes.push(Outcome::Refused {
                migration,
                vm: vm.id,
                reason: Refusal::NoCandidates,
            });
            return;
        }
        let announced = vm.payload(source_route.is_some());
        let ask = Ask {
            vm: vm.clone(),
            announced,
            depth: 0,
            max_depth: self.policy.max_depth,
        };
        self.runs.insert(
            migration.seq,
            Run {
                vm,
                source_route,
                dest: None,
                source: None,
                received: None,
                attempts: 0,
            },
        );
        let waiter = Waiter::Controller(migration.seq);
        self.gather(waiter, candidates.to_vec(), ask, migration, out);
    }

    fn gather(
        &mut self,
        waiter: Waiter,
        targets: Vec<SiteName>,
        ask: Ask,
        migration: MigrationId,
        out: &mut Step,
    ) {
        self.next_req += 1;
        let id = self.next_req;
        for t in &targets {
            let body = Body::MigrationRequest {
                vm: ask.vm.clone(),
                announced: ask.announced,
                depth: ask.depth,
                max_depth: ask.max_depth,
            };
            self.send(
                out,
                t.clone(),
                migration.clone(),
                body,
                Some(Pending::Gather(id)),
            );
        }
        let asked = targets.into_iter().map(|t| (t, None)).collect();
        self.gathers.insert(id, Gather { waiter, asked });
    }

    fn on_request(&mut self, r: Request, ask: Ask, hosts: &mut dyn HostChooser, out: &mut Step) {
        let Ask {
            vm,
            announced,
            depth,
            max_depth,
        } = ask;
        if !self.policy.accepts(&r.from, &self.site) {
            return r.answer(self, out, Body::Refused(Refusal::NotAccepted));
        }
        self.known.insert(vm.id.clone(), vm.clone());
        if let Some(host) = hosts.choose_host(&vm) {
            let token = self.proxy.issue(Grant {
                vm,
                location: Location::Host(host),
                payload: announced,
            });
            let offer = Endpoint {
                proxy: self.site.clone(),
                token,
            };
            return r.answer(self, out, Body::Offer(offer));
        }
        // A controller asking itself does not delegate: it asks its partners directly.
        let partners: Vec<SiteName> = (self.policy.delegate_to.iter())
            .filter(|p| r.from != self.site && **p != r.from && **p != self.site)
            .filter(|p| hosts.may_delegate(&vm, p))
            .cloned()
            .collect();
        let limit = max_depth.min(self.policy.max_depth);
        if partners.is_empty() {
            r.answer(self, out, Body::Refused(Refusal::NoCapacity));
        } else if depth >= limit {
            let refusal = Refusal::DepthLimit { max_depth: limit };
            r.answer(self, out, Body::Refused(refusal));
        } else {
            let ask = Ask {
                vm,
                announced,
                depth: depth + 1,
                max_depth: limit,
            };
            let waiter = Waiter::Relay {
                upstream: r.from,
                req: r.req,
            };
            self.gather(waiter, partners, ask, r.migration, out);
        }
    }

    fn on_evict(&mut self, from: SiteName, vm: &str, out: &mut Step) {
        let Some(h) = self.holdings.get(vm) else {
            return self.refuse_unknown(vm, out);
        };
        let route = match &h.at {
            Where::Local(_) => self.site.clone(),
            Where::Delegated(s) => s.clone(),
        };
        let vm = h.vm.clone();
        let mut candidates = vec![self.site.clone()];
        for p in &self.policy.delegate_to {
            if *p != from && !candidates.contains(p) {
                candidates.push(p.clone());
            }
        }
        self.start_run(vm, Some(route), &candidates, out);
    }

    fn on_prepare(&mut self, r: Request, vm: String, out: &mut Step) {
        let Some(h) = self.holdings.get(&vm) else {
            return r.answer(self, out, Body::SourceReady(None));
        };
        match h.at.clone() {
            Where::Local(host) => {
                let vm = h.vm.clone();
                let payload = vm.payload(true);
                let token = self.proxy.issue(Grant {
                    vm,
                    location: Location::Host(host),
                    payload,
                });
                let source = Endpoint {
                    proxy: self.site.clone(),
                    token,
                };
                r.answer(self, out, Body::SourceReady(Some(source)));
            }
            Where::Delegated(next) => r.relay(self, out, next, Body::Prepare { vm }),
        }
    }

    fn on_initiate(
        &mut self,
        r: Request,
        vm: String,
        source: Endpoint,
        destination: Endpoint,
        out: &mut Step,
    ) {
        let failed = Body::TransferDone {
            vm: vm.clone(),
            received: None,
            verified: false,
        };
        if destination.proxy == self.site {
            if self.proxy.resolve(destination.token).is_none() {
                return r.answer(self, out, failed);
            }
            let pending = Pending::Fetch {
                upstream: r.from,
                req: r.req,
                token: destination.token,
            };
            let fetch = Body::Fetch {
                token: source.token,
            };
            self.send(out, source.proxy, r.migration, fetch, Some(pending));
            return;
        }
        match self.toward.get(&destination).cloned() {
            Some(next) => {
                let body = Body::Initiate {
                    vm,
                    source,
                    destination,
                };
                r.relay(self, out, next, body)
            }
            None => r.answer(self, out, failed),
        }
    }

    fn on_verify(&mut self, r: Request, source: Endpoint, out: &mut Step) {
        if source.proxy == self.site {
            let sent = self.proxy.resolve(source.token).map(|g| g.payload);
            return r.answer(self, out, Body::Verified(sent));
        }
        match self.toward.get(&source).cloned() {
            Some(next) => r.relay(self, out, next, Body::Verify { source }),
            None => r.answer(self, out, Body::Verified(None)),
        }
    }

    fn on_reply(
        &mut self,
        pending: Pending,
        from: SiteName,
        migration: MigrationId,
        body: Body,
        out: &mut Step,
    ) {
        match pending {
            Pending::Gather(id) => self.gathered(id, from, migration, body, out),
            Pending::Run(seq) => self.advance(seq, from, migration, body, out),
            Pending::Relay { upstream, req } => {
                match &body {
                    Body::SourceReady(Some(e)) => {
                        self.toward.insert(e.clone(), from.clone());
                    }
                    Body::TransferDone {
                        vm, verified: true, ..
                    } => {
                        if let Some(d) = self.known.get(vm) {
                            let at = Where::Delegated(from.clone());
                            let vm = d.clone();
                            self.holdings.insert(vm.id.clone(), Holding { vm, at });
                            self.upstream.insert(d.id.clone(), upstream.clone());
                        }
                    }
                    _ => {}
                }
                self.reply(out, upstream, migration, req, body);
            }
            Pending::Fetch {
                upstream,
                req,
                token,
            } => {
                let Body::ImageData(got) = body else { return };
                let Some(grant) = self.proxy.resolve(token) else {
                    return;
                };
                let verified = got == Some(grant.payload);
                let vm = grant.vm.clone();
                if let (true, Location::Host(host)) = (verified, &grant.location) {
                    let at = Where::Local(host.clone());
                    self.holdings
                        .insert(vm.id.clone(), Holding { vm: vm.clone(), at });
                    self.upstream.insert(vm.id.clone(), upstream.clone());
                }
                let done = Body::TransferDone {
                    vm: vm.id,
                    received: got,
                    verified,
                };
                self.reply(out, upstream, migration, req, done);
            }
        }
    }

    /// A candidate answered a round of migration requests.
    fn gathered(
        &mut self,
        id: u64,
        from: SiteName,
        migration: MigrationId,
        body: Body,
        out: &mut Step,
    ) {
        let answer = match body {
            Body::Offer(e) => Ok(e),
            Body::Refused(r) => Err(r),
            _ => return,
        };
        let Some(g) = self.gathers.get_mut(&id) else {
            return;
        };
        if let Some(slot) = g.asked.iter_mut().find(|(s, a)| *s == from && a.is_none()) {
            slot.1 = Some(answer);
        }
        if g.asked.iter().any(|(_, a)| a.is_none()) {
            return;
        }
        let Some(g) = self.gathers.remove(&id) else {
            return;
        };
        let answers: Vec<(SiteName, Result<Endpoint, Refusal>)> = (g.asked.into_iter())
            .filter_map(|(s, a)| a.map(|a| (s, a)))
            .collect();
        let best = answers.iter().find_map(|(s, a)| match a {
            Ok(e) => Some((s.clone(), e.clone())),
            Err(_) => None,
        });
        match (g.waiter, best) {
            (Waiter::Relay { upstream, req }, Some((next, e))) => {
                self.toward.insert(e.clone(), next);
                self.reply(out, upstream, migration, req, Body::Offer(e));
            }
            (Waiter::Relay { upstream, req }, None) => {
                let first = answers.into_iter().find_map(|(_, a)| a.err());
                let refusal = first.unwrap_or(Refusal::NoCandidates);
                self.reply(out, upstream, migration, req, Body::Refused(refusal));
            }
            (Waiter::Controller(seq), Some(dest)) => {
                let Some(run) = self.runs.get_mut(&seq) else {
                    return;
                };
                run.dest = Some(dest);
                match run.source_route.clone() {
                    Some(route) => {
                        let body = Body::Prepare {
                            vm: run.vm.id.clone(),
                        };
                        self.send(out, route, migration, body, Some(Pending::Run(seq)));
                    }
                    None => {
                        let vm = run.vm.clone();
                        let payload = vm.payload(false);
                        let token = self.proxy.issue(Grant {
                            vm,
                            location: Location::Repository,
                            payload,
                        });
                        let source = Endpoint {
                            proxy: self.site.clone(),
                            token,
                        };
                        self.initiate(seq, (self.site.clone(), source), migration, out);
                    }
                }
            }
            (Waiter::Controller(seq), None) => {
                let refusals = (answers.into_iter())
                    .filter_map(|(s, a)| a.err().map(|r| (s, r)))
                    .collect();
                self.finish(seq, migration, Err(Refusal::Candidates(refusals)), out);
            }
        }
    }

    /// (Re)starts the transfer of run `seq` from `source` (first hop and endpoint).
    fn initiate(
        &mut self,
        seq: u64,
        source: (SiteName, Endpoint),
        migration: MigrationId,
        out: &mut Step,
    ) {
        let Some(run) = self.runs.get_mut(&seq) else {
            return;
        };
        let Some((hop, destination)) = run.dest.clone() else {
            return;
        };
        run.attempts += 1;
        run.received = None;
        let body = Body::Initiate {
            vm: run.vm.id.clone(),
            source: source.1.clone(),
            destination,
        };
        run.source = Some(source);
        self.send(out, hop, migration, body, Some(Pending::Run(seq)));
    }

    /// A reply to a request this site sent as the controller of run `seq`.
    fn advance(
        &mut self,
        seq: u64,
        from: SiteName,
        migration: MigrationId,
        body: Body,
        out: &mut Step,
    ) {
        let Some(run) = self.runs.get_mut(&seq) else {
            return;
        };
        match body {
            Body::SourceReady(Some(e)) => self.initiate(seq, (from, e), migration, out),
            Body::SourceReady(None) => self.finish(seq, migration, Err(Refusal::Unknown), out),
            Body::TransferDone {
                received, verified, ..
            } => {
                run.received = Some((received, verified));
                let Some((hop, source)) = run.source.clone() else {
                    return;
                };
                let body = Body::Verify { source };
                self.send(out, hop, migration, body, Some(Pending::Run(seq)));
            }
            Body::Verified(sent) => {
                let agreed = match run.received {
                    Some((Some(got), true)) => sent == Some(got),
                    _ => false,
                };
                if let (true, Some(dest)) = (agreed, run.dest.clone()) {
                    self.finish(seq, migration, Ok(dest), out);
                } else if run.attempts > self.policy.max_retries {
                    let attempts = run.attempts;
                    let failed = Refusal::VerificationFailed { attempts };
                    self.finish(seq, migration, Err(failed), out);
                } else if let Some(source) = run.source.clone() {
                    self.initiate(seq, source, migration, out);
                }
            }
            _ => {}
        }
    }

    /// Ends run `seq`: on success (the destination's first hop and endpoint) the VM is now
    /// the first hop's responsibility.
    fn finish(
        &mut self,
        seq: u64,
        migration: MigrationId,
        result: Result<(SiteName, Endpoint), Refusal>,
        out: &mut Step,
    ) {
        let Some(run) = self.runs.remove(&seq) else {
            return;
        };
        let vm = run.vm.id.clone();
        let outcome = match result {
            Ok((hop, handle)) => {
                if hop != self.site {
                    let at = Where::Delegated(hop);
                    self.holdings.insert(vm.clone(), Holding { vm: run.vm, at });
                }
                Outcome::Accepted {
                    migration,
                    vm,
                    site: handle.proxy.clone(),
                    handle,
                    attempts: run.attempts,
                }
            }
            Err(reason) => Outcome::Refused {
                migration,
                vm,
                reason,
            },
        };
        out.outcomes.push(outcome);
    }
}

/// The request a handler is answering.
struct Request {
    from: SiteName,
    migration: MigrationId,
    req: u64,
}

impl Request {
    fn answer(self, agent: &SiteAgent, out: &mut Step, body: Body) {
        agent.reply(out, self.from, self.migration, self.req, body);
    }

    fn relay(self, agent: &mut SiteAgent, out: &mut Step, next: SiteName, body: Body) {
        let pending = Pending::Relay {
            upstream: self.from,
            req: self.req,
        };
        agent.send(out, next, self.migration, body, Some(pending));
    }
}

/// A migration request to send.
struct Ask {
    vm: VmDescriptor,
    announced: TransferStatus,
    depth: u32,
    max_depth: u32,
}
