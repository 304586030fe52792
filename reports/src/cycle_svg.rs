//! A serializability anomaly's cycle drawn as a graph: its transactions as
//! nodes on a circle, each dependency an arrow labelled ww, wr, rw, process
//! or realtime, with the reason as the arrow's tooltip.

use crate::html::escape;
use faultline_checkers::serializable::Anomaly;
use std::fmt::Write;

const NODE_RADIUS: f64 = 24.0;

fn edge_color(label: &str) -> &'static str {
    match label {
        "ww" => "#2f7fc1",
        "wr" => "#1b7f3b",
        "rw" => "#b3261e",
        "process" => "#8c50be",
        _ => "#c07000",
    }
}

/// The SVG of `anomaly`'s cycle (the checker's JSON); None for an anomaly
/// without one. `id` keeps its arrowheads apart from other drawings' on the
/// same page.
pub fn cycle_svg(anomaly: &Anomaly, id: usize) -> Option<String> {
    let edges = &anomaly.cycle;
    if edges.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    for edge in edges {
        for name in [edge.from.as_str(), edge.to.as_str()] {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let process_of = |name: &str| {
        anomaly
            .txns
            .iter()
            .find(|t| t.name == name)
            .map(|t| (t.process.clone(), t.mops.join("; ")))
            .unwrap_or_default()
    };
    let n = names.len() as f64;
    let radius = (n * 12.0).max(80.0);
    // Two transactions side by side: a circle would leave most of its
    // square empty.
    let pair = names.len() == 2;
    let (cx, cy) = (radius + 70.0, if pair { 64.0 } else { radius + 40.0 });
    let first_angle = if pair {
        std::f64::consts::PI
    } else {
        -std::f64::consts::FRAC_PI_2
    };
    let place = |i: usize| {
        // Start at the top (the left for a pair) and go clockwise, as the
        // cycle is read.
        let angle = first_angle + 2.0 * std::f64::consts::PI * i as f64 / n;
        (cx + radius * angle.cos(), cy + radius * angle.sin())
    };
    let (width, height) = (2.0 * cx, 2.0 * cy);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"cycle\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\"><defs>"
    );
    for label in ["ww", "wr", "rw", "process", "realtime"] {
        let _ = write!(
            svg,
            "<marker id=\"arrow-{id}-{label}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0L10,5L0,10z\" fill=\"{}\"/></marker>",
            edge_color(label)
        );
    }
    svg += "</defs>";
    for edge in edges {
        let from = names.iter().position(|n| edge.from == *n)?;
        let to = names.iter().position(|n| edge.to == *n)?;
        let label = edge.label.as_ref();
        let color = edge_color(label);
        let (x0, y0) = place(from);
        let (x1, y1) = place(to);
        let (dx, dy) = (x1 - x0, y1 - y0);
        let length = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / length, dy / length);
        // Bend to the left of the direction of travel, so that two arrows
        // between the same pair go round opposite sides.
        let bend = 0.22 * length;
        let (mx, my) = ((x0 + x1) / 2.0 + uy * bend, (y0 + y1) / 2.0 - ux * bend);
        let start = toward((x0, y0), (mx, my), NODE_RADIUS);
        let end = toward((x1, y1), (mx, my), NODE_RADIUS + 2.0);
        let (lx, ly) = (
            0.25 * start.0 + 0.5 * mx + 0.25 * end.0,
            0.25 * start.1 + 0.5 * my + 0.25 * end.1,
        );
        let _ = write!(
            svg,
            "<g><title>{}</title><path d=\"M{:.1},{:.1} Q{mx:.1},{my:.1} {:.1},{:.1}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" marker-end=\"url(#arrow-{id}-{})\"/>\
<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"16\" rx=\"3\" fill=\"#fff\" stroke=\"{color}\"/><text x=\"{lx:.1}\" y=\"{:.1}\" fill=\"{color}\" text-anchor=\"middle\">{}</text></g>",
            escape(if edge.why.is_empty() { label } else { &edge.why }),
            start.0,
            start.1,
            end.0,
            end.1,
            escape(label),
            lx - 4.0 - 3.5 * label.len() as f64,
            ly - 8.0,
            8.0 + 7.0 * label.len() as f64,
            ly + 4.0,
            escape(label)
        );
    }
    for (i, name) in names.iter().enumerate() {
        let (x, y) = place(i);
        let (process, mops) = process_of(name);
        let _ = write!(
            svg,
            "<g><title>{} (process {}): {}</title><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{NODE_RADIUS}\" fill=\"#f4f4f4\" stroke=\"#444\" stroke-width=\"1.5\"/>\
<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#666\" font-size=\"10\">p{}</text></g>",
            escape(name),
            escape(&process),
            escape(&mops),
            y + 1.0,
            escape(name),
            y + 13.0,
            escape(&process)
        );
    }
    svg += "</svg>";
    Some(svg)
}

/// The point `distance` from `from` toward `to`.
fn toward(from: (f64, f64), to: (f64, f64), distance: f64) -> (f64, f64) {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let length = (dx * dx + dy * dy).sqrt().max(1e-9);
    (
        from.0 + dx / length * distance,
        from.1 + dy / length * distance,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn typed(value: serde_json::Value) -> Anomaly {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_cycle_becomes_nodes_and_labelled_arrows() {
        let anomaly = typed(json!({
            "name": "G-single",
            "txns": [{"name": "T0", "process": "1", "mops": ["r x []"]}, {"name": "T1", "process": "2", "mops": ["append x 1"]}],
            "cycle": [
                {"from": "T0", "to": "T1", "label": "rw", "why": "T0 did not see T1's append"},
                {"from": "T1", "to": "T0", "label": "wr", "why": "T0 read T1's append"}
            ]
        }));
        let svg = cycle_svg(&anomaly, 3).unwrap();
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches("marker-end=").count(), 2);
        assert!(svg.contains("url(#arrow-3-rw)") && svg.contains("url(#arrow-3-wr)"));
        assert!(svg.contains("T0 did not see T1&#39;s append"));
        assert!(svg.contains("append x 1"));
        // A pair side by side: a strip, not a screen's height.
        assert!(
            svg.contains("width=\"300\" height=\"128\""),
            "{}",
            &svg[..120]
        );
    }

    #[test]
    fn no_cycle_no_drawing() {
        assert!(cycle_svg(&typed(json!({"name": "G1a", "cycle": []})), 0).is_none());
    }
}
