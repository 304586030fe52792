//! Finding etcd's leader: the member whose status names itself as leader.

use super::client_url;
use faultline_core::Node;
use serde_json::Value;
use std::time::Duration;

/// The name of the member that says it leads, asking each in turn;
/// `None` when no member answers as leader (an election, a partition).
pub async fn find_leader(nodes: &[Node], timeout: Duration) -> Option<String> {
    let http = reqwest::Client::builder().timeout(timeout).build().ok()?;
    for node in nodes {
        let url = format!("{}/v3/maintenance/status", client_url(node));
        let Ok(response) = http.post(url).body("{}").send().await else {
            continue;
        };
        let Ok(status) = response.json::<Value>().await else {
            continue;
        };
        let leads =
            status["leader"].is_string() && status["leader"] == status["header"]["member_id"];
        if leads {
            return Some(node.name.clone());
        }
    }
    None
}
