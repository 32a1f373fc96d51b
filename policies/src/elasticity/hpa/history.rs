//! What the controller remembers of one HPA between evaluations (`recommendations`,
//! `scaleUpEvents`, `scaleDownEvents` of `HorizontalController`), kept slot for slot as it
//! keeps them, so that a scaler resumed from a recorded history decides as the one that
//! lived through it.

use orrery_engine::time::{Millis, SECOND};
use serde::{Deserialize, Serialize};

/// The `hpa` mode's memory of one role: past recommendations and past scale events.
///
/// Lists are in the controller's slot order, not necessarily by time: a new entry takes the
/// slot of the last entry that can no longer count, else it is appended. A history whose
/// `recommendations` are empty is that of a role never evaluated: its first evaluation
/// records the current count as a recommendation (`recordInitialRecommendation`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HpaHistory {
    /// Unstabilised recommendations `(time_ms, replicas)`.
    #[serde(default)]
    pub recommendations: Vec<(Millis, u32)>,
    /// Scale-ups `(time_ms, replicas_before, replicas_after)`; kept only with a `behavior`.
    #[serde(default)]
    pub scale_up_events: Vec<(Millis, u32, u32)>,
    /// Scale-downs `(time_ms, replicas_before, replicas_after)`; kept only with a `behavior`.
    #[serde(default)]
    pub scale_down_events: Vec<(Millis, u32, u32)>,
}

/// The signed instant `window` before `now` (before the run's start when `window > now`).
fn cutoff(now: Millis, window: Millis) -> i128 {
    i128::from(now) - i128::from(window)
}

/// Whether `t` is strictly before `now − window` (`Before(cutoff)`).
pub(super) fn before(t: Millis, now: Millis, window: Millis) -> bool {
    i128::from(t) < cutoff(now, window)
}

/// Whether `t` is strictly after `now − window` (`After(cutoff)`).
pub(super) fn after(t: Millis, now: Millis, window: Millis) -> bool {
    i128::from(t) > cutoff(now, window)
}

impl HpaHistory {
    /// Records the current count as the first recommendation of a role never evaluated
    /// (`recordInitialRecommendation`).
    pub(super) fn record_initial(&mut self, now: Millis, current: u32) {
        if self.recommendations.is_empty() {
            self.recommendations.push((now, current));
        }
    }

    /// Records `replicas` at `now` in slot `reuse` (an entry no window counts any more), or
    /// appended.
    pub(super) fn record(&mut self, now: Millis, replicas: u32, reuse: Option<usize>) {
        match reuse {
            Some(i) => self.recommendations[i] = (now, replicas),
            None => self.recommendations.push((now, replicas)),
        }
    }

    /// The VMs added (`up`) or removed by the scale events of the last `period_s` seconds
    /// (`getReplicasChangePerPeriod`).
    pub(super) fn changed_within(&self, up: bool, now: Millis, period_s: u32) -> i64 {
        let events = if up {
            &self.scale_up_events
        } else {
            &self.scale_down_events
        };
        let period = Millis::from(period_s) * SECOND;
        events
            .iter()
            .filter(|&&(t, _, _)| after(t, now, period))
            .map(|&(_, from, to)| i64::from(from.abs_diff(to)))
            .sum()
    }

    /// Records a scale from `from` to `to` at `now` (`storeScaleEvent`): it takes the slot of
    /// the last event of its direction older than `longest_period_s` (the direction's longest
    /// policy period, `markScaleEventsOutdated`), else is appended.
    pub(super) fn store_event(&mut self, now: Millis, from: u32, to: u32, longest_period_s: u32) {
        let events = if to > from {
            &mut self.scale_up_events
        } else {
            &mut self.scale_down_events
        };
        let period = Millis::from(longest_period_s) * SECOND;
        let outdated = events.iter().rposition(|&(t, _, _)| before(t, now, period));
        match outdated {
            Some(i) => events[i] = (now, from, to),
            None => events.push((now, from, to)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Millis = SECOND;

    /// Kubernetes' `TestStoreScaleEvents`, restated: ten VMs scale up by 5 at 1000 s with
    /// policies of 60 s and 30 s (longest 60 s); events strictly older than 60 s are outdated
    /// and the last of them gives its slot.
    #[test]
    fn a_scale_event_reuses_the_last_outdated_slot() {
        let now = 1000 * S;
        let ago = |s: Millis, change: u32| (now - s * S, 10 - change, 10);
        let mut h = HpaHistory {
            scale_up_events: vec![ago(29, 8), ago(59, 6), ago(61, 7), ago(61, 9)],
            ..HpaHistory::default()
        };
        assert_eq!(h.changed_within(true, now, 60), 14, "8 + 6 within 60 s");
        h.store_event(now, 10, 15, 60);
        assert_eq!(
            h.scale_up_events,
            [ago(29, 8), ago(59, 6), ago(61, 7), (now, 10, 15)]
        );
        // Two events within the period: appended.
        let mut h = HpaHistory {
            scale_up_events: vec![ago(58, 7), ago(59, 6)],
            ..HpaHistory::default()
        };
        assert_eq!(h.changed_within(true, now, 60), 13);
        h.store_event(now, 10, 15, 120);
        assert_eq!(h.scale_up_events.len(), 3);
        // A scale-down goes to its own list; an event exactly 60 s old no longer counts.
        let mut h = HpaHistory::default();
        h.store_event(now - 60 * S, 10, 4, 15);
        assert_eq!(h.changed_within(false, now - S, 60), 6);
        assert_eq!(h.changed_within(false, now, 60), 0);
        assert!(h.scale_up_events.is_empty());
    }

    #[test]
    fn a_history_reads_and_writes_as_json() {
        let h: HpaHistory = serde_json::from_str(
            r#"{"recommendations": [[0, 4], [15000, 6]], "scale_up_events": [[15000, 4, 6]]}"#,
        )
        .unwrap();
        assert_eq!(h.recommendations, [(0, 4), (15_000, 6)]);
        assert_eq!(h.scale_up_events, [(15_000, 4, 6)]);
        assert!(h.scale_down_events.is_empty());
        let back: HpaHistory = serde_json::from_value(serde_json::to_value(&h).unwrap()).unwrap();
        assert_eq!(back, h);
        assert!(serde_json::from_str::<HpaHistory>(r#"{"events": []}"#).is_err());
    }
}
