//! Settling, at start-up, the actions a crash interrupted: every journal intent without an
//! outcome is compared with what the hosts report now, then finished when part of it took
//! effect and rolled back when none did, so that no VM is lost, orphaned or running twice.

use std::time::Duration;

use super::apply::Executor;
use super::clock::Clock;
use super::config::LiveConfig;
use super::hypervisor::{Calls, DomState, DomainFacts, ErrorKind, Hypervisor};
use super::journal::{Journal, JournalError, Planned, Record};

/// Settles every open intent in `journal`; returns one line per intent. An intent that cannot
/// be settled now (a host does not answer) stays open for the next start.
pub fn reconcile(
    hv: &mut dyn Hypervisor,
    config: &LiveConfig,
    clock: &mut dyn Clock,
    journal: &mut Journal,
) -> Result<Vec<String>, JournalError> {
    let mut lines = Vec::new();
    for (seq, action) in journal.open_intents() {
        let uuids = journal.uuids().clone();
        let mut exec = Executor {
            hv: &mut *hv,
            config,
            uuids: &uuids,
            clock: &mut *clock,
            measured: None,
        };
        match settle(&mut exec, &action) {
            Ok(outcome) => {
                lines.push(format!(
                    "reconciled #{seq} ({}): {outcome}",
                    describe(&action)
                ));
                let at_ms = exec.clock.unix_ms();
                journal.append(Record::Reconciled {
                    seq,
                    outcome,
                    at_ms,
                })?;
            }
            Err(e) => lines.push(format!(
                "cannot reconcile #{seq} ({}) yet: {e}",
                describe(&action)
            )),
        }
    }
    Ok(lines)
}

/// A one-line description of a journaled action (a deploy with its template).
pub fn describe(a: &Planned) -> String {
    match a {
        Planned::Deploy {
            vm, host, template, ..
        } => format!("deploy {vm} ({template}) on {host}"),
        other => other.to_string(),
    }
}

/// Compares interrupted (or failed) `action` with what the hosts report, and finishes or rolls
/// it back; says which.
pub fn settle(exec: &mut Executor<'_>, action: &Planned) -> Result<String, String> {
    let host = |name: &str| exec.host_index(name);
    Ok(match action {
        Planned::Deploy { vm, host: hn, .. } => {
            let h = host(hn)?;
            match ours(exec, h, vm)? {
                None => "rolled back: nothing was defined; the VM is pending again".into(),
                Some(_) => {
                    exec.execute(action)?;
                    "finished: the VM runs".into()
                }
            }
        }
        Planned::Migrate { vm, from, to } => {
            let (f, t) = (host(from)?, host(to)?);
            match after_migration(exec, f, t, vm)? {
                (Some(s), Some(d))
                    if s.state == DomState::Running && d.state == DomState::Paused =>
                {
                    // An incoming copy that never took over (a migration that ended without
                    // the destination cleaning up): the source is the VM.
                    exec.remove_copy(t, vm).map_err(|e| e.message)?;
                    format!("rolled back: it never left {from}; the incomplete copy on {to} was removed")
                }
                (Some(s), None) => {
                    if s.state == DomState::ShutOff {
                        exec.ensure_running(f, vm).map_err(|e| e.message)?;
                        format!("rolled back: restarted on {from}")
                    } else {
                        format!("rolled back: it never left {from}")
                    }
                }
                (_, Some(_)) => {
                    exec.cold_move(vm, f, t).map_err(|e| e.message)?;
                    format!("finished: runs on {to}, gone from {from}")
                }
                (None, None) => return Err(format!("{vm} is on neither {from} nor {to}")),
            }
        }
        Planned::Suspend { vm, host: hn } => {
            single(exec, host(hn)?, vm, DomState::Paused, "suspended")?
        }
        Planned::Resume { vm, host: hn } => {
            single(exec, host(hn)?, vm, DomState::Running, "running")?
        }
        Planned::Resize {
            vm,
            host: hn,
            vcpus,
            memory_mb,
        } => {
            let d = ours(exec, host(hn)?, vm)?;
            let kib = (memory_mb * 1024.0).round() as u64;
            match d {
                Some(d) if d.vcpus == *vcpus && d.memory_kib == kib => {
                    "finished: it had taken effect".into()
                }
                _ => "rolled back: it had not taken effect; the policies decide again".into(),
            }
        }
        Planned::Shutdown { vm, host: hn } => match ours(exec, host(hn)?, vm)? {
            None => "finished: it had taken effect".into(),
            Some(d) if d.state == DomState::ShutOff => {
                exec.execute(action)?;
                "finished: the stopped VM was undefined".into()
            }
            Some(_) => "rolled back: the VM still runs; the policies decide again".into(),
        },
        Planned::PowerOn { .. } | Planned::PowerOff { .. } => {
            "left to observation: the host's power state is read afresh".into()
        }
    })
}

/// VM `vm` on migration source `f` and destination `t`, once no migration of it is under way
/// on the source (one cancelled or cut short ends when the destination has torn its copy
/// down): waits for that at most the call timeout, then leaves the move to a later round.
fn after_migration(
    exec: &mut Executor<'_>,
    f: usize,
    t: usize,
    vm: &str,
) -> Result<(Option<DomainFacts>, Option<DomainFacts>), String> {
    let wait = Duration::from_secs_f64(exec.config.spec.timeouts.call_s);
    let start = exec.clock.now();
    loop {
        let src = ours(exec, f, vm)?;
        let moving = match &src {
            Some(s) if s.state.is_active() => {
                exec.hv.job_under_way(f, vm).map_err(|e| e.message)?
            }
            _ => false,
        };
        if !moving {
            return Ok((src, ours(exec, t, vm)?));
        }
        if exec.clock.now() - start >= wait {
            return Err(format!(
                "a migration of {vm} is still under way on its source: settled once it ends"
            ));
        }
        exec.clock.sleep(Duration::from_secs(1));
    }
}

/// Settles a one-step action by whether its target `state` was reached.
fn single(
    exec: &mut Executor<'_>,
    h: usize,
    vm: &str,
    state: DomState,
    what: &str,
) -> Result<String, String> {
    let d = ours(exec, h, vm)?;
    Ok(match d {
        Some(d) if d.state == state => format!("finished: the VM is {what}"),
        _ => "rolled back: it had not taken effect; the policies decide again".into(),
    })
}

/// Domain `vm` on host `h` if it is this config's: a foreign domain of that name is none of
/// the action's doing, so it counts as absent (and any step that would touch it refuses).
fn ours(exec: &mut Executor<'_>, h: usize, vm: &str) -> Result<Option<DomainFacts>, String> {
    match exec.domain(h, vm) {
        Ok(d) => Ok(d),
        Err(e) if e.kind == ErrorKind::Foreign => Ok(None),
        Err(e) => Err(e.message),
    }
}
