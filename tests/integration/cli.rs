//! The `faultline` command as a user runs it: verdicts, exit codes and
//! one-line errors.

use crate::{reference_data, test_data};
use std::process::{Command, Output};

fn faultline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("faultline runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_valid_history_exits_0() {
    let out = faultline(&["check", test_data("concurrent-ok.jsonl").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("valid (3 ops"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_stale_read_exits_1_and_names_it() {
    let out = faultline(&[
        "check",
        "--model",
        "register",
        test_data("stale-read.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("INVALID"), "{stdout}");
    assert!(
        stdout.contains("cannot linearize: process 2 on n5 `read → 1` (line 5)"),
        "{stdout}"
    );
}

#[test]
fn json_output_has_one_object_per_file_with_the_counterexample() {
    let dir = reference_data().join("jepsen-etcd");
    let files = [
        dir.join("etcd_000.log"),
        dir.join("etcd_002.log"),
        dir.join("etcd_095.log"),
    ];
    let mut args = vec!["check", "--json", "--format", "jepsen-log"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = faultline(&args);
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["valid"], false);
    assert!(
        lines[0]["counterexample"]["failing_op"]["description"].is_string(),
        "{}",
        lines[0]
    );
    assert!(lines[0]["ops"].as_u64().unwrap() > 0 && lines[0]["elapsed_ms"].is_number());
    assert_eq!(lines[1]["valid"], true);
    assert_eq!(lines[2]["valid"], "unknown");
    assert!(lines[2]["reason"].as_str().unwrap().contains("empty"));
    // invalid > unknown > valid
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn an_empty_history_is_unknown_and_exits_2() {
    let path = reference_data().join("jepsen-etcd/etcd_095.log");
    let out = faultline(&["check", "--format", "jepsen-log", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("the history is empty"));
}

#[test]
fn a_time_limit_too_short_gives_unknown_never_valid() {
    let path = reference_data().join("kv/c50-ok.txt");
    let out = faultline(&[
        "check",
        "--model",
        "kv",
        "--format",
        "kv-edn",
        "--time-limit",
        "0.000001",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("time limit"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn bad_input_exits_254_with_one_line_naming_file_and_line() {
    let bad = test_data("bad-type.jsonl");
    let out = faultline(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(254));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("bad-type.jsonl:2:") && stderr.contains("unknown variant `done`"),
        "{stderr}"
    );

    let out = faultline(&[
        "check",
        "--format",
        "jepsen-log",
        "/nonexistent/history.log",
    ]);
    assert_eq!(out.status.code(), Some(254));
    assert!(text(&out.stderr).contains("/nonexistent/history.log: cannot read"));

    let out = faultline(&["check", "--model", "regsiter", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(254));
    assert!(text(&out.stderr)
        .contains("unknown model `regsiter`; choose one of register, cas-register"));
}

#[test]
fn an_operation_the_model_does_not_know_is_bad_input() {
    let path = test_data("concurrent-ok.jsonl");
    let out = faultline(&["check", "--model", "queue", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(254));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 1: the queue model knows enqueue and dequeue, not `write`"),
        "{stderr}"
    );
}

#[test]
fn a_truncated_last_line_is_tolerated_with_a_warning() {
    let out = faultline(&[
        "check",
        "--model",
        "register",
        test_data("truncated.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("warning:") && text(&out.stderr).contains("line 3"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_list_append_history_from_elle_edn_names_its_anomaly_and_the_models_it_rules_out() {
    let file = test_data("list-append-g-single.edn");
    let file = file.to_str().unwrap();
    let out = faultline(&["check", "--checker", "list-append", "--format", "edn", file]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("INVALID: not strict-serializable"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "G-single: T0 < T1 because T0 read key x as [] and did not see T1's append of 1"
        ),
        "{stdout}"
    );
    // Read committed allows read skew.
    let out = faultline(&[
        "check",
        "--checker",
        "list-append",
        "--format",
        "edn",
        "--consistency-model",
        "read-committed",
        file,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    // JSON: the cycle as graph data.
    let out = faultline(&[
        "check",
        "--checker",
        "list-append",
        "--format",
        "edn",
        "--json",
        file,
    ]);
    let result: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(result["valid"], false);
    let cycle = &result["anomalies"][0]["cycle"];
    assert_eq!(cycle.as_array().unwrap().len(), 2);
    assert!(cycle.as_array().unwrap().iter().any(|e| e["label"] == "rw"));
    assert!(result["not"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!("serializable")));
    // A typo in the model is one line naming the choices.
    let out = faultline(&[
        "check",
        "--checker",
        "list-append",
        "--consistency-model",
        "serialisable",
        file,
    ]);
    assert_eq!(out.status.code(), Some(254));
    assert!(
        text(&out.stderr).contains("choose from read-uncommitted"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn junit_and_summary_json_have_one_case_per_file_and_are_well_formed() {
    let dir = std::env::temp_dir().join(format!("faultline-it-{}-junit", std::process::id()));
    let (junit, summary) = (dir.join("check.xml"), dir.join("summary.json"));
    let ok = test_data("concurrent-ok.jsonl");
    let stale = test_data("stale-read.jsonl");
    let out = faultline(&[
        "check",
        "--junit",
        junit.to_str().unwrap(),
        "--summary-json",
        summary.to_str().unwrap(),
        ok.to_str().unwrap(),
        stale.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("2"));
    assert_eq!(suite.attribute("failures"), Some("1"));
    let failed: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failed.len(), 1);
    let message = failed[0].attribute("message").unwrap();
    assert!(message.contains("not linearizable"), "{message}");
    // The body carries the explanation `check` prints: a CI log says why.
    let body = failed[0].text().unwrap_or_default();
    assert!(
        body.contains("cannot linearize: process") && body.contains("why: "),
        "{body}"
    );
    assert!(failed[0]
        .parent()
        .unwrap()
        .attribute("name")
        .unwrap()
        .ends_with("stale-read.jsonl"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(summary["exit_code"], 1);
    assert_eq!(summary["cases"][0]["outcome"], "passed");
    assert_eq!(summary["cases"][1]["outcome"], "failed");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn test_all_checks_every_combination_before_running_any() {
    let out = faultline(&[
        "test-all",
        "etcd",
        "--nodes",
        "n1,n2,n3",
        "--workloads",
        "register,apend",
        "--nemeses",
        "partition",
    ]);
    assert_eq!(out.status.code(), Some(254));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("invalid value 'apend'")
            && stderr.contains("a similar value exists: 'append'"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let out = faultline(&[
        "test-all",
        "etcd",
        "--nodes",
        "n1,n2",
        "--nemeses",
        "kill",
        "--nemeses",
        "clokc",
    ]);
    assert_eq!(out.status.code(), Some(254));
    assert!(text(&out.stderr).contains("unknown nemesis `clokc`"));
}

/// A scratch directory named for `test`, and the example etcd TOML's text.
fn etcd_example(test: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("faultline-it-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/examples/etcd.toml"),
    )
    .unwrap();
    (dir, example)
}

#[test]
fn validate_config_gives_one_line_naming_the_key() {
    let (dir, example) = etcd_example("config");
    let cases = [
        (example.clone(), None),
        (
            example.replace("health =", "healthcheck ="),
            Some("unknown field `healthcheck`"),
        ),
        (
            example.replace("{data_dir}", "{datadir}"),
            Some("db.start: unknown placeholder {datadir}"),
        ),
        (
            example.replace("name = \"register\"", "name = \"banks\""),
            Some("workload.name = \"banks\" is unknown"),
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let file = dir.join(format!("c{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let out = faultline(&["validate-config", file.to_str().unwrap()]);
        match expected {
            None => assert_eq!(out.status.code(), Some(0), "{}", text_of(&out.stderr)),
            Some(expected) => {
                assert_eq!(out.status.code(), Some(254));
                let stderr = text_of(&out.stderr);
                assert!(stderr.contains(expected), "{stderr}");
                assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Several mistakes in one file are every one said, a line each, each
/// naming the file: fixing them one run at a time is slow.
#[test]
fn validate_config_lists_every_problem_a_line_each() {
    let (dir, example) = etcd_example("config-all");
    let broken = example
        .replace("{data_dir}", "{datadir}")
        .replace("name = \"register\"", "name = \"banks\"")
        .replace("& echo $! > {pidfile}", "");
    let file = dir.join("broken.toml");
    std::fs::write(&file, broken).unwrap();
    let out = faultline(&["validate-config", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(254));
    let stderr = text_of(&out.stderr);
    let lines: Vec<&str> = stderr.trim().lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    for (line, problem) in lines.iter().zip([
        "{pidfile}",
        "unknown placeholder {datadir}",
        "\"banks\" is unknown",
    ]) {
        assert!(
            line.contains("broken.toml: ") && line.contains(problem),
            "{problem} in {line}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Regression: `faultline check ... | head -1` sometimes ended with exit 255
/// and "please report this" (println! panics on a closed pipe).
#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let dir = reference_data().join("jepsen-etcd");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path().display().to_string())
        .filter(|p| p.ends_with(".log"))
        .collect();
    files.sort();
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["check", "--format", "jepsen-log"])
        .args(&files)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is gone: every later line meets a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert!(first.contains("etcd_000.log"), "{first}");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("internal error"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

#[test]
fn a_mistyped_nemesis_option_is_one_line_with_the_choices() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--nemesis", "partition,clokc"],
            "a similar value exists: 'clock'",
        ),
        (
            &["--partition", "rng"],
            "[possible values: majority, one, ring, bridge, primaries, all]",
        ),
        (
            &["--packet", "jitter"],
            "[possible values: loss, delay, rate]",
        ),
        (
            &["--clock-strategy", "ntp"],
            "[possible values: faketime, real]",
        ),
    ];
    for (args, expected) in cases {
        let mut argv = vec!["test", "etcd", "--nodes", "n1,n2,n3"];
        argv.extend_from_slice(args);
        let out = faultline(&argv);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(254), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
    }
    // Node names are checked against the nodes, naming the option.
    let out = faultline(&[
        "test",
        "etcd",
        "--nodes",
        "n1,n2,n3",
        "--kill-targets",
        "n1+n9",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(254), "{stderr}");
    assert!(
        stderr.contains("--kill-targets: unknown target `n9`"),
        "{stderr}"
    );
}

/// A history still out of the search's reach: one key, 50 processes, 30%
/// of writes timed out, and written values that repeat (so no read tells
/// which write it saw), in faultline's JSON Lines; generated once per
/// test process.
fn out_of_reach_history() -> std::path::PathBuf {
    static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        // 5 000 operations: the search reaches a 3G bound only after about
        // 4 s, so the progress test sees a line at 2 s.
        let spec = faultline_checkers::linearizable::simulated::HotHistory {
            operations: 5_000,
            processes: 50,
            timeouts: 0.3,
            unique: false,
            ..Default::default()
        };
        let path = std::env::temp_dir().join(format!(
            "faultline-it-{}-out-of-reach.jsonl",
            std::process::id()
        ));
        let mut writer = faultline_core::HistoryWriter::create(&path).unwrap();
        for op in spec.generate().events() {
            writer.append(&mut op.clone()).unwrap();
        }
        writer.flush().unwrap();
        path
    })
    .clone()
}

/// `faultline check` of [`out_of_reach_history`], with `options`, under an
/// address-space cap (prlimit) so that a regression ends in an allocation
/// failure, not in the machine running out of memory.
fn check_hot_under_prlimit(address_space: &str, options: &[&str]) -> Output {
    std::process::Command::new("prlimit")
        .arg(format!("--as={address_space}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_faultline"))
        .args(["check", "--model", "kv"])
        .args(options)
        .arg(out_of_reach_history())
        .output()
        .expect("prlimit (util-linux) runs")
}

/// A search that would grow for ever (the hot history of the issue once
/// grew the checker to 14-22 GB; [`out_of_reach_history`] still does):
/// under `--memory-limit 400M` it must stop with `unknown` and the
/// reason. An address-space cap (prlimit) keeps a regression from taking
/// the machine down: it would end the test in an allocation failure.
#[test]
fn a_search_past_its_memory_limit_says_unknown_with_the_reason() {
    let out = check_hot_under_prlimit(
        "6000000000",
        &["--time-limit", "60", "--memory-limit", "400M", "--json"],
    );
    let stdout = text(&out.stdout);
    let result: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("{e}: {stdout} {}", text(&out.stderr)));
    assert_eq!(result["valid"], "unknown", "{result}");
    assert_eq!(out.status.code(), Some(2), "{result}");
    let reason = result["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("memory limit of 400 MiB reached") && reason.contains("--memory-limit"),
        "{reason}"
    );
}

/// A check that runs past a couple of seconds says so on stderr as it goes
/// (plain lines here: stderr is not a terminal), and still ends at its
/// time limit with `unknown`.
#[test]
fn a_long_check_reports_progress_as_it_goes() {
    let out = check_hot_under_prlimit("8000000000", &["--time-limit", "5", "--memory-limit", "3G"]);
    let stderr = text(&out.stderr);
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("checking") && l.contains("out-of-reach") && l.contains(" s, "))
        .collect();
    assert!(!progress.is_empty(), "no progress line: {stderr}");
    assert!(progress[0].contains("resident"), "{}", progress[0]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
}

/// Read key by key from disk (`--stream-above 1`), every reference kv and
/// hot history gets what it gets read whole: the verdict, the counts of
/// refuted and undecided keys, the keys named and explained, and the
/// explanations themselves (only the time taken differs). Key by key once
/// explained every refuted key and took 60 times as long.
#[test]
fn histories_read_key_by_key_get_what_read_whole_gives() {
    let mut files: Vec<String> = Vec::new();
    for dir in ["kv", "hot"] {
        let mut names: Vec<_> = std::fs::read_dir(reference_data().join(dir))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .map(|p| p.display().to_string())
            .collect();
        names.sort();
        files.extend(names);
    }
    let analyses = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["check", "--model", "kv", "--json"];
        args.extend_from_slice(extra);
        args.extend(files.iter().map(String::as_str));
        let out = faultline(&args);
        text(&out.stdout)
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("elapsed_ms");
                v
            })
            .collect()
    };
    let whole = analyses(&[]);
    let by_key = analyses(&["--stream-above", "1"]);
    assert_eq!(whole.len(), files.len());
    assert!(whole.iter().any(|v| v["valid"] == false), "{whole:?}");
    for (file, (whole, by_key)) in files.iter().zip(whole.iter().zip(&by_key)) {
        assert_eq!(whole, by_key, "{file}");
        if whole["valid"] == false {
            assert!(
                by_key["counterexample"]["key"].is_string(),
                "{file} explained"
            );
        }
    }
}

/// `test custom` refuses the options that would be ignored (etcd's, and
/// `--workload`, which the TOML names), each in one line saying where the
/// setting lives, before touching any node.
#[test]
fn test_custom_refuses_options_it_would_ignore() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/workloads/examples/etcd.toml");
    let fixed = format!("a TOML system names its workload in {example} ([workload] name = \"register\"); leave --workload");
    let cases = [
        (
            vec!["--workload", "append"],
            format!("--workload append: {fixed}"),
        ),
        (
            vec!["--workloads", "append"],
            "unexpected argument '--workloads'".to_owned(),
        ),
        // etcd's own options are etcd's alone: no other suite offers them.
        (
            vec!["--serializable-reads"],
            "unexpected argument '--serializable-reads'".to_owned(),
        ),
        (
            vec!["--etcd-binary", "/bin/true"],
            "unexpected argument '--etcd-binary'".to_owned(),
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["test", "custom", "--config", example];
        args.extend(extra);
        let out = faultline(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(254), "{stderr}");
        assert!(stderr.contains(&expected), "{expected:?} in {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    // test-all's matrix of workloads is refused the same way.
    let out = faultline(&[
        "test-all",
        "custom",
        "--config",
        example,
        "--workloads",
        "set",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(254), "{stderr}");
    assert!(
        stderr.contains(&format!("--workloads: {fixed}")),
        "{stderr}"
    );
}

#[test]
fn a_read_that_saw_half_a_transfer_breaks_the_bank_and_fail_info_and_pending_are_not_judged() {
    // Jepsen's bank shape (8 accounts holding 100, reads as maps): the
    // timed-out transfer 0→1 of 3 shows in one read as its credit without
    // its debit (103), then whole (100); a failed and a pending transfer
    // carry nothing to judge.
    let file = test_data("bank-wrong-total.edn");
    let file = file.to_str().unwrap();
    let bank = |extra: &[&str]| {
        let mut args = vec!["check", "--checker", "bank", "--bank-accounts", "8"];
        args.extend(extra);
        args.extend(["--format", "edn", file]);
        faultline(&args)
    };
    let out = bank(&["--bank-total", "100"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("INVALID: 1 read broke the bank (1 wrong-total) (3 reads; 1 transfers ok, 1 failed, 2 unknown; 1 bank(s) of 8 accounts holding 100, totals from 100 to 103)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the read invoked at line 11 returned")
            && stdout.contains("summing to 103"),
        "{stdout}"
    );
    // Held to the wrong total, every read is wrong: the flag is used.
    let out = bank(&["--bank-total", "50", "--json"]);
    let verdict: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(verdict["bad_reads"], 3, "{verdict}");
}

/// Each suite's help offers its own options and no other suite's; the
/// workload and fault lists come from their enums, every one named.
#[test]
fn each_suites_help_shows_what_applies_to_it() {
    let help = |suite: &str| text(&faultline(&["test", suite, "--help"]).stdout);
    let etcd = help("etcd");
    for option in ["--serializable-reads", "--etcd-binary"] {
        assert!(etcd.contains(option), "{option} in test etcd --help");
        for suite in ["redis", "postgres", "zookeeper", "custom"] {
            assert!(
                !help(suite).contains(option),
                "{option} in test {suite} --help"
            );
        }
    }
    let served = faultline_systems::find("etcd").unwrap().workloads();
    assert!(!etcd.contains("- stream:"), "etcd has no stream client");
    for workload in served {
        assert!(
            etcd.contains(&format!("- {workload}:")),
            "{workload} in {etcd}"
        );
    }
    for fault in [
        "partition",
        "kill",
        "pause",
        "clock",
        "packet",
        "disk",
        "member",
        "all",
        "none",
    ] {
        assert!(etcd.contains(&format!("- {fault}:")), "{fault} in {etcd}");
    }
    assert!(help("redis").contains("--sentinel") && !etcd.contains("--sentinel"));
}

/// A suite offers the workloads its client serves and refuses the others
/// in one line that lists what it offers, in `test` and in `test-all`.
#[test]
fn a_suite_offers_only_the_workloads_its_client_serves() {
    for system in faultline_systems::SYSTEMS {
        let served: Vec<String> = system.workloads().iter().map(|w| w.to_string()).collect();
        let offered = format!("[possible values: {}]", served.join(", "));
        let refused = faultline_workloads::WorkloadKind::ALL
            .into_iter()
            .filter(|w| !system.workloads().contains(w));
        for workload in refused {
            for (command, option) in [("test", "--workload"), ("test-all", "--workloads")] {
                let name = workload.to_string();
                let nodes = if system.takes_node_options() {
                    ["--nodes", "a"]
                } else {
                    ["--config", "system.toml"]
                };
                let mut args = vec![command, system.name()];
                args.extend(nodes);
                args.extend([option, name.as_str()]);
                let out = faultline(&args);
                let stderr = text(&out.stderr);
                assert_eq!(
                    out.status.code(),
                    Some(254),
                    "{command} {}: {stderr}",
                    system.name()
                );
                assert!(
                    stderr.contains(&format!("invalid value '{name}' for '{option}"))
                        && stderr.contains(&offered),
                    "{offered} in {stderr}"
                );
                assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
            }
        }
    }
    let zookeeper = faultline_systems::find("zookeeper").unwrap().workloads();
    assert!(!zookeeper.contains(&faultline_workloads::WorkloadKind::Append));
}

#[test]
fn an_id_acknowledged_twice_refutes_unique_ids_and_fail_info_and_pending_give_none() {
    // Jepsen's unique-ids shape: id 2 acknowledged to process 1 twice,
    // the second time after a kill; a timed-out, a failed and a pending generate
    // carry no id.
    let file = test_data("unique-ids-duplicate.edn");
    let file = file.to_str().unwrap();
    let out = faultline(&["check", "--checker", "unique-ids", "--format", "edn", file]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("INVALID: 1 id handed out twice or more (6 generates, 3 acknowledged, 1 generator(s), ids from 1 to 2)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("id 2 handed out to the generates invoked at line 2, line 11"),
        "{stdout}"
    );
    let json = faultline(&[
        "check",
        "--checker",
        "unique-ids",
        "--format",
        "edn",
        "--json",
        file,
    ]);
    let verdict: serde_json::Value = serde_json::from_str(text(&json.stdout).trim()).unwrap();
    assert_eq!(
        verdict["duplicates"][0]["operations"],
        serde_json::json!([1, 10]),
        "{verdict}"
    );
}

#[test]
fn a_redis_sentinel_stream_history_shows_its_lost_writes_and_split_brain_skip() {
    // Two streams of a real run (test redis --sentinel --workload stream
    // --nemesis partition --partition primaries --nemesis-interval 10
    // --seed 116), checked by hand: q0.403 lived on n1 while n1 was cut
    // off (52.3 s to 60.0 s); n1 was then made a replica of the new
    // primary and dropped it, so its final reads from the start are empty.
    // In q1.243, process 3 and process 4 wrote to two primaries at once.
    let file = test_data("redis-sentinel-stream.jsonl");
    let file = file.to_str().unwrap();
    let out = faultline(&["check", "--checker", "stream", file]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    for expected in [
        "INVALID: 7 lost-write, 1 unseen, 136 vanished, 1 poll-skip (264 sent, 264 acknowledged, 137 polls read 802 messages, 0 never read; 2 stream(s))",
        "lost-write: 266580 in stream q0.403 at offset 1796696447549-0: sent at line 525, acknowledged at line 526; the poll at line 799 on n3 read past it",
        "poll-skip: the consumer's poll at line 369 on n2 in stream q1.243 read offset 1796696425936-0 straight after what it read at line 360, skipping 1 message(s): 161043",
    ] {
        assert!(stdout.contains(expected), "{expected} in {stdout}");
    }
    // Where reads may lag, a read from the start that misses messages
    // does not refute; the lost writes and the skip still do.
    let relaxed = faultline(&["check", "--checker", "stream", "--allow-stale-reads", file]);
    let relaxed = text(&relaxed.stdout);
    assert!(
        relaxed.contains("INVALID: 7 lost-write, 1 poll-skip")
            && relaxed.contains("allowed, as reads may lag: 1 unseen")
            && relaxed.contains("allowed, as reads may lag: 136 vanished"),
        "{relaxed}"
    );
}

#[test]
fn a_set_read_that_misses_an_acknowledged_element_is_stale_unless_reads_may_lag() {
    // Jepsen's set-full shape: element 2 acknowledged at 4 ms, missed by
    // the read begun at 6 ms, seen by the next; element 3's add timed out
    // and no read saw it.
    let file = test_data("set-stale.edn");
    let file = file.to_str().unwrap();
    let out = faultline(&["check", "--checker", "set", "--format", "edn", file]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(
            "INVALID: 1 stale (3 added, 2 acknowledged, 2 stable, 0 lost, 1 stale, 1 never read"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("stale: 2: added at line 3 (acknowledged), missed by the read at line 6"),
        "{stdout}"
    );
    let relaxed = faultline(&[
        "check",
        "--checker",
        "set",
        "--allow-stale-reads",
        "--format",
        "edn",
        file,
    ]);
    assert_eq!(relaxed.status.code(), Some(0), "{}", text(&relaxed.stdout));
    let json = faultline(&[
        "check",
        "--checker",
        "set",
        "--format",
        "edn",
        "--json",
        file,
    ]);
    let verdict: serde_json::Value = serde_json::from_str(text(&json.stdout).trim()).unwrap();
    assert_eq!(
        verdict["stale"]["elements"][0]["latency_ms"], 2.0,
        "{verdict}"
    );
    // Another workload's history is named, not misread.
    let register = faultline(&[
        "check",
        "--checker",
        "set",
        test_data("stale-read.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(register.status.code(), Some(254));
    assert!(
        text(&register.stderr).contains("knows `add` and `read`, not `write`"),
        "{}",
        text(&register.stderr)
    );
}

/// The verdicts in `dir/expected.tsv`, by file name.
fn published_verdicts(dir: &std::path::Path) -> Vec<(String, serde_json::Value)> {
    let text = std::fs::read_to_string(dir.join("expected.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t'))
        .map(|(file, verdict)| {
            let valid = match verdict.trim() {
                "linearizable" => serde_json::json!(true),
                "not-linearizable" => serde_json::json!(false),
                _ => serde_json::json!("unknown"),
            };
            (file.to_owned(), valid)
        })
        .collect()
}

/// Without `--format`, every reference history is read in its own format
/// (told from its first lines) and gets its published verdict.
#[test]
fn every_reference_history_gets_its_verdict_without_format() {
    for (set, model) in [("jepsen-etcd", "cas-register"), ("kv", "kv")] {
        let dir = reference_data().join(set);
        let cases = published_verdicts(&dir);
        let paths: Vec<String> = cases
            .iter()
            .map(|(file, _)| dir.join(file).display().to_string())
            .collect();
        let mut args = vec!["check", "--json", "--model", model];
        args.extend(paths.iter().map(String::as_str));
        let out = faultline(&args);
        assert!(out.status.code() == Some(1), "{}", text(&out.stderr));
        let lines: Vec<serde_json::Value> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), cases.len(), "{}", text(&out.stderr));
        for ((file, want), line) in cases.iter().zip(&lines) {
            assert_eq!(&line["valid"], want, "{set}/{file}: {line}");
            if line["ops"].as_u64() != Some(0) {
                let format = if set == "kv" { "kv-edn" } else { "jepsen-log" };
                assert_eq!(line["format"], format, "{set}/{file}");
            }
        }
    }
}

/// A misspelled field once read as a missing one (`"valeu"`: a read of
/// nil) and turned a valid history INVALID without a word.
#[test]
fn a_misspelled_field_is_an_error_naming_line_and_field_never_a_verdict() {
    let dir = std::env::temp_dir().join(format!("faultline-typo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let valid = "{\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"value\":1}\n\
                 {\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"value\":1}\n\
                 {\"process\":1,\"type\":\"invoke\",\"f\":\"read\",\"value\":null}\n\
                 {\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"value\":1}\n";
    let original = dir.join("original.jsonl");
    let typo = dir.join("typo.jsonl");
    std::fs::write(&original, valid).unwrap();
    let mut typo_lines: Vec<String> = valid.lines().map(str::to_owned).collect();
    typo_lines[3] = typo_lines[3].replace("\"value\"", "\"valeu\"");
    std::fs::write(&typo, typo_lines.join("\n") + "\n").unwrap();
    let out = faultline(&["check", original.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = faultline(&["check", typo.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(254), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("typo.jsonl:4:") && stderr.contains("`valeu`"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Input that is not a history in the format asked for is bad input (254),
/// with the format it looks like; never an empty history (unknown, 2).
#[test]
fn a_file_in_another_format_exits_254_naming_the_one_that_fits() {
    let kv = reference_data().join("kv/c01-ok.txt");
    let out = faultline(&["check", "--format", "jepsen-log", kv.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(254), "{stderr}");
    assert!(
        stderr.contains("not a Jepsen log") && stderr.contains("--format kv-edn"),
        "{stderr}"
    );
    let out = faultline(&["check", "--format", "jsonl", kv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(254));
    assert!(
        text(&out.stderr).contains("looks like kv-edn"),
        "{}",
        text(&out.stderr)
    );
    // Not a history at all, and no newline at its end: not "interrupted".
    let hello = std::env::temp_dir().join(format!("faultline-hello-{}", std::process::id()));
    std::fs::write(&hello, "hello").unwrap();
    for format in [None, Some("jsonl")] {
        let mut args = vec!["check"];
        args.extend(format.map(|f| ["--format", f]).into_iter().flatten());
        args.push(hello.to_str().unwrap());
        let out = faultline(&args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(254), "{format:?}: {stderr}");
        assert!(!stderr.contains("interrupted"), "{stderr}");
    }
    std::fs::remove_file(&hello).unwrap();
    // A model that does not know the history's operations names the one that does.
    let out = faultline(&["check", kv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(254));
    assert!(
        text(&out.stderr).contains("--model kv"),
        "{}",
        text(&out.stderr)
    );
}
