//! The federation's decision code: pure, clock-free pieces the runtime drives.
//!
//! * [`protocol`]: the cross-site migration protocol (seed 002, RESERVOIR) as per-site state
//!   machines exchanging messages, with transfer proxies issuing opaque tokens.
//! * [`ranking`]: the meta-broker's ranking of clouds by monitored health with stale values
//!   discounted (seed 004).
//! * [`broker`]: choosing a cloud for a request by cost, speed or energy under a deadline and
//!   budget (seeds 001 and 004), and a per-cloud broker sizing its VM queues and stopping idle
//!   VMs just before their billing period ends (seed 004).
//! * [`router`]: the broker's choice among feasible clouds as an extension registers it.
//! * [`routing`]: the architectures' routing rules over a site's state (bursting's burst and
//!   return rules, first-fit reservation, the protocol's host choice and delegation check, the
//!   multitier parent's host choice).
//!
//! Times are [`orrery_engine::time::Millis`] handed in by the caller; nothing here reads a
//! clock, does I/O or draws from a global generator, and nothing here knows the runtime: it
//! sees engine types, the [`crate::coupling`] data types and its own.

pub mod broker;
pub mod protocol;
pub mod ranking;
pub mod router;
pub mod routing;
