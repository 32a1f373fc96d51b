//! Workloads: VM demand patterns, arrival processes, lifetimes and PlanetLab traces.
