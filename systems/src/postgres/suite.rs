//! PostgreSQL in the registry: `faultline test postgres`.

use super::{PostgresOptions, PostgresSystem};
use crate::descriptor::{Prepared, Promise, Suite};
use crate::RunContext;
use faultline_core::{Node, Remote, System};
use faultline_workloads::WorkloadKind;
use std::sync::Arc;

/// PostgreSQL, as the registry lists it.
pub struct Postgres;

impl Suite for Postgres {
    type Args = PostgresOptions;
    type Options = PostgresOptions;
    const NAME: &'static str = "postgres";
    const TITLE: &'static str = "PostgreSQL";
    const ABOUT: &'static str = "Test PostgreSQL from the nodes' packages: the first node the primary, every other a streaming hot standby (workloads append, wr, register, set, counter, lock, unique-ids, bank)";
    const WORKLOADS: &'static [WorkloadKind] = &[
        WorkloadKind::Append,
        WorkloadKind::Wr,
        WorkloadKind::Register,
        WorkloadKind::Set,
        WorkloadKind::Counter,
        WorkloadKind::Lock,
        WorkloadKind::UniqueIds,
        WorkloadKind::Bank,
    ];

    fn prepare(args: PostgresOptions) -> Result<Prepared<PostgresOptions>, String> {
        Ok(Prepared::options(args))
    }

    fn open(options: PostgresOptions, run: RunContext) -> Arc<dyn System> {
        Arc::new(PostgresSystem::new(options, run))
    }

    fn promise(options: &PostgresOptions) -> Promise {
        Promise {
            consistency_model: options.consistency_model(),
            reads_are_current: options.reads_are_current(),
        }
    }

    /// The backends are paused with their server, as a group.
    fn resume(remote: &dyn Remote, node: &Node) {
        let _ = super::resume(remote, node);
    }
}
