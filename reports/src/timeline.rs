//! The operation timeline: one lane per process, each operation a bar from
//! invocation to completion coloured by outcome, fault windows behind.
//!
//! The data goes into `timeline.js` beside the page (a `<script src>` works
//! from file://, where fetching a file does not), packed as base64 typed
//! arrays so that a million operations load in a fraction of a second. The
//! words describing each operation are in `timeline-details/NNNN.js`, a
//! file per 50 000 operations, loaded only when one of them is pointed at.
//! The viewer draws only what is on screen: per lane a binary search for
//! the first visible operation, then at most one bar per pixel column, so
//! its cost follows the canvas size, not the history's.

use crate::colors::{fault_hex, outcome_hex, OUTCOMES};
use crate::html::escape;
use crate::run_data::RunData;
use base64::Engine;
use serde_json::json;
use std::io::Write;
use std::path::Path;

/// The data file's name, beside the page.
pub const DATA_FILE: &str = "timeline.js";
/// The folder of the operations' descriptions, beside the page.
pub const DETAILS_DIR: &str = "timeline-details";
/// Operations described per details file.
const DETAILS_PER_FILE: usize = 50_000;

const VIEWER: &str = include_str!("timeline_viewer.js");

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Writes `timeline.js` into `dir`: the operations grouped by lane, each
/// lane in invocation order.
pub fn write_timeline_data(run: &RunData, dir: &Path) -> std::io::Result<()> {
    let mut order: Vec<usize> = (0..run.ops.len()).collect();
    // Stable: within a process, invocation order is time order.
    order.sort_by_key(|&i| run.ops[i].process);
    let mut processes: Vec<u64> = Vec::new();
    let mut lane_start: Vec<u32> = Vec::new();
    let mut start = Vec::with_capacity(order.len() * 4);
    let mut duration = Vec::with_capacity(order.len() * 4);
    let mut status = Vec::with_capacity(order.len());
    let mut invoke = Vec::with_capacity(order.len() * 4);
    for (position, &i) in order.iter().enumerate() {
        let op = &run.ops[i];
        if processes.last() != Some(&op.process) {
            processes.push(op.process);
            lane_start.push(position as u32);
        }
        start.extend_from_slice(&(op.start as f32).to_le_bytes());
        duration.extend_from_slice(&((op.end - op.start) as f32).to_le_bytes());
        status.push(op.outcome_index() as u8 | if op.completed { 0 } else { 4 });
        invoke.extend_from_slice(&(op.invoke as u32).to_le_bytes());
    }
    write_details(run, &order, &dir.join(DETAILS_DIR))?;
    lane_start.push(order.len() as u32);
    let faults: Vec<_> = run
        .faults
        .iter()
        .map(|w| json!({"kind": w.kind, "label": w.label, "start": w.start, "end": w.end, "color": fault_hex(w.kind)}))
        .collect();
    let data = json!({
        "duration": run.duration,
        "unit": if run.timed { "s" } else { "event" },
        "ops": order.len(),
        "processes": processes,
        "laneStart": lane_start,
        "outcomeColors": outcome_hex(),
        "faults": faults,
        "start": base64(&start),
        "duration32": base64(&duration),
        "status": base64(&status),
        "invoke": base64(&invoke),
        "detailsPerFile": DETAILS_PER_FILE,
        "detailsDir": DETAILS_DIR,
    });
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join(DATA_FILE))?);
    out.write_all(b"// faultline timeline data, read by index.html\nwindow.FAULTLINE_TIMELINE = ")?;
    serde_json::to_writer(&mut out, &data)?;
    out.write_all(b";\n")?;
    out.flush()
}

/// Writes the descriptions of the operations, in lane order, a file per
/// [`DETAILS_PER_FILE`], on every core.
fn write_details(run: &RunData, order: &[usize], dir: &Path) -> std::io::Result<()> {
    // Files of an earlier rendering would describe other operations.
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let files: Vec<&[usize]> = order.chunks(DETAILS_PER_FILE).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|worker| {
                let files = &files;
                scope.spawn(move || -> std::io::Result<()> {
                    for (n, chunk) in files.iter().enumerate().skip(worker).step_by(threads) {
                        let mut text = String::with_capacity(chunk.len() * 80);
                        for (k, &i) in chunk.iter().enumerate() {
                            if k > 0 {
                                text.push('\n');
                            }
                            run.describe_to(&mut text, i);
                        }
                        let mut out = std::io::BufWriter::new(std::fs::File::create(
                            dir.join(format!("{n:04}.js")),
                        )?);
                        write!(out, "window.faultlineDetails({n}, ")?;
                        serde_json::to_writer(&mut out, &text)?;
                        out.write_all(b");\n")?;
                        out.flush()?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
}

/// The timeline's section of the page: canvas, controls, legend and viewer.
pub fn timeline_section(run: &RunData, first_anomaly: Option<f64>) -> String {
    let colors = outcome_hex();
    let legend: String = OUTCOMES
        .iter()
        .zip(&colors)
        .map(|(name, color)| {
            format!("<span class=\"chip\" style=\"background:{color}\"></span>{name} ")
        })
        .chain(
            crate::colors::FAULT_KINDS
                .iter()
                .filter(|k| run.faults.iter().any(|w| w.kind == **k))
                .map(|kind| {
                    format!(
                        "<span class=\"chip\" style=\"background:{};opacity:.35\"></span>{} ",
                        fault_hex(kind),
                        escape(kind)
                    )
                }),
        )
        .collect();
    format!(
        "<div id=\"timeline-view\" class=\"timeline\"{mark}>\
<div class=\"tl-bar\"><button type=\"button\" data-zoom=\"in\">zoom in</button>\
<button type=\"button\" data-zoom=\"out\">zoom out</button><button type=\"button\" data-zoom=\"fit\">whole run</button>\
<span class=\"muted\">drag to pan, wheel to scroll lanes, ctrl+wheel to zoom, click an operation for its details</span>\
<span class=\"tl-legend\">{legend}</span></div>\
<canvas class=\"tl-canvas\" width=\"1100\" height=\"480\"></canvas>\
<div class=\"tl-tip\" hidden></div>\
<pre class=\"tl-detail\">No operation selected.</pre></div>\n\
<script src=\"{DATA_FILE}\"></script>\n<script>{VIEWER}</script>\n",
        mark = first_anomaly.map_or(String::new(), |t| format!(" data-first-anomaly=\"{t}\"")),
    )
}
