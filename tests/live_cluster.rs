//! `orrery live --apply` on a real cluster (tests/cluster: libvirt daemons in namespaces
//! running QEMU guests whose CPU load follows a schedule): placement, consolidation by real
//! live migrations and cold moves, hosts powered off and on through the power command, name
//! collisions with domains orrery does not own, frozen daemons, migrations over their time
//! limit, and `kill -9` mid-action. Every outcome is read back from libvirt itself.

#![cfg(feature = "live")]

mod cluster;

use std::time::Duration;

use cluster::*;

/// Consolidation as CloudSim runs it: a static threshold, minimum migration time.
const CONSOLIDATE: &str = "placement = \"striping\"\nreallocation = \"consolidation\"\n\
                           reallocation_interval_s = 6\n[policies.consolidation]\n\
                           detector = \"thr\"\nparameter = 0.8\nselection = \"mmt\"";

/// A generous bound on one `orrery live` run here (TCG guests on a shared machine).
const RUN_LIMIT: Duration = Duration::from_secs(600);

/// The utilisation orrery printed for `vm` in the last listing of `out` (`a Running 14%`).
fn observed(out: &str, vm: &str) -> f64 {
    let needle = format!(" {vm} Running ");
    let at = out
        .rfind(&needle)
        .unwrap_or_else(|| panic!("no `{needle}` in:\n{out}"));
    let rest = &out[at + needle.len()..];
    rest[..rest.find('%').unwrap()].parse::<f64>().unwrap() / 100.0
}

/// The UUID the journal recorded for `vm` at its deploy.
fn journaled_uuid(journal: &str, vm: &str) -> String {
    journal
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["action"]["kind"] == "deploy" && r["action"]["vm"] == vm)
        .filter_map(|r| r["action"]["uuid"].as_str().map(str::to_string))
        .next_back()
        .unwrap_or_else(|| panic!("no deploy of {vm} in:\n{journal}"))
}

#[test]
fn places_consolidates_by_live_migration_and_powers_hosts_off_and_on() {
    let Some(c) = Cluster::start(2) else { return };
    // a asks 20 % of its vCPU, b 60 %: striping puts one on each host; in round 2 both hosts
    // are below the threshold, the less loaded (h0, a) is drained into h1 by a live migration
    // and powered off.
    let config = c.config(
        "first.toml",
        &[("a", "light"), ("b", "busy")],
        "",
        CONSOLIDATE,
    );
    let out = live(&config, &["--rounds", "3"], RUN_LIMIT);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    for line in [
        "deploy a on h0",
        "deploy b on h1",
        "done: migrate a from h0 to h1 (",
        "done: power off h0",
    ] {
        assert!(log.contains(line), "no `{line}` in:\n{log}");
    }
    // Utilisation comes from the guests' real CPU time: the busier guest reads busier, and
    // neither reads more than it asks (20 % and 60 % of one vCPU) by more than sampling noise.
    let (a, b) = (observed(&log, "a"), observed(&log, "b"));
    assert!(a > 0.02 && a < 0.35, "a reads {a}:\n{log}");
    assert!(b > a + 0.1 && b < 0.75, "b reads {b}, a {a}:\n{log}");
    // From libvirt: both run on h1, h0's daemon is down, and each domain is the one journaled.
    let at = c.placement(&["a", "b"]);
    assert_eq!(at["a"], vec![(1, "running".to_string())], "{at:?}");
    assert_eq!(at["b"], vec![(1, "running".to_string())], "{at:?}");
    assert!(c.virsh(0, &["version"]).is_err(), "h0 was powered off");
    let journal = c.journal();
    for vm in ["a", "b"] {
        assert_eq!(c.uuid(1, vm), journaled_uuid(&journal, vm));
        assert!(c.xml(1, vm).contains("owner=\"cluster\""));
    }
    // The migration was measured by libvirt and journaled.
    assert!(
        journal.contains("\"migration\":{\"elapsed_ms\":"),
        "{journal}"
    );

    // A third VM does not fit on h1 (2 vCPUs of 1000 MIPS are reserved): placement picks the
    // powered-off h0, which is powered on first (its daemon started), then c deploys there.
    let config = c.config(
        "second.toml",
        &[("a", "light"), ("b", "busy"), ("c", "light")],
        "",
        CONSOLIDATE,
    );
    let out = live(&config, &["--once"], RUN_LIMIT);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("done: power on h0"), "{log}");
    assert!(log.contains("done: deploy c on h0"), "{log}");
    let at = c.placement(&["a", "b", "c"]);
    assert_eq!(at["c"], vec![(0, "running".to_string())], "{at:?}");
    assert_eq!(at["a"], vec![(1, "running".to_string())], "{at:?}");
    assert_eq!(at["b"], vec![(1, "running".to_string())], "{at:?}");
}

#[test]
fn consolidates_by_cold_moves_where_asked() {
    let Some(c) = Cluster::start(2) else { return };
    let config = c.config(
        "cold.toml",
        &[("a", "light"), ("b", "busy")],
        "migration = \"cold\"",
        CONSOLIDATE,
    );
    let out = live(&config, &["--rounds", "3"], RUN_LIMIT);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("done: migrate a from h0 to h1\n"), "{log}");
    assert!(log.contains("done: power off h0"), "{log}");
    // A cold move is not measured as a live migration, and keeps the domain's identity.
    let journal = c.journal();
    assert!(!journal.contains("\"migration\":{"), "{journal}");
    let at = c.placement(&["a", "b"]);
    assert_eq!(at["a"], vec![(1, "running".to_string())], "{at:?}");
    assert_eq!(c.uuid(1, "a"), journaled_uuid(&journal, "a"));
}

/// Workload balance that moves one of two busy VMs off a host the other host has room for.
const BALANCE: &str = "placement = \"first-fit\"\nreallocation = \"workload-balance\"\n\
                       reallocation_interval_s = 6\n[policies.balance]\nspread = 0.15\n\
                       spread_target = 0.1";

#[test]
fn name_collisions_with_domains_orrery_does_not_own_are_refused_and_left_alone() {
    let Some(c) = Cluster::start(2) else { return };
    // h0: an untagged `a` and another owner's `b`; h1: an untagged `c` (running) and another
    // owner's `d`.
    c.define_foreign(0, "a", None, false);
    c.define_foreign(0, "b", Some("someone-else"), false);
    c.define_foreign(1, "c", None, true);
    c.define_foreign(1, "d", Some("someone-else"), false);
    let foreign = |c: &Cluster| {
        [(0, "a"), (0, "b"), (1, "c"), (1, "d")].map(|(h, n)| {
            let state = c.virsh(h, &["domstate", n]).unwrap();
            (c.uuid(h, n), state, c.xml(h, n))
        })
    };
    let before = foreign(&c);

    // Deploys of a and b (first fit: h0) meet the foreign domains: refused, both times.
    let config = c.config(
        "deploy.toml",
        &[("a", "light"), ("b", "light")],
        "",
        "placement = \"first-fit\"",
    );
    let out = live(&config, &["--once"], RUN_LIMIT);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("refused: deploy a on h0: domain `a` on h0 is not this config's (it carries no orrery tag)"), "{log}");
    assert!(log.contains("refused: deploy b on h0: domain `b` on h0 is not this config's (it belongs to `someone-else`)"), "{log}");
    assert_eq!(foreign(&c), before, "a foreign domain changed");

    // c and d deploy on h0 (their namesakes are on h1).
    let config = c.config(
        "cd.toml",
        &[("c", "busy"), ("d", "busy")],
        "",
        "placement = \"first-fit\"",
    );
    let out = live(&config, &["--once"], RUN_LIMIT);
    assert!(out.status.success(), "{}", text(&out));
    let journal = c.journal();
    let ours = |c: &Cluster| [c.uuid(0, "c"), c.uuid(0, "d")];
    assert_eq!(
        ours(&c),
        [journaled_uuid(&journal, "c"), journaled_uuid(&journal, "d")]
    );

    // Balance then moves one of them to h1, where its name is taken: refused by a cold move
    // and by a live migration alike. Ours keep running on h0; h1's are untouched.
    for mode in ["cold", "live"] {
        let config = c.config(
            &format!("balance-{mode}.toml"),
            &[("c", "busy"), ("d", "busy")],
            &format!("migration = \"{mode}\""),
            BALANCE,
        );
        let out = live(&config, &["--rounds", "2"], RUN_LIMIT);
        let log = text(&out);
        assert!(out.status.success(), "{log}");
        assert!(log.contains("refused: migrate "), "{mode}: {log}");
        assert!(log.contains("on h1 is not this config's"), "{mode}: {log}");
        let at = c.placement(&["c", "d"]);
        for vm in ["c", "d"] {
            assert!(
                at[vm].contains(&(0, "running".to_string())),
                "{mode}: {at:?}"
            );
        }
        assert_eq!(foreign(&c), before, "{mode}: a foreign domain changed");
    }
}

#[test]
fn a_frozen_host_is_unreachable_within_its_timeout_and_the_rounds_go_on() {
    let Some(c) = Cluster::start(2) else { return };
    let vms = [("a", "light"), ("b", "light")];
    let config = c.config("freeze.toml", &vms, "", "placement = \"first-fit\"");
    let out = live(&config, &["--once"], RUN_LIMIT);
    assert!(out.status.success(), "{}", text(&out));
    // Three rounds; h1's daemon freezes as soon as the first round has observed the cluster,
    // so every later call to it waits at most the call timeout (4 s), once: the host is then
    // unreachable at once while that call hangs.
    let mut child = live_child(
        &config,
        &[
            "--rounds",
            "3",
            "--interval",
            "3",
            "--set",
            "timeouts.call_s=4",
        ],
    );
    let (lines, reader) = follow(&mut child);
    wait_for_line(&lines, "observed cluster", RUN_LIMIT);
    c.freeze(1);
    let out = wait(child, RUN_LIMIT);
    let log = reader.join().unwrap();
    c.thaw(1);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains("warning: host h1 is unreachable: no answer within 4 s"),
        "{log}"
    );
    assert!(
        log.contains("warning: host h1 is unreachable: the host has not answered a call for"),
        "{log}"
    );
    assert_eq!(
        log.matches("observed cluster").count(),
        4,
        "three rounds and the last listing: {log}"
    );
    // Thawed, h1 answers again and nothing moved.
    let out = live(&config, &["--once"], RUN_LIMIT);
    let log = text(&out);
    assert!(!log.contains("unreachable"), "{log}");
    let at = c.placement(&["a", "b"]);
    assert_eq!(at["a"], vec![(0, "running".to_string())]);
    assert_eq!(at["b"], vec![(0, "running".to_string())]);
}

#[test]
fn a_migration_over_its_time_limit_is_cancelled_and_journaled() {
    let Some(c) = Cluster::start(2) else { return };
    let config = c.config(
        "slow.toml",
        &[("a", "light"), ("b", "busy")],
        "migration_bandwidth_mibps = 1",
        CONSOLIDATE,
    );
    let out = live(
        &config,
        &["--rounds", "2", "--set", "timeouts.migrate_s=15"],
        RUN_LIMIT,
    );
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    assert!(
        log.contains(
            "refused: migrate a from h0 to h1: the migration exceeded 15 s and was cancelled"
        ),
        "{log}"
    );
    let journal = c.journal();
    assert!(
        journal.contains("the migration exceeded 15 s and was cancelled"),
        "{journal}"
    );
    let at = c.placement(&["a", "b"]);
    assert_eq!(at["a"], vec![(0, "running".to_string())], "{at:?}");
    assert_eq!(at["b"], vec![(1, "running".to_string())], "{at:?}");
}

#[test]
fn a_daemon_frozen_mid_migration_loses_nothing_and_is_reconciled() {
    let Some(c) = Cluster::start(2) else { return };
    let config = c.config(
        "mid.toml",
        &[("a", "light"), ("b", "busy")],
        "migration_bandwidth_mibps = 2",
        CONSOLIDATE,
    );
    let mut child = live_child(
        &config,
        &[
            "--rounds",
            "2",
            "--set",
            "timeouts.migrate_s=20",
            "--set",
            "timeouts.call_s=5",
        ],
    );
    let (lines, reader) = follow(&mut child);
    wait_for_line(&lines, "  migrate a from h0 to h1", RUN_LIMIT);
    std::thread::sleep(Duration::from_secs(3));
    c.freeze(1);
    let out = wait(child, RUN_LIMIT);
    let log = reader.join().unwrap();
    assert!(out.status.success(), "{log}");
    assert!(log.contains("refused: migrate a from h0 to h1"), "{log}");
    // Thawed: the next start settles the interrupted migration from what the hosts say.
    c.thaw(1);
    let out = live(&config, &["--once"], RUN_LIMIT);
    let log = text(&out);
    assert!(out.status.success(), "{log}");
    let at = c.placement(&["a", "b"]);
    assert_eq!(at["a"].len(), 1, "a exactly once: {at:?}\n{log}");
    assert_eq!(at["a"][0].1, "running", "{at:?}");
    assert_eq!(at["b"], vec![(1, "running".to_string())], "{at:?}");
    let journal = c.journal();
    assert!(open_intents(&journal).is_empty(), "{journal}");
}

/// Intents in journal text with no outcome yet.
fn open_intents(journal: &str) -> Vec<u64> {
    let mut open = Vec::new();
    for r in journal
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    {
        let seq = r["seq"].as_u64().unwrap();
        match r["record"].as_str().unwrap() {
            "intent" => open.push(seq),
            "adopted" => {}
            _ => open.retain(|&s| s != seq),
        }
    }
    open
}
