//! The way out of every run, whatever ended it (the time limit, Ctrl-C, a
//! panic, a lost node): every node healed, its logs collected (only this
//! run's part), the database torn down unless asked to stay.

use super::config::TestConfig;
use super::log_marks;
use faultline_core::{Remote, Remotes, System};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Puts the cluster back: heals and removes faultline's rules, collects the
/// logs, tears the database down. Runs once, from `finish` or, if a panic
/// unwinds past it, from `drop`.
pub(super) struct Cleanup {
    pub(super) config: TestConfig,
    pub(super) remotes: Remotes,
    pub(super) system: Arc<dyn System>,
    pub(super) run_dir: PathBuf,
    /// Per node, where its logs stood before set-up.
    pub(super) log_marks: Vec<log_marks::NodeMarks>,
    pub(super) done: bool,
}

/// Where every node's logs stand before set-up (see [`log_marks`]).
pub(super) fn mark_logs(
    config: &TestConfig,
    remotes: &Remotes,
    db: &dyn faultline_core::Db,
) -> Vec<log_marks::NodeMarks> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = remotes
            .iter()
            .zip(&config.nodes)
            .map(|(remote, node)| scope.spawn(move || log_marks::mark(remote.as_ref(), node, db)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

impl Cleanup {
    /// Returns notes for the summary, and what could not be healed.
    pub(super) fn finish(&mut self) -> (Vec<String>, Vec<String>) {
        if self.done {
            return (Vec::new(), Vec::new());
        }
        self.done = true;
        let mut notes = Vec::new();
        let nodes = &self.config.nodes;
        let (system, run_dir, leave) = (
            self.system.as_ref(),
            &self.run_dir,
            self.config.leave_db_running,
        );
        let no_marks = log_marks::NodeMarks::new();
        let results: Vec<(Vec<String>, Vec<String>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = self
                .remotes
                .iter()
                .zip(nodes)
                .enumerate()
                .map(|(i, (remote, node))| {
                    let marks = self.log_marks.get(i).unwrap_or(&no_marks);
                    let place = Place {
                        node,
                        cluster: nodes,
                        run_dir,
                        marks,
                    };
                    scope.spawn(move || clean_node(remote.as_ref(), &place, system, leave))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| (Vec::new(), vec!["cleanup panicked".into()]))
                })
                .collect()
        });
        let mut unhealed = Vec::new();
        for (node_notes, node_unhealed) in results {
            notes.extend(node_notes);
            notes.extend(node_unhealed.iter().cloned());
            unhealed.extend(node_unhealed);
        }
        (notes, unhealed)
    }
}

/// A node being cleaned up, and where its logs go.
struct Place<'a> {
    node: &'a faultline_core::Node,
    cluster: &'a [faultline_core::Node],
    run_dir: &'a Path,
    marks: &'a log_marks::NodeMarks,
}

/// Heals the node, collects its logs, tears the database down; returns
/// notes, and what could not be healed.
fn clean_node(
    remote: &dyn Remote,
    place: &Place,
    system: &dyn System,
    leave_running: bool,
) -> (Vec<String>, Vec<String>) {
    let (node, cluster, run_dir) = (place.node, place.cluster, place.run_dir);
    let db = system.db();
    let unhealed: Vec<String> = faultline_nemeses::heal_node(remote, node, cluster, system.pause())
        .into_iter()
        .map(|problem| format!("{}: {problem}", node.name))
        .collect();
    let mut notes: Vec<String> = Vec::new();
    let logs = run_dir.join("nodes").join(&node.name);
    let _ = std::fs::create_dir_all(&logs);
    for file in db.log_files(node) {
        let name = file.file_name().map(|n| n.to_owned()).unwrap_or_default();
        let local = logs.join(name);
        if let Err(e) = remote.download(&file, &local) {
            notes.push(format!(
                "{}: log {} not collected: {e}",
                node.name,
                file.display()
            ));
        } else if let Err(e) =
            log_marks::keep_only_the_run(remote, &file, &local, place.marks.get(&file))
        {
            notes.push(format!(
                "{}: log {} could not be cut to this run's part: {e}",
                node.name,
                file.display()
            ));
        }
    }
    let mut unhealed = unhealed;
    if !leave_running {
        if let Err(e) = db.teardown(remote, node) {
            notes.push(format!("{}: teardown failed: {e}", node.name));
        }
        // After the teardown: nothing holds the disk fault's files open.
        for problem in faultline_nemeses::disk::remove_from_node(remote, node) {
            let problem = format!("{}: {problem}", node.name);
            notes.push(problem.clone());
            unhealed.push(problem);
        }
    }
    (notes, unhealed)
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for note in self.finish().0 {
            eprintln!("warning: {note}");
        }
    }
}
