//! The journal as history, for `orrery live journal`: each intent joined with its outcome,
//! with the other records (skipped actions, adoptions, plans) alongside, filtered and
//! rendered as a table or as JSON Lines.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::hypervisor::MigrationFacts;
use crate::journal::{Actor, Planned, Record};

/// How an entry ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", content = "detail", rename_all = "kebab-case")]
pub enum Outcome {
    /// An intent with no outcome yet (under way, or interrupted and not yet reconciled).
    Open,
    /// Completed.
    Done,
    /// Failed, with the error (what was done of it was undone).
    Failed(String),
    /// Interrupted and settled by reconciliation, with how.
    Reconciled(String),
    /// Not attempted, with why.
    Skipped(String),
}

impl Outcome {
    /// The outcome's word, as in [`OUTCOMES`].
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Open => "open",
            Outcome::Done => "done",
            Outcome::Failed(_) => "failed",
            Outcome::Reconciled(_) => "reconciled",
            Outcome::Skipped(_) => "skipped",
        }
    }
}

/// The outcomes a [`Filter`] can select.
pub const OUTCOMES: &[&str] = &["open", "done", "failed", "reconciled", "skipped"];

/// The kinds of entries a [`Filter`] can select.
pub const KINDS: &[&str] = &[
    "deploy",
    "migrate",
    "suspend",
    "resume",
    "shutdown",
    "resize",
    "power-on",
    "power-off",
    "adopt",
    "plan-applied",
    "plan-cancelled",
    "scale",
    "burst",
];

/// One line of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The record's sequence number (an intent's, for an action).
    pub seq: u64,
    /// When the intent (or record) was written, ms since the Unix epoch (0: not recorded).
    pub at_ms: u64,
    /// When its outcome was written (`None`: open, or not recorded).
    pub ended_ms: Option<u64>,
    /// Who decided it.
    pub actor: Actor,
    /// Why (empty when not recorded).
    pub reason: String,
    /// The plan it came from, by id.
    pub plan: Option<String>,
    /// What it is: one of [`KINDS`].
    pub kind: String,
    /// The action, for the kinds that are actions (deploy to power-off).
    pub action: Option<Planned>,
    /// The VM it concerns.
    pub vm: Option<String>,
    /// Every host the action names (a migration's source and destination).
    pub hosts: Vec<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// What a live migration measured.
    pub migration: Option<MigrationFacts>,
    /// The action in words, with names.
    pub text: String,
}

/// The kind, VM, hosts and words of a journaled action.
fn describe(a: &Planned) -> (&'static str, Option<String>, Vec<String>, String) {
    (
        a.kind(),
        a.vm().map(str::to_string),
        a.hosts().into_iter().map(str::to_string).collect(),
        a.to_string(),
    )
}

/// `Some(ms)` when recorded (non-zero).
fn recorded(ms: u64) -> Option<u64> {
    (ms != 0).then_some(ms)
}

/// The history in `records`, in sequence order: each intent joined with the first outcome
/// (done, failed, reconciled) naming its seq (none: [`Outcome::Open`]); skipped actions as
/// [`Outcome::Skipped`]; adoptions and plan records as done, decided by an operator. Outcomes
/// naming no intent are left out.
pub fn entries(records: &[Record]) -> Vec<Entry> {
    // The first outcome written for each seq, with when.
    let mut outcomes: BTreeMap<u64, (Outcome, u64, Option<MigrationFacts>)> = BTreeMap::new();
    for r in records {
        let (seq, outcome, at_ms, migration) = match r {
            Record::Done {
                seq,
                migration,
                at_ms,
            } => (*seq, Outcome::Done, *at_ms, *migration),
            Record::Failed { seq, error, at_ms } => {
                (*seq, Outcome::Failed(error.clone()), *at_ms, None)
            }
            Record::Reconciled {
                seq,
                outcome,
                at_ms,
            } => (*seq, Outcome::Reconciled(outcome.clone()), *at_ms, None),
            _ => continue,
        };
        outcomes.entry(seq).or_insert((outcome, at_ms, migration));
    }
    let mut out = Vec::new();
    for r in records {
        let entry = match r {
            Record::Intent {
                seq,
                action,
                at_ms,
                actor,
                reason,
                plan,
            } => {
                let (kind, vm, hosts, text) = describe(action);
                let (outcome, ended_ms, migration) = match outcomes.get(seq) {
                    Some((o, end, m)) => (o.clone(), recorded(*end), *m),
                    None => (Outcome::Open, None, None),
                };
                Entry {
                    seq: *seq,
                    at_ms: *at_ms,
                    ended_ms,
                    actor: *actor,
                    reason: reason.clone(),
                    plan: plan.clone(),
                    kind: kind.into(),
                    action: Some(action.clone()),
                    vm,
                    hosts,
                    outcome,
                    migration,
                    text,
                }
            }
            Record::Skipped {
                seq,
                action,
                at_ms,
                actor,
                plan,
                why,
            } => {
                let (kind, vm, hosts, text) = describe(action);
                Entry {
                    seq: *seq,
                    at_ms: *at_ms,
                    ended_ms: recorded(*at_ms),
                    actor: *actor,
                    reason: String::new(),
                    plan: plan.clone(),
                    kind: kind.into(),
                    action: Some(action.clone()),
                    vm,
                    hosts,
                    outcome: Outcome::Skipped(why.clone()),
                    migration: None,
                    text,
                }
            }
            Record::Adopted {
                seq,
                vm,
                uuid,
                at_ms,
            } => Entry {
                seq: *seq,
                at_ms: *at_ms,
                ended_ms: recorded(*at_ms),
                actor: Actor::Operator,
                reason: String::new(),
                plan: None,
                kind: "adopt".into(),
                action: None,
                vm: Some(vm.clone()),
                hosts: Vec::new(),
                outcome: Outcome::Done,
                migration: None,
                text: format!("adopt {vm} (uuid {uuid})"),
            },
            Record::PlanApplied { seq, plan, at_ms }
            | Record::PlanCancelled { seq, plan, at_ms } => {
                let applied = matches!(r, Record::PlanApplied { .. });
                Entry {
                    seq: *seq,
                    at_ms: *at_ms,
                    ended_ms: recorded(*at_ms),
                    actor: Actor::Operator,
                    reason: String::new(),
                    plan: Some(plan.clone()),
                    kind: if applied {
                        "plan-applied"
                    } else {
                        "plan-cancelled"
                    }
                    .into(),
                    action: None,
                    vm: None,
                    hosts: Vec::new(),
                    outcome: Outcome::Done,
                    migration: None,
                    text: format!("{} plan {plan}", if applied { "apply" } else { "cancel" }),
                }
            }
            Record::Scaled {
                seq,
                service,
                role,
                from,
                to,
                cooldown_s,
                at_ms,
                reason,
            } => Entry {
                seq: *seq,
                at_ms: *at_ms,
                ended_ms: recorded(*at_ms),
                actor: Actor::Policy,
                reason: reason.clone(),
                plan: None,
                kind: "scale".into(),
                action: None,
                vm: None,
                hosts: Vec::new(),
                outcome: Outcome::Done,
                migration: None,
                text: format!(
                    "scale {service}/{role} from {from} to {to} VMs (cooldown {cooldown_s} s)"
                ),
            },
            Record::Burst {
                seq,
                vm,
                cloud,
                instance,
                event,
                at_ms,
                stop_at_ms,
                cost,
                ..
            } => Entry {
                seq: *seq,
                at_ms: *at_ms,
                ended_ms: recorded(*at_ms),
                actor: Actor::Policy,
                reason: String::new(),
                plan: None,
                kind: "burst".into(),
                action: None,
                vm: Some(vm.clone()),
                hosts: Vec::new(),
                outcome: Outcome::Done,
                migration: None,
                text: crate::burst::describe(vm, cloud, instance, *event, *stop_at_ms, *cost),
            },
            Record::Done { .. } | Record::Failed { .. } | Record::Reconciled { .. } => continue,
        };
        out.push(entry);
    }
    // Stable: records sharing a seq (a malformed journal) keep their order.
    out.sort_by_key(|e| e.seq);
    out
}

/// Which entries to show: every condition set must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Entries concerning this VM.
    pub vm: Option<String>,
    /// Entries naming this host (either end of a migration).
    pub host: Option<String>,
    /// Entries decided by this actor.
    pub actor: Option<Actor>,
    /// Entries with this outcome: one of [`OUTCOMES`].
    pub outcome: Option<String>,
    /// Entries of the plan whose id starts with this.
    pub plan: Option<String>,
    /// Entries of this kind: one of [`KINDS`].
    pub kind: Option<String>,
    /// Entries written at or after this time, ms since the Unix epoch (those whose time was
    /// not recorded are left out).
    pub since_ms: Option<u64>,
    /// Only the last this many of the entries selected.
    pub last: Option<usize>,
}

/// The entries that pass every condition of `f`, in order.
pub fn select(entries: Vec<Entry>, f: &Filter) -> Vec<Entry> {
    let mut kept: Vec<Entry> = entries
        .into_iter()
        .filter(|e| {
            f.vm.as_ref().is_none_or(|vm| e.vm.as_ref() == Some(vm))
                && f.host.as_ref().is_none_or(|h| e.hosts.contains(h))
                && f.actor.is_none_or(|a| e.actor == a)
                && f.outcome.as_ref().is_none_or(|o| e.outcome.word() == o)
                && f.plan
                    .as_ref()
                    .is_none_or(|p| e.plan.as_ref().is_some_and(|id| id.starts_with(p.as_str())))
                && f.kind.as_ref().is_none_or(|k| e.kind == *k)
                && f.since_ms.is_none_or(|t| e.at_ms != 0 && e.at_ms >= t)
        })
        .collect();
    if let Some(n) = f.last {
        let drop = kept.len().saturating_sub(n);
        kept.drain(..drop);
    }
    kept
}

/// `s` checked against `known` (case aside), or an error naming what is accepted.
fn one_of(what: &str, s: &str, known: &[&str]) -> Result<String, String> {
    let t = s.trim().to_ascii_lowercase();
    if known.contains(&t.as_str()) {
        Ok(t)
    } else {
        Err(format!(
            "unknown {what} `{s}`: expected one of {}",
            known.join(", ")
        ))
    }
}

/// An outcome for [`Filter::outcome`], or an error listing [`OUTCOMES`].
pub fn parse_outcome(s: &str) -> Result<String, String> {
    one_of("outcome", s, OUTCOMES)
}

/// A kind for [`Filter::kind`], or an error listing [`KINDS`].
pub fn parse_kind(s: &str) -> Result<String, String> {
    one_of("kind", s, KINDS)
}

/// An actor for [`Filter::actor`] by its journaled name, or an error listing them.
pub fn parse_actor(s: &str) -> Result<Actor, String> {
    let actors = [Actor::Policy, Actor::Operator, Actor::Reconciler];
    let names: Vec<&str> = actors.iter().map(|a| a.name()).collect();
    let t = one_of("actor", s, &names)?;
    Ok(actors
        .into_iter()
        .find(|a| a.name() == t)
        .unwrap_or_default())
}

/// The civil date (year, month, day) of `days` since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], from March
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `at_ms` as `YYYY-MM-DD HH:MM:SS` UTC, or `-` when not recorded (0).
fn utc(at_ms: u64) -> String {
    if at_ms == 0 {
        return "-".into();
    }
    let secs = at_ms / 1000;
    // At most u64::MAX / 86_400_000, well within i64.
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// One table cell: on one line (control characters become spaces), `-` when empty.
fn cell(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let s = s.trim();
    if s.is_empty() {
        "-".into()
    } else {
        s.into()
    }
}

/// `entries` as a table with a header, columns as wide as their content: sequence number,
/// time (UTC), actor, outcome, action, reason, and a detail (the error, why it was skipped,
/// how it was reconciled, or what a migration measured).
pub fn render_text(entries: &[Entry]) -> String {
    if entries.is_empty() {
        return "no journal records match\n".into();
    }
    let header = [
        "SEQ",
        "TIME (UTC)",
        "ACTOR",
        "OUTCOME",
        "ACTION",
        "REASON",
        "DETAIL",
    ];
    let rows: Vec<[String; 7]> = entries
        .iter()
        .map(|e| {
            let detail = match &e.outcome {
                Outcome::Failed(s) | Outcome::Reconciled(s) | Outcome::Skipped(s) => s.clone(),
                Outcome::Done => e
                    .migration
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                Outcome::Open => String::new(),
            };
            [
                e.seq.to_string(),
                utc(e.at_ms),
                e.actor.name().into(),
                e.outcome.word().into(),
                cell(&e.text),
                cell(&e.reason),
                cell(&detail),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            if i == 0 {
                l.push_str(&format!("{c:>w$}"));
            } else if i + 1 < cells.len() {
                l.push_str(&format!("{c:<w$}"));
            } else {
                l.push_str(c);
            }
        }
        l.push('\n');
        l
    };
    let mut out = line(header);
    for row in &rows {
        out.push_str(&line(row.each_ref().map(String::as_str)));
    }
    out
}

/// `entries` as JSON Lines: one [`Entry`] object a line.
pub fn render_json(entries: &[Entry]) -> String {
    let mut out = String::new();
    for e in entries {
        // Serializing these types cannot fail (no maps with non-string keys); never panic.
        if let Ok(line) = serde_json::to_string(e) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migrate(vm: &str, from: &str, to: &str) -> Planned {
        Planned::Migrate {
            vm: vm.into(),
            from: from.into(),
            to: to.into(),
        }
    }

    fn deploy(vm: &str, host: &str) -> Planned {
        Planned::Deploy {
            vm: vm.into(),
            host: host.into(),
            template: "small".into(),
            uuid: None,
        }
    }

    fn intent(seq: u64, action: Planned, at_ms: u64, actor: Actor, plan: Option<&str>) -> Record {
        Record::Intent {
            seq,
            action,
            at_ms,
            actor,
            reason: format!("reason {seq}"),
            plan: plan.map(Into::into),
        }
    }

    const FACTS: MigrationFacts = MigrationFacts {
        elapsed_ms: 51_900,
        downtime_ms: 10_283,
        data_bytes: 157_601_382, // 150.3 MiB
        rounds: 7,
    };

    /// A journal with one record of every kind.
    fn journal() -> Vec<Record> {
        vec![
            intent(1, deploy("web-1", "h0"), 1_000_000, Actor::Policy, None),
            Record::Done {
                seq: 1,
                migration: None,
                at_ms: 1_002_000,
            },
            Record::PlanApplied {
                seq: 2,
                plan: "3f2a9c".into(),
                at_ms: 2_000_000,
            },
            intent(
                3,
                migrate("web-2", "h0", "h1"),
                2_001_000,
                Actor::Operator,
                Some("3f2a9c"),
            ),
            intent(
                4,
                migrate("web-1", "h1", "h2"),
                2_002_000,
                Actor::Operator,
                Some("3f2a9c"),
            ),
            Record::Done {
                seq: 3,
                migration: Some(FACTS),
                at_ms: 2_060_000,
            },
            Record::Failed {
                seq: 4,
                error: "no route to h2".into(),
                at_ms: 2_003_000,
            },
            Record::Skipped {
                seq: 5,
                action: Planned::PowerOff {
                    host: "h1".into(),
                    node: None,
                },
                at_ms: 2_004_000,
                actor: Actor::Operator,
                plan: Some("3f2a9c".into()),
                why: "h1 still runs VMs".into(),
            },
            Record::PlanCancelled {
                seq: 6,
                plan: "77beef".into(),
                at_ms: 3_000_000,
            },
            Record::Adopted {
                seq: 7,
                vm: "web-7".into(),
                uuid: "u-7".into(),
                at_ms: 4_000_000,
            },
            intent(
                8,
                Planned::Suspend {
                    vm: "web-2".into(),
                    host: "h1".into(),
                },
                5_000_000,
                Actor::Policy,
                None,
            ),
            Record::Reconciled {
                seq: 8,
                outcome: "finished: the VM is paused".into(),
                at_ms: 6_000_000,
            },
            intent(
                9,
                Planned::PowerOn { host: "h3".into() },
                7_000_000,
                Actor::Policy,
                None,
            ),
        ]
    }

    fn seqs(es: &[Entry]) -> Vec<u64> {
        es.iter().map(|e| e.seq).collect()
    }

    #[test]
    fn civil_dates() {
        assert_eq!(utc(0), "-");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(utc(1), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
        // 1_796_000_000 s = 20_787 days + 3_200 s; 2026-01-01 is day 20_454 (56 years, 14 of
        // them leap), and day 333 of 2026 is November 30.
        assert_eq!(utc(1_796_000_000_000), "2026-11-30 00:53:20");
        assert_eq!(utc(1_796_664_065_123), "2026-12-07 17:21:05");
        assert_eq!(utc(946_684_799_999), "1999-12-31 23:59:59");
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        // Nothing overflows at the far end.
        let _ = utc(u64::MAX);
    }

    #[test]
    fn joins_intents_with_outcomes() {
        let es = entries(&journal());
        assert_eq!(seqs(&es), (1..=9).collect::<Vec<_>>());
        let e = &es[0];
        assert_eq!(e.kind, "deploy");
        assert_eq!(e.text, "deploy web-1 on h0");
        assert_eq!(e.outcome, Outcome::Done);
        assert_eq!((e.at_ms, e.ended_ms), (1_000_000, Some(1_002_000)));
        assert_eq!(e.vm.as_deref(), Some("web-1"));
        assert_eq!(e.hosts, ["h0"]);
        assert_eq!(e.reason, "reason 1");
        assert_eq!(e.action, Some(deploy("web-1", "h0")));

        let e = &es[2];
        assert_eq!(e.text, "migrate web-2 from h0 to h1");
        assert_eq!(e.hosts, ["h0", "h1"]);
        assert_eq!(e.outcome, Outcome::Done);
        assert_eq!(e.migration, Some(FACTS));
        assert_eq!(e.plan.as_deref(), Some("3f2a9c"));
        assert_eq!(e.actor, Actor::Operator);

        assert_eq!(es[3].outcome, Outcome::Failed("no route to h2".into()));
        assert_eq!(es[3].ended_ms, Some(2_003_000));
        assert_eq!(es[3].migration, None);
        assert_eq!(
            es[7].outcome,
            Outcome::Reconciled("finished: the VM is paused".into())
        );
        assert_eq!(es[7].text, "suspend web-2 on h1");
        // Open: no outcome yet.
        assert_eq!(es[8].outcome, Outcome::Open);
        assert_eq!(es[8].ended_ms, None);
        assert_eq!(es[8].text, "power on h3");
        assert_eq!(es[8].kind, "power-on");
        assert_eq!(es[8].vm, None);
    }

    #[test]
    fn skipped_adopted_and_plans() {
        let es = entries(&journal());
        let e = &es[4];
        assert_eq!(e.kind, "power-off");
        assert_eq!(e.text, "power off h1");
        assert_eq!(e.outcome, Outcome::Skipped("h1 still runs VMs".into()));
        assert_eq!(e.plan.as_deref(), Some("3f2a9c"));
        assert_eq!(e.actor, Actor::Operator);
        assert_eq!(e.hosts, ["h1"]);

        let e = &es[1];
        assert_eq!(
            (e.kind.as_str(), e.text.as_str()),
            ("plan-applied", "apply plan 3f2a9c")
        );
        assert_eq!((e.actor, &e.outcome), (Actor::Operator, &Outcome::Done));
        assert_eq!(e.action, None);
        let e = &es[5];
        assert_eq!(
            (e.kind.as_str(), e.text.as_str()),
            ("plan-cancelled", "cancel plan 77beef")
        );
        assert_eq!(e.plan.as_deref(), Some("77beef"));

        let e = &es[6];
        assert_eq!(
            (e.kind.as_str(), e.text.as_str()),
            ("adopt", "adopt web-7 (uuid u-7)")
        );
        assert_eq!(e.vm.as_deref(), Some("web-7"));
        assert_eq!((e.actor, &e.outcome), (Actor::Operator, &Outcome::Done));
        assert!(e.hosts.is_empty());
    }

    #[test]
    fn outcomes_without_intent_and_repeats() {
        let records = vec![
            Record::Done {
                seq: 9,
                migration: None,
                at_ms: 0,
            },
            intent(2, deploy("a", "h0"), 0, Actor::Policy, None),
            Record::Failed {
                seq: 2,
                error: "first".into(),
                at_ms: 0,
            },
            Record::Reconciled {
                seq: 2,
                outcome: "second".into(),
                at_ms: 5,
            },
        ];
        let es = entries(&records);
        assert_eq!(seqs(&es), [2]);
        assert_eq!(es[0].outcome, Outcome::Failed("first".into()));
        assert_eq!(es[0].ended_ms, None);
        assert!(entries(&[]).is_empty());
    }

    #[test]
    fn filters() {
        let es = entries(&journal());
        let sel = |f: Filter| seqs(&select(es.clone(), &f));
        assert_eq!(sel(Filter::default()), (1..=9).collect::<Vec<_>>());
        // A VM: its deploy and its migration.
        let vm = |s: &str| Filter {
            vm: Some(s.into()),
            ..Filter::default()
        };
        assert_eq!(sel(vm("web-1")), [1, 4]);
        assert_eq!(sel(vm("web-7")), [7]);
        // A host: either end of a migration.
        let host = |s: &str| Filter {
            host: Some(s.into()),
            ..Filter::default()
        };
        assert_eq!(sel(host("h0")), [1, 3]);
        assert_eq!(sel(host("h1")), [3, 4, 5, 8]);
        assert_eq!(sel(host("h2")), [4]);
        assert_eq!(
            sel(Filter {
                actor: Some(Actor::Operator),
                ..Filter::default()
            }),
            [2, 3, 4, 5, 6, 7]
        );
        let outcome = |s: &str| Filter {
            outcome: Some(s.into()),
            ..Filter::default()
        };
        assert_eq!(sel(outcome("done")), [1, 2, 3, 6, 7]);
        assert_eq!(sel(outcome("failed")), [4]);
        assert_eq!(sel(outcome("reconciled")), [8]);
        assert_eq!(sel(outcome("skipped")), [5]);
        assert_eq!(sel(outcome("open")), [9]);
        let plan = |s: &str| Filter {
            plan: Some(s.into()),
            ..Filter::default()
        };
        assert_eq!(sel(plan("3f")), [2, 3, 4, 5]);
        assert_eq!(sel(plan("77beef")), [6]);
        assert!(sel(plan("3f2a9c0")).is_empty());
        assert_eq!(
            sel(Filter {
                kind: Some("migrate".into()),
                ..Filter::default()
            }),
            [3, 4]
        );
        assert_eq!(
            sel(Filter {
                since_ms: Some(3_000_000),
                ..Filter::default()
            }),
            [6, 7, 8, 9]
        );
        assert_eq!(
            sel(Filter {
                last: Some(2),
                ..Filter::default()
            }),
            [8, 9]
        );
        assert_eq!(
            sel(Filter {
                last: Some(0),
                ..Filter::default()
            }),
            Vec::<u64>::new()
        );
        // Conditions combine; `last` applies after filtering.
        assert_eq!(
            sel(Filter {
                host: Some("h1".into()),
                actor: Some(Actor::Operator),
                last: Some(2),
                ..Filter::default()
            }),
            [4, 5]
        );
        assert_eq!(
            sel(Filter {
                last: Some(100),
                outcome: Some("done".into()),
                ..Filter::default()
            }),
            [1, 2, 3, 6, 7]
        );
        // Old records, whose time was not recorded, are not "since" anything.
        let old = entries(&[intent(1, deploy("a", "h0"), 0, Actor::Policy, None)]);
        assert!(select(
            old,
            &Filter {
                since_ms: Some(0),
                ..Filter::default()
            }
        )
        .is_empty());
    }

    #[test]
    fn parses_filter_words() {
        assert_eq!(parse_outcome("failed").as_deref(), Ok("failed"));
        assert_eq!(parse_outcome(" Done ").as_deref(), Ok("done"));
        assert_eq!(
            parse_outcome("broken"),
            Err(
                "unknown outcome `broken`: expected one of open, done, failed, reconciled, skipped"
                    .into()
            )
        );
        assert_eq!(parse_kind("power-off").as_deref(), Ok("power-off"));
        assert!(parse_kind("poweroff")
            .unwrap_err()
            .contains("plan-cancelled"));
        assert_eq!(parse_actor("operator"), Ok(Actor::Operator));
        assert_eq!(parse_actor("Reconciler"), Ok(Actor::Reconciler));
        assert!(parse_actor("root")
            .unwrap_err()
            .contains("policy, operator, reconciler"));
        // Every kind `entries` produces is listed.
        for e in entries(&journal()) {
            assert!(KINDS.contains(&e.kind.as_str()), "{}", e.kind);
            assert!(OUTCOMES.contains(&e.outcome.word()));
        }
    }

    #[test]
    fn renders_a_table() {
        let records = vec![
            intent(
                1,
                migrate("web-2", "h0", "h1"),
                1_796_664_065_000,
                Actor::Policy,
                None,
            ),
            Record::Done {
                seq: 1,
                migration: Some(FACTS),
                at_ms: 1_796_664_117_000,
            },
            intent(
                12,
                deploy("web-1", "h0"),
                1_796_664_200_000,
                Actor::Operator,
                Some("3f2a9c"),
            ),
            Record::Failed {
                seq: 12,
                error: "host h0\nrefused".into(),
                at_ms: 1_796_664_201_000,
            },
        ];
        let text = render_text(&entries(&records));
        assert_eq!(
            text,
            "SEQ  TIME (UTC)           ACTOR     OUTCOME  ACTION                       REASON     DETAIL\n  \
             1  2026-12-07 17:21:05  policy    done     migrate web-2 from h0 to h1  reason 1   51.9 s, downtime 10283 ms, 150.3 MiB in 7 rounds\n \
             12  2026-12-07 17:23:20  operator  failed   deploy web-1 on h0           reason 12  host h0 refused\n"
        );
        assert_eq!(render_text(&[]), "no journal records match\n");
    }

    #[test]
    fn old_records_show_no_time() {
        let records = vec![
            Record::Intent {
                seq: 3,
                action: Planned::PowerOn { host: "h1".into() },
                at_ms: 0,
                actor: Actor::Policy,
                reason: String::new(),
                plan: None,
            },
            Record::Done {
                seq: 3,
                migration: None,
                at_ms: 0,
            },
        ];
        let es = entries(&records);
        assert_eq!(es[0].ended_ms, None);
        assert_eq!(
            render_text(&es),
            "SEQ  TIME (UTC)  ACTOR   OUTCOME  ACTION       REASON  DETAIL\n  \
               3  -           policy  done     power on h1  -       -\n"
        );
    }

    #[test]
    fn json_lines() {
        let es = entries(&journal());
        let text = render_json(&es);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), es.len());
        assert!(text.ends_with('\n'));
        let v: serde_json::Value = serde_json::from_str(lines[2]).unwrap();
        assert_eq!(v["seq"], 3);
        assert_eq!(v["at_ms"], 2_001_000);
        assert_eq!(v["ended_ms"], 2_060_000);
        assert_eq!(v["actor"], "operator");
        assert_eq!(v["reason"], "reason 3");
        assert_eq!(v["plan"], "3f2a9c");
        assert_eq!(v["kind"], "migrate");
        assert_eq!(v["action"]["kind"], "migrate");
        assert_eq!(v["action"]["from"], "h0");
        assert_eq!(v["vm"], "web-2");
        assert_eq!(v["hosts"], serde_json::json!(["h0", "h1"]));
        assert_eq!(v["outcome"], serde_json::json!({"status": "done"}));
        assert_eq!(v["migration"]["downtime_ms"], 10_283);
        assert_eq!(v["text"], "migrate web-2 from h0 to h1");
        let v: serde_json::Value = serde_json::from_str(lines[3]).unwrap();
        assert_eq!(
            v["outcome"],
            serde_json::json!({"status": "failed", "detail": "no route to h2"})
        );
        let v: serde_json::Value = serde_json::from_str(lines[8]).unwrap();
        assert_eq!(v["outcome"], serde_json::json!({"status": "open"}));
        assert_eq!(v["ended_ms"], serde_json::Value::Null);
        // And back.
        for (line, e) in lines.iter().zip(&es) {
            assert_eq!(&serde_json::from_str::<Entry>(line).unwrap(), e);
        }
        assert_eq!(render_json(&[]), "");
    }
}
