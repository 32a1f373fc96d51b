//! The meta-broker (seed 004): it probes every cloud with reference tests from its home (the
//! first private site), and places each request on the best-ranked feasible cloud by
//! monitored health, stale probes discounted ([`rank`]).
//!
//! The probes of one cloud, taken every `probe_interval_s` and arriving after the link's
//! latency: availability is 1 when the cloud could start the reference VM then (quota left or
//! room), else 0; the compute test is 60 s of the reference VM's work at nominal speed, run
//! there after its provisioning delay; the transfer test moves 100 MB from the home site.
//! The reference VM is the demand's first request.

use crate::policy::broker::{estimate, unfit, CloudOffer};
use crate::policy::ranking::{rank, Health, MetaBrokerConfig, Sample};
use orrery_engine::time::{from_secs, to_secs, Millis};

use crate::runtime::{Event, Runtime, Site};

/// Work of the compute probe: this many seconds of the reference VM at nominal speed.
const PROBE_WORK_S: f64 = 60.0;
/// Size of the transfer probe, MB.
const PROBE_MB: f64 = 100.0;

impl Runtime {
    fn broker_home(&self) -> usize {
        (0..self.sites.len())
            .find(|&s| matches!(self.sites[s], Site::Private(_)))
            .expect("a federation has a private site")
    }

    /// Probes every cloud and schedules the next round.
    pub(crate) fn probe(&mut self, every: Millis) {
        let home = self.broker_home();
        if !self.tracked.is_empty() {
            for s in 0..self.sites.len() {
                let Some(offer) = self.offer(s, 0, home) else {
                    continue;
                };
                let link = self.link(home, s).copied();
                let latency = link.map_or(0, |l| l.latency);
                // Moving within the home site takes no time; a probe still needs a positive one.
                let transfer = link.map_or(1, |l| l.transfer(PROBE_MB)).max(1);
                let req = &self.tracked[0].req;
                let work = PROBE_WORK_S * f64::from(req.vcpus) * req.mips;
                let sample = |value: f64| Sample {
                    value,
                    at: self.now,
                };
                let health = Health {
                    cloud: self.names[s].clone(),
                    availability: sample(if offer.quota_left > 0 { 1.0 } else { 0.0 }),
                    compute_s: sample(to_secs(offer.provisioning_delay) + work / offer.mips),
                    transfer_s: sample(to_secs(transfer)),
                };
                self.queue
                    .push(self.now + latency, Event::Health(Box::new(health)));
            }
        }
        if self.now + every <= self.end {
            self.queue.push(self.now + every, Event::Probe(every));
        }
    }

    /// The best-ranked cloud by health that can take request `r` within its deadline and
    /// budget, or why none can.
    pub(crate) fn meta_choose(
        &mut self,
        r: usize,
        config: &MetaBrokerConfig,
    ) -> Result<usize, String> {
        let entry = self.tracked[r].req.entry;
        let healths: Vec<Health> = self.health.values().cloned().collect();
        let ranking = rank(&healths, self.now, config);
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
        self.log("metabroker_rank", Some(entry), Some(r), detail);
        let request = self.broker_request(r);
        let mut reasons = Vec::new();
        for c in &ranking.ranked {
            let s = self.fed.site_index(&c.cloud).expect("probes name sites");
            if let Err(e) = self.network_check(r, s) {
                reasons.push(e.to_string());
                continue;
            }
            let Some(offer): Option<CloudOffer> = self.offer(s, r, entry) else {
                continue;
            };
            let est = estimate(&offer, &request, self.now);
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

    /// The meta-broker's first probe round, when the architecture has one.
    pub(crate) fn schedule_probes(&mut self) {
        if let crate::spec::ArchitectureSpec::Broker {
            metabroker: Some(_),
            probe_interval_s,
            ..
        } = &self.fed.spec.architecture
        {
            let every = from_secs(*probe_interval_s).max(1);
            self.queue.push(0, Event::Probe(every));
        }
    }
}
