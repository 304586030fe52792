//! Three-valued verdicts and how they combine.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A checker's verdict. A checker that ran out of time or memory says
/// `Unknown`, never `Valid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Validity {
    /// The history keeps the promise checked.
    Valid,
    /// The history breaks it.
    Invalid,
    /// The checker could not decide (budget exhausted, checker failed).
    Unknown,
}

impl Validity {
    /// Combines two verdicts as Jepsen does: invalid > unknown > valid.
    pub fn merge(self, other: Validity) -> Validity {
        use Validity::*;
        match (self, other) {
            (Invalid, _) | (_, Invalid) => Invalid,
            (Unknown, _) | (_, Unknown) => Unknown,
            _ => Valid,
        }
    }

    /// The process exit code for this verdict (0 valid, 1 invalid, 2 unknown).
    pub fn exit_code(self) -> i32 {
        match self {
            Validity::Valid => 0,
            Validity::Invalid => 1,
            Validity::Unknown => 2,
        }
    }
}

impl fmt::Display for Validity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Validity::Valid => "valid",
            Validity::Invalid => "invalid",
            Validity::Unknown => "unknown",
        })
    }
}

impl FromIterator<Validity> for Validity {
    fn from_iter<I: IntoIterator<Item = Validity>>(iter: I) -> Validity {
        iter.into_iter().fold(Validity::Valid, Validity::merge)
    }
}

// JSON form, as Jepsen's results use it: true, false or "unknown".
impl Serialize for Validity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Validity::Valid => s.serialize_bool(true),
            Validity::Invalid => s.serialize_bool(false),
            Validity::Unknown => s.serialize_str("unknown"),
        }
    }
}

impl<'de> Deserialize<'de> for Validity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Bool(true) => Ok(Validity::Valid),
            serde_json::Value::Bool(false) => Ok(Validity::Invalid),
            serde_json::Value::String(s) if s == "unknown" => Ok(Validity::Unknown),
            other => Err(serde::de::Error::custom(format!(
                "validity must be true, false or \"unknown\", not {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Validity::{self, *};

    #[test]
    fn merge_prefers_invalid_then_unknown() {
        assert_eq!(Valid.merge(Unknown), Unknown);
        assert_eq!(Unknown.merge(Invalid), Invalid);
        assert_eq!(Valid.merge(Valid), Valid);
        assert_eq!(
            [Valid, Unknown, Valid].into_iter().collect::<Validity>(),
            Unknown
        );
        assert_eq!(
            Vec::<Validity>::new().into_iter().collect::<Validity>(),
            Valid
        );
    }

    #[test]
    fn json_form_round_trips() {
        for v in [Valid, Invalid, Unknown] {
            let text = serde_json::to_string(&v).unwrap();
            assert_eq!(serde_json::from_str::<Validity>(&text).unwrap(), v);
        }
        assert_eq!(serde_json::to_string(&Unknown).unwrap(), "\"unknown\"");
    }
}
