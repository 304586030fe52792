//! A linearizability counterexample drawn the way Porcupine draws one: one
//! lane per process, each operation a bar from invocation to completion in
//! event order, the longest partial linearization as numbered points joined
//! in order with the state after each step, the operation that cannot be
//! placed outlined in red, and the acknowledged operations it contradicts.

use crate::html::{escape, shorten};
use faultline_checkers::linearizable::{Counterexample, OpView};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

const LANE: f64 = 58.0;
const LEFT: f64 = 70.0;
const TOP: f64 = 26.0;
/// The widest a step of the x axis grows to fit labels (about 60 characters).
const MAX_STEP: f64 = 400.0;
/// Pixels per character of an 11 px sans-serif label, generously.
const CHAR_PX: f64 = 6.5;

/// The pixels a bar needs to hold `label` whole.
fn label_width(label: &str) -> f64 {
    label.chars().count() as f64 * CHAR_PX + 8.0
}

/// An operation of the drawing.
#[derive(Clone)]
struct Bar<'a> {
    process: String,
    invoke: u64,
    complete: Option<u64>,
    /// Its outcome is unknown, so it may take effect up to the end.
    unknown: bool,
    description: &'a str,
}

fn bar_of(op: &OpView) -> Bar<'_> {
    Bar {
        process: op.process.clone(),
        invoke: op.invoke as u64,
        complete: op.complete.map(|c| c as u64),
        unknown: op.unknown || op.complete.is_none(),
        description: &op.description,
    }
}

/// The SVG of `counterexample`, or None when it names no operation to draw.
pub fn counterexample_svg(counterexample: &Counterexample) -> Option<String> {
    let path = counterexample.partial_linearizations.first();
    let steps: Vec<(Bar, &str)> = path
        .into_iter()
        .flat_map(|p| p.steps.iter())
        .map(|s| (bar_of(&s.op), s.state_after.as_str()))
        .collect();
    // The window's operations, or else those the explanation names.
    let mut bars: BTreeMap<u64, Bar> = BTreeMap::new();
    for op in counterexample.window.iter().flat_map(|w| w.ops.iter()) {
        let bar = bar_of(op);
        bars.insert(bar.invoke, bar);
    }
    if bars.is_empty() {
        for (bar, _) in &steps {
            bars.insert(bar.invoke, bar.clone());
        }
    }
    let failing = counterexample
        .failing_op
        .as_ref()
        .or_else(|| path.and_then(|p| p.stuck_at.as_ref()))
        .map(bar_of)?;
    // The acknowledged operations it contradicts belong in the picture,
    // in or out of the window.
    for op in &counterexample.conflicts {
        let bar = bar_of(op);
        bars.entry(bar.invoke).or_insert(bar);
    }
    let failing_invoke = failing.invoke;
    bars.entry(failing.invoke).or_insert(failing);
    let layout = Layout::of(&bars);
    let mut svg = layout.lanes();
    for bar in bars.values() {
        svg += &layout.bar(bar, bar.invoke == failing_invoke);
    }
    svg += &layout.steps(&steps);
    svg += "</svg>";
    Some(svg)
}

/// Where things go: Porcupine's x axis (event order, evenly spaced) and
/// one lane per process.
struct Layout<'a> {
    /// Past every event: where an operation of unknown outcome reaches.
    end: u64,
    x_of: BTreeMap<u64, f64>,
    processes: Vec<&'a str>,
    width: f64,
    height: f64,
}

impl<'a> Layout<'a> {
    fn of(bars: &'a BTreeMap<u64, Bar<'a>>) -> Layout<'a> {
        let end = bars
            .values()
            .flat_map(|b| [Some(b.invoke), b.complete])
            .flatten()
            .max()
            .unwrap_or(0)
            + 1;
        let mut positions: BTreeSet<u64> = bars
            .values()
            .flat_map(|b| [b.invoke, b.complete.unwrap_or(end)])
            .collect();
        if bars.values().any(|b| b.unknown) {
            positions.insert(end);
        }
        // Wide enough that every bar holds its whole label: a bar spans
        // the steps between its invocation and completion.
        let index: BTreeMap<u64, usize> =
            positions.iter().enumerate().map(|(i, &p)| (p, i)).collect();
        let fitting = bars
            .values()
            .map(|b| {
                let span = index[&b.complete.unwrap_or(end)].saturating_sub(index[&b.invoke]);
                label_width(b.description) / span.max(1) as f64
            })
            .fold(0.0, f64::max);
        let step_x = (1000.0 / positions.len().max(1) as f64)
            .clamp(14.0, 60.0)
            .max(fitting.min(MAX_STEP));
        let x_of: BTreeMap<u64, f64> = positions
            .iter()
            .enumerate()
            .map(|(i, &p)| (p, LEFT + 10.0 + i as f64 * step_x))
            .collect();
        let mut processes: Vec<&str> = bars.values().map(|b| b.process.as_str()).collect();
        processes.sort_by_key(|p| (p.parse::<u64>().unwrap_or(u64::MAX), p.to_string()));
        processes.dedup();
        let width = LEFT + 40.0 + positions.len() as f64 * step_x;
        let height = TOP + processes.len() as f64 * LANE + 20.0;
        Layout {
            end,
            x_of,
            processes,
            width,
            height,
        }
    }

    fn lane_of(&self, process: &str) -> f64 {
        self.processes
            .iter()
            .position(|q| *q == process)
            .unwrap_or(0) as f64
    }

    /// Where `bar` starts and ends, and how far it may reach (an
    /// operation of unknown outcome continues to the end).
    fn reach(&self, bar: &Bar) -> (f64, f64, f64) {
        let x0 = self.x_of[&bar.invoke];
        let x1 = self.x_of[&bar.complete.unwrap_or(self.end)].max(x0 + 4.0);
        let open_end = if bar.unknown {
            self.x_of[&self.end].max(x1)
        } else {
            x1
        };
        (x0, x1, open_end)
    }

    /// The opening tag and a lane per process.
    fn lanes(&self) -> String {
        let (width, height) = (self.width, self.height);
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"counterexample\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
        );
        for (i, p) in self.processes.iter().enumerate() {
            let y = TOP + i as f64 * LANE;
            let _ = write!(
                svg,
                "<rect x=\"0\" y=\"{y:.0}\" width=\"{width:.0}\" height=\"{LANE:.0}\" fill=\"{}\"/><text x=\"6\" y=\"{:.0}\" fill=\"#555\">process {}</text>",
                if i % 2 == 0 { "#fafafa" } else { "#fff" },
                y + LANE / 2.0 + 4.0,
                escape(p)
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{LEFT}\" y=\"16\" fill=\"#555\">event order →</text>"
        );
        svg
    }

    /// One operation: a bar from invocation to completion, dashed on to
    /// the end when its outcome is unknown, red when it cannot be placed;
    /// a click shows it on the timeline.
    fn bar(&self, bar: &Bar, is_failing: bool) -> String {
        let (x0, x1, open_end) = self.reach(bar);
        let y = TOP + self.lane_of(&bar.process) * LANE + 8.0;
        let (fill, stroke, width_px) = if is_failing {
            ("#fde2e1", "#b3261e", 2.5)
        } else if bar.unknown {
            ("#fdebd0", "#d08a20", 1.0)
        } else {
            ("#dbe9f6", "#2f7fc1", 1.0)
        };
        let chars = ((x1 - x0 - 8.0) / CHAR_PX) as usize;
        let label = if chars > 2 || bar.description.chars().count() <= chars {
            shorten(bar.description, chars)
        } else {
            String::new()
        };
        let mut svg = format!(
            "<a href=\"#event-{}\"><g><title>process {} {} (events {}–{}){}; click to show it on the timeline</title>",
            bar.invoke,
            escape(&bar.process),
            escape(bar.description),
            bar.invoke,
            bar.complete.map_or("pending".to_owned(), |c| c.to_string()),
            if is_failing { ": cannot be linearized" } else { "" },
        );
        if open_end > x1 {
            let _ = write!(
                svg,
                "<line x1=\"{x1:.1}\" y1=\"{:.1}\" x2=\"{open_end:.1}\" y2=\"{:.1}\" stroke=\"{stroke}\" stroke-dasharray=\"4 3\"/>",
                y + 9.0,
                y + 9.0
            );
        }
        let _ = write!(
            svg,
            "<rect x=\"{x0:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"18\" rx=\"3\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{width_px}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            x1 - x0,
            x0 + 3.0,
            y + 13.0,
            escape(&label)
        );
        svg += "</a>";
        if is_failing {
            let _ = write!(
                svg,
                "<text x=\"{x0:.1}\" y=\"{:.1}\" fill=\"#b3261e\" font-weight=\"bold\">cannot be linearized</text>",
                y + 32.0
            );
        }
        svg
    }

    /// The partial linearization: numbered points in order along the bars'
    /// lower edges, each no earlier than the one before, joined by a line.
    fn steps(&self, steps: &[(Bar, &str)]) -> String {
        let mut points: Vec<(f64, f64, usize, &str, &str)> = Vec::new();
        let mut last_x = LEFT;
        for (k, (bar, state)) in steps.iter().enumerate() {
            if !self.x_of.contains_key(&bar.invoke) {
                continue;
            }
            let (x0, _, open_end) = self.reach(bar);
            let x = (last_x + 8.0).max(x0 + 6.0).min(open_end.max(x0 + 6.0));
            last_x = x;
            let y = TOP + self.lane_of(&bar.process) * LANE + 26.0;
            points.push((x, y, k + 1, state, bar.description));
        }
        let mut svg = String::new();
        if points.len() > 1 {
            let line: Vec<String> = points
                .iter()
                .map(|p| format!("{:.1},{:.1}", p.0, p.1))
                .collect();
            let _ = write!(
                svg,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"#333\" stroke-width=\"1\" stroke-opacity=\".5\"/>",
                line.join(" ")
            );
        }
        for (x, y, k, state, description) in &points {
            let _ = write!(
                svg,
                "<g><title>step {k}: {} → state {}</title><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"7\" fill=\"#333\"/><text x=\"{x:.1}\" y=\"{:.1}\" fill=\"#fff\" font-size=\"8\" text-anchor=\"middle\">{k}</text><text x=\"{x:.1}\" y=\"{:.1}\" fill=\"#333\" font-size=\"10\" text-anchor=\"middle\">{}</text></g>",
                escape(description),
                escape(state),
                y + 3.0,
                y + 19.0,
                escape(&shorten(state, 14))
            );
        }
        svg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn typed(value: serde_json::Value) -> Counterexample {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn draws_lanes_steps_and_the_failing_operation() {
        let c = typed(json!({
            "key": "k1",
            "failing_op": {"process": "2", "invoke": 4, "complete": 5, "description": "read → 1"},
            "partial_linearizations": [{"steps": [
                {"op": {"process": "0", "invoke": 0, "complete": 1, "description": "write 2"}, "state_after": "2"},
                {"op": {"process": "1", "invoke": 2, "complete": 3, "description": "read → 2"}, "state_after": "2"}
            ]}]
        }));
        let svg = counterexample_svg(&c).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        for lane in ["process 0", "process 1", "process 2"] {
            assert!(svg.contains(lane), "{lane} missing: {svg}");
        }
        assert!(svg.contains("cannot be linearized"));
        assert!(svg.contains("step 2: read → 2 → state 2"), "{svg}");
        assert_eq!(svg.matches("<circle").count(), 2);
    }

    /// Labels were once cut to `append "x…` and ran past their boxes.
    #[test]
    fn every_label_is_whole_and_inside_its_bar() {
        let c = typed(json!({
            "key": "k1",
            "failing_op": {"process": "2", "invoke": 4, "complete": 5, "description": "get → \"x 0 0 yx 1 0 yx 2 0 y\""},
            "partial_linearizations": [{"steps": [
                {"op": {"process": "0", "invoke": 0, "complete": 1, "description": "append \"x 0 0 y\""}, "state_after": "x 0 0 y"},
                {"op": {"process": "1", "invoke": 2, "complete": 3, "description": "append \"x 1 0 y\""}, "state_after": "x 0 0 yx 1 0 y"}
            ]}]
        }));
        let svg = counterexample_svg(&c).unwrap();
        for label in [
            "append &quot;x 0 0 y&quot;",
            "append &quot;x 1 0 y&quot;",
            "get → &quot;x 0 0 yx 1 0 yx 2 0 y&quot;",
        ] {
            let at = svg
                .find(&format!(">{label}</text>"))
                .unwrap_or_else(|| panic!("{label} whole: {svg}"));
            // The bar drawn just before the label is at least as wide as it.
            let rect = &svg[svg[..at].rfind("<rect").unwrap()..at];
            let width: f64 = rect
                .split("width=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let shown = label.replace("&quot;", "\"").chars().count() as f64;
            assert!(width >= shown * CHAR_PX, "{label}: {width} px");
        }
    }

    #[test]
    fn nothing_to_draw_without_an_operation() {
        assert!(counterexample_svg(&typed(json!({"key": "k"}))).is_none());
    }
}
