//! Reports: what a person reads after a run (the HTML report with plots,
//! the timeline of operations and each anomaly explained; the store index).
//!
//! This crate is the place for them at the end of the pipeline; it has no
//! code yet.
