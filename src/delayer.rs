//! `faultline delayer`'s options; the delayer itself is
//! [`faultline_nemeses::delayer`].

use clap::Args;
use std::time::Duration;

/// Options of `faultline delayer`.
#[derive(Args)]
pub struct DelayerArgs {
    /// The NFQUEUE number to read.
    #[arg(long, default_value_t = faultline_nemeses::packet::DELAY_QUEUE)]
    queue: u16,
    /// How long to hold every packet.
    #[arg(long)]
    delay_ms: u64,
}

/// Runs until killed.
pub fn run(args: &DelayerArgs) -> anyhow::Result<i32> {
    faultline_nemeses::delayer::run(args.queue, Duration::from_millis(args.delay_ms))?;
    Ok(0)
}
