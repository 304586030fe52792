//! Memory as the checkers' bound sees it: this process's resident memory,
//! the machine's, and sizes as people write them (`4G`, `512M`).

use std::fmt;
use std::str::FromStr;

/// A number of bytes, read from `8000000000`, `512M`, `4G` or `4GiB`
/// (powers of 1024) and shown the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub u64);

impl FromStr for Bytes {
    type Err = String;

    fn from_str(text: &str) -> Result<Bytes, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let shift = match unit
            .trim()
            .to_ascii_uppercase()
            .trim_end_matches("IB")
            .trim_end_matches('B')
        {
            "" => 0,
            "K" => 10,
            "M" => 20,
            "G" => 30,
            "T" => 40,
            _ => {
                return Err(format!(
                    "`{text}` is not a size: write bytes, or a number with K, M, G or T (4G)"
                ))
            }
        };
        let number: f64 = number.parse().map_err(|_| {
            format!("`{text}` is not a size: write bytes, or a number with K, M, G or T (4G)")
        })?;
        let bytes = number * (1u64 << shift) as f64;
        if !(bytes.is_finite() && bytes >= 1.0) {
            return Err(format!("`{text}` is not a positive size"));
        }
        Ok(Bytes(bytes as u64))
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gib = self.0 as f64 / (1u64 << 30) as f64;
        if gib >= 1.0 {
            write!(f, "{gib:.1} GiB")
        } else {
            write!(f, "{:.0} MiB", self.0 as f64 / (1u64 << 20) as f64)
        }
    }
}

/// The kB value of `field` in a `/proc` file of `Name: value kB` lines.
fn proc_kb(file: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: u64 = line[field.len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// This process's resident memory (Linux's VmRSS), when known.
pub fn resident_bytes() -> Option<u64> {
    proc_kb("/proc/self/status", "VmRSS:")
}

/// The machine's memory (MemTotal), when known (read once).
pub fn machine_bytes() -> Option<u64> {
    static TOTAL: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(|| proc_kb("/proc/meminfo", "MemTotal:"))
}

/// The checkers' default memory bound: half the machine's memory, so that
/// a search that cannot finish never takes the machine (and the run's
/// other processes) down with it.
pub fn default_memory_limit() -> Option<u64> {
    machine_bytes().map(|total| total / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!("8000000000".parse::<Bytes>(), Ok(Bytes(8_000_000_000)));
        assert_eq!("512M".parse::<Bytes>(), Ok(Bytes(512 << 20)));
        assert_eq!("4G".parse::<Bytes>(), Ok(Bytes(4 << 30)));
        assert_eq!("1.5GiB".parse::<Bytes>(), Ok(Bytes(3 << 29)));
        assert_eq!("4 gb".parse::<Bytes>(), Ok(Bytes(4 << 30)));
        for bad in ["", "G", "4X", "-1G", "0"] {
            assert!(bad.parse::<Bytes>().is_err(), "{bad}");
        }
        assert_eq!(Bytes(4 << 30).to_string(), "4.0 GiB");
        assert_eq!(Bytes(512 << 20).to_string(), "512 MiB");
    }

    #[test]
    fn this_process_and_machine_are_measured_on_linux() {
        let (rss, total) = (resident_bytes().unwrap(), machine_bytes().unwrap());
        assert!(rss > 0 && rss < total, "{rss} of {total}");
        assert_eq!(default_memory_limit(), Some(total / 2));
    }
}
