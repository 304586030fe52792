//! The IDs an etcd cluster bootstrapped by faultline must report, computed
//! as etcd computes them (`server/etcdserver/api/membership/member.go`,
//! `computeMemberId`; `cluster.go`, `genID`): a member's ID is the first 8
//! bytes (big-endian) of the SHA-1 of its sorted peer URLs joined, then the
//! cluster token; the cluster's ID the same of its sorted member IDs, each
//! as 8 big-endian bytes. With a token unique to the run, a member that
//! reports this cluster ID was started by this run: an etcd left by an
//! earlier run (another token) reports another.

use faultline_core::Node;

fn first_8_bytes_of_sha1(bytes: &[u8]) -> u64 {
    let digest = sha1_smol::Sha1::from(bytes).digest().bytes();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// A member's ID, from its peer URLs and the cluster token.
pub fn member_id(peer_urls: &[String], token: &str) -> u64 {
    let mut urls = peer_urls.to_vec();
    urls.sort();
    first_8_bytes_of_sha1(format!("{}{token}", urls.concat()).as_bytes())
}

/// The cluster's ID, from its members' IDs.
pub fn cluster_id(member_ids: &[u64]) -> u64 {
    let mut ids = member_ids.to_vec();
    ids.sort_unstable();
    let bytes: Vec<u8> = ids.iter().flat_map(|id| id.to_be_bytes()).collect();
    first_8_bytes_of_sha1(&bytes)
}

/// The cluster ID of `nodes` bootstrapped with `token`.
pub fn expected_cluster_id(nodes: &[Node], token: &str) -> u64 {
    let ids: Vec<u64> = nodes
        .iter()
        .map(|n| member_id(&[super::peer_url(n)], token))
        .collect();
    cluster_id(&ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Figures read off a real etcd 3.4.23 (Debian's etcd-server): three
    /// members on 127.0.0.1 with peer ports 12380, 22380 and 32380 and
    /// `--initial-cluster-token tok-xyz`, as `/v3/cluster/member/list`
    /// and `/v3/maintenance/status` reported them.
    #[test]
    fn ids_match_what_a_real_etcd_reports() {
        let url = |port: u16| vec![format!("http://127.0.0.1:{port}")];
        assert_eq!(member_id(&url(12380), "tok-xyz"), 10037583207814232751);
        assert_eq!(member_id(&url(22380), "tok-xyz"), 9058449525328576102);
        assert_eq!(member_id(&url(32380), "tok-xyz"), 15471834120473384554);
        let ids = [
            15471834120473384554,
            10037583207814232751,
            9058449525328576102,
        ];
        assert_eq!(cluster_id(&ids), 2501698982677619780);
        assert_ne!(member_id(&url(12380), "another-run"), 10037583207814232751);
    }
}
