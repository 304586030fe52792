//! `check --report DIR` then `analyze DIR`: the same verdict, exit code and
//! explanation for every checker and model, because test.json records the
//! checker and model that judged the history (regression: `analyze` used to
//! re-check every report as a cas-register).

use crate::{reference_data, test_data};
use std::process::Command;

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("faultline runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// The explanation lines `check` prints for a failure (counterexample or
/// anomalies), which `analyze` must print too.
fn explanation(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            l.starts_with("  cannot linearize:")
                || l.starts_with("  key:")
                || l.starts_with("  anomalies:")
                || l.starts_with("  rules out:")
        })
        .map(str::to_owned)
        .collect()
}

fn op(index: u64, process: u64, kind: &str, f: &str, value: &str) -> String {
    format!(
        r#"{{"index":{index},"time":{},"process":{process},"type":"{kind}","f":"{f}","value":{value}}}"#,
        index * 1000
    )
}

#[test]
fn analyze_rechecks_a_report_with_the_checker_and_model_that_made_it() {
    let scratch = std::env::temp_dir().join(format!("faultline-reanalysis-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    let lines = |ops: &[(u64, &str, &str, &str)]| -> Vec<String> {
        ops.iter()
            .enumerate()
            .map(|(i, (p, kind, f, v))| op(i as u64, *p, kind, f, v))
            .collect()
    };
    let as_refs =
        |v: &Vec<String>| v.iter().map(String::as_str).collect::<Vec<_>>().join("\n") + "\n";
    let set_bad = lines(&[
        (0, "invoke", "add", "1"),
        (0, "ok", "add", "1"),
        (1, "invoke", "read", "null"),
        (1, "ok", "read", "[]"),
    ]);
    let queue_bad = lines(&[
        (0, "invoke", "enqueue", "1"),
        (0, "ok", "enqueue", "1"),
        (1, "invoke", "dequeue", "null"),
        (1, "ok", "dequeue", "2"),
    ]);
    let mutex_bad = lines(&[
        (0, "invoke", "acquire", "null"),
        (0, "ok", "acquire", "null"),
        (1, "invoke", "acquire", "null"),
        (1, "ok", "acquire", "null"),
    ]);
    // A non-repeatable read inside a transaction: read committed allows it,
    // strict serializability does not.
    let internal = lines(&[
        (0, "invoke", "txn", r#"[["r","x",null],["r","x",null]]"#),
        (1, "invoke", "txn", r#"[["append","x",1]]"#),
        (1, "ok", "txn", r#"[["append","x",1]]"#),
        (0, "ok", "txn", r#"[["r","x",[]],["r","x",[1]]]"#),
    ]);
    let lost_update = lines(&[
        (0, "invoke", "txn", r#"[["r","x",null],["w","x",1]]"#),
        (1, "invoke", "txn", r#"[["r","x",null],["w","x",2]]"#),
        (0, "ok", "txn", r#"[["r","x",null],["w","x",1]]"#),
        (1, "ok", "txn", r#"[["r","x",null],["w","x",2]]"#),
    ]);
    let file = |name: &str, text: &Vec<String>| {
        let f = scratch.join(name);
        std::fs::write(&f, as_refs(text)).unwrap();
        f.display().to_string()
    };
    let etcd = reference_data()
        .join("jepsen-etcd/etcd_001.log")
        .display()
        .to_string();
    let kv_bad = reference_data()
        .join("kv/c01-bad.txt")
        .display()
        .to_string();
    let kv_ok = reference_data().join("kv/c01-ok.txt").display().to_string();
    let g_single = test_data("list-append-g-single.edn").display().to_string();
    let stale = test_data("stale-read.jsonl").display().to_string();
    let cases: Vec<(Vec<String>, i32)> = vec![
        (vec!["--format".into(), "jepsen-log".into(), etcd], 1),
        (vec!["--model".into(), "register".into(), stale], 1),
        (
            vec![
                "--model".into(),
                "kv".into(),
                "--format".into(),
                "kv-edn".into(),
                kv_bad,
            ],
            1,
        ),
        (
            vec![
                "--model".into(),
                "kv".into(),
                "--format".into(),
                "kv-edn".into(),
                kv_ok,
            ],
            0,
        ),
        (
            vec!["--model".into(), "set".into(), file("set.jsonl", &set_bad)],
            1,
        ),
        (
            vec![
                "--model".into(),
                "queue".into(),
                file("queue.jsonl", &queue_bad),
            ],
            1,
        ),
        (
            vec![
                "--model".into(),
                "mutex".into(),
                file("mutex.jsonl", &mutex_bad),
            ],
            1,
        ),
        (
            vec![
                "--checker".into(),
                "list-append".into(),
                "--format".into(),
                "edn".into(),
                g_single,
            ],
            1,
        ),
        (
            vec![
                "--checker".into(),
                "list-append".into(),
                "--consistency-model".into(),
                "read-committed".into(),
                file("internal.jsonl", &internal),
            ],
            0,
        ),
        (
            vec![
                "--checker".into(),
                "list-append".into(),
                file("internal-strict.jsonl", &internal),
            ],
            1,
        ),
        (
            vec![
                "--checker".into(),
                "rw-register".into(),
                "--consistency-model".into(),
                "repeatable-read".into(),
                file("lost.jsonl", &lost_update),
            ],
            1,
        ),
        (
            vec![
                "--checker".into(),
                "rw-register".into(),
                "--consistency-model".into(),
                "read-committed".into(),
                file("lost-rc.jsonl", &lost_update),
            ],
            0,
        ),
    ];
    for (i, (args, expected)) in cases.iter().enumerate() {
        let dir = scratch.join(format!("report-{i}"));
        let dir_s = dir.display().to_string();
        let mut check_args = vec!["check", "--report", &dir_s];
        check_args.extend(args.iter().map(String::as_str));
        let (check_code, check_text) = run(&check_args);
        assert_eq!(check_code, Some(*expected), "check {args:?}:\n{check_text}");
        let (analyze_code, analyze_text) = run(&["analyze", &dir_s]);
        assert_eq!(
            analyze_code, check_code,
            "analyze after check {args:?}:\n{check_text}\n---\n{analyze_text}"
        );
        let (said, again) = (explanation(&check_text), explanation(&analyze_text));
        assert_eq!(
            said, again,
            "check {args:?} and analyze explain differently"
        );
        if *expected == 1 {
            assert!(
                !said.is_empty(),
                "check {args:?} explains nothing:\n{check_text}"
            );
        }
    }
    std::fs::remove_dir_all(&scratch).unwrap();
}

/// A run directory too large to hold whole is read back key by key; the
/// verdict, counts and explanation (every event position, the final-read
/// mark) are the ones the whole history gives.
#[test]
fn analyze_key_by_key_tells_what_the_whole_history_tells() {
    let scratch =
        std::env::temp_dir().join(format!("faultline-reanalysis-keyed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let mut lines: Vec<String> = Vec::new();
    let mut event = |process: &str, kind: &str, f: &str, value: &str, key: Option<&str>| {
        let i = lines.len();
        let key = key.map_or(String::new(), |k| format!(r#","key":"{k}""#));
        lines.push(format!(
            r#"{{"index":{i},"time":{},"process":{process},"type":"{kind}","f":"{f}","value":{value}{key}}}"#,
            (i as u64 + 1) * 1_000_000
        ));
    };
    let mut next = 1;
    for round in 0..30 {
        if round == 10 {
            event(r#""nemesis""#, "invoke", "start-partition", "null", None);
            event(
                r#""nemesis""#,
                "info",
                "start-partition",
                r#"{"partition":"[n1] | [n2 n3]"}"#,
                None,
            );
        }
        if round == 20 {
            event(r#""nemesis""#, "invoke", "stop-partition", "null", None);
            event(
                r#""nemesis""#,
                "info",
                "stop-partition",
                r#""network healed""#,
                None,
            );
        }
        for (p, key) in ["a", "b", "c"].iter().enumerate() {
            let v = next.to_string();
            next += 1;
            event(&p.to_string(), "invoke", "write", &v, Some(key));
            event(&p.to_string(), "ok", "write", &v, Some(key));
        }
    }
    event(r#""nemesis""#, "invoke", "final-reads", "null", None);
    event(r#""nemesis""#, "info", "final-reads", "null", None);
    // Key b's final read returns a value overwritten long before.
    for (p, key, seen) in [(3, "a", "88"), (4, "b", "5"), (5, "c", "90")] {
        event(&p.to_string(), "invoke", "read", "null", Some(key));
        event(&p.to_string(), "ok", "read", seen, Some(key));
    }
    let stale_read = lines.len() - 4;
    let test = r#"{"name":"keyed","workload":"register","nodes":[],"seed":1,"check":{"checker":"linearizable","model":"cas-register"}}"#;
    let mut results = Vec::new();
    for (name, extra) in [("whole", vec![]), ("keyed", vec!["--stream-above", "1K"])] {
        let dir = scratch.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("history.jsonl"), lines.join("\n") + "\n").unwrap();
        std::fs::write(dir.join("test.json"), test).unwrap();
        let mut args = vec!["analyze", dir.to_str().unwrap()];
        args.extend(extra);
        let (code, text) = run(&args);
        assert_eq!(code, Some(1), "{name}: {text}");
        assert!(dir.join("index.html").exists(), "{name}: {text}");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap())
                .unwrap();
        results.push((json, explanation(&text)));
    }
    let (whole, keyed) = (&results[0], &results[1]);
    let failing = &whole.0["checkers"]["linearizable"]["counterexample"]["failing_op"];
    assert_eq!(failing["invoke"], stale_read, "{failing}");
    assert_eq!(failing["final_read"], true, "{failing}");
    assert_eq!(failing["description"], "read → 5", "{failing}");
    for field in ["valid", "ops", "nemesis_events", "duration_s"] {
        assert_eq!(whole.0[field], keyed.0[field], "{field}");
    }
    assert_eq!(whole.0["nemesis_events"], 2);
    assert_eq!(
        whole.0["checkers"]["linearizable"],
        keyed.0["checkers"]["linearizable"]
    );
    assert_eq!(whole.1, keyed.1, "the same explanation printed");
    let _ = std::fs::remove_dir_all(&scratch);
}
