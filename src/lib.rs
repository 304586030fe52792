//! The `faultline` command's library: the local cluster, SSH control, the
//! runner and the run store, and the subcommands that wire the member crates
//! together. The binary (`src/main.rs`) only parses arguments and exits.
//!
//! ```
//! // The run store names each run by its UTC start time.
//! let stamp = faultline::store::utc_stamp(std::time::UNIX_EPOCH);
//! assert_eq!(stamp, "19700101T000000Z");
//! ```

pub mod analyze_command;
mod check_by_key;
pub mod check_command;
mod check_report;
pub mod cli_args;
pub mod cluster;
pub mod cluster_command;
pub mod control;
pub mod delayer;
pub mod disk_fs;
pub mod exit;
pub mod interrupt;
mod progress;
pub mod report_command;
pub mod run_check;
pub mod runner;
pub mod serve_command;
pub mod store;
mod system_args;
pub mod test_all_command;
pub mod test_command;
pub mod test_options;
pub mod warnings;
