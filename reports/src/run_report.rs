//! `<run-dir>/index.html`: one run, summary first — the verdict of each
//! checker, the configuration and the command to reproduce it, nodes,
//! duration, operations by outcome — then the plots, the timeline, every
//! fault applied, the checker's explanation (the counterexample or the
//! anomalies, drawn), and links to the raw history, results and node logs.
//! Built from the run directory's files alone, so it can be rebuilt any
//! time and opened from disk.

use crate::counterexample_svg::counterexample_svg;
use crate::cycle_svg::cycle_svg;
use crate::html::{escape, page};
use crate::plots::draw_plots;
use crate::run_data::RunData;
use crate::timeline::{timeline_section, write_timeline_data};
use faultline_core::{OpType, Process};
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

/// Writes the report of `run_dir` (`index.html`, `timeline.js` and
/// `plots/*.png`); returns the page's path.
pub fn write_run_report(run_dir: &Path) -> std::io::Result<PathBuf> {
    let test = read_json(&run_dir.join("test.json"));
    let results = read_json(&run_dir.join("results.json"));
    let history = std::fs::read_to_string(run_dir.join("history.jsonl")).unwrap_or_default();
    let run = RunData::from_jsonl(&history);
    drop(history);
    let name = test["name"].as_str().unwrap_or("faultline run");
    let (class, word) = verdict_class(&results["valid"]);
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>faultline {} <span class=\"verdict {class}\">{word}</span></h1>\n<p class=\"muted\">{}</p>\n\
<nav><a href=\"#summary\">summary</a> · <a href=\"#plots\">plots</a> · <a href=\"#timeline\">timeline</a> · \
<a href=\"#faults\">faults</a> · <a href=\"#checkers\">checkers</a> · <a href=\"#files\">files</a></nav>\n",
        escape(name),
        escape(&run_dir.display().to_string())
    );
    for warning in &run.warnings {
        let _ = writeln!(body, "<p class=\"warning\">{}</p>", escape(warning));
    }
    // The harness's own failures make the run unknown: say why first.
    for failure in results["harness_failures"].as_array().into_iter().flatten() {
        let _ = writeln!(
            body,
            "<p class=\"warning harness\">The harness failed, so the verdict is unknown: {}</p>",
            escape(failure.as_str().unwrap_or_default())
        );
    }

    // Summary.
    body += "<h2 id=\"summary\">Summary</h2>\n<table>\n";
    let mut row = |key: &str, value: String| {
        let _ = writeln!(body, "<tr><th>{}</th><td>{value}</td></tr>", escape(key));
    };
    if let Some(checkers) = results["checkers"].as_object() {
        for (checker, analysis) in checkers {
            let (c, w) = verdict_class(&analysis["valid"]);
            let model = analysis["model"].as_str().unwrap_or("");
            let refuted = match (
                analysis["refuted_keys"].as_u64(),
                analysis["partitions"].as_u64(),
            ) {
                (Some(n), Some(of)) if n > 0 && of > 1 => {
                    format!(" {n} of {of} keys refuted;")
                }
                _ => String::new(),
            };
            let jump = if analysis["counterexample"]["failing_op"].is_object() {
                format!("{refuted} <a href=\"#counterexample\">see the counterexample</a>")
            } else if analysis["anomalies"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
            {
                " <a href=\"#anomalies\">see the anomalies</a>".to_owned()
            } else {
                String::new()
            };
            row(
                &format!("{checker} ({model})"),
                format!("<span class=\"verdict {c}\">{w}</span>{jump}"),
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
    let seed = (!test["seed"].is_null()).then(|| test["seed"].to_string());
    if let Some(seed) = &seed {
        row("seed", escape(seed));
    }
    let command: Vec<String> = test["command_line"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(shell_word)
        .collect();
    if !command.is_empty() {
        row(
            "reproduce",
            match &seed {
                Some(seed) => format!(
                    "<code>{}</code> (add <code>--seed {}</code> if it is not there)",
                    escape(&command.join(" ")),
                    escape(seed)
                ),
                None => format!("<code>{}</code>", escape(&command.join(" "))),
            },
        );
    }
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
    if !nodes.is_empty() {
        row("nodes", escape(&nodes.join(", ")));
    }
    let completed = run.ops.iter().filter(|o| o.completed).count();
    row(
        "duration",
        if run.timed {
            format!(
                "{:.1} s of history, {:.0} ops/s",
                run.duration,
                completed as f64 / run.duration.max(0.001)
            )
        } else {
            format!("{} events, no times recorded", run.history.len())
        },
    );
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

    // Plots.
    body += "<h2 id=\"plots\">Plots</h2>\n";
    let plot_dir = run_dir.join("plots");
    std::fs::create_dir_all(&plot_dir)?;
    match draw_plots(&run, Some(&plot_dir)) {
        Ok(plots) if plots.is_empty() => {
            body += "<p class=\"muted\">No plots: the history records no times (as histories imported from Jepsen's logs or EDN files); the timeline below uses event order instead.</p>\n";
        }
        Ok(plots) => {
            for plot in plots {
                let (drawing, note) = match &plot.svg {
                    Some(svg) => (
                        svg.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
                            .trim()
                            .to_owned(),
                        String::new(),
                    ),
                    // Too many points for an SVG a browser lays out quickly.
                    None => (
                        format!(
                            "<img src=\"plots/{}.png\" width=\"1100\" height=\"340\" alt=\"{}\">",
                            plot.name,
                            escape(plot.title)
                        ),
                        format!("; {} distinct points, shown as PNG", plot.points),
                    ),
                };
                let _ = writeln!(
                    body,
                    "<figure id=\"plot-{0}\" class=\"plot\">{drawing}<figcaption>{1} (<a href=\"plots/{0}.png\">PNG</a>{note})</figcaption></figure>",
                    plot.name,
                    escape(plot.title)
                );
            }
        }
        Err(e) => {
            let _ = writeln!(
                body,
                "<p class=\"warning\">Plots not drawn: {}</p>",
                escape(&e)
            );
        }
    }

    // Timeline.
    let _ = writeln!(
        body,
        "<h2 id=\"timeline\">Timeline ({} operations, {} processes)</h2>",
        run.ops.len(),
        {
            let mut p: Vec<u64> = run.ops.iter().map(|o| o.process).collect();
            p.sort_unstable();
            p.dedup();
            p.len()
        }
    );
    write_timeline_data(&run, run_dir)?;
    body += &timeline_section(&run);

    // Faults applied.
    let events = run.history.events();
    let faults: Vec<_> = events
        .iter()
        .filter(|e| e.process == Process::Nemesis && e.kind == OpType::Info)
        .collect();
    let _ = writeln!(
        body,
        "<h2 id=\"faults\">Faults applied ({})</h2>",
        faults.len()
    );
    if faults.is_empty() {
        body += "<p class=\"muted\">None.</p>\n";
    } else {
        let origin = events.first().map_or(0, |e| e.time);
        body += "<table>\n<tr><th>time</th><th>action</th><th>what</th><th>error</th></tr>\n";
        for e in faults {
            let _ = writeln!(
                body,
                "<tr><td>{:.1} s</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                e.time.saturating_sub(origin) as f64 / 1e9,
                escape(&e.f),
                escape(&e.value.to_string()),
                escape(e.error.as_deref().unwrap_or(""))
            );
        }
        body += "</table>\n";
    }

    // What the checkers found.
    body += "<h2 id=\"checkers\">Checkers</h2>\n";
    if let Some(checkers) = results["checkers"].as_object() {
        for (checker, analysis) in checkers {
            let (c, w) = verdict_class(&analysis["valid"]);
            let _ = writeln!(
                body,
                "<h3>{} <span class=\"verdict {c}\">{w}</span></h3>",
                escape(checker)
            );
            explain(&mut body, analysis);
        }
    } else {
        body += "<p class=\"muted\">Not checked yet: run <code>faultline analyze</code> on this directory.</p>\n";
    }

    // Files.
    body += "<h2 id=\"files\">Files</h2>\n<ul>\n";
    for file in [
        "history.jsonl",
        "results.json",
        "test.json",
        "timeline.js",
        "timeline-details",
    ] {
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

/// Text of a JSON scalar: strings without their quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The checker's own explanation: a linearizability counterexample or the
/// serializability anomalies, each drawn.
fn explain(body: &mut String, analysis: &Value) {
    // What was checked, in one line.
    let scope = match (analysis["txns"].as_u64(), analysis["ops"].as_u64()) {
        (Some(txns), _) => format!(
            "{txns} transactions, {} dependency edges",
            analysis["edges"].as_u64().unwrap_or(0)
        ),
        (None, Some(ops)) => format!(
            "{ops} operations in {} key(s)",
            analysis["partitions"].as_u64().unwrap_or(1)
        ),
        _ => String::new(),
    };
    if !scope.is_empty() {
        let _ = writeln!(
            body,
            "<p class=\"muted\">{} checked for {}.</p>",
            escape(&scope),
            escape(analysis["model"].as_str().unwrap_or("the model"))
        );
    }
    if let Some(reason) = analysis["reason"].as_str() {
        let _ = writeln!(body, "<p>{}</p>", escape(reason));
    }
    let c = &analysis["counterexample"];
    if let Some(op) = c["failing_op"].as_object() {
        let _ = writeln!(
            body,
            "<div id=\"counterexample\"><p>{}: process {} <code>{}</code> (event {}) cannot be linearized.</p>",
            c["key"].as_str().map_or("The history".to_owned(), |k| format!("Key <code>{}</code>", escape(k))),
            escape(&op.get("process").map(plain).unwrap_or_default()),
            escape(op.get("description").and_then(Value::as_str).unwrap_or("")),
            escape(&op.get("invoke").map(plain).unwrap_or_default())
        );
        if let Some(svg) = counterexample_svg(c) {
            let _ = writeln!(
                body,
                "<p class=\"muted\">Operations of this key {}, one lane per process in event order; \
the numbered points are the longest partial linearization (hover for the state after each step); \
the red one cannot be placed.</p>\n<div class=\"drawing\">{svg}</div>",
                if c["window"].is_object() { "in the smallest failing window" } else { "named by the explanation" }
            );
        }
        if let Some(steps) = c["partial_linearizations"][0]["steps"].as_array() {
            *body += "<p>The longest partial linearization, with the state after each step:</p>\n<table>\n<tr><th>step</th><th>process</th><th>operation</th><th>state after</th></tr>\n";
            for (k, step) in steps.iter().enumerate() {
                let _ = writeln!(
                    body,
                    "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    k + 1,
                    escape(&plain(&step["op"]["process"])),
                    escape(step["op"]["description"].as_str().unwrap_or("")),
                    escape(&plain(&step["state_after"]))
                );
            }
            *body += "</table>\n";
        }
        if let Some(w) = c["window"].as_object() {
            let _ = writeln!(
                body,
                "<p>Smallest failing window: events {} to {} ({} operations), starting from state {}.</p>",
                escape(&w.get("from_event").map(plain).unwrap_or_default()),
                escape(&w.get("to_event").map(plain).unwrap_or_default()),
                escape(&w.get("op_count").map(plain).unwrap_or_default()),
                escape(
                    &w.get("start_states")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(plain)
                        .collect::<Vec<_>>()
                        .join(" or ")
                )
            );
        }
        *body += "</div>\n";
    }
    if let Some(counts) = analysis["counts"].as_object().filter(|c| !c.is_empty()) {
        let list: Vec<String> = counts.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        let _ = writeln!(
            body,
            "<p id=\"anomalies\">Anomalies: {}. Rules out: {}.</p>",
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
    let anomalies: Vec<&Value> = analysis["anomalies"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    // Grouped by type, in the order the checker ranked them.
    let mut kinds: Vec<&str> = anomalies
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    let mut seen = std::collections::HashSet::new();
    kinds.retain(|k| seen.insert(*k));
    let mut drawing = 0;
    for kind in kinds {
        let group: Vec<&&Value> = anomalies.iter().filter(|a| a["name"] == kind).collect();
        let _ = writeln!(
            body,
            "<h4 id=\"anomaly-{}\">{} ({} shown)</h4>\n<p class=\"muted\">{}</p>",
            escape(kind),
            escape(kind),
            group.len(),
            escape(group[0]["meaning"].as_str().unwrap_or(""))
        );
        for anomaly in group {
            let _ = writeln!(
                body,
                "<div class=\"anomaly\"><p>{}</p>",
                escape(anomaly["explanation"].as_str().unwrap_or(""))
            );
            if let Some(svg) = cycle_svg(anomaly, drawing) {
                let _ = writeln!(body, "<div class=\"drawing\">{svg}</div>");
            }
            drawing += 1;
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
            *body += "</table></div>\n";
        }
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
        assert!(crate::html::fetches_nothing(&html), "nothing fetched");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_timed_history_gets_plots_a_timeline_and_its_details() {
        let dir =
            std::env::temp_dir().join(format!("faultline-report-plots-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut history = String::new();
        for i in 0..200u64 {
            let (p, t) = (i % 4, 1_000_000_000 + i * 50_000_000);
            history += &format!("{{\"index\":0,\"time\":{t},\"process\":{p},\"type\":\"invoke\",\"f\":\"write\",\"value\":{i}}}\n");
            let kind = if i % 10 == 0 { "info" } else { "ok" };
            history += &format!("{{\"index\":0,\"time\":{},\"process\":{p},\"type\":\"{kind}\",\"f\":\"write\",\"value\":{i}}}\n", t + 20_000_000);
            if i == 50 {
                history += &format!("{{\"index\":0,\"time\":{t},\"process\":\"nemesis\",\"type\":\"invoke\",\"f\":\"clock-bump\",\"value\":null}}\n");
                history += &format!("{{\"index\":0,\"time\":{t},\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"clock-bump\",\"value\":{{\"nodes\":[\"n1\"],\"offsets_ms\":{{\"n1\":-250}}}}}}\n");
            }
        }
        std::fs::write(dir.join("history.jsonl"), history).unwrap();
        std::fs::write(dir.join("results.json"), r#"{"valid":true,"checkers":{"linearizable":{"valid":true,"model":"register","ops":200,"partitions":1}}}"#).unwrap();
        let html = std::fs::read_to_string(write_run_report(&dir).unwrap()).unwrap();
        if crate::font::ensure_font().is_ok() {
            for plot in ["latency", "quantiles", "throughput", "clock"] {
                assert!(html.contains(&format!("id=\"plot-{plot}\"")), "{plot} plot");
                assert!(dir.join(format!("plots/{plot}.png")).exists(), "{plot}.png");
            }
            assert!(
                html.contains("clock bump n1 -250ms"),
                "the clock window is labelled"
            );
        } else {
            assert!(
                html.contains("fonts-dejavu-core"),
                "the missing font is named"
            );
        }
        assert!(html.contains("200 operations in 1 key(s) checked for register"));
        assert!(html.contains("Timeline (200 operations, 4 processes)"));
        let data = std::fs::read_to_string(dir.join("timeline.js")).unwrap();
        assert!(data.starts_with("// faultline timeline data") && data.contains("\"ops\":200"));
        let details = std::fs::read_to_string(dir.join("timeline-details/0000.js")).unwrap();
        assert!(
            details
                .starts_with("window.faultlineDetails(0, \"#0 process 0 write 0 → info (unknown)"),
            "{}",
            &details[..80]
        );
        assert_eq!(
            details.matches("\\n").count(),
            199,
            "one line per operation"
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
