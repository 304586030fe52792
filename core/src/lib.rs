//! faultline's shared vocabulary: every stage of the pipeline speaks it.
//!
//! A test produces a [`History`] of [`Op`] events (invoke, then ok / fail /
//! info), written to disk as JSON Lines by a [`HistoryWriter`] while it runs.
//! Histories from other tools are read through [`Format`] (Jepsen logs, EDN).
//! [`Pairing`] pairs invocations with completions, for
//! [`History::operations`] and for histories read as a stream, and is the one
//! place where `info` and pending operations become [`Outcome::Unknown`].
//! A [`Checker`] turns a history into a three-valued [`Validity`].
//!
//! ```
//! use faultline_core::{Format, Outcome};
//!
//! let log = "INFO  jepsen.util - 0\t:invoke\t:write\t3\n\
//!            INFO  jepsen.util - 0\t:ok\t:write\t3\n\
//!            INFO  jepsen.util - 1\t:invoke\t:read\tnil\n";
//! let parsed = Format::JepsenLog.parse(log).unwrap();
//! let ops = parsed.history.operations().unwrap();
//! assert_eq!(ops[0].outcome, Outcome::Ok);
//! assert_eq!(ops[1].outcome, Outcome::Unknown); // still pending at the end
//! ```

mod checker;
mod client;
mod db;
mod detect;
mod error;
pub mod fence;
mod format;
mod history;
pub mod import;
mod jsonl;
mod keyed_file;
pub mod memory;
mod node;
mod op;
pub mod packages;
mod pairing;
mod parsed;
mod recorder;
mod remote;
mod rng;
mod run_results;
pub mod shell;
mod system;
mod validity;

pub use checker::{Budget, CheckError, CheckResult, Checker};
pub use client::{Client, Completion};
pub use db::{Db, DbError, Kill, Pause};
pub use detect::DETECT_PREFIX_BYTES;
pub use error::{HistoryError, ParseError};
pub use format::Format;
pub use history::{History, Operation, Outcome};
pub use jsonl::{parse_jsonl, read_jsonl, HistoryWriter};
pub use keyed_file::KeyedFile;
pub use node::{Node, NodesFile, SshSettings};
pub use op::{Op, OpType, Process, Value};
pub use pairing::{Paired, Pairing};
pub use parsed::Parsed;
pub use recorder::{Problems, Recorder};
pub use remote::{on_every_node, CommandOutput, Remote, RemoteError, Remotes};
pub use rng::Rng;
pub use run_results::{OutcomeCounts, RunResults};
pub use system::{BoxFuture, DataDir, DynClient, MemberChange, Membership, Primaries, System};
pub use validity::Validity;
