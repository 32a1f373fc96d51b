//! Event-queue throughput: the classic "hold" model, and the simulator's batch pattern.
//!
//! *Hold* (`event_queue/hold/N`): the queue is pre-filled with `N` events at random times; one
//! *hold* pops the earliest event and pushes a new one at the popped time plus a random
//! increment, so the queue size stays at `N` — the steady state of a discrete-event simulation.
//! Each iteration performs `HOLDS` holds, and throughput is reported in elements, so criterion
//! prints events (holds) per second.
//!
//! Increments are exponential with mean `MEAN_MS`, rounded to whole milliseconds (ties are
//! frequent and are broken by insertion order, as in the engine). They are drawn once from the
//! seeded ChaCha stream (`RngStreams::new(SEED).stream("bench-event-queue", n)`) into a table so
//! that the timed loop measures the queue and not the random generator.
//!
//! *Batch* (`event_queue/batch/K`): what the simulator does when it boots K hosts at once. It
//! peeks at the next event (one of `BACKGROUND` events far ahead), then schedules K events at
//! one time before it (each boot's completion, `BOOT_MS` later), then handles them: K pushes at
//! the same time below a peeked event, then K pops. Throughput is reported per event pushed and
//! popped.
//!
//! Run: `cargo bench -p orrery-engine --bench event_queue`

// `criterion_group!` generates an undocumented `pub fn`; the workspace warns on missing docs.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand_distr::{Distribution, Exp};

use orrery_engine::queue::EventQueue;
use orrery_engine::rng::RngStreams;

/// Scenario seed of the random streams.
const SEED: u64 = 42;
/// Holds per timed iteration (throughput is reported per hold).
const HOLDS: u64 = 1_000_000;
/// Mean of the exponential time increment, in ms.
const MEAN_MS: f64 = 1_000.0;
/// Length of the pre-drawn increment table (a power of two; 512 KiB, cycled).
const TABLE: usize = 1 << 16;

/// A small Copy payload, like the engine's event kinds.
#[allow(dead_code)] // the payload is carried, never inspected
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Payload {
    Arrival(u32),
    Finish(u32),
    Update,
}

fn payload(i: u32) -> Payload {
    match i % 3 {
        0 => Payload::Arrival(i),
        1 => Payload::Finish(i),
        _ => Payload::Update,
    }
}

/// Exponential increments in whole milliseconds, drawn from the seeded stream `idx`.
fn increments(idx: u64, len: usize) -> Vec<u64> {
    let mut rng = RngStreams::new(SEED).stream("bench-event-queue", idx);
    let exp = Exp::new(1.0 / MEAN_MS).expect("positive rate");
    (0..len)
        .map(|_| exp.sample(&mut rng).round() as u64)
        .collect()
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue/hold");
    group.throughput(Throughput::Elements(HOLDS));
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));

    for &n in &[1_000usize, 100_000] {
        // Pre-fill: N events at exponential times from 0 (the hold model's usual start).
        let initial = increments(0, n);
        let mut q = EventQueue::new();
        for (i, &t) in initial.iter().enumerate() {
            q.push(t, payload(i as u32));
        }
        let inc = increments(1, TABLE);
        let mut k = 0usize;
        // Sanity check outside the timed loop: holds keep the size and never go back in time.
        {
            let mut last = 0;
            for _ in 0..10_000 {
                let (t, e) = q.pop().expect("queue is never empty");
                assert!(t >= last, "time went backwards: {t} < {last}");
                last = t;
                q.push(t + inc[k & (TABLE - 1)], e);
                k += 1;
            }
            assert_eq!(q.len(), n);
        }

        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let mut last = 0;
                for _ in 0..HOLDS {
                    let (t, e) = q.pop().expect("queue is never empty");
                    q.push(t + inc[k & (TABLE - 1)], e);
                    k = k.wrapping_add(1);
                    last = t;
                }
                black_box(last)
            })
        });
        assert_eq!(q.len(), n);
    }
    group.finish();
}

/// Events far in the future behind every batch (the periodic updates, the VMs' expiries).
const BACKGROUND: u64 = 1_000;
/// The background's earliest time: far beyond every batch of the run.
const FAR: u64 = 1 << 40;
/// A host's boot delay: each batch is this much later than the previous one.
const BOOT_MS: u64 = 60_000;

fn batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue/batch");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));

    for &k in &[1_000u64, 100_000] {
        group.throughput(Throughput::Elements(k));
        let mut q = EventQueue::new();
        for i in 0..BACKGROUND {
            q.push(FAR + i * 300_000, payload(i as u32));
        }
        let mut now = 0;
        // One round: peek at the next event, schedule a batch of k at one time before it, drain
        // the batch. Checked once outside the timed loop: the batch comes out in push order.
        let mut round = |q: &mut EventQueue<Payload>, check: bool| {
            assert_eq!(q.peek_time(), Some(FAR));
            now += BOOT_MS;
            for i in 0..k as u32 {
                q.push(now, payload(i));
            }
            for i in 0..k as u32 {
                let popped = q.pop();
                if check {
                    assert_eq!(popped, Some((now, payload(i))));
                }
                black_box(popped);
            }
        };
        round(&mut q, true);
        group.bench_function(BenchmarkId::from_parameter(k), |b| {
            b.iter(|| round(&mut q, false))
        });
        assert_eq!(q.len(), BACKGROUND as usize);
    }
    group.finish();
}

criterion_group!(benches, hold, batch);
criterion_main!(benches);
