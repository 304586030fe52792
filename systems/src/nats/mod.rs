//! NATS JetStream from Debian's packages: every node a `nats-server` with
//! JetStream on, all routed into one cluster, and one file-stored stream
//! replicated on as many nodes as there are (at most five, JetStream's
//! limit) or `--replicas`. A client on the `async-nats` crate talks to its
//! own node's server: a send publishes and waits for the stream's
//! acknowledgement (its sequence is the message's offset); a poll reads
//! the messages of its subject after where it last read, one
//! `STREAM.MSG.GET` each, answered by the stream's leader.

mod client;
mod db;
mod options;
mod suite;
mod system;

pub use client::NatsClient;
pub use db::{pid_file, NatsDb};
pub use options::NatsOptions;
pub use suite::Nats;
pub use system::NatsSystem;
