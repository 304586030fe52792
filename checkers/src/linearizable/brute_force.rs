//! A reference checker that tries every order consistent with real time:
//! exponential, for differential tests on tiny histories. It shares only the
//! models' step functions with the real search: no cache, no event list, no
//! pruning of identical operations, and no partitioning (all keys' states
//! are kept in one map).

use crate::linearizable::model::{Interner, Model};
use faultline_core::{CheckError, History, Outcome, Process};
use std::collections::BTreeMap;

struct Item<M: Model> {
    key: Option<String>,
    input: M::Input,
    output: Option<M::Output>,
    call: usize,
    ret: Option<usize>,
}

/// True when some order of the operations, consistent with real time, is
/// accepted by the model. Operations of unknown outcome may be left out.
pub fn is_linearizable<M: Model>(model: &M, history: &History) -> Result<bool, CheckError> {
    let mut values = Interner::default();
    let mut items: Vec<Item<M>> = Vec::new();
    for op in history.operations()? {
        if op.process == Process::Nemesis || op.outcome == Outcome::Fail {
            continue;
        }
        let decoded = model
            .decode(&mut values, op.f, op.input, op.output)
            .map_err(|message| CheckError::Operation {
                at: format!("event {}", op.invoke),
                message,
            })?;
        if let Some((input, output)) = decoded {
            let ret = if output.is_some() { op.complete } else { None };
            items.push(Item {
                key: op.key.map(str::to_owned),
                input,
                output,
                call: op.invoke,
                ret,
            });
        }
    }
    let mut placed = vec![false; items.len()];
    Ok(extend(
        model,
        &mut M::Context::default(),
        &items,
        &mut placed,
        &BTreeMap::new(),
    ))
}

fn extend<M: Model>(
    model: &M,
    context: &mut M::Context,
    items: &[Item<M>],
    placed: &mut [bool],
    states: &BTreeMap<Option<String>, M::State>,
) -> bool {
    let pending_completed: Vec<usize> = (0..items.len())
        .filter(|&i| !placed[i] && items[i].ret.is_some())
        .collect();
    if pending_completed.is_empty() {
        return true;
    }
    // The earliest completion among unplaced operations bounds what may go next.
    let deadline = pending_completed
        .iter()
        .filter_map(|&i| items[i].ret)
        .min()
        .unwrap_or(usize::MAX);
    for i in 0..items.len() {
        if placed[i] || items[i].call > deadline {
            continue;
        }
        let item = &items[i];
        let state = states
            .get(&item.key)
            .cloned()
            .unwrap_or_else(|| model.init());
        let Some(next) = model.step(context, &state, &item.input, item.output.as_ref()) else {
            continue;
        };
        let mut next_states = states.clone();
        next_states.insert(item.key.clone(), next);
        placed[i] = true;
        let found = extend(model, context, items, placed, &next_states);
        placed[i] = false;
        if found {
            return true;
        }
    }
    false
}

#[cfg(test)]
pub(crate) mod tests {
    //! Differential tests: the search and the brute force must agree on
    //! random small histories of every model, with fail, info and pending
    //! operations. A failure prints the seed and the history to replay it.

    use super::*;
    use crate::linearizable::models::{KvModel, MutexModel, QueueModel, RegisterModel, SetModel};
    use crate::linearizable::{check, Model};
    use faultline_core::{Budget, Op, OpType, Validity, Value};
    use proptest::prelude::*;
    use serde_json::json;

    /// A small deterministic generator (splitmix64), so a seed replays a case.
    pub(crate) struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn pick<T: Clone>(&mut self, items: &[T]) -> T {
            items[self.below(items.len() as u64) as usize].clone()
        }
    }

    /// A random operation of the model: (f, argument, result if ok).
    pub(crate) type OpGen = fn(&mut Rng) -> (&'static str, Value, Value);

    pub(crate) fn register_op(r: &mut Rng) -> (&'static str, Value, Value) {
        let v = [json!(null), json!(0), json!(1), json!(2)];
        match r.below(3) {
            0 => ("read", json!(null), r.pick(&v)),
            1 => {
                let x = r.pick(&v[1..]);
                ("write", x.clone(), x)
            }
            _ => {
                let x = json!([r.pick(&v), r.pick(&v[1..])]);
                ("cas", x.clone(), x)
            }
        }
    }

    /// Values set drawn from six, so that in many short histories each is
    /// set once: the register fast path runs (reads and cas expectations
    /// drawn from the same values, often naming a set of unknown outcome).
    pub(crate) fn spread_register_op(r: &mut Rng) -> (&'static str, Value, Value) {
        let v = [
            json!(null),
            json!(1),
            json!(2),
            json!(3),
            json!(4),
            json!(5),
            json!(6),
        ];
        match r.below(3) {
            0 => ("read", json!(null), r.pick(&v[..4])),
            1 => {
                let x = r.pick(&v[1..]);
                ("write", x.clone(), x)
            }
            _ => {
                let x = json!([r.pick(&v[..4]), r.pick(&v[1..])]);
                ("cas", x.clone(), x)
            }
        }
    }

    fn plain_register_op(r: &mut Rng) -> (&'static str, Value, Value) {
        loop {
            let op = register_op(r);
            if op.0 != "cas" {
                return op;
            }
        }
    }

    pub(crate) fn kv_op(r: &mut Rng) -> (&'static str, Value, Value) {
        match r.below(3) {
            0 => (
                "get",
                json!(null),
                r.pick(&[
                    json!(""),
                    json!("x"),
                    json!("y"),
                    json!("xy"),
                    json!("yx"),
                    json!("xx"),
                ]),
            ),
            1 => {
                let v = r.pick(&[json!("x"), json!("y")]);
                ("put", v.clone(), v)
            }
            _ => {
                let v = r.pick(&[json!("x"), json!("y")]);
                ("append", v.clone(), v)
            }
        }
    }

    /// Appends and gets only: with no put pending, the search refutes
    /// configurations where a get can no longer fit.
    fn kv_append_op(r: &mut Rng) -> (&'static str, Value, Value) {
        loop {
            let op = kv_op(r);
            if op.0 != "put" {
                return op;
            }
        }
    }

    /// Texts that overlap (`ab` is `a` then `b`): with few writes per
    /// history they are often unique, so the unique-value fast path runs,
    /// and reads are made of the same texts, often ambiguously.
    const TEXTS: [&str; 5] = ["a", "b", "ab", "ba", "c"];

    pub(crate) fn kv_text_op(r: &mut Rng) -> (&'static str, Value, Value) {
        match r.below(3) {
            0 => {
                let parts = r.below(4);
                let read: String = (0..parts).map(|_| r.pick(&TEXTS)).collect();
                ("get", json!(null), json!(read))
            }
            1 => {
                let v = json!(r.pick(&TEXTS));
                ("put", v.clone(), v)
            }
            _ => {
                let v = json!(r.pick(&TEXTS));
                ("append", v.clone(), v)
            }
        }
    }

    fn set_op(r: &mut Rng) -> (&'static str, Value, Value) {
        if r.below(2) == 0 {
            let v = json!(r.below(3));
            ("add", v.clone(), v)
        } else {
            let seen: Vec<u64> = (0..3).filter(|_| r.below(2) == 0).collect();
            ("read", json!(null), json!(seen))
        }
    }

    fn queue_op(r: &mut Rng) -> (&'static str, Value, Value) {
        if r.below(2) == 0 {
            let v = json!(r.below(3));
            ("enqueue", v.clone(), v)
        } else {
            (
                "dequeue",
                json!(null),
                r.pick(&[json!(null), json!(0), json!(1), json!(2)]),
            )
        }
    }

    fn mutex_op(r: &mut Rng) -> (&'static str, Value, Value) {
        (r.pick(&["acquire", "release"]), json!(null), json!(null))
    }

    /// An invoked operation: f, argument, result if ok, key.
    type InFlight = (&'static str, Value, Value, Option<String>);

    /// A random concurrent history: up to 4 processes, up to 7 operations,
    /// completions ok / fail / info, and some left pending.
    pub(crate) fn random_history(seed: u64, gen: OpGen, keys: &[&str]) -> History {
        random_history_of(seed, gen, keys, 7)
    }

    /// As [`random_history`], with up to `max_ops` operations.
    pub(crate) fn random_history_of(seed: u64, gen: OpGen, keys: &[&str], max_ops: u64) -> History {
        let mut r = Rng(seed);
        let processes = 1 + r.below(4) as usize;
        let total = 1 + r.below(max_ops);
        let mut in_flight: Vec<Option<InFlight>> = vec![None; processes];
        let mut dead = vec![false; processes];
        let mut events = Vec::new();
        let mut started = 0;
        for _ in 0..200 {
            let p = r.below(processes as u64) as usize;
            let done =
                started == total && in_flight.iter().zip(&dead).all(|(f, d)| f.is_none() || *d);
            if done {
                break;
            }
            if dead[p] {
                continue;
            }
            match in_flight[p].take() {
                None if started < total => {
                    let (f, input, output) = gen(&mut r);
                    let key = (!keys.is_empty()).then(|| r.pick(keys).to_owned());
                    let mut op =
                        Op::new(Process::Client(p as u64), OpType::Invoke, f, input.clone());
                    op.key = key.clone();
                    events.push(op);
                    in_flight[p] = Some((f, input, output, key));
                    started += 1;
                }
                None => {}
                Some((f, input, output, key)) => {
                    let (kind, value) = match r.below(20) {
                        0..=13 => (OpType::Ok, output),
                        14..=16 => (OpType::Fail, input),
                        17..=18 => (OpType::Info, input),
                        _ => {
                            dead[p] = true; // left pending for ever
                            continue;
                        }
                    };
                    let mut op = Op::new(Process::Client(p as u64), kind, f, value);
                    op.key = key;
                    events.push(op);
                }
            }
        }
        History::from_events(events)
    }

    fn agree<M: Model>(
        model: &M,
        seed: u64,
        gen: OpGen,
        keys: &[&str],
    ) -> Result<bool, TestCaseError> {
        let history = random_history(seed, gen, keys);
        let expected = is_linearizable(model, &history).unwrap();
        let got = check(model, &history, &Budget::default()).unwrap().valid;
        let want = if expected {
            Validity::Valid
        } else {
            Validity::Invalid
        };
        prop_assert_eq!(
            got,
            want,
            "model {} seed {} disagrees with brute force on:\n{}",
            model.name(),
            seed,
            history
                .events()
                .iter()
                .map(|e| serde_json::to_string(e).unwrap())
                .collect::<Vec<_>>()
                .join("\n")
        );
        Ok(expected)
    }

    fn cases() -> u32 {
        std::env::var("FAULTLINE_DIFF_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000)
    }

    macro_rules! differential {
        ($name:ident, $model:expr, $gen:expr, $keys:expr) => {
            #[test]
            fn $name() {
                let valid = std::cell::Cell::new(0u32);
                let mut runner =
                    proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(cases()));
                let result = runner.run(&any::<u64>(), |seed| {
                    valid.set(valid.get() + u32::from(agree(&$model, seed, $gen, $keys)?));
                    Ok(())
                });
                if let Err(e) = result {
                    panic!("{e}");
                }
                let (valid, n) = (valid.get(), cases());
                // Both verdicts must be well represented, or the test proves little.
                assert!(
                    valid > n / 10 && valid < n - n / 10,
                    "{valid} of {n} histories were linearizable"
                );
            }
        };
    }

    differential!(
        register_agrees_with_brute_force,
        RegisterModel { cas: false },
        plain_register_op,
        &[]
    );
    differential!(
        cas_register_agrees_with_brute_force,
        RegisterModel { cas: true },
        register_op,
        &["a", "b"]
    );
    differential!(
        cas_register_with_spread_values_agrees_with_brute_force,
        RegisterModel { cas: true },
        spread_register_op,
        &[]
    );
    differential!(kv_agrees_with_brute_force, KvModel, kv_op, &["a", "b"]);
    differential!(
        kv_append_only_agrees_with_brute_force,
        KvModel,
        kv_append_op,
        &["a"]
    );
    differential!(
        kv_unique_texts_agree_with_brute_force,
        KvModel,
        kv_text_op,
        &["a"]
    );
    differential!(set_agrees_with_brute_force, SetModel, set_op, &[]);
    differential!(queue_agrees_with_brute_force, QueueModel, queue_op, &[]);
    differential!(mutex_agrees_with_brute_force, MutexModel, mutex_op, &[]);

    /// The differential test above proves something only if the fast path
    /// runs in it: in many of its histories it drops or bounds a write.
    #[test]
    fn the_unique_value_fast_path_runs_in_the_differential_histories() {
        let (mut dropped, mut bounded, mut observed) = (0, 0, 0);
        for seed in 0..2000 {
            let history = random_history(seed, kv_text_op, &["a"]);
            let prepared = crate::linearizable::prepare(&KvModel, &history).unwrap();
            dropped += usize::from(prepared.narrowed.0 > 0);
            bounded += usize::from(prepared.narrowed.1 > 0);
            // Completed writes marked observed: the search refuses to leave
            // them in a state no read returns.
            observed += usize::from(
                prepared
                    .partitions
                    .iter()
                    .flat_map(|p| &p.entries)
                    .any(|e| e.observed && e.ret.is_some() && !KvModel.is_read_only(&e.input)),
            );
        }
        assert!(
            dropped > 100 && bounded > 8 && observed > 100,
            "{dropped} dropped, {bounded} bounded, {observed} with observed writes, of 2000"
        );
    }

    /// The register fast path runs in the differential histories above.
    #[test]
    fn the_register_fast_path_runs_in_the_differential_histories() {
        let (mut dropped, mut bounded) = (0, 0);
        for seed in 0..2000 {
            let history = random_history(seed, spread_register_op, &[]);
            let prepared =
                crate::linearizable::prepare(&RegisterModel { cas: true }, &history).unwrap();
            dropped += usize::from(prepared.narrowed.0 > 0);
            bounded += usize::from(prepared.narrowed.1 > 0);
        }
        assert!(
            dropped > 100 && bounded > 8,
            "{dropped} dropped, {bounded} bounded of 2000"
        );
    }

    #[test]
    #[ignore = "long: 100 000 cases per model; run with --ignored"]
    fn long_differential_run() {
        // Re-runs every differential test above with ten times the cases.
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "--test-threads", "2"])
            .args([
                "linearizable::brute_force::tests::register_agrees_with_brute_force",
                "linearizable::brute_force::tests::cas_register_agrees_with_brute_force",
                "linearizable::brute_force::tests::cas_register_with_spread_values_agrees_with_brute_force",
                "linearizable::brute_force::tests::kv_agrees_with_brute_force",
                "linearizable::brute_force::tests::kv_append_only_agrees_with_brute_force",
                "linearizable::brute_force::tests::kv_unique_texts_agree_with_brute_force",
                "linearizable::brute_force::tests::set_agrees_with_brute_force",
                "linearizable::brute_force::tests::queue_agrees_with_brute_force",
                "linearizable::brute_force::tests::mutex_agrees_with_brute_force",
            ])
            .env("FAULTLINE_DIFF_CASES", "100000")
            .status()
            .unwrap();
        assert!(status.success());
    }
}
