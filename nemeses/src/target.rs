//! Which nodes a process or clock fault hits: Jepsen's targets, plus
//! named nodes.

use faultline_core::Rng;
use std::fmt;

/// A choice of nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// One random node.
    One,
    /// A random minority (at least one node).
    Minority,
    /// A random majority.
    Majority,
    /// Every node.
    All,
    /// The current primaries (etcd's leader); one random node when none is known.
    Primaries,
    /// A random non-empty subset.
    Some,
    /// These nodes, by name.
    Named(Vec<String>),
}

impl Target {
    /// The nodes this target picks from `nodes` now.
    pub fn pick(&self, nodes: &[String], primaries: &[String], rng: &mut Rng) -> Vec<String> {
        let mut shuffled = nodes.to_vec();
        rng.shuffle(&mut shuffled);
        let n = nodes.len();
        let count = match self {
            Target::One => 1,
            Target::Minority => ((n.saturating_sub(1)) / 2).max(1),
            Target::Majority => n / 2 + 1,
            Target::All => n,
            Target::Some => 1 + rng.below(n.max(1) as u64) as usize,
            Target::Primaries => {
                let leaders: Vec<String> = primaries
                    .iter()
                    .filter(|p| nodes.contains(p))
                    .cloned()
                    .collect();
                if !leaders.is_empty() {
                    return leaders;
                }
                1
            }
            Target::Named(names) => return names.clone(),
        };
        shuffled.truncate(count.min(n));
        shuffled.sort();
        shuffled
    }

    /// Whether picking needs the current primaries.
    pub fn needs_primaries(&self) -> bool {
        *self == Target::Primaries
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::One => f.write_str("one"),
            Target::Minority => f.write_str("minority"),
            Target::Majority => f.write_str("majority"),
            Target::All => f.write_str("all"),
            Target::Primaries => f.write_str("primaries"),
            Target::Some => f.write_str("some"),
            Target::Named(names) => f.write_str(&names.join("+")),
        }
    }
}

/// One word of a targets option: a keyword, or node names joined by `+`
/// (not checked here: [`check_targets`] knows the nodes).
impl std::str::FromStr for Target {
    type Err = String;

    fn from_str(word: &str) -> Result<Target, String> {
        Ok(match word.trim() {
            "one" => Target::One,
            "minority" => Target::Minority,
            "majority" => Target::Majority,
            "all" => Target::All,
            "primaries" => Target::Primaries,
            "some" => Target::Some,
            "" => return Err("no target given; choose from one, minority, majority, all, primaries, some, or node names joined by +".into()),
            names => Target::Named(names.split('+').map(|n| n.trim().to_owned()).collect()),
        })
    }
}

/// Checks that every node a target names is among `nodes`, and that
/// there is a target at all.
pub fn check_targets(targets: &[Target], nodes: &[String]) -> Result<(), String> {
    if targets.is_empty() {
        return Err("no target given; choose from one, minority, majority, all, primaries, some, or node names".into());
    }
    for target in targets {
        if let Target::Named(names) = target {
            if let Some(unknown) = names.iter().find(|n| !nodes.contains(n)) {
                return Err(format!(
                    "unknown target `{unknown}`: choose from one, minority, majority, all, primaries, some, or node names joined by + ({})",
                    nodes.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Reads a comma-separated list of targets; each is a keyword (one,
/// minority, majority, all, primaries, some) or node names joined by `+`
/// (`n1+n3`), which must be among `nodes`.
pub fn parse_targets(text: &str, nodes: &[String]) -> Result<Vec<Target>, String> {
    let mut targets: Vec<Target> = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let target: Target = word.parse()?;
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    check_targets(&targets, nodes)?;
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("n{i}")).collect()
    }

    #[test]
    fn each_target_picks_the_right_number_of_distinct_nodes() {
        let nodes = names(5);
        let mut rng = Rng::new(3);
        for _ in 0..20 {
            assert_eq!(Target::One.pick(&nodes, &[], &mut rng).len(), 1);
            assert_eq!(Target::Minority.pick(&nodes, &[], &mut rng).len(), 2);
            assert_eq!(Target::Majority.pick(&nodes, &[], &mut rng).len(), 3);
            assert_eq!(Target::All.pick(&nodes, &[], &mut rng), nodes);
            let some = Target::Some.pick(&nodes, &[], &mut rng);
            assert!((1..=5).contains(&some.len()));
            let mut unique = some.clone();
            unique.dedup();
            assert_eq!(unique, some);
        }
        assert_eq!(Target::Minority.pick(&names(3), &[], &mut rng).len(), 1);
        assert_eq!(
            Target::Primaries.pick(&nodes, &["n4".into()], &mut rng),
            ["n4"]
        );
        assert_eq!(Target::Primaries.pick(&nodes, &[], &mut rng).len(), 1);
    }

    #[test]
    fn named_targets_must_be_nodes() {
        let nodes = names(3);
        assert_eq!(
            parse_targets("one, n1+n3", &nodes).unwrap(),
            [Target::One, Target::Named(vec!["n1".into(), "n3".into()])]
        );
        let err = parse_targets("n1+n9", &nodes).unwrap_err();
        assert!(err.contains("unknown target `n9`"), "{err}");
        assert!(parse_targets(" , ", &nodes).is_err());
    }
}
