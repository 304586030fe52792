//! Nemeses: faults injected while a test runs (partitions as grudges,
//! process kill and pause, clock skew, packet loss and delay), each one an
//! operation in the history so that reports can shade its window.
//!
//! This crate is the place for them in the pipeline; it has no code yet.
