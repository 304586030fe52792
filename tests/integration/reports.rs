//! Reports as a person meets them: pages written by `check --report` and
//! `report`, loaded in real headless Chromium (Debian's `chromium`, which
//! `.ci/run` installs) with their scripts run, console errors collected and
//! a screenshot written; the store's index; `faultline serve` refusing
//! every way out of the store.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";

/// What Chromium saw of a page.
pub struct Loaded {
    /// The DOM after the scripts ran.
    pub dom: String,
    /// Console messages that report errors (uncaught exceptions included).
    pub console_errors: Vec<String>,
}

/// Whether Chromium is here; in CI it must be.
pub fn chromium_or_skip(test: &str) -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: {CHROMIUM} is missing, and CI must have it: .ci/run installs the chromium package"
    );
    eprintln!("skipping {test}: it needs {CHROMIUM} (apt-get install chromium)");
    false
}

fn chromium(profile: &Path, extra: &[String], page: &Path, fragment: &str) -> std::process::Output {
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        // Lets requestAnimationFrame and timers run before the dump.
        "--virtual-time-budget=3000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend(extra.iter().cloned());
    args.push(format!(
        "file://{}{fragment}",
        page.canonicalize().unwrap().display()
    ));
    let child = Command::new(CHROMIUM)
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Bounded: a page that hangs the browser fails the test, not CI. The
    // watchdog kills our chromium only while it is still running.
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(Duration::from_secs(120)).is_err() {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    });
    let out = child.wait_with_output().expect("chromium finishes");
    let _ = done.send(());
    let _ = watchdog.join();
    out
}

/// Loads `page` twice: once for its DOM and console, once for a screenshot
/// of `height` pixels named `shot`.
pub fn load(page: &Path, shot: &str, height: u32) -> Loaded {
    load_at(page, "", shot, height)
}

/// As [`load`], with a `#fragment` on the URL.
pub fn load_at(page: &Path, fragment: &str, shot: &str, height: u32) -> Loaded {
    let profile = std::env::temp_dir().join(format!(
        "faultline-it-chromium-{}-{shot}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&profile);
    let out = chromium(&profile, &["--dump-dom".to_owned()], page, fragment);
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console_errors: Vec<String> = stderr
        .lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                && (l.contains("Uncaught") || l.contains("Error") || l.contains(":ERROR:CONSOLE"))
        })
        .map(str::to_owned)
        .collect();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let screenshot = dir.join(format!("{shot}.png"));
    let _ = std::fs::remove_file(&screenshot);
    let _ = std::fs::remove_dir_all(&profile);
    chromium(
        &profile,
        &[
            format!("--window-size=1300,{height}"),
            format!("--screenshot={}", screenshot.display()),
        ],
        page,
        fragment,
    );
    let _ = std::fs::remove_dir_all(&profile);
    assert!(
        std::fs::metadata(&screenshot).is_ok_and(|m| m.len() > 10_000),
        "chromium wrote no screenshot of {}",
        page.display()
    );
    eprintln!("screenshot: {}", screenshot.display());
    Loaded {
        dom,
        console_errors,
    }
}

/// A page that loaded cleanly: scripts ran without error, the timeline drew.
pub fn assert_clean(loaded: &Loaded) {
    assert!(
        loaded.console_errors.is_empty(),
        "console errors: {:?}",
        loaded.console_errors
    );
    assert!(
        !loaded.dom.contains("data-errors="),
        "a script failed: {}",
        &loaded.dom[..loaded.dom.len().min(2000)]
    );
    assert!(
        loaded.dom.contains("data-timeline=\"drawn\""),
        "the timeline was not drawn"
    );
    let bars: u64 = attribute(&loaded.dom, "data-timeline-bars")
        .and_then(|b| b.parse().ok())
        .unwrap_or(0);
    assert!(bars > 0, "the timeline drew no operation");
}

/// The value of `name="..."` in `text`.
pub fn attribute<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let at = text.find(&format!("{name}=\""))? + name.len() + 2;
    Some(&text[at..at + text[at..].find('"')?])
}

fn faultline(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .expect("faultline runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "faultline-it-reports-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Writes `history` to `dir/file`, checks it (`check ARGS --report
/// dir/report`) and expects it invalid; returns the report's directory and
/// what `check` printed.
fn checked_invalid(dir: &Path, file: &str, history: &str, args: &[&str]) -> (PathBuf, String) {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(file);
    std::fs::write(&path, history).unwrap();
    let report = dir.join("report");
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--report", report.to_str().unwrap(), path.to_str().unwrap()]);
    let out = faultline(&all);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    (report, stdout)
}

#[test]
fn an_invalid_jepsen_history_gets_a_page_with_its_counterexample_drawn() {
    let dir = scratch("jepsen");
    let history = crate::reference_data().join("jepsen-etcd/etcd_001.log");
    let out = faultline(&[
        "check",
        "--format",
        "jepsen-log",
        "--report",
        dir.to_str().unwrap(),
        history.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "etcd_001 is not linearizable");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("report: {}", dir.join("index.html").display())),
        "{stdout}"
    );
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(faultline_reports::fetches_nothing(&html));
    assert!(html.contains("<span class=\"verdict invalid\">INVALID</span>"));
    assert!(html.contains("href=\"#counterexample\"") && html.contains("id=\"counterexample\""));
    assert!(html.contains("<svg") && html.contains("class=\"counterexample\""));
    assert!(html.contains("cannot be linearized"));
    // The imported history has no times: no plots, and the page says why.
    assert!(html.contains("records no times"));
    // It is a run directory now: analyze reaches the same verdict from it.
    let again = faultline(&["analyze", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    if chromium_or_skip("an_invalid_jepsen_history_gets_a_page_with_its_counterexample_drawn") {
        let loaded = load(&dir.join("index.html"), "jepsen-etcd-001-invalid", 2600);
        assert_clean(&loaded);
        assert_eq!(attribute(&loaded.dom, "data-timeline-ops"), Some("86"));
        // The counterexample's link to the failing read selects it on the
        // timeline, its description loaded from timeline-details/.
        assert!(
            html.contains("href=\"#event-72\""),
            "the failing op links to the timeline"
        );
        let loaded = load_at(
            &dir.join("index.html"),
            "#event-72",
            "jepsen-etcd-001-event-72",
            1400,
        );
        assert_clean(&loaded);
        let selected = attribute(&loaded.dom, "data-timeline-selected").unwrap_or("");
        assert!(
            selected.starts_with("#72 process 7 read"),
            "selected: {selected:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A list-append history with a G-single: T1 appends to x and y; T2 reads
/// y with T1's append but x without it.
const G_SINGLE: &str = r#"{"index":0,"time":1000000,"process":0,"type":"invoke","f":"txn","value":[["append","x",1],["append","y",1]]}
{"index":1,"time":2000000,"process":1,"type":"invoke","f":"txn","value":[["r","x",null],["r","y",null]]}
{"index":2,"time":3000000,"process":0,"type":"ok","f":"txn","value":[["append","x",1],["append","y",1]]}
{"index":3,"time":4000000,"process":1,"type":"ok","f":"txn","value":[["r","x",[]],["r","y",[1]]]}
{"index":4,"time":5000000,"process":2,"type":"invoke","f":"txn","value":[["r","x",null]]}
{"index":5,"time":9000000,"process":2,"type":"ok","f":"txn","value":[["r","x",[1]]]}
"#;

#[test]
fn a_serializability_anomaly_gets_its_cycle_drawn() {
    let dir = scratch("gsingle");
    let (report, _) = checked_invalid(
        &dir,
        "g-single.jsonl",
        G_SINGLE,
        &["--checker", "list-append"],
    );
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    assert!(html.contains("id=\"anomaly-G-single"), "grouped by type");
    assert!(html.contains("class=\"cycle\""), "the cycle drawn");
    assert!(
        html.contains(">rw</text>") && html.contains(">wr</text>"),
        "labelled edges"
    );
    assert!(html.contains("id=\"plot-latency\"") && html.contains("id=\"plot-throughput\""));
    for png in ["latency", "quantiles", "throughput"] {
        let bytes = std::fs::read(report.join(format!("plots/{png}.png"))).unwrap();
        assert_eq!(&bytes[1..4], b"PNG", "{png}.png is a PNG");
    }
    if chromium_or_skip("a_serializability_anomaly_gets_its_cycle_drawn") {
        let loaded = load(&report.join("index.html"), "list-append-g-single", 2400);
        assert_clean(&loaded);
        assert_eq!(attribute(&loaded.dom, "data-timeline-ops"), Some("3"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A register history with times and a partition: `write 1`, then
/// `write 2` acknowledged, then a read on the cut-off n3 (during the
/// partition) that still returns 1, then the heal and a read of 2.
const STALE_READ: &str = r#"{"index":0,"time":500000000,"process":0,"type":"invoke","f":"write","value":1}
{"index":1,"time":600000000,"process":0,"type":"ok","f":"write","value":1,"node":"n1"}
{"index":2,"time":1000000000,"process":"nemesis","type":"invoke","f":"start-partition","value":null}
{"index":3,"time":1100000000,"process":"nemesis","type":"info","f":"start-partition","value":{"partition":"[n3] | [n1 n2]"}}
{"index":4,"time":1200000000,"process":0,"type":"invoke","f":"write","value":2}
{"index":5,"time":1300000000,"process":0,"type":"ok","f":"write","value":2,"node":"n1"}
{"index":6,"time":1500000000,"process":1,"type":"invoke","f":"read","value":null}
{"index":7,"time":1600000000,"process":1,"type":"ok","f":"read","value":1,"node":"n3"}
{"index":8,"time":2000000000,"process":"nemesis","type":"invoke","f":"stop-partition","value":null}
{"index":9,"time":2100000000,"process":"nemesis","type":"info","f":"stop-partition","value":"network healed"}
{"index":10,"time":2200000000,"process":1,"type":"invoke","f":"read","value":null}
{"index":11,"time":2300000000,"process":1,"type":"ok","f":"read","value":2,"node":"n3"}
"#;

/// The part of `html` from `from` up to the next `to`.
fn section<'a>(html: &'a str, from: &str, to: &str) -> &'a str {
    let start = html
        .find(from)
        .unwrap_or_else(|| panic!("no {from:?} in the page"));
    let rest = &html[start..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

#[test]
fn a_stale_read_is_told_with_its_times_its_faults_and_the_write_it_contradicts() {
    let dir = scratch("stale");
    let (report, stdout) =
        checked_invalid(&dir, "stale.jsonl", STALE_READ, &["--model", "register"]);
    assert!(
        stdout.contains("contradicts") && stdout.contains("`write 2`"),
        "the text names the write the read contradicts: {stdout}"
    );
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    // The summary comes first, with the moment among the faults.
    let story = section(&html, "<div id=\"story\"", "</div>");
    assert!(story.contains("not linearizable"), "{story}");
    assert!(
        story.contains("First anomaly seen at <strong>1.100 s</strong>")
            && story.contains("<code>read → 1</code> on n3")
            && story.contains("during partition [n3] | [n1 n2] (from 0.500 s)"),
        "{story}"
    );
    assert!(
        html.find("id=\"story\"") < html.find("id=\"counterexample\""),
        "the summary comes before the explanation"
    );
    // The explanation: when the read ran, where, under which fault, and the
    // acknowledged write it contradicts, with its own times.
    let explained = section(
        &html,
        "<div id=\"counterexample\"",
        "<div class=\"drawing\">",
    );
    assert!(
        explained.contains("<a href=\"#event-6\">line 7</a>")
            && explained.contains("It ran 1.000–1.100 s after the history began on n3; in force: partition [n3] | [n1 n2]"),
        "{explained}"
    );
    assert!(
        explained.contains("ends in state <code>2</code>, left by process 0 <code>write 2</code>"),
        "{explained}"
    );
    assert!(
        explained.contains("It contradicts this acknowledged operation")
            && explained.contains(
                "<a href=\"#event-4\">line 5</a>), which left that state. It ran 0.700–0.800 s"
            ),
        "{explained}"
    );
    // The drawing has the contradicted write beside the read.
    let drawing = section(
        &html,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"counterexample\"",
        "</svg>",
    );
    assert!(
        drawing.contains("<title>process 0 write 2")
            && drawing.contains("<title>process 1 read → 1"),
        "{drawing}"
    );
    // The moment is marked on the timeline and on every plot.
    assert!(html.contains("data-first-anomaly=\"1.1\""));
    assert_eq!(
        section(&html, "<figure id=\"plot-latency\"", "</figure>")
            .matches("first anomaly")
            .count(),
        1
    );
    if chromium_or_skip(
        "a_stale_read_is_told_with_its_times_its_faults_and_the_write_it_contradicts",
    ) {
        assert_clean(&load(&report.join("index.html"), "stale-read-story", 3000));
        // The contradicted write's link selects it on the timeline.
        let loaded = load_at(
            &report.join("index.html"),
            "#event-4",
            "stale-read-event-4",
            1400,
        );
        assert_clean(&loaded);
        let selected = attribute(&loaded.dom, "data-timeline-selected").unwrap_or("");
        assert!(
            selected.starts_with("#4 process 0 write"),
            "selected: {selected:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A list-append history of `pairs` write skews: per pair, a transaction
/// appends `1..=list` to two keys; two concurrent ones each read both
/// lists and append to one key, each missing the other's append (G2-item);
/// a read then sees both. A partition is open for the first half.
fn write_skews(pairs: usize, list: usize) -> String {
    let mut events: Vec<String> = Vec::new();
    let mut push = |process: &str, kind: &str, f: &str, value: String, node: Option<&str>| {
        let i = events.len();
        events.push(format!(
            r#"{{"index":{i},"time":{},"process":{process},"type":"{kind}","f":"{f}","value":{value}{}}}"#,
            (i as u64 + 1) * 1_000_000,
            node.map_or(String::new(), |n| format!(r#","node":"{n}""#))
        ));
    };
    push(
        "\"nemesis\"",
        "invoke",
        "start-partition",
        "null".into(),
        None,
    );
    push(
        "\"nemesis\"",
        "info",
        "start-partition",
        r#"{"partition":"[n1] | [n2 n3]"}"#.into(),
        None,
    );
    let base: Vec<String> = (1..=list).map(|v| v.to_string()).collect();
    let base = base.join(",");
    for pair in 0..pairs {
        let (a, b) = (format!("a{pair}"), format!("b{pair}"));
        let setup: Vec<String> = [&a, &b]
            .iter()
            .flat_map(|k| (1..=list).map(move |v| format!(r#"["append","{k}",{v}]"#)))
            .collect();
        let setup = format!("[{}]", setup.join(","));
        push("0", "invoke", "txn", setup.clone(), Some("n1"));
        push("0", "ok", "txn", setup, Some("n1"));
        let next = list + 1;
        let unread = format!(r#"[["r","{a}",null],["r","{b}",null]"#);
        let read = format!(r#"[["r","{a}",[{base}]],["r","{b}",[{base}]]"#);
        push(
            "1",
            "invoke",
            "txn",
            format!(r#"{unread},["append","{a}",{next}]]"#),
            Some("n2"),
        );
        push(
            "2",
            "invoke",
            "txn",
            format!(r#"{unread},["append","{b}",{next}]]"#),
            Some("n3"),
        );
        push(
            "1",
            "ok",
            "txn",
            format!(r#"{read},["append","{a}",{next}]]"#),
            Some("n2"),
        );
        push(
            "2",
            "ok",
            "txn",
            format!(r#"{read},["append","{b}",{next}]]"#),
            Some("n3"),
        );
        push("0", "invoke", "txn", format!("{unread}]"), Some("n1"));
        push(
            "0",
            "ok",
            "txn",
            format!(r#"[["r","{a}",[{base},{next}]],["r","{b}",[{base},{next}]]]"#),
            Some("n1"),
        );
        if pair == pairs / 2 {
            push(
                "\"nemesis\"",
                "invoke",
                "stop-partition",
                "null".into(),
                None,
            );
            push(
                "\"nemesis\"",
                "info",
                "stop-partition",
                "\"network healed\"".into(),
                None,
            );
        }
    }
    events.join("\n") + "\n"
}

#[test]
fn hundreds_of_anomalies_are_summarised_then_two_shown_the_rest_behind_show_all() {
    let dir = scratch("skews");
    let (report, stdout) = checked_invalid(
        &dir,
        "skews.jsonl",
        &write_skews(300, 40),
        &["--checker", "list-append"],
    );
    // The text: counts, the first explanation, and how many more.
    assert!(stdout.contains("anomalies: G2-item ×300"), "{stdout}");
    assert_eq!(stdout.matches("  G2-item: ").count(), 1, "{stdout}");
    assert!(stdout.contains("… and 299 more G2-item"), "{stdout}");
    assert!(stdout.lines().count() < 12, "{stdout}");
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    let story = section(&html, "<div id=\"story\"", "</div>");
    assert!(
        story.contains("<strong>300 anomalies</strong>")
            && story.contains("<a href=\"#anomaly-G2-item\">G2-item</a> ×300")
            && story.contains("in 300 strongly connected component(s)"),
        "{story}"
    );
    // The first skew completes at event 7 (its second transaction, T5).
    assert!(
        story.contains("First anomaly seen at <strong>0.007 s</strong>")
            && story.contains("G2-item among T4, T5")
            && story.contains("during partition [n1] | [n2 n3]"),
        "{story}"
    );
    assert!(html.contains("G2-item (300 found, 8 explained)"));
    // Two whole, six behind "show all", each explanation a few short lines
    // with its lists elided.
    let shown = section(
        &html,
        "id=\"anomaly-G2-item\"",
        "<details class=\"more-anomalies\">",
    );
    assert_eq!(shown.matches("<div class=\"anomaly\">").count(), 2);
    let more = section(&html, "<details class=\"more-anomalies\">", "</details>");
    assert!(
        more.contains("show all: 6 more G2-item explained (of 298 more found"),
        "{more}"
    );
    assert_eq!(more.matches("<div class=\"anomaly\">").count(), 6);
    for step in shown.split("<li>").skip(1) {
        let step = &step[..step.find("</li>").unwrap()];
        assert!(step.contains("[… 34 earlier, 35 36 37 38 39 40]"), "{step}");
        assert!(
            step.len() < 200,
            "an edge explained in one short line: {step}"
        );
    }
    assert!(
        shown.contains("Its transactions ran 0.004–0.007 s after the history began; in force: partition [n1] | [n2 n3].")
            && shown.contains("<a href=\"#event-4\">T4</a></td><td>1</td><td>n2</td>"),
        "{shown}"
    );
    if chromium_or_skip(
        "hundreds_of_anomalies_are_summarised_then_two_shown_the_rest_behind_show_all",
    ) {
        let loaded = load(&report.join("index.html"), "write-skews-story", 3600);
        assert_clean(&loaded);
        assert!(
            loaded.dom.contains("<details class=\"more-anomalies\">"),
            "show all stays closed until opened"
        );
        let loaded = load_at(
            &report.join("index.html"),
            "#event-5",
            "write-skews-event-5",
            1400,
        );
        assert_clean(&loaded);
        let selected = attribute(&loaded.dom, "data-timeline-selected").unwrap_or("");
        assert!(
            selected.starts_with("#5 process 2 txn"),
            "selected: {selected:?}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_rerenders_runs_and_indexes_the_store() {
    let store = scratch("store");
    for (run, file) in [
        ("20261120T010000Z", "etcd_002.log"),
        ("20261121T010000Z", "etcd_001.log"),
    ] {
        let dir = store.join("jepsen-etcd").join(run);
        let history = crate::reference_data().join("jepsen-etcd").join(file);
        faultline(&[
            "check",
            "--format",
            "jepsen-log",
            "--report",
            dir.to_str().unwrap(),
            history.to_str().unwrap(),
        ]);
        std::fs::remove_file(dir.join("index.html")).unwrap();
    }
    let out = faultline(&["report", "--store", store.to_str().unwrap(), "--all"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for run in ["20261120T010000Z", "20261121T010000Z"] {
        assert!(
            store
                .join("jepsen-etcd")
                .join(run)
                .join("index.html")
                .exists(),
            "{run} re-rendered"
        );
    }
    let index = std::fs::read_to_string(store.join("index.html")).unwrap();
    assert!(index.contains("2 runs, 1 valid, 1 invalid"), "{index}");
    assert!(index.contains("href=\"jepsen-etcd/20261121T010000Z/index.html\""));
    assert!(index.contains("class=\"trend\" data-test=\"jepsen-etcd\""));
    // Bad input: one line naming the problem, exit 254.
    let out = faultline(&["report", store.join("nope").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(254));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not a run directory") && stderr.lines().count() == 1,
        "{stderr}"
    );
    let out = faultline(&["report"]);
    assert_eq!(out.status.code(), Some(254));
    if chromium_or_skip("report_rerenders_runs_and_indexes_the_store") {
        let loaded = load(&store.join("index.html"), "store-index", 1200);
        assert!(
            loaded.console_errors.is_empty(),
            "{:?}",
            loaded.console_errors
        );
        assert!(
            loaded.dom.contains("data-store=\"ready\""),
            "the filter script ran"
        );
    }
    let _ = std::fs::remove_dir_all(&store);
}

/// A server we started, stopped by its PID when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(address: &str, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

#[test]
fn serve_shows_the_store_and_refuses_every_way_out_of_it() {
    let base = scratch("serve");
    let store = base.join("store");
    std::fs::create_dir_all(store.join("t/run")).unwrap();
    std::fs::write(store.join("t/run/index.html"), "<p>the run</p>").unwrap();
    std::fs::write(store.join("t/run/history.jsonl"), "{}\n").unwrap();
    std::fs::write(base.join("secret.txt"), "SECRET").unwrap();
    std::os::unix::fs::symlink(base.join("secret.txt"), store.join("t/escape")).unwrap();
    std::os::unix::fs::symlink(&base, store.join("t/up")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "serve",
            "--store",
            store.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Server(child);
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    let request = |path: &str| get(&address, &format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
    let (status, body) = request("/t/run/index.html");
    assert_eq!(status, 200);
    // Header names are case-insensitive (hyper writes them in lower case).
    let lower = body.to_ascii_lowercase();
    assert!(body.contains("the run") && lower.contains("content-type: text/html"));
    assert!(lower.contains("x-content-type-options: nosniff"), "{body}");
    let (status, body) = request("/t/run");
    assert_eq!(status, 301);
    assert!(
        body.to_ascii_lowercase().contains("location: /t/run/"),
        "{body}"
    );
    assert_eq!(
        request("/t/run/").0,
        200,
        "a directory serves its index.html"
    );
    let (status, body) = request("/t/");
    assert!(status == 200 && body.contains("run/"), "a listing");
    for attempt in [
        "/../secret.txt",
        "/t/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/t/run/%2e%2e/%2e%2e/%2e%2e/secret.txt",
        "/t/escape",
        "/t/up/secret.txt",
        "/./../secret.txt",
    ] {
        let (status, body) = request(attempt);
        assert_eq!(status, 403, "{attempt} must be refused: {body}");
        assert!(!body.contains("SECRET"), "{attempt} leaked the file");
    }
    for attempt in ["/..%5csecret.txt", "/%zz", "/a%00b"] {
        assert_eq!(request(attempt).0, 400, "{attempt}");
    }
    let (status, head) = get(&address, "HEAD /t/run/index.html HTTP/1.1\r\n\r\n");
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase().contains("content-length: 14") && !head.contains("the run"),
        "{head}"
    );
    let (status, history) = request("/t/run/history.jsonl");
    assert_eq!(status, 200);
    assert!(
        history
            .to_ascii_lowercase()
            .contains("content-type: text/plain"),
        "a history reads in the browser: {history}"
    );
    assert_eq!(request("/missing").0, 404);
    assert_eq!(get(&address, "POST / HTTP/1.1\r\n\r\n").0, 405);
    // A bad address is one line and exit 254.
    let out = faultline(&["serve", "--store", base.join("none").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(254));
    let _ = std::fs::remove_dir_all(&base);
}

/// A history in Jepsen's conventions: every nemesis operation two `info`
/// events with one `f` (`kill` then `start`, `pause` then `resume`), a
/// partition given as a grudge. A stale read happens while n1 is killed.
const JEPSEN_NEMESIS: &str = r#"{:process 0, :type :invoke, :f :write, :value 1, :time 1000000000}
{:process 0, :type :ok, :f :write, :value 1, :time 1100000000}
{:process :nemesis, :type :info, :f :kill, :value :primaries, :time 1500000000}
{:process :nemesis, :type :info, :f :kill, :value {"n1" :killed}, :time 1600000000}
{:process 1, :type :invoke, :f :read, :value nil, :time 2100000000}
{:process 1, :type :ok, :f :read, :value nil, :time 2200000000}
{:process :nemesis, :type :info, :f :start, :value :all, :time 3000000000}
{:process :nemesis, :type :info, :f :start, :value {"n1" :started}, :time 3500000000}
{:process :nemesis, :type :info, :f :start-partition, :value :majority, :time 4000000000}
{:process :nemesis, :type :info, :f :start-partition, :value [:isolated {"n1" #{"n2" "n3"}, "n2" #{"n1"}, "n3" #{"n1"}}], :time 4100000000}
{:process :nemesis, :type :info, :f :stop-partition, :value nil, :time 4500000000}
{:process :nemesis, :type :info, :f :stop-partition, :value :network-healed, :time 4600000000}
{:process 2, :type :invoke, :f :read, :value nil, :time 5000000000}
{:process 2, :type :ok, :f :read, :value 1, :time 5100000000}
"#;

/// Jepsen's nemesis conventions once drew no window and the page said the
/// anomaly came "with no fault in force" while a kill was open.
#[test]
fn jepsen_nemesis_operations_are_windows_and_the_anomaly_is_placed_in_the_kill() {
    let dir = scratch("jepsen-nemesis");
    let (report, _) = checked_invalid(&dir, "kill.edn", JEPSEN_NEMESIS, &["--model", "register"]);
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    let story = section(&html, "<div id=\"story\"", "</div>");
    assert!(story.contains("during kill n1 (from 0.500 s)"), "{story}");
    assert!(!story.contains("no fault in force"), "{story}");
    let timeline = std::fs::read_to_string(report.join("timeline.js")).unwrap();
    for window in [
        r#""end":2.5,"kind":"kill","label":"n1","start":0.5"#,
        r#""end":3.6,"kind":"partition","label":"[n1] | [n2 n3]","start":3.0"#,
    ] {
        assert!(timeline.contains(window), "{window} in {timeline}");
    }
    assert_eq!(
        timeline.matches("\"kind\":\"kill\"").count(),
        1,
        "one window a kill"
    );
    if chromium_or_skip(
        "jepsen_nemesis_operations_are_windows_and_the_anomaly_is_placed_in_the_kill",
    ) {
        let loaded = load(&report.join("index.html"), "jepsen-nemesis-kill", 1600);
        assert_clean(&loaded);
        let shaded = attribute(&loaded.dom, "data-timeline-faults").unwrap_or("");
        assert!(
            shaded.contains("kill n1") && shaded.contains("partition [n1] | [n2 n3]"),
            "{shaded}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The terminal said "line 132" where the page said "event 131": an event
/// has one number everywhere, its line in the file read, blank lines and
/// all, and `analyze` of the report's run directory says the same.
#[test]
fn an_event_has_one_number_in_the_terminal_the_page_and_analyze() {
    let dir = scratch("numbering");
    // Blank lines push every event below line position + 1.
    let spaced = STALE_READ.replace('\n', "\n\n");
    let (report, stdout) = checked_invalid(&dir, "spaced.jsonl", &spaced, &["--model", "register"]);
    // The stale read is invoked at event 6, on line 13 of the spaced file.
    assert!(stdout.contains("`read → 1` (line 13)"), "{stdout}");
    let html = std::fs::read_to_string(report.join("index.html")).unwrap();
    let story = section(&html, "<div id=\"story\"", "</div>");
    assert!(
        story.contains("<a href=\"#event-6\">line 13</a>"),
        "{story}"
    );
    let explained = section(
        &html,
        "<div id=\"counterexample\"",
        "<div class=\"drawing\">",
    );
    assert!(
        explained.contains("<a href=\"#event-6\">line 13</a>"),
        "{explained}"
    );
    let again = faultline(&["analyze", report.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(1), "{text}");
    assert!(text.contains("`read → 1` (line 13)"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
