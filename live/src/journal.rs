//! The write-ahead journal: one JSON record a line, appended and fsync'd before each action is
//! attempted (its intent) and after it ends (done, failed, or settled by reconciliation). It is
//! never rewritten, except that a torn last line (a crash mid-write) is ignored and cut off.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::hypervisor::{MigrationFacts, NodeFacts};

/// An action as journaled: by names, which survive restarts (ids do not).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Planned {
    /// Define VM `vm` from `template` on `host` and start it.
    Deploy {
        /// VM name.
        vm: String,
        /// Host name.
        host: String,
        /// Template name.
        template: String,
        /// The new domain's UUID (journals before this field had none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uuid: Option<String>,
    },
    /// Move running VM `vm` from `from` to `to`.
    Migrate {
        /// VM name.
        vm: String,
        /// Source host.
        from: String,
        /// Destination host.
        to: String,
    },
    /// Pause VM `vm` on `host`.
    Suspend {
        /// VM name.
        vm: String,
        /// Host name.
        host: String,
    },
    /// Resume VM `vm` on `host`.
    Resume {
        /// VM name.
        vm: String,
        /// Host name.
        host: String,
    },
    /// Stop VM `vm` on `host` and remove its definition.
    Shutdown {
        /// VM name.
        vm: String,
        /// Host name.
        host: String,
    },
    /// Give VM `vm` on `host` this size.
    Resize {
        /// VM name.
        vm: String,
        /// Host name.
        host: String,
        /// vCPUs.
        vcpus: u32,
        /// Memory, MB.
        memory_mb: f64,
    },
    /// Power `host` on.
    PowerOn {
        /// Host name.
        host: String,
    },
    /// Power `host` off.
    PowerOff {
        /// Host name.
        host: String,
        /// What the host's node reported last, so that a later run can place VMs on it
        /// (powering it on) before it answers again.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        node: Option<NodeFacts>,
    },
}

impl std::fmt::Display for Planned {
    /// The action in words, with names: `migrate web-2 from h0 to h1`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Planned::Deploy { vm, host, .. } => write!(f, "deploy {vm} on {host}"),
            Planned::Migrate { vm, from, to } => write!(f, "migrate {vm} from {from} to {to}"),
            Planned::Suspend { vm, host } => write!(f, "suspend {vm} on {host}"),
            Planned::Resume { vm, host } => write!(f, "resume {vm} on {host}"),
            Planned::Shutdown { vm, host } => write!(f, "shut down {vm} on {host}"),
            Planned::Resize {
                vm,
                host,
                vcpus,
                memory_mb,
            } => write!(f, "resize {vm} on {host} to {vcpus} vCPUs, {memory_mb} MB"),
            Planned::PowerOn { host } => write!(f, "power on {host}"),
            Planned::PowerOff { host, .. } => write!(f, "power off {host}"),
        }
    }
}

impl Planned {
    /// The VM the action is on (`None` for a power action).
    pub fn vm(&self) -> Option<&str> {
        match self {
            Planned::Deploy { vm, .. }
            | Planned::Migrate { vm, .. }
            | Planned::Suspend { vm, .. }
            | Planned::Resume { vm, .. }
            | Planned::Shutdown { vm, .. }
            | Planned::Resize { vm, .. } => Some(vm),
            Planned::PowerOn { .. } | Planned::PowerOff { .. } => None,
        }
    }

    /// Every host the action names (both ends of a move).
    pub fn hosts(&self) -> Vec<&str> {
        match self {
            Planned::Migrate { from, to, .. } => vec![from, to],
            Planned::Deploy { host, .. }
            | Planned::Suspend { host, .. }
            | Planned::Resume { host, .. }
            | Planned::Shutdown { host, .. }
            | Planned::Resize { host, .. }
            | Planned::PowerOn { host }
            | Planned::PowerOff { host, .. } => vec![host],
        }
    }

    /// The action's kind in one word: `deploy`, `migrate`, `suspend`, `resume`, `shutdown`,
    /// `resize`, `power-on` or `power-off`.
    pub fn kind(&self) -> &'static str {
        match self {
            Planned::Deploy { .. } => "deploy",
            Planned::Migrate { .. } => "migrate",
            Planned::Suspend { .. } => "suspend",
            Planned::Resume { .. } => "resume",
            Planned::Shutdown { .. } => "shutdown",
            Planned::Resize { .. } => "resize",
            Planned::PowerOn { .. } => "power-on",
            Planned::PowerOff { .. } => "power-off",
        }
    }
}

/// Who decided an action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Actor {
    /// A policy, in the continuous loop (journals before actors were recorded: this).
    #[default]
    Policy,
    /// An operator: a reviewed plan applied with `orrery live apply`, or a host put into
    /// maintenance.
    Operator,
    /// Reconciliation settling an action a crash or an unreachable host left open.
    Reconciler,
}

impl Actor {
    /// The actor's name as journaled.
    pub fn name(self) -> &'static str {
        match self {
            Actor::Policy => "policy",
            Actor::Operator => "operator",
            Actor::Reconciler => "reconciler",
        }
    }
}

/// Who decided an action, when, and why: journaled with its intent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stamp {
    /// When the intent was written, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Who decided it.
    pub actor: Actor,
    /// Why (the decision and policy that made it, the plan it came from, the maintenance).
    pub reason: String,
    /// The plan file it was applied from, by id.
    pub plan: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One journal line. Times are milliseconds since the Unix epoch (`0` in journals written
/// before times were recorded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Record {
    /// Action `seq` is about to be attempted.
    Intent {
        /// Sequence number (increasing over the journal's life).
        seq: u64,
        /// The action.
        action: Planned,
        /// When.
        #[serde(default, skip_serializing_if = "is_zero")]
        at_ms: u64,
        /// Who decided it.
        #[serde(default)]
        actor: Actor,
        /// Why.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
        /// The plan file it came from, by id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<String>,
    },
    /// Action `seq` completed.
    Done {
        /// Its sequence number.
        seq: u64,
        /// What a live migration measured (when the driver said).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        migration: Option<MigrationFacts>,
        /// When.
        #[serde(default, skip_serializing_if = "is_zero")]
        at_ms: u64,
    },
    /// Action `seq` failed; what was done of it was undone.
    Failed {
        /// Its sequence number.
        seq: u64,
        /// Why.
        error: String,
        /// When.
        #[serde(default, skip_serializing_if = "is_zero")]
        at_ms: u64,
    },
    /// Action `seq` was interrupted and settled on restart.
    Reconciled {
        /// Its sequence number.
        seq: u64,
        /// How (finished or rolled back, and why).
        outcome: String,
        /// When.
        #[serde(default, skip_serializing_if = "is_zero")]
        at_ms: u64,
    },
    /// An operator-tagged domain was first seen: from now on VM `vm` is the domain with this
    /// UUID, and no other.
    Adopted {
        /// Sequence number.
        seq: u64,
        /// VM name.
        vm: String,
        /// Its domain's UUID.
        uuid: String,
        /// When.
        #[serde(default, skip_serializing_if = "is_zero")]
        at_ms: u64,
    },
    /// An action of a plan file was not attempted: its precondition no longer held, the plan
    /// was cancelled, or the loop was stopping.
    Skipped {
        /// Sequence number.
        seq: u64,
        /// The action.
        action: Planned,
        /// When.
        at_ms: u64,
        /// Who decided it.
        actor: Actor,
        /// The plan it came from, by id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plan: Option<String>,
        /// Why it was not attempted.
        why: String,
    },
    /// Plan file `plan` was taken up by `orrery live apply` (a plan is applied at most once).
    PlanApplied {
        /// Sequence number.
        seq: u64,
        /// The plan's id.
        plan: String,
        /// When.
        at_ms: u64,
    },
    /// Plan file `plan` was cancelled by an operator before or while it was applied: none of
    /// its actions not yet begun will be.
    PlanCancelled {
        /// Sequence number.
        seq: u64,
        /// The plan's id.
        plan: String,
        /// When.
        at_ms: u64,
    },
    /// Role `role` of service `service` was set to run `to` VMs (new ones are deployed by the
    /// placement policy, the newest shut down), then to cool down for `cooldown_s`.
    Scaled {
        /// Sequence number.
        seq: u64,
        /// The service.
        service: String,
        /// The role.
        role: String,
        /// Its cardinality before.
        from: u32,
        /// Its cardinality now.
        to: u32,
        /// Seconds no rule of the service fires once scaling has finished.
        cooldown_s: u64,
        /// When.
        at_ms: u64,
        /// Why: the rule that fired.
        reason: String,
    },
    /// VM `vm`'s burst instance `instance` at public cloud `cloud` (see [`crate::burst`]).
    Burst {
        /// Sequence number.
        seq: u64,
        /// The VM it runs for.
        vm: String,
        /// The cloud (the `[burst]` section's `cloud`).
        cloud: String,
        /// The instance id the cloud gave.
        instance: String,
        /// What happened.
        event: BurstEvent,
        /// When.
        at_ms: u64,
        /// `idle`: when the stop rule terminates it, ms since the Unix epoch.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stop_at_ms: Option<u64>,
        /// `terminated`: billing periods charged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        periods: Option<u64>,
        /// `terminated`: their price.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cost: Option<f64>,
    },
}

/// What happened to a burst instance ([`Record::Burst`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BurstEvent {
    /// Launched for a VM no home host had room for.
    Launched,
    /// Seen running by the cloud.
    Running,
    /// Its VM's demand ended (it runs at home, or is no longer wanted): it is stopped at the
    /// time the stop rule gives, unless the VM needs it again before.
    Idle,
    /// Its VM needed it again before it was stopped.
    Resumed,
    /// Terminated (by orrery, or found gone from the cloud).
    Terminated,
}

impl Record {
    /// The record's sequence number.
    pub fn seq(&self) -> u64 {
        match self {
            Record::Intent { seq, .. }
            | Record::Done { seq, .. }
            | Record::Failed { seq, .. }
            | Record::Reconciled { seq, .. }
            | Record::Adopted { seq, .. }
            | Record::Skipped { seq, .. }
            | Record::PlanApplied { seq, .. }
            | Record::PlanCancelled { seq, .. }
            | Record::Scaled { seq, .. }
            | Record::Burst { seq, .. } => *seq,
        }
    }

    /// Whether the record has a sequence number of its own (the others name an intent's).
    pub fn is_numbered(&self) -> bool {
        !matches!(
            self,
            Record::Done { .. } | Record::Failed { .. } | Record::Reconciled { .. }
        )
    }

    /// When it was written (milliseconds since the Unix epoch; 0 when not recorded).
    pub fn at_ms(&self) -> u64 {
        match self {
            Record::Intent { at_ms, .. }
            | Record::Done { at_ms, .. }
            | Record::Failed { at_ms, .. }
            | Record::Reconciled { at_ms, .. }
            | Record::Adopted { at_ms, .. }
            | Record::Skipped { at_ms, .. }
            | Record::PlanApplied { at_ms, .. }
            | Record::PlanCancelled { at_ms, .. }
            | Record::Scaled { at_ms, .. }
            | Record::Burst { at_ms, .. } => *at_ms,
        }
    }
}

/// A journal that cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("journal {}: {message}", path.display())]
pub struct JournalError {
    /// The journal file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

/// An open journal.
pub struct Journal {
    path: PathBuf,
    /// `None` when opened read-only (a dry run never writes).
    file: Option<File>,
    /// The lock file, held exclusively while the journal is open for appending.
    _lock: Option<File>,
    next_seq: u64,
    records: Vec<Record>,
    uuids: BTreeMap<String, String>,
}

impl Journal {
    /// Reads the journal at `path` (none yet: no records) without ever writing to it.
    pub fn read_only(path: &Path) -> Result<Journal, JournalError> {
        let (records, _) = Self::read(path)?;
        Ok(Self::with_records(path, None, None, records))
    }

    fn with_records(
        path: &Path,
        file: Option<File>,
        lock: Option<File>,
        records: Vec<Record>,
    ) -> Journal {
        let mut j = Journal {
            path: path.to_path_buf(),
            file,
            _lock: lock,
            next_seq: records.iter().map(Record::seq).max().map_or(1, |s| s + 1),
            records: Vec::with_capacity(records.len()),
            uuids: BTreeMap::new(),
        };
        for r in records {
            j.remember(r);
        }
        j
    }

    /// The lock file of the journal at `path`: `<journal>.lock`, beside it.
    pub fn lock_path(path: &Path) -> PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        path.with_file_name(name)
    }

    /// Takes the journal's lock, or says which process holds it. The lock is the operating
    /// system's (released when the holder exits, however it exits); the file holds the
    /// holder's pid for the message.
    fn lock(path: &Path) -> Result<File, JournalError> {
        let lock_path = Self::lock_path(path);
        let fail = |message: String| JournalError {
            path: path.to_path_buf(),
            message,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| fail(format!("cannot open its lock {}: {e}", lock_path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&lock_path).unwrap_or_default();
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    "another process".to_string()
                } else {
                    format!("process {holder}")
                };
                return Err(fail(format!(
                    "is in use by {who} (another `orrery live --apply` on this config); \
                     one instance at a time acts on a cluster: stop that one first"
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(fail(format!("cannot lock {}: {e}", lock_path.display())))
            }
        }
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .and_then(|()| file.sync_data())
            .map_err(|e| {
                fail(format!(
                    "cannot write its lock {}: {e}",
                    lock_path.display()
                ))
            })?;
        Ok(file)
    }

    /// Opens (creating if needed) the journal at `path` for appending, under an exclusive lock
    /// held until the journal is dropped, and reads its records.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        let fail = |message: String| JournalError {
            path: path.to_path_buf(),
            message,
        };
        let lock = Self::lock(path)?;
        let (records, text) = Self::read(path)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| fail(format!("cannot open for appending: {e}")))?;
        // A torn tail (a record a crash cut short) is cut off, so the next record starts on a
        // line of its own; it never took effect (its action had not started).
        if !text.is_empty() && !text.ends_with('\n') {
            let keep = text.rfind('\n').map_or(0, |i| i + 1) as u64;
            file.set_len(keep)
                .and_then(|()| file.sync_data())
                .map_err(|e| fail(format!("cannot cut the torn last line: {e}")))?;
        }
        Ok(Self::with_records(path, Some(file), Some(lock), records))
    }

    /// Keeps `r` among the records, and what it says about VMs' UUIDs.
    fn remember(&mut self, r: Record) {
        match &r {
            Record::Intent {
                action:
                    Planned::Deploy {
                        vm, uuid: Some(u), ..
                    },
                ..
            }
            | Record::Adopted { vm, uuid: u, .. } => {
                self.uuids.insert(vm.clone(), u.clone());
            }
            _ => {}
        }
        self.records.push(r);
    }

    /// The UUID recorded for each VM (at its last deploy or adoption), by name.
    pub fn uuids(&self) -> &BTreeMap<String, String> {
        &self.uuids
    }

    /// Journals that VM `vm` is the domain `uuid` (a tagged domain seen for the first time).
    pub fn adopt(&mut self, vm: &str, uuid: &str, at_ms: u64) -> Result<(), JournalError> {
        self.numbered(|seq| Record::Adopted {
            seq,
            vm: vm.to_string(),
            uuid: uuid.to_string(),
            at_ms,
        })
        .map(drop)
    }

    /// Appends the record `make` builds with the next sequence number; returns the number.
    pub fn numbered(&mut self, make: impl FnOnce(u64) -> Record) -> Result<u64, JournalError> {
        let seq = self.next_seq;
        let record = make(seq);
        debug_assert!(record.is_numbered() && record.seq() == seq);
        self.append(record)?;
        self.next_seq += 1;
        Ok(seq)
    }

    /// The records of the journal at `path`, and its text.
    fn read(path: &Path) -> Result<(Vec<Record>, String), JournalError> {
        let text = if path.exists() {
            orrery_engine::input::read_text(
                path,
                "journal",
                orrery_engine::input::MAX_TRACE_BYTES,
                "the journal is written by `orrery live --apply`",
            )
            .map_err(|e| JournalError {
                path: path.to_path_buf(),
                message: e.message,
            })?
        } else {
            String::new()
        };
        Ok((Self::parse_records(path, &text)?, text))
    }

    /// The records in journal `text` (read from `path`, named in errors): one JSON record a
    /// line; a torn last line (a crash while appending) is dropped, any other bad line is an
    /// error.
    pub fn parse_records(path: &Path, text: &str) -> Result<Vec<Record>, JournalError> {
        let fail = |message: String| JournalError {
            path: path.to_path_buf(),
            message,
        };
        let mut records = Vec::new();
        // Where each numbered record is.
        let mut numbered: BTreeMap<u64, usize> = BTreeMap::new();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(line) {
                Ok(r) => {
                    if r.is_numbered() {
                        if let Some(first) = numbered.insert(r.seq(), i + 1) {
                            return Err(fail(format!(
                                "lines {first} and {}: sequence number {} is used twice (two \
                                 instances wrote to it before journals were locked); check the \
                                 hosts by hand, then move the journal aside",
                                i + 1,
                                r.seq()
                            )));
                        }
                    }
                    records.push(r)
                }
                // A crash while appending leaves at most the last line torn.
                Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {}
                Err(e) => return Err(fail(format!("line {}: {e}", i + 1))),
            }
        }
        Ok(records)
    }

    /// Every record read or written so far, in order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Appends and syncs the intent to carry out `action`, stamped with who decided it, when
    /// and why; returns its sequence number.
    pub fn intent(&mut self, action: Planned, stamp: &Stamp) -> Result<u64, JournalError> {
        self.numbered(|seq| Record::Intent {
            seq,
            action,
            at_ms: stamp.at_ms,
            actor: stamp.actor,
            reason: stamp.reason.clone(),
            plan: stamp.plan.clone(),
        })
    }

    /// Appends and syncs `record`.
    pub fn append(&mut self, record: Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(&record).map_err(|e| JournalError {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        line.push(b'\n');
        let Some(file) = self.file.as_mut() else {
            return Err(JournalError {
                path: self.path.clone(),
                message: "opened read-only (dry run)".into(),
            });
        };
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(|e| JournalError {
                path: self.path.clone(),
                message: format!("cannot append: {e}"),
            })?;
        self.remember(record);
        Ok(())
    }

    /// Intents with no later outcome (done, failed or reconciled): actions a crash interrupted.
    pub fn open_intents(&self) -> Vec<(u64, Planned)> {
        let mut open: BTreeMap<u64, Planned> = BTreeMap::new();
        for r in &self.records {
            match r {
                Record::Intent { seq, action, .. } => {
                    open.insert(*seq, action.clone());
                }
                outcome if !outcome.is_numbered() => {
                    open.remove(&outcome.seq());
                }
                _ => {}
            }
        }
        open.into_iter().collect()
    }

    /// Whether plan `id` was taken up by an apply, or cancelled.
    pub fn plan_status(&self, id: &str) -> Option<&'static str> {
        self.records.iter().rev().find_map(|r| match r {
            Record::PlanApplied { plan, .. } if plan == id => Some("applied"),
            Record::PlanCancelled { plan, .. } if plan == id => Some("cancelled"),
            _ => None,
        })
    }

    /// When each VM last arrived on its host (a completed deploy or move), milliseconds since
    /// the Unix epoch; VMs with no timed arrival are absent.
    pub fn arrivals(&self) -> BTreeMap<String, u64> {
        let mut intents: BTreeMap<u64, &Planned> = BTreeMap::new();
        let mut arrived = BTreeMap::new();
        for r in &self.records {
            match r {
                Record::Intent { seq, action, .. } => {
                    intents.insert(*seq, action);
                }
                Record::Done { seq, at_ms, .. } if *at_ms > 0 => {
                    if let Some(Planned::Deploy { vm, .. } | Planned::Migrate { vm, .. }) =
                        intents.get(seq)
                    {
                        arrived.insert(vm.clone(), *at_ms);
                    }
                }
                _ => {}
            }
        }
        arrived
    }

    /// The cardinality each service role was last scaled to, by service and role name.
    pub fn cardinalities(&self) -> BTreeMap<(String, String), u32> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Scaled {
                    service, role, to, ..
                } => Some(((service.clone(), role.clone()), *to)),
                _ => None,
            })
            .collect()
    }

    /// Hosts whose last completed power action was a power-off (they are off, not lost), with
    /// what their node reported before.
    pub fn powered_off(&self) -> BTreeMap<String, Option<NodeFacts>> {
        let mut intents: BTreeMap<u64, &Planned> = BTreeMap::new();
        let mut off = BTreeMap::new();
        for r in &self.records {
            match r {
                Record::Intent { seq, action, .. } => {
                    intents.insert(*seq, action);
                }
                Record::Done { seq, .. } => match intents.get(seq) {
                    Some(Planned::PowerOff { host, node }) => {
                        off.insert(host.clone(), *node);
                    }
                    Some(Planned::PowerOn { host }) => {
                        off.remove(host);
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        off
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(vm: &str) -> Planned {
        Planned::Deploy {
            vm: vm.into(),
            host: "h0".into(),
            template: "t".into(),
            uuid: Some(format!("uuid-of-{vm}")),
        }
    }

    #[test]
    fn records_survive_reopening_and_sequence_numbers_continue() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::open(&path).unwrap();
        let a = j.intent(deploy("a"), &Stamp::default()).unwrap();
        j.append(Record::Done {
            seq: a,
            migration: None,
            at_ms: 0,
        })
        .unwrap();
        let b = j.intent(deploy("b"), &Stamp::default()).unwrap();
        assert_eq!((a, b), (1, 2));
        drop(j);
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(j.records().len(), 3);
        assert_eq!(j.open_intents(), vec![(2, deploy("b"))]);
        assert_eq!(j.intent(deploy("c"), &Stamp::default()).unwrap(), 3);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_the_next_record_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::open(&path).unwrap();
        j.intent(deploy("a"), &Stamp::default()).unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"record":"done","se"#).unwrap();
        drop(f);
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(j.open_intents().len(), 1);
        j.append(Record::Done {
            seq: 1,
            migration: None,
            at_ms: 0,
        })
        .unwrap();
        drop(j);
        let j = Journal::open(&path).unwrap();
        assert!(j.open_intents().is_empty());
    }

    #[test]
    fn a_second_writer_is_refused_with_the_holders_pid_until_the_first_closes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut first = Journal::open(&path).unwrap();
        let e = Journal::open(&path).err().unwrap().to_string();
        assert!(e.contains("in use by process"), "{e}");
        assert!(e.contains(&std::process::id().to_string()), "{e}");
        // A dry run still reads it.
        first.intent(deploy("a"), &Stamp::default()).unwrap();
        assert_eq!(Journal::read_only(&path).unwrap().records().len(), 1);
        drop(first);
        let mut again = Journal::open(&path).unwrap();
        assert_eq!(again.intent(deploy("b"), &Stamp::default()).unwrap(), 2);
    }

    #[test]
    fn a_repeated_sequence_number_is_an_error_naming_both_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let intent = |seq: u64, vm: &str| {
            serde_json::to_string(&Record::Intent {
                seq,
                action: deploy(vm),
                at_ms: 0,
                actor: Actor::Policy,
                reason: String::new(),
                plan: None,
            })
            .unwrap()
        };
        let text = format!(
            "{}\n{}\n{}\n",
            intent(1, "a"),
            intent(2, "b"),
            intent(2, "c")
        );
        std::fs::write(&path, text).unwrap();
        let e = Journal::open(&path).err().unwrap().to_string();
        assert!(e.contains("lines 2 and 3"), "{e}");
        assert!(e.contains("used twice"), "{e}");
    }

    #[test]
    fn uuids_follow_the_last_deploy_or_adoption_of_each_vm() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        let mut j = Journal::open(&path).unwrap();
        j.intent(deploy("a"), &Stamp::default()).unwrap();
        j.adopt("b", "uuid-b", 0).unwrap();
        let mut redeploy = deploy("a");
        if let Planned::Deploy { uuid, .. } = &mut redeploy {
            *uuid = Some("uuid-a2".into());
        }
        j.intent(redeploy, &Stamp::default()).unwrap();
        drop(j);
        let j = Journal::open(&path).unwrap();
        let want: Vec<(&str, &str)> = vec![("a", "uuid-a2"), ("b", "uuid-b")];
        let got: Vec<(&str, &str)> = j
            .uuids()
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, want);
        assert_eq!(j.open_intents().len(), 2, "an adoption is not an intent");
    }

    #[test]
    fn a_corrupt_middle_line_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j");
        std::fs::write(&path, "garbage\n{\"record\":\"done\",\"seq\":1}\n").unwrap();
        let e = Journal::open(&path).err().unwrap();
        assert!(e.to_string().contains("line 1"), "{e}");
    }

    #[test]
    fn power_state_follows_the_last_completed_power_action() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::open(&dir.path().join("j")).unwrap();
        let off = |h: &str| Planned::PowerOff {
            host: h.into(),
            node: None,
        };
        let s1 = j.intent(off("a"), &Stamp::default()).unwrap();
        j.append(Record::Done {
            seq: s1,
            migration: None,
            at_ms: 0,
        })
        .unwrap();
        let s2 = j.intent(off("b"), &Stamp::default()).unwrap();
        j.append(Record::Failed {
            seq: s2,
            error: "x".into(),
            at_ms: 0,
        })
        .unwrap();
        assert_eq!(j.powered_off().into_keys().collect::<Vec<_>>(), vec!["a"]);
        let s3 = j
            .intent(Planned::PowerOn { host: "a".into() }, &Stamp::default())
            .unwrap();
        j.append(Record::Done {
            seq: s3,
            migration: None,
            at_ms: 0,
        })
        .unwrap();
        assert!(j.powered_off().is_empty());
    }
}
