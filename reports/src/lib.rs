//! Reports: what a person reads after a run. Every run directory gets
//! `index.html`: the verdict of each checker, the configuration and the
//! command to reproduce it, plots (latency, quantiles, throughput, clock
//! offsets) with fault windows shaded, a timeline of every operation that
//! draws only what is visible, the counterexample or the anomalies drawn,
//! and links to the history and node logs. The store gets `index.html`
//! too: every run, filterable, with trends. Pages work from disk
//! (file://) and fetch nothing. For CI systems, [`junit`] writes JUnit XML
//! and a JSON summary. Each checker's part of a page is one file in
//! `views/`.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("faultline-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("results.json"), r#"{"valid": true}"#).unwrap();
//! let page = faultline_reports::write_run_report(&dir).unwrap();
//! assert!(std::fs::read_to_string(page).unwrap().contains("VALID"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod colors;
mod counterexample_svg;
mod cycle_svg;
mod explanation;
mod font;
mod html;
pub mod junit;
mod plots;
mod run_data;
mod run_record;
mod run_report;
mod store_index;
mod story;
mod timeline;
mod views;

pub use counterexample_svg::counterexample_svg;
pub use cycle_svg::cycle_svg;
pub use html::{escape, fetches_nothing, url_segment};
pub use plots::{draw_plots, Plot};
pub use run_data::{ClockChange, FaultWindow, RunData, TimedOp};
pub use run_record::{RunRecord, TestRecord};
pub use run_report::write_run_report;
pub use store_index::{list_runs, write_store_index, RunSummary};
pub use timeline::write_timeline_data;
