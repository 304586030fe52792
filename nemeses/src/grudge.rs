//! Partitions as plain data: a grudge maps each node to the nodes whose
//! traffic it drops.

use faultline_core::Rng;
use std::collections::{BTreeMap, BTreeSet};

/// node → the nodes it drops traffic from.
pub type Grudge = BTreeMap<String, BTreeSet<String>>;

/// Cuts `nodes` into two halves (the first `nodes.len() / 2` in a random
/// order against the rest), each dropping the other: the `majority` shape.
pub fn random_halves(nodes: &[String], rng: &mut Rng) -> Grudge {
    crate::Shape::Majority.grudge(nodes, &[], rng)
}

/// Every node drops every node outside its own component.
pub fn complete_grudge(components: &[&[String]]) -> Grudge {
    let mut grudge = Grudge::new();
    for (i, component) in components.iter().enumerate() {
        let others: BTreeSet<String> = components
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i)
            .flat_map(|(_, c)| c.iter().cloned())
            .collect();
        for node in component.iter() {
            grudge.insert(node.clone(), others.clone());
        }
    }
    grudge
}

/// The components a grudge cuts the nodes into, smallest first (for
/// describing it: `[n2 n4] | [n1 n3 n5]`).
pub fn describe(grudge: &Grudge) -> String {
    let mut components: Vec<Vec<&String>> = Vec::new();
    for node in grudge.keys() {
        if components.iter().any(|c| c.contains(&node)) {
            continue;
        }
        let dropped = &grudge[node];
        let mut component: Vec<&String> = grudge.keys().filter(|n| !dropped.contains(*n)).collect();
        component.sort();
        components.push(component);
    }
    components.sort_by_key(Vec::len);
    let parts: Vec<String> = components
        .iter()
        .map(|c| {
            format!(
                "[{}]",
                c.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(" ")
            )
        })
        .collect();
    parts.join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("n{i}")).collect()
    }

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
        let text = describe(&grudge);
        assert!(text.starts_with('[') && text.contains(" | "), "{text}");
    }
}
