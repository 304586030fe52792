//! The run's charts, drawn with plotters: latency of every operation over
//! time (by f and outcome), latency quantiles, throughput by outcome, and
//! clock offsets when clocks moved. Fault windows are shaded and labelled
//! on every chart, and the moment the first anomaly was seen is marked. Each chart is SVG for the page and PNG for sharing.
//!
//! A million points would make a page nobody can open, so points that
//! would land on the same pixel with the same marker are drawn once: the
//! picture is the same.

use crate::colors::{fault_color, outcome_color, OUTCOMES};
use crate::font::ensure_font;
use crate::html::shorten;
use crate::run_data::RunData;
use faultline_core::Outcome;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::HashSet;
use std::path::Path;

const WIDTH: u32 = 1100;
const HEIGHT: u32 = 340;

/// Above this many distinct points a scatter is shown as its PNG: an SVG
/// of hundreds of thousands of elements takes a browser seconds to lay out.
pub const MAX_SVG_POINTS: usize = 25_000;

/// One chart.
#[derive(Clone, Debug)]
pub struct Plot {
    /// File stem and anchor: `latency`, `quantiles`, `throughput`, `clock`.
    pub name: &'static str,
    /// What it shows.
    pub title: &'static str,
    /// The chart as an SVG document; None when only its PNG is drawn
    /// (more than [`MAX_SVG_POINTS`] points).
    pub svg: Option<String>,
    /// Points drawn (distinct pixels), for scatters.
    pub points: usize,
}

/// What every chart draws behind its data: the fault windows (with the
/// label row of each) and the moment the first anomaly was seen.
struct Backdrop {
    rows: Vec<usize>,
    first_anomaly: Option<f64>,
}

/// Points of one operation name and outcome: ((f, outcome), points).
type Group = ((u16, usize), Vec<(f64, f64)>);

/// The latency scatter's points, grouped by (f, outcome), one per pixel.
struct Scatter {
    groups: Vec<Group>,
    low: f64,
    high: f64,
    count: usize,
}

fn scatter(run: &RunData) -> Scatter {
    let (low, high) = log_range(run.ops.iter().map(|o| o.latency_ms()));
    let cells_x = f64::from(WIDTH);
    let cells_y = f64::from(HEIGHT);
    let (log_low, log_span) = (low.ln(), (high.ln() - low.ln()).max(1e-9));
    let mut seen: HashSet<(u16, u8, u32, u32)> = HashSet::new();
    let mut groups: Vec<Group> = Vec::new();
    let duration = run.duration.max(0.001);
    let mut count = 0;
    for op in &run.ops {
        let latency = op.latency_ms().max(0.01);
        let outcome = op.outcome_index();
        let cell = (
            op.f,
            outcome as u8,
            (op.end / duration * cells_x) as u32,
            ((latency.ln() - log_low) / log_span * cells_y) as u32,
        );
        if !seen.insert(cell) {
            continue;
        }
        count += 1;
        let key = (op.f, outcome);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, points)) => points.push((op.end, latency)),
            None => groups.push((key, vec![(op.end, latency)])),
        }
    }
    groups.sort_by_key(|(k, _)| *k);
    Scatter {
        groups,
        low,
        high,
        count,
    }
}

type Drawn = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Draws every chart that has something to show; writes `<name>.png` into
/// `png_dir` when given. `first_anomaly` (seconds from the start) is marked
/// with a line on each.
pub fn draw_plots(
    run: &RunData,
    png_dir: Option<&Path>,
    first_anomaly: Option<f64>,
) -> Result<Vec<Plot>, String> {
    if !run.timed {
        // Latency and throughput mean nothing without times.
        return Ok(Vec::new());
    }
    ensure_font()?;
    let mut charts: Vec<(&'static str, &'static str)> = vec![
        ("latency", "Latency of every operation"),
        ("quantiles", "Latency quantiles (completed operations)"),
        ("throughput", "Throughput by outcome"),
    ];
    if !run.clock.is_empty() {
        charts.push(("clock", "Clock offsets"));
    }
    let backdrop = Backdrop {
        rows: label_rows(run),
        first_anomaly,
    };
    let points = scatter(run);
    let mut plots = Vec::new();
    for (name, title) in charts {
        let count = if name == "latency" { points.count } else { 0 };
        let svg = if count > MAX_SVG_POINTS && png_dir.is_some() {
            None
        } else {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
                draw_chart(name, &root, run, &backdrop, &points, title)?;
                root.present().map_err(err)?;
            }
            Some(svg)
        };
        if let Some(dir) = png_dir {
            let path = dir.join(format!("{name}.png"));
            let root = BitMapBackend::new(&path, (WIDTH, HEIGHT)).into_drawing_area();
            draw_chart(name, &root, run, &backdrop, &points, title)?;
            root.present().map_err(err)?;
        }
        plots.push(Plot {
            name,
            title,
            svg,
            points: count,
        });
    }
    Ok(plots)
}

/// One drawing function per chart serves both backends.
fn draw_chart<DB: DrawingBackend>(
    name: &str,
    root: &DrawingArea<DB, Shift>,
    run: &RunData,
    backdrop: &Backdrop,
    points: &Scatter,
    title: &str,
) -> Drawn {
    match name {
        "latency" => draw_latency(root, run, backdrop, points, title),
        "quantiles" => draw_quantiles(root, run, backdrop, title),
        "throughput" => draw_throughput(root, run, backdrop, title),
        _ => draw_clock(root, run, backdrop, title),
    }
}

/// Rows of fault labels at the top of a chart, at most.
const LABEL_ROWS: usize = 3;

/// Overlapping fault windows get their labels on different rows; a label
/// with no room on any row (`usize::MAX`) is left out.
fn label_rows(run: &RunData) -> Vec<usize> {
    let mut row_ends: Vec<f64> = Vec::new();
    run.faults
        .iter()
        .map(|w| {
            // A label takes about a fifth of the plot's width.
            let reach = w.start + run.duration.max(1e-9) * 0.2;
            match row_ends.iter().position(|&end| end <= w.start) {
                Some(row) => {
                    row_ends[row] = reach;
                    row
                }
                None if row_ends.len() < LABEL_ROWS => {
                    row_ends.push(reach);
                    row_ends.len() - 1
                }
                // No room: the shading and its colour still say it.
                None => usize::MAX,
            }
        })
        .collect()
}

/// A logarithmic axis' range over `values` (milliseconds), widened to
/// whole powers of ten so that the axis always has labelled ticks.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (low, high) = values.fold((f64::MAX, 0.0f64), |(l, h), x| {
        let x = x.max(0.01);
        (l.min(x), h.max(x))
    });
    if low > high {
        return (0.01, 1.0);
    }
    let decade_down = 10f64.powf(low.log10().floor());
    let decade_up = 10f64.powf(high.log10().ceil());
    (decade_down, decade_up.max(decade_down * 10.0))
}

fn x_range(run: &RunData) -> std::ops::Range<f64> {
    0.0..run.duration.max(0.001)
}

/// Shades and labels the fault windows between `y_low` and `y_high`, and
/// marks the first anomaly.
fn shade_faults<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, Y>>,
    run: &RunData,
    backdrop: &Backdrop,
    y_low: f64,
    y_high: f64,
) -> Drawn {
    chart
        .draw_series(run.faults.iter().map(|w| {
            Rectangle::new(
                [(w.start, y_low), (w.end.max(w.start), y_high)],
                fault_color(w.kind).mix(0.16).filled(),
            )
        }))
        .map_err(err)?;
    chart
        .draw_series(
            run.faults
                .iter()
                .zip(&backdrop.rows)
                .filter(|(_, &row)| row < LABEL_ROWS)
                .map(|(w, &row)| {
                    EmptyElement::at((w.start, y_high))
                        + Text::new(
                            format!("{} {}", w.kind, shorten(&w.label, 28)),
                            (3, 3 + 12 * row as i32),
                            ("sans-serif", 11).into_font().color(&fault_color(w.kind)),
                        )
                }),
        )
        .map_err(err)?;
    if let Some(t) = backdrop.first_anomaly {
        let red = RGBColor(179, 38, 30);
        chart
            .draw_series(std::iter::once(PathElement::new(
                [(t, y_low), (t, y_high)],
                red.stroke_width(2),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((t, y_low))
                    + Text::new(
                        "first anomaly",
                        (4, -16),
                        ("sans-serif", 11).into_font().color(&red),
                    ),
            ))
            .map_err(err)?;
    }
    Ok(())
}

fn draw_latency<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &RunData,
    backdrop: &Backdrop,
    scatter: &Scatter,
    title: &str,
) -> Drawn {
    root.fill(&WHITE).map_err(err)?;
    let (low, high) = (scatter.low, scatter.high);
    let mut chart = frame(root, title, 56)
        .build_cartesian_2d(x_range(run), (low..high).log_scale())
        .map_err(err)?;
    mesh(&mut chart, "latency (ms)")?;
    shade_faults(&mut chart, run, backdrop, low, high)?;
    for ((f, outcome), points) in &scatter.groups {
        let (f, outcome) = (*f, *outcome);
        let points = points.iter().copied();
        let color = outcome_color(outcome);
        let style = color.mix(0.75).filled();
        let label = format!("{} {}", run.fs[f as usize], OUTCOMES[outcome]);
        let anno = match f % 3 {
            0 => chart
                .draw_series(points.into_iter().map(|p| Circle::new(p, 2, style)))
                .map_err(err)?
                .legend(move |(x, y)| Circle::new((x + 8, y), 3, color.filled())),
            1 => chart
                .draw_series(points.into_iter().map(|p| TriangleMarker::new(p, 3, style)))
                .map_err(err)?
                .legend(move |(x, y)| TriangleMarker::new((x + 8, y), 4, color.filled())),
            _ => chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Cross::new(p, 2, color.stroke_width(1))),
                )
                .map_err(err)?
                .legend(move |(x, y)| Cross::new((x + 8, y), 3, color.stroke_width(1))),
        };
        anno.label(label);
    }
    legend(&mut chart)
}

/// A chart's frame: its title and room for the axes' labels.
fn frame<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_label_width: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(32)
        .y_label_area_size(y_label_width);
    builder
}

/// Axes over time, a light grid, and what the y axis measures.
fn mesh<'a, DB: DrawingBackend + 'a, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    y_desc: impl Into<String>,
) -> Drawn
where
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc("seconds since the start")
        .y_desc(y_desc)
        .light_line_style(RGBColor(240, 240, 240))
        .draw()
        .map_err(err)
}

/// The series' names in the upper right corner.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> Drawn {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(err)
}

/// A named line, with its legend entry.
fn named_line<
    'a,
    DB: DrawingBackend + 'a,
    Y: Ranged<ValueType = f64>,
    C: Color + Copy + 'static,
>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>,
    points: impl IntoIterator<Item = (f64, f64)>,
    color: C,
    name: impl Into<String>,
) -> Drawn {
    chart
        .draw_series(LineSeries::new(points, color.stroke_width(2)))
        .map_err(err)?
        .label(name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
    Ok(())
}

/// Time buckets: about one a second, between 10 and 200 of them.
fn buckets(run: &RunData) -> (usize, f64) {
    let count = (run.duration.ceil() as usize).clamp(10, 200);
    (count, run.duration.max(0.001) / count as f64)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn draw_quantiles<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &RunData,
    backdrop: &Backdrop,
    title: &str,
) -> Drawn {
    root.fill(&WHITE).map_err(err)?;
    let (count, width) = buckets(run);
    let mut per_bucket: Vec<Vec<f64>> = vec![Vec::new(); count];
    for op in run
        .ops
        .iter()
        .filter(|o| o.completed && o.outcome != Outcome::Unknown)
    {
        let b = ((op.end / width) as usize).min(count - 1);
        per_bucket[b].push(op.latency_ms().max(0.01));
    }
    const QUANTILES: [(f64, &str, RGBColor); 4] = [
        (0.5, "median", RGBColor(47, 127, 193)),
        (0.95, "95th", RGBColor(230, 140, 30)),
        (0.99, "99th", RGBColor(200, 60, 60)),
        (1.0, "max", RGBColor(90, 90, 90)),
    ];
    let mut lines: Vec<Vec<(f64, f64)>> = vec![Vec::new(); QUANTILES.len()];
    for (b, values) in per_bucket.iter_mut().enumerate() {
        if values.is_empty() {
            continue;
        }
        values.sort_by(f64::total_cmp);
        for (line, (q, _, _)) in lines.iter_mut().zip(QUANTILES) {
            line.push(((b as f64 + 0.5) * width, quantile(values, q)));
        }
    }
    let (low, high) = log_range(lines.iter().flatten().map(|p| p.1));
    let mut chart = frame(root, title, 56)
        .build_cartesian_2d(x_range(run), (low..high).log_scale())
        .map_err(err)?;
    mesh(&mut chart, format!("latency (ms) per {width:.1} s"))?;
    shade_faults(&mut chart, run, backdrop, low, high)?;
    for (line, (_, name, color)) in lines.into_iter().zip(QUANTILES) {
        named_line(&mut chart, line, color, name)?;
    }
    legend(&mut chart)
}

fn draw_throughput<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &RunData,
    backdrop: &Backdrop,
    title: &str,
) -> Drawn {
    root.fill(&WHITE).map_err(err)?;
    let (count, width) = buckets(run);
    let mut counts = vec![[0u64; 3]; count];
    for op in run.ops.iter().filter(|o| o.completed) {
        let b = ((op.end / width) as usize).min(count - 1);
        counts[b][op.outcome_index()] += 1;
    }
    let high = counts
        .iter()
        .flat_map(|c| c.iter())
        .fold(1.0f64, |h, &n| h.max(n as f64 / width))
        * 1.15;
    let mut chart = frame(root, title, 56)
        .build_cartesian_2d(x_range(run), 0.0..high)
        .map_err(err)?;
    mesh(&mut chart, "operations / s")?;
    shade_faults(&mut chart, run, backdrop, 0.0, high)?;
    for (outcome, name) in OUTCOMES.iter().enumerate() {
        let color = outcome_color(outcome);
        let line = counts
            .iter()
            .enumerate()
            .map(|(b, c)| ((b as f64 + 0.5) * width, c[outcome] as f64 / width));
        named_line(&mut chart, line, color, *name)?;
    }
    legend(&mut chart)
}

fn draw_clock<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    run: &RunData,
    backdrop: &Backdrop,
    title: &str,
) -> Drawn {
    root.fill(&WHITE).map_err(err)?;
    let mut nodes: Vec<&str> = run.clock.iter().map(|c| c.node.as_str()).collect();
    nodes.sort_unstable();
    nodes.dedup();
    let extreme = run
        .clock
        .iter()
        .fold(1.0f64, |m, c| m.max(c.offset_ms.abs()))
        * 1.15;
    let mut chart = frame(root, title, 72)
        .build_cartesian_2d(x_range(run), -extreme..extreme)
        .map_err(err)?;
    mesh(&mut chart, "offset from true time (ms)")?;
    shade_faults(&mut chart, run, backdrop, -extreme, extreme)?;
    for (i, node) in nodes.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        // A step line: each offset holds until the next change.
        let mut points = vec![(0.0, 0.0)];
        for change in run.clock.iter().filter(|c| c.node == *node) {
            let last = points.last().map_or(0.0, |p| p.1);
            points.push((change.time, last));
            points.push((change.time, change.offset_ms));
        }
        let last = points.last().map_or(0.0, |p| p.1);
        points.push((run.duration, last));
        named_line(&mut chart, points, color, node.to_string())?;
    }
    legend(&mut chart)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_data::FaultWindow;

    #[test]
    fn log_axes_span_whole_decades() {
        assert_eq!(log_range([16.0, 51.0].into_iter()), (10.0, 100.0));
        assert_eq!(log_range([0.3, 2000.0].into_iter()), (0.1, 10_000.0));
        assert_eq!(log_range([10.0].into_iter()), (10.0, 100.0));
        assert_eq!(log_range(std::iter::empty()), (0.01, 1.0));
    }

    #[test]
    fn crowded_fault_labels_are_left_out_not_piled_up() {
        let window = |start: f64| FaultWindow {
            kind: "partition",
            label: String::new(),
            start,
            end: start + 1.0,
        };
        let run = RunData {
            duration: 100.0,
            faults: (0..10)
                .map(|i| window(i as f64 * 5.0))
                .chain([window(80.0)])
                .collect(),
            ..RunData::default()
        };
        let rows = label_rows(&run);
        // A label reaches 20 s: windows 5 s apart share LABEL_ROWS rows.
        assert_eq!(&rows[..3], &[0, 1, 2]);
        assert_eq!(rows[3], usize::MAX, "no fourth row");
        assert_eq!(rows[4], 0, "the first row is free again");
        assert_eq!(rows[10], 0);
    }
}
