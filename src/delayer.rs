//! `faultline delayer`: the user-space half of packet delay on kernels
//! without netem. An iptables NFQUEUE rule hands every packet to this
//! process, which accepts each one `--delay-ms` after it arrived, in
//! arrival order. Started and stopped (by pidfile) by the packet nemesis on
//! the node; `--queue-bypass` on the rule lets traffic through if it dies.

use anyhow::Context;
use clap::Args;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

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

/// Packets held at most; beyond this the kernel queue fills and, with
/// fail-open, packets pass undelayed rather than being lost.
const MAX_HELD: u32 = 65_536;

/// Runs until killed.
pub fn run(args: &DelayerArgs) -> anyhow::Result<i32> {
    let delay = Duration::from_millis(args.delay_ms);
    let mut queue =
        nfq::Queue::open().context("cannot open a netfilter queue socket (root needed)")?;
    queue
        .bind(args.queue)
        .with_context(|| format!("cannot bind NFQUEUE {}", args.queue))?;
    // Only the metadata: the verdict does not need the payload.
    queue.set_copy_range(args.queue, 0)?;
    queue.set_queue_max_len(args.queue, MAX_HELD)?;
    queue.set_fail_open(args.queue, true)?;
    queue.set_nonblocking(true);
    eprintln!(
        "faultline delayer: queue {}, delay {} ms",
        args.queue, args.delay_ms
    );
    let mut held: VecDeque<(Instant, nfq::Message)> = VecDeque::new();
    loop {
        let now = Instant::now();
        while held.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, mut message)) = held.pop_front() {
                message.set_verdict(nfq::Verdict::Accept);
                queue.verdict(message)?;
            }
        }
        match queue.recv() {
            Ok(message) => held.push_back((Instant::now() + delay, message)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let next = held.front().map_or(Duration::from_millis(1), |(due, _)| {
                    due.saturating_duration_since(Instant::now())
                });
                std::thread::sleep(next.min(Duration::from_millis(1)));
            }
            Err(e) => return Err(e).context("reading the netfilter queue"),
        }
    }
}
