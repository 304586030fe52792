//! The command line's words for the nemesis options that are closed sets,
//! as clap `ValueEnum`s: a typo is refused by clap with the choices listed
//! (and the nearest one suggested), before anything runs.

use crate::{Fault, Shape};
use clap::ValueEnum;

/// A word of `--nemesis`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FaultChoice {
    /// Random halves of the network cut off from each other.
    Partition,
    /// The database process killed, later restarted.
    Kill,
    /// The database process paused, later resumed.
    Pause,
    /// A node's clock moved, later reset.
    Clock,
    /// A node's packets lost, delayed or throttled, later healed.
    Packet,
    /// The database killed and its unsynced writes lost, later restarted.
    Disk,
    /// A member removed from the cluster, later added back.
    Member,
    /// Every fault above but disk and member.
    All,
    /// No fault.
    None,
}

impl FaultChoice {
    /// The faults `choices` name, each once, in [`Fault::ALL`]'s order.
    pub fn faults(choices: &[FaultChoice]) -> Vec<Fault> {
        let mut faults: Vec<Fault> = choices
            .iter()
            .flat_map(|choice| match choice {
                FaultChoice::Partition => vec![Fault::Partition],
                FaultChoice::Kill => vec![Fault::Kill],
                FaultChoice::Pause => vec![Fault::Pause],
                FaultChoice::Clock => vec![Fault::Clock],
                FaultChoice::Packet => vec![Fault::Packet],
                FaultChoice::Disk => vec![Fault::Disk],
                FaultChoice::Member => vec![Fault::Member],
                FaultChoice::All => Fault::ALL.to_vec(),
                FaultChoice::None => Vec::new(),
            })
            .collect();
        faults.sort();
        faults.dedup();
        faults
    }

    /// Reads a comma-separated list (`kill,pause`) as the command line
    /// does, for options that hold several lists (`test-all --nemeses`).
    pub fn parse_list(text: &str) -> Result<Vec<FaultChoice>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(|word| {
                FaultChoice::from_str(word, false).map_err(|_| {
                    format!("unknown nemesis `{word}`; choose from partition, kill, pause, clock, packet, disk, member, all, none")
                })
            })
            .collect()
    }
}

/// A word of `--partition`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShapeChoice {
    /// A minority cut off from a majority.
    Majority,
    /// One node alone.
    One,
    /// Each node sees a majority, no two the same.
    Ring,
    /// Two halves joined through one node.
    Bridge,
    /// The primaries cut off.
    Primaries,
    /// Every shape above.
    All,
}

impl ShapeChoice {
    /// The shapes `choices` name, each once.
    pub fn shapes(choices: &[ShapeChoice]) -> Vec<Shape> {
        let mut shapes: Vec<Shape> = choices
            .iter()
            .flat_map(|choice| match choice {
                ShapeChoice::Majority => vec![Shape::Majority],
                ShapeChoice::One => vec![Shape::One],
                ShapeChoice::Ring => vec![Shape::Ring],
                ShapeChoice::Bridge => vec![Shape::Bridge],
                ShapeChoice::Primaries => vec![Shape::Primaries],
                ShapeChoice::All => Shape::ALL.to_vec(),
            })
            .collect();
        shapes.sort();
        shapes.dedup();
        shapes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_and_none_expand_and_lists_read_as_the_command_line_does() {
        use FaultChoice as F;
        assert_eq!(FaultChoice::faults(&[F::All]), Fault::ALL);
        assert!(FaultChoice::faults(&[F::None]).is_empty());
        assert_eq!(
            FaultChoice::faults(&[F::Kill, F::Partition, F::Kill]),
            [Fault::Partition, Fault::Kill]
        );
        assert_eq!(
            FaultChoice::parse_list("kill, pause").unwrap(),
            [F::Kill, F::Pause]
        );
        let err = FaultChoice::parse_list("kill,clokc").unwrap_err();
        assert!(err.contains("unknown nemesis `clokc`"), "{err}");
        assert_eq!(ShapeChoice::shapes(&[ShapeChoice::All]), Shape::ALL);
    }
}
