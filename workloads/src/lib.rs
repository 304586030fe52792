//! Workloads: for each system under test, the operations its clients
//! perform, the generator that schedules them and the checker that judges
//! them (the etcd register workload comes with the end-to-end etcd issue).
//!
//! This crate is the place for them in the pipeline
//! generator → client → history → checker → report; it has no code yet.
