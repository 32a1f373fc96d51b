use std::collections::{BTreeMap, VecDeque};

use orrery_engine::rng::RngStreams;

use super::proxy::Token;
use super::*;

/// Free VM slots per host, tried in name order.
struct Slots(BTreeMap<String, u32>);

impl HostChooser for Slots {
    fn choose_host(&mut self, _vm: &VmDescriptor) -> Option<String> {
        let (h, free) = self.0.iter_mut().find(|(_, f)| **f > 0)?;
        *free -= 1;
        Some(h.clone())
    }
}

/// A federation of agents delivering messages in FIFO order (a zero-latency runtime).
struct Net {
    sites: BTreeMap<SiteName, (SiteAgent, Slots)>,
    log: Vec<Message>,
    outcomes: Vec<Outcome>,
}

fn id(s: &str) -> SiteName {
    SiteName::from(s)
}

impl Net {
    /// Sites `(name, policy, slots per host)`; hosts are named `<site>-h<i>`.
    fn new(sites: &[(&str, SitePolicy, &[u32])]) -> Net {
        let streams = RngStreams::new(7);
        let sites = (sites.iter().enumerate())
            .map(|(i, (name, policy, slots))| {
                let agent = SiteAgent::new(
                    id(name),
                    policy.clone(),
                    &mut streams.stream("proxy", i as u64),
                );
                let hosts = (slots.iter().enumerate())
                    .map(|(j, s)| (format!("{name}-h{}", j + 1), *s))
                    .collect();
                (id(name), (agent, Slots(hosts)))
            })
            .collect();
        Net {
            sites,
            log: Vec::new(),
            outcomes: Vec::new(),
        }
    }

    fn agent(&mut self, s: &str) -> &mut SiteAgent {
        &mut self.sites.get_mut(&id(s)).unwrap().0
    }

    /// Delivers everything `step` started, damaging image payloads while `corrupt` says so.
    fn run(&mut self, step: Step, corrupt: &mut dyn FnMut() -> bool) {
        self.outcomes.extend(step.outcomes);
        let mut queue: VecDeque<Message> = step.messages.into();
        while let Some(mut m) = queue.pop_front() {
            if m.payload_mb() > 0 && corrupt() {
                m.corrupt();
            }
            self.log.push(m.clone());
            let (agent, slots) = self.sites.get_mut(&m.to).unwrap();
            let next = agent.handle(m, slots);
            queue.extend(next.messages);
            self.outcomes.extend(next.outcomes);
        }
    }

    fn trace(&self) -> Vec<String> {
        (self.log.iter())
            .map(|m| format!("{} {}->{} {}", m.kind(), m.from, m.to, short(&m.body)))
            .collect()
    }

    fn all_hosts(&self) -> Vec<String> {
        (self.sites.values())
            .flat_map(|(_, s)| s.0.keys().cloned())
            .collect()
    }
}

fn short(b: &Body) -> &'static str {
    match b {
        Body::MigrationRequest { .. } => "request",
        Body::Offer(_) => "offer",
        Body::Refused(_) => "refused",
        Body::Evict { .. } => "evict",
        Body::Prepare { .. } => "prepare",
        Body::SourceReady(_) => "ready",
        Body::Initiate { .. } => "initiate",
        Body::Fetch { .. } => "fetch",
        Body::ImageData(_) => "image",
        Body::TransferDone { .. } => "done",
        Body::Verify { .. } => "verify",
        Body::Verified(_) => "verified",
    }
}

fn vm(name: &str) -> VmDescriptor {
    VmDescriptor {
        id: name.to_string(),
        vcpus: 2,
        memory_mb: 4096,
        image_mb: 10_240,
        checksum: 0xfeed,
    }
}

fn never() -> impl FnMut() -> bool {
    || false
}

fn accepted(o: &Outcome) -> (&SiteName, &Endpoint, u32) {
    match o {
        Outcome::Accepted {
            site,
            handle,
            attempts,
            ..
        } => (site, handle, *attempts),
        other => panic!("expected acceptance, got {other:?}"),
    }
}

fn refused(o: &Outcome) -> &Refusal {
    match o {
        Outcome::Refused { reason, .. } => reason,
        other => panic!("expected refusal, got {other:?}"),
    }
}

fn full() -> SitePolicy {
    SitePolicy::default()
}

#[test]
fn direct_migration_moves_a_running_vm_and_carries_its_state() {
    let mut net = Net::new(&[("c", full(), &[0]), ("b", full(), &[1])]);
    net.agent("c").adopt(vm("web"), "c-h1".into());
    let step = net.agent("c").start_migration("web", &[id("b")]);
    net.run(step, &mut never());
    assert_eq!(
        net.trace(),
        [
            "migration_request c->b request",
            "migration_request b->c offer",
            "forced_migration c->c prepare",
            "forced_migration c->c ready",
            "initiate_transfer c->b initiate",
            "initiate_transfer b->c fetch",
            "initiate_transfer c->b image",
            "initiate_transfer b->c done",
            "transfer_verification c->c verify",
            "transfer_verification c->c verified",
        ]
    );
    // A running VM carries image plus memory state: 10240 + 4096 MB, in one message.
    let payload: u64 = net.log.iter().map(Message::payload_mb).sum();
    assert_eq!(payload, 14_336);
    assert_eq!(net.outcomes.len(), 1);
    let (site, handle, attempts) = accepted(&net.outcomes[0]);
    assert_eq!((site, attempts), (&id("b"), 1));
    let handle = handle.clone();
    assert_eq!(net.agent("b").resolve(&handle), Some("b-h1"));
    assert_eq!(net.agent("c").resolve(&handle), None);
    assert_eq!(net.agent("b").host_of("web"), Some("b-h1"));
    assert_eq!(net.agent("c").delegated_to("web"), Some(&id("b")));
    assert_eq!(
        net.agent("c").release("web"),
        None,
        "c delegated it, it no longer runs it"
    );
}

#[test]
fn forced_migration_from_the_source_makes_its_delegator_the_controller() {
    let c = SitePolicy {
        delegate_to: vec![id("s"), id("t")],
        ..full()
    };
    let mut net = Net::new(&[("c", c, &[0]), ("s", full(), &[1]), ("t", full(), &[1])]);
    // First a placement puts the VM on s (c has no room and asks s).
    let step = net.agent("c").start_placement(vm("db"), &[id("s")]);
    net.run(step, &mut never());
    assert_eq!(net.agent("s").host_of("db"), Some("s-h1"));
    net.log.clear();
    net.outcomes.clear();
    // s must empty its host: it demands the move from c, which asks itself and t (not s).
    let step = net.agent("s").evict("db");
    net.run(step, &mut never());
    assert_eq!(
        net.trace()[..7],
        [
            "forced_migration s->c evict",
            "migration_request c->c request",
            "migration_request c->t request",
            "migration_request c->c refused",
            "migration_request t->c offer",
            "forced_migration c->s prepare",
            "forced_migration s->c ready",
        ]
    );
    // The image goes straight from s's proxy to t's.
    assert!(net
        .trace()
        .contains(&"initiate_transfer t->s fetch".to_string()));
    let (site, handle, _) = accepted(&net.outcomes[0]);
    assert_eq!(site, &id("t"));
    let handle = handle.clone();
    assert_eq!(net.agent("t").resolve(&handle), Some("t-h1"));
    assert_eq!(net.agent("c").delegated_to("db"), Some(&id("t")));
    assert_eq!(net.agent("s").release("db"), Some("s-h1".to_string()));
}

#[test]
fn primary_placement_is_a_cold_migration_from_the_repository() {
    let mut net = Net::new(&[("c", full(), &[0]), ("b", full(), &[1])]);
    let step = net.agent("c").start_placement(vm("web"), &[id("b")]);
    net.run(step, &mut never());
    let kinds: Vec<&str> = net.log.iter().map(Message::kind).collect();
    assert!(
        !kinds.contains(&"forced_migration"),
        "no source VM to prepare"
    );
    assert!(net
        .trace()
        .contains(&"initiate_transfer b->c fetch".to_string()));
    // Cold: the image alone, no memory state.
    let payload: u64 = net.log.iter().map(Message::payload_mb).sum();
    assert_eq!(payload, 10_240);
    let (site, _, attempts) = accepted(&net.outcomes[0]);
    assert_eq!((site, attempts), (&id("b"), 1));
}

/// c asks a; a (full) delegates to b; b (full) delegates to d, which has room.
fn chain(c_depth: u32, d: SitePolicy) -> Net {
    let c = SitePolicy {
        max_depth: c_depth,
        ..full()
    };
    let a = SitePolicy {
        delegate_to: vec![id("b")],
        ..full()
    };
    let b = SitePolicy {
        delegate_to: vec![id("d")],
        ..full()
    };
    Net::new(&[
        ("a", a, &[0, 0]),
        ("b", b, &[0]),
        ("c", c, &[0]),
        ("d", d, &[2]),
    ])
}

#[test]
fn delegation_chain_of_depth_two_completes_and_reveals_no_host() {
    let mut net = chain(2, full());
    let step = net.agent("c").start_placement(vm("web"), &[id("a")]);
    net.run(step, &mut never());
    let step = net.agent("c").start_placement(vm("api"), &[id("a")]);
    net.run(step, &mut never());
    let trace = net.trace();
    assert_eq!(
        trace[..6],
        [
            "migration_request c->a request",
            "migration_request a->b request",
            "migration_request b->d request",
            "migration_request d->b offer",
            "migration_request b->a offer",
            "migration_request a->c offer",
        ]
    );
    // Control goes along the chain, the image directly between the proxies.
    for hop in [
        "c->a initiate",
        "a->b initiate",
        "b->d initiate",
        "d->c fetch",
    ] {
        assert!(trace.contains(&format!("initiate_transfer {hop}")), "{hop}");
    }
    let (s1, h1, _) = accepted(&net.outcomes[0]);
    let (s2, h2, _) = accepted(&net.outcomes[1]);
    assert_eq!((s1, s2), (&id("d"), &id("d")));
    let (h1, h2) = (h1.clone(), h2.clone());
    // Both VMs landed on the same host, yet their tokens differ.
    assert_eq!(net.agent("d").resolve(&h1), Some("d-h1"));
    assert_eq!(net.agent("d").resolve(&h2), Some("d-h1"));
    assert_ne!(h1.token, h2.token);
    // No message, in any rendering, names a host.
    let hosts = net.all_hosts();
    for m in &net.log {
        let text = format!("{m} {m:?}");
        for h in &hosts {
            assert!(!text.contains(h.as_str()), "{h} leaked in {text}");
        }
    }
    // Offers are relayed three times each (6 messages) and each VM is fetched once: the two
    // destination tokens and the two repository tokens are four distinct values.
    let mut tokens: Vec<Token> = (net.log.iter())
        .filter_map(|m| match &m.body {
            Body::Offer(e) => Some(e.token),
            Body::Fetch { token } => Some(*token),
            _ => None,
        })
        .collect();
    assert_eq!(tokens.len(), 8);
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 4);
    // Responsibility follows the chain.
    assert_eq!(net.agent("c").delegated_to("web"), Some(&id("a")));
    assert_eq!(net.agent("a").delegated_to("web"), Some(&id("b")));
    assert_eq!(net.agent("b").delegated_to("web"), Some(&id("d")));
    assert_eq!(net.agent("d").host_of("web"), Some("d-h1"));
}

#[test]
fn delegation_beyond_the_depth_bound_is_refused_back_to_the_controller() {
    let mut net = chain(1, full());
    let step = net.agent("c").start_placement(vm("web"), &[id("a")]);
    net.run(step, &mut never());
    assert_eq!(
        net.trace(),
        [
            "migration_request c->a request",
            "migration_request a->b request",
            "migration_request b->a refused",
            "migration_request a->c refused",
        ]
    );
    let reason = refused(&net.outcomes[0]);
    let expected = Refusal::Candidates(vec![(id("a"), Refusal::DepthLimit { max_depth: 1 })]);
    assert_eq!(reason, &expected);
}

#[test]
fn a_site_policy_refusal_travels_back_along_the_chain() {
    let d = SitePolicy {
        accept: Accept::Only(vec![id("c")]),
        ..full()
    };
    let mut net = chain(2, d);
    let step = net.agent("c").start_placement(vm("web"), &[id("a")]);
    net.run(step, &mut never());
    assert_eq!(net.log.len(), 6, "c->a->b->d and three refusals back");
    let reason = refused(&net.outcomes[0]);
    let expected = Refusal::Candidates(vec![(id("a"), Refusal::NotAccepted)]);
    assert_eq!(reason, &expected);
    assert_eq!(net.agent("d").host_of("web"), None);
}

#[test]
fn a_damaged_transfer_is_retried_until_verification_agrees() {
    let mut net = Net::new(&[("c", full(), &[0]), ("b", full(), &[1])]);
    let step = net.agent("c").start_placement(vm("web"), &[id("b")]);
    let mut first = true;
    net.run(step, &mut || std::mem::replace(&mut first, false));
    let fetches = net
        .log
        .iter()
        .filter(|m| matches!(m.body, Body::Fetch { .. }));
    assert_eq!(fetches.count(), 2);
    let (site, _, attempts) = accepted(&net.outcomes[0]);
    assert_eq!((site, attempts), (&id("b"), 2));
    assert_eq!(net.agent("b").host_of("web"), Some("b-h1"));
    // The first report was a mismatch, the second verified.
    let done: Vec<bool> = (net.log.iter())
        .filter_map(|m| match m.body {
            Body::TransferDone { verified, .. } => Some(verified),
            _ => None,
        })
        .collect();
    assert_eq!(done, [false, true]);
}

#[test]
fn the_retry_limit_ends_a_transfer_that_never_verifies() {
    let c = SitePolicy {
        max_retries: 2,
        ..full()
    };
    let mut net = Net::new(&[("c", c, &[0]), ("b", full(), &[1])]);
    let step = net.agent("c").start_placement(vm("web"), &[id("b")]);
    net.run(step, &mut || true);
    let fetches = net
        .log
        .iter()
        .filter(|m| matches!(m.body, Body::Fetch { .. }));
    assert_eq!(fetches.count(), 3, "one attempt and two retries");
    let reason = refused(&net.outcomes[0]);
    assert_eq!(reason, &Refusal::VerificationFailed { attempts: 3 });
    assert_eq!(net.agent("b").host_of("web"), None);
}

#[test]
fn no_candidates_and_unknown_vms_are_refused_at_once() {
    let mut net = Net::new(&[("c", full(), &[1])]);
    let step = net.agent("c").start_placement(vm("web"), &[]);
    assert!(step.messages.is_empty());
    assert_eq!(refused(&step.outcomes[0]), &Refusal::NoCandidates);
    let step = net.agent("c").start_migration("ghost", &[id("c")]);
    assert_eq!(refused(&step.outcomes[0]), &Refusal::Unknown);
    let step = net.agent("c").evict("ghost");
    assert_eq!(refused(&step.outcomes[0]), &Refusal::Unknown);
}

#[test]
fn message_kinds_are_the_four_operation_names() {
    let kinds = [
        Operation::MigrationRequest,
        Operation::ForcedMigration,
        Operation::InitiateTransfer,
        Operation::TransferVerification,
    ]
    .map(|o| o.to_string());
    assert_eq!(
        kinds,
        [
            "migration_request",
            "forced_migration",
            "initiate_transfer",
            "transfer_verification"
        ]
    );
}

#[test]
fn site_policy_reads_from_toml_with_defaults() {
    let p: SitePolicy =
        serde_json::from_str(r#"{"delegate_to": ["b"], "accept": {"only": ["a"]}}"#)
            .expect("valid policy");
    assert_eq!(p.delegate_to, [id("b")]);
    assert_eq!(p.accept, Accept::Only(vec![id("a")]));
    assert_eq!((p.max_depth, p.max_retries), (2, 3));
}
