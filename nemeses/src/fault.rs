//! The faults a test can ask for, by name.

use crate::plan_error::{bail, PlanError};

type Result<T> = std::result::Result<T, PlanError>;

/// One kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// Random halves of the network cut off from each other.
    Partition,
    /// A node's database process killed (SIGKILL), later restarted.
    Kill,
    /// A node's database process paused (SIGSTOP), later resumed.
    Pause,
    /// A node's clock moved (bumped or strobed), later reset.
    Clock,
    /// A node's packets lost, delayed or throttled, later healed.
    Packet,
    /// A node's database killed and every write it had not fsynced lost
    /// (faultline's filesystem under its data directory), later restarted.
    Disk,
    /// A member removed from the cluster (stopped, wiped), later added
    /// back as a new member. Last, so that at the end it rejoins after
    /// every other fault is healed (it needs a quorum).
    Member,
}

impl Fault {
    /// The faults `all` stands for. `disk` and `member` are asked for by
    /// name: one mounts a filesystem over the data directory, the other
    /// changes who votes, and each needs a system that can say how.
    pub const ALL: [Fault; 5] = [
        Fault::Partition,
        Fault::Kill,
        Fault::Pause,
        Fault::Clock,
        Fault::Packet,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Partition => "partition",
            Fault::Kill => "kill",
            Fault::Pause => "pause",
            Fault::Clock => "clock",
            Fault::Packet => "packet",
            Fault::Disk => "disk",
            Fault::Member => "member",
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Reads `--nemesis`: a comma-separated list, `all` or `none`.
pub fn parse_faults(text: &str) -> Result<Vec<Fault>> {
    let mut faults = Vec::new();
    for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match word {
            "none" => {}
            "all" => faults.extend(Fault::ALL),
            name => match Fault::ALL.into_iter().chain([Fault::Disk, Fault::Member]).find(|f| f.name() == name) {
                Some(fault) => faults.push(fault),
                None => bail!("unknown nemesis `{name}`; choose from partition, kill, pause, clock, packet, disk, member, all, none"),
            },
        }
    }
    faults.sort();
    faults.dedup();
    Ok(faults)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lists_all_and_none() {
        assert_eq!(
            parse_faults("kill,partition").unwrap(),
            [Fault::Partition, Fault::Kill]
        );
        assert_eq!(parse_faults("all").unwrap(), Fault::ALL);
        assert!(parse_faults("none").unwrap().is_empty());
        let err = parse_faults("partition,clokc").unwrap_err().to_string();
        assert!(err.contains("unknown nemesis `clokc`"), "{err}");
    }
}
