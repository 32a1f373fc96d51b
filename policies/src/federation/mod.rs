//! Federation decision and protocol code: pure, clock-free pieces a federation runtime drives.
//!
//! * [`protocol`]: the cross-site migration protocol (seed 002, RESERVOIR) as per-site state
//!   machines exchanging messages, with transfer proxies issuing opaque tokens.
//! * [`metabroker`]: ranking clouds by monitored health with stale values discounted (seed 004).
//! * [`broker`]: choosing a cloud for a request by cost, speed or energy under a deadline and
//!   budget (seeds 001 and 004), and a per-cloud broker sizing its VM queues and stopping idle
//!   VMs just before their billing period ends (seed 004).
//!
//! Times are [`orrery_engine::time::Millis`] handed in by the caller; nothing here reads a
//! clock, does I/O or draws from a global generator.

pub mod broker;
pub mod metabroker;
pub mod protocol;
