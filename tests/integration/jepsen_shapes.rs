//! Real Jepsen histories in every shape their nemesis events take: `:info`
//! alone (no `:invoke`, as Jepsen's own nemeses long logged them),
//! invoke/info pairs, `:process :nemesis` in vectors, lists and records,
//! other non-client processes, and Elle's `:txn` histories. Each gets the
//! verdict the same history has without the nemesis events, and its fault
//! windows are on the page (regression: such histories exited 254).

use crate::{reference_data, test_data};
use std::path::{Path, PathBuf};
use std::process::Command;

fn check(args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["check", "--json"])
        .args(args)
        .output()
        .expect("faultline runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = stdout
        .lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON line: {stdout}\n{stderr}"));
    (out.status.code(), json, stderr)
}

/// A Jepsen log line for the nemesis.
fn nemesis_line(kind: &str, f: &str, value: &str) -> String {
    format!("INFO  jepsen.util - :nemesis\t:{kind}\t:{f}\t{value}")
}

/// The client lines of a Jepsen log turned into EDN maps.
fn edn_maps(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| line.split_once("jepsen.util - "))
        .map(|(_, rest)| {
            let mut parts = rest.splitn(4, '\t');
            let (p, t, f) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let value = parts.next().unwrap_or("nil").trim();
            format!("{{:process {p}, :type {t}, :f {f}, :value {value}}}")
        })
        .collect()
}

/// Inserts `marks` after a third and after two thirds of `lines`.
fn with_faults(lines: &[String], start: &[String], stop: &[String]) -> Vec<String> {
    let (a, b) = (lines.len() / 3, lines.len() * 2 / 3);
    let mut out = lines[..a].to_vec();
    out.extend(start.iter().cloned());
    out.extend(lines[a..b].iter().cloned());
    out.extend(stop.iter().cloned());
    out.extend(lines[b..].iter().cloned());
    out
}

fn write(dir: &Path, name: &str, text: String) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn nemesis_events_of_every_jepsen_shape_are_fault_markers() {
    let scratch =
        std::env::temp_dir().join(format!("faultline-jepsen-shapes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).unwrap();
    for base in ["etcd_001.log", "etcd_002.log"] {
        let source = reference_data().join("jepsen-etcd").join(base);
        let (code, plain, _) = check(&["--format", "jepsen-log", source.to_str().unwrap()]);
        let log = std::fs::read_to_string(&source).unwrap();
        let lines: Vec<String> = log.lines().map(str::to_owned).collect();
        let info_only = with_faults(
            &lines,
            &[nemesis_line(
                "info",
                "start",
                "\"Cut off {:n1 #{:n2 :n3}}\"",
            )],
            &[nemesis_line("info", "stop", "\"fully connected\"")],
        );
        let pairs = with_faults(
            &lines,
            &[
                nemesis_line("invoke", "start", "nil"),
                nemesis_line("info", "start", "[:isolated {:n1 #{:n2}}]"),
            ],
            &[
                nemesis_line("invoke", "stop", "nil"),
                nemesis_line("info", "stop", ":network-healed"),
            ],
        );
        let maps = edn_maps(&log);
        let edn_start =
            "{:process :nemesis, :type :info, :f :start, :value [:isolated {\"n1\" #{\"n2\"}}]}"
                .to_owned();
        let edn_stop = "{:process :nemesis, :type :info, :f :stop, :value nil}".to_owned();
        let edn_lines = with_faults(
            &maps,
            std::slice::from_ref(&edn_start),
            std::slice::from_ref(&edn_stop),
        );
        let records: Vec<String> = with_faults(
            &maps,
            &[
                "{:process :nemesis, :type :invoke, :f :start, :value nil}".to_owned(),
                edn_start.clone(),
            ],
            &[edn_stop.replace(":nemesis", ":nemesis-2")],
        )
        .into_iter()
        .map(|m| format!("#jepsen.history.Op{m}"))
        .collect();
        let variants: Vec<(&str, PathBuf)> = vec![
            (
                "jepsen-log",
                write(&scratch, "info-only.log", info_only.join("\n") + "\n"),
            ),
            (
                "jepsen-log",
                write(&scratch, "pairs.log", pairs.join("\n") + "\n"),
            ),
            (
                "edn",
                write(&scratch, "lines.edn", edn_lines.join("\n") + "\n"),
            ),
            (
                "edn",
                write(
                    &scratch,
                    "vector.edn",
                    format!("[{}]\n", edn_lines.join("\n ")),
                ),
            ),
            (
                "edn",
                write(
                    &scratch,
                    "list.edn",
                    format!("({})\n", edn_lines.join("\n ")),
                ),
            ),
            (
                "edn",
                write(&scratch, "records.edn", records.join("\n") + "\n"),
            ),
        ];
        for (format, file) in &variants {
            let report = scratch.join(format!(
                "report-{base}-{}",
                file.file_name().unwrap().to_string_lossy()
            ));
            let (got, json, stderr) = check(&[
                "--format",
                format,
                "--report",
                report.to_str().unwrap(),
                file.to_str().unwrap(),
            ]);
            assert_eq!(got, code, "{base} as {}: {stderr}", file.display());
            assert_eq!(
                json["valid"],
                plain["valid"],
                "{base} as {}",
                file.display()
            );
            assert_eq!(
                json["ops"],
                plain["ops"],
                "{base} as {}: the same client operations",
                file.display()
            );
            let timeline = std::fs::read_to_string(report.join("timeline.js")).unwrap();
            assert!(
                timeline.contains("\"kind\":\"fault\""),
                "{base} as {}: the fault window is drawn",
                file.display()
            );
            let page = std::fs::read_to_string(report.join("index.html")).unwrap();
            assert!(
                page.contains("Faults applied (2)"),
                "{base} as {}",
                file.display()
            );
        }
    }
    // Elle's transactions, with the nemesis in both shapes: still G-single.
    let elle = std::fs::read_to_string(test_data("list-append-g-single.edn")).unwrap();
    let lines: Vec<String> = elle.lines().map(str::to_owned).collect();
    let (code, plain, _) = check(&[
        "--checker",
        "list-append",
        "--format",
        "edn",
        test_data("list-append-g-single.edn").to_str().unwrap(),
    ]);
    let marked = with_faults(
        &lines,
        &["{:process :nemesis, :type :info, :f :start-partition, :value :majority}".to_owned()],
        &["{:type :info, :process :nemesis, :f :stop-partition, :value nil}".to_owned()],
    );
    let file = write(&scratch, "elle.edn", marked.join("\n") + "\n");
    let (got, json, stderr) = check(&[
        "--checker",
        "list-append",
        "--format",
        "edn",
        file.to_str().unwrap(),
    ]);
    assert_eq!((got, &json["valid"]), (code, &plain["valid"]), "{stderr}");
    assert_eq!(json["counts"], plain["counts"]);
    std::fs::remove_dir_all(&scratch).unwrap();
}

#[test]
fn a_client_completion_without_invocation_is_a_warning_not_an_error() {
    let scratch = std::env::temp_dir().join(format!("faultline-orphan-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let text = "INFO  jepsen.util - 3\t:ok\t:read\t1\nINFO  jepsen.util - 0\t:invoke\t:write\t1\nINFO  jepsen.util - 0\t:ok\t:write\t1\n";
    let file = write(&scratch, "orphan.log", text.to_owned());
    let (code, json, stderr) = check(&["--format", "jepsen-log", file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(json["ops"], 1);
    assert!(
        stderr.contains("line 1: process 3 completes (ok) an operation it never invoked; skipped"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&scratch).unwrap();
}
