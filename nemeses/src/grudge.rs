//! Partitions as plain data: a grudge maps each node to the nodes whose
//! traffic it drops.

use std::collections::{BTreeMap, BTreeSet};

/// node → the nodes it drops traffic from.
pub type Grudge = BTreeMap<String, BTreeSet<String>>;

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

    #[test]
    fn components_drop_each_other_and_read_as_components() {
        let (a, b) = (["n1".to_owned()], ["n2".to_owned(), "n3".to_owned()]);
        let grudge = complete_grudge(&[&a, &b]);
        assert_eq!(grudge["n1"], BTreeSet::from(b.clone()));
        assert_eq!(grudge["n3"], BTreeSet::from(a.clone()));
        assert_eq!(describe(&grudge), "[n1] | [n2 n3]");
    }
}
