//! Failures: when hosts fail and are repaired and when VMs crash, drawn from exponential
//! distributions on seeded streams or read from a failure trace.
//!
//! A failure trace is a CSV file with the header `time_s,target,event`: `event` is `fail` or
//! `repair` with a host as `target` (its name, e.g. `h-3`, or its id), or `crash` with a VM
//! (its name or id). Each host's events, in time order, must alternate fail, repair, fail, …

use std::path::Path;

use rand::Rng as _;
use rand_distr::Exp1;

use crate::error::InputError;
use crate::rng::Rng;
use crate::time::{from_secs, Millis};

/// What happens to a failure-trace target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A host breaks.
    Fail,
    /// A failed host is repaired (it comes back powered off).
    Repair,
    /// A VM crashes.
    Crash,
}

/// One scheduled failure event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureEvent {
    /// When.
    pub at: Millis,
    /// What.
    pub kind: FailureKind,
    /// The host (fail, repair) or VM (crash) id.
    pub target: usize,
}

/// A draw from the exponential distribution of mean `mean_s` seconds.
pub fn exponential(rng: &mut Rng, mean_s: f64) -> Millis {
    let x: f64 = rng.sample(Exp1);
    from_secs(mean_s * x)
}

/// One host's alternating failures and repairs before `horizon`: up for an exponential time of
/// mean `mtbf_s`, down for one of mean `mttr_s`, and so on.
pub fn exponential_schedule(
    rng: &mut Rng,
    host: usize,
    mtbf_s: f64,
    mttr_s: f64,
    horizon: Millis,
) -> Vec<FailureEvent> {
    let mut out = Vec::new();
    let mut t: Millis = 0;
    loop {
        t = t.saturating_add(exponential(rng, mtbf_s));
        if t >= horizon {
            return out;
        }
        out.push(FailureEvent {
            at: t,
            kind: FailureKind::Fail,
            target: host,
        });
        t = t.saturating_add(exponential(rng, mttr_s));
        if t >= horizon {
            return out;
        }
        out.push(FailureEvent {
            at: t,
            kind: FailureKind::Repair,
            target: host,
        });
    }
}

/// Reads the failure trace at `path`; targets are looked up by name, then by id, among
/// `hosts` (fail, repair) and `vms` (crash).
pub fn read_trace(
    path: &Path,
    hosts: &[String],
    vms: &[String],
) -> Result<Vec<FailureEvent>, InputError> {
    let text = crate::input::read_text(
        path,
        "failure trace",
        crate::input::MAX_TRACE_BYTES,
        "check failures.trace (relative to the scenario file)",
    )?;
    parse_trace(path, &text, hosts, vms)
}

const FORMAT: &str =
    "write one `time_s,target,event` row per line after that header, event = fail, repair or crash";

/// Parses failure-trace `text` (read from `path`, named in errors).
pub fn parse_trace(
    path: &Path,
    text: &str,
    hosts: &[String],
    vms: &[String],
) -> Result<Vec<FailureEvent>, InputError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header_ok = reader
        .headers()
        .map(|h| h.iter().eq(["time_s", "target", "event"]))
        .unwrap_or(false);
    if !header_ok {
        return Err(
            InputError::file(path, "the header must be `time_s,target,event`")
                .at(1, None)
                .hint(FORMAT),
        );
    }
    let lookup = |names: &[String], s: &str| {
        names
            .iter()
            .position(|n| n == s)
            .or_else(|| s.parse::<usize>().ok().filter(|&i| i < names.len()))
    };
    let mut events = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            InputError::file(path, e.to_string())
                .at(line, None)
                .hint(FORMAT)
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let err = |m: String| InputError::file(path, m).at(line, None);
        let time_s: f64 = record[0]
            .parse()
            .ok()
            .filter(|t: &f64| t.is_finite() && *t >= 0.0)
            .ok_or_else(|| {
                err(format!("`{}` is not a time in seconds ≥ 0", &record[0])).hint(FORMAT)
            })?;
        let (kind, names, what) = match &record[2] {
            "fail" => (FailureKind::Fail, hosts, "host"),
            "repair" => (FailureKind::Repair, hosts, "host"),
            "crash" => (FailureKind::Crash, vms, "VM"),
            other => {
                return Err(err(format!("unknown event `{other}`"))
                    .hint("event is fail or repair (of a host) or crash (of a VM)"))
            }
        };
        let target = lookup(names, &record[1]).ok_or_else(|| {
            err(format!("no {what} `{}`", &record[1])).hint(format!(
                "name the {what} as in events.csv, or give its id (0 to {})",
                names.len().saturating_sub(1)
            ))
        })?;
        events.push(FailureEvent {
            at: from_secs(time_s),
            kind,
            target,
        });
        lines.push(line);
    }
    // Each host alternates fail, repair in time order.
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| events[i].at);
    let mut failed = vec![false; hosts.len()];
    for i in order {
        let e = events[i];
        let expected_failed = match e.kind {
            FailureKind::Crash => continue,
            FailureKind::Fail => false,
            FailureKind::Repair => true,
        };
        if failed[e.target] != expected_failed {
            let (state, hint) = if expected_failed {
                ("working", "a repair must follow a fail of the same host")
            } else {
                ("already failed", "add its repair before it fails again")
            };
            return Err(InputError::file(
                path,
                format!("host `{}` is {state} at this time", hosts[e.target]),
            )
            .at(lines[i], None)
            .hint(hint));
        }
        failed[e.target] = !expected_failed;
    }
    events.sort_by_key(|e| e.at);
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::RngStreams;

    fn names(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}-{i}")).collect()
    }

    fn parse(text: &str) -> Result<Vec<FailureEvent>, InputError> {
        parse_trace(Path::new("f.csv"), text, &names("h", 3), &names("v", 2))
    }

    #[test]
    fn reads_names_and_ids_in_time_order() {
        let e = parse("time_s,target,event\n100,h-1,fail\n50,1,crash\n160.5,1,repair\n").unwrap();
        assert_eq!(
            e,
            vec![
                FailureEvent {
                    at: 50_000,
                    kind: FailureKind::Crash,
                    target: 1
                },
                FailureEvent {
                    at: 100_000,
                    kind: FailureKind::Fail,
                    target: 1
                },
                FailureEvent {
                    at: 160_500,
                    kind: FailureKind::Repair,
                    target: 1
                },
            ]
        );
    }

    #[test]
    fn bad_rows_are_located() {
        let e = parse("time_s,target,event\n100,h-1,fial\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("unknown event `fial`"), "{e}");
        let e = parse("time_s,target,event\n100,h-1,fail\n-3,h-0,fail\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = parse("time_s,target,event\n100,h-9,fail\n").unwrap_err();
        assert!(e.to_string().contains("no host `h-9`"), "{e}");
        let e = parse("time_s,target,event\n100,h-0,fail\n200,h-0,fail\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("already failed"), "{e}");
        let e = parse("time_s,target,event\n100,h-0,repair\n").unwrap_err();
        assert!(e.message.contains("is working"), "{e}");
        let e = parse("time,host,event\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = parse("time_s,target,event\n1,h-0\n").unwrap_err();
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn exponential_schedules_alternate_and_follow_the_seed() {
        let s = RngStreams::new(3);
        let horizon = 1_000 * 86_400_000;
        let a = exponential_schedule(&mut s.stream("failures", 0), 0, 86_400.0, 3_600.0, horizon);
        let b = exponential_schedule(&mut s.stream("failures", 0), 0, 86_400.0, 3_600.0, horizon);
        assert_eq!(a, b);
        let c = exponential_schedule(&mut s.stream("failures", 1), 0, 86_400.0, 3_600.0, horizon);
        assert_ne!(a, c);
        assert!(a
            .windows(2)
            .all(|w| w[0].at <= w[1].at && w[0].kind != w[1].kind));
        assert_eq!(a[0].kind, FailureKind::Fail);
        // About 1000 days / (1 day + 1 h) ≈ 960 failures; the mean up time is near 1 day.
        let fails = a.iter().filter(|e| e.kind == FailureKind::Fail).count();
        assert!((860..1060).contains(&fails), "{fails} failures");
    }
}
