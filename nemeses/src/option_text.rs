//! How typed nemesis options are kept in `test.json`: as the words the
//! command line took (`"partition,kill"`, `"one,minority"`), so that the
//! file reads as the command did and older run directories still load.

use serde::{Deserialize, Deserializer, Serializer};
use std::fmt::Display;
use std::str::FromStr;

/// A list as its items' words joined by commas.
pub mod list {
    use super::*;

    /// Writes `items` as `a,b,c`.
    pub fn serialize<T: Display, S: Serializer>(items: &[T], s: S) -> Result<S::Ok, S::Error> {
        let words: Vec<String> = items.iter().map(T::to_string).collect();
        s.serialize_str(&words.join(","))
    }

    /// Reads `a,b,c`.
    pub fn deserialize<'de, T, D>(d: D) -> Result<Vec<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        text.split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(|w| w.parse::<T>().map_err(serde::de::Error::custom))
            .collect()
    }
}

/// The faults, with `none` for no fault and `all` read as every fault.
pub mod faults {
    use super::*;
    use crate::Fault;

    /// Writes the faults, or `none`.
    pub fn serialize<S: Serializer>(faults: &[Fault], s: S) -> Result<S::Ok, S::Error> {
        if faults.is_empty() {
            s.serialize_str("none")
        } else {
            list::serialize(faults, s)
        }
    }

    /// Reads what `--nemesis` takes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Fault>, D::Error> {
        let text = String::deserialize(d)?;
        crate::parse_faults(&text).map_err(serde::de::Error::custom)
    }
}

/// The partition shapes, `all` read as every shape.
pub mod shapes {
    use super::*;
    use crate::Shape;

    /// Writes the shapes.
    pub fn serialize<S: Serializer>(shapes: &[Shape], s: S) -> Result<S::Ok, S::Error> {
        list::serialize(shapes, s)
    }

    /// Reads what `--partition` takes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Shape>, D::Error> {
        let text = String::deserialize(d)?;
        crate::parse_shapes(&text).map_err(serde::de::Error::custom)
    }
}

/// One value as its word.
pub mod word {
    use super::*;

    /// Writes the word.
    pub fn serialize<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }

    /// Reads the word.
    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}
