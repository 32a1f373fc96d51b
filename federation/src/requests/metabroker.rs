//! The meta-broker (seed 004): it probes every cloud with reference tests from its home (the
//! first private site), and places each request on the best-ranked feasible cloud by
//! monitored health, stale probes discounted ([`crate::policy::ranking::rank`]).
//!
//! The probes of one cloud, taken every `probe_interval_s` and arriving after the link's
//! latency: availability is 1 when the cloud could start the reference VM then (quota left or
//! room), else 0; the compute test is 60 s of the reference VM's work at nominal speed, run
//! there after its provisioning delay; the transfer test moves 100 MB from the home site.
//! The reference VM is the demand's first request.

use orrery_engine::time::{from_secs, to_secs, Millis};

use super::Requests;
use crate::ids::{RequestId, SiteId};
use crate::policy::broker::{estimate, unfit};
use crate::policy::ranking::{rank, Health, MetaBrokerConfig, Sample};
use crate::spec::ArchitectureSpec;
use crate::world::event::Event;
use crate::world::World;

/// Work of the compute probe: this many seconds of the reference VM at nominal speed.
const PROBE_WORK_S: f64 = 60.0;
/// Size of the transfer probe, MB.
const PROBE_MB: f64 = 100.0;

impl Requests {
    /// The meta-broker's first probe round, when the architecture has one.
    pub fn schedule_probes(&self, world: &mut World) {
        if let ArchitectureSpec::Broker {
            metabroker: Some(_),
            probe_interval_s,
            ..
        } = &world.fed().spec.architecture
        {
            let every = from_secs(*probe_interval_s).max(1);
            world.push(0, Event::Probe(every));
        }
    }

    /// Probes every cloud and schedules the next round `every` ms from now.
    pub fn probe(&mut self, world: &mut World, every: Millis) {
        let home = world
            .sites()
            .first_private()
            .expect("a federation has a private site");
        let now = world.now();
        if !self.ledger.all().is_empty() {
            let first = RequestId(0);
            for s in world.sites().ids() {
                let Some(offer) = self.offer(world, s, first, home) else {
                    continue;
                };
                let link = world.link(home, s).copied();
                let latency = link.map_or(0, |l| l.latency);
                // Moving within the home site takes no time; a probe still needs a positive one.
                let transfer = link.map_or(1, |l| l.transfer(PROBE_MB)).max(1);
                let req = &self.ledger.get(first).req;
                let work = PROBE_WORK_S * f64::from(req.vcpus) * req.mips;
                let sample = |value: f64| Sample { value, at: now };
                let health = Health {
                    cloud: world.name(s).to_string(),
                    availability: sample(if offer.quota_left > 0 { 1.0 } else { 0.0 }),
                    compute_s: sample(to_secs(offer.provisioning_delay) + work / offer.mips),
                    transfer_s: sample(to_secs(transfer)),
                };
                world.push(now + latency, Event::Health(Box::new(health)));
            }
        }
        if now + every <= world.end() {
            world.push(now + every, Event::Probe(every));
        }
    }

    /// The best-ranked cloud by health that can take request `r` within its deadline and
    /// budget, or why none can.
    pub(super) fn meta_choose(
        &self,
        world: &mut World,
        r: RequestId,
        config: &MetaBrokerConfig,
    ) -> Result<SiteId, String> {
        let entry = self.ledger.get(r).req.entry;
        let now = world.now();
        let ranking = rank(&self.probes.latest(), now, config);
        let order: Vec<String> = ranking
            .ranked
            .iter()
            .map(|c| format!("{} {:.3}", c.cloud, c.score))
            .collect();
        let mut detail = if order.is_empty() {
            "ranked: none".to_string()
        } else {
            format!("ranked: {}", order.join(", "))
        };
        if !ranking.stale.is_empty() {
            detail += &format!("; stale: {}", ranking.stale.join(", "));
        }
        world.log("metabroker_rank", Some(entry), Some(r), detail);
        let request = self.broker_request(world, r);
        let mut reasons = Vec::new();
        for c in &ranking.ranked {
            let s = world.site_id(&c.cloud).expect("probes name sites");
            if let Err(e) = self.network_check(world, r, s) {
                reasons.push(e.to_string());
                continue;
            }
            let Some(offer) = self.offer(world, s, r, entry) else {
                continue;
            };
            let est = estimate(&offer, &request, now);
            match unfit(&offer, &request, &est) {
                None => return Ok(s),
                Some(why) => reasons.push(format!("{} {why}", c.cloud)),
            }
        }
        Err(format!(
            "no ranked cloud can take it: {}",
            reasons.join("; ")
        ))
    }
}
