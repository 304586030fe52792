//! The user-space half of packet delay on kernels without netem
//! (`faultline delayer`, run on the node). An iptables NFQUEUE rule hands
//! every packet to this process, which accepts each one a fixed delay
//! after it arrived, in arrival order. Started and stopped (by pidfile) by
//! the packet nemesis; `--queue-bypass` on the rule lets traffic through
//! if it dies.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Packets held at most; beyond this the kernel queue fills and, with
/// fail-open, packets pass undelayed rather than being lost.
const MAX_HELD: u32 = 65_536;

/// Why the delayer stopped.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
pub struct DelayerError {
    doing: String,
    source: std::io::Error,
}

fn doing(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> DelayerError {
    let doing = what.into();
    move |source| DelayerError { doing, source }
}

/// Holds every packet of NFQUEUE `queue` for `delay`; runs until killed.
pub fn run(queue_number: u16, delay: Duration) -> Result<(), DelayerError> {
    let mut queue =
        nfq::Queue::open().map_err(doing("cannot open a netfilter queue socket (root needed)"))?;
    queue
        .bind(queue_number)
        .map_err(doing(format!("cannot bind NFQUEUE {queue_number}")))?;
    let setting = doing(format!("cannot configure NFQUEUE {queue_number}"));
    // Only the metadata: the verdict does not need the payload.
    queue
        .set_copy_range(queue_number, 0)
        .and_then(|_| queue.set_queue_max_len(queue_number, MAX_HELD))
        .and_then(|_| queue.set_fail_open(queue_number, true))
        .map_err(setting)?;
    queue.set_nonblocking(true);
    eprintln!(
        "faultline delayer: queue {queue_number}, delay {} ms",
        delay.as_millis()
    );
    let mut held: VecDeque<(Instant, nfq::Message)> = VecDeque::new();
    loop {
        let now = Instant::now();
        while held.front().is_some_and(|(due, _)| *due <= now) {
            if let Some((_, mut message)) = held.pop_front() {
                message.set_verdict(nfq::Verdict::Accept);
                queue
                    .verdict(message)
                    .map_err(doing("giving a packet its verdict"))?;
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
            Err(e) => return Err(doing("reading the netfilter queue")(e)),
        }
    }
}
