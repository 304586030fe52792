//! Every verdict in the reference histories' `expected.tsv` files is matched.

use crate::shared_data;
use faultline_checkers::linearizable::ModelKind;
use faultline_core::{Budget, Format, Validity};
use std::path::Path;
use std::time::Duration;

fn expected(dir: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(dir.join("expected.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(f, v)| (f.to_owned(), v.trim().to_owned()))
        .collect()
}

fn verdict(format: Format, model: ModelKind, path: &Path) -> Option<Validity> {
    let text = std::fs::read_to_string(path).unwrap();
    let history = format
        .parse(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .history;
    if history.is_empty() {
        return None;
    }
    let budget = Budget {
        time_limit: Some(Duration::from_secs(60)),
        ..Budget::default()
    };
    Some(model.check(&history, &budget).unwrap().valid)
}

fn check_all(dir: &Path, format: Format, model: ModelKind) -> usize {
    let mut mismatches = Vec::new();
    let cases = expected(dir);
    for (file, want) in &cases {
        let got = verdict(format, model, &dir.join(file));
        let ok = matches!(
            (want.as_str(), got),
            ("linearizable", Some(Validity::Valid))
                | ("not-linearizable", Some(Validity::Invalid))
                | ("empty", None)
        );
        if !ok {
            mismatches.push(format!("{file}: expected {want}, got {got:?}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    cases.len()
}

#[test]
fn every_jepsen_etcd_verdict_is_matched() {
    let n = check_all(
        &shared_data().join("jepsen-etcd"),
        Format::JepsenLog,
        ModelKind::CasRegister,
    );
    assert_eq!(n, 103);
}

#[test]
fn every_kv_verdict_is_matched() {
    let n = check_all(&shared_data().join("kv"), Format::KvEdn, ModelKind::Kv);
    assert_eq!(n, 6);
}

#[test]
fn an_invalid_kv_history_is_explained_by_its_shortest_failing_prefix() {
    let path = shared_data().join("kv/c50-bad.txt");
    let history = Format::KvEdn
        .parse(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .history;
    let analysis = ModelKind::Kv.check(&history, &Budget::default()).unwrap();
    let c = analysis
        .counterexample
        .expect("an invalid verdict comes with a counterexample");
    let failing = c.failing_op.expect("the operation that cannot be placed");
    let key = c.key.clone().expect("kv histories are checked per key");
    let window = c.window.expect("a failing window");
    assert!(
        window.from_event <= failing.invoke && failing.invoke <= window.to_event,
        "{window:?}"
    );
    assert!(
        window.op_count < analysis.ops,
        "the window is smaller than the history"
    );
    assert!(!c.partial_linearizations.is_empty());
    // The key's history cut just after the window fails; cut one event
    // earlier, it does not: the window's end is as early as it can be.
    let key_history = |end: usize| {
        let events = history.events()[..end]
            .iter()
            .filter(|e| e.key.as_deref() == Some(key.as_str()));
        faultline_core::History::from_events(events.cloned())
    };
    let verdict = |end| {
        ModelKind::Kv
            .check(&key_history(end), &Budget::default())
            .unwrap()
            .valid
    };
    assert_eq!(verdict(window.to_event + 1), Validity::Invalid);
    assert_eq!(verdict(window.to_event), Validity::Valid);
}

/// The hot histories (few keys, many processes, timed-out writes; see
/// `../shared/data/README.md`): never a wrong verdict, and, through the
/// unique-value fast path, a verdict on all but the 10-process one-key
/// file, which still ends unknown at its bound (here 5 s).
#[test]
fn hot_histories_are_judged_right_or_unknown() {
    let dir = shared_data().join("hot");
    let mut wrong = Vec::new();
    for (file, want) in expected(&dir) {
        let text = std::fs::read_to_string(dir.join(&file)).unwrap();
        let history = Format::KvEdn.parse(&text).unwrap().history;
        let still_open = file.starts_with("hot-5k-p10");
        let budget = Budget {
            time_limit: Some(Duration::from_secs(if still_open { 5 } else { 60 })),
            memory_limit: Some(4 << 30),
            ..Budget::default()
        };
        let got = ModelKind::Kv.check(&history, &budget).unwrap().valid;
        let right = match want.as_str() {
            "linearizable" => got == Validity::Valid,
            _ => got == Validity::Invalid,
        };
        if !(right || (still_open && got == Validity::Unknown)) {
            wrong.push(format!("{file}: expected {want}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}
