//! Where a message sits in its stream: an integer offset (Kafka, NATS
//! JetStream's stream sequence) or a Redis stream id `ms-seq`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An offset. Ids order by milliseconds, then sequence, as Redis orders
/// them (<https://redis.io/docs/latest/develop/data-types/streams/>,
/// "Entry IDs"); an integer offset has no sequence part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Offset {
    /// The offset, or an id's milliseconds.
    pub major: u64,
    /// An id's sequence number within its millisecond.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor: Option<u64>,
}

impl Offset {
    /// Reads an offset as a history records it: a non-negative integer, or
    /// a string holding one or an id `ms-seq`; `None` for anything else.
    pub fn parse(value: &serde_json::Value) -> Option<Offset> {
        if let Some(n) = value.as_u64() {
            return Some(Offset {
                major: n,
                minor: None,
            });
        }
        let text = value.as_str()?;
        match text.split_once('-') {
            Some((ms, seq)) => Some(Offset {
                major: ms.parse().ok()?,
                minor: Some(seq.parse().ok()?),
            }),
            None => Some(Offset {
                major: text.parse().ok()?,
                minor: None,
            }),
        }
    }
}

impl fmt::Display for Offset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.minor {
            Some(minor) => write!(f, "{}-{minor}", self.major),
            None => write!(f, "{}", self.major),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_and_redis_ids_read_and_order_as_their_systems_order_them() {
        let id = |v| Offset::parse(&v).unwrap();
        assert!(id(json!("1700000000000-9")) < id(json!("1700000000001-0")));
        assert!(id(json!("5-10")) > id(json!("5-9")), "sequence numerically");
        assert!(id(json!(9)) < id(json!(10)));
        assert_eq!(id(json!("12")), id(json!(12)));
        assert_eq!(id(json!("5-10")).to_string(), "5-10");
        assert_eq!(id(json!(7)).to_string(), "7");
        for bad in [
            json!(-1),
            json!("x-1"),
            json!("1-"),
            json!(null),
            json!(1.5),
        ] {
            assert_eq!(Offset::parse(&bad), None, "{bad}");
        }
    }
}
