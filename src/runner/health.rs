//! Waiting until every node serves as a member of this run, as the system
//! under test judges it ([`System::serves`]).

use super::Remotes;
use faultline_core::shell::ShellQuoted;
use faultline_core::{Node, Remote, System};
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
                    "{} did not serve within {} s ({why}); the end of its log:\n{}",
                    node.name,
                    within.as_secs(),
                    log_tail(remote.as_ref(), system, node)
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

/// The last lines of the node's first log, indented (a CI log then says
/// why without the run directory), or why they could not be read.
fn log_tail(remote: &dyn Remote, system: &dyn System, node: &Node) -> String {
    let Some(log) = system.db().log_files(node).into_iter().next() else {
        return "  (the system keeps no log)".to_owned();
    };
    let command = format!("tail -n 8 {}", log.quoted());
    match remote.run(&command, Duration::from_secs(10)) {
        Ok(text) => text.lines().map(|l| format!("  {l}\n")).collect(),
        Err(e) => format!("  (could not read {}: {e})", log.display()),
    }
}
