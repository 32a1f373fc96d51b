//! Carrying out one journaled action on the hosts, as idempotent steps: each step looks at the
//! domain first and does only what is still missing, so an action can be retried or finished
//! after a crash. A cold move never has the VM running on both hosts, and undoes its own partial
//! work when a step fails for good.

use std::collections::BTreeMap;
use std::time::Duration;

use super::clock::Clock;
use super::config::{LiveConfig, MigrationMode, TemplateSection};
use super::connection::{NAMESPACE, PREFIX};
use super::hypervisor::{
    Call, Calls, DomState, DomainFacts, DriverError, ErrorKind, Hypervisor, MigrationFacts,
};
use super::journal::Planned;
use super::owner::{Guard, Ownership};
use super::retry::with_backoff;

/// What carrying out actions needs: the hosts, the config, the VMs' recorded UUIDs and a clock
/// to wait on.
pub struct Executor<'a> {
    /// The hosts' hypervisors.
    pub hv: &'a mut dyn Hypervisor,
    /// The live config.
    pub config: &'a LiveConfig,
    /// The UUID the journal recorded for each VM, by name.
    pub uuids: &'a BTreeMap<String, String>,
    /// Waits between retries and while guests shut down.
    pub clock: &'a mut dyn Clock,
    /// What the last live migration carried out measured (when the driver says).
    pub measured: Option<MigrationFacts>,
}

impl Executor<'_> {
    /// Carries out `action`; on failure, says why (with what it undid). Any domain the action
    /// would touch that is not this config's (see [`Ownership`]) stops it, untouched.
    pub fn execute(&mut self, action: &Planned) -> Result<(), String> {
        let r = match action {
            Planned::Deploy {
                vm,
                host,
                template,
                uuid,
            } => {
                let h = self.host_index(host)?;
                let t = self.template(template)?;
                let xml = domain_xml(self.config, vm, uuid.as_deref(), t);
                self.ensure_defined(h, vm, &xml)
                    .and_then(|()| self.ensure_running(h, vm))
            }
            Planned::Suspend { vm, host } => {
                let h = self.host_index(host)?;
                self.step(|hv| match state(hv, h, vm)? {
                    DomState::Running => hv.act(h, Call::Suspend(vm)),
                    DomState::Paused => Ok(()),
                    s => Err(DriverError::permanent(format!("VM is {s:?}, not running"))),
                })
            }
            Planned::Resume { vm, host } => {
                let h = self.host_index(host)?;
                self.step(|hv| match state(hv, h, vm)? {
                    DomState::Paused => hv.act(h, Call::Resume(vm)),
                    DomState::Running => Ok(()),
                    s => Err(DriverError::permanent(format!(
                        "VM is {s:?}, not suspended"
                    ))),
                })
            }
            Planned::Shutdown { vm, host } => {
                let h = self.host_index(host)?;
                self.stop(h, vm).and_then(|()| self.ensure_undefined(h, vm))
            }
            Planned::Resize {
                vm,
                host,
                vcpus,
                memory_mb,
            } => {
                let h = self.host_index(host)?;
                let kib = (memory_mb * 1024.0).round() as u64;
                self.step(|hv| {
                    let d = facts(hv, h, vm)?;
                    let live = d.state.is_active();
                    if d.vcpus != *vcpus {
                        let call = Call::SetVcpus {
                            name: vm,
                            vcpus: *vcpus,
                            live,
                        };
                        hv.act(h, call)?;
                    }
                    if d.memory_kib != kib {
                        hv.act(
                            h,
                            Call::SetMemory {
                                name: vm,
                                kib,
                                live,
                            },
                        )?;
                    }
                    Ok(())
                })
            }
            Planned::Migrate { vm, from, to } => {
                let (from, to) = (self.host_index(from)?, self.host_index(to)?);
                self.migrate(vm, from, to)
            }
            Planned::PowerOn { host } => self.power("on", host),
            Planned::PowerOff { host, .. } => {
                let h = self.host_index(host)?;
                self.step(|hv| hv.domains(h)).and_then(|doms| {
                    match doms.iter().find(|d| d.state.is_active()) {
                        Some(d) => Err(DriverError::permanent(format!(
                            "domain `{}` still runs on {host}",
                            d.name
                        ))),
                        None => self.power("off", host),
                    }
                })
            }
        };
        r.map_err(|e| e.to_string())
    }

    /// Domain `vm` on host `h`, if it is there and this config's (an error if it is there and
    /// not this config's).
    pub fn domain(&mut self, h: usize, vm: &str) -> Result<Option<DomainFacts>, DriverError> {
        self.step(|hv| hv.domain(h, vm))
    }

    /// Index of the host called `name`.
    pub(super) fn host_index(&self, name: &str) -> Result<usize, String> {
        self.config
            .spec
            .hosts
            .iter()
            .position(|h| h.name == name)
            .ok_or_else(|| format!("no host `{name}` in the config"))
    }

    fn template(&self, name: &str) -> Result<&TemplateSection, String> {
        let config = self.config;
        config
            .template_index(name)
            .map(|i| &config.spec.templates[i])
            .ok_or_else(|| format!("no template `{name}` in the config"))
    }

    /// Runs one idempotent step through the ownership [`Guard`], retrying transient errors.
    fn step<T>(
        &mut self,
        mut f: impl FnMut(&mut dyn Hypervisor) -> Result<T, DriverError>,
    ) -> Result<T, DriverError> {
        let hosts = self.config.host_names();
        let mut guard = Guard {
            hv: &mut *self.hv,
            own: Ownership {
                owner: &self.config.name,
                uuids: self.uuids,
            },
            hosts: &hosts,
        };
        with_backoff(&self.config.spec.retry, self.clock, || f(&mut guard))
    }

    fn ensure_defined(&mut self, h: usize, vm: &str, xml: &str) -> Result<(), DriverError> {
        self.step(|hv| match hv.domain(h, vm)? {
            Some(_) => Ok(()),
            None => hv.act(h, Call::Define(xml)),
        })
    }

    /// Starts VM `vm` on host `h` unless it runs (or is paused) there.
    pub(super) fn ensure_running(&mut self, h: usize, vm: &str) -> Result<(), DriverError> {
        self.step(|hv| match state(hv, h, vm)? {
            DomState::ShutOff => hv.act(h, Call::Start(vm)),
            DomState::Running | DomState::Paused => Ok(()),
            s => Err(DriverError::permanent(format!(
                "VM is {s:?}, cannot start it"
            ))),
        })
    }

    fn ensure_undefined(&mut self, h: usize, vm: &str) -> Result<(), DriverError> {
        self.step(|hv| match hv.domain(h, vm)? {
            Some(_) => hv.act(h, Call::Undefine(vm)),
            None => Ok(()),
        })
    }

    /// Shuts VM `vm` on host `h` down: a guest shutdown, then destroy after the timeout.
    fn stop(&mut self, h: usize, vm: &str) -> Result<(), DriverError> {
        let asked = self.step(|hv| match hv.domain(h, vm)? {
            Some(d) if d.state == DomState::Running => hv.act(h, Call::Shutdown(vm)).map(|()| true),
            _ => Ok(false),
        })?;
        if asked {
            let timeout = Duration::from_secs_f64(self.config.spec.shutdown_timeout_s);
            let start = self.clock.now();
            while self.clock.now() - start < timeout {
                let s = self.step(|hv| hv.domain(h, vm))?;
                if s.is_none_or(|d| d.state == DomState::ShutOff) {
                    return Ok(());
                }
                self.clock.sleep(Duration::from_secs(1));
            }
        }
        self.step(|hv| match hv.domain(h, vm)? {
            Some(d) if d.state.is_active() => hv.act(h, Call::Destroy(vm)),
            _ => Ok(()),
        })
    }

    fn migrate(&mut self, vm: &str, from: usize, to: usize) -> Result<(), DriverError> {
        if self.config.spec.migration == MigrationMode::Live {
            let bandwidth_mibps = self.config.spec.migration_bandwidth_mibps;
            let r = self.step(|hv| match hv.domain(to, vm)? {
                Some(d) if d.state.is_active() => Ok(false),
                _ => hv
                    .act(
                        from,
                        Call::Migrate {
                            name: vm,
                            to,
                            bandwidth_mibps,
                        },
                    )
                    .map(|()| true),
            });
            match r {
                Err(e) if e.kind == ErrorKind::Unsupported => {}
                Ok(true) => {
                    // Best effort: the move is done whether or not it was measured.
                    self.measured = self.hv.migration_stats(to, vm).ok().flatten();
                    return Ok(());
                }
                other => return other.map(drop),
            }
        }
        self.cold_move(vm, from, to)
    }

    /// Shut down on `from`, define on `to`, start there, undefine on `from`; each step skipped
    /// when already done, so an interrupted move can be finished.
    pub(super) fn cold_move(
        &mut self,
        vm: &str,
        from: usize,
        to: usize,
    ) -> Result<(), DriverError> {
        let (src, dst) = self.step(|hv| Ok((hv.domain(from, vm)?, hv.domain(to, vm)?)))?;
        match (&src, &dst) {
            (None, None) => return Err(DriverError::permanent("the VM is on neither host")),
            (Some(s), Some(d)) if s.state.is_active() && d.state.is_active() => {
                return Err(DriverError::permanent(
                    "the VM runs on both hosts: resolve by hand (orrery will not guess)",
                ))
            }
            _ => {}
        }
        let was_running = src.as_ref().is_some_and(|s| s.state.is_active());
        let defined_here = dst.is_none();
        let xml = match (&src, &dst) {
            (Some(_), None) => Some(self.step(|hv| hv.domain_xml(from, vm))?),
            _ => None,
        };
        let moved = (|| {
            if was_running {
                self.stop(from, vm)?;
            }
            if let Some(xml) = &xml {
                self.ensure_defined(to, vm, xml)?;
            }
            self.ensure_running(to, vm)
        })();
        if let Err(e) = moved {
            self.undo(vm, from, to, was_running, defined_here);
            return Err(e);
        }
        self.ensure_undefined(from, vm)
    }

    /// Undoes a failed cold move: unless the VM runs on `to` after all, removes the copy this
    /// move defined there and restarts the VM on `from` if it was running. Best effort: what
    /// fails here is left to reconciliation.
    fn undo(&mut self, vm: &str, from: usize, to: usize, was_running: bool, defined: bool) {
        let on_target = self.step(|hv| hv.domain(to, vm));
        if let Ok(Some(d)) = &on_target {
            if d.state.is_active() {
                return;
            }
        }
        if defined && on_target.is_ok() {
            let _ = self.ensure_undefined(to, vm);
        }
        if was_running {
            let _ = self.ensure_running(from, vm);
        }
    }

    fn power(&mut self, action: &str, host: &str) -> Result<(), DriverError> {
        let argv: Vec<String> = self
            .config
            .spec
            .power_command
            .iter()
            .map(|a| a.replace("{action}", action).replace("{host}", host))
            .collect();
        let Some((program, args)) = argv.split_first() else {
            return Err(DriverError::permanent(
                "no power_command in the live config: hosts cannot be powered on or off",
            ));
        };
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .map_err(|e| DriverError::permanent(format!("cannot run {program}: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(DriverError::permanent(format!(
                "{program} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }
}

fn facts(hv: &mut dyn Hypervisor, h: usize, vm: &str) -> Result<DomainFacts, DriverError> {
    hv.domain(h, vm)?
        .ok_or_else(|| DriverError::permanent(format!("VM `{vm}` is not on that host")))
}

fn state(hv: &mut dyn Hypervisor, h: usize, vm: &str) -> Result<DomState, DriverError> {
    facts(hv, h, vm).map(|d| d.state)
}

/// The domain XML of VM `name` from template `t` of `config`: its UUID (when given, so that
/// libvirt refuses to redefine another domain of that name), orrery's metadata tag with the
/// template and the owner, its size (current and maximum), a directly booted kernel when the
/// template names one, and the template's devices.
pub fn domain_xml(
    config: &LiveConfig,
    name: &str,
    uuid: Option<&str>,
    t: &TemplateSection,
) -> String {
    let kib = |mb: f64| (mb * 1024.0).round() as u64;
    let uuid = uuid.map_or(String::new(), |u| format!("<uuid>{}</uuid>\n  ", escape(u)));
    let mut os = String::from("<type>hvm</type>");
    for (tag, value) in [
        ("kernel", config.template_path(t, "kernel")),
        ("initrd", config.template_path(t, "initrd")),
        ("cmdline", t.cmdline.clone()),
    ] {
        if let Some(v) = value {
            os += &format!("<{tag}>{}</{tag}>", escape(&v));
        }
    }
    format!(
        "<domain type='{ty}'>\n  <name>{name}</name>\n  {uuid}\
         <metadata><{PREFIX}:vm xmlns:{PREFIX}='{NAMESPACE}' template='{tn}' owner='{owner}'/>\
         </metadata>\n  \
         <memory unit='KiB'>{max}</memory>\n  <currentMemory unit='KiB'>{cur}</currentMemory>\n  \
         <vcpu current='{vcpus}'>{max_vcpus}</vcpu>\n  <os>{os}</os>\n  \
         <devices>{devices}</devices>\n</domain>\n",
        ty = t.domain_type,
        tn = escape(&t.name),
        owner = escape(&config.name),
        max = kib(t.max_memory_mb.unwrap_or(t.memory_mb)),
        cur = kib(t.memory_mb),
        vcpus = t.vcpus,
        max_vcpus = t.max_vcpus.unwrap_or(t.vcpus),
        devices = t.devices,
    )
}

/// `s` safe inside XML text and single- or double-quoted attributes.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}
