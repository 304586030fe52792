//! Waiting until every node serves as a member of this run, as the system
//! under test judges it ([`System::serves`]).

use super::Remotes;
use faultline_core::{Node, System};
use std::time::{Duration, Instant};

/// Waits (bounded by `within`) until every node serves; the first node
/// that does not names why.
pub async fn wait_healthy(
    nodes: &[Node],
    remotes: &Remotes,
    system: &dyn System,
    within: Duration,
) -> anyhow::Result<()> {
    let start = Instant::now();
    for (node, remote) in nodes.iter().zip(remotes.iter()) {
        loop {
            let why = match system.serves(remote.clone(), node).await {
                Ok(()) => break,
                Err(why) => why,
            };
            if start.elapsed() > within {
                anyhow::bail!(
                    "{} did not serve within {} s ({why}); see its log in the run directory",
                    node.name,
                    within.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    eprintln!(
        "every node serves after {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
