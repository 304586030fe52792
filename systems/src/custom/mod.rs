//! Custom systems: a database described by a TOML file (`faultline
//! validate-config`, `faultline test custom`).

pub mod config;
pub mod db;
pub mod http_client;
pub mod program_client;
mod suite;
mod system;

pub use config::{ConfigError, CustomConfig};
pub use suite::{Custom, CustomArgs};
pub use system::CustomSystem;
