//! Bursting to a public cloud: when placement defers a VM because no home host has room, an
//! instance is launched for it on the EC2-compatible cloud of the config's `[burst]` section,
//! watched, and terminated once the burst ends (the VM runs at home again, or is no longer
//! wanted) at the time the billing-period-aware stop rule gives
//! ([`orrery_policies::bursting`], the rule the simulated public clouds follow).
//!
//! Safety: every instance orrery launches carries the tags [`OWNER_TAG`] (the config's name)
//! and [`VM_TAG`] (the VM's name); instances are listed by the owner tag only, and one is
//! terminated only if it carries both tags with this config's values. A launch's ClientToken
//! is derived from the owner, the VM and how many times it has burst before ([`client_token`]),
//! so a launch retried (or repeated after a crash that lost its journal line) gets the same
//! instance back; and an instance the journal does not know but the cloud lists with this
//! owner's tags is adopted, not launched again. Every step is a [`Record::Burst`] in the
//! journal, from which a restarted loop takes its bursts up again.

pub mod config;
pub mod ec2;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use orrery_policies::bursting::billed_periods;
use orrery_serve::dates::iso8601;
use orrery_serve::sigv4::sha256_hex;

use crate::config::LiveConfig;
use crate::journal::{BurstEvent, Journal, Record};
use config::BurstSection;
use ec2::{Ec2, Endpoint, Instance};

/// The tag naming the config (its `name`) an instance was launched by.
pub const OWNER_TAG: &str = "orrery:owner";
/// The tag naming the VM an instance runs for.
pub const VM_TAG: &str = "orrery:vm";

/// One VM's burst instance, as the journal has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurstInstance {
    /// The cloud's instance id.
    pub instance: String,
    /// When it was launched, ms since the Unix epoch (billing starts then).
    pub launched_ms: u64,
    /// Whether the cloud was seen running it.
    pub running: bool,
    /// When the stop rule terminates it, once its burst has ended.
    pub stop_at_ms: Option<u64>,
}

/// What the home site shows the burst rule at the end of a round.
#[derive(Debug, Clone, Copy)]
pub struct Home<'a> {
    /// VMs placement deferred this round (no home host had room).
    pub deferred: &'a BTreeSet<String>,
    /// VMs running on a home host.
    pub at_home: &'a BTreeSet<String>,
    /// The VMs the config wants, with their template.
    pub wanted: &'a BTreeMap<String, String>,
}

/// The idempotency token of `owner`'s `generation`-th launch for `vm` (EC2 allows 64 ASCII
/// characters): the same inputs give the same token, hence the same instance.
pub fn client_token(owner: &str, vm: &str, generation: u64) -> String {
    let h = sha256_hex(format!("{owner}\0{vm}\0{generation}").as_bytes());
    format!("orrery-{}", &h[..40])
}

/// The bursts `records` leave open for `cloud`, by VM, and how many launches each VM had.
pub fn from_journal(
    records: &[Record],
    cloud: &str,
) -> (BTreeMap<String, BurstInstance>, BTreeMap<String, u64>) {
    let mut open: BTreeMap<String, BurstInstance> = BTreeMap::new();
    let mut launches: BTreeMap<String, u64> = BTreeMap::new();
    for r in records {
        let Record::Burst {
            vm,
            cloud: c,
            instance,
            event,
            at_ms,
            stop_at_ms,
            ..
        } = r
        else {
            continue;
        };
        if c != cloud {
            continue;
        }
        match event {
            BurstEvent::Launched => {
                *launches.entry(vm.clone()).or_default() += 1;
                open.insert(
                    vm.clone(),
                    BurstInstance {
                        instance: instance.clone(),
                        launched_ms: *at_ms,
                        running: false,
                        stop_at_ms: None,
                    },
                );
            }
            event => {
                let Some(b) = open.get_mut(vm).filter(|b| &b.instance == instance) else {
                    continue;
                };
                match event {
                    BurstEvent::Running => b.running = true,
                    BurstEvent::Idle => b.stop_at_ms = *stop_at_ms,
                    BurstEvent::Resumed => b.stop_at_ms = None,
                    _ => {
                        open.remove(vm);
                    }
                }
            }
        }
    }
    (open, launches)
}

/// A history line for a [`Record::Burst`].
pub fn describe(
    vm: &str,
    cloud: &str,
    instance: &str,
    event: BurstEvent,
    stop_at_ms: Option<u64>,
    cost: Option<f64>,
) -> String {
    let what = match event {
        BurstEvent::Launched => "launched",
        BurstEvent::Running => "running",
        BurstEvent::Idle => "idle",
        BurstEvent::Resumed => "resumed",
        BurstEvent::Terminated => "terminated",
    };
    let mut line = format!("burst {vm} to {cloud}: {instance} {what}");
    if let Some(at) = stop_at_ms {
        line.push_str(&format!(", stops at {}", iso8601(at as i64)));
    }
    if let Some(c) = cost {
        line.push_str(&format!(", cost {c:.4}"));
    }
    line
}

/// One step of a burst, as journaled.
#[derive(Debug, Clone, Copy)]
struct Step {
    event: BurstEvent,
    /// `idle`: when the stop rule terminates the instance.
    stop_at_ms: Option<u64>,
    /// `terminated`: billing periods charged.
    billed: Option<u64>,
}

impl Step {
    fn of(event: BurstEvent) -> Step {
        Step {
            event,
            stop_at_ms: None,
            billed: None,
        }
    }

    fn idle(stop_at_ms: u64) -> Step {
        Step {
            stop_at_ms: Some(stop_at_ms),
            ..Step::of(BurstEvent::Idle)
        }
    }

    fn terminated(billed: u64) -> Step {
        Step {
            billed: Some(billed),
            ..Step::of(BurstEvent::Terminated)
        }
    }
}

/// The live site's burst driver: its cloud, and the bursts it has open.
pub struct Bursting {
    section: BurstSection,
    owner: String,
    ec2: Ec2,
    open: BTreeMap<String, BurstInstance>,
    launches: BTreeMap<String, u64>,
}

impl Bursting {
    /// The driver of `config`'s `[burst]` section (`None` without one), with the bursts
    /// `records` leave open; an error when its secret cannot be read.
    pub fn new(config: &LiveConfig, records: &[Record]) -> Result<Option<Bursting>, String> {
        let Some(section) = config.spec.burst.clone() else {
            return Ok(None);
        };
        let ec2 = Ec2::new(Endpoint {
            url: section.endpoint.clone(),
            region: section.region.clone(),
            access_key_id: section.access_key_id.clone(),
            secret: section.secret(|p| config.source.resolve(p))?,
            timeout: Duration::from_secs_f64(section.timeout_s),
            attempts: section.attempts,
            backoff: Duration::from_millis(section.backoff_ms),
        })?;
        let (open, launches) = from_journal(records, &section.cloud);
        Ok(Some(Bursting {
            section,
            owner: config.name.clone(),
            ec2,
            open,
            launches,
        }))
    }

    /// The open bursts, by VM.
    pub fn open(&self) -> &BTreeMap<String, BurstInstance> {
        &self.open
    }

    /// Why `i` may not be acted on as VM `vm`'s instance (`None`: it may).
    fn why_foreign(&self, i: &Instance, vm: &str) -> Option<String> {
        match (i.tags.get(OWNER_TAG), i.tags.get(VM_TAG)) {
            (Some(o), Some(v)) if *o == self.owner && v == vm => None,
            (None, _) | (_, None) => Some(format!("{} lacks orrery's tags", i.id)),
            (Some(o), Some(v)) => Some(format!("{} is tagged {o}/{v}", i.id)),
        }
    }

    /// Journals `step` of VM `vm`'s instance `instance` at `at_ms`; the line to print.
    fn record(
        &mut self,
        journal: &mut Journal,
        vm: &str,
        instance: &str,
        at_ms: u64,
        step: Step,
    ) -> String {
        let cost = step
            .billed
            .map(|p| p as f64 * self.section.price_per_period);
        let cloud = &self.section.cloud;
        let line = describe(vm, cloud, instance, step.event, step.stop_at_ms, cost);
        let r = journal.numbered(|seq| Record::Burst {
            seq,
            vm: vm.to_string(),
            cloud: cloud.clone(),
            instance: instance.to_string(),
            event: step.event,
            at_ms,
            stop_at_ms: step.stop_at_ms,
            periods: step.billed,
            cost,
        });
        match r {
            Ok(_) => line,
            Err(e) => format!("{line} (warning: not journaled: {e})"),
        }
    }

    /// One round of the burst rule at `now_ms` (ms since the Unix epoch, the loop's clock):
    /// lists orrery's instances, takes up any the journal lost, notes those running or gone,
    /// ends the bursts whose VM runs at home or is no longer wanted (and terminates them at
    /// the stop rule's time), and launches an instance for each deferred VM without one. A
    /// cloud that cannot be listed is a warning, and nothing is done this round. Returns the
    /// lines to print.
    pub fn round(&mut self, now_ms: u64, home: Home<'_>, journal: &mut Journal) -> Vec<String> {
        let mut lines = Vec::new();
        let listed = match self.ec2.describe_tagged(OWNER_TAG, &self.owner) {
            Ok(l) => l,
            Err(e) => return vec![format!("warning: burst: {e}")],
        };
        // Live instances of this owner (the filter is checked again here), by id.
        let live: BTreeMap<String, Instance> = listed
            .into_iter()
            .filter(|i| i.tags.get(OWNER_TAG) == Some(&self.owner))
            .filter(|i| !matches!(i.state.as_str(), "terminated" | "shutting-down"))
            .map(|i| (i.id.clone(), i))
            .collect();
        // Instances the journal lost (a crash between launch and journal line): adopted, in
        // VM order.
        let by_vm: BTreeMap<&String, &Instance> = live
            .values()
            .filter_map(|i| Some((i.tags.get(VM_TAG)?, i)))
            .collect();
        for (vm, i) in by_vm {
            if !self.open.contains_key(vm) {
                // Journaled at its launch, when the cloud says (billing starts then).
                let at = i.launched_ms.unwrap_or(now_ms);
                let line = self.record(journal, vm, &i.id, at, Step::of(BurstEvent::Launched));
                lines.push(format!("{line} (adopted: listed with this config's tags)"));
                *self.launches.entry(vm.clone()).or_default() += 1;
                self.open.insert(
                    vm.clone(),
                    BurstInstance {
                        instance: i.id.clone(),
                        launched_ms: at,
                        running: false,
                        stop_at_ms: None,
                    },
                );
            }
        }
        for i in live.values() {
            if !self.open.values().any(|b| b.instance == i.id) {
                lines.push(format!(
                    "warning: burst: {} carries this config's owner tag but is no VM's burst \
                     instance: left alone",
                    i.id
                ));
            }
        }
        let period = self.section.period_ms();
        let open: Vec<(String, BurstInstance)> = self
            .open
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (vm, b) in open {
            let billed = billed_periods(b.launched_ms, now_ms, period);
            let Some(i) = live.get(&b.instance) else {
                let line = self.record(journal, &vm, &b.instance, now_ms, Step::terminated(billed));
                lines.push(format!("{line} (gone from the cloud)"));
                self.open.remove(&vm);
                continue;
            };
            if i.state == "running" && !b.running {
                let l = self.record(journal, &vm, &i.id, now_ms, Step::of(BurstEvent::Running));
                lines.push(l);
                self.open.get_mut(&vm).expect("open").running = true;
            }
            let ended = home.at_home.contains(&vm) || !home.wanted.contains_key(&vm);
            let stop_at = match (ended, b.stop_at_ms) {
                (true, None) => {
                    let at = self
                        .section
                        .strategy()
                        .stop_at(b.launched_ms, now_ms, period);
                    let l = self.record(journal, &vm, &i.id, now_ms, Step::idle(at));
                    lines.push(l);
                    Some(at)
                }
                (false, Some(_)) => {
                    let l = self.record(journal, &vm, &i.id, now_ms, Step::of(BurstEvent::Resumed));
                    lines.push(l);
                    None
                }
                (_, s) => s,
            };
            self.open.get_mut(&vm).expect("open").stop_at_ms = stop_at;
            if stop_at.is_some_and(|at| now_ms >= at) {
                if let Some(why) = self.why_foreign(i, &vm) {
                    lines.push(format!("warning: burst: not terminating {}: {why}", i.id));
                    continue;
                }
                match self.ec2.terminate(&i.id) {
                    Ok(()) => {
                        let line =
                            self.record(journal, &vm, &i.id, now_ms, Step::terminated(billed));
                        lines.push(line);
                        self.open.remove(&vm);
                    }
                    Err(e) => lines.push(format!("warning: burst: {e}")),
                }
            }
        }
        for vm in home.deferred {
            if self.open.contains_key(vm) {
                continue;
            }
            let Some(template) = home.wanted.get(vm) else {
                continue;
            };
            let Some(map) = self.section.instance_types.get(template).cloned() else {
                lines.push(format!(
                    "burst: {vm} cannot burst: [burst.instance_types] has no `{template}`"
                ));
                continue;
            };
            let generation = self.launches.get(vm).copied().unwrap_or(0);
            let token = client_token(&self.owner, vm, generation);
            let tags = [(OWNER_TAG, self.owner.as_str()), (VM_TAG, vm.as_str())];
            match self
                .ec2
                .run_instance(&map.instance_type, &map.image_id, &token, &tags)
            {
                Ok(i) => {
                    let line =
                        self.record(journal, vm, &i.id, now_ms, Step::of(BurstEvent::Launched));
                    lines.push(line);
                    *self.launches.entry(vm.clone()).or_default() += 1;
                    self.open.insert(
                        vm.clone(),
                        BurstInstance {
                            instance: i.id,
                            launched_ms: now_ms,
                            running: false,
                            stop_at_ms: None,
                        },
                    );
                }
                Err(e) => lines.push(format!("warning: burst: {vm} stays deferred: {e}")),
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seq: u64, vm: &str, instance: &str, event: BurstEvent, at_ms: u64) -> Record {
        Record::Burst {
            seq,
            vm: vm.into(),
            cloud: "c".into(),
            instance: instance.into(),
            event,
            at_ms,
            stop_at_ms: (event == BurstEvent::Idle).then_some(at_ms + 5),
            periods: None,
            cost: None,
        }
    }

    #[test]
    fn tokens_are_stable_per_owner_vm_and_launch() {
        let t = client_token("site", "web-1", 0);
        assert_eq!(t, client_token("site", "web-1", 0));
        assert_ne!(t, client_token("site", "web-1", 1));
        assert_ne!(t, client_token("other", "web-1", 0));
        assert_ne!(t, client_token("site", "web-2", 0));
        assert!(t.len() <= 64 && t.is_ascii());
    }

    #[test]
    fn the_journal_gives_back_the_open_bursts_and_the_launch_counts() {
        use BurstEvent::*;
        let records = [
            rec(1, "a", "i-1", Launched, 10),
            rec(2, "a", "i-1", Running, 20),
            rec(3, "a", "i-1", Idle, 30),
            rec(4, "a", "i-1", Terminated, 35),
            rec(5, "a", "i-2", Launched, 40),
            rec(6, "b", "i-3", Launched, 50),
            rec(7, "b", "i-3", Idle, 60),
            // An event naming another instance than the open one is ignored.
            rec(8, "b", "i-9", Resumed, 70),
        ];
        let (open, launches) = from_journal(&records, "c");
        assert_eq!(launches["a"], 2);
        assert_eq!(launches["b"], 1);
        assert_eq!(
            open["a"],
            BurstInstance {
                instance: "i-2".into(),
                launched_ms: 40,
                running: false,
                stop_at_ms: None
            }
        );
        assert_eq!(open["b"].stop_at_ms, Some(65));
        assert!(from_journal(&records, "other-cloud").0.is_empty());
    }

    /// A config with `burst` as its `[burst]` section (keys, then `[burst.instance_types]`).
    fn parse(dir: &std::path::Path, burst: &str) -> Result<LiveConfig, String> {
        let text = format!(
            "name = \"site\"\njournal = \"j\"\n[burst]\n{burst}\n\
             [[hosts]]\nname = \"h\"\nuri = \"test:///default\"\n\
             [[templates]]\nname = \"small\"\nvcpus = 1\nmips = 1000\nmemory_mb = 512\n\
             [policies]\nplacement = \"first-fit\"\n"
        );
        LiveConfig::parse(&text, &dir.join("live.toml"), dir).map_err(|e| e.to_string())
    }

    #[test]
    fn bad_burst_sections_are_located_errors() {
        let dir = tempfile::tempdir().unwrap();
        let types =
            "[burst.instance_types]\nsmall = { instance_type = \"t\", image_id = \"ami-1\" }";
        let ok =
            format!("endpoint = \"http://e\"\naccess_key_id = \"K\"\nsecret_env = \"V\"\n{types}");
        assert!(parse(dir.path(), &ok).is_ok());
        let bad = [
            (ok.replace("http://e", "ftp://e"), "burst.endpoint"),
            (
                ok.replace(
                    "secret_env = \"V\"",
                    "secret_env = \"V\"\nsecret_file = \"f\"",
                ),
                "burst.secret_env",
            ),
            (ok.replace("secret_env = \"V\"", ""), "burst.secret_env"),
            (ok.replace("small = {", "large = {"), "burst.instance_types"),
            (
                format!("billing_period_s = 0\n{ok}"),
                "burst.billing_period_s",
            ),
            (
                format!("billing_period_s = 1e300\n{ok}"),
                "burst.billing_period_s",
            ),
            (format!("stop_margin_s = 1e30\n{ok}"), "burst.stop_margin_s"),
            (format!("timeout_s = 1e300\n{ok}"), "burst.timeout_s"),
            (format!("timeout_s = nan\n{ok}"), "burst.timeout_s"),
            (
                format!("backoff_ms = 9223372036854775807\n{ok}"),
                "burst.backoff_ms",
            ),
        ];
        for (text, key) in bad {
            let e = parse(dir.path(), &text).unwrap_err();
            assert!(e.contains(key), "{key}: {e}");
        }
    }

    #[test]
    fn only_an_instance_with_both_tags_of_this_owner_may_be_terminated() {
        let inst = |tags: &[(&str, &str)]| Instance {
            id: "i-1".into(),
            state: "running".into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            launched_ms: None,
        };
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s"), "secret").unwrap();
        let text = "name = \"site\"\njournal = \"j\"\n\
            [burst]\nendpoint = \"http://127.0.0.1:9\"\naccess_key_id = \"K\"\nsecret_file = \"s\"\n\
            [burst.instance_types]\nsmall = { instance_type = \"t\", image_id = \"ami-1\" }\n\
            [[hosts]]\nname = \"h\"\nuri = \"test:///default\"\n\
            [[templates]]\nname = \"small\"\nvcpus = 1\nmips = 1000\nmemory_mb = 512\n\
            [policies]\nplacement = \"first-fit\"\n";
        let file = dir.path().join("live.toml");
        let config = LiveConfig::parse(text, &file, dir.path()).unwrap();
        let b = Bursting::new(&config, &[])
            .unwrap()
            .expect("a [burst] section");
        assert_eq!(
            b.why_foreign(&inst(&[(OWNER_TAG, "site"), (VM_TAG, "a")]), "a"),
            None
        );
        assert!(b.why_foreign(&inst(&[(VM_TAG, "a")]), "a").is_some());
        assert!(b.why_foreign(&inst(&[]), "a").is_some());
        assert!(b
            .why_foreign(&inst(&[(OWNER_TAG, "other"), (VM_TAG, "a")]), "a")
            .is_some());
        assert!(b
            .why_foreign(&inst(&[(OWNER_TAG, "site"), (VM_TAG, "b")]), "a")
            .is_some());
        // An endpoint nobody listens on: a clear error naming it, after the tries.
        let e = b.ec2.describe_tagged(OWNER_TAG, "site").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("http://127.0.0.1:9: DescribeInstances failed"),
            "{e}"
        );
    }
}
