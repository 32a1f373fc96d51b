//! Pre-copy live migration (Clark et al. 2005, "Live migration of virtual machines"), in the
//! iterative form used by Akoush et al. 2010 and CloudSim Plus: round 0 sends the whole memory,
//! each later round resends what the VM dirtied during the previous one, and a final
//! stop-and-copy sends the rest with the VM paused.
//!
//! [`Transfer`] is the state machine an event-driven simulator advances while the migration's
//! bandwidth changes (other migrations start and end on the same links, see [`fair_rates`]);
//! [`plan`] is the closed form at constant bandwidth. Stepping a [`Transfer`] one boundary at a
//! time at a constant rate gives exactly the numbers of [`plan`].
//!
//! Units: MB, seconds, MB/s. Rates ≤ 0 (or NaN) mean no bandwidth: nothing is sent and the
//! current round never ends (its time to the next boundary is infinite).
//!
//! On a millisecond clock, schedule a boundary at the *ceiling* of
//! [`Transfer::time_to_next_boundary`]: a step beyond the boundary is clamped to it, so the round
//! still ends there, whereas rounding down would leave a sliver of data to send.

/// Parameters of the pre-copy algorithm. Values are expected finite and non-negative.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrecopyParams {
    /// Rate at which the running VM dirties memory, in MB/s.
    pub dirty_rate_mbs: f64,
    /// Pre-copy stops once the data to send next is at most this many MB.
    pub stop_threshold_mb: f64,
    /// Pre-copy stops after this many rounds (round 0 included); 0 means pure stop-and-copy.
    pub max_rounds: u32,
    /// Time to resume the VM on the destination after the last byte, in seconds (downtime).
    pub resume_overhead_s: f64,
    /// Writable working set in MB: a round never dirties more (default: the whole memory).
    pub wws_mb: Option<f64>,
}

/// Where a migration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Pre-copy round `round` (0-based; round 0 sends the whole memory), VM running.
    PreCopy {
        /// Index of the round in progress.
        round: u32,
    },
    /// VM paused: the remaining dirty data is sent, then the VM resumes on the destination.
    StopAndCopy,
    /// The VM runs on the destination.
    Done,
}

/// Why pre-copy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The data to send next was at most the stop threshold.
    Threshold,
    /// The dirty data did not shrink (dirtied ≥ the previous round's data, up to a relative 1e-12
    /// for rounding error).
    NonConvergent,
    /// `max_rounds` pre-copy rounds were done.
    MaxRounds,
}

/// Data a round of `duration_s` dirties: min(dirty rate × duration, working set), 0 without
/// dirtying (never NaN, even for an infinite duration).
fn dirtied_mb(params: &PrecopyParams, cap_mb: f64, duration_s: f64) -> f64 {
    if params.dirty_rate_mbs > 0.0 {
        (params.dirty_rate_mbs * duration_s).min(cap_mb)
    } else {
        0.0
    }
}

/// The most a round can dirty: the writable working set, at most the memory.
fn dirty_cap_mb(memory_mb: f64, params: &PrecopyParams) -> f64 {
    params
        .wws_mb
        .map_or(memory_mb, |w| w.max(0.0).min(memory_mb))
}

/// Whether pre-copy stops after `rounds_done` rounds, the last one having sent `prev_mb` and
/// dirtied `next_mb`. The threshold is checked first, then non-convergence, then the round limit.
/// Shrinking by no more than rounding error counts as not shrinking: with dirty rate = bandwidth,
/// rate × (data / rate) can come out an ulp below the data, which must not buy another round.
fn stop_reason(
    params: &PrecopyParams,
    rounds_done: u32,
    prev_mb: f64,
    next_mb: f64,
) -> Option<StopReason> {
    if next_mb <= params.stop_threshold_mb {
        Some(StopReason::Threshold)
    } else if next_mb >= prev_mb - SNAP * prev_mb {
        Some(StopReason::NonConvergent)
    } else if rounds_done >= params.max_rounds {
        Some(StopReason::MaxRounds)
    } else {
        None
    }
}

/// Usable bandwidth: anything not > 0 (including NaN) is none.
fn usable(rate_mbs: f64) -> f64 {
    if rate_mbs > 0.0 {
        rate_mbs
    } else {
        0.0
    }
}

/// Seconds to send `mb` at a usable `rate` (infinite without bandwidth, 0 for nothing to send).
fn send_time(mb: f64, rate: f64) -> f64 {
    if mb <= 0.0 {
        0.0
    } else if rate > 0.0 {
        mb / rate
    } else {
        f64::INFINITY
    }
}

/// Relative slack for rounding error: leftover data (or overhead) under it counts as done, so a
/// step that falls short of a boundary still ends the round; a round's data shrinking by less
/// than it counts as not shrinking.
const SNAP: f64 = 1e-12;

/// One migration in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Transfer {
    params: PrecopyParams,
    cap_mb: f64,
    phase: Phase,
    /// Data of the current round (or stop-and-copy).
    round_mb: f64,
    /// Part of `round_mb` not yet sent.
    remaining_mb: f64,
    /// Time spent in the current pre-copy round (the dirtying window).
    round_elapsed_s: f64,
    /// Resume overhead left once the stop-and-copy data is sent.
    overhead_left_s: f64,
    /// Data of the rounds already finished.
    sent_done_mb: f64,
    elapsed_s: f64,
    downtime_s: f64,
    rounds: u32,
    stop_reason: Option<StopReason>,
}

impl Transfer {
    /// Starts migrating `memory_mb` of memory: round 0, or stop-and-copy if `max_rounds` is 0.
    pub fn new(memory_mb: f64, params: PrecopyParams) -> Self {
        let memory_mb = if memory_mb > 0.0 { memory_mb } else { 0.0 };
        let mut t = Transfer {
            cap_mb: dirty_cap_mb(memory_mb, &params),
            params,
            phase: Phase::PreCopy { round: 0 },
            round_mb: memory_mb,
            remaining_mb: memory_mb,
            round_elapsed_s: 0.0,
            overhead_left_s: 0.0,
            sent_done_mb: 0.0,
            elapsed_s: 0.0,
            downtime_s: 0.0,
            rounds: 0,
            stop_reason: None,
        };
        if params.max_rounds == 0 {
            t.enter_stop_and_copy(memory_mb, StopReason::MaxRounds);
        }
        t
    }

    fn enter_stop_and_copy(&mut self, mb: f64, reason: StopReason) {
        self.phase = Phase::StopAndCopy;
        self.round_mb = mb;
        self.remaining_mb = mb;
        self.overhead_left_s = usable(self.params.resume_overhead_s);
        self.stop_reason = Some(reason);
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Seconds until the current round (or stop-and-copy) ends at `rate_mbs`, or until Done after
    /// the overhead. In stop-and-copy the end of the data is a boundary of its own (the link is
    /// free from then on); the overhead that follows takes the same time at any rate. 0 at a
    /// boundary not yet passed with [`Transfer::next_phase`]; infinite without bandwidth while
    /// data is left, and once Done.
    pub fn time_to_next_boundary(&self, rate_mbs: f64) -> f64 {
        match self.phase {
            Phase::Done => f64::INFINITY,
            Phase::StopAndCopy if self.remaining_mb <= 0.0 => self.overhead_left_s,
            _ => send_time(self.remaining_mb, usable(rate_mbs)),
        }
    }

    /// Advances by `dt_s` at `rate_mbs` (dt never beyond the next boundary; the simulator calls at
    /// boundaries and whenever the rate changes). Dirtying accrues during pre-copy rounds at
    /// dirty_rate. A step beyond the next boundary is clamped to it; one that falls short by
    /// rounding error (relative 1e-12) reaches it. Nothing happens once Done.
    pub fn advance(&mut self, dt_s: f64, rate_mbs: f64) {
        let rate = usable(rate_mbs);
        let mut dt = if dt_s > 0.0 { dt_s } else { 0.0 };
        match self.phase {
            Phase::Done => return,
            Phase::StopAndCopy if self.remaining_mb <= 0.0 => {
                let left = self.overhead_left_s - dt;
                if left <= SNAP * self.overhead_left_s {
                    dt = self.overhead_left_s;
                    self.overhead_left_s = 0.0;
                } else {
                    self.overhead_left_s = left;
                }
            }
            _ if self.remaining_mb <= 0.0 => dt = 0.0, // at a pre-copy boundary
            _ if rate > 0.0 => {
                let to_boundary = self.remaining_mb / rate;
                if dt >= to_boundary {
                    dt = to_boundary;
                    self.remaining_mb = 0.0;
                } else {
                    let left = self.remaining_mb - rate * dt;
                    self.remaining_mb = if left <= SNAP * self.round_mb {
                        0.0
                    } else {
                        left
                    };
                }
            }
            _ => {} // no bandwidth: time passes, nothing is sent
        }
        self.elapsed_s += dt;
        match self.phase {
            Phase::PreCopy { .. } => self.round_elapsed_s += dt,
            Phase::StopAndCopy => self.downtime_s += dt,
            Phase::Done => {}
        }
    }

    /// At a boundary: moves to the next round / stop-and-copy / done, using the rules above;
    /// returns the new phase. Away from a boundary (or at the end of the stop-and-copy data with
    /// resume overhead still to go) the phase is unchanged.
    pub fn next_phase(&mut self) -> Phase {
        match self.phase {
            Phase::PreCopy { round } if self.remaining_mb <= 0.0 => {
                self.rounds += 1;
                self.sent_done_mb += self.round_mb;
                let next = dirtied_mb(&self.params, self.cap_mb, self.round_elapsed_s);
                self.round_elapsed_s = 0.0;
                match stop_reason(&self.params, self.rounds, self.round_mb, next) {
                    Some(reason) => self.enter_stop_and_copy(next, reason),
                    None => {
                        self.phase = Phase::PreCopy { round: round + 1 };
                        self.round_mb = next;
                        self.remaining_mb = next;
                    }
                }
            }
            Phase::StopAndCopy if self.remaining_mb <= 0.0 && self.overhead_left_s <= 0.0 => {
                self.sent_done_mb += self.round_mb;
                self.round_mb = 0.0;
                self.phase = Phase::Done;
            }
            _ => {}
        }
        self.phase
    }

    /// Data sent so far, in MB.
    pub fn data_sent_mb(&self) -> f64 {
        self.sent_done_mb + (self.round_mb - self.remaining_mb)
    }

    /// Data left in the current round (or stop-and-copy), in MB; 0 means the migration needs no
    /// bandwidth until [`Transfer::next_phase`] (or during the resume overhead).
    pub fn remaining_mb(&self) -> f64 {
        self.remaining_mb
    }

    /// Time spent in stop-and-copy plus overhead so far, in seconds.
    pub fn downtime_s(&self) -> f64 {
        self.downtime_s
    }

    /// Time since the migration started, in seconds (its duration once Done).
    pub fn elapsed_s(&self) -> f64 {
        self.elapsed_s
    }

    /// Pre-copy rounds completed.
    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// Why pre-copy ended, once it has.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.stop_reason
    }
}

/// Closed-form helper at constant bandwidth (for tests and for the planner's cost estimates): the
/// full round sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecopyPlan {
    /// MB sent per pre-copy round (round 0 first).
    pub rounds: Vec<f64>,
    /// MB sent during stop-and-copy.
    pub stop_copy_mb: f64,
    /// Seconds from start to the VM resuming on the destination.
    pub duration_s: f64,
    /// Seconds the VM is paused: stop-and-copy plus resume overhead.
    pub downtime_s: f64,
    /// Total MB sent: all rounds plus stop-and-copy.
    pub data_mb: f64,
    /// Why pre-copy ended (`None` without bandwidth: round 0 never ends).
    pub stop_reason: Option<StopReason>,
}

/// The pre-copy sequence of `memory_mb` at a constant `rate_mbs`. Without bandwidth (rate ≤ 0)
/// the migration never ends: round 0 never does (`rounds` is `[memory]`, `duration_s` infinite,
/// no downtime, no stop reason), or with `max_rounds` 0 the stop-and-copy never does (infinite
/// downtime).
pub fn plan(memory_mb: f64, rate_mbs: f64, params: &PrecopyParams) -> PrecopyPlan {
    let memory_mb = if memory_mb > 0.0 { memory_mb } else { 0.0 };
    let rate = usable(rate_mbs);
    let cap = dirty_cap_mb(memory_mb, params);
    let mut rounds = Vec::new();
    let mut duration_s = 0.0;
    let mut data_mb = 0.0;
    let mut stop = (memory_mb, StopReason::MaxRounds);
    if params.max_rounds > 0 {
        let mut send = memory_mb;
        loop {
            let t = send_time(send, rate);
            rounds.push(send);
            if t.is_infinite() {
                return PrecopyPlan {
                    rounds,
                    stop_copy_mb: 0.0,
                    duration_s: t,
                    downtime_s: 0.0,
                    data_mb: data_mb + send,
                    stop_reason: None,
                };
            }
            duration_s += t;
            data_mb += send;
            let next = dirtied_mb(params, cap, t);
            if let Some(reason) = stop_reason(params, rounds.len() as u32, send, next) {
                stop = (next, reason);
                break;
            }
            send = next;
        }
    }
    let (stop_copy_mb, reason) = stop;
    let copy_s = send_time(stop_copy_mb, rate);
    let overhead_s = usable(params.resume_overhead_s);
    // Same additions, in the same order, as stepping a Transfer boundary by boundary.
    let mut downtime_s = 0.0;
    for t in [copy_s, overhead_s] {
        if t > 0.0 {
            duration_s += t;
            downtime_s += t;
        }
    }
    PrecopyPlan {
        rounds,
        stop_copy_mb,
        duration_s,
        downtime_s,
        data_mb: data_mb + stop_copy_mb,
        stop_reason: Some(reason),
    }
}

/// Fair sharing of link bandwidth: each migration uses its source host's outgoing link and its
/// destination's incoming link; its rate = min(src_capacity / migrations out of src,
/// dst_capacity / migrations into dst). `links` holds (src host, dst host) per active migration
/// (host ids index a dense range); `capacity_mbs` gives a host's link capacity in each direction.
/// This is an equal split per link, not max-min fairness: bandwidth a migration cannot use
/// because of its other link is not handed to the others.
pub fn fair_rates(links: &[(usize, usize)], capacity_mbs: impl Fn(usize) -> f64) -> Vec<f64> {
    let hosts = links.iter().map(|&(s, d)| s.max(d) + 1).max().unwrap_or(0);
    let mut out = vec![0u32; hosts];
    let mut inc = vec![0u32; hosts];
    for &(s, d) in links {
        out[s] += 1;
        inc[d] += 1;
    }
    links
        .iter()
        .map(|&(s, d)| {
            let src = capacity_mbs(s) / out[s] as f64;
            let dst = capacity_mbs(d) / inc[d] as f64;
            usable(src.min(dst))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(dirty: f64, threshold: f64, max_rounds: u32, overhead: f64) -> PrecopyParams {
        PrecopyParams {
            dirty_rate_mbs: dirty,
            stop_threshold_mb: threshold,
            max_rounds,
            resume_overhead_s: overhead,
            wws_mb: None,
        }
    }

    /// Steps a transfer at a constant rate, one boundary at a time, recording the data of every
    /// pre-copy round; returns it with the finished transfer.
    fn step_through(memory: f64, rate: f64, p: PrecopyParams) -> (Vec<f64>, Transfer) {
        let mut t = Transfer::new(memory, p);
        let mut rounds = Vec::new();
        let mut guard = 0;
        while t.phase() != Phase::Done {
            if let Phase::PreCopy { round } = t.phase() {
                if round as usize == rounds.len() {
                    rounds.push(t.remaining_mb());
                }
            }
            let dt = t.time_to_next_boundary(rate);
            assert!(dt.is_finite(), "stuck in {:?}", t.phase());
            t.advance(dt, rate);
            t.next_phase();
            guard += 1;
            assert!(guard < 10_000);
        }
        (rounds, t)
    }

    /// Asserts that a stepped transfer reproduces a plan bit for bit.
    fn assert_matches(pl: &PrecopyPlan, rounds: &[f64], t: &Transfer) {
        assert_eq!(pl.rounds, rounds);
        assert_eq!(pl.rounds.len() as u32, t.rounds());
        assert_eq!(pl.data_mb, t.data_sent_mb());
        assert_eq!(pl.duration_s, t.elapsed_s());
        assert_eq!(pl.downtime_s, t.downtime_s());
        assert_eq!(pl.stop_reason, t.stop_reason());
    }

    #[test]
    fn precopy_converging_sequence_matches_hand_calculation() {
        // M = 1024 MB at 128 MB/s, dirtying 32 MB/s, threshold 16 MB:
        //   round 0: 1024 MB / 128 = 8 s    → dirties 32 × 8   = 256 MB (> 16, shrinks)
        //   round 1:  256 MB / 128 = 2 s    → dirties 32 × 2   =  64 MB
        //   round 2:   64 MB / 128 = 0.5 s  → dirties 32 × 0.5 =  16 MB ≤ 16: stop
        //   stop-and-copy: 16 MB / 128 = 0.125 s downtime
        //   data 1024 + 256 + 64 + 16 = 1360 MB; duration 8 + 2 + 0.5 + 0.125 = 10.625 s.
        let p = params(32.0, 16.0, 30, 0.0);
        let pl = plan(1024.0, 128.0, &p);
        assert_eq!(pl.rounds, vec![1024.0, 256.0, 64.0]);
        assert_eq!(pl.stop_copy_mb, 16.0);
        assert_eq!(pl.downtime_s, 0.125);
        assert_eq!(pl.data_mb, 1360.0);
        assert_eq!(pl.duration_s, 10.625);
        assert_eq!(pl.stop_reason, Some(StopReason::Threshold));

        let (rounds, t) = step_through(1024.0, 128.0, p);
        assert_matches(&pl, &rounds, &t);
        assert_eq!(t.rounds(), 3);
    }

    #[test]
    fn precopy_phases_and_boundaries_step_by_step() {
        let mut t = Transfer::new(1024.0, params(32.0, 16.0, 30, 0.25));
        assert_eq!(t.phase(), Phase::PreCopy { round: 0 });
        assert_eq!(t.time_to_next_boundary(128.0), 8.0);
        // Away from a boundary nothing moves on.
        t.advance(3.0, 128.0);
        assert_eq!(t.next_phase(), Phase::PreCopy { round: 0 });
        assert_eq!(t.data_sent_mb(), 384.0);
        assert_eq!(t.time_to_next_boundary(128.0), 5.0);
        t.advance(5.0, 128.0);
        assert_eq!(t.time_to_next_boundary(128.0), 0.0);
        assert_eq!(t.next_phase(), Phase::PreCopy { round: 1 });
        assert_eq!(t.rounds(), 1);
        assert_eq!(t.remaining_mb(), 256.0);
        for expected in [Phase::PreCopy { round: 2 }, Phase::StopAndCopy] {
            let dt = t.time_to_next_boundary(128.0);
            t.advance(dt, 128.0);
            assert_eq!(t.next_phase(), expected);
        }
        assert_eq!(t.remaining_mb(), 16.0);
        // Stop-and-copy data, then the resume overhead as a boundary of its own.
        assert_eq!(t.time_to_next_boundary(128.0), 0.125);
        t.advance(0.125, 128.0);
        assert_eq!(t.next_phase(), Phase::StopAndCopy);
        assert_eq!(t.time_to_next_boundary(0.0), 0.25);
        t.advance(0.25, 0.0);
        assert_eq!(t.next_phase(), Phase::Done);
        assert_eq!(t.downtime_s(), 0.375);
        assert_eq!(t.elapsed_s(), 10.875);
        assert_eq!(t.data_sent_mb(), 1360.0);
        assert_eq!(t.time_to_next_boundary(128.0), f64::INFINITY);
        t.advance(1.0, 128.0);
        assert_eq!(t.elapsed_s(), 10.875);
        assert_eq!(t.next_phase(), Phase::Done);
    }

    #[test]
    fn precopy_non_convergence_stops_after_round_0() {
        // Dirtying 200 MB/s at 100 MB/s: round 0 sends 1000 MB in 10 s and dirties
        // min(200 × 10, 1000) = 1000 MB ≥ 1000: no shrink, so stop-and-copy 1000 MB = 10 s.
        let p = params(200.0, 16.0, 30, 0.0);
        let pl = plan(1000.0, 100.0, &p);
        assert_eq!(pl.rounds, vec![1000.0]);
        assert_eq!(pl.stop_copy_mb, 1000.0);
        assert_eq!(pl.downtime_s, 10.0);
        assert_eq!(pl.duration_s, 20.0);
        assert_eq!(pl.data_mb, 2000.0);
        assert_eq!(pl.stop_reason, Some(StopReason::NonConvergent));
        let (rounds, t) = step_through(1000.0, 100.0, p);
        assert_matches(&pl, &rounds, &t);
    }

    #[test]
    fn precopy_dirty_rate_equal_to_bandwidth_stops_after_round_0() {
        // Dirtied = rate × (M / rate) = M, though in floating point it can come out an ulp
        // short (870 / 100 × 100 < 870); that must not count as shrinking.
        for (memory, rate) in [
            (870.0, 100.0),
            (1740.0, 1250.0),
            (1024.0, 7.3),
            (1000.0, 100.0),
        ] {
            let p = params(rate, 16.0, 30, 0.0);
            let pl = plan(memory, rate, &p);
            assert_eq!(pl.rounds, vec![memory], "{memory} at {rate}");
            assert_eq!(pl.stop_reason, Some(StopReason::NonConvergent));
            assert!((pl.stop_copy_mb - memory).abs() <= 1e-9 * memory);
            let (rounds, t) = step_through(memory, rate, p);
            assert_matches(&pl, &rounds, &t);
        }
    }

    #[test]
    fn precopy_non_convergence_at_first_non_shrinking_round_with_working_set() {
        // Working set 200 MB: round 0 (1000 MB, 10 s) dirties min(2000, 200) = 200 MB, which
        // shrinks; round 1 (200 MB, 2 s) dirties min(400, 200) = 200 ≥ 200: stop-and-copy 200 MB.
        let p = PrecopyParams {
            wws_mb: Some(200.0),
            ..params(200.0, 16.0, 30, 0.0)
        };
        let pl = plan(1000.0, 100.0, &p);
        assert_eq!(pl.rounds, vec![1000.0, 200.0]);
        assert_eq!(pl.stop_copy_mb, 200.0);
        assert_eq!(pl.duration_s, 14.0);
        assert_eq!(pl.downtime_s, 2.0);
        assert_eq!(pl.data_mb, 1400.0);
        assert_eq!(pl.stop_reason, Some(StopReason::NonConvergent));
        let (rounds, t) = step_through(1000.0, 100.0, p);
        assert_matches(&pl, &rounds, &t);
    }

    #[test]
    fn precopy_max_rounds_limits_pre_copy() {
        // As the converging case, at most 2 rounds, 0.25 s resume overhead:
        //   round 0: 1024 MB, 8 s → 256 MB; round 1: 256 MB, 2 s → 64 MB; 2 rounds done:
        //   stop-and-copy 64 MB = 0.5 s; downtime 0.5 + 0.25 = 0.75 s; duration 10.75 s;
        //   data 1024 + 256 + 64 = 1344 MB.
        let p = params(32.0, 16.0, 2, 0.25);
        let pl = plan(1024.0, 128.0, &p);
        assert_eq!(pl.rounds, vec![1024.0, 256.0]);
        assert_eq!(pl.stop_copy_mb, 64.0);
        assert_eq!(pl.downtime_s, 0.75);
        assert_eq!(pl.duration_s, 10.75);
        assert_eq!(pl.data_mb, 1344.0);
        assert_eq!(pl.stop_reason, Some(StopReason::MaxRounds));
        let (rounds, t) = step_through(1024.0, 128.0, p);
        assert_matches(&pl, &rounds, &t);

        // No pre-copy round at all: stop-and-copy of the whole memory.
        let p = params(32.0, 16.0, 0, 0.0);
        let pl = plan(1024.0, 128.0, &p);
        assert!(pl.rounds.is_empty());
        assert_eq!((pl.stop_copy_mb, pl.downtime_s), (1024.0, 8.0));
        assert_eq!(Transfer::new(1024.0, p).phase(), Phase::StopAndCopy);
        let (rounds, t) = step_through(1024.0, 128.0, p);
        assert_matches(&pl, &rounds, &t);
    }

    #[test]
    fn precopy_zero_dirty_rate_is_one_round_and_empty_stop_and_copy() {
        let p = params(0.0, 16.0, 30, 0.5);
        let pl = plan(1024.0, 128.0, &p);
        assert_eq!(pl.rounds, vec![1024.0]);
        assert_eq!(pl.stop_copy_mb, 0.0);
        assert_eq!(pl.downtime_s, 0.5);
        assert_eq!(pl.duration_s, 8.5);
        let (rounds, t) = step_through(1024.0, 128.0, p);
        assert_matches(&pl, &rounds, &t);
    }

    #[test]
    fn precopy_zero_rate_waits_without_nan() {
        let p = params(32.0, 16.0, 30, 0.0);
        let mut t = Transfer::new(1024.0, p);
        assert_eq!(t.time_to_next_boundary(0.0), f64::INFINITY);
        assert_eq!(t.time_to_next_boundary(f64::NAN), f64::INFINITY);
        t.advance(4.0, 0.0);
        t.advance(f64::INFINITY, 0.0);
        assert_eq!(t.next_phase(), Phase::PreCopy { round: 0 });
        assert_eq!(t.data_sent_mb(), 0.0);
        assert!(!t.downtime_s().is_nan());
        // Zero dirtying over an unbounded wait is still zero, not NaN.
        let mut t = Transfer::new(64.0, params(0.0, 16.0, 30, 0.0));
        t.advance(f64::INFINITY, 0.0);
        t.advance(1.0, 64.0);
        assert_eq!(t.next_phase(), Phase::StopAndCopy);
        assert_eq!(t.remaining_mb(), 0.0);

        let pl = plan(1024.0, 0.0, &p);
        assert_eq!(pl.duration_s, f64::INFINITY);
        assert_eq!(pl.rounds, vec![1024.0]);
        assert_eq!(pl.stop_reason, None);
        assert!(!pl.data_mb.is_nan() && !pl.downtime_s.is_nan());
    }

    #[test]
    fn precopy_plan_and_stepping_agree_exactly() {
        let mut seen = std::collections::BTreeSet::new();
        let mut longest = 0;
        for memory in [0.0, 613.0, 870.0, 1740.0, 4096.0] {
            for rate in [7.3, 62.5, 100.0, 117.187_5, 1250.0] {
                for dirty in [0.0, 1.1, 13.7, 62.5, 99.9, 300.0] {
                    for (threshold, max_rounds, overhead, wws) in [
                        (16.0, 30, 0.0, None),
                        (0.0, 1000, 0.02, None),
                        (50.0, 3, 0.3, Some(300.0)),
                        (1.0, 1, 0.0, Some(5000.0)),
                    ] {
                        let p = PrecopyParams {
                            wws_mb: wws,
                            ..params(dirty, threshold, max_rounds, overhead)
                        };
                        let pl = plan(memory, rate, &p);
                        let (rounds, t) = step_through(memory, rate, p);
                        assert_matches(&pl, &rounds, &t);
                        seen.insert(format!("{:?}", pl.stop_reason));
                        longest = longest.max(pl.rounds.len());
                        let total: f64 = pl.rounds.iter().sum::<f64>() + pl.stop_copy_mb;
                        assert!((total - pl.data_mb).abs() <= 1e-9 * total.max(1.0));
                    }
                }
            }
        }
        // Every way of stopping, and long sequences, were exercised.
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert!(longest > 100, "{longest}");
    }

    #[test]
    fn precopy_rate_halving_mid_round_delays_by_hand_computed_amount() {
        // Alone at 128 MB/s the migration takes 10.625 s (first test). A second migration joins
        // at t = 4 s and stays: the rate halves to 64 MB/s.
        //   round 0: 512 MB in 4 s at 128, then 512 MB in 8 s at 64 → ends at 12 s,
        //            dirties 32 × 12 = 384 MB
        //   round 1: 384 / 64 = 6 s → 192 MB;   round 2: 192 / 64 = 3 s → 96 MB
        //   round 3:  96 / 64 = 1.5 s → 48 MB;  round 4:  48 / 64 = 0.75 s → 24 MB
        //   round 5:  24 / 64 = 0.375 s → 12 MB ≤ 16: stop-and-copy 12 / 64 = 0.1875 s
        //   duration 12 + 6 + 3 + 1.5 + 0.75 + 0.375 + 0.1875 = 23.8125 s (13.1875 s later);
        //   data 1024 + 384 + 192 + 96 + 48 + 24 + 12 = 1780 MB.
        let p = params(32.0, 16.0, 30, 0.0);
        let mut t = Transfer::new(1024.0, p);
        t.advance(4.0, 128.0);
        let mut rounds = vec![];
        while t.phase() != Phase::Done {
            if let Phase::PreCopy { .. } = t.phase() {
                rounds.push(t.round_mb);
            }
            let dt = t.time_to_next_boundary(64.0);
            t.advance(dt, 64.0);
            t.next_phase();
        }
        assert_eq!(rounds, vec![1024.0, 384.0, 192.0, 96.0, 48.0, 24.0]);
        assert_eq!(t.elapsed_s(), 23.8125);
        assert_eq!(t.elapsed_s() - plan(1024.0, 128.0, &p).duration_s, 13.1875);
        assert_eq!(t.downtime_s(), 0.1875);
        assert_eq!(t.data_sent_mb(), 1780.0);

        // The same by hand, piecewise: round 0 at two rates, then the plan of the remaining
        // rounds at 64 MB/s, which is the plan of a 384 MB "memory" round sequence.
        let round0 = 4.0 + (1024.0 - 128.0 * 4.0) / 64.0;
        let rest = plan(384.0, 64.0, &p);
        assert_eq!(round0 + rest.duration_s, t.elapsed_s());
        assert_eq!(1024.0 + rest.data_mb, t.data_sent_mb());
    }

    #[test]
    fn precopy_two_migrations_share_a_source_link() {
        // A (1024 MB, dirtying 32 MB/s) goes 0 → 1 from t = 0; B (256 MB, no dirtying) goes
        // 0 → 2 from t = 4 s. Every link carries 128 MB/s, so while both run each gets 64.
        //   A round 0: 512 MB by t = 4, then 64 MB/s. B round 0: 256 / 64 = 4 s, ends at t = 8
        //   with nothing dirtied: empty stop-and-copy, done at t = 8. A has sent another 256 MB.
        //   A at 128 again: 256 MB in 2 s → round 0 ends at t = 10, dirtied 32 × 10 = 320 MB.
        //   round 1: 320 / 128 = 2.5 s → 80 MB; round 2: 80 / 128 = 0.625 s → 20 MB;
        //   round 3: 20 / 128 = 0.156 25 s → 5 MB ≤ 16: stop-and-copy 5 / 128 = 0.039 062 5 s.
        //   A ends at 10 + 2.5 + 0.625 + 0.156 25 + 0.039 062 5 = 13.320 312 5 s, i.e.
        //   2.695 312 5 s after the 10.625 s it takes alone.
        let p = params(32.0, 16.0, 30, 0.0);
        let mut migrations = vec![(0.0, (0, 1), Transfer::new(1024.0, p))];
        let mut pending = Some((
            4.0,
            (0, 2),
            Transfer::new(256.0, params(0.0, 16.0, 30, 0.0)),
        ));
        let mut now = 0.0;
        let mut finished = vec![];
        while !migrations.is_empty() || pending.is_some() {
            let links: Vec<_> = migrations.iter().map(|m| m.1).collect();
            let rates = fair_rates(&links, |_| 128.0);
            let mut dt = pending.as_ref().map_or(f64::INFINITY, |p| p.0 - now);
            for (m, &r) in migrations.iter().zip(&rates) {
                dt = dt.min(m.2.time_to_next_boundary(r));
            }
            for (m, &r) in migrations.iter_mut().zip(&rates) {
                m.2.advance(dt, r);
                m.2.next_phase();
            }
            now += dt;
            migrations.retain(|m| {
                let done = m.2.phase() == Phase::Done;
                if done {
                    finished.push((m.1, now, m.2.elapsed_s() + m.0));
                }
                !done
            });
            if pending.as_ref().is_some_and(|p| p.0 == now) {
                migrations.extend(pending.take());
            }
        }
        assert_eq!(
            finished,
            vec![((0, 2), 8.0, 8.0), ((0, 1), 13.320_312_5, 13.320_312_5)]
        );
        assert_eq!(
            finished[1].1 - plan(1024.0, 128.0, &p).duration_s,
            2.695_312_5
        );
    }

    #[test]
    fn precopy_rate_changes_within_a_round_match_piecewise_computation() {
        // Round 0 of 1024 MB at 128 MB/s for 4 s (512 MB), 64 MB/s for 4 s (256 MB), then back
        // to 128: the last 256 MB take 2 s, so the round lasts 10 s and dirties 320 MB.
        let mut t = Transfer::new(1024.0, params(32.0, 16.0, 30, 0.0));
        t.advance(4.0, 128.0);
        assert_eq!(t.data_sent_mb(), 512.0);
        t.advance(4.0, 64.0);
        assert_eq!(t.data_sent_mb(), 768.0);
        assert_eq!(t.time_to_next_boundary(128.0), 2.0);
        // An overshooting step is clamped to the boundary.
        t.advance(2.5, 128.0);
        assert_eq!(t.elapsed_s(), 10.0);
        assert_eq!(t.next_phase(), Phase::PreCopy { round: 1 });
        assert_eq!(t.remaining_mb(), 320.0);
        // A step short of the boundary by rounding error still reaches it.
        let mut t = Transfer::new(1000.0, params(0.0, 16.0, 30, 0.0));
        let dt = t.time_to_next_boundary(3.0);
        t.advance(dt * (1.0 - 1e-15), 3.0);
        assert_eq!(t.next_phase(), Phase::StopAndCopy);
    }

    #[test]
    fn fair_rates_split_each_link_equally() {
        // a: 0 → 1, b: 0 → 2, c: 3 → 2. Capacities: host 0 100, host 1 100, host 2 80, host 3 100.
        //   out of 0: a, b → 50 each; into 2: b, c → 40 each; into 1: a alone; out of 3: c alone.
        //   a = min(100 / 2, 100 / 1) = 50; b = min(100 / 2, 80 / 2) = 40; c = min(100, 80 / 2) = 40.
        let cap = |h: usize| [100.0, 100.0, 80.0, 100.0][h];
        assert_eq!(
            fair_rates(&[(0, 1), (0, 2), (3, 2)], cap),
            vec![50.0, 40.0, 40.0]
        );
        assert_eq!(fair_rates(&[(0, 1)], cap), vec![100.0]);
        assert!(fair_rates(&[], cap).is_empty());
        assert_eq!(fair_rates(&[(0, 1)], |_| 0.0), vec![0.0]);
    }
}
