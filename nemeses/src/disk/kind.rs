//! The disk fault's kinds, as `--disk` names them.

use std::fmt;

/// A kind of disk fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiskKind {
    /// Kill, and lose every change not yet fsynced.
    LoseUnsynced,
    /// Kill, truncate or flip bits in one data file, restart.
    Corrupt,
}

impl fmt::Display for DiskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DiskKind::LoseUnsynced => "lose-unsynced",
            DiskKind::Corrupt => "corrupt",
        })
    }
}

impl std::str::FromStr for DiskKind {
    type Err = String;

    fn from_str(text: &str) -> Result<DiskKind, String> {
        <DiskKind as clap::ValueEnum>::from_str(text, false)
            .map_err(|_| format!("unknown disk fault `{text}`; choose from lose-unsynced, corrupt"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for kind in [DiskKind::LoseUnsynced, DiskKind::Corrupt] {
            assert_eq!(kind.to_string().parse::<DiskKind>(), Ok(kind));
        }
        assert!("lazy"
            .parse::<DiskKind>()
            .unwrap_err()
            .contains("lose-unsynced, corrupt"));
    }
}
