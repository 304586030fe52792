//! Redis in the registry: `faultline test redis`.

use super::{pid_file, RedisOptions, RedisReads, RedisSystem};
use crate::descriptor::{Prepared, Promise, Suite};
use crate::RunContext;
use faultline_core::{Node, Remote, System};
use faultline_workloads::WorkloadKind;
use std::sync::Arc;

/// Redis, as the registry lists it.
pub struct Redis;

impl Suite for Redis {
    type Args = RedisOptions;
    type Options = RedisOptions;
    const NAME: &'static str = "redis";
    const TITLE: &'static str = "Redis";
    const ABOUT: &'static str = "Test Redis from the nodes' packages: the first node the primary, every other its replica (workloads register, set, counter, lock, unique-ids, bank, and the transactions append and wr in MULTI / EXEC)";
    const WORKLOADS: &'static [WorkloadKind] = &[
        WorkloadKind::Register,
        WorkloadKind::Set,
        WorkloadKind::Counter,
        WorkloadKind::Lock,
        WorkloadKind::UniqueIds,
        WorkloadKind::Bank,
        WorkloadKind::Append,
        WorkloadKind::Wr,
        WorkloadKind::Stream,
    ];

    fn prepare(args: RedisOptions) -> Result<Prepared<RedisOptions>, String> {
        Ok(Prepared::options(args))
    }

    fn open(options: RedisOptions, run: RunContext) -> Arc<dyn System> {
        Arc::new(RedisSystem::new(options, run))
    }

    /// Replicas lag behind the primary: reads from them may be stale.
    fn promise(options: &RedisOptions) -> Promise {
        Promise {
            consistency_model: options.consistency_model(),
            reads_are_current: options.reads == RedisReads::Primary,
        }
    }

    fn resume(remote: &dyn Remote, node: &Node) {
        for pidfile in [pid_file(node), super::sentinel::pid_file(node)] {
            let _ = crate::pidfile::signal(remote, &pidfile, "CONT");
        }
    }
}
