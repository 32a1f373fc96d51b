//! Brokering (seeds 001 and 004): which cloud takes a request ([`choice`]) and how a cloud's
//! own broker sizes and stops its VMs ([`cloud`]).

pub mod choice;
pub mod cloud;

#[cfg(test)]
mod tests;

pub use choice::{
    choose, estimate, feasible, unfit, CloudOffer, Estimate, Goal, Infeasible, Request, Unfit,
};
pub use cloud::{
    charge, queue_wait, stop_time, vms_to_start, Burst, Call, Charge, CloudBroker, Limits,
    QueueState, StartPlan, StopStrategy,
};
