//! `<run-dir>/index.html`: one run, summary first — the verdict of each
//! checker, the configuration and the command to reproduce it, nodes,
//! duration, operations by outcome — then the plots, the timeline, every
//! fault applied, the checker's explanation (the counterexample or the
//! anomalies, drawn), and links to the raw history, results and node logs.
//! Built from the run directory's files alone (read once, typed, by
//! [`RunRecord`]), so it can be rebuilt any time and opened from disk.

use crate::explanation::Timing;
use crate::html::{escape, page};
use crate::plots::draw_plots;
use crate::run_data::RunData;
use crate::run_record::RunRecord;
use crate::story::{first_seen, story, FirstSeen};
use crate::timeline::{timeline_section, write_timeline_data};
use crate::views::view;
use faultline_checkers::CheckedHistory;
use faultline_core::Validity;
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn verdict_class(valid: Option<Validity>) -> (&'static str, &'static str) {
    match valid {
        Some(Validity::Valid) => ("valid", "VALID"),
        Some(Validity::Invalid) => ("invalid", "INVALID"),
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
    let record = RunRecord::read(run_dir);
    let run = match std::fs::File::open(run_dir.join("history.jsonl")) {
        Ok(file) => RunData::read(std::io::BufReader::new(file)),
        // No history: a page of what there is.
        Err(_) => RunData::default(),
    };
    let (class, word) = verdict_class(record.results.as_ref().map(|r| r.valid));
    let mut body = String::new();
    header(&mut body, &record, &run, run_dir, (class, word));
    summary(&mut body, &record, &run);
    let first = first_seen(&record, &run);
    let first_at = first.as_ref().map(|f| f.at);
    plots(&mut body, &run, run_dir, first_at.filter(|_| run.timed))?;
    timeline(&mut body, &run, run_dir, first_at)?;
    faults(&mut body, &run);
    checkers(&mut body, &record, &run, first.as_ref());
    files(&mut body, run_dir);
    let path = run_dir.join("index.html");
    let title = format!("faultline {}: {word}", record.name());
    std::fs::write(&path, page(&title, &body))?;
    Ok(path)
}

/// The title, the verdict, the navigation, and what makes the run
/// suspect before anything else: warnings and the harness's failures.
fn header(
    body: &mut String,
    record: &RunRecord,
    run: &RunData,
    run_dir: &Path,
    (class, word): (&str, &str),
) {
    let _ = write!(
        body,
        "<h1>faultline {} <span class=\"verdict {class}\">{word}</span></h1>\n<p class=\"muted\">{}</p>\n\
<nav><a href=\"#summary\">summary</a> · <a href=\"#plots\">plots</a> · <a href=\"#timeline\">timeline</a> · \
<a href=\"#faults\">faults</a> · <a href=\"#checkers\">checkers</a> · <a href=\"#files\">files</a></nav>\n",
        escape(record.name()),
        escape(&run_dir.display().to_string())
    );
    for warning in &run.warnings {
        let _ = writeln!(body, "<p class=\"warning\">{}</p>", escape(warning));
    }
    // The harness's own failures make the run unknown: say why first.
    for failure in record.results.iter().flat_map(|r| &r.harness_failures) {
        let _ = writeln!(
            body,
            "<p class=\"warning harness\">The harness failed, so the verdict is unknown: {}</p>",
            escape(failure)
        );
    }
}

/// After a checker's verdict: how much was refuted and a link to why.
fn verdict_jump(checked: &CheckedHistory) -> String {
    view(checked).map_or(String::new(), |v| v.verdict_jump())
}

fn summary(body: &mut String, record: &RunRecord, run: &RunData) {
    *body += "<h2 id=\"summary\">Summary</h2>\n<table>\n";
    let mut row = |key: &str, value: String| {
        let _ = writeln!(body, "<tr><th>{}</th><td>{value}</td></tr>", escape(key));
    };
    for (checker, checked) in &record.analyses {
        let (c, w) = verdict_class(Some(checked.valid()));
        row(
            &format!("{checker} ({})", checked.model()),
            format!(
                "<span class=\"verdict {c}\">{w}</span>{}",
                verdict_jump(checked)
            ),
        );
    }
    let test = &record.test;
    row(
        "workload",
        escape(test.workload.as_deref().unwrap_or("register")),
    );
    row(
        "nemesis",
        format!(
            "<code>{}</code>",
            escape(test.nemesis.faults.as_deref().unwrap_or("none"))
        ),
    );
    let seed = test.seed.map(|s| s.to_string());
    if let Some(seed) = &seed {
        row("seed", escape(seed));
    }
    let command: Vec<String> = test.command_line.iter().map(|w| shell_word(w)).collect();
    if !command.is_empty() {
        let command = escape(&command.join(" "));
        row(
            "reproduce",
            match &seed {
                Some(seed) => format!(
                    "<code>{command}</code> (add <code>--seed {}</code> if it is not there)",
                    escape(seed)
                ),
                None => format!("<code>{command}</code>"),
            },
        );
    }
    let nodes: Vec<String> = test
        .nodes
        .iter()
        .map(|n| format!("{} ({})", n.name, n.host))
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
            format!("{} events, no times recorded", run.events)
        },
    );
    if let Some(results) = &record.results {
        let ops = results.ops;
        row(
            "operations",
            format!(
                "{} ok, {} fail, {} info (unknown)",
                ops.ok, ops.fail, ops.info
            ),
        );
        row("check time", format!("{:.0} ms", results.check_ms));
    }
    *body += "</table>\n";
}

fn plots(
    body: &mut String,
    run: &RunData,
    run_dir: &Path,
    first_anomaly: Option<f64>,
) -> std::io::Result<()> {
    *body += "<h2 id=\"plots\">Plots</h2>\n";
    let plot_dir = run_dir.join("plots");
    std::fs::create_dir_all(&plot_dir)?;
    match draw_plots(run, Some(&plot_dir), first_anomaly) {
        Ok(plots) if plots.is_empty() => {
            *body += "<p class=\"muted\">No plots: the history records no times (as histories imported from Jepsen's logs or EDN files); the timeline below uses event order instead.</p>\n";
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
    Ok(())
}

fn timeline(
    body: &mut String,
    run: &RunData,
    run_dir: &Path,
    first_anomaly: Option<f64>,
) -> std::io::Result<()> {
    let mut processes: Vec<u64> = run.ops.iter().map(|o| o.process).collect();
    processes.sort_unstable();
    processes.dedup();
    let _ = writeln!(
        body,
        "<h2 id=\"timeline\">Timeline ({} operations, {} processes)</h2>",
        run.ops.len(),
        processes.len()
    );
    write_timeline_data(run, run_dir)?;
    *body += &timeline_section(run, first_anomaly);
    Ok(())
}

/// Every fault the nemesis applied, when, and what went wrong with it.
fn faults(body: &mut String, run: &RunData) {
    let _ = writeln!(
        body,
        "<h2 id=\"faults\">Faults applied ({})</h2>",
        run.applied.len()
    );
    if run.applied.is_empty() {
        *body += "<p class=\"muted\">None.</p>\n";
        return;
    }
    *body += "<table>\n<tr><th>time</th><th>action</th><th>what</th><th>error</th></tr>\n";
    for e in &run.applied {
        let _ = writeln!(
            body,
            "<tr><td>{:.1} s</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
            e.time,
            escape(&e.f),
            escape(&e.value),
            escape(e.error.as_deref().unwrap_or(""))
        );
    }
    *body += "</table>\n";
}

/// What each checker found, explained.
fn checkers(body: &mut String, record: &RunRecord, run: &RunData, first: Option<&FirstSeen>) {
    let timing = Timing::of(run);
    *body += "<h2 id=\"checkers\">Checkers</h2>\n";
    if record.analyses.is_empty() {
        *body += "<p class=\"muted\">Not checked yet: run <code>faultline analyze</code> on this directory.</p>\n";
        return;
    }
    story(body, record, run, first);
    for (checker, checked) in &record.analyses {
        let (c, w) = verdict_class(Some(checked.valid()));
        let _ = writeln!(
            body,
            "<h3>{} <span class=\"verdict {c}\">{w}</span></h3>",
            escape(checker)
        );
        match view(checked) {
            Ok(view) => view.explain(body, &timing),
            Err(reason) => {
                let _ = writeln!(body, "<p>{}</p>", escape(reason));
            }
        }
    }
}

/// Links to the raw files and every node's logs.
fn files(body: &mut String, run_dir: &Path) {
    *body += "<h2 id=\"files\">Files</h2>\n<ul>\n";
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
            let link = escape(&relative.display().to_string());
            let _ = writeln!(body, "<li><a href=\"{link}\">{link}</a></li>");
        }
    }
    *body += "</ul>\n";
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
                "ops":4,"partitions":1,
                "counterexample":{"key":"k1","failing_op":{"process":"2","description":"read → 1","invoke":4},
                "partial_linearizations":[{"steps":[{"op":{"process":"0","description":"write 2"},"state_after":"2"}]}]}}}}"#,
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
        assert!(html.contains("200 ops in 1 key(s) checked for register"));
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
    fn a_counterexample_says_when_and_where_it_ran_and_under_which_faults() {
        let dir =
            std::env::temp_dir().join(format!("faultline-report-story-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let events = [
            (
                1_000,
                "\"nemesis\"",
                "invoke",
                "start-partition",
                "null",
                None,
            ),
            (
                1_100,
                "\"nemesis\"",
                "info",
                "start-partition",
                r#"{"partition":"[n1] | [n2 n3]"}"#,
                None,
            ),
            (2_000, "0", "invoke", "write", "1", Some("n1")),
            (2_100, "0", "ok", "write", "1", Some("n1")),
            (3_000, "1", "invoke", "read", "null", Some("n2")),
            (3_200, "1", "ok", "read", "2", Some("n2")),
            (
                4_000,
                "\"nemesis\"",
                "invoke",
                "stop-partition",
                "null",
                None,
            ),
            (4_100, "\"nemesis\"", "info", "stop-partition", "null", None),
        ];
        let history: String = events
            .iter()
            .enumerate()
            .map(|(i, (ms, p, t, f, v, node))| {
                let node = node.map_or(String::new(), |n| format!(",\"node\":\"{n}\""));
                format!(
                    "{{\"index\":{i},\"time\":{},\"process\":{p},\"type\":\"{t}\",\"f\":\"{f}\",\"value\":{v}{node}}}\n",
                    *ms as u64 * 1_000_000
                )
            })
            .collect();
        std::fs::write(dir.join("history.jsonl"), history).unwrap();
        std::fs::write(
            dir.join("results.json"),
            r#"{"valid":false,"checkers":{"linearizable":{"valid":false,"model":"register","ops":2,"partitions":1,
                "counterexample":{"failing_op":{"process":"1","invoke":4,"complete":5,"node":"n2","description":"read → 2"},
                "partial_linearizations":[{"steps":[{"op":{"process":"0","invoke":2,"complete":3,"node":"n1","description":"write 1"},"state_after":"1"}]}]}}}}"#,
        )
        .unwrap();
        let html = std::fs::read_to_string(write_run_report(&dir).unwrap()).unwrap();
        assert!(
            html.contains("It ran 2.000–2.200 s after the history began on n2; in force: partition [n1] | [n2 n3]."),
            "{html}"
        );
        assert!(
            html.contains("<td>n1</td><td class=\"nowrap\">1.000–1.100 s</td><td><a href=\"#event-2\"><code>write 1</code></a>"),
            "the acknowledged write, with its node and times"
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
