//! A real libvirt cluster for the tests: `scripts/test-cluster` starts N libvirt daemons (each
//! its own host, address and UUID, in network and mount namespaces) running real QEMU guests,
//! and tears them down when the [`Cluster`] is dropped. One cluster at a time on a machine:
//! tests take a lock file first, so they run one after another whatever the test threads.
//!
//! It needs root and Debian's qemu-system-x86, libvirt-daemon-system, linux-image-amd64 and
//! busybox-static (.ci/install installs them). Where they are missing the tests say so and
//! pass, unless `ORRERY_REQUIRE_CLUSTER=1` (set by CI), which makes a missing piece a failure.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Where the cluster lives (the guest kernel and initramfs are kept between runs).
pub const BASE: &str = "/tmp/orrery-cluster";

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-cluster")
}

/// What is missing to run a real cluster here, if anything.
fn missing() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("the real-cluster tests need root".into());
    }
    for tool in [
        "libvirtd",
        "virsh",
        "qemu-system-x86_64",
        "busybox",
        "ip",
        "cpio",
    ] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            return Some(format!("`{tool}` is not installed (run .ci/install)"));
        }
    }
    let kernel = std::fs::read_dir("/boot").ok().is_some_and(|d| {
        d.flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("vmlinuz-"))
    });
    (!kernel).then(|| "no kernel in /boot (apt install linux-image-amd64)".into())
}

/// Runs `scripts/test-cluster ARGS`, panicking with its output when it fails.
fn cluster_script(args: &[&str]) -> String {
    let out = Command::new(script())
        .args(args)
        .env("ORRERY_CLUSTER", BASE)
        .output()
        .expect("run scripts/test-cluster");
    assert!(
        out.status.success(),
        "scripts/test-cluster {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running cluster of `hosts` hosts named h0, h1, …, and a scratch directory for configs and
/// journals. Dropping it stops every daemon and guest.
pub struct Cluster {
    /// Number of hosts.
    pub hosts: usize,
    /// The libvirt domain type guests use here (`qemu`: TCG, or `kvm` where it boots).
    pub accel: String,
    /// Scratch directory (configs, journals).
    pub dir: tempfile::TempDir,
    _lock: File,
}

impl Cluster {
    /// Starts a cluster of `hosts` hosts, or says why it cannot and returns `None` (a failure
    /// instead under `ORRERY_REQUIRE_CLUSTER=1`).
    pub fn start(hosts: usize) -> Option<Cluster> {
        if let Some(why) = missing() {
            assert!(
                std::env::var_os("ORRERY_REQUIRE_CLUSTER").is_none(),
                "ORRERY_REQUIRE_CLUSTER is set but {why}"
            );
            eprintln!("skipped: {why}");
            return None;
        }
        let lock = File::create("/tmp/orrery-cluster.lock").expect("create the cluster lock");
        lock.lock().expect("take the cluster lock");
        // A cluster a crashed test left behind goes first.
        cluster_script(&["down"]);
        let accel = cluster_script(&["accel"]).trim().to_string();
        cluster_script(&["up", &hosts.to_string()]);
        Some(Cluster {
            hosts,
            accel,
            dir: tempfile::tempdir().expect("scratch directory"),
            _lock: lock,
        })
    }

    /// Host `h`'s libvirt URI.
    pub fn uri(&self, h: usize) -> String {
        format!("qemu+tcp://10.77.0.{}/system", 10 + h)
    }

    /// `virsh -c URI ARGS` on host `h`: its output, or its error text.
    pub fn virsh(&self, h: usize, args: &[&str]) -> Result<String, String> {
        let out = Command::new("timeout")
            .args(["60", "virsh", "-q", "-c", &self.uri(h)])
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    /// Every domain on host `h`, by name, with its state as virsh says it (`running`,
    /// `shut off`, `paused`, …); empty when the host does not answer.
    pub fn domains(&self, h: usize) -> BTreeMap<String, String> {
        let Ok(names) = self.virsh(h, &["list", "--all", "--name"]) else {
            return BTreeMap::new();
        };
        names
            .lines()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| {
                let state = self.virsh(h, &["domstate", n]).unwrap_or_default();
                (n.to_string(), state)
            })
            .collect()
    }

    /// Where each domain named in `names` is: (host, state) for every host that has it.
    pub fn placement(&self, names: &[&str]) -> BTreeMap<String, Vec<(usize, String)>> {
        let mut at: BTreeMap<String, Vec<(usize, String)>> =
            names.iter().map(|n| (n.to_string(), Vec::new())).collect();
        for h in 0..self.hosts {
            for (name, state) in self.domains(h) {
                if let Some(v) = at.get_mut(&name) {
                    v.push((h, state));
                }
            }
        }
        at
    }

    /// Domain `name`'s UUID on host `h`.
    pub fn uuid(&self, h: usize, name: &str) -> String {
        self.virsh(h, &["domuuid", name]).expect("domuuid")
    }

    /// Domain `name`'s persistent XML on host `h`.
    pub fn xml(&self, h: usize, name: &str) -> String {
        self.virsh(h, &["dumpxml", "--inactive", name])
            .expect("dumpxml")
    }

    /// Defines (and with `start`, starts) a guest `name` on host `h` that orrery does not
    /// own: untagged when `owner` is `None`, else tagged as `owner`'s.
    pub fn define_foreign(&self, h: usize, name: &str, owner: Option<&str>, start: bool) {
        let tag = owner.map_or(String::new(), |o| {
            format!(
                "<metadata><orrery:vm xmlns:orrery='https://orrery.dev/xmlns/live/1' \
                 template='light' owner='{o}'/></metadata>"
            )
        });
        let xml = format!(
            "<domain type='{accel}'><name>{name}</name>{tag}<memory unit='MiB'>128</memory>\
             <vcpu>1</vcpu><os><type>hvm</type><kernel>{BASE}/guest/vmlinuz</kernel>\
             <initrd>{BASE}/guest/initrd.gz</initrd><cmdline>quiet orrery.load=5:3600</cmdline>\
             </os><devices/></domain>",
            accel = self.accel
        );
        let file = self.dir.path().join(format!("{name}-{h}.xml"));
        std::fs::write(&file, xml).unwrap();
        self.virsh(h, &["define", file.to_str().unwrap()])
            .expect("define");
        if start {
            self.virsh(h, &["start", name]).expect("start");
        }
    }

    /// Powers host `h` on or off (starts or stops its daemon), as the power command does.
    pub fn power(&self, action: &str, h: usize) {
        cluster_script(&["power", action, &format!("h{h}")]);
    }

    /// Freezes (SIGSTOP) host `h`'s daemon.
    pub fn freeze(&self, h: usize) {
        cluster_script(&["freeze", &format!("h{h}")]);
    }

    /// Thaws (SIGCONT) host `h`'s daemon.
    pub fn thaw(&self, h: usize) {
        cluster_script(&["thaw", &format!("h{h}")]);
    }

    /// Writes live config `file` (in the scratch directory): the cluster's hosts (power
    /// command: scripts/test-cluster), guest templates `light` (20 % CPU) and `busy` (60 %),
    /// each 1 vCPU of 1000 MIPS and 128 MiB, `vms` (name, template), then `extra` top-level
    /// keys and the `[policies]` body. Hosts count 1000 MIPS a core; `cpu_overcommit` 1.
    pub fn config(&self, file: &str, vms: &[(&str, &str)], extra: &str, policies: &str) -> PathBuf {
        let mut text = format!(
            "name = \"cluster\"\njournal = \"cluster.journal\"\ninterval_s = 6\n\
             power_command = [\"{script}\", \"power\", \"{{action}}\", \"{{host}}\"]\n\
             power_on_timeout_s = 60\nshutdown_timeout_s = 10\n{extra}\n\
             [retry]\nattempts = 3\nbackoff_ms = 200\nmax_backoff_ms = 1000\n\n\
             [timeouts]\nconnect_s = 5\ncall_s = 15\nmigrate_s = 180\n\n",
            script = script().display()
        );
        for (name, load) in [("light", 20), ("busy", 60)] {
            text.push_str(&self.template(name, 128, load, 2));
        }
        for h in 0..self.hosts {
            let _ = write!(
                text,
                "[[hosts]]\nname = \"h{h}\"\nuri = \"{}\"\ncore_mips = 1000\n\n",
                self.uri(h)
            );
        }
        for (name, template) in vms {
            let _ = write!(
                text,
                "[[vms]]\nname = \"{name}\"\ntemplate = \"{template}\"\n\n"
            );
        }
        let _ = write!(text, "[policies]\n{policies}\n");
        let path = self.dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A `[[templates]]` entry: 1 vCPU of 1000 MIPS and `memory_mib`, booting the guest
    /// kernel, busy `load` percent of one vCPU and rewriting `dirty_mibps` MiB of its memory
    /// every second.
    pub fn template(&self, name: &str, memory_mib: u64, load: u32, dirty_mibps: u64) -> String {
        self.scheduled_template(name, memory_mib, &format!("{load}:3600"), dirty_mibps)
    }

    /// A `[[templates]]` entry as [`Cluster::template`]'s, busy as `schedule` says
    /// (`P1:S1,P2:S2,…`: P percent of one vCPU for S seconds, in turn, from the guest's boot).
    pub fn scheduled_template(
        &self,
        name: &str,
        memory_mib: u64,
        schedule: &str,
        dirty_mibps: u64,
    ) -> String {
        format!(
            "[[templates]]\nname = \"{name}\"\nvcpus = 1\nmips = 1000\n\
             memory_mb = {memory_mib}\ndomain_type = \"{accel}\"\n\
             kernel = \"{BASE}/guest/vmlinuz\"\ninitrd = \"{BASE}/guest/initrd.gz\"\n\
             cmdline = \"quiet orrery.load={schedule} orrery.dirty={dirty_mibps}\"\n\n",
            accel = self.accel
        )
    }

    /// The journal every config of [`Cluster::config`] writes.
    pub fn journal(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("cluster.journal")).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(script())
            .arg("down")
            .env("ORRERY_CLUSTER", BASE)
            .output();
    }
}

/// `orrery live --config CONFIG --apply ARGS`, killed after `limit`: its output.
pub fn live(config: &Path, args: &[&str], limit: Duration) -> Output {
    let child = live_child(config, args);
    wait(child, limit)
}

/// `orrery live --config CONFIG --apply ARGS`, started, its output piped.
pub fn live_child(config: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_orrery"))
        .arg("live")
        .arg("--config")
        .arg(config)
        .arg("--apply")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start orrery")
}

/// Waits for `child` at most `limit` (then kills it and fails the test).
pub fn wait(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("poll orrery").is_some() {
            return child.wait_with_output().expect("orrery's output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("orrery's output");
            panic!(
                "orrery live did not finish within {limit:?}:\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Reads `child`'s standard output line by line on a thread: the lines arrive on the returned
/// channel as orrery prints them, and the thread's result is the whole text.
pub fn follow(child: &mut Child) -> (mpsc::Receiver<String>, std::thread::JoinHandle<String>) {
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            all.push_str(&line);
            all.push('\n');
            let _ = tx.send(line);
        }
        all
    });
    (rx, reader)
}

/// Waits (at most `limit`) for a line of `lines` that contains `needle`; fails showing the
/// lines read so far if the output ends or the time runs out first.
pub fn wait_for_line(lines: &mpsc::Receiver<String>, needle: &str, limit: Duration) -> String {
    let start = Instant::now();
    let mut seen = String::new();
    loop {
        let left = limit.saturating_sub(start.elapsed());
        match lines.recv_timeout(left) {
            Ok(l) if l.contains(needle) => return l,
            Ok(l) => {
                seen.push_str(&l);
                seen.push('\n');
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                panic!("no line with `{needle}` within {limit:?}:\n{seen}")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                panic!("orrery ended with no line with `{needle}`:\n{seen}")
            }
        }
    }
}

/// Standard output and error of `out` as text.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
