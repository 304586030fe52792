//! What `check` says of the reference histories and the test data, word
//! for word, is what `tests/data/reference/words.txt` holds: the verdicts
//! and their explanations do not change unless on purpose. Timings are
//! left out (`N ms`). After a change meant to alter the words, review the
//! difference and accept it with `FAULTLINE_BLESS=1`; to compare another
//! build's words (the commit before a refactoring), point
//! `FAULTLINE_WORDS_BIN` at its binary.

use std::path::PathBuf;
use std::process::Command;

/// Each `check` whose words are kept: arguments, then files below tests/data.
const CHECKS: &[(&[&str], &[&str])] = &[
    (
        &["--model", "cas-register"],
        &["reference/jepsen-etcd/*.log"],
    ),
    (&["--model", "kv"], &["reference/kv/*.txt"]),
    (&["--model", "kv", "--json"], &["reference/kv/*.txt"]),
    (&["--checker", "list-append"], &["list-append-g-single.edn"]),
    (
        &["--checker", "list-append", "--json"],
        &["list-append-g-single.edn"],
    ),
    (&["--checker", "set"], &["set-stale.edn"]),
    (
        &["--checker", "bank", "--bank-accounts", "8"],
        &["bank-wrong-total.edn"],
    ),
    (&["--checker", "unique-ids"], &["unique-ids-duplicate.edn"]),
    (&["--checker", "stream"], &["redis-sentinel-stream.jsonl"]),
    (&[], &["stale-read.jsonl", "concurrent-ok.jsonl"]),
    (&["--json"], &["stale-read.jsonl"]),
];

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// `dir/*.ext`'s files, sorted, as paths relative to tests/data.
fn expand(pattern: &str) -> Vec<String> {
    let Some((dir, suffix)) = pattern.split_once("/*") else {
        return vec![pattern.to_owned()];
    };
    let mut names: Vec<String> = std::fs::read_dir(data().join(dir))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(suffix))
        .map(|n| format!("{dir}/{n}"))
        .collect();
    names.sort();
    names
}

/// `12.3 ms` → `N ms`.
fn without_timings(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let mut out = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let number = word.trim_start_matches('(');
        let is_time = words.get(i + 1).is_some_and(|next| next.starts_with("ms"))
            && !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit() || c == '.');
        if is_time {
            out.push(format!("{}N", &word[..word.len() - number.len()]));
        } else {
            out.push((*word).to_owned());
        }
    }
    out.join(" ")
}

/// A JSON line with every `*_ms` field zeroed.
fn json_without_timings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if key.ends_with("_ms") {
                    *field = serde_json::json!(0);
                } else {
                    json_without_timings(field);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(json_without_timings),
        _ => {}
    }
}

fn words() -> String {
    let mut out = String::new();
    for (args, files) in CHECKS {
        let files: Vec<String> = files.iter().flat_map(|f| expand(f)).collect();
        out += &format!("$ faultline check {} {}\n", args.join(" "), files.join(" "));
        let binary = std::env::var_os("FAULTLINE_WORDS_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_faultline").into());
        let output = Command::new(binary)
            .current_dir(data())
            .arg("check")
            .args(*args)
            .args(&files)
            .output()
            .unwrap();
        out += &format!("exit {}\n", output.status.code().unwrap_or(-1));
        let text = String::from_utf8_lossy(&output.stdout);
        for line in text.lines() {
            match serde_json::from_str::<serde_json::Value>(line) {
                Ok(mut json) if json.is_object() => {
                    json_without_timings(&mut json);
                    out += &json.to_string();
                }
                _ => out += &without_timings(line),
            }
            out.push('\n');
        }
    }
    out
}

#[test]
fn the_words_on_the_reference_histories_are_the_kept_ones() {
    let kept_path = data().join("reference/words.txt");
    let now = words();
    if std::env::var_os("FAULTLINE_BLESS").is_some() {
        std::fs::write(&kept_path, &now).unwrap();
        return;
    }
    let kept = std::fs::read_to_string(&kept_path).unwrap();
    if let Some((i, (a, b))) = kept
        .lines()
        .zip(now.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
    {
        panic!(
            "words.txt line {}:\n  kept: {a}\n  now:  {b}\n(if the change is meant, accept it: FAULTLINE_BLESS=1 cargo test --test integration reference_words)",
            i + 1
        );
    }
    assert_eq!(
        kept.lines().count(),
        now.lines().count(),
        "as many lines as kept"
    );
    // The words say something: verdicts of both kinds, explained.
    assert!(now.contains("INVALID") && now.contains(": valid"), "{now}");
    assert!(now.contains("cannot linearize"), "{now}");
}
