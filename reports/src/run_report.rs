//! `<run-dir>/index.html`: one run, summary first — the verdict of each
//! checker, the configuration and the command to reproduce it, nodes,
//! duration, operations by outcome — then every fault applied, the
//! checker's explanation (counterexample or anomalies), and links to the
//! raw history, results and node logs. Built from the run directory's files
//! alone, so it can be rebuilt any time and opened from disk.

use crate::html::{escape, page};
use serde_json::Value;
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn read_json(path: &Path) -> Value {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null)
}

fn verdict_class(valid: &Value) -> (&'static str, &'static str) {
    match valid {
        Value::Bool(true) => ("valid", "VALID"),
        Value::Bool(false) => ("invalid", "INVALID"),
        _ => ("unknown", "UNKNOWN"),
    }
}

/// A word safe to paste into a shell.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Writes the report of `run_dir`; returns its path.
pub fn write_run_report(run_dir: &Path) -> std::io::Result<PathBuf> {
    let test = read_json(&run_dir.join("test.json"));
    let results = read_json(&run_dir.join("results.json"));
    let history = std::fs::read_to_string(run_dir.join("history.jsonl")).unwrap_or_default();
    let name = test["name"].as_str().unwrap_or("faultline run");
    let (class, word) = verdict_class(&results["valid"]);
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>faultline {} <span class=\"verdict {class}\">{word}</span></h1>\n<p class=\"muted\">{}</p>\n",
        escape(name),
        escape(&run_dir.display().to_string())
    );

    // Summary.
    body += "<h2>Summary</h2>\n<table>\n";
    let mut row = |key: &str, value: String| {
        let _ = writeln!(body, "<tr><th>{}</th><td>{value}</td></tr>", escape(key));
    };
    if let Some(checkers) = results["checkers"].as_object() {
        for (checker, analysis) in checkers {
            let (c, w) = verdict_class(&analysis["valid"]);
            let model = analysis["model"].as_str().unwrap_or("");
            row(
                &format!("{checker} ({model})"),
                format!("<span class=\"verdict {c}\">{w}</span>"),
            );
        }
    }
    row(
        "workload",
        escape(test["workload"].as_str().unwrap_or("register")),
    );
    row(
        "nemesis",
        format!(
            "<code>{}</code>",
            escape(test["nemesis"]["faults"].as_str().unwrap_or("none"))
        ),
    );
    row("seed", escape(&test["seed"].to_string()));
    let command: Vec<String> = test["command_line"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(shell_word)
        .collect();
    row(
        "reproduce",
        format!(
            "<code>{}</code> (add <code>--seed {}</code> if it is not there)",
            escape(&command.join(" ")),
            escape(&test["seed"].to_string())
        ),
    );
    let nodes: Vec<String> = test["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            format!(
                "{} ({})",
                n["name"].as_str().unwrap_or("?"),
                n["host"].as_str().unwrap_or("?")
            )
        })
        .collect();
    row("nodes", escape(&nodes.join(", ")));
    let events: Vec<Value> = history
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let duration = events.last().and_then(|e| e["time"].as_u64()).unwrap_or(0) as f64 / 1e9;
    row("duration", format!("{duration:.1} s of history"));
    row(
        "operations",
        format!(
            "{} ok, {} fail, {} info (unknown)",
            results["ops"]["ok"], results["ops"]["fail"], results["ops"]["info"]
        ),
    );
    row(
        "check time",
        format!("{:.0} ms", results["check_ms"].as_f64().unwrap_or(0.0)),
    );
    body += "</table>\n";

    // Faults applied.
    let faults: Vec<&Value> = events
        .iter()
        .filter(|e| e["process"] == "nemesis" && e["type"] == "info")
        .collect();
    let _ = writeln!(body, "<h2>Faults applied ({})</h2>", faults.len());
    if faults.is_empty() {
        body += "<p class=\"muted\">None.</p>\n";
    } else {
        body += "<table>\n<tr><th>time</th><th>action</th><th>what</th><th>error</th></tr>\n";
        for e in faults {
            let _ = writeln!(
                body,
                "<tr><td>{:.1} s</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                e["time"].as_u64().unwrap_or(0) as f64 / 1e9,
                escape(e["f"].as_str().unwrap_or("")),
                escape(&e["value"].to_string()),
                escape(e["error"].as_str().unwrap_or(""))
            );
        }
        body += "</table>\n";
    }

    // What the checkers found.
    if let Some(checkers) = results["checkers"].as_object() {
        for (checker, analysis) in checkers {
            let _ = writeln!(body, "<h2>{} checker</h2>", escape(checker));
            explain(&mut body, analysis);
        }
    }

    // Files.
    body += "<h2>Files</h2>\n<ul>\n";
    for file in ["history.jsonl", "results.json", "test.json"] {
        if run_dir.join(file).exists() {
            let _ = writeln!(body, "<li><a href=\"{file}\">{file}</a></li>");
        }
    }
    let mut logs: Vec<PathBuf> = std::fs::read_dir(run_dir.join("nodes"))
        .into_iter()
        .flatten()
        .flatten()
        .flat_map(|node| {
            std::fs::read_dir(node.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|f| f.path())
        .collect();
    logs.sort();
    for log in logs {
        if let Ok(relative) = log.strip_prefix(run_dir) {
            let link = relative.display().to_string();
            let _ = writeln!(
                body,
                "<li><a href=\"{}\">{}</a></li>",
                escape(&link),
                escape(&link)
            );
        }
    }
    body += "</ul>\n";
    let path = run_dir.join("index.html");
    std::fs::write(&path, page(&format!("faultline {name}: {word}"), &body))?;
    Ok(path)
}

/// The checker's own explanation: a linearizability counterexample or the
/// serializability anomalies.
fn explain(body: &mut String, analysis: &Value) {
    if let Some(reason) = analysis["reason"].as_str() {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    let c = &analysis["counterexample"];
    if let Some(op) = c["failing_op"].as_object() {
        let _ = writeln!(
            body,
            "<p>Key <code>{}</code>: process {} <code>{}</code> (event {}) cannot be linearized.</p>",
            escape(c["key"].as_str().unwrap_or("-")),
            escape(&op.get("process").map(Value::to_string).unwrap_or_default()),
            escape(op.get("description").and_then(Value::as_str).unwrap_or("")),
            escape(&op.get("invoke").map(Value::to_string).unwrap_or_default())
        );
        if let Some(steps) = c["partial_linearizations"][0]["steps"].as_array() {
            *body += "<p>The longest partial linearization, with the state after each step:</p>\n<table>\n<tr><th>process</th><th>operation</th><th>state after</th></tr>\n";
            for step in steps {
                let _ = writeln!(
                    body,
                    "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    escape(&step["op"]["process"].to_string()),
                    escape(step["op"]["description"].as_str().unwrap_or("")),
                    escape(&step["state_after"].to_string())
                );
            }
            *body += "</table>\n";
        }
    }
    if let Some(counts) = analysis["counts"].as_object().filter(|c| !c.is_empty()) {
        let list: Vec<String> = counts.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        let _ = writeln!(
            body,
            "<p>Anomalies: {}. Rules out: {}.</p>",
            escape(&list.join(", ")),
            escape(
                &analysis["not"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        );
    }
    for anomaly in analysis["anomalies"].as_array().into_iter().flatten() {
        let _ = writeln!(
            body,
            "<h3>{}</h3>\n<p class=\"muted\">{}</p>\n<p>{}</p>",
            escape(anomaly["name"].as_str().unwrap_or("")),
            escape(anomaly["meaning"].as_str().unwrap_or("")),
            escape(anomaly["explanation"].as_str().unwrap_or(""))
        );
        *body += "<table>\n<tr><th>transaction</th><th>process</th><th>outcome</th><th>micro-operations</th></tr>\n";
        for txn in anomaly["txns"].as_array().into_iter().flatten() {
            let mops: Vec<&str> = txn["mops"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                escape(txn["name"].as_str().unwrap_or("")),
                escape(txn["process"].as_str().unwrap_or("")),
                escape(txn["outcome"].as_str().unwrap_or("")),
                escape(&mops.join("; "))
            );
        }
        *body += "</table>\n";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_directory_becomes_a_page_with_verdict_faults_and_links() {
        let dir =
            std::env::temp_dir().join(format!("faultline-report-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("nodes/n1")).unwrap();
        std::fs::write(dir.join("nodes/n1/etcd.log"), "log").unwrap();
        std::fs::write(
            dir.join("test.json"),
            r#"{"name":"etcd-register","seed":7,"workload":"register","nemesis":{"faults":"partition"},
                "command_line":["faultline","test","etcd","--nemesis","partition,kill"],
                "nodes":[{"name":"n1","host":"10.0.0.1","dir":"/x"}]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("results.json"),
            r#"{"valid":false,"ops":{"ok":3,"fail":0,"info":1},"check_ms":2.5,
                "checkers":{"linearizable":{"valid":false,"model":"cas-register",
                "counterexample":{"key":"k1","failing_op":{"process":2,"description":"read → 1","invoke":4},
                "partial_linearizations":[{"steps":[{"op":{"process":0,"description":"write 2"},"state_after":2}]}]}}}}"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("history.jsonl"),
            "{\"index\":0,\"time\":1000000000,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"start-partition\",\"value\":{\"partition\":\"[n1] | [n2 n3]\"}}\n",
        )
        .unwrap();
        let path = write_run_report(&dir).unwrap();
        let html = std::fs::read_to_string(&path).unwrap();
        assert!(
            html.contains("<span class=\"verdict invalid\">INVALID</span>"),
            "{html}"
        );
        assert!(html.contains("start-partition") && html.contains("[n1] | [n2 n3]"));
        assert!(html.contains("read → 1") && html.contains("write 2"));
        assert!(html.contains("<a href=\"history.jsonl\">") && html.contains("nodes/n1/etcd.log"));
        assert!(html.contains("faultline test etcd --nemesis partition,kill"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "nothing fetched"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("--seed"), "--seed");
        assert_eq!(shell_word("a b"), "'a b'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
    }
}
