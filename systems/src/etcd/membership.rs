//! etcd members leaving and joining, through the v3 JSON gateway's cluster
//! API (`/v3/cluster/member/{list,remove,add}`, etcd's
//! `api/etcdserverpb/rpc.proto`), as `etcdctl member remove` and
//! `member add` do: a member is removed through one that stays, then
//! stopped and wiped; it comes back as a new member, added first, then
//! started on an empty data directory with `--initial-cluster-state
//! existing` and the members the add returned.

use super::{client_url, peer_url, EtcdDb};
use faultline_core::{MemberChange, Node, Remote};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const HTTP_TIMEOUT: Duration = Duration::from_secs(5);

/// A member as the cluster API lists it.
#[derive(Clone, Debug, PartialEq)]
struct Member {
    id: String,
    name: String,
    peer_urls: Vec<String>,
}

fn members_of(reply: &Value) -> Vec<Member> {
    reply["members"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| Member {
            // uint64 fields come as strings from the gateway.
            id: match &m["ID"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            },
            name: m["name"].as_str().unwrap_or_default().to_owned(),
            peer_urls: m["peerURLs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        })
        .collect()
}

/// `--initial-cluster` for a member joining `members` (the joining one
/// has no name yet: it gets `name`).
fn initial_cluster(members: &[Member], joining: &Node) -> String {
    let joining_url = peer_url(joining);
    members
        .iter()
        .filter_map(|m| {
            let url = m.peer_urls.first()?;
            let name = if *url == joining_url {
                joining.name.as_str()
            } else {
                m.name.as_str()
            };
            (!name.is_empty()).then(|| format!("{name}={url}"))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Why a call was refused or failed: the gateway's message or the
/// transport's.
async fn call(
    http: &reqwest::Client,
    via: &Node,
    path: &str,
    body: Value,
) -> Result<Value, String> {
    let url = format!("{}{path}", client_url(via));
    let response = http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("{}: {e}", via.name))?;
    let status = response.status();
    let reply: Value = response
        .json()
        .await
        .map_err(|e| format!("{}: unreadable reply: {e}", via.name))?;
    if status.is_success() {
        Ok(reply)
    } else {
        let message = reply["error"]
            .as_str()
            .or(reply["message"].as_str())
            .unwrap_or("refused");
        Err(format!("{}: {message}", via.name))
    }
}

/// Runs blocking remote work off the async workers.
async fn on_node<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| e.to_string())?
}

fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())
}

/// Removes `cluster[leaving]` through the first other member that takes
/// the request, then stops and wipes it.
pub async fn leave(
    db: &EtcdDb,
    cluster: &[Node],
    remotes: &[Arc<dyn Remote>],
    leaving: usize,
) -> Result<MemberChange, String> {
    let http = client()?;
    let node = &cluster[leaving];
    let url = peer_url(node);
    let mut refusals = Vec::new();
    let mut removed = None;
    for (i, via) in cluster.iter().enumerate() {
        if i == leaving {
            continue;
        }
        let listed = match call(&http, via, "/v3/cluster/member/list", json!({})).await {
            Ok(reply) => members_of(&reply),
            Err(why) => {
                refusals.push(why);
                continue;
            }
        };
        let Some(member) = listed.iter().find(|m| m.peer_urls.contains(&url)) else {
            removed = Some(format!("{} was not a member", node.name));
            break;
        };
        match call(
            &http,
            via,
            "/v3/cluster/member/remove",
            json!({ "ID": member.id }),
        )
        .await
        {
            Ok(_) => {
                removed = Some(format!(
                    "removed member {} ({}) through {}",
                    member.id, node.name, via.name
                ));
                break;
            }
            Err(why) => refusals.push(why),
        }
    }
    let Some(done) = removed else {
        return Ok(MemberChange::Refused(refusals.join("; ")));
    };
    let (db, remote, node) = (db.clone(), remotes[leaving].clone(), node.clone());
    on_node(move || {
        db.stop_and_wipe(remote.as_ref(), &node)
            .map_err(|e| e.to_string())
    })
    .await?;
    Ok(MemberChange::Done(format!("{done}; stopped and wiped")))
}

/// Adds `cluster[joining]` through the first other member that takes the
/// request (unless an earlier attempt already did), then starts it.
pub async fn join(
    db: &EtcdDb,
    cluster: &[Node],
    remotes: &[Arc<dyn Remote>],
    joining: usize,
) -> Result<MemberChange, String> {
    let http = client()?;
    let node = &cluster[joining];
    let url = peer_url(node);
    let mut refusals = Vec::new();
    let mut added = None;
    for (i, via) in cluster.iter().enumerate() {
        if i == joining {
            continue;
        }
        let listed = match call(&http, via, "/v3/cluster/member/list", json!({})).await {
            Ok(reply) => members_of(&reply),
            Err(why) => {
                refusals.push(why);
                continue;
            }
        };
        if listed.iter().any(|m| m.peer_urls.contains(&url)) {
            // Added by an earlier attempt whose start did not follow.
            added = Some((listed, format!("{} already added; started", node.name)));
            break;
        }
        match call(
            &http,
            via,
            "/v3/cluster/member/add",
            json!({ "peerURLs": [url] }),
        )
        .await
        {
            Ok(reply) => {
                let id = reply["member"]["ID"].as_str().unwrap_or("?").to_owned();
                added = Some((
                    members_of(&reply),
                    format!("added {} as member {id} through {}", node.name, via.name),
                ));
                break;
            }
            Err(why) => refusals.push(why),
        }
    }
    let Some((members, done)) = added else {
        return Ok(MemberChange::Refused(refusals.join("; ")));
    };
    let initial = initial_cluster(&members, node);
    let (db, remote, node) = (db.clone(), remotes[joining].clone(), node.clone());
    on_node(move || {
        // A failed earlier start may have left a data directory behind.
        db.stop_and_wipe(remote.as_ref(), &node)
            .and_then(|_| db.start_joining(remote.as_ref(), &node, &initial))
            .map_err(|e| e.to_string())
    })
    .await?;
    Ok(MemberChange::Done(done))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn node(name: &str, host: &str) -> Node {
        Node {
            name: name.into(),
            host: host.into(),
            dir: PathBuf::from("/tmp"),
        }
    }

    #[test]
    fn reads_the_gateways_member_lists_and_builds_the_initial_cluster() {
        // The shape etcd 3.4's gateway answers `member add` with.
        let reply = json!({
            "header": {"cluster_id": "1", "member_id": "2"},
            "member": {"ID": "9", "peerURLs": ["http://10.0.0.2:2380"]},
            "members": [
                {"ID": "7", "name": "n1", "peerURLs": ["http://10.0.0.1:2380"], "clientURLs": ["http://10.0.0.1:2379"]},
                {"ID": "9", "peerURLs": ["http://10.0.0.2:2380"]},
                {"ID": "8", "name": "n3", "peerURLs": ["http://10.0.0.3:2380"]}
            ]
        });
        let members = members_of(&reply);
        assert_eq!(members.len(), 3);
        assert_eq!(members[1].id, "9");
        assert_eq!(members[1].name, "");
        assert_eq!(
            initial_cluster(&members, &node("n2", "10.0.0.2")),
            "n1=http://10.0.0.1:2380,n2=http://10.0.0.2:2380,n3=http://10.0.0.3:2380"
        );
    }
}
