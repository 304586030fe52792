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

/// Runs `attempt` through each member but `except` in turn until one
/// succeeds; every refusal, joined, when none does.
async fn through_others<T, F, Fut>(
    cluster: &[Node],
    except: usize,
    mut attempt: F,
) -> Result<T, String>
where
    F: FnMut(Node) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let mut refusals = Vec::new();
    for (i, via) in cluster.iter().enumerate() {
        if i == except {
            continue;
        }
        match attempt(via.clone()).await {
            Ok(done) => return Ok(done),
            Err(why) => refusals.push(why),
        }
    }
    Err(refusals.join("; "))
}

/// Removes `cluster[leaving]` through the first other member that takes
/// the request, then stops and wipes it.
pub async fn leave(
    db: &EtcdDb,
    cluster: &[Node],
    remotes: &[Arc<dyn Remote>],
    leaving: usize,
) -> Result<MemberChange, String> {
    let http = &client()?;
    let node = &cluster[leaving];
    let url = &peer_url(node);
    let removed = through_others(cluster, leaving, |via| async move {
        let listed = members_of(&call(http, &via, "/v3/cluster/member/list", json!({})).await?);
        let Some(member) = listed.iter().find(|m| m.peer_urls.contains(url)) else {
            return Ok(format!("{} was not a member", node.name));
        };
        call(
            http,
            &via,
            "/v3/cluster/member/remove",
            json!({ "ID": member.id }),
        )
        .await?;
        Ok(format!(
            "removed member {} ({}) through {}",
            member.id, node.name, via.name
        ))
    })
    .await;
    let done = match removed {
        Ok(done) => done,
        Err(refusals) => return Ok(MemberChange::Refused(refusals)),
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
    let http = &client()?;
    let node = &cluster[joining];
    let url = &peer_url(node);
    let added = through_others(cluster, joining, |via| async move {
        let listed = members_of(&call(http, &via, "/v3/cluster/member/list", json!({})).await?);
        if listed.iter().any(|m| m.peer_urls.contains(url)) {
            // Added by an earlier attempt whose start did not follow.
            return Ok((listed, format!("{} already added; started", node.name)));
        }
        let reply = call(
            http,
            &via,
            "/v3/cluster/member/add",
            json!({ "peerURLs": [url] }),
        )
        .await?;
        let id = reply["member"]["ID"].as_str().unwrap_or("?").to_owned();
        Ok((
            members_of(&reply),
            format!("added {} as member {id} through {}", node.name, via.name),
        ))
    })
    .await;
    let (members, done) = match added {
        Ok(added) => added,
        Err(refusals) => return Ok(MemberChange::Refused(refusals)),
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
