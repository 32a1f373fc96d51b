//! Bursting to a public cloud from a live site on libvirt's test driver, against `moto` in
//! server mode (a local EC2-compatible endpoint the test starts): exactly the deferred VMs
//! burst, tagged and journaled; a restarted loop launches none again; a burst ends at the
//! billing-period stop rule's time once its VM runs at home; an instance of the same name
//! without orrery's owner tag is never touched.
//!
//! moto is found as `python3 -m moto.server`; without it the tests pass with a note, unless
//! `ORRERY_REQUIRE_CLUSTER` or `CI` is set, which makes a missing moto a failure.

mod live;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use live::*;
use orrery_engine::control::CloudOs;
use orrery_engine::rng::RngStreams;
use orrery_live::burst::ec2::{Ec2, Endpoint};
use orrery_live::burst::{OWNER_TAG, VM_TAG};
use orrery_live::clock::{ManualClock, MANUAL_EPOCH_MS};
use orrery_live::config::LiveConfig;
use orrery_live::journal::{BurstEvent, Record};
use orrery_live::requests::{self, Request};
use orrery_policies::registry;

const FIRST_FIT: &str = "placement = \"first-fit\"";
const MINUTE: u64 = 60_000;

/// A moto server on a free loopback port, stopped on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts moto, or says why it cannot and returns `None` (a failure under
/// `ORRERY_REQUIRE_CLUSTER` or `CI`).
fn moto() -> Option<Moto> {
    let spawned = Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let why = match spawned {
        Ok(mut child) => {
            let stderr = child.stderr.take().expect("piped");
            let mut url = None;
            let mut said = String::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("Running on http://") {
                    url = Some(line[at + "Running on ".len()..].trim().to_string());
                    break;
                }
                said.push_str(&line);
                said.push('\n');
            }
            match url {
                Some(url) => return Some(Moto { child, url }),
                None => {
                    let _ = child.kill();
                    let _ = child.wait();
                    format!("moto did not start (pip install 'moto[server]'): {said}")
                }
            }
        }
        Err(e) => format!("python3 cannot be run: {e}"),
    };
    let required =
        std::env::var_os("ORRERY_REQUIRE_CLUSTER").is_some() || std::env::var_os("CI").is_some();
    assert!(!required, "ORRERY_REQUIRE_CLUSTER or CI is set but {why}");
    eprintln!("skipped: {why}");
    None
}

/// A `[burst]` section for `url`: template `small` as `t3.small`, 0.25 per hour, stopped two
/// minutes before the hour; the secret in a file beside the config.
fn burst_section(dir: &Path, url: &str) -> String {
    std::fs::write(dir.join("cloud.secret"), "moto-secret\n").unwrap();
    format!(
        "[burst]\ncloud = \"moto\"\nendpoint = \"{url}\"\naccess_key_id = \"AKIDEXAMPLE\"\n\
         secret_file = \"cloud.secret\"\nprice_per_period = 0.25\nbilling_period_s = 3600\n\
         stop = \"period-end\"\nstop_margin_s = 120\ntimeout_s = 5\nattempts = 2\n\
         backoff_ms = 50\n\
         [burst.instance_types]\nsmall = {{ instance_type = \"t3.small\", image_id = \"ami-0123456789abcdef0\" }}\n"
    )
}

/// A client of the moto server, as anyone (no orrery tags of its own).
fn client(url: &str) -> Ec2 {
    Ec2::new(Endpoint {
        url: url.into(),
        region: "us-east-1".into(),
        access_key_id: "AKIDEXAMPLE".into(),
        secret: "moto-secret".into(),
        timeout: Duration::from_secs(5),
        attempts: 1,
        backoff: Duration::from_millis(10),
    })
    .unwrap()
}

/// Runs one round of the loop on `config`'s hosts at the clock's time; the journal after it.
fn round(config: &LiveConfig, clock: &ManualClock) -> Vec<Record> {
    let hv = open(config, &[]);
    let mut l = live(config.clone(), hv, clock.clone(), true, 1);
    let placement = registry::placement(config).unwrap();
    let reallocation = registry::reallocation(config).unwrap();
    CloudOs::new(placement, reallocation, &RngStreams::new(0))
        .run(&mut l)
        .unwrap();
    l.journal().to_vec()
}

/// The burst records: (vm, instance, event, at_ms, stop_at_ms, cost).
type BurstLine = (String, String, BurstEvent, u64, Option<u64>, Option<f64>);

fn bursts(records: &[Record]) -> Vec<BurstLine> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Burst {
                vm,
                instance,
                event,
                at_ms,
                stop_at_ms,
                cost,
                ..
            } => Some((
                vm.clone(),
                instance.clone(),
                *event,
                *at_ms,
                *stop_at_ms,
                *cost,
            )),
            _ => None,
        })
        .collect()
}

fn launched(records: &[Record]) -> Vec<(String, String)> {
    bursts(records)
        .into_iter()
        .filter(|b| b.2 == BurstEvent::Launched)
        .map(|b| (b.0, b.1))
        .collect()
}

#[test]
fn a_full_site_bursts_exactly_its_deferred_vms_and_a_restart_launches_none_again() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    // One host of 16000 MIPS: four VMs of 4000 fit, e and f are deferred.
    node(dir.path(), 0, &[]);
    let section = burst_section(dir.path(), &moto.url);
    let config = config(
        dir.path(),
        1,
        &["a", "b", "c", "d", "e", "f"],
        FIRST_FIT,
        &section,
    );
    // Someone else's instance named after VM e, without orrery's owner tag.
    let cloud = client(&moto.url);
    let foreign = cloud
        .run_instance(
            "t3.small",
            "ami-0123456789abcdef0",
            "someone-else",
            &[(VM_TAG, "e")],
        )
        .unwrap();

    let clock = ManualClock::new();
    let records = round(&config, &clock);
    let first = launched(&records);
    assert_eq!(
        first.iter().map(|(vm, _)| vm.as_str()).collect::<Vec<_>>(),
        ["e", "f"],
        "{records:?}"
    );
    let ours = cloud.describe_tagged(OWNER_TAG, "live").unwrap();
    assert_eq!(ours.len(), 2, "{ours:?}");
    for (vm, id) in &first {
        let i = ours.iter().find(|i| &i.id == id).expect("listed by tag");
        assert_eq!(i.tags[OWNER_TAG], "live");
        assert_eq!(&i.tags[VM_TAG], vm);
        assert_ne!(id, &foreign.id);
    }

    // A restarted loop, the VMs still deferred: no launch, the instances seen running.
    clock.advance(Duration::from_secs(300));
    let records = round(&config, &clock);
    assert_eq!(launched(&records), first, "no second launch");
    let running: Vec<String> = bursts(&records)
        .into_iter()
        .filter(|b| b.2 == BurstEvent::Running)
        .map(|b| b.0)
        .collect();
    assert_eq!(running, ["e", "f"]);
    assert_eq!(cloud.describe_tagged(OWNER_TAG, "live").unwrap().len(), 2);

    // A journal that lost its burst lines (a crash right after the launch): the instances
    // are taken up again by their tags, not launched again.
    let journal = config.journal_path();
    let kept: String = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("\"burst\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&journal, kept).unwrap();
    let records = round(&config, &clock);
    let adopted = launched(&records);
    assert_eq!(adopted, first, "adopted, not launched: {records:?}");
    assert_eq!(cloud.describe_tagged(OWNER_TAG, "live").unwrap().len(), 2);

    // The foreign instance was never touched.
    let all = cloud.describe_tagged(VM_TAG, "e").unwrap();
    let f = all.iter().find(|i| i.id == foreign.id).unwrap();
    assert_eq!(f.state, "running");
    assert!(!f.tags.contains_key(OWNER_TAG));
}

#[test]
fn a_burst_ends_just_before_its_billing_period_once_its_vm_runs_at_home() {
    let Some(moto) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    node(dir.path(), 0, &[]);
    node(dir.path(), 1, &[]);
    let section = burst_section(dir.path(), &moto.url);
    let config = config(
        dir.path(),
        2,
        &["a", "b", "c", "d", "e"],
        FIRST_FIT,
        &section,
    );
    let maintenance = |on: bool, at_ms: u64| {
        let r = Request::Maintenance {
            host: "h-1".into(),
            on,
            at_ms,
        };
        requests::append(&config.journal_path(), &r).unwrap();
    };
    // h-1 is in maintenance: four VMs fit on h-0, e bursts at t0.
    maintenance(true, MANUAL_EPOCH_MS);
    let clock = ManualClock::new();
    let t0 = MANUAL_EPOCH_MS;
    let records = round(&config, &clock);
    let first = launched(&records);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].0, "e");
    let id = first[0].1.clone();

    // At 11 min h-1 is back: e is deployed there, its burst ends; the stop rule keeps the
    // instance until 2 min before its hour ends: t0 + 58 min.
    maintenance(false, t0 + 11 * MINUTE);
    clock.advance(Duration::from_secs(11 * 60));
    let records = round(&config, &clock);
    let idle: Vec<BurstLine> = bursts(&records)
        .into_iter()
        .filter(|b| b.2 == BurstEvent::Idle)
        .collect();
    assert_eq!(idle.len(), 1, "{records:?}");
    assert_eq!(idle[0].3, t0 + 11 * MINUTE);
    assert_eq!(idle[0].4, Some(t0 + 58 * MINUTE));
    let cloud = client(&moto.url);
    let state = |cloud: &Ec2| {
        cloud
            .describe_tagged(OWNER_TAG, "live")
            .unwrap()
            .into_iter()
            .find(|i| i.id == id)
            .unwrap()
            .state
    };
    assert_eq!(state(&cloud), "running");

    // At 57 min it still runs; at 58 min it is terminated, one period charged.
    clock.advance(Duration::from_secs(46 * 60));
    let records = round(&config, &clock);
    assert!(bursts(&records)
        .iter()
        .all(|b| b.2 != BurstEvent::Terminated));
    assert_eq!(state(&cloud), "running");
    clock.advance(Duration::from_secs(60));
    let records = round(&config, &clock);
    let ended: Vec<BurstLine> = bursts(&records)
        .into_iter()
        .filter(|b| b.2 == BurstEvent::Terminated)
        .collect();
    assert_eq!(ended.len(), 1, "{records:?}");
    assert_eq!((ended[0].3, ended[0].5), (t0 + 58 * MINUTE, Some(0.25)));
    assert_ne!(state(&cloud), "running");
    assert_eq!(launched(&records).len(), 1, "never launched again");
}
