//! Helpers for the live-mode tests: test-driver node files in a temporary directory, a live
//! config over them, and hypervisor wrappers (scripted CPU loads, an injected failure).

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use orrery_live::clock::{Clock, ManualClock};
use orrery_live::config::LiveConfig;
use orrery_live::hypervisor::{
    Call, Calls, DomState, DomainFacts, DriverError, ErrorKind, Hypervisor, Reply,
};
use orrery_live::{Libvirt, Live, LiveOptions};

/// orrery's metadata tag in a node file: template `small`, owned by `owner` (the test
/// configs' name is `live`).
pub fn tag(owner: &str) -> String {
    format!(
        r#"<metadata><orrery:vm xmlns:orrery="https://orrery.dev/xmlns/live/1" template="small" owner="{owner}"/></metadata>"#
    )
}

/// A domain in a node file: name, its orrery tag's owner (`None`: untagged), running or shut
/// off.
pub struct Dom<'a> {
    pub name: &'a str,
    pub owner: Option<&'a str>,
    pub running: bool,
}

/// The test config's VM, running.
pub fn running(name: &str) -> Dom<'_> {
    Dom {
        name,
        owner: Some("live"),
        running: true,
    }
}

/// The test config's VM, shut off (see [`open`]).
pub fn stopped(name: &str) -> Dom<'_> {
    Dom {
        name,
        owner: Some("live"),
        running: false,
    }
}

/// An untagged domain, running.
pub fn foreign(name: &str) -> Dom<'_> {
    Dom {
        name,
        owner: None,
        running: true,
    }
}

/// A domain tagged as `owner`'s, running.
pub fn owned_by<'a>(name: &'a str, owner: &'a str) -> Dom<'a> {
    Dom {
        name,
        owner: Some(owner),
        running: true,
    }
}

/// Writes `hostN.xml` in `dir`: 8 CPUs at 2000 MHz, 16 GiB, with these domains (2 vCPUs and
/// 2048 MiB each, as template `small`).
pub fn node(dir: &Path, n: usize, doms: &[Dom<'_>]) {
    let mut xml = String::from(
        "<node><cpu><mhz>2000</mhz><model>x86_64</model><active>8</active><max>8</max>\
         <nodes>1</nodes><sockets>1</sockets><cores>8</cores><threads>1</threads></cpu>\
         <memory>16777216</memory>\n",
    );
    for d in doms {
        let _ = writeln!(
            xml,
            "<domain type='test'><name>{}</name><uuid>{}</uuid>{}<memory unit='MiB'>4096</memory>\
             <currentMemory unit='MiB'>2048</currentMemory><vcpu current='2'>4</vcpu>\
             <os><type>hvm</type></os></domain>",
            d.name,
            uuid_of(d.name),
            d.owner.map_or(String::new(), tag),
        );
    }
    // The test driver starts every domain in its node file; stopped ones are written as
    // defined-only domains by shutting them off after opening (see `Hosts::open`).
    xml.push_str("</node>\n");
    std::fs::write(dir.join(format!("host{n}.xml")), xml).unwrap();
}

/// A fixed UUID per domain name (the test driver would draw a new one each time it reads a
/// node file, and a VM is the domain with the UUID orrery recorded).
pub fn uuid_of(name: &str) -> String {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    format!("5f0e3a8e-0000-4000-8000-{:012x}", h & 0xffff_ffff_ffff)
}

/// A live config over `hosts` test-driver nodes in `dir`, VMs `vms` (template `small`), the
/// given `[policies]` body and extra top-level keys.
pub fn config(dir: &Path, hosts: usize, vms: &[&str], policies: &str, extra: &str) -> LiveConfig {
    let mut text = format!(
        "journal = \"live.journal\"\ninterval_s = 300\n{extra}\n\
         [retry]\nattempts = 3\nbackoff_ms = 10\nmax_backoff_ms = 40\n\n\
         [[templates]]\nname = \"small\"\nvcpus = 2\nmax_vcpus = 4\nmips = 2000\n\
         memory_mb = 2048\nmax_memory_mb = 4096\ndomain_type = \"test\"\n\n"
    );
    for h in 0..hosts {
        let _ = writeln!(
            text,
            "[[hosts]]\nname = \"h-{h}\"\nuri = \"test://{{config_dir}}/host{h}.xml\"\n\
             power = {{ model = \"linear\", idle_w = 100.0, max_w = 200.0 }}\n"
        );
    }
    for v in vms {
        let _ = writeln!(text, "[[vms]]\nname = \"{v}\"\ntemplate = \"small\"\n");
    }
    let _ = write!(text, "[policies]\n{policies}\n");
    let file = dir.join("live.toml");
    std::fs::write(&file, &text).unwrap();
    LiveConfig::load(&file, &[]).unwrap_or_else(|e| panic!("bad test config: {e}"))
}

/// Opens libvirt connections to the config's hosts and shuts off the domains named in
/// `stopped` (the test driver starts every domain of a node file).
pub fn open(config: &LiveConfig, stopped: &[(usize, &str)]) -> Libvirt {
    let mut hv = Libvirt::new(config.uris(), Default::default());
    for &(h, name) in stopped {
        hv.act(h, Call::Destroy(name)).unwrap();
    }
    hv.owned_by(&config.name)
}

/// Scripted CPU loads: reports each listed domain's CPU time as demand × vCPUs × clock time,
/// since the test driver's CPU times are synthetic (wall-clock based).
pub struct Loads<H> {
    pub inner: H,
    pub clock: ManualClock,
    pub demand: BTreeMap<String, f64>,
}

impl<H: Hypervisor> Loads<H> {
    fn script(&self, d: &mut DomainFacts) {
        let u = self.demand.get(&d.name).copied().unwrap_or(0.0);
        d.cpu_time_ns = (u * d.vcpus as f64 * self.clock.now().as_nanos() as f64) as u64;
    }
}

impl<H: Hypervisor> Hypervisor for Loads<H> {
    fn call(&mut self, host: usize, call: Call<'_>) -> Result<Reply, DriverError> {
        let mut r = self.inner.call(host, call)?;
        match &mut r {
            Reply::Domains(ds) => ds.iter_mut().for_each(|d| self.script(d)),
            Reply::Domain(Some(d)) => self.script(d),
            _ => {}
        }
        Ok(r)
    }
}

/// Fails call number `fail_at` (counting from 1) with an error of `kind`; counts every call.
pub struct Flaky<H> {
    pub inner: H,
    pub calls: usize,
    pub fail_at: usize,
    pub kind: ErrorKind,
}

impl<H: Hypervisor> Hypervisor for Flaky<H> {
    fn call(&mut self, host: usize, call: Call<'_>) -> Result<Reply, DriverError> {
        self.calls += 1;
        if self.calls == self.fail_at {
            return Err(DriverError {
                kind: self.kind,
                message: format!("injected failure of call {}", self.calls),
            });
        }
        self.inner.call(host, call)
    }
}

/// Where each managed domain is: name → (host, state) for every host that has it.
pub fn placement(
    hv: &mut dyn Hypervisor,
    hosts: usize,
) -> BTreeMap<String, Vec<(usize, DomState)>> {
    let mut at: BTreeMap<String, Vec<(usize, DomState)>> = BTreeMap::new();
    for h in 0..hosts {
        for d in hv.domains(h).unwrap() {
            if d.template.is_some() {
                at.entry(d.name).or_default().push((h, d.state));
            }
        }
    }
    at
}

/// Every domain on every host, CPU time left out (the test driver's is the wall clock).
pub fn snapshot(hv: &mut dyn Hypervisor, hosts: usize) -> Vec<Vec<DomainFacts>> {
    (0..hosts)
        .map(|h| {
            let mut ds = hv.domains(h).unwrap();
            ds.iter_mut().for_each(|d| d.cpu_time_ns = 0);
            ds
        })
        .collect()
}

/// Options for a test run: `apply`, at most `rounds` rounds, the config's interval.
pub fn opts(apply: bool, rounds: u64) -> LiveOptions {
    LiveOptions {
        apply,
        rounds: Some(rounds),
        ..LiveOptions::default()
    }
}

/// A live backend over `hv` with a manual clock and a discarded log.
pub fn live<H: Hypervisor>(
    config: LiveConfig,
    hv: H,
    clock: ManualClock,
    apply: bool,
    rounds: u64,
) -> Live<H> {
    Live::new(
        config,
        hv,
        Box::new(clock),
        Box::new(std::io::sink()),
        opts(apply, rounds),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Five minutes.
pub const INTERVAL: Duration = Duration::from_secs(300);

/// Three hosts with one orrery VM each (a, b, c) at 20 % and an unmanaged domain `legacy` on
/// host 0, a power command logging to `power.log`; PABFD placement and consolidation with THR
/// 0.8 and MMT every 300 s. Its plan, once CPU times have moved: b and c to h-0, h-1 and h-2
/// powered off.
pub fn consolidation(dir: &Path) -> LiveConfig {
    node(dir, 0, &[running("a"), foreign("legacy")]);
    node(dir, 1, &[running("b")]);
    node(dir, 2, &[running("c")]);
    let extra = format!(
        "power_command = [\"sh\", \"-c\", \"echo {{action}} {{host}} >> {}\"]",
        dir.join("power.log").display()
    );
    let policies = "placement = \"pabfd\"\nreallocation = \"consolidation\"\n\
                    reallocation_interval_s = 300\n\
                    [policies.consolidation]\ndetector = \"thr\"\nparameter = 0.8\nselection = \"mmt\"";
    config(dir, 3, &["a", "b", "c"], policies, &extra)
}

/// [`consolidation`]'s domains, each (and `legacy`) busy 20 % of its vCPUs.
pub fn loads_of_consolidation<H: Hypervisor>(clock: &ManualClock, hv: H) -> Loads<H> {
    let demand: BTreeMap<String, f64> = ["a", "b", "c", "legacy"]
        .iter()
        .map(|n| (n.to_string(), 0.2))
        .collect();
    Loads {
        inner: hv,
        clock: clock.clone(),
        demand,
    }
}
