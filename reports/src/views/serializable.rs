//! The serializability checker on the page: its story line (anomalies by
//! kind), its first anomaly (the cycle, once its last transaction
//! completed), and its section (each anomaly, its cycle drawn).

use super::{seen_at, undecided, CheckerView};
use crate::explanation::{explain_serializable, Timing};
use crate::html::escape;
use crate::run_data::RunData;
use crate::story::FirstSeen;
use faultline_checkers::serializable::{Anomaly, SerialAnalysis};
use faultline_core::Validity;

impl CheckerView for SerialAnalysis {
    fn story_line(&self) -> String {
        serializable_line(self)
    }

    fn firsts(&self, checker: &str, run: &RunData) -> Vec<FirstSeen> {
        serializable_firsts(checker, self, run)
    }

    fn verdict_jump(&self) -> String {
        if self.anomalies.is_empty() {
            String::new()
        } else {
            " <a href=\"#anomalies\">see the anomalies</a>".to_owned()
        }
    }

    fn explain(&self, body: &mut String, timing: &Timing) {
        explain_serializable(body, self, timing)
    }

    fn anomaly_labels(&self) -> Vec<String> {
        self.counts
            .iter()
            .map(|(kind, n)| format!("{kind} ×{n}"))
            .collect()
    }
}

fn serializable_firsts(checker: &str, a: &SerialAnalysis, run: &RunData) -> Vec<FirstSeen> {
    a.anomalies
        .iter()
        .filter_map(|anomaly| {
            // The cycle exists once its last transaction completed.
            let (at, invoke) = anomaly
                .txns
                .iter()
                .filter_map(|t| {
                    let invoke = t.invoke()?;
                    Some((seen_at(run, invoke)?, invoke))
                })
                .max_by(|x, y| x.0.total_cmp(&y.0))?;
            Some(FirstSeen {
                at,
                invoke,
                what: format!("{} among {}", escape(&anomaly.name), txn_names(anomaly)),
                checker: checker.to_owned(),
            })
        })
        .collect()
}

fn txn_names(anomaly: &Anomaly) -> String {
    let names: Vec<&str> = anomaly.txns.iter().map(|t| t.name.as_str()).collect();
    escape(&names.join(", "))
}

fn serializable_line(a: &SerialAnalysis) -> String {
    match a.valid {
        Validity::Valid => format!("{} for {} transactions", escape(&a.model), a.txns),
        Validity::Unknown => undecided(a.reason.as_deref()),
        Validity::Invalid => {
            let total: usize = a.counts.values().sum();
            let kinds: Vec<String> = a
                .counts
                .iter()
                .map(|(kind, n)| format!("<a href=\"#anomaly-{0}\">{0}</a> ×{n}", escape(kind)))
                .collect();
            format!(
                "<strong>{total} anomalies</strong> ({}){}; not {}",
                kinds.join(", "),
                if a.cycles_components > 0 {
                    format!(
                        ", in {} strongly connected component(s) of the dependency graph",
                        a.cycles_components
                    )
                } else {
                    String::new()
                },
                escape(&a.model)
            )
        }
    }
}
