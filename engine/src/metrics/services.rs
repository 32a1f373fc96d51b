//! Per-interval records of services: `services.csv` (one row per service and monitoring
//! measurement) and `roles.csv` (one row per role and measurement).

use serde::Serialize;

use crate::model::ServiceId;

crate::table! {
    /// One row of `services.csv`: a service over one measurement interval.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct ServiceRow in "services" {
        /// End of the interval, s.
        pub time_s: f64 = "s",
        /// Service id.
        pub service: ServiceId = "service id",
        /// Service name.
        pub name: String = "",
        /// Lifecycle state at the end of the interval.
        pub state: &'static str = "",
        /// VMs of the service running at the end of the interval.
        pub vms_running: u64 = "VMs",
        /// Requests that arrived in the interval.
        pub arrivals: u64 = "requests",
        /// Requests served per second.
        pub throughput_per_s: f64 = "requests/s",
        /// Requests dropped in the interval (backlog full, saturated or missing tier).
        pub dropped: f64 = "requests",
        /// Mean end-to-end response time of served requests, s (empty when none were served).
        pub mean_response_s: Option<f64> = "s",
        /// 95th percentile of the end-to-end response time, s.
        pub p95_response_s: Option<f64> = "s",
        /// What the service's VMs were billed for billing periods started in the interval.
        pub cost: f64 = "price units",
    }
}

crate::table! {
    /// One row of `roles.csv`: a role over one measurement interval.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    pub struct RoleRow in "roles" {
        /// End of the interval, s.
        pub time_s: f64 = "s",
        /// Service id.
        pub service: ServiceId = "service id",
        /// Role name.
        pub role: String = "",
        /// The role's phase at the end of the interval.
        pub phase: &'static str = "",
        /// The cardinality it should run.
        pub cardinality: u32 = "VMs",
        /// Its VMs running.
        pub vms_running: u64 = "VMs",
        /// Requests per second reaching it.
        pub arrival_rate_per_s: f64 = "requests/s",
        /// Mean CPU utilisation of its running VMs (0–1).
        pub cpu_utilisation: f64 = "fraction",
        /// Mean response time in the role, s (empty without served requests).
        pub mean_response_s: Option<f64> = "s",
        /// Fraction of the requests reaching it that it dropped.
        pub drop_fraction: f64 = "fraction",
    }
}
