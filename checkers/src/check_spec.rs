//! Which checker judges a history, and against which model: written into
//! a run's `test.json` by whatever produced the run (`test`, `check
//! --report`), read back by `analyze`, so that a run is always re-checked
//! with exactly what judged it first.

use crate::bank::{self, BankAnalysis};
use crate::counter::{self, CounterAnalysis};
use crate::linearizable::{self, ModelKind};
use crate::serializable::{self, ConsistencyModel, SerialAnalysis, Workload};
use crate::set::{self, SetAnalysis};
use crate::stream::{self, StreamAnalysis};
use crate::unique_ids::{self, UniqueIdsAnalysis};
use crate::watch::{self, WatchAnalysis};
use crate::words::Place;
use crate::Analysis;
use faultline_core::{Budget, CheckError, History, Validity};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::str::FromStr;

/// A checker and its model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "checker", rename_all = "kebab-case")]
pub enum CheckSpec {
    /// Linearizability per key against a model.
    Linearizable {
        /// The model: register, cas-register, kv, set, queue, mutex.
        model: ModelKind,
    },
    /// Serializability of transactions against a consistency model.
    Serializable {
        /// list-append or rw-register.
        workload: Workload,
        /// The model required.
        consistency_model: ConsistencyModel,
    },
    /// Jepsen's counter bounds: every read between what was acknowledged
    /// and what was tried, per key.
    Counter,
    /// Jepsen's set-full analysis of adds and reads, per key.
    Set {
        /// Stale reads refute (the system promises linearizable reads).
        linearizable: bool,
    },
    /// Jepsen's unique-ids: no id acknowledged twice, per key.
    UniqueIds,
    /// Jepsen's bank: every read sums to the total, none negative, per key.
    Bank {
        /// Accounts in each bank.
        accounts: usize,
        /// What each bank's balances sum to.
        total: i64,
    },
    /// etcd's watch guarantees: the same ordered revisions for every
    /// watcher, none skipped, per key.
    Watch,
    /// Jepsen's Kafka checker: append-only logs, per key.
    Stream {
        /// A read from the start that misses a message known before it
        /// began refutes (reads are not served by lagging replicas).
        reads_are_current: bool,
    },
}

/// A checker's full answer.
#[derive(Clone, Debug)]
pub enum CheckedHistory {
    /// From the linearizability checker.
    Linearizable(Box<linearizable::Analysis>),
    /// From the serializability checker.
    Serializable(Box<SerialAnalysis>),
    /// From the set checker.
    Set(Box<SetAnalysis>),
    /// From the counter checker.
    Counter(Box<CounterAnalysis>),
    /// From the unique-ids checker.
    UniqueIds(Box<UniqueIdsAnalysis>),
    /// From the bank checker.
    Bank(Box<BankAnalysis>),
    /// From the watch checker.
    Watch(Box<WatchAnalysis>),
    /// From the stream checker.
    Stream(Box<StreamAnalysis>),
    /// Not checked: the history could not be (why, in words). Unknown.
    Unchecked(String),
}

impl CheckSpec {
    /// The linearizability checker's name (in results.json and messages).
    pub const LINEARIZABLE: &'static str = "linearizable";
    /// The serializability checker's name.
    pub const SERIALIZABLE: &'static str = "serializable";
    /// The set checker's name.
    pub const SET: &'static str = "set";
    /// The counter checker's name.
    pub const COUNTER: &'static str = "counter";
    /// The unique-ids checker's name.
    pub const UNIQUE_IDS: &'static str = "unique-ids";
    /// The bank checker's name.
    pub const BANK: &'static str = "bank";
    /// The watch checker's name.
    pub const WATCH: &'static str = "watch";
    /// The stream checker's name.
    pub const STREAM: &'static str = "stream";

    /// The checker's name as results.json files it: `linearizable` or
    /// `serializable`, `set`, `counter`, `unique-ids`, `bank`, `watch` or
    /// `stream`.
    pub fn checker_name(&self) -> &'static str {
        match self {
            CheckSpec::Linearizable { .. } => CheckSpec::LINEARIZABLE,
            CheckSpec::Serializable { .. } => CheckSpec::SERIALIZABLE,
            CheckSpec::Set { .. } => CheckSpec::SET,
            CheckSpec::Counter => CheckSpec::COUNTER,
            CheckSpec::UniqueIds => CheckSpec::UNIQUE_IDS,
            CheckSpec::Bank { .. } => CheckSpec::BANK,
            CheckSpec::Watch => CheckSpec::WATCH,
            CheckSpec::Stream { .. } => CheckSpec::STREAM,
        }
    }

    /// Checks `history` as this spec says.
    pub fn check(&self, history: &History, budget: &Budget) -> Result<CheckedHistory, CheckError> {
        Ok(match *self {
            CheckSpec::Linearizable { model } => {
                CheckedHistory::Linearizable(Box::new(model.check(history, budget)?))
            }
            CheckSpec::Serializable {
                workload,
                consistency_model,
            } => CheckedHistory::Serializable(Box::new(serializable::check(
                history,
                workload,
                consistency_model,
                budget,
            )?)),
            // Linear in the history: no budget to spend.
            CheckSpec::Set { linearizable } => {
                CheckedHistory::Set(Box::new(set::check(history, linearizable)?))
            }
            CheckSpec::Counter => CheckedHistory::Counter(Box::new(counter::check(history)?)),
            CheckSpec::UniqueIds => {
                CheckedHistory::UniqueIds(Box::new(unique_ids::check(history)?))
            }
            CheckSpec::Bank { accounts, total } => {
                CheckedHistory::Bank(Box::new(bank::check(history, accounts, total)?))
            }
            CheckSpec::Watch => CheckedHistory::Watch(Box::new(watch::check(history)?)),
            CheckSpec::Stream { reads_are_current } => {
                CheckedHistory::Stream(Box::new(stream::check(history, reads_are_current)?))
            }
        })
    }
}

impl CheckedHistory {
    /// The analysis behind it; `Err`: why there is none (not checked).
    /// The one place that lists every checker's analysis.
    pub fn analysis(&self) -> Result<&dyn Analysis, &str> {
        Ok(match self {
            CheckedHistory::Linearizable(a) => a.as_ref(),
            CheckedHistory::Serializable(a) => a.as_ref(),
            CheckedHistory::Set(a) => a.as_ref(),
            CheckedHistory::Counter(a) => a.as_ref(),
            CheckedHistory::UniqueIds(a) => a.as_ref(),
            CheckedHistory::Bank(a) => a.as_ref(),
            CheckedHistory::Watch(a) => a.as_ref(),
            CheckedHistory::Stream(a) => a.as_ref(),
            CheckedHistory::Unchecked(reason) => return Err(reason),
        })
    }

    /// The verdict.
    pub fn valid(&self) -> Validity {
        self.analysis().map_or(Validity::Unknown, |a| a.valid())
    }

    /// The checker's name as results.json files it (`unchecked` when none ran).
    pub fn checker_name(&self) -> &'static str {
        self.analysis().map_or("unchecked", |a| a.checker_name())
    }

    /// The model the analysis judged against (empty when none ran).
    pub fn model(&self) -> &str {
        self.analysis().map_or("", |a| a.model())
    }

    /// Why the verdict is unknown, when the analysis says.
    pub fn reason(&self) -> Option<&str> {
        self.analysis().map_or_else(Some, |a| a.reason())
    }

    /// The verdict on `name` and its explanation, as `check` prints them;
    /// `place` names an event.
    pub fn lines(&self, name: &str, elapsed_ms: f64, place: Place) -> Vec<String> {
        match self.analysis() {
            Ok(a) => a.lines(name, elapsed_ms, place),
            Err(reason) => vec![format!("{name}: unknown: {reason}")],
        }
    }

    /// The explanation alone (no verdict line): what a JUnit failure
    /// carries under its one-line message, so that a CI log says what went
    /// wrong.
    pub fn explanation(&self, place: Place) -> String {
        let lines = self.lines("", 0.0, place);
        lines.into_iter().skip(1).collect::<Vec<_>>().join("\n")
    }

    /// The verdict in one line, for JUnit and summaries.
    pub fn one_line(&self) -> String {
        match self.analysis() {
            Ok(a) => a.one_line(),
            Err(reason) => format!("unknown: {reason}"),
        }
    }

    /// Reads back what [`CheckedHistory::to_json`] wrote under the checker
    /// name `checker` in `results.json`; an analysis that cannot be read
    /// (another version's, say) is `Unchecked` with the reason.
    pub fn from_json(checker: &str, value: &serde_json::Value) -> CheckedHistory {
        let unreadable = |e: serde_json::Error| {
            CheckedHistory::Unchecked(format!("the {checker} analysis in results.json could not be read ({e}): run `faultline analyze` on the run directory"))
        };
        // An analysis names its model (the serializability checker, its
        // workload too); anything else is a reason it was not checked.
        let key = match checker {
            CheckSpec::SERIALIZABLE => "workload",
            _ => "model",
        };
        let unchecked = || {
            let reason = value["reason"].as_str().unwrap_or("not checked");
            CheckedHistory::Unchecked(reason.to_owned())
        };
        if value.get(key).is_none() {
            return unchecked();
        }
        fn read<T: serde::de::DeserializeOwned>(
            value: &serde_json::Value,
            wrap: fn(Box<T>) -> CheckedHistory,
        ) -> Result<CheckedHistory, serde_json::Error> {
            T::deserialize(value).map(|a| wrap(Box::new(a)))
        }
        let read = match checker {
            CheckSpec::LINEARIZABLE => read(value, CheckedHistory::Linearizable),
            CheckSpec::SERIALIZABLE => read(value, CheckedHistory::Serializable),
            CheckSpec::SET => read(value, CheckedHistory::Set),
            CheckSpec::COUNTER => read(value, CheckedHistory::Counter),
            CheckSpec::UNIQUE_IDS => read(value, CheckedHistory::UniqueIds),
            CheckSpec::BANK => read(value, CheckedHistory::Bank),
            CheckSpec::WATCH => read(value, CheckedHistory::Watch),
            CheckSpec::STREAM => read(value, CheckedHistory::Stream),
            _ => return unchecked(),
        };
        read.unwrap_or_else(unreadable)
    }

    /// The analysis as results.json holds it.
    pub fn to_json(&self) -> serde_json::Value {
        match self.analysis() {
            Ok(a) => a.to_json(),
            Err(reason) => serde_json::json!({ "valid": "unknown", "reason": reason }),
        }
    }
}

/// Serde by the names the command line uses.
macro_rules! serde_by_name {
    ($type:ty) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                <$type>::from_str(&name).map_err(serde::de::Error::custom)
            }
        }
    };
}

serde_by_name!(ModelKind);
serde_by_name!(Workload);
serde_by_name!(ConsistencyModel);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyses_read_back_from_results_json_as_they_were_written() {
        use faultline_core::Format;
        // A stale read (linearizable) and a G1c cycle (serializable), both
        // invalid, so counterexample and anomalies are filled in.
        let register = "INFO  jepsen.util - 0\t:invoke\t:write\t1\n\
                        INFO  jepsen.util - 0\t:ok\t:write\t1\n\
                        INFO  jepsen.util - 1\t:invoke\t:read\tnil\n\
                        INFO  jepsen.util - 1\t:ok\t:read\t2\n";
        let history = Format::JepsenLog.parse(register).unwrap().history;
        let spec = CheckSpec::Linearizable {
            model: ModelKind::CasRegister,
        };
        let checked = spec.check(&history, &Budget::default()).unwrap();
        assert_eq!(checked.valid(), Validity::Invalid);
        let json = checked.to_json();
        let CheckedHistory::Linearizable(back) = CheckedHistory::from_json("linearizable", &json)
        else {
            panic!(
                "read back as {:?}",
                CheckedHistory::from_json("linearizable", &json)
            )
        };
        let CheckedHistory::Linearizable(original) = checked else {
            unreachable!()
        };
        assert_eq!(back, original);
        assert!(back.counterexample.is_some());

        let txns = r#"{"index":0,"process":0,"type":"invoke","f":"txn","value":[["append","x",1],["r","y",null]]}
{"index":1,"process":0,"type":"ok","f":"txn","value":[["append","x",1],["r","y",[1]]]}
{"index":2,"process":1,"type":"invoke","f":"txn","value":[["append","y",1],["r","x",null]]}
{"index":3,"process":1,"type":"ok","f":"txn","value":[["append","y",1],["r","x",[1]]]}"#;
        let history = Format::Jsonl.parse(txns).unwrap().history;
        let spec = CheckSpec::Serializable {
            workload: Workload::ListAppend,
            consistency_model: ConsistencyModel::Serializable,
        };
        let checked = spec.check(&history, &Budget::default()).unwrap();
        assert_eq!(checked.valid(), Validity::Invalid);
        let json = checked.to_json();
        let back = CheckedHistory::from_json("serializable", &json);
        assert!(matches!(back, CheckedHistory::Serializable(_)));
        assert_eq!(back.to_json(), json, "nothing lost on the way back");

        let set = r#"{"process":0,"type":"invoke","f":"add","value":1}
{"process":0,"type":"ok","f":"add","value":1}
{"process":1,"type":"invoke","f":"read","value":null}
{"process":1,"type":"ok","f":"read","value":[]}"#;
        let history = Format::Jsonl.parse(set).unwrap().history;
        let checked = CheckSpec::Set { linearizable: true }
            .check(&history, &Budget::default())
            .unwrap();
        // Known at the add's ok, missed by a read begun after it: lost.
        assert_eq!(checked.valid(), Validity::Invalid);
        let back = CheckedHistory::from_json("set", &checked.to_json());
        assert!(matches!(back, CheckedHistory::Set(_)));
        assert_eq!(back.to_json(), checked.to_json());

        let ids = r#"{"process":0,"type":"invoke","f":"generate","value":null}
{"process":0,"type":"ok","f":"generate","value":4}
{"process":1,"type":"invoke","f":"generate","value":null}
{"process":1,"type":"ok","f":"generate","value":4}"#;
        let history = Format::Jsonl.parse(ids).unwrap().history;
        let checked = CheckSpec::UniqueIds
            .check(&history, &Budget::default())
            .unwrap();
        assert_eq!(checked.valid(), Validity::Invalid);
        let back = CheckedHistory::from_json("unique-ids", &checked.to_json());
        assert!(matches!(back, CheckedHistory::UniqueIds(_)));
        assert_eq!(back.to_json(), checked.to_json());

        let bank = r#"{"process":0,"type":"invoke","f":"read","value":null}
{"process":0,"type":"ok","f":"read","value":[10,9]}"#;
        let history = Format::Jsonl.parse(bank).unwrap().history;
        let checked = CheckSpec::Bank {
            accounts: 2,
            total: 20,
        }
        .check(&history, &Budget::default())
        .unwrap();
        assert_eq!(checked.valid(), Validity::Invalid);
        let back = CheckedHistory::from_json("bank", &checked.to_json());
        assert!(matches!(back, CheckedHistory::Bank(_)));
        assert_eq!(back.to_json(), checked.to_json());

        let watched = r#"{"process":0,"type":"invoke","f":"put","value":1}
{"process":0,"type":"ok","f":"put","value":{"value":1,"revision":4}}
{"process":1,"type":"invoke","f":"watch","value":null}
{"process":1,"type":"ok","f":"watch","value":{"from":1,"events":[[3,7],[5,1]]}}"#;
        let history = Format::Jsonl.parse(watched).unwrap().history;
        let checked = CheckSpec::Watch
            .check(&history, &Budget::default())
            .unwrap();
        assert_eq!(checked.valid(), Validity::Invalid);
        let back = CheckedHistory::from_json("watch", &checked.to_json());
        assert!(matches!(back, CheckedHistory::Watch(_)));
        assert_eq!(back.to_json(), checked.to_json());

        let unchecked = CheckedHistory::Unchecked("no history".into()).to_json();
        assert!(matches!(
            CheckedHistory::from_json("linearizable", &unchecked),
            CheckedHistory::Unchecked(reason) if reason == "no history"
        ));
        let broken = serde_json::json!({"model": "cas-register", "valid": 7});
        assert!(matches!(
            CheckedHistory::from_json("linearizable", &broken),
            CheckedHistory::Unchecked(reason) if reason.contains("could not be read")
        ));
    }

    #[test]
    fn specs_round_trip_through_json_by_name() {
        let specs = [
            CheckSpec::Linearizable {
                model: ModelKind::Kv,
            },
            CheckSpec::Serializable {
                workload: Workload::RwRegister,
                consistency_model: ConsistencyModel::ReadCommitted,
            },
            CheckSpec::Set { linearizable: true },
            CheckSpec::Counter,
            CheckSpec::Bank {
                accounts: 5,
                total: 50,
            },
        ];
        for spec in specs {
            let text = serde_json::to_string(&spec).unwrap();
            assert_eq!(serde_json::from_str::<CheckSpec>(&text).unwrap(), spec);
        }
        let text = serde_json::to_string(&specs[1]).unwrap();
        assert_eq!(
            text,
            r#"{"checker":"serializable","workload":"rw-register","consistency_model":"read-committed"}"#
        );
        let typo = r#"{"checker":"linearizable","model":"cas-registr"}"#;
        assert!(serde_json::from_str::<CheckSpec>(typo).is_err());
    }
}
