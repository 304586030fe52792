//! How long a run's report takes to write, and to open in a browser, for a
//! large history: `cargo bench -p faultline-reports --bench render [-- --ops N]`
//! (default 1 000 000 operations). The history is synthetic: 50 processes
//! doing reads, writes and compare-and-sets, with ok, fail and info
//! outcomes, a fault window every 10 seconds, and a verdict of invalid
//! naming a read halfway through (so the page has an invalid run's
//! summary, marks and counterexample). Opening is measured in
//! headless Chromium when /usr/bin/chromium exists: the page's own time to
//! its first timeline drawing, and the whole load as the browser reports it.
//! `FAULTLINE_BENCH_KEEP=1` keeps the run directory to look at.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn synthetic_run(dir: &Path, ops: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(dir.join("history.jsonl")).unwrap());
    let processes = 50u64;
    // Each process runs ops back to back; about 1 000 ops/s over all.
    let mut clock = vec![0u64; processes as usize];
    let mut events: Vec<(u64, String)> = Vec::with_capacity(ops * 2 + 64);
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..ops {
        let p = (i as u64) % processes;
        let start = clock[p as usize] + next() % 5_000_000;
        let latency = 1_000_000 + next() % 40_000_000;
        let end = start + latency;
        clock[p as usize] = end;
        let key = i / 2000;
        let (f, value, done) = match next() % 3 {
            0 => ("read", "null".to_owned(), format!("{}", next() % 5)),
            1 => {
                let v = next() % 5;
                ("write", v.to_string(), v.to_string())
            }
            _ => {
                let v = format!("[{},{}]", next() % 5, next() % 5);
                ("cas", v.clone(), v)
            }
        };
        let kind = match next() % 20 {
            0 => "info",
            1 | 2 => "fail",
            _ => "ok",
        };
        events.push((start, format!("\"process\":{p},\"type\":\"invoke\",\"f\":\"{f}\",\"key\":\"{key}\",\"value\":{value}")));
        events.push((end, format!("\"process\":{p},\"type\":\"{kind}\",\"f\":\"{f}\",\"key\":\"{key}\",\"value\":{done},\"node\":\"n{}\"", p % 5 + 1)));
    }
    let end = clock.iter().copied().max().unwrap_or(0);
    let mut t = 5_000_000_000u64;
    while t + 5_000_000_000 < end {
        events.push((
            t,
            "\"process\":\"nemesis\",\"type\":\"invoke\",\"f\":\"start-partition\",\"value\":null"
                .into(),
        ));
        events.push((t + 1, "\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"start-partition\",\"value\":{\"partition\":\"[n1 n2] | [n3 n4 n5]\"}".into()));
        events.push((
            t + 5_000_000_000,
            "\"process\":\"nemesis\",\"type\":\"invoke\",\"f\":\"stop-partition\",\"value\":null"
                .into(),
        ));
        events.push((t + 5_000_000_001, "\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"stop-partition\",\"value\":\"network healed\"".into()));
        t += 10_000_000_000;
    }
    events.sort_by_key(|e| e.0);
    for (index, (time, rest)) in events.iter().enumerate() {
        writeln!(out, "{{\"index\":{index},\"time\":{time},{rest}}}").unwrap();
    }
    // The run is invalid: a read halfway through cannot be linearized, so
    // the page carries what an invalid run's does (the summary, the marks
    // on the plots and the timeline, the counterexample).
    let failing = (events.len() / 2..events.len())
        .find(|&i| events[i].1.contains("\"type\":\"invoke\",\"f\":\"read\""))
        .unwrap_or(0);
    let process: String = events
        .get(failing)
        .and_then(|e| e.1.strip_prefix("\"process\":"))
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    out.flush().unwrap();
    std::fs::write(
        dir.join("test.json"),
        r#"{"name":"synthetic","seed":1,"workload":"register","nemesis":{"faults":"partition"}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("results.json"),
        format!(
            r#"{{"valid":false,"ops":{{"ok":{ops},"fail":0,"info":0}},"check_ms":0,"checkers":{{"linearizable":{{"valid":false,"model":"cas-register","ops":{ops},"partitions":{},"refuted_keys":1,"refuted":["k"],"counterexample":{{"key":"k","failing_op":{{"process":"{process}","invoke":{failing},"description":"read → 3"}}}}}}}}}}"#,
            ops / 2000 + 1
        ),
    )
    .unwrap();
}

fn open_in_chromium(page: &Path) -> Option<(f64, String)> {
    let chromium = Path::new("/usr/bin/chromium");
    if !chromium.exists() {
        return None;
    }
    let profile =
        std::env::temp_dir().join(format!("faultline-bench-chromium-{}", std::process::id()));
    let start = Instant::now();
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1400,1000",
            "--virtual-time-budget=2000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .ok()?;
    let wall = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&profile);
    Some((wall, String::from_utf8_lossy(&output.stdout).into_owned()))
}

fn attribute<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let at = dom.find(&format!("{name}=\""))? + name.len() + 2;
    Some(&dom[at..at + dom[at..].find('"')?])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ops = args
        .iter()
        .position(|a| a == "--ops")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000usize);
    let dir: PathBuf =
        std::env::temp_dir().join(format!("faultline-render-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let made = Instant::now();
    synthetic_run(&dir, ops);
    let history_mb =
        std::fs::metadata(dir.join("history.jsonl")).map_or(0, |m| m.len()) as f64 / 1e6;
    println!(
        "history: {ops} operations, {history_mb:.0} MB, made in {:.1} s",
        made.elapsed().as_secs_f64()
    );
    // Where the time goes, phase by phase (the page below does it all again).
    let phase = Instant::now();
    let text = std::fs::read_to_string(dir.join("history.jsonl")).unwrap();
    let read = phase.elapsed().as_secs_f64();
    let run = faultline_reports::RunData::from_jsonl(&text);
    drop(text);
    let parsed = phase.elapsed().as_secs_f64();
    let plots = faultline_reports::draw_plots(&run, Some(&dir), None).expect("plots");
    let plotted = phase.elapsed().as_secs_f64();
    faultline_reports::write_timeline_data(&run, &dir).unwrap();
    let timeline = phase.elapsed().as_secs_f64();
    println!(
        "phases:  read {read:.2} s, parse and pair {:.2} s, plots {:.2} s ({} KB of SVG), timeline data {:.2} s",
        parsed - read,
        plotted - parsed,
        plots.iter().map(|p| p.svg.as_ref().map_or(0, String::len)).sum::<usize>() / 1000,
        timeline - plotted
    );
    drop(run);
    let start = Instant::now();
    let page = faultline_reports::write_run_report(&dir).expect("report written");
    let render = start.elapsed().as_secs_f64();
    let size = |f: &str| std::fs::metadata(dir.join(f)).map_or(0, |m| m.len()) as f64 / 1e6;
    println!(
        "render:  {render:.2} s (index.html {:.1} MB, timeline.js {:.1} MB)",
        size("index.html"),
        size("timeline.js")
    );
    // Three loads: the first also pays for the browser's own first start
    // (its font cache, its profile).
    for attempt in 1..=3 {
        match open_in_chromium(&page) {
            Some((wall, dom)) => {
                let drawn = attribute(&dom, "data-timeline");
                let ms = attribute(&dom, "data-timeline-ms");
                let errors = attribute(&dom, "data-errors");
                println!(
                    "open {attempt}: timeline {} {} ms after navigation started (performance.now at the first drawing); chromium start to DOM dump {wall:.2} s; errors: {}",
                    drawn.unwrap_or("NOT drawn"),
                    ms.unwrap_or("?"),
                    errors.unwrap_or("none")
                );
            }
            None => {
                println!("open:    skipped: /usr/bin/chromium is not installed (apt-get install chromium)");
                break;
            }
        }
    }
    if std::env::var_os("FAULTLINE_BENCH_KEEP").is_some() {
        println!("kept:    {}", page.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
