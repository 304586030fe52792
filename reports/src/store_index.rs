//! `store/index.html`: every run in the store (`<store>/<test>/<run>/`) with
//! its time, duration, verdict, anomaly counts and links, filterable by
//! test name, and per test a trend of verdicts and throughput across runs,
//! as a nightly job needs.

use crate::font::ensure_font;
use crate::html::{escape, page, url_segment};
use crate::run_record::RunRecord;
use faultline_core::Validity;
use plotters::prelude::*;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// One run as the index lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunSummary {
    /// The test's name (the run's parent directory).
    pub test: String,
    /// The run's directory name: its UTC start, `20261122T061500Z`.
    pub run: String,
    /// Path relative to the store.
    pub path: PathBuf,
    /// `valid`, `invalid`, `unknown`, or `unchecked` without results.
    pub verdict: String,
    /// `G-single ×2` or the failing key; empty when nothing was found.
    pub anomalies: String,
    /// Completed operations.
    pub ops: u64,
    /// Seconds of history, when recorded.
    pub duration_s: Option<f64>,
}

impl RunSummary {
    /// Operations per second, when the duration is known.
    pub fn throughput(&self) -> Option<f64> {
        self.duration_s
            .filter(|d| *d > 0.0)
            .map(|d| self.ops as f64 / d)
    }
}

fn summarize(store: &Path, test: &str, run_dir: &Path) -> Option<RunSummary> {
    let record = RunRecord::read(run_dir);
    if record.results.is_none() && !run_dir.join("history.jsonl").exists() {
        return None;
    }
    let verdict = match record.results.as_ref().map(|r| r.valid) {
        Some(Validity::Valid) => "valid",
        Some(Validity::Invalid) => "invalid",
        Some(Validity::Unknown) => "unknown",
        None => "unchecked",
    };
    let mut anomalies = Vec::new();
    for (_, checked) in &record.analyses {
        if let Ok(view) = crate::views::view(checked) {
            anomalies.extend(view.anomaly_labels());
        }
    }
    let ops = record
        .results
        .as_ref()
        .map_or(0, |r| r.ops.ok + r.ops.fail + r.ops.info);
    Some(RunSummary {
        test: test.to_owned(),
        run: run_dir.file_name()?.to_string_lossy().into_owned(),
        path: run_dir.strip_prefix(store).ok()?.to_owned(),
        verdict: verdict.to_owned(),
        anomalies: anomalies.join(", "),
        ops,
        duration_s: record.results.as_ref().and_then(|r| r.duration_s),
    })
}

/// Every run in `store`, oldest first.
pub fn list_runs(store: &Path) -> std::io::Result<Vec<RunSummary>> {
    let mut runs = Vec::new();
    for test in std::fs::read_dir(store)? {
        let test = test?;
        // `latest` is a link to a run, not a test.
        if !test.file_type()?.is_dir() {
            continue;
        }
        let name = test.file_name().to_string_lossy().into_owned();
        for run in std::fs::read_dir(test.path())? {
            let run = run?;
            if run.file_type()?.is_dir() {
                if let Some(summary) = summarize(store, &name, &run.path()) {
                    runs.push(summary);
                }
            }
        }
    }
    runs.sort_by(|a, b| (&a.run, &a.test).cmp(&(&b.run, &b.test)));
    Ok(runs)
}

/// `20261122T061500Z` → `2026-11-22 06:15:00 UTC`.
fn readable_stamp(run: &str) -> String {
    let b = run.as_bytes();
    if b.len() >= 16 && b[8] == b'T' {
        format!(
            "{}-{}-{} {}:{}:{} UTC{}",
            &run[0..4],
            &run[4..6],
            &run[6..8],
            &run[9..11],
            &run[11..13],
            &run[13..15],
            &run[16..]
        )
    } else {
        run.to_owned()
    }
}

fn verdict_color(verdict: &str) -> RGBColor {
    match verdict {
        "valid" => RGBColor(27, 127, 59),
        "invalid" => RGBColor(179, 38, 30),
        _ => RGBColor(138, 109, 0),
    }
}

/// A test's trend: throughput of each run, each point coloured by verdict.
fn trend_svg(runs: &[&RunSummary]) -> Result<String, String> {
    if runs.iter().all(|r| r.throughput().is_none()) {
        return Ok(
            "<p class=\"muted\">No throughput to plot: these runs record no durations.</p>"
                .to_owned(),
        );
    }
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (700, 220)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let high = runs
            .iter()
            .filter_map(|r| r.throughput())
            .fold(1.0f64, f64::max)
            * 1.2;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5..(runs.len() as f64 - 0.5).max(0.5), 0.0..high)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("run (oldest first)")
            .y_desc("ops/s")
            .x_labels(runs.len().clamp(2, 12))
            // Runs are whole numbers; ticks between them stay unlabelled.
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-6 && *x >= 0.0 {
                    format!("{}", x.round() as i64 + 1)
                } else {
                    String::new()
                }
            })
            .light_line_style(RGBColor(240, 240, 240))
            .draw()
            .map_err(|e| e.to_string())?;
        let line: Vec<(f64, f64)> = runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((i as f64, r.throughput()?)))
            .collect();
        chart
            .draw_series(LineSeries::new(
                line,
                RGBColor(160, 160, 160).stroke_width(1),
            ))
            .map_err(|e| e.to_string())?;
        // Every run shows its verdict, also those without a throughput.
        chart
            .draw_series(runs.iter().enumerate().map(|(i, r)| {
                Circle::new(
                    (i as f64, r.throughput().unwrap_or(0.0)),
                    5,
                    verdict_color(&r.verdict).filled(),
                )
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

const FILTER_SCRIPT: &str = r#"(function () {
  var box = document.getElementById("filter");
  function apply() {
    var q = box.value.trim().toLowerCase();
    var shown = 0;
    document.querySelectorAll("[data-test]").forEach(function (el) {
      var hit = el.getAttribute("data-test").toLowerCase().indexOf(q) >= 0;
      el.hidden = !hit;
      if (hit && el.tagName === "TR") shown++;
    });
    document.getElementById("shown").textContent = String(shown);
  }
  box.addEventListener("input", apply);
  apply();
  document.body.dataset.store = "ready";
})();"#;

/// Writes `<store>/index.html`; returns its path.
pub fn write_store_index(store: &Path) -> std::io::Result<PathBuf> {
    let runs = list_runs(store)?;
    let mut body = String::new();
    let count = |v: &str| runs.iter().filter(|r| r.verdict == v).count();
    let _ = writeln!(
        body,
        "<h1>faultline runs</h1>\n<p class=\"muted\">{}: {} runs, {} valid, {} invalid, {} unknown{}.</p>",
        escape(&store.display().to_string()),
        runs.len(),
        count("valid"),
        count("invalid"),
        count("unknown"),
        match count("unchecked") {
            0 => String::new(),
            n => format!(", {n} not checked"),
        }
    );
    body += "<p><label>Filter by test name: <input id=\"filter\" type=\"search\" placeholder=\"etcd-register\"></label> <span class=\"muted\"><span id=\"shown\"></span> runs shown</span></p>\n";
    let mut tests: Vec<&str> = runs.iter().map(|r| r.test.as_str()).collect();
    tests.sort_unstable();
    tests.dedup();
    body += "<h2>Trends</h2>\n<p class=\"muted\">Throughput of each run, oldest first; each point coloured by its verdict (<span class=\"verdict valid\">valid</span> <span class=\"verdict invalid\">invalid</span> <span class=\"verdict unknown\">unknown</span>).</p>\n";
    for test in &tests {
        let of_test: Vec<&RunSummary> = runs.iter().filter(|r| r.test == *test).collect();
        let strip: String = of_test
            .iter()
            .map(|r| {
                format!(
                    "<a class=\"cell {}\" title=\"{} {}\" href=\"{}/index.html\"></a>",
                    escape(&r.verdict),
                    escape(&r.run),
                    escape(&r.verdict),
                    escape(&link(&r.path))
                )
            })
            .collect();
        let chart = trend_svg(&of_test)
            .unwrap_or_else(|e| format!("<p class=\"warning\">{}</p>", escape(&e)));
        let _ = writeln!(
            body,
            "<figure class=\"trend\" data-test=\"{0}\"><figcaption><b>{0}</b>: {1} runs <span class=\"strip\">{strip}</span></figcaption>{2}</figure>",
            escape(test),
            of_test.len(),
            chart.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>").trim()
        );
    }
    body += "<h2>Runs</h2>\n<table>\n<tr><th>test</th><th>started</th><th>duration</th><th>verdict</th><th>anomalies</th><th>ops</th><th>ops/s</th><th>files</th></tr>\n";
    for r in runs.iter().rev() {
        let href = link(&r.path);
        let _ = writeln!(
            body,
            "<tr data-test=\"{}\"><td>{}</td><td><a href=\"{href}/index.html\">{}</a></td><td>{}</td><td><span class=\"verdict {}\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{href}/history.jsonl\">history</a> · <a href=\"{href}/results.json\">results</a></td></tr>",
            escape(&r.test),
            escape(&r.test),
            escape(&readable_stamp(&r.run)),
            r.duration_s.map_or("—".to_owned(), |d| format!("{d:.1} s")),
            escape(&r.verdict),
            escape(&r.verdict.to_uppercase()),
            escape(&r.anomalies),
            r.ops,
            r.throughput().map_or("—".to_owned(), |t| format!("{t:.0}")),
        );
    }
    body += "</table>\n";
    let _ = write!(body, "<script>{FILTER_SCRIPT}</script>");
    let path = store.join("index.html");
    std::fs::write(&path, page("faultline runs", &body))?;
    Ok(path)
}

/// A relative path as a URL path (each component escaped for HTML later).
fn link(path: &Path) -> String {
    path.components()
        .map(|c| url_segment(&c.as_os_str().to_string_lossy()))
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(store: &Path, test: &str, stamp: &str, results: &str) {
        let dir = store.join(test).join(stamp);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("results.json"), results).unwrap();
    }

    #[test]
    fn the_index_lists_every_run_with_verdicts_trends_and_a_filter() {
        let store =
            std::env::temp_dir().join(format!("faultline-store-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        run(
            &store,
            "etcd-register",
            "20261120T010000Z",
            r#"{"valid":true,"ops":{"ok":90,"fail":5,"info":5},"duration_s":10.0}"#,
        );
        run(
            &store,
            "etcd-register",
            "20261121T010000Z",
            r#"{"valid":false,"ops":{"ok":40,"fail":0,"info":0},"duration_s":10.0,
            "checkers":{"linearizable":{"valid":false,"model":"cas-register","ops":40,"partitions":3,
            "counterexample":{"key":"k7","failing_op":{"process":"1","invoke":3}}}}}"#,
        );
        run(
            &store,
            "etcd-append",
            "20261121T020000Z",
            r#"{"valid":false,"ops":{"ok":10,"fail":0,"info":0},
            "checkers":{"serializable":{"valid":false,"workload":"list-append","model":"serializable",
            "txns":10,"counts":{"G-single":2}}}}"#,
        );
        std::fs::create_dir_all(store.join("etcd-append/empty")).unwrap();
        let runs = list_runs(&store).unwrap();
        assert_eq!(
            runs.len(),
            3,
            "a directory without results or history is not a run"
        );
        assert_eq!(runs[0].throughput(), Some(10.0));
        assert_eq!(runs[1].anomalies, "not linearizable (key k7)");
        assert_eq!(runs[2].anomalies, "G-single ×2");
        let html = std::fs::read_to_string(write_store_index(&store).unwrap()).unwrap();
        assert!(
            html.contains("3 runs, 1 valid, 2 invalid, 0 unknown"),
            "{html}"
        );
        assert!(html.contains("href=\"etcd-register/20261121T010000Z/index.html\""));
        assert!(html.contains("2026-11-21 01:00:00 UTC"));
        assert_eq!(
            html.matches("<figure class=\"trend\"").count(),
            2,
            "one trend per test"
        );
        assert!(html.contains("id=\"filter\""));
        assert!(crate::html::fetches_nothing(&html));
        let _ = std::fs::remove_dir_all(&store);
    }
}
