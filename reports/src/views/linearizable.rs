//! The linearizability checker on the page: its story line, its first
//! anomaly (the operation that cannot be linearized), and its section (the
//! counterexample, drawn).

use super::{seen_at, undecided, CheckerView};
use crate::explanation::{explain_linearizable, Timing};
use crate::html::escape;
use crate::run_data::RunData;
use crate::story::FirstSeen;
use faultline_checkers::linearizable::Analysis;
use faultline_core::Validity;

impl CheckerView for Analysis {
    fn story_line(&self) -> String {
        linearizable_line(self)
    }

    fn firsts(&self, checker: &str, run: &RunData) -> Vec<FirstSeen> {
        linearizable_firsts(checker, self, run)
    }

    fn verdict_jump(&self) -> String {
        let refuted = if self.refuted_keys > 0 && self.partitions > 1 {
            format!(
                " {} of {} keys refuted;",
                self.refuted_keys, self.partitions
            )
        } else {
            String::new()
        };
        if self
            .counterexample
            .as_ref()
            .is_some_and(|c| c.failing_op.is_some())
        {
            format!("{refuted} <a href=\"#counterexample\">see the counterexample</a>")
        } else {
            String::new()
        }
    }

    fn explain(&self, body: &mut String, timing: &Timing) {
        explain_linearizable(body, self, timing)
    }

    fn anomaly_labels(&self) -> Vec<String> {
        match &self.counterexample {
            Some(c) if c.key.is_some() => vec![format!(
                "not linearizable (key {})",
                c.key.as_deref().unwrap_or_default()
            )],
            Some(c) if c.failing_op.is_some() => vec!["not linearizable".to_owned()],
            _ => Vec::new(),
        }
    }
}

fn linearizable_firsts(checker: &str, a: &Analysis, run: &RunData) -> Vec<FirstSeen> {
    a.counterexample
        .iter()
        .chain(&a.more_counterexamples)
        .filter_map(|c| {
            let op = c.failing_op.as_ref()?;
            Some(FirstSeen {
                at: seen_at(run, op.invoke)?,
                invoke: op.invoke,
                what: format!(
                    "process {} <code>{}</code>{}{}",
                    escape(&op.process),
                    escape(&op.description),
                    op.node
                        .as_deref()
                        .map_or(String::new(), |n| format!(" on {}", escape(n))),
                    c.key.as_deref().map_or(String::new(), |k| format!(
                        " (key <code>{}</code>)",
                        escape(k)
                    ))
                ),
                checker: checker.to_owned(),
            })
        })
        .collect()
}

fn linearizable_line(a: &Analysis) -> String {
    match a.valid {
        Validity::Valid => format!("linearizable, {}", a.ops_text()),
        Validity::Unknown => undecided(a.reason.as_deref()),
        // The checker's own words for what was refuted, as `check` prints.
        Validity::Invalid => match a.refuted_text() {
            refuted if refuted.is_empty() => "<strong>not linearizable</strong>".to_owned(),
            refuted => format!("<strong>not linearizable</strong>: {}", escape(&refuted)),
        },
    }
}
