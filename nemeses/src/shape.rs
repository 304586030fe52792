//! Partition shapes, Jepsen's: each turns the node list (and the current
//! primaries, when known) into a [`Grudge`].

use crate::grudge::{complete_grudge, Grudge};
use faultline_core::Rng;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// A way to cut the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// A random minority against the majority (random halves).
    Majority,
    /// One random node cut off from all the others.
    One,
    /// Every node sees a majority, and no two see the same one.
    Ring,
    /// Two halves that cannot see each other, and one node that sees both.
    Bridge,
    /// The current primaries (etcd's leader) cut off from the rest.
    Primaries,
}

impl Shape {
    /// Every shape, in the order `all` lists them.
    pub const ALL: [Shape; 5] = [
        Shape::Majority,
        Shape::One,
        Shape::Ring,
        Shape::Bridge,
        Shape::Primaries,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Majority => "majority",
            Shape::One => "one",
            Shape::Ring => "ring",
            Shape::Bridge => "bridge",
            Shape::Primaries => "primaries",
        }
    }

    /// The grudge of this shape over `nodes`. `primaries` is only read by
    /// [`Shape::Primaries`]; when it names no node, one random node is cut
    /// off instead (an election is under way: any node may be about to lead).
    pub fn grudge(self, nodes: &[String], primaries: &[String], rng: &mut Rng) -> Grudge {
        let mut shuffled = nodes.to_vec();
        rng.shuffle(&mut shuffled);
        match self {
            Shape::Majority => {
                let (minority, majority) = shuffled.split_at(nodes.len() / 2);
                complete_grudge(&[minority, majority])
            }
            Shape::One => isolate(&shuffled[..1.min(shuffled.len())], &shuffled),
            Shape::Ring => majorities_ring(&shuffled),
            Shape::Bridge => bridge(&shuffled),
            Shape::Primaries => {
                let leaders: Vec<String> = primaries
                    .iter()
                    .filter(|p| nodes.contains(p))
                    .cloned()
                    .collect();
                if leaders.is_empty() {
                    isolate(&shuffled[..1.min(shuffled.len())], &shuffled)
                } else {
                    isolate(&leaders, nodes)
                }
            }
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shape {
    type Err = String;

    fn from_str(text: &str) -> Result<Shape, String> {
        Shape::ALL
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| {
                format!("unknown partition shape `{text}`; choose from majority, one, ring, bridge, primaries, all")
            })
    }
}

/// Reads a comma-separated list of shapes (or `all`).
pub fn parse_shapes(text: &str) -> Result<Vec<Shape>, String> {
    let mut shapes = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        if word == "all" {
            shapes.extend(Shape::ALL);
        } else {
            shapes.push(word.parse()?);
        }
    }
    shapes.sort();
    shapes.dedup();
    if shapes.is_empty() {
        return Err(
            "no partition shape given; choose from majority, one, ring, bridge, primaries, all"
                .into(),
        );
    }
    Ok(shapes)
}

/// Cuts `nodes` into two halves (the first `nodes.len() / 2` in a random
/// order against the rest), each dropping the other: the `majority` shape.
pub fn random_halves(nodes: &[String], rng: &mut Rng) -> Grudge {
    Shape::Majority.grudge(nodes, &[], rng)
}

/// `isolated` against everyone else in `nodes`.
fn isolate(isolated: &[String], nodes: &[String]) -> Grudge {
    let rest: Vec<String> = nodes
        .iter()
        .filter(|n| !isolated.contains(n))
        .cloned()
        .collect();
    complete_grudge(&[isolated, &rest])
}

/// Nodes in (shuffled) ring order; each keeps the nearest nodes that make
/// it a majority with itself, alternating right and left, and drops the
/// rest. With an even number of nearest nodes the grudge is symmetric; with
/// an odd number (e.g. 3 nodes) it is not, as in Jepsen.
fn majorities_ring(ring: &[String]) -> Grudge {
    let n = ring.len();
    if n < 3 {
        return isolate(&ring[..1.min(n)], ring);
    }
    let keep = n / 2; // others seen: with itself, a majority
    let mut grudge = Grudge::new();
    for (i, node) in ring.iter().enumerate() {
        let mut seen = BTreeSet::new();
        for step in 0..keep {
            let distance = step / 2 + 1;
            let j = if step % 2 == 0 {
                (i + distance) % n
            } else {
                (i + n - distance) % n
            };
            seen.insert(j);
        }
        let dropped = (0..n)
            .filter(|j| *j != i && !seen.contains(j))
            .map(|j| ring[j].clone())
            .collect();
        grudge.insert(node.clone(), dropped);
    }
    grudge
}

/// The first half and the last half drop each other; the middle node
/// (shuffled order) drops nobody.
fn bridge(nodes: &[String]) -> Grudge {
    let n = nodes.len();
    if n < 3 {
        return isolate(&nodes[..1.min(n)], nodes);
    }
    let (left, rest) = nodes.split_at(n / 2);
    let (middle, right) = rest.split_at(1);
    let mut grudge = complete_grudge(&[left, right]);
    grudge.insert(middle[0].clone(), BTreeSet::new());
    grudge
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_halves_cut_every_node_off_from_the_other_half() {
        let nodes = names(5);
        let grudge = random_halves(&nodes, &mut Rng::new(3));
        assert_eq!(grudge.len(), 5);
        let minority: Vec<_> = grudge
            .iter()
            .filter(|(_, d)| d.len() == 3)
            .map(|(n, _)| n.clone())
            .collect();
        assert_eq!(minority.len(), 2);
        for (node, dropped) in &grudge {
            assert!(!dropped.contains(node));
            for other in dropped {
                assert!(grudge[other].contains(node), "grudges are symmetric");
            }
        }
        let text = crate::describe(&grudge);
        assert!(text.starts_with('[') && text.contains(" | "), "{text}");
    }

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("n{i}")).collect()
    }

    /// The nodes `node` still hears from.
    fn seen<'a>(grudge: &'a Grudge, nodes: &'a [String], node: &str) -> Vec<&'a String> {
        nodes
            .iter()
            .filter(|n| n.as_str() != node && !grudge[node].contains(*n))
            .collect()
    }

    #[test]
    fn majority_cuts_a_minority_off_symmetrically() {
        let nodes = names(5);
        for seed in 0..20 {
            let grudge = Shape::Majority.grudge(&nodes, &[], &mut Rng::new(seed));
            let cut_off = nodes.iter().filter(|n| grudge[*n].len() == 3).count();
            assert_eq!(cut_off, 2, "seed {seed}");
            for (node, dropped) in &grudge {
                for other in dropped {
                    assert!(grudge[other].contains(node), "seed {seed}: symmetric");
                }
            }
        }
    }

    #[test]
    fn one_isolates_exactly_one_node() {
        let nodes = names(5);
        let grudge = Shape::One.grudge(&nodes, &[], &mut Rng::new(4));
        let isolated: Vec<_> = nodes.iter().filter(|n| grudge[*n].len() == 4).collect();
        assert_eq!(isolated.len(), 1);
        for node in &nodes {
            if node != isolated[0] {
                assert_eq!(grudge[node].iter().collect::<Vec<_>>(), isolated);
            }
        }
    }

    #[test]
    fn in_a_ring_every_node_sees_a_distinct_majority() {
        for n in [3, 4, 5, 7] {
            let nodes = names(n);
            let grudge = Shape::Ring.grudge(&nodes, &[], &mut Rng::new(n as u64));
            let mut views = BTreeSet::new();
            for node in &nodes {
                let mut view: Vec<&String> = seen(&grudge, &nodes, node);
                assert!(view.len() + 1 > n / 2, "{n} nodes: {node} sees a majority");
                assert!(view.len() + 1 < n, "{n} nodes: {node} is partitioned");
                view.push(node);
                view.sort();
                views.insert(view);
            }
            assert_eq!(views.len(), n, "{n} nodes: the majorities differ");
        }
    }

    #[test]
    fn a_bridge_node_sees_both_halves_which_do_not_see_each_other() {
        let nodes = names(5);
        let grudge = Shape::Bridge.grudge(&nodes, &[], &mut Rng::new(9));
        let bridges: Vec<_> = nodes.iter().filter(|n| grudge[*n].is_empty()).collect();
        assert_eq!(bridges.len(), 1);
        for node in nodes.iter().filter(|n| *n != bridges[0]) {
            assert_eq!(grudge[node].len(), 2, "{node} drops the other half");
            assert!(!grudge[node].contains(bridges[0]));
        }
    }

    #[test]
    fn primaries_are_cut_off_and_an_unknown_leader_falls_back_to_one_node() {
        let nodes = names(5);
        let grudge = Shape::Primaries.grudge(&nodes, &["n3".into()], &mut Rng::new(1));
        assert_eq!(grudge["n3"].len(), 4);
        assert_eq!(grudge["n1"].iter().collect::<Vec<_>>(), ["n3"]);
        let grudge = Shape::Primaries.grudge(&nodes, &[], &mut Rng::new(1));
        assert_eq!(nodes.iter().filter(|n| grudge[*n].len() == 4).count(), 1);
    }

    #[test]
    fn shapes_parse_by_name_and_typos_are_named() {
        assert_eq!(parse_shapes("all").unwrap(), Shape::ALL);
        assert_eq!(
            parse_shapes("ring, one").unwrap(),
            [Shape::One, Shape::Ring]
        );
        let err = parse_shapes("majority,brige").unwrap_err();
        assert!(err.contains("unknown partition shape `brige`"), "{err}");
    }
}
