//! Live services against libvirt's test driver: roles deployed in dependency order, scaled out
//! and in by the simulator's elasticity rules (OneFlow and target tracking) on the guests' CPU
//! use, the newest VM shut down first, the cardinality kept across a restart, and the config's
//! checks.

mod live;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use live::*;
use orrery_live::clock::ManualClock;
use orrery_live::config::LiveConfig;
use orrery_live::hypervisor::{DomState, Hypervisor};
use orrery_live::journal::{Planned, Record};
use orrery_live::{Live, LiveOptions};
use orrery_policies::registry;

/// Two empty hosts and service `shop`: role `db` (one VM), then role `web`, which depends on
/// it, with `web_rules` (TOML keys of the role).
fn shop(dir: &std::path::Path, web_rules: &str) -> LiveConfig {
    node(dir, 0, &[]);
    node(dir, 1, &[]);
    let services = format!(
        "[[services]]\nname = \"shop\"\n\
         [[services.roles]]\nname = \"db\"\nvm_type = \"small\"\n\
         [[services.roles]]\nname = \"web\"\nvm_type = \"small\"\ndepends_on = [\"db\"]\n\
         {web_rules}\n"
    );
    // The services go after the rest of the file (their tables would swallow later keys).
    let file = config(dir, 2, &[], "placement = \"first-fit\"", "")
        .source
        .path()
        .to_owned();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&services);
    std::fs::write(&file, &text).unwrap();
    LiveConfig::load(&file, &[]).unwrap_or_else(|e| panic!("bad test config: {e}"))
}

const ONEFLOW: &str = "cardinality = 1\nmin_vms = 1\nmax_vms = 3\ncooldown = 600\n\
    elasticity_policies = [\n\
      { type = \"CHANGE\", adjust = 1, expression = \"CPU > 100\", period_number = 2 },\n\
      { type = \"CHANGE\", adjust = -1, expression = \"CPU < 40\", period_number = 1 },\n]";

/// Runs the config's cloud OS (built as `orrery live` builds it) over `hv` for `rounds`
/// rounds, measuring utilisation over `warmup` before the first.
fn run<H: Hypervisor>(
    config: &LiveConfig,
    hv: H,
    clock: &ManualClock,
    rounds: u64,
    warmup: Option<Duration>,
) -> H {
    let mut live = Live::new(
        config.clone(),
        hv,
        Box::new(clock.clone()),
        Box::new(std::io::sink()),
        LiveOptions {
            apply: true,
            rounds: Some(rounds),
            warmup,
            ..LiveOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    registry::cloud_os(config, 0)
        .unwrap()
        .run(&mut live)
        .unwrap();
    live.into_hypervisor()
}

fn records(config: &LiveConfig) -> Vec<Record> {
    let path = config.journal_path();
    let text = std::fs::read_to_string(&path).unwrap();
    orrery_live::journal::Journal::parse_records(&path, &text).unwrap()
}

/// (service, role, from, to) of every scaling journaled, in order.
fn scalings(config: &LiveConfig) -> Vec<(String, String, u32, u32)> {
    records(config)
        .into_iter()
        .filter_map(|r| match r {
            Record::Scaled {
                service,
                role,
                from,
                to,
                ..
            } => Some((service, role, from, to)),
            _ => None,
        })
        .collect()
}

/// Every host action journaled, in order, in words.
fn actions(config: &LiveConfig) -> Vec<String> {
    records(config)
        .into_iter()
        .filter_map(|r| match r {
            Record::Intent { action, .. } => Some(match action {
                Planned::Deploy { vm, .. } => format!("deploy {vm}"),
                other => other.to_string(),
            }),
            _ => None,
        })
        .collect()
}

/// The loop's output, shared with the test.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn demand(names: &[&str], u: f64) -> BTreeMap<String, f64> {
    names.iter().map(|n| (n.to_string(), u)).collect()
}

#[test]
fn a_role_deploys_after_its_parent_scales_out_on_high_cpu_and_in_on_low_cpu_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let config = shop(dir.path(), ONEFLOW);
    let clock = ManualClock::new();
    let web = ["shop-web-1", "shop-web-2", "shop-web-3"];
    // Busy web VMs: 80 % of 2 vCPUs is CPU = 160 (> 100).
    let hv = Loads {
        inner: open(&config, &[]),
        clock: clock.clone(),
        demand: demand(&web, 0.8),
    };
    // Round 1 deploys shop-db-1 (web waits for db to run); round 2 sees it run and deploys
    // shop-web-1; round 3 reads web-1's first CPU sample (0: no CPU-time delta yet; the
    // scale-in rule would go below min_vms and is refused); rounds 4 and 5 read CPU 160, the
    // second consecutive period fires `CHANGE +1`, and shop-web-2 is deployed at once.
    let hv = run(&config, hv, &clock, 5, None);
    assert_eq!(scalings(&config), [("shop".into(), "web".into(), 1, 2)]);
    assert_eq!(
        actions(&config),
        ["deploy shop-db-1", "deploy shop-web-1", "deploy shop-web-2"]
    );

    // A new loop (a restart) keeps the cardinality the journal holds. Web's load drops to
    // CPU = 20 (< 40), measured over a minute before the first round: web scales in to 1 and
    // its newest VM is shut down; the next round would go below min_vms and does nothing.
    let hv = Loads {
        demand: demand(&web, 0.1),
        ..hv
    };
    let mut hv = run(&config, hv, &clock, 3, Some(Duration::from_secs(60)));
    assert_eq!(
        scalings(&config),
        [
            ("shop".into(), "web".into(), 1, 2),
            ("shop".into(), "web".into(), 2, 1)
        ]
    );
    assert_eq!(
        actions(&config)[3..],
        ["shut down shop-web-2 on h-0".to_string()]
    );
    let at = placement(&mut hv, 2);
    let running: Vec<&str> = at
        .iter()
        .filter(|(_, places)| places.iter().any(|&(_, s)| s == DomState::Running))
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(running, ["shop-db-1", "shop-web-1"]);
    assert!(!at.contains_key("shop-web-2"), "undefined: {at:?}");
}

#[test]
fn target_tracking_sizes_a_role_as_the_hpa_ratio_says() {
    let dir = tempfile::tempdir().unwrap();
    // Target 50 % CPU utilisation, no scale-up window: 1 VM at 80 % asks for
    // ceil(1 × 80 / 50) = 2.
    let rules = "cardinality = 1\nmin_vms = 1\nmax_vms = 4\n\
        target_tracking = { metrics = [{ metric = \"CPU_UTILIZATION\", target = 50 }] }";
    let config = shop(dir.path(), rules);
    let clock = ManualClock::new();
    let hv = Loads {
        inner: open(&config, &[]),
        clock: clock.clone(),
        demand: demand(&["shop-web-1", "shop-web-2"], 0.8),
    };
    // Rounds 1–2 deploy db then web; round 3 reads web-1's first sample (0 %: below target,
    // but the role is at min_vms); round 4 reads 80 % and scales to 2.
    run(&config, hv, &clock, 4, None);
    assert_eq!(scalings(&config), [("shop".into(), "web".into(), 1, 2)]);
    assert_eq!(
        actions(&config),
        ["deploy shop-db-1", "deploy shop-web-1", "deploy shop-web-2"]
    );
}

#[test]
fn a_dry_run_notes_the_scaling_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = shop(dir.path(), ONEFLOW);
    node(
        dir.path(),
        0,
        &[running("shop-db-1"), running("shop-web-1")],
    );
    let clock = ManualClock::new();
    let hv = Loads {
        inner: open(&config, &[]),
        clock: clock.clone(),
        demand: demand(&["shop-web-1"], 0.8),
    };
    let out = Log::default();
    {
        let mut live = Live::new(
            config.clone(),
            hv,
            Box::new(clock.clone()),
            Box::new(out.clone()),
            LiveOptions {
                rounds: Some(3),
                warmup: Some(Duration::from_secs(60)),
                ..LiveOptions::default()
            },
        )
        .unwrap();
        registry::cloud_os(&config, 0)
            .unwrap()
            .run(&mut live)
            .unwrap();
    }
    let out = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(
        out.contains("service shop/web: 1 of 1 VMs running, Running"),
        "{out}"
    );
    assert!(
        out.contains("elasticity plan (1 actions, dry run):\n  scale shop/web to 2 VMs"),
        "{out}"
    );
    assert!(
        !config.journal_path().exists(),
        "a dry run journals nothing"
    );
}

#[test]
fn live_services_refuse_what_only_the_simulator_models_and_ambiguous_names() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[services]]\nname = \"s\"\nsubmit_s = 60\n[[services.roles]]\nname = \"r\"\nvm_type = \"small\"\n",
            "services.0.submit_s",
            "`submit_s` is simulation only",
        ),
        (
            "[[services]]\nname = \"s\"\n[[services.roles]]\nname = \"r\"\nvm_type = \"big\"\n",
            "services[0].roles[0].vm_type",
            "no VM type `big`",
        ),
        (
            "[[services]]\nname = \"a-b\"\n[[services.roles]]\nname = \"c\"\nvm_type = \"small\"\n\
             [[services]]\nname = \"a\"\n[[services.roles]]\nname = \"b-c\"\nvm_type = \"small\"\n",
            "services.1.roles.0.name",
            "would be named `a-b-c-N`",
        ),
        (
            "[[vms]]\nname = \"s-r-2\"\ntemplate = \"small\"\n\
             [[services]]\nname = \"s\"\n[[services.roles]]\nname = \"r\"\nvm_type = \"small\"\n",
            "vms.0.name",
            "is the name of a VM of role `r` of service `s`",
        ),
    ];
    let base = "journal = \"j\"\n[[hosts]]\nname = \"h\"\nuri = \"test:///default\"\n\
                [[templates]]\nname = \"small\"\nmips = 1000\nmemory_mb = 512\n\
                [policies]\nplacement = \"first-fit\"\n";
    for (extra, key, message) in cases {
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, format!("{base}{extra}")).unwrap();
        let e = LiveConfig::load(&file, &[]).expect_err(key);
        let shown = e.to_string();
        assert!(shown.contains(message), "{key}: {shown}");
        assert_eq!(e.key.as_deref(), Some(key), "{shown}");
    }
}
