//! Reports: what a person reads after a run. For now, the run's own page
//! (`<run-dir>/index.html`): the verdict of each checker, the configuration
//! and the command to reproduce it, the faults applied, the checker's
//! explanation, links to the history and node logs; self-contained, opened
//! from disk. Plots, the operation timeline and the store index come next.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("faultline-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(dir.join("results.json"), r#"{"valid": true}"#).unwrap();
//! let page = faultline_reports::write_run_report(&dir).unwrap();
//! assert!(std::fs::read_to_string(page).unwrap().contains("VALID"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

mod html;
mod run_report;

pub use run_report::write_run_report;
